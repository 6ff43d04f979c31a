//! Checks a resource's evaluated configuration against its schema and
//! converts values to the schema's types the way Terraform does.
//!
//! Problems carry the attribute path, not a source location: the planner
//! knows where each attribute was written and attaches it.

use crate::schema::{AttrSchema, AttrType, BlockSchema, NestedBlockSchema, Nesting};
use contin_types::value::{path_to_string, PathStep, ValuePath};
use contin_types::{Diagnostic, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// One schema violation, located by attribute path (`tags`, `ingress[0].port`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaProblem {
    /// Path of the offending attribute or block; the first step is always a
    /// top-level name (empty only when the whole configuration is not an object).
    pub attr_path: ValuePath,
    pub summary: String,
    pub detail: String,
}

impl SchemaProblem {
    fn new(attr_path: ValuePath, summary: impl Into<String>, detail: impl Into<String>) -> Self {
        SchemaProblem { attr_path, summary: summary.into(), detail: detail.into() }
    }
    /// The problem as an error diagnostic without a location (the caller adds it).
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error(self.summary.clone()).with_detail(self.detail.clone())
    }
    /// The top-level attribute or block name the problem is about.
    pub fn attr_name(&self) -> Option<&str> {
        match self.attr_path.first() {
            Some(PathStep::Key(k)) => Some(k),
            _ => None,
        }
    }
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attr_path.is_empty() {
            write!(f, "{}: {}", self.summary, self.detail)
        } else {
            write!(f, "{} ({}): {}", self.summary, path_to_string(&self.attr_path), self.detail)
        }
    }
}

/// Every problem of `cfg` (an evaluated block body) against `block`: unknown
/// names (with a suggestion), missing required attributes, values for
/// computed-only attributes, type mismatches and nested block counts.
/// Unknown values always pass. Sorted by path.
pub fn validate_against_schema(block: &BlockSchema, cfg: &Value) -> Vec<SchemaProblem> {
    let mut out = Vec::new();
    validate_block(block, cfg, &mut Vec::new(), &mut out);
    out.sort_by(|a, b| a.attr_path.cmp(&b.attr_path));
    out
}

/// Converts attribute values to the schema's types (number → string,
/// numeric string → number, tuple → list/set, …) like Terraform. Names the
/// schema does not know pass through unchanged (`validate_against_schema`
/// reports them); sensitive marks are kept. Fails with every value that
/// cannot be converted.
pub fn coerce_to_schema(block: &BlockSchema, cfg: &Value) -> Result<Value, Vec<SchemaProblem>> {
    let mut problems = Vec::new();
    let v = coerce_block(block, cfg, &mut Vec::new(), &mut problems);
    if problems.is_empty() {
        Ok(v)
    } else {
        Err(problems)
    }
}

/// Converts one value to an attribute type; the error is Terraform's wording
/// ("string required", `element "env": string required`).
pub fn convert_value(ty: &AttrType, v: &Value) -> Result<Value, String> {
    match v {
        Value::Sensitive(inner) => return convert_value(ty, inner).map(Value::mark_sensitive),
        Value::Unknown | Value::Null => return Ok(v.clone()),
        _ => {}
    }
    match (ty, v) {
        (AttrType::Any, v) => Ok(v.clone()),
        (AttrType::String, Value::String(_)) => Ok(v.clone()),
        (AttrType::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (AttrType::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (AttrType::String, _) => Err("string required".into()),
        (AttrType::Number, Value::Number(_)) => Ok(v.clone()),
        (AttrType::Number, Value::String(s)) => contin_types::Number::from_str(s)
            .map(Value::Number)
            .map_err(|_| "a number is required".to_string()),
        (AttrType::Number, _) => Err("number required".into()),
        (AttrType::Bool, Value::Bool(_)) => Ok(v.clone()),
        (AttrType::Bool, Value::String(s)) if s == "true" => Ok(Value::Bool(true)),
        (AttrType::Bool, Value::String(s)) if s == "false" => Ok(Value::Bool(false)),
        (AttrType::Bool, Value::String(_)) => Err("a bool is required".into()),
        (AttrType::Bool, _) => Err("bool required".into()),
        (AttrType::List(el), Value::List(items) | Value::Set(items)) => convert_items(el, items).map(Value::List),
        (AttrType::Set(el), Value::List(items) | Value::Set(items)) => convert_items(el, items).map(Value::set),
        (AttrType::Map(el), Value::Map(m)) => {
            let mut out = BTreeMap::new();
            for (k, item) in m {
                let c = convert_value(el, item).map_err(|e| format!("element {}: {e}", quote(k)))?;
                out.insert(k.clone(), c);
            }
            Ok(Value::Map(out))
        }
        (ty, _) => Err(format!("{} required", type_label(ty))),
    }
}

fn convert_items(el: &AttrType, items: &[Value]) -> Result<Vec<Value>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| convert_value(el, item).map_err(|e| format!("element {i}: {e}")))
        .collect()
}

