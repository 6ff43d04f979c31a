//! Parses every `*.tf`, `*.tf.json` and `*.hcl` file of a configuration directory (override files merged) into a typed
//! `Config` whose expressions keep their source spans, and formats HCL text
//! canonically (`contin fmt`).
//! Architecture invariant: no filesystem access here; callers pass file texts.

mod check;
mod fmt;
mod language;
pub mod model;
pub mod modules;
pub mod overrides;
mod parse;
mod provisioners;
pub mod terraform_block;
pub mod tfjson;
pub mod version;
mod split;
pub mod sites;

pub use fmt::format_source;
pub use model::*;
pub use parse::{parse_files, parse_files_with};
pub use terraform_block::check_required_providers;
pub use version::TERRAFORM_LANGUAGE_VERSION;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod files_tests;
#[cfg(test)]
mod provisioners_tests;
