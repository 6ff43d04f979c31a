//! The `external` provider: Terraform's `data "external"` (hashicorp/external).
//!
//! The program (`program[0]`, looked up on `PATH` unless it contains a `/`,
//! then relative to `working_dir`) runs in `working_dir` (relative to the
//! base directory, the configuration root, by default the root itself)
//! with `query` as a JSON object of strings on its stdin; its stdout must be
//! a JSON object of strings, which becomes `result`. A non-zero exit is an
//! error quoting the program's stderr (the query is never quoted: it may
//! hold secrets). Output is bounded ([`MAX_OUTPUT_BYTES`]).

use crate::unsupported;
use async_trait::async_trait;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, ProviderError, ProviderSchema, Provider};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const EXTERNAL: &str = "external";

/// Most bytes read from the program's stdout and from its stderr.
pub const MAX_OUTPUT_BYTES: u64 = 4 * 1024 * 1024;

static SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| {
    use AttrType as T;
    BlockSchema::default()
        .attr("program", AttrSchema::required(T::List(Box::new(T::String))).describe("the program and its arguments"))
        .attr("query", AttrSchema::optional(T::Map(Box::new(T::String))).describe("sent to the program's stdin as a JSON object"))
        .attr("working_dir", AttrSchema::optional(T::String).describe("directory the program runs in (default: the configuration root)"))
        .attr("result", AttrSchema::computed(T::Map(Box::new(T::String))).describe("the JSON object of strings the program printed"))
        .attr("id", AttrSchema::computed(T::String))
});

/// The `external` provider (stateless; data source only).
#[derive(Debug, Clone)]
pub struct ExternalProvider {
    base_dir: PathBuf,
}

impl ExternalProvider {
    pub fn new(base_dir: PathBuf) -> Self {
        ExternalProvider { base_dir }
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    match v.map(Value::unmarked) {
        Some(Value::List(items)) => items.iter().map(|i| if let Value::String(s) = i.unmarked() { Some(s.clone()) } else { None }).collect(),
        _ => None,
    }
}

fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    match cfg.attr("program").map(Value::unmarked) {
        Some(Value::List(items)) if items.is_empty() => d.push(Diagnostic::error("program: must name a program (at least one element)")),
        Some(Value::List(items)) => {
            if let Some(Value::String(p)) = items.first().map(Value::unmarked) {
                if p.is_empty() {
                    d.push(Diagnostic::error("program: the program name (first element) is empty"));
                }
            }
        }
        _ => {}
    }
    d
}

fn failed(program: &str, detail: impl std::fmt::Display) -> ProviderError {
    ProviderError::Failed(format!("data \"external\": External Program Execution Failed: program {program:?}: {detail}"))
}

async fn read_bounded(mut r: impl tokio::io::AsyncRead + Unpin) -> std::io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    (&mut r).take(MAX_OUTPUT_BYTES + 1).read_to_end(&mut buf).await?;
    let over = buf.len() as u64 > MAX_OUTPUT_BYTES;
    // Drain the rest so the program is not blocked on a full pipe.
    if over {
        tokio::io::copy(&mut r, &mut tokio::io::sink()).await?;
    }
    Ok((buf, over))
}

async fn run(cfg: &Value, base: &Path) -> Result<Value, ProviderError> {
    let program = strings(cfg.attr("program")).ok_or_else(|| ProviderError::Invalid("data \"external\": program must be a list of strings".into()))?;
    let Some((name, args)) = program.split_first() else {
        return Err(ProviderError::Invalid("data \"external\": program must name a program".into()));
    };
    let dir = match cfg.attr_str("working_dir") {
        Some(w) => base.join(w),
        None => base.to_path_buf(),
    };
    let query: BTreeMap<String, String> = match cfg.attr("query").map(Value::unmarked) {
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, v)| match v.unmarked() {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Null => Ok((k.clone(), String::new())),
                other => Ok((k.clone(), other.to_json_lossy().to_string())),
            })
            .collect::<Result<_, ProviderError>>()?,
        _ => BTreeMap::new(),
    };
    let input = serde_json::to_vec(&query).map_err(|e| failed(name, e))?;
    // A program given with a path runs relative to its working directory (Go's exec.Cmd.Dir rule).
    let exe = if name.contains('/') && !Path::new(name).is_absolute() { dir.join(name) } else { PathBuf::from(name) };
    let mut child = tokio::process::Command::new(&exe)
        .args(args)
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(name, format!("cannot start it in {}: {e}", dir.display())))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take()) else {
        return Err(failed(name, "its standard streams could not be opened"));
    };
    let writer = async move {
        // A program that does not read its stdin closes the pipe: not an error.
        let _ = stdin.write_all(&input).await;
        drop(stdin);
    };
    let (_, out, err, status) = tokio::join!(writer, read_bounded(stdout), read_bounded(stderr), child.wait());
    let status = status.map_err(|e| failed(name, e))?;
    let (out, out_over) = out.map_err(|e| failed(name, e))?;
    let (err, _) = err.map_err(|e| failed(name, e))?;
    if !status.success() {
        let stderr = String::from_utf8_lossy(&err);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(failed(name, format!("{status}; stderr:\n{}", tail.join("\n"))));
    }
    if out_over {
        return Err(failed(name, format!("it printed more than {MAX_OUTPUT_BYTES} bytes (MAX_OUTPUT_BYTES)")));
    }
    let parsed: serde_json::Value = serde_json::from_slice(&out).map_err(|e| {
        ProviderError::Failed(format!("data \"external\": Unexpected External Program Results: program {name:?} did not print a JSON object: {e}"))
    })?;
    let serde_json::Value::Object(obj) = parsed else {
        return Err(ProviderError::Failed(format!("data \"external\": Unexpected External Program Results: program {name:?} printed JSON that is not an object")));
    };
    let mut result = BTreeMap::new();
    for (k, v) in obj {
        let serde_json::Value::String(s) = v else {
            return Err(ProviderError::Failed(format!(
                "data \"external\": Unexpected External Program Results: program {name:?}: the value of {k:?} is not a string (all values must be strings)"
            )));
        };
        result.insert(k, Value::String(s));
    }
    let mut out = cfg.unmarked().clone();
    if let Value::Map(m) = &mut out {
        m.insert("result".into(), Value::Map(result));
        m.insert("id".into(), Value::string("-"));
    }
    Ok(out)
}

