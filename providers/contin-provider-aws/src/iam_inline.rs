//! IAM inline role policies (aws-sdk-iam): `aws_iam_role_policy`. Schema
//! lives here.
//!
//! The policy is identified by `<role>:<name>` (Terraform's id and import
//! syntax). Crash safety by content identity: inline policies carry no tags,
//! but the name is known before the create (configured, or `name_prefix`/
//! "contin-" + 26 characters derived from the create's lineage/address/
//! generation) and `PutRolePolicy` is an upsert, so a re-run after a crash
//! writes the same document under the same name: no duplicate. As in
//! Terraform, a configured name that already exists on the role is
//! overwritten (IAM cannot tell who wrote it).
//!
//! `policy` is compared by meaning (`policy.rs`): the configured spelling
//! stays in state while IAM's copy means the same.

use crate::policy;
use crate::util::*;
use crate::Inner;
use contin_provider::{
    AttrSchema as A, AttrType as T, BlockSchema, OpContext, PlannedChange, ProviderError,
};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const IAM_ROLE_POLICY: &str = "aws_iam_role_policy";

/// IAM's limit for an inline policy name.
const MAX_NAME: usize = 128;

pub fn role_policy() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(T::String).force_new())
        .attr(
            "name_prefix",
            A::optional(T::String)
                .force_new()
                .describe("a unique name starting with this prefix (when name is not set)"),
        )
        .attr(
            "role",
            A::required(T::String)
                .force_new()
                .describe("name of the role the policy is embedded in"),
        )
        .attr(
            "policy",
            A::required(T::String)
                .describe("JSON policy document; compared by meaning, not by text"),
        )
        .attr("id", A::computed(T::String))
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(IAM_ROLE_POLICY.into(), role_policy());
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    if ty != IAM_ROLE_POLICY {
        return;
    }
    if let Some(Value::String(doc)) = get(cfg, "policy").map(Value::unmarked) {
        if let Err(why) = policy::parse(doc) {
            d.push(Diagnostic::error(format!("policy: {why}")));
        }
    }
    if get_str(cfg, "name").is_some() && get_str(cfg, "name_prefix").is_some() {
        d.push(Diagnostic::error(
            "name: conflicts with name_prefix; set one of them",
        ));
    }
    for (arg, limit) in [("name", MAX_NAME), ("name_prefix", MAX_NAME - 26)] {
        if let Some(n) = get_str(cfg, arg) {
            if n.is_empty()
                || n.len() > limit
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
            {
                d.push(Diagnostic::error(format!(
                    "{arg}: 1 to {limit} characters from a-z, A-Z, 0-9 and +=,.@_-, got {n:?}"
                )));
            }
        }
    }
    if let Some(r) = get_str(cfg, "role") {
        if r.starts_with("arn:") {
            d.push(Diagnostic::error(format!(
                "role: the role's name, not its ARN, got {r:?}"
            )));
        }
    }
}

/// Plan adjustment: a document that means the same as the state's keeps the state's spelling.
pub(crate) fn adjust(ty: &str, prior: Option<&Value>, change: &mut PlannedChange) {
    let Some(prior) = prior else { return };
    if ty != IAM_ROLE_POLICY || !change.requires_replace.is_empty() {
        return;
    }
    if let (Some(old), Some(new)) = (get_str(prior, "policy"), get_str(&change.planned, "policy")) {
        if old != new && policy::equivalent(old, new) {
            let old = Value::string(old);
            if let Value::Map(m) = &mut change.planned {
                m.insert("policy".into(), old);
            }
        }
    }
}

/// `<role>:<name>` split at the first colon (role names hold no colon).
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once(':')
        .filter(|(r, n)| !r.is_empty() && !n.is_empty())
}

