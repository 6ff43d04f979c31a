//! The engine seam between the CLI commands and the crates: load a
//! workspace (config + variables + backend + providers), plan, apply.
//! Owned by the lead; commands call only what is here.

use contin_config::Config;
use contin_executor::{ApplyOptions, Reporter};
use contin_planner::Plan;
use contin_provider::{Provider, ProviderError};
use contin_state::{Backend, State};
use anyhow::{anyhow, Context};
use contin_planner::{ConfigEvaluator, PlanIo, PlanMode, PlanningInput};
use contin_provider::ProviderSchema;
use contin_types::{Diagnostics, ResourceAddr, SourceMap, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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
    /// Only the backend is needed (`state`, `output`, `show`, `force-unlock`):
    /// unset required variables are tolerated and providers are not configured,
    /// since reading state must not depend on inputs (as in Terraform).
    pub state_only: bool,
}

/// A loaded configuration directory.
pub struct Workspace {
    pub dir: PathBuf,
    /// Shared with the apply-time evaluator (a 10k-resource config is tens of MB).
    pub config: Arc<Config>,
    /// Resolved input variables (sensitive marked).
    pub variables: BTreeMap<String, Value>,
    pub backend: Arc<dyn Backend>,
    pub providers: BTreeMap<String, Arc<dyn Provider>>,
    /// Schemas of `providers`, fetched once.
    pub schemas: BTreeMap<String, ProviderSchema>,
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
    /// Evaluating outputs failed (resources were applied; outputs kept as before).
    pub outputs_error: Option<String>,
}

/// The providers compiled into this binary.
fn builtin_providers() -> BTreeMap<String, Arc<dyn Provider>> {
    let list: Vec<Arc<dyn Provider>> = vec![
        Arc::new(contin_provider_local::LocalProvider::default()),
        Arc::new(contin_provider_fake::FakeProvider::new()),
        Arc::new(contin_provider_edge::EdgeProvider::new()),
        #[cfg(feature = "aws")]
        Arc::new(contin_provider_aws::AwsProvider::new()),
        #[cfg(feature = "onprem")]
        Arc::new(contin_provider_onprem::OnpremProvider::new()),
    ];
    list.into_iter().map(|p| (p.name().to_string(), p)).collect()
}

fn diag_err(d: Diagnostics, sources: &SourceMap) -> EngineError {
    EngineError::Diagnostics(d, sources.clone())
}

/// Reads and parses every `*.hcl` in `dir` (sorted by name).
fn parse_dir(dir: &Path) -> Result<(Config, Diagnostics), EngineError> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read configuration directory {}", dir.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("cannot read configuration directory {}", dir.display()))?;
        let path = e.path();
        if path.extension().is_some_and(|x| x == "hcl") && path.is_file() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            files.push((name, text));
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(anyhow!("no configuration files (*.hcl) in {}", dir.display()).into());
    }
    let (config, diags) = contin_config::parse_files(&files);
    if diags.has_errors() {
        return Err(diag_err(diags, &config.sources));
    }
    Ok((config, diags))
}

/// Terraform's `-chdir`: everything (relative file names, var files, state) is relative to DIR.
fn enter(dir: &Path) -> Result<PathBuf, EngineError> {
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        return Ok(PathBuf::from("."));
    }
    std::env::set_current_dir(dir).with_context(|| format!("cannot change into configuration directory {}", dir.display()))?;
    Ok(PathBuf::from("."))
}

/// Variables and locals only: for provider and backend blocks.
struct StaticScope<'a> {
    config: &'a Config,
    variables: &'a BTreeMap<String, Value>,
}

