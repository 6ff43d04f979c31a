//! EBS (aws-sdk-ec2): `aws_ebs_volume` and `aws_volume_attachment`. Schemas
//! live here.
//!
//! `aws_ebs_volume`: `CreateVolume` carries the bookkeeping tags and a
//! `ClientToken` derived from the create's lineage/address/generation; before
//! creating, a volume tagged for this create (a re-run after a crash) is
//! adopted. The create waits until the volume is `available`. `size`, `type`,
//! `iops` and `throughput` change in place (`ModifyVolume`); the rest replaces.
//! Destroy takes a snapshot first when `final_snapshot` is true.
//!
//! `aws_volume_attachment`: crash safety by content identity: before
//! `AttachVolume` the volume's attachments are read, and an attachment of the
//! same volume to the same instance at the same device is adopted. The id is
//! `vai-` + the first 8 hex digits of the SHA-256 of device, instance and
//! volume (Terraform uses a CRC-based hash of the same three; ids differ).
//! `skip_destroy` leaves the attachment in place at destroy; `force_detach`
//! detaches forcibly. Attach and detach wait for `attached`/gone.

use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::{ResourceType, VolumeType};
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const EBS_VOLUME: &str = "aws_ebs_volume";
pub const VOLUME_ATTACHMENT: &str = "aws_volume_attachment";

const VOLUME_TYPES: &[&str] = &["standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"];

pub(crate) fn is_ebs(ty: &str) -> bool {
    matches!(ty, EBS_VOLUME | VOLUME_ATTACHMENT)
}

pub fn volume() -> BlockSchema {
    BlockSchema::default()
        .attr("availability_zone", A::required(T::String).force_new())
        .attr("size", A::optional_computed(T::Number).describe("GiB"))
        .attr(
            "type",
            A::optional_computed(T::String)
                .describe("gp2 (EC2's default), gp3, io1, io2, sc1, st1, standard"),
        )
        .attr("iops", A::optional_computed(T::Number))
        .attr(
            "throughput",
            A::optional_computed(T::Number).describe("MiB/s (gp3)"),
        )
        .attr("encrypted", A::optional_computed(T::Bool).force_new())
        .attr("kms_key_id", A::optional_computed(T::String).force_new())
        .attr("snapshot_id", A::optional_computed(T::String).force_new())
        .attr("multi_attach_enabled", A::optional(T::Bool).force_new())
        .attr("outpost_arn", A::optional(T::String).force_new())
        .attr(
            "final_snapshot",
            A::optional(T::Bool).describe("snapshot the volume before destroying it"),
        )
        .attr(
            "tags",
            A::optional(T::Map(Box::new(T::String)))
                .describe("tags of the volume; provider default tags are added, resource tags win"),
        )
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
}

pub fn attachment() -> BlockSchema {
    BlockSchema::default()
        .attr(
            "device_name",
            A::required(T::String).force_new().describe("e.g. /dev/sdh"),
        )
        .attr("instance_id", A::required(T::String).force_new())
        .attr("volume_id", A::required(T::String).force_new())
        .attr("force_detach", A::optional(T::Bool))
        .attr("skip_destroy", A::optional(T::Bool))
        .attr("stop_instance_before_detaching", A::optional(T::Bool))
        .attr("id", A::computed(T::String))
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(EBS_VOLUME.into(), volume());
    p.resources.insert(VOLUME_ATTACHMENT.into(), attachment());
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if ty != EBS_VOLUME {
        return;
    }
    if let Some(t) = get_str(cfg, "type") {
        if !VOLUME_TYPES.contains(&t) {
            d.push(Diagnostic::error(format!(
                "type: expected one of {VOLUME_TYPES:?}, got {t:?}"
            )));
        }
    }
    if let Some(n) = get_i64(cfg, "size") {
        if !(1..=65_536).contains(&n) {
            d.push(Diagnostic::error(format!("size: 1 to 65536 GiB, got {n}")));
        }
    }
    let set = |k: &str| get(cfg, k).is_some_and(|v| !v.is_null());
    if !set("size") && !set("snapshot_id") {
        d.push(Diagnostic::error(
            "size: one of size or snapshot_id must be set",
        ));
    }
    if set("throughput") && get_str(cfg, "type").is_some_and(|t| t != "gp3") {
        d.push(Diagnostic::error("throughput: only for type = \"gp3\""));
    }
}

fn i32_of(v: &Value, k: &str) -> Option<i32> {
    get_i64(v, k).and_then(|n| i32::try_from(n).ok())
}

