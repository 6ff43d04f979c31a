//! Reading the state file and replacing it atomically (temp file + fsync +
//! rename, previous version kept as `.backup`, directory fsynced).

use contin_state::codec::{decode, decode_header, StateHeader};
use contin_state::files::{make_private, parent_dir, sync_dir, write_new_private};
use contin_state::{State, StateError};
use std::fs::{self, File};
use std::io;
use std::path::Path;

fn io_err(context: String) -> impl FnOnce(io::Error) -> StateError {
    move |source| StateError::Io { context, source }
}

/// Largest state file read (a 10,000-resource state is about 4 MB): a bigger
/// or non-regular file is refused before anything is allocated for it.
pub const MAX_STATE_BYTES: u64 = 512 * 1024 * 1024;

/// The file's bytes, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    use std::io::Read;
    let context = || format!("reading state file {}", path.display());
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(context())(e)),
    };
    let meta = file.metadata().map_err(io_err(context()))?;
    let corrupt = |reason: String| StateError::Corrupt { location: path.display().to_string(), reason };
    if !meta.is_file() {
        return Err(corrupt("it is not a regular file".into()));
    }
    if meta.len() > MAX_STATE_BYTES {
        return Err(corrupt(format!(
            "it is {} bytes, more than the limit of {MAX_STATE_BYTES} bytes (MAX_STATE_BYTES)",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_STATE_BYTES + 1).read_to_end(&mut bytes).map_err(io_err(context()))?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(corrupt(format!("it grew past the limit of {MAX_STATE_BYTES} bytes (MAX_STATE_BYTES) while being read")));
    }
    Ok(Some(bytes))
}

pub(crate) fn load(path: &Path) -> Result<Option<State>, StateError> {
    let location = path.display().to_string();
    read_optional(path)?.map(|bytes| decode(&bytes, &location)).transpose()
}

/// Version, lineage and serial of the stored state (the resources are
/// skipped, not built). A corrupt or too-new file is an error: a write must
/// never replace a document nobody could read.
pub(crate) fn read_header(path: &Path) -> Result<Option<StateHeader>, StateError> {
    let location = path.display().to_string();
    read_optional(path)?.map(|bytes| decode_header(&bytes, &location)).transpose()
}

/// Replaces `path` with `bytes` so that at every instant `path` holds
/// either the complete old or the complete new document:
/// 1. write `bytes` to a fresh temp file in the same directory and fsync it;
/// 2. hard-link the current file to a temp name and rename that over
///    `backup` (the current file stays in place throughout);
/// 3. rename the temp file over `path`, then fsync the directory so the
///    renames survive a power cut.
///
/// Temp files are removed on every error path.
pub(crate) fn replace_atomically(path: &Path, backup: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let dir = parent_dir(path);
    fs::create_dir_all(&dir).map_err(io_err(format!("creating state directory {}", dir.display())))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), uuid::Uuid::new_v4().simple()));

    let result = write_new_private(&tmp, bytes).and_then(|()| {
        if path.exists() {
            keep_backup(path, backup, &dir, &name)?;
        }
        fs::rename(&tmp, path)
            .map_err(io_err(format!("renaming {} over state file {}", tmp.display(), path.display())))?;
        sync_dir(&dir)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes `backup` a copy of the current `path` without ever removing `path`.
fn keep_backup(path: &Path, backup: &Path, dir: &Path, name: &str) -> Result<(), StateError> {
    let tmp = dir.join(format!(".{name}.backup.{}.tmp", uuid::Uuid::new_v4().simple()));
    let made = match fs::hard_link(path, &tmp) {
        Ok(()) => Ok(()),
        // File systems without hard links: copy instead (and fsync the copy).
        Err(_) => fs::copy(path, &tmp)
            .and_then(|_| File::open(&tmp)?.sync_all())
            .map_err(io_err(format!("copying {} to {}", path.display(), tmp.display()))),
    };
    // The backup shares the state's inode (hard link): narrowing it narrows
    // a state file left 0644 by an older version too.
    let result = made.and_then(|()| make_private(&tmp)).and_then(|()| {
        fs::rename(&tmp, backup).map_err(io_err(format!("renaming {} to {}", tmp.display(), backup.display())))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// An exclusive OS lock on the state file's directory for the duration of
/// one state write (no extra file is left behind); released when the
/// returned handle is dropped or the process dies.
pub(crate) fn write_guard(state_path: &Path) -> Result<File, StateError> {
    let dir = parent_dir(state_path);
    fs::create_dir_all(&dir).map_err(io_err(format!("creating state directory {}", dir.display())))?;
    let f = File::open(&dir).map_err(io_err(format!("opening state directory {}", dir.display())))?;
    f.lock().map_err(io_err(format!("locking state directory {} for a write", dir.display())))?;
    Ok(f)
}
