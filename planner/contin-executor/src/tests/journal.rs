//! Apply with a journal: ordering of durability against provider calls,
//! replay equivalence, deposed and tainted objects, journal failure, and
//! the cost of 10,000 changes with and without a journal.

use super::*;
use crate::apply_with_journal;
use contin_state::journal::{replay, FileJournal, Journal, JournalContents, JournalHeader, JournalRecord, JournalWriter};
use contin_state::ResourceStatus;

/// Records every append with the provider log length when it became durable.
pub(super) struct RecJournal {
    provider: Arc<TestProvider>,
    /// (provider log length when the append returned, record).
    records: Mutex<Vec<(usize, JournalRecord)>>,
    appends: AtomicUsize,
    latency: Duration,
    /// Fail every append after this many.
    fail_after: Option<usize>,
}

impl RecJournal {
    pub(super) fn new(provider: Arc<TestProvider>) -> Self {
        RecJournal { provider, records: Mutex::new(Vec::new()), appends: AtomicUsize::new(0), latency: Duration::ZERO, fail_after: None }
    }
    pub(super) fn records(&self) -> Vec<(usize, JournalRecord)> {
        self.records.lock().unwrap().clone()
    }
    /// When the first record matching `pred` became durable (provider log length then).
    fn durable_at(&self, pred: impl Fn(&JournalRecord) -> bool) -> usize {
        let recs = self.records();
        recs.iter().find(|(_, r)| pred(r)).map(|(at, _)| *at).unwrap_or_else(|| panic!("no such record in {recs:?}"))
    }
}

#[async_trait]
impl Journal for RecJournal {
    fn describe(&self) -> String {
        "journal memory".into()
    }
    async fn append(&self, records: Vec<JournalRecord>) -> Result<(), StateError> {
        let k = self.appends.fetch_add(1, Ordering::SeqCst);
        if self.fail_after.is_some_and(|f| k >= f) {
            return Err(StateError::Other("disk full".into()));
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let at = self.provider.log().len();
        self.records.lock().unwrap().extend(records.into_iter().map(|r| (at, r)));
        Ok(())
    }
}

fn is_put(name: &str) -> impl Fn(&JournalRecord) -> bool + '_ {
    move |r| matches!(r, JournalRecord::Put(rs) if rs.addr == addr(name))
}

fn is_intent(name: &str) -> impl Fn(&JournalRecord) -> bool + '_ {
    move |r| matches!(r, JournalRecord::Intent { addr: a, .. } if *a == addr(name))
}

impl Harness {
    pub(super) async fn apply_journaled(&self, plan: &Plan, prior: State, journal: Arc<dyn Journal>) -> ApplyOutcome {
        let providers: BTreeMap<String, Arc<dyn Provider>> =
            BTreeMap::from([("test".to_string(), self.provider.clone() as Arc<dyn Provider>)]);
        let evaluator = Arc::new(TestEvaluator { changes: plan.changes.iter().map(|c| (c.addr.clone(), c.clone())).collect() });
        apply_with_journal(plan, prior, &providers, self.backend.clone(), journal, evaluator, self.events.clone(), &self.opts, self.cancel.clone())
            .await
    }
}

pub(super) fn contents_of(j: &RecJournal, prior: &State) -> JournalContents {
    JournalContents {
        header: JournalHeader { journal_format: 1, lineage: prior.lineage.clone(), base_serial: prior.serial },
        records: j.records().into_iter().map(|(_, r)| r).collect(),
        damaged_lines: 0,
    }
}

