//! Provisioners (Terraform semantics).
//!
//! Creation-time provisioners run after a create (or the create half of a
//! replace) only. Before they start, the new object is recorded **tainted**
//! (journaled with a journal), so a crash or `kill -9` while they run
//! leaves a tainted object that the next apply replaces, never a lost one.
//! When they all succeed (or fail with `on_failure = continue`) the object
//! becomes ready; a failing one leaves it tainted and the change fails with
//! the address and the provisioner's `file:line`.
//!
//! Destroy-time provisioners (`when = destroy`) run just before the delete,
//! with `self` bound to the object being deleted; a failure keeps the
//! object (not deleted; they run again next time). They do not run for
//! tainted objects (Terraform alike), nor for objects whose block left the
//! configuration (nothing says what to run).
//!
//! Output lines become `ApplyEvent::ProvisionerOutput`; when a
//! provisioner's arguments hold a sensitive value, its output is replaced
//! by Terraform's "(output suppressed due to sensitive value in config)".

use crate::{ApplyEvent, Provisioners, Reporter};
use contin_planner::{InstanceValues, ProvisionerRun};
use contin_types::{InstanceKey, ResourceAddr, Value};
use std::sync::Arc;

/// Terraform's words for suppressed provisioner output.
pub const SUPPRESSED: &str = "(output suppressed due to sensitive value in config)";

/// Values of every instance, with one instance's value replaced (`self` of a
/// destroy-time provisioner is the object being deleted).
pub(crate) struct Overlay<'a> {
    pub(crate) base: &'a dyn InstanceValues,
    pub(crate) addr: &'a ResourceAddr,
    pub(crate) value: &'a Value,
}

impl InstanceValues for Overlay<'_> {
    fn instances(&self, resource: &ResourceAddr) -> Vec<(InstanceKey, Value)> {
        let mut v = self.base.instances(resource);
        if resource.resource() == self.addr.resource() {
            match v.iter_mut().find(|(k, _)| *k == self.addr.key) {
                Some(slot) => slot.1 = self.value.clone(),
                None => {
                    v.push((self.addr.key.clone(), self.value.clone()));
                    v.sort_by(|a, b| a.0.cmp(&b.0));
                }
            }
        }
        v
    }
    fn instance(&self, addr: &ResourceAddr) -> Option<Value> {
        if addr == self.addr {
            Some(self.value.clone())
        } else {
            self.base.instance(addr)
        }
    }
}

/// Runs `runs` in order; the first failure without `on_failure = continue`
/// stops them. The error names the address, the provisioner and where it is
/// declared.
pub(crate) async fn run_all(
    runner: Option<Arc<dyn Provisioners>>,
    addr: &ResourceAddr,
    runs: Vec<ProvisionerRun>,
    reporter: Arc<dyn Reporter>,
) -> Result<(), String> {
    for p in runs {
        let Some(runner) = runner.clone() else {
            return Err(format!(
                "{addr}: {} provisioner ({}) cannot run: this apply has no provisioner support",
                p.kind, p.declared_at
            ));
        };
        let suppressed = p.output_suppressed();
        let emit = {
            let reporter = reporter.clone();
            let addr = addr.clone();
            let kind = p.kind.clone();
            move |line: String| {
                reporter.event(ApplyEvent::ProvisionerOutput { addr: addr.clone(), provisioner: kind.clone(), line });
            }
        };
        if suppressed {
            emit(SUPPRESSED.to_string());
        }
        let quiet = |_: String| {};
        let sink: &(dyn Fn(String) + Send + Sync) = if suppressed { &quiet } else { &emit };
        match runner.run(addr, &p, sink).await {
            Ok(()) => {}
            Err(e) if p.on_failure_continue => {
                emit(format!("provisioner failed, continuing (on_failure = continue): {e}"));
            }
            Err(e) => return Err(format!("{addr}: {} provisioner error ({}): {e}", p.kind, p.declared_at)),
        }
    }
    Ok(())
}
