//! Progress the engine reports while it works. Libraries never print: front
//! ends implement [`EventSink`] (or pass an mpsc sender) and render these.

use contin_executor::ApplyEvent;
use contin_types::{Diagnostics, ResourceAddr, SourceMap};
use std::path::PathBuf;
use std::sync::Arc;

/// One thing the engine did or is about to do.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// Reading the configuration directory.
    Loading { root: PathBuf },
    /// Non-fatal diagnostics from loading (render with the sources).
    Warnings { diags: Diagnostics, sources: SourceMap },
    /// Taking the state lock for `operation`.
    Locking { operation: String, backend: String },
    /// The lock is held (ID for messages).
    Locked { id: String },
    /// The lock was released.
    Unlocked { id: String },
    /// Releasing the lock failed: it must be removed by hand.
    UnlockFailed { id: String, error: String },
    /// Refreshing `total` recorded objects.
    RefreshStarted { total: usize },
    /// One object was read back from its provider.
    Refreshed { addr: ResourceAddr },
    /// Importing `id` into `addr` (before the provider call).
    Importing { addr: ResourceAddr, id: String },
    /// Planning (after refresh).
    Planning,
    /// The empty first state was written (its lineage is durable).
    FirstStateWritten { lineage: String },
    /// An executor event (per change, checkpoints, cancelling).
    Apply(ApplyEvent),
    /// A journal left by an interrupted apply was folded into the state:
    /// `changes` finished changes recovered; `unresolved_creates` were started
    /// but not confirmed (recorded tainted: the next apply replaces them and
    /// the provider adopts the object if it exists).
    JournalRecovered { path: PathBuf, changes: usize, unresolved_creates: Vec<String>, damaged_lines: usize },
    /// The final state write failed; the state was saved to `path` instead.
    ErroredStateWritten { path: PathBuf },
    /// A site's signed desired-state document was written to the edge mailbox.
    EdgeDocumentWritten { site: String, generation: u64, mailbox: String },
    /// Something the user should know that is not an error.
    Warning(String),
}

/// Receives engine events. Must be cheap: it is called from the apply loop.
pub trait EventSink: Send + Sync {
    fn event(&self, event: EngineEvent);
}

/// Discards every event.
pub struct NoEvents;

impl EventSink for NoEvents {
    fn event(&self, _event: EngineEvent) {}
}

impl EventSink for tokio::sync::mpsc::UnboundedSender<EngineEvent> {
    fn event(&self, event: EngineEvent) {
        // The receiver went away: nobody is listening, which is fine.
        let _ = self.send(event);
    }
}

/// Feeds executor events into an [`EventSink`].
pub(crate) struct ApplyEvents(pub Arc<dyn EventSink>);

impl contin_executor::Reporter for ApplyEvents {
    fn event(&self, event: ApplyEvent) {
        self.0.event(EngineEvent::Apply(event));
    }
}
