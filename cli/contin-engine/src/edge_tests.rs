//! Desired-state documents written by apply: generations grow only on
//! change, unchanged sites keep their document byte for byte, failed writes
//! are retried; tokens; the agent report.

use super::*;
use crate::{ApplyOptions, ApplyResult, Approval, PlanOptions, WorkspaceOptions};
use contin_edge_proto::{AgentStatus, Facts, TelemetrySummary, Token, WorkloadState, WorkloadStatus};
use tokio_util::sync::CancellationToken;

fn config(b_mode: &str, with_a: bool) -> String {
    let a = if with_a { "workload \"a\" {\n  command = [\"/bin/sleep\", \"100\"]\n  placement { sites = [edge_site.f7] }\n}\n" } else { "" };
    let sites = "edge_site \"eu\" { kind = \"region\" }\nedge_site \"f7\" { parent = edge_site.eu }\nedge_site \"f8\" { parent = edge_site.eu }\n";
    format!(
        "{sites}{a}workload \"b\" {{\n  command = [\"/bin/true\"]\n  env = {{ MODE = \"{b_mode}\" }}\n  replicas = 2\n  placement {{ sites = [edge_site.f8] }}\n}}\n"
    )
}

fn write_config(dir: &Path, text: &str) {
    std::fs::write(dir.join("main.hcl"), text).expect("config");
}

async fn open(dir: &Path) -> Workspace {
    Workspace::open(dir, WorkspaceOptions::default()).await.unwrap_or_else(|e| panic!("{e}"))
}

async fn apply(dir: &Path) -> std::result::Result<ApplyResult, EngineError> {
    open(dir).await.apply(PlanOptions::default(), ApplyOptions::default(), CancellationToken::new(), |_| async { Approval::Yes }).await
}

fn doc_path(dir: &Path, site: &str) -> std::path::PathBuf {
    dir.join(LOCAL_MAILBOX_DIR).join(keys::desired(site))
}

async fn state(dir: &Path) -> State {
    open(dir).await.load_state().await.expect("state").expect("some")
}

