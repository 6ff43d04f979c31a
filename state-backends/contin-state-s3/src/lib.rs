//! The `s3` state backend: state object + `KEY.lock` lock object with
//! conditional writes (`If-None-Match: *`, `If-Match: <etag>`).
//!
//! Objects, for `bucket = "b"`, `key = "env/prod/contin.state.json"`:
//! - `s3://b/env/prod/contin.state.json`: the state (`contin_state::codec` JSON);
//! - `s3://b/env/prod/contin.state.json.lock`: present while someone holds
//!   the lock; holds that holder's `LockInfo` as JSON. Created with
//!   `If-None-Match: *`, so exactly one of two racing writers gets it.
//!   S3 cannot notice a dead holder; when the record names this host and a
//!   pid that is no longer running, `StateError::Locked` says so and gives
//!   the exact `contin force-unlock -force ID` command.
//! - `s3://b/env/prod/sites/<site>/{desired,status}.json`: reserved for the
//!   edge agent mailbox (see `S3Backend::site_key`).
//!
//! Every state write is conditional: `If-Match: <etag>` of the object whose
//! serial the caller expects (the ETag seen at the last load / persist of
//! this instance, else read right before the write), or `If-None-Match: *`
//! when nothing is expected to be stored. A lost race is a 412 from S3 and
//! becomes `StateError::Conflict`; nothing is overwritten.

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_s3::Client;
use contin_state::codec::{check_write, decode, decode_header, encode, StateHeader};
use contin_state::{Backend, LockInfo, State, StateError};
use std::sync::Arc;
use std::time::Duration;

/// The `backend "s3"` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// Object key of the state (`path/to/contin.state.json`).
    pub key: String,
    /// Region; else `AWS_REGION` / the profile's region.
    pub region: Option<String>,
    /// Custom endpoint (moto, MinIO, …); path-style addressing is used then.
    pub endpoint: Option<String>,
    /// Named profile of the shared AWS config/credentials files.
    pub profile: Option<String>,
    /// Server-side encryption of state and lock objects.
    pub encrypt: bool,
    /// With `encrypt`: SSE-KMS with this key (else SSE-S3, AES256).
    pub kms_key_id: Option<String>,
}

/// A configuration the backend cannot be built from.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum S3ConfigError {
    #[error("backend \"s3\": {0} must not be empty")]
    Empty(&'static str),
    #[error("backend \"s3\": key {0:?} must not start or end with '/'")]
    BadKey(String),
    #[error("backend \"s3\": endpoint {0:?} must be an http:// or https:// URL")]
    BadEndpoint(String),
    #[error("backend \"s3\": kms_key_id is set but encrypt is false; set encrypt = true")]
    KmsWithoutEncrypt,
    #[error(
        "backend \"s3\": no region: set `region` in the backend block, the AWS_REGION environment variable, or a region in the selected AWS profile"
    )]
    MissingRegion,
}

impl S3Config {
    /// Checks the fields that need no network.
    pub fn validate(&self) -> Result<(), S3ConfigError> {
        if self.bucket.trim().is_empty() {
            return Err(S3ConfigError::Empty("bucket"));
        }
        if self.key.trim().is_empty() {
            return Err(S3ConfigError::Empty("key"));
        }
        if self.key.starts_with('/') || self.key.ends_with('/') {
            return Err(S3ConfigError::BadKey(self.key.clone()));
        }
        if let Some(e) = &self.endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(S3ConfigError::BadEndpoint(e.clone()));
            }
        }
        if self.region.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return Err(S3ConfigError::Empty("region"));
        }
        if self.kms_key_id.is_some() && !self.encrypt {
            return Err(S3ConfigError::KmsWithoutEncrypt);
        }
        Ok(())
    }
}

/// The ETag and header of the state object as this instance last saw it.
#[derive(Clone, Debug)]
struct Seen {
    etag: String,
    header: StateHeader,
}

/// State kept in one S3 object, locked by a second one.
#[derive(Clone, Debug)]
pub struct S3Backend {
    client: Client,
    cfg: Arc<S3Config>,
    seen: Arc<tokio::sync::Mutex<Option<Seen>>>,
}

/// Bounded so an unreachable endpoint fails in seconds instead of hanging.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

