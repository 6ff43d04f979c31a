//! The dynamic value model shared by evaluation, planning, providers and state.
//!
//! Mirrors Terraform's cty closely enough to be a drop-in for configs:
//! numbers are arbitrary-precision decimals (Terraform uses 512-bit floats),
//! lists and tuples share `List`, maps and objects share `Map`, sets are kept
//! sorted and de-duplicated. Two marks exist: `Unknown` ("known after
//! apply") and `Sensitive` (wraps any value; rendering shows
//! `(sensitive value)`).

use bigdecimal::{BigDecimal, FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// An arbitrary-precision number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Number(pub BigDecimal);

impl Number {
    pub fn from_i64(i: i64) -> Self {
        Number(BigDecimal::from(i))
    }
    pub fn from_f64(f: f64) -> Option<Self> {
        BigDecimal::from_f64(f).map(Number)
    }
    /// The value as an integer when it has no fractional part and fits.
    pub fn as_i64(&self) -> Option<i64> {
        if self.0.is_integer() { self.0.to_i64() } else { None }
    }
    pub fn as_f64(&self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }
    pub fn is_integer(&self) -> bool {
        self.0.is_integer()
    }
}

impl FromStr for Number {
    type Err = bigdecimal::ParseBigDecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BigDecimal::from_str(s).map(Number)
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation without exponent or trailing zeros, like Terraform.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.normalized();
        let s = n.to_plain_string();
        f.write_str(if s == "-0" { "0" } else { &s })
    }
}

/// A dynamic value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// Lists and tuples.
    List(Vec<Value>),
    /// Sets: sorted by `Value::sort_key`, no duplicates.
    Set(Vec<Value>),
    /// Maps and objects.
    Map(BTreeMap<String, Value>),
    /// Not known until apply.
    Unknown,
    /// A sensitive value; never rendered.
    Sensitive(Box<Value>),
}

/// One step of a path into a value (`tags["env"]`, `ingress[0]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

pub type ValuePath = Vec<PathStep>;

/// Renders a path as `a.b[0]["x y"]`.
pub fn path_to_string(path: &[PathStep]) -> String {
    let mut out = String::new();
    for (i, step) in path.iter().enumerate() {
        match step {
            PathStep::Key(k) if is_simple_key(k) => {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathStep::Key(k) => out.push_str(&format!("[{}]", serde_json::Value::String(k.clone()))),
            PathStep::Index(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

fn is_simple_key(k: &str) -> bool {
    let mut c = k.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn int(i: i64) -> Value {
        Value::Number(Number::from_i64(i))
    }
    /// Builds a set: sorts and removes duplicates.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_by_cached_key(|v| v.sort_key());
        items.dedup();
        Value::Set(items)
    }
    pub fn map<K: Into<String>>(items: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A deterministic key for ordering set elements: its canonical JSON.
    pub fn sort_key(&self) -> String {
        serde_json::to_string(&self.to_json_lossy()).unwrap_or_default()
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }
    /// True when the value and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown)
    }
    /// True when the value itself is marked sensitive (not looking inside).
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }
    /// True when the value or anything inside it is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) | Value::Set(items) => items.iter().any(Value::contains_sensitive),
            Value::Map(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }
    /// The value with a top-level sensitive mark peeled off.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.unmarked(),
            v => v,
        }
    }
    /// Wraps in a sensitive mark (idempotent).
    pub fn mark_sensitive(self) -> Value {
        match self {
            v @ Value::Sensitive(_) => v,
            v => Value::Sensitive(Box::new(v)),
        }
    }
    /// Removes every sensitive mark, returning the plain value and the paths that were marked.
    pub fn unmark_deep(&self) -> (Value, Vec<ValuePath>) {
        let mut paths = Vec::new();
        let v = unmark_rec(self, &mut Vec::new(), &mut paths);
        (v, paths)
    }
    /// `unmark_deep` for an owned value: without marks inside, the value is
    /// returned as is (no copy). The second value is the marked original,
    /// kept only when it differs from the plain one.
    pub fn into_unmarked_deep(self) -> (Value, Vec<ValuePath>, Option<Value>) {
        if self.contains_sensitive() {
            let (plain, paths) = self.unmark_deep();
            (plain, paths, Some(self))
        } else {
            (self, Vec::new(), None)
        }
    }
    /// Re-applies sensitive marks at the given paths (missing paths are ignored).
    pub fn mark_paths(mut self, paths: &[ValuePath]) -> Value {
        for p in paths {
            mark_at(&mut self, p);
        }
        self
    }
    /// Looks up a path.
    /// Attribute `name` of an object value, marks removed; `None` when the
    /// value is not an object or the attribute is absent or null.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self.unmarked() {
            Value::Map(m) => m.get(name).map(Value::unmarked).filter(|v| !v.is_null()),
            _ => None,
        }
    }
    /// `attr(name)` when it is a string.
    pub fn attr_str(&self, name: &str) -> Option<&str> {
        match self.attr(name) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }
    pub fn get_path(&self, path: &[PathStep]) -> Option<&Value> {
        let mut cur = self;
        for step in path {
            cur = match (cur.unmarked(), step) {
                (Value::Map(m), PathStep::Key(k)) => m.get(k)?,
                (Value::List(l) | Value::Set(l), PathStep::Index(i)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }
    /// The Terraform type name used in messages (`string`, `number`, `list`, `object`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "tuple",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Unknown => "unknown",
            Value::Sensitive(v) => v.type_name(),
        }
    }

    /// Converts to JSON. Marks are dropped, unknowns become `null`; use only
    /// where that is intended (state after apply holds no unknowns).
    pub fn to_json_lossy(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(n),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) | Value::Set(items) => J::Array(items.iter().map(Value::to_json_lossy).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json_lossy())).collect()),
            Value::Sensitive(v) => v.to_json_lossy(),
        }
    }

    /// Converts from JSON: arrays become lists, objects maps.
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(Number::from_str(&n.to_string()).unwrap_or(Number::from_i64(0))),
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()),
        }
    }
}

