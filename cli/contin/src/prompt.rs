//! Interactive approval ("Only 'yes' will be accepted") and Ctrl-C / SIGTERM
//! handling: the first signal cancels gracefully, the second exits at once.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicI32, Ordering};
use tokio_util::sync::CancellationToken;

/// Exit code after an interrupt (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit code after SIGTERM (128 + 15).
pub const EXIT_TERMINATED: i32 = 143;

/// The exit code of the last signal received (130 when none or SIGINT).
static SIGNAL_EXIT: AtomicI32 = AtomicI32::new(EXIT_INTERRUPTED);

/// 130 after Ctrl-C, 143 after SIGTERM.
pub fn interrupted_code() -> i32 {
    SIGNAL_EXIT.load(Ordering::Relaxed)
}

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// Interrupted while waiting for the answer.
    Interrupted,
}

/// Prints `question` and waits for a line; only `yes` approves.
pub async fn confirm(question: &str, cancel: &CancellationToken) -> anyhow::Result<Answer> {
    print!("{question}\n\n  Enter a value: ");
    std::io::stdout().flush()?;
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    });
    tokio::select! {
        line = read => {
            let line = line??;
            println!();
            Ok(if line.trim() == "yes" { Answer::Yes } else { Answer::No })
        }
        _ = cancel.cancelled() => Ok(Answer::Interrupted),
    }
}

/// Installs the handler: the first Ctrl-C / SIGTERM cancels `token` (no new
/// work starts; in-flight changes finish, state is saved, the lock released;
/// exit 130 / 143), the second exits at once.
pub fn install_signal_handler(token: CancellationToken) {
    tokio::spawn(async move {
        match wait_signal().await {
            Ok(code) => SIGNAL_EXIT.store(code, Ordering::Relaxed),
            Err(_) => return,
        }
        eprintln!("\nInterrupt received.\nPlease wait for contin to exit or data loss may occur.\nGracefully shutting down...");
        token.cancel();
        let code = wait_signal().await.unwrap_or(EXIT_INTERRUPTED);
        eprintln!("\nTwo interrupts received. Exiting immediately. Note that data loss may have occurred (the state lock may be left held: see `contin force-unlock`).");
        std::process::exit(code);
    });
}

/// Waits for Ctrl-C or SIGTERM; the exit code that signal means.
#[cfg(unix)]
async fn wait_signal() -> std::io::Result<i32> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map(|()| EXIT_INTERRUPTED),
        _ = term.recv() => Ok(EXIT_TERMINATED),
    }
}

#[cfg(not(unix))]
async fn wait_signal() -> std::io::Result<i32> {
    tokio::signal::ctrl_c().await.map(|()| EXIT_INTERRUPTED)
}
