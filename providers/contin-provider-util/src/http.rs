//! The `http` provider: Terraform's `data "http"` (GET/HEAD/POST a URL,
//! expose the body, headers and status). Like Terraform's v3, a non-2xx
//! status is not an error: `status_code` tells (check it in a
//! postcondition). Secrets: a sensitive `url` or header value never appears
//! in an error; the body is limited to [`MAX_BODY_BYTES`].

use crate::{get, get_bool, get_int, get_str};
use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use http_body_util::{BodyExt, Full, Limited};
use std::collections::BTreeMap;
use std::time::Duration;

pub const HTTP: &str = "http";
/// Largest response body read.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Default and longest request time.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_TIMEOUT_MS: i64 = 10 * 60 * 1000;

fn schema() -> BlockSchema {
    use AttrType as T;
    BlockSchema::default()
        .attr("url", AttrSchema::required(T::String).describe("http:// or https:// URL"))
        .attr("method", AttrSchema::optional(T::String).describe("GET (default), HEAD or POST"))
        .attr("request_headers", AttrSchema::optional(T::Map(Box::new(T::String))))
        .attr("request_body", AttrSchema::optional(T::String))
        .attr("request_timeout_ms", AttrSchema::optional(T::Number).describe("default 60000"))
        .attr("insecure", AttrSchema::optional(T::Bool).describe("must be false: certificates are always verified"))
        .attr("response_body", AttrSchema::computed(T::String))
        .attr("body", AttrSchema::computed(T::String).describe("deprecated: response_body"))
        .attr("response_body_base64", AttrSchema::computed(T::String))
        .attr("response_headers", AttrSchema::computed(T::Map(Box::new(T::String))))
        .attr("status_code", AttrSchema::computed(T::Number))
        .attr("id", AttrSchema::computed(T::String))
}

/// The `http` provider (stateless).
#[derive(Debug, Clone, Default)]
pub struct HttpProvider;

impl HttpProvider {
    pub fn new() -> Self {
        HttpProvider
    }
}

fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(u) = get_str(cfg, "url") {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            let shown = if get(cfg, "url").is_some() && is_sensitive(cfg, "url") { "(sensitive value)".to_string() } else { format!("{u:?}") };
            d.push(Diagnostic::error(format!("url: {shown} is not an http:// or https:// URL")));
        }
    }
    if let Some(m) = get_str(cfg, "method") {
        if !matches!(m, "GET" | "HEAD" | "POST") {
            d.push(Diagnostic::error(format!("method: {m:?} is not one of GET, HEAD, POST")));
        }
    }
    match get_int(cfg, "request_timeout_ms") {
        Err(e) => d.push(Diagnostic::error(e)),
        Ok(Some(t)) if !(1..=MAX_TIMEOUT_MS).contains(&t) => d.push(Diagnostic::error(format!("request_timeout_ms: {t} is not between 1 and {MAX_TIMEOUT_MS}"))),
        _ => {}
    }
    if get_bool(cfg, "insecure") == Some(true) {
        d.push(Diagnostic::error("insecure: skipping certificate verification is not supported").with_detail("contin always verifies the server's certificate."));
    }
    d
}

/// Whether attribute `name` of `v` carries a sensitive mark (anywhere inside).
fn is_sensitive(v: &Value, name: &str) -> bool {
    v.is_sensitive() || matches!(v.unmarked(), Value::Map(m) if m.get(name).is_some_and(Value::contains_sensitive))
}

