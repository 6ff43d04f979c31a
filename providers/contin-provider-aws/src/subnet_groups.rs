//! Subnet groups: `aws_db_subnet_group` (aws-sdk-rds),
//! `aws_elasticache_subnet_group` (aws-sdk-elasticache) and
//! `aws_redshift_subnet_group` (aws-sdk-redshift). Schemas live here.
//!
//! Crash safety: a group's name is known before the create (configured, or for
//! `aws_db_subnet_group` `name_prefix`/"contin-" + 26 characters derived from
//! the create's lineage/address/generation) and the create call carries the
//! bookkeeping tags; a re-run that meets "already exists" adopts the group
//! when its tags say it was made for this create (then converges its
//! description and subnets), and refuses otherwise. Names are lower-cased as
//! the services (and Terraform) store them.

use crate::util::*;
use crate::Inner;
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const DB_SUBNET_GROUP: &str = "aws_db_subnet_group";
pub const ELASTICACHE_SUBNET_GROUP: &str = "aws_elasticache_subnet_group";
pub const REDSHIFT_SUBNET_GROUP: &str = "aws_redshift_subnet_group";

const MANAGED: &str = "Managed by Terraform";

pub(crate) fn is_subnet_group(ty: &str) -> bool {
    matches!(ty, DB_SUBNET_GROUP | ELASTICACHE_SUBNET_GROUP | REDSHIFT_SUBNET_GROUP)
}

fn tags() -> A {
    A::optional(T::Map(Box::new(T::String))).describe("tags of the group; provider default tags are added, resource tags win")
}

pub fn db_subnet_group() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(T::String).force_new())
        .attr("name_prefix", A::optional(T::String).force_new().describe("a unique name starting with this prefix (when name is not set)"))
        .attr("description", A::optional_computed(T::String).describe("default \"Managed by Terraform\""))
        .attr("subnet_ids", A::required(T::Set(Box::new(T::String))))
        .attr("tags", tags())
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
        .attr("vpc_id", A::computed(T::String))
        .attr("supported_network_types", A::computed(T::Set(Box::new(T::String))))
}

fn named_group() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::required(T::String).force_new())
        .attr("description", A::optional_computed(T::String).describe("default \"Managed by Terraform\""))
        .attr("subnet_ids", A::required(T::Set(Box::new(T::String))))
        .attr("tags", tags())
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
}

pub fn elasticache_subnet_group() -> BlockSchema {
    named_group().attr("vpc_id", A::computed(T::String))
}

pub fn redshift_subnet_group() -> BlockSchema {
    named_group()
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(DB_SUBNET_GROUP.into(), db_subnet_group());
    p.resources.insert(ELASTICACHE_SUBNET_GROUP.into(), elasticache_subnet_group());
    p.resources.insert(REDSHIFT_SUBNET_GROUP.into(), redshift_subnet_group());
}

fn block(ty: &str) -> BlockSchema {
    match ty {
        DB_SUBNET_GROUP => db_subnet_group(),
        ELASTICACHE_SUBNET_GROUP => elasticache_subnet_group(),
        _ => redshift_subnet_group(),
    }
}

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if !is_subnet_group(ty) {
        return;
    }
    if get_str(cfg, "name").is_some() && get_str(cfg, "name_prefix").is_some() {
        d.push(Diagnostic::error("name: conflicts with name_prefix; set one of them"));
    }
    if let Some(n) = get_str(cfg, "name") {
        let max = 255;
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || (ty == DB_SUBNET_GROUP && "_. ".contains(c));
        if n.is_empty() || n.len() > max || !n.chars().all(ok_char) || n.eq_ignore_ascii_case("default") {
            let allowed = if ty == DB_SUBNET_GROUP { "letters, digits, '-', '_', '.', ' '" } else { "letters, digits and '-'" };
            d.push(Diagnostic::error(format!("name: 1 to {max} characters from {allowed}, not \"default\"; got {n:?}")));
        }
    }
    if get(cfg, "subnet_ids").is_some_and(|v| matches!(v, Value::List(x) | Value::Set(x) if x.is_empty())) {
        d.push(Diagnostic::error("subnet_ids: at least one subnet is required"));
    }
}

/// What a group looks like, whichever service holds it.
struct Group {
    name: String,
    description: String,
    vpc_id: Option<String>,
    subnets: Vec<String>,
    arn: String,
    network_types: Vec<String>,
    tags: BTreeMap<String, String>,
}

fn planned_name(ty: &str, planned: &Value, ctx: &OpContext) -> String {
    let n = if ty == DB_SUBNET_GROUP { crate::iam::object_name(planned, ctx) } else { get_str(planned, "name").unwrap_or_default().to_string() };
    n.to_lowercase()
}

