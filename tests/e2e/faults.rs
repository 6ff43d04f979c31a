//! Fault tests through the binary: corrupted state, a held lock, a stale plan
//! file, a failure in the middle of a graph, no terminal for the prompt,
//! and an interrupted apply.

use contin_e2e::{contin_bin, layered_fake_config, Project};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn corrupted_state_is_an_error_and_left_untouched() {
    let p = Project::quickstart();
    let corrupt = "{\"version\": 1, \"lineage\": \"abc\", \"serial\": 3, \"resources\": [{\"addr\": \"local_file.re";
    p.write("contin.state.json", corrupt);
    for args in [&["plan"][..], &["apply", "-auto-approve"], &["state", "list"], &["destroy", "-auto-approve"]] {
        let out = p.run(args);
        out.expect_code(1);
        assert!(out.stderr.contains("corrupt"), "{args:?}: {}", out.stderr);
        assert_eq!(p.read("contin.state.json"), corrupt, "{args:?} modified the corrupted state");
        assert!(!p.exists("contin.state.json.lock"), "{args:?} left the lock behind");
    }
    assert!(!p.exists("out/README.txt"), "nothing applied on a corrupted state");
}

const LOCK_RECORD_WHO: &str = "alice@build-7 (pid 4242)";

fn lock_record(id: &str) -> String {
    let lock = serde_json::json!({
        "id": id,
        "operation": "apply",
        "who": LOCK_RECORD_WHO,
        "created": "2026-01-01T00:00:00Z",
        "path": "contin.state.json",
    });
    serde_json::to_string_pretty(&lock).expect("json")
}

/// A live holder of the state lock: `flock(1)` holding the kernel lock on
/// `contin.state.json.lock` until killed. `None` without `flock` (util-linux).
#[cfg(unix)]
struct FlockHolder(std::process::Child);

#[cfg(unix)]
impl FlockHolder {
    fn start(p: &Project) -> Option<FlockHolder> {
        use std::io::{BufRead, BufReader};
        if Command::new("flock").arg("--version").output().is_err() {
            eprintln!("skipped: `flock` (util-linux) is not installed");
            return None;
        }
        // -o: the lock stays with flock itself (not the sleep), so killing it frees the lock.
        let mut child = Command::new("flock")
            .args(["-o", "contin.state.json.lock", "sh", "-c", "echo locked; exec sleep 120"])
            .current_dir(p.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting flock");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).expect("reading flock's output");
        assert_eq!(line.trim(), "locked", "flock did not take the lock");
        Some(FlockHolder(child))
    }
}

#[cfg(unix)]
impl Drop for FlockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
#[test]
fn a_held_lock_names_its_holder() {
    let p = Project::quickstart();
    let lock_text = lock_record("held-by-test");
    p.write("contin.state.json.lock", &lock_text);
    let Some(holder) = FlockHolder::start(&p) else { return };

    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains(LOCK_RECORD_WHO), "{}", out.stderr);
    assert!(out.stderr.contains("contin force-unlock -force held-by-test"), "the hint is the exact command: {}", out.stderr);
    assert_eq!(p.read("contin.state.json.lock"), lock_text, "someone else's lock must not be touched");
    assert!(!p.exists("out/README.txt"));
    p.run(&["plan"]).expect_code(1);

    // force-unlock asks first; without a terminal it needs -force.
    p.run(&["force-unlock", "held-by-test"]).expect_code(1);
    assert!(p.exists("contin.state.json.lock"));
    let wrong = p.run(&["force-unlock", "wrong-id", "-force"]);
    wrong.expect_code(1);
    assert!(wrong.stderr.contains("held-by-test"), "names the actual holder: {}", wrong.stderr);
    assert!(p.exists("contin.state.json.lock"));
    // Breaking a live holder's lock: the next command locks afresh while
    // the old holder still sits on its (now unlinked) lock file.
    p.run(&["force-unlock", "-force", "held-by-test"]).expect_code(0);
    assert!(!p.exists("contin.state.json.lock"));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert!(p.exists("out/README.txt"));
    assert!(!p.exists("contin.state.json.lock"));
    drop(holder);
}

#[test]
fn a_lock_record_nobody_holds_is_not_a_lock() {
    let p = Project::quickstart();
    p.write("contin.state.json.lock", &lock_record("left-by-a-dead-process"));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert!(p.exists("out/README.txt"));
    assert!(!p.exists("contin.state.json.lock"), "the stale record is cleared by the next holder");
}

