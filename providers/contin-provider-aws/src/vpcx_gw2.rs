//! More of `vpcx_gw.rs` (same semantics and crash-safety notes):
//! `aws_customer_gateway`, `aws_vpn_gateway`, `aws_vpn_gateway_attachment`,
//! `aws_vpn_gateway_route_propagation`, `aws_flow_log`,
//! `aws_vpc_block_public_access_options`, `aws_vpc_block_public_access_exclusion`.

use crate::network::sync_tags;
use crate::schema::*;
use crate::util::*;
use crate::vpcx::{not_found_is_none, set_live_tags};
use crate::vpcx_gw::{account_id, block_of, has_bookkeeping, no_id, ok_if_gone, short_hash, wait_until, FLOW_LOG_TARGETS};
use crate::Inner;
use aws_sdk_ec2::types::{
    AttachmentStatus, DestinationFileFormat, DestinationOptionsRequest, Filter, FlowLogsResourceType, GatewayType, InternetGatewayBlockMode,
    InternetGatewayExclusionMode, LogDestinationType, ResourceType, TrafficType, VpcBlockPublicAccessExclusionState, VpcBlockPublicAccessState,
    VpnState,
};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

// ----------------------------------------------------- aws_customer_gateway

pub(crate) fn cgw_gone(state: Option<&str>) -> bool {
    matches!(state, Some("deleted" | "deleting"))
}

pub(crate) async fn read_cgw(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{CUSTOMER_GATEWAY} {id}");
    let o = not_found_is_none(inner.ec2.describe_customer_gateways().customer_gateway_ids(id).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(g) = o.as_ref().and_then(|o| o.customer_gateways().first()) else { return Ok(None) };
    if cgw_gone(g.state()) {
        return Ok(None);
    }
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    // The API echoes the 2-byte ASN in both fields: show the one the configuration uses.
    let extended = get_str(shape, "bgp_asn_extended").is_some();
    m.insert("bgp_asn".into(), if extended { Value::Null } else { opt_string(g.bgp_asn()) });
    m.insert("bgp_asn_extended".into(), if extended { opt_string(g.bgp_asn_extended().or(g.bgp_asn())) } else { Value::Null });
    m.insert("certificate_arn".into(), opt_string(g.certificate_arn().filter(|s| !s.is_empty())));
    m.insert("device_name".into(), opt_string(g.device_name().filter(|s| !s.is_empty())));
    m.insert("ip_address".into(), opt_string(g.ip_address()));
    m.insert("type".into(), opt_string(g.r#type()));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:customer-gateway/{id}", inner.region, account_id(inner, &what).await?)));
    m.insert("tags".into(), tags_value(g.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block_of(CUSTOMER_GATEWAY)?, m)))
}

pub(crate) async fn create_cgw(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let found = inner.ec2.describe_customer_gateways().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(&what, e))?;
    let id = match found.customer_gateways().iter().find(|g| !cgw_gone(g.state())).and_then(|g| g.customer_gateway_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let asn = get_str(planned, "bgp_asn").and_then(|a| a.parse::<i32>().ok());
            let asn_ext = get_str(planned, "bgp_asn_extended").and_then(|a| a.parse::<i64>().ok());
            let o = inner
                .ec2
                .create_customer_gateway()
                .set_bgp_asn(asn)
                .set_bgp_asn_extended(asn_ext)
                .set_ip_address(get_str(planned, "ip_address").map(String::from))
                .set_device_name(get_str(planned, "device_name").map(String::from))
                .set_certificate_arn(get_str(planned, "certificate_arn").map(String::from))
                .r#type(GatewayType::from(get_str(planned, "type").unwrap_or("ipsec.1")))
                .tag_specifications(tag_spec(ResourceType::CustomerGateway, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            o.customer_gateway().and_then(|g| g.customer_gateway_id()).map(String::from).ok_or_else(|| no_id(&what, "CreateCustomerGateway"))?
        }
    };
    let current = read_cgw(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))?;
    sync_tags(inner, &what, &id, &current, planned).await?;
    read_cgw(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))
}

