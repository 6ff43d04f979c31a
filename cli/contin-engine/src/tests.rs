//! Engine tests on a temporary root: paths resolve against the root, events
//! arrive, a failed final write leaves `contin.errored.state` that `state push` restores.

use crate::*;
use async_trait::async_trait;
use contin_state::{LockInfo, State, StateError};
use contin_state_local::LocalBackend;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_util::sync::CancellationToken;

const CONFIG: &str = r#"
resource "local_file" "a" {
  filename = "out/a.txt"
  content  = file("in.txt")
}
"#;

fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.hcl"), CONFIG).expect("config");
    std::fs::write(dir.path().join("in.txt"), "from the root").expect("input");
    dir
}

async fn apply_all(ws: &Workspace) -> ApplyResult {
    ws.apply(PlanOptions::default(), ApplyOptions::default(), CancellationToken::new(), |_plan| async { Approval::Yes })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_resolves_every_path_against_the_root_and_reports_events() {
    let dir = root();
    let cwd = std::env::current_dir().expect("cwd");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = WorkspaceOptions { events: Arc::new(tx), ..WorkspaceOptions::default() };
    let ws = Workspace::open(dir.path(), opts).await.unwrap_or_else(|e| panic!("{e}"));
    let ApplyResult::Applied(out) = apply_all(&ws).await else { panic!("expected an apply") };
    assert!(out.failed.is_empty() && out.persist_error.is_none(), "{out:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("out/a.txt")).expect("created under the root"), "from the root");
    assert!(dir.path().join("contin.state.json").is_file(), "state under the root");
    assert_eq!(std::env::current_dir().expect("cwd"), cwd, "the process cwd is untouched");
    assert_eq!(ws.lock_holder().await.expect("holder").map(|h| h.id), None, "lock released");

    let mut kinds = Vec::new();
    while let Ok(e) = rx.try_recv() {
        kinds.push(match e {
            EngineEvent::Loading { .. } => "loading",
            EngineEvent::Locking { .. } => "locking",
            EngineEvent::Locked { .. } => "locked",
            EngineEvent::Planning => "planning",
            EngineEvent::FirstStateWritten { .. } => "first-state",
            EngineEvent::Apply(_) => "apply",
            EngineEvent::Unlocked { .. } => "unlocked",
            _ => "other",
        });
    }
    kinds.dedup();
    assert_eq!(kinds, ["loading", "locking", "locked", "planning", "first-state", "apply", "unlocked"]);

    // A second apply is a no-op; the plan sees the file through the root as well.
    assert!(matches!(apply_all(&ws).await, ApplyResult::NoChanges { .. }));
}

/// A local backend whose writes fail after the first one (the empty first state).
struct FailingWrites {
    inner: LocalBackend,
    fail: AtomicBool,
}

#[async_trait]
impl contin_state::Backend for FailingWrites {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn load(&self) -> Result<Option<State>, StateError> {
        self.inner.load().await
    }
    async fn persist(&self, state: &State, expected: Option<u64>) -> Result<(), StateError> {
        if self.fail.swap(true, Ordering::SeqCst) {
            return Err(StateError::Other("disk full (test)".into()));
        }
        self.inner.persist(state, expected).await
    }
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        self.inner.lock(info).await
    }
    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.unlock(id).await
    }
    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.force_unlock(id).await
    }
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.inner.lock_holder().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_final_write_leaves_a_private_errored_state_that_push_restores() {
    let dir = root();
    let failing = Arc::new(FailingWrites { inner: LocalBackend::new(dir.path().join("contin.state.json")), fail: AtomicBool::new(false) });
    let opts = WorkspaceOptions { backend: Some(failing), ..WorkspaceOptions::default() };
    let ws = Workspace::open(dir.path(), opts).await.unwrap_or_else(|e| panic!("{e}"));
    let ApplyResult::Applied(out) = apply_all(&ws).await else { panic!("expected an apply") };
    assert!(out.persist_error.is_some(), "{out:?}");
    let errored = out.errored_state.clone().expect("errored state written");
    assert_eq!(errored, dir.path().join(ERRORED_STATE));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&errored).expect("meta").permissions().mode() & 0o777, 0o600);
    }

    // The backend only has the empty first state; push the errored one back.
    let ws = Workspace::open(dir.path(), WorkspaceOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
    let before = ws.load_state().await.expect("load").expect("first state");
    assert!(before.resources.is_empty());
    let serial = ws.state_push(ERRORED_STATE.into(), PushOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(serial, before.serial + 1);
    let after = ws.load_state().await.expect("load").expect("state");
    assert_eq!(after.resources.len(), 1);
    assert_eq!(after.lineage, before.lineage);
    assert!(matches!(apply_all(&ws).await, ApplyResult::NoChanges { .. }), "converged: nothing left to create");
}

#[tokio::test]
async fn a_held_lock_is_reported_with_the_exact_force_unlock_command() {
    let dir = root();
    let ws = Workspace::open(dir.path(), WorkspaceOptions { state_only: true, ..WorkspaceOptions::default() }).await.unwrap_or_else(|e| panic!("{e}"));
    let guard = lock::LockGuard::acquire(&ws.backend, "apply", ws.events()).await.expect("lock");
    let err = ws.state_rm(vec!["local_file.a".into()]).await.expect_err("locked");
    assert!(matches!(err, EngineError::Locked { .. }), "{err}");
    assert!(err.to_string().contains(&format!("contin force-unlock -force {}", guard.id())), "{err}");
    guard.release().await;
}

/// Refresh hands the local provider (which `receives_sensitive_marks`) the
/// state's marks: a read error never names a path built from a secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_errors_never_name_a_sensitive_path() {
    const MARKER: &str = "MARKER-S3CR3T";
    let dir = tempfile::tempdir().expect("tempdir");
    let config = "variable \"secret\" {\n  type      = string\n  sensitive = true\n}\n\nresource \"local_file\" \"a\" {\n  filename = \"out/${var.secret}.txt\"\n  content  = \"x\"\n}\n";
    std::fs::write(dir.path().join("main.hcl"), config).expect("config");
    let opts = || WorkspaceOptions { env_vars: BTreeMap::from([("secret".to_string(), MARKER.to_string())]), ..WorkspaceOptions::default() };
    let ws = Workspace::open(dir.path(), opts()).await.unwrap_or_else(|e| panic!("{e}"));
    let ApplyResult::Applied(out) = apply_all(&ws).await else { panic!("expected an apply") };
    assert!(out.failed.is_empty(), "{out:?}");
    // The file becomes a directory: reading it back fails.
    let path = dir.path().join(format!("out/{MARKER}.txt"));
    std::fs::remove_file(&path).expect("remove");
    std::fs::create_dir(&path).expect("dir");
    let Err(err) = ws.plan(PlanOptions::default(), CancellationToken::new()).await else { panic!("refresh must fail") };
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("Failed to refresh local_file.a") && shown.contains("(sensitive path)"), "{shown}");
    assert!(!shown.contains(MARKER), "{shown}");
}
