//! S3: `aws_s3_bucket`, `aws_s3_bucket_versioning`,
//! `aws_s3_bucket_public_access_block` and `aws_s3_object` (aws-sdk-s3).
//!
//! Crash safety: a bucket's name is known before it is created (configured,
//! or derived from the create's lineage/address/generation), and the bucket
//! carries the bookkeeping tags; a re-run finds it by name and adopts it when
//! the tags say it was made for this create (or, for a derived name, when it
//! has no tags yet: the crash hit between CreateBucket and PutBucketTagging).
//! Versioning, public access blocks and objects are idempotent puts.

use crate::schema::{self, PUBLIC_ACCESS_FLAGS};
use crate::util::*;
use crate::Inner;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, PublicAccessBlockConfiguration, Tagging,
    VersioningConfiguration,
};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

/// Largest `source` file uploaded (one PutObject, held in memory).
pub(crate) const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

/// Error codes meaning "no such bucket / object / sub-configuration".
fn is_gone(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Api { code, .. } if matches!(code.as_str(),
        "NotFound" | "NoSuchBucket" | "NoSuchKey" | "NoSuchTagSet" | "NoSuchTagSetError" | "NoSuchPublicAccessBlockConfiguration"))
}

fn gone_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn bucket_of<'a>(addr: &str, v: &'a Value) -> Result<&'a str, ProviderError> {
    get_str(v, "bucket").ok_or_else(|| ProviderError::Invalid(format!("{addr}: bucket is not known")))
}

/// S3 tags as EC2-style tags (to share `tags_value`).
fn as_ec2_tags(tags: &[aws_sdk_s3::types::Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter().map(|t| aws_sdk_ec2::types::Tag::builder().key(t.key()).value(t.value()).build()).collect()
}

fn s3_tags(what: &str, tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_s3::types::Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_s3::types::Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::Failed(format!("{what}: tag {k:?}: {e}")))
        })
        .collect()
}

async fn bucket_tags(inner: &Inner, what: &str, bucket: &str) -> Result<Vec<aws_sdk_s3::types::Tag>, ProviderError> {
    match gone_is_none(inner.s3.get_bucket_tagging().bucket(bucket).send().await.map_err(|e| api_err(what, e)))? {
        Some(o) => Ok(o.tag_set().to_vec()),
        None => Ok(Vec::new()),
    }
}

/// The name a create uses: `bucket`, else `bucket_prefix` (or "contin-")
/// followed by 26 characters derived from the create's identity.
pub(crate) fn bucket_name(planned: &Value, ctx: &OpContext) -> (String, bool) {
    if let Some(b) = get_str(planned, "bucket") {
        return (b.to_string(), false);
    }
    let prefix = get_str(planned, "bucket_prefix").unwrap_or("contin-");
    (format!("{prefix}{}", &client_token(ctx)[..26]), true)
}

async fn read_bucket(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{} {name}", schema::S3_BUCKET);
    let what = what.as_str();
    if gone_is_none(inner.s3.head_bucket().bucket(name).send().await.map_err(|e| api_err(what, e)))?.is_none() {
        return Ok(None);
    }
    let Some(loc) = gone_is_none(inner.s3.get_bucket_location().bucket(name).send().await.map_err(|e| api_err(what, e)))? else {
        return Ok(None);
    };
    let region = match loc.location_constraint().map(BucketLocationConstraint::as_str) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    };
    let tags = bucket_tags(inner, what, name).await?;
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(name));
    m.insert("bucket".into(), Value::string(name));
    m.insert("bucket_prefix".into(), get(shape, "bucket_prefix").cloned().unwrap_or(Value::Null));
    // State only: what destroy does.
    m.insert("force_destroy".into(), get(shape, "force_destroy").cloned().unwrap_or(Value::Null));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    m.insert("arn".into(), Value::String(format!("arn:aws:s3:::{name}")));
    m.insert("bucket_domain_name".into(), Value::String(format!("{name}.s3.amazonaws.com")));
    m.insert("bucket_regional_domain_name".into(), Value::String(format!("{name}.s3.{region}.amazonaws.com")));
    let lock = inner.s3.get_object_lock_configuration().bucket(name).send().await;
    let lock_enabled = match lock {
        Ok(o) => o.object_lock_configuration().and_then(|c| c.object_lock_enabled()).is_some_and(|e| e.as_str() == "Enabled"),
        Err(e) => {
            let e = api_err(what, e);
            match &e {
                ProviderError::Api { code, .. } if code == "ObjectLockConfigurationNotFoundError" => false,
                _ if is_gone(&e) => return Ok(None),
                _ => return Err(e),
            }
        }
    };
    m.insert("object_lock_enabled".into(), Value::Bool(lock_enabled));
    // S3 does not report the namespace: the configured one (set at create) stands.
    m.insert("bucket_namespace".into(), Value::string(get_str(shape, "bucket_namespace").unwrap_or("global")));
    m.insert("hosted_zone_id".into(), website_hosted_zone(&region).map_or(Value::Null, Value::string));
    m.insert("bucket_region".into(), Value::String(region.clone()));
    m.insert("region".into(), Value::String(region));
    Ok(Some(complete(&schema::s3_bucket(), m)))
}

