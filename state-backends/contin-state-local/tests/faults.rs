//! Fault behaviour of the local backend: corrupt and too-new files are
//! refused and left untouched, `.backup` tracks the previous state, locks
//! held by other instances (standing in for other processes) block with a
//! message naming the holder until released or forced.

use contin_state::codec::{decode, encode};
use contin_state::conformance::rich_state;
use contin_state::{Backend, LockInfo, State, StateError, STATE_VERSION};
use contin_state_local::{LocalBackend, UNREADABLE_LOCK_ID};
use std::path::{Path, PathBuf};

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("contin.state.json");
    (dir, path)
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn next(state: &State) -> State {
    let mut s = state.clone();
    s.serial += 1;
    s
}

#[tokio::test]
async fn truncated_state_is_corrupt_and_left_byte_for_byte() {
    let (dir, path) = setup();
    let b = LocalBackend::new(&path);
    let s = rich_state("lin".into(), 1);
    b.persist(&s, None).await.expect("first persist");
    let full = std::fs::read(&path).expect("read");
    let truncated = full[..full.len() * 2 / 3].to_vec();
    std::fs::write(&path, &truncated).expect("truncate");
    let before = dir_listing(dir.path());

    let err = b.load().await.expect_err("truncated file must not load");
    let msg = err.to_string();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert!(msg.contains(&path.display().to_string()), "names the file: {msg}");
    assert!(msg.contains("line ") && msg.contains("column "), "names the position: {msg}");
    assert!(msg.contains("left untouched"), "{msg}");

    // A write over a corrupt file is refused too: nobody could read what we'd replace.
    let err = b.persist(&next(&s), Some(1)).await.expect_err("no write over a corrupt file");
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");

    assert_eq!(std::fs::read(&path).expect("read"), truncated, "corrupt file must stay byte-for-byte the same");
    assert_eq!(dir_listing(dir.path()), before, "no temp or other files may be left behind");
}

#[tokio::test]
async fn empty_and_garbage_files_are_corrupt() {
    let (_dir, path) = setup();
    let b = LocalBackend::new(&path);
    for (content, needle) in [(&b""[..], "empty"), (b"\n", "empty"), (b"not json at all", "line 1 column 2"), (b"{\"version\": 1}", "missing field")] {
        std::fs::write(&path, content).expect("write");
        match b.load().await {
            Err(StateError::Corrupt { location, reason }) => {
                assert_eq!(location, path.display().to_string());
                assert!(reason.contains(needle), "{content:?}: reason {reason:?} should contain {needle:?}");
            }
            other => panic!("{content:?} must be Corrupt, got {other:?}"),
        }
        assert_eq!(std::fs::read(&path).expect("read"), content, "file left as it was");
    }
}

