//! `workload "NAME"` blocks (ARCHITECTURE §3, issue 10): what runs on the
//! sites it is placed on. A workload is a record like a site: the control
//! side turns the workloads recorded in state into one signed desired-state
//! document per site (`contin-engine`'s edge module); the agent runs them.
//!
//! ```hcl
//! workload "vision" {
//!   command   = ["/opt/vision/run", "--fast"]    # or: image = "registry.local/vision:1.4"
//!   runtime   = "process"                        # process | podman | docker
//!   env       = { MODE = "edge" }
//!   replicas  = 2
//!   requires  { cpu = "500m"  memory = "256Mi"  gpu = 0 }
//!   placement { sites = [edge_site.factory7] }
//!   autonomy  { tolerate_disconnection = "24h" }
//!   health    { tcp = "127.0.0.1:8080"  interval = "5s" }
//!   restart   { backoff_max = "1m" }
//! }
//! ```
//!
//! The planned value normalises `placement.sites` to site names (a site
//! object's fields changing does not change the workload) and carries the
//! computed `site_names`, `runtime` and `replicas` defaults.

use contin_edge_proto::{Autonomy, Health, HealthKind, Requires, Restart, Runtime, WorkloadSpec};
use contin_provider::{AttrSchema, AttrType, BlockSchema, NestedBlockSchema, Nesting};
use contin_types::value::PathStep;
use contin_types::{Diagnostic, Diagnostics, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::time::Duration;

pub const WORKLOAD: &str = "workload";
const RUNTIMES: &[&str] = &["process", "podman", "docker"];
/// Largest `replicas`.
pub const MAX_REPLICAS: u64 = 1000;
/// Most sites in `placement.sites`.
pub const MAX_SITES: usize = 10_000;
/// Default health probe interval.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

fn single(block: BlockSchema) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::Single, block, min_items: 0, max_items: Some(1), force_new: false }
}

pub fn workload_schema() -> BlockSchema {
    let s = || AttrSchema::optional(AttrType::String);
    let strings = || AttrType::List(Box::new(AttrType::String));
    BlockSchema::default()
        .attr("name", AttrSchema::required(AttrType::String).describe("the block label"))
        .attr("command", AttrSchema::optional(strings()).describe("argv of a process workload"))
        .attr("image", s().describe("container image (podman/docker runtime)"))
        .attr("runtime", AttrSchema::optional_computed(AttrType::String).describe("process | podman | docker"))
        .attr("env", AttrSchema::optional(AttrType::Map(Box::new(AttrType::String))))
        .attr("replicas", AttrSchema::optional_computed(AttrType::Number))
        .attr("id", AttrSchema::computed(AttrType::String))
        .attr("site_names", AttrSchema::computed(strings()).describe("names of the sites the workload is placed on"))
        .block(
            "requires",
            single(
                BlockSchema::default()
                    .attr("cpu", AttrSchema::optional(AttrType::Any).describe("cores: 0.5 or \"500m\""))
                    .attr("memory", s().describe("e.g. 256Mi"))
                    .attr("gpu", AttrSchema::optional(AttrType::Number)),
            ),
        )
        .block("placement", single(BlockSchema::default().attr("sites", AttrSchema::optional(AttrType::Any).describe("[edge_site.NAME, …]"))))
        .block("autonomy", single(BlockSchema::default().attr("tolerate_disconnection", s().describe("e.g. 24h"))))
        .block(
            "health",
            single(
                BlockSchema::default()
                    .attr("exec", AttrSchema::optional(strings()))
                    .attr("tcp", s().describe("host:port"))
                    .attr("http", s().describe("URL"))
                    .attr("interval", s().describe("e.g. 5s"))
                    .attr("timeout", s())
                    .attr("failures", AttrSchema::optional(AttrType::Number)),
            ),
        )
        .block("restart", single(BlockSchema::default().attr("backoff_initial", s()).attr("backoff_max", s())))
}

/// A duration such as `5s`, `1m`, `24h`, `1h30m`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    humantime::parse_duration(s.trim()).ok()
}

fn num(v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::Number(n)) => Some(n.as_f64()),
        _ => None,
    }
}

