//! In-memory fake provider with latency and failure injection for tests and benchmarks.
//!
//! ```hcl
//! provider "fake" {
//!   latency_ms = 200                  # added to every create/update/delete (default 0)
//!   latency_after_ms = 0              # test hook: sleep after the store changed, before returning
//!   store      = "fake-cloud.json"    # optional: the fake "cloud", shared between processes
//!   fail_delete_name = "web"          # test hook: deleting an object with this name fails
//! }
//! resource "fake_resource" "a" {
//!   name    = "web"
//!   value   = { any = ["thing"] }
//!   tags    = { env = "prod" }         # updatable in place
//!   immutable = "v1"                   # force-new
//!   fail_on = "create"                 # inject a failure: create | update | delete | read | unreachable (read)
//! }
//! data "fake_data" "d" { input = 42 }  # output = input
//! ```
//!
//! Without a `store` nothing is kept: `read` returns the state unchanged (the
//! object is assumed to exist) except for objects deleted by this process,
//! so a 10,000-resource benchmark costs next to nothing. With a `store` the
//! JSON file is the cloud: every mutation re-reads it under an OS lock and
//! durably replaces it (temp file, fsync, rename) before the call returns,
//! so provider instances and processes sharing it never lose each other's
//! objects; tests may edit or delete objects in it between runs to simulate
//! drift, and count them with `list_store`.
//!
//! Adoption: with a store, each object records which create made it
//! (lineage, address, generation of the `OpContext`). A create finding an
//! object made by the same lineage, address and generation (the process
//! died after the object existed and before state recorded it) adopts that
//! object, updated to the planned values, instead of making a second one.
//! `latency_after_ms` sleeps after the store changed, so a test's kill can
//! land exactly in that window.
//! Architecture invariant: no lock is held across an await.

mod store;

