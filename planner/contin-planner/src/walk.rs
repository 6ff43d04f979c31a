//! The plan walk: evaluates the configuration in dependency order against
//! refreshed state and asks each provider for its (pure) diff, producing the
//! immutable `Plan`.

use crate::conditions::ConditionKind;
use crate::instance::{desired_config, expand};
use crate::io::PlanIo;
use crate::plan::*;
use crate::scope::{shape_resource, EvalScope, Repetition, ResourceValues};
use contin_config::{Config, Resource};
use contin_graph::{block_key, BlockKey, DepGraph, Node};
use contin_provider::{BlockSchema, Provider, ProviderSchema};
use contin_state::{ResourceStatus, State};
use contin_types::value::ValuePath;
use contin_types::{Diagnostic, Diagnostics, InstanceKey, ResourceAddr, ResourceMode, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Everything planning needs, prepared by the caller (no IO happens here
/// except through `io`).
pub struct PlanningInput<'a> {
    pub config: &'a Config,
    pub variables: &'a BTreeMap<String, Value>,
    pub state: Option<&'a State>,
    /// `Provider::read` results for state resources (`None` = gone). An
    /// absent entry means "not refreshed": the recorded value is used.
    pub refreshed: &'a BTreeMap<ResourceAddr, Option<Value>>,
    pub providers: &'a BTreeMap<String, Arc<dyn Provider>>,
    pub schemas: &'a BTreeMap<String, ProviderSchema>,
    pub io: &'a dyn PlanIo,
    pub mode: PlanMode,
    /// `--target` addresses (resource or instance).
    pub targets: &'a [ResourceAddr],
}

/// Static facts about a configuration used by planning and apply-time evaluation.
pub struct Prepared {
    pub graph: DepGraph,
    pub blocks: HashMap<BlockKey, usize>,
    /// Provider name of every resource block (parallel to `config.resources`).
    pub block_provider: Vec<String>,
}

/// Builds the graph and resolves each resource block's provider and schema.
pub fn prepare(config: &Config, schemas: &BTreeMap<String, ProviderSchema>) -> Result<Prepared, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut block_provider = Vec::with_capacity(config.resources.len());
    for r in &config.resources {
        match provider_for(r, schemas) {
            Ok(p) => block_provider.push(p),
            Err(d) => {
                diags.push(d);
                block_provider.push(String::new());
            }
        }
    }
    diags.extend(crate::state_edits::check_statements(config));
    let graph = match contin_graph::build(config) {
        Ok(g) => Some(g),
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    match graph {
        Some(graph) if !diags.has_errors() => {
            let blocks = config.resources.iter().enumerate().map(|(i, r)| (block_key(r), i)).collect();
            Ok(Prepared { graph, blocks, block_provider })
        }
        _ => Err(diags),
    }
}

/// The schema of a resource block (provider already resolved by `prepare`).
pub fn block_schema<'s>(r: &Resource, provider: &str, schemas: &'s BTreeMap<String, ProviderSchema>) -> Option<&'s BlockSchema> {
    let s = schemas.get(provider)?;
    match r.mode {
        ResourceMode::Managed => s.resources.get(&r.ty),
        ResourceMode::Data => s.data_sources.get(&r.ty),
    }
}

