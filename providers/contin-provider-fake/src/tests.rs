//! Tests of the fake provider: conformance, store persistence and drift,
//! failure and latency injection.

use super::*;
use contin_provider::conformance::{self, LifecycleCase};
use contin_types::ResourceAddr;

fn ctx() -> OpContext {
    OpContext { address: ResourceAddr::managed(RESOURCE, "t"), lineage: "l".into(), generation: 1 }
}

fn ctx_of(name: &str, generation: u64) -> OpContext {
    OpContext { address: ResourceAddr::managed(RESOURCE, name), lineage: "l".into(), generation }
}

fn cfg(items: &[(&str, Value)]) -> Value {
    Value::map(items.iter().cloned())
}

async fn configured(cfg: Value) -> FakeProvider {
    let p = FakeProvider::new();
    p.configure(cfg).await.unwrap_or_else(|e| panic!("{e}"));
    p
}

async fn plan_and_create(p: &FakeProvider, c: &Value) -> Result<Value, ProviderError> {
    create_as(p, c, "t").await
}

/// Plans and creates `c` as `fake_resource.NAME` (generation 1).
async fn create_as(p: &FakeProvider, c: &Value, name: &str) -> Result<Value, ProviderError> {
    let change = p.plan_change(RESOURCE, None, c);
    p.create(RESOURCE, &change.planned, &ctx_of(name, 1)).await
}

fn base() -> Value {
    cfg(&[
        ("name", Value::string("web")),
        ("value", Value::map([("n", Value::int(1)), ("l", Value::set(vec![Value::string("x")]))])),
        ("tags", Value::map([("env", Value::string("dev"))])),
        ("immutable", Value::string("v1")),
    ])
}

fn changed(key: &str, v: Value) -> Value {
    with_attr(base(), key, v)
}

#[tokio::test]
async fn conformance_without_store() {
    let p = configured(Value::map::<&str>([])).await;
    let update = LifecycleCase::new(RESOURCE, base(), changed("tags", Value::map([("env", Value::string("prod"))])));
    conformance::run(&p, &update).await.unwrap_or_else(|e| panic!("{e}"));
    let replace = LifecycleCase::new(RESOURCE, base(), changed("immutable", Value::string("v2")));
    conformance::run(&p, &replace).await.unwrap_or_else(|e| panic!("{e}"));
    let rename = LifecycleCase::new(RESOURCE, base(), changed("name", Value::string("api")));
    conformance::run(&p, &rename).await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn conformance_with_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cloud.json");
    let p = configured(cfg(&[("store", Value::string(store.to_string_lossy()))])).await;
    let replace = LifecycleCase::new(RESOURCE, base(), changed("triggers", Value::map([("k", Value::string("2"))])));
    conformance::run(&p, &replace).await.unwrap_or_else(|e| panic!("{e}"));
    let update = LifecycleCase::new(RESOURCE, base(), changed("value", Value::int(2)));
    conformance::run(&p, &update).await.unwrap_or_else(|e| panic!("{e}"));
    conformance::check_data_source(&p, DATA, &cfg(&[("input", Value::int(42))])).await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn store_persists_between_processes_and_shows_out_of_band_edits() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("sub/cloud.json");
    let store_cfg = cfg(&[("store", Value::string(store.to_string_lossy()))]);
    let first = configured(store_cfg.clone()).await;
    let a = plan_and_create(&first, &base()).await.unwrap();
    let b = create_as(&first, &changed("name", Value::string("b")), "b").await.unwrap();
    assert_eq!(attr(&a, "id"), Some(&Value::string("fake-1")));
    assert_eq!(attr(&b, "id"), Some(&Value::string("fake-2")));

    // A second "process" sees both objects exactly (the set survives JSON).
    let second = configured(store_cfg.clone()).await;
    assert_eq!(second.read(RESOURCE, &a).await.unwrap(), Some(a.clone()));
    assert_eq!(second.import(RESOURCE, "fake-2").await.unwrap().get_path(&[PathStep::Key("name".into())]), Some(&Value::string("b")));

    // Out of band: change a's tags, delete b.
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&store).unwrap()).unwrap();
    doc["objects"]["fake-1"]["attributes"]["tags"]["env"] = serde_json::json!("hacked");
    doc["objects"].as_object_mut().unwrap().remove("fake-2");
    std::fs::write(&store, serde_json::to_vec(&doc).unwrap()).unwrap();

    let third = configured(store_cfg).await;
    let drifted = third.read(RESOURCE, &a).await.unwrap().unwrap();
    assert_eq!(drifted.get_path(&[PathStep::Key("tags".into()), PathStep::Key("env".into())]), Some(&Value::string("hacked")));
    assert_eq!(third.read(RESOURCE, &b).await.unwrap(), None);
    let err = third.update(RESOURCE, &b, &b, &ctx()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Api { ref code, .. } if code == "NotFound"), "{err}");
    // Ids keep counting from the store, never reusing fake-2.
    let c = create_as(&third, &base(), "c").await.unwrap();
    assert_eq!(attr(&c, "id"), Some(&Value::string("fake-3")));
}

