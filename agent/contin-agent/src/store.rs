//! The agent's local store (`<data dir>/agent.redb`): enrollment (trusted
//! deployment key, site, mailbox), the last verified desired document,
//! relay cache, workload identities and restart counts, and the telemetry
//! ring buffer. Everything the agent needs to resume offline lives here.

use crate::AgentError;
use contin_edge_proto::TelemetryPoint;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::path::{Path, PathBuf};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const WORKLOADS: TableDefinition<&str, &[u8]> = TableDefinition::new("workloads");
const RELAY: TableDefinition<&str, &[u8]> = TableDefinition::new("relay");
const TELEMETRY: TableDefinition<u64, &[u8]> = TableDefinition::new("telemetry");

/// Default ring buffer capacity (points).
pub const TELEMETRY_CAPACITY: u64 = 10_000;

/// What enrollment fixed for the life of the data dir.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    pub site: String,
    pub deployment: String,
    /// Base64 ed25519 public key every document must be signed with.
    pub deployment_key: String,
    /// The token's mailbox URL (status and telemetry go there).
    pub mailbox: String,
    pub token_id: String,
    pub enrolled_at: String,
    /// `agent.json` was written to the mailbox.
    #[serde(default)]
    pub registered: bool,
}

/// A running (or last started) workload replica.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRecord {
    pub name: String,
    pub replica: u32,
    pub spec_hash: String,
    #[serde(default)]
    pub runtime: Option<contin_edge_proto::Runtime>,
    /// Process runtime: pid and `/proc/<pid>/stat` start time (field 22).
    #[serde(default)]
    pub pid: Option<u32>,
    #[serde(default)]
    pub start_time: Option<u64>,
    /// Container runtimes: container id and name.
    #[serde(default)]
    pub container_id: Option<String>,
    #[serde(default)]
    pub container_name: Option<String>,
    pub restarts: u32,
    #[serde(default)]
    pub started_at: Option<String>,
}

impl WorkloadRecord {
    pub fn key(name: &str, replica: u32) -> String {
        format!("{name}#{replica}")
    }
}

/// Telemetry counters kept beside the ring.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetryCounters {
    pub next_seq: u64,
    pub uploaded: u64,
    pub dropped: u64,
}

pub struct Store {
    db: Database,
    path: PathBuf,
    capacity: u64,
}

fn err(path: &Path, e: impl std::fmt::Display) -> AgentError {
    AgentError::Store { path: path.to_path_buf(), detail: e.to_string() }
}

impl Store {
    /// Opens (or creates) the store; the telemetry ring keeps at most
    /// `capacity` points.
    pub fn open(path: &Path, capacity: u64) -> Result<Store, AgentError> {
        // A small page cache: the store holds kilobytes, and an idle agent
        // should stay small in memory.
        let db = Database::builder().set_cache_size(1 << 20).create(path).map_err(|e| err(path, e))?;
        let store = Store { db, path: path.to_path_buf(), capacity: capacity.max(1) };
        let tx = store.db.begin_write().map_err(|e| err(path, e))?;
        {
            tx.open_table(META).map_err(|e| err(path, e))?;
            tx.open_table(WORKLOADS).map_err(|e| err(path, e))?;
            tx.open_table(RELAY).map_err(|e| err(path, e))?;
            tx.open_table(TELEMETRY).map_err(|e| err(path, e))?;
        }
        tx.commit().map_err(|e| err(path, e))?;
        Ok(store)
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    fn e(&self, e: impl std::fmt::Display) -> AgentError {
        err(&self.path, e)
    }

    fn get_raw(&self, table: TableDefinition<&str, &[u8]>, key: &str) -> Result<Option<Vec<u8>>, AgentError> {
        let tx = self.db.begin_read().map_err(|e| self.e(e))?;
        let t = tx.open_table(table).map_err(|e| self.e(e))?;
        Ok(t.get(key).map_err(|e| self.e(e))?.map(|v| v.value().to_vec()))
    }

    fn put_raw(&self, table: TableDefinition<&str, &[u8]>, key: &str, value: Option<&[u8]>) -> Result<(), AgentError> {
        let tx = self.db.begin_write().map_err(|e| self.e(e))?;
        {
            let mut t = tx.open_table(table).map_err(|e| self.e(e))?;
            match value {
                Some(v) => {
                    t.insert(key, v).map_err(|e| self.e(e))?;
                }
                None => {
                    t.remove(key).map_err(|e| self.e(e))?;
                }
            }
        }
        tx.commit().map_err(|e| self.e(e))
    }

    fn get_json<T: DeserializeOwned>(&self, table: TableDefinition<&str, &[u8]>, key: &str) -> Result<Option<T>, AgentError> {
        match self.get_raw(table, key)? {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b).map(Some).map_err(|e| self.e(format!("record {key:?}: {e}"))),
        }
    }

