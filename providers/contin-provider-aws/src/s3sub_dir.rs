//! S3 Express directory buckets and bucket metadata (aws-sdk-s3):
//! `aws_s3_directory_bucket` and `aws_s3_bucket_metadata_configuration`.
//!
//! `aws_s3_directory_bucket`: `CreateBucket` with a directory-bucket
//! `CreateBucketConfiguration` (location + data redundancy), read with
//! `HeadBucket`, deleted with `DeleteBucket` (after emptying it when
//! `force_destroy`). Its name is configured (`NAME--AZID--x-s3`), so a re-run
//! after a crash meets `BucketAlreadyOwnedByYou` and adopts the bucket.
//! `tags` are sent with `CreateBucket`; S3 reports a directory bucket's tags
//! only through S3 Control (not a dependency), so they are kept as
//! configured, and changing them in place is refused with an error.
//!
//! `aws_s3_bucket_metadata_configuration`: `CreateBucketMetadataConfiguration`,
//! `GetBucketMetadataConfiguration`, the two `UpdateBucketMetadata…`
//! calls for the inventory table state/encryption and the journal record
//! expiration, and `DeleteBucketMetadataConfiguration`. Identity is the
//! bucket (one configuration per bucket, re-put on a re-run).
//!
//! moto 5.2 gaps: moto implements neither directory buckets nor metadata
//! configurations; both are implemented by the official API and tested
//! offline (schema, validation, conversions).

use crate::s3sub::{bf, check_enum, first, i32_of, int, map_s, one, opt_list, owned, s};
use crate::util::*;
use crate::Inner;
use aws_sdk_s3::types as st;
use contin_provider::{AttrSchema as A, BlockSchema, NestedBlockSchema, Nesting, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const S3_DIRECTORY_BUCKET: &str = "aws_s3_directory_bucket";
pub const S3_BUCKET_METADATA: &str = "aws_s3_bucket_metadata_configuration";
pub(crate) const TYPES: &[&str] = &[S3_DIRECTORY_BUCKET, S3_BUCKET_METADATA];

/// Objects deleted per `DeleteObjects` call when emptying a bucket (S3's limit).
const DELETE_BATCH: usize = 1000;

pub(crate) fn is_dir(ty: &str) -> bool {
    TYPES.contains(&ty)
}

pub fn directory_bucket_schema() -> BlockSchema {
    let location = BlockSchema::default()
        .attr("name", A::required(s()).force_new().describe("availability zone id or local zone id"))
        .attr("type", A::optional_computed(s()).force_new().describe("AvailabilityZone (the default) or LocalZone"));
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new().describe("NAME--ZONEID--x-s3"))
        .attr("data_redundancy", A::optional_computed(s()).force_new().describe("SingleAvailabilityZone or SingleLocalZone"))
        .attr("force_destroy", A::optional(crate::s3sub::b()).describe("delete every object at destroy"))
        .attr("type", A::optional_computed(s()).force_new().describe("Directory (the default)"))
        .attr("tags", A::optional(map_s()))
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .block("location", NestedBlockSchema { nesting: Nesting::List, block: location, min_items: 0, max_items: Some(1), force_new: true })
}

pub fn metadata_schema() -> BlockSchema {
    let encryption = || {
        one(
            BlockSchema::default().attr("sse_algorithm", A::required(s()).describe("AES256 or aws:kms")).attr("kms_key_arn", A::optional(s())),
            0,
        )
    };
    let inventory = BlockSchema::default()
        .attr("configuration_state", A::required(s()).describe("ENABLED or DISABLED"))
        .attr("table_arn", A::computed(s()))
        .attr("table_name", A::computed(s()))
        .block("encryption_configuration", encryption());
    let record = BlockSchema::default().attr("days", A::optional(crate::s3sub::n())).attr("expiration", A::required(s()).describe("ENABLED or DISABLED"));
    let journal = BlockSchema::default()
        .attr("table_arn", A::computed(s()))
        .attr("table_name", A::computed(s()))
        .block("record_expiration", one(record, 1))
        .block("encryption_configuration", encryption());
    // A list of objects (table_bucket_arn, table_bucket_type, table_namespace).
    let dest_type = contin_provider::AttrType::List(Box::new(contin_provider::AttrType::Map(Box::new(s()))));
    let conf = BlockSchema::default()
        .attr("destination", A::computed(dest_type))
        .block("inventory_table_configuration", one(inventory, 1))
        .block("journal_table_configuration", one(journal, 1));
    crate::s3sub::base().block("metadata_configuration", one(conf, 1))
}

