//! Per-flavor install/join/uninstall/status scripts: tera templates embedded
//! at build time, rendered with a `ScriptContext`. Pure (no IO).

use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Where artifacts, binaries and rendered scripts live on a host.
pub const REMOTE_ROOT: &str = "/opt/contin";
pub const BIN_DIR: &str = "/opt/contin/bin";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flavor {
    K3s,
    Microk8s,
    Kubeedge,
    /// An existing cluster adopted by kubeconfig: no scripts.
    K8s,
}

impl Flavor {
    pub const NAMES: [&'static str; 4] = ["k3s", "microk8s", "kubeedge", "k8s"];

    pub fn parse(s: &str) -> Option<Flavor> {
        match s {
            "k3s" => Some(Flavor::K3s),
            "microk8s" => Some(Flavor::Microk8s),
            "kubeedge" => Some(Flavor::Kubeedge),
            "k8s" => Some(Flavor::K8s),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::K3s => "k3s",
            Flavor::Microk8s => "microk8s",
            Flavor::Kubeedge => "kubeedge",
            Flavor::K8s => "k8s",
        }
    }
    /// Port of the API agents and clients talk to.
    pub fn api_port(self) -> u16 {
        match self {
            Flavor::K3s | Flavor::K8s => 6443,
            Flavor::Microk8s => 16443,
            Flavor::Kubeedge => 10000,
        }
    }
    /// Files `artifacts_dir/<flavor>/` must hold.
    pub fn required_artifacts(self) -> &'static [&'static str] {
        match self {
            Flavor::K3s => &["install.sh", "k3s"],
            Flavor::Microk8s => &["install.sh", "uninstall.sh"],
            Flavor::Kubeedge => &["keadm"],
            Flavor::K8s => &[],
        }
    }
    /// Remote directory the artifacts are uploaded to.
    pub fn remote_artifacts_dir(self) -> String {
        format!("{REMOTE_ROOT}/artifacts/{}", self.as_str())
    }
    /// Command run on the first server printing the join token (stdout, first line).
    pub fn token_command(self) -> Option<&'static str> {
        match self {
            Flavor::K3s => Some("cat /var/lib/rancher/k3s/server/node-token"),
            Flavor::Microk8s => Some(
                "PATH=\"/snap/bin:/var/snap/microk8s/current/bin:$PATH\" microk8s add-node --token-ttl 31536000 --format short",
            ),
            Flavor::Kubeedge => Some("/opt/contin/bin/keadm gettoken"),
            Flavor::K8s => None,
        }
    }
    /// Command run on the first server to drop a node that left (so it does
    /// not linger as NotReady); `name` is shell-quoted here.
    pub fn remove_node_command(self, name: &str) -> Option<String> {
        let q = shell_quote(name);
        match self {
            Flavor::K3s => Some(format!("{BIN_DIR}/k3s kubectl delete node {q} --ignore-not-found")),
            Flavor::Microk8s => Some(format!(
                "PATH=\"/snap/bin:/var/snap/microk8s/current/bin:$PATH\" microk8s remove-node {q} --force"
            )),
            // Edge nodes are Kubernetes nodes of the cluster cloudcore serves, which contin does not hold a kubeconfig for.
            Flavor::Kubeedge | Flavor::K8s => None,
        }
    }
    /// Extracts the token from `token_command`'s stdout.
    pub fn parse_token(self, stdout: &str) -> Option<String> {
        let line = stdout.lines().map(str::trim).find(|l| !l.is_empty())?;
        let token = match self {
            // `microk8s join 10.0.0.1:25000/<token>/<cert hash>` → `<token>/<cert hash>`
            Flavor::Microk8s => line.split_once(":25000/")?.1.split_whitespace().next()?.to_string(),
            _ => line.to_string(),
        };
        (!token.is_empty()).then_some(token)
    }
    /// Command run on the first server printing its kubeconfig.
    pub fn kubeconfig_command(self) -> Option<&'static str> {
        match self {
            Flavor::K3s => Some("cat /etc/rancher/k3s/k3s.yaml"),
            Flavor::Microk8s => Some("PATH=\"/snap/bin:/var/snap/microk8s/current/bin:$PATH\" microk8s config"),
            // cloudcore registers with a Kubernetes cluster it does not own.
            Flavor::Kubeedge | Flavor::K8s => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    InstallServer,
    JoinAgent,
    Uninstall,
    Status,
}

