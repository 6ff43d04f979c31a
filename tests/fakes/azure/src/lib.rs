//! `contin-fake-azure`: a stateful HTTP fake of Azure Resource Manager and
//! the Entra ID token endpoint, for contin's tests (no Azure emulator exists).
//!
//! It follows the official REST shapes (azure-rest-api-specs; recorded
//! examples in `fixtures/`): resource ids and paths
//! `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}?api-version=…`,
//! the client-credentials token flow at `/{tenant}/oauth2/v2.0/token`
//! (the client secret is checked; every ARM call needs the bearer token it
//! issued), PUT answering 201/200 + `Azure-AsyncOperation` that completes
//! after `polls` polls, DELETE answering 202 + `Location` (+
//! `Azure-AsyncOperation` for Microsoft.Network), 404 after delete, 409 on
//! conflicts (a subnet, public IP or NIC in use), injectable 429 with
//! `Retry-After` and one-time 5xx, a request log, tag mutation (drift) and a
//! hold on a PUT's response (the crash tests kill the client meanwhile).
//!
//! ```ignore
//! let fake = FakeAzure::start(Options::default());
//! // provider "azurerm" { endpoint = fake.url(), authority_host = fake.url(), … }
//! ```

mod arm;
pub mod client;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value as J};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// API versions the fake serves (the SDK packages contin uses).
pub const API_RESOURCES: &str = "2021-04-01";
pub const API_NETWORK: &str = "2024-03-01";
pub const API_COMPUTE: &str = "2024-07-01";

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Options {
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
    pub subscription: String,
    /// Operation polls answered `InProgress` before `Succeeded`.
    pub polls: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tenant: "00000000-0000-0000-0000-0000000000aa".into(),
            client_id: "contin-test-client".into(),
            client_secret: "fake-azure-secret".into(),
            subscription: "00000000-0000-0000-0000-000000000001".into(),
            polls: 2,
        }
    }
}

/// One request the fake received.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub api_version: Option<String>,
    /// The JSON body (ARM requests); token requests log no body.
    pub body: Option<J>,
    pub status: u16,
}

#[derive(Debug)]
pub(crate) struct Operation {
    pub remaining: u32,
    /// What completes when the operation does.
    pub on_done: Done,
    pub finished: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Done {
    /// The resource (lower-cased id) becomes `Succeeded`.
    Provisioned(String),
    /// The resource (lower-cased id) and everything under it is removed.
    Deleted(String),
}

#[derive(Default, Debug)]
pub(crate) struct State {
    /// Lower-cased ARM id → document.
    pub objects: BTreeMap<String, J>,
    pub ops: BTreeMap<String, Operation>,
    pub tokens: Vec<String>,
    pub log: Vec<Logged>,
    pub inject: VecDeque<(u16, Option<u64>)>,
    pub hold: Option<String>,
    pub held: u32,
    pub counter: u64,
}

pub(crate) struct Shared {
    pub opts: Options,
    pub state: Mutex<State>,
    pub release: tokio::sync::Notify,
    pub base: Mutex<String>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn base(&self) -> String {
        self.base.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

/// A running fake on a loopback port, served by its own thread; stopped on drop.
pub struct FakeAzure {
    shared: Arc<Shared>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeAzure {
    /// Starts the fake on 127.0.0.1 (a free port). Panics when it cannot bind (tests only).
    pub fn start(opts: Options) -> FakeAzure {
        let shared = Arc::new(Shared { opts, state: Mutex::new(State::default()), release: tokio::sync::Notify::new(), base: Mutex::new(String::new()) });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port for the Azure fake");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local address");
        let url = format!("http://{addr}");
        if let Ok(mut b) = shared.base.lock() {
            *b = url.clone();
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s2 = shared.clone();
        let thread = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() else { return };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let app = Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
                    let s = s2.clone();
                    async move { handle(s, m, u, h, b).await }
                });
                let _ = axum::serve(listener, app).with_graceful_shutdown(async move {
                    let _ = rx.await;
                }).await;
            });
        });
        FakeAzure { shared, url, stop: Some(tx), thread: Some(thread) }
    }

    /// Base URL (`http://127.0.0.1:PORT`): both the ARM endpoint and the token authority.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn options(&self) -> &Options {
        &self.shared.opts
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Logged> {
        self.shared.lock().log.clone()
    }

    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// The next ARM request answers `status` (429, 500, 503, …) with `Retry-After: retry_after` when given.
    pub fn inject(&self, status: u16, retry_after: Option<u64>) {
        self.shared.lock().inject.push_back((status, retry_after));
    }

    /// The next PUT whose path contains `needle` (case-insensitive) is
    /// applied, then its response is held until `release`.
    pub fn hold_put(&self, needle: &str) {
        self.shared.lock().hold = Some(needle.to_ascii_lowercase());
    }

    /// How many PUTs are being held now.
    pub fn held(&self) -> u32 {
        self.shared.lock().held
    }

    pub fn release(&self) {
        self.shared.lock().hold = None;
        self.shared.release.notify_waiters();
    }

    /// The stored document of `id` (case-insensitive).
    pub fn get(&self, id: &str) -> Option<J> {
        self.shared.lock().objects.get(&id.to_ascii_lowercase()).cloned()
    }

    /// Ids of every stored object (as Azure spells them), sorted.
    pub fn ids(&self) -> Vec<String> {
        self.shared.lock().objects.values().filter_map(|o| o.get("id").and_then(J::as_str).map(str::to_string)).collect()
    }

    /// Sets tag `key` of `id` behind contin's back (drift). False when no such object.
    pub fn set_tag(&self, id: &str, key: &str, value: &str) -> bool {
        let mut st = self.shared.lock();
        let Some(o) = st.objects.get_mut(&id.to_ascii_lowercase()) else { return false };
        if !o.get("tags").is_some_and(J::is_object) {
            o["tags"] = json!({});
        }
        o["tags"][key] = json!(value);
        true
    }

    /// Wait until `cond` holds on the log or `timeout` passes.
    pub fn wait_for(&self, timeout: Duration, cond: impl Fn(&FakeAzure) -> bool) -> bool {
        let end = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < end {
            if cond(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        cond(self)
    }
}

impl Drop for FakeAzure {
    fn drop(&mut self) {
        self.release();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An ARM error document `{"error": {"code", "message"}}`.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, [("x-ms-failure-cause", "service")], axum::Json(json!({ "error": { "code": code, "message": message.into() } }))).into_response()
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| percent_decode(v))
    })
}

pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = if b[i] == b'%' && i + 2 < b.len() {
            std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        } else {
            None
        };
        match (b[i], hex) {
            (_, Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (c, None) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(s: Arc<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let api_version = query_param(&uri, "api-version");
    if body.len() > MAX_BODY_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLarge", format!("body over {MAX_BODY_BYTES} bytes"));
    }
    // Token endpoint: POST /{tenant}/oauth2/v2.0/token (form body).
    if method == Method::POST && path.ends_with("/oauth2/v2.0/token") {
        let rsp = token(&s, &path, &body);
        s.lock().log.push(Logged { method: "POST".into(), path, api_version: None, body: None, status: rsp.status().as_u16() });
        return rsp;
    }
    let json_body: Option<J> = if body.is_empty() { None } else { serde_json::from_slice(&body).ok() };
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| s.lock().tokens.iter().any(|k| k == t));
    let injected = if authorized { s.lock().inject.pop_front() } else { None };
    let rsp = if !authorized {
        error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "The access token is missing or invalid.")
    } else if let Some((status, retry_after)) = injected {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = error(code, if status == 429 { "TooManyRequests" } else { "InternalServerError" }, "injected by the test");
        if let Some(secs) = retry_after {
            if let Ok(v) = secs.to_string().parse() {
                r.headers_mut().insert("retry-after", v);
            }
        }
        r
    } else if !body.is_empty() && json_body.is_none() {
        error(StatusCode::BAD_REQUEST, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
    } else {
        // Logged with status 0 if the client goes away before the answer
        // (a killed contin): the request did reach "Azure".
        let mut unanswered = Unanswered(&s, Some(Logged { method: method.to_string(), path: path.clone(), api_version: api_version.clone(), body: json_body.clone(), status: 0 }));
        let rsp = arm::route(&s, &method, &path, api_version.as_deref(), json_body.as_ref()).await;
        unanswered.1 = None;
        rsp
    };
    let status = rsp.status().as_u16();
    s.lock().log.push(Logged { method: method.to_string(), path, api_version, body: json_body, status });
    rsp
}

/// Logs its request (status 0) when dropped: the handler was cancelled
/// because the client disconnected while the answer was pending.
struct Unanswered<'a>(&'a Shared, Option<Logged>);

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if let Some(l) = self.1.take() {
            self.0.lock().log.push(l);
        }
    }
}

fn token(s: &Shared, path: &str, body: &[u8]) -> Response {
    let form: BTreeMap<String, String> = String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (percent_decode(k), percent_decode(v))))
        .collect();
    let tenant = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let o = &s.opts;
    if tenant != o.tenant {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "invalid_request", "error_description": "AADSTS90002: Tenant not found." }))).into_response();
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_id") != Some(&o.client_id)
        || form.get("client_secret") != Some(&o.client_secret)
    {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided." }))).into_response();
    }
    let mut st = s.lock();
    st.counter += 1;
    let t = format!("fake-access-token-{}", st.counter);
    st.tokens.push(t.clone());
    (StatusCode::OK, axum::Json(json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": t }))).into_response()
}
