//! Network ACLs for `vpcx.rs`: `aws_default_network_acl` and
//! `aws_network_acl` (entries of the declared directions synced by rule
//! number, subnets moved by replacing their ACL association) and
//! `aws_network_acl_rule` (one entry, identified by ACL, direction and rule
//! number). Semantics and crash safety: see `vpcx.rs`.

use crate::schema::*;
use crate::util::*;
use crate::vpcx::{block_of, normalize_acl_entry, not_found_is_none, protocol_number, set_live_tags};
use crate::Inner;
use aws_sdk_ec2::types::{Filter, IcmpTypeCode, NetworkAcl, NetworkAclEntry, PortRange, ResourceType, RuleAction};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

// ------------------------------------------------- network ACLs (shared)

fn acl_entry_value(e: &NetworkAclEntry) -> Value {
    let proto = e.protocol().unwrap_or("-1").to_string();
    let ports = proto == "6" || proto == "17";
    let icmp = proto == "1" || proto == "58";
    let pr = e.port_range();
    let ic = e.icmp_type_code();
    let n = |keep: bool, v: Option<i32>| Value::int(if keep { i64::from(v.unwrap_or(0)) } else { 0 });
    Value::map([
        ("rule_no", Value::int(i64::from(e.rule_number().unwrap_or(0)))),
        ("action", opt_string(e.rule_action().map(RuleAction::as_str))),
        ("protocol", Value::String(proto)),
        ("from_port", n(ports, pr.and_then(|p| p.from()))),
        ("to_port", n(ports, pr.and_then(|p| p.to()))),
        ("icmp_type", n(icmp, ic.and_then(|i| i.r#type()))),
        ("icmp_code", n(icmp, ic.and_then(|i| i.code()))),
        ("cidr_block", opt_string(e.cidr_block())),
        ("ipv6_cidr_block", opt_string(e.ipv6_cidr_block())),
    ])
}

/// The entries of one direction, without the fixed default-deny rule (32767).
fn acl_entries_value(acl: &NetworkAcl, egress: bool) -> Value {
    Value::set(acl.entries().iter().filter(|e| e.egress() == Some(egress) && e.rule_number() != Some(32767)).map(acl_entry_value).collect())
}

async fn describe_acl(inner: &Inner, what: &str, id: &str) -> Result<Option<NetworkAcl>, ProviderError> {
    let o = not_found_is_none(inner.ec2.describe_network_acls().network_acl_ids(id).send().await.map_err(|e| api_err(what, e)))?;
    Ok(o.and_then(|o| o.network_acls().first().cloned()))
}

fn acl_value(inner: &Inner, ty: &str, acl: &NetworkAcl, shape: &Value) -> Result<Value, ProviderError> {
    let id = acl.network_acl_id().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    if ty == DEFAULT_NETWORK_ACL {
        m.insert("default_network_acl_id".into(), Value::string(id));
    }
    m.insert("vpc_id".into(), opt_string(acl.vpc_id()));
    m.insert("owner_id".into(), opt_string(acl.owner_id()));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:network-acl/{id}", inner.region, acl.owner_id().unwrap_or(""))));
    let subnets: Vec<Value> = acl.associations().iter().filter_map(|a| a.subnet_id()).map(Value::string).collect();
    m.insert("subnet_ids".into(), Value::set(subnets));
    m.insert("tags".into(), tags_value(acl.tags(), &inner.default_tags, shape));
    m.insert("ingress".into(), acl_entries_value(acl, false));
    m.insert("egress".into(), acl_entries_value(acl, true));
    Ok(complete(block_of(ty)?, m))
}

/// One entry as the API wants it.
struct AclEntry {
    number: i32,
    egress: bool,
    protocol: String,
    action: String,
    cidr: Option<String>,
    cidr6: Option<String>,
    ports: Option<(i32, i32)>,
    icmp: Option<(i32, i32)>,
}

fn entry_from(v: &Value, egress: bool, names: [&str; 2]) -> AclEntry {
    let [number, action] = names;
    let protocol = protocol_number(get_str(v, "protocol").unwrap_or("-1"));
    let i = |n: &str| get_i64(v, n).and_then(|x| i32::try_from(x).ok());
    let ports = (protocol == "6" || protocol == "17").then(|| (i("from_port").unwrap_or(0), i("to_port").unwrap_or(0)));
    let icmp = (protocol == "1" || protocol == "58").then(|| (i("icmp_type").unwrap_or(0), i("icmp_code").unwrap_or(0)));
    AclEntry {
        number: i(number).unwrap_or(0),
        egress,
        protocol,
        action: get_str(v, action).unwrap_or("allow").to_ascii_lowercase(),
        cidr: get_str(v, "cidr_block").filter(|s| !s.is_empty()).map(String::from),
        cidr6: get_str(v, "ipv6_cidr_block").filter(|s| !s.is_empty()).map(String::from),
        ports,
        icmp,
    }
}

async fn put_entry(inner: &Inner, what: &str, acl: &str, e: &AclEntry, replace: bool) -> Result<(), ProviderError> {
    let pr = e.ports.map(|(f, t)| PortRange::builder().from(f).to(t).build());
    let ic = e.icmp.map(|(t, c)| IcmpTypeCode::builder().r#type(t).code(c).build());
    if replace {
        inner
            .ec2
            .replace_network_acl_entry()
            .network_acl_id(acl)
            .rule_number(e.number)
            .egress(e.egress)
            .protocol(&e.protocol)
            .rule_action(RuleAction::from(e.action.as_str()))
            .set_cidr_block(e.cidr.clone())
            .set_ipv6_cidr_block(e.cidr6.clone())
            .set_port_range(pr)
            .set_icmp_type_code(ic)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| api_err(what, err))
    } else {
        inner
            .ec2
            .create_network_acl_entry()
            .network_acl_id(acl)
            .rule_number(e.number)
            .egress(e.egress)
            .protocol(&e.protocol)
            .rule_action(RuleAction::from(e.action.as_str()))
            .set_cidr_block(e.cidr.clone())
            .set_ipv6_cidr_block(e.cidr6.clone())
            .set_port_range(pr)
            .set_icmp_type_code(ic)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| api_err(what, err))
    }
}

/// Makes the entries of the directions `planned` manages equal to it:
/// entries gone from the configuration are deleted, changed ones replaced,
/// new ones created. `only_declared`: a direction without blocks is left alone.
async fn sync_entries(inner: &Inner, what: &str, acl: &NetworkAcl, planned: &Value, only_declared: bool) -> Result<(), ProviderError> {
    let id = acl.network_acl_id().unwrap_or_default();
    for (dir, egress) in [("ingress", false), ("egress", true)] {
        let want = get_blocks(planned, dir);
        if only_declared && want.is_empty() {
            continue;
        }
        let live: BTreeMap<i64, Value> = acl
            .entries()
            .iter()
            .filter(|e| e.egress() == Some(egress) && e.rule_number() != Some(32767))
            .map(|e| (i64::from(e.rule_number().unwrap_or(0)), acl_entry_value(e)))
            .collect();
        let wanted: BTreeMap<i64, Value> = want.iter().map(|w| (get_i64(w, "rule_no").unwrap_or(0), normalize_acl_entry(w))).collect();
        for n in live.keys().filter(|n| !wanted.contains_key(n)) {
            let r = inner
                .ec2
                .delete_network_acl_entry()
                .network_acl_id(id)
                .rule_number(*n as i32)
                .egress(egress)
                .send()
                .await
                .map_err(|e| api_err(what, e));
            match r {
                Err(e) if !is_not_found(&e) => return Err(e),
                _ => {}
            }
        }
        for (n, w) in &wanted {
            let same = live.get(n).is_some_and(|l| l == w);
            if !same {
                put_entry(inner, what, id, &entry_from(w, egress, ["rule_no", "action"]), live.contains_key(n)).await?;
            }
        }
    }
    Ok(())
}

/// Moves `subnets` to ACL `acl_id` (each subnet's current association replaced).
async fn associate_subnets(inner: &Inner, what: &str, vpc_id: &str, acl_id: &str, subnets: &[String]) -> Result<(), ProviderError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let o = inner
        .ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    for subnet in subnets {
        let current = o.network_acls().iter().flat_map(|a| a.associations()).find(|a| a.subnet_id() == Some(subnet.as_str()));
        let Some(assoc) = current else {
            return Err(ProviderError::Api {
                code: "InvalidSubnetID.NotFound".into(),
                message: format!("{what}: subnet {subnet} has no network ACL association in {vpc_id}"),
            });
        };
        if assoc.network_acl_id() == Some(acl_id) {
            continue;
        }
        let aid = assoc.network_acl_association_id().unwrap_or_default();
        inner.ec2.replace_network_acl_association().association_id(aid).network_acl_id(acl_id).send().await.map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

/// Moves the subnets that leave a non-default ACL back to the VPC's default ACL.
async fn release_subnets(inner: &Inner, what: &str, vpc_id: &str, subnets: &[String]) -> Result<(), ProviderError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let o = inner
        .ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .filters(Filter::builder().name("default").values("true").build())
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    let Some(default) = o.network_acls().first().and_then(|a| a.network_acl_id()).map(String::from) else {
        return Err(ProviderError::Api {
            code: "InvalidNetworkAclID.NotFound".into(),
            message: format!("{what}: VPC {vpc_id} has no default network ACL"),
        });
    };
    associate_subnets(inner, what, vpc_id, &default, subnets).await
}

pub(crate) async fn read_acl(inner: &Inner, ty: &str, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{ty} {id}");
    let Some(acl) = describe_acl(inner, &what, id).await? else { return Ok(None) };
    Ok(Some(acl_value(inner, ty, &acl, shape)?))
}

pub(crate) async fn converge_acl(
    inner: &Inner,
    ty: &str,
    what: &str,
    id: &str,
    prior_subnets: &[String],
    planned: &Value,
) -> Result<Value, ProviderError> {
    let acl = describe_acl(inner, what, id).await?.ok_or_else(|| vanished(what, id))?;
    let vpc = acl.vpc_id().unwrap_or_default().to_string();
    sync_entries(inner, what, &acl, planned, ty == NETWORK_ACL).await?;
    if matches!(get(planned, "subnet_ids"), Some(Value::Set(_) | Value::List(_))) {
        let want = get_strs(planned, "subnet_ids");
        associate_subnets(inner, what, &vpc, id, &want).await?;
        if ty == NETWORK_ACL {
            let leaving: Vec<String> = prior_subnets.iter().filter(|s| !want.contains(s)).cloned().collect();
            release_subnets(inner, what, &vpc, &leaving).await?;
        }
    }
    set_live_tags(inner, what, id, acl.tags(), planned).await?;
    read_acl(inner, ty, id, planned).await?.ok_or_else(|| vanished(what, id))
}

pub(crate) async fn create_default_acl(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let id = get_str(planned, "default_network_acl_id").unwrap_or_default();
    let acl = describe_acl(inner, &what, id).await?.ok_or_else(|| ProviderError::Api {
        code: "InvalidNetworkAclID.NotFound".into(),
        message: format!("{what}: network ACL {id} does not exist"),
    })?;
    if acl.is_default() != Some(true) {
        return Err(ProviderError::Invalid(format!("{what}: network ACL {id} is not a VPC's default ACL; use aws_network_acl for it")));
    }
    converge_acl(inner, DEFAULT_NETWORK_ACL, &what, id, &[], planned).await
}

pub(crate) async fn create_acl(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let found = inner.ec2.describe_network_acls().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(&what, e))?;
    let id = match found.network_acls().first().and_then(|a| a.network_acl_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_network_acl()
                .set_vpc_id(get_str(planned, "vpc_id").map(String::from))
                .client_token(client_token(ctx))
                .tag_specifications(tag_spec(ResourceType::NetworkAcl, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            o.network_acl()
                .and_then(|a| a.network_acl_id())
                .map(String::from)
                .ok_or_else(|| ProviderError::Failed(format!("{what}: CreateNetworkAcl returned no id")))?
        }
    };
    converge_acl(inner, NETWORK_ACL, &what, &id, &[], planned).await
}

pub(crate) async fn delete_acl(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    let Some(acl) = describe_acl(inner, addr, id).await? else { return Ok(()) };
    let subnets: Vec<String> = acl.associations().iter().filter_map(|a| a.subnet_id()).map(String::from).collect();
    release_subnets(inner, addr, acl.vpc_id().unwrap_or_default(), &subnets).await?;
    delete_with_retry(|| async { inner.ec2.delete_network_acl().network_acl_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
}

// ------------------------------------------------------ aws_network_acl_rule

/// Terraform's id: "nacl-" and a CRC-like hash of ACL, number, direction and protocol.
fn acl_rule_id(acl: &str, number: i64, egress: bool, protocol: &str) -> String {
    let h = crate::vpcx_gw::short_hash(&[acl, &number.to_string(), &egress.to_string(), protocol]);
    let n = u32::from_str_radix(&h[..8], 16).unwrap_or(0);
    format!("nacl-{n}")
}

pub(crate) async fn read_acl_rule(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let (Some(acl_id), Some(number)) = (get_str(shape, "network_acl_id"), get_i64(shape, "rule_number")) else { return Ok(None) };
    let egress = get_bool(shape, "egress").unwrap_or(false);
    let what = format!("{NETWORK_ACL_RULE} {acl_id} #{number}");
    let Some(acl) = describe_acl(inner, &what, acl_id).await? else { return Ok(None) };
    let Some(e) = acl.entries().iter().find(|e| e.egress() == Some(egress) && e.rule_number().map(i64::from) == Some(number)) else {
        return Ok(None);
    };
    let proto = e.protocol().unwrap_or("-1");
    // The configured spelling ("tcp") when it names the live protocol ("6").
    let shown = match get_str(shape, "protocol") {
        Some(p) if protocol_number(p) == proto => p.to_string(),
        _ => proto.to_string(),
    };
    let pr = e.port_range();
    let ic = e.icmp_type_code();
    let keep = |n: &str, live: Option<i32>| match (get(shape, n).filter(|v| !v.is_null()), live) {
        (_, Some(l)) => Value::int(i64::from(l)),
        (Some(v), None) => v.clone(),
        (None, None) => Value::Null,
    };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(acl_rule_id(acl_id, number, egress, proto)));
    m.insert("network_acl_id".into(), Value::string(acl_id));
    m.insert("rule_number".into(), Value::int(number));
    m.insert("egress".into(), Value::Bool(egress));
    m.insert("protocol".into(), Value::String(shown));
    m.insert("rule_action".into(), opt_string(e.rule_action().map(RuleAction::as_str)));
    m.insert("cidr_block".into(), opt_string(e.cidr_block()));
    m.insert("ipv6_cidr_block".into(), opt_string(e.ipv6_cidr_block()));
    m.insert("from_port".into(), keep("from_port", pr.and_then(|p| p.from())));
    m.insert("to_port".into(), keep("to_port", pr.and_then(|p| p.to())));
    m.insert("icmp_type".into(), keep("icmp_type", ic.and_then(|i| i.r#type())));
    m.insert("icmp_code".into(), keep("icmp_code", ic.and_then(|i| i.code())));
    Ok(Some(complete(block_of(NETWORK_ACL_RULE)?, m)))
}

fn same_rule(live: &Value, planned: &Value) -> bool {
    let p = |v: &Value| get_str(v, "protocol").map(protocol_number);
    let ports = matches!(p(planned).as_deref(), Some("6" | "17"));
    p(live) == p(planned)
        && get_str(live, "rule_action") == get_str(planned, "rule_action").map(str::to_ascii_lowercase).as_deref()
        && get_str(live, "cidr_block") == get_str(planned, "cidr_block")
        && get_str(live, "ipv6_cidr_block") == get_str(planned, "ipv6_cidr_block")
        && (!ports || (get_i64(live, "from_port") == get_i64(planned, "from_port") && get_i64(live, "to_port") == get_i64(planned, "to_port")))
}

pub(crate) async fn create_acl_rule(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let acl = get_str(planned, "network_acl_id").unwrap_or_default();
    if let Some(live) = read_acl_rule(inner, planned).await? {
        if same_rule(&live, planned) {
            return Ok(live);
        }
        return Err(ProviderError::Api {
            code: "NetworkAclEntryAlreadyExists".into(),
            message: format!(
                "{what}: network ACL {acl} already has {} rule {} with other content; import it or remove it",
                if get_bool(planned, "egress") == Some(true) { "egress" } else { "ingress" },
                get_i64(planned, "rule_number").unwrap_or(0)
            ),
        });
    }
    let e = entry_from(planned, get_bool(planned, "egress").unwrap_or(false), ["rule_number", "rule_action"]);
    put_entry(inner, &what, acl, &e, false).await?;
    kill_hook(ctx);
    read_acl_rule(inner, planned).await?.ok_or_else(|| vanished(&what, &format!("{acl} rule {}", e.number)))
}

pub(crate) async fn delete_acl_rule(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(acl), Some(n)) = (get_str(prior, "network_acl_id"), get_i64(prior, "rule_number")) else { return Ok(()) };
    let egress = get_bool(prior, "egress").unwrap_or(false);
    // Already gone (or its ACL is): nothing to do.
    if read_acl_rule(inner, prior).await?.is_none() {
        return Ok(());
    }
    match inner.ec2.delete_network_acl_entry().network_acl_id(acl).rule_number(n as i32).egress(egress).send().await.map_err(|e| api_err(addr, e)) {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}
