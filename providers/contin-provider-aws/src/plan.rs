//! Pure checks (`validate`) and configuration normalization before the
//! schema diff (`normalize`): no IO here.

use crate::schema;
use crate::util::{get, get_blocks, num_i64};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub(crate) const DEFAULT_SG_DESCRIPTION: &str = "Managed by contin";

fn known_str(v: Option<&Value>) -> Option<&str> {
    match v.map(Value::unmarked) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn check_cidr(path: &str, v: Option<&Value>, diags: &mut Diagnostics) {
    let Some(s) = known_str(v) else { return };
    match s.parse::<ipnet::Ipv4Net>() {
        Err(_) => diags.push(
            Diagnostic::error(format!("{path}: {s:?} is not a valid IPv4 CIDR block"))
                .with_detail("expected ADDRESS/PREFIX with a prefix length 0-32, e.g. \"10.0.0.0/16\""),
        ),
        Ok(net) if net.trunc() != net => diags.push(
            Diagnostic::error(format!("{path}: {s:?} is not a valid IPv4 CIDR block"))
                .with_detail(format!("host bits are set; did you mean \"{}\"?", net.trunc())),
        ),
        Ok(_) => {}
    }
}

fn check_tags(cfg: &Value, diags: &mut Diagnostics) {
    if let Some(Value::Map(m)) = get(cfg, "tags") {
        for k in m.keys() {
            if k.starts_with("contin:") || k.starts_with("aws:") {
                diags.push(Diagnostic::error(format!("tags: key {k:?} uses a reserved prefix")).with_detail(
                    "tag keys starting with \"aws:\" belong to AWS and \"contin:\" to contin's bookkeeping",
                ));
            }
        }
    }
}

const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "icmpv6", "-1", "all", "6", "17", "1", "58"];

fn check_rules(cfg: &Value, block: &str, diags: &mut Diagnostics) {
    for (i, rule) in get_blocks(cfg, block).into_iter().enumerate() {
        let at = format!("{block}[{i}]");
        for c in crate::util::get_strs(rule, "cidr_blocks") {
            check_cidr(&format!("{at}.cidr_blocks"), Some(&Value::String(c)), diags);
        }
        check_protocol(&format!("{at}."), rule, "protocol", diags);
        if let (Some(f), Some(t)) = port_range(&format!("{at}."), rule, diags) {
            if f > t && f != -1 && t != -1 {
                diags.push(Diagnostic::error(format!("{at}: from_port {f} is greater than to_port {t}")));
            }
        }
    }
}

fn set(cfg: &Value, name: &str) -> bool {
    get(cfg, name).is_some_and(|v| !v.is_null())
}

fn one_of(cfg: &Value, names: &[&str], required: bool, diags: &mut Diagnostics) {
    let given: Vec<&str> = names.iter().copied().filter(|n| set(cfg, n)).collect();
    if given.len() > 1 {
        diags.push(Diagnostic::error(format!("{}: conflicts with {}", given[1], given[0])).with_detail(format!("set only one of {}", names.join(", "))));
    } else if given.is_empty() && required {
        diags.push(Diagnostic::error(format!("{}: one of these arguments is required", names.join(", "))));
    }
}

fn check_enum(cfg: &Value, name: &str, allowed: &[&str], diags: &mut Diagnostics) {
    if let Some(v) = known_str(get(cfg, name)) {
        if !allowed.contains(&v) {
            diags.push(Diagnostic::error(format!("{name}: {v:?} is not one of {}", allowed.join(", "))));
        }
    }
}

fn check_protocol(at: &str, cfg: &Value, name: &str, diags: &mut Diagnostics) {
    if let Some(p) = known_str(get(cfg, name)) {
        if !PROTOCOLS.contains(&p.to_ascii_lowercase().as_str()) {
            diags.push(Diagnostic::error(format!("{at}{name}: {p:?} is not a supported protocol")).with_detail("use tcp, udp, icmp, icmpv6 or -1 (all)"));
        }
    }
}

/// `from_port` and `to_port` of `cfg`, each checked to be within -1..=65535
/// (errors named `{at}from_port` / `{at}to_port`).
fn port_range(at: &str, cfg: &Value, diags: &mut Diagnostics) -> (Option<i64>, Option<i64>) {
    let from = get(cfg, "from_port").and_then(num_i64);
    let to = get(cfg, "to_port").and_then(num_i64);
    for (name, v) in [("from_port", from), ("to_port", to)] {
        if let Some(p) = v {
            if !(-1..=65535).contains(&p) {
                diags.push(Diagnostic::error(format!("{at}{name}: {p} is out of range (-1 to 65535)")));
            }
        }
    }
    (from, to)
}

fn check_ports(cfg: &Value, diags: &mut Diagnostics) {
    if let (Some(f), Some(t)) = port_range("", cfg, diags) {
        if f > t && f != -1 && t != -1 {
            diags.push(Diagnostic::error(format!("from_port: {f} is greater than to_port {t}")));
        }
    }
}

/// S3 bucket naming rules (general purpose buckets).
fn check_bucket_name(name: &str, diags: &mut Diagnostics) {
    let bad = |why: &str| Diagnostic::error(format!("bucket: {name:?} is not a valid S3 bucket name")).with_detail(why.to_string());
    if !(3..=63).contains(&name.len()) {
        diags.push(bad("a bucket name has 3 to 63 characters"));
    } else if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        diags.push(bad("only lowercase letters, digits, dots and hyphens are allowed"));
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) || !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        diags.push(bad("a bucket name starts and ends with a letter or digit"));
    } else if name.contains("..") {
        diags.push(bad("a bucket name has no two adjacent dots"));
    } else if name.parse::<std::net::Ipv4Addr>().is_ok() {
        diags.push(bad("a bucket name is not formatted as an IP address"));
    }
}