// ------------------------------------------------ aws_vpn_gateway (+ attach)

pub(crate) async fn describe_vgw(inner: &Inner, what: &str, id: &str) -> Result<Option<aws_sdk_ec2::types::VpnGateway>, ProviderError> {
    let o = not_found_is_none(inner.ec2.describe_vpn_gateways().vpn_gateway_ids(id).send().await.map_err(|e| api_err(what, e)))?;
    Ok(o.and_then(|o| o.vpn_gateways().first().cloned()).filter(|g| !matches!(g.state(), Some(VpnState::Deleted | VpnState::Deleting))))
}

pub(crate) fn attached_vpc(g: &aws_sdk_ec2::types::VpnGateway) -> Option<&str> {
    g.vpc_attachments().iter().find(|a| matches!(a.state(), Some(AttachmentStatus::Attached | AttachmentStatus::Attaching))).and_then(|a| a.vpc_id())
}

pub(crate) async fn read_vgw(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{VPN_GATEWAY} {id}");
    let Some(g) = describe_vgw(inner, &what, id).await? else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("vpc_id".into(), opt_string(attached_vpc(&g)));
    m.insert("amazon_side_asn".into(), g.amazon_side_asn().map_or(Value::Null, |a| Value::String(a.to_string())));
    m.insert("availability_zone".into(), opt_string(g.availability_zone().filter(|z| !z.is_empty())));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:vpn-gateway/{id}", inner.region, account_id(inner, &what).await?)));
    m.insert("tags".into(), tags_value(g.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block_of(VPN_GATEWAY)?, m)))
}

pub(crate) async fn wait_vgw_attachment(inner: &Inner, what: &str, id: &str, vpc: &str, attached: bool) -> Result<(), ProviderError> {
    wait_until(what, if attached { "the VPN gateway is attached" } else { "the VPN gateway is detached" }, || async {
        let g = describe_vgw(inner, what, id).await?;
        let state = g.as_ref().and_then(|g| g.vpc_attachments().iter().find(|a| a.vpc_id() == Some(vpc)).and_then(|a| a.state().cloned()));
        Ok(match state {
            Some(AttachmentStatus::Attached) => attached,
            None | Some(AttachmentStatus::Detached) => !attached,
            _ => false,
        })
    })
    .await
}

pub(crate) async fn attach_vgw(inner: &Inner, what: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    inner.ec2.attach_vpn_gateway().vpn_gateway_id(id).vpc_id(vpc).send().await.map_err(|e| api_err(what, e))?;
    wait_vgw_attachment(inner, what, id, vpc, true).await
}

pub(crate) async fn detach_vgw(inner: &Inner, what: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    ok_if_gone(inner.ec2.detach_vpn_gateway().vpn_gateway_id(id).vpc_id(vpc).send().await.map(|_| ()).map_err(|e| api_err(what, e)))?;
    wait_vgw_attachment(inner, what, id, vpc, false).await
}

pub(crate) async fn converge_vgw(inner: &Inner, what: &str, id: &str, planned: &Value) -> Result<Value, ProviderError> {
    let g = describe_vgw(inner, what, id).await?.ok_or_else(|| vanished(what, id))?;
    let live = attached_vpc(&g).map(String::from);
    // An unknown or null vpc_id leaves the attachment alone (optional and computed).
    if let Some(want) = get_str(planned, "vpc_id") {
        if live.as_deref() != Some(want) {
            if let Some(old) = &live {
                detach_vgw(inner, what, id, old).await?;
            }
            attach_vgw(inner, what, id, want).await?;
        }
    }
    set_live_tags(inner, what, id, g.tags(), planned).await?;
    read_vgw(inner, id, planned).await?.ok_or_else(|| vanished(what, id))
}