/// The provider serving a resource block: its `provider` argument, else the
/// first provider whose schema has the type (located diagnostic when none).
pub fn provider_for(r: &Resource, schemas: &BTreeMap<String, ProviderSchema>) -> Result<String, Diagnostic> {
    let kind = if r.mode == ResourceMode::Data { "data source" } else { "resource" };
    let has = |s: &ProviderSchema| match r.mode {
        ResourceMode::Managed => s.resources.contains_key(&r.ty),
        ResourceMode::Data => s.data_sources.contains_key(&r.ty),
    };
    if let Some(p) = &r.provider {
        // `provider = aws.west` names an aliased configuration: the caller
        // registers one schema entry per configuration ("aws", "aws.west").
        let name = p.split('.').next().unwrap_or(p);
        if p.contains('.') {
            return match (schemas.get(p.as_str()), schemas.contains_key(name)) {
                (Some(s), _) if has(s) => Ok(p.clone()),
                (Some(_), _) => Err(Diagnostic::error(format!("Invalid {kind} type"))
                    .with_detail(format!("The provider \"{name}\" does not support {kind} type \"{}\".", r.ty))
                    .at(r.loc.clone())),
                (None, true) => {
                    let alias = &p[name.len() + 1..];
                    Err(Diagnostic::error("Provider configuration not present")
                        .with_detail(format!(
                            "{kind} \"{}.{}\" refers to provider configuration \"{p}\", which is not declared: add provider \"{name}\" {{ alias = \"{alias}\" }}.",
                            r.ty, r.name
                        ))
                        .at(r.loc.clone()))
                }
                (None, false) => Err(Diagnostic::error("Unknown provider")
                    .with_detail(format!(
                        "No provider named \"{name}\" is built into contin. Available providers: {}.",
                        schemas.keys().filter(|k| !k.contains('.')).cloned().collect::<Vec<_>>().join(", ")
                    ))
                    .at(r.loc.clone())),
            };
        }
        return match schemas.get(name) {
            Some(s) if has(s) => Ok(name.to_string()),
            Some(_) => Err(Diagnostic::error(format!("Invalid {kind} type"))
                .with_detail(format!("The provider \"{name}\" does not support {kind} type \"{}\".", r.ty))
                .at(r.loc.clone())),
            None => Err(Diagnostic::error("Unknown provider")
                .with_detail(format!(
                    "No provider named \"{name}\" is built into contin. Available providers: {}.",
                    schemas.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
                .at(r.loc.clone())),
        };
    }
    // Implied provider: the default (unaliased) configuration of the type's provider.
    if let Some((name, _)) = schemas.iter().find(|(n, s)| !n.contains('.') && has(s)) {
        return Ok(name.clone());
    }
    let all: Vec<&String> = schemas
        .values()
        .flat_map(|s| match r.mode {
            ResourceMode::Managed => s.resources.keys(),
            ResourceMode::Data => s.data_sources.keys(),
        })
        .collect();
    let mut detail = format!("No built-in provider supports {kind} type \"{}\".", r.ty);
    if let Some(best) = contin_graph::closest(&r.ty, all.iter()) {
        detail.push_str(&format!(" Did you mean \"{best}\"?"));
    } else {
        let mut names: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        detail.push_str(&format!(" Supported {kind} types: {}.", names.join(", ")));
    }
    Err(Diagnostic::error(format!("Invalid {kind} type")).with_detail(detail).at(r.loc.clone()))
}

/// Values known while walking: planned resource values and locals.
#[derive(Default)]
struct WalkValues {
    resources: HashMap<usize, Value>,
    locals: HashMap<String, Value>,
}

impl ResourceValues for WalkValues {
    fn resource_value(&self, index: usize) -> Option<Value> {
        self.resources.get(&index).cloned()
    }
    fn resource_instance(&self, index: usize, key: &InstanceKey) -> Option<Value> {
        crate::scope::shaped_instance(self.resources.get(&index)?, key)
    }
    fn local_value(&self, name: &str, _scope: &EvalScope<'_>) -> Result<Value, Diagnostic> {
        // Locals are evaluated before their dependants; a missing one had an error already.
        Ok(self.locals.get(name).cloned().unwrap_or(Value::Unknown))
    }
}

/// Computes the plan (large levels of the graph on one thread per core).
pub fn plan(input: &PlanningInput<'_>) -> Result<Plan, Diagnostics> {
    plan_on(input, std::thread::available_parallelism().map_or(1, usize::from))
}

/// [`plan`] on up to `threads` threads: the result never depends on `threads`.
pub(crate) fn plan_on(input: &PlanningInput<'_>, threads: usize) -> Result<Plan, Diagnostics> {
    // `moved` / `removed` statements: plan against the state as they leave it.
    let Some((state, edits)) = crate::state_edits::plan_state_edits(input.config, input.state) else {
        return plan_edited(input, LanguageEffects::default(), threads);
    };
    let mut refreshed = input.refreshed.clone();
    for (from, to) in &edits.moved {
        if let Some(v) = refreshed.remove(from) {
            refreshed.insert(to.clone(), v);
        }
    }
    for a in &edits.forgotten {
        refreshed.remove(a);
    }
    let edited = PlanningInput { state: Some(&state), refreshed: &refreshed, ..*input };
    plan_edited(&edited, edits, threads)
}

fn plan_edited(input: &PlanningInput<'_>, mut language: LanguageEffects, threads: usize) -> Result<Plan, Diagnostics> {
    let prepared = prepare(input.config, input.schemas)?;
    if input.mode != PlanMode::Destroy {
        // `import` blocks: the engine read each target into `refreshed`.
        for t in crate::imports::import_targets(input.config, input.variables, input.schemas, input.io)? {
            if input.state.is_some_and(|s| s.resources.contains_key(&t.addr)) {
                continue;
            }
            match input.refreshed.get(&t.addr) {
                Some(Some(_)) => language.imports.push(PlannedImport { addr: t.addr, provider: t.provider, id: t.id }),
                _ => {
                    return Err(Diagnostic::error("Cannot import")
                        .with_detail(format!("{} (ID {:?}) was not read from its provider before planning.", t.addr, t.id))
                        .at(t.loc)
                        .into())
                }
            }
        }
    }
    let mut changes: BTreeMap<ResourceAddr, ResourceChange> = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let mut outputs = BTreeMap::new();

    if input.mode == PlanMode::Destroy {
        plan_destroy(input, &mut changes);
        if let Some(state) = input.state {
            for (name, o) in &state.outputs {
                let before = Value::from_json(&o.value);
                let before = if o.sensitive { before.mark_sensitive() } else { before };
                outputs.insert(name.clone(), OutputChange { action: Action::Delete, before: Some(before), after: None, sensitive: o.sensitive });
            }
        }
    } else {
        let mut values = WalkValues::default();
        // A resource's value is dropped once its last dependant (resource,
        // local or output: the graph's edges, which also fix the walk order)
        // has been planned: a layered 100,000-resource plan then keeps about
        // one layer of values instead of all of them.
        let mut dependants: HashMap<usize, usize> = HashMap::new();
        for &ix in &prepared.graph.order {
            if let Node::Resource(i) = prepared.graph.graph[ix] {
                dependants.insert(i, prepared.graph.dependant_count(ix));
            }
        }
        // `check` assertions run after the walk: keep what they read.
        for c in &input.config.checks {
            for site in c.asserts.iter().flat_map(|a| contin_eval::references(&a.condition).into_iter().chain(contin_eval::references(&a.error_message))) {
                if let contin_eval::Reference::Resource { mode, ty, name } = site.reference {
                    if let Some(&i) = prepared.blocks.get(&(mode, ty, name)) {
                        *dependants.entry(i).or_insert(0) += 1;
                    }
                }
            }
        }
        // Diagnostics per walk position, joined in walk order at the end, so
        // a level planned on several threads reports exactly as a serial walk.
        let mut node_diags: Vec<Diagnostics> = (0..prepared.graph.order.len()).map(|_| Diagnostics::new()).collect();
        let pool = walk_pool(threads);
        for level in levels(&prepared.graph) {
            if input.io.cancelled() {
                diags.push(interrupted());
                return Err(diags);
            }
            let blocks: Vec<(usize, usize)> = level
                .iter()
                .filter_map(|&pos| match prepared.graph.graph[prepared.graph.order[pos]] {
                    Node::Resource(i) => Some((pos, i)),
                    _ => None,
                })
                .collect();
            let planned_level = plan_blocks(input, &prepared, &values, &blocks, &changes, pool.as_ref());
            if input.io.cancelled() {
                diags.push(interrupted());
                return Err(diags);
            }
            for planned in planned_level {
                let PlannedBlock { pos, index, value, changes: block_changes, diags: block_diags } = planned;
                node_diags[pos] = block_diags;
                // Inserted one by one: `BTreeMap::append` rebuilds the whole
                // map (O(n) per block, quadratic over a 100,000-block walk).
                changes.extend(block_changes);
                if dependants.get(&index).is_some_and(|n| *n > 0) {
                    values.resources.insert(index, value);
                }
            }
            // Locals and outputs of this level use only earlier levels.
            for &pos in &level {
                match prepared.graph.graph[prepared.graph.order[pos]].clone() {
                    Node::Local(name) => {
                        let local = &input.config.locals[&name];
                        let scope = walk_scope(input, &prepared, &values);
                        let v = crate::scope::eval_local(input.config, local, &scope).unwrap_or_else(|d| {
                            node_diags[pos].extend(d);
                            Value::Unknown
                        });
                        values.locals.insert(name, v);
                    }
                    Node::Output(name) => {
                        let scope = walk_scope(input, &prepared, &values);
                        if let Some(oc) = plan_output(input, &name, &scope, &mut node_diags[pos]) {
                            outputs.insert(name, oc);
                        }
                    }
                    Node::Variable(_) | Node::Resource(_) => {}
                }
            }
            for &pos in &level {
                release_dependencies(&prepared, prepared.graph.order[pos], &mut dependants, &mut values);
            }
        }
        for d in node_diags {
            diags.extend(d);
        }
        let scope = walk_scope(input, &prepared, &values);
        for c in &input.config.checks {
            language.warnings.extend(crate::conditions::check(&c.asserts, ConditionKind::CheckAssertion, &scope, None));
        }
        plan_orphans(input, &prepared, &mut changes);
        if let Some(state) = input.state {
            for (name, o) in &state.outputs {
                if !input.config.outputs.contains_key(name) {
                    let before = Value::from_json(&o.value);
                    let before = if o.sensitive { before.mark_sensitive() } else { before };
                    outputs.insert(name.clone(), OutputChange { action: Action::Delete, before: Some(before), after: None, sensitive: o.sensitive });
                }
            }
        }
    }
    for i in &language.imports {
        if !changes.contains_key(&i.addr) {
            diags.push(
                Diagnostic::error("Configuration for import target does not exist")
                    .with_detail(format!("The configuration for the given import target {} does not exist. All target instances must have an associated configuration to be imported.", i.addr)),
            );
        }
    }
    let kept = if input.targets.is_empty() { BTreeSet::new() } else { apply_targets(input, &mut changes) };
    let deposed = plan_deposed(input, &kept);
    check_prevent_destroy(input, &prepared, &changes, &mut diags);
    if diags.has_errors() {
        return Err(diags);
    }
    let drift = if input.mode == PlanMode::Destroy { Vec::new() } else { drift(input) };
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: input.mode,
        lineage: input.state.map(|s| s.lineage.clone()),
        base_serial: input.state.map(|s| s.serial),
        config_hash: config_hash(input.config),
        sources: input.config.sources.clone(),
        variables: input.variables.clone(),
        targets: input.targets.iter().map(ToString::to_string).collect(),
        changes: changes.into_values().collect(),
        drift,
        unreachable: Vec::new(),
        outputs,
        deposed,
        language,
    })
}

