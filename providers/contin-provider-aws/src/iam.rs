//! IAM (aws-sdk-iam): `aws_iam_role`, `aws_iam_instance_profile`,
//! `aws_iam_role_policy_attachment` and `aws_iam_user`.
//!
//! Crash safety: roles, instance profiles and users have names known before
//! the create (configured, or derived from the create's lineage/address/
//! generation) and carry the bookkeeping tags from the create call on; a
//! re-run that meets `EntityAlreadyExists` adopts the object when its tags say
//! it was made for this create, and refuses otherwise. Policy attachments are
//! idempotent (attaching twice is one attachment).
//!
//! `assume_role_policy` is compared by meaning (`policy.rs`): the configured
//! spelling stays in state while IAM's copy means the same.

use crate::policy;
use crate::schema::{self, IAM_INSTANCE_PROFILE, IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT, IAM_USER};
use crate::util::*;
use crate::Inner;
use aws_sdk_iam::primitives::DateTimeFormat;
use aws_sdk_iam::types::Tag;
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

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

fn block(ty: &str) -> Result<&'static contin_provider::BlockSchema, ProviderError> {
    schema::resource(ty).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() })
}

fn iam_tags(what: &str, tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::Failed(format!("{what}: tag {k:?}: {e}"))))
        .collect()
}

/// IAM tags as EC2-style tags (to share `tags_value`).
fn as_ec2_tags(tags: &[Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter().map(|t| aws_sdk_ec2::types::Tag::builder().key(t.key()).value(t.value()).build()).collect()
}

fn date(d: &aws_sdk_iam::primitives::DateTime) -> Value {
    d.fmt(DateTimeFormat::DateTime).map_or(Value::Null, Value::String)
}

/// The name a create uses: `name`, else `name_prefix` (or "contin-")
/// followed by 26 characters derived from the create's identity.
pub(crate) fn object_name(planned: &Value, ctx: &OpContext) -> String {
    if let Some(n) = get_str(planned, "name") {
        return n.to_string();
    }
    let prefix = get_str(planned, "name_prefix").unwrap_or("contin-");
    format!("{prefix}{}", &client_token(ctx)[..26])
}

fn already_exists(e: &ProviderError) -> bool {
    is_code(e, "EntityAlreadyExists")
}

/// Decides about an object that already has the create's name: ours (tagged
/// for this create) is adopted, anything else is refused.
fn adopt_or_refuse(what: &str, kind: &str, name: &str, tags: &[Tag], ctx: &OpContext) -> Result<(), ProviderError> {
    let m = tag_map(&as_ec2_tags(tags));
    if bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k) == Some(v)) {
        return Ok(());
    }
    Err(ProviderError::Api {
        code: "EntityAlreadyExists".into(),
        message: format!("{what}: {kind} {name:?} already exists and was not created by this resource; import it or choose another name"),
    })
}

/// The tag changes from `current` (live, bookkeeping included) to `planned`'s effective tags:
/// (keys to remove, tags to set). Bookkeeping tags stay.
fn tag_delta(inner: &Inner, current: &[Tag], planned: &Value) -> (Vec<String>, BTreeMap<String, String>) {
    let live = tag_map(&as_ec2_tags(current));
    let want = effective_tags(&inner.default_tags, planned);
    let remove = live.keys().filter(|k| !k.starts_with("contin:") && !want.contains_key(*k)).cloned().collect();
    let set = want.into_iter().filter(|(k, v)| live.get(k) != Some(v)).collect();
    (remove, set)
}

// --------------------------------------------------------------- aws_iam_role

async fn get_role(inner: &Inner, what: &str, name: &str) -> Result<Option<aws_sdk_iam::types::Role>, ProviderError> {
    let out = gone_is_none(inner.iam.get_role().role_name(name).send().await.map_err(|e| api_err(what, e)))?;
    Ok(out.and_then(|o| o.role().cloned()))
}

