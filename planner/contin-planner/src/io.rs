//! The only doors to the outside the planner has, supplied by the caller:
//! reading files for `file()`/`templatefile()` and reading data sources.
//! Keeping them behind this trait keeps planning deterministic in tests.

use contin_types::Value;

pub trait PlanIo: Send + Sync {
    /// Contents of a file named in `file()`/`templatefile()` (relative to the config dir).
    fn read_file(&self, path: &str) -> Result<String, String>;
    /// Reads data source `ty` of `provider` with a fully known configuration
    /// (carrying its sensitive marks when the provider `receives_sensitive_marks`).
    fn read_data(&self, provider: &str, ty: &str, cfg: &Value) -> Result<Value, String>;
    /// `path.cwd`.
    fn cwd(&self) -> String {
        ".".to_string()
    }
    /// Raw bytes of a file (filebase64, filemd5, filesha*, ...).
    fn read_file_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.read_file(path).map(String::into_bytes)
    }
    /// fileexists(): a regular file at `path`; an error for anything else that exists.
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        Err(format!("cannot check {path}: file access is not available here"))
    }
    /// fileset(): regular files under `dir`, `/`-separated and relative to it; none when `dir` does not exist.
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        Err(format!("cannot list {dir}: file access is not available here"))
    }
    /// pathexpand(): the user's home directory.
    fn home_dir(&self) -> Option<String> {
        None
    }
    /// True once the user asked to stop (Ctrl-C, SIGTERM): the walk stops
    /// between blocks and planning fails with "Planning interrupted".
    fn cancelled(&self) -> bool {
        false
    }
}

/// No IO at all: file and data reads fail with a clear message (tests, `validate`).
pub struct NoIo;

impl PlanIo for NoIo {
    fn read_file(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot read {path:?}: file access is not available here"))
    }
    fn read_data(&self, provider: &str, ty: &str, _cfg: &Value) -> Result<Value, String> {
        Err(format!("cannot read data source {provider}/{ty}: provider access is not available here"))
    }
}
