//! Auto Scaling policies (aws-sdk-autoscaling): `aws_autoscaling_policy`.
//! Schema lives here.
//!
//! id = the policy name (unique within its group). Crash safety by content
//! identity: `PutScalingPolicy` is an upsert keyed by group and name (both
//! known before the call, the name is required), so a re-run after a crash
//! writes the same policy again; policies carry no tags. Supported types:
//! `SimpleScaling` (default), `StepScaling` (`step_adjustment` blocks) and
//! `TargetTrackingScaling` with a predefined metric
//! (`target_tracking_configuration { predefined_metric_specification { … } }`);
//! customized metrics and predictive scaling are not in the schema yet (a
//! configuration using them fails validation naming the argument).

use crate::util::*;
use crate::Inner;
use aws_sdk_autoscaling::types::{
    MetricType, PredefinedMetricSpecification, ScalingPolicy, StepAdjustment,
    TargetTrackingConfiguration,
};
use contin_provider::{
    AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, OpContext,
    PlannedChange, ProviderError,
};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const AUTOSCALING_POLICY: &str = "aws_autoscaling_policy";

const POLICY_TYPES: &[&str] = &["SimpleScaling", "StepScaling", "TargetTrackingScaling"];
const ADJUSTMENT_TYPES: &[&str] = &[
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];

fn nested(nesting: Nesting, block: BlockSchema, max: Option<usize>) -> NestedBlockSchema {
    NestedBlockSchema {
        nesting,
        block,
        min_items: 0,
        max_items: max,
        force_new: false,
    }
}

pub fn policy() -> BlockSchema {
    let predefined = BlockSchema::default()
        .attr("predefined_metric_type", A::required(T::String))
        .attr("resource_label", A::optional(T::String));
    let tracking = BlockSchema::default()
        .attr("target_value", A::required(T::Number))
        .attr("disable_scale_in", A::optional(T::Bool))
        .block(
            "predefined_metric_specification",
            nested(Nesting::List, predefined, Some(1)),
        );
    let step = BlockSchema::default()
        .attr("scaling_adjustment", A::required(T::Number))
        .attr(
            "metric_interval_lower_bound",
            A::optional(T::String).describe("a number as a string, as in Terraform"),
        )
        .attr("metric_interval_upper_bound", A::optional(T::String));
    BlockSchema::default()
        .attr("name", A::required(T::String).force_new())
        .attr("autoscaling_group_name", A::required(T::String).force_new())
        .attr(
            "policy_type",
            A::optional(T::String)
                .describe("SimpleScaling (default), StepScaling or TargetTrackingScaling"),
        )
        .attr("adjustment_type", A::optional(T::String))
        .attr("scaling_adjustment", A::optional(T::Number))
        .attr("cooldown", A::optional(T::Number))
        .attr("min_adjustment_magnitude", A::optional(T::Number))
        .attr("metric_aggregation_type", A::optional_computed(T::String))
        .attr("estimated_instance_warmup", A::optional(T::Number))
        .attr("enabled", A::optional(T::Bool).describe("default true"))
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
        .block("step_adjustment", nested(Nesting::Set, step, None))
        .block(
            "target_tracking_configuration",
            nested(Nesting::List, tracking, Some(1)),
        )
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(AUTOSCALING_POLICY.into(), policy());
}

/// Re-plans with Terraform's defaults (`policy_type`, `enabled`).
pub(crate) fn replan(
    ty: &str,
    block: &BlockSchema,
    prior: Option<&Value>,
    desired: &Value,
    change: &mut PlannedChange,
) {
    if ty != AUTOSCALING_POLICY {
        return;
    }
    let (plain, _) = desired.unmark_deep();
    if let Value::Map(mut m) = plain {
        if m.get("policy_type").is_none_or(Value::is_null) {
            m.insert("policy_type".into(), Value::string("SimpleScaling"));
        }
        if m.get("enabled").is_none_or(Value::is_null) {
            m.insert("enabled".into(), Value::Bool(true));
        }
        *change = contin_provider::plan_change_from_schema(block, prior, &Value::Map(m));
    }
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if ty != AUTOSCALING_POLICY {
        return;
    }
    let kind = get_str(cfg, "policy_type").unwrap_or("SimpleScaling");
    if !POLICY_TYPES.contains(&kind) {
        d.push(Diagnostic::error(format!(
            "policy_type: expected one of {POLICY_TYPES:?}, got {kind:?}"
        )));
    }
    if let Some(a) = get_str(cfg, "adjustment_type") {
        if !ADJUSTMENT_TYPES.contains(&a) {
            d.push(Diagnostic::error(format!(
                "adjustment_type: expected one of {ADJUSTMENT_TYPES:?}, got {a:?}"
            )));
        }
    }
    let set = |k: &str| get(cfg, k).is_some_and(|v| !v.is_null());
    match kind {
        "SimpleScaling" if !set("scaling_adjustment") => d.push(Diagnostic::error("scaling_adjustment: required when policy_type is \"SimpleScaling\"")),
        "StepScaling" if get_blocks(cfg, "step_adjustment").is_empty() => d.push(Diagnostic::error("step_adjustment: at least one is required when policy_type is \"StepScaling\"")),
        "TargetTrackingScaling" if get_blocks(cfg, "target_tracking_configuration").is_empty() => {
            d.push(Diagnostic::error("target_tracking_configuration: required when policy_type is \"TargetTrackingScaling\""))
        }
        _ => {}
    }
    for step in get_blocks(cfg, "step_adjustment") {
        for k in ["metric_interval_lower_bound", "metric_interval_upper_bound"] {
            if let Some(b) = get_str(step, k) {
                if b.parse::<f64>().map_or(true, |f| !f.is_finite()) {
                    d.push(Diagnostic::error(format!(
                        "step_adjustment.{k}: a number, got {b:?}"
                    )));
                }
            }
        }
    }
}

