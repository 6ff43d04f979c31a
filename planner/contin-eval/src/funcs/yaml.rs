//! yamldecode (yaml-rust2's event parser; values built here so aliases,
//! depth and size stay bounded) and yamlencode (block style, like
//! Terraform's go-cty-yaml: keys and strings double-quoted).

use super::{string_arg, FnResult, FuncError};
use crate::limits::{MAX_DOCUMENT_DEPTH, MAX_YAML_NODES};
use crate::Scope;
use contin_types::{Number, Value};
use std::collections::{BTreeMap, HashMap};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

enum Frame {
    Seq { items: Vec<Value>, anchor: usize, nodes: usize },
    Map { entries: BTreeMap<String, Value>, key: Option<String>, merge: bool, anchor: usize, nodes: usize },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    open_anchors: Vec<usize>,
    nodes: usize,
    root: Option<Value>,
}

fn err(msg: impl Into<String>) -> FuncError {
    FuncError::Call(msg.into())
}

impl Builder {
    fn count(&mut self, n: usize) -> Result<(), FuncError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_YAML_NODES {
            return Err(err(format!(
                "the document expands to more than {MAX_YAML_NODES} values (MAX_YAML_NODES); aliases are counted each time they are used"
            )));
        }
        Ok(())
    }

    /// Adds a finished node (with its node count) to the open container.
    fn push(&mut self, v: Value, size: usize) -> Result<(), FuncError> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_some() {
                    return Err(err("the YAML text holds more than one document"));
                }
                self.root = Some(v);
            }
            Some(Frame::Seq { items, nodes, .. }) => {
                items.push(v);
                *nodes += size;
            }
            Some(Frame::Map { entries, key, merge, nodes, .. }) => match key.take() {
                None => {
                    let k = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return Err(err("only string keys are supported in YAML mappings")),
                    };
                    *merge = k == "<<";
                    *key = Some(k);
                }
                Some(k) => {
                    *nodes += size;
                    if std::mem::take(merge) {
                        let maps = match v {
                            Value::Map(m) => vec![m],
                            Value::List(l) => l.into_iter().filter_map(|x| if let Value::Map(m) = x { Some(m) } else { None }).collect(),
                            _ => return Err(err("map merge requires map or sequence of maps as the value")),
                        };
                        for m in maps {
                            for (mk, mv) in m {
                                entries.entry(mk).or_insert(mv);
                            }
                        }
                    } else {
                        entries.insert(k, v);
                    }
                }
            },
        }
        Ok(())
    }

    fn event(&mut self, ev: Event) -> Result<bool, FuncError> {
        match ev {
            Event::StreamEnd => return Ok(false),
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {}
            Event::Alias(id) => {
                if self.open_anchors.contains(&id) {
                    return Err(err("cannot refer to an alias within the node it names (a recursive alias)"));
                }
                let (v, size) = self.anchors.get(&id).cloned().ok_or_else(|| err("unknown anchor"))?;
                self.count(size)?;
                self.push(v, size)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1)?;
                let v = scalar(text, style, tag.as_ref())?;
                if anchor != 0 {
                    self.anchors.insert(anchor, (v.clone(), 1));
                }
                self.push(v, 1)?;
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) if tag.as_ref().is_some_and(|t| !collection_tag_ok(t)) => {
                let _ = anchor;
                return Err(err(format!("unsupported tag {}", tag_name(tag.as_ref()))));
            }
            Event::SequenceStart(anchor, _) => self.open(Frame::Seq { items: Vec::new(), anchor, nodes: 1 }, anchor)?,
            Event::MappingStart(anchor, _) => {
                self.open(Frame::Map { entries: BTreeMap::new(), key: None, merge: false, anchor, nodes: 1 }, anchor)?
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (v, anchor, size) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, nodes }) => (Value::List(items), anchor, nodes),
                    Some(Frame::Map { entries, anchor, nodes, .. }) => (Value::Map(entries), anchor, nodes),
                    None => return Err(err("unbalanced YAML collection")),
                };
                if anchor != 0 {
                    self.open_anchors.retain(|a| *a != anchor);
                    self.anchors.insert(anchor, (v.clone(), size));
                }
                self.push(v, size)?;
            }
        }
        Ok(true)
    }

    fn open(&mut self, f: Frame, anchor: usize) -> Result<(), FuncError> {
        self.count(1)?;
        if self.stack.len() >= MAX_DOCUMENT_DEPTH {
            return Err(err(format!("the YAML document is nested more than {MAX_DOCUMENT_DEPTH} levels deep (MAX_DOCUMENT_DEPTH)")));
        }
        if anchor != 0 {
            self.open_anchors.push(anchor);
        }
        self.stack.push(f);
        Ok(())
    }
}

fn tag_name(t: Option<&Tag>) -> String {
    t.map(|t| format!("{}{}", t.handle, t.suffix)).unwrap_or_default()
}

fn collection_tag_ok(t: &Tag) -> bool {
    t.handle == "tag:yaml.org,2002:" && matches!(t.suffix.as_str(), "seq" | "map") || t.handle == "!!" && matches!(t.suffix.as_str(), "seq" | "map")
}