/// Terraform's type label: `string`, `list of string`, `map of number`, `any`.
pub fn type_label(ty: &AttrType) -> String {
    match ty {
        AttrType::String => "string".into(),
        AttrType::Number => "number".into(),
        AttrType::Bool => "bool".into(),
        AttrType::List(e) => format!("list of {}", type_label(e)),
        AttrType::Set(e) => format!("set of {}", type_label(e)),
        AttrType::Map(e) => format!("map of {}", type_label(e)),
        AttrType::Any => "any".into(),
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn with_step(path: &ValuePath, step: PathStep) -> ValuePath {
    let mut p = path.clone();
    p.push(step);
    p
}

fn coerce_block(block: &BlockSchema, cfg: &Value, path: &mut ValuePath, problems: &mut Vec<SchemaProblem>) -> Value {
    let Value::Map(m) = cfg else { return cfg.clone() };
    let mut out = BTreeMap::new();
    for (name, v) in m {
        let converted = if let Some(attr) = block.attributes.get(name) {
            match convert_value(&attr.ty, v) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(type_problem(with_step(path, PathStep::Key(name.clone())), name, &e));
                    v.clone()
                }
            }
        } else if let Some(nb) = block.blocks.get(name) {
            path.push(PathStep::Key(name.clone()));
            let c = coerce_nested(nb, v, path, problems);
            path.pop();
            c
        } else {
            v.clone()
        };
        out.insert(name.clone(), converted);
    }
    Value::Map(out)
}

fn coerce_nested(nb: &NestedBlockSchema, v: &Value, path: &mut ValuePath, problems: &mut Vec<SchemaProblem>) -> Value {
    match (nb.nesting, v) {
        // Blocks evaluate to a list; a single block is its only element.
        (Nesting::Single, Value::List(items)) if items.is_empty() => Value::Null,
        (Nesting::Single, Value::List(items)) if items.len() == 1 => coerce_block(&nb.block, &items[0], path, problems),
        (Nesting::Single, v) => coerce_block(&nb.block, v, path, problems),
        (_, Value::List(items) | Value::Set(items)) => {
            let items: Vec<Value> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    path.push(PathStep::Index(i));
                    let c = coerce_block(&nb.block, item, path, problems);
                    path.pop();
                    c
                })
                .collect();
            if nb.nesting == Nesting::Set {
                Value::set(items)
            } else {
                Value::List(items)
            }
        }
        (_, v) => v.clone(),
    }
}

fn type_problem(path: ValuePath, name: &str, err: &str) -> SchemaProblem {
    SchemaProblem::new(path, "Incorrect attribute value type", format!("Inappropriate value for attribute {}: {err}.", quote(name)))
}

fn validate_block(block: &BlockSchema, cfg: &Value, path: &mut ValuePath, out: &mut Vec<SchemaProblem>) {
    let m = match cfg.unmarked() {
        Value::Map(m) => m,
        Value::Unknown => return,
        Value::Null => &BTreeMap::new(),
        other => {
            out.push(SchemaProblem::new(
                path.clone(),
                "Invalid block",
                format!("A block body (an object of arguments) is required here, got {}.", other.type_name()),
            ));
            return;
        }
    };
    for (name, v) in m {
        let p = with_step(path, PathStep::Key(name.clone()));
        if let Some(attr) = block.attributes.get(name) {
            validate_attr(name, attr, v, p, out);
        } else if let Some(nb) = block.blocks.get(name) {
            path.push(PathStep::Key(name.clone()));
            validate_nested(name, nb, v, path, out);
            path.pop();
        } else if !v.is_null() {
            out.push(unsupported(block, name, p));
        }
    }
    for (name, attr) in &block.attributes {
        if attr.required && m.get(name).is_none_or(Value::is_null) {
            out.push(SchemaProblem::new(
                with_step(path, PathStep::Key(name.clone())),
                "Missing required argument",
                format!("The argument {} is required, but no definition was found.", quote(name)),
            ));
        }
    }
    for (name, nb) in &block.blocks {
        if nb.min_items > 0 && m.get(name).is_none_or(Value::is_null) {
            out.push(SchemaProblem::new(
                with_step(path, PathStep::Key(name.clone())),
                format!("Insufficient {name} blocks"),
                format!("At least {} {} block(s) are required.", nb.min_items, quote(name)),
            ));
        }
    }
}

