//! The provider conformance suite: checks every provider crate runs from its
//! tests against real (or faked) remote objects.
//!
//! ```ignore
//! let p = LocalProvider::default();
//! p.configure(Value::map::<&str>([])).await?;
//! conformance::run(&p, &LifecycleCase::new("local_file", create_cfg, update_cfg)).await.unwrap_or_else(|e| panic!("{e}"));
//! ```
//!
//! Each check returns the first failure with the step it happened in, so a
//! failing provider test names what broke.

use crate::schema::{BlockSchema, Nesting};
use crate::validate::{coerce_to_schema, validate_against_schema};
use crate::{OpContext, PlannedChange, Provider};
use contin_types::value::{path_to_string, PathStep, ValuePath};
use contin_types::{ResourceAddr, Value};
use std::fmt;

/// One failed conformance check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConformanceFailure {
    /// The step (`schema`, `plan create`, `read after create`, …).
    pub step: String,
    pub message: String,
}

impl fmt::Display for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conformance step {:?} failed: {}", self.step, self.message)
    }
}

impl std::error::Error for ConformanceFailure {}

fn fail<T>(step: &str, message: impl Into<String>) -> Result<T, ConformanceFailure> {
    Err(ConformanceFailure { step: step.to_string(), message: message.into() })
}

/// A resource type with two configurations: `create` and `update` (which may
/// change force-new attributes, then the suite replaces instead of updating).
#[derive(Clone, Debug)]
pub struct LifecycleCase {
    pub ty: String,
    pub create: Value,
    pub update: Value,
    /// The object lives only in state (`null_resource`): `read` returns the
    /// state and cannot observe a deletion, so "read after delete → None" is
    /// skipped, and computed attributes may be known at plan time.
    pub state_only: bool,
}

impl LifecycleCase {
    pub fn new(ty: impl Into<String>, create: Value, update: Value) -> Self {
        LifecycleCase { ty: ty.into(), create, update, state_only: false }
    }
    /// Marks the case as a state-only resource (see `state_only`).
    pub fn state_only(mut self) -> Self {
        self.state_only = true;
        self
    }
}

/// Schema sanity and the full lifecycle of one case. The provider must already be configured.
pub async fn run(provider: &dyn Provider, case: &LifecycleCase) -> Result<(), ConformanceFailure> {
    check_schema(provider)?;
    check_lifecycle(provider, case).await
}

/// Every attribute has exactly one shape (required | optional | optional+computed |
/// computed-only), force-new attributes are configurable, nested block bounds make
/// sense, and the provider has a name.
pub fn check_schema(provider: &dyn Provider) -> Result<(), ConformanceFailure> {
    if provider.name().is_empty() {
        return fail("schema", "provider name is empty");
    }
    let schema = provider.schema();
    check_block("provider config", &schema.config)?;
    for (ty, b) in &schema.resources {
        check_block(ty, b)?;
    }
    for (ty, b) in &schema.data_sources {
        check_block(&format!("data {ty}"), b)?;
    }
    Ok(())
}

fn check_block(owner: &str, block: &BlockSchema) -> Result<(), ConformanceFailure> {
    for (name, a) in &block.attributes {
        let shape_ok = matches!((a.required, a.optional, a.computed), (true, false, false) | (false, true, _) | (false, false, true));
        if !shape_ok {
            return fail(
                "schema",
                format!(
                    "{owner}.{name}: must be exactly one of required, optional, optional+computed or computed (required={}, optional={}, computed={})",
                    a.required, a.optional, a.computed
                ),
            );
        }
        if a.force_new && a.is_computed_only() {
            return fail("schema", format!("{owner}.{name}: a computed-only attribute cannot be force_new"));
        }
        if block.blocks.contains_key(name) {
            return fail("schema", format!("{owner}.{name}: is both an attribute and a nested block"));
        }
    }
    for (name, nb) in &block.blocks {
        if let Some(max) = nb.max_items {
            if max < nb.min_items {
                return fail("schema", format!("{owner}.{name}: max_items {max} < min_items {}", nb.min_items));
            }
        }
        if nb.nesting == Nesting::Single && nb.max_items.is_some_and(|m| m > 1) {
            return fail("schema", format!("{owner}.{name}: a single block cannot allow more than one item"));
        }
        check_block(&format!("{owner}.{name}"), &nb.block)?;
    }
    Ok(())
}

