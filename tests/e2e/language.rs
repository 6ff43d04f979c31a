//! Terraform language blocks through the binary: `dynamic` blocks,
//! `precondition` / `postcondition`, `moved`, `removed`, `import`, `check`,
//! `replace_triggered_by`, heredoc descriptions, `path.*` and
//! `terraform.workspace`; `validate` rejects what `plan` rejects.

use contin_e2e::{insta_settings, Project};
use insta::assert_snapshot;

fn project(files: &[(&str, &str)]) -> Project {
    let p = Project::empty();
    for (f, t) in files {
        p.write(f, t);
    }
    p
}

fn state_addresses(p: &Project) -> Vec<String> {
    let out = p.run(&["state", "list"]);
    out.expect_code(0);
    out.stdout.lines().map(str::to_string).collect()
}

#[test]
fn dynamic_blocks_generate_nested_blocks() {
    let p = project(&[(
        "main.tf",
        r#"provider "aws" {
  region = "us-east-1"
}
variable "ports" {
  default = { ssh = 22, web = 80 }
}
resource "aws_security_group" "sg" {
  name = "web"
  dynamic "ingress" {
    for_each = var.ports
    iterator = p
    content {
      description = p.key
      from_port   = p.value
      to_port     = p.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
"#,
    )]);
    p.run(&["validate"]).expect_code(0);
    // Planning a create calls no AWS API: a dead endpoint proves it.
    let env = [("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:1")];
    let out = p.run_with(&["plan"], None, &env);
    out.expect_code(0);
    let squeezed = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(squeezed.contains("+ description = \"ssh\"") && squeezed.contains("+ from_port = 80"), "{}", out.stdout);
    insta_settings(&p.filters()).bind(|| assert_snapshot!("dynamic_plan", out.stdout));
}

#[test]
fn validate_rejects_malformed_language_blocks_like_plan() {
    let p = project(&[(
        "main.tf",
        r#"resource "null_resource" "a" {
  dynamic "x" {
    for_each = [1]
  }
  lifecycle {
    precondition {
      condition = true
    }
  }
}
check "empty" {}
"#,
    )]);
    let v = p.run(&["validate"]);
    v.expect_code(1);
    for e in ["must have exactly one content block", "Missing required argument \"error_message\"", "Missing assert block"] {
        assert!(v.stderr.contains(e), "validate: expected {e:?} in:\n{}", v.stderr);
    }
    assert!(v.stderr.contains("main.tf:2:3"), "{}", v.stderr);
    insta_settings(&p.filters()).bind(|| assert_snapshot!("validate_errors", v.stderr));
    p.run(&["plan"]).expect_code(1);
    // Once the files parse: statements that contradict the configuration.
    let p = project(&[(
        "main.tf",
        r#"resource "null_resource" "b" {}
moved {
  from = null_resource.b
  to   = null_resource.c
}
removed {
  from = null_resource.b
}
"#,
    )]);
    let v = p.run(&["validate"]);
    v.expect_code(1);
    assert!(v.stderr.contains("Moved object still exists") && v.stderr.contains("main.tf:3:10"), "{}", v.stderr);
    assert!(v.stderr.contains("Removed resource still exists") && v.stderr.contains("main.tf:7:10"), "{}", v.stderr);
}

#[test]
fn conditions_fail_plan_with_their_message_and_never_a_secret() {
    let p = project(&[(
        "main.tf",
        r#"variable "token" {
  default   = "hunter2"
  sensitive = true
}
variable "n" {
  default = 3
}
resource "null_resource" "a" {
  triggers = { n = var.n }
  lifecycle {
    precondition {
      condition     = var.n < 2
      error_message = "n must be below 2, got ${var.n}"
    }
  }
}
output "o" {
  value = "x"
  precondition {
    condition     = var.token == "other"
    error_message = "token ${var.token} is wrong"
  }
}
"#,
    )]);
    let out = p.run(&["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("Resource precondition failed") && out.stderr.contains("n must be below 2, got 3"), "{}", out.stderr);
    assert!(out.stderr.contains("main.tf:12"), "names the condition's line: {}", out.stderr);
    assert!(out.stderr.contains("Module output value precondition failed"), "{}", out.stderr);
    assert!(!out.all().contains("hunter2"), "{}", out.all());
    insta_settings(&p.filters()).bind(|| assert_snapshot!("condition_errors", out.stderr));
}

#[test]
fn postconditions_see_self() {
    let p = project(&[(
        "main.tf",
        r#"resource "null_resource" "a" {
  triggers = { size = "small" }
  lifecycle {
    postcondition {
      condition     = self.triggers.size == "large"
      error_message = "size is ${self.triggers.size}"
    }
  }
}
"#,
    )]);
    let out = p.run(&["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("Resource postcondition failed") && out.stderr.contains("size is small"), "{}", out.stderr);
}

#[test]
fn moved_removed_and_check_blocks_through_apply() {
    let p = project(&[(
        "main.tf",
        r#"resource "null_resource" "a" {
  triggers = { n = "1" }
}
resource "null_resource" "keep" {}
resource "null_resource" "gone" {}
"#,
    )]);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let before = p.state();
    let id_of = |s: &serde_json::Value, addr: &str| {
        s["resources"].as_array().and_then(|rs| rs.iter().find(|r| r["addr"] == addr)).map(|r| r["attributes"]["id"].clone())
    };
    let a_id = id_of(&before, "null_resource.a").unwrap_or_else(|| panic!("no a in {before}"));
    p.write(
        "main.tf",
        r#"resource "null_resource" "b" {
  triggers = { n = "1" }
}
resource "null_resource" "keep" {}
moved {
  from = null_resource.a
  to   = null_resource.b
}
removed {
  from = null_resource.gone
  lifecycle {
    destroy = false
  }
}
check "n_is_2" {
  assert {
    condition     = null_resource.b.triggers.n == "2"
    error_message = "n is not 2"
  }
}
"#,
    );
    let plan = p.run(&["plan"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("  # null_resource.a has moved to null_resource.b\n"), "{}", plan.stdout);
    assert!(plan.stdout.contains("null_resource.gone will no longer be managed by contin, but will not be destroyed"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stderr.contains("Check block assertion failed") && plan.stderr.contains("n is not 2"), "a warning: {}", plan.stderr);
    // null_resource ids are random.
    let mut filters = p.filters();
    filters.push((r#"id = "\d+""#.to_string(), r#"id = "[ID]""#.to_string()));
    insta_settings(&filters).bind(|| assert_snapshot!("moved_removed_plan", plan.stdout));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(state_addresses(&p), ["null_resource.b", "null_resource.keep"]);
    // The same object, now at its new address.
    assert_eq!(id_of(&p.state(), "null_resource.b"), Some(a_id));
    let again = p.run(&["plan"]);
    again.expect_code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

#[test]
fn import_blocks_plan_and_apply_under_the_lock() {
    // The fake cloud: a store file the provider creates on first use.
    let store_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let store_path = store_dir.path().join("cloud.json").display().to_string();
    let provider = format!("provider \"fake\" {{\n  store = \"{store_path}\"\n}}\n");
    // One project creates two objects in the fake cloud...
    let first = project(&[(
        "main.tf",
        &format!("{provider}resource \"fake_resource\" \"a\" {{\n  count = 2\n  name  = \"n${{count.index}}\"\n}}\noutput \"ids\" {{\n  value = fake_resource.a[*].id\n}}\n"),
    )]);
    first.run(&["apply", "-auto-approve"]).expect_code(0);
    let ids = first.state()["outputs"]["ids"]["value"].clone();
    let ids: Vec<String> = ids.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
    assert_eq!(ids.len(), 2, "{ids:?}");
    // ...another imports them with import blocks (for_each), one unchanged, one updated.
    let second = project(&[(
        "main.tf",
        &format!(
            r#"{provider}locals {{
  ids = {{ n0 = "{}", n1 = "{}" }}
}}
resource "fake_resource" "b" {{
  for_each = local.ids
  name     = each.key == "n0" ? "n0" : "renamed"
}}
import {{
  for_each = local.ids
  to       = fake_resource.b[each.key]
  id       = each.value
}}
"#,
            ids[0], ids[1]
        ),
    )]);
    let plan = second.run(&["plan"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("  # fake_resource.b[\"n0\"] will be imported\n"), "{}", plan.stdout);
    assert!(plan.stdout.contains(&format!("  # fake_resource.b[\"n1\"] will be updated in-place\n  # (imported from \"{}\")\n", ids[1])), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 2 to import, 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    second.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(state_addresses(&second), ["fake_resource.b[\"n0\"]", "fake_resource.b[\"n1\"]"]);
    let again = second.run(&["plan"]);
    again.expect_code(0);
    assert!(again.stdout.contains("No changes."), "imported objects stay managed: {}", again.stdout);
}

#[test]
fn heredoc_description_path_and_workspace() {
    let p = project(&[
        (
            "main.tf",
            r#"variable "greeting" {
  description = <<-EOT
    A heredoc description,
    on two lines.
  EOT
  default = "hi"
}
module "m" {
  source = "./mod"
}
output "where" {
  value = "${terraform.workspace} ${path.module} ${path.root} ${module.m.dir}"
}
"#,
        ),
        ("mod/main.tf", "output \"dir\" {\n  value = path.module\n}\n"),
    ]);
    p.run(&["validate"]).expect_code(0);
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(0);
    assert!(out.stdout.contains("where = \"default . . mod\""), "{}", out.stdout);
}

#[test]
fn ephemeral_variables_stay_out_of_resources_and_outputs() {
    let p = project(&[(
        "main.tf",
        r#"variable "session" {
  ephemeral = true
  default   = "s"
}
resource "null_resource" "a" {
  triggers = { s = var.session }
}
"#,
    )]);
    let out = p.run(&["validate"]);
    out.expect_code(1);
    assert!(out.stderr.contains("Invalid use of ephemeral value") && out.stderr.contains("main.tf:6"), "{}", out.stderr);
}

/// A data source that `depends_on` an object with changes pending is read
/// during apply (Terraform's rule), and its computed attributes plan as
/// unknown (not absent), so references to them plan.
#[test]
fn data_source_read_during_apply_has_unknown_computed_attributes() {
    let p = project(&[(
        "main.tf",
        r#"resource "local_file" "src" {
  filename = "${path.module}/src.txt"
  content  = "hello"
}
data "local_file" "copy" {
  filename   = "${path.module}/src.txt"
  depends_on = [local_file.src]
}
resource "local_file" "dst" {
  filename = "${path.module}/dst.txt"
  content  = upper(data.local_file.copy.content)
}
output "sha" {
  value = data.local_file.copy.content_sha256
}
"#,
    )]);
    let out = p.run(&["plan"]);
    out.expect_code(0);
    assert!(out.stdout.contains("data.local_file.copy will be read during apply"), "{}", out.stdout);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(p.path().join("dst.txt")).unwrap(), "HELLO");
}