#[tokio::test]
async fn newer_format_version_is_refused_for_read_and_write() {
    let (dir, path) = setup();
    let doc = format!(
        "{{\"version\": {}, \"lineage\": \"lin\", \"serial\": 5, \"resources\": [], \"future\": {{}}}}",
        STATE_VERSION + 1
    );
    std::fs::write(&path, &doc).expect("write");
    let b = LocalBackend::new(&path);
    let err = b.load().await.expect_err("too new");
    assert!(matches!(err, StateError::TooNew { found, supported, .. } if found == STATE_VERSION + 1 && supported == STATE_VERSION));
    assert!(err.to_string().contains("upgrade contin"), "{err}");
    let err = b.persist(&rich_state("lin".into(), 6), Some(5)).await.expect_err("no write over a newer format");
    assert!(matches!(err, StateError::TooNew { .. }), "{err:?}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), doc);
    assert_eq!(dir_listing(dir.path()), vec!["contin.state.json".to_string()]);
}

#[tokio::test]
async fn backup_holds_the_previous_serial() {
    let (dir, path) = setup();
    let b = LocalBackend::new(&path);
    let s1 = rich_state("lin".into(), 1);
    b.persist(&s1, None).await.expect("persist 1");
    assert!(!b.backup_path().exists(), "no backup before a second write");
    let s2 = next(&s1);
    b.persist(&s2, Some(1)).await.expect("persist 2");
    let backup = |b: &LocalBackend| decode(&std::fs::read(b.backup_path()).expect("backup exists"), "backup").expect("backup decodes");
    assert_eq!(backup(&b), s1, "backup is the previous state");
    let s3 = next(&s2);
    b.persist(&s3, Some(2)).await.expect("persist 3");
    assert_eq!(backup(&b).serial, 2);
    assert_eq!(b.load().await.expect("load"), Some(s3.clone()));
    // What is on disk is exactly the codec's encoding (one writer format).
    assert_eq!(std::fs::read(&path).expect("read"), encode(&s3).expect("encode"));
    assert_eq!(
        dir_listing(dir.path()),
        vec!["contin.state.json".to_string(), "contin.state.json.backup".to_string()],
        "only the state and its backup remain"
    );
}

#[tokio::test]
async fn a_leftover_temp_file_from_a_crash_is_harmless() {
    let (dir, path) = setup();
    let b = LocalBackend::new(&path);
    let s1 = rich_state("lin".into(), 1);
    b.persist(&s1, None).await.expect("persist");
    // A crash between writing the temp file and renaming it leaves this behind.
    let half = &encode(&next(&s1)).expect("encode")[..100];
    std::fs::write(dir.path().join(".contin.state.json.999.deadbeef.tmp"), half).expect("write");
    assert_eq!(b.load().await.expect("load"), Some(s1.clone()));
    b.persist(&next(&s1), Some(1)).await.expect("persist after crash");
    assert_eq!(b.load().await.expect("load").map(|s| s.serial), Some(2));
}

#[tokio::test]
async fn lock_held_by_another_instance_names_the_holder() {
    let (_dir, path) = setup();
    let (first, second) = (LocalBackend::new(&path), LocalBackend::new(&path));
    let mut held = LockInfo::new("apply", &path.display().to_string());
    held.who = "alice@build-7 (pid 4242)".into();
    first.lock(&held).await.expect("lock");
    let err = second
        .lock(&LockInfo::new("plan", "x"))
        .await
        .expect_err("second lock refused");
    let msg = err.to_string();
    let command = format!("contin force-unlock -force {}", held.id);
    for part in [
        "alice@build-7 (pid 4242)",
        "operation apply",
        held.id.as_str(),
        held.created.as_str(),
        command.as_str(),
    ] {
        assert!(msg.contains(part), "message should contain {part:?}: {msg}");
    }
    // The lock file is plain JSON a human can read.
    let on_disk: LockInfo =
        serde_json::from_slice(&std::fs::read(second.lock_path()).expect("lock file"))
            .expect("lock file is LockInfo JSON");
    assert_eq!(on_disk, held);
    first.unlock(&held.id).await.expect("unlock");
    assert_eq!(second.lock_holder().await.expect("holder"), None);
    assert!(!first.lock_path().exists(), "unlock removes the lock file");
}

#[tokio::test]
async fn dropping_the_holder_releases_the_lock() {
    let (_dir, path) = setup();
    let stale = LockInfo::new("apply", &path.display().to_string());
    {
        // A holder that goes away without unlocking (panic, early return).
        let crashed = LocalBackend::new(&path);
        crashed.lock(&stale).await.expect("lock");
    }
    let b = LocalBackend::new(&path);
    assert_eq!(
        b.lock_holder().await.expect("holder"),
        None,
        "a record without a live holder is not a lock"
    );
    let mine = LockInfo::new("plan", "x");
    b.lock(&mine)
        .await
        .expect("lock after the holder went away, no force-unlock");
    b.unlock(&mine.id).await.expect("unlock");
}

#[tokio::test]
async fn a_record_left_by_a_dead_process_is_ignored_and_can_be_cleared() {
    let (_dir, path) = setup();
    let b = LocalBackend::new(&path);
    let stale = LockInfo::new("apply", "x");
    std::fs::write(b.lock_path(), serde_json::to_vec(&stale).expect("json")).expect("write");
    assert_eq!(b.lock_holder().await.expect("holder"), None);
    match b.force_unlock("0000-wrong").await {
        Err(StateError::LockNotHeld(id)) => assert_eq!(id, "0000-wrong"),
        other => panic!("force_unlock of an unknown ID must be LockNotHeld, got {other:?}"),
    }
    b.force_unlock(&stale.id)
        .await
        .expect("force-unlock clears a stale record");
    assert!(!b.lock_path().exists(), "the stale record is gone");
    let mine = LockInfo::new("plan", "x");
    b.lock(&mine).await.expect("lock");
    b.unlock(&mine.id).await.expect("unlock");
}

#[tokio::test]
async fn force_unlock_breaks_a_live_holder_which_then_cannot_unlock() {
    let (_dir, path) = setup();
    let (a, b) = (LocalBackend::new(&path), LocalBackend::new(&path));
    let stuck = LockInfo::new("apply", "x");
    a.lock(&stuck).await.expect("lock");
    match b.force_unlock("0000-wrong").await {
        Err(e @ StateError::Locked(_)) => assert!(
            e.to_string().contains(&stuck.id),
            "names the actual ID: {e}"
        ),
        other => panic!("force_unlock with a wrong ID must name the real holder, got {other:?}"),
    }
    b.force_unlock(&stuck.id).await.expect("force unlock");
    let mine = LockInfo::new("plan", "x");
    b.lock(&mine).await.expect("lock after force unlock");
    assert!(matches!(
        a.unlock(&stuck.id).await,
        Err(StateError::LockNotHeld(_))
    ));
    assert!(
        matches!(a.lock(&stuck).await, Err(StateError::Locked(h)) if h.id == mine.id),
        "the old holder sees the new one"
    );
    b.unlock(&mine.id).await.expect("unlock");
}

#[tokio::test]
async fn a_held_lock_with_an_unreadable_record_still_locks_and_can_be_forced() {
    let (_dir, path) = setup();
    let b = LocalBackend::new(&path);
    // A foreign program holds the kernel lock and wrote garbage.
    let foreign = std::fs::File::create(b.lock_path()).expect("create");
    foreign.try_lock().expect("foreign lock");
    std::fs::write(b.lock_path(), b"{garbage").expect("write");
    let err = b
        .lock(&LockInfo::new("apply", "x"))
        .await
        .expect_err("still locked");
    let msg = err.to_string();
    assert!(
        matches!(&err, StateError::Locked(h) if h.id == UNREADABLE_LOCK_ID),
        "{err:?}"
    );
    assert!(
        msg.contains("unreadable") && msg.contains(&b.lock_path().display().to_string()),
        "{msg}"
    );
    assert_eq!(
        b.lock_holder().await.expect("holder").map(|h| h.id),
        Some(UNREADABLE_LOCK_ID.to_string())
    );
    b.force_unlock(UNREADABLE_LOCK_ID)
        .await
        .expect("force unlock unreadable");
    assert_eq!(b.lock_holder().await.expect("holder"), None);
    drop(foreign);
}

/// Set by `kill9_holder_releases_the_lock` for the child it spawns.
const CHILD_ENV: &str = "CONTIN_TEST_LOCK_CHILD";

/// Not a test on its own: the child process of `kill9_holder_releases_the_lock`
/// (takes the lock, says so, then waits to be killed).
#[tokio::test]
#[ignore = "child process of kill9_holder_releases_the_lock"]
async fn lock_holder_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let b = LocalBackend::new(&path);
    let info = LockInfo::new("apply", &path);
    b.lock(&info).await.expect("child lock");
    std::fs::write(format!("{path}.child-ready"), info.id.as_bytes()).expect("ready marker");
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}

