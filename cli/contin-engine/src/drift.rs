//! `contin drift`: a refresh-only comparison. Every managed object in the
//! state is read back through its provider (under the lock, `parallelism`
//! at a time) and compared with what the state records; the configuration
//! is not diffed and nothing is written. The report names each drifted
//! attribute; sensitive ones carry their marks so renderers redact them.

use crate::error::{EngineError, Result};
use std::result::Result as StdResult;
use crate::events::EngineEvent;
use crate::Workspace;
use contin_planner::Unreachable;
use contin_provider::ProviderError;
use contin_types::value::{PathStep, ValuePath};
use contin_types::{ResourceAddr, ResourceMode, Value};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct DriftOptions {
    /// Concurrent provider reads.
    pub parallelism: usize,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions { parallelism: 10 }
    }
}

/// What a refresh-only comparison found.
#[derive(Clone, Debug, Default)]
pub struct DriftReport {
    /// Lineage and serial of the state compared against (`None`: no state).
    pub lineage: Option<String>,
    pub serial: Option<u64>,
    /// Managed objects read.
    pub checked: Vec<ResourceAddr>,
    /// Objects that differ from the state, sorted by address.
    pub drifted: Vec<DriftedResource>,
    /// Objects that could not be reached (not drift; reported as warnings).
    pub unreachable: Vec<Unreachable>,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        !self.drifted.is_empty()
    }
}

/// One object that changed outside contin.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftedResource {
    pub addr: ResourceAddr,
    pub provider: String,
    /// Deleted outside contin (the provider no longer finds it).
    pub deleted: bool,
    /// The attributes that differ (empty when deleted).
    pub attributes: Vec<AttributeDrift>,
}

/// One attribute that differs: the recorded and the current value, both
/// carrying the state's sensitive marks.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeDrift {
    pub path: ValuePath,
    /// `None`: the attribute is new.
    pub recorded: Option<Value>,
    /// `None`: the attribute is gone.
    pub current: Option<Value>,
    /// The attribute (or a value it contains) is sensitive: show neither value.
    pub sensitive: bool,
}

impl AttributeDrift {
    /// `tags.env`, `ingress[0].port`.
    pub fn path_string(&self) -> String {
        contin_types::value::path_to_string(&self.path)
    }
}

/// Deepest nesting compared attribute by attribute; below it a difference
/// is reported on the whole sub-value.
pub const MAX_DRIFT_DEPTH: usize = 32;

impl Workspace {
    /// Refresh-only comparison under the lock (operation `drift`). `None`
    /// when `cancel` fired (nothing is written either way).
    pub async fn drift(&self, opts: DriftOptions, cancel: CancellationToken) -> Result<Option<DriftReport>> {
        let ws = self.clone();
        crate::lock::run_locked(&self.backend, "drift", &self.events, async move {
            let state = ws.recovered_state(false).await?;
            tokio::select! {
                r = ws.drift_against(state.as_ref(), &opts) => r.map(Some),
                _ = cancel.cancelled() => Ok(None),
            }
        })
        .await
    }

    /// Reads every managed object of `state` and compares it with the record.
    pub async fn drift_against(&self, state: Option<&contin_state::State>, opts: &DriftOptions) -> Result<DriftReport> {
        use futures::stream::{self, StreamExt};
        let Some(state) = state else { return Ok(DriftReport::default()) };
        let jobs: Vec<_> = state
            .resources
            .values()
            .filter(|rs| rs.addr.mode == ResourceMode::Managed && !rs.attributes.is_null())
            .map(|rs| {
                let provider = self.providers.get(&rs.provider).cloned();
                let recorded = rs.value();
                let sent = if provider.as_ref().is_some_and(|p| p.receives_sensitive_marks()) { recorded.clone() } else { recorded.unmark_deep().0 };
                (rs.addr.clone(), rs.provider.clone(), provider, recorded, sent)
            })
            .collect();
        self.events.event(EngineEvent::RefreshStarted { total: jobs.len() });
        let events = self.events.clone();
        type Job = std::pin::Pin<Box<dyn std::future::Future<Output = (ResourceAddr, String, Value, StdResult<Option<Value>, ProviderError>)> + Send>>;
        let boxed: Vec<Job> = jobs
            .into_iter()
            .map(|(addr, name, provider, recorded, sent)| {
                let events = events.clone();
                Box::pin(async move {
                    let r = match provider {
                        Some(p) => p.read(&addr.ty, &sent).await,
                        None => Err(ProviderError::NotConfigured(format!("provider \"{name}\" is not available in this build"))),
                    };
                    events.event(EngineEvent::Refreshed { addr: addr.clone() });
                    (addr, name, recorded, r)
                }) as Job
            })
            .collect();
        let results: Vec<_> = stream::iter(boxed).buffer_unordered(opts.parallelism.max(1)).collect().await;
        let mut report = DriftReport { lineage: Some(state.lineage.clone()), serial: Some(state.serial), ..DriftReport::default() };
        let mut failures = Vec::new();
        for (addr, provider, recorded, r) in results {
            report.checked.push(addr.clone());
            match r {
                Ok(None) => report.drifted.push(DriftedResource { addr, provider, deleted: true, attributes: Vec::new() }),
                Ok(Some(current)) => {
                    let attributes = compare(&recorded, &current.unmark_deep().0);
                    if !attributes.is_empty() {
                        report.drifted.push(DriftedResource { addr, provider, deleted: false, attributes });
                    }
                }
                Err(ProviderError::Unreachable(reason)) => report.unreachable.push(Unreachable { addr, reason }),
                Err(e) => failures.push(format!("{addr}: {e}")),
            }
        }
        if !failures.is_empty() {
            failures.sort();
            return Err(EngineError::Invalid(format!("reading {} object(s) failed:\n  {}", failures.len(), failures.join("\n  "))));
        }
        report.checked.sort();
        report.drifted.sort_by(|a, b| a.addr.cmp(&b.addr));
        report.unreachable.sort_by(|a, b| a.addr.cmp(&b.addr));
        Ok(report)
    }
}

