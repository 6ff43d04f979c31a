//! The rest of terraform-aws-modules/vpc's EC2 types (see `vpcx.rs`):
//! `aws_vpc_ipv4_cidr_block_association`, `aws_default_vpc`,
//! `aws_vpc_dhcp_options`, `aws_vpc_dhcp_options_association`,
//! `aws_egress_only_internet_gateway`, `aws_customer_gateway`,
//! `aws_vpn_gateway`, `aws_vpn_gateway_attachment`,
//! `aws_vpn_gateway_route_propagation`, `aws_flow_log`,
//! `aws_vpc_block_public_access_options`, `aws_vpc_block_public_access_exclusion`.
//!
//! Crash safety: DHCP option sets, egress-only internet gateways, customer
//! gateways, VPN gateways, flow logs and Block Public Access exclusions carry
//! the bookkeeping tags from creation (TagSpecifications) and are adopted by
//! them; egress-only gateways and flow logs also send a `ClientToken`. The
//! rest have no object of their own and are identified by content: a CIDR
//! association by (VPC, CIDR), a DHCP association and a VPN gateway
//! attachment by (VPC, gateway), a route propagation by (table, gateway), the
//! Block Public Access options by the region; a re-run finds what the first
//! run made. `aws_default_vpc` adopts the region's default VPC (creating it
//! when there is none) and only deletes it with `force_destroy`.
//!
//! Customer and VPN gateways, route propagation, flow logs and Block Public
//! Access live in `vpcx_gw2.rs`.
//!
//! moto 5.2 has no `EnableVgwRoutePropagation`/`DisableVgwRoutePropagation`
//! and no VPC Block Public Access API: those calls follow the EC2 API
//! reference and are tested offline (schema, validation, planning) only.

use crate::network::sync_tags;
use crate::schema::*;
use crate::util::*;
use crate::vpcx::{check_enum, list_block, not_found_is_none, set_live_tags, tags};
use crate::vpcx_gw2;
use crate::Inner;
use aws_sdk_ec2::types::{
    AttachmentStatus, AttributeBooleanValue, Filter, NewDhcpConfiguration, ResourceType, Tag, VpcAttributeName, VpcCidrBlockStateCode,
};
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

fn s() -> T {
    T::String
}
fn list_s() -> T {
    T::List(Box::new(T::String))
}

// ------------------------------------------------------------------ schemas

pub fn vpc_ipv4_cidr_block_association() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("cidr_block", A::optional_computed(s()).force_new())
        .attr("ipv4_ipam_pool_id", A::optional(s()).force_new().describe("not supported by contin yet (validation rejects it)"))
        .attr("ipv4_netmask_length", A::optional(T::Number).force_new().describe("with ipv4_ipam_pool_id only"))
        .attr("id", A::computed(s()))
}

