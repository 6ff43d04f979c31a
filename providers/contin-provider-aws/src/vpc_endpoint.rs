//! `aws_vpc_endpoint` and the `aws_vpc_endpoint_service` data source (EC2).
//!
//! An endpoint's route tables, subnets, security groups, policy, private DNS
//! and DNS options change in place (ModifyVpcEndpoint); its VPC, service and
//! type replace it. Creates wait until the endpoint leaves `pending`,
//! deletes until it is gone. Crash safety: the endpoint carries the
//! bookkeeping tags from creation (and a `ClientToken`); a re-run adopts it.
//! `policy` is compared by meaning (like IAM documents).

use crate::network::sync_tags;
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::{
    DnsOptionsSpecification, DnsRecordIpType, Filter, IpAddressType, ResourceType, SubnetConfiguration, VpcEndpoint, VpcEndpointType,
};
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, OpContext, PlannedChange, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const VPC_ENDPOINT: &str = "aws_vpc_endpoint";
pub const VPC_ENDPOINT_SERVICE: &str = "aws_vpc_endpoint_service";

const TYPES: &[&str] = &["Gateway", "Interface", "GatewayLoadBalancer", "Resource", "ServiceNetwork"];

fn s() -> T {
    T::String
}
fn set_s() -> T {
    T::Set(Box::new(T::String))
}

pub fn schema() -> BlockSchema {
    let dns = BlockSchema::default()
        .attr("dns_record_ip_type", A::optional_computed(s()).describe("ipv4, dualstack, ipv6 or service-defined"))
        .attr("private_dns_only_for_inbound_resolver_endpoint", A::optional_computed(T::Bool));
    let subnet_cfg = BlockSchema::default().attr("ipv4", A::optional_computed(s())).attr("ipv6", A::optional_computed(s())).attr("subnet_id", A::optional(s()));
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("service_name", A::optional(s()).force_new())
        .attr("vpc_endpoint_type", A::optional_computed(s()).force_new().describe("Gateway (default), Interface, GatewayLoadBalancer, …"))
        .attr("service_region", A::optional_computed(s()).force_new())
        .attr("resource_configuration_arn", A::optional(s()).force_new())
        .attr("service_network_arn", A::optional(s()).force_new())
        .attr("auto_accept", A::optional(T::Bool))
        .attr("policy", A::optional_computed(s()).describe("JSON; compared by meaning"))
        .attr("private_dns_enabled", A::optional_computed(T::Bool))
        .attr("ip_address_type", A::optional_computed(s()))
        .attr("route_table_ids", A::optional_computed(set_s()))
        .attr("subnet_ids", A::optional_computed(set_s()))
        .attr("security_group_ids", A::optional_computed(set_s()))
        .attr("tags", A::optional(T::Map(Box::new(s()))))
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("state", A::computed(s()))
        .attr("requester_managed", A::computed(T::Bool))
        .attr("network_interface_ids", A::computed(set_s()))
        .attr("dns_entry", A::computed(T::List(Box::new(T::Map(Box::new(s()))))))
        .attr("cidr_blocks", A::computed(T::List(Box::new(s()))))
        .attr("prefix_list_id", A::computed(s()))
        .block("dns_options", NestedBlockSchema { nesting: Nesting::List, block: dns, min_items: 0, max_items: Some(1), force_new: false })
        .block("subnet_configuration", NestedBlockSchema { nesting: Nesting::Set, block: subnet_cfg, min_items: 0, max_items: None, force_new: false })
}

pub fn service_schema() -> BlockSchema {
    let filter = BlockSchema::default().attr("name", A::required(s())).attr("values", A::required(set_s()));
    BlockSchema::default()
        .attr("service", A::optional(s()).describe("short name, e.g. s3 (com.amazonaws.REGION.SERVICE)"))
        .attr("service_name", A::optional_computed(s()))
        .attr("service_type", A::optional_computed(s()))
        .attr("service_regions", A::optional(set_s()))
        .attr("tags", A::optional_computed(T::Map(Box::new(s()))))
        .attr("id", A::computed(s()))
        .attr("service_id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("acceptance_required", A::computed(T::Bool))
        .attr("availability_zones", A::computed(set_s()))
        .attr("base_endpoint_dns_names", A::computed(set_s()))
        .attr("manages_vpc_endpoints", A::computed(T::Bool))
        .attr("owner", A::computed(s()))
        .attr("private_dns_name", A::computed(s()))
        .attr("private_dns_names", A::computed(T::List(Box::new(s()))))
        .attr("supported_ip_address_types", A::computed(set_s()))
        .attr("vpc_endpoint_policy_supported", A::computed(T::Bool))
        .block("filter", NestedBlockSchema { nesting: Nesting::Set, block: filter, min_items: 0, max_items: None, force_new: false })
}

pub(crate) fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if ty == VPC_ENDPOINT {
        if let Some(t) = get_str(cfg, "vpc_endpoint_type") {
            if !TYPES.contains(&t) {
                d.push(Diagnostic::error(format!("vpc_endpoint_type: {t:?} is not one of {}", TYPES.join(", "))));
            }
        }
        if let Some(p) = get_str(cfg, "policy") {
            if serde_json::from_str::<serde_json::Value>(p).is_err() {
                d.push(Diagnostic::error("policy: not valid JSON"));
            }
        }
    }
    if ty == VPC_ENDPOINT_SERVICE && get(cfg, "service").is_some_and(|v| !v.is_null()) && get(cfg, "service_name").is_some_and(|v| !v.is_null()) {
        d.push(Diagnostic::error("service: conflicts with service_name"));
    }
    d
}

