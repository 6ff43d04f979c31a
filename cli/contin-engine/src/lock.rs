//! The state lock as a guard: released on every exit path of a locked
//! operation, panics included.

use crate::error::{EngineError, Result};
use crate::events::{EngineEvent, EventSink};
use async_trait::async_trait;
use contin_state::{Backend, LockInfo, State, StateError};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A held state lock. `release` it; if it is dropped instead (early return,
/// panic, cancelled future) the release is spawned on the current runtime.
pub struct LockGuard {
    backend: Arc<dyn Backend>,
    info: LockInfo,
    events: Arc<dyn EventSink>,
    released: bool,
}

impl LockGuard {
    /// Takes the lock or fails with [`EngineError::Locked`] naming the holder.
    pub async fn acquire(backend: &Arc<dyn Backend>, operation: &str, events: &Arc<dyn EventSink>) -> Result<LockGuard> {
        events.event(EngineEvent::Locking { operation: operation.to_string(), backend: backend.describe() });
        let mut info = LockInfo::new(operation, &backend.describe());
        info.ci_url = ci_run_url(&|k| std::env::var(k).ok());
        backend.lock(&info).await.map_err(|e| EngineError::state("acquiring the state lock", e))?;
        events.event(EngineEvent::Locked { id: info.id.clone() });
        Ok(LockGuard { backend: backend.clone(), info, events: events.clone(), released: false })
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// Releases the lock; a failure is reported as [`EngineEvent::UnlockFailed`].
    pub async fn release(mut self) {
        self.released = true;
        unlock(self.backend.clone(), self.info.id.clone(), self.events.clone()).await;
    }
}

async fn unlock(backend: Arc<dyn Backend>, id: String, events: Arc<dyn EventSink>) {
    match backend.unlock(&id).await {
        Ok(()) => events.event(EngineEvent::Unlocked { id }),
        Err(e) => events.event(EngineEvent::UnlockFailed { id, error: e.to_string() }),
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(unlock(self.backend.clone(), self.info.id.clone(), self.events.clone()));
        }
    }
}

/// Runs `body` under the lock in its own task and releases the lock after
/// the task ends, whether it returned, failed or panicked.
pub async fn run_locked<T, Fut>(backend: &Arc<dyn Backend>, operation: &str, events: &Arc<dyn EventSink>, body: Fut) -> Result<T>
where
    T: Send + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
{
    let guard = LockGuard::acquire(backend, operation, events).await?;
    let joined = tokio::spawn(body).await;
    guard.release().await;
    match joined {
        Ok(r) => r,
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Err(EngineError::Panicked(format!("{operation} panicked: {msg}")))
        }
        Err(e) => Err(EngineError::Panicked(format!("{operation} was aborted: {e}"))),
    }
}

/// Longest CI run URL recorded in a lock (a longer one is not recorded).
pub const MAX_CI_URL_BYTES: usize = 2048;

