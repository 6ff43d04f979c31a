//! `contin dashboard [-readonly]` and `contin apply -dashboard`: the
//! terminal dashboard (`contin-tui`) fed by the engine's events over a
//! channel; plans, state and fleet data are fetched on their own tasks.
//! The summary of an apply is printed after the terminal is restored.

use super::{engine_err, env_vars, Ctx};
use crate::args::{DashboardArgs, ExecArgs, PlanningArgs};
use crate::events::Tally;
use contin_engine::{ApplyOptions, ApplyResult, Approval, EngineEvent, EventSink, PlanOptions, Workspace, WorkspaceOptions};
use contin_executor::ApplyEvent;
use contin_planner::{Plan, PlanMode};
use contin_tui::clock::SystemClock;
use contin_tui::agents::MailboxAgents;
use contin_tui::fleet::{nodes_from_state, overlay_status, spawn_poller, AgentStatusSource, FleetData, NoAgents};
use contin_tui::model::GraphModel;
use contin_tui::{DataEvent, Exit, RunOptions, View};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::sync::CancellationToken;

/// How often the fleet is fetched again.
const FLEET_EVERY: Duration = Duration::from_secs(5);
/// A fleet fetch slower than this is reported; the last data stays on screen.
const FLEET_TIMEOUT: Duration = Duration::from_secs(10);

/// Forwards engine events to the dashboard and counts finished changes for
/// the summary printed after it closes (nothing is printed meanwhile).
struct DashboardSink {
    tx: UnboundedSender<EngineEvent>,
    tally: Mutex<Tally>,
}

impl DashboardSink {
    fn tally(&self) -> Tally {
        *self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl EventSink for DashboardSink {
    fn event(&self, event: EngineEvent) {
        if let EngineEvent::Apply(e) = &event {
            let mut t = self.tally.lock().unwrap_or_else(|p| p.into_inner());
            match e {
                ApplyEvent::Finished { action, .. } => t.finished(*action),
                ApplyEvent::Failed { .. } => t.failed += 1,
                ApplyEvent::Skipped { .. } => t.skipped += 1,
                _ => {}
            }
        }
        // The dashboard may have closed already: nobody is listening then.
        let _ = self.tx.send(event);
    }
}

struct Channels {
    engine_rx: UnboundedReceiver<EngineEvent>,
    data_tx: UnboundedSender<DataEvent>,
    data_rx: UnboundedReceiver<DataEvent>,
    refresh_tx: UnboundedSender<()>,
    refresh_rx: UnboundedReceiver<()>,
}

fn channels() -> (Arc<DashboardSink>, Channels) {
    let (tx, engine_rx) = unbounded_channel();
    let (data_tx, data_rx) = unbounded_channel();
    let (refresh_tx, refresh_rx) = unbounded_channel();
    (Arc::new(DashboardSink { tx, tally: Mutex::new(Tally::default()) }), Channels { engine_rx, data_tx, data_rx, refresh_tx, refresh_rx })
}

fn need_terminal() -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("the dashboard needs a terminal: standard input and output must be a TTY (use `contin plan` / `contin apply` in scripts and CI)");
    }
    Ok(())
}

async fn open(ctx: &Ctx, planning: Option<&PlanningArgs>, plan_variables: Option<std::collections::BTreeMap<String, contin_types::Value>>, sink: Arc<DashboardSink>) -> anyhow::Result<Workspace> {
    let mut opts = WorkspaceOptions { env_vars: env_vars(), events: sink, ..WorkspaceOptions::default() };
    if let Some(p) = planning {
        opts.var_files = p.vars.var_files.clone();
        opts.vars = p.vars.vars.clone();
    }
    if let Some(v) = plan_variables {
        opts.plan_variables = v;
    }
    Workspace::open(&ctx.dir, opts).await.map_err(engine_err)
}

