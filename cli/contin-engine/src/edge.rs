//! The control side of the edge protocol (docs/edge-protocol.md): after an
//! apply, one signed desired-state document per site into the backend's
//! mailbox; enrollment tokens; the per-site agent report (`contin edge list`).
//!
//! Rules: documents are written only after the state holding the resources
//! is persisted, and a site's generation is recorded in the state only after
//! its document was written (a failed write is retried by the next apply).
//! The deployment key is persisted in the state before the first document
//! signed with it leaves the machine. A site's document is rewritten only
//! when its workload set (by `spec_hash`) or its children changed.

use crate::error::{EngineError, Result};
use crate::Workspace;
use contin_edge_proto::{
    self as proto, keys, AgentRecord, AgentStatus, DesiredState, Envelope, MailboxUrl, Read, SigningKey, TokenClaims, WorkloadSpec,
};
use contin_state::{EdgeSiteState, EdgeState, State};
use contin_types::ResourceMode;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, SystemTime};

pub use contin_edge_proto::{AgentStatus as EdgeAgentStatus, WorkloadState};

/// Where the local backend's mailbox lives, relative to the state file's directory.
pub const LOCAL_MAILBOX_DIR: &str = ".contin/mailbox";
/// Longest enrollment token lifetime.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// How long `edge list` waits for the mailbox before reporting it unreachable.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(15);
/// Most agents read per site by `edge list`.
pub const MAX_AGENTS_PER_SITE: usize = 100;

/// What one site should run.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteDesired {
    pub workloads: Vec<WorkloadSpec>,
    pub children: Vec<String>,
}

/// What the edge step after an apply did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgeSync {
    /// (site, generation) of each document written.
    pub written: Vec<(String, u64)>,
    /// (site, error naming the mailbox) of each document not written.
    pub failed: Vec<(String, String)>,
    /// The mailbox URL (when there is one).
    pub mailbox: Option<String>,
}

/// Per-site workloads from the workload instances recorded in `state`, plus
/// every site above one (so a relay agent learns its children). Sites whose
/// last workload went away (recorded in `state.edge`) get an empty list.
pub fn desired_by_site(state: &State) -> std::result::Result<BTreeMap<String, SiteDesired>, String> {
    let mut by_site: BTreeMap<String, Vec<WorkloadSpec>> = BTreeMap::new();
    for r in state.resources.values() {
        if r.addr.mode != ResourceMode::Managed || r.addr.ty != contin_provider_edge::WORKLOAD || r.attributes.is_null() {
            continue;
        }
        let addr = r.addr.to_string();
        let name = addr.strip_prefix("workload.").unwrap_or(&addr);
        let (sites, spec) = contin_provider_edge::spec_from_attributes(name, &r.attributes).map_err(|e| format!("{addr}: {e}"))?;
        for site in sites {
            by_site.entry(site).or_default().push(spec.clone());
        }
    }
    let children = |site: &str| -> Vec<String> {
        let mut c: Vec<String> = state
            .sites
            .get(site)
            .and_then(|d| d.get("children"))
            .and_then(|c| c.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        c.sort();
        c
    };
    let parent = |site: &str| state.sites.get(site).and_then(|d| d.get("parent")).and_then(|p| p.as_str()).map(str::to_string);
    let mut sites: BTreeSet<String> = by_site.keys().cloned().collect();
    for s in by_site.keys() {
        // Ancestors, bounded by the number of sites (the tree has no cycles,
        // but a hand-edited state might).
        let mut cur = parent(s);
        let mut steps = 0;
        while let Some(p) = cur {
            steps += 1;
            if steps > state.sites.len() || !sites.insert(p.clone()) {
                break;
            }
            cur = parent(&p);
        }
    }
    if let Some(edge) = &state.edge {
        sites.extend(edge.sites.keys().cloned());
    }
    Ok(sites
        .into_iter()
        .map(|s| {
            let mut workloads = by_site.remove(&s).unwrap_or_default();
            workloads.sort_by(|a, b| a.name.cmp(&b.name));
            let children = children(&s);
            (s, SiteDesired { workloads, children })
        })
        .collect())
}

fn hashes(d: &SiteDesired) -> Vec<String> {
    d.workloads.iter().map(|w| w.spec_hash.clone()).collect()
}

/// Sites whose document differs from what the state recorded.
pub fn changed_sites(state: &State, desired: &BTreeMap<String, SiteDesired>) -> Vec<String> {
    desired
        .iter()
        .filter(|(site, d)| match state.edge.as_ref().and_then(|e| e.sites.get(*site)) {
            Some(rec) => rec.spec_hashes != hashes(d) || rec.children != d.children,
            None => true,
        })
        .map(|(s, _)| s.clone())
        .collect()
}

/// A duration such as `30m`, `1h`, `7d`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    contin_provider_edge::workload::parse_duration(s)
}

