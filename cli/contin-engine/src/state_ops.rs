//! State commands as data: list/show/JSON views (every sensitive value
//! redacted), and the locked edits `rm`, `mv`, `push`, `force-unlock`.

use crate::error::{EngineError, Result};
use crate::Workspace;
use contin_state::{LockInfo, ResourceState, State};
use contin_types::{InstanceKey, ResourceAddr, ResourceMode, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// True when `addr` is `pattern` or one of its instances (Terraform's
/// `state list|rm` matching): `local_file.a` matches `local_file.a` and
/// `local_file.a[0]`; `local_file.a[0]` matches only itself. A pattern that
/// is not a resource address (a bare type such as `local_file`) matches nothing.
pub fn addr_matches(addr: &ResourceAddr, pattern: &str) -> bool {
    match pattern.parse::<ResourceAddr>() {
        // `module.x` (or `module.x[0]`): everything in that module.
        Ok(p) if p.is_module() => addr.within_module(&p.module),
        Ok(p) if p.key == InstanceKey::None => addr.resource() == p,
        Ok(p) => *addr == p,
        Err(_) => false,
    }
}

/// Output values recorded in a state: name → (value, sensitive).
pub fn outputs_of(state: Option<&State>) -> BTreeMap<String, (Value, bool)> {
    state.map(|s| s.outputs.iter().map(|(k, o)| (k.clone(), (Value::from_json(&o.value), o.sensitive))).collect()).unwrap_or_default()
}

/// Attributes with their sensitive marks restored.
pub fn marked_attributes(r: &ResourceState) -> Value {
    Value::from_json(&r.attributes).mark_paths(&r.sensitive_paths)
}

/// A read-only view of a stored state for `state list|show` and `show`.
pub struct StateView {
    pub state: Option<State>,
}

impl StateView {
    /// Instance addresses matching any of `prefixes` (all when empty), sorted.
    pub fn list(&self, prefixes: &[String]) -> Vec<String> {
        let Some(state) = &self.state else { return Vec::new() };
        state
            .resources
            .keys()
            .filter(|a| prefixes.is_empty() || prefixes.iter().any(|p| addr_matches(a, p)))
            .map(ToString::to_string)
            .collect()
    }

    /// The one instance `addr` names (a resource with one instance counts).
    pub fn resource(&self, addr: &str) -> Result<&ResourceState> {
        let parsed: ResourceAddr = addr.parse().map_err(|e| EngineError::Invalid(format!("invalid resource address {addr:?}: {e}")))?;
        let Some(state) = &self.state else {
            return Err(EngineError::Invalid(format!("no resource instance {addr} in the state (see `contin state list`)")));
        };
        if let Some(r) = state.resources.get(&parsed) {
            return Ok(r);
        }
        let instances: Vec<&ResourceState> = state.resources.values().filter(|r| addr_matches(&r.addr, addr)).collect();
        match instances.as_slice() {
            [] => Err(EngineError::Invalid(format!("no resource instance {addr} in the state (see `contin state list`)"))),
            [only] => Ok(only),
            many => Err(EngineError::Invalid(format!(
                "{addr} has {} instances; name one of them: {}",
                many.len(),
                many.iter().map(|r| r.addr.to_string()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The edge site tree derived from the resources with every sensitive
    /// value removed first (a label or name from a secret never shows).
    pub fn redacted_sites(&self) -> BTreeMap<String, serde_json::Value> {
        let Some(state) = &self.state else { return BTreeMap::new() };
        let mut copy = state.clone();
        for r in copy.resources.values_mut() {
            if !r.sensitive_paths.is_empty() {
                r.attributes = redact(&marked_attributes(r)).0;
            }
        }
        contin_state::sites::derive(&copy)
    }

    /// `contin show -json` without a plan: the state with every sensitive value replaced by null.
    pub fn json(&self) -> serde_json::Value {
        let Some(state) = &self.state else {
            return serde_json::json!({"format_version": "1", "values": null});
        };
        // Like `terraform show -json`: a deposed object (an old object a
        // create_before_destroy replace could not delete) is an entry of
        // its own with `deposed_key`, redacted like the current object.
        let objects = state.resources.values().flat_map(|r| {
            std::iter::once((r, None, marked_attributes(r), &r.sensitive_paths)).chain(
                r.deposed.iter().map(move |d| (r, Some(d.key.as_str()), Value::from_json(&d.attributes).mark_paths(&d.sensitive_paths), &d.sensitive_paths)),
            )
        });
        let resources: Vec<serde_json::Value> = objects
            .filter(|(r, deposed, _, _)| deposed.is_some() || !r.attributes.is_null() || r.deposed.is_empty())
            .map(|(r, deposed, value, sensitive_paths)| {
                let (attrs, _) = redact(&value);
                let mut entry = serde_json::json!({
                    "address": r.addr.to_string(),
                    "mode": if r.addr.mode == ResourceMode::Data { "data" } else { "managed" },
                    "type": r.addr.ty,
                    "name": r.addr.name,
                    "index": match &r.addr.key {
                        InstanceKey::None => serde_json::Value::Null,
                        InstanceKey::Int(i) => serde_json::json!(i),
                        InstanceKey::Str(s) => serde_json::json!(s),
                    },
                    "provider": r.provider,
                    "module_address": if r.addr.module.is_empty() { serde_json::Value::Null } else { serde_json::json!(r.addr.module) },
                    "status": r.status,
                    "values": attrs,
                    "sensitive_paths": sensitive_paths.iter().map(|p| contin_types::value::path_to_string(p)).collect::<Vec<_>>(),
                    "depends_on": r.dependencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
                });
                if let (Some(key), serde_json::Value::Object(m)) = (deposed, &mut entry) {
                    m.insert("deposed_key".into(), serde_json::Value::String(key.to_string()));
                }
                entry
            })
            .collect();
        let outputs: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .map(|(k, o)| {
                let (value, _) = if o.sensitive { (serde_json::Value::Null, true) } else { redact(&Value::from_json(&o.value)) };
                (k.clone(), serde_json::json!({"sensitive": o.sensitive, "value": value}))
            })
            .collect();
        serde_json::json!({
            "format_version": "1",
            "lineage": state.lineage,
            "serial": state.serial,
            "values": {"resources": resources, "outputs": outputs},
            "sites": self.redacted_sites(),
        })
    }
}

/// JSON with every sensitive value replaced by null; also says whether any was.
pub fn redact(v: &Value) -> (serde_json::Value, bool) {
    match v {
        Value::Sensitive(_) => (serde_json::Value::Null, true),
        Value::List(items) | Value::Set(items) => {
            let mut any = false;
            let out = items
                .iter()
                .map(|i| {
                    let (j, s) = redact(i);
                    any |= s;
                    j
                })
                .collect();
            (serde_json::Value::Array(out), any)
        }
        Value::Map(m) => {
            let mut any = false;
            let out = m
                .iter()
                .map(|(k, i)| {
                    let (j, s) = redact(i);
                    any |= s;
                    (k.clone(), j)
                })
                .collect();
            (serde_json::Value::Object(out), any)
        }
        other => (other.to_json_lossy(), false),
    }
}

/// Removes the instances matching each address; fails (changing nothing) when one matches none.
pub fn remove(state: &mut State, addrs: &[String]) -> Result<Vec<String>> {
    let mut doomed = Vec::new();
    for a in addrs {
        a.parse::<ResourceAddr>().map_err(|e| EngineError::Invalid(format!("invalid resource address {a:?}: {e}")))?;
        let matched: Vec<ResourceAddr> = state.resources.keys().filter(|k| addr_matches(k, a)).cloned().collect();
        if matched.is_empty() {
            return Err(EngineError::Invalid(format!("no resource instance {a} in the state; nothing was removed")));
        }
        doomed.extend(matched);
    }
    doomed.sort();
    doomed.dedup();
    for a in &doomed {
        state.resources.remove(a);
    }
    Ok(doomed.iter().map(ToString::to_string).collect())
}

/// Renames one instance, or every instance of a resource (keys kept). The
/// type and mode must stay the same; dependencies pointing at moved
/// instances, or at the moved resource as a whole, are renamed too.
pub fn move_addr(state: &mut State, src: &str, dst: &str) -> Result<Vec<String>> {
    let parse = |a: &str| a.parse::<ResourceAddr>().map_err(|e| EngineError::Invalid(format!("invalid resource address {a:?}: {e}")));
    let (src_addr, dst_addr) = (parse(src)?, parse(dst)?);
    let bail = |m: String| Err(EngineError::Invalid(m));
    if src_addr.is_module() || dst_addr.is_module() {
        if !(src_addr.is_module() && dst_addr.is_module()) {
            return bail(format!("cannot move {src} to {dst}: a module moves only to a module address"));
        }
        // `module.a` → `module.b`: every instance in module.a and below.
        let renames: Vec<(ResourceAddr, ResourceAddr)> = state
            .resources
            .keys()
            .filter(|k| k.within_module(&src_addr.module))
            .map(|k| (k.clone(), ResourceAddr { module: format!("{}{}", dst_addr.module, &k.module[src_addr.module.len()..]), ..k.clone() }))
            .collect();
        if renames.is_empty() {
            return bail(format!("no resource in {src} in the state"));
        }
        return apply_moves(state, renames);
    }
    if src_addr.ty != dst_addr.ty || src_addr.mode != dst_addr.mode {
        return bail(format!("cannot move {src} to {dst}: the resource types differ"));
    }
    let renames: Vec<(ResourceAddr, ResourceAddr)> = if state.resources.contains_key(&src_addr) {
        vec![(src_addr.clone(), dst_addr.clone())]
    } else {
        if src_addr.key != InstanceKey::None {
            return bail(format!("no resource instance {src} in the state"));
        }
        if dst_addr.key != InstanceKey::None {
            return bail(format!("cannot move all instances of {src} to the single instance {dst}"));
        }
        let all: Vec<_> = state
            .resources
            .keys()
            .filter(|k| k.resource() == src_addr)
            .map(|k| (k.clone(), dst_addr.clone().with_key(k.key.clone())))
            .collect();
        if all.is_empty() {
            return bail(format!("no resource {src} in the state"));
        }
        all
    };
    for (_, to) in &renames {
        if state.resources.contains_key(to) {
            return bail(format!("cannot move to {to}: it already exists in the state"));
        }
    }
    for (from, to) in &renames {
        if let Some(mut r) = state.resources.remove(from) {
            r.addr = to.clone();
            state.resources.insert(to.clone(), r);
        }
    }
    // Dependencies name instances or (recorded per block) whole resources:
    // moving every instance of `src` also renames the block address.
    let whole_block = src_addr.key == InstanceKey::None;
    for r in state.resources.values_mut() {
        for dep in r.dependencies.iter_mut() {
            if let Some((_, to)) = renames.iter().find(|(from, _)| from == dep) {
                *dep = to.clone();
            } else if whole_block && *dep == src_addr {
                *dep = dst_addr.clone();
            }
        }
    }
    Ok(renames.iter().map(|(f, t)| format!("{f} -> {t}")).collect())
}

/// Applies a module move: instances and the dependencies naming them.
fn apply_moves(state: &mut State, renames: Vec<(ResourceAddr, ResourceAddr)>) -> Result<Vec<String>> {
    for (_, to) in &renames {
        if state.resources.contains_key(to) && !renames.iter().any(|(f, _)| f == to) {
            return Err(EngineError::Invalid(format!("cannot move to {to}: it already exists in the state")));
        }
    }
    let mut moved = Vec::new();
    for (from, _) in &renames {
        if let Some(r) = state.resources.remove(from) {
            moved.push(r);
        }
    }
    for (mut r, (_, to)) in moved.into_iter().zip(&renames) {
        r.addr = to.clone();
        state.resources.insert(to.clone(), r);
    }
    let blocks: Vec<(ResourceAddr, ResourceAddr)> = renames.iter().map(|(f, t)| (f.resource(), t.resource())).collect();
    for r in state.resources.values_mut() {
        for dep in r.dependencies.iter_mut() {
            if let Some((_, to)) = renames.iter().chain(&blocks).find(|(from, _)| from == dep) {
                *dep = to.clone();
            }
        }
    }
    Ok(renames.iter().map(|(f, t)| format!("{f} -> {t}")).collect())
}

/// `contin state push FILE` options.
#[derive(Clone, Debug, Default)]
pub struct PushOptions {
    /// `-force`: accept another lineage or an older serial.
    pub force: bool,
}

/// Decides whether `pushed` may replace `stored`; returns the serial to write.
pub fn push_serial(pushed: &State, stored: Option<&State>, force: bool) -> Result<u64> {
    let Some(stored) = stored else { return Ok(pushed.serial.max(1)) };
    if !force && stored.lineage != pushed.lineage {
        return Err(EngineError::Invalid(format!(
            "refusing to push: the file holds another state (lineage {}) than the backend (lineage {}); pass -force to replace it",
            pushed.lineage, stored.lineage
        )));
    }
    if !force && pushed.serial < stored.serial {
        return Err(EngineError::Invalid(format!(
            "refusing to push: the file's serial {} is older than the stored serial {}; pass -force to replace it",
            pushed.serial, stored.serial
        )));
    }
    Ok(stored.serial.max(pushed.serial) + 1)
}

impl Workspace {
    /// The stored state as a view (not locked).
    pub async fn state_view(&self) -> Result<StateView> {
        Ok(StateView { state: self.load_state().await? })
    }

    /// Loads the state under the lock, lets `edit` change it, writes it with a bumped serial.
    async fn edit_state<F>(&self, operation: &str, edit: F) -> Result<Vec<String>>
    where
        F: FnOnce(&mut State) -> Result<Vec<String>> + Send + 'static,
    {
        let ws = self.clone();
        crate::lock::run_locked(&self.backend, operation, &self.events, async move {
            let Some(mut state) = ws.recovered_state(true).await? else {
                return Err(EngineError::Invalid(format!("there is no state yet ({})", ws.backend.describe())));
            };
            let expected = state.serial;
            let lines = edit(&mut state)?;
            state.refresh_sites();
            state.serial = expected + 1;
            ws.backend.persist(&state, Some(expected)).await.map_err(|e| EngineError::state("writing the state", e))?;
            Ok(lines)
        })
        .await
    }

    /// `contin state rm ADDR...`: the removed instance addresses.
    pub async fn state_rm(&self, addrs: Vec<String>) -> Result<Vec<String>> {
        self.edit_state("state rm", move |s| remove(s, &addrs)).await
    }

    /// `contin state mv SRC DST`: `from -> to` per moved instance.
    pub async fn state_mv(&self, src: String, dst: String) -> Result<Vec<String>> {
        self.edit_state("state mv", move |s| move_addr(s, &src, &dst)).await
    }

    /// `contin state push FILE` (like `terraform state push`): under the lock,
    /// replaces the stored state with the file's; refuses another lineage or
    /// an older serial unless forced; the written serial is bumped. Returns it.
    pub async fn state_push(&self, file: PathBuf, opts: PushOptions) -> Result<u64> {
        let path = self.resolve(&file);
        let text = crate::files::read_text(&path, crate::files::MAX_FILE_BYTES * 16)?;
        let mut pushed: State = contin_state::codec::decode(text.as_bytes(), &file.display().to_string())
            .map_err(|e| EngineError::state(format!("reading {}", file.display()), e))?;
        let ws = self.clone();
        crate::lock::run_locked(&self.backend, "state push", &self.events, async move {
            let stored = ws.recovered_state(true).await?;
            let serial = push_serial(&pushed, stored.as_ref(), opts.force)?;
            let expected = stored.as_ref().map(|s| s.serial);
            if let Some(s) = stored.as_ref().filter(|s| s.lineage != pushed.lineage) {
                // Forced over another lineage: the backend keeps its lineage check, so adopt it.
                pushed.lineage = s.lineage.clone();
            }
            pushed.serial = serial;
            pushed.refresh_sites();
            ws.backend.persist(&pushed, expected).await.map_err(|e| EngineError::state("writing the state", e))?;
            Ok(serial)
        })
        .await
    }

    /// Who holds the state lock, if anyone.
    pub async fn lock_holder(&self) -> Result<Option<LockInfo>> {
        self.backend.lock_holder().await.map_err(|e| EngineError::state("reading the state lock", e))
    }

    /// `contin force-unlock -force ID`.
    pub async fn force_unlock(&self, id: &str) -> Result<()> {
        self.backend.force_unlock(id).await.map_err(|e| EngineError::state("force-unlock", e))
    }
}

#[cfg(test)]
mod tests;
