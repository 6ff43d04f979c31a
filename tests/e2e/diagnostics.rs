//! Diagnostics goldens through the binary: every case must fail with exit 1
//! and print file:line:col with a snippet on stderr.

use contin_e2e::{insta_settings, Project};
use insta::assert_snapshot;

/// Runs `args` in a project made of `files`; checks exit 1 and `main.hcl:LINE:`
/// style locations, and snapshots stderr under `name`.
fn check(name: &str, files: &[(&str, &str)], args: &[&str], expect_loc: &str) {
    let p = Project::empty();
    for (file, text) in files {
        p.write(file, text);
    }
    let out = p.run(args);
    out.expect_code(1);
    assert!(out.stderr.contains(expect_loc), "{name}: expected a location {expect_loc:?} in:\n{}", out.stderr);
    assert!(out.stdout.is_empty() || !out.stdout.contains("Plan:"), "{name}: planned despite errors:\n{}", out.stdout);
    insta_settings(&p.filters()).bind(|| assert_snapshot!(name, out.stderr));
}

#[test]
fn syntax_error_validate() {
    check(
        "syntax_error",
        &[("main.hcl", "resource \"local_file\" \"a\" {\n  filename = \n}\n")],
        &["validate"],
        "main.hcl:2:",
    );
}

#[test]
fn two_syntax_errors_in_two_files() {
    check(
        "two_files",
        &[("a.hcl", "locals {\n  x = [1, 2\n}\n"), ("b.hcl", "variable \"v\" {\n  default = \"unterminated\n}\n")],
        &["validate"],
        "a.hcl:",
    );
}

#[test]
fn unknown_block_type() {
    check("unknown_block", &[("main.hcl", "resourse \"local_file\" \"a\" {\n  filename = \"x\"\n}\n")], &["validate"], "main.hcl:1:");
}

#[test]
fn unknown_reference() {
    check(
        "unknown_reference",
        &[("main.hcl", "resource \"local_file\" \"a\" {\n  filename = \"out/a\"\n  content  = local_file.missing.id\n}\n")],
        &["validate"],
        "main.hcl:3:",
    );
}

#[test]
fn undeclared_variable() {
    check(
        "undeclared_variable",
        &[("main.hcl", "resource \"local_file\" \"a\" {\n  filename = var.nope\n}\n")],
        &["plan"],
        "main.hcl:2:",
    );
}

#[test]
fn dependency_cycle() {
    let hcl = "resource \"fake_resource\" \"a\" {\n  name = fake_resource.b.id\n}\n\nresource \"fake_resource\" \"b\" {\n  name = fake_resource.a.id\n}\n";
    check("cycle", &[("main.hcl", hcl)], &["plan"], "main.hcl:");
}

#[test]
fn variable_type_mismatch() {
    let hcl = "variable \"n\" {\n  type = number\n}\n\nresource \"fake_resource\" \"a\" {\n  count = var.n\n  name  = \"a\"\n}\n";
    check("type_mismatch", &[("main.hcl", hcl)], &["plan", "-var", "n=lots"], "main.hcl:1:");
}

#[test]
fn bad_count() {
    let hcl = "resource \"fake_resource\" \"a\" {\n  count = -1\n  name  = \"a\"\n}\n";
    check("bad_count", &[("main.hcl", hcl)], &["plan"], "main.hcl:2:");
}

#[test]
fn for_each_over_a_list() {
    let hcl = "resource \"fake_resource\" \"a\" {\n  for_each = [\"x\", \"y\"]\n  name     = each.key\n}\n";
    check("for_each_list", &[("main.hcl", hcl)], &["plan"], "main.hcl:2:");
}

#[test]
fn missing_required_variable() {
    let hcl = "variable \"region\" {\n  type = string\n}\n\nresource \"fake_resource\" \"a\" {\n  name = var.region\n}\n";
    check("missing_variable", &[("main.hcl", hcl)], &["plan"], "main.hcl:1:");
}

#[test]
fn unknown_resource_attribute() {
    let hcl = "resource \"local_file\" \"a\" {\n  filenam = \"out/a\"\n}\n";
    check("unknown_attribute", &[("main.hcl", hcl)], &["plan"], "main.hcl:2:");
}

#[test]
fn function_called_wrongly() {
    let hcl = "resource \"fake_resource\" \"a\" {\n  name = upper(\"a\", \"b\")\n}\n";
    check("function_arity", &[("main.hcl", hcl)], &["plan"], "main.hcl:2:");
}

#[test]
fn validate_accepts_the_quickstart() {
    let p = Project::quickstart();
    let out = p.run(&["validate"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Success! The configuration is valid."), "{}", out.stdout);
}