fn f64_value(f: f64) -> Value {
    format!("{f}")
        .parse::<contin_types::value::Number>()
        .map_or(Value::Null, Value::Number)
}

fn num_f64(v: &Value, k: &str) -> Option<f64> {
    match get(v, k) {
        Some(Value::Number(n)) => Some(n.as_f64()).filter(|f| f.is_finite()),
        _ => None,
    }
}

fn i32_of(v: &Value, k: &str) -> Option<i32> {
    get_i64(v, k).and_then(|n| i32::try_from(n).ok())
}

/// A bound as Terraform writes it: the number's shortest decimal form.
fn bound(f: Option<f64>) -> Value {
    f.map_or(Value::Null, |f| Value::String(format!("{f}")))
}

fn policy_value(p: &ScalingPolicy, shape: &Value) -> Value {
    let num = |n: Option<i32>| n.map_or(Value::Null, |n| Value::int(i64::from(n)));
    let mut m = BTreeMap::new();
    let name = p.policy_name().unwrap_or_default();
    m.insert("id".to_string(), Value::string(name));
    m.insert("name".into(), Value::string(name));
    m.insert("arn".into(), opt_string(p.policy_arn()));
    m.insert(
        "autoscaling_group_name".into(),
        opt_string(p.auto_scaling_group_name()),
    );
    m.insert(
        "policy_type".into(),
        Value::string(p.policy_type().unwrap_or("SimpleScaling")),
    );
    m.insert("adjustment_type".into(), opt_string(p.adjustment_type()));
    m.insert("scaling_adjustment".into(), num(p.scaling_adjustment()));
    m.insert("cooldown".into(), num(p.cooldown()));
    m.insert(
        "min_adjustment_magnitude".into(),
        num(p.min_adjustment_magnitude()),
    );
    m.insert(
        "metric_aggregation_type".into(),
        opt_string(p.metric_aggregation_type()),
    );
    m.insert(
        "estimated_instance_warmup".into(),
        num(p.estimated_instance_warmup()),
    );
    m.insert("enabled".into(), Value::Bool(p.enabled().unwrap_or(true)));
    let steps: Vec<Value> = p
        .step_adjustments()
        .iter()
        .map(|s| {
            Value::map(vec![
                ("scaling_adjustment", num(s.scaling_adjustment())),
                (
                    "metric_interval_lower_bound",
                    bound(s.metric_interval_lower_bound()),
                ),
                (
                    "metric_interval_upper_bound",
                    bound(s.metric_interval_upper_bound()),
                ),
            ])
        })
        .collect();
    m.insert("step_adjustment".into(), Value::set(steps));
    let tracking = p.target_tracking_configuration().map(|t| {
        let predefined = t.predefined_metric_specification().map(|s| {
            Value::map(vec![
                (
                    "predefined_metric_type",
                    opt_string(s.predefined_metric_type().map(MetricType::as_str)),
                ),
                (
                    "resource_label",
                    opt_string(s.resource_label().filter(|l| !l.is_empty())),
                ),
            ])
        });
        let disable = match (
            t.disable_scale_in(),
            get_blocks(shape, "target_tracking_configuration")
                .first()
                .and_then(|c| get(c, "disable_scale_in")),
        ) {
            (Some(true), _) => Value::Bool(true),
            (_, Some(Value::Bool(false))) => Value::Bool(false),
            _ => Value::Null,
        };
        Value::map(vec![
            (
                "target_value",
                t.target_value().map_or(Value::Null, f64_value),
            ),
            ("disable_scale_in", disable),
            (
                "predefined_metric_specification",
                Value::List(predefined.into_iter().collect()),
            ),
        ])
    });
    m.insert(
        "target_tracking_configuration".into(),
        Value::List(tracking.into_iter().collect()),
    );
    complete(&policy(), m)
}

async fn read_policy(
    inner: &Inner,
    asg: &str,
    name: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{AUTOSCALING_POLICY} {asg}/{name}");
    let out = inner
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(asg)
        .policy_names(name)
        .send()
        .await
        .map_err(|e| api_err(&what, e));
    let out = match out {
        Ok(o) => o,
        Err(e) if is_code(&e, "ValidationError") => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(out
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == Some(name))
        .map(|p| policy_value(p, shape)))
}