pub(crate) async fn create_vgw(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let found = inner.ec2.describe_vpn_gateways().set_filters(Some(adoption_filters(ctx))).send().await.map_err(|e| api_err(&what, e))?;
    let live = found.vpn_gateways().iter().find(|g| !matches!(g.state(), Some(VpnState::Deleted | VpnState::Deleting)));
    let id = match live.and_then(|g| g.vpn_gateway_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_vpn_gateway()
                .r#type(GatewayType::Ipsec1)
                .set_amazon_side_asn(get_str(planned, "amazon_side_asn").and_then(|a| a.parse::<i64>().ok()))
                .set_availability_zone(get_str(planned, "availability_zone").map(String::from))
                .tag_specifications(tag_spec(ResourceType::VpnGateway, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            o.vpn_gateway().and_then(|g| g.vpn_gateway_id()).map(String::from).ok_or_else(|| no_id(&what, "CreateVpnGateway"))?
        }
    };
    converge_vgw(inner, &what, &id, planned).await
}

pub(crate) async fn delete_vgw(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    let Some(g) = describe_vgw(inner, addr, id).await? else { return Ok(()) };
    if let Some(vpc) = attached_vpc(&g) {
        detach_vgw(inner, addr, id, vpc).await?;
    }
    delete_with_retry(|| async { inner.ec2.delete_vpn_gateway().vpn_gateway_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) }).await
}

pub(crate) fn vgw_attachment_id(vpc: &str, vgw: &str) -> String {
    let h = short_hash(&[vpc, "-", vgw]);
    format!("vpn-attachment-{}", &h[..8])
}

pub(crate) async fn read_vgw_attachment(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let (Some(vpc), Some(vgw)) = (get_str(shape, "vpc_id"), get_str(shape, "vpn_gateway_id")) else { return Ok(None) };
    let what = format!("{VPN_GATEWAY_ATTACHMENT} {vgw} {vpc}");
    let Some(g) = describe_vgw(inner, &what, vgw).await? else { return Ok(None) };
    if attached_vpc(&g) != Some(vpc) {
        return Ok(None);
    }
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(vgw_attachment_id(vpc, vgw)));
    m.insert("vpc_id".into(), Value::string(vpc));
    m.insert("vpn_gateway_id".into(), Value::string(vgw));
    Ok(Some(complete(block_of(VPN_GATEWAY_ATTACHMENT)?, m)))
}

// ------------------------------------- aws_vpn_gateway_route_propagation

pub(crate) async fn read_propagation(inner: &Inner, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let (Some(rt), Some(vgw)) = (get_str(shape, "route_table_id"), get_str(shape, "vpn_gateway_id")) else { return Ok(None) };
    let what = format!("{VPN_GATEWAY_ROUTE_PROPAGATION} {rt} {vgw}");
    let o = not_found_is_none(inner.ec2.describe_route_tables().route_table_ids(rt).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(t) = o.as_ref().and_then(|o| o.route_tables().first()) else { return Ok(None) };
    if !t.propagating_vgws().iter().any(|p| p.gateway_id() == Some(vgw)) {
        return Ok(None);
    }
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(format!("{rt}_{vgw}")));
    m.insert("route_table_id".into(), Value::string(rt));
    m.insert("vpn_gateway_id".into(), Value::string(vgw));
    m.insert("timeouts".into(), get(shape, "timeouts").cloned().unwrap_or(Value::Null));
    Ok(Some(complete(block_of(VPN_GATEWAY_ROUTE_PROPAGATION)?, m)))
}

// ------------------------------------------------------------- aws_flow_log

