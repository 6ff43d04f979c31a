//! The terminal side: raw mode + alternate screen held by a guard that
//! restores the terminal on every way out (return, error, panic via a hook,
//! signals), and the one `tokio::select!` loop that feeds the app.

use crate::app::{App, Effect, View};
use crate::clock::Clock;
use crate::DataEvent;
use contin_engine::EngineEvent;
use crossterm::event::{Event, EventStream};
use crossterm::{cursor, execute, terminal};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Once};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most queued events applied before the next frame (a burst of 10,000
/// apply events must not starve key handling).
const MAX_EVENTS_PER_TURN: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("the dashboard needs a terminal: standard output is not a TTY")]
    NotATerminal,
    #[error("terminal I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

pub struct RunOptions {
    pub view: View,
    pub readonly: bool,
    pub clock: Arc<dyn Clock>,
    /// How often time-dependent state (timers, ETA, ages) is recomputed.
    pub tick_every: Duration,
    /// Shortest time between two frames.
    pub render_every: Duration,
}

impl RunOptions {
    pub fn new(view: View, readonly: bool, clock: Arc<dyn Clock>) -> RunOptions {
        RunOptions {
            view,
            readonly,
            clock,
            tick_every: Duration::from_millis(250),
            render_every: Duration::from_millis(33),
        }
    }
}

/// Why the dashboard ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The user quit (`q`, `:q`, Ctrl-C).
    Quit,
    /// A signal (SIGINT 2, SIGTERM 15, SIGHUP 1) ended it.
    Signal(i32),
}

/// Puts the terminal back: leaves the alternate screen, shows the cursor,
/// ends raw mode. Safe to call more than once.
pub fn restore_terminal() {
    let mut out = std::io::stdout();
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard, TuiError> {
        if !std::io::stdout().is_terminal() {
            return Err(TuiError::NotATerminal);
        }
        install_panic_hook();
        terminal::enable_raw_mode()?;
        // From here on the guard restores whatever was set up.
        let guard = TerminalGuard;
        execute!(std::io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic anywhere restores the terminal before the message is printed.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
    });
}

/// Runs the dashboard until the user quits or a signal arrives. Engine
/// events and data arrive on the two receivers; `refresh` asks the data
/// tasks to fetch again now.
pub async fn run(
    opts: RunOptions,
    mut engine: mpsc::UnboundedReceiver<EngineEvent>,
    mut data: mpsc::UnboundedReceiver<DataEvent>,
    refresh: mpsc::UnboundedSender<()>,
) -> Result<Exit, TuiError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;

    let guard = TerminalGuard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let clock = opts.clock.clone();
    let mut app = App::new(opts.view, opts.readonly, clock.now_ms());
    let size = term.size()?;
    app.resize(size.width, size.height);

    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(opts.tick_every);
    let mut render = tokio::time::interval(opts.render_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    render.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut engine_open, mut data_open, mut keys_open) = (true, true, true);
    let mut pending_review: Option<oneshot::Sender<bool>> = None;
    let mut dirty = true;
    let mut last_second = app.now_ms / 1000;

    let exit = loop {
        tokio::select! {
            ev = keys.next(), if keys_open => match ev {
                Some(Ok(Event::Key(key))) => {
                    dirty = true;
                    match app.on_key(key) {
                        Effect::None => {}
                        Effect::Quit => break Exit::Quit,
                        Effect::Approve(yes) => {
                            if let Some(tx) = pending_review.take() {
                                let _ = tx.send(yes);
                            }
                        }
                        Effect::Refresh => {
                            let _ = refresh.send(());
                        }
                    }
                }
                Some(Ok(Event::Resize(w, h))) => {
                    app.resize(w, h);
                    term.autoresize()?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(TuiError::Io(e)),
                None => keys_open = false,
            },
            ev = engine.recv(), if engine_open => match ev {
                Some(ev) => {
                    app.now_ms = clock.now_ms();
                    app.on_engine(ev);
                    let mut n = 1;
                    while n < MAX_EVENTS_PER_TURN {
                        match engine.try_recv() {
                            Ok(ev) => app.on_engine(ev),
                            Err(_) => break,
                        }
                        n += 1;
                    }
                    app.tick(clock.now_ms());
                    dirty = true;
                }
                None => engine_open = false,
            },
            d = data.recv(), if data_open => match d {
                Some(d) => {
                    app.now_ms = clock.now_ms();
                    match d {
                        DataEvent::Plan(p) => app.set_plan(&p),
                        DataEvent::Review(p, tx) => {
                            app.review(&p);
                            pending_review = Some(tx);
                        }
                        DataEvent::Fleet(r) => app.fleet_data(r),
                        DataEvent::Graph(g) => app.set_graph(g),
                        DataEvent::ApplyFinished(s) => app.apply_finished(s),
                        DataEvent::Failed(e) => app.fail(e),
                    }
                    dirty = true;
                }
                None => data_open = false,
            },
            _ = tick.tick() => {
                let now = clock.now_ms();
                app.tick(now);
                if app.apply_running() || now / 1000 != last_second {
                    dirty = true;
                }
                last_second = now / 1000;
            },
            _ = render.tick() => {
                if dirty {
                    term.draw(|f| crate::draw::draw(f, &app))?;
                    dirty = false;
                }
            },
            _ = sigterm.recv() => break Exit::Signal(15),
            _ = sighup.recv() => break Exit::Signal(1),
            _ = sigint.recv() => break Exit::Signal(2),
        }
    };
    // A quit while the engine waits for approval declines.
    if let Some(tx) = pending_review.take() {
        let _ = tx.send(false);
    }
    drop(term);
    drop(guard);
    Ok(exit)
}
