//! `contin drift`: the refresh-only comparison for scheduled jobs. Exit 0
//! when every object matches the state, 2 when something drifted, 1 on error.

use super::{CiOutputArgs, LockArgs, Report, Subject};
use crate::args::VarArgs;
use crate::commands::{engine_err, open_workspace, Ctx};
use crate::events::LineReporter;
use crate::prompt::interrupted_code;
use crate::ui::format_value;
use clap::Args;
use contin_engine::{DriftOptions, DriftReport};
use contin_types::Value;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Exit code of `contin drift` when something drifted.
pub const EXIT_DRIFT: i32 = 2;

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub outputs: CiOutputArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Concurrent provider reads.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: u32,
}

pub async fn drift(ctx: &Ctx, args: &DriftArgs) -> anyhow::Result<i32> {
    let ws = match open_workspace(ctx, &args.vars, Arc::new(LineReporter::new(ctx.ui, false))).await {
        Ok(ws) => ws,
        Err(e) => return Err(super::report_failure(ctx, "drift", &args.outputs, None, e)),
    };
    let ws = ws.with_lock_timeout(args.lock.lock_timeout.unwrap_or_default());
    let token = CancellationToken::new();
    crate::prompt::install_signal_handler(token.clone());
    let report = match ws.drift(DriftOptions { parallelism: args.parallelism as usize }, token).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            eprintln!("Drift check interrupted.");
            return Ok(interrupted_code());
        }
        Err(e) => return Err(super::report_failure(ctx, "drift", &args.outputs, Some(&ws), engine_err(e))),
    };
    print!("{}", render(&report));
    let mut r = Report::new("drift", Subject::Drift(&report)).with_config(&ws.config);
    r.diags = ws.warnings.clone();
    r.path_prefix = super::path_prefix(&ctx.dir);
    r.run_url = contin_engine::lock::ci_run_url(&|k| std::env::var(k).ok());
    super::finish(ws.root(), &args.outputs, &r, true)?;
    Ok(if report.has_drift() { EXIT_DRIFT } else { 0 })
}

/// The human report: each drifted object with each attribute, sensitive
/// values shown as `(sensitive value)`.
pub fn render(report: &DriftReport) -> String {
    let mut out = String::new();
    for u in &report.unreachable {
        out.push_str(&format!("Warning: {} could not be read ({}); it is kept as recorded.\n", u.addr, u.reason));
    }
    if !report.has_drift() {
        out.push_str(&format!("No drift: the {} object(s) in the state match their real objects.\n", report.checked.len()));
        return out;
    }
    out.push_str(&format!("Drift detected: {} of {} object(s) changed outside contin.\n\n", report.drifted.len(), report.checked.len()));
    for d in &report.drifted {
        if d.deleted {
            out.push_str(&format!("  - {}: deleted outside contin\n", d.addr));
            continue;
        }
        out.push_str(&format!("  ~ {}\n", d.addr));
        for a in &d.attributes {
            let name = if a.path.is_empty() { "(whole object)".to_string() } else { a.path_string() };
            if a.sensitive {
                out.push_str(&format!("      ~ {name}: (sensitive value)\n"));
                continue;
            }
            let show = |v: &Option<Value>| v.as_ref().map_or_else(|| "(absent)".to_string(), |v| one_line(&format_value(v)));
            out.push_str(&format!("      ~ {name}: {} -> {}\n", show(&a.recorded), show(&a.current)));
        }
    }
    out.push_str("\nRun `contin plan` to see what an apply would change back, or update the configuration to match.\n");
    out
}

/// A multi-line rendering folded onto one line.
fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}
