//! Documents of the edge protocol (docs/edge-protocol.md). Every document
//! has a `format_version`; readers refuse versions they do not know.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT_VERSION: u32 = 1;

/// What a site should run (`sites/<site>/desired.json`, signed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesiredState {
    pub format_version: u32,
    /// The state lineage of the deployment that wrote it.
    pub deployment: String,
    pub site: String,
    /// Only grows per site.
    pub generation: u64,
    /// RFC 3339.
    pub issued_at: String,
    /// Child sites whose documents a relay agent of this site serves.
    #[serde(default)]
    pub children: Vec<String>,
    pub workloads: Vec<WorkloadSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Process,
    Podman,
    Docker,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSpec {
    /// Address without the block type: `vision`, `vision[0]`, `vision["a"]`.
    pub name: String,
    pub replicas: u32,
    pub runtime: Runtime,
    /// Process runtime: argv.
    #[serde(default)]
    pub command: Vec<String>,
    /// Container runtimes.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub requires: Requires,
    #[serde(default)]
    pub health: Option<Health>,
    #[serde(default)]
    pub restart: Restart,
    #[serde(default)]
    pub autonomy: Autonomy,
    /// Hex SHA-256 of this object serialized with `spec_hash` empty.
    #[serde(default)]
    pub spec_hash: String,
}

impl WorkloadSpec {
    /// Computes `spec_hash` (see the field).
    pub fn compute_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut plain = self.clone();
        plain.spec_hash = String::new();
        let bytes = serde_json::to_vec(&plain).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// The spec with its `spec_hash` filled in.
    pub fn hashed(mut self) -> Self {
        self.spec_hash = self.compute_hash();
        self
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Requires {
    #[serde(default)]
    pub cpu: f64,
    #[serde(default)]
    pub memory_mb: u64,
    #[serde(default)]
    pub gpu: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthKind {
    Exec,
    Tcp,
    Http,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub kind: HealthKind,
    /// `tcp`: host:port; `http`: URL. Unused for `exec`.
    #[serde(default)]
    pub target: String,
    /// `exec`: argv (exit 0 = healthy).
    #[serde(default)]
    pub command: Vec<String>,
    pub interval_s: f64,
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    /// Consecutive failures before the workload is restarted.
    #[serde(default = "default_failures")]
    pub failures: u32,
}

fn default_timeout() -> f64 {
    2.0
}
fn default_failures() -> u32 {
    3
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Restart {
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
}

impl Default for Restart {
    fn default() -> Self {
        Restart { backoff_initial_ms: 500, backoff_max_ms: 60_000 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Autonomy {
    pub tolerate_disconnection_s: u64,
}

impl Default for Autonomy {
    fn default() -> Self {
        Autonomy { tolerate_disconnection_s: 24 * 3600 }
    }
}

/// The signed claims of an enrollment token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenClaims {
    pub v: u32,
    pub token_id: String,
    pub site: String,
    pub deployment: String,
    /// Mailbox URL (`file://…`, `s3://…`); never holds credentials.
    pub mailbox: String,
    /// Base64 ed25519 public key the agent trusts from now on.
    pub deployment_key: String,
    pub issued_at: String,
    pub expires_at: String,
}

/// Host facts an agent registers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub hostname: String,
    pub os: String,
    pub arch: String,
    pub cpus: u32,
    pub memory_mb: u64,
}

/// `sites/<site>/agents/<id>/agent.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub format_version: u32,
    pub agent_id: String,
    pub site: String,
    pub public_key: String,
    pub enrolled_at: String,
    pub token_id: String,
    pub facts: Facts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub generation: u64,
    pub reason: String,
    pub at: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadState {
    Starting,
    Running,
    Backoff,
    Unhealthy,
    Stopped,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadStatus {
    pub name: String,
    pub replica: u32,
    pub state: WorkloadState,
    #[serde(default)]
    pub pid: Option<u32>,
    #[serde(default)]
    pub container_id: Option<String>,
    pub restarts: u32,
    #[serde(default)]
    pub started_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetryPoint {
    pub seq: u64,
    pub at: String,
    pub cpu_pct: f64,
    pub memory_mb: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    #[serde(default)]
    pub gpu_pct: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetrySummary {
    pub buffered: u64,
    pub uploaded: u64,
    pub dropped: u64,
    pub capacity: u64,
    #[serde(default)]
    pub last: Option<TelemetryPoint>,
}

/// `sites/<site>/agents/<id>/status.json` (signed with the agent's key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub format_version: u32,
    pub agent_id: String,
    pub site: String,
    pub reported_at: String,
    pub acked_generation: u64,
    #[serde(default)]
    pub rejected: Vec<Rejection>,
    #[serde(default)]
    pub disconnected_since: Option<String>,
    #[serde(default)]
    pub last_disconnection_s: Option<f64>,
    pub workloads: Vec<WorkloadStatus>,
    pub telemetry: TelemetrySummary,
}

/// `sites/<site>/agents/<id>/telemetry/<first_seq:020>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TelemetryBatch {
    pub format_version: u32,
    pub agent_id: String,
    pub first_seq: u64,
    pub points: Vec<TelemetryPoint>,
}

/// Mailbox keys (relative to the mailbox root).
pub mod keys {
    pub fn desired(site: &str) -> String {
        format!("sites/{site}/desired.json")
    }
    pub fn agent(site: &str, agent_id: &str) -> String {
        format!("sites/{site}/agents/{agent_id}/agent.json")
    }
    pub fn status(site: &str, agent_id: &str) -> String {
        format!("sites/{site}/agents/{agent_id}/status.json")
    }
    pub fn telemetry(site: &str, agent_id: &str, first_seq: u64) -> String {
        format!("sites/{site}/agents/{agent_id}/telemetry/{first_seq:020}.json")
    }
    /// Prefix under which a site's agents live (for listing).
    pub fn agents_prefix(site: &str) -> String {
        format!("sites/{site}/agents/")
    }
}