/// Checks beyond the schema: CIDR blocks, rule ports and protocols, reserved tag keys.
/// `timeouts { create/read/update/delete }` must be Go durations.
pub(crate) fn validate_timeouts(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    for t in get_blocks(cfg, "timeouts") {
        for op in ["create", "read", "update", "delete"] {
            if let Some(text) = known_str(get(t, op)) {
                if crate::util::parse_go_duration(text).is_none() {
                    d.push(Diagnostic::error(format!("timeouts.{op}: {text:?} is not a duration")).with_detail("a number and a unit, e.g. \"10m\", \"1h30m\" or \"45s\" (at most a year)"));
                }
            }
        }
    }
    d
}

pub(crate) fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    check_tags(cfg, &mut d);
    d.extend(validate_timeouts(cfg));
    match ty {
        schema::VPC => {
            one_of(cfg, &["cidr_block", "ipv4_ipam_pool_id"], true, &mut d);
            check_cidr("cidr_block", get(cfg, "cidr_block"), &mut d);
            if let Some(Ok(net)) = known_str(get(cfg, "cidr_block")).map(str::parse::<ipnet::Ipv4Net>) {
                if !(16..=28).contains(&net.prefix_len()) {
                    d.push(
                        Diagnostic::error(format!("cidr_block: a VPC's prefix length must be between /16 and /28, got /{}", net.prefix_len()))
                    );
                }
            }
        }
        schema::SUBNET => {
            check_cidr("cidr_block", get(cfg, "cidr_block"), &mut d);
            if !set(cfg, "cidr_block") && !set(cfg, "ipv6_cidr_block") {
                d.push(Diagnostic::error("cidr_block: one of cidr_block, ipv6_cidr_block is required"));
            }
        }
        schema::ROUTE_TABLE => {
            for (i, r) in get_blocks(cfg, "route").into_iter().enumerate() {
                check_cidr(&format!("route[{i}].cidr_block"), get(r, "cidr_block"), &mut d);
            }
        }
        schema::SECURITY_GROUP => {
            check_rules(cfg, "ingress", &mut d);
            check_rules(cfg, "egress", &mut d);
        }
        schema::S3_BUCKET => {
            one_of(cfg, &["bucket", "bucket_prefix"], false, &mut d);
            check_enum(cfg, "bucket_namespace", &["global", "account-regional"], &mut d);
            if let Some(b) = known_str(get(cfg, "bucket")) {
                check_bucket_name(b, &mut d);
            }
            if let Some(p) = known_str(get(cfg, "bucket_prefix")) {
                if p.len() > 37 {
                    d.push(Diagnostic::error(format!("bucket_prefix: {p:?} is longer than 37 characters")).with_detail("26 generated characters are appended; a bucket name has at most 63"));
                } else {
                    let mut sub = Diagnostics::new();
                    check_bucket_name(&format!("{p}{}", "0".repeat(26)), &mut sub);
                    if !sub.is_empty() {
                        d.push(Diagnostic::error(format!("bucket_prefix: {p:?} cannot start a valid S3 bucket name")).with_detail("only lowercase letters, digits, dots and hyphens; starting with a letter or digit"));
                    }
                }
            }
        }
        schema::S3_BUCKET_VERSIONING => {
            for c in get_blocks(cfg, "versioning_configuration") {
                if let Some(st) = known_str(get(c, "status")) {
                    if !["Enabled", "Suspended", "Disabled"].contains(&st) {
                        d.push(Diagnostic::error(format!("versioning_configuration.status: {st:?} is not one of Enabled, Suspended, Disabled")));
                    }
                }
            }
        }
        schema::S3_OBJECT => one_of(cfg, &["content", "content_base64", "source"], false, &mut d),
        schema::EIP => {
            check_enum(cfg, "domain", &["vpc"], &mut d);
            match get(cfg, "vpc").map(Value::unmarked) {
                Some(Value::Bool(false)) => d.push(
                    Diagnostic::error("vpc: only VPC addresses (vpc = true) are supported")
                        .with_detail("EC2-Classic addresses no longer exist; remove vpc or set domain = \"vpc\""),
                ),
                Some(Value::Bool(true)) if set(cfg, "domain") => d.push(
                    Diagnostic::error("vpc: conflicts with domain").with_detail("vpc is the deprecated spelling of domain = \"vpc\": set only one"),
                ),
                _ => {}
            }
        }
        schema::SECURITY_GROUP_RULE => {
            check_enum(cfg, "type", &["ingress", "egress"], &mut d);
            // Terraform: at least one source; a source group excludes CIDRs and self.
            let nonempty = |k: &str| match get(cfg, k) {
                Some(Value::List(items) | Value::Set(items)) => !items.is_empty(),
                Some(v) => !v.is_null(),
                None => false,
            };
            let is_self = matches!(get(cfg, "self"), Some(Value::Bool(true)) | Some(Value::Unknown));
            let sources = ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "source_security_group_id"];
            if !is_self && !sources.iter().any(|k| nonempty(k)) {
                d.push(Diagnostic::error("cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, self, source_security_group_id: one of these arguments is required"));
            }
            if nonempty("source_security_group_id") {
                if let Some(k) = ["cidr_blocks", "ipv6_cidr_blocks"].into_iter().find(|k| nonempty(k)).or(is_self.then_some("self")) {
                    d.push(Diagnostic::error(format!("source_security_group_id: conflicts with {k}")));
                }
            }
            for c in crate::util::get_strs(cfg, "cidr_blocks") {
                check_cidr("cidr_blocks", Some(&Value::String(c)), &mut d);
            }
            check_protocol("", cfg, "protocol", &mut d);
            check_ports(cfg, &mut d);
        }
        schema::VPC_SG_INGRESS_RULE | schema::VPC_SG_EGRESS_RULE => {
            one_of(cfg, &["cidr_ipv4", "referenced_security_group_id"], true, &mut d);
            check_cidr("cidr_ipv4", get(cfg, "cidr_ipv4"), &mut d);
            check_protocol("", cfg, "ip_protocol", &mut d);
            check_ports(cfg, &mut d);
            if known_str(get(cfg, "ip_protocol")).is_some_and(|p| canonical_protocol(p) != "-1") {
                for name in ["from_port", "to_port"] {
                    if get(cfg, name).is_none_or(Value::is_null) {
                        d.push(Diagnostic::error(format!("{name}: required unless ip_protocol is \"-1\" (all)")));
                    }
                }
            }
        }
        schema::NAT_GATEWAY => {
            check_enum(cfg, "connectivity_type", &["public", "private"], &mut d);
            let public = known_str(get(cfg, "connectivity_type")).is_none_or(|c| c == "public");
            if public && get(cfg, "allocation_id").is_none_or(Value::is_null) && get(cfg, "connectivity_type").is_none_or(|v| v.is_wholly_known()) {
                d.push(Diagnostic::error("allocation_id: required for a public NAT gateway").with_detail("allocate an aws_eip and pass its id, or set connectivity_type = \"private\""));
            }
        }
        schema::ROUTE => {
            check_cidr("destination_cidr_block", get(cfg, "destination_cidr_block"), &mut d);
            one_of(cfg, &schema::ROUTE_DESTINATIONS, true, &mut d);
            one_of(cfg, &schema::ROUTE_TARGETS, true, &mut d);
        }
        schema::LAUNCH_TEMPLATE => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            if let Some(u) = known_str(get(cfg, "user_data")) {
                if contin_types::base64::decode(u).is_none() {
                    d.push(Diagnostic::error("user_data: not valid base64").with_detail("a launch template takes base64-encoded user data: use base64encode(...)"));
                }
            }
            if let Some(n) = known_str(get(cfg, "name")) {
                if !(3..=128).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b"()./_-".contains(&b)) {
                    d.push(Diagnostic::error(format!("name: {n:?} is not a valid launch template name")).with_detail("3 to 128 characters: letters, digits and ( ) . / _ -"));
                }
            }
            check_instance_type(cfg, &mut d);
        }
        schema::INSTANCE => check_instance_type(cfg, &mut d),
        schema::IAM_ROLE => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            check_iam_name(cfg, "name", 64, &mut d);
            check_iam_name(cfg, "name_prefix", 64 - 26, &mut d);
            check_iam_path(cfg, &mut d);
            check_policy(cfg, "assume_role_policy", &mut d);
            if let Some(n) = get(cfg, "max_session_duration").and_then(num_i64) {
                if !(3600..=43200).contains(&n) {
                    d.push(Diagnostic::error(format!("max_session_duration: {n} is out of range (3600 to 43200 seconds)")));
                }
            }
        }
        schema::IAM_INSTANCE_PROFILE => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            check_iam_name(cfg, "name", 128, &mut d);
            check_iam_name(cfg, "name_prefix", 128 - 26, &mut d);
            check_iam_path(cfg, &mut d);
        }
        schema::IAM_USER => {
            check_iam_name(cfg, "name", 64, &mut d);
            check_iam_path(cfg, &mut d);
        }
        schema::IAM_ROLE_POLICY_ATTACHMENT => {
            if let Some(a) = known_str(get(cfg, "policy_arn")) {
                if !a.starts_with("arn:") {
                    d.push(Diagnostic::error(format!("policy_arn: {a:?} is not an ARN")).with_detail("e.g. \"arn:aws:iam::aws:policy/ReadOnlyAccess\""));
                }
            }
        }
        schema::LB => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            check_lb_name(cfg, "name", 32, &mut d);
            check_lb_name(cfg, "name_prefix", 6, &mut d);
            check_enum(cfg, "load_balancer_type", &["application", "network", "gateway"], &mut d);
            if known_str(get(cfg, "load_balancer_type")).is_some_and(|t| t != "application") && set(cfg, "idle_timeout") {
                d.push(Diagnostic::error("idle_timeout: only application load balancers have an idle timeout"));
            }
        }
        schema::LB_TARGET_GROUP => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            check_lb_name(cfg, "name", 32, &mut d);
            check_lb_name(cfg, "name_prefix", 6, &mut d);
            check_enum(cfg, "target_type", &["instance", "ip", "lambda", "alb"], &mut d);
            check_lb_protocol(cfg, "protocol", &mut d);
            check_port(cfg, "port", &mut d);
            if known_str(get(cfg, "target_type")) != Some("lambda") {
                for name in ["port", "protocol", "vpc_id"] {
                    if !set(cfg, name) {
                        d.push(Diagnostic::error(format!("{name}: required unless target_type is \"lambda\"")));
                    }
                }
            }
        }
        schema::LB_LISTENER => {
            check_lb_protocol(cfg, "protocol", &mut d);
            check_port(cfg, "port", &mut d);
            for (i, a) in get_blocks(cfg, "default_action").into_iter().enumerate() {
                let at = format!("default_action[{i}]");
                let needs = match known_str(get(a, "type")) {
                    Some("forward") => "target_group_arn",
                    Some("fixed-response") => "fixed_response",
                    Some("redirect") => "redirect",
                    Some(other) => {
                        d.push(Diagnostic::error(format!("{at}.type: {other:?} is not one of forward, fixed-response, redirect")));
                        continue;
                    }
                    None => continue,
                };
                let given = if needs == "target_group_arn" { set(a, needs) } else { !get_blocks(a, needs).is_empty() };
                if !given && get(a, needs).is_none_or(|v| v.is_wholly_known()) {
                    d.push(Diagnostic::error(format!("{at}.{needs}: required for a {:?} action", known_str(get(a, "type")).unwrap_or_default())));
                }
            }
        }
        schema::LAUNCH_CONFIGURATION => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            check_instance_type(cfg, &mut d);
        }
        schema::AUTOSCALING_GROUP => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            one_of(cfg, &["launch_configuration", "launch_template"], true, &mut d);
            one_of(cfg, &["vpc_zone_identifier", "availability_zones"], false, &mut d);
            check_enum(cfg, "health_check_type", &["EC2", "ELB"], &mut d);
            check_enum(cfg, "desired_capacity_type", &["units", "vcpu", "memory-mib"], &mut d);
            if let Some(text) = known_str(get(cfg, "wait_for_capacity_timeout")) {
                if crate::util::parse_go_duration(text).is_none() {
                    d.push(Diagnostic::error(format!("wait_for_capacity_timeout: {text:?} is not a duration")).with_detail("e.g. \"10m\", or \"0\" to skip waiting"));
                }
            }
            let n = |name: &str| get(cfg, name).and_then(num_i64);
            if let (Some(min), Some(max)) = (n("min_size"), n("max_size")) {
                if min < 0 || min > max {
                    d.push(Diagnostic::error(format!("min_size: {min} must be between 0 and max_size ({max})")));
                }
                if let Some(want) = n("desired_capacity") {
                    if want < min || want > max {
                        d.push(Diagnostic::error(format!("desired_capacity: {want} is not between min_size ({min}) and max_size ({max})")));
                    }
                }
            }
            for t in get_blocks(cfg, "launch_template") {
                if !set(t, "id") && !set(t, "name") && t.is_wholly_known() {
                    d.push(Diagnostic::error("launch_template: one of id, name is required"));
                }
            }
        }
        schema::ELB => {
            one_of(cfg, &["name", "name_prefix"], false, &mut d);
            check_lb_name(cfg, "name", 32, &mut d);
            check_lb_name(cfg, "name_prefix", 6, &mut d);
            one_of(cfg, &["subnets", "availability_zones"], false, &mut d);
            for (i, l) in get_blocks(cfg, "listener").into_iter().enumerate() {
                for name in ["lb_protocol", "instance_protocol"] {
                    if let Some(p) = known_str(get(l, name)) {
                        if !["HTTP", "HTTPS", "TCP", "SSL"].contains(&p.to_ascii_uppercase().as_str()) {
                            d.push(Diagnostic::error(format!("listener[{i}].{name}: {p:?} is not one of HTTP, HTTPS, TCP, SSL")));
                        }
                    }
                }
                for name in ["lb_port", "instance_port"] {
                    check_port(l, name, &mut d);
                }
            }
        }
        schema::DB_INSTANCE => {
            one_of(cfg, &["identifier", "identifier_prefix"], false, &mut d);
            for (name, max) in [("identifier", 63), ("identifier_prefix", 37)] {
                let Some(id) = known_str(get(cfg, name)) else { continue };
                let ok = !id.is_empty()
                    && id.len() <= max
                    && id.starts_with(|c: char| c.is_ascii_lowercase())
                    && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !id.contains("--")
                    && (name == "identifier_prefix" || !id.ends_with('-'));
                if !ok {
                    d.push(Diagnostic::error(format!("{name}: {id:?} is not a valid DB instance identifier")).with_detail(format!(
                        "1 to {max} lowercase letters, digits and hyphens, starting with a letter, no two hyphens in a row, not ending with a hyphen"
                    )));
                }
            }
            // The password itself never appears in a message.
            if let Some(p) = known_str(get(cfg, "password")) {
                if p.len() < 8 || p.len() > 128 {
                    d.push(Diagnostic::error(format!("password: must have 8 to 128 characters (it has {})", p.len())));
                }
            }
            if let Some(c) = known_str(get(cfg, "instance_class")) {
                if !c.starts_with("db.") {
                    d.push(Diagnostic::error(format!("instance_class: {c:?} is not a DB instance class")).with_detail("e.g. \"db.t3.micro\""));
                }
            }
        }
        _ => {}
    }
    d
}

