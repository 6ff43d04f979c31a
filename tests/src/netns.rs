//! Hosts for SSH tests: a real `sshd` inside a network namespace per host
//! (veth pair to the root namespace), created and removed by the test.
//!
//! Each [`SshHost`] gets:
//! - a network namespace `contin-<name>-<pid>-<slot>` with a veth pair on a
//!   private /30 (`10.213.X.Y/30`, root side `.1`, host side `.2`); the slot
//!   is claimed with an `O_EXCL` lock file under `/tmp/contin-netns-slots`, so
//!   parallel test processes (nextest) never collide, and slots whose owner
//!   died are cleaned up (namespace deleted, its sshd killed) and reused;
//! - a private mount + UTS namespace (`unshare --mount --uts`) in which every
//!   directory of [`PRIVATE_DIRS`] (plus any extra ones) is a bind mount of a
//!   per-host temp dir, and the hostname is the host's name;
//! - fresh ed25519 host and client keys (`ssh-keygen`), and `sshd -D -e`
//!   listening on the host address, port 22, public key auth for root only.
//!
//! Needs root and `/usr/sbin/sshd` (`./scripts/test` installs openssh-server):
//! without them [`SshHost::start`] panics — SSH tests never skip silently.
//! `Drop` kills sshd and deletes the namespace and veth, also on panic.

use crate::{run_command, Output};
use std::fs::OpenOptions;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Directories every test host has private (writable, empty at start).
pub const PRIVATE_DIRS: &[&str] =
    &["/opt", "/etc/rancher", "/var/lib/rancher", "/var/snap", "/etc/kubeedge", "/var/lib/kubeedge", "/var/lib/contin-test"];

const SSHD: &str = "/usr/sbin/sshd";
const SLOT_DIR: &str = "/tmp/contin-netns-slots";
/// /30 subnets of 10.213.0.0/16 (slot 0 unused).
const SLOTS: u32 = 16384;

/// Extra settings for [`SshHost::start_with`].
#[derive(Clone, Debug, Default)]
pub struct SshHostOptions {
    /// Absolute directories made private (bind-mounted from a per-host temp
    /// dir) in addition to [`PRIVATE_DIRS`]; created in the root fs when missing.
    pub extra_dirs: Vec<String>,
    /// Files written into the host's private dirs before sshd starts
    /// (absolute path inside the host under a private dir, contents).
    pub files: Vec<(String, String)>,
}

/// A running sshd in its own network + mount + UTS namespaces.
pub struct SshHost {
    name: String,
    netns: String,
    slot: u32,
    root_if: String,
    host_if: String,
    address: Ipv4Addr,
    dir: tempfile::TempDir,
    mounts: Vec<(String, PathBuf)>,
    child: Option<Child>,
    pid: u32,
    host_public_key: String,
}

fn slot_ips(slot: u32) -> (Ipv4Addr, Ipv4Addr) {
    let base = slot * 4;
    let (c, d) = ((base / 256) as u8, (base % 256) as u8);
    (Ipv4Addr::new(10, 213, c, d + 1), Ipv4Addr::new(10, 213, c, d + 2))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// Runs a setup command, panicking with its output when it fails.
fn must(program: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let out = run_command(cmd, None, Duration::from_secs(30));
    assert_eq!(out.code, 0, "`{program} {}` failed ({}):\n{}{}", args.join(" "), out.code, out.stdout, out.stderr);
    out
}

/// Runs a cleanup command, ignoring failures.
fn quiet(program: &str, args: &[&str]) {
    let _ = Command::new(program).args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status();
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn sanitize(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).take(20).collect();
    if s.is_empty() {
        "host".to_string()
    } else {
        s
    }
}

/// Removes what a dead test process left in `slot` (its lock file says what).
fn reclaim_stale(slot: u32, lock: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(lock) else { return false };
    let mut owner = None;
    let mut netns = None;
    let mut sshd = None;
    for line in text.lines() {
        match line.split_once('=') {
            Some(("owner", v)) => owner = v.parse::<u32>().ok(),
            Some(("netns", v)) => netns = Some(v.to_string()),
            Some(("sshd", v)) => sshd = v.parse::<u32>().ok(),
            _ => {}
        }
    }
    match owner {
        Some(pid) if pid_alive(pid) => return false,
        // Being written right now by its owner.
        None if lock.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(5)) => {
            return false
        }
        _ => {}
    }
    if let Some(pid) = sshd {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains("sshd") {
            quiet("kill", &["-9", &pid.to_string()]);
        }
    }
    if let Some(ns) = netns {
        quiet("ip", &["netns", "del", &ns]);
    }
    quiet("ip", &["link", "del", &format!("ctn{slot}r")]);
    std::fs::remove_file(lock).is_ok()
}

