//! S3 bucket rule sets (aws-sdk-s3): `aws_s3_bucket_lifecycle_configuration`
//! and `aws_s3_bucket_replication_configuration`. The frame (identity,
//! create = update = put of the whole configuration, read-back) is in
//! `s3sub.rs`; delete is `DeleteBucketLifecycle` / `DeleteBucketReplication`.
//!
//! An empty `filter {}` block is sent as a filter with an empty prefix (all
//! objects), as Terraform does, and read back as the empty block.

use crate::s3sub::{b, bf, first, i32_of, int, map_s, n, one, opt_list, owned, s, check_enum};
use crate::util::*;
use crate::Inner;
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
use aws_sdk_s3::types as st;
use contin_provider::{AttrSchema as A, BlockSchema, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const S3_BUCKET_LIFECYCLE: &str = "aws_s3_bucket_lifecycle_configuration";
pub const S3_BUCKET_REPLICATION: &str = "aws_s3_bucket_replication_configuration";
pub(crate) const TYPES: &[&str] = &[S3_BUCKET_LIFECYCLE, S3_BUCKET_REPLICATION];

/// S3 accepts at most 1000 rules in either configuration.
const MAX_RULES: usize = 1000;

pub(crate) fn is_rules(ty: &str) -> bool {
    TYPES.contains(&ty)
}

fn status_block() -> BlockSchema {
    BlockSchema::default().attr("status", A::required(s()).describe("Enabled or Disabled"))
}

fn tag_block() -> BlockSchema {
    BlockSchema::default().attr("key", A::required(s())).attr("value", A::required(s()))
}

pub fn lifecycle_schema() -> BlockSchema {
    let and = BlockSchema::default()
        .attr("object_size_greater_than", A::optional(n()))
        .attr("object_size_less_than", A::optional(n()))
        .attr("prefix", A::optional(s()))
        .attr("tags", A::optional(map_s()));
    let filter = BlockSchema::default()
        .attr("object_size_greater_than", A::optional(n()))
        .attr("object_size_less_than", A::optional(n()))
        .attr("prefix", A::optional(s()))
        .block("tag", one(tag_block(), 0))
        .block("and", one(and, 0));
    let expiration = BlockSchema::default()
        .attr("date", A::optional(s()).describe("RFC 3339 date"))
        .attr("days", A::optional(n()))
        .attr("expired_object_delete_marker", A::optional(b()));
    let transition = BlockSchema::default()
        .attr("date", A::optional(s()))
        .attr("days", A::optional(n()))
        .attr("storage_class", A::required(s()));
    let nv_transition = BlockSchema::default()
        .attr("newer_noncurrent_versions", A::optional(n()))
        .attr("noncurrent_days", A::optional(n()))
        .attr("storage_class", A::required(s()));
    let nv_expiration = BlockSchema::default().attr("newer_noncurrent_versions", A::optional(n())).attr("noncurrent_days", A::optional(n()));
    let rule = BlockSchema::default()
        .attr("id", A::required(s()))
        .attr("status", A::required(s()).describe("Enabled or Disabled"))
        .attr("prefix", A::optional(s()).describe("deprecated: use filter"))
        .block("abort_incomplete_multipart_upload", one(BlockSchema::default().attr("days_after_initiation", A::optional(n())), 0))
        .block("expiration", one(expiration, 0))
        .block("filter", one(filter, 0))
        .block("noncurrent_version_expiration", one(nv_expiration, 0))
        .block("noncurrent_version_transition", crate::s3sub::set(nv_transition, 0, None))
        .block("transition", crate::s3sub::set(transition, 0, None));
    crate::s3sub::base()
        .attr(
            "transition_default_minimum_object_size",
            A::optional_computed(s()).describe("all_storage_classes_128K (default) or varies_by_storage_class"),
        )
        .block("rule", crate::s3sub::list(rule, 1, Some(MAX_RULES)))
}

pub fn replication_schema() -> BlockSchema {
    let minutes = || BlockSchema::default().attr("minutes", A::required(n()));
    let destination = BlockSchema::default()
        .attr("bucket", A::required(s()).describe("ARN of the destination bucket"))
        .attr("account", A::optional(s()))
        .attr("storage_class", A::optional(s()))
        .block("access_control_translation", one(BlockSchema::default().attr("owner", A::required(s()).describe("Destination")), 0))
        .block("encryption_configuration", one(BlockSchema::default().attr("replica_kms_key_id", A::required(s())), 0))
        .block("replication_time", one(status_block().block("time", one(minutes(), 1)), 0))
        .block("metrics", one(status_block().block("event_threshold", one(minutes(), 0)), 0));
    let criteria = BlockSchema::default()
        .block("replica_modifications", one(status_block(), 0))
        .block("sse_kms_encrypted_objects", one(status_block(), 0));
    let filter = BlockSchema::default()
        .attr("prefix", A::optional(s()))
        .block("tag", one(tag_block(), 0))
        .block("and", one(BlockSchema::default().attr("prefix", A::optional(s())).attr("tags", A::optional(map_s())), 0));
    let rule = BlockSchema::default()
        .attr("id", A::optional_computed(s()))
        .attr("priority", A::optional(n()))
        .attr("prefix", A::optional(s()).describe("deprecated: use filter"))
        .attr("status", A::required(s()).describe("Enabled or Disabled"))
        .block("delete_marker_replication", one(status_block(), 0))
        .block("existing_object_replication", one(status_block(), 0))
        .block("destination", one(destination, 1))
        .block("source_selection_criteria", one(criteria, 0))
        .block("filter", one(filter, 0));
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new().describe("name of the source bucket"))
        .attr("role", A::required(s()).describe("ARN of the IAM role S3 assumes to replicate"))
        .attr("token", A::optional(s()).sensitive().describe("object lock token of the source bucket"))
        .attr("id", A::computed(s()))
        .block("rule", crate::s3sub::list(rule, 1, Some(MAX_RULES)))
}

