//! The `cloudinit` provider: data `cloudinit_config` (and the deprecated
//! resource of the same name), rendering `part` blocks into the MIME
//! multi-part document of hashicorp/terraform-provider-cloudinit byte for
//! byte before compression: a `Content-Type: multipart/mixed;
//! boundary="B"` line, `MIME-Version: 1.0`, then Go's `mime/multipart`
//! framing (CRLF line ends, part headers sorted by canonical name:
//! `Content-Disposition`, `Content-Transfer-Encoding: 7bit`, `Content-Type`,
//! `Mime-Version: 1.0`, `X-Merge-Type`). `gzip` (default true) compresses
//! it, `base64_encode` (default true) encodes it; `id` is the CRC-32 of
//! `rendered` in decimal, as Terraform's. With `gzip` the compressed bytes
//! differ from Go's (another deflate implementation); the decompressed
//! document is the same.

use crate::{get, get_bool, get_str, set, unsupported, unsupported_plan};
use async_trait::async_trait;
use base64::Engine;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, Nesting, NestedBlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::io::Write;
use std::sync::LazyLock;

pub const CLOUDINIT_CONFIG: &str = "cloudinit_config";
/// Largest rendered document (before compression and encoding).
pub const MAX_RENDERED_BYTES: usize = 16 * 1024 * 1024;
const DEFAULT_BOUNDARY: &str = "MIMEBOUNDARY";

fn schema(resource: bool) -> BlockSchema {
    use AttrType as T;
    let fnew = |a: AttrSchema| if resource { a.force_new() } else { a };
    let part = BlockSchema::default()
        .attr("content_type", fnew(AttrSchema::optional(T::String)).describe("MIME type of the part (default text/plain)"))
        .attr("content", fnew(AttrSchema::required(T::String)))
        .attr("filename", fnew(AttrSchema::optional(T::String)))
        .attr("merge_type", fnew(AttrSchema::optional(T::String)));
    BlockSchema::default()
        .attr("gzip", fnew(AttrSchema::optional_computed(T::Bool)).describe("compress the document (default true)"))
        .attr("base64_encode", fnew(AttrSchema::optional_computed(T::Bool)).describe("base64-encode the document (default true)"))
        .attr("boundary", fnew(AttrSchema::optional_computed(T::String)).describe("MIME boundary (default MIMEBOUNDARY)"))
        .attr("rendered", AttrSchema::computed(T::String).describe("the rendered document"))
        .attr("id", AttrSchema::computed(T::String))
        .block("part", NestedBlockSchema { nesting: Nesting::List, block: part, min_items: 1, max_items: None, force_new: resource })
}

static DATA_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| schema(false));
static RESOURCE_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| schema(true));

/// The `cloudinit` provider (stateless, no IO).
#[derive(Debug, Clone, Default)]
pub struct CloudinitProvider;

impl CloudinitProvider {
    pub fn new() -> Self {
        CloudinitProvider
    }
}

fn with_defaults(desired: &Value) -> Value {
    let mut v = desired.clone();
    crate::default(&mut v, "gzip", Value::Bool(true));
    crate::default(&mut v, "base64_encode", Value::Bool(true));
    crate::default(&mut v, "boundary", Value::string(DEFAULT_BOUNDARY));
    v
}

/// Go's `multipart.Writer.SetBoundary` rule.
fn boundary_ok(b: &str) -> bool {
    (1..=70).contains(&b.len())
        && !b.ends_with(' ')
        && b.chars().all(|c| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c))
}

