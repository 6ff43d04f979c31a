//! Renders engine events: executor events as Terraform-like progress lines
//! (or JSON lines), load warnings, lock problems; counts what was done for
//! the final summary.

use crate::ui::{elapsed, Ui};
use contin_engine::{EngineEvent, EventSink};
use contin_executor::ApplyEvent;
use contin_planner::Action;
use contin_types::ResourceAddr;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Totals for "Apply complete! Resources: X added, Y changed, Z destroyed."
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    /// Counts one finished change (a replace adds and destroys).
    pub fn finished(&mut self, action: Action) {
        match action {
            Action::Create => self.added += 1,
            Action::Update => self.changed += 1,
            Action::Replace => {
                self.added += 1;
                self.destroyed += 1
            }
            Action::Delete => self.destroyed += 1,
            Action::Read | Action::NoOp => {}
        }
    }
}

#[derive(Default)]
struct Inner {
    tally: Tally,
    /// In-flight changes, for "Still creating..." lines.
    running: BTreeMap<ResourceAddr, (Action, Instant, u64)>,
}

/// Prints one line per event to stdout (failures to stderr).
pub struct LineReporter {
    ui: Ui,
    json: bool,
    warnings: bool,
    inner: Mutex<Inner>,
}

impl LineReporter {
    pub fn new(ui: Ui, json: bool) -> Self {
        LineReporter { ui, json, warnings: true, inner: Mutex::new(Inner::default()) }
    }

    /// Does not print load warnings (commands that only read state).
    pub fn without_warnings(mut self) -> Self {
        self.warnings = false;
        self
    }

    pub fn tally(&self) -> Tally {
        self.lock().tally
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while printing must not hide the summary: take the data anyway.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Prints "Still creating... [10s elapsed]" for changes running longer than
    /// `every` since their last such line. Called periodically by the apply command.
    pub fn tick(&self, every: Duration) {
        if self.json {
            return;
        }
        let mut inner = self.lock();
        let now = Instant::now();
        let mut lines = Vec::new();
        for (addr, (action, started, reported)) in inner.running.iter_mut() {
            let secs = now.duration_since(*started).as_secs();
            let step = every.as_secs().max(1);
            if secs >= step && secs / step > *reported {
                *reported = secs / step;
                lines.push(format!("{}: Still {}... [{}s elapsed]", self.ui.bold(&addr.to_string()), action.progressive(), (secs / step) * step));
            }
        }
        drop(inner);
        print_lines(&lines);
    }
}

fn print_lines(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    let _ = out.flush();
}

/// "Creating", "Modifying", … (after "Still").
fn started_word(action: Action) -> &'static str {
    match action {
        Action::Create => "Creating...",
        Action::Update => "Modifying...",
        Action::Replace => "Replacing...",
        Action::Delete => "Destroying...",
        Action::Read => "Reading...",
        Action::NoOp => "Refreshing...",
    }
}

fn finished_word(action: Action) -> &'static str {
    match action {
        Action::Create => "Creation complete",
        Action::Update => "Modifications complete",
        Action::Replace => "Replacement complete",
        Action::Delete => "Destruction complete",
        Action::Read => "Read complete",
        Action::NoOp => "Done",
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete => "delete",
    }
}

/// One JSON object per event (`contin apply --json`).
fn event_json(event: &ApplyEvent) -> serde_json::Value {
    use serde_json::json;
    match event {
        ApplyEvent::Started { addr, action } => json!({"type": "apply_start", "address": addr.to_string(), "action": action_name(*action)}),
        ApplyEvent::Finished { addr, action, took } => json!({"type": "apply_complete", "address": addr.to_string(), "action": action_name(*action), "elapsed_ms": took.as_millis() as u64}),
        ApplyEvent::Failed { addr, action, error } => json!({"type": "apply_errored", "address": addr.to_string(), "action": action_name(*action), "error": error}),
        ApplyEvent::Skipped { addr, action, reason } => json!({"type": "apply_skipped", "address": addr.to_string(), "action": action_name(*action), "reason": reason}),
        ApplyEvent::Checkpointed { serial, resources, took } => json!({"type": "state_checkpoint", "serial": serial, "resources": resources, "elapsed_ms": took.as_millis() as u64}),
        ApplyEvent::Cancelling => json!({"type": "cancelling"}),
        ApplyEvent::ProvisionerOutput { addr, provisioner, line } => {
            json!({"type": "provision_output", "address": addr.to_string(), "provisioner": provisioner, "output": line})
        }
    }
}