/// Load balancer and target group names: letters, digits and hyphens, no hyphen at either end.
fn check_lb_name(cfg: &Value, name: &str, max: usize, d: &mut Diagnostics) {
    let Some(n) = known_str(get(cfg, name)) else { return };
    let whole = name == "name";
    let ok = !n.is_empty()
        && n.len() <= max
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !n.starts_with('-')
        && (!whole || !n.ends_with('-'))
        && !n.starts_with("internal-");
    if !ok {
        d.push(Diagnostic::error(format!("{name}: {n:?} is not a valid load balancer name")).with_detail(format!(
            "1 to {max} letters, digits and hyphens, not starting (or, for a name, ending) with a hyphen nor starting with \"internal-\""
        )));
    }
}

const LB_PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"];

fn check_lb_protocol(cfg: &Value, name: &str, d: &mut Diagnostics) {
    if let Some(p) = known_str(get(cfg, name)) {
        if !LB_PROTOCOLS.contains(&p.to_ascii_uppercase().as_str()) {
            d.push(Diagnostic::error(format!("{name}: {p:?} is not one of {}", LB_PROTOCOLS.join(", "))));
        }
    }
}

fn check_port(cfg: &Value, name: &str, d: &mut Diagnostics) {
    if let Some(p) = get(cfg, name).and_then(num_i64) {
        if !(1..=65535).contains(&p) {
            d.push(Diagnostic::error(format!("{name}: {p} is out of range (1 to 65535)")));
        }
    }
}

