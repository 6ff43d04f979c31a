//! S3 bucket sub-resources (aws-sdk-s3), the shared frame and the simple
//! ones: `aws_s3_bucket_policy`,
//! `aws_s3_bucket_server_side_encryption_configuration`,
//! `aws_s3_bucket_website_configuration`, `aws_s3_bucket_cors_configuration`,
//! `aws_s3_bucket_logging`, `aws_s3_bucket_accelerate_configuration`,
//! `aws_s3_bucket_request_payment_configuration`,
//! `aws_s3_bucket_object_lock_configuration`; data sources
//! `aws_canonical_user_id` (the owner S3's `ListBuckets` reports) and
//! `aws_cloudfront_log_delivery_canonical_user_id` (a fixed value per
//! partition, as Terraform's provider has it). Lifecycle and replication
//! live in `s3sub_rules.rs`; the named configurations (analytics,
//! inventory, metrics, intelligent tiering) in `s3sub_named.rs`; directory
//! buckets and metadata configurations in `s3sub_dir.rs`.
//!
//! Every sub-resource is one configuration of one bucket: its identity is
//! the bucket name (and `expected_bucket_owner`, sent with every call), or
//! `BUCKET:NAME` for the named ones, like Terraform's ids. Create and update
//! are the same idempotent put of the whole configuration, so a re-run after
//! a crash puts the same configuration again (no object of its own to adopt:
//! adoption is the bucket's configuration itself). Delete is the SDK's delete
//! call for that configuration; where S3 has none (logging, accelerate,
//! request payment, object lock), delete puts the neutral setting like
//! Terraform (logging off, acceleration `Suspended`, payer `BucketOwner`,
//! object lock rule removed).
//!
//! Read-back keeps the configuration's spelling where S3 reports an
//! equivalent: an absent value for a null one, a JSON policy that differs only
//! in layout, so an unchanged configuration replans as no change.
//!
//! moto 5.2 gaps (implemented by the official API, tested offline only):
//! request payment (moto has no `?requestPayment`).

use crate::util::*;
use crate::Inner;
use aws_sdk_s3::types as st;
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, OpContext, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const S3_BUCKET_POLICY: &str = "aws_s3_bucket_policy";
pub const S3_BUCKET_SSE: &str = "aws_s3_bucket_server_side_encryption_configuration";
pub const S3_BUCKET_WEBSITE: &str = "aws_s3_bucket_website_configuration";
pub const S3_BUCKET_CORS: &str = "aws_s3_bucket_cors_configuration";
pub const S3_BUCKET_LOGGING: &str = "aws_s3_bucket_logging";
pub const S3_BUCKET_ACCELERATE: &str = "aws_s3_bucket_accelerate_configuration";
pub const S3_BUCKET_REQUEST_PAYMENT: &str = "aws_s3_bucket_request_payment_configuration";
pub const S3_BUCKET_OBJECT_LOCK: &str = "aws_s3_bucket_object_lock_configuration";
pub const CANONICAL_USER_ID: &str = "aws_canonical_user_id";
pub const CLOUDFRONT_LOG_DELIVERY_CANONICAL_USER_ID: &str = "aws_cloudfront_log_delivery_canonical_user_id";

/// The canonical user of the `awslogsdelivery` account (Terraform's provider:
/// one value for the `aws` partition, another for `aws-cn`).
const CLOUDFRONT_LOG_DELIVERY_ID: &str = "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0";
const CLOUDFRONT_LOG_DELIVERY_ID_CN: &str = "a52cb28745c0c06e84ec548334e44bfa7fc2a85c54af20cd59e4969344b7af56";

/// S3 accepts at most 100 CORS rules per bucket.
const MAX_CORS_RULES: usize = 100;
/// S3 accepts at most 50 routing rules per website configuration.
const MAX_ROUTING_RULES: usize = 50;

/// Every bucket sub-resource type of this module and its siblings.
pub(crate) fn is_s3sub(ty: &str) -> bool {
    matches!(
        ty,
        S3_BUCKET_POLICY
            | S3_BUCKET_SSE
            | S3_BUCKET_WEBSITE
            | S3_BUCKET_CORS
            | S3_BUCKET_LOGGING
            | S3_BUCKET_ACCELERATE
            | S3_BUCKET_REQUEST_PAYMENT
            | S3_BUCKET_OBJECT_LOCK
    ) || crate::s3sub_rules::is_rules(ty)
        || crate::s3sub_named::is_named(ty)
        || crate::s3sub_dir::is_dir(ty)
}

pub(crate) fn is_s3sub_data(ty: &str) -> bool {
    matches!(ty, CANONICAL_USER_ID | CLOUDFRONT_LOG_DELIVERY_CANONICAL_USER_ID)
}

// ---- schema helpers (shared with the sibling modules) ----

pub(crate) fn s() -> T {
    T::String
}
pub(crate) fn n() -> T {
    T::Number
}
pub(crate) fn b() -> T {
    T::Bool
}
pub(crate) fn set_s() -> T {
    T::Set(Box::new(T::String))
}
pub(crate) fn map_s() -> T {
    T::Map(Box::new(T::String))
}
/// A block given at most once (`min` = 1: exactly once).
pub(crate) fn one(block: BlockSchema, min: usize) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::List, block, min_items: min, max_items: Some(1), force_new: false }
}
pub(crate) fn list(block: BlockSchema, min: usize, max: Option<usize>) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::List, block, min_items: min, max_items: max, force_new: false }
}
pub(crate) fn set(block: BlockSchema, min: usize, max: Option<usize>) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::Set, block, min_items: min, max_items: max, force_new: false }
}

/// `bucket`, `expected_bucket_owner` and `id`: what every sub-resource has.
pub(crate) fn base() -> BlockSchema {
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new().describe("name of the bucket"))
        .attr("expected_bucket_owner", A::optional(s()).force_new().describe("account id expected to own the bucket"))
        .attr("id", A::computed(s()))
}

/// `bucket`, `name` and `id` (`BUCKET:NAME`): the named configurations.
pub(crate) fn named_base() -> BlockSchema {
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new().describe("name of the bucket"))
        .attr("name", A::required(s()).force_new().describe("configuration id, unique within the bucket"))
        .attr("id", A::computed(s()))
}

pub fn policy_schema() -> BlockSchema {
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new().describe("name of the bucket"))
        .attr("policy", A::required(s()).describe("the bucket policy, a JSON document"))
        .attr("id", A::computed(s()))
}

pub fn sse_schema() -> BlockSchema {
    let by_default = BlockSchema::default()
        .attr("sse_algorithm", A::required(s()).describe("AES256, aws:kms or aws:kms:dsse"))
        .attr("kms_master_key_id", A::optional(s()));
    let rule = BlockSchema::default()
        .attr("bucket_key_enabled", A::optional(b()))
        .attr("blocked_encryption_types", A::optional_computed(T::List(Box::new(s()))).describe("NONE or SSE-C"))
        .block("apply_server_side_encryption_by_default", one(by_default, 0));
    base().block("rule", set(rule, 1, None))
}

pub fn website_schema() -> BlockSchema {
    let condition = BlockSchema::default().attr("http_error_code_returned_equals", A::optional(s())).attr("key_prefix_equals", A::optional(s()));
    let redirect = BlockSchema::default()
        .attr("host_name", A::optional(s()))
        .attr("http_redirect_code", A::optional(s()))
        .attr("protocol", A::optional(s()))
        .attr("replace_key_prefix_with", A::optional(s()))
        .attr("replace_key_with", A::optional(s()));
    let rule = BlockSchema::default().block("condition", one(condition, 0)).block("redirect", one(redirect, 1));
    base()
        .attr("routing_rules", A::optional_computed(s()).describe("the routing rules as a JSON array (conflicts with routing_rule)"))
        .attr("website_domain", A::computed(s()))
        .attr("website_endpoint", A::computed(s()))
        .block("index_document", one(BlockSchema::default().attr("suffix", A::required(s())), 0))
        .block("error_document", one(BlockSchema::default().attr("key", A::required(s())), 0))
        .block(
            "redirect_all_requests_to",
            one(BlockSchema::default().attr("host_name", A::required(s())).attr("protocol", A::optional(s())), 0),
        )
        .block("routing_rule", list(rule, 0, Some(MAX_ROUTING_RULES)))
}

