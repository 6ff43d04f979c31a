//! Cluster orchestration against hosts whose commands really run: each fake
//! host is a private mount + UTS namespace (`unshare`) with its own writable
//! /opt, /etc/rancher, /var/lib/rancher, /var/snap, /etc/kubeedge,
//! /var/lib/kubeedge and /var/lib/contin-test bound from a temp dir. The
//! installer stand-ins from tests/fixtures/installers run there, so templates,
//! ordering, token capture, idempotency and failure isolation are all real;
//! only the SSH transport is replaced (the netns sshd tests cover it).

use async_trait::async_trait;
use contin_provider::{OpContext, ProviderError};
use contin_provider_onprem::cluster::{self, ClusterOps};
use contin_provider_onprem::remote::{Connector, ExecOutput, Remote, RemoteError};
use contin_types::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Directories a test host has private, as the netns harness gives them.
const PRIVATE_DIRS: &[&str] =
    &["/opt", "/etc/rancher", "/var/lib/rancher", "/var/snap", "/etc/kubeedge", "/var/lib/kubeedge", "/var/lib/contin-test"];

struct FakeHost {
    name: String,
    root: PathBuf,
    commands: Mutex<Vec<String>>,
}

impl FakeHost {
    fn dir_for(&self, mount: &str) -> PathBuf {
        self.root.join(mount.trim_start_matches('/').replace('/', "_"))
    }
    /// The host-side path of an absolute path inside the host.
    fn path(&self, p: &str) -> Option<PathBuf> {
        PRIVATE_DIRS
            .iter()
            .filter(|m| p == **m || p.starts_with(&format!("{m}/")))
            .max_by_key(|m| m.len())
            .map(|m| self.dir_for(m).join(p[m.len()..].trim_start_matches('/')))
    }
    fn exists(&self, p: &str) -> bool {
        self.path(p).is_some_and(|p| p.exists())
    }
    fn read(&self, p: &str) -> String {
        self.path(p).and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default()
    }
    fn touch(&self, p: &str) {
        let path = self.path(p).expect("private path");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
    fn installs(&self) -> Vec<String> {
        self.read("/var/lib/contin-test/installs.log").lines().map(str::to_string).collect()
    }
}

#[async_trait]
impl Remote for FakeHost {
    fn name(&self) -> &str {
        &self.name
    }
    async fn exec(&self, command: &str) -> Result<ExecOutput, RemoteError> {
        self.commands.lock().unwrap().push(command.to_string());
        let mut setup = String::from("set -e\n");
        setup.push_str(&format!("hostname {}\n", self.name));
        for m in PRIVATE_DIRS {
            setup.push_str(&format!("mkdir -p {m} && mount --bind '{}' {m}\n", self.dir_for(m).display()));
        }
        setup.push_str("cd /\nexec sh -c \"$1\"\n");
        let out = tokio::process::Command::new("unshare")
            .args(["--mount", "--uts", "--propagation", "private", "sh", "-c", &setup, "fake-host"])
            .arg(command)
            .env_clear()
            .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", "/root")
            .output()
            .await
            .map_err(|e| RemoteError::Io(format!("unshare: {e}")))?;
        Ok(ExecOutput {
            status: out.status.code().map(|c| c as u32),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
    async fn upload(&self, path: &str, data: &[u8], mode: u32) -> Result<(), RemoteError> {
        use std::os::unix::fs::PermissionsExt;
        let local = self.path(path).ok_or_else(|| RemoteError::Io(format!("{path}: read-only file system")))?;
        if !local.parent().is_some_and(Path::is_dir) {
            return Err(RemoteError::Io(format!("{path}: no such file or directory (parent missing)")));
        }
        std::fs::write(&local, data).map_err(|e| RemoteError::Io(e.to_string()))?;
        std::fs::set_permissions(&local, std::fs::Permissions::from_mode(mode)).map_err(|e| RemoteError::Io(e.to_string()))
    }
}

#[derive(Default)]
struct FakeFleet {
    _tmp: Option<tempfile::TempDir>,
    hosts: BTreeMap<String, Arc<FakeHost>>,
    down: Mutex<Vec<String>>,
}

impl FakeFleet {
    fn new(names: &[&str]) -> FakeFleet {
        let tmp = tempfile::tempdir().unwrap();
        let mut hosts = BTreeMap::new();
        for n in names {
            let root = tmp.path().join(n);
            let h = FakeHost { name: n.to_string(), root, commands: Mutex::default() };
            for m in PRIVATE_DIRS {
                std::fs::create_dir_all(h.dir_for(m)).unwrap();
            }
            hosts.insert(n.to_string(), Arc::new(h));
        }
        FakeFleet { _tmp: Some(tmp), hosts, down: Mutex::default() }
    }
    fn host(&self, n: &str) -> &FakeHost {
        &self.hosts[n]
    }
    fn set_down(&self, n: &str) {
        self.down.lock().unwrap().push(n.to_string());
    }
}

#[async_trait]
impl Connector for FakeFleet {
    async fn connect(&self, host: &Value) -> Result<Arc<dyn Remote>, RemoteError> {
        let name = match host {
            Value::Map(m) => match m.get("name") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(RemoteError::Io("host object without name".into())),
            },
            _ => return Err(RemoteError::Io("not a host object".into())),
        };
        if self.down.lock().unwrap().contains(&name) {
            return Err(RemoteError::Unreachable { host: name, message: "connection timed out".into() });
        }
        self.hosts.get(&name).map(|h| h.clone() as Arc<dyn Remote>).ok_or(RemoteError::Unreachable { host: name, message: "no route".into() })
    }
}

fn host(name: &str, i: u8) -> Value {
    Value::map([
        ("name", Value::string(name)),
        ("address", Value::string(format!("10.77.0.{i}"))),
        ("port", Value::int(22)),
        ("user", Value::string("root")),
        ("private_key", Value::string("-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----")),
    ])
}

fn fixtures() -> String {
    format!("{}/../../tests/fixtures/installers", env!("CARGO_MANIFEST_DIR"))
}

fn planned(flavor: &str, servers: &[(&str, u8)], agents: &[(&str, u8)]) -> Value {
    let hosts = |l: &[(&str, u8)]| Value::List(l.iter().map(|(n, i)| host(n, *i)).collect());
    let cfg = Value::map([
        ("name", Value::string("edge")),
        ("flavor", Value::string(flavor)),
        ("site", Value::map([("name", Value::string("factory7")), ("kind", Value::string("site"))])),
        ("servers", hosts(servers)),
        ("agents", hosts(agents)),
        ("artifacts_dir", Value::string(fixtures())),
    ]);
    assert!(cluster::validate(&cfg).is_empty(), "{:?}", cluster::validate(&cfg));
    cluster::plan_change(None, &cfg).planned
}

fn ctx() -> OpContext {
    OpContext { address: "cluster.edge".parse().unwrap(), lineage: "test-lineage".into(), generation: 1 }
}

fn ops() -> (ClusterOps, tempfile::TempDir) {
    let logs = tempfile::tempdir().unwrap();
    (ClusterOps { log_dir: logs.path().to_path_buf(), base_dir: std::path::PathBuf::new() }, logs)
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    match v {
        Value::Map(m) => m.get(k).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    match get(v, k) {
        Value::String(s) => s,
        other => panic!("{k} is not a string: {other:?}"),
    }
}

fn names(v: &Value, k: &str) -> Vec<String> {
    match get(v, k) {
        Value::List(l) => l.iter().map(|h| if let Value::String(s) = h { s.clone() } else { s(h, "name").to_string() }).collect(),
        other => panic!("{k} is not a list: {other:?}"),
    }
}

/// Every log file's text, concatenated.
fn all_logs(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    out
}

fn assert_no_secrets(text: &str, v: &Value) {
    let token = s(v, "join_token");
    assert!(!token.is_empty());
    assert!(!text.contains(token), "token leaked in:\n{text}");
    if let Value::String(kc) = get(v, "kubeconfig") {
        for line in kc.lines().filter(|l| l.contains("-data:")) {
            let secret = line.split_once(':').unwrap().1.trim();
            assert!(!text.contains(secret), "kubeconfig credential leaked in:\n{text}");
        }
    }
}

#[tokio::test]
async fn k3s_server_and_two_agents_lifecycle() {
    let fleet = FakeFleet::new(&["s1", "a1", "a2", "a3"]);
    let (ops, logs) = ops();
    let plan = planned("k3s", &[("s1", 1)], &[("a1", 2), ("a2", 3)]);

    let v = ops.create(&plan, &fleet, &ctx()).await.expect("create");
    assert!(s(&v, "id").starts_with("k3s-edge-"), "{}", s(&v, "id"));
    assert_eq!(s(&v, "api_endpoint"), "https://10.77.0.1:6443");
    assert_eq!(s(&v, "site_name"), "factory7");
    assert_eq!(s(&v, "installed_version"), "v1.30.2+k3s1");
    assert_eq!(get(&v, "node_count"), &Value::int(3));
    assert_eq!(names(&v, "nodes"), ["s1", "a1", "a2"]);
    let s1 = fleet.host("s1");
    assert_eq!(s(&v, "join_token"), s1.read("/var/lib/rancher/k3s/server/node-token").trim());
    assert!(s(&v, "join_token").starts_with("K10"));
    let kc = s(&v, "kubeconfig");
    assert!(kc.contains("server: https://10.77.0.1:6443") && !kc.contains("127.0.0.1"), "{kc}");
    for a in ["a1", "a2"] {
        let joined = fleet.host(a).read("/var/lib/rancher/k3s/agent/joined");
        assert!(joined.contains("server=https://10.77.0.1:6443") && joined.contains(&format!("node={a}")), "{joined}");
        assert!(fleet.host(a).exists("/opt/contin/bin/k3s-agent-uninstall.sh"));
        // The join script held the token: it does not stay on the host.
        assert!(!fleet.host(a).exists("/opt/contin/clusters/edge/join-agent.sh"));
    }
    assert!(!fleet.host("a3").exists("/opt/contin"), "a3 is not in the cluster");
    // Step logs per host and step, secrets redacted.
    for (h, step) in [("s1", "install-server"), ("s1", "join-token"), ("s1", "upload-artifacts"), ("a1", "join-agent"), ("a2", "join-agent")] {
        assert!(logs.path().join("edge").join(h).join(format!("{step}.log")).is_file(), "{h}/{step}.log");
    }
    assert!(std::fs::read_to_string(logs.path().join("edge/a1/join-agent.log")).unwrap().contains("exit status: 0"));
    assert_no_secrets(&all_logs(logs.path()), &v);

    // Refresh of a healthy cluster: unchanged.
    assert_eq!(ops.read(&v, &fleet).await.expect("read"), Some(v.clone()));
    // Plan against the refreshed state: nothing to do.
    let again = cluster::plan_change(Some(&v), &planned("k3s", &[("s1", 1)], &[("a1", 2), ("a2", 3)]));
    assert!(again.requires_replace.is_empty());
    assert_eq!(again.planned, v, "re-plan of an installed cluster is a no-op");
    // The scripts themselves are idempotent: running create again installs nothing.
    let before: Vec<_> = ["s1", "a1", "a2"].iter().map(|h| fleet.host(h).installs()).collect();
    assert_eq!(before.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1, 1], "{before:?}");
    ops.create(&plan, &fleet, &ctx()).await.expect("re-create");
    let after: Vec<_> = ["s1", "a1", "a2"].iter().map(|h| fleet.host(h).installs()).collect();
    assert_eq!(before, after);

    // Add a3: only a3 joins.
    let grown = cluster::plan_change(Some(&v), &planned("k3s", &[("s1", 1)], &[("a1", 2), ("a2", 3), ("a3", 4)]));
    assert!(grown.requires_replace.is_empty());
    let a1_cmds = fleet.host("a1").commands.lock().unwrap().len();
    let v2 = ops.update(&v, &grown.planned, &fleet, &ctx()).await.expect("update");
    assert_eq!(fleet.host("a1").commands.lock().unwrap().len(), a1_cmds, "a1 untouched");
    assert_eq!(fleet.host("a3").installs(), ["k3s-install agent a3"]);
    assert_eq!(names(&v2, "nodes"), ["s1", "a1", "a2", "a3"]);
    assert_eq!(get(&v2, "node_count"), &Value::int(4));
    assert_eq!(s(&v2, "id"), s(&v, "id"));

    // Remove a1: only a1 is uninstalled.
    let shrunk = cluster::plan_change(Some(&v2), &planned("k3s", &[("s1", 1)], &[("a2", 3), ("a3", 4)]));
    let v3 = ops.update(&v2, &shrunk.planned, &fleet, &ctx()).await.expect("shrink");
    assert!(!fleet.host("a1").exists("/var/lib/rancher/k3s"));
    assert!(!fleet.host("a1").exists("/opt/contin/bin/k3s"));
    assert!(fleet.host("a2").exists("/var/lib/rancher/k3s/agent/joined"));
    assert_eq!(names(&v3, "agents"), ["a2", "a3"]);
    assert_eq!(fleet.host("s1").read("/var/lib/contin-test/removed-nodes"), "a1\n", "the server forgot a1");

    // Destroy: everything uninstalled, and the cluster reads as gone.
    ops.delete(&v3, &fleet, &ctx()).await.expect("delete");
    for h in ["s1", "a2", "a3"] {
        let host = fleet.host(h);
        for p in ["/var/lib/rancher/k3s", "/etc/rancher/k3s", "/opt/contin/bin/k3s", "/opt/contin/artifacts/k3s", "/opt/contin/clusters/edge"] {
            assert!(!host.exists(p), "{h}:{p} left behind");
        }
    }
    assert_eq!(ops.read(&v3, &fleet).await.expect("read after delete"), None);
    assert_no_secrets(&all_logs(logs.path()), &v2);
}

#[tokio::test]
async fn failing_agent_is_partial_and_others_join() {
    let fleet = FakeFleet::new(&["s1", "a1", "a2"]);
    let (ops, logs) = ops();
    fleet.host("a2").touch("/var/lib/contin-test/fail-install");
    let plan = planned("k3s", &[("s1", 1)], &[("a1", 2), ("a2", 3)]);

    let err = ops.create(&plan, &fleet, &ctx()).await.expect_err("a2 fails");
    let ProviderError::Partial { value, message } = err else { panic!("expected Partial, got {err:?}") };
    assert!(message.starts_with("cluster.edge: host a2: join-agent.sh exited with status 1; last lines:\n"), "{message}");
    assert!(message.contains("injected failure"), "{message}");
    assert!(message.lines().count() <= 11, "{message}");
    assert_eq!(names(&value, "agents"), ["a1"]);
    assert_eq!(names(&value, "nodes"), ["s1", "a1"]);
    assert_eq!(get(&value, "node_count"), &Value::int(2));
    assert!(fleet.host("a1").exists("/var/lib/rancher/k3s/agent/joined"));
    assert!(!fleet.host("a2").exists("/var/lib/rancher/k3s/agent/joined"));
    // The failing installer printed the token: message and log carry it redacted.
    assert!(!message.contains(s(&value, "join_token")), "{message}");
    assert!(message.contains("K3S_TOKEN=(redacted)"), "{message}");
    let log = std::fs::read_to_string(logs.path().join("edge/a2/join-agent.log")).unwrap();
    assert!(log.contains("exit status: 1") && log.contains("K3S_TOKEN=(redacted)"), "{log}");
    assert_no_secrets(&all_logs(logs.path()), &value);

    // Next plan: an in-place update adding just a2; after the fix it joins.
    std::fs::remove_file(fleet.host("a2").path("/var/lib/contin-test/fail-install").unwrap()).unwrap();
    let next = cluster::plan_change(Some(&value), &planned("k3s", &[("s1", 1)], &[("a1", 2), ("a2", 3)]));
    assert!(next.requires_replace.is_empty());
    assert_ne!(next.planned, *value);
    let v = ops.update(&value, &next.planned, &fleet, &ctx()).await.expect("rejoin");
    assert_eq!(names(&v, "agents"), ["a1", "a2"]);
    assert_eq!(fleet.host("a1").installs().len(), 1);
    assert_eq!(fleet.host("a2").installs(), ["k3s-install agent a2"]);
}

#[tokio::test]
async fn failing_server_fails_plainly_and_touches_no_agent() {
    let fleet = FakeFleet::new(&["s1", "a1"]);
    let (ops, logs) = ops();
    fleet.host("s1").touch("/var/lib/contin-test/fail-install");
    let err = ops.create(&planned("k3s", &[("s1", 1)], &[("a1", 2)]), &fleet, &ctx()).await.expect_err("server fails");
    let ProviderError::Failed(message) = err else { panic!("expected Failed, got {err:?}") };
    assert!(message.starts_with("cluster.edge: host s1: install-server.sh exited with status 1; last lines:\n"), "{message}");
    assert!(message.contains("Job for k3s-server.service failed"), "{message}");
    assert!(fleet.host("a1").commands.lock().unwrap().is_empty());
    assert!(logs.path().join("edge/s1/install-server.log").is_file());
}

#[tokio::test]
async fn unreachable_hosts_on_read() {
    let fleet = FakeFleet::new(&["s1", "a1"]);
    let (ops, _logs) = ops();
    let v = ops.create(&planned("k3s", &[("s1", 1)], &[("a1", 2)]), &fleet, &ctx()).await.expect("create");

    // An unreachable agent is not a gone agent.
    fleet.set_down("a1");
    assert_eq!(ops.read(&v, &fleet).await.unwrap(), Some(v.clone()));
    // An unreachable server: the refresh cannot tell.
    fleet.set_down("s1");
    let err = ops.read(&v, &fleet).await.expect_err("server down");
    assert!(matches!(&err, ProviderError::Unreachable(m) if m.contains("host s1") && m.contains("timed out")), "{err:?}");
}

#[tokio::test]
async fn agent_uninstalled_out_of_band_is_dropped_on_read() {
    let fleet = FakeFleet::new(&["s1", "a1", "a2"]);
    let (ops, _logs) = ops();
    let v = ops.create(&planned("k3s", &[("s1", 1)], &[("a1", 2), ("a2", 3)]), &fleet, &ctx()).await.expect("create");
    fleet.host("a2").exec("/opt/contin/bin/k3s-agent-uninstall.sh").await.unwrap();
    let r = ops.read(&v, &fleet).await.unwrap().expect("cluster still there");
    assert_eq!(names(&r, "agents"), ["a1"]);
    assert_eq!(get(&r, "node_count"), &Value::int(2));
}

#[tokio::test]
async fn missing_artifact_is_named() {
    let fleet = FakeFleet::new(&["s1"]);
    let (ops, _logs) = ops();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("k3s")).unwrap();
    std::fs::write(dir.path().join("k3s/install.sh"), "#!/bin/sh\n").unwrap();
    let mut plan = planned("k3s", &[("s1", 1)], &[]);
    if let Value::Map(m) = &mut plan {
        m.insert("artifacts_dir".into(), Value::string(dir.path().to_string_lossy()));
    }
    let err = ops.create(&plan, &fleet, &ctx()).await.expect_err("no k3s binary");
    let ProviderError::Invalid(msg) = err else { panic!("{err:?}") };
    assert!(msg.contains(&format!("{}/k3s/k3s is missing", dir.path().display())), "{msg}");
    assert!(fleet.host("s1").commands.lock().unwrap().is_empty(), "nothing ran");

    if let Value::Map(m) = &mut plan {
        m.insert("artifacts_dir".into(), Value::string("/nonexistent/artifacts"));
    }
    let err = ops.create(&plan, &fleet, &ctx()).await.expect_err("no dir");
    assert!(err.to_string().contains("/nonexistent/artifacts/k3s does not exist"), "{err}");
}

#[tokio::test]
async fn microk8s_single_node_and_worker() {
    let fleet = FakeFleet::new(&["m1", "w1"]);
    let (ops, logs) = ops();
    let plan = planned("microk8s", &[("m1", 1)], &[("w1", 2)]);
    let v = ops.create(&plan, &fleet, &ctx()).await.expect("create");
    assert_eq!(s(&v, "api_endpoint"), "https://10.77.0.1:16443");
    assert_eq!(s(&v, "installed_version"), "v1.30.1");
    assert!(s(&v, "kubeconfig").contains("client-key-data"));
    let token = s(&v, "join_token");
    assert_eq!(token.split('/').next().unwrap().len(), 32, "{token}");
    assert!(fleet.host("w1").exists("/var/snap/microk8s/current/var/lock/worker"));
    assert_eq!(fleet.host("w1").installs(), ["microk8s-install node w1", "microk8s-join agent w1"]);
    assert_no_secrets(&all_logs(logs.path()), &v);
    assert_eq!(ops.read(&v, &fleet).await.unwrap(), Some(v.clone()));

    ops.delete(&v, &fleet, &ctx()).await.expect("delete");
    assert!(!fleet.host("m1").exists("/var/snap/microk8s"));
    assert!(!fleet.host("w1").exists("/var/snap/microk8s"));
    assert_eq!(ops.read(&v, &fleet).await.unwrap(), None);
}

#[tokio::test]
async fn kubeedge_cloudcore_and_edge_nodes() {
    let fleet = FakeFleet::new(&["cloud", "e1", "e2"]);
    let (ops, logs) = ops();
    let plan = planned("kubeedge", &[("cloud", 1)], &[("e1", 2), ("e2", 3)]);
    let v = ops.create(&plan, &fleet, &ctx()).await.expect("create");
    assert_eq!(s(&v, "api_endpoint"), "https://10.77.0.1:10000");
    assert_eq!(s(&v, "installed_version"), "v1.17.0");
    assert_eq!(get(&v, "kubeconfig"), &Value::Null);
    for e in ["e1", "e2"] {
        let cfg = fleet.host(e).read("/etc/kubeedge/config/edgecore.yaml");
        assert!(cfg.contains(&format!("hostnameOverride: {e}")) && cfg.contains("https://10.77.0.1:10002"), "{cfg}");
    }
    assert_no_secrets(&all_logs(logs.path()), &v);
    ops.delete(&v, &fleet, &ctx()).await.expect("delete");
    assert!(!fleet.host("e1").exists("/etc/kubeedge/config/edgecore.yaml"));
    assert!(!fleet.host("cloud").exists("/etc/kubeedge/config/cloudcore.yaml"));
}

#[tokio::test]
async fn k8s_adoption_reads_the_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k8s.example:6443\n  name: prod\n").unwrap();
    let cfg = Value::map([
        ("name", Value::string("prod")),
        ("flavor", Value::string("k8s")),
        ("kubeconfig_path", Value::string(kc.to_string_lossy())),
    ]);
    assert!(cluster::validate(&cfg).is_empty());
    let fleet = FakeFleet::new(&[]);
    let (ops, _logs) = ops();
    let v = ops.create(&cluster::plan_change(None, &cfg).planned, &fleet, &ctx()).await.expect("adopt");
    assert_eq!(s(&v, "api_endpoint"), "https://k8s.example:6443");
    assert!(s(&v, "id").starts_with("k8s-prod-"));
    assert_eq!(get(&v, "node_count"), &Value::int(0));
    assert_eq!(ops.read(&v, &fleet).await.unwrap(), Some(v.clone()));
    ops.delete(&v, &fleet, &ctx()).await.expect("forget");
    assert!(kc.exists());
}

#[tokio::test]
async fn k3s_two_servers_form_an_ha_control_plane() {
    let fleet = FakeFleet::new(&["s1", "s2", "a1"]);
    let (ops, _logs) = ops();
    let v = ops.create(&planned("k3s", &[("s1", 1), ("s2", 2)], &[("a1", 3)]), &fleet, &ctx()).await.expect("create");
    assert_eq!(names(&v, "nodes"), ["s1", "s2", "a1"]);
    let token = s(&v, "join_token");
    // s2 joined s1 as a server and shares its token; the agent joined s1.
    assert_eq!(fleet.host("s2").read("/var/lib/rancher/k3s/server/node-token").trim(), token);
    assert!(fleet.host("s2").read("/var/lib/rancher/k3s/agent/joined").contains("role=server"));
    assert!(fleet.host("s2").exists("/opt/contin/bin/k3s-uninstall.sh"));
    assert!(fleet.host("s1").commands.lock().unwrap().iter().any(|c| c.contains("install-server.sh")));
    assert!(!fleet.host("s2").commands.lock().unwrap().iter().any(|c| c.contains("install-server.sh")));
    ops.delete(&v, &fleet, &ctx()).await.expect("delete");
    assert!(!fleet.host("s2").exists("/var/lib/rancher/k3s"));
}

#[tokio::test]
async fn microk8s_removed_worker_leaves_and_is_forgotten() {
    let fleet = FakeFleet::new(&["m1", "w1", "w2"]);
    let (ops, _logs) = ops();
    let v = ops.create(&planned("microk8s", &[("m1", 1)], &[("w1", 2), ("w2", 3)]), &fleet, &ctx()).await.expect("create");
    let next = cluster::plan_change(Some(&v), &planned("microk8s", &[("m1", 1)], &[("w2", 3)]));
    let v2 = ops.update(&v, &next.planned, &fleet, &ctx()).await.expect("remove w1");
    assert_eq!(names(&v2, "nodes"), ["m1", "w2"]);
    assert!(!fleet.host("w1").exists("/var/snap/microk8s"));
    assert!(fleet.host("w2").exists("/var/snap/microk8s/current/var/lock/clustered.lock"));
    assert_eq!(fleet.host("m1").read("/var/lib/contin-test/removed-nodes"), "w1\n");
}
