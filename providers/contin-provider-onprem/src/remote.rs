//! The seam between cluster orchestration and the SSH transport: cluster
//! code is written against `Remote`, the russh session implements it.

use async_trait::async_trait;

/// Result of one remote command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOutput {
    /// Exit status; `None` when the command was killed by a signal / the channel closed without one.
    pub status: Option<u32>,
    pub stdout: String,
    pub stderr: String,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RemoteError {
    /// TCP connect / handshake failed (host unreachable, refused, timed out).
    #[error("cannot reach {host}: {message}")]
    Unreachable { host: String, message: String },
    /// The server's host key is not the expected one (or unknown without insecure_accept_host_key).
    #[error("host key verification failed for {host}: {message}")]
    HostKey { host: String, message: String },
    #[error("authentication as {user} on {host} failed: {message}")]
    Auth { host: String, user: String, message: String },
    #[error("{0}")]
    Io(String),
}

/// One connected host.
#[async_trait]
pub trait Remote: Send + Sync {
    /// Host name as in config (`host.NAME` → NAME), for messages.
    fn name(&self) -> &str;
    /// Runs `command` through the remote user's shell (`sh -c`), collecting output.
    async fn exec(&self, command: &str) -> Result<ExecOutput, RemoteError>;
    /// Writes `data` to `path` on the host (parent directories must exist) with `mode` (e.g. 0o755).
    async fn upload(&self, path: &str, data: &[u8], mode: u32) -> Result<(), RemoteError>;
}

/// Opens sessions to hosts. `host` is the evaluated `host.NAME` object as the
/// cluster's configuration holds it (`name`, `address`, `port`, `user`,
/// `private_key`, `host_key`, `insecure_accept_host_key`, …).
#[async_trait]
pub trait Connector: Send + Sync {
    async fn connect(&self, host: &contin_types::Value) -> Result<std::sync::Arc<dyn Remote>, RemoteError>;
}
