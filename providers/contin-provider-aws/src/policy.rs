//! IAM policy documents compared by meaning, not by text (pure, no IO).
//!
//! Terraform's rule: two documents are the same policy when they parse to the
//! same JSON after ignoring whitespace and key order, treating every array as
//! a set (statement, action and resource order does not matter) and a
//! one-element array as its element (`"Action": "s3:GetObject"` equals
//! `"Action": ["s3:GetObject"]`). IAM returns documents URL-encoded and
//! reformatted; `read` keeps the configured spelling when it means the same.

use serde_json::Value as Json;

/// Largest policy document accepted (IAM's own limits are lower: 2 KiB to
/// 10 KiB by kind; this bound only protects the parser).
pub(crate) const MAX_POLICY_BYTES: usize = 128 * 1024;

/// Parses a policy document; an error names what is wrong.
/// Validation of JSON document arguments (`policy`, `redrive_policy`, …):
/// each of `args` that is set and not empty must parse.
pub(crate) fn check_documents<'a>(cfg: &contin_types::Value, args: impl IntoIterator<Item = &'a str>, d: &mut contin_types::Diagnostics) {
    for arg in args {
        if let Some(doc) = crate::util::get_str(cfg, arg).filter(|s| !s.is_empty()) {
            if let Err(why) = parse(doc) {
                d.push(contin_types::Diagnostic::error(format!("{arg}: {why}")));
            }
        }
    }
}

pub(crate) fn parse(doc: &str) -> Result<Json, String> {
    if doc.len() > MAX_POLICY_BYTES {
        return Err(format!("the document is {} bytes; the limit is {MAX_POLICY_BYTES} bytes (MAX_POLICY_BYTES)", doc.len()));
    }
    // serde_json refuses nesting deeper than 128 levels: no stack overflow.
    let v: Json = serde_json::from_str(doc).map_err(|e| format!("not valid JSON: {e}"))?;
    if !v.is_object() {
        return Err("a policy document is a JSON object".into());
    }
    Ok(v)
}

/// The canonical form: arrays sorted and deduplicated, one-element arrays unwrapped.
fn canonical(v: &Json) -> Json {
    match v {
        Json::Array(items) => {
            let mut c: Vec<Json> = items.iter().map(canonical).collect();
            c.sort_by_cached_key(|x| x.to_string());
            c.dedup();
            if c.len() == 1 {
                c.pop().unwrap_or(Json::Null)
            } else {
                Json::Array(c)
            }
        }
        Json::Object(m) => {
            // Sorted keys, so the sort key of an enclosing array does not depend on key order.
            let mut entries: Vec<(String, Json)> = m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(entries.into_iter().collect())
        }
        other => other.clone(),
    }
}

/// True when both documents parse and mean the same policy.
pub(crate) fn equivalent(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (parse(a), parse(b)) {
        (Ok(x), Ok(y)) => canonical(&x) == canonical(&y),
        _ => false,
    }
}

/// Decodes IAM's URL-encoded document (`%7B%22Version…`); a document that is
/// not encoded (moto, some endpoints) is returned as is.
pub(crate) fn url_decode(s: &str) -> String {
    if !s.contains('%') || s.trim_start().starts_with('{') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// The value `read` reports: the prior (configured) spelling when the live
/// document means the same, else the live document.
pub(crate) fn keep_spelling(live: &str, prior: Option<&str>) -> String {
    match prior {
        Some(p) if equivalent(p, live) => p.to_string(),
        _ => live.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_key_order_array_order_and_singletons_do_not_matter() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let b = "{\n  \"Statement\": {\n    \"Action\": [\"sts:AssumeRole\"],\n    \"Principal\": {\"Service\": [\"ec2.amazonaws.com\"]},\n    \"Effect\": \"Allow\"\n  },\n  \"Version\": \"2012-10-17\"\n}";
        assert!(equivalent(a, b));
        let c = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#;
        let d = r#"{"Statement":[{"Resource":["*"],"Action":["s3:PutObject","s3:GetObject"],"Effect":"Allow"}],"Version":"2012-10-17"}"#;
        assert!(equivalent(c, d));
    }

    #[test]
    fn different_meaning_is_a_difference() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}"#;
        assert!(!equivalent(a, r#"{"Statement":[{"Effect":"Deny","Action":"s3:GetObject"}]}"#));
        assert!(!equivalent(a, r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"]}]}"#));
        // Not JSON: only byte equality counts.
        assert!(!equivalent(a, "{not json"));
        assert!(equivalent("{not json", "{not json"));
    }

    #[test]
    fn parse_bounds_size_depth_and_shape() {
        assert!(parse(&" ".repeat(MAX_POLICY_BYTES + 1)).unwrap_err().contains("MAX_POLICY_BYTES"));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_err());
        assert!(parse("[]").unwrap_err().contains("JSON object"));
        assert!(parse("{\"a\":1}").is_ok());
    }

    #[test]
    fn url_decoding_and_spelling() {
        assert_eq!(url_decode("%7B%22a%22%3A%20%22b+c%22%7D"), "{\"a\": \"b c\"}");
        assert_eq!(url_decode("{\"a\":\"50%\"}"), "{\"a\":\"50%\"}");
        assert_eq!(url_decode("%7"), "%7");
        assert_eq!(url_decode("%zz%41"), "%zzA");
        let prior = "{ \"Statement\": [] }";
        assert_eq!(keep_spelling("{\"Statement\":[]}", Some(prior)), prior);
        assert_eq!(keep_spelling("{\"Statement\":[1]}", Some(prior)), "{\"Statement\":[1]}");
    }
}
