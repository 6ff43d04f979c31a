//! jsonencode/jsondecode (byte-compatible with Terraform's Go encoder) and base64.

use super::{string_arg, FnResult, FuncError};
use crate::Scope;
use contin_types::Value;

/// JSON text of a wholly known value, as Terraform writes it: object keys
/// sorted, no spaces, `<`, `>` and `&` escaped.
pub fn json_text(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_json_string(s, out),
        Value::List(items) | Value::Set(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        Value::Sensitive(inner) => write_json(inner, out),
    }
}

pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn jsonencode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::String(json_text(&args[0])))
}

pub(super) fn jsondecode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = string_arg(&args[0], 0)?;
    let j: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| FuncError::Arg(0, format!("invalid JSON: {e}")))?;
    Ok(Value::from_json(&j))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn base64encode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = string_arg(&args[0], 0)?;
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    Ok(Value::String(out))
}

pub(super) fn base64decode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = string_arg(&args[0], 0)?;
    let bad = || FuncError::Arg(0, "failed to decode base64 data".into());
    let t = text.trim_end_matches('=');
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in t.bytes() {
        let v = B64.iter().position(|&b| b == c).ok_or_else(bad)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    if text.len() % 4 != 0 {
        return Err(bad());
    }
    String::from_utf8(out)
        .map(Value::String)
        .map_err(|_| FuncError::Arg(0, "the result of decoding the provided string is not valid UTF-8".into()))
}
