//! `contin console` through the binary: expressions against variables,
//! locals, module outputs and the recorded state, printed as terraform
//! 1.11.4's console prints them (the expected texts below are its answers,
//! `echo EXPR | terraform console`), piped-mode rules (only the last answer,
//! the first error ends the run with exit 1), `exit`, the console-only
//! `type()`, and sensitive values hidden.

use contin_e2e::{insta_settings, Project};
use insta::assert_snapshot;

const MAIN: &str = r#"variable "names" {
  type    = list(string)
  default = ["a", "b"]
}
variable "secret" {
  type      = string
  default   = "hunter2-console"
  sensitive = true
}
locals {
  upper = { for n in var.names : n => upper(n) }
  tags  = tomap({ env = "dev" })
}
resource "random_pet" "p" {
  length = 3
}
module "m" {
  source = "./mod"
  x      = 3
}
"#;

fn project() -> Project {
    let p = Project::empty();
    p.write("main.tf", MAIN);
    p.write("mod/main.tf", "variable \"x\" {}\noutput \"y\" { value = var.x * 2 }\n");
    p
}

fn console(p: &Project, input: &str) -> contin_e2e::Output {
    p.run_with(&["console"], Some(input), &[])
}

/// `terraform console`'s answers (1.11.4) to expressions that need no configuration.
const TERRAFORM_ANSWERS: &[(&str, &str)] = &[
    (r#"["a", 1]"#, "[\n  \"a\",\n  1,\n]"),
    (r#"tolist(["a","b"])"#, "tolist([\n  \"a\",\n  \"b\",\n])"),
    (r#"toset(["b","a"])"#, "toset([\n  \"a\",\n  \"b\",\n])"),
    (r#"{a = 1, "b c" = [2]}"#, "{\n  \"a\" = 1\n  \"b c\" = [\n    2,\n  ]\n}"),
    ("tomap({a=1})", "tomap({\n  \"a\" = 1\n})"),
    (r#""x\ny""#, "<<EOT\nx\ny\nEOT"),
    ("tostring(null)", "tostring(null)"),
    (r#"csvdecode("a,b\n1,2")"#, "tolist([\n  {\n    \"a\" = \"1\"\n    \"b\" = \"2\"\n  },\n])"),
    (r#"setproduct(["a"], ["b"])"#, "tolist([\n  [\n    \"a\",\n    \"b\",\n  ],\n])"),
    ("1e30", "1000000000000000000000000000000"),
    (r#"sensitive("x")"#, "(sensitive value)"),
    ("type(tolist([{a=1}]))", "list(\n    object({\n        a: number,\n    }),\n)"),
    (r#"type(["a", 1])"#, "tuple([\n    string,\n    number,\n])"),
];

#[test]
fn answers_match_terraform_console() {
    let p = Project::empty();
    for (expr, want) in TERRAFORM_ANSWERS {
        let out = console(&p, &format!("{expr}\n"));
        out.expect_code(0);
        assert_eq!(out.stdout, format!("{want}\n"), "{expr}");
    }
}

#[test]
fn configuration_and_state_are_in_scope() {
    let p = project();
    // Before apply the resource is unknown, as in terraform's console.
    let out = console(&p, "random_pet.p.id\n");
    out.expect_code(0);
    assert_eq!(out.stdout, "(known after apply)\n");
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let id = p.state()["resources"][0]["attributes"]["id"].as_str().map(str::to_string).unwrap_or_default();
    assert_eq!(id.split('-').count(), 3, "{id}");
    for (expr, want) in [
        ("var.names", "tolist([\n  \"a\",\n  \"b\",\n])".to_string()),
        ("local.upper", "{\n  \"a\" = \"A\"\n  \"b\" = \"B\"\n}".to_string()),
        ("local.tags", "tomap({\n  \"env\" = \"dev\"\n})".to_string()),
        ("module.m.y", "6".to_string()),
        ("random_pet.p.id", format!("\"{id}\"")),
        ("upper(random_pet.p.id)", format!("\"{}\"", id.to_uppercase())),
        ("random_pet.p.length", "3".to_string()),
        ("type(var.names)", "list(string)".to_string()),
        ("path.module", "\".\"".to_string()),
        ("terraform.workspace", "\"default\"".to_string()),
        ("var.secret", "(sensitive value)".to_string()),
        ("{s = var.secret}", "{\n  \"s\" = (sensitive value)\n}".to_string()),
    ] {
        let out = console(&p, &format!("{expr}\n"));
        out.expect_code(0);
        assert_eq!(out.stdout, format!("{want}\n"), "{expr}");
        assert!(!out.all().contains("hunter2-console"), "{expr} leaked the secret: {}", out.all());
    }
}

#[test]
fn piped_input_prints_the_last_answer_and_stops_at_the_first_error() {
    let p = project();
    let out = console(&p, "1 + 1\nvar.names[0]\n");
    out.expect_code(0);
    assert_eq!(out.stdout, "\"a\"\n");
    // `exit` ends the session without printing.
    let out = console(&p, "1\nexit\n2\n");
    out.expect_code(0);
    assert_eq!(out.stdout, "");
    let out = console(&p, "1\nvar.nope\n3\n");
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    let out = console(&p, "length(type([]))\n");
    out.expect_code(1);
    assert!(out.stderr.contains("Invalid use of type function"), "{}", out.stderr);
    let out = console(&p, "\"%{\"\n");
    out.expect_code(1);
    assert!(out.stderr.contains("<console-input>:1:"), "{}", out.stderr);
}

#[test]
fn errors_name_the_input() {
    let p = project();
    let out = console(&p, "var.nope\n");
    out.expect_code(1);
    insta_settings(&p.filters()).bind(|| assert_snapshot!("console_undeclared_variable", out.stderr));
}
