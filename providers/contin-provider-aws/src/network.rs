//! VPCs, subnets, internet gateways, route tables (+ associations) and key pairs.
//!
//! Every create follows one pattern: adopt a live object carrying this
//! create's bookkeeping tags, else create it (tagged at creation); run the
//! crash test hook; converge the in-place attributes with `update`; read back.

use crate::schema::{self, INTERNET_GATEWAY, KEY_PAIR, ROUTE_TABLE, ROUTE_TABLE_ASSOCIATION, SUBNET, VPC};
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, Tag, VpcAttributeName};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn arn(inner: &Inner, owner: Option<&str>, kind: &str, id: &str) -> Value {
    Value::String(format!("arn:aws:ec2:{}:{}:{kind}/{id}", inner.region, owner.unwrap_or("")))
}

fn not_found_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Applies the effective tags (defaults + resource tags) of `planned` to `id`,
/// removing keys `prior` had and `planned` no longer has.
pub(crate) async fn sync_tags(inner: &Inner, what: &str, id: &str, prior: &Value, planned: &Value) -> Result<(), ProviderError> {
    let old = effective_tags(&inner.default_tags, prior);
    let new = effective_tags(&inner.default_tags, planned);
    if old == new {
        return Ok(());
    }
    let gone: Vec<Tag> = old.keys().filter(|k| !new.contains_key(*k)).map(|k| Tag::builder().key(k).build()).collect();
    if !gone.is_empty() {
        inner.ec2.delete_tags().resources(id).set_tags(Some(gone)).send().await.map_err(|e| api_err(what, e))?;
    }
    let set: Vec<Tag> = new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    if !set.is_empty() {
        inner.ec2.create_tags().resources(id).set_tags(Some(set)).send().await.map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

fn id_of(v: &Value) -> Option<&str> {
    get_str(v, "id")
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(id) = id_of(state) else { return Ok(None) };
    read_id(inner, ty, id, state).await
}

/// Reads object `id`; `shape` (prior state or planned value) decides how
/// optional attributes read back (tags null vs map, key material).
async fn read_id(inner: &Inner, ty: &str, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{ty} {id}");
    let what = what.as_str();
    let Some(block) = schema::resource(ty) else {
        return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() });
    };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    match ty {
        VPC => {
            let out = not_found_is_none(inner.ec2.describe_vpcs().vpc_ids(id).send().await.map_err(|e| api_err(what, e)))?;
            let Some(vpc) = out.as_ref().and_then(|o| o.vpcs().first()) else { return Ok(None) };
            let attr = |name: VpcAttributeName| {
                let ec2 = inner.ec2.clone();
                async move {
                    let o = ec2.describe_vpc_attribute().vpc_id(id).attribute(name.clone()).send().await.map_err(|e| api_err(what, e))?;
                    let v = match name {
                        VpcAttributeName::EnableDnsHostnames => o.enable_dns_hostnames().and_then(|a| a.value()),
                        _ => o.enable_dns_support().and_then(|a| a.value()),
                    };
                    Ok::<_, ProviderError>(Value::Bool(v.unwrap_or(false)))
                }
            };
            m.insert("enable_dns_hostnames".into(), attr(VpcAttributeName::EnableDnsHostnames).await?);
            m.insert("enable_dns_support".into(), attr(VpcAttributeName::EnableDnsSupport).await?);
            m.insert("cidr_block".into(), opt_string(vpc.cidr_block()));
            m.insert("instance_tenancy".into(), opt_string(vpc.instance_tenancy().map(|t| t.as_str())));
            m.insert("dhcp_options_id".into(), opt_string(vpc.dhcp_options_id()));
            let v6 = vpc.ipv6_cidr_block_association_set().iter().find(|a| {
                a.ipv6_cidr_block_state().and_then(|s| s.state()).is_none_or(|s| !matches!(s.as_str(), "disassociated" | "disassociating" | "failed" | "failing"))
            });
            m.insert("ipv6_cidr_block".into(), Value::string(v6.and_then(|a| a.ipv6_cidr_block()).unwrap_or_default()));
            m.insert("ipv6_association_id".into(), Value::string(v6.and_then(|a| a.association_id()).unwrap_or_default()));
            m.insert("ipv6_cidr_block_network_border_group".into(), Value::string(v6.and_then(|a| a.network_border_group()).unwrap_or_default()));
            m.insert("assign_generated_ipv6_cidr_block".into(), Value::Bool(v6.is_some() && get_str(shape, "ipv6_ipam_pool_id").is_none()));
            for k in ["ipv4_ipam_pool_id", "ipv4_netmask_length", "ipv6_ipam_pool_id", "ipv6_netmask_length"] {
                m.insert(k.into(), get(shape, k).cloned().unwrap_or(Value::Null));
            }
            m.insert("owner_id".into(), opt_string(vpc.owner_id()));
            m.insert("arn".into(), arn(inner, vpc.owner_id(), "vpc", id));
            m.insert("tags".into(), tags_value(vpc.tags(), &inner.default_tags, shape));
            let sgs = inner
                .ec2
                .describe_security_groups()
                .filters(filter("vpc-id", id))
                .filters(filter("group-name", "default"))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            m.insert("default_security_group_id".into(), opt_string(sgs.security_groups().first().and_then(|g| g.group_id())));
            let rts = inner
                .ec2
                .describe_route_tables()
                .filters(filter("vpc-id", id))
                .filters(filter("association.main", "true"))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            let main_rt = opt_string(rts.route_tables().first().and_then(|r| r.route_table_id()));
            m.insert("main_route_table_id".into(), main_rt.clone());
            m.insert("default_route_table_id".into(), main_rt);
            let acls = inner
                .ec2
                .describe_network_acls()
                .filters(filter("vpc-id", id))
                .filters(filter("default", "true"))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            m.insert("default_network_acl_id".into(), opt_string(acls.network_acls().first().and_then(|a| a.network_acl_id())));
            // Not every endpoint (moto) knows this attribute: unknown reads as off.
            let metrics = inner.ec2.describe_vpc_attribute().vpc_id(id).attribute(VpcAttributeName::EnableNetworkAddressUsageMetrics).send().await;
            let metrics = metrics.ok().and_then(|o| o.enable_network_address_usage_metrics().and_then(|a| a.value())).unwrap_or(false);
            m.insert("enable_network_address_usage_metrics".into(), Value::Bool(metrics));
        }
        SUBNET => {
            let out = not_found_is_none(inner.ec2.describe_subnets().subnet_ids(id).send().await.map_err(|e| api_err(what, e)))?;
            let Some(s) = out.as_ref().and_then(|o| o.subnets().first()) else { return Ok(None) };
            m.insert("vpc_id".into(), opt_string(s.vpc_id()));
            m.insert("cidr_block".into(), opt_string(s.cidr_block()));
            m.insert("availability_zone".into(), opt_string(s.availability_zone()));
            m.insert("availability_zone_id".into(), opt_string(s.availability_zone_id()));
            m.insert("map_public_ip_on_launch".into(), Value::Bool(s.map_public_ip_on_launch().unwrap_or(false)));
            let v6 = s.ipv6_cidr_block_association_set().iter().find(|a| {
                a.ipv6_cidr_block_state().and_then(|s| s.state()).is_none_or(|s| !matches!(s.as_str(), "disassociated" | "disassociating" | "failed" | "failing"))
            });
            m.insert("ipv6_cidr_block".into(), Value::string(v6.and_then(|a| a.ipv6_cidr_block()).unwrap_or_default()));
            m.insert("ipv6_cidr_block_association_id".into(), Value::string(v6.and_then(|a| a.association_id()).unwrap_or_default()));
            m.insert("ipv6_native".into(), Value::Bool(s.ipv6_native().unwrap_or(false)));
            m.insert("assign_ipv6_address_on_creation".into(), Value::Bool(s.assign_ipv6_address_on_creation().unwrap_or(false)));
            m.insert("enable_dns64".into(), Value::Bool(s.enable_dns64().unwrap_or(false)));
            let dns = s.private_dns_name_options_on_launch();
            m.insert("enable_resource_name_dns_a_record_on_launch".into(), Value::Bool(dns.and_then(|d| d.enable_resource_name_dns_a_record()).unwrap_or(false)));
            m.insert("enable_resource_name_dns_aaaa_record_on_launch".into(), Value::Bool(dns.and_then(|d| d.enable_resource_name_dns_aaaa_record()).unwrap_or(false)));
            m.insert("private_dns_hostname_type_on_launch".into(), Value::string(dns.and_then(|d| d.hostname_type()).map_or("ip-name", |h| h.as_str())));
            m.insert("customer_owned_ipv4_pool".into(), opt_string(s.customer_owned_ipv4_pool()));
            m.insert("map_customer_owned_ip_on_launch".into(), s.map_customer_owned_ip_on_launch().filter(|b| *b).map_or(get(shape, "map_customer_owned_ip_on_launch").cloned().unwrap_or(Value::Null), Value::Bool));
            m.insert("outpost_arn".into(), opt_string(s.outpost_arn()));
            m.insert("owner_id".into(), opt_string(s.owner_id()));
            m.insert("arn".into(), arn(inner, s.owner_id(), "subnet", id));
            m.insert("tags".into(), tags_value(s.tags(), &inner.default_tags, shape));
        }
        INTERNET_GATEWAY => {
            let out = not_found_is_none(
                inner.ec2.describe_internet_gateways().internet_gateway_ids(id).send().await.map_err(|e| api_err(what, e)),
            )?;
            let Some(g) = out.as_ref().and_then(|o| o.internet_gateways().first()) else { return Ok(None) };
            m.insert("vpc_id".into(), opt_string(g.attachments().first().and_then(|a| a.vpc_id())));
            m.insert("owner_id".into(), opt_string(g.owner_id()));
            m.insert("arn".into(), arn(inner, g.owner_id(), "internet-gateway", id));
            m.insert("tags".into(), tags_value(g.tags(), &inner.default_tags, shape));
        }
        ROUTE_TABLE => {
            let out = not_found_is_none(inner.ec2.describe_route_tables().route_table_ids(id).send().await.map_err(|e| api_err(what, e)))?;
            let Some(rt) = out.as_ref().and_then(|o| o.route_tables().first()) else { return Ok(None) };
            m.insert("vpc_id".into(), opt_string(rt.vpc_id()));
            m.insert("owner_id".into(), opt_string(rt.owner_id()));
            m.insert("arn".into(), arn(inner, rt.owner_id(), "route-table", id));
            m.insert("tags".into(), tags_value(rt.tags(), &inner.default_tags, shape));
            let routes = rt
                .routes()
                .iter()
                .filter(|r| r.gateway_id() != Some("local"))
                .filter_map(|r| {
                    Some(Value::map([
                        ("cidr_block", Value::string(r.destination_cidr_block()?)),
                        ("gateway_id", opt_string(r.gateway_id())),
                    ]))
                })
                .collect();
            m.insert("route".into(), Value::set(routes));
        }
        ROUTE_TABLE_ASSOCIATION => {
            let Some(rt_id) = get_str(shape, "route_table_id") else { return Ok(None) };
            let out = not_found_is_none(
                inner.ec2.describe_route_tables().route_table_ids(rt_id).send().await.map_err(|e| api_err(what, e)),
            )?;
            let Some(rt) = out.as_ref().and_then(|o| o.route_tables().first()) else { return Ok(None) };
            let Some(a) = rt.associations().iter().find(|a| a.route_table_association_id() == Some(id)) else { return Ok(None) };
            m.insert("subnet_id".into(), opt_string(a.subnet_id()));
            m.insert("route_table_id".into(), opt_string(rt.route_table_id()));
        }
        KEY_PAIR => {
            let out = not_found_is_none(inner.ec2.describe_key_pairs().key_names(id).send().await.map_err(|e| api_err(what, e)))?;
            let Some(k) = out.as_ref().and_then(|o| o.key_pairs().first()) else { return Ok(None) };
            m.insert("key_name".into(), opt_string(k.key_name()));
            m.insert("key_pair_id".into(), opt_string(k.key_pair_id()));
            m.insert("fingerprint".into(), opt_string(k.key_fingerprint()));
            // EC2 does not return the imported material: keep what was configured.
            m.insert("public_key".into(), get(shape, "public_key").cloned().unwrap_or(Value::Null));
            m.insert("key_name_prefix".into(), get(shape, "key_name_prefix").cloned().unwrap_or(Value::Null));
            m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}::key-pair/{}", inner.region, k.key_pair_id().unwrap_or(id))));
            m.insert("tags".into(), tags_value(k.tags(), &inner.default_tags, shape));
        }
        _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
    Ok(Some(complete(block, m)))
}

