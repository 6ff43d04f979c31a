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
        if let Some(p) = known_str(get(rule, "protocol")) {
            if !PROTOCOLS.contains(&p.to_ascii_lowercase().as_str()) {
                diags.push(
                    Diagnostic::error(format!("{at}.protocol: {p:?} is not a supported protocol"))
                        .with_detail("use tcp, udp, icmp, icmpv6 or -1 (all)"),
                );
            }
        }
        let from = get(rule, "from_port").and_then(num_i64);
        let to = get(rule, "to_port").and_then(num_i64);
        for (name, v) in [("from_port", from), ("to_port", to)] {
            if let Some(p) = v {
                if !(-1..=65535).contains(&p) {
                    diags.push(Diagnostic::error(format!("{at}.{name}: {p} is out of range (-1 to 65535)")));
                }
            }
        }
        if let (Some(f), Some(t)) = (from, to) {
            if f > t && f != -1 && t != -1 {
                diags.push(Diagnostic::error(format!("{at}: from_port {f} is greater than to_port {t}")));
            }
        }
    }
}

/// Checks beyond the schema: CIDR blocks, rule ports and protocols, reserved tag keys.
pub(crate) fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    check_tags(cfg, &mut d);
    match ty {
        schema::VPC => {
            check_cidr("cidr_block", get(cfg, "cidr_block"), &mut d);
            if let Some(Ok(net)) = known_str(get(cfg, "cidr_block")).map(str::parse::<ipnet::Ipv4Net>) {
                if !(16..=28).contains(&net.prefix_len()) {
                    d.push(
                        Diagnostic::error(format!("cidr_block: a VPC's prefix length must be between /16 and /28, got /{}", net.prefix_len()))
                    );
                }
            }
        }
        schema::SUBNET => check_cidr("cidr_block", get(cfg, "cidr_block"), &mut d),
        schema::ROUTE_TABLE => {
            for (i, r) in get_blocks(cfg, "route").into_iter().enumerate() {
                check_cidr(&format!("route[{i}].cidr_block"), get(r, "cidr_block"), &mut d);
            }
        }
        schema::SECURITY_GROUP => {
            check_rules(cfg, "ingress", &mut d);
            check_rules(cfg, "egress", &mut d);
        }
        schema::INSTANCE => {
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
        _ => {}
    }
    d
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
    if let Some(Value::List(items) | Value::Set(items)) = m.get("cidr_blocks") {
        if items.iter().all(|i| matches!(i, Value::String(_))) {
            let mut c: Vec<String> = items.iter().filter_map(|i| if let Value::String(s) = i { Some(s.clone()) } else { None }).collect();
            c.sort();
            c.dedup();
            m.insert("cidr_blocks".into(), if c.is_empty() { Value::Null } else { crate::util::str_list(c) });
        }
    }
    Value::Map(m)
}

/// Brings a desired configuration to the form `read` returns so an unchanged
/// object plans as a no-op (rule protocols, sorted CIDR lists, defaults).
pub(crate) fn normalize(ty: &str, desired: &Value) -> Value {
    let (desired, _) = desired.unmark_deep();
    let Value::Map(mut m) = desired else { return desired };
    if ty == schema::SECURITY_GROUP {
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
    if ty == schema::INSTANCE && change.requires_replace.is_empty() {
        let new_type = get(&change.planned, "instance_type");
        if new_type != get(prior, "instance_type") && get(prior, "public_ip").is_some() {
            if let Value::Map(m) = &mut change.planned {
                m.insert("public_ip".into(), Value::Unknown);
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
