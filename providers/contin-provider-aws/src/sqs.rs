//! SQS (aws-sdk-sqs): `aws_sqs_queue` and `aws_sqs_queue_policy`. Schemas
//! live here.
//!
//! `aws_sqs_queue`: id = the queue URL. The name is known before the create
//! (configured, or `name_prefix`/"contin-" + 26 characters derived from the
//! create's lineage/address/generation; FIFO queues get the ".fifo" suffix)
//! and `CreateQueue` carries the bookkeeping tags. `CreateQueue` returns an
//! existing queue with the same name and attributes, so after every create the
//! queue's tags are checked: a queue made for this create (a re-run after a
//! crash) is adopted and converged, any other is refused. Terraform's
//! defaults (delay 0, retention 345600 s, receive wait 0, visibility 30 s,
//! not FIFO, no content-based deduplication) plan when the argument is unset;
//! `max_message_size`, `sqs_managed_sse_enabled` and
//! `kms_data_key_reuse_period_seconds` are optional+computed (AWS changed the
//! first default in 2025; SSE depends on the account). `policy`,
//! `redrive_policy` and `redrive_allow_policy` are compared by meaning
//! (`policy.rs`) and optional+computed, so an `aws_sqs_queue_policy` managing
//! the same queue causes no diff.
//!
//! `aws_sqs_queue_policy`: the queue's `Policy` attribute; id = queue URL.
//! Setting it is idempotent (content identity: a re-run writes the same
//! document); delete clears it.

use crate::policy;
use crate::util::*;
use crate::Inner;
use aws_sdk_sqs::types::QueueAttributeName as Q;
use contin_provider::{
    AttrSchema as A, AttrType as T, BlockSchema, OpContext, PlannedChange, ProviderError,
};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::{BTreeMap, HashMap};

pub const SQS_QUEUE: &str = "aws_sqs_queue";
pub const SQS_QUEUE_POLICY: &str = "aws_sqs_queue_policy";

pub(crate) fn is_sqs(ty: &str) -> bool {
    matches!(ty, SQS_QUEUE | SQS_QUEUE_POLICY)
}

/// Numeric arguments: (argument, SQS attribute, Terraform's default if any, allowed range).
type NumberArg = (&'static str, &'static str, Option<i64>, (i64, i64));

const NUMBERS: &[NumberArg] = &[
    ("delay_seconds", "DelaySeconds", Some(0), (0, 900)),
    (
        "max_message_size",
        "MaximumMessageSize",
        None,
        (1024, 1_048_576),
    ),
    (
        "message_retention_seconds",
        "MessageRetentionPeriod",
        Some(345_600),
        (60, 1_209_600),
    ),
    (
        "receive_wait_time_seconds",
        "ReceiveMessageWaitTimeSeconds",
        Some(0),
        (0, 20),
    ),
    (
        "visibility_timeout_seconds",
        "VisibilityTimeout",
        Some(30),
        (0, 43_200),
    ),
    (
        "kms_data_key_reuse_period_seconds",
        "KmsDataKeyReusePeriodSeconds",
        None,
        (60, 86_400),
    ),
];
/// JSON documents: (argument, SQS attribute).
const DOCUMENTS: &[(&str, &str)] = &[
    ("policy", "Policy"),
    ("redrive_policy", "RedrivePolicy"),
    ("redrive_allow_policy", "RedriveAllowPolicy"),
];
/// Strings: (argument, SQS attribute).
const STRINGS: &[(&str, &str)] = &[
    ("kms_master_key_id", "KmsMasterKeyId"),
    ("deduplication_scope", "DeduplicationScope"),
    ("fifo_throughput_limit", "FifoThroughputLimit"),
];

pub fn queue() -> BlockSchema {
    let mut b = BlockSchema::default()
        .attr("name", A::optional_computed(T::String).force_new())
        .attr(
            "name_prefix",
            A::optional(T::String)
                .force_new()
                .describe("a unique name starting with this prefix (when name is not set)"),
        )
        .attr(
            "fifo_queue",
            A::optional_computed(T::Bool)
                .force_new()
                .describe("default false"),
        )
        .attr(
            "content_based_deduplication",
            A::optional_computed(T::Bool).describe("FIFO only; default false"),
        )
        .attr("sqs_managed_sse_enabled", A::optional_computed(T::Bool))
        .attr(
            "tags",
            A::optional(T::Map(Box::new(T::String)))
                .describe("tags of the queue; provider default tags are added, resource tags win"),
        )
        .attr("id", A::computed(T::String))
        .attr("url", A::computed(T::String))
        .attr("arn", A::computed(T::String));
    for (arg, _, _, _) in NUMBERS {
        b = b.attr(arg, A::optional_computed(T::Number));
    }
    for (arg, _) in DOCUMENTS.iter().chain(STRINGS) {
        b = b.attr(arg, A::optional_computed(T::String));
    }
    b
}

