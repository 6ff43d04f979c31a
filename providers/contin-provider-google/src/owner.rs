//! Ownership markers: how contin recognises an object it created (so a
//! re-run after a crash adopts it instead of failing on `alreadyExists`).
//!
//! - Labelled kinds (addresses, instances) carry labels `contin-lineage`,
//!   `contin-address` and `contin-generation`. GCP label values allow only
//!   `[a-z0-9_-]`, at most 63 characters, so values are encoded by
//!   `label_value`: `a-z`, `0-9` and `_` stay; every other byte (including
//!   `-`, `.`, `[`, `"`, upper case) becomes `-` + two lowercase hex digits
//!   (`google_compute_instance.web` → `google_compute_instance-2eweb`). A
//!   result over 63 characters keeps its first 46 characters, then `-` and
//!   the first 16 hex digits of the SHA-256 of the whole input.
//! - Networks, subnetworks and firewalls have no labels: their
//!   `description` ends with the marker
//!   `[contin lineage=L address=A generation=G]` (L and A encoded as above),
//!   after the configured description and one space. State shows the
//!   configured description only.
//!
//! Every mutation also sends a `requestId` (a UUID derived from lineage,
//! address, generation and the call), so Google itself drops a repeated call.

use contin_provider::OpContext;
use sha2::{Digest, Sha256};

pub const LABEL_LINEAGE: &str = "contin-lineage";
pub const LABEL_ADDRESS: &str = "contin-address";
pub const LABEL_GENERATION: &str = "contin-generation";
/// Longest GCP label value.
pub const MAX_LABEL: usize = 63;

/// Encodes any text as a valid GCP label value (see the module docs).
pub fn label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("-{b:02x}"));
        }
    }
    if out.len() <= MAX_LABEL {
        return out;
    }
    let digest = hex::encode(Sha256::digest(s.as_bytes()));
    // `out` is ASCII, so byte slicing is on a char boundary.
    format!("{}-{}", &out[..46], &digest[..16])
}

pub fn labels(ctx: &OpContext) -> [(String, String); 3] {
    [
        (LABEL_LINEAGE.to_string(), label_value(&ctx.lineage)),
        (LABEL_ADDRESS.to_string(), label_value(&ctx.address.to_string())),
        (LABEL_GENERATION.to_string(), ctx.generation.to_string()),
    ]
}

/// True when the labels name this state and address.
pub fn owned_by_labels(labels: Option<&serde_json::Value>, ctx: &OpContext) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(serde_json::Value::as_str);
    get(LABEL_LINEAGE) == Some(label_value(&ctx.lineage).as_str()) && get(LABEL_ADDRESS) == Some(label_value(&ctx.address.to_string()).as_str())
}

pub fn marker(ctx: &OpContext) -> String {
    format!(
        "[contin lineage={} address={} generation={}]",
        label_value(&ctx.lineage),
        label_value(&ctx.address.to_string()),
        ctx.generation
    )
}

/// The stored description: the configured one, a space, the marker.
pub fn description_with_marker(user: Option<&str>, ctx: &OpContext) -> String {
    match user.filter(|u| !u.is_empty()) {
        Some(u) => format!("{u} {}", marker(ctx)),
        None => marker(ctx),
    }
}

/// Splits a stored description into the configured part and the marker's
/// `(lineage, address)` fields (encoded).
pub fn split_description(stored: &str) -> (Option<String>, Option<(String, String)>) {
    let Some(start) = stored.rfind("[contin lineage=") else {
        return (Some(stored.to_string()).filter(|s| !s.is_empty()), None);
    };
    let Some(body) = stored[start..].strip_prefix("[contin ").and_then(|b| b.strip_suffix(']')) else {
        return (Some(stored.to_string()), None);
    };
    let mut lineage = None;
    let mut address = None;
    for part in body.split(' ') {
        if let Some(v) = part.strip_prefix("lineage=") {
            lineage = Some(v.to_string());
        } else if let Some(v) = part.strip_prefix("address=") {
            address = Some(v.to_string());
        }
    }
    let user = stored[..start].trim_end();
    let user = Some(user.to_string()).filter(|u| !u.is_empty());
    match (lineage, address) {
        (Some(l), Some(a)) => (user, Some((l, a))),
        _ => (Some(stored.to_string()), None),
    }
}

pub fn owned_by_description(stored: Option<&str>, ctx: &OpContext) -> bool {
    let Some((_, Some((l, a)))) = stored.map(split_description) else { return false };
    l == label_value(&ctx.lineage) && a == label_value(&ctx.address.to_string())
}

/// A UUID-shaped request id from the context and the call (`insert`,
/// `delete`, `setLabels:<fingerprint>`…): equal inputs, equal id.
pub fn request_id(ctx: &OpContext, call: &str) -> String {
    let mut h = Sha256::new();
    for part in [ctx.lineage.as_str(), &ctx.address.to_string(), &ctx.generation.to_string(), call] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let hx = hex::encode(h.finalize());
    // Version 4 / variant 10 bits, so it is a syntactically valid UUID.
    format!("{}-{}-4{}-a{}-{}", &hx[..8], &hx[8..12], &hx[13..16], &hx[17..20], &hx[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_types::ResourceAddr;

    fn ctx() -> OpContext {
        OpContext { address: ResourceAddr::managed("google_compute_instance", "web"), lineage: "4f1c-AB".into(), generation: 2 }
    }

    fn valid_label(v: &str) -> bool {
        v.len() <= MAX_LABEL && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    }

    #[test]
    fn label_values_are_valid_and_unambiguous() {
        assert_eq!(label_value("google_compute_instance.web"), "google_compute_instance-2eweb");
        assert_eq!(label_value("a-b"), "a-2db");
        assert_ne!(label_value("a-2db"), label_value("a-b"));
        for s in ["", "UPPER", "módulo.x[\"k\"]", &"x".repeat(200), "google_compute_instance.web[\"a very long key that overflows the limit\"]"] {
            let v = label_value(s);
            assert!(valid_label(&v), "{s:?} → {v:?}");
        }
        let long_a = format!("{}a", "x".repeat(100));
        let long_b = format!("{}b", "x".repeat(100));
        assert_ne!(label_value(&long_a), label_value(&long_b));
        assert_eq!(label_value(&long_a).len(), MAX_LABEL);
    }

    #[test]
    fn description_marker_round_trips() {
        let c = ctx();
        let d = description_with_marker(Some("my net"), &c);
        assert_eq!(split_description(&d).0.as_deref(), Some("my net"));
        assert!(owned_by_description(Some(&d), &c));
        let other = OpContext { lineage: "other".into(), ..c.clone() };
        assert!(!owned_by_description(Some(&d), &other));
        let bare = description_with_marker(None, &c);
        assert_eq!(split_description(&bare).0, None);
        assert!(owned_by_description(Some(&bare), &c));
        assert_eq!(split_description("plain").0.as_deref(), Some("plain"));
        assert!(!owned_by_description(Some("plain"), &c));
    }

    #[test]
    fn labels_mark_ownership() {
        let c = ctx();
        let m: serde_json::Map<String, serde_json::Value> = labels(&c).into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        assert!(labels(&c).iter().all(|(_, v)| valid_label(v)));
        assert!(owned_by_labels(Some(&serde_json::Value::Object(m)), &c));
        assert!(!owned_by_labels(None, &c));
    }

    #[test]
    fn request_ids_are_uuids_and_stable() {
        let c = ctx();
        let a = request_id(&c, "insert");
        assert_eq!(a, request_id(&c, "insert"));
        assert_ne!(a, request_id(&c, "delete"));
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
    }
}