pub fn cors_schema() -> BlockSchema {
    let rule = BlockSchema::default()
        .attr("id", A::optional(s()))
        .attr("allowed_headers", A::optional(set_s()))
        .attr("allowed_methods", A::required(set_s()).describe("GET, PUT, HEAD, POST or DELETE"))
        .attr("allowed_origins", A::required(set_s()))
        .attr("expose_headers", A::optional(set_s()))
        .attr("max_age_seconds", A::optional(n()));
    base().block("cors_rule", set(rule, 1, Some(MAX_CORS_RULES)))
}

fn grantee_schema() -> BlockSchema {
    BlockSchema::default()
        .attr("type", A::required(s()).describe("CanonicalUser, AmazonCustomerByEmail or Group"))
        .attr("id", A::optional(s()))
        .attr("uri", A::optional(s()))
        .attr("email_address", A::optional(s()))
        .attr("display_name", A::computed(s()))
}

pub fn logging_schema() -> BlockSchema {
    let grant = BlockSchema::default()
        .attr("permission", A::required(s()).describe("FULL_CONTROL, READ or WRITE"))
        .block("grantee", one(grantee_schema(), 1));
    let key_format = BlockSchema::default()
        .block(
            "partitioned_prefix",
            one(BlockSchema::default().attr("partition_date_source", A::required(s()).describe("EventTime or DeliveryTime")), 0),
        )
        .block("simple_prefix", one(BlockSchema::default(), 0));
    base()
        .attr("target_bucket", A::required(s()))
        .attr("target_prefix", A::required(s()))
        .block("target_grant", set(grant, 0, None))
        .block("target_object_key_format", one(key_format, 0))
}

pub fn accelerate_schema() -> BlockSchema {
    base().attr("status", A::required(s()).describe("Enabled or Suspended"))
}

pub fn request_payment_schema() -> BlockSchema {
    base().attr("payer", A::required(s()).describe("BucketOwner or Requester"))
}

pub fn object_lock_schema() -> BlockSchema {
    let retention = BlockSchema::default()
        .attr("mode", A::optional(s()).describe("COMPLIANCE or GOVERNANCE"))
        .attr("days", A::optional(n()))
        .attr("years", A::optional(n()));
    base()
        .attr("object_lock_enabled", A::optional_computed(s()).force_new().describe("Enabled (the default)"))
        .attr("token", A::optional(s()).sensitive().describe("token to allow object lock on an existing bucket (deprecated)"))
        .block("rule", one(BlockSchema::default().block("default_retention", one(retention, 1)), 0))
}

pub fn canonical_user_id_schema() -> BlockSchema {
    BlockSchema::default().attr("id", A::computed(s())).attr("display_name", A::computed(s()))
}

pub fn cloudfront_log_delivery_schema() -> BlockSchema {
    BlockSchema::default().attr("id", A::computed(s()))
}

/// The schema of one of this family's resource types.
pub(crate) fn schema_of(ty: &str) -> Option<BlockSchema> {
    Some(match ty {
        S3_BUCKET_POLICY => policy_schema(),
        S3_BUCKET_SSE => sse_schema(),
        S3_BUCKET_WEBSITE => website_schema(),
        S3_BUCKET_CORS => cors_schema(),
        S3_BUCKET_LOGGING => logging_schema(),
        S3_BUCKET_ACCELERATE => accelerate_schema(),
        S3_BUCKET_REQUEST_PAYMENT => request_payment_schema(),
        S3_BUCKET_OBJECT_LOCK => object_lock_schema(),
        _ => return crate::s3sub_rules::schema_of(ty).or_else(|| crate::s3sub_named::schema_of(ty)).or_else(|| crate::s3sub_dir::schema_of(ty)),
    })
}

pub fn register(p: &mut ProviderSchema) {
    for ty in [
        S3_BUCKET_POLICY,
        S3_BUCKET_SSE,
        S3_BUCKET_WEBSITE,
        S3_BUCKET_CORS,
        S3_BUCKET_LOGGING,
        S3_BUCKET_ACCELERATE,
        S3_BUCKET_REQUEST_PAYMENT,
        S3_BUCKET_OBJECT_LOCK,
    ]
    .into_iter()
    .chain(crate::s3sub_rules::TYPES.iter().copied())
    .chain(crate::s3sub_named::TYPES.iter().copied())
    .chain(crate::s3sub_dir::TYPES.iter().copied())
    {
        if let Some(block) = schema_of(ty) {
            p.resources.insert(ty.into(), block);
        }
    }
    p.data_sources.insert(CANONICAL_USER_ID.into(), canonical_user_id_schema());
    p.data_sources.insert(CLOUDFRONT_LOG_DELIVERY_CANONICAL_USER_ID.into(), cloudfront_log_delivery_schema());
}

// ---- validation ----

/// `attr` of `v`, when known, is one of `allowed`.
pub(crate) fn check_enum(d: &mut Diagnostics, v: &Value, path: &str, attr: &str, allowed: &[&str]) {
    if let Some(x) = get_str(v, attr) {
        if !allowed.contains(&x) {
            d.push(Diagnostic::error(format!("{path}{attr}: {x:?} is not one of {}", allowed.join(", "))));
        }
    }
}

