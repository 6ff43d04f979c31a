//! Apply and destroy: lock, plan (or check a saved plan is fresh), ask the
//! front end for approval, write the first state, run the executor, and
//! save the state elsewhere when the final write fails.

use crate::error::{EngineError, Result};
use crate::events::{ApplyEvents, EngineEvent};
use crate::plan::PlanOptions;
use crate::Workspace;
use contin_planner::{ConfigEvaluator, Plan, PlanIo, PlanMode};
use contin_state::State;
use contin_types::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Where the state goes when the final write to the backend fails (relative to the root).
pub const ERRORED_STATE: &str = "contin.errored.state";

#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Concurrent provider operations (`-parallelism`), for refresh and apply.
    pub parallelism: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { parallelism: 10 }
    }
}

/// The front end's answer after seeing the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    Yes,
    No,
    /// Interrupted while asking.
    Interrupted,
    /// Approval cannot be asked (e.g. no terminal): the operation fails with this message.
    Refused(String),
}

/// What an apply did.
#[derive(Debug)]
pub struct ApplyOutcome {
    /// Final state (as persisted, or as written to `errored_state`).
    pub state: State,
    /// (address, error) of failed changes.
    pub failed: Vec<(String, String)>,
    /// Addresses not started (dependency failed or cancelled).
    pub skipped: Vec<String>,
    pub cancelled: bool,
    /// A state write failed; the message says what happened.
    pub persist_error: Option<String>,
    /// The final write failed and the state was saved to this file instead
    /// (push it with `contin state push FILE`).
    pub errored_state: Option<PathBuf>,
    /// Output values after apply: name → (value, sensitive).
    pub outputs: BTreeMap<String, (Value, bool)>,
    /// Evaluating outputs failed (resources were applied; outputs kept as before).
    pub outputs_error: Option<String>,
}

/// How `apply`/`destroy` ended.
#[derive(Debug)]
// Returned once per apply: boxing the plan would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum ApplyResult {
    /// The plan had no changes: nothing was applied.
    NoChanges { plan: Plan, state: Option<State> },
    /// The front end declined the plan.
    Declined,
    /// Interrupted before anything was applied.
    Interrupted,
    Applied(ApplyOutcome),
}

use crate::state_ops::outputs_of;

impl Workspace {
    /// `contin apply` / `contin destroy` (`plan.destroy`): under the lock,
    /// plans, hands the plan to `review` (render it, ask for approval) and
    /// applies it when approved and it has changes.
    pub async fn apply<R, F>(&self, plan_opts: PlanOptions, opts: ApplyOptions, cancel: CancellationToken, review: R) -> Result<ApplyResult>
    where
        R: FnOnce(Arc<Plan>) -> F + Send + 'static,
        F: Future<Output = Approval> + Send,
    {
        let ws = self.clone();
        let operation = if plan_opts.destroy { "destroy" } else { "apply" };
        crate::lock::run_locked(&self.backend, operation, &self.events, async move {
            let Some(planned) = ws.plan_locked(&plan_opts, &cancel).await? else {
                return Ok(ApplyResult::Interrupted);
            };
            let plan = Arc::new(planned.plan);
            let answer = review(plan.clone()).await;
            if !plan.has_changes() {
                let plan = Arc::try_unwrap(plan).unwrap_or_else(|p| (*p).clone());
                let mut state = planned.state;
                // Documents a previous apply could not write are retried.
                if let Some(s) = state.as_mut() {
                    let sync = ws.sync_edge(s).await?;
                    ws.report_edge(&sync);
                    if !sync.failed.is_empty() {
                        return Err(EngineError::Invalid(crate::edge::failure_message(&sync)));
                    }
                }
                return Ok(ApplyResult::NoChanges { plan, state });
            }
            match answer {
                Approval::Yes => {}
                Approval::No => return Ok(ApplyResult::Declined),
                Approval::Interrupted => return Ok(ApplyResult::Interrupted),
                Approval::Refused(why) => return Err(EngineError::Invalid(why)),
            }
            if cancel.is_cancelled() {
                return Ok(ApplyResult::Interrupted);
            }
            let mut outcome = ws.apply_locked(&plan, planned.state, &opts, cancel).await?;
            ws.edge_after_apply(&mut outcome).await?;
            Ok(ApplyResult::Applied(outcome))
        })
        .await
    }

