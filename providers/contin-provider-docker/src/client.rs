//! A minimal Docker Engine API client: one HTTP/1.1 request per connection
//! over a unix socket (hyper 1 `client::conn::http1`), JSON bodies, response
//! sizes bounded. Paths are unversioned, so the daemon answers in its own
//! API version (Docker 29 refuses versions below 1.44; podman serves the
//! compat API under unversioned paths too).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UnixStream;

/// Largest response body read from the daemon (an inspect is a few KiB).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// Largest body of an image pull's progress stream.
pub const MAX_PULL_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Time limit of one ordinary API call.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// Time limit of one image pull.
pub const PULL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The default `host`, as in Docker's CLI and the kreuzwerker provider.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The socket could not be reached (no daemon, no permission).
    Connect(String),
    /// The daemon answered with an error status.
    Status { status: u16, message: String },
    /// Transport or protocol failure, size or time limit.
    Other(String),
}

/// The socket path of a `host` value: only `unix://` is supported.
pub fn socket_path(host: &str) -> Result<PathBuf, String> {
    let h = host.trim();
    if let Some(p) = h.strip_prefix("unix://") {
        if p.is_empty() || !p.starts_with('/') {
            return Err(format!("host {h:?}: a unix socket address needs an absolute path (unix:///var/run/docker.sock)"));
        }
        return Ok(PathBuf::from(p));
    }
    let scheme = h.split("://").next().filter(|_| h.contains("://")).unwrap_or("");
    Err(format!(
        "host {h:?}: {} contin's docker provider supports only local unix sockets (unix:///path/to/docker.sock); \
         tcp://, ssh:// and npipe:// daemons are not supported (forward the remote socket to a local one, e.g. `ssh -L /tmp/docker.sock:/var/run/docker.sock HOST`)",
        if scheme.is_empty() { "is not an address with a scheme;".to_string() } else { format!("the {scheme}:// scheme is not supported;") }
    ))
}

/// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `message` of a daemon error body, else the body as text (bounded).
pub fn error_message(body: &[u8]) -> String {
    if let Ok(j) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(m) = j.get("message").and_then(|m| m.as_str()) {
            return m.to_string();
        }
    }
    let t = String::from_utf8_lossy(body);
    let t = t.trim();
    t.chars().take(500).collect()
}

#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
}

impl Client {
    pub fn new(socket: PathBuf) -> Self {
        Client { socket }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// One request; the body of a 2xx answer, or the error.
    pub async fn call(&self, method: Method, path_and_query: &str, body: Option<&serde_json::Value>, limit: usize, timeout: Duration) -> Result<Vec<u8>, CallError> {
        let what = format!("{method} {path_and_query}");
        match tokio::time::timeout(timeout, self.call_inner(method, path_and_query, body, limit)).await {
            Ok(r) => r,
            Err(_) => Err(CallError::Other(format!("{what}: no answer from the Docker daemon at unix://{} within {}s", self.socket.display(), timeout.as_secs()))),
        }
    }

    async fn call_inner(&self, method: Method, path_and_query: &str, body: Option<&serde_json::Value>, limit: usize) -> Result<Vec<u8>, CallError> {
        let what = format!("{method} {path_and_query}");
        let stream = UnixStream::connect(&self.socket)
            .await
            .map_err(|e| CallError::Connect(format!("cannot connect to the Docker daemon at unix://{}: {e} (is the daemon running? set the provider's host or DOCKER_HOST)", self.socket.display())))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| CallError::Other(format!("{what}: HTTP handshake with unix://{} failed: {e}", self.socket.display())))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let payload = match body {
            Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| CallError::Other(format!("{what}: {e}")))?),
            None => Bytes::new(),
        };
        let mut req = Request::builder().method(method).uri(path_and_query).header("Host", "docker");
        if body.is_some() {
            req = req.header("Content-Type", "application/json");
        }
        let req = req.body(Full::new(payload)).map_err(|e| CallError::Other(format!("{what}: {e}")))?;
        let result = async {
            let resp = sender.send_request(req).await.map_err(|e| CallError::Other(format!("{what}: {e}")))?;
            let status = resp.status().as_u16();
            let bytes = Limited::new(resp.into_body(), limit)
                .collect()
                .await
                .map_err(|e| CallError::Other(format!("{what}: reading the answer failed (limit {limit} bytes): {e}")))?
                .to_bytes();
            if (200..300).contains(&status) {
                Ok(bytes.to_vec())
            } else {
                Err(CallError::Status { status, message: error_message(&bytes) })
            }
        }
        .await;
        driver.abort();
        result
    }

    /// A call whose answer is JSON (empty body → null).
    pub async fn json(&self, method: Method, path_and_query: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value, CallError> {
        let bytes = self.call(method, path_and_query, body, MAX_RESPONSE_BYTES, CALL_TIMEOUT).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| CallError::Other(format!("{path_and_query}: the daemon's answer is not JSON: {e}")))
    }
}

