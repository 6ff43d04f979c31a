//! `contin apply [PLANFILE]` and `contin destroy`: lock, plan (or read the
//! saved plan and check it is fresh), approve, apply with progress lines,
//! summarize, unlock — on every path.

use super::plan::{plan_locked, read_plan_file};
use super::{engine_err, load_workspace, Ctx, StateLock};
use crate::args::{ApplyArgs, DestroyArgs, ExecArgs, PlanningArgs, VarArgs};
use crate::engine::{self, ApplyRun, PlanOptions, Workspace};
use crate::events::{LineReporter, Tally};
use crate::prompt::{self, Answer, EXIT_INTERRUPTED};
use crate::seams;
use crate::ui::{format_value, Ui};
use contin_executor::ApplyOptions;
use contin_planner::{Plan, PlanMode};
use contin_state::State;
use contin_types::Value;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub async fn apply(ctx: &Ctx, args: &ApplyArgs) -> anyhow::Result<i32> {
    match &args.plan_file {
        Some(file) => apply_saved(ctx, file, args).await,
        None => plan_and_apply(ctx, &args.planning, &args.exec, args.destroy).await,
    }
}

pub async fn destroy(ctx: &Ctx, args: &DestroyArgs) -> anyhow::Result<i32> {
    plan_and_apply(ctx, &args.planning, &args.exec, true).await
}

/// `contin apply PLANFILE`: no prompt (the plan was reviewed), refused when stale.
async fn apply_saved(ctx: &Ctx, file: &std::path::Path, args: &ApplyArgs) -> anyhow::Result<i32> {
    let p = &args.planning;
    if !p.vars.vars.is_empty() || !p.vars.var_files.is_empty() || !p.targets.is_empty() || args.destroy {
        anyhow::bail!(
            "a saved plan already records its variables, targets and mode: \
             --var, --var-file, --target and --destroy cannot be used with a plan file"
        );
    }
    let plan = read_plan_file(file)?;
    // The plan records the variables it was made with: hand them back to the
    // engine as a variables file (it wins over defaults, env and auto files).
    let vars_file = plan_variables_file(&plan)?;
    let vars = VarArgs { vars: Vec::new(), var_files: vars_file.iter().map(|f| f.path().to_path_buf()).collect() };
    let ws = load_workspace(ctx, &vars).await?;
    drop(vars_file);
    let token = CancellationToken::new();
    prompt::install_signal_handler(token.clone());
    let destroy = plan.mode == PlanMode::Destroy;
    let lock = StateLock::acquire(&ws.backend, if destroy { "destroy" } else { "apply" }).await?;
    let result = async {
        let state = engine::load_state(&ws).await.map_err(engine_err)?;
        engine::check_fresh(&plan, state.as_ref()).map_err(engine_err)?;
        run_apply(ctx, &ws, &plan, state, &args.exec, destroy, &token).await
    }
    .await;
    lock.release(ctx.ui).await;
    result
}

/// A temporary variables file with the plan's variables (`None` when it has none).
fn plan_variables_file(plan: &Plan) -> anyhow::Result<Option<tempfile::NamedTempFile>> {
    if plan.variables.is_empty() {
        return Ok(None);
    }
    let mut f = tempfile::Builder::new().prefix("contin-plan-vars-").suffix(".tfvars").tempfile()?;
    for (name, value) in &plan.variables {
        writeln!(f, "{name} = {}", crate::ui::hcl_literal(value))?;
    }
    f.flush()?;
    Ok(Some(f))
}

async fn plan_and_apply(ctx: &Ctx, planning: &PlanningArgs, exec: &ExecArgs, destroy: bool) -> anyhow::Result<i32> {
    let ws = load_workspace(ctx, &planning.vars).await?;
    let token = CancellationToken::new();
    prompt::install_signal_handler(token.clone());
    let lock = StateLock::acquire(&ws.backend, if destroy { "destroy" } else { "apply" }).await?;
    let result = plan_and_apply_locked(ctx, &ws, planning, exec, destroy, &token).await;
    lock.release(ctx.ui).await;
    result
}