/// The URL of the CI run this process belongs to, from the standard
/// variables: GitHub Actions (`GITHUB_SERVER_URL`/`GITHUB_REPOSITORY`/
/// `GITHUB_RUN_ID`), GitLab (`CI_JOB_URL`), Jenkins (`BUILD_URL`),
/// Buildkite (`BUILDKITE_BUILD_URL`), CircleCI (`CIRCLE_BUILD_URL`).
/// `env` looks a variable up (the process environment in production).
pub fn ci_run_url(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let get = |k: &str| env(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let github = match (get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY"), get("GITHUB_RUN_ID")) {
        (Some(server), Some(repo), Some(run)) => Some(format!("{}/{repo}/actions/runs/{run}", server.trim_end_matches('/'))),
        _ => None,
    };
    let url = github
        .or_else(|| get("CI_JOB_URL"))
        .or_else(|| get("BUILD_URL"))
        .or_else(|| get("BUILDKITE_BUILD_URL"))
        .or_else(|| get("CIRCLE_BUILD_URL"))?;
    (url.len() <= MAX_CI_URL_BYTES && !url.chars().any(char::is_control)).then_some(url)
}

/// Who holds a lock, for a waiting message: `user@host (pid N), operation
/// apply since T, lock ID X, CI run URL`.
pub fn describe_holder(h: &LockInfo) -> String {
    let mut s = format!("{} (operation {}, since {}, lock ID {})", h.who, h.operation, h.created, h.id);
    if let Some(url) = &h.ci_url {
        s.push_str(&format!(", CI run {url}"));
    }
    s
}

/// First pause between two attempts to take a held lock; it doubles up to
/// [`MAX_LOCK_POLL`].
pub const FIRST_LOCK_POLL: Duration = Duration::from_millis(100);
/// Longest pause between two attempts to take a held lock.
pub const MAX_LOCK_POLL: Duration = Duration::from_secs(5);
/// How often the "still waiting" message repeats for the same holder.
const WAIT_REPORT_EVERY: Duration = Duration::from_secs(30);

/// A backend whose `lock` waits up to `timeout` for a held lock (`-lock-timeout`):
/// it retries with a doubling pause (100 ms to 5 s) and reports the holder
/// as an [`EngineEvent::Warning`] when it starts waiting, when the holder
/// changes and every 30 s. Everything else goes straight to the inner backend.
pub struct WaitingBackend {
    inner: Arc<dyn Backend>,
    timeout: Duration,
    events: Arc<dyn EventSink>,
}

impl WaitingBackend {
    pub fn new(inner: Arc<dyn Backend>, timeout: Duration, events: Arc<dyn EventSink>) -> WaitingBackend {
        WaitingBackend { inner, timeout, events }
    }
}

#[async_trait]
impl Backend for WaitingBackend {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn load(&self) -> std::result::Result<Option<State>, StateError> {
        self.inner.load().await
    }
    async fn persist(&self, state: &State, expected_serial: Option<u64>) -> std::result::Result<(), StateError> {
        self.inner.persist(state, expected_serial).await
    }
    async fn lock(&self, info: &LockInfo) -> std::result::Result<(), StateError> {
        let start = Instant::now();
        let mut pause = FIRST_LOCK_POLL;
        let mut reported: Option<(String, Instant)> = None;
        loop {
            let holder = match self.inner.lock(info).await {
                Err(StateError::Locked(holder)) => holder,
                other => return other,
            };
            let waited = start.elapsed();
            if waited >= self.timeout {
                return Err(StateError::Other(format!(
                    "gave up waiting for the state lock after {} (-lock-timeout): {}",
                    format_duration(waited),
                    StateError::Locked(holder)
                )));
            }
            let due = match &reported {
                Some((id, at)) => *id != holder.id || at.elapsed() >= WAIT_REPORT_EVERY,
                None => true,
            };
            if due {
                self.events.event(EngineEvent::Warning(format!(
                    "the state is locked by {}; waiting up to {} for it (waited {} so far)",
                    describe_holder(&holder),
                    format_duration(self.timeout),
                    format_duration(waited)
                )));
                reported = Some((holder.id.clone(), Instant::now()));
            }
            tokio::time::sleep(pause.min(self.timeout.saturating_sub(waited))).await;
            pause = (pause * 2).min(MAX_LOCK_POLL);
        }
    }
    async fn unlock(&self, id: &str) -> std::result::Result<(), StateError> {
        self.inner.unlock(id).await
    }
    async fn force_unlock(&self, id: &str) -> std::result::Result<(), StateError> {
        self.inner.force_unlock(id).await
    }
    async fn lock_holder(&self) -> std::result::Result<Option<LockInfo>, StateError> {
        self.inner.lock_holder().await
    }
    fn local_journal_path(&self) -> Option<std::path::PathBuf> {
        self.inner.local_journal_path()
    }
}

/// `5m`, `1m30s`, `2s`, `250ms` (whole units, largest first).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Longest `-lock-timeout` accepted.
pub const MAX_LOCK_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Parses a `-lock-timeout` value: a whole number with a unit `ms`, `s`,
/// `m` or `h`, or several of them (`1m30s`); `0` and `0s` mean "do not wait".
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    if t.is_empty() || t.len() > 32 {
        return Err(format!("invalid duration {text:?}: expected e.g. 30s, 5m or 1h (at most 32 characters)"));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("invalid duration {text:?}: expected a number before each unit (e.g. 5m)"));
        }
        let n: u64 = rest[..digits].parse().map_err(|_| format!("invalid duration {text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            other => return Err(format!("invalid duration {text:?}: unknown unit {other:?} (use ms, s, m or h)")),
        };
        rest = &rest[unit_len..];
        total = total.saturating_add(part);
    }
    if total > MAX_LOCK_TIMEOUT {
        return Err(format!("duration {text:?} is longer than the limit of 24h"));
    }
    Ok(total)
}

