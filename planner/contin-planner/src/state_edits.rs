//! `moved` and `removed` blocks: edits of the state's addresses decided at
//! plan time, recorded in the plan (`Plan::language`) and made to the
//! state by apply before any change runs.
//!
//! `moved`: every recorded instance at `from` (a resource, an instance or a
//! module) now lives at `to`; chains (`a`→`b`, `b`→`c`) are followed. A
//! statement whose `from` is still declared, two statements from the same
//! address, cycles and type changes are errors located at the block.
//! `removed { lifecycle { destroy = false } }`: the recorded instances are
//! forgotten (state only), never destroyed.

use crate::plan::LanguageEffects as StateEdits;
use contin_config::{Config, MovedBlock};
use contin_state::State;
use contin_types::{Diagnostic, Diagnostics, InstanceKey, ResourceAddr, ResourceMode};
use std::collections::{BTreeMap, BTreeSet};

/// Where `addr` goes under one `moved` statement, if it matches.
fn move_one(m: &MovedBlock, addr: &ResourceAddr) -> Option<ResourceAddr> {
    let (from, to) = (&m.from, &m.to);
    if from.is_module() {
        // `module.a` → `module.b`: every address in or below module.a.
        if !addr.within_module(&from.module) {
            return None;
        }
        let rest = &addr.module[from.module.len()..];
        // `module.a` written without a key covers `module.a[0]` too: keep the key.
        let mut out = addr.clone();
        out.module = format!("{}{rest}", to.module);
        return Some(out);
    }
    if addr.module != from.module || addr.mode != from.mode || addr.ty != from.ty || addr.name != from.name {
        return None;
    }
    let whole = from.key == InstanceKey::None && to.key == InstanceKey::None;
    if !whole && addr.key != from.key {
        return None;
    }
    let key = if whole { addr.key.clone() } else { to.key.clone() };
    Some(ResourceAddr { module: to.module.clone(), mode: to.mode, ty: to.ty.clone(), name: to.name.clone(), key })
}

/// Static checks of the `moved` statements (no state needed).
pub fn check_moved(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen: BTreeMap<String, &MovedBlock> = BTreeMap::new();
    for m in &config.moved {
        let (f, t) = (&m.from, &m.to);
        if f.is_module() != t.is_module() {
            diags.push(
                Diagnostic::error("Invalid \"moved\" addresses")
                    .with_detail(format!("Cannot move {f} to {t}: a module moves to a module, a resource to a resource."))
                    .at(m.loc.clone()),
            );
            continue;
        }
        if f == t {
            diags.push(Diagnostic::error("Redundant move statement").with_detail(format!("This statement moves {f} to itself.")).at(m.loc.clone()));
            continue;
        }
        if !f.is_module() && (f.ty != t.ty || f.mode != t.mode || f.mode == ResourceMode::Data) {
            let detail = if f.mode == ResourceMode::Data || t.mode == ResourceMode::Data {
                "Data sources cannot be moved: they are read again at every plan.".to_string()
            } else {
                format!("This statement declares a move from an object of type {:?} to an object of type {:?}; a move cannot change the resource type.", f.ty, t.ty)
            };
            diags.push(Diagnostic::error("Resource type mismatch").with_detail(detail).at(m.loc.clone()));
            continue;
        }
        if (f.key == InstanceKey::None) != (t.key == InstanceKey::None) && !f.is_module() {
            // aws_x.a → aws_x.b[0] moves the no-key instance: allowed only
            // as an instance move, which needs both sides written as instances.
            let key_side = if f.key == InstanceKey::None { t } else { f };
            if key_side.key != InstanceKey::None && f.key == InstanceKey::None {
                diags.push(
                    Diagnostic::error("Incompatible move statement")
                        .with_detail(format!("{f} names a whole resource but {t} names one instance; write both as whole resources or both as instances."))
                        .at(m.loc.clone()),
                );
                continue;
            }
        }
        let key = f.to_string();
        if let Some(first) = seen.get(&key) {
            diags.push(
                Diagnostic::error("Ambiguous move statements")
                    .with_detail(format!("A statement at {} declared that {f} moved to {}, but this statement instead declares that it moved to {t}.", config.sources.describe(&first.loc), first.to))
                    .at(m.loc.clone())
                    .with_related("first move from here", first.loc.clone()),
            );
            continue;
        }
        seen.insert(key, m);
        // The `from` resource must be gone from the configuration.
        if !f.is_module() && f.key == InstanceKey::None {
            if let Some(r) = config.resources.iter().find(|r| r.mode == f.mode && r.ty == f.ty && r.name == f.name && r.module == f.module) {
                diags.push(
                    Diagnostic::error("Moved object still exists")
                        .with_detail(format!("This statement declares a move from {f}, but that resource is still declared in the configuration."))
                        .at(m.from_loc.clone())
                        .with_related("declared here", r.loc.clone()),
                );
            }
        }
    }
    // Cycles: following `to` → `from` from any statement comes back to it.
    for m in &config.moved {
        let mut at = m.to.clone();
        for _ in 0..=config.moved.len() {
            match config.moved.iter().find(|n| n.from == at) {
                Some(n) if std::ptr::eq(n, m) => {
                    diags.push(
                        Diagnostic::error("Cyclic dependency in move statements")
                            .with_detail(format!("The move from {} to {} is part of a cycle of moves; each object must end at one address.", m.from, m.to))
                            .at(m.loc.clone()),
                    );
                    break;
                }
                Some(n) => at = n.to.clone(),
                None => break,
            }
        }
    }
    diags
}

