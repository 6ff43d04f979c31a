//! The `host` resource: an existing machine reached over SSH. Create and
//! read connect (verifying the host key) and gather facts into computed
//! attributes; a fact changing is drift. Unreachable on read is
//! `ProviderError::Unreachable` (the engine warns and keeps state). Delete
//! only forgets: nothing happens on the machine.

use crate::facts;
use crate::remote::{Connector, RemoteError};
use crate::ssh::{self, ConnectDefaults, HostConfig};
use contin_provider::{plan_change_from_schema, AttrSchema, AttrType, BlockSchema, PlannedChange, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::sync::LazyLock;

pub const RESOURCE_TYPE: &str = "host";

/// Computed attributes filled from facts.
pub const FACT_ATTRS: &[&str] = &["os", "os_version", "kernel", "arch", "cpus", "memory_mb", "gpus", "hostname"];

static SCHEMA: LazyLock<BlockSchema> = LazyLock::new(schema);

pub fn schema() -> BlockSchema {
    let s = || AttrType::String;
    BlockSchema::default()
        .attr("name", AttrSchema::required(s()).describe("host name (the block label)"))
        .attr("site", AttrSchema::optional(AttrType::Any).describe("the edge_site the host belongs to"))
        .attr("address", AttrSchema::required(s()).force_new().describe("IP address or DNS name sshd listens on"))
        .attr("port", AttrSchema::optional_computed(AttrType::Number).describe("SSH port (default 22)"))
        .attr("user", AttrSchema::optional_computed(s()).describe("login user (default \"root\")"))
        .attr("private_key", AttrSchema::optional(s()).sensitive().describe("private key text, e.g. file(\"~/.ssh/id_ed25519\"); else ssh-agent"))
        .attr("passphrase", AttrSchema::optional(s()).sensitive().describe("passphrase of private_key"))
        .attr("host_key", AttrSchema::optional(s()).describe("pinned host key: OpenSSH public key line or SHA256:… fingerprint"))
        .attr("known_hosts_file", AttrSchema::optional(s()).describe("known_hosts file (default: provider setting, else ~/.ssh/known_hosts)"))
        .attr("insecure_accept_host_key", AttrSchema::optional(AttrType::Bool).describe("accept a host key that is neither pinned nor known"))
        .attr("connect_timeout", AttrSchema::optional(AttrType::Number).describe("seconds for connect + handshake + auth (default: provider connect_timeout_s, else 10)"))
        .attr("labels", AttrSchema::optional(AttrType::Map(Box::new(s()))).describe("free-form labels"))
        .attr("id", AttrSchema::computed(s()).describe("user@address:port"))
        .attr("os", AttrSchema::computed(s()).describe("os-release ID"))
        .attr("os_version", AttrSchema::computed(s()).describe("os-release VERSION_ID"))
        .attr("kernel", AttrSchema::computed(s()))
        .attr("arch", AttrSchema::computed(s()).describe("uname -m"))
        .attr("cpus", AttrSchema::computed(AttrType::Number))
        .attr("memory_mb", AttrSchema::computed(AttrType::Number))
        .attr("gpus", AttrSchema::computed(AttrType::List(Box::new(s()))).describe("GPU names from nvidia-smi"))
        .attr("hostname", AttrSchema::computed(s()))
        .attr("reachable", AttrSchema::computed(AttrType::Bool))
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.attr(name)
}

fn set(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(name.to_string(), x);
    }
}

