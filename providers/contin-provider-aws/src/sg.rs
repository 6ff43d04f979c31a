//! `aws_security_group`: rules are nested `ingress`/`egress` blocks updated
//! in place by authorizing and revoking the difference, one CIDR at a time.
//! Like Terraform, the allow-all egress rule EC2 adds to a new group is
//! removed unless the configuration declares it.

use crate::network::sync_tags;
use crate::plan::canonical_protocol;
use crate::schema;
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One CIDR of one rule: (protocol, from, to, cidr, description).
type Atom = (String, i64, i64, String, Option<String>);

fn rules_value(perms: &[IpPermission]) -> Value {
    let mut grouped: BTreeMap<(String, i64, i64, Option<String>), Vec<String>> = BTreeMap::new();
    for p in perms {
        let proto = canonical_protocol(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if proto == "-1" {
            (0, 0)
        } else {
            (i64::from(p.from_port().unwrap_or(0)), i64::from(p.to_port().unwrap_or(0)))
        };
        for r in p.ip_ranges() {
            let Some(cidr) = r.cidr_ip() else { continue };
            let desc = r.description().filter(|d| !d.is_empty()).map(String::from);
            grouped.entry((proto.clone(), from, to, desc)).or_default().push(cidr.to_string());
        }
    }
    Value::set(
        grouped
            .into_iter()
            .map(|((proto, from, to, desc), mut cidrs)| {
                cidrs.sort();
                cidrs.dedup();
                Value::map([
                    ("from_port", Value::int(from)),
                    ("to_port", Value::int(to)),
                    ("protocol", Value::String(proto)),
                    ("cidr_blocks", str_list(cidrs)),
                    ("description", desc.map_or(Value::Null, Value::String)),
                ])
            })
            .collect(),
    )
}

fn atoms(v: &Value, block: &str) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    for r in get_blocks(v, block) {
        let proto = canonical_protocol(get_str(r, "protocol").unwrap_or("-1"));
        let (from, to) = if proto == "-1" { (0, 0) } else { (get_i64(r, "from_port").unwrap_or(0), get_i64(r, "to_port").unwrap_or(0)) };
        let desc = get_str(r, "description").filter(|d| !d.is_empty()).map(String::from);
        for c in get_strs(r, "cidr_blocks") {
            out.insert((proto.clone(), from, to, c, desc.clone()));
        }
    }
    out
}

fn permission(a: &Atom, with_description: bool) -> IpPermission {
    let (proto, from, to, cidr, desc) = a;
    let mut range = IpRange::builder().cidr_ip(cidr);
    if with_description {
        range = range.set_description(desc.clone());
    }
    let mut p = IpPermission::builder().ip_protocol(proto).ip_ranges(range.build());
    if proto != "-1" {
        p = p.from_port(*from as i32).to_port(*to as i32);
    }
    p.build()
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(id) = get_str(state, "id") else { return Ok(None) };
    read_id(inner, id, state).await
}

async fn read_id(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{} {id}", schema::SECURITY_GROUP);
    let out = match inner.ec2.describe_security_groups().group_ids(id).send().await.map_err(|e| api_err(&what, e)) {
        Ok(o) => o,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(g) = out.security_groups().first() else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("name".into(), opt_string(g.group_name()));
    m.insert("description".into(), opt_string(g.description()));
    m.insert("vpc_id".into(), opt_string(g.vpc_id()));
    m.insert("owner_id".into(), opt_string(g.owner_id()));
    m.insert(
        "arn".into(),
        Value::String(format!("arn:aws:ec2:{}:{}:security-group/{id}", inner.region, g.owner_id().unwrap_or(""))),
    );
    m.insert("tags".into(), tags_value(g.tags(), &inner.default_tags, shape));
    m.insert("ingress".into(), rules_value(g.ip_permissions()));
    m.insert("egress".into(), rules_value(g.ip_permissions_egress()));
    Ok(Some(complete(&schema::security_group(), m)))
}

async fn sync_rules(inner: &Inner, what: &str, id: &str, current: &Value, planned: &Value) -> Result<(), ProviderError> {
    let ec2 = &inner.ec2;
    for (block, egress) in [("ingress", false), ("egress", true)] {
        let (old, new) = (atoms(current, block), atoms(planned, block));
        let revoke: Vec<IpPermission> = old.difference(&new).map(|a| permission(a, false)).collect();
        let grant: Vec<IpPermission> = new.difference(&old).map(|a| permission(a, true)).collect();
        if !revoke.is_empty() {
            if egress {
                ec2.revoke_security_group_egress().group_id(id).set_ip_permissions(Some(revoke)).send().await.map_err(|e| api_err(what, e))?;
            } else {
                ec2.revoke_security_group_ingress().group_id(id).set_ip_permissions(Some(revoke)).send().await.map_err(|e| api_err(what, e))?;
            }
        }
        if !grant.is_empty() {
            if egress {
                ec2.authorize_security_group_egress().group_id(id).set_ip_permissions(Some(grant)).send().await.map_err(|e| api_err(what, e))?;
            } else {
                ec2.authorize_security_group_ingress().group_id(id).set_ip_permissions(Some(grant)).send().await.map_err(|e| api_err(what, e))?;
            }
        }
    }
    Ok(())
}

pub(crate) async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let found = inner
        .ec2
        .describe_security_groups()
        .set_filters(Some(adoption_filters(ctx)))
        .send()
        .await
        .map_err(|e| api_err(what, e))?
        .security_groups()
        .first()
        .and_then(|g| g.group_id().map(String::from));
    let id = match found {
        Some(id) => id,
        None => {
            let name = get_str(planned, "name").map_or_else(|| generated_name(ctx), String::from);
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_security_group()
                .group_name(name)
                .description(get_str(planned, "description").unwrap_or(crate::plan::DEFAULT_SG_DESCRIPTION))
                .set_vpc_id(get_str(planned, "vpc_id").map(String::from))
                .tag_specifications(tag_spec(ResourceType::SecurityGroup, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.group_id().map(String::from).ok_or_else(|| ProviderError::Failed(format!("{what}: CreateSecurityGroup returned no id")))?
        }
    };
    let current = read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    sync_rules(inner, what, &id, &current, planned).await?;
    sync_tags(inner, what, &id, &current, planned).await?;
    read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

pub(crate) async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Err(ProviderError::Failed(format!("{addr}: no id in state"))) };
    sync_rules(inner, addr, id, prior, planned).await?;
    sync_tags(inner, addr, id, prior, planned).await?;
    read_id(inner, id, planned)
        .await?
        .ok_or_else(|| ProviderError::Api { code: "InvalidGroup.NotFound".into(), message: format!("{addr}: {id} disappeared during the update") })
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    delete_with_retry(|| async { inner.ec2.delete_security_group().group_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_id(inner, id, &Value::map::<&str>([])).await
}
