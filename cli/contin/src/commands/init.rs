//! `contin init [-migrate-state [-from-state FILE]]`: checks the backend is
//! reachable and lists the providers; with `-migrate-state`, the engine
//! copies a local state file into the configured (remote) backend (rules in
//! `contin_engine::migrate`).

use super::{engine_err, Ctx};
use crate::args::InitArgs;
use anyhow::bail;

pub async fn init(ctx: &Ctx, args: &InitArgs) -> anyhow::Result<i32> {
    // Modules first: opening the workspace expands them.
    let installed = contin_engine::module_install::install_modules(&ctx.dir).await.map_err(engine_err)?;
    if !installed.is_empty() {
        println!("Initializing modules...");
        for m in &installed {
            let version = m.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
            println!("- {} in {}{version} (from {})", m.key, m.dir, m.source);
        }
        println!();
    }
    let ws = super::open_state_workspace(ctx).await?;
    if args.migrate_state {
        println!("Migrating the state...");
        let m = ws.migrate_state(args.from_state.clone()).await.map_err(engine_err)?;
        println!(
            "  Migrated {} (serial {}, {} resource instances) to {}; the local file is kept as {}",
            display(ctx, &m.source),
            m.serial,
            m.resources,
            m.target,
            display(ctx, &m.kept)
        );
        println!();
    } else if args.from_state.is_some() {
        bail!("--from-state is only used with -migrate-state");
    } else if ws.unmigrated_local_state().is_some() {
        ctx.ui.warn(&format!(
            "a local state file contin.state.json exists but the configured backend is {}; \
             run `contin init -migrate-state` to copy it there",
            ws.backend.describe()
        ));
    }
    println!("Initializing the backend...");
    let state = ws.load_state().await.map_err(engine_err)?;
    match &state {
        Some(s) => println!("  {} (serial {}, {} resource instances)", ws.backend.describe(), s.serial, s.resources.len()),
        None => println!("  {} (no state yet)", ws.backend.describe()),
    }
    println!("\nInitializing providers (compiled in)...");
    for name in ws.providers.keys() {
        println!("  - {name}");
    }
    println!("\n{}", ctx.ui.bold_green("contin has been successfully initialized!"));
    println!("Configuration directory: {}", ws.root().display());
    Ok(0)
}

/// A path as the user named it (relative to `-C DIR` when inside it).
fn display(ctx: &Ctx, p: &std::path::Path) -> String {
    let rel = p.strip_prefix(&ctx.dir).unwrap_or(p);
    rel.display().to_string()
}
