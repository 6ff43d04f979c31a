//! CloudWatch Logs (aws-sdk-cloudwatchlogs): `aws_cloudwatch_log_group`.
//! Schema lives here.
//!
//! Crash safety: the group's name is known before the create (configured, or
//! `name_prefix`/"contin-" + 26 characters derived from the create's
//! lineage/address/generation) and `CreateLogGroup` carries the bookkeeping
//! tags; a re-run that meets `ResourceAlreadyExistsException` adopts the group
//! when its tags say it was made for this create, and refuses otherwise.
//! `skip_destroy = true` leaves the group in place at destroy (state only),
//! as Terraform does. `arn` is the group's ARN without the trailing `:*`.

use crate::util::*;
use crate::Inner;
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const CLOUDWATCH_LOG_GROUP: &str = "aws_cloudwatch_log_group";

/// The retention periods CloudWatch Logs accepts (days; 0 = never expire).
const RETENTION_DAYS: &[i64] = &[0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const CLASSES: &[&str] = &["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];

pub fn log_group() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(T::String).force_new())
        .attr("name_prefix", A::optional(T::String).force_new().describe("a unique name starting with this prefix (when name is not set)"))
        .attr("retention_in_days", A::optional(T::Number).describe("days to keep events; 0 or null = never expire"))
        .attr("kms_key_id", A::optional(T::String).describe("ARN of the KMS key encrypting the log data"))
        .attr("log_group_class", A::optional_computed(T::String).force_new().describe("STANDARD (default), INFREQUENT_ACCESS or DELIVERY"))
        .attr("skip_destroy", A::optional(T::Bool).describe("keep the group at destroy (only removed from state)"))
        .attr("deletion_protection_enabled", A::optional_computed(T::Bool))
        .attr("tags", A::optional(T::Map(Box::new(T::String))).describe("tags of the group; provider default tags are added, resource tags win"))
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(CLOUDWATCH_LOG_GROUP.into(), log_group());
}

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if ty != CLOUDWATCH_LOG_GROUP {
        return;
    }
    if get_str(cfg, "name").is_some() && get_str(cfg, "name_prefix").is_some() {
        d.push(Diagnostic::error("name: conflicts with name_prefix; set one of them"));
    }
    if let Some(n) = get_i64(cfg, "retention_in_days") {
        if !RETENTION_DAYS.contains(&n) {
            d.push(Diagnostic::error(format!("retention_in_days: {n} is not a retention CloudWatch Logs accepts ({RETENTION_DAYS:?})")));
        }
    }
    if let Some(c) = get_str(cfg, "log_group_class") {
        if !CLASSES.contains(&c) {
            d.push(Diagnostic::error(format!("log_group_class: expected one of {CLASSES:?}, got {c:?}")));
        }
    }
    if let Some(n) = get_str(cfg, "name") {
        if n.is_empty() || n.len() > 512 || !n.chars().all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c)) {
            d.push(Diagnostic::error(format!("name: 1 to 512 characters from a-z, A-Z, 0-9, '_', '-', '/', '.', '#', got {n:?}")));
        }
    }
}

fn is_gone(e: &ProviderError) -> bool {
    is_code(e, "ResourceNotFoundException")
}

fn group_arn(g: &aws_sdk_cloudwatchlogs::types::LogGroup) -> Option<String> {
    g.log_group_arn().map(String::from).or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
}

async fn describe(inner: &Inner, what: &str, name: &str) -> Result<Option<aws_sdk_cloudwatchlogs::types::LogGroup>, ProviderError> {
    let mut token: Option<String> = None;
    loop {
        let out = inner
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        if let Some(g) = out.log_groups().iter().find(|g| g.log_group_name() == Some(name)) {
            return Ok(Some(g.clone()));
        }
        token = out.next_token().filter(|t| !t.is_empty()).map(String::from);
        if token.is_none() {
            return Ok(None);
        }
    }
}

