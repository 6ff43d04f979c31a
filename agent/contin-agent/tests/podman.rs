//! The podman runtime with real containers (busybox image imported by
//! shared/tools/podman-local.sh): started, restarted after `podman kill`,
//! adopted after an agent kill -9, removed when the workload is removed.
//! Skipped (with a message on stderr) only when podman cannot be set up.

mod common;

use common::*;
use contin_edge_proto::{Runtime, WorkloadSpec};
use std::process::Command;
use std::time::Duration;

const IMAGE: &str = "localhost/contin-busybox:1";
const RUNC: &str = "/usr/sbin/runc";
const T: Duration = Duration::from_secs(60);

/// Sets podman up; `None` (test skipped) when that is impossible here.
fn podman_conf() -> Option<String> {
    let script = ["/work/shared/tools/podman-local.sh", "../../../shared/tools/podman-local.sh"].into_iter().find(|p| std::path::Path::new(p).exists());
    let Some(script) = script else {
        eprintln!("SKIPPED: podman-local.sh not found: cannot set podman up on this machine");
        return None;
    };
    let out = Command::new("bash").arg(script).arg(IMAGE).output().ok()?;
    if !out.status.success() {
        eprintln!("SKIPPED: podman could not be set up: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8_lossy(&out.stdout).lines().last().map(str::to_string)
}

fn podman(conf: &str, args: &[&str]) -> (bool, String) {
    let o = Command::new("podman").env("CONTAINERS_CONF", conf).arg("--runtime").arg(RUNC).args(args).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Running containers of a site (ids), by label.
fn containers(conf: &str, site: &str) -> Vec<String> {
    let (_, out) = podman(conf, &["ps", "-q", "--no-trunc", "--filter", &format!("label=contin.site={site}")]);
    out.lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

struct ContainerGuard(String, String);

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let (_, ids) = podman(&self.0, &["ps", "-aq", "--filter", &format!("label=contin.site={}", self.1)]);
        for id in ids.lines().filter(|l| !l.is_empty()) {
            podman(&self.0, &["rm", "-f", "-t", "0", id]);
        }
    }
}

#[test]
fn podman_containers_start_restart_are_adopted_and_removed() {
    let Some(conf) = podman_conf() else { return };
    let d = Deployment::new();
    let site = site("pod");
    let _g = ContainerGuard(conf.clone(), site.clone());
    let spec = WorkloadSpec { runtime: Runtime::Podman, image: Some(IMAGE.into()), command: vec!["sleep".into(), "600".into()], ..sleeper("box", 1) }.hashed();
    d.publish(&site, 1, vec![spec]);
    let env = [("CONTAINERS_CONF", conf.as_str()), ("CONTIN_PODMAN_RUNTIME", RUNC), ("CONTIN_CONTAINER_NETWORK", "none")];
    let data = d.dir.path().join("agent");
    let mut agent = AgentProc::start_env(&data, Some(&d.token(&site)), &[], &env);
    let id1 = wait_for("container running", T, || containers(&conf, &site).into_iter().next());
    let name = contin_agent::containers::container_name(&site, "box", 0);
    let (_, label) = podman(&conf, &["inspect", "--format", "{{index .Config.Labels \"contin.workload\"}}", &name]);
    assert_eq!(label, "box");

    // podman kill: the agent starts a new container.
    assert!(podman(&conf, &["kill", &name]).0);
    let id2 = wait_for("container restarted", T, || containers(&conf, &site).into_iter().next().filter(|i| *i != id1));
    wait_for("restart counted", T, || d.status(&site).filter(|s| s.workloads.first().is_some_and(|w| w.restarts == 1 && w.container_id.as_deref() == Some(id2.as_str()))));

    // kill -9 of the agent; the restarted agent adopts the same container.
    agent.kill9();
    let agent2 = AgentProc::start_env(&data, None, &[], &env);
    wait_for("adopted", T, || agent2.log_text().contains("adopted box replica 0").then_some(()));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(containers(&conf, &site), vec![id2.clone()], "exactly one container, the adopted one\n{}", agent2.log_text());

    // The workload removed from the document: its container is removed.
    d.publish(&site, 2, vec![]);
    wait_for("container removed", T, || {
        let (_, all) = podman(&conf, &["ps", "-aq", "--filter", &format!("label=contin.site={site}")]);
        all.is_empty().then_some(())
    });
    wait_for("generation 2 acked", T, || d.status(&site).filter(|s| s.acked_generation == 2 && s.workloads.is_empty()));
}
