//! Machine-readable plan (`contin show -json`, `plan --json`), modelled on
//! Terraform's `terraform show -json` plan format; schema in docs/plan-json.md.
//!
//! One deliberate difference from Terraform: sensitive values are redacted
//! (`null`) in `before`/`after` and only flagged in `before_sensitive` /
//! `after_sensitive`. A secret never appears in this JSON.

use crate::plan::{Action, ChangeReason, OutputChange, Plan, PlanMode, ResourceChange, ResourceDrift};
use contin_types::value::{PathStep, ValuePath};
use contin_types::{InstanceKey, ResourceAddr, ResourceMode, Value};
use serde_json::{json, Map, Value as J};

/// Version of the JSON document's schema (not of the plan file).
pub const PLAN_JSON_FORMAT_VERSION: &str = "1.0";

/// The plan as a JSON document (see docs/plan-json.md).
pub fn plan_to_json(plan: &Plan) -> J {
    // Terraform lists a deposed object's destroy as a resource change with a
    // `deposed` key, after its instance's own change.
    let mut changes: Vec<(&ResourceChange, Option<&str>)> = plan.changes.iter().map(|c| (c, None)).collect();
    changes.extend(plan.deposed.iter().map(|d| (&d.change, Some(d.key.as_str()))));
    changes.sort_by(|a, b| a.0.addr.cmp(&b.0.addr).then_with(|| a.1.cmp(&b.1)));
    let resource_changes: Vec<J> = changes
        .iter()
        .map(|(c, deposed)| {
            let mut j = resource_change(c);
            if let (Some(key), J::Object(m)) = (deposed, &mut j) {
                m.insert("deposed".into(), json!(key));
            }
            // Terraform's `previous_address` (moved) and `change.importing`.
            if let (None, J::Object(m)) = (deposed, &mut j) {
                if let Some(from) = plan.language.moved_from(&c.addr) {
                    m.insert("previous_address".into(), json!(from.to_string()));
                }
                if let Some(i) = plan.language.imports.iter().find(|i| i.addr == c.addr) {
                    if let Some(J::Object(ch)) = m.get_mut("change") {
                        ch.insert("importing".into(), json!({"id": i.id}));
                    }
                }
            }
            j
        })
        .collect();
    let mut drift: Vec<&ResourceDrift> = plan.drift.iter().collect();
    drift.sort_by(|a, b| a.addr.cmp(&b.addr));
    let resource_drift: Vec<J> = drift.iter().map(|d| drift_entry(plan, d)).collect();
    let output_changes: Map<String, J> = plan.outputs.iter().map(|(k, o)| (k.clone(), output_change(o))).collect();
    let mut doc = json!({
        "format_version": PLAN_JSON_FORMAT_VERSION,
        "contin_version": env!("CARGO_PKG_VERSION"),
        "plan_format_version": plan.format_version,
        "mode": match plan.mode { PlanMode::Normal => "normal", PlanMode::Destroy => "destroy" },
        "lineage": plan.lineage,
        "base_serial": plan.base_serial,
        "config_hash": plan.config_hash,
        "targets": plan.targets,
        "resource_changes": resource_changes,
        "resource_drift": resource_drift,
        "output_changes": output_changes,
        "applyable": plan.has_changes(),
        "errored": false,
    });
    if !plan.unreachable.is_empty() {
        let list: Vec<J> = plan.unreachable.iter().map(|u| json!({"address": u.addr.to_string(), "reason": u.reason})).collect();
        doc["unreachable"] = J::Array(list);
    }
    if !plan.language.forgotten.is_empty() {
        // `removed { lifecycle { destroy = false } }`: Terraform's "forget" action.
        let list: Vec<J> = plan.language.forgotten.iter().map(|a| json!({"address": a.to_string(), "change": {"actions": ["forget"]}})).collect();
        doc["forgotten"] = J::Array(list);
    }
    doc
}

fn actions(action: Action, create_before_destroy: bool) -> J {
    let list: &[&str] = match action {
        Action::NoOp => &["no-op"],
        Action::Create => &["create"],
        Action::Read => &["read"],
        Action::Update => &["update"],
        Action::Replace if create_before_destroy => &["create", "delete"],
        Action::Replace => &["delete", "create"],
        Action::Delete => &["delete"],
    };
    json!(list)
}

/// Terraform's `action_reason` strings, plus one of contin's own.
fn action_reason(action: Action, reason: &Option<ChangeReason>) -> Option<&'static str> {
    match reason.as_ref()? {
        ChangeReason::CannotUpdate => Some("replace_because_cannot_update"),
        ChangeReason::Tainted => Some("replace_because_tainted"),
        ChangeReason::NoResourceConfig => Some("delete_because_no_resource_config"),
        ChangeReason::CountIndex => Some("delete_because_count_index"),
        ChangeReason::EachKey => Some("delete_because_each_key"),
        ChangeReason::DeletedOutOfBand if action == Action::Create => Some("create_because_deleted_out_of_band"),
        ChangeReason::DeletedOutOfBand => Some("deleted_out_of_band"),
        // Terraform gives no reason in destroy mode either.
        ChangeReason::DestroyMode => None,
        ChangeReason::ReplaceTriggered => Some("replace_by_triggers"),
    }
}