impl EventSink for LineReporter {
    fn event(&self, event: EngineEvent) {
        match event {
            EngineEvent::Apply(e) => self.apply_event(e),
            EngineEvent::Warnings { diags, sources } if self.warnings => {
                eprint!("{}", crate::seams::render_diagnostics(&diags, &sources, self.ui.color));
            }
            EngineEvent::UnlockFailed { id, error } => {
                self.ui.error(&format!("releasing the state lock failed: {error}\nRemove it with: contin force-unlock -force {id}"));
            }
            EngineEvent::Importing { addr, id } => println!("{addr}: Importing from ID {id:?}..."),
            EngineEvent::Warning(w) => self.ui.warn(&w),
            EngineEvent::JournalRecovered { path, changes, unresolved_creates, damaged_lines } => {
                let mut msg = format!("an interrupted apply left {changes} recorded change(s) in {}; they are now in the state", path.display());
                if !unresolved_creates.is_empty() {
                    msg.push_str(&format!(
                        "\n{} create(s) had started without confirmation and are marked tainted (the next apply creates or adopts them): {}",
                        unresolved_creates.len(),
                        unresolved_creates.join(", ")
                    ));
                }
                if damaged_lines > 0 {
                    msg.push_str(&format!("\n{damaged_lines} torn journal line(s) from the interruption were ignored"));
                }
                self.ui.warn(&msg);
            }
            EngineEvent::EdgeDocumentWritten { site, generation, mailbox } => {
                if self.json {
                    let v = serde_json::json!({"type": "edge_document_written", "site": site, "generation": generation, "mailbox": mailbox});
                    print_lines(&[v.to_string()]);
                } else {
                    let addr = format!("edge_site.{site}");
                    print_lines(&[format!("{}: desired state generation {generation} written to {mailbox}", self.ui.bold(&addr))]);
                }
            }
            // Phases are not shown as lines (Terraform prints none for them either).
            _ => {}
        }
    }
}

impl LineReporter {
    fn apply_event(&self, event: ApplyEvent) {
        let mut inner = self.lock();
        match &event {
            ApplyEvent::Started { addr, action } => {
                inner.running.insert(addr.clone(), (*action, Instant::now(), 0));
            }
            ApplyEvent::Finished { addr, action, .. } => {
                inner.running.remove(addr);
                inner.tally.finished(*action);
            }
            ApplyEvent::Failed { addr, .. } => {
                inner.running.remove(addr);
                inner.tally.failed += 1;
            }
            ApplyEvent::Skipped { .. } => inner.tally.skipped += 1,
            ApplyEvent::Checkpointed { .. } | ApplyEvent::Cancelling | ApplyEvent::ProvisionerOutput { .. } => {}
        }
        drop(inner);
        if self.json {
            print_lines(&[event_json(&event).to_string()]);
            return;
        }
        let ui = self.ui;
        match event {
            ApplyEvent::Started { addr, action } => {
                print_lines(&[format!("{}: {}", ui.bold(&addr.to_string()), started_word(action))]);
            }
            ApplyEvent::Finished { addr, action, took } => {
                print_lines(&[format!("{}: {} after {}", ui.bold(&addr.to_string()), finished_word(action), elapsed(took))]);
            }
            ApplyEvent::Failed { addr, error, .. } => {
                let addr = addr.to_string();
                if error.starts_with(&addr) {
                    ui.error(&error);
                } else {
                    ui.error(&format!("{addr}: {error}"));
                }
            }
            ApplyEvent::Skipped { addr, reason, .. } => {
                print_lines(&[format!("{}: Skipped ({reason})", ui.bold(&addr.to_string()))]);
            }
            ApplyEvent::Checkpointed { .. } => {}
            ApplyEvent::Cancelling => {
                eprintln!("Stopping: no new changes start; waiting for the ones in progress to finish...");
            }
            // Terraform's form: `null_resource.x (local-exec): hello`.
            ApplyEvent::ProvisionerOutput { addr, provisioner, line } => {
                print_lines(&[format!("{} ({provisioner}): {line}", ui.bold(&addr.to_string()))]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_finished_changes() {
        let r = LineReporter::new(Ui { color: false }, true);
        let a: ResourceAddr = "local_file.a".parse().unwrap_or_else(|e| panic!("{e}"));
        for action in [Action::Create, Action::Replace, Action::Update, Action::Delete] {
            r.apply_event(ApplyEvent::Started { addr: a.clone(), action });
            r.apply_event(ApplyEvent::Finished { addr: a.clone(), action, took: Duration::ZERO });
        }
        r.apply_event(ApplyEvent::Failed { addr: a.clone(), action: Action::Create, error: "boom".into() });
        r.event(EngineEvent::Apply(ApplyEvent::Skipped { addr: a, action: Action::Create, reason: "dependency failed".into() }));
        assert_eq!(r.tally(), Tally { added: 2, changed: 1, destroyed: 2, failed: 1, skipped: 1 });
    }

    #[test]
    fn events_have_json_lines() {
        let a: ResourceAddr = "fake_resource.x[\"k\"]".parse().unwrap_or_else(|e| panic!("{e}"));
        let j = event_json(&ApplyEvent::Failed { addr: a, action: Action::Update, error: "nope".into() });
        assert_eq!(j.to_string(), r#"{"action":"update","address":"fake_resource.x[\"k\"]","error":"nope","type":"apply_errored"}"#);
    }
}
