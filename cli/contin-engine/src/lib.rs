//! The contin engine: load a configuration directory given by an explicit
//! root, take the state lock, refresh, plan, apply, import and edit state.
//! Every front end (the `contin` binary, a dashboard, a CI reporter, tests)
//! calls this crate and renders its results and [`EngineEvent`]s.
//!
//! Architecture invariants: the engine never prints and never changes the
//! process's working directory; every relative path (state file, variables
//! files, `file()`, `local_file` paths, plan files) is resolved against
//! [`Workspace::root`]; every locked operation releases its lock on every
//! exit path, panics included ([`lock::run_locked`]).

mod apply;
pub mod console;
pub mod drift;
pub mod edge;
pub mod edge_telemetry;
pub mod error;
pub mod events;
pub mod files;
mod import;
mod journal;
mod load;
pub mod lock;
mod migrate;
mod modules;
pub mod module_install;
mod plan;
mod provisioners;
pub mod state_ops;
#[cfg(test)]
mod tests;

pub use edge::{AgentReport, EdgeReport, EdgeSync, SiteReport};
pub use apply::{check_fresh, hcl_literal, Approval, ApplyOptions, ApplyOutcome, ApplyResult, ERRORED_STATE};
pub use drift::{DriftOptions, DriftReport};
pub use error::{EngineError, Result};
pub use events::{EngineEvent, EventSink, NoEvents};
pub use import::ImportOutcome;
pub use migrate::MigrateOutcome;
pub use plan::{PlanOptions, PlanOutcome};
pub use state_ops::{PushOptions, StateView};

use contin_config::Config;
use contin_provider::{Provider, ProviderSchema};
use contin_state::Backend;
use contin_types::{Diagnostics, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to open a workspace.
#[derive(Clone)]
pub struct WorkspaceOptions {
    /// `-var-file F` in order (relative to the root).
    pub var_files: Vec<PathBuf>,
    /// `-var k=v` in order.
    pub vars: Vec<String>,
    /// `CONTIN_VAR_name` values (the front end reads the environment, not the engine).
    pub env_vars: BTreeMap<String, String>,
    /// Variables recorded in a saved plan: they win over every other source.
    pub plan_variables: BTreeMap<String, Value>,
    /// Only the backend is needed (`state`, `output`, `show`, `force-unlock`):
    /// unset required variables are tolerated and providers are not
    /// configured, since reading state must not depend on inputs (as in Terraform).
    pub state_only: bool,
    /// Where progress goes.
    pub events: Arc<dyn EventSink>,
    /// Use this backend instead of the one the configuration declares
    /// (embedders and tests, e.g. a backend that fails on purpose).
    pub backend: Option<Arc<dyn Backend>>,
    /// `contin console`: a directory without configuration files is an
    /// empty configuration, and providers are not configured (nothing is
    /// read from them).
    pub console: bool,
}

impl Default for WorkspaceOptions {
    fn default() -> Self {
        WorkspaceOptions {
            var_files: Vec::new(),
            vars: Vec::new(),
            env_vars: BTreeMap::new(),
            plan_variables: BTreeMap::new(),
            state_only: false,
            events: Arc::new(NoEvents),
            backend: None,
            console: false,
        }
    }
}

/// A loaded configuration directory: cheap to clone (everything is shared).
#[derive(Clone)]
pub struct Workspace {
    root: PathBuf,
    /// Shared with the apply-time evaluator (a 10k-resource config is tens of MB).
    pub config: Arc<Config>,
    /// Resolved input variables (sensitive marked).
    pub variables: Arc<BTreeMap<String, Value>>,
    pub backend: Arc<dyn Backend>,
    pub providers: BTreeMap<String, Arc<dyn Provider>>,
    /// Schemas of `providers`, fetched once.
    pub schemas: Arc<BTreeMap<String, ProviderSchema>>,
    /// Warnings gathered while loading (also sent as [`EngineEvent::Warnings`]).
    pub warnings: Diagnostics,
    events: Arc<dyn EventSink>,
    /// The edge mailbox of a remote backend (S3: the state's prefix); a
    /// local state file's is derived from its path (`Workspace::mailbox_url`).
    mailbox: Option<contin_edge_proto::MailboxUrl>,
    /// The remote mailbox opened with the state backend's own client (S3:
    /// its endpoint, region, profile and credentials), so the mailbox is
    /// written exactly where and as the state is.
    mailbox_client: Option<Arc<dyn contin_edge_proto::Mailbox>>,
}

impl Workspace {
    /// Parses every `*.hcl` in `root`, resolves variables (defaults,
    /// `CONTIN_VAR_*`, auto files, `-var-file`, `-var`), builds the backend
    /// (default: local `contin.state.json` in `root`) and configures the
    /// compiled-in providers from their `provider` blocks.
    pub async fn open(root: impl AsRef<Path>, options: WorkspaceOptions) -> Result<Workspace> {
        load::open(root.as_ref(), options).await
    }

    /// The configuration directory every relative path is resolved against.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` resolved against the root (absolute paths unchanged).
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        self.root.join(path)
    }

    pub fn events(&self) -> &Arc<dyn EventSink> {
        &self.events
    }

    /// True when the configured backend is not a local file.
    pub fn is_remote(&self) -> bool {
        self.config.backend.as_ref().is_some_and(|b| b.kind != "local")
    }

    /// Checks the configuration only (graph, resource types, attribute
    /// names; no state, no provider IO): `contin validate`. The warnings on success.
    pub fn validate(root: impl AsRef<Path>) -> Result<Diagnostics> {
        load::validate(root.as_ref())
    }

    /// The block-level dependency graph in DOT (`contin graph`).
    pub fn graph_dot(root: impl AsRef<Path>) -> Result<String> {
        load::graph_dot(root.as_ref())
    }

    /// `file:line:col` of the block declaring the resource at `addr` (an
    /// instance address such as `aws_instance.web[0]`), when still configured.
    pub fn resource_location(&self, addr: &str) -> Option<String> {
        let a: contin_types::ResourceAddr = addr.parse().ok()?;
        let r = self.config.resources.iter().find(|r| r.module == a.module && r.mode == a.mode && r.ty == a.ty && r.name == a.name)?;
        Some(self.config.sources.describe(&r.loc))
    }
}
