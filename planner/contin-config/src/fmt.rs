//! Canonical formatting (placeholder).
use contin_types::Diagnostic;
pub fn format_source(text: &str) -> Result<String, Diagnostic> { Ok(text.to_string()) }
