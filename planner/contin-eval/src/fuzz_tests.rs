//! Fuzz targets (see `fuzz.rs` for how to run them long) and the
//! regression tests of the crashers they found.

use crate::fuzz::{expr, run, Rng};
use crate::{check_cycles, eval, eval_body, parse_expr, Reference, Scope};
use contin_types::{Diagnostic, SourceLoc, Value};

/// Values for the references the grammar produces; files for file().
struct FuzzScope;

impl Scope for FuzzScope {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        match r {
            Reference::Var(n) if n == "secret" => Ok(Value::string("hunter2-MARKER").mark_sensitive()),
            Reference::Var(n) if n == "list" => Ok(Value::List(vec![Value::int(1), Value::string("a"), Value::Null])),
            Reference::Var(n) if n == "map" => Ok(Value::map([("a", Value::int(1)), ("b", Value::Unknown)])),
            Reference::Var(n) if n == "unknown" => Ok(Value::Unknown),
            _ => Err(Diagnostic::error("Reference to undeclared value").at(loc.clone())),
        }
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        match path {
            "a" => Ok("${templatefile(\"a\", {})}".into()),
            _ => Err(format!("cannot read {path}")),
        }
    }
}

/// Evaluates one expression text; every diagnostic must point inside it.
fn eval_text(src: &str) {
    if std::env::var_os("CONTIN_FUZZ_DUMP").is_some() {
        eprintln!("input: {src:?}");
    }
    let Ok(e) = parse_expr(src, "f.hcl") else { return };
    if let Err(diags) = eval(&e, &FuzzScope) {
        for d in diags.iter() {
            if let Some(loc) = &d.loc {
                if loc.file == "f.hcl" {
                    assert!(loc.span.end <= src.len() + 1, "{src}: {d:?}");
                }
            }
            // nonsensitive() removes the mark on purpose.
            if !src.contains("nonsensitive") {
                assert!(!format!("{}{}", d.summary, d.detail).contains("hunter2-MARKER"), "secret in {d:?}");
            }
        }
    }
}

#[test]
fn fuzz_evaluator_grammar() {
    run("evaluator", |seed| {
        let mut r = Rng::new(seed);
        let src = expr(&mut r, 5);
        eval_text(&src);
    });
}

/// Random HCL from a grammar of blocks, attributes and expressions, plus
/// random byte edits of it: parse, check cycles, evaluate every local.
#[test]
fn fuzz_parser_structured_and_mutated() {
    run("parser", |seed| {
        let mut r = Rng::new(seed);
        let mut text = String::new();
        for _ in 0..r.below(6) {
            match r.below(5) {
                0 => {
                    text.push_str("locals {\n");
                    for i in 0..r.below(5) {
                        let e = if r.chance(30) { format!("local.l{}", r.below(5)) } else { expr(&mut r, 3) };
                        text.push_str(&format!("  l{i} = {e}\n"));
                    }
                    text.push_str("}\n");
                }
                1 => text.push_str(&format!(
                    "resource \"fake_thing\" \"r{}\" {{\n  count = {}\n  name = {}\n  lifecycle {{\n    ignore_changes = [name]\n  }}\n}}\n",
                    r.below(3),
                    expr(&mut r, 2),
                    expr(&mut r, 2)
                )),
                2 => text.push_str(&format!(
                    "variable \"v{}\" {{\n  type = {}\n  default = {}\n  sensitive = true\n  validation {{\n    condition = {}\n    error_message = \"bad ${{var.v0}}\"\n  }}\n}}\n",
                    r.below(2),
                    r.pick(&["string", "number", "list(string)", "map(any)", "object({a = optional(string, \"x\")})", "bogus(1)"]),
                    expr(&mut r, 2),
                    expr(&mut r, 2)
                )),
                3 => text.push_str(&format!("output \"o\" {{\n  value = {}\n}}\nprovider \"fake\" {{\n  x = {}\n}}\n", expr(&mut r, 3), expr(&mut r, 2))),
                _ => text.push_str(r.pick(&["terraform {\n backend \"local\" {}\n}\n", "bogus {}\n", "x = \n", "# c\n/* c */\n", "<<EOT\nx\nEOT\n"])),
            }
        }
        // Mutations: delete, duplicate or insert a random byte run.
        let mut bytes = text.into_bytes();
        for _ in 0..r.below(4) {
            if bytes.is_empty() {
                break;
            }
            let at = r.below(bytes.len());
            match r.below(3) {
                0 => {
                    let end = (at + r.below(8)).min(bytes.len());
                    bytes.drain(at..end);
                }
                1 => {
                    let end = (at + r.below(16)).min(bytes.len());
                    let chunk: Vec<u8> = bytes[at..end].to_vec();
                    bytes.splice(at..at, chunk);
                }
                _ => {
                    let b = r.pick(&["{", "}", "[", "\"", "${", "%{", "\n", "<<EOT\n", "=", "\\", "é", "\u{0}", "("]);
                    bytes.splice(at..at, b.bytes());
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        check_file(&text);
    });
}

/// Arbitrary bytes (mostly HCL punctuation) as a configuration file.
#[test]
fn fuzz_parser_bytes() {
    run("parser-bytes", |seed| {
        let mut r = Rng::new(seed);
        let alphabet = b"{}[]()\"$%~=\n \\#/*<>EOTabx0123456789.,:?!-+e";
        let len = r.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| if r.chance(5) { r.next() as u8 } else { alphabet[r.below(alphabet.len())] }).collect();
        check_file(&String::from_utf8_lossy(&bytes));
    });
}

fn check_file(text: &str) {
    if std::env::var_os("CONTIN_FUZZ_DUMP").is_some() {
        eprintln!("input: {text:?}");
    }
    let (config, diags) = contin_config::parse_files(&[("f.hcl".to_string(), text.to_string())]);
    for d in diags.iter() {
        if let Some(loc) = &d.loc {
            let _ = config.sources.describe(loc);
        }
    }
    let _ = check_cycles(&config);
    // Evaluate locals that are not on a cycle, in a scope without references.
    for local in config.locals.values() {
        let _ = eval(&local.expr, &FuzzScope);
    }
    for r in &config.resources {
        let _ = eval_body(&r.body, &FuzzScope);
    }
    let _ = crate::vars::resolve_variables(&config.variables, &crate::vars::VarInputs::default(), &crate::EmptyScope);
}