/// The walk order's positions grouped by level: a node's level is one more
/// than its highest dependency's, so the nodes of one level never use each
/// other and can be planned in any order (each level keeps walk order).
fn levels(graph: &DepGraph) -> Vec<Vec<usize>> {
    let mut level_of: HashMap<contin_graph::NodeIndex, usize> = HashMap::with_capacity(graph.order.len());
    let mut levels: Vec<Vec<usize>> = Vec::new();
    for (pos, &ix) in graph.order.iter().enumerate() {
        let level = graph.direct_dependencies(ix).filter_map(|d| level_of.get(&d)).map(|l| l + 1).max().unwrap_or(0);
        level_of.insert(ix, level);
        if levels.len() <= level {
            levels.resize_with(level + 1, Vec::new);
        }
        levels[level].push(pos);
    }
    levels
}

/// The error of a walk stopped by the user.
fn interrupted() -> Diagnostic {
    Diagnostic::error("Planning interrupted").with_detail("The plan was stopped before it finished (interrupt or terminate signal); nothing was written.")
}

/// One resource block's planning result.
struct PlannedBlock {
    pos: usize,
    index: usize,
    value: Value,
    changes: BTreeMap<ResourceAddr, ResourceChange>,
    diags: Diagnostics,
}

/// Below this many blocks in one level, the level is planned on the
/// calling thread (handing it to the pool would cost more than it saves).
const PARALLEL_MIN_BLOCKS: usize = 16;

/// Plans the resource `blocks` (walk position, block index) of one level,
/// on the walk's thread pool when the level is large; results in
/// the order of `blocks`.
fn plan_blocks(
    input: &PlanningInput<'_>,
    prepared: &Prepared,
    values: &WalkValues,
    blocks: &[(usize, usize)],
    planned: &BTreeMap<ResourceAddr, ResourceChange>,
    pool: Option<&rayon::ThreadPool>,
) -> Vec<PlannedBlock> {
    let one = |&(pos, index): &(usize, usize)| {
        if input.io.cancelled() {
            // The caller sees the cancellation after the level and stops.
            return PlannedBlock { pos, index, value: Value::Unknown, changes: BTreeMap::new(), diags: Diagnostics::new() };
        }
        // Per block, like Terraform: `b[i]` depends on `a`, not on each
        // `a[j]` (K×K addresses for count → count).
        let ix = prepared.graph.order[pos];
        let mut deps: Vec<ResourceAddr> =
            prepared.graph.resource_dependencies(ix).into_iter().map(|j| block_addr(&input.config.resources[j])).collect();
        deps.sort();
        let mut changes = BTreeMap::new();
        let mut diags = Diagnostics::new();
        let value = plan_block(input, prepared, values, index, deps, planned, &mut changes, &mut diags);
        PlannedBlock { pos, index, value, changes, diags }
    };
    match pool {
        Some(pool) if blocks.len() >= PARALLEL_MIN_BLOCKS => {
            use rayon::prelude::*;
            // Indexed: the results keep the order of `blocks`.
            pool.install(|| blocks.par_iter().map(one).collect())
        }
        _ => blocks.iter().map(one).collect(),
    }
}

