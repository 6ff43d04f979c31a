//! Command implementations and what they share: the context, loading a
//! workspace, holding the state lock, and turning engine errors into CLI errors.

mod apply;
mod fmt;
mod import;
mod init;
mod misc;
mod output;
mod plan;
mod state;

use crate::args::{Command, StateCommand, VarArgs};
use crate::engine::{self, EngineError, LoadOptions, Workspace};
use crate::ui::Ui;
use contin_state::{Backend, LockInfo};
use contin_types::{Diagnostics, SourceMap};
use std::path::PathBuf;
use std::sync::Arc;

/// What every command gets.
pub struct Ctx {
    pub ui: Ui,
    /// The configuration directory as the engine sees it (we already changed into it).
    pub dir: PathBuf,
}

impl Ctx {
    pub fn load_options(&self, vars: &VarArgs) -> LoadOptions {
        LoadOptions { dir: self.dir.clone(), var_files: vars.var_files.clone(), vars: vars.vars.clone(), state_only: false }
    }
}

/// Configuration diagnostics carried through `anyhow` to `main`, which renders them.
#[derive(Debug)]
pub struct DiagnosticsError {
    pub diags: Diagnostics,
    pub sources: SourceMap,
}

impl std::fmt::Display for DiagnosticsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.diags)
    }
}

impl std::error::Error for DiagnosticsError {}

pub fn engine_err(e: EngineError) -> anyhow::Error {
    match e {
        EngineError::Diagnostics(diags, sources) => DiagnosticsError { diags, sources }.into(),
        EngineError::Other(e) => e,
    }
}

/// Loads the configuration directory and prints its warnings.
pub async fn load_workspace(ctx: &Ctx, vars: &VarArgs) -> anyhow::Result<Workspace> {
    let ws = engine::load(&ctx.load_options(vars)).await.map_err(engine_err)?;
    if !ws.warnings.is_empty() {
        eprint!("{}", crate::seams::render_diagnostics(&ws.warnings, &ws.config.sources, ctx.ui.color));
    }
    Ok(ws)
}

/// Loads only what reading or editing state needs: no variables required,
/// providers left unconfigured.
pub async fn load_state_workspace(ctx: &Ctx) -> anyhow::Result<Workspace> {
    let opts = LoadOptions { state_only: true, ..ctx.load_options(&VarArgs::default()) };
    engine::load(&opts).await.map_err(engine_err)
}

/// A held state lock; call `release` on every path (errors included).
pub struct StateLock {
    backend: Arc<dyn Backend>,
    info: LockInfo,
}

impl StateLock {
    /// Takes the lock or fails naming the holder (`StateError::Locked`).
    pub async fn acquire(backend: &Arc<dyn Backend>, operation: &str) -> anyhow::Result<StateLock> {
        let info = crate::seams::lock_info(operation, backend.as_ref());
        backend.lock(&info).await.map_err(|e| match e {
            contin_state::StateError::Locked(holder) => anyhow::anyhow!(
                "{}\n\ncontin acquires a state lock to protect the state from being written by \
                 several processes at once. If the holder crashed, remove the lock with:\n    contin force-unlock {}",
                contin_state::StateError::Locked(holder.clone()),
                holder.id
            ),
            other => anyhow::Error::from(other).context("acquiring the state lock"),
        })?;
        Ok(StateLock { backend: backend.clone(), info })
    }

    pub async fn release(self, ui: Ui) {
        if let Err(e) = self.backend.unlock(&self.info.id).await {
            ui.error(&format!(
                "releasing the state lock failed: {e}\nRemove it with: contin force-unlock {}",
                self.info.id
            ));
        }
    }
}

/// Runs one command; the result is the process exit code.
pub async fn run(ctx: &Ctx, command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Init(args) => init::init(ctx, &args).await,
        Command::Validate => misc::validate(ctx),
        Command::Fmt(args) => fmt::fmt(ctx, &args),
        Command::Plan(args) => plan::plan(ctx, &args).await,
        Command::Apply(args) => apply::apply(ctx, &args).await,
        Command::Destroy(args) => apply::destroy(ctx, &args).await,
        Command::Show(args) => plan::show(ctx, &args).await,
        Command::State(cmd) => match cmd {
            StateCommand::List { prefix } => state::list(ctx, &prefix).await,
            StateCommand::Show { addr } => state::show(ctx, &addr).await,
            StateCommand::Rm { addrs } => state::rm(ctx, &addrs).await,
            StateCommand::Mv { src, dst } => state::mv(ctx, &src, &dst).await,
        },
        Command::Output(args) => output::output(ctx, &args).await,
        Command::Graph(vars) => misc::graph(ctx, &vars),
        Command::ForceUnlock(args) => misc::force_unlock(ctx, &args).await,
        Command::Import(args) => import::import(ctx, &args.vars, &args.addr, &args.id).await,
        Command::Version => {
            println!("contin v{}\non {}_{}", env!("CARGO_PKG_VERSION"), std::env::consts::OS, std::env::consts::ARCH);
            Ok(0)
        }
    }
}