/// The Route 53 hosted zone of each region's S3 website endpoint (AWS's
/// published table, as Terraform's provider keeps it).
fn website_hosted_zone(region: &str) -> Option<&'static str> {
    Some(match region {
        "us-east-1" => "Z3AQBSTGFYJSTF",
        "us-east-2" => "Z2O1EMRO9K5GLX",
        "us-west-1" => "Z2F56UZL2M1ACD",
        "us-west-2" => "Z3BJ6K6RIION7M",
        "ca-central-1" => "Z1QDHH18159H29",
        "eu-west-1" => "Z1BKCTXD74EZPE",
        "eu-west-2" => "Z3GKZC51ZF0DB4",
        "eu-west-3" => "Z3R1K369G5AVDG",
        "eu-central-1" => "Z21DNDUVLTQW6Q",
        "eu-north-1" => "Z3BAZG2TWCNX0D",
        "ap-south-1" => "Z11RGJOFQNVJUP",
        "ap-northeast-1" => "Z2M4EHUR26P7ZW",
        "ap-northeast-2" => "Z3W03O7B5YMIYP",
        "ap-northeast-3" => "Z2YQB5RD63NC85",
        "ap-southeast-1" => "Z3O0J2DXBE1FTB",
        "ap-southeast-2" => "Z1WCIGYICN2BYD",
        "sa-east-1" => "Z7KQH4QJS55SO",
        _ => return None,
    })
}

/// Sets the bucket's tags to the effective tags of `planned` plus the bookkeeping tags it carries (or `ctx`'s).
async fn put_bucket_tags(inner: &Inner, what: &str, bucket: &str, planned: &Value, ctx: Option<&OpContext>) -> Result<(), ProviderError> {
    let mut want = effective_tags(&inner.default_tags, planned);
    match ctx {
        Some(ctx) => want.extend(bookkeeping_tags(ctx)),
        None => {
            let current = bucket_tags(inner, what, bucket).await?;
            want.extend(current.iter().filter(|t| t.key().starts_with("contin:")).map(|t| (t.key().to_string(), t.value().to_string())));
        }
    }
    if want.is_empty() {
        inner.s3.delete_bucket_tagging().bucket(bucket).send().await.map_err(|e| api_err(what, e))?;
        return Ok(());
    }
    let tagging = Tagging::builder().set_tag_set(Some(s3_tags(what, &want)?)).build().map_err(|e| ProviderError::Failed(format!("{what}: {e}")))?;
    inner.s3.put_bucket_tagging().bucket(bucket).tagging(tagging).send().await.map_err(|e| api_err(what, e))?;
    Ok(())
}

async fn create_bucket(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let (name, derived) = bucket_name(planned, ctx);
    let exists = gone_is_none(inner.s3.head_bucket().bucket(&name).send().await.map_err(|e| api_err(what, e)))?.is_some();
    if exists {
        let tags = crate::util::tag_map(&as_ec2_tags(&bucket_tags(inner, what, &name).await?));
        let ours = bookkeeping_tags(ctx).iter().all(|(k, v)| tags.get(k) == Some(v));
        let untagged_derived = derived && !tags.keys().any(|k| k.starts_with("contin:"));
        if !(ours || untagged_derived) {
            return Err(ProviderError::Api {
                code: "BucketAlreadyOwnedByYou".into(),
                message: format!("{what}: bucket {name:?} already exists and was not created by this resource; import it or choose another name"),
            });
        }
    } else {
        let mut req = inner
            .s3
            .create_bucket()
            .bucket(&name)
            .set_object_lock_enabled_for_bucket(get_bool(planned, "object_lock_enabled").filter(|b| *b))
            .set_bucket_namespace(get_str(planned, "bucket_namespace").filter(|n| *n != "global").map(aws_sdk_s3::types::BucketNamespace::from));
        if inner.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(inner.region.as_str())).build(),
            );
        }
        req.send().await.map_err(|e| api_err(what, e))?;
    }
    put_bucket_tags(inner, what, &name, planned, Some(ctx)).await?;
    kill_hook(ctx);
    read_bucket(inner, &name, planned).await?.ok_or_else(|| vanished(what, &name))
}

