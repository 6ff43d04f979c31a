//! A minimal blocking HTTP/1.1 client for tests that talk to the fake
//! directly (set-up, fixtures): one request per connection.

use serde_json::Value as J;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One answer: status, lower-cased headers, body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> J {
        serde_json::from_slice(&self.body).unwrap_or(J::Null)
    }
}

/// Sends `method url` (absolute `http://host:port/path?query`) with an optional bearer token and body.
pub fn send(method: &str, url: &str, token: Option<&str>, content_type: &str, body: &[u8]) -> std::io::Result<Answer> {
    let rest = url.strip_prefix("http://").ok_or_else(|| std::io::Error::other("only http:// URLs"))?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !body.is_empty() {
        req.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Ok(Answer { status, headers, body })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(p) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..p]).trim(), 16).unwrap_or(0);
        if n == 0 || p + 2 + n > b.len() {
            break;
        }
        out.extend_from_slice(&b[p + 2..p + 2 + n]);
        b = &b[(p + 4 + n).min(b.len())..];
    }
    out
}

/// Gets a token from the fake's client-credentials endpoint.
pub fn token(base: &str, tenant: &str, client_id: &str, secret: &str) -> std::io::Result<Answer> {
    let form = format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
    send("POST", &format!("{base}/{tenant}/oauth2/v2.0/token"), None, "application/x-www-form-urlencoded", form.as_bytes())
}

/// JSON request with a bearer token.
pub fn json(method: &str, url: &str, token: &str, body: Option<&J>) -> std::io::Result<Answer> {
    let b = body.map(|b| b.to_string()).unwrap_or_default();
    send(method, url, Some(token), "application/json", b.as_bytes())
}
