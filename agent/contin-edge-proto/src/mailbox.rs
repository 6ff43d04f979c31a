//! Mailboxes (docs/edge-protocol.md, "Mailbox"): small JSON objects under
//! keys like `sites/<site>/desired.json`, read conditionally.
//!
//! - [`FileMailbox`]: a directory (local state backend); version tag =
//!   mtime + length; writes are temp file + fsync + rename.
//! - [`S3Mailbox`] (feature `s3`): a bucket prefix; version tag = ETag,
//!   `If-None-Match` reads.
//!
//! The HTTP relay mailbox (`http://…`, a parent agent) lives in the agent.

use async_trait::async_trait;
use std::path::{Component, Path, PathBuf};

/// Largest object read from a mailbox.
pub const MAX_OBJECT_BYTES: u64 = crate::MAX_DOCUMENT_BYTES as u64;

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// The mailbox could not be reached (network, timeout, missing mount):
    /// the agent keeps running what it has.
    #[error("mailbox {url} unreachable: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("mailbox {url}: {detail}")]
    Other { url: String, detail: String },
    #[error("invalid mailbox URL {0:?}: expected file:///DIR, s3://BUCKET/PREFIX/?region=R[&endpoint=URL] or http://HOST:PORT")]
    BadUrl(String),
    #[error("invalid mailbox key {0:?}")]
    BadKey(String),
}

/// The outcome of a conditional read.
#[derive(Debug, PartialEq)]
pub enum Read {
    Missing,
    /// Same version tag as the one given.
    NotModified,
    Found { bytes: Vec<u8>, tag: String },
}

#[async_trait]
pub trait Mailbox: Send + Sync {
    /// The mailbox's URL (no credentials).
    fn url(&self) -> String;
    /// Reads `key`; `NotModified` when its version tag equals `if_not`.
    async fn get(&self, key: &str, if_not: Option<&str>) -> Result<Read, MailboxError>;
    /// Writes `key` whole (readers see the old or the new object).
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), MailboxError>;
    /// Keys under `prefix` (sorted).
    async fn list(&self, prefix: &str) -> Result<Vec<String>, MailboxError>;
}

/// A parsed mailbox URL.
#[derive(Clone, Debug, PartialEq)]
pub enum MailboxUrl {
    File(PathBuf),
    S3 { bucket: String, prefix: String, region: Option<String>, endpoint: Option<String> },
    Http(String),
}

impl MailboxUrl {
    pub fn parse(url: &str) -> Result<MailboxUrl, MailboxError> {
        let bad = || MailboxError::BadUrl(url.to_string());
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad());
            }
            return Ok(MailboxUrl::File(PathBuf::from(path)));
        }
        if url.starts_with("http://") || url.starts_with("https://") {
            return Ok(MailboxUrl::Http(url.trim_end_matches('/').to_string()));
        }
        let rest = url.strip_prefix("s3://").ok_or_else(bad)?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
        if bucket.is_empty() {
            return Err(bad());
        }
        let (mut region, mut endpoint) = (None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("region", v)) => region = Some(v.to_string()),
                Some(("endpoint", v)) => endpoint = Some(v.to_string()),
                _ => return Err(bad()),
            }
        }
        let prefix = if prefix.is_empty() || prefix.ends_with('/') { prefix.to_string() } else { format!("{prefix}/") };
        Ok(MailboxUrl::S3 { bucket: bucket.to_string(), prefix, region, endpoint })
    }

    /// The URL form (inverse of `parse`).
    pub fn render(&self) -> String {
        match self {
            MailboxUrl::File(p) => format!("file://{}", p.display()),
            MailboxUrl::Http(u) => u.clone(),
            MailboxUrl::S3 { bucket, prefix, region, endpoint } => {
                let mut q = Vec::new();
                if let Some(r) = region {
                    q.push(format!("region={r}"));
                }
                if let Some(e) = endpoint {
                    q.push(format!("endpoint={e}"));
                }
                let q = if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) };
                format!("s3://{bucket}/{prefix}{q}")
            }
        }
    }

    /// Opens a file or S3 mailbox (`Http` is the agent's: `None` here).
    pub async fn open(&self) -> Result<Option<Box<dyn Mailbox>>, MailboxError> {
        self.open_shared(&Connections::default()).await
    }

    /// Like [`MailboxUrl::open`], reusing `conns`' S3 clients (one HTTP
    /// connection pool per endpoint and region, kept-alive connections
    /// shared by every mailbox opened through the same `Connections`).
    pub async fn open_shared(&self, conns: &Connections) -> Result<Option<Box<dyn Mailbox>>, MailboxError> {
        let _ = conns;
        Ok(match self {
            MailboxUrl::File(p) => Some(Box::new(FileMailbox::new(p.clone()))),
            #[cfg(feature = "s3")]
            MailboxUrl::S3 { .. } => Some(Box::new(S3Mailbox::connect_shared(self, conns).await?)),
            _ => None,
        })
    }
}