/// How long ago an RFC 3339 time was (`None`: unreadable or in the future).
pub fn age(rfc3339: &str) -> Option<Duration> {
    let t = humantime::parse_rfc3339(rfc3339).ok()?;
    SystemTime::now().duration_since(t).ok()
}

fn now_rfc3339() -> String {
    proto::rfc3339(SystemTime::now())
}

/// One error naming each site and the mailbox.
pub(crate) fn failure_message(sync: &EdgeSync) -> String {
    let lines: Vec<String> = sync.failed.iter().map(|(site, e)| format!("site {site}: {e}")).collect();
    format!(
        "the desired state of {} site(s) was not written (the state is saved; the next apply retries):\n  {}",
        sync.failed.len(),
        lines.join("\n  ")
    )
}

impl Workspace {
    /// After `apply_locked`: when the state was persisted, writes the
    /// changed sites' documents; failures are added to `outcome.failed`
    /// under the site's address (`edge_site.NAME`).
    pub(crate) async fn edge_after_apply(&self, outcome: &mut crate::ApplyOutcome) -> Result<()> {
        if outcome.persist_error.is_some() {
            return Ok(());
        }
        let sync = match self.sync_edge(&mut outcome.state).await {
            Ok(sync) => sync,
            Err(e) => {
                // The apply itself is saved: report, do not lose its outcome.
                outcome.failed.push(("edge".to_string(), format!("writing the edge desired state: {e}")));
                return Ok(());
            }
        };
        self.report_edge(&sync);
        for (site, e) in sync.failed {
            let addr = outcome
                .state
                .sites
                .get(&site)
                .and_then(|d| d.get("address"))
                .and_then(|a| a.as_str())
                .map_or_else(|| format!("edge_site.{site}"), str::to_string);
            outcome.failed.push((addr, format!("desired state of site {site} not written (the next apply retries): {e}")));
        }
        Ok(())
    }

    pub(crate) fn report_edge(&self, sync: &EdgeSync) {
        for (site, generation) in &sync.written {
            self.events().event(crate::EngineEvent::EdgeDocumentWritten {
                site: site.clone(),
                generation: *generation,
                mailbox: sync.mailbox.clone().unwrap_or_default(),
            });
        }
    }

    /// The backend's mailbox: `<state dir>/.contin/mailbox/` for a local
    /// state file, the state's prefix for S3; `None` for other backends.
    pub fn mailbox_url(&self) -> Option<MailboxUrl> {
        if let Some(m) = &self.mailbox {
            return Some(m.clone());
        }
        let journal = self.backend.local_journal_path()?;
        let dir = journal.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let dir = std::path::absolute(dir).ok()?;
        Some(MailboxUrl::File(dir.join(LOCAL_MAILBOX_DIR)))
    }