#[tokio::test]
async fn intents_precede_creates_and_records_are_durable_before_dependants_start() {
    let h = Harness::new(TestProvider { latency: Duration::from_millis(2), ..Default::default() });
    let journal = Arc::new(RecJournal { latency: Duration::from_millis(3), ..RecJournal::new(h.provider.clone()) });
    let prior = prior_with(vec![recorded("old", &[]), recorded("upd", &[])], &h.backend);
    let mut upd = change("upd", Action::Update, &[]);
    upd.before = Some(Value::from_json(&prior.resources[&addr("upd")].attributes));
    upd.after = Some(Value::map([("name", Value::string("upd2")), ("id", Value::string("upd-g1")), ("deps", Value::Unknown)]));
    let plan = plan_of(vec![
        change("a", Action::Create, &[]),
        change("b", Action::Create, &["a"]),
        change("c", Action::Create, &["b"]),
        change("old", Action::Delete, &[]),
        upd,
    ]);
    let out = h.apply_journaled(&plan, prior.clone(), journal.clone()).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    for name in ["a", "b", "c"] {
        let start = p.position(Log::Start(format!("test_thing.{name}"), "create"));
        assert!(journal.durable_at(is_intent(name)) <= start, "intent of {name} durable before its create: {:?}", journal.records());
    }
    for (dep, dependant) in [("a", "b"), ("b", "c")] {
        let start = p.position(Log::Start(format!("test_thing.{dependant}"), "create"));
        assert!(journal.durable_at(is_put(dep)) <= start, "{dep}'s record durable before {dependant} starts: {:?}", journal.records());
    }
    assert!(journal.records().iter().any(|(_, r)| matches!(r, JournalRecord::Remove { addr: a } if *a == addr("old"))));
    assert!(journal.records().iter().any(|(_, r)| is_put("upd")(r)));
    // Only the final snapshot reaches the backend.
    assert_eq!(*h.backend.writes.lock().unwrap(), vec![6], "one write on top of serial 5");
    // Replaying the journal onto the prior gives the final resources.
    let mut replayed = prior.clone();
    let summary = replay(&mut replayed, &contents_of(&journal, &prior), "memory").expect("replay");
    assert!(summary.unresolved_creates.is_empty(), "{summary:?}");
    assert_eq!(replayed.resources, h.stored().resources);
}

#[tokio::test]
async fn group_commit_keeps_appends_far_below_changes() {
    let h = Harness::new(TestProvider::default());
    let journal = Arc::new(RecJournal { latency: Duration::from_millis(2), ..RecJournal::new(h.provider.clone()) });
    let plan = layered(500, 50);
    let out = h.apply_journaled(&plan, State::new(), journal.clone()).await;
    assert!(out.is_success(), "{out:?}");
    let appends = journal.appends.load(Ordering::SeqCst);
    let records = journal.records().len();
    assert_eq!(records, 1000, "one intent + one put per create");
    assert!(appends < 700, "{appends} appends for {records} records: concurrent appends must be batched");
    assert_eq!(h.stored().resources.len(), 500);
}

#[tokio::test]
async fn create_before_destroy_keeps_the_old_object_deposed_when_its_delete_fails() {
    let mut fail_delete = BTreeSet::new();
    fail_delete.insert("x".to_string());
    for journaled in [false, true] {
        let h = Harness::new(TestProvider { fail_delete: fail_delete.clone(), ..Default::default() });
        let prior = prior_with(vec![recorded("x", &[])], &h.backend);
        let mut x = change("x", Action::Replace, &[]);
        x.create_before_destroy = true;
        x.before = Some(Value::from_json(&prior.resources[&addr("x")].attributes));
        let plan = plan_of(vec![x]);
        let journal = Arc::new(RecJournal::new(h.provider.clone()));
        let out = if journaled { h.apply_journaled(&plan, prior.clone(), journal.clone()).await } else { h.apply(&plan, prior.clone()).await };
        assert_eq!(out.failed.len(), 1, "{out:?}");
        let stored = h.stored();
        let x = &stored.resources[&addr("x")];
        assert_eq!(x.attributes["id"], "x-g2", "the new object is current");
        assert_eq!(x.deposed.len(), 1, "journaled={journaled}: the old object is not lost");
        assert_eq!(x.deposed[0].attributes["id"], "x-g1");
        assert_eq!(x.deposed[0].generation, 1);
        if journaled {
            let mut replayed = prior.clone();
            replay(&mut replayed, &contents_of(&journal, &prior), "memory").expect("replay");
            assert_eq!(replayed.resources[&addr("x")].deposed, x.deposed, "the journal alone keeps the deposed object");
        }
    }
    // A successful delete drops the deposed object again.
    let h = Harness::new(TestProvider::default());
    let prior = prior_with(vec![recorded("x", &[])], &h.backend);
    let mut x = change("x", Action::Replace, &[]);
    x.create_before_destroy = true;
    x.before = Some(Value::from_json(&prior.resources[&addr("x")].attributes));
    let journal = Arc::new(RecJournal::new(h.provider.clone()));
    let out = h.apply_journaled(&plan_of(vec![x]), prior.clone(), journal.clone()).await;
    assert!(out.is_success(), "{out:?}");
    assert!(h.stored().resources[&addr("x")].deposed.is_empty());
    // In between, the journal held the old object as deposed (a crash then keeps it).
    let puts: Vec<usize> =
        journal.records().iter().filter_map(|(_, r)| match r { JournalRecord::Put(rs) => Some(rs.deposed.len()), _ => None }).collect();
    assert_eq!(puts, vec![1, 0]);
}