/// Cores from `0.5`, `"0.5"` or `"500m"`.
pub fn parse_cpu(v: &Value) -> Option<f64> {
    let c = match v.unmarked() {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.strip_suffix('m') {
            Some(milli) => milli.parse::<f64>().ok()? / 1000.0,
            None => s.parse::<f64>().ok()?,
        },
        _ => return None,
    };
    (c.is_finite() && c >= 0.0).then_some(c)
}

/// A configured value for a message: quoted, or `(sensitive value)`.
fn shown(raw: Option<&Value>, s: &str) -> String {
    if raw.is_some_and(Value::contains_sensitive) {
        "(sensitive value)".to_string()
    } else {
        format!("{s:?}")
    }
}

fn raw<'a>(cfg: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let steps: Vec<PathStep> = path.iter().map(|k| PathStep::Key(k.to_string())).collect();
    cfg.get_path(&steps)
}

/// Checks a duration argument `BLOCK.KEY`.
fn check_duration(cfg: &Value, block: &str, key: &str, d: &mut Diagnostics) {
    if let Some(Value::String(s)) = cfg.attr(block).and_then(|b| b.attr(key)) {
        if parse_duration(s).is_none() {
            let shown = shown(raw(cfg, &[block, key]), s);
            d.push(Diagnostic::error(format!("{block}.{key}: {shown} is not a duration")).with_detail("write a duration such as \"5s\", \"1m\" or \"24h\"."));
        }
    }
}

/// The site names of `placement.sites` (site objects or names); `Err` names
/// the first element that is neither. `Ok(None)` while unknown.
fn site_names(sites: &Value) -> Result<Option<Vec<String>>, String> {
    let items = match sites.unmarked() {
        Value::Unknown => return Ok(None),
        Value::List(items) | Value::Set(items) => items,
        other => return Err(format!("must be a list of sites, got {}", other.type_name())),
    };
    if items.len() > MAX_SITES {
        return Err(format!("lists {} sites (limit {MAX_SITES})", items.len()));
    }
    let mut names = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.unmarked() {
            Value::Unknown => return Ok(None),
            Value::String(s) if !s.is_empty() => names.push(s.clone()),
            m @ Value::Map(_) => match m.attr("name") {
                Some(Value::String(s)) => names.push(s.clone()),
                Some(Value::Unknown) => return Ok(None),
                _ => return Err(format!("element {i} is not an edge_site (write edge_site.NAME)")),
            },
            _ => return Err(format!("element {i} is not an edge_site (write edge_site.NAME)")),
        }
    }
    Ok(Some(names))
}

