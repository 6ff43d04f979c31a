//! Journal integration (ARCHITECTURE §4) and deposed objects.
//!
//! With a journal (`apply_with_journal`):
//! - a create's `Intent` is appended (durable) before its provider call;
//! - each finished change appends `Put` / `Remove` of the instance's record,
//!   and the node counts as done (its dependants may start) only once that
//!   record is durable;
//! - records are group-committed: while one append is in flight, everything
//!   that finishes meanwhile is buffered and goes out in the next single
//!   write + fsync, so N changes cost far fewer than N fsyncs;
//! - intermediate snapshots are not written; the final snapshot is.
//!
//! Without a journal nodes are done as soon as their effect is in the
//! working state, and periodic checkpoints protect it (as before).
//!
//! Deposed objects (with or without a journal): when the new object of a
//! `create_before_destroy` replace is recorded, the old one is kept in the
//! instance's `deposed` list under a fresh key; a successful delete drops
//! it, a failed one leaves it recorded for the next plan, which plans its
//! destroy (`Plan::deposed`). Such a destroy deletes the object with its
//! recorded attributes and, on success, drops its key from the instance's
//! record (a `Put`; the record goes when nothing is left of it).

use super::{NodeKind, OpFailure, Run};
use contin_planner::Action;
use contin_state::journal::{new_deposed_key, Journal, JournalRecord};
use contin_state::{DeposedObject, ResourceStatus, StateError};
use contin_types::ResourceAddr;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::task::{JoinError, JoinHandle};

pub(super) type JournalResult = (Result<(), StateError>, Vec<usize>);

#[derive(Default)]
pub(super) struct Journaling {
    pub(super) journal: Option<Arc<dyn Journal>>,
    /// Records waiting for the next append.
    buf: Vec<JournalRecord>,
    /// Nodes whose records are in `buf`: done once it is durable.
    waiting: Vec<usize>,
    pub(super) in_flight: Option<JoinHandle<JournalResult>>,
    /// Per change: key of the old object deposed by its create_before_destroy replace.
    deposed_keys: HashMap<usize, String>,
    pub(super) error: Option<String>,
}

impl Journaling {
    pub(super) fn new(journal: Option<Arc<dyn Journal>>) -> Self {
        Journaling {
            journal,
            ..Journaling::default()
        }
    }

    /// Nothing buffered and nothing being written.
    pub(super) fn idle(&self) -> bool {
        self.in_flight.is_none() && self.buf.is_empty() && self.waiting.is_empty()
    }
}

/// The intent a create task writes before calling its provider.
pub(super) type Intent = Option<(Arc<dyn Journal>, JournalRecord)>;

/// Appends `intent` and waits until it is durable; the create is not sent otherwise.
pub(super) async fn write_intent(intent: Intent, addr: &ResourceAddr) -> Result<(), OpFailure> {
    let Some((journal, record)) = intent else {
        return Ok(());
    };
    journal.append(vec![record]).await.map_err(|e| {
        OpFailure::from(format!(
            "{addr}: create not sent: its intent could not be written to the {}: {e}",
            journal.describe()
        ))
    })
}

