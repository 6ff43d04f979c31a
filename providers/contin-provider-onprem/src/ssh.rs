//! The SSH transport (russh): host key verification, key / agent auth, and
//! `Remote` over session channels.
//!
//! Host key policy, in order: a pinned `host_key` (OpenSSH public key line
//! or `SHA256:` fingerprint; several may be given one per line) must match;
//! else the key must be in `known_hosts_file` (host attribute, else the
//! provider's, else `~/.ssh/known_hosts`) — a changed or revoked key is
//! refused; else an unknown key is refused unless
//! `insecure_accept_host_key = true`.

use crate::known_hosts::{self, Lookup};
use crate::remote::{Connector, ExecOutput, Remote, RemoteError};
use async_trait::async_trait;
use contin_types::Value;
use russh::client::{self, AuthResult, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::ChannelMsg;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const DEFAULT_PORT: u16 = 22;
pub const DEFAULT_USER: &str = "root";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Provider-wide connection defaults (`provider "onprem" { … }`).
#[derive(Clone, Debug)]
pub struct ConnectDefaults {
    /// known_hosts used when a host sets none; `None` = `~/.ssh/known_hosts`.
    pub known_hosts_file: Option<PathBuf>,
    /// Bound on TCP connect + handshake + authentication.
    pub connect_timeout: Duration,
    /// A host's relative `known_hosts_file` resolves against this (the
    /// workspace root); empty: the process's working directory.
    pub base_dir: PathBuf,
}

impl Default for ConnectDefaults {
    fn default() -> Self {
        ConnectDefaults { known_hosts_file: None, connect_timeout: DEFAULT_CONNECT_TIMEOUT, base_dir: PathBuf::new() }
    }
}

/// How one host is reached, read from a `host` object value.
#[derive(Clone)]
pub struct HostConfig {
    /// `host.NAME` → NAME.
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Private key text (OpenSSH / PEM / PuTTY); `None` = ssh-agent.
    pub private_key: Option<String>,
    pub passphrase: Option<String>,
    /// Pinned host key(s): OpenSSH public key lines or `SHA256:` fingerprints.
    pub host_key: Option<String>,
    pub known_hosts_file: Option<PathBuf>,
    pub insecure_accept_host_key: bool,
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfig")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("private_key", &self.private_key.as_ref().map(|_| "(sensitive)"))
            .field("passphrase", &self.passphrase.as_ref().map(|_| "(sensitive)"))
            .field("host_key", &self.host_key)
            .field("known_hosts_file", &self.known_hosts_file)
            .field("insecure_accept_host_key", &self.insecure_accept_host_key)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v.unmarked() {
        Value::Map(m) => m.get(name).map(Value::unmarked).filter(|v| !v.is_null() && !v.is_unknown()),
        _ => None,
    }
}

fn attr_string(v: &Value, name: &str) -> Result<Option<String>, String> {
    match attr(v, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{name} must be a string, got {}", other.type_name())),
    }
}

impl HostConfig {
    /// Reads a host object (`name`, `address`, `port`, `user`, `private_key`,
    /// `passphrase`, `host_key`, `known_hosts_file` (alias `known_hosts`),
    /// `insecure_accept_host_key`, `connect_timeout` seconds). Errors are
    /// configuration problems and never contain secret values.
    pub fn from_value(v: &Value, defaults: &ConnectDefaults) -> Result<HostConfig, String> {
        let name = attr_string(v, "name")?.unwrap_or_else(|| "?".to_string());
        let address = attr_string(v, "address")?.filter(|a| !a.is_empty()).ok_or_else(|| format!("host.{name} has no address"))?;
        let port = match attr(v, "port") {
            None => DEFAULT_PORT,
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("host.{name}: port must be 1-65535"))?,
            Some(Value::String(s)) => s.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| format!("host.{name}: port must be 1-65535"))?,
            Some(other) => return Err(format!("host.{name}: port must be a number, got {}", other.type_name())),
        };
        let user = attr_string(v, "user")?.filter(|u| !u.is_empty()).unwrap_or_else(|| DEFAULT_USER.to_string());
        let known_hosts_file = match attr_string(v, "known_hosts_file")? {
            Some(p) => Some(p),
            None => attr_string(v, "known_hosts")?,
        }
        .map(|p| defaults.base_dir.join(p));
        let insecure_accept_host_key = match attr(v, "insecure_accept_host_key") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(format!("host.{name}: insecure_accept_host_key must be a bool, got {}", other.type_name())),
        };
        let connect_timeout = match attr(v, "connect_timeout").or_else(|| attr(v, "connect_timeout_s")) {
            Some(Value::Number(n)) if n.as_f64() > 0.0 => Duration::from_secs_f64(n.as_f64()),
            _ => defaults.connect_timeout,
        };
        Ok(HostConfig {
            address,
            port,
            user,
            private_key: attr_string(v, "private_key")?.filter(|k| !k.trim().is_empty()),
            passphrase: attr_string(v, "passphrase")?.filter(|p| !p.is_empty()),
            host_key: attr_string(v, "host_key")?.filter(|k| !k.trim().is_empty()),
            known_hosts_file: known_hosts_file.or_else(|| defaults.known_hosts_file.clone()),
            insecure_accept_host_key,
            connect_timeout,
            name,
        })
    }

    /// `host.NAME (ADDRESS:PORT)`, the subject of every error.
    pub fn label(&self) -> String {
        format!("host.{} ({}:{})", self.name, self.address, self.port)
    }

    /// `user@address:port`.
    pub fn id(&self) -> String {
        format!("{}@{}:{}", self.user, self.address, self.port)
    }

    fn known_hosts_path(&self) -> Option<PathBuf> {
        self.known_hosts_file
            .clone()
            .or_else(|| std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".ssh").join("known_hosts")))
    }
}

