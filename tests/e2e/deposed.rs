//! Deposed objects through the binary (issue 9): a `create_before_destroy`
//! replace whose delete of the old object fails keeps that object in state
//! as deposed; `plan` shows its destroy, `state list`/`state show` name it,
//! a saved plan carries it, a failing delete keeps it with an error naming
//! its key, and the apply after that deletes it from the fake cloud and
//! from state.

use contin_e2e::Project;
use serde_json::Value as Json;

/// `immutable` forces a replace; `fail_delete` sets the fake provider's
/// `fail_delete_name` knob (deletes of objects named "web" fail).
fn config(immutable: &str, fail_delete: bool) -> String {
    let knob = if fail_delete { "  fail_delete_name = \"web\"\n" } else { "" };
    format!(
        r#"provider "fake" {{
  store = "cloud.json"
{knob}}}

resource "fake_resource" "web" {{
  name      = "web"
  immutable = "{immutable}"

  lifecycle {{
    create_before_destroy = true
  }}
}}
"#
    )
}

/// `immutable` of every object in the fake cloud, sorted.
fn cloud(p: &Project) -> Vec<String> {
    let doc: Json = serde_json::from_str(&p.read("cloud.json")).expect("the fake cloud is valid JSON");
    let mut out: Vec<String> = doc["objects"]
        .as_object()
        .expect("objects map")
        .values()
        .map(|o| o["attributes"]["immutable"].as_str().unwrap_or("?").to_string())
        .collect();
    out.sort();
    out
}

/// The state's record of fake_resource.web.
fn web(p: &Project) -> Json {
    let state = p.state();
    let list = state["resources"].as_array().expect("resources list");
    list.iter().find(|r| r["addr"] == "fake_resource.web").cloned().expect("fake_resource.web is recorded")
}

fn deposed_keys(p: &Project) -> Vec<String> {
    web(p).get("deposed").and_then(Json::as_array).map_or_else(Vec::new, |d| {
        d.iter().map(|o| o["key"].as_str().expect("deposed key").to_string()).collect()
    })
}

#[test]
fn a_deposed_object_is_shown_planned_destroyed_and_dropped() {
    let p = Project::with_main(&config("v1", false));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(cloud(&p), ["v1"]);

    // The replace creates v2, then the delete of v1 fails: v1 is deposed.
    p.write("main.hcl", &config("v2", true));
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains("fake_resource.web: delete failed"), "{}", out.all());
    assert_eq!(cloud(&p), ["v1", "v2"], "both objects exist");
    assert_eq!(web(&p)["attributes"]["immutable"], "v2");
    let keys = deposed_keys(&p);
    assert_eq!(keys.len(), 1, "{}", web(&p));
    let key = &keys[0];
    let deposed = format!("fake_resource.web (deposed object {key})");

    // plan shows its destroy, and only that.
    let out = p.run(&["plan"]);
    out.expect_code(0);
    assert!(out.stdout.contains(&format!("  # {deposed} will be destroyed\n")), "{}", out.all());
    assert!(out.stdout.contains("  # (left over from a partially-failed replacement of this instance)\n"), "{}", out.stdout);
    assert!(out.stdout.contains("  - resource \"fake_resource\" \"web\" {\n"), "{}", out.stdout);
    assert!(out.stdout.contains("immutable = \"v1\" -> null"), "{}", out.stdout);
    assert!(out.stdout.contains("Plan: 0 to add, 0 to change, 1 to destroy."), "{}", out.stdout);
    let out = p.run(&["plan", "-json"]);
    out.expect_code(0);
    let doc: Json = serde_json::from_str(&out.stdout).expect("plan -json prints JSON");
    let changes = doc["resource_changes"].as_array().expect("resource_changes");
    let listed: Vec<(&Json, &Json)> = changes.iter().map(|c| (&c["change"]["actions"], &c["deposed"])).collect();
    assert_eq!(listed, [(&serde_json::json!(["no-op"]), &Json::Null), (&serde_json::json!(["delete"]), &Json::String(key.clone()))]);

    // state list and state show name it.
    let out = p.run(&["state", "list"]);
    out.expect_code(0);
    assert_eq!(out.stdout, format!("fake_resource.web\n{deposed}\n"));
    let out = p.run(&["state", "show", "fake_resource.web"]);
    out.expect_code(0);
    assert!(out.stdout.contains(&format!("# fake_resource.web: (deposed object {key})\n")), "{}", out.stdout);

    // Its delete fails again: reported with the key, kept in state.
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains(&format!("Error: {deposed}: delete failed")), "{}", out.all());
    assert!(out.stderr.contains(&format!("  {deposed} (main.hcl:6:1): delete failed: InjectedFailure")), "{}", out.all());
    assert_eq!(deposed_keys(&p), keys);
    assert_eq!(cloud(&p), ["v1", "v2"]);

    // Without the knob, through a saved plan: deleted from the cloud and from state.
    p.write("main.hcl", &config("v2", false));
    p.run(&["plan", "-out", "deposed.plan"]).expect_code(0);
    let out = p.run(&["show", "deposed.plan"]);
    out.expect_code(0);
    assert!(out.stdout.contains(&format!("  # {deposed} will be destroyed\n")), "the saved plan carries it: {}", out.all());
    let out = p.run(&["apply", "deposed.plan"]);
    out.expect_code(0);
    assert!(out.stdout.contains("0 added, 0 changed, 1 destroyed"), "{}", out.all());
    assert_eq!(cloud(&p), ["v2"], "the old object is gone from the cloud");
    assert!(deposed_keys(&p).is_empty(), "{}", web(&p));
    assert_eq!(web(&p)["attributes"]["immutable"], "v2");
    let out = p.run(&["state", "list"]);
    assert_eq!(out.stdout, "fake_resource.web\n");
    let out = p.run(&["plan", "-detailed-exitcode"]);
    out.expect_code(0);
    assert!(out.stdout.contains("No changes."), "{}", out.all());
}

#[test]
fn destroy_deletes_deposed_objects_too() {
    let p = Project::with_main(&config("v1", false));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    p.write("main.hcl", &config("v2", true));
    p.run(&["apply", "-auto-approve"]).expect_code(1);
    assert_eq!(deposed_keys(&p).len(), 1);
    p.write("main.hcl", &config("v2", false));
    let out = p.run(&["destroy", "-auto-approve"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Plan: 0 to add, 0 to change, 2 to destroy."), "{}", out.all());
    assert!(cloud(&p).is_empty(), "{:?}", cloud(&p));
    assert_eq!(p.state()["resources"], serde_json::json!([]));
}
