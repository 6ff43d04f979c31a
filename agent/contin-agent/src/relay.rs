//! The relay: a parent agent serves the verified documents it caches
//! (`GET /v1/sites/<site>/desired.json`, ETag + 304), and children read it
//! as a mailbox ([`HttpMailbox`], read-only).

use async_trait::async_trait;
use contin_edge_proto::{Mailbox, MailboxError, Read, MAX_DOCUMENT_BYTES};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Whole-request timeout of a relay read (a cut link must fail fast).
const HTTP_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest request or response head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// The quoted ETag of a document.
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Sha256::digest(bytes)))
}

/// A cached document and its ETag.
type Cached = (Arc<Vec<u8>>, String);

/// Documents a relay serves, by site.
#[derive(Clone, Default)]
pub struct RelayCache {
    docs: Arc<RwLock<HashMap<String, Cached>>>,
}

impl RelayCache {
    pub fn set(&self, site: &str, bytes: &[u8]) {
        if let Ok(mut d) = self.docs.write() {
            d.insert(site.to_string(), (Arc::new(bytes.to_vec()), etag(bytes)));
        }
    }

    pub fn remove(&self, site: &str) {
        if let Ok(mut d) = self.docs.write() {
            d.remove(site);
        }
    }

    pub fn sites(&self) -> Vec<String> {
        self.docs.read().map(|d| d.keys().cloned().collect()).unwrap_or_default()
    }

    fn get(&self, site: &str) -> Option<Cached> {
        self.docs.read().ok()?.get(site).cloned()
    }
}

/// The end of an HTTP head (`\r\n\r\n`), if complete.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// A header's value (case-insensitive name) from a head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The response to one request head: (status line, etag, body).
fn answer(head: &str, cache: &RelayCache) -> (&'static str, Option<String>, Arc<Vec<u8>>) {
    let text = |s: &str| Arc::new(s.as_bytes().to_vec());
    let mut first = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, path) = (first.next().unwrap_or_default(), first.next().unwrap_or_default());
    if method != "GET" {
        return ("405 Method Not Allowed", None, text("read-only relay\n"));
    }
    let site = path.strip_prefix("/v1/sites/").and_then(|p| p.strip_suffix("/desired.json")).filter(|s| !s.is_empty() && !s.contains('/'));
    let Some(site) = site else { return ("404 Not Found", None, text("not found\n")) };
    let Some((bytes, tag)) = cache.get(site) else { return ("404 Not Found", None, text("site not cached here\n")) };
    if header(head, "if-none-match") == Some(tag.as_str()) {
        return ("304 Not Modified", Some(tag), Arc::new(Vec::new()));
    }
    ("200 OK", Some(tag), bytes)
}

async fn serve_one(mut stream: TcpStream, cache: RelayCache) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let end = loop {
        if let Some(end) = head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            stream.write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await?;
            return Ok(());
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let (status, tag, body) = answer(&head, &cache);
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    if let Some(t) = tag {
        out.push_str(&format!("ETag: {t}\r\n"));
    }
    if status.starts_with("200") {
        out.push_str("Content-Type: application/json\r\n");
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}

/// Binds `addr` (so a bad address fails at start-up) and returns the
/// bound address and the serving future (HTTP/1.1, one request per
/// connection, GET only).
pub async fn bind(addr: SocketAddr, cache: RelayCache) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let serve = async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let cache = cache.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(30), serve_one(stream, cache)).await;
            });
        }
    };
    Ok((local, serve))
}

/// An HTTP response: status code, ETag, body.
struct Response {
    status: u16,
    etag: Option<String>,
    body: Vec<u8>,
}

/// A parent agent's relay, read as a mailbox (documents only).
pub struct HttpMailbox {
    base: String,
    authority: String,
    path_prefix: String,
}

impl HttpMailbox {
    /// `http://host:port[/prefix]` (https is not supported by the relay).
    pub fn new(url: &str) -> Result<HttpMailbox, MailboxError> {
        let rest = url.strip_prefix("http://").ok_or_else(|| MailboxError::BadUrl(url.to_string()))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) || path.contains(char::is_whitespace) {
            return Err(MailboxError::BadUrl(url.to_string()));
        }
        Ok(HttpMailbox { base: url.trim_end_matches('/').to_string(), authority: authority.to_string(), path_prefix: path.to_string() })
    }

    fn unreachable(&self, detail: impl std::fmt::Display) -> MailboxError {
        MailboxError::Unreachable { url: self.base.clone(), detail: detail.to_string() }
    }

    /// One GET (`Connection: close`), body bounded by [`MAX_DOCUMENT_BYTES`].
    async fn request(&self, path: &str, if_not: Option<&str>) -> Result<Response, MailboxError> {
        let mut stream = TcpStream::connect(&self.authority).await.map_err(|e| self.unreachable(e))?;
        let full = format!("{}{path}", self.path_prefix);
        let full = if full.is_empty() { "/" } else { full.as_str() };
        let mut req = format!("GET {full} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.authority);
        if let Some(t) = if_not.filter(|t| !t.contains(['\r', '\n'])) {
            req.push_str(&format!("If-None-Match: {t}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).await.map_err(|e| self.unreachable(e))?;
        let mut buf = Vec::new();
        let limit = (MAX_DOCUMENT_BYTES + MAX_HEAD + 1) as u64;
        (&mut stream).take(limit).read_to_end(&mut buf).await.map_err(|e| self.unreachable(e))?;
        if buf.len() as u64 >= limit {
            return Err(MailboxError::Other { url: self.base.clone(), detail: format!("{path}: response larger than {MAX_DOCUMENT_BYTES} bytes") });
        }
        let end = head_end(&buf).ok_or_else(|| self.unreachable(format!("{path}: incomplete HTTP response")))?;
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok()).ok_or_else(|| self.unreachable(format!("{path}: not an HTTP response")))?;
        if header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            return Err(MailboxError::Other { url: self.base.clone(), detail: format!("{path}: chunked responses are not supported") });
        }
        let mut body = buf[end..].to_vec();
        if let Some(n) = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()) {
            if body.len() < n {
                return Err(self.unreachable(format!("{path}: response cut short")));
            }
            body.truncate(n);
        }
        Ok(Response { status, etag: header(&head, "etag").map(str::to_string), body })
    }
}

