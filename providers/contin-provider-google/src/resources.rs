//! contin values ⇄ Compute REST JSON, and the create/read/update/delete/
//! import logic shared by the five resource types.

use crate::api::{self, last_segment, Kind, Loc};
use crate::owner;
use crate::schema;
use crate::Inner;
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;
use serde_json::{json, Map, Value as J};
use std::collections::BTreeMap;

pub(crate) fn kind(ty: &str) -> Option<Kind> {
    Some(match ty {
        schema::NETWORK => Kind::Network,
        schema::SUBNETWORK => Kind::Subnetwork,
        schema::FIREWALL => Kind::Firewall,
        schema::ADDRESS => Kind::Address,
        schema::INSTANCE => Kind::Instance,
        _ => return None,
    })
}

fn has_labels(k: Kind) -> bool {
    matches!(k, Kind::Address | Kind::Instance)
}

fn invalid(msg: String) -> ProviderError {
    ProviderError::Invalid(msg)
}

/// Project, location and name of the object `v` (a planned or state value).
pub(crate) fn loc_for(inner: &Inner, k: Kind, v: &Value, addr: &str) -> Result<Loc, ProviderError> {
    let name = v.attr_str("name").ok_or_else(|| invalid(format!("{addr}: name must be known")))?.to_string();
    let project = match v.attr_str("project") {
        Some(p) => p.to_string(),
        None if !inner.project.is_empty() => inner.project.clone(),
        None => return Err(invalid(format!("{addr}: no project: set `project` on the resource or in the provider \"google\" block"))),
    };
    let location = match k.scope() {
        "global" => String::new(),
        "regions" => match v.attr_str("region") {
            Some(r) => last_segment(r).to_string(),
            None if !inner.region.is_empty() => inner.region.clone(),
            None => return Err(invalid(format!("{addr}: no region: set `region` on the resource or in the provider \"google\" block"))),
        },
        _ => match v.attr_str("zone") {
            Some(z) => last_segment(z).to_string(),
            None if !inner.zone.is_empty() => inner.zone.clone(),
            None => return Err(invalid(format!("{addr}: no zone: set `zone` on the resource or in the provider \"google\" block"))),
        },
    };
    Ok(Loc { project, location, name })
}

// ---- small value helpers --------------------------------------------------

fn js(j: &J, k: &str) -> Option<String> {
    j.get(k).and_then(J::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

fn vstr(s: Option<String>) -> Value {
    s.map(Value::String).unwrap_or(Value::Null)
}

fn vbool(j: &J, k: &str) -> Value {
    j.get(k).and_then(J::as_bool).map(Value::Bool).unwrap_or(Value::Null)
}

fn vint(j: &J, k: &str) -> Value {
    match j.get(k) {
        Some(J::Number(n)) => n.as_i64().map(Value::int).unwrap_or(Value::Null),
        Some(J::String(s)) => s.parse::<i64>().map(Value::int).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn shape_str<'a>(shape: Option<&'a Value>, k: &str) -> Option<&'a str> {
    shape.and_then(|s| s.attr_str(k))
}

fn known_attr<'a>(shape: Option<&'a Value>, k: &str) -> Option<&'a Value> {
    shape.and_then(|s| s.attr(k)).filter(|v| v.is_wholly_known())
}

/// `(collection, name)` of a reference: a name, a partial path or a URL.
fn ref_parts(r: &str) -> (Option<&str>, &str) {
    let mut it = r.trim_end_matches('/').rsplit('/');
    let name = it.next().unwrap_or(r);
    (it.next(), name)
}

/// True when two references name the same object (`net` ≡ `…/global/networks/net`).
pub(crate) fn same_ref(a: &str, b: &str) -> bool {
    let (ca, na) = ref_parts(a);
    let (cb, nb) = ref_parts(b);
    na == nb && (ca.is_none() || cb.is_none() || ca == cb)
}

