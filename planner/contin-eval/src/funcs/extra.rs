//! Collection helpers (one, alltrue, anytrue, chunklist, matchkeys,
//! transpose, setproduct), log, cidrsubnets, text encodings (urlencode,
//! textencodebase64, textdecodebase64, base64gzip, csvdecode), paths
//! (basename, dirname, abspath, pathexpand, fileexists, fileset) and the
//! mark inspectors (issensitive, ephemeralasnull).

use super::{int_arg, list_arg, map_arg, number_arg, string_arg, FnResult, FuncError};
use crate::eval::values_equal;
use crate::limits::{too_many_elements, MAX_COLLECTION_ELEMENTS, MAX_STRING_BYTES};
use crate::Scope;
use contin_types::{Number, Value};
use std::collections::BTreeMap;

fn first(args: Vec<Value>) -> Value {
    args.into_iter().next().unwrap_or(Value::Null)
}

pub(super) fn one(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let v = first(args);
    if v.is_null() {
        return Err(FuncError::Arg(0, "argument must not be null".into()));
    }
    let mut items = list_arg(v, 0).map_err(|_| FuncError::Arg(0, "must be a list, set, or tuple value".into()))?;
    match items.len() {
        0 => Ok(Value::Null),
        1 => Ok(items.remove(0)),
        _ => Err(FuncError::Arg(0, "must be a list, set, or tuple value with either zero or one elements".into())),
    }
}

fn bools(args: Vec<Value>) -> Result<Vec<Option<bool>>, FuncError> {
    list_arg(first(args), 0)?
        .into_iter()
        .map(|v| match v {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            Value::String(s) if s == "true" => Ok(Some(true)),
            Value::String(s) if s == "false" => Ok(Some(false)),
            other => Err(FuncError::Arg(0, format!("list of bool required, but have an element of type {}", other.type_name()))),
        })
        .collect()
}

pub(super) fn alltrue(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Bool(bools(args)?.into_iter().all(|b| b == Some(true))))
}

pub(super) fn anytrue(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Bool(bools(args)?.into_iter().any(|b| b == Some(true))))
}

pub(super) fn chunklist(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut it = args.into_iter();
    let items = list_arg(it.next().unwrap_or(Value::Null), 0)?;
    let size = int_arg(&it.next().unwrap_or(Value::Null), 1)?;
    if size < 0 {
        return Err(FuncError::Arg(1, "the size argument must be positive".into()));
    }
    if items.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items)]));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::List(items.chunks(size).map(|c| Value::List(c.to_vec())).collect()))
}

pub(super) fn matchkeys(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut it = args.into_iter();
    let values = list_arg(it.next().unwrap_or(Value::Null), 0)?;
    let keys = list_arg(it.next().unwrap_or(Value::Null), 1)?;
    let search = list_arg(it.next().unwrap_or(Value::Null), 2)?;
    if values.len() != keys.len() {
        return Err(FuncError::Call("length of keys and values should be equal".into()));
    }
    let eq = |a: &Value, b: &Value| values_equal(a, b) || loose_eq(a, b);
    Ok(Value::List(values.into_iter().zip(keys).filter(|(_, k)| search.iter().any(|s| eq(s, k))).map(|(v, _)| v).collect()))
}

/// Equality after Terraform's unification of primitive types to string.
fn loose_eq(a: &Value, b: &Value) -> bool {
    let s = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    matches!((a, b), (Value::String(_), _) | (_, Value::String(_))) && s(a).is_some() && s(a) == s(b)
}

pub(super) fn transpose(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let m = map_arg(first(args), 0)?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut total = 0usize;
    for (k, v) in m {
        for item in list_arg(v, 0).map_err(|_| FuncError::Arg(0, "map of list of string required".into()))? {
            let s = string_arg(&item, 0).map_err(|_| FuncError::Arg(0, "map of list of string required".into()))?;
            total += 1;
            if total > MAX_COLLECTION_ELEMENTS {
                return Err(FuncError::Call(too_many_elements(total)));
            }
            out.entry(s).or_default().push(Value::String(k.clone()));
        }
    }
    Ok(Value::Map(out.into_iter().map(|(k, v)| (k, Value::List(v))).collect()))
}