async fn read_role(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{IAM_ROLE} {name}");
    let Some(r) = get_role(inner, &what, name).await? else { return Ok(None) };
    let doc = policy::url_decode(r.assume_role_policy_document().unwrap_or(""));
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(r.role_name()));
    m.insert("name".into(), Value::string(r.role_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("path".into(), Value::string(r.path()));
    m.insert("assume_role_policy".into(), Value::String(policy::keep_spelling(&doc, get_str(shape, "assume_role_policy"))));
    m.insert("description".into(), opt_string(r.description().filter(|d| !d.is_empty())));
    m.insert("max_session_duration".into(), Value::int(i64::from(r.max_session_duration().unwrap_or(3600))));
    m.insert("permissions_boundary".into(), opt_string(r.permissions_boundary().and_then(|b| b.permissions_boundary_arn())));
    // State only: what destroy does.
    m.insert("force_detach_policies".into(), get(shape, "force_detach_policies").cloned().unwrap_or(Value::Null));
    m.insert("tags".into(), tags_value(&as_ec2_tags(r.tags()), &inner.default_tags, shape));
    m.insert("arn".into(), Value::string(r.arn()));
    m.insert("unique_id".into(), Value::string(r.role_id()));
    m.insert("create_date".into(), date(r.create_date()));
    Ok(Some(complete(block(IAM_ROLE)?, m)))
}

fn session_duration(v: &Value) -> Option<i32> {
    get_i64(v, "max_session_duration").and_then(|n| i32::try_from(n).ok())
}

async fn create_role(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = object_name(planned, ctx);
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    let sent = inner
        .iam
        .create_role()
        .role_name(&name)
        .path(get_str(planned, "path").unwrap_or("/"))
        .assume_role_policy_document(get_str(planned, "assume_role_policy").unwrap_or_default())
        .set_description(get_str(planned, "description").map(String::from))
        .set_max_session_duration(session_duration(planned))
        .set_permissions_boundary(get_str(planned, "permissions_boundary").map(String::from))
        .set_tags(Some(iam_tags(what, &tags)?))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    match sent {
        Ok(_) => kill_hook(ctx),
        Err(e) if already_exists(&e) => {
            let r = get_role(inner, what, &name).await?.ok_or_else(|| vanished(what, &name))?;
            adopt_or_refuse(what, "role", &name, r.tags(), ctx)?;
        }
        Err(e) => return Err(e),
    }
    read_role(inner, &name, planned).await?.ok_or_else(|| vanished(what, &name))
}

async fn update_role(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = get_str(prior, "id").or_else(|| get_str(prior, "name")).ok_or_else(|| ProviderError::Invalid(format!("{addr}: no role name in state")))?;
    let want_doc = get_str(planned, "assume_role_policy").unwrap_or_default();
    if !policy::equivalent(get_str(prior, "assume_role_policy").unwrap_or_default(), want_doc) {
        inner.iam.update_assume_role_policy().role_name(name).policy_document(want_doc).send().await.map_err(|e| api_err(addr, e))?;
    }
    if get(prior, "description") != get(planned, "description") || get(prior, "max_session_duration") != get(planned, "max_session_duration") {
        inner
            .iam
            .update_role()
            .role_name(name)
            .description(get_str(planned, "description").unwrap_or(""))
            .set_max_session_duration(session_duration(planned))
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
    }
    if get(prior, "permissions_boundary") != get(planned, "permissions_boundary") {
        match get_str(planned, "permissions_boundary") {
            Some(arn) => {
                inner.iam.put_role_permissions_boundary().role_name(name).permissions_boundary(arn).send().await.map_err(|e| api_err(addr, e))?;
            }
            None => {
                inner.iam.delete_role_permissions_boundary().role_name(name).send().await.map_err(|e| api_err(addr, e))?;
            }
        }
    }
    let live = get_role(inner, addr, name).await?.ok_or_else(|| disappeared(addr, name))?;
    let (remove, set) = tag_delta(inner, live.tags(), planned);
    if !remove.is_empty() {
        inner.iam.untag_role().role_name(name).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(addr, e))?;
    }
    if !set.is_empty() {
        inner.iam.tag_role().role_name(name).set_tags(Some(iam_tags(addr, &set)?)).send().await.map_err(|e| api_err(addr, e))?;
    }
    read_role(inner, name, planned).await?.ok_or_else(|| disappeared(addr, name))
}