/// S3 clients (each with its HTTP connection pool) shared between the
/// mailboxes opened through it: many in-process agents (the fleet bench)
/// or an agent's upstream and status mailbox then reuse kept-alive
/// connections instead of one pool each. Cheap to clone (shared inside).
#[derive(Clone, Default)]
pub struct Connections {
    #[cfg(feature = "s3")]
    clients: std::sync::Arc<tokio::sync::Mutex<S3Clients>>,
}

/// S3 clients by (region, endpoint).
#[cfg(feature = "s3")]
type S3Clients = std::collections::HashMap<(Option<String>, Option<String>), aws_sdk_s3::Client>;

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connections")
    }
}

/// A key is a relative path of plain components (no `..`, no absolute).
fn check_key(key: &str) -> Result<(), MailboxError> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && Path::new(key).components().all(|c| matches!(c, Component::Normal(_)))
        && !key.contains('\\');
    if ok {
        Ok(())
    } else {
        Err(MailboxError::BadKey(key.to_string()))
    }
}

/// A directory mailbox.
#[derive(Clone, Debug)]
pub struct FileMailbox {
    root: PathBuf,
    create_root: bool,
}

impl FileMailbox {
    /// A mailbox whose root is created by the first write (control side).
    pub fn new(root: PathBuf) -> Self {
        FileMailbox { root, create_root: true }
    }

    /// A mailbox that must already exist: a missing root is
    /// [`MailboxError::Unreachable`] for writes too, never recreated (the
    /// agent's side: an unmounted share or a cut link stays cut).
    pub fn existing(root: PathBuf) -> Self {
        FileMailbox { root, create_root: false }
    }