/// Terraform unifies the element types of all arguments (cty's unification:
/// with a string among primitives, numbers and bools become strings; nested
/// tuples and objects unify too). Numbers and bools without a string have no
/// common type: an error.
fn unify_primitives(sets: &mut [Vec<Value>]) -> Result<(), String> {
    let lens: Vec<usize> = sets.iter().map(Vec::len).collect();
    let all: Vec<Value> = sets.iter_mut().flat_map(std::mem::take).collect();
    let mut unified = crate::types::unify_values(all)
        .map_err(|_| "all elements must be of the same type (they have no common type)".to_string())?
        .into_iter();
    for (s, n) in sets.iter_mut().zip(lens) {
        *s = unified.by_ref().take(n).collect();
    }
    Ok(())
}

pub(crate) fn unified_sets(args: Vec<Value>) -> Result<Vec<Vec<Value>>, FuncError> {
    let mut sets: Vec<Vec<Value>> = args.into_iter().enumerate().map(|(i, a)| list_arg(a, i)).collect::<Result<_, _>>()?;
    unify_primitives(&mut sets).map_err(FuncError::Call)?;
    Ok(sets)
}

pub(super) fn setproduct(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    if args.len() < 2 {
        return Err(FuncError::Call("at least two arguments are required".into()));
    }
    let any_set = args.iter().any(|a| matches!(a, Value::Set(_)));
    // Each argument's elements are unified on their own.
    let mut sets = Vec::with_capacity(args.len());
    for (i, a) in args.into_iter().enumerate() {
        let mut one = vec![list_arg(a, i)?];
        unify_primitives(&mut one).map_err(|e| FuncError::Arg(i, e))?;
        sets.extend(one);
    }
    if any_set {
        for s in &mut sets {
            if let Value::Set(items) = Value::set(std::mem::take(s)) {
                *s = items;
            }
        }
    }
    let total = sets.iter().try_fold(1usize, |acc, s| acc.checked_mul(s.len()));
    match total {
        Some(n) if n <= MAX_COLLECTION_ELEMENTS => {}
        Some(n) => return Err(FuncError::Call(too_many_elements(n))),
        None => return Err(FuncError::Call(too_many_elements(usize::MAX))),
    }
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for s in &sets {
        let mut next = Vec::with_capacity(out.len() * s.len());
        for prefix in &out {
            for v in s {
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        out = next;
    }
    let rows: Vec<Value> = out.into_iter().map(Value::List).collect();
    Ok(if any_set { Value::set(rows) } else { Value::List(rows) })
}

pub(super) fn log(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let n = number_arg(&args[0], 0)?.as_f64();
    let b = number_arg(&args[1], 1)?.as_f64();
    let r = n.ln() / b.ln();
    if !r.is_finite() {
        return Err(FuncError::Call("result is not a finite number".into()));
    }
    format!("{r}").parse::<Number>().map(Value::Number).map_err(|e| FuncError::Call(e.to_string()))
}

/// cidrsubnets(prefix, newbits...): consecutive subnets, like Terraform
/// (go-cidr's PreviousSubnet/NextSubnet with wrapping arithmetic).
pub(super) fn cidrsubnets(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let prefix = string_arg(&args[0], 0)?;
    let net: ipnet::IpNet =
        prefix.parse().map_err(|_| FuncError::Arg(0, format!("invalid CIDR expression: invalid CIDR address: {prefix}")))?;
    let (base, width) = match net.network() {
        std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), 32u32),
        std::net::IpAddr::V6(a) => (u128::from(a), 128u32),
    };
    let start = u32::from(net.prefix_len());
    let all: u128 = if width == 128 { u128::MAX } else { (1u128 << width) - 1 };
    let mask = |len: u32| -> u128 {
        match all.checked_shr(len) {
            _ if len == 0 => 0,
            Some(host) => all & !host,
            None => all,
        }
    };
    let contains = |ip: u128| ip & mask(start) == base;
    let mut lens = Vec::new();
    for (i, v) in args.iter().enumerate().skip(1) {
        let nb = int_arg(v, i)?;
        if nb < 1 {
            return Err(FuncError::Arg(i, "must extend prefix by at least one bit".into()));
        }
        if nb > 32 {
            return Err(FuncError::Arg(i, "may not extend prefix by more than 32 bits".into()));
        }
        let len = i64::from(start) + nb;
        if len > i64::from(width) {
            return Err(FuncError::Arg(
                i,
                format!("would extend prefix to {len} bits, which is too long for an IPv{} address", if width == 32 { 4 } else { 6 }),
            ));
        }
        lens.push(u32::try_from(len).unwrap_or(width));
    }
    let Some(&first_len) = lens.first() else { return Ok(Value::List(Vec::new())) };
    let addr = |bits: u128| -> String {
        if width == 32 {
            std::net::Ipv4Addr::from(bits as u32).to_string()
        } else {
            std::net::Ipv6Addr::from(bits).to_string()
        }
    };
    // PreviousSubnet(network, start+first): the base minus one, masked.
    let mut current = (base.wrapping_sub(1) & all & mask(first_len), first_len);
    let mut out = Vec::new();
    for (i, len) in lens.into_iter().enumerate() {
        // NextSubnet(current, len).
        let cur_last = current.0 | (all & !mask(current.1));
        let sub = cur_last & mask(len);
        let last = sub | (all & !mask(len));
        let next_ip = last.wrapping_add(1) & all;
        let next = next_ip & mask(len);
        if next_ip == 0 || !contains(next) {
            return Err(FuncError::Arg(
                i + 1,
                format!("not enough remaining address space for a subnet with a prefix of {len} bits after {}/{}", addr(current.0), current.1),
            ));
        }
        current = (next, len);
        out.push(Value::String(format!("{}/{len}", addr(next))));
    }
    Ok(Value::List(out))
}