#[tokio::test]
async fn part_way_create_is_tainted_and_clean_failures_close_their_intent() {
    let mut partial = BTreeSet::new();
    partial.insert("a".to_string());
    let mut fail = BTreeSet::new();
    fail.insert("c".to_string());
    let h = Harness::new(TestProvider { partial, fail, ..Default::default() });
    let journal = Arc::new(RecJournal::new(h.provider.clone()));
    let plan = plan_of(vec![change("a", Action::Create, &[]), change("c", Action::Create, &[])]);
    let out = h.apply_journaled(&plan, State::new(), journal.clone()).await;
    assert_eq!(out.failed.len(), 2, "{out:?}");
    let stored = h.stored();
    assert_eq!(stored.resources[&addr("a")].status, ResourceStatus::Tainted);
    assert_eq!(stored.resources[&addr("a")].attributes["id"], "half-done");
    assert!(!stored.resources.contains_key(&addr("c")));
    let prior = State { lineage: out.state.lineage.clone(), ..State::new() };
    let mut replayed = prior.clone();
    let s = replay(&mut replayed, &contents_of(&journal, &prior), "memory").expect("replay");
    assert!(s.unresolved_creates.is_empty(), "the failed create's intent is closed: {s:?}");
    assert_eq!(replayed.resources, stored.resources);
    // Without a journal the part-way create is tainted too.
    let mut partial = BTreeSet::new();
    partial.insert("a".to_string());
    let h = Harness::new(TestProvider { partial, ..Default::default() });
    h.apply(&plan_of(vec![change("a", Action::Create, &[])]), State::new()).await;
    assert_eq!(h.stored().resources[&addr("a")].status, ResourceStatus::Tainted);
}

#[tokio::test]
async fn a_placeholder_of_an_unknown_create_is_forgotten_not_deleted() {
    let h = Harness::new(TestProvider::default());
    let mut placeholder = recorded("x", &[]);
    placeholder.attributes = serde_json::Value::Null;
    placeholder.status = ResourceStatus::Tainted;
    let prior = prior_with(vec![placeholder], &h.backend);
    let mut x = change("x", Action::Replace, &[]);
    x.before = Some(Value::Null);
    let out = h.apply(&plan_of(vec![x]), prior).await;
    assert!(out.is_success(), "{out:?}");
    let log = h.provider.log();
    assert!(!log.iter().any(|l| matches!(l, Log::Start(_, "delete"))), "nothing to delete: {log:?}");
    assert_eq!(h.stored().resources[&addr("x")].status, ResourceStatus::Ready);
}

#[tokio::test]
async fn journal_failure_stops_new_work_and_is_reported() {
    let h = Harness::new(TestProvider { latency: Duration::from_millis(1), ..Default::default() });
    let journal = Arc::new(RecJournal { fail_after: Some(3), ..RecJournal::new(h.provider.clone()) });
    let plan = layered(40, 1);
    let out = h.apply_journaled(&plan, State::new(), journal.clone()).await;
    let err = out.persist_error.clone().expect("reported");
    assert!(err.contains("journal memory") && err.contains("disk full"), "{err}");
    assert!(!out.skipped.is_empty(), "work stopped: {out:?}");
    let started = h.provider.log().iter().filter(|l| matches!(l, Log::Start(..))).count();
    assert!(started <= 3, "no create after the journal failed: {started}");
    // The final snapshot still holds everything that was done.
    assert_eq!(h.stored().resources.len(), out.state.resources.len());
}

/// 10,000 creates (layered, width 100): journal on a real file (fsync per
/// group commit) vs. periodic checkpoints. Prints the timings; asserts only
/// that the journaled apply stays in the same order of magnitude. Ignored
/// by default (10 s of CPU makes the timing-based tests beside it flaky):
/// `cargo nextest run -p contin-executor --run-ignored all -E 'test(ten_thousand)' --no-capture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run explicitly"]
async fn ten_thousand_changes_with_and_without_a_journal() {
    let n = 10_000;
    let plan = layered(n, 100);
    let h = Harness::new(TestProvider::default());
    let t0 = Instant::now();
    let out = h.apply(&plan, State::new()).await;
    let plain = t0.elapsed();
    assert!(out.is_success());
    let plain_checkpoints = h.events.checkpoints();

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("contin.state.json.journal");
    let h = Harness::new(TestProvider::default());
    let prior = State::new();
    let writer = JournalWriter::start(FileJournal::create(&path, &prior.lineage, prior.serial).expect("create"));
    let t0 = Instant::now();
    let out = h.apply_journaled(&plan, prior.clone(), Arc::new(writer.clone())).await;
    let journaled = t0.elapsed();
    assert!(out.is_success(), "{:?}", out.persist_error);
    let contents = FileJournal::read(&path).expect("read").expect("exists");
    assert_eq!(contents.records.len(), 2 * n);
    let mut replayed = prior.clone();
    replay(&mut replayed, &contents, "file").expect("replay");
    assert_eq!(replayed.resources, h.stored().resources);
    let size = std::fs::metadata(&path).expect("meta").len();
    eprintln!("10k changes: without journal {plain:?} ({plain_checkpoints} checkpoints); with file journal {journaled:?} (journal {} KiB, {} checkpoints, {} fsync rounds)", size / 1024, h.events.checkpoints(), writer.commits());
    assert!(journaled < plain * 20 + Duration::from_secs(10), "journaled {journaled:?} vs {plain:?}");
}

