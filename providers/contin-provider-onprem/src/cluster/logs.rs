//! Per-step logs (`<log_dir>/<cluster>/<host>/<step>.log`) and the redaction
//! of secrets (join token, kubeconfig) from everything that leaves the
//! orchestration: logs and error messages.

use crate::remote::ExecOutput;
use std::path::{Path, PathBuf};

const REDACTED: &str = "(redacted)";

/// Secrets known so far; `redact` replaces every occurrence.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Adds a secret; also its parts split at `/` and `::` (microk8s and
    /// k3s tokens are composites whose parts are secret on their own).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() < 4 {
            return;
        }
        self.secrets.push(secret.to_string());
        for part in secret.split('/').flat_map(|p| p.split("::")) {
            if part.len() >= 8 {
                self.secrets.push(part.to_string());
            }
        }
        // Longest first, so a whole secret wins over its parts.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self.secrets.dedup();
    }

    /// Adds a kubeconfig: the whole text and every credential value in it.
    pub fn add_kubeconfig(&mut self, kubeconfig: &str) {
        self.add(kubeconfig);
        for line in kubeconfig.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let key = key.trim().trim_start_matches("- ");
            if key.ends_with("-data") || matches!(key, "token" | "password" | "client-key" | "client-certificate") {
                let value = value.trim().trim_matches('"');
                if value.len() >= 8 {
                    self.add(value);
                }
            }
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Writes step logs of one cluster.
#[derive(Clone, Debug)]
pub struct StepLogs {
    dir: PathBuf,
}

impl StepLogs {
    pub fn new(log_dir: &Path, cluster: &str) -> Self {
        StepLogs { dir: log_dir.join(path_component(cluster)) }
    }

    pub fn path(&self, host: &str, step: &str) -> PathBuf {
        self.dir.join(path_component(host)).join(format!("{}.log", path_component(step)))
    }

    /// Records `out` of `step` on `host`, redacted. Logging is best effort:
    /// an unwritable log directory must not fail an install that worked.
    pub fn write(&self, host: &str, step: &str, out: &ExecOutput, redactor: &Redactor) {
        let status = out.status.map_or_else(|| "none (killed)".to_string(), |s| s.to_string());
        let text = format!(
            "step: {step}\nhost: {host}\nexit status: {status}\n--- stdout ---\n{}\n--- stderr ---\n{}\n",
            out.stdout.trim_end(),
            out.stderr.trim_end()
        );
        self.write_text(host, step, &redactor.redact(&text));
    }

    /// Records a step that produced no command output (upload, connect error).
    pub fn write_note(&self, host: &str, step: &str, note: &str, redactor: &Redactor) {
        self.write_text(host, step, &redactor.redact(&format!("step: {step}\nhost: {host}\n{note}\n")));
    }

    fn write_text(&self, host: &str, step: &str, text: &str) {
        let path = self.path(host, step);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(path, text);
    }
}

/// A name usable as one path component (no separators, no `..`).
fn path_component(s: &str) -> String {
    let c: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if c.is_empty() || c.chars().all(|c| c == '.') {
        "_".to_string()
    } else {
        c
    }
}

/// The last `n` lines of a command's output (stdout then stderr), redacted.
pub fn tail(out: &ExecOutput, n: usize, redactor: &Redactor) -> String {
    let lines: Vec<&str> = out.stdout.lines().chain(out.stderr.lines()).filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    redactor.redact(&lines[start..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_token_and_its_parts() {
        let mut r = Redactor::default();
        r.add("K10deadbeefcafe::server:0123456789abcdef");
        assert_eq!(r.redact("token=K10deadbeefcafe::server:0123456789abcdef."), "token=(redacted).");
        assert_eq!(r.redact("half: server:0123456789abcdef"), "half: (redacted)");
    }

    #[test]
    fn redacts_kubeconfig_credentials() {
        let mut r = Redactor::default();
        r.add_kubeconfig("users:\n- name: default\n  user:\n    client-key-data: c2VjcmV0LWtleS1kYXRh\n");
        assert_eq!(r.redact("leaked c2VjcmV0LWtleS1kYXRh here"), "leaked (redacted) here");
    }

    #[test]
    fn log_paths_stay_inside_the_log_dir() {
        let logs = StepLogs::new(Path::new("/logs"), "../edge");
        assert_eq!(logs.path("a/b", "join-agent"), Path::new("/logs/.._edge/a_b/join-agent.log"));
    }

    #[test]
    fn tail_keeps_the_last_lines_of_both_streams() {
        let out = ExecOutput { status: Some(1), stdout: "1\n2\n3\n".into(), stderr: "4\n5\n".into() };
        assert_eq!(tail(&out, 3, &Redactor::default()), "3\n4\n5");
    }
}