/// One pool for the whole walk (thousands of levels: starting threads per
/// level cost ~20 % of a 100,000-block plan); `None` plans on this thread.
fn walk_pool(threads: usize) -> Option<rayon::ThreadPool> {
    if threads < 2 {
        return None;
    }
    rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("contin-plan-{i}")).build().ok()
}

/// After `ix` was planned: one dependant fewer for each resource it uses;
/// a value no later node needs is dropped.
fn release_dependencies(prepared: &Prepared, ix: contin_graph::NodeIndex, dependants: &mut HashMap<usize, usize>, values: &mut WalkValues) {
    for dep in prepared.graph.direct_dependencies(ix) {
        if let Node::Resource(j) = prepared.graph.graph[dep] {
            if let Some(n) = dependants.get_mut(&j) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    values.resources.remove(&j);
                }
            }
        }
    }
}

/// `a.to_json_lossy() == b.to_json_lossy()` without building either JSON
/// value (planning compares every instance's planned and prior values).
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::Null | Value::Unknown, Value::Null | Value::Unknown) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        // Equal numbers are equal JSON; unequal ones may still meet in f64.
        (x @ Value::Number(n), y @ Value::Number(m)) => n == m || x.to_json_lossy() == y.to_json_lossy(),
        (Value::List(x) | Value::Set(x), Value::List(y) | Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, p), (l, q))| k == l && same_json(p, q))
        }
        _ => false,
    }
}

/// The address of a whole resource block (`aws_instance.a`).
fn block_addr(r: &Resource) -> ResourceAddr {
    ResourceAddr { module: r.module.clone(), mode: r.mode, ty: r.ty.clone(), name: r.name.clone(), key: InstanceKey::None }
}

/// Recorded dependencies as block addresses, sorted and de-duplicated:
/// states written before dependencies were kept per block list every
/// instance (`a[0]`, `a[1]`, …).
pub fn block_dependencies(deps: &[ResourceAddr]) -> Vec<ResourceAddr> {
    let mut out: Vec<ResourceAddr> = deps.iter().map(ResourceAddr::resource).collect();
    out.sort();
    out.dedup();
    out
}

fn walk_scope<'a>(input: &'a PlanningInput<'_>, prepared: &'a Prepared, values: &'a WalkValues) -> EvalScope<'a> {
    EvalScope {
        config: input.config,
        blocks: &prepared.blocks,
        variables: input.variables,
        values,
        repetition: Repetition::default(),
        io: input.io,
    }
}

