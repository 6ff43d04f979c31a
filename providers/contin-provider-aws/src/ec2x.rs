//! More EC2 types: `aws_eip`, `aws_nat_gateway`, `aws_route`,
//! `aws_security_group_rule`, `aws_vpc_security_group_ingress_rule` /
//! `aws_vpc_security_group_egress_rule` and `aws_launch_template`.
//!
//! Crash safety: taggable objects (EIPs, NAT gateways, VPC security group
//! rules, launch templates) carry the bookkeeping tags from creation and are
//! adopted by them; NAT gateways and launch templates also carry a
//! `ClientToken`. Routes and `aws_security_group_rule` rules have no tags:
//! they are identified by their content, so a re-run finds the one it made
//! (same destination and target, same rule) and adopts it.

use crate::network::sync_tags;
use crate::plan::canonical_protocol;
use crate::schema::{self, EIP, LAUNCH_TEMPLATE, NAT_GATEWAY, ROUTE, ROUTE_DESTINATIONS, ROUTE_TARGETS, SECURITY_GROUP_RULE, VPC_SG_EGRESS_RULE, VPC_SG_INGRESS_RULE};
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::{
    ConnectivityType, DomainType, Filter, InstanceType, IpPermission, IpRange, LaunchTemplateTagSpecificationRequest, NatGatewayState,
    RequestLaunchTemplateData, ResourceType, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, Tag, UserIdGroupPair,
};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

fn not_found_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn no_id(what: &str, call: &str) -> ProviderError {
    ProviderError::Failed(format!("{what}: {call} returned no id"))
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())[..16].to_string()
}

fn block(ty: &str) -> Result<&'static contin_provider::BlockSchema, ProviderError> {
    schema::resource(ty).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() })
}

fn has_bookkeeping(tags: &[Tag], ctx: &OpContext) -> bool {
    let m = tag_map(tags);
    bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k) == Some(v))
}

// ---------------------------------------------------------------- aws_eip

