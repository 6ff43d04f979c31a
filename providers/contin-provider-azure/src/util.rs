//! Value helpers, ARM ids, ownership tags, error mapping.

use contin_provider::{BlockSchema, OpContext, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

/// Ownership tags. Azure tag names may not contain ':' (unlike AWS's
/// `contin:lineage`), so they use '-'.
pub const TAG_LINEAGE: &str = "contin-lineage";
pub const TAG_ADDRESS: &str = "contin-address";
pub const TAG_GENERATION: &str = "contin-generation";
pub const TAG_PREFIX: &str = "contin-";

pub(crate) fn get<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.attr(name)
}

pub(crate) fn get_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.attr_str(name)
}

pub(crate) fn get_bool(v: &Value, name: &str) -> Option<bool> {
    match get(v, name).map(Value::unmarked) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

pub(crate) fn get_i64(v: &Value, name: &str) -> Option<i64> {
    match get(v, name).map(Value::unmarked) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn get_strs(v: &Value, name: &str) -> Vec<String> {
    match get(v, name).map(Value::unmarked) {
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

/// Elements of a nested block value (list or set; a single map counts as one).
pub(crate) fn get_blocks<'a>(v: &'a Value, name: &str) -> Vec<&'a Value> {
    match get(v, name).map(Value::unmarked) {
        Some(Value::List(items) | Value::Set(items)) => items.iter().collect(),
        Some(m @ Value::Map(_)) => vec![m],
        _ => Vec::new(),
    }
}

pub(crate) fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
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

pub(crate) fn opt_string(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::string)
}

pub(crate) fn str_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::List(items.into_iter().map(Value::String).collect())
}

/// An object value with every attribute of `schema` present (absent ones null).
pub(crate) fn complete(schema: &BlockSchema, mut m: BTreeMap<String, Value>) -> Value {
    for name in schema.attributes.keys().chain(schema.blocks.keys()) {
        m.entry(name.clone()).or_insert(Value::Null);
    }
    Value::Map(m)
}

/// JSON string at `pointer`.
pub(crate) fn js<'a>(j: &'a serde_json::Value, pointer: &str) -> Option<&'a str> {
    j.pointer(pointer).and_then(serde_json::Value::as_str)
}

/// Tags of the configuration plus the ownership tags of `ctx`.
pub(crate) fn tags_with_ownership(planned: &Value, ctx: &OpContext) -> serde_json::Value {
    let mut t: serde_json::Map<String, serde_json::Value> =
        str_map(get(planned, "tags")).into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
    for (k, v) in ownership(ctx) {
        t.insert(k.to_string(), serde_json::Value::String(v));
    }
    serde_json::Value::Object(t)
}