/// `SHA256:…` of a key, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// One pinned key: the whole key or its fingerprint.
#[derive(Clone, Debug, PartialEq)]
enum Pin {
    Key(Box<PublicKey>),
    Fingerprint(String),
}

impl Pin {
    fn fingerprint(&self) -> String {
        match self {
            Pin::Key(k) => fingerprint(k),
            Pin::Fingerprint(f) => f.clone(),
        }
    }
    fn matches(&self, key: &PublicKey) -> bool {
        match self {
            Pin::Key(k) => k.key_data() == key.key_data(),
            Pin::Fingerprint(f) => *f == fingerprint(key),
        }
    }
}

/// Parses `host_key`: one pin per line, each an OpenSSH public key line
/// (`TYPE BASE64 [comment]`, or a known_hosts line `HOST TYPE BASE64`) or `SHA256:…`.
fn parse_pins(text: &str) -> Result<Vec<Pin>, String> {
    let mut pins = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some(fp) = line.strip_prefix("SHA256:") {
            let fp = fp.trim_end_matches('=');
            if fp.is_empty() || !fp.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/') {
                return Err(format!("host_key {line:?} is not a valid SHA256 fingerprint"));
            }
            pins.push(Pin::Fingerprint(format!("SHA256:{fp}")));
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let parsed = fields
            .windows(2)
            .take(2)
            .find_map(|w| PublicKey::from_openssh(&format!("{} {}", w[0], w[1])).ok())
            .ok_or_else(|| "host_key is neither an OpenSSH public key (\"ssh-ed25519 AAAA…\") nor a SHA256:… fingerprint".to_string())?;
        pins.push(Pin::Key(Box::new(parsed)));
    }
    if pins.is_empty() {
        return Err("host_key is empty".to_string());
    }
    Ok(pins)
}

/// Checks `host_key` without connecting (for validation).
pub fn check_host_key_syntax(text: &str) -> Result<(), String> {
    parse_pins(text).map(|_| ())
}