/// A scalar resolved like go-yaml v2 (YAML 1.1 booleans, timestamps as
/// RFC 3339 strings).
fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, FuncError> {
    if let Some(t) = tag {
        let core = t.handle == "tag:yaml.org,2002:" || t.handle == "!!";
        if !core {
            return Err(err(format!("unsupported tag {}", tag_name(Some(t)))));
        }
        return match t.suffix.as_str() {
            "str" | "binary" => Ok(Value::String(text)),
            "null" => Ok(Value::Null),
            "bool" => match resolve_plain(&text) {
                Some(Value::Bool(b)) => Ok(Value::Bool(b)),
                _ => Err(err(format!("cannot decode {text:?} as a bool"))),
            },
            "int" | "float" => match resolve_plain(&text) {
                Some(Value::Number(n)) => Ok(Value::Number(n)),
                _ => Err(err(format!("cannot decode {text:?} as a number"))),
            },
            "timestamp" => Ok(Value::String(timestamp(&text).unwrap_or(text))),
            other => Err(err(format!("unsupported tag !!{other}"))),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text));
    }
    if let Some(v) = resolve_plain(&text) {
        return Ok(v);
    }
    if matches!(text.trim_start_matches(['+', '-']), ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return Err(err(format!("cannot represent {text} (infinity and NaN are not numbers contin can hold)")));
    }
    if let Some(ts) = timestamp(&text) {
        return Ok(Value::String(ts));
    }
    Ok(Value::String(text))
}

fn resolve_plain(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Some(Value::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => return Some(Value::Bool(false)),
        _ => {}
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let radix = |digits: &str, r: u32| -> Option<Value> {
        if digits.is_empty() || digits.len() > 128 {
            return None;
        }
        let n = bigdecimal::num_bigint::BigInt::parse_bytes(digits.as_bytes(), r)?;
        let n = if neg { -n } else { n };
        Some(Value::Number(Number(bigdecimal::BigDecimal::from(n))))
    };
    // Hexadecimal and octal take no sign (go-yaml reads "-0x10" as a string).
    if let Some(h) = s.strip_prefix("0x") {
        return radix(h, 16);
    }
    if let Some(o) = s.strip_prefix("0o") {
        return radix(o, 8);
    }
    let numeric = !body.is_empty()
        && body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'.')
        && body.bytes().any(|c| c.is_ascii_digit());
    if numeric {
        let text = if body.starts_with('.') { format!("0{body}") } else { body.to_string() };
        if let Some(n) = crate::number::parse(&text) {
            return Some(Value::Number(if neg { crate::number::neg(&n) } else { n }));
        }
    }
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN" => {
            // contin numbers have no infinity or NaN (state could not hold them).
            None
        }
        _ => None,
    }
}

/// YAML 1.1 timestamps (`2001-12-14`, `2001-12-14T21:59:43.10-05:00`,
/// `2001-12-14 21:59:43.10 -5`) as RFC 3339 text; `None` when not one.
fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let date_ok = b.len() >= 10 && b[4] == b'-' && b[..4].iter().all(u8::is_ascii_digit);
    if !date_ok {
        return None;
    }
    if b.len() == 10 {
        let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        return Some(format!("{}T00:00:00Z", d.format("%Y-%m-%d")));
    }
    // Terraform prints the time in RFC 3339 at whole seconds.
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let off = t.offset().local_minus_utc();
    Some(if off == 0 { format!("{base}Z") } else { format!("{base}{}", t.format("%:z")) })
}

pub(super) fn yamldecode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = string_arg(&args[0], 0)?;
    let mut parser = Parser::new_from_str(&text);
    let mut b = Builder { stack: Vec::new(), anchors: HashMap::new(), open_anchors: Vec::new(), nodes: 0, root: None };
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| err(e.to_string()))?;
        let more = b.event(ev).map_err(|e| match e {
            FuncError::Call(m) => err(format!("on line {}, column {}: {m}", mark.line(), mark.col() + 1)),
            other => other,
        })?;
        if !more {
            break;
        }
    }
    b.root.ok_or_else(|| err("on line 1, column 1: missing start of document"))
}

pub(super) fn yamlencode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut out = String::new();
    let v = args.into_iter().next().unwrap_or(Value::Null);
    match &v {
        Value::List(l) | Value::Set(l) if !l.is_empty() => block_seq(l, 0, &mut out, 0)?,
        Value::Map(m) if !m.is_empty() => block_map(m, 0, &mut out, 0)?,
        other => {
            out.push_str(&inline(other, 0));
            out.push('\n');
            // A plain scalar document gets go-yaml's document end marker.
            if matches!(other.unmarked(), Value::Null | Value::Bool(_) | Value::Number(_)) {
                out.push_str("...\n");
            }
        }
    }
    Ok(Value::String(out))
}