async fn describe(
    inner: &Inner,
    what: &str,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::Volume>, ProviderError> {
    match inner
        .ec2
        .describe_volumes()
        .volume_ids(id)
        .send()
        .await
        .map_err(|e| api_err(what, e))
    {
        Ok(o) => Ok(o
            .volumes()
            .first()
            .cloned()
            .filter(|v| v.state().map(|s| s.as_str()) != Some("deleted"))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn read_volume(
    inner: &Inner,
    id: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{EBS_VOLUME} {id}");
    let Some(v) = describe(inner, &what, id).await? else {
        return Ok(None);
    };
    let account = crate::elb::account_id(inner, &what).await?;
    let (partition, _, _) = crate::data2::partition_of(&inner.region);
    let num = |n: Option<i32>| n.map_or(Value::Null, |n| Value::int(i64::from(n)));
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert(
        "arn".into(),
        Value::String(format!(
            "arn:{partition}:ec2:{}:{account}:volume/{id}",
            inner.region
        )),
    );
    m.insert(
        "availability_zone".into(),
        opt_string(v.availability_zone()),
    );
    m.insert("size".into(), num(v.size()));
    m.insert(
        "type".into(),
        opt_string(v.volume_type().map(VolumeType::as_str)),
    );
    m.insert("iops".into(), num(v.iops()));
    m.insert("throughput".into(), num(v.throughput()));
    m.insert(
        "encrypted".into(),
        Value::Bool(v.encrypted().unwrap_or(false)),
    );
    m.insert("kms_key_id".into(), opt_string(v.kms_key_id()));
    m.insert(
        "snapshot_id".into(),
        opt_string(v.snapshot_id().filter(|s| !s.is_empty())),
    );
    m.insert(
        "multi_attach_enabled".into(),
        match (v.multi_attach_enabled(), get(shape, "multi_attach_enabled")) {
            (Some(true), _) => Value::Bool(true),
            (_, Some(Value::Bool(b))) if !b => Value::Bool(false),
            _ => Value::Null,
        },
    );
    m.insert("outpost_arn".into(), opt_string(v.outpost_arn()));
    m.insert(
        "final_snapshot".into(),
        get(shape, "final_snapshot").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "tags".into(),
        tags_value(v.tags(), &inner.default_tags, shape),
    );
    Ok(Some(complete(&volume(), m)))
}

/// Waits until the volume's state is `want` (or, for "deleted", it is gone).
async fn wait_volume(inner: &Inner, what: &str, id: &str, want: &str) -> Result<(), ProviderError> {
    let mut backoff = Backoff::new();
    loop {
        let state = describe(inner, what, id)
            .await?
            .and_then(|v| v.state().map(|s| s.as_str().to_string()));
        match state.as_deref() {
            None if want == "deleted" => return Ok(()),
            Some(s) if s == want => return Ok(()),
            Some("error") => {
                return Err(ProviderError::Failed(format!(
                    "{what}: volume {id} is in state error"
                )))
            }
            _ => {}
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!(
                "{what}: volume {id} did not become {want} within the wait budget"
            )));
        }
    }
}

async fn create_volume(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let adopted = inner
        .ec2
        .describe_volumes()
        .set_filters(Some(adoption_filters(ctx)))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    let live = adopted.volumes().iter().find(|v| {
        v.state().map(|s| s.as_str()) != Some("deleting")
            && v.state().map(|s| s.as_str()) != Some("deleted")
    });
    let id = match live.and_then(|v| v.volume_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let out = inner
                .ec2
                .create_volume()
                .availability_zone(get_str(planned, "availability_zone").unwrap_or_default())
                .set_size(i32_of(planned, "size"))
                .set_volume_type(get_str(planned, "type").map(VolumeType::from))
                .set_iops(i32_of(planned, "iops"))
                .set_throughput(i32_of(planned, "throughput"))
                .set_encrypted(get_bool(planned, "encrypted"))
                .set_kms_key_id(get_str(planned, "kms_key_id").map(String::from))
                .set_snapshot_id(get_str(planned, "snapshot_id").map(String::from))
                .set_multi_attach_enabled(get_bool(planned, "multi_attach_enabled"))
                .set_outpost_arn(get_str(planned, "outpost_arn").map(String::from))
                .client_token(&client_token(ctx)[..64])
                .tag_specifications(tag_spec(ResourceType::Volume, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            out.volume_id().map(String::from).ok_or_else(|| {
                ProviderError::Failed(format!("{what}: CreateVolume returned no id"))
            })?
        }
    };
    wait_volume(inner, what, &id, "available").await?;
    let current = read_volume(inner, &id, planned)
        .await?
        .ok_or_else(|| vanished(what, &id))?;
    modify(inner, what, &id, &current, planned).await?;
    read_volume(inner, &id, planned)
        .await?
        .ok_or_else(|| vanished(what, &id))
}

/// ModifyVolume for what changed among size, type, iops and throughput.
async fn modify(
    inner: &Inner,
    what: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let changed = |k: &str| {
        get(planned, k).is_some_and(|v| !v.is_null() && v.is_wholly_known())
            && get(prior, k) != get(planned, k)
    };
    if !["size", "type", "iops", "throughput"]
        .iter()
        .any(|k| changed(k))
    {
        return Ok(());
    }
    inner
        .ec2
        .modify_volume()
        .volume_id(id)
        .set_size(i32_of(planned, "size").filter(|_| changed("size")))
        .set_volume_type(
            get_str(planned, "type")
                .filter(|_| changed("type"))
                .map(VolumeType::from),
        )
        .set_iops(i32_of(planned, "iops").filter(|_| changed("iops")))
        .set_throughput(i32_of(planned, "throughput").filter(|_| changed("throughput")))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(())
}

async fn delete_volume(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else {
        return Ok(());
    };
    if describe(inner, addr, id).await?.is_none() {
        return Ok(());
    }
    if get_bool(prior, "final_snapshot") == Some(true) {
        let mut b = inner
            .ec2
            .create_snapshot()
            .volume_id(id)
            .description(format!("final snapshot of {id} ({addr})"));
        let tags = effective_tags(&inner.default_tags, prior);
        if !tags.is_empty() {
            let mut spec = aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(ResourceType::Snapshot);
            for (k, v) in tags {
                spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
            }
            b = b.tag_specifications(spec.build());
        }
        b.send().await.map_err(|e| api_err(addr, e))?;
    }
    delete_with_retry(|| async {
        inner
            .ec2
            .delete_volume()
            .volume_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(addr, e))
    })
    .await?;
    wait_volume(inner, addr, id, "deleted").await
}

// -------------------------------------------------------- aws_volume_attachment

fn attachment_id(device: &str, instance: &str, volume: &str) -> String {
    let mut h = Sha256::new();
    for part in [device, instance, volume] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("vai-{}", &hex::encode(h.finalize())[..8])
}

struct Link<'a> {
    device: &'a str,
    instance: &'a str,
    volume: &'a str,
}

impl<'a> Link<'a> {
    fn of(v: &'a Value) -> Option<Link<'a>> {
        Some(Link {
            device: get_str(v, "device_name")?,
            instance: get_str(v, "instance_id")?,
            volume: get_str(v, "volume_id")?,
        })
    }
}

/// The attachment's state ("attaching", "attached", "detaching"), None when the volume is not attached there.
async fn attachment_state(
    inner: &Inner,
    what: &str,
    l: &Link<'_>,
) -> Result<Option<String>, ProviderError> {
    let Some(v) = describe(inner, what, l.volume).await? else {
        return Ok(None);
    };
    Ok(v.attachments()
        .iter()
        .find(|a| a.instance_id() == Some(l.instance) && a.device() == Some(l.device))
        .map(|a| a.state().map_or("attached", |s| s.as_str()).to_string())
        .filter(|s| s != "detached"))
}

fn attachment_value(l: &Link<'_>, shape: &Value) -> Value {
    let mut m = BTreeMap::new();
    m.insert(
        "id".to_string(),
        Value::String(attachment_id(l.device, l.instance, l.volume)),
    );
    m.insert("device_name".into(), Value::string(l.device));
    m.insert("instance_id".into(), Value::string(l.instance));
    m.insert("volume_id".into(), Value::string(l.volume));
    for k in [
        "force_detach",
        "skip_destroy",
        "stop_instance_before_detaching",
    ] {
        m.insert(k.into(), get(shape, k).cloned().unwrap_or(Value::Null));
    }
    Value::Map(m)
}

async fn wait_attachment(
    inner: &Inner,
    what: &str,
    l: &Link<'_>,
    attached: bool,
) -> Result<(), ProviderError> {
    let mut backoff = Backoff::new();
    loop {
        let state = attachment_state(inner, what, l).await?;
        match (attached, state.as_deref()) {
            (true, Some("attached")) | (false, None) => return Ok(()),
            _ => {}
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!(
                "{what}: volume {} is still {state:?} at {} of {}",
                l.volume, l.device, l.instance
            )));
        }
    }
}