#[tokio::test]
async fn refreshed_values_of_unchanged_instances_are_written_back() {
    for journaled in [false, true] {
        let h = Harness::new(TestProvider::default());
        let prior = prior_with(vec![recorded("same", &[]), recorded("drifted", &[])], &h.backend);
        // `drifted` was updated by an apply killed before its record was
        // saved: the refreshed object already matches the configuration.
        let refreshed = Value::map([("id", Value::string("drifted-g1")), ("name", Value::string("new")), ("deps", Value::List(vec![]))]);
        let mut drifted = change("drifted", Action::NoOp, &[]);
        drifted.before = Some(refreshed.clone());
        drifted.after = Some(refreshed);
        let mut same = change("same", Action::NoOp, &[]);
        same.before = Some(Value::from_json(&prior.resources[&addr("same")].attributes));
        same.after = same.before.clone();
        let journal = Arc::new(RecJournal::new(h.provider.clone()));
        let plan = plan_of(vec![drifted, same]);
        let out = if journaled { h.apply_journaled(&plan, prior.clone(), journal.clone()).await } else { h.apply(&plan, prior.clone()).await };
        assert!(out.is_success(), "{out:?}");
        let stored = h.stored();
        assert_eq!(stored.resources[&addr("drifted")].attributes["name"], "new", "journaled={journaled}");
        assert_eq!(stored.resources[&addr("same")], prior.resources[&addr("same")]);
        if journaled {
            let recs = journal.records();
            assert_eq!(recs.len(), 1, "only the drifted instance is recorded: {recs:?}");
            assert!(is_put("drifted")(&recs[0].1));
        }
    }
}

/// A crash at random moments (the apply future aborted mid-flight, the
/// journal file as it is on disk): recovering from the stored snapshot and
/// the journal accounts for every object a provider call may have created,
/// either with its attributes or as a tainted placeholder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_at_random_moments_leaves_no_object_recorded_nowhere() {
    for (i, abort_after_ms) in [1u64, 3, 7, 12, 20, 35].into_iter().enumerate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let h = Arc::new(Harness::new(TestProvider { latency: Duration::from_millis(1), ..Default::default() }));
        let prior = prior_with(vec![recorded("old", &[])], &h.backend);
        let mut changes: Vec<ResourceChange> = (0..60)
            .map(|k| {
                let dep = if k >= 6 { vec![format!("r{}", k - 6)] } else { vec![] };
                let deps: Vec<&str> = dep.iter().map(String::as_str).collect();
                change(&format!("r{k}"), Action::Create, &deps)
            })
            .collect();
        changes.push(change("old", Action::Delete, &[]));
        let plan = plan_of(changes);
        let writer = JournalWriter::start(FileJournal::create(&path, &prior.lineage, prior.serial).expect("create"));
        let task = {
            let (h, plan, prior, writer) = (h.clone(), plan.clone(), prior.clone(), writer.clone());
            tokio::spawn(async move { h.apply_journaled(&plan, prior, Arc::new(writer)).await })
        };
        tokio::time::sleep(Duration::from_millis(abort_after_ms)).await;
        task.abort();
        let finished = task.await.is_ok();
        drop(writer);
        let stored = h.backend.stored.lock().unwrap().clone();
        let contents = FileJournal::read(&path).expect("read").expect("journal exists");
        let (recovered, summary) = contin_state::journal::recover(stored, &contents, "j").expect("recover");
        let log = h.provider.log();
        for entry in &log {
            if let Log::Start(a, "create") = entry {
                let a: ResourceAddr = a.parse().expect("addr");
                assert!(recovered.resources.contains_key(&a), "run {i}: {a} may exist but is recorded nowhere ({summary:?})");
            }
        }
        if finished {
            assert!(summary.already_in_state || summary.is_empty() || summary.unresolved_creates.is_empty());
        }
    }
}
