//! `contin apply [PLANFILE]` and `contin destroy`: the engine locks, plans
//! (or checks the saved plan is fresh) and applies; this renders the plan,
//! asks for approval, prints progress and the summary.

use super::{engine_err, open_workspace, Ctx};
use crate::args::{ApplyArgs, DestroyArgs, ExecArgs, PlanningArgs};
use crate::events::{LineReporter, Tally};
use crate::prompt::{self, interrupted_code, Answer};
use crate::seams;
use crate::ui::{format_value, Ui};
use contin_engine::{ApplyOptions, ApplyOutcome, ApplyResult, Approval, PlanOptions, Workspace};
use contin_planner::{Plan, PlanMode};
use contin_types::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub async fn apply(ctx: &Ctx, args: &ApplyArgs) -> anyhow::Result<i32> {
    if args.exec.dashboard {
        return super::dashboard::apply(ctx, args.plan_file.as_deref(), &args.planning, &args.exec, args.destroy).await;
    }
    match &args.plan_file {
        Some(file) => apply_saved(ctx, file, args).await,
        None => plan_and_apply(ctx, &args.planning, &args.exec, args.destroy).await,
    }
}

pub async fn destroy(ctx: &Ctx, args: &DestroyArgs) -> anyhow::Result<i32> {
    if args.exec.dashboard {
        return super::dashboard::apply(ctx, None, &args.planning, &args.exec, true).await;
    }
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
    let (plan, sealed) = super::plan::read_plan_file_sealed(ctx, file, args.exec.ci.plan_key_env.as_deref())?;
    let reporter = Arc::new(LineReporter::new(ctx.ui, args.exec.json));
    // The plan records the variables it was made with; they win over every other source.
    let opts = contin_engine::WorkspaceOptions {
        env_vars: super::env_vars(),
        plan_variables: plan.variables.clone(),
        events: reporter.clone(),
        ..contin_engine::WorkspaceOptions::default()
    };
    let ws = Workspace::open(&ctx.dir, opts).await.map_err(engine_err)?.with_lock_timeout(args.exec.ci.lock.lock_timeout.unwrap_or_default());
    check_sealed_config(sealed, file, &plan, &ws)?;
    let token = CancellationToken::new();
    prompt::install_signal_handler(token.clone());
    let destroy = plan.mode == PlanMode::Destroy;
    if !args.exec.json {
        println!();
    }
    let ticker = start_ticker(&reporter);
    let run = ws.apply_saved(plan, apply_options(&args.exec), token).await;
    ticker.abort();
    finish(ctx, &ws, &reporter, run.map_err(engine_err)?, &args.exec, destroy)
}

fn apply_options(exec: &ExecArgs) -> ApplyOptions {
    ApplyOptions { parallelism: exec.parallelism as usize }
}

/// Prints "Still creating..." lines every 10 s for long changes.
fn start_ticker(reporter: &Arc<LineReporter>) -> tokio::task::JoinHandle<()> {
    let reporter = reporter.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            reporter.tick(Duration::from_secs(10));
        }
    })
}