pub fn default_vpc() -> BlockSchema {
    BlockSchema::default()
        .attr("enable_dns_support", A::optional(T::Bool).describe("default true"))
        .attr("enable_dns_hostnames", A::optional(T::Bool).describe("default true"))
        .attr("enable_network_address_usage_metrics", A::optional_computed(T::Bool))
        .attr("force_destroy", A::optional(T::Bool).describe("delete the default VPC on destroy (default: only forget it)"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("cidr_block", A::computed(s()))
        .attr("instance_tenancy", A::computed(s()))
        .attr("dhcp_options_id", A::computed(s()))
        .attr("main_route_table_id", A::computed(s()))
        .attr("default_route_table_id", A::computed(s()))
        .attr("default_network_acl_id", A::computed(s()))
        .attr("default_security_group_id", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("existing_default_vpc", A::computed(T::Bool))
}

/// DHCP option attributes and their EC2 keys; `true` = a list.
const DHCP_KEYS: [(&str, &str, bool); 6] = [
    ("domain_name", "domain-name", false),
    ("domain_name_servers", "domain-name-servers", true),
    ("ntp_servers", "ntp-servers", true),
    ("netbios_name_servers", "netbios-name-servers", true),
    ("netbios_node_type", "netbios-node-type", false),
    ("ipv6_address_preferred_lease_time", "ipv6-address-preferred-lease-time", false),
];

pub fn vpc_dhcp_options() -> BlockSchema {
    let mut b = BlockSchema::default();
    for (name, _, list) in DHCP_KEYS {
        let a = if list { A::optional(list_s()) } else { A::optional(s()) };
        b = b.attr(name, a.force_new());
    }
    b.attr("tags", tags()).attr("id", A::computed(s())).attr("arn", A::computed(s())).attr("owner_id", A::computed(s()))
}

pub fn vpc_dhcp_options_association() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("dhcp_options_id", A::required(s()).describe("\"default\" or an options set id; changed in place"))
        .attr("id", A::computed(s()))
}

pub fn egress_only_internet_gateway() -> BlockSchema {
    BlockSchema::default().attr("vpc_id", A::required(s()).force_new()).attr("tags", tags()).attr("id", A::computed(s()))
}

pub fn customer_gateway() -> BlockSchema {
    BlockSchema::default()
        .attr("bgp_asn", A::optional(s()).force_new().describe("ASN 1-2147483647 (a string, as Terraform)"))
        .attr("bgp_asn_extended", A::optional(s()).force_new().describe("ASN 2147483648-4294967295"))
        .attr("certificate_arn", A::optional(s()).force_new())
        .attr("device_name", A::optional(s()).force_new())
        .attr("ip_address", A::optional(s()).force_new())
        .attr("type", A::required(s()).force_new().describe("ipsec.1"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
}

pub fn vpn_gateway() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::optional_computed(s()).describe("attached VPC; changed in place (detach, attach)"))
        .attr("amazon_side_asn", A::optional_computed(s()).force_new())
        .attr("availability_zone", A::optional(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
}

pub fn vpn_gateway_attachment() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("vpn_gateway_id", A::required(s()).force_new())
        .attr("id", A::computed(s()))
}

pub fn vpn_gateway_route_propagation() -> BlockSchema {
    let timeouts = BlockSchema::default().attr("create", A::optional(s())).attr("delete", A::optional(s()));
    BlockSchema::default()
        .attr("vpn_gateway_id", A::required(s()).force_new())
        .attr("route_table_id", A::required(s()).force_new())
        .attr("id", A::computed(s()))
        .block(
            "timeouts",
            contin_provider::NestedBlockSchema {
                nesting: contin_provider::Nesting::Single,
                block: timeouts,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        )
}

/// The resource a flow log watches: (attribute, API resource type).
pub(crate) const FLOW_LOG_TARGETS: [(&str, &str); 5] = [
    ("vpc_id", "VPC"),
    ("subnet_id", "Subnet"),
    ("eni_id", "NetworkInterface"),
    ("transit_gateway_id", "TransitGateway"),
    ("transit_gateway_attachment_id", "TransitGatewayAttachment"),
];

pub fn flow_log() -> BlockSchema {
    let dest = BlockSchema::default()
        .attr("file_format", A::optional(s()).describe("plain (default) or parquet"))
        .attr("hive_compatible_partitions", A::optional(T::Bool).describe("default false"))
        .attr("per_hour_partition", A::optional(T::Bool).describe("default false"));
    let mut b = BlockSchema::default();
    for (name, _) in FLOW_LOG_TARGETS {
        b = b.attr(name, A::optional(s()).force_new());
    }
    b.attr("traffic_type", A::optional(s()).force_new().describe("ACCEPT, REJECT or ALL"))
        .attr("log_destination_type", A::optional(s()).force_new().describe("cloud-watch-logs (default), s3 or kinesis-data-firehose"))
        .attr("log_destination", A::optional_computed(s()).force_new().describe("ARN of the log group, bucket or stream"))
        .attr("log_group_name", A::optional_computed(s()).force_new().describe("deprecated: use log_destination"))
        .attr("iam_role_arn", A::optional(s()).force_new())
        .attr("deliver_cross_account_role", A::optional(s()).force_new())
        .attr("log_format", A::optional_computed(s()).force_new())
        .attr("max_aggregation_interval", A::optional(T::Number).force_new().describe("60 or 600 (default) seconds"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .block("destination_options", list_block(dest, Some(1), true))
}

pub fn vpc_block_public_access_options() -> BlockSchema {
    BlockSchema::default()
        .attr("internet_gateway_block_mode", A::required(s()).describe("off, block-bidirectional or block-ingress"))
        .attr("id", A::computed(s()))
        .attr("aws_account_id", A::computed(s()))
        .attr("aws_region", A::computed(s()))
}

pub fn vpc_block_public_access_exclusion() -> BlockSchema {
    BlockSchema::default()
        .attr("internet_gateway_exclusion_mode", A::required(s()).describe("allow-bidirectional or allow-egress; changed in place"))
        .attr("vpc_id", A::optional(s()).force_new())
        .attr("subnet_id", A::optional(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("resource_arn", A::computed(s()))
}

pub(crate) fn is_gw(ty: &str) -> bool {
    matches!(
        ty,
        VPC_IPV4_CIDR_BLOCK_ASSOCIATION
            | DEFAULT_VPC
            | VPC_DHCP_OPTIONS
            | VPC_DHCP_OPTIONS_ASSOCIATION
            | EGRESS_ONLY_INTERNET_GATEWAY
            | CUSTOMER_GATEWAY
            | VPN_GATEWAY
            | VPN_GATEWAY_ATTACHMENT
            | VPN_GATEWAY_ROUTE_PROPAGATION
            | FLOW_LOG
            | VPC_BLOCK_PUBLIC_ACCESS_OPTIONS
            | VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION
    )
}

// ----------------------------------------------------------- pure planning

pub(crate) fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())[..16].to_string()
}

fn is_null(m: &BTreeMap<String, Value>, k: &str) -> bool {
    m.get(k).is_none_or(Value::is_null)
}

pub(crate) fn normalize(ty: &str, v: Value) -> Value {
    let Value::Map(mut m) = v else { return v };
    let mut default = |k: &str, d: Value| {
        if is_null(&m, k) {
            m.insert(k.into(), d);
        }
    };
    match ty {
        DEFAULT_VPC => {
            default("enable_dns_support", Value::Bool(true));
            default("enable_dns_hostnames", Value::Bool(true));
            default("force_destroy", Value::Bool(false));
        }
        FLOW_LOG => {
            default("log_destination_type", Value::string("cloud-watch-logs"));
            default("max_aggregation_interval", Value::int(600));
            if let Some(Value::List(items)) = m.get("destination_options") {
                let items = items
                    .iter()
                    .map(|d| match d {
                        Value::Map(dm) => {
                            let mut dm = dm.clone();
                            for (k, v) in [
                                ("file_format", Value::string("plain")),
                                ("hive_compatible_partitions", Value::Bool(false)),
                                ("per_hour_partition", Value::Bool(false)),
                            ] {
                                if is_null(&dm, k) {
                                    dm.insert(k.into(), v);
                                }
                            }
                            Value::Map(dm)
                        }
                        other => other.clone(),
                    })
                    .collect();
                m.insert("destination_options".into(), Value::List(items));
            }
        }
        _ => {}
    }
    Value::Map(m)
}

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    // Known and not null; `maybe`: not a literal null (unknown values may be set).
    let set = |n: &str| get(cfg, n).is_some_and(|v| !v.is_null() && !v.is_unknown());
    let maybe = |n: &str| get(cfg, n).is_some_and(|v| !v.is_null());
    match ty {
        VPC_IPV4_CIDR_BLOCK_ASSOCIATION => {
            if set("ipv4_ipam_pool_id") || set("ipv4_netmask_length") {
                d.push(Diagnostic::error("ipv4_ipam_pool_id: IPAM pools are not supported by contin yet").with_detail("give cidr_block instead"));
            } else if !maybe("cidr_block") {
                d.push(Diagnostic::error("cidr_block: required (contin does not support IPAM pools)"));
            }
            if let Some(c) = get_str(cfg, "cidr_block") {
                if c.parse::<ipnet::Ipv4Net>().map(|n| n.trunc() != n).unwrap_or(true) {
                    d.push(Diagnostic::error(format!("cidr_block: {c:?} is not a valid IPv4 CIDR block")));
                }
            }
        }
        VPC_DHCP_OPTIONS => {
            if get_str(cfg, "netbios_node_type") != Some("") {
                check_enum(cfg, "netbios_node_type", &["1", "2", "4", "8"], d);
            }
            if DHCP_KEYS.iter().all(|(n, _, _)| !maybe(n)) {
                d.push(Diagnostic::error("domain_name, domain_name_servers, ntp_servers, netbios_name_servers, netbios_node_type, ipv6_address_preferred_lease_time: one of these arguments is required"));
            }
        }
        CUSTOMER_GATEWAY => {
            check_enum(cfg, "type", &["ipsec.1"], d);
            if set("bgp_asn") && set("bgp_asn_extended") {
                d.push(Diagnostic::error("bgp_asn_extended: conflicts with bgp_asn"));
            }
            for (n, lo, hi) in [("bgp_asn", 1_i64, 2_147_483_647_i64), ("bgp_asn_extended", 2_147_483_648, 4_294_967_295)] {
                if let Some(v) = get_str(cfg, n) {
                    if !v.parse::<i64>().is_ok_and(|x| (lo..=hi).contains(&x)) {
                        d.push(Diagnostic::error(format!("{n}: {v:?} is not an ASN between {lo} and {hi}")));
                    }
                }
            }
        }
        VPN_GATEWAY => {
            if let Some(v) = get_str(cfg, "amazon_side_asn") {
                if v.parse::<u32>().is_err() {
                    d.push(Diagnostic::error(format!("amazon_side_asn: {v:?} is not an ASN")));
                }
            }
        }
        FLOW_LOG => {
            let given: Vec<&str> = FLOW_LOG_TARGETS.iter().map(|(n, _)| *n).filter(|n| set(n)).collect();
            if given.len() > 1 {
                d.push(Diagnostic::error(format!("{}: conflicts with {}", given[1], given[0])));
            } else if FLOW_LOG_TARGETS.iter().all(|(n, _)| !maybe(n)) {
                d.push(Diagnostic::error(
                    "vpc_id, subnet_id, eni_id, transit_gateway_id, transit_gateway_attachment_id: one of these arguments is required",
                ));
            }
            check_enum(cfg, "traffic_type", &["ACCEPT", "REJECT", "ALL"], d);
            check_enum(cfg, "log_destination_type", &["cloud-watch-logs", "s3", "kinesis-data-firehose"], d);
            if let Some(i) = get_i64(cfg, "max_aggregation_interval") {
                if i != 60 && i != 600 {
                    d.push(Diagnostic::error(format!("max_aggregation_interval: {i} is not 60 or 600")));
                }
            }
            for o in get_blocks(cfg, "destination_options") {
                check_enum(o, "file_format", &["plain", "parquet"], d);
            }
        }
        VPC_BLOCK_PUBLIC_ACCESS_OPTIONS => check_enum(cfg, "internet_gateway_block_mode", &["off", "block-bidirectional", "block-ingress"], d),
        VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION => {
            check_enum(cfg, "internet_gateway_exclusion_mode", &["allow-bidirectional", "allow-egress"], d);
            if set("vpc_id") && set("subnet_id") {
                d.push(Diagnostic::error("subnet_id: conflicts with vpc_id"));
            } else if !maybe("vpc_id") && !maybe("subnet_id") {
                // Unknown-at-plan values may be set: only two nulls are wrong.
                d.push(Diagnostic::error("vpc_id, subnet_id: one of these arguments is required"));
            }
        }
        _ => {}
    }
}

// ------------------------------------------------------------------ shared

pub(crate) fn has_bookkeeping(tags: &[Tag], ctx: &OpContext) -> bool {
    let m = tag_map(tags);
    bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k) == Some(v))
}

pub(crate) fn block_of(ty: &str) -> Result<&'static BlockSchema, ProviderError> {
    resource(ty).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() })
}

