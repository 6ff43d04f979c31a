//! Interactive approval ("Only 'yes' will be accepted") and Ctrl-C / SIGTERM
//! handling: the first signal cancels gracefully, the second exits at once.

use std::io::{BufRead, IsTerminal, Write};
use tokio_util::sync::CancellationToken;

/// Exit code after an interrupt (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

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

/// Installs the handler: the first Ctrl-C / SIGTERM cancels `token`, the second exits with 130.
pub fn install_signal_handler(token: CancellationToken) {
    tokio::spawn(async move {
        if wait_signal().await.is_err() {
            return;
        }
        eprintln!("\nInterrupt received.\nPlease wait for contin to exit or data loss may occur.\nGracefully shutting down...");
        token.cancel();
        if wait_signal().await.is_err() {
            return;
        }
        eprintln!("\nTwo interrupts received. Exiting immediately. Note that data loss may have occurred (the state lock may be left held: see `contin force-unlock`).");
        std::process::exit(EXIT_INTERRUPTED);
    });
}

#[cfg(unix)]
async fn wait_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
