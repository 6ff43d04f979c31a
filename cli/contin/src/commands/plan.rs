//! `contin plan` and `contin show`.

use super::{engine_err, load_workspace, Ctx, StateLock};
use crate::args::{PlanArgs, ShowArgs};
use crate::engine::{self, PlanOptions, Workspace};
use crate::prompt::EXIT_INTERRUPTED;
use crate::seams;
use anyhow::Context as _;
use contin_planner::Plan;
use contin_state::State;
use tokio_util::sync::CancellationToken;

/// Exit code of `plan --detailed-exitcode` when there are changes.
pub const EXIT_CHANGES: i32 = 2;

pub async fn plan(ctx: &Ctx, args: &PlanArgs) -> anyhow::Result<i32> {
    let ws = load_workspace(ctx, &args.planning.vars).await?;
    let token = CancellationToken::new();
    crate::prompt::install_signal_handler(token.clone());
    let opts = PlanOptions { destroy: args.destroy, targets: args.planning.targets.clone(), refresh: args.planning.refresh };
    let lock = StateLock::acquire(&ws.backend, "plan").await?;
    let planned = plan_locked(&ws, &opts, &token).await;
    lock.release(ctx.ui).await;
    let Some((plan, _state)) = planned? else {
        eprintln!("Plan interrupted.");
        return Ok(EXIT_INTERRUPTED);
    };

    if args.json {
        println!("{}", seams::plan_json(&plan)?);
    } else {
        print!("{}", seams::render_plan(&plan, ctx.ui.color));
    }
    if let Some(out) = &args.out {
        let bytes = seams::encode_plan(&plan);
        std::fs::write(out, bytes).with_context(|| format!("writing the plan file {}", out.display()))?;
        if !args.json {
            println!(
                "\nSaved the plan to: {0}\n\nTo perform exactly these actions, run the following command to apply:\n    contin apply \"{0}\"",
                out.display()
            );
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() { EXIT_CHANGES } else { 0 })
}

/// Loads state and plans; `None` when interrupted (planning does no writes, so it is dropped).
pub async fn plan_locked(
    ws: &Workspace,
    opts: &PlanOptions,
    token: &CancellationToken,
) -> anyhow::Result<Option<(Plan, Option<State>)>> {
    let state = engine::load_state(ws).await.map_err(engine_err)?;
    tokio::select! {
        plan = engine::plan(ws, state.as_ref(), opts) => Ok(Some((plan.map_err(engine_err)?, state))),
        _ = token.cancelled() => Ok(None),
    }
}

pub async fn show(ctx: &Ctx, args: &ShowArgs) -> anyhow::Result<i32> {
    if let Some(file) = &args.plan_file {
        let plan = read_plan_file(file)?;
        if args.json {
            println!("{}", seams::plan_json(&plan)?);
        } else {
            print!("{}", seams::render_plan(&plan, ctx.ui.color));
        }
        return Ok(0);
    }
    let ws = super::load_state_workspace(ctx).await?;
    let state = engine::load_state(&ws).await.map_err(engine_err)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&super::state::state_json(state.as_ref()))?);
    } else {
        match &state {
            Some(s) if !s.resources.is_empty() || !s.outputs.is_empty() => print!("{}", super::state::render_state(s)),
            _ => println!("The state is empty."),
        }
    }
    Ok(0)
}

pub fn read_plan_file(file: &std::path::Path) -> anyhow::Result<Plan> {
    let bytes = std::fs::read(file).with_context(|| format!("reading the plan file {}", file.display()))?;
    seams::decode_plan(&bytes).with_context(|| format!("{} is not a contin plan file", file.display()))
}
