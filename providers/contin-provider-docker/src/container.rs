//! `docker_container`: create + start, inspect, update of the resource
//! limits and restart policy, stop + force remove.

use crate::client::{self, CallError, Client};
use crate::{api_err, blocks, default, get_bool, get_int, get_strs, int, jget, jstr, set, Map};
use contin_provider::{OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use hyper::Method;
use serde_json::{json, Value as J};
use std::time::Duration;

const RESTARTS: [&str; 4] = ["no", "on-failure", "always", "unless-stopped"];
const PROTOCOLS: [&str; 3] = ["tcp", "udp", "sctp"];
/// Bookkeeping labels (crash-safe re-create), never shown in `labels`.
pub const LABEL_LINEAGE: &str = "contin.lineage";
pub const LABEL_ADDRESS: &str = "contin.address";
const MB: i64 = 1024 * 1024;
/// Longest `wait_timeout` / attach wait honoured.
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// The provider's defaults for arguments the configuration leaves out.
pub(crate) fn apply_defaults(v: &mut Value) {
    if !matches!(v, Value::Map(_)) {
        return;
    }
    for (k, x) in [
        ("restart", Value::string("no")),
        ("must_run", Value::Bool(true)),
        ("rm", Value::Bool(false)),
        ("start", Value::Bool(true)),
        ("attach", Value::Bool(false)),
        ("logs", Value::Bool(false)),
        ("wait", Value::Bool(false)),
        ("wait_timeout", int(60)),
        ("remove_volumes", Value::Bool(true)),
        ("tty", Value::Bool(false)),
        ("stdin_open", Value::Bool(false)),
        ("read_only", Value::Bool(false)),
        ("privileged", Value::Bool(false)),
        ("publish_all_ports", Value::Bool(false)),
        ("max_retry_count", int(0)),
        ("container_read_refresh_timeout_milliseconds", int(15000)),
    ] {
        default(v, k, x);
    }
    if let Value::Map(m) = v {
        if let Some(Value::List(ports)) = m.get_mut("ports") {
            for p in ports.iter_mut() {
                default(p, "ip", Value::string("0.0.0.0"));
                default(p, "protocol", Value::string("tcp"));
            }
        }
        if let Some(Value::Set(vols)) = m.get_mut("volumes") {
            for x in vols.iter_mut() {
                default(x, "read_only", Value::Bool(false));
            }
        }
    }
}

pub(crate) fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(Value::String(r)) = cfg.attr("restart") {
        if !RESTARTS.contains(&r.as_str()) {
            d.push(Diagnostic::error(format!("restart: {r:?} is not one of {}", RESTARTS.join(", "))));
        }
    }
    if let Some(Value::String(n)) = cfg.attr("name") {
        let ok = !n.is_empty() && n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) && n.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            d.push(Diagnostic::error(format!("name: {n:?} is not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)")));
        }
    }
    for (i, p) in blocks(cfg, "ports").into_iter().enumerate() {
        for k in ["internal", "external"] {
            if let Some(Value::Number(n)) = p.attr(k) {
                if !n.as_i64().is_some_and(|x| (1..=65535).contains(&x)) {
                    d.push(Diagnostic::error(format!("ports[{i}].{k}: {n} is not a port number (1-65535)")));
                }
            }
        }
        if let Some(Value::String(pr)) = p.attr("protocol") {
            if !PROTOCOLS.contains(&pr.as_str()) {
                d.push(Diagnostic::error(format!("ports[{i}].protocol: {pr:?} is not one of {}", PROTOCOLS.join(", "))));
            }
        }
    }
    if let Some(env) = get_strs(cfg, "env") {
        for e in env {
            if !e.contains('=') {
                d.push(Diagnostic::error(format!("env: {e:?} is not of the form NAME=VALUE")));
            }
        }
    }
    for (i, v) in blocks(cfg, "volumes").into_iter().enumerate() {
        if v.attr("container_path").is_none() && v.attr("from_container").is_none() {
            d.push(Diagnostic::error(format!("volumes[{i}]: container_path (or from_container) is required")));
        }
    }
    d
}

