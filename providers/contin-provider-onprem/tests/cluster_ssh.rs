//! The cluster orchestration over real SSH: one network namespace per host
//! (veth to the root namespace), each running a real `sshd` inside a private
//! mount namespace with its own /opt, /etc/rancher, /var/lib/rancher, …
//! The `Remote` here is the OpenSSH client (`ssh` with a pinned host key);
//! the russh transport has its own tests. Requires root, `ip`, `sshd`.

use async_trait::async_trait;
use contin_provider::{OpContext, ProviderError};
use contin_provider_onprem::cluster::{self, ClusterOps};
use contin_provider_onprem::remote::{Connector, ExecOutput, Remote, RemoteError};
use contin_types::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

const PRIVATE_DIRS: &[&str] =
    &["/opt", "/etc/rancher", "/var/lib/rancher", "/var/snap", "/etc/kubeedge", "/var/lib/kubeedge", "/var/lib/contin-test"];

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// One host: namespace, veth, sshd, private dirs.
struct NetnsHost {
    name: String,
    ns: String,
    veth: String,
    address: String,
    root: PathBuf,
    sshd: Option<Child>,
}

impl NetnsHost {
    /// `fleet` (< 16) and `idx` (1..=4) keep names and /30 subnets apart
    /// between tests of this process; the pid between processes.
    fn start(name: &str, fleet: u32, idx: u32, dir: &Path, client_pub: &str) -> NetnsHost {
        let pid = std::process::id() % 10_000;
        let ns = format!("ccl{pid}f{fleet}h{idx}");
        let veth = format!("cv{pid}f{fleet}h{idx}");
        assert!((1..=4).contains(&idx), "at most 4 hosts per fleet");
        let base = ((fleet % 16) * 4 + idx - 1) * 4;
        let net = format!("10.{}.{}", 100 + pid / 100, pid % 100);
        let root = dir.join(name);
        for m in PRIVATE_DIRS {
            std::fs::create_dir_all(root.join(m.trim_start_matches('/').replace('/', "_"))).unwrap();
        }
        let _ = Command::new("ip").args(["netns", "del", &ns]).output();
        let _ = Command::new("ip").args(["link", "del", &veth]).output();
        run("ip", &["netns", "add", &ns]);
        let mut host = NetnsHost { name: name.into(), ns: ns.clone(), veth: veth.clone(), address: format!("{net}.{}", base + 2), root, sshd: None };
        let peer = format!("{veth}p");
        run("ip", &["link", "add", &veth, "type", "veth", "peer", "name", &peer]);
        run("ip", &["link", "set", &peer, "netns", &ns]);
        run("ip", &["addr", "add", &format!("{net}.{}/30", base + 1), "dev", &veth]);
        run("ip", &["link", "set", &veth, "up"]);
        run("ip", &["netns", "exec", &ns, "ip", "addr", "add", &format!("{net}.{}/30", base + 2), "dev", &peer]);
        run("ip", &["netns", "exec", &ns, "ip", "link", "set", &peer, "up"]);
        run("ip", &["netns", "exec", &ns, "ip", "link", "set", "lo", "up"]);

        let hk = host.root.join("ssh_host_ed25519_key");
        run("ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-f", hk.to_str().unwrap()]);
        let auth = host.root.join("authorized_keys");
        std::fs::write(&auth, client_pub).unwrap();
        let cfg = host.root.join("sshd_config");
        std::fs::write(
            &cfg,
            format!(
                "ListenAddress {}\nPort 22\nHostKey {}\nAuthorizedKeysFile {}\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n",
                host.address,
                hk.display(),
                auth.display()
            ),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let mut setup = format!("set -e\nhostname {name}\n");
        for m in PRIVATE_DIRS {
            setup.push_str(&format!("mkdir -p {m} && mount --bind '{}' {m}\n", host.dir_for(m).display()));
        }
        setup.push_str(&format!("exec /usr/sbin/sshd -D -e -f '{}'\n", cfg.display()));
        let child = Command::new("ip")
            .args(["netns", "exec", &ns, "unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", &setup])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd");
        host.sshd = Some(child);
        host
    }

    fn dir_for(&self, mount: &str) -> PathBuf {
        self.root.join(mount.trim_start_matches('/').replace('/', "_"))
    }
    fn path(&self, p: &str) -> PathBuf {
        let m = PRIVATE_DIRS.iter().filter(|m| p.starts_with(*m)).max_by_key(|m| m.len()).expect("private path");
        self.dir_for(m).join(p[m.len()..].trim_start_matches('/'))
    }
    fn exists(&self, p: &str) -> bool {
        self.path(p).exists()
    }
    fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap_or_default()
    }
    fn host_key_line(&self) -> String {
        let pubkey = std::fs::read_to_string(self.root.join("ssh_host_ed25519_key.pub")).unwrap();
        format!("{} {}", self.address, pubkey.trim())
    }
    fn stop_sshd(&mut self) {
        if let Some(mut c) = self.sshd.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    fn value(&self) -> Value {
        Value::map([
            ("name", Value::string(&self.name)),
            ("address", Value::string(&self.address)),
            ("port", Value::int(22)),
            ("user", Value::string("root")),
        ])
    }
}

