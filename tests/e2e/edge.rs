//! End-to-end tests: the edge site tree (edge_site blocks) through the real
//! binary: apply, no-op replan, the tree in state / `state list` / `show`,
//! located diagnostics for a bad tree, and unreachable objects on refresh.

use contin_e2e::{insta_settings, Project};

const SITES: &str = r#"
edge_site "eu" {
  kind       = "region"
  latency_ms = 20
}

edge_site "factory7" {
  parent        = edge_site.eu
  latency_ms    = 4
  labels        = { line = "A" }
  cost_per_hour = 0.4
  capacity {
    cpu    = 16
    memory = "64Gi"
    gpu    = 1
  }
  power {
    watts_idle = 60
    watts_max  = 300
  }
}

edge_site "line1" {
  parent = edge_site.factory7
  kind   = "subsite"
}

edge_site "berlin" {
  parent = edge_site.eu
}

output "line1_path" {
  value = edge_site.line1.path
}
"#;

#[test]
fn site_tree_is_applied_recorded_and_listed() {
    let p = Project::with_main(SITES);
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Resources: 4 added"), "{}", out.stdout);

    let state = p.state();
    let sites = &state["sites"];
    assert_eq!(sites["eu"]["children"], serde_json::json!(["berlin", "factory7"]));
    assert_eq!(sites["factory7"]["parent"], "eu");
    assert_eq!(sites["factory7"]["latency_total_ms"], 24);
    assert_eq!(sites["factory7"]["capacity"]["memory"], "64Gi");
    assert_eq!(sites["line1"]["path"], serde_json::json!(["eu", "factory7", "line1"]));
    assert_eq!(sites["line1"]["kind"], "subsite");

    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    let list = p.run(&["state", "list"]);
    list.expect_code(0);
    insta_settings(&p.filters()).bind(|| insta::assert_snapshot!("edge_state_list", list.stdout));
    let one = p.run(&["state", "show", "edge_site.factory7"]);
    one.expect_code(0);
    assert!(one.stdout.starts_with("# edge_site.factory7:\nedge_site \"factory7\" {\n"), "{}", one.stdout);
    let show = p.run(&["show"]);
    assert!(show.stdout.contains("Edge sites:\n  eu (region, 20 ms from the cloud)\n"), "{}", show.stdout);

    // Moving a site re-parents it in place; the tree follows.
    p.write("main.hcl", &SITES.replace("parent = edge_site.factory7", "parent = edge_site.berlin"));
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(0);
    let sites = &p.state()["sites"];
    assert_eq!(sites["berlin"]["children"], serde_json::json!(["line1"]));
    assert_eq!(sites["line1"]["latency_total_ms"], 20);

    // Editing state by hand keeps the tree in step.
    p.run(&["state", "rm", "edge_site.line1"]).expect_code(0);
    let sites = &p.state()["sites"];
    assert!(sites.get("line1").is_none(), "{sites}");
    assert_eq!(sites["berlin"]["children"], serde_json::json!([]));

    p.run(&["destroy", "-auto-approve"]).expect_code(0);
    assert_eq!(p.state()["sites"], serde_json::json!({}));
}

#[test]
fn bad_trees_are_reported_at_the_parent_argument() {
    let p = Project::with_main(
        "edge_site \"a\" { parent = edge_site.c }\nedge_site \"b\" { parent = edge_site.a }\nedge_site \"c\" { parent = edge_site.b }\n\
         edge_site \"d\" { parent = edge_site.europe }\nedge_site \"a\" {}\n",
    );
    let out = p.run(&["validate"]);
    out.expect_code(1);
    insta_settings(&p.filters()).bind(|| insta::assert_snapshot!("edge_bad_tree", out.stderr));
    assert!(!p.exists("contin.state.json"));
}

#[test]
fn unreachable_object_is_a_warning_and_stays_in_state() {
    let p = Project::with_main("variable \"fail\" {\n  default = null\n}\nresource \"fake_resource\" \"a\" {\n  name    = \"a\"\n  fail_on = var.fail\n}\n");
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    p.run(&["apply", "-auto-approve", "-var", "fail=unreachable"]).expect_code(0);
    let before = p.state();
    let out = p.run(&["plan", "-detailed-exitcode", "-var", "fail=unreachable"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Warning: fake_resource.a is unreachable"), "{}", out.stdout);
    let json = p.run(&["plan", "-json", "-var", "fail=unreachable"]);
    assert!(json.stdout.contains("\"unreachable\""), "{}", json.stdout);
    let destroy_plan = p.run(&["apply", "-auto-approve", "-var", "fail=unreachable"]);
    destroy_plan.expect_code(0);
    assert_eq!(p.state()["resources"], before["resources"], "an unreachable object is never dropped");
}