impl S3Backend {
    /// Builds a client from the standard credential chain (env, profile,
    /// web identity, IMDS…); bounded timeouts and 3 attempts per request.
    pub async fn connect(cfg: S3Config) -> Result<S3Backend, S3ConfigError> {
        cfg.validate()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts())
            .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(200)));
        if let Some(p) = &cfg.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &cfg.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(e) = &cfg.endpoint {
            loader = loader.endpoint_url(e);
        }
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(S3ConfigError::MissingRegion);
        }
        let s3 = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(cfg.endpoint.is_some()).build();
        Ok(S3Backend::with_client(Client::from_conf(s3), cfg))
    }

    /// A backend over an existing client (no validation, no IO). Each call
    /// is a new instance with its own ETag cache (as a new process would be).
    pub fn with_client(client: Client, cfg: S3Config) -> S3Backend {
        S3Backend { client, cfg: Arc::new(cfg), seen: Arc::new(tokio::sync::Mutex::new(None)) }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    /// `s3://bucket/key`
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.cfg.bucket, self.cfg.key)
    }

    /// The lock object's key: `<key>.lock`.
    pub fn lock_key(&self) -> String {
        format!("{}.lock", self.cfg.key)
    }

    /// The directory of `key` (`""` at the bucket root, else ending in `/`):
    /// the prefix under which the edge mailbox lives.
    pub fn prefix(&self) -> String {
        match self.cfg.key.rfind('/') {
            Some(i) => self.cfg.key[..=i].to_string(),
            None => String::new(),
        }
    }

    /// Edge mailbox object for a site: `<prefix>sites/<site>/<file>`
    /// (`file`: `desired.json` or `status.json`). Reserved; the edge agent
    /// issue reads and writes these.
    pub fn site_key(&self, site: &str, file: &str) -> String {
        format!("{}sites/{site}/{file}", self.prefix())
    }

    fn other(&self, what: &str, e: impl std::error::Error) -> StateError {
        StateError::Other(format!("{what} {}: {}", self.url(), DisplayErrorContext(e)))
    }

    /// The state object's bytes and ETag; `None` when it does not exist.
    async fn get_state(&self) -> Result<Option<(Vec<u8>, String)>, StateError> {
        get_object(&self.client, &self.cfg.bucket, &self.cfg.key).await.map_err(|e| StateError::Other(format!("reading state {}: {e}", self.url())))
    }

    async fn get_lock(&self) -> Result<Option<(LockInfo, String)>, StateError> {
        let key = self.lock_key();
        let got = get_object(&self.client, &self.cfg.bucket, &key)
            .await
            .map_err(|e| StateError::Other(format!("reading lock s3://{}/{key}: {}", self.cfg.bucket, e)))?;
        Ok(got.map(|(bytes, etag)| {
            let info = serde_json::from_slice::<LockInfo>(&bytes).unwrap_or_else(|e| LockInfo {
                id: UNREADABLE_LOCK_ID.to_string(),
                operation: "unknown".to_string(),
                who: format!("an unknown holder (lock object s3://{}/{key} is unreadable: {e})", self.cfg.bucket),
                created: "an unknown time".to_string(),
                path: self.url(),
                pid: 0,
                host: String::new(),
                ci_url: None,
            });
            (info, etag)
        }))
    }

    fn sse(&self, req: aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        if !self.cfg.encrypt {
            return req;
        }
        match &self.cfg.kms_key_id {
            Some(k) => req.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id(k),
            None => req.server_side_encryption(ServerSideEncryption::Aes256),
        }
    }

    /// Current stored serial, for a Conflict message after a lost race.
    async fn stored_serial(&self) -> Result<Option<u64>, StateError> {
        match self.get_state().await? {
            None => Ok(None),
            Some((bytes, _)) => Ok(Some(decode_header(&bytes, &self.url())?.serial)),
        }
    }

    async fn release(&self, id: &str, force: bool) -> Result<(), StateError> {
        let Some((holder, etag)) = self.get_lock().await? else {
            return Err(StateError::LockNotHeld(id.to_string()));
        };
        if holder.id != id {
            return Err(if force { StateError::Locked(holder) } else { StateError::LockNotHeld(id.to_string()) });
        }
        // If-Match: never delete a lock someone else took in the meantime.
        match self.client.delete_object().bucket(&self.cfg.bucket).key(self.lock_key()).if_match(etag).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_status(&e, 412) || is_status(&e, 404) || code_is(&e, "NoSuchKey") => {
                Err(StateError::LockNotHeld(id.to_string()))
            }
            Err(e) => Err(self.other("removing the lock of", e)),
        }
    }
}