/// Deletes every object version and delete marker (force_destroy), page by page.
async fn empty_bucket(inner: &Inner, what: &str, bucket: &str) -> Result<(), ProviderError> {
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let out = inner
            .s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        let mut items: Vec<(String, Option<String>)> = Vec::new();
        items.extend(out.versions().iter().filter_map(|v| Some((v.key()?.to_string(), v.version_id().map(String::from)))));
        items.extend(out.delete_markers().iter().filter_map(|v| Some((v.key()?.to_string(), v.version_id().map(String::from)))));
        for (key, version) in items {
            let version = version.filter(|v| v != "null");
            match inner.s3.delete_object().bucket(bucket).key(&key).set_version_id(version).send().await.map_err(|e| api_err(what, e)) {
                Ok(_) => {}
                Err(e) if is_gone(&e) => {}
                Err(e) => return Err(e),
            }
        }
        if out.is_truncated() != Some(true) {
            return Ok(());
        }
        key_marker = out.next_key_marker().map(String::from);
        version_marker = out.next_version_id_marker().map(String::from);
        if key_marker.is_none() {
            return Ok(());
        }
    }
}

async fn delete_bucket(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id").or_else(|| get_str(prior, "bucket")) else { return Ok(()) };
    if get_bool(prior, "force_destroy") == Some(true) {
        match empty_bucket(inner, addr, name).await {
            Err(e) if is_gone(&e) => return Ok(()),
            other => other?,
        }
    }
    match inner.s3.delete_bucket().bucket(name).send().await.map_err(|e| api_err(addr, e)) {
        Ok(_) => Ok(()),
        Err(e) if is_gone(&e) => Ok(()),
        Err(ProviderError::Api { code, message }) if code == "BucketNotEmpty" => Err(ProviderError::Api {
            code,
            message: format!("{message} (set force_destroy = true and apply before destroying to delete its objects)"),
        }),
        Err(e) => Err(e),
    }
}

fn status_value(s: Option<&BucketVersioningStatus>) -> &'static str {
    match s {
        Some(BucketVersioningStatus::Enabled) => "Enabled",
        Some(BucketVersioningStatus::Suspended) => "Suspended",
        _ => "Disabled",
    }
}

fn versioning_status(v: &Value) -> Option<String> {
    get_blocks(v, "versioning_configuration").first().and_then(|c| get_str(c, "status")).map(String::from)
}

async fn read_versioning(inner: &Inner, bucket: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{} {bucket}", schema::S3_BUCKET_VERSIONING);
    let Some(out) = gone_is_none(inner.s3.get_bucket_versioning().bucket(bucket).set_expected_bucket_owner(get_str(shape, "expected_bucket_owner").map(String::from)).send().await.map_err(|e| api_err(&what, e)))? else {
        return Ok(None);
    };
    let status = status_value(out.status());
    let mfa_delete = match out.mfa_delete().map(|m| m.as_str()) {
        Some("Enabled") => "Enabled",
        _ => "Disabled",
    };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(bucket));
    m.insert("bucket".into(), Value::string(bucket));
    m.insert("expected_bucket_owner".into(), get(shape, "expected_bucket_owner").cloned().unwrap_or(Value::Null));
    // The MFA code is sent once and never read back.
    m.insert("mfa".into(), get(shape, "mfa").cloned().unwrap_or(Value::Null));
    m.insert("versioning_configuration".into(), Value::List(vec![Value::map([("status", Value::string(status)), ("mfa_delete", Value::string(mfa_delete))])]));
    Ok(Some(complete(&schema::s3_bucket_versioning(), m)))
}

