//! Applies a `Plan`: walks its instance DAG with bounded parallelism,
//! creates/updates in dependency order and deletes in reverse, checkpoints
//! state as changes finish (cost linear in N), skips dependants of failures,
//! and stops cleanly on cancellation. Reports through `ApplyEvent`s.

use contin_planner::Action;
use contin_types::ResourceAddr;
use std::time::Duration;

mod graph;
mod provision;
mod run;
mod values;
#[cfg(test)]
mod tests;

/// What happened during apply, for the CLI to render.
#[derive(Clone, Debug, PartialEq)]
pub enum ApplyEvent {
    Started { addr: ResourceAddr, action: Action },
    Finished { addr: ResourceAddr, action: Action, took: Duration },
    Failed { addr: ResourceAddr, action: Action, error: String },
    /// Not started because a dependency failed or apply was cancelled.
    Skipped { addr: ResourceAddr, action: Action, reason: String },
    /// State written to the backend.
    Checkpointed { serial: u64, resources: usize, took: Duration },
    /// Cancellation requested: no new starts; in-flight work finishes.
    Cancelling,
    /// One line of a provisioner's output (or Terraform's
    /// "(output suppressed due to sensitive value in config)" in its place).
    ProvisionerOutput { addr: ResourceAddr, provisioner: String, line: String },
}

/// Receives events; implemented by the CLI (lines, progress, dashboard).
pub trait Reporter: Send + Sync {
    fn event(&self, event: ApplyEvent);
}

#[derive(Clone)]
pub struct ApplyOptions {
    /// Concurrent provider operations (`--parallelism`, default 10).
    pub parallelism: usize,
    /// Minimum spacing between state checkpoints.
    pub checkpoint_interval: Duration,
    /// Runs `provisioner` blocks; without it an instance that has any fails
    /// (its object recorded tainted).
    pub provisioners: Option<std::sync::Arc<dyn Provisioners>>,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("parallelism", &self.parallelism)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("provisioners", &self.provisioners.is_some())
            .finish()
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { parallelism: 10, checkpoint_interval: Duration::from_millis(250), provisioners: None }
    }
}

pub use contin_planner::{ProvisionerRun, ProvisionerWhen};

/// Where provisioner output lines go (already prefixed by nothing: the
/// executor wraps each in an `ApplyEvent::ProvisionerOutput`).
pub type OutputSink<'a> = &'a (dyn Fn(String) + Send + Sync);

/// Runs one evaluated provisioner (the IO: local processes, SSH). Supplied
/// by the caller; the executor decides when (after create, before delete)
/// and what a failure does (taint, `on_failure`).
pub trait Provisioners: Send + Sync {
    /// Runs `run` for the instance `addr`, sending output lines to
    /// `output`. The error says what failed and never holds the command or
    /// any argument value (they may be secret).
    fn run<'a>(
        &'a self,
        addr: &'a ResourceAddr,
        run: &'a ProvisionerRun,
        output: OutputSink<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;
}

/// The result of an apply.
#[derive(Debug)]
pub struct ApplyOutcome {
    /// Final state as persisted. When `persist_error` is set and the last
    /// save failed too, this is the unsaved working state (for the CLI to
    /// offer writing it elsewhere).
    pub state: contin_state::State,
    /// Failed changes; the error text names the address.
    pub failed: Vec<(ResourceAddr, String)>,
    /// Changes not (fully) applied because a dependency failed, apply was
    /// cancelled, or a checkpoint could not be written.
    pub skipped: Vec<ResourceAddr>,
    /// The cancellation token fired during apply.
    pub cancelled: bool,
    /// A checkpoint write failed (lost lock, conflict, IO). Work stopped at
    /// that point; the message says whether the final save succeeded.
    pub persist_error: Option<String>,
    /// Evaluating the outputs failed; `state.outputs` kept its prior value.
    pub outputs_error: Option<String>,
}

impl ApplyOutcome {
    /// True when everything planned was applied and saved.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && !self.cancelled
            && self.persist_error.is_none()
            && self.outputs_error.is_none()
    }
}

/// Applies `plan` on top of `prior` (the state the plan was made against;
/// `prior.serial == 0` means nothing has been stored yet, so the first write
/// passes `expected_serial = None`). The caller holds the backend lock and
/// has checked that the plan is not stale. Never panics on input; every
/// problem ends up in the outcome.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    plan: &contin_planner::Plan,
    prior: contin_state::State,
    providers: &std::collections::BTreeMap<String, std::sync::Arc<dyn contin_provider::Provider>>,
    backend: std::sync::Arc<dyn contin_state::Backend>,
    evaluator: std::sync::Arc<dyn contin_planner::ApplyEvaluator>,
    reporter: std::sync::Arc<dyn Reporter>,
    opts: &ApplyOptions,
    cancel: tokio_util::sync::CancellationToken,
) -> ApplyOutcome {
    run::Run::new(plan, prior, providers, backend, evaluator, reporter, opts, cancel, None).execute().await
}

/// `apply` with a journal (`contin_state::journal`): every create's intent
/// is durable before its provider call, every finished change's record is
/// durable before its dependants start (group-committed: one write + fsync
/// per batch), and only the final snapshot is written to `backend`.
///
/// The journal must have been created for `prior` (`base_serial ==
/// prior.serial`, same lineage). After this returns with no
/// `persist_error`, the snapshot holds everything: the caller drops the
/// journal writer and removes the file. With a `persist_error` the journal
/// still holds every change (replayed on the next run) and
/// `ApplyOutcome::state` is the unsaved state.
#[allow(clippy::too_many_arguments)]
pub async fn apply_with_journal(
    plan: &contin_planner::Plan,
    prior: contin_state::State,
    providers: &std::collections::BTreeMap<String, std::sync::Arc<dyn contin_provider::Provider>>,
    backend: std::sync::Arc<dyn contin_state::Backend>,
    journal: std::sync::Arc<dyn contin_state::journal::Journal>,
    evaluator: std::sync::Arc<dyn contin_planner::ApplyEvaluator>,
    reporter: std::sync::Arc<dyn Reporter>,
    opts: &ApplyOptions,
    cancel: tokio_util::sync::CancellationToken,
) -> ApplyOutcome {
    run::Run::new(plan, prior, providers, backend, evaluator, reporter, opts, cancel, Some(journal)).execute().await
}
