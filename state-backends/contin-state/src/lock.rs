//! Building `LockInfo` for the current process (who, when, a fresh id).

use crate::LockInfo;
use std::time::SystemTime;

impl LockInfo {
    /// A lock description for this process: random v4 id,
    /// `who = "user@host (pid N)"`, `created` = now as RFC 3339 UTC
    /// (`2025-01-02T03:04:05Z`). `path` is where the state lives.
    pub fn new(operation: &str, path: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!("{}@{} (pid {})", current_user(), current_host(), std::process::id()),
            created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            path: path.to_string(),
        }
    }
}

fn current_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Host name without libc: the files Linux exposes, then `HOSTNAME`
/// (set by most shells, absent on macOS files), then `unknown`.
fn current_host() -> String {
    let from_files = ["/etc/hostname", "/proc/sys/kernel/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty());
    from_files
        .or_else(|| std::env::var("HOSTNAME").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_this_process() {
        let a = LockInfo::new("apply", "contin.state.json");
        let b = LockInfo::new("apply", "contin.state.json");
        assert_ne!(a.id, b.id, "ids are random");
        assert!(uuid::Uuid::parse_str(&a.id).is_ok(), "id is a uuid: {}", a.id);
        assert_eq!(a.operation, "apply");
        assert_eq!(a.path, "contin.state.json");
        assert!(a.who.contains('@'), "who: {}", a.who);
        assert!(a.who.ends_with(&format!("(pid {})", std::process::id())), "who: {}", a.who);
        let t = humantime::parse_rfc3339(&a.created).expect("created is RFC 3339");
        let age = SystemTime::now().duration_since(t).expect("created is not in the future");
        assert!(age.as_secs() < 60, "created is now-ish: {}", a.created);
        assert!(a.created.ends_with('Z'), "UTC: {}", a.created);
    }
}