pub(crate) fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let command = cfg.attr("command");
    let image = cfg.attr("image");
    let runtime = cfg.attr_str("runtime");
    match (command, image) {
        (Some(_), Some(_)) => d.push(
            Diagnostic::error("command: a workload sets either command (process runtime) or image (container runtime), not both"),
        ),
        (None, None) => d.push(
            Diagnostic::error("workload has neither command nor image")
                .with_detail("set command = [\"/path/to/program\", \"arg\"] for a process, or image = \"registry/name:tag\" for a container."),
        ),
        _ => {}
    }
    if let Some(Value::List(argv)) = command {
        if argv.is_empty() {
            d.push(Diagnostic::error("command: must not be empty (the first element is the program)"));
        }
    }
    if let Some(rt) = runtime {
        if !RUNTIMES.contains(&rt) {
            let shown = shown(raw(cfg, &["runtime"]), rt);
            d.push(Diagnostic::error(format!("runtime: {shown} is not a runtime")).with_detail("valid runtimes are \"process\", \"podman\", \"docker\"."));
        } else if rt == "process" && image.is_some() {
            d.push(Diagnostic::error("runtime: the process runtime runs a command, not an image").with_detail("set command = [..], or runtime = \"podman\" / \"docker\"."));
        } else if rt != "process" && command.is_some() && image.is_none() {
            d.push(Diagnostic::error(format!("runtime: the {rt} runtime runs an image")).with_detail("set image = \"registry/name:tag\", or runtime = \"process\"."));
        }
    }
    if let Some(Value::Number(n)) = cfg.attr("replicas") {
        if !n.as_i64().is_some_and(|i| (0..=MAX_REPLICAS as i64).contains(&i)) {
            d.push(Diagnostic::error(format!("replicas: must be a whole number from 0 to {MAX_REPLICAS}")));
        }
    }
    match cfg.attr("placement").and_then(|p| p.attr("sites")) {
        None => d.push(
            Diagnostic::error("placement: a workload needs placement { sites = [edge_site.NAME, …] }")
                .with_detail("automatic placement is not available yet: list the sites explicitly."),
        ),
        Some(sites) => match site_names(sites) {
            Ok(Some(names)) if names.is_empty() => d.push(Diagnostic::error("placement.sites: must name at least one site")),
            Ok(_) => {}
            Err(e) => d.push(Diagnostic::error(format!("placement.sites: {e}"))),
        },
    }
    if let Some(req) = cfg.attr("requires") {
        if let Some(c) = req.attr("cpu") {
            if !matches!(c, Value::Unknown) && parse_cpu(c).is_none() {
                d.push(Diagnostic::error("requires.cpu: must be a number of cores such as 0.5 or \"500m\""));
            }
        }
        if let Some(Value::String(m)) = req.attr("memory") {
            if crate::parse_quantity(m).is_none() {
                let shown = shown(raw(cfg, &["requires", "memory"]), m);
                d.push(Diagnostic::error(format!("requires.memory: {shown} is not a quantity")).with_detail("write a quantity such as \"256Mi\" or \"1Gi\"."));
            }
        }
        if num(req.attr("gpu")).is_some_and(|g| g < 0.0 || g.fract() != 0.0) {
            d.push(Diagnostic::error("requires.gpu: must be a whole number, not negative"));
        }
    }
    check_duration(cfg, "autonomy", "tolerate_disconnection", &mut d);
    check_duration(cfg, "restart", "backoff_max", &mut d);
    check_duration(cfg, "restart", "backoff_initial", &mut d);
    if let Some(h) = cfg.attr("health") {
        let kinds = ["exec", "tcp", "http"].iter().filter(|k| h.attr(k).is_some()).count();
        if kinds != 1 {
            d.push(Diagnostic::error("health: set exactly one of exec = [..], tcp = \"host:port\" or http = \"URL\""));
        }
        if let Some(Value::String(t)) = h.attr("tcp") {
            if t.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err()) {
                let shown = shown(raw(cfg, &["health", "tcp"]), t);
                d.push(Diagnostic::error(format!("health.tcp: {shown} is not host:port")));
            }
        }
        if let Some(Value::String(u)) = h.attr("http") {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                let shown = shown(raw(cfg, &["health", "http"]), u);
                d.push(Diagnostic::error(format!("health.http: {shown} is not an http:// or https:// URL")));
            }
        }
        if let Some(Value::List(argv)) = h.attr("exec") {
            if argv.is_empty() {
                d.push(Diagnostic::error("health.exec: must not be empty"));
            }
        }
        check_duration(cfg, "health", "interval", &mut d);
        check_duration(cfg, "health", "timeout", &mut d);
        if num(h.attr("failures")).is_some_and(|f| !(1.0..=1000.0).contains(&f) || f.fract() != 0.0) {
            d.push(Diagnostic::error("health.failures: must be a whole number from 1 to 1000"));
        }
    }
    d
}

/// Fills the computed attributes and normalises `placement.sites` to names.
pub(crate) fn derive(desired: &Value, planned: &mut BTreeMap<String, Value>) {
    if let Some(Value::String(name)) = desired.attr("name") {
        planned.insert("id".into(), Value::string(name.clone()));
    }
    if desired.attr("replicas").is_none() {
        planned.insert("replicas".into(), Value::int(1));
    }
    if desired.attr("runtime").is_none() {
        let rt = if desired.attr("image").is_some() { "podman" } else { "process" };
        planned.insert("runtime".into(), Value::string(rt));
    }
    let names = desired.attr("placement").and_then(|p| p.attr("sites")).map(site_names);
    let names = match names {
        Some(Ok(Some(n))) => Value::List(n.into_iter().map(Value::string).collect()),
        Some(Ok(None)) => Value::Unknown,
        _ => Value::List(Vec::new()),
    };
    if let Some(Value::Map(p)) = planned.get_mut("placement") {
        p.insert("sites".into(), names.clone());
    }
    planned.insert("site_names".into(), names);
}

