//! The recorded state (ARCHITECTURE §4), the `Backend` trait every state
//! store implements, lock types, and the shared backend conformance suite
//! (`conformance`). Architecture invariant: the model is plain data; all IO
//! is in backend crates.

use async_trait::async_trait;
use contin_types::value::ValuePath;
use contin_types::ResourceAddr;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The state format version this build writes and the newest it reads.
pub const STATE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Set once when the state is first created; never changes.
    pub lineage: String,
    /// Bumped by every write.
    pub serial: u64,
    /// Serialized as a list sorted by address (ARCHITECTURE §4).
    #[serde(with = "resources_as_list")]
    pub resources: BTreeMap<ResourceAddr, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
    /// Edge site tree and enrollments (filled by later issues).
    #[serde(default)]
    pub sites: BTreeMap<String, serde_json::Value>,
    /// Edge desired-state bookkeeping (docs/edge-protocol.md): the
    /// deployment key (secret) and what was last written per site. Absent
    /// until an apply writes a document; states without it load unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<EdgeState>,
}

/// `State.edge`: the deployment's ed25519 key and, per site, the last
/// desired-state document written to the mailbox.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EdgeState {
    /// Base64 ed25519 secret key (sensitive: never printed; `Debug` hides it).
    pub deployment_key: String,
    /// Base64 public key of `deployment_key`.
    #[serde(default)]
    pub public_key: String,
    /// Site name → last written document.
    #[serde(default)]
    pub sites: BTreeMap<String, EdgeSiteState>,
}

impl std::fmt::Debug for EdgeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeState").field("deployment_key", &"(sensitive)").field("public_key", &self.public_key).field("sites", &self.sites).finish()
    }
}

/// The last desired-state document written for a site.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EdgeSiteState {
    pub generation: u64,
    /// `spec_hash` of each workload in the document, in document order.
    #[serde(default)]
    pub spec_hashes: Vec<String>,
    #[serde(default)]
    pub children: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    #[default]
    Ready,
    /// Creation failed part-way or was interrupted: replaced on next apply.
    /// With `attributes` null the create may or may not have succeeded (an
    /// intent was journaled but no result): the provider adopts the object
    /// by name/tags when it is created again.
    Tainted,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    pub addr: ResourceAddr,
    pub provider: String,
    #[serde(default)]
    pub schema_version: u32,
    /// Plain JSON attributes (no marks, no unknowns).
    pub attributes: serde_json::Value,
    /// Paths inside `attributes` that are sensitive.
    #[serde(default)]
    pub sensitive_paths: Vec<ValuePath>,
    /// Instance addresses this one depended on when last applied (for delete ordering).
    #[serde(default)]
    pub dependencies: Vec<ResourceAddr>,
    #[serde(default)]
    pub status: ResourceStatus,
    #[serde(default)]
    pub create_before_destroy: bool,
    /// Increases every time the object is (re)created (idempotency tokens).
    #[serde(default)]
    pub generation: u64,
    /// Older objects of this instance that a `create_before_destroy`
    /// replace could not delete (Terraform's "deposed" objects). The next
    /// plan deletes them. Omitted from the document when empty, so states
    /// written before this field existed load unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<DeposedObject>,
}

/// An object that was replaced but not yet deleted (see `ResourceState::deposed`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeposedObject {
    /// Stable key among the instance's deposed objects (8 hex digits, like Terraform's).
    pub key: String,
    /// Plain JSON attributes of the old object.
    pub attributes: serde_json::Value,
    #[serde(default)]
    pub sensitive_paths: Vec<ValuePath>,
    #[serde(default)]
    pub generation: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: serde_json::Value,
    #[serde(default)]
    pub sensitive: bool,
}

