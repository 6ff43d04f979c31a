//! SNS (aws-sdk-sns): `aws_sns_topic` and `aws_sns_topic_subscription`.
//! Schemas live here.
//!
//! `aws_sns_topic`: id = the topic ARN. The name is known before the create
//! (configured, or `name_prefix`/"contin-" + 26 characters derived from the
//! create's lineage/address/generation; FIFO topics get ".fifo") and
//! `CreateTopic` carries the bookkeeping tags. `CreateTopic` answers with an
//! existing topic of the same name, so the create first looks the name up
//! (`ListTopics`): a topic tagged for this create (a re-run after a crash) is
//! adopted and converged, any other is refused. `policy` is optional+computed
//! (SNS writes a default policy) and compared by meaning.
//!
//! `aws_sns_topic_subscription`: id = the subscription ARN. `Subscribe` is
//! idempotent for the same topic, protocol and endpoint (it returns the
//! existing subscription): crash safety by content identity. Protocols that
//! need a confirmation (http/https/email) stay "pending confirmation" until
//! the endpoint confirms; `pending_confirmation` reports it.

use crate::policy;
use crate::util::*;
use crate::Inner;
use contin_provider::{
    AttrSchema as A, AttrType as T, BlockSchema, OpContext, PlannedChange, ProviderError,
};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::{BTreeMap, HashMap};

pub const SNS_TOPIC: &str = "aws_sns_topic";
pub const SNS_TOPIC_SUBSCRIPTION: &str = "aws_sns_topic_subscription";

pub(crate) fn is_sns(ty: &str) -> bool {
    matches!(ty, SNS_TOPIC | SNS_TOPIC_SUBSCRIPTION)
}

/// Topic string arguments: (argument, SNS attribute, optional+computed).
const TOPIC_STRINGS: &[(&str, &str, bool)] = &[
    ("display_name", "DisplayName", false),
    ("policy", "Policy", true),
    ("delivery_policy", "DeliveryPolicy", false),
    ("kms_master_key_id", "KmsMasterKeyId", false),
    ("signature_version", "SignatureVersion", true),
    ("tracing_config", "TracingConfig", true),
];
/// Subscription string arguments: (argument, SNS attribute, optional+computed).
const SUB_STRINGS: &[(&str, &str, bool)] = &[
    ("filter_policy", "FilterPolicy", false),
    ("filter_policy_scope", "FilterPolicyScope", true),
    ("redrive_policy", "RedrivePolicy", false),
    ("delivery_policy", "DeliveryPolicy", false),
    ("subscription_role_arn", "SubscriptionRoleArn", false),
];
const PROTOCOLS: &[&str] = &[
    "application",
    "email",
    "email-json",
    "firehose",
    "http",
    "https",
    "lambda",
    "sms",
    "sqs",
];

pub fn topic() -> BlockSchema {
    let mut b = BlockSchema::default()
        .attr("name", A::optional_computed(T::String).force_new())
        .attr(
            "name_prefix",
            A::optional(T::String)
                .force_new()
                .describe("a unique name starting with this prefix (when name is not set)"),
        )
        .attr(
            "fifo_topic",
            A::optional_computed(T::Bool)
                .force_new()
                .describe("default false"),
        )
        .attr(
            "content_based_deduplication",
            A::optional_computed(T::Bool).describe("FIFO only; default false"),
        )
        .attr(
            "tags",
            A::optional(T::Map(Box::new(T::String)))
                .describe("tags of the topic; provider default tags are added, resource tags win"),
        )
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
        .attr("owner", A::computed(T::String));
    for (arg, _, computed) in TOPIC_STRINGS {
        b = b.attr(
            arg,
            if *computed {
                A::optional_computed(T::String)
            } else {
                A::optional(T::String)
            },
        );
    }
    b
}

