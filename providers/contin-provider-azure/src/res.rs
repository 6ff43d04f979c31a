//! Per-type request bodies (configuration → ARM JSON) and read-back
//! (ARM JSON → state value), and the create/read/update/delete/import flow
//! shared by every type.
//!
//! Create: GET the object's id first; a live object carrying this create's
//! ownership tags (`contin-lineage` + `contin-address`) is adopted (a crash
//! between the PUT and the state write), any other live object is refused
//! (import it instead); then PUT (tags + ownership tags), poll the operation,
//! read back. Subnets carry no tags in Azure: a live subnet is adopted when its
//! virtual network is owned by the same lineage.

use crate::config::Inner;
use crate::schema::{self, *};
use crate::sdk::{self, Names};
use crate::util::*;
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use serde_json::{json, Map, Value as J};
use std::collections::BTreeMap;

fn req_str<'a>(v: &'a Value, name: &str, what: &str) -> Result<&'a str, ProviderError> {
    let s = get_str(v, name).ok_or_else(|| ProviderError::Invalid(format!("{what}: {name} is required")))?;
    check_segment(&format!("{what}: {name}"), s)?;
    Ok(s)
}

/// The names of an object from its configuration or state.
pub(crate) fn names(ty: &str, v: &Value, what: &str) -> Result<Names, ProviderError> {
    let name = req_str(v, "name", what)?.to_string();
    let resource_group = if ty == RESOURCE_GROUP { name.clone() } else { req_str(v, "resource_group_name", what)?.to_string() };
    let parent = if ty == SUBNET { Some(req_str(v, "virtual_network_name", what)?.to_string()) } else { None };
    Ok(Names { resource_group, name, parent })
}

/// Names from an ARM id (import), checked against the type.
pub(crate) fn names_from_id(ty: &str, id: &str) -> Result<(String, Names), ProviderError> {
    let bad = || ProviderError::Invalid(format!("{ty}: {id:?} is not an Azure resource id of this type"));
    let p = parse_id(id).ok_or_else(bad)?;
    let want: &[&str] = match ty {
        RESOURCE_GROUP => &[],
        VIRTUAL_NETWORK => &["virtualNetworks"],
        SUBNET => &["virtualNetworks", "subnets"],
        NETWORK_SECURITY_GROUP => &["networkSecurityGroups"],
        PUBLIC_IP => &["publicIPAddresses"],
        NETWORK_INTERFACE => &["networkInterfaces"],
        LINUX_VM => &["virtualMachines"],
        _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    };
    if p.parts.len() != want.len() || !p.parts.iter().zip(want).all(|((t, _), w)| t.eq_ignore_ascii_case(w)) {
        return Err(bad());
    }
    let ns = if ty == LINUX_VM { "Microsoft.Compute" } else { "Microsoft.Network" };
    if !want.is_empty() && !p.namespace.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(ns)) {
        return Err(bad());
    }
    for seg in std::iter::once(&p.resource_group).chain(p.parts.iter().map(|(_, n)| n)) {
        check_segment(ty, seg)?;
    }
    let n = match p.parts.as_slice() {
        [] => Names { resource_group: p.resource_group.clone(), name: p.resource_group, parent: None },
        [(_, a)] => Names { resource_group: p.resource_group, name: a.clone(), parent: None },
        [(_, a), (_, b)] => Names { resource_group: p.resource_group, name: b.clone(), parent: Some(a.clone()) },
        _ => return Err(bad()),
    };
    Ok((p.subscription, n))
}

fn sub_id(id: &str) -> J {
    json!({ "id": id })
}

