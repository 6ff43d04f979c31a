//! KMS (aws-sdk-kms): `aws_kms_key`.
//!
//! Crash safety: `CreateKey` carries the bookkeeping tags
//! (`contin:lineage/address/generation`); before creating, a re-run looks
//! for a key carrying them (`ListKeys` + `ListResourceTags`, at most
//! `MAX_ADOPTION_SCAN` keys) that is not pending deletion and adopts it.
//! A key scheduled for deletion reads as gone (Terraform's rule); delete
//! schedules the deletion after `deletion_window_in_days` (default 30).
//! The key policy is read back in the configuration's spelling when it is
//! the same JSON document.

use crate::util::*;
use crate::Inner;
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, OpContext, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const KMS_KEY: &str = "aws_kms_key";

/// At most this many keys are inspected when adopting after a crash.
const MAX_ADOPTION_SCAN: usize = 2000;
/// KMS's pending-deletion window: 7 to 30 days.
const DELETION_WINDOW: std::ops::RangeInclusive<i64> = 7..=30;
const DEFAULT_DELETION_WINDOW: i32 = 30;
/// Automatic rotation period: 90 to 2560 days.
const ROTATION_PERIOD: std::ops::RangeInclusive<i64> = 90..=2560;

const KEY_USAGES: &[&str] = &["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"];
const KEY_SPECS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
];

pub fn schema() -> BlockSchema {
    let s = || T::String;
    BlockSchema::default()
        .attr("description", A::optional_computed(s()))
        .attr("key_usage", A::optional_computed(s()).force_new().describe("ENCRYPT_DECRYPT (the default), SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT"))
        .attr("customer_master_key_spec", A::optional_computed(s()).force_new().describe("SYMMETRIC_DEFAULT (the default) or an asymmetric/HMAC spec"))
        .attr("custom_key_store_id", A::optional(s()).force_new())
        .attr("xks_key_id", A::optional(s()).force_new())
        .attr("policy", A::optional_computed(s()).describe("key policy JSON; default: KMS's default policy"))
        .attr("bypass_policy_lockout_safety_check", A::optional(T::Bool))
        .attr("deletion_window_in_days", A::optional(T::Number).describe("7 to 30 (default 30): days before a destroyed key is deleted"))
        .attr("is_enabled", A::optional_computed(T::Bool).describe("default true"))
        .attr("enable_key_rotation", A::optional_computed(T::Bool).describe("default false"))
        .attr("rotation_period_in_days", A::optional_computed(T::Number).describe("90 to 2560 (default 365)"))
        .attr("multi_region", A::optional_computed(T::Bool).force_new())
        .attr("tags", A::optional(T::Map(Box::new(s()))))
        .attr("arn", A::computed(s()))
        .attr("key_id", A::computed(s()))
        .attr("id", A::computed(s()))
}

pub fn register(p: &mut ProviderSchema) {
    p.resources.insert(KMS_KEY.into(), schema());
}

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if ty != KMS_KEY {
        return;
    }
    crate::s3sub::check_enum(d, cfg, "", "key_usage", KEY_USAGES);
    crate::s3sub::check_enum(d, cfg, "", "customer_master_key_spec", KEY_SPECS);
    if let Some(n) = get_i64(cfg, "deletion_window_in_days") {
        if !DELETION_WINDOW.contains(&n) {
            d.push(Diagnostic::error(format!("deletion_window_in_days: {n} is not between 7 and 30")));
        }
    }
    if let Some(n) = get_i64(cfg, "rotation_period_in_days") {
        if !ROTATION_PERIOD.contains(&n) {
            d.push(Diagnostic::error(format!("rotation_period_in_days: {n} is not between 90 and 2560")));
        }
    }
    if let Some(p) = get_str(cfg, "policy") {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(p) {
            d.push(Diagnostic::error(format!("policy: not a JSON document: {e}")));
        }
    }
    if let Some(Value::Map(tags)) = get(cfg, "tags") {
        if let Some(k) = tags.keys().find(|k| k.starts_with("contin:") || k.starts_with("aws:")) {
            d.push(Diagnostic::error(format!("tags: key {k:?} uses a reserved prefix (contin:, aws:)")));
        }
    }
}

