//! Running the scripts on hosts: artifact upload, per-host steps with logs,
//! and a small `join_all` for running hosts in parallel.

use super::logs::{tail, Redactor, StepLogs};
use super::script::{render, Flavor, Role, Script, ScriptContext, BIN_DIR, REMOTE_ROOT};
use super::spec::{ClusterSpec, HostSpec};
use crate::remote::{Connector, ExecOutput, Remote, RemoteError};
use contin_provider::ProviderError;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

/// Lines of script output quoted in error messages.
const TAIL_LINES: usize = 10;
/// Longest an install/join/uninstall step may take (waiting for a control plane is slow).
const STEP_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Longest a status probe may take before the host counts as unreachable.
const STATUS_TIMEOUT: Duration = Duration::from_secs(120);

/// `remote.exec` bounded by `limit`: a host that stops answering must not hang the apply.
async fn exec_within(remote: &dyn Remote, cmd: &str, limit: Duration) -> Result<ExecOutput, RemoteError> {
    match tokio::time::timeout(limit, remote.exec(cmd)).await {
        Ok(r) => r,
        Err(_) => Err(RemoteError::Unreachable {
            host: remote.name().to_string(),
            message: format!("no answer within {limit:?}"),
        }),
    }
}

/// One file to upload, relative to `artifacts_dir/<flavor>/`.
#[derive(Clone, Debug)]
pub struct Artifact {
    pub rel: String,
    pub data: Arc<Vec<u8>>,
    pub mode: u32,
}

/// Reads every file under `artifacts_dir/<flavor>/`, checking the flavor's
/// required files are there.
pub fn load_artifacts(spec: &ClusterSpec) -> Result<Vec<Artifact>, ProviderError> {
    let name = &spec.name;
    let Some(dir) = &spec.artifacts_dir else {
        return Err(ProviderError::Invalid(format!(
            "cluster.{name}: artifacts_dir is not set; flavor {} installs offline from artifacts_dir/{}/",
            spec.flavor.as_str(),
            spec.flavor.as_str()
        )));
    };
    let root = Path::new(dir).join(spec.flavor.as_str());
    if !root.is_dir() {
        return Err(ProviderError::Invalid(format!(
            "cluster.{name}: artifacts directory {} does not exist (artifacts_dir = {dir:?})",
            root.display()
        )));
    }
    for req in spec.flavor.required_artifacts() {
        let p = root.join(req);
        if !p.is_file() {
            return Err(ProviderError::Invalid(format!(
                "cluster.{name}: artifact {} is missing (flavor {} needs {} in {})",
                p.display(),
                spec.flavor.as_str(),
                spec.flavor.required_artifacts().join(", "),
                root.display()
            )));
        }
    }
    let mut out = Vec::new();
    collect_files(&root, &root, &mut out)
        .map_err(|e| ProviderError::Invalid(format!("cluster.{name}: reading artifacts in {}: {e}", root.display())))?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<Artifact>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path: PathBuf = entry.path();
        let meta = std::fs::metadata(&path)?;
        if meta.is_dir() {
            collect_files(root, &path, out)?;
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            let mode = if meta.permissions().mode() & 0o111 != 0 { 0o755 } else { 0o644 };
            out.push(Artifact { rel, data: Arc::new(std::fs::read(&path)?), mode });
        }
    }
    Ok(())
}

/// Drives one cluster's steps on its hosts.
pub struct Runner<'a> {
    pub spec: &'a ClusterSpec,
    pub conn: &'a dyn Connector,
    pub logs: StepLogs,
    pub redactor: Redactor,
}