/// sha256 over every source file name and text.
pub fn config_hash(config: &Config) -> String {
    let mut h = Sha256::new();
    for (name, text) in &config.sources.files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Recorded value of a state resource with its sensitive marks.
fn recorded_value(input: &PlanningInput<'_>, addr: &ResourceAddr) -> Option<Value> {
    input.state?.resources.get(addr).map(|rs| rs.value())
}

/// Where a provider's validation problem points: a summary starting with an
/// argument path (`cidr_block: …`, `ingress[0].protocol: …`) is located at
/// that argument or nested block; anything else at the resource block.
fn argument_loc(r: &Resource, summary: &str) -> contin_types::SourceLoc {
    let head = summary.split([':', '.', '[', ' ']).next().unwrap_or("");
    if let Some(a) = r.body.attributes.get(head) {
        return a.loc.clone();
    }
    if let Some(b) = r.body.blocks.iter().find(|b| b.ty == head) {
        return b.loc.clone();
    }
    r.loc.clone()
}

/// The recorded sensitive paths of `prior` whose value the plan keeps
/// (known and equal in `planned`): a value that was sensitive stays so in
/// the plan's `after` (e.g. a `local_exec.output` from a secret command,
/// which no configuration mark covers).
fn kept_marks(recorded: &[ValuePath], prior: &Value, planned: &Value) -> Vec<ValuePath> {
    recorded
        .iter()
        .filter(|p| match (prior.get_path(p), planned.get_path(p)) {
            (Some(was), Some(now)) => !now.is_null() && now.is_wholly_known() && same_json(was, now),
            _ => false,
        })
        .cloned()
        .collect()
}

/// Adds schema-sensitive marks and the given paths to a plain value.
fn mark(value: Value, block: Option<&BlockSchema>, extra: &[ValuePath]) -> Value {
    let mut paths: Vec<ValuePath> = extra.to_vec();
    if let Some(b) = block {
        paths.extend(contin_provider::schema::sensitive_paths(b, &value));
    }
    value.mark_paths(&paths)
}

#[allow(clippy::too_many_arguments)]
fn plan_block(
    input: &PlanningInput<'_>,
    prepared: &Prepared,
    values: &WalkValues,
    i: usize,
    deps: Vec<ResourceAddr>,
    // Changes of the earlier levels (what `replace_triggered_by` looks at).
    planned: &BTreeMap<ResourceAddr, ResourceChange>,
    changes: &mut BTreeMap<ResourceAddr, ResourceChange>,
    diags: &mut Diagnostics,
) -> Value {
    let r = &input.config.resources[i];
    let provider_name = &prepared.block_provider[i];
    let base_addr = block_addr(r);
    let scope = walk_scope(input, prepared, values);
    let expanded = match expand(r, &scope) {
        Ok(e) => e,
        Err(d) => {
            diags.extend(for_addr(d, &base_addr));
            return Value::Unknown;
        }
    };
    let Some(block) = block_schema(r, provider_name, input.schemas) else {
        return Value::Unknown;
    };
    if expanded.is_empty() {
        // No instance runs the per-instance checks; like Terraform (and
        // `contin validate`), a block with count = 0 must still be valid.
        diags.extend(for_addr(static_argument_problems(r, block), &base_addr));
    }
    let provider = input.providers.get(provider_name);
    // Like Terraform, a data source whose `depends_on` names a managed object
    // with changes pending is read during apply, after them (its answer may
    // change). Plain references do not defer the read (Terraform reads at
    // plan time what is known).
    let explicit = |d: &ResourceAddr| {
        d.mode == ResourceMode::Managed && r.depends_on.iter().any(|x| x.mode == d.mode && x.ty == d.ty && x.name == d.name)
    };
    let deps_pending = r.mode == ResourceMode::Data
        && deps.iter().filter(|d| explicit(d)).any(|d| {
            planned
                .range(d.clone()..)
                .take_while(|(a, _)| a.module == d.module && a.mode == d.mode && a.ty == d.ty && a.name == d.name)
                .any(|(_, c)| c.action != Action::NoOp && !(c.action == Action::Read && c.after.as_ref().is_some_and(Value::is_wholly_known)))
        });
    let mut inst_values = Vec::with_capacity(expanded.len());
    for (key, rep) in expanded {
        let addr = base_addr.clone().with_key(key.clone());
        let inst_scope = scope.with_repetition(rep);
        let state_rs = input.state.and_then(|s| s.resources.get(&addr));
        // Refreshed value (plain) if refreshed, else recorded.
        let (prior_plain, gone) = match input.refreshed.get(&addr) {
            Some(Some(v)) => (Some(v.clone()), false),
            Some(None) => (None, state_rs.is_some()),
            // A placeholder with null attributes is a create whose outcome a
            // crash left unknown (journal recovery): nothing to compare with.
            None => (state_rs.filter(|rs| !rs.attributes.is_null()).map(|rs| Value::from_json(&rs.attributes)), false),
        };
        let pre = crate::conditions::check(&r.lifecycle.preconditions, ConditionKind::ResourcePrecondition, &inst_scope, None);
        if !pre.is_empty() {
            diags.extend(for_addr(Diagnostics(pre), &addr));
            inst_values.push((key, Value::Unknown));
            continue;
        }
        let desired = match desired_config(r, block, &inst_scope, prior_plain.as_ref()) {
            Ok(d) => d,
            Err(d) => {
                diags.extend(for_addr(d, &addr));
                inst_values.push((key, Value::Unknown));
                continue;
            }
        };
        let (desired_plain, config_marks, desired_marked) = desired.into_unmarked_deep();
        let desired = desired_marked.as_ref().unwrap_or(&desired_plain);
        // A provider that asks for them sees the configuration's sensitive
        // marks, so its messages can leave secrets out.
        let marks = provider.is_some_and(|p| p.receives_sensitive_marks());
        if let Some(p) = provider.filter(|_| r.mode == ResourceMode::Managed) {
            // `validate` checks resources: a data source of the same type
            // name (data local_file) has other arguments.
            for d in p.validate(&r.ty, if marks { desired } else { &desired_plain }).0 {
                let d = if d.loc.is_none() { let loc = argument_loc(r, &d.summary); d.at(loc) } else { d };
                diags.push(d.for_address(&addr));
            }
        }
        let change = match r.mode {
            ResourceMode::Data => {
                let cfg = if marks { desired.clone() } else { desired_plain };
                plan_data(input, r, provider_name, block, &addr, cfg, &config_marks, state_rs.map(|rs| rs.value()), &deps, deps_pending, diags)
            }
            ResourceMode::Managed => {
                let Some(p) = provider else { continue };
                let tainted = state_rs.is_some_and(|rs| rs.status == ResourceStatus::Tainted);
                // A tainted object is replaced: its successor is planned as a
                // create (computed attributes unknown), not as an update of it.
                let plan_prior = if tainted { None } else { prior_plain.as_ref() };
                let pc = p.plan_change(&r.ty, plan_prior, &desired_plain);
                for d in pc.diagnostics.0 {
                    diags.push(d.at_opt(Some(r.loc.clone())).for_address(&addr));
                }
                let triggered = match (&prior_plain, tainted) {
                    (Some(_), false) if !r.lifecycle.replace_triggered_by.is_empty() => {
                        match replace_triggered(r, &inst_scope, planned) {
                            Ok(t) => t,
                            Err(d) => {
                                diags.extend(for_addr(d, &addr));
                                false
                            }
                        }
                    }
                    _ => false,
                };
                let (action, reason) = match &prior_plain {
                    Some(_) if triggered && pc.requires_replace.is_empty() => (Action::Replace, Some(ChangeReason::ReplaceTriggered)),
                    None if gone => (Action::Create, Some(ChangeReason::DeletedOutOfBand)),
                    None if tainted => (Action::Create, Some(ChangeReason::Tainted)),
                    None => (Action::Create, None),
                    Some(_) if tainted => (Action::Replace, Some(ChangeReason::Tainted)),
                    Some(_) if !pc.requires_replace.is_empty() => (Action::Replace, Some(ChangeReason::CannotUpdate)),
                    Some(prior) if pc.planned.is_wholly_known() && same_json(&pc.planned, prior) => (Action::NoOp, None),
                    Some(_) => (Action::Update, None),
                };
                let recorded_marks = state_rs.map(|rs| rs.sensitive_paths.clone()).unwrap_or_default();
                let mut after_marks = config_marks.clone();
                if let Some(prior) = prior_plain.as_ref().filter(|_| !tainted) {
                    after_marks.extend(kept_marks(&recorded_marks, prior, &pc.planned));
                }
                let before = prior_plain.map(|v| mark(v, Some(block), &recorded_marks));
                ResourceChange {
                    addr: addr.clone(),
                    provider: provider_name.clone(),
                    action,
                    before,
                    after: Some(mark(pc.planned, Some(block), &after_marks)),
                    replace_paths: if action == Action::Replace { pc.requires_replace } else { Vec::new() },
                    reason,
                    depends_on: deps.clone(),
                    create_before_destroy: r.lifecycle.create_before_destroy,
                    prevent_destroy: r.lifecycle.prevent_destroy,
                }
            }
        };
        if let Some(after) = change.after.as_ref().filter(|_| !r.lifecycle.postconditions.is_empty()) {
            let post = crate::conditions::check(&r.lifecycle.postconditions, ConditionKind::ResourcePostcondition, &inst_scope, Some(after));
            diags.extend(for_addr(Diagnostics(post), &addr));
        }
        inst_values.push((key, change.after.clone().unwrap_or(Value::Unknown)));
        changes.insert(addr, change);
    }
    shape_resource(r, inst_values)
}

/// The checks on a resource block's own arguments that need no evaluation:
/// unknown and computed-only arguments, missing required ones (`contin
/// validate`, and `plan` for blocks without instances).
pub fn static_argument_problems(r: &Resource, block: &BlockSchema) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (name, attr) in &r.body.attributes {
        match block.attributes.get(name) {
            None => diags.push(contin_provider::validate::unsupported(block, name, Vec::new()).to_diagnostic().at(attr.loc.clone())),
            Some(a) if a.is_computed_only() => diags.push(
                Diagnostic::error("Invalid argument")
                    .with_detail(format!("\"{name}\" is set by the provider (computed) and cannot be configured."))
                    .at(attr.loc.clone()),
            ),
            Some(_) => {}
        }
    }
    for (name, a) in &block.attributes {
        if a.required && !r.body.attributes.contains_key(name) {
            diags.push(
                Diagnostic::error("Missing required argument")
                    .with_detail(format!("The argument \"{name}\" is required, but no definition was found."))
                    .at(r.loc.clone()),
            );
        }
    }
    diags
}

