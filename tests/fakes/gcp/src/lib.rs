//! A stateful HTTP fake of the Compute Engine REST API (v1), for tests only.
//!
//! It serves the official paths and JSON shapes the `google-cloud-compute-v1`
//! SDK sends and receives, for networks, subnetworks, firewalls, addresses
//! and instances, plus global/region/zone operations:
//!
//! - `POST /compute/v1/projects/{p}/zones/{z}/instances` (body = the
//!   resource) returns an `Operation` (`compute#operation`) that is
//!   `PENDING`, then `RUNNING`, then `DONE` after `FakeOptions::op_polls`
//!   `GET …/operations/{name}` calls; the object exists from the insert on.
//!   A repeated `requestId` returns the first call's operation (no second
//!   object), a repeated name without it is `409 alreadyExists`.
//! - `GET …/{name}` is `404 notFound` once deleted; deleting a network or
//!   subnetwork still used by another object is `400 resourceInUseByAnotherResource`.
//! - `POST …/instances/{n}/setLabels|setMetadata|setTags`,
//!   `POST …/addresses/{n}/setLabels` check the fingerprint (`412` when stale);
//!   `PATCH` on networks and firewalls merges the body.
//! - Auth: every call needs `Authorization: Bearer …`: either a token the
//!   fake's OAuth endpoint (`POST /token`, JWT-bearer grant) issued after
//!   checking the assertion's RS256 signature against the service account's
//!   public key, or such a self-signed JWT itself (what the Rust SDK sends
//!   for service-account keys). Anything else is `401`.
//! - Faults: `inject_429(n, retry_after)`, `inject_5xx_once()`,
//!   `hold_inserts(collection)` (the insert creates the object, then the
//!   response waits until `release_held()`), `set_label` (drift).
//! - `requests()` is the log of every call: method, path, query, JSON body.
//!
//! Request bodies are limited to `MAX_BODY_BYTES`.

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{oneshot, Notify};

/// Largest request body the fake accepts (413 above).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Behaviour knobs.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// Operation GETs before an operation reports `DONE` (0 = done at once).
    pub op_polls: u32,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions { op_polls: 2 }
    }
}

/// One logged API call.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    /// The parsed JSON body (`Null` when empty or not JSON).
    pub body: Value,
    /// The status the fake answered.
    pub status: u16,
}

#[derive(Default)]
struct Op {
    json: Value,
    polls: u32,
}

#[derive(Default)]
struct State {
    /// Objects by path below `/compute/v1/` (`projects/p/global/networks/n`).
    objects: BTreeMap<String, Value>,
    ops: HashMap<String, Op>,
    request_ids: HashMap<String, String>,
    tokens: BTreeSet<String>,
    log: Vec<LoggedRequest>,
    next_id: u64,
    fail_429: u32,
    retry_after: u64,
    fail_5xx: bool,
    hold: BTreeSet<String>,
    held: usize,
}

struct Shared {
    state: Mutex<State>,
    release: Notify,
    opts: FakeOptions,
    sa_email: String,
    sa_public_key: Vec<u8>,
    base: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// A running fake on a loopback port; stopped when dropped.
pub struct FakeGcp {
    shared: Arc<Shared>,
    addr: SocketAddr,
    sa_json: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for FakeGcp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.shared.release.notify_waiters();
    }
}

