//! `contin init`: installs the non-local module sources a configuration
//! calls into `.contin/modules/KEY` and writes `.contin/modules/modules.json`
//! (Terraform's manifest format, so `contin_config::modules` reads it like
//! `.terraform/modules/modules.json`).
//!
//! Sources:
//! - `git::URL[//SUBDIR][?ref=REF]` and `github.com/OWNER/REPO[//SUBDIR]`:
//!   the `git` command line (`git clone`, then `git checkout REF`).
//! - Terraform registry addresses `[HOST/]NAMESPACE/NAME/SYSTEM[//SUBDIR]`
//!   with an optional `version` constraint: the module registry protocol
//!   (service discovery `https://HOST/.well-known/terraform.json` →
//!   `modules.v1`, `…/versions`, `…/VERSION/download` → `X-Terraform-Get`),
//!   whose download location is again a git source. Loopback hosts
//!   (`localhost`, `127.0.0.1`) are spoken to over plain HTTP (test
//!   registries); every other host over HTTPS.

use crate::error::{EngineError, Result};
use contin_config::modules::{is_local_source, join_dir};
use contin_config::version::{parse_constraints, satisfies, Version};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `contin init` installs modules, relative to the root.
pub const INSTALL_DIR: &str = ".contin/modules";
/// The registry used when a registry address names no host.
pub const DEFAULT_REGISTRY: &str = "registry.terraform.io";
/// Largest registry response read.
const MAX_RESPONSE_BYTES: usize = 4 << 20;
/// How many modules one init installs at most (nested included).
const MAX_INSTALLS: usize = 500;

/// One installed module, as recorded in the manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Installed {
    pub key: String,
    pub source: String,
    pub version: Option<String>,
    /// Relative to the root.
    pub dir: String,
}

/// Installs every non-local module the configuration in `root` calls
/// (recursively), replacing earlier installs, and writes the manifest.
pub async fn install_modules(root: &Path) -> Result<Vec<Installed>> {
    let files = crate::load::config_files(root)?;
    let (config, diags) = contin_config::parse_files(&files);
    if diags.has_errors() {
        return Err(EngineError::diags(diags, &config.sources));
    }
    let base = root.join(INSTALL_DIR);
    if base.exists() {
        std::fs::remove_dir_all(&base).map_err(|e| EngineError::io(format!("cannot clear {}", base.display()), e))?;
    }
    let mut done = Vec::new();
    // (calls, module dir relative to root, key path)
    let mut queue = vec![(config.module_calls, ".".to_string(), Vec::<String>::new())];
    while let Some((calls, dir, keys)) = queue.pop() {
        for call in calls {
            let mut k = keys.clone();
            k.push(call.name.clone());
            let key = k.join(".");
            let child_dir = if is_local_source(&call.source) {
                join_dir(&dir, &call.source)
            } else {
                if done.len() >= MAX_INSTALLS {
                    return Err(EngineError::Invalid(format!("more than {MAX_INSTALLS} modules to install (limit MAX_INSTALLS)")));
                }
                let inst = install_one(root, &key, &call.source, call.version.as_deref()).await.map_err(|e| {
                    EngineError::Invalid(format!("module \"{}\" ({}: source \"{}\"): {e}", call.name, call.loc.file, call.source))
                })?;
                let d = inst.dir.clone();
                done.push(inst);
                d
            };
            if k.len() > contin_config::modules::MAX_MODULE_DEPTH {
                return Err(EngineError::Invalid(format!(
                    "module {key} is nested more than {} modules deep (limit MAX_MODULE_DEPTH)",
                    contin_config::modules::MAX_MODULE_DEPTH
                )));
            }
            let files = crate::load::config_files(&root.join(&child_dir))?;
            let (child, diags) = contin_config::parse_files(&files);
            if diags.has_errors() {
                return Err(EngineError::diags(diags, &child.sources));
            }
            if !child.module_calls.is_empty() {
                queue.push((child.module_calls, child_dir, k));
            }
        }
    }
    if !done.is_empty() {
        write_manifest(root, &done)?;
    }
    Ok(done)
}

fn write_manifest(root: &Path, done: &[Installed]) -> Result<()> {
    let mut modules = vec![serde_json::json!({"Key": "", "Source": "", "Dir": "."})];
    for m in done {
        let mut e = serde_json::json!({"Key": m.key, "Source": m.source, "Dir": m.dir});
        if let Some(v) = &m.version {
            e["Version"] = serde_json::json!(v);
        }
        modules.push(e);
    }
    let text = serde_json::to_string_pretty(&serde_json::json!({ "Modules": modules })).unwrap_or_default();
    let dir = root.join(INSTALL_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| EngineError::io(format!("cannot create {}", dir.display()), e))?;
    let path = dir.join("modules.json");
    std::fs::write(&path, text + "\n").map_err(|e| EngineError::io(format!("cannot write {}", path.display()), e))
}