#[allow(clippy::too_many_arguments)]
fn plan_data(
    input: &PlanningInput<'_>,
    r: &Resource,
    provider_name: &str,
    block: &BlockSchema,
    addr: &ResourceAddr,
    cfg: Value,
    config_marks: &[ValuePath],
    recorded: Option<Value>,
    deps: &[ResourceAddr],
    deps_pending: bool,
    diags: &mut Diagnostics,
) -> ResourceChange {
    // `cfg` carries the configuration's marks when the provider asks for them.
    let after = if cfg.is_wholly_known() && !deps_pending {
        match input.io.read_data(provider_name, &r.ty, &cfg) {
            Ok(v) => mark(v, Some(block), config_marks),
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!("Failed to read data source {addr}"))
                        .with_detail(e)
                        .at(r.loc.clone())
                        .for_address(addr),
                );
                Value::Unknown
            }
        }
    } else {
        // Read during apply, once the values it depends on are known: what
        // the provider computes is unknown until then (not absent).
        let mut cfg = cfg;
        if let Value::Map(m) = &mut cfg {
            for (name, a) in &block.attributes {
                if a.computed && m.get(name).is_none_or(Value::is_null) {
                    m.insert(name.clone(), Value::Unknown);
                }
            }
        }
        mark(cfg, Some(block), config_marks)
    };
    let same = recorded.as_ref().is_some_and(|rec| after.is_wholly_known() && same_json(rec, &after));
    ResourceChange {
        addr: addr.clone(),
        provider: provider_name.to_string(),
        action: if same { Action::NoOp } else { Action::Read },
        before: recorded,
        after: Some(after),
        replace_paths: Vec::new(),
        reason: None,
        // A read during apply waits for what its configuration refers to.
        depends_on: deps.to_vec(),
        create_before_destroy: false,
        prevent_destroy: false,
    }
}

/// `lifecycle.prevent_destroy`: an error for every planned destroy (replace,
/// delete, `plan -destroy`) of an instance whose block sets it. Checked
/// after `-target` narrowed the plan, so targeting around it works.
fn check_prevent_destroy(input: &PlanningInput<'_>, prepared: &Prepared, changes: &BTreeMap<ResourceAddr, ResourceChange>, diags: &mut Diagnostics) {
    for c in changes.values() {
        if !matches!(c.action, Action::Replace | Action::Delete) || c.addr.mode != ResourceMode::Managed {
            continue;
        }
        let Some(&i) = prepared.blocks.get(&(c.addr.mode, c.addr.ty.clone(), c.addr.block_name())) else { continue };
        let r = &input.config.resources[i];
        if r.lifecycle.prevent_destroy {
            diags.push(prevent_destroy_error(r, &c.addr));
        }
    }
}

fn prevent_destroy_error(r: &Resource, addr: &ResourceAddr) -> Diagnostic {
    Diagnostic::error("Instance cannot be destroyed")
        .with_detail(format!(
            "Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using --target."
        ))
        .at(r.lifecycle.loc.clone().unwrap_or_else(|| r.loc.clone()))
        .for_address(addr)
}

fn for_addr(d: Diagnostics, addr: &ResourceAddr) -> Diagnostics {
    Diagnostics(d.0.into_iter().map(|x| if x.address.is_some() { x } else { x.for_address(addr) }).collect())
}

/// Terraform's refusal of an output holding a sensitive value without
/// `sensitive = true` (at plan, and at apply for values known only then).
pub(crate) fn sensitive_output(name: &str, o: &contin_config::Output) -> Diagnostic {
    Diagnostic::error("Output refers to sensitive values")
        .with_detail(format!(
            "Output \"{name}\" refers to sensitive values; contin requires that any root module output containing sensitive data be explicitly marked as sensitive. Add `sensitive = true` to the output block."
        ))
        .at(o.value.loc())
}

fn plan_output(input: &PlanningInput<'_>, name: &str, scope: &EvalScope<'_>, diags: &mut Diagnostics) -> Option<OutputChange> {
    let o = &input.config.outputs[name];
    let pre = crate::conditions::check(&o.preconditions, ConditionKind::OutputPrecondition, scope, None);
    if !pre.is_empty() {
        diags.extend(Diagnostics(pre));
        return None;
    }
    let v = match contin_eval::eval(&o.value, scope) {
        Ok(v) => v,
        Err(d) => {
            diags.extend(d);
            return None;
        }
    };
    if v.contains_sensitive() && !o.sensitive {
        diags.push(sensitive_output(name, o));
        return None;
    }
    let after = if o.sensitive { v.mark_sensitive() } else { v };
    let before = input.state.and_then(|s| s.outputs.get(name)).map(|os| {
        let b = Value::from_json(&os.value);
        if os.sensitive { b.mark_sensitive() } else { b }
    });
    let action = match &before {
        None => Action::Create,
        Some(b) if after.is_wholly_known() && same_json(b, &after) => Action::NoOp,
        Some(_) => Action::Update,
    };
    Some(OutputChange { action, before, after: Some(after), sensitive: o.sensitive })
}