fn ctx(ty: &str, generation: u64) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, "conformance"), lineage: "conformance-lineage".into(), generation }
}

fn key(name: &str) -> ValuePath {
    vec![PathStep::Key(name.to_string())]
}

/// Validates, coerces and plans a configuration the way the planner does.
fn plan(provider: &dyn Provider, block: &BlockSchema, step: &str, ty: &str, prior: Option<&Value>, cfg: &Value) -> Result<PlannedChange, ConformanceFailure> {
    let problems = validate_against_schema(block, cfg);
    if !problems.is_empty() {
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return fail(step, format!("configuration does not match the schema: {}", all.join("; ")));
    }
    let diags = provider.validate(ty, cfg);
    if diags.has_errors() {
        return fail(step, format!("validate reported errors: {}", diags.to_string().trim()));
    }
    let cfg = match coerce_to_schema(block, cfg) {
        Ok(c) => c,
        Err(p) => return fail(step, format!("coerce_to_schema failed: {}", p.first().map(ToString::to_string).unwrap_or_default())),
    };
    let change = provider.plan_change(ty, prior, &cfg);
    if change.diagnostics.has_errors() {
        return fail(step, format!("plan_change reported errors: {}", change.diagnostics.to_string().trim()));
    }
    if change.planned.contains_sensitive() {
        return fail(step, "planned value carries sensitive marks");
    }
    let Value::Map(m) = &change.planned else {
        return fail(step, format!("planned value is not an object but {}", change.planned.type_name()));
    };
    for name in block.attributes.keys().chain(block.blocks.keys()) {
        if !m.contains_key(name) {
            return fail(step, format!("planned value lacks schema attribute {name:?}"));
        }
    }
    Ok(change)
}

/// The attributes of `applied` that are not wholly known, or a schema attribute it lacks.
fn check_applied(block: &BlockSchema, step: &str, planned: &Value, applied: &Value) -> Result<(), ConformanceFailure> {
    if applied.contains_sensitive() {
        return fail(step, "returned value carries sensitive marks");
    }
    for (name, a) in &block.attributes {
        let Some(v) = applied.get_path(&key(name)) else {
            return fail(step, format!("returned value lacks attribute {name:?}"));
        };
        if !v.is_wholly_known() {
            return fail(step, format!("attribute {name:?} is still unknown after apply"));
        }
        if name == "id" && a.computed && v.is_null() {
            return fail(step, "computed attribute \"id\" is null after apply");
        }
        // What was known at plan time must be what was applied.
        if let Some(p) = planned.get_path(&key(name)) {
            if p.is_wholly_known() && !crate::schema::values_equal(p, v) {
                return fail(step, format!("attribute {name:?} was planned as {p:?} but the provider returned {v:?}"));
            }
        }
    }
    Ok(())
}

