//! RDS (aws-sdk-rds): `aws_db_instance`.
//!
//! Crash safety: the identifier is known before the create (configured, or
//! derived from the create's lineage/address/generation) and the instance
//! carries the bookkeeping tags from the create call on; a create first looks
//! the identifier up: ours (tags match) is adopted, anything else refused.
//!
//! `password` is never read back (RDS does not return it): state keeps the
//! configured value, marked sensitive by the schema.

use crate::schema::{self, DB_INSTANCE};
use crate::util::*;
use crate::Inner;
use aws_sdk_rds::types::{DbInstance, Tag};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long creates, modifications and deletes wait for the instance
/// (`CONTIN_AWS_WAIT_SECONDS`, else 40 minutes as Terraform's default timeout).
fn budget() -> Duration {
    if std::env::var_os("CONTIN_AWS_WAIT_SECONDS").is_some() {
        wait_budget()
    } else {
        Duration::from_secs(40 * 60)
    }
}

fn block() -> Result<&'static contin_provider::BlockSchema, ProviderError> {
    schema::resource(DB_INSTANCE).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: DB_INSTANCE.to_string() })
}

fn i32_of(v: &Value, name: &str) -> Option<i32> {
    get_i64(v, name).and_then(|n| i32::try_from(n).ok())
}

fn int(v: Option<i32>) -> Value {
    v.map_or(Value::Null, |x| Value::int(i64::from(x)))
}

fn as_ec2_tags(tags: &[Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter().map(|t| aws_sdk_ec2::types::Tag::builder().set_key(t.key().map(String::from)).set_value(t.value().map(String::from)).build()).collect()
}

fn rds_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The identifier a create uses: `identifier`, else `identifier_prefix` (or "contin-") + 26 derived characters.
fn identifier(planned: &Value, ctx: &OpContext) -> String {
    match get_str(planned, "identifier") {
        Some(i) => i.to_string(),
        None => format!("{}{}", get_str(planned, "identifier_prefix").unwrap_or("contin-"), &client_token(ctx)[..26]),
    }
}

async fn describe(inner: &Inner, what: &str, id: &str) -> Result<Option<DbInstance>, ProviderError> {
    match inner.rds.describe_db_instances().db_instance_identifier(id).send().await.map_err(|e| api_err(what, e)) {
        Ok(o) => Ok(o.db_instances().first().cloned()),
        Err(e) if is_code(&e, "DBInstanceNotFound") || is_code(&e, "DBInstanceNotFoundFault") => Ok(None),
        Err(e) => Err(e),
    }
}

fn gone(d: &DbInstance) -> bool {
    matches!(d.db_instance_status(), Some("deleting" | "deleted"))
}

async fn read_db(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{DB_INSTANCE} {id}");
    let Some(d) = describe(inner, &what, id).await?.filter(|d| !gone(d)) else { return Ok(None) };
    let ep = d.endpoint();
    let address = ep.and_then(|e| e.address());
    let port = ep.and_then(|e| e.port()).or(d.db_instance_port().filter(|p| *p != 0));
    let mut sgs: Vec<String> = d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id().map(String::from)).collect();
    sgs.sort();
    let keep = |n: &str| get(shape, n).cloned().unwrap_or(Value::Null);
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), opt_string(d.dbi_resource_id()));
    m.insert("resource_id".into(), opt_string(d.dbi_resource_id()));
    m.insert("identifier".into(), opt_string(d.db_instance_identifier()));
    m.insert("identifier_prefix".into(), keep("identifier_prefix"));
    m.insert("arn".into(), opt_string(d.db_instance_arn()));
    m.insert("engine".into(), opt_string(d.engine()));
    m.insert("engine_version".into(), opt_string(d.engine_version()));
    m.insert("instance_class".into(), opt_string(d.db_instance_class()));
    m.insert("allocated_storage".into(), int(d.allocated_storage()));
    m.insert("storage_type".into(), opt_string(d.storage_type()));
    m.insert("storage_encrypted".into(), Value::Bool(d.storage_encrypted().unwrap_or(false)));
    m.insert("db_name".into(), opt_string(d.db_name()));
    m.insert("username".into(), opt_string(d.master_username()));
    // Never returned by RDS: the configured value stands.
    m.insert("password".into(), keep("password"));
    m.insert("port".into(), int(port));
    m.insert("vpc_security_group_ids".into(), Value::set(sgs.into_iter().map(Value::String).collect()));
    m.insert("db_subnet_group_name".into(), opt_string(d.db_subnet_group().and_then(|g| g.db_subnet_group_name())));
    m.insert("publicly_accessible".into(), Value::Bool(d.publicly_accessible().unwrap_or(false)));
    m.insert("multi_az".into(), Value::Bool(d.multi_az().unwrap_or(false)));
    m.insert("backup_retention_period".into(), int(d.backup_retention_period()));
    m.insert("deletion_protection".into(), Value::Bool(d.deletion_protection().unwrap_or(false)));
    // State only: what destroy and updates do.
    for n in ["skip_final_snapshot", "final_snapshot_identifier", "apply_immediately"] {
        m.insert(n.into(), keep(n));
    }
    m.insert("address".into(), opt_string(address));
    m.insert("endpoint".into(), match (address, port) {
        (Some(a), Some(p)) => Value::String(format!("{a}:{p}")),
        _ => Value::Null,
    });
    m.insert("hosted_zone_id".into(), opt_string(ep.and_then(|e| e.hosted_zone_id())));
    m.insert("status".into(), opt_string(d.db_instance_status()));
    m.insert("tags".into(), tags_value(&as_ec2_tags(d.tag_list()), &inner.default_tags, shape));
    Ok(Some(complete(block()?, m)))
}

