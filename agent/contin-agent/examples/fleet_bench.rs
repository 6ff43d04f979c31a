//! Fleet benchmark (bench/edge-agents.sh runs it; numbers in bench/RESULTS.md):
//! N in-process agents (one per site, each with its own key, redb store and
//! enrollment token; one shared S3 client with kept-alive connections)
//! against one S3 bucket (moto), through a counting TCP proxy that can cut
//! the link.
//!
//! Measures:
//! 1. apply-to-applied: generation 2 published for every site → each agent
//!    applies it (its "applying generation 2" event): p50/p99/max;
//! 2. apply-to-acked per agent (its "status uploaded (acked generation 2)"
//!    event; status is written on change), p50/p99, and apply-to-all-acked
//!    (the last one), then every agent's signed `status.json` in the bucket
//!    verified (what `contin edge list` reads);
//! 3. mailbox requests per second through the proxy while idle (steady
//!    polling: GETs, how many answered 304, PUTs) and moto's CPU use;
//! 4. reconvergence: the proxy drops every connection for `--cut` seconds,
//!    generation 3 is published during the cut, the link returns → time until
//!    each agent applies generation 3 (p50/p99/max, compared with one poll + 2 s).
//!
//! Usage: fleet_bench --moto http://127.0.0.1:PORT [--moto-pid PID] [--agents 1000] [--poll 5s] [--cut 10s]
//!        fleet_bench --idle-mailbox DIR   (prints a token for an idle standalone agent)
//! (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY must be set; moto accepts any.)

