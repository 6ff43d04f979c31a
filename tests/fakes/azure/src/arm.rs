//! Resource Manager routes: resource groups, Microsoft.Network and
//! Microsoft.Compute objects, operation status and operation results.

use crate::{error, Done, Operation, Shared, State, API_COMPUTE, API_NETWORK, API_RESOURCES};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value as J};
use std::time::Duration;

/// A parsed ARM path.
enum Target {
    Group { rg: String },
    Object { rg: String, ns: String, kind: String, name: String, child: Option<(String, String)> },
    OpStatus { id: String },
    OpResult { id: String },
}

fn parse(sub_expected: &str, path: &str) -> Result<Target, Response> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let nf = || error(StatusCode::NOT_FOUND, "NotFound", format!("no route for {path}"));
    if segs.len() < 2 || !segs[0].eq_ignore_ascii_case("subscriptions") {
        return Err(nf());
    }
    if segs[1] != sub_expected {
        return Err(error(StatusCode::NOT_FOUND, "SubscriptionNotFound", format!("The subscription '{}' could not be found.", segs[1])));
    }
    let rest = &segs[2..];
    match rest {
        [p, _ns, l, _loc, o, id] if p.eq_ignore_ascii_case("providers") && l.eq_ignore_ascii_case("locations") => {
            if o.eq_ignore_ascii_case("operations") {
                Ok(Target::OpStatus { id: id.to_string() })
            } else if o.eq_ignore_ascii_case("operationResults") {
                Ok(Target::OpResult { id: id.to_string() })
            } else {
                Err(nf())
            }
        }
        [g, rg] if g.eq_ignore_ascii_case("resourceGroups") => Ok(Target::Group { rg: rg.to_string() }),
        [g, rg, p, ns, kind, name] if g.eq_ignore_ascii_case("resourceGroups") && p.eq_ignore_ascii_case("providers") => {
            Ok(Target::Object { rg: rg.to_string(), ns: ns.to_string(), kind: kind.to_string(), name: name.to_string(), child: None })
        }
        [g, rg, p, ns, kind, name, ck, cn] if g.eq_ignore_ascii_case("resourceGroups") && p.eq_ignore_ascii_case("providers") => Ok(Target::Object {
            rg: rg.to_string(),
            ns: ns.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            child: Some((ck.to_string(), cn.to_string())),
        }),
        _ => Err(nf()),
    }
}

/// The canonical type name of a supported object, its namespace and API version.
fn kind_of(ns: &str, kind: &str, child: Option<&str>) -> Option<(&'static str, &'static str, &'static str)> {
    let n = ns.to_ascii_lowercase();
    let k = kind.to_ascii_lowercase();
    let c = child.map(str::to_ascii_lowercase);
    Some(match (n.as_str(), k.as_str(), c.as_deref()) {
        ("microsoft.network", "virtualnetworks", None) => ("Microsoft.Network", "virtualNetworks", API_NETWORK),
        ("microsoft.network", "virtualnetworks", Some("subnets")) => ("Microsoft.Network", "virtualNetworks/subnets", API_NETWORK),
        ("microsoft.network", "networksecuritygroups", None) => ("Microsoft.Network", "networkSecurityGroups", API_NETWORK),
        ("microsoft.network", "publicipaddresses", None) => ("Microsoft.Network", "publicIPAddresses", API_NETWORK),
        ("microsoft.network", "networkinterfaces", None) => ("Microsoft.Network", "networkInterfaces", API_NETWORK),
        ("microsoft.compute", "virtualmachines", None) => ("Microsoft.Compute", "virtualMachines", API_COMPUTE),
        _ => return None,
    })
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn s<'a>(j: &'a J, p: &str) -> Option<&'a str> {
    j.pointer(p).and_then(J::as_str)
}

fn next(st: &mut State) -> u64 {
    st.counter += 1;
    st.counter
}

fn guid(n: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", n.wrapping_mul(2654435761) & 0xffff_ffff, n)
}

