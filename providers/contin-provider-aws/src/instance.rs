//! `aws_instance`: RunInstances with a ClientToken and bookkeeping tags,
//! adoption of a live instance tagged for the same create, waiters for
//! running/stopped/terminated, instance type changed by stop-modify-start.

use crate::network::sync_tags;
use crate::schema;
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::{
    AttributeValue, BlockDeviceMapping, EbsBlockDevice, Filter, Instance, InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType, ResourceType, VolumeType,
};
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

const LIVE_STATES: [&str; 4] = ["pending", "running", "stopping", "stopped"];

async fn describe(inner: &Inner, what: &str, id: &str) -> Result<Option<(Instance, Option<String>)>, ProviderError> {
    let out = match inner.ec2.describe_instances().instance_ids(id).send().await.map_err(|e| api_err(what, e)) {
        Ok(o) => o,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(out.reservations().iter().find_map(|r| r.instances().first().map(|i| (i.clone(), r.owner_id().map(String::from)))))
}

fn state_of(i: &Instance) -> Option<&InstanceStateName> {
    i.state().and_then(|s| s.name())
}

fn is_gone(i: &Instance) -> bool {
    matches!(state_of(i), Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown))
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(id) = get_str(state, "id") else { return Ok(None) };
    read_id(inner, id, state).await
}

/// Whether `shape` asks for the root volume's attributes (configured or recorded).
fn wants_root(shape: &Value) -> bool {
    match get(shape, "root_block_device") {
        Some(Value::List(items) | Value::Set(items)) => !items.is_empty(),
        Some(_) => true,
        None => false,
    }
}

async fn read_id(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{} {id}", schema::INSTANCE);
    let what = what.as_str();
    let Some((i, owner)) = describe(inner, what, id).await? else { return Ok(None) };
    if is_gone(&i) {
        return Ok(None);
    }
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("ami".into(), opt_string(i.image_id()));
    m.insert("instance_type".into(), opt_string(i.instance_type().map(InstanceType::as_str)));
    m.insert("subnet_id".into(), opt_string(i.subnet_id()));
    // Groups given on the primary network interface (the form used with
    // `associate_public_ip_address`) are the instance's groups.
    let mut groups: Vec<Value> = i.security_groups().iter().filter_map(|g| g.group_id().map(Value::string)).collect();
    if groups.is_empty() {
        let primary = i.network_interfaces().iter().find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
        groups = primary.map(|n| n.groups().iter().filter_map(|g| g.group_id().map(Value::string)).collect()).unwrap_or_default();
    }
    m.insert("vpc_security_group_ids".into(), Value::set(groups));
    m.insert("key_name".into(), opt_string(i.key_name()));
    // EC2 returns user data only through a separate attribute call: the configured value stands.
    m.insert("user_data".into(), get(shape, "user_data").cloned().unwrap_or(Value::Null));
    m.insert("availability_zone".into(), opt_string(i.placement().and_then(|p| p.availability_zone())));
    m.insert("private_ip".into(), opt_string(i.private_ip_address()));
    m.insert("public_ip".into(), opt_string(i.public_ip_address()));
    m.insert("associate_public_ip_address".into(), Value::Bool(i.public_ip_address().is_some_and(|a| !a.is_empty())));
    // Terraform's spelling of "none": an empty string.
    m.insert("private_dns".into(), Value::string(i.private_dns_name().unwrap_or("")));
    m.insert("public_dns".into(), Value::string(i.public_dns_name().unwrap_or("")));
    m.insert("instance_state".into(), opt_string(state_of(&i).map(InstanceStateName::as_str)));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:instance/{id}", inner.region, owner.as_deref().unwrap_or(""))));
    m.insert("tags".into(), tags_value(i.tags(), &inner.default_tags, shape));
    let mut root = Vec::new();
    if wants_root(shape) {
        let vol_id = i
            .block_device_mappings()
            .iter()
            .find(|b| b.device_name().is_some() && b.device_name() == i.root_device_name())
            .or_else(|| i.block_device_mappings().first())
            .and_then(|b| b.ebs())
            .and_then(|e| e.volume_id());
        if let Some(vol_id) = vol_id {
            let vols = inner.ec2.describe_volumes().volume_ids(vol_id).send().await.map_err(|e| api_err(what, e))?;
            if let Some(v) = vols.volumes().first() {
                root.push(Value::map([
                    ("volume_size", v.size().map_or(Value::Null, |s| Value::int(i64::from(s)))),
                    ("volume_type", opt_string(v.volume_type().map(VolumeType::as_str))),
                    ("volume_id", Value::string(vol_id)),
                ]));
            }
        }
    }
    m.insert("root_block_device".into(), Value::List(root));
    Ok(Some(complete(&schema::instance(), m)))
}

/// Polls until the instance reaches `target`; fails when it ends up terminated
/// (unless that is the target) or the wait budget is spent. Gone counts as terminated.
async fn wait_for(inner: &Inner, what: &str, id: &str, target: InstanceStateName) -> Result<(), ProviderError> {
    let mut backoff = Backoff::new();
    loop {
        let st = describe(inner, what, id).await?.and_then(|(i, _)| state_of(&i).cloned());
        let st = st.unwrap_or(InstanceStateName::Terminated);
        if st == target {
            return Ok(());
        }
        if st == InstanceStateName::Terminated {
            return Err(ProviderError::Api {
                code: "InstanceTerminated".into(),
                message: format!("{what}: instance {id} terminated while waiting for it to be {}", target.as_str()),
            });
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!(
                "{what}: timed out waiting for instance {id} to be {} (it is {})",
                target.as_str(),
                st.as_str()
            )));
        }
    }
}

