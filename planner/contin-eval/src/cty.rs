//! cty's type unification (go-cty `convert.Unify`) over the types contin can
//! see in a value.
//!
//! `Value` does not say whether a sequence is a list or a tuple, or a
//! mapping a map or an object: [`type_of`] reads every `Value::List` as a
//! tuple and every `Value::Map` as an object (what HCL's constructors `[…]`
//! and `{…}` make). Unifying those is never stricter than Terraform where it
//! matters: tuples of different lengths unify as a list of their unified
//! elements, objects with different attributes as a map, exactly as cty
//! does for tuples and objects, and as it does for lists and maps too. A
//! null or unknown value is of the dynamic type: it converts to anything,
//! so a primitive beside it keeps its type, and a structural type beside it
//! unifies to dynamic (no conversion), as in cty.

use crate::limits;
use crate::types::{ObjectAttr, TypeConstraint};
use contin_types::Value;
use std::collections::BTreeMap;

/// A cty type, as far as a value shows it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    /// cty.DynamicPseudoType: null, unknown, or an empty set's elements.
    Dynamic,
    Bool,
    Number,
    String,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
    Object(BTreeMap<String, Ty>),
}

impl Ty {
    /// Terraform's name of the type's kind, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Ty::Dynamic => "dynamic",
            Ty::Bool => "bool",
            Ty::Number => "number",
            Ty::String => "string",
            Ty::List(_) => "list",
            Ty::Set(_) => "set",
            Ty::Map(_) => "map",
            Ty::Tuple(_) => "tuple",
            Ty::Object(_) => "object",
        }
    }

    /// The type constraint that converts a value to this type.
    pub(crate) fn constraint(&self) -> TypeConstraint {
        match self {
            Ty::Dynamic => TypeConstraint::Any,
            Ty::Bool => TypeConstraint::Bool,
            Ty::Number => TypeConstraint::Number,
            Ty::String => TypeConstraint::String,
            Ty::List(e) => TypeConstraint::List(Box::new(e.constraint())),
            Ty::Set(e) => TypeConstraint::Set(Box::new(e.constraint())),
            Ty::Map(e) => TypeConstraint::Map(Box::new(e.constraint())),
            Ty::Tuple(ts) => TypeConstraint::Tuple(ts.iter().map(Ty::constraint).collect()),
            Ty::Object(attrs) => TypeConstraint::Object(
                attrs.iter().map(|(k, t)| (k.clone(), ObjectAttr { ty: t.constraint(), optional: false, default: None })).collect(),
            ),
        }
    }
}

/// The type a value shows (lists as tuples, maps as objects, see the module
/// docs). Deeper than [`limits::MAX_TYPE_DEPTH`] levels the rest is dynamic.
pub(crate) fn type_of(v: &Value) -> Ty {
    type_at(v, 0)
}

fn type_at(v: &Value, depth: usize) -> Ty {
    if depth >= limits::MAX_TYPE_DEPTH {
        return Ty::Dynamic;
    }
    match v {
        Value::Null | Value::Unknown => Ty::Dynamic,
        Value::Sensitive(inner) => type_at(inner, depth),
        Value::Bool(_) => Ty::Bool,
        Value::Number(_) => Ty::Number,
        Value::String(_) => Ty::String,
        Value::List(items) => Ty::Tuple(items.iter().map(|i| type_at(i, depth + 1)).collect()),
        Value::Map(m) => Ty::Object(m.iter().map(|(k, i)| (k.clone(), type_at(i, depth + 1))).collect()),
        Value::Set(items) => {
            let tys: Vec<Ty> = items.iter().map(|i| type_at(i, depth + 1)).collect();
            Ty::Set(Box::new(if tys.is_empty() { Ty::Dynamic } else { unify(&tys).unwrap_or(Ty::Dynamic) }))
        }
    }
}