#[tokio::test]
async fn corrupt_store_is_a_configure_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cloud.json");
    std::fs::write(&store, b"{ not json").unwrap();
    let err = FakeProvider::new().configure(cfg(&[("store", Value::string(store.to_string_lossy()))])).await.unwrap_err();
    assert!(err.to_string().contains("not a valid store file"), "{err}");
}

#[tokio::test]
async fn injected_failures_name_the_operation() {
    let p = configured(Value::map::<&str>([])).await;
    let err = plan_and_create(&p, &changed("fail_on", Value::string("create"))).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::Api {
            code: "InjectedFailure".into(),
            message: "fake_resource: failure injected on create (fail_on = \"create\")".into()
        }
    );

    let ok = plan_and_create(&p, &base()).await.unwrap();
    let want_fail = |op: &str| with_attr(ok.clone(), "fail_on", Value::string(op));
    assert!(p.update(RESOURCE, &ok, &want_fail("update"), &ctx()).await.unwrap_err().to_string().contains("on update"));
    assert!(p.read(RESOURCE, &want_fail("read")).await.unwrap_err().to_string().contains("on read"));
    assert!(p.delete(RESOURCE, &want_fail("delete"), &ctx()).await.unwrap_err().to_string().contains("on delete"));
    // Failing on one operation leaves the others working.
    assert!(p.read(RESOURCE, &want_fail("delete")).await.unwrap().is_some());
    assert!(p.validate(RESOURCE, &changed("fail_on", Value::string("boom"))).has_errors());
    assert!(!p.validate(RESOURCE, &changed("fail_on", Value::string("read"))).has_errors());
}

