//! Elastic Load Balancing v2 (aws-sdk-elasticloadbalancingv2): `aws_lb`,
//! `aws_lb_target_group` and `aws_lb_listener`.
//!
//! Crash safety: load balancers and target groups have names known before
//! the create (configured, or derived from the create's lineage/address/
//! generation) and carry the bookkeeping tags from the create call on; a
//! create first looks the name up and adopts the object when its tags say it
//! was made for this create (anything else of that name is refused).
//! Listeners have no name: a create first looks for a listener of the load
//! balancer carrying the bookkeeping tags.

use crate::schema::{self, LB, LB_LISTENER, LB_TARGET_GROUP};
use crate::util::*;
use crate::Inner;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerStateEnum, LoadBalancerTypeEnum, Matcher, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Tag,
    TargetTypeEnum,
};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

/// Load balancer and target group names: at most 32 characters.
pub(crate) const MAX_LB_NAME: usize = 32;

fn is_gone(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Api { code, .. } if matches!(code.as_str(), "LoadBalancerNotFound" | "TargetGroupNotFound" | "ListenerNotFound"))
}

fn gone_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn block(ty: &str) -> Result<&'static contin_provider::BlockSchema, ProviderError> {
    schema::resource(ty).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() })
}

fn lb_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn as_ec2_tags(tags: &[Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter().map(|t| aws_sdk_ec2::types::Tag::builder().set_key(t.key().map(String::from)).set_value(t.value().map(String::from)).build()).collect()
}

/// The name a create uses: `name`, else `name_prefix` (or "contin") + 26
/// characters derived from the create's identity, cut to 32.
pub(crate) fn lb_name(planned: &Value, ctx: &OpContext) -> String {
    if let Some(n) = get_str(planned, "name") {
        return n.to_string();
    }
    let prefix = get_str(planned, "name_prefix").unwrap_or("contin");
    let mut n = format!("{prefix}{}", &client_token(ctx)[..26]);
    n.truncate(MAX_LB_NAME);
    n
}

/// `app/NAME/ID` of a load balancer ARN, `targetgroup/NAME/ID` of a target group's.
fn arn_suffix(arn: &str) -> Value {
    match arn.rsplit_once(':') {
        Some((_, rest)) => Value::string(rest.strip_prefix("loadbalancer/").unwrap_or(rest)),
        None => Value::Null,
    }
}

async fn tags_of(inner: &Inner, what: &str, arns: &[String]) -> Result<BTreeMap<String, Vec<Tag>>, ProviderError> {
    let mut out = BTreeMap::new();
    // DescribeTags takes at most 20 ARNs.
    for chunk in arns.chunks(20) {
        let o = inner.elbv2.describe_tags().set_resource_arns(Some(chunk.to_vec())).send().await.map_err(|e| api_err(what, e))?;
        for d in o.tag_descriptions() {
            if let Some(a) = d.resource_arn() {
                out.insert(a.to_string(), d.tags().to_vec());
            }
        }
    }
    Ok(out)
}

fn ours(tags: &[Tag], ctx: &OpContext) -> bool {
    let m = tag_map(&as_ec2_tags(tags));
    bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k) == Some(v))
}

fn refuse(what: &str, kind: &str, name: &str) -> ProviderError {
    ProviderError::Api {
        code: "DuplicateName".into(),
        message: format!("{what}: {kind} {name:?} already exists and was not created by this resource; import it or choose another name"),
    }
}

