//! The agent binary with process workloads against a file mailbox: start,
//! restart, kill -9 of the agent and adoption, rejected documents, offline
//! autonomy and reconvergence. Real processes; /proc is the witness.

mod common;

use common::*;
use contin_edge_proto::{Envelope, WorkloadState};
use std::collections::BTreeMap;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn pids(site: &str) -> BTreeMap<(String, u32), u32> {
    workload_procs(site).into_iter().map(|(p, w, r)| ((w, r), p)).collect()
}

/// Waits until each (workload, replica) runs exactly once and nothing else runs.
fn wait_running(site: &str, want: &[(&str, u32)]) -> BTreeMap<(String, u32), u32> {
    wait_for(&format!("{want:?} running"), T, || {
        let procs = workload_procs(site);
        let keys: Vec<(String, u32)> = procs.iter().map(|(_, w, r)| (w.clone(), *r)).collect();
        let mut wanted: Vec<(String, u32)> = want.iter().map(|(w, r)| (w.to_string(), *r)).collect();
        wanted.sort();
        (keys == wanted).then(|| pids(site))
    })
}

#[test]
fn workloads_run_restart_and_are_adopted_after_kill_9_of_the_agent() {
    let d = Deployment::new();
    let site = site("adopt");
    let _g = SiteGuard(site.clone());
    d.publish(&site, 1, vec![sleeper("web", 2), sleeper("db", 1)]);
    let data = d.dir.path().join("agent");
    let mut agent = AgentProc::start(&data, Some(&d.token(&site)), &[]);
    let first = wait_running(&site, &[("db", 0), ("web", 0), ("web", 1)]);

    // Enrolled: its key is private, agent.json registered, status acked.
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(data.join("agent.key")).unwrap().permissions().mode() & 0o777, 0o600);
    let st = wait_for("status acking generation 1", T, || d.status(&site).filter(|s| s.acked_generation == 1 && s.workloads.len() == 3));
    assert!(st.workloads.iter().all(|w| w.state == WorkloadState::Running && w.pid.is_some()), "{st:?}");
    assert!(d.agents(&site)[0].facts.cpus >= 1);

    // A killed workload is restarted (a new process, restarts = 1).
    let old = first[&("web".to_string(), 1)];
    kill(old);
    let new = wait_for("web[1] restarted", T, || pid_of(&site, "web", 1).filter(|p| *p != old));
    assert_ne!(new, old);
    wait_for("restart counted in status", T, || d.status(&site).filter(|s| s.workloads.iter().any(|w| w.name == "web" && w.replica == 1 && w.restarts == 1)));
    assert!(agent.log_text().contains("restarted web replica 1"), "{}", agent.log_text());

    // kill -9 of the agent: every workload keeps running.
    agent.kill9();
    std::thread::sleep(Duration::from_secs(1));
    let before = pids(&site);
    assert_eq!(before.len(), 3, "{before:?}");
    assert_eq!(before[&("web".to_string(), 1)], new);

    // Restarted without a token: adopts (same pids, exactly one copy each).
    let agent2 = AgentProc::start(&data, None, &[]);
    wait_for("adoption logged", T, || agent2.log_text().contains("adopted db replica 0").then_some(()));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(pids(&site), before, "the restarted agent adopted instead of starting copies");
    for (w, r) in [("db", 0), ("web", 0), ("web", 1)] {
        pid_of(&site, w, r).unwrap();
    }
    assert!(!agent2.log_text().contains("started web"), "{}", agent2.log_text());

    // Adopted workloads are still supervised: a crash is restarted.
    let db = before[&("db".to_string(), 0)];
    kill(db);
    wait_for("adopted db restarted", T, || pid_of(&site, "db", 0).filter(|p| *p != db));
}

