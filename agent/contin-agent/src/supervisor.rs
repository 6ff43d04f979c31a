//! Supervision of workload replicas: start, watch, restart with
//! exponential backoff, health probes, adoption after an agent restart,
//! and reconciliation against a desired document (only differences by
//! name + replica + spec_hash). Nothing is stopped except what a newer
//! document removed or changed.

use crate::store::{Store, WorkloadRecord};
use crate::{containers, procs, Event, EventSink, Level};
use contin_edge_proto::{rfc3339, DesiredState, HealthKind, Runtime, WorkloadSpec, WorkloadState, WorkloadStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::task::JoinHandle;

/// A replica that ran at least this long starts its backoff over.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// How often a container's state is inspected.
const CONTAINER_CHECK: Duration = Duration::from_secs(2);
/// SIGTERM → SIGKILL grace when a workload is stopped.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Delay before the `crashes`-th consecutive restart: `initial · 2^(crashes-1)`,
/// at most `max` (both in ms).
pub fn backoff(initial_ms: u64, max_ms: u64, crashes: u32) -> Duration {
    let exp = crashes.saturating_sub(1).min(40);
    let ms = initial_ms.saturating_mul(1u64 << exp).min(max_ms.max(initial_ms.min(max_ms)));
    Duration::from_millis(ms.min(max_ms))
}

struct Instance {
    spec: Option<WorkloadSpec>,
    runtime: Runtime,
    rec: WorkloadRecord,
    child: Option<Child>,
    state: WorkloadState,
    crashes: u32,
    next_start: Option<Instant>,
    started: Option<Instant>,
    health_failures: u32,
    next_probe: Option<Instant>,
    probe: Option<JoinHandle<bool>>,
    next_check: Instant,
}

pub struct Supervisor {
    site: String,
    logs: PathBuf,
    store: Arc<Store>,
    events: EventSink,
    instances: BTreeMap<(String, u32), Instance>,
    generation: u64,
}

fn runtime_of(rec: &WorkloadRecord) -> Runtime {
    rec.runtime.unwrap_or(if rec.container_name.is_some() { Runtime::Podman } else { Runtime::Process })
}

impl Supervisor {
    pub fn new(site: &str, logs: PathBuf, store: Arc<Store>, events: EventSink) -> Supervisor {
        Supervisor { site: site.to_string(), logs, store, events, instances: BTreeMap::new(), generation: 0 }
    }

    fn log(&self, level: Level, message: String) {
        (self.events)(Event { level, message });
    }

    /// The generation whose workload set is in place.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Loads the recorded replicas: those still running (same pid and start
    /// time, or a running container with the same spec) are adopted; the
    /// others are restarted by the next tick. Then reconciles with `desired`.
    pub async fn adopt(&mut self, desired: Option<&DesiredState>) {
        let records = match self.store.workloads() {
            Ok(r) => r,
            Err(e) => {
                self.log(Level::Error, format!("reading workload records: {e}"));
                Vec::new()
            }
        };
        let now = Instant::now();
        for rec in records {
            let runtime = runtime_of(&rec);
            let alive = match runtime {
                Runtime::Process => matches!((rec.pid, rec.start_time), (Some(p), Some(s)) if procs::is_same(p, s)),
                rt => match rec.container_name.as_deref() {
                    Some(name) => matches!(containers::inspect(rt, name).await, Ok(Some(i)) if i.running && i.spec_hash == rec.spec_hash),
                    None => false,
                },
            };
            let what = format!("{} replica {}", rec.name, rec.replica);
            if alive {
                self.log(Level::Info, format!("adopted {what} ({})", rec.pid.map(|p| format!("pid {p}")).or(rec.container_id.clone()).unwrap_or_default()));
            }
            let inst = Instance {
                spec: None,
                runtime,
                state: if alive { WorkloadState::Running } else { WorkloadState::Backoff },
                next_start: if alive { None } else { Some(now) },
                started: if alive { Some(now) } else { None },
                rec,
                child: None,
                crashes: 0,
                health_failures: 0,
                next_probe: None,
                probe: None,
                next_check: now,
            };
            self.instances.insert((inst.rec.name.clone(), inst.rec.replica), inst);
        }
        match desired {
            Some(d) => self.apply(d).await,
            None => {
                // No verified document: nothing was started by this data dir's
                // documents; records without one are left as they are.
                let keys: Vec<_> = self.instances.keys().cloned().collect();
                for k in keys {
                    if let Some(i) = self.instances.get_mut(&k) {
                        i.next_start = None;
                        if i.state == WorkloadState::Backoff {
                            i.state = WorkloadState::Stopped;
                        }
                    }
                }
            }
        }
    }

    /// Reconciles with a verified document: new → start, changed
    /// (spec_hash) → stop then start, removed → stop. Unchanged replicas
    /// are not touched.
    pub async fn apply(&mut self, desired: &DesiredState) {
        let mut want: BTreeMap<(String, u32), &WorkloadSpec> = BTreeMap::new();
        for w in &desired.workloads {
            for r in 0..w.replicas {
                want.insert((w.name.clone(), r), w);
            }
        }
        let have: BTreeSet<(String, u32)> = self.instances.keys().cloned().collect();
        for key in &have {
            let keep = want.get(key).is_some_and(|s| self.instances.get(key).is_some_and(|i| i.rec.spec_hash == s.spec_hash));
            if !keep {
                if let Some(inst) = self.instances.remove(key) {
                    let changed = want.contains_key(key);
                    self.log(Level::Info, format!("stopping {} replica {} ({})", key.0, key.1, if changed { "changed" } else { "removed" }));
                    self.stop(inst).await;
                    if let Err(e) = self.store.remove_workload(&key.0, key.1) {
                        self.log(Level::Error, format!("{e}"));
                    }
                }
            }
        }
        let now = Instant::now();
        for (key, spec) in want {
            match self.instances.get_mut(&key) {
                Some(inst) => {
                    inst.spec = Some(spec.clone());
                    inst.runtime = spec.runtime;
                }
                None => {
                    let rec = WorkloadRecord {
                        name: key.0.clone(),
                        replica: key.1,
                        spec_hash: spec.spec_hash.clone(),
                        runtime: Some(spec.runtime),
                        pid: None,
                        start_time: None,
                        container_id: None,
                        container_name: None,
                        restarts: 0,
                        started_at: None,
                    };
                    let inst = Instance {
                        spec: Some(spec.clone()),
                        runtime: spec.runtime,
                        rec,
                        child: None,
                        state: WorkloadState::Starting,
                        crashes: 0,
                        next_start: Some(now),
                        started: None,
                        health_failures: 0,
                        next_probe: None,
                        probe: None,
                        next_check: now,
                    };
                    self.instances.insert(key, inst);
                }
            }
        }
        self.generation = desired.generation;
        self.tick().await;
    }

    async fn stop(&self, mut inst: Instance) {
        if let Some(p) = inst.probe.take() {
            p.abort();
        }
        match inst.runtime {
            Runtime::Process => {
                if let (Some(pid), Some(start)) = (inst.rec.pid, inst.rec.start_time) {
                    let child = inst.child.take();
                    let _ = tokio::task::spawn_blocking(move || {
                        let mut child = child;
                        procs::stop(pid, start, child.as_mut(), STOP_GRACE);
                    })
                    .await;
                }
            }
            rt => {
                if let Some(name) = inst.rec.container_name.as_deref() {
                    if let Err(e) = containers::remove(rt, name).await {
                        self.log(Level::Error, e);
                    }
                }
            }
        }
    }

    /// One supervision round: detect exits, run health probes, start what is due.
    pub async fn tick(&mut self) {
        let keys: Vec<_> = self.instances.keys().cloned().collect();
        for key in keys {
            let Some(mut inst) = self.instances.remove(&key) else { continue };
            self.tick_one(&mut inst).await;
            self.instances.insert(key, inst);
        }
    }

    async fn alive(&self, inst: &mut Instance, now: Instant) -> Option<bool> {
        match inst.runtime {
            Runtime::Process => {
                let (Some(pid), Some(start)) = (inst.rec.pid, inst.rec.start_time) else { return Some(false) };
                if let Some(c) = inst.child.as_mut() {
                    // Reaps our own child; an exited one is gone.
                    if let Ok(Some(_)) = c.try_wait() {
                        inst.child = None;
                        return Some(false);
                    }
                }
                Some(procs::is_same(pid, start))
            }
            rt => {
                if now < inst.next_check {
                    return None;
                }
                inst.next_check = now + CONTAINER_CHECK;
                let name = inst.rec.container_name.clone()?;
                match containers::inspect(rt, &name).await {
                    Ok(Some(i)) => Some(i.running && Some(&i.id) == inst.rec.container_id.as_ref()),
                    Ok(None) => Some(false),
                    Err(e) => {
                        self.log(Level::Warn, e);
                        None
                    }
                }
            }
        }
    }

    fn schedule_restart(&self, inst: &mut Instance, why: &str) {
        let now = Instant::now();
        let stable = inst.started.is_some_and(|s| now.duration_since(s) >= STABLE_AFTER);
        inst.crashes = if stable { 1 } else { inst.crashes.saturating_add(1) };
        let r = inst.spec.as_ref().map(|s| s.restart.clone()).unwrap_or_default();
        let delay = backoff(r.backoff_initial_ms, r.backoff_max_ms, inst.crashes);
        inst.state = WorkloadState::Backoff;
        inst.next_start = Some(now + delay);
        inst.health_failures = 0;
        if let Some(p) = inst.probe.take() {
            p.abort();
        }
        self.log(Level::Warn, format!("{} replica {} {why}; restarting in {:.1}s", inst.rec.name, inst.rec.replica, delay.as_secs_f64()));
    }

    async fn tick_one(&mut self, inst: &mut Instance) {
        let now = Instant::now();
        match inst.state {
            WorkloadState::Stopped => {}
            WorkloadState::Backoff | WorkloadState::Starting if inst.next_start.is_some_and(|t| now >= t) => {
                self.start(inst).await;
            }
            WorkloadState::Backoff | WorkloadState::Starting => {}
            WorkloadState::Running | WorkloadState::Unhealthy => match self.alive(inst, now).await {
                Some(false) => self.schedule_restart(inst, "exited"),
                Some(true) | None => self.probe(inst, now).await,
            },
        }
    }

    async fn probe(&mut self, inst: &mut Instance, now: Instant) {
        let Some(health) = inst.spec.as_ref().and_then(|s| s.health.clone()) else { return };
        if let Some(p) = inst.probe.as_ref() {
            if !p.is_finished() {
                return;
            }
            let ok = match inst.probe.take() {
                Some(h) => h.await.unwrap_or(false),
                None => true,
            };
            if ok {
                inst.health_failures = 0;
                inst.state = WorkloadState::Running;
            } else {
                inst.health_failures += 1;
                inst.state = WorkloadState::Unhealthy;
                if inst.health_failures >= health.failures.max(1) {
                    let victim = Instance {
                        spec: inst.spec.clone(),
                        runtime: inst.runtime,
                        rec: inst.rec.clone(),
                        child: inst.child.take(),
                        state: inst.state,
                        crashes: 0,
                        next_start: None,
                        started: None,
                        health_failures: 0,
                        next_probe: None,
                        probe: None,
                        next_check: now,
                    };
                    self.stop(victim).await;
                    self.schedule_restart(inst, &format!("failed {} health checks", health.failures.max(1)));
                    return;
                }
            }
        }
        let interval = Duration::from_secs_f64(health.interval_s.clamp(0.1, 86_400.0));
        let due = inst.next_probe.get_or_insert(now + interval);
        if now < *due {
            return;
        }
        inst.next_probe = Some(now + interval);
        let timeout = Duration::from_secs_f64(health.timeout_s.clamp(0.1, 3_600.0));
        inst.probe = Some(tokio::spawn(async move { tokio::time::timeout(timeout, check(health.kind, health.target, health.command)).await.unwrap_or(false) }));
    }

    fn log_paths(&self, name: &str, replica: u32) -> (PathBuf, PathBuf) {
        let clean: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect();
        (self.logs.join(format!("{clean}-{replica}.out")), self.logs.join(format!("{clean}-{replica}.err")))
    }

    async fn start(&mut self, inst: &mut Instance) {
        let Some(spec) = inst.spec.clone() else {
            inst.state = WorkloadState::Stopped;
            inst.next_start = None;
            return;
        };
        let replica = inst.rec.replica;
        let result = match spec.runtime {
            Runtime::Process => {
                let (out, err) = self.log_paths(&spec.name, replica);
                let mut env: Vec<(String, String)> = spec.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                env.push(("CONTIN_SITE".into(), self.site.clone()));
                env.push(("CONTIN_WORKLOAD".into(), spec.name.clone()));
                env.push(("CONTIN_REPLICA".into(), replica.to_string()));
                match procs::spawn(&spec.command, &env, &out, &err) {
                    Ok(child) => {
                        let pid = child.id();
                        match procs::stat(pid) {
                            Some((start, _)) => {
                                inst.rec.pid = Some(pid);
                                inst.rec.start_time = Some(start);
                                inst.child = Some(child);
                                Ok(format!("pid {pid}"))
                            }
                            None => {
                                // Exited before it could be identified; reap it.
                                let mut child = child;
                                let _ = child.try_wait();
                                Err(format!("{} replica {replica} exited at once", spec.name))
                            }
                        }
                    }
                    Err(e) => Err(format!("{} replica {replica}: cannot start {:?}: {e}", spec.name, spec.command.first().map(String::as_str).unwrap_or(""))),
                }
            }
            rt => {
                let name = containers::container_name(&self.site, &spec.name, replica);
                match containers::run(&self.site, &spec, replica, &name).await {
                    Ok(id) => {
                        inst.rec.container_id = Some(id.clone());
                        inst.rec.container_name = Some(name);
                        inst.runtime = rt;
                        Ok(format!("container {}", &id[..id.len().min(12)]))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let restarted = inst.rec.started_at.is_some();
        match result {
            Ok(what) => {
                if restarted {
                    inst.rec.restarts = inst.rec.restarts.saturating_add(1);
                }
                inst.rec.spec_hash = spec.spec_hash.clone();
                inst.rec.runtime = Some(spec.runtime);
                inst.rec.started_at = Some(rfc3339(SystemTime::now()));
                inst.state = WorkloadState::Running;
                inst.next_start = None;
                inst.started = Some(Instant::now());
                inst.health_failures = 0;
                inst.next_probe = None;
                inst.next_check = Instant::now() + CONTAINER_CHECK;
                if let Err(e) = self.store.put_workload(&inst.rec) {
                    self.log(Level::Error, format!("recording {} replica {replica}: {e}", spec.name));
                }
                self.log(Level::Info, format!("{} {} replica {replica} ({what})", if restarted { "restarted" } else { "started" }, spec.name));
            }
            Err(e) => {
                self.log(Level::Error, e);
                inst.started = None;
                self.schedule_restart(inst, "failed to start");
            }
        }
    }

    /// Per-replica status for `status.json`.
    pub fn status(&self) -> Vec<WorkloadStatus> {
        self.instances
            .values()
            .map(|i| WorkloadStatus {
                name: i.rec.name.clone(),
                replica: i.rec.replica,
                state: i.state,
                pid: if i.runtime == Runtime::Process && matches!(i.state, WorkloadState::Running | WorkloadState::Unhealthy) { i.rec.pid } else { None },
                container_id: i.rec.container_id.clone(),
                restarts: i.rec.restarts,
                started_at: i.rec.started_at.clone(),
            })
            .collect()
    }
}

/// One health check.
async fn check(kind: HealthKind, target: String, command: Vec<String>) -> bool {
    match kind {
        HealthKind::Exec => {
            let Some((prog, args)) = command.split_first() else { return false };
            let mut c = tokio::process::Command::new(prog);
            c.args(args).kill_on_drop(true).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
            matches!(c.status().await, Ok(s) if s.success())
        }
        HealthKind::Tcp => tokio::net::TcpStream::connect(target.as_str()).await.is_ok(),
        HealthKind::Http => crate::relay::http_ok(&target).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let d: Vec<u64> = (1..=8).map(|n| backoff(500, 5_000, n).as_millis() as u64).collect();
        assert_eq!(d, vec![500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
        assert_eq!(backoff(500, 5_000, 0), Duration::from_millis(500));
        assert_eq!(backoff(u64::MAX, 60_000, u32::MAX), Duration::from_millis(60_000));
        assert_eq!(backoff(1000, 100, 3), Duration::from_millis(100));
    }
}