/// Why the fake could not start.
#[derive(Debug)]
pub enum StartError {
    Io(std::io::Error),
    Key(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Io(e) => write!(f, "fake gcp: {e}"),
            StartError::Key(e) => write!(f, "fake gcp: key generation: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

fn pem(label: &str, der: &[u8]) -> String {
    let b = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

impl FakeGcp {
    /// Starts the fake on `127.0.0.1:0` in the current tokio runtime with a
    /// fresh RSA service-account key.
    pub async fn start(opts: FakeOptions) -> Result<FakeGcp, StartError> {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair as _;
        let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|e| StartError::Key(e.to_string()))?;
        let pkcs8 = key.as_der().map_err(|e| StartError::Key(e.to_string()))?;
        let public = key.public_key().as_ref().to_vec();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(StartError::Io)?;
        let addr = listener.local_addr().map_err(StartError::Io)?;
        let base = format!("http://{addr}");
        let sa_email = "contin-test@fake-project.iam.gserviceaccount.com".to_string();
        let sa_json = json!({
            "type": "service_account",
            "project_id": "fake-project",
            "private_key_id": "fake-key-1",
            "private_key": pem("PRIVATE KEY", pkcs8.as_ref()),
            "client_email": sa_email,
            "client_id": "100000000000000000001",
            "auth_uri": format!("{base}/auth"),
            "token_uri": format!("{base}/token"),
            "universe_domain": "googleapis.com",
        })
        .to_string();
        let shared = Arc::new(Shared {
            state: Mutex::new(State { next_id: 1_000_000_000_000_000_000, ..State::default() }),
            release: Notify::new(),
            opts,
            sa_email,
            sa_public_key: public,
            base: base.clone(),
        });
        let app = Router::new().fallback({
            let shared = shared.clone();
            move |req: Request<Body>| {
                let shared = shared.clone();
                async move { handle(shared, req).await }
            }
        });
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(FakeGcp { shared, addr, sa_json, stop: Some(tx) })
    }

    /// `http://127.0.0.1:PORT` (the SDK's endpoint override).
    pub fn endpoint(&self) -> String {
        self.shared.base.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A service-account credentials JSON whose `token_uri` is this fake and
    /// whose private key the fake checks signatures against.
    pub fn service_account_json(&self) -> &str {
        &self.sa_json
    }

    /// Every call so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// The next `n` API calls answer `429 rateLimitExceeded` with `Retry-After: secs`.
    pub fn inject_429(&self, n: u32, retry_after_secs: u64) {
        let mut s = self.shared.lock();
        s.fail_429 = n;
        s.retry_after = retry_after_secs;
    }

    /// The next API call answers `503 backendError` once.
    pub fn inject_5xx_once(&self) {
        self.shared.lock().fail_5xx = true;
    }

    /// Inserts into `collection` (`instances`, `networks`, …) create the
    /// object, then hold the response until `release_held`.
    pub fn hold_inserts(&self, collection: &str) {
        self.shared.lock().hold.insert(collection.to_string());
    }

    /// Responses currently held.
    pub fn held(&self) -> usize {
        self.shared.lock().held
    }

    /// Stops holding and lets every held response go.
    pub fn release_held(&self) {
        self.shared.lock().hold.clear();
        self.shared.release.notify_waiters();
    }

    /// Paths (below `/compute/v1/`) of every live object.
    pub fn objects(&self) -> Vec<String> {
        self.shared.lock().objects.keys().cloned().collect()
    }

    /// The stored JSON of one object (`projects/p/zones/z/instances/n`).
    pub fn object(&self, path: &str) -> Option<Value> {
        self.shared.lock().objects.get(path).cloned()
    }

    /// Changes (or with `None` removes) one label of an object, as someone
    /// editing it in the console would (drift); the fingerprint changes.
    /// False when there is no such object.
    pub fn set_label(&self, path: &str, key: &str, value: Option<&str>) -> bool {
        let mut s = self.shared.lock();
        let fp = fingerprint(&mut s);
        let Some(Value::Object(o)) = s.objects.get_mut(path) else { return false };
        let labels = o.entry("labels").or_insert_with(|| json!({}));
        if let Value::Object(l) = labels {
            match value {
                Some(v) => {
                    l.insert(key.to_string(), json!(v));
                }
                None => {
                    l.remove(key);
                }
            }
        }
        o.insert("labelFingerprint".into(), json!(fp));
        true
    }

    /// Overwrites one top-level field of an object (drift on unlabeled types).
    pub fn set_field(&self, path: &str, field: &str, value: Value) -> bool {
        let mut s = self.shared.lock();
        let Some(Value::Object(o)) = s.objects.get_mut(path) else { return false };
        o.insert(field.to_string(), value);
        true
    }
}

fn fingerprint(s: &mut State) -> String {
    s.next_id += 1;
    STANDARD.encode(s.next_id.to_be_bytes())
}

fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // Civil date from days since epoch (Howard Hinnant's algorithm).
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000-00:00", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A Google API error body.
fn gerror(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "error": {
            "code": code.as_u16(),
            "message": message,
            "errors": [{ "domain": "global", "reason": reason, "message": message }],
        }
    });
    (code, [("content-type", "application/json; charset=UTF-8")], body.to_string()).into_response()
}

fn ok_json(v: &Value) -> Response {
    (StatusCode::OK, [("content-type", "application/json; charset=UTF-8")], v.to_string()).into_response()
}

fn parse_query(q: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k), percent_decode(v));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Checks an RS256 JWT signed by the service account; returns its claims.
fn verify_jwt(shared: &Shared, jwt: &str) -> Result<Value, String> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("not a JWT".into());
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("bad JWT header")?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err("JWT alg must be RS256".into());
    }
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| "bad JWT signature encoding")?;
    let key = aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, &shared.sa_public_key);
    let signed_len = h.len() + 1 + c.len();
    key.verify(&jwt.as_bytes()[..signed_len], &sig).map_err(|_| "JWT signature does not verify against the service account key")?;
    let claims: Value = URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("bad JWT claims")?;
    if claims.get("iss").and_then(Value::as_str) != Some(shared.sa_email.as_str()) {
        return Err("JWT iss is not the service account".into());
    }
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp < now_secs() {
        return Err("JWT expired".into());
    }
    Ok(claims)
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<(), String> {
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err("missing Authorization header".into());
    };
    let Some(tok) = auth.strip_prefix("Bearer ") else {
        return Err("Authorization is not a bearer token".into());
    };
    if shared.lock().tokens.contains(tok) {
        return Ok(());
    }
    verify_jwt(shared, tok).map(|_| ())
}