async fn put_versioning(inner: &Inner, what: &str, bucket: &str, status: &str, planned: &Value) -> Result<(), ProviderError> {
    let status = match status {
        "Enabled" => BucketVersioningStatus::Enabled,
        "Suspended" => BucketVersioningStatus::Suspended,
        // Versioning cannot be turned off once on; "Disabled" only describes a bucket that never had it.
        _ => return Ok(()),
    };
    let mfa_delete = get_blocks(planned, "versioning_configuration").first().and_then(|c| get_str(c, "mfa_delete")).map(|m| match m {
        "Enabled" => aws_sdk_s3::types::MfaDelete::Enabled,
        _ => aws_sdk_s3::types::MfaDelete::Disabled,
    });
    inner
        .s3
        .put_bucket_versioning()
        .bucket(bucket)
        .set_expected_bucket_owner(get_str(planned, "expected_bucket_owner").map(String::from))
        .set_mfa(get_str(planned, "mfa").map(String::from))
        .versioning_configuration(VersioningConfiguration::builder().status(status).set_mfa_delete(mfa_delete).build())
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(())
}

async fn read_public_access_block(inner: &Inner, bucket: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{} {bucket}", schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK);
    let Some(out) = gone_is_none(inner.s3.get_public_access_block().bucket(bucket).send().await.map_err(|e| api_err(&what, e)))? else {
        return Ok(None);
    };
    let c = out.public_access_block_configuration();
    let flags = [
        c.and_then(|c| c.block_public_acls()),
        c.and_then(|c| c.block_public_policy()),
        c.and_then(|c| c.ignore_public_acls()),
        c.and_then(|c| c.restrict_public_buckets()),
    ];
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(bucket));
    m.insert("bucket".into(), Value::string(bucket));
    for (name, f) in PUBLIC_ACCESS_FLAGS.iter().zip(flags) {
        m.insert(name.to_string(), Value::Bool(f.unwrap_or(false)));
    }
    m.insert("skip_destroy".into(), get(shape, "skip_destroy").cloned().unwrap_or(Value::Null));
    Ok(Some(complete(&schema::s3_bucket_public_access_block(), m)))
}

async fn put_public_access_block(inner: &Inner, what: &str, bucket: &str, planned: &Value) -> Result<(), ProviderError> {
    let f = |n: &str| get_bool(planned, n).unwrap_or(false);
    let conf = PublicAccessBlockConfiguration::builder()
        .block_public_acls(f("block_public_acls"))
        .block_public_policy(f("block_public_policy"))
        .ignore_public_acls(f("ignore_public_acls"))
        .restrict_public_buckets(f("restrict_public_buckets"))
        .build();
    inner.s3.put_public_access_block().bucket(bucket).public_access_block_configuration(conf).send().await.map_err(|e| api_err(what, e))?;
    Ok(())
}

/// Percent-encodes a tag key or value for the `x-amz-tagging` header.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn tagging_header(tags: &BTreeMap<String, String>) -> Option<String> {
    if tags.is_empty() {
        return None;
    }
    Some(tags.iter().map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v))).collect::<Vec<_>>().join("&"))
}

/// The provider's default tags as an object sees them: an
/// `override_provider { default_tags { tags = … } }` block replaces them.
fn object_defaults(inner: &Inner, v: &Value) -> BTreeMap<String, String> {
    match get_blocks(v, "override_provider").first().and_then(|o| get_blocks(o, "default_tags").first().copied()) {
        Some(d) => str_map(get(d, "tags")),
        None => inner.default_tags.clone(),
    }
}

/// The `aws_s3_object` arguments that are part of the object (a change
/// uploads it again).
pub(crate) const OBJECT_BODY_ATTRS: [&str; 20] = [
    "content", "content_base64", "source", "source_hash", "content_type", "cache_control", "content_disposition", "content_encoding", "content_language",
    "website_redirect", "metadata", "acl", "storage_class", "server_side_encryption", "kms_key_id", "bucket_key_enabled", "object_lock_legal_hold_status",
    "object_lock_mode", "object_lock_retain_until_date", "etag",
];