/// The first `error` of an image pull's progress stream (JSON objects, one a line).
pub fn pull_stream_error(body: &[u8]) -> Option<String> {
    let de = serde_json::Deserializer::from_slice(body).into_iter::<serde_json::Value>();
    for item in de {
        let Ok(j) = item else { break };
        if let Some(e) = j.get("error").and_then(|e| e.as_str()) {
            return Some(e.to_string());
        }
        if let Some(e) = j.get("errorDetail").and_then(|e| e.get("message")).and_then(|e| e.as_str()) {
            return Some(e.to_string());
        }
    }
    None
}

/// `fromImage` and `tag` of an image reference (`nginx` → nginx, latest;
/// `host:5000/a/b:1` → host:5000/a/b, 1; `x@sha256:…` → the whole reference, no tag).
pub fn split_reference(name: &str) -> (String, Option<String>) {
    if name.contains('@') {
        return (name.to_string(), None);
    }
    let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    match name[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (name[..at].to_string(), Some(name[at + 1..].to_string()))
        }
        None => (name.to_string(), Some("latest".to_string())),
    }
}

/// Demultiplexes a logs stream of a container without a TTY (8-byte frame
/// headers: stream, 0, 0, 0, big-endian length); a TTY's raw stream is kept.
pub fn demux_logs(raw: &[u8]) -> String {
    let mut out = Vec::new();
    let mut rest = raw;
    let framed = rest.len() >= 8 && matches!(rest[0], 0..=2) && rest[1..4] == [0, 0, 0];
    if !framed {
        return String::from_utf8_lossy(raw).into_owned();
    }
    while rest.len() >= 8 {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = 8usize.saturating_add(len).min(rest.len());
        out.extend_from_slice(&rest[8..end]);
        rest = &rest[end..];
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(socket_path("unix:///var/run/docker.sock").unwrap(), PathBuf::from("/var/run/docker.sock"));
        let e = socket_path("tcp://10.0.0.1:2376").unwrap_err();
        assert!(e.contains("tcp://") && e.contains("only local unix sockets"), "{e}");
        assert!(socket_path("ssh://me@host").unwrap_err().contains("ssh://"));
        assert!(socket_path("/var/run/docker.sock").unwrap_err().contains("unix://"));
        assert!(socket_path("unix://relative").is_err());
    }

    #[test]
    fn references() {
        assert_eq!(split_reference("nginx"), ("nginx".into(), Some("latest".into())));
        assert_eq!(split_reference("nginx:1.27"), ("nginx".into(), Some("1.27".into())));
        assert_eq!(split_reference("localhost:5000/a/b"), ("localhost:5000/a/b".into(), Some("latest".into())));
        assert_eq!(split_reference("localhost:5000/a/b:2"), ("localhost:5000/a/b".into(), Some("2".into())));
        assert_eq!(split_reference("nginx@sha256:abc"), ("nginx@sha256:abc".into(), None));
        assert_eq!(encode("localhost/contin-busybox:1"), "localhost%2Fcontin-busybox%3A1");
    }

    #[test]
    fn errors_and_streams() {
        assert_eq!(error_message(br#"{"message":"No such image: x"}"#), "No such image: x");
        assert_eq!(error_message(b"plain text\n"), "plain text");
        let s = b"{\"status\":\"Pulling\"}\n{\"errorDetail\":{\"message\":\"denied\"},\"error\":\"denied: no\"}\n";
        assert_eq!(pull_stream_error(s).as_deref(), Some("denied: no"));
        assert_eq!(pull_stream_error(b"{\"status\":\"Done\"}\n"), None);
        let mut framed = vec![1, 0, 0, 0, 0, 0, 0, 3];
        framed.extend_from_slice(b"hi\n");
        framed.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 4]);
        framed.extend_from_slice(b"err\n");
        assert_eq!(demux_logs(&framed), "hi\nerr\n");
        // A truncated frame keeps what arrived, no panic.
        assert_eq!(demux_logs(&[1, 0, 0, 0, 0, 0, 0, 9, b'a']), "a");
        assert_eq!(demux_logs(b"raw tty"), "raw tty");
    }
}
