//! CLI behaviour that needs no apply: version, usage errors, fmt, the state
//! commands on a hand-written state file, output, graph.

use contin_e2e::{insta_settings, Project};
use insta::assert_snapshot;

const CONFIG: &str = "resource \"local_file\" \"a\" {\n  count    = 2\n  filename = \"out/${count.index}.txt\"\n  content  = \"x\"\n}\n\nresource \"fake_resource\" \"s\" {\n  name            = \"s\"\n  sensitive_value = \"hunter2\"\n}\n\noutput \"n\" {\n  value = 2\n}\n";

/// A state as the local backend writes it (version 1, serial 4).
fn state_doc() -> serde_json::Value {
    serde_json::json!({
        "version": 1, "lineage": "5a0c9a43-2c1e-4b8e-9c1d-000000000001", "serial": 4,
        "resources": [
            {"addr": "fake_resource.s", "provider": "fake",
             "attributes": {"id": "fake-1", "name": "s", "sensitive_value": "hunter2", "result": "r-1", "tags": {"env": "dev"}},
             "sensitive_paths": [[{"Key": "sensitive_value"}]], "dependencies": ["local_file.a[0]"]},
            {"addr": "local_file.a[0]", "provider": "local", "attributes": {"filename": "out/0.txt", "content": "x", "id": "h0"}},
            {"addr": "local_file.a[1]", "provider": "local", "attributes": {"filename": "out/1.txt", "content": "x", "id": "h1"}},
        ],
        "outputs": {"n": {"value": 2, "sensitive": false}, "pw": {"value": "hunter2", "sensitive": true}},
    })
}

fn project_with_state() -> Project {
    let p = Project::with_main(CONFIG);
    p.write("contin.state.json", &serde_json::to_string_pretty(&state_doc()).expect("json"));
    p
}

#[test]
fn version_prints_the_package_version() {
    let out = Project::empty().run(&["version"]);
    out.expect_code(0);
    assert!(out.stdout.starts_with(&format!("contin v{}\n", env!("CARGO_PKG_VERSION"))), "{}", out.stdout);
}

#[test]
fn usage_errors_exit_1_and_ignored_flags_warn() {
    let p = Project::empty();
    let out = p.run(&["plan", "-no-such-flag"]);
    out.expect_code(1);
    assert!(out.stderr.contains("--no-such-flag"), "{}", out.stderr);
    let out = p.run(&["-lock=false", "version"]);
    out.expect_code(0);
    assert!(out.stderr.contains("ignoring -lock"), "{}", out.stderr);
    let missing = p.run(&["-C", "does/not/exist", "validate"]);
    missing.expect_code(1);
}

#[test]
fn state_list_and_show_hide_sensitive_values() {
    let p = project_with_state();
    let list = p.run(&["state", "list"]);
    list.expect_code(0);
    assert_eq!(list.stdout, "fake_resource.s\nlocal_file.a[0]\nlocal_file.a[1]\n");
    assert_eq!(p.run(&["state", "list", "local_file.a"]).stdout, "local_file.a[0]\nlocal_file.a[1]\n");
    let show = p.run(&["state", "show", "fake_resource.s"]);
    show.expect_code(0);
    assert!(!show.all().contains("hunter2"));
    insta_settings(&p.filters()).bind(|| assert_snapshot!("state_show", show.stdout));
    p.run(&["state", "show", "local_file.zzz"]).expect_code(1);
    let whole = p.run(&["show"]);
    whole.expect_code(0);
    assert!(whole.stdout.contains("pw = <sensitive>") && !whole.all().contains("hunter2"), "{}", whole.stdout);
    let json = p.run(&["show", "-json"]);
    json.expect_code(0);
    assert!(!json.stdout.contains("hunter2"));
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("show -json is JSON");
    assert_eq!(doc["values"]["resources"][1]["address"], "local_file.a[0]");
}

#[test]
fn state_rm_and_mv_bump_the_serial() {
    let p = project_with_state();
    let rm = p.run(&["state", "rm", "local_file.a[1]"]);
    rm.expect_code(0);
    assert!(rm.stdout.contains("Removed local_file.a[1]"), "{}", rm.stdout);
    assert_eq!(p.state()["serial"], 5);
    assert_eq!(p.state()["lineage"], state_doc()["lineage"]);
    let mv = p.run(&["state", "mv", "local_file.a[0]", "local_file.b"]);
    mv.expect_code(0);
    assert_eq!(p.state()["serial"], 6);
    assert_eq!(p.run(&["state", "list"]).stdout, "fake_resource.s\nlocal_file.b\n");
    let dependencies = &p.state()["resources"][0]["dependencies"];
    assert_eq!(dependencies, &serde_json::json!(["local_file.b"]));
    // Nothing matches: error, nothing written.
    p.run(&["state", "rm", "local_file.nope"]).expect_code(1);
    assert_eq!(p.state()["serial"], 6);
    assert!(!p.exists("contin.state.json.lock"));
}

