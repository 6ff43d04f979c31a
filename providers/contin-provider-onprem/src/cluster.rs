//! The `cluster` resource: bootstraps K3s / MicroK8s / KubeEdge on `host`s
//! over a `Connector` (servers first, then agents in parallel with the join
//! token), or adopts an existing K8s cluster by kubeconfig (`flavor = "k8s"`).
//! Scripts come from tera templates per flavor; artifacts come from a local
//! `artifacts_dir` (hosts may be offline). Step logs go to
//! `<log_dir>/<cluster>/<host>/<step>.log` with secrets redacted.

pub mod logs;
pub mod run;
pub mod script;
pub mod spec;

use crate::remote::{Connector, RemoteError};
use contin_provider::{plan_change_from_schema, AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use logs::{Redactor, StepLogs};
use run::{fix_kubeconfig, join_all, load_artifacts, Runner};
use script::{Flavor, Role, Script};
use spec::{attr, attr_str, host_name, list, with_attr, ClusterSpec, HostSpec};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub const RESOURCE_TYPE: &str = "cluster";
/// Environment variable naming the step log directory.
pub const LOG_DIR_ENV: &str = "CONTIN_LOG_DIR";
pub const DEFAULT_LOG_DIR: &str = ".contin/logs";

static SCHEMA: LazyLock<BlockSchema> = LazyLock::new(schema);
/// `SCHEMA` with `servers` updatable: `plan_change` decides server replacement itself.
static SCHEMA_SERVERS_IN_PLACE: LazyLock<BlockSchema> = LazyLock::new(|| {
    let mut s = schema();
    if let Some(a) = s.attributes.get_mut("servers") {
        a.force_new = false;
    }
    s
});

pub fn schema() -> BlockSchema {
    let any_list = || AttrType::List(Box::new(AttrType::Any));
    BlockSchema::default()
        .attr("name", AttrSchema::required(AttrType::String).force_new().describe("cluster name (the block label)"))
        .attr("site", AttrSchema::optional(AttrType::Any).describe("the edge_site the cluster is enrolled to"))
        .attr("flavor", AttrSchema::required(AttrType::String).force_new().describe("k3s, microk8s, kubeedge or k8s (adopt)"))
        .attr("servers", AttrSchema::optional(any_list()).force_new().describe("control-plane hosts; the first initializes"))
        .attr("agents", AttrSchema::optional(any_list()).describe("worker / edge hosts; added ones join, removed ones are uninstalled"))
        .attr("artifacts_dir", AttrSchema::optional(AttrType::String).describe("local directory with <flavor>/ install artifacts"))
        .attr("version", AttrSchema::optional(AttrType::String).force_new().describe("expected version of the artifacts"))
        .attr("kubeconfig_path", AttrSchema::optional(AttrType::String).force_new().describe("flavor k8s: kubeconfig of the adopted cluster"))
        .attr("extra_args", AttrSchema::optional(AttrType::Any).force_new().describe("extra installer arguments: string, list or map"))
        .attr("id", AttrSchema::computed(AttrType::String))
        .attr("site_name", AttrSchema::computed(AttrType::String))
        .attr("api_endpoint", AttrSchema::computed(AttrType::String))
        .attr("node_count", AttrSchema::computed(AttrType::Number))
        .attr("nodes", AttrSchema::computed(AttrType::List(Box::new(AttrType::String))))
        .attr("installed_version", AttrSchema::computed(AttrType::String))
        .attr("join_token", AttrSchema::computed(AttrType::String).sensitive())
        .attr("kubeconfig", AttrSchema::computed(AttrType::String).sensitive())
}

pub fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let name = attr_str(cfg, "name").unwrap_or("?");
    let flavor = match attr(cfg, "flavor") {
        Some(Value::String(f)) => match Flavor::parse(f) {
            Some(fl) => Some(fl),
            None => {
                let hint = Flavor::NAMES
                    .iter()
                    .map(|n| (contin_types::suggest::edit_distance(f, n), n))
                    .filter(|(d, _)| *d <= 2)
                    .min()
                    .map(|(_, n)| format!(" Did you mean {n:?}?"))
                    .unwrap_or_default();
                d.push(Diagnostic::error("Invalid cluster flavor").with_detail(format!(
                    "cluster.{name}: flavor {f:?} is not supported; valid flavors are {}.{hint}",
                    Flavor::NAMES.join(", ")
                )));
                None
            }
        },
        _ => None,
    };
    let servers_known = !matches!(attr(cfg, "servers"), Some(Value::Unknown));
    let servers = list(cfg, "servers");
    let agents = list(cfg, "agents");
    match flavor {
        Some(Flavor::K8s) if attr(cfg, "kubeconfig_path").is_none() => {
            d.push(Diagnostic::error("Missing kubeconfig_path").with_detail(format!(
                "cluster.{name}: flavor \"k8s\" adopts an existing cluster and needs kubeconfig_path = \"<path to its kubeconfig>\""
            )));
        }
        Some(Flavor::K8s) => {}
        Some(fl) => {
            if servers.is_empty() && servers_known {
                d.push(Diagnostic::error("Cluster without servers").with_detail(format!(
                    "cluster.{name}: flavor {:?} needs at least one server, e.g. servers = [host.NAME]",
                    fl.as_str()
                )));
            }
            if fl == Flavor::Kubeedge && servers.len() > 1 {
                d.push(Diagnostic::error("Too many cloudcore servers").with_detail(format!(
                    "cluster.{name}: flavor \"kubeedge\" runs one cloudcore; list one server (got {})",
                    servers.len()
                )));
            }
            if attr(cfg, "artifacts_dir").is_none() {
                d.push(Diagnostic::error("Missing artifacts_dir").with_detail(format!(
                    "cluster.{name}: flavor {:?} installs offline from artifacts_dir/{}/; set artifacts_dir",
                    fl.as_str(),
                    fl.as_str()
                )));
            }
        }
        None => {}
    }
    let server_names: BTreeSet<&str> = servers.iter().filter_map(host_name).collect();
    let mut seen = BTreeSet::new();
    for a in agents.iter().filter_map(host_name) {
        if !seen.insert(a) {
            d.push(
                Diagnostic::error("Duplicate cluster agent")
                    .with_detail(format!("cluster.{name}: host {a} is listed twice in agents")),
            );
        }
        if server_names.contains(a) && matches!(flavor, Some(Flavor::K3s | Flavor::Microk8s | Flavor::Kubeedge)) {
            d.push(Diagnostic::error("Host is both server and agent").with_detail(format!(
                "cluster.{name}: host {a} is listed in servers and agents; a {} node is one or the other",
                flavor.map_or("", Flavor::as_str)
            )));
        }
    }
    let mut seen = BTreeSet::new();
    for s in servers.iter().filter_map(host_name) {
        if !seen.insert(s) {
            d.push(Diagnostic::error("Duplicate cluster server").with_detail(format!("cluster.{name}: host {s} is listed twice in servers")));
        }
    }
    d
}