pub(crate) async fn route(sh: &Shared, method: &Method, path: &str, api: Option<&str>, body: Option<&J>) -> Response {
    let target = match parse(&sh.opts.subscription, path) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(api) = api else {
        return error(StatusCode::BAD_REQUEST, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    };
    match target {
        Target::OpStatus { id } => op_status(sh, &id, false),
        Target::OpResult { id } => op_status(sh, &id, true),
        Target::Group { rg } => {
            if api != API_RESOURCES {
                return bad_version(api, "resourceGroups");
            }
            group(sh, method, &rg, body)
        }
        Target::Object { rg, ns, kind, name, child } => {
            let Some((ns, ty, version)) = kind_of(&ns, &kind, child.as_ref().map(|c| c.0.as_str())) else {
                return error(StatusCode::BAD_REQUEST, "InvalidResourceType", format!("The resource type '{kind}' could not be found in the namespace '{ns}'."));
            };
            if api != version {
                return bad_version(api, ty);
            }
            let sub = &sh.opts.subscription;
            let base = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{}/{name}", ty.split('/').next().unwrap_or(ty));
            let (id, short) = match &child {
                Some((_, cn)) => (format!("{base}/subnets/{cn}"), cn.clone()),
                None => (base.clone(), name.clone()),
            };
            match *method {
                Method::GET => get(sh, ty, &id, &rg, &short),
                Method::PUT => match body {
                    Some(b) => put(sh, ns, ty, &id, &base, &rg, &short, b).await,
                    None => error(StatusCode::BAD_REQUEST, "InvalidRequestContent", "The request content was invalid and could not be deserialized: body is empty."),
                },
                Method::DELETE => delete(sh, ns, ty, &id),
                _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", format!("{method} is not supported")),
            }
        }
    }
}

fn bad_version(api: &str, ty: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "NoRegisteredProviderFound", format!("No registered resource provider found for API version '{api}' and type '{ty}' (the fake serves {API_RESOURCES}, {API_NETWORK}, {API_COMPUTE})."))
}

fn op_status(sh: &Shared, id: &str, result: bool) -> Response {
    let mut st = sh.lock();
    let Some(op) = st.ops.get_mut(id) else {
        return error(StatusCode::NOT_FOUND, "OperationNotFound", format!("operation {id} not found"));
    };
    if op.remaining > 0 {
        op.remaining -= 1;
        return if result {
            (StatusCode::ACCEPTED, [("retry-after", "0")]).into_response()
        } else {
            (StatusCode::OK, [("retry-after", "0")], axum::Json(json!({ "status": "InProgress" }))).into_response()
        };
    }
    if !op.finished {
        op.finished = true;
        let done = op.on_done.clone();
        match done {
            Done::Provisioned(key) => {
                if let Some(o) = st.objects.get_mut(&key) {
                    o["properties"]["provisioningState"] = json!("Succeeded");
                }
            }
            Done::Deleted(key) => {
                let prefix = format!("{key}/");
                st.objects.retain(|k, _| k != &key && !k.starts_with(&prefix));
                // References to what is gone are dropped (a public IP's holder, a NIC's VM).
                for o in st.objects.values_mut() {
                    let Some(p) = o.get_mut("properties").and_then(J::as_object_mut) else { continue };
                    for field in ["ipConfiguration", "virtualMachine"] {
                        let dead = p.get(field).and_then(|r| r.get("id")).and_then(J::as_str).is_some_and(|id| {
                            let id = lc(id);
                            id == key || id.starts_with(&prefix)
                        });
                        if dead {
                            p.remove(field);
                        }
                    }
                }
            }
        }
    }
    if result {
        StatusCode::OK.into_response()
    } else {
        (StatusCode::OK, axum::Json(json!({ "status": "Succeeded" }))).into_response()
    }
}

fn not_found(ty: &str, rg: &str, name: &str) -> Response {
    if ty == "virtualNetworks/subnets" {
        return error(StatusCode::NOT_FOUND, "NotFound", format!("Resource {name} not found."));
    }
    error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The Resource '{ty}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
    )
}