async fn read_policy(
    inner: &Inner,
    role: &str,
    name: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{IAM_ROLE_POLICY} {role}:{name}");
    let out = match inner
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .map_err(|e| api_err(&what, e))
    {
        Ok(o) => o,
        Err(e) if is_code(&e, "NoSuchEntity") => return Ok(None),
        Err(e) => return Err(e),
    };
    let doc = policy::url_decode(out.policy_document());
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::String(format!("{role}:{name}")));
    m.insert("role".into(), Value::string(out.role_name()));
    m.insert("name".into(), Value::string(out.policy_name()));
    m.insert(
        "name_prefix".into(),
        get(shape, "name_prefix").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "policy".into(),
        Value::String(policy::keep_spelling(&doc, get_str(shape, "policy"))),
    );
    Ok(Some(complete(&role_policy(), m)))
}

async fn put(
    inner: &Inner,
    what: &str,
    role: &str,
    name: &str,
    planned: &Value,
) -> Result<(), ProviderError> {
    let doc = get_str(planned, "policy")
        .ok_or_else(|| ProviderError::Invalid(format!("{what}: policy is not known")))?;
    inner
        .iam
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(doc)
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(())
}

fn role_of<'a>(what: &str, v: &'a Value) -> Result<&'a str, ProviderError> {
    get_str(v, "role").ok_or_else(|| ProviderError::Invalid(format!("{what}: role is not known")))
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    let (Some(role), Some(name)) = (get_str(state, "role"), get_str(state, "name")) else {
        return match get_str(state, "id").and_then(split_id) {
            Some((role, name)) => read_policy(inner, role, name, state).await,
            None => Ok(None),
        };
    };
    read_policy(inner, role, name, state).await
}

pub(crate) async fn create(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let role = role_of(&what, planned)?;
    let name = crate::iam::object_name(planned, ctx);
    put(inner, &what, role, &name, planned).await?;
    kill_hook(ctx);
    read_policy(inner, role, &name, planned)
        .await?
        .ok_or_else(|| vanished(&what, &name))
}

pub(crate) async fn update(
    inner: &Inner,
    addr: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let role = role_of(addr, prior)?;
    let name = get_str(prior, "name")
        .ok_or_else(|| ProviderError::Invalid(format!("{addr}: no policy name in state")))?;
    put(inner, addr, role, name, planned).await?;
    read_policy(inner, role, name, planned)
        .await?
        .ok_or_else(|| vanished(addr, name))
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(role), Some(name)) = (get_str(prior, "role"), get_str(prior, "name")) else {
        return Ok(());
    };
    match inner
        .iam
        .delete_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .map_err(|e| api_err(addr, e))
    {
        Err(e) if is_code(&e, "NoSuchEntity") => Ok(()),
        other => other.map(|_| ()),
    }
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    let (role, name) = split_id(id).ok_or_else(|| {
        ProviderError::Invalid(format!(
            "{IAM_ROLE_POLICY}: import id {id:?} is not <role name>:<policy name>"
        ))
    })?;
    read_policy(inner, role, name, &Value::Null).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_argument() {
        let cfg = Value::map(vec![
            ("name", Value::string("bad name")),
            ("name_prefix", Value::string("p")),
            ("role", Value::string("arn:aws:iam::1:role/x")),
            ("policy", Value::string("[1]")),
        ]);
        let mut d = Diagnostics::new();
        validate(IAM_ROLE_POLICY, &cfg, &mut d);
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        for (m, prefix) in msgs.iter().zip([
            "policy: a policy document",
            "name: conflicts",
            "name: 1 to 128",
            "role: the role's name",
        ]) {
            assert!(m.starts_with(prefix), "{m}");
        }
        let ok = Value::map(vec![
            ("role", Value::string("r")),
            (
                "policy",
                Value::string(r#"{"Version":"2012-10-17","Statement":[]}"#),
            ),
        ]);
        let mut d = Diagnostics::new();
        validate(IAM_ROLE_POLICY, &ok, &mut d);
        assert!(d.0.is_empty(), "{d:?}");
    }

    #[test]
    fn ids_split_at_the_first_colon() {
        assert_eq!(split_id("role:pol"), Some(("role", "pol")));
        assert_eq!(split_id("role:"), None);
        assert_eq!(split_id("nocolon"), None);
    }
}