/// The ARM body of `planned`; `tags` are the tags to send (config + ownership).
pub(crate) fn body(ty: &str, planned: &Value, tags: J) -> J {
    let loc = get_str(planned, "location").unwrap_or_default();
    match ty {
        RESOURCE_GROUP => json!({ "location": loc, "tags": tags }),
        VIRTUAL_NETWORK => {
            let mut props = json!({ "addressSpace": { "addressPrefixes": get_strs(planned, "address_space") } });
            let dns = get_strs(planned, "dns_servers");
            if !dns.is_empty() {
                props["dhcpOptions"] = json!({ "dnsServers": dns });
            }
            json!({ "location": loc, "tags": tags, "properties": props })
        }
        SUBNET => json!({ "properties": { "addressPrefixes": get_strs(planned, "address_prefixes") } }),
        NETWORK_SECURITY_GROUP => {
            let rules: Vec<J> = get_blocks(planned, "security_rule")
                .into_iter()
                .map(|r| {
                    let mut p = Map::new();
                    p.insert("priority".into(), json!(get_i64(r, "priority").unwrap_or(0)));
                    for (attr, key) in [
                        ("direction", "direction"),
                        ("access", "access"),
                        ("protocol", "protocol"),
                        ("description", "description"),
                        ("source_port_range", "sourcePortRange"),
                        ("destination_port_range", "destinationPortRange"),
                        ("source_address_prefix", "sourceAddressPrefix"),
                        ("destination_address_prefix", "destinationAddressPrefix"),
                    ] {
                        if let Some(s) = get_str(r, attr) {
                            p.insert(key.into(), json!(s));
                        }
                    }
                    json!({ "name": get_str(r, "name").unwrap_or_default(), "properties": p })
                })
                .collect();
            json!({ "location": loc, "tags": tags, "properties": { "securityRules": rules } })
        }
        PUBLIC_IP => {
            let mut props = json!({ "publicIPAllocationMethod": get_str(planned, "allocation_method").unwrap_or("Static") });
            if let Some(l) = get_str(planned, "domain_name_label") {
                props["dnsSettings"] = json!({ "domainNameLabel": l });
            }
            json!({ "location": loc, "tags": tags, "sku": { "name": get_str(planned, "sku").unwrap_or("Standard") }, "properties": props })
        }
        NETWORK_INTERFACE => {
            let cfgs: Vec<J> = get_blocks(planned, "ip_configuration")
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut p = Map::new();
                    p.insert("privateIPAllocationMethod".into(), json!(get_str(c, "private_ip_address_allocation").unwrap_or("Dynamic")));
                    if let Some(s) = get_str(c, "subnet_id") {
                        p.insert("subnet".into(), sub_id(s));
                    }
                    if let Some(s) = get_str(c, "private_ip_address") {
                        p.insert("privateIPAddress".into(), json!(s));
                    }
                    if let Some(s) = get_str(c, "public_ip_address_id") {
                        p.insert("publicIPAddress".into(), sub_id(s));
                    }
                    p.insert("primary".into(), json!(get_bool(c, "primary").unwrap_or(i == 0)));
                    json!({ "name": get_str(c, "name").unwrap_or_default(), "properties": p })
                })
                .collect();
            json!({ "location": loc, "tags": tags, "properties": { "ipConfigurations": cfgs } })
        }
        _ => {
            let user = get_str(planned, "admin_username").unwrap_or_default();
            let keys: Vec<J> = get_blocks(planned, "admin_ssh_key")
                .into_iter()
                .map(|k| {
                    let u = get_str(k, "username").unwrap_or(user);
                    json!({ "path": format!("/home/{u}/.ssh/authorized_keys"), "keyData": get_str(k, "public_key").unwrap_or_default() })
                })
                .collect();
            let disk = get_blocks(planned, "os_disk").into_iter().next().cloned().unwrap_or(Value::Null);
            let mut os_disk = json!({
                "createOption": "FromImage",
                "caching": get_str(&disk, "caching").unwrap_or("ReadWrite"),
                "managedDisk": { "storageAccountType": get_str(&disk, "storage_account_type").unwrap_or("Standard_LRS") },
            });
            if let Some(n) = get_i64(&disk, "disk_size_gb") {
                os_disk["diskSizeGB"] = json!(n);
            }
            if let Some(n) = get_str(&disk, "name") {
                os_disk["name"] = json!(n);
            }
            let img = get_blocks(planned, "source_image_reference").into_iter().next().cloned().unwrap_or(Value::Null);
            let image: Map<String, J> = ["publisher", "offer", "sku", "version"]
                .into_iter()
                .filter_map(|k| get_str(&img, k).map(|s| (k.to_string(), json!(s))))
                .collect();
            let nics: Vec<J> = get_strs(planned, "network_interface_ids")
                .into_iter()
                .enumerate()
                .map(|(i, id)| json!({ "id": id, "properties": { "primary": i == 0 } }))
                .collect();
            let computer = get_str(planned, "computer_name").or(get_str(planned, "name")).unwrap_or_default();
            json!({
                "location": loc,
                "tags": tags,
                "properties": {
                    "hardwareProfile": { "vmSize": get_str(planned, "size").unwrap_or_default() },
                    "storageProfile": { "imageReference": image, "osDisk": os_disk },
                    "osProfile": {
                        "computerName": computer,
                        "adminUsername": user,
                        "linuxConfiguration": {
                            "disablePasswordAuthentication": get_bool(planned, "disable_password_authentication").unwrap_or(true),
                            "ssh": { "publicKeys": keys },
                        },
                    },
                    "networkProfile": { "networkInterfaces": nics },
                },
            })
        }
    }
}