async fn put(
    inner: &Inner,
    what: &str,
    planned: &Value,
) -> Result<(String, String), ProviderError> {
    let need = |k: &str| {
        get_str(planned, k)
            .map(String::from)
            .ok_or_else(|| ProviderError::Invalid(format!("{what}: {k} is not known")))
    };
    let (asg, name) = (need("autoscaling_group_name")?, need("name")?);
    let steps: Vec<StepAdjustment> = get_blocks(planned, "step_adjustment")
        .iter()
        .map(|s| {
            let b = |k: &str| get_str(s, k).and_then(|x| x.parse::<f64>().ok());
            StepAdjustment::builder()
                .set_scaling_adjustment(i32_of(s, "scaling_adjustment"))
                .set_metric_interval_lower_bound(b("metric_interval_lower_bound"))
                .set_metric_interval_upper_bound(b("metric_interval_upper_bound"))
                .build()
        })
        .collect();
    let tracking = get_blocks(planned, "target_tracking_configuration")
        .first()
        .map(|t| {
            let spec = get_blocks(t, "predefined_metric_specification")
                .first()
                .map(|s| {
                    PredefinedMetricSpecification::builder()
                        .set_predefined_metric_type(
                            get_str(s, "predefined_metric_type").map(MetricType::from),
                        )
                        .set_resource_label(get_str(s, "resource_label").map(String::from))
                        .build()
                });
            TargetTrackingConfiguration::builder()
                .set_predefined_metric_specification(spec)
                .set_target_value(num_f64(t, "target_value"))
                .set_disable_scale_in(get_bool(t, "disable_scale_in"))
                .build()
        });
    let kind = get_str(planned, "policy_type").unwrap_or("SimpleScaling");
    inner
        .autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&asg)
        .policy_name(&name)
        .policy_type(kind)
        .set_adjustment_type(get_str(planned, "adjustment_type").map(String::from))
        .set_scaling_adjustment(i32_of(planned, "scaling_adjustment"))
        .set_cooldown(i32_of(planned, "cooldown"))
        .set_min_adjustment_magnitude(i32_of(planned, "min_adjustment_magnitude"))
        .set_metric_aggregation_type(get_str(planned, "metric_aggregation_type").map(String::from))
        .set_estimated_instance_warmup(i32_of(planned, "estimated_instance_warmup"))
        .set_enabled(get_bool(planned, "enabled"))
        .set_step_adjustments(Some(steps).filter(|s| !s.is_empty()))
        .set_target_tracking_configuration(tracking)
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok((asg, name))
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    let (Some(asg), Some(name)) = (
        get_str(state, "autoscaling_group_name"),
        get_str(state, "name"),
    ) else {
        return Ok(None);
    };
    read_policy(inner, asg, name, state).await
}

pub(crate) async fn create(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let (asg, name) = put(inner, &what, planned).await?;
    kill_hook(ctx);
    read_policy(inner, &asg, &name, planned)
        .await?
        .ok_or_else(|| vanished(&what, &name))
}

pub(crate) async fn update(
    inner: &Inner,
    addr: &str,
    _prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let (asg, name) = put(inner, addr, planned).await?;
    read_policy(inner, &asg, &name, planned)
        .await?
        .ok_or_else(|| vanished(addr, &name))
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(asg), Some(name)) = (
        get_str(prior, "autoscaling_group_name"),
        get_str(prior, "name"),
    ) else {
        return Ok(());
    };
    if read_policy(inner, asg, name, prior).await?.is_none() {
        return Ok(());
    }
    inner
        .autoscaling
        .delete_policy()
        .auto_scaling_group_name(asg)
        .policy_name(name)
        .send()
        .await
        .map_err(|e| api_err(addr, e))?;
    Ok(())
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    let (asg, name) = id
        .split_once('/')
        .filter(|(a, n)| !a.is_empty() && !n.is_empty())
        .ok_or_else(|| ProviderError::Invalid(format!("{AUTOSCALING_POLICY}: import id {id:?} is not <autoscaling_group_name>/<policy name>")))?;
    read_policy(inner, asg, name, &Value::Null).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_argument() {
        let mut d = Diagnostics::new();
        validate(
            AUTOSCALING_POLICY,
            &Value::map(vec![("adjustment_type", Value::string("More"))]),
            &mut d,
        );
        validate(
            AUTOSCALING_POLICY,
            &Value::map(vec![("policy_type", Value::string("StepScaling"))]),
            &mut d,
        );
        validate(
            AUTOSCALING_POLICY,
            &Value::map(vec![(
                "policy_type",
                Value::string("TargetTrackingScaling"),
            )]),
            &mut d,
        );
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        for (m, p) in msgs.iter().zip([
            "adjustment_type:",
            "scaling_adjustment: required",
            "step_adjustment: at least",
            "target_tracking_configuration: required",
        ]) {
            assert!(m.starts_with(p), "{m}");
        }
    }

    #[test]
    fn numbers_read_back_in_their_shortest_form() {
        assert_eq!(f64_value(50.0), Value::int(50));
        assert_eq!(bound(Some(0.0)), Value::string("0"));
        assert_eq!(bound(Some(10.5)), Value::string("10.5"));
    }
}
