//! Sensitive marks around provider calls during planning: a provider that
//! `receives_sensitive_marks` sees the configuration's marks in `validate`
//! and in data-source reads (others see plain values), and a value recorded
//! as sensitive stays marked in an update's `after` while the plan keeps it.

use crate::io::PlanIo;
use crate::walk::{plan, PlanningInput};
use crate::Action;
use async_trait::async_trait;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, Provider, ProviderError, ProviderSchema};
use contin_state::State;
use contin_types::value::PathStep;
use contin_types::{Diagnostics, ResourceAddr, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const MARKER: &str = "MARKER-S3CR3T";

/// Records the values `validate` receives.
struct Marky {
    marks: bool,
    validated: Mutex<Vec<Value>>,
}

fn block() -> BlockSchema {
    BlockSchema::default()
        .attr("name", AttrSchema::required(AttrType::String))
        .attr("out", AttrSchema::computed(AttrType::String))
}

#[async_trait]
impl Provider for Marky {
    fn name(&self) -> &str {
        "m"
    }
    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert("m_res".into(), block());
        s.data_sources.insert("m_data".into(), block());
        s
    }
    fn receives_sensitive_marks(&self) -> bool {
        self.marks
    }
    async fn configure(&self, _: Value) -> Result<(), Diagnostics> {
        Ok(())
    }
    fn validate(&self, _ty: &str, cfg: &Value) -> Diagnostics {
        self.validated.lock().unwrap_or_else(|e| e.into_inner()).push(cfg.clone());
        Diagnostics::new()
    }
    async fn read(&self, _: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(state.clone()))
    }
    async fn create(&self, _: &str, planned: &Value, _: &OpContext) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }
    async fn update(&self, _: &str, _: &Value, planned: &Value, _: &OpContext) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }
    async fn delete(&self, _: &str, _: &Value, _: &OpContext) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// Records the configurations data sources are read with.
#[derive(Default)]
struct Io(Mutex<Vec<Value>>);

impl PlanIo for Io {
    fn read_file(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
    fn read_data(&self, _provider: &str, _ty: &str, cfg: &Value) -> Result<Value, String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(cfg.clone());
        Ok(cfg.clone())
    }
}

const HCL: &str = r#"
variable "secret" {
  type      = string
  sensitive = true
}
resource "m_res" "a" {
  name = var.secret
}
data "m_data" "d" {
  name = var.secret
}
"#;

fn run(marks: bool, hcl: &str, state: Option<State>) -> (crate::Plan, Arc<Marky>, Io) {
    let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), hcl.to_string())]);
    assert!(!diags.has_errors(), "test config: {diags}");
    let p = Arc::new(Marky { marks, validated: Mutex::new(Vec::new()) });
    let dynp: Arc<dyn Provider> = p.clone();
    let schemas = BTreeMap::from([("m".to_string(), dynp.schema())]);
    let providers = BTreeMap::from([("m".to_string(), dynp)]);
    let variables = BTreeMap::from([("secret".to_string(), Value::string(MARKER).mark_sensitive())]);
    let io = Io::default();
    let input = PlanningInput {
        config: &config,
        variables: &variables,
        state: state.as_ref(),
        refreshed: &BTreeMap::new(),
        providers: &providers,
        schemas: &schemas,
        io: &io,
        mode: crate::PlanMode::Normal,
        targets: &[],
    };
    let plan = plan(&input).unwrap_or_else(|d| panic!("{d}"));
    (plan, p, io)
}

fn name_marked(v: &Value) -> bool {
    v.get_path(&[PathStep::Key("name".into())]).is_some_and(Value::is_sensitive)
}

#[test]
fn providers_asking_for_marks_validate_and_read_marked_values() {
    let (_, p, io) = run(true, HCL, None);
    let validated = p.validated.lock().unwrap().clone();
    assert_eq!(validated.len(), 1, "validate checks the resource only, not the data source: {validated:?}");
    assert!(name_marked(&validated[0]), "{validated:?}");
    let read = io.0.lock().unwrap().clone();
    assert_eq!(read.len(), 1);
    assert!(name_marked(&read[0]), "{read:?}");
}

