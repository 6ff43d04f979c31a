//! Helpers for the agent's integration tests: a deployment (key, file
//! mailbox, tokens, signed documents) written with contin-edge-proto as the
//! control side would, the real `contin-agent` binary as a child process,
//! and /proc scans to find workload processes (by their CONTIN_* env).
#![allow(dead_code)]

use contin_edge_proto::{
    encode_public_key, generate_key, keys, rfc3339, AgentRecord, AgentStatus, DesiredState, Envelope, FileMailbox, Mailbox, Runtime, SigningKey, Token, TokenClaims, WorkloadSpec, FORMAT_VERSION,
};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

pub const POLL: &str = "300ms";

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// A unique site name (workload processes are found by it).
pub fn site(tag: &str) -> String {
    format!("{tag}-{}-{}", std::process::id(), SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos())
}

pub fn sleeper(name: &str, replicas: u32) -> WorkloadSpec {
    WorkloadSpec {
        name: name.into(),
        replicas,
        runtime: Runtime::Process,
        command: vec!["sleep".into(), "600".into()],
        image: None,
        env: Default::default(),
        requires: Default::default(),
        health: None,
        restart: contin_edge_proto::Restart { backoff_initial_ms: 200, backoff_max_ms: 2000 },
        autonomy: Default::default(),
        spec_hash: String::new(),
    }
    .hashed()
}

/// The control side, as far as the agent sees it.
pub struct Deployment {
    pub key: SigningKey,
    pub dir: tempfile::TempDir,
}

impl Deployment {
    pub fn new() -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("mailbox")).unwrap();
        Deployment { key: generate_key().unwrap(), dir }
    }

    pub fn mailbox(&self) -> PathBuf {
        self.dir.path().join("mailbox")
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.mailbox().display())
    }

    pub fn claims(&self, site: &str, mailbox: &str, ttl: Duration) -> TokenClaims {
        let now = SystemTime::now();
        TokenClaims {
            v: 1,
            token_id: format!("tok-{site}"),
            site: site.into(),
            deployment: "lineage-1".into(),
            mailbox: mailbox.into(),
            deployment_key: encode_public_key(&self.key.verifying_key()),
            issued_at: rfc3339(now),
            expires_at: rfc3339(now + ttl),
        }
    }

    pub fn token(&self, site: &str) -> String {
        Token::create(&self.claims(site, &self.url(), Duration::from_secs(3600)), &self.key)
    }

    pub fn doc(site: &str, generation: u64, workloads: Vec<WorkloadSpec>, children: Vec<String>) -> DesiredState {
        DesiredState { format_version: FORMAT_VERSION, deployment: "lineage-1".into(), site: site.into(), generation, issued_at: rfc3339(SystemTime::now()), children, workloads }
    }

    /// Writes raw bytes as `site`'s document.
    pub fn put_raw(&self, site: &str, bytes: &[u8]) {
        rt().block_on(FileMailbox::new(self.mailbox()).put(&keys::desired(site), bytes)).unwrap();
    }

    pub fn publish(&self, site: &str, generation: u64, workloads: Vec<WorkloadSpec>) {
        self.publish_doc(&Deployment::doc(site, generation, workloads, vec![]));
    }

    pub fn publish_doc(&self, doc: &DesiredState) {
        self.put_raw(&doc.site, &Envelope::seal(&self.key, doc));
    }

    /// The agents registered for `site` (agent.json).
    pub fn agents(&self, site: &str) -> Vec<AgentRecord> {
        let prefix = self.mailbox().join("sites").join(site).join("agents");
        let Ok(dirs) = std::fs::read_dir(prefix) else { return vec![] };
        dirs.flatten().filter_map(|d| serde_json::from_slice(&std::fs::read(d.path().join("agent.json")).ok()?).ok()).collect()
    }

    /// The single agent's verified status.
    pub fn status(&self, site: &str) -> Option<AgentStatus> {
        let a = self.agents(site).into_iter().next()?;
        let key = contin_edge_proto::decode_public_key(&a.public_key).ok()?;
        let bytes = std::fs::read(self.mailbox().join(keys::status(site, &a.agent_id))).ok()?;
        Envelope::open(&bytes, &key).ok()
    }

    /// Uploaded telemetry points of `site`'s agent.
    pub fn telemetry_points(&self, site: &str) -> usize {
        let Some(a) = self.agents(site).into_iter().next() else { return 0 };
        let dir = self.mailbox().join("sites").join(site).join("agents").join(&a.agent_id).join("telemetry");
        let Ok(files) = std::fs::read_dir(dir) else { return 0 };
        files
            .flatten()
            .filter_map(|f| serde_json::from_slice::<contin_edge_proto::TelemetryBatch>(&std::fs::read(f.path()).ok()?).ok())
            .map(|b| b.points.len())
            .sum()
    }
}

