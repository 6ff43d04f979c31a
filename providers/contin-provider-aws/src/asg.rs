//! Auto Scaling (aws-sdk-autoscaling): `aws_launch_configuration` and
//! `aws_autoscaling_group`.
//!
//! Crash safety: both have names known before the create (configured, or
//! derived from the create's lineage/address/generation). A group carries the
//! bookkeeping tags (not propagated to instances) from the create call on and
//! is adopted by them on `AlreadyExists`. Launch configurations have no tags:
//! one with the create's name is adopted when its name was derived (the name
//! is the identity) or when its image and instance type are the planned ones.

use crate::schema::{self, AUTOSCALING_GROUP, LAUNCH_CONFIGURATION};
use crate::util::*;
use crate::Inner;
use aws_sdk_autoscaling::types::{LaunchTemplateSpecification, Tag};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

fn block(ty: &str) -> Result<&'static contin_provider::BlockSchema, ProviderError> {
    schema::resource(ty).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() })
}

fn i32_of(v: &Value, name: &str) -> Option<i32> {
    get_i64(v, name).and_then(|n| i32::try_from(n).ok())
}

fn int(v: Option<i32>) -> Value {
    v.map_or(Value::Null, |x| Value::int(i64::from(x)))
}

fn sorted_set(mut v: Vec<String>) -> Value {
    v.sort();
    v.dedup();
    Value::set(v.into_iter().map(Value::String).collect())
}

/// The name a create uses and whether it was derived from the create's identity.
fn name_for(planned: &Value, ctx: &OpContext) -> (String, bool) {
    match get_str(planned, "name") {
        Some(n) => (n.to_string(), false),
        None => (format!("{}{}", get_str(planned, "name_prefix").unwrap_or("contin-"), &client_token(ctx)[..26]), true),
    }
}

// -------------------------------------------------- aws_launch_configuration

async fn describe_lc(inner: &Inner, what: &str, name: &str) -> Result<Option<aws_sdk_autoscaling::types::LaunchConfiguration>, ProviderError> {
    let o = inner.autoscaling.describe_launch_configurations().launch_configuration_names(name).send().await.map_err(|e| api_err(what, e))?;
    Ok(o.launch_configurations().first().cloned())
}

fn decode_user_data(b64: &str) -> Value {
    match contin_types::base64::decode(b64).and_then(|b| String::from_utf8(b).ok()) {
        Some(s) => Value::String(s),
        None => Value::string(b64),
    }
}