async fn object_body(what: &str, planned: &Value) -> Result<Vec<u8>, ProviderError> {
    if let Some(b64) = get_str(planned, "content_base64") {
        return contin_types::base64::decode(b64.trim()).ok_or_else(|| ProviderError::Invalid(format!("{what}: content_base64 is not valid base64")));
    }
    if let Some(path) = get_str(planned, "source") {
        let meta = tokio::fs::metadata(path).await.map_err(|e| ProviderError::Invalid(format!("{what}: source {path:?}: {e}")))?;
        if meta.len() > MAX_SOURCE_BYTES {
            return Err(ProviderError::Invalid(format!(
                "{what}: source {path:?} is {} bytes; the limit is {MAX_SOURCE_BYTES} bytes (one PutObject)",
                meta.len()
            )));
        }
        return tokio::fs::read(path).await.map_err(|e| ProviderError::Invalid(format!("{what}: source {path:?}: {e}")));
    }
    Ok(get_str(planned, "content").unwrap_or("").as_bytes().to_vec())
}

async fn put_object(inner: &Inner, what: &str, planned: &Value) -> Result<(), ProviderError> {
    let bucket = bucket_of(what, planned)?;
    let key = get_str(planned, "key").ok_or_else(|| ProviderError::Invalid(format!("{what}: key is not known")))?;
    let body = object_body(what, planned).await?;
    inner
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .set_content_type(get_str(planned, "content_type").map(String::from))
        .set_cache_control(get_str(planned, "cache_control").map(String::from))
        .set_content_disposition(get_str(planned, "content_disposition").map(String::from))
        .set_content_encoding(get_str(planned, "content_encoding").map(String::from))
        .set_content_language(get_str(planned, "content_language").map(String::from))
        .set_website_redirect_location(get_str(planned, "website_redirect").map(String::from))
        .set_metadata(get(planned, "metadata").and_then(|m| match m {
            Value::Map(m) => Some(m.iter().filter_map(|(k, v)| match v.unmarked() { Value::String(s) => Some((k.clone(), s.clone())), _ => None }).collect()),
            _ => None,
        }))
        .set_acl(get_str(planned, "acl").map(aws_sdk_s3::types::ObjectCannedAcl::from))
        .set_storage_class(get_str(planned, "storage_class").map(aws_sdk_s3::types::StorageClass::from))
        .set_server_side_encryption(get_str(planned, "server_side_encryption").map(aws_sdk_s3::types::ServerSideEncryption::from))
        .set_ssekms_key_id(get_str(planned, "kms_key_id").map(String::from))
        .set_bucket_key_enabled(get_bool(planned, "bucket_key_enabled"))
        .set_object_lock_legal_hold_status(get_str(planned, "object_lock_legal_hold_status").map(aws_sdk_s3::types::ObjectLockLegalHoldStatus::from))
        .set_object_lock_mode(get_str(planned, "object_lock_mode").map(aws_sdk_s3::types::ObjectLockMode::from))
        .set_object_lock_retain_until_date(match get_str(planned, "object_lock_retain_until_date") {
            Some(t) => Some(
                aws_sdk_s3::primitives::DateTime::from_str(t, aws_sdk_s3::primitives::DateTimeFormat::DateTime)
                    .map_err(|e| ProviderError::Invalid(format!("{what}: object_lock_retain_until_date {t:?}: {e}")))?,
            ),
            None => None,
        })
        .set_tagging(tagging_header(&effective_tags(&object_defaults(inner, planned), planned)))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(())
}