/// The `contin-agent` binary as a child process; killed (SIGKILL) on drop.
pub struct AgentProc {
    pub child: Child,
    pub log: PathBuf,
    /// Where this process's lines start in the (appended) log.
    from: usize,
}

/// The agent program and its leading args: `contin-agent`, or
/// `$CONTIN_BIN agent run` when CONTIN_BIN names a built `contin`.
pub fn agent_cmd() -> Command {
    match std::env::var_os("CONTIN_BIN") {
        Some(bin) => {
            let mut c = Command::new(bin);
            c.args(["agent", "run"]);
            c
        }
        // CONTIN_AGENT_BIN: another contin-agent build (e.g. release, for memory numbers).
        None => Command::new(std::env::var_os("CONTIN_AGENT_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_contin-agent").into())),
    }
}

impl AgentProc {
    pub fn start(data_dir: &Path, token: Option<&str>, extra: &[&str]) -> AgentProc {
        Self::start_env(data_dir, token, extra, &[])
    }

    pub fn start_env(data_dir: &Path, token: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> AgentProc {
        std::fs::create_dir_all(data_dir).unwrap();
        let log = data_dir.with_extension("agent.log");
        let mut c = agent_cmd();
        c.arg("--data-dir").arg(data_dir).args(extra);
        if !extra.contains(&"--poll") {
            c.arg("--poll").arg(POLL);
        }
        if let Some(t) = token {
            c.arg("--token").arg(t);
        }
        c.env_remove("CONTIN_AGENT_TOKEN");
        for (k, v) in env {
            c.env(k, v);
        }
        let f = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let from = std::fs::metadata(&log).map(|m| m.len() as usize).unwrap_or(0);
        c.stdin(Stdio::null()).stdout(f.try_clone().unwrap()).stderr(f);
        AgentProc { child: c.spawn().unwrap(), log, from }
    }

    pub fn log_text(&self) -> String {
        let all = std::fs::read(&self.log).unwrap_or_default();
        String::from_utf8_lossy(all.get(self.from..).unwrap_or_default()).to_string()
    }

    /// kill -9.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Live (non-zombie) workload processes of `site`: (pid, workload, replica).
pub fn workload_procs(site: &str) -> Vec<(u32, String, u32)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        let vars: Vec<String> = env.split(|b| *b == 0).map(|v| String::from_utf8_lossy(v).to_string()).collect();
        let get = |k: &str| vars.iter().find_map(|v| v.strip_prefix(&format!("{k}=")).map(str::to_string));
        if get("CONTIN_SITE").as_deref() != Some(site) {
            continue;
        }
        if contin_agent::procs::start_time(pid).is_none() {
            continue;
        }
        if let (Some(w), Some(r)) = (get("CONTIN_WORKLOAD"), get("CONTIN_REPLICA").and_then(|r| r.parse().ok())) {
            out.push((pid, w, r));
        }
    }
    out.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    out
}

/// pid of the single process of workload/replica (panics on duplicates).
pub fn pid_of(site: &str, workload: &str, replica: u32) -> Option<u32> {
    let v: Vec<u32> = workload_procs(site).into_iter().filter(|(_, w, r)| w == workload && *r == replica).map(|(p, _, _)| p).collect();
    assert!(v.len() <= 1, "{workload}[{replica}] runs {} copies: {v:?}", v.len());
    v.first().copied()
}

/// Kills every workload process of a site on drop (they outlive agents by design).
pub struct SiteGuard(pub String);

impl Drop for SiteGuard {
    fn drop(&mut self) {
        for _ in 0..3 {
            for (pid, _, _) in workload_procs(&self.0) {
                unsafe {
                    libc::kill(-(pid as i32), libc::SIGKILL);
                    libc::kill(pid as i32, libc::SIGKILL);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[track_caller]
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn kill(pid: u32) {
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
}