/// Deletes for state instances that the configuration no longer has.
fn plan_orphans(input: &PlanningInput<'_>, prepared: &Prepared, changes: &mut BTreeMap<ResourceAddr, ResourceChange>) {
    let Some(state) = input.state else { return };
    for (addr, rs) in &state.resources {
        if changes.contains_key(addr) || only_deposed(rs) {
            continue;
        }
        let block = prepared.blocks.get(&(addr.mode, addr.ty.clone(), addr.block_name())).map(|i| &input.config.resources[*i]);
        let reason = match (block, &addr.key) {
            (Some(r), InstanceKey::Int(_)) if r.count.is_some() => ChangeReason::CountIndex,
            (Some(r), InstanceKey::Str(_)) if r.for_each.is_some() => ChangeReason::EachKey,
            _ => ChangeReason::NoResourceConfig,
        };
        let before = match input.refreshed.get(addr) {
            Some(None) => None,
            Some(Some(v)) => Some(v.clone().mark_paths(&rs.sensitive_paths)),
            None => Some(rs.value()),
        };
        // Already gone out of band: nothing to delete, drop it from state.
        changes.insert(addr.clone(), delete_change(addr, rs, before.or_else(|| Some(rs.value())), reason));
    }
}

/// A record whose current object is gone (deleted by an earlier apply)
/// but that still holds deposed objects: only they are left to destroy.
fn only_deposed(rs: &contin_state::ResourceState) -> bool {
    rs.attributes.is_null() && rs.status == ResourceStatus::Ready && !rs.deposed.is_empty()
}

/// A `Delete` per deposed object of every recorded instance (Terraform
/// alike: also when the instance has no change, is gone from the
/// configuration, or in destroy mode). With `-target`, the deposed objects
/// of targeted instances (and, in destroy mode, of the dependants kept with
/// them: `kept`) are included.
fn plan_deposed(input: &PlanningInput<'_>, kept: &BTreeSet<ResourceAddr>) -> Vec<DeposedChange> {
    let Some(state) = input.state else { return Vec::new() };
    let mut out = Vec::new();
    for (addr, rs) in &state.resources {
        if rs.deposed.is_empty() || addr.mode != ResourceMode::Managed {
            continue;
        }
        let included = input.targets.is_empty()
            || input.targets.iter().any(|t| target_matches(t, addr))
            || (input.mode == PlanMode::Destroy && kept.contains(addr));
        if !included {
            continue;
        }
        let block = input.schemas.get(&rs.provider).and_then(|s| s.resources.get(&addr.ty));
        let mut objects: Vec<&contin_state::DeposedObject> = rs.deposed.iter().collect();
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        for d in objects {
            let before = mark(Value::from_json(&d.attributes), block, &d.sensitive_paths);
            out.push(DeposedChange {
                key: d.key.clone(),
                change: ResourceChange {
                    addr: addr.clone(),
                    provider: rs.provider.clone(),
                    action: Action::Delete,
                    before: Some(before),
                    after: None,
                    replace_paths: Vec::new(),
                    reason: None,
                    depends_on: block_dependencies(&rs.dependencies),
                    create_before_destroy: false,
                    prevent_destroy: false,
                },
            });
        }
    }
    out
}

fn delete_change(addr: &ResourceAddr, rs: &contin_state::ResourceState, before: Option<Value>, reason: ChangeReason) -> ResourceChange {
    ResourceChange {
        addr: addr.clone(),
        provider: rs.provider.clone(),
        action: Action::Delete,
        before,
        after: None,
        replace_paths: Vec::new(),
        reason: Some(reason),
        depends_on: block_dependencies(&rs.dependencies),
        create_before_destroy: rs.create_before_destroy,
        prevent_destroy: false,
    }
}

fn plan_destroy(input: &PlanningInput<'_>, changes: &mut BTreeMap<ResourceAddr, ResourceChange>) {
    let Some(state) = input.state else { return };
    for (addr, rs) in &state.resources {
        if only_deposed(rs) {
            continue;
        }
        let before = match input.refreshed.get(addr) {
            Some(Some(v)) => Some(v.clone().mark_paths(&rs.sensitive_paths)),
            _ => Some(rs.value()),
        };
        changes.insert(addr.clone(), delete_change(addr, rs, before, ChangeReason::DestroyMode));
    }
}

fn target_matches(t: &ResourceAddr, addr: &ResourceAddr) -> bool {
    if t.is_module() {
        // `-target=module.net`: everything in that module instance and below.
        addr.within_module(&t.module)
    } else if t.key == InstanceKey::None {
        t.module == addr.module && t.mode == addr.mode && t.ty == addr.ty && t.name == addr.name
    } else {
        t == addr
    }
}

/// Keeps targeted changes and what they need: dependencies for
/// create/update, dependants for destroy. Everything else becomes a no-op.
/// Dependencies name blocks, so a dependency keeps every instance of its
/// block (Terraform alike); linear in changes + dependencies.
/// Returns the instances kept.
fn apply_targets(input: &PlanningInput<'_>, changes: &mut BTreeMap<ResourceAddr, ResourceChange>) -> BTreeSet<ResourceAddr> {
    let mut keep: BTreeSet<ResourceAddr> =
        changes.keys().filter(|a| input.targets.iter().any(|t| target_matches(t, a))).cloned().collect();
    let mut by_block: HashMap<ResourceAddr, Vec<&ResourceAddr>> = HashMap::new();
    for a in changes.keys() {
        by_block.entry(a.resource()).or_default().push(a);
    }
    let mut seen_blocks: BTreeSet<ResourceAddr> = BTreeSet::new();
    let mut more: Vec<ResourceAddr> = Vec::new();
    if input.mode == PlanMode::Destroy {
        // Dependants of a destroyed resource must go first: keep them too.
        let mut dependants: HashMap<ResourceAddr, Vec<&ResourceAddr>> = HashMap::new();
        for c in changes.values() {
            for d in &c.depends_on {
                dependants.entry(d.resource()).or_default().push(&c.addr);
            }
        }
        let mut stack: Vec<ResourceAddr> = keep.iter().map(ResourceAddr::resource).collect();
        while let Some(b) = stack.pop() {
            if !seen_blocks.insert(b.clone()) {
                continue;
            }
            for a in dependants.get(&b).into_iter().flatten() {
                if !keep.contains(*a) {
                    more.push((*a).clone());
                    stack.push(a.resource());
                }
            }
        }
    } else {
        let mut stack: Vec<ResourceAddr> = keep.iter().cloned().collect();
        while let Some(a) = stack.pop() {
            let Some(c) = changes.get(&a) else { continue };
            for d in &c.depends_on {
                let block = d.resource();
                if !seen_blocks.insert(block.clone()) {
                    continue;
                }
                for inst in by_block.get(&block).into_iter().flatten() {
                    if !keep.contains(*inst) {
                        more.push((*inst).clone());
                        stack.push((*inst).clone());
                    }
                }
            }
        }
    }
    keep.extend(more);
    for (addr, c) in changes.iter_mut() {
        if !keep.contains(addr) && c.action != Action::NoOp {
            if c.before.is_none() {
                // A create that is not targeted: leave it out entirely.
                c.after = None;
            } else {
                c.after = c.before.clone();
            }
            c.action = Action::NoOp;
            c.replace_paths.clear();
            c.reason = None;
        }
    }
    changes.retain(|_, c| c.before.is_some() || c.after.is_some());
    keep
}

