//! Golden tests of planning through its no-IO seam: a configuration, a
//! state and refreshed values in (`PlanningInput`), the `Plan` or the
//! diagnostics out, summarized as text and compared with insta snapshots.
//! Covers the features the end-to-end tests do not: `-target`,
//! `prevent_destroy`, `ignore_changes`, `plan -destroy`, `-refresh=false`,
//! and per-block dependency recording.

use crate::io::NoIo;
use crate::plan::{Plan, PlanMode};
use crate::walk::{plan, PlanningInput};
use contin_provider::{Provider, ProviderSchema};
use contin_state::State;
use contin_types::{Diagnostics, ResourceAddr, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

#[path = "deposed_tests.rs"]
mod deposed;
#[path = "language_tests.rs"]
mod language;

/// One planning run: configuration text, prior state (JSON, the stored form),
/// refreshed values (absent = not refreshed), mode and targets.
struct Case {
    hcl: &'static str,
    state: Option<serde_json::Value>,
    refreshed: BTreeMap<ResourceAddr, Option<Value>>,
    mode: PlanMode,
    targets: Vec<&'static str>,
    /// Planning threads (`None`: one per core, as `plan`).
    threads: Option<usize>,
    /// The user interrupts after this many cancellation checks.
    stop_after: Option<usize>,
}

/// No IO; reports "cancelled" from the `n`-th check on (Ctrl-C mid-walk).
struct StopAfter(std::sync::atomic::AtomicUsize);

impl crate::io::PlanIo for StopAfter {
    fn read_file(&self, path: &str) -> Result<String, String> {
        NoIo.read_file(path)
    }
    fn read_data(&self, provider: &str, ty: &str, cfg: &Value) -> Result<Value, String> {
        NoIo.read_data(provider, ty, cfg)
    }
    fn cancelled(&self) -> bool {
        self.0.fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |n| n.checked_sub(1)).is_err()
    }
}

impl Case {
    fn new(hcl: &'static str) -> Self {
        Case { hcl, state: None, refreshed: BTreeMap::new(), mode: PlanMode::Normal, targets: Vec::new(), threads: None, stop_after: None }
    }
    fn state(mut self, resources: serde_json::Value) -> Self {
        self.state = Some(serde_json::json!({
            "version": 1, "lineage": "l-1", "serial": 3, "resources": resources,
            "outputs": {"a_ids": {"value": ["ia0", "ia1"], "sensitive": false}},
        }));
        self
    }
    /// Refreshes every state resource to its recorded value (what `plan`
    /// does by default when nothing drifted).
    fn refreshed_as_recorded(mut self) -> Self {
        let st = self.prior().unwrap_or_else(|| panic!("refreshed_as_recorded needs a state"));
        for (a, rs) in &st.resources {
            self.refreshed.insert(a.clone(), Some(Value::from_json(&rs.attributes)));
        }
        self
    }
    fn refreshed(mut self, addr: &str, value: Option<serde_json::Value>) -> Self {
        self.refreshed.insert(parse_addr(addr), value.as_ref().map(Value::from_json));
        self
    }
    fn destroy(mut self) -> Self {
        self.mode = PlanMode::Destroy;
        self
    }
    fn target(mut self, t: &'static str) -> Self {
        self.targets.push(t);
        self
    }
    fn prior(&self) -> Option<State> {
        self.state.as_ref().map(|s| serde_json::from_value(s.clone()).unwrap_or_else(|e| panic!("test state: {e}")))
    }

    fn run(&self) -> Result<Plan, Diagnostics> {
        let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), self.hcl.to_string())]);
        assert!(!diags.has_errors(), "test config: {diags}");
        let fake: Arc<dyn Provider> = Arc::new(contin_provider_fake::FakeProvider::new());
        let schemas: BTreeMap<String, ProviderSchema> = BTreeMap::from([("fake".to_string(), fake.schema())]);
        let providers = BTreeMap::from([("fake".to_string(), fake)]);
        let state = self.prior();
        let targets: Vec<ResourceAddr> = self.targets.iter().map(|t| parse_addr(t)).collect();
        let stop = StopAfter(std::sync::atomic::AtomicUsize::new(self.stop_after.unwrap_or(usize::MAX)));
        let input = PlanningInput {
            config: &config,
            variables: &BTreeMap::new(),
            state: state.as_ref(),
            refreshed: &self.refreshed,
            providers: &providers,
            schemas: &schemas,
            io: &stop,
            mode: self.mode,
            targets: &targets,
        };
        match self.threads {
            Some(t) => crate::walk::plan_on(&input, t),
            None => plan(&input),
        }
    }

    /// The plan (or the errors) as text for a snapshot.
    fn summary(&self) -> String {
        match self.run() {
            Ok(p) => summarize(&p),
            Err(d) => errors(self.hcl, &d),
        }
    }
}

