//! End-to-end tests: s3 (the real contin binary against a real moto server).
//!
//! The bucket is created and objects are read with plain HTTP requests to
//! moto (path-style; moto does not check signatures), so these
//! tests see exactly what is stored, independently of the backend's client.

use contin_e2e::moto::MotoServer;
use contin_e2e::{contin_bin, Output, Project};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Minimal HTTP/1.0 client: (status, body).
fn http(moto: &MotoServer, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", moto.port())).expect("connect to moto");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    // moto does not verify signatures, but an anonymous request is checked
    // against ACLs: present moto's dummy access key as the caller.
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n",
        moto.port(),
        body.len()
    )
    .expect("write request");
    s.write_all(body).expect("write body");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read response");
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("response has headers");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status code");
    (status, buf[split + 4..].to_vec())
}

fn create_bucket(moto: &MotoServer, bucket: &str) {
    let (status, body) = http(moto, "PUT", &format!("/{bucket}"), b"");
    assert_eq!(status, 200, "create bucket: {}", String::from_utf8_lossy(&body));
}

/// The object's bytes, `None` when it does not exist.
fn get_object(moto: &MotoServer, bucket: &str, key: &str) -> Option<Vec<u8>> {
    match http(moto, "GET", &format!("/{bucket}/{key}"), b"") {
        (200, body) => Some(body),
        (404, _) => None,
        (status, body) => panic!("GET {bucket}/{key}: {status} {}", String::from_utf8_lossy(&body)),
    }
}

fn stored_state(moto: &MotoServer, bucket: &str, key: &str) -> serde_json::Value {
    let bytes = get_object(moto, bucket, key).unwrap_or_else(|| panic!("no state object s3://{bucket}/{key}"));
    serde_json::from_slice(&bytes).expect("state object is JSON")
}

/// Client environment for the binary: moto's dummy credentials, and no
/// shared AWS config/credential files from the machine running the tests.
fn env(moto: &MotoServer) -> Vec<(&'static str, String)> {
    let mut e = moto.client_env();
    e.push(("AWS_CONFIG_FILE", "/nonexistent/contin-e2e-aws-config".into()));
    e.push(("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-e2e-aws-credentials".into()));
    e
}

fn run(p: &Project, moto: &MotoServer, args: &[&str]) -> Output {
    let env = env(moto);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.run_with(args, None, &env)
}

fn backend_block(moto: &MotoServer, bucket: &str, key: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket   = \"{bucket}\"\n    key      = \"{key}\"\n    region   = \"us-east-1\"\n    endpoint = \"{}\"\n  }}\n}}\n",
        moto.endpoint()
    )
}

const RESOURCES: &str = "variable \"v\" {\n  default = \"initial\"\n}\n\nresource \"fake_resource\" \"a\" {\n  name = \"a\"\n  value = var.v\n}\n\nresource \"fake_resource\" \"b\" {\n  name       = \"b\"\n  value      = \"${var.v}-b\"\n  latency_ms = LATENCY\n}\n";

fn resources(latency_ms: u64) -> String {
    RESOURCES.replace("LATENCY", &latency_ms.to_string())
}

fn value_of(state: &serde_json::Value, addr: &str) -> serde_json::Value {
    let r = state["resources"].as_array().expect("resources list").iter().find(|r| r["addr"] == addr);
    r.unwrap_or_else(|| panic!("{addr} not in state: {state}"))["attributes"]["value"].clone()
}

#[test]
fn apply_with_s3_backend_then_plan_is_a_no_op() {
    let moto = MotoServer::start();
    create_bucket(&moto, "tfstate");
    let p = Project::with_main(&format!("{}\n{}", backend_block(&moto, "tfstate", "team/prod/contin.state.json"), resources(0)));
    let init = run(&p, &moto, &["init"]);
    init.expect_code(0);
    assert!(init.stdout.contains("s3://tfstate/team/prod/contin.state.json (no state yet)"), "{}", init.stdout);

    run(&p, &moto, &["apply", "-auto-approve"]).expect_code(0);
    assert!(!p.exists("contin.state.json"), "no local state file with an s3 backend");
    let state = stored_state(&moto, "tfstate", "team/prod/contin.state.json");
    assert_eq!(value_of(&state, "fake_resource.a"), "initial");
    assert_eq!(value_of(&state, "fake_resource.b"), "initial-b");
    assert_eq!(get_object(&moto, "tfstate", "team/prod/contin.state.json.lock"), None, "lock released");

    let plan = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    assert_eq!(stored_state(&moto, "tfstate", "team/prod/contin.state.json"), state, "plan writes nothing");

    let list = run(&p, &moto, &["state", "list"]);
    list.expect_code(0);
    assert_eq!(list.stdout, "fake_resource.a\nfake_resource.b\n");
}