/// Tags from the live object to the planned effective tags; bookkeeping tags stay.
async fn sync_lb_tags(inner: &Inner, what: &str, arn: &str, planned: &Value) -> Result<(), ProviderError> {
    let live = tags_of(inner, what, &[arn.to_string()]).await?.remove(arn).unwrap_or_default();
    let live = tag_map(&as_ec2_tags(&live));
    let want = effective_tags(&inner.default_tags, planned);
    let remove: Vec<String> = live.keys().filter(|k| !k.starts_with("contin:") && !want.contains_key(*k)).cloned().collect();
    let set: BTreeMap<String, String> = want.into_iter().filter(|(k, v)| live.get(k) != Some(v)).collect();
    if !remove.is_empty() {
        inner.elbv2.remove_tags().resource_arns(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| api_err(what, e))?;
    }
    if !set.is_empty() {
        inner.elbv2.add_tags().resource_arns(arn).set_tags(Some(lb_tags(&set))).send().await.map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

fn create_tags(inner: &Inner, planned: &Value, ctx: &OpContext) -> Vec<Tag> {
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    lb_tags(&tags)
}

fn sorted(mut v: Vec<String>) -> Value {
    v.sort();
    v.dedup();
    Value::set(v.into_iter().map(Value::String).collect())
}

// -------------------------------------------------------------------- aws_lb

async fn describe_lb(inner: &Inner, what: &str, by_arn: Option<&str>, by_name: Option<&str>) -> Result<Option<aws_sdk_elasticloadbalancingv2::types::LoadBalancer>, ProviderError> {
    let out = inner
        .elbv2
        .describe_load_balancers()
        .set_load_balancer_arns(by_arn.map(|a| vec![a.to_string()]))
        .set_names(by_name.map(|n| vec![n.to_string()]))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    Ok(gone_is_none(out)?.and_then(|o| o.load_balancers().first().cloned()))
}

async fn lb_attrs(inner: &Inner, what: &str, arn: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let o = inner.elbv2.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.map_err(|e| api_err(what, e))?;
    Ok(o.attributes().iter().filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string()))).collect())
}

async fn read_lb(inner: &Inner, arn: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LB} {arn}");
    let Some(lb) = describe_lb(inner, &what, Some(arn), None).await? else { return Ok(None) };
    let attrs = lb_attrs(inner, &what, arn).await?;
    let tags = tags_of(inner, &what, &[arn.to_string()]).await?.remove(arn).unwrap_or_default();
    let kind = lb.r#type().map_or("application", LoadBalancerTypeEnum::as_str).to_string();
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(arn));
    m.insert("arn".into(), Value::string(arn));
    m.insert("arn_suffix".into(), arn_suffix(arn));
    m.insert("name".into(), opt_string(lb.load_balancer_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("internal".into(), Value::Bool(lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal)));
    m.insert("security_groups".into(), sorted(lb.security_groups().to_vec()));
    m.insert("subnets".into(), sorted(lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(String::from)).collect()));
    m.insert("enable_deletion_protection".into(), Value::Bool(attrs.get("deletion_protection.enabled").is_some_and(|v| v == "true")));
    let idle = attrs.get("idle_timeout.timeout_seconds").and_then(|v| v.parse::<i64>().ok());
    m.insert("idle_timeout".into(), if kind == "application" { Value::int(idle.unwrap_or(60)) } else { Value::Null });
    m.insert("load_balancer_type".into(), Value::String(kind));
    m.insert("dns_name".into(), opt_string(lb.dns_name()));
    m.insert("zone_id".into(), opt_string(lb.canonical_hosted_zone_id()));
    m.insert("vpc_id".into(), opt_string(lb.vpc_id()));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    Ok(Some(complete(block(LB)?, m)))
}

async fn put_lb_attrs(inner: &Inner, what: &str, arn: &str, planned: &Value, prior: Option<&Value>) -> Result<(), ProviderError> {
    let mut attrs = Vec::new();
    let protect = get_bool(planned, "enable_deletion_protection").unwrap_or(false);
    if prior.is_none_or(|p| get_bool(p, "enable_deletion_protection").unwrap_or(false) != protect) {
        attrs.push(LoadBalancerAttribute::builder().key("deletion_protection.enabled").value(protect.to_string()).build());
    }
    if let Some(t) = get_i64(planned, "idle_timeout") {
        if prior.is_none_or(|p| get_i64(p, "idle_timeout") != Some(t)) {
            attrs.push(LoadBalancerAttribute::builder().key("idle_timeout.timeout_seconds").value(t.to_string()).build());
        }
    }
    if attrs.is_empty() {
        return Ok(());
    }
    inner.elbv2.modify_load_balancer_attributes().load_balancer_arn(arn).set_attributes(Some(attrs)).send().await.map_err(|e| api_err(what, e))?;
    Ok(())
}