async fn create_attachment(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let l = Link::of(planned).ok_or_else(|| {
        ProviderError::Invalid(format!(
            "{what}: device_name, instance_id and volume_id must be known"
        ))
    })?;
    if attachment_state(inner, &what, &l).await?.is_none() {
        inner
            .ec2
            .attach_volume()
            .device(l.device)
            .instance_id(l.instance)
            .volume_id(l.volume)
            .send()
            .await
            .map_err(|e| api_err(&what, e))?;
        kill_hook(ctx);
    }
    wait_attachment(inner, &what, &l, true).await?;
    Ok(attachment_value(&l, planned))
}

async fn delete_attachment(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(l) = Link::of(prior) else {
        return Ok(());
    };
    if get_bool(prior, "skip_destroy") == Some(true)
        || attachment_state(inner, addr, &l).await?.is_none()
    {
        return Ok(());
    }
    if get_bool(prior, "stop_instance_before_detaching") == Some(true) {
        inner
            .ec2
            .stop_instances()
            .instance_ids(l.instance)
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
    }
    let sent = inner
        .ec2
        .detach_volume()
        .device(l.device)
        .instance_id(l.instance)
        .volume_id(l.volume)
        .set_force(get_bool(prior, "force_detach"))
        .send()
        .await
        .map_err(|e| api_err(addr, e));
    match sent {
        Err(e) if is_not_found(&e) || is_code(&e, "IncorrectState") => {}
        other => {
            other?;
        }
    }
    wait_attachment(inner, addr, &l, false).await
}