fn validate_attr(name: &str, attr: &AttrSchema, v: &Value, path: ValuePath, out: &mut Vec<SchemaProblem>) {
    if v.is_null() {
        return;
    }
    if attr.is_computed_only() {
        out.push(SchemaProblem::new(
            path,
            "Value for unconfigurable attribute",
            format!(
                "Can't configure a value for {}: its value will be decided automatically based on the result of applying this configuration.",
                quote(name)
            ),
        ));
        return;
    }
    if let Err(e) = convert_value(&attr.ty, v) {
        out.push(type_problem(path, name, &e));
    }
}

fn validate_nested(name: &str, nb: &NestedBlockSchema, v: &Value, path: &mut ValuePath, out: &mut Vec<SchemaProblem>) {
    match (nb.nesting, v.unmarked()) {
        (_, Value::Unknown | Value::Null) => {}
        (Nesting::Single, Value::List(items)) if items.len() > 1 => out.push(SchemaProblem::new(
            path.clone(),
            format!("Too many {name} blocks"),
            format!("At most one {} block is allowed, found {}.", quote(name), items.len()),
        )),
        (Nesting::Single, Value::List(items)) => {
            if let Some(item) = items.first() {
                validate_block(&nb.block, item, path, out);
            }
        }
        (Nesting::Single, v) => validate_block(&nb.block, v, path, out),
        (_, Value::List(items) | Value::Set(items)) => {
            if items.len() < nb.min_items {
                out.push(SchemaProblem::new(
                    path.clone(),
                    format!("Insufficient {name} blocks"),
                    format!("At least {} {} block(s) are required, found {}.", nb.min_items, quote(name), items.len()),
                ));
            }
            if let Some(max) = nb.max_items.filter(|max| items.len() > *max) {
                out.push(SchemaProblem::new(
                    path.clone(),
                    format!("Too many {name} blocks"),
                    format!("No more than {max} {} block(s) are allowed, found {}.", quote(name), items.len()),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                validate_block(&nb.block, item, path, out);
                path.pop();
            }
        }
        (_, other) => out.push(SchemaProblem::new(
            path.clone(),
            "Invalid block",
            format!("{} must be given as blocks, got {}.", quote(name), other.type_name()),
        )),
    }
}

/// "Unsupported argument" for `name` in `block`, with the closest valid
/// name and the list of valid ones.
pub fn unsupported(block: &BlockSchema, name: &str, path: ValuePath) -> SchemaProblem {
    let valid: Vec<&str> = block
        .attributes
        .iter()
        .filter(|(_, a)| !a.is_computed_only())
        .map(|(n, _)| n.as_str())
        .chain(block.blocks.keys().map(String::as_str))
        .collect();
    let mut detail = format!("An argument named {} is not expected here.", quote(name));
    if let Some(s) = closest(name, &valid) {
        detail.push_str(&format!(" Did you mean {}?", quote(s)));
    }
    if valid.is_empty() {
        detail.push_str(" This block takes no arguments.");
    } else {
        detail.push_str(&format!(" Valid arguments are: {}.", valid.join(", ")));
    }
    SchemaProblem::new(path, "Unsupported argument", detail)
}

/// The candidate closest to `name` by edit distance, when it is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (contin_types::suggest::edit_distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{AttrSchema, AttrType as T};

    fn schema() -> BlockSchema {
        BlockSchema::default()
            .attr("filename", AttrSchema::required(T::String).force_new())
            .attr("content", AttrSchema::optional(T::String))
            .attr("count_n", AttrSchema::optional(T::Number))
            .attr("enabled", AttrSchema::optional(T::Bool))
            .attr("tags", AttrSchema::optional(T::Map(Box::new(T::String))))
            .attr("ports", AttrSchema::optional(T::Set(Box::new(T::Number))))
            .attr("id", AttrSchema::computed(T::String))
    }

    fn k(s: &str) -> PathStep {
        PathStep::Key(s.into())
    }

    #[test]
    fn unknown_name_suggests_closest_and_lists_valid_names() {
        let cfg = Value::map([("filename", Value::string("a")), ("contnet", Value::string("x"))]);
        let p = validate_against_schema(&schema(), &cfg);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].attr_path, vec![k("contnet")]);
        assert_eq!(p[0].summary, "Unsupported argument");
        assert_eq!(
            p[0].detail,
            "An argument named \"contnet\" is not expected here. Did you mean \"content\"? \
             Valid arguments are: content, count_n, enabled, filename, ports, tags."
        );
    }

    #[test]
    fn missing_required_and_computed_only_set() {
        let cfg = Value::map([("id", Value::string("x"))]);
        let p = validate_against_schema(&schema(), &cfg);
        let names: Vec<_> = p.iter().map(|p| (p.attr_name().unwrap_or(""), p.summary.as_str())).collect();
        assert_eq!(names, vec![("filename", "Missing required argument"), ("id", "Value for unconfigurable attribute")]);
    }

    #[test]
    fn type_mismatches_are_reported_and_unknown_passes() {
        let cfg = Value::map([
            ("filename", Value::Unknown),
            ("content", Value::List(vec![])),
            ("count_n", Value::string("abc")),
            ("enabled", Value::string("yes")),
            ("tags", Value::map([("env", Value::List(vec![]))])),
        ]);
        let p = validate_against_schema(&schema(), &cfg);
        let got: Vec<String> = p.iter().map(|p| p.detail.clone()).collect();
        assert_eq!(
            got,
            vec![
                "Inappropriate value for attribute \"content\": string required.",
                "Inappropriate value for attribute \"count_n\": a number is required.",
                "Inappropriate value for attribute \"enabled\": a bool is required.",
                "Inappropriate value for attribute \"tags\": element \"env\": string required.",
            ]
        );
    }

    #[test]
    fn coerce_converts_like_terraform() {
        let cfg = Value::map([
            ("filename", Value::int(5)),
            ("count_n", Value::string("7")),
            ("enabled", Value::string("true")),
            ("ports", Value::List(vec![Value::string("22"), Value::int(22), Value::int(80)])),
            ("content", Value::Bool(false).mark_sensitive()),
        ]);
        let c = coerce_to_schema(&schema(), &cfg).unwrap();
        assert_eq!(
            c,
            Value::map([
                ("filename", Value::string("5")),
                ("count_n", Value::int(7)),
                ("enabled", Value::Bool(true)),
                ("ports", Value::Set(vec![Value::int(22), Value::int(80)])),
                ("content", Value::string("false").mark_sensitive()),
            ])
        );
        let bad = Value::map([("count_n", Value::string("x"))]);
        let err = coerce_to_schema(&schema(), &bad).unwrap_err();
        assert_eq!(err[0].attr_path, vec![k("count_n")]);
    }

    #[test]
    fn nested_block_counts_and_paths() {
        let inner = BlockSchema::default().attr("port", AttrSchema::required(T::Number));
        let s = BlockSchema::default().block(
            "ingress",
            NestedBlockSchema { nesting: Nesting::List, block: inner, min_items: 1, max_items: Some(1), force_new: false },
        );
        let p = validate_against_schema(&s, &Value::map([("ingress", Value::List(vec![]))]));
        assert_eq!(p[0].summary, "Insufficient ingress blocks");
        let two = Value::List(vec![Value::map([("port", Value::string("x"))]), Value::map([("port", Value::int(1))])]);
        let p = validate_against_schema(&s, &Value::map([("ingress", two)]));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].summary, "Too many ingress blocks");
        assert_eq!(path_to_string(&p[1].attr_path), "ingress[0].port");
    }

    #[test]
    fn closest_only_for_typos() {
        assert_eq!(closest("filenme", &["filename", "content"]), Some("filename"));
        assert_eq!(closest("zzz", &["filename", "content"]), None);
    }
}
