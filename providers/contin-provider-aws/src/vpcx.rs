//! The EC2 types of terraform-aws-modules/vpc that the first AWS types left
//! out (schemas, pure planning, dispatch) and the "default" and network ACL
//! types; the gateways, DHCP options, flow logs, CIDR associations and VPC
//! Block Public Access are in `vpcx_gw.rs`, the network ACL calls in
//! `vpcx_acl.rs`.
//!
//! Types here: `aws_default_security_group`, `aws_default_network_acl`,
//! `aws_default_route_table` (adopt the VPC's default object: create takes it
//! over and makes its rules/routes/tags what the configuration says, delete
//! only forgets it, as Terraform does), `aws_network_acl` and
//! `aws_network_acl_rule`.
//!
//! Crash safety: the default objects exist once per VPC, so a re-run of a
//! create simply adopts the same object again. `aws_network_acl` carries the
//! bookkeeping tags from creation and is adopted by them. Network ACL entries
//! have no tags: an `aws_network_acl_rule` is identified by its content (ACL,
//! direction, rule number); a re-run adopts an entry with the same number
//! when it has the same content and refuses otherwise.
//!
//! Limits (documented differences): in `aws_network_acl`, `ingress` and
//! `egress` are "optional and computed" as in Terraform: a configuration that
//! declares no block of a direction leaves that direction's entries alone
//! (managed by `aws_network_acl_rule`), so an empty block list cannot remove
//! every entry. `subnet_ids` of `aws_default_network_acl` only moves subnets
//! to the default ACL (a subnet always has an ACL; removing it is a no-op).

use crate::plan::canonical_protocol;
use crate::schema::*;
use crate::util::*;
use crate::vpcx_acl;
use crate::vpcx_gw;
use crate::Inner;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, Tag, UserIdGroupPair};
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, OpContext, PlannedChange, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::{BTreeMap, BTreeSet};

// ------------------------------------------------------------------ schemas

fn s() -> T {
    T::String
}
fn list_s() -> T {
    T::List(Box::new(T::String))
}
fn set_s() -> T {
    T::Set(Box::new(T::String))
}
pub(crate) fn tags() -> A {
    A::optional(T::Map(Box::new(T::String))).describe("tags of the object; provider default tags are added, resource tags win")
}
fn set_block(block: BlockSchema) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::Set, block, min_items: 0, max_items: None, force_new: false }
}
pub(crate) fn list_block(block: BlockSchema, max: Option<usize>, force_new: bool) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::List, block, min_items: 0, max_items: max, force_new }
}

fn default_sg_rule() -> BlockSchema {
    BlockSchema::default()
        .attr("from_port", A::required(T::Number))
        .attr("to_port", A::required(T::Number))
        .attr("protocol", A::required(s()).describe("tcp, udp, icmp, icmpv6, a number or -1 (all)"))
        .attr("cidr_blocks", A::optional(list_s()))
        .attr("ipv6_cidr_blocks", A::optional(list_s()))
        .attr("prefix_list_ids", A::optional(list_s()))
        .attr("security_groups", A::optional(set_s()))
        .attr("self", A::optional(T::Bool).describe("the group itself as a source; default false"))
        .attr("description", A::optional(s()))
}

