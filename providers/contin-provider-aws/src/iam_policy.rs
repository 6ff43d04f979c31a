//! IAM managed policies (aws-sdk-iam): `aws_iam_policy` and
//! `aws_iam_policy_attachment`. Schemas live here.
//!
//! `aws_iam_policy`: the name is known before the create (configured, or
//! `name_prefix`/"contin-" + 26 characters derived from the create's
//! lineage/address/generation) and the policy carries the bookkeeping tags
//! from `CreatePolicy` on; a re-run that meets `EntityAlreadyExists` finds
//! the policy by name and path and adopts it when its tags say it was made for
//! this create, else refuses. `policy` is compared by meaning (`policy.rs`):
//! the configured spelling stays in state while IAM's default version means
//! the same; a new document is a new default version (the oldest non-default
//! version is deleted first when IAM's limit of five is reached).
//!
//! `aws_iam_policy_attachment` (Terraform's exclusive attachment): attaches
//! the policy to every listed user, role and group; attaching is idempotent,
//! so a re-run after a crash converges without duplicates. `read` reports
//! every entity the policy is attached to (as Terraform does) and the
//! attachment as gone when there is none.

use crate::policy;
use crate::util::*;
use crate::Inner;
use aws_sdk_iam::types::Tag;
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, OpContext, PlannedChange, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const IAM_POLICY: &str = "aws_iam_policy";
pub const IAM_POLICY_ATTACHMENT: &str = "aws_iam_policy_attachment";

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

pub(crate) fn is_iam_policy(ty: &str) -> bool {
    matches!(ty, IAM_POLICY | IAM_POLICY_ATTACHMENT)
}

fn s() -> T {
    T::String
}
fn set_s() -> T {
    T::Set(Box::new(T::String))
}

pub fn iam_policy() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new().describe("a unique name starting with this prefix (when name is not set)"))
        .attr("path", A::optional_computed(s()).force_new().describe("default \"/\""))
        .attr("description", A::optional(s()).force_new())
        .attr("policy", A::required(s()).describe("JSON policy document; compared by meaning, not by text"))
        .attr("tags", A::optional(T::Map(Box::new(T::String))).describe("tags of the policy; provider default tags are added, resource tags win"))
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("policy_id", A::computed(s()))
        .attr("attachment_count", A::computed(T::Number))
}

pub fn iam_policy_attachment() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::required(s()).force_new())
        .attr("policy_arn", A::required(s()).force_new())
        .attr("users", A::optional(set_s()))
        .attr("roles", A::optional(set_s()))
        .attr("groups", A::optional(set_s()))
        .attr("id", A::computed(s()))
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(IAM_POLICY.into(), iam_policy());
    p.resources.insert(IAM_POLICY_ATTACHMENT.into(), iam_policy_attachment());
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    match ty {
        IAM_POLICY => {
            if let Some(doc) = get(cfg, "policy").and_then(|v| match v {
                Value::String(s) => Some(s.as_str()),
                _ => None,
            }) {
                if let Err(why) = policy::parse(doc) {
                    d.push(Diagnostic::error(format!("policy: {why}")));
                }
            }
            if get_str(cfg, "name").is_some() && get_str(cfg, "name_prefix").is_some() {
                d.push(Diagnostic::error("name: conflicts with name_prefix; set one of them"));
            }
            if let Some(p) = get_str(cfg, "path") {
                if !p.starts_with('/') || !p.ends_with('/') {
                    d.push(Diagnostic::error(format!("path: must begin and end with \"/\", got {p:?}")));
                }
            }
        }
        IAM_POLICY_ATTACHMENT => {
            let absent = |k: &str| match get(cfg, k) {
                None | Some(Value::Null) => true,
                Some(Value::List(v) | Value::Set(v)) => v.is_empty(),
                _ => false,
            };
            let none = ["users", "roles", "groups"].into_iter().all(absent);
            if none {
                d.push(Diagnostic::error("users: at least one of users, roles or groups must be set"));
            }
        }
        _ => {}
    }
}

