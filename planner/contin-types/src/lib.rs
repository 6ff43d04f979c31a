//! Shared vocabulary of contin: resource addresses, the dynamic `Value` type and
//! source-located diagnostics. Architecture invariant: no IO, no async.

pub mod addr;
pub mod base64;
pub mod diag;
pub mod suggest;
pub mod value;

pub use addr::{InstanceKey, ResourceAddr, ResourceMode};
pub use diag::{Diagnostic, Diagnostics, Severity, SourceLoc, SourceMap};
pub use value::{Number, Value};
