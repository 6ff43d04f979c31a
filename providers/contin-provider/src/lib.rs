//! The `Provider` trait every resource plugin implements, its schema types,
//! a schema-driven default diff (`plan_change_from_schema`) and the shared
//! conformance suite (`conformance`). Architecture invariant: the trait's
//! pure methods (`schema`, `validate`, `plan_change`) do no IO.

pub mod conformance;
pub mod schema;
pub mod validate;

use async_trait::async_trait;
use contin_types::value::ValuePath;
use contin_types::{Diagnostics, ResourceAddr, Value};
pub use schema::{
    plan_change_from_schema, sensitive_paths, AttrSchema, AttrType, BlockSchema, Nesting, NestedBlockSchema, ProviderSchema,
};
pub use validate::{coerce_to_schema, validate_against_schema, SchemaProblem};

/// Context of one mutating call: who it is for, so providers can derive
/// idempotency tokens (lineage, address, generation) and name the resource in errors.
#[derive(Clone, Debug)]
pub struct OpContext {
    pub address: ResourceAddr,
    pub lineage: String,
    /// Increases each time this address is (re)created.
    pub generation: u64,
}

/// What the provider plans for one resource instance. Pure.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedChange {
    /// Desired values with computed attributes filled in: prior value when it
    /// stays, `Value::Unknown` when only known after apply.
    pub planned: Value,
    /// Attribute paths whose change forces replacement (non-empty = replace).
    pub requires_replace: Vec<ValuePath>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ProviderError {
    /// The remote API refused the call; `code` is the API's own error code.
    #[error("{code}: {message}")]
    Api { code: String, message: String },
    /// The configuration cannot work (bad attribute value, …).
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("unsupported {kind} type {ty:?}")]
    UnsupportedType { kind: &'static str, ty: String },
    #[error("provider is not configured: {0}")]
    NotConfigured(String),
    /// The remote object could not be reached (host down, network partition).
    /// During refresh this is a warning: the prior state is kept, never deleted.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The operation failed part-way (e.g. one of several hosts failed to
    /// install). `value` describes what exists now and is recorded in state
    /// so the next plan converges only what is missing; the apply still fails.
    #[error("{message}")]
    Partial { value: Box<Value>, message: String },
    #[error("{0}")]
    Failed(String),
}

/// A resource plugin. Values passed in carry no sensitive marks unless the
/// provider asks for them (`receives_sensitive_marks`); the planner marks
/// attributes the schema calls sensitive. A returned value may mark a
/// computed attribute sensitive (`Value::Sensitive`, e.g. the output of a
/// command built from a secret): `sensitive_paths` reports such marks, so
/// state and plans keep them.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Provider name as used in configs (`local`, `aws`, `fake`).
    fn name(&self) -> &str;
    fn schema(&self) -> ProviderSchema;
    /// True when `validate`, `create`, `update`, `delete`, `read` and `read_data` want the
    /// values they receive to carry the sensitive marks of the configuration
    /// and of state (`Value::Sensitive` at each sensitive path, as
    /// `Value::mark_paths` applies them), so they can keep secrets out of
    /// their errors and mark what they derive from them. Such a provider
    /// reads attributes through `Value::attr`/`unmarked`. Default: plain values.
    fn receives_sensitive_marks(&self) -> bool {
        false
    }
    /// Receives the evaluated `provider "NAME" { … }` block (an empty map when absent).
    async fn configure(&self, cfg: Value) -> Result<(), Diagnostics>;
    /// Checks a resource's evaluated configuration beyond what the schema expresses.
    /// A diagnostic whose summary starts with an argument path
    /// (`cidr_block: …`, `ingress[0].to_port: …`) is shown at that argument.
    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        let _ = (ty, cfg);
        Diagnostics::new()
    }
    /// Pure diff of one instance; the default follows the schema.
    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        let schema = self.schema();
        match schema.resources.get(ty) {
            Some(block) => schema::plan_change_from_schema(block, prior, desired),
            None => PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: contin_types::Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            },
        }
    }
    /// Current remote value; `None` when the object is gone.
    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError>;
    async fn create(&self, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError>;
    async fn update(&self, ty: &str, prior: &Value, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError>;
    async fn delete(&self, ty: &str, prior: &Value, ctx: &OpContext) -> Result<(), ProviderError>;
    /// Reads an existing object by its remote id into a state value.
    async fn import(&self, ty: &str, id: &str) -> Result<Value, ProviderError> {
        let _ = id;
        Err(ProviderError::UnsupportedType { kind: "importable resource", ty: ty.to_string() })
    }
    /// Evaluates a data source.
    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        let _ = cfg;
        Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() })
    }
}

/// The provider serving resource (or, with `data`, data source) type `ty`:
/// the one named by the type's prefix (`aws_vpc` → `aws`) when its schema
/// has the type, else the first whose schema lists it (`null_resource` →
/// `local`). Builds schemas: call once per type, not per instance.
pub fn provider_for_type<'a>(
    providers: &'a std::collections::BTreeMap<String, std::sync::Arc<dyn Provider>>,
    ty: &str,
    data: bool,
) -> Option<&'a std::sync::Arc<dyn Provider>> {
    let serves = |p: &std::sync::Arc<dyn Provider>| {
        let s = p.schema();
        if data { s.data_sources.contains_key(ty) } else { s.resources.contains_key(ty) }
    };
    let prefix = ty.split('_').next().unwrap_or(ty);
    providers.get(prefix).filter(|p| serves(p)).or_else(|| providers.values().find(|p| serves(p)))
}
