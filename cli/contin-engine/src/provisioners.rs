//! The IO side of `provisioner` blocks (the executor decides when they run
//! and what a failure does; see `contin-executor/src/provision.rs`):
//!
//! - `local-exec`: `command` through `interpreter` (default `/bin/sh -c`) in
//!   `working_dir` (relative to the workspace root; default the root), the
//!   process environment plus `environment`; stdout and stderr share one
//!   pipe and are streamed line by line;
//! - `remote-exec` and `file` over the onprem provider's russh transport
//!   (`contin_provider_onprem::ssh::SshConnector`, the `Remote` seam): the
//!   connection's host key is checked (`host_key`, else known_hosts), the
//!   connection is retried until `timeout` (default 5m) while the host is
//!   unreachable; scripts are uploaded to `script_path` (default
//!   `/tmp/terraform_%RAND%.sh`), run, and removed.
//!
//! Errors never hold the command, a script or an argument value (any of them
//! may be secret); they say what failed and how.

use contin_executor::{OutputSink, ProvisionerRun, Provisioners};
use contin_types::{ResourceAddr, Value};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

/// Longest output line passed on; longer lines are cut into pieces.
pub const MAX_LINE_BYTES: usize = 8 * 1024;
/// Largest script or file a provisioner uploads (`script`, `scripts`, `file` `source`).
pub const MAX_UPLOAD_BYTES: u64 = 64 * 1024 * 1024;
/// Most files a `file` provisioner uploads from one directory tree.
pub const MAX_UPLOAD_FILES: usize = 10_000;
/// Terraform's default connection timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs provisioners for one workspace.
pub(crate) struct EngineProvisioners {
    /// Relative paths (`working_dir`, `script`, `source`) resolve against this.
    pub(crate) root: PathBuf,
}

type BoxFut<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

impl Provisioners for EngineProvisioners {
    fn run<'a>(&'a self, addr: &'a ResourceAddr, run: &'a ProvisionerRun, output: OutputSink<'a>) -> BoxFut<'a> {
        Box::pin(async move {
            // Marks only decide what is shown (the executor did); the
            // process gets plain values.
            let args = run.args.unmark_deep().0;
            match run.kind.as_str() {
                "local-exec" => local_exec(&self.root, &args, output).await,
                "remote-exec" | "file" => {
                    let conn = run.connection.as_ref().map(|c| c.unmark_deep().0);
                    remote(&self.root, addr, &run.kind, &args, conn.as_ref(), output).await
                }
                other => Err(format!("unknown provisioner type {other:?}")),
            }
        })
    }
}

fn get<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Map(m) => m.get(name).filter(|x| !x.is_null()),
        _ => None,
    }
}

fn string_arg(v: &Value, name: &str) -> Result<Option<String>, String> {
    match get(v, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(Value::Unknown) => Err(format!("\"{name}\" is not known after the apply of what it depends on")),
        Some(other) => Err(format!("\"{name}\" must be a string, got {}", other.type_name())),
    }
}

