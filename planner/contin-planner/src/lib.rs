//! Computes a `Plan` from a prepared `PlanningInput` (config, state,
//! refreshed values, provider schemas), renders it, and encodes plan files.
//! Architecture invariant: no IO; deterministic for equal inputs.

pub mod apply_eval;
pub mod conditions;
pub mod imports;
pub mod state_edits;
mod instance;
pub mod io;
pub mod modules;
mod scope;
pub mod walk;
pub mod plan;
pub mod render;
pub mod json;
pub mod codec;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod marks_tests;
#[cfg(test)]
mod modules_tests;

pub use apply_eval::{ApplyEvaluator, ConfigEvaluator, InstanceValues, ProvisionerRun, ProvisionerWhen, ValuesByAddress};
pub use io::{NoIo, PlanIo};
pub use walk::{block_dependencies, plan, PlanningInput};
pub use plan::*;
