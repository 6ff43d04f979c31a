//! The cluster orchestration over real SSH: the russh `SshConnector` of this
//! crate against real `sshd`s, one per network namespace with private
//! /opt, /etc/rancher, /var/lib/rancher, … (`contin_e2e::netns::SshHost`).
//! Requires root and `/usr/sbin/sshd` (./scripts/test installs it).

use contin_e2e::netns::SshHost;
use contin_provider::{OpContext, ProviderError};
use contin_provider_onprem::cluster::{self, ClusterOps};
use contin_provider_onprem::remote::Connector;
use contin_provider_onprem::ssh::{ConnectDefaults, SshConnector};
use contin_types::Value;
use std::path::PathBuf;

/// A machine under test: its sshd and the `host` object a cluster holds.
struct NetnsHost {
    name: String,
    host: SshHost,
    address: String,
    key: String,
}

impl NetnsHost {
    /// Path in the test's view of a file under one of the host's private dirs.
    fn path(&self, p: &str) -> PathBuf {
        self.host.local_path(p).expect("a path under a private dir")
    }
    fn exists(&self, p: &str) -> bool {
        self.path(p).exists()
    }
    fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap_or_default()
    }
    fn stop_sshd(&mut self) {
        self.host.stop();
    }
    fn value(&self) -> Value {
        Value::map([
            ("name", Value::string(&self.name)),
            ("address", Value::string(&self.address)),
            ("port", Value::int(i64::from(self.host.port()))),
            ("user", Value::string(self.host.user())),
            ("private_key", Value::string(&self.key)),
            ("host_key", Value::string(self.host.host_public_key())),
        ])
    }
}

struct Fleet {
    hosts: Vec<NetnsHost>,
    conn: SshConnector,
}

impl Fleet {
    async fn start(names: &[&str]) -> Fleet {
        let started: Vec<(String, SshHost)> = names.iter().map(|n| (n.to_string(), SshHost::start(n))).collect();
        // One client key for the fleet: the first host's, accepted by all.
        let key = started[0].1.client_key();
        let public = std::fs::read_to_string(format!("{}.pub", started[0].1.client_key_path().display())).expect("client public key");
        for (_, h) in &started[1..] {
            h.authorize(&public);
        }
        let hosts = started
            .into_iter()
            .map(|(name, host)| NetnsHost { address: host.address(), name, host, key: key.clone() })
            .collect();
        let conn = SshConnector::new(ConnectDefaults { known_hosts_file: None, connect_timeout: std::time::Duration::from_secs(10), ..Default::default() });
        let fleet = Fleet { hosts, conn };
        for h in &fleet.hosts {
            let r = fleet.conn.connect(&h.value()).await.unwrap_or_else(|e| panic!("{}: {e}", h.name));
            assert!(r.exec("true").await.expect("exec").success(), "{}", h.name);
        }
        fleet
    }
    fn host(&self, n: &str) -> &NetnsHost {
        self.hosts.iter().find(|h| h.name == n).unwrap()
    }
    fn host_mut(&mut self, n: &str) -> &mut NetnsHost {
        self.hosts.iter_mut().find(|h| h.name == n).unwrap()
    }
    fn planned(&self, flavor: &str, servers: &[&str], agents: &[&str]) -> Value {
        let list = |l: &[&str]| Value::List(l.iter().map(|n| self.host(n).value()).collect());
        let cfg = Value::map([
            ("name", Value::string("edge")),
            ("flavor", Value::string(flavor)),
            ("servers", list(servers)),
            ("agents", list(agents)),
            ("artifacts_dir", Value::string(format!("{}/../../tests/fixtures/installers", env!("CARGO_MANIFEST_DIR")))),
        ]);
        assert!(cluster::validate(&cfg).is_empty());
        cluster::plan_change(None, &cfg).planned
    }
}