/// The schema diff, on the configuration with host objects reduced to their
/// connection fields: a host fact changing (memory, os, …) is neither a
/// change of the cluster nor a reason to replace it. Servers force a new
/// cluster only when a server's identity (name, address) changes; new
/// credentials (key rotation, user, port) are an in-place update. Pure.
pub fn plan_change(prior: Option<&Value>, desired: &Value) -> PlannedChange {
    let desired = normalize_hosts(desired);
    let Some(prior) = prior.filter(|p| !p.is_null()) else {
        return plan_change_from_schema(&SCHEMA, None, &desired);
    };
    let mut pc = plan_change_from_schema(&SCHEMA_SERVERS_IN_PLACE, Some(prior), &desired);
    let same_servers = matches!((server_identity(prior), server_identity(&desired)), (Some(a), Some(b)) if a == b);
    if !same_servers {
        if pc.requires_replace.is_empty() {
            pc.planned = plan_change_from_schema(&SCHEMA_SERVERS_IN_PLACE, None, &desired).planned;
        }
        pc.requires_replace.insert(0, vec![contin_types::value::PathStep::Key("servers".into())]);
    }
    pc
}

/// `(name, address)` of each server; `None` while any is unknown.
fn server_identity(v: &Value) -> Option<Vec<(String, String)>> {
    if matches!(attr(v, "servers"), Some(Value::Unknown)) {
        return None;
    }
    list(v, "servers").iter().map(|h| Some((attr_str(h, "name")?.to_string(), attr_str(h, "address")?.to_string()))).collect()
}