impl Runner<'_> {
    pub fn script_dir(&self) -> String {
        let safe: String =
            self.spec.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        format!("{REMOTE_ROOT}/clusters/{safe}")
    }

    /// `cluster.NAME: host HOST: ` — the prefix of every per-host message.
    pub fn prefix(&self, host: &str) -> String {
        format!("cluster.{}: host {host}: ", self.spec.name)
    }

    pub fn context(&self, host: &HostSpec, role: Role, token: &str) -> ScriptContext {
        let first = self.spec.servers.first().map_or("", |s| s.address.as_str());
        ScriptContext {
            cluster_name: self.spec.name.clone(),
            flavor: self.spec.flavor.as_str(),
            node_name: host.name.clone(),
            role,
            server_address: first.to_string(),
            token: token.to_string(),
            artifacts_dir: self.spec.flavor.remote_artifacts_dir(),
            bin_dir: BIN_DIR.to_string(),
            script_dir: self.script_dir(),
            version: self.spec.version.clone(),
            extra_args: self.spec.extra_args.clone(),
            ha: self.spec.servers.len() > 1,
        }
    }

    pub async fn connect(&self, host: &HostSpec) -> Result<Arc<dyn Remote>, RemoteError> {
        match self.conn.connect(&host.value).await {
            Ok(r) => Ok(r),
            Err(e) => {
                self.logs.write_note(&host.name, "connect", &format!("error: {e}"), &self.redactor);
                Err(e)
            }
        }
    }

    /// Runs a plain command, logging it as `step`; a non-zero exit is an error with the tail.
    pub async fn command(&self, remote: &dyn Remote, host: &str, step: &str, cmd: &str) -> Result<ExecOutput, String> {
        let out = exec_within(remote, cmd, STEP_TIMEOUT).await.map_err(|e| format!("{}{step}: {e}", self.prefix(host)))?;
        self.logs.write(host, step, &out, &self.redactor);
        if !out.success() {
            return Err(self.failure(host, step, &out));
        }
        Ok(out)
    }

    /// Like `command` but the output is secret: logged as size only.
    pub async fn secret_command(&self, remote: &dyn Remote, host: &str, step: &str, cmd: &str) -> Result<String, String> {
        let out = exec_within(remote, cmd, STEP_TIMEOUT).await.map_err(|e| format!("{}{step}: {e}", self.prefix(host)))?;
        let note = format!(
            "exit status: {}\n(stdout withheld: {} bytes of secret output)\n--- stderr ---\n{}",
            out.status.map_or_else(|| "none (killed)".to_string(), |s| s.to_string()),
            out.stdout.len(),
            out.stderr.trim_end()
        );
        self.logs.write_note(host, step, &note, &self.redactor);
        if !out.success() {
            let quiet = ExecOutput { stdout: String::new(), ..out };
            return Err(self.failure(host, step, &quiet));
        }
        Ok(out.stdout)
    }

    fn failure(&self, host: &str, step: &str, out: &ExecOutput) -> String {
        let status = out.status.map_or_else(|| "was killed (no exit status)".to_string(), |s| format!("exited with status {s}"));
        format!("{}{step} {status}; last lines:\n{}", self.prefix(host), tail(out, TAIL_LINES, &self.redactor))
    }

    /// Creates the remote directories and uploads the artifacts.
    pub async fn prepare(&self, remote: &dyn Remote, host: &HostSpec, artifacts: &[Artifact]) -> Result<(), String> {
        let adir = self.spec.flavor.remote_artifacts_dir();
        let mut dirs: Vec<String> = vec![adir.clone(), self.script_dir()];
        for a in artifacts {
            if let Some((parent, _)) = a.rel.rsplit_once('/') {
                dirs.push(format!("{adir}/{parent}"));
            }
        }
        dirs.sort();
        dirs.dedup();
        let quoted: Vec<String> = dirs.iter().map(|d| super::script::shell_quote(d)).collect();
        self.command(remote, &host.name, "prepare", &format!("mkdir -p {}", quoted.join(" "))).await?;
        let mut uploaded = Vec::new();
        for a in artifacts {
            let path = format!("{adir}/{}", a.rel);
            remote.upload(&path, &a.data, a.mode).await.map_err(|e| format!("{}uploading {path}: {e}", self.prefix(&host.name)))?;
            uploaded.push(format!("{path} ({} bytes, mode {:o})", a.data.len(), a.mode));
        }
        self.logs.write_note(&host.name, "upload-artifacts", &format!("uploaded:\n{}", uploaded.join("\n")), &self.redactor);
        Ok(())
    }

    /// Renders `script`, uploads it to the cluster's script dir and runs it.
    /// Scripts holding the join token are removed right after running.
    pub async fn run_script(&self, remote: &dyn Remote, host: &HostSpec, script: Script, ctx: &ScriptContext) -> Result<ExecOutput, String> {
        let text = render(self.spec.flavor, script, ctx).map_err(|e| format!("{}{e}", self.prefix(&host.name)))?;
        let path = format!("{}/{}", self.script_dir(), script.file_name());
        remote.upload(&path, text.as_bytes(), 0o700).await.map_err(|e| format!("{}uploading {path}: {e}", self.prefix(&host.name)))?;
        let q = super::script::shell_quote(&path);
        let cmd = if ctx.token.is_empty() { format!("sh {q}") } else { format!("sh {q}; rc=$?; rm -f {q}; exit $rc") };
        let step = script.file_name().trim_end_matches(".sh");
        let out = exec_within(remote, &cmd, STEP_TIMEOUT).await.map_err(|e| format!("{}{}: {e}", self.prefix(&host.name), script.file_name()))?;
        self.logs.write(&host.name, step, &out, &self.redactor);
        if !out.success() {
            return Err(self.failure(&host.name, script.file_name(), &out));
        }
        Ok(out)
    }

    /// Connects, uploads artifacts and runs the join script on one host.
    pub async fn join(&self, host: &HostSpec, role: Role, token: &str, artifacts: &[Artifact]) -> Result<(), String> {
        let remote = self.connect(host).await.map_err(|e| format!("{}{e}", self.prefix(&host.name)))?;
        self.prepare(remote.as_ref(), host, artifacts).await?;
        let ctx = self.context(host, role, token);
        self.run_script(remote.as_ref(), host, Script::JoinAgent, &ctx).await.map(|_| ())
    }

    /// Connects and runs the uninstall script on one host.
    pub async fn uninstall(&self, host: &HostSpec, role: Role) -> Result<(), String> {
        let remote = self.connect(host).await.map_err(|e| format!("{}{e}", self.prefix(&host.name)))?;
        let ctx = self.context(host, role, "");
        // The script dir may be gone (a failed earlier destroy removed it): recreate it for the upload.
        let dir = super::script::shell_quote(&self.script_dir());
        self.command(remote.as_ref(), &host.name, "prepare", &format!("mkdir -p {dir}")).await?;
        self.run_script(remote.as_ref(), host, Script::Uninstall, &ctx).await.map(|_| ())
    }

    /// Runs status.sh inline (no upload, nothing secret in it).
    pub async fn status(&self, host: &HostSpec, role: Role) -> Result<HostStatus, RemoteError> {
        let remote = self.connect(host).await?;
        let ctx = self.context(host, role, "");
        let text = render(self.spec.flavor, Script::Status, &ctx).map_err(|e| RemoteError::Io(e.to_string()))?;
        let out = exec_within(remote.as_ref(), &format!("sh -c {}", super::script::shell_quote(&text)), STATUS_TIMEOUT).await?;
        self.logs.write(&host.name, "status", &out, &self.redactor);
        if !out.success() {
            return Err(RemoteError::Io(self.failure(&host.name, "status.sh", &out)));
        }
        Ok(HostStatus::parse(&out.stdout))
    }
}

