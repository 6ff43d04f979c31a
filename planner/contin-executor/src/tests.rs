//! Executor tests with an in-memory backend, a scripted provider and a
//! trivial evaluator.

use crate::{apply, ApplyEvent, ApplyOptions, ApplyOutcome, Reporter};
use async_trait::async_trait;
use contin_planner::{Action, ApplyEvaluator, InstanceValues, Plan, PlanMode, ResourceChange};
use contin_provider::{
    AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema,
};
use contin_state::{Backend, LockInfo, ResourceState, State, StateError};
use contin_types::value::PathStep;
use contin_types::{Diagnostic, Diagnostics, ResourceAddr, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

mod deposed;
mod journal;
mod provisioners;

// ---------------------------------------------------------------- backend

#[derive(Default)]
struct MemBackend {
    stored: Mutex<Option<State>>,
    /// Serials written, in order.
    writes: Mutex<Vec<u64>>,
    /// Fail every persist after this many successful ones.
    fail_after: Option<usize>,
    latency: Duration,
}

#[async_trait]
impl Backend for MemBackend {
    fn describe(&self) -> String {
        "memory".into()
    }
    async fn load(&self) -> Result<Option<State>, StateError> {
        Ok(self.stored.lock().unwrap().clone())
    }
    async fn persist(&self, state: &State, expected_serial: Option<u64>) -> Result<(), StateError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if let Some(k) = self.fail_after {
            if self.writes.lock().unwrap().len() >= k {
                return Err(StateError::Other("lock lost".into()));
            }
        }
        let mut stored = self.stored.lock().unwrap();
        let found = stored.as_ref().map(|s| s.serial);
        if found != expected_serial {
            return Err(StateError::Conflict { location: "memory".into(), expected: expected_serial, found });
        }
        assert_eq!(state.serial, expected_serial.unwrap_or(0) + 1, "every write bumps the serial by one");
        *stored = Some(state.clone());
        self.writes.lock().unwrap().push(state.serial);
        Ok(())
    }
    async fn lock(&self, _: &LockInfo) -> Result<(), StateError> {
        Ok(())
    }
    async fn unlock(&self, _: &str) -> Result<(), StateError> {
        Ok(())
    }
    async fn force_unlock(&self, _: &str) -> Result<(), StateError> {
        Ok(())
    }
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(None)
    }
}

// ---------------------------------------------------------------- provider