    fn put_json<T: Serialize>(&self, table: TableDefinition<&str, &[u8]>, key: &str, value: &T) -> Result<(), AgentError> {
        let bytes = serde_json::to_vec(value).map_err(|e| self.e(e))?;
        self.put_raw(table, key, Some(&bytes))
    }

    pub fn enrollment(&self) -> Result<Option<Enrollment>, AgentError> {
        self.get_json(META, "enrollment")
    }

    pub fn set_enrollment(&self, e: &Enrollment) -> Result<(), AgentError> {
        self.put_json(META, "enrollment", e)
    }

    /// The last verified desired document (envelope bytes) and its generation.
    pub fn desired(&self) -> Result<Option<(Vec<u8>, u64)>, AgentError> {
        let Some(bytes) = self.get_raw(META, "desired")? else { return Ok(None) };
        let generation: u64 = self.get_json(META, "generation")?.unwrap_or(0);
        Ok(Some((bytes, generation)))
    }

    /// Records a verified document and its generation in one transaction.
    pub fn set_desired(&self, envelope: &[u8], generation: u64) -> Result<(), AgentError> {
        let tx = self.db.begin_write().map_err(|e| self.e(e))?;
        {
            let mut t = tx.open_table(META).map_err(|e| self.e(e))?;
            t.insert("desired", envelope).map_err(|e| self.e(e))?;
            let g = generation.to_string();
            t.insert("generation", g.as_bytes()).map_err(|e| self.e(e))?;
        }
        tx.commit().map_err(|e| self.e(e))
    }

    /// A JSON value under `meta` (rejections, disconnection state).
    pub fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, AgentError> {
        self.get_json(META, key)
    }

