//! Local-file state backend with an OS advisory lock and atomic writes.
//!
//! Files, for a state at `dir/contin.state.json`:
//! - `dir/contin.state.json`: the state (pretty JSON, see `contin_state::codec`);
//! - `dir/contin.state.json.backup`: the state before the last write;
//! - `dir/contin.state.json.lock`: carries the kernel (`flock`) lock and,
//!   while it is held, the holder's `LockInfo` as JSON (see `lockfile`);
//! - `dir/contin.state.json.journal`: the apply journal (`journal_path`,
//!   written by `contin_state::journal`, not by this crate).
//!
//! Every file is created 0600 (state, backup, temp, lock), and a state or
//! backup left 0644 by an older version is narrowed on the next write.
//!
//! IO model: blocking `std::fs` inside `tokio::task::spawn_blocking`, so a
//! multi-megabyte write plus fsync never stalls the executor's worker
//! threads; JSON encoding (CPU) runs on the caller's task, decoding inside
//! the blocking task (it owns the bytes there).
//!
//! Architecture invariant: the state file is only ever replaced by
//! `rename`, never written in place, and never written when the stored
//! document is unreadable: a crash at any point leaves the old or the new
//! state readable, and a corrupt file is left for a human to inspect.

mod files;
mod lockfile;

use async_trait::async_trait;
use contin_state::codec::{check_write, encode};
use contin_state::{Backend, LockInfo, State, StateError};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use lockfile::UNREADABLE_LOCK_ID;

/// State kept in one local JSON file.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    path: PathBuf,
    /// Serializes this instance's read-check-write sequences (the executor
    /// checkpoints from several tasks). Other processes are kept out by the
    /// lock file, not by this.
    write_turn: Arc<tokio::sync::Mutex<()>>,
    /// The kernel lock this backend holds (shared by clones). Dropping the
    /// last clone closes the file, which releases the lock.
    held: Arc<std::sync::Mutex<Option<lockfile::Held>>>,
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalBackend {
            path: path.into(),
            write_turn: Arc::new(tokio::sync::Mutex::new(())),
            held: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the previous state is kept: `<path>.backup`.
    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    /// The lock file: `<path>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    /// The apply journal's conventional place: `<path>.journal`.
    pub fn journal_path(&self) -> PathBuf {
        with_suffix(&self.path, ".journal")
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// The held-lock slot; a poisoned mutex (a panic while it was held) still
/// yields the slot: the `File` in it is intact.
fn held_guard(held: &std::sync::Mutex<Option<lockfile::Held>>) -> std::sync::MutexGuard<'_, Option<lockfile::Held>> {
    held.lock().unwrap_or_else(|p| p.into_inner())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StateError> + Send + 'static,
) -> Result<T, StateError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StateError::Other(format!("state file task did not finish: {e}")))?
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        format!("local file {}", self.path.display())
    }

    fn local_journal_path(&self) -> Option<PathBuf> {
        Some(with_suffix(&self.path, ".journal"))
    }

    async fn load(&self) -> Result<Option<State>, StateError> {
        let path = self.path.clone();
        blocking(move || files::load(&path)).await
    }

    async fn persist(&self, state: &State, expected_serial: Option<u64>) -> Result<(), StateError> {
        let _turn = self.write_turn.lock().await;
        let location = self.location();
        let bytes = encode(state)?;
        let state = state.clone();
        let (path, backup) = (self.path.clone(), self.backup_path());
        // Check-then-replace under an OS lock of its own (held only for this
        // write), so two processes that bypass the state lock (-lock=false,
        // force-unlock) cannot both pass the serial check and lose an update.
        blocking(move || {
            let g = files::write_guard(&path)?;
            let stored = files::read_header(&path)?;
            check_write(&location, stored.as_ref(), &state, expected_serial)?;
            let r = files::replace_atomically(&path, &backup, &bytes);
            drop(g);
            r
        })
        .await
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let (lock, state, info, held) = (self.lock_path(), self.location(), info.clone(), self.held.clone());
        blocking(move || lockfile::acquire(&lock, &state, &info, &mut held_guard(&held))).await
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let (lock, id, held) = (self.lock_path(), id.to_string(), self.held.clone());
        blocking(move || lockfile::release(&lock, &id, &mut held_guard(&held))).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let (lock, state, id, held) = (self.lock_path(), self.location(), id.to_string(), self.held.clone());
        blocking(move || lockfile::force_release(&lock, &state, &id, &mut held_guard(&held))).await
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let (lock, state) = (self.lock_path(), self.location());
        blocking(move || lockfile::holder(&lock, &state)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_files_append_to_the_name() {
        let b = LocalBackend::new("dir/contin.state.json");
        assert_eq!(b.backup_path(), PathBuf::from("dir/contin.state.json.backup"));
        assert_eq!(b.lock_path(), PathBuf::from("dir/contin.state.json.lock"));
        assert_eq!(b.journal_path(), PathBuf::from("dir/contin.state.json.journal"));
        assert_eq!(b.describe(), "local file dir/contin.state.json");
    }
}