/// `X//sub` → (`X`, `sub`); the `//` of a scheme (`https://`) is not a subdir marker.
fn split_subdir(source: &str) -> (String, Option<String>) {
    let (main, query) = match source.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (source, None),
    };
    let skip = main.find("://").map_or(0, |i| i + 3);
    match main[skip..].find("//") {
        Some(i) => {
            let at = skip + i;
            let sub = main[at + 2..].to_string();
            let rest = match query {
                Some(q) => format!("{}?{q}", &main[..at]),
                None => main[..at].to_string(),
            };
            (rest, Some(sub).filter(|s| !s.is_empty()))
        }
        None => (source.to_string(), None),
    }
}

/// A registry address `[HOST/]NS/NAME/SYSTEM`.
fn registry_address(source: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = source.split('/').collect();
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match parts.as_slice() {
        [ns, n, s] if ok(ns) && ok(n) && ok(s) => Some((DEFAULT_REGISTRY.to_string(), format!("{ns}/{n}/{s}"))),
        [h, ns, n, s] if (h.contains('.') || h.starts_with("localhost")) && ok(ns) && ok(n) && ok(s) => {
            Some((h.to_lowercase(), format!("{ns}/{n}/{s}")))
        }
        _ => None,
    }
}

async fn install_one(root: &Path, key: &str, source: &str, version: Option<&str>) -> std::result::Result<Installed, String> {
    let (main, subdir) = split_subdir(source);
    let rel = format!("{INSTALL_DIR}/{key}");
    let dest = root.join(&rel);
    let mut chosen = None;
    let git_url = if let Some(u) = main.strip_prefix("git::") {
        u.to_string()
    } else if let Some(rest) = main.strip_prefix("github.com/") {
        let (path, q) = rest.split_once('?').map_or((rest, None), |(p, q)| (p, Some(q)));
        let url = format!("https://github.com/{}.git", path.trim_end_matches(".git"));
        match q {
            Some(q) => format!("{url}?{q}"),
            None => url,
        }
    } else if let Some((host, addr)) = registry_address(&main) {
        let (v, location) = registry_download(&host, &addr, version).await?;
        chosen = Some(v);
        let (loc_main, loc_sub) = split_subdir(&location);
        let url = loc_main.strip_prefix("git::").ok_or_else(|| {
            format!("the registry's download location {location:?} is not a git source (only git:: locations are supported)")
        })?;
        git_fetch(url, &dest)?;
        let dir = join_dir(&rel, &[loc_sub, subdir].into_iter().flatten().collect::<Vec<_>>().join("/"));
        return Ok(Installed { key: key.into(), source: source.into(), version: chosen, dir });
    } else {
        return Err("unsupported source: use a local path (./ or ../), git::URL, github.com/OWNER/REPO or a registry address NAMESPACE/NAME/SYSTEM".into());
    };
    if version.is_some() {
        return Err("\"version\" applies only to registry sources; pin git sources with ?ref=".into());
    }
    git_fetch(&git_url, &dest)?;
    let dir = match subdir {
        Some(s) => join_dir(&rel, &s),
        None => rel,
    };
    Ok(Installed { key: key.into(), source: source.into(), version: chosen, dir })
}

/// `git clone URL DEST` and, with `?ref=REF`, `git checkout REF`.
fn git_fetch(url: &str, dest: &Path) -> std::result::Result<(), String> {
    let (url, reference) = match url.split_once('?') {
        Some((u, q)) => {
            let r = q.split('&').find_map(|kv| kv.strip_prefix("ref="));
            if q.split('&').any(|kv| !kv.starts_with("ref=") && !kv.starts_with("depth=")) {
                return Err(format!("unsupported git source arguments in \"?{q}\" (ref= and depth= are understood)"));
            }
            (u, r)
        }
        None => (url, None),
    };
    if url.starts_with('-') || reference.is_some_and(|r| r.starts_with('-')) {
        return Err("a git URL or ref may not start with '-'".into());
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    run_git(Command::new("git").args(["clone", "--quiet", "--", url]).arg(dest))?;
    if let Some(r) = reference {
        run_git(Command::new("git").arg("-C").arg(dest).args(["checkout", "--quiet", "--detach", r, "--"]))?;
    }
    Ok(())
}

fn run_git(cmd: &mut Command) -> std::result::Result<(), String> {
    let out = cmd
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e} (contin init needs the git command line for git sources)"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!("git failed: {}", err.trim().chars().take(2000).collect::<String>()))
    }
}

/// The registry base URL of `host`: HTTPS, or HTTP for loopback hosts.
fn host_url(host: &str) -> String {
    let name = host.split(':').next().unwrap_or(host);
    if name == "localhost" || name == "127.0.0.1" {
        format!("http://{host}")
    } else {
        format!("https://{host}")
    }
}