/// The first element of nested block `name` (blocks are lists of at most one).
pub(crate) fn first<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    get_blocks(v, name).into_iter().next()
}

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if !is_s3sub(ty) {
        return;
    }
    match ty {
        S3_BUCKET_POLICY => {
            if let Some(p) = get_str(cfg, "policy") {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(p) {
                    d.push(Diagnostic::error(format!("policy: not a JSON document: {e}")));
                }
            }
        }
        S3_BUCKET_SSE => {
            for r in get_blocks(cfg, "rule") {
                if let Some(by) = first(r, "apply_server_side_encryption_by_default") {
                    check_enum(d, by, "rule.apply_server_side_encryption_by_default.", "sse_algorithm", &["AES256", "aws:kms", "aws:kms:dsse"]);
                }
            }
        }
        S3_BUCKET_WEBSITE => {
            let has = |n: &str| !get_blocks(cfg, n).is_empty();
            if has("redirect_all_requests_to") && (has("index_document") || has("error_document") || has("routing_rule")) {
                d.push(Diagnostic::error("redirect_all_requests_to: conflicts with index_document, error_document and routing_rule"));
            }
            if has("routing_rule") && get_str(cfg, "routing_rules").is_some() {
                d.push(Diagnostic::error("routing_rule: conflicts with routing_rules"));
            }
            if let Some(r) = get_str(cfg, "routing_rules") {
                if let Err(e) = parse_routing_rules_json(r) {
                    d.push(Diagnostic::error(format!("routing_rules: {e}")));
                }
            }
            if let Some(r) = first(cfg, "redirect_all_requests_to") {
                check_enum(d, r, "redirect_all_requests_to.", "protocol", &["http", "https"]);
            }
            for rule in get_blocks(cfg, "routing_rule") {
                if let Some(r) = first(rule, "redirect") {
                    check_enum(d, r, "routing_rule.redirect.", "protocol", &["http", "https"]);
                }
            }
        }
        S3_BUCKET_CORS => {
            for r in get_blocks(cfg, "cors_rule") {
                for m in get_strs(r, "allowed_methods") {
                    if !["GET", "PUT", "HEAD", "POST", "DELETE"].contains(&m.as_str()) {
                        d.push(Diagnostic::error(format!("cors_rule.allowed_methods: {m:?} is not one of GET, PUT, HEAD, POST, DELETE")));
                    }
                }
            }
        }
        S3_BUCKET_LOGGING => {
            for g in get_blocks(cfg, "target_grant") {
                check_enum(d, g, "target_grant.", "permission", &["FULL_CONTROL", "READ", "WRITE"]);
            }
            if let Some(f) = first(cfg, "target_object_key_format") {
                let p = get_blocks(f, "partitioned_prefix").len();
                let sp = get_blocks(f, "simple_prefix").len();
                if p + sp > 1 {
                    d.push(Diagnostic::error("target_object_key_format: partitioned_prefix conflicts with simple_prefix"));
                }
                if let Some(pp) = first(f, "partitioned_prefix") {
                    check_enum(d, pp, "target_object_key_format.partitioned_prefix.", "partition_date_source", &["EventTime", "DeliveryTime"]);
                }
            }
        }
        S3_BUCKET_ACCELERATE => check_enum(d, cfg, "", "status", &["Enabled", "Suspended"]),
        S3_BUCKET_REQUEST_PAYMENT => check_enum(d, cfg, "", "payer", &["BucketOwner", "Requester"]),
        S3_BUCKET_OBJECT_LOCK => {
            check_enum(d, cfg, "", "object_lock_enabled", &["Enabled"]);
            if let Some(r) = first(cfg, "rule").and_then(|r| first(r, "default_retention")) {
                check_enum(d, r, "rule.default_retention.", "mode", &["COMPLIANCE", "GOVERNANCE"]);
                if get(r, "days").is_some_and(|v| !v.is_null()) && get(r, "years").is_some_and(|v| !v.is_null()) {
                    d.push(Diagnostic::error("rule.default_retention.days: conflicts with years"));
                }
            }
        }
        _ if crate::s3sub_rules::is_rules(ty) => crate::s3sub_rules::validate(ty, cfg, d),
        _ if crate::s3sub_named::is_named(ty) => crate::s3sub_named::validate(ty, cfg, d),
        _ => crate::s3sub_dir::validate(ty, cfg, d),
    }
}

/// Plan-time: `routing_rules` (the JSON form S3 reports) follows the
/// `routing_rule` blocks, so changed blocks make it unknown until applied.
pub(crate) fn adjust(ty: &str, prior: Option<&Value>, change: &mut contin_provider::PlannedChange) {
    let (S3_BUCKET_WEBSITE, Some(prior)) = (ty, prior) else { return };
    if change.requires_replace.is_empty() && get(prior, "routing_rule") != get(&change.planned, "routing_rule") {
        if let Value::Map(m) = &mut change.planned {
            m.insert("routing_rules".into(), Value::Unknown);
        }
    }
}

// ---- value helpers ----

pub(crate) fn bf(what: &str) -> impl Fn(aws_sdk_s3::error::BuildError) -> ProviderError + '_ {
    move |e| ProviderError::Failed(format!("{what}: {e}"))
}

pub(crate) fn int(i: Option<i32>) -> Value {
    i.map_or(Value::Null, |i| Value::int(i64::from(i)))
}

pub(crate) fn i32_of(v: &Value, name: &str) -> Option<i32> {
    get_i64(v, name).and_then(|i| i32::try_from(i).ok())
}

pub(crate) fn opt_list(v: Option<Value>) -> Value {
    Value::List(v.into_iter().collect())
}

pub(crate) fn str_set<S: AsRef<str>>(items: &[S]) -> Value {
    if items.is_empty() {
        return Value::Null;
    }
    Value::set(items.iter().map(|s| Value::string(s.as_ref())).collect())
}

pub(crate) fn owned(v: &Value, name: &str) -> Option<String> {
    get_str(v, name).map(String::from)
}