pub fn queue_policy() -> BlockSchema {
    BlockSchema::default()
        .attr("queue_url", A::required(T::String).force_new())
        .attr(
            "policy",
            A::required(T::String)
                .describe("JSON policy document; compared by meaning, not by text"),
        )
        .attr("id", A::computed(T::String))
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(SQS_QUEUE.into(), queue());
    p.resources.insert(SQS_QUEUE_POLICY.into(), queue_policy());
}

fn with_defaults(desired: &Value) -> Value {
    let Value::Map(m) = desired else {
        return desired.clone();
    };
    let mut m = m.clone();
    let unset = |m: &BTreeMap<String, Value>, k: &str| m.get(k).is_none_or(Value::is_null);
    for (arg, _, default, _) in NUMBERS {
        if let Some(d) = default {
            if unset(&m, arg) {
                m.insert((*arg).to_string(), Value::int(*d));
            }
        }
    }
    for arg in ["fifo_queue", "content_based_deduplication"] {
        if unset(&m, arg) {
            m.insert(arg.to_string(), Value::Bool(false));
        }
    }
    Value::Map(m)
}

/// Re-plans `aws_sqs_queue` with Terraform's defaults and keeps the state's
/// spelling of documents that mean the same.
pub(crate) fn replan(
    ty: &str,
    block: &BlockSchema,
    prior: Option<&Value>,
    desired: &Value,
    change: &mut PlannedChange,
) {
    if ty == SQS_QUEUE {
        let (plain, _) = desired.unmark_deep();
        *change = contin_provider::plan_change_from_schema(block, prior, &with_defaults(&plain));
    }
    if !is_sqs(ty) || !change.requires_replace.is_empty() {
        return;
    }
    let Some(prior) = prior else { return };
    for (arg, _) in DOCUMENTS {
        if let (Some(old), Some(new)) = (get_str(prior, arg), get_str(&change.planned, arg)) {
            if old != new && policy::equivalent(old, new) {
                let old = Value::string(old);
                if let Value::Map(m) = &mut change.planned {
                    m.insert((*arg).to_string(), old);
                }
            }
        }
    }
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    match ty {
        SQS_QUEUE => {
            let fifo = check_fifo_name(cfg, "queue", "fifo_queue", 80, d);
            if !fifo && get_bool(cfg, "content_based_deduplication") == Some(true) {
                d.push(Diagnostic::error(
                    "content_based_deduplication: only for FIFO queues (fifo_queue = true)",
                ));
            }
            for (arg, _, _, (lo, hi)) in NUMBERS {
                if let Some(n) = get_i64(cfg, arg) {
                    if n < *lo || n > *hi {
                        d.push(Diagnostic::error(format!("{arg}: {lo} to {hi}, got {n}")));
                    }
                }
            }
            policy::check_documents(cfg, DOCUMENTS.iter().map(|(arg, _)| *arg), d);
        }
        SQS_QUEUE_POLICY => {
            if let Some(doc) = get_str(cfg, "policy") {
                if let Err(why) = policy::parse(doc) {
                    d.push(Diagnostic::error(format!("policy: {why}")));
                }
            }
        }
        _ => {}
    }
}

fn is_gone(e: &ProviderError) -> bool {
    is_code(e, "AWS.SimpleQueueService.NonExistentQueue") || is_code(e, "QueueDoesNotExist")
}

