//! Load balancer attachments: `aws_lb_target_group_attachment` (ELBv2
//! `RegisterTargets`) and `aws_autoscaling_attachment` (Auto Scaling
//! `AttachLoadBalancerTargetGroups` / `AttachLoadBalancers`). Schemas live
//! here.
//!
//! Both are links without tags of their own; every argument replaces them (as
//! in Terraform). Crash safety by content identity: registering a registered
//! target or attaching an attached target group is a no-op, so a re-run after
//! a crash converges without duplicates.
//!
//! Ids: `aws_lb_target_group_attachment` is
//! `<target_group_arn>,<target_id>[,<port>[,<availability_zone>]]` (also the
//! import syntax); `aws_autoscaling_attachment` is
//! `<autoscaling_group_name>,<target group ARN or ELB name>`. A target reported
//! `Target.NotRegistered` (or deregistering) reads as gone.

use crate::util::*;
use crate::Inner;
use aws_sdk_elasticloadbalancingv2::types::TargetDescription;
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};

pub const LB_TARGET_GROUP_ATTACHMENT: &str = "aws_lb_target_group_attachment";
pub const AUTOSCALING_ATTACHMENT: &str = "aws_autoscaling_attachment";

pub(crate) fn is_attachment(ty: &str) -> bool {
    matches!(ty, LB_TARGET_GROUP_ATTACHMENT | AUTOSCALING_ATTACHMENT)
}

pub fn target_group_attachment() -> BlockSchema {
    BlockSchema::default()
        .attr("target_group_arn", A::required(T::String).force_new())
        .attr(
            "target_id",
            A::required(T::String)
                .force_new()
                .describe("instance id, IP address, Lambda ARN or ALB ARN"),
        )
        .attr("port", A::optional(T::Number).force_new())
        .attr("availability_zone", A::optional(T::String).force_new())
        .attr("id", A::computed(T::String))
}

pub fn autoscaling_attachment() -> BlockSchema {
    BlockSchema::default()
        .attr("autoscaling_group_name", A::required(T::String).force_new())
        .attr("lb_target_group_arn", A::optional(T::String).force_new())
        .attr(
            "elb",
            A::optional(T::String)
                .force_new()
                .describe("name of a classic load balancer"),
        )
        .attr("id", A::computed(T::String))
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources
        .insert(LB_TARGET_GROUP_ATTACHMENT.into(), target_group_attachment());
    p.resources
        .insert(AUTOSCALING_ATTACHMENT.into(), autoscaling_attachment());
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    match ty {
        AUTOSCALING_ATTACHMENT => {
            let set = |k: &str| get(cfg, k).is_some_and(|v| !v.is_null());
            match (set("lb_target_group_arn"), set("elb")) {
                (true, true) => d.push(Diagnostic::error(
                    "lb_target_group_arn: conflicts with elb; set one of them",
                )),
                (false, false) => d.push(Diagnostic::error(
                    "lb_target_group_arn: one of lb_target_group_arn or elb must be set",
                )),
                _ => {}
            }
        }
        LB_TARGET_GROUP_ATTACHMENT => {
            if let Some(p) = get_i64(cfg, "port") {
                if !(1..=65535).contains(&p) {
                    d.push(Diagnostic::error(format!("port: 1 to 65535, got {p}")));
                }
            }
        }
        _ => {}
    }
}

// ------------------------------------------------- aws_lb_target_group_attachment

struct Target {
    group: String,
    id: String,
    port: Option<i32>,
    zone: Option<String>,
}

impl Target {
    fn of(what: &str, v: &Value) -> Result<Target, ProviderError> {
        let need = |k: &str| {
            get_str(v, k)
                .map(String::from)
                .ok_or_else(|| ProviderError::Invalid(format!("{what}: {k} is not known")))
        };
        let port = match get_i64(v, "port") {
            Some(p) => Some(i32::try_from(p).map_err(|_| {
                ProviderError::Invalid(format!("{what}: port {p} is out of range"))
            })?),
            None => None,
        };
        Ok(Target {
            group: need("target_group_arn")?,
            id: need("target_id")?,
            port,
            zone: get_str(v, "availability_zone").map(String::from),
        })
    }