/// The type all of `tys` convert to, as cty's `convert.Unify`; `None` when
/// there is none.
pub(crate) fn unify(tys: &[Ty]) -> Option<Ty> {
    let first = tys.first()?;
    if tys.iter().all(|t| t == first) {
        return Some(first.clone());
    }
    let count = |f: fn(&Ty) -> bool| tys.iter().filter(|t| f(t)).count();
    let maps = count(|t| matches!(t, Ty::Map(_)));
    let lists = count(|t| matches!(t, Ty::List(_)));
    let sets = count(|t| matches!(t, Ty::Set(_)));
    let objects = count(|t| matches!(t, Ty::Object(_)));
    let tuples = count(|t| matches!(t, Ty::Tuple(_)));
    let dynamic = count(|t| matches!(t, Ty::Dynamic));
    let n = tys.len();
    // cty: structural types with a dynamic one among them unify to dynamic
    // (what the dynamic value turns out to be decides).
    let all_dynamic_or = |k: usize| k > 0 && dynamic > 0 && k + dynamic == n;
    if [maps, lists, sets, objects, tuples].into_iter().any(all_dynamic_or) {
        return Some(Ty::Dynamic);
    }
    if maps == n {
        return unify(&elements(tys)).map(|e| Ty::Map(Box::new(e)));
    }
    if maps > 0 && maps + objects == n {
        let mut all = elements(tys);
        for t in tys {
            if let Ty::Object(a) = t {
                all.extend(a.values().cloned());
            }
        }
        if let Some(e) = unify(&all) {
            return Some(Ty::Map(Box::new(e)));
        }
    }
    if lists == n {
        return unify(&elements(tys)).map(|e| Ty::List(Box::new(e)));
    }
    if lists > 0 && lists + tuples == n {
        let mut all = elements(tys);
        for t in tys {
            if let Ty::Tuple(ts) = t {
                all.extend(ts.iter().cloned());
            }
        }
        if let Some(e) = unify(&all) {
            return Some(Ty::List(Box::new(e)));
        }
    }
    if sets == n {
        return unify(&elements(tys)).map(|e| Ty::Set(Box::new(e)));
    }
    if objects == n {
        return unify_objects(tys);
    }
    if tuples == n {
        return unify_tuples(tys);
    }
    if objects > 0 && tuples > 0 {
        return None;
    }
    // Otherwise the first of the given types, most general first, that all
    // others convert to (HCL unifies with cty's unsafe conversions).
    // Distinct types only (bounded: hostile input could make every element
    // a different type and the search below quadratic).
    let mut distinct: Vec<&Ty> = Vec::new();
    for t in tys {
        if !distinct.contains(&t) {
            if distinct.len() >= limits::MAX_UNIFY_TYPES {
                return None;
            }
            distinct.push(t);
        }
    }
    // A stable insertion sort: `compare` is a partial order.
    for i in 1..distinct.len() {
        let mut j = i;
        while j > 0 && compare(distinct[j], distinct[j - 1]) == std::cmp::Ordering::Less {
            distinct.swap(j, j - 1);
            j -= 1;
        }
    }
    distinct.iter().find(|want| distinct.iter().all(|t| converts(t, want))).map(|t| (*t).clone())
}

/// cty's `compareTypes`: `Less` when `a` is more general than `b` (string
/// over the other primitives, set over list over tuple, map over object).
fn compare(a: &Ty, b: &Ty) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match (a, b) {
        (Ty::Dynamic, Ty::Dynamic) => Equal,
        (_, Ty::Dynamic) => Less,
        (Ty::Dynamic, _) => Greater,
        (Ty::String, Ty::Bool | Ty::Number) => Less,
        (Ty::Bool | Ty::Number, Ty::String) => Greater,
        (Ty::List(x), Ty::List(y)) | (Ty::Set(x), Ty::Set(y)) | (Ty::Map(x), Ty::Map(y)) => compare(x, y),
        (Ty::Set(_), Ty::List(_) | Ty::Tuple(_)) | (Ty::List(_), Ty::Tuple(_)) | (Ty::Map(_), Ty::Object(_)) => Less,
        (Ty::List(_) | Ty::Tuple(_), Ty::Set(_)) | (Ty::Tuple(_), Ty::List(_)) | (Ty::Object(_), Ty::Map(_)) => Greater,
        (Ty::Object(x), Ty::Object(y)) => {
            if x.len() != y.len() || x.keys().any(|k| !y.contains_key(k)) {
                return Equal;
            }
            combine(x.iter().filter_map(|(k, t)| y.get(k).map(|u| compare(t, u))))
        }
        (Ty::Tuple(x), Ty::Tuple(y)) if x.len() == y.len() => combine(x.iter().zip(y).map(|(t, u)| compare(t, u))),
        _ => Equal,
    }
}