/// Polls until the load balancer is active.
async fn wait_lb_active(inner: &Inner, what: &str, arn: &str) -> Result<(), ProviderError> {
    let mut backoff = Backoff::new();
    loop {
        let lb = describe_lb(inner, what, Some(arn), None).await?;
        match lb.as_ref().and_then(|l| l.state()).and_then(|s| s.code()) {
            Some(LoadBalancerStateEnum::Active) => return Ok(()),
            Some(LoadBalancerStateEnum::Failed) => {
                let why = lb.as_ref().and_then(|l| l.state()).and_then(|s| s.reason()).unwrap_or("no reason given");
                return Err(ProviderError::Api { code: "LoadBalancerFailed".into(), message: format!("{what}: load balancer {arn} failed: {why}") });
            }
            _ => {}
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!("{what}: timed out waiting for load balancer {arn} to become active")));
        }
    }
}

async fn create_lb(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = lb_name(planned, ctx);
    let arn = match describe_lb(inner, what, None, Some(&name)).await? {
        Some(lb) => {
            let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
            let tags = tags_of(inner, what, std::slice::from_ref(&arn)).await?.remove(&arn).unwrap_or_default();
            if !ours(&tags, ctx) {
                return Err(refuse(what, "load balancer", &name));
            }
            arn
        }
        None => {
            let internal = get_bool(planned, "internal") == Some(true);
            let o = inner
                .elbv2
                .create_load_balancer()
                .name(&name)
                .r#type(LoadBalancerTypeEnum::from(get_str(planned, "load_balancer_type").unwrap_or("application")))
                .scheme(if internal { LoadBalancerSchemeEnum::Internal } else { LoadBalancerSchemeEnum::InternetFacing })
                .set_subnets(Some(get_strs(planned, "subnets")))
                .set_security_groups(Some(get_strs(planned, "security_groups")).filter(|s| !s.is_empty()))
                .ip_address_type(IpAddressType::Ipv4)
                .set_tags(Some(create_tags(inner, planned, ctx)))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.load_balancers().first().and_then(|l| l.load_balancer_arn()).map(String::from).ok_or_else(|| ProviderError::Failed(format!("{what}: CreateLoadBalancer returned no ARN")))?
        }
    };
    wait_lb_active(inner, what, &arn).await?;
    put_lb_attrs(inner, what, &arn, planned, None).await?;
    read_lb(inner, &arn, planned).await?.ok_or_else(|| vanished(what, &arn))
}

async fn update_lb(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let arn = get_str(prior, "arn").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no load balancer ARN in state")))?;
    let set_changed = |n: &str| {
        let mut a = get_strs(prior, n);
        let mut b = get_strs(planned, n);
        a.sort();
        b.sort();
        a != b
    };
    if set_changed("security_groups") && !get_strs(planned, "security_groups").is_empty() {
        inner.elbv2.set_security_groups().load_balancer_arn(arn).set_security_groups(Some(get_strs(planned, "security_groups"))).send().await.map_err(|e| api_err(addr, e))?;
    }
    if set_changed("subnets") && !get_strs(planned, "subnets").is_empty() {
        inner.elbv2.set_subnets().load_balancer_arn(arn).set_subnets(Some(get_strs(planned, "subnets"))).send().await.map_err(|e| api_err(addr, e))?;
    }
    put_lb_attrs(inner, addr, arn, planned, Some(prior)).await?;
    sync_lb_tags(inner, addr, arn, planned).await?;
    read_lb(inner, arn, planned).await?.ok_or_else(|| disappeared(addr, arn))
}

fn disappeared(addr: &str, id: &str) -> ProviderError {
    ProviderError::Api { code: "NotFound".into(), message: format!("{addr}: {id} disappeared during the update") }
}

