//! More S3: `aws_s3_bucket_ownership_controls`, `aws_s3_bucket_acl` and the
//! `aws_s3_objects` data source (aws-sdk-s3).
//!
//! Both resources are idempotent puts on their bucket (no object of their
//! own to adopt after a crash: a re-run puts the same configuration again).
//! `aws_s3_bucket_acl` keeps the canned `acl` it was given (S3 does not
//! report which canned ACL made the grants) and reads the grants back into
//! `access_control_policy`, so a grant changed out of band shows as drift;
//! its id is `BUCKET` or `BUCKET,ACL` like Terraform's.

use crate::util::*;
use crate::Inner;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, Grant, Grantee, ObjectOwnership, Owner, OwnershipControls, OwnershipControlsRule, Permission,
    Type as GranteeType,
};
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const S3_BUCKET_OWNERSHIP_CONTROLS: &str = "aws_s3_bucket_ownership_controls";
pub const S3_BUCKET_ACL: &str = "aws_s3_bucket_acl";
pub const S3_OBJECTS: &str = "aws_s3_objects";

/// At most this many keys are listed by `aws_s3_objects` (Terraform's default `max_keys`).
const DEFAULT_MAX_KEYS: i64 = 1000;
const CANNED_ACLS: &[&str] = &["private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read", "log-delivery-write"];

pub(crate) fn is_s3x(ty: &str) -> bool {
    matches!(ty, S3_BUCKET_OWNERSHIP_CONTROLS | S3_BUCKET_ACL)
}

fn s() -> T {
    T::String
}

fn one(block: BlockSchema, min: usize) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::List, block, min_items: min, max_items: Some(1), force_new: false }
}

pub fn ownership_controls_schema() -> BlockSchema {
    let rule = BlockSchema::default().attr("object_ownership", A::required(s()).describe("BucketOwnerPreferred, ObjectWriter or BucketOwnerEnforced"));
    BlockSchema::default().attr("bucket", A::required(s()).force_new()).attr("id", A::computed(s())).block("rule", one(rule, 1))
}

pub fn acl_schema() -> BlockSchema {
    let grantee = BlockSchema::default()
        .attr("type", A::required(s()).describe("CanonicalUser, AmazonCustomerByEmail or Group"))
        .attr("id", A::optional(s()))
        .attr("uri", A::optional(s()))
        .attr("email_address", A::optional(s()))
        .attr("display_name", A::computed(s()));
    let grant = BlockSchema::default()
        .attr("permission", A::required(s()).describe("FULL_CONTROL, WRITE, WRITE_ACP, READ or READ_ACP"))
        .block("grantee", one(grantee, 0));
    let owner = BlockSchema::default().attr("id", A::required(s())).attr("display_name", A::optional_computed(s()));
    let policy = BlockSchema::default()
        .block("grant", NestedBlockSchema { nesting: Nesting::Set, block: grant, min_items: 0, max_items: None, force_new: false })
        .block("owner", one(owner, 1));
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new())
        .attr("acl", A::optional(s()).describe("a canned ACL; conflicts with access_control_policy"))
        .attr("expected_bucket_owner", A::optional(s()).force_new())
        .attr("id", A::computed(s()))
        .block("access_control_policy", one(policy, 0))
}

pub fn objects_schema() -> BlockSchema {
    BlockSchema::default()
        .attr("bucket", A::required(s()))
        .attr("prefix", A::optional(s()))
        .attr("delimiter", A::optional(s()))
        .attr("encoding_type", A::optional(s()))
        .attr("max_keys", A::optional(T::Number).describe("default 1000"))
        .attr("start_after", A::optional(s()))
        .attr("fetch_owner", A::optional(T::Bool))
        .attr("request_payer", A::optional(s()))
        .attr("id", A::computed(s()))
        .attr("keys", A::computed(T::List(Box::new(s()))))
        .attr("common_prefixes", A::computed(T::List(Box::new(s()))))
        .attr("owners", A::computed(T::List(Box::new(s()))))
        .attr("request_charged", A::computed(s()))
}

pub(crate) fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    match ty {
        S3_BUCKET_OWNERSHIP_CONTROLS => {
            for r in get_blocks(cfg, "rule") {
                if let Some(o) = get_str(r, "object_ownership") {
                    if !["BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"].contains(&o) {
                        d.push(Diagnostic::error(format!("rule.object_ownership: {o:?} is not one of BucketOwnerPreferred, ObjectWriter, BucketOwnerEnforced")));
                    }
                }
            }
        }
        S3_BUCKET_ACL => {
            let policy = !get_blocks(cfg, "access_control_policy").is_empty();
            match (get_str(cfg, "acl"), policy) {
                (Some(_), true) => d.push(Diagnostic::error("acl: conflicts with access_control_policy").with_detail("set a canned acl or a policy, not both")),
                (None, false) if get(cfg, "acl").is_none_or(Value::is_null) => {
                    d.push(Diagnostic::error("acl, access_control_policy: one of these arguments is required"))
                }
                (Some(a), false) if !CANNED_ACLS.contains(&a) => {
                    d.push(Diagnostic::error(format!("acl: {a:?} is not one of {}", CANNED_ACLS.join(", "))))
                }
                _ => {}
            }
        }
        _ => {}
    }
    d
}

