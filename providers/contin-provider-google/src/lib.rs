//! The `google` provider: Compute Engine networks, subnetworks, firewalls,
//! addresses and instances through `google-cloud-compute-v1`, with
//! Terraform's google provider names and attributes:
//! `google_compute_network`, `google_compute_subnetwork`,
//! `google_compute_firewall`, `google_compute_address`,
//! `google_compute_instance`.
//!
//! Provider block: `project`, `region`, `zone`, `credentials` (service
//! account key JSON text or a path to it; sensitive; else
//! `GOOGLE_CREDENTIALS`, else Application Default Credentials), `endpoint`
//! (API root, for tests and private endpoints), `operation_timeout`
//! (seconds, default 600). Defaults also come from `GOOGLE_PROJECT` /
//! `GOOGLE_CLOUD_PROJECT`, `GOOGLE_REGION`, `GOOGLE_ZONE` and the key's
//! `project_id`.
//!
//! Every mutation waits for its operation (zone/region/global operations
//! polled until `DONE`), retries 429 (after `Retry-After`) and 5xx with a
//! `requestId`, and marks the object as contin's (`owner`): labels
//! `contin-lineage`/`contin-address`/`contin-generation` on addresses and
//! instances, a `[contin …]` suffix of the description on networks,
//! subnetworks and firewalls. A create finding its object already there
//! with this state's marker adopts it (crash between the insert and the
//! state write); without the marker it fails naming `contin import`.
//!
//! Architecture invariant: `schema`, `validate` and `plan_change` do no IO.

mod api;
pub mod owner;
mod resources;
pub mod schema;

use async_trait::async_trait;
use contin_provider::{OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use google_cloud_compute_v1::client;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Largest credentials file read from `credentials = "PATH"`.
pub const MAX_CREDENTIALS_BYTES: u64 = 64 * 1024;
/// Default bound on one operation wait.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(600);

pub(crate) struct Inner {
    pub project: String,
    pub region: String,
    pub zone: String,
    pub op_timeout: Duration,
    pub networks: client::Networks,
    pub subnetworks: client::Subnetworks,
    pub firewalls: client::Firewalls,
    pub addresses: client::Addresses,
    pub instances: client::Instances,
    pub zone_ops: client::ZoneOperations,
    pub region_ops: client::RegionOperations,
    pub global_ops: client::GlobalOperations,
}

/// The `google` provider. Configure it before any remote call.
#[derive(Default)]
pub struct GoogleProvider {
    inner: RwLock<Option<Arc<Inner>>>,
}

impl std::fmt::Debug for GoogleProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleProvider").field("configured", &self.inner.read().map(|i| i.is_some()).unwrap_or(false)).finish()
    }
}

impl GoogleProvider {
    pub fn new() -> Self {
        GoogleProvider::default()
    }

    fn inner(&self) -> Result<Arc<Inner>, ProviderError> {
        self.inner
            .read()
            .ok()
            .and_then(|g| g.clone())
            .ok_or_else(|| ProviderError::NotConfigured("the google provider was used before configure".into()))
    }
}

fn cfg_error(detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error("Invalid provider \"google\" configuration").with_detail(detail.into())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Key JSON from `credentials` (text or path). Errors never quote the value.
fn credentials_json(raw: &str, origin: &str) -> Result<serde_json::Value, Diagnostic> {
    let text = if raw.trim_start().starts_with('{') {
        raw.to_string()
    } else {
        use std::io::Read as _;
        let path = raw.trim();
        let f = std::fs::File::open(path).map_err(|e| cfg_error(format!("{origin}: cannot open the credentials file: {}", e.kind())))?;
        let meta = f.metadata().map_err(|e| cfg_error(format!("{origin}: cannot read the credentials file: {}", e.kind())))?;
        if !meta.is_file() {
            return Err(cfg_error(format!("{origin}: the credentials path is not a regular file")));
        }
        let mut s = String::new();
        f.take(MAX_CREDENTIALS_BYTES + 1)
            .read_to_string(&mut s)
            .map_err(|e| cfg_error(format!("{origin}: cannot read the credentials file: {}", e.kind())))?;
        if s.len() as u64 > MAX_CREDENTIALS_BYTES {
            return Err(cfg_error(format!("{origin}: the credentials file is over {MAX_CREDENTIALS_BYTES} bytes")));
        }
        s
    };
    if text.len() as u64 > MAX_CREDENTIALS_BYTES {
        return Err(cfg_error(format!("{origin}: credentials over {MAX_CREDENTIALS_BYTES} bytes")));
    }
    let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| cfg_error(format!("{origin}: not valid JSON (line {}, column {})", e.line(), e.column())))?;
    if !j.is_object() {
        return Err(cfg_error(format!("{origin}: credentials must be a JSON object")));
    }
    Ok(j)
}