pub fn default_security_group() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::optional_computed(s()).force_new().describe("the VPC whose default group is adopted; default: the default VPC"))
        .attr("revoke_rules_on_delete", A::optional(T::Bool).describe("accepted for compatibility; the group's rules stay on destroy"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("name", A::computed(s()))
        .attr("name_prefix", A::computed(s()))
        .attr("description", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .block("ingress", set_block(default_sg_rule()))
        .block("egress", set_block(default_sg_rule()))
}

fn acl_entry() -> BlockSchema {
    BlockSchema::default()
        .attr("rule_no", A::required(T::Number))
        .attr("action", A::required(s()).describe("allow or deny"))
        .attr("protocol", A::required(s()).describe("tcp, udp, icmp, icmpv6, a number or -1 (all); stored as the number"))
        .attr("from_port", A::required(T::Number))
        .attr("to_port", A::required(T::Number))
        .attr("cidr_block", A::optional(s()))
        .attr("ipv6_cidr_block", A::optional(s()))
        .attr("icmp_type", A::optional(T::Number))
        .attr("icmp_code", A::optional(T::Number))
}

pub fn default_network_acl() -> BlockSchema {
    BlockSchema::default()
        .attr("default_network_acl_id", A::required(s()).force_new())
        .attr("subnet_ids", A::optional_computed(set_s()).describe("subnets moved to the default ACL"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("vpc_id", A::computed(s()))
        .block("ingress", set_block(acl_entry()))
        .block("egress", set_block(acl_entry()))
}

pub fn network_acl() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("subnet_ids", A::optional_computed(set_s()).describe("associated subnets; changed in place"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .block("ingress", set_block(acl_entry()))
        .block("egress", set_block(acl_entry()))
}

pub fn network_acl_rule() -> BlockSchema {
    BlockSchema::default()
        .attr("network_acl_id", A::required(s()).force_new())
        .attr("rule_number", A::required(T::Number).force_new())
        .attr("egress", A::optional(T::Bool).force_new().describe("default false"))
        .attr("protocol", A::required(s()).force_new())
        .attr("rule_action", A::required(s()).force_new().describe("allow or deny"))
        .attr("cidr_block", A::optional(s()).force_new())
        .attr("ipv6_cidr_block", A::optional(s()).force_new())
        .attr("from_port", A::optional(T::Number).force_new())
        .attr("to_port", A::optional(T::Number).force_new())
        .attr("icmp_type", A::optional(T::Number).force_new())
        .attr("icmp_code", A::optional(T::Number).force_new())
        .attr("id", A::computed(s()))
}

/// Route target and destination attributes of `aws_default_route_table`'s `route`.
pub(crate) const DEFAULT_ROUTE_ATTRS: [&str; 14] = [
    "cidr_block",
    "ipv6_cidr_block",
    "destination_prefix_list_id",
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "instance_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

pub fn default_route_table() -> BlockSchema {
    let mut route = BlockSchema::default();
    for a in DEFAULT_ROUTE_ATTRS {
        route = route.attr(a, A::optional(s()));
    }
    let timeouts = BlockSchema::default().attr("create", A::optional(s())).attr("update", A::optional(s()));
    BlockSchema::default()
        .attr("default_route_table_id", A::required(s()).force_new())
        .attr("propagating_vgws", A::optional(set_s()).describe("virtual private gateways whose routes propagate; changed in place"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("vpc_id", A::computed(s()))
        .block("route", set_block(route))
        .block("timeouts", NestedBlockSchema { nesting: Nesting::Single, block: timeouts, min_items: 0, max_items: Some(1), force_new: false })
}

/// True for the types this module and `vpcx_gw` implement.
pub(crate) fn is_vpcx(ty: &str) -> bool {
    matches!(ty, DEFAULT_SECURITY_GROUP | DEFAULT_NETWORK_ACL | DEFAULT_ROUTE_TABLE | NETWORK_ACL | NETWORK_ACL_RULE) || vpcx_gw::is_gw(ty)
}

// ----------------------------------------------------------- pure planning

fn known_str(v: Option<&Value>) -> Option<&str> {
    match v.map(Value::unmarked) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// A protocol as the number EC2 stores for network ACL entries ("tcp" → "6").
pub(crate) fn protocol_number(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "tcp" => "6".into(),
        "udp" => "17".into(),
        "icmp" => "1".into(),
        "icmpv6" => "58".into(),
        other => other.into(),
    }
}

fn null(m: &BTreeMap<String, Value>, k: &str) -> bool {
    m.get(k).is_none_or(Value::is_null)
}

fn sorted_list(v: Option<&Value>) -> Option<Value> {
    match v {
        None | Some(Value::Null) => Some(Value::List(Vec::new())),
        Some(Value::List(items) | Value::Set(items)) if items.iter().all(|i| matches!(i, Value::String(_))) => {
            let mut c: Vec<String> = items.iter().filter_map(|i| if let Value::String(s) = i { Some(s.clone()) } else { None }).collect();
            c.sort();
            c.dedup();
            Some(str_list(c))
        }
        _ => None,
    }
}

fn wholly_known(v: &Value) -> bool {
    v.is_wholly_known()
}

/// A default security group rule in the form `read` gives it.
fn normalize_sg_rule(rule: &Value) -> Value {
    let Value::Map(m) = rule else { return rule.clone() };
    if !wholly_known(rule) {
        return rule.clone();
    }
    let mut m = m.clone();
    if let Some(p) = known_str(m.get("protocol")).map(canonical_protocol) {
        if p == "-1" {
            m.insert("from_port".into(), Value::int(0));
            m.insert("to_port".into(), Value::int(0));
        }
        m.insert("protocol".into(), Value::String(p));
    }
    for k in ["from_port", "to_port"] {
        if let Some(n) = m.get(k).and_then(num_i64) {
            m.insert(k.into(), Value::int(n));
        }
    }
    for k in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"] {
        if let Some(v) = sorted_list(m.get(k)) {
            m.insert(k.into(), v);
        }
    }
    if let Some(Value::List(l)) = sorted_list(m.get("security_groups")) {
        m.insert("security_groups".into(), Value::set(l));
    }
    if null(&m, "self") {
        m.insert("self".into(), Value::Bool(false));
    }
    if known_str(m.get("description")).is_none_or(str::is_empty) && !m.get("description").is_some_and(Value::is_unknown) {
        m.insert("description".into(), Value::Null);
    }
    Value::Map(m)
}

/// A network ACL entry in the form `read` gives it: protocol as a number,
/// ports only for TCP/UDP, ICMP type/code only for ICMP (else 0).
pub(crate) fn normalize_acl_entry(e: &Value) -> Value {
    let Value::Map(m) = e else { return e.clone() };
    if !wholly_known(e) {
        return e.clone();
    }
    let mut m = m.clone();
    let proto = known_str(m.get("protocol")).map(protocol_number);
    if let Some(p) = &proto {
        m.insert("protocol".into(), Value::String(p.clone()));
    }
    if let Some(a) = known_str(m.get("action")).map(str::to_ascii_lowercase) {
        m.insert("action".into(), Value::String(a));
    }
    let ports = matches!(proto.as_deref(), Some("6" | "17"));
    let icmp = matches!(proto.as_deref(), Some("1" | "58"));
    for (k, keep) in [("from_port", ports), ("to_port", ports), ("icmp_type", icmp), ("icmp_code", icmp)] {
        let n = if keep { m.get(k).and_then(num_i64).unwrap_or(0) } else { 0 };
        m.insert(k.into(), Value::int(n));
    }
    if let Some(n) = m.get("rule_no").and_then(num_i64) {
        m.insert("rule_no".into(), Value::int(n));
    }
    for k in ["cidr_block", "ipv6_cidr_block"] {
        if known_str(m.get(k)).is_none_or(str::is_empty) && !m.get(k).is_some_and(Value::is_unknown) {
            m.insert(k.into(), Value::Null);
        }
    }
    Value::Map(m)
}

fn normalize_blocks(m: &mut BTreeMap<String, Value>, name: &str, f: fn(&Value) -> Value) {
    if let Some(Value::List(items) | Value::Set(items)) = m.get(name) {
        let items = items.iter().map(f).collect();
        m.insert(name.into(), Value::set(items));
    }
}

fn normalize(ty: &str, desired: &Value) -> Value {
    let (desired, _) = desired.unmark_deep();
    let Value::Map(mut m) = desired else { return desired };
    if ty == VPC_DHCP_OPTIONS {
        // Like Terraform, an empty string is no value (the module's defaults are "").
        for v in m.values_mut() {
            if matches!(v, Value::String(x) if x.is_empty()) {
                *v = Value::Null;
            }
        }
    }
    match ty {
        DEFAULT_SECURITY_GROUP => {
            normalize_blocks(&mut m, "ingress", normalize_sg_rule);
            normalize_blocks(&mut m, "egress", normalize_sg_rule);
        }
        DEFAULT_NETWORK_ACL | NETWORK_ACL => {
            normalize_blocks(&mut m, "ingress", normalize_acl_entry);
            normalize_blocks(&mut m, "egress", normalize_acl_entry);
        }
        NETWORK_ACL_RULE => {
            if null(&m, "egress") {
                m.insert("egress".into(), Value::Bool(false));
            }
            if let Some(a) = known_str(m.get("rule_action")).map(str::to_ascii_lowercase) {
                m.insert("rule_action".into(), Value::String(a));
            }
        }
        DEFAULT_ROUTE_TABLE => {
            if let Some(Value::List(items) | Value::Set(items)) = m.get("route") {
                let items = items
                    .iter()
                    .map(|r| match r {
                        Value::Map(rm) => Value::Map(
                            DEFAULT_ROUTE_ATTRS
                                .iter()
                                .map(|k| {
                                    let v = rm.get(*k).cloned().unwrap_or(Value::Null);
                                    (k.to_string(), if known_str(Some(&v)) == Some("") { Value::Null } else { v })
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    })
                    .collect();
                m.insert("route".into(), Value::set(items));
            }
            if null(&m, "propagating_vgws") {
                m.insert("propagating_vgws".into(), Value::Null);
            }
        }
        _ => return vpcx_gw::normalize(ty, Value::Map(m)),
    }
    Value::Map(m)
}

fn is_empty_blocks(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::List(i) | Value::Set(i)) => i.is_empty(),
        _ => false,
    }
}

/// `plan_change` for these types: the schema diff of the normalized
/// configuration, then the "optional and computed" parts kept from the prior.
pub(crate) fn plan_change(ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
    let Some(block) = resource(ty) else {
        return PlannedChange {
            planned: desired.clone(),
            requires_replace: Vec::new(),
            diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
        };
    };
    let mut normalized = normalize(ty, desired);
    if let (Some(p), Value::Map(m)) = (prior, &mut normalized) {
        if ty == NETWORK_ACL {
            // Entries of a direction the configuration leaves out belong to aws_network_acl_rule.
            for dir in ["ingress", "egress"] {
                if is_empty_blocks(m.get(dir)) {
                    m.insert(dir.into(), get(p, dir).cloned().unwrap_or(Value::Null));
                }
            }
        }
        if ty == NETWORK_ACL_RULE {
            // EC2 ignores ports unless TCP/UDP and ICMP type/code unless ICMP:
            // their spelling (0, -1, null) is not a change (an imported rule has none).
            let proto = known_str(m.get("protocol")).map(protocol_number);
            let ignored: &[&str] = match proto.as_deref() {
                Some("6" | "17") => &["icmp_type", "icmp_code"],
                Some("1" | "58") => &["from_port", "to_port"],
                Some(_) => &["from_port", "to_port", "icmp_type", "icmp_code"],
                None => &[],
            };
            for k in ignored {
                m.insert(k.to_string(), get(p, k).cloned().unwrap_or(Value::Null));
            }
        }
        if ty == DEFAULT_ROUTE_TABLE && null(m, "timeouts") {
            m.insert("timeouts".into(), get(p, "timeouts").cloned().unwrap_or(Value::Null));
        }
    }
    let mut change = contin_provider::plan_change_from_schema(block, prior, &normalized);
    // The association's id names the options set.
    if ty == VPC_DHCP_OPTIONS_ASSOCIATION && change.requires_replace.is_empty() {
        if let (Some(p), Value::Map(m)) = (prior, &mut change.planned) {
            if m.get("dhcp_options_id") != get(p, "dhcp_options_id") {
                m.insert("id".into(), Value::Unknown);
            }
        }
    }
    change
}

fn check_cidr4(name: &str, v: Option<&Value>, d: &mut Diagnostics) {
    if let Some(c) = known_str(v) {
        if c.parse::<ipnet::Ipv4Net>().is_err() {
            d.push(Diagnostic::error(format!("{name}: {c:?} is not a valid IPv4 CIDR block")));
        }
    }
}

fn check_cidr6(name: &str, v: Option<&Value>, d: &mut Diagnostics) {
    if let Some(c) = known_str(v) {
        if c.parse::<ipnet::Ipv6Net>().is_err() {
            d.push(Diagnostic::error(format!("{name}: {c:?} is not a valid IPv6 CIDR block")));
        }
    }
}

pub(crate) fn check_enum(cfg: &Value, name: &str, allowed: &[&str], d: &mut Diagnostics) {
    if let Some(v) = known_str(get(cfg, name)) {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) {
            d.push(Diagnostic::error(format!("{name}: {v:?} is not one of {}", allowed.join(", "))));
        }
    }
}

fn check_protocol(at: &str, v: Option<&Value>, d: &mut Diagnostics) {
    if let Some(p) = known_str(v) {
        let n = protocol_number(p);
        let ok = n == "-1" || n.parse::<u8>().is_ok();
        if !ok {
            d.push(
                Diagnostic::error(format!("{at}protocol: {p:?} is not a protocol"))
                    .with_detail("use tcp, udp, icmp, icmpv6, a protocol number 0-255 or -1 (all)"),
            );
        }
    }
}

fn check_rule_number(at: &str, name: &str, v: Option<&Value>, d: &mut Diagnostics) {
    if let Some(n) = v.and_then(num_i64) {
        if !(1..=32766).contains(&n) {
            d.push(Diagnostic::error(format!("{at}{name}: {n} is out of range (1 to 32766)")));
        }
    }
}

fn check_acl_entries(cfg: &Value, d: &mut Diagnostics) {
    for dir in ["ingress", "egress"] {
        let mut seen = BTreeSet::new();
        for (i, e) in get_blocks(cfg, dir).into_iter().enumerate() {
            let at = format!("{dir}[{i}].");
            check_rule_number(&at, "rule_no", get(e, "rule_no"), d);
            check_protocol(&at, get(e, "protocol"), d);
            if let Some(a) = known_str(get(e, "action")) {
                if !["allow", "deny"].contains(&a.to_ascii_lowercase().as_str()) {
                    d.push(Diagnostic::error(format!("{at}action: {a:?} is not allow or deny")));
                }
            }
            check_cidr4(&format!("{at}cidr_block"), get(e, "cidr_block"), d);
            check_cidr6(&format!("{at}ipv6_cidr_block"), get(e, "ipv6_cidr_block"), d);
            if let Some(n) = get(e, "rule_no").and_then(num_i64) {
                if !seen.insert(n) {
                    d.push(Diagnostic::error(format!("{at}rule_no: {n} is used twice in {dir}")));
                }
            }
        }
    }
}

/// Checks beyond the schema (CIDR blocks, protocols, rule numbers, enums).
pub(crate) fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(Value::Map(m)) = get(cfg, "tags") {
        for k in m.keys().filter(|k| k.starts_with("contin:") || k.starts_with("aws:")) {
            d.push(Diagnostic::error(format!("tags: key {k:?} uses a reserved prefix")));
        }
    }
    match ty {
        DEFAULT_NETWORK_ACL | NETWORK_ACL => check_acl_entries(cfg, &mut d),
        DEFAULT_SECURITY_GROUP => {
            for dir in ["ingress", "egress"] {
                for (i, r) in get_blocks(cfg, dir).into_iter().enumerate() {
                    let at = format!("{dir}[{i}].");
                    check_protocol(&at, get(r, "protocol"), &mut d);
                    for c in get_strs(r, "cidr_blocks") {
                        check_cidr4(&format!("{at}cidr_blocks"), Some(&Value::String(c)), &mut d);
                    }
                    for c in get_strs(r, "ipv6_cidr_blocks") {
                        check_cidr6(&format!("{at}ipv6_cidr_blocks"), Some(&Value::String(c)), &mut d);
                    }
                }
            }
        }
        NETWORK_ACL_RULE => {
            check_rule_number("", "rule_number", get(cfg, "rule_number"), &mut d);
            check_protocol("", get(cfg, "protocol"), &mut d);
            check_enum(cfg, "rule_action", &["allow", "deny"], &mut d);
            check_cidr4("cidr_block", get(cfg, "cidr_block"), &mut d);
            check_cidr6("ipv6_cidr_block", get(cfg, "ipv6_cidr_block"), &mut d);
            let c4 = get(cfg, "cidr_block").is_some_and(|v| !v.is_null());
            let c6 = get(cfg, "ipv6_cidr_block").is_some_and(|v| !v.is_null());
            if c4 && c6 {
                d.push(Diagnostic::error("ipv6_cidr_block: conflicts with cidr_block").with_detail("set only one of cidr_block, ipv6_cidr_block"));
            }
            let tcp_udp = known_str(get(cfg, "protocol")).map(protocol_number).is_some_and(|p| p == "6" || p == "17");
            if tcp_udp && (get(cfg, "from_port").is_none_or(Value::is_null) || get(cfg, "to_port").is_none_or(Value::is_null)) {
                d.push(Diagnostic::error("from_port, to_port: required for protocol tcp or udp"));
            }
        }
        DEFAULT_ROUTE_TABLE => {
            for (i, r) in get_blocks(cfg, "route").into_iter().enumerate() {
                check_cidr4(&format!("route[{i}].cidr_block"), get(r, "cidr_block"), &mut d);
                check_cidr6(&format!("route[{i}].ipv6_cidr_block"), get(r, "ipv6_cidr_block"), &mut d);
            }
        }
        _ => vpcx_gw::validate(ty, cfg, &mut d),
    }
    d
}

// ------------------------------------------------------------------ shared

pub(crate) fn block_of(ty: &str) -> Result<&'static BlockSchema, ProviderError> {
    resource(ty).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() })
}

pub(crate) fn not_found_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Makes the object's tags (all of them but contin's bookkeeping ones) the
/// effective tags of `planned`: for adopted objects whose live tags are not
/// what the state says.
pub(crate) async fn set_live_tags(inner: &Inner, what: &str, id: &str, live: &[Tag], planned: &Value) -> Result<(), ProviderError> {
    let want = effective_tags(&inner.default_tags, planned);
    let have: BTreeMap<String, String> = tag_map(live).into_iter().filter(|(k, _)| !k.starts_with("contin:")).collect();
    let gone: Vec<Tag> = have.keys().filter(|k| !want.contains_key(*k)).map(|k| Tag::builder().key(k).build()).collect();
    if !gone.is_empty() {
        inner.ec2.delete_tags().resources(id).set_tags(Some(gone)).send().await.map_err(|e| api_err(what, e))?;
    }
    let set: Vec<Tag> = want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    if !set.is_empty() {
        inner.ec2.create_tags().resources(id).set_tags(Some(set)).send().await.map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

// ---------------------------------------------- aws_default_security_group

/// One source of one rule: (protocol, from, to, kind, source, description);
/// kind is cidr4, cidr6, pl, sg or self.
type SgAtom = (String, i64, i64, &'static str, String, Option<String>);

fn sg_atoms(v: &Value, dir: &str, own_id: &str) -> BTreeSet<SgAtom> {
    let mut out = BTreeSet::new();
    for r in get_blocks(v, dir) {
        let proto = canonical_protocol(get_str(r, "protocol").unwrap_or("-1"));
        let (from, to) = if proto == "-1" { (0, 0) } else { (get_i64(r, "from_port").unwrap_or(0), get_i64(r, "to_port").unwrap_or(0)) };
        let desc = get_str(r, "description").filter(|d| !d.is_empty()).map(String::from);
        let mut add = |kind: &'static str, src: String| {
            out.insert((proto.clone(), from, to, kind, src, desc.clone()));
        };
        for c in get_strs(r, "cidr_blocks") {
            add("cidr4", c);
        }
        for c in get_strs(r, "ipv6_cidr_blocks") {
            add("cidr6", c);
        }
        for c in get_strs(r, "prefix_list_ids") {
            add("pl", c);
        }
        for c in get_strs(r, "security_groups") {
            if c == own_id {
                add("self", String::new());
            } else {
                add("sg", c);
            }
        }
        if get_bool(r, "self") == Some(true) {
            add("self", String::new());
        }
    }
    out
}

fn perm_atoms(perms: &[IpPermission]) -> BTreeSet<SgAtom> {
    let mut out = BTreeSet::new();
    for p in perms {
        let proto = canonical_protocol(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if proto == "-1" { (0, 0) } else { (i64::from(p.from_port().unwrap_or(0)), i64::from(p.to_port().unwrap_or(0))) };
        let d = |s: Option<&str>| s.filter(|d| !d.is_empty()).map(String::from);
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                out.insert((proto.clone(), from, to, "cidr4", c.to_string(), d(r.description())));
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                out.insert((proto.clone(), from, to, "cidr6", c.to_string(), d(r.description())));
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(c) = r.prefix_list_id() {
                out.insert((proto.clone(), from, to, "pl", c.to_string(), d(r.description())));
            }
        }
        for r in p.user_id_group_pairs() {
            if let Some(g) = r.group_id() {
                out.insert((proto.clone(), from, to, "sg", g.to_string(), d(r.description())));
            }
        }
    }
    out
}

/// Live atoms with the group's own id turned into `self`.
fn live_atoms(perms: &[IpPermission], own_id: &str) -> BTreeSet<SgAtom> {
    perm_atoms(perms)
        .into_iter()
        .map(|(p, f, t, k, s, d)| if k == "sg" && s == own_id { (p, f, t, "self", String::new(), d) } else { (p, f, t, k, s, d) })
        .collect()
}

fn sg_rules_value(atoms: &BTreeSet<SgAtom>) -> Value {
    type Key = (String, i64, i64, Option<String>);
    let mut grouped: BTreeMap<Key, BTreeMap<&'static str, Vec<String>>> = BTreeMap::new();
    for (p, f, t, k, s, d) in atoms {
        grouped.entry((p.clone(), *f, *t, d.clone())).or_default().entry(k).or_default().push(s.clone());
    }
    let rules = grouped
        .into_iter()
        .map(|((p, f, t, d), kinds)| {
            let list = |k: &str| {
                let mut v = kinds.get(k).cloned().unwrap_or_default();
                v.sort();
                str_list(v)
            };
            let sgs = kinds.get("sg").cloned().unwrap_or_default();
            Value::map([
                ("protocol", Value::String(p)),
                ("from_port", Value::int(f)),
                ("to_port", Value::int(t)),
                ("cidr_blocks", list("cidr4")),
                ("ipv6_cidr_blocks", list("cidr6")),
                ("prefix_list_ids", list("pl")),
                ("security_groups", Value::set(sgs.into_iter().map(Value::String).collect())),
                ("self", Value::Bool(kinds.contains_key("self"))),
                ("description", d.map_or(Value::Null, Value::String)),
            ])
        })
        .collect();
    Value::set(rules)
}

fn sg_permission(a: &SgAtom, own_id: &str, with_description: bool) -> IpPermission {
    let (proto, from, to, kind, src, desc) = a;
    let desc = if with_description { desc.clone() } else { None };
    let mut p = IpPermission::builder().ip_protocol(proto);
    if proto != "-1" {
        p = p.from_port(*from as i32).to_port(*to as i32);
    }
    p = match *kind {
        "cidr4" => p.ip_ranges(IpRange::builder().cidr_ip(src).set_description(desc).build()),
        "cidr6" => p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(src).set_description(desc).build()),
        "pl" => p.prefix_list_ids(PrefixListId::builder().prefix_list_id(src).set_description(desc).build()),
        "self" => p.user_id_group_pairs(UserIdGroupPair::builder().group_id(own_id).set_description(desc).build()),
        _ => p.user_id_group_pairs(UserIdGroupPair::builder().group_id(src).set_description(desc).build()),
    };
    p.build()
}

async fn find_default_sg(inner: &Inner, what: &str, vpc_id: Option<&str>) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, ProviderError> {
    let vpc = match vpc_id {
        Some(v) => v.to_string(),
        None => {
            let o = inner
                .ec2
                .describe_vpcs()
                .filters(Filter::builder().name("isDefault").values("true").build())
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            match o.vpcs().first().and_then(|v| v.vpc_id()) {
                Some(v) => v.to_string(),
                None => {
                    return Err(ProviderError::Api {
                        code: "NoDefaultVpc".into(),
                        message: format!("{what}: no vpc_id given and the region has no default VPC"),
                    })
                }
            }
        }
    };
    let o = inner
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .filters(Filter::builder().name("group-name").values("default").build())
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(o.security_groups().first().cloned())
}

async fn describe_sg(inner: &Inner, what: &str, id: &str) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, ProviderError> {
    let o = not_found_is_none(inner.ec2.describe_security_groups().group_ids(id).send().await.map_err(|e| api_err(what, e)))?;
    Ok(o.and_then(|o| o.security_groups().first().cloned()))
}

async fn read_default_sg(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{DEFAULT_SECURITY_GROUP} {id}");
    let Some(g) = describe_sg(inner, &what, id).await? else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("name".into(), opt_string(g.group_name()));
    m.insert("description".into(), opt_string(g.description()));
    m.insert("vpc_id".into(), opt_string(g.vpc_id()));
    m.insert("owner_id".into(), opt_string(g.owner_id()));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:security-group/{id}", inner.region, g.owner_id().unwrap_or(""))));
    m.insert("revoke_rules_on_delete".into(), get(shape, "revoke_rules_on_delete").cloned().unwrap_or(Value::Null));
    m.insert("tags".into(), tags_value(g.tags(), &inner.default_tags, shape));
    m.insert("ingress".into(), sg_rules_value(&live_atoms(g.ip_permissions(), id)));
    m.insert("egress".into(), sg_rules_value(&live_atoms(g.ip_permissions_egress(), id)));
    Ok(Some(complete(block_of(DEFAULT_SECURITY_GROUP)?, m)))
}

/// Makes the group's rules and tags those of `planned` (from its live state).
async fn converge_default_sg(inner: &Inner, what: &str, id: &str, planned: &Value) -> Result<Value, ProviderError> {
    let g = describe_sg(inner, what, id).await?.ok_or_else(|| vanished(what, id))?;
    let ec2 = &inner.ec2;
    for (dir, live) in [("ingress", g.ip_permissions()), ("egress", g.ip_permissions_egress())] {
        let (old, new) = (live_atoms(live, id), sg_atoms(planned, dir, id));
        // A description change is a revoke (without description) and a grant.
        let revoke: Vec<IpPermission> = old.difference(&new).map(|a| sg_permission(a, id, false)).collect();
        let grant: Vec<IpPermission> = new.difference(&old).map(|a| sg_permission(a, id, true)).collect();
        if !revoke.is_empty() {
            if dir == "egress" {
                ec2.revoke_security_group_egress().group_id(id).set_ip_permissions(Some(revoke)).send().await.map_err(|e| api_err(what, e))?;
            } else {
                ec2.revoke_security_group_ingress().group_id(id).set_ip_permissions(Some(revoke)).send().await.map_err(|e| api_err(what, e))?;
            }
        }
        if !grant.is_empty() {
            if dir == "egress" {
                ec2.authorize_security_group_egress().group_id(id).set_ip_permissions(Some(grant)).send().await.map_err(|e| api_err(what, e))?;
            } else {
                ec2.authorize_security_group_ingress().group_id(id).set_ip_permissions(Some(grant)).send().await.map_err(|e| api_err(what, e))?;
            }
        }
    }
    set_live_tags(inner, what, id, g.tags(), planned).await?;
    read_default_sg(inner, id, planned).await?.ok_or_else(|| vanished(what, id))
}

async fn create_default_sg(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let g = find_default_sg(inner, &what, get_str(planned, "vpc_id")).await?;
    let Some(id) = g.as_ref().and_then(|g| g.group_id()) else {
        return Err(ProviderError::Api {
            code: "InvalidGroup.NotFound".into(),
            message: format!("{what}: VPC {} has no default security group", get_str(planned, "vpc_id").unwrap_or("(default VPC)")),
        });
    };
    converge_default_sg(inner, &what, id, planned).await
}

// -------------------------------------------------- aws_default_route_table

async fn describe_rt(inner: &Inner, what: &str, id: &str) -> Result<Option<aws_sdk_ec2::types::RouteTable>, ProviderError> {
    let o = not_found_is_none(inner.ec2.describe_route_tables().route_table_ids(id).send().await.map_err(|e| api_err(what, e)))?;
    Ok(o.and_then(|o| o.route_tables().first().cloned()))
}

fn route_value(r: &aws_sdk_ec2::types::Route) -> Value {
    // A route to an instance also names the instance's interface: Terraform keeps the instance only.
    let eni = if r.instance_id().is_some() { None } else { r.network_interface_id() };
    Value::map([
        ("cidr_block", opt_string(r.destination_cidr_block())),
        ("ipv6_cidr_block", opt_string(r.destination_ipv6_cidr_block())),
        ("destination_prefix_list_id", opt_string(r.destination_prefix_list_id())),
        ("carrier_gateway_id", opt_string(r.carrier_gateway_id())),
        ("core_network_arn", opt_string(r.core_network_arn())),
        ("egress_only_gateway_id", opt_string(r.egress_only_internet_gateway_id())),
        // VPC endpoint routes come back in GatewayId (vpce-…).
        ("gateway_id", opt_string(r.gateway_id().filter(|g| !g.starts_with("vpce-")))),
        ("instance_id", opt_string(r.instance_id())),
        ("local_gateway_id", opt_string(r.local_gateway_id())),
        ("nat_gateway_id", opt_string(r.nat_gateway_id())),
        ("network_interface_id", opt_string(eni)),
        ("transit_gateway_id", opt_string(r.transit_gateway_id())),
        ("vpc_endpoint_id", opt_string(r.gateway_id().filter(|g| g.starts_with("vpce-")))),
        ("vpc_peering_connection_id", opt_string(r.vpc_peering_connection_id())),
    ])
}

/// Routes the table's owner manages: not the local route, not propagated ones.
fn managed_routes(rt: &aws_sdk_ec2::types::RouteTable) -> Vec<&aws_sdk_ec2::types::Route> {
    rt.routes()
        .iter()
        .filter(|r| r.gateway_id() != Some("local"))
        .filter(|r| r.origin().map(|o| o.as_str()) != Some("EnableVgwRoutePropagation"))
        .collect()
}

async fn read_default_rt(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{DEFAULT_ROUTE_TABLE} {id}");
    let Some(rt) = describe_rt(inner, &what, id).await? else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("default_route_table_id".into(), Value::string(id));
    m.insert("vpc_id".into(), opt_string(rt.vpc_id()));
    m.insert("owner_id".into(), opt_string(rt.owner_id()));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:route-table/{id}", inner.region, rt.owner_id().unwrap_or(""))));
    let vgws: Vec<Value> = rt.propagating_vgws().iter().filter_map(|v| v.gateway_id()).map(Value::string).collect();
    let vgws_shape = get(shape, "propagating_vgws").is_some_and(|v| !v.is_null());
    m.insert("propagating_vgws".into(), if vgws.is_empty() && !vgws_shape { Value::Null } else { Value::set(vgws) });
    m.insert("tags".into(), tags_value(rt.tags(), &inner.default_tags, shape));
    m.insert("route".into(), Value::set(managed_routes(&rt).into_iter().map(route_value).collect()));
    m.insert("timeouts".into(), get(shape, "timeouts").cloned().unwrap_or(Value::Null));
    Ok(Some(complete(block_of(DEFAULT_ROUTE_TABLE)?, m)))
}

fn route_dest(v: &Value) -> (Option<String>, Option<String>, Option<String>) {
    let g = |n: &str| get_str(v, n).filter(|s| !s.is_empty()).map(String::from);
    (g("cidr_block"), g("ipv6_cidr_block"), g("destination_prefix_list_id"))
}

async fn put_route(inner: &Inner, what: &str, rt: &str, r: &Value, replace: bool) -> Result<(), ProviderError> {
    let g = |n: &str| get_str(r, n).filter(|s| !s.is_empty()).map(String::from);
    let gateway = g("gateway_id").or_else(|| g("vpc_endpoint_id"));
    if replace {
        inner
            .ec2
            .replace_route()
            .route_table_id(rt)
            .set_destination_cidr_block(g("cidr_block"))
            .set_destination_ipv6_cidr_block(g("ipv6_cidr_block"))
            .set_destination_prefix_list_id(g("destination_prefix_list_id"))
            .set_carrier_gateway_id(g("carrier_gateway_id"))
            .set_core_network_arn(g("core_network_arn"))
            .set_egress_only_internet_gateway_id(g("egress_only_gateway_id"))
            .set_gateway_id(gateway)
            .set_instance_id(g("instance_id"))
            .set_local_gateway_id(g("local_gateway_id"))
            .set_nat_gateway_id(g("nat_gateway_id"))
            .set_network_interface_id(g("network_interface_id"))
            .set_transit_gateway_id(g("transit_gateway_id"))
            .set_vpc_peering_connection_id(g("vpc_peering_connection_id"))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(what, e))
    } else {
        inner
            .ec2
            .create_route()
            .route_table_id(rt)
            .set_destination_cidr_block(g("cidr_block"))
            .set_destination_ipv6_cidr_block(g("ipv6_cidr_block"))
            .set_destination_prefix_list_id(g("destination_prefix_list_id"))
            .set_carrier_gateway_id(g("carrier_gateway_id"))
            .set_core_network_arn(g("core_network_arn"))
            .set_egress_only_internet_gateway_id(g("egress_only_gateway_id"))
            .set_gateway_id(gateway)
            .set_instance_id(g("instance_id"))
            .set_local_gateway_id(g("local_gateway_id"))
            .set_nat_gateway_id(g("nat_gateway_id"))
            .set_network_interface_id(g("network_interface_id"))
            .set_transit_gateway_id(g("transit_gateway_id"))
            .set_vpc_peering_connection_id(g("vpc_peering_connection_id"))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(what, e))
    }
}

/// Makes the table's routes, propagations and tags those of `planned`.
async fn converge_default_rt(inner: &Inner, what: &str, id: &str, planned: &Value) -> Result<Value, ProviderError> {
    let rt = describe_rt(inner, what, id).await?.ok_or_else(|| vanished(what, id))?;
    let live: BTreeMap<_, Value> = managed_routes(&rt).into_iter().map(|r| (route_dest(&route_value(r)), route_value(r))).collect();
    let wanted: BTreeMap<_, Value> = get_blocks(planned, "route")
        .into_iter()
        .map(|r| {
            let full: BTreeMap<String, Value> =
                DEFAULT_ROUTE_ATTRS.iter().map(|a| (a.to_string(), get(r, a).cloned().unwrap_or(Value::Null))).collect();
            (route_dest(r), Value::Map(full))
        })
        .collect();
    for (dest, _) in live.iter().filter(|(d, _)| !wanted.contains_key(*d)) {
        let r = inner
            .ec2
            .delete_route()
            .route_table_id(id)
            .set_destination_cidr_block(dest.0.clone())
            .set_destination_ipv6_cidr_block(dest.1.clone())
            .set_destination_prefix_list_id(dest.2.clone())
            .send()
            .await
            .map_err(|e| api_err(what, e));
        match r {
            Err(e) if !is_not_found(&e) => return Err(e),
            _ => {}
        }
    }
    for (dest, w) in &wanted {
        if live.get(dest) != Some(w) {
            put_route(inner, what, id, w, live.contains_key(dest)).await?;
        }
    }
    let have: BTreeSet<String> = rt.propagating_vgws().iter().filter_map(|v| v.gateway_id()).map(String::from).collect();
    let want: BTreeSet<String> = get_strs(planned, "propagating_vgws").into_iter().collect();
    for gw in have.difference(&want) {
        inner.ec2.disable_vgw_route_propagation().route_table_id(id).gateway_id(gw).send().await.map_err(|e| api_err(what, e))?;
    }
    for gw in want.difference(&have) {
        inner.ec2.enable_vgw_route_propagation().route_table_id(id).gateway_id(gw).send().await.map_err(|e| api_err(what, e))?;
    }
    set_live_tags(inner, what, id, rt.tags(), planned).await?;
    read_default_rt(inner, id, planned).await?.ok_or_else(|| vanished(what, id))
}

async fn create_default_rt(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let id = get_str(planned, "default_route_table_id").unwrap_or_default();
    let rt = describe_rt(inner, &what, id).await?.ok_or_else(|| ProviderError::Api {
        code: "InvalidRouteTableID.NotFound".into(),
        message: format!("{what}: route table {id} does not exist"),
    })?;
    if !rt.associations().iter().any(|a| a.main() == Some(true)) {
        return Err(ProviderError::Invalid(format!("{what}: route table {id} is not a VPC's main route table; use aws_route_table for it")));
    }
    converge_default_rt(inner, &what, id, planned).await
}

// ------------------------------------------------------------------ dispatch

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    if ty == NETWORK_ACL_RULE {
        return vpcx_acl::read_acl_rule(inner, state).await;
    }
    let Some(id) = get_str(state, "id") else { return vpcx_gw::read(inner, ty, state).await };
    match ty {
        DEFAULT_SECURITY_GROUP => read_default_sg(inner, id, state).await,
        DEFAULT_NETWORK_ACL | NETWORK_ACL => vpcx_acl::read_acl(inner, ty, id, state).await,
        DEFAULT_ROUTE_TABLE => read_default_rt(inner, id, state).await,
        _ => vpcx_gw::read(inner, ty, state).await,
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    match ty {
        DEFAULT_SECURITY_GROUP => create_default_sg(inner, planned, ctx).await,
        DEFAULT_NETWORK_ACL => vpcx_acl::create_default_acl(inner, planned, ctx).await,
        NETWORK_ACL => vpcx_acl::create_acl(inner, planned, ctx).await,
        NETWORK_ACL_RULE => vpcx_acl::create_acl_rule(inner, planned, ctx).await,
        DEFAULT_ROUTE_TABLE => create_default_rt(inner, planned, ctx).await,
        _ => vpcx_gw::create(inner, ty, planned, ctx).await,
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = get_str(prior, "id").unwrap_or_default();
    match ty {
        DEFAULT_SECURITY_GROUP => converge_default_sg(inner, addr, id, planned).await,
        DEFAULT_NETWORK_ACL | NETWORK_ACL => vpcx_acl::converge_acl(inner, ty, addr, id, &get_strs(prior, "subnet_ids"), planned).await,
        DEFAULT_ROUTE_TABLE => converge_default_rt(inner, addr, id, planned).await,
        NETWORK_ACL_RULE => Err(ProviderError::Invalid(format!("{addr}: every argument of {ty} forces a replacement"))),
        _ => vpcx_gw::update(inner, ty, addr, prior, planned).await,
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    match ty {
        // Terraform semantics: the default objects are only forgotten.
        DEFAULT_SECURITY_GROUP | DEFAULT_NETWORK_ACL | DEFAULT_ROUTE_TABLE => Ok(()),
        NETWORK_ACL => vpcx_acl::delete_acl(inner, addr, prior).await,
        NETWORK_ACL_RULE => vpcx_acl::delete_acl_rule(inner, addr, prior).await,
        _ => vpcx_gw::delete(inner, ty, addr, prior).await,
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let empty = Value::map::<&str>([]);
    match ty {
        DEFAULT_SECURITY_GROUP => read_default_sg(inner, id, &empty).await,
        DEFAULT_NETWORK_ACL => {
            let v = vpcx_acl::read_acl(inner, ty, id, &empty).await?;
            Ok(v)
        }
        NETWORK_ACL => vpcx_acl::read_acl(inner, ty, id, &empty).await,
        DEFAULT_ROUTE_TABLE => read_default_rt(inner, id, &empty).await,
        NETWORK_ACL_RULE => {
            // Terraform's import id: NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS.
            let parts: Vec<&str> = id.split(':').collect();
            let [acl, n, proto, egress] = parts.as_slice() else {
                return Err(ProviderError::Invalid(format!("{ty} import id {id:?} must be NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS")));
            };
            let n: i64 = n.parse().map_err(|_| ProviderError::Invalid(format!("{ty} import id {id:?}: rule number {n:?} is not a number")))?;
            let shape = Value::map([
                ("network_acl_id", Value::string(*acl)),
                ("rule_number", Value::int(n)),
                ("protocol", Value::string(*proto)),
                ("egress", Value::Bool(*egress == "true")),
            ]);
            vpcx_acl::read_acl_rule(inner, &shape).await
        }
        _ if is_vpcx(ty) => vpcx_gw::import(inner, ty, id).await,
        _ => Err(unsupported(ty)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_entries_normalize_to_the_read_form() {
        let e = Value::map([
            ("rule_no", Value::string("100")),
            ("action", Value::string("ALLOW")),
            ("protocol", Value::string("tcp")),
            ("from_port", Value::int(80)),
            ("to_port", Value::int(80)),
            ("cidr_block", Value::string("0.0.0.0/0")),
        ]);
        let n = normalize_acl_entry(&e);
        assert_eq!(get_str(&n, "protocol"), Some("6"));
        assert_eq!(get_str(&n, "action"), Some("allow"));
        assert_eq!(get_i64(&n, "rule_no"), Some(100));
        assert_eq!(get_i64(&n, "icmp_type"), Some(0));
        let all = normalize_acl_entry(&Value::map([("protocol", Value::string("all")), ("from_port", Value::int(5)), ("to_port", Value::int(9))]));
        assert_eq!((get_i64(&all, "from_port"), get_i64(&all, "to_port")), (Some(0), Some(0)));
        assert_eq!(protocol_number("ICMPv6"), "58");
    }

    #[test]
    fn validation_names_the_argument() {
        let cfg = Value::map([(
            "ingress",
            Value::List(vec![Value::map([
                ("rule_no", Value::int(0)),
                ("protocol", Value::string("bogus")),
                ("action", Value::string("maybe")),
                ("cidr_block", Value::string("x")),
            ])]),
        )]);
        let d: Vec<String> = validate(DEFAULT_NETWORK_ACL, &cfg).iter().map(|d| d.summary.clone()).collect();
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(d.iter().any(|s| s.starts_with("ingress[0].rule_no: 0 is out of range")));
        assert!(d.iter().any(|s| s.starts_with("ingress[0].protocol")));
        let rule = Value::map([
            ("rule_number", Value::int(10)),
            ("protocol", Value::string("tcp")),
            ("rule_action", Value::string("allow")),
            ("cidr_block", Value::string("10.0.0.0/8")),
            ("ipv6_cidr_block", Value::string("::/0")),
        ]);
        let d: Vec<String> = validate(NETWORK_ACL_RULE, &rule).iter().map(|d| d.summary.clone()).collect();
        assert_eq!(
            d,
            vec!["ipv6_cidr_block: conflicts with cidr_block".to_string(), "from_port, to_port: required for protocol tcp or udp".to_string()]
        );
    }

    #[test]
    fn network_acl_keeps_entries_it_does_not_declare() {
        let entry = normalize_acl_entry(&Value::map([
            ("rule_no", Value::int(100)),
            ("action", Value::string("allow")),
            ("protocol", Value::string("-1")),
            ("from_port", Value::int(0)),
            ("to_port", Value::int(0)),
            ("cidr_block", Value::string("0.0.0.0/0")),
        ]));
        let mut prior = BTreeMap::new();
        prior.insert("vpc_id".to_string(), Value::string("vpc-1"));
        prior.insert("id".into(), Value::string("acl-1"));
        prior.insert("ingress".into(), Value::set(vec![entry]));
        prior.insert("egress".into(), Value::set(vec![]));
        prior.insert("subnet_ids".into(), Value::set(vec![]));
        let prior = complete(resource(NETWORK_ACL).unwrap(), prior);
        let change = plan_change(NETWORK_ACL, Some(&prior), &Value::map([("vpc_id", Value::string("vpc-1"))]));
        assert_eq!(change.planned, prior);
        assert!(change.requires_replace.is_empty());
    }
}