impl Drop for NetnsHost {
    fn drop(&mut self) {
        self.stop_sshd();
        let _ = Command::new("ip").args(["link", "del", &self.veth]).output();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
    }
}

/// A session through the OpenSSH client, host key pinned.
struct SshRemote {
    name: String,
    address: String,
    key: PathBuf,
    known_hosts: PathBuf,
}

impl SshRemote {
    fn command(&self, remote_cmd: &str) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("ssh");
        c.args(["-i", self.key.to_str().unwrap(), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=5"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .args(["-o", "LogLevel=ERROR", "-p", "22"])
            .arg(format!("root@{}", self.address))
            .arg("--")
            .arg(remote_cmd);
        c
    }
    fn result(&self, out: std::process::Output) -> Result<ExecOutput, RemoteError> {
        // 255: ssh itself failed (connect, handshake, auth).
        if out.status.code() == Some(255) {
            return Err(RemoteError::Unreachable { host: self.name.clone(), message: String::from_utf8_lossy(&out.stderr).trim().to_string() });
        }
        Ok(ExecOutput {
            status: out.status.code().map(|c| c as u32),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

#[async_trait]
impl Remote for SshRemote {
    fn name(&self) -> &str {
        &self.name
    }
    async fn exec(&self, command: &str) -> Result<ExecOutput, RemoteError> {
        let out = self.command(command).stdin(Stdio::null()).output().await.map_err(|e| RemoteError::Io(e.to_string()))?;
        self.result(out)
    }
    async fn upload(&self, path: &str, data: &[u8], mode: u32) -> Result<(), RemoteError> {
        use tokio::io::AsyncWriteExt;
        let q = format!("'{}'", path.replace('\'', r"'\''"));
        let mut child = self
            .command(&format!("cat > {q} && chmod {mode:o} {q}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| RemoteError::Io(e.to_string()))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(data).await.map_err(|e| RemoteError::Io(e.to_string()))?;
        drop(stdin);
        let out = child.wait_with_output().await.map_err(|e| RemoteError::Io(e.to_string()))?;
        let r = self.result(out)?;
        if !r.success() {
            return Err(RemoteError::Io(format!("upload {path}: {}", r.stderr.trim())));
        }
        Ok(())
    }
}

struct SshConnector {
    key: PathBuf,
    known_hosts: PathBuf,
}

#[async_trait]
impl Connector for SshConnector {
    async fn connect(&self, host: &Value) -> Result<Arc<dyn Remote>, RemoteError> {
        let field = |k: &str| match host {
            Value::Map(m) => match m.get(k) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        };
        let (Some(name), Some(address)) = (field("name"), field("address")) else {
            return Err(RemoteError::Io("host object without name/address".into()));
        };
        Ok(Arc::new(SshRemote { name, address, key: self.key.clone(), known_hosts: self.known_hosts.clone() }))
    }
}

struct Fleet {
    hosts: Vec<NetnsHost>,
    conn: SshConnector,
    _dir: tempfile::TempDir,
}

impl Fleet {
    async fn start(names: &[&str]) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_ed25519");
        run("ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-f", key.to_str().unwrap()]);
        let client_pub = std::fs::read_to_string(dir.path().join("id_ed25519.pub")).unwrap();
        static FLEETS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let fleet = FLEETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 16;
        let hosts: Vec<NetnsHost> =
            names.iter().enumerate().map(|(i, n)| NetnsHost::start(n, fleet, i as u32 + 1, dir.path(), &client_pub)).collect();
        let known_hosts = dir.path().join("known_hosts");
        std::fs::write(&known_hosts, hosts.iter().map(|h| h.host_key_line() + "\n").collect::<String>()).unwrap();
        let fleet = Fleet { hosts, conn: SshConnector { key, known_hosts }, _dir: dir };
        // Wait until every sshd answers.
        for h in &fleet.hosts {
            let mut ok = false;
            for _ in 0..50 {
                if let Ok(r) = fleet.conn.connect(&h.value()).await.unwrap().exec("true").await {
                    ok = r.success();
                    if ok {
                        break;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(ok, "sshd on {} did not come up", h.name);
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
    let ops = ClusterOps { log_dir: logs.path().to_path_buf() };
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
    let ops = ClusterOps { log_dir: logs.path().to_path_buf() };
    let v = ops.create(&fleet.planned("microk8s", &["m1"], &[]), &fleet.conn, &ctx()).await.expect("create");
    assert_eq!(get(&v, "node_count"), &Value::int(1));
    assert_eq!(get(&v, "api_endpoint"), &Value::string(format!("https://{}:16443", fleet.host("m1").address)));
    assert_eq!(ops.read(&v, &fleet.conn).await.unwrap(), Some(v.clone()));
    ops.delete(&v, &fleet.conn, &ctx()).await.expect("delete");
    assert!(!fleet.host("m1").exists("/var/snap/microk8s"));
    assert_eq!(ops.read(&v, &fleet.conn).await.unwrap(), None);
}