/// True when `v` means "nothing": null, "", an empty list/set/map.
fn is_empty_like(v: &Value) -> bool {
    match v.unmarked() {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(i) | Value::Set(i) => i.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// The value read back, with the configuration's spelling (`shape`) kept
/// where both mean "nothing" (S3 reports "" or [] where the configuration
/// says null, and the reverse). Nested maps and lists are walked by key and
/// index; a real difference is never hidden.
pub(crate) fn keep_shape(read: Value, shape: &Value) -> Value {
    match (read, shape.unmarked()) {
        (r, s) if is_empty_like(&r) && is_empty_like(s) && !matches!(s, Value::Unknown) => s.clone(),
        (Value::Map(mut m), Value::Map(sm)) => {
            for (k, v) in m.iter_mut() {
                // An attribute the configuration leaves out is null there.
                let sv = sm.get(k).unwrap_or(&Value::Null);
                *v = keep_shape(std::mem::replace(v, Value::Null), sv);
            }
            Value::Map(m)
        }
        (Value::List(items), Value::List(si)) if items.len() == si.len() => {
            Value::List(items.into_iter().zip(si).map(|(r, s)| keep_shape(r, s)).collect())
        }
        (r, _) => r,
    }
}

/// A read (`None`: the configuration is absent) that treats "no such
/// configuration" and "no such bucket" as absent.
pub(crate) fn absent_ok<X>(r: Result<X, ProviderError>) -> Result<Option<X>, ProviderError> {
    match r {
        Ok(x) => Ok(Some(x)),
        Err(e) if gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn gone(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Api { code, .. }
        if code.starts_with("NoSuch") || code.ends_with("NotFound") || code.ends_with("NotFoundError") || code == "404")
}

/// The id Terraform gives a bucket sub-resource: `BUCKET` or `BUCKET,OWNER`.
fn sub_id(bucket: &str, owner: Option<&str>) -> String {
    match owner {
        Some(o) if !o.is_empty() => format!("{bucket},{o}"),
        _ => bucket.to_string(),
    }
}

// ---- the dispatch for the whole family ----

pub(crate) async fn read(inner: &Inner, ty: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(bucket) = get_str(shape, "bucket") else { return Ok(None) };
    let owner = get_str(shape, "expected_bucket_owner");
    let what = format!("{ty} {bucket}");
    let fields = match ty {
        S3_BUCKET_POLICY => read_policy(inner, &what, bucket, shape).await,
        S3_BUCKET_SSE => read_sse(inner, &what, bucket, owner).await,
        S3_BUCKET_WEBSITE => read_website(inner, &what, bucket, owner, shape).await,
        S3_BUCKET_CORS => read_cors(inner, &what, bucket, owner).await,
        S3_BUCKET_LOGGING => read_logging(inner, &what, bucket, owner).await,
        S3_BUCKET_ACCELERATE => read_accelerate(inner, &what, bucket, owner).await,
        S3_BUCKET_REQUEST_PAYMENT => read_request_payment(inner, &what, bucket, owner).await,
        S3_BUCKET_OBJECT_LOCK => read_object_lock(inner, &what, bucket, owner, shape).await,
        _ if crate::s3sub_rules::is_rules(ty) => crate::s3sub_rules::read(inner, ty, &what, bucket, owner, shape).await,
        _ if crate::s3sub_named::is_named(ty) => return crate::s3sub_named::read(inner, ty, shape).await,
        _ => return crate::s3sub_dir::read(inner, ty, shape).await,
    };
    let Some(mut m) = absent_ok(fields)?.flatten() else { return Ok(None) };
    m.insert("bucket".into(), Value::string(bucket));
    m.insert("id".into(), Value::String(sub_id(bucket, owner)));
    let Some(schema) = schema_of(ty) else { return Err(crate::unsupported(ty)) };
    if schema.attributes.contains_key("expected_bucket_owner") {
        m.insert("expected_bucket_owner".into(), opt_string(owner));
    }
    Ok(Some(keep_shape(complete(&schema, m), shape)))
}

async fn put(inner: &Inner, ty: &str, what: &str, prior: Option<&Value>, planned: &Value) -> Result<(), ProviderError> {
    let bucket = get_str(planned, "bucket").ok_or_else(|| ProviderError::Invalid(format!("{what}: bucket is not known")))?;
    let owner = owned(planned, "expected_bucket_owner");
    match ty {
        S3_BUCKET_POLICY => {
            let p = get_str(planned, "policy").ok_or_else(|| ProviderError::Invalid(format!("{what}: policy is not known")))?;
            inner.s3.put_bucket_policy().bucket(bucket).policy(p).send().await.map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_SSE => {
            let conf = sse_to_sdk(what, planned)?;
            inner
                .s3
                .put_bucket_encryption()
                .bucket(bucket)
                .set_expected_bucket_owner(owner)
                .server_side_encryption_configuration(conf)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_WEBSITE => {
            let conf = website_to_sdk(what, planned)?;
            inner.s3.put_bucket_website().bucket(bucket).set_expected_bucket_owner(owner).website_configuration(conf).send().await.map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_CORS => {
            let conf = cors_to_sdk(what, planned)?;
            inner.s3.put_bucket_cors().bucket(bucket).set_expected_bucket_owner(owner).cors_configuration(conf).send().await.map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_LOGGING => {
            let status = st::BucketLoggingStatus::builder().logging_enabled(logging_to_sdk(what, planned)?).build();
            inner.s3.put_bucket_logging().bucket(bucket).set_expected_bucket_owner(owner).bucket_logging_status(status).send().await.map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_ACCELERATE => {
            let status = get_str(planned, "status").unwrap_or("Enabled");
            let conf = st::AccelerateConfiguration::builder().status(st::BucketAccelerateStatus::from(status)).build();
            inner
                .s3
                .put_bucket_accelerate_configuration()
                .bucket(bucket)
                .set_expected_bucket_owner(owner)
                .accelerate_configuration(conf)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_REQUEST_PAYMENT => {
            let payer = get_str(planned, "payer").unwrap_or("BucketOwner");
            let conf = st::RequestPaymentConfiguration::builder().payer(st::Payer::from(payer)).build().map_err(bf(what))?;
            inner
                .s3
                .put_bucket_request_payment()
                .bucket(bucket)
                .set_expected_bucket_owner(owner)
                .request_payment_configuration(conf)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_OBJECT_LOCK => {
            let conf = object_lock_to_sdk(planned);
            inner
                .s3
                .put_object_lock_configuration()
                .bucket(bucket)
                .set_expected_bucket_owner(owner)
                .set_token(owned(planned, "token"))
                .object_lock_configuration(conf)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
        _ if crate::s3sub_rules::is_rules(ty) => crate::s3sub_rules::put(inner, ty, what, planned).await?,
        _ if crate::s3sub_named::is_named(ty) => crate::s3sub_named::put(inner, ty, what, planned).await?,
        _ => crate::s3sub_dir::put(inner, ty, what, prior, planned).await?,
    }
    Ok(())
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    if crate::s3sub_dir::is_dir(ty) {
        return crate::s3sub_dir::create(inner, ty, &what, planned, ctx).await;
    }
    put(inner, ty, &what, None, planned).await?;
    kill_hook(ctx);
    read_back(inner, ty, &what, planned).await
}

/// Reads what was just put; S3 is read-after-write consistent for bucket
/// configurations, but some are applied asynchronously (website, lifecycle),
/// so a missing one is asked for again a few times.
async fn read_back(inner: &Inner, ty: &str, what: &str, planned: &Value) -> Result<Value, ProviderError> {
    let mut backoff = Backoff::new();
    for _ in 0..5 {
        if let Some(v) = read(inner, ty, planned).await? {
            return Ok(v);
        }
        if !backoff.wait().await {
            break;
        }
    }
    Err(vanished(what, get_str(planned, "bucket").unwrap_or_default()))
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    put(inner, ty, addr, Some(prior), planned).await?;
    read_back(inner, ty, addr, planned).await
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(bucket) = get_str(prior, "bucket") else { return Ok(()) };
    let owner = owned(prior, "expected_bucket_owner");
    let s3 = &inner.s3;
    let r = match ty {
        S3_BUCKET_POLICY => s3.delete_bucket_policy().bucket(bucket).send().await.map(drop).map_err(|e| api_err(addr, e)),
        S3_BUCKET_SSE => s3.delete_bucket_encryption().bucket(bucket).set_expected_bucket_owner(owner).send().await.map(drop).map_err(|e| api_err(addr, e)),
        S3_BUCKET_WEBSITE => s3.delete_bucket_website().bucket(bucket).set_expected_bucket_owner(owner).send().await.map(drop).map_err(|e| api_err(addr, e)),
        S3_BUCKET_CORS => s3.delete_bucket_cors().bucket(bucket).set_expected_bucket_owner(owner).send().await.map(drop).map_err(|e| api_err(addr, e)),
        // No delete call: logging off is an empty status.
        S3_BUCKET_LOGGING => s3
            .put_bucket_logging()
            .bucket(bucket)
            .set_expected_bucket_owner(owner)
            .bucket_logging_status(st::BucketLoggingStatus::builder().build())
            .send()
            .await
            .map(drop)
            .map_err(|e| api_err(addr, e)),
        S3_BUCKET_ACCELERATE => s3
            .put_bucket_accelerate_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owner)
            .accelerate_configuration(st::AccelerateConfiguration::builder().status(st::BucketAccelerateStatus::Suspended).build())
            .send()
            .await
            .map(drop)
            .map_err(|e| api_err(addr, e)),
        S3_BUCKET_REQUEST_PAYMENT => {
            let conf = st::RequestPaymentConfiguration::builder().payer(st::Payer::BucketOwner).build().map_err(bf(addr))?;
            s3.put_bucket_request_payment()
                .bucket(bucket)
                .set_expected_bucket_owner(owner)
                .request_payment_configuration(conf)
                .send()
                .await
                .map(drop)
                .map_err(|e| api_err(addr, e))
        }
        // Object lock cannot be turned off once enabled: delete removes the default retention rule.
        S3_BUCKET_OBJECT_LOCK => s3
            .put_object_lock_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owner)
            .set_token(owned(prior, "token"))
            .object_lock_configuration(st::ObjectLockConfiguration::builder().object_lock_enabled(st::ObjectLockEnabled::Enabled).build())
            .send()
            .await
            .map(drop)
            .map_err(|e| api_err(addr, e)),
        _ if crate::s3sub_rules::is_rules(ty) => crate::s3sub_rules::delete(inner, ty, addr, bucket, owner).await,
        _ if crate::s3sub_named::is_named(ty) => crate::s3sub_named::delete(inner, ty, addr, prior).await,
        _ => crate::s3sub_dir::delete(inner, ty, addr, prior).await,
    };
    match r {
        Err(e) if gone(&e) => Ok(()),
        other => other,
    }
}

/// Import by Terraform's id: `BUCKET` or `BUCKET,EXPECTED_OWNER`
/// (`BUCKET:NAME` for the named configurations).
pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    if crate::s3sub_named::is_named(ty) || crate::s3sub_dir::is_dir(ty) {
        return match ty {
            _ if crate::s3sub_named::is_named(ty) => crate::s3sub_named::import(inner, ty, id).await,
            _ => crate::s3sub_dir::import(inner, ty, id).await,
        };
    }
    let (bucket, owner) = match id.split_once(',') {
        Some((b, o)) => (b, Some(o)),
        None => (id, None),
    };
    let mut shape = BTreeMap::from([("bucket".to_string(), Value::string(bucket))]);
    if let Some(o) = owner {
        shape.insert("expected_bucket_owner".into(), Value::string(o));
    }
    read(inner, ty, &Value::Map(shape)).await
}

// ---- data sources ----

pub(crate) async fn read_data(inner: &Inner, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
    match ty {
        CANONICAL_USER_ID => {
            let what = format!("data.{CANONICAL_USER_ID}");
            let out = inner.s3.list_buckets().max_buckets(1).send().await.map_err(|e| api_err(&what, e))?;
            let owner = out.owner().ok_or_else(|| ProviderError::Failed(format!("{what}: ListBuckets reported no owner")))?;
            let id = owner.id().ok_or_else(|| ProviderError::Failed(format!("{what}: ListBuckets reported no owner id")))?;
            Ok(Value::map([("id", Value::string(id)), ("display_name", opt_string(owner.display_name()))]))
        }
        _ => {
            let region = crate::region_of(cfg).unwrap_or(&inner.region);
            Ok(Value::map([("id", Value::string(cloudfront_log_delivery_id(region)))]))
        }
    }
}

/// The `awslogsdelivery` canonical user of `region`'s partition.
pub(crate) fn cloudfront_log_delivery_id(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        CLOUDFRONT_LOG_DELIVERY_ID_CN
    } else {
        CLOUDFRONT_LOG_DELIVERY_ID
    }
}

// ---- policy ----

async fn read_policy(inner: &Inner, what: &str, bucket: &str, shape: &Value) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner.s3.get_bucket_policy().bucket(bucket).send().await.map_err(|e| api_err(what, e))?;
    let Some(live) = out.policy() else { return Ok(None) };
    Ok(Some(BTreeMap::from([("policy".to_string(), Value::String(same_json(live, get_str(shape, "policy"))))])))
}

/// `live` as the configuration spelled it when both are the same JSON value.
pub(crate) fn same_json(live: &str, configured: Option<&str>) -> String {
    if let Some(c) = configured {
        let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
        if let (Some(a), Some(b)) = (parse(live), parse(c)) {
            if a == b {
                return c.to_string();
            }
        }
    }
    live.to_string()
}

// ---- server-side encryption ----

pub(crate) fn sse_to_sdk(what: &str, v: &Value) -> Result<st::ServerSideEncryptionConfiguration, ProviderError> {
    let mut rules = Vec::new();
    for r in get_blocks(v, "rule") {
        let by_default = match first(r, "apply_server_side_encryption_by_default") {
            Some(d) => Some(
                st::ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(st::ServerSideEncryption::from(get_str(d, "sse_algorithm").unwrap_or("AES256")))
                    .set_kms_master_key_id(owned(d, "kms_master_key_id"))
                    .build()
                    .map_err(bf(what))?,
            ),
            None => None,
        };
        let blocked = get_strs(r, "blocked_encryption_types");
        let blocked = (!blocked.is_empty()).then(|| {
            st::BlockedEncryptionTypes::builder().set_encryption_type(Some(blocked.iter().map(|t| st::EncryptionType::from(t.as_str())).collect())).build()
        });
        rules.push(
            st::ServerSideEncryptionRule::builder()
                .set_apply_server_side_encryption_by_default(by_default)
                .set_bucket_key_enabled(get_bool(r, "bucket_key_enabled"))
                .set_blocked_encryption_types(blocked)
                .build(),
        );
    }
    st::ServerSideEncryptionConfiguration::builder().set_rules(Some(rules)).build().map_err(bf(what))
}

pub(crate) fn sse_from_sdk(c: &st::ServerSideEncryptionConfiguration) -> Value {
    Value::set(
        c.rules()
            .iter()
            .map(|r| {
                let by = r.apply_server_side_encryption_by_default().map(|d| {
                    Value::map([("sse_algorithm", Value::string(d.sse_algorithm().as_str())), ("kms_master_key_id", opt_string(d.kms_master_key_id()))])
                });
                let blocked: Vec<String> =
                    r.blocked_encryption_types().map(|b| b.encryption_type().iter().map(|t| t.as_str().to_string()).collect()).unwrap_or_default();
                Value::map([
                    ("apply_server_side_encryption_by_default", opt_list(by)),
                    ("bucket_key_enabled", r.bucket_key_enabled().map_or(Value::Null, Value::Bool)),
                    ("blocked_encryption_types", if blocked.is_empty() { Value::Null } else { str_list(blocked) }),
                ])
            })
            .collect(),
    )
}

async fn read_sse(inner: &Inner, what: &str, bucket: &str, owner: Option<&str>) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner.s3.get_bucket_encryption().bucket(bucket).set_expected_bucket_owner(owner.map(String::from)).send().await.map_err(|e| api_err(what, e))?;
    let Some(c) = out.server_side_encryption_configuration() else { return Ok(None) };
    Ok(Some(BTreeMap::from([("rule".to_string(), sse_from_sdk(c))])))
}

// ---- website ----

/// `routing_rules` JSON (S3's XML shape in JSON, as Terraform takes it).
fn parse_routing_rules_json(text: &str) -> Result<Vec<st::RoutingRule>, String> {
    let j: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = j.as_array().ok_or("expected a JSON array of routing rules")?;
    if items.len() > MAX_ROUTING_RULES {
        return Err(format!("at most {MAX_ROUTING_RULES} routing rules, got {}", items.len()));
    }
    let s = |o: Option<&serde_json::Value>, k: &str| o.and_then(|o| o.get(k)).and_then(|v| v.as_str().map(String::from).or_else(|| v.as_i64().map(|i| i.to_string())));
    let mut out = Vec::new();
    for it in items {
        let c = it.get("Condition");
        let r = it.get("Redirect").ok_or("each routing rule needs a Redirect")?;
        let cond = c.map(|_| {
            st::Condition::builder().set_http_error_code_returned_equals(s(c, "HttpErrorCodeReturnedEquals")).set_key_prefix_equals(s(c, "KeyPrefixEquals")).build()
        });
        let redirect = st::Redirect::builder()
            .set_host_name(s(Some(r), "HostName"))
            .set_http_redirect_code(s(Some(r), "HttpRedirectCode"))
            .set_protocol(s(Some(r), "Protocol").map(|p| st::Protocol::from(p.as_str())))
            .set_replace_key_prefix_with(s(Some(r), "ReplaceKeyPrefixWith"))
            .set_replace_key_with(s(Some(r), "ReplaceKeyWith"))
            .build();
        out.push(st::RoutingRule::builder().set_condition(cond).redirect(redirect).build());
    }
    Ok(out)
}

fn routing_rules_json(rules: &[st::RoutingRule]) -> String {
    let items: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            let mut o = serde_json::Map::new();
            if let Some(c) = r.condition() {
                let mut cm = serde_json::Map::new();
                if let Some(x) = c.http_error_code_returned_equals() {
                    cm.insert("HttpErrorCodeReturnedEquals".into(), x.into());
                }
                if let Some(x) = c.key_prefix_equals() {
                    cm.insert("KeyPrefixEquals".into(), x.into());
                }
                o.insert("Condition".into(), cm.into());
            }
            let mut rm = serde_json::Map::new();
            if let Some(x) = r.redirect() {
                for (k, v) in [
                    ("HostName", x.host_name()),
                    ("HttpRedirectCode", x.http_redirect_code()),
                    ("Protocol", x.protocol().map(st::Protocol::as_str)),
                    ("ReplaceKeyPrefixWith", x.replace_key_prefix_with()),
                    ("ReplaceKeyWith", x.replace_key_with()),
                ] {
                    if let Some(v) = v {
                        rm.insert(k.into(), v.into());
                    }
                }
            }
            o.insert("Redirect".into(), rm.into());
            serde_json::Value::Object(o)
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

pub(crate) fn website_to_sdk(what: &str, v: &Value) -> Result<st::WebsiteConfiguration, ProviderError> {
    let index = match first(v, "index_document").and_then(|d| get_str(d, "suffix")) {
        Some(sfx) => Some(st::IndexDocument::builder().suffix(sfx).build().map_err(bf(what))?),
        None => None,
    };
    let error = match first(v, "error_document").and_then(|d| get_str(d, "key")) {
        Some(k) => Some(st::ErrorDocument::builder().key(k).build().map_err(bf(what))?),
        None => None,
    };
    let redirect_all = match first(v, "redirect_all_requests_to") {
        Some(r) => Some(
            st::RedirectAllRequestsTo::builder()
                .host_name(get_str(r, "host_name").unwrap_or_default())
                .set_protocol(get_str(r, "protocol").map(st::Protocol::from))
                .build()
                .map_err(bf(what))?,
        ),
        None => None,
    };
    let mut rules = Vec::new();
    for rule in get_blocks(v, "routing_rule") {
        let cond = first(rule, "condition").map(|c| {
            st::Condition::builder()
                .set_http_error_code_returned_equals(owned(c, "http_error_code_returned_equals"))
                .set_key_prefix_equals(owned(c, "key_prefix_equals"))
                .build()
        });
        let r = first(rule, "redirect");
        let redirect = st::Redirect::builder()
            .set_host_name(r.and_then(|r| owned(r, "host_name")))
            .set_http_redirect_code(r.and_then(|r| owned(r, "http_redirect_code")))
            .set_protocol(r.and_then(|r| get_str(r, "protocol")).map(st::Protocol::from))
            .set_replace_key_prefix_with(r.and_then(|r| owned(r, "replace_key_prefix_with")))
            .set_replace_key_with(r.and_then(|r| owned(r, "replace_key_with")))
            .build();
        rules.push(st::RoutingRule::builder().set_condition(cond).redirect(redirect).build());
    }
    if rules.is_empty() {
        if let Some(json) = get_str(v, "routing_rules").filter(|j| !j.trim().is_empty()) {
            rules = parse_routing_rules_json(json).map_err(|e| ProviderError::Invalid(format!("{what}: routing_rules: {e}")))?;
        }
    }
    Ok(st::WebsiteConfiguration::builder()
        .set_index_document(index)
        .set_error_document(error)
        .set_redirect_all_requests_to(redirect_all)
        .set_routing_rules((!rules.is_empty()).then_some(rules))
        .build())
}

/// Regions whose website endpoint is `s3-website-REGION` (the older form);
/// every other region uses `s3-website.REGION`.
const WEBSITE_DASH_REGIONS: &[&str] =
    &["us-east-1", "us-west-1", "us-west-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "eu-west-1", "sa-east-1", "us-gov-west-1"];

/// `website_domain` of a bucket in `region`.
pub(crate) fn website_domain(region: &str) -> String {
    let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    if WEBSITE_DASH_REGIONS.contains(&region) {
        format!("s3-website-{region}.{suffix}")
    } else {
        format!("s3-website.{region}.{suffix}")
    }
}

async fn read_website(inner: &Inner, what: &str, bucket: &str, owner: Option<&str>, shape: &Value) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner.s3.get_bucket_website().bucket(bucket).set_expected_bucket_owner(owner.map(String::from)).send().await.map_err(|e| api_err(what, e))?;
    let mut m = BTreeMap::new();
    m.insert("index_document".to_string(), opt_list(out.index_document().map(|d| Value::map([("suffix", Value::string(d.suffix()))]))));
    m.insert("error_document".into(), opt_list(out.error_document().map(|d| Value::map([("key", Value::string(d.key()))]))));
    m.insert(
        "redirect_all_requests_to".into(),
        opt_list(out.redirect_all_requests_to().map(|r| {
            Value::map([("host_name", Value::string(r.host_name())), ("protocol", opt_string(r.protocol().map(st::Protocol::as_str)))])
        })),
    );
    // Rules come back in the form the configuration used: blocks or JSON.
    let json_form = get_blocks(shape, "routing_rule").is_empty() && get_str(shape, "routing_rules").is_some();
    let rules = out.routing_rules();
    if json_form {
        m.insert("routing_rule".into(), Value::List(Vec::new()));
        m.insert("routing_rules".into(), Value::String(same_json(&routing_rules_json(rules), get_str(shape, "routing_rules"))));
    } else {
        m.insert("routing_rule".into(), Value::List(rules.iter().map(routing_rule_value).collect()));
        m.insert("routing_rules".into(), if rules.is_empty() { Value::Null } else { Value::String(routing_rules_json(rules)) });
    }
    let region = crate::region_of(shape).unwrap_or(&inner.region).to_string();
    let domain = website_domain(&region);
    m.insert("website_endpoint".into(), Value::String(format!("{bucket}.{domain}")));
    m.insert("website_domain".into(), Value::String(domain));
    Ok(Some(m))
}

fn routing_rule_value(r: &st::RoutingRule) -> Value {
    let cond = r.condition().map(|c| {
        Value::map([
            ("http_error_code_returned_equals", opt_string(c.http_error_code_returned_equals())),
            ("key_prefix_equals", opt_string(c.key_prefix_equals())),
        ])
    });
    let redirect = r.redirect().map(|x| {
        Value::map([
            ("host_name", opt_string(x.host_name())),
            ("http_redirect_code", opt_string(x.http_redirect_code())),
            ("protocol", opt_string(x.protocol().map(st::Protocol::as_str))),
            ("replace_key_prefix_with", opt_string(x.replace_key_prefix_with())),
            ("replace_key_with", opt_string(x.replace_key_with())),
        ])
    });
    Value::map([("condition", opt_list(cond)), ("redirect", opt_list(redirect))])
}

// ---- CORS ----

pub(crate) fn cors_to_sdk(what: &str, v: &Value) -> Result<st::CorsConfiguration, ProviderError> {
    let mut rules = Vec::new();
    for r in get_blocks(v, "cors_rule") {
        let strs = |n: &str| {
            let x = get_strs(r, n);
            (!x.is_empty()).then_some(x)
        };
        rules.push(
            st::CorsRule::builder()
                .set_id(owned(r, "id"))
                .set_allowed_headers(strs("allowed_headers"))
                .set_allowed_methods(Some(get_strs(r, "allowed_methods")))
                .set_allowed_origins(Some(get_strs(r, "allowed_origins")))
                .set_expose_headers(strs("expose_headers"))
                .set_max_age_seconds(i32_of(r, "max_age_seconds"))
                .build()
                .map_err(bf(what))?,
        );
    }
    st::CorsConfiguration::builder().set_cors_rules(Some(rules)).build().map_err(bf(what))
}

pub(crate) fn cors_from_sdk(rules: &[st::CorsRule]) -> Value {
    Value::set(
        rules
            .iter()
            .map(|r| {
                Value::map([
                    ("id", opt_string(r.id())),
                    ("allowed_headers", str_set(r.allowed_headers())),
                    ("allowed_methods", str_set(r.allowed_methods())),
                    ("allowed_origins", str_set(r.allowed_origins())),
                    ("expose_headers", str_set(r.expose_headers())),
                    ("max_age_seconds", int(r.max_age_seconds())),
                ])
            })
            .collect(),
    )
}

async fn read_cors(inner: &Inner, what: &str, bucket: &str, owner: Option<&str>) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner.s3.get_bucket_cors().bucket(bucket).set_expected_bucket_owner(owner.map(String::from)).send().await.map_err(|e| api_err(what, e))?;
    if out.cors_rules().is_empty() {
        return Ok(None);
    }
    Ok(Some(BTreeMap::from([("cors_rule".to_string(), cors_from_sdk(out.cors_rules()))])))
}

// ---- logging ----

fn grantee_to_sdk(what: &str, e: &Value) -> Result<st::Grantee, ProviderError> {
    st::Grantee::builder()
        .r#type(st::Type::from(get_str(e, "type").unwrap_or("CanonicalUser")))
        .set_id(owned(e, "id"))
        .set_uri(owned(e, "uri"))
        .set_email_address(owned(e, "email_address"))
        .build()
        .map_err(bf(what))
}

fn grantee_value(e: &st::Grantee) -> Value {
    Value::map([
        ("type", Value::string(e.r#type().as_str())),
        ("id", opt_string(e.id())),
        ("uri", opt_string(e.uri())),
        ("email_address", opt_string(e.email_address())),
        ("display_name", opt_string(e.display_name())),
    ])
}

pub(crate) fn logging_to_sdk(what: &str, v: &Value) -> Result<st::LoggingEnabled, ProviderError> {
    let mut grants = Vec::new();
    for g in get_blocks(v, "target_grant") {
        let grantee = match first(g, "grantee") {
            Some(e) => Some(grantee_to_sdk(what, e)?),
            None => None,
        };
        grants.push(st::TargetGrant::builder().set_grantee(grantee).set_permission(get_str(g, "permission").map(st::BucketLogsPermission::from)).build());
    }
    let format = first(v, "target_object_key_format").map(|f| {
        let partitioned = first(f, "partitioned_prefix").map(|p| {
            st::PartitionedPrefix::builder().set_partition_date_source(get_str(p, "partition_date_source").map(st::PartitionDateSource::from)).build()
        });
        let simple = (partitioned.is_none() && first(f, "simple_prefix").is_some()).then(|| st::SimplePrefix::builder().build());
        st::TargetObjectKeyFormat::builder().set_partitioned_prefix(partitioned).set_simple_prefix(simple).build()
    });
    st::LoggingEnabled::builder()
        .target_bucket(get_str(v, "target_bucket").unwrap_or_default())
        .target_prefix(get_str(v, "target_prefix").unwrap_or_default())
        .set_target_grants((!grants.is_empty()).then_some(grants))
        .set_target_object_key_format(format)
        .build()
        .map_err(bf(what))
}

pub(crate) fn logging_from_sdk(l: &st::LoggingEnabled) -> BTreeMap<String, Value> {
    let grants = l
        .target_grants()
        .iter()
        .map(|g| {
            Value::map([
                ("permission", opt_string(g.permission().map(st::BucketLogsPermission::as_str))),
                ("grantee", opt_list(g.grantee().map(grantee_value))),
            ])
        })
        .collect();
    let format = l.target_object_key_format().map(|f| {
        let partitioned = f.partitioned_prefix().map(|p| Value::map([("partition_date_source", opt_string(p.partition_date_source().map(st::PartitionDateSource::as_str)))]));
        let simple = f.simple_prefix().map(|_| Value::Map(BTreeMap::new()));
        Value::map([("partitioned_prefix", opt_list(partitioned)), ("simple_prefix", opt_list(simple))])
    });
    BTreeMap::from([
        ("target_bucket".to_string(), Value::string(l.target_bucket())),
        ("target_prefix".to_string(), Value::string(l.target_prefix())),
        ("target_grant".to_string(), Value::set(grants)),
        ("target_object_key_format".to_string(), opt_list(format)),
    ])
}

async fn read_logging(inner: &Inner, what: &str, bucket: &str, owner: Option<&str>) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner.s3.get_bucket_logging().bucket(bucket).set_expected_bucket_owner(owner.map(String::from)).send().await.map_err(|e| api_err(what, e))?;
    Ok(out.logging_enabled().map(logging_from_sdk))
}

// ---- accelerate, request payment ----

async fn read_accelerate(inner: &Inner, what: &str, bucket: &str, owner: Option<&str>) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner
        .s3
        .get_bucket_accelerate_configuration()
        .bucket(bucket)
        .set_expected_bucket_owner(owner.map(String::from))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    // Never configured: no status at all (Terraform: gone).
    Ok(out.status().map(|s| BTreeMap::from([("status".to_string(), Value::string(s.as_str()))])))
}

async fn read_request_payment(inner: &Inner, what: &str, bucket: &str, owner: Option<&str>) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner.s3.get_bucket_request_payment().bucket(bucket).set_expected_bucket_owner(owner.map(String::from)).send().await.map_err(|e| api_err(what, e))?;
    let payer = out.payer().map_or("BucketOwner", st::Payer::as_str);
    Ok(Some(BTreeMap::from([("payer".to_string(), Value::string(payer))])))
}

// ---- object lock ----

pub(crate) fn object_lock_to_sdk(v: &Value) -> st::ObjectLockConfiguration {
    let rule = first(v, "rule").and_then(|r| first(r, "default_retention")).map(|d| {
        let retention = st::DefaultRetention::builder()
            .set_mode(get_str(d, "mode").map(st::ObjectLockRetentionMode::from))
            .set_days(i32_of(d, "days"))
            .set_years(i32_of(d, "years"))
            .build();
        st::ObjectLockRule::builder().default_retention(retention).build()
    });
    st::ObjectLockConfiguration::builder().object_lock_enabled(st::ObjectLockEnabled::Enabled).set_rule(rule).build()
}

pub(crate) fn object_lock_from_sdk(c: &st::ObjectLockConfiguration) -> BTreeMap<String, Value> {
    let rule = c.rule().and_then(|r| r.default_retention()).map(|d| {
        let retention = Value::map([
            ("mode", opt_string(d.mode().map(st::ObjectLockRetentionMode::as_str))),
            // Retention periods are positive; 0 (an emulator's "unset") is absent.
            ("days", int(d.days().filter(|x| *x > 0))),
            ("years", int(d.years().filter(|x| *x > 0))),
        ]);
        Value::map([("default_retention", Value::List(vec![retention]))])
    });
    BTreeMap::from([
        ("object_lock_enabled".to_string(), opt_string(c.object_lock_enabled().map(st::ObjectLockEnabled::as_str))),
        ("rule".to_string(), opt_list(rule)),
    ])
}

async fn read_object_lock(inner: &Inner, what: &str, bucket: &str, owner: Option<&str>, shape: &Value) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let out = inner
        .s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .set_expected_bucket_owner(owner.map(String::from))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    let Some(c) = out.object_lock_configuration() else { return Ok(None) };
    let mut m = object_lock_from_sdk(c);
    // Write-only: S3 never reports the token.
    m.insert("token".into(), get(shape, "token").cloned().unwrap_or(Value::Null));
    Ok(Some(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn sse_round_trips_through_the_sdk_shape() {
        let v = cfg(serde_json::json!({"rule": [{"bucket_key_enabled": true,
            "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "arn:aws:kms:eu-west-1:1:key/k"}]}]}));
        let sdk = sse_to_sdk("t", &v).unwrap();
        let rule = &sdk.rules()[0];
        assert_eq!(rule.bucket_key_enabled(), Some(true));
        let by = rule.apply_server_side_encryption_by_default().unwrap();
        assert_eq!(by.sse_algorithm(), &st::ServerSideEncryption::AwsKms);
        assert_eq!(by.kms_master_key_id(), Some("arn:aws:kms:eu-west-1:1:key/k"));
        let back = sse_from_sdk(&sdk);
        let Value::Set(items) = &back else { panic!("{back:?}") };
        assert_eq!(get_bool(&items[0], "bucket_key_enabled"), Some(true));
        assert_eq!(first(&items[0], "apply_server_side_encryption_by_default").and_then(|d| get_str(d, "sse_algorithm")), Some("aws:kms"));
        assert_eq!(get(&items[0], "blocked_encryption_types"), None);
    }

    #[test]
    fn website_blocks_and_json_rules_make_the_same_sdk_rules() {
        let blocks = cfg(serde_json::json!({"index_document": [{"suffix": "index.html"}], "error_document": [{"key": "error.html"}],
            "routing_rule": [{"condition": [{"key_prefix_equals": "docs/"}], "redirect": [{"replace_key_prefix_with": "documents/"}]}]}));
        let json = cfg(serde_json::json!({"index_document": [{"suffix": "index.html"}],
            "routing_rules": "[{\"Condition\":{\"KeyPrefixEquals\":\"docs/\"},\"Redirect\":{\"ReplaceKeyPrefixWith\":\"documents/\"}}]"}));
        let a = website_to_sdk("t", &blocks).unwrap();
        let b = website_to_sdk("t", &json).unwrap();
        assert_eq!(a.routing_rules(), b.routing_rules());
        assert_eq!(a.index_document().map(|d| d.suffix()), Some("index.html"));
        assert_eq!(a.error_document().map(|d| d.key()), Some("error.html"));
        let rule = routing_rule_value(&a.routing_rules()[0]);
        assert_eq!(first(&rule, "condition").and_then(|c| get_str(c, "key_prefix_equals")), Some("docs/"));
        assert_eq!(first(&rule, "redirect").and_then(|c| get(c, "host_name")), None);
        let again = parse_routing_rules_json(&routing_rules_json(a.routing_rules())).unwrap();
        assert_eq!(again, a.routing_rules());
        assert!(parse_routing_rules_json("{}").is_err());
        assert!(parse_routing_rules_json("[{}]").is_err());
    }

    #[test]
    fn website_domains_follow_the_region_form() {
        assert_eq!(website_domain("us-east-1"), "s3-website-us-east-1.amazonaws.com");
        assert_eq!(website_domain("eu-central-1"), "s3-website.eu-central-1.amazonaws.com");
        assert_eq!(website_domain("cn-north-1"), "s3-website.cn-north-1.amazonaws.com.cn");
    }

    #[test]
    fn cors_rules_round_trip() {
        let v = cfg(serde_json::json!({"cors_rule": [{"allowed_methods": ["GET", "PUT"], "allowed_origins": ["https://a.example"],
            "allowed_headers": ["*"], "max_age_seconds": 3000}]}));
        let sdk = cors_to_sdk("t", &v).unwrap();
        assert_eq!(sdk.cors_rules()[0].max_age_seconds(), Some(3000));
        let back = cors_from_sdk(sdk.cors_rules());
        let Value::Set(items) = back else { panic!() };
        assert_eq!(get(&items[0], "allowed_methods"), Some(&Value::set(vec![Value::string("GET"), Value::string("PUT")])));
        assert_eq!(get(&items[0], "expose_headers"), None);
        assert_eq!(get_i64(&items[0], "max_age_seconds"), Some(3000));
    }

    #[test]
    fn logging_key_format_and_grants_round_trip() {
        let v = cfg(serde_json::json!({"target_bucket": "logs", "target_prefix": "log/",
            "target_grant": [{"permission": "READ", "grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}]}],
            "target_object_key_format": [{"partitioned_prefix": [{"partition_date_source": "EventTime"}]}]}));
        let sdk = logging_to_sdk("t", &v).unwrap();
        let f = sdk.target_object_key_format().unwrap();
        assert!(f.simple_prefix().is_none());
        assert_eq!(f.partitioned_prefix().and_then(|p| p.partition_date_source()), Some(&st::PartitionDateSource::EventTime));
        let back = logging_from_sdk(&sdk);
        assert_eq!(back["target_prefix"], Value::string("log/"));
        let Value::Set(g) = &back["target_grant"] else { panic!() };
        assert_eq!(get_str(&g[0], "permission"), Some("READ"));
        // simple_prefix {} is an empty block, kept as one.
        let simple = cfg(serde_json::json!({"target_bucket": "l", "target_prefix": "", "target_object_key_format": [{"simple_prefix": [{}]}]}));
        let sdk = logging_to_sdk("t", &simple).unwrap();
        let back = logging_from_sdk(&sdk);
        let Value::List(fmt) = &back["target_object_key_format"] else { panic!() };
        let fmt = first(&fmt[0], "simple_prefix").cloned();
        assert_eq!(fmt, Some(Value::Map(BTreeMap::new())));
    }

    #[test]
    fn object_lock_rule_round_trips() {
        let v = cfg(serde_json::json!({"rule": [{"default_retention": [{"mode": "GOVERNANCE", "days": 1}]}]}));
        let back = object_lock_from_sdk(&object_lock_to_sdk(&v));
        assert_eq!(back["object_lock_enabled"], Value::string("Enabled"));
        let rule = Value::map([("r", back["rule"].clone())]);
        let r = first(first(&rule, "r").unwrap(), "default_retention").unwrap();
        assert_eq!(get_str(r, "mode"), Some("GOVERNANCE"));
        assert_eq!(get_i64(r, "days"), Some(1));
        assert_eq!(get(r, "years"), None);
    }

    #[test]
    fn keep_shape_swaps_only_empty_equivalents() {
        let read = cfg(serde_json::json!({"a": "", "b": [], "c": "x", "d": null, "n": [{"p": ""}]}));
        let shape = cfg(serde_json::json!({"a": null, "b": null, "c": null, "d": "", "n": [{"p": null}]}));
        let out = keep_shape(read, &shape);
        assert_eq!(out, cfg(serde_json::json!({"a": null, "b": null, "c": "x", "d": "", "n": [{"p": null}]})));
    }

    #[test]
    fn policies_equal_as_json_keep_the_configured_text() {
        let conf = "{\"Version\": \"2012-10-17\", \"Statement\": []}";
        assert_eq!(same_json("{\"Statement\":[],\"Version\":\"2012-10-17\"}", Some(conf)), conf);
        assert_eq!(same_json("{\"Statement\":[1]}", Some(conf)), "{\"Statement\":[1]}");
    }

    #[test]
    fn validation_names_the_bad_argument() {
        let mut d = Diagnostics::new();
        validate(S3_BUCKET_ACCELERATE, &cfg(serde_json::json!({"bucket": "b", "status": "On"})), &mut d);
        validate(S3_BUCKET_POLICY, &cfg(serde_json::json!({"bucket": "b", "policy": "{"})), &mut d);
        validate(S3_BUCKET_CORS, &cfg(serde_json::json!({"bucket": "b", "cors_rule": [{"allowed_methods": ["FETCH"], "allowed_origins": ["*"]}]})), &mut d);
        let text: Vec<String> = d.iter().map(|x| x.summary.clone()).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].starts_with("status: \"On\""), "{text:?}");
        assert!(text[1].starts_with("policy: not a JSON document"), "{text:?}");
        assert!(text[2].contains("FETCH"), "{text:?}");
        let mut ok = Diagnostics::new();
        validate(S3_BUCKET_ACCELERATE, &cfg(serde_json::json!({"bucket": "b", "status": "Enabled"})), &mut ok);
        assert!(ok.is_empty());
    }

    #[test]
    fn cloudfront_log_delivery_id_is_per_partition() {
        assert_eq!(cloudfront_log_delivery_id("eu-west-1"), CLOUDFRONT_LOG_DELIVERY_ID);
        assert_eq!(cloudfront_log_delivery_id("cn-northwest-1"), CLOUDFRONT_LOG_DELIVERY_ID_CN);
    }
}