fn strs_at(j: &J, pointer: &str) -> Vec<String> {
    j.pointer(pointer).and_then(J::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// The attribute read back: the live value when the shape (prior/planned)
/// set it, else null (Azure fills defaults the configuration left out).
fn when_set(shape: &Value, name: &str, live: Value) -> Value {
    match get(shape, name).map(Value::unmarked) {
        None | Some(Value::Null) => Value::Null,
        _ => live,
    }
}

/// Maps a live object (SDK model JSON) to the state value of `ty`.
async fn to_value(inner: &Inner, ty: &str, n: &Names, j: &J, shape: &Value) -> Result<Value, ProviderError> {
    let Some(block) = schema::resource(ty) else {
        return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() });
    };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(js(j, "/id").map_or_else(|| n.id(&inner.subscription, ty), str::to_string)));
    m.insert("name".to_string(), Value::string(&n.name));
    if ty != RESOURCE_GROUP {
        m.insert("resource_group_name".to_string(), Value::string(&n.resource_group));
    }
    if ty != SUBNET {
        m.insert("location".to_string(), location_value(js(j, "/location"), shape));
        m.insert("tags".to_string(), tags_value(j.get("tags"), shape));
    }
    match ty {
        VIRTUAL_NETWORK => {
            m.insert("address_space".into(), str_list(strs_at(j, "/properties/addressSpace/addressPrefixes")));
            let dns = strs_at(j, "/properties/dhcpOptions/dnsServers");
            m.insert("dns_servers".into(), if dns.is_empty() && get(shape, "dns_servers").is_none_or(Value::is_null) { Value::Null } else { str_list(dns) });
            m.insert("guid".into(), Value::string(js(j, "/properties/resourceGuid").unwrap_or_default()));
        }
        SUBNET => {
            m.insert("virtual_network_name".into(), opt_string(n.parent.as_deref()));
            let mut p = strs_at(j, "/properties/addressPrefixes");
            if p.is_empty() {
                p.extend(js(j, "/properties/addressPrefix").map(str::to_string));
            }
            m.insert("address_prefixes".into(), str_list(p));
        }
        NETWORK_SECURITY_GROUP => {
            let rule_block = block.blocks.get("security_rule").map(|b| b.block.clone()).unwrap_or_default();
            let rules = j.pointer("/properties/securityRules").and_then(J::as_array).cloned().unwrap_or_default();
            let items = rules
                .iter()
                .map(|r| {
                    let mut rm = BTreeMap::new();
                    rm.insert("name".to_string(), opt_string(js(r, "/name")));
                    rm.insert("priority".to_string(), r.pointer("/properties/priority").and_then(J::as_i64).map_or(Value::Null, Value::int));
                    for (attr, key) in [
                        ("direction", "direction"),
                        ("access", "access"),
                        ("protocol", "protocol"),
                        ("description", "description"),
                        ("source_port_range", "sourcePortRange"),
                        ("destination_port_range", "destinationPortRange"),
                        ("source_address_prefix", "sourceAddressPrefix"),
                        ("destination_address_prefix", "destinationAddressPrefix"),
                    ] {
                        rm.insert(attr.to_string(), opt_string(js(r, &format!("/properties/{key}"))));
                    }
                    complete(&rule_block, rm)
                })
                .collect();
            m.insert("security_rule".into(), Value::set(items));
        }
        PUBLIC_IP => {
            m.insert("allocation_method".into(), opt_string(js(j, "/properties/publicIPAllocationMethod")));
            m.insert("sku".into(), opt_string(js(j, "/sku/name")));
            m.insert("domain_name_label".into(), opt_string(js(j, "/properties/dnsSettings/domainNameLabel")));
            m.insert("ip_address".into(), Value::string(js(j, "/properties/ipAddress").unwrap_or_default()));
            m.insert("fqdn".into(), Value::string(js(j, "/properties/dnsSettings/fqdn").unwrap_or_default()));
        }
        NETWORK_INTERFACE => {
            let ipc_block = block.blocks.get("ip_configuration").map(|b| b.block.clone()).unwrap_or_default();
            let shape_cfgs = get_blocks(shape, "ip_configuration");
            let cfgs = j.pointer("/properties/ipConfigurations").and_then(J::as_array).cloned().unwrap_or_default();
            let mut primary_ip = None;
            let items = cfgs
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let alloc = js(c, "/properties/privateIPAllocationMethod");
                    let ip = js(c, "/properties/privateIPAddress");
                    let primary = c.pointer("/properties/primary").and_then(J::as_bool);
                    if primary == Some(true) || (i == 0 && primary_ip.is_none()) {
                        primary_ip = ip.map(str::to_string);
                    }
                    let sc = shape_cfgs.get(i).copied().unwrap_or(&Value::Null);
                    let mut cm = BTreeMap::new();
                    cm.insert("name".to_string(), opt_string(js(c, "/name")));
                    cm.insert("subnet_id".to_string(), opt_string(js(c, "/properties/subnet/id")));
                    cm.insert("private_ip_address_allocation".to_string(), opt_string(alloc));
                    cm.insert(
                        "private_ip_address".to_string(),
                        if alloc == Some("Static") { opt_string(ip) } else { when_set(sc, "private_ip_address", opt_string(ip)) },
                    );
                    cm.insert("public_ip_address_id".to_string(), opt_string(js(c, "/properties/publicIPAddress/id")));
                    cm.insert("primary".to_string(), when_set(sc, "primary", primary.map_or(Value::Null, Value::Bool)));
                    complete(&ipc_block, cm)
                })
                .collect();
            m.insert("ip_configuration".into(), Value::List(items));
            m.insert("private_ip_address".into(), Value::string(primary_ip.unwrap_or_default()));
            m.insert("mac_address".into(), Value::string(js(j, "/properties/macAddress").unwrap_or_default()));
        }
        LINUX_VM => {
            m.insert("size".into(), opt_string(js(j, "/properties/hardwareProfile/vmSize")));
            let user = js(j, "/properties/osProfile/adminUsername");
            m.insert("admin_username".into(), opt_string(user));
            m.insert("computer_name".into(), when_set(shape, "computer_name", opt_string(js(j, "/properties/osProfile/computerName"))));
            m.insert(
                "disable_password_authentication".into(),
                when_set(
                    shape,
                    "disable_password_authentication",
                    j.pointer("/properties/osProfile/linuxConfiguration/disablePasswordAuthentication").and_then(J::as_bool).map_or(Value::Null, Value::Bool),
                ),
            );
            let keys = j.pointer("/properties/osProfile/linuxConfiguration/ssh/publicKeys").and_then(J::as_array).cloned().unwrap_or_default();
            let keys = keys
                .iter()
                .map(|k| {
                    let path = js(k, "/path").unwrap_or_default();
                    let u = path.strip_prefix("/home/").and_then(|p| p.split('/').next()).or(user).unwrap_or_default();
                    Value::map([("username", Value::string(u)), ("public_key", opt_string(js(k, "/keyData")))])
                })
                .collect();
            m.insert("admin_ssh_key".into(), Value::set(keys));
            let shape_disk = get_blocks(shape, "os_disk").into_iter().next().cloned().unwrap_or(Value::Null);
            let d = |p: &str| js(j, &format!("/properties/storageProfile/osDisk{p}"));
            m.insert(
                "os_disk".into(),
                Value::map([
                    ("caching", opt_string(d("/caching"))),
                    ("storage_account_type", opt_string(d("/managedDisk/storageAccountType"))),
                    (
                        "disk_size_gb",
                        when_set(&shape_disk, "disk_size_gb", j.pointer("/properties/storageProfile/osDisk/diskSizeGB").and_then(J::as_i64).map_or(Value::Null, Value::int)),
                    ),
                    ("name", when_set(&shape_disk, "name", opt_string(d("/name")))),
                ]),
            );
            let i = |p: &str| opt_string(js(j, &format!("/properties/storageProfile/imageReference/{p}")));
            m.insert(
                "source_image_reference".into(),
                Value::map([("publisher", i("publisher")), ("offer", i("offer")), ("sku", i("sku")), ("version", i("version"))]),
            );
            let nic_ids: Vec<String> = j
                .pointer("/properties/networkProfile/networkInterfaces")
                .and_then(J::as_array)
                .map(|a| a.iter().filter_map(|x| js(x, "/id").map(str::to_string)).collect())
                .unwrap_or_default();
            let (private, public) = vm_addresses(inner, &nic_ids).await?;
            m.insert("network_interface_ids".into(), str_list(nic_ids));
            m.insert("virtual_machine_id".into(), Value::string(js(j, "/properties/vmId").unwrap_or_default()));
            m.insert("private_ip_address".into(), Value::string(private));
            m.insert("public_ip_address".into(), Value::string(public));
        }
        _ => {}
    }
    Ok(complete(&block, m))
}

