//! The seam between the executor and configuration evaluation at apply time:
//! values unknown at plan time ("known after apply") are evaluated again once
//! the resources they reference have been applied.

use contin_types::{Diagnostics, InstanceKey, ResourceAddr, Value};
use std::collections::BTreeMap;

/// Current values of resource instances during apply (with sensitive marks).
pub trait InstanceValues: Send + Sync {
    /// All instances of one resource (`addr` has `InstanceKey::None`), sorted by key.
    fn instances(&self, resource: &ResourceAddr) -> Vec<(InstanceKey, Value)>;
}

/// Re-evaluates configuration with applied values. Implemented by the planner
/// over the plan's configuration snapshot; pure.
pub trait ApplyEvaluator: Send + Sync {
    /// The final desired configuration of one instance (no `Unknown`s left
    /// for anything that depends only on applied resources).
    fn final_config(&self, addr: &ResourceAddr, values: &dyn InstanceValues) -> Result<Value, Diagnostics>;
    /// Final output values: name → (value, sensitive).
    fn outputs(&self, values: &dyn InstanceValues) -> Result<BTreeMap<String, (Value, bool)>, Diagnostics>;
}
