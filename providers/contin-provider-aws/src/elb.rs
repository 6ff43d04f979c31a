//! Classic load balancers (aws-sdk-elasticloadbalancing): `aws_elb`.
//!
//! Crash safety: the name is known before the create (configured, or derived
//! from the create's lineage/address/generation); the balancer carries the
//! bookkeeping tags from the create call on, and a create first looks the name
//! up: ours (tags match) is adopted, anything else refused.

use crate::schema::{self, ELB};
use crate::util::*;
use crate::Inner;
use aws_sdk_elasticloadbalancing::types::{
    ConnectionSettings, CrossZoneLoadBalancing, HealthCheck, Instance, Listener, LoadBalancerAttributes, LoadBalancerDescription, Tag, TagKeyOnly,
};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

fn is_gone(e: &ProviderError) -> bool {
    is_code(e, "LoadBalancerNotFound")
}

fn block() -> Result<&'static contin_provider::BlockSchema, ProviderError> {
    schema::resource(ELB).ok_or_else(|| ProviderError::UnsupportedType { kind: "resource", ty: ELB.to_string() })
}

fn build_err(what: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Invalid(format!("{what}: {e}"))
}

fn i32_of(v: &Value, name: &str) -> Option<i32> {
    get_i64(v, name).and_then(|n| i32::try_from(n).ok())
}

fn sorted_set(mut v: Vec<String>) -> Value {
    v.sort();
    v.dedup();
    Value::set(v.into_iter().map(Value::String).collect())
}

fn elb_tags(what: &str, tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| build_err(what, e))).collect()
}

fn as_ec2_tags(tags: &[Tag]) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter().map(|t| aws_sdk_ec2::types::Tag::builder().key(t.key()).set_value(t.value().map(String::from)).build()).collect()
}

/// The name a create uses: `name`, else `name_prefix` (or "contin") + derived characters, 32 at most.
fn elb_name(planned: &Value, ctx: &OpContext) -> String {
    crate::lb::lb_name(planned, ctx)
}

