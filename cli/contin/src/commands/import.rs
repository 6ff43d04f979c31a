//! `contin import ADDR ID`: reads an existing remote object through its
//! provider and records it in state under ADDR, like `terraform import`.
//! The configuration must already declare the resource; nothing remote changes.

use super::{engine_err, load_workspace, Ctx, StateLock};
use crate::args::VarArgs;
use crate::engine;
use anyhow::{bail, Context};
use contin_state::{ResourceState, ResourceStatus, State};
use contin_types::{InstanceKey, ResourceAddr, ResourceMode};

pub async fn import(ctx: &Ctx, vars: &VarArgs, addr: &str, id: &str) -> anyhow::Result<i32> {
    let target: ResourceAddr = addr.parse().with_context(|| format!("invalid resource address {addr:?}"))?;
    if target.mode != ResourceMode::Managed {
        bail!("{addr}: only managed resources can be imported (data sources are read, not imported)");
    }
    let ws = load_workspace(ctx, vars).await?;
    let Some(block) = ws.config.resources.iter().find(|r| r.mode == target.mode && r.ty == target.ty && r.name == target.name) else {
        bail!(
            "resource address {addr} does not exist in the configuration.\n\n\
             Before importing this resource, add its block to the configuration, for example:\n\n\
             resource \"{}\" \"{}\" {{\n  # (arguments)\n}}",
            target.ty,
            target.name
        );
    };
    let keyed = block.count.is_some() || block.for_each.is_some();
    match (&target.key, keyed) {
        (InstanceKey::None, true) => bail!("{addr} uses count or for_each: name one instance, e.g. {addr}[0] or {addr}[\"key\"]"),
        (InstanceKey::Int(_) | InstanceKey::Str(_), false) => {
            bail!("{addr}: the resource {}.{} has neither count nor for_each; import it without a key", target.ty, target.name)
        }
        _ => {}
    }
    let provider_name = contin_planner::walk::provider_for(block, &ws.schemas)
        .map_err(|d| engine_err(engine::EngineError::Diagnostics(d.into(), ws.config.sources.clone())))?;
    let provider = ws.providers.get(&provider_name).cloned().context("provider not available")?;
    let lock = StateLock::acquire(&ws.backend, "import").await?;
    let result = async {
        let prior = engine::load_state(&ws).await.map_err(engine_err)?;
        let mut state = prior.clone().unwrap_or_else(State::new);
        if state.resources.contains_key(&target) {
            bail!(
                "{addr} is already managed by contin (it is in the state). To import to this address, \
                 first remove it with `contin state rm {addr}`."
            );
        }
        println!("{addr}: Importing from ID {id:?}...");
        let value = provider.import(&target.ty, id).await.map_err(|e| anyhow::anyhow!("{addr}: import of {id:?} failed: {e}"))?;
        let sensitive_paths = ws
            .schemas
            .get(&provider_name)
            .and_then(|s| s.resources.get(&target.ty))
            .map(|b| contin_provider::schema::sensitive_paths(b, &value))
            .unwrap_or_default();
        state.resources.insert(
            target.clone(),
            ResourceState {
                addr: target.clone(),
                provider: provider_name.clone(),
                schema_version: 0,
                attributes: value.to_json_lossy(),
                sensitive_paths,
                dependencies: Vec::new(),
                status: ResourceStatus::Ready,
                create_before_destroy: false,
                generation: 1,
            },
        );
        let expected = prior.as_ref().map(|s| s.serial).filter(|s| *s > 0);
        state.serial = expected.unwrap_or(0) + 1;
        state.refresh_sites();
        ws.backend.persist(&state, expected).await.context("writing the state")?;
        println!("{addr}: Import prepared!\n  Prepared {} for import\n", target.ty);
        println!("Import successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour contin state and will henceforth be managed by contin.");
        Ok(0)
    }
    .await;
    lock.release(ctx.ui).await;
    result
}