fn normalize_hosts(v: &Value) -> Value {
    let mut out = v.clone();
    for key in ["servers", "agents"] {
        if let Some(Value::List(l)) = attr(v, key) {
            with_attr(&mut out, key, Value::List(l.iter().map(spec::connection_only).collect()));
        }
    }
    out
}

/// Where step logs go and how the operations run; the free functions use `from_env`.
#[derive(Clone, Debug)]
pub struct ClusterOps {
    pub log_dir: PathBuf,
    /// A relative `kubeconfig_path` resolves against this (the workspace root).
    pub base_dir: PathBuf,
}

impl ClusterOps {
    /// `$CONTIN_LOG_DIR`, else `.contin/logs` (relative to the working directory).
    pub fn from_env() -> Self {
        let log_dir = std::env::var_os(LOG_DIR_ENV).filter(|v| !v.is_empty()).map_or_else(|| PathBuf::from(DEFAULT_LOG_DIR), PathBuf::from);
        ClusterOps { log_dir, base_dir: PathBuf::new() }
    }

    fn runner<'a>(&self, spec: &'a ClusterSpec, conn: &'a dyn Connector) -> Runner<'a> {
        Runner { spec, conn, logs: StepLogs::new(&self.log_dir, &spec.name), redactor: Redactor::default() }
    }

    pub async fn create(&self, planned: &Value, conn: &dyn Connector, ctx: &OpContext) -> Result<Value, ProviderError> {
        let spec = ClusterSpec::from_value(planned).map_err(ProviderError::Invalid)?;
        if spec.flavor == Flavor::K8s {
            return adopt(planned, &spec, &self.base_dir, ctx);
        }
        let artifacts = load_artifacts(&spec)?;
        let mut runner = self.runner(&spec, conn);
        let (first, others) = spec.servers.split_first().ok_or_else(|| {
            ProviderError::Invalid(format!("cluster.{}: flavor {} needs at least one server", spec.name, spec.flavor.as_str()))
        })?;

        // First server: install, then capture token, kubeconfig, version.
        let remote = runner.connect(first).await.map_err(|e| ProviderError::Failed(format!("{}{e}", runner.prefix(&first.name))))?;
        runner.prepare(remote.as_ref(), first, &artifacts).await.map_err(ProviderError::Failed)?;
        let ctx0 = runner.context(first, Role::Server, "");
        runner.run_script(remote.as_ref(), first, Script::InstallServer, &ctx0).await.map_err(ProviderError::Failed)?;
        let token = capture_token(&mut runner, remote.as_ref(), first).await?;
        let kubeconfig = match spec.flavor.kubeconfig_command() {
            Some(cmd) => {
                let raw = runner.secret_command(remote.as_ref(), &first.name, "kubeconfig", cmd).await.map_err(ProviderError::Failed)?;
                let kc = fix_kubeconfig(spec.flavor, &raw, &first.address);
                runner.redactor.add_kubeconfig(&raw);
                runner.redactor.add_kubeconfig(&kc);
                Value::String(kc)
            }
            None => Value::Null,
        };
        let version = runner
            .status(first, Role::Server)
            .await
            .map_err(|e| ProviderError::Failed(host_message(&runner, &first.name, e)))?
            .version;

        // Further servers join one after another (control planes grow one member at a time).
        for s in others {
            runner.join(s, Role::Server, &token, &artifacts).await.map_err(ProviderError::Failed)?;
        }

        let results = join_all(spec.agents.iter().map(|a| runner.join(a, Role::Agent, &token, &artifacts)).collect()).await;
        let (joined, failures) = split_results(&spec.agents, results);

        let mut value = planned.clone();
        let id = cluster_id(&spec, ctx);
        for (k, v) in [
            ("id", Value::String(id)),
            ("site_name", spec.site_name.clone().map_or(Value::Null, Value::String)),
            ("api_endpoint", Value::String(format!("https://{}:{}", first.address, spec.flavor.api_port()))),
            ("installed_version", if version.is_empty() { Value::Null } else { Value::String(version) }),
            ("join_token", Value::String(token)),
            ("kubeconfig", kubeconfig),
        ] {
            with_attr(&mut value, k, v);
        }
        set_agents(&mut value, &spec, &joined);
        finish(value, failures)
    }

