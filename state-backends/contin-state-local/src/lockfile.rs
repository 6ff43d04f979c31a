//! The lock file: created with O_EXCL (`create_new`), holds the holder's
//! `LockInfo` as JSON, removed only by a release naming its ID.

use contin_state::{LockInfo, StateError};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

/// The lock ID reported for a lock file whose content cannot be parsed
/// (written by a crashed or foreign program). `contin force-unlock
/// unreadable-lock-file` removes such a file.
pub const UNREADABLE_LOCK_ID: &str = "unreadable-lock-file";

/// Another process may have created the file but not yet written its
/// content: empty reads are retried this many times.
const EMPTY_READ_RETRIES: u32 = 5;
const EMPTY_READ_PAUSE: Duration = Duration::from_millis(10);

fn io_err(context: String) -> impl FnOnce(io::Error) -> StateError {
    move |source| StateError::Io { context, source }
}

pub(crate) fn acquire(lock: &Path, state: &str, info: &LockInfo) -> Result<(), StateError> {
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_err(format!("creating state directory {}", dir.display())))?;
    }
    let body = serde_json::to_vec_pretty(info).map_err(|e| StateError::Other(format!("cannot encode lock info: {e}")))?;
    // A holder may release between our failed create and our read: try again then.
    for _ in 0..3 {
        match OpenOptions::new().write(true).create_new(true).open(lock) {
            Ok(mut f) => {
                let written = f.write_all(&body).and_then(|()| f.sync_all());
                return written.map_err(|e| {
                    let _ = fs::remove_file(lock);
                    io_err(format!("writing lock file {}", lock.display()))(e)
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if let Some(h) = holder(lock, state)? {
                    return Err(StateError::Locked(h));
                }
            }
            Err(e) => return Err(io_err(format!("creating lock file {}", lock.display()))(e)),
        }
    }
    Err(StateError::Other(format!("lock file {} keeps appearing and vanishing; retry", lock.display())))
}

/// Removes the lock when its ID is `id`. Without `force` (a normal unlock) a
/// different ID → `LockNotHeld`; with `force` (`contin force-unlock ID`) →
/// `Locked(actual holder)` so the message names the real ID.
pub(crate) fn release(lock: &Path, state: &str, id: &str, force: bool) -> Result<(), StateError> {
    match holder(lock, state)? {
        None => Err(StateError::LockNotHeld(id.to_string())),
        Some(h) if h.id != id => Err(if force { StateError::Locked(h) } else { StateError::LockNotHeld(id.to_string()) }),
        Some(_) => match fs::remove_file(lock) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StateError::LockNotHeld(id.to_string())),
            Err(e) => Err(io_err(format!("removing lock file {}", lock.display()))(e)),
        },
    }
}

/// The holder named in the lock file; `None` when there is no lock file.
/// An unparsable file still counts as a lock (see `UNREADABLE_LOCK_ID`).
pub(crate) fn holder(lock: &Path, state: &str) -> Result<Option<LockInfo>, StateError> {
    let mut attempt = 0;
    let bytes = loop {
        match fs::read(lock) {
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) && attempt < EMPTY_READ_RETRIES => {
                attempt += 1;
                std::thread::sleep(EMPTY_READ_PAUSE);
            }
            Ok(b) => break b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(format!("reading lock file {}", lock.display()))(e)),
        }
    };
    match serde_json::from_slice::<LockInfo>(&bytes) {
        Ok(info) => Ok(Some(info)),
        Err(e) => Ok(Some(unreadable(lock, state, &e.to_string()))),
    }
}

fn unreadable(lock: &Path, state: &str, why: &str) -> LockInfo {
    let created = fs::metadata(lock)
        .and_then(|m| m.modified())
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .unwrap_or_else(|_| "an unknown time".to_string());
    LockInfo {
        id: UNREADABLE_LOCK_ID.to_string(),
        operation: "unknown".to_string(),
        who: format!("an unknown holder (lock file {} is unreadable: {why})", lock.display()),
        created,
        path: state.to_string(),
    }
}
