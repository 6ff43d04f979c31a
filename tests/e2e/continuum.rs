//! End-to-end: the `examples/continuum` walk-through of README.md with the
//! real binary — plan shows the workloads per site, apply prints one line
//! per desired-state document written, `state list` shows the workloads
//! under their sites, a token enrolls an agent on the local mailbox, and
//! `edge list` shows it running the site's workloads.

use contin_e2e::{contin_bin, repo_root, Output, Project};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn example() -> Project {
    let p = Project::empty();
    std::fs::copy(repo_root().join("examples/continuum/main.hcl"), p.file("main.hcl")).expect("copying the example");
    p
}

fn ok(o: Output) -> Output {
    o.expect_code(0);
    o
}

/// The agent and every workload it started (their stdout is a file in the
/// agent's data dir): killed on drop, also when the test fails.
struct Agent {
    child: Child,
    data: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in workload_pids(&self.data) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).stderr(Stdio::null()).status();
        }
    }
}

/// Processes whose stdout is a file under `data`.
fn workload_pids(data: &Path) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/fd/1")).is_ok_and(|l| l.starts_with(data)))
        .collect()
}

#[test]
fn the_continuum_example_plans_applies_and_runs_an_agent() {
    let p = example();
    let plan = ok(p.run(&["plan", "-no-color"]));
    assert!(plan.stdout.contains("Plan: 8 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    for w in ["workload.sensor", "workload.vision", "workload.gateway[\"8081\"]", "workload.gateway[\"8082\"]"] {
        assert!(plan.stdout.contains(&format!("# {w} will be created")), "{w} planned:\n{}", plan.stdout);
    }

    // Apply: one line per desired-state document written (sites with
    // workloads and the sites above them).
    let apply = ok(p.run(&["apply", "-auto-approve", "-no-color"]));
    let mailbox = p.path().canonicalize().expect("canonical").join(".contin/mailbox");
    let mut written: Vec<&str> = apply.stdout.lines().filter(|l| l.contains(": desired state generation ")).collect();
    written.sort();
    let expect: Vec<String> = ["cell_a1", "eu", "factory_a", "factory_b"]
        .iter()
        .map(|s| format!("edge_site.{s}: desired state generation 1 written to file://{}", mailbox.display()))
        .collect();
    assert_eq!(written, expect, "{}", apply.stdout);
    // An unchanged re-apply writes (and prints) nothing.
    let again = ok(p.run(&["apply", "-auto-approve", "-no-color"]));
    assert!(!again.stdout.contains("desired state generation"), "{}", again.stdout);

    // state list: the resources, then the site tree with workloads under their sites.
    let list = ok(p.run(&["state", "list"]));
    let tree = list.stdout.split("Edge sites:\n").nth(1).expect("a site tree");
    assert_eq!(
        tree,
        "  eu (region, 20 ms from the cloud)\n    factory_a (site, 25 ms from the cloud)\n      workloads: sensor\n      cell_a1 (site, 26 ms from the cloud)\n        workloads: vision\n    factory_b (site, 28 ms from the cloud)\n      workloads: gateway[\"8081\"], gateway[\"8082\"], sensor\n",
        "{}",
        list.stdout
    );

    // An agent for factory_b on the local mailbox.
    let token = ok(p.run(&["edge", "token", "create", "factory_b", "--ttl", "10m"]));
    let token = token.stdout.lines().last().expect("token line").to_string();
    let data = tempfile::tempdir().expect("data dir");
    let data_dir = data.path().canonicalize().expect("canonical");
    let child = Command::new(contin_bin())
        .args(["agent", "run", "--data-dir"])
        .arg(&data_dir)
        .args(["--poll", "500ms"])
        .env("CONTIN_AGENT_TOKEN", &token)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the agent");
    let _agent = Agent { child, data: data_dir.clone() };
    let deadline = Instant::now() + Duration::from_secs(60);
    let site = loop {
        let out = ok(p.run(&["edge", "list", "-json"]));
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        let site = v["sites"].as_array().and_then(|s| s.iter().find(|s| s["site"] == "factory_b").cloned()).expect("factory_b");
        let agent = &site["agents"][0];
        if agent["acked_generation"] == 1 && agent["workloads_running"] == 3 {
            break site;
        }
        assert!(Instant::now() < deadline, "the agent did not run factory_b's workloads within 60 s: {site}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(site["workloads_desired"], 3);
    assert_eq!(site["tolerate_disconnection_s"], 3600, "the shortest tolerance of the site's workloads");
    assert_eq!(site["agents"][0]["beyond_tolerance"], false);
    // Each workload runs in its own session (a shell's `sleep` child shares it).
    let sessions: std::collections::BTreeSet<String> = workload_pids(&data_dir)
        .iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            stat.rsplit_once(')')?.1.split_whitespace().nth(3).map(str::to_string)
        })
        .collect();
    assert_eq!(sessions.len(), 3, "exactly the three workloads run");
    let table = ok(p.run(&["edge", "list"]));
    let row = table.stdout.lines().find(|l| l.starts_with("factory_b ")).expect("factory_b row");
    assert!(row.contains("1/1") && row.contains("3/3"), "{row}");
}
