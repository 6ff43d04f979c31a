//! `import ADDR ID`: reads an existing remote object through its provider
//! and records it in state under ADDR, like `terraform import`. The
//! configuration must already declare the resource; nothing remote changes.

use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::Workspace;
use contin_state::{ResourceState, ResourceStatus, State};
use contin_types::{InstanceKey, ResourceAddr, ResourceMode};

/// What was imported.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub addr: ResourceAddr,
    /// The serial written.
    pub serial: u64,
}

impl Workspace {
    pub async fn import(&self, addr: &str, id: &str) -> Result<ImportOutcome> {
        let bad = |m: String| Err(EngineError::Invalid(m));
        let target: ResourceAddr = addr.parse().map_err(|e| EngineError::Invalid(format!("invalid resource address {addr:?}: {e}")))?;
        if target.mode != ResourceMode::Managed {
            return bad(format!("{addr}: only managed resources can be imported (data sources are read, not imported)"));
        }
        let Some(block) = self.config.resources.iter().find(|r| r.mode == target.mode && r.ty == target.ty && r.name == target.name) else {
            return bad(format!(
                "resource address {addr} does not exist in the configuration.\n\n\
                 Before importing this resource, add its block to the configuration, for example:\n\n\
                 resource \"{}\" \"{}\" {{\n  # (arguments)\n}}",
                target.ty, target.name
            ));
        };
        let keyed = block.count.is_some() || block.for_each.is_some();
        match (&target.key, keyed) {
            (InstanceKey::None, true) => return bad(format!("{addr} uses count or for_each: name one instance, e.g. {addr}[0] or {addr}[\"key\"]")),
            (InstanceKey::Int(_) | InstanceKey::Str(_), false) => {
                return bad(format!("{addr}: the resource {}.{} has neither count nor for_each; import it without a key", target.ty, target.name))
            }
            _ => {}
        }
        let provider_name = contin_planner::walk::provider_for(block, &self.schemas).map_err(|d| EngineError::diags(d.into(), &self.config.sources))?;
        let provider = self.providers.get(&provider_name).cloned().ok_or_else(|| EngineError::Provider(format!("provider {provider_name} is not available")))?;
        let (ws, addr, id) = (self.clone(), addr.to_string(), id.to_string());
        crate::lock::run_locked(&self.backend, "import", &self.events, async move {
            let prior = ws.recovered_state(true).await?;
            let mut state = prior.clone().unwrap_or_else(State::new);
            if state.resources.contains_key(&target) {
                return Err(EngineError::Invalid(format!(
                    "{addr} is already managed by contin (it is in the state). To import to this address, \
                     first remove it with `contin state rm {addr}`."
                )));
            }
            ws.events.event(EngineEvent::Importing { addr: target.clone(), id: id.clone() });
            let value = provider.import(&target.ty, &id).await.map_err(|e| EngineError::Provider(format!("{addr}: import of {id:?} failed: {e}")))?;
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
                    deposed: Vec::new(),
                },
            );
            let expected = prior.as_ref().map(|s| s.serial).filter(|s| *s > 0);
            state.serial = expected.unwrap_or(0) + 1;
            state.refresh_sites();
            ws.backend.persist(&state, expected).await.map_err(|e| EngineError::state("writing the state", e))?;
            Ok(ImportOutcome { addr: target, serial: state.serial })
        })
        .await
    }
}

/// `import` blocks (see `contin_planner::imports`): read at plan time, made
/// at apply time (under the lock, before any change runs).
impl Workspace {
    /// Imports every `import` block target the state lacks into `refreshed`
    /// (the value planning compares the configuration with).
    pub(crate) async fn read_import_blocks(
        &self,
        state: Option<&State>,
        refreshed: &mut std::collections::BTreeMap<ResourceAddr, Option<contin_types::Value>>,
    ) -> Result<()> {
        let io = self.io();
        let targets = contin_planner::imports::import_targets(&self.config, &self.variables, &self.schemas, &io)
            .map_err(|d| EngineError::diags(d, &self.config.sources))?;
        for t in targets {
            if state.is_some_and(|s| s.resources.contains_key(&t.addr)) {
                continue;
            }
            let value = self.import_one(&t.addr, &t.provider, &t.id).await?;
            refreshed.insert(t.addr, Some(value));
        }
        Ok(())
    }

    /// Records the plan's imports in `state` (values read again now).
    pub(crate) async fn apply_import_blocks(&self, plan: &contin_planner::Plan, state: &mut State) -> Result<()> {
        for i in &plan.language.imports {
            if state.resources.contains_key(&i.addr) {
                continue;
            }
            let value = self.import_one(&i.addr, &i.provider, &i.id).await?;
            let sensitive_paths = self
                .schemas
                .get(&i.provider)
                .and_then(|s| s.resources.get(&i.addr.ty))
                .map(|b| contin_provider::schema::sensitive_paths(b, &value))
                .unwrap_or_default();
            state.resources.insert(
                i.addr.clone(),
                ResourceState {
                    addr: i.addr.clone(),
                    provider: i.provider.clone(),
                    schema_version: 0,
                    attributes: value.to_json_lossy(),
                    sensitive_paths,
                    dependencies: Vec::new(),
                    status: ResourceStatus::Ready,
                    create_before_destroy: false,
                    generation: 1,
                    deposed: Vec::new(),
                },
            );
        }
        Ok(())
    }

    async fn import_one(&self, addr: &ResourceAddr, provider_name: &str, id: &str) -> Result<contin_types::Value> {
        let provider = self.providers.get(provider_name).cloned().ok_or_else(|| EngineError::Provider(format!("provider {provider_name} is not available")))?;
        self.events.event(EngineEvent::Importing { addr: addr.clone(), id: id.to_string() });
        provider.import(&addr.ty, id).await.map_err(|e| EngineError::Provider(format!("{addr}: import of {id:?} failed: {e}")))
    }
}
