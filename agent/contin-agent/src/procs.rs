//! The `process` runtime's OS side: spawn in a new session (so workloads
//! outlive the agent), identify by pid + start time, stop by process group.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `/proc/<pid>/stat` field 22 (start time in clock ticks since boot) and
/// whether the process is a zombie. `None` when there is no such process.
pub fn stat(pid: u32) -> Option<(u64, bool)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    let rest = &s[s.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); field 22 is index 19.
    let state = *fields.first()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((start, state == "Z" || state == "X"))
}

/// The start time of a live (non-zombie) process.
pub fn start_time(pid: u32) -> Option<u64> {
    match stat(pid) {
        Some((t, false)) => Some(t),
        _ => None,
    }
}

/// True when `pid` runs and is the process that was recorded.
pub fn is_same(pid: u32, start: u64) -> bool {
    start_time(pid) == Some(start)
}

/// Spawns `argv` in its own session with stdout/stderr appended to files.
pub fn spawn(argv: &[String], env: &[(String, String)], stdout: &Path, stderr: &Path) -> std::io::Result<Child> {
    let Some((prog, args)) = argv.split_first() else {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"));
    };
    let open = |p: &Path| std::fs::OpenOptions::new().create(true).append(true).open(p);
    let mut cmd = Command::new(prog);
    cmd.args(args).stdin(Stdio::null()).stdout(open(stdout)?).stderr(open(stderr)?);
    for (k, v) in env {
        cmd.env(k, v);
    }
    // SAFETY: setsid is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// Sends `sig` to the process group led by `pid` (the workload's session).
pub fn signal_group(pid: u32, sig: i32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    if pid <= 1 {
        return;
    }
    // SAFETY: plain syscall.
    unsafe {
        libc::kill(-pid, sig);
    }
}

/// Stops a workload: SIGTERM to its group, SIGKILL after `grace`. Reaps
/// `child` when it is ours. Only acts on the recorded process (start time).
pub fn stop(pid: u32, start: u64, child: Option<&mut Child>, grace: Duration) {
    if !is_same(pid, start) {
        if let Some(c) = child {
            let _ = c.try_wait();
        }
        return;
    }
    signal_group(pid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    let mut child = child;
    loop {
        if let Some(c) = child.as_deref_mut() {
            let _ = c.try_wait();
        }
        if !is_same(pid, start) {
            break;
        }
        if Instant::now() >= deadline {
            signal_group(pid, libc::SIGKILL);
            if let Some(c) = child.as_deref_mut() {
                let _ = c.wait();
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawned_processes_lead_their_own_session_and_stop_by_group() {
        let dir = tempfile::tempdir().unwrap();
        let argv = vec!["/bin/sh".to_string(), "-c".to_string(), "sleep 30 & echo $MARK; wait".to_string()];
        let mut child = spawn(&argv, &[("MARK".into(), "hello".into())], &dir.path().join("o"), &dir.path().join("e")).unwrap();
        let pid = child.id();
        let start = start_time(pid).unwrap();
        assert!(is_same(pid, start));
        assert!(!is_same(pid, start + 1));
        // Its own session: sid == pid.
        let sid = unsafe { libc::getsid(pid as i32) };
        assert_eq!(sid, pid as i32);
        std::thread::sleep(Duration::from_millis(300));
        stop(pid, start, Some(&mut child), Duration::from_secs(5));
        assert!(!is_same(pid, start));
        assert_eq!(std::fs::read_to_string(dir.path().join("o")).unwrap().trim(), "hello");
        // The grandchild (sleep) was in the group and is gone too.
        // (It may take a moment to be reaped by init.)
        let session_members = || -> Vec<u32> {
            std::fs::read_dir("/proc")
                .unwrap()
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|p| start_time(*p).is_some() && unsafe { libc::getsid(*p as i32) } == pid as i32)
                .collect()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !session_members().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(session_members(), Vec::<u32>::new());
    }

    #[test]
    fn stat_parses_names_with_parentheses() {
        let me = std::process::id();
        assert!(start_time(me).is_some());
        assert_eq!(stat(u32::MAX), None);
    }
}