fn group(sh: &Shared, method: &Method, rg: &str, body: Option<&J>) -> Response {
    let sub = &sh.opts.subscription;
    let id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
    let key = lc(&id);
    let mut st = sh.lock();
    let gone = || error(StatusCode::NOT_FOUND, "ResourceGroupNotFound", format!("Resource group '{rg}' could not be found."));
    match *method {
        Method::GET => st.objects.get(&key).map_or_else(gone, |o| (StatusCode::OK, axum::Json(o.clone())).into_response()),
        Method::PUT => {
            let Some(loc) = body.and_then(|b| s(b, "/location")) else {
                return error(StatusCode::BAD_REQUEST, "LocationRequired", "The location property is required for this definition.");
            };
            let existed = st.objects.get(&key).cloned();
            if let Some(e) = &existed {
                if s(e, "/location").map(lc) != Some(lc(loc)) {
                    return error(StatusCode::CONFLICT, "InvalidResourceGroupLocation", format!("Invalid resource group location '{loc}'. The Resource group already exists in location '{}'.", s(e, "/location").unwrap_or("")));
                }
            }
            let doc = json!({
                "id": id, "name": rg, "type": "Microsoft.Resources/resourceGroups", "location": loc,
                "tags": body.and_then(|b| b.get("tags")).cloned().unwrap_or(json!({})),
                "properties": { "provisioningState": "Succeeded" },
            });
            st.objects.insert(key, doc.clone());
            (if existed.is_some() { StatusCode::OK } else { StatusCode::CREATED }, axum::Json(doc)).into_response()
        }
        Method::DELETE => {
            if !st.objects.contains_key(&key) {
                return gone();
            }
            if let Some(o) = st.objects.get_mut(&key) {
                o["properties"]["provisioningState"] = json!("Deleting");
            }
            let op = start_op(&mut st, sh, Done::Deleted(key));
            let loc = format!("{}/subscriptions/{sub}/providers/Microsoft.Resources/locations/global/operationResults/{op}?api-version={API_RESOURCES}", sh.base());
            (StatusCode::ACCEPTED, [("location", loc.as_str()), ("retry-after", "0")]).into_response()
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", format!("{method} is not supported")),
    }
}

fn start_op(st: &mut State, sh: &Shared, on_done: Done) -> String {
    let n = next(st);
    let id = guid(n);
    st.ops.insert(id.clone(), Operation { remaining: sh.opts.polls, on_done, finished: false });
    id
}

/// The document as GET shows it (a virtual network lists its subnets).
fn view(st: &State, ty: &str, key: &str) -> Option<J> {
    let mut o = st.objects.get(key)?.clone();
    if ty == "virtualNetworks" {
        let prefix = format!("{key}/subnets/");
        let subnets: Vec<J> = st.objects.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(_, v)| v.clone()).collect();
        o["properties"]["subnets"] = J::Array(subnets);
    }
    Some(o)
}

fn get(sh: &Shared, ty: &str, id: &str, rg: &str, name: &str) -> Response {
    let st = sh.lock();
    match view(&st, ty, &lc(id)) {
        Some(o) => (StatusCode::OK, axum::Json(o)).into_response(),
        None => not_found(ty, rg, name),
    }
}

/// Who uses `id` (lower-cased): the first referencing object id, if any.
fn users_of(st: &State, id: &str) -> Option<String> {
    for (k, o) in &st.objects {
        if k.contains("/networkinterfaces/") {
            for c in o.pointer("/properties/ipConfigurations").and_then(J::as_array).into_iter().flatten() {
                let refs = [s(c, "/properties/subnet/id"), s(c, "/properties/publicIPAddress/id")];
                if refs.iter().flatten().any(|r| lc(r) == id || lc(r).starts_with(&format!("{id}/"))) {
                    return Some(s(c, "/id").unwrap_or(k).to_string());
                }
            }
        }
        if k.contains("/virtualmachines/") {
            for n in o.pointer("/properties/networkProfile/networkInterfaces").and_then(J::as_array).into_iter().flatten() {
                if s(n, "/id").map(lc).as_deref() == Some(id) {
                    return Some(s(o, "/id").unwrap_or(k).to_string());
                }
            }
        }
    }
    None
}