fn disappeared(addr: &str, name: &str) -> ProviderError {
    ProviderError::Api { code: "NoSuchEntity".into(), message: format!("{addr}: {name} disappeared during the update") }
}

async fn delete_role(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id").or_else(|| get_str(prior, "name")) else { return Ok(()) };
    // As Terraform: the role leaves every instance profile first.
    let profiles = inner.iam.list_instance_profiles_for_role().role_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    let Some(profiles) = gone_is_none(profiles.map_err(|e| api_err(addr, e)))? else { return Ok(()) };
    for p in profiles {
        gone_is_ok(
            inner
                .iam
                .remove_role_from_instance_profile()
                .instance_profile_name(p.instance_profile_name())
                .role_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_err(addr, e)),
        )?;
    }
    if get_bool(prior, "force_detach_policies") == Some(true) {
        let attached = inner.iam.list_attached_role_policies().role_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
        for p in attached.map_err(|e| api_err(addr, e))? {
            if let Some(arn) = p.policy_arn() {
                gone_is_ok(inner.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
            }
        }
        let inline = inner.iam.list_role_policies().role_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
        for p in inline.map_err(|e| api_err(addr, e))? {
            gone_is_ok(inner.iam.delete_role_policy().role_name(name).policy_name(p).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
        }
    }
    // Attachments destroyed in the same run may still be on their way out.
    let mut backoff = Backoff::new();
    loop {
        match gone_is_ok(inner.iam.delete_role().role_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e))) {
            Err(e) if is_code(&e, "DeleteConflict") => {
                if !backoff.wait().await {
                    return Err(with_hint(e, "detach its policies (or set force_detach_policies = true and apply) before destroying"));
                }
            }
            other => return other,
        }
    }
}

fn with_hint(e: ProviderError, hint: &str) -> ProviderError {
    match e {
        ProviderError::Api { code, message } => ProviderError::Api { code, message: format!("{message} ({hint})") },
        other => other,
    }
}

// ---------------------------------------------------- aws_iam_instance_profile

async fn get_profile(inner: &Inner, what: &str, name: &str) -> Result<Option<aws_sdk_iam::types::InstanceProfile>, ProviderError> {
    let out = gone_is_none(inner.iam.get_instance_profile().instance_profile_name(name).send().await.map_err(|e| api_err(what, e)))?;
    Ok(out.and_then(|o| o.instance_profile().cloned()))
}

/// GetInstanceProfile returns the tags (as GetRole and GetUser do).
async fn profile_tags(_inner: &Inner, _what: &str, p: &aws_sdk_iam::types::InstanceProfile) -> Result<Vec<Tag>, ProviderError> {
    Ok(p.tags().to_vec())
}