async fn describe(inner: &Inner, what: &str, name: &str) -> Result<Option<LoadBalancerDescription>, ProviderError> {
    match inner.elb.describe_load_balancers().load_balancer_names(name).send().await.map_err(|e| api_err(what, e)) {
        Ok(o) => Ok(o.load_balancer_descriptions().first().cloned()),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn tags_of(inner: &Inner, what: &str, name: &str) -> Result<Vec<Tag>, ProviderError> {
    let o = inner.elb.describe_tags().load_balancer_names(name).send().await.map_err(|e| api_err(what, e))?;
    Ok(o.tag_descriptions().first().map(|d| d.tags().to_vec()).unwrap_or_default())
}

/// The account id for the ARN (classic ELB has no ARN in its API), asked of STS once.
pub(crate) async fn account_id(inner: &Inner, what: &str) -> Result<String, ProviderError> {
    if let Some(a) = inner.account_id.get() {
        return Ok(a.clone());
    }
    let o = inner.sts.get_caller_identity().send().await.map_err(|e| api_err(what, e))?;
    let a = o.account().unwrap_or_default().to_string();
    let _ = inner.account_id.set(a.clone());
    Ok(a)
}

fn listener_value(l: &Listener) -> Value {
    Value::map([
        ("instance_port", Value::int(i64::from(l.instance_port()))),
        ("instance_protocol", Value::String(l.instance_protocol().unwrap_or(l.protocol()).to_ascii_uppercase())),
        ("lb_port", Value::int(i64::from(l.load_balancer_port()))),
        ("lb_protocol", Value::String(l.protocol().to_ascii_uppercase())),
        ("ssl_certificate_id", opt_string(l.ssl_certificate_id())),
    ])
}

async fn read_elb(inner: &Inner, name: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{ELB} {name}");
    let Some(d) = describe(inner, &what, name).await? else { return Ok(None) };
    let attrs = inner.elb.describe_load_balancer_attributes().load_balancer_name(name).send().await.map_err(|e| api_err(&what, e))?;
    let attrs = attrs.load_balancer_attributes();
    let tags = tags_of(inner, &what, name).await?;
    let listeners: Vec<Value> = d.listener_descriptions().iter().filter_map(|l| l.listener()).map(listener_value).collect();
    let hc = d.health_check().map(|h| {
        Value::List(vec![Value::map([
            ("target", Value::string(h.target())),
            ("interval", Value::int(i64::from(h.interval()))),
            ("timeout", Value::int(i64::from(h.timeout()))),
            ("healthy_threshold", Value::int(i64::from(h.healthy_threshold()))),
            ("unhealthy_threshold", Value::int(i64::from(h.unhealthy_threshold()))),
        ])])
    });
    let region = inner.region.clone();
    let account = account_id(inner, &what).await?;
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(name));
    m.insert("name".into(), Value::string(name));
    m.insert("name_prefix".into(), get(shape, "name_prefix").cloned().unwrap_or(Value::Null));
    m.insert("arn".into(), Value::String(format!("arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{name}")));
    m.insert("internal".into(), Value::Bool(d.scheme() == Some("internal")));
    m.insert("subnets".into(), sorted_set(d.subnets().to_vec()));
    m.insert("availability_zones".into(), sorted_set(d.availability_zones().to_vec()));
    m.insert("security_groups".into(), sorted_set(d.security_groups().to_vec()));
    m.insert("instances".into(), sorted_set(d.instances().iter().filter_map(|i| i.instance_id().map(String::from)).collect()));
    m.insert("listener".into(), Value::set(listeners));
    m.insert("health_check".into(), hc.unwrap_or(Value::List(Vec::new())));
    m.insert("cross_zone_load_balancing".into(), Value::Bool(attrs.and_then(|a| a.cross_zone_load_balancing()).is_none_or(|c| c.enabled())));
    m.insert("idle_timeout".into(), Value::int(i64::from(attrs.and_then(|a| a.connection_settings()).map_or(60, |c| c.idle_timeout()))));
    m.insert("dns_name".into(), opt_string(d.dns_name()));
    m.insert("zone_id".into(), opt_string(d.canonical_hosted_zone_name_id()));
    m.insert("tags".into(), tags_value(&as_ec2_tags(&tags), &inner.default_tags, shape));
    Ok(Some(complete(block()?, m)))
}

fn listeners_of(what: &str, v: &Value) -> Result<Vec<Listener>, ProviderError> {
    get_blocks(v, "listener")
        .into_iter()
        .map(|l| {
            Listener::builder()
                .protocol(get_str(l, "lb_protocol").unwrap_or("HTTP"))
                .load_balancer_port(i32_of(l, "lb_port").unwrap_or(0))
                .set_instance_protocol(get_str(l, "instance_protocol").map(String::from))
                .instance_port(i32_of(l, "instance_port").unwrap_or(0))
                .set_ssl_certificate_id(get_str(l, "ssl_certificate_id").map(String::from))
                .build()
                .map_err(|e| build_err(what, e))
        })
        .collect()
}

fn health_check_of(what: &str, v: &Value) -> Result<Option<HealthCheck>, ProviderError> {
    let Some(h) = get_blocks(v, "health_check").into_iter().next() else { return Ok(None) };
    HealthCheck::builder()
        .target(get_str(h, "target").unwrap_or_default())
        .interval(i32_of(h, "interval").unwrap_or(30))
        .timeout(i32_of(h, "timeout").unwrap_or(5))
        .healthy_threshold(i32_of(h, "healthy_threshold").unwrap_or(10))
        .unhealthy_threshold(i32_of(h, "unhealthy_threshold").unwrap_or(2))
        .build()
        .map(Some)
        .map_err(|e| build_err(what, e))
}

async fn put_attributes(inner: &Inner, what: &str, name: &str, planned: &Value) -> Result<(), ProviderError> {
    let attrs = LoadBalancerAttributes::builder()
        .cross_zone_load_balancing(CrossZoneLoadBalancing::builder().enabled(get_bool(planned, "cross_zone_load_balancing").unwrap_or(true)).build())
        .connection_settings(ConnectionSettings::builder().idle_timeout(i32_of(planned, "idle_timeout").unwrap_or(60)).build().map_err(|e| build_err(what, e))?)
        .build();
    inner.elb.modify_load_balancer_attributes().load_balancer_name(name).load_balancer_attributes(attrs).send().await.map_err(|e| api_err(what, e))?;
    Ok(())
}

fn instances(ids: &[String]) -> Vec<Instance> {
    ids.iter().map(|i| Instance::builder().instance_id(i).build()).collect()
}

/// Brings instances, health check and attributes to `planned` (after create, or in an update).
async fn converge(inner: &Inner, what: &str, name: &str, prior: Option<&Value>, planned: &Value) -> Result<(), ProviderError> {
    let changed = |n: &str| prior.is_none_or(|p| get(p, n) != get(planned, n));
    if changed("health_check") {
        if let Some(hc) = health_check_of(what, planned)? {
            inner.elb.configure_health_check().load_balancer_name(name).health_check(hc).send().await.map_err(|e| api_err(what, e))?;
        }
    }
    if changed("cross_zone_load_balancing") || changed("idle_timeout") {
        put_attributes(inner, what, name, planned).await?;
    }
    if get(planned, "instances").is_some_and(|v| !v.is_null()) && changed("instances") {
        let old = prior.map(|p| get_strs(p, "instances")).unwrap_or_default();
        let new = get_strs(planned, "instances");
        let gone: Vec<String> = old.iter().filter(|i| !new.contains(i)).cloned().collect();
        let added: Vec<String> = new.iter().filter(|i| !old.contains(i)).cloned().collect();
        if !gone.is_empty() {
            inner.elb.deregister_instances_from_load_balancer().load_balancer_name(name).set_instances(Some(instances(&gone))).send().await.map_err(|e| api_err(what, e))?;
        }
        if !added.is_empty() {
            inner.elb.register_instances_with_load_balancer().load_balancer_name(name).set_instances(Some(instances(&added))).send().await.map_err(|e| api_err(what, e))?;
        }
    }
    Ok(())
}

async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = elb_name(planned, ctx);
    if describe(inner, what, &name).await?.is_some() {
        let m = tag_map(&as_ec2_tags(&tags_of(inner, what, &name).await?));
        if !bookkeeping_tags(ctx).iter().all(|(k, v)| m.get(k) == Some(v)) {
            return Err(ProviderError::Api {
                code: "DuplicateLoadBalancerName".into(),
                message: format!("{what}: load balancer {name:?} already exists and was not created by this resource; import it or choose another name"),
            });
        }
    } else {
        let mut tags = effective_tags(&inner.default_tags, planned);
        tags.extend(bookkeeping_tags(ctx));
        let subnets = get_strs(planned, "subnets");
        let azs = get_strs(planned, "availability_zones");
        let sgs = get_strs(planned, "security_groups");
        inner
            .elb
            .create_load_balancer()
            .load_balancer_name(&name)
            .set_listeners(Some(listeners_of(what, planned)?))
            .set_subnets((!subnets.is_empty()).then_some(subnets))
            .set_availability_zones((!azs.is_empty()).then_some(azs))
            .set_security_groups((!sgs.is_empty()).then_some(sgs))
            .set_scheme((get_bool(planned, "internal") == Some(true)).then(|| "internal".to_string()))
            .set_tags(Some(elb_tags(what, &tags)?))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        kill_hook(ctx);
    }
    converge(inner, what, &name, None, planned).await?;
    read_elb(inner, &name, planned).await?.ok_or_else(|| vanished(what, &name))
}