async fn live_tags(inner: &Inner, what: &str, arn: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let out = inner.logs.list_tags_for_resource().resource_arn(arn).send().await.map_err(|e| api_err(what, e))?;
    Ok(out.tags().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
}

fn as_ec2_tags(m: &BTreeMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    m.iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).collect()
}

async fn read_group(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{CLOUDWATCH_LOG_GROUP} {name}");
    let Some(g) = describe(inner, &what, name).await? else { return Ok(None) };
    let arn = group_arn(&g).unwrap_or_default();
    let tags = live_tags(inner, &what, &arn).await?;
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(name));
    m.insert("name".into(), Value::string(name));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    let retention = g.retention_in_days().map(i64::from);
    // Never expiring: null when the configuration says null, else 0 (both mean the same).
    let retention = match (retention, get(shape, "retention_in_days")) {
        (None, Some(Value::Number(_))) => Value::int(0),
        (None, _) => Value::Null,
        (Some(n), _) => Value::int(n),
    };
    m.insert("retention_in_days".into(), retention);
    m.insert("kms_key_id".into(), opt_string(g.kms_key_id()));
    m.insert("log_group_class".into(), Value::string(g.log_group_class().map_or("STANDARD", |c| c.as_str())));
    m.insert("deletion_protection_enabled".into(), Value::Bool(g.deletion_protection_enabled().unwrap_or(false)));
    // State only: what destroy does.
    m.insert("skip_destroy".into(), get(shape, "skip_destroy").cloned().unwrap_or(Value::Null));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    m.insert("arn".into(), Value::String(arn));
    Ok(Some(complete(&log_group(), m)))
}

fn retention(v: &Value) -> Option<i32> {
    get_i64(v, "retention_in_days").filter(|n| *n > 0).and_then(|n| i32::try_from(n).ok())
}