pub(crate) fn no_id(what: &str, call: &str) -> ProviderError {
    ProviderError::Failed(format!("{what}: {call} returned no id"))
}

pub(crate) fn ok_if_gone(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    }
}

pub(crate) async fn wait_until<F, Fut>(what: &str, goal: &str, mut done: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, ProviderError>>,
{
    let mut backoff = Backoff::new();
    loop {
        if done().await? {
            return Ok(());
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!("{what}: timed out waiting until {goal}")));
        }
    }
}

/// The account id for ARNs the API does not return, asked of STS once (shared with classic ELB).
pub(crate) async fn account_id(inner: &Inner, what: &str) -> Result<String, ProviderError> {
    if let Some(a) = inner.account_id.get() {
        return Ok(a.clone());
    }
    let o = inner.sts.get_caller_identity().send().await.map_err(|e| api_err(what, e))?;
    let a = o.account().unwrap_or_default().to_string();
    let _ = inner.account_id.set(a.clone());
    Ok(a)
}

// ------------------------------------- aws_vpc_ipv4_cidr_block_association

async fn describe_vpc(inner: &Inner, what: &str, vpc: &str) -> Result<Option<aws_sdk_ec2::types::Vpc>, ProviderError> {
    let o = not_found_is_none(inner.ec2.describe_vpcs().vpc_ids(vpc).send().await.map_err(|e| api_err(what, e)))?;
    Ok(o.and_then(|o| o.vpcs().first().cloned()))
}

fn live_assoc(s: Option<&VpcCidrBlockStateCode>) -> bool {
    matches!(s, Some(VpcCidrBlockStateCode::Associated | VpcCidrBlockStateCode::Associating))
}

async fn read_cidr_assoc(inner: &Inner, id: &str, vpc_hint: Option<&str>) -> Result<Option<Value>, ProviderError> {
    let what = format!("{VPC_IPV4_CIDR_BLOCK_ASSOCIATION} {id}");
    let vpcs = match vpc_hint {
        Some(v) => describe_vpc(inner, &what, v).await?.into_iter().collect::<Vec<_>>(),
        None => inner
            .ec2
            .describe_vpcs()
            .filters(Filter::builder().name("cidr-block-association.association-id").values(id).build())
            .send()
            .await
            .map_err(|e| api_err(&what, e))?
            .vpcs()
            .to_vec(),
    };
    for vpc in &vpcs {
        let found = vpc.cidr_block_association_set().iter().find(|a| a.association_id() == Some(id));
        if let Some(a) = found.filter(|a| live_assoc(a.cidr_block_state().and_then(|s| s.state()))) {
            let mut m = BTreeMap::new();
            m.insert("id".to_string(), Value::string(id));
            m.insert("vpc_id".into(), opt_string(vpc.vpc_id()));
            m.insert("cidr_block".into(), opt_string(a.cidr_block()));
            return Ok(Some(complete(block_of(VPC_IPV4_CIDR_BLOCK_ASSOCIATION)?, m)));
        }
    }
    Ok(None)
}

async fn wait_cidr(inner: &Inner, what: &str, vpc: &str, id: &str, gone: bool) -> Result<(), ProviderError> {
    wait_until(what, if gone { "the CIDR block is disassociated" } else { "the CIDR block is associated" }, || async {
        let v = describe_vpc(inner, what, vpc).await?;
        let state = v.as_ref().and_then(|v| {
            v.cidr_block_association_set()
                .iter()
                .find(|a| a.association_id() == Some(id))
                .and_then(|a| a.cidr_block_state())
                .and_then(|s| s.state())
                .cloned()
        });
        Ok(match state {
            Some(VpcCidrBlockStateCode::Associated) => !gone,
            Some(VpcCidrBlockStateCode::Failed | VpcCidrBlockStateCode::Failing) if !gone => {
                return Err(ProviderError::Api {
                    code: "CidrAssociationFailed".into(),
                    message: format!("{what}: associating the CIDR block with {vpc} failed"),
                })
            }
            None | Some(VpcCidrBlockStateCode::Disassociated) => gone,
            _ => false,
        })
    })
    .await
}