async fn account_id(inner: &Inner, what: &str) -> Result<String, ProviderError> {
    if let Some(a) = inner.account_id.get() {
        return Ok(a.clone());
    }
    let out = inner.sts.get_caller_identity().send().await.map_err(|e| api_err(what, e))?;
    let a = out.account().unwrap_or_default().to_string();
    let _ = inner.account_id.set(a.clone());
    Ok(a)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

async fn fetch(inner: &Inner, ty: &str, what: &str, name: &str) -> Result<Option<Group>, ProviderError> {
    match ty {
        DB_SUBNET_GROUP => {
            let out = match inner.rds.describe_db_subnet_groups().db_subnet_group_name(name).send().await.map_err(|e| api_err(what, e)) {
                Err(e) if is_code(&e, "DBSubnetGroupNotFoundFault") => return Ok(None),
                other => other?,
            };
            let Some(g) = out.db_subnet_groups().first() else { return Ok(None) };
            let arn = g.db_subnet_group_arn().unwrap_or_default().to_string();
            let tags = inner.rds.list_tags_for_resource().resource_name(&arn).send().await.map_err(|e| api_err(what, e))?;
            Ok(Some(Group {
                name: g.db_subnet_group_name().unwrap_or(name).to_string(),
                description: g.db_subnet_group_description().unwrap_or_default().to_string(),
                vpc_id: g.vpc_id().map(String::from),
                subnets: sorted(g.subnets().iter().filter_map(|s| s.subnet_identifier().map(String::from)).collect()),
                arn,
                network_types: sorted(g.supported_network_types().to_vec()),
                tags: tags.tag_list().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect(),
            }))
        }
        ELASTICACHE_SUBNET_GROUP => {
            let out = match inner.elasticache.describe_cache_subnet_groups().cache_subnet_group_name(name).send().await.map_err(|e| api_err(what, e)) {
                Err(e) if is_code(&e, "CacheSubnetGroupNotFoundFault") => return Ok(None),
                other => other?,
            };
            let Some(g) = out.cache_subnet_groups().first() else { return Ok(None) };
            let arn = g.arn().map(String::from).unwrap_or_default();
            let tags = inner.elasticache.list_tags_for_resource().resource_name(&arn).send().await.map_err(|e| api_err(what, e))?;
            Ok(Some(Group {
                name: g.cache_subnet_group_name().unwrap_or(name).to_string(),
                description: g.cache_subnet_group_description().unwrap_or_default().to_string(),
                vpc_id: g.vpc_id().map(String::from),
                subnets: sorted(g.subnets().iter().filter_map(|s| s.subnet_identifier().map(String::from)).collect()),
                arn,
                network_types: sorted(g.supported_network_types().iter().map(|t| t.as_str().to_string()).collect()),
                tags: tags.tag_list().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect(),
            }))
        }
        _ => {
            let out = match inner.redshift.describe_cluster_subnet_groups().cluster_subnet_group_name(name).send().await.map_err(|e| api_err(what, e)) {
                Err(e) if is_code(&e, "ClusterSubnetGroupNotFoundFault") => return Ok(None),
                other => other?,
            };
            let Some(g) = out.cluster_subnet_groups().first() else { return Ok(None) };
            let gname = g.cluster_subnet_group_name().unwrap_or(name).to_string();
            let account = account_id(inner, what).await?;
            let arn = format!("arn:{}:redshift:{}:{account}:subnetgroup:{gname}", crate::data2::partition_of(&inner.region).0, inner.region);
            Ok(Some(Group {
                name: gname,
                description: g.description().unwrap_or_default().to_string(),
                vpc_id: g.vpc_id().map(String::from),
                subnets: sorted(g.subnets().iter().filter_map(|s| s.subnet_identifier().map(String::from)).collect()),
                arn,
                network_types: Vec::new(),
                tags: g.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect(),
            }))
        }
    }
}

fn as_ec2_tags(m: &BTreeMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    m.iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).collect()
}

fn to_value(inner: &Inner, ty: &str, g: Group, shape: &Value) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(g.name.clone()));
    m.insert("name".into(), Value::String(g.name));
    if ty == DB_SUBNET_GROUP {
        m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
        m.insert("supported_network_types".into(), Value::set(g.network_types.into_iter().map(Value::String).collect()));
    }
    if ty != REDSHIFT_SUBNET_GROUP {
        m.insert("vpc_id".into(), g.vpc_id.map_or(Value::Null, Value::String));
    }
    m.insert("description".into(), Value::String(g.description));
    m.insert("subnet_ids".into(), Value::set(g.subnets.into_iter().map(Value::String).collect()));
    m.insert("arn".into(), Value::String(g.arn));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&g.tags), &inner.default_tags, shape));
    complete(&block(ty), m)
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(name) = get_str(state, "id").or_else(|| get_str(state, "name")) else { return Ok(None) };
    let what = format!("{ty} {name}");
    Ok(fetch(inner, ty, &what, name).await?.map(|g| to_value(inner, ty, g, state)))
}