pub(crate) fn schema_of(ty: &str) -> Option<BlockSchema> {
    match ty {
        S3_BUCKET_LIFECYCLE => Some(lifecycle_schema()),
        S3_BUCKET_REPLICATION => Some(replication_schema()),
        _ => None,
    }
}

const STORAGE_CLASSES: &[&str] = &["GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"];

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    for r in get_blocks(cfg, "rule") {
        check_enum(d, r, "rule.", "status", &["Enabled", "Disabled"]);
        if ty == S3_BUCKET_LIFECYCLE {
            for t in get_blocks(r, "transition").into_iter().chain(get_blocks(r, "noncurrent_version_transition")) {
                check_enum(d, t, "rule.transition.", "storage_class", STORAGE_CLASSES);
            }
            for (block, v) in [("expiration", first(r, "expiration")), ("transition", first(r, "transition"))] {
                if let Some(date) = v.and_then(|v| get_str(v, "date")) {
                    if parse_date(date).is_none() {
                        d.push(Diagnostic::error(format!("rule.{block}.date: {date:?} is not an RFC 3339 date (2006-01-02T00:00:00Z)")));
                    }
                }
            }
            if let Some(f) = first(r, "filter") {
                let set = ["prefix", "object_size_greater_than", "object_size_less_than"].iter().filter(|k| get(f, k).is_some_and(|v| !v.is_null())).count()
                    + get_blocks(f, "tag").len()
                    + get_blocks(f, "and").len();
                if set > 1 {
                    d.push(
                        Diagnostic::error("rule.filter: set one of prefix, object_size_greater_than, object_size_less_than, tag or and")
                            .with_detail("several conditions go in an and block"),
                    );
                }
            }
        } else {
            if let Some(dest) = first(r, "destination") {
                if let Some(a) = first(dest, "access_control_translation") {
                    check_enum(d, a, "rule.destination.access_control_translation.", "owner", &["Destination"]);
                }
            }
            for blk in ["delete_marker_replication", "existing_object_replication"] {
                if let Some(x) = first(r, blk) {
                    check_enum(d, x, &format!("rule.{blk}."), "status", &["Enabled", "Disabled"]);
                }
            }
        }
    }
    if ty == S3_BUCKET_LIFECYCLE {
        check_enum(d, cfg, "", "transition_default_minimum_object_size", &["all_storage_classes_128K", "varies_by_storage_class"]);
    }
}