pub fn subscription() -> BlockSchema {
    let mut b = BlockSchema::default()
        .attr("topic_arn", A::required(T::String).force_new())
        .attr(
            "protocol",
            A::required(T::String)
                .force_new()
                .describe("sqs, lambda, http(s), email, sms, firehose, application"),
        )
        .attr("endpoint", A::required(T::String).force_new())
        .attr(
            "raw_message_delivery",
            A::optional_computed(T::Bool).describe("default false"),
        )
        .attr(
            "endpoint_auto_confirms",
            A::optional(T::Bool).describe("the endpoint confirms by itself (http/https)"),
        )
        .attr("confirmation_timeout_in_minutes", A::optional(T::Number))
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
        .attr("owner_id", A::computed(T::String))
        .attr("pending_confirmation", A::computed(T::Bool))
        .attr("confirmation_was_authenticated", A::computed(T::Bool));
    for (arg, _, computed) in SUB_STRINGS {
        b = b.attr(
            arg,
            if *computed {
                A::optional_computed(T::String)
            } else {
                A::optional(T::String)
            },
        );
    }
    b
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(SNS_TOPIC.into(), topic());
    p.resources
        .insert(SNS_TOPIC_SUBSCRIPTION.into(), subscription());
}

/// Re-plans with Terraform's defaults and keeps the state's spelling of
/// policies that mean the same.
pub(crate) fn replan(
    ty: &str,
    block: &BlockSchema,
    prior: Option<&Value>,
    desired: &Value,
    change: &mut PlannedChange,
) {
    if !is_sns(ty) {
        return;
    }
    let (plain, _) = desired.unmark_deep();
    let defaults: &[&str] = if ty == SNS_TOPIC {
        &["fifo_topic", "content_based_deduplication"]
    } else {
        &["raw_message_delivery"]
    };
    if let Value::Map(mut m) = plain {
        for k in defaults {
            if m.get(*k).is_none_or(Value::is_null) {
                m.insert((*k).to_string(), Value::Bool(false));
            }
        }
        *change = contin_provider::plan_change_from_schema(block, prior, &Value::Map(m));
    }
    let Some(prior) = prior else { return };
    if !change.requires_replace.is_empty() {
        return;
    }
    for arg in [
        "policy",
        "delivery_policy",
        "filter_policy",
        "redrive_policy",
    ] {
        if let (Some(old), Some(new)) = (get_str(prior, arg), get_str(&change.planned, arg)) {
            if old != new && policy::equivalent(old, new) {
                let old = Value::string(old);
                if let Value::Map(m) = &mut change.planned {
                    m.insert(arg.to_string(), old);
                }
            }
        }
    }
    // SNS picks the scope (MessageAttributes) when a filter policy comes or goes.
    let scope_unset = get(desired, "filter_policy_scope").is_none_or(Value::is_null);
    if ty == SNS_TOPIC_SUBSCRIPTION
        && scope_unset
        && get(prior, "filter_policy") != get(&change.planned, "filter_policy")
    {
        if let Value::Map(m) = &mut change.planned {
            m.insert("filter_policy_scope".into(), Value::Unknown);
        }
    }
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    match ty {
        SNS_TOPIC => {
            check_fifo_name(cfg, "topic", "fifo_topic", 256, d);
            policy::check_documents(cfg, ["policy", "delivery_policy"], d);
        }
        SNS_TOPIC_SUBSCRIPTION => {
            if let Some(p) = get_str(cfg, "protocol") {
                if !PROTOCOLS.contains(&p) {
                    d.push(Diagnostic::error(format!(
                        "protocol: expected one of {PROTOCOLS:?}, got {p:?}"
                    )));
                }
            }
            policy::check_documents(cfg, ["filter_policy", "redrive_policy", "delivery_policy"], d);
        }
        _ => {}
    }
}

fn is_gone(e: &ProviderError) -> bool {
    is_code(e, "NotFound") || is_code(e, "NotFoundException")
}