#[test]
fn tampered_foreign_older_and_untrusted_documents_are_rejected_running_set_untouched() {
    let d = Deployment::new();
    let site = site("reject");
    let _g = SiteGuard(site.clone());
    d.publish(&site, 2, vec![sleeper("a", 1), sleeper("b", 1)]);
    let data = d.dir.path().join("agent");
    let agent = AgentProc::start(&data, Some(&d.token(&site)), &[]);
    let running = wait_running(&site, &[("a", 0), ("b", 0)]);
    wait_for("generation 2 acked", T, || d.status(&site).filter(|s| s.acked_generation == 2));

    let attacker = contin_edge_proto::generate_key().unwrap();
    let evil = Deployment::doc(&site, 3, vec![sleeper("evil", 1)], vec![]);
    // 1. Signed with another key.
    d.put_raw(&site, &Envelope::seal(&attacker, &evil));
    wait_for("untrusted key rejected", T, || d.status(&site).filter(|s| s.rejected.iter().any(|r| r.generation == 3 && r.reason.contains("another key"))));
    // 2. Tampered payload under the deployment key's name.
    let mut e = Envelope::parse(&Envelope::seal(&d.key, &Deployment::doc(&site, 3, vec![sleeper("a", 1)], vec![]))).unwrap();
    e.payload = Envelope::sign_bytes(&d.key, &serde_json::to_vec(&Deployment::doc(&site, 4, vec![sleeper("evil", 1)], vec![])).unwrap()).payload;
    d.put_raw(&site, &serde_json::to_vec(&e).unwrap());
    wait_for("bad signature rejected", T, || d.status(&site).filter(|s| s.rejected.iter().any(|r| r.generation == 4 && r.reason == "bad signature")));
    // 3. Another site's document (validly signed).
    d.publish_doc(&Deployment::doc("other-site", 5, vec![sleeper("evil", 1)], vec![]));
    d.put_raw(&site, &std::fs::read(d.mailbox().join("sites/other-site/desired.json")).unwrap());
    wait_for("foreign site rejected", T, || d.status(&site).filter(|s| s.rejected.iter().any(|r| r.generation == 5 && r.reason.contains("other-site"))));
    // 4. An older generation (validly signed).
    d.publish(&site, 1, vec![sleeper("evil", 1)]);
    wait_for("older generation rejected", T, || d.status(&site).filter(|s| s.rejected.iter().any(|r| r.generation == 1 && r.reason.contains("older"))));

    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(pids(&site), running, "running set untouched");
    let st = d.status(&site).unwrap();
    assert_eq!(st.acked_generation, 2);
    assert!(agent.log_text().contains("rejected document"), "{}", agent.log_text());

    // A valid newer document is still applied afterwards.
    d.publish(&site, 6, vec![sleeper("a", 1), sleeper("c", 1)]);
    let now = wait_running(&site, &[("a", 0), ("c", 0)]);
    assert_eq!(now[&("a".to_string(), 0)], running[&("a".to_string(), 0)], "unchanged workload not restarted");
    wait_for("generation 6 acked", T, || d.status(&site).filter(|s| s.acked_generation == 6));
}

#[test]
fn an_expired_or_forged_token_is_refused_at_enrollment() {
    let d = Deployment::new();
    let site = site("token");
    let expired = contin_edge_proto::Token::create(
        &contin_edge_proto::TokenClaims { expires_at: "2020-01-01T00:00:00Z".into(), ..d.claims(&site, &d.url(), Duration::from_secs(60)) },
        &d.key,
    );
    let data = d.dir.path().join("agent");
    let mut a = AgentProc::start(&data, Some(&expired), &[]);
    let code = a.child.wait().unwrap();
    assert_eq!(code.code(), Some(1));
    assert!(a.log_text().contains("token expired at 2020-01-01T00:00:00Z"), "{}", a.log_text());
    let forged = d.token(&site).replace("contin1.", "contin1.x");
    let mut a = AgentProc::start(&data, Some(&forged), &[]);
    assert_eq!(a.child.wait().unwrap().code(), Some(1));
    let mut a = AgentProc::start(&data, None, &[]);
    assert_eq!(a.child.wait().unwrap().code(), Some(1));
    assert!(a.log_text().contains("has no enrollment"), "{}", a.log_text());
    assert!(d.agents(&site).is_empty());
}

