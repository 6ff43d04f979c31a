//! Snapshot tests of the JSON plan; fixtures come from the render tests.

use super::*;
use crate::render::tests::{addr, change, create_change, delete_change, plan, replace_change, s, update_change, SECRET};

fn full_plan() -> Plan {
    let mut p = plan(vec![
        create_change(),
        update_change(),
        replace_change(false),
        replace_change(true),
        delete_change("fake_resource.n[2]", Some(ChangeReason::CountIndex)),
        delete_change("fake_resource.m[\"x\"]", Some(ChangeReason::EachKey)),
        change("data.fake_resource.d", Action::Read, None, Some(Value::map([("id", Value::Unknown)]))),
        change("fake_resource.same", Action::NoOp, Some(Value::map([("id", s("s"))])), Some(Value::map([("id", s("s"))]))),
    ]);
    p.drift = vec![
        ResourceDrift {
            addr: addr("fake_resource.app"),
            recorded: Value::map([("id", s("app-1")), ("size", Value::int(5)), ("password", s(SECRET).mark_sensitive())]),
            current: Some(Value::map([("id", s("app-1")), ("size", Value::int(1)), ("password", s(SECRET).mark_sensitive())])),
        },
        ResourceDrift { addr: addr("local_file.f"), recorded: Value::map([("id", s("f"))]), current: None },
    ];
    p.outputs.insert("pw".into(), OutputChange { action: Action::Update, before: Some(s("old-secret")), after: Some(s(SECRET)), sensitive: true });
    p.outputs.insert("later".into(), OutputChange { action: Action::Create, before: None, after: Some(Value::Unknown), sensitive: false });
    p.outputs.insert("list".into(), OutputChange {
        action: Action::Create,
        before: None,
        after: Some(Value::List(vec![s("a"), s(SECRET).mark_sensitive()])),
        sensitive: false,
    });
    p
}

#[test]
fn json_plan_snapshot() {
    let p = full_plan();
    let mut j = plan_to_json(&p);
    let text = serde_json::to_string(&j).expect("serializes");
    assert!(!text.contains(SECRET), "secret leaked: {text}");
    assert!(!text.contains("old-secret"), "secret leaked: {text}");
    assert_eq!(j["contin_version"], json!(env!("CARGO_PKG_VERSION")));
    j["contin_version"] = json!("[version]");
    insta::assert_json_snapshot!("plan_json", j);
}

#[test]
fn actions_and_shapes() {
    let j = plan_to_json(&full_plan());
    let rc = j["resource_changes"].as_array().expect("array");
    let by_addr = |a: &str| rc.iter().find(|c| c["address"] == a).cloned().unwrap_or(J::Null);
    assert_eq!(by_addr("fake_resource.db")["change"]["actions"], json!(["delete", "create"]));
    assert_eq!(by_addr("fake_resource.cbd")["change"]["actions"], json!(["create", "delete"]));
    assert_eq!(by_addr("fake_resource.same")["change"]["actions"], json!(["no-op"]));
    assert_eq!(by_addr("data.fake_resource.d")["change"]["actions"], json!(["read"]));
    assert_eq!(by_addr("data.fake_resource.d")["mode"], json!("data"));
    assert_eq!(by_addr("fake_resource.db")["change"]["replace_paths"], json!([["image"], ["zone"]]));
    assert_eq!(by_addr("fake_resource.db")["action_reason"], json!("replace_because_cannot_update"));
    assert_eq!(by_addr("fake_resource.n[2]")["index"], json!(2));
    assert_eq!(by_addr("fake_resource.m[\"x\"]")["index"], json!("x"));
    assert_eq!(by_addr("fake_resource.m[\"x\"]")["action_reason"], json!("delete_because_each_key"));

    let web = by_addr("fake_resource.web");
    let ch = &web["change"];
    assert_eq!(ch["before"], J::Null);
    assert_eq!(ch["before_sensitive"], json!(false));
    // Sensitive: redacted in after, flagged in after_sensitive.
    assert_eq!(ch["after"]["password"], J::Null);
    assert_eq!(ch["after_sensitive"]["password"], json!(true));
    assert_eq!(ch["after_sensitive"]["tags"], json!({"token": true}));
    assert_eq!(ch["after"]["tags"]["env"], json!("prod"));
    assert_eq!(ch["after_sensitive"]["secret_map"], json!(true));
    // Unknown: omitted from after, flagged in after_unknown.
    assert!(ch["after"].get("id").is_none());
    assert_eq!(ch["after_unknown"]["id"], json!(true));
    assert_eq!(ch["after_unknown"]["nested"], json!({"inner": {"when": true}}));
    assert_eq!(ch["after_unknown"]["ports"], json!([false, false]));
    assert!(ch["after_unknown"].get("name").is_none());

    let del = by_addr("fake_resource.n[2]");
    assert_eq!(del["change"]["after"], J::Null);
    assert_eq!(del["change"]["after_unknown"], json!(false));
    // Like Terraform, nested objects without marks stay as `{}`.
    assert_eq!(del["change"]["before_sensitive"], json!({"key": true, "meta": {}}));

    assert_eq!(j["output_changes"]["pw"]["before"], J::Null);
    assert_eq!(j["output_changes"]["pw"]["after_sensitive"], json!(true));
    assert_eq!(j["output_changes"]["later"]["after_unknown"], json!(true));
    assert_eq!(j["output_changes"]["list"]["after"], json!(["a", null]));
    assert_eq!(j["output_changes"]["list"]["after_sensitive"], json!([false, true]));
    assert_eq!(j["resource_drift"][1]["change"]["actions"], json!(["delete"]));
    assert_eq!(j["errored"], json!(false));
    assert_eq!(j["applyable"], json!(true));
}
