//! Collection, numeric and conversion functions.

use super::{int_arg, list_arg, map_arg, number_arg, string_arg, FnResult, FuncError};
use crate::eval::values_equal;
use crate::limits::{too_many_elements, MAX_COLLECTION_ELEMENTS};
use crate::number;
use crate::types::{convert, TypeConstraint};
use crate::Scope;
use bigdecimal::{BigDecimal, Signed, ToPrimitive, Zero};
use contin_types::{Number, Value};
use std::collections::BTreeMap;
use unicode_segmentation::UnicodeSegmentation;

fn first(args: Vec<Value>) -> Value {
    args.into_iter().next().unwrap_or(Value::Null)
}

pub(super) fn length(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let v = first(args);
    Ok(Value::int(match v {
        Value::String(s) => s.graphemes(true).count() as i64,
        Value::List(l) | Value::Set(l) => l.len() as i64,
        Value::Map(m) => m.len() as i64,
        Value::Null => return Err(FuncError::Arg(0, "argument must not be null".into())),
        Value::Sensitive(inner) => return length(vec![*inner], &crate::EmptyScope).map(Value::mark_sensitive),
        _ => return Err(FuncError::Arg(0, "argument must be a string, a collection type, or a structural type".into())),
    }))
}

pub(super) fn keys(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let m = map_arg(first(args), 0)?;
    Ok(Value::List(m.into_keys().map(Value::String).collect()))
}

pub(super) fn values(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let m = map_arg(first(args), 0)?;
    Ok(Value::List(m.into_values().collect()))
}

pub(super) fn merge(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut out = BTreeMap::new();
    for (i, a) in args.into_iter().enumerate() {
        match a {
            Value::Null => {}
            Value::Map(m) => out.extend(m),
            other => {
                return Err(FuncError::Arg(i, format!("arguments must be maps or objects, got \"{}\"", other.type_name())))
            }
        }
    }
    Ok(Value::Map(out))
}

pub(super) fn concat(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let total = args.iter().fold(0usize, |n, a| n.saturating_add(match a {
        Value::List(l) | Value::Set(l) => l.len(),
        _ => 0,
    }));
    if total > MAX_COLLECTION_ELEMENTS {
        return Err(FuncError::Call(too_many_elements(total)));
    }
    let mut out = Vec::new();
    for (i, a) in args.into_iter().enumerate() {
        out.extend(list_arg(a, i).map_err(|_| FuncError::Arg(i, "all arguments must be lists or tuples".into()))?);
    }
    Ok(Value::List(out))
}

fn flatten_into(items: Vec<Value>, out: &mut Vec<Value>) -> Result<(), FuncError> {
    for v in items {
        match v {
            Value::List(inner) | Value::Set(inner) => flatten_into(inner, out)?,
            other => {
                if out.len() >= MAX_COLLECTION_ELEMENTS {
                    return Err(FuncError::Call(too_many_elements(out.len() + 1)));
                }
                out.push(other)
            }
        }
    }
    Ok(())
}

pub(super) fn flatten(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let items = list_arg(first(args), 0)?;
    let mut out = Vec::new();
    flatten_into(items, &mut out)?;
    Ok(Value::List(out))
}

pub(super) fn distinct(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    // The parameter is list(any): elements are unified first ([1, "1"] is ["1", "1"]).
    let arg = first(args);
    let arg = match arg.unmarked() {
        Value::List(_) | Value::Set(_) => convert(arg, &TypeConstraint::List(Box::new(TypeConstraint::Any)))
            .map_err(|e| FuncError::Arg(0, format!("list of any single type required: {e}")))?,
        _ => arg,
    };
    let items = list_arg(arg, 0)?;
    let mut out: Vec<Value> = Vec::new();
    for v in items {
        if !out.iter().any(|o| values_equal(o, &v)) {
            out.push(v);
        }
    }
    Ok(Value::List(out))
}

pub(super) fn sort(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let items = list_arg(first(args), 0)?;
    let mut strs = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        if v.is_null() {
            return Err(FuncError::Arg(0, format!("given list element {i} is null; a null string cannot be sorted")));
        }
        strs.push(string_arg(v, 0)?);
    }
    strs.sort();
    Ok(Value::List(strs.into_iter().map(Value::String).collect()))
}