    /// `contin apply PLANFILE`: under the lock, refuses a stale plan, applies it.
    pub async fn apply_saved(&self, plan: Plan, opts: ApplyOptions, cancel: CancellationToken) -> Result<ApplyOutcome> {
        let ws = self.clone();
        let operation = if plan.mode == PlanMode::Destroy { "destroy" } else { "apply" };
        crate::lock::run_locked(&self.backend, operation, &self.events, async move {
            let state = ws.recovered_state(true).await?;
            check_fresh(&plan, state.as_ref())?;
            let mut outcome = ws.apply_locked(&plan, state, &opts, cancel).await?;
            ws.edge_after_apply(&mut outcome).await?;
            Ok(outcome)
        })
        .await
    }

    /// Applies `plan` on `state` (the caller holds the lock and checked freshness).
    async fn apply_locked(&self, plan: &Plan, state: Option<State>, opts: &ApplyOptions, cancel: CancellationToken) -> Result<ApplyOutcome> {
        // Apply evaluates the plan's own configuration snapshot, not today's
        // files; re-parse only when they differ (a saved plan after edits).
        let config = if plan.config_hash == contin_planner::walk::config_hash(&self.config) {
            self.config.clone()
        } else {
            let files: Vec<(String, String)> = plan.sources.files.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let (config, diags) = contin_config::modules::parse_sources(&files, &mut contin_planner::modules::instance_keys(&plan.variables));
            if diags.has_errors() {
                return Err(EngineError::diags(diags, &plan.sources));
            }
            Arc::new(config)
        };
        let io: Arc<dyn PlanIo> = Arc::new(self.io());
        let evaluator = ConfigEvaluator::new(config, plan.variables.clone(), (*self.schemas).clone(), io)
            .map_err(|d| EngineError::diags(d, &plan.sources))?
            .for_destroy(plan.mode == PlanMode::Destroy);
        let mut prior = match state {
            Some(s) => s,
            None => self.first_state(plan).await?,
        };
        // `moved` / `removed` statements: the changes use the new addresses.
        contin_planner::state_edits::apply_state_edits(&plan.language, &mut prior);
        // `import` blocks: the objects are recorded before the changes run.
        self.apply_import_blocks(plan, &mut prior).await?;
        let exec_opts = contin_executor::ApplyOptions {
            parallelism: opts.parallelism.max(1),
            provisioners: Some(Arc::new(crate::provisioners::EngineProvisioners { root: self.root.clone() })),
            ..contin_executor::ApplyOptions::default()
        };
        let reporter = Arc::new(ApplyEvents(self.events.clone()));
        // Every finished change is journaled (fsynced) before its dependants
        // start; the backend gets the final snapshot. The journal stays when
        // that write fails: the next run folds it into the state.
        let journal = self.start_journal(&prior)?;
        let outcome = contin_executor::apply_with_journal(
            plan,
            prior,
            &self.providers,
            self.backend.clone(),
            Arc::new(journal.clone()),
            Arc::new(evaluator),
            reporter,
            &exec_opts,
            cancel,
        )
        .await;
        if outcome.persist_error.is_none() {
            self.finish_journal(journal)?;
        }
        let errored_state = match &outcome.persist_error {
            Some(_) => self.save_if_unsaved(&outcome.state).await?,
            None => None,
        };
        Ok(ApplyOutcome {
            outputs: outputs_of(Some(&outcome.state)),
            failed: outcome.failed.iter().map(|(a, e)| (a.to_string(), e.clone())).collect(),
            skipped: outcome.skipped.iter().map(ToString::to_string).collect(),
            cancelled: outcome.cancelled,
            persist_error: outcome.persist_error,
            outputs_error: outcome.outputs_error,
            errored_state,
            state: outcome.state,
        })
    }

