//! Refresh and plan: read recorded objects back through their providers
//! (bounded parallelism, only targeted resources and their dependencies),
//! then run the planner on the prepared input.

use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::Workspace;
use contin_planner::{Plan, PlanIo, PlanMode, PlanningInput, Unreachable};
use contin_provider::{Provider, ProviderError};
use contin_state::State;
use contin_types::{Diagnostic, Diagnostics, ResourceAddr, ResourceMode, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub destroy: bool,
    /// `-target ADDR` (resource or instance addresses).
    pub targets: Vec<String>,
    /// `-refresh=false` sets this to false.
    pub refresh: bool,
    /// Concurrent provider reads while refreshing (`-parallelism`).
    pub parallelism: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions { destroy: false, targets: Vec::new(), refresh: true, parallelism: 10 }
    }
}

/// A plan and the state it was made against.
pub struct PlanOutcome {
    pub plan: Plan,
    pub state: Option<State>,
}

/// IO the planner may do: files relative to the root, data sources.
pub(crate) struct EngineIo {
    pub providers: BTreeMap<String, Arc<dyn Provider>>,
    pub handle: tokio::runtime::Handle,
    pub root: PathBuf,
    /// Fired by Ctrl-C / SIGTERM: the planner polls it between blocks
    /// (it runs inside `block_in_place`, where `select!` cannot).
    pub cancel: CancellationToken,
}

impl PlanIo for EngineIo {
    fn read_file(&self, path: &str) -> Result<String, String> {
        crate::load::read_config_file(&self.root, path)
    }
    fn read_data(&self, provider: &str, ty: &str, cfg: &Value) -> Result<Value, String> {
        let p = self.providers.get(provider).ok_or_else(|| format!("no provider {provider}"))?.clone();
        let (ty, cfg) = (ty.to_string(), cfg.clone());
        // Called from inside block_in_place on a worker thread.
        self.handle.block_on(async move { p.read_data(&ty, &cfg).await }).map_err(|e| e.to_string())
    }
    fn cwd(&self) -> String {
        std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone()).display().to_string()
    }
    fn read_file_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        crate::files::read_bounded(&crate::files::resolve(&self.root, path), contin_eval::limits::MAX_FILE_BYTES)
            .map_err(|e| format!("cannot read {path}: {e}"))
    }
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        match std::fs::metadata(crate::files::resolve(&self.root, path)) {
            Ok(m) if m.is_file() => Ok(true),
            Ok(_) => Err(format!("{path} is not a regular file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("cannot check {path}: {e}")),
        }
    }
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        use contin_eval::limits::MAX_FILESET_ENTRIES;
        let base = crate::files::resolve(&self.root, dir);
        let mut out = Vec::new();
        if !base.is_dir() {
            return Ok(out);
        }
        // Iterative walk; symlinked directories are not followed (no loops).
        let mut todo = vec![String::new()];
        while let Some(rel) = todo.pop() {
            let here = if rel.is_empty() { base.clone() } else { base.join(&rel) };
            for e in std::fs::read_dir(&here).map_err(|e| format!("cannot list {dir}: {e}"))? {
                let e = e.map_err(|e| format!("cannot list {dir}: {e}"))?;
                let name = e.file_name().to_string_lossy().into_owned();
                let r = if rel.is_empty() { name } else { format!("{rel}/{name}") };
                let t = e.file_type().map_err(|e| format!("cannot list {dir}: {e}"))?;
                if t.is_dir() {
                    todo.push(r);
                } else if t.is_file() || (t.is_symlink() && std::fs::metadata(e.path()).is_ok_and(|m| m.is_file())) {
                    out.push(r);
                    if out.len() > MAX_FILESET_ENTRIES {
                        return Err(format!("{dir} holds more than {MAX_FILESET_ENTRIES} files (MAX_FILESET_ENTRIES)"));
                    }
                }
            }
        }
        Ok(out)
    }
    fn home_dir(&self) -> Option<String> {
        std::env::var("HOME").ok()
    }
    fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

impl Workspace {
    pub(crate) fn io(&self) -> EngineIo {
        EngineIo {
            providers: self.providers.clone(),
            handle: tokio::runtime::Handle::current(),
            root: self.root.clone(),
            cancel: CancellationToken::new(),
        }
    }

    /// The stored state (`None` when there is none yet) with the journal of
    /// an interrupted apply folded in, without writing anything. Not locked.
    pub async fn load_state(&self) -> Result<Option<State>> {
        self.recovered_state(false).await
    }

    /// The snapshot as the backend holds it (no journal).
    pub(crate) async fn load_snapshot(&self) -> Result<Option<State>> {
        self.backend.load().await.map_err(|e| EngineError::state(format!("reading the state from {}", self.backend.describe()), e))
    }