#[test]
fn offline_the_site_keeps_running_restarts_crashes_and_converges_on_reconnect() {
    let d = Deployment::new();
    let site = site("offline");
    let _g = SiteGuard(site.clone());
    let (a, b, c) = (sleeper("a", 1), sleeper("b", 1), sleeper("c", 1));
    d.publish(&site, 1, vec![a.clone(), b.clone(), c.clone()]);
    let data = d.dir.path().join("agent");
    let mut agent = AgentProc::start(&data, Some(&d.token(&site)), &["--telemetry-capacity", "1000"]);
    let g1 = wait_running(&site, &[("a", 0), ("b", 0), ("c", 0)]);
    wait_for("generation 1 acked", T, || d.status(&site).filter(|s| s.acked_generation == 1));

    // Cut the mailbox; meanwhile the spec changes (b changed, c removed, d added).
    let cut = d.dir.path().join("mailbox-cut");
    std::fs::rename(d.mailbox(), &cut).unwrap();
    let mut b2 = b.clone();
    b2.command = vec!["sleep".into(), "601".into()];
    let b2 = b2.hashed();
    let spec2 = vec![a.clone(), b2, sleeper("d", 1)];
    let sealed = Envelope::seal(&d.key, &Deployment::doc(&site, 2, spec2, vec![]));
    std::fs::write(cut.join(format!("sites/{site}/desired.json")), &sealed).unwrap();
    wait_for("disconnection noticed", T, || agent.log_text().contains("no upstream reachable").then_some(()));

    // Offline: a crash is restarted, nothing is stopped.
    kill(g1[&("a".to_string(), 0)]);
    let a2 = wait_for("a restarted offline", T, || pid_of(&site, "a", 0).filter(|p| *p != g1[&("a".to_string(), 0)]));
    // Offline kill -9 and restart: the agent resumes from its store and adopts.
    agent.kill9();
    let agent = AgentProc::start(&data, None, &["--telemetry-capacity", "1000"]);
    wait_for("adoption offline", T, || agent.log_text().contains("adopted c replica 0").then_some(()));
    std::thread::sleep(Duration::from_secs(3));
    let during = pids(&site);
    assert_eq!(during.len(), 3, "{during:?}");
    assert_eq!(during[&("a".to_string(), 0)], a2);
    assert_eq!(during[&("b".to_string(), 0)], g1[&("b".to_string(), 0)], "b not stopped while offline");
    assert_eq!(during[&("c".to_string(), 0)], g1[&("c".to_string(), 0)], "c not stopped while offline");
    assert!(!d.mailbox().exists(), "the agent never recreates a cut mailbox");

    // The link returns: converge to generation 2 within one poll + 2 s.
    std::fs::rename(&cut, d.mailbox()).unwrap();
    let back = std::time::Instant::now();
    let g2 = wait_running(&site, &[("a", 0), ("b", 0), ("d", 0)]);
    let took = back.elapsed();
    assert!(took < Duration::from_millis(300 + 2000 + 1000), "converged after {took:?}");
    assert_eq!(g2[&("a".to_string(), 0)], a2, "unchanged a not touched by the reconnection");
    assert_ne!(g2[&("b".to_string(), 0)], g1[&("b".to_string(), 0)], "changed b replaced");
    let st = wait_for("status after reconnect", T, || d.status(&site).filter(|s| s.acked_generation == 2 && s.disconnected_since.is_none() && s.telemetry.uploaded > 0));
    assert!(st.last_disconnection_s.unwrap_or(0.0) > 1.0, "{st:?}");
    assert!(d.telemetry_points(&site) >= 5, "points buffered offline were uploaded: {}", d.telemetry_points(&site));
    assert_eq!(st.telemetry.capacity, 1000);
}

/// Memory of an idle agent (3 workloads, poll 5 s, a relay listening):
/// printed for bench/RESULTS.md, bounded loosely so a leak or a runaway
/// cache fails the test.
#[test]
fn idle_agent_memory() {
    let d = Deployment::new();
    let site = site("rss");
    let _g = SiteGuard(site.clone());
    d.publish(&site, 1, vec![sleeper("a", 1), sleeper("b", 1), sleeper("c", 1)]);
    let agent = AgentProc::start(&d.dir.path().join("agent"), Some(&d.token(&site)), &["--poll", "5s", "--serve", "127.0.0.1:0"]);
    wait_running(&site, &[("a", 0), ("b", 0), ("c", 0)]);
    std::thread::sleep(Duration::from_secs(12));
    let status = std::fs::read_to_string(format!("/proc/{}/status", agent.child.id())).unwrap();
    let rss_kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap();
    let ps = std::process::Command::new("ps").args(["-o", "rss=", "-p", &agent.child.id().to_string()]).output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    eprintln!("ps -o rss: {ps} kB");
    let part = |k: &str| status.lines().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().to_string()).unwrap_or_default();
    eprintln!("idle agent RSS: {rss_kb} kB (anon {}, file {}) ({})", part("RssAnon:"), part("RssFile:"), std::env::var("CONTIN_BIN").or_else(|_| std::env::var("CONTIN_AGENT_BIN")).unwrap_or_else(|_| "contin-agent".into()));
    assert!(rss_kb < 64 * 1024, "idle agent uses {rss_kb} kB");
}

/// An exec health probe failing `failures` times in a row restarts the
/// replica; once it passes, the replica is left alone.
#[test]
fn failing_health_checks_restart_the_workload() {
    let d = Deployment::new();
    let site = site("health");
    let _g = SiteGuard(site.clone());
    let marker = d.dir.path().join("healthy");
    let spec = contin_edge_proto::WorkloadSpec {
        health: Some(contin_edge_proto::Health {
            kind: contin_edge_proto::HealthKind::Exec,
            target: String::new(),
            command: vec!["test".into(), "-f".into(), marker.display().to_string()],
            interval_s: 0.2,
            timeout_s: 1.0,
            failures: 2,
        }),
        ..sleeper("h", 1)
    }
    .hashed();
    d.publish(&site, 1, vec![spec]);
    let agent = AgentProc::start(&d.dir.path().join("agent"), Some(&d.token(&site)), &[]);
    let first = wait_for("h running", T, || pid_of(&site, "h", 0));
    wait_for("restarted after failed checks", T, || pid_of(&site, "h", 0).filter(|p| *p != first));
    assert!(agent.log_text().contains("failed 2 health checks"), "{}", agent.log_text());
    std::fs::write(&marker, b"").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let healthy = pid_of(&site, "h", 0).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(pid_of(&site, "h", 0), Some(healthy), "a healthy replica is left alone");
    wait_for("state running in status", T, || d.status(&site).filter(|s| s.workloads[0].state == WorkloadState::Running && s.workloads[0].restarts >= 1));
}
