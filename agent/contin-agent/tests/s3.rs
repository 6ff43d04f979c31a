//! Partition of an S3 mailbox (moto): the agent reaches moto through a TCP
//! proxy that the test turns into a black hole (connections accepted and
//! held, nothing forwarded: what a cut uplink looks like). During the cut
//! the spec changes (one changed, one removed, one added) and a workload
//! is killed: it is restarted offline and nothing is stopped. When the
//! link returns the site converges within one poll + 2 s and the buffered
//! telemetry is uploaded.

mod common;

use common::*;
use contin_edge_proto::mailbox::S3Mailbox;
use contin_edge_proto::{keys, AgentRecord, AgentStatus, Envelope, Mailbox, MailboxUrl, Read};
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(40);

struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Its own process group: a pyenv shim runs moto as a child.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn moto() -> Moto {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = std::env::var_os("CONTIN_TEST_MOTO_SERVER").map(PathBuf::from).unwrap_or_else(|| root.join(".venv/bin/moto_server"));
    let on_path = || std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("moto_server")).find(|p| p.exists()));
    let bin = if bin.exists() { bin } else { on_path().unwrap_or(bin) };
    assert!(bin.exists(), "moto_server not found ({} nor on PATH): set CONTIN_TEST_MOTO_SERVER or run ./scripts/test", bin.display());
    let port = free_port();
    use std::os::unix::process::CommandExt as _;
    let child = Command::new(&bin).process_group(0).args(["-H", "127.0.0.1", "-p", &port.to_string()]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let m = Moto { child, port };
    wait_for("moto up", Duration::from_secs(30), || TcpStream::connect(("127.0.0.1", port)).ok());
    m
}

fn create_bucket(port: u16, bucket: &str) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(s, "PUT /{bucket} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    assert!(buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200"), "{buf}");
}

/// A TCP proxy that can black-hole the link.
struct Link {
    port: u16,
    cut: Arc<AtomicBool>,
    epoch: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Link {
    fn new(target: u16) -> Link {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let (cut, epoch, stop, held) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
        let (c, e, st, h) = (cut.clone(), epoch.clone(), stop.clone(), held.clone());
        l.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let Ok((client, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                if c.load(Ordering::SeqCst) {
                    h.lock().unwrap().push(client); // black hole
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else { continue };
                let my_epoch = e.load(Ordering::SeqCst);
                for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                    let (c, e) = (c.clone(), e.clone());
                    std::thread::spawn(move || {
                        from.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
                        let mut buf = [0u8; 16384];
                        loop {
                            // A cut silences established connections too.
                            if c.load(Ordering::SeqCst) || e.load(Ordering::SeqCst) != my_epoch {
                                std::thread::sleep(Duration::from_millis(50));
                                if e.load(Ordering::SeqCst) != my_epoch {
                                    let _ = from.shutdown(std::net::Shutdown::Both);
                                    let _ = to.shutdown(std::net::Shutdown::Both);
                                    return;
                                }
                                continue;
                            }
                            match from.read(&mut buf) {
                                Ok(0) => {
                                    let _ = to.shutdown(std::net::Shutdown::Write);
                                    return;
                                }
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        return;
                                    }
                                }
                                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                                Err(_) => return,
                            }
                        }
                    });
                }
            }
        });
        Link { port, cut, epoch, stop, held }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    /// Restores the link; connections held or silenced during the cut are reset.
    fn restore(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.held.lock().unwrap().clear();
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.restore();
    }
}

async fn status(m: &S3Mailbox, site: &str) -> Option<AgentStatus> {
    let keys_ = m.list(&keys::agents_prefix(site)).await.ok()?;
    let agent_key = keys_.iter().find(|k| k.ends_with("/agent.json"))?;
    let Read::Found { bytes, .. } = m.get(agent_key, None).await.ok()? else { return None };
    let rec: AgentRecord = serde_json::from_slice(&bytes).ok()?;
    let Read::Found { bytes, .. } = m.get(&keys::status(site, &rec.agent_id), None).await.ok()? else { return None };
    Envelope::open(&bytes, &contin_edge_proto::decode_public_key(&rec.public_key).ok()?).ok()
}