fn ctx() -> OpContext {
    OpContext { address: "cluster.edge".parse().unwrap(), lineage: "ssh-test".into(), generation: 1 }
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    match v {
        Value::Map(m) => m.get(k).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

fn node_names(v: &Value) -> Vec<String> {
    match get(v, "nodes") {
        Value::List(l) => l.iter().map(|n| if let Value::String(s) = n { s.clone() } else { String::new() }).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn k3s_over_ssh_in_network_namespaces() {
    let mut fleet = Fleet::start(&["s1", "a1", "a2", "a3"]).await;
    let logs = tempfile::tempdir().unwrap();
    let ops = ClusterOps { log_dir: logs.path().to_path_buf(), base_dir: std::path::PathBuf::new() };
    fleet.host("a2").path("/var/lib/contin-test/fail-install").parent().map(std::fs::create_dir_all);
    std::fs::write(fleet.host("a2").path("/var/lib/contin-test/fail-install"), "").unwrap();

    // a2's installer fails: a1 joins anyway; the value records what exists.
    let plan = fleet.planned("k3s", &["s1"], &["a1", "a2"]);
    let err = ops.create(&plan, &fleet.conn, &ctx()).await.expect_err("a2 fails");
    let ProviderError::Partial { value, message } = err else { panic!("{err:?}") };
    assert!(message.starts_with("cluster.edge: host a2: join-agent.sh exited with status 1; last lines:"), "{message}");
    assert!(message.contains("K3S_TOKEN=(redacted)"), "{message}");
    assert_eq!(node_names(&value), ["s1", "a1"]);
    let server_addr = &fleet.host("s1").address;
    assert_eq!(get(&value, "api_endpoint"), &Value::string(format!("https://{server_addr}:6443")));
    assert!(fleet.host("a1").read("/var/lib/rancher/k3s/agent/joined").contains(&format!("server=https://{server_addr}:6443")));

    // Fixed: the next apply joins only a2, then a3 is added.
    std::fs::remove_file(fleet.host("a2").path("/var/lib/contin-test/fail-install")).unwrap();
    let next = cluster::plan_change(Some(&value), &fleet.planned("k3s", &["s1"], &["a1", "a2"]));
    let v = ops.update(&value, &next.planned, &fleet.conn, &ctx()).await.expect("a2 joins");
    assert_eq!(node_names(&v), ["s1", "a1", "a2"]);
    assert_eq!(ops.read(&v, &fleet.conn).await.unwrap(), Some(v.clone()), "healthy cluster refreshes unchanged");
    let grown = cluster::plan_change(Some(&v), &fleet.planned("k3s", &["s1"], &["a1", "a2", "a3"]));
    assert!(grown.requires_replace.is_empty());
    let v = ops.update(&v, &grown.planned, &fleet.conn, &ctx()).await.expect("a3 joins");
    assert_eq!(node_names(&v), ["s1", "a1", "a2", "a3"]);
    assert_eq!(fleet.host("a1").read("/var/lib/contin-test/installs.log").lines().count(), 1, "a1 installed once");
    assert_eq!(fleet.host("s1").read("/var/lib/contin-test/installs.log").lines().count(), 1, "s1 installed once");

    // Logs: per host and step, without the token.
    let token = match get(&v, "join_token") {
        Value::String(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    for h in ["s1", "a1", "a2", "a3"] {
        for e in std::fs::read_dir(logs.path().join("edge").join(h)).unwrap().flatten() {
            assert!(!std::fs::read_to_string(e.path()).unwrap().contains(&token), "{}", e.path().display());
        }
    }

    // The server stops answering: refresh says unreachable, it does not say gone.
    fleet.host_mut("s1").stop_sshd();
    let err = ops.read(&v, &fleet.conn).await.expect_err("s1 down");
    assert!(matches!(err, ProviderError::Unreachable(ref m) if m.contains("host s1")), "{err:?}");
    // Destroy with the server down fails and says why; agents are uninstalled meanwhile.
    let err = ops.delete(&v, &fleet.conn, &ctx()).await.expect_err("s1 down");
    assert!(err.to_string().contains("cluster.edge: host s1"), "{err}");
    assert!(!fleet.host("a1").exists("/var/lib/rancher/k3s"));
}

#[tokio::test]
async fn microk8s_single_node_over_ssh() {
    let fleet = Fleet::start(&["m1"]).await;
    let logs = tempfile::tempdir().unwrap();
    let ops = ClusterOps { log_dir: logs.path().to_path_buf(), base_dir: std::path::PathBuf::new() };
    let v = ops.create(&fleet.planned("microk8s", &["m1"], &[]), &fleet.conn, &ctx()).await.expect("create");
    assert_eq!(get(&v, "node_count"), &Value::int(1));
    assert_eq!(get(&v, "api_endpoint"), &Value::string(format!("https://{}:16443", fleet.host("m1").address)));
    assert_eq!(ops.read(&v, &fleet.conn).await.unwrap(), Some(v.clone()));
    ops.delete(&v, &fleet.conn, &ctx()).await.expect("delete");
    assert!(!fleet.host("m1").exists("/var/snap/microk8s"));
    assert_eq!(ops.read(&v, &fleet.conn).await.unwrap(), None);
}