/// The body of POST /containers/create.
pub(crate) fn create_body(planned: &Value, ctx: Option<&OpContext>) -> J {
    let mut config = serde_json::Map::new();
    let mut host = serde_json::Map::new();
    config.insert("Image".into(), json!(planned.attr_str("image").unwrap_or_default()));
    for (attr, key) in [("command", "Cmd"), ("entrypoint", "Entrypoint"), ("env", "Env")] {
        if let Some(v) = get_strs(planned, attr) {
            config.insert(key.into(), json!(v));
        }
    }
    for (attr, key) in [("hostname", "Hostname"), ("domainname", "Domainname"), ("user", "User"), ("working_dir", "WorkingDir"), ("stop_signal", "StopSignal")] {
        if let Some(s) = planned.attr_str(attr) {
            config.insert(key.into(), json!(s));
        }
    }
    if let Some(t) = get_int(planned, "stop_timeout") {
        config.insert("StopTimeout".into(), json!(t));
    }
    for (attr, key) in [("tty", "Tty"), ("stdin_open", "OpenStdin")] {
        if let Some(b) = get_bool(planned, attr) {
            config.insert(key.into(), json!(b));
        }
    }
    let mut labels = serde_json::Map::new();
    for l in blocks(planned, "labels") {
        if let (Some(k), Some(v)) = (l.attr_str("label"), l.attr_str("value")) {
            labels.insert(k.into(), json!(v));
        }
    }
    if let Some(ctx) = ctx {
        labels.insert(LABEL_LINEAGE.into(), json!(ctx.lineage));
        labels.insert(LABEL_ADDRESS.into(), json!(ctx.address.to_string()));
    }
    config.insert("Labels".into(), J::Object(labels));
    let mut exposed = serde_json::Map::new();
    let mut bindings = serde_json::Map::new();
    for p in blocks(planned, "ports") {
        let Some(internal) = get_int(p, "internal") else { continue };
        let proto = p.attr_str("protocol").unwrap_or("tcp");
        let key = format!("{internal}/{proto}");
        exposed.insert(key.clone(), json!({}));
        let binding = json!({
            "HostIp": p.attr_str("ip").unwrap_or("0.0.0.0"),
            "HostPort": get_int(p, "external").map(|e| e.to_string()).unwrap_or_default(),
        });
        match bindings.get_mut(&key) {
            Some(J::Array(a)) => a.push(binding),
            _ => {
                bindings.insert(key, json!([binding]));
            }
        }
    }
    if !exposed.is_empty() {
        config.insert("ExposedPorts".into(), J::Object(exposed));
        host.insert("PortBindings".into(), J::Object(bindings));
    }
    let mut binds = Vec::new();
    let mut volumes_from = Vec::new();
    for v in blocks(planned, "volumes") {
        if let Some(from) = v.attr_str("from_container") {
            volumes_from.push(json!(from));
            continue;
        }
        let Some(cp) = v.attr_str("container_path") else { continue };
        let src = v.attr_str("host_path").or(v.attr_str("volume_name"));
        let mut b = match src {
            Some(s) => format!("{s}:{cp}"),
            None => cp.to_string(),
        };
        if src.is_some() && get_bool(v, "read_only") == Some(true) {
            b.push_str(":ro");
        }
        binds.push(json!(b));
    }
    if !binds.is_empty() {
        host.insert("Binds".into(), J::Array(binds));
    }
    if !volumes_from.is_empty() {
        host.insert("VolumesFrom".into(), J::Array(volumes_from));
    }
    let restart = planned.attr_str("restart").unwrap_or("no");
    host.insert("RestartPolicy".into(), json!({"Name": restart, "MaximumRetryCount": if restart == "on-failure" { get_int(planned, "max_retry_count").unwrap_or(0) } else { 0 }}));
    for (attr, key) in [("rm", "AutoRemove"), ("privileged", "Privileged"), ("read_only", "ReadonlyRootfs"), ("publish_all_ports", "PublishAllPorts"), ("init", "Init")] {
        if let Some(b) = get_bool(planned, attr) {
            host.insert(key.into(), json!(b));
        }
    }
    if let Some(n) = planned.attr_str("network_mode") {
        host.insert("NetworkMode".into(), json!(n));
    }
    for (attr, key) in [("dns", "Dns"), ("dns_opts", "DnsOptions"), ("dns_search", "DnsSearch"), ("group_add", "GroupAdd")] {
        if let Some(v) = get_strs(planned, attr) {
            host.insert(key.into(), json!(v));
        }
    }
    for (attr, key) in [("memory", "Memory"), ("memory_swap", "MemorySwap"), ("shm_size", "ShmSize")] {
        if let Some(mb) = get_int(planned, attr).filter(|m| *m != 0) {
            host.insert(key.into(), json!(if mb < 0 { mb } else { mb.saturating_mul(MB) }));
        }
    }
    if let Some(c) = get_int(planned, "cpu_shares") {
        host.insert("CpuShares".into(), json!(c));
    }
    let extra: Vec<J> = blocks(planned, "host").into_iter().filter_map(|h| Some(json!(format!("{}:{}", h.attr_str("host")?, h.attr_str("ip")?)))).collect();
    if !extra.is_empty() {
        host.insert("ExtraHosts".into(), J::Array(extra));
    }
    if let Some(caps) = blocks(planned, "capabilities").first() {
        for (attr, key) in [("add", "CapAdd"), ("drop", "CapDrop")] {
            if let Some(v) = get_strs(caps, attr) {
                host.insert(key.into(), json!(v));
            }
        }
    }
    if let Some(driver) = planned.attr_str("log_driver") {
        let opts: serde_json::Map<String, J> = match planned.attr("log_opts") {
            Some(Value::Map(m)) => m.iter().filter_map(|(k, v)| Some((k.clone(), json!(v.unmarked().to_json_lossy().as_str()?)))).collect(),
            _ => serde_json::Map::new(),
        };
        host.insert("LogConfig".into(), json!({"Type": driver, "Config": opts}));
    }
    if let Some(Value::Map(m)) = planned.attr("sysctls") {
        host.insert("Sysctls".into(), J::Object(m.iter().map(|(k, v)| (k.clone(), v.unmarked().to_json_lossy())).collect()));
    }
    config.insert("HostConfig".into(), J::Object(host));
    J::Object(config)
}

