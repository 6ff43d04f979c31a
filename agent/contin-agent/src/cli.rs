//! The `agent run` command line, shared by `contin agent run` and the
//! standalone `contin-agent` binary. [`run_command`] is the front ends'
//! entry: it logs events as lines on stderr and returns the exit code.

use crate::{AgentOptions, Event, EventSink, Level};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Enrollment token (`contin edge token create SITE`); needed on the
    /// first start of a data dir only. Also read from CONTIN_AGENT_TOKEN.
    #[arg(long, env = "CONTIN_AGENT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Where the agent keeps its key, store and workload logs.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Relay: serve cached documents of this site and its descendants on ADDR.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<SocketAddr>,
    /// Ordered upstreams (mailbox URL or http://PARENT-AGENT); repeatable.
    /// Default: the token's mailbox.
    #[arg(long = "upstream", value_name = "URL")]
    pub upstreams: Vec<String>,
    /// Poll interval (e.g. 5s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub poll: Duration,
    /// Telemetry ring buffer capacity (points).
    #[arg(long, value_name = "N", default_value_t = crate::store::TELEMETRY_CAPACITY)]
    pub telemetry_capacity: u64,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}"))?;
    if d < Duration::from_millis(100) || d > Duration::from_secs(86_400) {
        return Err(format!("{s:?}: the poll interval must be between 100ms and 24h"));
    }
    Ok(d)
}

/// Events as `contin-agent <time> <LEVEL> message` lines on stderr.
pub fn stderr_sink() -> EventSink {
    Arc::new(|e: Event| {
        let level = match e.level {
            Level::Debug => return,
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        };
        eprintln!("contin-agent {} {level} {}", contin_edge_proto::rfc3339(std::time::SystemTime::now()), e.message);
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

/// Runs the agent until SIGTERM/SIGINT (workloads keep running); 1 on error.
pub async fn run_command(args: RunArgs) -> i32 {
    let events = stderr_sink();
    let mut opts = AgentOptions::new(args.data_dir, events.clone());
    opts.token = args.token;
    opts.serve = args.serve;
    opts.upstreams = args.upstreams;
    opts.poll = args.poll;
    opts.telemetry_capacity = args.telemetry_capacity.max(1);
    match crate::run(opts, shutdown_signal()).await {
        Ok(()) => {
            events(Event { level: Level::Info, message: "stopped (workloads keep running)".into() });
            0
        }
        Err(e) => {
            events(Event { level: Level::Error, message: e.to_string() });
            1
        }
    }
}

/// The standalone binary's main: a small runtime around [`run_command`].
/// One async thread is plenty for an agent (file IO and stops run on the
/// blocking pool) and keeps an idle agent's memory small; so do two glibc
/// malloc arenas instead of one per thread.
pub fn main(args: RunArgs) -> i32 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    match tokio::runtime::Builder::new_current_thread().max_blocking_threads(8).enable_all().build() {
        Ok(rt) => rt.block_on(run_command(args)),
        Err(e) => {
            eprintln!("contin-agent: starting the async runtime: {e}");
            1
        }
    }
}
