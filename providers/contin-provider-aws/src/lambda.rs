//! Lambda (aws-sdk-lambda): `aws_lambda_function` and `aws_lambda_permission`.
//! Schemas live here.
//!
//! `aws_lambda_function`: the code comes from `filename` (a zip on disk,
//! resolved against the working directory as Terraform does: the root
//! module's directory; at most [`MAX_ZIP_BYTES`], Lambda's direct-upload
//! limit), `s3_bucket`/`s3_key`/`s3_object_version`, or `image_uri`. The code
//! is uploaded again when `filename`, the S3 location, `image_uri` or
//! `source_code_hash` changes (Terraform's rule: contin does not read the file
//! at plan time, so a zip rewritten in place without a new `source_code_hash`
//! is not noticed). `source_code_hash` keeps the configured value in state;
//! unset, it reads as Lambda's `CodeSha256` (base64 SHA-256 of the zip, what
//! `filebase64sha256()` returns). `version` is `$LATEST` unless `publish` is
//! true (then the newest published version); `qualified_arn` is `arn:version`.
//! `reserved_concurrent_executions` = -1 means unreserved (Terraform's default).
//!
//! Crash safety: the function name is configured (required) and
//! `CreateFunction` carries the bookkeeping tags; a re-run that meets
//! `ResourceConflictException` adopts the function when its tags say it was
//! made for this create (then converges code and configuration), and refuses
//! otherwise. Every change waits until the function is `Active` and its last
//! update finished (Lambda refuses a second update while one is in progress).
//!
//! `aws_lambda_permission`: one statement of the function's resource policy,
//! id = `statement_id` (configured, or `statement_id_prefix`/"contin-" + 26
//! characters derived from the create's identity). Statements have no tags:
//! crash safety by content identity: a re-run that meets the statement id
//! adopts the statement when action, principal and source ARN are the ones
//! planned, and refuses otherwise. Every argument replaces the statement (as
//! in Terraform). Import id: `<function name>/<statement id>`.
//!
//! moto (5.x) serves create/get/update/delete, tags, versions, concurrency and
//! permissions without docker (invoking needs docker; contin never invokes).
//! moto gap: `AddPermission` accepts a duplicate statement id (Lambda answers
//! `ResourceConflictException`), so the create looks the statement up first.

use crate::util::*;
use crate::Inner;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, PackageType, Runtime, VpcConfig,
};
use contin_provider::{
    AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, OpContext,
    PlannedChange, ProviderError,
};
use contin_types::{Diagnostic, Diagnostics, Value};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};

pub const LAMBDA_FUNCTION: &str = "aws_lambda_function";
pub const LAMBDA_PERMISSION: &str = "aws_lambda_permission";

/// Largest zip `filename` may name: Lambda's limit for a direct upload.
pub const MAX_ZIP_BYTES: u64 = 50 * 1024 * 1024;
/// Largest resource policy parsed when reading a permission.
const MAX_POLICY_BYTES: usize = 256 * 1024;

pub(crate) fn is_lambda(ty: &str) -> bool {
    matches!(ty, LAMBDA_FUNCTION | LAMBDA_PERMISSION)
}

fn s() -> T {
    T::String
}
fn list_s() -> T {
    T::List(Box::new(T::String))
}
fn set_s() -> T {
    T::Set(Box::new(T::String))
}
fn one(block: BlockSchema) -> NestedBlockSchema {
    NestedBlockSchema {
        nesting: Nesting::List,
        block,
        min_items: 0,
        max_items: Some(1),
        force_new: false,
    }
}

pub fn function() -> BlockSchema {
    BlockSchema::default()
        .attr("function_name", A::required(s()).force_new())
        .attr(
            "role",
            A::required(s()).describe("ARN of the execution role"),
        )
        .attr("handler", A::optional(s()))
        .attr(
            "runtime",
            A::optional(s()).describe("e.g. python3.12, nodejs20.x"),
        )
        .attr(
            "filename",
            A::optional(s())
                .describe("path of the deployment zip (relative to the working directory)"),
        )
        .attr("s3_bucket", A::optional(s()))
        .attr("s3_key", A::optional(s()))
        .attr("s3_object_version", A::optional(s()))
        .attr("image_uri", A::optional(s()))
        .attr(
            "package_type",
            A::optional_computed(s())
                .force_new()
                .describe("Zip (default) or Image"),
        )
        .attr(
            "source_code_hash",
            A::optional_computed(s())
                .describe("changes trigger a code upload; usually filebase64sha256(filename)"),
        )
        .attr("description", A::optional(s()))
        .attr(
            "timeout",
            A::optional_computed(T::Number).describe("seconds; default 3"),
        )
        .attr(
            "memory_size",
            A::optional_computed(T::Number).describe("MB; default 128"),
        )
        .attr(
            "publish",
            A::optional(T::Bool).describe("publish a new version on every change; default false"),
        )
        .attr(
            "architectures",
            A::optional_computed(list_s()).describe("[\"x86_64\"] (default) or [\"arm64\"]"),
        )
        .attr(
            "layers",
            A::optional(list_s()).describe("layer version ARNs"),
        )
        .attr("kms_key_arn", A::optional(s()))
        .attr(
            "reserved_concurrent_executions",
            A::optional_computed(T::Number).describe("-1 (default) = unreserved"),
        )
        .attr(
            "skip_destroy",
            A::optional(T::Bool).describe("keep the function at destroy (only removed from state)"),
        )
        .attr(
            "tags",
            A::optional(T::Map(Box::new(s()))).describe(
                "tags of the function; provider default tags are added, resource tags win",
            ),
        )
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("invoke_arn", A::computed(s()))
        .attr("qualified_arn", A::computed(s()))
        .attr("qualified_invoke_arn", A::computed(s()))
        .attr("version", A::computed(s()))
        .attr("last_modified", A::computed(s()))
        .attr("source_code_size", A::computed(T::Number))
        .attr("code_sha256", A::computed(s()))
        .block(
            "environment",
            one(BlockSchema::default().attr("variables", A::optional(T::Map(Box::new(s()))))),
        )
        .block(
            "vpc_config",
            one(BlockSchema::default()
                .attr("subnet_ids", A::required(set_s()))
                .attr("security_group_ids", A::required(set_s()))
                .attr("vpc_id", A::computed(s()))),
        )
}