/// IAM names: letters, digits and `+=,.@_-`, at most `max` characters.
fn check_iam_name(cfg: &Value, name: &str, max: usize, d: &mut Diagnostics) {
    let Some(n) = known_str(get(cfg, name)) else { return };
    let ok_chars = n.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if n.is_empty() || n.len() > max || !ok_chars {
        d.push(Diagnostic::error(format!("{name}: {n:?} is not a valid IAM name")).with_detail(format!("1 to {max} characters: letters, digits and + = , . @ _ -")));
    }
}

fn check_iam_path(cfg: &Value, d: &mut Diagnostics) {
    let Some(p) = known_str(get(cfg, "path")) else { return };
    if !p.starts_with('/') || !p.ends_with('/') || p.len() > 512 || !p.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        d.push(Diagnostic::error(format!("path: {p:?} is not a valid IAM path")).with_detail("starts and ends with \"/\", at most 512 printable ASCII characters, e.g. \"/service/\""));
    }
}

fn check_policy(cfg: &Value, name: &str, d: &mut Diagnostics) {
    let Some(doc) = known_str(get(cfg, name)) else { return };
    if let Err(why) = crate::policy::parse(doc) {
        d.push(Diagnostic::error(format!("{name}: not a valid policy document")).with_detail(why));
    }
}

