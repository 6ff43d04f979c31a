//! Type constraints (`list(string)`, `object({a = optional(number, 1)})`, …)
//! and Terraform's conversion rules between values.

use crate::eval::Evaluator;
use crate::EmptyScope;
use contin_config::Expr;
use contin_types::{Diagnostic, Value};
use hcl_edit::expr::{Expression, ObjectKey};
use std::collections::BTreeMap;
use std::fmt;

/// A type constraint as written in a `variable` block.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeConstraint {
    String,
    Number,
    Bool,
    Any,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    Object(BTreeMap<String, ObjectAttr>),
}

/// One attribute of an object type constraint.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectAttr {
    pub ty: TypeConstraint,
    /// Declared with `optional(…)`: may be absent.
    pub optional: bool,
    /// The default of `optional(T, default)`, already converted to `ty`.
    pub default: Option<Value>,
}

impl TypeConstraint {
    /// string, number and bool.
    pub fn is_primitive(&self) -> bool {
        matches!(self, TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Bool)
    }

    /// The phrase Terraform uses in "… required" messages (`list of string`).
    pub fn friendly(&self) -> String {
        match self {
            TypeConstraint::String => "string".into(),
            TypeConstraint::Number => "number".into(),
            TypeConstraint::Bool => "bool".into(),
            TypeConstraint::Any => "any".into(),
            TypeConstraint::List(t) => format!("list of {}", t.friendly()),
            TypeConstraint::Set(t) => format!("set of {}", t.friendly()),
            TypeConstraint::Map(t) => format!("map of {}", t.friendly()),
            TypeConstraint::Tuple(_) => "tuple".into(),
            TypeConstraint::Object(_) => "object".into(),
        }
    }
}

/// The type expression syntax (`list(string)`).
impl fmt::Display for TypeConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeConstraint::String => f.write_str("string"),
            TypeConstraint::Number => f.write_str("number"),
            TypeConstraint::Bool => f.write_str("bool"),
            TypeConstraint::Any => f.write_str("any"),
            TypeConstraint::List(t) => write!(f, "list({t})"),
            TypeConstraint::Set(t) => write!(f, "set({t})"),
            TypeConstraint::Map(t) => write!(f, "map({t})"),
            TypeConstraint::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            TypeConstraint::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if a.optional {
                        write!(f, "{k} = optional({})", a.ty)?;
                    } else {
                        write!(f, "{k} = {}", a.ty)?;
                    }
                }
                f.write_str("})")
            }
        }
    }
}

/// Parses a type constraint expression.
pub fn parse_type(expr: &Expr) -> Result<TypeConstraint, Diagnostic> {
    parse(&expr.expr, expr, false).map(|(t, _, _)| t)
}

fn invalid(expr: &Expr, e: &Expression, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error("Invalid type specification").with_detail(detail).at(expr.loc_of(e))
}

type Parsed = (TypeConstraint, bool, Option<Value>);

