//! Schema types describing a provider's resources, and the default
//! schema-driven diff.

use crate::PlannedChange;
use contin_types::value::{PathStep, ValuePath};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    Any,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrSchema {
    pub ty: AttrType,
    pub required: bool,
    pub optional: bool,
    /// Set by the provider (alone, or as a default when `optional` too).
    pub computed: bool,
    /// A change to this attribute forces replacement.
    pub force_new: bool,
    pub sensitive: bool,
    pub description: &'static str,
}

impl AttrSchema {
    fn new(ty: AttrType) -> Self {
        AttrSchema { ty, required: false, optional: false, computed: false, force_new: false, sensitive: false, description: "" }
    }
    pub fn required(ty: AttrType) -> Self {
        AttrSchema { required: true, ..Self::new(ty) }
    }
    pub fn optional(ty: AttrType) -> Self {
        AttrSchema { optional: true, ..Self::new(ty) }
    }
    pub fn computed(ty: AttrType) -> Self {
        AttrSchema { computed: true, ..Self::new(ty) }
    }
    pub fn optional_computed(ty: AttrType) -> Self {
        AttrSchema { optional: true, computed: true, ..Self::new(ty) }
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NestedBlockSchema {
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub force_new: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttrSchema>,
    pub blocks: BTreeMap<String, NestedBlockSchema>,
}

impl BlockSchema {
    pub fn attr(mut self, name: &str, a: AttrSchema) -> Self {
        self.attributes.insert(name.to_string(), a);
        self
    }
    pub fn block(mut self, name: &str, b: NestedBlockSchema) -> Self {
        self.blocks.insert(name.to_string(), b);
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProviderSchema {
    /// Attributes of the `provider "NAME" {}` block.
    pub config: BlockSchema,
    pub resources: BTreeMap<String, BlockSchema>,
    pub data_sources: BTreeMap<String, BlockSchema>,
}

impl AttrSchema {
    /// Set by the provider only: may not appear in configuration.
    pub fn is_computed_only(&self) -> bool {
        self.computed && !self.optional && !self.required
    }
}

impl BlockSchema {
    /// Names of every attribute and nested block, sorted (for "valid names are …" messages).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.attributes.keys().chain(self.blocks.keys()).map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// Paths inside `value` (a value of `block`) of every present, non-null
/// attribute the schema calls sensitive, list/set block elements indexed; for
/// marking state and plans. A null holds no secret: marking it would print
/// "(sensitive value)" for an attribute that is simply not set.
///
/// Paths the value itself marks sensitive (`Value::Sensitive`, e.g. a
/// computed attribute a provider derived from a secret) are included too, so
/// a provider's marks survive into state.
pub fn sensitive_paths(block: &BlockSchema, value: &Value) -> Vec<ValuePath> {
    let mut out = Vec::new();
    sensitive_rec(block, value, &mut Vec::new(), &mut out);
    if value.contains_sensitive() {
        marked_rec(value, &mut Vec::new(), &mut out);
    }
    out
}

/// Paths of the non-null values marked `Value::Sensitive` (outermost marks only).
fn marked_rec(value: &Value, path: &mut ValuePath, out: &mut Vec<ValuePath>) {
    match value {
        Value::Sensitive(inner) if !inner.unmarked().is_null() && !out.contains(path) => out.push(path.clone()),
        Value::List(items) | Value::Set(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                marked_rec(item, path, out);
                path.pop();
            }
        }
        Value::Map(m) => {
            for (k, v) in m {
                path.push(PathStep::Key(k.clone()));
                marked_rec(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn sensitive_rec(block: &BlockSchema, value: &Value, path: &mut ValuePath, out: &mut Vec<ValuePath>) {
    let Value::Map(m) = value.unmarked() else { return };
    for (name, a) in &block.attributes {
        if a.sensitive && m.get(name).is_some_and(|v| !v.is_null()) {
            let mut p = path.clone();
            p.push(PathStep::Key(name.clone()));
            out.push(p);
        }
    }
    for (name, nb) in &block.blocks {
        let Some(v) = m.get(name) else { continue };
        path.push(PathStep::Key(name.clone()));
        match (nb.nesting, v.unmarked()) {
            (Nesting::Single, v) => sensitive_rec(&nb.block, v, path, out),
            (_, Value::List(items) | Value::Set(items)) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(PathStep::Index(i));
                    sensitive_rec(&nb.block, item, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
        path.pop();
    }
}

/// The default diff: keeps prior computed values, marks computed-only
/// attributes unknown on create, lists force-new attributes that changed.
///
/// `desired` is the evaluated configuration (a map; absent optional
/// attributes may be missing or null). The result has every schema attribute
/// present, carries no sensitive marks, and is replaced (computed attributes
/// unknown) when `prior` is `None` or a force-new path changed.
pub fn plan_change_from_schema(block: &BlockSchema, prior: Option<&Value>, desired: &Value) -> PlannedChange {
    let mut diagnostics = Diagnostics::new();
    let (desired_plain, _) = desired.unmark_deep();
    let prior_plain = prior.map(|p| p.unmark_deep().0);
    let desired_plain = match desired_plain {
        Value::Map(_) | Value::Unknown => coerce_lenient(block, desired_plain),
        Value::Null => Value::Map(BTreeMap::new()),
        other => {
            diagnostics.push(
                Diagnostic::error("Invalid resource configuration")
                    .with_detail(format!("expected an object of attributes, got {}", other.type_name())),
            );
            Value::Map(BTreeMap::new())
        }
    };

    let Some(prior_v) = prior_plain.as_ref().filter(|p| !p.is_null()) else {
        let planned = plan_block(block, None, &desired_plain);
        return PlannedChange { planned, requires_replace: Vec::new(), diagnostics };
    };

    // Plan as if the object stays, then see whether a force-new path moved.
    let kept = plan_block(block, Some(prior_v), &desired_plain);
    let mut requires_replace = Vec::new();
    collect_replace_paths(block, &kept, prior_v, &mut Vec::new(), &mut requires_replace);
    if requires_replace.is_empty() {
        PlannedChange { planned: kept, requires_replace, diagnostics }
    } else {
        let planned = plan_block(block, None, &desired_plain);
        PlannedChange { planned, requires_replace, diagnostics }
    }
}

/// Applies `coerce_to_schema` when it succeeds; otherwise keeps the value
/// (validation reports the problem; planning must not fail on it).
fn coerce_lenient(block: &BlockSchema, v: Value) -> Value {
    match crate::validate::coerce_to_schema(block, &v) {
        Ok(c) => c,
        Err(_) => v,
    }
}

fn get_attr<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    match v {
        Some(Value::Map(m)) => m.get(name),
        _ => None,
    }
}

/// Plans one block body. `prior = None` means the object is (re)created.
fn plan_block(block: &BlockSchema, prior: Option<&Value>, desired: &Value) -> Value {
    let whole_unknown = desired.is_unknown();
    let mut out = BTreeMap::new();
    for (name, attr) in &block.attributes {
        let d = if whole_unknown { Some(&Value::Unknown) } else { get_attr(Some(desired), name) };
        let d_set = d.filter(|v| !v.is_null());
        let p = get_attr(prior, name);
        let v = if attr.is_computed_only() {
            match prior {
                Some(_) => p.cloned().unwrap_or(Value::Null),
                None => Value::Unknown,
            }
        } else if attr.computed {
            match (d_set, prior) {
                (Some(d), _) => d.clone(),
                (None, Some(_)) => p.cloned().unwrap_or(Value::Null),
                (None, None) => Value::Unknown,
            }
        } else {
            d_set.cloned().unwrap_or(Value::Null)
        };
        out.insert(name.clone(), v);
    }
    for (name, nb) in &block.blocks {
        let d = if whole_unknown { Some(&Value::Unknown) } else { get_attr(Some(desired), name) };
        let p = get_attr(prior, name);
        out.insert(name.clone(), plan_nested(nb, prior.map(|_| p.unwrap_or(&Value::Null)), d.unwrap_or(&Value::Null)));
    }
    Value::Map(out)
}

fn plan_nested(nb: &NestedBlockSchema, prior: Option<&Value>, desired: &Value) -> Value {
    match (nb.nesting, desired) {
        (_, Value::Unknown) => Value::Unknown,
        (Nesting::Single, Value::Null) => Value::Null,
        (Nesting::Single, d) => plan_block(&nb.block, prior.filter(|p| !p.is_null()), d),
        (Nesting::List, d) => {
            let items = block_items(d);
            let prior_items = prior.map(block_items).unwrap_or_default();
            Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| plan_block(&nb.block, prior.and(prior_items.get(i).copied()), item))
                    .collect(),
            )
        }
        (Nesting::Set, d) => {
            let items = block_items(d);
            let prior_items = prior.map(block_items).unwrap_or_default();
            Value::set(
                items
                    .iter()
                    .map(|item| {
                        // Set elements have no identity but their configuration:
                        // the prior element whose configurable attributes match.
                        let matched = prior.and(prior_items.iter().copied().find(|p| config_part_eq(&nb.block, p, item)));
                        plan_block(&nb.block, matched, item)
                    })
                    .collect(),
            )
        }
    }
}

fn block_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::List(items) | Value::Set(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// True when every configurable attribute of `block` is equal in both (null = absent).
fn config_part_eq(block: &BlockSchema, a: &Value, b: &Value) -> bool {
    block.attributes.iter().filter(|(_, s)| !s.is_computed_only()).all(|(n, s)| {
        let av = get_attr(Some(a), n).filter(|v| !v.is_null());
        let bv = get_attr(Some(b), n).filter(|v| !v.is_null());
        // An optional+computed attribute absent from config keeps the prior value.
        (s.computed && bv.is_none()) || av == bv
    })
}

/// A planned value differs from the prior one: unknown counts as a change.
fn changed(planned: Option<&Value>, prior: Option<&Value>) -> bool {
    let planned = planned.unwrap_or(&Value::Null);
    let prior = prior.unwrap_or(&Value::Null);
    !planned.is_wholly_known() || !values_equal(planned, prior)
}

/// Equality where an absent/null value equals null and numbers compare by value.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::Map(x), Value::Map(y)) => {
            x.iter().all(|(k, v)| values_equal(v, y.get(k).unwrap_or(&Value::Null)))
                && y.iter().all(|(k, v)| x.contains_key(k) || v.is_null())
        }
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        (x, y) => x == y,
    }
}

fn collect_replace_paths(block: &BlockSchema, planned: &Value, prior: &Value, path: &mut ValuePath, out: &mut Vec<ValuePath>) {
    for (name, attr) in &block.attributes {
        if attr.force_new && changed(get_attr(Some(planned), name), get_attr(Some(prior), name)) {
            let mut p = path.clone();
            p.push(PathStep::Key(name.clone()));
            out.push(p);
        }
    }
    for (name, nb) in &block.blocks {
        let pl = get_attr(Some(planned), name).unwrap_or(&Value::Null);
        let pr = get_attr(Some(prior), name).unwrap_or(&Value::Null);
        path.push(PathStep::Key(name.clone()));
        if nb.force_new {
            if changed(Some(pl), Some(pr)) {
                out.push(path.clone());
            }
        } else {
            match nb.nesting {
                Nesting::Single => {
                    if !pl.is_null() || !pr.is_null() {
                        collect_replace_paths(&nb.block, pl, pr, path, out);
                    }
                }
                Nesting::List => {
                    let (a, b) = (block_items(pl), block_items(pr));
                    for i in 0..a.len().max(b.len()) {
                        path.push(PathStep::Index(i));
                        collect_replace_paths(&nb.block, a.get(i).copied().unwrap_or(&Value::Null), b.get(i).copied().unwrap_or(&Value::Null), path, out);
                        path.pop();
                    }
                }
                Nesting::Set => {
                    // Elements have no stable index: any change to a set whose
                    // elements hold force-new attributes replaces via the block.
                    if has_force_new(&nb.block) && changed(Some(pl), Some(pr)) {
                        out.push(path.clone());
                    }
                }
            }
        }
        path.pop();
    }
}

fn has_force_new(block: &BlockSchema) -> bool {
    block.attributes.values().any(|a| a.force_new) || block.blocks.values().any(|b| b.force_new || has_force_new(&b.block))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttrType as T;

    fn k(s: &str) -> PathStep {
        PathStep::Key(s.into())
    }

    fn schema() -> BlockSchema {
        BlockSchema::default()
            .attr("name", AttrSchema::required(T::String).force_new())
            .attr("size", AttrSchema::optional(T::Number))
            .attr("mode", AttrSchema::optional_computed(T::String).force_new())
            .attr("tags", AttrSchema::optional(T::Map(Box::new(T::String))))
            .attr("secret", AttrSchema::optional(T::String).sensitive())
            .attr("id", AttrSchema::computed(T::String))
            .attr("arn", AttrSchema::computed(T::String))
            .block(
                "disk",
                NestedBlockSchema {
                    nesting: Nesting::List,
                    block: BlockSchema::default()
                        .attr("size", AttrSchema::required(T::Number).force_new())
                        .attr("label", AttrSchema::optional(T::String))
                        .attr("disk_id", AttrSchema::computed(T::String)),
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                },
            )
    }

    fn prior() -> Value {
        Value::map([
            ("name", Value::string("a")),
            ("size", Value::int(1)),
            ("mode", Value::string("0644")),
            ("tags", Value::Null),
            ("secret", Value::Null),
            ("id", Value::string("i-1")),
            ("arn", Value::string("arn:1")),
            (
                "disk",
                Value::List(vec![Value::map([
                    ("size", Value::int(10)),
                    ("label", Value::Null),
                    ("disk_id", Value::string("d-1")),
                ])]),
            ),
        ])
    }

    fn desired() -> Value {
        Value::map([
            ("name", Value::string("a")),
            ("size", Value::int(1)),
            ("disk", Value::List(vec![Value::map([("size", Value::int(10))])])),
        ])
    }

    #[test]
    fn create_fills_every_attribute_and_unknown_computed() {
        let c = plan_change_from_schema(&schema(), None, &desired());
        assert!(c.requires_replace.is_empty());
        assert!(c.diagnostics.is_empty());
        let p = &c.planned;
        assert_eq!(p.get_path(&[k("id")]), Some(&Value::Unknown));
        assert_eq!(p.get_path(&[k("mode")]), Some(&Value::Unknown));
        assert_eq!(p.get_path(&[k("tags")]), Some(&Value::Null));
        assert_eq!(p.get_path(&[k("disk"), PathStep::Index(0), k("disk_id")]), Some(&Value::Unknown));
        assert_eq!(p.get_path(&[k("disk"), PathStep::Index(0), k("label")]), Some(&Value::Null));
    }

    #[test]
    fn same_config_is_a_noop() {
        let c = plan_change_from_schema(&schema(), Some(&prior()), &desired());
        assert!(c.requires_replace.is_empty());
        assert_eq!(c.planned, prior());
    }

    #[test]
    fn in_place_update_keeps_computed() {
        let mut d = desired();
        if let Value::Map(m) = &mut d {
            m.insert("size".into(), Value::int(2));
            m.insert("tags".into(), Value::map([("env", Value::string("prod"))]));
        }
        let c = plan_change_from_schema(&schema(), Some(&prior()), &d);
        assert!(c.requires_replace.is_empty());
        assert_eq!(c.planned.get_path(&[k("id")]), Some(&Value::string("i-1")));
        assert_eq!(c.planned.get_path(&[k("mode")]), Some(&Value::string("0644")));
        assert_eq!(c.planned.get_path(&[k("size")]), Some(&Value::int(2)));
    }

    #[test]
    fn force_new_change_replaces_and_unknowns_computed() {
        let mut d = desired();
        if let Value::Map(m) = &mut d {
            m.insert("name".into(), Value::string("b"));
            m.insert("mode".into(), Value::string("0600"));
        }
        let c = plan_change_from_schema(&schema(), Some(&prior()), &d);
        assert_eq!(c.requires_replace, vec![vec![k("mode")], vec![k("name")]]);
        assert_eq!(c.planned.get_path(&[k("id")]), Some(&Value::Unknown));
        assert_eq!(c.planned.get_path(&[k("mode")]), Some(&Value::string("0600")));
    }

    #[test]
    fn unknown_force_new_counts_as_change_and_passes_through() {
        let mut d = desired();
        if let Value::Map(m) = &mut d {
            m.insert("name".into(), Value::Unknown);
        }
        let c = plan_change_from_schema(&schema(), Some(&prior()), &d);
        assert_eq!(c.requires_replace, vec![vec![k("name")]]);
        assert_eq!(c.planned.get_path(&[k("name")]), Some(&Value::Unknown));
    }

    #[test]
    fn nested_force_new_path_is_indexed() {
        let mut d = desired();
        if let Value::Map(m) = &mut d {
            m.insert("disk".into(), Value::List(vec![Value::map([("size", Value::int(20))])]));
        }
        let c = plan_change_from_schema(&schema(), Some(&prior()), &d);
        assert_eq!(c.requires_replace, vec![vec![k("disk"), PathStep::Index(0), k("size")]]);
    }

    #[test]
    fn marks_are_dropped_and_numeric_strings_converted() {
        let mut d = desired();
        if let Value::Map(m) = &mut d {
            m.insert("secret".into(), Value::string("s").mark_sensitive());
            m.insert("size".into(), Value::string("1"));
        }
        let c = plan_change_from_schema(&schema(), Some(&prior()), &d);
        assert!(!c.planned.contains_sensitive());
        assert_eq!(c.planned.get_path(&[k("size")]), Some(&Value::int(1)));
        assert_eq!(c.planned.get_path(&[k("secret")]), Some(&Value::string("s")));
        assert_eq!(sensitive_paths(&schema(), &c.planned), vec![vec![k("secret")]]);
    }

    #[test]
    fn set_blocks_match_prior_elements_by_config() {
        let inner = BlockSchema::default()
            .attr("port", AttrSchema::required(T::Number))
            .attr("rule_id", AttrSchema::computed(T::String));
        let s = BlockSchema::default().block(
            "rule",
            NestedBlockSchema { nesting: Nesting::Set, block: inner, min_items: 0, max_items: None, force_new: false },
        );
        let prior = Value::map([(
            "rule",
            Value::set(vec![Value::map([("port", Value::int(22)), ("rule_id", Value::string("r-22"))])]),
        )]);
        let d = Value::map([(
            "rule",
            Value::List(vec![Value::map([("port", Value::int(22))]), Value::map([("port", Value::int(80))])]),
        )]);
        let c = plan_change_from_schema(&s, Some(&prior), &d);
        assert_eq!(
            c.planned,
            Value::map([(
                "rule",
                Value::set(vec![
                    Value::map([("port", Value::int(22)), ("rule_id", Value::string("r-22"))]),
                    Value::map([("port", Value::int(80)), ("rule_id", Value::Unknown)]),
                ])
            )])
        );
    }

    #[test]
    fn sensitive_paths_include_the_values_own_marks() {
        let v = Value::map([
            ("secret", Value::string("s")),
            ("id", Value::string("x").mark_sensitive()),
            ("tags", Value::map([("k", Value::string("t").mark_sensitive()), ("n", Value::Null.mark_sensitive())])),
        ]);
        let mut got = sensitive_paths(&schema(), &v);
        got.sort();
        assert_eq!(got, vec![vec![k("id")], vec![k("secret")], vec![k("tags"), k("k")]]);
    }
}
