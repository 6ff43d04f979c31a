//! The `onprem` provider: `host` (SSH over russh, facts) and `cluster`
//! (K3s / MicroK8s / KubeEdge bootstrap from tera templates, or adoption of
//! an existing K8s cluster).
//!
//! Module map: `ssh` (russh transport: host key policy, key/agent auth,
//! `Remote` + `Connector`), `known_hosts` (OpenSSH known_hosts lookup),
//! `facts` (facts script + parser), `host` (the `host` resource),
//! `cluster` (the `cluster` resource, coded against `remote`).

pub mod cluster;
pub mod facts;
pub mod host;
pub mod known_hosts;
pub mod remote;
pub mod ssh;

use async_trait::async_trait;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use ssh::{ConnectDefaults, SshConnector};
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

pub const PROVIDER_NAME: &str = "onprem";

#[derive(Clone, Debug, Default)]
struct Settings {
    defaults: ConnectDefaults,
    /// `log_dir` from the provider block, when set.
    log_dir: Option<PathBuf>,
}

/// The on-prem provider; cheap to create, safe to share between tasks.
#[derive(Debug, Default)]
pub struct OnpremProvider {
    settings: RwLock<Settings>,
    /// Relative `log_dir` and provider `known_hosts_file` resolve against
    /// this (the workspace root); empty: the process's working directory.
    base_dir: PathBuf,
}

impl OnpremProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// A provider resolving its relative paths against `base_dir`.
    pub fn with_base_dir(base_dir: PathBuf) -> Self {
        OnpremProvider { base_dir, ..Self::default() }
    }

    /// Step log directory for cluster operations: the provider block's
    /// `log_dir`, else `$CONTIN_LOG_DIR`, else `.contin/logs`; a relative
    /// one is under the base directory.
    pub fn log_dir(&self) -> PathBuf {
        let dir = self.settings().log_dir.unwrap_or_else(|| cluster::ClusterOps::from_env().log_dir);
        self.base_dir.join(dir)
    }

    /// Connection defaults from the provider block.
    pub fn connect_defaults(&self) -> ConnectDefaults {
        ConnectDefaults { base_dir: self.base_dir.clone(), ..self.settings().defaults }
    }

    /// The SSH connector hosts and clusters use.
    pub fn connector(&self) -> SshConnector {
        SshConnector::new(self.connect_defaults())
    }

    fn settings(&self) -> Settings {
        self.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    fn cluster_ops(&self) -> cluster::ClusterOps {
        cluster::ClusterOps { log_dir: self.log_dir(), base_dir: self.base_dir.clone() }
    }
}