async fn delete_lb(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(arn) = get_str(prior, "arn") else { return Ok(()) };
    let r = inner.elbv2.delete_load_balancer().load_balancer_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e));
    match r {
        Err(e) if is_gone(&e) => Ok(()),
        Err(ProviderError::Api { code, message }) if code == "OperationNotPermitted" => Err(ProviderError::Api {
            code,
            message: format!("{message} (set enable_deletion_protection = false and apply before destroying)"),
        }),
        other => other,
    }
}

// ------------------------------------------------------- aws_lb_target_group

const HEALTH_ATTRS: [&str; 9] = ["enabled", "path", "port", "protocol", "interval", "timeout", "healthy_threshold", "unhealthy_threshold", "matcher"];

async fn describe_tg(inner: &Inner, what: &str, by_arn: Option<&str>, by_name: Option<&str>) -> Result<Option<aws_sdk_elasticloadbalancingv2::types::TargetGroup>, ProviderError> {
    let out = inner
        .elbv2
        .describe_target_groups()
        .set_target_group_arns(by_arn.map(|a| vec![a.to_string()]))
        .set_names(by_name.map(|n| vec![n.to_string()]))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    Ok(gone_is_none(out)?.and_then(|o| o.target_groups().first().cloned()))
}

async fn read_tg(inner: &Inner, arn: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LB_TARGET_GROUP} {arn}");
    let Some(tg) = describe_tg(inner, &what, Some(arn), None).await? else { return Ok(None) };
    let tags = tags_of(inner, &what, &[arn.to_string()]).await?.remove(arn).unwrap_or_default();
    let n = |v: Option<i32>| v.map_or(Value::Null, |x| Value::int(i64::from(x)));
    let hc = Value::map([
        ("enabled", tg.health_check_enabled().map_or(Value::Bool(true), Value::Bool)),
        ("path", opt_string(tg.health_check_path())),
        ("port", opt_string(tg.health_check_port())),
        ("protocol", opt_string(tg.health_check_protocol().map(ProtocolEnum::as_str))),
        ("interval", n(tg.health_check_interval_seconds())),
        ("timeout", n(tg.health_check_timeout_seconds())),
        ("healthy_threshold", n(tg.healthy_threshold_count())),
        ("unhealthy_threshold", n(tg.unhealthy_threshold_count())),
        ("matcher", opt_string(tg.matcher().and_then(|m| m.http_code()))),
    ]);
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(arn));
    m.insert("arn".into(), Value::string(arn));
    m.insert("arn_suffix".into(), arn_suffix(arn));
    m.insert("name".into(), opt_string(tg.target_group_name()));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("port".into(), n(tg.port()));
    m.insert("protocol".into(), opt_string(tg.protocol().map(ProtocolEnum::as_str)));
    m.insert("vpc_id".into(), opt_string(tg.vpc_id()));
    m.insert("target_type".into(), Value::string(tg.target_type().map_or("instance", TargetTypeEnum::as_str)));
    m.insert("health_check".into(), Value::List(vec![hc]));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    Ok(Some(complete(block(LB_TARGET_GROUP)?, m)))
}

fn health_check(planned: &Value) -> Option<&Value> {
    get_blocks(planned, "health_check").into_iter().next()
}

fn i32_of(v: &Value, name: &str) -> Option<i32> {
    get_i64(v, name).and_then(|n| i32::try_from(n).ok())
}

