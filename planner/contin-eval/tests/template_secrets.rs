//! Sensitive values passed to `templatefile`: they keep their mark inside
//! the template, so an error never shows them and the result is sensitive.

use contin_eval::{eval, parse_expr, Reference, Scope};
use contin_types::{Diagnostic, SourceLoc, Value};

const MARKER: &str = "MARKER-S3CR3T";

struct S;

impl Scope for S {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        match r {
            Reference::Var(n) if n == "secret" => Ok(Value::string(MARKER).mark_sensitive()),
            _ => Err(Diagnostic::error("unknown").at(loc.clone())),
        }
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        match path {
            "add.tpl" => Ok("${s + 1}".into()),
            "say.tpl" => Ok("token=${s} plain=${p}".into()),
            _ => Err(format!("no such file {path}")),
        }
    }
}

fn run(src: &str) -> Result<Value, contin_types::Diagnostics> {
    eval(&parse_expr(src, "main.hcl").expect("parses"), &S)
}

#[test]
fn arithmetic_on_a_sensitive_template_variable_hides_it() {
    let d = run(r#"templatefile("add.tpl", { s = var.secret })"#).expect_err("not a number");
    let shown = format!("{d} {d:?}");
    assert!(!shown.contains(MARKER), "{shown}");
    assert!(shown.contains("Invalid operand"), "{shown}");
}

#[test]
fn a_template_using_a_sensitive_variable_is_sensitive() {
    let v = run(r#"templatefile("say.tpl", { s = var.secret, p = "x" })"#).unwrap_or_else(|d| panic!("{d}"));
    assert!(v.is_sensitive(), "{v:?}");
    assert_eq!(v.unmarked(), &Value::string(format!("token={MARKER} plain=x")));
    let plain = run(r#"templatefile("say.tpl", { s = "a", p = "x" })"#).unwrap_or_else(|d| panic!("{d}"));
    assert!(!plain.contains_sensitive());
}