fn parse(e: &Expression, root: &Expr, in_object: bool) -> Result<Parsed, Diagnostic> {
    let plain = |t| Ok((t, false, None));
    match e {
        Expression::Variable(id) => match id.as_str() {
            "string" => plain(TypeConstraint::String),
            "number" => plain(TypeConstraint::Number),
            "bool" => plain(TypeConstraint::Bool),
            "any" => plain(TypeConstraint::Any),
            "list" | "set" | "map" | "tuple" | "object" => Err(invalid(
                root,
                e,
                format!("The {} type constructor requires one argument specifying the element type.", id.as_str()),
            )),
            other => Err(invalid(root, e, format!("The keyword \"{other}\" is not a valid type specification."))),
        },
        Expression::Parenthesis(p) => parse(p.inner(), root, in_object),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one = || -> Result<&Expression, Diagnostic> {
                match args.as_slice() {
                    [a] => Ok(*a),
                    _ => Err(invalid(root, e, format!("The {name} type constructor requires one argument specifying the element type."))),
                }
            };
            match name {
                "list" => plain(TypeConstraint::List(Box::new(parse(one()?, root, false)?.0))),
                "set" => plain(TypeConstraint::Set(Box::new(parse(one()?, root, false)?.0))),
                "map" => plain(TypeConstraint::Map(Box::new(parse(one()?, root, false)?.0))),
                "tuple" => {
                    let Expression::Array(items) = one()? else {
                        return Err(invalid(root, e, "The tuple type constructor requires a list of element types."));
                    };
                    let ts = items.iter().map(|i| parse(i, root, false).map(|p| p.0)).collect::<Result<_, _>>()?;
                    plain(TypeConstraint::Tuple(ts))
                }
                "object" => {
                    let Expression::Object(obj) = one()? else {
                        return Err(invalid(root, e, "The object type constructor requires an object of attribute types."));
                    };
                    let mut attrs = BTreeMap::new();
                    for (k, v) in obj.iter() {
                        let key = match k {
                            ObjectKey::Ident(id) => id.as_str().to_string(),
                            ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                            ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                            ObjectKey::Expression(other) => {
                                return Err(invalid(root, other, "Object constructor map keys must be attribute names."))
                            }
                        };
                        let (ty, optional, default) = parse(v.expr(), root, true)?;
                        attrs.insert(key, ObjectAttr { ty, optional, default });
                    }
                    plain(TypeConstraint::Object(attrs))
                }
                "optional" => {
                    if !in_object {
                        return Err(invalid(root, e, "Keyword \"optional\" is valid only as a modifier for object type attributes."));
                    }
                    let (ty, default) = match args.as_slice() {
                        [t] => (parse(t, root, false)?.0, None),
                        [t, d] => {
                            let ty = parse(t, root, false)?.0;
                            let dv = Evaluator::new(&EmptyScope, &root.file).eval(d)?;
                            let dv = convert(dv, &ty).map_err(|m| {
                                invalid(root, d, format!("Invalid default value for optional attribute: {m}."))
                            })?;
                            (ty, Some(dv))
                        }
                        _ => return Err(invalid(root, e, "The optional modifier takes a type and an optional default value.")),
                    };
                    Ok((ty, true, default))
                }
                other => Err(invalid(root, e, format!("Keyword \"{other}\" is not a valid type constructor."))),
            }
        }
        _ => Err(invalid(root, e, "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).")),
    }
    .map_err(|d: Diagnostic| if d.loc.is_some() { d } else { d.at(root.loc_of(e)) })
}

