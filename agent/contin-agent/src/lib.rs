//! The contin edge agent (docs/edge.md "Agent", docs/edge-protocol.md).
//!
//! [`run`] enrolls with a token (or resumes from the data dir), then runs
//! two loops until shutdown:
//! - sync ([`sync`]): every poll, reads the site's signed document from the
//!   ordered upstreams (conditional reads), verifies it against the trusted
//!   deployment key, hands newer generations to the supervisor, refreshes
//!   the relay cache, and uploads status and buffered telemetry while the
//!   mailbox is reachable;
//! - supervision ([`supervisor`]): keeps the verified workload set running
//!   whatever the link does (restarts with backoff, health probes, adoption
//!   of workloads that outlived a previous agent), and one telemetry sample
//!   per poll into the store's ring buffer.
//!
//! The agent never prints: it reports [`Event`]s to the caller's sink.

pub mod cli;
pub mod containers;
pub mod procs;
pub mod relay;
pub mod store;
pub mod supervisor;
pub mod sync;
pub mod telemetry;

use contin_edge_proto::{agent_id, decode_public_key, rfc3339, DesiredState, Envelope, ProtoError, SigningKey, Token};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use store::{Enrollment, Store};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("enrollment token: {0}")]
    Token(ProtoError),
    #[error("{0} has no enrollment: start the agent once with --token (from `contin edge token create SITE`)")]
    NotEnrolled(PathBuf),
    #[error("{dir} is enrolled for site {enrolled:?} (deployment key {key_note}); the token is for site {token:?}: use another --data-dir")]
    OtherEnrollment { dir: PathBuf, enrolled: String, token: String, key_note: &'static str },
    #[error("agent store {path}: {detail}")]
    Store { path: PathBuf, detail: String },
    #[error("agent key {path}: {detail}")]
    Key { path: PathBuf, detail: String },
    #[error("data dir {path}: {detail}")]
    DataDir { path: PathBuf, detail: String },
    #[error("upstream {url}: {detail}")]
    Upstream { url: String, detail: String },
    #[error("relay cannot listen on {addr}: {detail}")]
    Serve { addr: SocketAddr, detail: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Routine detail (each status upload); not logged by the binary.
    Debug,
    Info,
    Warn,
    Error,
}

/// Something the agent did or saw (the caller logs it).
#[derive(Clone, Debug)]
pub struct Event {
    pub level: Level,
    pub message: String,
}

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// `contin agent run` options.
#[derive(Clone)]
pub struct AgentOptions {
    /// Required for the first start of a data dir.
    pub token: Option<String>,
    pub data_dir: PathBuf,
    /// Relay: serve cached documents on this address.
    pub serve: Option<SocketAddr>,
    /// Ordered upstreams (mailbox URLs or `http://` parent relays); empty:
    /// the token's mailbox.
    pub upstreams: Vec<String>,
    pub poll: Duration,
    pub telemetry_capacity: u64,
    pub events: EventSink,
    /// S3 clients (HTTP connection pools) to share with other in-process
    /// agents; a fresh set by default.
    pub connections: contin_edge_proto::Connections,
    /// Longest time between two status uploads while nothing changes
    /// (status is written when it changes, and at least this often).
    pub heartbeat: Duration,
}

impl AgentOptions {
    pub fn new(data_dir: PathBuf, events: EventSink) -> AgentOptions {
        AgentOptions { token: None, data_dir, serve: None, upstreams: Vec::new(), poll: Duration::from_secs(5),
            telemetry_capacity: store::TELEMETRY_CAPACITY,
            events,
            connections: contin_edge_proto::Connections::default(),
            heartbeat: sync::HEARTBEAT,
        }
    }
}

/// The agent's own key (`<data dir>/agent.key`, base64, mode 0600),
/// created on first start.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, AgentError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let kerr = |detail: String| AgentError::Key { path: path.to_path_buf(), detail };
    match std::fs::read_to_string(path) {
        Ok(s) => contin_edge_proto::decode_secret_key(s.trim()).map_err(|e| kerr(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = contin_edge_proto::generate_key().map_err(|e| kerr(e.to_string()))?;
            let tmp = path.with_extension("key.tmp");
            let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(|e| kerr(e.to_string()))?;
            f.write_all(contin_edge_proto::encode_secret_key(&key).as_bytes()).and_then(|_| f.sync_all()).map_err(|e| kerr(e.to_string()))?;
            std::fs::rename(&tmp, path).map_err(|e| kerr(e.to_string()))?;
            Ok(key)
        }
        Err(e) => Err(kerr(e.to_string())),
    }
}

/// Checks the token (form, signature, expiry) and records the enrollment,
/// or returns the existing one. A data dir enrolled before needs no token;
/// a token given then must be for the same site and deployment key (its
/// expiry no longer matters: the agent is already enrolled).
pub fn enroll(store: &Store, data_dir: &Path, token: Option<&str>, now: SystemTime) -> Result<Enrollment, AgentError> {
    let existing = store.enrollment()?;
    let claims = match token {
        Some(t) => Some(Token::parse(t).map_err(AgentError::Token)?),
        None => None,
    };
    match (existing, claims) {
        (Some(e), None) => Ok(e),
        (Some(e), Some(c)) => {
            if e.site != c.site || e.deployment_key != c.deployment_key {
                let key_note = if e.deployment_key == c.deployment_key { "the same" } else { "another" };
                return Err(AgentError::OtherEnrollment { dir: data_dir.to_path_buf(), enrolled: e.site, token: c.site, key_note });
            }
            Ok(e)
        }
        (None, None) => Err(AgentError::NotEnrolled(data_dir.to_path_buf())),
        (None, Some(c)) => {
            c.check_expiry(now).map_err(AgentError::Token)?;
            decode_public_key(&c.deployment_key).map_err(AgentError::Token)?;
            contin_edge_proto::MailboxUrl::parse(&c.mailbox).map_err(|e| AgentError::Upstream { url: c.mailbox.clone(), detail: e.to_string() })?;
            let e = Enrollment {
                site: c.site,
                deployment: c.deployment,
                deployment_key: c.deployment_key,
                mailbox: c.mailbox,
                token_id: c.token_id,
                enrolled_at: rfc3339(now),
                registered: false,
            };
            store.set_enrollment(&e)?;
            Ok(e)
        }
    }
}

/// Why a document was refused (logged and recorded in status).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The generation the document claims (0 when unreadable).
    pub generation: u64,
    pub reason: String,
}

