//! `format` and `formatlist`: Go-style verbs as Terraform implements them
//! (`%v %#v %s %q %d %f %e %g %t %b %o %x %X %%`, flags, width, precision,
//! `%[n]` argument indexes).

use super::{FnResult, FuncError};
use super::collection::to_i128;
use super::encoding::json_text;
use crate::number;
use crate::limits::{check_string, MAX_FORMAT_WIDTH};
use crate::Scope;
use contin_types::Value;

pub(super) fn format(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut it = args.into_iter();
    let fmt = match it.next() {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => return Err(FuncError::Arg(0, "argument must not be null".into())),
        Some(other) => return Err(FuncError::Arg(0, format!("string required, but have {}", other.type_name()))),
    };
    let rest: Vec<Value> = it.collect();
    format_str(&fmt, &rest).map(Value::String)
}

pub(super) fn formatlist(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut it = args.into_iter();
    let fmt = match it.next() {
        Some(Value::String(s)) => s,
        _ => return Err(FuncError::Arg(0, "string required".into())),
    };
    let rest: Vec<Value> = it.collect();
    let mut n: Option<usize> = None;
    for (i, a) in rest.iter().enumerate() {
        if let Value::List(l) | Value::Set(l) = a {
            match n {
                Some(m) if m != l.len() => {
                    return Err(FuncError::Arg(
                        i + 1,
                        format!("argument {} has length {}, which is inconsistent with argument 1 of length {m}", i + 1, l.len()),
                    ))
                }
                _ => n = Some(l.len()),
            }
        }
    }
    let count = n.unwrap_or(1);
    let mut out = Vec::with_capacity(count);
    let mut total = 0usize;
    for k in 0..count {
        let row: Vec<Value> = rest
            .iter()
            .map(|a| match a {
                Value::List(l) | Value::Set(l) => l.get(k).cloned().unwrap_or(Value::Null),
                other => other.clone(),
            })
            .collect();
        let s = format_str(&fmt, &row)?;
        total = total.saturating_add(s.len());
        check_string(total).map_err(|msg| FuncError::Call(format!("all elements together: {msg}")))?;
        out.push(Value::String(s));
    }
    Ok(Value::List(out))
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn format_str(fmt: &str, args: &[Value]) -> Result<String, FuncError> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut next_arg = 0usize;
    let mut max_used = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let verb_start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..].iter().position(|&x| x == ']').map(|p| p + i);
            let Some(close) = close else { return Err(FuncError::Call("unterminated argument index".into())) };
            let idx: String = chars[i + 1..close].iter().collect();
            let n: usize = idx.parse().map_err(|_| FuncError::Call(format!("invalid argument index \"{idx}\"")))?;
            if n == 0 {
                return Err(FuncError::Call("argument index must be at least 1".into()));
            }
            next_arg = n - 1;
            i = close + 1;
        }
        let mut digits = String::new();
        while let Some(&d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
            digits.push(d);
            i += 1;
        }
        if !digits.is_empty() {
            spec.width = Some(bounded_width(&digits, "width", verb_start)?);
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = String::new();
            while let Some(&d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
                p.push(d);
                i += 1;
            }
            spec.prec = Some(if p.is_empty() { 0 } else { bounded_width(&p, "precision", verb_start)? });
        }
        let Some(&verb) = chars.get(i) else {
            return Err(FuncError::Call("format string ends with an incomplete verb".into()));
        };
        i += 1;
        let verb_text: String = chars[verb_start..i].iter().collect();
        let Some(arg) = args.get(next_arg) else {
            return Err(FuncError::Call(format!(
                "not enough arguments for \"{verb_text}\" at {verb_start}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            )));
        };
        next_arg += 1;
        max_used = max_used.max(next_arg);
        let body = format_one(verb, &spec, arg).map_err(|e| {
            FuncError::Call(format!("unsupported value for \"{verb_text}\" at {verb_start}: {e}"))
        })?;
        out.push_str(&pad(body, &spec, matches!(verb, 'd' | 'f' | 'e' | 'E' | 'g' | 'G' | 'b' | 'o' | 'x' | 'X')));
        check_string(out.len()).map_err(FuncError::Call)?;
    }
    if max_used < args.len() {
        return Err(FuncError::Call(format!("too many arguments; only {max_used} used by format string")));
    }
    Ok(out)
}

/// A width or precision within `MAX_FORMAT_WIDTH`.
fn bounded_width(digits: &str, what: &str, at: usize) -> Result<usize, FuncError> {
    match digits.parse::<usize>() {
        Ok(n) if n <= MAX_FORMAT_WIDTH => Ok(n),
        _ => Err(FuncError::Call(format!(
            "the {what} {digits} of the verb at {at} is more than the limit of {MAX_FORMAT_WIDTH} (MAX_FORMAT_WIDTH)"
        ))),
    }
}

fn pad(body: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return body };
    let len = body.chars().count();
    if len >= w {
        return body;
    }
    let fill = w - len;
    if spec.minus {
        return format!("{body}{}", " ".repeat(fill));
    }
    if spec.zero {
        if numeric {
            if let Some(rest) = body.strip_prefix(['-', '+', ' ']) {
                let sign = &body[..1];
                return format!("{sign}{}{rest}", "0".repeat(fill));
            }
        }
        return format!("{}{body}", "0".repeat(fill));
    }
    format!("{}{body}", " ".repeat(fill))
}

