//! The Compute API through google-cloud-compute-v1: one `get`/`insert`/
//! `delete`/`patch`/`set_*` per object kind, JSON in and out (the SDK's
//! model types are the REST shapes), retries (429 honouring `Retry-After`,
//! 5xx, connection errors: every mutation carries a `requestId`, so a retry
//! never creates twice) and operation waits (zone/region/global operations
//! polled until `DONE`, bounded by the provider's operation timeout).

use crate::Inner;
use contin_provider::ProviderError;
use google_cloud_compute_v1::model;
use serde_json::Value as J;
use std::future::Future;
use std::time::{Duration, Instant};

/// Attempts per call (the first included).
pub(crate) const MAX_ATTEMPTS: u32 = 5;
/// Longest `Retry-After` honoured; longer hints are capped.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Bound on a single HTTP call.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Network,
    Subnetwork,
    Firewall,
    Address,
    Instance,
}

impl Kind {
    pub(crate) fn collection(self) -> &'static str {
        match self {
            Kind::Network => "networks",
            Kind::Subnetwork => "subnetworks",
            Kind::Firewall => "firewalls",
            Kind::Address => "addresses",
            Kind::Instance => "instances",
        }
    }
    /// `global`, `regions` or `zones`.
    pub(crate) fn scope(self) -> &'static str {
        match self {
            Kind::Network | Kind::Firewall => "global",
            Kind::Subnetwork | Kind::Address => "regions",
            Kind::Instance => "zones",
        }
    }
}

/// Where an object lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Loc {
    pub project: String,
    /// Region or zone; empty for global objects.
    pub location: String,
    pub name: String,
}

impl Loc {
    /// `projects/P/global/networks/N`, `projects/P/zones/Z/instances/N`, …
    pub(crate) fn id(&self, kind: Kind) -> String {
        match kind.scope() {
            "global" => format!("projects/{}/global/{}/{}", self.project, kind.collection(), self.name),
            scope => format!("projects/{}/{scope}/{}/{}/{}", self.project, self.location, kind.collection(), self.name),
        }
    }
}

/// An API failure, classified.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: Option<u16>,
    pub message: String,
}

impl ApiError {
    pub(crate) fn into_provider(self, what: &str) -> ProviderError {
        let code = match self.status {
            Some(s) => format!("HTTP {s}"),
            None => "transport".to_string(),
        };
        ProviderError::Api { code, message: format!("{what}: {}", self.message) }
    }
}

fn classify(e: &google_cloud_compute_v1::Error) -> ApiError {
    let status = e.http_status_code();
    let message = match e.status() {
        Some(s) if !s.message.is_empty() => s.message.clone(),
        _ => e.to_string(),
    };
    // Bound what an error can carry into state-free output.
    let message: String = message.chars().take(2000).collect();
    ApiError { status, message }
}

