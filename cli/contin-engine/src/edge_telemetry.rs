//! Reading what agents upload besides their signed status, for the
//! dashboard's Fleet view: the telemetry batches they buffered
//! (`sites/<site>/agents/<id>/telemetry/<first_seq>.json`) and the host
//! facts of `agent.json` (total memory, for percentages).
//!
//! Batches are not signed (docs/edge-protocol.md): they are measurements to
//! draw, never an input to a decision. Reads are bounded: the newest
//! [`MAX_TELEMETRY_BATCHES`] batches per call, each at most
//! `contin_edge_proto::mailbox::MAX_OBJECT_BYTES`, at most
//! [`MAX_TELEMETRY_POINTS`] points returned.

use crate::Workspace;
use contin_edge_proto::{keys, AgentRecord, Mailbox, Read, TelemetryBatch, TelemetryPoint};

/// Most telemetry batches read per agent and call (the newest ones).
pub const MAX_TELEMETRY_BATCHES: usize = 4;
/// Most points returned per agent and call (the newest ones).
pub const MAX_TELEMETRY_POINTS: usize = 2_000;

/// What [`read_telemetry`] found for one agent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentTelemetry {
    /// Total memory from the agent's registered facts (when asked for and readable).
    pub memory_total_mb: Option<u64>,
    /// The newest batch key read (pass it back as `after` next time).
    pub last_key: Option<String>,
    /// Points of the batches newer than `after`, ascending by `seq`.
    pub points: Vec<TelemetryPoint>,
}

impl Workspace {
    /// The backend's mailbox opened for reading (`None` URL: an error naming the backend).
    pub async fn edge_mailbox(&self) -> Result<Box<dyn Mailbox>, String> {
        let url = self.mailbox_url().ok_or_else(|| format!("the {} has no edge mailbox", self.backend.describe()))?;
        let shown = url.render();
        match url.open().await {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(format!("mailbox {shown} cannot be read by contin")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The telemetry of agent `agent_id` of `site` uploaded after batch key
/// `after` (all when `None`), newest batches first to the limit; with
/// `facts`, also its registered total memory. `site` and `agent_id` come
/// from a verified status (`Workspace::edge_list`); a malformed batch is
/// skipped, an unreachable mailbox is an error naming it.
pub async fn read_telemetry(mailbox: &dyn Mailbox, site: &str, agent_id: &str, after: Option<&str>, facts: bool) -> Result<AgentTelemetry, String> {
    let mut out = AgentTelemetry::default();
    if facts {
        if let Read::Found { bytes, .. } = mailbox.get(&keys::agent(site, agent_id), None).await.map_err(|e| e.to_string())? {
            out.memory_total_mb = serde_json::from_slice::<AgentRecord>(&bytes)
                .ok()
                .filter(|r| r.agent_id == agent_id && r.site == site && r.facts.memory_mb > 0)
                .map(|r| r.facts.memory_mb);
        }
    }
    let prefix = format!("{}{agent_id}/telemetry/", keys::agents_prefix(site));
    let listed = mailbox.list(&prefix).await.map_err(|e| e.to_string())?;
    // Keys carry a zero-padded first sequence number: text order is sequence order.
    let fresh: Vec<&String> = listed
        .iter()
        .filter(|k| k.ends_with(".json") && k.strip_prefix(&prefix).is_some_and(|rest| !rest.contains('/')))
        .filter(|k| after.is_none_or(|a| k.as_str() > a))
        .collect();
    let newest = &fresh[fresh.len().saturating_sub(MAX_TELEMETRY_BATCHES)..];
    for key in newest {
        out.last_key = Some((*key).clone());
        let Read::Found { bytes, .. } = mailbox.get(key, None).await.map_err(|e| e.to_string())? else { continue };
        let Ok(batch) = serde_json::from_slice::<TelemetryBatch>(&bytes) else { continue };
        if batch.agent_id != agent_id {
            continue;
        }
        out.points.extend(batch.points);
    }
    out.points.sort_by_key(|p| p.seq);
    out.points.dedup_by_key(|p| p.seq);
    let excess = out.points.len().saturating_sub(MAX_TELEMETRY_POINTS);
    out.points.drain(..excess);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_edge_proto::{Facts, FileMailbox, FORMAT_VERSION};

    fn point(seq: u64, cpu: f64) -> TelemetryPoint {
        TelemetryPoint { seq, at: format!("2026-01-01T00:00:{:02}Z", seq % 60), cpu_pct: cpu, memory_mb: 100 * seq, ..TelemetryPoint::default() }
    }

    /// A batch claiming to be `agent`'s, stored under agt-1's prefix.
    async fn put_batch(m: &FileMailbox, agent: &str, points: Vec<TelemetryPoint>) {
        let first = points[0].seq;
        let b = TelemetryBatch { format_version: FORMAT_VERSION, agent_id: agent.into(), first_seq: first, points };
        m.put(&keys::telemetry("f7", "agt-1", first), &serde_json::to_vec(&b).expect("json")).await.expect("put");
    }

    #[tokio::test]
    async fn reads_the_newest_batches_after_the_last_key_and_skips_bad_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = FileMailbox::new(dir.path().to_path_buf());
        let rec = AgentRecord {
            format_version: FORMAT_VERSION,
            agent_id: "agt-1".into(),
            site: "f7".into(),
            public_key: String::new(),
            enrolled_at: String::new(),
            token_id: String::new(),
            facts: Facts { memory_mb: 4096, ..Facts::default() },
        };
        m.put(&keys::agent("f7", "agt-1"), &serde_json::to_vec(&rec).expect("json")).await.expect("put");
        for first in (0..60).step_by(10) {
            put_batch(&m, "agt-1", (first..first + 10).map(|s| point(s, s as f64)).collect()).await;
        }
        // Another agent's batch under this agent's prefix, and garbage: skipped.
        put_batch(&m, "agt-2", vec![point(70, 1.0)]).await;
        m.put(&keys::telemetry("f7", "agt-1", 80), b"{not json").await.expect("put");

        let t = read_telemetry(&m, "f7", "agt-1", None, true).await.expect("read");
        assert_eq!(t.memory_total_mb, Some(4096));
        // The newest 4 keys are 40, 50, 70 (another agent's: skipped) and 80 (garbage: skipped).
        assert_eq!(t.points.first().map(|p| p.seq), Some(40));
        assert_eq!(t.points.last().map(|p| p.seq), Some(59));
        assert_eq!(t.points.len(), 20);
        assert_eq!(t.last_key.as_deref(), Some(keys::telemetry("f7", "agt-1", 80).as_str()));

        // Nothing new after the last key.
        let again = read_telemetry(&m, "f7", "agt-1", t.last_key.as_deref(), false).await.expect("read");
        assert_eq!((again.points.len(), again.memory_total_mb, again.last_key), (0, None, None));
        put_batch(&m, "agt-1", (90..95).map(|s| point(s, 5.0)).collect()).await;
        let more = read_telemetry(&m, "f7", "agt-1", t.last_key.as_deref(), false).await.expect("read");
        assert_eq!(more.points.iter().map(|p| p.seq).collect::<Vec<_>>(), [90, 91, 92, 93, 94]);
    }

    #[tokio::test]
    async fn an_unreadable_mailbox_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A file where the mailbox directory should be.
        let root = dir.path().join("mailbox");
        std::fs::write(&root, "in the way").expect("write");
        let m = FileMailbox::new(root);
        let e = read_telemetry(&m, "f7", "agt-1", None, true).await.expect_err("unreadable");
        assert!(e.contains("mailbox"), "{e}");
    }
}
