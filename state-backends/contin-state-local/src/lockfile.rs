//! The state lock: an OS advisory lock (`flock` via `File::try_lock`) on
//! `<state>.lock`, plus the holder's `LockInfo` written into that file for
//! messages.
//!
//! The kernel lock is the truth; the record only describes it. The kernel
//! drops the lock when the holding process dies (even by `kill -9`), so a
//! record left behind by a dead holder is ignored: the next `lock` simply
//! succeeds. A file is only ever unlinked by a process holding its kernel
//! lock (`unlock`, clearing a dead holder's record) or by `force_unlock` of
//! a live holder (which orphans that holder's lock). So that nobody ends up
//! holding a lock on an unlinked inode, `acquire` checks after taking the
//! kernel lock that the file it locked is still the one at the path, and
//! retries otherwise.
//!
//! The kernel lock lives as long as the `File` that took it: `Held` keeps
//! it; `unlock` (or dropping the backend) closes it. `flock` locks belong to
//! an open file description, so two backends in one process contend like
//! two processes.

use contin_state::files::{make_private, parent_dir, private_options, sync_dir};
use contin_state::{LockInfo, StateError};
use std::fs::{self, File, TryLockError};
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::Duration;

/// The lock ID reported for a held lock whose record cannot be parsed
/// (written by a foreign program). `contin force-unlock -force
/// unreadable-lock-file` removes such a file.
pub const UNREADABLE_LOCK_ID: &str = "unreadable-lock-file";

/// The holder may have taken the kernel lock but not yet written its
/// record: empty reads are retried this many times.
const EMPTY_READ_RETRIES: u32 = 20;
const EMPTY_READ_PAUSE: Duration = Duration::from_millis(10);
/// Longest lock record read (a `LockInfo` is a few hundred bytes).
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// A lock this backend holds: the file carrying the kernel lock and what we wrote.
#[derive(Debug)]
pub(crate) struct Held {
    file: File,
    info: LockInfo,
}

fn io_err(context: String) -> impl FnOnce(io::Error) -> StateError {
    move |source| StateError::Io { context, source }
}

/// Takes the lock or names the live holder.
pub(crate) fn acquire(
    lock: &Path,
    state: &str,
    info: &LockInfo,
    held: &mut Option<Held>,
) -> Result<(), StateError> {
    if let Some(h) = held.as_ref() {
        if still_at_path(&h.file, lock) {
            return Err(StateError::Locked(h.info.clone()));
        }
        // Our lock was forced away; what we hold is an orphan.
        *held = None;
    }
    let dir = parent_dir(lock);
    fs::create_dir_all(&dir).map_err(io_err(format!(
        "creating state directory {}",
        dir.display()
    )))?;
    let mut body = serde_json::to_vec_pretty(info)
        .map_err(|e| StateError::Other(format!("cannot encode lock info: {e}")))?;
    body.push(b'\n');
    for _ in 0..20 {
        let mut file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock)
            .map_err(io_err(format!("opening lock file {}", lock.display())))?;
        match file.try_lock() {
            Ok(()) => {
                if !still_at_path(&file, lock) {
                    continue; // force-unlocked between our open and our lock
                }
                make_private(lock)?;
                let written = file
                    .set_len(0)
                    .and_then(|()| file.write_all(&body))
                    .and_then(|()| file.sync_data());
                written.map_err(io_err(format!("writing lock file {}", lock.display())))?;
                *held = Some(Held {
                    file,
                    info: info.clone(),
                });
                return Ok(());
            }
            Err(TryLockError::WouldBlock) => {
                if let Some(h) = holder(lock, state)? {
                    return Err(StateError::Locked(h));
                }
                // Released between our attempt and our look: try again.
                std::thread::sleep(EMPTY_READ_PAUSE);
            }
            Err(TryLockError::Error(e)) => {
                return Err(io_err(format!("locking {}", lock.display()))(e))
            }
        }
    }
    Err(StateError::Other(format!(
        "lock file {} keeps changing hands; retry",
        lock.display()
    )))
}

/// Releases the lock this backend holds when its ID is `id`; otherwise
/// `LockNotHeld`. The record is cleared before the kernel lock goes.
pub(crate) fn release(lock: &Path, id: &str, held: &mut Option<Held>) -> Result<(), StateError> {
    match held.take() {
        Some(h) if h.info.id == id => {
            if !still_at_path(&h.file, lock) {
                return Err(StateError::LockNotHeld(id.to_string()));
            }
            // Unlinked while we still hold it: whoever opened the old inode
            // meanwhile notices (still_at_path) and retries on a new file.
            remove_lock_file(lock)?;
            drop(h);
            Ok(())
        }
        other => {
            *held = other;
            Err(StateError::LockNotHeld(id.to_string()))
        }
    }
}

