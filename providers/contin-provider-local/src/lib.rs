//! local provider: `local_file`, `local_sensitive_file` (content
//! sensitive, default modes "0700"), `null_resource` and `local_exec` with
//! real local effects, named like Terraform's `local` and `null` providers.
//!
//! Relative paths (`filename`, `working_dir`) are resolved against the base
//! directory the provider is built with (`LocalProvider::new(dir)`: the
//! configuration directory), never the process's current directory; commands
//! run there unless `working_dir` says otherwise.
//!
//! Secrets: the provider asks for sensitive marks on the values it receives
//! (`receives_sensitive_marks`); a sensitive `filename` never appears in an
//! error, a failing `local_exec` with a sensitive input shows neither its
//! command nor its output, and its `output` comes back marked sensitive.
//! Architecture invariant: `schema`, `validate` and `plan_change` do no IO.

mod exec;
mod file;
pub mod remote_state;

use async_trait::async_trait;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::value::PathStep;
use contin_types::{Diagnostic, Diagnostics, Value};
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub const LOCAL_FILE: &str = "local_file";
pub const LOCAL_SENSITIVE_FILE: &str = "local_sensitive_file";
pub const NULL_RESOURCE: &str = "null_resource";
pub const LOCAL_EXEC: &str = "local_exec";
/// Terraform's built-in `terraform_data` (served here: contin has no `terraform` provider).
pub const TERRAFORM_DATA: &str = "terraform_data";

/// The `local` provider. Stateless: everything it knows is in the values it
/// is given, plus the directory relative paths are resolved against.
#[derive(Debug, Clone)]
pub struct LocalProvider {
    base_dir: PathBuf,
}

/// Resolves against the process's current directory (tests, tools).
impl Default for LocalProvider {
    fn default() -> Self {
        LocalProvider::new(std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
    }
}

impl LocalProvider {
    /// A provider resolving relative `filename`/`working_dir` against `base_dir`.
    pub fn new(base_dir: PathBuf) -> Self {
        LocalProvider { base_dir }
    }
    /// The directory relative paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }
    /// Resource types this provider serves (`null_resource` has no `local_` prefix).
    pub fn resource_types() -> &'static [&'static str] {
        &[LOCAL_FILE, NULL_RESOURCE, LOCAL_EXEC, TERRAFORM_DATA, LOCAL_SENSITIVE_FILE]
    }
}

pub(crate) fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get_path(&[PathStep::Key(name.to_string())]).filter(|v| !v.is_null())
}

pub(crate) fn attr_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    match attr(v, name).map(Value::unmarked) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

pub(crate) fn with_attr(mut v: Value, name: &str, x: Value) -> Value {
    if let Value::Map(m) = &mut v {
        m.insert(name.to_string(), x);
    }
    v
}

/// A random non-negative decimal id, like Terraform's `null_resource`.
pub(crate) fn random_id() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    (h.finish() >> 1).to_string()
}

// Built once: `plan_change` runs for every instance.
static FILE_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| file::resource_schema(file::LOCAL_FILE));
static SENSITIVE_FILE_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| file::resource_schema(file::LOCAL_SENSITIVE_FILE));
static NULL_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(null_schema);
static EXEC_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(exec::schema);
static DATA_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(terraform_data_schema);

/// `terraform_data`: `input` is stored and echoed as `output`;
/// `triggers_replace` changing replaces it (Terraform's built-in resource).
fn terraform_data_schema() -> BlockSchema {
    BlockSchema::default()
        .attr("input", AttrSchema::optional(AttrType::Any).describe("any value, copied to output"))
        .attr("output", AttrSchema::computed(AttrType::Any).describe("the input after apply"))
        .attr("triggers_replace", AttrSchema::optional(AttrType::Any).force_new().describe("a change replaces the resource"))
        .attr("id", AttrSchema::computed(AttrType::String))
}

/// `output` is unknown until apply when `input` is set and changes (null stays null).
fn terraform_data_plan(prior: Option<&Value>, desired: &Value) -> PlannedChange {
    let mut pc = plan_change_from_schema(&DATA_SCHEMA, prior, desired);
    let input = attr(&pc.planned, "input").cloned().unwrap_or(Value::Null);
    let replaced = prior.is_none() || !pc.requires_replace.is_empty();
    let changed = prior.is_some_and(|p| attr(p, "input").map(|v| v.unmark_deep().0) != attr(&pc.planned, "input").map(|v| v.unmark_deep().0));
    if replaced || changed {
        let output = if input.is_null() { Value::Null } else { Value::Unknown };
        pc.planned = with_attr(pc.planned, "output", output);
    }
    pc
}

fn null_schema() -> BlockSchema {
    BlockSchema::default()
        .attr(
            "triggers",
            AttrSchema::optional(AttrType::Map(Box::new(AttrType::String))).force_new().describe("a change replaces the resource"),
        )
        .attr("id", AttrSchema::computed(AttrType::String))
}

