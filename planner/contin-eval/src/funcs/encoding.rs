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

pub(super) fn base64encode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = string_arg(&args[0], 0)?;
    Ok(Value::String(contin_types::base64::encode(text.as_bytes())))
}

pub(super) fn base64decode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = string_arg(&args[0], 0)?;
    let out = contin_types::base64::decode(&text).ok_or_else(|| FuncError::Arg(0, "failed to decode base64 data".into()))?;
    String::from_utf8(out)
        .map(Value::String)
        .map_err(|_| FuncError::Arg(0, "the result of decoding the provided string is not valid UTF-8".into()))
}