/// The lock ID reported for a lock object whose content cannot be parsed;
/// `contin force-unlock unreadable-lock-file` removes it.
pub const UNREADABLE_LOCK_ID: &str = "unreadable-lock-file";

async fn get_object(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<(Vec<u8>, String)>, String> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let etag = out.e_tag().unwrap_or_default().to_string();
            let body = out.body.collect().await.map_err(|e| format!("reading the body: {e}"))?.into_bytes().to_vec();
            Ok(Some((body, etag)))
        }
        Err(SdkError::ServiceError(se)) if se.err().is_no_such_key() => Ok(None),
        Err(e) => Err(DisplayErrorContext(e).to_string()),
    }
}

type Resp = aws_sdk_s3::config::http::HttpResponse;

fn is_status<E>(e: &SdkError<E, Resp>, status: u16) -> bool {
    e.raw_response().is_some_and(|r| r.status().as_u16() == status)
}

fn code_is<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>, code: &str) -> bool {
    e.code() == Some(code)
}

/// A conditional write lost: 412 PreconditionFailed, 409
/// ConditionalRequestConflict (concurrent conditional writes), or 404 for
/// `If-Match` on an object that was deleted.
fn lost_condition<E: ProvideErrorMetadata>(e: &SdkError<E, Resp>) -> bool {
    is_status(e, 412) || is_status(e, 409) || code_is(e, "PreconditionFailed") || code_is(e, "ConditionalRequestConflict")
}

#[async_trait]
impl Backend for S3Backend {
    fn describe(&self) -> String {
        self.url()
    }

    async fn load(&self) -> Result<Option<State>, StateError> {
        let mut seen = self.seen.lock().await;
        let Some((bytes, etag)) = self.get_state().await? else {
            *seen = None;
            return Ok(None);
        };
        let state = decode(&bytes, &self.url())?;
        *seen = Some(Seen { etag, header: StateHeader::from(&state) });
        Ok(Some(state))
    }