    pub async fn read(&self, state: &Value, conn: &dyn Connector) -> Result<Option<Value>, ProviderError> {
        let spec = ClusterSpec::from_value(state).map_err(ProviderError::Invalid)?;
        if spec.flavor == Flavor::K8s {
            let mut v = state.clone();
            if let Some(kc) = spec.kubeconfig_path.as_deref().and_then(|p| std::fs::read_to_string(self.base_dir.join(p)).ok()) {
                with_attr(&mut v, "kubeconfig", Value::String(kc));
            }
            return Ok(Some(v));
        }
        let runner = self.runner(&spec, conn);
        let Some(first) = spec.servers.first() else { return Ok(Some(state.clone())) };
        let status = runner.status(first, Role::Server).await.map_err(|e| remote_error(&runner, &first.name, e))?;
        if status.is_absent() {
            return Ok(None);
        }
        let mut value = state.clone();
        if !status.version.is_empty() {
            with_attr(&mut value, "installed_version", Value::String(status.version));
        }
        // An agent positively gone leaves the agents list, so the next plan rejoins it.
        // An agent that cannot be asked stays: unreachable is not gone.
        let statuses = join_all(spec.agents.iter().map(|a| runner.status(a, Role::Agent)).collect()).await;
        let present: Vec<HostSpec> = spec
            .agents
            .iter()
            .zip(statuses)
            .filter(|(_, s)| !matches!(s, Ok(st) if st.is_absent()))
            .map(|(a, _)| a.clone())
            .collect();
        if present.len() != spec.agents.len() {
            set_agents(&mut value, &spec, &present);
        }
        Ok(Some(value))
    }

    pub async fn update(&self, prior: &Value, planned: &Value, conn: &dyn Connector, _ctx: &OpContext) -> Result<Value, ProviderError> {
        let old = ClusterSpec::from_value(prior).map_err(ProviderError::Invalid)?;
        let spec = ClusterSpec::from_value(planned).map_err(ProviderError::Invalid)?;
        let mut value = planned.clone();
        for k in ["id", "api_endpoint", "installed_version", "join_token", "kubeconfig"] {
            with_attr(&mut value, k, attr(prior, k).cloned().unwrap_or(Value::Null));
        }
        with_attr(&mut value, "site_name", spec.site_name.clone().map_or(Value::Null, Value::String));
        if spec.flavor == Flavor::K8s {
            set_agents(&mut value, &spec, &spec.agents);
            return Ok(value);
        }
        let old_names: BTreeSet<&str> = old.agents.iter().map(|a| a.name.as_str()).collect();
        let new_names: BTreeSet<&str> = spec.agents.iter().map(|a| a.name.as_str()).collect();
        let added: Vec<&HostSpec> = spec.agents.iter().filter(|a| !old_names.contains(a.name.as_str())).collect();
        let removed: Vec<&HostSpec> = old.agents.iter().filter(|a| !new_names.contains(a.name.as_str())).collect();

        let mut runner = self.runner(&spec, conn);
        if let Some(Value::String(t)) = attr(prior, "join_token") {
            runner.redactor.add(t);
        }
        let mut failures = Vec::new();
        // Removed agents: uninstall; one that fails stays in the cluster (and in state).
        let old_runner = self.runner(&old, conn);
        let results = join_all(removed.iter().map(|a| old_runner.uninstall(a, Role::Agent)).collect()).await;
        let mut kept_removed = Vec::new();
        let mut left = Vec::new();
        for (a, r) in removed.iter().zip(results) {
            match r {
                Ok(()) => left.push(a.name.clone()),
                Err(e) => {
                    failures.push(e);
                    kept_removed.push((*a).clone());
                }
            }
        }
        // The server forgets the nodes that left; failing that is reported, the hosts are clean anyway.
        if let (Some(first), false) = (spec.servers.first(), left.is_empty()) {
            match runner.connect(first).await {
                Ok(remote) => {
                    for name in &left {
                        let Some(cmd) = spec.flavor.remove_node_command(name) else { continue };
                        if let Err(e) = runner.command(remote.as_ref(), &first.name, &format!("remove-node-{name}"), &cmd).await {
                            failures.push(e);
                        }
                    }
                }
                Err(e) => failures.push(format!("{}removing nodes {}: {e}", runner.prefix(&first.name), left.join(", "))),
            }
        }

        let mut joined: Vec<HostSpec> = spec.agents.iter().filter(|a| old_names.contains(a.name.as_str())).cloned().collect();
        if !added.is_empty() {
            let artifacts = load_artifacts(&spec)?;
            let first = spec.servers.first().ok_or_else(|| ProviderError::Invalid(format!("cluster.{}: no server", spec.name)))?;
            // A fresh token: microk8s and KubeEdge tokens expire.
            let remote = runner.connect(first).await.map_err(|e| ProviderError::Failed(format!("{}{e}", runner.prefix(&first.name))))?;
            let token = capture_token(&mut runner, remote.as_ref(), first).await?;
            let results = join_all(added.iter().map(|a| runner.join(a, Role::Agent, &token, &artifacts)).collect()).await;
            for (a, r) in added.iter().zip(results) {
                match r {
                    Ok(()) => joined.push((*a).clone()),
                    Err(e) => failures.push(e),
                }
            }
            with_attr(&mut value, "join_token", Value::String(token));
        }
        // Keep planned order, then agents whose removal failed.
        let mut agents: Vec<HostSpec> = spec.agents.iter().filter(|a| joined.iter().any(|j| j.name == a.name)).cloned().collect();
        agents.extend(kept_removed);
        set_agents_from(&mut value, &spec, &agents, planned, prior);
        finish(value, failures)
    }