#[async_trait]
impl Provider for ExternalProvider {
    fn name(&self) -> &str {
        EXTERNAL
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.data_sources.insert(EXTERNAL.into(), SCHEMA.clone());
        s
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        if ty == EXTERNAL { validate(cfg) } else { Diagnostics::new() }
    }

    async fn read(&self, ty: &str, _state: &Value) -> Result<Option<Value>, ProviderError> {
        Err(unsupported(ty))
    }

    async fn create(&self, ty: &str, _planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        Err(unsupported(ty))
    }

    async fn update(&self, ty: &str, _prior: &Value, _planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        Err(unsupported(ty))
    }

    async fn delete(&self, ty: &str, _prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        Err(unsupported(ty))
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        match ty {
            EXTERNAL => run(cfg, &self.base_dir).await,
            _ => Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(program: &[&str], query: &[(&str, &str)]) -> Value {
        Value::map([
            ("program", Value::List(program.iter().map(|p| Value::string(*p)).collect())),
            ("query", Value::Map(query.iter().map(|(k, v)| (k.to_string(), Value::string(*v))).collect())),
            ("working_dir", Value::Null),
        ])
    }

    fn provider() -> (tempfile::TempDir, ExternalProvider) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = ExternalProvider::new(dir.path().to_path_buf());
        (dir, p)
    }

    #[tokio::test]
    async fn the_query_goes_in_and_the_result_comes_out() {
        let (dir, p) = provider();
        let script = "import json, os, sys\nq = json.load(sys.stdin)\nprint(json.dumps({\"got\": json.dumps(q, separators=(\",\", \":\"), sort_keys=True), \"cwd\": os.getcwd()}))\n";
        std::fs::write(dir.path().join("echo.py"), script).unwrap_or_else(|e| panic!("{e}"));
        let v = p.read_data(EXTERNAL, &cfg(&["python3", "./echo.py"], &[("name", "web"), ("zone", "a")])).await.unwrap_or_else(|e| panic!("{e}"));
        let result = v.attr("result").cloned().unwrap_or(Value::Null);
        assert_eq!(result.attr_str("got"), Some(r#"{"name":"web","zone":"a"}"#));
        let cwd = std::fs::canonicalize(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(result.attr_str("cwd").map(PathBuf::from), Some(cwd));
        assert_eq!(v.attr_str("id"), Some("-"));
    }

    #[tokio::test]
    async fn failures_quote_stderr_and_bad_output_is_named() {
        let (_dir, p) = provider();
        let e = p.read_data(EXTERNAL, &cfg(&["sh", "-c", "echo boom >&2; exit 3"], &[("secret", "hunter2")])).await.unwrap_err().to_string();
        assert!(e.contains("boom") && e.contains("exit status: 3"), "{e}");
        assert!(!e.contains("hunter2"), "the query must not be quoted: {e}");
        let e = p.read_data(EXTERNAL, &cfg(&["sh", "-c", "echo '[1]'"], &[])).await.unwrap_err().to_string();
        assert!(e.contains("not an object"), "{e}");
        let e = p.read_data(EXTERNAL, &cfg(&["sh", "-c", "echo '{\"n\": 1}'"], &[])).await.unwrap_err().to_string();
        assert!(e.contains("\"n\" is not a string"), "{e}");
        let e = p.read_data(EXTERNAL, &cfg(&["/nonexistent/prog"], &[])).await.unwrap_err().to_string();
        assert!(e.contains("cannot start"), "{e}");
        let e = p.read_data(EXTERNAL, &cfg(&["sh", "-c", "head -c 5000000 /dev/zero"], &[])).await.unwrap_err().to_string();
        assert!(e.contains("MAX_OUTPUT_BYTES"), "{e}");
        assert!(!p.validate(EXTERNAL, &cfg(&[], &[])).is_empty());
    }
}