/// The planned policy keeps the prior spelling when it means the same.
pub(crate) fn adjust(ty: &str, prior: Option<&Value>, change: &mut PlannedChange) {
    let (VPC_ENDPOINT, Some(prior)) = (ty, prior) else { return };
    if let (Some(old), Some(new), Value::Map(m)) = (get_str(prior, "policy"), get_str(&change.planned, "policy").map(String::from), &mut change.planned) {
        if old != new && crate::policy::equivalent(old, &new) {
            m.insert("policy".into(), Value::string(old));
        }
    }
}

/// The endpoint state, lower-cased: EC2 answers "available" although its
/// API model spells the values "Available" (Terraform compares lower case).
fn state_of(e: &VpcEndpoint) -> Option<String> {
    e.state().map(|s| s.as_str().to_ascii_lowercase())
}

fn gone_state(e: &VpcEndpoint) -> bool {
    matches!(state_of(e).as_deref(), Some("deleted" | "deleting"))
}

fn strs(v: &Value, name: &str) -> BTreeSet<String> {
    get_strs(v, name).into_iter().collect()
}

async fn describe(inner: &Inner, what: &str, id: &str) -> Result<Option<VpcEndpoint>, ProviderError> {
    match inner.ec2.describe_vpc_endpoints().vpc_endpoint_ids(id).send().await.map_err(|e| api_err(what, e)) {
        Ok(o) => Ok(o.vpc_endpoints().first().filter(|e| !gone_state(e)).cloned()),
        Err(e) if is_code(&e, "InvalidVpcEndpointId.NotFound") || is_code(&e, "InvalidVpcEndpoint.NotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

fn set_value(items: impl IntoIterator<Item = String>) -> Value {
    Value::set(items.into_iter().map(Value::String).collect())
}

async fn read_id(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{VPC_ENDPOINT} {id}");
    let Some(e) = describe(inner, &what, id).await? else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("vpc_id".into(), opt_string(e.vpc_id()));
    m.insert("service_name".into(), opt_string(e.service_name()));
    m.insert("vpc_endpoint_type".into(), opt_string(e.vpc_endpoint_type().map(VpcEndpointType::as_str)));
    m.insert("service_region".into(), opt_string(e.service_region()));
    m.insert("resource_configuration_arn".into(), opt_string(e.resource_configuration_arn()));
    m.insert("service_network_arn".into(), opt_string(e.service_network_arn()));
    m.insert("auto_accept".into(), get(shape, "auto_accept").cloned().unwrap_or(Value::Null));
    // Keep the configured spelling of a policy that means the same.
    let live_policy = e.policy_document().map(String::from);
    let policy = match (get_str(shape, "policy"), live_policy.as_deref()) {
        (Some(mine), Some(live)) if crate::policy::equivalent(mine, live) => Value::string(mine),
        (_, live) => opt_string(live),
    };
    m.insert("policy".into(), policy);
    m.insert("private_dns_enabled".into(), Value::Bool(e.private_dns_enabled().unwrap_or(false)));
    m.insert("ip_address_type".into(), opt_string(e.ip_address_type().map(IpAddressType::as_str)));
    m.insert("route_table_ids".into(), set_value(e.route_table_ids().iter().cloned()));
    m.insert("subnet_ids".into(), set_value(e.subnet_ids().iter().cloned()));
    m.insert("security_group_ids".into(), set_value(e.groups().iter().filter_map(|g| g.group_id().map(String::from))));
    m.insert("network_interface_ids".into(), set_value(e.network_interface_ids().iter().cloned()));
    m.insert("owner_id".into(), opt_string(e.owner_id()));
    m.insert("state".into(), opt_string(state_of(&e).as_deref()));
    m.insert("requester_managed".into(), Value::Bool(e.requester_managed().unwrap_or(false)));
    m.insert(
        "dns_entry".into(),
        Value::List(
            e.dns_entries()
                .iter()
                .map(|d| Value::map([("dns_name", opt_string(d.dns_name())), ("hosted_zone_id", opt_string(d.hosted_zone_id()))]))
                .collect(),
        ),
    );
    let dns = e.dns_options().map(|o| {
        Value::map([
            ("dns_record_ip_type", opt_string(o.dns_record_ip_type().map(DnsRecordIpType::as_str))),
            ("private_dns_only_for_inbound_resolver_endpoint", o.private_dns_only_for_inbound_resolver_endpoint().map_or(Value::Null, Value::Bool)),
        ])
    });
    let configured_dns = !get_blocks(shape, "dns_options").is_empty();
    m.insert("dns_options".into(), Value::List(dns.filter(|_| configured_dns).into_iter().collect()));
    m.insert("subnet_configuration".into(), get(shape, "subnet_configuration").cloned().unwrap_or(Value::Null));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:vpc-endpoint/{id}", inner.region, e.owner_id().unwrap_or(""))));
    // A gateway endpoint's prefix list (route destinations) and its CIDRs.
    let (mut pl_id, mut cidrs) = (Value::Null, Vec::new());
    if e.vpc_endpoint_type() == Some(&VpcEndpointType::Gateway) {
        if let Some(service) = e.service_name() {
            let f = Filter::builder().name("prefix-list-name").values(service).build();
            if let Ok(o) = inner.ec2.describe_prefix_lists().filters(f).send().await {
                if let Some(p) = o.prefix_lists().first() {
                    pl_id = opt_string(p.prefix_list_id());
                    cidrs = p.cidrs().to_vec();
                }
            }
        }
    }
    m.insert("prefix_list_id".into(), pl_id);
    m.insert("cidr_blocks".into(), str_list(cidrs));
    m.insert("tags".into(), tags_value(e.tags(), &inner.default_tags, shape));
    Ok(Some(complete(&schema(), m)))
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    match get_str(state, "id") {
        Some(id) => read_id(inner, id, state).await,
        None => Ok(None),
    }
}

fn dns_spec(v: &Value) -> Option<DnsOptionsSpecification> {
    let d = *get_blocks(v, "dns_options").first()?;
    Some(
        DnsOptionsSpecification::builder()
            .set_dns_record_ip_type(get_str(d, "dns_record_ip_type").map(DnsRecordIpType::from))
            .set_private_dns_only_for_inbound_resolver_endpoint(get_bool(d, "private_dns_only_for_inbound_resolver_endpoint"))
            .build(),
    )
}

fn subnet_configs(v: &Value) -> Option<Vec<SubnetConfiguration>> {
    let items: Vec<SubnetConfiguration> = get_blocks(v, "subnet_configuration")
        .into_iter()
        .map(|c| {
            SubnetConfiguration::builder()
                .set_subnet_id(get_str(c, "subnet_id").map(String::from))
                .set_ipv4(get_str(c, "ipv4").map(String::from))
                .set_ipv6(get_str(c, "ipv6").map(String::from))
                .build()
        })
        .collect();
    (!items.is_empty()).then_some(items)
}

/// Polls until the endpoint has left `pending` (or is gone, when `gone`).
async fn wait(inner: &Inner, what: &str, id: &str, gone: bool) -> Result<(), ProviderError> {
    let mut backoff = Backoff::new();
    loop {
        let e = describe(inner, what, id).await?;
        match (gone, e.as_ref().and_then(state_of).as_deref()) {
            (true, None) => return Ok(()),
            (false, Some("available" | "pendingacceptance")) => return Ok(()),
            (false, None | Some("failed" | "rejected" | "expired")) => {
                let why = e.as_ref().and_then(|e| e.last_error()).and_then(|l| l.message()).unwrap_or("no reason given");
                return Err(ProviderError::Api { code: "VpcEndpointFailed".into(), message: format!("{what}: endpoint {id} failed: {why}") });
            }
            _ => {}
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!("{what}: timed out waiting for endpoint {id}")));
        }
    }
}

pub(crate) async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let found = inner.ec2.describe_vpc_endpoints().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(what, e))?;
    let adopted = found
        .vpc_endpoints()
        .iter()
        .find(|e| !matches!(state_of(e).as_deref(), Some("deleted" | "deleting" | "failed" | "rejected")))
        .and_then(|e| e.vpc_endpoint_id().map(String::from));
    let id = match adopted {
        Some(id) => id,
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let t = |n: &str| get_str(planned, n).map(String::from);
            let list = |n: &str| {
                let v = get_strs(planned, n);
                (!v.is_empty()).then_some(v)
            };
            let o = inner
                .ec2
                .create_vpc_endpoint()
                .set_vpc_id(t("vpc_id"))
                .set_service_name(t("service_name"))
                .set_vpc_endpoint_type(Some(VpcEndpointType::from(get_str(planned, "vpc_endpoint_type").unwrap_or("Gateway"))))
                .set_service_region(t("service_region"))
                .set_resource_configuration_arn(t("resource_configuration_arn"))
                .set_service_network_arn(t("service_network_arn"))
                .set_policy_document(t("policy"))
                .set_private_dns_enabled(get_bool(planned, "private_dns_enabled"))
                .set_ip_address_type(t("ip_address_type").map(|x| IpAddressType::from(x.as_str())))
                .set_route_table_ids(list("route_table_ids"))
                .set_subnet_ids(list("subnet_ids"))
                .set_security_group_ids(list("security_group_ids"))
                .set_dns_options(dns_spec(planned))
                .set_subnet_configurations(subnet_configs(planned))
                .client_token(client_token(ctx))
                .tag_specifications(tag_spec(ResourceType::VpcEndpoint, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.vpc_endpoint()
                .and_then(|e| e.vpc_endpoint_id())
                .map(String::from)
                .ok_or_else(|| ProviderError::Failed(format!("{what}: CreateVpcEndpoint returned no id")))?
        }
    };
    wait(inner, what, &id, false).await?;
    let current = read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    converge(inner, what, &id, &current, planned).await?;
    read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

async fn converge(inner: &Inner, what: &str, id: &str, current: &Value, planned: &Value) -> Result<(), ProviderError> {
    let delta = |n: &str| -> (Option<Vec<String>>, Option<Vec<String>>) {
        // An attribute the configuration leaves out (null) keeps what is there.
        if get(planned, n).is_none_or(Value::is_null) {
            return (None, None);
        }
        let (old, new) = (strs(current, n), strs(planned, n));
        let add: Vec<String> = new.difference(&old).cloned().collect();
        let remove: Vec<String> = old.difference(&new).cloned().collect();
        ((!add.is_empty()).then_some(add), (!remove.is_empty()).then_some(remove))
    };
    let (add_rt, rm_rt) = delta("route_table_ids");
    let (add_sn, rm_sn) = delta("subnet_ids");
    let (add_sg, rm_sg) = delta("security_group_ids");
    let policy_changed = match (get_str(current, "policy"), get_str(planned, "policy")) {
        (Some(a), Some(b)) => !crate::policy::equivalent(a, b),
        (None, Some(_)) => true,
        _ => false,
    };
    let dns_changed = get_bool(planned, "private_dns_enabled").is_some_and(|b| get_bool(current, "private_dns_enabled") != Some(b));
    let opts_changed = !get_blocks(planned, "dns_options").is_empty() && get(planned, "dns_options") != get(current, "dns_options");
    let ip_changed = get_str(planned, "ip_address_type").is_some_and(|t| get_str(current, "ip_address_type") != Some(t));
    let any = [&add_rt, &rm_rt, &add_sn, &rm_sn, &add_sg, &rm_sg].iter().any(|x| x.is_some()) || policy_changed || dns_changed || opts_changed || ip_changed;
    if any {
        inner
            .ec2
            .modify_vpc_endpoint()
            .vpc_endpoint_id(id)
            .set_add_route_table_ids(add_rt)
            .set_remove_route_table_ids(rm_rt)
            .set_add_subnet_ids(add_sn)
            .set_remove_subnet_ids(rm_sn)
            .set_add_security_group_ids(add_sg)
            .set_remove_security_group_ids(rm_sg)
            .set_policy_document(get_str(planned, "policy").filter(|_| policy_changed).map(String::from))
            .set_private_dns_enabled(get_bool(planned, "private_dns_enabled").filter(|_| dns_changed))
            .set_dns_options(dns_spec(planned).filter(|_| opts_changed))
            .set_ip_address_type(get_str(planned, "ip_address_type").filter(|_| ip_changed).map(IpAddressType::from))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    sync_tags(inner, what, id, current, planned).await
}

pub(crate) async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Err(ProviderError::Failed(format!("{addr}: no id in state"))) };
    let current = read_id(inner, id, prior).await?.ok_or_else(|| vanished(addr, id))?;
    converge(inner, addr, id, &current, planned).await?;
    read_id(inner, id, planned).await?.ok_or_else(|| vanished(addr, id))
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    // Already deleted (EC2 keeps showing it as "deleted" for a while): done.
    if describe(inner, addr, id).await?.is_none() {
        return Ok(());
    }
    match inner.ec2.delete_vpc_endpoints().vpc_endpoint_ids(id).send().await.map_err(|e| api_err(addr, e)) {
        Ok(o) => {
            if let Some(failed) = o.unsuccessful().iter().find_map(|u| u.error()) {
                let code = failed.code().unwrap_or("Unknown");
                if !code.starts_with("InvalidVpcEndpoint") {
                    return Err(ProviderError::Api { code: code.to_string(), message: format!("{addr}: {}", failed.message().unwrap_or("(no message)")) });
                }
            }
        }
        Err(e) if is_code(&e, "InvalidVpcEndpointId.NotFound") || is_code(&e, "InvalidVpcEndpoint.NotFound") => return Ok(()),
        Err(e) => return Err(e),
    }
    wait(inner, addr, id, true).await
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_id(inner, id, &Value::map::<&str>([])).await
}