fn description(v: &Value) -> String {
    get_str(v, "description").unwrap_or(MANAGED).to_string()
}

async fn send_create(inner: &Inner, ty: &str, what: &str, name: &str, planned: &Value, tags: &BTreeMap<String, String>) -> Result<(), ProviderError> {
    let subnets = get_strs(planned, "subnet_ids");
    let desc = description(planned);
    match ty {
        DB_SUBNET_GROUP => {
            let t = tags.iter().map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build()).collect();
            inner
                .rds
                .create_db_subnet_group()
                .db_subnet_group_name(name)
                .db_subnet_group_description(desc)
                .set_subnet_ids(Some(subnets))
                .set_tags(Some(t))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_err(what, e))
        }
        ELASTICACHE_SUBNET_GROUP => {
            let t = tags.iter().map(|(k, v)| aws_sdk_elasticache::types::Tag::builder().key(k).value(v).build()).collect();
            inner
                .elasticache
                .create_cache_subnet_group()
                .cache_subnet_group_name(name)
                .cache_subnet_group_description(desc)
                .set_subnet_ids(Some(subnets))
                .set_tags(Some(t))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_err(what, e))
        }
        _ => {
            let t = tags.iter().map(|(k, v)| aws_sdk_redshift::types::Tag::builder().key(k).value(v).build()).collect();
            inner
                .redshift
                .create_cluster_subnet_group()
                .cluster_subnet_group_name(name)
                .description(desc)
                .set_subnet_ids(Some(subnets))
                .set_tags(Some(t))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_err(what, e))
        }
    }
}

fn already_exists(e: &ProviderError) -> bool {
    ["DBSubnetGroupAlreadyExists", "DBSubnetGroupAlreadyExistsFault", "CacheSubnetGroupAlreadyExists", "CacheSubnetGroupAlreadyExistsFault", "ClusterSubnetGroupAlreadyExists", "ClusterSubnetGroupAlreadyExistsFault"]
        .iter()
        .any(|c| is_code(e, c))
}

async fn modify(inner: &Inner, ty: &str, what: &str, name: &str, planned: &Value) -> Result<(), ProviderError> {
    let subnets = get_strs(planned, "subnet_ids");
    let desc = description(planned);
    match ty {
        DB_SUBNET_GROUP => inner
            .rds
            .modify_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(desc)
            .set_subnet_ids(Some(subnets))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(what, e)),
        ELASTICACHE_SUBNET_GROUP => inner
            .elasticache
            .modify_cache_subnet_group()
            .cache_subnet_group_name(name)
            .cache_subnet_group_description(desc)
            .set_subnet_ids(Some(subnets))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(what, e)),
        _ => inner
            .redshift
            .modify_cluster_subnet_group()
            .cluster_subnet_group_name(name)
            .description(desc)
            .set_subnet_ids(Some(subnets))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(what, e)),
    }
}

async fn converge_tags(inner: &Inner, ty: &str, what: &str, g: &Group, planned: &Value) -> Result<(), ProviderError> {
    let want = effective_tags(&inner.default_tags, planned);
    let remove: Vec<String> = g.tags.keys().filter(|k| !k.starts_with("contin:") && !want.contains_key(*k)).cloned().collect();
    let set: BTreeMap<String, String> = want.into_iter().filter(|(k, v)| g.tags.get(k) != Some(v)).collect();
    let arn = g.arn.as_str();
    match ty {
        DB_SUBNET_GROUP => {
            if !remove.is_empty() {
                inner.rds.remove_tags_from_resource().resource_name(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(what, e))?;
            }
            if !set.is_empty() {
                let t = set.iter().map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build()).collect();
                inner.rds.add_tags_to_resource().resource_name(arn).set_tags(Some(t)).send().await.map_err(|e| api_err(what, e))?;
            }
        }
        ELASTICACHE_SUBNET_GROUP => {
            if !remove.is_empty() {
                inner.elasticache.remove_tags_from_resource().resource_name(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(what, e))?;
            }
            if !set.is_empty() {
                let t = set.iter().map(|(k, v)| aws_sdk_elasticache::types::Tag::builder().key(k).value(v).build()).collect();
                inner.elasticache.add_tags_to_resource().resource_name(arn).set_tags(Some(t)).send().await.map_err(|e| api_err(what, e))?;
            }
        }
        _ => {
            if !remove.is_empty() {
                inner.redshift.delete_tags().resource_name(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(what, e))?;
            }
            if !set.is_empty() {
                let t = set.iter().map(|(k, v)| aws_sdk_redshift::types::Tag::builder().key(k).value(v).build()).collect();
                inner.redshift.create_tags().resource_name(arn).set_tags(Some(t)).send().await.map_err(|e| api_err(what, e))?;
            }
        }
    }
    Ok(())
}