/// Converts a value to a type constraint with Terraform's rules ("5" → 5
/// for number, true → "true" for string, tuple → list, object → map, …).
/// Marks and unknowns are kept. The error says what is required and where
/// (`element 0: string required`).
pub fn convert(v: Value, t: &TypeConstraint) -> Result<Value, String> {
    match v {
        Value::Sensitive(inner) => return convert(*inner, t).map(Value::mark_sensitive),
        Value::Unknown => return Ok(Value::Unknown),
        Value::Null => return Ok(Value::Null),
        _ => {}
    }
    match t {
        TypeConstraint::Any => Ok(v),
        TypeConstraint::String => match v {
            Value::String(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err("string required".into()),
        },
        TypeConstraint::Number => match v {
            Value::Number(_) => Ok(v),
            Value::String(s) => crate::number::parse(&s).map(Value::Number).ok_or_else(|| "a number is required".into()),
            _ => Err("number required".into()),
        },
        TypeConstraint::Bool => match v {
            Value::Bool(_) => Ok(v),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            Value::String(_) => Err("a bool is required".into()),
            _ => Err("bool required".into()),
        },
        TypeConstraint::List(et) | TypeConstraint::Set(et) => {
            let items = match v {
                Value::List(items) | Value::Set(items) => items,
                _ => return Err(format!("{} required", t.friendly())),
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(convert(item, et).map_err(|e| format!("element {i}: {e}"))?);
            }
            if **et == TypeConstraint::Any {
                out = unify_values(out).map_err(|e| format!("{} required: {e}", t.friendly()))?;
            }
            Ok(if matches!(t, TypeConstraint::Set(_)) { Value::set(out) } else { Value::List(out) })
        }
        TypeConstraint::Map(et) => {
            let Value::Map(m) = v else { return Err(format!("{} required", t.friendly())) };
            let mut out = BTreeMap::new();
            for (k, item) in m {
                let c = convert(item, et).map_err(|e| format!("element {k:?}: {e}"))?;
                out.insert(k, c);
            }
            if **et == TypeConstraint::Any {
                let keys: Vec<String> = out.keys().cloned().collect();
                let vals = unify_values(out.into_values().collect()).map_err(|e| format!("{} required: {e}", t.friendly()))?;
                out = keys.into_iter().zip(vals).collect();
            }
            Ok(Value::Map(out))
        }
        TypeConstraint::Tuple(ts) => {
            let items = match v {
                Value::List(items) | Value::Set(items) => items,
                _ => return Err("tuple required".into()),
            };
            if items.len() != ts.len() {
                return Err(format!("tuple required with exactly {} element(s)", ts.len()));
            }
            items
                .into_iter()
                .zip(ts)
                .enumerate()
                .map(|(i, (item, et))| convert(item, et).map_err(|e| format!("element {i}: {e}")))
                .collect::<Result<_, _>>()
                .map(Value::List)
        }
        TypeConstraint::Object(attrs) => {
            let Value::Map(mut m) = v else { return Err("object required".into()) };
            let mut out = BTreeMap::new();
            for (name, attr) in attrs {
                match m.remove(name) {
                    Some(Value::Null) | None if attr.optional => {
                        out.insert(name.clone(), attr.default.clone().unwrap_or(Value::Null));
                    }
                    Some(val) => {
                        out.insert(name.clone(), convert(val, &attr.ty).map_err(|e| format!("attribute {name:?}: {e}"))?);
                    }
                    None => return Err(format!("attribute {name:?} is required")),
                }
            }
            Ok(Value::Map(out))
        }
    }
}

/// Element types of an `any` collection must agree: they are unified as
/// cty does (`crate::cty::unify`: mixed primitives become strings, tuples of
/// different lengths lists, objects with different attributes maps, …) and
/// every element is converted to the unified type.
pub(crate) fn unify_values(items: Vec<Value>) -> Result<Vec<Value>, String> {
    use crate::cty::{type_of, unify, Ty};
    let tys: Vec<Ty> = items.iter().filter(|v| !matches!(v.unmarked(), Value::Null | Value::Unknown)).map(type_of).collect();
    if tys.is_empty() {
        return Ok(items);
    }
    match unify(&tys) {
        None => Err("all elements must have the same type".into()),
        Some(Ty::Dynamic) => Ok(items),
        Some(t) if tys.iter().all(|x| *x == t) => Ok(items),
        Some(t) => {
            let c = t.constraint();
            items.into_iter().map(|v| convert(v, &c)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> TypeConstraint {
        parse_type(&crate::parse_expr(s, "t.hcl").unwrap()).unwrap()
    }

    #[test]
    fn parses_and_prints_types() {
        assert_eq!(ty("list(string)").to_string(), "list(string)");
        assert_eq!(ty("map(object({a = number, b = optional(string)}))").to_string(), "map(object({a = number, b = optional(string)}))");
        assert_eq!(ty("tuple([string, bool])").to_string(), "tuple([string, bool])");
        assert!(parse_type(&crate::parse_expr("strin", "t.hcl").unwrap()).is_err());
        assert!(parse_type(&crate::parse_expr("optional(string)", "t.hcl").unwrap()).is_err());
    }

    #[test]
    fn converts_like_terraform() {
        assert_eq!(convert(Value::string("5"), &TypeConstraint::Number), Ok(Value::int(5)));
        assert_eq!(convert(Value::Bool(true), &TypeConstraint::String), Ok(Value::string("true")));
        assert_eq!(
            convert(Value::List(vec![Value::int(1), Value::string("a")]), &ty("list(any)")),
            Ok(Value::List(vec![Value::string("1"), Value::string("a")]))
        );
        assert_eq!(convert(Value::List(vec![Value::string("x")]), &ty("list(number)")), Err("element 0: a number is required".into()));
        // Elements of an `any` collection unify like cty, also nested:
        // [[1], ["a"]] is [["1"], ["a"]], [{a = 1}, {a = "x"}] is [{a = "1"}, {a = "x"}].
        let list = |items: Vec<Value>| Value::List(items);
        assert_eq!(
            convert(list(vec![list(vec![Value::int(1)]), list(vec![Value::string("a")])]), &ty("list(any)")),
            Ok(list(vec![list(vec![Value::string("1")]), list(vec![Value::string("a")])]))
        );
        assert_eq!(
            convert(list(vec![Value::map([("a", Value::int(1))]), Value::map([("a", Value::string("x"))])]), &ty("list(any)")),
            Ok(list(vec![Value::map([("a", Value::string("1"))]), Value::map([("a", Value::string("x"))])]))
        );
        assert_eq!(convert(list(vec![Value::int(1), Value::Null]), &ty("list(any)")), Ok(list(vec![Value::int(1), Value::Null])));
        assert_eq!(convert(list(vec![Value::int(1), list(vec![])]), &ty("list(any)")), Err("list of any required: all elements must have the same type".into()));
        let obj = ty("object({a = string, b = optional(number, 7)})");
        assert_eq!(
            convert(Value::map([("a", Value::int(1)), ("z", Value::Null)]), &obj),
            Ok(Value::map([("a", Value::string("1")), ("b", Value::int(7))]))
        );
        assert_eq!(convert(Value::map([("b", Value::int(1))]), &obj), Err("attribute \"a\" is required".into()));
        assert_eq!(
            convert(Value::List(vec![Value::int(2), Value::int(1), Value::int(2)]), &ty("set(number)")),
            Ok(Value::Set(vec![Value::int(1), Value::int(2)]))
        );
    }
}