/// The state as planning sees it after `moved` and `removed` statements,
/// with what changed. `None` when no statement applies.
pub fn plan_state_edits(config: &Config, state: Option<&State>) -> Option<(State, StateEdits)> {
    // Invalid statements are reported by `walk::prepare` (and `validate`).
    if check_statements(config).has_errors() {
        return None;
    }
    let state = state?;
    if config.moved.is_empty() && config.removed.iter().all(|r| r.destroy) {
        return None;
    }
    let mut edits = StateEdits::default();
    let mut next = state.clone();
    let occupied: BTreeSet<ResourceAddr> = state.resources.keys().cloned().collect();
    let mut moved_to: BTreeSet<ResourceAddr> = BTreeSet::new();
    for addr in state.resources.keys() {
        // Follow the chain; bounded (cycles are rejected above).
        let mut at = addr.clone();
        for _ in 0..config.moved.len() {
            match config.moved.iter().find_map(|m| move_one(m, &at)) {
                Some(n) => at = n,
                None => break,
            }
        }
        if &at == addr {
            continue;
        }
        if occupied.contains(&at) || !moved_to.insert(at.clone()) {
            // Terraform leaves both where they are and warns.
            edits.warnings.push(
                Diagnostic::warning("Unresolved resource instance address changes")
                    .with_detail(format!("contin tried to move {addr} to {at}, but an object already exists at {at}; the object at {addr} was left where it is."))
                    .for_address(addr),
            );
            continue;
        }
        if let Some(mut rs) = next.resources.remove(addr) {
            rs.addr = at.clone();
            next.resources.insert(at.clone(), rs);
            edits.moved.push((addr.clone(), at));
        }
    }
    for r in config.removed.iter().filter(|r| !r.destroy) {
        let gone: Vec<ResourceAddr> = next
            .resources
            .keys()
            .filter(|a| if r.from.is_module() { a.within_module(&r.from.module) } else { a.resource() == r.from })
            .cloned()
            .collect();
        for a in gone {
            next.resources.remove(&a);
            edits.forgotten.push(a);
        }
    }
    edits.moved.sort();
    edits.forgotten.sort();
    if edits.is_empty() {
        return None;
    }
    Some((next, edits))
}

/// Static checks of `moved`, `removed` and `import` statements.
pub fn check_statements(config: &Config) -> Diagnostics {
    let mut diags = check_moved(config);
    diags.extend(check_removed(config));
    for i in &config.imports {
        let declared = config.resources.iter().any(|r| r.mode == ResourceMode::Managed && r.module.is_empty() && r.ty == i.ty && r.name == i.name);
        if !declared {
            diags.push(
                Diagnostic::error("Configuration for import target does not exist")
                    .with_detail(format!("The configuration for the given import target {}.{} does not exist. All target instances must have an associated configuration to be imported.", i.ty, i.name))
                    .at(i.to_loc.clone()),
            );
        }
    }
    diags
}

/// A `removed` block whose `from` is still declared is an error.
fn check_removed(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for rb in &config.removed {
        let f = &rb.from;
        let still = if f.is_module() {
            config.resources.iter().find(|r| !r.module.is_empty() && ResourceAddr::managed(&r.ty, &r.name).in_module(r.module.clone()).within_module(&f.module))
        } else {
            config.resources.iter().find(|r| r.mode == f.mode && r.ty == f.ty && r.name == f.name && r.module == f.module)
        };
        if let Some(r) = still {
            diags.push(
                Diagnostic::error("Removed resource still exists")
                    .with_detail(format!("This statement declares that {f} was removed, but it is still declared in the configuration."))
                    .at(rb.from_loc.clone())
                    .with_related("declared here", r.loc.clone()),
            );
        }
    }
    diags
}

/// Makes a plan's state edits to `state` (apply, before any change runs).
pub fn apply_state_edits(edits: &StateEdits, state: &mut State) {
    for (from, to) in &edits.moved {
        if state.resources.contains_key(to) {
            continue;
        }
        if let Some(mut rs) = state.resources.remove(from) {
            rs.addr = to.clone();
            state.resources.insert(to.clone(), rs);
        }
    }
    for a in &edits.forgotten {
        state.resources.remove(a);
    }
}