fn str_list(j: Option<&J>) -> Value {
    match j.and_then(|x| x.as_array()) {
        Some(a) => Value::List(a.iter().filter_map(|x| x.as_str().map(Value::string)).collect()),
        None => Value::List(Vec::new()),
    }
}

/// `network_data` from NetworkSettings.Networks.
pub(crate) fn network_data(inspect: &J) -> Value {
    let mut out = Vec::new();
    if let Some(nets) = jget(inspect, &["NetworkSettings", "Networks"]).and_then(|n| n.as_object()) {
        for (name, n) in nets {
            let s = |k: &str| Value::string(n.get(k).and_then(|x| x.as_str()).unwrap_or_default());
            let i = |k: &str| int(n.get(k).and_then(|x| x.as_i64()).unwrap_or(0));
            out.push(Value::map([
                ("network_name", Value::string(name.clone())),
                ("ip_address", s("IPAddress")),
                ("ip_prefix_length", i("IPPrefixLen")),
                ("gateway", s("Gateway")),
                ("global_ipv6_address", s("GlobalIPv6Address")),
                ("global_ipv6_prefix_length", i("GlobalIPv6PrefixLen")),
                ("ipv6_gateway", s("IPv6Gateway")),
                ("mac_address", s("MacAddress")),
            ]));
        }
    }
    Value::List(out)
}

