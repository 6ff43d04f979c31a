//! The cluster configuration as typed Rust: read from (planned or prior)
//! values, and helpers to build result values.

use super::script::Flavor;
use contin_types::Value;
use std::collections::BTreeMap;

/// Fields of a `host.NAME` object a cluster keeps: what connecting needs.
/// Host facts (os, cpus, …) are dropped so that a fact changing does not
/// look like a different server (which would force a new cluster).
pub const HOST_CONNECTION_FIELDS: &[&str] = &[
    "name",
    "address",
    "port",
    "user",
    "private_key",
    "passphrase",
    "host_key",
    "known_hosts",
    "known_hosts_file",
    "insecure_accept_host_key",
    "connect_timeout",
];

/// One host of the cluster, as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct HostSpec {
    pub name: String,
    pub address: String,
    /// The host object handed to the `Connector`.
    pub value: Value,
}

#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub name: String,
    pub flavor: Flavor,
    pub servers: Vec<HostSpec>,
    pub agents: Vec<HostSpec>,
    pub artifacts_dir: Option<String>,
    pub version: String,
    pub extra_args: String,
    pub kubeconfig_path: Option<String>,
    pub site_name: Option<String>,
}

pub fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.attr(name)
}

pub fn attr_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.attr_str(name)
}

pub fn list<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    match attr(v, name) {
        Some(Value::List(l) | Value::Set(l)) => l,
        _ => &[],
    }
}

pub fn with_attr(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(name.to_string(), x);
    }
}

/// Keeps only `HOST_CONNECTION_FIELDS` of a host object (others pass through unchanged).
pub fn connection_only(host: &Value) -> Value {
    match host {
        Value::Map(m) => Value::Map(
            m.iter().filter(|(k, _)| HOST_CONNECTION_FIELDS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect(),
        ),
        Value::Sensitive(inner) => connection_only(inner).mark_sensitive(),
        other => other.clone(),
    }
}

/// Name of a host object (`host.NAME` → NAME), when known.
pub fn host_name(host: &Value) -> Option<&str> {
    attr_str(host, "name")
}

fn host_spec(cluster: &str, list_name: &str, i: usize, host: &Value) -> Result<HostSpec, String> {
    let name = host_name(host).ok_or_else(|| format!("cluster.{cluster}: {list_name}[{i}] has no \"name\" (expected a host object, e.g. host.NAME)"))?;
    let address = attr_str(host, "address").ok_or_else(|| format!("cluster.{cluster}: host {name} has no \"address\""))?;
    Ok(HostSpec { name: name.to_string(), address: address.to_string(), value: host.clone() })
}

impl ClusterSpec {
    /// Reads a planned or recorded cluster value. Errors name the attribute.
    pub fn from_value(v: &Value) -> Result<ClusterSpec, String> {
        let name = attr_str(v, "name").ok_or("cluster has no \"name\"")?.to_string();
        let flavor_s = attr_str(v, "flavor").ok_or_else(|| format!("cluster.{name}: \"flavor\" is not set"))?;
        let flavor = Flavor::parse(flavor_s).ok_or_else(|| {
            format!("cluster.{name}: flavor {flavor_s:?} is not one of {}", Flavor::NAMES.join(", "))
        })?;
        let hosts = |list_name: &str| -> Result<Vec<HostSpec>, String> {
            list(v, list_name).iter().enumerate().map(|(i, h)| host_spec(&name, list_name, i, h)).collect()
        };
        let servers = hosts("servers")?;
        let agents = hosts("agents")?;
        let site_name = attr(v, "site").and_then(|s| attr_str(s, "name")).map(str::to_string);
        Ok(ClusterSpec {
            flavor,
            servers,
            agents,
            artifacts_dir: attr_str(v, "artifacts_dir").map(str::to_string),
            version: attr_str(v, "version").unwrap_or_default().to_string(),
            extra_args: extra_args(attr(v, "extra_args")),
            kubeconfig_path: attr_str(v, "kubeconfig_path").map(str::to_string),
            site_name,
            name,
        })
    }

    /// Host names in node order: servers, then agents.
    pub fn node_names(&self) -> Vec<String> {
        self.servers.iter().chain(&self.agents).map(|h| h.name.clone()).collect()
    }
}

/// `extra_args` as one string: a string as is, a list joined with spaces,
/// a map as `--key=value` flags (sorted, for deterministic scripts).
fn extra_args(v: Option<&Value>) -> String {
    fn scalar(v: &Value) -> String {
        match v.unmarked() {
            Value::String(s) => s.clone(),
            other => other.to_json_lossy().to_string(),
        }
    }
    match v.map(Value::unmarked) {
        None => String::new(),
        Some(Value::List(l) | Value::Set(l)) => l.iter().map(scalar).collect::<Vec<_>>().join(" "),
        Some(Value::Map(m)) => {
            let sorted: BTreeMap<&String, &Value> = m.iter().collect();
            sorted.iter().map(|(k, v)| format!("--{k}={}", scalar(v))).collect::<Vec<_>>().join(" ")
        }
        Some(other) => scalar(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_args_forms() {
        assert_eq!(extra_args(Some(&Value::string("--a b"))), "--a b");
        assert_eq!(extra_args(Some(&Value::List(vec![Value::string("--x"), Value::string("y")]))), "--x y");
        let m = Value::map([("disable", Value::string("traefik")), ("a", Value::int(1))]);
        assert_eq!(extra_args(Some(&m)), "--a=1 --disable=traefik");
        assert_eq!(extra_args(None), "");
    }

    #[test]
    fn connection_only_drops_facts() {
        let h = Value::map([("name", Value::string("n1")), ("address", Value::string("10.0.0.1")), ("cpus", Value::int(4))]);
        assert_eq!(connection_only(&h), Value::map([("name", Value::string("n1")), ("address", Value::string("10.0.0.1"))]));
    }
}
