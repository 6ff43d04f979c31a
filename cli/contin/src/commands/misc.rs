//! `contin validate`, `graph` and `force-unlock`.

use super::{engine_err, Ctx, DiagnosticsError};
use crate::args::{ForceUnlockArgs, VarArgs};
use crate::prompt::{self, Answer, EXIT_INTERRUPTED};
use crate::seams;
use contin_engine::{EngineError, Workspace};
use tokio_util::sync::CancellationToken;

pub fn validate(ctx: &Ctx) -> anyhow::Result<i32> {
    let diags = match Workspace::validate(&ctx.dir) {
        Ok(d) => d,
        Err(EngineError::Diagnostics { diags, sources }) => return Err(DiagnosticsError { diags, sources }.into()),
        Err(e) => return Err(engine_err(e)),
    };
    if diags.has_errors() {
        // The engine returns the sources only with `Err`; render without snippets.
        return Err(DiagnosticsError { diags, sources: Default::default() }.into());
    }
    if !diags.is_empty() {
        eprint!("{}", seams::render_diagnostics(&diags, &Default::default(), ctx.ui.color));
    }
    println!("{}", ctx.ui.bold_green("Success! The configuration is valid."));
    Ok(0)
}

pub fn graph(ctx: &Ctx, _vars: &VarArgs) -> anyhow::Result<i32> {
    let dot = Workspace::graph_dot(&ctx.dir).map_err(engine_err)?;
    print!("{dot}");
    if !dot.ends_with('\n') {
        println!();
    }
    Ok(0)
}

pub async fn force_unlock(ctx: &Ctx, args: &ForceUnlockArgs) -> anyhow::Result<i32> {
    let ws = super::open_state_workspace(ctx).await?;
    if let Ok(Some(holder)) = ws.lock_holder().await {
        println!(
            "The state lock is held by {} (operation {}, since {}, lock ID {}).",
            holder.who, holder.operation, holder.created, holder.id
        );
        if let Some(line) = crate::ci::ci_run_line(&holder) {
            println!("{line}.");
        }
    }
    if !args.force {
        if !prompt::stdin_is_tty() {
            anyhow::bail!("refusing to force-unlock without confirmation: standard input is not a terminal; pass --force");
        }
        let token = CancellationToken::new();
        prompt::install_signal_handler(token.clone());
        let question = "Do you really want to force-unlock?\n  contin will remove the lock on the state.\n  \
                        This lets other contin commands write the state even though it may still be in use.\n  \
                        Only 'yes' will be accepted to confirm.";
        match prompt::confirm(question, &token).await? {
            Answer::Yes => {}
            Answer::No => {
                eprintln!("force-unlock cancelled.");
                return Ok(1);
            }
            Answer::Interrupted => return Ok(EXIT_INTERRUPTED),
        }
    }
    ws.force_unlock(&args.id).await.map_err(engine_err)?;
    println!("{}", ctx.ui.bold_green("contin state has been successfully unlocked!"));
    println!("The state has been unlocked, and contin commands should now be able to obtain a new lock on it.");
    Ok(0)
}