    pub fn set_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), AgentError> {
        self.put_json(META, key, value)
    }

    pub fn workloads(&self) -> Result<Vec<WorkloadRecord>, AgentError> {
        let tx = self.db.begin_read().map_err(|e| self.e(e))?;
        let t = tx.open_table(WORKLOADS).map_err(|e| self.e(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| self.e(e))? {
            let (k, v) = row.map_err(|e| self.e(e))?;
            let rec: WorkloadRecord = serde_json::from_slice(v.value()).map_err(|e| self.e(format!("workload {:?}: {e}", k.value())))?;
            out.push(rec);
        }
        Ok(out)
    }

    pub fn put_workload(&self, rec: &WorkloadRecord) -> Result<(), AgentError> {
        self.put_json(WORKLOADS, &WorkloadRecord::key(&rec.name, rec.replica), rec)
    }

    pub fn remove_workload(&self, name: &str, replica: u32) -> Result<(), AgentError> {
        self.put_raw(WORKLOADS, &WorkloadRecord::key(name, replica), None)
    }

    /// Relay cache: verified envelopes of descendant sites.
    pub fn relay_docs(&self) -> Result<Vec<(String, Vec<u8>)>, AgentError> {
        let tx = self.db.begin_read().map_err(|e| self.e(e))?;
        let t = tx.open_table(RELAY).map_err(|e| self.e(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| self.e(e))? {
            let (k, v) = row.map_err(|e| self.e(e))?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    pub fn set_relay_doc(&self, site: &str, envelope: Option<&[u8]>) -> Result<(), AgentError> {
        self.put_raw(RELAY, site, envelope)
    }

    pub fn telemetry_counters(&self) -> Result<TelemetryCounters, AgentError> {
        Ok(self.get_json(META, "telemetry")?.unwrap_or_default())
    }

    /// Appends a point (its `seq` is assigned here); drops the oldest
    /// points beyond the capacity and counts them.
    pub fn push_telemetry(&self, mut point: TelemetryPoint) -> Result<u64, AgentError> {
        let mut c = self.telemetry_counters()?;
        point.seq = c.next_seq;
        c.next_seq += 1;
        let bytes = serde_json::to_vec(&point).map_err(|e| self.e(e))?;
        let cbytes = serde_json::to_vec(&c).map_err(|e| self.e(e))?;
        let tx = self.db.begin_write().map_err(|e| self.e(e))?;
        {
            let mut t = tx.open_table(TELEMETRY).map_err(|e| self.e(e))?;
            t.insert(point.seq, bytes.as_slice()).map_err(|e| self.e(e))?;
            let mut dropped = 0;
            while t.len().map_err(|e| self.e(e))? > self.capacity {
                if t.pop_first().map_err(|e| self.e(e))?.is_none() {
                    break;
                }
                dropped += 1;
            }
            let mut m = tx.open_table(META).map_err(|e| self.e(e))?;
            if dropped > 0 {
                c.dropped += dropped;
            }
            let cbytes = if dropped > 0 { serde_json::to_vec(&c).map_err(|e| self.e(e))? } else { cbytes };
            m.insert("telemetry", cbytes.as_slice()).map_err(|e| self.e(e))?;
        }
        tx.commit().map_err(|e| self.e(e))?;
        Ok(point.seq)
    }

    pub fn telemetry_len(&self) -> Result<u64, AgentError> {
        let tx = self.db.begin_read().map_err(|e| self.e(e))?;
        let t = tx.open_table(TELEMETRY).map_err(|e| self.e(e))?;
        t.len().map_err(|e| self.e(e))
    }

    /// The oldest `max` buffered points.
    pub fn telemetry_batch(&self, max: usize) -> Result<Vec<TelemetryPoint>, AgentError> {
        let tx = self.db.begin_read().map_err(|e| self.e(e))?;
        let t = tx.open_table(TELEMETRY).map_err(|e| self.e(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| self.e(e))?.take(max) {
            let (_, v) = row.map_err(|e| self.e(e))?;
            out.push(serde_json::from_slice(v.value()).map_err(|e| self.e(e))?);
        }
        Ok(out)
    }

    /// Drops uploaded points up to and including `last_seq`.
    pub fn ack_telemetry(&self, last_seq: u64, count: u64) -> Result<(), AgentError> {
        let mut c = self.telemetry_counters()?;
        c.uploaded += count;
        let cbytes = serde_json::to_vec(&c).map_err(|e| self.e(e))?;
        let tx = self.db.begin_write().map_err(|e| self.e(e))?;
        {
            let mut t = tx.open_table(TELEMETRY).map_err(|e| self.e(e))?;
            t.retain_in(..=last_seq, |_, _| false).map_err(|e| self.e(e))?;
            let mut m = tx.open_table(META).map_err(|e| self.e(e))?;
            m.insert("telemetry", cbytes.as_slice()).map_err(|e| self.e(e))?;
        }
        tx.commit().map_err(|e| self.e(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(cpu: f64) -> TelemetryPoint {
        TelemetryPoint { cpu_pct: cpu, at: "2026-12-01T00:00:00Z".into(), ..Default::default() }
    }

    #[test]
    fn enrollment_desired_and_workloads_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.redb");
        {
            let s = Store::open(&path, 10).unwrap();
            assert_eq!(s.enrollment().unwrap(), None);
            let e = Enrollment {
                site: "s1".into(),
                deployment: "L".into(),
                deployment_key: "k".into(),
                mailbox: "file:///m".into(),
                token_id: "t".into(),
                enrolled_at: "now".into(),
                registered: false,
            };
            s.set_enrollment(&e).unwrap();
            s.set_desired(b"doc", 7).unwrap();
            let rec = WorkloadRecord { name: "w[0]".into(), replica: 1, spec_hash: "h".into(), runtime: None, pid: Some(42), start_time: Some(99), container_id: None, container_name: None, restarts: 3, started_at: None };
            s.put_workload(&rec).unwrap();
            s.put_workload(&WorkloadRecord { replica: 0, ..rec.clone() }).unwrap();
            s.remove_workload("w[0]", 0).unwrap();
        }
        let s = Store::open(&path, 10).unwrap();
        assert_eq!(s.enrollment().unwrap().unwrap().site, "s1");
        assert_eq!(s.desired().unwrap(), Some((b"doc".to_vec(), 7)));
        let w = s.workloads().unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].replica, w[0].pid, w[0].start_time, w[0].restarts), (1, Some(42), Some(99), 3));
    }

    #[test]
    fn telemetry_ring_is_bounded_drops_oldest_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("a.redb"), 5).unwrap();
        for i in 0..8 {
            assert_eq!(s.push_telemetry(point(i as f64)).unwrap(), i);
        }
        assert_eq!(s.telemetry_len().unwrap(), 5);
        let c = s.telemetry_counters().unwrap();
        assert_eq!((c.next_seq, c.dropped, c.uploaded), (8, 3, 0));
        let batch = s.telemetry_batch(2).unwrap();
        assert_eq!(batch.iter().map(|p| p.seq).collect::<Vec<_>>(), vec![3, 4]);
        s.ack_telemetry(4, 2).unwrap();
        assert_eq!(s.telemetry_len().unwrap(), 3);
        assert_eq!(s.telemetry_batch(10).unwrap()[0].seq, 5);
        assert_eq!(s.telemetry_counters().unwrap().uploaded, 2);
    }
}