fn as_ec2_tags(tags: &[aws_sdk_sns::types::Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter()
        .map(|t| {
            aws_sdk_ec2::types::Tag::builder()
                .key(t.key())
                .value(t.value())
                .build()
        })
        .collect()
}

async fn live_tags(
    inner: &Inner,
    what: &str,
    arn: &str,
) -> Result<Vec<aws_sdk_sns::types::Tag>, ProviderError> {
    let out = inner
        .sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(out.tags().to_vec())
}

fn document(live: Option<&String>, shape: &Value, arg: &str) -> Value {
    match live.filter(|s| !s.is_empty()) {
        Some(doc) => Value::String(policy::keep_spelling(doc, get_str(shape, arg))),
        None => Value::Null,
    }
}

async fn read_topic(
    inner: &Inner,
    arn: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{SNS_TOPIC} {arn}");
    let a = match inner
        .sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .map_err(|e| api_err(&what, e))
    {
        Ok(o) => o.attributes().cloned().unwrap_or_default(),
        Err(e) if is_gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let tags = live_tags(inner, &what, arn).await?;
    let flag = |n: &str| Value::Bool(a.get(n).is_some_and(|v| v == "true"));
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(arn));
    m.insert("arn".into(), Value::string(arn));
    m.insert(
        "name".into(),
        Value::string(arn.rsplit(':').next().unwrap_or(arn)),
    );
    m.insert(
        "name_prefix".into(),
        get(shape, "name_prefix").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "owner".into(),
        opt_string(a.get("Owner").map(String::as_str)),
    );
    m.insert("fifo_topic".into(), flag("FifoTopic"));
    m.insert(
        "content_based_deduplication".into(),
        flag("ContentBasedDeduplication"),
    );
    for (arg, name, _) in TOPIC_STRINGS {
        let v = if ["policy", "delivery_policy"].contains(arg) {
            document(a.get(*name), shape, arg)
        } else {
            opt_string(a.get(*name).map(String::as_str).filter(|s| !s.is_empty()))
        };
        m.insert((*arg).to_string(), v);
    }
    m.insert(
        "tags".into(),
        tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape),
    );
    Ok(Some(complete(&topic(), m)))
}

/// The topic attributes `planned` sets that differ from `prior`.
fn topic_delta(prior: &Value, planned: &Value, creating: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (arg, name, computed) in TOPIC_STRINGS {
        if !creating && get(prior, arg) == get(planned, arg) {
            continue;
        }
        match get(planned, arg) {
            Some(Value::String(s)) => out.push(((*name).to_string(), s.clone())),
            // Removed: cleared (optional+computed ones keep what SNS set).
            Some(Value::Null) | None if !creating && !computed && get_str(prior, arg).is_some() => {
                out.push(((*name).to_string(), String::new()))
            }
            _ => {}
        }
    }
    if get_bool(planned, "fifo_topic") == Some(true)
        && (creating
            || get(prior, "content_based_deduplication")
                != get(planned, "content_based_deduplication"))
    {
        if let Some(b) = get_bool(planned, "content_based_deduplication") {
            out.push(("ContentBasedDeduplication".into(), b.to_string()));
        }
    }
    out
}

