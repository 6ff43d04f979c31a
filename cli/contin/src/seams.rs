//! The calls into crates written in parallel (plan rendering, plan codec,
//! diagnostics rendering), kept in one place so the
//! commands do not depend on their exact shapes.

use contin_planner::Plan;
use contin_types::{Diagnostics, SourceMap};

/// The human plan (`terraform plan` style).
pub fn render_plan(plan: &Plan, color: bool) -> String {
    contin_planner::render::render_plan(plan, color)
}

/// The documented JSON plan, pretty-printed.
pub fn plan_json(plan: &Plan) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&contin_planner::json::plan_to_json(plan))?)
}

/// Bytes of a plan file.
pub fn encode_plan(plan: &Plan) -> Vec<u8> {
    contin_planner::codec::encode_plan(plan)
}

/// Reads a plan file's bytes.
pub fn decode_plan(bytes: &[u8]) -> anyhow::Result<Plan> {
    Ok(contin_planner::codec::decode_plan(bytes)?)
}

/// Diagnostics with file:line:col and snippets.
pub fn render_diagnostics(diags: &Diagnostics, sources: &SourceMap, color: bool) -> String {
    crate::diagnostics::render_diagnostics(diags, sources, color)
}
