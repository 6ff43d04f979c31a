//! local provider: `local_file`, `null_resource` and `local_exec` with real
//! local effects, named like Terraform's `local` and `null` providers.
//!
//! Relative paths (`filename`, `working_dir`) are relative to the provider's
//! base directory (`LocalProvider::with_base_dir`; the engine passes the
//! configuration directory), never to wherever the process happens to run.
//! Architecture invariant: `schema`, `validate` and `plan_change` do no IO.

mod exec;
mod file;

use async_trait::async_trait;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::value::PathStep;
use contin_types::{Diagnostic, Diagnostics, Value};
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;

pub const LOCAL_FILE: &str = "local_file";
pub const NULL_RESOURCE: &str = "null_resource";
pub const LOCAL_EXEC: &str = "local_exec";

/// The `local` provider. Stateless: everything it knows is in the values it
/// is given, and the directory relative paths are resolved against.
#[derive(Debug, Default, Clone)]
pub struct LocalProvider {
    base_dir: std::path::PathBuf,
}

impl LocalProvider {
    /// Relative paths resolve against the process's current directory.
    pub fn new() -> Self {
        LocalProvider::default()
    }
    /// Relative `filename` / `working_dir` values resolve against `dir`.
    pub fn with_base_dir(dir: impl Into<std::path::PathBuf>) -> Self {
        LocalProvider { base_dir: dir.into() }
    }
    /// `v` with its path attribute `name` resolved against the base dir
    /// (`None`: nothing to change). Values recorded in state keep the path
    /// as configured; only the IO uses the resolved one.
    fn resolved(&self, v: &Value, name: &str) -> Option<Value> {
        let base = &self.base_dir;
        if base.as_os_str().is_empty() || base == std::path::Path::new(".") {
            return None;
        }
        match attr_str(v, name) {
            Some(p) if std::path::Path::new(p).is_absolute() => None,
            Some(p) => Some(with_attr(v.clone(), name, Value::string(base.join(p).display().to_string()))),
            // local_exec without working_dir runs in the base dir.
            None if name == "working_dir" => Some(with_attr(v.clone(), name, Value::string(base.display().to_string()))),
            None => None,
        }
    }
    /// Runs `op` on `v` with `name` resolved, then puts the configured value back.
    async fn at_base<F, Fut>(&self, v: &Value, name: &str, op: F) -> Result<Value, ProviderError>
    where
        F: FnOnce(Value) -> Fut,
        Fut: std::future::Future<Output = Result<Value, ProviderError>>,
    {
        match self.resolved(v, name) {
            None => op(v.clone()).await,
            Some(r) => {
                let original = attr(v, name).cloned().unwrap_or(Value::Null);
                op(r).await.map(|out| with_attr(out, name, original))
            }
        }
    }
    /// Resource types this provider serves (`null_resource` has no `local_` prefix).
    pub fn resource_types() -> &'static [&'static str] {
        &[LOCAL_FILE, NULL_RESOURCE, LOCAL_EXEC]
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
static FILE_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(file::resource_schema);
static NULL_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(null_schema);
static EXEC_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(exec::schema);

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
        s.resources.insert(LOCAL_FILE.into(), file::resource_schema());
        s.resources.insert(NULL_RESOURCE.into(), null_schema());
        s.resources.insert(LOCAL_EXEC.into(), exec::schema());
        s.data_sources.insert(LOCAL_FILE.into(), file::data_schema());
        s
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        match ty {
            LOCAL_FILE => file::validate(cfg),
            _ => Diagnostics::new(),
        }
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        match ty {
            LOCAL_FILE => plan_change_from_schema(&FILE_SCHEMA, prior, &file::with_defaults(desired)),
            NULL_RESOURCE => plan_change_from_schema(&NULL_SCHEMA, prior, desired),
            LOCAL_EXEC => plan_change_from_schema(&EXEC_SCHEMA, prior, desired),
            _ => PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            },
        }
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        match ty {
            LOCAL_FILE => match self.resolved(state, "filename") {
                None => file::read(state).await,
                Some(r) => {
                    let original = attr(state, "filename").cloned().unwrap_or(Value::Null);
                    file::read(&r).await.map(|o| o.map(|v| with_attr(v, "filename", original)))
                }
            },
            // State is the truth for these.
            NULL_RESOURCE | LOCAL_EXEC => Ok(Some(state.clone())),
            _ => Err(unsupported(ty)),
        }
    }

    async fn create(&self, ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        match ty {
            LOCAL_FILE => self.at_base(planned, "filename", |v| async move { file::create(&v).await }).await,
            NULL_RESOURCE => Ok(with_attr(planned.clone(), "id", Value::String(random_id()))),
            LOCAL_EXEC => self.at_base(planned, "working_dir", |v| async move { exec::create(&v).await }).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn update(&self, ty: &str, _prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        match ty {
            // Every configurable local_file/null_resource attribute forces
            // replacement; local_exec's in-place attributes only matter for
            // the destroy command, so the planned value is the new state.
            LOCAL_FILE | NULL_RESOURCE | LOCAL_EXEC => Ok(planned.clone()),
            _ => Err(unsupported(ty)),
        }
    }

    async fn delete(&self, ty: &str, prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        match ty {
            LOCAL_FILE => file::delete(&self.resolved(prior, "filename").unwrap_or_else(|| prior.clone())).await,
            NULL_RESOURCE => Ok(()),
            LOCAL_EXEC => exec::delete(&self.resolved(prior, "working_dir").unwrap_or_else(|| prior.clone())).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        match ty {
            LOCAL_FILE => self.at_base(cfg, "filename", |v| async move { file::read_data(&v).await }).await,
            _ => Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() }),
        }
    }
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

#[cfg(test)]
mod tests;