/// Verifies a desired document: signature against the trusted key, the
/// site, the format version, and a generation not older than `running`.
pub fn verify_desired(bytes: &[u8], trusted: &contin_edge_proto::VerifyingKey, site: &str, running: Option<u64>) -> Result<DesiredState, Rejected> {
    let claimed = || -> u64 {
        // For the log only: the generation an unverified document claims.
        Envelope::parse(bytes)
            .ok()
            .and_then(|e| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(e.payload).ok()
            })
            .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
            .and_then(|v| v.get("generation").and_then(|g| g.as_u64()))
            .unwrap_or(0)
    };
    let doc: DesiredState = Envelope::open(bytes, trusted).map_err(|e| Rejected { generation: claimed(), reason: e.to_string() })?;
    let reject = |e: ProtoError| Rejected { generation: doc.generation, reason: e.to_string() };
    if doc.format_version != contin_edge_proto::FORMAT_VERSION {
        return Err(reject(ProtoError::Version(doc.format_version)));
    }
    if doc.site != site {
        return Err(reject(ProtoError::WrongSite { expected: site.to_string(), found: doc.site.clone() }));
    }
    if let Some(r) = running {
        if doc.generation < r {
            return Err(reject(ProtoError::OlderGeneration { running: r, found: doc.generation }));
        }
    }
    for w in &doc.workloads {
        if w.spec_hash.is_empty() {
            return Err(Rejected { generation: doc.generation, reason: format!("workload {:?} has no spec_hash", w.name) });
        }
    }
    Ok(doc)
}

