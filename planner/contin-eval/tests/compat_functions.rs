//! Terraform's function documentation examples (`tests/compat/functions/`):
//! every example of `examples.txt` is evaluated by contin-eval and compared
//! with terraform 1.11.4's recorded answer in `expected.json` (written by
//! `regenerate.py`). The test fails when fewer than [`FLOOR`] examples agree
//! or when an example that agreed is not in [`KNOWN_DIFFERENCES`] and differs.
//!
//! `recorded_answers_are_terraforms` checks the recording against the
//! `terraform` on PATH; it fails when terraform is missing and
//! CONTIN_REQUIRE_TERRAFORM is set (CI), and skips with a message otherwise.

use contin_eval::{eval, funcs::json_text, parse_expr, EmptyScope, Reference, Scope};
use contin_types::{Diagnostic, SourceLoc, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The number of examples that must agree with terraform (raise it when more do).
const FLOOR: usize = 277;

/// Examples known to differ, with the reason. The test prints a note when
/// one starts to agree.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    ("plantimestamp()", "the console has no plantimestamp (an error there); contin gives the planning time"),
    ("format(\"%#v\", null)", "terraform 1.11 returns an unknown value for a null argument of format (a cty quirk that plans as \"known after apply\" forever); contin formats it as null"),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/compat/functions")
}

struct Example {
    expr: String,
    shape: Option<String>,
}

fn examples() -> Vec<Example> {
    let text = std::fs::read_to_string(dir().join("examples.txt")).expect("tests/compat/functions/examples.txt is readable");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| !(l.starts_with('[') && l.ends_with(']') && !l.contains('(')))
        .map(|l| {
            let (e, shape) = match l.split_once("  #~ ") {
                Some((e, s)) => (e, Some(s.trim().to_string())),
                None => (l, None),
            };
            Example { expr: e.trim().to_string(), shape }
        })
        .collect()
}

fn expected() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("tests/compat/functions/expected.json is readable");
    let j: serde_json::Value = serde_json::from_str(&text).expect("expected.json is JSON");
    j["examples"]
        .as_array()
        .expect("expected.json has examples")
        .iter()
        .map(|r| (r["expr"].as_str().unwrap_or_default().to_string(), r["answer"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// A scope over a copy of `files/`, with `path.*` = "." like the console,
/// and the variables (defaults) and locals of `files/main.tf`.
struct DirScope {
    dir: PathBuf,
    config: contin_config::Config,
    variables: BTreeMap<String, Value>,
    locals: BTreeMap<String, contin_config::Local>,
    /// Locals being evaluated (the fixture has no cycles; this bounds a mistake).
    depth: Cell<usize>,
}

impl DirScope {
    fn new(dir: PathBuf) -> Self {
        let text = std::fs::read_to_string(dir.join("main.tf")).expect("files/main.tf is readable");
        let (config, diags) = contin_config::parse_files(&[("main.tf".to_string(), text)]);
        assert!(!diags.has_errors(), "files/main.tf does not parse: {diags:?}");
        let variables = contin_eval::vars::resolve_variables(&config.variables, &Default::default(), &EmptyScope)
            .expect("files/main.tf's variables have valid defaults");
        DirScope { dir, variables, locals: config.locals.clone(), config, depth: Cell::new(0) }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }
}

impl Scope for DirScope {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        let undeclared = |what: &str| Diagnostic::error(format!("Reference to undeclared {what}")).at(loc.clone());
        match r {
            Reference::Path(_) => Ok(Value::string(".")),
            Reference::Var(n) => self.variables.get(n).cloned().ok_or_else(|| undeclared(&format!("input variable var.{n}"))),
            Reference::Local(n) => {
                let l = self.locals.get(n).ok_or_else(|| undeclared(&format!("local value local.{n}")))?;
                if self.depth.get() > 16 {
                    return Err(Diagnostic::error("locals nested too deeply in files/main.tf").at(loc.clone()));
                }
                self.depth.set(self.depth.get() + 1);
                let v = eval(&l.expr, self);
                self.depth.set(self.depth.get() - 1);
                v.map_err(|d| d.0.into_iter().next().unwrap_or_else(|| Diagnostic::error(format!("local.{n} failed"))))
            }
            _ => Err(Diagnostic::error(format!("no {r} in the compat test")).at(loc.clone())),
        }
    }
    fn reference_shape(&self, r: &Reference) -> contin_eval::shape::Shape {
        if self.depth.get() > 16 {
            return contin_eval::shape::Shape::Any;
        }
        self.depth.set(self.depth.get() + 1);
        let s = contin_eval::shape::config_reference_shape(&self.config, r, self);
        self.depth.set(self.depth.get() - 1);
        s
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.path(path)).map_err(|e| format!("{path}: {e}"))
    }
    fn read_file_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(self.path(path)).map_err(|e| format!("{path}: {e}"))
    }
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        match std::fs::metadata(self.path(path)) {
            Ok(m) if m.is_file() => Ok(true),
            Ok(_) => Err(format!("{path} is not a regular file")),
            Err(_) => Ok(false),
        }
    }
    fn list_files(&self, d: &str) -> Result<Vec<String>, String> {
        fn walk(base: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), String> {
            let here = if rel.is_empty() { base.to_path_buf() } else { base.join(rel) };
            for e in std::fs::read_dir(&here).map_err(|e| e.to_string())? {
                let e = e.map_err(|e| e.to_string())?;
                let name = e.file_name().to_string_lossy().to_string();
                let r = if rel.is_empty() { name } else { format!("{rel}/{name}") };
                let t = e.file_type().map_err(|e| e.to_string())?;
                if t.is_dir() {
                    walk(base, &r, out)?;
                } else if t.is_file() {
                    out.push(r);
                }
            }
            Ok(())
        }
        let mut out = Vec::new();
        if !self.path(d).exists() {
            return Ok(out);
        }
        walk(&self.path(d), "", &mut out)?;
        Ok(out)
    }
    fn current_dir(&self) -> Option<String> {
        Some(self.dir.to_string_lossy().to_string())
    }
    fn home_dir(&self) -> Option<String> {
        Some("/home/compat".into())
    }
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Sensitive(inner) => format!("sensitive:{}", json_text(inner)),
        other => json_text(other),
    }
}