/// Logs its request (status 0) when dropped: the handler was cancelled
/// because the client disconnected while the answer was pending.
struct Unanswered<'a>(&'a Shared, Option<LoggedRequest>);

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if let Some(l) = self.1.take() {
            self.0.lock().log.push(l);
        }
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let query = parse_query(parts.uri.query());
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return gerror(StatusCode::PAYLOAD_TOO_LARGE, "tooLarge", &format!("request body over {MAX_BODY_BYTES} bytes")),
    };
    let body_json: Value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    let resp = if path == "/token" && method == Method::POST {
        token(&shared, &bytes)
    } else {
        // Logged with status 0 if the client goes away before the answer
        // (a killed contin): the request did reach "Google".
        let mut unanswered = Unanswered(&shared, Some(LoggedRequest { method: method.to_string(), path: path.clone(), query: query.clone(), body: body_json.clone(), status: 0 }));
        let resp = api(&shared, &method, &path, &query, &parts.headers, body_json.clone()).await;
        unanswered.1 = None;
        resp
    };
    let mut s = shared.lock();
    s.log.push(LoggedRequest { method: method.to_string(), path, query, body: body_json, status: resp.status().as_u16() });
    resp
}

fn token(shared: &Shared, body: &[u8]) -> Response {
    let form = parse_query(Some(&String::from_utf8_lossy(body)));
    if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return (StatusCode::BAD_REQUEST, [("content-type", "application/json")], json!({"error": "unsupported_grant_type"}).to_string()).into_response();
    }
    let Some(assertion) = form.get("assertion") else {
        return (StatusCode::BAD_REQUEST, [("content-type", "application/json")], json!({"error": "invalid_request"}).to_string()).into_response();
    };
    if let Err(e) = verify_jwt(shared, assertion) {
        return (StatusCode::BAD_REQUEST, [("content-type", "application/json")], json!({"error": "invalid_grant", "error_description": e}).to_string()).into_response();
    }
    let mut s = shared.lock();
    s.next_id += 1;
    let tok = format!("ya29.fake-{}", s.next_id);
    s.tokens.insert(tok.clone());
    ok_json(&json!({"access_token": tok, "token_type": "Bearer", "expires_in": 3599}))
}

/// `(project, scope, location, collection, name, verb)` from
/// `/compute/v1/projects/{p}/{global | regions/{r} | zones/{z}}/{collection}[/{name}[/{verb}]]`.
struct Route {
    project: String,
    /// `global`, `regions/us-central1` or `zones/us-central1-a`.
    scope: String,
    collection: String,
    name: Option<String>,
    verb: Option<String>,
}

fn route(path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/compute/v1/projects/")?;
    let segs: Vec<&str> = rest.split('/').collect();
    let project = (*segs.first()?).to_string();
    let (scope, i) = match *segs.get(1)? {
        "global" => ("global".to_string(), 2),
        s @ ("regions" | "zones") => (format!("{s}/{}", segs.get(2)?), 3),
        _ => return None,
    };
    let collection = (*segs.get(i)?).to_string();
    let name = segs.get(i + 1).map(|s| s.to_string());
    let verb = segs.get(i + 2).map(|s| s.to_string());
    if segs.len() > i + 3 || project.is_empty() || name.as_deref() == Some("") {
        return None;
    }
    Some(Route { project, scope, collection, name, verb })
}

fn scope_ok(collection: &str, scope: &str) -> bool {
    match collection {
        "networks" | "firewalls" => scope == "global",
        "subnetworks" | "addresses" => scope.starts_with("regions/"),
        "instances" => scope.starts_with("zones/"),
        "operations" => true,
        _ => false,
    }
}

fn kind_of(collection: &str) -> &'static str {
    match collection {
        "networks" => "compute#network",
        "subnetworks" => "compute#subnetwork",
        "firewalls" => "compute#firewall",
        "addresses" => "compute#address",
        _ => "compute#instance",
    }
}

async fn api(shared: &Arc<Shared>, method: &Method, path: &str, query: &BTreeMap<String, String>, headers: &HeaderMap, body: Value) -> Response {
    if let Err(e) = authorized(shared, headers) {
        return gerror(StatusCode::UNAUTHORIZED, "authError", &format!("Request had invalid authentication credentials: {e}"));
    }
    {
        let mut s = shared.lock();
        if s.fail_429 > 0 {
            s.fail_429 -= 1;
            let ra = s.retry_after;
            drop(s);
            let mut r = gerror(StatusCode::TOO_MANY_REQUESTS, "rateLimitExceeded", "Rate Limit Exceeded");
            if let Ok(v) = ra.to_string().parse() {
                r.headers_mut().insert("retry-after", v);
            }
            return r;
        }
        if s.fail_5xx {
            s.fail_5xx = false;
            return gerror(StatusCode::SERVICE_UNAVAILABLE, "backendError", "Backend Error");
        }
    }
    let Some(r) = route(path) else {
        return gerror(StatusCode::NOT_FOUND, "notFound", &format!("no such API path {path}"));
    };
    if !scope_ok(&r.collection, &r.scope) {
        return gerror(StatusCode::NOT_FOUND, "notFound", &format!("no collection {} under {}", r.collection, r.scope));
    }
    let coll = format!("projects/{}/{}/{}", r.project, r.scope, r.collection);
    if r.collection == "operations" {
        return match (method, &r.name) {
            (&Method::GET, Some(n)) => get_op(shared, &format!("{coll}/{n}")),
            _ => gerror(StatusCode::METHOD_NOT_ALLOWED, "badRequest", "unsupported operations call"),
        };
    }
    let request_id = query.get("requestId").cloned();
    match (method, &r.name, &r.verb) {
        (&Method::GET, None, None) => list(shared, &coll, &r, query),
        (&Method::POST, None, None) => insert(shared, &coll, &r, body, request_id).await,
        (&Method::GET, Some(n), None) => match shared.lock().objects.get(&format!("{coll}/{n}")) {
            Some(o) => ok_json(o),
            None => not_found(&format!("{coll}/{n}")),
        },
        (&Method::DELETE, Some(n), None) => delete(shared, &coll, n, &r, request_id),
        (&Method::PATCH, Some(n), None) if matches!(r.collection.as_str(), "networks" | "firewalls") => {
            patch(shared, &coll, n, &r, body, request_id)
        }
        (&Method::POST, Some(n), Some(v)) => set_verb(shared, &coll, n, v, &r, body, request_id),
        _ => gerror(StatusCode::METHOD_NOT_ALLOWED, "badRequest", &format!("unsupported call {method} {path}")),
    }
}