/// Polls until the instance is `available` (no pending modification applied immediately).
async fn wait_available(inner: &Inner, what: &str, id: &str) -> Result<(), ProviderError> {
    let deadline = std::time::Instant::now() + budget();
    let mut delay = Duration::from_millis(250);
    loop {
        match describe(inner, what, id).await? {
            Some(d) if d.db_instance_status() == Some("available") => return Ok(()),
            Some(d) if matches!(d.db_instance_status(), Some("failed" | "incompatible-parameters" | "incompatible-network" | "storage-full")) => {
                return Err(ProviderError::Api {
                    code: "DBInstanceFailed".into(),
                    message: format!("{what}: DB instance {id} is {}", d.db_instance_status().unwrap_or_default()),
                })
            }
            None => return Err(ProviderError::Api { code: "DBInstanceNotFound".into(), message: format!("{what}: DB instance {id} disappeared while waiting") }),
            _ => {}
        }
        if std::time::Instant::now() + delay > deadline {
            return Err(ProviderError::Failed(format!("{what}: timed out after {}s waiting for DB instance {id} to become available", budget().as_secs())));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(15));
    }
}

async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let id = identifier(planned, ctx);
    match describe(inner, what, &id).await? {
        Some(d) => {
            let m = tag_map(&as_ec2_tags(d.tag_list()));
            if !bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k) == Some(v)) {
                return Err(ProviderError::Api {
                    code: "DBInstanceAlreadyExists".into(),
                    message: format!("{what}: DB instance {id:?} already exists and was not created by this resource; import it or choose another identifier"),
                });
            }
        }
        None => {
            let mut tags = effective_tags(&inner.default_tags, planned);
            tags.extend(bookkeeping_tags(ctx));
            let sgs = get_strs(planned, "vpc_security_group_ids");
            inner
                .rds
                .create_db_instance()
                .db_instance_identifier(&id)
                .set_engine(get_str(planned, "engine").map(String::from))
                .set_engine_version(get_str(planned, "engine_version").map(String::from))
                .set_db_instance_class(get_str(planned, "instance_class").map(String::from))
                .set_allocated_storage(i32_of(planned, "allocated_storage"))
                .set_storage_type(get_str(planned, "storage_type").map(String::from))
                .set_storage_encrypted(get_bool(planned, "storage_encrypted"))
                .set_db_name(get_str(planned, "db_name").map(String::from))
                .set_master_username(get_str(planned, "username").map(String::from))
                .set_master_user_password(get_str(planned, "password").map(String::from))
                .set_port(i32_of(planned, "port"))
                .set_vpc_security_group_ids((!sgs.is_empty()).then_some(sgs))
                .set_db_subnet_group_name(get_str(planned, "db_subnet_group_name").map(String::from))
                .set_publicly_accessible(get_bool(planned, "publicly_accessible"))
                .set_multi_az(get_bool(planned, "multi_az"))
                .set_backup_retention_period(i32_of(planned, "backup_retention_period"))
                .set_deletion_protection(get_bool(planned, "deletion_protection"))
                .set_tags(Some(rds_tags(&tags)))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
        }
    }
    wait_available(inner, what, &id).await?;
    read_db(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

/// Arguments `ModifyDBInstance` changes.
const MODIFIABLE: [&str; 11] = [
    "engine_version",
    "instance_class",
    "allocated_storage",
    "storage_type",
    "password",
    "port",
    "vpc_security_group_ids",
    "publicly_accessible",
    "multi_az",
    "backup_retention_period",
    "deletion_protection",
];

async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = get_str(prior, "identifier").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no identifier in state")))?;
    let changed = |n: &str| get(prior, n) != get(planned, n);
    if MODIFIABLE.iter().any(|n| changed(n)) {
        let s = |n: &str| if changed(n) { get_str(planned, n).map(String::from) } else { None };
        let i = |n: &str| if changed(n) { i32_of(planned, n) } else { None };
        let b = |n: &str| if changed(n) { get_bool(planned, n) } else { None };
        inner
            .rds
            .modify_db_instance()
            .db_instance_identifier(id)
            .apply_immediately(get_bool(planned, "apply_immediately").unwrap_or(false))
            .set_engine_version(s("engine_version"))
            .set_db_instance_class(s("instance_class"))
            .set_allocated_storage(i("allocated_storage"))
            .set_storage_type(s("storage_type"))
            .set_master_user_password(s("password"))
            .set_db_port_number(i("port"))
            .set_vpc_security_group_ids(if changed("vpc_security_group_ids") { Some(get_strs(planned, "vpc_security_group_ids")) } else { None })
            .set_publicly_accessible(b("publicly_accessible"))
            .set_multi_az(b("multi_az"))
            .set_backup_retention_period(i("backup_retention_period"))
            .set_deletion_protection(b("deletion_protection"))
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
        wait_available(inner, addr, id).await?;
    }
    let arn = get_str(prior, "arn").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no arn in state")))?;
    let live = describe(inner, addr, id).await?.ok_or_else(|| vanished(addr, id))?;
    let live = tag_map(&as_ec2_tags(live.tag_list()));
    let want = effective_tags(&inner.default_tags, planned);
    let remove: Vec<String> = live.keys().filter(|k| !k.starts_with("contin:") && !want.contains_key(*k)).cloned().collect();
    let set: BTreeMap<String, String> = want.into_iter().filter(|(k, v)| live.get(k) != Some(v)).collect();
    if !remove.is_empty() {
        inner.rds.remove_tags_from_resource().resource_name(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(addr, e))?;
    }
    if !set.is_empty() {
        inner.rds.add_tags_to_resource().resource_name(arn).set_tags(Some(rds_tags(&set))).send().await.map_err(|e| api_err(addr, e))?;
    }
    read_db(inner, id, planned).await?.ok_or_else(|| ProviderError::Api { code: "NotFound".into(), message: format!("{addr}: {id} disappeared during the update") })
}

