//! The russh transport against real sshd processes, each in its own network
//! namespace (tests/src/netns.rs): exec, upload, facts, host key policy,
//! authentication, unreachable hosts.

use contin_e2e::netns::SshHost;
use contin_provider_onprem::facts;
use contin_provider_onprem::remote::{Connector, RemoteError};
use contin_provider_onprem::ssh::{ConnectDefaults, SshConnector};
use contin_types::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A host object as the config gives it: key auth, host key pinned.
fn host_value(h: &SshHost, name: &str) -> Value {
    Value::map([
        ("name", Value::string(name)),
        ("address", Value::string(h.address())),
        ("port", Value::int(i64::from(h.port()))),
        ("user", Value::string(h.user())),
        ("private_key", Value::string(h.client_key())),
        ("host_key", Value::string(h.host_public_key())),
    ])
}

fn with(mut v: Value, k: &str, x: Value) -> Value {
    if let Value::Map(m) = &mut v {
        if x.is_null() {
            m.remove(k);
        } else {
            m.insert(k.to_string(), x);
        }
    }
    v
}

/// A connector whose default known_hosts is an empty file (never the user's).
fn connector(dir: &Path) -> SshConnector {
    let kh = dir.join("known_hosts");
    if !kh.exists() {
        std::fs::write(&kh, "").unwrap();
    }
    SshConnector::new(ConnectDefaults { known_hosts_file: Some(kh), connect_timeout: Duration::from_secs(3), ..Default::default() })
}

fn keygen(dir: &Path, name: &str, passphrase: &str) -> (String, String) {
    let path = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", "", "-f"])
        .arg(&path)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (std::fs::read_to_string(&path).unwrap(), public.trim().to_string())
}

fn fingerprint_of(public_line: &str) -> String {
    let key = russh::keys::PublicKey::from_openssh(public_line).unwrap();
    key.fingerprint(russh::keys::HashAlg::Sha256).to_string()
}

#[tokio::test]
async fn exec_collects_output_and_status() {
    let h = SshHost::start("exec");
    let tmp = tempfile::tempdir().unwrap();
    let remote = connector(tmp.path()).connect(&host_value(&h, "exec")).await.expect("connect");
    assert_eq!(remote.name(), "exec");
    let out = remote.exec("echo out; echo err >&2; printf 'no newline'; exit 3").await.unwrap();
    assert_eq!(out.status, Some(3));
    assert_eq!(out.stdout, "out\nno newline");
    assert_eq!(out.stderr, "err\n");
    assert!(!out.success());
    // The command really ran on that host (its own mount namespace and hostname).
    let out = remote.exec("hostname; echo from-ssh > /var/lib/contin-test/mark; id -un").await.unwrap();
    assert_eq!((out.status, out.stdout.as_str()), (Some(0), "exec\nroot\n"));
    assert_eq!(h.exec_in("cat /var/lib/contin-test/mark").stdout, "from-ssh\n");
    assert!(!Path::new("/var/lib/contin-test/mark").exists());
    // Several commands at once over one connection, and a large output.
    let cmds: Vec<String> = (0..6).map(|i| format!("sleep 0.2; echo {i}")).collect();
    let runs = cmds.iter().map(|c| remote.exec(c));
    let outs = futures::future::join_all(runs).await;
    for (i, o) in outs.into_iter().enumerate() {
        assert_eq!(o.unwrap().stdout, format!("{i}\n"));
    }
    let big = remote.exec("head -c 3000000 /dev/zero | tr '\\0' 'x'").await.unwrap();
    assert_eq!(big.stdout.len(), 3_000_000);
}

#[tokio::test]
async fn upload_writes_bytes_and_mode() {
    let h = SshHost::start("upload");
    let tmp = tempfile::tempdir().unwrap();
    let remote = connector(tmp.path()).connect(&host_value(&h, "upload")).await.unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    remote.exec("mkdir -p '/opt/my dir'").await.unwrap();
    remote.upload("/opt/my dir/tool's", &data, 0o755).await.expect("upload");
    let local = h.local_path("/opt/my dir/tool's").unwrap();
    assert_eq!(std::fs::read(&local).unwrap(), data);
    assert_eq!(h.exec_in("stat -c %a \"/opt/my dir/tool's\"").stdout, "755\n");
    // Overwriting keeps the new content and mode; no temp files stay behind.
    remote.upload("/opt/my dir/tool's", b"#!/bin/sh\necho v2\n", 0o700).await.unwrap();
    assert_eq!(remote.exec("\"/opt/my dir/tool's\"").await.unwrap().stdout, "v2\n");
    assert_eq!(h.exec_in("stat -c %a \"/opt/my dir/tool's\"; ls -A '/opt/my dir'").stdout, "700\ntool's\n");
    remote.upload("/opt/empty", b"", 0o644).await.unwrap();
    assert_eq!(std::fs::read(h.local_path("/opt/empty").unwrap()).unwrap(), b"");
    // A missing parent directory is an error naming the path.
    let err = remote.upload("/opt/missing/x", b"x", 0o644).await.unwrap_err();
    assert!(matches!(&err, RemoteError::Io(m) if m.contains("upload to /opt/missing/x") && m.contains("No such file")), "{err:?}");
}