fn number_to_json(n: &Number) -> serde_json::Value {
    if let Some(i) = n.as_i64() {
        return serde_json::Value::from(i);
    }
    // Keep full precision where serde_json can represent it; fall back to f64.
    serde_json::from_str::<serde_json::Number>(&n.to_string())
        .map(serde_json::Value::Number)
        .unwrap_or_else(|_| serde_json::Value::from(n.as_f64()))
}

fn unmark_rec(v: &Value, path: &mut ValuePath, out: &mut Vec<ValuePath>) -> Value {
    match v {
        Value::Sensitive(inner) => {
            out.push(path.clone());
            let mut ignored = Vec::new();
            unmark_rec(inner, path, &mut ignored)
        }
        Value::List(items) => Value::List(unmark_items(items, path, out)),
        Value::Set(items) => Value::Set(unmark_items(items, path, out)),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| {
                    path.push(PathStep::Key(k.clone()));
                    let r = unmark_rec(v, path, out);
                    path.pop();
                    (k.clone(), r)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn unmark_items(items: &[Value], path: &mut ValuePath, out: &mut Vec<ValuePath>) -> Vec<Value> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            path.push(PathStep::Index(i));
            let r = unmark_rec(v, path, out);
            path.pop();
            r
        })
        .collect()
}

fn mark_at(v: &mut Value, path: &[PathStep]) {
    let Some((first, rest)) = path.split_first() else {
        let inner = std::mem::replace(v, Value::Null);
        *v = inner.mark_sensitive();
        return;
    };
    let target = match v {
        Value::Sensitive(_) => return, // already sensitive as a whole
        Value::Map(m) => match first {
            PathStep::Key(k) => m.get_mut(k),
            PathStep::Index(_) => None,
        },
        Value::List(l) | Value::Set(l) => match first {
            PathStep::Index(i) => l.get_mut(*i),
            PathStep::Key(_) => None,
        },
        _ => None,
    };
    if let Some(t) = target {
        mark_at(t, rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_terraform() {
        assert_eq!(Number::from_str("5.000").unwrap().to_string(), "5");
        assert_eq!(Number::from_str("0.30").unwrap().to_string(), "0.3");
        assert_eq!(Number::from_str("4e20").unwrap().to_string(), "400000000000000000000");
    }

    #[test]
    fn sensitive_round_trip() {
        let v = Value::map([("a", Value::string("x").mark_sensitive()), ("b", Value::int(1))]);
        let (plain, paths) = v.unmark_deep();
        assert!(!plain.contains_sensitive());
        assert_eq!(paths, vec![vec![PathStep::Key("a".into())]]);
        assert_eq!(plain.mark_paths(&paths), v);
    }

    #[test]
    fn sets_are_canonical() {
        assert_eq!(Value::set(vec![Value::string("b"), Value::string("a"), Value::string("b")]),
                   Value::Set(vec![Value::string("a"), Value::string("b")]));
    }
}