async fn set_topic_attributes(
    inner: &Inner,
    what: &str,
    arn: &str,
    delta: Vec<(String, String)>,
) -> Result<(), ProviderError> {
    for (name, value) in delta {
        inner
            .sns
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

async fn find_topic(
    inner: &Inner,
    what: &str,
    name: &str,
) -> Result<Option<String>, ProviderError> {
    let all = inner
        .sns
        .list_topics()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(all
        .into_iter()
        .filter_map(|t| t.topic_arn().map(String::from))
        .find(|a| a.rsplit(':').next() == Some(name)))
}

async fn converge_tags(
    inner: &Inner,
    what: &str,
    arn: &str,
    planned: &Value,
) -> Result<(), ProviderError> {
    let live = tag_map(&as_ec2_tags(&live_tags(inner, what, arn).await?));
    let want = effective_tags(&inner.default_tags, planned);
    let (remove, set) = tag_changes(&live, want);
    let set: Vec<aws_sdk_sns::types::Tag> = set
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_sns::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::Failed(format!("{what}: tag: {e}")))
        })
        .collect::<Result<_, _>>()?;
    if !remove.is_empty() {
        inner
            .sns
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    if !set.is_empty() {
        inner
            .sns
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

async fn create_topic(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let mut name = crate::iam::object_name(planned, ctx);
    let fifo = get_bool(planned, "fifo_topic") == Some(true);
    if fifo && !name.ends_with(".fifo") {
        name.push_str(".fifo");
    }
    let arn = match find_topic(inner, what, &name).await? {
        Some(arn) => {
            let live = tag_map(&as_ec2_tags(&live_tags(inner, what, &arn).await?));
            if !bookkeeping_tags(ctx)
                .iter()
                .all(|(k, v)| live.get(k) == Some(v))
            {
                return Err(ProviderError::Api {
                    code: "TopicAlreadyExists".into(),
                    message: format!("{what}: topic {name:?} already exists and was not created by this resource; import it or choose another name"),
                });
            }
            let current = read_topic(inner, &arn, planned)
                .await?
                .ok_or_else(|| vanished(what, &name))?;
            set_topic_attributes(inner, what, &arn, topic_delta(&current, planned, false)).await?;
            converge_tags(inner, what, &arn, planned).await?;
            arn
        }
        None => {
            let mut tags = effective_tags(&inner.default_tags, planned);
            tags.extend(bookkeeping_tags(ctx));
            let tags = tags
                .into_iter()
                .map(|(k, v)| {
                    aws_sdk_sns::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| ProviderError::Failed(format!("{what}: tag: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut attrs: HashMap<String, String> = topic_delta(&Value::Null, planned, true)
                .into_iter()
                .collect();
            if fifo {
                attrs.insert("FifoTopic".into(), "true".into());
            }
            let out = inner
                .sns
                .create_topic()
                .name(&name)
                .set_attributes(Some(attrs))
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            out.topic_arn().map(String::from).ok_or_else(|| {
                ProviderError::Failed(format!("{what}: CreateTopic returned no ARN"))
            })?
        }
    };
    read_topic(inner, &arn, planned)
        .await?
        .ok_or_else(|| vanished(what, &name))
}

// -------------------------------------------------------------- subscription

async fn read_subscription(
    inner: &Inner,
    arn: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{SNS_TOPIC_SUBSCRIPTION} {arn}");
    let a = match inner
        .sns
        .get_subscription_attributes()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(|e| api_err(&what, e))
    {
        Ok(o) => o.attributes().cloned().unwrap_or_default(),
        Err(e) if is_gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let flag = |n: &str| Value::Bool(a.get(n).is_some_and(|v| v == "true"));
    let s = |n: &str| opt_string(a.get(n).map(String::as_str).filter(|s| !s.is_empty()));
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(arn));
    m.insert("arn".into(), Value::string(arn));
    m.insert("topic_arn".into(), s("TopicArn"));
    m.insert("protocol".into(), s("Protocol"));
    m.insert("endpoint".into(), s("Endpoint"));
    m.insert("owner_id".into(), s("Owner"));
    m.insert("raw_message_delivery".into(), flag("RawMessageDelivery"));
    m.insert("pending_confirmation".into(), flag("PendingConfirmation"));
    m.insert(
        "confirmation_was_authenticated".into(),
        flag("ConfirmationWasAuthenticated"),
    );
    for (arg, name, _) in SUB_STRINGS {
        let v = if ["filter_policy", "redrive_policy", "delivery_policy"].contains(arg) {
            document(a.get(*name), shape, arg)
        } else {
            s(name)
        };
        m.insert((*arg).to_string(), v);
    }
    // Configuration only.
    for k in ["endpoint_auto_confirms", "confirmation_timeout_in_minutes"] {
        m.insert(k.into(), get(shape, k).cloned().unwrap_or(Value::Null));
    }
    Ok(Some(complete(&subscription(), m)))
}

fn subscription_delta(prior: &Value, planned: &Value, creating: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (arg, name, computed) in SUB_STRINGS {
        if !creating && get(prior, arg) == get(planned, arg) {
            continue;
        }
        match get(planned, arg) {
            Some(Value::String(s)) => out.push(((*name).to_string(), s.clone())),
            Some(Value::Null) | None if !creating && !computed && get_str(prior, arg).is_some() => {
                out.push(((*name).to_string(), String::new()))
            }
            _ => {}
        }
    }
    if creating || get(prior, "raw_message_delivery") != get(planned, "raw_message_delivery") {
        if let Some(b) = get_bool(planned, "raw_message_delivery").filter(|b| *b || !creating) {
            out.push(("RawMessageDelivery".into(), b.to_string()));
        }
    }
    out
}

async fn create_subscription(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let known = |k: &str| {
        get_str(planned, k)
            .map(String::from)
            .ok_or_else(|| ProviderError::Invalid(format!("{what}: {k} is not known")))
    };
    let (topic, protocol, endpoint) = (known("topic_arn")?, known("protocol")?, known("endpoint")?);
    let out = inner
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol(&protocol)
        .endpoint(&endpoint)
        .set_attributes(Some(
            subscription_delta(&Value::Null, planned, true)
                .into_iter()
                .collect(),
        ))
        .return_subscription_arn(true)
        .send()
        .await
        .map_err(|e| api_err(&what, e))?;
    kill_hook(ctx);
    let arn = out
        .subscription_arn()
        .map(String::from)
        .ok_or_else(|| ProviderError::Failed(format!("{what}: Subscribe returned no ARN")))?;
    // Subscribe returned an existing subscription (a re-run): converge it.
    let current = read_subscription(inner, &arn, planned)
        .await?
        .ok_or_else(|| vanished(&what, &arn))?;
    for (name, value) in subscription_delta(&current, planned, false) {
        inner
            .sns
            .set_subscription_attributes()
            .subscription_arn(&arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map_err(|e| api_err(&what, e))?;
    }
    read_subscription(inner, &arn, planned)
        .await?
        .ok_or_else(|| vanished(&what, &arn))
}

// ------------------------------------------------------------------ dispatch

pub(crate) async fn read(
    inner: &Inner,
    ty: &str,
    state: &Value,
) -> Result<Option<Value>, ProviderError> {
    let Some(arn) = get_str(state, "arn").or_else(|| get_str(state, "id")) else {
        return Ok(None);
    };
    match ty {
        SNS_TOPIC => read_topic(inner, arn, state).await,
        _ => read_subscription(inner, arn, state).await,
    }
}

pub(crate) async fn create(
    inner: &Inner,
    ty: &str,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    match ty {
        SNS_TOPIC => create_topic(inner, planned, ctx).await,
        _ => create_subscription(inner, planned, ctx).await,
    }
}

pub(crate) async fn update(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let arn = get_str(prior, "arn")
        .ok_or_else(|| ProviderError::Invalid(format!("{addr}: no ARN in state")))?;
    match ty {
        SNS_TOPIC => {
            set_topic_attributes(inner, addr, arn, topic_delta(prior, planned, false)).await?;
            converge_tags(inner, addr, arn, planned).await?;
            read_topic(inner, arn, planned)
                .await?
                .ok_or_else(|| vanished(addr, arn))
        }
        _ => {
            for (name, value) in subscription_delta(prior, planned, false) {
                inner
                    .sns
                    .set_subscription_attributes()
                    .subscription_arn(arn)
                    .attribute_name(name)
                    .attribute_value(value)
                    .send()
                    .await
                    .map_err(|e| api_err(addr, e))?;
            }
            read_subscription(inner, arn, planned)
                .await?
                .ok_or_else(|| vanished(addr, arn))
        }
    }
}

pub(crate) async fn delete(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let Some(arn) = get_str(prior, "arn") else {
        return Ok(());
    };
    let r = match ty {
        SNS_TOPIC => inner
            .sns
            .delete_topic()
            .topic_arn(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(addr, e)),
        _ => inner
            .sns
            .unsubscribe()
            .subscription_arn(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_err(addr, e)),
    };
    match r {
        Err(e) if is_gone(&e) => Ok(()),
        other => other,
    }
}

pub(crate) async fn import(
    inner: &Inner,
    ty: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        SNS_TOPIC => read_topic(inner, id, &Value::Null).await,
        _ => read_subscription(inner, id, &Value::Null).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_argument() {
        let mut d = Diagnostics::new();
        validate(
            SNS_TOPIC,
            &Value::map(vec![
                ("name", Value::string("t.fifo")),
                ("policy", Value::string("[]")),
            ]),
            &mut d,
        );
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].starts_with("name: a FIFO topic's name"),
            "{}",
            msgs[0]
        );
        assert!(
            msgs[1].starts_with("policy: a policy document"),
            "{}",
            msgs[1]
        );
        let mut d = Diagnostics::new();
        validate(
            SNS_TOPIC_SUBSCRIPTION,
            &Value::map(vec![("protocol", Value::string("pigeon"))]),
            &mut d,
        );
        assert!(
            d.0.first()
                .is_some_and(|x| x.summary.starts_with("protocol: expected one of")),
            "{d:?}"
        );
    }

    #[test]
    fn deltas_clear_removed_arguments_only() {
        let prior = Value::map(vec![
            ("display_name", Value::string("a")),
            ("policy", Value::string("{}")),
        ]);
        let planned = Value::map(vec![("display_name", Value::Null), ("policy", Value::Null)]);
        assert_eq!(
            topic_delta(&prior, &planned, false),
            vec![("DisplayName".to_string(), String::new())]
        );
        let sub = Value::map(vec![("raw_message_delivery", Value::Bool(false))]);
        assert!(subscription_delta(&Value::Null, &sub, true).is_empty());
        assert_eq!(
            subscription_delta(
                &Value::map(vec![("raw_message_delivery", Value::Bool(true))]),
                &sub,
                false
            ),
            vec![("RawMessageDelivery".to_string(), "false".to_string())]
        );
    }
}
