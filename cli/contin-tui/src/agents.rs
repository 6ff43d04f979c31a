//! The Fleet view's agent data, read from the backend's mailbox the way
//! `contin edge list` reads it ([`contin_engine::Workspace::edge_list`]:
//! every `status.json` verified against the agent's registered key), plus
//! the telemetry the agents uploaded
//! ([`contin_engine::edge_telemetry::read_telemetry`]) and the latest point
//! of each status, kept in a per-agent window for the CPU/memory
//! sparklines.
//!
//! Runs off the UI task (the fleet poller calls it). A mailbox that cannot
//! be read, or does not answer within [`AGENTS_TIMEOUT`], gives the last
//! statuses read, with their time and the error: the view shows them with
//! an age badge instead of marking every site disconnected.

use crate::clock::Clock;
use crate::fleet::{AgentRow, AgentStatusSource, AgentsFetch, SiteStatus, WorkloadStatus};
use contin_engine::edge::{EdgeAgentStatus, WorkloadState};
use contin_engine::edge_telemetry::read_telemetry;
use contin_engine::{EdgeReport, Workspace};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// How long one read of the mailbox may take before the last known data is shown.
pub const AGENTS_TIMEOUT: Duration = Duration::from_secs(6);
/// Sparkline buckets per agent (the newest are drawn; an empty bucket is a gap).
pub const SPARK_BUCKETS: usize = 24;
/// Width of one sparkline bucket.
pub const SPARK_BUCKET_MS: u64 = 15_000;
/// Most telemetry points kept per agent.
const MAX_SERIES_POINTS: usize = 4_096;

/// Reads agent status and telemetry from a workspace's mailbox.
pub struct MailboxAgents {
    ws: Workspace,
    clock: Arc<dyn Clock>,
    timeout: Duration,
    cache: tokio::sync::Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// The last statuses read and when.
    last: Option<(Vec<SiteStatus>, u64)>,
    series: HashMap<(String, String), Series>,
}

/// One agent's recent telemetry: seq -> (time ms, cpu %, memory MB).
#[derive(Default)]
struct Series {
    memory_total_mb: Option<u64>,
    last_key: Option<String>,
    points: BTreeMap<u64, (u64, f64, u64)>,
}

impl Series {
    fn add(&mut self, seq: u64, at: &str, cpu: f64, mem_mb: u64) {
        if let Some(at) = rfc3339_ms(at) {
            self.points.insert(seq, (at, cpu, mem_mb));
        }
    }

    fn prune(&mut self, now_ms: u64) {
        let oldest = now_ms.saturating_sub(SPARK_BUCKETS as u64 * SPARK_BUCKET_MS);
        self.points.retain(|_, (at, _, _)| *at >= oldest);
        while self.points.len() > MAX_SERIES_POINTS {
            self.points.pop_first();
        }
    }

    /// CPU and memory percent per bucket, oldest first, ending at `now_ms`;
    /// a bucket without a sample is `None` (a gap in the sparkline).
    fn sparks(&self, now_ms: u64) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
        let span = SPARK_BUCKETS as u64 * SPARK_BUCKET_MS;
        let start = now_ms.saturating_sub(span);
        let mut sums = vec![(0.0f64, 0u64, 0usize); SPARK_BUCKETS];
        for &(at, cpu, mem) in self.points.values() {
            // Older than the window, or from a clock far ahead of ours.
            if at < start || at > now_ms.saturating_add(SPARK_BUCKET_MS) {
                continue;
            }
            // A sample slightly ahead of our clock (skew) counts as the newest.
            let b = (((at - start) / SPARK_BUCKET_MS) as usize).min(SPARK_BUCKETS - 1);
            sums[b].0 += cpu;
            sums[b].1 = sums[b].1.saturating_add(mem);
            sums[b].2 += 1;
        }
        let cpu = sums.iter().map(|&(c, _, n)| (n > 0).then(|| c / n as f64)).collect();
        let mem = sums
            .iter()
            .map(|&(_, m, n)| match (n, self.memory_total_mb) {
                (0, _) | (_, None) => None,
                (n, Some(total)) => Some(m as f64 / n as f64 / total as f64 * 100.0),
            })
            .collect();
        (cpu, mem)
    }
}

/// Text an agent wrote (host name, workload name, rejection reason), fit
/// for one table cell: control characters (terminal escapes) dropped, at
/// most `max` characters.
fn clean(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Milliseconds since the Unix epoch of an RFC 3339 time.
fn rfc3339_ms(s: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339(s.trim()).ok()?;
    Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64)
}

fn state_text(s: WorkloadState) -> &'static str {
    match s {
        WorkloadState::Starting => "starting",
        WorkloadState::Running => "running",
        WorkloadState::Backoff => "backoff",
        WorkloadState::Unhealthy => "unhealthy",
        WorkloadState::Stopped => "stopped",
    }
}

