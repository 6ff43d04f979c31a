//! End-to-end tests: google (the real contin binary against the Compute
//! Engine fake, tests/fakes/gcp, running in this test process).
//!
//! The configuration is a copy of examples/multi-cloud/gcp.tf alone. What
//! exists in "Google Cloud" is checked in the fake, never through contin.

use contin_e2e::{Output, Project};
use contin_fake_gcp::{FakeGcp, FakeOptions};
use std::time::{Duration, Instant};

const VM: &str = "projects/fake-project/zones/us-central1-a/instances/gcp-vm";

struct Env {
    _rt: tokio::runtime::Runtime,
    fake: FakeGcp,
}

fn start() -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    let fake = rt.block_on(FakeGcp::start(FakeOptions { op_polls: 2 })).unwrap_or_else(|e| panic!("{e}"));
    Env { _rt: rt, fake }
}

fn project() -> Project {
    let p = Project::empty();
    let src = contin_e2e::repo_root().join("examples/multi-cloud/gcp.tf");
    let text = std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("reading {}: {e}", src.display()));
    p.write("gcp.tf", &text);
    p
}

fn env(e: &Env) -> Vec<(&'static str, String)> {
    vec![
        ("CONTIN_VAR_gcp_endpoint", e.fake.endpoint()),
        ("CONTIN_VAR_gcp_credentials", e.fake.service_account_json().to_string()),
        ("CONTIN_VAR_gcp_project", "fake-project".to_string()),
        // No ambient Google configuration leaks in.
        ("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/contin-test/adc.json".to_string()),
    ]
}

fn run(p: &Project, e: &Env, args: &[&str]) -> Output {
    let vars = env(e);
    let all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.run_with(args, None, &all)
}

/// Lines of the service account's private key long enough to be unmistakable.
fn key_markers(e: &Env) -> Vec<String> {
    let sa: serde_json::Value = serde_json::from_str(e.fake.service_account_json()).unwrap_or_else(|err| panic!("{err}"));
    sa["private_key"].as_str().unwrap_or_default().lines().filter(|l| l.len() >= 40).map(str::to_string).collect()
}

fn assert_no_secret(e: &Env, what: &str, text: &str) {
    for m in key_markers(e) {
        assert!(!text.contains(&m), "{what} contains private key material");
    }
    assert!(!text.contains("BEGIN PRIVATE KEY"), "{what} contains a private key");
}

fn all_files_text(p: &Project) -> String {
    let mut out = String::new();
    let mut stack = vec![p.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "gcp.tf") {
                out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    out
}

#[test]
fn gcp_example_applies_replans_clean_fixes_drift_and_destroys() {
    let e = start();
    let p = project();
    let mut printed = String::new();

    let out = run(&p, &e, &["apply", "-auto-approve"]);
    printed.push_str(&out.all());
    out.expect_code(0);
    let mut objects = e.fake.objects();
    objects.sort();
    assert_eq!(
        objects,
        [
            "projects/fake-project/global/firewalls/gcp-ssh-http",
            "projects/fake-project/global/networks/gcp-net",
            "projects/fake-project/regions/us-central1/addresses/gcp-ip",
            "projects/fake-project/regions/us-central1/subnetworks/gcp-subnet",
            VM,
        ]
    );
    let vm = e.fake.object(VM).unwrap_or_else(|| panic!("no vm"));
    let ip = e.fake.object("projects/fake-project/regions/us-central1/addresses/gcp-ip").unwrap_or_else(|| panic!("no ip"));
    assert_eq!(vm["networkInterfaces"][0]["accessConfigs"][0]["natIP"], ip["address"], "the VM uses the reserved address");
    assert_eq!(vm["labels"]["contin-address"], "google_compute_instance-2egcp_vm");
    assert!(vm["metadata"]["items"][0]["value"].as_str().is_some_and(|v| v.starts_with("admin:ssh-ed25519 ")));

    let out = run(&p, &e, &["output", "-json"]);
    printed.push_str(&out.all());
    out.expect_code(0);
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|err| panic!("{err}: {}", out.stdout));
    assert_eq!(outputs["gcp_instance_id"]["value"], vm["id"]);
    assert_eq!(outputs["gcp_nat_ip"]["value"], ip["address"]);

    // Unchanged configuration: nothing to do.
    let out = run(&p, &e, &["plan", "-detailed-exitcode"]);
    printed.push_str(&out.all());
    out.expect_code(0);
    assert!(out.stdout.contains("No changes"), "{}", out.stdout);

    // Drift: someone changes a label in the console.
    assert!(e.fake.set_label(VM, "role", Some("tampered")));
    let out = run(&p, &e, &["plan", "-detailed-exitcode"]);
    printed.push_str(&out.all());
    out.expect_code(2);
    assert!(out.stdout.contains("google_compute_instance.gcp_vm") && out.stdout.contains("tampered"), "{}", out.stdout);
    let out = run(&p, &e, &["apply", "-auto-approve"]);
    printed.push_str(&out.all());
    out.expect_code(0);
    assert_eq!(e.fake.object(VM).unwrap_or_default()["labels"]["role"], "web", "apply put the label back");
    assert!(e.fake.object(VM).unwrap_or_default()["labels"]["contin-lineage"].is_string(), "bookkeeping labels kept");
    let out = run(&p, &e, &["plan", "-detailed-exitcode"]);
    printed.push_str(&out.all());
    out.expect_code(0);

    let state_text = p.read("contin.state.json");
    assert_no_secret(&e, "state", &state_text);

    let out = run(&p, &e, &["destroy", "-auto-approve"]);
    printed.push_str(&out.all());
    out.expect_code(0);
    assert_eq!(e.fake.objects(), Vec::<String>::new(), "destroy leaves the fake empty");

    assert_no_secret(&e, "stdout/stderr", &printed);
    assert_no_secret(&e, "files in the project directory", &all_files_text(&p));
    // The fake saw only authenticated calls.
    assert!(e.fake.requests().iter().all(|r| r.status != 401));
}

#[test]
fn kill_9_between_the_instance_insert_and_the_state_write_is_adopted_without_a_duplicate() {
    let e = start();
    let p = project();
    e.fake.hold_inserts("instances");
    let mut cmd = p.command(&["apply", "-auto-approve"]);
    for (k, v) in env(&e) {
        cmd.env(k, v);
    }
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap_or_else(|err| panic!("spawn: {err}"));
    let deadline = Instant::now() + Duration::from_secs(90);
    while e.fake.held() == 0 {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the instance insert never reached the fake");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The instance exists in "Google", contin has not recorded it.
    assert!(e.fake.object(VM).is_some());
    child.kill().unwrap_or_else(|err| panic!("SIGKILL: {err}"));
    let _ = child.wait();
    e.fake.release_held();
    let state = p.read("contin.state.json");
    assert!(!state.contains("gcp-vm\""), "the VM must not be in state yet");

    let out = run(&p, &e, &["apply", "-auto-approve"]);
    out.expect_code(0);
    let inserts = e.fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/zones/us-central1-a/instances")).count();
    assert_eq!(inserts, 1, "adopted by its labels, not created twice");
    let list = p.run(&["state", "list"]);
    assert!(list.stdout.contains("google_compute_instance.gcp_vm"), "{}", list.stdout);
    let out = run(&p, &e, &["plan", "-detailed-exitcode"]);
    out.expect_code(0);
    let out = run(&p, &e, &["destroy", "-auto-approve"]);
    out.expect_code(0);
    assert!(e.fake.objects().is_empty());
}