async fn read_profile(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{IAM_INSTANCE_PROFILE} {name}");
    let Some(p) = get_profile(inner, &what, name).await? else { return Ok(None) };
    let tags = profile_tags(inner, &what, &p).await?;
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(p.instance_profile_name()));
    m.insert("name".into(), Value::string(p.instance_profile_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("path".into(), Value::string(p.path()));
    m.insert("role".into(), opt_string(p.roles().first().map(|r| r.role_name())));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    m.insert("arn".into(), Value::string(p.arn()));
    m.insert("unique_id".into(), Value::string(p.instance_profile_id()));
    m.insert("create_date".into(), date(p.create_date()));
    Ok(Some(complete(block(IAM_INSTANCE_PROFILE)?, m)))
}

/// Makes the profile's role the planned one (a profile holds at most one role).
async fn converge_profile_role(inner: &Inner, what: &str, name: &str, planned: &Value) -> Result<(), ProviderError> {
    let p = get_profile(inner, what, name).await?.ok_or_else(|| vanished(what, name))?;
    let want = get_str(planned, "role");
    for r in p.roles() {
        if Some(r.role_name()) != want {
            gone_is_ok(
                inner.iam.remove_role_from_instance_profile().instance_profile_name(name).role_name(r.role_name()).send().await.map(|_| ()).map_err(|e| api_err(what, e)),
            )?;
        }
    }
    if let Some(role) = want {
        if !p.roles().iter().any(|r| r.role_name() == role) {
            inner.iam.add_role_to_instance_profile().instance_profile_name(name).role_name(role).send().await.map_err(|e| api_err(what, e))?;
        }
    }
    Ok(())
}

async fn create_profile(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = object_name(planned, ctx);
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    let sent = inner
        .iam
        .create_instance_profile()
        .instance_profile_name(&name)
        .path(get_str(planned, "path").unwrap_or("/"))
        .set_tags(Some(iam_tags(what, &tags)?))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    match sent {
        Ok(_) => kill_hook(ctx),
        Err(e) if already_exists(&e) => {
            let p = get_profile(inner, what, &name).await?.ok_or_else(|| vanished(what, &name))?;
            let tags = profile_tags(inner, what, &p).await?;
            adopt_or_refuse(what, "instance profile", &name, &tags, ctx)?;
        }
        Err(e) => return Err(e),
    }
    converge_profile_role(inner, what, &name, planned).await?;
    read_profile(inner, &name, planned).await?.ok_or_else(|| vanished(what, &name))
}

async fn update_profile(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = get_str(prior, "id").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no instance profile name in state")))?;
    converge_profile_role(inner, addr, name, planned).await?;
    let live = get_profile(inner, addr, name).await?.ok_or_else(|| disappeared(addr, name))?;
    let (remove, set) = tag_delta(inner, &profile_tags(inner, addr, &live).await?, planned);
    if !remove.is_empty() {
        inner.iam.untag_instance_profile().instance_profile_name(name).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(addr, e))?;
    }
    if !set.is_empty() {
        inner.iam.tag_instance_profile().instance_profile_name(name).set_tags(Some(iam_tags(addr, &set)?)).send().await.map_err(|e| api_err(addr, e))?;
    }
    read_profile(inner, name, planned).await?.ok_or_else(|| disappeared(addr, name))
}

async fn delete_profile(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id") else { return Ok(()) };
    let Some(p) = get_profile(inner, addr, name).await? else { return Ok(()) };
    for r in p.roles() {
        gone_is_ok(
            inner.iam.remove_role_from_instance_profile().instance_profile_name(name).role_name(r.role_name()).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
        )?;
    }
    gone_is_ok(inner.iam.delete_instance_profile().instance_profile_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))
}

// ---------------------------------------------- aws_iam_role_policy_attachment

async fn read_attachment(inner: &Inner, role: &str, arn: &str) -> Result<Option<Value>, ProviderError> {
    let what = format!("{IAM_ROLE_POLICY_ATTACHMENT} {role}/{arn}");
    let attached = inner.iam.list_attached_role_policies().role_name(role).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    let Some(attached) = gone_is_none(attached.map_err(|e| api_err(&what, e)))? else { return Ok(None) };
    if !attached.iter().any(|p| p.policy_arn() == Some(arn)) {
        return Ok(None);
    }
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(format!("{role}/{arn}")));
    m.insert("role".into(), Value::string(role));
    m.insert("policy_arn".into(), Value::string(arn));
    Ok(Some(complete(block(IAM_ROLE_POLICY_ATTACHMENT)?, m)))
}

fn attachment_key<'a>(addr: &str, v: &'a Value) -> Result<(&'a str, &'a str), ProviderError> {
    match (get_str(v, "role"), get_str(v, "policy_arn")) {
        (Some(r), Some(p)) => Ok((r, p)),
        _ => Err(ProviderError::Invalid(format!("{addr}: role and policy_arn must be known"))),
    }
}

// ---------------------------------------------------------------- aws_iam_user

