//! Relay: a 3-level tree (mailbox → site agent A → sub-site agent B →
//! sub-sub-site agent C). B's own uplink is cut: it keeps syncing through
//! A; C only ever reaches B. Then A's uplink is cut too: nothing stops.

mod common;

use common::*;
use contin_edge_proto::Envelope;
use std::time::Duration;

const T: Duration = Duration::from_secs(25);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_subtree_keeps_syncing_through_its_parent_agent_while_its_uplink_is_down() {
    let d = Deployment::new();
    let (a, b, c) = (site("ra"), site("rb"), site("rc"));
    let _g = (SiteGuard(a.clone()), SiteGuard(b.clone()), SiteGuard(c.clone()));
    d.publish_doc(&Deployment::doc(&a, 1, vec![sleeper("wa", 1)], vec![b.clone()]));
    d.publish_doc(&Deployment::doc(&b, 1, vec![sleeper("wb", 1)], vec![c.clone()]));
    d.publish_doc(&Deployment::doc(&c, 1, vec![sleeper("wc", 1)], vec![]));

    // B and C reach the mailbox through links the test can cut.
    let link_b = d.dir.path().join("link-b");
    let link_c = d.dir.path().join("link-c");
    std::os::unix::fs::symlink(d.mailbox(), &link_b).unwrap();
    std::os::unix::fs::symlink(d.mailbox(), &link_c).unwrap();
    let token = |site: &str, link: &std::path::Path| contin_edge_proto::Token::create(&d.claims(site, &format!("file://{}", link.display()), Duration::from_secs(600)), &d.key);
    let (pa, pb) = (free_port(), free_port());
    let _agent_a = AgentProc::start(&d.dir.path().join("agent-a"), Some(&d.token(&a)), &["--serve", &format!("127.0.0.1:{pa}")]);
    let _agent_b = AgentProc::start(
        &d.dir.path().join("agent-b"),
        Some(&token(&b, &link_b)),
        &["--serve", &format!("127.0.0.1:{pb}"), "--upstream", &format!("file://{}", link_b.display()), "--upstream", &format!("http://127.0.0.1:{pa}")],
    );
    // C has no mailbox upstream at all: only its parent B.
    let agent_c = AgentProc::start(&d.dir.path().join("agent-c"), Some(&token(&c, &link_c)), &["--upstream", &format!("http://127.0.0.1:{pb}")]);
    for (s, w) in [(&a, "wa"), (&b, "wb"), (&c, "wc")] {
        wait_for(&format!("{w} running"), T, || pid_of(s, w, 0));
    }
    wait_for("C acked generation 1 (through B)", T, || d.status(&c).filter(|s| s.acked_generation == 1));
    assert!(agent_c.log_text().contains(&format!("generation 1 verified (from http://127.0.0.1:{pb})")), "{}", agent_c.log_text());

    // Cut B's uplink; a new generation for B and C arrives through A.
    std::fs::remove_file(&link_b).unwrap();
    d.publish_doc(&Deployment::doc(&b, 2, vec![sleeper("wb", 1), sleeper("wb2", 1)], vec![c.clone()]));
    d.publish_doc(&Deployment::doc(&c, 2, vec![sleeper("wc", 1), sleeper("wc2", 1)], vec![]));
    wait_for("B converged through A", T, || pid_of(&b, "wb2", 0));
    wait_for("C converged through B", T, || pid_of(&c, "wc2", 0));
    let logs_b = std::fs::read_to_string(d.dir.path().join("agent-b.agent.log")).unwrap();
    assert!(logs_b.contains(&format!("generation 2 verified (from http://127.0.0.1:{pa})")), "{logs_b}");

    // A forged document cannot pass through a relay: C verifies it itself.
    // (Served by a rogue relay standing in for B.)
    let rogue_cache = contin_agent::relay::RelayCache::default();
    let attacker = contin_edge_proto::generate_key().unwrap();
    rogue_cache.set(&c, &Envelope::seal(&attacker, &Deployment::doc(&c, 9, vec![], vec![])));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (rogue_addr, serve) = rt.block_on(contin_agent::relay::bind("127.0.0.1:0".parse().unwrap(), rogue_cache)).unwrap();
    rt.spawn(serve);
    let c2_dir = d.dir.path().join("agent-c2");
    let c2 = AgentProc::start(&c2_dir, Some(&token(&c, &d.dir.path().join("nowhere"))), &["--upstream", &format!("http://{rogue_addr}")]);
    wait_for("forged document rejected by the child", T, || c2.log_text().contains("signed by another key").then_some(()));
    drop(c2);

    // A's uplink goes too: everything keeps running, crashes are restarted.
    let c_log_before = agent_c.log_text().len();
    let before: Vec<_> = [&a, &b, &c].iter().flat_map(|s| workload_procs(s)).collect();
    std::fs::rename(d.mailbox(), d.dir.path().join("mailbox-cut")).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let wc = pid_of(&c, "wc", 0).unwrap();
    kill(wc);
    wait_for("wc restarted with every uplink down", T, || pid_of(&c, "wc", 0).filter(|p| *p != wc));
    let after: Vec<_> = [&a, &b, &c].iter().flat_map(|s| workload_procs(s)).filter(|(_, w, _)| w != "wc").collect();
    let still: Vec<_> = before.iter().filter(|(_, w, _)| w != "wc").cloned().collect();
    assert_eq!(after.len(), 4);
    assert_eq!(after, still, "nothing stopped or restarted but the killed one");
    // C still talks to B (its only upstream) and was never disconnected.
    let c_log = agent_c.log_text();
    assert!(!c_log[c_log_before..].contains("no upstream reachable"), "{c_log}");
}