/// Looks for a live object created for `ctx` before a crash.
async fn adopt(inner: &Inner, ty: &str, what: &str, ctx: &OpContext) -> Result<Option<String>, ProviderError> {
    let f = Some(adoption_filters(ctx));
    let ec2 = &inner.ec2;
    let id = match ty {
        VPC => ec2.describe_vpcs().set_filters(f).send().await.map_err(|e| api_err(what, e))?.vpcs().first().and_then(|v| v.vpc_id().map(String::from)),
        SUBNET => {
            ec2.describe_subnets().set_filters(f).send().await.map_err(|e| api_err(what, e))?.subnets().first().and_then(|v| v.subnet_id().map(String::from))
        }
        INTERNET_GATEWAY => ec2
            .describe_internet_gateways()
            .set_filters(f)
            .send()
            .await
            .map_err(|e| api_err(what, e))?
            .internet_gateways()
            .first()
            .and_then(|v| v.internet_gateway_id().map(String::from)),
        ROUTE_TABLE => ec2
            .describe_route_tables()
            .set_filters(f)
            .send()
            .await
            .map_err(|e| api_err(what, e))?
            .route_tables()
            .first()
            .and_then(|v| v.route_table_id().map(String::from)),
        _ => None,
    };
    Ok(id)
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let tags = effective_tags(&inner.default_tags, planned);
    let ec2 = &inner.ec2;
    let id = match adopt(inner, ty, what, ctx).await? {
        Some(id) => id,
        None => {
            let id = match ty {
                VPC => {
                    let t = |n: &str| get_str(planned, n).map(String::from);
                    let n = |n: &str| get_i64(planned, n).map(|x| x as i32);
                    let o = ec2
                        .create_vpc()
                        .set_cidr_block(t("cidr_block"))
                        .set_instance_tenancy(t("instance_tenancy").map(|x| aws_sdk_ec2::types::Tenancy::from(x.as_str())))
                        .set_ipv4_ipam_pool_id(t("ipv4_ipam_pool_id"))
                        .set_ipv4_netmask_length(n("ipv4_netmask_length"))
                        .set_amazon_provided_ipv6_cidr_block(get_bool(planned, "assign_generated_ipv6_cidr_block").filter(|b| *b))
                        .set_ipv6_ipam_pool_id(t("ipv6_ipam_pool_id"))
                        .set_ipv6_netmask_length(n("ipv6_netmask_length"))
                        .set_ipv6_cidr_block(t("ipv6_cidr_block").filter(|_| get_str(planned, "ipv6_ipam_pool_id").is_some()))
                        .set_ipv6_cidr_block_network_border_group(t("ipv6_cidr_block_network_border_group"))
                        .tag_specifications(tag_spec(ResourceType::Vpc, &tags, ctx))
                        .send()
                        .await
                        .map_err(|e| api_err(what, e))?;
                    o.vpc().and_then(|v| v.vpc_id()).map(String::from)
                }
                SUBNET => {
                    let o = ec2
                        .create_subnet()
                        .set_vpc_id(get_str(planned, "vpc_id").map(String::from))
                        .set_cidr_block(get_str(planned, "cidr_block").map(String::from))
                        .set_availability_zone(get_str(planned, "availability_zone").map(String::from))
                        .set_availability_zone_id(get_str(planned, "availability_zone_id").map(String::from).filter(|_| get_str(planned, "availability_zone").is_none()))
                        // IPv6-only subnets name their block at creation; others get it associated after.
                        .set_ipv6_cidr_block(get_str(planned, "ipv6_cidr_block").map(String::from).filter(|_| get_bool(planned, "ipv6_native") == Some(true)))
                        .set_ipv6_native(get_bool(planned, "ipv6_native").filter(|b| *b))
                        .set_outpost_arn(get_str(planned, "outpost_arn").map(String::from))
                        .tag_specifications(tag_spec(ResourceType::Subnet, &tags, ctx))
                        .send()
                        .await
                        .map_err(|e| api_err(what, e))?;
                    o.subnet().and_then(|v| v.subnet_id()).map(String::from)
                }
                INTERNET_GATEWAY => {
                    let o = ec2
                        .create_internet_gateway()
                        .tag_specifications(tag_spec(ResourceType::InternetGateway, &tags, ctx))
                        .send()
                        .await
                        .map_err(|e| api_err(what, e))?;
                    o.internet_gateway().and_then(|v| v.internet_gateway_id()).map(String::from)
                }
                ROUTE_TABLE => {
                    let o = ec2
                        .create_route_table()
                        .set_vpc_id(get_str(planned, "vpc_id").map(String::from))
                        .tag_specifications(tag_spec(ResourceType::RouteTable, &tags, ctx))
                        .send()
                        .await
                        .map_err(|e| api_err(what, e))?;
                    o.route_table().and_then(|v| v.route_table_id()).map(String::from)
                }
                ROUTE_TABLE_ASSOCIATION => Some(associate(inner, what, planned).await?),
                KEY_PAIR => Some(import_key(inner, what, planned, &tags, ctx).await?),
                _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
            };
            kill_hook(ctx);
            id.ok_or_else(|| ProviderError::Failed(format!("{what}: the create call returned no id")))?
        }
    };
    let current = read_id(inner, ty, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    converge(inner, ty, what, &id, &current, planned).await?;
    read_id(inner, ty, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

/// An existing association of the subnet with this route table is adopted
/// (associations cannot be tagged); else one is made.
async fn associate(inner: &Inner, what: &str, planned: &Value) -> Result<String, ProviderError> {
    let subnet = get_str(planned, "subnet_id").unwrap_or_default();
    let rt = get_str(planned, "route_table_id").unwrap_or_default();
    let out = inner.ec2.describe_route_tables().route_table_ids(rt).send().await.map_err(|e| api_err(what, e))?;
    if let Some(a) = out
        .route_tables()
        .iter()
        .flat_map(|r| r.associations())
        .find(|a| a.subnet_id() == Some(subnet))
        .and_then(|a| a.route_table_association_id())
    {
        return Ok(a.to_string());
    }
    let o = inner.ec2.associate_route_table().subnet_id(subnet).route_table_id(rt).send().await.map_err(|e| api_err(what, e))?;
    o.association_id().map(String::from).ok_or_else(|| ProviderError::Failed(format!("{what}: AssociateRouteTable returned no id")))
}

async fn import_key(
    inner: &Inner,
    what: &str,
    planned: &Value,
    tags: &BTreeMap<String, String>,
    ctx: &OpContext,
) -> Result<String, ProviderError> {
    let name = match (get_str(planned, "key_name"), get_str(planned, "key_name_prefix")) {
        (Some(n), _) => n.to_string(),
        // Same per-create token as the generated name: a retry after a crash finds it again.
        (None, Some(prefix)) => format!("{prefix}{}", &client_token(ctx)[..26]),
        (None, None) => generated_name(ctx),
    };
    // A key with this name made by this very create (crash before the state write) is adopted.
    if let Ok(o) = inner.ec2.describe_key_pairs().key_names(&name).send().await {
        if let Some(k) = o.key_pairs().first() {
            let t = tag_map(k.tags());
            if t.get(TAG_LINEAGE) == Some(&ctx.lineage) && t.get(TAG_ADDRESS) == Some(&ctx.address.to_string()) {
                return Ok(name);
            }
        }
    }
    let material = get_str(planned, "public_key").unwrap_or_default();
    inner
        .ec2
        .import_key_pair()
        .key_name(&name)
        .public_key_material(Blob::new(material.as_bytes().to_vec()))
        .tag_specifications(tag_spec(ResourceType::KeyPair, tags, ctx))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(name)
}

/// Brings the in-place attributes of object `id` from `current` to `planned`.
async fn converge(inner: &Inner, ty: &str, what: &str, id: &str, current: &Value, planned: &Value) -> Result<(), ProviderError> {
    let ec2 = &inner.ec2;
    let want_bool = |name: &str| get_bool(planned, name).filter(|b| get_bool(current, name) != Some(*b));
    match ty {
        VPC => {
            // One attribute per call (an EC2 rule).
            if let Some(b) = want_bool("enable_dns_support") {
                ec2.modify_vpc_attribute()
                    .vpc_id(id)
                    .enable_dns_support(AttributeBooleanValue::builder().value(b).build())
                    .send()
                    .await
                    .map_err(|e| api_err(what, e))?;
            }
            if let Some(b) = want_bool("enable_dns_hostnames") {
                ec2.modify_vpc_attribute()
                    .vpc_id(id)
                    .enable_dns_hostnames(AttributeBooleanValue::builder().value(b).build())
                    .send()
                    .await
                    .map_err(|e| api_err(what, e))?;
            }
            if let Some(b) = want_bool("enable_network_address_usage_metrics") {
                ec2.modify_vpc_attribute()
                    .vpc_id(id)
                    .enable_network_address_usage_metrics(AttributeBooleanValue::builder().value(b).build())
                    .send()
                    .await
                    .map_err(|e| api_err(what, e))?;
            }
        }
        SUBNET => {
            // The IPv6 block first: the IPv6 flags below need it.
            let (had, want) = (get_str(current, "ipv6_cidr_block").filter(|c| !c.is_empty()), get_str(planned, "ipv6_cidr_block").filter(|c| !c.is_empty()));
            if had != want {
                if let (Some(_), Some(assoc)) = (had, get_str(current, "ipv6_cidr_block_association_id").filter(|a| !a.is_empty())) {
                    if want.is_some() || get(planned, "ipv6_cidr_block").is_some_and(|v| !v.is_null()) {
                        ec2.disassociate_subnet_cidr_block().association_id(assoc).send().await.map_err(|e| api_err(what, e))?;
                    }
                }
                if let Some(block) = want {
                    ec2.associate_subnet_cidr_block().subnet_id(id).ipv6_cidr_block(block).send().await.map_err(|e| api_err(what, e))?;
                }
            }
            // One attribute per ModifySubnetAttribute call (an EC2 rule).
            let flag = |b: bool| Some(AttributeBooleanValue::builder().value(b).build());
            let m = || ec2.modify_subnet_attribute().subnet_id(id);
            let mut calls = Vec::new();
            if let Some(b) = want_bool("map_public_ip_on_launch") {
                calls.push(m().set_map_public_ip_on_launch(flag(b)));
            }
            if let Some(b) = want_bool("assign_ipv6_address_on_creation") {
                calls.push(m().set_assign_ipv6_address_on_creation(flag(b)));
            }
            if let Some(b) = want_bool("enable_dns64") {
                calls.push(m().set_enable_dns64(flag(b)));
            }
            if let Some(b) = want_bool("enable_resource_name_dns_a_record_on_launch") {
                calls.push(m().set_enable_resource_name_dns_a_record_on_launch(flag(b)));
            }
            if let Some(b) = want_bool("enable_resource_name_dns_aaaa_record_on_launch") {
                calls.push(m().set_enable_resource_name_dns_aaaa_record_on_launch(flag(b)));
            }
            if let Some(h) = get_str(planned, "private_dns_hostname_type_on_launch").filter(|h| get_str(current, "private_dns_hostname_type_on_launch") != Some(*h)) {
                calls.push(m().private_dns_hostname_type_on_launch(aws_sdk_ec2::types::HostnameType::from(h)));
            }
            let pool = get_str(planned, "customer_owned_ipv4_pool");
            if let Some(b) = want_bool("map_customer_owned_ip_on_launch") {
                calls.push(m().set_map_customer_owned_ip_on_launch(flag(b)).set_customer_owned_ipv4_pool(pool.map(String::from)));
            }
            for call in calls {
                call.send().await.map_err(|e| api_err(what, e))?;
            }
        }
        INTERNET_GATEWAY => {
            let (old, new) = (get_str(current, "vpc_id"), get_str(planned, "vpc_id"));
            if old != new {
                if let Some(v) = old {
                    ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(v).send().await.map_err(|e| api_err(what, e))?;
                }
                if let Some(v) = new {
                    ec2.attach_internet_gateway().internet_gateway_id(id).vpc_id(v).send().await.map_err(|e| api_err(what, e))?;
                }
            }
        }
        ROUTE_TABLE => {
            let routes = |v: &Value| -> BTreeMap<String, Option<String>> {
                get_blocks(v, "route")
                    .into_iter()
                    .filter_map(|r| Some((get_str(r, "cidr_block")?.to_string(), get_str(r, "gateway_id").map(String::from))))
                    .collect()
            };
            let (old, new) = (routes(current), routes(planned));
            for cidr in old.keys().filter(|c| !new.contains_key(*c)) {
                let r = ec2.delete_route().route_table_id(id).destination_cidr_block(cidr).send().await.map_err(|e| api_err(what, e));
                if let Err(e) = r {
                    if !is_not_found(&e) {
                        return Err(e);
                    }
                }
            }
            for (cidr, gw) in &new {
                match old.get(cidr) {
                    Some(g) if g == gw => {}
                    Some(_) => {
                        ec2.replace_route()
                            .route_table_id(id)
                            .destination_cidr_block(cidr)
                            .set_gateway_id(gw.clone())
                            .send()
                            .await
                            .map_err(|e| api_err(what, e))?;
                    }
                    None => {
                        ec2.create_route()
                            .route_table_id(id)
                            .destination_cidr_block(cidr)
                            .set_gateway_id(gw.clone())
                            .send()
                            .await
                            .map_err(|e| api_err(what, e))?;
                    }
                }
            }
        }
        _ => {}
    }
    if ty != ROUTE_TABLE_ASSOCIATION {
        let tag_target = if ty == KEY_PAIR { get_str(current, "key_pair_id").unwrap_or(id) } else { id };
        sync_tags(inner, what, tag_target, current, planned).await?;
    }
    Ok(())
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let Some(id) = id_of(prior) else { return Err(ProviderError::Failed(format!("{addr}: no id in state"))) };
    converge(inner, ty, addr, id, prior, planned).await?;
    read_id(inner, ty, id, planned).await?.ok_or_else(|| ProviderError::Api {
        code: "NotFound".into(),
        message: format!("{addr}: {id} disappeared during the update"),
    })
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = id_of(prior) else { return Ok(()) };
    let ec2 = &inner.ec2;
    match ty {
        VPC => delete_with_retry(|| async { ec2.delete_vpc().vpc_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await,
        SUBNET => {
            delete_with_retry(|| async { ec2.delete_subnet().subnet_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
        }
        INTERNET_GATEWAY => {
            if let Some(vpc) = get_str(prior, "vpc_id") {
                let r = delete_with_retry(|| async {
                    ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
                })
                .await;
                match r {
                    Err(e) if is_code(&e, "Gateway.NotAttached") => {}
                    other => other?,
                }
            }
            delete_with_retry(|| async {
                ec2.delete_internet_gateway().internet_gateway_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
            })
            .await
        }
        ROUTE_TABLE => delete_with_retry(|| async {
            ec2.delete_route_table().route_table_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
        })
        .await,
        ROUTE_TABLE_ASSOCIATION => delete_with_retry(|| async {
            ec2.disassociate_route_table().association_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e))
        })
        .await,
        KEY_PAIR => delete_with_retry(|| async { ec2.delete_key_pair().key_name(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await,
        _ => Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    }
}

/// `contin import`: the object's id (route table associations: `SUBNET_ID/ROUTE_TABLE_ID`, key pairs: the key name).
pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    if ty == ROUTE_TABLE_ASSOCIATION {
        let Some((subnet, rt)) = id.split_once('/') else {
            return Err(ProviderError::Invalid(format!("import {ty}: expected SUBNET_ID/ROUTE_TABLE_ID, got {id:?}")));
        };
        let out = not_found_is_none(
            inner.ec2.describe_route_tables().route_table_ids(rt).send().await.map_err(|e| api_err(&format!("{ty} {id}"), e)),
        )?;
        let assoc = out
            .as_ref()
            .and_then(|o| o.route_tables().first())
            .and_then(|r| r.associations().iter().find(|a| a.subnet_id() == Some(subnet)))
            .and_then(|a| a.route_table_association_id());
        let Some(assoc) = assoc else { return Ok(None) };
        return read_id(inner, ty, assoc, &Value::map([("route_table_id", Value::string(rt))])).await;
    }
    let shape = Value::map::<&str>([]);
    let v = read_id(inner, ty, id, &shape).await?;
    // Imported tags show as a map only when there are any.
    Ok(v)
}
