//! The `edge` provider: `edge_site` blocks, a tree of regions, sites and
//! sub-sites (ARCHITECTURE §8, seed 003's cascading clusters).
//!
//! ```hcl
//! edge_site "eu"       { kind = "region" }
//! edge_site "factory7" { parent = edge_site.eu  latency_ms = 4  labels = { line = "A" }
//!                        capacity { cpu = 16  memory = "64Gi"  gpu = 1 }
//!                        power { watts_idle = 60  watts_max = 300 }  cost_per_hour = 0.4 }
//! ```
//!
//! A site is a record, not a remote object: create/update return the planned
//! value, read returns the state, delete forgets. Everything computed is
//! known at plan time: `kind` defaults to `region` for a root and `site`
//! below one, `path` lists the names from the root, and `latency_total_ms`
//! is the sum of `latency_ms` along the path (ARCHITECTURE §8). The tree's
//! shape (unknown parents, cycles) is checked by `contin-config::sites`.

use async_trait::async_trait;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, Nesting, NestedBlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::value::{Number, PathStep};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub mod workload;
pub use workload::{spec_from_attributes, workload_schema, WORKLOAD};

pub const EDGE_SITE: &str = "edge_site";
const KINDS: &[&str] = &["region", "site", "subsite"];

#[derive(Default)]
pub struct EdgeProvider;

impl EdgeProvider {
    pub fn new() -> Self {
        EdgeProvider
    }
}

fn single(block: BlockSchema) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::Single, block, min_items: 0, max_items: Some(1), force_new: false }
}

pub fn site_schema() -> BlockSchema {
    let num = || AttrSchema::optional(AttrType::Number);
    BlockSchema::default()
        .attr("name", AttrSchema::required(AttrType::String).describe("the block label"))
        .attr("kind", AttrSchema::optional_computed(AttrType::String).describe("region | site | subsite"))
        .attr("parent", AttrSchema::optional(AttrType::Any).describe("edge_site.NAME (or its name)"))
        .attr("labels", AttrSchema::optional(AttrType::Map(Box::new(AttrType::String))))
        .attr("latency_ms", num().describe("latency to the parent site"))
        .attr("cost_per_hour", num())
        .attr("id", AttrSchema::computed(AttrType::String))
        .attr("parent_name", AttrSchema::computed(AttrType::String))
        .attr("path", AttrSchema::computed(AttrType::List(Box::new(AttrType::String))))
        .attr("latency_total_ms", AttrSchema::computed(AttrType::Number))
        .block(
            "capacity",
            single(
                BlockSchema::default()
                    .attr("cpu", num())
                    .attr("memory", AttrSchema::optional(AttrType::String).describe("e.g. 64Gi"))
                    .attr("gpu", num()),
            ),
        )
        .block("power", single(BlockSchema::default().attr("watts_idle", num()).attr("watts_max", num())))
}

fn as_f64(v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::Number(n)) => Some(n.as_f64()),
        _ => None,
    }
}

/// Fills the computed attributes from the desired value. The parent is the
/// referenced site object (its `path`, `latency_total_ms` are known at plan)
/// or a bare name.
fn derive(desired: &Value, planned: &mut BTreeMap<String, Value>) {
    let name = match desired.attr("name") {
        Some(Value::String(s)) => s.clone(),
        _ => return,
    };
    let parent = desired.attr("parent");
    let (parent_name, parent_path, parent_latency) = match parent {
        None => (None, Some(Vec::new()), Some(0.0)),
        Some(Value::String(p)) => (Some(Value::string(p.clone())), Some(vec![Value::string(p.clone())]), None),
        Some(obj @ Value::Map(_)) => {
            let path = match obj.attr("path") {
                Some(Value::List(items)) => Some(items.clone()),
                _ => None,
            };
            (obj.attr("name").cloned().or(Some(Value::Unknown)), path, as_f64(obj.attr("latency_total_ms")))
        }
        Some(_) => (Some(Value::Unknown), None, None),
    };
    let own = as_f64(desired.attr("latency_ms")).unwrap_or(0.0);
    planned.insert("id".into(), Value::string(name.clone()));
    planned.insert("parent_name".into(), parent_name.clone().unwrap_or(Value::Null));
    planned.insert(
        "path".into(),
        match parent_path {
            Some(mut p) => {
                p.push(Value::string(name));
                Value::List(p)
            }
            None => Value::Unknown,
        },
    );
    planned.insert(
        "latency_total_ms".into(),
        match parent_latency.and_then(|p| Number::from_f64(p + own)) {
            Some(n) => Value::Number(n),
            None if parent.is_some_and(|p| matches!(p, Value::String(_))) => Number::from_f64(own).map_or(Value::Unknown, Value::Number),
            None => Value::Unknown,
        },
    );
    if desired.attr("kind").is_none() {
        let kind = if parent.is_none() { "region" } else { "site" };
        planned.insert("kind".into(), Value::string(kind));
    }
}

