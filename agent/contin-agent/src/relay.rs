//! The relay: a parent agent serves the verified documents it caches
//! (`GET /v1/sites/<site>/desired.json`, ETag + 304), and children read it
//! as a mailbox ([`HttpMailbox`], read-only).

use async_trait::async_trait;
use bytes::Bytes;
use contin_edge_proto::{Mailbox, MailboxError, Read, MAX_DOCUMENT_BYTES};
use http_body_util::{BodyExt as _, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Whole-request timeout of a relay read (a cut link must fail fast).
const HTTP_TIMEOUT: Duration = Duration::from_secs(3);

/// The quoted ETag of a document.
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Sha256::digest(bytes)))
}

/// Documents a relay serves, by site.
#[derive(Clone, Default)]
pub struct RelayCache {
    docs: Arc<RwLock<HashMap<String, (Bytes, String)>>>,
}

impl RelayCache {
    pub fn set(&self, site: &str, bytes: &[u8]) {
        if let Ok(mut d) = self.docs.write() {
            d.insert(site.to_string(), (Bytes::copy_from_slice(bytes), etag(bytes)));
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

    fn get(&self, site: &str) -> Option<(Bytes, String)> {
        self.docs.read().ok()?.get(site).cloned()
    }
}

fn respond(status: StatusCode, body: Bytes, etag: Option<&str>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if let Some(t) = etag.and_then(|t| t.parse().ok()) {
        r.headers_mut().insert(ETAG, t);
    }
    r
}

fn handle(req: &Request<Incoming>, cache: &RelayCache) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return respond(StatusCode::METHOD_NOT_ALLOWED, Bytes::from_static(b"read-only relay\n"), None);
    }
    let site = req.uri().path().strip_prefix("/v1/sites/").and_then(|p| p.strip_suffix("/desired.json"));
    let Some(site) = site.filter(|s| !s.is_empty() && !s.contains('/')) else {
        return respond(StatusCode::NOT_FOUND, Bytes::from_static(b"not found\n"), None);
    };
    let Some((bytes, tag)) = cache.get(site) else {
        return respond(StatusCode::NOT_FOUND, Bytes::from_static(b"site not cached here\n"), None);
    };
    let if_none = req.headers().get(IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if if_none == Some(tag.as_str()) {
        return respond(StatusCode::NOT_MODIFIED, Bytes::new(), Some(&tag));
    }
    let mut r = respond(StatusCode::OK, bytes, Some(&tag));
    r.headers_mut().insert(CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    r
}

/// Binds `addr` (so a bad address fails at start-up) and returns the
/// serving future and the bound address.
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
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let r = handle(&req, &cache);
                    async move { Ok::<_, std::convert::Infallible>(r) }
                });
                let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
                let _ = tokio::time::timeout(Duration::from_secs(60), conn).await;
            });
        }
    };
    Ok((local, serve))
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
        if authority.is_empty() || authority.contains('@') {
            return Err(MailboxError::BadUrl(url.to_string()));
        }
        Ok(HttpMailbox { base: url.trim_end_matches('/').to_string(), authority: authority.to_string(), path_prefix: path.to_string() })
    }

    fn unreachable(&self, detail: impl std::fmt::Display) -> MailboxError {
        MailboxError::Unreachable { url: self.base.clone(), detail: detail.to_string() }
    }

    async fn fetch(&self, path: &str, if_not: Option<&str>) -> Result<Read, MailboxError> {
        let stream = TcpStream::connect(&self.authority).await.map_err(|e| self.unreachable(e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await.map_err(|e| self.unreachable(e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = Request::get(format!("{}{path}", self.path_prefix)).header(HOST, self.authority.as_str());
        if let Some(t) = if_not {
            req = req.header(IF_NONE_MATCH, t);
        }
        let req = req.body(Empty::new()).map_err(|e| MailboxError::Other { url: self.base.clone(), detail: e.to_string() })?;
        let res = sender.send_request(req).await.map_err(|e| self.unreachable(e))?;
        let status = res.status();
        let tag = res.headers().get(ETAG).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        match status {
            StatusCode::NOT_MODIFIED => Ok(Read::NotModified),
            StatusCode::NOT_FOUND => Ok(Read::Missing),
            s if s.is_success() => {
                let body = Limited::new(res.into_body(), MAX_DOCUMENT_BYTES).collect().await.map_err(|e| self.unreachable(format!("reading the body: {e}")))?;
                Ok(Read::Found { bytes: body.to_bytes().to_vec(), tag })
            }
            s if s.is_server_error() => Err(self.unreachable(format!("HTTP {s}"))),
            s => Err(MailboxError::Other { url: self.base.clone(), detail: format!("HTTP {s} for {path}") }),
        }
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
        match tokio::time::timeout(HTTP_TIMEOUT, self.fetch(&path, if_not)).await {
            Ok(r) => r,
            Err(_) => Err(self.unreachable(format!("no answer within {}s", HTTP_TIMEOUT.as_secs()))),
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
    let path = if m.path_prefix.is_empty() { "/".to_string() } else { m.path_prefix.clone() };
    let Ok(stream) = TcpStream::connect(&m.authority).await else { return false };
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await else { return false };
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let Ok(req) = Request::get(path).header(HOST, m.authority.as_str()).body(Empty::new()) else { return false };
    matches!(sender.send_request(req).await, Ok(r) if r.status().is_success() || r.status().is_redirection())
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
        server.abort();
        let _ = server.await;
        // Nothing listens any more: unreachable, not an error of the document.
        assert!(matches!(m.get("sites/s1/desired.json", None).await, Err(MailboxError::Unreachable { .. })));
        assert!(HttpMailbox::new("https://x").is_err());
    }
}
