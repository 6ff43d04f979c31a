//! Terraform's file forms through the binary: `.tf` / `.tf.json` / `.hcl`
//! discovery, override files, auto-loaded tfvars (precedence checked against
//! terraform 1.11's answer), `TF_VAR_`, the `terraform {}` block, and the
//! diagnostics of each (goldens).

use contin_e2e::{insta_settings, Project};
use insta::assert_snapshot;

fn project(files: &[(&str, &str)]) -> Project {
    let p = Project::empty();
    for (f, t) in files {
        p.write(f, t);
    }
    p
}

/// Fails with exit 1; stderr snapshotted under `name`.
fn failing(name: &str, files: &[(&str, &str)], args: &[&str], expect: &[&str]) {
    let p = project(files);
    let out = p.run(args);
    out.expect_code(1);
    for e in expect {
        assert!(
            out.stderr.contains(e),
            "{name}: expected {e:?} in:\n{}",
            out.stderr
        );
    }
    insta_settings(&p.filters()).bind(|| assert_snapshot!(name, out.stderr));
}

const VARS: &str = r#"variable "a" {}
variable "b" {}
variable "c" {}
variable "d" {}
variable "e" {}
output "all" {
  value = "${var.a} ${var.b} ${var.c} ${var.d} ${var.e}"
}
"#;

