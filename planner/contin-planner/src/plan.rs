//! The `Plan`: immutable, serializable, fenced by (lineage, base_serial).
//! Renderers and the executor read it and nothing else.

use contin_types::value::ValuePath;
use contin_types::{ResourceAddr, SourceMap, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Plan file format version written by this build (and the newest it
/// reads). Version 2 added `Plan::deposed`; version 1 files still load.
pub const PLAN_FORMAT_VERSION: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    Normal,
    Destroy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    /// Data source read during apply (its config was not known at plan time).
    Read,
    Update,
    /// Delete + create; order given by `ResourceChange::create_before_destroy`.
    Replace,
    Delete,
}

impl Action {
    /// The verb while the change runs (`Still creating...`, the dashboard's
    /// apply rows).
    pub fn progressive(self) -> &'static str {
        match self {
            Action::Create => "creating",
            Action::Update => "modifying",
            Action::Replace => "replacing",
            Action::Delete => "destroying",
            Action::Read => "reading",
            Action::NoOp => "working",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// An attribute that cannot be updated in place changed (`replace_paths`).
    CannotUpdate,
    /// The prior object is tainted (a failed or interrupted create).
    Tainted,
    /// The resource block is gone from the configuration.
    NoResourceConfig,
    /// `count` shrank below this index.
    CountIndex,
    /// The `for_each` key is gone.
    EachKey,
    /// The object was deleted outside contin; it will be created again.
    DeletedOutOfBand,
    /// `contin destroy` / `plan --destroy`.
    DestroyMode,
    /// A `lifecycle.replace_triggered_by` reference changed.
    ReplaceTriggered,
}

/// The planned change of one resource instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub addr: ResourceAddr,
    /// Provider name (`local`, `fake`, `aws`).
    pub provider: String,
    pub action: Action,
    /// Refreshed prior value (with sensitive marks), `None` on create.
    pub before: Option<Value>,
    /// Planned value (with sensitive marks and `Unknown`s), `None` on delete.
    pub after: Option<Value>,
    /// Attributes that force the replacement.
    pub replace_paths: Vec<ValuePath>,
    pub reason: Option<ChangeReason>,
    /// Instance addresses this change must wait for (creates/updates), or that
    /// must wait for it (deletes run in reverse).
    pub depends_on: Vec<ResourceAddr>,
    pub create_before_destroy: bool,
    /// `lifecycle.prevent_destroy` (checked by the planner; kept for renderers).
    pub prevent_destroy: bool,
}

/// An attribute drift noticed by refresh (changed outside contin).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceDrift {
    pub addr: ResourceAddr,
    /// Value recorded in state.
    pub recorded: Value,
    /// Value read now; `None` = deleted out of band.
    pub current: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub action: Action,
    pub before: Option<Value>,
    /// May contain `Unknown`.
    pub after: Option<Value>,
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub mode: PlanMode,
    /// Lineage of the state planned against (`None`: there was no state).
    pub lineage: Option<String>,
    /// Serial of the state planned against (`None`: there was no state).
    pub base_serial: Option<u64>,
    /// sha256 of the configuration sources.
    pub config_hash: String,
    /// The configuration snapshot; apply re-evaluates it with known values.
    pub sources: SourceMap,
    /// Resolved input variables (sensitive ones marked).
    pub variables: BTreeMap<String, Value>,
    /// `--target` addresses, as given.
    pub targets: Vec<String>,
    /// One entry per instance in config or state, sorted by address.
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<ResourceDrift>,
    pub outputs: BTreeMap<String, OutputChange>,
    /// Objects that could not be read (host unreachable): kept as recorded,
    /// never planned for deletion because of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreachable: Vec<Unreachable>,
    /// Deletes of deposed objects (old objects a `create_before_destroy`
    /// replace could not delete), sorted by (address, key). Kept apart from
    /// `changes`, which holds one entry per instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<DeposedChange>,
    /// What `moved`, `removed`, `import` and `check` blocks add to the plan.
    #[serde(default, skip_serializing_if = "LanguageEffects::is_empty")]
    pub language: LanguageEffects,
}

/// The plan's share of the Terraform language blocks beyond resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LanguageEffects {
    /// `moved` blocks: (from, to) instance addresses; apply renames them in
    /// the state before any change runs (`changes` already use `to`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<(ResourceAddr, ResourceAddr)>,
    /// `removed { lifecycle { destroy = false } }`: instances apply drops
    /// from the state without destroying them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forgotten: Vec<ResourceAddr>,
    /// `import` blocks: objects apply imports (provider `import`) before
    /// any change runs; their `changes` entry plans against the imported value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<PlannedImport>,
    /// Warnings: failed `check` assertions, unresolved moves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<contin_types::Diagnostic>,
}

impl LanguageEffects {
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty() && self.forgotten.is_empty() && self.imports.is_empty() && self.warnings.is_empty()
    }
    /// True when apply would change the state because of these.
    pub fn changes_state(&self) -> bool {
        !self.moved.is_empty() || !self.forgotten.is_empty() || !self.imports.is_empty()
    }
    /// The address `addr` had before a `moved` statement, if it moved.
    pub fn moved_from(&self, addr: &ResourceAddr) -> Option<&ResourceAddr> {
        self.moved.iter().find(|(_, to)| to == addr).map(|(from, _)| from)
    }
}

/// One object an `import` block brings under management.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedImport {
    pub addr: ResourceAddr,
    /// The provider configuration (`aws`, `aws.west`).
    pub provider: String,
    pub id: String,
}

/// The planned destroy of one deposed object of an instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeposedChange {
    /// The object's key among its instance's deposed objects (8 hex digits).
    pub key: String,
    /// Always a `Delete`: `addr` is the instance, `before` the object's
    /// recorded value (with sensitive marks), `depends_on` the instance's
    /// recorded dependencies (its dependants' destroys go first).
    pub change: ResourceChange,
}

impl DeposedChange {
    /// `aws_instance.a (deposed object 1a2b3c4d)`, as Terraform writes it.
    pub fn display_addr(&self) -> String {
        deposed_display(&self.change.addr, &self.key)
    }
}

/// `ADDR (deposed object KEY)`, as Terraform writes a deposed object's address.
pub fn deposed_display(addr: &ResourceAddr, key: &str) -> String {
    format!("{addr} (deposed object {key})")
}
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unreachable {
    pub addr: ResourceAddr,
    pub reason: String,
}

impl Plan {
    /// True when applying would change anything (resources or outputs).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
            || !self.deposed.is_empty()
            || self.language.changes_state()
            || self.outputs.values().any(|o| o.action != Action::NoOp)
    }
    pub fn change(&self, addr: &ResourceAddr) -> Option<&ResourceChange> {
        self.changes.binary_search_by(|c| c.addr.cmp(addr)).ok().map(|i| &self.changes[i])
    }
}