#[async_trait]
impl Provider for EdgeProvider {
    fn name(&self) -> &str {
        "edge"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert(EDGE_SITE.into(), site_schema());
        s.resources.insert(WORKLOAD.into(), workload_schema());
        s
    }

    /// Validation messages must name a configured value only when it is not
    /// sensitive, so the planner hands over the configuration's marks;
    /// create/update return the planned value, marks included.
    fn receives_sensitive_marks(&self) -> bool {
        true
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        if ty == WORKLOAD {
            return workload::validate(cfg);
        }
        let mut d = Diagnostics::new();
        if ty != EDGE_SITE {
            return d;
        }
        if let Some(Value::String(k)) = cfg.attr("kind") {
            if !KINDS.contains(&k.as_str()) {
                let shown = shown(cfg.get_path(&[PathStep::Key("kind".into())]), k);
                d.push(Diagnostic::error(format!("kind: {shown} is not a site kind")).with_detail("valid kinds are \"region\", \"site\", \"subsite\"."));
            }
        }
        for key in ["latency_ms", "cost_per_hour"] {
            if as_f64(cfg.attr(key)).is_some_and(|v| v < 0.0) {
                d.push(Diagnostic::error(format!("{key}: must not be negative")));
            }
        }
        if let Some(cap) = cfg.attr("capacity") {
            if let Some(Value::String(m)) = cap.attr("memory") {
                if parse_quantity(m).is_none() {
                    let shown = shown(cap.unmarked().get_path(&[PathStep::Key("memory".into())]), m);
                    d.push(
                        Diagnostic::error(format!("capacity.memory: {shown} is not a quantity"))
                            .with_detail("write a quantity such as \"512Mi\", \"64Gi\" or \"1T\"."),
                    );
                }
            }
            for key in ["cpu", "gpu"] {
                if as_f64(cap.attr(key)).is_some_and(|v| v < 0.0) {
                    d.push(Diagnostic::error(format!("capacity.{key}: must not be negative")));
                }
            }
        }
        if let Some(p) = cfg.attr("power") {
            if let (Some(idle), Some(max)) = (as_f64(p.attr("watts_idle")), as_f64(p.attr("watts_max"))) {
                if idle > max {
                    d.push(Diagnostic::error(format!("power: watts_idle ({idle}) is above watts_max ({max})")));
                }
            }
        }
        d
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        if ty == WORKLOAD {
            let mut pc = plan_change_from_schema(&workload_schema(), prior, desired);
            if let Value::Map(m) = &mut pc.planned {
                workload::derive(desired, m);
            }
            return pc;
        }
        let mut pc = plan_change_from_schema(&site_schema(), prior, desired);
        if ty != EDGE_SITE {
            pc.diagnostics.push(Diagnostic::error(format!("unsupported resource type {ty:?}")));
            return pc;
        }
        if let Value::Map(m) = &mut pc.planned {
            derive(desired, m);
        }
        pc
    }