/// Element-wise comparisons: one side more general in some places and never
/// less general.
fn combine(cmps: impl Iterator<Item = std::cmp::Ordering>) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (mut less, mut greater) = (false, false);
    for c in cmps {
        match c {
            Less => less = true,
            Greater => greater = true,
            Equal => {}
        }
    }
    match (less, greater) {
        (true, false) => Less,
        (false, true) => Greater,
        _ => Equal,
    }
}

/// Whether cty has an (unsafe) conversion from `from` to `to`: one that
/// may still fail for some values ("a" to number).
fn converts(from: &Ty, to: &Ty) -> bool {
    if from == to || matches!(from, Ty::Dynamic) || matches!(to, Ty::Dynamic) {
        return true;
    }
    match (from, to) {
        (Ty::Number | Ty::Bool, Ty::String) | (Ty::String, Ty::Number | Ty::Bool) => true,
        (Ty::List(f) | Ty::Set(f), Ty::List(t) | Ty::Set(t)) | (Ty::Map(f), Ty::Map(t)) => converts(f, t),
        (Ty::Tuple(fs), Ty::List(t) | Ty::Set(t)) => fs.iter().all(|f| converts(f, t)),
        (Ty::Object(fs), Ty::Map(t)) => fs.values().all(|f| converts(f, t)),
        (Ty::Tuple(fs), Ty::Tuple(ts)) => fs.len() == ts.len() && fs.iter().zip(ts).all(|(f, t)| converts(f, t)),
        (Ty::List(f) | Ty::Set(f), Ty::Tuple(ts)) => ts.iter().all(|t| converts(f, t)),
        (Ty::Object(fs), Ty::Object(ts)) => ts.iter().all(|(k, t)| fs.get(k).is_some_and(|f| converts(f, t))),
        (Ty::Map(f), Ty::Object(ts)) => ts.values().all(|t| converts(f, t)),
        _ => false,
    }
}

/// The element types of collection types (lists, sets, maps).
fn elements(tys: &[Ty]) -> Vec<Ty> {
    tys.iter()
        .filter_map(|t| match t {
            Ty::List(e) | Ty::Set(e) | Ty::Map(e) => Some((**e).clone()),
            _ => None,
        })
        .collect()
}

/// Objects with the same attribute names unify attribute by attribute;
/// otherwise all attribute types unify as a map's elements.
fn unify_objects(tys: &[Ty]) -> Option<Ty> {
    let attrs: Vec<&BTreeMap<String, Ty>> = tys.iter().filter_map(|t| if let Ty::Object(a) = t { Some(a) } else { None }).collect();
    let first = attrs.first()?;
    let same_names = attrs.iter().all(|a| a.len() == first.len() && a.keys().all(|k| first.contains_key(k)));
    if same_names {
        let mut out = BTreeMap::new();
        for name in first.keys() {
            let across: Vec<Ty> = attrs.iter().filter_map(|a| a.get(name).cloned()).collect();
            out.insert(name.clone(), unify(&across)?);
        }
        return Some(Ty::Object(out));
    }
    let all: Vec<Ty> = attrs.iter().flat_map(|a| a.values().cloned()).collect();
    if all.is_empty() {
        return Some(Ty::Map(Box::new(Ty::Dynamic)));
    }
    unify(&all).map(|e| Ty::Map(Box::new(e)))
}