/// The host port the daemon bound for `internal/proto`.
pub(crate) fn bound_port(inspect: &J, internal: i64, proto: &str) -> Option<i64> {
    let key = format!("{internal}/{proto}");
    for path in [["NetworkSettings", "Ports"], ["HostConfig", "PortBindings"]] {
        if let Some(a) = jget(inspect, &path).and_then(|p| p.get(&key)).and_then(|b| b.as_array()) {
            if let Some(p) = a.iter().filter_map(|b| b.get("HostPort")?.as_str()?.parse::<i64>().ok()).find(|p| *p != 0) {
                return Some(p);
            }
        }
    }
    None
}

/// Fills the computed attributes of `v` (a planned or prior value) from an inspect answer.
pub(crate) fn fill(v: &mut Value, inspect: &J, creating: bool) {
    let running = jget(inspect, &["State", "Running"]).and_then(J::as_bool).unwrap_or(false);
    set(v, "id", Value::string(jstr(inspect, &["Id"]).unwrap_or_default()));
    set(v, "network_data", network_data(inspect));
    if running {
        if creating {
            set(v, "exit_code", Value::Null);
        }
    } else {
        set(v, "exit_code", jget(inspect, &["State", "ExitCode"]).and_then(J::as_i64).map(int).unwrap_or(Value::Null));
    }
    // Optional + computed: the daemon's value (drift shows as a change).
    let s = |path: &[&str]| Value::string(jstr(inspect, path).unwrap_or_default());
    set(v, "command", str_list(jget(inspect, &["Config", "Cmd"])));
    set(v, "entrypoint", str_list(jget(inspect, &["Config", "Entrypoint"])));
    set(v, "hostname", s(&["Config", "Hostname"]));
    set(v, "user", s(&["Config", "User"]));
    set(v, "working_dir", s(&["Config", "WorkingDir"]));
    set(v, "stop_signal", s(&["Config", "StopSignal"]));
    set(v, "stop_timeout", int(jget(inspect, &["Config", "StopTimeout"]).and_then(J::as_i64).unwrap_or(0)));
    set(v, "network_mode", s(&["HostConfig", "NetworkMode"]));
    set(v, "log_driver", s(&["HostConfig", "LogConfig", "Type"]));
    set(v, "init", Value::Bool(jget(inspect, &["HostConfig", "Init"]).and_then(J::as_bool).unwrap_or(false)));
    set(v, "cpu_shares", int(jget(inspect, &["HostConfig", "CpuShares"]).and_then(J::as_i64).unwrap_or(0)));
    for (attr, key) in [("memory", "Memory"), ("memory_swap", "MemorySwap"), ("shm_size", "ShmSize")] {
        let b = jget(inspect, &["HostConfig", key]).and_then(J::as_i64).unwrap_or(0);
        set(v, attr, int(if b < 0 { b } else { b / MB }));
    }
    // Ports: the bound host port where the configuration leaves it to the daemon.
    if let Value::Map(m) = v {
        if let Some(Value::List(ports)) = m.get_mut("ports") {
            for p in ports.iter_mut() {
                let (Some(internal), proto) = (get_int(p, "internal"), p.attr_str("protocol").unwrap_or("tcp").to_string()) else { continue };
                if p.attr("external").is_none_or(Value::is_unknown) || matches!(p, Value::Map(pm) if pm.get("external").is_some_and(Value::is_unknown)) {
                    set(p, "external", bound_port(inspect, internal, &proto).map(int).unwrap_or(Value::Null));
                }
            }
        }
    }
    // Any unknown left (attributes the daemon did not report) becomes null.
    if let Value::Map(m) = v {
        for x in m.values_mut() {
            if x.is_unknown() {
                *x = Value::Null;
            }
        }
    }
}

async fn inspect(c: &Client, id: &str) -> Result<Option<J>, ProviderError> {
    match c.json(Method::GET, &format!("/containers/{}/json", client::encode(id)), None).await {
        Ok(j) => Ok(Some(j)),
        Err(CallError::Status { status: 404, .. }) => Ok(None),
        Err(e) => Err(api_err(&format!("docker container {id:?}: inspect"), e)),
    }
}

