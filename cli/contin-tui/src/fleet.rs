//! Fleet data: the region -> site -> sub-site -> host/cluster tree the Fleet
//! view shows, built from the state's `sites` section, plus an optional
//! overlay of what agents report (heartbeat, generations, telemetry,
//! workloads) through [`AgentStatusSource`]. Fetching happens off the UI
//! task ([`spawn_poller`]); the UI only receives finished snapshots.

use contin_state::State;
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Health of one node; the order is "how bad": a parent shows the worst of
/// itself and its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    Healthy,
    /// Nothing reported (no agent yet): neither good nor bad.
    Unknown,
    /// Reachable but not converged or something failing.
    Degraded,
    /// No heartbeat for longer than the disconnection threshold.
    Disconnected,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unknown => "unknown",
            Health::Degraded => "degraded",
            Health::Disconnected => "disconnected",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    Region,
    Site,
    Subsite,
    Host,
    Cluster,
    /// An enrolled edge agent of a site (`contin agent run`).
    Agent,
    Workload,
}

impl NodeKind {
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Region => "region",
            NodeKind::Site => "site",
            NodeKind::Subsite => "subsite",
            NodeKind::Host => "host",
            NodeKind::Cluster => "cluster",
            NodeKind::Agent => "agent",
            NodeKind::Workload => "workload",
        }
    }
    fn of_site(kind: Option<&str>, has_parent: bool) -> NodeKind {
        match kind {
            Some("region") => NodeKind::Region,
            Some("subsite") => NodeKind::Subsite,
            Some("site") => NodeKind::Site,
            _ if has_parent => NodeKind::Site,
            _ => NodeKind::Region,
        }
    }
}

/// One row of the fleet tree as fetched (before roll-up).
#[derive(Clone, Debug, PartialEq)]
pub struct FleetNode {
    /// Unique within the snapshot (`site/eu`, `host/eu/h1`, …).
    pub id: String,
    pub name: String,
    pub kind: NodeKind,
    /// `id` of the parent node.
    pub parent: Option<String>,
    /// The node's own health (children are rolled up later).
    pub health: Health,
    /// Milliseconds since the Unix epoch of the last agent heartbeat.
    pub last_heartbeat_ms: Option<u64>,
    pub acked_generation: Option<u64>,
    pub desired_generation: Option<u64>,
    /// CPU percent samples, oldest first; `None` is a missing sample (a gap).
    pub cpu: Vec<Option<f64>>,
    /// Memory percent samples, oldest first; `None` is a gap.
    pub mem: Vec<Option<f64>>,
    /// Workload replicas (running, desired) where known.
    pub workloads: Option<(u64, u64)>,
    /// Short extra text (flavor, address, workload state).
    pub detail: String,
}

impl FleetNode {
    pub fn new(id: impl Into<String>, name: impl Into<String>, kind: NodeKind, parent: Option<String>) -> Self {
        FleetNode {
            id: id.into(),
            name: name.into(),
            kind,
            parent,
            health: Health::Unknown,
            last_heartbeat_ms: None,
            acked_generation: None,
            desired_generation: None,
            cpu: Vec::new(),
            mem: Vec::new(),
            workloads: None,
            detail: String::new(),
        }
    }
}

/// What one fleet fetch sends to the UI: the nodes, and whether the agent
/// data in them is current.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetData {
    pub nodes: Vec<FleetNode>,
    /// Agent status could not be read this time (the mailbox is unreachable):
    /// the nodes carry the last known agent data, of `agents_as_of_ms`.
    pub agents_error: Option<String>,
    /// When the agent data in `nodes` was read (ms since the Unix epoch).
    pub agents_as_of_ms: Option<u64>,
}

impl From<Vec<FleetNode>> for FleetData {
    fn from(nodes: Vec<FleetNode>) -> Self {
        FleetData { nodes, ..FleetData::default() }
    }
}

/// What one fetch returned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetSnapshot {
    pub nodes: Vec<FleetNode>,
    /// When it was fetched (ms since the Unix epoch, from the UI's clock).
    pub fetched_at_ms: u64,
}

/// What the agents of one site report, rolled up to the site: the latest
/// heartbeat of any agent, the lowest acknowledged generation, the
/// workloads of all agents; each agent also becomes a row of its own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteStatus {
    pub site: String,
    pub last_heartbeat_ms: Option<u64>,
    pub acked_generation: Option<u64>,
    pub desired_generation: Option<u64>,
    pub cpu: Vec<Option<f64>>,
    pub mem: Vec<Option<f64>>,
    pub workloads: Vec<WorkloadStatus>,
    /// Replicas the site should run (from the state).
    pub workloads_desired: Option<u64>,
    pub agents: Vec<AgentRow>,
}

