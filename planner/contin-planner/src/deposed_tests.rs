//! Deposed objects (old objects a `create_before_destroy` replace could not
//! delete) are planned for destruction like Terraform does: also without
//! other changes, when the instance left the configuration, in destroy
//! mode, and with `-target` for targeted instances.

use super::*;
use crate::plan::Action;
use crate::render::{render_plan, summary_counts};

/// `rs` with deposed objects `(key, id, secret)` appended.
fn with_deposed(mut r: serde_json::Value, objects: &[(&str, &str, Option<&str>)]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = objects
        .iter()
        .map(|(key, id, secret)| {
            let mut attrs = serde_json::json!({"id": id, "name": "old", "result": format!("r-{id}")});
            let mut paths = serde_json::json!([]);
            if let Some(s) = secret {
                attrs["sensitive_value"] = (*s).into();
                paths = serde_json::json!([[{"Key": "sensitive_value"}]]);
            }
            serde_json::json!({"key": key, "attributes": attrs, "sensitive_paths": paths, "generation": 1})
        })
        .collect();
    r["deposed"] = serde_json::Value::Array(list);
    r
}

/// `chain_state` with two deposed objects on b[0] (one holding a secret)
/// and one on c.
fn deposed_state() -> serde_json::Value {
    let mut s = chain_state();
    s[2] = with_deposed(s[2].clone(), &[("0000beef", "ib0-old", Some("hunter2")), ("00000a11", "ib0-older", None)]);
    s[4] = with_deposed(s[4].clone(), &[("c0ffee00", "ic-old", None)]);
    s
}

#[test]
fn deposed_objects_are_destroyed_when_nothing_else_changes() {
    let case = Case::new(CHAIN).state(deposed_state()).refreshed_as_recorded();
    let p = case.run().unwrap_or_else(|d| panic!("{d}"));
    assert!(p.changes.iter().all(|c| c.action == Action::NoOp), "instances themselves are unchanged");
    assert!(p.has_changes(), "deposed destroys are changes");
    assert_eq!(summary_counts(&p), (0, 0, 3));
    insta::assert_snapshot!(summarize(&p));
    let text = render_plan(&p, false);
    assert!(!text.contains("hunter2"), "a deposed object's secret is not rendered:\n{text}");
    insta::assert_snapshot!("deposed_render", text);
}

#[test]
fn deposed_objects_of_an_instance_gone_from_config_are_destroyed() {
    // c left the configuration: its current object and its deposed one go.
    // d's current object was deleted by an earlier apply that could not
    // delete its deposed object: only that is left (no destroy of `null`).
    let hcl = r#"
resource "fake_resource" "c" {
  count = 0
}
"#;
    let mut d = rs("fake_resource.d", serde_json::Value::Null, &[]);
    d["attributes"] = serde_json::Value::Null;
    let d = with_deposed(d, &[("dddddddd", "id-old", None)]);
    let c = with_deposed(rs("fake_resource.c", serde_json::json!({"id": "ic", "name": "c"}), &[]), &[("c0ffee00", "ic-old", None)]);
    let p = Case::new(hcl).state(serde_json::json!([c, d])).run().unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(p.deposed.len(), 2);
    assert!(p.change(&parse_addr("fake_resource.d")).is_none(), "nothing is left of d but its deposed object");
    insta::assert_snapshot!(summarize(&p));
}

#[test]
fn plan_destroy_destroys_deposed_objects_too() {
    let p = Case::new(CHAIN).state(deposed_state()).refreshed_as_recorded().destroy().run().unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(summary_counts(&p), (0, 0, 8));
    insta::assert_snapshot!(summarize(&p));
}

#[test]
fn target_includes_the_deposed_objects_of_targeted_instances_only() {
    let keys = |t: &'static str, destroy: bool| -> Vec<String> {
        let mut case = Case::new(CHAIN).state(deposed_state()).refreshed_as_recorded().target(t);
        if destroy {
            case = case.destroy();
        }
        case.run().unwrap_or_else(|d| panic!("{d}")).deposed.iter().map(|d| d.display_addr()).collect()
    };
    let b0 = [
        "fake_resource.b[0] (deposed object 00000a11)".to_string(),
        "fake_resource.b[0] (deposed object 0000beef)".to_string(),
    ];
    assert_eq!(keys("fake_resource.b", false), b0);
    assert_eq!(keys("fake_resource.b[0]", false), b0);
    assert!(keys("fake_resource.b[1]", false).is_empty());
    assert_eq!(keys("fake_resource.c", false), ["fake_resource.c (deposed object c0ffee00)"]);
    // A dependency pulled in by -target is not destroyed: only its current object is kept in the plan.
    assert!(keys("fake_resource.a", false).is_empty());
    // Destroying a[0] takes its dependants (b) along, with their deposed objects.
    assert_eq!(keys("fake_resource.a[0]", true), b0);
}

#[test]
fn deposed_destroys_are_listed_in_the_json_plan_with_their_key() {
    let p = Case::new(CHAIN).state(deposed_state()).refreshed_as_recorded().run().unwrap_or_else(|d| panic!("{d}"));
    let j = crate::json::plan_to_json(&p);
    let deposed: Vec<&serde_json::Value> =
        j["resource_changes"].as_array().into_iter().flatten().filter(|c| c.get("deposed").is_some()).collect();
    assert_eq!(deposed.len(), 3);
    assert_eq!(deposed[0]["address"], "fake_resource.b[0]");
    assert_eq!(deposed[0]["deposed"], "00000a11");
    assert_eq!(deposed[1]["change"]["actions"], serde_json::json!(["delete"]));
    assert_eq!(deposed[1]["change"]["before_sensitive"]["sensitive_value"], true);
    assert!(!j.to_string().contains("hunter2"), "no secret in the JSON plan");
}