/// An RFC 3339 date, or a bare `YYYY-MM-DD` (midnight UTC).
fn parse_date(s: &str) -> Option<DateTime> {
    DateTime::from_str(s, DateTimeFormat::DateTime).ok().or_else(|| DateTime::from_str(&format!("{s}T00:00:00Z"), DateTimeFormat::DateTime).ok())
}

/// `d` as RFC 3339, in the configuration's spelling when it is the same instant.
fn date_value(d: Option<&DateTime>, shape: Option<&str>) -> Value {
    let Some(d) = d else { return Value::Null };
    if let Some(s) = shape {
        if parse_date(s).as_ref() == Some(d) {
            return Value::string(s);
        }
    }
    d.fmt(DateTimeFormat::DateTime).map_or(Value::Null, Value::String)
}

fn tags_to_sdk(what: &str, v: Option<&Value>) -> Result<Vec<st::Tag>, ProviderError> {
    str_map(v).into_iter().map(|(k, v)| st::Tag::builder().key(k).value(v).build().map_err(bf(what))).collect()
}

fn tags_value(tags: &[st::Tag]) -> Value {
    if tags.is_empty() {
        return Value::Null;
    }
    Value::Map(tags.iter().map(|t| (t.key().to_string(), Value::string(t.value()))).collect())
}

fn tag_value(t: Option<&st::Tag>) -> Value {
    opt_list(t.map(|t| Value::map([("key", Value::string(t.key())), ("value", Value::string(t.value()))])))
}

fn status_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(|v| get_str(v, "status"))
}

fn status_value(s: Option<&str>) -> Value {
    opt_list(s.map(|s| Value::map([("status", Value::string(s))])))
}

// ---- lifecycle ----

// `prefix` is deprecated by S3 and Terraform alike, still accepted.
#[allow(deprecated)]
pub(crate) fn lifecycle_rule_to_sdk(what: &str, r: &Value) -> Result<st::LifecycleRule, ProviderError> {
    let filter = match first(r, "filter") {
        Some(f) => {
            let tag = match first(f, "tag") {
                Some(t) => Some(st::Tag::builder().key(get_str(t, "key").unwrap_or_default()).value(get_str(t, "value").unwrap_or_default()).build().map_err(bf(what))?),
                None => None,
            };
            let and = match first(f, "and") {
                Some(a) => Some(
                    st::LifecycleRuleAndOperator::builder()
                        .set_prefix(owned(a, "prefix"))
                        .set_object_size_greater_than(get_i64(a, "object_size_greater_than"))
                        .set_object_size_less_than(get_i64(a, "object_size_less_than"))
                        .set_tags(Some(tags_to_sdk(what, get(a, "tags"))?).filter(|t| !t.is_empty()))
                        .build(),
                ),
                None => None,
            };
            let gt = get_i64(f, "object_size_greater_than");
            let lt = get_i64(f, "object_size_less_than");
            // `filter {}`: every object (an empty prefix).
            let prefix = owned(f, "prefix").or_else(|| (tag.is_none() && and.is_none() && gt.is_none() && lt.is_none()).then(String::new));
            Some(st::LifecycleRuleFilter::builder().set_prefix(prefix).set_tag(tag).set_and(and).set_object_size_greater_than(gt).set_object_size_less_than(lt).build())
        }
        None => None,
    };
    let expiration = first(r, "expiration").map(|e| {
        st::LifecycleExpiration::builder()
            .set_date(get_str(e, "date").and_then(parse_date))
            .set_days(i32_of(e, "days"))
            .set_expired_object_delete_marker(get_bool(e, "expired_object_delete_marker"))
            .build()
    });
    let transitions: Vec<st::Transition> = get_blocks(r, "transition")
        .into_iter()
        .map(|t| {
            st::Transition::builder()
                .set_date(get_str(t, "date").and_then(parse_date))
                .set_days(i32_of(t, "days"))
                .set_storage_class(get_str(t, "storage_class").map(st::TransitionStorageClass::from))
                .build()
        })
        .collect();
    let nv_transitions: Vec<st::NoncurrentVersionTransition> = get_blocks(r, "noncurrent_version_transition")
        .into_iter()
        .map(|t| {
            st::NoncurrentVersionTransition::builder()
                .set_noncurrent_days(i32_of(t, "noncurrent_days"))
                .set_newer_noncurrent_versions(i32_of(t, "newer_noncurrent_versions"))
                .set_storage_class(get_str(t, "storage_class").map(st::TransitionStorageClass::from))
                .build()
        })
        .collect();
    let nv_expiration = first(r, "noncurrent_version_expiration").map(|e| {
        st::NoncurrentVersionExpiration::builder()
            .set_noncurrent_days(i32_of(e, "noncurrent_days"))
            .set_newer_noncurrent_versions(i32_of(e, "newer_noncurrent_versions"))
            .build()
    });
    let abort = first(r, "abort_incomplete_multipart_upload")
        .map(|a| st::AbortIncompleteMultipartUpload::builder().set_days_after_initiation(i32_of(a, "days_after_initiation")).build());
    st::LifecycleRule::builder()
        .set_id(owned(r, "id"))
        .status(st::ExpirationStatus::from(get_str(r, "status").unwrap_or("Enabled")))
        .set_prefix(if filter.is_none() { owned(r, "prefix") } else { None })
        .set_filter(filter)
        .set_expiration(expiration)
        .set_transitions((!transitions.is_empty()).then_some(transitions))
        .set_noncurrent_version_transitions((!nv_transitions.is_empty()).then_some(nv_transitions))
        .set_noncurrent_version_expiration(nv_expiration)
        .set_abort_incomplete_multipart_upload(abort)
        .build()
        .map_err(bf(what))
}