    async fn persist(&self, state: &State, expected_serial: Option<u64>) -> Result<(), StateError> {
        let location = self.url();
        // Held across the write: serializes this instance's checkpoints.
        let mut seen = self.seen.lock().await;
        let base = match (&*seen, expected_serial) {
            (Some(s), Some(exp)) if s.header.serial == exp => Some(s.clone()),
            (_, None) => None,
            // We did not see the expected serial: read what is there now.
            _ => match self.get_state().await? {
                None => None,
                Some((bytes, etag)) => Some(Seen { header: decode_header(&bytes, &location)?, etag }),
            },
        };
        check_write(&location, base.as_ref().map(|b| &b.header), state, expected_serial)?;
        let bytes = encode(state)?;
        let mut req = self
            .client
            .put_object()
            .bucket(&self.cfg.bucket)
            .key(&self.cfg.key)
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        req = match &base {
            Some(b) => req.if_match(&b.etag),
            None => req.if_none_match("*"),
        };
        match self.sse(req).send().await {
            Ok(out) => {
                *seen = out.e_tag().map(|etag| Seen { etag: etag.to_string(), header: StateHeader::from(state) });
                Ok(())
            }
            Err(e) if lost_condition(&e) || (base.is_some() && (is_status(&e, 404) || code_is(&e, "NoSuchKey"))) => {
                *seen = None;
                let found = self.stored_serial().await?;
                Err(StateError::Conflict { location, expected: expected_serial, found })
            }
            Err(e) => Err(self.other("writing state", e)),
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let body = serde_json::to_vec_pretty(info).map_err(|e| StateError::Other(format!("cannot encode lock info: {e}")))?;
        // A holder may release between our refused create and our read: try again then.
        for _ in 0..3 {
            let req = self
                .client
                .put_object()
                .bucket(&self.cfg.bucket)
                .key(self.lock_key())
                .content_type("application/json")
                .if_none_match("*")
                .body(ByteStream::from(body.clone()));
            match self.sse(req).send().await {
                Ok(_) => {
                    // Real S3 makes If-None-Match atomic; read back anyway so a
                    // store that does not (an emulator) cannot hand out two locks
                    // silently.
                    return match self.get_lock().await? {
                        Some((h, _)) if h.id == info.id => Ok(()),
                        Some((h, _)) => Err(StateError::Locked(h)),
                        None => Err(StateError::Other(format!(
                            "lock object s3://{}/{} vanished right after it was created; retry",
                            self.cfg.bucket,
                            self.lock_key()
                        ))),
                    };
                }
                Err(e) if lost_condition(&e) => {
                    if let Some((h, _)) = self.get_lock().await? {
                        return Err(StateError::Locked(h));
                    }
                }
                Err(e) => return Err(self.other("creating the lock of", e)),
            }
        }
        Err(StateError::Other(format!(
            "lock object s3://{}/{} keeps appearing and vanishing; retry",
            self.cfg.bucket,
            self.lock_key()
        )))
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        self.release(id, false).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        self.release(id, true).await
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.get_lock().await?.map(|(h, _)| h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(key: &str) -> S3Config {
        S3Config { bucket: "b".into(), key: key.into(), region: Some("us-east-1".into()), ..S3Config::default() }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_record_of_a_dead_process_on_this_host_is_reported_as_such() {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("reap");
        let mut info = LockInfo::new("apply", "s3://b/k");
        info.pid = pid;
        // What `lock` writes and `get_lock` reads back.
        let body = serde_json::to_vec_pretty(&info).expect("json");
        let read: LockInfo = serde_json::from_slice(&body).expect("parses");
        assert_eq!((read.pid, read.host.as_str()), (pid, contin_state::this_host().as_str()));
        let msg = StateError::Locked(read).to_string();
        assert!(msg.contains(&format!("held by a process that is no longer running (pid {pid} on this host)")), "{msg}");
        assert!(msg.ends_with(&format!("contin force-unlock -force {}", info.id)), "{msg}");
        // A record from an older contin (no pid/host) keeps today's message.
        let old = r#"{"id":"i","operation":"apply","who":"ci@runner-7 (pid 4242)","created":"2026-01-01T00:00:00Z","path":"p"}"#;
        let msg = StateError::Locked(serde_json::from_str(old).expect("old record")).to_string();
        assert!(!msg.contains("no longer running (pid") && msg.contains("ci@runner-7 (pid 4242)"), "{msg}");
    }

    #[test]
    fn validation() {
        assert_eq!(cfg("s.json").validate(), Ok(()));
        assert_eq!(S3Config { bucket: " ".into(), ..cfg("k") }.validate(), Err(S3ConfigError::Empty("bucket")));
        assert_eq!(cfg("").validate(), Err(S3ConfigError::Empty("key")));
        assert_eq!(cfg("/a").validate(), Err(S3ConfigError::BadKey("/a".into())));
        assert_eq!(cfg("a/").validate(), Err(S3ConfigError::BadKey("a/".into())));
        assert_eq!(
            S3Config { endpoint: Some("localhost:9000".into()), ..cfg("k") }.validate(),
            Err(S3ConfigError::BadEndpoint("localhost:9000".into()))
        );
        assert_eq!(S3Config { kms_key_id: Some("k".into()), ..cfg("k") }.validate(), Err(S3ConfigError::KmsWithoutEncrypt));
        assert_eq!(S3Config { region: Some("".into()), ..cfg("k") }.validate(), Err(S3ConfigError::Empty("region")));
    }

    #[tokio::test]
    async fn key_layout() {
        let client = Client::from_conf(
            aws_sdk_s3::Config::builder().behavior_version(BehaviorVersion::latest()).region(Region::new("us-east-1")).build(),
        );
        let b = S3Backend::with_client(client.clone(), cfg("env/prod/contin.state.json"));
        assert_eq!(b.describe(), "s3://b/env/prod/contin.state.json");
        assert_eq!(b.lock_key(), "env/prod/contin.state.json.lock");
        assert_eq!(b.prefix(), "env/prod/");
        assert_eq!(b.site_key("berlin", "desired.json"), "env/prod/sites/berlin/desired.json");
        let root = S3Backend::with_client(client, cfg("contin.state.json"));
        assert_eq!(root.prefix(), "");
        assert_eq!(root.site_key("s", "status.json"), "sites/s/status.json");
    }
}
