//! Fleet benchmark (bench/edge-agents.sh runs it; numbers in bench/RESULTS.md):
//! N in-process agents (one per site, each with its own key, redb store and
//! enrollment token) against one S3 bucket (moto), through a counting TCP
//! proxy that can cut the link.
//!
//! Measures:
//! 1. apply-to-applied: generation 2 published for every site → each agent
//!    applies it (its "applying generation 2" event): p50/p99/max;
//! 2. apply-to-all-acked: until every agent's signed `status.json` in the
//!    bucket acks generation 2 (what `contin edge list` reads);
//! 3. mailbox requests per second through the proxy while idle (steady polling);
//! 4. reconvergence: the proxy drops every connection for `--cut` seconds,
//!    generation 3 is published during the cut, the link returns → time until
//!    each agent applies generation 3 (p50/p99/max, compared with one poll + 2 s).
//!
//! Usage: fleet_bench --moto http://127.0.0.1:PORT [--agents 1000] [--poll 5s] [--cut 10s]
//!        fleet_bench --idle-mailbox DIR   (prints a token for an idle standalone agent)
//! (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY must be set; moto accepts any.)

use contin_agent::{AgentOptions, Event, EventSink};
use contin_edge_proto::mailbox::S3Mailbox;
use contin_edge_proto::{
    decode_public_key, encode_public_key, generate_key, keys, AgentRecord, rfc3339, AgentStatus, DesiredState, Envelope, Mailbox, MailboxUrl, Read, SigningKey, Token, TokenClaims,
    FORMAT_VERSION,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BUCKET: &str = "fleet-bench";
const PREFIX: &str = "fleet/";

struct Args {
    moto: String,
    agents: usize,
    poll: Duration,
    cut: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { moto: String::new(), agents: 1000, poll: Duration::from_secs(5), cut: Duration::from_secs(10) };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--moto" => a.moto = v,
            "--agents" => a.agents = v.parse().map_err(|e| format!("--agents {v}: {e}"))?,
            "--poll" => a.poll = humantime::parse_duration(&v).map_err(|e| format!("--poll {v}: {e}"))?,
            "--cut" => a.cut = humantime::parse_duration(&v).map_err(|e| format!("--cut {v}: {e}"))?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.moto.is_empty() {
        return Err("--moto http://HOST:PORT is required".into());
    }
    Ok(a)
}

/// A TCP proxy that counts HTTP requests (request lines going upstream) and
/// can cut every connection.
struct Proxy {
    requests: AtomicU64,
    cut: AtomicBool,
    /// Bumped on every cut: connections of an older epoch close.
    epoch: AtomicU64,
}

impl Proxy {
    async fn serve(self: Arc<Self>, listener: TcpListener, upstream: String) {
        loop {
            let Ok((client, _)) = listener.accept().await else { continue };
            if self.cut.load(Ordering::SeqCst) {
                drop(client);
                continue;
            }
            let me = self.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else { return };
                let epoch = me.epoch.load(Ordering::SeqCst);
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let counter = me.clone();
                let up = async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let hits = buf[..n].windows(11).filter(|w| w == b" HTTP/1.1\r\n").count() as u64;
                        counter.requests.fetch_add(hits, Ordering::Relaxed);
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                let watch = async {
                    while me.epoch.load(Ordering::SeqCst) == epoch {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                };
                tokio::select! {
                    _ = async { tokio::join!(up, down) } => {}
                    _ = watch => {}
                }
            });
        }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::SeqCst);
        if cut {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn doc(site: &str, generation: u64) -> DesiredState {
    DesiredState {
        format_version: FORMAT_VERSION,
        deployment: "fleet-bench".into(),
        site: site.into(),
        generation,
        issued_at: rfc3339(SystemTime::now()),
        children: vec![],
        workloads: vec![],
    }
}

async fn publish_all(mb: &S3Mailbox, key: &SigningKey, sites: &[String], generation: u64) -> Result<Duration, String> {
    let t = Instant::now();
    // Like `contin apply`: one PUT per site, a few at a time.
    let mut pending = Vec::new();
    for chunk in sites.chunks(16) {
        for s in chunk {
            let mb = mb.clone();
            let bytes = Envelope::seal(key, &doc(s, generation));
            let k = keys::desired(s);
            pending.push(tokio::spawn(async move { mb.put(&k, &bytes).await.map_err(|e| e.to_string()) }));
        }
        for p in pending.drain(..) {
            p.await.map_err(|e| e.to_string())??;
        }
    }
    Ok(t.elapsed())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Waits until every site has applied `generation` (per the agents' events);
/// returns each site's latency from `since`, sorted.
async fn wait_applied(applied: &Mutex<HashMap<(usize, u64), Instant>>, n: usize, generation: u64, since: Instant, timeout: Duration) -> Vec<f64> {
    let deadline = Instant::now() + timeout;
    loop {
        let done: Vec<f64> = {
            let m = applied.lock().unwrap_or_else(|p| p.into_inner());
            (0..n).filter_map(|i| m.get(&(i, generation)).map(|t| t.saturating_duration_since(since).as_secs_f64())).collect()
        };
        if done.len() == n || Instant::now() > deadline {
            if done.len() < n {
                eprintln!("  only {}/{n} agents applied generation {generation} within {timeout:?}", done.len());
            }
            let mut d = done;
            d.sort_by(|a, b| a.total_cmp(b));
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sites whose signed status in the bucket acks at least `generation`.
async fn acked_sites(mb: &S3Mailbox, sites: &[String], generation: u64) -> usize {
    let mut n = 0;
    let mut tasks = Vec::new();
    for s in sites {
        let mb = mb.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            // As `contin edge list` does: agent.json, then status.json
            // verified with the key the agent registered.
            let Ok(ks) = mb.list(&keys::agents_prefix(&s)).await else { return false };
            for k in ks.iter().filter(|k| k.ends_with("/agent.json")) {
                let Ok(Read::Found { bytes, .. }) = mb.get(k, None).await else { continue };
                let Ok(rec) = serde_json::from_slice::<AgentRecord>(&bytes) else { continue };
                let Ok(pk) = decode_public_key(&rec.public_key) else { continue };
                let Ok(Read::Found { bytes, .. }) = mb.get(&keys::status(&s, &rec.agent_id), None).await else { continue };
                if let Ok(st) = Envelope::open::<AgentStatus>(&bytes, &pk) {
                    return st.acked_generation >= generation;
                }
            }
            false
        }));
        if tasks.len() >= 32 {
            for t in tasks.drain(..) {
                n += usize::from(t.await.unwrap_or(false));
            }
        }
    }
    for t in tasks {
        n += usize::from(t.await.unwrap_or(false));
    }
    n
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// `fleet_bench --idle-mailbox DIR`: a file mailbox with one site's signed
/// document (no workloads); prints an enrollment token for it (the script
/// starts the standalone `contin-agent` with it to measure idle RSS).
fn idle_mailbox(dir: &std::path::Path) -> Result<(), String> {
    let key = generate_key().map_err(|e| e.to_string())?;
    let mb = dir.join("mailbox");
    let site_dir = mb.join("sites/idle");
    std::fs::create_dir_all(&site_dir).map_err(|e| format!("{}: {e}", site_dir.display()))?;
    std::fs::write(site_dir.join("desired.json"), Envelope::seal(&key, &doc("idle", 1))).map_err(|e| e.to_string())?;
    let now = SystemTime::now();
    let claims = TokenClaims {
        v: 1,
        token_id: "bench-idle".into(),
        site: "idle".into(),
        deployment: "fleet-bench".into(),
        mailbox: MailboxUrl::File(mb).render(),
        deployment_key: encode_public_key(&key.verifying_key()),
        issued_at: rfc3339(now),
        expires_at: rfc3339(now + Duration::from_secs(3600)),
    };
    println!("{}", Token::create(&claims, &key));
    Ok(())
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let (Some("--idle-mailbox"), Some(dir)) = (argv.get(1).map(String::as_str), argv.get(2)) {
        if let Err(e) = idle_mailbox(std::path::Path::new(dir)) {
            eprintln!("fleet_bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fleet_bench: {e}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fleet_bench: runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(bench(args)) {
        eprintln!("fleet_bench: {e}");
        std::process::exit(1);
    }
}

async fn bench(a: Args) -> Result<(), String> {
    let n = a.agents;
    let moto_addr = a.moto.trim_start_matches("http://").trim_end_matches('/').to_string();
    let direct_url = MailboxUrl::S3 { bucket: BUCKET.into(), prefix: PREFIX.into(), region: Some("us-east-1".into()), endpoint: Some(a.moto.clone()) };
    let direct = S3Mailbox::connect(&direct_url).await.map_err(|e| e.to_string())?;
    // The bucket (moto: PUT /bucket).
    {
        let mut s = TcpStream::connect(&moto_addr).await.map_err(|e| format!("moto at {moto_addr}: {e}"))?;
        let req = format!("PUT /{BUCKET} HTTP/1.0\r\nHost: {moto_addr}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: 0\r\n\r\n");
        s.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
    }
    let proxy = Arc::new(Proxy { requests: AtomicU64::new(0), cut: AtomicBool::new(false), epoch: AtomicU64::new(0) });
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let proxy_addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(proxy.clone().serve(listener, moto_addr.clone()));
    let agent_url = MailboxUrl::S3 {
        bucket: BUCKET.into(),
        prefix: PREFIX.into(),
        region: Some("us-east-1".into()),
        endpoint: Some(format!("http://{proxy_addr}")),
    }
    .render();

    let key = generate_key().map_err(|e| e.to_string())?;
    let sites: Vec<String> = (0..n).map(|i| format!("s{i:04}")).collect();
    eprintln!("publishing generation 1 for {n} sites...");
    publish_all(&direct, &key, &sites, 1).await?;

    let applied: Arc<Mutex<HashMap<(usize, u64), Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let rss0 = rss_mb();
    let started = Instant::now();
    let mut handles = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let now = SystemTime::now();
        let claims = TokenClaims {
            v: 1,
            token_id: format!("bench-{i}"),
            site: site.clone(),
            deployment: "fleet-bench".into(),
            mailbox: agent_url.clone(),
            deployment_key: encode_public_key(&key.verifying_key()),
            issued_at: rfc3339(now),
            expires_at: rfc3339(now + Duration::from_secs(3600)),
        };
        let applied = applied.clone();
        let events: EventSink = Arc::new(move |e: Event| {
            if let Some(g) = e.message.strip_prefix("applying generation ").and_then(|r| r.split_whitespace().next()).and_then(|g| g.parse::<u64>().ok()) {
                applied.lock().unwrap_or_else(|p| p.into_inner()).entry((i, g)).or_insert_with(Instant::now);
            }
        });
        let mut opts = AgentOptions::new(dir.path().join(site), events);
        opts.token = Some(Token::create(&claims, &key));
        opts.poll = a.poll;
        let mut stop = stop_rx.clone();
        handles.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            contin_agent::run(opts, shutdown).await.map_err(|e| e.to_string())
        }));
        // Spread the enrollments over one poll interval, as a real fleet would start.
        tokio::time::sleep(a.poll / (n as u32).max(1)).await;
    }
    let g1 = wait_applied(&applied, n, 1, started, Duration::from_secs(300)).await;
    eprintln!("{n} agents enrolled and running generation 1 after {:.1}s", started.elapsed().as_secs_f64());
    // Let enrollment traffic settle, then measure idle polling.
    tokio::time::sleep(a.poll * 2).await;
    let r0 = proxy.requests.load(Ordering::Relaxed);
    let window = a.poll * 4;
    tokio::time::sleep(window).await;
    let rps = (proxy.requests.load(Ordering::Relaxed) - r0) as f64 / window.as_secs_f64();
    let rss_fleet = rss_mb();

    // 1 + 2: generation 2.
    let t = Instant::now();
    let publish = publish_all(&direct, &key, &sites, 2).await?;
    let g2 = wait_applied(&applied, n, 2, t, Duration::from_secs(300)).await;
    let mut all_acked = None;
    while t.elapsed() < Duration::from_secs(300) {
        if acked_sites(&direct, &sites, 2).await == n {
            all_acked = Some(t.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 4: cut, publish generation 3 during the cut, restore.
    proxy.set_cut(true);
    tokio::time::sleep(a.cut / 2).await;
    publish_all(&direct, &key, &sites, 3).await?;
    tokio::time::sleep(a.cut - a.cut / 2).await;
    proxy.set_cut(false);
    let up = Instant::now();
    let g3 = wait_applied(&applied, n, 3, up, Duration::from_secs(300)).await;

    let _ = stop_tx.send(true);
    for h in handles {
        if let Ok(Err(e)) = h.await {
            eprintln!("  an agent stopped with an error: {e}");
        }
    }
    let ms = |v: f64| format!("{:.0} ms", v * 1000.0);
    println!("agents: {n}, poll: {:?}, cut: {:?}", a.poll, a.cut);
    println!("enrollment to generation 1 running: p50 {} p99 {} (agents started over one poll)", ms(percentile(&g1, 0.5)), ms(percentile(&g1, 0.99)));
    println!("publish generation 2 ({n} signed PUTs): {}", ms(publish.as_secs_f64()));
    println!(
        "apply-to-applied (generation 2, from the start of publishing): p50 {} p99 {} max {} ({} agents)",
        ms(percentile(&g2, 0.5)),
        ms(percentile(&g2, 0.99)),
        ms(g2.last().copied().unwrap_or(f64::NAN)),
        g2.len()
    );
    match all_acked {
        Some(d) => println!("apply-to-all-acked (every status.json in the bucket acks generation 2): {}", ms(d.as_secs_f64())),
        None => println!("apply-to-all-acked: not reached within 300 s"),
    }
    println!("mailbox requests/s while idle (through the proxy): {rps:.0} ({:.2} per agent per poll)", rps * a.poll.as_secs_f64() / n as f64);
    println!(
        "reconvergence after the link returned (generation 3 published during the cut): p50 {} p99 {} max {} ({} agents; one poll + 2 s = {})",
        ms(percentile(&g3, 0.5)),
        ms(percentile(&g3, 0.99)),
        ms(g3.last().copied().unwrap_or(f64::NAN)),
        g3.len(),
        ms((a.poll + Duration::from_secs(2)).as_secs_f64())
    );
    println!("process RSS: {rss0:.0} MB before the agents, {rss_fleet:.0} MB with {n} agents ({:.2} MB per in-process agent)", (rss_fleet - rss0) / n as f64);
    Ok(())
}