/// One rule read back; `shape` is the configured rule at the same index (dates keep its spelling).
// `prefix` is deprecated by S3 and Terraform alike, still accepted.
#[allow(deprecated)]
pub(crate) fn lifecycle_rule_value(r: &st::LifecycleRule, shape: Option<&Value>) -> Value {
    let shape_date = |blk: &str| shape.and_then(|s| first(s, blk)).and_then(|e| get_str(e, "date"));
    let filter = r.filter().map(|f| {
        let and = f.and().map(|a| {
            Value::map([
                ("object_size_greater_than", a.object_size_greater_than().map_or(Value::Null, Value::int)),
                ("object_size_less_than", a.object_size_less_than().map_or(Value::Null, Value::int)),
                ("prefix", opt_string(a.prefix())),
                ("tags", tags_value(a.tags())),
            ])
        });
        Value::map([
            ("object_size_greater_than", f.object_size_greater_than().map_or(Value::Null, Value::int)),
            ("object_size_less_than", f.object_size_less_than().map_or(Value::Null, Value::int)),
            ("prefix", opt_string(f.prefix())),
            ("tag", tag_value(f.tag())),
            ("and", opt_list(and)),
        ])
    });
    let expiration = r.expiration().map(|e| {
        Value::map([
            ("date", date_value(e.date(), shape_date("expiration"))),
            ("days", int(e.days())),
            ("expired_object_delete_marker", e.expired_object_delete_marker().map_or(Value::Null, Value::Bool)),
        ])
    });
    let transitions: Vec<Value> = r
        .transitions()
        .iter()
        .map(|t| {
            let configured = shape.map(|s| get_blocks(s, "transition")).unwrap_or_default();
            let same_date = configured.iter().filter_map(|c| get_str(c, "date")).find(|c| parse_date(c).as_ref() == t.date());
            Value::map([
                ("date", date_value(t.date(), same_date)),
                ("days", int(t.days())),
                ("storage_class", opt_string(t.storage_class().map(st::TransitionStorageClass::as_str))),
            ])
        })
        .collect();
    let nv_transitions: Vec<Value> = r
        .noncurrent_version_transitions()
        .iter()
        .map(|t| {
            Value::map([
                ("newer_noncurrent_versions", int(t.newer_noncurrent_versions())),
                ("noncurrent_days", int(t.noncurrent_days())),
                ("storage_class", opt_string(t.storage_class().map(st::TransitionStorageClass::as_str))),
            ])
        })
        .collect();
    let nv_expiration = r.noncurrent_version_expiration().map(|e| {
        Value::map([("newer_noncurrent_versions", int(e.newer_noncurrent_versions())), ("noncurrent_days", int(e.noncurrent_days()))])
    });
    let abort = r.abort_incomplete_multipart_upload().map(|a| Value::map([("days_after_initiation", int(a.days_after_initiation()))]));
    Value::map([
        ("id", opt_string(r.id())),
        ("status", Value::string(r.status().as_str())),
        ("prefix", opt_string(r.prefix())),
        ("filter", opt_list(filter)),
        ("expiration", opt_list(expiration)),
        ("transition", Value::set(transitions)),
        ("noncurrent_version_transition", Value::set(nv_transitions)),
        ("noncurrent_version_expiration", opt_list(nv_expiration)),
        ("abort_incomplete_multipart_upload", opt_list(abort)),
    ])
}