#[test]
fn other_providers_validate_and_read_plain_values() {
    let (plan, p, io) = run(false, HCL, None);
    let seen: Vec<Value> = p.validated.lock().unwrap().iter().chain(io.0.lock().unwrap().iter()).cloned().collect();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|v| !v.contains_sensitive()), "{seen:?}");
    // The plan itself still marks what the configuration marked.
    let d = plan.changes.iter().find(|c| c.addr == ResourceAddr::data("m_data", "d")).and_then(|c| c.after.as_ref());
    assert!(d.is_some_and(name_marked), "{d:?}");
}

#[test]
fn a_recorded_sensitive_attribute_the_plan_keeps_stays_marked() {
    let hcl = "resource \"m_res\" \"a\" {\n  name = \"new\"\n}\n";
    let state: State = serde_json::from_value(serde_json::json!({
        "version": 1, "lineage": "l-1", "serial": 3, "outputs": {},
        "resources": [{
            "addr": "m_res.a", "provider": "m",
            "attributes": {"name": "old", "out": MARKER},
            "sensitive_paths": [[{"Key": "out"}]],
        }],
    }))
    .unwrap_or_else(|e| panic!("test state: {e}"));
    let (plan, _, _) = run(false, hcl, Some(state));
    let c = &plan.changes[0];
    assert_eq!(c.action, Action::Update);
    let out = |v: Option<&Value>| v.and_then(|v| v.get_path(&[PathStep::Key("out".into())])).cloned();
    let after_out = out(c.after.as_ref()).unwrap_or(Value::Null);
    assert!(after_out.is_sensitive(), "the kept output stays sensitive: {after_out:?}");
    assert_eq!(after_out.unmarked(), &Value::string(MARKER));
    assert!(out(c.before.as_ref()).is_some_and(|v| v.is_sensitive()));
    assert!(!c.after.as_ref().is_some_and(name_marked), "a changed, non-sensitive attribute is not marked");
}

/// Applied values for the apply-time evaluator.
struct Applied(BTreeMap<ResourceAddr, Value>);

impl crate::InstanceValues for Applied {
    fn instances(&self, resource: &ResourceAddr) -> Vec<(contin_types::InstanceKey, Value)> {
        self.0.iter().filter(|(a, _)| a.resource() == *resource).map(|(a, v)| (a.key.clone(), v.clone())).collect()
    }
    fn instance(&self, addr: &ResourceAddr) -> Option<Value> {
        self.0.get(addr).cloned()
    }
}

#[test]
fn an_output_sensitive_only_after_apply_is_refused_without_its_value() {
    use crate::ApplyEvaluator;
    let hcl = r#"
resource "m_res" "a" {
  name = "n"
}
output "shown" {
  value = m_res.a.out
}
output "hidden" {
  value     = m_res.a.out
  sensitive = true
}
"#;
    let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), hcl.to_string())]);
    assert!(!diags.has_errors(), "test config: {diags}");
    let p: Arc<dyn Provider> = Arc::new(Marky { marks: true, validated: Mutex::new(Vec::new()) });
    let schemas = BTreeMap::from([("m".to_string(), p.schema())]);
    let ev = crate::ConfigEvaluator::new(Arc::new(config.clone()), BTreeMap::new(), schemas.clone(), Arc::new(Io::default()))
        .unwrap_or_else(|d| panic!("{d}"));
    // The provider marked the output of the applied object sensitive.
    let applied = Applied(BTreeMap::from([(
        ResourceAddr::managed("m_res", "a"),
        Value::map([("name", Value::string("n")), ("out", Value::string(MARKER).mark_sensitive())]),
    )]));
    let d = ev.outputs(&applied).expect_err("an unmarked output of a sensitive value is refused");
    let shown = format!("{d} {d:?}");
    assert!(d.0.len() == 1 && d.0[0].detail.starts_with("Output \"shown\" refers to sensitive values"), "{shown}");
    assert!(!shown.contains(MARKER), "{shown}");
    // Declared sensitive, it is accepted.
    let (config, _) = contin_config::parse_files(&[("main.hcl".to_string(), hcl.replace("output \"shown\" {\n  value = m_res.a.out\n}\n", ""))]);
    let ev = crate::ConfigEvaluator::new(Arc::new(config), BTreeMap::new(), schemas, Arc::new(Io::default())).unwrap_or_else(|d| panic!("{d}"));
    let outs = ev.outputs(&applied).unwrap_or_else(|d| panic!("{d}"));
    assert!(outs["hidden"].1 && outs["hidden"].0.contains_sensitive());
}