fn config_schema() -> BlockSchema {
    BlockSchema::default()
        .attr("known_hosts_file", AttrSchema::optional(AttrType::String).describe("known_hosts for hosts that set none (default ~/.ssh/known_hosts)"))
        .attr("connect_timeout_s", AttrSchema::optional(AttrType::Number).describe("bound on connect + handshake + auth, seconds (default 10)"))
        .attr("log_dir", AttrSchema::optional(AttrType::String).describe("cluster step logs (default .contin/logs)"))
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

#[async_trait]
impl Provider for OnpremProvider {
    fn name(&self) -> &str {
        PROVIDER_NAME
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema { config: config_schema(), ..Default::default() };
        s.resources.insert(host::RESOURCE_TYPE.to_string(), host::schema());
        s.resources.insert(cluster::RESOURCE_TYPE.to_string(), cluster::schema());
        s
    }

    async fn configure(&self, cfg: Value) -> Result<(), Diagnostics> {
        let mut d = Diagnostics::new();
        let mut settings = Settings::default();
        let get = |k: &str| match cfg.unmarked() {
            Value::Map(m) => m.get(k).map(Value::unmarked).filter(|v| !v.is_null()),
            _ => None,
        };
        match get("known_hosts_file") {
            Some(Value::String(p)) => settings.defaults.known_hosts_file = Some(self.base_dir.join(p)),
            Some(other) => d.push(Diagnostic::error("Invalid known_hosts_file").with_detail(format!("provider onprem: known_hosts_file must be a string, got {}", other.type_name()))),
            None => {}
        }
        match get("connect_timeout_s") {
            Some(Value::Number(n)) if n.as_f64() > 0.0 && n.as_f64() <= 3600.0 => {
                settings.defaults.connect_timeout = Duration::from_secs_f64(n.as_f64());
            }
            Some(other) => d.push(
                Diagnostic::error("Invalid connect_timeout_s")
                    .with_detail(format!("provider onprem: connect_timeout_s must be a number of seconds from 0 to 3600, got {}", other.type_name())),
            ),
            None => {}
        }
        match get("log_dir") {
            Some(Value::String(p)) if !p.is_empty() => settings.log_dir = Some(PathBuf::from(p)),
            Some(Value::String(_)) | None => {}
            Some(other) => d.push(Diagnostic::error("Invalid log_dir").with_detail(format!("provider onprem: log_dir must be a string, got {}", other.type_name()))),
        }
        if d.has_errors() {
            return Err(d);
        }
        if let Ok(mut s) = self.settings.write() {
            *s = settings;
        }
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        match ty {
            host::RESOURCE_TYPE => host::validate(cfg),
            cluster::RESOURCE_TYPE => cluster::validate(cfg),
            _ => Diagnostics::new(),
        }
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        match ty {
            host::RESOURCE_TYPE => host::plan_change(prior, desired),
            cluster::RESOURCE_TYPE => cluster::plan_change(prior, desired),
            _ => PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            },
        }
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let conn = self.connector();
        match ty {
            host::RESOURCE_TYPE => host::read(state, &conn, &conn.defaults).await,
            cluster::RESOURCE_TYPE => self.cluster_ops().read(state, &conn).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn create(&self, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        let conn = self.connector();
        match ty {
            host::RESOURCE_TYPE => host::create(planned, &conn, &conn.defaults).await,
            cluster::RESOURCE_TYPE => self.cluster_ops().create(planned, &conn, ctx).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        let conn = self.connector();
        match ty {
            host::RESOURCE_TYPE => host::update(planned, &conn, &conn.defaults).await,
            cluster::RESOURCE_TYPE => self.cluster_ops().update(prior, planned, &conn, ctx).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn delete(&self, ty: &str, prior: &Value, ctx: &OpContext) -> Result<(), ProviderError> {
        match ty {
            // Forgetting a host changes nothing on the machine.
            host::RESOURCE_TYPE => Ok(()),
            cluster::RESOURCE_TYPE => self.cluster_ops().delete(prior, &self.connector(), ctx).await,
            _ => Err(unsupported(ty)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_host_and_cluster() {
        let p = OnpremProvider::new();
        assert_eq!(p.name(), "onprem");
        let s = p.schema();
        assert!(s.resources.contains_key("host") && s.resources.contains_key("cluster"));
        assert!(s.resources["host"].attributes["private_key"].sensitive);
        assert!(s.resources["host"].attributes["passphrase"].sensitive);
        assert!(s.config.attributes.contains_key("log_dir"));
    }

    #[tokio::test]
    async fn relative_paths_resolve_against_the_base_dir() {
        let p = OnpremProvider::with_base_dir(PathBuf::from("/work/site"));
        assert_eq!(p.log_dir(), PathBuf::from("/work/site").join(cluster::ClusterOps::from_env().log_dir));
        p.configure(Value::map([("known_hosts_file", Value::string("keys/known_hosts")), ("log_dir", Value::string("logs"))])).await.unwrap();
        assert_eq!(p.log_dir(), PathBuf::from("/work/site/logs"));
        assert_eq!(p.connect_defaults().known_hosts_file, Some(PathBuf::from("/work/site/keys/known_hosts")));
        // A host's own known_hosts_file too (it was read from the process's cwd).
        let host = Value::map([("name", Value::string("h")), ("address", Value::string("10.0.0.1")), ("known_hosts_file", Value::string("hosts/kh"))]);
        let hc = ssh::HostConfig::from_value(&host, &p.connect_defaults()).unwrap();
        assert_eq!(hc.known_hosts_file, Some(PathBuf::from("/work/site/hosts/kh")));
        p.configure(Value::map([("log_dir", Value::string("/var/log/contin"))])).await.unwrap();
        assert_eq!(p.log_dir(), PathBuf::from("/var/log/contin"), "absolute paths stay");
    }

    #[tokio::test]
    async fn configure_reads_settings() {
        let p = OnpremProvider::new();
        p.configure(Value::map([
            ("known_hosts_file", Value::string("/etc/ssh/ssh_known_hosts")),
            ("connect_timeout_s", Value::int(3)),
            ("log_dir", Value::string("/var/log/contin")),
        ]))
        .await
        .unwrap();
        assert_eq!(p.log_dir(), PathBuf::from("/var/log/contin"));
        let d = p.connect_defaults();
        assert_eq!(d.connect_timeout, Duration::from_secs(3));
        assert_eq!(d.known_hosts_file, Some(PathBuf::from("/etc/ssh/ssh_known_hosts")));
        let err = p.configure(Value::map([("connect_timeout_s", Value::string("soon"))])).await.unwrap_err();
        assert!(err.has_errors());
    }

    #[tokio::test]
    async fn host_delete_forgets() {
        let p = OnpremProvider::new();
        let ctx = OpContext { address: "host.a".parse().unwrap(), lineage: "l".into(), generation: 1 };
        p.delete("host", &Value::map([("address", Value::string("192.0.2.1"))]), &ctx).await.unwrap();
        assert!(matches!(p.read("nope", &Value::Null).await, Err(ProviderError::UnsupportedType { .. })));
    }
}