fn address_fields(addr: &ResourceAddr, provider: &str) -> Map<String, J> {
    let mut m = Map::new();
    m.insert("address".into(), json!(addr.to_string()));
    if !addr.module.is_empty() {
        m.insert("module_address".into(), json!(addr.module));
    }
    m.insert("mode".into(), json!(match addr.mode { ResourceMode::Managed => "managed", ResourceMode::Data => "data" }));
    m.insert("type".into(), json!(addr.ty));
    m.insert("name".into(), json!(addr.name));
    match &addr.key {
        InstanceKey::None => {}
        InstanceKey::Int(i) => {
            m.insert("index".into(), json!(i));
        }
        InstanceKey::Str(s) => {
            m.insert("index".into(), json!(s));
        }
    }
    m.insert("provider_name".into(), json!(provider));
    m
}

fn resource_change(c: &ResourceChange) -> J {
    let mut m = address_fields(&c.addr, &c.provider);
    let mut change = change_body(c.action, c.create_before_destroy, c.before.as_ref(), c.after.as_ref());
    change.insert("replace_paths".into(), J::Array(c.replace_paths.iter().map(path_json).collect()));
    m.insert("change".into(), J::Object(change));
    if let Some(r) = action_reason(c.action, &c.reason) {
        m.insert("action_reason".into(), json!(r));
    }
    J::Object(m)
}

fn drift_entry(plan: &Plan, d: &ResourceDrift) -> J {
    let provider = plan.change(&d.addr).map_or_else(|| d.addr.implied_provider().to_string(), |c| c.provider.clone());
    let mut m = address_fields(&d.addr, &provider);
    let action = if d.current.is_some() { Action::Update } else { Action::Delete };
    m.insert("change".into(), J::Object(change_body(action, false, Some(&d.recorded), d.current.as_ref())));
    J::Object(m)
}

fn output_change(o: &OutputChange) -> J {
    let mark = |v: Option<&Value>| v.cloned().map(|v| if o.sensitive { v.mark_sensitive() } else { v });
    let (before, after) = (mark(o.before.as_ref()), mark(o.after.as_ref()));
    J::Object(change_body(o.action, false, before.as_ref(), after.as_ref()))
}

fn change_body(action: Action, cbd: bool, before: Option<&Value>, after: Option<&Value>) -> Map<String, J> {
    let mut m = Map::new();
    m.insert("actions".into(), actions(action, cbd));
    m.insert("before".into(), before.map_or(J::Null, redacted));
    m.insert("after".into(), after.map_or(J::Null, redacted));
    m.insert("after_unknown".into(), after.map_or(J::Bool(false), unknown_shape));
    m.insert("before_sensitive".into(), before.map_or(J::Bool(false), sensitive_shape));
    m.insert("after_sensitive".into(), after.map_or(J::Bool(false), sensitive_shape));
    m
}

/// JSON of a value with sensitive parts replaced by `null`, unknown object
/// attributes omitted and unknown list elements `null` (like Terraform).
pub fn redacted(v: &Value) -> J {
    match v {
        Value::Sensitive(_) | Value::Unknown | Value::Null => J::Null,
        Value::List(items) | Value::Set(items) => J::Array(items.iter().map(redacted).collect()),
        Value::Map(m) => J::Object(
            m.iter().filter(|(_, v)| !matches!(v, Value::Unknown)).map(|(k, v)| (k.clone(), redacted(v))).collect(),
        ),
        scalar => scalar.to_json_lossy(),
    }
}

/// `true` where the value is unknown; objects keep only non-`false` entries,
/// lists keep every element (Terraform's `after_unknown` shape).
fn unknown_shape(v: &Value) -> J {
    shape(v, &|v| matches!(v, Value::Unknown), &|v| match v {
        Value::Sensitive(inner) => Some(inner),
        _ => None,
    })
}

/// `true` where the value is sensitive (Terraform's `*_sensitive` shape).
fn sensitive_shape(v: &Value) -> J {
    shape(v, &|v| matches!(v, Value::Sensitive(_)), &|_| None)
}

fn shape(v: &Value, hit: &dyn Fn(&Value) -> bool, peel: &dyn Fn(&Value) -> Option<&Value>) -> J {
    if hit(v) {
        return J::Bool(true);
    }
    if let Some(inner) = peel(v) {
        return shape(inner, hit, peel);
    }
    match v {
        Value::List(items) | Value::Set(items) => J::Array(items.iter().map(|i| shape(i, hit, peel)).collect()),
        Value::Map(m) => J::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), shape(v, hit, peel)))
                .filter(|(_, s)| *s != J::Bool(false))
                .collect(),
        ),
        _ => J::Bool(false),
    }
}

fn path_json(p: &ValuePath) -> J {
    J::Array(
        p.iter()
            .map(|s| match s {
                PathStep::Key(k) => json!(k),
                PathStep::Index(i) => json!(i),
            })
            .collect(),
    )
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