#[test]
fn tfvars_precedence_matches_terraform() {
    let p = project(&[
        ("main.tf", VARS),
        (
            "terraform.tfvars",
            "a = \"tfvars\"\nb = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\nundeclared = 1\n",
        ),
        (
            "terraform.tfvars.json",
            r#"{"b": "tfvars.json", "c": "tfvars.json", "d": "tfvars.json"}"#,
        ),
        ("a.auto.tfvars", "c = \"a.auto\"\nd = \"a.auto\"\n"),
        ("b.auto.tfvars.json", r#"{"d": "b.auto.json"}"#),
        ("given.tfvars", "e = \"given\"\n"),
    ]);
    let out = p.run_with(
        &["plan", "-var-file=given.tfvars"],
        None,
        &[("TF_VAR_a", "env"), ("TF_VAR_e", "env")],
    );
    out.expect_code(0);
    // `terraform plan -var-file=given.tfvars` (1.11) in the same directory and environment prints:
    //   + all = "tfvars tfvars.json a.auto b.auto.json given"
    assert!(
        out.stdout
            .contains(r#"+ all = "tfvars tfvars.json a.auto b.auto.json given""#),
        "{}",
        out.all()
    );
    // Terraform warns about the undeclared value too.
    assert!(
        out.stderr.contains("Value for undeclared variable")
            && out.stderr.contains("terraform.tfvars:5:"),
        "{}",
        out.stderr
    );
    insta_settings(&p.filters()).bind(|| assert_snapshot!("tfvars_precedence", out.all()));
}

#[test]
fn tf_var_environment_and_contin_var_wins() {
    let p = project(&[("main.tf", "variable \"x\" {}\nvariable \"y\" {}\noutput \"o\" {\n  value = \"${var.x}/${var.y}\"\n}\n")]);
    let out = p.run_with(
        &["plan"],
        None,
        &[
            ("TF_VAR_x", "tf"),
            ("TF_VAR_y", "tf"),
            ("CONTIN_VAR_y", "contin"),
        ],
    );
    out.expect_code(0);
    assert!(out.stdout.contains(r#"+ o = "tf/contin""#), "{}", out.all());
}

#[test]
fn tf_json_hcl_and_tf_files_load_together() {
    let p = project(&[
        ("a.tf", "variable \"name\" {\n  default = \"x\"\n}\n"),
        (
            "b.tf.json",
            r#"{"locals": {"upper": "${upper(var.name)}"}, "output": {"o": {"value": "${local.upper}-${local.n}"}}}"#,
        ),
        ("c.hcl", "locals {\n  n = 3\n}\n"),
        ("main.tf.bak", "this is not read"),
        (".hidden.tf", "this is not read either"),
    ]);
    let out = p.run(&["plan"]);
    out.expect_code(0);
    assert!(out.stdout.contains(r#"+ o = "X-3""#), "{}", out.all());
}

#[test]
fn override_files_merge_like_terraform() {
    let p = project(&[
        ("main.tf", "variable \"v\" {\n  default     = \"base\"\n  description = \"kept\"\n}\nlocals {\n  l = \"base\"\n  k = \"base\"\n}\noutput \"o\" {\n  value = \"${var.v} ${local.l} ${local.k}\"\n}\n"),
        ("override.tf", "variable \"v\" {\n  default = \"override\"\n}\n"),
        ("x_override.tf.json", r#"{"locals": {"l": "json-override"}}"#),
    ]);
    let out = p.run(&["plan"]);
    out.expect_code(0);
    // terraform 1.11 plan of the same three files: + o = "override json-override base"
    assert!(
        out.stdout
            .contains(r#"+ o = "override json-override base""#),
        "{}",
        out.all()
    );
}

#[test]
fn override_without_base_golden() {
    failing(
        "override_missing_base",
        &[
            ("main.tf", "locals {\n  a = 1\n}\n"),
            ("override.tf", "variable \"ghost\" {\n  default = 1\n}\n"),
        ],
        &["validate"],
        &["override.tf:1:", "Missing variable to override"],
    );
}

#[test]
fn tf_json_errors_golden() {
    failing(
        "tf_json_errors",
        &[(
            "main.tf.json",
            "{\n  \"variable\": {\n    \"v\": {\n      \"defualt\": 1\n    }\n  },\n  \"locals\": {\n    \"a\": \"${var.v +}\"\n  }\n}\n",
        )],
        &["validate"],
        &["main.tf.json:8:"],
    );
    failing(
        "tf_json_unknown_argument",
        &[(
            "main.tf.json",
            "{\n  \"variable\": {\n    \"v\": {\n      \"defualt\": 1\n    }\n  }\n}\n",
        )],
        &["validate"],
        &["main.tf.json:4:8", "Did you mean \"default\"?"],
    );
    failing(
        "tf_json_syntax",
        &[(
            "main.tf.json",
            "{\n  \"locals\": {\n    \"a\": 1,\n  }\n}\n",
        )],
        &["validate"],
        &["main.tf.json:4:3"],
    );
}

#[test]
fn validate_reports_every_file_level_problem_at_once() {
    failing(
        "validate_all_at_once",
        &[
            ("versions.tf", "terraform {\n  required_version = \">= 2.0\"\n  required_providers {\n    cloudflare = {\n      source = \"cloudflare/cloudflare\"\n    }\n  }\n  cloud {\n    organization = \"acme\"\n  }\n}\n"),
            ("vars.tf", "variable \"v\" {\n  description = <<-EOT\n    A heredoc description.\n  EOT\n  defualt = 1\n}\n"),
            ("extra.tf.json", "{\"output\": {\"o\": {\"vaule\": 1}}}"),
        ],
        &["validate"],
        &["versions.tf:2:", "versions.tf:4:", "vars.tf:5:", "extra.tf.json:1:", "Unsupported Terraform Core version", "not built into contin"],
    );
}

#[test]
fn required_version_golden() {
    failing(
        "required_version",
        &[(
            "versions.tf",
            "terraform {\n  required_version = \"~> 0.14.0\"\n}\n",
        )],
        &["plan"],
        &["versions.tf:2:22", "1.11.4"],
    );
}

#[test]
fn nothing_to_load_names_the_directory_and_what_is_there() {
    let p = project(&[("README.md", "hi"), ("main.tf.bak", "x")]);
    let out = p.run(&["validate"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("no *.tf, *.tf.json or *.hcl files in"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("(found: README.md, main.tf.bak)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&p.path().display().to_string()),
        "{}",
        out.stderr
    );
}

#[test]
fn cloud_block_is_a_warning_naming_the_state() {
    let p = project(&[("main.tf", "terraform {\n  cloud {\n    organization = \"acme\"\n  }\n}\noutput \"o\" {\n  value = 1\n}\n")]);
    let out = p.run(&["plan"]);
    out.expect_code(0);
    assert!(
        out.stderr.contains("The cloud block is ignored")
            && out.stderr.contains("contin.state.json"),
        "{}",
        out.all()
    );
}

#[test]
fn tf_json_values_match_terraform() {
    let p = project(&[(
        "main.tf.json",
        r#"{
  "//": "comment",
  "variable": {
    "names": { "type": "list(string)", "default": ["a", "${b}"] },
    "n": { "type": "number", "default": 2 }
  },
  "locals": [
    { "joined": "${join(\",\", var.names)}", "obj": { "k": "v-${var.n}", "list": [1, "${var.n + 1}"] } },
    { "esc": "a\/b $${literal}" }
  ],
  "output": {
    "joined": { "value": "${local.joined}" },
    "obj": { "value": "${local.obj}" },
    "esc": { "value": "${local.esc}" },
    "num": { "value": 1.5e2 }
  }
}
"#,
    )]);
    let out = p.run(&["plan"]);
    out.expect_code(0);
    // terraform 1.11 `plan` of the same file:
    //   + esc    = "a/b ${literal}"
    //   + joined = "a,${b}"
    //   + num    = 150
    //   + obj    = { + k = "v-2", + list = [ + 1, + 3, ] }
    for want in [
        r#"+ esc = "a/b ${literal}""#,
        r#"+ joined = "a,${b}""#,
        "+ num = 150",
        r#"+ k    = "v-2""#,
        "+ 3,",
    ] {
        assert!(
            out.stdout.contains(want),
            "missing {want:?} in:\n{}",
            out.all()
        );
    }
}