#[test]
fn s3_partition_keeps_the_site_running_and_converges_after_the_link_returns() {
    let cut_for = Duration::from_secs(std::env::var("CONTIN_TEST_PARTITION_S").ok().and_then(|s| s.parse().ok()).unwrap_or(15));
    let moto = moto();
    create_bucket(moto.port, "edge");
    for (k, v) in [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")] {
        std::env::set_var(k, v);
    }
    let link = Link::new(moto.port);
    let rt = rt();
    let direct = rt.block_on(S3Mailbox::connect(&MailboxUrl::parse(&format!("s3://edge/env/?region=us-east-1&endpoint=http://127.0.0.1:{}", moto.port)).unwrap())).unwrap();
    let via_link = format!("s3://edge/env/?region=us-east-1&endpoint=http://127.0.0.1:{}", link.port);

    let d = Deployment::new();
    let site = site("s3");
    let _g = SiteGuard(site.clone());
    let publish = |generation: u64, w: Vec<contin_edge_proto::WorkloadSpec>| {
        let bytes = Envelope::seal(&d.key, &Deployment::doc(&site, generation, w, vec![]));
        rt.block_on(direct.put(&keys::desired(&site), &bytes)).unwrap();
    };
    let (a, b, c) = (sleeper("a", 1), sleeper("b", 1), sleeper("c", 1));
    publish(1, vec![a.clone(), b.clone(), c.clone()]);
    let token = contin_edge_proto::Token::create(&d.claims(&site, &via_link, Duration::from_secs(600)), &d.key);
    let agent = AgentProc::start(&d.dir.path().join("agent"), Some(&token), &["--poll", "1s"]);
    let deadline = Instant::now() + T;
    while rt.block_on(status(&direct, &site)).filter(|s| s.acked_generation == 1 && s.workloads.len() == 3).is_none() {
        assert!(Instant::now() < deadline, "generation 1 not acked within {T:?}; agent log:\n{}", agent.log_text());
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = workload_procs(&site);
    assert_eq!(before.len(), 3, "{before:?}");
    let pid = |w: &str| before.iter().find(|p| p.1 == w).map(|p| p.0).unwrap();

    // Cut; change the spec behind the cut; kill a workload.
    link.cut();
    let cut_at = Instant::now();
    let mut b2 = b.clone();
    b2.command = vec!["sleep".into(), "601".into()];
    publish(2, vec![a.clone(), b2.hashed(), sleeper("d", 1)]);
    std::thread::sleep(Duration::from_secs(2));
    kill(pid("a"));
    let a2 = wait_for("a restarted during the cut", T, || pid_of(&site, "a", 0).filter(|p| *p != pid("a")));
    while cut_at.elapsed() < cut_for {
        // Nothing is stopped or started during the cut (but a's restart).
        assert_eq!(pid_of(&site, "b", 0), Some(pid("b")));
        assert_eq!(pid_of(&site, "c", 0), Some(pid("c")));
        assert_eq!(pid_of(&site, "d", 0), None);
        assert_eq!(pid_of(&site, "a", 0), Some(a2));
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(agent.log_text().contains("no upstream reachable"), "{}", agent.log_text());

    link.restore();
    let back = Instant::now();
    wait_for("converged to generation 2", T, || (pid_of(&site, "d", 0).is_some() && pid_of(&site, "c", 0).is_none() && pid_of(&site, "b", 0).is_some_and(|p| p != pid("b"))).then_some(()));
    let took = back.elapsed();
    assert!(took <= Duration::from_millis(1000 + 2000), "reconverged {took:?} after the link returned (poll 1s + 2s)\n{}", agent.log_text());
    assert_eq!(pid_of(&site, "a", 0), Some(a2), "a untouched by the reconnection");
    let st = wait_for("status after reconnect", T, || rt.block_on(status(&direct, &site)).filter(|s| s.acked_generation == 2 && s.telemetry.uploaded > 0));
    assert!(st.disconnected_since.is_none(), "{st:?}");
    assert!(st.last_disconnection_s.unwrap_or(0.0) >= cut_for.as_secs_f64() - 3.0, "{st:?}");
    assert!(st.telemetry.uploaded as f64 >= cut_for.as_secs_f64() / 2.0, "telemetry buffered during the cut was uploaded: {st:?}");
    let batches = rt.block_on(direct.list(&format!("sites/{site}/agents/{}/telemetry/", st.agent_id))).unwrap();
    assert!(!batches.is_empty());
    eprintln!("reconverged {took:?} after the link returned; status {:?}", st.telemetry);
}
