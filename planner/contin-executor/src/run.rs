//! The apply loop: one coordinator owns the working state and the DAG
//! bookkeeping; provider calls run as tokio tasks bounded by a semaphore;
//! checkpoints are written by at most one persist task at a time.
//!
//! Scheduling is a ready queue: a node enters it when its last predecessor
//! finishes, so bookkeeping is O(N + E). Evaluation (`final_config`) and the
//! provider's pure `plan_change` run on the coordinator just before a node's
//! task is spawned, against the values of everything finished so far.
//!
//! Checkpoints: when the working state is dirty and no persist is in flight,
//! a snapshot is written no sooner than `checkpoint_interval` and 4× the last
//! write's duration after the previous write ended. Writes therefore take at
//! most ~20% of the wall time whatever N is, and their number grows with the
//! apply's duration, not with N (total cost linear in N).

mod journaling;

use crate::graph::{self, ApplyGraph, NodeKind};
use crate::values::{check_consistent, marked_from_state, WorkingValues};
use crate::{ApplyEvent, ApplyOptions, ApplyOutcome, Reporter};
use contin_planner::{Action, ApplyEvaluator, Plan, ResourceChange};
use contin_provider::{OpContext, Provider, ProviderSchema};
use contin_state::journal::Journal;
use contin_state::{Backend, OutputState, ResourceState, ResourceStatus, State, StateError};
use contin_types::value::ValuePath;
use contin_types::{ResourceAddr, ResourceMode, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeStatus {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

#[derive(Default)]
struct ChangeProgress {
    started: Option<Instant>,
    nodes_done: u8,
    failed: bool,
    skipped: bool,
}

/// What a node's task does, prepared on the coordinator.
enum Op {
    Create { planned: Value, ctx: OpContext },
    Update { prior: Value, planned: Value, ctx: OpContext },
    Read { cfg: Value },
    Delete { prior: Value, ctx: OpContext },
    /// Destroy-time provisioners, then the delete.
    ProvisionThenDelete { prior: Value, ctx: OpContext, runs: Vec<contin_planner::ProvisionerRun> },
    /// Nothing to call (data source leaving state, object not recorded).
    Forget,
}

/// Kept while a forward node runs, for recording its result.
struct Pending {
    sensitive_paths: Vec<ValuePath>,
    generation: u64,
}

type OpResult = (usize, Result<Option<Value>, OpFailure>);
type PersistResult = (Result<(), StateError>, Duration, u64, usize, u64);

struct Checkpoints {
    /// Serial of the last state written (or the prior serial).
    persisted_serial: u64,
    /// `dirty_version` of the last state written.
    persisted_version: u64,
    dirty_version: u64,
    in_flight: Option<JoinHandle<PersistResult>>,
    next_allowed: Instant,
    error: Option<String>,
}

impl Checkpoints {
    fn expected_serial(&self) -> Option<u64> {
        // Every write bumps the serial, so a stored state has serial >= 1:
        // serial 0 means nothing has been stored yet.
        (self.persisted_serial > 0).then_some(self.persisted_serial)
    }
}

pub(crate) struct Run<'p> {
    plan: &'p Plan,
    /// `graph::all_changes(plan)`: the plan's changes, then the deposed
    /// objects' destroys; `graph` nodes index these.
    changes: Vec<&'p ResourceChange>,
    /// Per entry of `changes`: the deposed object's key, if it is one.
    deposed_keys: Vec<Option<&'p str>>,
    prior: State,
    state: State,
    values: BTreeMap<ResourceAddr, Value>,
    graph: ApplyGraph,
    status: Vec<NodeStatus>,
    waiting_on: Vec<usize>,
    progress: Vec<ChangeProgress>,
    ready: VecDeque<usize>,
    running: HashMap<usize, Pending>,
    providers: &'p BTreeMap<String, Arc<dyn Provider>>,
    schemas: HashMap<String, ProviderSchema>,
    backend: Arc<dyn Backend>,
    evaluator: Arc<dyn ApplyEvaluator>,
    reporter: Arc<dyn Reporter>,
    opts: &'p ApplyOptions,
    cancel: CancellationToken,
    semaphore: Arc<Semaphore>,
    tasks: JoinSet<OpResult>,
    task_nodes: HashMap<tokio::task::Id, usize>,
    failed: Vec<(ResourceAddr, String)>,
    skipped: Vec<ResourceAddr>,
    /// Set when no new work may start (cancellation, checkpoint failure).
    stop_reason: Option<String>,
    cancelled: bool,
    ckpt: Checkpoints,
    jr: journaling::Journaling,
    /// Forward nodes whose creation-time provisioners are running (their
    /// object is recorded tainted until they succeed).
    provisioning: std::collections::HashSet<usize>,
}

enum Wake {
    Op(Option<Result<(tokio::task::Id, OpResult), JoinError>>),
    Persist(Result<PersistResult, JoinError>),
    Journal(Result<journaling::JournalResult, JoinError>),
    CheckpointDue,
    Cancel,
}

impl<'p> Run<'p> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        plan: &'p Plan,
        prior: State,
        providers: &'p BTreeMap<String, Arc<dyn Provider>>,
        backend: Arc<dyn Backend>,
        evaluator: Arc<dyn ApplyEvaluator>,
        reporter: Arc<dyn Reporter>,
        opts: &'p ApplyOptions,
        cancel: CancellationToken,
        journal: Option<Arc<dyn Journal>>,
    ) -> Self {
        let mut prior = prior;
        // States written before dependencies were kept per block list every
        // instance; store them per block from now on.
        for rs in prior.resources.values_mut() {
            rs.dependencies = contin_planner::block_dependencies(&rs.dependencies);
        }
        let graph = graph::build(plan, &prior);
        let (changes, deposed_keys) = graph::all_changes(plan);
        let mut values: BTreeMap<ResourceAddr, Value> = prior
            .resources
            .iter()
            .map(|(a, r)| (a.clone(), marked_from_state(&r.attributes, &r.sensitive_paths)))
            .collect();
        // Untouched instances: the plan's refreshed value is the freshest.
        for c in &plan.changes {
            if c.action == Action::NoOp {
                if let Some(after) = &c.after {
                    values.insert(c.addr.clone(), after.clone());
                }
            }
        }
        let waiting_on: Vec<usize> = graph.nodes.iter().map(|n| n.preds).collect();
        let ready = (0..graph.nodes.len()).filter(|&n| waiting_on[n] == 0).collect();
        let ckpt = Checkpoints {
            persisted_serial: prior.serial,
            persisted_version: 0,
            dirty_version: 0,
            in_flight: None,
            next_allowed: Instant::now() + opts.checkpoint_interval,
            error: None,
        };
        Run {
            plan,
            state: prior.clone(),
            prior,
            values,
            status: vec![NodeStatus::Pending; graph.nodes.len()],
            waiting_on,
            progress: changes.iter().map(|_| ChangeProgress::default()).collect(),
            changes,
            deposed_keys,
            graph,
            ready,
            running: HashMap::new(),
            providers,
            schemas: HashMap::new(),
            backend,
            evaluator,
            reporter,
            opts,
            cancel,
            semaphore: Arc::new(Semaphore::new(opts.parallelism.max(1))),
            tasks: JoinSet::new(),
            task_nodes: HashMap::new(),
            failed: Vec::new(),
            skipped: Vec::new(),
            stop_reason: None,
            cancelled: false,
            ckpt,
            jr: journaling::Journaling::new(journal),
            provisioning: std::collections::HashSet::new(),
        }
    }

    pub(crate) async fn execute(mut self) -> ApplyOutcome {
        self.write_back_refreshed();
        self.drive().await;
        self.finish().await
    }

    async fn drive(&mut self) {
        loop {
            if !self.cancelled && self.cancel.is_cancelled() {
                self.on_cancel();
            }
            while self.stop_reason.is_none() {
                let Some(&n) = self.ready.front() else { break };
                if self.status[n] != NodeStatus::Pending {
                    self.ready.pop_front();
                    continue;
                }
                if self.graph.nodes[n].kind == NodeKind::Gate {
                    self.ready.pop_front();
                    self.pass_gate(n);
                    continue;
                }
                let Ok(permit) = self.semaphore.clone().try_acquire_owned() else { break };
                self.ready.pop_front();
                self.start(n, permit);
            }
            self.start_journal_batch();
            if self.tasks.is_empty() && self.jr.idle() && (self.ready.is_empty() || self.stop_reason.is_some()) {
                return;
            }
            // With a journal every change is durable already: only the final snapshot is written.
            let want_ckpt = self.ckpt.dirty_version > self.ckpt.persisted_version
                && self.ckpt.in_flight.is_none()
                && self.ckpt.error.is_none()
                && self.jr.journal.is_none();
            if want_ckpt && Instant::now() >= self.ckpt.next_allowed {
                self.start_persist();
                continue;
            }
            let wake = {
                let tasks = &mut self.tasks;
                let persist = &mut self.ckpt.in_flight;
                let journal_write = &mut self.jr.in_flight;
                let journaling = journal_write.is_some();
                let has_tasks = !tasks.is_empty();
                let persisting = persist.is_some();
                let due = tokio::time::Instant::from_std(self.ckpt.next_allowed);
                let cancel = &self.cancel;
                let watch_cancel = !self.cancelled;
                tokio::select! {
                    r = tasks.join_next_with_id(), if has_tasks => Wake::Op(r),
                    r = async {
                        match persist.as_mut() {
                            Some(h) => h.await,
                            None => std::future::pending().await,
                        }
                    }, if persisting => Wake::Persist(r),
                    r = async {
                        match journal_write.as_mut() {
                            Some(h) => h.await,
                            None => std::future::pending().await,
                        }
                    }, if journaling => Wake::Journal(r),
                    _ = tokio::time::sleep_until(due), if want_ckpt => Wake::CheckpointDue,
                    _ = cancel.cancelled(), if watch_cancel => Wake::Cancel,
                }
            };
            match wake {
                Wake::Op(Some(Ok((id, (n, result))))) => {
                    self.task_nodes.remove(&id);
                    self.op_done(n, result);
                }
                Wake::Op(Some(Err(e))) => {
                    if let Some(n) = self.task_nodes.remove(&e.id()) {
                        self.provisioning.remove(&n);
                        let label = self.label(self.graph.nodes[n].change);
                        let msg = format!("{label}: provider operation aborted: {e}");
                        self.node_failed(n, msg);
                    }
                }
                Wake::Op(None) => {}
                Wake::Persist(r) => {
                    self.ckpt.in_flight = None;
                    self.persist_done(r);
                }
                Wake::Journal(r) => self.journal_batch_done(r),
                Wake::CheckpointDue => self.start_persist(),
                Wake::Cancel => self.on_cancel(),
            }
        }
    }

    fn on_cancel(&mut self) {
        self.cancelled = true;
        self.reporter.event(ApplyEvent::Cancelling);
        if self.stop_reason.is_none() {
            self.stop_reason = Some("apply was cancelled".to_string());
        }
    }

    fn change_of(&self, n: usize) -> &'p ResourceChange {
        self.changes[self.graph.nodes[n].change]
    }

    /// The address of change `ci` for messages: `ADDR (deposed object KEY)`
    /// for a deposed object's destroy.
    pub(crate) fn label(&self, ci: usize) -> String {
        let addr = &self.changes[ci].addr;
        match self.deposed_keys[ci] {
            Some(key) => contin_planner::deposed_display(addr, key),
            None => addr.to_string(),
        }
    }

    fn start(&mut self, n: usize, permit: OwnedSemaphorePermit) {
        let ci = self.graph.nodes[n].change;
        let change = self.change_of(n);
        self.status[n] = NodeStatus::Running;
        if self.progress[ci].started.is_none() {
            self.progress[ci].started = Some(Instant::now());
            if !forgets_data(change) {
                self.reporter.event(ApplyEvent::Started { addr: change.addr.clone(), action: change.action });
            }
        }
        let op = match self.prepare(n) {
            Ok(op) => op,
            Err(msg) => {
                drop(permit);
                let label = self.label(ci);
                self.node_failed(n, format!("{label}: {msg}"));
                return;
            }
        };
        let op = match op {
            Op::Delete { prior, ctx } if self.deposed_keys[ci].is_none() => match self.with_destroy_provisioners(n, prior, ctx) {
                Ok(op) => op,
                Err(msg) => {
                    drop(permit);
                    let label = self.label(ci);
                    self.node_failed(n, format!("{label}: {msg}; the object was not deleted"));
                    return;
                }
            },
            op => op,
        };
        let provider = self.providers.get(&change.provider).cloned();
        let addr = change.addr.clone();
        let label = self.label(ci);
        let runner = self.opts.provisioners.clone();
        let reporter = self.reporter.clone();
        let intent = match &op {
            Op::Create { ctx, .. } => self.intent_for(n, ctx.generation),
            _ => None,
        };
        let handle = self.tasks.spawn(async move {
            let _permit = permit;
            if let Err(f) = journaling::write_intent(intent, &addr).await {
                return (n, Err(f));
            }
            let op = match op {
                Op::ProvisionThenDelete { prior, ctx, runs } => {
                    if let Err(e) = crate::provision::run_all(runner, &addr, runs, reporter).await {
                        return (n, Err(OpFailure::from(format!("{e}; the object was not deleted (destroy-time provisioners run again next time)"))));
                    }
                    Op::Delete { prior, ctx }
                }
                op => op,
            };
            let result = run_op(provider, &addr, &label, op).await;
            (n, result)
        });
        self.task_nodes.insert(handle.id(), n);
    }

    /// Evaluates the final configuration and plan of a node, or says why it cannot run.
    fn prepare(&mut self, n: usize) -> Result<Op, String> {
        let change = self.change_of(n);
        let addr = &change.addr;
        let prior_rs = self.prior.resources.get(addr);
        let prior_gen = prior_rs.map_or(0, |r| r.generation);
        // A provider that asks for them gets the sensitive marks of the
        // configuration and of state, so it can keep secrets out of its
        // errors and mark what it derives from them; others get plain values.
        let marks = self.providers.get(&change.provider).is_some_and(|p| p.receives_sensitive_marks());
        // The recorded value (the plan's `before`, or the state's), marked
        // at the state's sensitive paths.
        let recorded = || -> Option<Value> {
            let marked = match &change.before {
                Some(b) => Some(prior_rs.map_or_else(|| b.clone(), |r| b.clone().mark_paths(&r.sensitive_paths))),
                None => prior_rs.map(|r| marked_from_state(&r.attributes, &r.sensitive_paths)),
            };
            marked.map(|v| if marks { v } else { v.unmark_deep().0 })
        };
        let lineage = self.state.lineage.clone();
        let ctx = |generation| OpContext { address: addr.clone(), lineage: lineage.clone(), generation };

        if self.graph.nodes[n].kind == NodeKind::Destroy {
            if addr.mode == ResourceMode::Data {
                return Ok(Op::Forget);
            }
            if let Some(key) = self.deposed_keys[self.graph.nodes[n].change] {
                // A deposed object: its own recorded value (the plan's
                // `before`, marked at its own sensitive paths) and generation.
                self.provider(&change.provider)?;
                let object = prior_rs.and_then(|r| r.deposed.iter().find(|d| d.key == key));
                let Some(object) = object else { return Ok(Op::Forget) };
                let prior = change.before.clone().unwrap_or_else(|| marked_from_state(&object.attributes, &object.sensitive_paths));
                let prior = if marks { prior } else { prior.unmark_deep().0 };
                if prior.is_null() {
                    return Ok(Op::Forget);
                }
                return Ok(Op::Delete { prior, ctx: ctx(object.generation) });
            }
            self.provider(&change.provider)?;
            return Ok(match recorded() {
                // A create whose outcome was unknown (journal replay) left a
                // null placeholder: there is nothing known to delete.
                None => Op::Forget,
                Some(prior) if prior.is_null() => Op::Forget,
                Some(prior) => Op::Delete { prior, ctx: ctx(prior_gen) },
            });
        }

        let provider = self.provider(&change.provider)?;
        let final_cfg = self
            .evaluator
            .final_config(addr, &WorkingValues(&self.values))
            .map_err(|d| format!("evaluating the final configuration failed: {d}"))?;
        let (final_plain, final_paths) = final_cfg.unmark_deep();

        if change.action == Action::Read {
            self.running.insert(n, Pending { sensitive_paths: final_paths, generation: prior_gen + 1 });
            return Ok(Op::Read { cfg: if marks { final_cfg } else { final_plain } });
        }

        let prior_value = if change.action == Action::Update { recorded() } else { None };
        let prior_plain = prior_value.as_ref().map(|v| v.unmark_deep().0);
        let pc = provider.plan_change(&addr.ty, prior_plain.as_ref(), &final_plain);
        if pc.diagnostics.has_errors() {
            return Err(format!("planning the final change failed: {}", pc.diagnostics));
        }
        if change.action == Action::Update && !pc.requires_replace.is_empty() {
            let paths: Vec<String> =
                pc.requires_replace.iter().map(|p| contin_types::value::path_to_string(p)).collect();
            return Err(format!(
                "Provider produced inconsistent final plan: planned an in-place update, but {} now requires replacement",
                paths.join(", ")
            ));
        }
        if let Some(after) = &change.after {
            check_consistent(after, &pc.planned.clone().mark_paths(&final_paths))?;
        }
        let planned = if marks { pc.planned.mark_paths(&final_paths) } else { pc.planned };
        let (op, generation) = match change.action {
            Action::Update => {
                let prior = prior_value.unwrap_or(Value::Null);
                (Op::Update { prior, planned, ctx: ctx(prior_gen) }, prior_gen)
            }
            _ => (Op::Create { planned, ctx: ctx(prior_gen + 1) }, prior_gen + 1),
        };
        self.running.insert(n, Pending { sensitive_paths: final_paths, generation });
        Ok(op)
    }

    fn provider(&self, name: &str) -> Result<Arc<dyn Provider>, String> {
        self.providers.get(name).cloned().ok_or_else(|| format!("provider {name:?} is not configured"))
    }

    fn op_done(&mut self, n: usize, result: Result<Option<Value>, OpFailure>) {
        if self.provisioning.remove(&n) {
            self.provisioners_done(n, result.map(|_| ()).map_err(|f| f.message));
            return;
        }
        match result {
            Ok(value) if self.runs_create_provisioners(n) => {
                self.record(n, value);
                self.start_create_provisioners(n);
            }
            Ok(value) => {
                self.record(n, value);
                self.finished_and_recorded(n);
            }
            Err(OpFailure { message, partial }) => {
                let partial_recorded = match partial {
                    // What exists is recorded (so the next plan converges
                    // only the rest); the change still counts as failed.
                    Some(v) if self.graph.nodes[n].kind == NodeKind::Forward => {
                        self.record(n, Some(v));
                        true
                    }
                    _ => {
                        self.running.remove(&n);
                        false
                    }
                };
                self.failed_after_record(n, partial_recorded);
                self.node_failed(n, message);
            }
        }
    }

    /// A node's effect is recorded (and durable, with a journal): its
    /// dependants may start.
    fn node_done(&mut self, n: usize) {
        self.status[n] = NodeStatus::Done;
        let ci = self.graph.nodes[n].change;
        let (fwd, destroy) = self.graph.change_nodes[ci];
        self.progress[ci].nodes_done += 1;
        let total = u8::from(fwd.is_some()) + u8::from(destroy.is_some());
        if self.progress[ci].nodes_done == total && !forgets_data(self.changes[ci]) {
            let change = self.changes[ci];
            let took = self.progress[ci].started.map_or(Duration::ZERO, |s| s.elapsed());
            self.reporter.event(ApplyEvent::Finished { addr: change.addr.clone(), action: change.action, took });
        }
        for i in 0..self.graph.nodes[n].succ.len() {
            let s = self.graph.nodes[n].succ[i];
            self.waiting_on[s] -= 1;
            if self.waiting_on[s] == 0 && self.status[s] == NodeStatus::Pending {
                self.ready.push_back(s);
            }
        }
    }

    /// Writes a finished node's effect into the working state.
    fn record(&mut self, n: usize, value: Option<Value>) {
        let ci = self.graph.nodes[n].change;
        let change = self.changes[ci];
        let addr = &change.addr;
        match self.graph.nodes[n].kind {
            // Gates never run a task, so nothing is recorded for them.
            NodeKind::Gate => {}
            NodeKind::Destroy if self.deposed_keys[ci].is_some() => self.drop_deposed(ci),
            NodeKind::Destroy => {
                // A create_before_destroy replace deletes the old object after
                // the new one is recorded: the state entry is the new one.
                if !self.graph.cbd[ci] {
                    self.values.remove(addr);
                    self.ckpt.dirty_version += 1;
                    match self.state.resources.get_mut(addr) {
                        // Its deposed objects are not deleted yet: the record
                        // stays, without a current object, until they are.
                        Some(rs) if !rs.deposed.is_empty() => {
                            rs.attributes = serde_json::Value::Null;
                            rs.sensitive_paths.clear();
                            rs.status = ResourceStatus::Ready;
                        }
                        _ => {
                            self.state.resources.remove(addr);
                        }
                    }
                }
            }
            NodeKind::Forward => {
                let pending = self.running.remove(&n);
                let value = value.unwrap_or(Value::Null);
                let (mut paths, generation) = match pending {
                    Some(p) => (p.sensitive_paths, p.generation),
                    None => (Vec::new(), 1),
                };
                if let Some(block) = self.schema_block(&change.provider, addr) {
                    paths.extend(contin_provider::schema::sensitive_paths(block, &value));
                }
                paths.sort();
                paths.dedup();
                let rs = ResourceState {
                    addr: addr.clone(),
                    provider: change.provider.clone(),
                    schema_version: self.prior.resources.get(addr).map_or(0, |r| r.schema_version),
                    attributes: value.to_json_lossy(),
                    sensitive_paths: paths.clone(),
                    dependencies: contin_planner::block_dependencies(&change.depends_on),
                    status: ResourceStatus::Ready,
                    create_before_destroy: change.create_before_destroy,
                    generation,
                    // Deposed objects not deleted yet stay (a create_before_destroy
                    // replace adds the old object after this: `deposed_and_records`).
                    deposed: self.state.resources.get(addr).map(|r| r.deposed.clone()).unwrap_or_default(),
                };
                self.values.insert(addr.clone(), value.mark_paths(&paths));
                self.state.resources.insert(addr.clone(), rs);
                self.ckpt.dirty_version += 1;
            }
        }
    }

    /// The schema of one resource type; each provider's schema is fetched once.
    fn schema_block(&mut self, provider: &str, addr: &ResourceAddr) -> Option<&contin_provider::BlockSchema> {
        if !self.schemas.contains_key(provider) {
            let p = self.providers.get(provider)?;
            self.schemas.insert(provider.to_string(), p.schema());
        }
        let schema = self.schemas.get(provider)?;
        match addr.mode {
            ResourceMode::Managed => schema.resources.get(&addr.ty),
            ResourceMode::Data => schema.data_sources.get(&addr.ty),
        }
    }

    fn node_failed(&mut self, n: usize, msg: String) {
        self.status[n] = NodeStatus::Failed;
        let ci = self.graph.nodes[n].change;
        let addr = self.changes[ci].addr.clone();
        if !self.progress[ci].failed {
            self.progress[ci].failed = true;
            self.reporter.event(ApplyEvent::Failed { addr: addr.clone(), action: self.changes[ci].action, error: msg.clone() });
            self.failed.push((addr.clone(), msg));
        }
        let reason = format!("{} failed", self.label(ci));
        let mut stack: Vec<usize> = self.graph.nodes[n].succ.clone();
        while let Some(s) = stack.pop() {
            if self.status[s] != NodeStatus::Pending {
                continue;
            }
            self.skip_node(s, &reason);
            stack.extend_from_slice(&self.graph.nodes[s].succ);
        }
    }

    fn skip_node(&mut self, n: usize, reason: &str) {
        self.status[n] = NodeStatus::Skipped;
        if self.graph.nodes[n].kind == NodeKind::Gate {
            return;
        }
        let ci = self.graph.nodes[n].change;
        let p = &mut self.progress[ci];
        if p.failed || p.skipped {
            return;
        }
        p.skipped = true;
        let change = self.changes[ci];
        let reason = if self.graph.nodes[n].kind == NodeKind::Destroy && self.graph.cbd[ci] && p.started.is_some() {
            format!("{reason}; the new object is in state, the replaced object was not deleted")
        } else if self.graph.nodes[n].kind == NodeKind::Forward && p.started.is_some() {
            format!("{reason}; the old object was deleted, the new one will be created by the next apply")
        } else {
            reason.to_string()
        };
        self.reporter.event(ApplyEvent::Skipped { addr: change.addr.clone(), action: change.action, reason });
        self.skipped.push(change.addr.clone());
    }

    fn start_persist(&mut self) {
        let mut snapshot = self.state.clone();
        snapshot.serial = self.ckpt.persisted_serial + 1;
        snapshot.refresh_sites();
        self.state.sites = snapshot.sites.clone();
        let expected = self.ckpt.expected_serial();
        let version = self.ckpt.dirty_version;
        let backend = self.backend.clone();
        self.ckpt.in_flight = Some(tokio::spawn(async move {
            let t0 = Instant::now();
            let r = backend.persist(&snapshot, expected).await;
            (r, t0.elapsed(), snapshot.serial, snapshot.resources.len(), version)
        }));
    }

    fn persist_done(&mut self, r: Result<PersistResult, JoinError>) {
        match r {
            Ok((Ok(()), took, serial, resources, version)) => {
                self.ckpt.persisted_serial = serial;
                self.ckpt.persisted_version = version;
                self.state.serial = serial;
                self.ckpt.next_allowed = Instant::now() + self.opts.checkpoint_interval.max(took * 4);
                self.reporter.event(ApplyEvent::Checkpointed { serial, resources, took });
            }
            Ok((Err(e), ..)) => self.checkpoint_failed(e.to_string()),
            Err(e) => self.checkpoint_failed(format!("state write aborted: {e}")),
        }
    }

    fn checkpoint_failed(&mut self, msg: String) {
        let msg = format!("saving state to {} failed: {msg}", self.backend.describe());
        if self.stop_reason.is_none() {
            self.stop_reason = Some(format!("state could not be saved ({msg})"));
        }
        self.ckpt.error = Some(msg);
    }

    async fn finish(mut self) -> ApplyOutcome {
        // Whatever did not run: skipped when work was stopped on purpose;
        // otherwise only a dependency cycle can leave nodes waiting.
        for n in 0..self.status.len() {
            if self.status[n] != NodeStatus::Pending || self.graph.nodes[n].kind == NodeKind::Gate {
                // A gate left waiting is skipped with the nodes before it.
                continue;
            }
            match self.stop_reason.clone() {
                Some(reason) => self.skip_node(n, &reason),
                None => {
                    let addr = self.label(self.graph.nodes[n].change);
                    self.node_failed(n, format!("{addr}: not applied: it is part of a dependency cycle among the planned changes"));
                }
            }
        }
        if let Some(h) = self.ckpt.in_flight.take() {
            let r = h.await;
            self.persist_done(r);
        }
        self.flush_journal().await;

        let outputs_error = match self.evaluator.outputs(&WorkingValues(&self.values)) {
            Ok(outputs) => {
                self.state.outputs = outputs
                    .into_iter()
                    .filter(|(_, (v, _))| v.is_wholly_known())
                    .map(|(name, (v, sensitive))| {
                        let sensitive = sensitive || v.contains_sensitive();
                        (name, OutputState { value: v.to_json_lossy(), sensitive })
                    })
                    .collect();
                self.ckpt.dirty_version += 1;
                None
            }
            Err(d) => Some(format!("evaluating outputs failed: {}", diag_text(&d))),
        };

        // The final save: always, also after failures, cancellation and a failed checkpoint.
        let first_error = match (self.ckpt.error.take(), self.jr.error.take()) {
            (Some(c), Some(j)) => Some(format!("{c}; {j}")),
            (c, j) => c.or(j),
        };
        self.start_persist();
        if let Some(h) = self.ckpt.in_flight.take() {
            let r = h.await;
            self.persist_done(r);
        }
        let final_error = self.ckpt.error.take();
        let persist_error = match (first_error, final_error) {
            (None, None) => None,
            (None, Some(e)) => Some(e),
            (Some(first), None) => Some(format!("{first}; work stopped there, and saving again at the end succeeded")),
            (Some(first), Some(last)) => Some(format!("{first}; saving again at the end also failed: {last}")),
        };
        if persist_error.is_some() && self.state.serial != self.ckpt.persisted_serial {
            self.state.serial = self.ckpt.persisted_serial;
        }
        self.failed.sort_by(|a, b| a.0.cmp(&b.0));
        self.skipped.sort();
        ApplyOutcome {
            state: self.state,
            failed: self.failed,
            skipped: self.skipped,
            cancelled: self.cancelled,
            persist_error,
            outputs_error,
        }
    }
}