async fn read_eip(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{EIP} {id}");
    let out = not_found_is_none(inner.ec2.describe_addresses().allocation_ids(id).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(a) = out.as_ref().and_then(|o| o.addresses().first()) else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("allocation_id".into(), Value::string(id));
    m.insert("domain".into(), opt_string(a.domain().map(DomainType::as_str)));
    m.insert("vpc".into(), Value::Bool(a.domain() == Some(&DomainType::Vpc)));
    m.insert("instance".into(), opt_string(a.instance_id().filter(|i| !i.is_empty())));
    m.insert("association_id".into(), opt_string(a.association_id()));
    m.insert("public_ip".into(), opt_string(a.public_ip()));
    // The interface of an instance association is EC2's detail: shown when configured so.
    let eni = a.network_interface_id().filter(|e| !e.is_empty()).filter(|_| a.instance_id().is_none_or(str::is_empty) || get_str(shape, "network_interface").is_some());
    m.insert("network_interface".into(), opt_string(eni));
    m.insert("associate_with_private_ip".into(), get(shape, "associate_with_private_ip").cloned().unwrap_or(Value::Null));
    m.insert("private_ip".into(), opt_string(a.private_ip_address()));
    m.insert("private_dns".into(), opt_string(a.private_ip_address().map(|ip| format!("ip-{}.ec2.internal", ip.replace('.', "-"))).as_deref()));
    m.insert("public_dns".into(), opt_string(a.public_ip().map(|ip| format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-"))).as_deref()));
    m.insert("address".into(), get(shape, "address").cloned().unwrap_or(Value::Null));
    m.insert("public_ipv4_pool".into(), opt_string(a.public_ipv4_pool()));
    m.insert("network_border_group".into(), opt_string(a.network_border_group()));
    m.insert("customer_owned_ipv4_pool".into(), opt_string(a.customer_owned_ipv4_pool()));
    m.insert("customer_owned_ip".into(), opt_string(a.customer_owned_ip()));
    m.insert("carrier_ip".into(), opt_string(a.carrier_ip()));
    let account = crate::elb::account_id(inner, &what).await?;
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{account}:elastic-ip/{id}", inner.region)));
    m.insert("tags".into(), tags_value(a.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block(EIP)?, m)))
}

async fn converge_eip(inner: &Inner, what: &str, id: &str, current: &Value, planned: &Value) -> Result<(), ProviderError> {
    let want = get_str(planned, "instance");
    let want_eni = get_str(planned, "network_interface");
    let eni_differs = want_eni.is_some() && get_str(current, "network_interface") != want_eni;
    if get_str(current, "instance") != want || eni_differs {
        if let Some(assoc) = get_str(current, "association_id") {
            match inner.ec2.disassociate_address().association_id(assoc).send().await.map_err(|e| api_err(what, e)) {
                Err(e) if !is_not_found(&e) => return Err(e),
                _ => {}
            }
        }
        if want.is_some() || want_eni.is_some() {
            inner
                .ec2
                .associate_address()
                .allocation_id(id)
                .set_instance_id(want.map(String::from))
                .set_network_interface_id(want_eni.map(String::from))
                .set_private_ip_address(get_str(planned, "associate_with_private_ip").map(String::from))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
    }
    sync_tags(inner, what, id, current, planned).await
}

async fn create_eip(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let found = inner.ec2.describe_addresses().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(what, e))?;
    let id = match found.addresses().first().and_then(|a| a.allocation_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .allocate_address()
                .domain(DomainType::Vpc)
                .set_address(get_str(planned, "address").map(String::from))
                .set_public_ipv4_pool(get_str(planned, "public_ipv4_pool").map(String::from))
                .set_network_border_group(get_str(planned, "network_border_group").map(String::from))
                .set_customer_owned_ipv4_pool(get_str(planned, "customer_owned_ipv4_pool").map(String::from))
                .tag_specifications(tag_spec(ResourceType::ElasticIp, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.allocation_id().map(String::from).ok_or_else(|| no_id(what, "AllocateAddress"))?
        }
    };
    let current = read_eip(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    converge_eip(inner, what, &id, &current, planned).await?;
    read_eip(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

async fn delete_eip(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    // The live association (it may differ from the state's).
    if let Some(live) = read_eip(inner, id, prior).await? {
        if let Some(assoc) = get_str(&live, "association_id") {
            match inner.ec2.disassociate_address().association_id(assoc).send().await.map_err(|e| api_err(addr, e)) {
                Err(e) if !is_not_found(&e) => return Err(e),
                _ => {}
            }
        }
    } else {
        return Ok(());
    }
    delete_with_retry(|| async { inner.ec2.release_address().allocation_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
}

// ---------------------------------------------------------- aws_nat_gateway

async fn describe_nat(inner: &Inner, what: &str, id: &str) -> Result<Option<aws_sdk_ec2::types::NatGateway>, ProviderError> {
    let out = not_found_is_none(inner.ec2.describe_nat_gateways().nat_gateway_ids(id).send().await.map_err(|e| api_err(what, e)))?;
    Ok(out.and_then(|o| o.nat_gateways().first().cloned()))
}

fn nat_gone(n: &aws_sdk_ec2::types::NatGateway) -> bool {
    matches!(n.state(), Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed))
}

async fn read_nat(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{NAT_GATEWAY} {id}");
    let Some(n) = describe_nat(inner, &what, id).await? else { return Ok(None) };
    if nat_gone(&n) {
        return Ok(None);
    }
    let a = n.nat_gateway_addresses().first();
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("subnet_id".into(), opt_string(n.subnet_id()));
    m.insert("allocation_id".into(), opt_string(a.and_then(|a| a.allocation_id())));
    m.insert("connectivity_type".into(), Value::string(n.connectivity_type().map_or("public", ConnectivityType::as_str)));
    m.insert("network_interface_id".into(), opt_string(a.and_then(|a| a.network_interface_id())));
    m.insert("private_ip".into(), opt_string(a.and_then(|a| a.private_ip())));
    m.insert("public_ip".into(), opt_string(a.and_then(|a| a.public_ip())));
    m.insert("tags".into(), tags_value(n.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block(NAT_GATEWAY)?, m)))
}

/// Polls until the gateway is available (or gone, when `gone` is set).
async fn wait_nat(inner: &Inner, what: &str, id: &str, gone: bool) -> Result<(), ProviderError> {
    let mut backoff = Backoff::new();
    loop {
        let n = describe_nat(inner, what, id).await?;
        let state = n.as_ref().and_then(|n| n.state().cloned());
        match (gone, &state) {
            (true, None | Some(NatGatewayState::Deleted)) => return Ok(()),
            (false, Some(NatGatewayState::Available)) => return Ok(()),
            (false, None | Some(NatGatewayState::Failed | NatGatewayState::Deleted | NatGatewayState::Deleting)) => {
                let why = n.as_ref().and_then(|n| n.failure_message()).unwrap_or("no reason given");
                return Err(ProviderError::Api { code: "NatGatewayFailed".into(), message: format!("{what}: NAT gateway {id} failed: {why}") });
            }
            _ => {}
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!("{what}: timed out waiting for NAT gateway {id}")));
        }
    }
}

async fn create_nat(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let found = inner.ec2.describe_nat_gateways().set_filter(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(what, e))?;
    let id = match found.nat_gateways().iter().find(|n| !nat_gone(n)).and_then(|n| n.nat_gateway_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_nat_gateway()
                .set_subnet_id(get_str(planned, "subnet_id").map(String::from))
                .set_allocation_id(get_str(planned, "allocation_id").map(String::from))
                .set_connectivity_type(get_str(planned, "connectivity_type").map(ConnectivityType::from))
                .client_token(client_token(ctx))
                .tag_specifications(tag_spec(ResourceType::Natgateway, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.nat_gateway().and_then(|n| n.nat_gateway_id()).map(String::from).ok_or_else(|| no_id(what, "CreateNatGateway"))?
        }
    };
    wait_nat(inner, what, &id, false).await?;
    let current = read_nat(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    sync_tags(inner, what, &id, &current, planned).await?;
    read_nat(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

async fn delete_nat(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    match inner.ec2.delete_nat_gateway().nat_gateway_id(id).send().await.map_err(|e| api_err(addr, e)) {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
    }
    wait_nat(inner, addr, id, true).await
}

// ----------------------------------------------------------------- aws_route

fn route_id(rtb: &str, dest: &str) -> String {
    let h = short_hash(&[dest]);
    let n = u32::from_str_radix(&h[..8], 16).unwrap_or(0);
    format!("r-{rtb}{n}")
}

/// The route's destination: (argument name, value).
fn route_dest(v: &Value) -> Option<(&'static str, &str)> {
    ROUTE_DESTINATIONS.iter().find_map(|k| get_str(v, k).map(|d| (*k, d)))
}

fn route_matches(r: &aws_sdk_ec2::types::Route, kind: &str, dest: &str) -> bool {
    match kind {
        "destination_ipv6_cidr_block" => r.destination_ipv6_cidr_block() == Some(dest),
        "destination_prefix_list_id" => r.destination_prefix_list_id() == Some(dest),
        _ => r.destination_cidr_block() == Some(dest),
    }
}

async fn read_route(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let (Some(rtb), Some((kind, dest))) = (get_str(shape, "route_table_id"), route_dest(shape)) else { return Ok(None) };
    let what = format!("{ROUTE} {rtb} {dest}");
    let out = not_found_is_none(inner.ec2.describe_route_tables().route_table_ids(rtb).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(rt) = out.as_ref().and_then(|o| o.route_tables().first()) else { return Ok(None) };
    let Some(r) = rt.routes().iter().find(|r| route_matches(r, kind, dest)) else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(route_id(rtb, dest)));
    m.insert("route_table_id".into(), Value::string(rtb));
    m.insert(kind.to_string(), Value::string(dest));
    m.insert("gateway_id".into(), opt_string(r.gateway_id()));
    m.insert("nat_gateway_id".into(), opt_string(r.nat_gateway_id()));
    m.insert("instance_id".into(), opt_string(r.instance_id()));
    // A route to an instance also names the instance's interface: only shown when configured so.
    let eni = if r.instance_id().is_some() && get_str(shape, "network_interface_id").is_none() { None } else { r.network_interface_id() };
    m.insert("network_interface_id".into(), opt_string(eni));
    m.insert("vpc_peering_connection_id".into(), opt_string(r.vpc_peering_connection_id()));
    m.insert("transit_gateway_id".into(), opt_string(r.transit_gateway_id()));
    m.insert("egress_only_gateway_id".into(), opt_string(r.egress_only_internet_gateway_id()));
    m.insert("carrier_gateway_id".into(), opt_string(r.carrier_gateway_id()));
    m.insert("local_gateway_id".into(), opt_string(r.local_gateway_id()));
    m.insert("core_network_arn".into(), opt_string(r.core_network_arn()));
    // EC2 reports a gateway endpoint's route under gateway_id: keep the configured spelling.
    if let Some(e) = get_str(shape, "vpc_endpoint_id").filter(|e| r.gateway_id() == Some(*e)) {
        m.insert("vpc_endpoint_id".into(), Value::string(e));
        m.insert("gateway_id".into(), Value::Null);
    }
    m.insert("origin".into(), opt_string(r.origin().map(|o| o.as_str())));
    m.insert("state".into(), opt_string(r.state().map(|s| s.as_str())));
    Ok(Some(complete(block(ROUTE)?, m)))
}

fn same_target(live: &Value, planned: &Value) -> bool {
    ROUTE_TARGETS.iter().filter(|t| **t != "network_interface_id" || get_str(planned, t).is_some()).all(|t| get_str(live, t) == get_str(planned, t))
}

/// CreateRoute / ReplaceRoute take the same destination and target fields.
macro_rules! route_call {
    ($call:expr, $planned:expr) => {{
        let t = |n: &str| get_str($planned, n).map(String::from);
        $call
            .set_route_table_id(t("route_table_id"))
            .set_destination_cidr_block(t("destination_cidr_block"))
            .set_destination_ipv6_cidr_block(t("destination_ipv6_cidr_block"))
            .set_destination_prefix_list_id(t("destination_prefix_list_id"))
            .set_gateway_id(t("gateway_id").or_else(|| t("vpc_endpoint_id")))
            .set_nat_gateway_id(t("nat_gateway_id"))
            .set_instance_id(t("instance_id"))
            .set_network_interface_id(t("network_interface_id"))
            .set_vpc_peering_connection_id(t("vpc_peering_connection_id"))
            .set_transit_gateway_id(t("transit_gateway_id"))
            .set_egress_only_internet_gateway_id(t("egress_only_gateway_id"))
            .set_carrier_gateway_id(t("carrier_gateway_id"))
            .set_local_gateway_id(t("local_gateway_id"))
            .set_core_network_arn(t("core_network_arn"))
    }};
}

async fn create_route(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let rtb = get_str(planned, "route_table_id").unwrap_or_default().to_string();
    let dest = route_dest(planned).map(|(_, d)| d.to_string()).unwrap_or_default();
    if let Some(live) = read_route(inner, planned).await? {
        // A route with this destination exists: adopt it when it is the one this create made.
        if same_target(&live, planned) {
            return Ok(live);
        }
        return Err(ProviderError::Api {
            code: "RouteAlreadyExists".into(),
            message: format!("{what}: route table {rtb} already has a route to {dest} with another target; import it or remove it"),
        });
    }
    route_call!(inner.ec2.create_route(), planned).send().await.map_err(|e| api_err(what, e))?;
    kill_hook(ctx);
    read_route(inner, planned).await?.ok_or_else(|| vanished(what, &route_id(&rtb, &dest)))
}

async fn update_route(inner: &Inner, addr: &str, planned: &Value) -> Result<Value, ProviderError> {
    route_call!(inner.ec2.replace_route(), planned).send().await.map_err(|e| api_err(addr, e))?;
    read_route(inner, planned)
        .await?
        .ok_or_else(|| ProviderError::Api { code: "InvalidRoute.NotFound".into(), message: format!("{addr}: the route disappeared during the update") })
}

async fn delete_route(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(rtb), Some((kind, dest))) = (get_str(prior, "route_table_id"), route_dest(prior)) else { return Ok(()) };
    let call = inner.ec2.delete_route().route_table_id(rtb);
    let call = match kind {
        "destination_ipv6_cidr_block" => call.destination_ipv6_cidr_block(dest),
        "destination_prefix_list_id" => call.destination_prefix_list_id(dest),
        _ => call.destination_cidr_block(dest),
    };
    match call.send().await.map_err(|e| api_err(addr, e)) {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

// --------------------------------------------------- aws_security_group_rule

/// The rule as one `IpPermission` (protocol canonical, ports dropped for "-1").
fn legacy_permission(v: &Value, with_description: bool) -> IpPermission {
    let proto = canonical_protocol(get_str(v, "protocol").unwrap_or("-1"));
    let desc = if with_description { get_str(v, "description").filter(|d| !d.is_empty()).map(String::from) } else { None };
    let mut p = IpPermission::builder().ip_protocol(&proto);
    if proto != "-1" {
        p = p.set_from_port(get_i64(v, "from_port").map(|x| x as i32)).set_to_port(get_i64(v, "to_port").map(|x| x as i32));
    }
    for c in get_strs(v, "cidr_blocks") {
        p = p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc.clone()).build());
    }
    for c in get_strs(v, "ipv6_cidr_blocks") {
        p = p.ipv6_ranges(aws_sdk_ec2::types::Ipv6Range::builder().cidr_ipv6(c).set_description(desc.clone()).build());
    }
    for c in get_strs(v, "prefix_list_ids") {
        p = p.prefix_list_ids(aws_sdk_ec2::types::PrefixListId::builder().prefix_list_id(c).set_description(desc.clone()).build());
    }
    if let Some(g) = legacy_source_group(v) {
        p = p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(desc.clone()).build());
    }
    p.build()
}

/// The other group a rule names: `source_security_group_id`, or the rule's own group when `self = true`.
fn legacy_source_group(v: &Value) -> Option<&str> {
    get_str(v, "source_security_group_id").or_else(|| if get_bool(v, "self") == Some(true) { get_str(v, "security_group_id") } else { None })
}

fn legacy_rule_id(v: &Value) -> String {
    let proto = canonical_protocol(get_str(v, "protocol").unwrap_or("-1"));
    let from = get_i64(v, "from_port").unwrap_or(0).to_string();
    let to = get_i64(v, "to_port").unwrap_or(0).to_string();
    let sorted = |k: &str| {
        let mut c = get_strs(v, k);
        c.sort();
        c.join(",")
    };
    // IPv6 and prefix-list sources joined to the IPv4 ones (unchanged ids for IPv4-only rules).
    let mut cidrs = sorted("cidr_blocks");
    for k in ["ipv6_cidr_blocks", "prefix_list_ids"] {
        let more = sorted(k);
        if !more.is_empty() {
            cidrs.push_str(&format!("|{k}:{more}"));
        }
    }
    let parts = [
        get_str(v, "security_group_id").unwrap_or_default(),
        get_str(v, "type").unwrap_or_default(),
        proto.as_str(),
        from.as_str(),
        to.as_str(),
        cidrs.as_str(),
        legacy_source_group(v).unwrap_or_default(),
    ];
    format!("sgrule-{}", short_hash(&parts))
}

async fn read_legacy_rule(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(sg) = get_str(shape, "security_group_id") else { return Ok(None) };
    let what = format!("{SECURITY_GROUP_RULE} {sg}");
    let out = not_found_is_none(inner.ec2.describe_security_groups().group_ids(sg).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(g) = out.as_ref().and_then(|o| o.security_groups().first()) else { return Ok(None) };
    let egress = get_str(shape, "type") == Some("egress");
    let perms = if egress { g.ip_permissions_egress() } else { g.ip_permissions() };
    let proto = canonical_protocol(get_str(shape, "protocol").unwrap_or("-1"));
    let ports = |p: &IpPermission| {
        proto == "-1" || (p.from_port().map(i64::from) == get_i64(shape, "from_port") && p.to_port().map(i64::from) == get_i64(shape, "to_port"))
    };
    let matching: Vec<&IpPermission> =
        perms.iter().filter(|p| canonical_protocol(p.ip_protocol().unwrap_or("-1")) == proto && ports(p)).collect();
    let mut description: Option<String> = None;
    let mut cidrs = Vec::new();
    for c in get_strs(shape, "cidr_blocks") {
        if let Some(r) = matching.iter().flat_map(|p| p.ip_ranges()).find(|r| r.cidr_ip() == Some(c.as_str())) {
            description = description.or_else(|| r.description().map(String::from));
            cidrs.push(c);
        }
    }
    let mut v6 = Vec::new();
    for c in get_strs(shape, "ipv6_cidr_blocks") {
        if let Some(r) = matching.iter().flat_map(|p| p.ipv6_ranges()).find(|r| r.cidr_ipv6() == Some(c.as_str())) {
            description = description.or_else(|| r.description().map(String::from));
            v6.push(c);
        }
    }
    let mut lists = Vec::new();
    for c in get_strs(shape, "prefix_list_ids") {
        if let Some(r) = matching.iter().flat_map(|p| p.prefix_list_ids()).find(|r| r.prefix_list_id() == Some(c.as_str())) {
            description = description.or_else(|| r.description().map(String::from));
            lists.push(c);
        }
    }
    let mut source = None;
    if let Some(src) = legacy_source_group(shape) {
        if let Some(pair) = matching.iter().flat_map(|p| p.user_id_group_pairs()).find(|u| u.group_id() == Some(src)) {
            description = description.or_else(|| pair.description().map(String::from));
            source = Some(src.to_string());
        }
    }
    if cidrs.is_empty() && v6.is_empty() && lists.is_empty() && source.is_none() {
        return Ok(None);
    }
    let is_self = get_bool(shape, "self") == Some(true) && source.is_some() && get_str(shape, "source_security_group_id").is_none();
    let mut m = BTreeMap::new();
    for name in ["type", "security_group_id", "from_port", "to_port", "protocol"] {
        m.insert(name.to_string(), get(shape, name).cloned().unwrap_or(Value::Null));
    }
    m.insert("protocol".into(), Value::String(proto.clone()));
    if proto == "-1" {
        m.insert("from_port".into(), Value::int(0));
        m.insert("to_port".into(), Value::int(0));
    }
    m.insert("cidr_blocks".into(), if cidrs.is_empty() { Value::Null } else { str_list(cidrs) });
    m.insert("ipv6_cidr_blocks".into(), if v6.is_empty() { Value::Null } else { str_list(v6) });
    m.insert("prefix_list_ids".into(), if lists.is_empty() { Value::Null } else { str_list(lists) });
    m.insert("self".into(), Value::Bool(is_self));
    m.insert("source_security_group_id".into(), if is_self { Value::Null } else { source.map_or(Value::Null, Value::String) });
    m.insert("description".into(), description.filter(|d| !d.is_empty()).map_or(Value::Null, Value::String));
    let id = legacy_rule_id(shape);
    m.insert("id".into(), Value::String(id.clone()));
    m.insert("security_group_rule_id".into(), Value::String(id));
    Ok(Some(complete(block(SECURITY_GROUP_RULE)?, m)))
}

async fn create_legacy_rule(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let sg = get_str(planned, "security_group_id").unwrap_or_default();
    let perm = legacy_permission(planned, true);
    let r = if get_str(planned, "type") == Some("egress") {
        inner.ec2.authorize_security_group_egress().group_id(sg).ip_permissions(perm).send().await.map(|_| ()).map_err(|e| api_err(what, e))
    } else {
        inner.ec2.authorize_security_group_ingress().group_id(sg).ip_permissions(perm).send().await.map(|_| ()).map_err(|e| api_err(what, e))
    };
    match r {
        Ok(()) => {}
        // Made by this create before a crash (a rule is identified by its content).
        Err(e) if is_code(&e, "InvalidPermission.Duplicate") => {}
        Err(e) => return Err(e),
    }
    kill_hook(ctx);
    let current = read_legacy_rule(inner, planned).await?.ok_or_else(|| vanished(what, &legacy_rule_id(planned)))?;
    if get(&current, "description") != get(planned, "description") {
        return update_legacy_rule(inner, what, planned).await;
    }
    Ok(current)
}

async fn update_legacy_rule(inner: &Inner, addr: &str, planned: &Value) -> Result<Value, ProviderError> {
    let sg = get_str(planned, "security_group_id").unwrap_or_default();
    let perm = legacy_permission(planned, true);
    if get_str(planned, "type") == Some("egress") {
        inner.ec2.update_security_group_rule_descriptions_egress().group_id(sg).ip_permissions(perm).send().await.map_err(|e| api_err(addr, e))?;
    } else {
        inner.ec2.update_security_group_rule_descriptions_ingress().group_id(sg).ip_permissions(perm).send().await.map_err(|e| api_err(addr, e))?;
    }
    read_legacy_rule(inner, planned)
        .await?
        .ok_or_else(|| ProviderError::Api { code: "InvalidPermission.NotFound".into(), message: format!("{addr}: the rule disappeared during the update") })
}

async fn delete_legacy_rule(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(sg) = get_str(prior, "security_group_id") else { return Ok(()) };
    let perm = legacy_permission(prior, false);
    let r = if get_str(prior, "type") == Some("egress") {
        inner.ec2.revoke_security_group_egress().group_id(sg).ip_permissions(perm).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
    } else {
        inner.ec2.revoke_security_group_ingress().group_id(sg).ip_permissions(perm).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
    };
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    }
}

// ------------------------------- aws_vpc_security_group_{ingress,egress}_rule

fn rule_request(v: &Value) -> SecurityGroupRuleRequest {
    let proto = canonical_protocol(get_str(v, "ip_protocol").unwrap_or("-1"));
    let (from, to) = if proto == "-1" { (None, None) } else { (get_i64(v, "from_port"), get_i64(v, "to_port")) };
    SecurityGroupRuleRequest::builder()
        .ip_protocol(proto)
        .set_from_port(from.map(|x| x as i32))
        .set_to_port(to.map(|x| x as i32))
        .set_cidr_ipv4(get_str(v, "cidr_ipv4").map(String::from))
        .set_referenced_group_id(get_str(v, "referenced_security_group_id").map(String::from))
        .set_description(get_str(v, "description").map(String::from))
        .build()
}

fn rule_permission(v: &Value) -> IpPermission {
    let proto = canonical_protocol(get_str(v, "ip_protocol").unwrap_or("-1"));
    let desc = get_str(v, "description").map(String::from);
    let mut p = IpPermission::builder().ip_protocol(&proto);
    if proto != "-1" {
        p = p.set_from_port(get_i64(v, "from_port").map(|x| x as i32)).set_to_port(get_i64(v, "to_port").map(|x| x as i32));
    }
    if let Some(c) = get_str(v, "cidr_ipv4") {
        p = p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc.clone()).build());
    }
    if let Some(g) = get_str(v, "referenced_security_group_id") {
        p = p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(desc).build());
    }
    p.build()
}

fn rule_value(inner: &Inner, ty: &str, r: &aws_sdk_ec2::types::SecurityGroupRule, shape: &Value) -> Result<Value, ProviderError> {
    let id = r.security_group_rule_id().unwrap_or_default();
    let proto = canonical_protocol(r.ip_protocol().unwrap_or("-1"));
    let port = |p: Option<i32>| if proto == "-1" { Value::Null } else { p.map_or(Value::Null, |p| Value::int(i64::from(p))) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("security_group_rule_id".into(), Value::string(id));
    m.insert("security_group_id".into(), opt_string(r.group_id()));
    m.insert("from_port".into(), port(r.from_port()));
    m.insert("to_port".into(), port(r.to_port()));
    m.insert("ip_protocol".into(), Value::String(proto.clone()));
    m.insert("cidr_ipv4".into(), opt_string(r.cidr_ipv4()));
    m.insert("referenced_security_group_id".into(), opt_string(r.referenced_group_info().and_then(|g| g.group_id())));
    m.insert("description".into(), opt_string(r.description().filter(|d| !d.is_empty())));
    let arn = match r.security_group_rule_arn() {
        Some(a) => a.to_string(),
        None => format!("arn:aws:ec2:{}:{}:security-group-rule/{id}", inner.region, r.group_owner_id().unwrap_or("")),
    };
    m.insert("arn".into(), Value::String(arn));
    m.insert("tags".into(), tags_value(r.tags(), &inner.default_tags, shape));
    Ok(complete(block(ty)?, m))
}

async fn read_vpc_rule(inner: &Inner, ty: &str, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{ty} {id}");
    let out = not_found_is_none(inner.ec2.describe_security_group_rules().security_group_rule_ids(id).send().await.map_err(|e| api_err(&what, e)))?;
    let egress = ty == VPC_SG_EGRESS_RULE;
    match out.as_ref().and_then(|o| o.security_group_rules().iter().find(|r| r.security_group_rule_id() == Some(id))) {
        Some(r) if r.is_egress() == Some(egress) => Ok(Some(rule_value(inner, ty, r, shape)?)),
        _ => Ok(None),
    }
}

async fn create_vpc_rule(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let sg = get_str(planned, "security_group_id").unwrap_or_default();
    let egress = ty == VPC_SG_EGRESS_RULE;
    let existing = inner
        .ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(sg).build())
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    let found = existing
        .security_group_rules()
        .iter()
        .find(|r| r.is_egress() == Some(egress) && has_bookkeeping(r.tags(), ctx))
        .and_then(|r| r.security_group_rule_id().map(String::from));
    let id = match found {
        Some(id) => id,
        None => {
            let tags = tag_spec(ResourceType::SecurityGroupRule, &effective_tags(&inner.default_tags, planned), ctx);
            let perm = rule_permission(planned);
            let rules = if egress {
                let o = inner
                    .ec2
                    .authorize_security_group_egress()
                    .group_id(sg)
                    .ip_permissions(perm)
                    .tag_specifications(tags)
                    .send()
                    .await
                    .map_err(|e| api_err(what, e))?;
                o.security_group_rules().to_vec()
            } else {
                let o = inner
                    .ec2
                    .authorize_security_group_ingress()
                    .group_id(sg)
                    .ip_permissions(perm)
                    .tag_specifications(tags)
                    .send()
                    .await
                    .map_err(|e| api_err(what, e))?;
                o.security_group_rules().to_vec()
            };
            kill_hook(ctx);
            rules.first().and_then(|r| r.security_group_rule_id().map(String::from)).ok_or_else(|| no_id(what, "AuthorizeSecurityGroup"))?
        }
    };
    let current = read_vpc_rule(inner, ty, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    converge_vpc_rule(inner, ty, what, &id, &current, planned).await
}

async fn converge_vpc_rule(inner: &Inner, ty: &str, what: &str, id: &str, current: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let fields = ["ip_protocol", "from_port", "to_port", "cidr_ipv4", "referenced_security_group_id", "description"];
    if fields.iter().any(|f| get(current, f) != get(planned, f)) {
        let sg = get_str(planned, "security_group_id").unwrap_or_default();
        let update = SecurityGroupRuleUpdate::builder().security_group_rule_id(id).security_group_rule(rule_request(planned)).build();
        inner.ec2.modify_security_group_rules().group_id(sg).security_group_rules(update).send().await.map_err(|e| api_err(what, e))?;
    }
    sync_tags(inner, what, id, current, planned).await?;
    read_vpc_rule(inner, ty, id, planned)
        .await?
        .ok_or_else(|| ProviderError::Api { code: "InvalidSecurityGroupRuleId.NotFound".into(), message: format!("{what}: {id} disappeared") })
}

async fn delete_vpc_rule(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(sg), Some(id)) = (get_str(prior, "security_group_id"), get_str(prior, "id")) else { return Ok(()) };
    let r = if ty == VPC_SG_EGRESS_RULE {
        inner.ec2.revoke_security_group_egress().group_id(sg).security_group_rule_ids(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
    } else {
        inner.ec2.revoke_security_group_ingress().group_id(sg).security_group_rule_ids(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
    };
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    }
}

// ------------------------------------------------------- aws_launch_template

/// The launch template data of `v` (the configuration's template attributes).
fn template_data(v: &Value) -> RequestLaunchTemplateData {
    let sgs = get_strs(v, "vpc_security_group_ids");
    let mut d = RequestLaunchTemplateData::builder()
        .set_image_id(get_str(v, "image_id").map(String::from))
        .set_instance_type(get_str(v, "instance_type").map(InstanceType::from))
        .set_key_name(get_str(v, "key_name").map(String::from))
        .set_user_data(get_str(v, "user_data").map(String::from))
        .set_security_group_ids(if sgs.is_empty() { None } else { Some(sgs) });
    for ts in get_blocks(v, "tag_specifications") {
        let mut b = LaunchTemplateTagSpecificationRequest::builder().set_resource_type(get_str(ts, "resource_type").map(ResourceType::from));
        for (k, val) in str_map(get(ts, "tags")) {
            b = b.tags(Tag::builder().key(k).value(val).build());
        }
        d = d.tag_specifications(b.build());
    }
    d.build()
}

/// Attributes stored in the template's versions (a change makes a new version).
pub(crate) const TEMPLATE_DATA_ATTRS: [&str; 7] =
    ["description", "image_id", "instance_type", "key_name", "vpc_security_group_ids", "user_data", "tag_specifications"];

async fn read_template(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LAUNCH_TEMPLATE} {id}");
    let what = what.as_str();
    let out = not_found_is_none(inner.ec2.describe_launch_templates().launch_template_ids(id).send().await.map_err(|e| api_err(what, e)))?;
    let Some(t) = out.as_ref().and_then(|o| o.launch_templates().first()) else { return Ok(None) };
    let versions = not_found_is_none(
        inner.ec2.describe_launch_template_versions().launch_template_id(id).versions("$Latest").send().await.map_err(|e| api_err(what, e)),
    )?;
    let Some(ver) = versions.as_ref().and_then(|o| o.launch_template_versions().first()) else { return Ok(None) };
    let d = ver.launch_template_data();
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("name".into(), opt_string(t.launch_template_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("update_default_version".into(), get(shape, "update_default_version").cloned().unwrap_or(Value::Null));
    m.insert("description".into(), opt_string(ver.version_description().filter(|d| !d.is_empty())));
    m.insert("image_id".into(), opt_string(d.and_then(|d| d.image_id())));
    m.insert("instance_type".into(), opt_string(d.and_then(|d| d.instance_type()).map(InstanceType::as_str)));
    m.insert("key_name".into(), opt_string(d.and_then(|d| d.key_name())));
    m.insert("user_data".into(), opt_string(d.and_then(|d| d.user_data())));
    let sgs: Vec<Value> = d.map(|d| d.security_group_ids().iter().map(Value::string).collect()).unwrap_or_default();
    m.insert("vpc_security_group_ids".into(), if sgs.is_empty() { Value::Null } else { Value::set(sgs) });
    let specs: Vec<Value> = d
        .map(|d| {
            d.tag_specifications()
                .iter()
                // Instance launch tag specs only: moto echoes the template's own tags here.
                .filter(|ts| ts.resource_type() != Some(&ResourceType::LaunchTemplate))
                .map(|ts| {
                    let tags: BTreeMap<String, Value> = tag_map(ts.tags()).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                    Value::map([
                        ("resource_type", opt_string(ts.resource_type().map(ResourceType::as_str))),
                        ("tags", if tags.is_empty() { Value::Null } else { Value::Map(tags) }),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    m.insert("tag_specifications".into(), Value::List(specs));
    m.insert("latest_version".into(), t.latest_version_number().map_or(Value::Null, Value::int));
    m.insert("default_version".into(), t.default_version_number().map_or(Value::Null, Value::int));
    let owner = t.created_by().and_then(|c| c.split(':').nth(4)).unwrap_or("");
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{owner}:launch-template/{id}", inner.region)));
    // Tags through DescribeTags: the template's own tag list may lag CreateTags/DeleteTags (moto).
    let tags = inner
        .ec2
        .describe_tags()
        .filters(Filter::builder().name("resource-id").values(id).build())
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    let tags: Vec<Tag> = tags.tags().iter().map(|t| Tag::builder().set_key(t.key().map(String::from)).set_value(t.value().map(String::from)).build()).collect();
    m.insert("tags".into(), tags_value(&tags, &inner.default_tags, shape));
    Ok(Some(complete(block(LAUNCH_TEMPLATE)?, m)))
}

pub(crate) fn template_name(planned: &Value, ctx: &OpContext) -> String {
    match (get_str(planned, "name"), get_str(planned, "name_prefix")) {
        (Some(n), _) => n.to_string(),
        (None, Some(p)) => format!("{p}{}", &client_token(ctx)[..26]),
        (None, None) => generated_name(ctx),
    }
}

async fn create_template(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let found = inner.ec2.describe_launch_templates().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(what, e))?;
    let id = match found.launch_templates().first().and_then(|t| t.launch_template_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_launch_template()
                .launch_template_name(template_name(planned, ctx))
                .set_version_description(get_str(planned, "description").map(String::from))
                .launch_template_data(template_data(planned))
                .client_token(client_token(ctx))
                .tag_specifications(tag_spec(ResourceType::LaunchTemplate, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.launch_template().and_then(|t| t.launch_template_id()).map(String::from).ok_or_else(|| no_id(what, "CreateLaunchTemplate"))?
        }
    };
    let current = read_template(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    converge_template(inner, what, &id, &current, planned).await
}

async fn converge_template(inner: &Inner, what: &str, id: &str, current: &Value, planned: &Value) -> Result<Value, ProviderError> {
    if TEMPLATE_DATA_ATTRS.iter().any(|a| get(current, a) != get(planned, a)) {
        let o = inner
            .ec2
            .create_launch_template_version()
            .launch_template_id(id)
            .set_version_description(get_str(planned, "description").map(String::from))
            .launch_template_data(template_data(planned))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        if get_bool(planned, "update_default_version") == Some(true) {
            let number = match o.launch_template_version().and_then(|v| v.version_number()) {
                Some(n) => Some(n),
                None => {
                    let d = inner.ec2.describe_launch_templates().launch_template_ids(id).send().await.map_err(|e| api_err(what, e))?;
                    d.launch_templates().first().and_then(|t| t.latest_version_number())
                }
            };
            if let Some(n) = number {
                inner.ec2.modify_launch_template().launch_template_id(id).default_version(n.to_string()).send().await.map_err(|e| api_err(what, e))?;
            }
        }
    }
    sync_tags(inner, what, id, current, planned).await?;
    read_template(inner, id, planned)
        .await?
        .ok_or_else(|| ProviderError::Api { code: "InvalidLaunchTemplateId.NotFound".into(), message: format!("{what}: {id} disappeared") })
}

// ------------------------------------------------------------------ dispatch

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    match ty {
        ROUTE => read_route(inner, state).await,
        SECURITY_GROUP_RULE => read_legacy_rule(inner, state).await,
        _ => {
            let Some(id) = get_str(state, "id") else { return Ok(None) };
            match ty {
                EIP => read_eip(inner, id, state).await,
                NAT_GATEWAY => read_nat(inner, id, state).await,
                VPC_SG_INGRESS_RULE | VPC_SG_EGRESS_RULE => read_vpc_rule(inner, ty, id, state).await,
                LAUNCH_TEMPLATE => read_template(inner, id, state).await,
                _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
            }
        }
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    match ty {
        EIP => create_eip(inner, planned, ctx).await,
        NAT_GATEWAY => create_nat(inner, planned, ctx).await,
        ROUTE => create_route(inner, planned, ctx).await,
        SECURITY_GROUP_RULE => create_legacy_rule(inner, planned, ctx).await,
        VPC_SG_INGRESS_RULE | VPC_SG_EGRESS_RULE => create_vpc_rule(inner, ty, planned, ctx).await,
        LAUNCH_TEMPLATE => create_template(inner, planned, ctx).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = get_str(prior, "id").unwrap_or_default();
    match ty {
        EIP => {
            converge_eip(inner, addr, id, prior, planned).await?;
            read_eip(inner, id, planned)
                .await?
                .ok_or_else(|| ProviderError::Api { code: "InvalidAllocationID.NotFound".into(), message: format!("{addr}: {id} disappeared") })
        }
        NAT_GATEWAY => {
            sync_tags(inner, addr, id, prior, planned).await?;
            read_nat(inner, id, planned)
                .await?
                .ok_or_else(|| ProviderError::Api { code: "NatGatewayNotFound".into(), message: format!("{addr}: {id} disappeared") })
        }
        ROUTE => update_route(inner, addr, planned).await,
        SECURITY_GROUP_RULE => update_legacy_rule(inner, addr, planned).await,
        VPC_SG_INGRESS_RULE | VPC_SG_EGRESS_RULE => converge_vpc_rule(inner, ty, addr, id, prior, planned).await,
        LAUNCH_TEMPLATE => converge_template(inner, addr, id, prior, planned).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    match ty {
        EIP => delete_eip(inner, addr, prior).await,
        NAT_GATEWAY => delete_nat(inner, addr, prior).await,
        ROUTE => delete_route(inner, addr, prior).await,
        SECURITY_GROUP_RULE => delete_legacy_rule(inner, addr, prior).await,
        VPC_SG_INGRESS_RULE | VPC_SG_EGRESS_RULE => delete_vpc_rule(inner, ty, addr, prior).await,
        LAUNCH_TEMPLATE => {
            let Some(id) = get_str(prior, "id") else { return Ok(()) };
            match inner.ec2.delete_launch_template().launch_template_id(id).send().await.map_err(|e| api_err(addr, e)) {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            }
        }
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let empty = Value::map::<&str>([]);
    match ty {
        EIP => read_eip(inner, id, &empty).await,
        NAT_GATEWAY => read_nat(inner, id, &empty).await,
        VPC_SG_INGRESS_RULE | VPC_SG_EGRESS_RULE => read_vpc_rule(inner, ty, id, &empty).await,
        LAUNCH_TEMPLATE => read_template(inner, id, &empty).await,
        ROUTE => match id.split_once('_') {
            Some((rtb, dest)) => {
                let kind = if dest.starts_with("pl-") {
                    "destination_prefix_list_id"
                } else if dest.contains(':') {
                    "destination_ipv6_cidr_block"
                } else {
                    "destination_cidr_block"
                };
                read_route(inner, &Value::map([("route_table_id", Value::string(rtb)), (kind, Value::string(dest))])).await
            }
            None => Err(ProviderError::Invalid(format!("aws_route import id {id:?} must be ROUTETABLEID_DESTINATION"))),
        },
        _ => Err(ProviderError::Invalid(format!("{ty} cannot be imported by id"))),
    }
}