async fn get_user(inner: &Inner, what: &str, name: &str) -> Result<Option<aws_sdk_iam::types::User>, ProviderError> {
    let out = gone_is_none(inner.iam.get_user().user_name(name).send().await.map_err(|e| api_err(what, e)))?;
    Ok(out.and_then(|o| o.user().cloned()))
}

async fn user_tags(_inner: &Inner, _what: &str, u: &aws_sdk_iam::types::User) -> Result<Vec<Tag>, ProviderError> {
    Ok(u.tags().to_vec())
}

async fn read_user(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{IAM_USER} {name}");
    let Some(u) = get_user(inner, &what, name).await? else { return Ok(None) };
    let tags = user_tags(inner, &what, &u).await?;
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(u.user_name()));
    m.insert("name".into(), Value::string(u.user_name()));
    m.insert("path".into(), Value::string(u.path()));
    m.insert("force_destroy".into(), get(shape, "force_destroy").cloned().unwrap_or(Value::Null));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    m.insert("arn".into(), Value::string(u.arn()));
    m.insert("unique_id".into(), Value::string(u.user_id()));
    Ok(Some(complete(block(IAM_USER)?, m)))
}

async fn create_user(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = get_str(planned, "name").ok_or_else(|| ProviderError::Invalid(format!("{what}: name is not known")))?;
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    let sent = inner
        .iam
        .create_user()
        .user_name(name)
        .path(get_str(planned, "path").unwrap_or("/"))
        .set_tags(Some(iam_tags(what, &tags)?))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    match sent {
        Ok(_) => kill_hook(ctx),
        Err(e) if already_exists(&e) => {
            let u = get_user(inner, what, name).await?.ok_or_else(|| vanished(what, name))?;
            let tags = user_tags(inner, what, &u).await?;
            adopt_or_refuse(what, "user", name, &tags, ctx)?;
        }
        Err(e) => return Err(e),
    }
    read_user(inner, name, planned).await?.ok_or_else(|| vanished(what, name))
}

async fn update_user(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let old = get_str(prior, "id").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no user name in state")))?;
    let name = get_str(planned, "name").ok_or_else(|| ProviderError::Invalid(format!("{addr}: name is not known")))?;
    let new_path = get_str(planned, "path").unwrap_or("/");
    if old != name || get_str(prior, "path").unwrap_or("/") != new_path {
        inner
            .iam
            .update_user()
            .user_name(old)
            .set_new_user_name((old != name).then(|| name.to_string()))
            .new_path(new_path)
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
    }
    let live = get_user(inner, addr, name).await?.ok_or_else(|| disappeared(addr, name))?;
    let (remove, set) = tag_delta(inner, &user_tags(inner, addr, &live).await?, planned);
    if !remove.is_empty() {
        inner.iam.untag_user().user_name(name).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(addr, e))?;
    }
    if !set.is_empty() {
        inner.iam.tag_user().user_name(name).set_tags(Some(iam_tags(addr, &set)?)).send().await.map_err(|e| api_err(addr, e))?;
    }
    read_user(inner, name, planned).await?.ok_or_else(|| disappeared(addr, name))
}