fn depth_check(depth: usize) -> Result<(), FuncError> {
    if depth > MAX_DOCUMENT_DEPTH {
        return Err(err(format!("the value is nested more than {MAX_DOCUMENT_DEPTH} levels deep (MAX_DOCUMENT_DEPTH)")));
    }
    Ok(())
}

/// A scalar or an empty collection on one line; `indent` is used by block
/// strings (`|-`).
fn inline(v: &Value, indent: usize) -> String {
    match v {
        Value::Null | Value::Unknown => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s, indent),
        Value::List(_) | Value::Set(_) => "[]".into(),
        Value::Map(_) => "{}".into(),
        Value::Sensitive(inner) => inline(inner, indent),
    }
}

fn yaml_string(s: &str, indent: usize) -> String {
    let printable = s.chars().all(|c| c == '\n' || c == '\t' || (!c.is_control() && (c as u32) <= 0xffff && c != '\u{feff}'));
    if s.contains('\n') && printable && !s.lines().any(|l| l.ends_with(' ')) {
        let pad = " ".repeat(indent + 2);
        let chomp = if s.ends_with("\n\n") {
            "+"
        } else if s.ends_with('\n') {
            ""
        } else {
            "-"
        };
        let body = s.strip_suffix('\n').unwrap_or(s);
        // A leading space needs the indentation indicator.
        let ind = if s.starts_with(' ') { "2" } else { "" };
        let mut out = format!("|{ind}{chomp}");
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
        return out;
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{feff}' => out.push_str("\\ufeff"),
            // go-yaml escapes every character outside the Basic Multilingual Plane.
            c if (c as u32) > 0xffff => out.push_str(&format!("\\U{:08X}", c as u32)),
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02X}"));
                } else {
                    out.push_str(&format!("\\u{n:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::List(l) | Value::Set(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        Value::Sensitive(inner) => is_block(inner),
        _ => false,
    }
}

fn block_map(m: &BTreeMap<String, Value>, indent: usize, out: &mut String, depth: usize) -> Result<(), FuncError> {
    depth_check(depth)?;
    let pad = " ".repeat(indent);
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(&pad);
        }
        out.push_str(&yaml_string(k, indent));
        out.push(':');
        let v = v.unmarked();
        match v {
            Value::Map(inner) if !inner.is_empty() => {
                out.push('\n');
                out.push_str(&" ".repeat(indent + 2));
                block_map(inner, indent + 2, out, depth + 1)?;
            }
            Value::List(l) | Value::Set(l) if !l.is_empty() => {
                out.push('\n');
                out.push_str(&pad);
                block_seq(l, indent, out, depth + 1)?;
            }
            other => {
                out.push(' ');
                out.push_str(&inline(other, indent));
                out.push('\n');
            }
        }
    }
    Ok(())
}

fn block_seq(l: &[Value], indent: usize, out: &mut String, depth: usize) -> Result<(), FuncError> {
    depth_check(depth)?;
    let pad = " ".repeat(indent);
    for (i, v) in l.iter().enumerate() {
        if i > 0 {
            out.push_str(&pad);
        }
        out.push_str("- ");
        let v = v.unmarked();
        match v {
            Value::Map(inner) if is_block(v) => block_map(inner, indent + 2, out, depth + 1)?,
            Value::List(inner) | Value::Set(inner) if is_block(v) => block_seq(inner, indent + 2, out, depth + 1)?,
            other => {
                out.push_str(&inline(other, indent));
                out.push('\n');
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> FnResult {
        yamldecode(vec![Value::string(s)], &crate::EmptyScope)
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let r = dec(&bomb);
        assert!(matches!(&r, Err(FuncError::Call(m)) if m.contains("MAX_YAML_NODES")), "{r:?}");
        let deep = "[".repeat(100_000);
        assert!(dec(&deep).is_err());
        let r = dec("{a: &foo [1, *foo, 3]}");
        assert!(r.is_err(), "{r:?}");
        assert!(dec("{a: !not-supported foo}").is_err());
        assert!(dec("a\n---\nb").is_err());
    }

    #[test]
    fn scalars_resolve_like_terraform() {
        assert_eq!(dec("yes"), Ok(Value::Bool(true)));
        assert_eq!(dec("0x1F"), Ok(Value::int(31)));
        assert_eq!(dec("'yes'"), Ok(Value::string("yes")));
        assert_eq!(dec("2001-12-14"), Ok(Value::string("2001-12-14T00:00:00Z")));
        assert_eq!(dec("1_000"), Ok(Value::string("1_000")));
        assert_eq!(dec("<<: {a: 1}\nb: 2"), Ok(Value::map([("a", Value::int(1)), ("b", Value::int(2))])));
    }

    #[test]
    fn encode_is_block_style() {
        let v = Value::map([("f", Value::string("multi\nline")), ("i", Value::List(vec![Value::List(vec![Value::int(1)])]))]);
        let r = yamlencode(vec![v], &crate::EmptyScope);
        assert_eq!(r, Ok(Value::string("\"f\": |-\n  multi\n  line\n\"i\":\n- - 1\n")));
    }
}