/// Polls the state and the agents' mailbox for the Fleet view (and sends
/// the state's dependency graph once), on its own task. An unreadable
/// mailbox keeps the last agent data, shown with its age.
fn start_fleet(ws: &Workspace, ch: &mut Channels) -> tokio::task::JoinHandle<()> {
    let clock = Arc::new(SystemClock::new());
    let agents: Arc<dyn AgentStatusSource> = match ws.mailbox_url() {
        Some(_) => Arc::new(MailboxAgents::new(ws.clone(), clock.clone())),
        None => Arc::new(NoAgents),
    };
    let ws2 = ws.clone();
    let tx = ch.data_tx.clone();
    let graph_sent = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fetch = move || {
        let (ws, agents, tx, graph_sent) = (ws2.clone(), agents.clone(), tx.clone(), graph_sent.clone());
        async move {
            let view = ws.state_view().await.map_err(|e| format!("reading the state: {e}"))?;
            let Some(state) = view.state else { return Ok(FleetData::default()) };
            if !graph_sent.swap(true, std::sync::atomic::Ordering::Relaxed) {
                let _ = tx.send(DataEvent::Graph(GraphModel::from_state(&state)));
            }
            let mut nodes = nodes_from_state(&state);
            let fetched = agents.statuses().await;
            // Health is judged as of when the agent data was read: a mailbox
            // we cannot reach does not make every site "disconnected".
            if let Some(at) = fetched.as_of_ms {
                overlay_status(&mut nodes, &fetched.statuses, at);
            }
            Ok(FleetData { nodes, agents_error: fetched.error, agents_as_of_ms: fetched.as_of_ms })
        }
    };
    let (_, dummy) = unbounded_channel();
    let refresh = std::mem::replace(&mut ch.refresh_rx, dummy);
    spawn_poller(fetch, FLEET_EVERY, FLEET_TIMEOUT, ch.data_tx.clone(), refresh)
}

fn parse_view(s: &str) -> anyhow::Result<View> {
    View::parse(s).ok_or_else(|| anyhow::anyhow!("unknown view {s:?}: use apply, plan, fleet or graph"))
}

fn exit_code(exit: Exit) -> i32 {
    match exit {
        Exit::Quit => 0,
        Exit::Signal(sig) => 128 + sig,
    }
}

/// `contin dashboard`: plan (locked with refresh, or with `-readonly`
/// without lock and provider reads) and watch the fleet.
pub async fn dashboard(ctx: &Ctx, args: &DashboardArgs) -> anyhow::Result<i32> {
    need_terminal()?;
    let view = parse_view(&args.view)?;
    let (sink, mut ch) = channels();
    let ws = open(ctx, Some(&args.planning), None, sink).await?;
    let token = CancellationToken::new();
    let fleet = start_fleet(&ws, &mut ch);
    let planner = {
        let (ws, tx, token) = (ws.clone(), ch.data_tx.clone(), token.clone());
        let opts = PlanOptions { destroy: false, targets: args.planning.targets.clone(), refresh: args.planning.refresh && !args.readonly, parallelism: args.parallelism as usize };
        let readonly = args.readonly;
        tokio::spawn(async move {
            let result = if readonly {
                // No lock, no provider reads: the recorded state, planned as is.
                match ws.state_view().await {
                    Ok(view) => ws.plan_against(view.state.as_ref(), &opts).await.map(Some),
                    Err(e) => Err(e),
                }
            } else {
                ws.plan(opts, token).await.map(|o| o.map(|o| o.plan))
            };
            let _ = tx.send(match result {
                Ok(Some(plan)) => DataEvent::Plan(Arc::new(plan)),
                Ok(None) => DataEvent::Failed("planning was cancelled".into()),
                Err(e) => DataEvent::Failed(e.to_string()),
            });
        })
    };
    let opts = RunOptions::new(view, args.readonly, Arc::new(SystemClock::new()));
    let exit = contin_tui::run(opts, ch.engine_rx, ch.data_rx, ch.refresh_tx).await;
    token.cancel();
    fleet.abort();
    // A plan holds the state lock: let it see the cancellation and release it.
    let _ = tokio::time::timeout(Duration::from_secs(30), planner).await;
    Ok(exit_code(exit?))
}

