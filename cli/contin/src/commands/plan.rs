//! `contin plan` and `contin show`.

use super::{engine_err, open_workspace, Ctx};
use crate::args::{PlanArgs, ShowArgs};
use crate::events::LineReporter;
use crate::prompt::interrupted_code;
use crate::seams;
use anyhow::Context as _;
use contin_engine::PlanOptions;
use contin_planner::Plan;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Exit code of `plan --detailed-exitcode` when there are changes.
pub const EXIT_CHANGES: i32 = 2;

pub async fn plan(ctx: &Ctx, args: &PlanArgs) -> anyhow::Result<i32> {
    let ws = open_workspace(ctx, &args.planning.vars, Arc::new(LineReporter::new(ctx.ui, args.json))).await?;
    let token = CancellationToken::new();
    crate::prompt::install_signal_handler(token.clone());
    let opts = PlanOptions {
        destroy: args.destroy,
        targets: args.planning.targets.clone(),
        refresh: args.planning.refresh,
        parallelism: args.parallelism as usize,
    };
    let Some(outcome) = ws.plan(opts, token).await.map_err(engine_err)? else {
        eprintln!("Plan interrupted.");
        return Ok(interrupted_code());
    };
    let plan = outcome.plan;
    if args.json {
        println!("{}", seams::plan_json(&plan)?);
    } else {
        print!("{}", seams::render_plan(&plan, ctx.ui.color));
    }
    if let Some(out) = &args.out {
        // Plan files hold variable values and state: owner-only (0600).
        contin_engine::files::write_private(&ws.resolve(out), &seams::encode_plan(&plan)).map_err(engine_err)?;
        if !args.json {
            println!(
                "\nSaved the plan to: {0}\n\nTo perform exactly these actions, run the following command to apply:\n    contin apply \"{0}\"",
                out.display()
            );
        }
    }
    let code = if args.detailed_exitcode && plan.has_changes() { EXIT_CHANGES } else { 0 };
    // The process exits right after this: freeing a 100k-resource plan,
    // state and configuration object by object costs ~10 % of the run
    // (bench/RESULTS.md), so the OS reclaims them instead.
    std::mem::forget((plan, outcome.state, Arc::clone(&ws.config)));
    Ok(code)
}

pub async fn show(ctx: &Ctx, args: &ShowArgs) -> anyhow::Result<i32> {
    if let Some(file) = &args.plan_file {
        let plan = read_plan_file(ctx, file)?;
        if args.json {
            println!("{}", seams::plan_json(&plan)?);
        } else {
            print!("{}", seams::render_plan(&plan, ctx.ui.color));
        }
        return Ok(0);
    }
    let ws = super::open_state_workspace(ctx).await?;
    let view = ws.state_view().await.map_err(engine_err)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view.json())?);
    } else {
        match &view.state {
            Some(s) if !s.resources.is_empty() || !s.outputs.is_empty() => print!("{}", super::state::render_state(&view)),
            _ => println!("The state is empty."),
        }
    }
    Ok(0)
}

/// Reads a plan file (relative to the configuration directory, bounded in size).
pub fn read_plan_file(ctx: &Ctx, file: &std::path::Path) -> anyhow::Result<Plan> {
    let path = ctx.dir.join(file);
    let bytes = contin_engine::files::read_bounded(&path, contin_engine::files::MAX_FILE_BYTES * 16)
        .map_err(|e| anyhow::anyhow!("reading the plan file {}: {e}", file.display()))?;
    seams::decode_plan(&bytes).with_context(|| format!("{} is not a contin plan file", file.display()))
}