fn check_instance_type(cfg: &Value, d: &mut Diagnostics) {
    if let Some(t) = known_str(get(cfg, "instance_type")) {
        let ok = t.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('.'));
        if !ok {
            d.push(
                Diagnostic::error(format!("instance_type: {t:?} is not an EC2 instance type"))
                    .with_detail("expected FAMILY.SIZE, e.g. \"t3.micro\""),
            );
        }
    }
}

/// The canonical spelling of a rule protocol (AWS returns names for tcp/udp/icmp and -1 for all).
pub(crate) fn canonical_protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.into(),
    }
}

fn normalize_rule(rule: &Value) -> Value {
    let Value::Map(m) = rule else { return rule.clone() };
    let mut m: BTreeMap<String, Value> = m.clone();
    if let Some(Value::String(p)) = m.get("protocol") {
        let p = canonical_protocol(p);
        if p == "-1" {
            // AWS ignores ports for "all": read back as 0/0.
            m.insert("from_port".into(), Value::int(0));
            m.insert("to_port".into(), Value::int(0));
        }
        m.insert("protocol".into(), Value::String(p));
    }
    // Every source list is present, empty when unused (as Terraform shows them).
    for key in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"] {
        let items: Option<Vec<String>> = match m.get(key) {
            Some(Value::List(items) | Value::Set(items)) if items.iter().all(|i| matches!(i, Value::String(_))) => {
                Some(items.iter().filter_map(|i| if let Value::String(s) = i { Some(s.clone()) } else { None }).collect())
            }
            None | Some(Value::Null) => Some(Vec::new()),
            _ => None,
        };
        if let Some(mut c) = items {
            c.sort();
            c.dedup();
            let v = if key == "security_groups" { Value::set(c.into_iter().map(Value::String).collect()) } else { crate::util::str_list(c) };
            m.insert(key.into(), v);
        }
    }
    if m.get("self").is_none_or(Value::is_null) {
        m.insert("self".into(), Value::Bool(false));
    }
    Value::Map(m)
}