/// The primary NIC's private address and its public IP's address (empty when none).
async fn vm_addresses(inner: &Inner, nic_ids: &[String]) -> Result<(String, String), ProviderError> {
    let Some(first) = nic_ids.first() else { return Ok((String::new(), String::new())) };
    let Ok((_, n)) = names_from_id(NETWORK_INTERFACE, first) else { return Ok((String::new(), String::new())) };
    let Some(nic) = sdk::get(inner, NETWORK_INTERFACE, &n, &format!("network interface {first}")).await? else {
        return Ok((String::new(), String::new()));
    };
    let cfgs = nic.pointer("/properties/ipConfigurations").and_then(J::as_array).cloned().unwrap_or_default();
    let cfg = cfgs.iter().find(|c| c.pointer("/properties/primary").and_then(J::as_bool) == Some(true)).or(cfgs.first());
    let Some(cfg) = cfg else { return Ok((String::new(), String::new())) };
    let private = js(cfg, "/properties/privateIPAddress").unwrap_or_default().to_string();
    let public = match js(cfg, "/properties/publicIPAddress/id").map(|id| (id, names_from_id(PUBLIC_IP, id))) {
        Some((id, Ok((_, pn)))) => sdk::get(inner, PUBLIC_IP, &pn, &format!("public IP {id}"))
            .await?
            .and_then(|p| js(&p, "/properties/ipAddress").map(str::to_string))
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok((private, public))
}

fn what(ty: &str, addr: &str, n: &Names) -> String {
    format!("{addr} ({ty} {:?} in resource group {:?})", n.name, n.resource_group)
}

pub(crate) async fn read(inner: &Inner, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    let n = names(ty, state, ty)?;
    let w = what(ty, ty, &n);
    match sdk::get(inner, ty, &n, &w).await? {
        Some(j) => Ok(Some(to_value(inner, ty, &n, &j, state).await?)),
        None => Ok(None),
    }
}

/// Subnets have no tags: owned when their virtual network carries this lineage.
async fn subnet_parent_owned(inner: &Inner, n: &Names, ctx: &OpContext, w: &str) -> Result<bool, ProviderError> {
    let Some(vnet) = &n.parent else { return Ok(false) };
    let vn = Names { resource_group: n.resource_group.clone(), name: vnet.clone(), parent: None };
    let live = sdk::get(inner, VIRTUAL_NETWORK, &vn, w).await?;
    let lineage = live.as_ref().and_then(|j| j.pointer(&format!("/tags/{TAG_LINEAGE}"))).and_then(J::as_str);
    Ok(lineage == Some(ctx.lineage.as_str()))
}

pub(crate) async fn create(inner: &Inner, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let n = names(ty, planned, &addr)?;
    let w = what(ty, &addr, &n);
    if let Some(live) = sdk::get(inner, ty, &n, &w).await? {
        let ours = if ty == SUBNET { subnet_parent_owned(inner, &n, ctx, &w).await? } else { owned_by(live.get("tags"), ctx) };
        if !ours {
            return Err(ProviderError::Api {
                code: "AlreadyExists".into(),
                message: format!(
                    "{w}: {} already exists and was not created by this state; import it with `contin import {addr} {}`",
                    n.id(&inner.subscription, ty),
                    n.id(&inner.subscription, ty)
                ),
            });
        }
        // Adopted: created by an earlier run that crashed before recording it.
    }
    let tags = tags_with_ownership(planned, ctx);
    let mut b = body(ty, planned, tags);
    if ty == VIRTUAL_NETWORK {
        keep_subnets(inner, &n, &w, &mut b).await?;
    }
    let started = sdk::put(inner, ty, &n, b, &w).await?;
    sdk::wait(inner, &w, &started).await?;
    match sdk::get(inner, ty, &n, &w).await? {
        Some(j) => to_value(inner, ty, &n, &j, planned).await,
        None => Err(ProviderError::Failed(format!("{w}: disappeared right after it was created"))),
    }
}

/// A PUT of a virtual network replaces its subnet list: send the live
/// subnets along so separately managed `azurerm_subnet`s survive.
async fn keep_subnets(inner: &Inner, n: &Names, w: &str, b: &mut J) -> Result<(), ProviderError> {
    if let Some(live) = sdk::get(inner, VIRTUAL_NETWORK, n, w).await? {
        if let Some(subnets) = live.pointer("/properties/subnets").filter(|s| s.as_array().is_some_and(|a| !a.is_empty())) {
            b["properties"]["subnets"] = subnets.clone();
        }
    }
    Ok(())
}

pub(crate) async fn update(inner: &Inner, ty: &str, addr: &str, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let n = names(ty, planned, addr)?;
    let w = what(ty, addr, &n);
    let Some(live) = sdk::get(inner, ty, &n, &w).await? else {
        return Err(ProviderError::Api { code: "NotFound".into(), message: format!("{w}: is gone; plan again to re-create it") });
    };
    let mut tags = J::Object(str_map(get(planned, "tags")).into_iter().map(|(k, v)| (k, J::String(v))).collect());
    keep_ownership(&mut tags, live.get("tags"));
    let mut b = body(ty, planned, tags);
    if ty == VIRTUAL_NETWORK {
        keep_subnets(inner, &n, &w, &mut b).await?;
    }
    let started = sdk::put(inner, ty, &n, b, &w).await?;
    sdk::wait(inner, &w, &started).await?;
    match sdk::get(inner, ty, &n, &w).await? {
        Some(j) => to_value(inner, ty, &n, &j, planned).await,
        None => Err(ProviderError::Failed(format!("{w}: disappeared during the update"))),
    }
}

pub(crate) async fn delete(inner: &Inner, ty: &str, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let n = names(ty, prior, addr)?;
    let w = what(ty, addr, &n);
    sdk::delete(inner, ty, &n, &w).await
}

pub(crate) async fn import(inner: &Inner, ty: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let (sub, n) = names_from_id(ty, id)?;
    if !sub.eq_ignore_ascii_case(&inner.subscription) {
        return Err(ProviderError::Invalid(format!("{ty} {id:?}: subscription {sub:?} is not the configured one")));
    }
    let w = what(ty, "import", &n);
    match sdk::get(inner, ty, &n, &w).await? {
        Some(j) => Ok(Some(to_value(inner, ty, &n, &j, &Value::Null).await?)),
        None => Ok(None),
    }
}