#[async_trait]
impl Mailbox for HttpMailbox {
    fn url(&self) -> String {
        self.base.clone()
    }

    async fn get(&self, key: &str, if_not: Option<&str>) -> Result<Read, MailboxError> {
        let site = key.strip_prefix("sites/").and_then(|k| k.strip_suffix("/desired.json")).filter(|s| !s.is_empty() && !s.contains('/'));
        let Some(site) = site else {
            return Err(MailboxError::Other { url: self.base.clone(), detail: format!("a relay serves only sites/<site>/desired.json, not {key}") });
        };
        let path = format!("/v1/sites/{site}/desired.json");
        let res = match tokio::time::timeout(HTTP_TIMEOUT, self.request(&path, if_not)).await {
            Ok(r) => r?,
            Err(_) => return Err(self.unreachable(format!("no answer within {}s", HTTP_TIMEOUT.as_secs()))),
        };
        match res.status {
            304 => Ok(Read::NotModified),
            404 => Ok(Read::Missing),
            200..=299 => Ok(Read::Found { bytes: res.body, tag: res.etag.unwrap_or_default() }),
            s if s >= 500 => Err(self.unreachable(format!("HTTP {s}"))),
            s => Err(MailboxError::Other { url: self.base.clone(), detail: format!("HTTP {s} for {path}") }),
        }
    }

    async fn put(&self, key: &str, _bytes: &[u8]) -> Result<(), MailboxError> {
        Err(MailboxError::Other { url: self.base.clone(), detail: format!("a relay is read-only (cannot write {key})") })
    }

    async fn list(&self, _prefix: &str) -> Result<Vec<String>, MailboxError> {
        Err(MailboxError::Other { url: self.base.clone(), detail: "a relay cannot list".into() })
    }
}

/// An HTTP health check: `url` (`http://host:port/path`) answers 2xx or 3xx.
pub async fn http_ok(url: &str) -> bool {
    let Ok(m) = HttpMailbox::new(url) else { return false };
    matches!(m.request("", None).await, Ok(r) if (200..400).contains(&r.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn relay_serves_cached_documents_with_etags() {
        let cache = RelayCache::default();
        cache.set("s1", b"{\"doc\":1}");
        let (addr, serve) = bind("127.0.0.1:0".parse().unwrap(), cache.clone()).await.unwrap();
        let server = tokio::spawn(serve);
        let m = HttpMailbox::new(&format!("http://{addr}")).unwrap();
        let Read::Found { bytes, tag } = m.get("sites/s1/desired.json", None).await.unwrap() else { panic!("found") };
        assert_eq!(bytes, b"{\"doc\":1}");
        assert_eq!(tag, etag(b"{\"doc\":1}"));
        assert_eq!(m.get("sites/s1/desired.json", Some(&tag)).await.unwrap(), Read::NotModified);
        cache.set("s1", b"{\"doc\":2}");
        assert!(matches!(m.get("sites/s1/desired.json", Some(&tag)).await.unwrap(), Read::Found { .. }));
        assert_eq!(m.get("sites/other/desired.json", None).await.unwrap(), Read::Missing);
        assert!(matches!(m.get("sites/s1/agents/x/status.json", None).await, Err(MailboxError::Other { .. })));
        assert!(m.put("sites/s1/desired.json", b"x").await.is_err());
        assert!(http_ok(&format!("http://{addr}/v1/sites/s1/desired.json")).await);
        assert!(!http_ok(&format!("http://{addr}/v1/sites/nope/desired.json")).await);
        assert!(!http_ok(&format!("http://{addr}")).await);
        server.abort();
        let _ = server.await;
        // Nothing listens any more: unreachable, not an error of the document.
        assert!(matches!(m.get("sites/s1/desired.json", None).await, Err(MailboxError::Unreachable { .. })));
        assert!(HttpMailbox::new("https://x").is_err());
    }
}
