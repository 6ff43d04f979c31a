//! `docker_image`: inspect, pull when absent, remove unless `keep_locally`.

use crate::client::{self, Client, CallError};
use crate::{api_err, get_bool, jstr, set};
use contin_provider::ProviderError;
use contin_types::{Diagnostic, Diagnostics, Value};
use hyper::Method;

/// Encodes an image reference for a path: `/`, `:` and `@` stay (the
/// daemon's route takes the rest of the path as the name).
pub(crate) fn path_ref(name: &str) -> String {
    name.split('/').map(|seg| seg.split(':').map(|p| p.split('@').map(client::encode).collect::<Vec<_>>().join("@")).collect::<Vec<_>>().join(":")).collect::<Vec<_>>().join("/")
}

pub(crate) fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(Value::String(n)) = cfg.attr("name") {
        if n.trim().is_empty() || n.chars().any(|c| c.is_whitespace() || c.is_control()) {
            d.push(Diagnostic::error(format!("name: {n:?} is not an image reference (examples: nginx, nginx:1.27, ghcr.io/org/app@sha256:…)")));
        }
    }
    d
}

/// GET /images/{name}/json; `None` on 404.
pub(crate) async fn inspect(c: &Client, name: &str) -> Result<Option<serde_json::Value>, ProviderError> {
    match c.json(Method::GET, &format!("/images/{}/json", path_ref(name)), None).await {
        Ok(j) => Ok(Some(j)),
        Err(CallError::Status { status: 404, .. }) => Ok(None),
        Err(e) => Err(api_err(&format!("docker image {name:?}: inspect"), e)),
    }
}

/// POST /images/create?fromImage=…&tag=… ; errors in the progress stream count.
pub(crate) fn pull_path(name: &str, platform: Option<&str>) -> String {
    let (from, tag) = client::split_reference(name);
    let mut p = format!("/images/create?fromImage={}", client::encode(&from));
    if let Some(t) = tag {
        p.push_str(&format!("&tag={}", client::encode(&t)));
    }
    if let Some(pl) = platform.filter(|p| !p.is_empty()) {
        p.push_str(&format!("&platform={}", client::encode(pl)));
    }
    p
}

async fn pull(c: &Client, name: &str, platform: Option<&str>) -> Result<(), ProviderError> {
    let what = format!("docker image {name:?}: pull");
    let body = c
        .call(Method::POST, &pull_path(name, platform), None, client::MAX_PULL_RESPONSE_BYTES, client::PULL_TIMEOUT)
        .await
        .map_err(|e| api_err(&what, e))?;
    match client::pull_stream_error(&body) {
        Some(e) => Err(ProviderError::Api { code: "pull".into(), message: format!("{what}: {e}") }),
        None => Ok(()),
    }
}

/// The repo digest of `name`'s repository, else the first one.
pub(crate) fn repo_digest(inspect: &serde_json::Value, name: &str) -> String {
    let digests: Vec<&str> = inspect.get("RepoDigests").and_then(|d| d.as_array()).map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
    let (repo, _) = client::split_reference(name);
    let repo = repo.split('@').next().unwrap_or(&repo).to_string();
    digests.iter().find(|d| d.split('@').next() == Some(repo.as_str())).or(digests.first()).map(|s| s.to_string()).unwrap_or_default()
}

fn fill(v: &mut Value, name: &str, inspect: &serde_json::Value) -> Result<(), ProviderError> {
    let id = jstr(inspect, &["Id"]).ok_or_else(|| ProviderError::Failed(format!("docker image {name:?}: the daemon's inspect answer has no Id")))?;
    let id = if id.starts_with("sha256:") { id.to_string() } else { format!("sha256:{id}") };
    set(v, "image_id", Value::string(id.clone()));
    set(v, "id", Value::string(format!("{id}{name}")));
    set(v, "repo_digest", Value::string(repo_digest(inspect, name)));
    Ok(())
}

pub(crate) async fn create(c: &Client, planned: &Value) -> Result<Value, ProviderError> {
    let name = planned.attr_str("name").ok_or_else(|| ProviderError::Invalid("docker_image: name is required".into()))?.to_string();
    let j = match inspect(c, &name).await? {
        Some(j) => j,
        None => {
            pull(c, &name, planned.attr_str("platform")).await?;
            inspect(c, &name).await?.ok_or_else(|| ProviderError::Failed(format!("docker image {name:?}: pulled, but the daemon does not know it afterwards")))?
        }
    };
    let mut v = planned.clone();
    fill(&mut v, &name, &j)?;
    Ok(v)
}

/// Reads by `image_id` (gone when the daemon no longer has it).
pub(crate) async fn read(c: &Client, state: &Value) -> Result<Option<Value>, ProviderError> {
    let name = state.attr_str("name").unwrap_or_default().to_string();
    let key = state.attr_str("image_id").unwrap_or(&name).to_string();
    if key.is_empty() {
        return Ok(None);
    }
    let Some(j) = inspect(c, &key).await? else { return Ok(None) };
    let mut v = state.clone();
    fill(&mut v, &name, &j)?;
    if let Some(prior) = state.attr_str("repo_digest").filter(|p| !p.is_empty()) {
        set(&mut v, "repo_digest", Value::string(prior));
    }
    Ok(Some(v))
}

/// `planned` with the computed attributes of `prior`.
pub(crate) fn merge_computed(planned: &Value, prior: &Value) -> Value {
    let mut v = planned.clone();
    for k in ["id", "image_id", "repo_digest"] {
        if let Some(x) = prior.attr(k) {
            set(&mut v, k, x.clone());
        }
    }
    v
}

pub(crate) async fn delete(c: &Client, prior: &Value) -> Result<(), ProviderError> {
    if get_bool(prior, "keep_locally") == Some(true) {
        return Ok(());
    }
    let name = prior.attr_str("name").unwrap_or_default();
    let key = if name.is_empty() { prior.attr_str("image_id").unwrap_or_default() } else { name };
    if key.is_empty() {
        return Ok(());
    }
    let force = get_bool(prior, "force_remove") == Some(true);
    match c.call(Method::DELETE, &format!("/images/{}?force={force}", path_ref(key)), None, client::MAX_RESPONSE_BYTES, client::CALL_TIMEOUT).await {
        Ok(_) | Err(CallError::Status { status: 404, .. }) => Ok(()),
        Err(e) => Err(api_err(&format!("docker image {key:?}: remove"), e)),
    }
}

/// `data "docker_image"`: the local image (no pull).
pub(crate) async fn read_data(c: &Client, cfg: &Value) -> Result<Value, ProviderError> {
    let name = cfg.attr_str("name").ok_or_else(|| ProviderError::Invalid("data docker_image: name is required".into()))?;
    let j = inspect(c, name).await?.ok_or_else(|| ProviderError::Api { code: "404".into(), message: format!("data docker_image: no local image {name:?}") })?;
    let mut v = cfg.clone();
    set(&mut v, "id", Value::string(jstr(&j, &["Id"]).unwrap_or_default()));
    set(&mut v, "repo_digest", Value::string(repo_digest(&j, name)));
    Ok(v)
}