async fn create_cidr_assoc(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let vpc = get_str(planned, "vpc_id").unwrap_or_default();
    let cidr = get_str(planned, "cidr_block").unwrap_or_default();
    let v = describe_vpc(inner, &what, vpc)
        .await?
        .ok_or_else(|| ProviderError::Api { code: "InvalidVpcID.NotFound".into(), message: format!("{what}: VPC {vpc} does not exist") })?;
    // Content identity: the VPC already has this CIDR (from an interrupted run).
    let existing =
        v.cidr_block_association_set().iter().find(|a| a.cidr_block() == Some(cidr) && live_assoc(a.cidr_block_state().and_then(|s| s.state())));
    let id = match existing.and_then(|a| a.association_id()) {
        Some(id) => id.to_string(),
        None => {
            let o = inner.ec2.associate_vpc_cidr_block().vpc_id(vpc).cidr_block(cidr).send().await.map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            o.cidr_block_association().and_then(|a| a.association_id()).map(String::from).ok_or_else(|| no_id(&what, "AssociateVpcCidrBlock"))?
        }
    };
    wait_cidr(inner, &what, vpc, &id, false).await?;
    read_cidr_assoc(inner, &id, Some(vpc)).await?.ok_or_else(|| vanished(&what, &id))
}

async fn delete_cidr_assoc(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(id), Some(vpc)) = (get_str(prior, "id"), get_str(prior, "vpc_id")) else { return Ok(()) };
    ok_if_gone(inner.ec2.disassociate_vpc_cidr_block().association_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
    wait_cidr(inner, addr, vpc, id, true).await
}

// ---------------------------------------------------------- aws_default_vpc

async fn vpc_attr(inner: &Inner, what: &str, id: &str, name: VpcAttributeName) -> Result<Option<bool>, ProviderError> {
    let o = inner.ec2.describe_vpc_attribute().vpc_id(id).attribute(name.clone()).send().await.map_err(|e| api_err(what, e))?;
    let v = match name {
        VpcAttributeName::EnableDnsHostnames => o.enable_dns_hostnames(),
        VpcAttributeName::EnableDnsSupport => o.enable_dns_support(),
        _ => o.enable_network_address_usage_metrics(),
    };
    Ok(v.and_then(|b| b.value()))
}

async fn read_default_vpc(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{DEFAULT_VPC} {id}");
    let Some(v) = describe_vpc(inner, &what, id).await? else { return Ok(None) };
    let by_vpc = |name: &str| Filter::builder().name(name).values(id).build();
    let rt = inner
        .ec2
        .describe_route_tables()
        .filters(by_vpc("vpc-id"))
        .filters(Filter::builder().name("association.main").values("true").build())
        .send()
        .await
        .map_err(|e| api_err(&what, e))?;
    let acl = inner
        .ec2
        .describe_network_acls()
        .filters(by_vpc("vpc-id"))
        .filters(Filter::builder().name("default").values("true").build())
        .send()
        .await
        .map_err(|e| api_err(&what, e))?;
    let sg = inner
        .ec2
        .describe_security_groups()
        .filters(by_vpc("vpc-id"))
        .filters(Filter::builder().name("group-name").values("default").build())
        .send()
        .await
        .map_err(|e| api_err(&what, e))?;
    let main_rt = rt.route_tables().first().and_then(|r| r.route_table_id());
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:vpc/{id}", inner.region, v.owner_id().unwrap_or(""))));
    m.insert("cidr_block".into(), opt_string(v.cidr_block()));
    m.insert("instance_tenancy".into(), opt_string(v.instance_tenancy().map(|t| t.as_str())));
    m.insert("dhcp_options_id".into(), opt_string(v.dhcp_options_id()));
    m.insert("main_route_table_id".into(), opt_string(main_rt));
    m.insert("default_route_table_id".into(), opt_string(main_rt));
    m.insert("default_network_acl_id".into(), opt_string(acl.network_acls().first().and_then(|a| a.network_acl_id())));
    m.insert("default_security_group_id".into(), opt_string(sg.security_groups().first().and_then(|g| g.group_id())));
    m.insert("owner_id".into(), opt_string(v.owner_id()));
    m.insert(
        "existing_default_vpc".into(),
        get(shape, "existing_default_vpc").filter(|x| !x.is_null() && !x.is_unknown()).cloned().unwrap_or(Value::Bool(true)),
    );
    m.insert("force_destroy".into(), get(shape, "force_destroy").cloned().unwrap_or(Value::Bool(false)));
    for (name, attr) in [
        ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
        ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
        ("enable_network_address_usage_metrics", VpcAttributeName::EnableNetworkAddressUsageMetrics),
    ] {
        m.insert(name.into(), vpc_attr(inner, &what, id, attr).await?.map_or(Value::Null, Value::Bool));
    }
    m.insert("tags".into(), tags_value(v.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block_of(DEFAULT_VPC)?, m)))
}

async fn converge_default_vpc(inner: &Inner, what: &str, id: &str, shape: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let current = read_default_vpc(inner, id, shape).await?.ok_or_else(|| vanished(what, id))?;
    for (name, attr) in [
        ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
        ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
        ("enable_network_address_usage_metrics", VpcAttributeName::EnableNetworkAddressUsageMetrics),
    ] {
        let Some(want) = get_bool(planned, name) else { continue };
        if get_bool(&current, name) == Some(want) {
            continue;
        }
        let b = AttributeBooleanValue::builder().value(want).build();
        let call = inner.ec2.modify_vpc_attribute().vpc_id(id);
        let call = match attr {
            VpcAttributeName::EnableDnsSupport => call.enable_dns_support(b),
            VpcAttributeName::EnableDnsHostnames => call.enable_dns_hostnames(b),
            _ => call.enable_network_address_usage_metrics(b),
        };
        call.send().await.map_err(|e| api_err(what, e))?;
    }
    let v = describe_vpc(inner, what, id).await?.ok_or_else(|| vanished(what, id))?;
    set_live_tags(inner, what, id, v.tags(), planned).await?;
    read_default_vpc(inner, id, planned).await?.ok_or_else(|| vanished(what, id))
}