/// One agent of a site.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentRow {
    pub agent_id: String,
    /// Host name from its registration (may be empty).
    pub hostname: String,
    pub last_heartbeat_ms: Option<u64>,
    pub acked_generation: Option<u64>,
    pub cpu: Vec<Option<f64>>,
    pub mem: Vec<Option<f64>>,
    /// Replicas it reports running.
    pub workloads_running: u64,
    /// Why there is no (trusted) status: unregistered key, bad signature, none yet.
    pub error: Option<String>,
    /// Restarts, rejected generations, buffered telemetry.
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadStatus {
    pub name: String,
    /// `running`, `starting`, `failed`, … as the agent says it.
    pub state: String,
    pub healthy: bool,
}

/// What an [`AgentStatusSource`] returns: the statuses, and when an error
/// kept it from reading them now, the last known ones with their time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentsFetch {
    pub statuses: Vec<SiteStatus>,
    /// When `statuses` were read (ms since the Unix epoch; `None`: never).
    pub as_of_ms: Option<u64>,
    /// Why they could not be read this time.
    pub error: Option<String>,
}

/// Where agent status comes from ([`crate::agents::MailboxAgents`] reads the
/// backend's mailbox). Called off the UI task; never fails: an unreachable
/// mailbox gives the last known statuses and the error.
pub trait AgentStatusSource: Send + Sync {
    fn statuses(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = AgentsFetch> + Send + '_>>;
}

/// No agents (a backend without a mailbox).
pub struct NoAgents;

impl AgentStatusSource for NoAgents {
    fn statuses(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = AgentsFetch> + Send + '_>> {
        Box::pin(async { AgentsFetch::default() })
    }
}

/// A heartbeat older than this makes a site "disconnected".
pub const DISCONNECTED_AFTER: Duration = Duration::from_secs(90);

/// The fleet tree from a state: every `edge_site` (kind region/site/subsite)
/// with its hosts and enrolled clusters. Built from the state's redacted
/// site index, so no sensitive value can reach the screen.
pub fn nodes_from_state(state: &State) -> Vec<FleetNode> {
    let sites = if state.sites.is_empty() {
        contin_state::sites::derive(state)
    } else {
        state.sites.clone()
    };
    let tainted: std::collections::HashSet<String> = state
        .resources
        .values()
        .filter(|r| r.status == contin_state::ResourceStatus::Tainted)
        .map(|r| r.addr.to_string())
        .collect();
    let mut out = Vec::new();
    for (_, name) in contin_state::sites::tree_order(&sites) {
        let Some(doc) = sites.get(name) else { continue };
        let parent = doc.get("parent").and_then(Json::as_str).filter(|p| sites.contains_key(*p));
        let id = format!("site/{name}");
        let mut node = FleetNode::new(
            &id,
            name,
            NodeKind::of_site(doc.get("kind").and_then(Json::as_str), parent.is_some()),
            parent.map(|p| format!("site/{p}")),
        );
        let address = doc.get("address").and_then(Json::as_str).unwrap_or_default();
        node.health = if tainted.contains(address) { Health::Degraded } else { Health::Healthy };
        node.detail = address.to_string();
        out.push(node);
        for h in doc.get("hosts").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str) {
            let mut host = FleetNode::new(format!("host/{name}/{h}"), h, NodeKind::Host, Some(id.clone()));
            host.health = Health::Healthy;
            out.push(host);
        }
        if let Some(clusters) = doc.get("clusters").and_then(Json::as_object) {
            for (c, info) in clusters {
                let mut cl = FleetNode::new(format!("cluster/{name}/{c}"), c, NodeKind::Cluster, Some(id.clone()));
                let address = info.get("address").and_then(Json::as_str).unwrap_or_default();
                cl.health = if tainted.contains(address) { Health::Degraded } else { Health::Healthy };
                let flavor = info.get("flavor").and_then(Json::as_str).unwrap_or("");
                let nodes = info
                    .get("node_count")
                    .and_then(Json::as_u64)
                    .map(|n| format!(" {n} node(s)"))
                    .unwrap_or_default();
                cl.detail = format!("{flavor}{nodes}").trim().to_string();
                out.push(cl);
            }
        }
    }
    out
}