use contin_agent::{AgentOptions, Event, EventSink, Level};
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
    /// moto_server's pid: its CPU use is reported (is it the bottleneck?).
    moto_pid: Option<u32>,
    agents: usize,
    poll: Duration,
    cut: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { moto: String::new(), moto_pid: None, agents: 1000, poll: Duration::from_secs(5), cut: Duration::from_secs(10) };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--moto" => a.moto = v,
            "--moto-pid" => a.moto_pid = Some(v.parse().map_err(|e| format!("--moto-pid {v}: {e}"))?),
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
    gets: AtomicU64,
    puts: AtomicU64,
    /// `304 Not Modified` answers (conditional reads that hit).
    not_modified: AtomicU64,
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
                        // Request lines: "METHOD /path HTTP/1.1\r\n".
                        let chunk = &buf[..n];
                        for (end, _) in chunk.windows(11).enumerate().filter(|(_, w)| *w == b" HTTP/1.1\r\n") {
                            counter.requests.fetch_add(1, Ordering::Relaxed);
                            let start = chunk[..end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                            let line = &chunk[start..end];
                            if line.starts_with(b"GET ") {
                                counter.gets.fetch_add(1, Ordering::Relaxed);
                            } else if line.starts_with(b"PUT ") {
                                counter.puts.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let counter = me.clone();
                let down = async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let hits = buf[..n].windows(12).filter(|w| w == b"HTTP/1.1 304").count() as u64;
                        counter.not_modified.fetch_add(hits, Ordering::Relaxed);
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
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

/// CPU seconds (user + system) used so far by process `pid`.
fn cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the ")" that closes the command name: utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (hz > 0.0).then(|| ticks / hz)
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

/// Per (agent index, generation): when the agent applied it, and when its
/// status acking it was uploaded (both from the agents' events).
#[derive(Default)]
struct Seen {
    applied: HashMap<(usize, u64), Instant>,
    acked: HashMap<(usize, u64), Instant>,
}

/// Waits until every agent has `generation` in `pick(seen)`; returns each
/// agent's latency from `since`, sorted.
async fn wait_all(seen: &Mutex<Seen>, pick: fn(&Seen) -> &HashMap<(usize, u64), Instant>, what: &str, n: usize, generation: u64, since: Instant, timeout: Duration) -> Vec<f64> {
    let deadline = Instant::now() + timeout;
    loop {
        let done: Vec<f64> = {
            let m = seen.lock().unwrap_or_else(|p| p.into_inner());
            let m = pick(&m);
            (0..n).filter_map(|i| m.get(&(i, generation)).map(|t| t.saturating_duration_since(since).as_secs_f64())).collect()
        };
        if done.len() == n || Instant::now() > deadline {
            if done.len() < n {
                eprintln!("  only {}/{n} agents {what} generation {generation} within {timeout:?}", done.len());
            }
            let mut d = done;
            d.sort_by(|a, b| a.total_cmp(b));
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Requests through the proxy and moto's CPU over a time window.
struct Window {
    at: Instant,
    requests: u64,
    gets: u64,
    puts: u64,
    not_modified: u64,
    moto_cpu: Option<f64>,
}

impl Window {
    fn start(p: &Proxy, moto: Option<u32>) -> Window {
        Window {
            at: Instant::now(),
            requests: p.requests.load(Ordering::Relaxed),
            gets: p.gets.load(Ordering::Relaxed),
            puts: p.puts.load(Ordering::Relaxed),
            not_modified: p.not_modified.load(Ordering::Relaxed),
            moto_cpu: moto.and_then(cpu_s),
        }
    }

    fn report(&self, p: &Proxy, moto: Option<u32>) -> String {
        let s = self.at.elapsed().as_secs_f64();
        let d = |now: u64, then: u64| (now - then) as f64 / s;
        let gets = p.gets.load(Ordering::Relaxed) - self.gets;
        let nm = p.not_modified.load(Ordering::Relaxed) - self.not_modified;
        let moto = match (self.moto_cpu, moto.and_then(cpu_s)) {
            (Some(a), Some(b)) => format!(", moto CPU {:.0} % of one core", (b - a) / s * 100.0),
            _ => String::new(),
        };
        format!(
            "{:.0} requests/s over {s:.0} s ({:.0} GET/s of which {:.0} % answered 304 Not Modified, {:.0} PUT/s){moto}",
            d(p.requests.load(Ordering::Relaxed), self.requests),
            gets as f64 / s,
            if gets > 0 { nm as f64 * 100.0 / gets as f64 } else { 0.0 },
            d(p.puts.load(Ordering::Relaxed), self.puts),
        )
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
    let proxy = Arc::new(Proxy {
        requests: AtomicU64::new(0),
        gets: AtomicU64::new(0),
        puts: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
        cut: AtomicBool::new(false),
        epoch: AtomicU64::new(0),
    });
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

    let seen: Arc<Mutex<Seen>> = Arc::new(Mutex::new(Seen::default()));
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // One S3 client (one pool of kept-alive connections) for every agent.
    let connections = contin_edge_proto::Connections::default();
    let rss0 = rss_mb();
    let started = Instant::now();
    let mut handles = Vec::new();
    let mut heartbeat = Duration::ZERO;
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
        let seen = seen.clone();
        let events: EventSink = Arc::new(move |e: Event| {
            let gen_after = |prefix: &str| e.message.strip_prefix(prefix).and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next()).and_then(|g| g.parse::<u64>().ok());
            if let Some(g) = gen_after("applying generation ") {
                seen.lock().unwrap_or_else(|p| p.into_inner()).applied.entry((i, g)).or_insert_with(Instant::now);
            } else if let Some(g) = gen_after("status uploaded (acked generation ") {
                seen.lock().unwrap_or_else(|p| p.into_inner()).acked.entry((i, g)).or_insert_with(Instant::now);
            } else if matches!(e.level, Level::Warn | Level::Error) && i < 3 {
                eprintln!("  agent {i}: {}", e.message);
            }
        });
        let mut opts = AgentOptions::new(dir.path().join(site), events);
        opts.token = Some(Token::create(&claims, &key));
        opts.poll = a.poll;
        opts.connections = connections.clone();
        heartbeat = opts.heartbeat;
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
    let g1 = wait_all(&seen, |s| &s.applied, "applied", n, 1, started, Duration::from_secs(300)).await;
    let g1_acked = wait_all(&seen, |s| &s.acked, "acked", n, 1, started, Duration::from_secs(300)).await;
    eprintln!("{n} agents enrolled and acking generation 1 after {:.1}s", started.elapsed().as_secs_f64());
    // Let enrollment traffic settle, then measure idle polling over two heartbeats.
    tokio::time::sleep(a.poll * 2).await;
    let idle = Window::start(&proxy, a.moto_pid);
    tokio::time::sleep((heartbeat * 2).max(a.poll * 4)).await;
    let idle_report = idle.report(&proxy, a.moto_pid);
    let idle_rps = (proxy.requests.load(Ordering::Relaxed) - idle.requests) as f64 / idle.at.elapsed().as_secs_f64();
    let rss_fleet = rss_mb();

    // 1 + 2: generation 2.
    eprintln!("publishing generation 2...");
    let t = Instant::now();
    let busy = Window::start(&proxy, a.moto_pid);
    let publish = publish_all(&direct, &key, &sites, 2).await?;
    let g2 = wait_all(&seen, |s| &s.applied, "applied", n, 2, t, Duration::from_secs(300)).await;
    let g2_acked = wait_all(&seen, |s| &s.acked, "acked", n, 2, t, Duration::from_secs(300)).await;
    let all_acked = (g2_acked.len() == n).then(|| t.elapsed());
    let busy_report = busy.report(&proxy, a.moto_pid);
    // What `contin edge list` reads: every site's verified status.json.
    eprintln!("verifying every status.json in the bucket...");
    let verified = acked_sites(&direct, &sites, 2).await;

    // 4: cut, publish generation 3 during the cut, restore.
    eprintln!("cutting the link for {:?}...", a.cut);
    proxy.set_cut(true);
    tokio::time::sleep(a.cut / 2).await;
    publish_all(&direct, &key, &sites, 3).await?;
    tokio::time::sleep(a.cut - a.cut / 2).await;
    proxy.set_cut(false);
    let up = Instant::now();
    let g3 = wait_all(&seen, |s| &s.applied, "applied", n, 3, up, Duration::from_secs(300)).await;
    let g3_acked = wait_all(&seen, |s| &s.acked, "acked", n, 3, up, Duration::from_secs(300)).await;

    let _ = stop_tx.send(true);
    for h in handles {
        if let Ok(Err(e)) = h.await {
            eprintln!("  an agent stopped with an error: {e}");
        }
    }
    let ms = |v: f64| format!("{:.0} ms", v * 1000.0);
    let dist = |v: &[f64]| format!("p50 {} p99 {} max {} ({} agents)", ms(percentile(v, 0.5)), ms(percentile(v, 0.99)), ms(v.last().copied().unwrap_or(f64::NAN)), v.len());
    println!("agents: {n}, poll: {:?} (± 10 % jitter), status heartbeat: {heartbeat:?}, cut: {:?}", a.poll, a.cut);
    println!("enrollment (agents started over one poll) to generation 1 running: {}; acked: {}", dist(&g1), dist(&g1_acked));
    println!("publish generation 2 ({n} signed PUTs, 16 at a time): {}", ms(publish.as_secs_f64()));
    println!("apply-to-applied (generation 2, from the start of publishing): {}", dist(&g2));
    println!("apply-to-acked (status acking generation 2 uploaded): {}", dist(&g2_acked));
    match all_acked {
        Some(d) => println!("apply-to-all-acked: {}", ms(d.as_secs_f64())),
        None => println!("apply-to-all-acked: not reached within 300 s"),
    }
    println!("verified in the bucket afterwards (as `contin edge list` reads them): {verified}/{n} status.json ack generation 2");
    println!("mailbox while idle: {idle_report} = {:.2} requests per agent per poll", idle_rps * a.poll.as_secs_f64() / n as f64);
    println!("mailbox while publishing and applying generation 2: {busy_report}");
    println!("reconvergence after the link returned (generation 3 published during the cut): applied {}; acked {}; bound one poll + 2 s = {}", dist(&g3), dist(&g3_acked), ms((a.poll + Duration::from_secs(2)).as_secs_f64()));
    println!("process RSS: {rss0:.0} MB before the agents, {rss_fleet:.0} MB with {n} agents ({:.2} MB per in-process agent)", (rss_fleet - rss0) / n as f64);
    Ok(())
}