pub(crate) fn schema_of(ty: &str) -> Option<BlockSchema> {
    match ty {
        S3_DIRECTORY_BUCKET => Some(directory_bucket_schema()),
        S3_BUCKET_METADATA => Some(metadata_schema()),
        _ => None,
    }
}

pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if ty == S3_DIRECTORY_BUCKET {
        if let Some(b) = get_str(cfg, "bucket") {
            if !b.ends_with("--x-s3") {
                d.push(Diagnostic::error(format!("bucket: {b:?}: a directory bucket's name ends in --ZONEID--x-s3")));
            }
        }
        check_enum(d, cfg, "", "data_redundancy", &["SingleAvailabilityZone", "SingleLocalZone"]);
        check_enum(d, cfg, "", "type", &["Directory"]);
        if let Some(l) = first(cfg, "location") {
            check_enum(d, l, "location.", "type", &["AvailabilityZone", "LocalZone"]);
        }
        return;
    }
    let Some(c) = first(cfg, "metadata_configuration") else { return };
    if let Some(i) = first(c, "inventory_table_configuration") {
        check_enum(d, i, "metadata_configuration.inventory_table_configuration.", "configuration_state", &["ENABLED", "DISABLED"]);
    }
    if let Some(r) = first(c, "journal_table_configuration").and_then(|j| first(j, "record_expiration")) {
        check_enum(d, r, "metadata_configuration.journal_table_configuration.record_expiration.", "expiration", &["ENABLED", "DISABLED"]);
        if get_str(r, "expiration") == Some("ENABLED") && get(r, "days").is_none() {
            d.push(Diagnostic::error("metadata_configuration.journal_table_configuration.record_expiration.days: required when expiration is ENABLED"));
        }
    }
}

// ---- directory bucket ----

fn location_of(v: &Value) -> (Option<&str>, &str) {
    let l = first(v, "location");
    (l.and_then(|l| get_str(l, "name")), l.and_then(|l| get_str(l, "type")).unwrap_or("AvailabilityZone"))
}