impl contin_eval::Scope for StaticScope<'_> {
    fn lookup(&self, r: &contin_eval::Reference, loc: &contin_types::SourceLoc) -> Result<Value, contin_types::Diagnostic> {
        use contin_eval::Reference as R;
        match r {
            R::Var(n) => self.variables.get(n).cloned().ok_or_else(|| contin_types::Diagnostic::error(format!("Reference to undeclared input variable var.{n}")).at(loc.clone())),
            R::Local(n) => match self.config.locals.get(n) {
                Some(l) => contin_eval::eval(&l.expr, self).map_err(|d| d.0.into_iter().next().unwrap_or_else(|| contin_types::Diagnostic::error("invalid local"))),
                None => Err(contin_types::Diagnostic::error(format!("Reference to undeclared local value local.{n}")).at(loc.clone())),
            },
            R::Path(_) => Ok(Value::string(".")),
            R::TerraformWorkspace => Ok(Value::string("default")),
            other => Err(contin_types::Diagnostic::error("Invalid reference in provider or backend configuration")
                .with_detail(format!("{other} is not available here: provider and backend blocks may only use variables and locals."))
                .at(loc.clone())),
        }
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

fn var_inputs(opts: &LoadOptions) -> Result<contin_eval::vars::VarInputs, EngineError> {
    let mut files = Vec::new();
    // Auto-loaded like Terraform's terraform.tfvars / *.auto.tfvars.
    let mut auto: Vec<PathBuf> = std::fs::read_dir(".")
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    auto.retain(|p| {
        let n = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        n == "contin.tfvars" || n.ends_with(".auto.tfvars")
    });
    auto.sort();
    for f in auto.iter().chain(opts.var_files.iter()) {
        let text = std::fs::read_to_string(f).with_context(|| format!("cannot read variables file {}", f.display()))?;
        files.push((f.display().to_string(), text));
    }
    let env = std::env::vars().filter_map(|(k, v)| k.strip_prefix("CONTIN_VAR_").map(|n| (n.to_string(), v))).collect();
    Ok(contin_eval::vars::VarInputs { files, cli: opts.vars.clone(), env })
}

async fn build_backend(config: &Config, variables: &BTreeMap<String, Value>) -> Result<Arc<dyn Backend>, EngineError> {
    let Some(b) = &config.backend else {
        return Ok(Arc::new(contin_state_local::LocalBackend::new("contin.state.json")));
    };
    match b.kind.as_str() {
        "local" => {
            let scope = StaticScope { config, variables };
            let v = contin_eval::eval_body(&b.body, &scope).map_err(|d| diag_err(d, &config.sources))?;
            let path = match v.get_path(&[contin_types::value::PathStep::Key("path".into())]).map(Value::unmarked) {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => "contin.state.json".to_string(),
                Some(other) => {
                    let d = contin_types::Diagnostic::error("Invalid backend configuration")
                        .with_detail(format!("backend \"local\" path must be a string, got {}", other.type_name()))
                        .at(b.loc.clone());
                    return Err(diag_err(d.into(), &config.sources));
                }
            };
            Ok(Arc::new(contin_state_local::LocalBackend::new(path)))
        }
        #[cfg(feature = "aws")]
        "s3" => {
            // Every problem is located: at the attribute when it has the
            // wrong type, at the backend block when something is missing or
            // the backend cannot be set up.
            let invalid = |detail: String, loc: &contin_types::SourceLoc| {
                let d = contin_types::Diagnostic::error("Invalid backend configuration").with_detail(detail).at(loc.clone());
                diag_err(d.into(), &config.sources)
            };
            const S3_ARGS: [&str; 7] = ["bucket", "key", "region", "endpoint", "encrypt", "kms_key_id", "profile"];
            if let Some((name, attr)) = b.body.attributes.iter().find(|(n, _)| !S3_ARGS.contains(&n.as_str())) {
                return Err(invalid(format!("backend \"s3\" has no argument \"{name}\"; valid: {}", S3_ARGS.join(", ")), &attr.loc));
            }
            let scope = StaticScope { config, variables };
            let v = contin_eval::eval_body(&b.body, &scope).map_err(|d| diag_err(d, &config.sources))?;
            let v = v.unmark_deep().0;
            let loc_of = |name: &str| b.body.attributes.get(name).map_or(&b.loc, |a| &a.loc);
            let string = |name: &str| -> Result<Option<String>, EngineError> {
                match v.get_path(&[contin_types::value::PathStep::Key(name.into())]) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(other) => Err(invalid(format!("backend \"s3\" {name} must be a string, got {}", other.type_name()), loc_of(name))),
                }
            };
            let required = |name: &str| -> Result<String, EngineError> {
                match string(name)? {
                    Some(s) if !s.trim().is_empty() => Ok(s),
                    _ => Err(invalid(format!("backend \"s3\" requires a non-empty \"{name}\" argument"), &b.loc)),
                }
            };
            let encrypt = match v.get_path(&[contin_types::value::PathStep::Key("encrypt".into())]) {
                None | Some(Value::Null) => false,
                Some(Value::Bool(x)) => *x,
                Some(other) => return Err(invalid(format!("backend \"s3\" encrypt must be a bool, got {}", other.type_name()), loc_of("encrypt"))),
            };
            let cfg = contin_state_s3::S3Config {
                bucket: required("bucket")?,
                key: required("key")?,
                region: string("region")?,
                endpoint: string("endpoint")?,
                profile: string("profile")?,
                encrypt,
                kms_key_id: string("kms_key_id")?,
            };
            match contin_state_s3::S3Backend::connect(cfg).await {
                Ok(backend) => Ok(Arc::new(backend)),
                Err(e) => Err(invalid(e.to_string(), &b.loc)),
            }
        }
        other => {
            let d = contin_types::Diagnostic::error("Unsupported backend")
                .with_detail(format!("backend \"{other}\" is not available in this build; supported: {}.", if cfg!(feature = "aws") { "local, s3" } else { "local" }))
                .at(b.loc.clone());
            Err(diag_err(d.into(), &config.sources))
        }
    }
}