// ---- replication ----

// `prefix` is deprecated by S3 and Terraform alike, still accepted.
#[allow(deprecated)]
pub(crate) fn replication_rule_to_sdk(what: &str, r: &Value) -> Result<st::ReplicationRule, ProviderError> {
    let filter = match first(r, "filter") {
        Some(f) => {
            let tag = match first(f, "tag") {
                Some(t) => Some(st::Tag::builder().key(get_str(t, "key").unwrap_or_default()).value(get_str(t, "value").unwrap_or_default()).build().map_err(bf(what))?),
                None => None,
            };
            let and = match first(f, "and") {
                Some(a) => Some(
                    st::ReplicationRuleAndOperator::builder()
                        .set_prefix(owned(a, "prefix"))
                        .set_tags(Some(tags_to_sdk(what, get(a, "tags"))?).filter(|t| !t.is_empty()))
                        .build(),
                ),
                None => None,
            };
            let prefix = owned(f, "prefix").or_else(|| (tag.is_none() && and.is_none()).then(String::new));
            Some(st::ReplicationRuleFilter::builder().set_prefix(prefix).set_tag(tag).set_and(and).build())
        }
        None => None,
    };
    let dest = first(r, "destination");
    let destination = match dest {
        Some(d) => {
            let act = match first(d, "access_control_translation") {
                Some(a) => Some(st::AccessControlTranslation::builder().owner(st::OwnerOverride::from(get_str(a, "owner").unwrap_or("Destination"))).build().map_err(bf(what))?),
                None => None,
            };
            let enc = first(d, "encryption_configuration").map(|e| st::EncryptionConfiguration::builder().set_replica_kms_key_id(owned(e, "replica_kms_key_id")).build());
            let rt = match first(d, "replication_time") {
                Some(t) => Some(
                    st::ReplicationTime::builder()
                        .status(st::ReplicationTimeStatus::from(get_str(t, "status").unwrap_or("Enabled")))
                        .set_time(first(t, "time").map(|m| st::ReplicationTimeValue::builder().set_minutes(i32_of(m, "minutes")).build()))
                        .build()
                        .map_err(bf(what))?,
                ),
                None => None,
            };
            let metrics = match first(d, "metrics") {
                Some(m) => Some(
                    st::Metrics::builder()
                        .status(st::MetricsStatus::from(get_str(m, "status").unwrap_or("Enabled")))
                        .set_event_threshold(first(m, "event_threshold").map(|e| st::ReplicationTimeValue::builder().set_minutes(i32_of(e, "minutes")).build()))
                        .build()
                        .map_err(bf(what))?,
                ),
                None => None,
            };
            Some(
                st::Destination::builder()
                    .bucket(get_str(d, "bucket").unwrap_or_default())
                    .set_account(owned(d, "account"))
                    .set_storage_class(get_str(d, "storage_class").map(st::StorageClass::from))
                    .set_access_control_translation(act)
                    .set_encryption_configuration(enc)
                    .set_replication_time(rt)
                    .set_metrics(metrics)
                    .build()
                    .map_err(bf(what))?,
            )
        }
        None => None,
    };
    let criteria = match first(r, "source_selection_criteria") {
        Some(c) => {
            let rm = match status_of(first(c, "replica_modifications")) {
                Some(s) => Some(st::ReplicaModifications::builder().status(st::ReplicaModificationsStatus::from(s)).build().map_err(bf(what))?),
                None => None,
            };
            let sse = match status_of(first(c, "sse_kms_encrypted_objects")) {
                Some(s) => Some(st::SseKmsEncryptedObjects::builder().status(st::SseKmsEncryptedObjectsStatus::from(s)).build().map_err(bf(what))?),
                None => None,
            };
            Some(st::SourceSelectionCriteria::builder().set_replica_modifications(rm).set_sse_kms_encrypted_objects(sse).build())
        }
        None => None,
    };
    let existing = match status_of(first(r, "existing_object_replication")) {
        Some(s) => Some(st::ExistingObjectReplication::builder().status(st::ExistingObjectReplicationStatus::from(s)).build().map_err(bf(what))?),
        None => None,
    };
    let dmr = status_of(first(r, "delete_marker_replication")).map(|s| st::DeleteMarkerReplication::builder().status(st::DeleteMarkerReplicationStatus::from(s)).build());
    st::ReplicationRule::builder()
        .set_id(owned(r, "id"))
        .set_priority(i32_of(r, "priority"))
        .set_prefix(if filter.is_none() { owned(r, "prefix") } else { None })
        .set_filter(filter)
        .status(st::ReplicationRuleStatus::from(get_str(r, "status").unwrap_or("Enabled")))
        .set_destination(destination)
        .set_source_selection_criteria(criteria)
        .set_existing_object_replication(existing)
        .set_delete_marker_replication(dmr)
        .build()
        .map_err(bf(what))
}