async fn remove(c: &Client, id: &str, volumes: bool) -> Result<(), ProviderError> {
    match c.call(Method::DELETE, &format!("/containers/{}?force=true&v={volumes}", client::encode(id)), None, client::MAX_RESPONSE_BYTES, client::CALL_TIMEOUT).await {
        Ok(_) | Err(CallError::Status { status: 404, .. }) => Ok(()),
        // AutoRemove (`rm`) already under way.
        Err(CallError::Status { status: 409, message }) if message.contains("in progress") => Ok(()),
        Err(e) => Err(api_err(&format!("docker container {id:?}: remove"), e)),
    }
}

pub(crate) async fn create(c: &Client, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let name = planned.attr_str("name").ok_or_else(|| ProviderError::Invalid(format!("{}: name is required", ctx.address)))?.to_string();
    let body = create_body(planned, Some(ctx));
    let path = format!("/containers/create?name={}", client::encode(&name));
    let created = match c.json(Method::POST, &path, Some(&body)).await {
        // Docker answers a name conflict with 409, podman 4 with 500 "… already in use".
        Err(CallError::Status { status, message }) if status == 409 || (status == 500 && message.contains("already in use")) => {
            // Ours from a create whose state was lost: remove and create again.
            let existing = inspect(c, &name).await?;
            let labels = existing.as_ref().and_then(|j| jget(j, &["Config", "Labels"]));
            let ours = labels.is_some_and(|l| l.get(LABEL_LINEAGE).and_then(J::as_str) == Some(ctx.lineage.as_str()) && l.get(LABEL_ADDRESS).and_then(J::as_str) == Some(ctx.address.to_string().as_str()));
            if !ours {
                return Err(ProviderError::Api { code: status.to_string(), message: format!("{}: docker container {name:?}: {message} (a container of that name exists and was not created by this resource)", ctx.address) });
            }
            remove(c, &name, true).await?;
            c.json(Method::POST, &path, Some(&body)).await
        }
        other => other,
    }
    .map_err(|e| api_err(&format!("{}: docker container {name:?}: create", ctx.address), e))?;
    let id = jstr(&created, &["Id"]).ok_or_else(|| ProviderError::Failed(format!("{}: docker container {name:?}: the create answer has no Id", ctx.address)))?.to_string();
    let mut v = planned.clone();
    set(&mut v, "id", Value::string(id.clone()));
    if get_bool(planned, "start") != Some(false) {
        if let Err(e) = c.call(Method::POST, &format!("/containers/{}/start", client::encode(&id)), None, client::MAX_RESPONSE_BYTES, client::CALL_TIMEOUT).await {
            if !matches!(e, CallError::Status { status: 304, .. }) {
                let err = api_err(&format!("{}: docker container {name:?}: start", ctx.address), e);
                let _ = remove(c, &id, true).await;
                return Err(err);
            }
        }
    }
    if get_bool(planned, "attach") == Some(true) || get_bool(planned, "wait") == Some(true) {
        let secs = get_int(planned, "wait_timeout").unwrap_or(60).clamp(1, MAX_WAIT.as_secs() as i64) as u64;
        let cond = if get_bool(planned, "attach") == Some(true) { "not-running" } else { "next-exit" };
        let r = c.call(Method::POST, &format!("/containers/{}/wait?condition={cond}", client::encode(&id)), None, client::MAX_RESPONSE_BYTES, Duration::from_secs(secs)).await;
        if let Ok(b) = r {
            if let Some(code) = serde_json::from_slice::<J>(&b).ok().and_then(|j| j.get("StatusCode").and_then(J::as_i64)) {
                set(&mut v, "exit_code", int(code));
            }
        }
    }
    if get_bool(planned, "logs") == Some(true) {
        let raw = c.call(Method::GET, &format!("/containers/{}/logs?stdout=true&stderr=true", client::encode(&id)), None, client::MAX_RESPONSE_BYTES, client::CALL_TIMEOUT).await.map_err(|e| api_err(&format!("{}: docker container {name:?}: logs", ctx.address), e))?;
        set(&mut v, "container_logs", Value::string(client::demux_logs(&raw)));
    }
    match inspect(c, &id).await? {
        Some(j) => {
            let running = jget(&j, &["State", "Running"]).and_then(J::as_bool).unwrap_or(false);
            let waited = get_bool(planned, "attach") == Some(true) || get_bool(planned, "wait") == Some(true) || get_bool(planned, "start") == Some(false);
            if !running && !waited && get_bool(planned, "must_run") != Some(false) {
                let code = jget(&j, &["State", "ExitCode"]).and_then(J::as_i64).unwrap_or(0);
                let err = jstr(&j, &["State", "Error"]).unwrap_or_default().to_string();
                let _ = remove(c, &id, true).await;
                return Err(ProviderError::Failed(format!("{}: docker container {name:?} is not running after start (exit code {code}{}); must_run = true", ctx.address, if err.is_empty() { String::new() } else { format!(", {err}") })));
            }
            let exit = v.attr("exit_code").filter(|e| !e.is_unknown()).cloned();
            fill(&mut v, &j, true);
            if let Some(e) = exit {
                set(&mut v, "exit_code", e);
            }
        }
        None if get_bool(planned, "rm") == Some(true) => fill(&mut v, &json!({"Id": id}), true),
        None => return Err(ProviderError::Failed(format!("{}: docker container {name:?} vanished right after create", ctx.address))),
    }
    if v.attr("container_logs").is_none() {
        set(&mut v, "container_logs", Value::Null);
    }
    Ok(v)
}