/// Applies agent reports to the sites they name, as of `now_ms`: no
/// heartbeat for [`DISCONNECTED_AFTER`] makes a site disconnected; an
/// unacknowledged generation, a failing workload or an agent without a
/// trusted status makes it degraded; a site that should run workloads but
/// has no agent is unknown. Agents and workloads become child rows.
pub fn overlay_status(nodes: &mut Vec<FleetNode>, statuses: &[SiteStatus], now_ms: u64) {
    let index: HashMap<String, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect();
    let stale = |hb: Option<u64>| hb.is_none_or(|t| now_ms.saturating_sub(t) > DISCONNECTED_AFTER.as_millis() as u64);
    let behind = |acked: Option<u64>, desired: Option<u64>| match (acked, desired) {
        (Some(a), Some(d)) => a < d,
        (None, Some(_)) => true,
        _ => false,
    };
    let mut extra = Vec::new();
    for s in statuses {
        let id = format!("site/{}", s.site);
        let Some(&i) = index.get(&id) else { continue };
        let n = &mut nodes[i];
        n.last_heartbeat_ms = s.last_heartbeat_ms;
        n.acked_generation = s.acked_generation;
        n.desired_generation = s.desired_generation;
        n.cpu = s.cpu.clone();
        n.mem = s.mem.clone();
        let running: u64 = s.agents.iter().map(|a| a.workloads_running).sum();
        if s.workloads_desired.is_some() || !s.agents.is_empty() {
            n.workloads = Some((running, s.workloads_desired.unwrap_or(0)));
        }
        let reported = s.last_heartbeat_ms.is_some() || !s.agents.is_empty();
        n.health = if !reported {
            // A site with nothing to run needs no agent (a region whose
            // document only names its children, for a relay).
            if s.workloads_desired.is_some_and(|d| d > 0) {
                n.detail = "no agent enrolled".into();
                Health::Unknown
            } else {
                n.health
            }
        } else if stale(s.last_heartbeat_ms) && (s.last_heartbeat_ms.is_some() || s.agents.iter().all(|a| a.error.is_none())) {
            Health::Disconnected
        } else if behind(s.acked_generation, s.desired_generation)
            || s.workloads.iter().any(|w| !w.healthy)
            || s.agents.iter().any(|a| a.error.is_some())
            || running < s.workloads_desired.unwrap_or(0)
        {
            Health::Degraded
        } else {
            n.health.max(Health::Healthy)
        };
        for a in &s.agents {
            let name = if a.hostname.is_empty() { a.agent_id.clone() } else { a.hostname.clone() };
            let mut an = FleetNode::new(format!("agent/{}/{}", s.site, a.agent_id), name, NodeKind::Agent, Some(id.clone()));
            an.last_heartbeat_ms = a.last_heartbeat_ms;
            an.acked_generation = a.acked_generation;
            an.desired_generation = s.desired_generation;
            an.cpu = a.cpu.clone();
            an.mem = a.mem.clone();
            an.workloads = Some((a.workloads_running, s.workloads_desired.unwrap_or(0)));
            an.health = match &a.error {
                Some(_) => Health::Degraded,
                None if stale(a.last_heartbeat_ms) => Health::Disconnected,
                None if behind(a.acked_generation, s.desired_generation) => Health::Degraded,
                None => Health::Healthy,
            };
            an.detail = match &a.error {
                Some(e) => format!("{}: {e}", a.agent_id),
                None if a.detail.is_empty() => a.agent_id.clone(),
                None => format!("{} · {}", a.agent_id, a.detail),
            };
            extra.push(an);
        }
        for w in &s.workloads {
            let mut wn = FleetNode::new(format!("workload/{}/{}", s.site, w.name), &w.name, NodeKind::Workload, Some(id.clone()));
            wn.health = if w.healthy { Health::Healthy } else { Health::Degraded };
            wn.detail = w.state.clone();
            extra.push(wn);
        }
    }
    nodes.extend(extra);
}

/// Polls `fetch` every `every` on its own task (never the UI task) and sends
/// each result; a fetch slower than `timeout` is reported as an error, so
/// the UI keeps its last data and shows its age.
pub fn spawn_poller<F, Fut>(
    fetch: F,
    every: Duration,
    timeout: Duration,
    tx: tokio::sync::mpsc::UnboundedSender<crate::DataEvent>,
    mut refresh: tokio::sync::mpsc::UnboundedReceiver<()>,
) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<FleetData, String>> + Send,
{
    tokio::spawn(async move {
        loop {
            let result = match tokio::time::timeout(timeout, fetch()).await {
                Ok(r) => r,
                Err(_) => Err(format!("fleet backend did not answer within {}s", timeout.as_secs())),
            };
            if tx.send(crate::DataEvent::Fleet(result)).is_err() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                r = refresh.recv() => if r.is_none() { tokio::time::sleep(every).await },
            }
        }
    })
}