/// Resolves `reference` against `base` (absolute URLs, `/path`, or relative to base's directory).
fn resolve_url(base: &str, reference: &str) -> String {
    if reference.contains("://") || reference.starts_with("git::") {
        return reference.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    if reference.starts_with('/') {
        format!("{}{reference}", &base[..origin_end])
    } else {
        let dir_end = base.rfind('/').filter(|&i| i >= origin_end).map_or(base.len(), |i| i + 1);
        let mut b = base[..dir_end].to_string();
        if !b.ends_with('/') {
            b.push('/');
        }
        format!("{b}{reference}")
    }
}

/// Service discovery, version choice and the download location.
async fn registry_download(host: &str, addr: &str, constraint: Option<&str>) -> std::result::Result<(String, String), String> {
    let origin = host_url(host);
    let (_, disc) = http_get(&format!("{origin}/.well-known/terraform.json")).await?;
    let disc: serde_json::Value = serde_json::from_slice(&disc).map_err(|e| format!("registry {host}: invalid discovery document: {e}"))?;
    let modules = disc.get("modules.v1").and_then(|v| v.as_str()).ok_or_else(|| format!("registry {host} does not offer modules.v1"))?;
    let mut base = resolve_url(&format!("{origin}/.well-known/terraform.json"), modules);
    if !base.ends_with('/') {
        base.push('/');
    }
    let (_, body) = http_get(&format!("{base}{addr}/versions")).await?;
    let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("registry {host}: invalid versions document: {e}"))?;
    let constraints = match constraint {
        Some(c) => parse_constraints(c).map_err(|e| format!("invalid version constraint {c:?}: {e}"))?,
        None => Vec::new(),
    };
    let mut versions: Vec<Version> = doc
        .pointer("/modules/0/versions")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|v| v.get("version")?.as_str()).filter_map(|s| Version::parse(s).ok()).collect())
        .unwrap_or_default();
    versions.sort();
    // Highest matching version; pre-releases only when a constraint names them exactly.
    let best = versions
        .iter()
        .rev()
        .find(|v| satisfies(v, &constraints) && (v.to_string().find('-').is_none() || constraint.is_some_and(|c| c.contains('-'))))
        .ok_or_else(|| {
            format!(
                "no version of {addr} on {host} matches {:?} (available: {})",
                constraint.unwrap_or("any"),
                versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            )
        })?;
    let url = format!("{base}{addr}/{best}/download");
    let (headers, body) = http_get(&url).await?;
    let location = headers
        .or_else(|| serde_json::from_slice::<serde_json::Value>(&body).ok()?.get("location")?.as_str().map(str::to_string))
        .ok_or_else(|| format!("registry {host}: the download of {addr} {best} gave no X-Terraform-Get location"))?;
    Ok((best.to_string(), resolve_url(&url, &location)))
}

/// GET: (X-Terraform-Get header, body), for 2xx answers only.
async fn http_get(url: &str) -> std::result::Result<(Option<String>, Bytes), String> {
    use hyper_util::client::legacy::Client;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("cannot load the system's root certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(hyper_util::rt::TokioExecutor::new()).build(https);
    let uri: hyper::Uri = url.parse().map_err(|e| format!("invalid URL {url}: {e}"))?;
    let req = hyper::Request::get(uri)
        .header("user-agent", concat!("contin/", env!("CARGO_PKG_VERSION")))
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("invalid request for {url}: {e}"))?;
    let resp = tokio::time::timeout(std::time::Duration::from_secs(60), client.request(req))
        .await
        .map_err(|_| format!("GET {url}: timed out after 60 s"))?
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    let get = resp.headers().get("x-terraform-get").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = Limited::new(resp.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| format!("GET {url}: {e} (responses are limited to {MAX_RESPONSE_BYTES} bytes)"))?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}"));
    }
    Ok((get, body))
}

/// The installed modules' root, for messages.
pub fn install_dir(root: &Path) -> PathBuf {
    root.join(INSTALL_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_split_and_classify() {
        assert_eq!(split_subdir("git::https://h/r.git//mods/vpc?ref=v1"), ("git::https://h/r.git?ref=v1".into(), Some("mods/vpc".into())));
        assert_eq!(split_subdir("acme/vpc/aws"), ("acme/vpc/aws".into(), None));
        assert_eq!(split_subdir("acme/vpc/aws//modules/x"), ("acme/vpc/aws".into(), Some("modules/x".into())));
        assert_eq!(registry_address("acme/vpc/aws"), Some((DEFAULT_REGISTRY.into(), "acme/vpc/aws".into())));
        assert_eq!(registry_address("localhost:8080/acme/vpc/aws"), Some(("localhost:8080".into(), "acme/vpc/aws".into())));
        assert_eq!(registry_address("a/b"), None);
        assert_eq!(resolve_url("http://h:1/v1/modules/a/b/c/1.0.0/download", "/files/x"), "http://h:1/files/x");
        assert_eq!(resolve_url("http://h:1/.well-known/terraform.json", "/v1/modules/"), "http://h:1/v1/modules/");
        assert_eq!(resolve_url("http://h:1/a/b", "c"), "http://h:1/a/c");
        assert_eq!(host_url("registry.terraform.io"), "https://registry.terraform.io");
        assert_eq!(host_url("127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