fn ours(expr: &str, scope: &DirScope) -> String {
    let Ok(e) = parse_expr(expr, "example") else { return "!ERR".into() };
    match eval(&e, scope) {
        Ok(v) if v.is_wholly_known() => canonical(&v),
        Ok(_) => "!UNKNOWN".into(),
        Err(_) => "!ERR".into(),
    }
}

fn copy_files(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read fixture dir") {
            let e = e.expect("entry");
            let t = to.join(e.file_name());
            if e.file_type().expect("type").is_dir() {
                copy(&e.path(), &t);
            } else {
                std::fs::copy(e.path(), &t).expect("copy fixture");
            }
        }
    }
    copy(&dir().join("files"), to);
}

#[test]
fn documentation_examples_match_terraform() {
    let ex = examples();
    let exp = expected();
    assert_eq!(
        ex.iter().map(|e| e.expr.clone()).collect::<Vec<_>>(),
        exp.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        "examples.txt and expected.json disagree: run tests/compat/functions/regenerate.py"
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_files(tmp.path());
    let scope = DirScope::new(tmp.path().to_path_buf());
    let mut equal = 0;
    let mut diffs = Vec::new();
    let mut unexpected = Vec::new();
    for (e, (_, theirs)) in ex.iter().zip(&exp) {
        let mine = ours(&e.expr, &scope);
        let ok = match &e.shape {
            Some(re) => regex::Regex::new(re).expect("shape regex").is_match(&mine),
            None => &mine == theirs,
        };
        let known = KNOWN_DIFFERENCES.iter().find(|(k, _)| *k == e.expr);
        if ok {
            equal += 1;
            if known.is_some() {
                eprintln!("note: a known difference now agrees, remove it from KNOWN_DIFFERENCES: {}", e.expr);
            }
        } else {
            let line = format!("  {}\n    contin:    {mine}\n    terraform: {theirs}", e.expr);
            if known.is_none() {
                unexpected.push(line.clone());
            }
            diffs.push(line);
        }
    }
    eprintln!("function documentation examples: {equal} of {} agree with terraform 1.11.4", ex.len());
    if !diffs.is_empty() {
        eprintln!("differences:\n{}", diffs.join("\n"));
    }
    assert!(equal >= FLOOR, "only {equal} of {} examples agree (floor {FLOOR})", ex.len());
    assert!(unexpected.is_empty(), "{} examples differ without a known reason:\n{}", unexpected.len(), unexpected.join("\n"));
}

fn terraform_on_path() -> bool {
    Command::new("terraform").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The recorded answers are still terraform's: one console process checks
/// every deterministic example that terraform answers without an error.
#[test]
fn recorded_answers_are_terraforms() {
    if !terraform_on_path() {
        assert!(
            std::env::var_os("CONTIN_REQUIRE_TERRAFORM").is_none(),
            "`terraform` is not on PATH but CONTIN_REQUIRE_TERRAFORM is set (CI): install Terraform 1.11"
        );
        eprintln!("SKIPPED: `terraform` is not on PATH, the recorded answers were not re-checked");
        return;
    }
    let ex = examples();
    let exp = expected();
    let checked: Vec<(&Example, &String)> =
        ex.iter().zip(exp.iter().map(|e| &e.1)).filter(|(e, a)| e.shape.is_none() && !a.starts_with('!')).collect();
    let items: Vec<String> = checked
        .iter()
        .map(|(e, _)| format!("try(jsonencode([issensitive({0}), jsonencode(nonsensitive({0}))]), \"!ERR\")", e.expr))
        .collect();
    let batch = format!("jsonencode([{}])\n", items.join(", "));
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_files(tmp.path());
    let mut child = Command::new("terraform")
        .args(["console", "-no-color"])
        .current_dir(tmp.path())
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run terraform console");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(batch.as_bytes()).expect("write batch");
    }
    let out = child.wait_with_output().expect("terraform console output");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "terraform console failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let text: String = serde_json::from_str(stdout.trim()).expect("console answer is a string");
    let answers: Vec<String> = serde_json::from_str(&text).expect("a JSON list");
    assert_eq!(answers.len(), checked.len());
    let mut stale = Vec::new();
    for ((e, recorded), a) in checked.iter().zip(&answers) {
        let (sensitive, value): (bool, String) = serde_json::from_str(a).expect("[sensitive, json]");
        let live = format!("{}{value}", if sensitive { "sensitive:" } else { "" });
        if &&live != recorded {
            stale.push(format!("  {}\n    recorded: {recorded}\n    terraform: {live}", e.expr));
        }
    }
    assert!(stale.is_empty(), "expected.json is stale, rerun regenerate.py:\n{}", stale.join("\n"));
}
