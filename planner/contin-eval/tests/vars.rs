//! Variable input: precedence, raw vs HCL values, type checks, messages.

use contin_config::{parse_files, Config};
use contin_eval::vars::{resolve_variables, VarInputs};
use contin_eval::EmptyScope;
use contin_types::{Diagnostics, Value};
use std::collections::BTreeMap;

const DECLS: &str = r#"
variable "env" {
  type    = string
  default = "dev"
}
variable "replicas" {
  type    = number
  default = 1
}
variable "zones" {
  type    = list(string)
  default = ["a"]
}
variable "password" {
  type      = string
  sensitive = true
  default   = "changeme"
}
variable "untyped" {
  default = "u"
}
variable "settings" {
  type = object({ size = number, name = optional(string, "n") })
  default = { size = 1 }
}
variable "port" {
  type    = number
  default = 80
  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "Port must be between 1 and 65535."
  }
}
"#;

fn config(text: &str) -> Config {
    let (cfg, diags) = parse_files(&[("main.hcl".to_string(), text.to_string())]);
    assert!(!diags.has_errors(), "{diags:?}");
    cfg
}

fn resolve(text: &str, inputs: VarInputs) -> Result<BTreeMap<String, Value>, Diagnostics> {
    resolve_variables(&config(text).variables, &inputs, &EmptyScope)
}

fn inputs(files: &[(&str, &str)], cli: &[&str], env: &[(&str, &str)]) -> VarInputs {
    VarInputs {
        files: files.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        cli: cli.iter().map(|s| s.to_string()).collect(),
        env: env.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
    }
}

#[test]
fn defaults_and_precedence() {
    let v = resolve(DECLS, VarInputs::default()).expect("defaults are enough");
    assert_eq!(v["env"], Value::string("dev"));
    assert_eq!(v["zones"], Value::List(vec![Value::string("a")]));
    assert_eq!(v["settings"], Value::map([("size", Value::int(1)), ("name", Value::string("n"))]));
    assert_eq!(v["password"], Value::string("changeme").mark_sensitive());

    let v = resolve(
        DECLS,
        inputs(
            &[("a.tfvars", "env = \"file-a\"\nreplicas = 2\n"), ("b.tfvars", "env = \"file-b\"\n")],
            &["replicas=5", "replicas=7"],
            &[("CONTIN_VAR_env", "from-env"), ("CONTIN_VAR_zones", "[\"x\", \"y\"]"), ("CONTIN_VAR_other", "ignored")],
        ),
    )
    .expect("valid inputs");
    assert_eq!(v["env"], Value::string("file-b"), "later files win over earlier files and env");
    assert_eq!(v["replicas"], Value::int(7), "-var wins, the last one");
    assert_eq!(v["zones"], Value::List(vec![Value::string("x"), Value::string("y")]), "complex env values are HCL");

    let v = resolve(DECLS, inputs(&[], &["untyped=[1]", "env=a=b", "replicas=03"], &[])).expect("valid");
    assert_eq!(v["untyped"], Value::string("[1]"), "untyped -var values are raw strings");
    assert_eq!(v["env"], Value::string("a=b"));
    assert_eq!(v["replicas"], Value::int(3));
}

#[test]
fn missing_required_variable() {
    let d = resolve("variable \"region\" {\n  type = string\n}\n", VarInputs::default()).expect_err("required");
    let d = &d.0[0];
    assert_eq!(d.summary, "No value for required variable \"region\"");
    assert!(d.detail.contains("--var region=") && d.detail.contains("CONTIN_VAR_region"), "{}", d.detail);
    assert_eq!(d.loc.as_ref().map(|l| l.file.as_str()), Some("main.hcl"));
}

#[test]
fn type_mismatches_name_variable_type_and_place() {
    let d = resolve(DECLS, inputs(&[("prod.tfvars", "env = \"x\"\nreplicas = \"many\"\n")], &[], &[])).expect_err("bad number");
    let d = &d.0[0];
    assert_eq!(d.summary, "Invalid value for input variable");
    assert!(d.detail.contains("var.replicas") && d.detail.contains("prod.tfvars:2:12") && d.detail.contains("number"), "{}", d.detail);
    assert_eq!(d.loc.as_ref().map(|l| l.file.as_str()), Some("prod.tfvars"));

    let d = resolve(DECLS, inputs(&[], &["zones=[[1]]"], &[])).expect_err("bad list");
    assert!(d.0[0].detail.contains("-var") && d.0[0].detail.contains("list(string)"), "{}", d.0[0].detail);

    let d = resolve(DECLS, inputs(&[], &["settings={name = \"x\"}"], &[])).expect_err("missing attribute");
    assert!(d.0[0].detail.contains("attribute \"size\" is required"), "{}", d.0[0].detail);
}

#[test]
fn undeclared_and_malformed_inputs() {
    let d = resolve(DECLS, inputs(&[("x.tfvars", "nope = 1\n")], &["also_nope=2", "novalue"], &[])).expect_err("undeclared");
    let summaries: Vec<&str> = d.0.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(summaries, ["Value for undeclared variable", "Value for undeclared variable", "Invalid -var option"]);
    let d = resolve(DECLS, inputs(&[("x.tfvars", "env = var.other\n")], &[], &[])).expect_err("no references");
    assert_eq!(d.0[0].summary, "Variables not allowed");
}

#[test]
fn validation_rules() {
    let d = resolve(DECLS, inputs(&[], &["port=70000"], &[])).expect_err("out of range");
    assert_eq!(d.0[0].summary, "Invalid value for variable");
    assert!(d.0[0].detail.starts_with("Port must be between 1 and 65535."), "{}", d.0[0].detail);
    assert!(resolve(DECLS, inputs(&[], &["port=8080"], &[])).is_ok());
}