    /// Opens the mailbox; `create`: make a local mailbox's directory (writers only).
    async fn open_mailbox(&self, create: bool) -> std::result::Result<(String, Box<dyn proto::Mailbox>), String> {
        let url = self.mailbox_url().ok_or_else(|| format!("the {} has no edge mailbox", self.backend.describe()))?;
        let shown = url.render();
        if let Some(client) = &self.mailbox_client {
            return Ok((shown, Box::new(SharedMailbox(client.clone()))));
        }
        if let (MailboxUrl::File(dir), true) = (&url, create) {
            create_private_dir(dir).map_err(|e| format!("mailbox {shown}: cannot create the directory: {e}"))?;
        }
        match url.open().await {
            Ok(Some(m)) => Ok((shown, m)),
            Ok(None) => Err(format!("mailbox {shown} cannot be written by contin")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// After an apply whose state is persisted (the caller holds the lock):
    /// writes the documents of changed sites and records their generations.
    /// `state` is updated to what was persisted.
    pub(crate) async fn sync_edge(&self, state: &mut State) -> Result<EdgeSync> {
        let desired = desired_by_site(state).map_err(|e| EngineError::Invalid(format!("building the edge desired state: {e}")))?;
        let changed = changed_sites(state, &desired);
        let mut out = EdgeSync { mailbox: self.mailbox_url().map(|u| u.render()), ..EdgeSync::default() };
        if changed.is_empty() {
            return Ok(out);
        }
        // The key is durable before anything signed with it is published.
        let key = match state.edge.as_ref().map(|e| proto::decode_secret_key(&e.deployment_key)) {
            Some(Ok(k)) => k,
            Some(Err(e)) => return Err(EngineError::Invalid(format!("the deployment key in the state is unusable ({e}); restore the state from a backup"))),
            None => {
                let k = proto::generate_key().map_err(|e| EngineError::Invalid(format!("creating the deployment key: {e}")))?;
                state.edge = Some(EdgeState {
                    deployment_key: proto::encode_secret_key(&k),
                    public_key: proto::encode_public_key(&k.verifying_key()),
                    sites: BTreeMap::new(),
                });
                self.persist_edge(state, "saving the new deployment key").await?;
                k
            }
        };
        let mailbox = match self.open_mailbox(true).await {
            Ok(m) => m,
            Err(e) => {
                out.failed = changed.into_iter().map(|s| (s, e.clone())).collect();
                return Ok(out);
            }
        };
        let (url, mailbox) = mailbox;
        out.mailbox = Some(url.clone());
        let mut recorded = false;
        for site in changed {
            let Some(d) = desired.get(&site) else { continue };
            match self.write_document(&*mailbox, &key, state, &site, d).await {
                Ok(generation) => {
                    if let Some(edge) = state.edge.as_mut() {
                        edge.sites.insert(site.clone(), EdgeSiteState { generation, spec_hashes: hashes(d), children: d.children.clone() });
                    }
                    recorded = true;
                    out.written.push((site, generation));
                }
                Err(e) if e.contains(&url) => out.failed.push((site.clone(), format!("writing {}: {e}", keys::desired(&site)))),
                Err(e) => out.failed.push((site.clone(), format!("writing {} to mailbox {url}: {e}", keys::desired(&site)))),
            }
        }
        if recorded {
            self.persist_edge(state, "recording the written desired-state generations").await?;
        }
        Ok(out)
    }

    /// Signs and writes one site's document; its generation is one above
    /// both the recorded one and the one in the mailbox (a document written
    /// by an apply whose bookkeeping was not saved is never reused).
    async fn write_document(&self, mailbox: &dyn proto::Mailbox, key: &SigningKey, state: &State, site: &str, d: &SiteDesired) -> std::result::Result<u64, String> {
        let recorded = state.edge.as_ref().and_then(|e| e.sites.get(site)).map_or(0, |r| r.generation);
        let published = match mailbox.get(&keys::desired(site), None).await {
            Ok(Read::Found { bytes, .. }) => Envelope::open::<DesiredState>(&bytes, &key.verifying_key())
                .ok()
                .filter(|doc| doc.deployment == state.lineage && doc.site == site)
                .map_or(0, |doc| doc.generation),
            Ok(_) => 0,
            Err(e) => return Err(e.to_string()),
        };
        let generation = recorded.max(published) + 1;
        let doc = DesiredState {
            format_version: proto::FORMAT_VERSION,
            deployment: state.lineage.clone(),
            site: site.to_string(),
            generation,
            issued_at: now_rfc3339(),
            children: d.children.clone(),
            workloads: d.workloads.clone(),
        };
        mailbox.put(&keys::desired(site), &Envelope::seal(key, &doc)).await.map_err(|e| e.to_string())?;
        Ok(generation)
    }

    async fn persist_edge(&self, state: &mut State, what: &str) -> Result<()> {
        let expected = state.serial;
        state.serial += 1;
        state.refresh_sites();
        self.backend.persist(state, Some(expected)).await.map_err(|e| EngineError::state(what, e))
    }

    /// `contin edge token create SITE --ttl D`: a signed single-site
    /// enrollment token (docs/edge-protocol.md). The site must be in the
    /// state and a deployment key must exist (the first apply that places a
    /// workload creates it).
    pub async fn edge_token(&self, site: &str, ttl: Duration) -> Result<String> {
        if ttl.is_zero() || ttl > MAX_TOKEN_TTL {
            return Err(EngineError::Invalid(format!("--ttl must be above 0 and at most {} (8760h)", humantime_secs(MAX_TOKEN_TTL))));
        }
        let state = self.load_state().await?.ok_or_else(|| EngineError::Invalid("there is no state yet: run `contin apply` first".into()))?;
        if !state.sites.contains_key(site) {
            let known: Vec<&str> = state.sites.keys().map(String::as_str).collect();
            let hint = if known.is_empty() { "the state has no sites".to_string() } else { format!("sites in the state: {}", known.join(", ")) };
            return Err(EngineError::Invalid(format!("site {site:?} is not in the state ({hint}); declare edge_site \"{site}\" and run `contin apply` first")));
        }
        let edge = state.edge.as_ref().ok_or_else(|| {
            EngineError::Invalid("no deployment key yet: run `contin apply` with a workload placed on a site first (it creates the key)".into())
        })?;
        let key = proto::decode_secret_key(&edge.deployment_key).map_err(|e| EngineError::Invalid(format!("the deployment key in the state is unusable: {e}")))?;
        let mailbox = self.mailbox_url().ok_or_else(|| EngineError::Invalid(format!("the {} has no edge mailbox", self.backend.describe())))?;
        let now = SystemTime::now();
        let claims = TokenClaims {
            v: 1,
            token_id: uuid::Uuid::new_v4().to_string(),
            site: site.to_string(),
            deployment: state.lineage.clone(),
            mailbox: mailbox.render(),
            deployment_key: proto::encode_public_key(&key.verifying_key()),
            issued_at: proto::rfc3339(now),
            expires_at: proto::rfc3339(now + ttl),
        };
        Ok(proto::Token::create(&claims, &key))
    }

    /// `contin edge list`: per site, the desired generation from the state
    /// and what its agents report in the mailbox. An unreachable mailbox is
    /// a warning in the report (never a hang: bounded by [`LIST_TIMEOUT`]).
    pub async fn edge_list(&self) -> Result<EdgeReport> {
        let state = self.load_state().await?;
        let mut report = EdgeReport::default();
        let Some(state) = state else {
            return Ok(report);
        };
        let desired = desired_by_site(&state).map_err(EngineError::Invalid)?;
        let changed = changed_sites(&state, &desired);
        let mut names: BTreeSet<String> = state.sites.keys().cloned().collect();
        names.extend(desired.keys().cloned());
        for name in &names {
            let rec = state.edge.as_ref().and_then(|e| e.sites.get(name));
            let d = desired.get(name);
            report.sites.push(SiteReport {
                site: name.clone(),
                desired_generation: rec.map(|r| r.generation),
                pending: changed.contains(name),
                workloads_desired: d.map_or(0, |d| d.workloads.iter().map(|w| u64::from(w.replicas)).sum()),
                tolerate_disconnection: d.and_then(tolerance),
                agents: Vec::new(),
            });
        }
        report.mailbox = self.mailbox_url().map(|u| u.render());
        let read = async {
            let (url, mailbox) = self.open_mailbox(false).await?;
            for s in report.sites.iter_mut() {
                s.agents = read_agents(&*mailbox, &s.site).await.map_err(|e| format!("{e} (mailbox {url})"))?;
            }
            Ok::<(), String>(())
        };
        match tokio::time::timeout(LIST_TIMEOUT, read).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => report.warning = Some(format!("mailbox unreachable, agent status unknown: {e}")),
            Err(_) => {
                report.warning = Some(format!("mailbox did not answer within {}s, agent status unknown", LIST_TIMEOUT.as_secs()));
                for s in report.sites.iter_mut() {
                    s.agents.clear();
                }
            }
        }
        Ok(report)
    }
}

/// The backend-configured mailbox behind an `Arc` (opened per command).
struct SharedMailbox(std::sync::Arc<dyn proto::Mailbox>);

#[async_trait::async_trait]
impl proto::Mailbox for SharedMailbox {
    fn url(&self) -> String {
        self.0.url()
    }
    async fn get(&self, key: &str, if_not: Option<&str>) -> std::result::Result<Read, proto::MailboxError> {
        self.0.get(key, if_not).await
    }
    async fn put(&self, key: &str, bytes: &[u8]) -> std::result::Result<(), proto::MailboxError> {
        self.0.put(key, bytes).await
    }
    async fn list(&self, prefix: &str) -> std::result::Result<Vec<String>, proto::MailboxError> {
        self.0.list(prefix).await
    }
}

/// `dir` and its missing parents, owner-only (the mailbox holds secrets).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

fn humantime_secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

/// `edge list`'s result.
#[derive(Clone, Debug, Default)]
pub struct EdgeReport {
    pub mailbox: Option<String>,
    pub sites: Vec<SiteReport>,
    /// The mailbox could not be read (agents unknown).
    pub warning: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SiteReport {
    pub site: String,
    /// Generation of the last document written (`None`: never).
    pub desired_generation: Option<u64>,
    /// The state's workloads differ from the last written document (the
    /// next apply writes it).
    pub pending: bool,
    /// Replicas the site should run.
    pub workloads_desired: u64,
    /// The shortest `autonomy { tolerate_disconnection }` of the site's
    /// workloads (`None`: no workloads). An agent not seen for longer is
    /// "disconnected beyond tolerance" (see [`SiteReport::beyond_tolerance`]);
    /// the agent itself keeps running its workloads regardless.
    pub tolerate_disconnection: Option<Duration>,
    pub agents: Vec<AgentReport>,
}

impl SiteReport {
    /// Whether `agent` was last seen longer ago than the site tolerates
    /// (false without a verified status or without workloads).
    pub fn beyond_tolerance(&self, agent: &AgentReport) -> bool {
        match (self.tolerate_disconnection, agent.last_seen()) {
            (Some(t), Some(seen)) => seen > t,
            _ => false,
        }
    }
}

impl AgentReport {
    /// How long ago the agent's verified status was written (`None`: no
    /// verified status, or a report time in the future).
    pub fn last_seen(&self) -> Option<Duration> {
        self.status.as_ref().ok().and_then(|s| age(&s.reported_at))
    }
}

/// The shortest disconnection tolerance of a site's workloads.
fn tolerance(d: &SiteDesired) -> Option<Duration> {
    d.workloads.iter().map(|w| Duration::from_secs(w.autonomy.tolerate_disconnection_s)).min()
}

#[derive(Clone, Debug)]
pub struct AgentReport {
    pub agent_id: String,
    pub hostname: String,
    /// The verified status, or why there is none.
    pub status: std::result::Result<AgentStatus, String>,
}

/// Agents of `site`: their `agent.json` and signed `status.json`.
async fn read_agents(mailbox: &dyn proto::Mailbox, site: &str) -> std::result::Result<Vec<AgentReport>, String> {
    let keys_ = mailbox.list(&keys::agents_prefix(site)).await.map_err(|e| e.to_string())?;
    let ids: BTreeSet<String> = keys_
        .iter()
        .filter_map(|k| k.strip_prefix(&keys::agents_prefix(site))?.strip_suffix("/agent.json").map(str::to_string))
        .filter(|id| !id.contains('/'))
        .take(MAX_AGENTS_PER_SITE)
        .collect();
    let mut out = Vec::new();
    for id in ids {
        let record = match mailbox.get(&keys::agent(site, &id), None).await.map_err(|e| e.to_string())? {
            Read::Found { bytes, .. } => serde_json::from_slice::<AgentRecord>(&bytes).map_err(|e| format!("agent.json unreadable: {e}")),
            _ => Err("agent.json missing".to_string()),
        };
        let record = match record {
            Ok(r) if r.agent_id == id && r.site == site => r,
            Ok(_) => {
                out.push(AgentReport { agent_id: id, hostname: String::new(), status: Err("agent.json names another agent or site".into()) });
                continue;
            }
            Err(e) => {
                out.push(AgentReport { agent_id: id, hostname: String::new(), status: Err(e) });
                continue;
            }
        };
        let status = match proto::decode_public_key(&record.public_key) {
            Err(e) => Err(format!("registered key unusable: {e}")),
            Ok(k) if proto::agent_id(&k) != id => Err("registered key does not match the agent id".into()),
            Ok(k) => match mailbox.get(&keys::status(site, &id), None).await.map_err(|e| e.to_string())? {
                Read::Found { bytes, .. } => match Envelope::open::<AgentStatus>(&bytes, &k) {
                    Ok(s) if s.site == site && s.agent_id == id => Ok(s),
                    Ok(_) => Err("status names another agent or site".into()),
                    Err(e) => Err(format!("status rejected: {e}")),
                },
                _ => Err("no status reported yet".into()),
            },
        };
        out.push(AgentReport { agent_id: id, hostname: record.facts.hostname.clone(), status });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "edge_tests.rs"]
mod tests;
