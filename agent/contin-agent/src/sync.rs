//! The sync loop: documents from the ordered upstreams, relay cache,
//! telemetry sampling, status and telemetry upload.

use crate::relay::{HttpMailbox, RelayCache};
use crate::store::{Enrollment, Store};
use crate::{verify_desired, AgentError, AgentOptions, Event, EventSink, Level};
use contin_edge_proto::{
    agent_id, encode_public_key, keys, rfc3339, AgentRecord, AgentStatus, DesiredState, Envelope, Mailbox, MailboxUrl, Read, Rejection, SigningKey, TelemetryBatch, TelemetrySummary, VerifyingKey, WorkloadStatus, FORMAT_VERSION,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Telemetry points per uploaded batch.
pub const BATCH_POINTS: usize = 500;
/// While connected, telemetry is uploaded once this many points wait.
pub const UPLOAD_THRESHOLD: u64 = 60;
/// Default longest time between two status uploads when nothing changed
/// (`edge list`'s "last seen"); changes are uploaded at once.
pub const HEARTBEAT: Duration = Duration::from_secs(30);
/// Poll intervals are spread by up to ± this share (so a fleet started
/// together does not poll in lockstep).
const JITTER: f64 = 0.1;
/// Rejections kept in status.
const MAX_REJECTIONS: usize = 10;
/// Relay: most descendant sites cached, and deepest level followed.
const MAX_RELAY_SITES: usize = 1024;
const MAX_RELAY_DEPTH: usize = 16;

/// What the supervisor reports for status.
#[derive(Default)]
pub struct Reported {
    pub acked_generation: u64,
    pub workloads: Vec<WorkloadStatus>,
    /// The latest telemetry point (sampled by the supervision loop, so
    /// sampling never waits on a slow or cut link).
    pub last_point: Option<contin_edge_proto::TelemetryPoint>,
}

/// Link state kept in the store (survives an offline restart).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Link {
    disconnected_since: Option<String>,
    last_disconnection_s: Option<f64>,
}

pub struct Syncer {
    enrollment: Enrollment,
    key: SigningKey,
    id: String,
    trusted: VerifyingKey,
    store: Arc<Store>,
    cache: RelayCache,
    relay: bool,
    shared: Arc<Mutex<Reported>>,
    events: EventSink,
    poll: Duration,
    /// Ordered upstreams; `primary` indexes the token's mailbox among them, if listed.
    upstreams: Vec<Box<dyn Mailbox>>,
    primary: Box<dyn Mailbox>,
    primary_listed: Option<usize>,
    tags: HashMap<(usize, String), String>,
    running: Option<u64>,
    link: Link,
    unreachable_logged: BTreeSet<usize>,
    /// The link came back: upload all buffered telemetry.
    reconnected: bool,
    /// Signalled when the supervisor's acked generation or workloads changed.
    changed: Arc<tokio::sync::Notify>,
    heartbeat: Duration,
    /// What the last uploaded status said (without its time and telemetry
    /// sample) and when it was uploaded.
    last_report: Option<(String, tokio::time::Instant)>,
    /// xorshift state for the poll jitter (seeded from the agent id).
    rng: u64,
}

/// `poll` spread uniformly over ± [`JITTER`] (xorshift64 on `state`, non-zero).
fn jittered(poll: Duration, state: &mut u64) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    let unit = (*state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
    poll.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit)
}

async fn open(url: &str, conns: &contin_edge_proto::Connections) -> Result<Box<dyn Mailbox>, AgentError> {
    let uerr = |d: String| AgentError::Upstream { url: url.to_string(), detail: d };
    let parsed = MailboxUrl::parse(url).map_err(|e| uerr(e.to_string()))?;
    match &parsed {
        MailboxUrl::Http(u) => return Ok(Box::new(HttpMailbox::new(u).map_err(|e| uerr(e.to_string()))?)),
        // Never recreate a missing (cut, unmounted) mailbox directory.
        MailboxUrl::File(p) => return Ok(Box::new(contin_edge_proto::FileMailbox::existing(p.clone()))),
        _ => {}
    }
    parsed.open_shared(conns).await.map_err(|e| uerr(e.to_string()))?.ok_or_else(|| uerr("unsupported mailbox".into()))
}