/// Claims a free slot (lock file created with O_EXCL).
fn claim_slot(netns_prefix: &str) -> (u32, String) {
    std::fs::create_dir_all(SLOT_DIR).expect("creating the netns slot dir");
    let start = (std::process::id().wrapping_mul(7919) ^ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos()) % (SLOTS - 1);
    for i in 0..(SLOTS - 1) {
        let slot = 1 + (start + i) % (SLOTS - 1);
        let lock = Path::new(SLOT_DIR).join(format!("slot-{slot}"));
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(mut f) => {
                    let netns = format!("{netns_prefix}-{slot}");
                    writeln!(f, "owner={}\nnetns={netns}", std::process::id()).expect("writing the slot lock");
                    return (slot, netns);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !reclaim_stale(slot, &lock) {
                        break;
                    }
                }
                Err(e) => panic!("creating {}: {e}", lock.display()),
            }
        }
    }
    panic!("no free network namespace slot in {SLOT_DIR}");
}

impl SshHost {
    /// Starts a host named `name` with the default private dirs.
    pub fn start(name: &str) -> SshHost {
        SshHost::start_with(name, SshHostOptions::default())
    }

    pub fn start_with(name: &str, opts: SshHostOptions) -> SshHost {
        assert!(is_root(), "SSH tests need root: they create network namespaces and run sshd (run them as root, e.g. via ./scripts/test)");
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (./scripts/test does) — SSH tests do not skip"
        );
        let dir = tempfile::Builder::new().prefix("contin-sshhost-").tempdir().expect("creating a temp dir");
        let d = dir.path().to_path_buf();
        let d = d.as_path();
        let short = sanitize(name);
        let (slot, netns) = claim_slot(&format!("contin-{short}-{}", std::process::id()));
        let (root_ip, address) = slot_ips(slot);
        let mut host = SshHost {
            name: name.to_string(),
            netns,
            slot,
            root_if: format!("ctn{slot}r"),
            host_if: format!("ctn{slot}h"),
            address,
            dir,
            mounts: Vec::new(),
            child: None,
            pid: 0,
            host_public_key: String::new(),
        };

