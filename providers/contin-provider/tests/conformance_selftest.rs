//! The conformance suite run against a tiny in-memory provider that uses the
//! default schema-driven diff, and against deliberately broken variants.

use async_trait::async_trait;
use contin_provider::conformance::{self, LifecycleCase};
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostics, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Default)]
struct Toy {
    objects: Mutex<BTreeMap<String, Value>>,
    next: AtomicU64,
    /// Breakages the suite must catch.
    drift_on_read: bool,
    delete_twice_fails: bool,
}

fn id_of(v: &Value) -> String {
    match v.get_path(&[contin_types::value::PathStep::Key("id".into())]) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn set(v: &Value, k: &str, x: Value) -> Value {
    let mut v = v.clone();
    if let Value::Map(m) = &mut v {
        m.insert(k.into(), x);
    }
    v
}

#[async_trait]
impl Provider for Toy {
    fn name(&self) -> &str {
        "toy"
    }
    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert(
            "toy_thing".into(),
            BlockSchema::default()
                .attr("name", AttrSchema::required(AttrType::String).force_new())
                .attr("size", AttrSchema::optional(AttrType::Number))
                .attr("zone", AttrSchema::optional_computed(AttrType::String))
                .attr("id", AttrSchema::computed(AttrType::String)),
        );
        s
    }
    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn read(&self, _ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let found = self.objects.lock().map_err(|e| ProviderError::Failed(e.to_string()))?.get(&id_of(state)).cloned();
        Ok(found.map(|v| if self.drift_on_read { set(&v, "size", Value::int(99)) } else { v }))
    }
    async fn create(&self, _ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        let id = format!("toy-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let mut v = set(planned, "id", Value::string(&id));
        if v.get_path(&[contin_types::value::PathStep::Key("zone".into())]) == Some(&Value::Unknown) {
            v = set(&v, "zone", Value::string("z1"));
        }
        self.objects.lock().map_err(|e| ProviderError::Failed(e.to_string()))?.insert(id, v.clone());
        Ok(v)
    }
    async fn update(&self, _ty: &str, prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        let id = id_of(prior);
        let mut objects = self.objects.lock().map_err(|e| ProviderError::Failed(e.to_string()))?;
        if !objects.contains_key(&id) {
            return Err(ProviderError::Api { code: "NotFound".into(), message: id });
        }
        objects.insert(id, planned.clone());
        Ok(planned.clone())
    }
    async fn delete(&self, _ty: &str, prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        let removed = self.objects.lock().map_err(|e| ProviderError::Failed(e.to_string()))?.remove(&id_of(prior));
        if removed.is_none() && self.delete_twice_fails {
            return Err(ProviderError::Api { code: "NotFound".into(), message: "gone".into() });
        }
        Ok(())
    }
}

fn case(update_name: &str) -> LifecycleCase {
    LifecycleCase::new(
        "toy_thing",
        Value::map([("name", Value::string("a")), ("size", Value::int(1))]),
        Value::map([("name", Value::string(update_name)), ("size", Value::string("2"))]),
    )
}

#[tokio::test]
async fn toy_provider_passes_update_and_replace() {
    conformance::run(&Toy::default(), &case("a")).await.unwrap_or_else(|e| panic!("{e}"));
    conformance::run(&Toy::default(), &case("b")).await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn suite_catches_spurious_drift() {
    let p = Toy { drift_on_read: true, ..Toy::default() };
    let err = conformance::run(&p, &case("a")).await.unwrap_err();
    assert_eq!(err.step, "read after create");
}

#[tokio::test]
async fn suite_catches_delete_of_gone_object_failing() {
    let p = Toy { delete_twice_fails: true, ..Toy::default() };
    let err = conformance::run(&p, &case("a")).await.unwrap_err();
    assert_eq!(err.step, "delete twice");
}

#[tokio::test]
async fn suite_catches_bad_config() {
    let bad = LifecycleCase::new("toy_thing", Value::map([("nme", Value::string("a"))]), Value::Null);
    let err = conformance::run(&Toy::default(), &bad).await.unwrap_err();
    assert_eq!(err.step, "plan create");
    assert!(err.message.contains("Did you mean \"name\""), "{}", err.message);
}

#[test]
fn schema_check_rejects_bad_shapes() {
    struct Bad;
    #[async_trait]
    impl Provider for Bad {
        fn name(&self) -> &str {
            "bad"
        }
        fn schema(&self) -> ProviderSchema {
            let mut s = ProviderSchema::default();
            s.resources.insert(
                "bad_thing".into(),
                BlockSchema::default().attr("id", AttrSchema::computed(AttrType::String).force_new()),
            );
            s
        }
        async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
            Ok(())
        }
        async fn read(&self, _: &str, _: &Value) -> Result<Option<Value>, ProviderError> {
            Ok(None)
        }
        async fn create(&self, _: &str, p: &Value, _: &OpContext) -> Result<Value, ProviderError> {
            Ok(p.clone())
        }
        async fn update(&self, _: &str, _: &Value, p: &Value, _: &OpContext) -> Result<Value, ProviderError> {
            Ok(p.clone())
        }
        async fn delete(&self, _: &str, _: &Value, _: &OpContext) -> Result<(), ProviderError> {
            Ok(())
        }
    }
    let err = conformance::check_schema(&Bad).unwrap_err();
    assert!(err.message.contains("computed-only attribute cannot be force_new"), "{}", err.message);
}