pub(crate) async fn read_flow_log(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{FLOW_LOG} {id}");
    let o = not_found_is_none(inner.ec2.describe_flow_logs().flow_log_ids(id).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(f) = o.as_ref().and_then(|o| o.flow_logs().first()) else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    let resource = f.resource_id().unwrap_or_default();
    let target = match resource.split('-').next() {
        Some("vpc") => "vpc_id",
        Some("subnet") => "subnet_id",
        Some("eni") => "eni_id",
        Some("tgw") if resource.starts_with("tgw-attach-") => "transit_gateway_attachment_id",
        Some("tgw") => "transit_gateway_id",
        _ => "vpc_id",
    };
    m.insert(target.into(), Value::string(resource));
    m.insert("traffic_type".into(), opt_string(f.traffic_type().map(TrafficType::as_str)));
    m.insert("log_destination_type".into(), opt_string(f.log_destination_type().map(LogDestinationType::as_str)));
    m.insert("log_destination".into(), opt_string(f.log_destination()));
    m.insert("log_group_name".into(), opt_string(f.log_group_name()));
    m.insert("iam_role_arn".into(), opt_string(f.deliver_logs_permission_arn()));
    m.insert("deliver_cross_account_role".into(), opt_string(f.deliver_cross_account_role()));
    m.insert("log_format".into(), opt_string(f.log_format()));
    m.insert("max_aggregation_interval".into(), f.max_aggregation_interval().map_or(Value::Null, |i| Value::int(i64::from(i))));
    let dest = f.destination_options().filter(|_| f.log_destination_type() == Some(&LogDestinationType::S3)).map(|d| {
        Value::List(vec![Value::map([
            ("file_format", opt_string(d.file_format().map(DestinationFileFormat::as_str))),
            ("hive_compatible_partitions", Value::Bool(d.hive_compatible_partitions().unwrap_or(false))),
            ("per_hour_partition", Value::Bool(d.per_hour_partition().unwrap_or(false))),
        ])])
    });
    // An answer without DestinationOptions (moto keeps none) says nothing about
    // them: the recorded value stays; an answer with them is the truth.
    let recorded = get(shape, "destination_options").filter(|v| !v.is_null() && !v.is_unknown()).cloned();
    let dest = match (dest, f.destination_options().is_some()) {
        (Some(d), _) => d,
        (None, false) if f.log_destination_type() == Some(&LogDestinationType::S3) => recorded.unwrap_or(Value::List(Vec::new())),
        _ => Value::List(Vec::new()),
    };
    m.insert("destination_options".into(), dest);
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:vpc-flow-log/{id}", inner.region, account_id(inner, &what).await?)));
    m.insert("tags".into(), tags_value(f.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block_of(FLOW_LOG)?, m)))
}

pub(crate) async fn create_flow_log(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let Some((attr, rtype)) = FLOW_LOG_TARGETS.iter().find(|(n, _)| get_str(planned, n).is_some()) else {
        return Err(ProviderError::Invalid(format!(
            "{what}: one of vpc_id, subnet_id, eni_id, transit_gateway_id, transit_gateway_attachment_id is required"
        )));
    };
    // Adoption: the watched resource's flow logs, bookkeeping tags checked here
    // (not every EC2 implementation filters flow logs by tag).
    let found = inner
        .ec2
        .describe_flow_logs()
        .filter(Filter::builder().name("resource-id").values(get_str(planned, attr).unwrap_or_default()).build())
        .send()
        .await
        .map_err(|e| api_err(&what, e))?;
    let id = match found.flow_logs().iter().find(|f| has_bookkeeping(f.tags(), ctx)).and_then(|f| f.flow_log_id()) {
        Some(id) => id.to_string(),
        None => {
            let g = |n: &str| get_str(planned, n).map(String::from);
            let dest = get_blocks(planned, "destination_options").first().map(|d| {
                DestinationOptionsRequest::builder()
                    .set_file_format(get_str(d, "file_format").map(DestinationFileFormat::from))
                    .set_hive_compatible_partitions(get_bool(d, "hive_compatible_partitions"))
                    .set_per_hour_partition(get_bool(d, "per_hour_partition"))
                    .build()
            });
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_flow_logs()
                .resource_ids(get_str(planned, attr).unwrap_or_default())
                .resource_type(FlowLogsResourceType::from(*rtype))
                .set_traffic_type(get_str(planned, "traffic_type").map(TrafficType::from))
                .set_log_destination_type(get_str(planned, "log_destination_type").map(LogDestinationType::from))
                .set_log_destination(g("log_destination"))
                .set_log_group_name(g("log_group_name"))
                .set_deliver_logs_permission_arn(g("iam_role_arn"))
                .set_deliver_cross_account_role(g("deliver_cross_account_role"))
                .set_log_format(g("log_format"))
                .set_max_aggregation_interval(get_i64(planned, "max_aggregation_interval").and_then(|i| i32::try_from(i).ok()))
                .set_destination_options(dest)
                .client_token(client_token(ctx))
                .tag_specifications(tag_spec(ResourceType::VpcFlowLog, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            if let Some(u) = o.unsuccessful().first() {
                let err = u.error();
                return Err(ProviderError::Api {
                    code: err.and_then(|e| e.code()).unwrap_or("FlowLogFailed").to_string(),
                    message: format!("{what}: {}", err.and_then(|e| e.message()).unwrap_or("CreateFlowLogs failed")),
                });
            }
            o.flow_log_ids().first().cloned().ok_or_else(|| no_id(&what, "CreateFlowLogs"))?
        }
    };
    let current = read_flow_log(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))?;
    sync_tags(inner, &what, &id, &current, planned).await?;
    read_flow_log(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))
}