/// `contin apply -dashboard` (and `destroy -dashboard`): the dashboard shows
/// the plan, asks for approval (`y`/`n`, unless -auto-approve) and follows
/// the apply live; the usual summary is printed when it closes.
pub async fn apply(ctx: &Ctx, plan_file: Option<&Path>, planning: &PlanningArgs, exec: &ExecArgs, destroy: bool) -> anyhow::Result<i32> {
    if exec.json {
        anyhow::bail!("-json and -dashboard cannot be combined: JSON lines are for scripts, the dashboard for a terminal");
    }
    need_terminal()?;
    let (sink, mut ch) = channels();
    let saved: Option<(Plan, bool)> = match plan_file {
        Some(file) => {
            if !planning.vars.vars.is_empty() || !planning.vars.var_files.is_empty() || !planning.targets.is_empty() || destroy {
                anyhow::bail!("a saved plan already records its variables, targets and mode: --var, --var-file, --target and --destroy cannot be used with a plan file");
            }
            Some(super::plan::read_plan_file_sealed(ctx, file, exec.ci.plan_key_env.as_deref())?)
        }
        None => None,
    };
    let ws = match (&saved, plan_file) {
        (Some((plan, sealed)), Some(file)) => {
            let ws = open(ctx, None, Some(plan.variables.clone()), sink.clone()).await?;
            super::apply::check_sealed_config(*sealed, file, plan, &ws)?;
            ws
        }
        _ => open(ctx, Some(planning), None, sink.clone()).await?,
    };
    let saved: Option<Plan> = saved.map(|(plan, _)| plan);
    let destroy = saved.as_ref().map_or(destroy, |p| p.mode == PlanMode::Destroy);
    let token = CancellationToken::new();
    let fleet = start_fleet(&ws, &mut ch);
    let apply_opts = ApplyOptions { parallelism: exec.parallelism as usize };
    let runner = {
        let (ws, tx, token) = (ws.clone(), ch.data_tx.clone(), token.clone());
        let auto_approve = exec.auto_approve;
        let plan_opts = PlanOptions { destroy, targets: planning.targets.clone(), refresh: planning.refresh, parallelism: exec.parallelism as usize };
        tokio::spawn(async move {
            let result = match saved {
                Some(plan) => {
                    let _ = tx.send(DataEvent::Plan(Arc::new(plan.clone())));
                    ws.apply_saved(plan, apply_opts, token).await.map(ApplyResult::Applied)
                }
                None => {
                    let review_tx = tx.clone();
                    let review = move |plan: Arc<Plan>| async move {
                        if auto_approve || !plan.has_changes() {
                            let _ = review_tx.send(DataEvent::Plan(plan));
                            return Approval::Yes;
                        }
                        let (answer_tx, answer) = tokio::sync::oneshot::channel();
                        let _ = review_tx.send(DataEvent::Review(plan, answer_tx));
                        match answer.await {
                            Ok(true) => Approval::Yes,
                            // Declined, or the dashboard closed without an answer.
                            _ => Approval::No,
                        }
                    };
                    ws.apply(plan_opts, apply_opts, token, review).await
                }
            };
            let line = match &result {
                Ok(ApplyResult::Applied(run)) if run.cancelled => "apply interrupted (q to quit)".to_string(),
                Ok(ApplyResult::Applied(run)) if !run.failed.is_empty() => format!("apply failed: {} change(s) failed (q to quit and see the summary)", run.failed.len()),
                Ok(ApplyResult::Applied(_)) => "apply complete (q to quit)".to_string(),
                Ok(ApplyResult::NoChanges { .. }) => "no changes (q to quit)".to_string(),
                Ok(ApplyResult::Declined) => "apply cancelled (q to quit)".to_string(),
                Ok(ApplyResult::Interrupted) => "apply interrupted (q to quit)".to_string(),
                Err(e) => {
                    let _ = tx.send(DataEvent::Failed(e.to_string()));
                    "apply failed (q to quit)".to_string()
                }
            };
            let _ = tx.send(DataEvent::ApplyFinished(line));
            result
        })
    };
    let opts = RunOptions::new(View::Plan, false, Arc::new(SystemClock::new()));
    let exit = contin_tui::run(opts, ch.engine_rx, ch.data_rx, ch.refresh_tx).await;
    fleet.abort();
    let interrupted = !matches!(exit, Ok(Exit::Quit));
    if !runner.is_finished() {
        // Quitting (q twice) or a signal stops the apply the way Ctrl-C does:
        // nothing new starts, changes in progress finish, the state is saved.
        token.cancel();
        eprintln!("Stopping: no new changes start; waiting for the ones in progress to finish...");
        crate::prompt::install_signal_handler(token.clone());
    }
    let result = runner.await.map_err(|e| anyhow::anyhow!("the apply task failed: {e}"))?;
    let exit = exit?;
    let code = super::apply::report(ctx, &ws, result.map_err(engine_err)?, destroy, sink.tally())?;
    Ok(match (interrupted, code) {
        (true, 0) => exit_code(exit),
        _ => code,
    })
}