async fn attributes(
    inner: &Inner,
    what: &str,
    url: &str,
) -> Result<Option<HashMap<Q, String>>, ProviderError> {
    match inner
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(Q::All)
        .send()
        .await
        .map_err(|e| api_err(what, e))
    {
        Ok(o) => Ok(Some(o.attributes().cloned().unwrap_or_default())),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn live_tags(
    inner: &Inner,
    what: &str,
    url: &str,
) -> Result<HashMap<String, String>, ProviderError> {
    let out = inner
        .sqs
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(out.tags().cloned().unwrap_or_default())
}

fn as_ec2_tags(m: &HashMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    m.iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

fn document(live: Option<&String>, shape: &Value, arg: &str) -> Value {
    match live.filter(|s| !s.is_empty()) {
        Some(doc) => Value::String(policy::keep_spelling(doc, get_str(shape, arg))),
        None => Value::Null,
    }
}

fn queue_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

async fn read_queue(
    inner: &Inner,
    url: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{SQS_QUEUE} {url}");
    let Some(a) = attributes(inner, &what, url).await? else {
        return Ok(None);
    };
    let tags = live_tags(inner, &what, url).await?;
    let attr = |n: &str| a.get(&Q::from(n));
    let flag = |n: &str| Value::Bool(attr(n).is_some_and(|v| v == "true"));
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(url));
    m.insert("url".into(), Value::string(url));
    m.insert("name".into(), Value::string(queue_name(url)));
    m.insert(
        "name_prefix".into(),
        get(shape, "name_prefix").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "arn".into(),
        opt_string(attr("QueueArn").map(String::as_str)),
    );
    m.insert("fifo_queue".into(), flag("FifoQueue"));
    m.insert(
        "content_based_deduplication".into(),
        flag("ContentBasedDeduplication"),
    );
    m.insert(
        "sqs_managed_sse_enabled".into(),
        flag("SqsManagedSseEnabled"),
    );
    for (arg, name, _, _) in NUMBERS {
        m.insert(
            (*arg).to_string(),
            attr(name)
                .and_then(|v| v.parse::<i64>().ok())
                .map_or(Value::Null, Value::int),
        );
    }
    for (arg, name) in DOCUMENTS {
        m.insert((*arg).to_string(), document(attr(name), shape, arg));
    }
    for (arg, name) in STRINGS {
        m.insert(
            (*arg).to_string(),
            opt_string(attr(name).map(String::as_str).filter(|s| !s.is_empty())),
        );
    }
    m.insert(
        "tags".into(),
        tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape),
    );
    Ok(Some(complete(&queue(), m)))
}

/// The SQS attributes `planned` sets that differ from `prior` (all of them when `prior` is null).
fn attribute_delta(prior: &Value, planned: &Value, creating: bool) -> HashMap<Q, String> {
    let mut out = HashMap::new();
    let differs = |arg: &str| creating || get(prior, arg) != get(planned, arg);
    for (arg, name, _, _) in NUMBERS {
        if let Some(n) = get_i64(planned, arg).filter(|_| differs(arg)) {
            out.insert(Q::from(*name), n.to_string());
        }
    }
    for (arg, name) in DOCUMENTS.iter().chain(STRINGS) {
        if differs(arg) {
            match get(planned, arg) {
                Some(Value::String(s)) => {
                    out.insert(Q::from(*name), s.clone());
                }
                // Removed from a known value: cleared (unknown/absent+computed keeps it).
                Some(Value::Null) | None
                    if !creating
                        && get_str(prior, arg).is_some()
                        && DOCUMENTS.iter().any(|(a, _)| a == arg) =>
                {
                    out.insert(Q::from(*name), String::new());
                }
                _ => {}
            }
        }
    }
    let fifo = get_bool(planned, "fifo_queue") == Some(true);
    if creating && fifo {
        out.insert(Q::FifoQueue, "true".into());
    }
    if fifo && differs("content_based_deduplication") {
        if let Some(b) = get_bool(planned, "content_based_deduplication") {
            out.insert(Q::ContentBasedDeduplication, b.to_string());
        }
    }
    if differs("sqs_managed_sse_enabled") {
        if let Some(b) = get_bool(planned, "sqs_managed_sse_enabled") {
            out.insert(Q::SqsManagedSseEnabled, b.to_string());
        }
    }
    out
}

fn queue_create_name(planned: &Value, ctx: &OpContext) -> String {
    let name = crate::iam::object_name(planned, ctx);
    if get_bool(planned, "fifo_queue") == Some(true) && !name.ends_with(".fifo") {
        format!("{name}.fifo")
    } else {
        name
    }
}

async fn converge_tags(
    inner: &Inner,
    what: &str,
    url: &str,
    planned: &Value,
) -> Result<(), ProviderError> {
    let live = live_tags(inner, what, url).await?;
    let want = effective_tags(&inner.default_tags, planned);
    let (remove, set) = tag_changes(&live, want);
    let set: HashMap<String, String> = set.into_iter().collect();
    if !remove.is_empty() {
        inner
            .sqs
            .untag_queue()
            .queue_url(url)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    if !set.is_empty() {
        inner
            .sqs
            .tag_queue()
            .queue_url(url)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

async fn create_call(
    inner: &Inner,
    what: &str,
    name: &str,
    planned: &Value,
    tags: BTreeMap<String, String>,
) -> Result<String, ProviderError> {
    let out = inner
        .sqs
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attribute_delta(&Value::Null, planned, true)))
        .set_tags(Some(tags.into_iter().collect()))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    out.queue_url()
        .map(String::from)
        .ok_or_else(|| ProviderError::Failed(format!("{what}: CreateQueue returned no URL")))
}

async fn create_queue(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = queue_create_name(planned, ctx);
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    // Looked up first: CreateQueue answers with an existing queue of the same
    // name and attributes (and moto then merges the new tags into it).
    let existing = match inner
        .sqs
        .get_queue_url()
        .queue_name(&name)
        .send()
        .await
        .map_err(|e| api_err(what, e))
    {
        Ok(out) => out.queue_url().map(String::from),
        Err(e) if is_gone(&e) => None,
        Err(e) => return Err(e),
    };
    let sent = match existing {
        Some(url) => Ok(url),
        None => {
            let created = create_call(inner, what, &name, planned, tags).await;
            if created.is_ok() {
                kill_hook(ctx);
            }
            created
        }
    };
    let url = match sent {
        Ok(url) => url,
        // Same name, other attributes: ours only if tagged for this create.
        Err(e) if is_code(&e, "QueueAlreadyExists") || is_code(&e, "QueueNameExists") => {
            let out = inner
                .sqs
                .get_queue_url()
                .queue_name(&name)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            out.queue_url()
                .map(String::from)
                .ok_or_else(|| vanished(what, &name))?
        }
        Err(e) => return Err(e),
    };
    // CreateQueue also answers with a queue that already existed: check whose it is.
    let live = live_tags(inner, what, &url).await?;
    if !bookkeeping_tags(ctx)
        .iter()
        .all(|(k, v)| live.get(k) == Some(v))
    {
        return Err(ProviderError::Api {
            code: "QueueAlreadyExists".into(),
            message: format!("{what}: queue {name:?} already exists and was not created by this resource; import it or choose another name"),
        });
    }
    // An adopted queue may differ from the plan: converge.
    let current = read_queue(inner, &url, planned)
        .await?
        .ok_or_else(|| vanished(what, &name))?;
    let delta = attribute_delta(&current, planned, false);
    if !delta.is_empty() {
        inner
            .sqs
            .set_queue_attributes()
            .queue_url(&url)
            .set_attributes(Some(delta))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    converge_tags(inner, what, &url, planned).await?;
    read_queue(inner, &url, planned)
        .await?
        .ok_or_else(|| vanished(what, &name))
}

async fn update_queue(
    inner: &Inner,
    addr: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let url = get_str(prior, "id")
        .ok_or_else(|| ProviderError::Invalid(format!("{addr}: no queue URL in state")))?;
    let delta = attribute_delta(prior, planned, false);
    if !delta.is_empty() {
        inner
            .sqs
            .set_queue_attributes()
            .queue_url(url)
            .set_attributes(Some(delta))
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
    }
    converge_tags(inner, addr, url, planned).await?;
    read_queue(inner, url, planned)
        .await?
        .ok_or_else(|| vanished(addr, url))
}

async fn read_policy(
    inner: &Inner,
    url: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{SQS_QUEUE_POLICY} {url}");
    let Some(a) = attributes(inner, &what, url).await? else {
        return Ok(None);
    };
    let doc = document(a.get(&Q::Policy), shape, "policy");
    if doc.is_null() {
        return Ok(None);
    }
    Ok(Some(Value::map(vec![
        ("id", Value::string(url)),
        ("queue_url", Value::string(url)),
        ("policy", doc),
    ])))
}

async fn set_policy(inner: &Inner, what: &str, url: &str, doc: &str) -> Result<(), ProviderError> {
    inner
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .attributes(Q::Policy, doc)
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(())
}

pub(crate) async fn read(
    inner: &Inner,
    ty: &str,
    state: &Value,
) -> Result<Option<Value>, ProviderError> {
    let url = get_str(state, "id")
        .or_else(|| get_str(state, if ty == SQS_QUEUE { "url" } else { "queue_url" }));
    let Some(url) = url else { return Ok(None) };
    match ty {
        SQS_QUEUE => read_queue(inner, url, state).await,
        _ => read_policy(inner, url, state).await,
    }
}

pub(crate) async fn create(
    inner: &Inner,
    ty: &str,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    match ty {
        SQS_QUEUE => create_queue(inner, planned, ctx).await,
        _ => {
            let what = ctx.address.to_string();
            let url = get_str(planned, "queue_url")
                .ok_or_else(|| ProviderError::Invalid(format!("{what}: queue_url is not known")))?;
            set_policy(
                inner,
                &what,
                url,
                get_str(planned, "policy").unwrap_or_default(),
            )
            .await?;
            kill_hook(ctx);
            read_policy(inner, url, planned)
                .await?
                .ok_or_else(|| vanished(&what, url))
        }
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
        SQS_QUEUE => update_queue(inner, addr, prior, planned).await,
        _ => {
            let url = get_str(prior, "queue_url")
                .ok_or_else(|| ProviderError::Invalid(format!("{addr}: no queue URL in state")))?;
            set_policy(
                inner,
                addr,
                url,
                get_str(planned, "policy").unwrap_or_default(),
            )
            .await?;
            read_policy(inner, url, planned)
                .await?
                .ok_or_else(|| vanished(addr, url))
        }
    }
}

pub(crate) async fn delete(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let gone_ok = |r: Result<(), ProviderError>| match r {
        Err(e) if is_gone(&e) => Ok(()),
        other => other,
    };
    match ty {
        SQS_QUEUE => {
            let Some(url) = get_str(prior, "id") else {
                return Ok(());
            };
            gone_ok(
                inner
                    .sqs
                    .delete_queue()
                    .queue_url(url)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| api_err(addr, e)),
            )
        }
        _ => {
            let Some(url) = get_str(prior, "queue_url") else {
                return Ok(());
            };
            gone_ok(set_policy(inner, addr, url, "").await)
        }
    }
}

pub(crate) async fn import(
    inner: &Inner,
    ty: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        SQS_QUEUE => read_queue(inner, id, &Value::Null).await,
        _ => read_policy(inner, id, &Value::Null).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_argument() {
        let cfg = Value::map(vec![
            ("name", Value::string("jobs")),
            ("fifo_queue", Value::Bool(true)),
            ("visibility_timeout_seconds", Value::int(50_000)),
            ("redrive_policy", Value::string("nope")),
        ]);
        let mut d = Diagnostics::new();
        validate(SQS_QUEUE, &cfg, &mut d);
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        for (m, prefix) in msgs.iter().zip([
            "name: a FIFO queue's name",
            "visibility_timeout_seconds: 0 to 43200",
            "redrive_policy: not valid JSON",
        ]) {
            assert!(m.starts_with(prefix), "{m}");
        }
        let mut d = Diagnostics::new();
        validate(
            SQS_QUEUE,
            &Value::map(vec![
                ("name", Value::string("jobs.fifo")),
                ("fifo_queue", Value::Bool(true)),
                ("content_based_deduplication", Value::Bool(true)),
            ]),
            &mut d,
        );
        assert!(d.0.is_empty(), "{d:?}");
    }

    #[test]
    fn defaults_plan_and_removed_documents_clear() {
        let block = queue();
        let desired = Value::map(vec![("name", Value::string("q"))]);
        let mut change = contin_provider::plan_change_from_schema(&block, None, &desired);
        replan(SQS_QUEUE, &block, None, &desired, &mut change);
        assert_eq!(
            get(&change.planned, "visibility_timeout_seconds"),
            Some(&Value::int(30))
        );
        assert_eq!(
            get(&change.planned, "fifo_queue"),
            Some(&Value::Bool(false))
        );
        assert_eq!(
            get(&change.planned, "max_message_size"),
            Some(&Value::Unknown)
        );
        let prior = Value::map(vec![
            ("redrive_policy", Value::string("{}")),
            ("delay_seconds", Value::int(0)),
        ]);
        let planned = Value::map(vec![
            ("redrive_policy", Value::Null),
            ("delay_seconds", Value::int(5)),
        ]);
        let delta = attribute_delta(&prior, &planned, false);
        assert_eq!(delta.get(&Q::RedrivePolicy).map(String::as_str), Some(""));
        assert_eq!(delta.get(&Q::DelaySeconds).map(String::as_str), Some("5"));
        assert_eq!(queue_name("http://h/123/q1.fifo"), "q1.fifo");
    }
}
