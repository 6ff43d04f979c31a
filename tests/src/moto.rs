//! A real moto server (PyPI `moto[server]`, pinned by scripts/test) on a free
//! loopback port, one per test that asks for it; stopped on drop.
//!
//! The binary is `$CONTIN_TEST_MOTO_SERVER`, else `<repo>/.venv/bin/moto_server`.
//! When neither exists the test fails with a message naming `./scripts/test`,
//! which installs it: these tests never skip silently.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MotoServer {
    child: Child,
    port: u16,
}

/// Path of the moto_server executable, if installed.
pub fn moto_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CONTIN_TEST_MOTO_SERVER") {
        let p = PathBuf::from(p);
        if p.exists() {
            return Some(p);
        }
    }
    let p = crate::repo_root().join(".venv/bin/moto_server");
    p.exists().then_some(p)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("binding a free loopback port")
}

impl MotoServer {
    /// Starts moto and waits until it answers HTTP (up to 30 s).
    #[track_caller]
    pub fn start() -> MotoServer {
        let bin = moto_binary().unwrap_or_else(|| {
            panic!("moto_server not found: set CONTIN_TEST_MOTO_SERVER or run ./scripts/test (installs moto[server] into ./.venv)")
        });
        for _attempt in 0..3 {
            let port = free_port();
            let mut child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited (port taken?): retry on another port
                }
                if http_ok(port) {
                    return MotoServer { child, port };
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not come up on loopback after 3 attempts");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment for clients talking to this server (dummy credentials, region).
    pub fn client_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]
    }

    /// Clears every backend's data (moto's reset API).
    pub fn reset(&self) {
        let _ = http_request(self.port, "POST", "/moto-api/reset");
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_ok(port: u16) -> bool {
    http_request(port, "GET", "/moto-api/").is_some_and(|status| status < 500)
}

/// A minimal HTTP/1.0 request; returns the status code.
fn http_request(port: u16, method: &str, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n").ok()?;
    let mut buf = [0u8; 32];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}
