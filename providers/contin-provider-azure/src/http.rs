//! The HTTP layer under every SDK call: a reqwest client wrapped so each
//! exchange has a deadline and a bounded response body, plus the long-running
//! operation poller (Azure-AsyncOperation / Location headers).

use async_trait::async_trait;
use azure_core::auth::TokenCredential;
use azure_core::error::{Error, ErrorKind};
use azure_core::headers::{HeaderName, Headers};
use azure_core::{HttpClient, Method, Request, Response, StatusCode, Url};
use bytes::Bytes;
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest response body read from Azure (ARM documents are small).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Deadline of one HTTP exchange (connect, send, read the body).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// `HttpClient` with a per-exchange deadline and `MAX_RESPONSE_BYTES`.
#[derive(Debug)]
pub struct BoundedHttp {
    inner: Arc<dyn HttpClient>,
}

impl BoundedHttp {
    pub fn shared() -> Arc<dyn HttpClient> {
        Arc::new(BoundedHttp { inner: azure_core::new_http_client() })
    }
}

async fn exchange(inner: &dyn HttpClient, request: &Request) -> azure_core::Result<(StatusCode, Headers, Bytes)> {
    let rsp = inner.execute_request(request).await?;
    let (status, headers, mut body) = rsp.deconstruct();
    let mut buf = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::with_message(ErrorKind::DataConversion, || {
                format!("response of {} {} exceeds the {MAX_RESPONSE_BYTES}-byte limit (MAX_RESPONSE_BYTES)", request.method(), request.url().path())
            }));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((status, headers, Bytes::from(buf)))
}

#[async_trait]
impl HttpClient for BoundedHttp {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<Response> {
        let (status, headers, body) = match tokio::time::timeout(REQUEST_TIMEOUT, exchange(self.inner.as_ref(), request)).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(Error::with_message(ErrorKind::Io, || {
                    format!("{} {} timed out after {}s", request.method(), request.url().path(), REQUEST_TIMEOUT.as_secs())
                }))
            }
        };
        let stream = futures::stream::once(async move { Ok::<Bytes, Error>(body) });
        Ok(Response::new(status, headers, Box::pin(stream)))
    }
}

/// What a long-running operation said in its first response.
pub struct Started {
    pub status: StatusCode,
    pub headers: Headers,
    pub body: Bytes,
}

/// How long one long-running operation may take before contin gives up.
pub fn lro_budget() -> Duration {
    std::env::var("CONTIN_AZURE_WAIT_SECONDS").ok().and_then(|s| s.parse().ok()).map_or(Duration::from_secs(1800), Duration::from_secs)
}

/// Polls a started operation to completion: `Azure-AsyncOperation` (status
/// document `{"status": "InProgress|Succeeded|Failed|Canceled"}`) first, then
/// `Location` (202 while running, 200/204 when done). Returns when done; a
/// failed or canceled operation, or one running past `lro_budget`, is an error.
pub async fn wait(
    http: &Arc<dyn HttpClient>,
    credential: &Arc<dyn TokenCredential>,
    scope: &str,
    what: &str,
    started: &Started,
) -> Result<(), String> {
    let async_op = header(&started.headers, "azure-asyncoperation");
    let location = header(&started.headers, "location");
    let (url, by_status) = match (async_op, location) {
        (Some(u), _) => (u, true),
        (None, Some(u)) if started.status == StatusCode::Accepted => (u, false),
        _ => return Ok(()),
    };
    let url = Url::parse(&url).map_err(|e| format!("{what}: bad operation URL from Azure: {e}"))?;
    let deadline = Instant::now() + lro_budget();
    let mut delay = retry_after(&started.headers);
    loop {
        if Instant::now() + delay > deadline {
            return Err(format!("{what}: operation still running after {}s (CONTIN_AZURE_WAIT_SECONDS)", lro_budget().as_secs()));
        }
        tokio::time::sleep(delay).await;
        let token = credential.get_token(&[scope]).await.map_err(|e| format!("{what}: cannot get a token: {}", e.kind()))?;
        let mut req = Request::new(url.clone(), Method::Get);
        req.insert_header("authorization", format!("Bearer {}", token.token.secret()));
        let rsp = http.execute_request(&req).await.map_err(|e| format!("{what}: polling the operation: {e}"))?;
        let (status, headers, body) = rsp.deconstruct();
        let body = body.collect().await.map_err(|e| format!("{what}: polling the operation: {e}"))?;
        delay = retry_after(&headers);
        if status == StatusCode::TooManyRequests || status.is_server_error() {
            continue;
        }
        if by_status {
            if !status.is_success() {
                return Err(format!("{what}: polling the operation returned HTTP {}: {}", u16::from(status), snippet(&body)));
            }
            let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("{what}: bad operation status document: {e}"))?;
            match doc.get("status").and_then(|s| s.as_str()).unwrap_or("") {
                "Succeeded" => return Ok(()),
                s @ ("Failed" | "Canceled") => {
                    let msg = doc.pointer("/error/message").and_then(|m| m.as_str()).unwrap_or("(no message)");
                    return Err(format!("{what}: operation {s}: {msg}"));
                }
                _ => {}
            }
        } else {
            match status {
                StatusCode::Accepted => {}
                s if s.is_success() => return Ok(()),
                s => return Err(format!("{what}: polling the operation returned HTTP {}: {}", u16::from(s), snippet(&body))),
            }
        }
    }
}

fn header(h: &Headers, name: &'static str) -> Option<String> {
    h.get_optional_str(&HeaderName::from_static(name)).map(str::to_string)
}

/// `Retry-After` seconds (capped at 60), 2 s when absent.
pub fn retry_after(h: &Headers) -> Duration {
    header(h, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map_or(Duration::from_secs(2), |s| Duration::from_secs(s.min(60)))
}

/// First 300 characters of an error body, for messages.
pub fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    s.chars().take(300).collect()
}