pub(super) fn reverse(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut items = list_arg(first(args), 0)?;
    items.reverse();
    Ok(Value::List(items))
}

pub(super) fn slice(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let start = int_arg(&args[1], 1)?;
    let end = int_arg(&args[2], 2)?;
    let items = list_arg(first(args), 0)?;
    if start < 0 {
        return Err(FuncError::Arg(1, "start index must not be less than zero".into()));
    }
    if end > items.len() as i64 {
        return Err(FuncError::Arg(2, "end index must not be greater than the length of the list".into()));
    }
    if start > end {
        return Err(FuncError::Arg(1, "start index must not be greater than end index".into()));
    }
    Ok(Value::List(items.into_iter().skip(start as usize).take((end - start) as usize).collect()))
}

pub(super) fn range(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let nums: Vec<Number> = args.iter().enumerate().map(|(i, v)| number_arg(v, i)).collect::<Result<_, _>>()?;
    let zero = Number::from_i64(0);
    let (start, limit, step) = match nums.as_slice() {
        [l] => (zero, l.clone(), None),
        [s, l] => (s.clone(), l.clone(), None),
        [s, l, st] => (s.clone(), l.clone(), Some(st.clone())),
        _ => return Err(FuncError::Call("must have one, two, or three arguments".into())),
    };
    let step = step.unwrap_or_else(|| if start.0 > limit.0 { Number::from_i64(-1) } else { Number::from_i64(1) });
    if step.0.is_zero() {
        return Err(FuncError::Arg(2, "step must not be zero".into()));
    }
    let mut out = Vec::new();
    let mut i = start;
    let up = step.0.is_positive();
    while (up && i.0 < limit.0) || (!up && i.0 > limit.0) {
        if out.len() >= 1024 {
            return Err(FuncError::Call(
                "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"
                    .into(),
            ));
        }
        out.push(Value::Number(Number(i.0.normalized())));
        i = number::add(&i, &step).map_err(FuncError::Call)?;
    }
    Ok(Value::List(out))
}

pub(super) fn zipmap(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut it = args.into_iter();
    let keys = list_arg(it.next().unwrap_or(Value::Null), 0)?;
    let vals = list_arg(it.next().unwrap_or(Value::Null), 1)?;
    if keys.len() != vals.len() {
        return Err(FuncError::Call(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            vals.len()
        )));
    }
    let mut out = BTreeMap::new();
    let mut marked = false;
    for (k, v) in keys.into_iter().zip(vals) {
        if !k.is_wholly_known() {
            return Ok(Value::Unknown);
        }
        marked |= k.is_sensitive();
        if k.is_null() {
            return Err(FuncError::Arg(0, "keys list must not contain null values".into()));
        }
        out.insert(string_arg(&k, 0)?, v);
    }
    Ok(crate::eval::remark(Value::Map(out), marked))
}

pub(super) fn element(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let idx = &args[1];
    if !idx.is_wholly_known() {
        return Ok(Value::Unknown);
    }
    let i = int_arg(idx, 1)?;
    let items = list_arg(first(args), 0)?;
    if items.is_empty() {
        return Err(FuncError::Call("cannot use element function with an empty list".into()));
    }
    if i < 0 {
        return Err(FuncError::Arg(1, "cannot use element function with a negative index".into()));
    }
    let n = items.len();
    Ok(items.into_iter().nth(i as usize % n).unwrap_or(Value::Null))
}

pub(super) fn index_fn(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut it = args.into_iter();
    let items = list_arg(it.next().unwrap_or(Value::Null), 0)?;
    let needle = it.next().unwrap_or(Value::Null);
    match items.iter().position(|v| values_equal(v, &needle)) {
        Some(i) => Ok(Value::int(i as i64)),
        None => Err(FuncError::Call("item not found".into())),
    }
}

pub(super) fn lookup(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    if args.len() > 3 {
        return Err(FuncError::TooMany { expected: 3 });
    }
    let mut it = args.into_iter();
    let m = map_arg(it.next().unwrap_or(Value::Null), 0)?;
    let key = it.next().unwrap_or(Value::Null);
    if !key.is_wholly_known() {
        return Ok(Value::Unknown);
    }
    let k = string_arg(&key, 1)?;
    let default = it.next();
    let mut m = m;
    match (m.remove(&k), default) {
        (Some(v), _) => Ok(crate::eval::remark(v, key.is_sensitive())),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(FuncError::Call(format!("lookup failed to find key \"{k}\""))),
    }
}