// ------------------------------------------ VPC Block Public Access (BPA)

pub(crate) async fn read_bpa_options(inner: &Inner) -> Result<Option<Value>, ProviderError> {
    let what = VPC_BLOCK_PUBLIC_ACCESS_OPTIONS;
    let o = inner.ec2.describe_vpc_block_public_access_options().send().await.map_err(|e| api_err(what, e))?;
    let Some(opts) = o.vpc_block_public_access_options() else { return Ok(None) };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(opts.aws_region().unwrap_or(&inner.region).to_string()));
    m.insert("aws_region".into(), Value::String(opts.aws_region().unwrap_or(&inner.region).to_string()));
    m.insert("aws_account_id".into(), opt_string(opts.aws_account_id()));
    m.insert("internet_gateway_block_mode".into(), opt_string(opts.internet_gateway_block_mode().map(InternetGatewayBlockMode::as_str)));
    Ok(Some(complete(block_of(VPC_BLOCK_PUBLIC_ACCESS_OPTIONS)?, m)))
}

pub(crate) async fn put_bpa_options(inner: &Inner, what: &str, mode: &str) -> Result<(), ProviderError> {
    inner
        .ec2
        .modify_vpc_block_public_access_options()
        .internet_gateway_block_mode(InternetGatewayBlockMode::from(mode))
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    wait_until(what, "the Block Public Access options are updated", || async {
        let o = inner.ec2.describe_vpc_block_public_access_options().send().await.map_err(|e| api_err(what, e))?;
        Ok(o.vpc_block_public_access_options().is_some_and(|o| o.state() == Some(&VpcBlockPublicAccessState::UpdateComplete)))
    })
    .await
}

pub(crate) fn exclusion_live(s: Option<&VpcBlockPublicAccessExclusionState>) -> bool {
    !matches!(
        s,
        Some(
            VpcBlockPublicAccessExclusionState::DeleteComplete
                | VpcBlockPublicAccessExclusionState::DeleteInProgress
                | VpcBlockPublicAccessExclusionState::CreateFailed
        )
    )
}