    pub async fn delete(&self, prior: &Value, conn: &dyn Connector, _ctx: &OpContext) -> Result<(), ProviderError> {
        let spec = ClusterSpec::from_value(prior).map_err(ProviderError::Invalid)?;
        if spec.flavor == Flavor::K8s {
            // Adopted, not owned: forgetting it is all destroy does.
            return Ok(());
        }
        let mut runner = self.runner(&spec, conn);
        if let Some(Value::String(t)) = attr(prior, "join_token") {
            runner.redactor.add(t);
        }
        let results = join_all(spec.agents.iter().map(|a| runner.uninstall(a, Role::Agent)).collect()).await;
        let mut failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
        // Servers last, the initializing one at the very end.
        for s in spec.servers.iter().rev() {
            if let Err(e) = runner.uninstall(s, Role::Server).await {
                failures.push(e);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ProviderError::Failed(failures.join("\n")))
        }
    }
}

async fn capture_token(runner: &mut Runner<'_>, remote: &dyn crate::remote::Remote, first: &HostSpec) -> Result<String, ProviderError> {
    let Some(cmd) = runner.spec.flavor.token_command() else { return Ok(String::new()) };
    let out = runner.secret_command(remote, &first.name, "join-token", cmd).await.map_err(ProviderError::Failed)?;
    let token = runner.spec.flavor.parse_token(&out).ok_or_else(|| {
        ProviderError::Failed(format!("{}join-token: the server printed no join token", runner.prefix(&first.name)))
    })?;
    runner.redactor.add(&token);
    Ok(token)
}

/// A host error as a message naming cluster and host once (`Io` errors from
/// the runner already do).
fn host_message(runner: &Runner<'_>, host: &str, e: RemoteError) -> String {
    match e {
        RemoteError::Io(m) if m.starts_with(&runner.prefix(host)) => m,
        e => format!("{}{e}", runner.prefix(host)),
    }
}

fn remote_error(runner: &Runner<'_>, host: &str, e: RemoteError) -> ProviderError {
    let unreachable = matches!(e, RemoteError::Unreachable { .. });
    let msg = host_message(runner, host, e);
    if unreachable {
        ProviderError::Unreachable(msg)
    } else {
        ProviderError::Failed(msg)
    }
}

fn split_results(hosts: &[HostSpec], results: Vec<Result<(), String>>) -> (Vec<HostSpec>, Vec<String>) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for (h, r) in hosts.iter().zip(results) {
        match r {
            Ok(()) => ok.push(h.clone()),
            Err(e) => failed.push(e),
        }
    }
    (ok, failed)
}

