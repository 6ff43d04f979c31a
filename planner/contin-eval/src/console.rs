//! `terraform console`'s rendering of values and types (Terraform's
//! `internal/repl/format.go` and the console-only `type()` function's type
//! strings), for `contin console`.
//!
//! `Value` does not carry the list/tuple and map/object distinction the
//! console shows (`tolist([…])`, `tomap({…})`); the caller passes the
//! expression's static [`Shape`] (`shape::static_shape`), which knows it
//! for conversion and collection functions, variables and locals. Where the
//! shape says nothing a sequence prints as a tuple and a mapping as an
//! object, which is what HCL's constructors make.

use crate::cty::{self, Ty};
use crate::limits;
use crate::shape::Shape;
use contin_types::Value;
use std::fmt::Write as _;

/// The console's text for `v` (Terraform's `repl.FormatValue(v, 0)`).
pub fn format_value(v: &Value, shape: &Shape) -> String {
    let mut out = String::new();
    write_value(&mut out, v, shape, 0, 0);
    out
}

/// The console's text for the value of `expr`: as [`format_value`], and a
/// null the expression gives a primitive type (`tostring(null)`) shows it.
pub fn format_result(expr: &contin_config::Expr, v: &Value, shape: &Shape) -> String {
    if matches!(v, Value::Null) {
        if let hcl_edit::expr::Expression::FuncCall(call) = &expr.expr {
            let name = call.name.name.as_str();
            if call.name.namespace.is_empty() && matches!(name, "tostring" | "tonumber" | "tobool") {
                return format!("{name}(null)");
            }
        }
    }
    let mut out = String::new();
    write_value(&mut out, v, shape, 0, 0);
    out
}

fn write_value(out: &mut String, v: &Value, shape: &Shape, indent: usize, depth: usize) {
    if depth >= limits::MAX_TYPE_DEPTH {
        out.push_str("...");
        return;
    }
    match v {
        Value::Unknown => out.push_str("(known after apply)"),
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s, indent),
        Value::Set(items) => {
            out.push_str("toset(");
            let elem = match shape {
                Shape::Set(e) => (**e).clone(),
                _ => Shape::Any,
            };
            write_sequence(out, items, |_| elem.clone(), indent, depth);
            out.push(')');
        }
        Value::List(items) => match shape {
            Shape::List(e) => {
                out.push_str("tolist(");
                write_sequence(out, items, |_| (**e).clone(), indent, depth);
                out.push(')');
            }
            Shape::Tuple(ts) => write_sequence(out, items, |i| ts.get(i).cloned().unwrap_or(Shape::Any), indent, depth),
            _ => write_sequence(out, items, |_| Shape::Any, indent, depth),
        },
        Value::Map(m) => match shape {
            Shape::Map(e) => {
                out.push_str("tomap(");
                write_mapping(out, m, |_| (**e).clone(), indent, depth);
                out.push(')');
            }
            Shape::Object(attrs) => write_mapping(out, m, |k| attrs.get(k).cloned().unwrap_or(Shape::Any), indent, depth),
            _ => write_mapping(out, m, |_| Shape::Any, indent, depth),
        },
    }
}

fn write_sequence(out: &mut String, items: &[Value], shape_of: impl Fn(usize) -> Shape, indent: usize, depth: usize) {
    out.push('[');
    let inner = indent + 2;
    for (i, item) in items.iter().enumerate() {
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        write_value(out, item, &shape_of(i), inner, depth + 1);
        out.push(',');
    }
    if !items.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push(']');
}

fn write_mapping(
    out: &mut String,
    m: &std::collections::BTreeMap<String, Value>,
    shape_of: impl Fn(&str) -> Shape,
    indent: usize,
    depth: usize,
) {
    out.push('{');
    let inner = indent + 2;
    for (k, item) in m {
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        write_string(out, k, inner);
        out.push_str(" = ");
        write_value(out, item, &shape_of(k), inner, depth + 1);
    }
    if !m.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push('}');
}