async fn plan_and_apply(ctx: &Ctx, planning: &PlanningArgs, exec: &ExecArgs, destroy: bool) -> anyhow::Result<i32> {
    let reporter = Arc::new(LineReporter::new(ctx.ui, exec.json));
    let ws = open_workspace(ctx, &planning.vars, reporter.clone()).await?.with_lock_timeout(exec.ci.lock.lock_timeout.unwrap_or_default());
    if exec.json && !exec.auto_approve {
        anyhow::bail!("--json prints no plan to approve: use it with --auto-approve (or apply a saved plan file)");
    }
    let token = CancellationToken::new();
    prompt::install_signal_handler(token.clone());
    let plan_opts = PlanOptions { destroy, targets: planning.targets.clone(), refresh: planning.refresh, parallelism: exec.parallelism as usize };
    let review = {
        let (ui, json, auto_approve, token) = (ctx.ui, exec.json, exec.auto_approve, token.clone());
        move |plan: Arc<Plan>| async move { review(ui, &plan, json, auto_approve, destroy, &token).await }
    };
    let ticker = start_ticker(&reporter);
    let result = ws.apply(plan_opts, apply_options(exec), token, review).await;
    ticker.abort();
    match result.map_err(engine_err)? {
        ApplyResult::NoChanges { state, .. } => {
            let outputs = contin_engine::state_ops::outputs_of(state.as_ref());
            if exec.json {
                print_json_summary(&ApplyProblems::default(), Tally::default(), state.as_ref().map(|s| s.serial), &outputs);
            } else {
                println!("\n{}", ctx.ui.bold_green(&complete_line(destroy, Tally::default())));
                if !destroy {
                    print_outputs(&outputs);
                }
            }
            Ok(0)
        }
        ApplyResult::Declined => {
            eprintln!("{}", if destroy { "Destroy cancelled." } else { "Apply cancelled." });
            Ok(1)
        }
        ApplyResult::Interrupted => {
            eprintln!("Apply cancelled.");
            Ok(interrupted_code())
        }
        ApplyResult::Applied(run) => finish(ctx, &ws, &reporter, run, exec, destroy),
    }
}

/// Shows the plan and asks for approval (unless there is nothing to do or `-auto-approve`).
async fn review(ui: Ui, plan: &Plan, json: bool, auto_approve: bool, destroy: bool, token: &CancellationToken) -> Approval {
    if !json {
        print!("{}", seams::render_plan(plan, ui.color));
    }
    if !plan.has_changes() {
        return Approval::Yes;
    }
    if !auto_approve {
        if !prompt::stdin_is_tty() {
            return Approval::Refused(format!(
                "refusing to {} without approval: standard input is not a terminal.\n\
                 Review the plan above and pass --auto-approve (or -auto-approve) to apply it non-interactively.",
                if destroy { "destroy" } else { "apply" }
            ));
        }
        let question = if destroy {
            "Do you really want to destroy all resources?\n  contin will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm."
        } else {
            "Do you want to perform these actions?\n  contin will perform the actions described above.\n  Only 'yes' will be accepted to approve."
        };
        match prompt::confirm(question, token).await {
            Ok(Answer::Yes) => {}
            Ok(Answer::No) => return Approval::No,
            Ok(Answer::Interrupted) => return Approval::Interrupted,
            Err(e) => return Approval::Refused(format!("reading the answer: {e}")),
        }
    }
    if !json {
        println!();
    }
    Approval::Yes
}

/// Prints the summary; the result is the exit code.
fn finish(ctx: &Ctx, ws: &Workspace, reporter: &LineReporter, run: ApplyOutcome, exec: &ExecArgs, destroy: bool) -> anyhow::Result<i32> {
    let tally = reporter.tally();
    if exec.json {
        let problems = ApplyProblems {
            failed: run.failed.clone(),
            skipped: run.skipped.clone(),
            cancelled: run.cancelled,
            persist_error: run.persist_error.clone(),
            outputs_error: run.outputs_error.clone(),
            errored_state: run.errored_state.as_ref().map(|p| p.display().to_string()),
        };
        print_json_summary(&problems, tally, Some(run.state.serial), &run.outputs);
    } else {
        print_summary(ctx.ui, &run, tally, destroy, &|addr| ws.resource_location(addr));
    }
    Ok(exit_code(&run, destroy))
}