/// `5s`, `3m`, `2h`, `4d`.
fn short(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

impl MailboxAgents {
    pub fn new(ws: Workspace, clock: Arc<dyn Clock>) -> MailboxAgents {
        MailboxAgents::with_timeout(ws, clock, AGENTS_TIMEOUT)
    }

    pub fn with_timeout(ws: Workspace, clock: Arc<dyn Clock>, timeout: Duration) -> MailboxAgents {
        MailboxAgents { ws, clock, timeout, cache: tokio::sync::Mutex::new(Cache::default()) }
    }

    async fn read(&self, cache: &mut Cache, now_ms: u64) -> Result<Vec<SiteStatus>, String> {
        let report: EdgeReport = self.ws.edge_list().await.map_err(|e| e.to_string())?;
        if let Some(w) = report.warning {
            return Err(w);
        }
        let any_agent = report.sites.iter().any(|s| s.agents.iter().any(|a| a.status.is_ok()));
        let mailbox = if any_agent { Some(self.ws.edge_mailbox().await?) } else { None };
        let mut out = Vec::with_capacity(report.sites.len());
        for site in report.sites {
            let mut status = SiteStatus {
                site: site.site.clone(),
                desired_generation: site.desired_generation,
                workloads_desired: Some(site.workloads_desired),
                ..SiteStatus::default()
            };
            // name -> replicas per state, over every agent of the site.
            let mut workloads: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
            for a in site.agents {
                let st: EdgeAgentStatus = match a.status {
                    Ok(st) => st,
                    Err(e) => {
                        status.agents.push(AgentRow { agent_id: a.agent_id, hostname: clean(&a.hostname, 64), error: Some(clean(&e, 200)), ..AgentRow::default() });
                        continue;
                    }
                };
                let Some(heartbeat) = rfc3339_ms(&st.reported_at) else {
                    let e = format!("status has an unreadable time {:?}", clean(&st.reported_at, 40));
                    status.agents.push(AgentRow { agent_id: a.agent_id, hostname: clean(&a.hostname, 64), error: Some(e), ..AgentRow::default() });
                    continue;
                };
                let series = cache.series.entry((site.site.clone(), a.agent_id.clone())).or_default();
                if let Some(m) = &mailbox {
                    let t = read_telemetry(&**m, &site.site, &a.agent_id, series.last_key.as_deref(), series.memory_total_mb.is_none()).await?;
                    series.memory_total_mb = series.memory_total_mb.or(t.memory_total_mb);
                    if t.last_key.is_some() {
                        series.last_key = t.last_key;
                    }
                    for p in &t.points {
                        series.add(p.seq, &p.at, p.cpu_pct, p.memory_mb);
                    }
                }
                if let Some(p) = &st.telemetry.last {
                    series.add(p.seq, &p.at, p.cpu_pct, p.memory_mb);
                }
                series.prune(now_ms);
                let (cpu, mem) = series.sparks(now_ms);
                let running = st.workloads.iter().filter(|w| w.state == WorkloadState::Running).count() as u64;
                for w in &st.workloads {
                    *workloads.entry(clean(&w.name, 64)).or_default().entry(state_text(w.state)).or_default() += 1;
                }
                let mut detail = Vec::new();
                let restarts: u64 = st.workloads.iter().map(|w| u64::from(w.restarts)).sum();
                if restarts > 0 {
                    detail.push(format!("{restarts} restart(s)"));
                }
                if let Some(r) = st.rejected.iter().max_by_key(|r| r.generation) {
                    detail.push(format!("rejected gen {}: {}", r.generation, clean(&r.reason, 120)));
                }
                if let Some(s) = st.last_disconnection_s.filter(|s| s.is_finite() && *s >= 0.0) {
                    detail.push(format!("last outage {}", short(s as u64)));
                }
                detail.push(format!("telemetry {} buffered", st.telemetry.buffered));
                if st.telemetry.dropped > 0 {
                    detail.push(format!("{} dropped", st.telemetry.dropped));
                }
                status.last_heartbeat_ms = status.last_heartbeat_ms.max(Some(heartbeat));
                status.acked_generation = Some(status.acked_generation.map_or(st.acked_generation, |g| g.min(st.acked_generation)));
                status.agents.push(AgentRow {
                    agent_id: a.agent_id,
                    hostname: clean(&a.hostname, 64),
                    last_heartbeat_ms: Some(heartbeat),
                    acked_generation: Some(st.acked_generation),
                    cpu,
                    mem,
                    workloads_running: running,
                    error: None,
                    detail: detail.join(" · "),
                });
            }
            if let [only] = status.agents.as_slice() {
                status.cpu = only.cpu.clone();
                status.mem = only.mem.clone();
            }
            status.workloads = workloads
                .into_iter()
                .map(|(name, states)| {
                    let healthy = states.keys().all(|s| *s == "running");
                    let state = states.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", ");
                    WorkloadStatus { name, state, healthy }
                })
                .collect();
            out.push(status);
        }
        // Agents no longer reported: their telemetry goes too.
        let live: std::collections::HashSet<(String, String)> =
            out.iter().flat_map(|s| s.agents.iter().map(|a| (s.site.clone(), a.agent_id.clone()))).collect();
        cache.series.retain(|k, _| live.contains(k));
        Ok(out)
    }
}

impl AgentStatusSource for MailboxAgents {
    fn statuses(&self) -> Pin<Box<dyn Future<Output = AgentsFetch> + Send + '_>> {
        Box::pin(async move {
            let now_ms = self.clock.now_ms();
            let mut cache = self.cache.lock().await;
            let result = match tokio::time::timeout(self.timeout, self.read(&mut cache, now_ms)).await {
                Ok(r) => r,
                Err(_) => Err(format!("the edge mailbox did not answer within {}s", self.timeout.as_secs())),
            };
            match result {
                Ok(statuses) => {
                    cache.last = Some((statuses.clone(), now_ms));
                    AgentsFetch { statuses, as_of_ms: Some(now_ms), error: None }
                }
                Err(e) => {
                    let (statuses, as_of_ms) = cache.last.clone().map_or((Vec::new(), None), |(s, t)| (s, Some(t)));
                    AgentsFetch { statuses, as_of_ms, error: Some(e) }
                }
            }
        })
    }
}

#[cfg(test)]
#[path = "agents_tests.rs"]
mod tests;