// `prefix` is deprecated by S3 and Terraform alike, still accepted.
#[allow(deprecated)]
pub(crate) fn replication_rule_value(r: &st::ReplicationRule) -> Value {
    let minutes = |v: Option<&st::ReplicationTimeValue>| opt_list(v.map(|m| Value::map([("minutes", int(m.minutes()))])));
    let dest = r.destination().map(|d| {
        Value::map([
            ("bucket", Value::string(d.bucket())),
            ("account", opt_string(d.account())),
            ("storage_class", opt_string(d.storage_class().map(st::StorageClass::as_str))),
            (
                "access_control_translation",
                opt_list(d.access_control_translation().map(|a| Value::map([("owner", Value::string(a.owner().as_str()))]))),
            ),
            (
                "encryption_configuration",
                opt_list(d.encryption_configuration().map(|e| Value::map([("replica_kms_key_id", opt_string(e.replica_kms_key_id()))]))),
            ),
            (
                "replication_time",
                opt_list(d.replication_time().map(|t| Value::map([("status", Value::string(t.status().as_str())), ("time", minutes(t.time()))]))),
            ),
            (
                "metrics",
                opt_list(d.metrics().map(|m| Value::map([("status", Value::string(m.status().as_str())), ("event_threshold", minutes(m.event_threshold()))]))),
            ),
        ])
    });
    let criteria = r.source_selection_criteria().map(|c| {
        Value::map([
            ("replica_modifications", status_value(c.replica_modifications().map(|x| x.status().as_str()))),
            ("sse_kms_encrypted_objects", status_value(c.sse_kms_encrypted_objects().map(|x| x.status().as_str()))),
        ])
    });
    let filter = r.filter().map(|f| {
        let and = f.and().map(|a| Value::map([("prefix", opt_string(a.prefix())), ("tags", tags_value(a.tags()))]));
        Value::map([("prefix", opt_string(f.prefix())), ("tag", tag_value(f.tag())), ("and", opt_list(and))])
    });
    Value::map([
        ("id", opt_string(r.id())),
        ("priority", int(r.priority())),
        ("prefix", opt_string(r.prefix())),
        ("status", Value::string(r.status().as_str())),
        ("delete_marker_replication", status_value(r.delete_marker_replication().and_then(|d| d.status()).map(|s| s.as_str()))),
        ("existing_object_replication", status_value(r.existing_object_replication().map(|e| e.status().as_str()))),
        ("destination", opt_list(dest)),
        ("source_selection_criteria", opt_list(criteria)),
        ("filter", opt_list(filter)),
    ])
}

// ---- calls ----

