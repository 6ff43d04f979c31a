//! Real public Terraform root modules, used as published: `contin validate`
//! and `contin plan` (AWS calls sent to a moto server through
//! `AWS_ENDPOINT_URL`, dummy credentials) must not crash on any of them, and
//! at least the recorded numbers must validate and plan (a regression lowers
//! a count and fails).
//!
//! The configurations are third-party code and are not committed here:
//! tests/realworld/SOURCES.md lists each one (repository, path, commit) and
//! tests/realworld/fetch.sh copies them from local git snapshots into
//! `CONTIN_REALWORLD_DIR` (`<dir>/<name>/`, the root's path inside it in
//! `<dir>/<name>/.contin-realworld-root`). Without `CONTIN_REALWORLD_DIR`
//! the test says so and does nothing.

use contin_e2e::moto::MotoServer;
use contin_e2e::{contin_bin, run_command, Output, Project};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How many roots validate at least (see SOURCES.md for today's counts).
const FLOOR_VALIDATE: usize = 28;
/// How many roots plan at least.
const FLOOR_PLAN: usize = 24;

/// The file fetch.sh writes: the root's path inside the copied tree.
const ROOT_MARKER: &str = ".contin-realworld-root";

/// Images (moto's `MOTO_AMIS_PATH` format) named as the public ones the
/// corpus looks up: Canonical's Ubuntu 20.04/24.04, Amazon Linux (2).
const AMIS: &str = r#"[
{"ami_id": "ami-0a0f0e0d0c0b0a001", "name": "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20240423", "owner_id": "099720109477", "description": "Canonical, Ubuntu, 20.04 LTS, amd64 focal image", "state": "available", "public": true, "architecture": "x86_64", "virtualization_type": "hvm", "hypervisor": "xen", "root_device_type": "ebs", "root_device_name": "/dev/sda1", "image_type": "machine", "platform": null, "sriov": "simple", "image_location": "amazon/getting-started"},
{"ami_id": "ami-0a0f0e0d0c0b0a002", "name": "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240801", "owner_id": "099720109477", "description": "Canonical, Ubuntu, 24.04, amd64 noble image", "state": "available", "public": true, "architecture": "x86_64", "virtualization_type": "hvm", "hypervisor": "xen", "root_device_type": "ebs", "root_device_name": "/dev/sda1", "image_type": "machine", "platform": null, "sriov": "simple", "image_location": "amazon/getting-started"},
{"ami_id": "ami-0a0f0e0d0c0b0a003", "name": "amzn2-ami-hvm-2.0.20240719.0-x86_64-gp2", "owner_id": "137112412989", "description": "Amazon Linux 2 AMI 2.0.20240719.0 x86_64 HVM gp2", "state": "available", "public": true, "architecture": "x86_64", "virtualization_type": "hvm", "hypervisor": "xen", "root_device_type": "ebs", "root_device_name": "/dev/xvda", "image_type": "machine", "platform": null, "sriov": "simple", "image_location": "amazon/getting-started"},
{"ami_id": "ami-0a0f0e0d0c0b0a004", "name": "amzn2-ami-hvm-2.0.20240719.0-x86_64-ebs", "owner_id": "137112412989", "description": "Amazon Linux 2 AMI 2.0.20240719.0 x86_64 HVM ebs", "state": "available", "public": true, "architecture": "x86_64", "virtualization_type": "hvm", "hypervisor": "xen", "root_device_type": "ebs", "root_device_name": "/dev/xvda", "image_type": "machine", "platform": null, "sriov": "simple", "image_location": "amazon/getting-started"},
{"ami_id": "ami-0a0f0e0d0c0b0a005", "name": "amzn-ami-hvm-2018.03.0.20231218.0-x86_64-ebs", "owner_id": "137112412989", "description": "Amazon Linux AMI 2018.03.0 x86_64 HVM ebs", "state": "available", "public": true, "architecture": "x86_64", "virtualization_type": "hvm", "hypervisor": "xen", "root_device_type": "ebs", "root_device_name": "/dev/xvda", "image_type": "machine", "platform": null, "sriov": "simple", "image_location": "amazon/getting-started"}
]"#;

#[derive(Default)]
struct Outcome {
    validate: bool,
    plan: bool,
    first_error: String,
}