    fn parse(id: &str) -> Option<Target> {
        let mut parts = id.split(',');
        let group = parts.next().filter(|s| !s.is_empty())?.to_string();
        let tid = parts.next().filter(|s| !s.is_empty())?.to_string();
        let port = match parts.next().filter(|s| !s.is_empty()) {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        let zone = parts.next().filter(|s| !s.is_empty()).map(String::from);
        parts.next().is_none().then_some(Target {
            group,
            id: tid,
            port,
            zone,
        })
    }

    fn id(&self) -> String {
        let mut s = format!("{},{}", self.group, self.id);
        if let Some(p) = self.port {
            s.push_str(&format!(",{p}"));
            if let Some(z) = &self.zone {
                s.push_str(&format!(",{z}"));
            }
        } else if let Some(z) = &self.zone {
            s.push_str(&format!(",,{z}"));
        }
        s
    }

    fn description(&self) -> TargetDescription {
        TargetDescription::builder()
            .id(&self.id)
            .set_port(self.port)
            .set_availability_zone(self.zone.clone())
            .build()
    }

    fn value(&self) -> Value {
        Value::map(vec![
            ("id", Value::String(self.id())),
            ("target_group_arn", Value::string(&self.group)),
            ("target_id", Value::string(&self.id)),
            (
                "port",
                self.port.map_or(Value::Null, |p| Value::int(i64::from(p))),
            ),
            ("availability_zone", opt_string(self.zone.as_deref())),
        ])
    }
}

async fn read_target(inner: &Inner, t: &Target) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LB_TARGET_GROUP_ATTACHMENT} {}", t.id());
    let out = match inner
        .elbv2
        .describe_target_health()
        .target_group_arn(&t.group)
        .targets(t.description())
        .send()
        .await
        .map_err(|e| api_err(&what, e))
    {
        Ok(o) => o,
        Err(e) if is_code(&e, "TargetGroupNotFound") || is_code(&e, "InvalidTarget") => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let registered = out.target_health_descriptions().iter().any(|d| {
        let h = d.target_health();
        let reason = h
            .and_then(|h| h.reason())
            .map(|r| r.as_str().to_string())
            .unwrap_or_default();
        let state = h
            .and_then(|h| h.state())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        d.target().and_then(|x| x.id()) == Some(t.id.as_str())
            && reason != "Target.NotRegistered"
            && state != "draining"
    });
    Ok(registered.then(|| t.value()))
}

// ----------------------------------------------------- aws_autoscaling_attachment

async fn read_asg_attachment(
    inner: &Inner,
    asg: &str,
    tg: Option<&str>,
    elb: Option<&str>,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{AUTOSCALING_ATTACHMENT} {asg}");
    let found = if let Some(tg) = tg {
        let out = inner
            .autoscaling
            .describe_load_balancer_target_groups()
            .auto_scaling_group_name(asg)
            .send()
            .await
            .map_err(|e| api_err(&what, e));
        match out {
            Ok(o) => o.load_balancer_target_groups().iter().any(|g| {
                g.load_balancer_target_group_arn() == Some(tg) && g.state() != Some("Removing")
            }),
            Err(e) if is_code(&e, "ValidationError") => false,
            Err(e) => return Err(e),
        }
    } else if let Some(elb) = elb {
        let out = inner
            .autoscaling
            .describe_load_balancers()
            .auto_scaling_group_name(asg)
            .send()
            .await
            .map_err(|e| api_err(&what, e));
        match out {
            Ok(o) => o
                .load_balancers()
                .iter()
                .any(|l| l.load_balancer_name() == Some(elb) && l.state() != Some("Removing")),
            Err(e) if is_code(&e, "ValidationError") => false,
            Err(e) => return Err(e),
        }
    } else {
        false
    };
    let other = tg.or(elb).unwrap_or_default();
    Ok(found.then(|| {
        Value::map(vec![
            ("id", Value::String(format!("{asg},{other}"))),
            ("autoscaling_group_name", Value::string(asg)),
            ("lb_target_group_arn", opt_string(tg)),
            ("elb", opt_string(elb)),
        ])
    }))
}

// ------------------------------------------------------------------ dispatch

pub(crate) async fn read(
    inner: &Inner,
    ty: &str,
    state: &Value,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        LB_TARGET_GROUP_ATTACHMENT => match Target::of(ty, state) {
            Ok(t) => read_target(inner, &t).await,
            Err(_) => Ok(None),
        },
        _ => {
            let Some(asg) = get_str(state, "autoscaling_group_name") else {
                return Ok(None);
            };
            read_asg_attachment(
                inner,
                asg,
                get_str(state, "lb_target_group_arn"),
                get_str(state, "elb"),
            )
            .await
        }
    }
}

pub(crate) async fn create(
    inner: &Inner,
    ty: &str,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    match ty {
        LB_TARGET_GROUP_ATTACHMENT => {
            let t = Target::of(&what, planned)?;
            inner
                .elbv2
                .register_targets()
                .target_group_arn(&t.group)
                .targets(t.description())
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            read_target(inner, &t)
                .await?
                .ok_or_else(|| vanished(&what, &t.id()))
        }
        _ => {
            let asg = get_str(planned, "autoscaling_group_name").ok_or_else(|| {
                ProviderError::Invalid(format!("{what}: autoscaling_group_name is not known"))
            })?;
            let (tg, elb) = (
                get_str(planned, "lb_target_group_arn"),
                get_str(planned, "elb"),
            );
            if let Some(tg) = tg {
                inner
                    .autoscaling
                    .attach_load_balancer_target_groups()
                    .auto_scaling_group_name(asg)
                    .target_group_arns(tg)
                    .send()
                    .await
                    .map_err(|e| api_err(&what, e))?;
            } else if let Some(elb) = elb {
                inner
                    .autoscaling
                    .attach_load_balancers()
                    .auto_scaling_group_name(asg)
                    .load_balancer_names(elb)
                    .send()
                    .await
                    .map_err(|e| api_err(&what, e))?;
            } else {
                return Err(ProviderError::Invalid(format!(
                    "{what}: one of lb_target_group_arn or elb must be known"
                )));
            }
            kill_hook(ctx);
            read_asg_attachment(inner, asg, tg, elb)
                .await?
                .ok_or_else(|| vanished(&what, asg))
        }
    }
}