impl Syncer {
    #[allow(clippy::too_many_arguments)]
    pub async fn new(
        opts: &AgentOptions,
        enrollment: Enrollment,
        key: SigningKey,
        trusted: VerifyingKey,
        store: Arc<Store>,
        cache: RelayCache,
        shared: Arc<Mutex<Reported>>,
        running: Option<u64>,
        changed: Arc<tokio::sync::Notify>,
    ) -> Result<Syncer, AgentError> {
        let urls = if opts.upstreams.is_empty() { vec![enrollment.mailbox.clone()] } else { opts.upstreams.clone() };
        let mut upstreams = Vec::new();
        for u in &urls {
            upstreams.push(open(u, &opts.connections).await?);
        }
        let primary = open(&enrollment.mailbox, &opts.connections).await?;
        let primary_listed = urls.iter().position(|u| MailboxUrl::parse(u).ok() == MailboxUrl::parse(&enrollment.mailbox).ok());
        let link = store.meta::<Link>("link")?.unwrap_or_default();
        let id = agent_id(&key.verifying_key());
        let rng = id.bytes().fold(0x9e37_79b9_7f4a_7c15u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x1000_0000_01b3)) | 1;
        Ok(Syncer {
            id,
            enrollment,
            key,
            trusted,
            store,
            cache,
            relay: opts.serve.is_some(),
            shared,
            events: opts.events.clone(),
            poll: opts.poll.max(Duration::from_millis(100)),
            upstreams,
            primary,
            primary_listed,
            tags: HashMap::new(),
            running,
            link,
            unreachable_logged: BTreeSet::new(),
            reconnected: false,
            changed,
            heartbeat: opts.heartbeat,
            last_report: None,
            rng,
        })
    }

    fn log(&self, level: Level, message: String) {
        (self.events)(Event { level, message });
    }

    pub async fn run(mut self, tx: tokio::sync::mpsc::Sender<DesiredState>) {
        loop {
            let started = tokio::time::Instant::now();
            let connected = self.round(&tx).await;
            let next = started + self.next_interval();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => break,
                    // A generation applied or a workload changed: report it
                    // now (only while the link is up; a cut link is retried
                    // by the next poll).
                    _ = self.changed.notified(), if connected => {
                        if self.primary_ok(connected, None) {
                            self.report().await;
                        }
                    }
                }
            }
        }
    }

    /// The poll interval, spread by ± [`JITTER`].
    fn next_interval(&mut self) -> Duration {
        jittered(self.poll, &mut self.rng)
    }

    /// Whether the token's mailbox (status, telemetry) is worth writing to:
    /// not when the same mailbox just failed as an upstream (a write would
    /// only time out).
    fn primary_ok(&self, connected: bool, from: Option<usize>) -> bool {
        match self.primary_listed {
            Some(i) => from == Some(i) || (connected && !self.unreachable_logged.contains(&i)),
            None => true,
        }
    }

    /// Reads `site`'s document from the first upstream that has it.
    /// Returns whether any upstream answered, which answered, and the new bytes.
    async fn fetch(&mut self, site: &str) -> (bool, Option<usize>, Option<Vec<u8>>) {
        let key = keys::desired(site);
        let mut answered = false;
        for i in 0..self.upstreams.len() {
            let tag = self.tags.get(&(i, site.to_string())).cloned();
            match self.upstreams[i].get(&key, tag.as_deref()).await {
                Ok(Read::Found { bytes, tag }) => {
                    self.unreachable_logged.remove(&i);
                    self.tags.insert((i, site.to_string()), tag);
                    return (true, Some(i), Some(bytes));
                }
                Ok(Read::NotModified) => {
                    self.unreachable_logged.remove(&i);
                    return (true, Some(i), None);
                }
                Ok(Read::Missing) => {
                    self.unreachable_logged.remove(&i);
                    answered = true;
                }
                Err(e) => {
                    if self.unreachable_logged.insert(i) {
                        self.log(Level::Warn, format!("{e}"));
                    }
                }
            }
        }
        (answered, None, None)
    }

    fn reject(&mut self, site: &str, generation: u64, reason: &str, from: &str) {
        self.log(Level::Warn, format!("rejected document for site {site:?} (generation {generation}) from {from}: {reason}; running set untouched"));
        if site != self.enrollment.site {
            return;
        }
        let mut list: VecDeque<Rejection> = self.store.meta::<VecDeque<Rejection>>("rejected").ok().flatten().unwrap_or_default();
        list.push_back(Rejection { generation, reason: reason.to_string(), at: rfc3339(SystemTime::now()) });
        while list.len() > MAX_REJECTIONS {
            list.pop_front();
        }
        if let Err(e) = self.store.set_meta("rejected", &list) {
            self.log(Level::Error, e.to_string());
        }
    }

    /// One poll; returns whether an upstream answered.
    async fn round(&mut self, tx: &tokio::sync::mpsc::Sender<DesiredState>) -> bool {
        let site = self.enrollment.site.clone();
        let round_started = SystemTime::now();
        let (connected, from, bytes) = self.fetch(&site).await;
        if let (Some(bytes), Some(i)) = (bytes, from) {
            let url = self.upstreams[i].url();
            match verify_desired(&bytes, &self.trusted, &site, self.running) {
                Ok(doc) if Some(doc.generation) == self.running => {}
                Ok(doc) => {
                    if let Err(e) = self.store.set_desired(&bytes, doc.generation) {
                        self.log(Level::Error, e.to_string());
                    } else {
                        self.log(Level::Info, format!("generation {} verified (from {url})", doc.generation));
                        self.running = Some(doc.generation);
                        self.cache.set(&site, &bytes);
                        let _ = tx.send(doc).await;
                    }
                }
                Err(r) => self.reject(&site, r.generation, &r.reason, &url),
            }
        }
        if self.relay {
            self.refresh_relay().await;
        }
        self.update_link(connected, round_started);
        // Status and telemetry go to the token's mailbox.
        if self.primary_ok(connected, from) {
            self.report().await;
        }
        connected
    }

    /// `tried_at`: when this round's first request went out (a cut link may
    /// take a request timeout to notice; the outage started before that).
    fn update_link(&mut self, connected: bool, tried_at: SystemTime) {
        let now = SystemTime::now();
        let mut changed = false;
        match (&self.link.disconnected_since, connected) {
            (None, false) => {
                self.link.disconnected_since = Some(rfc3339(tried_at));
                self.log(Level::Warn, "no upstream reachable: running from the store (nothing is stopped)".into());
                changed = true;
            }
            (Some(since), true) => {
                let secs = humantime::parse_rfc3339(since).ok().and_then(|t| now.duration_since(t).ok()).map_or(0.0, |d| d.as_secs_f64());
                self.log(Level::Info, format!("upstream reachable again after {secs:.1}s"));
                self.link.last_disconnection_s = Some(secs);
                self.link.disconnected_since = None;
                self.reconnected = true;
                changed = true;
            }
            _ => {}
        }
        if changed {
            if let Err(e) = self.store.set_meta("link", &self.link) {
                self.log(Level::Error, e.to_string());
            }
        }
    }

    /// Verified documents of descendant sites (children, their children, …).
    async fn refresh_relay(&mut self) {
        let own = self.enrollment.site.clone();
        let mut seen: BTreeSet<String> = BTreeSet::from([own.clone()]);
        let mut queue: VecDeque<(String, usize)> = VecDeque::new();
        let children = |bytes: &[u8], trusted: &VerifyingKey, site: &str| -> Vec<String> { verify_desired(bytes, trusted, site, None).map(|d| d.children).unwrap_or_default() };
        if let Some((bytes, _)) = self.store.desired().ok().flatten() {
            for c in children(&bytes, &self.trusted, &own) {
                queue.push_back((c, 1));
            }
        }
        let cached: HashMap<String, Vec<u8>> = self.store.relay_docs().unwrap_or_default().into_iter().collect();
        while let Some((site, depth)) = queue.pop_front() {
            if depth > MAX_RELAY_DEPTH || seen.len() >= MAX_RELAY_SITES || !seen.insert(site.clone()) {
                continue;
            }
            let old = cached.get(&site);
            let old_gen = old.and_then(|b| verify_desired(b, &self.trusted, &site, None).ok()).map(|d| d.generation);
            let (_, from, bytes) = self.fetch(&site).await;
            let mut current = old.cloned();
            if let (Some(bytes), Some(i)) = (bytes, from) {
                let url = self.upstreams[i].url();
                match verify_desired(&bytes, &self.trusted, &site, old_gen) {
                    Ok(_) => {
                        self.cache.set(&site, &bytes);
                        if let Err(e) = self.store.set_relay_doc(&site, Some(&bytes)) {
                            self.log(Level::Error, e.to_string());
                        }
                        current = Some(bytes);
                    }
                    Err(r) => self.reject(&site, r.generation, &r.reason, &url),
                }
            }
            if let Some(b) = current {
                for c in children(&b, &self.trusted, &site) {
                    queue.push_back((c, depth + 1));
                }
            }
        }
        // Sites no longer below this one are not served any more.
        for site in self.cache.sites() {
            if !seen.contains(&site) {
                self.cache.remove(&site);
                let _ = self.store.set_relay_doc(&site, None);
            }
        }
    }

    async fn report(&mut self) {
        let site = self.enrollment.site.clone();
        if !self.enrollment.registered {
            let record = AgentRecord {
                format_version: FORMAT_VERSION,
                agent_id: self.id.clone(),
                site: site.clone(),
                public_key: encode_public_key(&self.key.verifying_key()),
                enrolled_at: self.enrollment.enrolled_at.clone(),
                token_id: self.enrollment.token_id.clone(),
                facts: crate::telemetry::facts(),
            };
            let bytes = serde_json::to_vec_pretty(&record).unwrap_or_default();
            match self.primary.put(&keys::agent(&site, &self.id), &bytes).await {
                Ok(()) => {
                    self.enrollment.registered = true;
                    if let Err(e) = self.store.set_enrollment(&self.enrollment) {
                        self.log(Level::Error, e.to_string());
                    }
                    self.log(Level::Info, format!("registered {} in {}", self.id, self.primary.url()));
                }
                Err(e) => {
                    self.log(Level::Warn, format!("registering: {e}"));
                    return;
                }
            }
        }
        let buffered = self.store.telemetry_len().unwrap_or(0);
        if self.reconnected || buffered >= UPLOAD_THRESHOLD {
            if !self.upload_telemetry().await {
                return;
            }
            self.reconnected = false;
        }
        let counters = self.store.telemetry_counters().unwrap_or_default();
        let last = self.shared.lock().ok().and_then(|s| s.last_point.clone());
        let (acked, workloads) = match self.shared.lock() {
            Ok(s) => (s.acked_generation, s.workloads.clone()),
            Err(_) => (0, Vec::new()),
        };
        let status = AgentStatus {
            format_version: FORMAT_VERSION,
            agent_id: self.id.clone(),
            site: site.clone(),
            reported_at: rfc3339(SystemTime::now()),
            acked_generation: acked,
            rejected: self.store.meta::<Vec<Rejection>>("rejected").ok().flatten().unwrap_or_default(),
            disconnected_since: self.link.disconnected_since.clone(),
            last_disconnection_s: self.link.last_disconnection_s,
            workloads,
            telemetry: TelemetrySummary { buffered: self.store.telemetry_len().unwrap_or(0), uploaded: counters.uploaded, dropped: counters.dropped, capacity: self.store.capacity(), last },
        };
        // Upload when something changed or the heartbeat is due; the time
        // and the telemetry sample alone are not a change.
        let fingerprint = {
            let mut s = status.clone();
            s.reported_at.clear();
            s.telemetry.last = None;
            s.telemetry.buffered = 0;
            serde_json::to_string(&s).unwrap_or_default()
        };
        let now = tokio::time::Instant::now();
        if let Some((last, at)) = &self.last_report {
            if *last == fingerprint && now.duration_since(*at) < self.heartbeat {
                return;
            }
        }
        let sealed = Envelope::seal(&self.key, &status);
        match self.primary.put(&keys::status(&site, &self.id), &sealed).await {
            Ok(()) => {
                self.last_report = Some((fingerprint, now));
                self.log(Level::Debug, format!("status uploaded (acked generation {acked})"));
            }
            Err(e) => self.log(Level::Warn, format!("status: {e}")),
        }
    }

    /// Uploads every buffered point in batches; false when a write failed.
    async fn upload_telemetry(&mut self) -> bool {
        loop {
            let points = match self.store.telemetry_batch(BATCH_POINTS) {
                Ok(p) => p,
                Err(e) => {
                    self.log(Level::Error, e.to_string());
                    return false;
                }
            };
            let (Some(first), Some(last)) = (points.first().map(|p| p.seq), points.last().map(|p| p.seq)) else { return true };
            let n = points.len() as u64;
            let batch = TelemetryBatch { format_version: FORMAT_VERSION, agent_id: self.id.clone(), first_seq: first, points };
            let bytes = serde_json::to_vec(&batch).unwrap_or_default();
            if let Err(e) = self.primary.put(&keys::telemetry(&self.enrollment.site, &self.id, first), &bytes).await {
                self.log(Level::Warn, format!("telemetry upload: {e}"));
                return false;
            }
            if let Err(e) = self.store.ack_telemetry(last, n) {
                self.log(Level::Error, e.to_string());
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_intervals_spread_within_ten_percent() {
        let poll = Duration::from_secs(5);
        let mut state = 0x1234_5678_9abc_def1u64;
        let v: Vec<Duration> = (0..2000).map(|_| jittered(poll, &mut state)).collect();
        assert!(v.iter().all(|d| *d >= poll.mul_f64(0.9) && *d <= poll.mul_f64(1.1)));
        let (lo, hi) = (v.iter().min().copied().unwrap_or_default(), v.iter().max().copied().unwrap_or_default());
        assert!(lo < poll.mul_f64(0.92) && hi > poll.mul_f64(1.08), "spread over the whole range: {lo:?}..{hi:?}");
        let mean = v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len() as f64;
        assert!((mean - 5.0).abs() < 0.05, "centred on the poll: {mean}");
    }
}