#[test]
fn realworld_configurations_validate_and_plan() {
    let Some(dir) = std::env::var_os("CONTIN_REALWORLD_DIR").map(PathBuf::from) else {
        println!("realworld: skipped: set CONTIN_REALWORLD_DIR to a directory filled by tests/realworld/fetch.sh");
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert!(!names.is_empty(), "{}: no roots (run tests/realworld/fetch.sh)", dir.display());
    // moto's image catalogue dates from 2017: seed it with the public images
    // the tutorials search for (names and owners as in AWS, ids made up), so
    // their `data "aws_ami"` reads find what they would find in AWS.
    let amis = tempfile::Builder::new().prefix("contin-realworld-amis-").tempdir().expect("temp dir");
    let amis_path = amis.path().join("amis.json");
    std::fs::write(&amis_path, AMIS).expect("writing the AMI catalogue");
    std::env::set_var("MOTO_AMIS_PATH", &amis_path);
    let moto = MotoServer::start();
    let mut env = moto.client_env();
    env.push(("AWS_ENDPOINT_URL", moto.endpoint()));
    env.push(("AWS_CONFIG_FILE", "/nonexistent/contin-realworld/config".into()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-realworld/credentials".into()));
    env.push(("AWS_DEFAULT_REGION", "us-east-1".into()));

    let mut outcomes = Vec::new();
    for name in &names {
        let src = dir.join(name);
        let root = std::fs::read_to_string(src.join(ROOT_MARKER)).map(|s| s.trim().to_string()).unwrap_or_else(|_| ".".into());
        // A copy, so nothing (state, lock, plan) is ever written into the corpus.
        let p = Project::empty();
        copy_dir(&src, p.path());
        let root_dir = p.path().join(&root);
        moto.reset();
        let mut o = Outcome::default();
        let v = run(&root_dir, &["validate"], &env);
        check_no_crash(name, "validate", &v);
        o.validate = v.code == 0;
        if !o.validate {
            o.first_error = first_error(&v);
        }
        let pl = run(&root_dir, &["plan"], &env);
        check_no_crash(name, "plan", &pl);
        o.plan = pl.code == 0 || pl.code == 2;
        if o.first_error.is_empty() && !o.plan {
            o.first_error = first_error(&pl);
        }
        println!(
            "realworld: {name:<45} validate {:<3} plan {:<3} {}",
            if o.validate { "ok" } else { "err" },
            if o.plan { "ok" } else { "err" },
            o.first_error
        );
        outcomes.push(o);
    }
    let valid = outcomes.iter().filter(|o| o.validate).count();
    let planned = outcomes.iter().filter(|o| o.plan).count();
    println!("realworld: {valid}/{} validate, {planned}/{} plan", names.len(), names.len());
    assert!(valid >= FLOOR_VALIDATE, "only {valid}/{} validate (floor {FLOOR_VALIDATE})", names.len());
    assert!(planned >= FLOOR_PLAN, "only {planned}/{} plan (floor {FLOOR_PLAN})", names.len());
}

/// `contin -C <root> ARGS…` with the moto environment; no colour, stdin closed.
fn run(root: &Path, args: &[&str], env: &[(&'static str, String)]) -> Output {
    let mut cmd = Command::new(contin_bin());
    cmd.arg("-C").arg(root).args(args).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("CONTIN_VAR_") || k.starts_with("TF_VAR_") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, None, Duration::from_secs(180))
}

/// A signal (code -1: abort, stack overflow, kill) or a Rust panic (101) fails the test.
fn check_no_crash(name: &str, what: &str, out: &Output) {
    assert!(
        out.code != -1 && out.code != 101 && !out.stderr.contains("panicked"),
        "{name}: contin {what} crashed (exit {}):\n{}",
        out.code,
        out.all()
    );
}

/// The first error's summary and its first help line, on one line.
fn first_error(out: &Output) -> String {
    let text = out.all();
    let mut lines = text.lines().map(str::trim);
    let Some(summary) = lines.by_ref().find(|l| l.contains("Error")) else {
        return text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").chars().take(200).collect();
    };
    let summary = summary.trim_start_matches(['×', ' ']).to_string();
    let mut help = String::new();
    for l in lines {
        if l.contains("Error") {
            break;
        }
        if let Some(h) = l.strip_prefix("help:") {
            help = h.trim().to_string();
            break;
        }
    }
    let line = if help.is_empty() { summary } else { format!("{summary} — {help}") };
    line.chars().take(220).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{}: {e}", from.display()))
        .flatten()
    {
        let path = e.path();
        let dest = to.join(e.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&dest).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
            copy_dir(&path, &dest);
        } else if path.is_file() {
            std::fs::copy(&path, &dest).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}