fn to_string_value(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("null value cannot be formatted".into()),
        other => Err(format!("string required, but have {}", other.type_name())),
    }
}

fn to_number_value(v: &Value) -> Result<contin_types::Number, String> {
    match v {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => number::parse(s).ok_or_else(|| "a number is required".to_string()),
        Value::Null => Err("null value cannot be formatted".into()),
        _ => Err("a number is required".into()),
    }
}

fn sign_prefix(negative: bool, spec: &Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn format_one(verb: char, spec: &Spec, v: &Value) -> Result<String, String> {
    match verb {
        'v' => {
            if spec.sharp {
                return Ok(json_text(v));
            }
            match v {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(number::general(n, None, false)),
                Value::Null => Ok("null".into()),
                other => Ok(json_text(other)),
            }
        }
        's' => {
            let s = to_string_value(v)?;
            Ok(match spec.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            })
        }
        'q' => to_string_value(v).map(|s| go_quote(&s)),
        't' => match v {
            Value::Bool(b) => Ok(b.to_string()),
            Value::String(s) if s == "true" || s == "false" => Ok(s.clone()),
            _ => Err("bool required".into()),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = to_number_value(v)?;
            let i = to_i128(&n).ok_or_else(|| "value must be a whole number".to_string())?;
            let mag = i.unsigned_abs();
            let digits = match verb {
                'd' => mag.to_string(),
                'b' => format!("{mag:b}"),
                'o' => format!("{mag:o}"),
                'x' => format!("{mag:x}"),
                _ => format!("{mag:X}"),
            };
            Ok(format!("{}{digits}", sign_prefix(i < 0, spec)))
        }
        'f' | 'F' => {
            let n = to_number_value(v)?;
            let s = number::fixed(&n, spec.prec.unwrap_or(6));
            Ok(match s.strip_prefix('-') {
                Some(_) => s,
                None => format!("{}{s}", sign_prefix(false, spec)),
            })
        }
        'e' | 'E' => {
            let n = to_number_value(v)?;
            let s = number::exp(&n, spec.prec, verb == 'E');
            Ok(if s.starts_with('-') { s } else { format!("{}{s}", sign_prefix(false, spec)) })
        }
        'g' | 'G' => {
            let n = to_number_value(v)?;
            let s = number::general(&n, spec.prec, verb == 'G');
            Ok(if s.starts_with('-') { s } else { format!("{}{s}", sign_prefix(false, spec)) })
        }
        other => Err(format!("unrecognized format verb '{other}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: Vec<Value>) -> String {
        format_str(fmt, &args).unwrap()
    }

    #[test]
    fn verbs_like_terraform() {
        assert_eq!(f("%5.1f|%-5d|%05d", vec![Value::Number("3.14159".parse().unwrap()), Value::int(42), Value::int(42)]), "  3.1|42   |00042");
        assert_eq!(f("%v", vec![Value::int(1000000)]), "1e+06");
        assert_eq!(f("%v", vec![Value::Number("1.5".parse().unwrap())]), "1.5");
        assert_eq!(f("%q", vec![Value::string("a\"b\n")]), "\"a\\\"b\\n\"");
        assert_eq!(f("%[2]s-%[1]s", vec![Value::string("a"), Value::string("b")]), "b-a");
        assert_eq!(f("%e", vec![Value::Number("12345.678".parse().unwrap())]), "1.234568e+04");
        assert_eq!(f("100%%", vec![]), "100%");
        assert!(format_str("%s %s", &[Value::string("x")]).is_err());
        assert!(format_str("%s", &[Value::string("x"), Value::string("y")]).is_err());
    }
}