/// A string: quoted like Go's `strconv.Quote`, or a heredoc when it has
/// more than one line (`<<-` when indented; the delimiter `EOT` gets `_`s
/// appended while a line equals it).
fn write_string(out: &mut String, s: &str, indent: usize) {
    let lines: Vec<&str> = s.split('\n').collect();
    if lines.len() < 2 {
        out.push_str(&go_quote(s));
        return;
    }
    let mut delimiter = String::from("EOT");
    while lines.iter().any(|l| l.trim() == delimiter) {
        delimiter.push('_');
    }
    out.push_str(if indent > 0 { "<<-" } else { "<<" });
    out.push_str(&delimiter);
    for line in &lines {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push_str(line);
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push_str(&delimiter);
}

/// Go's `strconv.Quote`: printable characters as they are, the usual
/// backslash escapes, `\x`/`\u`/`\U` for the rest.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if !is_go_printable(c) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` for what is not ASCII: the
/// C1 controls, the line/paragraph separators, the BOM and other format
/// characters, private use, surrogates and noncharacters are not printable.
fn is_go_printable(c: char) -> bool {
    let u = c as u32;
    let control_or_format = matches!(u, 0x80..=0x9f | 0xad | 0x2028 | 0x2029 | 0xfeff | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064);
    let private_or_noncharacter = matches!(u, 0xe000..=0xf8ff | 0xfdd0..=0xfdef | 0xf0000..) || (u & 0xfffe) == 0xfffe;
    // U+00A0 and the other spaces besides U+0020 are not graphic in Go.
    let space = matches!(u, 0xa0 | 0x1680 | 0x2000..=0x200a | 0x202f | 0x205f | 0x3000);
    !(control_or_format || private_or_noncharacter || space)
}

/// The argument of a top-level `type(X)` call: the console-only `type()`
/// function (Terraform's console prints the argument's type).
pub fn type_call_argument(e: &contin_config::Expr) -> Option<contin_config::Expr> {
    let hcl_edit::expr::Expression::FuncCall(call) = &e.expr else { return None };
    if call.name.name.as_str() != "type" || !call.name.namespace.is_empty() || call.args.len() != 1 || call.args.expand_final() {
        return None;
    }
    call.args.iter().next().map(|arg| contin_config::Expr { expr: arg.clone(), file: e.file.clone() })
}

/// The console-only `type()` function's answer: the type of `v` (with the
/// list/map/set kinds `shape` knows) written as Terraform writes it.
pub fn type_string(v: &Value, shape: &Shape) -> String {
    let mut out = String::new();
    write_type(&mut out, &type_with_shape(v, shape, 0), 0);
    out
}

/// `v`'s type: the shape decides lists, maps and sets; the rest comes from
/// the value (sequences as tuples, mappings as objects).
fn type_with_shape(v: &Value, shape: &Shape, depth: usize) -> Ty {
    if depth >= limits::MAX_TYPE_DEPTH {
        return Ty::Dynamic;
    }
    let d = depth + 1;
    match (v.unmarked(), shape) {
        (Value::List(items), Shape::List(e)) => Ty::List(Box::new(unified(items.iter().map(|i| type_with_shape(i, e, d)).collect()))),
        (Value::List(items) | Value::Set(items), Shape::Set(e)) => {
            Ty::Set(Box::new(unified(items.iter().map(|i| type_with_shape(i, e, d)).collect())))
        }
        (Value::Set(items), _) => Ty::Set(Box::new(unified(items.iter().map(|i| type_with_shape(i, &Shape::Any, d)).collect()))),
        (Value::List(items), Shape::Tuple(ts)) => Ty::Tuple(
            items.iter().enumerate().map(|(i, item)| type_with_shape(item, ts.get(i).unwrap_or(&Shape::Any), d)).collect(),
        ),
        (Value::List(items), _) => Ty::Tuple(items.iter().map(|i| type_with_shape(i, &Shape::Any, d)).collect()),
        (Value::Map(m), Shape::Map(e)) => Ty::Map(Box::new(unified(m.values().map(|i| type_with_shape(i, e, d)).collect()))),
        (Value::Map(m), Shape::Object(attrs)) => {
            Ty::Object(m.iter().map(|(k, i)| (k.clone(), type_with_shape(i, attrs.get(k).unwrap_or(&Shape::Any), d))).collect())
        }
        (Value::Map(m), _) => Ty::Object(m.iter().map(|(k, i)| (k.clone(), type_with_shape(i, &Shape::Any, d))).collect()),
        (other, _) => cty::type_of(other),
    }
}

/// The element type of a collection: its elements' unified type (dynamic
/// when empty or when they do not unify).
fn unified(tys: Vec<Ty>) -> Ty {
    if tys.is_empty() {
        return Ty::Dynamic;
    }
    cty::unify(&tys).unwrap_or(Ty::Dynamic)
}

/// go-cty-debug's `TypeString` as Terraform's console prints it (four
/// spaces per level; attributes sorted).
fn write_type(out: &mut String, ty: &Ty, indent: usize) {
    let pad = |n: usize| "    ".repeat(n);
    match ty {
        Ty::Dynamic => out.push_str("dynamic"),
        Ty::Bool => out.push_str("bool"),
        Ty::Number => out.push_str("number"),
        Ty::String => out.push_str("string"),
        Ty::Object(attrs) if attrs.is_empty() => out.push_str("object({})"),
        Ty::Object(attrs) => {
            out.push_str("object({\n");
            for (name, aty) in attrs {
                out.push_str(&pad(indent + 1));
                out.push_str(name);
                out.push_str(": ");
                write_type(out, aty, indent + 1);
                out.push_str(",\n");
            }
            out.push_str(&pad(indent));
            out.push_str("})");
        }
        Ty::Tuple(ts) if ts.is_empty() => out.push_str("tuple([])"),
        Ty::Tuple(ts) => {
            out.push_str("tuple([\n");
            for t in ts {
                out.push_str(&pad(indent + 1));
                write_type(out, t, indent + 1);
                out.push_str(",\n");
            }
            out.push_str(&pad(indent));
            out.push_str("])");
        }
        Ty::List(e) | Ty::Map(e) | Ty::Set(e) => {
            out.push_str(match ty {
                Ty::List(_) => "list(",
                Ty::Map(_) => "map(",
                _ => "set(",
            });
            let complex = matches!(**e, Ty::Object(_) | Ty::Tuple(_));
            if complex {
                out.push('\n');
                out.push_str(&pad(indent + 1));
                write_type(out, e, indent + 1);
                out.push_str(",\n");
                out.push_str(&pad(indent));
            } else {
                write_type(out, e, indent);
            }
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_expr, shape::static_shape, EmptyScope};

    fn console(src: &str) -> String {
        let expr = parse_expr(src, "<console-input>").unwrap_or_else(|e| panic!("{e:?}"));
        let v = crate::eval(&expr, &EmptyScope).unwrap_or_else(|d| panic!("{d}"));
        format_value(&v, &static_shape(&expr, &EmptyScope))
    }

    fn type_of(src: &str) -> String {
        let expr = parse_expr(src, "<console-input>").unwrap_or_else(|e| panic!("{e:?}"));
        let v = crate::eval(&expr, &EmptyScope).unwrap_or_else(|d| panic!("{d}"));
        type_string(&v, &static_shape(&expr, &EmptyScope))
    }

    // Answers of terraform 1.11.4's console (piped: `echo EXPR | terraform console`).
    #[test]
    fn values_print_as_terraform_console() {
        assert_eq!(console(r#"["a", 1]"#), "[\n  \"a\",\n  1,\n]");
        assert_eq!(console(r#"tolist(["a","b"])"#), "tolist([\n  \"a\",\n  \"b\",\n])");
        assert_eq!(console(r#"toset(["b","a"])"#), "toset([\n  \"a\",\n  \"b\",\n])");
        assert_eq!(console(r#"{a = 1, "b c" = [2]}"#), "{\n  \"a\" = 1\n  \"b c\" = [\n    2,\n  ]\n}");
        assert_eq!(console("tomap({a=1})"), "tomap({\n  \"a\" = 1\n})");
        assert_eq!(console(r#""x\ny""#), "<<EOT\nx\ny\nEOT");
        assert_eq!(console(r#""x\n""#), "<<EOT\nx\n\nEOT");
        assert_eq!(console("null"), "null");
        assert_eq!(console("[]"), "[]");
        assert_eq!(console("tolist([])"), "tolist([])");
        assert_eq!(console("{}"), "{}");
        assert_eq!(console("tomap({})"), "tomap({})");
        assert_eq!(console("toset([])"), "toset([])");
        assert_eq!(
            console("{a = {b = [1, {c = null}]}}"),
            "{\n  \"a\" = {\n    \"b\" = [\n      1,\n      {\n        \"c\" = null\n      },\n    ]\n  }\n}"
        );
        assert_eq!(console("1.5"), "1.5");
        assert_eq!(console(r#"sensitive("x")"#), "(sensitive value)");
        assert_eq!(console(r#""a\"b\\c""#), r#""a\"b\\c""#);
        assert_eq!(console(r#""a\u00e9\t""#), "\"aé\\t\"");
        assert_eq!(console("{x = \"a\\nEOT\\nb\"}"), "{\n  \"x\" = <<-EOT_\n  a\n  EOT\n  b\n  EOT_\n}");
    }

    #[test]
    fn types_print_as_terraform_console() {
        assert_eq!(type_of("1"), "number");
        assert_eq!(type_of(r#"["a", 1]"#), "tuple([\n    string,\n    number,\n])");
        assert_eq!(type_of(r#"tolist(["a"])"#), "list(string)");
        assert_eq!(type_of("[]"), "tuple([])");
        assert_eq!(type_of("{}"), "object({})");
        assert_eq!(type_of("{b = true, a = 1}"), "object({\n    a: number,\n    b: bool,\n})");
        assert_eq!(type_of(r#"tomap({a = "x"})"#), "map(string)");
        assert_eq!(type_of(r#"toset([1])"#), "set(number)");
        assert_eq!(type_of(r#"tolist([{a = 1}])"#), "list(\n    object({\n        a: number,\n    }),\n)");
        assert_eq!(type_of("null"), "dynamic");
    }

    #[test]
    fn go_quote_escapes_controls() {
        assert_eq!(go_quote("a\u{1}b\u{7f}"), "\"a\\x01b\\x7f\"");
        assert_eq!(go_quote("\u{2028}"), "\"\\u2028\"");
        assert_eq!(go_quote("日本"), "\"日本\"");
    }
}