fn gone(e: &ProviderError) -> bool {
    is_code(e, "NotFoundException")
}

fn as_ec2_tags(tags: &[Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter().map(|t| aws_sdk_ec2::types::Tag::builder().key(t.tag_key()).value(t.tag_value()).build()).collect()
}

async fn live_tags(inner: &Inner, what: &str, key_id: &str) -> Result<Vec<Tag>, ProviderError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = inner.kms.list_resource_tags().key_id(key_id).set_marker(marker.clone()).send().await.map_err(|e| api_err(what, e))?;
        out.extend(page.tags().iter().cloned());
        marker = page.next_marker().filter(|_| page.truncated()).map(String::from);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

async fn read_key(inner: &Inner, key_id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{KMS_KEY} {key_id}");
    let out = match inner.kms.describe_key().key_id(key_id).send().await.map_err(|e| api_err(&what, e)) {
        Ok(o) => o,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(meta) = out.key_metadata() else { return Ok(None) };
    if matches!(meta.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
        return Ok(None);
    }
    let id = meta.key_id().to_string();
    let policy = inner.kms.get_key_policy().key_id(&id).policy_name("default").send().await.map_err(|e| api_err(&what, e))?;
    let policy = policy.policy().map(|p| crate::s3sub::same_json(p, get_str(shape, "policy")));
    // Rotation applies to symmetric keys only: asymmetric keys report an error.
    let symmetric = meta.key_spec().is_none_or(|s| *s == KeySpec::SymmetricDefault);
    let (rotation, period) = if symmetric && meta.custom_key_store_id().is_none() {
        let r = inner.kms.get_key_rotation_status().key_id(&id).send().await.map_err(|e| api_err(&what, e))?;
        (r.key_rotation_enabled(), r.rotation_period_in_days())
    } else {
        (false, None)
    };
    let tags = live_tags(inner, &what, &id).await?;
    let ec2_tags = as_ec2_tags(&tags);
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id.as_str()));
    m.insert("key_id".into(), Value::string(id.as_str()));
    m.insert("arn".into(), opt_string(meta.arn()));
    m.insert("description".into(), Value::string(meta.description().unwrap_or_default()));
    // KMS always reports the usage; an emulator may not (moto): the default then.
    m.insert("key_usage".into(), Value::string(meta.key_usage().map_or("ENCRYPT_DECRYPT", KeyUsageType::as_str)));
    m.insert("customer_master_key_spec".into(), opt_string(meta.key_spec().map(KeySpec::as_str)));
    m.insert("custom_key_store_id".into(), opt_string(meta.custom_key_store_id()));
    m.insert("xks_key_id".into(), opt_string(meta.xks_key_configuration().and_then(|x| x.id())));
    m.insert("policy".into(), opt_string(policy.as_deref()));
    m.insert("is_enabled".into(), Value::Bool(meta.enabled()));
    m.insert("enable_key_rotation".into(), Value::Bool(rotation));
    m.insert("rotation_period_in_days".into(), period.map_or(Value::Null, |p| Value::int(i64::from(p))));
    m.insert("multi_region".into(), Value::Bool(meta.multi_region().unwrap_or(false)));
    // Configuration only: what destroy and create do.
    for k in ["deletion_window_in_days", "bypass_policy_lockout_safety_check"] {
        m.insert(k.into(), get(shape, k).cloned().unwrap_or(Value::Null));
    }
    m.insert("tags".into(), tags_value(&ec2_tags, &inner.default_tags, shape));
    Ok(Some(complete(&schema(), m)))
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    match get_str(state, "id").or_else(|| get_str(state, "key_id")) {
        Some(id) => read_key(inner, id, state).await,
        None => Ok(None),
    }
}