/// The attributes where `current` (unmarked) differs from `recorded`
/// (carrying the state's marks), sorted by path. The current value takes
/// the recorded value's marks; a path under a sensitive value is sensitive.
pub fn compare(recorded: &Value, current: &Value) -> Vec<AttributeDrift> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), Some(recorded), Some(current), false, &mut out);
    out
}

fn same(a: &Value, b: &Value) -> bool {
    a.unmark_deep().0.to_json_lossy() == b.unmark_deep().0.to_json_lossy()
}

fn walk(path: &mut ValuePath, recorded: Option<&Value>, current: Option<&Value>, sensitive: bool, out: &mut Vec<AttributeDrift>) {
    let sensitive = sensitive || recorded.is_some_and(Value::is_sensitive);
    let (r, c) = (recorded.map(Value::unmarked), current.map(Value::unmarked));
    match (r, c) {
        (Some(r), Some(c)) if same(r, c) => {}
        (Some(Value::Map(rm)), Some(Value::Map(cm))) if path.len() < MAX_DRIFT_DEPTH => {
            let keys: std::collections::BTreeSet<&String> = rm.keys().chain(cm.keys()).collect();
            for k in keys {
                path.push(PathStep::Key(k.clone()));
                walk(path, rm.get(k), cm.get(k), sensitive, out);
                path.pop();
            }
        }
        (Some(Value::List(rl)), Some(Value::List(cl))) if rl.len() == cl.len() && path.len() < MAX_DRIFT_DEPTH && !path.is_empty() => {
            for (i, (re, ce)) in rl.iter().zip(cl).enumerate() {
                path.push(PathStep::Index(i));
                walk(path, Some(re), Some(ce), sensitive, out);
                path.pop();
            }
        }
        _ => {
            let hidden = sensitive || recorded.is_some_and(Value::contains_sensitive);
            let mark = |v: &Value| if hidden { v.clone().mark_sensitive() } else { v.clone() };
            out.push(AttributeDrift { path: path.clone(), recorded: recorded.map(mark), current: current.map(mark), sensitive: hidden });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    #[test]
    fn names_each_drifted_attribute_and_keeps_secrets_marked() {
        let recorded = Value::map([
            ("id", s("a")),
            ("size", Value::int(5)),
            ("password", s("hunter2").mark_sensitive()),
            ("tags", Value::map([("env", s("prod")), ("team", s("x"))])),
            ("ports", Value::List(vec![Value::int(80), Value::int(443)])),
        ]);
        let current = Value::map([
            ("id", s("a")),
            ("size", Value::int(7)),
            ("password", s("changed")),
            ("tags", Value::map([("env", s("dev")), ("owner", s("me"))])),
            ("ports", Value::List(vec![Value::int(80), Value::int(8443)])),
        ]);
        let d = compare(&recorded, &current);
        let paths: Vec<String> = d.iter().map(AttributeDrift::path_string).collect();
        assert_eq!(paths, ["password", "ports[1]", "size", "tags.env", "tags.owner", "tags.team"]);
        let pw = &d[0];
        assert!(pw.sensitive && pw.current.as_ref().is_some_and(Value::is_sensitive) && pw.recorded.as_ref().is_some_and(Value::is_sensitive));
        assert_eq!(d[2].current, Some(Value::int(7)));
        assert_eq!(d[4].recorded, None);
        assert_eq!(d[5].current, None);
        assert!(compare(&recorded, &recorded.unmark_deep().0).is_empty(), "marks alone are not drift");
    }
}