async fn configure(cfg: &Value) -> Result<Inner, Diagnostic> {
    let (cfg, _) = cfg.unmark_deep();
    for name in ["project", "region", "zone", "credentials", "endpoint", "operation_timeout"] {
        if cfg.attr(name).is_some_and(|v| !v.is_wholly_known()) {
            return Err(cfg_error(format!("{name} must be known before apply")));
        }
    }
    let key = match (cfg.attr_str("credentials"), env("GOOGLE_CREDENTIALS")) {
        (Some(c), _) => Some(credentials_json(c, "credentials")?),
        (None, Some(c)) => Some(credentials_json(&c, "GOOGLE_CREDENTIALS")?),
        (None, None) => None,
    };
    let creds = match &key {
        Some(k) => {
            let ty = k.get("type").and_then(serde_json::Value::as_str).unwrap_or("");
            if ty != "service_account" {
                return Err(cfg_error(format!(
                    "credentials: type {ty:?} is not supported here; give a service_account key, or leave credentials unset to use Application Default Credentials"
                )));
            }
            google_cloud_auth::credentials::service_account::Builder::new(k.clone())
                .build()
                .map_err(|e| cfg_error(format!("credentials: the service account key is not usable: {}", redact(&e.to_string(), k))))?
        }
        None => google_cloud_auth::credentials::Builder::default()
            .build()
            .map_err(|e| cfg_error(format!("no credentials: set `credentials`, GOOGLE_CREDENTIALS or Application Default Credentials ({e})")))?,
    };
    let project = cfg
        .attr_str("project")
        .map(str::to_string)
        .or_else(|| env("GOOGLE_PROJECT"))
        .or_else(|| env("GOOGLE_CLOUD_PROJECT"))
        .or_else(|| key.as_ref().and_then(|k| k.get("project_id")).and_then(serde_json::Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let zone = cfg.attr_str("zone").map(str::to_string).or_else(|| env("GOOGLE_ZONE")).unwrap_or_default();
    let region = cfg
        .attr_str("region")
        .map(str::to_string)
        .or_else(|| env("GOOGLE_REGION"))
        .or_else(|| zone.rsplit_once('-').map(|(r, _)| r.to_string()))
        .unwrap_or_default();
    let op_timeout = match cfg.attr("operation_timeout") {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(s) if (1..=86_400).contains(&s) => Duration::from_secs(s as u64),
            _ => return Err(cfg_error("operation_timeout must be a whole number of seconds between 1 and 86400")),
        },
        _ => DEFAULT_OPERATION_TIMEOUT,
    };
    let endpoint = cfg.attr_str("endpoint").map(|e| e.trim_end_matches('/').to_string());
    if let Some(e) = &endpoint {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(cfg_error(format!("endpoint {e:?} must be an http:// or https:// URL")));
        }
    }
    macro_rules! build {
        ($ty:ty) => {{
            let mut b = <$ty>::builder().with_credentials(creds.clone()).with_retry_policy(google_cloud_gax::retry_policy::NeverRetry);
            if let Some(e) = &endpoint {
                b = b.with_endpoint(e.clone());
            }
            b.build().await.map_err(|e| cfg_error(format!("cannot build the Compute client: {e}")))?
        }};
    }
    Ok(Inner {
        project,
        region,
        zone,
        op_timeout,
        networks: build!(client::Networks),
        subnetworks: build!(client::Subnetworks),
        firewalls: build!(client::Firewalls),
        addresses: build!(client::Addresses),
        instances: build!(client::Instances),
        zone_ops: build!(client::ZoneOperations),
        region_ops: build!(client::RegionOperations),
        global_ops: build!(client::GlobalOperations),
    })
}

/// Removes any fragment of the key's secret from a message (paranoia: the
/// SDK's errors do not quote keys, but a message must never carry one).
fn redact(msg: &str, key: &serde_json::Value) -> String {
    let mut out = msg.to_string();
    if let Some(pk) = key.get("private_key").and_then(serde_json::Value::as_str) {
        for line in pk.lines().filter(|l| l.len() > 16) {
            out = out.replace(line, "[redacted]");
        }
    }
    out
}

fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !n.ends_with('-')
}