fn jstr<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn duration_ms(v: &Json, block: &str, key: &str) -> Result<Option<u64>, String> {
    match v.get(block).and_then(|b| b.get(key)) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => parse_duration(s).map(|d| Some(d.as_millis() as u64)).ok_or_else(|| format!("{block}.{key} is not a duration")),
        Some(_) => Err(format!("{block}.{key} is not a duration")),
    }
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array).map(|a| a.iter().filter_map(Json::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// The desired-state entry of a workload instance from its recorded
/// attributes (plain JSON, secrets included: the agent needs them), with
/// the names of the sites it is placed on. `name` is the instance address
/// without the type (`vision`, `vision[0]`).
pub fn spec_from_attributes(name: &str, attrs: &Json) -> Result<(Vec<String>, WorkloadSpec), String> {
    let command = strings(attrs.get("command"));
    let image = jstr(attrs, "image").map(str::to_string);
    let runtime = match jstr(attrs, "runtime") {
        Some("process") => Runtime::Process,
        Some("podman") => Runtime::Podman,
        Some("docker") => Runtime::Docker,
        None if image.is_some() => Runtime::Podman,
        None => Runtime::Process,
        Some(other) => return Err(format!("runtime {other:?} is not a runtime")),
    };
    let replicas = attrs.get("replicas").and_then(Json::as_f64).unwrap_or(1.0);
    if !(0.0..=MAX_REPLICAS as f64).contains(&replicas) {
        return Err(format!("replicas must be from 0 to {MAX_REPLICAS}"));
    }
    let env: BTreeMap<String, String> = attrs
        .get("env")
        .and_then(Json::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    let req = attrs.get("requires").cloned().unwrap_or(Json::Null);
    let cpu = match req.get("cpu") {
        None | Some(Json::Null) => 0.0,
        Some(v) => parse_cpu(&Value::from_json(v)).ok_or("requires.cpu is not a number of cores")?,
    };
    let memory_mb = match jstr(&req, "memory") {
        Some(m) => crate::parse_quantity(m).ok_or("requires.memory is not a quantity")?.div_ceil(1024 * 1024),
        None => 0,
    };
    let gpu = req.get("gpu").and_then(Json::as_f64).unwrap_or(0.0).max(0.0) as u32;
    let health = match attrs.get("health").filter(|h| h.is_object()) {
        None => None,
        Some(h) => {
            let (kind, target, command) = if let Some(t) = jstr(h, "tcp") {
                (HealthKind::Tcp, t.to_string(), Vec::new())
            } else if let Some(u) = jstr(h, "http") {
                (HealthKind::Http, u.to_string(), Vec::new())
            } else if h.get("exec").is_some_and(Json::is_array) {
                (HealthKind::Exec, String::new(), strings(h.get("exec")))
            } else {
                return Err("health sets none of exec, tcp, http".into());
            };
            let interval = duration_ms(attrs, "health", "interval")?.map_or(DEFAULT_INTERVAL.as_secs_f64(), |ms| ms as f64 / 1000.0);
            let timeout = duration_ms(attrs, "health", "timeout")?.map_or(2.0, |ms| ms as f64 / 1000.0);
            let failures = h.get("failures").and_then(Json::as_f64).map_or(3, |f| f as u32);
            Some(Health { kind, target, command, interval_s: interval, timeout_s: timeout, failures })
        }
    };
    let mut restart = Restart::default();
    if let Some(ms) = duration_ms(attrs, "restart", "backoff_max")? {
        restart.backoff_max_ms = ms;
    }
    if let Some(ms) = duration_ms(attrs, "restart", "backoff_initial")? {
        restart.backoff_initial_ms = ms;
    }
    restart.backoff_initial_ms = restart.backoff_initial_ms.min(restart.backoff_max_ms);
    let mut autonomy = Autonomy::default();
    if let Some(ms) = duration_ms(attrs, "autonomy", "tolerate_disconnection")? {
        autonomy.tolerate_disconnection_s = ms / 1000;
    }
    let sites = match attrs.get("site_names") {
        Some(Json::Array(_)) => strings(attrs.get("site_names")),
        _ => strings(attrs.get("placement").and_then(|p| p.get("sites"))),
    };
    let spec = WorkloadSpec {
        name: name.to_string(),
        replicas: replicas as u32,
        runtime,
        command,
        image,
        env,
        requires: Requires { cpu, memory_mb, gpu },
        health,
        restart,
        autonomy,
        spec_hash: String::new(),
    }
    .hashed();
    Ok((sites, spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EdgeProvider;
    use contin_provider::Provider;

    fn site(name: &str) -> Value {
        Value::map(vec![("name", Value::string(name)), ("kind", Value::string("site")), ("latency_ms", Value::int(4))])
    }

    fn base(extra: Vec<(&str, Value)>) -> Value {
        let mut pairs = vec![
            ("name", Value::string("vision")),
            ("command", Value::List(vec![Value::string("/bin/sleep"), Value::string("60")])),
            ("placement", Value::map(vec![("sites", Value::List(vec![site("f7"), Value::string("f8")]))])),
        ];
        pairs.extend(extra);
        Value::map(pairs)
    }

    fn errors(cfg: &Value) -> Vec<String> {
        EdgeProvider::new().validate(WORKLOAD, cfg).0.iter().map(|d| format!("{}: {}", d.summary, d.detail)).collect()
    }

    #[test]
    fn planned_value_names_sites_and_fills_defaults() {
        let p = EdgeProvider::new();
        let pc = p.plan_change(WORKLOAD, None, &base(vec![]));
        assert!(pc.diagnostics.0.is_empty(), "{:?}", pc.diagnostics);
        let names = Value::List(vec![Value::string("f7"), Value::string("f8")]);
        assert_eq!(pc.planned.attr("site_names"), Some(&names));
        assert_eq!(pc.planned.attr("placement").and_then(|p| p.attr("sites")), Some(&names));
        assert_eq!(pc.planned.attr("runtime"), Some(&Value::string("process")));
        assert_eq!(pc.planned.attr("replicas"), Some(&Value::int(1)));
        // A site's other fields changing leaves the workload unchanged.
        let mut moved = site("f7");
        if let Value::Map(m) = &mut moved {
            m.insert("latency_ms".into(), Value::int(40));
        }
        let again = base(vec![("placement", Value::map(vec![("sites", Value::List(vec![moved, Value::string("f8")]))]))]);
        assert_eq!(p.plan_change(WORKLOAD, Some(&pc.planned), &again).planned, pc.planned);
        let img = Value::map(vec![("name", Value::string("c")), ("image", Value::string("busybox")), ("placement", Value::map(vec![("sites", Value::List(vec![site("f7")]))]))]);
        assert_eq!(p.plan_change(WORKLOAD, None, &img).planned.attr("runtime"), Some(&Value::string("podman")));
        let unknown = base(vec![("placement", Value::map(vec![("sites", Value::List(vec![Value::Unknown]))]))]);
        assert_eq!(p.plan_change(WORKLOAD, None, &unknown).planned.attr("site_names"), Some(&Value::Unknown));
    }

    #[test]
    fn validation_names_each_problem() {
        assert_eq!(errors(&base(vec![])), Vec::<String>::new());
        let both = base(vec![("image", Value::string("busybox"))]);
        assert!(errors(&both)[0].contains("either command"), "{:?}", errors(&both));
        let neither = Value::map(vec![("name", Value::string("x")), ("placement", Value::map(vec![("sites", Value::List(vec![site("a")]))]))]);
        assert!(errors(&neither)[0].contains("neither command nor image"));
        let bad = base(vec![
            ("runtime", Value::string("lxc")),
            ("replicas", Value::int(-1)),
            ("requires", Value::map(vec![("cpu", Value::string("lots")), ("memory", Value::string("256MB")), ("gpu", Value::int(-1))])),
            ("autonomy", Value::map(vec![("tolerate_disconnection", Value::string("a day"))])),
            ("health", Value::map(vec![("tcp", Value::string("nohost")), ("http", Value::string("x")), ("interval", Value::string("5"))])),
            ("restart", Value::map(vec![("backoff_max", Value::string("1 minute please"))])),
        ]);
        let e = errors(&bad);
        let want = [
            "runtime: \"lxc\" is not a runtime",
            "replicas: must be a whole number from 0 to 1000",
            "requires.cpu: must be a number of cores",
            "requires.memory: \"256MB\" is not a quantity",
            "requires.gpu: must be a whole number",
            "autonomy.tolerate_disconnection: \"a day\" is not a duration",
            "restart.backoff_max: \"1 minute please\" is not a duration",
            "health: set exactly one of",
            "health.tcp: \"nohost\" is not host:port",
            "health.http: \"x\" is not an http:// or https:// URL",
            "health.interval: \"5\" is not a duration",
        ];
        assert_eq!(e.len(), want.len(), "{e:#?}");
        for w in want {
            assert!(e.iter().any(|m| m.starts_with(w)), "missing {w:?} in {e:#?}");
        }
        let no_place = Value::map(vec![("name", Value::string("x")), ("command", Value::List(vec![Value::string("/bin/true")]))]);
        assert!(errors(&no_place)[0].starts_with("placement: a workload needs placement"));
        let not_site = base(vec![("placement", Value::map(vec![("sites", Value::List(vec![Value::int(3)]))]))]);
        assert!(errors(&not_site)[0].starts_with("placement.sites: element 0 is not an edge_site"));
        let podman_cmd = base(vec![("runtime", Value::string("podman"))]);
        assert!(errors(&podman_cmd)[0].starts_with("runtime: the podman runtime runs an image"));
    }

    #[test]
    fn validation_never_quotes_a_sensitive_value() {
        let s = || Value::string("MARKER-S3CR3T").mark_sensitive();
        let cfg = base(vec![("runtime", s()), ("health", Value::map(vec![("tcp", s())])), ("requires", Value::map(vec![("memory", s())]))]);
        let e = errors(&cfg);
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e.iter().all(|m| !m.contains("MARKER") && m.contains("(sensitive value)")), "{e:?}");
    }

    #[test]
    fn specs_from_recorded_attributes() {
        let p = EdgeProvider::new();
        let cfg = base(vec![
            ("env", Value::map(vec![("MODE", Value::string("edge")), ("TOKEN", Value::string("s3cret").mark_sensitive())])),
            ("replicas", Value::int(2)),
            ("requires", Value::map(vec![("cpu", Value::string("500m")), ("memory", Value::string("256Mi")), ("gpu", Value::int(1))])),
            ("autonomy", Value::map(vec![("tolerate_disconnection", Value::string("24h"))])),
            ("health", Value::map(vec![("tcp", Value::string("127.0.0.1:8080")), ("interval", Value::string("5s"))])),
            ("restart", Value::map(vec![("backoff_max", Value::string("1m"))])),
        ]);
        let planned = p.plan_change(WORKLOAD, None, &cfg).planned;
        let (sites, spec) = spec_from_attributes("vision[0]", &planned.to_json_lossy()).unwrap();
        assert_eq!(sites, vec!["f7".to_string(), "f8".to_string()]);
        assert_eq!(spec.name, "vision[0]");
        assert_eq!((spec.replicas, spec.runtime), (2, Runtime::Process));
        assert_eq!(spec.command, vec!["/bin/sleep".to_string(), "60".to_string()]);
        assert_eq!(spec.env.get("TOKEN").map(String::as_str), Some("s3cret"));
        assert_eq!(spec.requires, Requires { cpu: 0.5, memory_mb: 256, gpu: 1 });
        let h = spec.health.clone().unwrap();
        assert_eq!((h.kind, h.target.as_str(), h.interval_s), (HealthKind::Tcp, "127.0.0.1:8080", 5.0));
        assert_eq!(spec.restart.backoff_max_ms, 60_000);
        assert_eq!(spec.autonomy.tolerate_disconnection_s, 86_400);
        assert_eq!(spec.spec_hash, spec.compute_hash());
        // The hash follows every field.
        let other = base(vec![("env", Value::map(vec![("MODE", Value::string("cloud"))]))]);
        let (_, spec2) = spec_from_attributes("vision[0]", &p.plan_change(WORKLOAD, None, &other).planned.to_json_lossy()).unwrap();
        assert_ne!(spec.spec_hash, spec2.spec_hash);
    }

    #[tokio::test]
    async fn conformance() {
        use contin_provider::conformance::{self, LifecycleCase};
        let mut case = LifecycleCase::new(WORKLOAD, base(vec![]), base(vec![("replicas", Value::int(3))]));
        case.state_only = true;
        conformance::run(&EdgeProvider::new(), &case).await.unwrap();
    }

    #[test]
    fn cpu_and_durations() {
        assert_eq!(parse_cpu(&Value::string("250m")), Some(0.25));
        assert_eq!(parse_cpu(&Value::int(2)), Some(2.0));
        assert_eq!(parse_cpu(&Value::string("-1")), None);
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("soon"), None);
    }
}