async fn create_default_vpc(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let o =
        inner.ec2.describe_vpcs().filters(Filter::builder().name("isDefault").values("true").build()).send().await.map_err(|e| api_err(&what, e))?;
    let (id, existing) = match o.vpcs().first().and_then(|v| v.vpc_id()) {
        Some(id) => (id.to_string(), true),
        None => {
            let c = inner.ec2.create_default_vpc().send().await.map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            (c.vpc().and_then(|v| v.vpc_id()).map(String::from).ok_or_else(|| no_id(&what, "CreateDefaultVpc"))?, false)
        }
    };
    let mut planned = planned.clone();
    if let Value::Map(m) = &mut planned {
        m.insert("existing_default_vpc".into(), Value::Bool(existing));
    }
    converge_default_vpc(inner, &what, &id, &planned, &planned).await
}

async fn delete_default_vpc(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    // Terraform semantics: without force_destroy the default VPC is only forgotten.
    if get_bool(prior, "force_destroy") != Some(true) {
        return Ok(());
    }
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    delete_with_retry(|| async { inner.ec2.delete_vpc().vpc_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
}

// ----------------------------------------------------- aws_vpc_dhcp_options

async fn read_dhcp(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{VPC_DHCP_OPTIONS} {id}");
    let o = not_found_is_none(inner.ec2.describe_dhcp_options().dhcp_options_ids(id).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(d) = o.as_ref().and_then(|o| o.dhcp_options().first()) else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    let owner = match d.owner_id() {
        Some(o) => o.to_string(),
        None => account_id(inner, &what).await?,
    };
    m.insert("owner_id".into(), Value::string(&owner));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{owner}:dhcp-options/{id}", inner.region)));
    for (name, key, list) in DHCP_KEYS {
        let values: Vec<String> = d
            .dhcp_configurations()
            .iter()
            .filter(|c| c.key() == Some(key))
            .flat_map(|c| c.values())
            .filter_map(|v| v.value())
            .map(String::from)
            .collect();
        let v = match (list, values.first()) {
            (_, None) => Value::Null,
            (true, Some(_)) => str_list(values.clone()),
            (false, Some(first)) => Value::String(first.clone()),
        };
        m.insert(name.into(), v);
    }
    m.insert("tags".into(), tags_value(d.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block_of(VPC_DHCP_OPTIONS)?, m)))
}

async fn create_dhcp(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let found = inner.ec2.describe_dhcp_options().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(&what, e))?;
    let id = match found.dhcp_options().first().and_then(|d| d.dhcp_options_id()) {
        Some(id) => id.to_string(),
        None => {
            let mut call = inner.ec2.create_dhcp_options();
            for (name, key, list) in DHCP_KEYS {
                let values: Vec<String> =
                    if list { get_strs(planned, name) } else { get_str(planned, name).filter(|v| !v.is_empty()).map(String::from).into_iter().collect() };
                if !values.is_empty() {
                    call = call.dhcp_configurations(NewDhcpConfiguration::builder().key(key).set_values(Some(values)).build());
                }
            }
            let tags = effective_tags(&inner.default_tags, planned);
            let o = call.tag_specifications(tag_spec(ResourceType::DhcpOptions, &tags, ctx)).send().await.map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            o.dhcp_options().and_then(|d| d.dhcp_options_id()).map(String::from).ok_or_else(|| no_id(&what, "CreateDhcpOptions"))?
        }
    };
    // Some EC2 implementations (moto) drop TagSpecifications here: make sure
    // the bookkeeping tags are on the set before anything else can fail.
    let o = inner.ec2.describe_dhcp_options().dhcp_options_ids(&id).send().await.map_err(|e| api_err(&what, e))?;
    if !o.dhcp_options().first().is_some_and(|d| has_bookkeeping(d.tags(), ctx)) {
        let tags: Vec<Tag> = bookkeeping_tags(ctx).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        inner.ec2.create_tags().resources(&id).set_tags(Some(tags)).send().await.map_err(|e| api_err(&what, e))?;
    }
    let current = read_dhcp(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))?;
    sync_tags(inner, &what, &id, &current, planned).await?;
    read_dhcp(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))
}

async fn delete_dhcp(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    // VPCs still using the set go back to the default options first, as Terraform does.
    let vpcs =
        inner.ec2.describe_vpcs().filters(Filter::builder().name("dhcp-options-id").values(id).build()).send().await.map_err(|e| api_err(addr, e))?;
    for vpc in vpcs.vpcs().iter().filter_map(|v| v.vpc_id()) {
        inner.ec2.associate_dhcp_options().vpc_id(vpc).dhcp_options_id("default").send().await.map_err(|e| api_err(addr, e))?;
    }
    delete_with_retry(|| async { inner.ec2.delete_dhcp_options().dhcp_options_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
}

// ----------------------------------------- aws_vpc_dhcp_options_association

async fn read_dhcp_assoc(inner: &Inner, vpc: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{VPC_DHCP_OPTIONS_ASSOCIATION} {vpc}");
    let Some(v) = describe_vpc(inner, &what, vpc).await? else { return Ok(None) };
    let live = v.dhcp_options_id().unwrap_or("default");
    // Back on the default options while the state says otherwise: the association is gone.
    if live == "default" && get_str(shape, "dhcp_options_id").is_some_and(|d| d != "default") {
        return Ok(None);
    }
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(format!("{live}-{vpc}")));
    m.insert("vpc_id".into(), Value::string(vpc));
    m.insert("dhcp_options_id".into(), Value::string(live));
    Ok(Some(complete(block_of(VPC_DHCP_OPTIONS_ASSOCIATION)?, m)))
}

async fn put_dhcp_assoc(inner: &Inner, what: &str, planned: &Value) -> Result<Value, ProviderError> {
    let vpc = get_str(planned, "vpc_id").unwrap_or_default();
    let dopt = get_str(planned, "dhcp_options_id").unwrap_or_default();
    inner.ec2.associate_dhcp_options().vpc_id(vpc).dhcp_options_id(dopt).send().await.map_err(|e| api_err(what, e))?;
    read_dhcp_assoc(inner, vpc, planned).await?.ok_or_else(|| vanished(what, vpc))
}

// --------------------------------------- aws_egress_only_internet_gateway

async fn read_eigw(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{EGRESS_ONLY_INTERNET_GATEWAY} {id}");
    let o = not_found_is_none(
        inner.ec2.describe_egress_only_internet_gateways().egress_only_internet_gateway_ids(id).send().await.map_err(|e| api_err(&what, e)),
    )?;
    let Some(g) = o.as_ref().and_then(|o| o.egress_only_internet_gateways().first()) else { return Ok(None) };
    let vpc = g
        .attachments()
        .iter()
        .find(|a| !matches!(a.state(), Some(AttachmentStatus::Detached | AttachmentStatus::Detaching)))
        .and_then(|a| a.vpc_id());
    let Some(vpc) = vpc else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("vpc_id".into(), Value::string(vpc));
    m.insert("tags".into(), tags_value(g.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block_of(EGRESS_ONLY_INTERNET_GATEWAY)?, m)))
}

