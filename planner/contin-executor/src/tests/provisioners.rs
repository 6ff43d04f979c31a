//! Provisioners: creation-time after create only, the object tainted while
//! they run and after one fails, `on_failure = continue`, destroy-time
//! before the delete with `self` = the object, suppressed output.

use super::*;
use crate::apply_with_journal;
use crate::tests::journal::RecJournal;
use crate::{OutputSink, ProvisionerRun, ProvisionerWhen, Provisioners};
use contin_state::journal::JournalRecord;
use contin_state::ResourceStatus;
use std::future::Future;
use std::pin::Pin;

/// `TestEvaluator` plus provisioners: `spec[name]` = (when, on_failure_continue, command).
struct ProvEvaluator {
    inner: TestEvaluator,
    spec: BTreeMap<String, Vec<(ProvisionerWhen, bool, Value)>>,
}

impl ApplyEvaluator for ProvEvaluator {
    fn final_config(&self, addr: &ResourceAddr, values: &dyn InstanceValues) -> Result<Value, Diagnostics> {
        self.inner.final_config(addr, values)
    }
    fn outputs(&self, values: &dyn InstanceValues) -> Result<BTreeMap<String, (Value, bool)>, Diagnostics> {
        self.inner.outputs(values)
    }
    fn has_provisioners(&self, addr: &ResourceAddr, when: ProvisionerWhen) -> bool {
        self.spec.get(&addr.name).is_some_and(|v| v.iter().any(|(w, ..)| *w == when))
    }
    fn provisioners(&self, addr: &ResourceAddr, when: ProvisionerWhen, values: &dyn InstanceValues) -> Result<Vec<ProvisionerRun>, Diagnostics> {
        // `self.id`, as the planner's rewrite of `self` reads it.
        let own = values.instance(addr).ok_or_else(|| Diagnostic::error(format!("{addr} has no value")))?;
        let id = own.get_path(&[PathStep::Key("id".into())]).cloned().unwrap_or(Value::Null);
        Ok(self
            .spec
            .get(&addr.name)
            .into_iter()
            .flatten()
            .filter(|(w, ..)| *w == when)
            .enumerate()
            .map(|(i, (_, cont, cmd))| ProvisionerRun {
                kind: "local-exec".into(),
                args: Value::map([("command", cmd.clone()), ("self_id", id.clone())]),
                connection: None,
                on_failure_continue: *cont,
                declared_at: format!("main.tf:{}:3", 10 + i),
            })
            .collect())
    }
}

/// Records (address, command, self id) and fails commands starting with "fail".
#[derive(Default)]
struct Runner {
    ran: Mutex<Vec<(String, String, String)>>,
    /// Provider log length when each run started.
    provider: Option<Arc<TestProvider>>,
    at: Mutex<Vec<usize>>,
}

impl Provisioners for Runner {
    fn run<'a>(
        &'a self,
        addr: &'a ResourceAddr,
        run: &'a ProvisionerRun,
        output: OutputSink<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let text = |k: &str| match run.args.get_path(&[PathStep::Key(k.into())]).map(Value::unmarked) {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let cmd = text("command");
            if let Some(p) = &self.provider {
                self.at.lock().unwrap().push(p.log().len());
            }
            self.ran.lock().unwrap().push((addr.to_string(), cmd.clone(), text("self_id")));
            output(format!("ran {cmd}"));
            if cmd.starts_with("fail") {
                Err("running the command failed: exit status 1".into())
            } else {
                Ok(())
            }
        })
    }
}

fn spec(entries: &[(&str, ProvisionerWhen, bool, &str)]) -> BTreeMap<String, Vec<(ProvisionerWhen, bool, Value)>> {
    let mut m: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (name, when, cont, cmd) in entries {
        m.entry(name.to_string()).or_default().push((*when, *cont, Value::string(*cmd)));
    }
    m
}

async fn run_with(h: &Harness, plan: &Plan, prior: State, spec: BTreeMap<String, Vec<(ProvisionerWhen, bool, Value)>>, runner: Arc<Runner>) -> ApplyOutcome {
    let providers: BTreeMap<String, Arc<dyn Provider>> =
        BTreeMap::from([("test".to_string(), h.provider.clone() as Arc<dyn Provider>)]);
    let inner = TestEvaluator { changes: plan.changes.iter().map(|c| (c.addr.clone(), c.clone())).collect() };
    let evaluator = Arc::new(ProvEvaluator { inner, spec });
    let mut opts = h.opts.clone();
    opts.provisioners = Some(runner);
    apply(plan, prior, &providers, h.backend.clone(), evaluator, h.events.clone(), &opts, h.cancel.clone()).await
}