fn not_found(path: &str) -> Response {
    gerror(StatusCode::NOT_FOUND, "notFound", &format!("The resource '{path}' was not found"))
}

fn self_link(shared: &Shared, path: &str) -> String {
    format!("{}/compute/v1/{path}", shared.base)
}

/// `global/networks/x`, `projects/p/global/networks/x` or a full URL → the
/// object's path below `/compute/v1/`.
fn ref_path(project: &str, r: &str) -> String {
    let tail = match r.find("/compute/v1/") {
        Some(i) => &r[i + "/compute/v1/".len()..],
        None => r,
    };
    if tail.starts_with("projects/") {
        tail.to_string()
    } else {
        format!("projects/{project}/{tail}")
    }
}

fn list(shared: &Shared, coll: &str, r: &Route, query: &BTreeMap<String, String>) -> Response {
    let s = shared.lock();
    let prefix = format!("{coll}/");
    let filter = query.get("filter").map(|f| parse_filter(f));
    let items: Vec<Value> = s
        .objects
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| !k[prefix.len()..].contains('/'))
        .map(|(_, v)| v.clone())
        .filter(|v| filter.as_ref().is_none_or(|f| f.iter().all(|(k, want)| lookup(v, k).as_deref() == Some(want.as_str()))))
        .collect();
    let kind = format!("{}List", kind_of(&r.collection));
    ok_json(&json!({"kind": kind, "id": coll, "items": items, "selfLink": self_link(shared, coll)}))
}