/// Plan adjustment: a policy document that means the same as the state's keeps the state's spelling (no diff).
pub(crate) fn adjust(ty: &str, prior: Option<&Value>, change: &mut PlannedChange) {
    let Some(prior) = prior else { return };
    if ty != IAM_POLICY || !change.requires_replace.is_empty() {
        return;
    }
    if let (Some(old), Some(new)) = (get_str(prior, "policy"), get_str(&change.planned, "policy")) {
        if old != new && policy::equivalent(old, new) {
            let old = Value::string(old);
            if let Value::Map(m) = &mut change.planned {
                m.insert("policy".into(), old);
            }
        }
    }
}

fn is_gone(e: &ProviderError) -> bool {
    is_code(e, "NoSuchEntity")
}

fn gone_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn gone_is_ok(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match r {
        Err(e) if is_gone(&e) => Ok(()),
        other => other,
    }
}

fn iam_tags(what: &str, tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::Failed(format!("{what}: tag {k:?}: {e}"))))
        .collect()
}

fn as_ec2_tags(tags: &[Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter().map(|t| aws_sdk_ec2::types::Tag::builder().key(t.key()).value(t.value()).build()).collect()
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    match ty {
        IAM_POLICY => {
            let Some(arn) = get_str(state, "arn").or_else(|| get_str(state, "id")) else { return Ok(None) };
            read_policy(inner, arn, state).await
        }
        _ => read_attachment(inner, state).await,
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    match ty {
        IAM_POLICY => create_policy(inner, planned, ctx).await,
        _ => {
            let addr = ctx.address.to_string();
            converge_attachment(inner, &addr, &Value::Null, planned).await?;
            kill_hook(ctx);
            read_attachment(inner, planned).await?.ok_or_else(|| vanished(&addr, get_str(planned, "name").unwrap_or_default()))
        }
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    match ty {
        IAM_POLICY => update_policy(inner, addr, prior, planned).await,
        _ => {
            converge_attachment(inner, addr, prior, planned).await?;
            read_attachment(inner, planned).await?.ok_or_else(|| vanished(addr, get_str(planned, "name").unwrap_or_default()))
        }
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    match ty {
        IAM_POLICY => delete_policy(inner, addr, prior).await,
        _ => {
            let empty = Value::Map(BTreeMap::from([("policy_arn".to_string(), get(prior, "policy_arn").cloned().unwrap_or(Value::Null))]));
            converge_attachment(inner, addr, prior, &empty).await
        }
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    match ty {
        IAM_POLICY => read_policy(inner, id, &Value::Null).await,
        _ => Err(ProviderError::Invalid(format!(
            "{IAM_POLICY_ATTACHMENT} cannot be imported (as in Terraform): declare it and apply; attaching again is harmless"
        ))),
    }
}

// -------------------------------------------------------------- aws_iam_policy

async fn get_policy(inner: &Inner, what: &str, arn: &str) -> Result<Option<aws_sdk_iam::types::Policy>, ProviderError> {
    let out = gone_is_none(inner.iam.get_policy().policy_arn(arn).send().await.map_err(|e| api_err(what, e)))?;
    Ok(out.and_then(|o| o.policy().cloned()))
}

async fn read_policy(inner: &Inner, arn: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{IAM_POLICY} {arn}");
    let Some(p) = get_policy(inner, &what, arn).await? else { return Ok(None) };
    let version = p.default_version_id().unwrap_or("v1");
    let v = gone_is_none(inner.iam.get_policy_version().policy_arn(arn).version_id(version).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(v) = v else { return Ok(None) };
    let doc = policy::url_decode(v.policy_version().and_then(|pv| pv.document()).unwrap_or(""));
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), opt_string(p.arn()));
    m.insert("arn".into(), opt_string(p.arn()));
    m.insert("name".into(), opt_string(p.policy_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("path".into(), Value::string(p.path().unwrap_or("/")));
    m.insert("description".into(), opt_string(p.description().filter(|d| !d.is_empty())));
    m.insert("policy".into(), Value::String(policy::keep_spelling(&doc, get_str(shape, "policy"))));
    m.insert("policy_id".into(), opt_string(p.policy_id()));
    m.insert("attachment_count".into(), Value::int(i64::from(p.attachment_count().unwrap_or(0))));
    m.insert("tags".into(), tags_value(&as_ec2_tags(p.tags()), &inner.default_tags, shape));
    Ok(Some(complete(&iam_policy(), m)))
}

/// The policy named `name` under `path` in this account, if any.
async fn find_policy(inner: &Inner, what: &str, name: &str, path: &str) -> Result<Option<String>, ProviderError> {
    let all = inner
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .path_prefix(path)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(all.into_iter().find(|p| p.policy_name() == Some(name) && p.path().unwrap_or("/") == path).and_then(|p| p.arn().map(String::from)))
}

async fn create_policy(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = crate::iam::object_name(planned, ctx);
    let path = get_str(planned, "path").unwrap_or("/");
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    let sent = inner
        .iam
        .create_policy()
        .policy_name(&name)
        .path(path)
        .policy_document(get_str(planned, "policy").unwrap_or_default())
        .set_description(get_str(planned, "description").map(String::from))
        .set_tags(Some(iam_tags(what, &tags)?))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    let arn = match sent {
        Ok(out) => {
            kill_hook(ctx);
            out.policy().and_then(|p| p.arn()).map(String::from).ok_or_else(|| ProviderError::Failed(format!("{what}: CreatePolicy returned no ARN")))?
        }
        Err(e) if is_code(&e, "EntityAlreadyExists") => {
            let arn = find_policy(inner, what, &name, path).await?.ok_or_else(|| vanished(what, &name))?;
            let live = get_policy(inner, what, &arn).await?.ok_or_else(|| vanished(what, &name))?;
            let m = tag_map(&as_ec2_tags(live.tags()));
            if !bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k) == Some(v)) {
                return Err(ProviderError::Api {
                    code: "EntityAlreadyExists".into(),
                    message: format!("{what}: policy {name:?} already exists and was not created by this resource; import it or choose another name"),
                });
            }
            // Adopted: make its document the planned one.
            set_document(inner, what, &arn, get_str(planned, "policy").unwrap_or_default()).await?;
            arn
        }
        Err(e) => return Err(e),
    };
    read_policy(inner, &arn, planned).await?.ok_or_else(|| vanished(what, &arn))
}

/// Makes `doc` the default version unless the default already means the same.
async fn set_document(inner: &Inner, what: &str, arn: &str, doc: &str) -> Result<(), ProviderError> {
    let versions = inner.iam.list_policy_versions().policy_arn(arn).send().await.map_err(|e| api_err(what, e))?;
    let versions = versions.versions();
    if let Some(default) = versions.iter().find(|v| v.is_default_version()) {
        let out = inner
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(default.version_id().unwrap_or("v1"))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        let live = policy::url_decode(out.policy_version().and_then(|v| v.document()).unwrap_or(""));
        if policy::equivalent(&live, doc) {
            return Ok(());
        }
    }
    if versions.len() >= MAX_POLICY_VERSIONS {
        // As Terraform: the oldest non-default version makes room.
        let oldest = versions.iter().filter(|v| !v.is_default_version()).min_by_key(|v| v.create_date().map(|d| (d.secs(), d.subsec_nanos())));
        if let Some(id) = oldest.and_then(|v| v.version_id()) {
            gone_is_ok(inner.iam.delete_policy_version().policy_arn(arn).version_id(id).send().await.map(|_| ()).map_err(|e| api_err(what, e)))?;
        }
    }
    inner.iam.create_policy_version().policy_arn(arn).policy_document(doc).set_as_default(true).send().await.map_err(|e| api_err(what, e))?;
    Ok(())
}

async fn update_policy(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let arn = get_str(prior, "arn").or_else(|| get_str(prior, "id")).ok_or_else(|| ProviderError::Invalid(format!("{addr}: no policy ARN in state")))?;
    let want = get_str(planned, "policy").unwrap_or_default();
    if !policy::equivalent(get_str(prior, "policy").unwrap_or_default(), want) {
        set_document(inner, addr, arn, want).await?;
    }
    let live = get_policy(inner, addr, arn).await?.ok_or_else(|| vanished(addr, arn))?;
    let current = tag_map(&as_ec2_tags(live.tags()));
    let wanted = effective_tags(&inner.default_tags, planned);
    let remove: Vec<String> = current.keys().filter(|k| !k.starts_with("contin:") && !wanted.contains_key(*k)).cloned().collect();
    let set: BTreeMap<String, String> = wanted.into_iter().filter(|(k, v)| current.get(k) != Some(v)).collect();
    if !remove.is_empty() {
        inner.iam.untag_policy().policy_arn(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(addr, e))?;
    }
    if !set.is_empty() {
        inner.iam.tag_policy().policy_arn(arn).set_tags(Some(iam_tags(addr, &set)?)).send().await.map_err(|e| api_err(addr, e))?;
    }
    read_policy(inner, arn, planned).await?.ok_or_else(|| vanished(addr, arn))
}

async fn delete_policy(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(arn) = get_str(prior, "arn").or_else(|| get_str(prior, "id")) else { return Ok(()) };
    let versions = gone_is_none(inner.iam.list_policy_versions().policy_arn(arn).send().await.map_err(|e| api_err(addr, e)))?;
    let Some(versions) = versions else { return Ok(()) };
    for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
        if let Some(id) = v.version_id() {
            gone_is_ok(inner.iam.delete_policy_version().policy_arn(arn).version_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
        }
    }
    // Attachments destroyed in the same run may still be on their way out.
    let mut backoff = Backoff::new();
    loop {
        match gone_is_ok(inner.iam.delete_policy().policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e))) {
            Err(e) if is_code(&e, "DeleteConflict") => {
                if !backoff.wait().await {
                    return Err(e);
                }
            }
            other => return other,
        }
    }
}

// --------------------------------------------------- aws_iam_policy_attachment

/// Every (users, roles, groups) the policy is attached to; None when the policy is gone.
async fn entities(inner: &Inner, what: &str, arn: &str) -> Result<Option<[Vec<String>; 3]>, ProviderError> {
    let mut out: [Vec<String>; 3] = Default::default();
    let mut marker: Option<String> = None;
    loop {
        let page = inner.iam.list_entities_for_policy().policy_arn(arn).set_marker(marker.clone()).send().await.map_err(|e| api_err(what, e));
        let Some(page) = gone_is_none(page)? else { return Ok(None) };
        out[0].extend(page.policy_users().iter().filter_map(|u| u.user_name().map(String::from)));
        out[1].extend(page.policy_roles().iter().filter_map(|r| r.role_name().map(String::from)));
        out[2].extend(page.policy_groups().iter().filter_map(|g| g.group_name().map(String::from)));
        marker = page.marker().filter(|_| page.is_truncated()).map(String::from);
        if marker.is_none() {
            break;
        }
    }
    for v in &mut out {
        v.sort();
        v.dedup();
    }
    Ok(Some(out))
}

fn str_set(items: Vec<String>) -> Value {
    Value::set(items.into_iter().map(Value::String).collect())
}

async fn read_attachment(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(arn) = get_str(state, "policy_arn") else { return Ok(None) };
    let what = format!("{IAM_POLICY_ATTACHMENT} {}", get_str(state, "name").unwrap_or_default());
    let Some([users, roles, groups]) = entities(inner, &what, arn).await? else { return Ok(None) };
    if users.is_empty() && roles.is_empty() && groups.is_empty() {
        return Ok(None);
    }
    // An attribute the configuration left null and nothing fills stays null (no diff).
    let shaped = |name: &str, items: Vec<String>| {
        if items.is_empty() && matches!(get(state, name), None | Some(Value::Null)) {
            Value::Null
        } else {
            str_set(items)
        }
    };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), get(state, "name").cloned().unwrap_or(Value::Null));
    m.insert("name".into(), get(state, "name").cloned().unwrap_or(Value::Null));
    m.insert("policy_arn".into(), Value::string(arn));
    m.insert("users".into(), shaped("users", users));
    m.insert("roles".into(), shaped("roles", roles));
    m.insert("groups".into(), shaped("groups", groups));
    Ok(Some(complete(&iam_policy_attachment(), m)))
}