/// `data "aws_vpc_endpoint_service"`: exactly one service matching `service`
/// (`com.amazonaws.REGION.SERVICE`) or `service_name`, and the filters.
pub(crate) async fn service(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = format!("data.{VPC_ENDPOINT_SERVICE}");
    let name = match (get_str(cfg, "service"), get_str(cfg, "service_name")) {
        (Some(sv), _) => Some(format!("com.amazonaws.{}.{sv}", inner.region)),
        (None, Some(n)) => Some(n.to_string()),
        (None, None) => None,
    };
    let mut filters = Vec::new();
    for f in get_blocks(cfg, "filter") {
        if let Some(n) = get_str(f, "name") {
            filters.push(Filter::builder().name(n).set_values(Some(get_strs(f, "values"))).build());
        }
    }
    if let Some(t) = get_str(cfg, "service_type") {
        filters.push(Filter::builder().name("service-type").values(t).build());
    }
    let regions = get_strs(cfg, "service_regions");
    let mut services = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = inner
            .ec2
            .describe_vpc_endpoint_services()
            .set_service_names(name.clone().map(|n| vec![n]))
            .set_filters((!filters.is_empty()).then(|| filters.clone()))
            .set_service_regions((!regions.is_empty()).then(|| regions.clone()))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| api_err(&what, e))?;
        services.extend(out.service_details().iter().cloned());
        token = out.next_token().filter(|t| !t.is_empty()).map(String::from);
        if token.is_none() || services.len() > 10_000 {
            break;
        }
    }
    let svc = match services.as_slice() {
        [one] => one,
        [] => return Err(ProviderError::Failed(format!("{what}: no VPC endpoint service matches the service name and filters"))),
        many => return Err(ProviderError::Failed(format!("{what}: {} services match; make the search match exactly one", many.len()))),
    };
    let mut m = match cfg.unmarked() {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    let sname = svc.service_name().unwrap_or_default().to_string();
    m.insert("id".into(), Value::string(svc.service_id().unwrap_or(&sname)));
    m.insert("service_id".into(), opt_string(svc.service_id()));
    m.insert("service_name".into(), Value::String(sname));
    m.insert("service_type".into(), opt_string(svc.service_type().first().and_then(|t| t.service_type()).map(|t| t.as_str())));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:vpc-endpoint-service/{}", inner.region, svc.owner().unwrap_or(""), svc.service_id().unwrap_or(""))));
    m.insert("acceptance_required".into(), Value::Bool(svc.acceptance_required().unwrap_or(false)));
    m.insert("availability_zones".into(), set_value(svc.availability_zones().iter().cloned()));
    m.insert("base_endpoint_dns_names".into(), set_value(svc.base_endpoint_dns_names().iter().cloned()));
    m.insert("manages_vpc_endpoints".into(), Value::Bool(svc.manages_vpc_endpoints().unwrap_or(false)));
    m.insert("owner".into(), opt_string(svc.owner()));
    m.insert("private_dns_name".into(), opt_string(svc.private_dns_name()));
    m.insert("private_dns_names".into(), str_list(svc.private_dns_names().iter().filter_map(|p| p.private_dns_name().map(String::from))));
    m.insert("supported_ip_address_types".into(), set_value(svc.supported_ip_address_types().iter().map(|t| t.as_str().to_string())));
    m.insert("vpc_endpoint_policy_supported".into(), Value::Bool(svc.vpc_endpoint_policy_supported().unwrap_or(false)));
    m.insert("tags".into(), tags_value(svc.tags(), &BTreeMap::new(), cfg));
    Ok(complete(&service_schema(), m))
}