/// One displayed fleet row after roll-up.
#[derive(Clone, Debug)]
pub struct FleetRow {
    pub node: FleetNode,
    pub depth: usize,
    /// Worst of itself and its descendants.
    pub rolled: Health,
    pub children: Vec<usize>,
    /// Time since the node's own last heartbeat when it is disconnected (ms).
    pub own_disconnected_ms: Option<u64>,
    /// The longest disconnection of itself or a descendant (ms), for sorting.
    pub disconnected_for_ms: Option<u64>,
}

/// The fleet as the view keeps it: rows with roll-up, the last error and
/// the time of the last good fetch.
#[derive(Clone, Debug, Default)]
pub struct FleetModel {
    pub rows: Vec<FleetRow>,
    pub roots: Vec<usize>,
    /// When the data on screen was fetched (None: never).
    pub fetched_at_ms: Option<u64>,
    /// The last fetch failed with this (the data shown is older).
    pub last_error: Option<String>,
    /// The agent part of the data is older than the rest: why, and when it was read.
    pub agents_error: Option<String>,
    pub agents_as_of_ms: Option<u64>,
    pub counts: BTreeMap<Health, usize>,
}

impl FleetModel {
    /// Replaces the data with a fresh snapshot: builds the tree (unknown
    /// parents become roots, cycles are cut), rolls health up to parents.
    pub fn ingest(&mut self, snap: FleetSnapshot, now_ms: u64) {
        let mut rows: Vec<FleetRow> = Vec::with_capacity(snap.nodes.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(snap.nodes.len());
        for n in snap.nodes {
            if index.contains_key(&n.id) {
                continue;
            }
            index.insert(n.id.clone(), rows.len());
            let disconnected_for_ms = (n.health == Health::Disconnected).then(|| n.last_heartbeat_ms.map_or(u64::MAX, |t| now_ms.saturating_sub(t)));
            rows.push(FleetRow {
                rolled: n.health,
                node: n,
                depth: 0,
                children: Vec::new(),
                own_disconnected_ms: disconnected_for_ms,
                disconnected_for_ms,
            });
        }
        let mut roots = Vec::new();
        for i in 0..rows.len() {
            match rows[i].node.parent.as_ref().and_then(|p| index.get(p)).copied() {
                Some(p) if p != i => rows[p].children.push(i),
                _ => roots.push(i),
            }
        }
        // Depths and roll-up by an explicit walk from the roots (no recursion:
        // deep trees cannot overflow the stack); nodes not reached (a cycle)
        // become roots.
        let mut seen = vec![false; rows.len()];
        let mut order = Vec::with_capacity(rows.len());
        let mut start = 0;
        loop {
            let mut stack: Vec<(usize, usize)> = roots[start..].iter().rev().map(|&r| (r, 0)).collect();
            start = roots.len();
            while let Some((i, d)) = stack.pop() {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                rows[i].depth = d;
                order.push(i);
                for &c in rows[i].children.iter().rev() {
                    stack.push((c, d + 1));
                }
            }
            match seen.iter().position(|s| !s) {
                Some(i) => roots.push(i),
                None => break,
            }
        }
        for &i in order.iter().rev() {
            let worst = rows[i].children.iter().map(|&c| rows[c].rolled).max();
            if let Some(w) = worst {
                rows[i].rolled = rows[i].rolled.max(w);
            }
            let child_disc = rows[i].children.iter().filter_map(|&c| rows[c].disconnected_for_ms).max();
            if let Some(d) = child_disc {
                rows[i].disconnected_for_ms = Some(rows[i].disconnected_for_ms.map_or(d, |x| x.max(d)));
            }
        }
        let mut counts = BTreeMap::new();
        for r in rows
            .iter()
            .filter(|r| matches!(r.node.kind, NodeKind::Region | NodeKind::Site | NodeKind::Subsite))
        {
            *counts.entry(r.node.health).or_insert(0) += 1;
        }
        self.rows = rows;
        self.roots = roots;
        self.counts = counts;
        self.fetched_at_ms = Some(snap.fetched_at_ms);
        self.last_error = None;
    }

    /// A failed fetch: keep the data, remember the error.
    pub fn fetch_failed(&mut self, error: String) {
        self.last_error = Some(error);
    }

    /// Rows in display order: depth-first from the roots, siblings by name,
    /// or (`by_disconnected`) longest-disconnected first, compared as times.
    pub fn order(&self, by_disconnected: bool) -> Vec<usize> {
        let sort = |v: &mut Vec<usize>| {
            if by_disconnected {
                v.sort_by(|&a, &b| {
                    let (ra, rb) = (&self.rows[a], &self.rows[b]);
                    rb.disconnected_for_ms
                        .unwrap_or(0)
                        .cmp(&ra.disconnected_for_ms.unwrap_or(0))
                        .then_with(|| ra.node.name.cmp(&rb.node.name))
                });
            } else {
                v.sort_by(|&a, &b| {
                    self.rows[a]
                        .node
                        .kind
                        .cmp(&self.rows[b].node.kind)
                        .then_with(|| self.rows[a].node.name.cmp(&self.rows[b].node.name))
                });
            }
        };
        let mut roots = self.roots.clone();
        sort(&mut roots);
        let mut out = Vec::with_capacity(self.rows.len());
        let mut seen = vec![false; self.rows.len()];
        let mut stack: Vec<usize> = roots.into_iter().rev().collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(i);
            let mut c = self.rows[i].children.clone();
            sort(&mut c);
            stack.extend(c.into_iter().rev());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, parent: Option<&str>) -> FleetNode {
        FleetNode::new(
            format!("site/{name}"),
            name,
            if parent.is_some() { NodeKind::Site } else { NodeKind::Region },
            parent.map(|p| format!("site/{p}")),
        )
    }

    #[test]
    fn health_rolls_up_to_every_ancestor() {
        let mut nodes = vec![site("eu", None), site("fra", Some("eu")), site("fra-1", Some("fra")), site("us", None)];
        for n in &mut nodes {
            n.health = Health::Healthy;
        }
        nodes[2].health = Health::Disconnected;
        nodes[2].last_heartbeat_ms = Some(1_000);
        let mut m = FleetModel::default();
        m.ingest(FleetSnapshot { nodes, fetched_at_ms: 0 }, 100_000);
        let rolled: Vec<(&str, Health)> = m.rows.iter().map(|r| (r.node.name.as_str(), r.rolled)).collect();
        assert_eq!(
            rolled,
            [
                ("eu", Health::Disconnected),
                ("fra", Health::Disconnected),
                ("fra-1", Health::Disconnected),
                ("us", Health::Healthy)
            ]
        );
        assert_eq!(m.rows[0].disconnected_for_ms, Some(99_000));
    }

    #[test]
    fn disconnected_sort_compares_durations_not_text() {
        let mut nodes = vec![site("a", None), site("b", None), site("c", None)];
        // 5 s, 40 s and 300 s: as text "300" < "40" < "5".
        for (n, ago) in nodes.iter_mut().zip([5_000u64, 40_000, 300_000]) {
            n.health = Health::Disconnected;
            n.last_heartbeat_ms = Some(1_000_000 - ago);
        }
        let mut m = FleetModel::default();
        m.ingest(FleetSnapshot { nodes, fetched_at_ms: 0 }, 1_000_000);
        let names: Vec<&str> = m.order(true).into_iter().map(|i| m.rows[i].node.name.as_str()).collect();
        assert_eq!(names, ["c", "b", "a"]);
    }

    #[test]
    fn cycles_and_unknown_parents_do_not_hang() {
        let mut a = site("a", Some("b"));
        a.kind = NodeKind::Site;
        let b = site("b", Some("a"));
        let orphan = site("o", Some("missing"));
        let mut m = FleetModel::default();
        m.ingest(
            FleetSnapshot {
                nodes: vec![a, b, orphan],
                fetched_at_ms: 0,
            },
            0,
        );
        assert_eq!(m.order(false).len(), 3);
    }

    #[test]
    fn agent_status_marks_stale_and_behind_sites() {
        let mut nodes = vec![site("eu", None), site("fra", Some("eu")), site("ber", Some("eu"))];
        let now = 10_000_000;
        let statuses = vec![
            SiteStatus {
                site: "fra".into(),
                last_heartbeat_ms: Some(now - 1_000),
                acked_generation: Some(3),
                desired_generation: Some(4),
                ..SiteStatus::default()
            },
            SiteStatus {
                site: "ber".into(),
                last_heartbeat_ms: Some(now - 3_600_000),
                workloads: vec![WorkloadStatus {
                    name: "web".into(),
                    state: "running".into(),
                    healthy: true,
                }],
                ..SiteStatus::default()
            },
        ];
        overlay_status(&mut nodes, &statuses, now);
        assert_eq!(nodes[1].health, Health::Degraded);
        assert_eq!(nodes[2].health, Health::Disconnected);
        assert_eq!(nodes[3].kind, NodeKind::Workload);
        assert_eq!(nodes[3].parent.as_deref(), Some("site/ber"));
    }
}