/// Attaches what `planned` lists and `prior` did not, detaches the reverse.
async fn converge_attachment(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<(), ProviderError> {
    let arn = get_str(planned, "policy_arn").or_else(|| get_str(prior, "policy_arn")).ok_or_else(|| ProviderError::Invalid(format!("{addr}: no policy_arn")))?;
    for kind in ["users", "roles", "groups"] {
        let (old, new) = (get_strs(prior, kind), get_strs(planned, kind));
        for name in new.iter().filter(|n| !old.contains(n)) {
            let r = match kind {
                "users" => inner.iam.attach_user_policy().user_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
                "roles" => inner.iam.attach_role_policy().role_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
                _ => inner.iam.attach_group_policy().group_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
            };
            r?;
        }
        for name in old.iter().filter(|n| !new.contains(n)) {
            let r = match kind {
                "users" => inner.iam.detach_user_policy().user_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
                "roles" => inner.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
                _ => inner.iam.detach_group_policy().group_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
            };
            gone_is_ok(r)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(kv: &[(&str, Value)]) -> Value {
        Value::Map(kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn validation_names_the_argument() {
        let mut d = Diagnostics::new();
        validate(IAM_POLICY, &cfg(&[("policy", Value::string("{nope")), ("name", Value::string("a")), ("name_prefix", Value::string("b")), ("path", Value::string("x"))]), &mut d);
        let msgs: Vec<String> = d.0.iter().map(|x| x.summary.clone()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].starts_with("policy: not valid JSON"));
        assert!(msgs[1].starts_with("name: conflicts"));
        assert!(msgs[2].starts_with("path: must begin"));
        let mut d = Diagnostics::new();
        validate(IAM_POLICY_ATTACHMENT, &cfg(&[("name", Value::string("a"))]), &mut d);
        assert_eq!(d.0.len(), 1);
        let mut d = Diagnostics::new();
        validate(IAM_POLICY_ATTACHMENT, &cfg(&[("roles", Value::Unknown)]), &mut d);
        assert!(d.0.is_empty());
    }

    #[test]
    fn equivalent_documents_plan_no_change() {
        let prior = cfg(&[
            ("name", Value::string("p")),
            ("path", Value::string("/")),
            ("policy", Value::string(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#)),
            ("arn", Value::string("arn:aws:iam::123456789012:policy/p")),
            ("id", Value::string("arn:aws:iam::123456789012:policy/p")),
            ("policy_id", Value::string("ANPA")),
            ("attachment_count", Value::int(0)),
        ]);
        let desired = cfg(&[
            ("name", Value::string("p")),
            ("policy", Value::string("{\n  \"Statement\": [{\"Resource\": [\"*\"], \"Action\": \"s3:GetObject\", \"Effect\": \"Allow\"}],\n  \"Version\": \"2012-10-17\"\n}")),
        ]);
        let mut change = contin_provider::plan_change_from_schema(&iam_policy(), Some(&prior), &desired);
        adjust(IAM_POLICY, Some(&prior), &mut change);
        assert!(change.requires_replace.is_empty());
        assert_eq!(get(&change.planned, "policy"), get(&prior, "policy"));
        let different = cfg(&[("name", Value::string("p")), ("policy", Value::string(r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#))]);
        let mut change = contin_provider::plan_change_from_schema(&iam_policy(), Some(&prior), &different);
        adjust(IAM_POLICY, Some(&prior), &mut change);
        assert_ne!(get(&change.planned, "policy"), get(&prior, "policy"));
    }
}