fn string_list(v: &Value, name: &str) -> Result<Option<Vec<String>>, String> {
    match get(v, name) {
        None => Ok(None),
        Some(Value::List(items) | Value::Set(items)) => items
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                other => Err(format!("\"{name}\"[{i}] must be a string, got {}", other.type_name())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(format!("\"{name}\" must be a list of strings, got {}", other.type_name())),
    }
}

fn resolve(root: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// Splits `buf` into complete lines (cut at `MAX_LINE_BYTES`), keeping the rest.
fn take_lines(buf: &mut Vec<u8>, out: &mut Vec<String>, eof: bool) {
    loop {
        let cut = match buf.iter().position(|&b| b == b'\n') {
            Some(i) if i <= MAX_LINE_BYTES => Some((i, i + 1)),
            _ if buf.len() > MAX_LINE_BYTES => Some((MAX_LINE_BYTES, MAX_LINE_BYTES)),
            _ if eof && !buf.is_empty() => Some((buf.len(), buf.len())),
            _ => None,
        };
        let Some((end, next)) = cut else { return };
        let line = String::from_utf8_lossy(&buf[..end]).trim_end_matches('\r').to_string();
        buf.drain(..next);
        out.push(line);
    }
}

/// Each output line of a finished command (for remote commands, whose output arrives whole).
fn emit_text(text: &str, output: OutputSink<'_>) {
    let mut buf = text.as_bytes().to_vec();
    let mut lines = Vec::new();
    take_lines(&mut buf, &mut lines, true);
    for l in lines {
        output(l);
    }
}

async fn local_exec(root: &Path, args: &Value, output: OutputSink<'_>) -> Result<(), String> {
    let command = string_arg(args, "command")?.ok_or("\"command\" is required")?;
    let interpreter = string_list(args, "interpreter")?.filter(|i| !i.is_empty()).unwrap_or_else(|| vec!["/bin/sh".to_string(), "-c".to_string()]);
    let dir = match string_arg(args, "working_dir")? {
        Some(d) if !d.is_empty() => resolve(root, &d),
        _ => root.to_path_buf(),
    };
    let quiet = matches!(get(args, "quiet"), Some(Value::Bool(true)));
    if quiet {
        output("Suppressed by quiet=true".to_string());
    } else {
        let shown: Vec<String> = interpreter.iter().chain(std::iter::once(&command)).map(|a| format!("{a:?}")).collect();
        output(format!("Executing: [{}]", shown.join(" ")));
    }
    let mut cmd = tokio::process::Command::new(&interpreter[0]);
    cmd.args(&interpreter[1..]).arg(&command).current_dir(&dir).stdin(std::process::Stdio::null()).kill_on_drop(true);
    if let Some(env) = get(args, "environment") {
        let Value::Map(m) = env else {
            return Err(format!("\"environment\" must be a map of strings, got {}", env.type_name()));
        };
        for (k, v) in m {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                other => return Err(format!("\"environment\" value {k:?} must be a string, got {}", other.type_name())),
            };
            cmd.env(k, v);
        }
    }
    // stdout and stderr share one pipe, so lines come in the order written.
    let (reader, writer) = std::io::pipe().map_err(|e| format!("creating the output pipe: {e}"))?;
    let writer2 = writer.try_clone().map_err(|e| format!("creating the output pipe: {e}"))?;
    cmd.stdout(writer).stderr(writer2);
    let mut child = cmd.spawn().map_err(|e| format!("starting {:?} in {} failed: {e}", interpreter[0], dir.display()))?;
    // The parent's copies of the write end must go, or the reader never sees EOF.
    drop(cmd);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(256);
    let reading = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut reader = reader;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let mut lines = Vec::new();
        loop {
            let n = reader.read(&mut chunk).unwrap_or(0);
            if n > 0 {
                buf.extend_from_slice(&chunk[..n]);
            }
            take_lines(&mut buf, &mut lines, n == 0);
            for l in lines.drain(..) {
                if tx.blocking_send(l).is_err() {
                    return;
                }
            }
            if n == 0 {
                return;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        output(line);
    }
    let _ = reading.await;
    let status = child.wait().await.map_err(|e| format!("waiting for the command failed: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(c) => Err(format!("running the command failed: exit status {c}")),
        None => Err("running the command failed: it was terminated by a signal".to_string()),
    }
}

/// Seconds of a Terraform duration string (`"5m"`, `"30s"`, `"1h"`, `"90"`).
fn parse_timeout(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map_or((s, ""), |i| (&s[..i], &s[i..]));
    let n: f64 = num.parse().map_err(|_| format!("\"timeout\" {s:?} is not a duration such as \"30s\" or \"5m\""))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("\"timeout\" {s:?} is not a duration such as \"30s\" or \"5m\"")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("\"timeout\" {s:?} must be between 0 and 24h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(not(feature = "onprem"))]
async fn remote(_root: &Path, _addr: &ResourceAddr, kind: &str, _args: &Value, _conn: Option<&Value>, _output: OutputSink<'_>) -> Result<(), String> {
    Err(format!("the {kind} provisioner needs SSH support, which this build of contin leaves out (feature \"onprem\")"))
}

#[cfg(feature = "onprem")]
async fn remote(root: &Path, addr: &ResourceAddr, kind: &str, args: &Value, conn: Option<&Value>, output: OutputSink<'_>) -> Result<(), String> {
    use contin_provider_onprem::remote::RemoteError;
    use contin_provider_onprem::ssh::{ConnectDefaults, SshConnector};
    use std::collections::BTreeMap;

    let conn = conn.ok_or_else(|| format!("the {kind} provisioner of {addr} needs a connection block (in the provisioner or the resource)"))?;
    if let Some(t) = string_arg(conn, "type")? {
        if t != "ssh" {
            return Err(format!("connection type {t:?} is not supported: contin connects over SSH only"));
        }
    }
    let host = string_arg(conn, "host")?.filter(|h| !h.is_empty()).ok_or("the connection's \"host\" is required (and must not be empty)")?;
    let user = string_arg(conn, "user")?.filter(|u| !u.is_empty()).unwrap_or_else(|| "root".to_string());
    let port = match string_arg(conn, "port")? {
        None => 22,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| format!("the connection's \"port\" {p:?} must be 1-65535"))?,
    };
    let private_key = string_arg(conn, "private_key")?.filter(|k| !k.trim().is_empty());
    if private_key.is_none() && matches!(get(conn, "agent"), Some(Value::Bool(false))) {
        return Err("the connection has no private_key and agent = false: there is no way to authenticate".to_string());
    }
    let host_key = string_arg(conn, "host_key")?.filter(|k| !k.trim().is_empty());
    let timeout = match string_arg(conn, "timeout")? {
        Some(t) => parse_timeout(&t)?,
        None => DEFAULT_TIMEOUT,
    };
    let script_path = string_arg(conn, "script_path")?.unwrap_or_else(|| "/tmp/terraform_%RAND%.sh".to_string());

    output("Connecting to remote host via SSH...".to_string());
    output(format!("  Host: {host}"));
    output(format!("  User: {user}"));
    output(format!("  Private key: {}", private_key.is_some()));
    output(format!("  Host key: {}", host_key.is_some()));
    let mut hv: BTreeMap<String, Value> = BTreeMap::new();
    hv.insert("name".into(), Value::string(host.clone()));
    hv.insert("address".into(), Value::string(host.clone()));
    hv.insert("port".into(), Value::int(i64::from(port)));
    hv.insert("user".into(), Value::string(user));
    if let Some(k) = private_key {
        hv.insert("private_key".into(), Value::string(k));
    }
    if let Some(k) = host_key {
        hv.insert("host_key".into(), Value::string(k));
    }
    let hv = Value::Map(hv);
    let connector = SshConnector::new(ConnectDefaults { known_hosts_file: None, connect_timeout: Duration::from_secs(10), base_dir: root.to_path_buf() });
    // A machine just created may not accept connections yet: retry while it
    // is unreachable, until the timeout.
    let deadline = tokio::time::Instant::now() + timeout;
    let session = loop {
        match connector.session(&hv).await {
            Ok(s) => break s,
            Err(RemoteError::Unreachable { .. }) if tokio::time::Instant::now() + Duration::from_secs(2) < deadline => {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(format!("connecting over SSH failed: {e}")),
        }
    };
    output("Connected!".to_string());
    let result = match kind {
        "remote-exec" => remote_exec(root, &session, args, &script_path, output).await,
        _ => file_upload(root, &session, args, output).await,
    };
    session.disconnect().await;
    result
}

#[cfg(feature = "onprem")]
async fn remote_exec(root: &Path, session: &dyn contin_provider_onprem::remote::Remote, args: &Value, script_path: &str, output: OutputSink<'_>) -> Result<(), String> {
    let mut scripts: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(lines) = string_list(args, "inline")? {
        let mut text = String::from("#!/bin/sh\n");
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        scripts.push(("inline commands".to_string(), text.into_bytes()));
    }
    let files = match (string_arg(args, "script")?, string_list(args, "scripts")?) {
        (Some(s), _) => vec![s],
        (None, Some(list)) => list,
        (None, None) => Vec::new(),
    };
    for f in files {
        let data = read_local(&resolve(root, &f)).await?;
        scripts.push((format!("script {f}"), data));
    }
    for (what, data) in scripts {
        let rand = uuid::Uuid::new_v4().as_u128() % 1_000_000_000;
        let path = script_path.replace("%RAND%", &rand.to_string());
        session.upload(&path, &data, 0o755).await.map_err(|e| format!("uploading the {what} failed: {e}"))?;
        let quoted = contin_provider_onprem::ssh::sh_quote(&path);
        let out = session.exec(&format!("{quoted}; rc=$?; rm -f {quoted}; exit $rc")).await.map_err(|e| format!("running the {what} failed: {e}"))?;
        emit_text(&out.stdout, output);
        emit_text(&out.stderr, output);
        match out.status {
            Some(0) => {}
            Some(c) => return Err(format!("the {what} exited with status {c}")),
            None => return Err(format!("the {what} ended without an exit status (killed by a signal, or the connection closed)")),
        }
    }
    Ok(())
}

#[cfg(feature = "onprem")]
async fn read_local(path: &Path) -> Result<Vec<u8>, String> {
    let meta = tokio::fs::metadata(path).await.map_err(|e| format!("reading {}: {e}", path.display()))?;
    if meta.len() > MAX_UPLOAD_BYTES {
        return Err(format!("{} is larger than the {MAX_UPLOAD_BYTES}-byte upload limit", path.display()));
    }
    tokio::fs::read(path).await.map_err(|e| format!("reading {}: {e}", path.display()))
}

#[cfg(feature = "onprem")]
async fn file_upload(root: &Path, session: &dyn contin_provider_onprem::remote::Remote, args: &Value, output: OutputSink<'_>) -> Result<(), String> {
    use contin_provider_onprem::ssh::sh_quote;
    let destination = string_arg(args, "destination")?.filter(|d| !d.is_empty()).ok_or("\"destination\" is required")?;
    if let Some(content) = string_arg(args, "content")? {
        return session.upload(&destination, content.as_bytes(), 0o644).await.map_err(|e| format!("uploading content to {destination} failed: {e}"));
    }
    let source = string_arg(args, "source")?.ok_or("one of \"source\" or \"content\" is required")?;
    let src = resolve(root, &source);
    let meta = tokio::fs::metadata(&src).await.map_err(|e| format!("reading {}: {e}", src.display()))?;
    if !meta.is_dir() {
        let data = read_local(&src).await?;
        return session.upload(&destination, &data, mode_of(&meta)).await.map_err(|e| format!("uploading {source} to {destination} failed: {e}"));
    }
    // Terraform: "dir/" uploads the directory's contents into destination,
    // "dir" the directory itself.
    let target = if source.ends_with('/') {
        destination.clone()
    } else {
        let name = src.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        format!("{}/{name}", destination.trim_end_matches('/'))
    };
    let mut stack = vec![(src.clone(), target)];
    let mut files = 0usize;
    while let Some((dir, remote_dir)) = stack.pop() {
        let out = session.exec(&format!("mkdir -p {}", sh_quote(&remote_dir))).await.map_err(|e| format!("creating {remote_dir} failed: {e}"))?;
        if !out.success() {
            return Err(format!("creating {remote_dir} failed: {}", out.stderr.trim()));
        }
        let mut entries = tokio::fs::read_dir(&dir).await.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        while let Some(entry) = entries.next_entry().await.map_err(|e| format!("reading {}: {e}", dir.display()))? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let meta = tokio::fs::metadata(&path).await.map_err(|e| format!("reading {}: {e}", path.display()))?;
            let remote_path = format!("{remote_dir}/{name}");
            if meta.is_dir() {
                stack.push((path, remote_path));
                continue;
            }
            files += 1;
            if files > MAX_UPLOAD_FILES {
                return Err(format!("{source} holds more than {MAX_UPLOAD_FILES} files (the upload limit)"));
            }
            let data = read_local(&path).await?;
            session.upload(&remote_path, &data, mode_of(&meta)).await.map_err(|e| format!("uploading {} failed: {e}", path.display()))?;
        }
    }
    output(format!("Uploaded {files} file(s) from {source}"));
    Ok(())
}

#[cfg(feature = "onprem")]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_cut_and_flushed() {
        let mut buf = b"a\r\nbb\npartial".to_vec();
        let mut out = Vec::new();
        take_lines(&mut buf, &mut out, false);
        assert_eq!(out, vec!["a", "bb"]);
        assert_eq!(buf, b"partial");
        take_lines(&mut buf, &mut out, true);
        assert_eq!(out.last().map(String::as_str), Some("partial"));
        let mut long = vec![b'x'; MAX_LINE_BYTES * 2 + 5];
        let mut out = Vec::new();
        take_lines(&mut long, &mut out, true);
        assert_eq!(out.iter().map(String::len).collect::<Vec<_>>(), vec![MAX_LINE_BYTES, MAX_LINE_BYTES, 5]);
    }

    #[test]
    fn timeouts_parse_like_terraform() {
        assert_eq!(parse_timeout("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_timeout("90"), Ok(Duration::from_secs(90)));
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("48h").is_err());
    }

    fn args(pairs: &[(&str, Value)]) -> Value {
        Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[tokio::test]
    async fn local_exec_streams_env_and_working_dir_and_fails_without_the_command() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let lines = std::sync::Mutex::new(Vec::new());
        let sink = |l: String| lines.lock().unwrap().push(l);
        let env = Value::Map([("GREETING".to_string(), Value::string("hello"))].into());
        let a = args(&[
            ("command", Value::string("echo $GREETING; pwd; echo oops >&2")),
            ("working_dir", Value::string("sub")),
            ("environment", env),
        ]);
        local_exec(dir.path(), &a, &sink).await.unwrap();
        let got = lines.lock().unwrap().clone();
        assert!(got[0].starts_with("Executing: [\"/bin/sh\" \"-c\""), "{got:?}");
        assert_eq!(got[1], "hello");
        assert!(got[2].ends_with("/sub"), "{got:?}");
        assert_eq!(got[3], "oops");

        let a = args(&[("command", Value::string("echo TOPSECRET; exit 3")), ("quiet", Value::Bool(true))]);
        let err = local_exec(dir.path(), &a, &|_| {}).await.unwrap_err();
        assert_eq!(err, "running the command failed: exit status 3");
    }
}