/// Inspect by id: gone on 404, or when `must_run` and it is not running (as in the provider).
pub(crate) async fn read(c: &Client, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(id) = state.attr_str("id").or(state.attr_str("name")) else { return Ok(None) };
    let Some(j) = inspect(c, id).await? else { return Ok(None) };
    let running = jget(&j, &["State", "Running"]).and_then(J::as_bool).unwrap_or(false);
    if !running && get_bool(state, "must_run") != Some(false) && get_bool(state, "start") != Some(false) && get_bool(state, "attach") != Some(true) && get_bool(state, "wait") != Some(true) {
        return Ok(None);
    }
    let mut v = state.clone();
    // `image` as configured (a name or an id) stays unless the container now runs another id.
    if let (Some(cur), Some(img)) = (jstr(&j, &["Image"]), state.attr_str("image")) {
        if img.starts_with("sha256:") && img != cur {
            set(&mut v, "image", Value::string(cur));
        }
    }
    fill(&mut v, &j, false);
    Ok(Some(v))
}

pub(crate) async fn update(c: &Client, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = prior.attr_str("id").unwrap_or_default().to_string();
    let name = planned.attr_str("name").unwrap_or_default().to_string();
    let restart = planned.attr_str("restart").unwrap_or("no");
    let mut body = serde_json::Map::new();
    body.insert("RestartPolicy".into(), json!({"Name": restart, "MaximumRetryCount": if restart == "on-failure" { get_int(planned, "max_retry_count").unwrap_or(0) } else { 0 }}));
    for (attr, key) in [("memory", "Memory"), ("memory_swap", "MemorySwap")] {
        if let Some(mb) = get_int(planned, attr).filter(|m| *m != 0) {
            body.insert(key.into(), json!(if mb < 0 { mb } else { mb.saturating_mul(MB) }));
        }
    }
    if let Some(cs) = get_int(planned, "cpu_shares").filter(|c| *c != 0) {
        body.insert("CpuShares".into(), json!(cs));
    }
    c.json(Method::POST, &format!("/containers/{}/update", client::encode(&id)), Some(&J::Object(body)))
        .await
        .map_err(|e| api_err(&format!("docker container {name:?}: update"), e))?;
    let mut v = planned.clone();
    if let Value::Map(m) = &mut v {
        for (k, x) in m.iter_mut() {
            if x.is_unknown() {
                *x = prior.attr(k).cloned().unwrap_or(Value::Null);
            }
        }
    }
    if let Some(j) = inspect(c, &id).await? {
        fill(&mut v, &j, false);
    }
    Ok(v)
}