async fn read_lc(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LAUNCH_CONFIGURATION} {name}");
    let Some(lc) = describe_lc(inner, &what, name).await? else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), opt_string(lc.launch_configuration_name()));
    m.insert("name".into(), opt_string(lc.launch_configuration_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("arn".into(), opt_string(lc.launch_configuration_arn()));
    m.insert("image_id".into(), opt_string(lc.image_id()));
    m.insert("instance_type".into(), opt_string(lc.instance_type()));
    m.insert("key_name".into(), opt_string(lc.key_name().filter(|k| !k.is_empty())));
    m.insert("security_groups".into(), if lc.security_groups().is_empty() { Value::Null } else { sorted_set(lc.security_groups().to_vec()) });
    m.insert("user_data".into(), lc.user_data().filter(|u| !u.is_empty()).map_or(Value::Null, decode_user_data));
    m.insert("iam_instance_profile".into(), opt_string(lc.iam_instance_profile().filter(|p| !p.is_empty())));
    m.insert("associate_public_ip_address".into(), lc.associate_public_ip_address().map_or(Value::Null, Value::Bool));
    Ok(Some(complete(block(LAUNCH_CONFIGURATION)?, m)))
}

async fn create_lc(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let (name, derived) = name_for(planned, ctx);
    if let Some(lc) = describe_lc(inner, what, &name).await? {
        let same = lc.image_id() == get_str(planned, "image_id") && lc.instance_type() == get_str(planned, "instance_type");
        if !(derived || same) {
            return Err(ProviderError::Api {
                code: "AlreadyExists".into(),
                message: format!("{what}: launch configuration {name:?} already exists with another image or instance type; import it or choose another name"),
            });
        }
    } else {
        let sgs = get_strs(planned, "security_groups");
        inner
            .autoscaling
            .create_launch_configuration()
            .launch_configuration_name(&name)
            .set_image_id(get_str(planned, "image_id").map(String::from))
            .set_instance_type(get_str(planned, "instance_type").map(String::from))
            .set_key_name(get_str(planned, "key_name").map(String::from))
            .set_security_groups((!sgs.is_empty()).then_some(sgs))
            .set_user_data(get_str(planned, "user_data").map(|u| contin_types::base64::encode(u.as_bytes())))
            .set_iam_instance_profile(get_str(planned, "iam_instance_profile").map(String::from))
            .set_associate_public_ip_address(get_bool(planned, "associate_public_ip_address"))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        kill_hook(ctx);
    }
    read_lc(inner, &name, planned).await?.ok_or_else(|| vanished(what, &name))
}

async fn delete_lc(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id").or_else(|| get_str(prior, "name")) else { return Ok(()) };
    if describe_lc(inner, addr, name).await?.is_none() {
        return Ok(());
    }
    // A group replaced in the same run may still use it for a moment.
    let mut backoff = Backoff::new();
    loop {
        match inner.autoscaling.delete_launch_configuration().launch_configuration_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) {
            Err(e) if is_code(&e, "ResourceInUse") => {
                if !backoff.wait().await {
                    return Err(e);
                }
            }
            Err(e) if is_code(&e, "ValidationError") && describe_lc(inner, addr, name).await?.is_none() => return Ok(()),
            other => return other,
        }
    }
}

// ----------------------------------------------------- aws_autoscaling_group

async fn describe_asg(inner: &Inner, what: &str, name: &str) -> Result<Option<aws_sdk_autoscaling::types::AutoScalingGroup>, ProviderError> {
    let o = inner.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name).send().await.map_err(|e| api_err(what, e))?;
    // A group being deleted is gone for contin.
    Ok(o.auto_scaling_groups().first().filter(|g| g.status().is_none_or(|s| !s.starts_with("Delete"))).cloned())
}

fn tag_blocks(g: &aws_sdk_autoscaling::types::AutoScalingGroup) -> Value {
    let mut items: Vec<Value> = g
        .tags()
        .iter()
        .filter(|t| !t.key().unwrap_or_default().starts_with("contin:"))
        .map(|t| {
            Value::map([
                ("key", opt_string(t.key())),
                ("value", opt_string(t.value())),
                ("propagate_at_launch", Value::Bool(t.propagate_at_launch().unwrap_or(false))),
            ])
        })
        .collect();
    items.sort_by_key(|v| get_str(v, "key").unwrap_or_default().to_string());
    Value::set(items)
}

fn ours(g: &aws_sdk_autoscaling::types::AutoScalingGroup, ctx: &OpContext) -> bool {
    let m: BTreeMap<&str, &str> = g.tags().iter().filter_map(|t| Some((t.key()?, t.value()?))).collect();
    bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k.as_str()) == Some(&v.as_str()))
}