fn outputs(h: &Harness) -> Vec<String> {
    h.events
        .all()
        .into_iter()
        .filter_map(|e| match e {
            ApplyEvent::ProvisionerOutput { addr, provisioner, line } => Some(format!("{addr} ({provisioner}): {line}")),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn creation_provisioners_run_after_create_with_self_then_dependants_start() {
    let h = Harness::new(TestProvider::default());
    let plan = plan_of(vec![change("a", Action::Create, &[]), change("b", Action::Create, &["a"])]);
    let runner = Arc::new(Runner { provider: Some(h.provider.clone()), ..Runner::default() });
    let s = spec(&[("a", ProvisionerWhen::Create, false, "one"), ("a", ProvisionerWhen::Create, false, "two"), ("a", ProvisionerWhen::Destroy, false, "never")]);
    let out = run_with(&h, &plan, State::new(), s, runner.clone()).await;
    assert!(out.is_success(), "{out:?}");
    let ran = runner.ran.lock().unwrap().clone();
    assert_eq!(
        ran,
        vec![
            ("test_thing.a".to_string(), "one".to_string(), "a-g1".to_string()),
            ("test_thing.a".to_string(), "two".to_string(), "a-g1".to_string()),
        ],
        "in order, self = the created object, destroy-time ones not run"
    );
    // Both ran after a's create finished and before b's started.
    let at = runner.at.lock().unwrap().clone();
    let a_done = h.provider.position(Log::Finish("test_thing.a".into(), "create"));
    let b_start = h.provider.position(Log::Start("test_thing.b".into(), "create"));
    assert!(at.iter().all(|&k| k > a_done && k <= b_start), "{at:?} vs {a_done}..{b_start}: {:?}", h.provider.log());
    assert_eq!(h.stored().resources[&addr("a")].status, ResourceStatus::Ready);
    assert_eq!(outputs(&h), vec!["test_thing.a (local-exec): ran one", "test_thing.a (local-exec): ran two"]);
}

#[tokio::test]
async fn a_failing_provisioner_taints_the_object_fails_the_change_and_skips_dependants() {
    let h = Harness::new(TestProvider::default());
    let plan = plan_of(vec![change("a", Action::Create, &[]), change("b", Action::Create, &["a"])]);
    let runner = Arc::new(Runner::default());
    let s = spec(&[("a", ProvisionerWhen::Create, false, "fail now"), ("a", ProvisionerWhen::Create, false, "after")]);
    let out = run_with(&h, &plan, State::new(), s, runner.clone()).await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    let (a, msg) = &out.failed[0];
    assert_eq!(*a, addr("a"));
    assert_eq!(
        msg,
        "test_thing.a: local-exec provisioner error (main.tf:10:3): running the command failed: exit status 1; the object is tainted and will be replaced by the next apply"
    );
    assert_eq!(out.skipped, vec![addr("b")]);
    assert_eq!(runner.ran.lock().unwrap().len(), 1, "the provisioner after the failing one does not run");
    let stored = h.stored();
    let rs = &stored.resources[&addr("a")];
    assert_eq!(rs.status, ResourceStatus::Tainted, "recorded, tainted");
    assert_eq!(rs.attributes["id"], "a-g1");
}

#[tokio::test]
async fn on_failure_continue_reports_and_goes_on() {
    let h = Harness::new(TestProvider::default());
    let plan = plan_of(vec![change("a", Action::Create, &[])]);
    let runner = Arc::new(Runner::default());
    let s = spec(&[("a", ProvisionerWhen::Create, true, "fail but fine"), ("a", ProvisionerWhen::Create, false, "next")]);
    let out = run_with(&h, &plan, State::new(), s, runner.clone()).await;
    assert!(out.is_success(), "{out:?}");
    assert_eq!(runner.ran.lock().unwrap().len(), 2);
    assert_eq!(h.stored().resources[&addr("a")].status, ResourceStatus::Ready);
    assert!(outputs(&h).iter().any(|l| l.contains("continuing (on_failure = continue): running the command failed")), "{:?}", outputs(&h));
}

#[tokio::test]
async fn updates_run_no_provisioners_and_replaces_run_both_kinds() {
    let h = Harness::new(TestProvider { log_delete_ids: true, ..Default::default() });
    let prior = prior_with(vec![recorded("u", &[]), recorded("r", &[])], &h.backend);
    let mut u = change("u", Action::Update, &[]);
    u.before = Some(Value::from_json(&prior.resources[&addr("u")].attributes));
    let mut r = change("r", Action::Replace, &[]);
    r.before = Some(Value::from_json(&prior.resources[&addr("r")].attributes));
    let plan = plan_of(vec![u, r]);
    let runner = Arc::new(Runner::default());
    let s = spec(&[
        ("u", ProvisionerWhen::Create, false, "u-create"),
        ("u", ProvisionerWhen::Destroy, false, "u-destroy"),
        ("r", ProvisionerWhen::Create, false, "r-create"),
        ("r", ProvisionerWhen::Destroy, false, "r-destroy"),
    ]);
    let out = run_with(&h, &plan, prior, s, runner.clone()).await;
    assert!(out.is_success(), "{out:?}");
    let ran = runner.ran.lock().unwrap().clone();
    // Destroy-then-create: the old object's destroy provisioner (self = the
    // old object, generation 1), then the new one's creation provisioner.
    assert_eq!(
        ran,
        vec![
            ("test_thing.r".to_string(), "r-destroy".to_string(), "r-g1".to_string()),
            ("test_thing.r".to_string(), "r-create".to_string(), "r-g2".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_failing_destroy_provisioner_keeps_the_object_and_tainted_objects_skip_them() {
    let h = Harness::new(TestProvider::default());
    let mut tainted = recorded("t", &[]);
    tainted.status = ResourceStatus::Tainted;
    let prior = prior_with(vec![recorded("d", &[]), tainted], &h.backend);
    let plan = plan_of(vec![change("d", Action::Delete, &[]), change("t", Action::Delete, &[])]);
    let runner = Arc::new(Runner::default());
    let s = spec(&[("d", ProvisionerWhen::Destroy, false, "fail on destroy"), ("t", ProvisionerWhen::Destroy, false, "not for tainted")]);
    let out = run_with(&h, &plan, prior, s, runner.clone()).await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    assert!(out.failed[0].1.starts_with("test_thing.d: local-exec provisioner error (main.tf:10:3)"), "{}", out.failed[0].1);
    assert!(out.failed[0].1.contains("the object was not deleted"), "{}", out.failed[0].1);
    let ran = runner.ran.lock().unwrap().clone();
    assert_eq!(ran, vec![("test_thing.d".to_string(), "fail on destroy".to_string(), "d-g1".to_string())]);
    let stored = h.stored();
    assert!(stored.resources.contains_key(&addr("d")), "kept for the next apply");
    assert!(!stored.resources.contains_key(&addr("t")), "the tainted object was deleted without provisioners");
    assert!(!h.provider.log().contains(&Log::Start("test_thing.d".into(), "delete")), "no delete after the failure");
}

#[tokio::test]
async fn sensitive_arguments_suppress_the_output() {
    let h = Harness::new(TestProvider::default());
    let plan = plan_of(vec![change("a", Action::Create, &[])]);
    let runner = Arc::new(Runner::default());
    let mut s = spec(&[]);
    s.insert("a".into(), vec![(ProvisionerWhen::Create, false, Value::string("echo MARKER-SECRET").mark_sensitive())]);
    let out = run_with(&h, &plan, State::new(), s, runner.clone()).await;
    assert!(out.is_success(), "{out:?}");
    assert_eq!(runner.ran.lock().unwrap().len(), 1, "it ran");
    assert_eq!(outputs(&h), vec!["test_thing.a (local-exec): (output suppressed due to sensitive value in config)"]);
}

#[tokio::test]
async fn without_a_runner_the_object_is_tainted_and_the_change_fails() {
    let h = Harness::new(TestProvider::default());
    let plan = plan_of(vec![change("a", Action::Create, &[])]);
    let providers: BTreeMap<String, Arc<dyn Provider>> =
        BTreeMap::from([("test".to_string(), h.provider.clone() as Arc<dyn Provider>)]);
    let inner = TestEvaluator { changes: plan.changes.iter().map(|c| (c.addr.clone(), c.clone())).collect() };
    let evaluator = Arc::new(ProvEvaluator { inner, spec: spec(&[("a", ProvisionerWhen::Create, false, "x")]) });
    let out = apply(&plan, State::new(), &providers, h.backend.clone(), evaluator, h.events.clone(), &h.opts, h.cancel.clone()).await;
    assert_eq!(out.failed.len(), 1);
    assert!(out.failed[0].1.contains("cannot run: this apply has no provisioner support"), "{}", out.failed[0].1);
    assert_eq!(h.stored().resources[&addr("a")].status, ResourceStatus::Tainted);
}

#[tokio::test]
async fn with_a_journal_the_object_is_durable_and_tainted_before_provisioners_finish() {
    let h = Harness::new(TestProvider::default());
    let plan = plan_of(vec![change("a", Action::Create, &[])]);
    let journal = Arc::new(RecJournal::new(h.provider.clone()));
    let providers: BTreeMap<String, Arc<dyn Provider>> =
        BTreeMap::from([("test".to_string(), h.provider.clone() as Arc<dyn Provider>)]);
    let inner = TestEvaluator { changes: plan.changes.iter().map(|c| (c.addr.clone(), c.clone())).collect() };
    let evaluator = Arc::new(ProvEvaluator { inner, spec: spec(&[("a", ProvisionerWhen::Create, false, "fail")]) });
    let mut opts = h.opts.clone();
    opts.provisioners = Some(Arc::new(Runner::default()));
    let out =
        apply_with_journal(&plan, State::new(), &providers, h.backend.clone(), journal.clone(), evaluator, h.events.clone(), &opts, h.cancel.clone())
            .await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    // The journal holds the object recorded tainted (what a kill -9 during
    // the provisioner would leave), and never a ready one.
    let puts: Vec<ResourceStatus> = journal
        .records()
        .into_iter()
        .filter_map(|(_, r)| match r {
            JournalRecord::Put(rs) if rs.addr == addr("a") => Some(rs.status),
            _ => None,
        })
        .collect();
    assert_eq!(puts, vec![ResourceStatus::Tainted]);
    assert!(!journal.records().iter().any(|(_, r)| matches!(r, JournalRecord::Abandon { .. })), "the object exists: its intent is not abandoned");
}