#[tokio::test]
async fn facts_come_from_the_host() {
    let h = SshHost::start("facts-a");
    let tmp = tempfile::tempdir().unwrap();
    let remote = connector(tmp.path()).connect(&host_value(&h, "facts-a")).await.unwrap();
    let f = facts::gather(remote.as_ref()).await.expect("facts");
    let local = |cmd: &str| String::from_utf8(Command::new("sh").args(["-c", cmd]).output().unwrap().stdout).unwrap().trim().to_string();
    assert_eq!(f.hostname, "facts-a");
    assert_eq!(f.arch, local("uname -m"));
    assert_eq!(f.kernel, local("uname -r"));
    assert_eq!(f.cpus.map(|c| c.to_string()), Some(local("nproc")));
    assert_eq!(f.os, local(". /etc/os-release; echo \"$ID\""));
    assert_eq!(f.os_version, local(". /etc/os-release; echo \"$VERSION_ID\""));
    let mem_kb: u64 = local("awk '/^MemTotal:/ {print $2}' /proc/meminfo").parse().unwrap();
    assert_eq!(f.memory_mb, Some(mem_kb / 1024));
    assert!(f.gpus.is_empty(), "{:?}", f.gpus);
}

#[tokio::test]
async fn wrong_pinned_host_key_is_refused_with_both_fingerprints() {
    let h = SshHost::start("pinned");
    let tmp = tempfile::tempdir().unwrap();
    let (_, other) = keygen(tmp.path(), "other", "");
    let conn = connector(tmp.path());
    // Even with the insecure flag: a pin is a pin.
    let v = with(with(host_value(&h, "pinned"), "host_key", Value::string(&other)), "insecure_accept_host_key", Value::Bool(true));
    let err = conn.connect(&v).await.err().expect("refused");
    let expected = format!(
        "host key verification failed for host.pinned ({}:22): server presented {} but host_key pins {}",
        h.address(),
        h.host_key_fingerprint(),
        fingerprint_of(&other)
    );
    assert!(matches!(err, RemoteError::HostKey { .. }), "{err:?}");
    assert_eq!(err.to_string(), expected);
    // The right fingerprint works as a pin too.
    let v = with(host_value(&h, "pinned"), "host_key", Value::string(h.host_key_fingerprint()));
    conn.connect(&v).await.expect("fingerprint pin");
}

