//! Parses every `*.hcl` file of a configuration directory into a typed
//! `Config` whose expressions keep their source spans.
//! Architecture invariant: no filesystem access here; callers pass file texts.

pub mod model;

pub use model::*;