pub(super) fn contains(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut it = args.into_iter();
    let items = list_arg(it.next().unwrap_or(Value::Null), 0)?;
    let needle = it.next().unwrap_or(Value::Null);
    Ok(Value::Bool(items.iter().any(|v| values_equal(v, &needle))))
}

pub(super) fn coalesce(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    use crate::cty::{type_of, unify, Ty};
    // Terraform unifies the argument types first (cty: primitives meet as
    // strings, tuples of different lengths as lists, …); a collection and a
    // primitive have no common type. The result has the unified type.
    let tys: Vec<Ty> = args.iter().filter(|a| !a.is_null()).map(type_of).collect();
    let target = match tys.is_empty() {
        true => Ty::Dynamic,
        false => unify(&tys).ok_or_else(|| FuncError::Call("all arguments must have the same type".into()))?,
    };
    for (i, a) in args.into_iter().enumerate() {
        if a.is_null() {
            continue;
        }
        let v = match target {
            Ty::Dynamic => a,
            ref t => convert(a, &t.constraint()).map_err(|e| FuncError::Arg(i, format!("cannot convert to the arguments' common type: {e}")))?,
        };
        if matches!(&v, Value::String(s) if s.is_empty()) {
            continue;
        }
        return Ok(v);
    }
    Err(FuncError::Call("no non-null, non-empty-string arguments".into()))
}

pub(super) fn coalescelist(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    for (i, a) in args.into_iter().enumerate() {
        if a.is_null() {
            continue;
        }
        let items = list_arg(a, i)?;
        if !items.is_empty() {
            return Ok(Value::List(items));
        }
    }
    Err(FuncError::Call("no non-null arguments".into()))
}

pub(super) fn compact(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let items = list_arg(first(args), 0)?;
    let mut out = Vec::new();
    for v in items {
        if v.is_null() {
            continue;
        }
        let s = string_arg(&v, 0)?;
        if !s.is_empty() {
            out.push(Value::String(s));
        }
    }
    Ok(Value::List(out))
}

fn numbers(args: &[Value]) -> Result<Vec<Number>, FuncError> {
    if args.is_empty() {
        return Err(FuncError::Call("must pass at least one number".into()));
    }
    args.iter().enumerate().map(|(i, v)| number_arg(v, i)).collect()
}

pub(super) fn min(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let ns = numbers(&args)?;
    Ok(ns.into_iter().min_by(|a, b| a.0.cmp(&b.0)).map(Value::Number).unwrap_or(Value::Null))
}

pub(super) fn max(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let ns = numbers(&args)?;
    Ok(ns.into_iter().max_by(|a, b| a.0.cmp(&b.0)).map(Value::Number).unwrap_or(Value::Null))
}

pub(super) fn sum(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let items = list_arg(first(args), 0)?;
    if items.is_empty() {
        return Err(FuncError::Call("cannot sum an empty list".into()));
    }
    let mut acc = Number::from_i64(0);
    for v in &items {
        acc = number::add(&acc, &number_arg(v, 0)?).map_err(FuncError::Call)?;
    }
    Ok(Value::Number(acc))
}

/// The arguments as element lists, their element types unified like
/// Terraform's (`[3]` and `["3"]` meet as strings).
fn sets(args: Vec<Value>) -> Result<Vec<Vec<Value>>, FuncError> {
    super::extra::unified_sets(args)
}

pub(super) fn setunion(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::set(sets(args)?.into_iter().flatten().collect()))
}

pub(super) fn setintersection(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut all = sets(args)?.into_iter();
    let mut acc = all.next().unwrap_or_default();
    for s in all {
        acc.retain(|v| s.iter().any(|o| values_equal(o, v)));
    }
    Ok(Value::set(acc))
}

pub(super) fn setsubtract(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let mut all = sets(args)?.into_iter();
    let mut a = all.next().unwrap_or_default();
    let b = all.next().unwrap_or_default();
    a.retain(|v| !b.iter().any(|o| values_equal(o, v)));
    Ok(Value::set(a))
}

pub(super) fn abs(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Number(number::abs(&number_arg(&args[0], 0)?)))
}