pub fn permission() -> BlockSchema {
    let fn_ = |a: A| a.force_new();
    BlockSchema::default()
        .attr(
            "action",
            fn_(A::required(s())).describe("e.g. lambda:InvokeFunction"),
        )
        .attr(
            "function_name",
            fn_(A::required(s())).describe("name or ARN of the function"),
        )
        .attr(
            "principal",
            fn_(A::required(s())).describe("service (s3.amazonaws.com), account id or ARN"),
        )
        .attr("statement_id", fn_(A::optional_computed(s())))
        .attr("statement_id_prefix", fn_(A::optional(s())))
        .attr("source_arn", fn_(A::optional(s())))
        .attr("source_account", fn_(A::optional(s())))
        .attr("qualifier", fn_(A::optional(s())))
        .attr("event_source_token", fn_(A::optional(s())))
        .attr("principal_org_id", fn_(A::optional(s())))
        .attr(
            "function_url_auth_type",
            fn_(A::optional(s())).describe("AWS_IAM or NONE"),
        )
        .attr("id", A::computed(s()))
}

pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.resources.insert(LAMBDA_FUNCTION.into(), function());
    p.resources.insert(LAMBDA_PERMISSION.into(), permission());
}

// ------------------------------------------------------------------ planning

/// An argument and its default.
type ArgDefault = (&'static str, fn() -> Value);

const FUNCTION_DEFAULTS: &[ArgDefault] = &[
    ("package_type", || Value::string("Zip")),
    ("timeout", || Value::int(3)),
    ("memory_size", || Value::int(128)),
    ("publish", || Value::Bool(false)),
    ("architectures", || {
        Value::List(vec![Value::string("x86_64")])
    }),
    ("reserved_concurrent_executions", || Value::int(-1)),
    ("skip_destroy", || Value::Bool(false)),
];

fn with_defaults(desired: &Value) -> Value {
    let Value::Map(m) = desired else {
        return desired.clone();
    };
    let mut m = m.clone();
    for (k, default) in FUNCTION_DEFAULTS {
        if m.get(*k).is_none_or(Value::is_null) {
            m.insert((*k).to_string(), default());
        }
    }
    Value::Map(m)
}

fn code_changed(prior: &Value, planned: &Value) -> bool {
    [
        "filename",
        "s3_bucket",
        "s3_key",
        "s3_object_version",
        "image_uri",
        "source_code_hash",
    ]
    .iter()
    .any(|k| get(prior, k) != get(planned, k))
}

/// Re-plans `aws_lambda_function` with Terraform's defaults filled in (an
/// argument removed from the configuration goes back to its default) and
/// marks what an in-place update recomputes unknown.
pub(crate) fn replan(
    ty: &str,
    block: &BlockSchema,
    prior: Option<&Value>,
    desired: &Value,
    change: &mut PlannedChange,
) {
    if ty != LAMBDA_FUNCTION {
        return;
    }
    let (plain, _) = desired.unmark_deep();
    *change = contin_provider::plan_change_from_schema(block, prior, &with_defaults(&plain));
    let Some(prior) = prior.filter(|p| !p.is_null()) else {
        return;
    };
    if !change.requires_replace.is_empty() || change.planned == *prior {
        return;
    }
    let code = code_changed(prior, &change.planned);
    let publish = get_bool(&change.planned, "publish") == Some(true);
    let source_hash_configured = get(&plain, "source_code_hash").is_some_and(|v| !v.is_null());
    if let Value::Map(m) = &mut change.planned {
        let configurable_changed = block
            .attributes
            .iter()
            .filter(|(k, a)| !a.is_computed_only() && *k != "tags" && *k != "skip_destroy")
            .any(|(k, _)| m.get(k) != get(prior, k))
            || block.blocks.keys().any(|k| m.get(k) != get(prior, k));
        if configurable_changed {
            m.insert("last_modified".into(), Value::Unknown);
            if publish {
                for k in ["version", "qualified_arn", "qualified_invoke_arn"] {
                    m.insert(k.into(), Value::Unknown);
                }
            }
        }
        if code {
            for k in ["code_sha256", "source_code_size"] {
                m.insert(k.into(), Value::Unknown);
            }
            if !source_hash_configured {
                m.insert("source_code_hash".into(), Value::Unknown);
            }
        }
    }
}

/// Checks beyond the schema (pure).
pub(crate) fn validate(ty: &str, cfg: &Value, d: &mut Diagnostics) {
    match ty {
        LAMBDA_FUNCTION => {
            let set: Vec<&str> = ["filename", "s3_bucket", "image_uri"]
                .into_iter()
                .filter(|k| get(cfg, k).is_some_and(|v| !v.is_null()))
                .collect();
            if set.len() > 1 {
                d.push(Diagnostic::error(format!(
                    "{}: conflicts with {}; set one source of code",
                    set[0],
                    set[1..].join(", ")
                )));
            }
            if set.is_empty()
                && ["filename", "s3_bucket", "image_uri"]
                    .iter()
                    .all(|k| get(cfg, k).is_none())
            {
                d.push(Diagnostic::error(
                    "filename: one of filename, s3_bucket (with s3_key) or image_uri must be set",
                ));
            }
            if get(cfg, "s3_bucket").is_some_and(|v| !v.is_null())
                && get(cfg, "s3_key").is_none_or(Value::is_null)
            {
                d.push(Diagnostic::error("s3_key: required with s3_bucket"));
            }
            if let Some(p) = get_str(cfg, "package_type") {
                if p != "Zip" && p != "Image" {
                    d.push(Diagnostic::error(format!(
                        "package_type: expected \"Zip\" or \"Image\", got {p:?}"
                    )));
                }
            }
            let image = get_str(cfg, "package_type") == Some("Image");
            if !image && get(cfg, "image_uri").is_some_and(|v| !v.is_null()) {
                d.push(Diagnostic::error(
                    "image_uri: requires package_type = \"Image\"",
                ));
            }
            if let Some(n) = get_i64(cfg, "timeout") {
                if !(1..=900).contains(&n) {
                    d.push(Diagnostic::error(format!(
                        "timeout: 1 to 900 seconds, got {n}"
                    )));
                }
            }
            if let Some(n) = get_i64(cfg, "memory_size") {
                if !(128..=10240).contains(&n) {
                    d.push(Diagnostic::error(format!(
                        "memory_size: 128 to 10240 MB, got {n}"
                    )));
                }
            }
            if let Some(n) = get_i64(cfg, "reserved_concurrent_executions") {
                if n < -1 {
                    d.push(Diagnostic::error(format!(
                        "reserved_concurrent_executions: -1 (unreserved) or more, got {n}"
                    )));
                }
            }
            let arch = get_strs(cfg, "architectures");
            if arch.len() > 1 || arch.iter().any(|a| a != "x86_64" && a != "arm64") {
                d.push(Diagnostic::error(format!(
                    "architectures: one of \"x86_64\" or \"arm64\", got {arch:?}"
                )));
            }
            if let Some(n) = get_str(cfg, "function_name") {
                if n.is_empty()
                    || n.len() > 64
                    || !n
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    d.push(Diagnostic::error(format!(
                        "function_name: 1 to 64 characters from a-z, A-Z, 0-9, '-', '_', got {n:?}"
                    )));
                }
            }
        }
        LAMBDA_PERMISSION => {
            if get_str(cfg, "statement_id").is_some()
                && get_str(cfg, "statement_id_prefix").is_some()
            {
                d.push(Diagnostic::error(
                    "statement_id: conflicts with statement_id_prefix; set one of them",
                ));
            }
            if let Some(t) = get_str(cfg, "function_url_auth_type") {
                if t != "AWS_IAM" && t != "NONE" {
                    d.push(Diagnostic::error(format!(
                        "function_url_auth_type: expected \"AWS_IAM\" or \"NONE\", got {t:?}"
                    )));
                }
            }
            if let Some(a) = get_str(cfg, "action") {
                if !a.starts_with("lambda:") {
                    d.push(Diagnostic::error(format!(
                        "action: a Lambda action such as \"lambda:InvokeFunction\", got {a:?}"
                    )));
                }
            }
        }
        _ => {}
    }
}

