//! `aws_security_group`: rules are nested `ingress`/`egress` blocks updated
//! in place by authorizing and revoking the difference, one CIDR at a time.
//! Like Terraform, the allow-all egress rule EC2 adds to a new group is
//! removed unless the configuration declares it.

use crate::network::sync_tags;
use crate::plan::canonical_protocol;
use crate::schema;
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, UserIdGroupPair};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Where one rule atom lets traffic come from (ingress) or go to (egress).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    V4(String),
    V6(String),
    PrefixList(String),
    /// Another security group (or the group itself: `self = true`).
    Group(String),
}

/// One source of one rule: (protocol, from, to, source, description).
type Atom = (String, i64, i64, Source, Option<String>);

/// The rule blocks of a group as Terraform shows them: one block per
/// (protocol, ports, description), its sources in `cidr_blocks`,
/// `ipv6_cidr_blocks`, `prefix_list_ids`, `security_groups` and `self`.
fn rules_value(perms: &[IpPermission], own_id: &str) -> Value {
    let mut grouped: BTreeMap<(String, i64, i64, Option<String>), BTreeSet<Source>> = BTreeMap::new();
    for p in perms {
        let proto = canonical_protocol(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if proto == "-1" {
            (0, 0)
        } else {
            (i64::from(p.from_port().unwrap_or(0)), i64::from(p.to_port().unwrap_or(0)))
        };
        let mut add = |desc: Option<&str>, src: Source| {
            let desc = desc.filter(|d| !d.is_empty()).map(String::from);
            grouped.entry((proto.clone(), from, to, desc)).or_default().insert(src);
        };
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                add(r.description(), Source::V4(c.to_string()));
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                add(r.description(), Source::V6(c.to_string()));
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(c) = r.prefix_list_id() {
                add(r.description(), Source::PrefixList(c.to_string()));
            }
        }
        for r in p.user_id_group_pairs() {
            if let Some(g) = r.group_id() {
                add(r.description(), Source::Group(g.to_string()));
            }
        }
    }
    Value::set(
        grouped
            .into_iter()
            .map(|((proto, from, to, desc), sources)| {
                let pick = |f: fn(&Source) -> Option<&String>| str_list(sources.iter().filter_map(f).cloned());
                let groups: Vec<String> =
                    sources.iter().filter_map(|s| if let Source::Group(g) = s { Some(g.clone()) } else { None }).filter(|g| g != own_id).collect();
                let own = sources.contains(&Source::Group(own_id.to_string()));
                Value::map([
                    ("from_port", Value::int(from)),
                    ("to_port", Value::int(to)),
                    ("protocol", Value::String(proto)),
                    ("cidr_blocks", pick(|s| if let Source::V4(c) = s { Some(c) } else { None })),
                    ("ipv6_cidr_blocks", pick(|s| if let Source::V6(c) = s { Some(c) } else { None })),
                    ("prefix_list_ids", pick(|s| if let Source::PrefixList(c) = s { Some(c) } else { None })),
                    ("security_groups", Value::set(groups.into_iter().map(Value::String).collect())),
                    ("self", Value::Bool(own)),
                    ("description", desc.map_or(Value::Null, Value::String)),
                ])
            })
            .collect(),
    )
}

fn atoms(v: &Value, block: &str, own_id: &str) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    for r in get_blocks(v, block) {
        let proto = canonical_protocol(get_str(r, "protocol").unwrap_or("-1"));
        let (from, to) = if proto == "-1" { (0, 0) } else { (get_i64(r, "from_port").unwrap_or(0), get_i64(r, "to_port").unwrap_or(0)) };
        let desc = get_str(r, "description").filter(|d| !d.is_empty()).map(String::from);
        let mut sources: Vec<Source> = get_strs(r, "cidr_blocks").into_iter().map(Source::V4).collect();
        sources.extend(get_strs(r, "ipv6_cidr_blocks").into_iter().map(Source::V6));
        sources.extend(get_strs(r, "prefix_list_ids").into_iter().map(Source::PrefixList));
        sources.extend(get_strs(r, "security_groups").into_iter().map(Source::Group));
        if get_bool(r, "self") == Some(true) {
            sources.push(Source::Group(own_id.to_string()));
        }
        for src in sources {
            out.insert((proto.clone(), from, to, src, desc.clone()));
        }
    }
    out
}

/// One atom as an `IpPermission`; group sources carry the account (`owner`),
/// as DescribeSecurityGroups reports them.
fn permission(a: &Atom, with_description: bool, owner: Option<&str>) -> IpPermission {
    let (proto, from, to, src, desc) = a;
    let desc = if with_description { desc.clone() } else { None };
    let mut p = IpPermission::builder().ip_protocol(proto);
    p = match src {
        Source::V4(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc).build()),
        Source::V6(c) => p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(desc).build()),
        Source::PrefixList(id) => p.prefix_list_ids(PrefixListId::builder().prefix_list_id(id).set_description(desc).build()),
        Source::Group(g) => {
            p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_user_id(owner.map(String::from)).set_description(desc).build())
        }
    };
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
    m.insert("ingress".into(), rules_value(g.ip_permissions(), id));
    m.insert("egress".into(), rules_value(g.ip_permissions_egress(), id));
    m.insert("name_prefix".into(), shape.attr("name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("revoke_rules_on_delete".into(), Value::Bool(get_bool(shape, "revoke_rules_on_delete").unwrap_or(false)));
    Ok(Some(complete(&schema::security_group(), m)))
}

async fn sync_rules(inner: &Inner, what: &str, id: &str, current: &Value, planned: &Value) -> Result<(), ProviderError> {
    let ec2 = &inner.ec2;
    for (block, egress) in [("ingress", false), ("egress", true)] {
        let (old, new) = (atoms(current, block, id), atoms(planned, block, id));
        let owner = get_str(current, "owner_id");
        let revoke: Vec<IpPermission> = old.difference(&new).map(|a| permission(a, true, owner)).collect();
        let grant: Vec<IpPermission> = new.difference(&old).map(|a| permission(a, true, owner)).collect();
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
            let name = match (get_str(planned, "name"), get_str(planned, "name_prefix")) {
                (Some(n), _) => n.to_string(),
                (None, Some(prefix)) => format!("{prefix}{}", &client_token(ctx)[..26]),
                (None, None) => generated_name(ctx),
            };
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
    if get_bool(prior, "revoke_rules_on_delete") == Some(true) {
        // Rules of other groups that name this one block its deletion: drop
        // this group's own rules first (Terraform's revoke_rules_on_delete).
        if let Some(live) = read_id(inner, id, prior).await? {
            let empty = Value::map::<&str>([]);
            sync_rules(inner, addr, id, &live, &empty).await?;
        } else {
            return Ok(());
        }
    }
    delete_with_retry(|| async { inner.ec2.delete_security_group().group_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_id(inner, id, &Value::map::<&str>([])).await
}