/// `labels.k = "v" AND name = "x"` → pairs (only `=` and AND supported).
fn parse_filter(f: &str) -> Vec<(String, String)> {
    f.split(" AND ")
        .filter_map(|t| {
            let t = t.trim().trim_start_matches('(').trim_end_matches(')');
            let (k, v) = t.split_once('=')?;
            Some((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        })
        .collect()
}

fn lookup(v: &Value, dotted: &str) -> Option<String> {
    let mut cur = v;
    for k in dotted.split('.') {
        cur = cur.get(k)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn new_op(shared: &Shared, s: &mut State, r: &Route, op_type: &str, target: &str, target_id: &str, request_id: Option<&str>) -> Value {
    s.next_id += 1;
    let id = s.next_id;
    let name = format!("operation-{id}-fake");
    let op_path = format!("projects/{}/{}/operations/{name}", r.project, r.scope);
    let mut op = json!({
        "kind": "compute#operation",
        "id": id.to_string(),
        "name": name,
        "operationType": op_type,
        "targetLink": self_link(shared, target),
        "targetId": target_id,
        "status": if shared.opts.op_polls == 0 { "DONE" } else { "PENDING" },
        "user": shared.sa_email,
        "progress": if shared.opts.op_polls == 0 { 100 } else { 0 },
        "insertTime": now_rfc3339(),
        "startTime": now_rfc3339(),
        "selfLink": self_link(shared, &op_path),
    });
    if let Value::Object(o) = &mut op {
        if let Some(loc) = r.scope.strip_prefix("zones/") {
            o.insert("zone".into(), json!(self_link(shared, &format!("projects/{}/zones/{loc}", r.project))));
        } else if let Some(loc) = r.scope.strip_prefix("regions/") {
            o.insert("region".into(), json!(self_link(shared, &format!("projects/{}/regions/{loc}", r.project))));
        }
        if let Some(rid) = request_id {
            o.insert("clientOperationId".into(), json!(rid));
        }
        if shared.opts.op_polls == 0 {
            o.insert("endTime".into(), json!(now_rfc3339()));
        }
    }
    s.ops.insert(op_path, Op { json: op.clone(), polls: 0 });
    if let Some(rid) = request_id {
        s.request_ids.insert(rid.to_string(), format!("projects/{}/{}/operations/{name}", r.project, r.scope));
    }
    op
}

fn get_op(shared: &Shared, op_path: &str) -> Response {
    let mut s = shared.lock();
    let Some(op) = s.ops.get_mut(op_path) else { return not_found(op_path) };
    op.polls += 1;
    let want = shared.opts.op_polls;
    if let Value::Object(o) = &mut op.json {
        let status = if op.polls >= want { "DONE" } else { "RUNNING" };
        if o.get("status").and_then(Value::as_str) != Some("DONE") {
            o.insert("status".into(), json!(status));
            o.insert("progress".into(), json!(if status == "DONE" { 100 } else { 50 }));
            if status == "DONE" {
                o.insert("endTime".into(), json!(now_rfc3339()));
            }
        }
    }
    ok_json(&op.json)
}

/// The operation a repeated `requestId` already produced.
fn replayed(s: &State, request_id: Option<&str>) -> Option<Value> {
    let p = s.request_ids.get(request_id?)?;
    s.ops.get(p).map(|o| o.json.clone())
}

fn bad(msg: &str) -> Response {
    gerror(StatusCode::BAD_REQUEST, "invalid", msg)
}

fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !n.ends_with('-')
}

fn valid_labels(v: &Value) -> Result<(), String> {
    let Some(m) = v.get("labels") else { return Ok(()) };
    let Value::Object(m) = m else { return Err("labels must be an object".into()) };
    if m.len() > 64 {
        return Err("more than 64 labels".into());
    }
    let ok = |s: &str, key: bool| {
        s.len() <= 63
            && s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
            && (!key || s.bytes().next().is_some_and(|c| c.is_ascii_lowercase()))
    };
    for (k, val) in m {
        let vs = val.as_str().unwrap_or("\u{0}");
        if !ok(k, true) || !ok(vs, false) {
            return Err(format!("Invalid value for field 'resource.labels': label {k:?} (keys: lowercase letter first, [a-z0-9_-], at most 63 characters; values likewise, may be empty)"));
        }
    }
    Ok(())
}

async fn insert(shared: &Arc<Shared>, coll: &str, r: &Route, body: Value, request_id: Option<String>) -> Response {
    let op = {
        let mut s = shared.lock();
        if let Some(op) = replayed(&s, request_id.as_deref()) {
            return ok_json(&op);
        }
        let Value::Object(mut o) = body else { return bad("Invalid JSON payload: the body must be an object") };
        let Some(name) = o.get("name").and_then(Value::as_str).map(str::to_string) else {
            return bad("Required field 'resource.name' not specified");
        };
        if !valid_name(&name) {
            return bad(&format!("Invalid value for field 'resource.name': '{name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{{0,61}}[a-z0-9])?)'"));
        }
        let path = format!("{coll}/{name}");
        if s.objects.contains_key(&path) {
            return gerror(StatusCode::CONFLICT, "alreadyExists", &format!("The resource '{path}' already exists"));
        }
        if let Err(e) = valid_labels(&Value::Object(o.clone())) {
            return bad(&e);
        }
        if let Err(e) = complete(shared, &mut s, r, &mut o) {
            return bad(&e);
        }
        s.next_id += 1;
        let id = s.next_id.to_string();
        o.insert("kind".into(), json!(kind_of(&r.collection)));
        o.insert("id".into(), json!(id));
        o.insert("creationTimestamp".into(), json!(now_rfc3339()));
        o.insert("selfLink".into(), json!(self_link(shared, &path)));
        if o.contains_key("labels") || matches!(r.collection.as_str(), "instances" | "addresses") {
            let fp = fingerprint(&mut s);
            o.insert("labelFingerprint".into(), json!(fp));
        }
        s.objects.insert(path.clone(), Value::Object(o));
        new_op(shared, &mut s, r, "insert", &path, &id, request_id.as_deref())
    };
    let held = shared.lock().hold.contains(&r.collection);
    if held {
        let notified = shared.release.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        // Counted while held, also when the client goes away meanwhile
        // (the handler is then dropped here).
        struct Held<'a>(&'a Shared);
        impl Drop for Held<'_> {
            fn drop(&mut self) {
                let mut s = self.0.lock();
                s.held = s.held.saturating_sub(1);
            }
        }
        shared.lock().held += 1;
        let _held = Held(shared);
        if shared.lock().hold.contains(&r.collection) {
            notified.await;
        }
    }
    ok_json(&op)
}

/// Resolves reference `field` of `o` to an existing object's self link.
fn resolve_ref(shared: &Shared, objects: &BTreeMap<String, Value>, project: &str, o: &mut Map<String, Value>, field: &str, required: bool) -> Result<Option<String>, String> {
    match o.get(field).and_then(Value::as_str) {
        Some(v) => {
            let p = ref_path(project, v);
            if !objects.contains_key(&p) {
                return Err(format!("Invalid value for field 'resource.{field}': '{v}'. The referenced resource '{p}' was not found"));
            }
            o.insert(field.into(), json!(self_link(shared, &p)));
            Ok(Some(p))
        }
        None if required => Err(format!("Required field 'resource.{field}' not specified")),
        None => Ok(None),
    }
}

/// Fills the output-only fields of a new object; checks references.
fn complete(shared: &Shared, s: &mut State, r: &Route, o: &mut Map<String, Value>) -> Result<(), String> {
    let region_link = |region: &str| self_link(shared, &format!("projects/{}/regions/{region}", r.project));
    let loc = r.scope.split_once('/').map(|(_, l)| l.to_string()).unwrap_or_default();
    match r.collection.as_str() {
        "networks" => {
            if o.contains_key("IPv4Range") {
                return Err("legacy networks are not supported".into());
            }
            let auto = o.get("autoCreateSubnetworks").and_then(Value::as_bool).unwrap_or(false);
            o.insert("autoCreateSubnetworks".into(), json!(auto));
            let rc = o.entry("routingConfig").or_insert_with(|| json!({}));
            if let Value::Object(rc) = rc {
                rc.entry("routingMode").or_insert(json!("REGIONAL"));
            }
            o.entry("networkFirewallPolicyEnforcementOrder").or_insert(json!("AFTER_CLASSIC_FIREWALL"));
        }
        "subnetworks" => {
            resolve_ref(shared, &s.objects, &r.project, o, "network", true)?;
            let cidr = o.get("ipCidrRange").and_then(Value::as_str).ok_or("Required field 'resource.ipCidrRange' not specified")?;
            let gw = gateway(cidr).ok_or_else(|| format!("Invalid IPCidrRange: {cidr}"))?;
            o.insert("gatewayAddress".into(), json!(gw));
            o.insert("region".into(), json!(region_link(&loc)));
            o.entry("privateIpGoogleAccess").or_insert(json!(false));
            o.insert("fingerprint".into(), json!(fingerprint(s)));
            o.entry("stackType").or_insert(json!("IPV4_ONLY"));
        }
        "firewalls" => {
            resolve_ref(shared, &s.objects, &r.project, o, "network", false)?;
            if !o.contains_key("network") {
                o.insert("network".into(), json!(self_link(shared, &format!("projects/{}/global/networks/default", r.project))));
            }
            o.entry("direction").or_insert(json!("INGRESS"));
            o.entry("priority").or_insert(json!(1000));
            o.entry("disabled").or_insert(json!(false));
            let has = |k: &str| o.get(k).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
            if !has("allowed") && !has("denied") {
                return Err("Invalid value for field 'resource': at least one of allowed or denied must be set".into());
            }
            if let Some(Value::Array(rules)) = o.get("allowed").or(o.get("denied")) {
                if rules.iter().any(|x| x.get("IPProtocol").and_then(Value::as_str).is_none()) {
                    return Err("Required field 'resource.allowed[].IPProtocol' not specified".into());
                }
            }
        }
        "addresses" => {
            o.insert("region".into(), json!(region_link(&loc)));
            o.entry("addressType").or_insert(json!("EXTERNAL"));
            o.entry("networkTier").or_insert(json!("PREMIUM"));
            o.insert("status".into(), json!("RESERVED"));
            if !o.contains_key("address") {
                s.next_id += 1;
                let n = s.next_id % 250 + 2;
                o.insert("address".into(), json!(format!("34.118.{}.{n}", s.next_id / 250 % 250)));
            }
        }
        _ => {
            // instances
            let mt = o.get("machineType").and_then(Value::as_str).ok_or("Required field 'resource.machineType' not specified")?;
            let zone_link = self_link(shared, &format!("projects/{}/zones/{loc}", r.project));
            let mt_link = if mt.contains('/') { ref_path(&r.project, mt) } else { format!("projects/{}/zones/{loc}/machineTypes/{mt}", r.project) };
            o.insert("machineType".into(), json!(self_link(shared, &mt_link)));
            o.insert("zone".into(), json!(zone_link));
            o.insert("status".into(), json!("RUNNING"));
            o.insert("cpuPlatform".into(), json!("Intel Broadwell"));
            let disks = o.get("disks").and_then(Value::as_array).cloned().unwrap_or_default();
            if !disks.iter().any(|d| d.get("boot").and_then(Value::as_bool) == Some(true)) {
                return Err("Invalid value for field 'resource.disks': a boot disk is required".into());
            }
            let name = o.get("name").and_then(Value::as_str).unwrap_or("vm").to_string();
            let disks: Vec<Value> = disks
                .into_iter()
                .enumerate()
                .map(|(i, mut d)| {
                    if let Value::Object(m) = &mut d {
                        m.insert("kind".into(), json!("compute#attachedDisk"));
                        m.insert("index".into(), json!(i));
                        m.insert("deviceName".into(), json!(if i == 0 { "persistent-disk-0".to_string() } else { format!("persistent-disk-{i}") }));
                        m.insert("source".into(), json!(self_link(shared, &format!("projects/{}/zones/{loc}/disks/{name}", r.project))));
                        m.entry("autoDelete").or_insert(json!(true));
                        m.entry("mode").or_insert(json!("READ_WRITE"));
                        m.entry("type").or_insert(json!("PERSISTENT"));
                        if let Some(ip) = m.remove("initializeParams") {
                            let size = ip.get("diskSizeGb").cloned().unwrap_or(json!("10"));
                            m.insert("diskSizeGb".into(), size);
                        }
                    }
                    d
                })
                .collect();
            o.insert("disks".into(), Value::Array(disks));
            let mut nics = o.get("networkInterfaces").and_then(Value::as_array).cloned().unwrap_or_default();
            if nics.is_empty() {
                return Err("Required field 'resource.networkInterfaces' not specified".into());
            }
            for (i, nic) in nics.iter_mut().enumerate() {
                let Value::Object(m) = nic else { return Err("networkInterfaces must be objects".into()) };
                let subnet = resolve_ref(shared, &s.objects, &r.project, m, "subnetwork", false)?;
                let net = resolve_ref(shared, &s.objects, &r.project, m, "network", false)?;
                let net = match (net, &subnet) {
                    (Some(n), _) => n,
                    (None, Some(sp)) => {
                        let n = s.objects.get(sp).and_then(|x| x.get("network")).and_then(Value::as_str).map(|u| ref_path(&r.project, u)).unwrap_or_default();
                        m.insert("network".into(), json!(self_link(shared, &n)));
                        n
                    }
                    (None, None) => return Err("Invalid value for field 'resource.networkInterfaces[0]': network or subnetwork required".into()),
                };
                let _ = net;
                m.insert("kind".into(), json!("compute#networkInterface"));
                m.insert("name".into(), json!(format!("nic{i}")));
                m.insert("fingerprint".into(), json!(fingerprint(s)));
                m.entry("stackType").or_insert(json!("IPV4_ONLY"));
                if !m.contains_key("networkIP") {
                    let cidr = subnet.as_ref().and_then(|p| s.objects.get(p)).and_then(|x| x.get("ipCidrRange")).and_then(Value::as_str).unwrap_or("10.128.0.0/20").to_string();
                    s.next_id += 1;
                    let host = (s.next_id % 200 + 2) as u32;
                    m.insert("networkIP".into(), json!(nth_host(&cidr, host).unwrap_or_else(|| "10.128.0.2".into())));
                }
                if let Some(Value::Array(acs)) = m.get_mut("accessConfigs") {
                    for ac in acs.iter_mut() {
                        if let Value::Object(a) = ac {
                            a.insert("kind".into(), json!("compute#accessConfig"));
                            a.entry("type").or_insert(json!("ONE_TO_ONE_NAT"));
                            a.entry("name").or_insert(json!("External NAT"));
                            a.entry("networkTier").or_insert(json!("PREMIUM"));
                            if !a.contains_key("natIP") {
                                s.next_id += 1;
                                a.insert("natIP".into(), json!(format!("35.200.{}.{}", s.next_id / 250 % 250, s.next_id % 250 + 2)));
                            }
                        }
                    }
                }
            }
            o.insert("networkInterfaces".into(), Value::Array(nics));
            let md = o.entry("metadata").or_insert_with(|| json!({}));
            if let Value::Object(md) = md {
                md.insert("kind".into(), json!("compute#metadata"));
            }
            let fp = fingerprint(s);
            if let Some(Value::Object(md)) = o.get_mut("metadata") {
                md.insert("fingerprint".into(), json!(fp));
            }
            let fp = fingerprint(s);
            let tags = o.entry("tags").or_insert_with(|| json!({}));
            if let Value::Object(t) = tags {
                t.insert("fingerprint".into(), json!(fp));
            }
        }
    }
    Ok(())
}

fn parse_cidr(cidr: &str) -> Option<(u32, u32)> {
    let (ip, len) = cidr.split_once('/')?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    if !(8..=29).contains(&len) {
        return None;
    }
    Some((u32::from(ip), len))
}

fn gateway(cidr: &str) -> Option<String> {
    nth_host(cidr, 1)
}

fn nth_host(cidr: &str, n: u32) -> Option<String> {
    let (ip, len) = parse_cidr(cidr)?;
    let size = 1u32.checked_shl(32 - len)?;
    let base = ip & !(size - 1);
    let n = n % size.saturating_sub(2).max(1);
    Some(std::net::Ipv4Addr::from(base + n.max(1)).to_string())
}

fn delete(shared: &Shared, coll: &str, name: &str, r: &Route, request_id: Option<String>) -> Response {
    let mut s = shared.lock();
    if let Some(op) = replayed(&s, request_id.as_deref()) {
        return ok_json(&op);
    }
    let path = format!("{coll}/{name}");
    let Some(obj) = s.objects.get(&path) else { return not_found(&path) };
    let link = self_link(shared, &path);
    let id = obj.get("id").and_then(Value::as_str).unwrap_or("").to_string();
    if matches!(r.collection.as_str(), "networks" | "subnetworks") {
        let user = s.objects.iter().find(|(k, v)| **k != path && v.to_string().contains(&format!("\"{link}\"")));
        if let Some((k, _)) = user {
            return gerror(
                StatusCode::BAD_REQUEST,
                "resourceInUseByAnotherResource",
                &format!("The {} resource '{path}' is already being used by '{k}'", &r.collection[..r.collection.len() - 1]),
            );
        }
    }
    s.objects.remove(&path);
    let op = new_op(shared, &mut s, r, "delete", &path, &id, request_id.as_deref());
    ok_json(&op)
}

fn patch(shared: &Shared, coll: &str, name: &str, r: &Route, body: Value, request_id: Option<String>) -> Response {
    let mut s = shared.lock();
    if let Some(op) = replayed(&s, request_id.as_deref()) {
        return ok_json(&op);
    }
    let path = format!("{coll}/{name}");
    let Value::Object(b) = body else { return bad("Invalid JSON payload: the body must be an object") };
    let Some(Value::Object(o)) = s.objects.get_mut(&path) else { return not_found(&path) };
    for k in ["name", "id", "selfLink", "kind", "creationTimestamp", "network", "direction"] {
        if let Some(v) = b.get(k) {
            if o.get(k).is_some_and(|cur| cur != v) && k != "network" {
                return bad(&format!("Invalid value for field 'resource.{k}': it cannot be changed"));
            }
        }
    }
    for (k, v) in b {
        if matches!(k.as_str(), "name" | "id" | "selfLink" | "kind" | "creationTimestamp" | "network") {
            continue;
        }
        o.insert(k, v);
    }
    let id = o.get("id").and_then(Value::as_str).unwrap_or("").to_string();
    let op = new_op(shared, &mut s, r, "patch", &path, &id, request_id.as_deref());
    ok_json(&op)
}

fn set_verb(shared: &Shared, coll: &str, name: &str, verb: &str, r: &Route, body: Value, request_id: Option<String>) -> Response {
    let mut s = shared.lock();
    if let Some(op) = replayed(&s, request_id.as_deref()) {
        return ok_json(&op);
    }
    let path = format!("{coll}/{name}");
    let allowed = match r.collection.as_str() {
        "instances" => matches!(verb, "setLabels" | "setMetadata" | "setTags"),
        "addresses" => verb == "setLabels",
        _ => false,
    };
    if !allowed {
        return gerror(StatusCode::NOT_FOUND, "notFound", &format!("no method {verb} on {}", r.collection));
    }
    if verb == "setLabels" {
        if let Err(e) = valid_labels(&body) {
            return bad(&e);
        }
    }
    let fp = fingerprint(&mut s);
    let Some(Value::Object(o)) = s.objects.get_mut(&path) else { return not_found(&path) };
    let (field, fp_field, current_fp) = match verb {
        "setLabels" => ("labels", "labelFingerprint", o.get("labelFingerprint").cloned()),
        "setMetadata" => ("metadata", "fingerprint", o.get("metadata").and_then(|m| m.get("fingerprint")).cloned()),
        _ => ("tags", "fingerprint", o.get("tags").and_then(|m| m.get("fingerprint")).cloned()),
    };
    if body.get(fp_field) != current_fp.as_ref() {
        return gerror(
            StatusCode::PRECONDITION_FAILED,
            "conditionNotMet",
            &format!("Supplied fingerprint does not match current {field} fingerprint."),
        );
    }
    match verb {
        "setLabels" => {
            o.insert("labels".into(), body.get("labels").cloned().unwrap_or(json!({})));
            o.insert("labelFingerprint".into(), json!(fp));
        }
        "setMetadata" => {
            let mut md = body.clone();
            if let Value::Object(m) = &mut md {
                m.insert("fingerprint".into(), json!(fp));
                m.insert("kind".into(), json!("compute#metadata"));
            }
            o.insert("metadata".into(), md);
        }
        _ => {
            let mut t = body.clone();
            if let Value::Object(m) = &mut t {
                m.insert("fingerprint".into(), json!(fp));
            }
            o.insert("tags".into(), t);
        }
    }
    let id = o.get("id").and_then(Value::as_str).unwrap_or("").to_string();
    let op = new_op(shared, &mut s, r, verb, &path, &id, request_id.as_deref());
    ok_json(&op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_official_paths() {
        let r = route("/compute/v1/projects/p/zones/us-central1-a/instances/vm/setLabels").unwrap();
        assert_eq!((r.project.as_str(), r.scope.as_str(), r.collection.as_str()), ("p", "zones/us-central1-a", "instances"));
        assert_eq!((r.name.as_deref(), r.verb.as_deref()), (Some("vm"), Some("setLabels")));
        assert!(route("/compute/v1/projects/p/global/networks").unwrap().name.is_none());
        assert!(route("/compute/v1/projects/p/elsewhere/x").is_none());
        assert!(route("/compute/v1/projects/p/global/networks/a/b/c").is_none());
    }

    #[test]
    fn cidr_hosts() {
        assert_eq!(gateway("10.2.0.0/16").as_deref(), Some("10.2.0.1"));
        assert_eq!(nth_host("10.2.0.0/24", 5).as_deref(), Some("10.2.0.5"));
        assert!(gateway("nope").is_none());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("urn%3Aietf%3Aparams"), "urn:ietf:params");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%"), "%");
    }

    #[test]
    fn dates_are_rfc3339() {
        let d = now_rfc3339();
        assert_eq!(d.len(), "2026-01-01T00:00:00.000-00:00".len(), "{d}");
        assert!(d.starts_with("20"));
    }
}