impl Run<'_> {
    /// The intent record for a create about to start (`None` without a journal).
    pub(super) fn intent_for(&self, n: usize, generation: u64) -> Intent {
        let journal = self.jr.journal.clone()?;
        let change = self.change_of(n);
        Some((
            journal,
            JournalRecord::Intent {
                addr: change.addr.clone(),
                provider: change.provider.clone(),
                generation,
            },
        ))
    }

    /// After `record(n)`: deposed-object bookkeeping, then the node is done
    /// (no journal) or waits for its records to be durable.
    pub(super) fn finished_and_recorded(&mut self, n: usize) {
        let records = self.deposed_and_records(n);
        if self.jr.journal.is_some() {
            self.jr.buf.extend(records);
            self.jr.waiting.push(n);
        } else {
            self.node_done(n);
        }
    }

    /// Buffers `records` for the next journal append (nothing without a journal).
    pub(super) fn jr_extend(&mut self, records: Vec<JournalRecord>) {
        if self.jr.journal.is_some() {
            self.jr.buf.extend(records);
        }
    }

    /// Buffers `record`; node `n` is done once it is durable.
    pub(super) fn jr_push(&mut self, record: JournalRecord, n: usize) {
        self.jr.buf.push(record);
        self.jr.waiting.push(n);
    }

    /// Node `n` is done once everything buffered is durable.
    pub(super) fn jr_wait(&mut self, n: usize) {
        self.jr.waiting.push(n);
    }

    /// A failed node: a part-way create is recorded `Tainted` (replaced by
    /// the next plan); its records are journaled, and a clean create failure
    /// closes its intent.
    pub(super) fn failed_after_record(&mut self, n: usize, partial_recorded: bool) {
        let ci = self.graph.nodes[n].change;
        let change = self.changes[ci];
        let is_create = self.graph.nodes[n].kind == NodeKind::Forward
            && matches!(change.action, Action::Create | Action::Replace);
        if partial_recorded {
            if is_create {
                if let Some(rs) = self.state.resources.get_mut(&change.addr) {
                    rs.status = ResourceStatus::Tainted;
                }
            }
            let records = self.deposed_and_records(n);
            if self.jr.journal.is_some() {
                self.jr.buf.extend(records);
            }
        } else if is_create && self.jr.journal.is_some() {
            self.jr.buf.push(JournalRecord::Abandon {
                addr: change.addr.clone(),
            });
        }
    }

    /// Keeps the old object of a create_before_destroy replace as deposed
    /// when the new one is recorded, drops it when it is deleted; returns
    /// what the journal must record for node `n`.
    pub(super) fn deposed_and_records(&mut self, n: usize) -> Vec<JournalRecord> {
        let ci = self.graph.nodes[n].change;
        let change = self.changes[ci];
        let addr = &change.addr;
        let cbd = self.graph.cbd[ci];
        match self.graph.nodes[n].kind {
            NodeKind::Forward => {
                // `record` kept the deposed objects not deleted yet; the
                // old object of a create_before_destroy replace joins them.
                let mut added = None;
                if cbd && change.action == Action::Replace {
                    if let Some(old) = self.prior.resources.get(addr).filter(|p| !p.attributes.is_null()) {
                        let key = new_deposed_key();
                        added = Some(DeposedObject {
                            key: key.clone(),
                            attributes: old.attributes.clone(),
                            sensitive_paths: old.sensitive_paths.clone(),
                            generation: old.generation,
                        });
                        self.jr.deposed_keys.insert(ci, key);
                    }
                }
                match self.state.resources.get_mut(addr) {
                    Some(rs) => {
                        rs.deposed.extend(added);
                        vec![JournalRecord::Put(Box::new(rs.clone()))]
                    }
                    None => Vec::new(),
                }
            }
            NodeKind::Destroy if cbd => {
                let Some(key) = self.jr.deposed_keys.remove(&ci) else {
                    return Vec::new();
                };
                match self.state.resources.get_mut(addr) {
                    Some(rs) => {
                        rs.deposed.retain(|d| d.key != key);
                        self.ckpt.dirty_version += 1;
                        vec![JournalRecord::Put(Box::new(rs.clone()))]
                    }
                    None => Vec::new(),
                }
            }
            // A deposed object's destroy, or a delete: the record is gone,
            // or kept for deposed objects not deleted yet.
            NodeKind::Destroy => match self.state.resources.get(addr) {
                Some(rs) => vec![JournalRecord::Put(Box::new(rs.clone()))],
                None => vec![JournalRecord::Remove { addr: addr.clone() }],
            },
            // Gates join blocks; they change nothing and are never run as operations.
            NodeKind::Gate => Vec::new(),
        }
    }

    /// A deposed object of change `ci`'s instance was deleted: its key
    /// leaves the record, and a record with neither a current object nor
    /// deposed objects left goes.
    pub(super) fn drop_deposed(&mut self, ci: usize) {
        let Some(key) = self.deposed_keys[ci] else { return };
        let addr = &self.changes[ci].addr;
        let Some(rs) = self.state.resources.get_mut(addr) else { return };
        rs.deposed.retain(|d| d.key != key);
        if rs.deposed.is_empty() && rs.attributes.is_null() && rs.status == ResourceStatus::Ready {
            self.state.resources.remove(addr);
        }
        self.ckpt.dirty_version += 1;
    }

    /// Writes refreshed values of unchanged instances (`NoOp` changes, whose
    /// `after` is the refreshed object) into the state, so a value that
    /// drifted back to match the configuration is not kept stale forever.
    /// With a journal they are recorded in its first batch.
    pub(super) fn write_back_refreshed(&mut self) {
        for c in &self.plan.changes {
            if c.action != Action::NoOp {
                continue;
            }
            let Some(after) = c.after.as_ref().filter(|a| a.is_wholly_known()) else { continue };
            let Some(rs) = self.state.resources.get_mut(&c.addr) else { continue };
            if rs.attributes.is_null() {
                continue;
            }
            let (plain, mut paths) = after.unmark_deep();
            let json = plain.to_json_lossy();
            if json == rs.attributes {
                continue;
            }
            paths.extend(rs.sensitive_paths.iter().cloned());
            paths.sort();
            paths.dedup();
            rs.attributes = json;
            rs.sensitive_paths = paths;
            self.ckpt.dirty_version += 1;
            if self.jr.journal.is_some() {
                self.jr.buf.push(JournalRecord::Put(Box::new(rs.clone())));
            }
        }
    }

    /// Starts an append of everything buffered when none is in flight.
    pub(super) fn start_journal_batch(&mut self) {
        if self.jr.in_flight.is_some() || (self.jr.buf.is_empty() && self.jr.waiting.is_empty()) {
            return;
        }
        let Some(journal) = self.jr.journal.clone() else {
            return;
        };
        let records = std::mem::take(&mut self.jr.buf);
        let nodes = std::mem::take(&mut self.jr.waiting);
        if self.jr.error.is_some() {
            // The journal already failed: nothing more is durable; the
            // effects stay in the working state for the final snapshot.
            for n in nodes {
                self.node_done(n);
            }
            return;
        }
        self.jr.in_flight = Some(tokio::spawn(async move {
            let r = if records.is_empty() {
                Ok(())
            } else {
                journal.append(records).await
            };
            (r, nodes)
        }));
    }

    /// An append finished: its nodes are done; a failure stops new work.
    pub(super) fn journal_batch_done(&mut self, r: Result<JournalResult, JoinError>) {
        self.jr.in_flight = None;
        let nodes = match r {
            Ok((Ok(()), nodes)) => nodes,
            Ok((Err(e), nodes)) => {
                self.journal_failed(e.to_string());
                nodes
            }
            Err(e) => {
                self.journal_failed(format!("journal write aborted: {e}"));
                Vec::new()
            }
        };
        for n in nodes {
            self.node_done(n);
        }
    }

    fn journal_failed(&mut self, msg: String) {
        let describe = self
            .jr
            .journal
            .as_ref()
            .map_or_else(|| "journal".to_string(), |j| j.describe());
        let msg = format!("writing the {describe} failed: {msg}");
        if self.stop_reason.is_none() {
            self.stop_reason = Some(format!("changes could not be made durable ({msg})"));
        }
        if self.jr.error.is_none() {
            self.jr.error = Some(msg);
        }
    }

    /// Writes whatever is still buffered (failures recorded at the end).
    pub(super) async fn flush_journal(&mut self) {
        loop {
            if let Some(h) = self.jr.in_flight.take() {
                let r = h.await;
                self.journal_batch_done(r);
            }
            self.start_journal_batch();
            if self.jr.in_flight.is_none() {
                return;
            }
        }
    }
}