    fn err(&self, e: std::io::Error) -> MailboxError {
        let url = self.url();
        match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::TimedOut => MailboxError::Unreachable { url, detail: e.to_string() },
            _ => MailboxError::Other { url, detail: e.to_string() },
        }
    }

    fn get_sync(&self, key: &str, if_not: Option<&str>) -> Result<Read, MailboxError> {
        check_key(key)?;
        if !self.root.is_dir() {
            return Err(MailboxError::Unreachable { url: self.url(), detail: "directory not found".into() });
        }
        let path = self.root.join(key);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Missing),
            Err(e) => return Err(self.err(e)),
        };
        let mtime = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        let tag = format!("{mtime}-{}", meta.len());
        if if_not == Some(tag.as_str()) {
            return Ok(Read::NotModified);
        }
        if meta.len() > MAX_OBJECT_BYTES {
            return Err(MailboxError::Other { url: self.url(), detail: format!("{key} is larger than {MAX_OBJECT_BYTES} bytes") });
        }
        let bytes = std::fs::read(&path).map_err(|e| self.err(e))?;
        Ok(Read::Found { bytes, tag })
    }

    fn put_sync(&self, key: &str, bytes: &[u8]) -> Result<(), MailboxError> {
        use std::io::Write as _;
        check_key(key)?;
        if !self.create_root && !self.root.is_dir() {
            return Err(MailboxError::Unreachable { url: self.url(), detail: "directory not found".into() });
        }
        let path = self.root.join(key);
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| self.err(e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.err(e))?;
        tmp.write_all(bytes).and_then(|_| tmp.as_file().sync_all()).map_err(|e| self.err(e))?;
        tmp.persist(&path).map_err(|e| self.err(e.error))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn list_sync(&self, prefix: &str) -> Result<Vec<String>, MailboxError> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.err(e)),
            };
            for entry in entries.flatten() {
                let p = entry.path();
                let Ok(rel) = p.strip_prefix(&self.root) else { continue };
                let rel = rel.to_string_lossy().to_string();
                let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
                if is_dir {
                    // Only descend where the prefix can still match.
                    let d = format!("{rel}/");
                    if d.starts_with(prefix) || prefix.starts_with(&d) {
                        stack.push(p);
                    }
                } else if rel.starts_with(prefix) && !rel.contains("/.tmp") && !entry.file_name().to_string_lossy().starts_with(".tmp") {
                    out.push(rel);
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

#[async_trait]
impl Mailbox for FileMailbox {
    fn url(&self) -> String {
        format!("file://{}", self.root.display())
    }
    async fn get(&self, key: &str, if_not: Option<&str>) -> Result<Read, MailboxError> {
        let (me, key, if_not) = (self.clone(), key.to_string(), if_not.map(str::to_string));
        tokio::task::spawn_blocking(move || me.get_sync(&key, if_not.as_deref()))
            .await
            .map_err(|e| MailboxError::Other { url: self.url(), detail: e.to_string() })?
    }
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), MailboxError> {
        let (me, key, bytes) = (self.clone(), key.to_string(), bytes.to_vec());
        tokio::task::spawn_blocking(move || me.put_sync(&key, &bytes))
            .await
            .map_err(|e| MailboxError::Other { url: self.url(), detail: e.to_string() })?
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, MailboxError> {
        let (me, prefix) = (self.clone(), prefix.to_string());
        tokio::task::spawn_blocking(move || me.list_sync(&prefix))
            .await
            .map_err(|e| MailboxError::Other { url: self.url(), detail: e.to_string() })?
    }
}

#[cfg(feature = "s3")]
pub use s3::S3Mailbox;

#[cfg(feature = "s3")]
mod s3 {
    use super::*;
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::Client;
    use std::time::Duration;

    /// A bucket prefix as a mailbox. Credentials: the standard AWS chain.
    #[derive(Clone, Debug)]
    pub struct S3Mailbox {
        client: Client,
        bucket: String,
        prefix: String,
        url: String,
    }

    impl S3Mailbox {
        /// Short timeouts and 2 attempts: a poll must fail fast while the
        /// link is down (the agent keeps running what it has).
        pub async fn connect(url: &MailboxUrl) -> Result<S3Mailbox, MailboxError> {
            S3Mailbox::connect_shared(url, &Connections::default()).await
        }

        /// [`S3Mailbox::connect`] through `conns`: the first mailbox for an
        /// (endpoint, region) builds the client, later ones share it.
        pub async fn connect_shared(url: &MailboxUrl, conns: &Connections) -> Result<S3Mailbox, MailboxError> {
            let MailboxUrl::S3 { bucket, prefix, region, endpoint } = url else {
                return Err(MailboxError::BadUrl(url.render()));
            };
            let mut clients = conns.clients.lock().await;
            let slot = (region.clone(), endpoint.clone());
            if let Some(c) = clients.get(&slot) {
                return Ok(S3Mailbox::with_client(c.clone(), bucket, prefix, url.render()));
            }
            let timeouts = TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(12))
                .build();
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .timeout_config(timeouts)
                .retry_config(RetryConfig::standard().with_max_attempts(2));
            if let Some(r) = region {
                loader = loader.region(Region::new(r.clone()));
            }
            if let Some(e) = endpoint {
                loader = loader.endpoint_url(e);
            }
            let sdk = loader.load().await;
            if sdk.region().is_none() {
                return Err(MailboxError::BadUrl(format!("{} (no region: add ?region=R or set AWS_REGION)", url.render())));
            }
            let path_style = endpoint.is_some() || sdk.endpoint_url().is_some();
            let conf = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(path_style).build();
            let client = Client::from_conf(conf);
            clients.insert(slot, client.clone());
            Ok(S3Mailbox::with_client(client, bucket, prefix, url.render()))
        }

        pub fn with_client(client: Client, bucket: &str, prefix: &str, url: String) -> S3Mailbox {
            S3Mailbox { client, bucket: bucket.to_string(), prefix: prefix.to_string(), url }
        }

        fn fail<E: std::error::Error + Send + Sync + 'static>(&self, e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> MailboxError {
            let unreachable = matches!(e, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_))
                || e.raw_response().is_some_and(|r| r.status().as_u16() >= 500);
            let detail = DisplayErrorContext(e).to_string();
            if unreachable {
                MailboxError::Unreachable { url: self.url.clone(), detail }
            } else {
                MailboxError::Other { url: self.url.clone(), detail }
            }
        }
    }

    #[async_trait]
    impl Mailbox for S3Mailbox {
        fn url(&self) -> String {
            self.url.clone()
        }

        async fn get(&self, key: &str, if_not: Option<&str>) -> Result<Read, MailboxError> {
            check_key(key)?;
            let req = self.client.get_object().bucket(&self.bucket).key(format!("{}{key}", self.prefix)).set_if_none_match(if_not.map(str::to_string));
            match req.send().await {
                Ok(out) => {
                    if out.content_length().unwrap_or(0) as u64 > MAX_OBJECT_BYTES {
                        return Err(MailboxError::Other { url: self.url.clone(), detail: format!("{key} is larger than {MAX_OBJECT_BYTES} bytes") });
                    }
                    let tag = out.e_tag().unwrap_or_default().to_string();
                    let bytes = out.body.collect().await.map_err(|e| MailboxError::Unreachable { url: self.url.clone(), detail: e.to_string() })?.into_bytes().to_vec();
                    Ok(Read::Found { bytes, tag })
                }
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 304) => Ok(Read::NotModified),
                Err(SdkError::ServiceError(se)) if se.err().is_no_such_key() || se.raw().status().as_u16() == 404 => Ok(Read::Missing),
                Err(e) => Err(self.fail(e)),
            }
        }

        async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), MailboxError> {
            check_key(key)?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(format!("{}{key}", self.prefix))
                .content_type("application/json")
                .body(ByteStream::from(bytes.to_vec()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.fail(e))
        }

        async fn list(&self, prefix: &str) -> Result<Vec<String>, MailboxError> {
            let mut out = Vec::new();
            let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(format!("{}{prefix}", self.prefix)).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.fail(e))?;
                for o in page.contents() {
                    if let Some(k) = o.key().and_then(|k| k.strip_prefix(&self.prefix)) {
                        out.push(k.to_string());
                    }
                }
            }
            out.sort();
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_render() {
        let u = MailboxUrl::parse("s3://b/env/prod?region=eu-west-1&endpoint=http://127.0.0.1:5000").unwrap();
        assert_eq!(u, MailboxUrl::S3 { bucket: "b".into(), prefix: "env/prod/".into(), region: Some("eu-west-1".into()), endpoint: Some("http://127.0.0.1:5000".into()) });
        assert_eq!(MailboxUrl::parse(&u.render()).unwrap(), u);
        assert_eq!(MailboxUrl::parse("file:///var/m").unwrap(), MailboxUrl::File("/var/m".into()));
        assert!(MailboxUrl::parse("file://rel").is_err());
        assert!(MailboxUrl::parse("ftp://x").is_err());
        assert!(MailboxUrl::parse("s3://b/p?token=secret").is_err());
    }

    #[tokio::test]
    async fn file_mailbox_reads_conditionally_and_refuses_escaping_keys() {
        let dir = tempfile::tempdir().unwrap();
        let m = FileMailbox::new(dir.path().to_path_buf());
        assert_eq!(m.get("sites/a/desired.json", None).await.unwrap(), Read::Missing);
        m.put("sites/a/desired.json", b"{}").await.unwrap();
        let Read::Found { bytes, tag } = m.get("sites/a/desired.json", None).await.unwrap() else { panic!("found") };
        assert_eq!(bytes, b"{}");
        assert_eq!(m.get("sites/a/desired.json", Some(&tag)).await.unwrap(), Read::NotModified);
        m.put("sites/a/desired.json", b"{\"x\":1}").await.unwrap();
        assert!(matches!(m.get("sites/a/desired.json", Some(&tag)).await.unwrap(), Read::Found { .. }));
        m.put("sites/a/agents/x/status.json", b"{}").await.unwrap();
        assert_eq!(m.list("sites/a/agents/").await.unwrap(), vec!["sites/a/agents/x/status.json".to_string()]);
        for bad in ["../x", "/etc/passwd", "a/../../b", ""] {
            assert!(matches!(m.get(bad, None).await, Err(MailboxError::BadKey(_))), "{bad}");
        }
        let gone = FileMailbox::new(dir.path().join("missing"));
        assert!(matches!(gone.get("sites/a/desired.json", None).await, Err(MailboxError::Unreachable { .. })));
        let gone = FileMailbox::existing(dir.path().join("missing"));
        assert!(matches!(gone.put("sites/a/agents/x/status.json", b"{}").await, Err(MailboxError::Unreachable { .. })));
        assert!(!dir.path().join("missing").exists());
        FileMailbox::new(dir.path().join("missing")).put("sites/a/desired.json", b"{}").await.unwrap();
        assert!(dir.path().join("missing/sites/a/desired.json").exists());
    }
}