/// The live key carrying `ctx`'s bookkeeping tags (not pending deletion).
async fn adoptable(inner: &Inner, what: &str, ctx: &OpContext) -> Result<Option<String>, ProviderError> {
    let want = bookkeeping_tags(ctx);
    let mut marker: Option<String> = None;
    let mut seen = 0usize;
    loop {
        let page = inner.kms.list_keys().set_marker(marker.clone()).send().await.map_err(|e| api_err(what, e))?;
        for k in page.keys() {
            let Some(id) = k.key_id() else { continue };
            seen += 1;
            let tags = match live_tags(inner, what, id).await {
                Ok(t) => t,
                Err(e) if gone(&e) => continue,
                Err(e) => return Err(e),
            };
            let has = |key: &str, val: &str| tags.iter().any(|t| t.tag_key() == key && t.tag_value() == val);
            if want.iter().all(|(k, v)| has(k, v)) {
                let meta = inner.kms.describe_key().key_id(id).send().await.map_err(|e| api_err(what, e))?;
                let pending = meta.key_metadata().and_then(|m| m.key_state()).is_some_and(|s| matches!(s, KeyState::PendingDeletion));
                if !pending {
                    return Ok(Some(id.to_string()));
                }
            }
            if seen >= MAX_ADOPTION_SCAN {
                return Ok(None);
            }
        }
        marker = page.next_marker().filter(|_| page.truncated()).map(String::from);
        if marker.is_none() {
            return Ok(None);
        }
    }
}

fn kms_tags(what: &str, tags: impl IntoIterator<Item = (String, String)>) -> Result<Vec<Tag>, ProviderError> {
    tags.into_iter().map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().map_err(|e| ProviderError::Failed(format!("{what}: {e}")))).collect()
}

pub(crate) async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let id = match adoptable(inner, &what, ctx).await? {
        Some(id) => id,
        None => {
            let tags = kms_tags(&what, effective_tags(&inner.default_tags, planned).into_iter().chain(bookkeeping_tags(ctx)))?;
            let out = inner
                .kms
                .create_key()
                .set_description(get_str(planned, "description").map(String::from))
                .set_key_usage(get_str(planned, "key_usage").map(KeyUsageType::from))
                .set_key_spec(get_str(planned, "customer_master_key_spec").map(KeySpec::from))
                .set_custom_key_store_id(get_str(planned, "custom_key_store_id").map(String::from))
                .set_xks_key_id(get_str(planned, "xks_key_id").map(String::from))
                .set_policy(get_str(planned, "policy").map(String::from))
                .set_bypass_policy_lockout_safety_check(get_bool(planned, "bypass_policy_lockout_safety_check"))
                .set_multi_region(get_bool(planned, "multi_region"))
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            out.key_metadata().map(|m| m.key_id().to_string()).ok_or_else(|| ProviderError::Failed(format!("{what}: CreateKey returned no key id")))?
        }
    };
    let prior = Value::map([("is_enabled", Value::Bool(true)), ("enable_key_rotation", Value::Bool(false))]);
    converge(inner, &what, &id, &prior, planned).await?;
    read_key(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))
}