fn gone(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Api { code, .. } if matches!(code.as_str(), "NoSuchBucket" | "NotFound" | "OwnershipControlsNotFoundError"))
}

fn bucket<'a>(what: &str, v: &'a Value) -> Result<&'a str, ProviderError> {
    get_str(v, "bucket").ok_or_else(|| ProviderError::Invalid(format!("{what}: bucket is not known")))
}

async fn read_ownership(inner: &Inner, b: &str) -> Result<Option<Value>, ProviderError> {
    let what = format!("{S3_BUCKET_OWNERSHIP_CONTROLS} {b}");
    let out = match inner.s3.get_bucket_ownership_controls().bucket(b).send().await.map_err(|e| api_err(&what, e)) {
        Ok(o) => o,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(rule) = out.ownership_controls().and_then(|c| c.rules().first()) else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("bucket".to_string(), Value::string(b));
    m.insert("id".into(), Value::string(b));
    m.insert("rule".into(), Value::List(vec![Value::map([("object_ownership", Value::string(rule.object_ownership().as_str()))])]));
    Ok(Some(complete(&ownership_controls_schema(), m)))
}

async fn put_ownership(inner: &Inner, what: &str, planned: &Value) -> Result<(), ProviderError> {
    let b = bucket(what, planned)?;
    let want = get_blocks(planned, "rule").first().and_then(|r| get_str(r, "object_ownership")).unwrap_or("BucketOwnerEnforced");
    let rule = OwnershipControlsRule::builder().object_ownership(ObjectOwnership::from(want)).build().map_err(|e| ProviderError::Failed(format!("{what}: {e}")))?;
    let controls = OwnershipControls::builder().rules(rule).build().map_err(|e| ProviderError::Failed(format!("{what}: {e}")))?;
    inner.s3.put_bucket_ownership_controls().bucket(b).ownership_controls(controls).send().await.map_err(|e| api_err(what, e))?;
    Ok(())
}

fn grant_value(g: &Grant) -> Value {
    let grantee = g.grantee().map(|e| {
        Value::map([
            ("type", Value::string(e.r#type().as_str())),
            ("id", opt_string(e.id())),
            ("uri", opt_string(e.uri())),
            ("email_address", opt_string(e.email_address())),
            ("display_name", opt_string(e.display_name())),
        ])
    });
    Value::map([
        ("permission", opt_string(g.permission().map(Permission::as_str))),
        ("grantee", Value::List(grantee.into_iter().collect())),
    ])
}

async fn read_acl(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(b) = get_str(shape, "bucket") else { return Ok(None) };
    let what = format!("{S3_BUCKET_ACL} {b}");
    let out = match inner.s3.get_bucket_acl().bucket(b).send().await.map_err(|e| api_err(&what, e)) {
        Ok(o) => o,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let owner = out.owner().map(|o| Value::map([("id", opt_string(o.id())), ("display_name", opt_string(o.display_name()))]));
    let policy = Value::map([
        ("grant", Value::set(out.grants().iter().map(grant_value).collect())),
        ("owner", Value::List(owner.into_iter().collect())),
    ]);
    let acl = get(shape, "acl").cloned().unwrap_or(Value::Null);
    let mut m = BTreeMap::new();
    m.insert("bucket".to_string(), Value::string(b));
    m.insert("id".into(), Value::String(match get_str(shape, "acl") {
        Some(a) => format!("{b},{a}"),
        None => b.to_string(),
    }));
    m.insert("acl".into(), acl);
    m.insert("expected_bucket_owner".into(), get(shape, "expected_bucket_owner").cloned().unwrap_or(Value::Null));
    // The grants a canned ACL made are S3's business: shown only for a configured policy.
    let configured = !get_blocks(shape, "access_control_policy").is_empty();
    m.insert("access_control_policy".into(), Value::List(if configured { vec![policy] } else { Vec::new() }));
    Ok(Some(complete(&acl_schema(), m)))
}

async fn put_acl(inner: &Inner, what: &str, planned: &Value) -> Result<(), ProviderError> {
    let b = bucket(what, planned)?;
    let call = inner.s3.put_bucket_acl().bucket(b).set_expected_bucket_owner(get_str(planned, "expected_bucket_owner").map(String::from));
    let call = match (get_str(planned, "acl"), get_blocks(planned, "access_control_policy").first()) {
        (Some(a), _) => call.acl(BucketCannedAcl::from(a)),
        (None, Some(p)) => {
            let mut grants = Vec::new();
            for g in get_blocks(p, "grant") {
                let grantee = match get_blocks(g, "grantee").first() {
                    Some(e) => Some(
                        Grantee::builder()
                            .r#type(GranteeType::from(get_str(e, "type").unwrap_or("CanonicalUser")))
                            .set_id(get_str(e, "id").map(String::from))
                            .set_uri(get_str(e, "uri").map(String::from))
                            .set_email_address(get_str(e, "email_address").map(String::from))
                            .build()
                            .map_err(|e| ProviderError::Failed(format!("{what}: grantee: {e}")))?,
                    ),
                    None => None,
                };
                grants.push(Grant::builder().set_grantee(grantee).set_permission(get_str(g, "permission").map(Permission::from)).build());
            }
            let owner = get_blocks(p, "owner").first().map(|o| {
                Owner::builder().set_id(get_str(o, "id").map(String::from)).set_display_name(get_str(o, "display_name").map(String::from)).build()
            });
            call.access_control_policy(AccessControlPolicy::builder().set_grants(Some(grants)).set_owner(owner).build())
        }
        (None, None) => return Err(ProviderError::Invalid(format!("{what}: acl or access_control_policy is required"))),
    };
    call.send().await.map_err(|e| api_err(what, e))?;
    Ok(())
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    match ty {
        S3_BUCKET_OWNERSHIP_CONTROLS => match get_str(state, "bucket") {
            Some(b) => read_ownership(inner, b).await,
            None => Ok(None),
        },
        _ => read_acl(inner, state).await,
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    match ty {
        S3_BUCKET_OWNERSHIP_CONTROLS => put_ownership(inner, &what, planned).await?,
        _ => put_acl(inner, &what, planned).await?,
    }
    kill_hook(ctx);
    read(inner, ty, planned).await?.ok_or_else(|| vanished(&what, get_str(planned, "bucket").unwrap_or_default()))
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, planned: &Value) -> Result<Value, ProviderError> {
    match ty {
        S3_BUCKET_OWNERSHIP_CONTROLS => put_ownership(inner, addr, planned).await?,
        _ => put_acl(inner, addr, planned).await?,
    }
    read(inner, ty, planned)
        .await?
        .ok_or_else(|| ProviderError::Api { code: "NoSuchBucket".into(), message: format!("{addr}: the bucket disappeared during the update") })
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(b) = get_str(prior, "bucket") else { return Ok(()) };
    let r = match ty {
        S3_BUCKET_OWNERSHIP_CONTROLS => inner.s3.delete_bucket_ownership_controls().bucket(b).send().await.map(|_| ()).map_err(|e| api_err(addr, e)),
        // An ACL cannot be removed; like Terraform, deleting forgets it (the bucket keeps its grants).
        _ => Ok(()),
    };
    match r {
        Err(e) if gone(&e) => Ok(()),
        other => other,
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let (b, acl) = match id.split_once(',') {
        Some((b, a)) => (b, Some(a)),
        None => (id, None),
    };
    let mut shape = BTreeMap::from([("bucket".to_string(), Value::string(b))]);
    if let Some(a) = acl {
        shape.insert("acl".into(), Value::string(a));
    }
    read(inner, ty, &Value::Map(shape)).await
}

/// `data "aws_s3_objects"`: keys (and common prefixes) of a bucket.
pub(crate) async fn objects(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = format!("data.{S3_OBJECTS}");
    let b = bucket(&what, cfg)?;
    let max = get_i64(cfg, "max_keys").unwrap_or(DEFAULT_MAX_KEYS).max(0);
    let mut keys = Vec::new();
    let mut prefixes = Vec::new();
    let mut owners = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = (max - keys.len() as i64).clamp(0, 1000) as i32;
        let out = inner
            .s3
            .list_objects_v2()
            .bucket(b)
            .set_prefix(get_str(cfg, "prefix").map(String::from))
            .set_delimiter(get_str(cfg, "delimiter").map(String::from))
            .set_encoding_type(get_str(cfg, "encoding_type").map(aws_sdk_s3::types::EncodingType::from))
            .set_start_after(get_str(cfg, "start_after").map(String::from))
            .set_fetch_owner(get_bool(cfg, "fetch_owner"))
            .set_continuation_token(token.clone())
            .max_keys(page)
            .send()
            .await
            .map_err(|e| api_err(&what, e))?;
        for o in out.contents() {
            if let Some(k) = o.key() {
                keys.push(k.to_string());
            }
            if let Some(id) = o.owner().and_then(|w| w.id()) {
                owners.push(id.to_string());
            }
        }
        prefixes.extend(out.common_prefixes().iter().filter_map(|p| p.prefix().map(String::from)));
        token = out.next_continuation_token().map(String::from);
        if token.is_none() || keys.len() as i64 >= max {
            break;
        }
    }
    let mut m = match cfg.unmarked() {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    m.insert("id".into(), Value::string(b));
    m.insert("keys".into(), str_list(keys));
    m.insert("common_prefixes".into(), str_list(prefixes));
    m.insert("owners".into(), str_list(owners));
    m.insert("request_charged".into(), Value::string(""));
    Ok(complete(&objects_schema(), m))
}