// ------------------------------------------------------------------ dispatch

pub(crate) async fn read(
    inner: &Inner,
    ty: &str,
    state: &Value,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        EBS_VOLUME => {
            let Some(id) = get_str(state, "id") else {
                return Ok(None);
            };
            read_volume(inner, id, state).await
        }
        _ => {
            let Some(l) = Link::of(state) else {
                return Ok(None);
            };
            let what = format!("{VOLUME_ATTACHMENT} {}", l.volume);
            Ok(attachment_state(inner, &what, &l)
                .await?
                .map(|_| attachment_value(&l, state)))
        }
    }
}

pub(crate) async fn create(
    inner: &Inner,
    ty: &str,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    match ty {
        EBS_VOLUME => create_volume(inner, planned, ctx).await,
        _ => create_attachment(inner, planned, ctx).await,
    }
}

pub(crate) async fn update(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    match ty {
        EBS_VOLUME => {
            let id = get_str(prior, "id")
                .ok_or_else(|| ProviderError::Invalid(format!("{addr}: no volume id in state")))?;
            modify(inner, addr, id, prior, planned).await?;
            crate::network::sync_tags(inner, addr, id, prior, planned).await?;
            read_volume(inner, id, planned)
                .await?
                .ok_or_else(|| vanished(addr, id))
        }
        // Only the state-only flags change in place.
        _ => Ok(planned.clone()),
    }
}

pub(crate) async fn delete(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    match ty {
        EBS_VOLUME => delete_volume(inner, addr, prior).await,
        _ => delete_attachment(inner, addr, prior).await,
    }
}

pub(crate) async fn import(
    inner: &Inner,
    ty: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        EBS_VOLUME => read_volume(inner, id, &Value::Null).await,
        _ => {
            // Terraform's import id: device_name:volume_id:instance_id.
            let parts: Vec<&str> = id.split(':').collect();
            let [device, volume, instance] = parts.as_slice() else {
                return Err(ProviderError::Invalid(format!(
                    "{ty}: import id {id:?} is not <device_name>:<volume_id>:<instance_id>"
                )));
            };
            let shape = Value::map(vec![
                ("device_name", Value::string(*device)),
                ("volume_id", Value::string(*volume)),
                ("instance_id", Value::string(*instance)),
            ]);
            read(inner, ty, &shape).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_argument() {
        let mut d = Diagnostics::new();
        validate(
            EBS_VOLUME,
            &Value::map(vec![
                ("availability_zone", Value::string("a")),
                ("type", Value::string("ssd")),
                ("throughput", Value::int(200)),
            ]),
            &mut d,
        );
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs[0].starts_with("type: expected")
                && msgs[1].starts_with("size: one of")
                && msgs[2].starts_with("throughput: only"),
            "{msgs:?}"
        );
    }

    #[test]
    fn attachment_ids_depend_on_all_three() {
        let a = attachment_id("/dev/sdh", "i-1", "vol-1");
        assert!(a.starts_with("vai-") && a.len() == 12, "{a}");
        assert_ne!(a, attachment_id("/dev/sdh", "i-2", "vol-1"));
        assert_ne!(a, attachment_id("/dev/sdi", "i-1", "vol-1"));
        assert_eq!(a, attachment_id("/dev/sdh", "i-1", "vol-1"));
    }
}