fn parse_addr(s: &str) -> ResourceAddr {
    s.parse().unwrap_or_else(|e| panic!("test address {s}: {e}"))
}

/// A value on one line: unknowns and sensitive values spelled out.
fn show(v: &Value) -> String {
    match v {
        Value::Unknown => "(known after apply)".into(),
        Value::Sensitive(_) => "(sensitive)".into(),
        Value::Null => "null".into(),
        Value::List(items) | Value::Set(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => {
            // Unset optional attributes are left out to keep snapshots short.
            let parts: Vec<String> =
                m.iter().filter(|(_, v)| !matches!(v, Value::Null)).map(|(k, v)| format!("{k} = {}", show(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
        other => other.to_json_lossy().to_string(),
    }
}

fn summarize(p: &Plan) -> String {
    let mut out = format!("mode: {:?}\n", p.mode);
    if !p.targets.is_empty() {
        let _ = writeln!(out, "targets: {}", p.targets.join(", "));
    }
    for c in &p.changes {
        let _ = write!(out, "{}: {:?}", c.addr, c.action);
        if let Some(r) = &c.reason {
            let _ = write!(out, " ({r:?})");
        }
        if !c.depends_on.is_empty() {
            let deps: Vec<String> = c.depends_on.iter().map(ToString::to_string).collect();
            let _ = write!(out, " depends_on [{}]", deps.join(", "));
        }
        out.push('\n');
        if let Some(b) = &c.before {
            let _ = writeln!(out, "  before: {}", show(b));
        }
        if let Some(a) = &c.after {
            let _ = writeln!(out, "  after:  {}", show(a));
        }
    }
    for d in &p.deposed {
        let c = &d.change;
        let _ = write!(out, "{}: {:?}", d.display_addr(), c.action);
        if !c.depends_on.is_empty() {
            let deps: Vec<String> = c.depends_on.iter().map(ToString::to_string).collect();
            let _ = write!(out, " depends_on [{}]", deps.join(", "));
        }
        out.push('\n');
        if let Some(b) = &c.before {
            let _ = writeln!(out, "  before: {}", show(b));
        }
    }
    for d in &p.drift {
        let _ = writeln!(out, "drift {}: {} -> {}", d.addr, show(&d.recorded), d.current.as_ref().map_or("(deleted)".into(), show));
    }
    for (name, o) in &p.outputs {
        let _ = writeln!(out, "output.{name}: {:?}", o.action);
    }
    out
}

/// Diagnostics with their address and `line:column` in main.hcl.
fn errors(src: &str, d: &Diagnostics) -> String {
    let mut out = String::from("errors:\n");
    for x in &d.0 {
        let at = x.loc.as_ref().map_or("-".to_string(), |l| {
            let before = &src[..l.span.start.min(src.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            let text = src[l.span.clone()].lines().next().unwrap_or("");
            format!("{}:{line}:{col} `{text}`", l.file)
        });
        let _ = writeln!(out, "{}: {} [{}]\n  {}\n  at {at}", x.address.as_deref().unwrap_or("-"), x.summary, x.severity_name(), x.detail);
    }
    out
}

trait SeverityName {
    fn severity_name(&self) -> &'static str;
}

impl SeverityName for contin_types::Diagnostic {
    fn severity_name(&self) -> &'static str {
        if self.is_error() { "error" } else { "warning" }
    }
}

/// A stored fake_resource: the given attributes, `result` derived from the
/// id, every other schema attribute null (as the provider records them).
fn rs(addr: &str, attrs: serde_json::Value, deps: &[&str]) -> serde_json::Value {
    let mut full = serde_json::Map::new();
    for k in ["name", "value", "tags", "immutable", "triggers", "latency_ms", "fail_on", "sensitive_value", "id", "result"] {
        full.insert(k.to_string(), serde_json::Value::Null);
    }
    if let serde_json::Value::Object(m) = attrs {
        if let Some(id) = m.get("id").and_then(|v| v.as_str()) {
            full.insert("result".into(), format!("r-{id}").into());
        }
        full.extend(m);
    }
    serde_json::json!({"addr": addr, "provider": "fake", "attributes": full, "dependencies": deps})
}

/// `a` (2 instances) ← `b` (2, each using its own `a`), and `c` on its own.
const CHAIN: &str = r#"
resource "fake_resource" "a" {
  count = 2
  name  = "a${count.index}"
}

resource "fake_resource" "b" {
  count = 2
  name  = "b${count.index}"
  value = fake_resource.a[count.index].id
}

resource "fake_resource" "c" {
  name = "c"
}

output "a_ids" {
  value = fake_resource.a[*].id
}
"#;

/// The three blocks of `CHAIN`, applied; `b` recorded in the old
/// instance-by-instance dependency form.
fn chain_state() -> serde_json::Value {
    serde_json::json!([
        rs("fake_resource.a[0]", serde_json::json!({"id": "ia0", "name": "a0"}), &[]),
        rs("fake_resource.a[1]", serde_json::json!({"id": "ia1", "name": "a1"}), &[]),
        rs("fake_resource.b[0]", serde_json::json!({"id": "ib0", "name": "b0", "value": "ia0"}), &["fake_resource.a[0]", "fake_resource.a[1]"]),
        rs("fake_resource.b[1]", serde_json::json!({"id": "ib1", "name": "b1", "value": "ia1"}), &["fake_resource.a[0]", "fake_resource.a[1]"]),
        rs("fake_resource.c", serde_json::json!({"id": "ic", "name": "c"}), &[]),
    ])
}

#[test]
fn dependencies_are_recorded_per_block() {
    let p = Case::new(CHAIN).run().unwrap_or_else(|d| panic!("{d}"));
    let b1 = p.change(&parse_addr("fake_resource.b[1]")).unwrap_or_else(|| panic!("no b[1]"));
    assert_eq!(b1.depends_on, vec![parse_addr("fake_resource.a")]);
    insta::assert_snapshot!(summarize(&p));
}

#[test]
fn target_resource_pulls_in_its_dependencies() {
    // b needs a (all of it: dependencies are per block); c is left out.
    insta::assert_snapshot!(Case::new(CHAIN).target("fake_resource.b").summary());
}

#[test]
fn target_instance_keeps_other_instances_out() {
    // b[1] and the whole of a; not b[0], not c.
    insta::assert_snapshot!(Case::new(CHAIN).target("fake_resource.b[1]").summary());
}

#[test]
fn target_with_changes_outside_leaves_them_unchanged() {
    // Everything would be replaced/updated; only c is targeted: the rest
    // becomes a no-op showing the prior value.
    let hcl = r#"
resource "fake_resource" "a" {
  count = 2
  name  = "a${count.index}-v2"
}
resource "fake_resource" "b" {
  count = 2
  name  = "b${count.index}"
  value = fake_resource.a[count.index].id
}
resource "fake_resource" "c" {
  name = "c-v2"
}
"#;
    insta::assert_snapshot!(Case::new(hcl).state(chain_state()).refreshed_as_recorded().target("fake_resource.c").summary());
}

#[test]
fn target_in_destroy_mode_takes_the_dependants_along() {
    // Destroying a[0] destroys b (its dependants; the state's
    // instance-level dependencies are read as blocks), not a[1] or c.
    insta::assert_snapshot!(Case::new(CHAIN).state(chain_state()).destroy().target("fake_resource.a[0]").summary());
}

#[test]
fn plan_destroy_deletes_everything_in_state() {
    insta::assert_snapshot!(Case::new(CHAIN).state(chain_state()).refreshed_as_recorded().destroy().summary());
}

const GUARDED: &str = r#"
resource "fake_resource" "db" {
  count     = 1
  name      = "db"
  immutable = "v2"

  lifecycle {
    prevent_destroy = true
  }
}
"#;

fn guarded_state() -> serde_json::Value {
    serde_json::json!([
        rs("fake_resource.db[0]", serde_json::json!({"id": "i0", "name": "db", "immutable": "v1"}), &[]),
        rs("fake_resource.db[1]", serde_json::json!({"id": "i1", "name": "db", "immutable": "v2"}), &[]),
    ])
}

#[test]
fn prevent_destroy_stops_a_replace_and_an_orphan_delete() {
    // db[0] would be replaced (immutable changed), db[1] deleted (count
    // shrank): both are errors located at the lifecycle block.
    let out = Case::new(GUARDED).state(guarded_state()).refreshed_as_recorded().summary();
    insta::assert_snapshot!(out);
}

#[test]
fn prevent_destroy_stops_plan_destroy() {
    insta::assert_snapshot!(Case::new(GUARDED).state(guarded_state()).destroy().summary());
}

#[test]
fn prevent_destroy_can_be_targeted_around() {
    // The guarded instances would be destroyed, but only `other` is targeted.
    let hcl = r#"
resource "fake_resource" "db" {
  count     = 1
  name      = "db"
  immutable = "v2"
  lifecycle {
    prevent_destroy = true
  }
}
resource "fake_resource" "other" {
  name = "other"
}
"#;
    insta::assert_snapshot!(Case::new(hcl).state(guarded_state()).refreshed_as_recorded().target("fake_resource.other").summary());
}

#[test]
fn prevent_destroy_allows_in_place_updates() {
    let hcl = r#"
resource "fake_resource" "db" {
  name      = "db-renamed"
  immutable = "v1"
  lifecycle {
    prevent_destroy = true
  }
}
"#;
    let st = serde_json::json!([rs("fake_resource.db", serde_json::json!({"id": "i0", "name": "db", "immutable": "v1"}), &[])]);
    insta::assert_snapshot!(Case::new(hcl).state(st).refreshed_as_recorded().summary());
}

const IGNORED_STATE: fn() -> serde_json::Value = || {
    serde_json::json!([rs(
        "fake_resource.x",
        serde_json::json!({"id": "ix", "name": "x", "tags": {"env": "dev"}, "immutable": "v1"}),
        &[]
    )])
};

#[test]
fn ignore_changes_list_keeps_the_listed_attributes() {
    // tags and immutable differ but are ignored; the name change remains.
    let hcl = r#"
resource "fake_resource" "x" {
  name      = "x-renamed"
  tags      = { env = "prod" }
  immutable = "v2"
  lifecycle {
    ignore_changes = [tags, immutable]
  }
}
"#;
    insta::assert_snapshot!(Case::new(hcl).state(IGNORED_STATE()).refreshed_as_recorded().summary());
}

#[test]
fn ignore_changes_all_ignores_every_attribute() {
    let hcl = r#"
resource "fake_resource" "x" {
  name      = "x-renamed"
  tags      = { env = "prod" }
  immutable = "v2"
  lifecycle {
    ignore_changes = all
  }
}
"#;
    insta::assert_snapshot!(Case::new(hcl).state(IGNORED_STATE()).refreshed_as_recorded().summary());
}

#[test]
fn ignore_changes_does_not_apply_to_creates() {
    let hcl = r#"
resource "fake_resource" "x" {
  name = "x"
  tags = { env = "prod" }
  lifecycle {
    ignore_changes = all
  }
}
"#;
    insta::assert_snapshot!(Case::new(hcl).summary());
}

const REFRESH: &str = r#"
resource "fake_resource" "x" {
  name = "x"
  tags = { env = "prod" }
}
resource "fake_resource" "y" {
  name = "y"
}
"#;

fn refresh_state() -> serde_json::Value {
    serde_json::json!([
        rs("fake_resource.x", serde_json::json!({"id": "ix", "name": "x", "tags": {"env": "prod"}}), &[]),
        rs("fake_resource.y", serde_json::json!({"id": "iy", "name": "y"}), &[]),
    ])
}

#[test]
fn refresh_false_plans_against_the_recorded_values() {
    // `-refresh=false`: nothing refreshed; recorded values are the prior
    // values, nothing drifts, nothing changes.
    insta::assert_snapshot!(Case::new(REFRESH).state(refresh_state()).summary());
}

#[test]
fn refreshed_values_win_over_recorded_ones() {
    // The same state refreshed: x drifted (tags changed outside), y was
    // deleted outside. Contrast with the test above.
    let out = Case::new(REFRESH)
        .state(refresh_state())
        .refreshed("fake_resource.x", Some(serde_json::json!({"id": "ix", "name": "x", "result": "r-ix", "tags": {"env": "hacked"}})))
        .refreshed("fake_resource.y", None)
        .summary();
    insta::assert_snapshot!(out);
}

#[test]
fn refresh_of_some_resources_only_uses_recorded_values_for_the_rest() {
    // Only y refreshed (gone): x keeps its recorded value (a `-target`ed
    // refresh, or one the engine skipped).
    let out = Case::new(REFRESH).state(refresh_state()).refreshed("fake_resource.y", None).summary();
    insta::assert_snapshot!(out);
}

// ------------------------------------------------- apply-time evaluation

/// Applied values, counting how often a whole resource is listed.
struct Applied {
    values: BTreeMap<ResourceAddr, Value>,
    listed: std::sync::atomic::AtomicUsize,
}

impl crate::InstanceValues for Applied {
    fn instances(&self, resource: &ResourceAddr) -> Vec<(contin_types::InstanceKey, Value)> {
        self.listed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.values.iter().filter(|(a, _)| a.resource() == *resource).map(|(a, v)| (a.key.clone(), v.clone())).collect()
    }
    fn instance(&self, addr: &ResourceAddr) -> Option<Value> {
        self.values.get(addr).cloned()
    }
}

fn evaluator(hcl: &str) -> crate::ConfigEvaluator {
    let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), hcl.to_string())]);
    assert!(!diags.has_errors(), "test config: {diags}");
    let fake = contin_provider_fake::FakeProvider::new();
    let schemas = BTreeMap::from([("fake".to_string(), fake.schema())]);
    crate::ConfigEvaluator::new(Arc::new(config), BTreeMap::new(), schemas, Arc::new(NoIo)).unwrap_or_else(|d| panic!("{d}"))
}

fn applied_a(k: i64) -> Applied {
    let values = (0..k)
        .map(|i| {
            let a = parse_addr(&format!("fake_resource.a[{i}]"));
            (a, Value::map([("id", Value::string(format!("ia{i}"))), ("name", Value::string(format!("a{i}")))]))
        })
        .collect();
    Applied { values, listed: Default::default() }
}

#[test]
fn final_config_reads_one_instance_without_listing_the_block() {
    use crate::ApplyEvaluator;
    let ev = evaluator(CHAIN);
    let applied = applied_a(2);
    for i in 0..2 {
        let cfg = ev.final_config(&parse_addr(&format!("fake_resource.b[{i}]")), &applied).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(cfg.get_path(&[contin_types::value::PathStep::Key("value".into())]), Some(&Value::string(format!("ia{i}"))));
    }
    // `a[count.index].id` went to `instance`, never to the O(K) `instances`.
    assert_eq!(applied.listed.load(std::sync::atomic::Ordering::Relaxed), 0);
    // The output uses `a[*].id`: that one lists the block.
    let outs = ev.outputs(&applied).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(outs["a_ids"].0, Value::List(vec![Value::string("ia0"), Value::string("ia1")]));
}

#[test]
fn index_past_the_instances_still_reports_the_collection_size() {
    use crate::ApplyEvaluator;
    let hcl = r#"
resource "fake_resource" "a" {
  count = 2
  name  = "a${count.index}"
}
resource "fake_resource" "b" {
  name  = "b"
  value = fake_resource.a[5].id
}
"#;
    let err = evaluator(hcl).final_config(&parse_addr("fake_resource.b"), &applied_a(2)).err().map(|d| d.0.iter().map(|x| format!("{}: {}", x.summary, x.detail)).collect::<String>());
    let err = err.unwrap_or_else(|| panic!("a[5] of 2 instances must fail"));
    assert!(err.contains("the collection has 2 element(s)"), "{err}");
}

#[test]
fn same_json_agrees_with_comparing_json() {
    use crate::walk::same_json;
    let n = |s: &str| Value::Number(s.parse().unwrap_or_else(|e| panic!("{e:?}")));
    let cases = [
        (Value::Null, Value::Unknown),
        (n("1"), n("1.0")),
        (n("0.1"), n("0.2")),
        (n("0.12345678901234567891"), n("0.1234567890123456789")),
        (Value::set(vec![Value::string("a")]), Value::List(vec![Value::string("a")])),
        (Value::map([("a", Value::int(1))]), Value::map([("a", Value::int(1).mark_sensitive())])),
        (Value::map([("a", Value::int(1))]), Value::map([("b", Value::int(1))])),
        (Value::List(vec![Value::Null]), Value::List(vec![])),
        (Value::string("1"), Value::int(1)),
    ];
    for (a, b) in cases {
        assert_eq!(same_json(&a, &b), a.to_json_lossy() == b.to_json_lossy(), "{a:?} vs {b:?}");
    }
}

#[test]
fn a_tainted_object_is_replaced_by_a_planned_create() {
    // A create that failed part-way left `x` tainted with its id: the
    // replacement's computed attributes are unknown, not the tainted ones.
    let mut x = rs("fake_resource.x", serde_json::json!({"id": "ix", "name": "x"}), &[]);
    x["status"] = "tainted".into();
    let p = Case::new(REFRESH).state(serde_json::json!([x, rs("fake_resource.y", serde_json::json!({"id": "iy", "name": "y"}), &[])])).run();
    let p = p.unwrap_or_else(|d| panic!("{d}"));
    let c = p.change(&parse_addr("fake_resource.x")).unwrap_or_else(|| panic!("no x"));
    assert_eq!(c.action, crate::plan::Action::Replace);
    assert_eq!(c.reason, Some(crate::plan::ChangeReason::Tainted));
    let after = c.after.as_ref().map(show).unwrap_or_default();
    assert!(after.contains("id = (known after apply)") && after.contains("result = (known after apply)"), "{after}");
}

/// Values are dropped during the walk once their last dependant is planned
/// (peak memory); a value used by a resource, a local and an output, each
/// planned at another point of the walk, must reach all of them.
#[test]
fn a_value_reaches_every_dependant_planned_after_it() {
    let p = Case::new(
        r#"
resource "fake_resource" "a" {
  name = "a"
}
resource "fake_resource" "b" {
  name  = "b"
  value = fake_resource.a.name
}
locals {
  from_a = "${fake_resource.a.name}-local"
}
resource "fake_resource" "c" {
  name  = "c"
  value = "${local.from_a}/${fake_resource.b.value}"
}
resource "fake_resource" "d" {
  name  = "d"
  value = fake_resource.a.name
}
output "o" {
  value = [fake_resource.a.name, fake_resource.c.value, fake_resource.d.value]
}
"#,
    )
    .run()
    .unwrap_or_else(|d| panic!("{d}"));
    let value = |addr: &str| match p.change(&parse_addr(addr)).and_then(|c| c.after.as_ref()) {
        Some(Value::Map(m)) => m.get("value").map(show).unwrap_or_default(),
        other => panic!("{addr}: {other:?}"),
    };
    assert_eq!(value("fake_resource.b"), "\"a\"");
    assert_eq!(value("fake_resource.c"), "\"a-local/a\"");
    assert_eq!(value("fake_resource.d"), "\"a\"");
    let o = p.outputs.get("o").and_then(|o| o.after.as_ref()).map(show);
    assert_eq!(o.as_deref(), Some("[\"a\", \"a-local/a\", \"a\"]"));
}

/// Wide levels are planned on several threads; the plan and the order of
/// its diagnostics must be a serial walk's, whatever the thread count.
#[test]
fn a_wide_level_plans_the_same_on_any_number_of_threads() {
    let mut hcl = String::new();
    for i in 0..150 {
        // Every 37th block of each level fails to evaluate.
        let a = if i % 37 == 5 { format!("tonumber(\"a{i}\")") } else { format!("\"a{i}\"") };
        let b = if i % 37 == 9 { format!("tonumber(fake_resource.a{i}.value)") } else { format!("\"b-${{fake_resource.a{i}.value}}\"") };
        hcl.push_str(&format!("resource \"fake_resource\" \"a{i}\" {{\n  name = \"a{i}\"\n  value = {a}\n}}\n"));
        hcl.push_str(&format!("resource \"fake_resource\" \"b{i}\" {{\n  name = \"b{i}\"\n  value = {b}\n}}\n"));
    }
    hcl.push_str("locals {\n  first = fake_resource.b0.value\n}\noutput \"first\" {\n  value = local.first\n}\n");
    let hcl: &'static str = Box::leak(hcl.into_boxed_str());
    let recorded = serde_json::json!([
        rs("fake_resource.a0", serde_json::json!({"id": "i0", "name": "a0", "value": "old"}), &[]),
        rs("fake_resource.a1", serde_json::json!({"id": "i1", "name": "a1", "value": "a1"}), &[]),
        rs("fake_resource.gone", serde_json::json!({"id": "ig", "name": "gone", "value": "x"}), &[]),
    ]);
    let failing = |threads| Case { threads: Some(threads), ..Case::new(hcl).state(recorded.clone()) }.summary();
    let serial = failing(1);
    assert!(serial.starts_with("errors:") && serial.matches("Invalid function argument").count() == 8, "{serial}");
    for threads in [2, 3, 8] {
        assert_eq!(failing(threads), serial, "{threads} threads");
    }
    // Without the failing blocks: the same plan on every thread count.
    let clean: String = hcl.replace("tonumber(", "tostring(");
    let clean: &'static str = Box::leak(clean.into_boxed_str());
    let planned = |threads| Case { threads: Some(threads), ..Case::new(clean).state(recorded.clone()) }.summary();
    let serial = planned(1);
    assert!(serial.contains("fake_resource.gone") && serial.contains("fake_resource.b149"), "{serial}");
    for threads in [2, 3, 8] {
        assert_eq!(planned(threads), serial, "{threads} threads");
    }
}

/// A block with no instances is still checked like `validate` checks it
/// (Terraform too): an unknown argument under `count = 0` is an error.
#[test]
fn a_block_without_instances_is_still_validated() {
    let bad = Case::new("resource \"fake_resource\" \"z\" {\n  count = 0\n  nmae  = \"x\"\n}\n").summary();
    assert!(bad.starts_with("errors:") && bad.contains("Unsupported argument") && bad.contains("Did you mean \"name\"?"), "{bad}");
    let fine = Case::new("resource \"fake_resource\" \"z\" {\n  count = 0\n  name  = \"x\"\n}\n").summary();
    assert!(!fine.starts_with("errors:"), "{fine}");
}

/// Ctrl-C in the middle of a long walk stops it between blocks (serial and
/// parallel levels alike) instead of after the whole plan.
#[test]
fn an_interrupt_stops_the_walk_between_blocks() {
    let mut hcl = String::new();
    for i in 0..200 {
        hcl.push_str(&format!("resource \"fake_resource\" \"a{i}\" {{\n  name = \"a{i}\"\n}}\n"));
        hcl.push_str(&format!("resource \"fake_resource\" \"b{i}\" {{\n  name = fake_resource.a{i}.name\n}}\n"));
    }
    let hcl: &'static str = Box::leak(hcl.into_boxed_str());
    for threads in [1, 2] {
        let stopped = Case { threads: Some(threads), stop_after: Some(30), ..Case::new(hcl) }.summary();
        assert!(stopped.starts_with("errors:") && stopped.contains("Planning interrupted"), "{threads} threads: {stopped}");
        let finished = Case { threads: Some(threads), ..Case::new(hcl) }.summary();
        assert!(finished.contains("fake_resource.b199") && !finished.contains("interrupted"), "{threads} threads: {finished}");
    }
}

/// A local holding a list is never equal to the empty tuple `[]`, one
/// holding `[]` is (terraform 1.11: `local.l == []` is false, `local.t == []`
/// true): the walk's scope tells the evaluator what each reference is.
#[test]
fn a_list_local_is_not_the_empty_tuple() {
    let p = Case::new(
        "locals {\n  t = []\n  l = tolist([])\n}\n\
         resource \"fake_resource\" \"a\" {\n  name = tostring(local.l == [])\n  value = tostring(local.t == [])\n}\n",
    )
    .summary();
    assert!(p.contains("\"false\"") && p.contains("\"true\""), "{p}");
}