impl Run<'_> {
    /// A gate has no work: it is done once reached, releasing its successors.
    fn pass_gate(&mut self, n: usize) {
        self.status[n] = NodeStatus::Done;
        for i in 0..self.graph.nodes[n].succ.len() {
            let s = self.graph.nodes[n].succ[i];
            self.waiting_on[s] -= 1;
            if self.waiting_on[s] == 0 && self.status[s] == NodeStatus::Pending {
                self.ready.push_back(s);
            }
        }
    }
}

/// Each diagnostic as `summary: detail` (the detail says which output and
/// what to do; evaluation diagnostics never hold sensitive values).
pub(crate) fn diag_text(d: &contin_types::Diagnostics) -> String {
    let parts: Vec<String> = d
        .0
        .iter()
        .map(|x| if x.detail.is_empty() { x.summary.clone() } else { format!("{}: {}", x.summary, x.detail) })
        .collect();
    parts.join("; ")
}

/// Dropping a data source from state (destroy, or removed from config) is
/// bookkeeping, not a change to report: no events, not counted (Terraform alike).
fn forgets_data(change: &ResourceChange) -> bool {
    change.addr.mode == ResourceMode::Data && change.action == Action::Delete
}

/// Why an operation failed; `partial` is what the provider says exists now
/// (`ProviderError::Partial`), recorded in state before the failure is reported.
pub(crate) struct OpFailure {
    message: String,
    partial: Option<Value>,
}