#[tokio::test]
async fn unknown_host_key_needs_known_hosts_or_the_insecure_flag() {
    let h = SshHost::start("unknown");
    let tmp = tempfile::tempdir().unwrap();
    let conn = connector(tmp.path());
    let unpinned = with(host_value(&h, "unknown"), "host_key", Value::Null);

    let err = conn.connect(&unpinned).await.err().expect("unknown key refused");
    let msg = err.to_string();
    assert!(matches!(err, RemoteError::HostKey { .. }), "{err:?}");
    assert!(msg.contains(&format!("server presented unknown key {}", h.host_key_fingerprint())), "{msg}");
    assert!(msg.contains("insecure_accept_host_key = true") && msg.contains(h.host_public_key()), "{msg}");

    conn.connect(&with(unpinned.clone(), "insecure_accept_host_key", Value::Bool(true))).await.expect("insecure flag accepts");

    // Known in a known_hosts file named by the host: accepted.
    let kh = tmp.path().join("kh-good");
    std::fs::write(&kh, format!("# test\n{}\n", h.known_hosts_line())).unwrap();
    conn.connect(&with(unpinned.clone(), "known_hosts_file", Value::string(kh.to_string_lossy()))).await.expect("known host");
    // Also through the provider-wide default.
    let by_default = SshConnector::new(ConnectDefaults { known_hosts_file: Some(kh.clone()), connect_timeout: Duration::from_secs(3), ..Default::default() });
    by_default.connect(&unpinned).await.expect("default known_hosts");

    // A different key recorded for the address: the key changed, refused.
    let (_, other) = keygen(tmp.path(), "other", "");
    let kh_bad = tmp.path().join("kh-bad");
    std::fs::write(&kh_bad, format!("{} {other}\n", h.address())).unwrap();
    let err = conn.connect(&with(unpinned, "known_hosts_file", Value::string(kh_bad.to_string_lossy()))).await.err().unwrap();
    assert!(matches!(err, RemoteError::HostKey { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("{}:1 records {}", kh_bad.display(), fingerprint_of(&other))), "{err}");
}

#[tokio::test]
async fn authentication_failures_are_auth_errors() {
    let h = SshHost::start("auth");
    let tmp = tempfile::tempdir().unwrap();
    let conn = connector(tmp.path());
    let (stranger, _) = keygen(tmp.path(), "stranger", "");
    let err = conn.connect(&with(host_value(&h, "auth"), "private_key", Value::string(&stranger))).await.err().unwrap();
    assert!(matches!(&err, RemoteError::Auth { user, .. } if user == "root"), "{err:?}");
    assert!(err.to_string().starts_with(&format!("authentication as root on host.auth ({}:22) failed: the server refused", h.address())), "{err}");

    // An encrypted key: needs its passphrase, which never shows in errors.
    let (locked, locked_pub) = keygen(tmp.path(), "locked", "s3cret-pass");
    h.authorize(&locked_pub);
    let v = with(host_value(&h, "auth"), "private_key", Value::string(&locked));
    let err = conn.connect(&v).await.err().unwrap();
    assert!(matches!(err, RemoteError::Auth { .. }) && err.to_string().contains("set passphrase"), "{err:?}");
    let err = conn.connect(&with(v.clone(), "passphrase", Value::string("wrong-pass"))).await.err().unwrap();
    assert!(matches!(err, RemoteError::Auth { .. }) && !err.to_string().contains("wrong-pass"), "{err:?}");
    let remote = conn.connect(&with(v, "passphrase", Value::string("s3cret-pass"))).await.expect("passphrase");
    assert_eq!(remote.exec("echo ok").await.unwrap().stdout, "ok\n");

    // Another user than the authorized one.
    let err = conn.connect(&with(host_value(&h, "auth"), "user", Value::string("nobody"))).await.err().unwrap();
    assert!(matches!(&err, RemoteError::Auth { user, .. } if user == "nobody"), "{err:?}");
}

#[tokio::test]
async fn unreachable_host_fails_within_the_timeout() {
    let mut h = SshHost::start("down");
    let tmp = tempfile::tempdir().unwrap();
    let conn = connector(tmp.path()); // 3 s connect timeout
    let v = host_value(&h, "down");
    conn.connect(&v).await.expect("up at first");

    h.make_unreachable();
    let t = Instant::now();
    let err = conn.connect(&v).await.err().expect("unreachable");
    let took = t.elapsed();
    assert!(matches!(err, RemoteError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("cannot reach host.down ({}:22): ", h.address())), "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");

    h.make_reachable();
    conn.connect(&v).await.expect("back");

    // sshd stopped: connection refused, promptly.
    h.stop();
    let t = Instant::now();
    let err = conn.connect(&v).await.err().expect("refused");
    assert!(matches!(err, RemoteError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_hung_sshd_is_unreachable_after_the_connect_timeout() {
    let h = SshHost::start("hung");
    let tmp = tempfile::tempdir().unwrap();
    let conn = SshConnector::new(ConnectDefaults { known_hosts_file: None, connect_timeout: Duration::from_secs(2), ..Default::default() });
    h.freeze();
    let t = Instant::now();
    let err = conn.connect(&host_value(&h, "hung")).await.err().expect("timed out");
    let took = t.elapsed();
    h.thaw();
    assert!(matches!(err, RemoteError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().ends_with("no SSH session within 2s (connect timeout)"), "{err}");
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(4), "took {took:?}");
    // A per-host connect_timeout (seconds) overrides the provider's.
    h.freeze();
    let t = Instant::now();
    let v = with(host_value(&h, "hung"), "connect_timeout", Value::int(1));
    let err = connector(tmp.path()).connect(&v).await.err().expect("timed out");
    h.thaw();
    assert!(err.to_string().ends_with("no SSH session within 1s (connect timeout)"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(2));
    conn.connect(&host_value(&h, "hung")).await.expect("answers again");
}

#[tokio::test]
async fn a_session_whose_host_goes_away_reports_errors_not_hangs() {
    let mut h = SshHost::start("drop");
    let tmp = tempfile::tempdir().unwrap();
    let remote = connector(tmp.path()).connect(&host_value(&h, "drop")).await.unwrap();
    assert_eq!(remote.exec("echo 1").await.unwrap().stdout, "1\n");
    // Stops sshd and kills the session's own sshd process too.
    h.stop();
    drop(h);
    let r = tokio::time::timeout(Duration::from_secs(90), remote.exec("echo 2")).await.expect("no hang");
    assert!(matches!(r, Err(RemoteError::Unreachable { .. })), "{r:?}");
}