    /// After a failed state write: when the backend does not hold what the
    /// apply produced, writes it to `<root>/contin.errored.state` (0600).
    async fn save_if_unsaved(&self, state: &State) -> Result<Option<PathBuf>> {
        let stored = self.backend.load().await.ok().flatten();
        let saved = stored.is_some_and(|s| s.lineage == state.lineage && s.resources == state.resources && s.outputs == state.outputs);
        if saved {
            return Ok(None);
        }
        let path = self.root().join(ERRORED_STATE);
        let bytes = contin_state::codec::encode(state).map_err(|e| EngineError::state("encoding the state", e))?;
        crate::files::write_private(&path, &bytes)?;
        self.events.event(EngineEvent::ErroredStateWritten { path: path.clone() });
        Ok(Some(path))
    }

    /// The state of a first apply. When the plan creates anything, an empty state
    /// is written first so its lineage is durable: providers derive idempotency
    /// tokens and ownership tags from (lineage, address, generation), and a
    /// crash during the first apply must find the same lineage on re-apply.
    async fn first_state(&self, plan: &Plan) -> Result<State> {
        let mut state = State::new();
        if plan.changes.iter().any(|c| c.action != contin_planner::Action::NoOp) {
            state.serial = 1;
            self.backend.persist(&state, None).await.map_err(|e| EngineError::state("writing the initial state", e))?;
            self.events.event(EngineEvent::FirstStateWritten { lineage: state.lineage.clone() });
        }
        Ok(state)
    }

    /// Output values from the stored state (`contin output`).
    pub async fn outputs(&self) -> Result<BTreeMap<String, (Value, bool)>> {
        Ok(outputs_of(self.load_state().await?.as_ref()))
    }
}

/// Refuses a plan whose base (lineage, serial) no longer matches the stored state.
pub fn check_fresh(plan: &Plan, state: Option<&State>) -> Result<()> {
    let now = state.map(|s| (s.lineage.clone(), s.serial));
    let planned = match (&plan.lineage, plan.base_serial) {
        (Some(l), Some(s)) => Some((l.clone(), s)),
        _ => None,
    };
    if now == planned {
        return Ok(());
    }
    let show = |x: &Option<(String, u64)>| match x {
        Some((l, s)) => format!("lineage {l}, serial {s}"),
        None => "no state".to_string(),
    };
    Err(EngineError::StalePlan { planned: show(&planned), now: show(&now) })
}

/// A string literal as HCL writes it (JSON escaping, `${` and `%{` kept literal).
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string().replace("${", "$${").replace("%{", "%%{")
}

/// A value as an HCL expression that evaluates back to it (marks dropped,
/// unknowns as null): hands a saved plan's variables back to the evaluator.
pub fn hcl_literal(v: &Value) -> String {
    match v {
        Value::Null | Value::Unknown => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::List(items) => format!("[{}]", items.iter().map(hcl_literal).collect::<Vec<_>>().join(", ")),
        Value::Set(items) => format!("toset([{}])", items.iter().map(hcl_literal).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => format!("{{{}}}", m.iter().map(|(k, v)| format!("{} = {}", quote(k), hcl_literal(v))).collect::<Vec<_>>().join(", ")),
        Value::Sensitive(inner) => hcl_literal(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_literals_round_trip_shapes() {
        let v = Value::map([
            ("s", Value::string("a${b}%{c}\"\n")),
            ("l", Value::List(vec![Value::int(1), Value::Bool(true), Value::Null])),
            ("set", Value::set(vec![Value::string("x")])),
            ("secret", Value::string("pw").mark_sensitive()),
        ]);
        assert_eq!(hcl_literal(&v), r#"{"l" = [1, true, null], "s" = "a$${b}%%{c}\"\n", "secret" = "pw", "set" = toset(["x"])}"#);
    }
}