/// The configured spelling when it names the same object as the API's, else the API's.
fn keep_ref(shape: Option<&str>, api: Option<String>) -> Value {
    match (shape, api) {
        (Some(s), Some(a)) if same_ref(s, &a) => Value::string(s),
        (_, a) => vstr(a),
    }
}

/// Like `keep_ref`, but an unconfigured value becomes the last path segment.
fn keep_short(shape: Option<&str>, api: Option<String>) -> Value {
    match (shape, api) {
        (Some(s), Some(a)) if same_ref(s, &a) => Value::string(s),
        (_, a) => vstr(a.map(|a| last_segment(&a).to_string())),
    }
}

/// A reference as the API accepts it: URLs and `projects/…` paths as they
/// are, `global/…`-style partial paths under the project, bare names under
/// `default_path` (`global/networks`).
fn api_ref(project: &str, default_path: &str, r: &str) -> String {
    if r.starts_with("https://") || r.starts_with("http://") || r.starts_with("projects/") {
        r.to_string()
    } else if r.contains('/') {
        format!("projects/{project}/{r}")
    } else {
        format!("projects/{project}/{default_path}/{r}")
    }
}

fn strs_of(v: Option<&Value>) -> Vec<String> {
    match v.map(Value::unmarked) {
        Some(Value::List(items) | Value::Set(items)) => items
            .iter()
            .filter_map(|i| match i.unmarked() {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v.map(Value::unmarked) {
        Some(Value::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| match v.unmarked() {
                Value::String(s) => Some((k.clone(), s.clone())),
                Value::Number(n) => Some((k.clone(), n.to_string())),
                Value::Bool(b) => Some((k.clone(), b.to_string())),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn blocks(v: Option<&Value>) -> Vec<&Value> {
    match v.map(Value::unmarked) {
        Some(Value::List(items) | Value::Set(items)) => items.iter().collect(),
        Some(m @ Value::Map(_)) => vec![m],
        _ => Vec::new(),
    }
}

/// A string set from the API, `null` when empty and the shape had none.
fn api_set(arr: Option<&J>, shape: Option<&Value>, k: &str) -> Value {
    let items: Vec<Value> = arr.and_then(J::as_array).map(|a| a.iter().filter_map(J::as_str).map(Value::string).collect()).unwrap_or_default();
    if items.is_empty() && shape.and_then(|s| s.attr(k)).is_none() {
        Value::Null
    } else {
        Value::set(items)
    }
}

fn api_map(m: BTreeMap<String, String>, shape: Option<&Value>, k: &str) -> Value {
    if m.is_empty() && shape.and_then(|s| s.attr(k)).is_none() {
        Value::Null
    } else {
        Value::Map(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
    }
}

/// User labels (without the contin-* bookkeeping ones).
fn user_labels(obj: &J) -> BTreeMap<String, String> {
    obj.get("labels")
        .and_then(J::as_object)
        .map(|m| m.iter().filter(|(k, _)| !k.starts_with("contin-")).filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

/// Terraform's image shorthand → a `sourceImage` the API takes:
/// `family/NAME` and `PROJECT/FAMILY` name image families, `PROJECT/IMAGE-vDATE`
/// an image; URLs, `projects/…` and `global/images/…` paths are kept.
fn source_image(project: &str, image: &str) -> String {
    if image.starts_with("https://") || image.starts_with("http://") || image.starts_with("projects/") {
        return image.to_string();
    }
    if image.starts_with("global/") {
        return format!("projects/{project}/{image}");
    }
    let dated = |n: &str| n.rsplit_once("-v").is_some_and(|(_, d)| d.len() >= 8 && d.bytes().all(|b| b.is_ascii_digit()));
    match image.split_once('/') {
        Some(("family", f)) => format!("projects/{project}/global/images/family/{f}"),
        Some((p, n)) if !n.contains('/') && dated(n) => format!("projects/{p}/global/images/{n}"),
        Some((p, n)) if !n.contains('/') => format!("projects/{p}/global/images/family/{n}"),
        _ if dated(image) => format!("projects/{project}/global/images/{image}"),
        _ => format!("projects/{project}/global/images/family/{image}"),
    }
}

// ---- request bodies ---------------------------------------------------------

fn rules(v: &Value, k: &str) -> J {
    J::Array(
        blocks(v.attr(k))
            .into_iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("IPProtocol".into(), json!(r.attr_str("protocol").unwrap_or("tcp")));
                let ports = strs_of(r.attr("ports"));
                if !ports.is_empty() {
                    m.insert("ports".into(), json!(ports));
                }
                J::Object(m)
            })
            .collect(),
    )
}

fn firewall_body(loc: &Loc, v: &Value, description: String) -> J {
    let mut b = json!({
        "name": loc.name,
        "network": api_ref(&loc.project, "global/networks", v.attr_str("network").unwrap_or("default")),
        "description": description,
        "allowed": rules(v, "allow"),
        "denied": rules(v, "deny"),
        "sourceRanges": strs_of(v.attr("source_ranges")),
        "destinationRanges": strs_of(v.attr("destination_ranges")),
        "sourceTags": strs_of(v.attr("source_tags")),
        "targetTags": strs_of(v.attr("target_tags")),
    });
    if let J::Object(m) = &mut b {
        if let Some(d) = v.attr_str("direction") {
            m.insert("direction".into(), json!(d));
        }
        if let Some(Value::Number(n)) = v.attr("priority") {
            m.insert("priority".into(), json!(n.as_i64().unwrap_or(1000)));
        }
        if let Some(Value::Bool(d)) = v.attr("disabled") {
            m.insert("disabled".into(), json!(d));
        }
    }
    b
}

fn labels_json(v: &Value, ctx: &OpContext) -> J {
    let mut m: Map<String, J> = str_map(v.attr("labels")).into_iter().map(|(k, v)| (k, J::String(v))).collect();
    for (k, val) in owner::labels(ctx) {
        m.insert(k, J::String(val));
    }
    J::Object(m)
}

fn metadata_items(v: &Value) -> J {
    J::Array(str_map(v.attr("metadata")).into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

fn body(loc: &Loc, k: Kind, v: &Value, ctx: &OpContext) -> J {
    let p = loc.project.as_str();
    match k {
        Kind::Network => {
            let mut b = json!({
                "name": loc.name,
                "description": owner::description_with_marker(v.attr_str("description"), ctx),
                "autoCreateSubnetworks": !matches!(v.attr("auto_create_subnetworks"), Some(Value::Bool(false))),
            });
            if let J::Object(m) = &mut b {
                if let Some(r) = v.attr_str("routing_mode") {
                    m.insert("routingConfig".into(), json!({"routingMode": r}));
                }
                if let Some(Value::Number(n)) = v.attr("mtu") {
                    m.insert("mtu".into(), json!(n.as_i64().unwrap_or(1460)));
                }
            }
            b
        }
        Kind::Subnetwork => json!({
            "name": loc.name,
            "description": owner::description_with_marker(v.attr_str("description"), ctx),
            "ipCidrRange": v.attr_str("ip_cidr_range").unwrap_or(""),
            "network": api_ref(p, "global/networks", v.attr_str("network").unwrap_or("default")),
            "privateIpGoogleAccess": matches!(v.attr("private_ip_google_access"), Some(Value::Bool(true))),
        }),
        Kind::Firewall => firewall_body(loc, v, owner::description_with_marker(v.attr_str("description"), ctx)),
        Kind::Address => {
            let mut b = json!({"name": loc.name, "labels": labels_json(v, ctx)});
            if let J::Object(m) = &mut b {
                for (attr, field) in [("description", "description"), ("address", "address"), ("address_type", "addressType"), ("network_tier", "networkTier")] {
                    if let Some(s) = v.attr_str(attr) {
                        m.insert(field.into(), json!(s));
                    }
                }
                if let Some(s) = v.attr_str("subnetwork") {
                    m.insert("subnetwork".into(), json!(api_ref(p, &format!("regions/{}/subnetworks", loc.location), s)));
                }
            }
            b
        }
        Kind::Instance => {
            let z = loc.location.as_str();
            let mt = v.attr_str("machine_type").unwrap_or("");
            let mt = if mt.contains('/') { mt.to_string() } else { format!("zones/{z}/machineTypes/{mt}") };
            let disks: Vec<J> = blocks(v.attr("boot_disk"))
                .into_iter()
                .take(1)
                .map(|d| {
                    let mut disk = Map::new();
                    disk.insert("boot".into(), json!(true));
                    disk.insert("autoDelete".into(), json!(!matches!(d.attr("auto_delete"), Some(Value::Bool(false)))));
                    if let Some(n) = d.attr_str("device_name") {
                        disk.insert("deviceName".into(), json!(n));
                    }
                    let mut init = Map::new();
                    if let Some(ip) = blocks(d.attr("initialize_params")).first() {
                        if let Some(i) = ip.attr_str("image") {
                            init.insert("sourceImage".into(), json!(source_image(p, i)));
                        }
                        if let Some(Value::Number(n)) = ip.attr("size") {
                            init.insert("diskSizeGb".into(), json!(n.as_i64().unwrap_or(10).to_string()));
                        }
                        if let Some(t) = ip.attr_str("type") {
                            let t = if t.contains('/') { t.to_string() } else { format!("zones/{z}/diskTypes/{t}") };
                            init.insert("diskType".into(), json!(t));
                        }
                    }
                    disk.insert("initializeParams".into(), J::Object(init));
                    J::Object(disk)
                })
                .collect();
            let nics: Vec<J> = blocks(v.attr("network_interface"))
                .into_iter()
                .map(|n| {
                    let mut nic = Map::new();
                    if let Some(s) = n.attr_str("network") {
                        nic.insert("network".into(), json!(api_ref(p, "global/networks", s)));
                    }
                    if let Some(s) = n.attr_str("subnetwork") {
                        let region = z.rsplit_once('-').map(|(r, _)| r).unwrap_or(z);
                        nic.insert("subnetwork".into(), json!(api_ref(p, &format!("regions/{region}/subnetworks"), s)));
                    }
                    if let Some(s) = n.attr_str("network_ip") {
                        nic.insert("networkIP".into(), json!(s));
                    }
                    let acs: Vec<J> = blocks(n.attr("access_config"))
                        .into_iter()
                        .map(|a| {
                            let mut ac = Map::new();
                            ac.insert("name".into(), json!("External NAT"));
                            ac.insert("type".into(), json!("ONE_TO_ONE_NAT"));
                            if let Some(ip) = a.attr_str("nat_ip") {
                                ac.insert("natIP".into(), json!(ip));
                            }
                            if let Some(t) = a.attr_str("network_tier") {
                                ac.insert("networkTier".into(), json!(t));
                            }
                            J::Object(ac)
                        })
                        .collect();
                    if !acs.is_empty() {
                        nic.insert("accessConfigs".into(), J::Array(acs));
                    }
                    J::Object(nic)
                })
                .collect();
            let mut b = json!({
                "name": loc.name,
                "machineType": mt,
                "labels": labels_json(v, ctx),
                "metadata": {"items": metadata_items(v)},
                "tags": {"items": strs_of(v.attr("tags"))},
                "disks": disks,
                "networkInterfaces": nics,
            });
            if let (J::Object(m), Some(d)) = (&mut b, v.attr_str("description")) {
                m.insert("description".into(), json!(d));
            }
            b
        }
    }
}

// ---- state from the API object ---------------------------------------------

fn state(k: Kind, loc: &Loc, obj: &J, shape: Option<&Value>) -> Value {
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
    m.insert("name".into(), Value::string(&loc.name));
    m.insert("project".into(), Value::string(&loc.project));
    m.insert("id".into(), Value::string(loc.id(k)));
    m.insert("self_link".into(), vstr(js(obj, "selfLink")));
    let user_description = || js(obj, "description").and_then(|d| owner::split_description(&d).0);
    match k {
        Kind::Network => {
            m.insert("description".into(), vstr(user_description()));
            m.insert("auto_create_subnetworks".into(), vbool(obj, "autoCreateSubnetworks"));
            m.insert("routing_mode".into(), vstr(obj.get("routingConfig").and_then(|r| js(r, "routingMode"))));
            m.insert("mtu".into(), vint(obj, "mtu"));
        }
        Kind::Subnetwork => {
            m.insert("description".into(), vstr(user_description()));
            m.insert("ip_cidr_range".into(), vstr(js(obj, "ipCidrRange")));
            m.insert("network".into(), keep_ref(shape_str(shape, "network"), js(obj, "network")));
            m.insert("region".into(), keep_short(shape_str(shape, "region"), js(obj, "region")));
            m.insert("private_ip_google_access".into(), vbool(obj, "privateIpGoogleAccess"));
            m.insert("gateway_address".into(), vstr(js(obj, "gatewayAddress")));
        }
        Kind::Firewall => {
            m.insert("description".into(), vstr(user_description()));
            m.insert("network".into(), keep_ref(shape_str(shape, "network"), js(obj, "network")));
            m.insert("direction".into(), vstr(js(obj, "direction")));
            m.insert("priority".into(), vint(obj, "priority"));
            m.insert("disabled".into(), vbool(obj, "disabled"));
            for (attr, field) in [("source_ranges", "sourceRanges"), ("destination_ranges", "destinationRanges"), ("source_tags", "sourceTags"), ("target_tags", "targetTags")] {
                m.insert(attr.into(), api_set(obj.get(field), shape, attr));
            }
            for (attr, field) in [("allow", "allowed"), ("deny", "denied")] {
                let items: Vec<Value> = obj
                    .get(field)
                    .and_then(J::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|r| {
                                let ports: Vec<Value> = r.get("ports").and_then(J::as_array).map(|p| p.iter().filter_map(J::as_str).map(Value::string).collect()).unwrap_or_default();
                                Value::map([
                                    ("protocol", vstr(js(r, "IPProtocol"))),
                                    ("ports", if ports.is_empty() { Value::Null } else { Value::List(ports) }),
                                ])
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                m.insert(attr.into(), Value::set(items));
            }
        }
        Kind::Address => {
            m.insert("description".into(), vstr(js(obj, "description")));
            m.insert("region".into(), keep_short(shape_str(shape, "region"), js(obj, "region")));
            m.insert("address".into(), vstr(js(obj, "address")));
            m.insert("address_type".into(), vstr(js(obj, "addressType")));
            m.insert("network_tier".into(), vstr(js(obj, "networkTier")));
            m.insert("subnetwork".into(), keep_ref(shape_str(shape, "subnetwork"), js(obj, "subnetwork")));
            m.insert("labels".into(), api_map(user_labels(obj), shape, "labels"));
        }
        Kind::Instance => {
            m.insert("description".into(), vstr(js(obj, "description")));
            m.insert("machine_type".into(), keep_short(shape_str(shape, "machine_type"), js(obj, "machineType")));
            m.insert("zone".into(), keep_short(shape_str(shape, "zone"), js(obj, "zone")));
            m.insert("instance_id".into(), vstr(js(obj, "id")));
            m.insert("current_status".into(), vstr(js(obj, "status")));
            m.insert("labels".into(), api_map(user_labels(obj), shape, "labels"));
            let md: BTreeMap<String, String> = obj
                .get("metadata")
                .and_then(|md| md.get("items"))
                .and_then(J::as_array)
                .map(|items| items.iter().filter_map(|i| Some((js(i, "key")?, i.get("value").and_then(J::as_str).unwrap_or("").to_string()))).collect())
                .unwrap_or_default();
            m.insert("metadata".into(), api_map(md, shape, "metadata"));
            m.insert("tags".into(), api_set(obj.get("tags").and_then(|t| t.get("items")), shape, "tags"));
            m.insert("boot_disk".into(), boot_disk_state(obj, shape));
            m.insert("network_interface".into(), nics_state(obj, shape));
        }
    }
    Value::Map(m)
}

fn boot_disk_state(obj: &J, shape: Option<&Value>) -> Value {
    let disk = obj.get("disks").and_then(J::as_array).and_then(|d| d.iter().find(|x| x.get("boot").and_then(J::as_bool) == Some(true)));
    let Some(disk) = disk else { return Value::List(Vec::new()) };
    let shape_disk = shape.and_then(|s| blocks(s.attr("boot_disk")).first().copied());
    let shape_init = shape_disk.and_then(|d| blocks(d.attr("initialize_params")).first().copied());
    let size = known_attr(shape_init, "size").cloned().unwrap_or_else(|| vint(disk, "diskSizeGb"));
    let image = known_attr(shape_init, "image").cloned().unwrap_or(Value::Null);
    let ty = known_attr(shape_init, "type").cloned().unwrap_or(Value::Null);
    let init = Value::List(vec![Value::map([("image", image), ("size", size), ("type", ty)])]);
    Value::List(vec![Value::map([
        ("auto_delete", vbool(disk, "autoDelete")),
        ("device_name", vstr(js(disk, "deviceName"))),
        ("initialize_params", init),
    ])])
}

fn nics_state(obj: &J, shape: Option<&Value>) -> Value {
    let shape_nics = shape.map(|s| blocks(s.attr("network_interface"))).unwrap_or_default();
    let nics = obj.get("networkInterfaces").and_then(J::as_array).cloned().unwrap_or_default();
    Value::List(
        nics.iter()
            .enumerate()
            .map(|(i, n)| {
                let sn = shape_nics.get(i).copied();
                let acs: Vec<Value> = n
                    .get("accessConfigs")
                    .and_then(J::as_array)
                    .map(|a| a.iter().map(|ac| Value::map([("nat_ip", vstr(js(ac, "natIP"))), ("network_tier", vstr(js(ac, "networkTier")))])).collect())
                    .unwrap_or_default();
                Value::map([
                    ("network", keep_ref(shape_str(sn, "network"), js(n, "network"))),
                    ("subnetwork", keep_ref(shape_str(sn, "subnetwork"), js(n, "subnetwork"))),
                    ("network_ip", vstr(js(n, "networkIP"))),
                    ("name", vstr(js(n, "name"))),
                    ("access_config", Value::List(acs)),
                ])
            })
            .collect(),
    )
}

// ---- lifecycle ----------------------------------------------------------------

fn owned(k: Kind, obj: &J, ctx: &OpContext) -> bool {
    if has_labels(k) {
        owner::owned_by_labels(obj.get("labels"), ctx)
    } else {
        owner::owned_by_description(obj.get("description").and_then(J::as_str), ctx)
    }
}

pub(crate) async fn create(inner: &Inner, ty: &str, k: Kind, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let loc = loc_for(inner, k, planned, &addr)?;
    // Adoption: an object this state created before a crash is taken over.
    if let Some(obj) = api::get(inner, k, &loc).await? {
        if owned(k, &obj, ctx) {
            return Ok(state(k, &loc, &obj, Some(planned)));
        }
        return Err(ProviderError::Api {
            code: "alreadyExists".into(),
            message: format!(
                "{addr}: {} already exists and was not created by this state (no contin marker for it); import it with `contin import {addr} {}` or choose another name",
                loc.id(k),
                loc.id(k)
            ),
        });
    }
    let _ = ty;
    api::insert(inner, k, &loc, body(&loc, k, planned, ctx), &owner::request_id(ctx, "insert")).await?;
    let obj = api::get(inner, k, &loc).await?.ok_or_else(|| ProviderError::Failed(format!("{addr}: {} is gone right after its insert finished", loc.id(k))))?;
    Ok(state(k, &loc, &obj, Some(planned)))
}

pub(crate) async fn read(inner: &Inner, k: Kind, st: &Value) -> Result<Option<Value>, ProviderError> {
    let loc = loc_for(inner, k, st, "state")?;
    Ok(api::get(inner, k, &loc).await?.map(|obj| state(k, &loc, &obj, Some(st))))
}

pub(crate) async fn delete(inner: &Inner, k: Kind, prior: &Value, ctx: &OpContext) -> Result<(), ProviderError> {
    let loc = loc_for(inner, k, prior, &ctx.address.to_string())?;
    api::delete(inner, k, &loc, &owner::request_id(ctx, "delete")).await
}

fn fresh_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) async fn update(inner: &Inner, k: Kind, prior: &Value, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let loc = loc_for(inner, k, planned, &addr)?;
    let gone = || ProviderError::Failed(format!("{addr}: {} no longer exists", loc.id(k)));
    let current = api::get(inner, k, &loc).await?.ok_or_else(gone)?;
    let changed = |a: &str| prior.attr(a) != planned.attr(a);
    match k {
        Kind::Network => {
            if changed("routing_mode") {
                if let Some(r) = planned.attr_str("routing_mode") {
                    api::patch(inner, k, &loc, json!({"routingConfig": {"routingMode": r}}), &fresh_request_id()).await?;
                }
            }
        }
        Kind::Firewall => {
            // Keep the object's own marker (it names the generation that created it).
            let marker = js(&current, "description")
                .and_then(|d| d.rfind("[contin lineage=").map(|i| d[i..].to_string()))
                .unwrap_or_else(|| owner::marker(ctx));
            let description = match planned.attr_str("description") {
                Some(d) if !d.is_empty() => format!("{d} {marker}"),
                _ => marker,
            };
            api::patch(inner, k, &loc, firewall_body(&loc, planned, description), &fresh_request_id()).await?;
        }
        Kind::Address | Kind::Instance => {
            if changed("labels") {
                let mut labels: Map<String, J> = str_map(planned.attr("labels")).into_iter().map(|(k, v)| (k, J::String(v))).collect();
                // Bookkeeping labels stay as they are (or are added when missing).
                let existing = current.get("labels").and_then(J::as_object);
                for (key, val) in owner::labels(ctx) {
                    let keep = existing.and_then(|e| e.get(&key)).cloned().unwrap_or(J::String(val));
                    labels.insert(key, keep);
                }
                let fp = current.get("labelFingerprint").cloned().unwrap_or(J::Null);
                api::set(inner, k, &loc, "setLabels", json!({"labels": labels, "labelFingerprint": fp}), &fresh_request_id()).await?;
            }
            if k == Kind::Instance && changed("metadata") {
                let fp = current.get("metadata").and_then(|m| m.get("fingerprint")).cloned().unwrap_or(J::Null);
                api::set(inner, k, &loc, "setMetadata", json!({"items": metadata_items(planned), "fingerprint": fp}), &fresh_request_id()).await?;
            }
            if k == Kind::Instance && changed("tags") {
                let fp = current.get("tags").and_then(|m| m.get("fingerprint")).cloned().unwrap_or(J::Null);
                api::set(inner, k, &loc, "setTags", json!({"items": strs_of(planned.attr("tags")), "fingerprint": fp}), &fresh_request_id()).await?;
            }
        }
        Kind::Subnetwork => {}
    }
    let obj = api::get(inner, k, &loc).await?.ok_or_else(gone)?;
    Ok(state(k, &loc, &obj, Some(planned)))
}

/// `contin import`: ids as Terraform's google provider takes them:
/// `projects/P/{global|regions/R|zones/Z}/COLLECTION/NAME`, `P/[R|Z/]NAME`,
/// `[R|Z/]NAME` or `NAME` (provider defaults fill the rest).
pub(crate) async fn import(inner: &Inner, ty: &str, k: Kind, id: &str) -> Result<Value, ProviderError> {
    let id = id.trim().trim_start_matches("https://www.googleapis.com/compute/v1/").trim_start_matches('/');
    let segs: Vec<&str> = id.split('/').collect();
    if segs.len() > 8 || segs.iter().any(|s| s.is_empty()) {
        return Err(invalid(format!("cannot import {ty} {id:?}: expected projects/P/…/{}/NAME or [P/][LOCATION/]NAME", k.collection())));
    }
    let global = k.scope() == "global";
    let default_loc = match k.scope() {
        "regions" => inner.region.clone(),
        "zones" => inner.zone.clone(),
        _ => String::new(),
    };
    let (project, location, name) = match segs.as_slice() {
        ["projects", p, "global", _, n] if global => (p.to_string(), String::new(), n.to_string()),
        ["projects", p, _, l, _, n] if !global => (p.to_string(), l.to_string(), n.to_string()),
        [p, n] if global => (p.to_string(), String::new(), n.to_string()),
        [p, l, n] if !global => (p.to_string(), l.to_string(), n.to_string()),
        [l, n] if !global => (inner.project.clone(), l.to_string(), n.to_string()),
        [n] => (inner.project.clone(), default_loc, n.to_string()),
        _ => return Err(invalid(format!("cannot import {ty} {id:?}: expected projects/P/…/{}/NAME or [P/][LOCATION/]NAME", k.collection()))),
    };
    if project.is_empty() || (!global && location.is_empty()) {
        return Err(invalid(format!("cannot import {ty} {id:?}: project/location unknown (set them in the id or the provider block)")));
    }
    let loc = Loc { project, location, name };
    match api::get(inner, k, &loc).await? {
        Some(obj) => Ok(state(k, &loc, &obj, None)),
        None => Err(ProviderError::Api { code: "notFound".into(), message: format!("cannot import {ty} {id:?}: {} does not exist", loc.id(k)) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_compare_by_collection_and_name() {
        assert!(same_ref("net", "https://compute.googleapis.com/compute/v1/projects/p/global/networks/net"));
        assert!(same_ref("global/networks/net", "projects/p/global/networks/net"));
        assert!(!same_ref("subnetworks/net", "projects/p/global/networks/net"));
        assert!(!same_ref("net2", "projects/p/global/networks/net"));
        assert_eq!(keep_short(None, Some("https://x/zones/us-central1-a".into())), Value::string("us-central1-a"));
        assert_eq!(keep_ref(Some("net"), Some("https://x/global/networks/net".into())), Value::string("net"));
    }

    #[test]
    fn image_shorthands() {
        assert_eq!(source_image("p", "debian-cloud/debian-12"), "projects/debian-cloud/global/images/family/debian-12");
        assert_eq!(source_image("p", "debian-cloud/debian-12-bookworm-v20240110"), "projects/debian-cloud/global/images/debian-12-bookworm-v20240110");
        assert_eq!(source_image("p", "family/mine"), "projects/p/global/images/family/mine");
        assert_eq!(source_image("p", "projects/x/global/images/y"), "projects/x/global/images/y");
        assert_eq!(api_ref("p", "global/networks", "n"), "projects/p/global/networks/n");
        assert_eq!(api_ref("p", "global/networks", "global/networks/n"), "projects/p/global/networks/n");
    }
}