async fn read_object(inner: &Inner, bucket: &str, key: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{} s3://{bucket}/{key}", schema::S3_OBJECT);
    let what = what.as_str();
    let Some(head) = gone_is_none(inner.s3.head_object().bucket(bucket).key(key).send().await.map_err(|e| api_err(what, e)))? else {
        return Ok(None);
    };
    let tags = match gone_is_none(inner.s3.get_object_tagging().bucket(bucket).key(key).send().await.map_err(|e| api_err(what, e)))? {
        Some(o) => as_ec2_tags(o.tag_set()),
        None => return Ok(None),
    };
    let etag = head.e_tag().map(|e| e.trim_matches('"').to_string());
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(key));
    m.insert("bucket".into(), Value::string(bucket));
    m.insert("key".into(), Value::string(key));
    // S3 does not return the content cheaply: the configured value stands
    // unless the object's etag changed behind contin's back (then it is
    // unknown to contin, read as null, and the next plan rewrites it).
    let same = match (get(shape, "etag"), &etag) {
        (Some(Value::String(old)), Some(new)) => old == new,
        _ => true,
    };
    for name in ["content", "source"] {
        let v = if same { get(shape, name).cloned().unwrap_or(Value::Null) } else { Value::Null };
        m.insert(name.into(), v);
    }
    // Arguments S3 does not report back (or only in another form): the
    // configured value stands while the object is the one contin wrote.
    for name in ["content_base64", "source_hash", "acl", "force_destroy", "kms_key_id"] {
        let v = if same { get(shape, name).filter(|v| !matches!(v, Value::Unknown)).cloned().unwrap_or(Value::Null) } else { Value::Null };
        m.insert(name.into(), v);
    }
    if let Some(k) = head.ssekms_key_id() {
        m.insert("kms_key_id".into(), Value::string(k));
    }
    m.insert("content_type".into(), opt_string(head.content_type()));
    m.insert("cache_control".into(), opt_string(head.cache_control()));
    m.insert("content_disposition".into(), opt_string(head.content_disposition()));
    m.insert("content_encoding".into(), opt_string(head.content_encoding()));
    m.insert("content_language".into(), opt_string(head.content_language()));
    m.insert("website_redirect".into(), opt_string(head.website_redirect_location()));
    let metadata = head.metadata().map(|md| md.iter().map(|(k, v)| (k.to_ascii_lowercase(), Value::string(v))).collect::<BTreeMap<_, _>>()).unwrap_or_default();
    m.insert("metadata".into(), if metadata.is_empty() && get(shape, "metadata").is_none_or(Value::is_null) { Value::Null } else { Value::Map(metadata) });
    m.insert("storage_class".into(), Value::string(head.storage_class().map_or("STANDARD", |c| c.as_str())));
    m.insert("server_side_encryption".into(), opt_string(head.server_side_encryption().map(|e| e.as_str())));
    m.insert("bucket_key_enabled".into(), Value::Bool(head.bucket_key_enabled().unwrap_or(false)));
    m.insert("object_lock_legal_hold_status".into(), opt_string(head.object_lock_legal_hold_status().map(|e| e.as_str())));
    m.insert("object_lock_mode".into(), opt_string(head.object_lock_mode().map(|e| e.as_str())));
    m.insert(
        "object_lock_retain_until_date".into(),
        match (head.object_lock_retain_until_date(), get(shape, "object_lock_retain_until_date")) {
            // The configured spelling when it is the same instant.
            (Some(d), Some(Value::String(cfg))) if aws_sdk_s3::primitives::DateTime::from_str(cfg, aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok() == Some(*d) => Value::string(cfg),
            (Some(d), _) => d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).map_or(Value::Null, Value::String),
            (None, _) => Value::Null,
        },
    );
    m.insert("etag".into(), etag.map_or(Value::Null, Value::String));
    m.insert("version_id".into(), opt_string(head.version_id()));
    m.insert("tags".into(), tags_value(&tags, &object_defaults(inner, shape), shape));
    m.insert("override_provider".into(), get(shape, "override_provider").cloned().unwrap_or(Value::List(Vec::new())));
    Ok(Some(complete(&schema::s3_object(), m)))
}

