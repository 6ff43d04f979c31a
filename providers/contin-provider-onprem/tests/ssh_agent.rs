//! ssh-agent authentication (no `private_key`): a real `ssh-agent` holding
//! the client key, a real sshd in a network namespace. Its own test binary
//! because it sets SSH_AUTH_SOCK for the process.

use contin_e2e::netns::SshHost;
use contin_provider_onprem::remote::{Connector, RemoteError};
use contin_provider_onprem::ssh::{ConnectDefaults, SshConnector};
use contin_types::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Agent {
    child: Child,
    sock: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn start() -> Agent {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client) is needed for this test");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent did not create its socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Agent { child, sock, _dir: dir }
    }

    fn add(&self, key: &std::path::Path) {
        let out = Command::new("ssh-add").arg(key).env("SSH_AUTH_SOCK", &self.sock).output().expect("ssh-add");
        assert!(out.status.success(), "ssh-add: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn agent_auth_when_no_private_key() {
    let h = SshHost::start("agent");
    let conn = SshConnector::new(ConnectDefaults { known_hosts_file: Some("/dev/null".into()), connect_timeout: Duration::from_secs(5), ..Default::default() });
    let v = Value::map([
        ("name", Value::string("agent")),
        ("address", Value::string(h.address())),
        ("host_key", Value::string(h.host_public_key())),
    ]);

    // No agent at all: a clear Auth error.
    std::env::remove_var("SSH_AUTH_SOCK");
    let err = conn.connect(&v).await.err().expect("no auth method");
    assert!(matches!(&err, RemoteError::Auth { message, .. } if message.contains("SSH_AUTH_SOCK")), "{err:?}");

    let agent = Agent::start();
    std::env::set_var("SSH_AUTH_SOCK", &agent.sock);
    // An empty agent.
    let err = conn.connect(&v).await.err().expect("empty agent");
    assert!(matches!(&err, RemoteError::Auth { message, .. } if message.contains("holds no keys")), "{err:?}");

    // An agent with an unrelated key, then the right one too.
    let dir = tempfile::tempdir().unwrap();
    let stranger = dir.path().join("stranger");
    let st = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&stranger).status().unwrap();
    assert!(st.success());
    agent.add(&stranger);
    let err = conn.connect(&v).await.err().expect("wrong agent key");
    assert!(matches!(&err, RemoteError::Auth { message, .. } if message.contains("refused every ssh-agent key")), "{err:?}");

    agent.add(&h.client_key_path());
    let remote = conn.connect(&v).await.expect("agent auth");
    assert_eq!(remote.exec("id -un").await.unwrap().stdout, "root\n");
}
