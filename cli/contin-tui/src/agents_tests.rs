//! The Fleet view's agent source against a real mailbox directory: a
//! workspace applied by the engine (desired documents written), agents'
//! `agent.json`, signed `status.json` and telemetry batches written with the
//! protocol types, read back through `MailboxAgents`, overlaid on the
//! state's site tree and rendered.

use super::*;
use crate::app::{App, View};
use crate::clock::ManualClock;
use crate::fixtures::NOW_MS;
use crate::fleet::{nodes_from_state, overlay_status, FleetData, Health, NodeKind};
use contin_edge_proto::{
    self as proto, keys, AgentRecord, AgentStatus, Envelope, Facts, FileMailbox, Mailbox, Rejection, SigningKey, TelemetryBatch, TelemetryPoint,
    TelemetrySummary, WorkloadStatus as ProtoWorkload, FORMAT_VERSION,
};
use contin_engine::{ApplyOptions, ApplyResult, Approval, PlanOptions, WorkspaceOptions};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use std::time::{Duration as StdDuration, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

const CONFIG: &str = r#"
edge_site "eu" { kind = "region" }
edge_site "f7" { parent = edge_site.eu }
edge_site "f8" { parent = edge_site.eu }
edge_site "f9" { parent = edge_site.eu }
workload "web" {
  command   = ["/bin/sleep", "100"]
  placement { sites = [edge_site.f7] }
}
workload "db" {
  command   = ["/bin/true"]
  replicas  = 2
  placement { sites = [edge_site.f8, edge_site.f9] }
}
"#;

fn at(ms: u64) -> String {
    proto::rfc3339(UNIX_EPOCH + StdDuration::from_millis(ms))
}

async fn workspace(dir: &Path) -> Workspace {
    std::fs::write(dir.join("main.hcl"), CONFIG).expect("config");
    let ws = Workspace::open(dir, WorkspaceOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
    let r = ws.apply(PlanOptions::default(), ApplyOptions::default(), CancellationToken::new(), |_| async { Approval::Yes }).await;
    let Ok(ApplyResult::Applied(out)) = r else { panic!("apply: {r:?}") };
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    ws
}

struct Agent {
    key: SigningKey,
    site: &'static str,
    hostname: &'static str,
}

impl Agent {
    fn new(seed: u8, site: &'static str, hostname: &'static str) -> Agent {
        Agent { key: SigningKey::from_bytes(&[seed; 32]), site, hostname }
    }
    fn id(&self) -> String {
        proto::agent_id(&self.key.verifying_key())
    }
    async fn register(&self, m: &FileMailbox) {
        let rec = AgentRecord {
            format_version: FORMAT_VERSION,
            agent_id: self.id(),
            site: self.site.into(),
            public_key: proto::encode_public_key(&self.key.verifying_key()),
            enrolled_at: at(NOW_MS - 86_400_000),
            token_id: "t".into(),
            facts: Facts { hostname: self.hostname.into(), os: "linux".into(), arch: "x86_64".into(), cpus: 4, memory_mb: 4096 },
        };
        m.put(&keys::agent(self.site, &self.id()), &serde_json::to_vec(&rec).expect("json")).await.expect("put");
    }
    fn status(&self, reported_ms: u64, acked: u64, workloads: Vec<ProtoWorkload>, last: Option<TelemetryPoint>) -> AgentStatus {
        AgentStatus {
            format_version: FORMAT_VERSION,
            agent_id: self.id(),
            site: self.site.into(),
            reported_at: at(reported_ms),
            acked_generation: acked,
            rejected: Vec::new(),
            disconnected_since: None,
            last_disconnection_s: None,
            workloads,
            telemetry: TelemetrySummary { buffered: 3, uploaded: 40, dropped: 0, capacity: 10_000, last },
        }
    }
    async fn report(&self, m: &FileMailbox, status: &AgentStatus, signer: &SigningKey) {
        m.put(&keys::status(self.site, &self.id()), &Envelope::seal(signer, status)).await.expect("put");
    }
}

fn workload(name: &str, replica: u32, state: WorkloadState, restarts: u32) -> ProtoWorkload {
    ProtoWorkload { name: name.into(), replica, state, pid: Some(100 + replica), container_id: None, restarts, started_at: None }
}

fn point(seq: u64, at_ms: u64, cpu: f64, memory_mb: u64) -> TelemetryPoint {
    TelemetryPoint { seq, at: at(at_ms), cpu_pct: cpu, memory_mb, ..TelemetryPoint::default() }
}

/// The mailbox of `dir` with: f7 one healthy agent (telemetry with a gap),
/// f8 one agent silent for 10 minutes with a failing replica, f9 one good
/// agent that rejected a generation and one whose status is signed by
/// another key.
async fn populate(dir: &Path) -> Vec<Agent> {
    let m = FileMailbox::new(dir.join(contin_engine::edge::LOCAL_MAILBOX_DIR));
    let a7 = Agent::new(7, "f7", "edge-f7-1");
    a7.register(&m).await;
    // Uploaded telemetry: one point per 15 s for the last 6 minutes, with
    // nothing between 4 and 2.5 minutes ago (the agent was offline and lost
    // those samples), then the status's latest point.
    let points: Vec<TelemetryPoint> = (0..24u64)
        .filter(|k| !(8..14).contains(k) && *k < 23)
        .map(|k| point(1000 + k, NOW_MS - 360_000 + k * 15_000 + 1, (k * 4) as f64, 1024 + k * 40))
        .collect();
    let batch = TelemetryBatch { format_version: FORMAT_VERSION, agent_id: a7.id(), first_seq: 1000, points };
    m.put(&keys::telemetry("f7", &a7.id(), 1000), &serde_json::to_vec(&batch).expect("json")).await.expect("put");
    let s7 = a7.status(NOW_MS - 5_000, 1, vec![workload("web", 0, WorkloadState::Running, 0)], Some(point(1024, NOW_MS - 5_000, 50.0, 2048)));
    a7.report(&m, &s7, &a7.key).await;

    let a8 = Agent::new(8, "f8", "edge-f8-1");
    a8.register(&m).await;
    let s8 = a8.status(NOW_MS - 600_000, 1, vec![workload("db", 0, WorkloadState::Running, 0), workload("db", 1, WorkloadState::Backoff, 4)], None);
    a8.report(&m, &s8, &a8.key).await;

    let a9 = Agent::new(9, "f9", "edge-f9-1");
    a9.register(&m).await;
    let mut s9 = a9.status(NOW_MS - 2_000, 0, vec![], None);
    // Terminal escapes in agent-written text never reach the screen.
    s9.rejected = vec![Rejection { generation: 1, reason: "workload db: \u{1b}[2Jimage not allowed".into(), at: at(NOW_MS - 60_000) }];
    a9.report(&m, &s9, &a9.key).await;
    let forged = Agent::new(10, "f9", "edge-f9-2");
    forged.register(&m).await;
    let s10 = forged.status(NOW_MS - 1_000, 1, vec![workload("db", 0, WorkloadState::Running, 0), workload("db", 1, WorkloadState::Running, 0)], None);
    forged.report(&m, &s10, &SigningKey::from_bytes(&[99; 32])).await;
    vec![a7, a8, a9, forged]
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    app.resize(w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    t.draw(|f| crate::draw::draw(f, app)).unwrap_or_else(|e| panic!("{e}"));
    t.backend().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_status_and_telemetry_from_a_real_mailbox_then_last_known_data_when_it_goes_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = workspace(dir.path()).await;
    let agents = populate(dir.path()).await;
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let source = MailboxAgents::new(ws.clone(), clock.clone());

    let got = source.statuses().await;
    assert_eq!((got.error.as_deref(), got.as_of_ms), (None, Some(NOW_MS)), "{got:?}");
    let site = |name: &str| got.statuses.iter().find(|s| s.site == name).unwrap_or_else(|| panic!("{name} in {:?}", got.statuses));

    let f7 = site("f7");
    assert_eq!((f7.last_heartbeat_ms, f7.acked_generation, f7.desired_generation, f7.workloads_desired), (Some(NOW_MS - 5_000), Some(1), Some(1), Some(1)));
    assert_eq!(f7.agents.len(), 1);
    let a = &f7.agents[0];
    assert_eq!((a.agent_id.as_str(), a.hostname.as_str(), a.workloads_running, a.error.as_deref()), (agents[0].id().as_str(), "edge-f7-1", 1, None));
    // 24 buckets of 15 s: the samples of k = 8..13 are missing (gaps), the
    // newest bucket holds the status's latest point (50 %, 2048 of 4096 MB).
    assert_eq!(f7.cpu.len(), SPARK_BUCKETS);
    let gaps: Vec<usize> = f7.cpu.iter().enumerate().filter(|(_, v)| v.is_none()).map(|(i, _)| i).collect();
    assert_eq!(gaps, (8..14).collect::<Vec<_>>(), "{:?}", f7.cpu);
    assert_eq!(f7.cpu[0], Some(0.0));
    assert_eq!(f7.cpu[7], Some(28.0));
    assert_eq!(f7.cpu[23], Some(50.0));
    assert_eq!(f7.mem[23], Some(50.0));
    assert_eq!(f7.mem[0], Some(1024.0 / 4096.0 * 100.0));
    assert_eq!(f7.workloads.len(), 1);
    assert_eq!((f7.workloads[0].name.as_str(), f7.workloads[0].state.as_str(), f7.workloads[0].healthy), ("web", "1 running", true));

    let f8 = site("f8");
    assert_eq!((f8.last_heartbeat_ms, f8.workloads_desired), (Some(NOW_MS - 600_000), Some(2)));
    assert_eq!((f8.workloads[0].state.as_str(), f8.workloads[0].healthy), ("1 backoff, 1 running", false));
    assert!(f8.agents[0].detail.contains("4 restart(s)"), "{}", f8.agents[0].detail);
    assert!(f8.cpu.iter().all(Option::is_none), "no telemetry at all: all gaps");

    let f9 = site("f9");
    assert_eq!(f9.agents.len(), 2);
    let forged = f9.agents.iter().find(|a| a.agent_id == agents[3].id()).expect("forged agent listed");
    assert!(forged.error.as_deref().is_some_and(|e| e.contains("status rejected")), "{forged:?}");
    assert_eq!(forged.workloads_running, 0, "an unverified status counts for nothing");
    let good = f9.agents.iter().find(|a| a.agent_id == agents[2].id()).expect("agent");
    assert!(good.detail.contains("rejected gen 1: workload db: [2Jimage not allowed"), "{}", good.detail);
    assert!(!good.detail.contains('\u{1b}'));
    assert_eq!(f9.acked_generation, Some(0), "only verified statuses count");

    // On the state's tree: f7 healthy, f8 disconnected, f9 degraded; eu rolls up the worst.
    let state = ws.load_state().await.expect("state").expect("some");
    let mut nodes = nodes_from_state(&state);
    overlay_status(&mut nodes, &got.statuses, NOW_MS);
    let health = |id: &str| nodes.iter().find(|n| n.id == id).map(|n| (n.health, n.workloads)).unwrap_or_else(|| panic!("{id}"));
    assert_eq!(health("site/f7"), (Health::Healthy, Some((1, 1))));
    assert_eq!(health("site/f8"), (Health::Disconnected, Some((1, 2))));
    assert_eq!(health("site/f9"), (Health::Degraded, Some((0, 2))));
    assert_eq!(nodes.iter().filter(|n| n.kind == NodeKind::Agent).count(), 4);

    let mut app = App::new(View::Fleet, true, NOW_MS);
    app.fleet_data(Ok(FleetData { nodes, agents_error: None, agents_as_of_ms: Some(NOW_MS) }));
    assert_eq!(app.fleet.rows.iter().find(|r| r.node.id == "site/eu").map(|r| r.rolled), Some(Health::Disconnected));
    for (w, h) in [(200, 50), (80, 24), (60, 24)] {
        insta::assert_snapshot!(format!("fleet_mailbox_{w}x{h}"), render(&mut app, w, h));
    }

    // The mailbox goes away (a file where its directory was): the last
    // statuses come back with their time and the error.
    let mb = dir.path().join(contin_engine::edge::LOCAL_MAILBOX_DIR);
    std::fs::rename(&mb, dir.path().join("mailbox.moved")).expect("move");
    std::fs::write(&mb, "not a directory").expect("file");
    clock.advance(120_000);
    let stale = source.statuses().await;
    assert_eq!(stale.as_of_ms, Some(NOW_MS), "the last good read");
    assert_eq!(stale.statuses, got.statuses, "last known data");
    let e = stale.error.expect("an error");
    assert!(e.contains("mailbox") && e.contains(&mb.display().to_string()), "{e}");
    let e = e.replace(&dir.path().display().to_string(), "DIR");
    // Judged as of the last read, f7 is still healthy (not "disconnected"
    // because we cannot see the mailbox); the header says how old it is.
    let mut nodes = nodes_from_state(&state);
    overlay_status(&mut nodes, &stale.statuses, stale.as_of_ms.unwrap_or(0));
    assert_eq!(nodes.iter().find(|n| n.id == "site/f7").map(|n| n.health), Some(Health::Healthy));
    let mut app = App::new(View::Fleet, true, NOW_MS + 120_000);
    app.fleet_data(Ok(FleetData { nodes, agents_error: Some(e), agents_as_of_ms: stale.as_of_ms }));
    for (w, h) in [(200, 50), (80, 24)] {
        let screen = render(&mut app, w, h);
        assert!(screen.contains("agent data 2m00s old"), "{screen}");
        insta::assert_snapshot!(format!("fleet_mailbox_unreachable_{w}x{h}"), screen);
    }

    // Back: fresh data, no badge.
    std::fs::remove_file(&mb).expect("rm");
    std::fs::rename(dir.path().join("mailbox.moved"), &mb).expect("move back");
    let back = source.statuses().await;
    assert_eq!((back.error, back.as_of_ms), (None, Some(NOW_MS + 120_000)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_should_run_workloads_without_an_agent_is_unknown_and_no_agents_is_no_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = workspace(dir.path()).await;
    let source = MailboxAgents::new(ws.clone(), Arc::new(ManualClock::new(NOW_MS)));
    let got = source.statuses().await;
    assert_eq!(got.error, None);
    assert!(got.statuses.iter().all(|s| s.agents.is_empty()));
    let state = ws.load_state().await.expect("state").expect("some");
    let mut nodes = nodes_from_state(&state);
    overlay_status(&mut nodes, &got.statuses, NOW_MS);
    let f7 = nodes.iter().find(|n| n.id == "site/f7").expect("f7");
    assert_eq!((f7.health, f7.detail.as_str(), f7.workloads), (Health::Unknown, "no agent enrolled", Some((0, 1))));
}
