//! The `docker` provider, named like Terraform's `kreuzwerker/docker` 3.x:
//! `docker_image` (resource and data source) and `docker_container`, over the
//! Docker Engine API on a local unix socket (`client.rs`; podman's
//! compatible API works too).
//!
//! - Provider block: `host` (default `unix:///var/run/docker.sock`, or
//!   `DOCKER_HOST`); only `unix://` addresses, anything else is an error
//!   naming what is supported. `configure` never contacts the daemon: a
//!   missing daemon fails only the operation that needs it, naming the socket.
//! - `docker_image`: inspected, pulled only when absent, removed on destroy
//!   unless `keep_locally`. `id` is `image_id` + `name`, as in the provider.
//! - `docker_container`: created, started, read back by inspect (gone when
//!   the daemon has no such container, or when `must_run` and it stopped,
//!   as in the provider), stopped and force-removed on destroy. Most
//!   arguments force replacement; `restart`, `max_retry_count`, `memory`,
//!   `memory_swap` and `cpu_shares` are updated in place.
//! - Crash safety: a container carries labels `contin.lineage` and
//!   `contin.address`; a create that meets a same-named container carrying
//!   this resource's labels (a create whose state was lost) removes it and
//!   creates again; any other name conflict is an error.
//!
//! Architecture invariant: `schema`, `validate` and `plan_change` do no IO.

pub mod client;
mod container;
mod image;
pub mod schema;

use async_trait::async_trait;
use client::{CallError, Client};
use contin_provider::{OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::value::Number;
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The `docker` provider.
#[derive(Debug, Default)]
pub struct DockerProvider {
    host: Mutex<Option<String>>,
}

impl DockerProvider {
    pub fn new() -> Self {
        DockerProvider::default()
    }

    /// The client for the configured host (or DOCKER_HOST, or the default).
    fn client(&self) -> Result<Client, ProviderError> {
        let host = self.host.lock().map(|h| h.clone()).unwrap_or(None).unwrap_or_else(default_host);
        client::socket_path(&host).map(Client::new).map_err(ProviderError::Invalid)
    }
}

fn default_host() -> String {
    std::env::var("DOCKER_HOST").ok().filter(|h| !h.trim().is_empty()).unwrap_or_else(|| client::DEFAULT_HOST.to_string())
}

/// A daemon error as a provider error, naming what was asked for.
pub(crate) fn api_err(what: &str, e: CallError) -> ProviderError {
    match e {
        CallError::Connect(m) => ProviderError::Unreachable(format!("{what}: {m}")),
        CallError::Status { status, message } => ProviderError::Api { code: status.to_string(), message: format!("{what}: {message}") },
        CallError::Other(m) => ProviderError::Failed(format!("{what}: {m}")),
    }
}

pub(crate) fn unsupported(kind: &'static str, ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind, ty: ty.to_string() }
}

pub(crate) fn get_bool(v: &Value, name: &str) -> Option<bool> {
    match v.attr(name) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

pub(crate) fn get_int(v: &Value, name: &str) -> Option<i64> {
    match v.attr(name) {
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
}

pub(crate) fn get_strs(v: &Value, name: &str) -> Option<Vec<String>> {
    match v.attr(name) {
        Some(Value::List(items) | Value::Set(items)) => Some(items.iter().filter_map(|i| match i.unmarked() {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }).collect()),
        _ => None,
    }
}

pub(crate) fn set(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(name.to_string(), x);
    }
}

/// Sets `name` to `x` when the value leaves it out (null); an unknown stays.
pub(crate) fn default(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        if m.get(name).is_none_or(Value::is_null) {
            m.insert(name.to_string(), x);
        }
    }
}

pub(crate) fn int(i: i64) -> Value {
    Value::Number(Number::from_i64(i))
}

/// Blocks of a nested block value (list or set of objects).
pub(crate) fn blocks<'a>(v: &'a Value, name: &str) -> Vec<&'a Value> {
    match v.attr(name) {
        Some(Value::List(items) | Value::Set(items)) => items.iter().map(Value::unmarked).collect(),
        Some(m @ Value::Map(_)) => vec![m],
        _ => Vec::new(),
    }
}

#[async_trait]
impl Provider for DockerProvider {
    fn name(&self) -> &str {
        "docker"
    }

    fn schema(&self) -> ProviderSchema {
        schema::provider_schema()
    }

    async fn configure(&self, cfg: Value) -> Result<(), Diagnostics> {
        let host = match cfg.attr("host") {
            Some(Value::String(h)) => h.clone(),
            Some(Value::Unknown) | None => default_host(),
            Some(other) => return Err(Diagnostic::error(format!("provider \"docker\": host must be a string, got {}", other.type_name())).into()),
        };
        if let Err(e) = client::socket_path(&host) {
            return Err(Diagnostic::error(format!("provider \"docker\": {e}")).into());
        }
        if let Ok(mut h) = self.host.lock() {
            *h = Some(host);
        }
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        match ty {
            "docker_container" => container::validate(cfg),
            "docker_image" => image::validate(cfg),
            _ => Diagnostics::new(),
        }
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        let s = schema::provider_schema();
        let Some(block) = s.resources.get(ty) else {
            return PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            };
        };
        let mut d = desired.clone();
        if ty == "docker_container" {
            container::apply_defaults(&mut d);
        }
        // State comes back from JSON with sets as lists: give the prior value the schema's shapes.
        let prior = prior.map(|p| contin_provider::coerce_to_schema(block, p).unwrap_or_else(|_| p.clone()));
        contin_provider::plan_change_from_schema(block, prior.as_ref(), &d)
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let c = self.client()?;
        match ty {
            "docker_image" => image::read(&c, state).await,
            "docker_container" => container::read(&c, state).await,
            _ => Err(unsupported("resource", ty)),
        }
    }

    async fn create(&self, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        let c = self.client()?;
        match ty {
            "docker_image" => image::create(&c, planned).await,
            "docker_container" => container::create(&c, planned, ctx).await,
            _ => Err(unsupported("resource", ty)),
        }
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        match ty {
            // keep_locally / force_remove only change what destroy does.
            "docker_image" => Ok(image::merge_computed(planned, prior)),
            "docker_container" => container::update(&self.client()?, prior, planned).await,
            _ => Err(unsupported("resource", ty)),
        }
    }

    async fn delete(&self, ty: &str, prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        let c = self.client()?;
        match ty {
            "docker_image" => image::delete(&c, prior).await,
            "docker_container" => container::delete(&c, prior).await,
            _ => Err(unsupported("resource", ty)),
        }
    }

    async fn import(&self, ty: &str, id: &str) -> Result<Value, ProviderError> {
        match ty {
            "docker_container" => container::import(&self.client()?, id).await,
            _ => Err(unsupported("importable resource", ty)),
        }
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        match ty {
            "docker_image" => image::read_data(&self.client()?, cfg).await,
            _ => Err(unsupported("data source", ty)),
        }
    }
}

/// A JSON object's string field.
pub(crate) fn jstr<'a>(j: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    jget(j, path).and_then(|v| v.as_str())
}

pub(crate) fn jget<'a>(j: &'a serde_json::Value, path: &[&str]) -> Option<&'a serde_json::Value> {
    let mut cur = j;
    for p in path {
        cur = cur.get(p)?;
    }
    Some(cur)
}

pub(crate) type Map = BTreeMap<String, Value>;

#[cfg(test)]
mod tests;