fn valid_label_part(s: &str, key: bool) -> bool {
    s.len() <= owner::MAX_LABEL
        && s.chars().all(|c| c.is_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && (!key || s.chars().next().is_some_and(char::is_lowercase))
}

/// Checks beyond the schema (pure).
pub fn validate_config(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(n) = cfg.attr_str("name") {
        if !valid_name(n) {
            d.push(Diagnostic::error(format!(
                "name: {n:?} is not a valid Compute Engine name (a lowercase letter, then lowercase letters, digits or dashes, not ending with a dash, at most 63 characters)"
            )));
        }
    }
    if let Some(Value::Map(labels)) = cfg.attr("labels") {
        if labels.len() > 61 {
            d.push(Diagnostic::error(format!("labels: {} labels; at most 61 (64 minus contin's 3 bookkeeping labels)", labels.len())));
        }
        for (k, v) in labels {
            if k.starts_with("contin-") {
                d.push(Diagnostic::error(format!("labels: key {k:?} uses the reserved prefix contin-")));
            } else if !valid_label_part(k, true) || v.as_str_opt().is_some_and(|v| !valid_label_part(v, false)) {
                d.push(Diagnostic::error(format!(
                    "labels: {k:?} is not a valid GCP label (keys start with a lowercase letter; keys and values use lowercase letters, digits, _ and -, at most 63 characters)"
                )));
            }
        }
    }
    match ty {
        schema::FIREWALL => {
            let n = |k: &str| match cfg.attr(k) {
                Some(Value::List(i) | Value::Set(i)) => i.len(),
                Some(Value::Map(_)) => 1,
                _ => 0,
            };
            let unknown = |k: &str| cfg.attr(k).is_some_and(|v| !v.is_wholly_known());
            if n("allow") + n("deny") == 0 && !unknown("allow") && !unknown("deny") {
                d.push(Diagnostic::error("allow: a firewall needs at least one allow or deny block"));
            }
            if n("allow") > 0 && n("deny") > 0 {
                d.push(Diagnostic::error("deny: a firewall has either allow or deny blocks, not both"));
            }
            if let Some(dir) = cfg.attr_str("direction") {
                if dir != "INGRESS" && dir != "EGRESS" {
                    d.push(Diagnostic::error(format!("direction: {dir:?} must be INGRESS or EGRESS")));
                }
            }
            if let Some(Value::Number(p)) = cfg.attr("priority") {
                if !p.as_i64().is_some_and(|p| (0..=65535).contains(&p)) {
                    d.push(Diagnostic::error("priority: must be a whole number from 0 to 65535"));
                }
            }
        }
        schema::NETWORK => {
            if let Some(m) = cfg.attr_str("routing_mode") {
                if m != "REGIONAL" && m != "GLOBAL" {
                    d.push(Diagnostic::error(format!("routing_mode: {m:?} must be REGIONAL or GLOBAL")));
                }
            }
        }
        schema::SUBNETWORK => {
            if let Some(c) = cfg.attr_str("ip_cidr_range") {
                if c.parse::<ipnet::Ipv4Net>().is_err() {
                    d.push(Diagnostic::error(format!("ip_cidr_range: {c:?} is not an IPv4 CIDR block")));
                }
            }
        }
        _ => {}
    }
    d
}

trait StrOpt {
    fn as_str_opt(&self) -> Option<&str>;
}

impl StrOpt for Value {
    fn as_str_opt(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

#[async_trait]
impl Provider for GoogleProvider {
    fn name(&self) -> &str {
        "google"
    }

    fn schema(&self) -> ProviderSchema {
        schema::provider_schema()
    }

    async fn configure(&self, cfg: Value) -> Result<(), Diagnostics> {
        let inner = configure(&cfg).await.map_err(Diagnostics::from)?;
        if let Ok(mut g) = self.inner.write() {
            *g = Some(Arc::new(inner));
        }
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        validate_config(ty, cfg)
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        match schema::resource(ty) {
            Some(block) => contin_provider::plan_change_from_schema(block, prior, desired),
            None => PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            },
        }
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let k = resources::kind(ty).ok_or_else(|| unsupported(ty))?;
        resources::read(&*self.inner()?, k, state).await
    }

    async fn create(&self, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        let k = resources::kind(ty).ok_or_else(|| unsupported(ty))?;
        resources::create(&*self.inner()?, ty, k, planned, ctx).await
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        let k = resources::kind(ty).ok_or_else(|| unsupported(ty))?;
        resources::update(&*self.inner()?, k, prior, planned, ctx).await
    }

    async fn delete(&self, ty: &str, prior: &Value, ctx: &OpContext) -> Result<(), ProviderError> {
        let k = resources::kind(ty).ok_or_else(|| unsupported(ty))?;
        resources::delete(&*self.inner()?, k, prior, ctx).await
    }

    async fn import(&self, ty: &str, id: &str) -> Result<Value, ProviderError> {
        let k = resources::kind(ty).ok_or_else(|| unsupported(ty))?;
        resources::import(&*self.inner()?, ty, k, id).await
    }
}