    /// `contin plan`: under the lock, loads state, refreshes and plans.
    /// `None` when `cancel` fired (planning writes nothing, so nothing is lost).
    pub async fn plan(&self, opts: PlanOptions, cancel: CancellationToken) -> Result<Option<PlanOutcome>> {
        let ws = self.clone();
        crate::lock::run_locked(&self.backend, "plan", &self.events, async move { ws.plan_locked(&opts, &cancel).await }).await
    }

    /// Loads state and plans; the caller holds the lock.
    pub(crate) async fn plan_locked(&self, opts: &PlanOptions, cancel: &CancellationToken) -> Result<Option<PlanOutcome>> {
        let state = self.recovered_state(true).await?;
        let plan = tokio::select! {
            plan = self.plan_cancellable(state.as_ref(), opts, cancel) => plan,
            _ = cancel.cancelled() => return Ok(None),
        };
        // The planner stops between blocks when `cancel` fires mid-walk.
        if cancel.is_cancelled() {
            return Ok(None);
        }
        Ok(Some(PlanOutcome { plan: plan?, state }))
    }

    /// Refreshes (unless disabled) and plans against `state`.
    pub async fn plan_against(&self, state: Option<&State>, opts: &PlanOptions) -> Result<Plan> {
        self.plan_cancellable(state, opts, &CancellationToken::new()).await
    }

    /// [`Self::plan_against`], stopping between blocks once `cancel` fires.
    async fn plan_cancellable(&self, state: Option<&State>, opts: &PlanOptions, cancel: &CancellationToken) -> Result<Plan> {
        let targets = parse_targets(&opts.targets)?;
        let Refreshed { values: mut refreshed, unreachable } = match (state, opts.refresh) {
            (Some(s), true) => self.refresh_state(s, &targets, opts.parallelism).await?,
            _ => Refreshed::default(),
        };
        if !opts.destroy {
            self.read_import_blocks(state, &mut refreshed).await?;
        }
        self.events.event(EngineEvent::Planning);
        let io = EngineIo { cancel: cancel.clone(), ..self.io() };
        let input = PlanningInput {
            config: &self.config,
            variables: &self.variables,
            state,
            refreshed: &refreshed,
            providers: &self.providers,
            schemas: &self.schemas,
            io: &io,
            mode: if opts.destroy { PlanMode::Destroy } else { PlanMode::Normal },
            targets: &targets,
        };
        let mut plan = tokio::task::block_in_place(|| contin_planner::plan(&input)).map_err(|d| EngineError::diags(d, &self.config.sources))?;
        plan.unreachable = unreachable;
        if !plan.language.warnings.is_empty() {
            // Failed `check` assertions, unresolved moves.
            let diags = contin_types::Diagnostics(plan.language.warnings.clone());
            self.events.event(EngineEvent::Warnings { diags, sources: self.config.sources.clone() });
        }
        Ok(plan)
    }

    /// Reads the managed objects in `state` (those `targets` select and what
    /// they depend on; all when `targets` is empty), `parallelism` at a time.
    async fn refresh_state(&self, state: &State, targets: &[ResourceAddr], parallelism: usize) -> Result<Refreshed> {
        use futures::stream::{self, StreamExt};
        let selected = refresh_set(state, targets);
        // Owned jobs: the stream must not borrow the state across awaits.
        // A provider that asks for them reads with the state's sensitive marks.
        let chosen: Vec<RefreshJob> = state
            .resources
            .values()
            .filter(|rs| rs.addr.mode == ResourceMode::Managed && !rs.attributes.is_null() && selected.as_ref().is_none_or(|s| s.contains(&rs.addr)))
            .map(|rs| {
                let p = self.providers.get(&rs.provider).cloned();
                let value = if p.as_ref().is_some_and(|p| p.receives_sensitive_marks()) { rs.value() } else { rs.value().unmark_deep().0 };
                (rs.addr.clone(), value, rs.provider.clone(), p)
            })
            .collect();
        self.events.event(EngineEvent::RefreshStarted { total: chosen.len() });
        let events = self.events.clone();
        type Job = std::pin::Pin<Box<dyn std::future::Future<Output = (ResourceAddr, Value, Result<Option<Value>, ProviderError>)> + Send>>;
        let jobs: Vec<Job> = chosen.into_iter().map(|(addr, value, provider_name, provider)| {
            let events = events.clone();
            Box::pin(async move {
                let Some(p) = provider else {
                    return (addr, value, Err(ProviderError::NotConfigured(format!("provider \"{provider_name}\" is not available in this build"))));
                };
                let r = p.read(&addr.ty, &value).await;
                events.event(EngineEvent::Refreshed { addr: addr.clone() });
                (addr, value, r)
            }) as Job
        }).collect();
        let results: Vec<_> = stream::iter(jobs).buffer_unordered(parallelism.max(1)).collect().await;
        let mut out = Refreshed::default();
        let mut diags = Diagnostics::new();
        for (addr, recorded, r) in results {
            // The planner takes plain refreshed values and re-applies the
            // state's marks itself.
            match r {
                Ok(v) => {
                    out.values.insert(addr, v.map(|v| v.unmark_deep().0));
                }
                Err(ProviderError::Unreachable(reason)) => {
                    out.values.insert(addr.clone(), Some(recorded.unmark_deep().0));
                    out.unreachable.push(Unreachable { addr, reason });
                }
                Err(e) => diags.push(Diagnostic::error(format!("Failed to refresh {addr}")).with_detail(format!("{addr}: {e}")).for_address(&addr)),
            }
        }
        if diags.has_errors() {
            return Err(EngineError::diags(diags, &self.config.sources));
        }
        out.unreachable.sort_by(|a, b| a.addr.cmp(&b.addr));
        Ok(out)
    }
}

