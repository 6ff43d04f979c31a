//! Command implementations and what they share: the context, opening a
//! workspace through the engine, and turning engine errors into CLI errors.
//! Every rule (locking, first-state write, stale-plan check, import,
//! migration) lives in `contin-engine`; commands parse flags and render.

mod agent;
mod apply;
mod console;
mod edge;
mod dashboard;
mod fmt;
mod import;
mod init;
mod misc;
mod output;
mod plan;
mod state;

use crate::args::{Command, StateCommand, VarArgs};
use crate::events::LineReporter;
use crate::ui::Ui;
use contin_engine::{EngineError, Workspace, WorkspaceOptions};
use contin_types::{Diagnostics, SourceMap};
use std::path::PathBuf;
use std::sync::Arc;

/// What every command gets.
pub struct Ctx {
    pub ui: Ui,
    /// The configuration directory (`-C DIR`): the engine's root.
    pub dir: PathBuf,
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
        EngineError::Diagnostics { diags, sources } => DiagnosticsError { diags, sources }.into(),
        EngineError::Locked { holder } => anyhow::Error::msg(crate::ci::locked_message(&holder)),
        other => anyhow::Error::msg(other.to_string()),
    }
}

/// `CONTIN_VAR_name` and `TF_VAR_name` values from the environment (read
/// here, at the edge), keyed by the whole variable name so messages can name
/// it; the engine lets `CONTIN_VAR_` win when both set a variable.
fn env_vars() -> std::collections::BTreeMap<String, String> {
    std::env::vars().filter(|(k, _)| k.starts_with("CONTIN_VAR_") || k.starts_with("TF_VAR_")).collect()
}

/// Opens the configuration directory with variables; events go to `reporter`
/// (load warnings are printed).
pub async fn open_workspace(ctx: &Ctx, vars: &VarArgs, reporter: Arc<LineReporter>) -> anyhow::Result<Workspace> {
    let opts = WorkspaceOptions {
        var_files: vars.var_files.clone(),
        vars: vars.vars.clone(),
        env_vars: env_vars(),
        events: reporter,
        ..WorkspaceOptions::default()
    };
    Workspace::open(&ctx.dir, opts).await.map_err(engine_err)
}

/// Opens only what reading or editing state needs: no variables required,
/// providers left unconfigured, load warnings not repeated.
pub async fn open_state_workspace(ctx: &Ctx) -> anyhow::Result<Workspace> {
    let opts = WorkspaceOptions {
        env_vars: env_vars(),
        state_only: true,
        events: Arc::new(LineReporter::new(ctx.ui, false).without_warnings()),
        ..WorkspaceOptions::default()
    };
    Workspace::open(&ctx.dir, opts).await.map_err(engine_err)
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
            StateCommand::Push { file, force } => state::push(ctx, file, force).await,
        },
        Command::Output(args) => output::output(ctx, &args).await,
        Command::Console(vars) => console::console(ctx, &vars).await,
        Command::Graph(vars) => misc::graph(ctx, &vars),
        Command::ForceUnlock(args) => misc::force_unlock(ctx, &args).await,
        Command::Import(args) => import::import(ctx, &args.vars, &args.addr, &args.id).await,
        Command::Drift(args) => crate::ci::drift::drift(ctx, &args).await,
        Command::Edge(cmd) => edge::run(ctx, cmd).await,
        Command::Agent(crate::args::AgentCommand::Run(args)) => agent::run(args).await,
        Command::Dashboard(args) => dashboard::dashboard(ctx, &args).await,
        Command::Version => {
            println!("contin v{}\non {}_{}", env!("CARGO_PKG_VERSION"), std::env::consts::OS, std::env::consts::ARCH);
            Ok(0)
        }
    }
}
