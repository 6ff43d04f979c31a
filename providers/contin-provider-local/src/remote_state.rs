//! `data "terraform_remote_state"`: the root outputs of another
//! configuration's state, Terraform's built-in data source.
//!
//! Backend `local` only (`config.path`, default `terraform.tfstate`;
//! another workspace under `config.workspace_dir`, default
//! `terraform.tfstate.d/<workspace>/terraform.tfstate`), relative to the
//! configuration directory. Both Terraform's state format (version 4) and
//! contin's read: each keeps `outputs` as `{name: {value, sensitive}}`. A
//! missing state file gives no outputs (Terraform does the same), so
//! `defaults` apply. Sensitive outputs stay marked sensitive.

use crate::{attr, attr_str};
use contin_provider::{AttrSchema, AttrType, BlockSchema, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub const TERRAFORM_REMOTE_STATE: &str = "terraform_remote_state";

/// A state file larger than this is refused (it would not be a state).
const MAX_STATE_BYTES: u64 = 512 * 1024 * 1024;

pub fn schema() -> BlockSchema {
    BlockSchema::default()
        .attr("backend", AttrSchema::required(AttrType::String).describe("where the state is kept: local"))
        .attr("config", AttrSchema::optional(AttrType::Any).describe("the backend's settings (local: path, workspace_dir)"))
        .attr("workspace", AttrSchema::optional(AttrType::String).describe("default \"default\""))
        .attr("defaults", AttrSchema::optional(AttrType::Any).describe("outputs used when the state lacks them"))
        .attr("outputs", AttrSchema::computed(AttrType::Any).describe("the state's root outputs"))
}

fn invalid(msg: String) -> ProviderError {
    ProviderError::Invalid(format!("data.{TERRAFORM_REMOTE_STATE}: {msg}"))
}

pub async fn read(cfg: &Value, base_dir: &Path) -> Result<Value, ProviderError> {
    let backend = attr_str(cfg, "backend").unwrap_or_default();
    if backend != "local" {
        return Err(invalid(format!(
            "backend {backend:?} is not supported; contin reads remote state from the \"local\" backend only"
        )));
    }
    let config = attr(cfg, "config").cloned().unwrap_or(Value::Null);
    let workspace = attr_str(cfg, "workspace").unwrap_or("default");
    let path = match workspace {
        "default" => base_dir.join(attr_str(&config, "path").unwrap_or("terraform.tfstate")),
        ws => base_dir.join(attr_str(&config, "workspace_dir").unwrap_or("terraform.tfstate.d")).join(ws).join("terraform.tfstate"),
    };
    let mut outputs: BTreeMap<String, Value> = match attr(cfg, "defaults").map(Value::unmarked) {
        Some(Value::Map(m)) => m.clone(),
        Some(other) => return Err(invalid(format!("defaults must be an object, got {}", other.type_name()))),
        None => BTreeMap::new(),
    };
    match tokio::fs::metadata(&path).await {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(invalid(format!("cannot read {}: {e}", path.display()))),
        Ok(m) if m.len() > MAX_STATE_BYTES => {
            return Err(invalid(format!("{} is larger than {} MB", path.display(), MAX_STATE_BYTES / (1024 * 1024))))
        }
        Ok(_) => {
            let bytes = tokio::fs::read(&path).await.map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
            outputs.extend(parse_outputs(&bytes).map_err(|why| invalid(format!("{}: {why}", path.display())))?);
        }
    }
    let mut m = match cfg.unmarked() {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    m.insert("outputs".into(), Value::Map(outputs));
    Ok(Value::Map(m))
}

/// The root outputs of a state document (Terraform v4 or contin).
fn parse_outputs(bytes: &[u8]) -> Result<BTreeMap<String, Value>, String> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("not a state file: {e}"))?;
    let Some(doc) = doc.as_object() else { return Err("not a state file: the document is not an object".into()) };
    let mut out = BTreeMap::new();
    let Some(outputs) = doc.get("outputs") else { return Ok(out) };
    let Some(outputs) = outputs.as_object() else { return Err("\"outputs\" is not an object".into()) };
    for (name, o) in outputs {
        let value = o.get("value").map(Value::from_json).unwrap_or(Value::Null);
        let sensitive = o.get("sensitive").and_then(serde_json::Value::as_bool).unwrap_or(false);
        out.insert(name.clone(), if sensitive { Value::Sensitive(Box::new(value)) } else { value });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs)
    }

    #[tokio::test]
    async fn reads_terraform_and_contin_states_with_defaults_and_sensitive_outputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("terraform.tfstate"),
            r#"{"version":4,"terraform_version":"1.11.4","serial":3,"lineage":"x","outputs":{"security_group":{"value":"sg-123","type":"string"},"secret":{"value":"p","type":"string","sensitive":true}},"resources":[]}"#,
        )
        .unwrap();
        let c = cfg(vec![("backend", Value::string("local")), ("defaults", Value::map([("extra", Value::int(1)), ("security_group", Value::string("old"))]))]);
        let v = read(&c, dir.path()).await.unwrap();
        let outputs = attr(&v, "outputs").unwrap();
        assert_eq!(attr(outputs, "security_group"), Some(&Value::string("sg-123")), "the state wins over defaults");
        assert_eq!(attr(outputs, "extra"), Some(&Value::int(1)));
        assert!(matches!(attr(outputs, "secret"), Some(Value::Sensitive(_))));

        // contin's own state, in another workspace directory.
        std::fs::create_dir_all(dir.path().join("ws/prod")).unwrap();
        std::fs::write(dir.path().join("ws/prod/terraform.tfstate"), r#"{"version":1,"lineage":"L","serial":1,"resources":[],"outputs":{"o":{"value":[1,2],"sensitive":false}}}"#).unwrap();
        let c = cfg(vec![("backend", Value::string("local")), ("workspace", Value::string("prod")), ("config", Value::map([("workspace_dir", Value::string("ws"))]))]);
        let v = read(&c, dir.path()).await.unwrap();
        assert_eq!(attr(attr(&v, "outputs").unwrap(), "o"), Some(&Value::List(vec![Value::int(1), Value::int(2)])));
    }

    #[tokio::test]
    async fn missing_state_gives_no_outputs_and_bad_input_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(vec![("backend", Value::string("local")), ("config", Value::map([("path", Value::string("../nothing.tfstate"))]))]);
        let v = read(&c, dir.path()).await.unwrap();
        assert_eq!(attr(&v, "outputs"), Some(&Value::Map(BTreeMap::new())));
        std::fs::write(dir.path().join("terraform.tfstate"), "{not json").unwrap();
        let err = read(&cfg(vec![("backend", Value::string("local"))]), dir.path()).await.unwrap_err().to_string();
        assert!(err.contains("terraform.tfstate: not a state file"), "{err}");
        std::fs::write(dir.path().join("terraform.tfstate"), r#"{"outputs": 5}"#).unwrap();
        let err = read(&cfg(vec![("backend", Value::string("local"))]), dir.path()).await.unwrap_err().to_string();
        assert!(err.contains("\"outputs\" is not an object"), "{err}");
        let err = read(&cfg(vec![("backend", Value::string("s3"))]), dir.path()).await.unwrap_err().to_string();
        assert!(err.contains("backend \"s3\" is not supported"), "{err}");
    }
}
