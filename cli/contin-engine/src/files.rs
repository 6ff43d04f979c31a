//! File IO rules of the engine: paths resolved against the workspace root,
//! bounded reads of regular files only, private (0600) atomic writes.

use crate::error::{EngineError, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest configuration, variables, plan or `file()` input read (16 MiB).
/// (contin-eval may export its own limit; switch to it when it lands.)
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// `path` relative to `root` unless absolute (`~/` expands to `$HOME`).
pub fn resolve(root: &Path, path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    root.join(path)
}

/// Reads a regular file of at most `limit` bytes; never reads more than
/// `limit + 1` bytes (so `/dev/zero` or a growing file cannot exhaust memory).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| EngineError::io(format!("cannot read {}", path.display()), e))?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { "not a regular file" };
        return Err(EngineError::File { path: path.to_path_buf(), reason: format!("is {what}; only regular files can be read") });
    }
    if meta.len() > limit {
        return Err(too_large(path, limit));
    }
    let f = std::fs::File::open(path).map_err(|e| EngineError::io(format!("cannot read {}", path.display()), e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(limit + 1).read_to_end(&mut bytes).map_err(|e| EngineError::io(format!("cannot read {}", path.display()), e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(bytes)
}

fn too_large(path: &Path, limit: u64) -> EngineError {
    EngineError::File { path: path.to_path_buf(), reason: format!("is larger than the limit of {} MiB", limit / (1024 * 1024)) }
}

/// [`read_bounded`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|e| EngineError::File {
        path: path.to_path_buf(),
        reason: format!("is not valid UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })
}

/// Writes `bytes` to `path` readable by the owner only (0600): a temporary
/// file beside it, fsynced, then renamed over `path`, then the directory fsynced.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let ctx = |what: &str| format!("cannot {what} {}", path.display());
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "contin".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(EngineError::io(ctx("write"), e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(EngineError::io(ctx("write"), e));
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reads_refuse_devices_directories_and_large_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = read_bounded(Path::new("/dev/zero"), 10).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("/dev/zero: is not a regular file"), "{err}");
        let err = read_bounded(dir.path(), 10).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("is a directory"), "{err}");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 3 * 1024 * 1024]).expect("write");
        let err = read_bounded(&big, 2 * 1024 * 1024).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("larger than the limit of 2 MiB"), "{err}");
        assert_eq!(read_bounded(&big, 4 * 1024 * 1024).map(|b| b.len()).ok(), Some(3 * 1024 * 1024));
        std::fs::write(&big, [0xff, 0xfe]).expect("write");
        let err = read_text(&big, 10).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not valid UTF-8"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn private_writes_are_0600_and_replace_atomically() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.state");
        std::fs::write(&p, "old").expect("seed");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&p, b"new").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"new");
        assert_eq!(std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1, "no temp file left");
    }
}
