//! Value helpers, error mapping, tags, waits and the crash test hook.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use contin_provider::{BlockSchema, OpContext, ProviderError};
use contin_types::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub const TAG_LINEAGE: &str = "contin:lineage";
pub const TAG_ADDRESS: &str = "contin:address";
pub const TAG_GENERATION: &str = "contin:generation";

/// Test hook: env var naming the resource address after whose create call the process SIGKILLs itself.
pub const KILL_AFTER_CREATE_ENV: &str = "CONTIN_TEST_KILL_AFTER_CREATE";

/// Parses a Go-style duration as Terraform's `timeouts` take it: a sequence
/// of decimal numbers with units `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`
/// ("10m", "1h30m", "1.5h"). At most 1 year.
pub(crate) fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() || rest.len() > 64 {
        return None;
    }
    // Go's ParseDuration: a bare "0" needs no unit.
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    (total <= 365.0 * 86400.0).then(|| Duration::from_secs_f64(total))
}

/// The `timeouts { <op> = "…" }` of a resource value, when set and valid.
pub(crate) fn op_timeout(v: &Value, op: &str) -> Option<Duration> {
    get_blocks(v, "timeouts").into_iter().find_map(|t| get_str(t, op)).and_then(parse_go_duration)
}

pub(crate) fn get<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.attr(name)
}

pub(crate) fn get_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.attr_str(name)
}