/// 130/143 interrupted, 1 when anything failed, else 0. After a destroy the
/// outputs have nothing left to evaluate, so an output error does not count.
fn exit_code(run: &ApplyOutcome, destroy: bool) -> i32 {
    if run.cancelled {
        interrupted_code()
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

fn print_summary(ui: Ui, run: &ApplyOutcome, tally: Tally, destroy: bool, locate: &dyn Fn(&str) -> Option<String>) {
    if let Some(msg) = &run.persist_error {
        ui.error(&format!("saving the state failed: {msg}"));
    }
    if let Some(path) = &run.errored_state {
        ui.error(&format!(
            "the final state could not be saved to the backend; it was written to {} instead.\n\
             Fix the backend, then run:\n    contin state push {}",
            path.display(),
            contin_engine::ERRORED_STATE
        ));
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
            // `ADDR: …`, or `ADDR (deposed object KEY): …` for a deposed object.
            let (object, err) = match err.strip_prefix(addr.as_str()) {
                Some(rest) if rest.starts_with(" (deposed object ") => match rest.split_once("): ") {
                    Some((key, rest)) => (format!("{addr}{key})"), rest),
                    None => (addr.to_string(), err.as_str()),
                },
                Some(rest) => (addr.to_string(), rest.strip_prefix(": ").unwrap_or(err)),
                None => (addr.to_string(), err.as_str()),
            };
            match locate(addr) {
                Some(loc) => msg.push_str(&format!("  {object} ({loc}): {err}\n")),
                None => msg.push_str(&format!("  {object}: {err}\n")),
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
struct ApplyProblems {
    failed: Vec<(String, String)>,
    skipped: Vec<String>,
    cancelled: bool,
    persist_error: Option<String>,
    outputs_error: Option<String>,
    errored_state: Option<String>,
}

fn print_json_summary(p: &ApplyProblems, t: Tally, serial: Option<u64>, outputs: &BTreeMap<String, (Value, bool)>) {
    let mut summary = serde_json::json!({
        "type": "apply_summary",
        "added": t.added, "changed": t.changed, "destroyed": t.destroyed,
        "failed": p.failed.iter().map(|(a, e)| serde_json::json!({"address": a, "error": e})).collect::<Vec<_>>(),
        "skipped": p.skipped,
        "cancelled": p.cancelled,
        "persist_error": p.persist_error,
        "outputs_error": p.outputs_error,
        "state_serial": serial,
    });
    if let (Some(path), Some(obj)) = (&p.errored_state, summary.as_object_mut()) {
        obj.insert("errored_state".into(), serde_json::json!(path));
    }
    println!("{summary}");
    let outputs: serde_json::Map<String, serde_json::Value> = outputs
        .iter()
        .map(|(k, (v, sensitive))| {
            let value = if *sensitive { serde_json::Value::Null } else { contin_engine::state_ops::redact(v).0 };
            (k.clone(), serde_json::json!({"sensitive": sensitive, "value": value}))
        })
        .collect();
    println!("{}", serde_json::json!({"type": "outputs", "outputs": outputs}));
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

/// The summary of an apply whose progress was shown elsewhere (the
/// dashboard, `commands/dashboard.rs`); `tally` counts its finished changes.
pub(super) fn report(ctx: &Ctx, ws: &Workspace, result: ApplyResult, destroy: bool, tally: Tally) -> anyhow::Result<i32> {
    match result {
        ApplyResult::NoChanges { state, .. } => {
            println!("\n{}", ctx.ui.bold_green(&complete_line(destroy, Tally::default())));
            if !destroy {
                print_outputs(&contin_engine::state_ops::outputs_of(state.as_ref()));
            }
            Ok(0)
        }
        ApplyResult::Declined => {
            eprintln!("{}", if destroy { "Destroy cancelled." } else { "Apply cancelled." });
            Ok(1)
        }
        ApplyResult::Interrupted => {
            eprintln!("Apply cancelled.");
            Ok(interrupted_code())
        }
        ApplyResult::Applied(run) => {
            print_summary(ctx.ui, &run, tally, destroy, &|addr| ws.resource_location(addr));
            Ok(exit_code(&run, destroy))
        }
    }
}

/// An encrypted (`sealed`) plan is bound to the configuration it was made
/// from too: refuses it when the directory's configuration hash changed.
pub(super) fn check_sealed_config(sealed: bool, file: &std::path::Path, plan: &contin_planner::Plan, ws: &Workspace) -> anyhow::Result<()> {
    if !sealed {
        return Ok(());
    }
    let now = contin_planner::walk::config_hash(&ws.config);
    if now != plan.config_hash {
        anyhow::bail!(
            "the encrypted plan {} was made from another configuration (config hash {}, the directory now hashes to {}): \
             the configuration changed since the plan; run plan again",
            file.display(),
            plan.config_hash,
            now
        );
    }
    Ok(())
}
