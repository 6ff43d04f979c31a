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
    let ci = &args.ci;
    let ws = match open_workspace(ctx, &args.planning.vars, Arc::new(LineReporter::new(ctx.ui, args.json))).await {
        Ok(ws) => ws.with_lock_timeout(ci.lock.lock_timeout.unwrap_or_default()),
        Err(e) => return Err(crate::ci::report_failure(ctx, "plan", &ci.outputs, None, e)),
    };
    // The key is checked before planning, so a missing one fails fast.
    let key = ci.plan_key_env.as_deref().map(crate::ci::sealed::key_from_env).transpose()?;
    if key.is_some() && args.out.is_none() {
        anyhow::bail!("-plan-key-env encrypts the plan file: use it with -out FILE");
    }
    let token = CancellationToken::new();
    crate::prompt::install_signal_handler(token.clone());
    let opts = PlanOptions {
        destroy: args.destroy,
        targets: args.planning.targets.clone(),
        refresh: args.planning.refresh,
        parallelism: args.parallelism as usize,
    };
    let planned = match ws.plan(opts, token).await {
        Ok(p) => p,
        Err(e) => return Err(crate::ci::report_failure(ctx, "plan", &ci.outputs, Some(&ws), engine_err(e))),
    };
    let Some(outcome) = planned else {
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
        let mut bytes = seams::encode_plan(&plan);
        if let Some(key) = &key {
            bytes = crate::ci::sealed::seal(&plan, &bytes, key)?;
        }
        contin_engine::files::write_private(&ws.resolve(out), &bytes).map_err(engine_err)?;
        if !args.json {
            println!(
                "\nSaved the plan to: {0}\n\nTo perform exactly these actions, run the following command to apply:\n    contin apply \"{0}\"",
                out.display()
            );
        }
    }
    let mut report = crate::ci::Report::new("plan", crate::ci::Subject::Plan(&plan)).with_config(&ws.config);
    report.diags = ws.warnings.clone();
    report.fail_on_destroy = ci.fail_on_destroy;
    report.path_prefix = crate::ci::path_prefix(&ctx.dir);
    report.run_url = contin_engine::lock::ci_run_url(&|k| std::env::var(k).ok());
    crate::ci::finish(ws.root(), &ci.outputs, &report, !args.json)?;
    drop(report);
    let code = if ci.fail_on_destroy && crate::ci::plan_destroys(&plan) {
        eprintln!("The plan deletes or replaces objects and -fail-on-destroy is set: exit code {}.", crate::ci::EXIT_DESTROY);
        crate::ci::EXIT_DESTROY
    } else if args.detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        0
    };
    // The process exits right after this: freeing a 100k-resource plan,
    // state and configuration object by object costs ~10 % of the run
    // (bench/RESULTS.md), so the OS reclaims them instead.
    std::mem::forget((plan, outcome.state, Arc::clone(&ws.config)));
    Ok(code)
}

pub async fn show(ctx: &Ctx, args: &ShowArgs) -> anyhow::Result<i32> {
    if let Some(file) = &args.plan_file {
        let plan = read_plan_file_sealed(ctx, file, args.plan_key_env.as_deref())?.0;
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

/// Reads a plan file (relative to the configuration directory, bounded in
/// size), decrypting it with the key in environment variable
/// `key_env` (`-plan-key-env`). An encrypted file needs the key; with a key,
/// only an encrypted file is accepted. True when the file was encrypted.
pub fn read_plan_file_sealed(ctx: &Ctx, file: &std::path::Path, key_env: Option<&str>) -> anyhow::Result<(Plan, bool)> {
    let path = ctx.dir.join(file);
    let bytes = contin_engine::files::read_bounded(&path, contin_engine::files::MAX_FILE_BYTES * 16)
        .map_err(|e| anyhow::anyhow!("reading the plan file {}: {e}", file.display()))?;
    let sealed = crate::ci::sealed::is_sealed(&bytes);
    match (sealed, key_env) {
        (false, None) => Ok((seams::decode_plan(&bytes).with_context(|| format!("{} is not a contin plan file", file.display()))?, false)),
        (true, None) => anyhow::bail!("{} is an encrypted plan file: pass -plan-key-env VAR naming the environment variable that holds its key", file.display()),
        (false, Some(var)) => anyhow::bail!("{} is not encrypted, but -plan-key-env {var} expects an encrypted plan file; refusing it", file.display()),
        (true, Some(var)) => {
            let key = crate::ci::sealed::key_from_env(var)?;
            let (inner, header) = crate::ci::sealed::open(&bytes, &key).with_context(|| format!("opening the encrypted plan file {}", file.display()))?;
            let plan = seams::decode_plan(&inner).with_context(|| format!("{} does not hold a contin plan", file.display()))?;
            crate::ci::sealed::check_binding(&plan, &header).with_context(|| file.display().to_string())?;
            Ok((plan, true))
        }
    }
}
