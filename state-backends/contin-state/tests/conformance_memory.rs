//! Checks the conformance suite itself: an in-memory backend that behaves
//! passes it, and backends with classic bugs make it fail.

use async_trait::async_trait;
use contin_state::codec::{check_write, decode, decode_header, encode};
use contin_state::{conformance, Backend, LockInfo, State, StateError};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Storage {
    doc: Option<Vec<u8>>,
    lock: Option<LockInfo>,
}

#[derive(Clone, Copy, Default)]
struct Bugs {
    ignore_expected_serial: bool,
    reentrant_lock: bool,
    unlock_any_id: bool,
}

struct MemoryBackend {
    storage: Arc<Mutex<Storage>>,
    bugs: Bugs,
}

impl MemoryBackend {
    fn storage(&self) -> Result<std::sync::MutexGuard<'_, Storage>, StateError> {
        self.storage.lock().map_err(|_| StateError::Other("poisoned".into()))
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn describe(&self) -> String {
        "memory".into()
    }
    async fn load(&self) -> Result<Option<State>, StateError> {
        let st = self.storage()?;
        st.doc.as_deref().map(|d| decode(d, "memory")).transpose()
    }
    async fn persist(&self, state: &State, expected_serial: Option<u64>) -> Result<(), StateError> {
        let mut st = self.storage()?;
        let stored = st.doc.as_deref().map(|d| decode_header(d, "memory")).transpose()?;
        let expected = if self.bugs.ignore_expected_serial { stored.as_ref().map(|h| h.serial) } else { expected_serial };
        check_write("memory", stored.as_ref(), state, expected)?;
        st.doc = Some(encode(state)?);
        Ok(())
    }
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let mut st = self.storage()?;
        match &st.lock {
            Some(h) if !self.bugs.reentrant_lock => Err(StateError::Locked(h.clone())),
            _ => {
                st.lock = Some(info.clone());
                Ok(())
            }
        }
    }
    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let mut st = self.storage()?;
        match &st.lock {
            Some(h) if h.id == id || self.bugs.unlock_any_id => {
                st.lock = None;
                Ok(())
            }
            _ => Err(StateError::LockNotHeld(id.to_string())),
        }
    }
    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let mut st = self.storage()?;
        match &st.lock {
            None => Err(StateError::LockNotHeld(id.to_string())),
            Some(h) if h.id != id => Err(StateError::Locked(h.clone())),
            Some(_) => {
                st.lock = None;
                Ok(())
            }
        }
    }
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.storage()?.lock.clone())
    }
}

fn factory(bugs: Bugs) -> impl Fn() -> MemoryBackend {
    let storage = Arc::new(Mutex::new(Storage::default()));
    move || MemoryBackend { storage: storage.clone(), bugs }
}

#[tokio::test]
async fn a_correct_backend_passes() {
    conformance::run_all(factory(Bugs::default())).await;
}

async fn fails_with(bugs: Bugs, needle: &str) {
    let handle = tokio::spawn(async move { conformance::run_all(factory(bugs)).await });
    let err = handle.await.expect_err("the suite must fail on a buggy backend");
    let payload = err.into_panic();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains(needle), "panic message should mention {needle:?}: {msg}");
}

#[tokio::test]
async fn lost_update_is_caught() {
    fails_with(Bugs { ignore_expected_serial: true, ..Bugs::default() }, "Conflict").await;
}

#[tokio::test]
async fn non_exclusive_lock_is_caught() {
    fails_with(Bugs { reentrant_lock: true, ..Bugs::default() }, "must fail with Locked").await;
}

#[tokio::test]
async fn unlock_with_any_id_is_caught() {
    fails_with(Bugs { unlock_any_id: true, ..Bugs::default() }, "LockNotHeld").await;
}