/// Runs the agent until `shutdown` resolves. Workloads are left running
/// on shutdown (they outlive the agent).
pub async fn run(opts: AgentOptions, shutdown: impl std::future::Future<Output = ()>) -> Result<(), AgentError> {
    let dir = &opts.data_dir;
    let derr = |e: std::io::Error| AgentError::DataDir { path: dir.clone(), detail: e.to_string() };
    std::fs::create_dir_all(dir.join("logs")).map_err(derr)?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(derr)?;
    }
    let key = load_or_create_key(&dir.join("agent.key"))?;
    let store = Arc::new(Store::open(&dir.join("agent.redb"), opts.telemetry_capacity)?);
    let enrollment = enroll(&store, dir, opts.token.as_deref(), SystemTime::now())?;
    let trusted = decode_public_key(&enrollment.deployment_key).map_err(AgentError::Token)?;
    let id = agent_id(&key.verifying_key());
    (opts.events)(Event { level: Level::Info, message: format!("agent {id} for site {:?} (data dir {})", enrollment.site, dir.display()) });

    // The last verified document: what runs, even with no upstream at all.
    let desired = match store.desired()? {
        Some((bytes, _)) => match verify_desired(&bytes, &trusted, &enrollment.site, None) {
            Ok(d) => Some((bytes, d)),
            Err(r) => {
                (opts.events)(Event { level: Level::Error, message: format!("stored document refused: {}", r.reason) });
                None
            }
        },
        None => None,
    };
    let cache = relay::RelayCache::default();
    if let Some((bytes, _)) = &desired {
        cache.set(&enrollment.site, bytes);
    }
    for (site, bytes) in store.relay_docs()? {
        cache.set(&site, &bytes);
    }
    let serve = match opts.serve {
        Some(addr) => {
            let (local, fut) = relay::bind(addr, cache.clone()).await.map_err(|e| AgentError::Serve { addr, detail: e.to_string() })?;
            (opts.events)(Event { level: Level::Info, message: format!("relay serving on http://{local}") });
            Some(tokio::spawn(fut))
        }
        None => None,
    };

    let mut sup = supervisor::Supervisor::new(&enrollment.site, dir.join("logs"), store.clone(), opts.events.clone());
    sup.adopt(desired.as_ref().map(|(_, d)| d)).await;
    let shared = Arc::new(std::sync::Mutex::new(sync::Reported { acked_generation: sup.generation(), workloads: sup.status(), last_point: None }));
    let mut sampler = telemetry::Sampler::new();
    let mut sample = tokio::time::interval(opts.poll.max(Duration::from_millis(100)));
    sample.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let (tx, mut rx) = tokio::sync::mpsc::channel::<DesiredState>(4);
    // Status changed (a generation applied, a workload's state): the
    // syncer reports it now rather than at its next poll.
    let changed = Arc::new(tokio::sync::Notify::new());
    let syncer = sync::Syncer::new(&opts, enrollment, key, trusted, store.clone(), cache, shared.clone(), desired.map(|(_, d)| d.generation), changed.clone()).await?;
    let sync_task = tokio::spawn(syncer.run(tx));

    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(doc) = rx.recv() => {
                (opts.events)(Event { level: Level::Info, message: format!("applying generation {} ({} workloads)", doc.generation, doc.workloads.len()) });
                sup.apply(&doc).await;
            }
            _ = tick.tick() => sup.tick().await,
            _ = sample.tick() => {
                // One telemetry point per poll into the ring, online or not.
                let mut point = sampler.sample();
                match store.push_telemetry(point.clone()) {
                    Ok(seq) => {
                        point.seq = seq;
                        if let Ok(mut s) = shared.lock() {
                            s.last_point = Some(point);
                        }
                    }
                    Err(e) => (opts.events)(Event { level: Level::Error, message: e.to_string() }),
                }
            }
        }
        if let Ok(mut s) = shared.lock() {
            let (acked, workloads) = (sup.generation(), sup.status());
            if s.acked_generation != acked || s.workloads != workloads {
                changed.notify_one();
            }
            s.acked_generation = acked;
            s.workloads = workloads;
        }
    }
    sync_task.abort();
    if let Some(s) = serve {
        s.abort();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_edge_proto::{encode_public_key, generate_key, TokenClaims, FORMAT_VERSION};

    fn doc(site: &str, generation: u64) -> DesiredState {
        DesiredState { format_version: FORMAT_VERSION, deployment: "L".into(), site: site.into(), generation, issued_at: "2026-12-01T00:00:00Z".into(), children: vec![], workloads: vec![] }
    }

    #[test]
    fn documents_are_verified_against_the_trusted_key_site_and_generation() {
        let k = generate_key().unwrap();
        let other = generate_key().unwrap();
        let trusted = k.verifying_key();
        let ok = Envelope::seal(&k, &doc("s1", 5));
        assert_eq!(verify_desired(&ok, &trusted, "s1", Some(4)).unwrap().generation, 5);
        assert_eq!(verify_desired(&ok, &trusted, "s1", Some(5)).unwrap().generation, 5);
        assert_eq!(verify_desired(&ok, &trusted, "s1", None).unwrap().generation, 5);
        let older = verify_desired(&ok, &trusted, "s1", Some(6)).unwrap_err();
        assert_eq!(older.generation, 5);
        assert!(older.reason.contains("older"), "{}", older.reason);
        let foreign = verify_desired(&Envelope::seal(&k, &doc("s2", 9)), &trusted, "s1", None).unwrap_err();
        assert!(foreign.reason.contains("site"), "{}", foreign.reason);
        let untrusted = verify_desired(&Envelope::seal(&other, &doc("s1", 9)), &trusted, "s1", None).unwrap_err();
        assert_eq!(untrusted.generation, 9, "the claimed generation is reported");
        // Tampered payload under the trusted key's name.
        let mut e = Envelope::parse(&ok).unwrap();
        e.payload = Envelope::sign_bytes(&k, &serde_json::to_vec(&doc("s1", 50)).unwrap()).payload;
        let tampered = verify_desired(&serde_json::to_vec(&e).unwrap(), &trusted, "s1", None).unwrap_err();
        assert_eq!(tampered.reason, "bad signature");
        assert!(verify_desired(b"not json", &trusted, "s1", None).is_err());
        let mut d = doc("s1", 6);
        d.workloads.push(contin_edge_proto::WorkloadSpec {
            name: "w".into(),
            replicas: 1,
            runtime: contin_edge_proto::Runtime::Process,
            command: vec!["true".into()],
            image: None,
            env: Default::default(),
            requires: Default::default(),
            health: None,
            restart: Default::default(),
            autonomy: Default::default(),
            spec_hash: String::new(),
        });
        assert!(verify_desired(&Envelope::seal(&k, &d), &trusted, "s1", None).unwrap_err().reason.contains("spec_hash"));
    }

    fn claims(k: &SigningKey, site: &str, expires_at: &str) -> TokenClaims {
        TokenClaims {
            v: 1,
            token_id: "t1".into(),
            site: site.into(),
            deployment: "L".into(),
            mailbox: "file:///tmp/mailbox".into(),
            deployment_key: encode_public_key(&k.verifying_key()),
            issued_at: "2026-12-01T00:00:00Z".into(),
            expires_at: expires_at.into(),
        }
    }

    #[test]
    fn enrollment_checks_the_token_once_and_then_needs_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.redb"), 10).unwrap();
        let k = generate_key().unwrap();
        let now = humantime::parse_rfc3339("2026-12-01T00:30:00Z").unwrap();
        assert!(matches!(enroll(&store, dir.path(), None, now), Err(AgentError::NotEnrolled(_))));
        let expired = Token::create(&claims(&k, "s1", "2026-12-01T00:10:00Z"), &k);
        let e = enroll(&store, dir.path(), Some(&expired), now).unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
        assert_eq!(store.enrollment().unwrap(), None);
        let good = Token::create(&claims(&k, "s1", "2026-12-01T01:00:00Z"), &k);
        let mut bad = good.clone();
        bad.pop();
        bad.push(if good.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(enroll(&store, dir.path(), Some(&bad), now), Err(AgentError::Token(_))));
        let en = enroll(&store, dir.path(), Some(&good), now).unwrap();
        assert_eq!((en.site.as_str(), en.registered), ("s1", false));
        // Restart: no token needed; the same (now expired) token is accepted.
        let later = humantime::parse_rfc3339("2026-12-02T00:00:00Z").unwrap();
        assert_eq!(enroll(&store, dir.path(), None, later).unwrap(), en);
        assert_eq!(enroll(&store, dir.path(), Some(&good), later).unwrap(), en);
        let other_site = Token::create(&claims(&k, "s2", "2026-12-03T00:00:00Z"), &k);
        assert!(matches!(enroll(&store, dir.path(), Some(&other_site), later), Err(AgentError::OtherEnrollment { .. })));
    }

    #[test]
    fn the_agent_key_is_created_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("agent.key");
        let k1 = load_or_create_key(&p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load_or_create_key(&p).unwrap().to_bytes(), k1.to_bytes());
        std::fs::write(&p, "garbage").unwrap();
        assert!(matches!(load_or_create_key(&p), Err(AgentError::Key { .. })));
    }
}