async fn create_tg(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = lb_name(planned, ctx);
    let arn = match describe_tg(inner, what, None, Some(&name)).await? {
        Some(tg) => {
            let arn = tg.target_group_arn().unwrap_or_default().to_string();
            let tags = tags_of(inner, what, std::slice::from_ref(&arn)).await?.remove(&arn).unwrap_or_default();
            if !ours(&tags, ctx) {
                return Err(refuse(what, "target group", &name));
            }
            arn
        }
        None => {
            let hc = health_check(planned);
            let hs = |n: &str| hc.and_then(|h| get_str(h, n)).map(String::from);
            let hi = |n: &str| hc.and_then(|h| i32_of(h, n));
            let o = inner
                .elbv2
                .create_target_group()
                .name(&name)
                .set_port(i32_of(planned, "port"))
                .set_protocol(get_str(planned, "protocol").map(ProtocolEnum::from))
                .set_vpc_id(get_str(planned, "vpc_id").map(String::from))
                .set_target_type(get_str(planned, "target_type").map(TargetTypeEnum::from))
                .set_health_check_enabled(hc.and_then(|h| get_bool(h, "enabled")))
                .set_health_check_path(hs("path"))
                .set_health_check_port(hs("port"))
                .set_health_check_protocol(hs("protocol").map(|p| ProtocolEnum::from(p.as_str())))
                .set_health_check_interval_seconds(hi("interval"))
                .set_health_check_timeout_seconds(hi("timeout"))
                .set_healthy_threshold_count(hi("healthy_threshold"))
                .set_unhealthy_threshold_count(hi("unhealthy_threshold"))
                .set_matcher(hs("matcher").map(|m| Matcher::builder().http_code(m).build()))
                .set_tags(Some(create_tags(inner, planned, ctx)))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.target_groups().first().and_then(|t| t.target_group_arn()).map(String::from).ok_or_else(|| ProviderError::Failed(format!("{what}: CreateTargetGroup returned no ARN")))?
        }
    };
    read_tg(inner, &arn, planned).await?.ok_or_else(|| vanished(what, &arn))
}

async fn update_tg(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let arn = get_str(prior, "arn").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no target group ARN in state")))?;
    if let Some(hc) = health_check(planned) {
        let old = health_check(prior);
        let changed = |n: &str| old.and_then(|o| get(o, n)) != get(hc, n);
        if HEALTH_ATTRS.iter().any(|n| changed(n)) {
            let hs = |n: &str| if changed(n) { get_str(hc, n).map(String::from) } else { None };
            let hi = |n: &str| if changed(n) { i32_of(hc, n) } else { None };
            inner
                .elbv2
                .modify_target_group()
                .target_group_arn(arn)
                .set_health_check_enabled(if changed("enabled") { get_bool(hc, "enabled") } else { None })
                .set_health_check_path(hs("path"))
                .set_health_check_port(hs("port"))
                .set_health_check_protocol(hs("protocol").map(|p| ProtocolEnum::from(p.as_str())))
                .set_health_check_interval_seconds(hi("interval"))
                .set_health_check_timeout_seconds(hi("timeout"))
                .set_healthy_threshold_count(hi("healthy_threshold"))
                .set_unhealthy_threshold_count(hi("unhealthy_threshold"))
                .set_matcher(hs("matcher").map(|m| Matcher::builder().http_code(m).build()))
                .send()
                .await
                .map_err(|e| api_err(addr, e))?;
        }
    }
    sync_lb_tags(inner, addr, arn, planned).await?;
    read_tg(inner, arn, planned).await?.ok_or_else(|| disappeared(addr, arn))
}

async fn delete_tg(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(arn) = get_str(prior, "arn") else { return Ok(()) };
    // A listener destroyed in the same run may still hold it for a moment.
    let mut backoff = Backoff::new();
    loop {
        match inner.elbv2.delete_target_group().target_group_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) {
            Err(e) if is_gone(&e) => return Ok(()),
            Err(e) if is_code(&e, "ResourceInUse") => {
                if !backoff.wait().await {
                    return Err(e);
                }
            }
            other => return other,
        }
    }
}

// ---------------------------------------------------------- aws_lb_listener

fn action_value(a: &Action) -> Value {
    let fixed = a.fixed_response_config().map(|f| {
        Value::List(vec![Value::map([
            ("content_type", opt_string(f.content_type())),
            ("message_body", opt_string(f.message_body())),
            ("status_code", opt_string(f.status_code())),
        ])])
    });
    let redirect = a.redirect_config().map(|r| {
        Value::List(vec![Value::map([
            ("protocol", opt_string(r.protocol())),
            ("port", opt_string(r.port())),
            ("host", opt_string(r.host())),
            ("path", opt_string(r.path())),
            ("query", opt_string(r.query())),
            ("status_code", opt_string(r.status_code().map(RedirectActionStatusCodeEnum::as_str))),
        ])])
    });
    let kind = a.r#type().map(ActionTypeEnum::as_str);
    Value::map([
        ("type", opt_string(kind)),
        ("target_group_arn", opt_string(a.target_group_arn())),
        ("fixed_response", fixed.unwrap_or(Value::List(Vec::new()))),
        ("redirect", redirect.unwrap_or(Value::List(Vec::new()))),
    ])
}