/// Go's `url.QueryEscape`.
pub(super) fn urlencode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let s = string_arg(&args[0], 0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    Ok(Value::String(out))
}

#[derive(Clone, Copy)]
enum Enc {
    /// Any other encoding encoding_rs knows (windows-125x, Shift_JIS, EUC-*, GBK, Big5, KOI8, ISO-8859-x, ...).
    Other(&'static encoding_rs::Encoding),
    Utf8,
    Utf16Le,
    Utf16Be,
    /// UTF-16 with a byte order mark (big endian when writing).
    Utf16Bom,
    Latin1,
    Ascii,
}

fn encoding(name: &str, i: usize) -> Result<Enc, FuncError> {
    let n = name.to_ascii_uppercase().replace('_', "-");
    Ok(match n.as_str() {
        "UTF-8" | "UTF8" | "CSUTF8" => Enc::Utf8,
        "UTF-16LE" | "CSUTF16LE" => Enc::Utf16Le,
        "UTF-16BE" | "CSUTF16BE" => Enc::Utf16Be,
        "UTF-16" | "CSUTF16" => Enc::Utf16Bom,
        "ISO-8859-1" | "ISO8859-1" | "LATIN1" | "L1" | "ISO-IR-100" | "CSISOLATIN1" | "IBM819" | "CP819" | "ISO-8859-1:1987" => Enc::Latin1,
        "US-ASCII" | "ASCII" | "CSASCII" | "ANSI-X3.4-1968" | "ISO646-US" | "US" | "IBM367" | "CP367" => Enc::Ascii,
        // encoding_rs follows WHATWG labels; those that name UTF-16 or
        // the "replacement" encoding are not what IANA means by them.
        _ => match encoding_rs::Encoding::for_label(name.trim().as_bytes()) {
            Some(e) if e.output_encoding() == e && e != encoding_rs::REPLACEMENT => Enc::Other(e),
            _ => {
                return Err(FuncError::Arg(i, format!("{name:?} is not a supported IANA encoding name or alias in this Terraform version")))
            }
        },
    })
}

pub(super) fn textencodebase64(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let s = string_arg(&args[0], 0)?;
    let enc = encoding(&string_arg(&args[1], 1)?, 1)?;
    let bytes: Vec<u8> = match enc {
        Enc::Utf8 => s.into_bytes(),
        Enc::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Enc::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Enc::Utf16Bom => [0xfe, 0xff].into_iter().chain(s.encode_utf16().flat_map(u16::to_be_bytes)).collect(),
        Enc::Latin1 | Enc::Ascii => {
            let max = if matches!(enc, Enc::Latin1) { 0xff } else { 0x7f };
            let mut out = Vec::with_capacity(s.len());
            for (pos, c) in s.chars().enumerate() {
                let n = c as u32;
                if n > max {
                    return Err(FuncError::Arg(0, format!("the given string contains characters that cannot be represented in the target encoding (character {} at position {pos})", c.escape_unicode())));
                }
                out.push(n as u8);
            }
            out
        }
        Enc::Other(e) => {
            let mut enc = e.new_encoder();
            let cap = enc.max_buffer_length_from_utf8_without_replacement(s.len()).ok_or_else(|| FuncError::Call("the input is too long".into()))?;
            let mut out = vec![0u8; cap];
            let (res, _read, written) = enc.encode_from_utf8_without_replacement(&s, &mut out, true);
            match res {
                encoding_rs::EncoderResult::InputEmpty => out.truncate(written),
                encoding_rs::EncoderResult::Unmappable(c) => {
                    return Err(FuncError::Arg(0, format!("the given string contains characters that cannot be represented in the target encoding (character {})", c.escape_unicode())))
                }
                encoding_rs::EncoderResult::OutputFull => return Err(FuncError::Call("internal error: encoder output buffer too small".into())),
            }
            out
        }
    };
    Ok(Value::String(contin_types::base64::encode(&bytes)))
}

pub(super) fn textdecodebase64(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let s = string_arg(&args[0], 0)?;
    let enc = encoding(&string_arg(&args[1], 1)?, 1)?;
    let bytes = contin_types::base64::decode(&s).ok_or_else(|| FuncError::Arg(0, "the given value is has an invalid base64 symbol".into()))?;
    let invalid = || FuncError::Arg(0, format!("the given value is not valid {}", string_arg(&args[1], 1).unwrap_or_default()));
    let units = |be: bool, b: &[u8]| -> Result<String, FuncError> {
        if !b.len().is_multiple_of(2) {
            return Err(invalid());
        }
        let u: Vec<u16> = b.chunks(2).map(|c| {
            let pair = [c[0], c.get(1).copied().unwrap_or(0)];
            if be { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) }
        }).collect();
        Ok(char::decode_utf16(u).map(|r| r.unwrap_or('\u{fffd}')).collect())
    };
    let out = match enc {
        Enc::Utf8 => String::from_utf8(bytes).map_err(|_| invalid())?,
        Enc::Utf16Le => units(false, &bytes)?,
        Enc::Utf16Be => units(true, &bytes)?,
        Enc::Utf16Bom => match bytes.as_slice() {
            [0xff, 0xfe, rest @ ..] => units(false, rest)?,
            [0xfe, 0xff, rest @ ..] => units(true, rest)?,
            other => units(true, other)?,
        },
        Enc::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
        Enc::Ascii => bytes.iter().map(|b| if *b < 0x80 { char::from(*b) } else { '\u{fffd}' }).collect(),
        Enc::Other(e) => e.decode_without_bom_handling_and_without_replacement(&bytes).ok_or_else(invalid)?.into_owned(),
    };
    Ok(Value::String(out))
}