pub(crate) fn get_bool(v: &Value, name: &str) -> Option<bool> {
    match get(v, name) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

pub(crate) fn num_i64(v: &Value) -> Option<i64> {
    match v.unmarked() {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn get_i64(v: &Value, name: &str) -> Option<i64> {
    get(v, name).and_then(num_i64)
}

/// String items of a list/set attribute (unknown or non-string items skipped).
pub(crate) fn get_strs(v: &Value, name: &str) -> Vec<String> {
    match get(v, name) {
        Some(Value::List(items) | Value::Set(items)) => items
            .iter()
            .filter_map(|i| match i.unmarked() {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Elements of a nested block value (list or set; a single map counts as one).
pub(crate) fn get_blocks<'a>(v: &'a Value, name: &str) -> Vec<&'a Value> {
    match get(v, name) {
        Some(Value::List(items) | Value::Set(items)) => items.iter().collect(),
        Some(m @ Value::Map(_)) => vec![m],
        _ => Vec::new(),
    }
}

pub(crate) fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v.map(Value::unmarked) {
        Some(Value::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| match v.unmarked() {
                Value::String(s) => Some((k.clone(), s.clone())),
                Value::Number(n) => Some((k.clone(), n.to_string())),
                Value::Bool(b) => Some((k.clone(), b.to_string())),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

pub(crate) fn opt_string(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::string)
}

pub(crate) fn str_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::List(items.into_iter().map(Value::String).collect())
}

/// An object value with every attribute of `schema` present (absent ones null).
pub(crate) fn complete(schema: &BlockSchema, mut m: BTreeMap<String, Value>) -> Value {
    for name in schema.attributes.keys().chain(schema.blocks.keys()) {
        m.entry(name.clone()).or_insert(Value::Null);
    }
    Value::Map(m)
}

/// Idempotency token for one create: hex sha256 of (lineage, address, generation), 64 chars.
pub(crate) fn client_token(ctx: &OpContext) -> String {
    let mut h = Sha256::new();
    h.update(ctx.lineage.as_bytes());
    h.update([0]);
    h.update(ctx.address.to_string().as_bytes());
    h.update([0]);
    h.update(ctx.generation.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// A deterministic name for objects whose name the configuration leaves out.
pub(crate) fn generated_name(ctx: &OpContext) -> String {
    format!("contin-{}", &client_token(ctx)[..20])
}

/// Bookkeeping tags identifying the object created for `ctx`.
pub(crate) fn bookkeeping_tags(ctx: &OpContext) -> Vec<(String, String)> {
    vec![
        (TAG_LINEAGE.to_string(), ctx.lineage.clone()),
        (TAG_ADDRESS.to_string(), ctx.address.to_string()),
        (TAG_GENERATION.to_string(), ctx.generation.to_string()),
    ]
}

/// Filters selecting objects tagged with `ctx`'s bookkeeping tags.
pub(crate) fn adoption_filters(ctx: &OpContext) -> Vec<Filter> {
    bookkeeping_tags(ctx).into_iter().map(|(k, v)| Filter::builder().name(format!("tag:{k}")).values(v).build()).collect()
}

pub(crate) fn tag_spec(rt: ResourceType, tags: &BTreeMap<String, String>, ctx: &OpContext) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(rt);
    for (k, v) in tags.iter().map(|(k, v)| (k.clone(), v.clone())).chain(bookkeeping_tags(ctx)) {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

/// AWS tags of an object as a map.
pub(crate) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect()
}

/// The `tags` value read back: bookkeeping tags dropped, provider default tags
/// dropped unless `shape` (the prior or planned value) lists the key.
/// Null when nothing is left and `shape` had no tags map.
pub(crate) fn tags_value(actual: &[Tag], defaults: &BTreeMap<String, String>, shape: &Value) -> Value {
    let declared = match get(shape, "tags") {
        Some(Value::Map(m)) => Some(m.keys().cloned().collect::<Vec<_>>()),
        _ => None,
    };
    let declared_has = |k: &str| declared.as_ref().is_some_and(|d| d.iter().any(|x| x == k));
    let mut out = BTreeMap::new();
    for (k, v) in tag_map(actual) {
        if k.starts_with("contin:") {
            continue;
        }
        if defaults.get(&k) == Some(&v) && !declared_has(&k) {
            continue;
        }
        out.insert(k, Value::String(v));
    }
    if out.is_empty() && declared.is_none() {
        Value::Null
    } else {
        Value::Map(out)
    }
}

/// Default tags overlaid with the resource's own tags.
pub(crate) fn effective_tags(defaults: &BTreeMap<String, String>, v: &Value) -> BTreeMap<String, String> {
    let mut t = defaults.clone();
    t.extend(str_map(get(v, "tags")));
    t
}

/// An object created by `create` but read back as gone (should not happen).
pub(crate) fn vanished(addr: &str, id: &str) -> ProviderError {
    ProviderError::Failed(format!("{addr}: {id} disappeared right after it was created"))
}

/// Maps an SDK error: service errors keep the AWS error code and name the
/// resource; transport failures and timeouts become `Unreachable`.
pub(crate) fn api_err<E, R>(what: &str, err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            let detail = source_chain(&err);
            ProviderError::Unreachable(format!("{what}: cannot reach the EC2 endpoint: {detail}"))
        }
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let msg = e.message().unwrap_or("(no message)");
            ProviderError::Api { code, message: format!("{what}: {msg}") }
        }
        _ => ProviderError::Failed(format!("{what}: {}", source_chain(&err))),
    }
}

fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// True for `Invalid…NotFound` codes (the object does not exist).
pub(crate) fn is_not_found(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Api { code, .. } if code.ends_with("NotFound") || code.ends_with(".NotFoundException"))
}

pub(crate) fn is_code(e: &ProviderError, c: &str) -> bool {
    matches!(e, ProviderError::Api { code, .. } if code == c)
}

/// How long deletes retry `DependencyViolation` and waiters poll.
pub(crate) fn wait_budget() -> Duration {
    std::env::var("CONTIN_AWS_WAIT_SECONDS").ok().and_then(|s| s.parse().ok()).map_or(Duration::from_secs(300), Duration::from_secs)
}

/// Backoff delays: 250 ms doubling to 5 s.
pub(crate) struct Backoff {
    delay: Duration,
    deadline: Instant,
}

impl Backoff {
    pub fn new() -> Self {
        Backoff { delay: Duration::from_millis(250), deadline: Instant::now() + wait_budget() }
    }
    /// Sleeps and returns true, or false when the budget is spent.
    pub async fn wait(&mut self) -> bool {
        if Instant::now() + self.delay > self.deadline {
            return false;
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(Duration::from_secs(5));
        true
    }
}

/// Runs a delete call, retrying `DependencyViolation` (dependants still going
/// away) with backoff; a gone object is success.
pub(crate) async fn delete_with_retry<F, Fut>(mut call: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), ProviderError>>,
{
    let mut backoff = Backoff::new();
    loop {
        match call().await {
            Ok(()) => return Ok(()),
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) if is_code(&e, "DependencyViolation") || is_code(&e, "InvalidIPAddress.InUse") => {
                if !backoff.wait().await {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The crash test hook: SIGKILL this process when `CONTIN_TEST_KILL_AFTER_CREATE`
/// names `ctx`'s address (called right after a create API call returned).
pub(crate) fn kill_hook(ctx: &OpContext) {
    let Ok(target) = std::env::var(KILL_AFTER_CREATE_ENV) else { return };
    if target == ctx.address.to_string() {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill").args(["-9", &pid]).status();
        // `kill` should not return; make sure we never continue.
        std::process::abort();
    }
}

/// `name`/`name_prefix` of an SQS queue or SNS topic (`kind`): not both;
/// 1 to `max` characters from a-z, A-Z, 0-9, '-', '_', ending in ".fifo"
/// exactly when the bool argument `fifo_arg` is true. Returns that flag.
pub(crate) fn check_fifo_name(cfg: &Value, kind: &str, fifo_arg: &str, max: usize, d: &mut contin_types::Diagnostics) -> bool {
    use contin_types::Diagnostic;
    if get_str(cfg, "name").is_some() && get_str(cfg, "name_prefix").is_some() {
        d.push(Diagnostic::error("name: conflicts with name_prefix; set one of them"));
    }
    let fifo = get_bool(cfg, fifo_arg) == Some(true);
    if let Some(n) = get_str(cfg, "name") {
        let base = n.strip_suffix(".fifo").unwrap_or(n);
        if base.is_empty() || n.len() > max || !base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            d.push(Diagnostic::error(format!("name: 1 to {max} characters from a-z, A-Z, 0-9, '-', '_' (FIFO: ending in .fifo), got {n:?}")));
        }
        if fifo != n.ends_with(".fifo") {
            d.push(Diagnostic::error(format!("name: a FIFO {kind}'s name ends in \".fifo\" and only a FIFO {kind}'s does, got {n:?} with {fifo_arg} = {fifo}")));
        }
    }
    fifo
}

/// What a tag update sends: the keys to remove (live, not wanted, and not
/// contin's bookkeeping tags) and the tags to set (wanted and not live with
/// that value).
pub(crate) fn tag_changes<'a>(
    live: impl IntoIterator<Item = (&'a String, &'a String)>,
    want: BTreeMap<String, String>,
) -> (Vec<String>, Vec<(String, String)>) {
    let live: BTreeMap<&str, &str> = live.into_iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let remove = live.keys().filter(|k| !k.starts_with("contin:") && !want.contains_key(**k)).map(|k| k.to_string()).collect();
    let set = want.into_iter().filter(|(k, v)| live.get(k.as_str()) != Some(&v.as_str())).collect();
    (remove, set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_types::ResourceAddr;

    #[test]
    fn client_token_is_64_hex_and_depends_on_every_part() {
        let ctx = |l: &str, n: &str, g| OpContext { address: ResourceAddr::managed("aws_instance", n), lineage: l.into(), generation: g };
        let t = client_token(&ctx("l", "a", 1));
        assert_eq!(t.len(), 64);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(t, client_token(&ctx("l2", "a", 1)));
        assert_ne!(t, client_token(&ctx("l", "b", 1)));
        assert_ne!(t, client_token(&ctx("l", "a", 2)));
        assert_eq!(t, client_token(&ctx("l", "a", 1)));
    }

    #[test]
    fn go_durations_parse_like_terraform() {
        assert_eq!(parse_go_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_go_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("250ms"), Some(Duration::from_millis(250)));
        for bad in ["", "10", "m", "10 minutes", "-5m", "1x", "9999999h"] {
            assert_eq!(parse_go_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tags_value_hides_bookkeeping_and_undeclared_defaults() {
        let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
        let actual = vec![tag("contin:lineage", "x"), tag("team", "core"), tag("env", "prod"), tag("owner", "me")];
        let defaults = BTreeMap::from([("team".to_string(), "core".to_string()), ("owner".to_string(), "you".to_string())]);
        let shape = Value::map([("tags", Value::map([("env", Value::string("prod"))]))]);
        // `owner` differs from its default value: drift, shown.
        assert_eq!(
            tags_value(&actual, &defaults, &shape),
            Value::map([("env", Value::string("prod")), ("owner", Value::string("me"))])
        );
        assert_eq!(tags_value(&[tag("contin:address", "a")], &defaults, &Value::map::<&str>([])), Value::Null);
    }
}