pub(crate) async fn read(
    inner: &Inner,
    ty: &str,
    what: &str,
    bucket: &str,
    owner: Option<&str>,
    shape: &Value,
) -> Result<Option<BTreeMap<String, Value>>, ProviderError> {
    let mut m = BTreeMap::new();
    if ty == S3_BUCKET_LIFECYCLE {
        let out = inner
            .s3
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owner.map(String::from))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        if out.rules().is_empty() {
            return Ok(None);
        }
        let shapes = get_blocks(shape, "rule");
        let rules = out.rules().iter().enumerate().map(|(i, r)| lifecycle_rule_value(r, shapes.get(i).copied())).collect();
        m.insert("rule".to_string(), Value::List(rules));
        let min_size = out.transition_default_minimum_object_size().map_or("all_storage_classes_128K", |t| t.as_str());
        m.insert("transition_default_minimum_object_size".into(), Value::string(min_size));
    } else {
        let out = inner.s3.get_bucket_replication().bucket(bucket).send().await.map_err(|e| api_err(what, e))?;
        let Some(c) = out.replication_configuration() else { return Ok(None) };
        m.insert("role".to_string(), Value::string(c.role()));
        m.insert("rule".into(), Value::List(c.rules().iter().map(replication_rule_value).collect()));
        // Write-only: S3 never reports the token.
        m.insert("token".into(), get(shape, "token").cloned().unwrap_or(Value::Null));
    }
    Ok(Some(m))
}