fn parts(v: &Value) -> Vec<&Value> {
    match get(v, "part").map(Value::unmarked) {
        Some(Value::List(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let gzip = get_bool(cfg, "gzip");
    let b64 = get_bool(cfg, "base64_encode");
    if gzip != Some(false) && b64 == Some(false) && !get(cfg, "gzip").is_some_and(Value::is_unknown) {
        d.push(Diagnostic::error("base64_encode: Invalid Attribute Configuration").with_detail("Expected base64_encode to be set to true when gzip is true."));
    }
    if let Some(b) = get_str(cfg, "boundary") {
        if !boundary_ok(b) {
            d.push(Diagnostic::error(format!("boundary: {b:?} is not a valid MIME boundary")).with_detail("1 to 70 characters of A-Z a-z 0-9 '()+_,-./:=? and space (not last)."));
        }
    }
    if matches!(get(cfg, "part").map(Value::unmarked), Some(Value::List(items)) if items.is_empty()) {
        d.push(Diagnostic::error("part: at least one part block is required"));
    }
    for (i, p) in parts(cfg).into_iter().enumerate() {
        for a in ["content", "content_type"] {
            if get_str(p, a) == Some("") {
                d.push(Diagnostic::error(format!("part[{i}].{a}: must not be empty")));
            }
        }
    }
    d
}

/// The MIME document (uncompressed), as Go's writer frames it.
pub(crate) fn render_mime(boundary: &str, parts: &[Part<'_>]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    out.extend_from_slice(format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\n").as_bytes());
    out.extend_from_slice(b"MIME-Version: 1.0\r\n\r\n");
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        } else {
            out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        }
        // textproto canonical names, sorted.
        if let Some(f) = p.filename.filter(|f| !f.is_empty()) {
            out.extend_from_slice(format!("Content-Disposition: attachment; filename=\"{f}\"\r\n").as_bytes());
        }
        out.extend_from_slice(b"Content-Transfer-Encoding: 7bit\r\n");
        out.extend_from_slice(format!("Content-Type: {}\r\n", p.content_type).as_bytes());
        out.extend_from_slice(b"Mime-Version: 1.0\r\n");
        if let Some(m) = p.merge_type.filter(|m| !m.is_empty()) {
            out.extend_from_slice(format!("X-Merge-Type: {m}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p.content.as_bytes());
        if out.len() > MAX_RENDERED_BYTES {
            return Err(format!("the rendered document is larger than the limit of {} MiB", MAX_RENDERED_BYTES / (1024 * 1024)));
        }
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok(out)
}

pub(crate) struct Part<'a> {
    content_type: &'a str,
    content: &'a str,
    filename: Option<&'a str>,
    merge_type: Option<&'a str>,
}

/// `rendered` and `id` of a configuration (defaults applied).
fn render(v: &Value) -> Result<(String, String), String> {
    let gzip = get_bool(v, "gzip").unwrap_or(true);
    let b64 = get_bool(v, "base64_encode").unwrap_or(true);
    let boundary = get_str(v, "boundary").unwrap_or(DEFAULT_BOUNDARY);
    if gzip && !b64 {
        return Err("base64_encode is mandatory when gzip is enabled".into());
    }
    if !boundary_ok(boundary) {
        return Err(format!("boundary {boundary:?} is not a valid MIME boundary"));
    }
    let mut ps = Vec::new();
    for (i, p) in parts(v).into_iter().enumerate() {
        let content = get_str(p, "content").ok_or_else(|| format!("part[{i}].content is required"))?;
        ps.push(Part {
            content_type: get_str(p, "content_type").filter(|c| !c.is_empty()).unwrap_or("text/plain"),
            content,
            filename: get_str(p, "filename"),
            merge_type: get_str(p, "merge_type"),
        });
    }
    if ps.is_empty() {
        return Err("No parts found in the cloudinit resource declaration".into());
    }
    let mime = render_mime(boundary, &ps)?;
    let bytes = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&mime).and_then(|_| enc.finish()).map_err(|e| format!("gzip: {e}"))?
    } else {
        mime
    };
    let rendered = if b64 {
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    } else {
        String::from_utf8(bytes).map_err(|_| "the parts are not UTF-8".to_string())?
    };
    let id = flate2::Crc::new();
    let mut crc = id;
    crc.update(rendered.as_bytes());
    Ok((rendered, crc.sum().to_string()))
}

fn rendered_value(ty_cfg: &Value) -> Result<Value, ProviderError> {
    let mut v = with_defaults(ty_cfg);
    let (rendered, id) = render(&v).map_err(|e| ProviderError::Invalid(format!("cloudinit_config: {e}")))?;
    set(&mut v, "rendered", Value::String(rendered));
    set(&mut v, "id", Value::String(id));
    Ok(v)
}

#[async_trait]
impl Provider for CloudinitProvider {
    fn name(&self) -> &str {
        "cloudinit"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert(CLOUDINIT_CONFIG.into(), RESOURCE_SCHEMA.clone());
        s.data_sources.insert(CLOUDINIT_CONFIG.into(), DATA_SCHEMA.clone());
        s
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        if ty == CLOUDINIT_CONFIG { validate(cfg) } else { Diagnostics::new() }
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        if ty != CLOUDINIT_CONFIG {
            return unsupported_plan(ty, desired);
        }
        plan_change_from_schema(&RESOURCE_SCHEMA, prior, &with_defaults(desired))
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        if ty != CLOUDINIT_CONFIG {
            return Err(unsupported(ty));
        }
        Ok(Some(state.clone()))
    }

    async fn create(&self, ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        if ty != CLOUDINIT_CONFIG {
            return Err(unsupported(ty));
        }
        rendered_value(planned)
    }

    async fn update(&self, ty: &str, _prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        if ty != CLOUDINIT_CONFIG {
            return Err(unsupported(ty));
        }
        rendered_value(planned)
    }

    async fn delete(&self, ty: &str, _prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        if ty == CLOUDINIT_CONFIG { Ok(()) } else { Err(unsupported(ty)) }
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        if ty != CLOUDINIT_CONFIG {
            return Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() });
        }
        rendered_value(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn cfg(pairs: &[(&str, Value)]) -> Value {
        Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn part(pairs: &[(&str, &str)]) -> Value {
        cfg(&pairs.iter().map(|(k, v)| (*k, Value::string(*v))).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn plain_rendering_matches_terraforms_bytes() {
        // Terraform's own acceptance test expectation (gzip = false, base64_encode = false).
        let p = CloudinitProvider::new();
        let c = cfg(&[
            ("gzip", Value::Bool(false)),
            ("base64_encode", Value::Bool(false)),
            ("part", Value::List(vec![part(&[("content_type", "text/x-shellscript"), ("content", "baz")])])),
        ]);
        assert!(!p.validate(CLOUDINIT_CONFIG, &c).has_errors());
        let v = p.read_data(CLOUDINIT_CONFIG, &c).await.unwrap();
        assert_eq!(
            v.attr_str("rendered").unwrap(),
            "Content-Type: multipart/mixed; boundary=\"MIMEBOUNDARY\"\nMIME-Version: 1.0\r\n\r\n--MIMEBOUNDARY\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/x-shellscript\r\nMime-Version: 1.0\r\n\r\nbaz\r\n--MIMEBOUNDARY--\r\n"
        );
        let mut crc = flate2::Crc::new();
        crc.update(v.attr_str("rendered").unwrap().as_bytes());
        assert_eq!(v.attr_str("id").unwrap(), crc.sum().to_string());
        assert_eq!(v.attr_str("boundary"), Some("MIMEBOUNDARY"));
    }

    #[tokio::test]
    async fn several_parts_headers_boundary_gzip_and_base64() {
        let p = CloudinitProvider::new();
        let parts = Value::List(vec![
            part(&[("content", "#cloud-config\npackages: [nginx]\n"), ("content_type", "text/cloud-config"), ("filename", "init.cfg"), ("merge_type", "list(append)+dict(recurse_array)")]),
            part(&[("content", "#!/bin/sh\necho hi\n")]),
        ]);
        let plain = p
            .read_data(CLOUDINIT_CONFIG, &cfg(&[("gzip", Value::Bool(false)), ("base64_encode", Value::Bool(false)), ("boundary", Value::string("//")), ("part", parts.clone())]))
            .await
            .unwrap();
        let want = "Content-Type: multipart/mixed; boundary=\"//\"\nMIME-Version: 1.0\r\n\r\n\
--//\r\nContent-Disposition: attachment; filename=\"init.cfg\"\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/cloud-config\r\nMime-Version: 1.0\r\nX-Merge-Type: list(append)+dict(recurse_array)\r\n\r\n#cloud-config\npackages: [nginx]\n\
\r\n--//\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/plain\r\nMime-Version: 1.0\r\n\r\n#!/bin/sh\necho hi\n\r\n--//--\r\n";
        assert_eq!(plain.attr_str("rendered").unwrap(), want);
        // Defaults: gzip + base64 of the same document.
        let packed = p.read_data(CLOUDINIT_CONFIG, &cfg(&[("boundary", Value::string("//")), ("part", parts.clone())])).await.unwrap();
        assert_eq!(packed.attr("gzip"), Some(&Value::Bool(true)));
        let gz = base64::engine::general_purpose::STANDARD.decode(packed.attr_str("rendered").unwrap()).unwrap();
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0], "gzip header without a name");
        assert_eq!(gz[9], 255, "OS unknown, like Go's writer");
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, want);
        // Same input, same output (plans agree).
        let again = p.read_data(CLOUDINIT_CONFIG, &cfg(&[("boundary", Value::string("//")), ("part", parts.clone())])).await.unwrap();
        assert_eq!(again, packed);
        // base64 only.
        let b64 = p.read_data(CLOUDINIT_CONFIG, &cfg(&[("gzip", Value::Bool(false)), ("boundary", Value::string("//")), ("part", parts)])).await.unwrap();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(b64.attr_str("rendered").unwrap()).unwrap(), want.as_bytes());
    }

    #[test]
    fn validation() {
        let p = CloudinitProvider::new();
        let one = Value::List(vec![part(&[("content", "x")])]);
        let d = p.validate(CLOUDINIT_CONFIG, &cfg(&[("base64_encode", Value::Bool(false)), ("part", one.clone())]));
        assert!(format!("{d:?}").contains("Expected base64_encode to be set to true when gzip is true."), "{d:?}");
        assert!(!p.validate(CLOUDINIT_CONFIG, &cfg(&[("gzip", Value::Bool(false)), ("base64_encode", Value::Bool(false)), ("part", one.clone())])).has_errors());
        assert!(p.validate(CLOUDINIT_CONFIG, &cfg(&[("boundary", Value::string("bad\u{e9}")), ("part", one.clone())])).has_errors());
        assert!(p.validate(CLOUDINIT_CONFIG, &cfg(&[("boundary", Value::string("x".repeat(71))), ("part", one)])).has_errors());
        assert!(p.validate(CLOUDINIT_CONFIG, &cfg(&[("part", Value::List(vec![part(&[("content", "")])]))])).has_errors());
        let schema = p.schema();
        assert_eq!(schema.data_sources[CLOUDINIT_CONFIG].blocks["part"].min_items, 1);
    }

    #[tokio::test]
    async fn resource_renders_at_create_and_replans_without_change() {
        let p = CloudinitProvider::new();
        let c = cfg(&[("part", Value::List(vec![part(&[("content", "#cloud-config\n")])]))]);
        let plan = p.plan_change(CLOUDINIT_CONFIG, None, &c);
        assert_eq!(plan.planned.attr("rendered"), Some(&Value::Unknown));
        let ctx = OpContext { address: contin_types::ResourceAddr::managed(CLOUDINIT_CONFIG, "t"), lineage: "l".into(), generation: 1 };
        let v = p.create(CLOUDINIT_CONFIG, &plan.planned, &ctx).await.unwrap();
        let data = p.read_data(CLOUDINIT_CONFIG, &c).await.unwrap();
        assert_eq!(v.attr("rendered"), data.attr("rendered"));
        let again = p.plan_change(CLOUDINIT_CONFIG, Some(&v), &c);
        assert!(again.requires_replace.is_empty());
        assert_eq!(again.planned, v);
        let changed = p.plan_change(CLOUDINIT_CONFIG, Some(&v), &cfg(&[("part", Value::List(vec![part(&[("content", "#cloud-config\nx: 1\n")])]))]));
        assert!(!changed.requires_replace.is_empty());
    }
}