fn object_key(v: &Value) -> Option<(&str, &str)> {
    Some((get_str(v, "bucket")?, get_str(v, "key").or_else(|| get_str(v, "id"))?))
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    match ty {
        schema::S3_BUCKET => match get_str(state, "id") {
            Some(name) => read_bucket(inner, name, state).await,
            None => Ok(None),
        },
        schema::S3_BUCKET_VERSIONING => {
            let Some(bucket) = get_str(state, "bucket") else { return Ok(None) };
            let v = read_versioning(inner, bucket, state).await?;
            // Like Terraform: a bucket that never had versioning has no such resource.
            Ok(v.filter(|v| !(versioning_status(v).as_deref() == Some("Disabled") && versioning_status(state).as_deref() != Some("Disabled"))))
        }
        schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK => match get_str(state, "bucket") {
            Some(b) => read_public_access_block(inner, b, state).await,
            None => Ok(None),
        },
        schema::S3_OBJECT => match object_key(state) {
            Some((b, k)) => read_object(inner, b, k, state).await,
            None => Ok(None),
        },
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    match ty {
        schema::S3_BUCKET => create_bucket(inner, planned, ctx).await,
        _ => {
            let bucket = bucket_of(what, planned)?;
            match ty {
                schema::S3_BUCKET_VERSIONING => {
                    put_versioning(inner, what, bucket, versioning_status(planned).as_deref().unwrap_or(""), planned).await?
                }
                schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK => put_public_access_block(inner, what, bucket, planned).await?,
                schema::S3_OBJECT => put_object(inner, what, planned).await?,
                _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
            }
            kill_hook(ctx);
            read(inner, ty, planned).await?.ok_or_else(|| vanished(what, bucket))
        }
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let bucket = bucket_of(addr, planned)?;
    match ty {
        schema::S3_BUCKET => {
            if effective_tags(&inner.default_tags, prior) != effective_tags(&inner.default_tags, planned) {
                put_bucket_tags(inner, addr, bucket, planned, None).await?;
            }
        }
        schema::S3_BUCKET_VERSIONING => put_versioning(inner, addr, bucket, versioning_status(planned).as_deref().unwrap_or(""), planned).await?,
        schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK => put_public_access_block(inner, addr, bucket, planned).await?,
        schema::S3_OBJECT => {
            let body_changed = OBJECT_BODY_ATTRS.iter().any(|n| get(prior, n) != get(planned, n));
            if body_changed {
                put_object(inner, addr, planned).await?;
            } else if effective_tags(&object_defaults(inner, prior), prior) != effective_tags(&object_defaults(inner, planned), planned) {
                let key = get_str(planned, "key").unwrap_or_default();
                let want = effective_tags(&object_defaults(inner, planned), planned);
                if want.is_empty() {
                    inner.s3.delete_object_tagging().bucket(bucket).key(key).send().await.map_err(|e| api_err(addr, e))?;
                } else {
                    let tagging =
                        Tagging::builder().set_tag_set(Some(s3_tags(addr, &want)?)).build().map_err(|e| ProviderError::Failed(format!("{addr}: {e}")))?;
                    inner.s3.put_object_tagging().bucket(bucket).key(key).tagging(tagging).send().await.map_err(|e| api_err(addr, e))?;
                }
            }
        }
        _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
    let mut shape = planned.clone();
    if let (Value::Map(m), Some(id)) = (&mut shape, get(prior, "id")) {
        m.insert("id".into(), id.clone());
    }
    read(inner, ty, &shape).await?.ok_or_else(|| ProviderError::Api { code: "NotFound".into(), message: format!("{addr}: {bucket} disappeared during the update") })
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let result = match ty {
        schema::S3_BUCKET => return delete_bucket(inner, addr, prior).await,
        schema::S3_BUCKET_VERSIONING => {
            let Some(bucket) = get_str(prior, "bucket") else { return Ok(()) };
            // Versioning cannot be removed, only suspended (as Terraform does).
            if versioning_status(prior).as_deref() == Some("Enabled") {
                put_versioning(inner, addr, bucket, "Suspended", prior).await
            } else {
                Ok(())
            }
        }
        // skip_destroy: only forgotten.
        schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK if get_bool(prior, "skip_destroy") == Some(true) => Ok(()),
        schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK => {
            let Some(bucket) = get_str(prior, "bucket") else { return Ok(()) };
            inner.s3.delete_public_access_block().bucket(bucket).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
        }
        schema::S3_OBJECT => {
            let Some((bucket, key)) = object_key(prior) else { return Ok(()) };
            inner.s3.delete_object().bucket(bucket).key(key).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
        }
        _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    };
    match result {
        Err(e) if is_gone(&e) => Ok(()),
        other => other,
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let empty = Value::map::<&str>([]);
    match ty {
        schema::S3_BUCKET => read_bucket(inner, id, &empty).await,
        schema::S3_BUCKET_VERSIONING => read_versioning(inner, id, &empty).await,
        schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK => read_public_access_block(inner, id, &empty).await,
        schema::S3_OBJECT => match id.split_once('/') {
            Some((b, k)) => read_object(inner, b, k, &empty).await,
            None => Err(ProviderError::Invalid(format!("aws_s3_object import id {id:?} must be BUCKET/KEY"))),
        },
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagging_header_encodes_keys_and_values() {
        let t = BTreeMap::from([("a b".to_string(), "x&y=z".to_string()), ("k".to_string(), "v".to_string())]);
        assert_eq!(tagging_header(&t).as_deref(), Some("a%20b=x%26y%3Dz&k=v"));
        assert_eq!(tagging_header(&BTreeMap::new()), None);
    }
}
