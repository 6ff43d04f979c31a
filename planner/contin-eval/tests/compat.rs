//! Differential test: every expression of `tests/compat/corpus.txt` is
//! evaluated by contin-eval and by `terraform console` (one process for the
//! whole corpus) and the canonical results (`jsonencode` text, or `!ERR`)
//! must agree, except for entries of `tests/compat/allow.txt`.
//! Skipped, with a message, when `terraform` is not on PATH.

use contin_eval::{eval, funcs::json_text, parse_expr, Reference, Scope};
use contin_types::{Diagnostic, SourceLoc, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/compat")
}

/// Corpus lines: one expression per line; blank lines and `#` comments skipped.
fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(compat_dir().join("corpus.txt")).expect("tests/compat/corpus.txt is readable");
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

/// Allow-list: `EXPRESSION  #: reason` per line.
fn allow_list() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(compat_dir().join("allow.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once("#:").map(|(e, r)| (e.trim().to_string(), r.trim().to_string())))
        .collect()
}

/// Files the corpus reads with file()/templatefile(), written into the
/// directory terraform runs in.
const FIXTURES: &[(&str, &str)] = &[
    ("hello.txt", "Hello, world!\n"),
    ("greeting.tpl", "Hi ${name}!%{ for i, x in items } [${i}:${x}]%{ endfor }"),
];

struct DirScope(PathBuf);

impl Scope for DirScope {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error(format!("no {r} in the compat test")).at(loc.clone()))
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| format!("{path}: {e}"))
    }
    fn read_file_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(self.0.join(path)).map_err(|e| format!("{path}: {e}"))
    }
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        match std::fs::metadata(self.0.join(path)) {
            Ok(m) if m.is_file() => Ok(true),
            Ok(_) => Err(format!("{path} is not a regular file")),
            Err(_) => Ok(false),
        }
    }
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        // The fixture directory is flat.
        let mut out = Vec::new();
        if !self.0.join(dir).exists() {
            return Ok(out);
        }
        for e in std::fs::read_dir(self.0.join(dir)).map_err(|e| e.to_string())? {
            let e = e.map_err(|e| e.to_string())?;
            if e.file_type().map_err(|e| e.to_string())?.is_file() {
                out.push(e.file_name().to_string_lossy().to_string());
            }
        }
        Ok(out)
    }
    fn current_dir(&self) -> Option<String> {
        Some(self.0.to_string_lossy().to_string())
    }
    fn home_dir(&self) -> Option<String> {
        // Terraform reads $HOME; so does this test.
        std::env::var("HOME").ok()
    }
}

fn ours(expr: &str, dir: &Path) -> String {
    let Ok(e) = parse_expr(expr, "corpus") else { return "!ERR".into() };
    match eval(&e, &DirScope(dir.to_path_buf())) {
        Ok(v) if v.is_wholly_known() => json_text(&v),
        Ok(_) => "!UNKNOWN".into(),
        Err(_) => "!ERR".into(),
    }
}

fn terraform_results(exprs: &[String], dir: &Path) -> Result<Vec<String>, String> {
    let items: Vec<String> = exprs.iter().map(|e| format!("try(jsonencode({e}), \"!ERR\")")).collect();
    let batch = format!("jsonencode([{}])\n", items.join(", "));
    let mut child = Command::new("terraform")
        .arg("console")
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run terraform: {e}"))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        stdin.write_all(batch.as_bytes()).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(format!("terraform console failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    // The answer is one quoted string (JSON-compatible escapes; the console
    // does not escape `${`) holding a JSON array of strings.
    let text: String = serde_json::from_str(stdout.trim()).map_err(|e| format!("unparsable console output: {e}\n{stdout}"))?;
    serde_json::from_str::<Vec<String>>(&text).map_err(|e| format!("console output is not a JSON list: {e}"))
}

fn terraform_on_path() -> bool {
    Command::new("terraform").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[test]
fn corpus_matches_terraform() {
    let exprs = corpus();
    assert!(exprs.len() >= 120, "the corpus should hold at least 120 expressions, has {}", exprs.len());
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in FIXTURES {
        std::fs::write(dir.path().join(name), text).expect("write fixture");
    }
    // Our side always runs: it must not panic and must parse every line.
    let mine: Vec<String> = exprs.iter().map(|e| ours(e, dir.path())).collect();
    for (e, m) in exprs.iter().zip(&mine) {
        assert_ne!(m, "!UNKNOWN", "{e} evaluated to an unknown value without any unknown input");
    }
    if !terraform_on_path() {
        // CI must compare for real: a missing terraform is a failure there, never a silent pass.
        assert!(
            std::env::var_os("CONTIN_REQUIRE_TERRAFORM").is_none(),
            "`terraform` is not on PATH but CONTIN_REQUIRE_TERRAFORM is set (CI): install Terraform >= 1.5"
        );
        eprintln!("SKIPPED compat comparison: `terraform` is not on PATH (install Terraform >= 1.5 to run it)");
        return;
    }
    let theirs = terraform_results(&exprs, dir.path()).expect("terraform console answers");
    assert_eq!(theirs.len(), exprs.len(), "terraform answered a different number of results");
    let allow = allow_list();
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    for ((e, m), t) in exprs.iter().zip(&mine).zip(&theirs) {
        match (m == t, allow.get(e)) {
            (true, Some(_)) => stale.push(e.clone()),
            (true, None) | (false, Some(_)) => {}
            (false, None) => failures.push(format!("  {e}\n    contin:    {m}\n    terraform: {t}")),
        }
    }
    for e in &stale {
        eprintln!("note: allow-listed expression now matches terraform, remove it from allow.txt: {e}");
    }
    for e in allow.keys() {
        assert!(exprs.contains(e), "allow.txt names an expression that is not in the corpus: {e}");
    }
    assert!(failures.is_empty(), "{} of {} expressions differ from terraform:\n{}", failures.len(), exprs.len(), failures.join("\n"));
    eprintln!("compat: {} expressions agree with terraform, {} known differences allow-listed", exprs.len() - allow.len(), allow.len());
}