#[tokio::test]
async fn fail_delete_name_fails_deletes_of_that_name_until_reconfigured() {
    let p = configured(cfg(&[("fail_delete_name", Value::string("web"))])).await;
    let web = plan_and_create(&p, &changed("name", Value::string("web"))).await.unwrap();
    let other = plan_and_create(&p, &changed("name", Value::string("db"))).await.unwrap();
    let err = p.delete(RESOURCE, &web, &ctx()).await.unwrap_err();
    assert!(err.to_string().contains("failure injected on delete (provider fail_delete_name = \"web\")"), "{err}");
    assert!(p.read(RESOURCE, &web).await.unwrap().is_some(), "the object was not deleted");
    p.delete(RESOURCE, &other, &ctx()).await.unwrap();
    // Configured without the knob (the next run), the same object goes.
    p.configure(Value::map::<&str>([])).await.unwrap();
    p.delete(RESOURCE, &web, &ctx()).await.unwrap();
    assert!(p.read(RESOURCE, &web).await.unwrap().is_none());
    assert!(FakeProvider::new().configure(cfg(&[("fail_delete_name", Value::int(1))])).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn latency_is_applied_per_provider_and_overridden_per_resource() {
    let p = configured(cfg(&[("latency_ms", Value::int(300))])).await;
    let t0 = tokio::time::Instant::now();
    plan_and_create(&p, &base()).await.unwrap();
    let provider_latency = t0.elapsed();
    let t1 = tokio::time::Instant::now();
    plan_and_create(&p, &changed("latency_ms", Value::int(50))).await.unwrap();
    let resource_latency = t1.elapsed();
    // Paused clock: time only moves by the sleeps themselves.
    assert!(provider_latency >= Duration::from_millis(300), "{provider_latency:?}");
    assert!(resource_latency >= Duration::from_millis(50) && resource_latency < Duration::from_millis(300), "{resource_latency:?}");

    // The slow create is still pending while a quick one completes.
    let p = std::sync::Arc::new(p);
    let slow = tokio::spawn({
        let p = p.clone();
        async move { plan_and_create(&p, &base()).await }
    });
    plan_and_create(&p, &changed("latency_ms", Value::int(0))).await.unwrap();
    assert!(!slow.is_finished());
    assert!(slow.await.unwrap().is_ok());
}

#[tokio::test]
async fn result_follows_name_and_value() {
    let p = configured(Value::map::<&str>([])).await;
    let a = plan_and_create(&p, &base()).await.unwrap();
    // Tags only: result stays known.
    let tags = p.plan_change(RESOURCE, Some(&a), &changed("tags", Value::map::<&str>([])));
    assert!(tags.requires_replace.is_empty());
    assert_eq!(attr(&tags.planned, "result"), attr(&a, "result"));
    // Name: result unknown until applied, then different.
    let renamed = p.plan_change(RESOURCE, Some(&a), &changed("name", Value::string("other")));
    assert!(renamed.requires_replace.is_empty());
    assert_eq!(attr(&renamed.planned, "result"), Some(&Value::Unknown));
    let updated = p.update(RESOURCE, &a, &renamed.planned, &ctx()).await.unwrap();
    assert!(matches!(attr(&updated, "result"), Some(Value::String(_))));
    assert_ne!(attr(&updated, "result"), attr(&a, "result"));
    assert_eq!(attr(&updated, "id"), attr(&a, "id"));
}

#[tokio::test]
async fn many_creates_are_cheap_and_ids_unique() {
    let p = configured(Value::map::<&str>([])).await;
    let planned = p.plan_change(RESOURCE, None, &base()).planned;
    let mut ids = HashSet::new();
    for _ in 0..10_000 {
        let v = p.create(RESOURCE, &planned, &ctx()).await.unwrap();
        if let Some(Value::String(id)) = attr(&v, "id") {
            ids.insert(id.clone());
        }
    }
    assert_eq!(ids.len(), 10_000);
    // No store: nothing kept in memory but tombstones of deletions.
    assert!(p.tombstones.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_types_are_refused() {
    let p = configured(Value::map::<&str>([])).await;
    assert!(matches!(p.create("fake_other", &base(), &ctx()).await, Err(ProviderError::UnsupportedType { .. })));
    assert!(p.plan_change("fake_other", None, &base()).diagnostics.has_errors());
    assert!(p.read_data("fake_nope", &base()).await.is_err());
    let d = p.read_data(DATA, &cfg(&[("input", Value::string("x"))])).await.unwrap();
    assert_eq!(attr(&d, "output"), Some(&Value::string("x")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mutations_all_reach_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cloud.json");
    let store_cfg = cfg(&[("store", Value::string(store.to_string_lossy()))]);
    let p = std::sync::Arc::new(configured(store_cfg.clone()).await);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let p = p.clone();
            tokio::spawn(async move {
                let c = changed("name", Value::String(format!("n{i}")));
                let planned = p.plan_change(RESOURCE, None, &c).planned;
                p.create(RESOURCE, &planned, &ctx_of(&format!("n{i}"), 1)).await
            })
        })
        .collect();
    let mut created = Vec::new();
    for t in tasks {
        created.push(t.await.unwrap().unwrap());
    }
    // Every create returned after its object was on disk.
    let reloaded = configured(store_cfg).await;
    for v in &created {
        assert_eq!(reloaded.read(RESOURCE, v).await.unwrap().as_ref(), Some(v));
    }
    for v in created.iter().take(10) {
        p.delete(RESOURCE, v, &ctx()).await.unwrap();
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&store).unwrap()).unwrap();
    assert_eq!(doc["objects"].as_object().map(|o| o.len()), Some(40));
}

#[tokio::test]
async fn a_create_repeated_after_a_crash_adopts_its_object() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cloud.json");
    let store_cfg = cfg(&[("store", Value::string(store.to_string_lossy()))]);
    let first = configured(store_cfg.clone()).await;
    let planned = first.plan_change(RESOURCE, None, &base()).planned;
    let made = first.create(RESOURCE, &planned, &ctx_of("a", 1)).await.unwrap();
    // The process dies before state records `made`; the next run plans the
    // same create (same lineage, address, generation), with a changed tag.
    let second = configured(store_cfg.clone()).await;
    let retag = second.plan_change(RESOURCE, None, &changed("tags", Value::map([("env", Value::string("prod"))]))).planned;
    let adopted = second.create(RESOURCE, &retag, &ctx_of("a", 1)).await.unwrap();
    assert_eq!(attr(&adopted, "id"), attr(&made, "id"));
    let objects = list_store(&store).unwrap();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0].attributes["tags"]["env"], "prod", "adopted object converged to the plan");
    assert_eq!(
        objects[0].owner,
        Some(StoreOwner { lineage: "l".into(), address: "fake_resource.a".into(), generation: 1 })
    );
    // A replacement (next generation), another address or another lineage is a new object.
    second.create(RESOURCE, &planned, &ctx_of("a", 2)).await.unwrap();
    second.create(RESOURCE, &planned, &ctx_of("b", 1)).await.unwrap();
    let other = OpContext { lineage: "other".into(), ..ctx_of("a", 1) };
    second.create(RESOURCE, &planned, &other).await.unwrap();
    assert_eq!(list_store(&store).unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_instances_sharing_a_store_keep_each_others_objects() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cloud.json");
    let store_cfg = cfg(&[("store", Value::string(store.to_string_lossy()))]);
    let (a, b) = (std::sync::Arc::new(configured(store_cfg.clone()).await), std::sync::Arc::new(configured(store_cfg).await));
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let p = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let planned = p.plan_change(RESOURCE, None, &base()).planned;
                p.create(RESOURCE, &planned, &ctx_of(&format!("r{i}"), 1)).await.unwrap()
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        ids.insert(id_of(&t.await.unwrap()).unwrap());
    }
    assert_eq!(ids.len(), 40, "ids are unique across instances");
    let listed: std::collections::BTreeSet<String> = list_store(&store).unwrap().into_iter().map(|o| o.id).collect();
    assert_eq!(listed, ids);
    assert!(list_store(&dir.path().join("absent.json")).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_after_holds_the_call_after_the_object_exists() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cloud.json");
    let p = std::sync::Arc::new(
        configured(cfg(&[("store", Value::string(store.to_string_lossy())), ("latency_after_ms", Value::int(400))])).await,
    );
    let started = std::time::Instant::now();
    let task = {
        let p = p.clone();
        tokio::spawn(async move { plan_and_create(&p, &base()).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!task.is_finished(), "create still sleeping");
    assert_eq!(list_store(&store).unwrap().len(), 1, "the object exists before create returns");
    task.await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    let bad = FakeProvider::new().configure(cfg(&[("latency_after_ms", Value::int(-1))])).await.unwrap_err();
    assert!(bad.to_string().contains("latency_after_ms must be a non-negative integer"), "{bad}");
}