/// Decides whether `key` is the right host key for `cfg`. `Err` is the
/// message of the `HostKey` error.
pub fn verify_host_key(cfg: &HostConfig, key: &PublicKey) -> Result<(), String> {
    let presented = fingerprint(key);
    if let Some(text) = &cfg.host_key {
        let pins = parse_pins(text)?;
        if pins.iter().any(|p| p.matches(key)) {
            return Ok(());
        }
        let pinned: Vec<String> = pins.iter().map(Pin::fingerprint).collect();
        return Err(format!("server presented {presented} but host_key pins {}", pinned.join(", ")));
    }
    let path = cfg.known_hosts_path();
    let lookup = match &path {
        Some(p) => known_hosts::check_file(p, &cfg.address, cfg.port, key)
            .map_err(|e| format!("cannot read known_hosts file {}: {e}", p.display()))?,
        None => Lookup::NotFound,
    };
    let shown = path.as_ref().map_or_else(|| "known_hosts (no HOME)".to_string(), |p| p.display().to_string());
    match lookup {
        Lookup::Match { .. } => Ok(()),
        Lookup::Revoked { line } => Err(format!("server presented {presented}, which is revoked in {shown}:{line}")),
        Lookup::Mismatch { line, recorded } => Err(format!(
            "server presented {presented} but {shown}:{line} records {} for {} — the host key changed (or someone is intercepting)",
            fingerprint(&recorded),
            known_hosts::host_port(&cfg.address, cfg.port)
        )),
        Lookup::NotFound if cfg.insecure_accept_host_key => Ok(()),
        Lookup::NotFound => Err(format!(
            "server presented unknown key {presented} ({}), not in {shown}; pin it with host_key = \"{}\" or set insecure_accept_host_key = true",
            key.algorithm(),
            key.to_openssh().map(|s| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ")).unwrap_or_default()
        )),
    }
}

/// russh handler: verifies the host key and remembers why it refused.
struct Verifier {
    cfg: Arc<HostConfig>,
    refusal: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(&mut self, server_key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let key = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        match verify_host_key(&self.cfg, &key) {
            Ok(()) => Ok(true),
            Err(msg) => {
                if let Ok(mut r) = self.refusal.lock() {
                    *r = Some(msg);
                }
                Ok(false)
            }
        }
    }
}

/// A connected, authenticated SSH session to one host.
pub struct SshSession {
    cfg: Arc<HostConfig>,
    handle: Handle<Verifier>,
}

impl std::fmt::Debug for SshSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshSession").field("host", &self.cfg.label()).finish()
    }
}

fn unreachable(cfg: &HostConfig, message: impl Into<String>) -> RemoteError {
    RemoteError::Unreachable { host: cfg.label(), message: message.into() }
}

fn auth_error(cfg: &HostConfig, message: impl Into<String>) -> RemoteError {
    RemoteError::Auth { host: cfg.label(), user: cfg.user.clone(), message: message.into() }
}

/// Connects to the host, verifies its key and authenticates, all within `connect_timeout`.
pub async fn connect(cfg: HostConfig) -> Result<SshSession, RemoteError> {
    let cfg = Arc::new(cfg);
    let timeout = cfg.connect_timeout;
    match tokio::time::timeout(timeout, connect_inner(cfg.clone())).await {
        Ok(r) => r,
        Err(_) => Err(unreachable(&cfg, format!("no SSH session within {}s (connect timeout)", timeout.as_secs_f64()))),
    }
}