pub(crate) fn ownership(ctx: &OpContext) -> [(&'static str, String); 3] {
    [
        (TAG_LINEAGE, ctx.lineage.clone()),
        (TAG_ADDRESS, ctx.address.to_string()),
        (TAG_GENERATION, ctx.generation.to_string()),
    ]
}

/// True when the live object's tags say it was created for `ctx`'s lineage and address.
pub(crate) fn owned_by(tags: Option<&serde_json::Value>, ctx: &OpContext) -> bool {
    let tag = |k: &str| tags.and_then(|t| t.get(k)).and_then(serde_json::Value::as_str);
    tag(TAG_LINEAGE) == Some(ctx.lineage.as_str()) && tag(TAG_ADDRESS) == Some(ctx.address.to_string().as_str())
}

/// The `tags` value read back: ownership tags dropped; null when nothing is
/// left and `shape` (prior state or planned value) had no tags map.
pub(crate) fn tags_value(actual: Option<&serde_json::Value>, shape: &Value) -> Value {
    let mut out = BTreeMap::new();
    if let Some(serde_json::Value::Object(m)) = actual {
        for (k, v) in m {
            if k.starts_with(TAG_PREFIX) {
                continue;
            }
            if let Some(s) = v.as_str() {
                out.insert(k.clone(), Value::string(s));
            }
        }
    }
    let declared = matches!(get(shape, "tags").map(Value::unmarked), Some(Value::Map(_)));
    if out.is_empty() && !declared {
        Value::Null
    } else {
        Value::Map(out)
    }
}

/// The existing ownership tags of a live object, kept on update so a later
/// crash re-run still recognises it.
pub(crate) fn keep_ownership(tags: &mut serde_json::Value, live: Option<&serde_json::Value>) {
    let (Some(serde_json::Value::Object(live)), serde_json::Value::Object(t)) = (live, tags) else { return };
    for (k, v) in live {
        if k.starts_with(TAG_PREFIX) {
            t.insert(k.clone(), v.clone());
        }
    }
}

/// Azure names locations both ways ("West Europe", "westeurope").
pub(crate) fn same_location(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect::<String>();
    norm(a) == norm(b)
}

/// The location read back: the configured spelling when it means the same place.
pub(crate) fn location_value(actual: Option<&str>, shape: &Value) -> Value {
    match (actual, get_str(shape, "location")) {
        (Some(a), Some(s)) if same_location(a, s) => Value::string(s),
        (a, _) => opt_string(a),
    }
}

/// One path segment of an ARM id: no '/', '?', '#', no control characters, at most 260 bytes.
pub(crate) fn check_segment(what: &str, s: &str) -> Result<(), ProviderError> {
    if s.is_empty() || s.len() > 260 || s.chars().any(|c| matches!(c, '/' | '?' | '#' | '\\' | '%') || c.is_control()) {
        return Err(ProviderError::Invalid(format!("{what} {s:?} must be 1-260 characters without / ? # \\ % or control characters")));
    }
    Ok(())
}

/// Segments of an ARM id `/subscriptions/S/resourceGroups/RG[/providers/NS/TYPE/NAME[/CHILD/NAME]]`.
pub(crate) struct ArmId {
    pub subscription: String,
    pub resource_group: String,
    /// (type, name) pairs after the provider namespace, e.g. [("virtualNetworks", "v"), ("subnets", "s")].
    pub parts: Vec<(String, String)>,
    pub namespace: Option<String>,
}

pub(crate) fn parse_id(id: &str) -> Option<ArmId> {
    if id.len() > 2048 {
        return None;
    }
    let segs: Vec<&str> = id.trim_start_matches('/').split('/').collect();
    let mut it = segs.into_iter();
    if !it.next()?.eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let subscription = it.next()?.to_string();
    if !it.next()?.eq_ignore_ascii_case("resourceGroups") {
        return None;
    }
    let resource_group = it.next()?.to_string();
    let mut namespace = None;
    let mut parts = Vec::new();
    if let Some(p) = it.next() {
        if !p.eq_ignore_ascii_case("providers") {
            return None;
        }
        namespace = Some(it.next()?.to_string());
        let rest: Vec<&str> = it.collect();
        if rest.is_empty() || !rest.len().is_multiple_of(2) {
            return None;
        }
        for pair in rest.chunks(2) {
            parts.push((pair[0].to_string(), pair[1].to_string()));
        }
    }
    if subscription.is_empty() || resource_group.is_empty() || parts.iter().any(|(t, n)| t.is_empty() || n.is_empty()) {
        return None;
    }
    Some(ArmId { subscription, resource_group, parts, namespace })
}

/// Maps an SDK error: 404 → `None` by the caller (see `is_not_found`), other
/// HTTP statuses keep Azure's error code, transport failures are `Unreachable`.
pub(crate) fn api_err(what: &str, e: azure_core::Error) -> ProviderError {
    use azure_core::error::ErrorKind;
    match e.kind() {
        ErrorKind::HttpResponse { status, error_code } => {
            let code = error_code.clone().unwrap_or_else(|| format!("HTTP{}", u16::from(*status)));
            ProviderError::Api { code, message: format!("{what}: {}", message_of(&e)) }
        }
        ErrorKind::Io => ProviderError::Unreachable(format!("{what}: cannot reach Azure: {}", message_of(&e))),
        ErrorKind::Credential => ProviderError::Failed(format!("{what}: cannot get an Azure token: {}", message_of(&e))),
        _ => ProviderError::Failed(format!("{what}: {}", message_of(&e))),
    }
}

fn message_of(e: &azure_core::Error) -> String {
    let mut s = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(inner) = cur {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = inner.source();
    }
    s.chars().take(600).collect()
}

pub(crate) fn is_not_found(e: &azure_core::Error) -> bool {
    matches!(e.kind(), azure_core::error::ErrorKind::HttpResponse { status, .. } if *status == azure_core::StatusCode::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arm_ids() {
        let id = parse_id("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a").unwrap();
        assert_eq!((id.subscription.as_str(), id.resource_group.as_str()), ("s1", "rg"));
        assert_eq!(id.parts, vec![("virtualNetworks".into(), "v".into()), ("subnets".into(), "a".into())]);
        assert!(parse_id("/subscriptions/s1/resourceGroups/rg").is_some_and(|i| i.parts.is_empty()));
        assert!(parse_id("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks").is_none());
        assert!(parse_id("/nope/x").is_none());
        assert!(parse_id("").is_none());
    }

    #[test]
    fn tags_value_hides_ownership_tags() {
        let live = serde_json::json!({"contin-lineage": "l", "env": "dev"});
        assert_eq!(tags_value(Some(&live), &Value::Null), Value::map([("env", Value::string("dev"))]));
        let only = serde_json::json!({"contin-address": "a"});
        assert_eq!(tags_value(Some(&only), &Value::Null), Value::Null);
        assert_eq!(tags_value(Some(&only), &Value::map([("tags", Value::map::<&str>([]))])), Value::map::<&str>([]));
    }

    #[test]
    fn locations_compare_loosely() {
        assert!(same_location("West Europe", "westeurope"));
        assert!(!same_location("westeurope", "eastus"));
    }
}