#[async_trait]
impl Provider for LocalProvider {
    fn name(&self) -> &str {
        "local"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert(LOCAL_FILE.into(), file::resource_schema(file::LOCAL_FILE));
        s.resources.insert(LOCAL_SENSITIVE_FILE.into(), file::resource_schema(file::LOCAL_SENSITIVE_FILE));
        s.resources.insert(NULL_RESOURCE.into(), null_schema());
        s.resources.insert(LOCAL_EXEC.into(), exec::schema());
        s.resources.insert(TERRAFORM_DATA.into(), terraform_data_schema());
        s.data_sources.insert(LOCAL_FILE.into(), file::data_schema(file::LOCAL_FILE));
        s.data_sources.insert(LOCAL_SENSITIVE_FILE.into(), file::data_schema(file::LOCAL_SENSITIVE_FILE));
        s.data_sources.insert(remote_state::TERRAFORM_REMOTE_STATE.into(), remote_state::schema());
        s
    }

    fn receives_sensitive_marks(&self) -> bool {
        true
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        match ty {
            LOCAL_FILE => file::validate(file::LOCAL_FILE, cfg),
            LOCAL_SENSITIVE_FILE => file::validate(file::LOCAL_SENSITIVE_FILE, cfg),
            _ => Diagnostics::new(),
        }
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        match ty {
            LOCAL_FILE => plan_change_from_schema(&FILE_SCHEMA, prior, &file::with_defaults(file::LOCAL_FILE, desired)),
            LOCAL_SENSITIVE_FILE => plan_change_from_schema(&SENSITIVE_FILE_SCHEMA, prior, &file::with_defaults(file::LOCAL_SENSITIVE_FILE, desired)),
            NULL_RESOURCE => plan_change_from_schema(&NULL_SCHEMA, prior, desired),
            LOCAL_EXEC => plan_change_from_schema(&EXEC_SCHEMA, prior, desired),
            TERRAFORM_DATA => terraform_data_plan(prior, desired),
            _ => PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            },
        }
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        match ty {
            LOCAL_FILE => file::read(file::LOCAL_FILE, state, &self.base_dir).await,
            LOCAL_SENSITIVE_FILE => file::read(file::LOCAL_SENSITIVE_FILE, state, &self.base_dir).await,
            // State is the truth for these.
            NULL_RESOURCE | LOCAL_EXEC | TERRAFORM_DATA => Ok(Some(state.clone())),
            _ => Err(unsupported(ty)),
        }
    }

    async fn create(&self, ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        match ty {
            LOCAL_FILE => file::create(file::LOCAL_FILE, planned, &self.base_dir).await,
            LOCAL_SENSITIVE_FILE => file::create(file::LOCAL_SENSITIVE_FILE, planned, &self.base_dir).await,
            NULL_RESOURCE => Ok(with_attr(planned.clone(), "id", Value::String(random_id()))),
            LOCAL_EXEC => exec::create(planned, &self.base_dir).await,
            TERRAFORM_DATA => {
                let output = attr(planned, "input").cloned().unwrap_or(Value::Null);
                Ok(with_attr(with_attr(planned.clone(), "id", Value::String(random_id())), "output", output))
            }
            _ => Err(unsupported(ty)),
        }
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        match ty {
            // Every configurable local_file/null_resource attribute forces
            // replacement: the planned value is the new state.
            LOCAL_FILE | LOCAL_SENSITIVE_FILE | NULL_RESOURCE => Ok(planned.clone()),
            LOCAL_EXEC => Ok(exec::update(prior, planned)),
            TERRAFORM_DATA => Ok(with_attr(planned.clone(), "output", attr(planned, "input").cloned().unwrap_or(Value::Null))),
            _ => Err(unsupported(ty)),
        }
    }

    async fn delete(&self, ty: &str, prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        match ty {
            LOCAL_FILE => file::delete(file::LOCAL_FILE, prior, &self.base_dir).await,
            LOCAL_SENSITIVE_FILE => file::delete(file::LOCAL_SENSITIVE_FILE, prior, &self.base_dir).await,
            NULL_RESOURCE | TERRAFORM_DATA => Ok(()),
            LOCAL_EXEC => exec::delete(prior, &self.base_dir).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        match ty {
            LOCAL_FILE => file::read_data(file::LOCAL_FILE, cfg, &self.base_dir).await,
            LOCAL_SENSITIVE_FILE => file::read_data(file::LOCAL_SENSITIVE_FILE, cfg, &self.base_dir).await,
            remote_state::TERRAFORM_REMOTE_STATE => remote_state::read(cfg, &self.base_dir).await,
            _ => Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() }),
        }
    }
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

#[cfg(test)]
mod tests;
