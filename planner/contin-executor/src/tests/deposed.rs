//! Deposed objects end to end through the planner and the executor: a
//! create_before_destroy replace whose delete fails leaves the old object
//! deposed; the next plan destroys it, apply deletes it with its recorded
//! attributes and drops it from state (journaled like other changes); a
//! failed deposed delete is reported with the deposed key and kept.

use super::journal::{contents_of, RecJournal};
use super::*;
use contin_planner::render::{render_plan, summary_counts};
use contin_state::journal::{replay, JournalRecord};

const CBD: &str = r#"
resource "test_thing" "x" {
  name = "x"
  deps = []

  lifecycle {
    create_before_destroy = true
  }
}
"#;

/// `a` ← `b` ← `c` (by reference, so the plan records the dependencies).
const CHAIN: &str = r#"
resource "test_thing" "a" {
  name = "a"
}
resource "test_thing" "b" {
  name = "b"
  deps = [test_thing.a.id]
}
resource "test_thing" "c" {
  name = "c"
  deps = [test_thing.b.id]
}
"#;

/// Plans `hcl` against `state` with the test provider (nothing refreshed).
fn plan_with(hcl: &str, state: &State, mode: PlanMode) -> Plan {
    let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), hcl.to_string())]);
    assert!(!diags.has_errors(), "test config: {diags}");
    let p: Arc<dyn Provider> = Arc::new(TestProvider::default());
    let schemas = BTreeMap::from([("test".to_string(), p.schema())]);
    let providers = BTreeMap::from([("test".to_string(), p)]);
    let input = contin_planner::PlanningInput {
        config: &config,
        variables: &BTreeMap::new(),
        state: Some(state),
        refreshed: &BTreeMap::new(),
        providers: &providers,
        schemas: &schemas,
        io: &contin_planner::NoIo,
        mode,
        targets: &[],
    };
    contin_planner::plan(&input).unwrap_or_else(|d| panic!("{d}"))
}

fn failing_delete_of(what: &str) -> TestProvider {
    TestProvider { fail_delete: BTreeSet::from([what.to_string()]), log_delete_ids: true, ..Default::default() }
}

/// Applies the create_before_destroy replace of `x` with a delete that
/// fails: the stored state keeps x-g1 deposed under a fresh key.
async fn leave_x_deposed() -> State {
    let h = Harness::new(failing_delete_of("x"));
    let prior = prior_with(vec![recorded("x", &[])], &h.backend);
    let mut x = change("x", Action::Replace, &[]);
    x.create_before_destroy = true;
    x.before = Some(Value::from_json(&prior.resources[&addr("x")].attributes));
    x.after = Some(Value::map([("name", Value::string("x")), ("deps", Value::List(vec![])), ("id", Value::Unknown)]));
    let out = h.apply(&plan_of(vec![x]), prior).await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    let stored = h.stored();
    let x = &stored.resources[&addr("x")];
    assert_eq!(x.attributes["id"], "x-g2");
    assert_eq!(x.deposed.len(), 1);
    assert_eq!(x.deposed[0].attributes["id"], "x-g1");
    stored
}

