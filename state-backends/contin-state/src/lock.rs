//! Building `LockInfo` for the current process (who, when, a fresh id).

use crate::LockInfo;
use std::path::Path;
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
            pid: std::process::id(),
            host: current_host(),
            ci_url: None,
        }
    }

    /// True when the holder is a process on this host that is no longer
    /// running (Linux: no `/proc/PID`). False when unsure: another host,
    /// an old record without pid/host, or no `/proc` to look in.
    pub fn holder_is_dead_here(&self) -> bool {
        self.pid != 0
            && !self.host.is_empty()
            && self.host == current_host()
            && Path::new("/proc/self").exists()
            && !Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

/// The text of `StateError::Locked`.
pub(crate) fn locked_message(h: &LockInfo) -> String {
    if h.holder_is_dead_here() {
        format!(
            "state is locked by {} (operation {}, since {}, lock ID {}), held by a process that is no longer running (pid {} on this host); release it with: contin force-unlock -force {}",
            h.who, h.operation, h.created, h.id, h.pid, h.id
        )
    } else {
        format!(
            "state is locked by {} (operation {}, since {}, lock ID {}); if that process is no longer running, release the lock with: contin force-unlock -force {}",
            h.who, h.operation, h.created, h.id, h.id
        )
    }
}

/// This machine's host name as recorded in `LockInfo::host`.
pub fn this_host() -> String {
    current_host()
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

    #[cfg(target_os = "linux")]
    #[test]
    fn dead_pid_on_this_host_is_detected() {
        let mut child = std::process::Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        child.wait().expect("reaped");
        let mut info = LockInfo::new("apply", "s");
        info.pid = pid;
        assert!(info.holder_is_dead_here(), "pid {pid} has exited and was reaped");
        let msg = crate::StateError::Locked(info.clone()).to_string();
        assert!(msg.contains(&format!("held by a process that is no longer running (pid {pid} on this host)")), "{msg}");
        assert!(msg.ends_with(&format!("contin force-unlock -force {}", info.id)), "{msg}");
        info.host = "some-other-host".into();
        assert!(!info.holder_is_dead_here(), "other hosts are never judged");
        let msg = crate::StateError::Locked(info.clone()).to_string();
        assert!(!msg.contains("no longer running (pid"), "{msg}");
        assert!(msg.contains(&info.who) && msg.contains("operation apply") && msg.contains(&info.created), "{msg}");
        assert!(msg.ends_with(&format!("contin force-unlock -force {}", info.id)), "{msg}");
        info.host = this_host();
        info.pid = 0;
        assert!(!info.holder_is_dead_here(), "old records without a pid are never judged");
        let old: LockInfo = serde_json::from_str(r#"{"id":"x","operation":"apply","who":"u@h (pid 1)","created":"2025-01-01T00:00:00Z"}"#)
            .expect("records without pid/host still load");
        assert_eq!((old.pid, old.host.as_str()), (0, ""));
    }

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
        assert_eq!(a.pid, std::process::id());
        assert_eq!(a.host, this_host());
        assert!(!a.holder_is_dead_here(), "this process is alive");
        let t = humantime::parse_rfc3339(&a.created).expect("created is RFC 3339");
        let age = SystemTime::now().duration_since(t).expect("created is not in the future");
        assert!(age.as_secs() < 60, "created is now-ish: {}", a.created);
        assert!(a.created.ends_with('Z'), "UTC: {}", a.created);
    }
}