async fn plan_and_apply_locked(
    ctx: &Ctx,
    ws: &Workspace,
    planning: &PlanningArgs,
    exec: &ExecArgs,
    destroy: bool,
    token: &CancellationToken,
) -> anyhow::Result<i32> {
    if exec.json && !exec.auto_approve {
        anyhow::bail!("--json prints no plan to approve: use it with --auto-approve (or apply a saved plan file)");
    }
    let opts = PlanOptions { destroy, targets: planning.targets.clone(), refresh: planning.refresh };
    let Some((plan, state)) = plan_locked(ws, &opts, token).await? else {
        eprintln!("Apply cancelled.");
        return Ok(EXIT_INTERRUPTED);
    };
    if !exec.json {
        print!("{}", seams::render_plan(&plan, ctx.ui.color));
    }
    if !plan.has_changes() {
        let outputs = outputs_of(state.as_ref());
        if exec.json {
            print_json_summary(&Default::default(), Tally::default(), state.as_ref().map(|s| s.serial), &outputs);
        } else {
            println!("\n{}", ctx.ui.bold_green(&complete_line(destroy, Tally::default())));
            if !destroy {
                print_outputs(&outputs);
            }
        }
        return Ok(0);
    }
    if !exec.auto_approve {
        if !prompt::stdin_is_tty() {
            anyhow::bail!(
                "refusing to {} without approval: standard input is not a terminal.\n\
                 Review the plan above and pass --auto-approve (or -auto-approve) to apply it non-interactively.",
                if destroy { "destroy" } else { "apply" }
            );
        }
        let question = if destroy {
            "Do you really want to destroy all resources?\n  contin will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm."
        } else {
            "Do you want to perform these actions?\n  contin will perform the actions described above.\n  Only 'yes' will be accepted to approve."
        };
        match prompt::confirm(question, token).await? {
            Answer::Yes => {}
            Answer::No => {
                eprintln!("{}", if destroy { "Destroy cancelled." } else { "Apply cancelled." });
                return Ok(1);
            }
            Answer::Interrupted => {
                eprintln!("Apply cancelled.");
                return Ok(EXIT_INTERRUPTED);
            }
        }
    }
    run_apply(ctx, ws, &plan, state, exec, destroy, token).await
}

/// Applies with progress lines and prints the summary; the result is the exit code.
async fn run_apply(
    ctx: &Ctx,
    ws: &Workspace,
    plan: &Plan,
    state: Option<State>,
    exec: &ExecArgs,
    destroy: bool,
    token: &CancellationToken,
) -> anyhow::Result<i32> {
    let ui = ctx.ui;
    let reporter = Arc::new(LineReporter::new(ui, exec.json));
    let ticker = {
        let reporter = reporter.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            loop {
                interval.tick().await;
                reporter.tick(Duration::from_secs(10));
            }
        })
    };
    let opts = ApplyOptions { parallelism: exec.parallelism as usize, ..ApplyOptions::default() };
    if !exec.json {
        println!();
    }
    let run = engine::apply(ws, plan, state, reporter.clone(), &opts, token.clone()).await;
    ticker.abort();
    let run = run.map_err(engine_err)?;
    let tally = reporter.tally();
    if exec.json {
        let problems = Problems {
            failed: run.failed.clone(),
            skipped: run.skipped.clone(),
            cancelled: run.cancelled,
            persist_error: run.persist_error.clone(),
            outputs_error: run.outputs_error.clone(),
        };
        print_json_summary(&problems, tally, Some(run.state.serial), &run.outputs);
    } else {
        print_summary(ui, &run, tally, destroy, &|addr| resource_location(ws, addr));
    }
    Ok(exit_code(&run, destroy))
}

/// 130 interrupted, 1 when anything failed, else 0. After a destroy the
/// outputs have nothing left to evaluate, so an output error does not count.
fn exit_code(run: &ApplyRun, destroy: bool) -> i32 {
    if run.cancelled {
        EXIT_INTERRUPTED
    } else if !run.failed.is_empty() || run.persist_error.is_some() || (run.outputs_error.is_some() && !destroy) {
        1
    } else {
        0
    }
}

fn complete_line(destroy: bool, t: Tally) -> String {
    if destroy {
        format!("Destroy complete! Resources: {} destroyed.", t.destroyed)
    } else {
        format!("Apply complete! Resources: {} added, {} changed, {} destroyed.", t.added, t.changed, t.destroyed)
    }
}

