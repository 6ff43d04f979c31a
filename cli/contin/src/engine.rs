//! The engine seam between the CLI commands and the crates: load a
//! workspace (config + variables + backend + providers), plan, apply.
//! Owned by the lead; commands call only what is here.

use contin_config::Config;
use contin_executor::{ApplyOptions, Reporter};
use contin_planner::Plan;
use contin_provider::Provider;
use contin_state::{Backend, State};
use contin_types::{Diagnostics, SourceMap, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a command may fail with.
#[derive(Debug)]
pub enum EngineError {
    /// Configuration problems, with the sources to render snippets.
    Diagnostics(Diagnostics, SourceMap),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for EngineError {
    fn from(e: anyhow::Error) -> Self {
        EngineError::Other(e)
    }
}

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Configuration directory (`-C DIR`).
    pub dir: PathBuf,
    /// `--var-file F` in order.
    pub var_files: Vec<PathBuf>,
    /// `--var k=v` in order.
    pub vars: Vec<String>,
}

/// A loaded configuration directory.
pub struct Workspace {
    pub dir: PathBuf,
    pub config: Config,
    /// Resolved input variables (sensitive marked).
    pub variables: BTreeMap<String, Value>,
    pub backend: Arc<dyn Backend>,
    pub providers: BTreeMap<String, Arc<dyn Provider>>,
    /// Warnings gathered while loading (render them).
    pub warnings: Diagnostics,
}

#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    pub destroy: bool,
    /// `--target ADDR` (resource or instance addresses).
    pub targets: Vec<String>,
    /// `--refresh=false` sets this to false.
    pub refresh: bool,
}

/// What an apply did (from the executor's outcome).
pub struct ApplyRun {
    /// Final state as persisted.
    pub state: State,
    /// (address, error) of failed changes.
    pub failed: Vec<(String, String)>,
    /// Addresses not started (dependency failed or cancelled).
    pub skipped: Vec<String>,
    pub cancelled: bool,
    /// A state write failed; the message says what to do.
    pub persist_error: Option<String>,
    /// Output values after apply: name → (value, sensitive).
    pub outputs: BTreeMap<String, (Value, bool)>,
}

fn not_wired<T>() -> Result<T, EngineError> {
    // Temporary while the lead wires the planner (removed before the issue closes).
    Err(EngineError::Other(anyhow::anyhow!("engine not wired yet")))
}

/// Parses the directory, resolves variables (defaults, env CONTIN_VAR_*, files, -var),
/// builds the backend from the `backend` block (default: local `contin.state.json`
/// in the config dir) and the compiled-in providers, configured from `provider` blocks.
pub async fn load(opts: &LoadOptions) -> Result<Workspace, EngineError> {
    let _ = opts;
    not_wired()
}

/// Parses and checks the configuration only (no state, no providers' IO): `contin validate`.
pub fn validate(opts: &LoadOptions) -> Result<Diagnostics, EngineError> {
    let _ = opts;
    not_wired()
}

/// Loads state from the workspace backend (None when none stored yet).
pub async fn load_state(ws: &Workspace) -> Result<Option<State>, EngineError> {
    ws.backend.load().await.map_err(|e| EngineError::Other(e.into()))
}

/// Refreshes (unless disabled) and plans against `state`.
pub async fn plan(ws: &Workspace, state: Option<&State>, opts: &PlanOptions) -> Result<Plan, EngineError> {
    let _ = (ws, state, opts);
    not_wired()
}

/// Applies a plan (caller holds the state lock and checked staleness with `check_fresh`).
pub async fn apply(
    ws: &Workspace,
    plan: &Plan,
    state: Option<State>,
    reporter: Arc<dyn Reporter>,
    opts: &ApplyOptions,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<ApplyRun, EngineError> {
    let _ = (ws, plan, state, reporter, opts, cancel);
    not_wired()
}

/// Refuses a plan whose base (lineage, serial) no longer matches the stored state.
pub fn check_fresh(plan: &Plan, state: Option<&State>) -> Result<(), EngineError> {
    let _ = (plan, state);
    not_wired()
}

/// The dependency graph in DOT (`contin graph`).
pub fn graph_dot(opts: &LoadOptions) -> Result<String, EngineError> {
    let _ = opts;
    not_wired()
}
