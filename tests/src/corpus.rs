//! Data-driven corpora (`tests/bad-input/`, `tests/secrets/`): one directory
//! per case with a `case.toml`, copied to a temporary directory and run with
//! the real binary under a memory limit and a timeout that never panics, so a
//! runner can report every failing case at once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address-space limit for every run, in KiB (`ulimit -v`): 3 GB.
pub const ULIMIT_V_KIB: u64 = 3_000_000;

/// Text that only a crash prints.
pub const CRASH_MARKERS: &[&str] =
    &["panicked", "has overflowed its stack", "stack overflow", "SIGABRT", "memory allocation of", "RUST_BACKTRACE"];

/// One case directory.
#[derive(Clone, Debug)]
pub struct Case {
    /// The directory name, `NN-short-name`.
    pub name: String,
    pub dir: PathBuf,
    /// What the case checks (`checks = "…"`).
    pub checks: String,
    /// The command after `contin -C DIR` (`args = "plan"`), split on spaces.
    pub args: Vec<String>,
    /// What the runner makes before running (`setup = "…"`).
    pub setup: Option<String>,
    /// Any other `key = "value"` lines.
    pub extra: Vec<(String, String)>,
}

/// The cases of `tests/<corpus>/`, in name order. Panics on a malformed `case.toml`.
pub fn cases(corpus: &str) -> Vec<Case> {
    let root = crate::repo_root().join("tests").join(corpus);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter().map(|dir| parse_case(&dir)).collect()
}

fn parse_case(dir: &Path) -> Case {
    let file = dir.join("case.toml");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    let mut case = Case {
        name: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        dir: dir.to_path_buf(),
        checks: String::new(),
        args: Vec::new(),
        setup: None,
        extra: Vec::new(),
    };
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{}: not `key = \"value\"`: {line}", file.display()));
        let value: String = serde_json::from_str(value.trim())
            .unwrap_or_else(|e| panic!("{}: {key} is not a quoted string ({e}): {line}", file.display()));
        match key.trim() {
            "checks" => case.checks = value,
            "args" => case.args = value.split_whitespace().map(str::to_string).collect(),
            "setup" => case.setup = Some(value),
            other => case.extra.push((other.to_string(), value)),
        }
    }
    assert!(!case.args.is_empty(), "{}: no args", file.display());
    case
}

/// Copies the regular files of `src` (recursively) into `dst`.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap_or_else(|e| panic!("creating {}: {e}", dst.display()));
    for entry in std::fs::read_dir(src).unwrap_or_else(|e| panic!("reading {}: {e}", src.display())) {
        let path = entry.expect("readable dir entry").path();
        let to = dst.join(path.file_name().expect("file name"));
        if path.is_dir() {
            copy_dir(&path, &to);
        } else if path.is_file() {
            std::fs::copy(&path, &to).unwrap_or_else(|e| panic!("copying {}: {e}", path.display()));
        }
    }
}

/// How a limited run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signaled(i32),
    TimedOut,
}

/// What one limited run produced.
#[derive(Clone, Debug)]
pub struct Limited {
    pub ended: Ended,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Limited {
    /// stdout followed by stderr.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    /// Why this run looks like a crash (signal, timeout, crash text); empty when it does not.
    pub fn crash_signs(&self) -> Vec<String> {
        let mut why = Vec::new();
        match self.ended {
            Ended::TimedOut => why.push(format!("timed out after {:?}", self.took)),
            Ended::Signaled(s) => why.push(format!("killed by signal {s}")),
            Ended::Exited(_) => {}
        }
        let all = self.all();
        why.extend(CRASH_MARKERS.iter().filter(|m| all.contains(**m)).map(|m| format!("printed {m:?}")));
        why
    }
}

/// `contin -C dir ARGS…` under `ulimit -v` (`sh -c 'ulimit -v N; exec "$0" "$@"'`),
/// stdin closed, no colour; killed after `timeout` (reported, not a panic).
pub fn run_limited(dir: &Path, args: &[String], env: &[(&str, &str)], timeout: Duration) -> Limited {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("ulimit -v {ULIMIT_V_KIB}; exec \"$0\" \"$@\"")).arg(crate::contin_bin()).arg("-C").arg(dir).args(args);
    cmd.env("NO_COLOR", "1").current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("CONTIN_VAR_") || k.starts_with("CONTIN_LOG") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    let out = child.stdout.take().map(reader);
    let err = child.stderr.take().map(reader);
    let ended = loop {
        if let Some(status) = child.try_wait().expect("waiting for contin") {
            use std::os::unix::process::ExitStatusExt;
            break match (status.code(), status.signal()) {
                (Some(c), _) => Ended::Exited(c),
                (None, Some(s)) => Ended::Signaled(s),
                (None, None) => Ended::Exited(-1),
            };
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break Ended::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let join = |h: Option<std::thread::JoinHandle<String>>| h.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
    Limited { ended, stdout: join(out), stderr: join(err), took }
}

/// Reads at most 16 MiB of a pipe (the rest is drained and dropped).
fn reader(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut r).take(16 << 20).read_to_end(&mut buf);
        let _ = std::io::copy(&mut r, &mut std::io::sink());
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// The first `head` lines, then how many were left out: keeps goldens of
/// cases that print 100,000 errors small.
pub fn clip_lines(text: &str, head: usize) -> String {
    let total = text.lines().count();
    if total <= head {
        return text.to_string();
    }
    let mut out: String = text.lines().take(head).flat_map(|l| [l, "\n"]).collect();
    out.push_str(&format!("[… {} more lines, {total} in all]\n", total - head));
    out
}