async fn create_eigw(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let found =
        inner.ec2.describe_egress_only_internet_gateways().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(&what, e))?;
    let id = match found.egress_only_internet_gateways().first().and_then(|g| g.egress_only_internet_gateway_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_egress_only_internet_gateway()
                .set_vpc_id(get_str(planned, "vpc_id").map(String::from))
                .client_token(client_token(ctx))
                .tag_specifications(tag_spec(ResourceType::EgressOnlyInternetGateway, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            o.egress_only_internet_gateway()
                .and_then(|g| g.egress_only_internet_gateway_id())
                .map(String::from)
                .ok_or_else(|| no_id(&what, "CreateEgressOnlyInternetGateway"))?
        }
    };
    let current = read_eigw(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))?;
    sync_tags(inner, &what, &id, &current, planned).await?;
    read_eigw(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))
}

// ------------------------------------------------------------------ dispatch

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    match ty {
        VPN_GATEWAY_ATTACHMENT => return vpcx_gw2::read_vgw_attachment(inner, state).await,
        VPN_GATEWAY_ROUTE_PROPAGATION => return vpcx_gw2::read_propagation(inner, state).await,
        VPC_BLOCK_PUBLIC_ACCESS_OPTIONS => {
            // "off" is the absence of the resource.
            return Ok(vpcx_gw2::read_bpa_options(inner).await?.filter(|v| {
                get_str(v, "internet_gateway_block_mode") != Some("off") || get_str(state, "internet_gateway_block_mode") == Some("off")
            }));
        }
        VPC_DHCP_OPTIONS_ASSOCIATION => {
            let Some(vpc) = get_str(state, "vpc_id") else { return Ok(None) };
            return read_dhcp_assoc(inner, vpc, state).await;
        }
        _ => {}
    }
    let Some(id) = get_str(state, "id") else { return Ok(None) };
    match ty {
        VPC_IPV4_CIDR_BLOCK_ASSOCIATION => read_cidr_assoc(inner, id, get_str(state, "vpc_id")).await,
        DEFAULT_VPC => read_default_vpc(inner, id, state).await,
        VPC_DHCP_OPTIONS => read_dhcp(inner, id, state).await,
        EGRESS_ONLY_INTERNET_GATEWAY => read_eigw(inner, id, state).await,
        CUSTOMER_GATEWAY => vpcx_gw2::read_cgw(inner, id, state).await,
        VPN_GATEWAY => vpcx_gw2::read_vgw(inner, id, state).await,
        FLOW_LOG => vpcx_gw2::read_flow_log(inner, id, state).await,
        VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION => vpcx_gw2::read_exclusion(inner, id, state).await,
        _ => Err(unsupported(ty)),
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    match ty {
        VPC_IPV4_CIDR_BLOCK_ASSOCIATION => create_cidr_assoc(inner, planned, ctx).await,
        DEFAULT_VPC => create_default_vpc(inner, planned, ctx).await,
        VPC_DHCP_OPTIONS => create_dhcp(inner, planned, ctx).await,
        VPC_DHCP_OPTIONS_ASSOCIATION => {
            // Content identity: associating the same set again is a no-op for EC2.
            let v = put_dhcp_assoc(inner, &what, planned).await?;
            kill_hook(ctx);
            Ok(v)
        }
        EGRESS_ONLY_INTERNET_GATEWAY => create_eigw(inner, planned, ctx).await,
        CUSTOMER_GATEWAY => vpcx_gw2::create_cgw(inner, planned, ctx).await,
        VPN_GATEWAY => vpcx_gw2::create_vgw(inner, planned, ctx).await,
        VPN_GATEWAY_ATTACHMENT => {
            if let Some(v) = vpcx_gw2::read_vgw_attachment(inner, planned).await? {
                return Ok(v);
            }
            let (vpc, vgw) = (get_str(planned, "vpc_id").unwrap_or_default(), get_str(planned, "vpn_gateway_id").unwrap_or_default());
            inner.ec2.attach_vpn_gateway().vpn_gateway_id(vgw).vpc_id(vpc).send().await.map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            vpcx_gw2::wait_vgw_attachment(inner, &what, vgw, vpc, true).await?;
            vpcx_gw2::read_vgw_attachment(inner, planned).await?.ok_or_else(|| vanished(&what, &vpcx_gw2::vgw_attachment_id(vpc, vgw)))
        }
        VPN_GATEWAY_ROUTE_PROPAGATION => {
            if let Some(v) = vpcx_gw2::read_propagation(inner, planned).await? {
                return Ok(v);
            }
            let (rt, vgw) = (get_str(planned, "route_table_id").unwrap_or_default(), get_str(planned, "vpn_gateway_id").unwrap_or_default());
            inner.ec2.enable_vgw_route_propagation().route_table_id(rt).gateway_id(vgw).send().await.map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            wait_until(&what, "the route propagation shows", || async { Ok(vpcx_gw2::read_propagation(inner, planned).await?.is_some()) }).await?;
            vpcx_gw2::read_propagation(inner, planned).await?.ok_or_else(|| vanished(&what, &format!("{rt}_{vgw}")))
        }
        FLOW_LOG => vpcx_gw2::create_flow_log(inner, planned, ctx).await,
        VPC_BLOCK_PUBLIC_ACCESS_OPTIONS => {
            // One per account and region: the region's options are adopted.
            vpcx_gw2::put_bpa_options(inner, &what, get_str(planned, "internet_gateway_block_mode").unwrap_or("off")).await?;
            kill_hook(ctx);
            vpcx_gw2::read_bpa_options(inner).await?.ok_or_else(|| vanished(&what, &inner.region))
        }
        VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION => vpcx_gw2::create_exclusion(inner, planned, ctx).await,
        _ => Err(unsupported(ty)),
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = get_str(prior, "id").unwrap_or_default();
    let gone = |what: &str| ProviderError::Api { code: "NotFound".into(), message: format!("{addr}: {what} {id} disappeared during the update") };
    match ty {
        DEFAULT_VPC => converge_default_vpc(inner, addr, id, planned, planned).await,
        VPC_DHCP_OPTIONS => {
            sync_tags(inner, addr, id, prior, planned).await?;
            read_dhcp(inner, id, planned).await?.ok_or_else(|| gone("DHCP options"))
        }
        VPC_DHCP_OPTIONS_ASSOCIATION => put_dhcp_assoc(inner, addr, planned).await,
        EGRESS_ONLY_INTERNET_GATEWAY => {
            sync_tags(inner, addr, id, prior, planned).await?;
            read_eigw(inner, id, planned).await?.ok_or_else(|| gone("egress-only internet gateway"))
        }
        CUSTOMER_GATEWAY => {
            sync_tags(inner, addr, id, prior, planned).await?;
            vpcx_gw2::read_cgw(inner, id, planned).await?.ok_or_else(|| gone("customer gateway"))
        }
        VPN_GATEWAY => vpcx_gw2::converge_vgw(inner, addr, id, planned).await,
        FLOW_LOG => {
            sync_tags(inner, addr, id, prior, planned).await?;
            vpcx_gw2::read_flow_log(inner, id, planned).await?.ok_or_else(|| gone("flow log"))
        }
        VPC_BLOCK_PUBLIC_ACCESS_OPTIONS => {
            vpcx_gw2::put_bpa_options(inner, addr, get_str(planned, "internet_gateway_block_mode").unwrap_or("off")).await?;
            vpcx_gw2::read_bpa_options(inner).await?.ok_or_else(|| gone("Block Public Access options"))
        }
        VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION => vpcx_gw2::converge_exclusion(inner, addr, id, prior, planned).await,
        _ => Err(ProviderError::Invalid(format!("{addr}: every argument of {ty} forces a replacement"))),
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let id = get_str(prior, "id").unwrap_or_default();
    match ty {
        VPC_IPV4_CIDR_BLOCK_ASSOCIATION => delete_cidr_assoc(inner, addr, prior).await,
        DEFAULT_VPC => delete_default_vpc(inner, addr, prior).await,
        VPC_DHCP_OPTIONS => delete_dhcp(inner, addr, prior).await,
        VPC_DHCP_OPTIONS_ASSOCIATION => {
            let Some(vpc) = get_str(prior, "vpc_id") else { return Ok(()) };
            ok_if_gone(
                inner.ec2.associate_dhcp_options().vpc_id(vpc).dhcp_options_id("default").send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
            )
        }
        EGRESS_ONLY_INTERNET_GATEWAY => {
            let r = inner
                .ec2
                .delete_egress_only_internet_gateway()
                .egress_only_internet_gateway_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_err(addr, e));
            ok_if_gone(r)
        }
        CUSTOMER_GATEWAY => {
            delete_with_retry(|| async {
                inner.ec2.delete_customer_gateway().customer_gateway_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
            })
            .await
        }
        VPN_GATEWAY => vpcx_gw2::delete_vgw(inner, addr, prior).await,
        VPN_GATEWAY_ATTACHMENT => {
            let (Some(vpc), Some(vgw)) = (get_str(prior, "vpc_id"), get_str(prior, "vpn_gateway_id")) else { return Ok(()) };
            vpcx_gw2::detach_vgw(inner, addr, vgw, vpc).await
        }
        VPN_GATEWAY_ROUTE_PROPAGATION => {
            let (Some(rt), Some(vgw)) = (get_str(prior, "route_table_id"), get_str(prior, "vpn_gateway_id")) else { return Ok(()) };
            ok_if_gone(
                inner.ec2.disable_vgw_route_propagation().route_table_id(rt).gateway_id(vgw).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
            )
        }
        FLOW_LOG => {
            let o = inner.ec2.delete_flow_logs().flow_log_ids(id).send().await.map_err(|e| api_err(addr, e));
            match o {
                Ok(o) => match o.unsuccessful().first().and_then(|u| u.error()) {
                    Some(e) if !e.code().is_some_and(|c| c.ends_with("NotFound")) => Err(ProviderError::Api {
                        code: e.code().unwrap_or("FlowLogDeleteFailed").to_string(),
                        message: format!("{addr}: {}", e.message().unwrap_or("DeleteFlowLogs failed")),
                    }),
                    _ => Ok(()),
                },
                Err(e) => ok_if_gone(Err(e)),
            }
        }
        // Destroying the options turns Block Public Access off, as Terraform does.
        VPC_BLOCK_PUBLIC_ACCESS_OPTIONS => vpcx_gw2::put_bpa_options(inner, addr, "off").await,
        VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION => {
            ok_if_gone(inner.ec2.delete_vpc_block_public_access_exclusion().exclusion_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
            vpcx_gw2::wait_exclusion(inner, addr, id, true).await
        }
        _ => Err(unsupported(ty)),
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let empty = Value::map::<&str>([]);
    match ty {
        VPC_DHCP_OPTIONS_ASSOCIATION => read_dhcp_assoc(inner, id, &empty).await,
        VPN_GATEWAY_ATTACHMENT | VPN_GATEWAY_ROUTE_PROPAGATION => {
            let (a, b) = id.split_once(if ty == VPN_GATEWAY_ATTACHMENT { '/' } else { '_' }).ok_or_else(|| {
                ProviderError::Invalid(format!(
                    "{ty} import id {id:?} must be {}",
                    if ty == VPN_GATEWAY_ATTACHMENT { "VPC_ID/VPN_GATEWAY_ID" } else { "ROUTE_TABLE_ID_VPN_GATEWAY_ID" }
                ))
            })?;
            if ty == VPN_GATEWAY_ATTACHMENT {
                vpcx_gw2::read_vgw_attachment(inner, &Value::map([("vpc_id", Value::string(a)), ("vpn_gateway_id", Value::string(b))])).await
            } else {
                vpcx_gw2::read_propagation(inner, &Value::map([("route_table_id", Value::string(a)), ("vpn_gateway_id", Value::string(b))])).await
            }
        }
        VPC_BLOCK_PUBLIC_ACCESS_OPTIONS => vpcx_gw2::read_bpa_options(inner).await,
        _ => read(inner, ty, &Value::map([("id", Value::string(id))])).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vpcx;

    fn summaries(ty: &str, cfg: &Value) -> Vec<String> {
        vpcx::validate(ty, cfg).iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn validation_of_the_api_only_types_names_the_argument() {
        let v = |pairs: Vec<(&str, Value)>| Value::map(pairs);
        assert_eq!(
            summaries(VPC_BLOCK_PUBLIC_ACCESS_OPTIONS, &v(vec![("internet_gateway_block_mode", Value::string("block-all"))])),
            vec!["internet_gateway_block_mode: \"block-all\" is not one of off, block-bidirectional, block-ingress".to_string()]
        );
        assert!(summaries(VPC_BLOCK_PUBLIC_ACCESS_OPTIONS, &v(vec![("internet_gateway_block_mode", Value::string("block-ingress"))])).is_empty());
        let excl = |vpc: Value, subnet: Value| {
            v(vec![("internet_gateway_exclusion_mode", Value::string("allow-egress")), ("vpc_id", vpc), ("subnet_id", subnet)])
        };
        assert_eq!(
            summaries(VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION, &excl(Value::string("vpc-1"), Value::string("subnet-1"))),
            vec!["subnet_id: conflicts with vpc_id".to_string()]
        );
        assert_eq!(
            summaries(VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION, &excl(Value::Null, Value::Null)),
            vec!["vpc_id, subnet_id: one of these arguments is required".to_string()]
        );
        // The module's `local.vpc_id` is unknown at plan time: not an error.
        assert!(summaries(VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION, &excl(Value::Unknown, Value::Null)).is_empty());
        assert!(summaries(VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION, &excl(Value::Unknown, Value::Unknown)).is_empty());
        assert_eq!(
            summaries(
                FLOW_LOG,
                &v(vec![("vpc_id", Value::string("vpc-1")), ("subnet_id", Value::string("subnet-1")), ("max_aggregation_interval", Value::int(300))])
            ),
            vec!["subnet_id: conflicts with vpc_id".to_string(), "max_aggregation_interval: 300 is not 60 or 600".to_string()]
        );
        assert_eq!(
            summaries(
                CUSTOMER_GATEWAY,
                &v(vec![("bgp_asn", Value::string("4294967295")), ("type", Value::string("ipsec.1")), ("ip_address", Value::string("1.2.3.4"))])
            ),
            vec!["bgp_asn: \"4294967295\" is not an ASN between 1 and 2147483647".to_string()]
        );
        assert_eq!(
            summaries(VPC_IPV4_CIDR_BLOCK_ASSOCIATION, &v(vec![("vpc_id", Value::string("vpc-1")), ("cidr_block", Value::string("10.1.2.3/16"))])),
            vec!["cidr_block: \"10.1.2.3/16\" is not a valid IPv4 CIDR block".to_string()]
        );
        assert_eq!(
            summaries(VPC_DHCP_OPTIONS, &v(vec![("netbios_node_type", Value::string("3"))])),
            vec!["netbios_node_type: \"3\" is not one of 1, 2, 4, 8".to_string()]
        );
    }

    fn state(ty: &str, pairs: Vec<(&str, Value)>) -> Value {
        let m = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        complete(resource(ty).unwrap(), m)
    }

    #[test]
    fn planning_of_the_api_only_types() {
        // Route propagation: every argument forces a new one; the read shape plans as a no-op.
        let ty = VPN_GATEWAY_ROUTE_PROPAGATION;
        let cfg = Value::map([("route_table_id", Value::string("rtb-1")), ("vpn_gateway_id", Value::string("vgw-1"))]);
        let created = vpcx::plan_change(ty, None, &cfg);
        assert_eq!(get(&created.planned, "id"), Some(&Value::Unknown));
        let st = state(
            ty,
            vec![("id", Value::string("rtb-1_vgw-1")), ("route_table_id", Value::string("rtb-1")), ("vpn_gateway_id", Value::string("vgw-1"))],
        );
        let same = vpcx::plan_change(ty, Some(&st), &cfg);
        assert!(same.requires_replace.is_empty() && same.planned == st, "{:?}", same.planned);
        let moved =
            vpcx::plan_change(ty, Some(&st), &Value::map([("route_table_id", Value::string("rtb-2")), ("vpn_gateway_id", Value::string("vgw-1"))]));
        assert_eq!(moved.requires_replace.len(), 1);

        // Block Public Access options: the mode changes in place.
        let ty = VPC_BLOCK_PUBLIC_ACCESS_OPTIONS;
        let st = state(
            ty,
            vec![
                ("id", Value::string("eu-west-1")),
                ("aws_region", Value::string("eu-west-1")),
                ("aws_account_id", Value::string("123456789012")),
                ("internet_gateway_block_mode", Value::string("block-bidirectional")),
            ],
        );
        let same = vpcx::plan_change(ty, Some(&st), &Value::map([("internet_gateway_block_mode", Value::string("block-bidirectional"))]));
        assert!(same.requires_replace.is_empty() && same.planned == st);
        let change = vpcx::plan_change(ty, Some(&st), &Value::map([("internet_gateway_block_mode", Value::string("block-ingress"))]));
        assert!(change.requires_replace.is_empty());
        assert_eq!(get_str(&change.planned, "internet_gateway_block_mode"), Some("block-ingress"));

        // Exclusion: the mode in place, the target by replacement.
        let ty = VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION;
        let st = state(
            ty,
            vec![
                ("id", Value::string("exclusion-1")),
                ("vpc_id", Value::string("vpc-1")),
                ("internet_gateway_exclusion_mode", Value::string("allow-egress")),
                ("resource_arn", Value::string("arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1")),
            ],
        );
        let cfg = |mode: &str, vpc: &str| Value::map([("internet_gateway_exclusion_mode", Value::string(mode)), ("vpc_id", Value::string(vpc))]);
        assert_eq!(vpcx::plan_change(ty, Some(&st), &cfg("allow-egress", "vpc-1")).planned, st);
        assert!(vpcx::plan_change(ty, Some(&st), &cfg("allow-bidirectional", "vpc-1")).requires_replace.is_empty());
        assert!(!vpcx::plan_change(ty, Some(&st), &cfg("allow-egress", "vpc-2")).requires_replace.is_empty());
    }

    #[test]
    fn flow_log_defaults_match_what_ec2_reports() {
        let cfg = Value::map([
            ("vpc_id", Value::string("vpc-1")),
            ("traffic_type", Value::string("ALL")),
            ("log_destination_type", Value::Null),
            ("destination_options", Value::List(vec![Value::map([("file_format", Value::Null)])])),
        ]);
        let n = normalize(FLOW_LOG, cfg);
        assert_eq!(get_str(&n, "log_destination_type"), Some("cloud-watch-logs"));
        assert_eq!(get_i64(&n, "max_aggregation_interval"), Some(600));
        let d = get_blocks(&n, "destination_options");
        assert_eq!(get_str(d[0], "file_format"), Some("plain"));
        assert_eq!(get_bool(d[0], "per_hour_partition"), Some(false));
    }
}
