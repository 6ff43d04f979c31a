//! Parses every `*.hcl` file of a configuration directory into a typed
//! `Config` whose expressions keep their source spans, and formats HCL text
//! canonically (`contin fmt`).
//! Architecture invariant: no filesystem access here; callers pass file texts.

mod check;
mod fmt;
pub mod model;
mod parse;
mod split;
pub mod sites;

pub use fmt::format_source;
pub use model::*;
pub use parse::parse_files;
#[cfg(test)]
mod parse_tests;
