//! Applies a `Plan`: walks its instance DAG with bounded parallelism,
//! creates/updates in dependency order and deletes in reverse, checkpoints
//! state as changes finish (cost linear in N), skips dependants of failures,
//! and stops cleanly on cancellation. Reports through `ApplyEvent`s.

use contin_planner::Action;
use contin_types::ResourceAddr;
use std::time::Duration;

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
}

/// Receives events; implemented by the CLI (lines, progress, dashboard).
pub trait Reporter: Send + Sync {
    fn event(&self, event: ApplyEvent);
}

#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Concurrent provider operations (`--parallelism`, default 10).
    pub parallelism: usize,
    /// Minimum spacing between state checkpoints.
    pub checkpoint_interval: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { parallelism: 10, checkpoint_interval: Duration::from_millis(250) }
    }
}

// To be implemented (executor task) with exactly this entry point:
//
// pub struct ApplyOutcome {
//     pub state: contin_state::State,          // final state as persisted
//     pub failed: Vec<(ResourceAddr, String)>, // error text names the address
//     pub skipped: Vec<ResourceAddr>,
//     pub cancelled: bool,
//     pub persist_error: Option<String>,       // a checkpoint write failed (lost lock, conflict)
// }
// pub async fn apply(
//     plan: &contin_planner::Plan,
//     prior: contin_state::State,
//     providers: &std::collections::BTreeMap<String, std::sync::Arc<dyn contin_provider::Provider>>,
//     backend: std::sync::Arc<dyn contin_state::Backend>,
//     evaluator: std::sync::Arc<dyn contin_planner::ApplyEvaluator>,
//     reporter: std::sync::Arc<dyn Reporter>,
//     opts: &ApplyOptions,
//     cancel: tokio_util::sync::CancellationToken,
// ) -> ApplyOutcome