async fn read_asg(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{AUTOSCALING_GROUP} {name}");
    let Some(g) = describe_asg(inner, &what, name).await? else { return Ok(None) };
    let template = g.launch_template().map(|t| {
        Value::List(vec![Value::map([
            ("id", opt_string(t.launch_template_id())),
            ("name", opt_string(t.launch_template_name())),
            ("version", opt_string(t.version())),
        ])])
    });
    let subnets: Vec<String> = g.vpc_zone_identifier().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), opt_string(g.auto_scaling_group_name()));
    m.insert("name".into(), opt_string(g.auto_scaling_group_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("arn".into(), opt_string(g.auto_scaling_group_arn()));
    m.insert("min_size".into(), int(g.min_size()));
    m.insert("max_size".into(), int(g.max_size()));
    m.insert("desired_capacity".into(), int(g.desired_capacity()));
    m.insert("launch_configuration".into(), opt_string(g.launch_configuration_name()));
    m.insert("launch_template".into(), template.unwrap_or(Value::List(Vec::new())));
    m.insert("vpc_zone_identifier".into(), sorted_set(subnets));
    m.insert("availability_zones".into(), sorted_set(g.availability_zones().to_vec()));
    m.insert("target_group_arns".into(), if g.target_group_arns().is_empty() && get(shape, "target_group_arns").is_none_or(Value::is_null) { Value::Null } else { sorted_set(g.target_group_arns().to_vec()) });
    m.insert("health_check_type".into(), opt_string(g.health_check_type()));
    m.insert("health_check_grace_period".into(), int(g.health_check_grace_period()));
    m.insert("force_delete".into(), get(shape, "force_delete").cloned().unwrap_or(Value::Null));
    m.insert("load_balancers".into(), sorted_set(g.load_balancer_names().to_vec()));
    // Optional lists and sets read as null while unset and not configured.
    let strings_or_null = |items: Vec<String>, name: &str| {
        if items.is_empty() && get(shape, name).is_none_or(Value::is_null) { Value::Null } else { Value::List(items.into_iter().map(Value::String).collect()) }
    };
    let policies: Vec<String> = g.termination_policies().to_vec();
    // AWS reports ["Default"] for a group created without policies.
    let policies = if policies == ["Default"] && get(shape, "termination_policies").is_none_or(Value::is_null) { Vec::new() } else { policies };
    m.insert("termination_policies".into(), strings_or_null(policies, "termination_policies"));
    m.insert("default_cooldown".into(), int(g.default_cooldown()));
    m.insert("protect_from_scale_in".into(), Value::Bool(g.new_instances_protected_from_scale_in().unwrap_or(false)));
    m.insert("placement_group".into(), opt_string(g.placement_group()));
    m.insert("capacity_rebalance".into(), Value::Bool(g.capacity_rebalance().unwrap_or(false)));
    m.insert("service_linked_role_arn".into(), opt_string(g.service_linked_role_arn()));
    let metrics: Vec<String> = g.enabled_metrics().iter().filter_map(|e| e.metric().map(String::from)).collect();
    let granularity = g.enabled_metrics().iter().find_map(|e| e.granularity().map(String::from));
    m.insert("enabled_metrics".into(), if metrics.is_empty() && get(shape, "enabled_metrics").is_none_or(Value::is_null) { Value::Null } else { sorted_set(metrics) });
    m.insert(
        "metrics_granularity".into(),
        match (granularity, get_str(shape, "metrics_granularity")) {
            (Some(g), _) => Value::String(g),
            (None, Some(s)) => Value::string(s),
            (None, None) => Value::Null,
        },
    );
    let suspended: Vec<String> = g.suspended_processes().iter().filter_map(|p| p.process_name().map(String::from)).collect();
    m.insert("suspended_processes".into(), if suspended.is_empty() && get(shape, "suspended_processes").is_none_or(Value::is_null) { Value::Null } else { sorted_set(suspended) });
    // Fields some endpoints (moto) leave out of DescribeAutoScalingGroups:
    // the recorded value stands when the answer has none.
    let reported = |v: Value, name: &str| if v.is_null() { get(shape, name).cloned().unwrap_or(Value::Null) } else { v };
    m.insert("max_instance_lifetime".into(), reported(int(g.max_instance_lifetime()), "max_instance_lifetime"));
    m.insert("default_instance_warmup".into(), reported(int(g.default_instance_warmup()), "default_instance_warmup"));
    m.insert("desired_capacity_type".into(), reported(opt_string(g.desired_capacity_type()), "desired_capacity_type"));
    m.insert("context".into(), reported(opt_string(g.context()), "context"));
    m.insert("predicted_capacity".into(), int(g.predicted_capacity()));
    m.insert("warm_pool_size".into(), int(g.warm_pool_size()));
    // Arguments that steer contin's calls only (no remote counterpart).
    for name in ["wait_for_capacity_timeout", "min_elb_capacity", "wait_for_elb_capacity", "ignore_failed_scaling_activities", "force_delete_warm_pool"] {
        m.insert(name.into(), get(shape, name).cloned().unwrap_or(Value::Null));
    }
    m.insert("tag".into(), tag_blocks(&g));
    Ok(Some(complete(block(AUTOSCALING_GROUP)?, m)))
}

fn template_spec(planned: &Value) -> Option<LaunchTemplateSpecification> {
    let t = get_blocks(planned, "launch_template").into_iter().next()?;
    Some(
        LaunchTemplateSpecification::builder()
            .set_launch_template_id(get_str(t, "id").map(String::from))
            .set_launch_template_name(if get_str(t, "id").is_some() { None } else { get_str(t, "name").map(String::from) })
            .set_version(get_str(t, "version").map(String::from))
            .build(),
    )
}

/// The configured `tag` blocks plus, when `ctx` is given, the bookkeeping tags (not propagated).
fn asg_tags(name: &str, planned: &Value, ctx: Option<&OpContext>) -> Vec<Tag> {
    let tag = |k: &str, v: &str, p: bool| Tag::builder().resource_id(name).resource_type("auto-scaling-group").key(k).value(v).propagate_at_launch(p).build();
    let mut out: Vec<Tag> = get_blocks(planned, "tag")
        .into_iter()
        .filter_map(|t| Some(tag(get_str(t, "key")?, get_str(t, "value").unwrap_or(""), get_bool(t, "propagate_at_launch").unwrap_or(false))))
        .collect();
    if let Some(ctx) = ctx {
        out.extend(bookkeeping_tags(ctx).iter().map(|(k, v)| tag(k, v, false)));
    }
    out
}

fn vpc_zone_identifier(planned: &Value) -> Option<String> {
    let subnets = get_strs(planned, "vpc_zone_identifier");
    (!subnets.is_empty()).then(|| subnets.join(","))
}

async fn create_asg(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let (name, _) = name_for(planned, ctx);
    match describe_asg(inner, what, &name).await? {
        Some(g) if ours(&g, ctx) => {}
        Some(_) => {
            return Err(ProviderError::Api {
                code: "AlreadyExists".into(),
                message: format!("{what}: auto scaling group {name:?} already exists and was not created by this resource; import it or choose another name"),
            })
        }
        None => {
            let azs = get_strs(planned, "availability_zones");
            let tgs = get_strs(planned, "target_group_arns");
            inner
                .autoscaling
                .create_auto_scaling_group()
                .auto_scaling_group_name(&name)
                .set_min_size(i32_of(planned, "min_size"))
                .set_max_size(i32_of(planned, "max_size"))
                .set_desired_capacity(i32_of(planned, "desired_capacity"))
                .set_launch_configuration_name(get_str(planned, "launch_configuration").map(String::from))
                .set_launch_template(template_spec(planned))
                .set_vpc_zone_identifier(vpc_zone_identifier(planned))
                .set_availability_zones((!azs.is_empty()).then_some(azs))
                .set_target_group_arns((!tgs.is_empty()).then_some(tgs))
                .set_health_check_type(get_str(planned, "health_check_type").map(String::from))
                .set_health_check_grace_period(i32_of(planned, "health_check_grace_period"))
                .set_load_balancer_names(non_empty(get_strs(planned, "load_balancers")))
                .set_termination_policies(non_empty(get_strs(planned, "termination_policies")))
                .set_default_cooldown(i32_of(planned, "default_cooldown"))
                .set_new_instances_protected_from_scale_in(get_bool(planned, "protect_from_scale_in"))
                .set_placement_group(get_str(planned, "placement_group").map(String::from))
                .set_max_instance_lifetime(i32_of(planned, "max_instance_lifetime"))
                .set_capacity_rebalance(get_bool(planned, "capacity_rebalance"))
                .set_service_linked_role_arn(get_str(planned, "service_linked_role_arn").map(String::from))
                .set_default_instance_warmup(i32_of(planned, "default_instance_warmup"))
                .set_desired_capacity_type(get_str(planned, "desired_capacity_type").map(String::from))
                .set_context(get_str(planned, "context").map(String::from))
                .set_tags(Some(asg_tags(&name, planned, Some(ctx))))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
        }
    }
    sync_metrics_and_processes(inner, what, &name, &Value::Null, planned).await?;
    wait_for_capacity(inner, what, &name, planned).await?;
    read_asg(inner, &name, planned).await?.ok_or_else(|| vanished(what, &name))
}

fn non_empty(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

/// `enabled_metrics` and `suspended_processes`: enables/disables and
/// suspends/resumes what differs between `prior` and `planned`.
async fn sync_metrics_and_processes(inner: &Inner, what: &str, name: &str, prior: &Value, planned: &Value) -> Result<(), ProviderError> {
    let diff = |n: &str| {
        let (old, new) = (get_strs(prior, n), get_strs(planned, n));
        let gone: Vec<String> = old.iter().filter(|a| !new.contains(a)).cloned().collect();
        let added: Vec<String> = new.iter().filter(|a| !old.contains(a)).cloned().collect();
        (gone, added)
    };
    let (off, on) = diff("enabled_metrics");
    let granularity_changed = get(prior, "metrics_granularity") != get(planned, "metrics_granularity") && !get_strs(planned, "enabled_metrics").is_empty();
    if !off.is_empty() {
        inner.autoscaling.disable_metrics_collection().auto_scaling_group_name(name).set_metrics(Some(off)).send().await.map_err(|e| api_err(what, e))?;
    }
    if !on.is_empty() || granularity_changed {
        // The whole wanted list: enabling an enabled metric is harmless,
        // and some endpoints (moto) replace the list instead of adding.
        let metrics = get_strs(planned, "enabled_metrics");
        let granularity = get_str(planned, "metrics_granularity").unwrap_or("1Minute");
        inner.autoscaling.enable_metrics_collection().auto_scaling_group_name(name).set_metrics(Some(metrics)).granularity(granularity).send().await.map_err(|e| api_err(what, e))?;
    }
    let (resume, suspend) = diff("suspended_processes");
    if !resume.is_empty() {
        inner.autoscaling.resume_processes().auto_scaling_group_name(name).set_scaling_processes(Some(resume)).send().await.map_err(|e| api_err(what, e))?;
    }
    if !suspend.is_empty() {
        inner.autoscaling.suspend_processes().auto_scaling_group_name(name).set_scaling_processes(Some(suspend)).send().await.map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

/// Terraform's `wait_for_capacity_timeout` (default 10 minutes): after the
/// create, waits until the group has `desired_capacity` (else `min_size`)
/// healthy in-service instances; `"0"` skips the wait.
async fn wait_for_capacity(inner: &Inner, what: &str, name: &str, planned: &Value) -> Result<(), ProviderError> {
    let timeout = match get_str(planned, "wait_for_capacity_timeout") {
        None => std::time::Duration::from_secs(600),
        Some(t) => parse_go_duration(t).ok_or_else(|| ProviderError::Invalid(format!("{what}: wait_for_capacity_timeout {t:?} is not a duration such as \"10m\" or \"0\"")))?,
    };
    if timeout.is_zero() {
        return Ok(());
    }
    let want = get_i64(planned, "desired_capacity").or_else(|| get_i64(planned, "min_size")).unwrap_or(0);
    let want = usize::try_from(want).unwrap_or(0);
    let deadline = std::time::Instant::now() + timeout;
    let mut backoff = Backoff::new();
    loop {
        let healthy = describe_asg(inner, what, name).await?.map_or(0, |g| {
            g.instances()
                .iter()
                .filter(|i| i.lifecycle_state().is_some_and(|s| s.as_str() == "InService") && i.health_status().is_some_and(|h| h.eq_ignore_ascii_case("healthy")))
                .count()
        });
        if healthy >= want {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline || !backoff.wait().await {
            return Err(ProviderError::Failed(format!(
                "{what}: waiting for capacity: {healthy} of {want} instances of {name} are healthy and in service after {} (wait_for_capacity_timeout; \"0\" skips the wait)",
                get_str(planned, "wait_for_capacity_timeout").unwrap_or("10m")
            )));
        }
    }
}

async fn update_asg(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = get_str(prior, "id").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no group name in state")))?;
    let changed = |n: &str| get(prior, n) != get(planned, n);
    let fields = [
        "min_size", "max_size", "desired_capacity", "launch_configuration", "launch_template", "vpc_zone_identifier", "availability_zones", "health_check_type",
        "health_check_grace_period", "termination_policies", "default_cooldown", "protect_from_scale_in", "placement_group", "max_instance_lifetime",
        "capacity_rebalance", "service_linked_role_arn", "default_instance_warmup", "desired_capacity_type", "context",
    ];
    if fields.iter().any(|n| changed(n)) {
        let azs = get_strs(planned, "availability_zones");
        inner
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .set_min_size(i32_of(planned, "min_size"))
            .set_max_size(i32_of(planned, "max_size"))
            .set_desired_capacity(if changed("desired_capacity") { i32_of(planned, "desired_capacity") } else { None })
            .set_launch_configuration_name(if changed("launch_configuration") { get_str(planned, "launch_configuration").map(String::from) } else { None })
            .set_launch_template(if changed("launch_template") { template_spec(planned) } else { None })
            .set_vpc_zone_identifier(if changed("vpc_zone_identifier") { vpc_zone_identifier(planned) } else { None })
            .set_availability_zones(if changed("availability_zones") && !azs.is_empty() { Some(azs) } else { None })
            .set_health_check_type(get_str(planned, "health_check_type").map(String::from))
            .set_health_check_grace_period(i32_of(planned, "health_check_grace_period"))
            .set_termination_policies(if changed("termination_policies") { Some(get_strs(planned, "termination_policies")) } else { None })
            .set_default_cooldown(i32_of(planned, "default_cooldown"))
            .set_new_instances_protected_from_scale_in(if changed("protect_from_scale_in") { Some(get_bool(planned, "protect_from_scale_in").unwrap_or(false)) } else { None })
            .set_placement_group(if changed("placement_group") { get_str(planned, "placement_group").map(String::from) } else { None })
            .set_max_instance_lifetime(if changed("max_instance_lifetime") { Some(i32_of(planned, "max_instance_lifetime").unwrap_or(0)) } else { None })
            .set_capacity_rebalance(if changed("capacity_rebalance") { Some(get_bool(planned, "capacity_rebalance").unwrap_or(false)) } else { None })
            .set_service_linked_role_arn(if changed("service_linked_role_arn") { get_str(planned, "service_linked_role_arn").map(String::from) } else { None })
            .set_default_instance_warmup(if changed("default_instance_warmup") { i32_of(planned, "default_instance_warmup") } else { None })
            .set_desired_capacity_type(if changed("desired_capacity_type") { get_str(planned, "desired_capacity_type").map(String::from) } else { None })
            .set_context(if changed("context") { get_str(planned, "context").map(String::from) } else { None })
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
    }
    sync_metrics_and_processes(inner, addr, name, prior, planned).await?;
    if changed("load_balancers") {
        let (old, new) = (get_strs(prior, "load_balancers"), get_strs(planned, "load_balancers"));
        let gone: Vec<String> = old.iter().filter(|a| !new.contains(a)).cloned().collect();
        let added: Vec<String> = new.iter().filter(|a| !old.contains(a)).cloned().collect();
        if !gone.is_empty() {
            inner.autoscaling.detach_load_balancers().auto_scaling_group_name(name).set_load_balancer_names(Some(gone)).send().await.map_err(|e| api_err(addr, e))?;
        }
        if !added.is_empty() {
            inner.autoscaling.attach_load_balancers().auto_scaling_group_name(name).set_load_balancer_names(Some(added)).send().await.map_err(|e| api_err(addr, e))?;
        }
    }
    if changed("target_group_arns") {
        let (old, new) = (get_strs(prior, "target_group_arns"), get_strs(planned, "target_group_arns"));
        let gone: Vec<String> = old.iter().filter(|a| !new.contains(a)).cloned().collect();
        let added: Vec<String> = new.iter().filter(|a| !old.contains(a)).cloned().collect();
        if !gone.is_empty() {
            inner.autoscaling.detach_load_balancer_target_groups().auto_scaling_group_name(name).set_target_group_arns(Some(gone)).send().await.map_err(|e| api_err(addr, e))?;
        }
        if !added.is_empty() {
            inner.autoscaling.attach_load_balancer_target_groups().auto_scaling_group_name(name).set_target_group_arns(Some(added)).send().await.map_err(|e| api_err(addr, e))?;
        }
    }
    if changed("tag") {
        let want = asg_tags(name, planned, None);
        let gone: Vec<Tag> = get_blocks(prior, "tag")
            .into_iter()
            .filter_map(|t| get_str(t, "key"))
            .filter(|k| !want.iter().any(|w| w.key() == Some(*k)))
            .map(|k| Tag::builder().resource_id(name).resource_type("auto-scaling-group").key(k).build())
            .collect();
        if !gone.is_empty() {
            inner.autoscaling.delete_tags().set_tags(Some(gone)).send().await.map_err(|e| api_err(addr, e))?;
        }
        if !want.is_empty() {
            inner.autoscaling.create_or_update_tags().set_tags(Some(want)).send().await.map_err(|e| api_err(addr, e))?;
        }
    }
    read_asg(inner, name, planned).await?.ok_or_else(|| ProviderError::Api { code: "NotFound".into(), message: format!("{addr}: {name} disappeared during the update") })
}

async fn delete_asg(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id") else { return Ok(()) };
    if describe_asg(inner, addr, name).await?.is_none() {
        return Ok(());
    }
    let force = get_bool(prior, "force_delete") == Some(true);
    if !force {
        // As Terraform: drain to zero, wait for the instances to go, then delete.
        inner.autoscaling.update_auto_scaling_group().auto_scaling_group_name(name).min_size(0).max_size(0).desired_capacity(0).send().await.map_err(|e| api_err(addr, e))?;
        let mut backoff = Backoff::new();
        while describe_asg(inner, addr, name).await?.is_some_and(|g| !g.instances().is_empty()) {
            if !backoff.wait().await {
                return Err(ProviderError::Failed(format!("{addr}: timed out waiting for the instances of {name} to terminate (force_delete = true skips the wait)")));
            }
        }
    }
    match inner.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(name).force_delete(force).send().await.map_err(|e| api_err(addr, e)) {
        Ok(_) => {}
        Err(e) if describe_asg(inner, addr, name).await?.is_none() => drop(e),
        Err(e) => return Err(e),
    }
    let mut backoff = Backoff::new();
    while describe_asg(inner, addr, name).await?.is_some() {
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!("{addr}: timed out waiting for auto scaling group {name} to be deleted")));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------- dispatch

fn name_of(v: &Value) -> Option<&str> {
    get_str(v, "id").or_else(|| get_str(v, "name"))
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(name) = name_of(state) else { return Ok(None) };
    match ty {
        LAUNCH_CONFIGURATION => read_lc(inner, name, state).await,
        AUTOSCALING_GROUP => read_asg(inner, name, state).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    match ty {
        LAUNCH_CONFIGURATION => create_lc(inner, planned, ctx).await,
        AUTOSCALING_GROUP => create_asg(inner, planned, ctx).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    match ty {
        // Every argument that reaches AWS is force-new; the rest is state only.
        LAUNCH_CONFIGURATION => {
            let name = name_of(prior).ok_or_else(|| ProviderError::Invalid(format!("{addr}: no name in state")))?;
            read_lc(inner, name, planned).await?.ok_or_else(|| vanished(addr, name))
        }
        AUTOSCALING_GROUP => update_asg(inner, addr, prior, planned).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    match ty {
        LAUNCH_CONFIGURATION => delete_lc(inner, addr, prior).await,
        AUTOSCALING_GROUP => delete_asg(inner, addr, prior).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let empty = Value::map::<&str>([]);
    match ty {
        LAUNCH_CONFIGURATION => read_lc(inner, id, &empty).await,
        AUTOSCALING_GROUP => read_asg(inner, id, &empty).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}