impl From<String> for OpFailure {
    fn from(message: String) -> Self {
        OpFailure { message, partial: None }
    }
}

/// Runs one provider operation; `label` names the object in messages (the
/// address, or `ADDR (deposed object KEY)`).
async fn run_op(provider: Option<Arc<dyn Provider>>, addr: &ResourceAddr, label: &str, op: Op) -> Result<Option<Value>, OpFailure> {
    let ty = &addr.ty;
    let addr = label;
    let Some(provider) = provider else {
        return match op {
            Op::Forget => Ok(None),
            _ => Err(format!("{addr}: no provider").into()),
        };
    };
    let fail = |verb: &str, e: contin_provider::ProviderError| match e {
        contin_provider::ProviderError::Partial { value, message } => {
            OpFailure { message: format!("{addr}: {verb} failed part-way: {message}"), partial: Some(*value) }
        }
        e => format!("{addr}: {verb} failed: {e}").into(),
    };
    match op {
        Op::Create { planned, ctx } => provider.create(ty, &planned, &ctx).await.map(Some).map_err(|e| fail("create", e)),
        Op::Update { prior, planned, ctx } => {
            provider.update(ty, &prior, &planned, &ctx).await.map(Some).map_err(|e| fail("update", e))
        }
        Op::Read { cfg } => provider.read_data(ty, &cfg).await.map(Some).map_err(|e| fail("read", e)),
        Op::Delete { prior, ctx } | Op::ProvisionThenDelete { prior, ctx, .. } => {
            provider.delete(ty, &prior, &ctx).await.map(|()| None).map_err(|e| fail("delete", e))
        }
        Op::Forget => Ok(None),
    }
}