        // Keys and sshd configuration.
        let key = |file: &str| {
            let p = d.join(file);
            must("ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-C", &format!("contin-test-{short}"), "-f", &p.to_string_lossy()]);
        };
        key("host_key");
        key("client_key");
        let client_pub = std::fs::read_to_string(d.join("client_key.pub")).expect("client public key");
        std::fs::write(d.join("authorized_keys.root"), &client_pub).expect("writing authorized_keys");
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).expect("host public key");
        host.host_public_key = host_pub.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        let config = format!(
            "ListenAddress {address}\nPort 22\nHostKey {hk}\nAuthorizedKeysFile {ak}.%u\nPidFile {pid}\nStrictModes no\nUsePAM no\n\
             PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n\
             PrintMotd no\nAcceptEnv LANG LC_*\n",
            hk = d.join("host_key").display(),
            ak = d.join("authorized_keys").display(),
            pid = d.join("sshd.pid").display(),
        );
        std::fs::write(d.join("sshd_config"), config).expect("writing sshd_config");

        // Private directories: bind mounts of per-host temp dirs.
        let mut dirs: Vec<String> = PRIVATE_DIRS.iter().map(|s| s.to_string()).collect();
        dirs.extend(opts.extra_dirs.iter().cloned());
        let mut script = String::from("set -e\n");
        script.push_str(&format!("hostname '{short}'\n"));
        for m in &dirs {
            assert!(m.starts_with('/') && !m.contains('\''), "private dir {m:?} must be an absolute path without quotes");
            let src = d.join("mnt").join(m.trim_start_matches('/').replace('/', "_"));
            std::fs::create_dir_all(&src).expect("creating a private dir");
            std::fs::create_dir_all(m).unwrap_or_else(|e| panic!("creating mount point {m}: {e}"));
            script.push_str(&format!("mount --bind '{}' '{m}'\n", src.display()));
            host.mounts.push((m.clone(), src));
        }
        for (path, text) in &opts.files {
            let p = host.local_path(path).unwrap_or_else(|| panic!("{path} is not under a private dir"));
            std::fs::create_dir_all(p.parent().expect("parent")).expect("creating parent dirs");
            std::fs::write(p, text).expect("writing a host file");
        }
        std::fs::create_dir_all("/run/sshd").expect("creating /run/sshd (sshd privilege separation dir)");
        script.push_str(&format!("exec {SSHD} -D -e -f '{}'\n", d.join("sshd_config").display()));

        // Network namespace + veth.
        must("ip", &["netns", "add", &host.netns]);
        // Record early so a crash from here on is reclaimed.
        host.write_lock(None);
        must("ip", &["link", "add", &host.root_if, "type", "veth", "peer", "name", &host.host_if]);
        must("ip", &["link", "set", &host.host_if, "netns", &host.netns]);
        must("ip", &["addr", "add", &format!("{root_ip}/30"), "dev", &host.root_if]);
        must("ip", &["link", "set", &host.root_if, "up"]);
        host.ns_ip(&["addr", "add", &format!("{address}/30"), "dev", &host.host_if.clone()]);
        host.ns_ip(&["link", "set", &host.host_if.clone(), "up"]);
        host.ns_ip(&["link", "set", "lo", "up"]);

        let log = std::fs::File::create(d.join("sshd.log")).expect("creating sshd.log");
        let child = Command::new("ip")
            .args(["netns", "exec", &host.netns, "unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting sshd: {e}"));
        // ip netns exec, unshare and sh all exec: the child pid is sshd's.
        host.pid = child.id();
        host.child = Some(child);
        host.write_lock(Some(host.pid));
        host.wait_listening();
        host
    }

    fn write_lock(&self, sshd: Option<u32>) {
        let mut text = format!("owner={}\nnetns={}\n", std::process::id(), self.netns);
        if let Some(pid) = sshd {
            text.push_str(&format!("sshd={pid}\n"));
        }
        let _ = std::fs::write(self.lock_path(), text);
    }

    fn lock_path(&self) -> PathBuf {
        Path::new(SLOT_DIR).join(format!("slot-{}", self.slot))
    }

    fn ns_ip(&self, args: &[&str]) {
        let mut full = vec!["netns", "exec", &self.netns, "ip"];
        full.extend_from_slice(args);
        must("ip", &full);
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = SocketAddr::from((self.address, 22));
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("sshd for {} exited with {status}:\n{}", self.name, self.sshd_log());
            }
            assert!(Instant::now() < deadline, "sshd for {} did not listen on {addr} within 10s:\n{}", self.name, self.sshd_log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What sshd printed so far (`-e`: its log goes to stderr).
    pub fn sshd_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The name given to `start`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host's address (inside its namespace), reachable from the root namespace.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    pub fn port(&self) -> u16 {
        22
    }

    pub fn user(&self) -> &str {
        "root"
    }

    /// The network namespace's name.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// Path of the client's private key (OpenSSH format, no passphrase).
    pub fn client_key_path(&self) -> PathBuf {
        self.dir.path().join("client_key")
    }

    /// The client's private key text.
    pub fn client_key(&self) -> String {
        std::fs::read_to_string(self.client_key_path()).expect("client key")
    }

    /// The server's host public key as an OpenSSH line (`ssh-ed25519 AAAA…`, no comment).
    pub fn host_public_key(&self) -> &str {
        &self.host_public_key
    }

    /// `SHA256:…` fingerprint of the host key, as `ssh-keygen -l` prints it.
    pub fn host_key_fingerprint(&self) -> String {
        let out = must("ssh-keygen", &["-l", "-E", "sha256", "-f", &self.dir.path().join("host_key.pub").to_string_lossy()]);
        out.stdout.split_whitespace().nth(1).expect("ssh-keygen -l prints a fingerprint").to_string()
    }

    /// Also accepts the client key `public_key_line` for root (appended to its authorized_keys).
    pub fn authorize(&self, public_key_line: &str) {
        let mut f = OpenOptions::new().append(true).open(self.dir.path().join("authorized_keys.root")).expect("authorized_keys");
        writeln!(f, "{}", public_key_line.trim()).expect("appending to authorized_keys");
    }

    /// A `known_hosts` line for this host.
    pub fn known_hosts_line(&self) -> String {
        format!("{} {}", self.address, self.host_public_key)
    }

    /// The host-side temp dir of a path under one of the host's private dirs.
    pub fn local_path(&self, path: &str) -> Option<PathBuf> {
        self.mounts
            .iter()
            .filter(|(m, _)| path == m || path.starts_with(&format!("{m}/")))
            .max_by_key(|(m, _)| m.len())
            .map(|(m, src)| src.join(path[m.len()..].trim_start_matches('/')))
    }

    /// An HCL `host "NAME" { … }` block connecting to this host, key pinned.
    pub fn host_block(&self, name: &str) -> String {
        format!(
            "host \"{name}\" {{\n  address     = \"{}\"\n  port        = {}\n  user        = \"{}\"\n  private_key = file(\"{}\")\n  host_key    = \"{}\"\n}}\n",
            self.address,
            self.port(),
            self.user(),
            self.client_key_path().display(),
            self.host_public_key
        )
    }

    /// Runs `sh -c cmd` inside the host's namespaces (network, mount, UTS) without SSH.
    pub fn exec_in(&self, cmd: &str) -> Output {
        assert!(self.child.is_some(), "exec_in on stopped host {}", self.name);
        let mut c = Command::new("nsenter");
        c.args(["-t", &self.pid.to_string(), "-m", "-n", "-u", "sh", "-c", cmd]);
        run_command(c, None, Duration::from_secs(60))
    }

    /// Stops sshd and every process of the host, including open sessions
    /// (the namespace stays: connecting is refused).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.kill_netns_processes();
    }

    /// Kills what still runs in the network namespace (session sshds, commands).
    fn kill_netns_processes(&self) {
        for _ in 0..50 {
            let out = Command::new("ip").args(["netns", "pids", &self.netns]).stderr(Stdio::null()).output();
            let pids: Vec<String> = out
                .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            if pids.is_empty() {
                return;
            }
            let mut args = vec!["-9".to_string()];
            args.extend(pids);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            quiet("kill", &args);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Suspends sshd (SIGSTOP): TCP connects still succeed (kernel backlog)
    /// but no SSH banner comes — a hung host. `thaw` resumes it.
    pub fn freeze(&self) {
        must("kill", &["-STOP", &self.pid.to_string()]);
    }

    pub fn thaw(&self) {
        must("kill", &["-CONT", &self.pid.to_string()]);
    }

    /// Takes the host's link down: packets to it are lost (connects time out / fail).
    pub fn make_unreachable(&self) {
        self.ns_ip(&["link", "set", &self.host_if, "down"]);
    }

    /// Brings the host's link back up after [`make_unreachable`](Self::make_unreachable).
    pub fn make_reachable(&self) {
        self.ns_ip(&["link", "set", &self.host_if, "up"]);
        let (root_ip, _) = slot_ips(self.slot);
        // Wait until the peer answers again.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&SocketAddr::from((self.address, 22)), Duration::from_millis(200)).is_ok() || self.child.is_none() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} ({}, via {root_ip}) did not come back within 10s", self.name, self.address);
    }
}

impl Drop for SshHost {
    fn drop(&mut self) {
        self.stop();
        quiet("ip", &["netns", "del", &self.netns]);
        quiet("ip", &["link", "del", &self.root_if]);
        let _ = std::fs::remove_file(self.lock_path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_map_to_disjoint_subnets() {
        assert_eq!(slot_ips(1), (Ipv4Addr::new(10, 213, 0, 5), Ipv4Addr::new(10, 213, 0, 6)));
        assert_eq!(slot_ips(64), (Ipv4Addr::new(10, 213, 1, 1), Ipv4Addr::new(10, 213, 1, 2)));
        assert_eq!(slot_ips(SLOTS - 1), (Ipv4Addr::new(10, 213, 255, 253), Ipv4Addr::new(10, 213, 255, 254)));
    }

    #[test]
    fn names_are_safe() {
        assert_eq!(sanitize("edge_a.1"), "edge-a-1");
        assert_eq!(sanitize(""), "host");
    }

    #[test]
    fn slots_of_dead_owners_are_reclaimed() {
        // A slot number claim_slot never hands out, so no test races for it.
        let slot = SLOTS + 7;
        let lock = Path::new(SLOT_DIR).join(format!("slot-{slot}"));
        let ns = format!("contin-stale-{}", std::process::id());
        std::fs::create_dir_all(SLOT_DIR).unwrap();
        must("ip", &["netns", "add", &ns]);
        // pid_max is at most 2^22: this owner cannot be alive.
        std::fs::write(&lock, format!("owner=4999999\nnetns={ns}\n")).unwrap();
        assert!(reclaim_stale(slot, &lock));
        assert!(!lock.exists());
        assert!(!Path::new("/run/netns").join(&ns).exists());
        // A live owner keeps its slot.
        std::fs::write(&lock, format!("owner={}\nnetns=x\n", std::process::id())).unwrap();
        assert!(!reclaim_stale(slot, &lock));
        std::fs::remove_file(&lock).unwrap();
    }

    #[test]
    fn host_runs_sshd_with_private_dirs() {
        let a = SshHost::start("probe-a");
        let b = SshHost::start("probe-b");
        assert_ne!(a.address(), b.address());
        let out = a.exec_in("echo hi > /opt/marker && hostname && cat /opt/marker");
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.stdout, "probe-a\nhi\n");
        assert_eq!(std::fs::read_to_string(a.local_path("/opt/marker").unwrap()).unwrap(), "hi\n");
        assert_eq!(b.exec_in("ls /opt").stdout, "");
        assert!(!Path::new("/opt/marker").exists(), "private dirs leak into the root namespace");
        assert!(a.host_key_fingerprint().starts_with("SHA256:"));
        assert!(a.host_block("a").contains(&format!("address     = \"{}\"", a.address())));
        let pid = a.pid;
        let ns = a.netns.clone();
        drop(a);
        assert!(!pid_alive(pid) || std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default().contains("zombie"));
        assert!(!Path::new("/run/netns").join(ns).exists());
    }
}
