//! Provider aliases (issue 9): several configurations of one provider type,
//! `provider = TYPE.ALIAS` on resources, recorded in state so refresh and
//! destroy use the same configuration.

use contin_e2e::Project;

const TWO_CLOUDS: &str = r#"
provider "fake" {
  store = "east.json"
}

provider "fake" {
  alias = "west"
  store = "west.json"
}

resource "fake_resource" "e" {
  name = "in-east"
}

resource "fake_resource" "w" {
  provider = fake.west
  name     = "in-west"
  value    = fake_resource.e.id
}
"#;

fn names_in(p: &Project, store: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(&p.read(store)).expect("store is JSON");
    let mut names: Vec<String> = doc["objects"]
        .as_object()
        .expect("objects")
        .values()
        .map(|o| o["attributes"]["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn each_configuration_gets_its_own_resources() {
    let p = Project::with_main(TWO_CLOUDS);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(names_in(&p, "east.json"), ["in-east"]);
    assert_eq!(names_in(&p, "west.json"), ["in-west"]);
    let state = p.state();
    let provider_of = |addr: &str| {
        state["resources"].as_array().expect("resources").iter().find(|r| r["addr"] == addr).map(|r| r["provider"].clone())
    };
    assert_eq!(provider_of("fake_resource.w"), Some("fake.west".into()));
    assert_eq!(provider_of("fake_resource.e"), Some("fake".into()));

    // Refresh reads each object through its own configuration: no drift.
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // Destroy deletes through the aliased configuration too.
    p.run(&["destroy", "-auto-approve"]).expect_code(0);
    assert!(names_in(&p, "east.json").is_empty());
    assert!(names_in(&p, "west.json").is_empty());
}

#[test]
fn an_undeclared_alias_is_a_located_error() {
    let p = Project::with_main("resource \"fake_resource\" \"x\" {\n  provider = fake.nowhere\n  name     = \"x\"\n}\n");
    let out = p.run(&["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("Provider configuration not present"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:1:1"), "{}", out.stderr);
    assert!(out.stderr.contains("alias = \"nowhere\""), "{}", out.stderr);
}