#[test]
fn output_hides_sensitive_values_unless_raw() {
    let p = project_with_state();
    let all = p.run(&["output"]);
    all.expect_code(0);
    assert_eq!(all.stdout, "n = 2\npw = <sensitive>\n");
    assert_eq!(p.run(&["output", "pw"]).stdout, "<sensitive>\n");
    assert_eq!(p.run(&["output", "-raw", "pw"]).stdout, "hunter2");
    let json = p.run(&["output", "-json"]);
    assert!(!json.stdout.contains("hunter2"), "{}", json.stdout);
    p.run(&["output", "missing"]).expect_code(1);
}

#[test]
fn fmt_check_lists_files_and_exits_3() {
    let p = Project::empty();
    let messy = "resource \"local_file\" \"a\" {\nfilename=\"out/a\"\n  content = \"x\"\n}\n";
    p.write("main.hcl", messy);
    p.write("ok.hcl", "locals {\n  a = 1\n}\n");
    let check = p.run(&["fmt", "-check"]);
    check.expect_code(3);
    assert_eq!(check.stdout, "main.hcl\n");
    assert_eq!(p.read("main.hcl"), messy, "--check writes nothing");
    let diff = p.run(&["fmt", "-check", "-diff"]);
    diff.expect_code(3);
    assert!(diff.stdout.contains("-filename=\"out/a\"") && diff.stdout.contains("+  filename = \"out/a\""), "{}", diff.stdout);
    p.run(&["fmt"]).expect_code(0);
    assert_eq!(p.read("main.hcl"), "resource \"local_file\" \"a\" {\n  filename = \"out/a\"\n  content  = \"x\"\n}\n");
    p.run(&["fmt", "-check"]).expect_code(0);
}

#[test]
fn fmt_reports_syntax_errors_with_a_location() {
    let p = Project::with_main("locals {\n  a = \n}\n");
    let out = p.run(&["fmt"]);
    out.expect_code(1);
    assert!(out.stderr.contains("main.hcl:2:"), "{}", out.stderr);
}

#[test]
fn graph_prints_dot() {
    let p = Project::quickstart();
    let out = p.run(&["graph"]);
    out.expect_code(0);
    assert!(out.stdout.starts_with("digraph"), "{}", out.stdout);
    assert!(out.stdout.contains("null_resource.deploy"), "{}", out.stdout);
}

#[test]
fn init_reports_backend_and_providers() {
    let p = Project::quickstart();
    let out = p.run(&["init"]);
    out.expect_code(0);
    assert!(out.stdout.contains("successfully initialized"), "{}", out.stdout);
    assert!(out.stdout.contains("fake") && out.stdout.contains("local"), "{}", out.stdout);
}

#[test]
fn apply_json_prints_one_event_per_line() {
    let p = Project::with_main("resource \"fake_resource\" \"a\" {\n  name = \"a\"\n}\n\nresource \"fake_resource\" \"b\" {\n  name = fake_resource.a.id\n}\n");
    p.run(&["apply", "-json"]).expect_code(1);
    let out = p.run(&["apply", "-json", "-auto-approve"]);
    out.expect_code(0);
    let events: Vec<serde_json::Value> =
        out.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"))).collect();
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types.iter().filter(|t| **t == "apply_start").count(), 2, "{types:?}");
    assert_eq!(types.iter().filter(|t| **t == "apply_complete").count(), 2, "{types:?}");
    let summary = events.iter().find(|e| e["type"] == "apply_summary").expect("a summary line");
    assert_eq!(summary["added"], 2);
    assert_eq!(summary["failed"], serde_json::json!([]));
    let again = p.run(&["apply", "-json", "-auto-approve"]);
    again.expect_code(0);
    assert!(again.stdout.contains("\"added\":0"), "{}", again.stdout);
}

#[test]
fn import_records_an_existing_object_and_plans_no_op() {
    let cfg = "provider \"fake\" {\n  store = \"cloud.json\"\n}\nresource \"fake_resource\" \"a\" {\n  name = \"a\"\n}\n";
    let p = Project::with_main(cfg);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let id = p.state()["resources"][0]["attributes"]["id"].as_str().expect("id").to_string();
    // Forget it, then import it back under a new address.
    p.run(&["state", "rm", "fake_resource.a"]).expect_code(0);
    p.write("main.hcl", &cfg.replace("\"a\" {", "\"b\" {"));
    let missing = p.run(&["import", "fake_resource.nope", &id]);
    missing.expect_code(1);
    assert!(missing.stderr.contains("resource address fake_resource.nope does not exist in the configuration"), "{}", missing.stderr);
    let bad_id = p.run(&["import", "fake_resource.b", "no-such-id"]);
    bad_id.expect_code(1);
    assert!(bad_id.stderr.contains("fake_resource.b: import of \"no-such-id\" failed: NotFound"), "{}", bad_id.stderr);
    let out = p.run(&["import", "fake_resource.b", &id]);
    out.expect_code(0);
    assert!(out.stdout.contains("Import successful!"), "{}", out.stdout);
    let again = p.run(&["import", "fake_resource.b", &id]);
    again.expect_code(1);
    assert!(again.stderr.contains("already managed"), "{}", again.stderr);
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}