pub(crate) async fn put(inner: &Inner, ty: &str, what: &str, planned: &Value) -> Result<(), ProviderError> {
    let bucket = get_str(planned, "bucket").unwrap_or_default();
    if ty == S3_BUCKET_LIFECYCLE {
        let rules = get_blocks(planned, "rule").into_iter().map(|r| lifecycle_rule_to_sdk(what, r)).collect::<Result<Vec<_>, _>>()?;
        let conf = st::BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().map_err(bf(what))?;
        inner
            .s3
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owned(planned, "expected_bucket_owner"))
            .set_transition_default_minimum_object_size(get_str(planned, "transition_default_minimum_object_size").map(st::TransitionDefaultMinimumObjectSize::from))
            .lifecycle_configuration(conf)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    } else {
        let rules = get_blocks(planned, "rule").into_iter().map(|r| replication_rule_to_sdk(what, r)).collect::<Result<Vec<_>, _>>()?;
        let conf = st::ReplicationConfiguration::builder().role(get_str(planned, "role").unwrap_or_default()).set_rules(Some(rules)).build().map_err(bf(what))?;
        inner
            .s3
            .put_bucket_replication()
            .bucket(bucket)
            .set_token(owned(planned, "token"))
            .replication_configuration(conf)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, bucket: &str, owner: Option<String>) -> Result<(), ProviderError> {
    if ty == S3_BUCKET_LIFECYCLE {
        inner.s3.delete_bucket_lifecycle().bucket(bucket).set_expected_bucket_owner(owner).send().await.map(drop).map_err(|e| api_err(addr, e))
    } else {
        inner.s3.delete_bucket_replication().bucket(bucket).send().await.map(drop).map_err(|e| api_err(addr, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn lifecycle_rule_round_trips_with_its_date_spelling() {
        let r = cfg(serde_json::json!({"id": "log", "status": "Enabled",
            "filter": [{"and": [{"prefix": "log/", "tags": {"rule": "log", "autoclean": "true"}}]}],
            "transition": [{"days": 30, "storage_class": "ONEZONE_IA"}, {"date": "2030-01-01", "storage_class": "GLACIER"}],
            "expiration": [{"days": 90}],
            "noncurrent_version_expiration": [{"noncurrent_days": 30, "newer_noncurrent_versions": 5}],
            "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}]}));
        let sdk = lifecycle_rule_to_sdk("t", &r).unwrap();
        assert_eq!(sdk.filter().and_then(|f| f.and()).map(|a| a.tags().len()), Some(2));
        assert_eq!(sdk.transitions().len(), 2);
        let back = lifecycle_rule_value(&sdk, Some(&r));
        assert_eq!(get_str(&back, "id"), Some("log"));
        let Some(Value::Set(ts)) = get(&back, "transition") else { panic!() };
        assert!(ts.iter().any(|t| get_str(t, "date") == Some("2030-01-01")), "{ts:?}");
        let and = first(first(&back, "filter").unwrap(), "and").unwrap();
        assert_eq!(get(and, "tags"), Some(&Value::map([("autoclean", Value::string("true")), ("rule", Value::string("log"))])));
        assert_eq!(first(&back, "expiration").and_then(|e| get_i64(e, "days")), Some(90));
        assert_eq!(first(&back, "abort_incomplete_multipart_upload").and_then(|e| get_i64(e, "days_after_initiation")), Some(7));
    }

    #[test]
    fn an_empty_lifecycle_filter_means_every_object() {
        let r = cfg(serde_json::json!({"id": "all", "status": "Disabled", "filter": [{}], "expiration": [{"days": 1}]}));
        let sdk = lifecycle_rule_to_sdk("t", &r).unwrap();
        assert_eq!(sdk.filter().and_then(|f| f.prefix()), Some(""));
        assert_eq!(sdk.status(), &st::ExpirationStatus::Disabled);
        // Read back, "" for the prefix becomes the configuration's null.
        let back = crate::s3sub::keep_shape(lifecycle_rule_value(&sdk, Some(&r)), &r);
        assert_eq!(first(&back, "filter").and_then(|f| get(f, "prefix")), None);
    }

    #[test]
    fn replication_rule_round_trips() {
        let r = cfg(serde_json::json!({"id": "kms", "priority": 10, "status": "Enabled",
            "delete_marker_replication": [{"status": "Disabled"}],
            "source_selection_criteria": [{"replica_modifications": [{"status": "Enabled"}], "sse_kms_encrypted_objects": [{"status": "Enabled"}]}],
            "filter": [{"and": [{"prefix": "one", "tags": {"ReplicateMe": "Yes"}}]}],
            "destination": [{"bucket": "arn:aws:s3:::replica", "storage_class": "STANDARD", "account": "123456789012",
                "encryption_configuration": [{"replica_kms_key_id": "arn:aws:kms:eu-central-1:1:key/x"}],
                "access_control_translation": [{"owner": "Destination"}],
                "replication_time": [{"status": "Enabled", "time": [{"minutes": 15}]}],
                "metrics": [{"status": "Enabled", "event_threshold": [{"minutes": 15}]}]}]}));
        let sdk = replication_rule_to_sdk("t", &r).unwrap();
        assert_eq!(sdk.priority(), Some(10));
        assert_eq!(sdk.destination().and_then(|d| d.replication_time()).and_then(|t| t.time()).and_then(|t| t.minutes()), Some(15));
        let back = replication_rule_value(&sdk);
        // Blocks the configuration leaves out come back as null, not [].
        let kept = crate::s3sub::keep_shape(back.clone(), &r);
        assert_eq!(get(&kept, "existing_object_replication"), None);
        assert_eq!(first(&back, "source_selection_criteria"), first(&kept, "source_selection_criteria"));
        let d = first(&back, "destination").unwrap();
        assert_eq!(get_str(d, "account"), Some("123456789012"));
        assert_eq!(first(d, "metrics").and_then(|m| first(m, "event_threshold")).and_then(|e| get_i64(e, "minutes")), Some(15));
        assert_eq!(first(&back, "delete_marker_replication").and_then(|x| get_str(x, "status")), Some("Disabled"));
    }

    #[test]
    fn lifecycle_validation_catches_two_filter_conditions_and_bad_dates() {
        let mut d = Diagnostics::new();
        let c = cfg(serde_json::json!({"bucket": "b", "rule": [{"id": "x", "status": "Enabled",
            "filter": [{"prefix": "a/", "object_size_greater_than": 10}], "expiration": [{"date": "tomorrow"}]}]}));
        validate(S3_BUCKET_LIFECYCLE, &c, &mut d);
        let text: Vec<String> = d.iter().map(|x| x.summary.clone()).collect();
        assert!(text.iter().any(|t| t.starts_with("rule.filter:")), "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("rule.expiration.date:")), "{text:?}");
    }
}