/// Brings a desired configuration to the form `read` returns so an unchanged
/// object plans as a no-op (rule protocols, sorted CIDR lists, defaults).
pub(crate) fn normalize(ty: &str, desired: &Value) -> Value {
    let (desired, _) = desired.unmark_deep();
    let Value::Map(mut m) = desired else { return desired };
    let null = |m: &BTreeMap<String, Value>, k: &str| m.get(k).is_none_or(Value::is_null);
    match ty {
        schema::IAM_ROLE | schema::IAM_INSTANCE_PROFILE | schema::IAM_USER => {
            if null(&m, "path") {
                m.insert("path".into(), Value::string("/"));
            }
            if ty == schema::IAM_ROLE && null(&m, "max_session_duration") {
                m.insert("max_session_duration".into(), Value::int(3600));
            }
        }
        schema::LB => {
            if null(&m, "internal") {
                m.insert("internal".into(), Value::Bool(false));
            }
            if null(&m, "load_balancer_type") {
                m.insert("load_balancer_type".into(), Value::string("application"));
            }
            if null(&m, "enable_deletion_protection") {
                m.insert("enable_deletion_protection".into(), Value::Bool(false));
            }
            if null(&m, "idle_timeout") && m.get("load_balancer_type") == Some(&Value::string("application")) {
                m.insert("idle_timeout".into(), Value::int(60));
            }
        }
        schema::LB_TARGET_GROUP | schema::LB_LISTENER => {
            if let Some(Value::String(p)) = m.get("protocol") {
                let p = p.to_ascii_uppercase();
                m.insert("protocol".into(), Value::String(p));
            }
            if ty == schema::LB_TARGET_GROUP && null(&m, "target_type") {
                m.insert("target_type".into(), Value::string("instance"));
            }
        }
        schema::AUTOSCALING_GROUP => {
            if null(&m, "health_check_grace_period") {
                m.insert("health_check_grace_period".into(), Value::int(300));
            }
            // Booleans AWS always reports: unset is false (Terraform's zero value).
            for k in ["protect_from_scale_in", "capacity_rebalance"] {
                if null(&m, k) {
                    m.insert(k.into(), Value::Bool(false));
                }
            }
            if null(&m, "metrics_granularity") && m.get("enabled_metrics").is_some_and(|v| !v.is_null()) {
                m.insert("metrics_granularity".into(), Value::string("1Minute"));
            }
            // The template's version defaults to "$Default".
            if let Some(Value::List(items)) = m.get("launch_template") {
                let items = items
                    .iter()
                    .map(|t| match t {
                        Value::Map(tm) if tm.get("version").is_none_or(Value::is_null) => {
                            let mut tm = tm.clone();
                            tm.insert("version".into(), Value::string("$Default"));
                            Value::Map(tm)
                        }
                        other => other.clone(),
                    })
                    .collect();
                m.insert("launch_template".into(), Value::List(items));
            }
        }
        schema::ELB => {
            for (k, v) in [("internal", Value::Bool(false)), ("cross_zone_load_balancing", Value::Bool(true)), ("idle_timeout", Value::int(60))] {
                if null(&m, k) {
                    m.insert(k.into(), v);
                }
            }
            if let Some(Value::List(items) | Value::Set(items)) = m.get("listener") {
                let items: Vec<Value> = items
                    .iter()
                    .map(|l| match l {
                        Value::Map(lm) => {
                            let mut lm = lm.clone();
                            for k in ["lb_protocol", "instance_protocol"] {
                                if let Some(Value::String(p)) = lm.get(k) {
                                    let p = p.to_ascii_uppercase();
                                    lm.insert(k.into(), Value::String(p));
                                }
                            }
                            Value::Map(lm)
                        }
                        other => other.clone(),
                    })
                    .collect();
                m.insert("listener".into(), Value::set(items));
            }
        }
        schema::DB_INSTANCE => {
            for k in ["publicly_accessible", "deletion_protection", "skip_final_snapshot"] {
                if null(&m, k) {
                    m.insert(k.into(), Value::Bool(false));
                }
            }
        }
        schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK => {
            for f in schema::PUBLIC_ACCESS_FLAGS {
                if null(&m, f) {
                    m.insert(f.into(), Value::Bool(false));
                }
            }
        }
        schema::SECURITY_GROUP_RULE => {
            if null(&m, "self") {
                m.insert("self".into(), Value::Bool(false));
            }
            // An empty source list reads back as absent.
            for k in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"] {
                if matches!(m.get(k), Some(Value::List(items) | Value::Set(items)) if items.is_empty()) {
                    m.insert(k.into(), Value::Null);
                }
            }
            if let Some(Value::String(p)) = m.get("protocol") {
                let p = canonical_protocol(p);
                if p == "-1" {
                    m.insert("from_port".into(), Value::int(0));
                    m.insert("to_port".into(), Value::int(0));
                }
                m.insert("protocol".into(), Value::String(p));
            }
        }
        schema::VPC_SG_INGRESS_RULE | schema::VPC_SG_EGRESS_RULE => {
            if let Some(Value::String(p)) = m.get("ip_protocol") {
                let p = canonical_protocol(p);
                if p == "-1" {
                    m.insert("from_port".into(), Value::Null);
                    m.insert("to_port".into(), Value::Null);
                }
                m.insert("ip_protocol".into(), Value::String(p));
            }
        }
        _ => {}
    }
    if ty == schema::SECURITY_GROUP {
        if m.get("revoke_rules_on_delete").is_none_or(Value::is_null) {
            m.insert("revoke_rules_on_delete".into(), Value::Bool(false));
        }
        if m.get("description").is_none_or(Value::is_null) {
            m.insert("description".into(), Value::string(DEFAULT_SG_DESCRIPTION));
        }
        for block in ["ingress", "egress"] {
            if let Some(Value::List(items) | Value::Set(items)) = m.get(block) {
                let items: Vec<Value> = items.iter().map(normalize_rule).collect();
                m.insert(block.into(), Value::List(items));
            }
        }
    }
    Value::Map(m)
}

