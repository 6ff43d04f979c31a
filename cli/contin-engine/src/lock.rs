//! The state lock as a guard: released on every exit path of a locked
//! operation, panics included.

use crate::error::{EngineError, Result};
use crate::events::{EngineEvent, EventSink};
use contin_state::{Backend, LockInfo};
use std::future::Future;
use std::sync::Arc;

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
        let info = LockInfo::new(operation, &backend.describe());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::NoEvents;

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