pub(crate) async fn delete(c: &Client, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = prior.attr_str("id").or(prior.attr_str("name")) else { return Ok(()) };
    let grace = get_int(prior, "destroy_grace_seconds").unwrap_or(0).clamp(0, 3600);
    let stop = format!("/containers/{}/stop{}", client::encode(id), if grace > 0 { format!("?t={grace}") } else { String::new() });
    let timeout = client::CALL_TIMEOUT + Duration::from_secs(grace as u64);
    match c.call(Method::POST, &stop, None, client::MAX_RESPONSE_BYTES, timeout).await {
        Ok(_) | Err(CallError::Status { status: 304 | 404, .. }) => {}
        Err(e) => return Err(api_err(&format!("docker container {id:?}: stop"), e)),
    }
    remove(c, id, get_bool(prior, "remove_volumes") != Some(false)).await?;
    // Confirm it is gone (AutoRemove finishes asynchronously).
    for _ in 0..60 {
        if inspect(c, id).await?.is_none() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(ProviderError::Failed(format!("docker container {id:?}: still present 15s after removal")))
}

/// A state value from an existing container (`terraform import docker_container.x ID`).
pub(crate) async fn import(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let j = inspect(c, id).await?.ok_or_else(|| ProviderError::Api { code: "404".into(), message: format!("docker container {id:?}: no such container") })?;
    let mut m = Map::new();
    m.insert("name".into(), Value::string(jstr(&j, &["Name"]).unwrap_or_default().trim_start_matches('/')));
    m.insert("image".into(), Value::string(jstr(&j, &["Image"]).unwrap_or_default()));
    let env: Vec<Value> = jget(&j, &["Config", "Env"]).and_then(J::as_array).map(|a| a.iter().filter_map(|e| e.as_str().map(Value::string)).collect()).unwrap_or_default();
    m.insert("env".into(), Value::set(env));
    m.insert("restart".into(), Value::string(jstr(&j, &["HostConfig", "RestartPolicy", "Name"]).filter(|r| !r.is_empty()).unwrap_or("no")));
    let mut ports = Vec::new();
    if let Some(b) = jget(&j, &["HostConfig", "PortBindings"]).and_then(J::as_object) {
        for (key, binds) in b {
            let (internal, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
            let Ok(internal) = internal.parse::<i64>() else { continue };
            for bind in binds.as_array().into_iter().flatten() {
                let ext = bind.get("HostPort").and_then(J::as_str).and_then(|p| p.parse::<i64>().ok());
                let ip = bind.get("HostIp").and_then(J::as_str).filter(|i| !i.is_empty()).unwrap_or("0.0.0.0");
                ports.push(Value::map([("internal", int(internal)), ("external", ext.map(int).unwrap_or(Value::Null)), ("ip", Value::string(ip)), ("protocol", Value::string(proto))]));
            }
        }
    }
    m.insert("ports".into(), Value::List(ports));
    let labels: Vec<Value> = jget(&j, &["Config", "Labels"])
        .and_then(J::as_object)
        .map(|o| o.iter().filter(|(k, _)| !k.starts_with("contin.")).filter_map(|(k, v)| Some(Value::map([("label", Value::string(k.clone())), ("value", Value::string(v.as_str()?))]))).collect())
        .unwrap_or_default();
    m.insert("labels".into(), Value::set(labels));
    m.insert("volumes".into(), Value::Set(Vec::new()));
    m.insert("host".into(), Value::Set(Vec::new()));
    m.insert("rm".into(), Value::Bool(jget(&j, &["HostConfig", "AutoRemove"]).and_then(J::as_bool).unwrap_or(false)));
    let mut v = Value::Map(m);
    apply_defaults(&mut v);
    fill(&mut v, &j, false);
    Ok(v)
}
