//! The `contin` binary: clap commands calling into the engine and rendering results.
//! All printing happens here (libraries report through return values and `Reporter`).

mod args;
mod ci;
mod commands;
mod diagnostics;
mod events;
mod prompt;
mod seams;
mod ui;

use clap::Parser;
use commands::{Ctx, DiagnosticsError};
use std::path::PathBuf;
use ui::Ui;

/// mimalloc: a 100k-resource plan spent ~45 % of its time in glibc malloc/free (bench/RESULTS.md).
/// `--cfg contin_sysalloc` keeps the system allocator, for heap profilers.
#[cfg_attr(not(contin_sysalloc), global_allocator)]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let (argv, warnings) = args::rewrite_args(std::env::args_os().collect());
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors exit 1 (2 means "changes present" for plan --detailed-exitcode).
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let ui = Ui::detect(cli.no_color);
    for w in &warnings {
        ui.warn(w);
    }
    if let Err(e) = std::fs::metadata(&cli.dir).and_then(|m| if m.is_dir() { Ok(()) } else { Err(std::io::Error::other("not a directory")) }) {
        ui.error(&format!("cannot use {} as the configuration directory: {e}", cli.dir.display()));
        return 1;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            ui.error(&format!("starting the async runtime: {e}"));
            return 1;
        }
    };
    // The engine resolves every relative path against this root; the
    // process's working directory is never changed.
    let ctx = Ctx { ui, dir: if cli.dir.as_os_str().is_empty() { PathBuf::from(".") } else { cli.dir.clone() } };
    let result = runtime.block_on(commands::run(&ctx, cli.command));
    // Do not wait for blocked stdin readers (an abandoned approval prompt).
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            report_error(ui, &e);
            1
        }
    }
}

fn report_error(ui: Ui, e: &anyhow::Error) {
    if let Some(d) = e.downcast_ref::<DiagnosticsError>() {
        eprint!("{}", seams::render_diagnostics(&d.diags, &d.sources, ui.color));
        return;
    }
    ui.error(&format!("{e:#}"));
}