async fn connect_inner(cfg: Arc<HostConfig>) -> Result<SshSession, RemoteError> {
    // Read the key first: a bad key is a config error, whatever the network does.
    let key = match &cfg.private_key {
        Some(text) => Some(Arc::new(russh::keys::decode_secret_key(text, cfg.passphrase.as_deref()).map_err(|e| {
            auth_error(
                &cfg,
                match e {
                    russh::keys::Error::KeyIsEncrypted => "private_key is encrypted: set passphrase".to_string(),
                    _ if cfg.passphrase.is_some() => format!("cannot decode private_key (wrong passphrase?): {e}"),
                    _ => format!("cannot decode private_key: {e}"),
                },
            )
        })?)),
        None => None,
    };

    let stream = tokio::net::TcpStream::connect((cfg.address.as_str(), cfg.port))
        .await
        .map_err(|e| unreachable(&cfg, format!("TCP connect: {e}")))?;
    let _ = stream.set_nodelay(true);
    let config = Arc::new(client::Config {
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 4,
        inactivity_timeout: None,
        ..Default::default()
    });
    let refusal = Arc::new(Mutex::new(None));
    let handler = Verifier { cfg: cfg.clone(), refusal: refusal.clone() };
    let mut handle = match client::connect_stream(config, stream, handler).await {
        Ok(h) => h,
        Err(e) => {
            if let Some(msg) = refusal.lock().ok().and_then(|mut r| r.take()) {
                return Err(RemoteError::HostKey { host: cfg.label(), message: msg });
            }
            return Err(match e {
                russh::Error::IO(io) => unreachable(&cfg, format!("SSH handshake: {io}")),
                russh::Error::Disconnect | russh::Error::ConnectionTimeout | russh::Error::HUP => {
                    unreachable(&cfg, format!("SSH handshake: {e}"))
                }
                other => RemoteError::Io(format!("{}: SSH handshake failed: {other}", cfg.label())),
            });
        }
    };

    match key {
        Some(key) => {
            let hash = if key.algorithm().is_rsa() {
                handle.best_supported_rsa_hash().await.map_err(|e| auth_error(&cfg, e.to_string()))?.flatten()
            } else {
                None
            };
            let fp = fingerprint(key.public_key());
            let r = handle
                .authenticate_publickey(cfg.user.clone(), PrivateKeyWithHashAlg::new(key, hash))
                .await
                .map_err(|e| auth_error(&cfg, e.to_string()))?;
            if !matches!(r, AuthResult::Success) {
                return Err(auth_error(&cfg, format!("the server refused private_key {fp}")));
            }
        }
        None => authenticate_with_agent(&cfg, &mut handle).await?,
    }
    Ok(SshSession { cfg, handle })
}

async fn authenticate_with_agent(cfg: &HostConfig, handle: &mut Handle<Verifier>) -> Result<(), RemoteError> {
    if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|s| s.is_empty()) {
        return Err(auth_error(cfg, "no private_key set and no ssh-agent (SSH_AUTH_SOCK is not set)"));
    }
    let mut agent = russh::keys::agent::client::AgentClient::connect_env()
        .await
        .map_err(|e| auth_error(cfg, format!("cannot connect to ssh-agent: {e}")))?;
    let identities = agent.request_identities().await.map_err(|e| auth_error(cfg, format!("ssh-agent: {e}")))?;
    if identities.is_empty() {
        return Err(auth_error(cfg, "no private_key set and the ssh-agent holds no keys"));
    }
    let mut tried = Vec::new();
    for id in identities {
        let key = match id {
            russh::keys::agent::AgentIdentity::PublicKey { key, .. } => key,
            _ => continue,
        };
        let hash = if key.algorithm().is_rsa() {
            handle.best_supported_rsa_hash().await.map_err(|e| auth_error(cfg, e.to_string()))?.flatten()
        } else {
            None
        };
        tried.push(fingerprint(&key));
        match handle.authenticate_publickey_with(cfg.user.clone(), key, hash, &mut agent).await {
            Ok(AuthResult::Success) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(auth_error(cfg, format!("ssh-agent signing: {e}"))),
        }
    }
    Err(auth_error(cfg, format!("the server refused every ssh-agent key ({})", tried.join(", "))))
}

