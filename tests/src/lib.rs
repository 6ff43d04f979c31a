//! Harness for the end-to-end tests: locates (and builds) the real `contin`
//! binary, makes throwaway configuration directories, runs commands with a
//! timeout and no terminal, and provides insta filters for paths, timings
//! and generated ids.

pub mod corpus;
pub mod moto;
pub mod schema;
pub mod netns;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".."))
}

/// The `contin` binary next to this test executable (`target/<profile>/contin`).
/// Built once per test process with `cargo build -p contin` unless
/// `CONTIN_E2E_NO_BUILD` is set (scripts/test builds the workspace first), or
/// taken from `CONTIN_BIN` when that is set.
pub fn contin_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("CONTIN_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("the test executable has a path");
        // target/<profile>/deps/<test>-<hash>
        let profile_dir = exe.parent().and_then(Path::parent).expect("test executable lives in target/<profile>/deps");
        let bin = profile_dir.join(format!("contin{}", std::env::consts::EXE_SUFFIX));
        if std::env::var_os("CONTIN_E2E_NO_BUILD").is_none() {
            let target_dir = profile_dir.parent().expect("profile dir has a parent");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "--quiet", "-p", "contin", "--bin", "contin", "--target-dir"])
                .arg(target_dir)
                .current_dir(repo_root());
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("running cargo build -p contin");
            assert!(status.success(), "cargo build -p contin failed");
        }
        assert!(bin.exists(), "{} not found: run `cargo build -p contin` first", bin.display());
        bin
    })
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics with everything printed when the exit code is not `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }
    /// stdout followed by stderr.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A configuration directory in a temporary directory.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn empty() -> Project {
        Project { dir: tempfile::Builder::new().prefix("contin-e2e-").tempdir().expect("creating a temp dir") }
    }

    /// A copy of `examples/quickstart` (without outputs or state from local runs).
    pub fn quickstart() -> Project {
        let p = Project::empty();
        let src = repo_root().join("examples/quickstart");
        for entry in std::fs::read_dir(&src).expect("examples/quickstart exists") {
            let path = entry.expect("readable dir entry").path();
            if path.extension().is_some_and(|e| e == "hcl") {
                let name = path.file_name().expect("file name");
                std::fs::copy(&path, p.path().join(name)).expect("copying a quickstart file");
            }
        }
        p
    }

    /// A project with one `main.hcl`.
    pub fn with_main(hcl: &str) -> Project {
        let p = Project::empty();
        p.write("main.hcl", hcl);
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.file(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("creating parent dirs");
        }
        std::fs::write(path, text).expect("writing a project file");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.file(rel).exists()
    }

    /// The stored state document (panics when there is none).
    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(&self.read("contin.state.json")).expect("state is JSON")
    }

    /// `contin -C <dir> ARGS…` with stdin closed (not a terminal) and no colour.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, None, &[])
    }

    /// Like `run`, feeding `stdin` and setting extra environment variables.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_command(cmd, stdin, Duration::from_secs(120))
    }

    /// `contin -C <dir> ARGS…` ready to start: no colour, stdin closed, the
    /// caller's `CONTIN_VAR_*` removed; the caller chooses stdout/stderr
    /// (for tests that signal or kill a running contin).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(contin_bin());
        cmd.arg("-C").arg(self.path()).args(args);
        cmd.env("NO_COLOR", "1").stdin(Stdio::null());
        for (k, _) in std::env::vars() {
            if k.starts_with("CONTIN_VAR_") {
                cmd.env_remove(k);
            }
        }
        cmd
    }

    /// Regex filters for insta: this directory, timings, generated ids.
    pub fn filters(&self) -> Vec<(String, String)> {
        let mut f = vec![(regex_escape(&self.path().to_string_lossy()), "[DIR]".to_string())];
        if let Ok(canon) = self.path().canonicalize() {
            f.push((regex_escape(&canon.to_string_lossy()), "[DIR]".to_string()));
        }
        f.extend(common_filters());
        f
    }
}

/// Timings and generated ids that change from run to run.
pub fn common_filters() -> Vec<(String, String)> {
    [
        (r"after \d+(m\d+)?s", "after [TIME]"),
        (r"\[\d+s elapsed\]", "[[TIME] elapsed]"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[UUID]"),
        (r"fake-\d+", "fake-[N]"),
        (r#""elapsed_ms":\s*\d+"#, r#""elapsed_ms": [MS]"#),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIMESTAMP]"),
        (r"pid \d+", "pid [PID]"),
        // Change whenever an example or the version changes; not what the snapshots pin.
        (r#""config_hash": "[0-9a-f]{64}""#, r#""config_hash": "[HASH]""#),
        (r#""contin_version": "[^"]*""#, r#""contin_version": "[VERSION]""#),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// insta settings with the given filters; use as `settings.bind(|| assert_snapshot!(…))`.
pub fn insta_settings(filters: &[(String, String)]) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    for (re, with) in filters {
        s.add_filter(re, with.as_str());
    }
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~ ".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Runs to completion or kills after `timeout` (then panics).
pub fn run_command(mut cmd: Command, stdin: Option<&str>, timeout: Duration) -> Output {
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    // Read pipes on threads so a chatty child cannot block on a full pipe.
    let out = child.stdout.take().map(spawn_reader);
    let err = child.stderr.take().map(spawn_reader);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for contin") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let join = |h: Option<std::thread::JoinHandle<String>>| h.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
    Output { code: status.code().unwrap_or(-1), stdout: join(out), stderr: join(err) }
}

fn spawn_reader(mut r: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// A layered graph of `n` fake resources, `width` per layer, each depending on
/// one resource of the previous layer; `fail` gets `fail_on = "create"`.
pub fn layered_fake_config(n: usize, width: usize, fail: Option<usize>) -> String {
    let mut hcl = String::from("provider \"fake\" {}\n\n");
    for i in 0..n {
        let layer = i / width;
        hcl.push_str(&format!("resource \"fake_resource\" \"r{i}\" {{\n  name = \"r{i}\"\n"));
        if layer > 0 {
            let parent = (layer - 1) * width + i % width;
            hcl.push_str(&format!("  value = fake_resource.r{parent}.id\n"));
        }
        if fail == Some(i) {
            hcl.push_str("  fail_on = \"create\"\n");
        }
        hcl.push_str("}\n\n");
    }
    hcl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layered_config_links_layers() {
        let hcl = layered_fake_config(4, 2, Some(2));
        assert!(hcl.contains("resource \"fake_resource\" \"r3\" {\n  name = \"r3\"\n  value = fake_resource.r1.id\n}"), "{hcl}");
        assert!(hcl.contains("\"r2\" {\n  name = \"r2\"\n  value = fake_resource.r0.id\n  fail_on = \"create\"\n}"), "{hcl}");
        assert!(!hcl.contains("\"r0\" {\n  name = \"r0\"\n  value"), "{hcl}");
    }

    #[test]
    fn escaping_makes_paths_literal() {
        assert_eq!(regex_escape("/tmp/a.b-c"), r"/tmp/a\.b\-c");
    }
}