/// One object to refresh: address, recorded value, provider name, provider.
type RefreshJob = (ResourceAddr, Value, String, Option<Arc<dyn Provider>>);

/// What refreshing state found: current values, and objects that could not
/// be reached (kept as recorded, reported as warnings).
#[derive(Default)]
struct Refreshed {
    values: BTreeMap<ResourceAddr, Option<Value>>,
    unreachable: Vec<Unreachable>,
}

pub(crate) fn parse_targets(targets: &[String]) -> Result<Vec<ResourceAddr>> {
    targets.iter().map(|t| t.parse::<ResourceAddr>().map_err(|e| EngineError::Invalid(format!("invalid -target: {e}")))).collect()
}

/// True when `target` names `addr` (the same instance, or its resource).
fn selects(target: &ResourceAddr, addr: &ResourceAddr) -> bool {
    target == addr || (target.key == contin_types::InstanceKey::None && addr.resource() == *target)
}

/// The instances to refresh for `targets`: the targeted ones and,
/// transitively, what they depend on in the state. `None`: all of them.
fn refresh_set(state: &State, targets: &[ResourceAddr]) -> Option<BTreeSet<ResourceAddr>> {
    if targets.is_empty() {
        return None;
    }
    let mut out = BTreeSet::new();
    let mut todo: Vec<ResourceAddr> = state.resources.keys().filter(|a| targets.iter().any(|t| selects(t, a))).cloned().collect();
    while let Some(a) = todo.pop() {
        if !out.insert(a.clone()) {
            continue;
        }
        let Some(rs) = state.resources.get(&a) else { continue };
        for dep in &rs.dependencies {
            // A dependency may name an instance or (per block) a whole resource.
            todo.extend(state.resources.keys().filter(|k| selects(dep, k) && !out.contains(*k)).cloned());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targeted_refresh_reads_targets_and_their_dependencies_only() {
        let doc = serde_json::json!({
            "version": 1, "lineage": "l", "serial": 1,
            "resources": [
                {"addr": "fake_resource.base", "provider": "fake", "attributes": {}},
                {"addr": "fake_resource.mid[0]", "provider": "fake", "attributes": {}, "dependencies": ["fake_resource.base"]},
                {"addr": "fake_resource.mid[1]", "provider": "fake", "attributes": {}, "dependencies": ["fake_resource.base"]},
                {"addr": "fake_resource.top", "provider": "fake", "attributes": {}, "dependencies": ["fake_resource.mid"]},
                {"addr": "fake_resource.other", "provider": "fake", "attributes": {}},
            ],
        });
        let state: State = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"));
        let names = |t: &[&str]| -> Vec<String> {
            let targets: Vec<ResourceAddr> = t.iter().map(|x| x.parse().unwrap_or_else(|e| panic!("{e}"))).collect();
            refresh_set(&state, &targets).map(|s| s.iter().map(ToString::to_string).collect()).unwrap_or_default()
        };
        assert_eq!(names(&["fake_resource.top"]), ["fake_resource.base", "fake_resource.mid[0]", "fake_resource.mid[1]", "fake_resource.top"]);
        assert_eq!(names(&["fake_resource.mid[1]"]), ["fake_resource.base", "fake_resource.mid[1]"]);
        assert_eq!(names(&["fake_resource.other"]), ["fake_resource.other"]);
        assert!(refresh_set(&state, &[]).is_none());
    }
}
