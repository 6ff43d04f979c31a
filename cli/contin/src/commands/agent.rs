//! `contin agent run`: the edge agent (agent/contin-agent). Runs until
//! SIGTERM/SIGINT; the workloads it started keep running after it stops.

use contin_agent::cli::RunArgs;

pub async fn run(args: RunArgs) -> anyhow::Result<i32> {
    Ok(contin_agent::cli::run_command(args).await)
}