async fn configure_providers(
    config: &Config,
    variables: &BTreeMap<String, Value>,
    providers: &BTreeMap<String, Arc<dyn Provider>>,
    schemas: &BTreeMap<String, ProviderSchema>,
) -> Result<(), EngineError> {
    let mut diags = Diagnostics::new();
    for (name, block) in &config.providers {
        if !providers.contains_key(name) {
            diags.push(
                contin_types::Diagnostic::error("Unknown provider")
                    .with_detail(format!(
                        "No provider named \"{name}\" is built into contin. Available providers: {}.",
                        providers.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))
                    .at(block.loc.clone()),
            );
        }
    }
    // Like Terraform, only providers the configuration uses are configured:
    // those with a provider block and those serving a declared resource type
    // (an unused cloud provider must not demand credentials or a region).
    let mut used: std::collections::BTreeSet<String> = config.providers.keys().cloned().collect();
    used.extend(config.resources.iter().filter_map(|r| contin_planner::walk::provider_for(r, schemas).ok()));
    for (name, p) in providers.iter().filter(|(n, _)| used.contains(*n)) {
        let cfg = match config.providers.get(name) {
            Some(block) => {
                let scope = StaticScope { config, variables };
                match contin_eval::eval_body(&block.body, &scope) {
                    Ok(v) => v.unmark_deep().0,
                    Err(d) => {
                        diags.extend(d);
                        continue;
                    }
                }
            }
            None => Value::Map(BTreeMap::new()),
        };
        if let Err(d) = p.configure(cfg).await {
            let loc = config.providers.get(name).map(|b| b.loc.clone());
            for x in d.0 {
                let x = if x.loc.is_none() { x.at_opt(loc.clone()) } else { x };
                diags.push(x);
            }
        }
    }
    if diags.has_errors() {
        return Err(diag_err(diags, &config.sources));
    }
    Ok(())
}

/// Parses the directory, resolves variables (defaults, env CONTIN_VAR_*, files, -var),
/// builds the backend from the `backend` block (default: local `contin.state.json`
/// in the config dir) and the compiled-in providers, configured from `provider` blocks.
pub async fn load(opts: &LoadOptions) -> Result<Workspace, EngineError> {
    let dir = enter(&opts.dir)?;
    let (config, warnings) = parse_dir(&dir)?;
    let inputs = var_inputs(opts)?;
    let variables = match contin_eval::vars::resolve_variables(&config.variables, &inputs, &contin_eval::EmptyScope) {
        Ok(v) => v,
        Err(_) if opts.state_only => BTreeMap::new(),
        Err(d) => return Err(diag_err(d, &config.sources)),
    };
    let backend = build_backend(&config, &variables).await?;
    let providers = builtin_providers();
    let schemas = providers.iter().map(|(n, p)| (n.clone(), p.schema())).collect();
    if !opts.state_only {
        configure_providers(&config, &variables, &providers, &schemas).await?;
    }
    Ok(Workspace { dir, config: Arc::new(config), variables, backend, providers, schemas, warnings })
}

/// Parses and checks the configuration only (graph, resource types,
/// attribute names; no state, no provider IO): `contin validate`.
pub fn validate(opts: &LoadOptions) -> Result<Diagnostics, EngineError> {
    let dir = enter(&opts.dir)?;
    let (config, mut diags) = parse_dir(&dir)?;
    let providers = builtin_providers();
    let schemas: BTreeMap<String, ProviderSchema> = providers.iter().map(|(n, p)| (n.clone(), p.schema())).collect();
    let prepared = contin_planner::walk::prepare(&config, &schemas).map_err(|d| diag_err(d, &config.sources))?;
    for (i, r) in config.resources.iter().enumerate() {
        let Some(block) = contin_planner::walk::block_schema(r, &prepared.block_provider[i], &schemas) else { continue };
        for (name, attr) in &r.body.attributes {
            if !block.attributes.contains_key(name) {
                let valid = block.names().join(", ");
                diags.push(
                    contin_types::Diagnostic::error("Unsupported argument")
                        .with_detail(format!("An argument named \"{name}\" is not expected here. Valid arguments of {}: {valid}.", r.ty))
                        .at(attr.loc.clone()),
                );
            } else if block.attributes[name].is_computed_only() {
                diags.push(
                    contin_types::Diagnostic::error("Invalid argument")
                        .with_detail(format!("\"{name}\" is set by the provider (computed) and cannot be configured."))
                        .at(attr.loc.clone()),
                );
            }
        }
        for (name, a) in &block.attributes {
            if a.required && !r.body.attributes.contains_key(name) {
                diags.push(
                    contin_types::Diagnostic::error("Missing required argument")
                        .with_detail(format!("The argument \"{name}\" is required, but no definition was found."))
                        .at(r.loc.clone()),
                );
            }
        }
    }
    if diags.has_errors() {
        return Err(diag_err(diags, &config.sources));
    }
    Ok(diags)
}