pub(crate) async fn update(
    _inner: &Inner,
    _ty: &str,
    _addr: &str,
    _prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    // Every argument replaces an attachment: only state-only changes (region, timeouts) land here.
    Ok(planned.clone())
}

pub(crate) async fn delete(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    match ty {
        LB_TARGET_GROUP_ATTACHMENT => {
            let Ok(t) = Target::of(addr, prior) else {
                return Ok(());
            };
            match inner
                .elbv2
                .deregister_targets()
                .target_group_arn(&t.group)
                .targets(t.description())
                .send()
                .await
                .map_err(|e| api_err(addr, e))
            {
                Err(e) if is_code(&e, "TargetGroupNotFound") || is_code(&e, "InvalidTarget") => {
                    Ok(())
                }
                other => other.map(|_| ()),
            }
        }
        _ => {
            let Some(asg) = get_str(prior, "autoscaling_group_name") else {
                return Ok(());
            };
            let r = if let Some(tg) = get_str(prior, "lb_target_group_arn") {
                inner
                    .autoscaling
                    .detach_load_balancer_target_groups()
                    .auto_scaling_group_name(asg)
                    .target_group_arns(tg)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| api_err(addr, e))
            } else if let Some(elb) = get_str(prior, "elb") {
                inner
                    .autoscaling
                    .detach_load_balancers()
                    .auto_scaling_group_name(asg)
                    .load_balancer_names(elb)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| api_err(addr, e))
            } else {
                Ok(())
            };
            // The group is gone: so is the attachment.
            match r {
                Err(e)
                    if is_code(&e, "ValidationError")
                        && read_asg_attachment(
                            inner,
                            asg,
                            get_str(prior, "lb_target_group_arn"),
                            get_str(prior, "elb"),
                        )
                        .await?
                        .is_none() =>
                {
                    Ok(())
                }
                other => other,
            }
        }
    }
}

pub(crate) async fn import(
    inner: &Inner,
    ty: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        LB_TARGET_GROUP_ATTACHMENT => {
            let t = Target::parse(id).ok_or_else(|| {
                ProviderError::Invalid(format!("{ty}: import id {id:?} is not <target_group_arn>,<target_id>[,<port>[,<availability_zone>]]"))
            })?;
            read_target(inner, &t).await
        }
        _ => {
            let (asg, other) = id
                .split_once(',')
                .filter(|(a, o)| !a.is_empty() && !o.is_empty())
                .ok_or_else(|| ProviderError::Invalid(format!("{ty}: import id {id:?} is not <autoscaling_group_name>,<target group ARN or ELB name>")))?;
            if other.starts_with("arn:") {
                read_asg_attachment(inner, asg, Some(other), None).await
            } else {
                read_asg_attachment(inner, asg, None, Some(other)).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_ids_round_trip() {
        for id in [
            "arn:tg,i-1",
            "arn:tg,10.0.0.1,8080",
            "arn:tg,10.0.0.1,8080,all",
            "arn:tg,10.0.0.1,,us-east-1a",
        ] {
            assert_eq!(
                Target::parse(id).map(|t| t.id()),
                Some(id.to_string()),
                "{id}"
            );
        }
        for bad in ["", "arn:tg", "arn:tg,i-1,notaport", "a,b,1,z,extra"] {
            assert!(Target::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_argument() {
        let mut d = Diagnostics::new();
        validate(
            AUTOSCALING_ATTACHMENT,
            &Value::map(vec![("autoscaling_group_name", Value::string("g"))]),
            &mut d,
        );
        validate(
            AUTOSCALING_ATTACHMENT,
            &Value::map(vec![
                ("autoscaling_group_name", Value::string("g")),
                ("elb", Value::string("e")),
                ("lb_target_group_arn", Value::string("a")),
            ]),
            &mut d,
        );
        validate(
            LB_TARGET_GROUP_ATTACHMENT,
            &Value::map(vec![("port", Value::int(0))]),
            &mut d,
        );
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs[0].starts_with("lb_target_group_arn: one of")
                && msgs[1].starts_with("lb_target_group_arn: conflicts")
                && msgs[2].starts_with("port: 1 to 65535"),
            "{msgs:?}"
        );
    }
}
