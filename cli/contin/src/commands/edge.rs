//! `contin edge token create SITE [--ttl D]` and `contin edge list [--json]`:
//! rendering only; the engine signs tokens and reads the mailbox.

use super::{engine_err, open_state_workspace, Ctx};
use crate::args::{EdgeCommand, EdgeTokenCommand};
use contin_engine::edge::{age, parse_duration};
use contin_engine::{AgentReport, EdgeReport, SiteReport};
use serde_json::json;
use std::time::Duration;

pub async fn run(ctx: &Ctx, cmd: EdgeCommand) -> anyhow::Result<i32> {
    match cmd {
        EdgeCommand::List { json } => list(ctx, json).await,
        EdgeCommand::Token(EdgeTokenCommand::Create { site, ttl }) => token_create(ctx, &site, &ttl).await,
    }
}

async fn token_create(ctx: &Ctx, site: &str, ttl: &str) -> anyhow::Result<i32> {
    let Some(ttl) = parse_duration(ttl) else {
        anyhow::bail!("--ttl {ttl:?} is not a duration: write e.g. 30m, 1h or 7d");
    };
    let ws = open_state_workspace(ctx).await?;
    let token = ws.edge_token(site, ttl).await.map_err(engine_err)?;
    eprintln!("Enrollment token for site {site}, valid for {}. Start the agent with:\n  contin agent run --token TOKEN --data-dir DIR", show_duration(ttl));
    // The token is the last line (scripts take it with `tail -n1`).
    println!("{token}");
    Ok(0)
}

async fn list(ctx: &Ctx, json_out: bool) -> anyhow::Result<i32> {
    let ws = open_state_workspace(ctx).await?;
    let report = ws.edge_list().await.map_err(engine_err)?;
    if let Some(w) = &report.warning {
        ctx.ui.warn(w);
    }
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
        return Ok(0);
    }
    if report.sites.is_empty() {
        println!("No edge sites in the state.");
        return Ok(0);
    }
    let header = ["SITE", "AGENT", "LAST SEEN", "GENERATION", "WORKLOADS", "RESTARTS", "DISCONNECTED", "TELEMETRY"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in &report.sites {
        let desired = desired_text(s);
        if s.agents.is_empty() {
            let agent = if report.warning.is_some() { "unknown" } else { "no agent" };
            rows.push(vec![s.site.clone(), agent.into(), "-".into(), format!("-/{desired}"), format!("-/{}", s.workloads_desired), "-".into(), "-".into(), "-".into()]);
        }
        for a in &s.agents {
            rows.push(agent_row(s, a, &desired));
        }
    }
    let widths: Vec<usize> = (0..header.len()).map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0)).collect();
    let line = |cells: Vec<String>| -> String {
        cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    println!("{}", ctx.ui.bold(&line(header.iter().map(|h| h.to_string()).collect())));
    for r in rows {
        println!("{}", line(r));
    }
    if let Some(m) = &report.mailbox {
        println!("\nmailbox: {m}");
    }
    println!("GENERATION is acked/desired; WORKLOADS running/desired (replicas); * = the next apply writes a newer document.");
    if report.sites.iter().any(|s| s.agents.iter().any(|a| s.beyond_tolerance(a))) {
        println!("beyond tolerance: not seen for longer than the site's autonomy {{ tolerate_disconnection }}; its agent keeps running its workloads.");
    }
    Ok(0)
}

fn desired_text(s: &SiteReport) -> String {
    let g = s.desired_generation.map_or("-".to_string(), |g| g.to_string());
    if s.pending {
        format!("{g}*")
    } else {
        g
    }
}

fn agent_row(s: &SiteReport, a: &AgentReport, desired: &str) -> Vec<String> {
    let name = if a.hostname.is_empty() { a.agent_id.clone() } else { format!("{} ({})", a.agent_id, a.hostname) };
    match &a.status {
        Err(e) => vec![s.site.clone(), name, format!("({e})"), format!("-/{desired}"), format!("-/{}", s.workloads_desired), "-".into(), "-".into(), "-".into()],
        Ok(st) => {
            let running = st.workloads.iter().filter(|w| w.state == contin_engine::edge::WorkloadState::Running).count();
            let restarts: u64 = st.workloads.iter().map(|w| u64::from(w.restarts)).sum();
            let seen = age(&st.reported_at).map_or(st.reported_at.clone(), |d| format!("{} ago", show_duration(d)));
            let mut disconnected = st.disconnected_since.as_deref().and_then(age).map_or("-".to_string(), show_duration);
            if let (true, Some(t)) = (s.beyond_tolerance(a), s.tolerate_disconnection) {
                // Not seen for longer than the site's workloads tolerate.
                disconnected = format!("beyond tolerance ({})", show_duration(t));
            }
            vec![
                s.site.clone(),
                name,
                seen,
                format!("{}/{desired}", st.acked_generation),
                format!("{running}/{}", s.workloads_desired),
                restarts.to_string(),
                disconnected,
                format!("{} buffered", st.telemetry.buffered),
            ]
        }
    }
}

fn report_json(r: &EdgeReport) -> serde_json::Value {
    let sites: Vec<serde_json::Value> = r
        .sites
        .iter()
        .map(|s| {
            let agents: Vec<serde_json::Value> = s
                .agents
                .iter()
                .map(|a| match &a.status {
                    Ok(st) => json!({
                        "agent_id": a.agent_id,
                        "hostname": a.hostname,
                        "last_seen": st.reported_at,
                        "last_seen_s": age(&st.reported_at).map(|d| d.as_secs()),
                        "acked_generation": st.acked_generation,
                        "workloads_running": st.workloads.iter().filter(|w| w.state == contin_engine::edge::WorkloadState::Running).count(),
                        "restarts": st.workloads.iter().map(|w| u64::from(w.restarts)).sum::<u64>(),
                        "disconnected_for_s": st.disconnected_since.as_deref().and_then(age).map(|d| d.as_secs()),
                        "telemetry_buffered": st.telemetry.buffered,
                        "beyond_tolerance": s.beyond_tolerance(a),
                        "status": st,
                        "error": null,
                    }),
                    Err(e) => json!({"agent_id": a.agent_id, "hostname": a.hostname, "status": null, "error": e}),
                })
                .collect();
            json!({
                "site": s.site,
                "desired_generation": s.desired_generation,
                "pending": s.pending,
                "workloads_desired": s.workloads_desired,
                "tolerate_disconnection_s": s.tolerate_disconnection.map(|d| d.as_secs()),
                "agents": agents,
            })
        })
        .collect();
    json!({"mailbox": r.mailbox, "warning": r.warning, "sites": sites})
}

/// `45s`, `12m`, `3h`, `2d` (largest unit, rounded down).
fn show_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}