/// plan → create → read → no-op plan → update or replace → read → delete → read
/// → delete again.
pub async fn check_lifecycle(provider: &dyn Provider, case: &LifecycleCase) -> Result<(), ConformanceFailure> {
    let ty = case.ty.as_str();
    let schema = provider.schema();
    let Some(block) = schema.resources.get(ty) else {
        return fail("schema", format!("provider {} has no resource type {ty:?}", provider.name()));
    };

    // Create.
    let change = plan(provider, block, "plan create", ty, None, &case.create)?;
    if !change.requires_replace.is_empty() {
        return fail("plan create", "a create must not list requires_replace paths");
    }
    // A state-only object (a record such as `edge_site`) may compute
    // everything at plan; `check_applied` still holds create to the plan.
    for (name, a) in &block.attributes {
        if a.is_computed_only() && !case.state_only && change.planned.get_path(&key(name)) != Some(&Value::Unknown) {
            return fail("plan create", format!("computed attribute {name:?} should be unknown before create"));
        }
    }
    let created = match provider.create(ty, &change.planned, &ctx(ty, 1)).await {
        Ok(v) => v,
        Err(e) => return fail("create", e.to_string()),
    };
    check_applied(block, "create", &change.planned, &created)?;

    // No spurious drift.
    match provider.read(ty, &created).await {
        Ok(Some(v)) if v == created => {}
        Ok(Some(v)) => return fail("read after create", format!("read returned {v:?}, create returned {created:?}")),
        Ok(None) => return fail("read after create", "read says the object is gone"),
        Err(e) => return fail("read after create", e.to_string()),
    }

    // Same configuration: nothing to do.
    let noop = plan(provider, block, "plan unchanged", ty, Some(&created), &case.create)?;
    if !noop.requires_replace.is_empty() {
        let paths: Vec<String> = noop.requires_replace.iter().map(|p| path_to_string(p)).collect();
        return fail("plan unchanged", format!("unchanged configuration requires replacement of {}", paths.join(", ")));
    }
    if noop.planned != created {
        return fail("plan unchanged", format!("planned {:?} differs from state {created:?}", noop.planned));
    }

    // Update in place, or replace when a force-new attribute changed.
    let change = plan(provider, block, "plan update", ty, Some(&created), &case.update)?;
    let (current, step) = if change.requires_replace.is_empty() {
        match provider.update(ty, &created, &change.planned, &ctx(ty, 1)).await {
            Ok(v) => (v, "update"),
            Err(e) => return fail("update", e.to_string()),
        }
    } else {
        if let Err(e) = provider.delete(ty, &created, &ctx(ty, 1)).await {
            return fail("replace: delete", e.to_string());
        }
        match provider.create(ty, &change.planned, &ctx(ty, 2)).await {
            Ok(v) => (v, "replace: create"),
            Err(e) => return fail("replace: create", e.to_string()),
        }
    };
    check_applied(block, step, &change.planned, &current)?;
    match provider.read(ty, &current).await {
        Ok(Some(v)) if v == current => {}
        Ok(Some(v)) => return fail("read after update", format!("read returned {v:?}, {step} returned {current:?}")),
        Ok(None) => return fail("read after update", "read says the object is gone"),
        Err(e) => return fail("read after update", e.to_string()),
    }
    let noop = plan(provider, block, "plan after update", ty, Some(&current), &case.update)?;
    if !noop.requires_replace.is_empty() || noop.planned != current {
        return fail("plan after update", format!("expected no changes, planned {:?} against {current:?}", noop.planned));
    }

    // Delete, and delete again: already gone is not an error.
    if let Err(e) = provider.delete(ty, &current, &ctx(ty, 2)).await {
        return fail("delete", e.to_string());
    }
    match provider.read(ty, &current).await {
        Ok(None) => {}
        Ok(Some(_)) if case.state_only => {}
        Ok(Some(v)) => return fail("read after delete", format!("object still exists: {v:?}")),
        Err(e) => return fail("read after delete", e.to_string()),
    }
    if let Err(e) = provider.delete(ty, &current, &ctx(ty, 2)).await {
        return fail("delete twice", format!("deleting a gone object must succeed: {e}"));
    }
    Ok(())
}

/// Reads a data source and checks every schema attribute comes back known.
pub async fn check_data_source(provider: &dyn Provider, ty: &str, cfg: &Value) -> Result<Value, ConformanceFailure> {
    let schema = provider.schema();
    let Some(block) = schema.data_sources.get(ty) else {
        return fail("schema", format!("provider {} has no data source {ty:?}", provider.name()));
    };
    if let Some(p) = validate_against_schema(block, cfg).first() {
        return fail("data validate", p.to_string());
    }
    let v = match provider.read_data(ty, cfg).await {
        Ok(v) => v,
        Err(e) => return fail("read data", e.to_string()),
    };
    for name in block.attributes.keys() {
        match v.get_path(&key(name)) {
            None => return fail("read data", format!("result lacks attribute {name:?}")),
            Some(x) if !x.is_wholly_known() => return fail("read data", format!("attribute {name:?} is unknown")),
            Some(_) => {}
        }
    }
    Ok(v)
}