    async fn read(&self, _ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(state.clone()))
    }
    async fn create(&self, _ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }
    async fn update(&self, _ty: &str, _prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }
    async fn delete(&self, _ty: &str, _prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// Bytes in a Kubernetes-style quantity (`512Mi`, `64Gi`, `1T`, `1000`).
pub fn parse_quantity(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit {
        "" => 1.0,
        "K" | "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        _ => return None,
    };
    (n >= 0.0).then_some((n * mult) as u64)
}

/// A configured string for an error message: quoted, or `(sensitive value)`
/// when the value carries a sensitive mark (the whole value or inside it).
fn shown(raw: Option<&Value>, s: &str) -> String {
    if raw.is_some_and(Value::contains_sensitive) {
        "(sensitive value)".to_string()
    } else {
        format!("{s:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_provider::conformance::{self, LifecycleCase};

    fn site(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs)
    }

    #[test]
    fn computed_attributes_follow_the_tree() {
        let p = EdgeProvider::new();
        let eu = p.plan_change(EDGE_SITE, None, &site(vec![("name", Value::string("eu")), ("latency_ms", Value::int(20))])).planned;
        assert_eq!(eu.attr("kind"), Some(&Value::string("region")));
        assert_eq!(eu.attr("path"), Some(&Value::List(vec![Value::string("eu")])));
        let f7 = p
            .plan_change(EDGE_SITE, None, &site(vec![("name", Value::string("f7")), ("parent", eu.clone()), ("latency_ms", Value::int(4))]))
            .planned;
        assert_eq!(f7.attr("kind"), Some(&Value::string("site")));
        assert_eq!(f7.attr("parent_name"), Some(&Value::string("eu")));
        assert_eq!(f7.attr("path"), Some(&Value::List(vec![Value::string("eu"), Value::string("f7")])));
        assert_eq!(as_f64(f7.attr("latency_total_ms")), Some(24.0));
        let line = p.plan_change(EDGE_SITE, None, &site(vec![("name", Value::string("l1")), ("parent", f7), ("kind", Value::string("subsite"))])).planned;
        assert_eq!(as_f64(line.attr("latency_total_ms")), Some(24.0));
        assert_eq!(line.attr("kind"), Some(&Value::string("subsite")));
        // Unchanged config → no change once applied.
        let again = p.plan_change(EDGE_SITE, Some(&line), &site(vec![("name", Value::string("l1")), ("parent", eu), ("kind", Value::string("subsite"))])).planned;
        assert_eq!(again.attr("path"), Some(&Value::List(vec![Value::string("eu"), Value::string("l1")])));
    }

    #[test]
    fn validation_names_the_problem() {
        let p = EdgeProvider::new();
        let cfg = Value::map(vec![
            ("name", Value::string("x")),
            ("kind", Value::string("country")),
            ("capacity", Value::map(vec![("memory", Value::string("64GB"))])),
            ("power", Value::map(vec![("watts_idle", Value::int(300)), ("watts_max", Value::int(60))])),
        ]);
        let d = p.validate(EDGE_SITE, &cfg);
        let msgs: Vec<String> = d.0.iter().map(|d| format!("{}: {}", d.summary, d.detail)).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].contains("valid kinds are"), "{msgs:?}");
        assert!(msgs[1].contains("\"64GB\" is not a quantity"), "{msgs:?}");
        assert!(msgs[2].contains("watts_idle (300) is above watts_max (60)"), "{msgs:?}");
    }

    #[test]
    fn validation_never_quotes_a_sensitive_value() {
        let p = EdgeProvider::new();
        let cfg = Value::map(vec![
            ("name", Value::string("x")),
            ("kind", Value::string("MARKER-S3CR3T").mark_sensitive()),
            ("capacity", Value::map(vec![("memory", Value::string("MARKER-S3CR3T").mark_sensitive())])),
        ]);
        let msgs: Vec<String> = p.validate(EDGE_SITE, &cfg).0.iter().map(|d| format!("{} {} {d:?}", d.summary, d.detail)).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs.iter().all(|m| !m.contains("MARKER") && m.contains("(sensitive value)")), "{msgs:?}");
        // The planner passes marks to validate only to a provider that asks.
        assert!(EdgeProvider::new().receives_sensitive_marks());
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("64Gi"), Some(64 * 1024 * 1024 * 1024));
        assert_eq!(parse_quantity("512Mi"), Some(512 * 1024 * 1024));
        assert_eq!(parse_quantity("1.5G"), Some(1_500_000_000));
        assert_eq!(parse_quantity("12"), Some(12));
        assert_eq!(parse_quantity("1Q"), None);
        assert_eq!(parse_quantity("Gi"), None);
    }

    #[tokio::test]
    async fn conformance() {
        let p = EdgeProvider::new();
        let mut case = LifecycleCase::new(
            EDGE_SITE,
            Value::map(vec![("name", Value::string("eu")), ("latency_ms", Value::int(3))]),
            Value::map(vec![("name", Value::string("eu")), ("latency_ms", Value::int(5))]),
        );
        case.state_only = true;
        conformance::run(&p, &case).await.unwrap();
    }
}