#[derive(Clone, Debug, PartialEq, Eq)]
enum Log {
    Start(String, &'static str),
    Finish(String, &'static str),
}

#[derive(Default)]
struct TestProvider {
    log: Mutex<Vec<Log>>,
    latency: Duration,
    /// Names whose create/update fails.
    fail: BTreeSet<String>,
    /// Names whose create fails part-way (`ProviderError::Partial`).
    partial: BTreeSet<String>,
    /// Names (or, with `log_delete_ids`, `ADDR=ID`s) whose delete fails.
    fail_delete: BTreeSet<String>,
    /// Log deletes as `ADDR=ID` (to tell an instance's objects apart).
    log_delete_ids: bool,
    concurrent: AtomicUsize,
    max_concurrent: AtomicUsize,
    starts: AtomicUsize,
    /// Cancel this token when this many operations have started.
    cancel_at: Option<(usize, CancellationToken)>,
    /// The final plan sets `name` to this (to provoke an inconsistent plan).
    override_name: Option<String>,
    /// `receives_sensitive_marks`.
    marks: bool,
    /// (verb, value received) of every create/update/delete/read_data call;
    /// update records its prior then its planned value.
    seen: Mutex<Vec<(&'static str, Value)>>,
}

impl TestProvider {
    async fn op(&self, addr: &ResourceAddr, verb: &'static str) -> Result<(), ProviderError> {
        self.op_named(&addr.to_string(), &addr.name, verb).await
    }
    /// `op`, logged under `a`; failures are looked up by `name`.
    async fn op_named(&self, a: &str, name: &str, verb: &'static str) -> Result<(), ProviderError> {
        let a = a.to_string();
        self.log.lock().unwrap().push(Log::Start(a.clone(), verb));
        let now = self.concurrent.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_concurrent.fetch_max(now, Ordering::SeqCst);
        let started = self.starts.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some((k, token)) = &self.cancel_at {
            if started == *k {
                token.cancel();
            }
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        } else {
            tokio::task::yield_now().await;
        }
        self.concurrent.fetch_sub(1, Ordering::SeqCst);
        self.log.lock().unwrap().push(Log::Finish(a.clone(), verb));
        if verb != "delete" && self.fail.contains(name) {
            return Err(ProviderError::Api { code: "Boom".into(), message: "injected failure".into() });
        }
        if verb == "delete" && (self.fail_delete.contains(name) || self.fail_delete.contains(&a)) {
            return Err(ProviderError::Api { code: "Boom".into(), message: "injected delete failure".into() });
        }
        Ok(())
    }
    fn log(&self) -> Vec<Log> {
        self.log.lock().unwrap().clone()
    }
    fn saw(&self, verb: &'static str, v: &Value) {
        if !self.marks {
            assert!(!v.contains_sensitive(), "a provider that does not ask for marks gets plain values: {verb} {v:?}");
        }
        self.seen.lock().unwrap().push((verb, v.clone()));
    }
    fn position(&self, entry: Log) -> usize {
        let log = self.log();
        log.iter().position(|l| *l == entry).unwrap_or_else(|| panic!("{entry:?} not in {log:?}"))
    }
}

fn with_id(planned: &Value, id: String) -> Value {
    let mut m = match planned {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    m.insert("id".into(), Value::string(id));
    Value::Map(m)
}

#[async_trait]
impl Provider for TestProvider {
    fn name(&self) -> &str {
        "test"
    }
    fn schema(&self) -> ProviderSchema {
        let block = BlockSchema::default()
            .attr("id", AttrSchema::computed(AttrType::String))
            .attr("name", AttrSchema::required(AttrType::String))
            .attr("deps", AttrSchema::optional(AttrType::List(Box::new(AttrType::String))))
            .attr("secret", AttrSchema::optional(AttrType::String).sensitive());
        let mut s = ProviderSchema::default();
        s.resources.insert("test_thing".into(), block.clone());
        s.data_sources.insert("test_data".into(), block);
        s
    }
    fn receives_sensitive_marks(&self) -> bool {
        self.marks
    }
    async fn configure(&self, _: Value) -> Result<(), Diagnostics> {
        Ok(())
    }
    fn plan_change(&self, _ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        assert!(!desired.contains_sensitive() && !prior.is_some_and(Value::contains_sensitive), "plan_change gets plain values");
        let mut m = match desired {
            Value::Map(m) => m.clone(),
            _ => BTreeMap::new(),
        };
        let id = prior.and_then(|p| p.get_path(&[PathStep::Key("id".into())])).cloned().unwrap_or(Value::Unknown);
        m.insert("id".into(), id);
        if let Some(n) = &self.override_name {
            m.insert("name".into(), Value::string(n.clone()));
        }
        PlannedChange { planned: Value::Map(m), requires_replace: vec![], diagnostics: Diagnostics::new() }
    }
    async fn read(&self, _: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(state.clone()))
    }
    async fn create(&self, _: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        self.saw("create", planned);
        self.op(&ctx.address, "create").await?;
        if self.partial.contains(&ctx.address.name) {
            let value = with_id(planned, "half-done".into());
            return Err(ProviderError::Partial { value: Box::new(value), message: "host b: join failed".into() });
        }
        Ok(with_id(planned, format!("{}-g{}", ctx.address.name, ctx.generation)))
    }
    async fn update(&self, _: &str, prior: &Value, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        assert!(prior.get_path(&[PathStep::Key("id".into())]).is_some());
        self.saw("update prior", prior);
        self.saw("update", planned);
        self.op(&ctx.address, "update").await?;
        Ok(planned.clone())
    }
    async fn delete(&self, _: &str, prior: &Value, ctx: &OpContext) -> Result<(), ProviderError> {
        self.saw("delete", prior);
        if self.log_delete_ids {
            let id = match prior.get_path(&[PathStep::Key("id".into())]).map(Value::unmarked) {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            return self.op_named(&format!("{}={id}", ctx.address), &ctx.address.name, "delete").await;
        }
        self.op(&ctx.address, "delete").await
    }
    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        self.saw("read", cfg);
        let name = match cfg.get_path(&[PathStep::Key("name".into())]) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        self.op(&ResourceAddr::data(ty, name.clone()), "read").await?;
        Ok(with_id(cfg, format!("data-{name}")))
    }
}

// ---------------------------------------------------------------- evaluator

/// Returns the plan's `after` with `deps` resolved to the ids of the
/// instance's dependencies (from the working values), and `count` as output.
struct TestEvaluator {
    changes: BTreeMap<ResourceAddr, ResourceChange>,
}

impl ApplyEvaluator for TestEvaluator {
    fn final_config(&self, addr: &ResourceAddr, values: &dyn InstanceValues) -> Result<Value, Diagnostics> {
        let change = self.changes.get(addr).ok_or_else(|| Diagnostic::error(format!("no change for {addr}")))?;
        let mut m = match &change.after {
            Some(Value::Map(m)) => m.clone(),
            _ => return Err(Diagnostic::error("no after").into()),
        };
        m.remove("id");
        let mut ids = Vec::new();
        for dep in &change.depends_on {
            // A block dependency on a counted block reads the instance with
            // this instance's key (`a[count.index]`).
            let inst = values.instances(&dep.resource());
            let v = inst
                .iter()
                .find(|(k, _)| *k == dep.key)
                .or_else(|| inst.iter().find(|(k, _)| *k == addr.key))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| Diagnostic::error(format!("{dep} has no value")))?;
            match v.get_path(&[PathStep::Key("id".into())]).map(Value::unmarked) {
                Some(Value::String(id)) => ids.push(Value::string(id.clone())),
                other => return Err(Diagnostic::error(format!("{dep}.id is not known: {other:?}")).into()),
            }
        }
        m.insert("deps".into(), Value::List(ids));
        Ok(Value::Map(m))
    }
    fn outputs(&self, values: &dyn InstanceValues) -> Result<BTreeMap<String, (Value, bool)>, Diagnostics> {
        let n = values.instances(&ResourceAddr::managed("test_thing", "r0")).len();
        Ok(BTreeMap::from([("r0_count".to_string(), (Value::int(n as i64), false))]))
    }
}

// ---------------------------------------------------------------- reporter

#[derive(Default)]
struct Events(Mutex<Vec<ApplyEvent>>);

impl Reporter for Events {
    fn event(&self, event: ApplyEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Events {
    fn all(&self) -> Vec<ApplyEvent> {
        self.0.lock().unwrap().clone()
    }
    fn checkpoints(&self) -> usize {
        self.all().iter().filter(|e| matches!(e, ApplyEvent::Checkpointed { .. })).count()
    }
}

// ---------------------------------------------------------------- plan builders

fn addr(name: &str) -> ResourceAddr {
    ResourceAddr::managed("test_thing", name)
}

fn config(name: &str) -> Value {
    Value::map([("name", Value::string(name)), ("id", Value::Unknown), ("deps", Value::Unknown)])
}

fn change(name: &str, action: Action, deps: &[&str]) -> ResourceChange {
    ResourceChange {
        addr: addr(name),
        provider: "test".into(),
        action,
        before: None,
        after: if action == Action::Delete { None } else { Some(config(name)) },
        replace_paths: vec![],
        reason: None,
        depends_on: deps.iter().map(|d| addr(d)).collect(),
        create_before_destroy: false,
        prevent_destroy: false,
    }
}

fn recorded(name: &str, deps: &[&str]) -> ResourceState {
    ResourceState {
        addr: addr(name),
        provider: "test".into(),
        schema_version: 0,
        attributes: serde_json::json!({"id": format!("{name}-g1"), "name": name, "deps": []}),
        sensitive_paths: vec![],
        dependencies: deps.iter().map(|d| addr(d)).collect(),
        status: Default::default(),
        create_before_destroy: false,
        generation: 1,
        deposed: Vec::new(),
    }
}

fn plan_of(mut changes: Vec<ResourceChange>) -> Plan {
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    Plan {
        format_version: contin_planner::PLAN_FORMAT_VERSION,
        mode: PlanMode::Normal,
        lineage: None,
        base_serial: None,
        config_hash: String::new(),
        sources: Default::default(),
        variables: BTreeMap::new(),
        targets: vec![],
        changes,
        drift: vec![],
        outputs: BTreeMap::new(),
        unreachable: vec![],
        deposed: vec![],
        language: Default::default(),
    }
}

/// The bench shape: r_i depends on r_{i-w}.
fn layered(n: usize, w: usize) -> Plan {
    plan_of(
        (0..n)
            .map(|i| {
                let dep = if i >= w { vec![format!("r{}", i - w)] } else { vec![] };
                let deps: Vec<&str> = dep.iter().map(String::as_str).collect();
                change(&format!("r{i}"), Action::Create, &deps)
            })
            .collect(),
    )
}

struct Harness {
    provider: Arc<TestProvider>,
    backend: Arc<MemBackend>,
    events: Arc<Events>,
    opts: ApplyOptions,
    cancel: CancellationToken,
}

impl Harness {
    fn new(provider: TestProvider) -> Self {
        Harness {
            provider: Arc::new(provider),
            backend: Arc::new(MemBackend::default()),
            events: Arc::new(Events::default()),
            opts: ApplyOptions { parallelism: 10, checkpoint_interval: Duration::from_millis(20), provisioners: None },
            cancel: CancellationToken::new(),
        }
    }
    async fn apply(&self, plan: &Plan, prior: State) -> ApplyOutcome {
        let providers: BTreeMap<String, Arc<dyn Provider>> =
            BTreeMap::from([("test".to_string(), self.provider.clone() as Arc<dyn Provider>)]);
        let evaluator = Arc::new(TestEvaluator { changes: plan.changes.iter().map(|c| (c.addr.clone(), c.clone())).collect() });
        apply(plan, prior, &providers, self.backend.clone(), evaluator, self.events.clone(), &self.opts, self.cancel.clone()).await
    }
    fn stored(&self) -> State {
        self.backend.stored.lock().unwrap().clone().expect("state was persisted")
    }
}

/// A prior state holding the given resources, as if stored with serial 5.
fn prior_with(resources: Vec<ResourceState>, backend: &MemBackend) -> State {
    let mut s = State::new();
    s.serial = 5;
    for r in resources {
        s.resources.insert(r.addr.clone(), r);
    }
    *backend.stored.lock().unwrap() = Some(s.clone());
    s
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn creates_run_in_dependency_order_and_are_recorded() {
    let h = Harness::new(TestProvider { latency: Duration::from_millis(5), ..Default::default() });
    // a ← b ← c, a ← d
    let plan = plan_of(vec![
        change("a", Action::Create, &[]),
        change("b", Action::Create, &["a"]),
        change("c", Action::Create, &["b"]),
        change("d", Action::Create, &["a"]),
    ]);
    let out = h.apply(&plan, State::new()).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    for (dep, dependant) in [("a", "b"), ("b", "c"), ("a", "d")] {
        assert!(
            p.position(Log::Finish(format!("test_thing.{dep}"), "create"))
                < p.position(Log::Start(format!("test_thing.{dependant}"), "create")),
            "{dependant} started before {dep} finished: {:?}",
            p.log()
        );
    }
    let stored = h.stored();
    assert_eq!(stored, out.state);
    assert_eq!(stored.resources.len(), 4);
    let c = &stored.resources[&addr("c")];
    // The evaluator saw b's applied id.
    assert_eq!(c.attributes, serde_json::json!({"id": "c-g1", "name": "c", "deps": ["b-g1"]}));
    assert_eq!(c.dependencies, vec![addr("b")]);
    assert_eq!(c.generation, 1);
    assert_eq!(stored.outputs["r0_count"].value, serde_json::json!(0));
    // First write had nothing stored: expected None → serial 1, then +1 each.
    let writes = h.backend.writes.lock().unwrap().clone();
    assert_eq!(writes, (1..=writes.len() as u64).collect::<Vec<_>>());
    assert_eq!(stored.serial, *writes.last().unwrap());
    let events = h.events.all();
    assert_eq!(events.iter().filter(|e| matches!(e, ApplyEvent::Started { .. })).count(), 4);
    assert_eq!(events.iter().filter(|e| matches!(e, ApplyEvent::Finished { .. })).count(), 4);
}

#[tokio::test]
async fn deletes_run_in_reverse_dependency_order() {
    let mut h = Harness::new(TestProvider { latency: Duration::from_millis(5), ..Default::default() });
    // No checkpoint in between, however slow the machine: one final write.
    h.opts.checkpoint_interval = Duration::from_secs(60);
    // Recorded: a ← b ← c. The delete changes carry no depends_on: the order
    // comes from the prior state's dependencies.
    let prior = prior_with(vec![recorded("a", &[]), recorded("b", &["a"]), recorded("c", &["b"]), recorded("keep", &[])], &h.backend);
    let plan = plan_of(vec![
        change("a", Action::Delete, &[]),
        change("b", Action::Delete, &[]),
        change("c", Action::Delete, &[]),
        change("keep", Action::NoOp, &[]),
    ]);
    let out = h.apply(&plan, prior).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    assert!(p.position(Log::Finish("test_thing.c".into(), "delete")) < p.position(Log::Start("test_thing.b".into(), "delete")));
    assert!(p.position(Log::Finish("test_thing.b".into(), "delete")) < p.position(Log::Start("test_thing.a".into(), "delete")));
    let stored = h.stored();
    assert_eq!(stored.resources.keys().cloned().collect::<Vec<_>>(), vec![addr("keep")]);
    assert_eq!(stored.serial, 6, "one final write on top of serial 5");
}

#[tokio::test]
async fn parallelism_bound_is_respected() {
    let mut h = Harness::new(TestProvider { latency: Duration::from_millis(10), ..Default::default() });
    h.opts.parallelism = 4;
    let out = h.apply(&layered(40, 20), State::new()).await;
    assert!(out.is_success(), "{out:?}");
    assert_eq!(h.provider.max_concurrent.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn failure_skips_dependants_and_keeps_independent_work() {
    let mut fail = BTreeSet::new();
    fail.insert("r25".to_string());
    let h = Harness::new(TestProvider { fail, ..Default::default() });
    // 100 resources, width 10: r25 → r35 → … → r95 are its dependants.
    let out = h.apply(&layered(100, 10), State::new()).await;
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].0, addr("r25"));
    assert!(out.failed[0].1.contains("test_thing.r25: create failed: Boom: injected failure"), "{}", out.failed[0].1);
    let expect_skipped: Vec<ResourceAddr> = (35..100).step_by(10).map(|i| addr(&format!("r{i}"))).collect();
    let mut skipped = out.skipped.clone();
    skipped.sort();
    let mut expect_sorted = expect_skipped.clone();
    expect_sorted.sort();
    assert_eq!(skipped, expect_sorted);
    let stored = h.stored();
    assert_eq!(stored.resources.len(), 100 - 1 - expect_skipped.len());
    assert!(stored.resources.contains_key(&addr("r15")));
    assert!(stored.resources.contains_key(&addr("r99")));
    assert!(!stored.resources.contains_key(&addr("r25")));
    assert!(!h.provider.log().contains(&Log::Start("test_thing.r35".into(), "create")));
    let reason = h.events.all().into_iter().find_map(|e| match e {
        ApplyEvent::Skipped { addr: a, reason, .. } if a == addr("r35") => Some(reason),
        _ => None,
    });
    assert_eq!(reason.as_deref(), Some("test_thing.r25 failed"));

    // Re-applying the rest against the stored state finishes the job.
    let rest: Vec<ResourceChange> = layered(100, 10)
        .changes
        .into_iter()
        .map(|mut c| {
            if stored.resources.contains_key(&c.addr) {
                c.action = Action::NoOp;
                c.after = Some(Value::from_json(&stored.resources[&c.addr].attributes));
            }
            c
        })
        .collect();
    let h2 = Harness { backend: h.backend.clone(), ..Harness::new(TestProvider::default()) };
    let out2 = h2.apply(&plan_of(rest), stored).await;
    assert!(out2.is_success(), "{out2:?}");
    assert_eq!(h2.stored().resources.len(), 100);
}

#[tokio::test]
async fn partial_failure_is_recorded_and_reported() {
    let mut partial = BTreeSet::new();
    partial.insert("a".to_string());
    let h = Harness::new(TestProvider { partial, ..Default::default() });
    let plan = plan_of(vec![change("a", Action::Create, &[]), change("b", Action::Create, &["a"]), change("c", Action::Create, &[])]);
    let out = h.apply(&plan, State::new()).await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    assert_eq!(out.failed[0].1, "test_thing.a: create failed part-way: host b: join failed");
    assert_eq!(out.skipped, vec![addr("b")]);
    let stored = h.stored();
    let a = &stored.resources[&addr("a")];
    assert_eq!(a.attributes["id"], "half-done");
    assert!(stored.resources.contains_key(&addr("c")));
    assert!(!stored.resources.contains_key(&addr("b")));
}

#[tokio::test]
async fn cancellation_finishes_in_flight_and_starts_nothing_new() {
    let token = CancellationToken::new();
    let mut h = Harness::new(TestProvider {
        latency: Duration::from_millis(30),
        cancel_at: Some((3, token.clone())),
        ..Default::default()
    });
    h.cancel = token;
    // One at a time: the cancel fires while the third operation is in flight.
    h.opts.parallelism = 1;
    let out = h.apply(&layered(20, 10), State::new()).await;
    assert!(out.cancelled);
    let log = h.provider.log();
    let starts = log.iter().filter(|l| matches!(l, Log::Start(..))).count();
    let finishes = log.iter().filter(|l| matches!(l, Log::Finish(..))).count();
    assert_eq!(starts, 3, "nothing starts after the cancel: {log:?}");
    assert_eq!(finishes, 3, "in-flight work finishes");
    let stored = h.stored();
    assert_eq!(stored.resources.len(), 3, "finished work is persisted");
    assert_eq!(out.skipped.len(), 17);
    assert!(h.events.all().contains(&ApplyEvent::Cancelling));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_zero_latency_changes_checkpoint_rarely_and_fast() {
    let mut h = Harness::new(TestProvider::default());
    h.opts.parallelism = 50;
    h.opts.checkpoint_interval = Duration::from_millis(50);
    let t0 = Instant::now();
    let out = h.apply(&layered(10_000, 50), State::new()).await;
    let took = t0.elapsed();
    assert!(out.is_success(), "{:?}", out.failed.first());
    assert_eq!(h.stored().resources.len(), 10_000);
    let writes = h.backend.writes.lock().unwrap().len();
    assert!(writes < 200, "{writes} checkpoints for 10,000 changes");
    assert_eq!(h.events.checkpoints(), writes);
    // Generous bound for unoptimized test builds on a loaded machine.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[tokio::test]
async fn slow_backend_is_written_adaptively_less_often() {
    let mut h = Harness::new(TestProvider { latency: Duration::from_millis(2), ..Default::default() });
    h.backend = Arc::new(MemBackend { latency: Duration::from_millis(40), ..Default::default() });
    h.opts.checkpoint_interval = Duration::ZERO;
    h.opts.parallelism = 5;
    let t0 = Instant::now();
    let out = h.apply(&layered(300, 5), State::new()).await;
    let took = t0.elapsed();
    assert!(out.is_success(), "{out:?}");
    let writes = h.backend.writes.lock().unwrap().len() as u32;
    // Each write of 40 ms is followed by ≥160 ms without writes.
    let bound = took.as_millis() as u32 / 200 + 2;
    assert!(writes <= bound, "{writes} writes in {took:?}");
}

#[tokio::test]
async fn persist_failure_stops_new_work_and_is_reported() {
    let mut h = Harness::new(TestProvider { latency: Duration::from_millis(5), ..Default::default() });
    h.backend = Arc::new(MemBackend { fail_after: Some(1), ..Default::default() });
    h.opts.checkpoint_interval = Duration::from_millis(10);
    h.opts.parallelism = 1;
    let out = h.apply(&layered(100, 1), State::new()).await;
    let err = out.persist_error.clone().expect("persist error reported");
    assert!(err.contains("lock lost") && err.contains("also failed"), "{err}");
    assert!(!out.skipped.is_empty());
    assert!(h.provider.log().len() < 200, "work stopped after the failed checkpoint");
    assert!(!out.is_success());
    // The unsaved working state has everything that finished.
    let done = h.provider.log().iter().filter(|l| matches!(l, Log::Finish(..))).count();
    assert_eq!(out.state.resources.len(), done);
}

#[tokio::test]
async fn create_before_destroy_replace_order() {
    let h = Harness::new(TestProvider { latency: Duration::from_millis(5), ..Default::default() });
    let prior = prior_with(vec![recorded("x", &[]), recorded("user", &["x"])], &h.backend);
    let mut x = change("x", Action::Replace, &[]);
    x.create_before_destroy = true;
    x.before = Some(Value::from_json(&prior.resources[&addr("x")].attributes));
    let mut user = change("user", Action::Update, &["x"]);
    user.before = Some(Value::from_json(&prior.resources[&addr("user")].attributes));
    user.after = Some(Value::map([("name", Value::string("user")), ("id", Value::string("user-g1")), ("deps", Value::Unknown)]));
    let out = h.apply(&plan_of(vec![x, user]), prior).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    let create_x = p.position(Log::Finish("test_thing.x".into(), "create"));
    let update_user_start = p.position(Log::Start("test_thing.user".into(), "update"));
    let update_user_end = p.position(Log::Finish("test_thing.user".into(), "update"));
    let delete_x = p.position(Log::Start("test_thing.x".into(), "delete"));
    assert!(create_x < update_user_start, "{:?}", p.log());
    assert!(update_user_end < delete_x, "old x is deleted after its dependant moved: {:?}", p.log());
    let stored = h.stored();
    assert_eq!(stored.resources[&addr("x")].generation, 2);
    assert!(stored.resources[&addr("x")].create_before_destroy);
    assert_eq!(stored.resources[&addr("user")].attributes["deps"], serde_json::json!(["x-g2"]));
}

#[tokio::test]
async fn destroy_then_create_replace_deletes_dependants_first() {
    let h = Harness::new(TestProvider { latency: Duration::from_millis(5), ..Default::default() });
    let prior = prior_with(vec![recorded("x", &[]), recorded("y", &["x"])], &h.backend);
    let mut x = change("x", Action::Replace, &[]);
    x.before = Some(Value::from_json(&prior.resources[&addr("x")].attributes));
    let mut y = change("y", Action::Replace, &["x"]);
    y.before = Some(Value::from_json(&prior.resources[&addr("y")].attributes));
    let out = h.apply(&plan_of(vec![x, y]), prior).await;
    assert!(out.is_success(), "{out:?}");
    let order: Vec<Log> = h.provider.log().into_iter().filter(|l| matches!(l, Log::Start(..))).collect();
    assert_eq!(
        order,
        vec![
            Log::Start("test_thing.y".into(), "delete"),
            Log::Start("test_thing.x".into(), "delete"),
            Log::Start("test_thing.x".into(), "create"),
            Log::Start("test_thing.y".into(), "create"),
        ]
    );
}

#[tokio::test]
async fn inconsistent_final_plan_fails_the_resource() {
    let h = Harness::new(TestProvider { override_name: Some("other".into()), ..Default::default() });
    let out = h.apply(&plan_of(vec![change("a", Action::Create, &[]), change("b", Action::Create, &["a"])]), State::new()).await;
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.skipped, vec![addr("b")]);
    assert_eq!(
        out.failed[0].1,
        "test_thing.a: Provider produced inconsistent final plan: attribute name was \"a\", now \"other\""
    );
    assert!(h.provider.log().is_empty(), "no provider call");
}

#[tokio::test]
async fn sensitive_paths_from_config_and_schema_are_recorded() {
    let h = Harness::new(TestProvider::default());
    let mut a = change("a", Action::Create, &[]);
    a.after = Some(Value::map([
        ("name", Value::string("a").mark_sensitive()),
        ("secret", Value::string("s")),
        ("id", Value::Unknown),
        ("deps", Value::Unknown),
    ]));
    let out = h.apply(&plan_of(vec![a]), State::new()).await;
    assert!(out.is_success(), "{out:?}");
    let rs = &h.stored().resources[&addr("a")];
    assert_eq!(rs.sensitive_paths, vec![vec![PathStep::Key("name".into())], vec![PathStep::Key("secret".into())]]);
    assert_eq!(rs.attributes["name"], serde_json::json!("a"));
}

/// A plan touching every operation with sensitive values: `a` created with
/// a sensitive name, `b` updated (its recorded `secret` is sensitive in
/// state), `c` deleted (its recorded name is sensitive), data `x` read with
/// a sensitive name.
fn sensitive_plan(h: &Harness) -> (Plan, State) {
    let sens = |v: &str| Value::string(v).mark_sensitive();
    let mut a = change("a", Action::Create, &[]);
    a.after = Some(Value::map([("name", sens("a")), ("id", Value::Unknown), ("deps", Value::Unknown)]));
    let mut b = change("b", Action::Update, &[]);
    b.after = Some(Value::map([("name", sens("b")), ("id", Value::string("b-g1")), ("deps", Value::Unknown)]));
    let mut rb = recorded("b", &[]);
    rb.attributes["secret"] = serde_json::json!("old-secret");
    rb.sensitive_paths = vec![vec![PathStep::Key("secret".into())]];
    let mut rc = recorded("c", &[]);
    rc.sensitive_paths = vec![vec![PathStep::Key("name".into())]];
    let mut x = change("x", Action::Read, &[]);
    x.addr = ResourceAddr::data("test_data", "x");
    x.after = Some(Value::map([("name", sens("x")), ("id", Value::Unknown), ("deps", Value::Unknown)]));
    let plan = plan_of(vec![a, b, change("c", Action::Delete, &[]), x]);
    (plan, prior_with(vec![rb, rc], &h.backend))
}

#[tokio::test]
async fn providers_asking_for_marks_get_config_and_state_marks() {
    let h = Harness::new(TestProvider { marks: true, ..Default::default() });
    let (plan, prior) = sensitive_plan(&h);
    let out = h.apply(&plan, prior).await;
    assert!(out.is_success(), "{out:?}");
    let seen = h.provider.seen.lock().unwrap().clone();
    let at = |verb: &str, key: &str| -> bool {
        let (_, v) = seen.iter().find(|(s, _)| *s == verb).unwrap_or_else(|| panic!("no {verb} in {seen:?}"));
        v.get_path(&[PathStep::Key(key.into())]).is_some_and(Value::is_sensitive)
    };
    assert!(at("create", "name"), "create gets the configuration's marks: {seen:?}");
    assert!(at("update", "name"), "update gets the configuration's marks: {seen:?}");
    assert!(at("update prior", "secret"), "update's prior carries the state's marks: {seen:?}");
    assert!(!at("update prior", "name"), "only the recorded paths are marked: {seen:?}");
    assert!(at("delete", "name"), "delete's prior carries the state's marks: {seen:?}");
    assert!(at("read", "name"), "read_data gets the configuration's marks: {seen:?}");
    // The state records the marks, the values stay plain JSON.
    let rs = &h.stored().resources[&addr("a")];
    assert_eq!(rs.sensitive_paths, vec![vec![PathStep::Key("name".into())]]);
    assert_eq!(rs.attributes["name"], serde_json::json!("a"));
}

#[tokio::test]
async fn providers_not_asking_for_marks_get_plain_values() {
    // `saw` asserts every value is plain.
    let h = Harness::new(TestProvider::default());
    let (plan, prior) = sensitive_plan(&h);
    let out = h.apply(&plan, prior).await;
    assert!(out.is_success(), "{out:?}");
    assert_eq!(h.provider.seen.lock().unwrap().len(), 5, "create, update (prior + planned), delete, read");
    assert_eq!(h.stored().resources[&addr("b")].sensitive_paths, vec![vec![PathStep::Key("name".into())]]);
}

#[tokio::test]
async fn data_source_read_and_conflict_on_moved_state() {
    let h = Harness::new(TestProvider::default());
    let prior = prior_with(vec![], &h.backend);
    // Someone else wrote serial 6 meanwhile.
    h.backend.stored.lock().unwrap().as_mut().unwrap().serial = 6;
    let mut d = change("x", Action::Read, &[]);
    d.addr = ResourceAddr::data("test_data", "x");
    let out = h.apply(&plan_of(vec![d]), prior).await;
    assert!(out.failed.is_empty(), "{out:?}");
    assert!(out.state.resources.contains_key(&ResourceAddr::data("test_data", "x")));
    let err = out.persist_error.expect("conflict reported");
    assert!(err.contains("expected serial Some(5), found Some(6)"), "{err}");
}

#[tokio::test]
async fn dependency_cycle_is_reported_not_hung() {
    let h = Harness::new(TestProvider::default());
    let plan = plan_of(vec![change("a", Action::Create, &["b"]), change("b", Action::Create, &["a"]), change("c", Action::Create, &[])]);
    let out = h.apply(&plan, State::new()).await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    assert!(out.failed[0].1.contains("dependency cycle"), "{}", out.failed[0].1);
    assert_eq!(out.skipped.len(), 1);
    assert!(h.stored().resources.contains_key(&addr("c")));
}

#[test]
fn create_before_destroy_propagates_to_replaced_dependencies() {
    // x (cbd) depends on y (replace, no cbd): y must become cbd, else
    // create(x) → create(y) → destroy(y) → destroy(old x) → create(x) cycles.
    let mut x = change("x", Action::Replace, &["y"]);
    x.create_before_destroy = true;
    let y = change("y", Action::Replace, &[]);
    let plan = plan_of(vec![x, y]);
    let g = crate::graph::build(&plan, &State::new());
    assert_eq!(g.cbd, vec![true, true]);
    // Kahn's algorithm consumes every node: no cycle.
    let mut preds: Vec<usize> = g.nodes.iter().map(|n| n.preds).collect();
    let mut queue: Vec<usize> = (0..preds.len()).filter(|&n| preds[n] == 0).collect();
    let mut seen = 0;
    while let Some(n) = queue.pop() {
        seen += 1;
        for &s in &g.nodes[n].succ {
            preds[s] -= 1;
            if preds[s] == 0 {
                queue.push(s);
            }
        }
    }
    assert_eq!(seen, g.nodes.len());
}

// ------------------------------------------------- per-block dependencies

fn inst(name: &str, i: i64) -> ResourceAddr {
    addr(name).with_key(contin_types::InstanceKey::Int(i))
}

/// `a[0..k]` and `b[0..k]`, each `b[i]` depending on block `a`.
fn count_to_count(k: i64) -> Plan {
    let mut changes = Vec::new();
    for i in 0..k {
        let mut a = change("a", Action::Create, &[]);
        a.addr = inst("a", i);
        let mut b = change("b", Action::Create, &["a"]);
        b.addr = inst("b", i);
        changes.push(a);
        changes.push(b);
    }
    plan_of(changes)
}

fn edges(g: &crate::graph::ApplyGraph) -> usize {
    g.nodes.iter().map(|n| n.succ.len()).sum()
}

#[test]
fn count_to_count_graph_is_linear() {
    // K × K edges when b[i] waited on each a[j]; now each a[j] → gate → b[i].
    for k in [10, 1000] {
        let g = crate::graph::build(&count_to_count(k), &State::new());
        assert_eq!(g.nodes.len(), 2 * k as usize + 1, "one gate for block a");
        assert_eq!(edges(&g), 2 * k as usize);
    }
}

#[tokio::test]
async fn count_to_count_apply_waits_for_the_whole_dependency_block() {
    let h = Harness::new(TestProvider { latency: Duration::from_millis(2), ..Default::default() });
    let out = h.apply(&count_to_count(5), State::new()).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    let last_a = (0..5).map(|i| p.position(Log::Finish(inst("a", i).to_string(), "create"))).max();
    let first_b = (0..5).map(|i| p.position(Log::Start(inst("b", i).to_string(), "create"))).min();
    assert!(last_a < first_b, "{:?}", p.log());
    let stored = h.stored();
    let b3 = &stored.resources[&inst("b", 3)];
    assert_eq!(b3.dependencies, vec![addr("a")], "recorded per block");
    assert_eq!(b3.attributes["deps"], serde_json::json!(["a-g1"]));
}

#[tokio::test]
async fn instance_level_dependencies_of_old_states_still_order_deletes() {
    let h = Harness::new(TestProvider { latency: Duration::from_millis(2), ..Default::default() });
    // An old state: each b[i] lists every a[j]. Deleting everything must
    // still delete all of b before any of a, and the graph stays linear.
    let all_a: Vec<String> = (0..3).map(|j| inst("a", j).to_string()).collect();
    let mut resources = Vec::new();
    let mut changes = Vec::new();
    for i in 0..3 {
        let mut a = recorded("a", &[]);
        a.addr = inst("a", i);
        let mut b = recorded("b", &[]);
        b.addr = inst("b", i);
        b.dependencies = all_a.iter().map(|s| s.parse().unwrap()).collect();
        for r in [a, b] {
            let mut c = change("x", Action::Delete, &[]);
            c.addr = r.addr.clone();
            changes.push(c);
            resources.push(r);
        }
    }
    let plan = plan_of(changes);
    let prior = prior_with(resources, &h.backend);
    let g = crate::graph::build(&plan, &prior);
    assert_eq!(edges(&g), 6, "b[i] → gate(a) → a[j]: 3 + 3 edges");
    let out = h.apply(&plan, prior).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    let last_b = (0..3).map(|i| p.position(Log::Finish(inst("b", i).to_string(), "delete"))).max();
    let first_a = (0..3).map(|i| p.position(Log::Start(inst("a", i).to_string(), "delete"))).min();
    assert!(last_b < first_a, "{:?}", p.log());
    assert!(h.stored().resources.is_empty());
}

#[tokio::test]
async fn instance_level_dependencies_are_stored_per_block() {
    let h = Harness::new(TestProvider::default());
    // An untouched resource from an old state and a plan file written with
    // instance-level dependencies: both end up stored as block addresses.
    let mut old = recorded("keep", &[]);
    old.dependencies = vec![inst("a", 0), inst("a", 1), addr("c")];
    let prior = prior_with(vec![old], &h.backend);
    let mut a0 = change("a", Action::Create, &[]);
    a0.addr = inst("a", 0);
    let mut a1 = change("a", Action::Create, &[]);
    a1.addr = inst("a", 1);
    let mut b = change("b", Action::Create, &[]);
    b.depends_on = vec![inst("a", 0), inst("a", 1)];
    let out = h.apply(&plan_of(vec![a0, a1, b, change("keep", Action::NoOp, &[])]), prior).await;
    assert!(out.is_success(), "{out:?}");
    let stored = h.stored();
    assert_eq!(stored.resources[&addr("b")].dependencies, vec![addr("a")]);
    assert_eq!(stored.resources[&addr("keep")].dependencies, vec![addr("a"), addr("c")]);
}

#[test]
fn output_errors_keep_their_detail() {
    let mut d = Diagnostics::new();
    d.push(Diagnostic::error("Output refers to sensitive values").with_detail("Output \"o\" refers to sensitive values; add `sensitive = true`."));
    d.push(Diagnostic::error("Bare"));
    assert_eq!(
        crate::run::diag_text(&d),
        "Output refers to sensitive values: Output \"o\" refers to sensitive values; add `sensitive = true`.; Bare"
    );
}