use async_trait::async_trait;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::value::PathStep;
use contin_types::{Diagnostic, Diagnostics, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use store::{Data, Outcome, Owner, Store};
pub use store::{list_store, Owner as StoreOwner, StoreObject};

pub const RESOURCE: &str = "fake_resource";
pub const DATA: &str = "fake_data";

/// The fake provider; cheap to create, safe to share (`Arc`) between tasks.
pub struct FakeProvider {
    latency_ms: AtomicU64,
    latency_after_ms: AtomicU64,
    /// `fail_delete_name`: deletes of objects with this name fail (a
    /// provider-level knob, unlike `fail_on`, which the object itself
    /// records: a test can make a delete fail once, then succeed).
    fail_delete_name: Mutex<Option<String>>,
    /// The persisted cloud, when `store` is configured.
    store: Mutex<Option<Store>>,
    /// Without a store: ids deleted by this process (read → gone).
    tombstones: Mutex<HashSet<String>>,
    any_tombstone: AtomicBool,
    next_id: AtomicU64,
    /// Random per process, so ids stay unique across runs without a store.
    id_prefix: String,
}

impl Default for FakeProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeProvider {
    pub fn new() -> Self {
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
        FakeProvider {
            latency_ms: AtomicU64::new(0),
            latency_after_ms: AtomicU64::new(0),
            fail_delete_name: Mutex::new(None),
            store: Mutex::new(None),
            tombstones: Mutex::new(HashSet::new()),
            any_tombstone: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            id_prefix: format!("{:08x}", random as u32),
        }
    }

    /// The configured store, if any.
    fn store(&self) -> Result<Option<Store>, ProviderError> {
        Ok(self.store.lock().map_err(|_| ProviderError::Failed("fake provider: store lock poisoned".into()))?.clone())
    }

    /// One store transaction (see `store`), off the async threads.
    async fn transact<T: Send + 'static>(
        &self,
        store: Store,
        f: impl FnOnce(&mut Data) -> Result<Outcome<T>, String> + Send + 'static,
    ) -> Result<T, ProviderError> {
        let out = tokio::task::spawn_blocking(move || store.transact(f))
            .await
            .map_err(|e| ProviderError::Failed(format!("fake provider: store task failed: {e}")))?
            .map_err(ProviderError::Failed)?;
        let ms = self.latency_after_ms.load(Ordering::Relaxed);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        Ok(out)
    }

    /// Sleeps for the resource's `latency_ms`, else the provider's.
    async fn simulate_latency(&self, v: &Value) {
        let ms = match attr(v, "latency_ms") {
            Some(Value::Number(n)) => n.as_i64().map_or(0, |i| i.max(0) as u64),
            _ => self.latency_ms.load(Ordering::Relaxed),
        };
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// An id unique across processes when there is no store to count in.
    fn new_local_id(&self) -> String {
        format!("fake-{}-{}", self.id_prefix, self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn is_tombstoned(&self, id: &str) -> Result<bool, ProviderError> {
        if !self.any_tombstone.load(Ordering::Acquire) {
            return Ok(false);
        }
        let t = self.tombstones.lock().map_err(|_| ProviderError::Failed("fake provider: lock poisoned".into()))?;
        Ok(t.contains(id))
    }
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get_path(&[PathStep::Key(name.to_string())])
}

fn with_attr(mut v: Value, name: &str, x: Value) -> Value {
    if let Value::Map(m) = &mut v {
        m.insert(name.to_string(), x);
    }
    v
}

fn id_of(v: &Value) -> Result<String, ProviderError> {
    match attr(v, "id") {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ProviderError::Invalid("fake_resource state has no id".into())),
    }
}

/// `fail_on = "<op>"` → the injected error.
fn injected(v: &Value, op: &str) -> Result<(), ProviderError> {
    match attr(v, "fail_on") {
        Some(Value::String(s)) if s == "unreachable" && op == "read" => {
            Err(ProviderError::Unreachable("fake_resource: injected (fail_on = \"unreachable\")".into()))
        }
        Some(Value::String(s)) if s == op => Err(ProviderError::Api {
            code: "InjectedFailure".into(),
            message: format!("fake_resource: failure injected on {op} (fail_on = {op:?})"),
        }),
        _ => Ok(()),
    }
}

/// Short hex digest of the canonical JSON of some values.
fn digest(parts: &[Option<&Value>]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        let j = p.map_or(serde_json::Value::Null, Value::to_json_lossy);
        h.update(j.to_string().as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..8])
}

/// `result`: derived from name and value, so it changes when they do.
fn result_of(v: &Value) -> Value {
    Value::String(format!("r-{}", digest(&[attr(v, "name"), attr(v, "value")])))
}

/// Built once: `plan_change` runs for every instance of large plans.
static RESOURCE_SCHEMA: std::sync::LazyLock<BlockSchema> = std::sync::LazyLock::new(build_resource_schema);

fn resource_schema() -> &'static BlockSchema {
    &RESOURCE_SCHEMA
}

fn build_resource_schema() -> BlockSchema {
    use AttrType as T;
    let strings = || T::Map(Box::new(T::String));
    BlockSchema::default()
        .attr("name", AttrSchema::optional(T::String).describe("free-form name"))
        .attr("value", AttrSchema::optional(T::Any).describe("any value, updatable in place"))
        .attr("tags", AttrSchema::optional(strings()).describe("updatable in place"))
        .attr("immutable", AttrSchema::optional(T::String).force_new().describe("a change forces replacement"))
        .attr("triggers", AttrSchema::optional(strings()).force_new().describe("a change forces replacement"))
        .attr("latency_ms", AttrSchema::optional(T::Number).describe("overrides the provider's latency_ms"))
        .attr("fail_on", AttrSchema::optional(T::String).describe("create | update | delete | read | unreachable: inject a failure"))
        .attr("sensitive_value", AttrSchema::optional(T::String).sensitive())
        .attr("id", AttrSchema::computed(T::String))
        .attr("result", AttrSchema::computed(T::String).describe("hash of name and value, known after apply"))
}

fn data_schema() -> BlockSchema {
    BlockSchema::default()
        .attr("input", AttrSchema::optional(AttrType::Any))
        .attr("output", AttrSchema::computed(AttrType::Any))
        .attr("id", AttrSchema::computed(AttrType::String))
}

fn check_type(ty: &str) -> Result<(), ProviderError> {
    if ty == RESOURCE {
        Ok(())
    } else {
        Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() })
    }
}