#[test]
fn backend_block_errors_are_located() {
    let moto = MotoServer::start();
    let p = Project::with_main(&format!(
        "terraform {{\n  backend \"s3\" {{\n    key = \"k\"\n    endpoint = \"{}\"\n  }}\n}}\n{}",
        moto.endpoint(),
        resources(0)
    ));
    let out = run(&p, &moto, &["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("requires a non-empty \"bucket\""), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:2:3"), "located at the backend block: {}", out.stderr);

    p.write("main.hcl", "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    key = \"k\"\n    encrypt = \"yes please\"\n  }\n}\n");
    let out = run(&p, &moto, &["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("encrypt must be a bool"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:5:"), "located at the attribute: {}", out.stderr);

    // An endpoint nothing listens on: a clear error within seconds, no hang.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    p.write(
        "main.hcl",
        &format!("terraform {{\n  backend \"s3\" {{\n    bucket = \"b\"\n    key = \"k.json\"\n    endpoint = \"http://127.0.0.1:{port}\"\n  }}\n}}\n"),
    );
    let started = Instant::now();
    let out = run(&p, &moto, &["plan"]);
    out.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    assert!(out.stderr.contains("s3://b/k.json"), "{}", out.stderr);

    // A bucket that does not exist: a clear error naming the state URL.
    p.write("main.hcl", &format!("{}\n{}", backend_block(&moto, "missing-bucket", "contin.state.json"), resources(0)));
    let out = run(&p, &moto, &["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("s3://missing-bucket/contin.state.json"), "{}", out.stderr);
    assert!(out.stderr.contains("NoSuchBucket"), "{}", out.stderr);
}

struct Racer {
    child: std::process::Child,
    started: Instant,
    value: String,
}

struct Finished {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    pid: u32,
    value: String,
}

fn spawn_apply(p: &Project, moto: &MotoServer, value: &str) -> Racer {
    let mut cmd = Command::new(contin_bin());
    cmd.arg("-C").arg(p.path()).args(["apply", "-auto-approve", &format!("-var=v={value}")]);
    cmd.env("NO_COLOR", "1");
    for (k, v) in env(moto) {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn contin apply");
    Racer { child, started: Instant::now(), value: value.to_string() }
}

fn finish(mut r: Racer) -> Finished {
    let pid = r.child.id();
    let deadline = r.started + Duration::from_secs(120);
    let mut out = r.child.stdout.take().expect("stdout");
    let mut err = r.child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let (status, elapsed) = loop {
        if let Some(st) = r.child.try_wait().expect("wait") {
            break (st, r.started.elapsed());
        }
        if Instant::now() > deadline {
            let _ = r.child.kill();
            panic!("contin apply (pid {pid}) did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Finished {
        code: status.code().unwrap_or(-1),
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
        elapsed,
        pid,
        value: r.value,
    }
}

#[test]
fn concurrent_applies_one_wins_the_other_fails_fast_naming_the_holder() {
    const ROUNDS: usize = 20;
    const LATENCY_MS: u64 = 3000;
    let moto = MotoServer::start();
    create_bucket(&moto, "race");
    let key = "contin.state.json";
    let p = Project::with_main(&format!("{}\n{}", backend_block(&moto, "race", key), resources(LATENCY_MS)));
    run(&p, &moto, &["apply", "-auto-approve", "-var=v=base"]).expect_code(0);
    let base = stored_state(&moto, "race", key);

    // How many writes one apply that updates both resources makes.
    let calibrate = run(&p, &moto, &["apply", "-auto-approve", "-var=v=calibrate"]);
    calibrate.expect_code(0);
    let after_calibration = stored_state(&moto, "race", key);
    let per_apply = after_calibration["serial"].as_u64().expect("serial") - base["serial"].as_u64().expect("serial");
    assert!(per_apply >= 1, "an apply with changes writes the state");
    let start_serial = after_calibration["serial"].as_u64().expect("serial");

    let mut wins = 0u64;
    for round in 0..ROUNDS {
        let (va, vb) = (format!("r{round}-x"), format!("r{round}-y"));
        let (a, b) = (spawn_apply(&p, &moto, &va), spawn_apply(&p, &moto, &vb));
        // Wait for both at once so each one's exit time is its own.
        let (a, b) = std::thread::scope(|sc| {
            let ha = sc.spawn(|| finish(a));
            let hb = sc.spawn(|| finish(b));
            (ha.join().expect("racer a"), hb.join().expect("racer b"))
        });
        let (winner, loser) = match (a.code, b.code) {
            (0, 0) => panic!("round {round}: both applies succeeded (lock not exclusive)\nA: {}\nB: {}", a.stderr, b.stderr),
            (0, _) => (a, b),
            (_, 0) => (b, a),
            _ => panic!("round {round}: both applies failed\nA ({}): {}\nB ({}): {}", a.code, a.stderr, b.code, b.stderr),
        };
        wins += 1;
        assert_eq!(loser.code, 1, "round {round}: loser exit code; stderr: {}", loser.stderr);
        assert!(
            loser.elapsed < Duration::from_millis(LATENCY_MS) && loser.elapsed < winner.elapsed,
            "round {round}: the loser must fail fast, took {:?}\n{}",
            loser.elapsed,
            loser.stderr
        );
        assert!(winner.elapsed >= Duration::from_millis(LATENCY_MS), "round {round}: winner held the lock while applying");
        let msg = &loser.stderr;
        assert!(msg.contains("state is locked by"), "round {round}: {msg}");
        assert!(msg.contains(&format!("(pid {})", winner.pid)), "round {round}: names the winner's process: {msg}");
        assert!(msg.contains("operation apply"), "round {round}: names the operation: {msg}");
        assert!(msg.contains("lock ID ") && msg.contains("contin force-unlock "), "round {round}: names the lock ID: {msg}");
        assert!(!loser.stdout.contains("Apply complete"), "round {round}: loser applied nothing: {}", loser.stdout);

        let state = stored_state(&moto, "race", key);
        assert_eq!(
            state["serial"].as_u64(),
            Some(start_serial + wins * per_apply),
            "round {round}: serial counts exactly the winners' writes"
        );
        assert_eq!(value_of(&state, "fake_resource.a"), winner.value.as_str(), "round {round}: state holds the winner's apply");
        assert_eq!(value_of(&state, "fake_resource.b"), format!("{}-b", winner.value).as_str(), "round {round}");
        assert_eq!(state["lineage"], base["lineage"], "round {round}: lineage fixed");
        assert_eq!(get_object(&moto, "race", &format!("{key}.lock")), None, "round {round}: lock released");
    }
    assert_eq!(wins, ROUNDS as u64);
    let last = stored_state(&moto, "race", key);
    assert_eq!(last["serial"].as_u64(), Some(start_serial + ROUNDS as u64 * per_apply));
}

#[test]
fn stuck_lock_is_reported_and_force_unlocked() {
    let moto = MotoServer::start();
    create_bucket(&moto, "stuck");
    let p = Project::with_main(&format!("{}\n{}", backend_block(&moto, "stuck", "s/contin.state.json"), resources(0)));
    run(&p, &moto, &["apply", "-auto-approve"]).expect_code(0);
    // A crashed process left its lock object behind.
    let lock = serde_json::json!({
        "id": "0f0f0f0f-1111-4222-8333-444444444444", "operation": "apply",
        "who": "ci@runner-7 (pid 4242)", "created": "2026-01-01T00:00:00Z", "path": "s3://stuck/s/contin.state.json"
    });
    let (status, _) = http(&moto, "PUT", "/stuck/s/contin.state.json.lock", lock.to_string().as_bytes());
    assert_eq!(status, 200);

    let out = run(&p, &moto, &["apply", "-auto-approve", "-var=v=next"]);
    out.expect_code(1);
    for part in ["ci@runner-7 (pid 4242)", "operation apply", "0f0f0f0f-1111-4222-8333-444444444444"] {
        assert!(out.stderr.contains(part), "{part} in {}", out.stderr);
    }
    assert_eq!(value_of(&stored_state(&moto, "stuck", "s/contin.state.json"), "fake_resource.a"), "initial");

    let wrong = run(&p, &moto, &["force-unlock", "-force", "not-the-id"]);
    wrong.expect_code(1);
    assert!(wrong.stderr.contains("0f0f0f0f-1111-4222-8333-444444444444"), "names the real ID: {}", wrong.stderr);
    assert!(get_object(&moto, "stuck", "s/contin.state.json.lock").is_some(), "wrong ID keeps the lock");

    let ok = run(&p, &moto, &["force-unlock", "-force", "0f0f0f0f-1111-4222-8333-444444444444"]);
    ok.expect_code(0);
    assert!(ok.stdout.contains("ci@runner-7 (pid 4242)"), "{}", ok.stdout);
    assert_eq!(get_object(&moto, "stuck", "s/contin.state.json.lock"), None);
    run(&p, &moto, &["apply", "-auto-approve", "-var=v=next"]).expect_code(0);
    assert_eq!(value_of(&stored_state(&moto, "stuck", "s/contin.state.json"), "fake_resource.a"), "next");
}

#[test]
fn init_migrate_state_moves_a_local_state_to_s3() {
    let moto = MotoServer::start();
    create_bucket(&moto, "mig");
    // Start local: no backend block.
    let p = Project::with_main(&resources(0));
    run(&p, &moto, &["apply", "-auto-approve", "-var=v=local"]).expect_code(0);
    let local = p.state();

    // Switch to s3: init warns, the local file is not used by s3 commands.
    p.write("main.hcl", &format!("{}\n{}", backend_block(&moto, "mig", "env/contin.state.json"), resources(0)));
    let init = run(&p, &moto, &["init"]);
    init.expect_code(0);
    assert!(init.stderr.contains("-migrate-state"), "hint to migrate: {}", init.stderr);
    assert_eq!(get_object(&moto, "mig", "env/contin.state.json"), None, "plain init copies nothing");

    let mig = run(&p, &moto, &["init", "-migrate-state"]);
    mig.expect_code(0);
    assert!(mig.stdout.contains("to s3://mig/env/contin.state.json"), "{}", mig.stdout);
    assert!(mig.stdout.contains("contin.state.json.migrated"), "{}", mig.stdout);
    assert!(!p.exists("contin.state.json") && p.exists("contin.state.json.migrated"));
    let remote = stored_state(&moto, "mig", "env/contin.state.json");
    assert_eq!(remote, local, "the same document: lineage, serial and resources preserved");
    assert_eq!(get_object(&moto, "mig", "env/contin.state.json.lock"), None);

    let plan = run(&p, &moto, &["plan", "-detailed-exitcode", "-var=v=local"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);

    // Migrating again from the kept file is refused once s3 has moved on.
    run(&p, &moto, &["apply", "-auto-approve", "-var=v=remote"]).expect_code(0);
    let moved_on = stored_state(&moto, "mig", "env/contin.state.json");
    let again = run(&p, &moto, &["init", "-migrate-state", "--from-state", "contin.state.json.migrated"]);
    again.expect_code(1);
    assert!(again.stderr.contains("newer state of the same lineage"), "{}", again.stderr);
    assert_eq!(stored_state(&moto, "mig", "env/contin.state.json"), moved_on, "nothing written");

    // A local state of another lineage is refused too.
    let other = Project::with_main(&resources(0));
    other.run(&["apply", "-auto-approve"]).expect_code(0);
    p.write("foreign.json", &other.read("contin.state.json"));
    let foreign = run(&p, &moto, &["init", "-migrate-state", "--from-state", "foreign.json"]);
    foreign.expect_code(1);
    assert!(foreign.stderr.contains("another state (lineage"), "{}", foreign.stderr);
    assert!(p.exists("foreign.json"), "refused migration keeps the local file");
    assert_eq!(stored_state(&moto, "mig", "env/contin.state.json"), moved_on);
}
