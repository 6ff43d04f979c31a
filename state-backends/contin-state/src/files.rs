//! Private (0600) file writing for everything that may hold secrets: state,
//! its backup, journals, plan files, `contin.errored.state`.
//!
//! `write_private` replaces a file atomically: temp file in the same
//! directory created 0600, fsync, rename, directory fsync. A reader sees the
//! old or the new bytes, never a mix, and a file that existed with wider
//! permissions (0644 from an older contin) ends up 0600.

use crate::StateError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

fn io_err(context: String) -> impl FnOnce(io::Error) -> StateError {
    move |source| StateError::Io { context, source }
}

/// `OpenOptions` for a new private file: owner read/write only on Unix.
pub fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Narrows an existing file to 0600 (no-op elsewhere than Unix). The mode
/// given to `open` only applies when the file is created, so files left by
/// older versions are fixed here.
pub fn make_private(path: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_err(format!(
            "making {} private (mode 0600)",
            path.display()
        )))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A fresh temp name beside `path`: `.<name>.<pid>.<random>.tmp`.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    parent_dir(path).join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ))
}

/// Creates `tmp` (must not exist) 0600, writes `bytes`, fsyncs.
pub fn write_new_private(tmp: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let ctx = || format!("writing temporary file {}", tmp.display());
    let mut f = private_options()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(io_err(ctx()))?;
    f.write_all(bytes).map_err(io_err(ctx()))?;
    f.sync_all().map_err(io_err(ctx()))
}

/// Fsyncs a directory so renames in it survive a power cut (no-op off Unix).
pub fn sync_dir(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(format!("syncing directory {}", dir.display())))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Replaces `path` with `bytes` atomically, mode 0600: temp file + fsync +
/// rename + directory fsync. Creates missing parent directories. The temp
/// file is removed on every error path.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let dir = parent_dir(path);
    fs::create_dir_all(&dir).map_err(io_err(format!("creating directory {}", dir.display())))?;
    let tmp = temp_path_for(path);
    let result = write_new_private(&tmp, bytes).and_then(|()| {
        fs::rename(&tmp, path).map_err(io_err(format!(
            "renaming {} over {}",
            tmp.display(),
            path.display()
        )))?;
        sync_dir(&dir)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn writes_0600_and_fixes_wider_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub/plan.bin");
        write_private(&p, b"one").expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"one");
        assert_eq!(mode(&p), 0o600);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&p, b"two").expect("rewrite");
        assert_eq!(fs::read(&p).expect("read"), b"two");
        assert_eq!(mode(&p), 0o600, "an existing 0644 file becomes 0600");
        let leftovers: Vec<_> = fs::read_dir(p.parent().expect("dir"))
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp files left: {leftovers:?}");
        let q = dir.path().join("x");
        fs::write(&q, b"x").expect("write");
        fs::set_permissions(&q, fs::Permissions::from_mode(0o644)).expect("chmod");
        make_private(&q).expect("narrow");
        assert_eq!(mode(&q), 0o600);
    }

    #[test]
    fn failure_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Renaming a file over a non-empty directory fails.
        let p = dir.path().join("d");
        fs::create_dir_all(p.join("inner")).expect("mkdir");
        let err = write_private(&p, b"x").expect_err("cannot replace a directory");
        assert!(err.to_string().contains("renaming"), "{err}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