/// Tuples of one length unify element by element; of different lengths all
/// elements unify as a list's.
fn unify_tuples(tys: &[Ty]) -> Option<Ty> {
    let elems: Vec<&Vec<Ty>> = tys.iter().filter_map(|t| if let Ty::Tuple(ts) = t { Some(ts) } else { None }).collect();
    let first = elems.first()?;
    if elems.iter().all(|e| e.len() == first.len()) {
        let mut out = Vec::with_capacity(first.len());
        for i in 0..first.len() {
            let across: Vec<Ty> = elems.iter().filter_map(|e| e.get(i).cloned()).collect();
            out.push(unify(&across)?);
        }
        return Some(Ty::Tuple(out));
    }
    let all: Vec<Ty> = elems.iter().flat_map(|e| e.iter().cloned()).collect();
    if all.is_empty() {
        return Some(Ty::List(Box::new(Ty::Dynamic)));
    }
    unify(&all).map(|e| Ty::List(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: Value) -> Ty {
        type_of(&v)
    }

    #[test]
    fn primitives_unify_to_string_or_not_at_all() {
        assert_eq!(unify(&[Ty::Number, Ty::String]), Some(Ty::String));
        assert_eq!(unify(&[Ty::Bool, Ty::String]), Some(Ty::String));
        assert_eq!(unify(&[Ty::Number, Ty::Bool]), None);
        assert_eq!(unify(&[Ty::Bool, Ty::Number, Ty::String]), Some(Ty::String));
        assert_eq!(unify(&[Ty::Number, Ty::Number]), Some(Ty::Number));
        // A null converts to anything: the other type wins.
        assert_eq!(unify(&[Ty::Dynamic, Ty::Number]), Some(Ty::Number));
        assert_eq!(unify(&[Ty::Dynamic, Ty::Number, Ty::String]), Some(Ty::String));
        assert_eq!(unify(&[Ty::Dynamic, Ty::Tuple(vec![])]), Some(Ty::Dynamic));
    }

    #[test]
    fn tuples_of_different_lengths_unify_as_a_list() {
        let empty = t(Value::List(vec![]));
        let two = t(Value::List(vec![Value::int(1), Value::string("a")]));
        assert_eq!(unify(&[empty.clone(), two]), Some(Ty::List(Box::new(Ty::String))));
        // The type page's example: two objects that unify neither as an
        // object nor as a map (a string and an object attribute).
        let objs = t(Value::List(vec![
            Value::map([("foo", Value::string("bar")), ("map", Value::map([("bleep", Value::string("bloop"))]))]),
            Value::map([("beep", Value::string("boop"))]),
        ]));
        assert_eq!(unify(&[empty, objs]), None);
    }

    #[test]
    fn mixed_kinds_take_the_most_general_type_the_others_convert_to() {
        let set_num = Ty::Set(Box::new(Ty::Number));
        assert_eq!(unify(&[set_num.clone(), t(Value::List(vec![Value::string("a")]))]), Some(set_num.clone()));
        assert_eq!(unify(&[t(Value::List(vec![Value::string("a")])), set_num.clone()]), Some(set_num));
        let map_num = Ty::Map(Box::new(Ty::Number));
        assert_eq!(unify(&[map_num, t(Value::map([("b", Value::Bool(true))]))]), None);
    }

    #[test]
    fn objects_unify_by_attribute_or_as_a_map() {
        let a = t(Value::map([("a", Value::int(1))]));
        let b = t(Value::map([("b", Value::string("x"))]));
        assert_eq!(unify(&[a.clone(), b]), Some(Ty::Map(Box::new(Ty::String))));
        let a2 = t(Value::map([("a", Value::string("1"))]));
        assert_eq!(unify(&[a, a2]), Some(Ty::Object([("a".to_string(), Ty::String)].into_iter().collect())));
        assert_eq!(unify(&[t(Value::map([("a", Value::int(1))])), t(Value::List(vec![]))]), None);
    }

    #[test]
    fn many_different_types_are_refused_not_searched() {
        let mut tys = vec![Ty::Number];
        for i in 0..limits::MAX_UNIFY_TYPES + 1 {
            tys.push(Ty::Object([(format!("a{i}"), Ty::Number)].into_iter().collect()));
        }
        assert_eq!(unify(&tys), None);
        // Many elements of few types are fine.
        let many: Vec<Ty> = (0..100_000).map(|i| if i % 2 == 0 { Ty::Number } else { Ty::String }).collect();
        assert_eq!(unify(&many), Some(Ty::String));
    }

    #[test]
    fn deep_values_stop_at_the_depth_limit() {
        let mut v = Value::int(1);
        for _ in 0..limits::MAX_TYPE_DEPTH + 5 {
            v = Value::List(vec![v]);
        }
        let mut ty = type_of(&v);
        let mut depth = 0;
        while let Ty::Tuple(mut ts) = ty {
            ty = ts.pop().unwrap_or(Ty::Dynamic);
            depth += 1;
        }
        assert_eq!(depth, limits::MAX_TYPE_DEPTH);
        assert_eq!(ty, Ty::Dynamic);
    }
}