pub(super) fn ceil(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Number(number::ceil(&number_arg(&args[0], 0)?)))
}

pub(super) fn floor(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(Value::Number(number::floor(&number_arg(&args[0], 0)?)))
}

pub(super) fn signum(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let n = number_arg(&args[0], 0)?;
    Ok(Value::int(if n.0.is_zero() { 0 } else if n.0.is_positive() { 1 } else { -1 }))
}

/// Terraform computes `pow` in float64 (Go's math.Pow) and prints the shortest
/// decimal that round-trips, so large results are rounded the same way here.
pub(super) fn pow(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let base = number_arg(&args[0], 0)?;
    let exp = number_arg(&args[1], 1)?;
    let r = base.as_f64().powf(exp.as_f64());
    if !r.is_finite() {
        return Err(FuncError::Call("result is not a finite number".into()));
    }
    format!("{r}").parse::<Number>().map(Value::Number).map_err(|e| FuncError::Call(e.to_string()))
}

pub(super) fn parseint(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let text = string_arg(&args[0], 0)?;
    let base = int_arg(&args[1], 1)?;
    if !(2..=62).contains(&base) {
        return Err(FuncError::Arg(1, "base must be a whole number between 2 and 62 inclusive".into()));
    }
    let (neg, digits) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    if digits.is_empty() {
        return Err(FuncError::Arg(0, format!("cannot parse \"{text}\" as a base {base} integer")));
    }
    let mut acc = BigDecimal::zero();
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
            'A'..='Z' => c as i64 - 'A' as i64 + 36,
            _ => 99,
        };
        if d >= base {
            return Err(FuncError::Arg(0, format!("cannot parse \"{text}\" as a base {base} integer")));
        }
        acc = acc * BigDecimal::from(base) + BigDecimal::from(d);
        if acc.digits() > crate::limits::MAX_NUMBER_DIGITS {
            return Err(FuncError::Arg(0, format!(
                "cannot parse \"{text}\" as a base {base} integer: more than {} digits (MAX_NUMBER_DIGITS)",
                crate::limits::MAX_NUMBER_DIGITS
            )));
        }
    }
    Ok(Value::Number(Number(if neg { -acc } else { acc })))
}

pub(super) fn tostring(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    match first(args) {
        Value::Null => Ok(Value::Null),
        v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => Ok(Value::String(string_arg(&v, 0)?)),
        other => Err(FuncError::Arg(0, format!("cannot convert {} to string", other.type_name()))),
    }
}

pub(super) fn tonumber(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    match first(args) {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(n)),
        Value::String(s) => number::parse(&s).map(Value::Number).ok_or_else(|| {
            FuncError::Arg(0, match number::parse_error(&s) {
                Some(range) => format!("cannot convert \"{s}\" to number: {range}"),
                None => format!("cannot convert \"{s}\" to number"),
            })
        }),
        other => Err(FuncError::Arg(0, format!("cannot convert {} to number", other.type_name()))),
    }
}

pub(super) fn tobool(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    match first(args) {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(b)),
        Value::String(s) if s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if s == "false" => Ok(Value::Bool(false)),
        Value::String(s) => Err(FuncError::Arg(0, format!("cannot convert \"{s}\" to bool"))),
        other => Err(FuncError::Arg(0, format!("cannot convert {} to bool", other.type_name()))),
    }
}

fn convert_arg(v: Value, t: TypeConstraint) -> FnResult {
    // tolist(null) is a null list (convert keeps nulls).
    convert(v, &t).map_err(|e| FuncError::Arg(0, format!("cannot convert: {e}")))
}

pub(super) fn tolist(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    convert_arg(first(args), TypeConstraint::List(Box::new(TypeConstraint::Any)))
}

pub(super) fn toset(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    convert_arg(first(args), TypeConstraint::Set(Box::new(TypeConstraint::Any)))
}

pub(super) fn tomap(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    convert_arg(first(args), TypeConstraint::Map(Box::new(TypeConstraint::Any)))
}

pub(super) fn sensitive(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(first(args).mark_sensitive())
}

pub(super) fn nonsensitive(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(first(args).unmark_deep().0)
}

/// Used by `format` for `%d` of big numbers.
pub(crate) fn to_i128(n: &Number) -> Option<i128> {
    if n.is_integer() {
        n.0.to_i128()
    } else {
        None
    }
}
