//! `local_exec`: runs `sh -c command` on create and `destroy_command` on
//! delete. State is the truth: read returns it unchanged.

use crate::{attr, attr_str, random_id, with_attr};
use contin_provider::{AttrSchema, AttrType, BlockSchema, ProviderError};
use contin_types::Value;

/// Lines of output quoted in a failure message.
const TAIL_LINES: usize = 20;

pub(crate) fn schema() -> BlockSchema {
    use AttrType as T;
    let strings = || T::Map(Box::new(T::String));
    BlockSchema::default()
        .attr("command", AttrSchema::required(T::String).force_new().describe("run with `sh -c` on create"))
        .attr("destroy_command", AttrSchema::optional(T::String).describe("run with `sh -c` on delete"))
        .attr("working_dir", AttrSchema::optional(T::String).describe("directory to run in; relative to the working directory"))
        .attr("environment", AttrSchema::optional(strings()).describe("extra environment variables"))
        .attr("triggers", AttrSchema::optional(strings()).force_new().describe("a change re-runs the command"))
        .attr("id", AttrSchema::computed(T::String))
        .attr("exit_code", AttrSchema::computed(T::Number))
        .attr("output", AttrSchema::computed(T::String).describe("stdout of the command, trailing newlines removed"))
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
async fn run(v: &Value, cmd: &str, which: &str) -> Result<Ran, ProviderError> {
    let mut c = tokio::process::Command::new("sh");
    c.arg("-c").arg(cmd).stdin(std::process::Stdio::null()).kill_on_drop(true);
    if let Some(dir) = attr_str(v, "working_dir") {
        c.current_dir(dir);
    }
    if let Some(Value::Map(env)) = attr(v, "environment").map(Value::unmarked) {
        for (k, val) in env {
            if let Value::String(s) = val.unmarked() {
                c.env(k, s);
            }
        }
    }
    let out = c.output().await.map_err(|e| ProviderError::Failed(format!("local_exec: cannot run {which} {cmd:?}: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => Ok(Ran { code: 0, stdout }),
        code => {
            let status = code.map_or_else(|| "was terminated by a signal".to_string(), |c| format!("exited with code {c}"));
            let mut msg = format!("local_exec: {which} {cmd:?} {status}");
            for (name, text) in [("stderr", &stderr), ("stdout", &stdout)] {
                if !text.trim().is_empty() {
                    msg.push_str(&format!("\n--- {name} (last {TAIL_LINES} lines) ---\n{}", tail(text)));
                }
            }
            Err(ProviderError::Failed(msg))
        }
    }
}

pub(crate) async fn create(planned: &Value) -> Result<Value, ProviderError> {
    let cmd = attr_str(planned, "command").ok_or_else(|| ProviderError::Invalid("local_exec: command is required".into()))?;
    let ran = run(planned, cmd, "command").await?;
    let v = with_attr(planned.clone(), "id", Value::String(random_id()));
    let v = with_attr(v, "exit_code", Value::int(i64::from(ran.code)));
    Ok(with_attr(v, "output", Value::String(ran.stdout.trim_end_matches(['\n', '\r']).to_string())))
}

pub(crate) async fn delete(prior: &Value) -> Result<(), ProviderError> {
    match attr_str(prior, "destroy_command") {
        Some(cmd) => run(prior, cmd, "destroy_command").await.map(|_| ()),
        None => Ok(()),
    }
}