pub(super) fn base64gzip(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    use std::io::Write;
    let s = string_arg(&args[0], 0)?;
    // Go's gzip.Writer header: no name, no mtime, OS "unknown".
    let mut enc = flate2::GzBuilder::new().operating_system(255).write(Vec::new(), flate2::Compression::default());
    enc.write_all(s.as_bytes()).map_err(|e| FuncError::Call(format!("failed to write gzip raw data: {e}")))?;
    let bytes = enc.finish().map_err(|e| FuncError::Call(format!("failed to write gzip raw data: {e}")))?;
    Ok(Value::String(contin_types::base64::encode(&bytes)))
}

/// Go's `encoding/csv` reader (strict quotes, `\r\n` read as `\n`, empty
/// lines skipped): the records, or the error of the first bad line.
fn csv_records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut records = Vec::new();
    let mut i = 0;
    let mut line = 1usize;
    let mut cells = 0usize;
    while i < chars.len() {
        // Empty lines are skipped.
        if chars[i] == '\n' || (chars[i] == '\r' && chars.get(i + 1) == Some(&'\n')) {
            i += if chars[i] == '\r' { 2 } else { 1 };
            line += 1;
            continue;
        }
        let start_line = line;
        let mut rec = Vec::new();
        loop {
            let mut field = String::new();
            if chars.get(i) == Some(&'"') {
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("record on line {start_line}; parse error on line {line}: extraneous or missing \" in quoted-field")),
                        Some('"') if chars.get(i + 1) == Some(&'"') => {
                            field.push('"');
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\r') if chars.get(i + 1) == Some(&'\n') => {
                            field.push('\n');
                            line += 1;
                            i += 2;
                        }
                        Some(c) => {
                            if *c == '\n' {
                                line += 1;
                            }
                            field.push(*c);
                            i += 1;
                        }
                    }
                }
                match chars.get(i) {
                    None | Some(',') | Some('\n') => {}
                    Some('\r') if chars.get(i + 1) == Some(&'\n') => {}
                    Some(_) => return Err(format!("record on line {start_line}; parse error on line {line}: extraneous or missing \" in quoted-field")),
                }
            } else {
                while let Some(c) = chars.get(i) {
                    match c {
                        ',' | '\n' => break,
                        '\r' if chars.get(i + 1) == Some(&'\n') => break,
                        '"' => return Err(format!("record on line {start_line}; parse error on line {line}: bare \" in non-quoted-field")),
                        c => {
                            field.push(*c);
                            i += 1;
                        }
                    }
                }
            }
            cells += 1;
            if cells > MAX_COLLECTION_ELEMENTS {
                return Err(too_many_elements(cells));
            }
            rec.push(field);
            match chars.get(i) {
                Some(',') => i += 1,
                Some('\r') => {
                    i += 2;
                    line += 1;
                    break;
                }
                Some('\n') => {
                    i += 1;
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        if let Some(first) = records.first().map(Vec::len) {
            if rec.len() != first {
                return Err(format!("record on line {start_line}: wrong number of fields"));
            }
        }
        records.push(rec);
    }
    Ok(records)
}