fn actions_of(what: &str, planned: &Value) -> Result<Vec<Action>, ProviderError> {
    let mut out = Vec::new();
    for (i, a) in get_blocks(planned, "default_action").into_iter().enumerate() {
        let kind = get_str(a, "type").ok_or_else(|| ProviderError::Invalid(format!("{what}: default_action[{i}].type is not known")))?;
        let mut b = Action::builder().r#type(ActionTypeEnum::from(kind)).order(i32::try_from(i + 1).unwrap_or(i32::MAX));
        match kind {
            "forward" => b = b.set_target_group_arn(get_str(a, "target_group_arn").map(String::from)),
            "fixed-response" => {
                let f = get_blocks(a, "fixed_response").into_iter().next();
                let fs = |n: &str| f.and_then(|f| get_str(f, n)).map(String::from);
                b = b.fixed_response_config(
                    FixedResponseActionConfig::builder().set_content_type(fs("content_type")).set_message_body(fs("message_body")).set_status_code(fs("status_code")).build(),
                );
            }
            "redirect" => {
                let r = get_blocks(a, "redirect").into_iter().next();
                let rs = |n: &str| r.and_then(|r| get_str(r, n)).map(String::from);
                b = b.redirect_config(
                    RedirectActionConfig::builder()
                        .set_protocol(rs("protocol"))
                        .set_port(rs("port"))
                        .set_host(rs("host"))
                        .set_path(rs("path"))
                        .set_query(rs("query"))
                        .set_status_code(rs("status_code").map(|s| RedirectActionStatusCodeEnum::from(s.as_str())))
                        .build(),
                );
            }
            other => return Err(ProviderError::Invalid(format!("{what}: default_action[{i}].type {other:?} is not supported (forward, fixed-response, redirect)"))),
        }
        out.push(b.build());
    }
    Ok(out)
}

async fn describe_listener(inner: &Inner, what: &str, arn: &str) -> Result<Option<aws_sdk_elasticloadbalancingv2::types::Listener>, ProviderError> {
    let out = inner.elbv2.describe_listeners().listener_arns(arn).send().await.map_err(|e| api_err(what, e));
    Ok(gone_is_none(out)?.and_then(|o| o.listeners().first().cloned()))
}

async fn read_listener(inner: &Inner, arn: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LB_LISTENER} {arn}");
    let Some(l) = describe_listener(inner, &what, arn).await? else { return Ok(None) };
    let tags = tags_of(inner, &what, &[arn.to_string()]).await?.remove(arn).unwrap_or_default();
    let mut actions: Vec<&Action> = l.default_actions().iter().collect();
    actions.sort_by_key(|a| a.order().unwrap_or(0));
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(arn));
    m.insert("arn".into(), Value::string(arn));
    m.insert("load_balancer_arn".into(), opt_string(l.load_balancer_arn()));
    m.insert("port".into(), l.port().map_or(Value::Null, |p| Value::int(i64::from(p))));
    m.insert("protocol".into(), opt_string(l.protocol().map(ProtocolEnum::as_str)));
    m.insert("ssl_policy".into(), opt_string(l.ssl_policy()));
    m.insert("certificate_arn".into(), opt_string(l.certificates().first().and_then(|c| c.certificate_arn())));
    m.insert("default_action".into(), Value::List(actions.into_iter().map(action_value).collect()));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    Ok(Some(complete(block(LB_LISTENER)?, m)))
}