/// Computed attributes an in-place update changes: an instance type change
/// stops and starts the instance, which gets a new public IP.
pub(crate) fn adjust(ty: &str, prior: Option<&Value>, change: &mut contin_provider::PlannedChange) {
    let Some(prior) = prior else { return };
    if !change.requires_replace.is_empty() {
        return;
    }
    let changed = |names: &[&str], planned: &Value| names.iter().any(|n| get(planned, n) != get(prior, n));
    let unknown = |names: &[&str], planned: &mut Value| {
        if let Value::Map(m) = planned {
            for n in names {
                m.insert((*n).into(), Value::Unknown);
            }
        }
    };
    match ty {
        // A new body is a new object version with a new etag.
        schema::S3_OBJECT if changed(&crate::s3::OBJECT_BODY_ATTRS, &change.planned) && get(&change.planned, "etag") == get(prior, "etag") => {
            unknown(&["etag", "version_id"], &mut change.planned)
        }
        // Template data changes make a new version.
        schema::LAUNCH_TEMPLATE if changed(&crate::ec2x::TEMPLATE_DATA_ATTRS, &change.planned) => {
            let mut names = vec!["latest_version"];
            if crate::util::get_bool(&change.planned, "update_default_version") == Some(true) {
                names.push("default_version");
            }
            unknown(&names, &mut change.planned)
        }
        schema::EIP if changed(&["instance"], &change.planned) => unknown(&["association_id"], &mut change.planned),
        // A policy that means the same as the state's keeps the state's spelling: no diff.
        schema::IAM_ROLE => {
            if let (Some(old), Some(new)) = (crate::util::get_str(prior, "assume_role_policy"), crate::util::get_str(&change.planned, "assume_role_policy")) {
                if old != new && crate::policy::equivalent(old, new) {
                    let old = Value::string(old);
                    if let Value::Map(m) = &mut change.planned {
                        m.insert("assume_role_policy".into(), old);
                    }
                }
            }
        }
        // As in Terraform, a target group without a `health_check` block keeps the one it has.
        schema::LB_TARGET_GROUP if get_blocks(&change.planned, "health_check").is_empty() && !get_blocks(prior, "health_check").is_empty() => {
            if let (Value::Map(m), Some(v)) = (&mut change.planned, get(prior, "health_check")) {
                m.insert("health_check".into(), v.clone());
            }
        }
        // A new port moves the endpoint.
        schema::DB_INSTANCE if changed(&["port"], &change.planned) => unknown(&["endpoint"], &mut change.planned),
        // A rename or a new path changes the user's id and ARN.
        schema::IAM_USER if changed(&["name"], &change.planned) => unknown(&["id", "arn"], &mut change.planned),
        schema::IAM_USER if changed(&["path"], &change.planned) => unknown(&["arn"], &mut change.planned),
        // As in Terraform, a group without inline `ingress`/`egress` blocks
        // leaves that direction's rules alone (they may belong to
        // `aws_security_group_rule` / `aws_vpc_security_group_*_rule`
        // resources); a new group still loses EC2's default egress rule.
        // Same for a route table without inline `route` blocks (`aws_route` resources).
        schema::SECURITY_GROUP | schema::ROUTE_TABLE => {
            let blocks: &[&str] = if ty == schema::ROUTE_TABLE { &["route"] } else { &["ingress", "egress"] };
            for &block in blocks {
                if get_blocks(&change.planned, block).is_empty() && !get_blocks(prior, block).is_empty() {
                    if let (Value::Map(m), Some(v)) = (&mut change.planned, get(prior, block)) {
                        m.insert(block.into(), v.clone());
                    }
                }
            }
        }
        _ => {}
    }
    if ty == schema::INSTANCE && change.requires_replace.is_empty() {
        let new_type = get(&change.planned, "instance_type");
        if new_type != get(prior, "instance_type") && get(prior, "public_ip").is_some() {
            // A stop/start for the new type gives a new public address and name.
            if let Value::Map(m) = &mut change.planned {
                m.insert("public_ip".into(), Value::Unknown);
                m.insert("public_dns".into(), Value::Unknown);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summaries(d: &Diagnostics) -> Vec<String> {
        d.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn invalid_cidr_names_the_attribute() {
        let d = validate(schema::VPC, &Value::map([("cidr_block", Value::string("10.0.0.0/33"))]));
        assert_eq!(summaries(&d), vec!["cidr_block: \"10.0.0.0/33\" is not a valid IPv4 CIDR block"]);
        let d = validate(schema::SUBNET, &Value::map([("cidr_block", Value::string("10.0.1.5/24"))]));
        assert!(d.iter().next().unwrap().detail.contains("10.0.1.0/24"));
        let d = validate(schema::VPC, &Value::map([("cidr_block", Value::string("10.0.0.0/8"))]));
        assert!(summaries(&d)[0].contains("/16 and /28"));
        assert!(validate(schema::VPC, &Value::map([("cidr_block", Value::string("10.0.0.0/16"))])).is_empty());
        assert!(validate(schema::VPC, &Value::map([("cidr_block", Value::Unknown)])).is_empty());
    }

    #[test]
    fn rules_ports_protocols_and_reserved_tags() {
        let rule = Value::map([
            ("from_port", Value::int(80)),
            ("to_port", Value::int(22)),
            ("protocol", Value::string("tcpp")),
            ("cidr_blocks", Value::List(vec![Value::string("0.0.0.0/0"), Value::string("300.0.0.0/8")])),
        ]);
        let cfg = Value::map([("ingress", Value::List(vec![rule])), ("tags", Value::map([("contin:x", Value::string("y"))]))]);
        let s = summaries(&validate(schema::SECURITY_GROUP, &cfg));
        assert_eq!(s.len(), 4, "{s:?}");
        assert!(s.iter().any(|x| x.starts_with("ingress[0].cidr_blocks: \"300.0.0.0/8\"")));
        assert!(s.iter().any(|x| x.contains("protocol")));
        assert!(s.iter().any(|x| x.contains("from_port 80 is greater")));
        assert!(s.iter().any(|x| x.starts_with("tags:")));
    }

    #[test]
    fn new_types_validation_names_the_argument() {
        let v = |ty: &str, pairs: Vec<(&str, Value)>| summaries(&validate(ty, &Value::map(pairs)));
        assert_eq!(v(schema::S3_BUCKET, vec![("bucket", Value::string("My_Bucket"))]), vec!["bucket: \"My_Bucket\" is not a valid S3 bucket name"]);
        assert_eq!(v(schema::S3_BUCKET, vec![("bucket", Value::string("ab"))]).len(), 1);
        assert_eq!(v(schema::S3_BUCKET, vec![("bucket", Value::string("192.168.1.1"))]).len(), 1);
        assert!(v(schema::S3_BUCKET, vec![("bucket", Value::string("my.bucket-1"))]).is_empty());
        assert_eq!(
            v(schema::S3_BUCKET, vec![("bucket", Value::string("abc")), ("bucket_prefix", Value::string("x-"))]),
            vec!["bucket_prefix: conflicts with bucket"]
        );
        assert!(v(schema::S3_BUCKET, vec![("bucket_prefix", Value::string("a".repeat(38)))])[0].contains("longer than 37"));
        assert!(v(schema::S3_BUCKET, vec![("bucket_prefix", Value::string("-x"))])[0].starts_with("bucket_prefix:"));
        let vc = |st: &str| Value::List(vec![Value::map([("status", Value::string(st))])]);
        assert_eq!(v(schema::S3_BUCKET_VERSIONING, vec![("versioning_configuration", vc("On"))]).len(), 1);
        assert!(v(schema::S3_BUCKET_VERSIONING, vec![("versioning_configuration", vc("Suspended"))]).is_empty());
        assert_eq!(v(schema::S3_OBJECT, vec![("content", Value::string("a")), ("source", Value::string("b"))]), vec!["source: conflicts with content"]);
        assert_eq!(v(schema::EIP, vec![("domain", Value::string("standard"))]), vec!["domain: \"standard\" is not one of vpc"]);
        assert_eq!(v(schema::EIP, vec![("vpc", Value::Bool(false))]), vec!["vpc: only VPC addresses (vpc = true) are supported"]);
        assert_eq!(v(schema::EIP, vec![("vpc", Value::Bool(true)), ("domain", Value::string("vpc"))]), vec!["vpc: conflicts with domain"]);
        assert!(v(schema::EIP, vec![("vpc", Value::Bool(true))]).is_empty());
        let rule = |extra: Vec<(&'static str, Value)>| {
            let mut p = vec![("type", Value::string("ingress")), ("from_port", Value::int(443)), ("to_port", Value::int(80)), ("protocol", Value::string("tcp"))];
            p.extend(extra);
            p
        };
        let s = v(schema::SECURITY_GROUP_RULE, rule(vec![]));
        assert!(s.contains(&"cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, self, source_security_group_id: one of these arguments is required".to_string()), "{s:?}");
        let s = v(schema::SECURITY_GROUP_RULE, rule(vec![("prefix_list_ids", Value::List(vec![])), ("self", Value::Bool(false))]));
        assert!(s.iter().any(|x| x.ends_with("one of these arguments is required")), "empty lists are no source: {s:?}");
        let s = v(schema::SECURITY_GROUP_RULE, rule(vec![("self", Value::Bool(true)), ("source_security_group_id", Value::string("sg-1"))]));
        assert!(s.contains(&"source_security_group_id: conflicts with self".to_string()), "{s:?}");
        assert!(s.contains(&"from_port: 443 is greater than to_port 80".to_string()), "{s:?}");
        let s = v(schema::SECURITY_GROUP_RULE, rule(vec![("cidr_blocks", Value::List(vec![Value::string("10.0.0.1/8")])), ("type", Value::string("in"))]));
        assert!(s.iter().any(|x| x.starts_with("cidr_blocks: \"10.0.0.1/8\"")) && s.iter().any(|x| x.starts_with("type: \"in\"")), "{s:?}");
        let s = v(schema::VPC_SG_INGRESS_RULE, vec![("ip_protocol", Value::string("tcp")), ("cidr_ipv4", Value::string("0.0.0.0/0"))]);
        assert_eq!(s, vec!["from_port: required unless ip_protocol is \"-1\" (all)", "to_port: required unless ip_protocol is \"-1\" (all)"]);
        assert!(v(schema::VPC_SG_EGRESS_RULE, vec![("ip_protocol", Value::string("-1")), ("cidr_ipv4", Value::string("0.0.0.0/0"))]).is_empty());
        assert_eq!(v(schema::NAT_GATEWAY, vec![("subnet_id", Value::string("subnet-1"))]), vec!["allocation_id: required for a public NAT gateway"]);
        assert!(v(schema::NAT_GATEWAY, vec![("subnet_id", Value::string("subnet-1")), ("connectivity_type", Value::string("private"))]).is_empty());
        let s = v(schema::ROUTE, vec![("destination_cidr_block", Value::string("0.0.0.0/0")), ("gateway_id", Value::string("igw-1")), ("nat_gateway_id", Value::string("nat-1"))]);
        assert_eq!(s, vec!["nat_gateway_id: conflicts with gateway_id"]);
        assert_eq!(v(schema::ROUTE, vec![("destination_cidr_block", Value::string("0.0.0.0/0"))]).len(), 1);
        let s = v(schema::LAUNCH_TEMPLATE, vec![("user_data", Value::string("#!/bin/sh")), ("instance_type", Value::string("large"))]);
        assert_eq!(s, vec!["user_data: not valid base64", "instance_type: \"large\" is not an EC2 instance type"]);
    }

    #[test]
    fn normalization_of_new_types() {
        let n = normalize(schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK, &Value::map([("bucket", Value::string("b")), ("block_public_acls", Value::Bool(true))]));
        assert_eq!(get(&n, "block_public_acls"), Some(&Value::Bool(true)));
        assert_eq!(get(&n, "restrict_public_buckets"), Some(&Value::Bool(false)));
        let n = normalize(schema::VPC_SG_EGRESS_RULE, &Value::map([("ip_protocol", Value::string("ALL")), ("from_port", Value::int(5))]));
        assert_eq!(get(&n, "ip_protocol"), Some(&Value::string("-1")));
        assert!(get(&n, "from_port").is_none_or(Value::is_null), "{n:?}");
        let n = normalize(schema::SECURITY_GROUP_RULE, &Value::map([("protocol", Value::string("6"))]));
        assert_eq!(get(&n, "protocol"), Some(&Value::string("tcp")));
    }

    #[test]
    fn instance_type_shape() {
        let d = validate(schema::INSTANCE, &Value::map([("instance_type", Value::string("t3micro"))]));
        assert_eq!(summaries(&d), vec!["instance_type: \"t3micro\" is not an EC2 instance type"]);
        assert!(validate(schema::INSTANCE, &Value::map([("instance_type", Value::string("t3.micro"))])).is_empty());
    }

    #[test]
    fn sg_normalization_matches_read_shape() {
        let cfg = Value::map([(
            "egress",
            Value::List(vec![Value::map([
                ("from_port", Value::int(5)),
                ("to_port", Value::int(9)),
                ("protocol", Value::string("ALL")),
                ("cidr_blocks", Value::List(vec![Value::string("b"), Value::string("a"), Value::string("a")])),
            ])]),
        )]);
        let n = normalize(schema::SECURITY_GROUP, &cfg);
        assert_eq!(n.get_path(&[contin_types::value::PathStep::Key("description".into())]), Some(&Value::string(DEFAULT_SG_DESCRIPTION)));
        let rule = &get_blocks(&n, "egress")[0];
        assert_eq!(get(rule, "protocol"), Some(&Value::string("-1")));
        assert_eq!(get(rule, "from_port"), Some(&Value::int(0)));
        assert_eq!(get(rule, "cidr_blocks"), Some(&Value::List(vec![Value::string("a"), Value::string("b")])));
    }
}