#[tokio::test]
async fn a_deposed_object_is_planned_destroyed_and_dropped_from_state() {
    for journaled in [false, true] {
        let stored = leave_x_deposed().await;
        let key = stored.resources[&addr("x")].deposed[0].key.clone();

        // The next plan: x itself is unchanged, its deposed object is destroyed.
        let plan = plan_with(CBD, &stored, PlanMode::Normal);
        assert_eq!(plan.changes.iter().map(|c| c.action).collect::<Vec<_>>(), vec![Action::NoOp], "{:?}", plan.changes);
        assert_eq!(plan.deposed.len(), 1);
        assert_eq!(plan.deposed[0].key, key);
        assert_eq!(summary_counts(&plan), (0, 0, 1));
        let text = render_plan(&plan, false);
        assert!(text.contains(&format!("  # test_thing.x (deposed object {key}) will be destroyed\n")), "{text}");
        assert!(text.contains("Plan: 0 to add, 0 to change, 1 to destroy."), "{text}");

        // Its delete fails again: reported with the key, the object kept.
        let h = Harness::new(failing_delete_of("x"));
        let out = h.apply(&plan, prior_with(stored.resources.values().cloned().collect(), &h.backend)).await;
        assert_eq!(out.failed.len(), 1, "{out:?}");
        let (failed_addr, msg) = &out.failed[0];
        assert_eq!(*failed_addr, addr("x"));
        assert!(msg.starts_with(&format!("test_thing.x (deposed object {key}): delete failed")), "{msg}");
        assert!(h.events.all().iter().any(|e| matches!(e, ApplyEvent::Failed { error, .. } if error == msg)));
        assert_eq!(h.stored().resources[&addr("x")].deposed, stored.resources[&addr("x")].deposed, "kept for the next plan");

        // Now it succeeds: deleted with its own recorded attributes, dropped from state.
        let h = Harness::new(TestProvider { log_delete_ids: true, ..Default::default() });
        let prior = prior_with(stored.resources.values().cloned().collect(), &h.backend);
        let journal = Arc::new(RecJournal::new(h.provider.clone()));
        let out = if journaled { h.apply_journaled(&plan, prior.clone(), journal.clone()).await } else { h.apply(&plan, prior.clone()).await };
        assert!(out.is_success(), "{out:?}");
        assert_eq!(h.provider.log(), vec![Log::Start("test_thing.x=x-g1".into(), "delete"), Log::Finish("test_thing.x=x-g1".into(), "delete")]);
        let after = h.stored();
        let x = &after.resources[&addr("x")];
        assert!(x.deposed.is_empty(), "journaled={journaled}: {x:?}");
        assert_eq!(x.attributes, stored.resources[&addr("x")].attributes, "the current object is untouched");
        if journaled {
            let puts: Vec<usize> =
                journal.records().iter().filter_map(|(_, r)| match r { JournalRecord::Put(rs) => Some(rs.deposed.len()), _ => None }).collect();
            assert_eq!(puts, vec![0], "the dropped key is journaled as a Put of the instance");
            let mut replayed = prior.clone();
            replay(&mut replayed, &contents_of(&journal, &prior), "memory").expect("replay");
            assert_eq!(replayed.resources, after.resources);
        }
        // Nothing is left to do (the test evaluator's output aside).
        let last = plan_with(CBD, &after, PlanMode::Normal);
        assert!(last.deposed.is_empty() && last.changes.iter().all(|c| c.action == Action::NoOp), "{last:?}");
    }
}

/// a ← b ← c applied, b with a deposed object `b-old` (key 0000000b).
fn chain_with_deposed_b() -> Vec<ResourceState> {
    let mut b = recorded("b", &["a"]);
    b.deposed.push(contin_state::DeposedObject {
        key: "0000000b".into(),
        attributes: serde_json::json!({"id": "b-old", "name": "b", "deps": ["a-g1"]}),
        sensitive_paths: vec![],
        generation: 1,
    });
    vec![recorded("a", &[]), b, recorded("c", &["b"])]
}

#[tokio::test]
async fn deposed_destroys_run_after_dependants_and_the_own_destroy_and_before_dependencies() {
    let mut h = Harness::new(TestProvider { latency: Duration::from_millis(3), log_delete_ids: true, ..Default::default() });
    h.opts.checkpoint_interval = Duration::from_secs(60);
    let prior = prior_with(chain_with_deposed_b(), &h.backend);
    let plan = plan_with(CHAIN, &prior, PlanMode::Destroy);
    assert_eq!(summary_counts(&plan), (0, 0, 4));
    let out = h.apply(&plan, prior).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    let fin = |s: &str| p.position(Log::Finish(format!("test_thing.{s}"), "delete"));
    let start = |s: &str| p.position(Log::Start(format!("test_thing.{s}"), "delete"));
    assert!(fin("c=c-g1") < start("b=b-old"), "a dependant's destroy goes first: {:?}", p.log());
    assert!(fin("b=b-g1") < start("b=b-old"), "the instance's own destroy goes first: {:?}", p.log());
    assert!(fin("b=b-old") < start("a=a-g1"), "what it depended on goes after: {:?}", p.log());
    assert!(h.stored().resources.is_empty());
}