/// Loads state from the workspace backend (None when none stored yet).
pub async fn load_state(ws: &Workspace) -> Result<Option<State>, EngineError> {
    ws.backend.load().await.map_err(|e| EngineError::Other(e.into()))
}

/// IO the planner may do: files relative to the config dir, data sources.
struct EngineIo {
    providers: BTreeMap<String, Arc<dyn Provider>>,
    handle: tokio::runtime::Handle,
}

impl PlanIo for EngineIo {
    fn read_file(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
    }
    fn read_data(&self, provider: &str, ty: &str, cfg: &Value) -> Result<Value, String> {
        let p = self.providers.get(provider).ok_or_else(|| format!("no provider {provider}"))?.clone();
        let (ty, cfg) = (ty.to_string(), cfg.clone());
        // Called from inside block_in_place on a worker thread.
        self.handle.block_on(async move { p.read_data(&ty, &cfg).await }).map_err(|e| e.to_string())
    }
    fn cwd(&self) -> String {
        std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| ".".into())
    }
}

/// What refreshing state found: current values, and objects that could not
/// be reached (kept as recorded, reported as warnings).
struct Refreshed {
    values: BTreeMap<ResourceAddr, Option<Value>>,
    unreachable: Vec<contin_planner::Unreachable>,
}

/// Reads every managed resource in state through its provider, in parallel.
async fn refresh(ws: &Workspace, state: &State, parallelism: usize) -> Result<Refreshed, EngineError> {
    use futures::stream::{self, StreamExt};
    let jobs = state.resources.values().filter(|rs| rs.addr.mode == contin_types::ResourceMode::Managed).map(|rs| {
        let provider = ws.providers.get(&rs.provider).cloned();
        let addr = rs.addr.clone();
        let value = rs.value().unmark_deep().0;
        let provider_name = rs.provider.clone();
        async move {
            let Some(p) = provider else {
                return (addr.clone(), value, Err(ProviderError::NotConfigured(format!("provider \"{provider_name}\" is not available in this build"))));
            };
            let r = p.read(&addr.ty, &value).await;
            (addr, value, r)
        }
    });
    let results: Vec<_> = stream::iter(jobs).buffer_unordered(parallelism.max(1)).collect().await;
    let mut out = Refreshed { values: BTreeMap::new(), unreachable: Vec::new() };
    let mut diags = Diagnostics::new();
    for (addr, recorded, r) in results {
        match r {
            Ok(v) => {
                out.values.insert(addr, v);
            }
            Err(ProviderError::Unreachable(reason)) => {
                out.values.insert(addr.clone(), Some(recorded));
                out.unreachable.push(contin_planner::Unreachable { addr, reason });
            }
            Err(e) => diags.push(
                contin_types::Diagnostic::error(format!("Failed to refresh {addr}"))
                    .with_detail(format!("{addr}: {e}"))
                    .for_address(&addr),
            ),
        }
    }
    if diags.has_errors() {
        return Err(diag_err(diags, &ws.config.sources));
    }
    out.unreachable.sort_by(|a, b| a.addr.cmp(&b.addr));
    Ok(out)
}

fn parse_targets(targets: &[String]) -> Result<Vec<ResourceAddr>, EngineError> {
    targets
        .iter()
        .map(|t| t.parse::<ResourceAddr>().map_err(|e| EngineError::Other(anyhow!("invalid --target: {e}"))))
        .collect()
}