/// `file:line:col` of the block declaring the resource at `addr` (an instance
/// address such as `aws_instance.web[0]`), when it is still in the configuration.
fn resource_location(ws: &Workspace, addr: &str) -> Option<String> {
    let a: contin_types::ResourceAddr = addr.parse().ok()?;
    let r = ws.config.resources.iter().find(|r| r.mode == a.mode && r.ty == a.ty && r.name == a.name)?;
    Some(ws.config.sources.describe(&r.loc))
}

fn print_summary(ui: Ui, run: &ApplyRun, tally: Tally, destroy: bool, locate: &dyn Fn(&str) -> Option<String>) {
    if let Some(msg) = &run.persist_error {
        ui.error(&format!("saving the state failed: {msg}"));
    }
    if run.cancelled {
        eprintln!(
            "\nApply interrupted: {} change(s) not started. Resources: {} added, {} changed, {} destroyed. \
             What finished is recorded in the state; run apply again to continue.",
            run.skipped.len(),
            tally.added,
            tally.changed,
            tally.destroyed
        );
    } else if !run.failed.is_empty() {
        let mut msg = format!(
            "apply failed: {} change(s) failed, {} skipped because of them. Resources: {} added, {} changed, {} destroyed.\n",
            run.failed.len(),
            run.skipped.len(),
            tally.added,
            tally.changed,
            tally.destroyed
        );
        for (addr, err) in &run.failed {
            let err = err.strip_prefix(addr.as_str()).and_then(|e| e.strip_prefix(": ")).unwrap_or(err);
            match locate(addr) {
                Some(loc) => msg.push_str(&format!("  {addr} ({loc}): {err}\n")),
                None => msg.push_str(&format!("  {addr}: {err}\n")),
            }
        }
        msg.push_str("What succeeded is recorded in the state. Fix the problem and run apply again to finish the rest.");
        eprintln!();
        ui.error(&msg);
    } else if run.persist_error.is_none() {
        println!("\n{}", ui.bold_green(&complete_line(destroy, tally)));
    }
    if !destroy && !run.cancelled && run.failed.is_empty() {
        print_outputs(&run.outputs);
    }
    if let (Some(msg), false) = (&run.outputs_error, destroy) {
        ui.error(&format!("evaluating the outputs failed (the resources were applied; the outputs keep their previous values): {msg}"));
    }
}

/// What went wrong in an apply, for the JSON summary.
#[derive(Default)]
struct Problems {
    failed: Vec<(String, String)>,
    skipped: Vec<String>,
    cancelled: bool,
    persist_error: Option<String>,
    outputs_error: Option<String>,
}

fn print_json_summary(p: &Problems, t: Tally, serial: Option<u64>, outputs: &BTreeMap<String, (Value, bool)>) {
    let summary = serde_json::json!({
        "type": "apply_summary",
        "added": t.added, "changed": t.changed, "destroyed": t.destroyed,
        "failed": p.failed.iter().map(|(a, e)| serde_json::json!({"address": a, "error": e})).collect::<Vec<_>>(),
        "skipped": p.skipped,
        "cancelled": p.cancelled,
        "persist_error": p.persist_error,
        "outputs_error": p.outputs_error,
        "state_serial": serial,
    });
    println!("{summary}");
    let outputs: serde_json::Map<String, serde_json::Value> = outputs
        .iter()
        .map(|(k, (v, sensitive))| {
            let value = if *sensitive { serde_json::Value::Null } else { v.to_json_lossy() };
            (k.clone(), serde_json::json!({"sensitive": sensitive, "value": value}))
        })
        .collect();
    println!("{}", serde_json::json!({"type": "outputs", "outputs": outputs}));
}

/// Output values recorded in a state: name → (value, sensitive).
pub fn outputs_of(state: Option<&State>) -> BTreeMap<String, (Value, bool)> {
    state
        .map(|s| {
            s.outputs
                .iter()
                .map(|(k, o)| (k.clone(), (Value::from_json(&o.value), o.sensitive)))
                .collect()
        })
        .unwrap_or_default()
}

/// "Outputs:" then `name = value` lines; sensitive ones as `<sensitive>`.
pub fn print_outputs(outputs: &BTreeMap<String, (Value, bool)>) {
    if outputs.is_empty() {
        return;
    }
    println!("\nOutputs:\n");
    for (name, (value, sensitive)) in outputs {
        if *sensitive || value.is_sensitive() {
            println!("{name} = <sensitive>");
        } else {
            println!("{name} = {}", format_value(value));
        }
    }
}