// ------------------------------------------------------------------ function

fn is_gone(e: &ProviderError) -> bool {
    is_code(e, "ResourceNotFoundException")
}

fn invoke_arn(arn: &str, region: &str) -> String {
    let partition = arn.split(':').nth(1).unwrap_or("aws");
    format!(
        "arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    )
}

fn num(n: Option<i32>) -> Value {
    n.map_or(Value::Null, |n| Value::int(i64::from(n)))
}

fn as_ec2_tags(m: &HashMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    m.iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// The newest published version (numbers compare as numbers), if any.
async fn latest_version(
    inner: &Inner,
    what: &str,
    name: &str,
) -> Result<Option<String>, ProviderError> {
    let all = inner
        .lambda
        .list_versions_by_function()
        .function_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(all
        .iter()
        .filter_map(|c| c.version())
        .filter_map(|v| v.parse::<u64>().ok())
        .max()
        .map(|v| v.to_string()))
}

async fn read_function(
    inner: &Inner,
    name: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LAMBDA_FUNCTION} {name}");
    let out = match inner
        .lambda
        .get_function()
        .function_name(name)
        .send()
        .await
        .map_err(|e| api_err(&what, e))
    {
        Ok(o) => o,
        Err(e) if is_gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(c) = out.configuration() else {
        return Ok(None);
    };
    let arn = c.function_arn().unwrap_or_default().to_string();
    let publish = get_bool(shape, "publish") == Some(true);
    let version = if publish {
        latest_version(inner, &what, name)
            .await?
            .unwrap_or_else(|| "$LATEST".into())
    } else {
        "$LATEST".into()
    };
    let qualified = format!("{arn}:{version}");
    let mut m = BTreeMap::new();
    m.insert(
        "id".to_string(),
        Value::string(c.function_name().unwrap_or(name)),
    );
    m.insert(
        "function_name".into(),
        Value::string(c.function_name().unwrap_or(name)),
    );
    m.insert("role".into(), opt_string(c.role()));
    m.insert("handler".into(), opt_string(c.handler()));
    m.insert(
        "runtime".into(),
        opt_string(c.runtime().map(Runtime::as_str)),
    );
    m.insert(
        "description".into(),
        opt_string(c.description().filter(|d| !d.is_empty())),
    );
    m.insert("timeout".into(), num(c.timeout()));
    m.insert("memory_size".into(), num(c.memory_size()));
    m.insert(
        "package_type".into(),
        Value::string(c.package_type().map_or("Zip", PackageType::as_str)),
    );
    let arch: Vec<String> = c
        .architectures()
        .iter()
        .map(|a| a.as_str().to_string())
        .collect();
    m.insert(
        "architectures".into(),
        str_list(if arch.is_empty() {
            vec!["x86_64".to_string()]
        } else {
            arch
        }),
    );
    let layers: Vec<String> = c
        .layers()
        .iter()
        .filter_map(|l| l.arn().map(String::from))
        .collect();
    m.insert(
        "layers".into(),
        if layers.is_empty() && get(shape, "layers").is_none_or(Value::is_null) {
            Value::Null
        } else {
            str_list(layers)
        },
    );
    m.insert(
        "kms_key_arn".into(),
        opt_string(c.kms_key_arn().filter(|k| !k.is_empty())),
    );
    let sha = c.code_sha256().unwrap_or_default();
    m.insert("code_sha256".into(), Value::string(sha));
    m.insert(
        "source_code_hash".into(),
        match get(shape, "source_code_hash") {
            Some(Value::String(h)) => Value::String(h.clone()),
            _ => Value::string(sha),
        },
    );
    m.insert("source_code_size".into(), Value::int(c.code_size()));
    m.insert("last_modified".into(), opt_string(c.last_modified()));
    let reserved = out
        .concurrency()
        .and_then(|x| x.reserved_concurrent_executions());
    m.insert(
        "reserved_concurrent_executions".into(),
        Value::int(reserved.map_or(-1, i64::from)),
    );
    // Where the code came from is configuration only (Lambda keeps a copy).
    for k in [
        "filename",
        "s3_bucket",
        "s3_key",
        "s3_object_version",
        "image_uri",
    ] {
        m.insert(k.into(), get(shape, k).cloned().unwrap_or(Value::Null));
    }
    if let Some(uri) = out.code().and_then(|code| code.image_uri()) {
        m.insert("image_uri".into(), Value::string(uri));
    }
    // State only: what the next change and destroy do.
    m.insert("publish".into(), Value::Bool(publish));
    m.insert(
        "skip_destroy".into(),
        Value::Bool(get_bool(shape, "skip_destroy") == Some(true)),
    );
    let vars: BTreeMap<String, Value> = c
        .environment()
        .and_then(|e| e.variables())
        .map(|v| {
            v.iter()
                .map(|(k, v)| (k.clone(), Value::string(v)))
                .collect()
        })
        .unwrap_or_default();
    let env = if vars.is_empty() && get_blocks(shape, "environment").is_empty() {
        Value::List(vec![])
    } else {
        Value::List(vec![Value::map(vec![(
            "variables",
            if vars.is_empty() {
                Value::Null
            } else {
                Value::Map(vars)
            },
        )])])
    };
    m.insert("environment".into(), env);
    let vpc = match c.vpc_config().filter(|v| !v.subnet_ids().is_empty()) {
        Some(v) => Value::List(vec![Value::map(vec![
            (
                "subnet_ids",
                Value::set(v.subnet_ids().iter().map(Value::string).collect()),
            ),
            (
                "security_group_ids",
                Value::set(v.security_group_ids().iter().map(Value::string).collect()),
            ),
            ("vpc_id", opt_string(v.vpc_id())),
        ])]),
        None => Value::List(vec![]),
    };
    m.insert("vpc_config".into(), vpc);
    let tags = out.tags().map(as_ec2_tags).unwrap_or_default();
    m.insert("tags".into(), tags_value(&tags, &inner.default_tags, shape));
    m.insert(
        "invoke_arn".into(),
        Value::String(invoke_arn(&arn, &inner.region)),
    );
    m.insert(
        "qualified_invoke_arn".into(),
        Value::String(invoke_arn(&qualified, &inner.region)),
    );
    m.insert("qualified_arn".into(), Value::String(qualified));
    m.insert("version".into(), Value::String(version));
    m.insert("arn".into(), Value::String(arn));
    Ok(Some(complete(&function(), m)))
}

/// The zip `filename` names, bounded by [`MAX_ZIP_BYTES`].
async fn zip_of(what: &str, path: &str) -> Result<Vec<u8>, ProviderError> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| ProviderError::Invalid(format!("{what}: filename {path:?}: {e}")))?;
    if meta.len() > MAX_ZIP_BYTES {
        return Err(ProviderError::Invalid(format!(
            "{what}: filename {path:?} is {} bytes; the limit is {MAX_ZIP_BYTES} bytes (Lambda's direct upload; use s3_bucket/s3_key)",
            meta.len()
        )));
    }
    tokio::fs::read(path)
        .await
        .map_err(|e| ProviderError::Invalid(format!("{what}: filename {path:?}: {e}")))
}