impl Script {
    pub const ALL: [Script; 4] = [Script::InstallServer, Script::JoinAgent, Script::Uninstall, Script::Status];
    pub fn file_name(self) -> &'static str {
        match self {
            Script::InstallServer => "install-server.sh",
            Script::JoinAgent => "join-agent.sh",
            Script::Uninstall => "uninstall.sh",
            Script::Status => "status.sh",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Server,
    Agent,
}

/// Everything a template may use. Strings go through the `sq` filter
/// (POSIX single-quoting) wherever they reach the shell.
#[derive(Clone, Debug, Serialize)]
pub struct ScriptContext {
    pub cluster_name: String,
    pub flavor: &'static str,
    pub node_name: String,
    pub role: Role,
    /// Address of the first server (what agents join).
    pub server_address: String,
    /// Join token; empty except for join scripts.
    pub token: String,
    /// Remote directory holding the uploaded artifacts.
    pub artifacts_dir: String,
    pub bin_dir: String,
    /// Remote directory holding the rendered scripts of this cluster.
    pub script_dir: String,
    /// Empty when not pinned.
    pub version: String,
    /// Extra installer arguments, passed through word-split.
    pub extra_args: String,
    /// More than one server: the first initializes an HA control plane (k3s: embedded etcd).
    pub ha: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("rendering {template}: {message}")]
pub struct RenderError {
    pub template: String,
    pub message: String,
}

macro_rules! templates {
    ($($flavor:literal),*) => {
        &[$(
            (concat!($flavor, "/install-server.sh"), include_str!(concat!("../../templates/", $flavor, "/install-server.sh.tera"))),
            (concat!($flavor, "/join-agent.sh"), include_str!(concat!("../../templates/", $flavor, "/join-agent.sh.tera"))),
            (concat!($flavor, "/uninstall.sh"), include_str!(concat!("../../templates/", $flavor, "/uninstall.sh.tera"))),
            (concat!($flavor, "/status.sh"), include_str!(concat!("../../templates/", $flavor, "/status.sh.tera"))),
        )*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!("k3s", "microk8s", "kubeedge");

static TERA: LazyLock<Result<tera::Tera, String>> = LazyLock::new(|| {
    let mut t = tera::Tera::default();
    t.autoescape_on(vec![]);
    t.register_filter("sq", sq_filter);
    t.add_raw_templates(TEMPLATES.iter().copied()).map_err(|e| error_chain(&e))?;
    Ok(t)
});

fn sq_filter(v: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let s = match v {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(tera::Value::String(shell_quote(&s)))
}

/// POSIX single-quoting: `it's` → `'it'\''s'`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// Renders `script` of `flavor` (not `k8s`, which has none).
pub fn render(flavor: Flavor, script: Script, ctx: &ScriptContext) -> Result<String, RenderError> {
    let template = format!("{}/{}", flavor.as_str(), script.file_name());
    let tera = TERA.as_ref().map_err(|m| RenderError { template: template.clone(), message: m.clone() })?;
    let context = tera::Context::from_serialize(ctx).map_err(|e| RenderError { template: template.clone(), message: error_chain(&e) })?;
    tera.render(&template, &context).map_err(|e| RenderError { template, message: error_chain(&e) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_escapes_single_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn microk8s_token_is_taken_from_the_join_line() {
        let out = "microk8s join 10.0.0.1:25000/0123abcd/ef45 --worker\nmicrok8s join 10.0.0.2:25000/0123abcd/ef45\n";
        assert_eq!(Flavor::Microk8s.parse_token(out).as_deref(), Some("0123abcd/ef45"));
        assert_eq!(Flavor::Microk8s.parse_token("nothing useful"), None);
        assert_eq!(Flavor::K3s.parse_token("\nK10abc::server:def\n").as_deref(), Some("K10abc::server:def"));
        assert_eq!(Flavor::K3s.parse_token("  \n"), None);
    }
}