/// csvdecode: a header row, then one object per row.
pub(super) fn csvdecode(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let s = string_arg(&args[0], 0)?;
    let mut records = csv_records(&s).map_err(FuncError::Call)?.into_iter();
    let header = records.next().ok_or_else(|| FuncError::Call("missing header line".into()))?;
    for (i, h) in header.iter().enumerate() {
        if header[..i].contains(h) {
            return Err(FuncError::Call(format!("duplicate column name {h:?}")));
        }
    }
    Ok(Value::List(
        records.map(|rec| Value::Map(header.iter().cloned().zip(rec.into_iter().map(Value::String)).collect())).collect(),
    ))
}

// ---- paths (Go's path/filepath on Unix) ----

/// Go's `filepath.Clean`.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

pub(super) fn basename(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let p = string_arg(&args[0], 0)?;
    if p.is_empty() {
        return Ok(Value::string("."));
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return Ok(Value::string("/"));
    }
    Ok(Value::string(t.rsplit('/').next().unwrap_or(t)))
}

pub(super) fn dirname(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let p = string_arg(&args[0], 0)?;
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    Ok(Value::String(clean(dir)))
}

pub(super) fn abspath(args: Vec<Value>, scope: &dyn Scope) -> FnResult {
    let p = string_arg(&args[0], 0)?;
    if p.starts_with('/') {
        return Ok(Value::String(clean(&p)));
    }
    let cwd = scope.current_dir().ok_or_else(|| FuncError::Call("the working directory is not available here".into()))?;
    Ok(Value::String(clean(&format!("{cwd}/{p}"))))
}