fn open_doc(dir: &Path, site: &str, st: &State) -> DesiredState {
    let key = proto::decode_secret_key(&st.edge.as_ref().expect("edge").deployment_key).expect("key");
    let bytes = std::fs::read(doc_path(dir, site)).expect("document");
    Envelope::open(&bytes, &key.verifying_key()).expect("signed with the deployment key")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generations_grow_only_on_change_and_unchanged_sites_keep_their_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config("one", true));
    let ApplyResult::Applied(out) = apply(dir.path()).await.expect("apply") else { panic!("applied") };
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    let st = state(dir.path()).await;
    let f7 = open_doc(dir.path(), "f7", &st);
    assert_eq!((f7.generation, f7.site.as_str(), f7.deployment.as_str()), (1, "f7", st.lineage.as_str()));
    assert_eq!(f7.workloads.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["a"]);
    let f8 = open_doc(dir.path(), "f8", &st);
    assert_eq!((f8.workloads[0].name.as_str(), f8.workloads[0].replicas), ("b", 2));
    assert_eq!(f8.workloads[0].env.get("MODE").map(String::as_str), Some("one"));
    // The region above them gets a document naming its children (relay).
    let eu = open_doc(dir.path(), "eu", &st);
    assert_eq!((eu.workloads.len(), eu.children.clone()), (0, vec!["f7".to_string(), "f8".to_string()]));
    let before: Vec<Vec<u8>> = ["eu", "f7", "f8"].iter().map(|s| std::fs::read(doc_path(dir.path(), s)).expect("doc")).collect();

    // No change: nothing rewritten.
    assert!(matches!(apply(dir.path()).await.expect("apply"), ApplyResult::NoChanges { .. }));
    let again: Vec<Vec<u8>> = ["eu", "f7", "f8"].iter().map(|s| std::fs::read(doc_path(dir.path(), s)).expect("doc")).collect();
    assert_eq!(before, again);

    // One workload changes: only its site moves on.
    write_config(dir.path(), &config("two", true));
    let ApplyResult::Applied(out) = apply(dir.path()).await.expect("apply") else { panic!("applied") };
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    let st = state(dir.path()).await;
    assert_eq!(open_doc(dir.path(), "f8", &st).generation, 2);
    assert_eq!(open_doc(dir.path(), "f8", &st).workloads[0].env.get("MODE").map(String::as_str), Some("two"));
    assert_eq!(std::fs::read(doc_path(dir.path(), "f7")).expect("doc"), before[1], "f7 untouched");
    assert_eq!(std::fs::read(doc_path(dir.path(), "eu")).expect("doc"), before[0], "eu untouched");
    let rec = &st.edge.as_ref().expect("edge").sites;
    assert_eq!((rec["f7"].generation, rec["f8"].generation, rec["eu"].generation), (1, 2, 1));

    // The last workload of f7 goes: f7 gets an empty document.
    write_config(dir.path(), &config("two", false));
    let ApplyResult::Applied(out) = apply(dir.path()).await.expect("apply") else { panic!("applied") };
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    let st = state(dir.path()).await;
    let f7 = open_doc(dir.path(), "f7", &st);
    assert_eq!((f7.generation, f7.workloads.len()), (2, 0));
    assert!(matches!(apply(dir.path()).await.expect("apply"), ApplyResult::NoChanges { .. }));
    assert_eq!(open_doc(dir.path(), "f7", &state(dir.path()).await).generation, 2, "an empty site is not rewritten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_names_the_site_and_mailbox_keeps_the_state_and_is_retried() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config("one", true));
    // The mailbox directory cannot be created: a file is in its way.
    std::fs::create_dir_all(dir.path().join(".contin")).expect("dir");
    std::fs::write(dir.path().join(LOCAL_MAILBOX_DIR), "in the way").expect("file");
    let ApplyResult::Applied(out) = apply(dir.path()).await.expect("apply") else { panic!("applied") };
    let failed: Vec<&(String, String)> = out.failed.iter().collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    let f7 = failed.iter().find(|(a, _)| a == "edge_site.f7").expect("f7 failed");
    assert!(f7.1.contains("site f7") && f7.1.contains("file://") && f7.1.contains("mailbox"), "{f7:?}");
    let st = state(dir.path()).await;
    assert_eq!(st.resources.len(), 5, "the applied resources are saved");
    let edge = st.edge.as_ref().expect("the key is saved before any write");
    assert!(edge.sites.is_empty(), "no generation recorded for an unwritten document");

    // Fixed: the next apply (no resource changes) writes them.
    std::fs::remove_file(dir.path().join(LOCAL_MAILBOX_DIR)).expect("rm");
    assert!(matches!(apply(dir.path()).await.expect("apply"), ApplyResult::NoChanges { .. }));
    let st = state(dir.path()).await;
    assert_eq!(open_doc(dir.path(), "f7", &st).generation, 1);
    assert_eq!(st.edge.as_ref().expect("edge").public_key, proto::encode_public_key(&proto::decode_secret_key(&edge.deployment_key).expect("k").verifying_key()));

    // A document written by an apply whose bookkeeping was lost is never reused.
    let mut lost = st.clone();
    lost.edge.as_mut().expect("edge").sites.remove("f7");
    let ws = open(dir.path()).await;
    let sync = ws.sync_edge(&mut lost).await.expect("sync");
    assert_eq!(sync.written, vec![("f7".to_string(), 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_need_a_known_site_and_a_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), "edge_site \"eu\" { kind = \"region\" }\n");
    apply(dir.path()).await.expect("apply");
    let ws = open(dir.path()).await;
    let e = ws.edge_token("eu", Duration::from_secs(3600)).await.expect_err("no key yet").to_string();
    assert!(e.contains("no deployment key yet") && e.contains("contin apply"), "{e}");
    write_config(dir.path(), &config("one", true));
    apply(dir.path()).await.expect("apply");
    let ws = open(dir.path()).await;
    let e = ws.edge_token("f9", Duration::from_secs(3600)).await.expect_err("unknown site").to_string();
    assert!(e.contains("\"f9\" is not in the state") && e.contains("eu, f7, f8"), "{e}");
    assert!(ws.edge_token("f7", Duration::ZERO).await.is_err());
    let t = ws.edge_token("f7", Duration::from_secs(3600)).await.expect("token");
    let claims = Token::parse(&t).expect("valid token");
    let st = state(dir.path()).await;
    assert_eq!((claims.site.as_str(), claims.deployment.as_str()), ("f7", st.lineage.as_str()));
    assert_eq!(claims.deployment_key, st.edge.as_ref().expect("edge").public_key);
    let mailbox = std::path::absolute(dir.path().join(LOCAL_MAILBOX_DIR)).expect("abs");
    assert_eq!(claims.mailbox, format!("file://{}", mailbox.display()));
    assert!(claims.check_expiry(SystemTime::now()).is_ok());
    assert!(claims.check_expiry(SystemTime::now() + Duration::from_secs(3601)).is_err());
}

fn status(site: &str, id: &str, acked: u64) -> AgentStatus {
    AgentStatus {
        format_version: 1,
        agent_id: id.into(),
        site: site.into(),
        reported_at: proto::rfc3339(SystemTime::now()),
        acked_generation: acked,
        rejected: vec![],
        disconnected_since: None,
        last_disconnection_s: Some(61.0),
        workloads: vec![WorkloadStatus { name: "b".into(), replica: 0, state: WorkloadState::Running, pid: Some(1), container_id: None, restarts: 2, started_at: None }],
        telemetry: TelemetrySummary { buffered: 7, ..TelemetrySummary::default() },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_verifies_agent_status_with_the_registered_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config("one", true));
    apply(dir.path()).await.expect("apply");
    let ws = open(dir.path()).await;
    let r = ws.edge_list().await.expect("report");
    assert!(r.warning.is_none(), "{:?}", r.warning);
    let names: Vec<&str> = r.sites.iter().map(|s| s.site.as_str()).collect();
    assert_eq!(names, ["eu", "f7", "f8"]);
    let f8 = &r.sites[2];
    assert_eq!((f8.desired_generation, f8.workloads_desired, f8.agents.len(), f8.pending), (Some(1), 2, 0, false));

    // An agent enrolls and reports; a second one's status is forged.
    let mb = proto::FileMailbox::new(dir.path().join(LOCAL_MAILBOX_DIR));
    let mut ids = Vec::new();
    for _ in 0..2 {
        let k = proto::generate_key().expect("key");
        let id = proto::agent_id(&k.verifying_key());
        let rec = AgentRecord {
            format_version: 1,
            agent_id: id.clone(),
            site: "f8".into(),
            public_key: proto::encode_public_key(&k.verifying_key()),
            enrolled_at: proto::rfc3339(SystemTime::now()),
            token_id: "t".into(),
            facts: Facts { hostname: "n1".into(), ..Facts::default() },
        };
        proto::Mailbox::put(&mb, &keys::agent("f8", &id), &serde_json::to_vec(&rec).expect("json")).await.expect("put");
        ids.push((id, k));
    }
    let forger = proto::generate_key().expect("key");
    proto::Mailbox::put(&mb, &keys::status("f8", &ids[0].0), &Envelope::seal(&ids[0].1, &status("f8", &ids[0].0, 1))).await.expect("put");
    proto::Mailbox::put(&mb, &keys::status("f8", &ids[1].0), &Envelope::seal(&forger, &status("f8", &ids[1].0, 1))).await.expect("put");
    let r = ws.edge_list().await.expect("report");
    let f8 = &r.sites[2];
    assert_eq!(f8.agents.len(), 2);
    let good = f8.agents.iter().find(|a| a.agent_id == ids[0].0).expect("agent");
    let s = good.status.as_ref().expect("verified");
    assert_eq!((s.acked_generation, s.telemetry.buffered, s.workloads[0].restarts, good.hostname.as_str()), (1, 7, 2, "n1"));
    let bad = f8.agents.iter().find(|a| a.agent_id == ids[1].0).expect("agent");
    assert!(bad.status.as_ref().is_err_and(|e| e.contains("status rejected")), "{:?}", bad.status);
    // Disconnection tolerance: the workloads' default 24h; a fresh status is within it.
    assert_eq!(f8.tolerate_disconnection, Some(Duration::from_secs(86_400)));
    assert_eq!(r.sites[0].tolerate_disconnection, None, "a site without workloads has no tolerance");
    assert!(good.last_seen().is_some_and(|d| d < Duration::from_secs(60)));
    assert!(!f8.beyond_tolerance(good) && !f8.beyond_tolerance(bad));
    let mut stale = status("f8", &ids[0].0, 1);
    stale.reported_at = proto::rfc3339(SystemTime::now() - Duration::from_secs(86_400 + 60));
    proto::Mailbox::put(&mb, &keys::status("f8", &ids[0].0), &Envelope::seal(&ids[0].1, &stale)).await.expect("put");
    let r = ws.edge_list().await.expect("report");
    let f8 = &r.sites[2];
    let good = f8.agents.iter().find(|a| a.agent_id == ids[0].0).expect("agent");
    assert!(f8.beyond_tolerance(good), "last seen a day and a minute ago, tolerance 24h");

    // An unreachable mailbox: sites from state, a warning, no agents.
    std::fs::rename(dir.path().join(LOCAL_MAILBOX_DIR), dir.path().join(".contin/moved")).expect("mv");
    std::fs::write(dir.path().join(LOCAL_MAILBOX_DIR), "not a dir").expect("file");
    let r = ws.edge_list().await.expect("report");
    assert_eq!(r.sites.len(), 3);
    assert!(r.warning.as_deref().is_some_and(|w| w.contains("unreachable")), "{:?}", r.warning);
}