/// Refreshes (unless disabled) and plans against `state`.
pub async fn plan(ws: &Workspace, state: Option<&State>, opts: &PlanOptions) -> Result<Plan, EngineError> {
    let Refreshed { values: refreshed, unreachable } = match (state, opts.refresh) {
        (Some(s), true) => refresh(ws, s, 10).await?,
        _ => Refreshed { values: BTreeMap::new(), unreachable: Vec::new() },
    };
    let targets = parse_targets(&opts.targets)?;
    let io = EngineIo { providers: ws.providers.clone(), handle: tokio::runtime::Handle::current() };
    let input = PlanningInput {
        config: &ws.config,
        variables: &ws.variables,
        state,
        refreshed: &refreshed,
        providers: &ws.providers,
        schemas: &ws.schemas,
        io: &io,
        mode: if opts.destroy { PlanMode::Destroy } else { PlanMode::Normal },
        targets: &targets,
    };
    let mut plan = tokio::task::block_in_place(|| contin_planner::plan(&input)).map_err(|d| diag_err(d, &ws.config.sources))?;
    plan.unreachable = unreachable;
    Ok(plan)
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
    // Apply evaluates the plan's own configuration snapshot, not today's
    // files; re-parse only when they differ (a saved plan after edits).
    let config = if plan.config_hash == contin_planner::walk::config_hash(&ws.config) {
        ws.config.clone()
    } else {
        let files: Vec<(String, String)> = plan.sources.files.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let (config, diags) = contin_config::parse_files(&files);
        if diags.has_errors() {
            return Err(diag_err(diags, &plan.sources));
        }
        Arc::new(config)
    };
    let io: Arc<dyn PlanIo> = Arc::new(EngineIo { providers: ws.providers.clone(), handle: tokio::runtime::Handle::current() });
    let evaluator = ConfigEvaluator::new(config, plan.variables.clone(), ws.schemas.clone(), io).map_err(|d| diag_err(d, &plan.sources))?
        .for_destroy(plan.mode == PlanMode::Destroy);
    let prior = match state {
        Some(s) => s,
        None => first_state(ws, plan).await?,
    };
    let outcome = contin_executor::apply(plan, prior, &ws.providers, ws.backend.clone(), Arc::new(evaluator), reporter, opts, cancel).await;
    let outputs = outcome
        .state
        .outputs
        .iter()
        .map(|(k, o)| (k.clone(), (Value::from_json(&o.value), o.sensitive)))
        .collect();
    Ok(ApplyRun {
        failed: outcome.failed.iter().map(|(a, e)| (a.to_string(), e.clone())).collect(),
        skipped: outcome.skipped.iter().map(ToString::to_string).collect(),
        cancelled: outcome.cancelled,
        persist_error: outcome.persist_error.clone(),
        outputs_error: outcome.outputs_error.clone(),
        outputs,
        state: outcome.state,
    })
}

/// The state of a first apply. When the plan creates anything, an empty state
/// is written first so its lineage is durable: providers derive idempotency
/// tokens and ownership tags from (lineage, address, generation), and a
/// crash during the first apply must find the same lineage on re-apply.
async fn first_state(ws: &Workspace, plan: &Plan) -> Result<State, EngineError> {
    let mut state = State::new();
    if plan.changes.iter().any(|c| c.action != contin_planner::Action::NoOp) {
        state.serial = 1;
        ws.backend.persist(&state, None).await.map_err(|e| EngineError::Other(anyhow::Error::from(e).context("writing the initial state")))?;
    }
    Ok(state)
}

/// Refuses a plan whose base (lineage, serial) no longer matches the stored state.
pub fn check_fresh(plan: &Plan, state: Option<&State>) -> Result<(), EngineError> {
    let now = state.map(|s| (s.lineage.clone(), s.serial));
    let planned = match (&plan.lineage, plan.base_serial) {
        (Some(l), Some(s)) => Some((l.clone(), s)),
        _ => None,
    };
    if now == planned {
        return Ok(());
    }
    let show = |x: &Option<(String, u64)>| match x {
        Some((l, s)) => format!("lineage {l}, serial {s}"),
        None => "no state".to_string(),
    };
    Err(anyhow!(
        "Saved plan is stale: it was made against {} but the state is now at {}. Another operation changed the state after this plan was created; run `contin plan` again and apply the new plan.",
        show(&planned),
        show(&now)
    )
    .into())
}

/// The block-level dependency graph in DOT (`contin graph`).
pub fn graph_dot(opts: &LoadOptions) -> Result<String, EngineError> {
    let dir = enter(&opts.dir)?;
    let (config, _) = parse_dir(&dir)?;
    let providers = builtin_providers();
    let schemas: BTreeMap<String, ProviderSchema> = providers.iter().map(|(n, p)| (n.clone(), p.schema())).collect();
    let prepared = contin_planner::walk::prepare(&config, &schemas).map_err(|d| diag_err(d, &config.sources))?;
    Ok(prepared.graph.to_dot())
}