impl State {
    /// A fresh, empty state with a new lineage and serial 0.
    pub fn new() -> Self {
        State {
            version: STATE_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            sites: BTreeMap::new(),
            edge: None,
        }
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

mod resources_as_list {
    use super::ResourceState;
    use contin_types::ResourceAddr;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(m: &BTreeMap<ResourceAddr, ResourceState>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<ResourceAddr, ResourceState>, D::Error> {
        let list = Vec::<ResourceState>::deserialize(d)?;
        let mut map = BTreeMap::new();
        for r in list {
            if let Some(dup) = map.insert(r.addr.clone(), r) {
                return Err(serde::de::Error::custom(format!("resource {} appears twice", dup.addr)));
            }
        }
        Ok(map)
    }
}

/// Who holds a lock, for what, since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Random id; `contin force-unlock ID` takes it.
    pub id: String,
    /// `plan`, `apply`, `destroy`, …
    pub operation: String,
    /// `user@host (pid N)`.
    pub who: String,
    /// RFC 3339 UTC.
    pub created: String,
    /// Where the state lives (file path, s3 URL).
    #[serde(default)]
    pub path: String,
    /// Process id of the holder (0 in records written before it was kept).
    #[serde(default)]
    pub pid: u32,
    /// Host name of the holder (empty in old records).
    #[serde(default)]
    pub host: String,
    /// The CI run holding the lock (GitHub Actions run, GitLab job, Jenkins
    /// build URL); absent outside CI and in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The message names who, operation, since when, the ID and the exact
    /// `contin force-unlock -force ID` command; a holder on this host whose
    /// process is gone is reported as such.
    #[error("{}", lock::locked_message(.0))]
    Locked(LockInfo),
    #[error("no lock with ID {0} is held")]
    LockNotHeld(String),
    #[error("state at {location} is corrupted: {reason}; the file was left untouched")]
    Corrupt { location: String, reason: String },
    #[error("state at {location} has format version {found}, newer than this contin supports ({supported}); upgrade contin")]
    TooNew { location: String, found: u32, supported: u32 },
    #[error("state at {location} changed under us: expected serial {expected:?}, found {found:?} (another process wrote it); refusing to overwrite")]
    Conflict { location: String, expected: Option<u64>, found: Option<u64> },
    #[error("state lineage mismatch: stored {stored}, writing {writing}")]
    LineageMismatch { stored: String, writing: String },
    #[error("{context}: {source}")]
    Io { context: String, #[source] source: std::io::Error },
    #[error("{0}")]
    Other(String),
}

/// A place state is kept. `persist` must be atomic: a reader sees the old or
/// the new document, never a mix.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Human description for messages (`local file ./contin.state.json`).
    fn describe(&self) -> String;
    /// The stored state; `None` when there is none yet.
    async fn load(&self) -> Result<Option<State>, StateError>;
    /// Writes `state` (its serial already bumped by the caller) when the stored
    /// serial equals `expected_serial` (`None`: nothing stored yet);
    /// otherwise `StateError::Conflict` and nothing is written.
    async fn persist(&self, state: &State, expected_serial: Option<u64>) -> Result<(), StateError>;
    /// Takes the lock or fails with `StateError::Locked` naming the holder.
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError>;
    /// Releases a lock this process holds.
    async fn unlock(&self, id: &str) -> Result<(), StateError>;
    /// Releases a lock whatever holds it, when its ID matches.
    async fn force_unlock(&self, id: &str) -> Result<(), StateError>;
    /// The current lock holder, if any.
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError>;
    /// Where a backend stored on this machine keeps its apply journal
    /// (beside the state file). `None` for remote backends: the engine then
    /// keeps the journal in the workspace (`.contin/`).
    fn local_journal_path(&self) -> Option<std::path::PathBuf> {
        None
    }
}

// ---- Helpers added for issue 3 (each module documents its own job). ----

pub mod codec;
pub mod conformance;
pub mod files;
pub mod journal;
mod lock;
mod resource;
pub mod sites;
mod validate;

pub use lock::this_host;
pub use resource::UnknownInState;