pub(super) fn pathexpand(args: Vec<Value>, scope: &dyn Scope) -> FnResult {
    let p = string_arg(&args[0], 0)?;
    let Some(rest) = p.strip_prefix('~') else { return Ok(Value::String(p)) };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Err(FuncError::Call("cannot expand user-specific home dir".into()));
    }
    let home = scope.home_dir().ok_or_else(|| FuncError::Call("the home directory is not known here".into()))?;
    Ok(Value::String(if rest.is_empty() { home } else { clean(&format!("{home}{rest}")) }))
}

pub(super) fn fileexists(args: Vec<Value>, scope: &dyn Scope) -> FnResult {
    let p = string_arg(&args[0], 0)?;
    scope.file_exists(&p).map(Value::Bool).map_err(|e| FuncError::Call(e.trim_end_matches('.').to_string()))
}

/// fileset(path, pattern): the files under `path` matching the glob
/// (`*` within one segment, `**` across segments, `?`, `[...]`, `{a,b}`).
pub(super) fn fileset(args: Vec<Value>, scope: &dyn Scope) -> FnResult {
    let dir = string_arg(&args[0], 0)?;
    let pattern = string_arg(&args[1], 1)?;
    let pattern = clean(&pattern);
    let glob = globset::GlobBuilder::new(&pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| FuncError::Call(format!("failed to glob pattern {pattern:?}: {e}")))?
        .compile_matcher();
    let files = scope.list_files(&dir).map_err(|e| FuncError::Call(e.trim_end_matches('.').to_string()))?;
    let matched: Vec<Value> = files.into_iter().filter(|f| glob.is_match(f)).map(Value::String).collect();
    let total: usize = matched.iter().map(|v| if let Value::String(s) = v { s.len() } else { 0 }).sum();
    if total > MAX_STRING_BYTES {
        return Err(FuncError::Call(crate::limits::string_too_long(total)));
    }
    Ok(Value::set(matched))
}

/// issensitive(value): whether the value itself is sensitive (unknown when
/// it is unknown and not marked).
pub(super) fn issensitive(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let v = first(args);
    Ok(match v {
        Value::Sensitive(_) => Value::Bool(true),
        Value::Unknown => Value::Unknown,
        _ => Value::Bool(false),
    })
}