/// Settings made by calls other than `CreateKey`: rotation, enabled state
/// (and on update: description, policy, tags).
async fn converge(inner: &Inner, what: &str, id: &str, prior: &Value, planned: &Value) -> Result<(), ProviderError> {
    let rot = get_bool(planned, "enable_key_rotation");
    let period = get_i64(planned, "rotation_period_in_days").and_then(|p| i32::try_from(p).ok());
    if rot.is_some_and(|r| Some(r) != get_bool(prior, "enable_key_rotation")) || (rot == Some(true) && period.is_some() && get_i64(prior, "rotation_period_in_days") != period.map(i64::from)) {
        if rot == Some(true) {
            inner.kms.enable_key_rotation().key_id(id).set_rotation_period_in_days(period).send().await.map_err(|e| api_err(what, e))?;
        } else {
            inner.kms.disable_key_rotation().key_id(id).send().await.map_err(|e| api_err(what, e))?;
        }
    }
    if let Some(en) = get_bool(planned, "is_enabled").filter(|en| Some(*en) != get_bool(prior, "is_enabled")) {
        if en {
            inner.kms.enable_key().key_id(id).send().await.map_err(|e| api_err(what, e))?;
        } else {
            inner.kms.disable_key().key_id(id).send().await.map_err(|e| api_err(what, e))?;
        }
    }
    Ok(())
}

pub(crate) async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = get_str(prior, "id").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no key id in state")))?;
    if get_str(prior, "description") != get_str(planned, "description") {
        inner.kms.update_key_description().key_id(id).description(get_str(planned, "description").unwrap_or_default()).send().await.map_err(|e| api_err(addr, e))?;
    }
    if let Some(p) = get_str(planned, "policy").filter(|p| Some(*p) != get_str(prior, "policy")) {
        inner
            .kms
            .put_key_policy()
            .key_id(id)
            .policy_name("default")
            .policy(p)
            .set_bypass_policy_lockout_safety_check(get_bool(planned, "bypass_policy_lockout_safety_check"))
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
    }
    converge(inner, addr, id, prior, planned).await?;
    let want = effective_tags(&inner.default_tags, planned);
    let have: BTreeMap<String, String> = tag_map(&as_ec2_tags(&live_tags(inner, addr, id).await?)).into_iter().filter(|(k, _)| !k.starts_with("contin:")).collect();
    let gone_keys: Vec<String> = have.keys().filter(|k| !want.contains_key(*k)).cloned().collect();
    if !gone_keys.is_empty() {
        inner.kms.untag_resource().key_id(id).set_tag_keys(Some(gone_keys)).send().await.map_err(|e| api_err(addr, e))?;
    }
    let changed: Vec<(String, String)> = want.into_iter().filter(|(k, v)| have.get(k) != Some(v)).collect();
    if !changed.is_empty() {
        inner.kms.tag_resource().key_id(id).set_tags(Some(kms_tags(addr, changed)?)).send().await.map_err(|e| api_err(addr, e))?;
    }
    read_key(inner, id, planned).await?.ok_or_else(|| ProviderError::Api { code: "NotFoundException".into(), message: format!("{addr}: the key disappeared during the update") })
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    let window = get_i64(prior, "deletion_window_in_days").and_then(|d| i32::try_from(d).ok()).unwrap_or(DEFAULT_DELETION_WINDOW);
    match inner.kms.schedule_key_deletion().key_id(id).pending_window_in_days(window).send().await.map_err(|e| api_err(addr, e)) {
        Ok(_) => Ok(()),
        Err(e) if gone(&e) => Ok(()),
        // Already scheduled: KMS says the state is wrong for the call.
        Err(e) if is_code(&e, "KMSInvalidStateException") => Ok(()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_key(inner, id, &Value::Null).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_bounds_windows_and_names_the_argument() {
        let mut d = Diagnostics::new();
        let cfg = Value::map([
            ("deletion_window_in_days", Value::int(3)),
            ("rotation_period_in_days", Value::int(10)),
            ("key_usage", Value::string("ENCRYPT")),
            ("policy", Value::string("not json")),
        ]);
        validate(KMS_KEY, &cfg, &mut d);
        let text: Vec<String> = d.iter().map(|x| x.summary.clone()).collect();
        assert_eq!(text.len(), 4, "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("deletion_window_in_days: 3")));
        let mut ok = Diagnostics::new();
        validate(KMS_KEY, &Value::map([("deletion_window_in_days", Value::int(7)), ("description", Value::string("x"))]), &mut ok);
        assert!(ok.is_empty());
    }
}
