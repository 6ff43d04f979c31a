//! Container runtimes (`podman`, `docker`) through their CLIs. A replica is
//! the container `contin-<site>-<workload>-<replica>` with contin labels;
//! it is adopted by name when its `contin.spec_hash` label matches.

use contin_edge_proto::{Runtime, WorkloadSpec};
use std::time::Duration;
use tokio::process::Command;

const CLI_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    pub id: String,
    pub running: bool,
    pub spec_hash: String,
}

/// A container name from a site, workload address and replica (only
/// `[a-zA-Z0-9_.-]`; others become `_`).
pub fn container_name(site: &str, workload: &str, replica: u32) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect::<String>();
    format!("contin-{}-{}-{replica}", clean(site), clean(workload))
}

fn cli(runtime: Runtime) -> Command {
    let (var, default) = match runtime {
        Runtime::Docker => ("CONTIN_DOCKER", "docker"),
        _ => ("CONTIN_PODMAN", "podman"),
    };
    let mut c = Command::new(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    if runtime == Runtime::Podman {
        // e.g. /usr/sbin/runc where crun does not work (shared/tools/podman-local.sh).
        if let Ok(rt) = std::env::var("CONTIN_PODMAN_RUNTIME") {
            c.arg("--runtime").arg(rt);
        }
    }
    c.kill_on_drop(true).stdin(std::process::Stdio::null());
    c
}

async fn output(mut c: Command, what: &str) -> Result<std::process::Output, String> {
    match tokio::time::timeout(CLI_TIMEOUT, c.output()).await {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {}s", CLI_TIMEOUT.as_secs())),
    }
}

/// `inspect NAME`: `None` when there is no such container.
pub async fn inspect(runtime: Runtime, name: &str) -> Result<Option<Inspected>, String> {
    let mut c = cli(runtime);
    c.args(["inspect", "--type", "container", "--format", "{{.Id}} {{.State.Running}} {{index .Config.Labels \"contin.spec_hash\"}}", name]);
    let o = output(c, "container inspect").await?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr).to_lowercase();
        if err.contains("no such") || err.contains("not found") || err.contains("no container") {
            return Ok(None);
        }
        return Err(format!("inspect {name}: {}", String::from_utf8_lossy(&o.stderr).trim()));
    }
    let out = String::from_utf8_lossy(&o.stdout);
    let mut f = out.split_whitespace();
    let id = f.next().unwrap_or_default().to_string();
    let running = f.next() == Some("true");
    let spec_hash = f.next().unwrap_or_default().to_string();
    Ok(Some(Inspected { id, running, spec_hash }))
}

/// Removes the container (stopping it first, 5 s grace).
pub async fn remove(runtime: Runtime, name: &str) -> Result<(), String> {
    let mut c = cli(runtime);
    c.args(["rm", "-f", "-t", "5", name]);
    let o = output(c, "container rm").await?;
    if o.status.success() || String::from_utf8_lossy(&o.stderr).to_lowercase().contains("no such") {
        Ok(())
    } else {
        Err(format!("rm {name}: {}", String::from_utf8_lossy(&o.stderr).trim()))
    }
}

/// Runs a new detached container; returns its id. Any old container of
/// the same name is removed first. Env values are passed, never logged.
pub async fn run(site: &str, spec: &WorkloadSpec, replica: u32, name: &str) -> Result<String, String> {
    let Some(image) = spec.image.as_deref() else {
        return Err(format!("workload {}: the {:?} runtime needs an image", spec.name, spec.runtime));
    };
    remove(spec.runtime, name).await?;
    let mut c = cli(spec.runtime);
    c.args(["run", "-d", "--name", name]);
    c.arg("--label").arg(format!("contin.site={site}"));
    c.arg("--label").arg(format!("contin.workload={}", spec.name));
    c.arg("--label").arg(format!("contin.replica={replica}"));
    c.arg("--label").arg(format!("contin.spec_hash={}", spec.spec_hash));
    if let Ok(net) = std::env::var("CONTIN_CONTAINER_NETWORK") {
        c.arg(format!("--network={net}"));
    }
    for (k, v) in &spec.env {
        c.arg("-e").arg(format!("{k}={v}"));
    }
    c.arg("-e").arg(format!("CONTIN_WORKLOAD={}", spec.name)).arg("-e").arg(format!("CONTIN_REPLICA={replica}"));
    c.arg(image).args(&spec.command);
    let o = output(c, "container run").await?;
    if !o.status.success() {
        return Err(format!("run {name}: {}", String::from_utf8_lossy(&o.stderr).trim()));
    }
    let id = String::from_utf8_lossy(&o.stdout).trim().lines().last().unwrap_or_default().to_string();
    if id.is_empty() {
        return Err(format!("run {name}: no container id printed"));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names_are_safe() {
        assert_eq!(container_name("f7", "vision[\"a\"]", 2), "contin-f7-vision__a__-2");
    }
}