async fn code_of(what: &str, planned: &Value) -> Result<FunctionCode, ProviderError> {
    let mut code = FunctionCode::builder();
    if let Some(path) = get_str(planned, "filename") {
        code = code.zip_file(Blob::new(zip_of(what, path).await?));
    }
    Ok(code
        .set_s3_bucket(get_str(planned, "s3_bucket").map(String::from))
        .set_s3_key(get_str(planned, "s3_key").map(String::from))
        .set_s3_object_version(get_str(planned, "s3_object_version").map(String::from))
        .set_image_uri(get_str(planned, "image_uri").map(String::from))
        .build())
}

fn environment_of(planned: &Value) -> Environment {
    let vars: HashMap<String, String> = get_blocks(planned, "environment")
        .first()
        .map(|e| str_map(get(e, "variables")).into_iter().collect())
        .unwrap_or_default();
    Environment::builder().set_variables(Some(vars)).build()
}

fn vpc_of(planned: &Value) -> VpcConfig {
    let block = get_blocks(planned, "vpc_config")
        .first()
        .copied()
        .cloned()
        .unwrap_or(Value::Null);
    VpcConfig::builder()
        .set_subnet_ids(Some(get_strs(&block, "subnet_ids")))
        .set_security_group_ids(Some(get_strs(&block, "security_group_ids")))
        .build()
}

fn architectures_of(planned: &Value) -> Option<Vec<Architecture>> {
    let a = get_strs(planned, "architectures");
    (!a.is_empty()).then(|| a.iter().map(|x| Architecture::from(x.as_str())).collect())
}

fn i32_of(v: &Value, k: &str) -> Option<i32> {
    get_i64(v, k).and_then(|n| i32::try_from(n).ok())
}

