//! String functions. Lengths and offsets count grapheme clusters, like
//! Terraform; regular expressions are compiled once per pattern text.

use super::{int_arg, list_arg, string_arg, FnResult, FuncError};
use crate::limits::{check_string, too_many_elements, MAX_COLLECTION_ELEMENTS};
use crate::Scope;
use contin_types::Value;
use regex::Regex;
use std::cell::RefCell;
use std::collections::HashMap;
use unicode_segmentation::UnicodeSegmentation;

thread_local! {
    static REGEX_CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// Compiles (or reuses) a regular expression.
pub(crate) fn regex(pattern: &str) -> Result<Regex, String> {
    REGEX_CACHE.with(|c| {
        if let Some(r) = c.borrow().get(pattern) {
            return Ok(r.clone());
        }
        let r = Regex::new(pattern).map_err(|e| format!("invalid regular expression pattern: {e}"))?;
        let mut cache = c.borrow_mut();
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(pattern.to_string(), r.clone());
        Ok(r)
    })
}

fn s(v: &[Value], i: usize) -> Result<String, FuncError> {
    string_arg(&v[i], i)
}

pub(super) fn join(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let sep = s(&args, 0)?;
    if args.len() < 2 {
        return Err(FuncError::Call("at least one list is required".into()));
    }
    let mut parts = Vec::new();
    let mut total = 0usize;
    for (i, list) in args.into_iter().enumerate().skip(1) {
        for (j, item) in list_arg(list, i)?.into_iter().enumerate() {
            if item.is_null() {
                return Err(FuncError::Arg(i, format!("element {j} is null; cannot concatenate null values")));
            }
            let part = string_arg(&item, i)?;
            total = total.saturating_add(part.len()).saturating_add(sep.len());
            check_string(total).map_err(FuncError::Call)?;
            parts.push(part);
        }
    }
    Ok(Value::String(parts.join(&sep)))
}

pub(super) fn split(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let sep = s(&args, 0)?;
    let text = s(&args, 1)?;
    let n = if sep.is_empty() { text.chars().count() } else { text.matches(sep.as_str()).count() + 1 };
    if n > MAX_COLLECTION_ELEMENTS {
        return Err(FuncError::Call(too_many_elements(n)));
    }
    let parts: Vec<Value> = if sep.is_empty() {
        text.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        text.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}

pub(super) fn replace(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    let sub = s(&args, 1)?;
    let rep = s(&args, 2)?;
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = regex(&sub[1..sub.len() - 1]).map_err(|e| FuncError::Arg(1, e))?;
        // replace_all by hand, so the result is bounded while it is built.
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(&text) {
            let Some(m) = caps.get(0) else { continue };
            out.push_str(&text[last..m.start()]);
            caps.expand(&rep, &mut out);
            last = m.end();
            check_string(out.len()).map_err(FuncError::Call)?;
        }
        out.push_str(&text[last..]);
        check_string(out.len()).map_err(FuncError::Call)?;
        return Ok(Value::String(out));
    }
    if !sub.is_empty() && rep.len() > sub.len() {
        let n = text.matches(sub.as_str()).count();
        check_string(text.len().saturating_add(n.saturating_mul(rep.len() - sub.len()))).map_err(FuncError::Call)?;
    } else if sub.is_empty() {
        let n = text.chars().count() + 1;
        check_string(text.len().saturating_add(n.saturating_mul(rep.len()))).map_err(FuncError::Call)?;
    }
    Ok(Value::String(text.replace(&sub, &rep)))
}

/// Go's `unicode.ToUpper` per character: simple one-to-one mappings only
/// (`ß` stays `ß`).
pub(super) fn upper(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    Ok(Value::String(
        text.chars()
            .map(|c| {
                let mut up = c.to_uppercase();
                match (up.next(), up.next()) {
                    (Some(u), None) => u,
                    _ => c,
                }
            })
            .collect(),
    ))
}

/// Go's `unicode.ToLower` per character (`İ` becomes `i`).
pub(super) fn lower(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    Ok(Value::String(text.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect()))
}

/// Go's `strings.Title`: upper-cases letters that follow a separator.
pub(super) fn title(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut prev = ' ';
    for c in text.chars() {
        if is_sep(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    Ok(Value::String(out))
}

pub(super) fn trimspace(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::String(s(&args, 0)?.trim().to_string()))
}

pub(super) fn trim(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    let cut: Vec<char> = s(&args, 1)?.chars().collect();
    Ok(Value::String(text.trim_matches(|c| cut.contains(&c)).to_string()))
}

pub(super) fn trimprefix(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    let p = s(&args, 1)?;
    Ok(Value::String(text.strip_prefix(p.as_str()).unwrap_or(&text).to_string()))
}

pub(super) fn trimsuffix(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    let p = s(&args, 1)?;
    Ok(Value::String(text.strip_suffix(p.as_str()).unwrap_or(&text).to_string()))
}

pub(super) fn chomp(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::String(s(&args, 0)?.trim_end_matches(['\r', '\n']).to_string()))
}

pub(super) fn indent(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let n = int_arg(&args[0], 0)?;
    let text = s(&args, 1)?;
    let n = usize::try_from(n).unwrap_or(0);
    let lines = text.matches('\n').count();
    check_string(text.len().saturating_add(lines.saturating_mul(n)).max(n)).map_err(|msg| FuncError::Arg(0, msg))?;
    let pad = " ".repeat(n);
    Ok(Value::String(text.replace('\n', &format!("\n{pad}"))))
}

pub(super) fn startswith(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Bool(s(&args, 0)?.starts_with(s(&args, 1)?.as_str())))
}