fn drift(input: &PlanningInput<'_>) -> Vec<ResourceDrift> {
    let mut out = Vec::new();
    for (addr, current) in input.refreshed {
        let Some(recorded) = recorded_value(input, addr) else { continue };
        match current {
            None => out.push(ResourceDrift { addr: addr.clone(), recorded, current: None }),
            Some(cur) if !same_json(cur, &recorded) => {
                let marks = input.state.and_then(|s| s.resources.get(addr)).map(|rs| rs.sensitive_paths.clone()).unwrap_or_default();
                let recorded = sets_like(recorded, cur, 0);
                out.push(ResourceDrift { addr: addr.clone(), recorded, current: Some(cur.clone().mark_paths(&marks)) })
            }
            Some(_) => {}
        }
    }
    out
}

/// `recorded` (read back from the state file, where sets are JSON arrays)
/// with a set wherever `current` (the provider's answer) has one, so the
/// drift report compares sets as sets and shows only what changed.
fn sets_like(recorded: Value, current: &Value, depth: usize) -> Value {
    if depth >= contin_eval::limits::MAX_TYPE_DEPTH {
        return recorded;
    }
    match (recorded, current.unmarked()) {
        (Value::List(items), Value::Set(cur)) => {
            let like = cur.first().cloned().unwrap_or(Value::Null);
            Value::set(items.into_iter().map(|i| sets_like(i, &like, depth + 1)).collect())
        }
        (Value::List(items), Value::List(cur)) => Value::List(
            items.into_iter().enumerate().map(|(i, v)| match cur.get(i) {
                Some(c) => sets_like(v, c, depth + 1),
                None => v,
            }).collect(),
        ),
        (Value::Map(m), Value::Map(cur)) => {
            Value::Map(m.into_iter().map(|(k, v)| { let v = match cur.get(&k) { Some(c) => sets_like(v, c, depth + 1), None => v }; (k, v) }).collect())
        }
        (other, _) => other,
    }
}

/// `lifecycle.replace_triggered_by`: true when a referenced resource
/// instance is planned to change (create, update, replace), or, for an
/// attribute reference (`aws_x.a.id`), when that attribute's value changes
/// (unknown after the plan counts as a change).
fn replace_triggered(r: &Resource, scope: &EvalScope<'_>, changes: &BTreeMap<ResourceAddr, ResourceChange>) -> Result<bool, Diagnostics> {
    use hcl_edit::expr::{Expression, TraversalOperator};
    for e in &r.lifecycle.replace_triggered_by {
        let Expression::Traversal(t) = &e.expr else { continue };
        let Some(ty) = t.expr.as_variable().map(|v| v.as_str().to_string()) else { continue };
        let mut ops = t.operators.iter().map(|o| o.value()).peekable();
        let Some(TraversalOperator::GetAttr(name)) = ops.next() else { continue };
        let base = ResourceAddr { module: r.module.clone(), mode: ResourceMode::Managed, ty, name: name.as_str().to_string(), key: InstanceKey::None };
        // `[key]` picks one instance (may use count.index / each.key).
        let key = match ops.peek() {
            Some(TraversalOperator::Index(ix)) => {
                let ix = contin_config::Expr { expr: ix.clone(), file: e.file.clone() };
                let v = contin_eval::eval(&ix, scope)?;
                ops.next();
                match v.unmarked() {
                    Value::String(s) => Some(InstanceKey::Str(s.clone())),
                    Value::Number(n) => n.as_i64().map(InstanceKey::Int),
                    _ => None,
                }
            }
            Some(TraversalOperator::LegacyIndex(n)) => {
                let k = InstanceKey::Int(*n.value() as i64);
                ops.next();
                Some(k)
            }
            _ => None,
        };
        let path: Vec<contin_types::value::PathStep> = ops
            .map_while(|o| match o {
                TraversalOperator::GetAttr(a) => Some(contin_types::value::PathStep::Key(a.as_str().to_string())),
                TraversalOperator::LegacyIndex(n) => usize::try_from(*n.value()).ok().map(contin_types::value::PathStep::Index),
                _ => None,
            })
            .collect();
        let picked: Vec<&ResourceChange> = match &key {
            Some(k) => changes.get(&base.clone().with_key(k.clone())).into_iter().collect(),
            None => changes.values().filter(|c| c.addr.resource() == base).collect(),
        };
        for c in picked {
            let changed = if path.is_empty() {
                matches!(c.action, Action::Create | Action::Update | Action::Replace)
            } else {
                let before = c.before.as_ref().and_then(|b| b.get_path(&path));
                let after = c.after.as_ref().and_then(|a| a.get_path(&path));
                match (before, after) {
                    (_, Some(a)) if !a.is_wholly_known() => true,
                    (Some(b), Some(a)) => !same_json(b, a),
                    (None, None) => false,
                    _ => true,
                }
            };
            if changed {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