fn delete(sh: &Shared, ns: &str, ty: &str, id: &str) -> Response {
    let key = lc(id);
    let mut st = sh.lock();
    if !st.objects.contains_key(&key) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let in_use = match ty {
        "virtualNetworks" => {
            let prefix = format!("{key}/subnets/");
            let subnets: Vec<String> = st.objects.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
            subnets.iter().find_map(|sn| users_of(&st, sn).map(|u| ("InUseSubnetCannotBeDeleted", format!("Subnet {sn} is in use by {u} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet."))))
        }
        "virtualNetworks/subnets" => users_of(&st, &key).map(|u| ("InUseSubnetCannotBeDeleted", format!("Subnet {id} is in use by {u} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet."))),
        "publicIPAddresses" => users_of(&st, &key).map(|u| ("PublicIPAddressCannotBeDeleted", format!("Public IP address {id} can not be deleted since it is still allocated to resource {u}."))),
        "networkInterfaces" => users_of(&st, &key).map(|u| ("NicInUse", format!("Network Interface {id} is used by existing resource {u}. In order to delete the network interface, it must be dissociated from the resource."))),
        _ => None,
    };
    if let Some((code, msg)) = in_use {
        return error(StatusCode::CONFLICT, code, msg);
    }
    if let Some(o) = st.objects.get_mut(&key) {
        o["properties"]["provisioningState"] = json!("Deleting");
    }
    if ty == "virtualMachines" {
        // The NICs are free as soon as the VM is going away.
        let nics: Vec<String> = st.objects.get(&key).and_then(|o| o.pointer("/properties/networkProfile/networkInterfaces").and_then(J::as_array).cloned()).unwrap_or_default().iter().filter_map(|n| s(n, "/id").map(lc)).collect();
        for n in nics {
            if let Some(nic) = st.objects.get_mut(&n) {
                if let Some(p) = nic.get_mut("properties").and_then(J::as_object_mut) {
                    p.remove("virtualMachine");
                }
            }
        }
    }
    let op = start_op(&mut st, sh, Done::Deleted(key));
    let sub = &sh.opts.subscription;
    let api = if ns == "Microsoft.Network" { API_NETWORK } else { API_COMPUTE };
    let base = format!("{}/subscriptions/{sub}/providers/{ns}/locations/westeurope", sh.base());
    let location = format!("{base}/operationResults/{op}?api-version={api}");
    let mut rsp = (StatusCode::ACCEPTED, [("location", location.as_str()), ("retry-after", "0")]).into_response();
    if ns == "Microsoft.Network" {
        if let Ok(v) = format!("{base}/operations/{op}?api-version={api}").parse() {
            rsp.headers_mut().insert("azure-asyncoperation", v);
        }
    }
    rsp
}

fn bad(code: &str, msg: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, code, msg)
}

/// Next free private address in `prefix` (`a.b.c.d/n`): .4 upwards, as Azure allocates.
fn allocate(st: &State, prefix: &str) -> String {
    let base: Vec<u8> = prefix.split('/').next().unwrap_or("10.0.0.0").split('.').filter_map(|p| p.parse().ok()).collect();
    let [a, b, c, _] = base.as_slice() else { return "10.0.0.4".into() };
    let used: Vec<String> = st
        .objects
        .values()
        .flat_map(|o| o.pointer("/properties/ipConfigurations").and_then(J::as_array).cloned().unwrap_or_default())
        .filter_map(|c| s(&c, "/properties/privateIPAddress").map(str::to_string))
        .collect();
    (4..=254).map(|d| format!("{a}.{b}.{c}.{d}")).find(|ip| !used.contains(ip)).unwrap_or_else(|| format!("{a}.{b}.{c}.254"))
}