async fn fetch(cfg: &Value) -> Result<Value, ProviderError> {
    use hyper_util::client::legacy::Client;
    let url = get_str(cfg, "url").ok_or_else(|| ProviderError::Invalid("http: url is required".into()))?.to_string();
    let shown = if is_sensitive(cfg, "url") { "(sensitive url)".to_string() } else { url.clone() };
    let method = get_str(cfg, "method").unwrap_or("GET").to_string();
    let timeout = match get_int(cfg, "request_timeout_ms").map_err(|e| ProviderError::Invalid(format!("http: {e}")))? {
        Some(t) if (1..=MAX_TIMEOUT_MS).contains(&t) => Duration::from_millis(t as u64),
        Some(t) => return Err(ProviderError::Invalid(format!("http: request_timeout_ms {t} is not between 1 and {MAX_TIMEOUT_MS}"))),
        None => DEFAULT_TIMEOUT,
    };
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| ProviderError::Failed(format!("http: cannot load the system's root certificates: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(hyper_util::rt::TokioExecutor::new()).build(https);
    let uri: hyper::Uri = url.parse().map_err(|e| ProviderError::Invalid(format!("http: invalid url {shown}: {e}")))?;
    let mut req = hyper::Request::builder().method(method.as_str()).uri(uri).header("user-agent", concat!("contin/", env!("CARGO_PKG_VERSION")));
    if let Some(Value::Map(h)) = get(cfg, "request_headers") {
        for (k, v) in h {
            let Value::String(s) = v.unmarked() else { continue };
            req = req.header(k.as_str(), s.as_str());
        }
    }
    let body = get_str(cfg, "request_body").map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    // The builder's error may quote a header value: never shown.
    let req = req.body(Full::new(body)).map_err(|_| ProviderError::Invalid(format!("http: request to {shown}: an invalid method or request header name/value")))?;
    let resp = tokio::time::timeout(timeout, client.request(req))
        .await
        .map_err(|_| ProviderError::Unreachable(format!("http: {method} {shown}: no answer within {} ms", timeout.as_millis())))?
        .map_err(|e| ProviderError::Unreachable(format!("http: {method} {shown}: {}", if is_sensitive(cfg, "url") { "request failed".to_string() } else { e.to_string() })))?;
    let status = resp.status().as_u16();
    let mut headers: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in resp.headers() {
        let name = canonical_header(k.as_str());
        let val = String::from_utf8_lossy(v.as_bytes()).into_owned();
        // Repeated headers: joined like Go's http.Header in Terraform (", ").
        match headers.get_mut(&name) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&val);
            }
            _ => {
                headers.insert(name, Value::String(val));
            }
        }
    }
    let bytes = tokio::time::timeout(timeout, Limited::new(resp.into_body(), MAX_BODY_BYTES).collect())
        .await
        .map_err(|_| ProviderError::Unreachable(format!("http: {method} {shown}: the body did not arrive within {} ms", timeout.as_millis())))?
        .map_err(|e| ProviderError::Failed(format!("http: {method} {shown}: {e} (bodies are limited to {MAX_BODY_BYTES} bytes)")))?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut out = match cfg.unmarked() {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    out.insert("response_body".into(), Value::String(text.clone()));
    out.insert("body".into(), Value::String(text));
    out.insert("response_body_base64".into(), Value::String(base64::engine::general_purpose::STANDARD.encode(&bytes)));
    out.insert("response_headers".into(), Value::Map(headers));
    out.insert("status_code".into(), crate::int(i64::from(status)));
    out.insert("id".into(), if is_sensitive(cfg, "url") { Value::String(url).mark_sensitive() } else { Value::String(url) });
    Ok(Value::Map(out))
}

/// `content-type` → `Content-Type` (Go's canonical form, as Terraform shows them).
pub(crate) fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[async_trait]
impl Provider for HttpProvider {
    fn name(&self) -> &str {
        "http"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.data_sources.insert(HTTP.into(), schema());
        s
    }

    fn receives_sensitive_marks(&self) -> bool {
        true
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        if ty == HTTP { validate(cfg) } else { Diagnostics::new() }
    }

    async fn read(&self, ty: &str, _state: &Value) -> Result<Option<Value>, ProviderError> {
        Err(crate::unsupported(ty))
    }

    async fn create(&self, ty: &str, _planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        Err(crate::unsupported(ty))
    }

    async fn update(&self, ty: &str, _prior: &Value, _planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        Err(crate::unsupported(ty))
    }

    async fn delete(&self, ty: &str, _prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        Err(crate::unsupported(ty))
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        match ty {
            HTTP => fetch(cfg).await,
            _ => Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() }),
        }
    }
}