pub(crate) async fn read_exclusion(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION} {id}");
    let o = not_found_is_none(inner.ec2.describe_vpc_block_public_access_exclusions().exclusion_ids(id).send().await.map_err(|e| api_err(&what, e)))?;
    let Some(x) = o.as_ref().and_then(|o| o.vpc_block_public_access_exclusions().first()).filter(|x| exclusion_live(x.state())) else {
        return Ok(None);
    };
    let arn = x.resource_arn().unwrap_or_default();
    let resource = arn.rsplit('/').next().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("resource_arn".into(), Value::string(arn));
    m.insert(if resource.starts_with("subnet-") { "subnet_id" } else { "vpc_id" }.to_string(), Value::string(resource));
    m.insert("internet_gateway_exclusion_mode".into(), opt_string(x.internet_gateway_exclusion_mode().map(InternetGatewayExclusionMode::as_str)));
    m.insert("tags".into(), tags_value(x.tags(), &inner.default_tags, shape));
    Ok(Some(complete(block_of(VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION)?, m)))
}

pub(crate) async fn wait_exclusion(inner: &Inner, what: &str, id: &str, gone: bool) -> Result<(), ProviderError> {
    wait_until(what, if gone { "the exclusion is deleted" } else { "the exclusion is ready" }, || async {
        let o =
            not_found_is_none(inner.ec2.describe_vpc_block_public_access_exclusions().exclusion_ids(id).send().await.map_err(|e| api_err(what, e)))?;
        let state = o.as_ref().and_then(|o| o.vpc_block_public_access_exclusions().first()).and_then(|x| x.state().cloned());
        Ok(match state {
            None | Some(VpcBlockPublicAccessExclusionState::DeleteComplete) => gone,
            Some(VpcBlockPublicAccessExclusionState::CreateComplete | VpcBlockPublicAccessExclusionState::UpdateComplete) => !gone,
            Some(VpcBlockPublicAccessExclusionState::CreateFailed | VpcBlockPublicAccessExclusionState::UpdateFailed) if !gone => {
                return Err(ProviderError::Api { code: "ExclusionFailed".into(), message: format!("{what}: exclusion {id} failed") })
            }
            _ => false,
        })
    })
    .await
}

pub(crate) async fn create_exclusion(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let found = inner
        .ec2
        .describe_vpc_block_public_access_exclusions()
        .set_filters(Some(adoption_filters(ctx)))
        .send()
        .await
        .map_err(|e| api_err(&what, e))?;
    let live = found.vpc_block_public_access_exclusions().iter().find(|x| exclusion_live(x.state()));
    let id = match live.and_then(|x| x.exclusion_id()) {
        Some(id) => id.to_string(),
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let o = inner
                .ec2
                .create_vpc_block_public_access_exclusion()
                .set_vpc_id(get_str(planned, "vpc_id").map(String::from))
                .set_subnet_id(get_str(planned, "subnet_id").map(String::from))
                .set_internet_gateway_exclusion_mode(get_str(planned, "internet_gateway_exclusion_mode").map(InternetGatewayExclusionMode::from))
                .tag_specifications(tag_spec(ResourceType::VpcBlockPublicAccessExclusion, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(&what, e))?;
            kill_hook(ctx);
            o.vpc_block_public_access_exclusion()
                .and_then(|x| x.exclusion_id())
                .map(String::from)
                .ok_or_else(|| no_id(&what, "CreateVpcBlockPublicAccessExclusion"))?
        }
    };
    wait_exclusion(inner, &what, &id, false).await?;
    let current = read_exclusion(inner, &id, planned).await?.ok_or_else(|| vanished(&what, &id))?;
    converge_exclusion(inner, &what, &id, &current, planned).await
}

pub(crate) async fn converge_exclusion(inner: &Inner, what: &str, id: &str, current: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let mode = get_str(planned, "internet_gateway_exclusion_mode");
    if get_str(current, "internet_gateway_exclusion_mode") != mode {
        inner
            .ec2
            .modify_vpc_block_public_access_exclusion()
            .exclusion_id(id)
            .set_internet_gateway_exclusion_mode(mode.map(InternetGatewayExclusionMode::from))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        wait_exclusion(inner, what, id, false).await?;
    }
    sync_tags(inner, what, id, current, planned).await?;
    read_exclusion(inner, id, planned).await?.ok_or_else(|| vanished(what, id))
}