async fn converge(inner: &Inner, what: &str, name: &str, prior: &Value, planned: &Value) -> Result<(), ProviderError> {
    if retention(prior) != retention(planned) {
        match retention(planned) {
            Some(days) => {
                inner.logs.put_retention_policy().log_group_name(name).retention_in_days(days).send().await.map_err(|e| api_err(what, e))?;
            }
            None => {
                inner.logs.delete_retention_policy().log_group_name(name).send().await.map_err(|e| api_err(what, e))?;
            }
        }
    }
    if get_str(prior, "kms_key_id") != get_str(planned, "kms_key_id") {
        match get_str(planned, "kms_key_id") {
            Some(k) => {
                inner.logs.associate_kms_key().log_group_name(name).kms_key_id(k).send().await.map_err(|e| api_err(what, e))?;
            }
            None => {
                inner.logs.disassociate_kms_key().log_group_name(name).send().await.map_err(|e| api_err(what, e))?;
            }
        }
    }
    let (old, new) = (get_bool(prior, "deletion_protection_enabled"), get_bool(planned, "deletion_protection_enabled"));
    if let Some(want) = new.filter(|w| old != Some(*w)) {
        inner
            .logs
            .put_log_group_deletion_protection()
            .log_group_identifier(name)
            .deletion_protection_enabled(want)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

async fn converge_tags(inner: &Inner, what: &str, arn: &str, planned: &Value) -> Result<(), ProviderError> {
    let live = live_tags(inner, what, arn).await?;
    let want = effective_tags(&inner.default_tags, planned);
    let remove: Vec<String> = live.keys().filter(|k| !k.starts_with("contin:") && !want.contains_key(*k)).cloned().collect();
    let set: BTreeMap<String, String> = want.into_iter().filter(|(k, v)| live.get(k) != Some(v)).collect();
    if !remove.is_empty() {
        inner.logs.untag_resource().resource_arn(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(what, e))?;
    }
    if !set.is_empty() {
        inner.logs.tag_resource().resource_arn(arn).set_tags(Some(set.into_iter().collect())).send().await.map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(name) = get_str(state, "id").or_else(|| get_str(state, "name")) else { return Ok(None) };
    read_group(inner, name, state).await
}

pub(crate) async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = crate::iam::object_name(planned, ctx);
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    let class = get_str(planned, "log_group_class").map(aws_sdk_cloudwatchlogs::types::LogGroupClass::from);
    let sent = inner
        .logs
        .create_log_group()
        .log_group_name(&name)
        .set_kms_key_id(get_str(planned, "kms_key_id").map(String::from))
        .set_log_group_class(class)
        .set_deletion_protection_enabled(get_bool(planned, "deletion_protection_enabled").filter(|b| *b))
        .set_tags(Some(tags.into_iter().collect()))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    match sent {
        Ok(_) => kill_hook(ctx),
        Err(e) if is_code(&e, "ResourceAlreadyExistsException") => {
            let g = describe(inner, what, &name).await?.ok_or_else(|| vanished(what, &name))?;
            let live = live_tags(inner, what, &group_arn(&g).unwrap_or_default()).await?;
            if !bookkeeping_tags(ctx).iter().all(|(k, v)| live.get(k) == Some(v)) {
                return Err(ProviderError::Api {
                    code: "ResourceAlreadyExistsException".into(),
                    message: format!("{what}: log group {name:?} already exists and was not created by this resource; import it or choose another name"),
                });
            }
        }
        Err(e) => return Err(e),
    }
    // What CreateLogGroup does not set (or an adopted group may lack).
    let g = describe(inner, what, &name).await?.ok_or_else(|| vanished(what, &name))?;
    let current = Value::map(vec![
        ("retention_in_days", g.retention_in_days().map_or(Value::Null, |n| Value::int(i64::from(n)))),
        ("kms_key_id", get(planned, "kms_key_id").cloned().unwrap_or(Value::Null)),
        ("deletion_protection_enabled", Value::Bool(g.deletion_protection_enabled().unwrap_or(false))),
    ]);
    converge(inner, what, &name, &current, planned).await?;
    read_group(inner, &name, planned).await?.ok_or_else(|| vanished(what, &name))
}

pub(crate) async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = get_str(prior, "id").or_else(|| get_str(prior, "name")).ok_or_else(|| ProviderError::Invalid(format!("{addr}: no log group name in state")))?;
    converge(inner, addr, name, prior, planned).await?;
    let arn = get_str(prior, "arn").unwrap_or_default().to_string();
    converge_tags(inner, addr, &arn, planned).await?;
    read_group(inner, name, planned).await?.ok_or_else(|| vanished(addr, name))
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    if get_bool(prior, "skip_destroy") == Some(true) {
        return Ok(());
    }
    let Some(name) = get_str(prior, "id").or_else(|| get_str(prior, "name")) else { return Ok(()) };
    match inner.logs.delete_log_group().log_group_name(name).send().await.map_err(|e| api_err(addr, e)) {
        Err(e) if is_gone(&e) => Ok(()),
        other => other.map(|_| ()),
    }
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_group(inner, id, &Value::Null).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_argument() {
        let cfg = Value::map(vec![
            ("name", Value::string("bad name")),
            ("name_prefix", Value::string("x")),
            ("retention_in_days", Value::int(2)),
            ("log_group_class", Value::string("COLD")),
        ]);
        let mut d = Diagnostics::new();
        validate(CLOUDWATCH_LOG_GROUP, &cfg, &mut d);
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        for (m, prefix) in msgs.iter().zip(["name: conflicts", "retention_in_days: 2", "log_group_class:", "name: 1 to 512"]) {
            assert!(m.starts_with(prefix), "{m}");
        }
        let mut d = Diagnostics::new();
        validate(CLOUDWATCH_LOG_GROUP, &Value::map(vec![("name", Value::string("/aws/vpc-flow-log/vpc-1")), ("retention_in_days", Value::int(30))]), &mut d);
        assert!(d.0.is_empty(), "{d:?}");
    }
}