/// Checks what the schema cannot: port range, host_key syntax, a usable auth method.
pub fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let name = match attr(cfg, "name") {
        Some(Value::String(s)) => s.clone(),
        _ => "?".to_string(),
    };
    let err = |summary: &str, detail: String| Diagnostic::error(summary).with_detail(format!("host.{name}: {detail}"));
    match attr(cfg, "address") {
        Some(Value::String(a)) if a.trim().is_empty() => d.push(err("Invalid host address", "address is empty".into())),
        Some(Value::String(a)) if a.chars().any(char::is_whitespace) => {
            d.push(err("Invalid host address", format!("address {a:?} contains whitespace")))
        }
        _ => {}
    }
    if let Some(Value::Number(n)) = attr(cfg, "port") {
        if !n.is_integer() || n.as_i64().is_none_or(|p| !(1..=65535).contains(&p)) {
            d.push(err("Invalid SSH port", format!("port must be an integer from 1 to 65535, got {}", n.as_f64())));
        }
    }
    if let Some(Value::Number(n)) = attr(cfg, "connect_timeout") {
        if !(n.as_f64() > 0.0 && n.as_f64() <= 3600.0) {
            d.push(err("Invalid connect_timeout", format!("connect_timeout must be from 0 to 3600 seconds, got {}", n.as_f64())));
        }
    }
    if let Some(Value::String(k)) = attr(cfg, "host_key") {
        if let Err(e) = ssh::check_host_key_syntax(k) {
            d.push(err("Invalid host_key", e));
        }
    }
    if let Some(Value::String(k)) = attr(cfg, "private_key") {
        let t = k.trim_start();
        if !(t.starts_with("-----BEGIN") || t.starts_with("PuTTY-User-Key-File-")) {
            // Never echo the value: it may be a secret pasted in the wrong place.
            d.push(err(
                "Invalid private_key",
                "private_key must be the key text (PEM / OpenSSH / PuTTY), e.g. private_key = file(\"~/.ssh/id_ed25519\")".into(),
            ));
        }
    }
    if attr(cfg, "passphrase").is_some() && attr(cfg, "private_key").is_none() {
        d.push(err("Passphrase without private_key", "passphrase is only used with private_key".into()));
    }
    if matches!(attr(cfg, "insecure_accept_host_key"), Some(Value::Bool(true))) && attr(cfg, "host_key").is_some() {
        d.push(
            Diagnostic::warning("insecure_accept_host_key has no effect")
                .with_detail(format!("host.{name}: host_key is pinned, so the pinned key is always required")),
        );
    }
    d
}

/// The schema diff with `port` / `user` defaults and `id` known at plan
/// time; facts stay as recorded unless the connection target changes.
pub fn plan_change(prior: Option<&Value>, desired: &Value) -> PlannedChange {
    let mut desired = desired.clone();
    if let Value::Map(m) = &mut desired {
        if m.get("port").is_none_or(Value::is_null) {
            m.insert("port".into(), Value::int(i64::from(ssh::DEFAULT_PORT)));
        }
        if m.get("user").is_none_or(Value::is_null) {
            m.insert("user".into(), Value::string(ssh::DEFAULT_USER));
        }
    }
    let mut pc = plan_change_from_schema(&SCHEMA, prior, &desired);
    let target = |v: &Value| (attr(v, "address").cloned(), attr(v, "port").cloned(), attr(v, "user").cloned());
    let moved = prior.is_some_and(|p| target(p) != target(&pc.planned));
    if let (Some(Value::String(a)), Some(Value::Number(p)), Some(Value::String(u))) =
        (attr(&pc.planned, "address"), attr(&pc.planned, "port"), attr(&pc.planned, "user"))
    {
        let id = format!("{u}@{a}:{}", p.as_i64().unwrap_or(0));
        set(&mut pc.planned, "id", Value::String(id));
    }
    if moved && pc.requires_replace.is_empty() {
        for k in FACT_ATTRS.iter().chain(&["reachable"]) {
            set(&mut pc.planned, k, Value::Unknown);
        }
    }
    pc
}

fn provider_error(e: RemoteError) -> ProviderError {
    match e {
        RemoteError::Unreachable { .. } => ProviderError::Unreachable(e.to_string()),
        other => ProviderError::Failed(other.to_string()),
    }
}