#[cfg(unix)]
#[test]
fn a_killed_apply_leaves_no_lock_to_force() {
    // Slow enough that the apply still runs (and holds the lock) when killed.
    let mut hcl = String::from("provider \"fake\" {\n  latency_ms = 1500\n}\n\n");
    for i in 0..12 {
        hcl.push_str(&format!("resource \"fake_resource\" \"s{i}\" {{\n  name = \"s{i}\"\n}}\n\n"));
    }
    let p = Project::with_main(&hcl);
    let mut child = p
        .command(&["apply", "-auto-approve", "-parallelism=2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting contin");
    // Wait until the apply holds the lock (its record is written right after the kernel lock is taken).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut locked = false;
    while std::time::Instant::now() < deadline {
        if let Ok(record) = std::fs::read_to_string(p.file("contin.state.json.lock")) {
            if record.contains("\"id\"") {
                locked = true;
                break;
            }
        }
        if child.try_wait().expect("polling contin").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill").args(["-KILL", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("waiting for contin");
    assert!(locked, "the apply never took the lock (exit {status:?})");
    assert_eq!(status.code(), None, "killed by the signal, not finished: {status:?}");
    assert!(p.exists("contin.state.json.lock"), "the dead apply's record is left behind");

    // No force-unlock: the kernel dropped the dead process's lock.
    let plan = p.run(&["plan"]);
    plan.expect_code(0);
    assert!(!plan.stderr.contains("force-unlock"), "{}", plan.stderr);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(p.run(&["state", "list"]).stdout.lines().count(), 12);
    assert!(!p.exists("contin.state.json.lock"));
}

#[test]
fn a_stale_plan_file_is_refused() {
    let p = Project::quickstart();
    p.run(&["plan", "-out=old.bin"]).expect_code(0);
    p.run(&["apply", "-auto-approve", "-var", "project=moved"]).expect_code(0);
    let state_before = p.read("contin.state.json");
    let out = p.run(&["apply", "old.bin"]);
    out.expect_code(1);
    assert!(out.stderr.to_lowercase().contains("stale"), "{}", out.stderr);
    assert_eq!(p.read("contin.state.json"), state_before, "a refused plan must not write state");
    assert_eq!(p.read("out/README.txt"), "MOVED DEPLOYMENT\nenvironments: dev, staging\n");
    assert!(!p.exists("contin.state.json.lock"));
}

#[test]
fn a_failure_mid_graph_skips_dependants_and_reapply_finishes() {
    // 100 resources, 10 layers of 10; r45 (layer 4) fails: r55, r65, r75, r85, r95 depend on it.
    let p = Project::with_main(&layered_fake_config(100, 10, Some(45)));
    let out = p.run(&["apply", "-auto-approve", "-parallelism=8"]);
    out.expect_code(1);
    assert!(out.stderr.contains("fake_resource.r45"), "{}", out.stderr);
    for skipped in ["r55", "r65", "r75", "r85", "r95"] {
        assert!(out.stdout.contains(&format!("fake_resource.{skipped}: Skipped")), "{skipped} not reported skipped:\n{}", out.stdout);
    }
    let listed = p.run(&["state", "list"]);
    let addrs: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(addrs.len(), 94, "{addrs:?}");
    assert!(addrs.contains(&"fake_resource.r44") && addrs.contains(&"fake_resource.r99"));
    for missing in ["r45", "r55", "r95"] {
        assert!(!addrs.contains(&format!("fake_resource.{missing}").as_str()), "{missing} should not be in state");
    }
    assert!(!p.exists("contin.state.json.lock"));

    p.write("main.hcl", &layered_fake_config(100, 10, None));
    let again = p.run(&["apply", "-auto-approve"]);
    again.expect_code(0);
    assert!(again.stdout.contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."), "{}", again.stdout);
    assert_eq!(p.run(&["state", "list"]).stdout.lines().count(), 100);
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn no_terminal_and_no_auto_approve_is_refused() {
    let p = Project::quickstart();
    let out = p.run_with(&["apply"], Some("yes\n"), &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("auto-approve"), "{}", out.stderr);
    assert!(!p.exists("out/README.txt"), "applied without approval");
    assert!(!p.exists("contin.state.json.lock"));

    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let out = p.run_with(&["destroy"], Some("yes\n"), &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("auto-approve"), "{}", out.stderr);
    assert!(p.exists("out/README.txt"), "destroyed without approval");
    assert!(!p.exists("contin.state.json.lock"));
}

/// Runs contin under `script` (a pseudo-terminal) answering the prompt; `None` without `script`.
#[cfg(unix)]
fn run_on_a_terminal(p: &Project, args: &str, answer: &str) -> Option<contin_e2e::Output> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let line = format!("{} -C {} {args}", contin_bin().display(), p.path().display());
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]).env("NO_COLOR", "1");
    Some(contin_e2e::run_command(cmd, Some(answer), Duration::from_secs(60)))
}

#[cfg(unix)]
#[test]
fn the_prompt_applies_only_on_yes() {
    let p = Project::quickstart();
    let Some(no) = run_on_a_terminal(&p, "apply", "no\n") else { return };
    assert_eq!(no.code, 1, "{}", no.stdout);
    assert!(no.stdout.contains("Only 'yes' will be accepted to approve."), "{}", no.stdout);
    assert!(no.stdout.contains("Apply cancelled."), "{}", no.stdout);
    assert!(!p.exists("out/README.txt"));
    let Some(yes) = run_on_a_terminal(&p, "apply", "yes\n") else { return };
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(yes.stdout.contains("Apply complete! Resources: 7 added"), "{}", yes.stdout);
    assert!(p.exists("out/README.txt"));
    assert!(!p.exists("contin.state.json.lock"));
}

#[cfg(unix)]
#[test]
fn interrupt_stops_cleanly_with_130() {
    let mut hcl = String::from("provider \"fake\" {\n  latency_ms = 400\n}\n\n");
    for i in 0..12 {
        hcl.push_str(&format!("resource \"fake_resource\" \"s{i}\" {{\n  name = \"s{i}\"\n}}\n\n"));
    }
    let p = Project::with_main(&hcl);
    let child = p
        .command(&["apply", "-auto-approve", "-parallelism=2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting contin");
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("waiting for contin");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(!p.exists("contin.state.json.lock"), "lock released after a graceful stop");
    let done = p.run(&["state", "list"]).stdout.lines().count();
    assert!((1..12).contains(&done), "some but not all resources applied: {done}");
    let rest = p.run(&["apply", "-auto-approve"]);
    rest.expect_code(0);
    assert_eq!(p.run(&["state", "list"]).stdout.lines().count(), 12);
}