fn set_delta(prior: &Value, planned: &Value, name: &str) -> (Vec<String>, Vec<String>) {
    let (old, new) = (get_strs(prior, name), get_strs(planned, name));
    (old.iter().filter(|x| !new.contains(x)).cloned().collect(), new.iter().filter(|x| !old.contains(x)).cloned().collect())
}

async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = get_str(prior, "id").ok_or_else(|| ProviderError::Invalid(format!("{addr}: no load balancer name in state")))?;
    let configured = |n: &str| get(planned, n).is_some_and(|v| !v.is_null() && *v != Value::set(Vec::new()));
    if configured("subnets") {
        let (gone, added) = set_delta(prior, planned, "subnets");
        if !added.is_empty() {
            inner.elb.attach_load_balancer_to_subnets().load_balancer_name(name).set_subnets(Some(added)).send().await.map_err(|x| api_err(addr, x))?;
        }
        if !gone.is_empty() {
            inner.elb.detach_load_balancer_from_subnets().load_balancer_name(name).set_subnets(Some(gone)).send().await.map_err(|x| api_err(addr, x))?;
        }
    }
    if configured("availability_zones") && get_strs(planned, "subnets").is_empty() {
        let (gone, added) = set_delta(prior, planned, "availability_zones");
        if !added.is_empty() {
            inner.elb.enable_availability_zones_for_load_balancer().load_balancer_name(name).set_availability_zones(Some(added)).send().await.map_err(|x| api_err(addr, x))?;
        }
        if !gone.is_empty() {
            inner.elb.disable_availability_zones_for_load_balancer().load_balancer_name(name).set_availability_zones(Some(gone)).send().await.map_err(|x| api_err(addr, x))?;
        }
    }
    if configured("security_groups") && get(prior, "security_groups") != get(planned, "security_groups") {
        inner.elb.apply_security_groups_to_load_balancer().load_balancer_name(name).set_security_groups(Some(get_strs(planned, "security_groups"))).send().await.map_err(|x| api_err(addr, x))?;
    }
    if get(prior, "listener") != get(planned, "listener") {
        // Listeners are replaced by port: delete the ones that changed or went, then create the new set's missing ones.
        let old = get_blocks(prior, "listener");
        let new = get_blocks(planned, "listener");
        let gone: Vec<i32> = old.iter().filter(|o| !new.contains(o)).filter_map(|o| i32_of(o, "lb_port")).collect();
        if !gone.is_empty() {
            inner.elb.delete_load_balancer_listeners().load_balancer_name(name).set_load_balancer_ports(Some(gone)).send().await.map_err(|x| api_err(addr, x))?;
        }
        let added: Vec<Value> = new.into_iter().filter(|n| !old.contains(n)).cloned().collect();
        if !added.is_empty() {
            let v = Value::map([("listener", Value::List(added))]);
            inner.elb.create_load_balancer_listeners().load_balancer_name(name).set_listeners(Some(listeners_of(addr, &v)?)).send().await.map_err(|x| api_err(addr, x))?;
        }
    }
    converge(inner, addr, name, Some(prior), planned).await?;
    let live = tag_map(&as_ec2_tags(&tags_of(inner, addr, name).await?));
    let want = effective_tags(&inner.default_tags, planned);
    let remove: Vec<TagKeyOnly> = live.keys().filter(|k| !k.starts_with("contin:") && !want.contains_key(*k)).map(|k| TagKeyOnly::builder().key(k).build()).collect();
    let set: BTreeMap<String, String> = want.into_iter().filter(|(k, v)| live.get(k) != Some(v)).collect();
    if !remove.is_empty() {
        inner.elb.remove_tags().load_balancer_names(name).set_tags(Some(remove)).send().await.map_err(|x| api_err(addr, x))?;
    }
    if !set.is_empty() {
        inner.elb.add_tags().load_balancer_names(name).set_tags(Some(elb_tags(addr, &set)?)).send().await.map_err(|x| api_err(addr, x))?;
    }
    read_elb(inner, name, planned).await?.ok_or_else(|| ProviderError::Api { code: "NotFound".into(), message: format!("{addr}: {name} disappeared during the update") })
}

// ------------------------------------------------------------------- dispatch

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    match get_str(state, "id").or_else(|| get_str(state, "name")) {
        Some(name) => read_elb(inner, name, state).await,
        None => Ok(None),
    }
}

pub(crate) async fn create_elb(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    create(inner, planned, ctx).await
}

pub(crate) async fn update_elb(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    update(inner, addr, prior, planned).await
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(name) = get_str(prior, "id") else { return Ok(()) };
    // DeleteLoadBalancer succeeds for a name that does not exist.
    inner.elb.delete_load_balancer().load_balancer_name(name).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_elb(inner, id, &Value::map::<&str>([])).await
}