impl Run<'_> {
    /// A create (or the create half of a replace) whose block has
    /// creation-time provisioners.
    fn runs_create_provisioners(&self, n: usize) -> bool {
        let change = self.change_of(n);
        self.graph.nodes[n].kind == NodeKind::Forward
            && matches!(change.action, Action::Create | Action::Replace)
            && change.addr.mode == ResourceMode::Managed
            && self.evaluator.has_provisioners(&change.addr, contin_planner::ProvisionerWhen::Create)
    }

    /// The created object is recorded (`record` ran): it becomes tainted
    /// (journaled) and its provisioners start; `provisioners_done` finishes the node.
    fn start_create_provisioners(&mut self, n: usize) {
        let change = self.change_of(n);
        let addr = change.addr.clone();
        if let Some(rs) = self.state.resources.get_mut(&addr) {
            rs.status = ResourceStatus::Tainted;
        }
        let records = self.deposed_and_records(n);
        self.jr_extend(records);
        self.ckpt.dirty_version += 1;
        let runs = match self.evaluator.provisioners(&addr, contin_planner::ProvisionerWhen::Create, &WorkingValues(&self.values)) {
            Ok(runs) => runs,
            Err(d) => {
                let msg = format!("{addr}: evaluating its provisioners failed: {}; the object is tainted and will be replaced by the next apply", diag_text(&d));
                self.node_failed(n, msg);
                return;
            }
        };
        let runner = self.opts.provisioners.clone();
        let reporter = self.reporter.clone();
        let semaphore = self.semaphore.clone();
        self.provisioning.insert(n);
        let handle = self.tasks.spawn(async move {
            // Provisioners count against -parallelism like provider calls.
            let _permit = semaphore.acquire_owned().await;
            let r = crate::provision::run_all(runner, &addr, runs, reporter).await;
            (n, r.map(|()| None).map_err(OpFailure::from))
        });
        self.task_nodes.insert(handle.id(), n);
    }

    /// Creation-time provisioners of node `n` finished.
    fn provisioners_done(&mut self, n: usize, result: Result<(), String>) {
        let addr = self.change_of(n).addr.clone();
        match result {
            Ok(()) => {
                if let Some(rs) = self.state.resources.get_mut(&addr) {
                    rs.status = ResourceStatus::Ready;
                    self.ckpt.dirty_version += 1;
                    if self.jr.journal.is_some() {
                        let record = contin_state::journal::JournalRecord::Put(Box::new(rs.clone()));
                        self.jr_push(record, n);
                        return;
                    }
                }
                if self.jr.journal.is_some() {
                    self.jr_wait(n);
                } else {
                    self.node_done(n);
                }
            }
            Err(msg) => {
                self.node_failed(n, format!("{msg}; the object is tainted and will be replaced by the next apply"));
            }
        }
    }

    /// Adds destroy-time provisioners to a delete, evaluated with `self` =
    /// the object being deleted (none for a tainted object).
    fn with_destroy_provisioners(&mut self, n: usize, prior: Value, ctx: OpContext) -> Result<Op, String> {
        let change = self.change_of(n);
        let addr = &change.addr;
        let tainted = self.prior.resources.get(addr).is_some_and(|r| r.status == ResourceStatus::Tainted);
        if tainted || addr.mode != ResourceMode::Managed || !self.evaluator.has_provisioners(addr, contin_planner::ProvisionerWhen::Destroy) {
            return Ok(Op::Delete { prior, ctx });
        }
        let marked = match self.values.get(addr) {
            Some(v) if !self.graph.cbd[self.graph.nodes[n].change] => v.clone(),
            _ => prior.clone(),
        };
        let base = WorkingValues(&self.values);
        let overlay = crate::provision::Overlay { base: &base, addr, value: &marked };
        match self.evaluator.provisioners(addr, contin_planner::ProvisionerWhen::Destroy, &overlay) {
            Ok(runs) if runs.is_empty() => Ok(Op::Delete { prior, ctx }),
            Ok(runs) => Ok(Op::ProvisionThenDelete { prior, ctx, runs }),
            Err(d) => Err(format!("evaluating its destroy-time provisioners failed: {}", diag_text(&d))),
        }
    }
}