/// Connects to the host `value` describes and fills id and facts.
async fn observe(value: &Value, conn: &dyn Connector, defaults: &ConnectDefaults) -> Result<Value, ProviderError> {
    let cfg = HostConfig::from_value(value, defaults).map_err(ProviderError::Invalid)?;
    let remote = conn.connect(value).await.map_err(provider_error)?;
    let facts = facts::gather(remote.as_ref()).await.map_err(|e| match e {
        facts::FactsError::Remote(r) => provider_error(r),
        other => ProviderError::Failed(format!("{}: {other}", cfg.label())),
    })?;
    let mut out = match value.unmarked() {
        Value::Map(_) => value.unmarked().clone(),
        _ => Value::Map(Default::default()),
    };
    set(&mut out, "port", Value::int(i64::from(cfg.port)));
    set(&mut out, "user", Value::String(cfg.user.clone()));
    set(&mut out, "id", Value::String(cfg.id()));
    for (k, v) in facts.attributes() {
        set(&mut out, k, v);
    }
    set(&mut out, "reachable", Value::Bool(true));
    Ok(out)
}

pub async fn create(planned: &Value, conn: &dyn Connector, defaults: &ConnectDefaults) -> Result<Value, ProviderError> {
    observe(planned, conn, defaults).await
}

/// The host as it is now. Unreachable is an error (`Unreachable`), never `None`:
/// a host that does not answer is not gone.
pub async fn read(state: &Value, conn: &dyn Connector, defaults: &ConnectDefaults) -> Result<Option<Value>, ProviderError> {
    observe(state, conn, defaults).await.map(Some)
}

pub async fn update(planned: &Value, conn: &dyn Connector, defaults: &ConnectDefaults) -> Result<Value, ProviderError> {
    observe(planned, conn, defaults).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &[(&str, Value)]) -> Value {
        let mut v = Value::map([("name", Value::string("a")), ("address", Value::string("10.0.0.1"))]);
        for (k, x) in extra {
            set(&mut v, k, x.clone());
        }
        v
    }

    #[test]
    fn create_plan_has_defaults_and_id() {
        let pc = plan_change(None, &cfg(&[]));
        assert!(pc.requires_replace.is_empty());
        assert_eq!(attr(&pc.planned, "port"), Some(&Value::int(22)));
        assert_eq!(attr(&pc.planned, "user"), Some(&Value::string("root")));
        assert_eq!(attr(&pc.planned, "id"), Some(&Value::string("root@10.0.0.1:22")));
        assert_eq!(attr(&pc.planned, "os"), Some(&Value::Unknown));
    }

    #[test]
    fn facts_kept_on_label_change_unknown_on_retarget() {
        let mut prior = plan_change(None, &cfg(&[])).planned;
        set(&mut prior, "os", Value::string("debian"));
        set(&mut prior, "reachable", Value::Bool(true));
        let pc = plan_change(Some(&prior), &cfg(&[("labels", Value::map([("tier", Value::string("edge"))]))]));
        assert_eq!(attr(&pc.planned, "os"), Some(&Value::string("debian")));
        let pc = plan_change(Some(&prior), &cfg(&[("port", Value::int(2222))]));
        assert!(pc.requires_replace.is_empty());
        assert_eq!(attr(&pc.planned, "os"), Some(&Value::Unknown));
        assert_eq!(attr(&pc.planned, "id"), Some(&Value::string("root@10.0.0.1:2222")));
        let pc = plan_change(Some(&prior), &cfg(&[("address", Value::string("10.0.0.2"))]));
        assert!(!pc.requires_replace.is_empty());
        // Unchanged config: no diff at all.
        assert_eq!(plan_change(Some(&prior), &cfg(&[])).planned, prior);
    }

    #[test]
    fn validation() {
        assert!(validate(&cfg(&[])).is_empty());
        let d = validate(&cfg(&[
            ("port", Value::int(0)),
            ("host_key", Value::string("junk")),
            ("private_key", Value::string("hunter2")),
            ("connect_timeout", Value::int(0)),
        ]));
        let text: Vec<String> = d.iter().map(|d| format!("{d:?}")).collect();
        assert_eq!(d.iter().filter(|d| d.is_error()).count(), 4, "{text:?}");
        assert!(!text.join("\n").contains("hunter2"));
        let d = validate(&cfg(&[("host_key", Value::string("SHA256:abc")), ("insecure_accept_host_key", Value::Bool(true))]));
        assert_eq!((d.has_errors(), d.iter().count()), (false, 1));
    }
}
