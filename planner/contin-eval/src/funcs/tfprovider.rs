//! The functions of Terraform's built-in `terraform` provider:
//! `provider::terraform::encode_tfvars`, `decode_tfvars` and `encode_expr`
//! (HCL text laid out like Terraform's hclwrite: `=` aligned across
//! consecutive one-line attributes, two-space indents).

use super::{string_arg, FnResult, FuncError, FuncSpec, Mode};
use crate::limits::MAX_DOCUMENT_DEPTH;
use crate::Scope;
use contin_types::Value;
use std::collections::BTreeMap;

macro_rules! f {
    ($name:literal, [$($p:literal),*], $imp:expr) => {
        FuncSpec { name: $name, params: &[$($p),*], variadic: None, mode: Mode::Strict, imp: $imp }
    };
}

static FUNCS: &[FuncSpec] = &[
    f!("encode_tfvars", ["value"], encode_tfvars),
    f!("decode_tfvars", ["src"], decode_tfvars),
    f!("encode_expr", ["value"], encode_expr),
];

/// A function of the built-in `terraform` provider.
pub(crate) fn lookup(name: &str) -> Option<&'static FuncSpec> {
    FUNCS.iter().find(|f| f.name == name)
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_') && c.all(|x| x.is_alphanumeric() || x == '_' || x == '-')
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if it.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn depth_error() -> FuncError {
    FuncError::Call(format!("the value is nested more than {MAX_DOCUMENT_DEPTH} levels deep (MAX_DOCUMENT_DEPTH)"))
}

/// The expression text of a value; continuation lines are indented by
/// `indent` spaces.
fn expr(v: &Value, indent: usize, depth: usize) -> Result<String, FuncError> {
    if depth > MAX_DOCUMENT_DEPTH {
        return Err(depth_error());
    }
    Ok(match v {
        Value::Null | Value::Unknown => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Sensitive(inner) => expr(inner, indent, depth)?,
        Value::List(items) | Value::Set(items) => {
            let parts: Vec<String> = items.iter().map(|i| expr(i, indent, depth + 1)).collect::<Result<_, _>>()?;
            format!("[{}]", parts.join(", "))
        }
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => {
            let mut out = String::from("{\n");
            attributes(m, indent + 2, depth + 1, &mut out, false)?;
            out.push_str(&" ".repeat(indent));
            out.push('}');
            out
        }
    })
}

/// `name = value` lines, `=` aligned across runs of one-line values.
fn attributes(m: &BTreeMap<String, Value>, indent: usize, depth: usize, out: &mut String, idents_only: bool) -> Result<(), FuncError> {
    let mut lines: Vec<(String, String)> = Vec::with_capacity(m.len());
    for (k, v) in m {
        let key = if is_ident(k) {
            k.clone()
        } else if idents_only {
            return Err(FuncError::Arg(0, format!("invalid variable name {k:?}: must be a valid identifier, per Terraform's rules for input variable declarations")));
        } else {
            quote(k)
        };
        lines.push((key, expr(v, indent, depth)?));
    }
    let pad = " ".repeat(indent);
    let mut i = 0;
    while i < lines.len() {
        if lines[i].1.contains('\n') {
            out.push_str(&format!("{pad}{} = {}\n", lines[i].0, lines[i].1));
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && !lines[j].1.contains('\n') {
            j += 1;
        }
        let width = lines[i..j].iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
        for (k, v) in &lines[i..j] {
            let fill = " ".repeat(width - k.chars().count());
            out.push_str(&format!("{pad}{k}{fill} = {v}\n"));
        }
        i = j;
    }
    Ok(())
}

fn encode_tfvars(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    match args.into_iter().next().unwrap_or(Value::Null) {
        Value::Map(m) => {
            let mut out = String::new();
            attributes(&m, 0, 0, &mut out, true)?;
            Ok(Value::String(out))
        }
        Value::Null => Err(FuncError::Arg(0, "cannot encode a null value in tfvars syntax".into())),
        other => Err(FuncError::Arg(0, format!("invalid value to encode: must be an object whose attribute names will become the encoded variable names, not {}", other.type_name()))),
    }
}

fn encode_expr(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    match args.into_iter().next().unwrap_or(Value::Null) {
        Value::Null => Err(FuncError::Arg(0, "argument must not be null".into())),
        v => Ok(Value::String(expr(&v, 0, 0)?)),
    }
}

struct NoCalls(bool);

impl hcl_edit::visit::Visit for NoCalls {
    fn visit_func_call(&mut self, _: &hcl_edit::expr::FuncCall) {
        self.0 = true;
    }
}

fn decode_tfvars(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    use hcl_edit::visit::Visit;
    let src = string_arg(&args[0], 0)?;
    let body = hcl_edit::parser::parse_body(&src).map_err(|e| FuncError::Arg(0, format!("invalid tfvars syntax: {}", e.message())))?;
    let mut out = BTreeMap::new();
    for s in body.iter() {
        let Some(attr) = s.as_attribute() else {
            return Err(FuncError::Arg(0, "invalid tfvars syntax: blocks are not allowed".into()));
        };
        let mut v = NoCalls(false);
        v.visit_expr(&attr.value);
        if v.0 {
            return Err(FuncError::Arg(0, format!("invalid expression for variable {:?}: functions may not be called here", attr.key.as_str())));
        }
        let file: std::sync::Arc<str> = std::sync::Arc::from("<decode_tfvars argument>");
        let val = crate::eval::Evaluator::new(&crate::EmptyScope, &file).eval_root(&attr.value).map_err(|d| {
            let why = if d.detail.is_empty() { d.summary.clone() } else { d.detail.clone() };
            FuncError::Arg(0, format!("invalid expression for variable {:?}: {}", attr.key.as_str(), why.trim_end_matches('.')))
        })?;
        out.insert(attr.key.as_str().to_string(), val);
    }
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hclwrite() {
        let v = Value::map([
            ("a", Value::int(1)),
            ("b c", Value::List(vec![Value::Bool(true), Value::Null])),
            ("h", Value::map([("i", Value::string("j"))])),
        ]);
        let r = encode_expr(vec![v], &crate::EmptyScope);
        assert_eq!(r, Ok(Value::string("{\n  a     = 1\n  \"b c\" = [true, null]\n  h = {\n    i = \"j\"\n  }\n}")));
        let r = encode_expr(vec![Value::string("x${y}%{z}\n")], &crate::EmptyScope);
        assert_eq!(r, Ok(Value::string("\"x$${y}%%{z}\\n\"")));
        assert!(encode_tfvars(vec![Value::map([("not valid", Value::int(1))])], &crate::EmptyScope).is_err());
        let mut deep = Value::int(1);
        for _ in 0..1000 {
            deep = Value::List(vec![deep]);
        }
        assert!(encode_expr(vec![deep], &crate::EmptyScope).is_err());
    }

    #[test]
    fn decode_refuses_calls_and_references() {
        let d = |s: &str| decode_tfvars(vec![Value::string(s)], &crate::EmptyScope);
        assert_eq!(d("a = 1\nb = \"x\""), Ok(Value::map([("a", Value::int(1)), ("b", Value::string("x"))])));
        assert!(d("a = upper(\"x\")").is_err());
        assert!(d("a = var.x").is_err());
        assert!(d("block {}").is_err());
        assert!(d("a = ").is_err());
    }
}
