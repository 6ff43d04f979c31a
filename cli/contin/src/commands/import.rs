//! `contin import ADDR ID`: the engine reads the object through its provider
//! and records it in state under ADDR (like `terraform import`).

use super::{engine_err, open_workspace, Ctx};
use crate::args::VarArgs;
use crate::events::LineReporter;
use std::sync::Arc;

pub async fn import(ctx: &Ctx, vars: &VarArgs, addr: &str, id: &str) -> anyhow::Result<i32> {
    let ws = open_workspace(ctx, vars, Arc::new(LineReporter::new(ctx.ui, false))).await?;
    let done = ws.import(addr, id).await.map_err(engine_err)?;
    println!("{addr}: Import prepared!\n  Prepared {} for import\n", done.addr.ty);
    println!("Import successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour contin state and will henceforth be managed by contin.");
    Ok(0)
}