/// Sets `agents` to the planned entries of `present` and recomputes `nodes` / `node_count`.
fn set_agents(value: &mut Value, spec: &ClusterSpec, present: &[HostSpec]) {
    let planned = value.clone();
    set_agents_from(value, spec, present, &planned, &Value::Null);
}

fn set_agents_from(value: &mut Value, spec: &ClusterSpec, present: &[HostSpec], planned: &Value, prior: &Value) {
    let pick = |name: &str| {
        list(planned, "agents").iter().chain(list(prior, "agents")).find(|h| host_name(h) == Some(name)).cloned()
    };
    let agents: Vec<Value> = present.iter().filter_map(|h| pick(&h.name)).collect();
    let had_agents = attr(planned, "agents").is_some() || !agents.is_empty();
    if had_agents {
        with_attr(value, "agents", Value::List(agents));
    }
    let nodes: Vec<Value> = spec.servers.iter().chain(present).map(|h| Value::String(h.name.clone())).collect();
    with_attr(value, "node_count", Value::int(nodes.len() as i64));
    with_attr(value, "nodes", Value::List(nodes));
}

fn finish(value: Value, failures: Vec<String>) -> Result<Value, ProviderError> {
    if failures.is_empty() {
        Ok(value)
    } else {
        Err(ProviderError::Partial { value: Box::new(value), message: failures.join("\n") })
    }
}

/// `<flavor>-<name>-<8 hex>`: stable for this creation of the address.
fn cluster_id(spec: &ClusterSpec, ctx: &OpContext) -> String {
    // FNV-1a: deterministic across builds (std's hasher is not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{}\0{}\0{}\0{}", ctx.lineage, ctx.address, ctx.generation, spec.name).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}-{}-{:08x}", spec.flavor.as_str(), spec.name, h >> 32)
}

/// `flavor = "k8s"`: records an existing cluster from its kubeconfig.
fn adopt(planned: &Value, spec: &ClusterSpec, base_dir: &Path, ctx: &OpContext) -> Result<Value, ProviderError> {
    let name = &spec.name;
    let path = spec
        .kubeconfig_path
        .as_deref()
        .ok_or_else(|| ProviderError::Invalid(format!("cluster.{name}: flavor \"k8s\" needs kubeconfig_path")))?;
    let kc = std::fs::read_to_string(base_dir.join(path))
        .map_err(|e| ProviderError::Invalid(format!("cluster.{name}: cannot read kubeconfig_path {path:?}: {e}")))?;
    let server = kc
        .lines()
        .find_map(|l| l.trim().strip_prefix("server:"))
        .map(|s| s.trim().trim_matches('"').to_string())
        .ok_or_else(|| ProviderError::Invalid(format!("cluster.{name}: kubeconfig {path:?} names no cluster server")))?;
    let mut value = planned.clone();
    with_attr(&mut value, "id", Value::String(cluster_id(spec, ctx)));
    with_attr(&mut value, "site_name", spec.site_name.clone().map_or(Value::Null, Value::String));
    with_attr(&mut value, "api_endpoint", Value::String(server));
    with_attr(&mut value, "installed_version", Value::Null);
    with_attr(&mut value, "join_token", Value::Null);
    with_attr(&mut value, "kubeconfig", Value::String(kc));
    set_agents(&mut value, spec, &spec.agents);
    Ok(value)
}

/// The step log directory the free functions use.
pub fn log_dir() -> PathBuf {
    ClusterOps::from_env().log_dir
}

pub async fn create(planned: &Value, conn: &dyn Connector, ctx: &OpContext) -> Result<Value, ProviderError> {
    ClusterOps::from_env().create(planned, conn, ctx).await
}

pub async fn read(state: &Value, conn: &dyn Connector) -> Result<Option<Value>, ProviderError> {
    ClusterOps::from_env().read(state, conn).await
}

pub async fn update(prior: &Value, planned: &Value, conn: &dyn Connector, ctx: &OpContext) -> Result<Value, ProviderError> {
    ClusterOps::from_env().update(prior, planned, conn, ctx).await
}

pub async fn delete(prior: &Value, conn: &dyn Connector, ctx: &OpContext) -> Result<(), ProviderError> {
    ClusterOps::from_env().delete(prior, conn, ctx).await
}

#[cfg(test)]
mod tests;