#[async_trait]
impl Provider for FakeProvider {
    fn name(&self) -> &str {
        "fake"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema {
            config: BlockSchema::default()
                .attr("latency_ms", AttrSchema::optional(AttrType::Number).describe("added to every create/update/delete"))
                .attr(
                    "latency_after_ms",
                    AttrSchema::optional(AttrType::Number)
                        .describe("test hook: sleep after a create/update/delete changed the store, before returning"),
                )
                .attr("store", AttrSchema::optional(AttrType::String).describe("JSON file persisting the fake cloud"))
                .attr(
                    "fail_delete_name",
                    AttrSchema::optional(AttrType::String).describe("test hook: deleting an object with this name fails"),
                ),
            ..ProviderSchema::default()
        };
        s.resources.insert(RESOURCE.into(), resource_schema().clone());
        s.data_sources.insert(DATA.into(), data_schema());
        s
    }

    async fn configure(&self, cfg: Value) -> Result<(), Diagnostics> {
        let millis = |name: &str| -> Result<u64, Diagnostics> {
            match attr(&cfg, name).map(Value::unmarked) {
                None | Some(Value::Null) => Ok(0),
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(i) if i >= 0 => Ok(i as u64),
                    _ => Err(Diagnostic::error(format!("fake provider: {name} must be a non-negative integer")).into()),
                },
                Some(other) => Err(Diagnostic::error(format!("fake provider: {name} must be a number, got {}", other.type_name())).into()),
            }
        };
        let latency = millis("latency_ms")?;
        let latency_after = millis("latency_after_ms")?;
        let store = match attr(&cfg, "store").map(Value::unmarked) {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => {
                let path = PathBuf::from(p);
                let opened = tokio::task::spawn_blocking(move || Store::open(path))
                    .await
                    .map_err(|e| Diagnostics::from(Diagnostic::error(format!("fake provider: {e}"))))?;
                Some(opened.map_err(|e| Diagnostics::from(Diagnostic::error(e)))?)
            }
            Some(other) => {
                return Err(Diagnostic::error(format!("fake provider: store must be a file path, got {}", other.type_name())).into())
            }
        };
        let fail_delete_name = match attr(&cfg, "fail_delete_name").map(Value::unmarked) {
            None | Some(Value::Null) => None,
            Some(Value::String(n)) => Some(n.clone()),
            Some(other) => {
                return Err(Diagnostic::error(format!("fake provider: fail_delete_name must be a string, got {}", other.type_name())).into())
            }
        };
        self.latency_ms.store(latency, Ordering::Relaxed);
        self.latency_after_ms.store(latency_after, Ordering::Relaxed);
        *self.fail_delete_name.lock().map_err(|_| Diagnostics::from(Diagnostic::error("fake provider: lock poisoned")))? = fail_delete_name;
        let mut guard = self.store.lock().map_err(|_| Diagnostics::from(Diagnostic::error("fake provider: lock poisoned")))?;
        *guard = store;
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if ty == RESOURCE {
            if let Some(Value::String(op)) = attr(cfg, "fail_on") {
                if !matches!(op.as_str(), "create" | "update" | "delete" | "read" | "unreachable") {
                    d.push(
                        Diagnostic::error("Invalid fail_on")
                            .with_detail(format!("fail_on = {op:?}: expected one of \"create\", \"update\", \"delete\", \"read\", \"unreachable\".")),
                    );
                }
            }
        }
        d
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        if ty != RESOURCE {
            return PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            };
        }
        let mut change = plan_change_from_schema(resource_schema(), prior, desired);
        // `result` follows name and value: an in-place change to them makes it unknown.
        if let (Some(prior), true) = (prior, change.requires_replace.is_empty()) {
            let moved = ["name", "value"].iter().any(|k| {
                let planned = attr(&change.planned, k).unwrap_or(&Value::Null);
                !planned.is_wholly_known() || planned != attr(prior, k).unwrap_or(&Value::Null)
            });
            if moved {
                change.planned = with_attr(change.planned, "result", Value::Unknown);
            }
        }
        change
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        check_type(ty)?;
        injected(state, "read")?;
        let id = id_of(state)?;
        if let Some(store) = self.store()? {
            let data = tokio::task::spawn_blocking(move || store.read())
                .await
                .map_err(|e| ProviderError::Failed(format!("fake provider: store task failed: {e}")))?
                .map_err(ProviderError::Failed)?;
            return Ok(data.get(&id).map(|stored| store::reshape_like(&stored, state)));
        }
        if self.is_tombstoned(&id)? {
            return Ok(None);
        }
        Ok(Some(state.clone()))
    }

    async fn create(&self, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        check_type(ty)?;
        self.simulate_latency(planned).await;
        injected(planned, "create")?;
        let with_result = with_attr(planned.clone(), "result", result_of(planned));
        let Some(store) = self.store()? else {
            return Ok(with_attr(with_result, "id", Value::String(self.new_local_id())));
        };
        let owner = Owner { lineage: ctx.lineage.clone(), address: ctx.address.to_string(), generation: ctx.generation };
        self.transact(store, move |s| {
            // Made by this very create before a crash: adopt it, converged to the plan.
            let id = s.owned_by(RESOURCE, &owner).unwrap_or_else(|| s.next_id());
            let v = with_attr(with_result, "id", Value::String(id.clone()));
            s.insert(id, RESOURCE, &v, Some(owner));
            Ok(Outcome::Changed(v))
        })
        .await
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        check_type(ty)?;
        self.simulate_latency(planned).await;
        injected(planned, "update")?;
        let id = id_of(prior)?;
        let not_found = || ProviderError::Api { code: "NotFound".into(), message: format!("fake_resource {id} does not exist") };
        let v = with_attr(with_attr(planned.clone(), "id", Value::String(id.clone())), "result", result_of(planned));
        let Some(store) = self.store()? else {
            return if self.is_tombstoned(&id)? { Err(not_found()) } else { Ok(v) };
        };
        let missing = not_found();
        self.transact(store, move |s| {
            if s.get(&id).is_none() {
                return Ok(Outcome::Unchanged(Err(missing)));
            }
            s.insert(id.clone(), RESOURCE, &v, None);
            Ok(Outcome::Changed(Ok(v)))
        })
        .await?
    }

    async fn delete(&self, ty: &str, prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        check_type(ty)?;
        self.simulate_latency(prior).await;
        injected(prior, "delete")?;
        let fail_name = self.fail_delete_name.lock().map_err(|_| ProviderError::Failed("fake provider: lock poisoned".into()))?.clone();
        if let (Some(n), Some(Value::String(name))) = (fail_name, attr(prior, "name").map(Value::unmarked)) {
            if n == *name {
                return Err(ProviderError::Api {
                    code: "InjectedFailure".into(),
                    message: format!("fake_resource: failure injected on delete (provider fail_delete_name = {n:?})"),
                });
            }
        }
        let id = id_of(prior)?;
        if let Some(store) = self.store()? {
            let gone = id.clone();
            self.transact(store, move |s| Ok(if s.remove(&gone) { Outcome::Changed(()) } else { Outcome::Unchanged(()) })).await?;
        } else {
            let mut t = self.tombstones.lock().map_err(|_| ProviderError::Failed("fake provider: lock poisoned".into()))?;
            t.insert(id);
            self.any_tombstone.store(true, Ordering::Release);
        }
        Ok(())
    }

    async fn import(&self, ty: &str, id: &str) -> Result<Value, ProviderError> {
        check_type(ty)?;
        let Some(store) = self.store()? else {
            return Err(ProviderError::Invalid("the fake provider can only import with a `store` configured".into()));
        };
        let data = tokio::task::spawn_blocking(move || store.read())
            .await
            .map_err(|e| ProviderError::Failed(format!("fake provider: store task failed: {e}")))?
            .map_err(ProviderError::Failed)?;
        data.get(id)
            .ok_or_else(|| ProviderError::Api { code: "NotFound".into(), message: format!("fake_resource {id} does not exist") })
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        if ty != DATA {
            return Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() });
        }
        let input = attr(cfg, "input").cloned().unwrap_or(Value::Null);
        let id = format!("fake-data-{}", digest(&[Some(&input)]));
        Ok(Value::map([("input", input.clone()), ("output", input), ("id", Value::String(id))]))
    }
}

#[cfg(test)]
mod tests;