async fn create_listener(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let lb = get_str(planned, "load_balancer_arn").ok_or_else(|| ProviderError::Invalid(format!("{what}: load_balancer_arn is not known")))?;
    let existing = inner.elbv2.describe_listeners().load_balancer_arn(lb).send().await.map_err(|e| api_err(what, e))?;
    let arns: Vec<String> = existing.listeners().iter().filter_map(|l| l.listener_arn().map(String::from)).collect();
    let tags = tags_of(inner, what, &arns).await?;
    let arn = match arns.iter().find(|a| tags.get(*a).is_some_and(|t| ours(t, ctx))) {
        Some(a) => a.clone(),
        None => {
            let o = inner
                .elbv2
                .create_listener()
                .load_balancer_arn(lb)
                .set_port(i32_of(planned, "port"))
                .set_protocol(get_str(planned, "protocol").map(ProtocolEnum::from))
                .set_ssl_policy(get_str(planned, "ssl_policy").map(String::from))
                .set_certificates(get_str(planned, "certificate_arn").map(|c| vec![Certificate::builder().certificate_arn(c).build()]))
                .set_default_actions(Some(actions_of(what, planned)?))
                .set_tags(Some(create_tags(inner, planned, ctx)))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.listeners().first().and_then(|l| l.listener_arn()).map(String::from).ok_or_else(|| ProviderError::Failed(format!("{what}: CreateListener returned no ARN")))?
        }
    };
    read_listener(inner, &arn, planned).await?.ok_or_else(|| vanished(what, &arn))
}

async fn update_listener(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let arn = get_str(prior, "arn").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no listener ARN in state")))?;
    let changed = |n: &str| get(prior, n) != get(planned, n);
    if ["port", "protocol", "ssl_policy", "certificate_arn", "default_action"].iter().any(|n| changed(n)) {
        inner
            .elbv2
            .modify_listener()
            .listener_arn(arn)
            .set_port(i32_of(planned, "port"))
            .set_protocol(get_str(planned, "protocol").map(ProtocolEnum::from))
            .set_ssl_policy(get_str(planned, "ssl_policy").map(String::from))
            .set_certificates(get_str(planned, "certificate_arn").map(|c| vec![Certificate::builder().certificate_arn(c).build()]))
            .set_default_actions(Some(actions_of(addr, planned)?))
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
    }
    sync_lb_tags(inner, addr, arn, planned).await?;
    read_listener(inner, arn, planned).await?.ok_or_else(|| disappeared(addr, arn))
}

// ------------------------------------------------------------------- dispatch

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(arn) = get_str(state, "arn").or_else(|| get_str(state, "id")) else { return Ok(None) };
    match ty {
        LB => read_lb(inner, arn, state).await,
        LB_TARGET_GROUP => read_tg(inner, arn, state).await,
        LB_LISTENER => read_listener(inner, arn, state).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    match ty {
        LB => create_lb(inner, planned, ctx).await,
        LB_TARGET_GROUP => create_tg(inner, planned, ctx).await,
        LB_LISTENER => create_listener(inner, planned, ctx).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    match ty {
        LB => update_lb(inner, addr, prior, planned).await,
        LB_TARGET_GROUP => update_tg(inner, addr, prior, planned).await,
        LB_LISTENER => update_listener(inner, addr, prior, planned).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    match ty {
        LB => delete_lb(inner, addr, prior).await,
        LB_TARGET_GROUP => delete_tg(inner, addr, prior).await,
        LB_LISTENER => {
            let Some(arn) = get_str(prior, "arn") else { return Ok(()) };
            match inner.elbv2.delete_listener().listener_arn(arn).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) {
                Err(e) if is_gone(&e) => Ok(()),
                other => other,
            }
        }
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let empty = Value::map::<&str>([]);
    if !id.starts_with("arn:") {
        return Err(ProviderError::Invalid(format!("{ty} import id {id:?} must be the ARN")));
    }
    match ty {
        LB => read_lb(inner, id, &empty).await,
        LB_TARGET_GROUP => read_tg(inner, id, &empty).await,
        LB_LISTENER => read_listener(inner, id, &empty).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_suffixes_are_terraforms() {
        assert_eq!(arn_suffix("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"), Value::string("app/web/50dc6c495c0c9188"));
        assert_eq!(arn_suffix("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/73e2d6bc24d8a067"), Value::string("targetgroup/tg/73e2d6bc24d8a067"));
        assert_eq!(arn_suffix("nonsense"), Value::Null);
    }
}