#[allow(clippy::too_many_arguments)]
async fn put(sh: &Shared, ns: &str, ty: &str, id: &str, parent_id: &str, rg: &str, name: &str, body: &J) -> Response {
    let key = lc(id);
    let sub = sh.opts.subscription.clone();
    let rsp_doc;
    let created;
    {
        let mut st = sh.lock();
        let rg_key = lc(&format!("/subscriptions/{sub}/resourceGroups/{rg}"));
        if !st.objects.contains_key(&rg_key) {
            return error(StatusCode::NOT_FOUND, "ResourceGroupNotFound", format!("Resource group '{rg}' could not be found."));
        }
        let existing = st.objects.get(&key).cloned();
        created = existing.is_none();
        let n = next(&mut st);
        let mut props: Map<String, J> = body.get("properties").and_then(J::as_object).cloned().unwrap_or_default();
        let location = s(body, "/location").map(str::to_string);
        if ty != "virtualNetworks/subnets" && location.is_none() {
            return bad("LocationRequired", "The location property is required for this definition.");
        }
        if let (Some(e), Some(l)) = (&existing, &location) {
            if s(e, "/location").map(lc) != Some(lc(l)) {
                return bad("InvalidResourceLocation", format!("The resource '{name}' already exists in location '{}' in resource group '{rg}'. A resource with the same name cannot be created in location '{l}'.", s(e, "/location").unwrap_or("")));
            }
        }
        let mut doc = json!({ "id": id, "name": name, "type": format!("{ns}/{ty}") });
        if let Some(l) = &location {
            doc["location"] = json!(l);
            doc["tags"] = body.get("tags").cloned().unwrap_or(json!({}));
        }
        if ns == "Microsoft.Network" {
            doc["etag"] = json!(format!("W/\"{}\"", guid(n)));
        }
        match ty {
            "virtualNetworks" => {
                let prefixes = body.pointer("/properties/addressSpace/addressPrefixes").and_then(J::as_array).cloned().unwrap_or_default();
                if prefixes.is_empty() {
                    return bad("InvalidAddressSpace", "The virtual network must have at least one address prefix in addressSpace.addressPrefixes.");
                }
                let guid_keep = existing.as_ref().and_then(|e| s(e, "/properties/resourceGuid").map(str::to_string)).unwrap_or_else(|| guid(n));
                props.insert("resourceGuid".into(), json!(guid_keep));
                props.entry("virtualNetworkPeerings").or_insert(json!([]));
                props.entry("enableDdosProtection").or_insert(json!(false));
                // A PUT replaces the subnet list: unlisted subnets go (unless in use).
                let listed: Vec<J> = props.remove("subnets").and_then(|s| s.as_array().cloned()).unwrap_or_default();
                let listed_keys: Vec<String> = listed.iter().filter_map(|sn| s(sn, "/name")).map(|n| lc(&format!("{id}/subnets/{n}"))).collect();
                let prefix = format!("{key}/subnets/");
                let unlisted: Vec<String> = st.objects.keys().filter(|k| k.starts_with(&prefix) && !listed_keys.contains(k)).cloned().collect();
                for k in &unlisted {
                    if let Some(u) = users_of(&st, k) {
                        return error(StatusCode::CONFLICT, "InUseSubnetCannotBeDeleted", format!("Subnet {k} is in use by {u} and cannot be deleted."));
                    }
                }
                for k in unlisted {
                    st.objects.remove(&k);
                }
                for sn in listed {
                    let Some(sname) = s(&sn, "/name") else { continue };
                    let sid = format!("{id}/subnets/{sname}");
                    let mut sdoc = json!({ "id": sid, "name": sname, "type": "Microsoft.Network/virtualNetworks/subnets", "etag": format!("W/\"{}\"", guid(n)), "properties": sn.get("properties").cloned().unwrap_or(json!({})) });
                    sdoc["properties"]["provisioningState"] = json!("Succeeded");
                    st.objects.insert(lc(&sid), sdoc);
                }
            }
            "virtualNetworks/subnets" => {
                if !st.objects.contains_key(&lc(parent_id)) {
                    return not_found("virtualNetworks", rg, parent_id.rsplit('/').next().unwrap_or(""));
                }
                if props.get("addressPrefix").is_none() && props.get("addressPrefixes").and_then(J::as_array).is_none_or(Vec::is_empty) {
                    return bad("NoAddressPrefixOrPoolProvided", "Either addressPrefix, addressPrefixes or ipamPoolPrefixAllocations must be provided for the subnet.");
                }
            }
            "networkSecurityGroups" => {
                let rules = props.get("securityRules").and_then(J::as_array).cloned().unwrap_or_default();
                let mut out = Vec::new();
                for r in rules {
                    let Some(rn) = s(&r, "/name") else { return bad("InvalidRequestFormat", "security rule without a name") };
                    let prio = r.pointer("/properties/priority").and_then(J::as_i64).unwrap_or(0);
                    if !(100..=4096).contains(&prio) {
                        return bad("SecurityRuleInvalidPriority", format!("Security rule {rn} has invalid Priority {prio}. Value provided: {prio} Allowed range 100-4096."));
                    }
                    for f in ["direction", "access", "protocol"] {
                        if s(&r, &format!("/properties/{f}")).is_none() {
                            return bad("InvalidRequestFormat", format!("Security rule {rn}: {f} is required."));
                        }
                    }
                    let mut r2 = json!({ "name": rn, "id": format!("{id}/securityRules/{rn}"), "type": "Microsoft.Network/networkSecurityGroups/securityRules", "etag": format!("W/\"{}\"", guid(n)), "properties": r.get("properties").cloned().unwrap_or(json!({})) });
                    r2["properties"]["provisioningState"] = json!("Succeeded");
                    out.push(r2);
                }
                props.insert("securityRules".into(), J::Array(out));
                props.insert("resourceGuid".into(), json!(guid(n)));
            }
            "publicIPAddresses" => {
                let sku = s(body, "/sku/name").unwrap_or("Basic").to_string();
                let method = props.get("publicIPAllocationMethod").and_then(J::as_str).unwrap_or("Dynamic").to_string();
                if sku == "Standard" && method == "Dynamic" {
                    return bad("StandardSkuPublicIPAddressesCannotBeDynamic", "Standard sku publicIp addresses must be allocated statically (publicIPAllocationMethod Static).");
                }
                if let Some(e) = &existing {
                    if s(e, "/sku/name") != Some(sku.as_str()) {
                        return bad("PublicIPSkuCannotBeChanged", "The SKU of a public IP address cannot be changed.");
                    }
                }
                doc["sku"] = json!({ "name": sku, "tier": "Regional" });
                props.insert("publicIPAllocationMethod".into(), json!(method));
                props.entry("publicIPAddressVersion").or_insert(json!("IPv4"));
                props.entry("idleTimeoutInMinutes").or_insert(json!(4));
                if method == "Static" {
                    let ip = existing.as_ref().and_then(|e| s(e, "/properties/ipAddress").map(str::to_string)).unwrap_or_else(|| format!("20.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255));
                    props.insert("ipAddress".into(), json!(ip));
                }
                if let Some(label) = body.pointer("/properties/dnsSettings/domainNameLabel").and_then(J::as_str) {
                    let l = location.clone().unwrap_or_default();
                    props.insert("dnsSettings".into(), json!({ "domainNameLabel": label, "fqdn": format!("{label}.{}.cloudapp.azure.com", lc(&l).replace(' ', "")) }));
                }
                if let Some(ipc) = existing.as_ref().and_then(|e| e.pointer("/properties/ipConfiguration")) {
                    props.insert("ipConfiguration".into(), ipc.clone());
                }
            }
            "networkInterfaces" => {
                let cfgs = props.get("ipConfigurations").and_then(J::as_array).cloned().unwrap_or_default();
                if cfgs.is_empty() {
                    return bad("NetworkInterfaceMustHaveAtLeastOneIpConfiguration", "A network interface needs at least one IP configuration.");
                }
                let mut out = Vec::new();
                for c in cfgs {
                    let Some(cn) = s(&c, "/name") else { return bad("InvalidRequestFormat", "ipConfiguration without a name") };
                    let mut p = c.get("properties").cloned().unwrap_or(json!({}));
                    let Some(subnet) = s(&p, "/subnet/id").map(str::to_string) else {
                        return bad("SubnetIsRequired", format!("IP configuration {cn} must reference a subnet."));
                    };
                    let Some(sdoc) = st.objects.get(&lc(&subnet)).cloned() else {
                        return bad("InvalidResourceReference", format!("Resource {subnet} referenced by resource {id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."));
                    };
                    if let Some(pip) = s(&p, "/publicIPAddress/id") {
                        if !st.objects.contains_key(&lc(pip)) {
                            return bad("InvalidResourceReference", format!("Resource {pip} referenced by resource {id} was not found."));
                        }
                    }
                    let alloc = s(&p, "/privateIPAllocationMethod").unwrap_or("Dynamic").to_string();
                    if alloc == "Static" && s(&p, "/privateIPAddress").is_none() {
                        return bad("PrivateIPAddressIsRequired", format!("IP configuration {cn}: a static allocation needs privateIPAddress."));
                    }
                    if alloc == "Dynamic" {
                        let kept = existing.as_ref().and_then(|e| e.pointer("/properties/ipConfigurations").and_then(J::as_array)).and_then(|a| a.iter().find(|x| s(x, "/name") == Some(cn)).and_then(|x| s(x, "/properties/privateIPAddress").map(str::to_string)));
                        let prefix = s(&sdoc, "/properties/addressPrefix").map(str::to_string).or_else(|| s(&sdoc, "/properties/addressPrefixes/0").map(str::to_string)).unwrap_or_default();
                        let ip = kept.unwrap_or_else(|| allocate(&st, &prefix));
                        p["privateIPAddress"] = json!(ip);
                    }
                    p["privateIPAllocationMethod"] = json!(alloc);
                    p["privateIPAddressVersion"] = json!("IPv4");
                    p["provisioningState"] = json!("Succeeded");
                    let cid = format!("{id}/ipConfigurations/{cn}");
                    out.push(json!({ "name": cn, "id": cid, "type": "Microsoft.Network/networkInterfaces/ipConfigurations", "etag": format!("W/\"{}\"", guid(n)), "properties": p }));
                }
                if !out.iter().any(|c| c.pointer("/properties/primary").and_then(J::as_bool) == Some(true)) {
                    if let Some(first) = out.first_mut() {
                        first["properties"]["primary"] = json!(true);
                    }
                }
                // Public IPs record which configuration holds them; released ones forget it.
                for (k, o) in st.objects.iter_mut() {
                    if k.contains("/publicipaddresses/") && s(o, "/properties/ipConfiguration/id").is_some_and(|c| lc(c).starts_with(&format!("{key}/"))) {
                        if let Some(p) = o.get_mut("properties").and_then(J::as_object_mut) {
                            p.remove("ipConfiguration");
                        }
                    }
                }
                for c in &out {
                    if let (Some(pip), Some(cid)) = (s(c, "/properties/publicIPAddress/id"), s(c, "/id")) {
                        if let Some(po) = st.objects.get_mut(&lc(pip)) {
                            po["properties"]["ipConfiguration"] = json!({ "id": cid });
                        }
                    }
                }
                props.insert("ipConfigurations".into(), J::Array(out));
                let mac = existing.as_ref().and_then(|e| s(e, "/properties/macAddress").map(str::to_string)).unwrap_or_else(|| format!("00-0D-3A-{:02X}-{:02X}-{:02X}", (n >> 16) & 255, (n >> 8) & 255, n & 255));
                props.insert("macAddress".into(), json!(mac));
                props.entry("dnsSettings").or_insert(json!({ "dnsServers": [], "appliedDnsServers": [] }));
                props.entry("enableAcceleratedNetworking").or_insert(json!(false));
                props.entry("enableIPForwarding").or_insert(json!(false));
                props.entry("disableTcpStateTracking").or_insert(json!(false));
                props.entry("vnetEncryptionSupported").or_insert(json!(false));
                if let Some(vm) = existing.as_ref().and_then(|e| e.pointer("/properties/virtualMachine")) {
                    props.insert("virtualMachine".into(), vm.clone());
                }
            }
            "virtualMachines" => {
                if s(body, "/properties/hardwareProfile/vmSize").is_none() {
                    return bad("InvalidParameter", "Required parameter 'hardwareProfile.vmSize' is missing (null).");
                }
                if body.pointer("/properties/storageProfile/imageReference").is_none() {
                    return bad("InvalidParameter", "Required parameter 'storageProfile.imageReference' is missing (null).");
                }
                let Some(admin) = s(body, "/properties/osProfile/adminUsername").map(str::to_string) else {
                    return bad("InvalidParameter", "Required parameter 'osProfile.adminUsername' is missing (null).");
                };
                if let Some(e) = &existing {
                    if s(e, "/properties/osProfile/adminUsername") != Some(admin.as_str()) {
                        return error(StatusCode::CONFLICT, "PropertyChangeNotAllowed", "Changing property 'osProfile.adminUsername' is not allowed.");
                    }
                }
                for k in body.pointer("/properties/osProfile/linuxConfiguration/ssh/publicKeys").and_then(J::as_array).into_iter().flatten() {
                    if s(k, "/path") != Some(format!("/home/{admin}/.ssh/authorized_keys").as_str()) {
                        return bad("InvalidParameter", format!("Destination path for SSH public keys is currently limited to its default value /home/{admin}/.ssh/authorized_keys due to a known issue in Linux provisioning agent."));
                    }
                }
                let nics: Vec<String> = body.pointer("/properties/networkProfile/networkInterfaces").and_then(J::as_array).into_iter().flatten().filter_map(|n| s(n, "/id").map(str::to_string)).collect();
                if nics.is_empty() {
                    return bad("InvalidParameter", "Required parameter 'networkProfile' is missing (null).");
                }
                for nic in &nics {
                    match st.objects.get(&lc(nic)) {
                        None => return error(StatusCode::NOT_FOUND, "NotFound", format!("Resource {nic} not found.")),
                        Some(o) => {
                            if let Some(other) = s(o, "/properties/virtualMachine/id") {
                                if lc(other) != key {
                                    return error(StatusCode::CONFLICT, "NicInUse", format!("Network Interface {nic} is used by existing resource {other}."));
                                }
                            }
                        }
                    }
                }
                for nic in &nics {
                    if let Some(o) = st.objects.get_mut(&lc(nic)) {
                        o["properties"]["virtualMachine"] = json!({ "id": id });
                    }
                }
                let vm_id = existing.as_ref().and_then(|e| s(e, "/properties/vmId").map(str::to_string)).unwrap_or_else(|| guid(n));
                props.insert("vmId".into(), json!(vm_id));
                let mut disk = body.pointer("/properties/storageProfile/osDisk").cloned().unwrap_or(json!({}));
                let old_disk = existing.as_ref().and_then(|e| e.pointer("/properties/storageProfile/osDisk").cloned());
                let disk_name = old_disk.as_ref().and_then(|d| s(d, "/name").map(str::to_string)).or_else(|| s(&disk, "/name").map(str::to_string)).unwrap_or_else(|| format!("{name}_OsDisk_1_{:032x}", n));
                disk["name"] = json!(disk_name);
                disk["osType"] = json!("Linux");
                if disk.get("diskSizeGB").is_none() {
                    disk["diskSizeGB"] = json!(30);
                }
                disk["managedDisk"]["id"] = json!(format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{disk_name}"));
                props.insert("storageProfile".into(), json!({
                    "imageReference": body.pointer("/properties/storageProfile/imageReference").cloned().unwrap_or(json!({})),
                    "osDisk": disk,
                    "dataDisks": [],
                }));
                if let Some(os) = props.get_mut("osProfile") {
                    os["secrets"] = json!([]);
                    if let Some(o) = os.as_object_mut() {
                        o.remove("adminPassword");
                    }
                }
            }
            _ => {}
        }
        props.insert("provisioningState".into(), json!(if created { "Creating" } else { "Updating" }));
        if ns == "Microsoft.Network" {
            props.insert("provisioningState".into(), json!("Updating"));
        }
        doc["properties"] = J::Object(props);
        st.objects.insert(key.clone(), doc);
        rsp_doc = view(&st, ty, &key).unwrap_or(J::Null);
    }
    // The crash tests: the object exists now; hold the answer until released.
    let hold = sh.lock().hold.clone();
    if hold.is_some_and(|h| lc(id).contains(&h)) {
        struct Held<'a>(&'a Shared);
        impl Drop for Held<'_> {
            fn drop(&mut self) {
                let mut st = self.0.lock();
                st.held = st.held.saturating_sub(1);
            }
        }
        let notified = sh.release.notified();
        sh.lock().held += 1;
        let _guard = Held(sh);
        let _ = tokio::time::timeout(Duration::from_secs(120), notified).await;
    }
    let mut st = sh.lock();
    let op = start_op(&mut st, sh, Done::Provisioned(key));
    let api = if ns == "Microsoft.Network" { API_NETWORK } else { API_COMPUTE };
    let url = format!("{}/subscriptions/{sub}/providers/{ns}/locations/westeurope/operations/{op}?api-version={api}", sh.base());
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    (status, [("azure-asyncoperation", url.as_str()), ("retry-after", "0")], axum::Json(rsp_doc)).into_response()
}
