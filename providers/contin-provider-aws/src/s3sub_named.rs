//! Named S3 bucket configurations (aws-sdk-s3): `aws_s3_bucket_analytics_configuration`,
//! `aws_s3_bucket_inventory`, `aws_s3_bucket_metric`,
//! `aws_s3_bucket_intelligent_tiering_configuration`. Identity is the bucket
//! and the configuration's `name` (S3's configuration id); Terraform's id is
//! `BUCKET:NAME`. Create and update put the whole configuration under that
//! id (idempotent: a re-run after a crash puts it again); delete is the
//! SDK's delete call for that id.
//!
//! moto 5.2 gaps: analytics, metrics and intelligent tiering are not
//! implemented by moto at all, and moto's inventory has no delete (a
//! `DELETE ?inventory` reaches moto's delete-bucket handler); these are
//! implemented by the official API and tested offline (schema, validation,
//! conversions), inventory create/read/update against moto.

use crate::s3sub::{b, bf, check_enum, first, i32_of, map_s, named_base, one, opt_list, owned, s, set, set_s};
use crate::util::*;
use crate::Inner;
use aws_sdk_s3::types as st;
use contin_provider::{AttrSchema as A, BlockSchema, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const S3_BUCKET_ANALYTICS: &str = "aws_s3_bucket_analytics_configuration";
pub const S3_BUCKET_INVENTORY: &str = "aws_s3_bucket_inventory";
pub const S3_BUCKET_METRIC: &str = "aws_s3_bucket_metric";
pub const S3_BUCKET_INTELLIGENT_TIERING: &str = "aws_s3_bucket_intelligent_tiering_configuration";
pub(crate) const TYPES: &[&str] = &[S3_BUCKET_ANALYTICS, S3_BUCKET_INVENTORY, S3_BUCKET_METRIC, S3_BUCKET_INTELLIGENT_TIERING];

/// S3 configuration ids are at most 64 characters.
const MAX_NAME: usize = 64;

pub(crate) fn is_named(ty: &str) -> bool {
    TYPES.contains(&ty)
}

fn prefix_tags_filter() -> BlockSchema {
    BlockSchema::default().attr("prefix", A::optional(s())).attr("tags", A::optional(map_s()))
}

pub fn analytics_schema() -> BlockSchema {
    let dest = BlockSchema::default()
        .attr("bucket_arn", A::required(s()))
        .attr("bucket_account_id", A::optional(s()))
        .attr("format", A::optional_computed(s()).describe("CSV (the default)"))
        .attr("prefix", A::optional(s()));
    let export = BlockSchema::default()
        .attr("output_schema_version", A::optional_computed(s()).describe("V_1 (the default)"))
        .block("destination", one(BlockSchema::default().block("s3_bucket_destination", one(dest, 1)), 1));
    named_base()
        .block("filter", one(prefix_tags_filter(), 0))
        .block("storage_class_analysis", one(BlockSchema::default().block("data_export", one(export, 1)), 0))
}

pub fn inventory_schema() -> BlockSchema {
    let encryption = BlockSchema::default()
        .block("sse_kms", one(BlockSchema::default().attr("key_id", A::required(s())), 0))
        .block("sse_s3", one(BlockSchema::default(), 0));
    let bucket = BlockSchema::default()
        .attr("bucket_arn", A::required(s()))
        .attr("format", A::required(s()).describe("CSV, ORC or Parquet"))
        .attr("account_id", A::optional(s()))
        .attr("prefix", A::optional(s()))
        .block("encryption", one(encryption, 0));
    named_base()
        .attr("enabled", A::optional_computed(b()).describe("default true"))
        .attr("included_object_versions", A::required(s()).describe("All or Current"))
        .attr("optional_fields", A::optional(set_s()))
        .block("destination", one(BlockSchema::default().block("bucket", one(bucket, 1)), 1))
        .block("schedule", one(BlockSchema::default().attr("frequency", A::required(s()).describe("Daily or Weekly")), 1))
        .block("filter", one(BlockSchema::default().attr("prefix", A::optional(s())), 0))
}

pub fn metric_schema() -> BlockSchema {
    named_base().block("filter", one(prefix_tags_filter().attr("access_point", A::optional(s())), 0))
}

pub fn intelligent_tiering_schema() -> BlockSchema {
    let tiering = BlockSchema::default()
        .attr("access_tier", A::required(s()).describe("ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS"))
        .attr("days", A::required(crate::s3sub::n()));
    named_base()
        .attr("status", A::optional_computed(s()).describe("Enabled (the default) or Disabled"))
        .block("filter", one(prefix_tags_filter(), 0))
        .block("tiering", set(tiering, 1, None))
}

pub(crate) fn schema_of(ty: &str) -> Option<BlockSchema> {
    Some(match ty {
        S3_BUCKET_ANALYTICS => analytics_schema(),
        S3_BUCKET_INVENTORY => inventory_schema(),
        S3_BUCKET_METRIC => metric_schema(),
        S3_BUCKET_INTELLIGENT_TIERING => intelligent_tiering_schema(),
        _ => return None,
    })
}

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if let Some(name) = get_str(cfg, "name") {
        if name.is_empty() || name.len() > MAX_NAME {
            d.push(Diagnostic::error(format!("name: 1 to {MAX_NAME} characters, got {}", name.len())));
        }
    }
    match ty {
        S3_BUCKET_INVENTORY => {
            check_enum(d, cfg, "", "included_object_versions", &["All", "Current"]);
            if let Some(sch) = first(cfg, "schedule") {
                check_enum(d, sch, "schedule.", "frequency", &["Daily", "Weekly"]);
            }
            if let Some(bk) = first(cfg, "destination").and_then(|x| first(x, "bucket")) {
                check_enum(d, bk, "destination.bucket.", "format", &["CSV", "ORC", "Parquet"]);
                if let Some(e) = first(bk, "encryption") {
                    if !get_blocks(e, "sse_kms").is_empty() && !get_blocks(e, "sse_s3").is_empty() {
                        d.push(Diagnostic::error("destination.bucket.encryption.sse_kms: conflicts with sse_s3"));
                    }
                }
            }
        }
        S3_BUCKET_INTELLIGENT_TIERING => {
            check_enum(d, cfg, "", "status", &["Enabled", "Disabled"]);
            for t in get_blocks(cfg, "tiering") {
                check_enum(d, t, "tiering.", "access_tier", &["ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"]);
            }
        }
        S3_BUCKET_ANALYTICS => {
            let dest = first(cfg, "storage_class_analysis")
                .and_then(|x| first(x, "data_export"))
                .and_then(|x| first(x, "destination"))
                .and_then(|x| first(x, "s3_bucket_destination"));
            if let Some(dest) = dest {
                check_enum(d, dest, "storage_class_analysis.data_export.destination.s3_bucket_destination.", "format", &["CSV"]);
            }
        }
        _ => {}
    }
    if ty != S3_BUCKET_INVENTORY {
        if let Some(f) = first(cfg, "filter") {
            let none = ["prefix", "tags", "access_point"].iter().all(|k| get(f, k).is_none_or(Value::is_null));
            if none {
                d.push(Diagnostic::error("filter: set at least one of prefix, tags (or access_point)").with_detail("leave the filter block out to cover the whole bucket"));
            }
        }
    }
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

fn filter_value(prefix: Option<&str>, tags: &[st::Tag], access_point: Option<Option<&str>>) -> Value {
    let mut m = BTreeMap::from([("prefix".to_string(), opt_string(prefix)), ("tags".to_string(), tags_value(tags))]);
    if let Some(ap) = access_point {
        m.insert("access_point".into(), opt_string(ap));
    }
    Value::List(vec![Value::Map(m)])
}

// ---- analytics ----

pub(crate) fn analytics_to_sdk(what: &str, v: &Value) -> Result<st::AnalyticsConfiguration, ProviderError> {
    let filter = match first(v, "filter") {
        Some(f) => {
            let tags = tags_to_sdk(what, get(f, "tags"))?;
            let prefix = owned(f, "prefix");
            Some(match (prefix, tags.len()) {
                (Some(p), 0) => st::AnalyticsFilter::Prefix(p),
                (None, 1) => st::AnalyticsFilter::Tag(tags.into_iter().next().ok_or_else(|| ProviderError::Failed(format!("{what}: tag vanished")))?),
                (p, _) => st::AnalyticsFilter::And(st::AnalyticsAndOperator::builder().set_prefix(p).set_tags(Some(tags)).build()),
            })
        }
        None => None,
    };
    let sca = match first(v, "storage_class_analysis").and_then(|x| first(x, "data_export")) {
        Some(e) => {
            let dest = match first(e, "destination").and_then(|x| first(x, "s3_bucket_destination")) {
                Some(d) => Some(
                    st::AnalyticsExportDestination::builder()
                        .s3_bucket_destination(
                            st::AnalyticsS3BucketDestination::builder()
                                .bucket(get_str(d, "bucket_arn").unwrap_or_default())
                                .set_bucket_account_id(owned(d, "bucket_account_id"))
                                .format(st::AnalyticsS3ExportFileFormat::from(get_str(d, "format").unwrap_or("CSV")))
                                .set_prefix(owned(d, "prefix"))
                                .build()
                                .map_err(bf(what))?,
                        )
                        .build(),
                ),
                None => None,
            };
            let export = st::StorageClassAnalysisDataExport::builder()
                .output_schema_version(st::StorageClassAnalysisSchemaVersion::from(get_str(e, "output_schema_version").unwrap_or("V_1")))
                .set_destination(dest)
                .build()
                .map_err(bf(what))?;
            st::StorageClassAnalysis::builder().data_export(export).build()
        }
        None => st::StorageClassAnalysis::builder().build(),
    };
    st::AnalyticsConfiguration::builder()
        .id(get_str(v, "name").unwrap_or_default())
        .set_filter(filter)
        .storage_class_analysis(sca)
        .build()
        .map_err(bf(what))
}

pub(crate) fn analytics_from_sdk(c: &st::AnalyticsConfiguration) -> BTreeMap<String, Value> {
    let filter = match c.filter() {
        Some(st::AnalyticsFilter::Prefix(p)) => filter_value(Some(p), &[], None),
        Some(st::AnalyticsFilter::Tag(t)) => filter_value(None, std::slice::from_ref(t), None),
        Some(st::AnalyticsFilter::And(a)) => filter_value(a.prefix(), a.tags(), None),
        _ => Value::List(Vec::new()),
    };
    let export = c.storage_class_analysis().and_then(|s| s.data_export()).map(|e| {
        let dest = e.destination().and_then(|d| d.s3_bucket_destination()).map(|d| {
            Value::map([
                ("bucket_arn", Value::string(d.bucket())),
                ("bucket_account_id", opt_string(d.bucket_account_id())),
                ("format", Value::string(d.format().as_str())),
                ("prefix", opt_string(d.prefix())),
            ])
        });
        Value::map([
            ("output_schema_version", Value::string(e.output_schema_version().as_str())),
            ("destination", opt_list(dest.map(|d| Value::map([("s3_bucket_destination", Value::List(vec![d]))])))),
        ])
    });
    BTreeMap::from([
        ("filter".to_string(), filter),
        ("storage_class_analysis".to_string(), opt_list(export.map(|e| Value::map([("data_export", Value::List(vec![e]))])))),
    ])
}

// ---- inventory ----

pub(crate) fn inventory_to_sdk(what: &str, v: &Value) -> Result<st::InventoryConfiguration, ProviderError> {
    let bk = first(v, "destination").and_then(|x| first(x, "bucket"));
    let encryption = bk.and_then(|b| first(b, "encryption")).map(|e| -> Result<st::InventoryEncryption, ProviderError> {
        let kms = match first(e, "sse_kms") {
            Some(k) => Some(st::Ssekms::builder().key_id(get_str(k, "key_id").unwrap_or_default()).build().map_err(bf(what))?),
            None => None,
        };
        let s3 = first(e, "sse_s3").map(|_| st::Sses3::builder().build());
        Ok(st::InventoryEncryption::builder().set_ssekms(kms).set_sses3(s3).build())
    });
    let encryption = encryption.transpose()?;
    let dest = st::InventoryS3BucketDestination::builder()
        .bucket(bk.and_then(|b| get_str(b, "bucket_arn")).unwrap_or_default())
        .format(st::InventoryFormat::from(bk.and_then(|b| get_str(b, "format")).unwrap_or("CSV")))
        .set_account_id(bk.and_then(|b| owned(b, "account_id")))
        .set_prefix(bk.and_then(|b| owned(b, "prefix")))
        .set_encryption(encryption)
        .build()
        .map_err(bf(what))?;
    let filter = match first(v, "filter").and_then(|f| get_str(f, "prefix")) {
        Some(p) => Some(st::InventoryFilter::builder().prefix(p).build().map_err(bf(what))?),
        None => None,
    };
    let schedule = st::InventorySchedule::builder()
        .frequency(st::InventoryFrequency::from(first(v, "schedule").and_then(|x| get_str(x, "frequency")).unwrap_or("Daily")))
        .build()
        .map_err(bf(what))?;
    let fields: Vec<st::InventoryOptionalField> = get_strs(v, "optional_fields").iter().map(|f| st::InventoryOptionalField::from(f.as_str())).collect();
    st::InventoryConfiguration::builder()
        .id(get_str(v, "name").unwrap_or_default())
        .is_enabled(get_bool(v, "enabled").unwrap_or(true))
        .included_object_versions(st::InventoryIncludedObjectVersions::from(get_str(v, "included_object_versions").unwrap_or("All")))
        .destination(st::InventoryDestination::builder().s3_bucket_destination(dest).build())
        .set_filter(filter)
        .schedule(schedule)
        .set_optional_fields((!fields.is_empty()).then_some(fields))
        .build()
        .map_err(bf(what))
}

pub(crate) fn inventory_from_sdk(c: &st::InventoryConfiguration) -> BTreeMap<String, Value> {
    let bucket = c.destination().and_then(|d| d.s3_bucket_destination()).map(|d| {
        let enc = d.encryption().map(|e| {
            Value::map([
                ("sse_kms", opt_list(e.ssekms().map(|k| Value::map([("key_id", Value::string(k.key_id()))])))),
                ("sse_s3", opt_list(e.sses3().map(|_| Value::Map(BTreeMap::new())))),
            ])
        });
        Value::map([
            ("bucket_arn", Value::string(d.bucket())),
            ("format", Value::string(d.format().as_str())),
            ("account_id", opt_string(d.account_id())),
            ("prefix", opt_string(d.prefix())),
            ("encryption", opt_list(enc)),
        ])
    });
    let fields: Vec<String> = c.optional_fields().iter().map(|f| f.as_str().to_string()).collect();
    BTreeMap::from([
        ("enabled".to_string(), Value::Bool(c.is_enabled())),
        ("included_object_versions".to_string(), Value::string(c.included_object_versions().as_str())),
        ("optional_fields".to_string(), crate::s3sub::str_set(&fields)),
        ("destination".to_string(), opt_list(bucket.map(|b| Value::map([("bucket", Value::List(vec![b]))])))),
        ("schedule".to_string(), opt_list(c.schedule().map(|s| Value::map([("frequency", Value::string(s.frequency().as_str()))])))),
        ("filter".to_string(), opt_list(c.filter().map(|f| Value::map([("prefix", Value::string(f.prefix()))])))),
    ])
}

// ---- metrics ----

pub(crate) fn metric_to_sdk(what: &str, v: &Value) -> Result<st::MetricsConfiguration, ProviderError> {
    let filter = match first(v, "filter") {
        Some(f) => {
            let tags = tags_to_sdk(what, get(f, "tags"))?;
            let prefix = owned(f, "prefix");
            let ap = owned(f, "access_point");
            Some(match (prefix, ap, tags.len()) {
                (Some(p), None, 0) => st::MetricsFilter::Prefix(p),
                (None, Some(a), 0) => st::MetricsFilter::AccessPointArn(a),
                (None, None, 1) => st::MetricsFilter::Tag(tags.into_iter().next().ok_or_else(|| ProviderError::Failed(format!("{what}: tag vanished")))?),
                (p, a, _) => st::MetricsFilter::And(st::MetricsAndOperator::builder().set_prefix(p).set_access_point_arn(a).set_tags(Some(tags)).build()),
            })
        }
        None => None,
    };
    st::MetricsConfiguration::builder().id(get_str(v, "name").unwrap_or_default()).set_filter(filter).build().map_err(bf(what))
}

pub(crate) fn metric_from_sdk(c: &st::MetricsConfiguration) -> BTreeMap<String, Value> {
    let filter = match c.filter() {
        Some(st::MetricsFilter::Prefix(p)) => filter_value(Some(p), &[], Some(None)),
        Some(st::MetricsFilter::AccessPointArn(a)) => filter_value(None, &[], Some(Some(a))),
        Some(st::MetricsFilter::Tag(t)) => filter_value(None, std::slice::from_ref(t), Some(None)),
        Some(st::MetricsFilter::And(a)) => filter_value(a.prefix(), a.tags(), Some(a.access_point_arn())),
        _ => Value::List(Vec::new()),
    };
    BTreeMap::from([("filter".to_string(), filter)])
}

// ---- intelligent tiering ----

pub(crate) fn tiering_to_sdk(what: &str, v: &Value) -> Result<st::IntelligentTieringConfiguration, ProviderError> {
    let filter = match first(v, "filter") {
        Some(f) => {
            let tags = tags_to_sdk(what, get(f, "tags"))?;
            let prefix = owned(f, "prefix");
            Some(match (prefix, tags.len()) {
                (p, 0) => st::IntelligentTieringFilter::builder().set_prefix(p).build(),
                (None, 1) => st::IntelligentTieringFilter::builder().set_tag(tags.into_iter().next()).build(),
                (p, _) => st::IntelligentTieringFilter::builder()
                    .and(st::IntelligentTieringAndOperator::builder().set_prefix(p).set_tags(Some(tags)).build())
                    .build(),
            })
        }
        None => None,
    };
    let tierings = get_blocks(v, "tiering")
        .into_iter()
        .map(|t| {
            st::Tiering::builder()
                .days(i32_of(t, "days").unwrap_or(0))
                .access_tier(st::IntelligentTieringAccessTier::from(get_str(t, "access_tier").unwrap_or("ARCHIVE_ACCESS")))
                .build()
                .map_err(bf(what))
        })
        .collect::<Result<Vec<_>, _>>()?;
    st::IntelligentTieringConfiguration::builder()
        .id(get_str(v, "name").unwrap_or_default())
        .status(st::IntelligentTieringStatus::from(get_str(v, "status").unwrap_or("Enabled")))
        .set_filter(filter)
        .set_tierings(Some(tierings))
        .build()
        .map_err(bf(what))
}

pub(crate) fn tiering_from_sdk(c: &st::IntelligentTieringConfiguration) -> BTreeMap<String, Value> {
    let filter = c.filter().map(|f| match f.and() {
        Some(a) => filter_value(a.prefix(), a.tags(), None),
        None => filter_value(f.prefix(), f.tag().map(std::slice::from_ref).unwrap_or_default(), None),
    });
    let tierings = c
        .tierings()
        .iter()
        .map(|t| Value::map([("access_tier", Value::string(t.access_tier().as_str())), ("days", Value::int(i64::from(t.days())))]))
        .collect();
    BTreeMap::from([
        ("status".to_string(), Value::string(c.status().as_str())),
        ("filter".to_string(), filter.unwrap_or(Value::List(Vec::new()))),
        ("tiering".to_string(), Value::set(tierings)),
    ])
}

// ---- calls ----

fn parse_id(id: &str) -> Option<(&str, &str)> {
    id.split_once(':').filter(|(b, n)| !b.is_empty() && !n.is_empty())
}

pub(crate) async fn read(inner: &Inner, ty: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let (Some(bucket), Some(name)) = (get_str(shape, "bucket"), get_str(shape, "name")) else { return Ok(None) };
    let what = format!("{ty} {bucket}:{name}");
    let s3 = &inner.s3;
    let got = match ty {
        S3_BUCKET_ANALYTICS => s3
            .get_bucket_analytics_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .map_err(|e| api_err(&what, e))
            .map(|o| o.analytics_configuration().map(analytics_from_sdk)),
        S3_BUCKET_INVENTORY => s3
            .get_bucket_inventory_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .map_err(|e| api_err(&what, e))
            .map(|o| o.inventory_configuration().map(inventory_from_sdk)),
        S3_BUCKET_METRIC => s3
            .get_bucket_metrics_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .map_err(|e| api_err(&what, e))
            .map(|o| o.metrics_configuration().map(metric_from_sdk)),
        _ => s3
            .get_bucket_intelligent_tiering_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .map_err(|e| api_err(&what, e))
            .map(|o| o.intelligent_tiering_configuration().map(tiering_from_sdk)),
    };
    let Some(mut m) = crate::s3sub::absent_ok(got)?.flatten() else { return Ok(None) };
    m.insert("bucket".into(), Value::string(bucket));
    m.insert("name".into(), Value::string(name));
    m.insert("id".into(), Value::String(format!("{bucket}:{name}")));
    let Some(schema) = schema_of(ty) else { return Err(crate::unsupported(ty)) };
    Ok(Some(crate::s3sub::keep_shape(complete(&schema, m), shape)))
}

pub(crate) async fn put(inner: &Inner, ty: &str, what: &str, planned: &Value) -> Result<(), ProviderError> {
    let (Some(bucket), Some(name)) = (get_str(planned, "bucket"), get_str(planned, "name")) else {
        return Err(ProviderError::Invalid(format!("{what}: bucket and name must be known")));
    };
    let s3 = &inner.s3;
    match ty {
        S3_BUCKET_ANALYTICS => {
            let c = analytics_to_sdk(what, planned)?;
            s3.put_bucket_analytics_configuration().bucket(bucket).id(name).analytics_configuration(c).send().await.map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_INVENTORY => {
            let c = inventory_to_sdk(what, planned)?;
            s3.put_bucket_inventory_configuration().bucket(bucket).id(name).inventory_configuration(c).send().await.map_err(|e| api_err(what, e))?;
        }
        S3_BUCKET_METRIC => {
            let c = metric_to_sdk(what, planned)?;
            s3.put_bucket_metrics_configuration().bucket(bucket).id(name).metrics_configuration(c).send().await.map_err(|e| api_err(what, e))?;
        }
        _ => {
            let c = tiering_to_sdk(what, planned)?;
            s3.put_bucket_intelligent_tiering_configuration()
                .bucket(bucket)
                .id(name)
                .intelligent_tiering_configuration(c)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
    }
    Ok(())
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(bucket), Some(name)) = (get_str(prior, "bucket"), get_str(prior, "name")) else { return Ok(()) };
    let s3 = &inner.s3;
    match ty {
        S3_BUCKET_ANALYTICS => s3.delete_bucket_analytics_configuration().bucket(bucket).id(name).send().await.map(drop).map_err(|e| api_err(addr, e)),
        S3_BUCKET_INVENTORY => s3.delete_bucket_inventory_configuration().bucket(bucket).id(name).send().await.map(drop).map_err(|e| api_err(addr, e)),
        S3_BUCKET_METRIC => s3.delete_bucket_metrics_configuration().bucket(bucket).id(name).send().await.map(drop).map_err(|e| api_err(addr, e)),
        _ => s3.delete_bucket_intelligent_tiering_configuration().bucket(bucket).id(name).send().await.map(drop).map_err(|e| api_err(addr, e)),
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let Some((bucket, name)) = parse_id(id) else {
        return Err(ProviderError::Invalid(format!("cannot import {ty} {id:?}: expected BUCKET:NAME")));
    };
    read(inner, ty, &Value::map([("bucket", Value::string(bucket)), ("name", Value::string(name))])).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn analytics_filters_pick_the_sdk_variant() {
        let only_prefix = cfg(serde_json::json!({"name": "a", "filter": [{"prefix": "docs/"}]}));
        let c = analytics_to_sdk("t", &only_prefix).unwrap();
        assert_eq!(c.filter(), Some(&st::AnalyticsFilter::Prefix("docs/".into())));
        let both = cfg(serde_json::json!({"name": "a", "filter": [{"prefix": "docs/", "tags": {"k": "v"}}],
            "storage_class_analysis": [{"data_export": [{"destination": [{"s3_bucket_destination": [{"bucket_arn": "arn:aws:s3:::dest", "prefix": "x"}]}]}]}]}));
        let c = analytics_to_sdk("t", &both).unwrap();
        assert!(matches!(c.filter(), Some(st::AnalyticsFilter::And(a)) if a.tags().len() == 1 && a.prefix() == Some("docs/")));
        let back = analytics_from_sdk(&c);
        let f = Value::map([("filter", back["filter"].clone())]);
        assert_eq!(first(&f, "filter").and_then(|f| get_str(f, "prefix")), Some("docs/"));
        let sca = Value::map([("s", back["storage_class_analysis"].clone())]);
        let export = first(first(&sca, "s").unwrap(), "data_export").unwrap();
        assert_eq!(get_str(export, "output_schema_version"), Some("V_1"));
        let dest = first(first(export, "destination").unwrap(), "s3_bucket_destination").unwrap();
        assert_eq!(get_str(dest, "format"), Some("CSV"));
        assert_eq!(get_str(dest, "bucket_arn"), Some("arn:aws:s3:::dest"));
    }

    #[test]
    fn inventory_round_trips() {
        let v = cfg(serde_json::json!({"name": "inv", "included_object_versions": "Current", "optional_fields": ["Size", "ETag"],
            "schedule": [{"frequency": "Weekly"}], "filter": [{"prefix": "docs/"}],
            "destination": [{"bucket": [{"bucket_arn": "arn:aws:s3:::dest", "format": "ORC", "encryption": [{"sse_s3": [{}]}]}]}]}));
        let c = inventory_to_sdk("t", &v).unwrap();
        assert!(c.is_enabled());
        let back = inventory_from_sdk(&c);
        assert_eq!(back["enabled"], Value::Bool(true));
        assert_eq!(back["optional_fields"], Value::set(vec![Value::string("ETag"), Value::string("Size")]));
        let dest = Value::map([("d", back["destination"].clone())]);
        let bucket = first(first(&dest, "d").unwrap(), "bucket").unwrap();
        assert_eq!(get_str(bucket, "format"), Some("ORC"));
        let enc = first(bucket, "encryption").unwrap();
        assert_eq!(get_blocks(enc, "sse_s3").len(), 1);
        assert!(get_blocks(enc, "sse_kms").is_empty());
    }

    #[test]
    fn metric_and_tiering_filters_round_trip() {
        let v = cfg(serde_json::json!({"name": "m", "filter": [{"access_point": "arn:aws:s3:eu-west-1:1:accesspoint/ap"}]}));
        let c = metric_to_sdk("t", &v).unwrap();
        assert!(matches!(c.filter(), Some(st::MetricsFilter::AccessPointArn(_))));
        let back = metric_from_sdk(&c);
        let Value::List(f) = &back["filter"] else { panic!() };
        assert_eq!(get_str(&f[0], "access_point"), Some("arn:aws:s3:eu-west-1:1:accesspoint/ap"));
        let t = cfg(serde_json::json!({"name": "t", "filter": [{"tags": {"k": "v"}}],
            "tiering": [{"access_tier": "ARCHIVE_ACCESS", "days": 90}, {"access_tier": "DEEP_ARCHIVE_ACCESS", "days": 180}]}));
        let c = tiering_to_sdk("t", &t).unwrap();
        assert_eq!(c.status(), &st::IntelligentTieringStatus::Enabled);
        assert_eq!(c.filter().and_then(|f| f.tag()).map(|t| t.key()), Some("k"));
        let back = tiering_from_sdk(&c);
        let Value::Set(ts) = &back["tiering"] else { panic!() };
        assert_eq!(ts.len(), 2);
    }

    #[test]
    fn ids_and_validation() {
        assert_eq!(parse_id("b:n"), Some(("b", "n")));
        assert_eq!(parse_id("b"), None);
        assert_eq!(parse_id(":n"), None);
        let mut d = Diagnostics::new();
        validate(S3_BUCKET_INVENTORY, &cfg(serde_json::json!({"name": "x", "included_object_versions": "Some", "schedule": [{"frequency": "Hourly"}]})), &mut d);
        validate(S3_BUCKET_METRIC, &cfg(serde_json::json!({"name": "x", "filter": [{}]})), &mut d);
        let text: Vec<String> = d.iter().map(|x| x.summary.clone()).collect();
        assert_eq!(text.len(), 3, "{text:?}");
    }
}