/// Single-quotes `s` for sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl SshSession {
    pub fn config(&self) -> &HostConfig {
        &self.cfg
    }

    /// A channel-level failure; `Unreachable` when it is the connection that died.
    fn io(&self, what: &str, e: impl std::fmt::Display) -> RemoteError {
        if self.handle.is_closed() {
            unreachable(&self.cfg, format!("the SSH connection dropped ({what}: {e})"))
        } else {
            RemoteError::Io(format!("{}: {what}: {e}", self.cfg.label()))
        }
    }

    /// Runs `command`, feeding `stdin` (then EOF) when given.
    async fn run(&self, command: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, RemoteError> {
        if self.handle.is_closed() {
            return Err(unreachable(&self.cfg, "the SSH connection is closed"));
        }
        let mut channel = self.handle.channel_open_session().await.map_err(|e| self.io("opening a session channel", e))?;
        channel.exec(true, command.as_bytes()).await.map_err(|e| self.io("exec", e))?;
        if let Some(data) = stdin {
            channel.data(data).await.map_err(|e| self.io("sending data", e))?;
        }
        channel.eof().await.map_err(|e| self.io("sending EOF", e))?;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut status = None;
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => stderr.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                ChannelMsg::Failure => return Err(self.io("exec", "the server refused to run the command")),
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        if status.is_none() && self.handle.is_closed() {
            return Err(unreachable(&self.cfg, "the SSH connection dropped while the command ran"));
        }
        Ok(ExecOutput {
            status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    /// Closes the connection politely.
    pub async fn disconnect(&self) {
        let _ = self.handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
    }
}

#[async_trait]
impl Remote for SshSession {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    async fn exec(&self, command: &str) -> Result<ExecOutput, RemoteError> {
        self.run(command, None).await
    }

    async fn upload(&self, path: &str, data: &[u8], mode: u32) -> Result<(), RemoteError> {
        // Write a temp file next to the target, then rename: an executable that
        // is running can be replaced, and readers never see half a file.
        let tmp = format!("{path}.contin-upload.$$");
        let cmd = format!(
            "umask 077 && cat > {t} && chmod {mode:o} {t} && mv -f {t} {p} || {{ rc=$?; rm -f {t}; exit $rc; }}",
            t = sh_quote_keep_pid(&tmp),
            p = sh_quote(path),
        );
        let out = self.run(&cmd, Some(data)).await?;
        if out.success() {
            Ok(())
        } else {
            let status = out.status.map_or_else(|| "signal".to_string(), |s| s.to_string());
            Err(self.io(&format!("upload to {path}"), format!("exit {status}: {}", out.stderr.trim())))
        }
    }
}

/// Like `sh_quote` but leaves a trailing `$$` outside the quotes (expanded to the shell's pid).
fn sh_quote_keep_pid(s: &str) -> String {
    match s.strip_suffix("$$") {
        Some(base) => format!("{}$$", sh_quote(base)),
        None => sh_quote(s),
    }
}

/// Opens `SshSession`s from host object values.
#[derive(Clone, Debug, Default)]
pub struct SshConnector {
    pub defaults: ConnectDefaults,
}

impl SshConnector {
    pub fn new(defaults: ConnectDefaults) -> Self {
        SshConnector { defaults }
    }

    /// Connects and returns the concrete session.
    pub async fn session(&self, host: &Value) -> Result<SshSession, RemoteError> {
        let cfg = HostConfig::from_value(host, &self.defaults).map_err(RemoteError::Io)?;
        connect(cfg).await
    }
}

#[async_trait]
impl Connector for SshConnector {
    async fn connect(&self, host: &Value) -> Result<Arc<dyn Remote>, RemoteError> {
        Ok(Arc::new(self.session(host).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILn7V+/OckgVFcwV7v9KOJ4egvtPplYnxIfPFzrEVKvo";
    const K2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO5T4ISNEPdEvOtTGIkplEOQOivOVzA7aR8R4Ydlaixj";

    fn cfg(extra: &[(&str, Value)]) -> HostConfig {
        let mut m = std::collections::BTreeMap::new();
        m.insert("name".to_string(), Value::string("edge1"));
        m.insert("address".to_string(), Value::string("10.0.0.1"));
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
        HostConfig::from_value(&Value::Map(m), &ConnectDefaults { known_hosts_file: Some("/nonexistent".into()), ..Default::default() })
            .unwrap()
    }

    #[test]
    fn defaults_and_label() {
        let c = cfg(&[]);
        assert_eq!((c.port, c.user.as_str()), (22, "root"));
        assert_eq!(c.label(), "host.edge1 (10.0.0.1:22)");
        assert_eq!(c.id(), "root@10.0.0.1:22");
        let c = cfg(&[("port", Value::int(2222)), ("user", Value::string("ops")), ("private_key", Value::string("SECRET"))]);
        assert_eq!(c.id(), "ops@10.0.0.1:2222");
        assert!(!format!("{c:?}").contains("SECRET"));
    }

    #[test]
    fn bad_values_are_reported() {
        let v = Value::map([("name", Value::string("h")), ("address", Value::string("a")), ("port", Value::int(70000))]);
        assert_eq!(HostConfig::from_value(&v, &ConnectDefaults::default()).unwrap_err(), "host.h: port must be 1-65535");
        let v = Value::map([("name", Value::string("h"))]);
        assert_eq!(HostConfig::from_value(&v, &ConnectDefaults::default()).unwrap_err(), "host.h has no address");
    }

    #[test]
    fn pinned_key_and_fingerprint() {
        let k1 = PublicKey::from_openssh(K1).unwrap();
        let k2 = PublicKey::from_openssh(K2).unwrap();
        assert!(verify_host_key(&cfg(&[("host_key", Value::string(format!("{K1} comment")))]), &k1).is_ok());
        assert!(verify_host_key(&cfg(&[("host_key", Value::string(fingerprint(&k1)))]), &k1).is_ok());
        assert!(verify_host_key(&cfg(&[("host_key", Value::string(format!("10.0.0.1 {K1}")))]), &k1).is_ok());
        let err = verify_host_key(&cfg(&[("host_key", Value::string(K1)), ("insecure_accept_host_key", Value::Bool(true))]), &k2)
            .unwrap_err();
        assert_eq!(err, format!("server presented {} but host_key pins {}", fingerprint(&k2), fingerprint(&k1)));
        assert!(check_host_key_syntax("nonsense").is_err());
        assert!(check_host_key_syntax("SHA256:").is_err());
    }

    #[test]
    fn unknown_key_needs_the_insecure_flag() {
        let k1 = PublicKey::from_openssh(K1).unwrap();
        let err = verify_host_key(&cfg(&[]), &k1).unwrap_err();
        assert!(err.starts_with(&format!("server presented unknown key {}", fingerprint(&k1))), "{err}");
        assert!(err.contains(&format!("host_key = \"{K1}\"")), "{err}");
        assert!(verify_host_key(&cfg(&[("insecure_accept_host_key", Value::Bool(true))]), &k1).is_ok());
    }

    #[test]
    fn known_hosts_file_is_consulted() {
        let dir = tempfile::tempdir().unwrap();
        let kh = dir.path().join("kh");
        std::fs::write(&kh, format!("10.0.0.1 {K2}\n")).unwrap();
        let k1 = PublicKey::from_openssh(K1).unwrap();
        let k2 = PublicKey::from_openssh(K2).unwrap();
        let c = cfg(&[("known_hosts_file", Value::string(kh.to_string_lossy()))]);
        assert!(verify_host_key(&c, &k2).is_ok());
        let err = verify_host_key(&c, &k1).unwrap_err();
        assert!(err.contains(&format!("{}:1 records {}", kh.display(), fingerprint(&k2))), "{err}");
        // The insecure flag accepts unknown keys only, never a changed one.
        let mut insecure = c.clone();
        insecure.insecure_accept_host_key = true;
        assert!(verify_host_key(&insecure, &k1).unwrap_err().contains("the host key changed"));
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("a b'c"), r"'a b'\''c'");
        assert_eq!(sh_quote_keep_pid("/opt/x.tmp.$$"), "'/opt/x.tmp.'$$");
    }
}