pub(crate) async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let ec2 = &inner.ec2;
    let mut filters = adoption_filters(ctx);
    filters.push(Filter::builder().name("instance-state-name").set_values(Some(LIVE_STATES.iter().map(|s| s.to_string()).collect())).build());
    let found = ec2.describe_instances().set_filters(Some(filters)).send().await.map_err(|e| api_err(what, e))?;
    let found = found.reservations().iter().flat_map(|r| r.instances()).find(|i| !is_gone(i)).and_then(|i| i.instance_id().map(String::from));
    let id = match found {
        Some(id) => id,
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let ami = get_str(planned, "ami").unwrap_or_default();
            let mut req = ec2
                .run_instances()
                .image_id(ami)
                .set_instance_type(get_str(planned, "instance_type").map(InstanceType::from))
                .min_count(1)
                .max_count(1)
                .client_token(client_token(ctx))
                .set_key_name(get_str(planned, "key_name").map(String::from))
                .set_user_data(get_str(planned, "user_data").map(|u| contin_types::base64::encode(u.as_bytes())))
                .tag_specifications(tag_spec(ResourceType::Instance, &tags, ctx));
            let sgs = get_strs(planned, "vpc_security_group_ids");
            let subnet = get_str(planned, "subnet_id").map(String::from);
            if let Some(public) = get_bool(planned, "associate_public_ip_address") {
                // EC2 takes the public address choice only on a network interface
                // specification, which then carries the subnet and groups too.
                let nic = InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(public)
                    .set_subnet_id(subnet)
                    .set_groups((!sgs.is_empty()).then_some(sgs))
                    .build();
                req = req.network_interfaces(nic);
            } else {
                req = req.set_subnet_id(subnet);
                if !sgs.is_empty() {
                    req = req.set_security_group_ids(Some(sgs));
                }
            }
            if let Some(az) = get_str(planned, "availability_zone") {
                req = req.placement(aws_sdk_ec2::types::Placement::builder().availability_zone(az).build());
            }
            if let Some(rb) = get_blocks(planned, "root_block_device").first() {
                let size = get_i64(rb, "volume_size");
                let vtype = get_str(rb, "volume_type");
                if size.is_some() || vtype.is_some() {
                    let images = ec2.describe_images().image_ids(ami).send().await.map_err(|e| api_err(what, e))?;
                    let device = images.images().first().and_then(|i| i.root_device_name()).unwrap_or("/dev/xvda").to_string();
                    let mut ebs = EbsBlockDevice::builder().set_volume_size(size.map(|s| s as i32));
                    if let Some(t) = vtype {
                        ebs = ebs.volume_type(VolumeType::from(t));
                    }
                    req = req.block_device_mappings(BlockDeviceMapping::builder().device_name(device).ebs(ebs.build()).build());
                }
            }
            let out = req.send().await.map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            out.instances()
                .first()
                .and_then(|i| i.instance_id().map(String::from))
                .ok_or_else(|| ProviderError::Failed(format!("{what}: RunInstances returned no instance")))?
        }
    };
    wait_for(inner, what, &id, InstanceStateName::Running).await?;
    let current = read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    // Adopted instances may lag the plan (tags changed since): converge.
    sync_tags(inner, what, &id, &current, planned).await?;
    read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

pub(crate) async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Err(ProviderError::Failed(format!("{addr}: no id in state"))) };
    let ec2 = &inner.ec2;
    if let Some(t) = get_str(planned, "instance_type").filter(|t| get_str(prior, "instance_type") != Some(*t)) {
        let was_running = get_str(prior, "instance_state") != Some("stopped");
        ec2.stop_instances().instance_ids(id).send().await.map_err(|e| api_err(addr, e))?;
        wait_for(inner, addr, id, InstanceStateName::Stopped).await?;
        ec2.modify_instance_attribute()
            .instance_id(id)
            .instance_type(AttributeValue::builder().value(t).build())
            .send()
            .await
            .map_err(|e| api_err(addr, e))?;
        if was_running {
            ec2.start_instances().instance_ids(id).send().await.map_err(|e| api_err(addr, e))?;
            wait_for(inner, addr, id, InstanceStateName::Running).await?;
        }
    }
    if matches!(get(planned, "vpc_security_group_ids"), Some(Value::Set(_) | Value::List(_))) {
        let (mut old, mut new) = (get_strs(prior, "vpc_security_group_ids"), get_strs(planned, "vpc_security_group_ids"));
        old.sort();
        new.sort();
        if old != new && !new.is_empty() {
            ec2.modify_instance_attribute().instance_id(id).set_groups(Some(new)).send().await.map_err(|e| api_err(addr, e))?;
        }
    }
    sync_tags(inner, addr, id, prior, planned).await?;
    read_id(inner, id, planned).await?.ok_or_else(|| ProviderError::Api {
        code: "InvalidInstanceID.NotFound".into(),
        message: format!("{addr}: instance {id} disappeared during the update"),
    })
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    match inner.ec2.terminate_instances().instance_ids(id).send().await.map_err(|e| api_err(addr, e)) {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
    }
    wait_for(inner, addr, id, InstanceStateName::Terminated).await.or_else(|e| match &e {
        ProviderError::Api { code, .. } if code == "InstanceTerminated" => Ok(()),
        _ => Err(e),
    })
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_id(inner, id, &Value::map::<&str>([])).await
}