/// Adopts `g` when its tags say it was made for this create (then converges it), else refuses.
async fn adopt(inner: &Inner, ty: &str, what: &str, g: &Group, planned: &Value, ctx: &OpContext) -> Result<(), ProviderError> {
    if !bookkeeping_tags(ctx).iter().all(|(k, v)| g.tags.get(k) == Some(v)) {
        return Err(ProviderError::Api {
            code: "AlreadyExists".into(),
            message: format!("{what}: subnet group {:?} already exists and was not created by this resource; import it or choose another name", g.name),
        });
    }
    if g.description != description(planned) || g.subnets != sorted(get_strs(planned, "subnet_ids")) {
        modify(inner, ty, what, &g.name, planned).await?;
    }
    converge_tags(inner, ty, what, g, planned).await
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = planned_name(ty, planned, ctx);
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    // Looked up first: not every implementation refuses a second create of a name.
    if let Some(g) = fetch(inner, ty, what, &name).await? {
        adopt(inner, ty, what, &g, planned, ctx).await?;
    } else {
        match send_create(inner, ty, what, &name, planned, &tags).await {
            Ok(()) => kill_hook(ctx),
            Err(e) if already_exists(&e) => {
                let g = fetch(inner, ty, what, &name).await?.ok_or_else(|| vanished(what, &name))?;
                adopt(inner, ty, what, &g, planned, ctx).await?;
            }
            Err(e) => return Err(e),
        }
    }
    let g = fetch(inner, ty, what, &name).await?.ok_or_else(|| vanished(what, &name))?;
    Ok(to_value(inner, ty, g, planned))
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = get_str(prior, "id").or_else(|| get_str(prior, "name")).ok_or_else(|| ProviderError::Invalid(format!("{addr}: no subnet group name in state")))?;
    if description(prior) != description(planned) || sorted(get_strs(prior, "subnet_ids")) != sorted(get_strs(planned, "subnet_ids")) {
        modify(inner, ty, addr, name, planned).await?;
    }
    let g = fetch(inner, ty, addr, name).await?.ok_or_else(|| vanished(addr, name))?;
    converge_tags(inner, ty, addr, &g, planned).await?;
    let g = fetch(inner, ty, addr, name).await?.ok_or_else(|| vanished(addr, name))?;
    Ok(to_value(inner, ty, g, planned))
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id").or_else(|| get_str(prior, "name")) else { return Ok(()) };
    let gone = |e: &ProviderError| ["DBSubnetGroupNotFoundFault", "CacheSubnetGroupNotFoundFault", "ClusterSubnetGroupNotFoundFault"].iter().any(|c| is_code(e, c));
    // Databases and clusters being deleted in the same run may still hold the group.
    let mut backoff = Backoff::new();
    loop {
        let r = match ty {
            DB_SUBNET_GROUP => inner.rds.delete_db_subnet_group().db_subnet_group_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
            ELASTICACHE_SUBNET_GROUP => {
                inner.elasticache.delete_cache_subnet_group().cache_subnet_group_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
            }
            _ => inner.redshift.delete_cluster_subnet_group().cluster_subnet_group_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
        };
        match r {
            Err(e) if gone(&e) => return Ok(()),
            Err(e) if ["InvalidDBSubnetGroupStateFault", "SubnetGroupInUse", "CacheSubnetGroupInUse", "InvalidClusterSubnetGroupStateFault"].iter().any(|c| is_code(&e, c)) => {
                if !backoff.wait().await {
                    return Err(e);
                }
            }
            other => return other,
        }
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let what = format!("{ty} {id}");
    Ok(fetch(inner, ty, &what, id).await?.map(|g| to_value(inner, ty, g, &Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_argument() {
        let mut d = Diagnostics::new();
        validate(ELASTICACHE_SUBNET_GROUP, &Value::map(vec![("name", Value::string("my_group")), ("subnet_ids", Value::List(vec![]))]), &mut d);
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].starts_with("name: 1 to 255 characters from letters, digits and '-'"));
        assert!(msgs[1].starts_with("subnet_ids:"));
        let mut d = Diagnostics::new();
        validate(DB_SUBNET_GROUP, &Value::map(vec![("name", Value::string("my_group.db"))]), &mut d);
        assert!(d.0.is_empty(), "{d:?}");
        let mut d = Diagnostics::new();
        validate(REDSHIFT_SUBNET_GROUP, &Value::map(vec![("name", Value::string("Default"))]), &mut d);
        assert_eq!(d.0.len(), 1);
    }
}