/// Waits until the function is Active and no update is in progress.
async fn wait_ready(inner: &Inner, what: &str, name: &str) -> Result<(), ProviderError> {
    let mut backoff = Backoff::new();
    loop {
        let c = inner
            .lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        let state = c
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "Active".into());
        let update = c
            .last_update_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "Successful".into());
        match (state.as_str(), update.as_str()) {
            ("Failed", _) | (_, "Failed") => {
                let why = c
                    .state_reason()
                    .or(c.last_update_status_reason())
                    .unwrap_or("no reason given");
                return Err(ProviderError::Failed(format!(
                    "{what}: function {name:?} failed: {why}"
                )));
            }
            ("Active" | "Inactive", "Successful") => return Ok(()),
            _ => {}
        }
        if !backoff.wait().await {
            return Err(ProviderError::Failed(format!(
                "{what}: function {name:?} is still {state}/{update} after the wait budget"
            )));
        }
    }
}

async fn live_tags(
    inner: &Inner,
    what: &str,
    arn: &str,
) -> Result<HashMap<String, String>, ProviderError> {
    let out = inner
        .lambda
        .list_tags()
        .resource(arn)
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    Ok(out.tags().cloned().unwrap_or_default())
}

async fn converge_tags(
    inner: &Inner,
    what: &str,
    arn: &str,
    planned: &Value,
) -> Result<(), ProviderError> {
    let live = live_tags(inner, what, arn).await?;
    let want = effective_tags(&inner.default_tags, planned);
    let (remove, set) = tag_changes(&live, want);
    let set: HashMap<String, String> = set.into_iter().collect();
    if !remove.is_empty() {
        inner
            .lambda
            .untag_resource()
            .resource(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    if !set.is_empty() {
        inner
            .lambda
            .tag_resource()
            .resource(arn)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    Ok(())
}

/// Brings the live function from `prior` to `planned`: configuration, code
/// (publishing when asked), concurrency. Tags are separate.
async fn converge(
    inner: &Inner,
    what: &str,
    name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let publish = get_bool(planned, "publish") == Some(true);
    let config_keys = [
        "role",
        "handler",
        "runtime",
        "description",
        "timeout",
        "memory_size",
        "layers",
        "kms_key_arn",
        "environment",
        "vpc_config",
    ];
    let config_changed = config_keys.iter().any(|k| get(prior, k) != get(planned, k));
    if config_changed {
        wait_ready(inner, what, name).await?;
        let image = get_str(planned, "package_type") == Some("Image");
        inner
            .lambda
            .update_function_configuration()
            .function_name(name)
            .set_role(get_str(planned, "role").map(String::from))
            .set_handler(if image {
                None
            } else {
                Some(get_str(planned, "handler").unwrap_or_default().to_string())
            })
            .set_runtime(if image {
                None
            } else {
                get_str(planned, "runtime").map(Runtime::from)
            })
            .description(get_str(planned, "description").unwrap_or_default())
            .set_timeout(i32_of(planned, "timeout"))
            .set_memory_size(i32_of(planned, "memory_size"))
            .set_layers(Some(get_strs(planned, "layers")))
            .kms_key_arn(get_str(planned, "kms_key_arn").unwrap_or_default())
            .environment(environment_of(planned))
            .vpc_config(vpc_of(planned))
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    let code = code_changed(prior, planned)
        || get(prior, "architectures") != get(planned, "architectures");
    if code {
        wait_ready(inner, what, name).await?;
        let c = code_of(what, planned).await?;
        inner
            .lambda
            .update_function_code()
            .function_name(name)
            .set_zip_file(c.zip_file().cloned())
            .set_s3_bucket(c.s3_bucket().map(String::from))
            .set_s3_key(c.s3_key().map(String::from))
            .set_s3_object_version(c.s3_object_version().map(String::from))
            .set_image_uri(c.image_uri().map(String::from))
            .set_architectures(architectures_of(planned))
            .publish(publish)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    } else if publish && config_changed {
        wait_ready(inner, what, name).await?;
        inner
            .lambda
            .publish_version()
            .function_name(name)
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
    }
    let (old, new) = (
        get_i64(prior, "reserved_concurrent_executions").unwrap_or(-1),
        get_i64(planned, "reserved_concurrent_executions").unwrap_or(-1),
    );
    if old != new {
        if new < 0 {
            inner
                .lambda
                .delete_function_concurrency()
                .function_name(name)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        } else {
            let n = i32::try_from(new).map_err(|_| {
                ProviderError::Invalid(format!(
                    "{what}: reserved_concurrent_executions {new} is out of range"
                ))
            })?;
            inner
                .lambda
                .put_function_concurrency()
                .function_name(name)
                .reserved_concurrent_executions(n)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
    }
    wait_ready(inner, what, name).await
}

async fn create_function(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    let name = get_str(planned, "function_name")
        .ok_or_else(|| ProviderError::Invalid(format!("{what}: function_name is not known")))?;
    let mut tags = effective_tags(&inner.default_tags, planned);
    tags.extend(bookkeeping_tags(ctx));
    let image = get_str(planned, "package_type") == Some("Image");
    let vpc = (!get_blocks(planned, "vpc_config").is_empty()).then(|| vpc_of(planned));
    let env = (!get_blocks(planned, "environment").is_empty()).then(|| environment_of(planned));
    let sent = inner
        .lambda
        .create_function()
        .function_name(name)
        .role(get_str(planned, "role").unwrap_or_default())
        .set_handler(get_str(planned, "handler").map(String::from))
        .set_runtime(get_str(planned, "runtime").map(Runtime::from))
        .code(code_of(what, planned).await?)
        .package_type(if image {
            PackageType::Image
        } else {
            PackageType::Zip
        })
        .set_description(get_str(planned, "description").map(String::from))
        .set_timeout(i32_of(planned, "timeout"))
        .set_memory_size(i32_of(planned, "memory_size"))
        .publish(get_bool(planned, "publish") == Some(true))
        .set_architectures(architectures_of(planned))
        .set_layers(Some(get_strs(planned, "layers")).filter(|l| !l.is_empty()))
        .set_kms_key_arn(get_str(planned, "kms_key_arn").map(String::from))
        .set_environment(env)
        .set_vpc_config(vpc)
        .set_tags(Some(tags.into_iter().collect()))
        .send()
        .await
        .map_err(|e| api_err(what, e));
    let current = match sent {
        Ok(_) => {
            kill_hook(ctx);
            // What CreateFunction does not set.
            let mut cur = match planned {
                Value::Map(m) => m.clone(),
                _ => BTreeMap::new(),
            };
            cur.insert("reserved_concurrent_executions".into(), Value::int(-1));
            Value::Map(cur)
        }
        Err(e) if is_code(&e, "ResourceConflictException") => {
            let arn = inner
                .lambda
                .get_function()
                .function_name(name)
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            let arn = arn
                .configuration()
                .and_then(|c| c.function_arn())
                .unwrap_or_default()
                .to_string();
            let live = live_tags(inner, what, &arn).await?;
            if !bookkeeping_tags(ctx)
                .iter()
                .all(|(k, v)| live.get(k) == Some(v))
            {
                return Err(ProviderError::Api {
                    code: "ResourceConflictException".into(),
                    message: format!("{what}: function {name:?} already exists and was not created by this resource; import it or choose another name"),
                });
            }
            // Adopted: converge everything from what is there.
            read_function(inner, name, &Value::Null)
                .await?
                .ok_or_else(|| vanished(what, name))?
        }
        Err(e) => return Err(e),
    };
    converge(inner, what, name, &current, planned).await?;
    read_function(inner, name, planned)
        .await?
        .ok_or_else(|| vanished(what, name))
}

async fn update_function(
    inner: &Inner,
    addr: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let name = get_str(prior, "function_name")
        .ok_or_else(|| ProviderError::Invalid(format!("{addr}: no function name in state")))?;
    converge(inner, addr, name, prior, planned).await?;
    let arn = get_str(prior, "arn").unwrap_or_default().to_string();
    converge_tags(inner, addr, &arn, planned).await?;
    read_function(inner, name, planned)
        .await?
        .ok_or_else(|| vanished(addr, name))
}

async fn delete_function(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    if get_bool(prior, "skip_destroy") == Some(true) {
        return Ok(());
    }
    let Some(name) = get_str(prior, "function_name") else {
        return Ok(());
    };
    match inner
        .lambda
        .delete_function()
        .function_name(name)
        .send()
        .await
        .map_err(|e| api_err(addr, e))
    {
        Err(e) if is_gone(&e) => Ok(()),
        other => other.map(|_| ()),
    }
}

// ---------------------------------------------------------------- permission

/// One statement as a permission value (None when `sid` is not in `policy`).
fn statement_value(policy: &str, sid: &str, shape: &Value) -> Option<Value> {
    if policy.len() > MAX_POLICY_BYTES {
        return None;
    }
    let doc: Json = serde_json::from_str(policy).ok()?;
    let st = doc
        .get("Statement")?
        .as_array()?
        .iter()
        .find(|s| s.get("Sid").and_then(Json::as_str) == Some(sid))?;
    let text = |v: Option<&Json>| v.and_then(Json::as_str).map(String::from);
    let action = text(st.get("Action")).or_else(|| {
        st.get("Action")?
            .as_array()?
            .first()?
            .as_str()
            .map(String::from)
    });
    let principal = match st.get("Principal") {
        Some(Json::String(p)) => Some(p.clone()),
        Some(Json::Object(m)) => m.values().next().and_then(|v| v.as_str().map(String::from)),
        _ => None,
    };
    // An account id comes back as its root ARN: keep the configured spelling.
    let principal = match (principal, get_str(shape, "principal")) {
        (Some(p), Some(want)) if p == format!("arn:aws:iam::{want}:root") => Some(want.to_string()),
        (p, _) => p,
    };
    let cond = |op: &str, key: &str| -> Option<String> {
        let c = st.get("Condition")?.get(op)?.as_object()?;
        c.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.as_str().map(String::from))
    };
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(sid));
    m.insert("statement_id".into(), Value::string(sid));
    m.insert(
        "statement_id_prefix".into(),
        get(shape, "statement_id_prefix")
            .cloned()
            .unwrap_or(Value::Null),
    );
    m.insert("action".into(), action.map_or(Value::Null, Value::String));
    m.insert(
        "principal".into(),
        principal.map_or(Value::Null, Value::String),
    );
    m.insert(
        "source_arn".into(),
        cond("ArnLike", "AWS:SourceArn").map_or(Value::Null, Value::String),
    );
    m.insert(
        "source_account".into(),
        cond("StringEquals", "AWS:SourceAccount").map_or(Value::Null, Value::String),
    );
    m.insert(
        "principal_org_id".into(),
        cond("StringEquals", "aws:PrincipalOrgID").map_or(Value::Null, Value::String),
    );
    m.insert(
        "event_source_token".into(),
        cond("StringEquals", "lambda:EventSourceToken").map_or(Value::Null, Value::String),
    );
    m.insert(
        "function_url_auth_type".into(),
        cond("StringEquals", "lambda:FunctionUrlAuthType").map_or(Value::Null, Value::String),
    );
    for k in ["function_name", "qualifier"] {
        m.insert(k.into(), get(shape, k).cloned().unwrap_or(Value::Null));
    }
    Some(complete(&permission(), m))
}

async fn read_permission(
    inner: &Inner,
    function: &str,
    qualifier: Option<&str>,
    sid: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("{LAMBDA_PERMISSION} {function}/{sid}");
    let out = match inner
        .lambda
        .get_policy()
        .function_name(function)
        .set_qualifier(qualifier.map(String::from))
        .send()
        .await
        .map_err(|e| api_err(&what, e))
    {
        Ok(o) => o,
        Err(e) if is_gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut shape = shape.clone();
    if let Value::Map(m) = &mut shape {
        m.entry("function_name".into())
            .or_insert_with(|| Value::string(function));
    } else {
        shape = Value::map(vec![("function_name", Value::string(function))]);
    }
    Ok(statement_value(out.policy().unwrap_or("{}"), sid, &shape))
}

fn statement_id(planned: &Value, ctx: &OpContext) -> String {
    if let Some(n) = get_str(planned, "statement_id") {
        return n.to_string();
    }
    let prefix = get_str(planned, "statement_id_prefix").unwrap_or("contin-");
    format!("{prefix}{}", &client_token(ctx)[..26])
}

async fn create_permission(
    inner: &Inner,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    let what = ctx.address.to_string();
    let function = get_str(planned, "function_name")
        .ok_or_else(|| ProviderError::Invalid(format!("{what}: function_name is not known")))?;
    let qualifier = get_str(planned, "qualifier");
    let sid = statement_id(planned, ctx);
    // Looked up first: a re-run after a crash finds its statement (and moto,
    // unlike Lambda, accepts a duplicate statement id).
    if let Some(live) = read_permission(inner, function, qualifier, &sid, planned).await? {
        return adopt_statement(&what, function, &sid, live, planned);
    }
    let sent = inner
        .lambda
        .add_permission()
        .function_name(function)
        .statement_id(&sid)
        .action(get_str(planned, "action").unwrap_or_default())
        .principal(get_str(planned, "principal").unwrap_or_default())
        .set_source_arn(get_str(planned, "source_arn").map(String::from))
        .set_source_account(get_str(planned, "source_account").map(String::from))
        .set_qualifier(qualifier.map(String::from))
        .set_event_source_token(get_str(planned, "event_source_token").map(String::from))
        .set_principal_org_id(get_str(planned, "principal_org_id").map(String::from))
        .set_function_url_auth_type(
            get_str(planned, "function_url_auth_type")
                .map(aws_sdk_lambda::types::FunctionUrlAuthType::from),
        )
        .send()
        .await
        .map_err(|e| api_err(&what, e));
    match sent {
        Ok(_) => kill_hook(ctx),
        Err(e) if is_code(&e, "ResourceConflictException") => {
            let live = read_permission(inner, function, qualifier, &sid, planned)
                .await?
                .ok_or(e)?;
            return adopt_statement(&what, function, &sid, live, planned);
        }
        Err(e) => return Err(e),
    }
    read_permission(inner, function, qualifier, &sid, planned)
        .await?
        .ok_or_else(|| vanished(&what, &sid))
}

/// A statement already carrying the planned id: adopted when action,
/// principal and source ARN are the planned ones, else refused.
fn adopt_statement(
    what: &str,
    function: &str,
    sid: &str,
    live: Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let same = ["action", "principal", "source_arn"].iter().all(|k| {
        get(&live, k).filter(|v| !v.is_null()) == get(planned, k).filter(|v| !v.is_null())
    });
    if !same {
        return Err(ProviderError::Api {
            code: "ResourceConflictException".into(),
            message: format!("{what}: statement {sid:?} already exists on {function:?} with other content; choose another statement_id"),
        });
    }
    Ok(live)
}

async fn delete_permission(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let (Some(function), Some(sid)) = (
        get_str(prior, "function_name"),
        get_str(prior, "statement_id"),
    ) else {
        return Ok(());
    };
    let sent = inner
        .lambda
        .remove_permission()
        .function_name(function)
        .statement_id(sid)
        .set_qualifier(get_str(prior, "qualifier").map(String::from))
        .send()
        .await
        .map_err(|e| api_err(addr, e));
    match sent {
        Err(e) if is_gone(&e) => Ok(()),
        other => other.map(|_| ()),
    }
}

// ------------------------------------------------------------------ dispatch

pub(crate) async fn read(
    inner: &Inner,
    ty: &str,
    state: &Value,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        LAMBDA_FUNCTION => {
            let Some(name) = get_str(state, "function_name").or_else(|| get_str(state, "id"))
            else {
                return Ok(None);
            };
            read_function(inner, name, state).await
        }
        _ => {
            let (Some(function), Some(sid)) = (
                get_str(state, "function_name"),
                get_str(state, "statement_id"),
            ) else {
                return Ok(None);
            };
            read_permission(inner, function, get_str(state, "qualifier"), sid, state).await
        }
    }
}

pub(crate) async fn create(
    inner: &Inner,
    ty: &str,
    planned: &Value,
    ctx: &OpContext,
) -> Result<Value, ProviderError> {
    match ty {
        LAMBDA_FUNCTION => create_function(inner, planned, ctx).await,
        _ => create_permission(inner, planned, ctx).await,
    }
}

pub(crate) async fn update(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    match ty {
        LAMBDA_FUNCTION => update_function(inner, addr, prior, planned).await,
        // Every argument of a permission forces a new one: only state-only changes land here.
        _ => Ok(planned.clone()),
    }
}

pub(crate) async fn delete(
    inner: &Inner,
    ty: &str,
    addr: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    match ty {
        LAMBDA_FUNCTION => delete_function(inner, addr, prior).await,
        _ => delete_permission(inner, addr, prior).await,
    }
}

pub(crate) async fn import(
    inner: &Inner,
    ty: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match ty {
        LAMBDA_FUNCTION => read_function(inner, id, &Value::Null).await,
        _ => {
            let (function, sid) = id
                .split_once('/')
                .filter(|(f, s)| !f.is_empty() && !s.is_empty())
                .ok_or_else(|| ProviderError::Invalid(format!("{LAMBDA_PERMISSION}: import id {id:?} is not <function name>/<statement id>")))?;
            // function:qualifier selects a version or alias.
            let (function, qualifier) = match function.split_once(':') {
                Some((f, q)) if !function.starts_with("arn:") => (f, Some(q)),
                _ => (function, None),
            };
            let shape = Value::map(vec![
                ("function_name", Value::string(function)),
                ("qualifier", opt_string(qualifier)),
            ]);
            read_permission(inner, function, qualifier, sid, &shape).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs)
    }

    #[test]
    fn validation_names_the_argument() {
        let cfg = c(vec![
            ("function_name", Value::string("bad name")),
            ("role", Value::string("r")),
            ("filename", Value::string("f.zip")),
            ("image_uri", Value::string("x")),
            ("timeout", Value::int(901)),
            ("memory_size", Value::int(64)),
            ("architectures", Value::List(vec![Value::string("mips")])),
        ]);
        let mut d = Diagnostics::new();
        validate(LAMBDA_FUNCTION, &cfg, &mut d);
        let msgs: Vec<&str> = d.0.iter().map(|x| x.summary.as_str()).collect();
        assert_eq!(msgs.len(), 6, "{msgs:?}");
        for (m, prefix) in msgs.iter().zip([
            "filename: conflicts with image_uri",
            "image_uri: requires",
            "timeout: 1 to 900",
            "memory_size:",
            "architectures:",
            "function_name:",
        ]) {
            assert!(m.starts_with(prefix), "{m}");
        }
        let mut d = Diagnostics::new();
        validate(
            LAMBDA_FUNCTION,
            &c(vec![
                ("function_name", Value::string("f")),
                ("role", Value::string("r")),
            ]),
            &mut d,
        );
        assert_eq!(d.0.len(), 1, "no code source: {d:?}");
        let mut d = Diagnostics::new();
        validate(
            LAMBDA_PERMISSION,
            &c(vec![
                ("action", Value::string("s3:GetObject")),
                ("statement_id", Value::string("a")),
                ("statement_id_prefix", Value::string("b")),
            ]),
            &mut d,
        );
        assert_eq!(d.0.len(), 2, "{d:?}");
    }

    #[test]
    fn defaults_plan_and_updates_mark_recomputed_attributes_unknown() {
        let block = function();
        let desired = c(vec![
            ("function_name", Value::string("f")),
            ("role", Value::string("r")),
            ("filename", Value::string("a.zip")),
        ]);
        let mut change = contin_provider::plan_change_from_schema(&block, None, &desired);
        replan(LAMBDA_FUNCTION, &block, None, &desired, &mut change);
        assert_eq!(get(&change.planned, "timeout"), Some(&Value::int(3)));
        assert_eq!(
            get(&change.planned, "package_type"),
            Some(&Value::string("Zip"))
        );
        assert_eq!(
            get(&change.planned, "architectures"),
            Some(&Value::List(vec![Value::string("x86_64")]))
        );
        // A prior with everything known: a new hash uploads code, publish makes a new version.
        let mut prior = match change.planned.clone() {
            Value::Map(m) => m,
            _ => unreachable!(),
        };
        for k in [
            "id",
            "arn",
            "invoke_arn",
            "qualified_arn",
            "qualified_invoke_arn",
            "version",
            "last_modified",
            "code_sha256",
            "source_code_hash",
        ] {
            prior.insert(k.into(), Value::string("x"));
        }
        prior.insert("source_code_size".into(), Value::int(1));
        let prior = Value::Map(prior);
        let mut same = PlannedChange {
            planned: Value::Null,
            requires_replace: vec![],
            diagnostics: Diagnostics::new(),
        };
        replan(LAMBDA_FUNCTION, &block, Some(&prior), &desired, &mut same);
        assert_eq!(same.planned, prior, "no change");
        let newer = c(vec![
            ("function_name", Value::string("f")),
            ("role", Value::string("r")),
            ("filename", Value::string("a.zip")),
            ("source_code_hash", Value::string("h2")),
            ("publish", Value::Bool(true)),
        ]);
        let mut ch = PlannedChange {
            planned: Value::Null,
            requires_replace: vec![],
            diagnostics: Diagnostics::new(),
        };
        replan(LAMBDA_FUNCTION, &block, Some(&prior), &newer, &mut ch);
        assert!(ch.requires_replace.is_empty());
        for k in [
            "last_modified",
            "code_sha256",
            "source_code_size",
            "version",
            "qualified_arn",
        ] {
            assert_eq!(get(&ch.planned, k), Some(&Value::Unknown), "{k}");
        }
        assert_eq!(
            get(&ch.planned, "source_code_hash"),
            Some(&Value::string("h2"))
        );
        assert_eq!(get(&ch.planned, "arn"), Some(&Value::string("x")));
    }

    #[test]
    fn statements_read_back_with_the_configured_spelling() {
        let policy = r#"{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"other","Action":"lambda:InvokeFunction","Principal":"*","Effect":"Allow"},
            {"Sid":"s1","Action":"lambda:InvokeFunction","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Effect":"Allow","Resource":"arn",
             "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"},"StringEquals":{"AWS:SourceAccount":"111122223333"}}}]}"#;
        let shape = c(vec![
            ("function_name", Value::string("f")),
            ("principal", Value::string("111122223333")),
        ]);
        let v = statement_value(policy, "s1", &shape).unwrap();
        assert_eq!(get(&v, "principal"), Some(&Value::string("111122223333")));
        assert_eq!(
            get(&v, "source_arn"),
            Some(&Value::string("arn:aws:s3:::b"))
        );
        assert_eq!(
            get(&v, "source_account"),
            Some(&Value::string("111122223333"))
        );
        assert_eq!(get(&v, "function_name"), Some(&Value::string("f")));
        assert_eq!(get(&v, "id"), Some(&Value::string("s1")));
        assert_eq!(statement_value(policy, "missing", &shape), None);
        assert_eq!(statement_value("not json", "s1", &shape), None);
    }

    #[test]
    fn invoke_arns_follow_api_gateway_form() {
        assert_eq!(
            invoke_arn("arn:aws:lambda:us-east-1:1:function:f", "us-east-1"),
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations"
        );
    }
}