#[cfg(unix)]
#[tokio::test]
async fn kill9_holder_releases_the_lock() {
    let (_dir, path) = setup();
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args(["--exact", "lock_holder_child", "--ignored", "--nocapture"])
        .env(CHILD_ENV, &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn child");
    let ready = PathBuf::from(format!("{}.child-ready", path.display()));
    let t0 = std::time::Instant::now();
    while !ready.exists() {
        assert!(t0.elapsed().as_secs() < 60, "child never took the lock");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("child exited early: {status}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let child_id = std::fs::read_to_string(&ready).expect("marker");
    let b = LocalBackend::new(&path);
    match b.lock(&LockInfo::new("plan", "x")).await {
        Err(e @ StateError::Locked(_)) => {
            let StateError::Locked(h) = &e else {
                unreachable!()
            };
            assert_eq!(h.id, child_id);
            assert_eq!(h.pid, child.id(), "the record names the child's pid");
            let msg = e.to_string();
            assert!(msg.contains(&format!("pid {}", child.id())), "{msg}");
            assert!(
                msg.contains(&format!("contin force-unlock -force {child_id}")),
                "{msg}"
            );
        }
        other => panic!("a live holder in another process must block, got {other:?}"),
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert_eq!(
        b.lock_holder().await.expect("holder"),
        None,
        "nothing stale is reported"
    );
    let mine = LockInfo::new("plan", "x");
    b.lock(&mine)
        .await
        .expect("the lock of a killed holder is free without force-unlock");
    b.unlock(&mine.id).await.expect("unlock");
}

#[cfg(unix)]
#[tokio::test]
async fn state_and_backup_are_private_even_over_old_0644_files() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = setup();
    let b = LocalBackend::new(&path);
    let s = rich_state("L".into(), 1);
    b.persist(&s, None).await.expect("first write");
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    b.persist(&next(&s), Some(1)).await.expect("second write");
    assert_eq!(mode(&path), 0o600, "state");
    assert_eq!(mode(&b.backup_path()), 0o600, "backup (was the 0644 state)");
    let info = LockInfo::new("apply", "x");
    b.lock(&info).await.expect("lock");
    assert_eq!(mode(&b.lock_path()), 0o600, "lock file");
    b.unlock(&info.id).await.expect("unlock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_lockers_exactly_one_wins() {
    let (_dir, path) = setup();
    let mut tasks = Vec::new();
    // Every backend is kept alive to the end: a holder's kernel lock lives
    // as long as its backend (dropping it is releasing).
    let backends: Vec<LocalBackend> = (0..16).map(|_| LocalBackend::new(&path)).collect();
    for (i, b) in backends.iter().enumerate() {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let info = LockInfo::new(&format!("op{i}"), "x");
            (b.lock(&info).await, info)
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            (Ok(()), info) => winners.push(info),
            (Err(StateError::Locked(h)), _) => losers.push(h),
            (Err(e), _) => panic!("unexpected error: {e}"),
        }
    }
    drop(backends);
    assert_eq!(winners.len(), 1, "exactly one locker wins");
    assert_eq!(losers.len(), 15);
    for h in &losers {
        assert_eq!(h.id, winners[0].id, "every loser is told who won (not an empty/unreadable lock)");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_persists_through_one_instance_are_serialized() {
    let (_dir, path) = setup();
    let b = std::sync::Arc::new(LocalBackend::new(&path));
    let base = rich_state("lin".into(), 1);
    b.persist(&base, None).await.expect("seed");
    // Eight tasks all claim base serial 1: exactly one may win.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (b, s) = (b.clone(), next(&base));
        tasks.push(tokio::spawn(async move { b.persist(&s, Some(1)).await }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(()) => ok += 1,
            Err(StateError::Conflict { found: Some(2), .. }) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(ok, 1, "exactly one writer with base serial 1 succeeds");
}

/// Lock / unlock cycles from many instances at once (unlock unlinks the
/// file, lockers may hold the old inode): never two holders at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lock_unlock_cycles_stay_mutually_exclusive() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let (_dir, path) = setup();
    let inside = Arc::new(AtomicUsize::new(0));
    let entries = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (b, inside, entries) = (LocalBackend::new(&path), inside.clone(), entries.clone());
        tasks.push(tokio::spawn(async move {
            for k in 0..25 {
                let info = LockInfo::new(&format!("op{i}-{k}"), "x");
                loop {
                    match b.lock(&info).await {
                        Ok(()) => break,
                        Err(StateError::Locked(_)) => tokio::task::yield_now().await,
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders at once");
                entries.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                inside.fetch_sub(1, Ordering::SeqCst);
                b.unlock(&info.id).await.expect("unlock");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(entries.load(Ordering::SeqCst), 200);
    assert!(!path.with_extension("json.lock").exists());
}

/// Writers that bypass the state lock (two processes with `-lock=false`, or a
/// forced unlock) race on the same serial: the serial check and the replace
/// happen under one OS lock, so exactly one write wins every round and the
/// other gets a conflict — no update is lost. Separate backend values stand in
/// for separate processes (each write opens its own descriptor).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_without_the_state_lock_never_lose_an_update() {
    let (_dir, path) = setup();
    let seed = LocalBackend::new(&path);
    let mut base = rich_state("race".into(), 1);
    seed.persist(&base, None).await.expect("first persist");
    for round in 0..40 {
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let b = LocalBackend::new(&path);
                let mut s = next(&base);
                s.outputs.insert("writer".into(), contin_state::OutputState { value: serde_json::json!(w), sensitive: false });
                let expected = Some(base.serial);
                tokio::spawn(async move { b.persist(&s, expected).await.map(|()| w) })
            })
            .collect();
        let mut won = Vec::new();
        for h in writers {
            match h.await.expect("join") {
                Ok(w) => won.push(w),
                Err(StateError::Conflict { .. }) => {}
                Err(e) => panic!("round {round}: unexpected error {e}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: exactly one writer must win, got {won:?}");
        let stored = seed.load().await.expect("load").expect("state");
        assert_eq!(stored.serial, base.serial + 1, "round {round}");
        assert_eq!(stored.outputs["writer"].value, serde_json::json!(won[0]), "round {round}: the stored state is the winner's");
        base = stored;
    }
}