/// ephemeralasnull(value): contin has no ephemeral values, so every value
/// comes back as it is.
pub(super) fn ephemeralasnull(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(first(args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmptyScope;

    fn call(f: fn(Vec<Value>, &dyn Scope) -> FnResult, args: Vec<Value>) -> FnResult {
        f(args, &EmptyScope)
    }

    #[test]
    fn paths_follow_go_filepath() {
        for (p, base, dir) in [
            ("foo/bar/baz.txt", "baz.txt", "foo/bar"),
            ("", ".", "."),
            ("/", "/", "/"),
            ("a", "a", "."),
            ("/a/", "a", "/a"),
            ("a//b/../c", "c", "a"),
        ] {
            assert_eq!(call(basename, vec![Value::string(p)]), Ok(Value::string(base)), "basename {p}");
            assert_eq!(call(dirname, vec![Value::string(p)]), Ok(Value::string(dir)), "dirname {p}");
        }
        assert_eq!(clean("../../x/./y/.."), "../../x");
        assert!(call(pathexpand, vec![Value::string("~bob/x")]).is_err());
        assert_eq!(call(pathexpand, vec![Value::string("/etc")]), Ok(Value::string("/etc")));
    }

    #[test]
    fn cidrsubnets_bounds() {
        let c = |p: &str, bits: &[i64]| {
            let mut a = vec![Value::string(p)];
            a.extend(bits.iter().map(|b| Value::int(*b)));
            call(cidrsubnets, a)
        };
        assert!(c("10.0.0.0/8", &[0]).is_err());
        assert!(c("10.0.0.0/8", &[25]).is_err());
        assert!(c("10.0.0.0/8", &[1, 1, 1]).is_err());
        assert!(c("::/0", &[129]).is_err());
        // Terraform: at most 32 new bits, also for IPv6.
        assert!(c("::/0", &[128]).is_err());
        assert_eq!(c("fd00::/56", &[32]), Ok(Value::List(vec![Value::string("fd00::/88")])));
        // go-cidr's PreviousSubnet of address zero wraps around: Terraform refuses this.
        assert!(c("0.0.0.0/0", &[1, 1]).is_err());
        assert_eq!(
            c("255.255.255.0/24", &[1, 1]),
            Ok(Value::List(vec![Value::string("255.255.255.0/25"), Value::string("255.255.255.128/25")]))
        );
        assert_eq!(c("10.0.0.0/8", &[24]), Ok(Value::List(vec![Value::string("10.0.0.0/32")])));
        assert_eq!(c("10.0.0.0/8", &[]), Ok(Value::List(vec![])));
    }

    #[test]
    fn setproduct_is_bounded() {
        let big = Value::List((0..1000).map(Value::int).collect());
        let r = call(setproduct, vec![big.clone(), big.clone(), big]);
        assert!(matches!(&r, Err(FuncError::Call(m)) if m.contains("MAX_COLLECTION_ELEMENTS")), "{r:?}");
    }

    #[test]
    fn text_encodings_round_trip() {
        for enc in ["UTF-8", "UTF-16LE", "UTF-16BE", "UTF-16", "ISO-8859-1"] {
            let e = call(textencodebase64, vec![Value::string("Héllo"), Value::string(enc)]).unwrap_or(Value::Null);
            let d = call(textdecodebase64, vec![e, Value::string(enc)]);
            assert_eq!(d, Ok(Value::string("Héllo")), "{enc}");
        }
        assert!(call(textencodebase64, vec![Value::string("☃"), Value::string("US-ASCII")]).is_err());
        assert!(call(textencodebase64, vec![Value::string("x"), Value::string("EBCDIC-nope")]).is_err());
        let sj = call(textencodebase64, vec![Value::string("日本"), Value::string("Shift_JIS")]).unwrap_or(Value::Null);
        assert_eq!(call(textdecodebase64, vec![sj, Value::string("Shift_JIS")]), Ok(Value::string("日本")));
        assert!(call(textencodebase64, vec![Value::string("日本"), Value::string("windows-1252")]).is_err());
    }

    #[test]
    fn csv_rows_must_match_the_header() {
        assert!(call(csvdecode, vec![Value::string("a,b\n1")]).is_err());
        assert!(call(csvdecode, vec![Value::string("")]).is_err());
        let r = call(csvdecode, vec![Value::string("a,b\n\"x,y\",2\n")]);
        assert_eq!(r, Ok(Value::List(vec![Value::map([("a", Value::string("x,y")), ("b", Value::string("2"))])])));
    }
}