pub(super) fn endswith(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Bool(s(&args, 0)?.ends_with(s(&args, 1)?.as_str())))
}

pub(super) fn strcontains(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Bool(s(&args, 0)?.contains(s(&args, 1)?.as_str())))
}

pub(super) fn strrev(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::String(s(&args, 0)?.graphemes(true).rev().collect()))
}

pub(super) fn substr(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = s(&args, 0)?;
    let mut offset = int_arg(&args[1], 1)?;
    let length = int_arg(&args[2], 2)?;
    let g: Vec<&str> = text.graphemes(true).collect();
    let total = g.len() as i64;
    if offset < 0 {
        offset += total;
    }
    let start = offset.clamp(0, total) as usize;
    let end = if length < 0 { total as usize } else { (start as i64 + length).clamp(0, total) as usize };
    Ok(Value::String(g[start..end.max(start)].concat()))
}

fn capture_value(re: &Regex, caps: &regex::Captures<'_>) -> Value {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Value::string(caps.get(0).map_or("", |m| m.as_str()));
    }
    if names.iter().any(Option::is_some) {
        let mut m = std::collections::BTreeMap::new();
        for (i, n) in names.iter().enumerate() {
            if let Some(n) = n {
                m.insert(n.to_string(), caps.get(i + 1).map_or(Value::Null, |c| Value::string(c.as_str())));
            }
        }
        return Value::Map(m);
    }
    Value::List((1..caps.len()).map(|i| caps.get(i).map_or(Value::Null, |c| Value::string(c.as_str()))).collect())
}

pub(super) fn regex_fn(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let re = regex(&s(&args, 0)?).map_err(|e| FuncError::Arg(0, e))?;
    let text = s(&args, 1)?;
    match re.captures(&text) {
        Some(c) => Ok(capture_value(&re, &c)),
        None => Err(FuncError::Call("pattern did not match any part of the given string".into())),
    }
}

pub(super) fn regexall(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let re = regex(&s(&args, 0)?).map_err(|e| FuncError::Arg(0, e))?;
    let text = s(&args, 1)?;
    let mut out = Vec::new();
    for c in re.captures_iter(&text) {
        if out.len() >= MAX_COLLECTION_ELEMENTS {
            return Err(FuncError::Call(too_many_elements(out.len() + 1)));
        }
        out.push(capture_value(&re, &c));
    }
    Ok(Value::List(out))
}