fn retry_after(e: &google_cloud_compute_v1::Error) -> Option<Duration> {
    let h = e.http_headers()?.get("retry-after")?.to_str().ok()?;
    let secs: u64 = h.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// Runs `f` with retries: 429 (after `Retry-After`, else backoff), 5xx and
/// connection failures; anything else returns at once.
pub(crate) async fn call<T, F, Fut>(mut f: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = google_cloud_compute_v1::Result<T>>,
{
    let mut backoff = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        let res = match tokio::time::timeout(CALL_TIMEOUT, f()).await {
            Ok(r) => r,
            Err(_) => return Err(ApiError { status: None, message: format!("no answer within {}s", CALL_TIMEOUT.as_secs()) }),
        };
        let e = match res {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let c = classify(&e);
        let transient = matches!(c.status, Some(429) | Some(500..=599)) || (c.status.is_none() && (e.is_connect() || e.is_io() || e.is_transport()));
        if !transient || attempt >= MAX_ATTEMPTS {
            if transient {
                return Err(ApiError { status: c.status, message: format!("{} (gave up after {MAX_ATTEMPTS} attempts)", c.message) });
            }
            return Err(c);
        }
        let wait = if c.status == Some(429) { retry_after(&e).unwrap_or(backoff) } else { backoff };
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(Duration::from_secs(8));
        attempt += 1;
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> J {
    serde_json::to_value(v).unwrap_or(J::Null)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, j: J) -> Result<T, ProviderError> {
    serde_json::from_value(j).map_err(|e| ProviderError::Failed(format!("{what}: cannot build the request body: {e}")))
}

/// The object as JSON, `None` when it does not exist (404).
pub(crate) async fn get(inner: &Inner, kind: Kind, loc: &Loc) -> Result<Option<J>, ProviderError> {
    let (p, l, n) = (loc.project.as_str(), loc.location.as_str(), loc.name.as_str());
    let what = format!("get {}", loc.id(kind));
    let r = match kind {
        Kind::Network => call(|| inner.networks.get().set_project(p).set_network(n).send()).await.map(|v| to_json(&v)),
        Kind::Subnetwork => call(|| inner.subnetworks.get().set_project(p).set_region(l).set_subnetwork(n).send()).await.map(|v| to_json(&v)),
        Kind::Firewall => call(|| inner.firewalls.get().set_project(p).set_firewall(n).send()).await.map(|v| to_json(&v)),
        Kind::Address => call(|| inner.addresses.get().set_project(p).set_region(l).set_address(n).send()).await.map(|v| to_json(&v)),
        Kind::Instance => call(|| inner.instances.get().set_project(p).set_zone(l).set_instance(n).send()).await.map(|v| to_json(&v)),
    };
    match r {
        Ok(j) => Ok(Some(j)),
        Err(e) if e.status == Some(404) => Ok(None),
        Err(e) => Err(e.into_provider(&what)),
    }
}

/// Inserts `body` and waits for the operation.
pub(crate) async fn insert(inner: &Inner, kind: Kind, loc: &Loc, body: J, request_id: &str) -> Result<(), ProviderError> {
    let (p, l) = (loc.project.as_str(), loc.location.as_str());
    let what = format!("insert {}", loc.id(kind));
    let op = match kind {
        Kind::Network => {
            let b: model::Network = from_json(&what, body)?;
            call(|| inner.networks.insert().set_project(p).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        Kind::Subnetwork => {
            let b: model::Subnetwork = from_json(&what, body)?;
            call(|| inner.subnetworks.insert().set_project(p).set_region(l).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        Kind::Firewall => {
            let b: model::Firewall = from_json(&what, body)?;
            call(|| inner.firewalls.insert().set_project(p).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        Kind::Address => {
            let b: model::Address = from_json(&what, body)?;
            call(|| inner.addresses.insert().set_project(p).set_region(l).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        Kind::Instance => {
            let b: model::Instance = from_json(&what, body)?;
            call(|| inner.instances.insert().set_project(p).set_zone(l).set_body(b.clone()).set_request_id(request_id).send()).await
        }
    };
    let op = op.map_err(|e| e.into_provider(&what))?;
    wait(inner, &to_json(&op), &what).await
}

/// Deletes and waits; an object already gone (404) is success.
pub(crate) async fn delete(inner: &Inner, kind: Kind, loc: &Loc, request_id: &str) -> Result<(), ProviderError> {
    let (p, l, n) = (loc.project.as_str(), loc.location.as_str(), loc.name.as_str());
    let what = format!("delete {}", loc.id(kind));
    let op = match kind {
        Kind::Network => call(|| inner.networks.delete().set_project(p).set_network(n).set_request_id(request_id).send()).await,
        Kind::Subnetwork => call(|| inner.subnetworks.delete().set_project(p).set_region(l).set_subnetwork(n).set_request_id(request_id).send()).await,
        Kind::Firewall => call(|| inner.firewalls.delete().set_project(p).set_firewall(n).set_request_id(request_id).send()).await,
        Kind::Address => call(|| inner.addresses.delete().set_project(p).set_region(l).set_address(n).set_request_id(request_id).send()).await,
        Kind::Instance => call(|| inner.instances.delete().set_project(p).set_zone(l).set_instance(n).set_request_id(request_id).send()).await,
    };
    match op {
        Ok(op) => wait(inner, &to_json(&op), &what).await,
        Err(e) if e.status == Some(404) => Ok(()),
        Err(e) => Err(e.into_provider(&what)),
    }
}

/// `PATCH` of a network or firewall.
pub(crate) async fn patch(inner: &Inner, kind: Kind, loc: &Loc, body: J, request_id: &str) -> Result<(), ProviderError> {
    let (p, n) = (loc.project.as_str(), loc.name.as_str());
    let what = format!("patch {}", loc.id(kind));
    let op = match kind {
        Kind::Network => {
            let b: model::Network = from_json(&what, body)?;
            call(|| inner.networks.patch().set_project(p).set_network(n).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        Kind::Firewall => {
            let b: model::Firewall = from_json(&what, body)?;
            call(|| inner.firewalls.patch().set_project(p).set_firewall(n).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        _ => return Err(ProviderError::Failed(format!("{what}: this object kind cannot be patched"))),
    };
    let op = op.map_err(|e| e.into_provider(&what))?;
    wait(inner, &to_json(&op), &what).await
}

/// `setLabels` (addresses, instances), `setMetadata`, `setTags` (instances).
pub(crate) async fn set(inner: &Inner, kind: Kind, loc: &Loc, verb: &str, body: J, request_id: &str) -> Result<(), ProviderError> {
    let (p, l, n) = (loc.project.as_str(), loc.location.as_str(), loc.name.as_str());
    let what = format!("{verb} {}", loc.id(kind));
    let op = match (kind, verb) {
        (Kind::Address, "setLabels") => {
            let b: model::RegionSetLabelsRequest = from_json(&what, body)?;
            call(|| inner.addresses.set_labels().set_project(p).set_region(l).set_resource(n).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        (Kind::Instance, "setLabels") => {
            let b: model::InstancesSetLabelsRequest = from_json(&what, body)?;
            call(|| inner.instances.set_labels().set_project(p).set_zone(l).set_instance(n).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        (Kind::Instance, "setMetadata") => {
            let b: model::Metadata = from_json(&what, body)?;
            call(|| inner.instances.set_metadata().set_project(p).set_zone(l).set_instance(n).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        (Kind::Instance, "setTags") => {
            let b: model::Tags = from_json(&what, body)?;
            call(|| inner.instances.set_tags().set_project(p).set_zone(l).set_instance(n).set_body(b.clone()).set_request_id(request_id).send()).await
        }
        _ => return Err(ProviderError::Failed(format!("{what}: unsupported call"))),
    };
    let op = op.map_err(|e| e.into_provider(&what))?;
    wait(inner, &to_json(&op), &what).await
}

/// Last path segment of a URL or path (`…/zones/us-central1-a` → `us-central1-a`).
pub(crate) fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Polls an operation until `DONE` (or the operation timeout), then turns
/// its `error` into a provider error.
pub(crate) async fn wait(inner: &Inner, op: &J, what: &str) -> Result<(), ProviderError> {
    let start = Instant::now();
    let mut op = op.clone();
    let mut delay = Duration::from_millis(100);
    let name = op.get("name").and_then(J::as_str).unwrap_or_default().to_string();
    let zone = op.get("zone").and_then(J::as_str).map(|z| last_segment(z).to_string());
    let region = op.get("region").and_then(J::as_str).map(|r| last_segment(r).to_string());
    let p = op
        .get("selfLink")
        .and_then(J::as_str)
        .and_then(|l| l.split("/projects/").nth(1))
        .and_then(|t| t.split('/').next())
        .unwrap_or(inner.project.as_str())
        .to_string();
    loop {
        if op.get("status").and_then(J::as_str) == Some("DONE") {
            return match op.get("error").and_then(|e| e.get("errors")).and_then(J::as_array) {
                Some(errs) if !errs.is_empty() => {
                    let msgs: Vec<String> = errs
                        .iter()
                        .take(5)
                        .map(|e| {
                            let code = e.get("code").and_then(J::as_str).unwrap_or("ERROR");
                            let msg = e.get("message").and_then(J::as_str).unwrap_or("");
                            format!("{code}: {msg}")
                        })
                        .collect();
                    Err(ProviderError::Api { code: "operation failed".into(), message: format!("{what}: operation {name}: {}", msgs.join("; ")) })
                }
                _ => Ok(()),
            };
        }
        if name.is_empty() {
            return Err(ProviderError::Failed(format!("{what}: the API returned an operation without a name")));
        }
        if start.elapsed() >= inner.op_timeout {
            return Err(ProviderError::Failed(format!(
                "{what}: operation {name} not DONE after {}s (provider operation_timeout)",
                inner.op_timeout.as_secs()
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
        let n = name.as_str();
        let got = match (&zone, &region) {
            (Some(z), _) => call(|| inner.zone_ops.get().set_project(&p).set_zone(z).set_operation(n).send()).await.map(|o| to_json(&o)),
            (None, Some(r)) => call(|| inner.region_ops.get().set_project(&p).set_region(r).set_operation(n).send()).await.map(|o| to_json(&o)),
            (None, None) => call(|| inner.global_ops.get().set_project(&p).set_operation(n).send()).await.map(|o| to_json(&o)),
        };
        op = got.map_err(|e| e.into_provider(&format!("{what}: poll operation {name}")))?;
    }
}
