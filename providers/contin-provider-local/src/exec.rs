//! `local_exec`: runs `sh -c command` on create and `destroy_command` on
//! delete, in `working_dir` (relative to the provider's base directory, which
//! is also the default). State is the truth: read returns it unchanged.
//!
//! Secrets: when any input the command sees (`command`, `destroy_command`,
//! `working_dir`, `environment`, `triggers`) is marked sensitive, a failure
//! names neither the command line nor its output, and `output` is returned
//! marked sensitive.

use crate::{attr, attr_str, random_id, with_attr};
use contin_provider::{AttrSchema, AttrType, BlockSchema, ProviderError};
use contin_types::Value;
use std::path::Path;

/// Lines of output quoted in a failure message.
const TAIL_LINES: usize = 20;

/// The attributes a command can read secrets from.
const INPUTS: [&str; 5] = ["command", "destroy_command", "working_dir", "environment", "triggers"];

pub(crate) fn schema() -> BlockSchema {
    use AttrType as T;
    let strings = || T::Map(Box::new(T::String));
    BlockSchema::default()
        .attr("command", AttrSchema::required(T::String).force_new().describe("run with `sh -c` on create"))
        .attr("destroy_command", AttrSchema::optional(T::String).describe("run with `sh -c` on delete"))
        .attr("working_dir", AttrSchema::optional(T::String).describe("directory to run in; relative to the configuration directory"))
        .attr("environment", AttrSchema::optional(strings()).describe("extra environment variables"))
        .attr("triggers", AttrSchema::optional(strings()).force_new().describe("a change re-runs the command"))
        .attr("id", AttrSchema::computed(T::String))
        .attr("exit_code", AttrSchema::computed(T::Number))
        .attr(
            "output",
            AttrSchema::computed(T::String).describe("stdout of the command, trailing newlines removed; sensitive when an input is"),
        )
}

/// True when the command can see a sensitive value.
pub(crate) fn inputs_sensitive(v: &Value) -> bool {
    v.is_sensitive() || INPUTS.iter().any(|a| attr(v, a).is_some_and(Value::contains_sensitive))
}

struct Ran {
    code: i32,
    stdout: String,
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// Runs `sh -c cmd` with the resource's working_dir and environment.
async fn run(v: &Value, base: &Path, which: &str) -> Result<Ran, ProviderError> {
    let cmd = attr_str(v, which).ok_or_else(|| ProviderError::Invalid(format!("local_exec: {which} is required")))?;
    let secret = inputs_sensitive(v);
    let mut c = tokio::process::Command::new("sh");
    c.arg("-c").arg(cmd).stdin(std::process::Stdio::null()).kill_on_drop(true);
    c.current_dir(attr_str(v, "working_dir").map_or_else(|| base.to_path_buf(), |d| base.join(d)));
    if let Some(Value::Map(env)) = attr(v, "environment").map(Value::unmarked) {
        for (k, val) in env {
            if let Value::String(s) = val.unmarked() {
                c.env(k, s);
            }
        }
    }
    let shown = |cmd: &str| if secret { String::new() } else { format!(" {cmd:?}") };
    let out = c.output().await.map_err(|e| {
        let hidden = if secret { " (command hidden: sensitive)" } else { "" };
        ProviderError::Failed(format!("local_exec: cannot run {which}{}: {e}{hidden}", shown(cmd)))
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() {
        Some(0) => Ok(Ran { code: 0, stdout }),
        code => {
            let status = code.map_or_else(|| "was terminated by a signal".to_string(), |c| format!("exited with code {c}"));
            let mut msg = format!("local_exec: {which}{} {status}", shown(cmd));
            if secret {
                msg.push_str(" (command and output hidden: sensitive)");
                return Err(ProviderError::Failed(msg));
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            for (name, text) in [("stderr", &*stderr), ("stdout", &stdout)] {
                if !text.trim().is_empty() {
                    msg.push_str(&format!("\n--- {name} (last {TAIL_LINES} lines) ---\n{}", tail(text)));
                }
            }
            Err(ProviderError::Failed(msg))
        }
    }
}

pub(crate) async fn create(planned: &Value, base: &Path) -> Result<Value, ProviderError> {
    let ran = run(planned, base, "command").await?;
    let v = with_attr(planned.clone(), "id", Value::String(random_id()));
    let v = with_attr(v, "exit_code", Value::int(i64::from(ran.code)));
    let output = Value::String(ran.stdout.trim_end_matches(['\n', '\r']).to_string());
    Ok(with_attr(v, "output", if inputs_sensitive(planned) { output.mark_sensitive() } else { output }))
}

pub(crate) async fn delete(prior: &Value, base: &Path) -> Result<(), ProviderError> {
    match attr_str(prior, "destroy_command") {
        Some(_) => run(prior, base, "destroy_command").await.map(|_| ()),
        None => Ok(()),
    }
}

/// In-place attributes only matter for the destroy command: the planned
/// value is the new state, its `output` kept sensitive when it was or when
/// an input now is.
pub(crate) fn update(prior: &Value, planned: &Value) -> Value {
    let was = attr(prior, "output").is_some_and(Value::contains_sensitive);
    match attr(planned, "output") {
        Some(out) if (was || inputs_sensitive(planned)) && !out.is_sensitive() => {
            let marked = out.clone().mark_sensitive();
            with_attr(planned.clone(), "output", marked)
        }
        _ => planned.clone(),
    }
}