/// What status.sh reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostStatus {
    /// `running`, `installed`, `stopped` or `absent`.
    pub state: String,
    pub version: String,
}

impl HostStatus {
    pub fn parse(stdout: &str) -> HostStatus {
        let field = |k: &str| {
            stdout.lines().find_map(|l| l.trim().strip_prefix(k).and_then(|r| r.strip_prefix('='))).unwrap_or_default().trim().to_string()
        };
        HostStatus { state: field("state"), version: field("version") }
    }
    pub fn is_absent(&self) -> bool {
        self.state == "absent"
    }
}

/// Polls all futures to completion on the current task; results in input order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.expect("poll_fn returns only when every future is ready")).collect()
}

/// Flavor-specific post-processing of the captured kubeconfig.
pub fn fix_kubeconfig(flavor: Flavor, kubeconfig: &str, server_address: &str) -> String {
    match flavor {
        // k3s writes its kubeconfig for local use.
        Flavor::K3s => kubeconfig.replace("https://127.0.0.1:", &format!("https://{server_address}:")),
        _ => kubeconfig.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parsing() {
        let s = HostStatus::parse("state=installed\nversion=v1.30.2+k3s1\n");
        assert_eq!(s, HostStatus { state: "installed".into(), version: "v1.30.2+k3s1".into() });
        assert!(HostStatus::parse("state=absent\n").is_absent());
    }

    struct Silent;
    #[async_trait::async_trait]
    impl Remote for Silent {
        fn name(&self) -> &str {
            "silent"
        }
        async fn exec(&self, _: &str) -> Result<ExecOutput, RemoteError> {
            std::future::pending().await
        }
        async fn upload(&self, _: &str, _: &[u8], _: u32) -> Result<(), RemoteError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_silent_host_times_out_as_unreachable() {
        let err = exec_within(&Silent, "true", Duration::from_millis(20)).await.unwrap_err();
        assert_eq!(err, RemoteError::Unreachable { host: "silent".into(), message: "no answer within 20ms".into() });
    }

    #[tokio::test]
    async fn join_all_keeps_order() {
        let futs: Vec<_> = (0..3u64)
            .map(|i| async move {
                tokio::time::sleep(std::time::Duration::from_millis(30 - i * 10)).await;
                i
            })
            .collect();
        assert_eq!(join_all(futs).await, vec![0, 1, 2]);
    }
}