impl crate::Workspace {
    /// Lock operations on this workspace wait up to `timeout` for a held
    /// lock instead of failing at once (`-lock-timeout`); zero keeps failing at once.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> crate::Workspace {
        if !timeout.is_zero() {
            self.backend = Arc::new(WaitingBackend::new(self.backend.clone(), timeout, self.events().clone()));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::NoEvents;

    #[test]
    fn ci_run_urls_from_standard_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        assert_eq!(
            ci_run_url(&env(&[("GITHUB_SERVER_URL", "https://github.com/"), ("GITHUB_REPOSITORY", "o/r"), ("GITHUB_RUN_ID", "42")])),
            Some("https://github.com/o/r/actions/runs/42".to_string())
        );
        assert_eq!(ci_run_url(&env(&[("CI_JOB_URL", "https://gitlab.example/g/p/-/jobs/7")])).as_deref(), Some("https://gitlab.example/g/p/-/jobs/7"));
        assert_eq!(ci_run_url(&env(&[("BUILD_URL", "https://ci.example/job/x/3/")])).as_deref(), Some("https://ci.example/job/x/3/"));
        // Incomplete GitHub variables fall through; nothing set: none.
        assert_eq!(ci_run_url(&env(&[("GITHUB_RUN_ID", "42"), ("BUILD_URL", " ")])), None);
        assert_eq!(ci_run_url(&env(&[("CI_JOB_URL", "a\u{7}b")])), None, "control characters are refused");
    }

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["", "5", "m", "5x", "-5s", "25h", "99999999999999999999999s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(3725)), "1h2m5s");
        assert_eq!(format_duration(Duration::from_millis(20)), "20ms");
    }

    struct Collect(std::sync::Mutex<Vec<String>>);
    impl EventSink for Collect {
        fn event(&self, e: EngineEvent) {
            if let EngineEvent::Warning(w) = e {
                self.0.lock().unwrap_or_else(|p| p.into_inner()).push(w);
            }
        }
    }

    #[tokio::test]
    async fn a_waiting_lock_is_taken_once_the_holder_releases_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner: Arc<dyn Backend> = Arc::new(contin_state_local::LocalBackend::new(dir.path().join("s.json")));
        let other: Arc<dyn Backend> = Arc::new(contin_state_local::LocalBackend::new(dir.path().join("s.json")));
        let mut held = LockInfo::new("apply", "x");
        held.ci_url = Some("https://ci.example/run/9".into());
        other.lock(&held).await.expect("first lock");
        let sink = Arc::new(Collect(std::sync::Mutex::new(Vec::new())));
        let events: Arc<dyn EventSink> = sink.clone();
        let waiting: Arc<dyn Backend> = Arc::new(WaitingBackend::new(inner, Duration::from_secs(30), events.clone()));
        let release = {
            let (other, id) = (other.clone(), held.id.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                other.unlock(&id).await
            })
        };
        let guard = LockGuard::acquire(&waiting, "plan", &events).await.expect("waited for the lock");
        release.await.expect("join").expect("unlock");
        let msgs = sink.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert!(msgs.first().is_some_and(|m| m.contains(&held.id) && m.contains("https://ci.example/run/9") && m.contains("waiting up to 30s")), "{msgs:?}");
        guard.release().await;
    }

    #[tokio::test]
    async fn a_waiting_lock_gives_up_after_the_timeout_naming_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner: Arc<dyn Backend> = Arc::new(contin_state_local::LocalBackend::new(dir.path().join("s.json")));
        let held = LockInfo::new("apply", "x");
        inner.lock(&held).await.expect("first lock");
        let waiting = WaitingBackend::new(inner.clone(), Duration::from_millis(300), Arc::new(NoEvents));
        let err = waiting.lock(&LockInfo::new("plan", "x")).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("gave up waiting for the state lock after") && err.contains(&held.id), "{err}");
        inner.unlock(&held.id).await.expect("unlock");
    }

    #[tokio::test]
    async fn a_panic_inside_the_locked_body_releases_the_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let backend: Arc<dyn Backend> = Arc::new(contin_state_local::LocalBackend::new(dir.path().join("s.json")));
        let events: Arc<dyn EventSink> = Arc::new(NoEvents);
        let r: Result<()> = run_locked(&backend, "apply", &events, async { panic!("boom") }).await;
        let err = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("apply panicked: boom") && err.contains("lock was released"), "{err}");
        assert_eq!(backend.lock_holder().await.expect("holder").map(|h| h.id), None);
        // An early error releases it too.
        let r: Result<()> = run_locked(&backend, "plan", &events, async { Err(EngineError::Invalid("no".into())) }).await;
        assert!(r.is_err());
        assert_eq!(backend.lock_holder().await.expect("holder").map(|h| h.id), None);
    }

    #[tokio::test]
    async fn a_dropped_guard_releases_on_the_runtime() {
        let dir = tempfile::tempdir().expect("tempdir");
        let backend: Arc<dyn Backend> = Arc::new(contin_state_local::LocalBackend::new(dir.path().join("s.json")));
        let events: Arc<dyn EventSink> = Arc::new(NoEvents);
        let guard = LockGuard::acquire(&backend, "apply", &events).await.expect("lock");
        let err = LockGuard::acquire(&backend, "plan", &events).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(&format!("contin force-unlock -force {}", guard.id())), "{err}");
        drop(guard);
        for _ in 0..100 {
            if backend.lock_holder().await.expect("holder").is_none() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("lock not released after drop");
    }
}
