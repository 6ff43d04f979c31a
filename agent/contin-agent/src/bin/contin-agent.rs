//! `contin-agent`: the edge agent alone (same code and flags as
//! `contin agent run`), for hosts without the full CLI and for tests.

use clap::Parser;
use contin_agent::cli::RunArgs;

#[derive(Parser)]
#[command(name = "contin-agent", about = "contin edge agent")]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(contin_agent::cli::main(cli.run));
}