async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "identifier") else { return Ok(()) };
    if describe(inner, addr, id).await?.is_none_or(|d| gone(&d)) {
        return Ok(());
    }
    let skip = get_bool(prior, "skip_final_snapshot") == Some(true);
    let final_id = get_str(prior, "final_snapshot_identifier");
    if !skip && final_id.is_none() {
        return Err(ProviderError::Invalid(format!(
            "{addr}: final_snapshot_identifier is required when skip_final_snapshot is false (set one of them and apply before destroying)"
        )));
    }
    let sent = inner
        .rds
        .delete_db_instance()
        .db_instance_identifier(id)
        .skip_final_snapshot(skip)
        .set_final_db_snapshot_identifier(if skip { None } else { final_id.map(String::from) })
        .send()
        .await
        .map_err(|e| api_err(addr, e));
    match sent {
        Ok(_) => {}
        Err(e) if is_code(&e, "DBInstanceNotFound") || is_code(&e, "DBInstanceNotFoundFault") => return Ok(()),
        Err(ProviderError::Api { code, message }) if message.contains("deletion protection") || message.contains("DeletionProtection") => {
            return Err(ProviderError::Api { code, message: format!("{message} (set deletion_protection = false and apply before destroying)") })
        }
        Err(e) => return Err(e),
    }
    let deadline = std::time::Instant::now() + budget();
    let mut delay = Duration::from_millis(250);
    while describe(inner, addr, id).await?.is_some_and(|d| d.db_instance_status() != Some("deleted")) {
        if std::time::Instant::now() + delay > deadline {
            return Err(ProviderError::Failed(format!("{addr}: timed out waiting for DB instance {id} to be deleted")));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(15));
    }
    Ok(())
}

// ------------------------------------------------------------------- dispatch

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    match get_str(state, "identifier") {
        Some(id) => read_db(inner, id, state).await,
        None => Ok(None),
    }
}

pub(crate) async fn create_db(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    create(inner, planned, ctx).await
}

pub(crate) async fn update_db(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    update(inner, addr, prior, planned).await
}

pub(crate) async fn delete_db(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    delete(inner, addr, prior).await
}

/// Import by identifier (the name), as Terraform.
pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_db(inner, id, &Value::map::<&str>([])).await
}