#[tokio::test]
async fn a_failed_deposed_delete_keeps_the_object_and_holds_back_its_dependencies() {
    let h = Harness::new(TestProvider { log_delete_ids: true, ..failing_delete_of("test_thing.b=b-old") });
    let prior = prior_with(chain_with_deposed_b(), &h.backend);
    let plan = plan_with(CHAIN, &prior, PlanMode::Destroy);
    let out = h.apply(&plan, prior).await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    assert!(out.failed[0].1.starts_with("test_thing.b (deposed object 0000000b): delete failed"), "{out:?}");
    assert_eq!(out.skipped, vec![addr("a")], "a may still be used by b's old object");
    let stored = h.stored();
    assert!(!stored.resources.contains_key(&addr("c")));
    // b's current object is gone; its record stays for the deposed one.
    let b = &stored.resources[&addr("b")];
    assert!(b.attributes.is_null(), "{b:?}");
    assert_eq!(b.deposed.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), vec!["0000000b"]);

    // The next plan destroys a and b's deposed object only; apply empties the state.
    let again = plan_with(CHAIN, &stored, PlanMode::Destroy);
    assert_eq!(again.changes.iter().map(|c| (c.addr.name.as_str(), c.action)).collect::<Vec<_>>(), vec![("a", Action::Delete)]);
    assert_eq!(again.deposed.iter().map(|d| d.display_addr()).collect::<Vec<_>>(), vec!["test_thing.b (deposed object 0000000b)"]);
    let h = Harness::new(TestProvider { log_delete_ids: true, ..Default::default() });
    let out = h.apply(&again, prior_with(stored.resources.values().cloned().collect(), &h.backend)).await;
    assert!(out.is_success(), "{out:?}");
    assert!(h.stored().resources.is_empty(), "{:?}", h.stored().resources);
    assert!(h.provider.position(Log::Finish("test_thing.b=b-old".into(), "delete")) < h.provider.position(Log::Start("test_thing.a=a-g1".into(), "delete")));
}

#[tokio::test]
async fn a_destroy_then_create_replace_keeps_pending_deposed_objects() {
    // x is replaced (delete first) while an older object is deposed and its
    // delete fails: the new object is recorded with the deposed one kept.
    let h = Harness::new(TestProvider { log_delete_ids: true, ..failing_delete_of("test_thing.x=x-old") });
    let mut x = recorded("x", &[]);
    x.deposed.push(contin_state::DeposedObject {
        key: "0000000a".into(),
        attributes: serde_json::json!({"id": "x-old", "name": "x", "deps": []}),
        sensitive_paths: vec![],
        generation: 0,
    });
    let prior = prior_with(vec![x], &h.backend);
    let mut c = change("x", Action::Replace, &[]);
    c.before = Some(Value::from_json(&prior.resources[&addr("x")].attributes));
    let mut plan = plan_of(vec![c]);
    plan.deposed = plan_with(CBD, &prior, PlanMode::Normal).deposed;
    assert_eq!(plan.deposed.len(), 1);
    let out = h.apply(&plan, prior).await;
    assert_eq!(out.failed.len(), 1, "{out:?}");
    let x = &h.stored().resources[&addr("x")];
    assert_eq!(x.attributes["id"], "x-g2", "{x:?}");
    assert_eq!(x.deposed.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), vec!["0000000a"]);
}

#[tokio::test]
async fn a_deposed_destroy_forms_no_cycle_with_a_replaced_dependency() {
    // x (updated) depends on b, which is replaced delete-first; x has a
    // deposed object. Its destroy goes before b's delete; x's update after
    // b's create: no cycle, everything applies.
    let h = Harness::new(TestProvider { log_delete_ids: true, latency: Duration::from_millis(2), ..Default::default() });
    let mut x = recorded("x", &["b"]);
    x.deposed.push(contin_state::DeposedObject {
        key: "0000000c".into(),
        attributes: serde_json::json!({"id": "x-old", "name": "x", "deps": ["b-g1"]}),
        sensitive_paths: vec![],
        generation: 0,
    });
    let prior = prior_with(vec![recorded("b", &[]), x], &h.backend);
    let mut b = change("b", Action::Replace, &[]);
    b.before = Some(Value::from_json(&prior.resources[&addr("b")].attributes));
    let mut ux = change("x", Action::Update, &["b"]);
    ux.before = Some(Value::from_json(&prior.resources[&addr("x")].attributes));
    let mut plan = plan_of(vec![b, ux]);
    plan.deposed = vec![contin_planner::DeposedChange {
        key: "0000000c".into(),
        change: ResourceChange { before: Some(Value::from_json(&prior.resources[&addr("x")].deposed[0].attributes)), ..change("x", Action::Delete, &["b"]) },
    }];
    let out = h.apply(&plan, prior).await;
    assert!(out.is_success(), "{out:?}");
    let p = &h.provider;
    assert!(p.position(Log::Finish("test_thing.x=x-old".into(), "delete")) < p.position(Log::Start("test_thing.b=b-g1".into(), "delete")), "{:?}", p.log());
    let stored = h.stored();
    assert!(stored.resources[&addr("x")].deposed.is_empty());
    assert_eq!(stored.resources[&addr("x")].attributes["deps"], serde_json::json!(["b-g2"]));
}