/// `contin force-unlock -force ID`: releases our own lock, clears a record
/// left by a dead holder, or breaks a live holder's lock (unlinking the
/// file, so the next `acquire` locks a new one). A different ID →
/// `Locked(actual holder)`; nothing held or recorded with that ID → `LockNotHeld`.
pub(crate) fn force_release(
    lock: &Path,
    state: &str,
    id: &str,
    held: &mut Option<Held>,
) -> Result<(), StateError> {
    if held.as_ref().is_some_and(|h| h.info.id == id) {
        return release(lock, id, held);
    }
    match holder(lock, state)? {
        Some(h) if h.id != id => Err(StateError::Locked(h)),
        Some(_) => {
            match fs::remove_file(lock) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(StateError::LockNotHeld(id.to_string()))
                }
                Err(e) => return Err(io_err(format!("removing lock file {}", lock.display()))(e)),
            }
            sync_dir(&parent_dir(lock))
        }
        None => match read_record(lock)? {
            Some(bytes) if serde_json::from_slice::<LockInfo>(&bytes).is_ok_and(|r| r.id == id) => {
                clear_record_if_free(lock)?;
                Ok(())
            }
            _ => Err(StateError::LockNotHeld(id.to_string())),
        },
    }
}

/// The live holder, `None` when nobody holds the kernel lock (a record left
/// by a dead holder is ignored). A held lock with an unparsable record
/// still counts (see `UNREADABLE_LOCK_ID`).
pub(crate) fn holder(lock: &Path, state: &str) -> Result<Option<LockInfo>, StateError> {
    let file = match File::open(lock) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(format!("opening lock file {}", lock.display()))(e)),
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            return Ok(None);
        }
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(e)) => {
            return Err(io_err(format!("checking lock {}", lock.display()))(e))
        }
    }
    let mut attempt = 0;
    let bytes = loop {
        let bytes = read_from(&file, lock)?;
        if bytes.iter().all(u8::is_ascii_whitespace) && attempt < EMPTY_READ_RETRIES {
            attempt += 1;
            std::thread::sleep(EMPTY_READ_PAUSE);
            continue;
        }
        break bytes;
    };
    match serde_json::from_slice::<LockInfo>(&bytes) {
        Ok(info) => Ok(Some(info)),
        Err(e) => Ok(Some(unreadable(lock, state, &e.to_string()))),
    }
}

fn read_from(mut file: &File, lock: &Path) -> Result<Vec<u8>, StateError> {
    use std::io::Seek;
    let mut bytes = Vec::new();
    file.seek(io::SeekFrom::Start(0))
        .and_then(|_| file.take(MAX_RECORD_BYTES).read_to_end(&mut bytes))
        .map_err(io_err(format!("reading lock file {}", lock.display())))?;
    Ok(bytes)
}

fn read_record(lock: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match File::open(lock) {
        Ok(f) => read_from(&f, lock).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(format!("opening lock file {}", lock.display()))(e)),
    }
}

fn remove_lock_file(lock: &Path) -> Result<(), StateError> {
    match fs::remove_file(lock) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(format!("removing lock file {}", lock.display()))(e)),
    }
}

/// Removes a record nobody holds (taking the kernel lock to be sure).
fn clear_record_if_free(lock: &Path) -> Result<(), StateError> {
    let file = private_options()
        .write(true)
        .open(lock)
        .map_err(io_err(format!("opening lock file {}", lock.display())))?;
    match file.try_lock() {
        Ok(()) => {
            if still_at_path(&file, lock) {
                remove_lock_file(lock)?;
            }
            drop(file);
            Ok(())
        }
        Err(TryLockError::WouldBlock) => Err(StateError::Other(format!(
            "lock {} was taken meanwhile; retry",
            lock.display()
        ))),
        Err(TryLockError::Error(e)) => Err(io_err(format!("locking {}", lock.display()))(e)),
    }
}

/// True when `file` is the file currently at `path` (not unlinked or replaced).
#[cfg(unix)]
fn still_at_path(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at_path(_file: &File, path: &Path) -> bool {
    path.exists()
}

fn unreadable(lock: &Path, state: &str, why: &str) -> LockInfo {
    let created = fs::metadata(lock)
        .and_then(|m| m.modified())
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .unwrap_or_else(|_| "an unknown time".to_string());
    LockInfo {
        id: UNREADABLE_LOCK_ID.to_string(),
        operation: "unknown".to_string(),
        who: format!(
            "an unknown holder (lock file {} is unreadable: {why})",
            lock.display()
        ),
        created,
        path: state.to_string(),
        pid: 0,
        host: String::new(),
        ci_url: None,
    }
}