/// What `force_destroy` removes first: access keys, login profile, policies, group memberships.
async fn strip_user(inner: &Inner, addr: &str, name: &str) -> Result<(), ProviderError> {
    let keys = inner.iam.list_access_keys().user_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    for k in keys.map_err(|e| api_err(addr, e))? {
        if let Some(id) = k.access_key_id() {
            gone_is_ok(inner.iam.delete_access_key().user_name(name).access_key_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
        }
    }
    gone_is_ok(inner.iam.delete_login_profile().user_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
    let attached = inner.iam.list_attached_user_policies().user_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    for p in attached.map_err(|e| api_err(addr, e))? {
        if let Some(arn) = p.policy_arn() {
            gone_is_ok(inner.iam.detach_user_policy().user_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
        }
    }
    let inline = inner.iam.list_user_policies().user_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    for p in inline.map_err(|e| api_err(addr, e))? {
        gone_is_ok(inner.iam.delete_user_policy().user_name(name).policy_name(p).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
    }
    let groups = inner.iam.list_groups_for_user().user_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    for g in groups.map_err(|e| api_err(addr, e))? {
        gone_is_ok(inner.iam.remove_user_from_group().user_name(name).group_name(g.group_name()).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))?;
    }
    Ok(())
}

async fn delete_user(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id") else { return Ok(()) };
    if get_bool(prior, "force_destroy") == Some(true) {
        match strip_user(inner, addr, name).await {
            Err(e) if is_gone(&e) => return Ok(()),
            other => other?,
        }
    }
    match gone_is_ok(inner.iam.delete_user().user_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e))) {
        Err(e) if is_code(&e, "DeleteConflict") => {
            Err(with_hint(e, "the user still has access keys, a login profile, policies or groups; set force_destroy = true and apply before destroying"))
        }
        other => other,
    }
}

// ------------------------------------------------------------------- dispatch

fn name_of(v: &Value) -> Option<&str> {
    get_str(v, "id").or_else(|| get_str(v, "name"))
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    match ty {
        IAM_ROLE => match name_of(state) {
            Some(n) => read_role(inner, n, state).await,
            None => Ok(None),
        },
        IAM_INSTANCE_PROFILE => match name_of(state) {
            Some(n) => read_profile(inner, n, state).await,
            None => Ok(None),
        },
        IAM_ROLE_POLICY_ATTACHMENT => match (get_str(state, "role"), get_str(state, "policy_arn")) {
            (Some(r), Some(p)) => read_attachment(inner, r, p).await,
            _ => Ok(None),
        },
        IAM_USER => match name_of(state) {
            Some(n) => read_user(inner, n, state).await,
            None => Ok(None),
        },
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    match ty {
        IAM_ROLE => create_role(inner, planned, ctx).await,
        IAM_INSTANCE_PROFILE => create_profile(inner, planned, ctx).await,
        IAM_ROLE_POLICY_ATTACHMENT => {
            let addr = ctx.address.to_string();
            let (role, arn) = attachment_key(&addr, planned)?;
            inner.iam.attach_role_policy().role_name(role).policy_arn(arn).send().await.map_err(|e| api_err(&addr, e))?;
            kill_hook(ctx);
            read_attachment(inner, role, arn).await?.ok_or_else(|| vanished(&addr, &format!("{role}/{arn}")))
        }
        IAM_USER => create_user(inner, planned, ctx).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    match ty {
        IAM_ROLE => update_role(inner, addr, prior, planned).await,
        IAM_INSTANCE_PROFILE => update_profile(inner, addr, prior, planned).await,
        IAM_USER => update_user(inner, addr, prior, planned).await,
        // Every argument is force-new.
        IAM_ROLE_POLICY_ATTACHMENT => {
            let (role, arn) = attachment_key(addr, prior)?;
            read_attachment(inner, role, arn).await?.ok_or_else(|| disappeared(addr, &format!("{role}/{arn}")))
        }
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    match ty {
        IAM_ROLE => delete_role(inner, addr, prior).await,
        IAM_INSTANCE_PROFILE => delete_profile(inner, addr, prior).await,
        IAM_ROLE_POLICY_ATTACHMENT => {
            let (Some(role), Some(arn)) = (get_str(prior, "role"), get_str(prior, "policy_arn")) else { return Ok(()) };
            gone_is_ok(inner.iam.detach_role_policy().role_name(role).policy_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)))
        }
        IAM_USER => delete_user(inner, addr, prior).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let empty = Value::map::<&str>([]);
    match ty {
        IAM_ROLE => read_role(inner, id, &empty).await,
        IAM_INSTANCE_PROFILE => read_profile(inner, id, &empty).await,
        IAM_USER => read_user(inner, id, &empty).await,
        IAM_ROLE_POLICY_ATTACHMENT => match id.split_once('/') {
            Some((role, arn)) if arn.starts_with("arn:") => read_attachment(inner, role, arn).await,
            _ => Err(ProviderError::Invalid(format!("{IAM_ROLE_POLICY_ATTACHMENT} import id {id:?} must be ROLE/POLICY_ARN"))),
        },
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}