pub(crate) fn create_bucket_configuration(what: &str, v: &Value) -> Result<st::CreateBucketConfiguration, ProviderError> {
    let (name, ltype) = location_of(v);
    let redundancy = get_str(v, "data_redundancy").unwrap_or(if ltype == "LocalZone" { "SingleLocalZone" } else { "SingleAvailabilityZone" });
    let tags = str_map(get(v, "tags"))
        .into_iter()
        .map(|(k, v)| st::Tag::builder().key(k).value(v).build().map_err(bf(what)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(st::CreateBucketConfiguration::builder()
        .location(st::LocationInfo::builder().r#type(st::LocationType::from(ltype)).set_name(name.map(String::from)).build())
        .bucket(
            st::BucketInfo::builder()
                .data_redundancy(st::DataRedundancy::from(redundancy))
                .r#type(st::BucketType::from(get_str(v, "type").unwrap_or("Directory")))
                .build(),
        )
        .set_tags((!tags.is_empty()).then_some(tags))
        .build())
}

async fn read_directory_bucket(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(bucket) = get_str(shape, "bucket") else { return Ok(None) };
    let what = format!("{S3_DIRECTORY_BUCKET} {bucket}");
    let out = match inner.s3.head_bucket().bucket(bucket).send().await {
        Ok(o) => o,
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => return Ok(None),
        Err(e) => {
            let e = api_err(&what, e);
            return if crate::s3sub::gone(&e) { Ok(None) } else { Err(e) };
        }
    };
    let arn = match out.bucket_arn() {
        Some(a) => a.to_string(),
        None => {
            let account = crate::elb::account_id(inner, &what).await?;
            let partition = if inner.region.starts_with("cn-") { "aws-cn" } else { "aws" };
            format!("arn:{partition}:s3express:{}:{account}:bucket/{bucket}", inner.region)
        }
    };
    let ltype = out.bucket_location_type().map_or("AvailabilityZone", |t| t.as_str());
    let lname = out.bucket_location_name().map(String::from).or_else(|| first(shape, "location").and_then(|l| owned(l, "name")));
    let redundancy = get_str(shape, "data_redundancy").unwrap_or(if ltype == "LocalZone" { "SingleLocalZone" } else { "SingleAvailabilityZone" });
    let tags = get(shape, "tags").cloned().unwrap_or(Value::Null);
    let mut m = BTreeMap::new();
    m.insert("bucket".to_string(), Value::string(bucket));
    m.insert("id".into(), Value::string(bucket));
    m.insert("arn".into(), Value::String(arn));
    m.insert("data_redundancy".into(), Value::string(redundancy));
    m.insert("type".into(), Value::string(get_str(shape, "type").unwrap_or("Directory")));
    m.insert("force_destroy".into(), get(shape, "force_destroy").cloned().unwrap_or(Value::Null));
    m.insert("tags".into(), tags);
    m.insert("location".into(), Value::List(vec![Value::map([("name", lname.map_or(Value::Null, Value::String)), ("type", Value::string(ltype))])]));
    Ok(Some(complete(&directory_bucket_schema(), m)))
}

async fn empty_bucket(inner: &Inner, what: &str, bucket: &str) -> Result<(), ProviderError> {
    loop {
        let out = inner.s3.list_objects_v2().bucket(bucket).max_keys(DELETE_BATCH as i32).send().await.map_err(|e| api_err(what, e))?;
        let ids = out
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .map(|k| st::ObjectIdentifier::builder().key(k).build().map_err(bf(what)))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(());
        }
        let del = st::Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(bf(what))?;
        let out = inner.s3.delete_objects().bucket(bucket).delete(del).send().await.map_err(|e| api_err(what, e))?;
        // Objects S3 refused to delete would be listed again forever: stop and say why.
        if let Some(e) = out.errors().first() {
            return Err(ProviderError::Failed(format!(
                "{what}: emptying the bucket for force_destroy: {} objects not deleted, first {:?}: {}",
                out.errors().len(),
                e.key().unwrap_or_default(),
                e.message().unwrap_or("no message")
            )));
        }
    }
}

// ---- metadata configuration ----

fn encryption_to_sdk(e: Option<&Value>) -> Option<st::MetadataTableEncryptionConfiguration> {
    e.map(|e| {
        st::MetadataTableEncryptionConfiguration::builder()
            .sse_algorithm(st::TableSseAlgorithm::from(get_str(e, "sse_algorithm").unwrap_or("AES256")))
            .set_kms_key_arn(owned(e, "kms_key_arn"))
            .build()
    })
    .and_then(Result::ok)
}

fn record_expiration_to_sdk(what: &str, r: Option<&Value>) -> Result<Option<st::RecordExpiration>, ProviderError> {
    r.map(|r| {
        st::RecordExpiration::builder()
            .expiration(st::ExpirationState::from(get_str(r, "expiration").unwrap_or("DISABLED")))
            .set_days(i32_of(r, "days"))
            .build()
            .map_err(bf(what))
    })
    .transpose()
}

pub(crate) fn metadata_to_sdk(what: &str, v: &Value) -> Result<st::MetadataConfiguration, ProviderError> {
    let c = first(v, "metadata_configuration");
    let inv = c.and_then(|c| first(c, "inventory_table_configuration"));
    let journal = c.and_then(|c| first(c, "journal_table_configuration"));
    let inventory = match inv {
        Some(i) => Some(
            st::InventoryTableConfiguration::builder()
                .configuration_state(st::InventoryConfigurationState::from(get_str(i, "configuration_state").unwrap_or("DISABLED")))
                .set_encryption_configuration(encryption_to_sdk(first(i, "encryption_configuration")))
                .build()
                .map_err(bf(what))?,
        ),
        None => None,
    };
    let journal = journal
        .map(|j| -> Result<st::JournalTableConfiguration, ProviderError> {
            Ok(st::JournalTableConfiguration::builder()
                .set_record_expiration(record_expiration_to_sdk(what, first(j, "record_expiration"))?)
                .set_encryption_configuration(encryption_to_sdk(first(j, "encryption_configuration")))
                .build())
        })
        .transpose()?;
    Ok(st::MetadataConfiguration::builder().set_journal_table_configuration(journal).set_inventory_table_configuration(inventory).build())
}

fn encryption_value(shape: Option<&Value>) -> Value {
    // S3 does not report the tables' encryption: kept as configured.
    shape.and_then(|s| get(s, "encryption_configuration")).cloned().unwrap_or(Value::List(Vec::new()))
}

pub(crate) fn metadata_from_sdk(r: &st::MetadataConfigurationResult, shape: &Value) -> BTreeMap<String, Value> {
    let c = first(shape, "metadata_configuration");
    let inv_shape = c.and_then(|c| first(c, "inventory_table_configuration"));
    let journal_shape = c.and_then(|c| first(c, "journal_table_configuration"));
    let dest = r.destination_result().map(|d| {
        Value::map([
            ("table_bucket_arn", opt_string(d.table_bucket_arn())),
            ("table_bucket_type", opt_string(d.table_bucket_type().map(|t| t.as_str()))),
            ("table_namespace", opt_string(d.table_namespace())),
        ])
    });
    let inv = r.inventory_table_configuration_result().map(|i| {
        Value::map([
            ("configuration_state", Value::string(i.configuration_state().as_str())),
            ("table_arn", opt_string(i.table_arn())),
            ("table_name", opt_string(i.table_name())),
            ("encryption_configuration", encryption_value(inv_shape)),
        ])
    });
    let journal = r.journal_table_configuration_result().map(|j| {
        let rec = j.record_expiration().map(|x| Value::map([("expiration", Value::string(x.expiration().as_str())), ("days", int(x.days()))]));
        Value::map([
            ("table_arn", opt_string(j.table_arn())),
            ("table_name", Value::string(j.table_name())),
            ("record_expiration", opt_list(rec)),
            ("encryption_configuration", encryption_value(journal_shape)),
        ])
    });
    let conf = Value::map([
        ("destination", opt_list(dest)),
        ("inventory_table_configuration", opt_list(inv)),
        ("journal_table_configuration", opt_list(journal)),
    ]);
    BTreeMap::from([("metadata_configuration".to_string(), Value::List(vec![conf]))])
}

async fn read_metadata(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(bucket) = get_str(shape, "bucket") else { return Ok(None) };
    let owner = get_str(shape, "expected_bucket_owner");
    let what = format!("{S3_BUCKET_METADATA} {bucket}");
    let got = inner
        .s3
        .get_bucket_metadata_configuration()
        .bucket(bucket)
        .set_expected_bucket_owner(owner.map(String::from))
        .send()
        .await
        .map_err(|e| api_err(&what, e));
    let Some(out) = crate::s3sub::absent_ok(got)? else { return Ok(None) };
    let Some(r) = out.get_bucket_metadata_configuration_result().and_then(|r| r.metadata_configuration_result()) else { return Ok(None) };
    let mut m = metadata_from_sdk(r, shape);
    m.insert("bucket".into(), Value::string(bucket));
    m.insert("expected_bucket_owner".into(), opt_string(owner));
    m.insert("id".into(), Value::String(match owner {
        Some(o) => format!("{bucket},{o}"),
        None => bucket.to_string(),
    }));
    Ok(Some(crate::s3sub::keep_shape(complete(&metadata_schema(), m), shape)))
}

// ---- calls ----

pub(crate) async fn read(inner: &Inner, ty: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    match ty {
        S3_DIRECTORY_BUCKET => read_directory_bucket(inner, shape).await,
        _ => read_metadata(inner, shape).await,
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, what: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let bucket = get_str(planned, "bucket").ok_or_else(|| ProviderError::Invalid(format!("{what}: bucket is not known")))?;
    if ty == S3_DIRECTORY_BUCKET {
        let conf = create_bucket_configuration(what, planned)?;
        match inner.s3.create_bucket().bucket(bucket).create_bucket_configuration(conf).send().await.map_err(|e| api_err(what, e)) {
            Ok(_) => {}
            // A re-run after a crash: the bucket this create made is ours already.
            Err(e) if is_code(&e, "BucketAlreadyOwnedByYou") => {}
            Err(e) => return Err(e),
        }
    } else {
        let conf = metadata_to_sdk(what, planned)?;
        inner
            .s3
            .create_bucket_metadata_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owned(planned, "expected_bucket_owner"))
            .metadata_configuration(conf)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    kill_hook(ctx);
    read(inner, ty, planned).await?.ok_or_else(|| vanished(what, bucket))
}

/// In-place updates: the metadata tables' settings. Directory buckets have
/// nothing updatable but `force_destroy` (state only); a tags change is refused.
pub(crate) async fn put(inner: &Inner, ty: &str, what: &str, prior: Option<&Value>, planned: &Value) -> Result<(), ProviderError> {
    let bucket = get_str(planned, "bucket").unwrap_or_default();
    if ty == S3_DIRECTORY_BUCKET {
        if prior.is_some_and(|p| str_map(get(p, "tags")) != str_map(get(planned, "tags"))) {
            return Err(ProviderError::Invalid(format!(
                "{what}: changing a directory bucket's tags needs S3 Control's TagResource, which contin does not call; replace the bucket or change the tags outside contin"
            )));
        }
        return Ok(());
    }
    let owner = owned(planned, "expected_bucket_owner");
    let c = first(planned, "metadata_configuration");
    let pc = prior.and_then(|p| first(p, "metadata_configuration"));
    let inv = c.and_then(|c| first(c, "inventory_table_configuration"));
    let pinv = pc.and_then(|c| first(c, "inventory_table_configuration"));
    let state = |v: Option<&Value>| v.and_then(|i| get_str(i, "configuration_state").map(String::from));
    let enc = |v: Option<&Value>| v.and_then(|i| get(i, "encryption_configuration").cloned());
    if state(inv) != state(pinv) || enc(inv) != enc(pinv) {
        let upd = st::InventoryTableConfigurationUpdates::builder()
            .configuration_state(st::InventoryConfigurationState::from(state(inv).as_deref().unwrap_or("DISABLED")))
            .set_encryption_configuration(encryption_to_sdk(inv.and_then(|i| first(i, "encryption_configuration"))))
            .build()
            .map_err(bf(what))?;
        inner
            .s3
            .update_bucket_metadata_inventory_table_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owner.clone())
            .inventory_table_configuration(upd)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    let rec = |v: Option<&Value>| v.and_then(|c| first(c, "journal_table_configuration")).and_then(|j| first(j, "record_expiration")).cloned();
    if rec(c) != rec(pc) {
        let upd = st::JournalTableConfigurationUpdates::builder().set_record_expiration(record_expiration_to_sdk(what, rec(c).as_ref())?).build();
        inner
            .s3
            .update_bucket_metadata_journal_table_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owner)
            .journal_table_configuration(upd)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(bucket) = get_str(prior, "bucket") else { return Ok(()) };
    if ty == S3_DIRECTORY_BUCKET {
        if get_bool(prior, "force_destroy") == Some(true) {
            match empty_bucket(inner, addr, bucket).await {
                Err(e) if crate::s3sub::gone(&e) => return Ok(()),
                other => other?,
            }
        }
        inner.s3.delete_bucket().bucket(bucket).send().await.map(drop).map_err(|e| api_err(addr, e))
    } else {
        inner
            .s3
            .delete_bucket_metadata_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(owned(prior, "expected_bucket_owner"))
            .send()
            .await
            .map(drop)
            .map_err(|e| api_err(addr, e))
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let (bucket, owner) = match id.split_once(',') {
        Some((b, o)) if ty == S3_BUCKET_METADATA => (b, Some(o)),
        _ => (id, None),
    };
    let mut shape = BTreeMap::from([("bucket".to_string(), Value::string(bucket))]);
    if let Some(o) = owner {
        shape.insert("expected_bucket_owner".into(), Value::string(o));
    }
    read(inner, ty, &Value::Map(shape)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn directory_bucket_configuration_follows_the_location() {
        let v = cfg(serde_json::json!({"bucket": "b--use1-az4--x-s3", "location": [{"name": "use1-az4"}], "tags": {"k": "v"}}));
        let c = create_bucket_configuration("t", &v).unwrap();
        assert_eq!(c.location().and_then(|l| l.name()), Some("use1-az4"));
        assert_eq!(c.location().and_then(|l| l.r#type()), Some(&st::LocationType::AvailabilityZone));
        assert_eq!(c.bucket().and_then(|b| b.data_redundancy()), Some(&st::DataRedundancy::SingleAvailabilityZone));
        assert_eq!(c.bucket().and_then(|b| b.r#type()), Some(&st::BucketType::Directory));
        assert_eq!(c.tags().len(), 1);
        let lz = cfg(serde_json::json!({"bucket": "b--usw2-lax1-az1--x-s3", "location": [{"name": "usw2-lax1-az1", "type": "LocalZone"}]}));
        let c = create_bucket_configuration("t", &lz).unwrap();
        assert_eq!(c.bucket().and_then(|b| b.data_redundancy()), Some(&st::DataRedundancy::SingleLocalZone));
        assert!(c.tags().is_empty());
    }

    #[test]
    fn metadata_configuration_to_sdk_and_back() {
        let v = cfg(serde_json::json!({"bucket": "b", "metadata_configuration": [{
            "inventory_table_configuration": [{"configuration_state": "ENABLED", "encryption_configuration": [{"sse_algorithm": "AES256"}]}],
            "journal_table_configuration": [{"record_expiration": [{"expiration": "ENABLED", "days": 7}]}]}]}));
        let c = metadata_to_sdk("t", &v).unwrap();
        assert_eq!(c.inventory_table_configuration().map(|i| i.configuration_state()), Some(&st::InventoryConfigurationState::Enabled));
        let rec = c.journal_table_configuration().and_then(|j| j.record_expiration()).unwrap();
        assert_eq!((rec.expiration(), rec.days()), (&st::ExpirationState::Enabled, Some(7)));
        let result = st::MetadataConfigurationResult::builder()
            .inventory_table_configuration_result(
                st::InventoryTableConfigurationResult::builder().configuration_state(st::InventoryConfigurationState::Enabled).table_name("inventory").build().unwrap(),
            )
            .journal_table_configuration_result(
                st::JournalTableConfigurationResult::builder().table_status("ACTIVE").table_name("journal").record_expiration(rec.clone()).build().unwrap(),
            )
            .build();
        let back = metadata_from_sdk(&result, &v);
        let whole = Value::map([("m", back["metadata_configuration"].clone())]);
        let mc = first(&whole, "m").unwrap();
        let conf = first(mc, "journal_table_configuration").unwrap();
        assert_eq!(get_str(conf, "table_name"), Some("journal"));
        assert_eq!(first(conf, "record_expiration").and_then(|r| get_i64(r, "days")), Some(7));
        let inv = first(first(mc, "inventory_table_configuration").unwrap(), "encryption_configuration");
        assert_eq!(inv.and_then(|e| get_str(e, "sse_algorithm")), Some("AES256"));
    }

    #[test]
    fn validation() {
        let mut d = Diagnostics::new();
        validate(S3_DIRECTORY_BUCKET, &cfg(serde_json::json!({"bucket": "plain", "location": [{"name": "a", "type": "Region"}]})), &mut d);
        validate(
            S3_BUCKET_METADATA,
            &cfg(serde_json::json!({"metadata_configuration": [{"journal_table_configuration": [{"record_expiration": [{"expiration": "ENABLED", "days": null}]}]}]})),
            &mut d,
        );
        let text: Vec<String> = d.iter().map(|x| x.summary.clone()).collect();
        assert_eq!(text.len(), 3, "{text:?}");
    }
}
