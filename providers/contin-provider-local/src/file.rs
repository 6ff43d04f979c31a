//! `local_file` and `local_sensitive_file`: a file really written to disk,
//! read back for drift, with Terraform's attribute names and digests (`id` =
//! hex SHA-1 of the content). `local_sensitive_file` is the same with its
//! content attributes sensitive and permissions defaulting to "0700", as
//! Terraform's.

use crate::{attr, attr_str, with_attr};
use base64::Engine;
use contin_provider::{AttrSchema, AttrType, BlockSchema, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::path::{Path, PathBuf};

/// Which of the two file types: its name (in messages), default mode, and
/// whether the content attributes are sensitive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    pub ty: &'static str,
    pub default_permission: &'static str,
    pub sensitive: bool,
}

pub(crate) const LOCAL_FILE: Kind = Kind { ty: "local_file", default_permission: "0777", sensitive: false };
pub(crate) const LOCAL_SENSITIVE_FILE: Kind = Kind { ty: "local_sensitive_file", default_permission: "0700", sensitive: true };
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Attributes computed from the content, in addition to `id`.
const DIGESTS: [&str; 6] =
    ["content_md5", "content_sha1", "content_sha256", "content_base64sha256", "content_sha512", "content_base64sha512"];

pub(crate) fn resource_schema(k: Kind) -> BlockSchema {
    use AttrType as T;
    let secret = |a: AttrSchema| if k.sensitive { a.sensitive() } else { a };
    let mut b = BlockSchema::default()
        .attr("filename", AttrSchema::required(T::String).force_new().describe("path of the file; relative to the configuration directory"))
        .attr("content", secret(AttrSchema::optional(T::String).force_new().describe("UTF-8 content; exactly one of content, content_base64")))
        .attr("content_base64", secret(AttrSchema::optional(T::String).force_new().describe("base64-encoded binary content")))
        .attr("file_permission", AttrSchema::optional_computed(T::String).force_new().describe("octal mode, default \"0777\" (\"0700\" for local_sensitive_file; umask applies)"))
        .attr(
            "directory_permission",
            AttrSchema::optional_computed(T::String).force_new().describe("octal mode of created parent directories, default \"0777\" (\"0700\" for local_sensitive_file)"),
        )
        .attr("id", AttrSchema::computed(T::String).describe("hex SHA-1 of the content"));
    for d in DIGESTS {
        b = b.attr(d, AttrSchema::computed(T::String));
    }
    b
}

pub(crate) fn data_schema(k: Kind) -> BlockSchema {
    use AttrType as T;
    let secret = |a: AttrSchema| if k.sensitive { a.sensitive() } else { a };
    let mut b = BlockSchema::default()
        .attr("filename", AttrSchema::required(T::String))
        .attr("content", secret(AttrSchema::computed(T::String)))
        .attr("content_base64", secret(AttrSchema::computed(T::String)))
        .attr("id", AttrSchema::computed(T::String));
    for d in DIGESTS {
        b = b.attr(d, AttrSchema::computed(T::String));
    }
    b
}

/// Fills the permission defaults, so the plan shows them known.
pub(crate) fn with_defaults(k: Kind, desired: &Value) -> Value {
    let mut v = desired.clone();
    for a in ["file_permission", "directory_permission"] {
        if attr(&v, a).is_none() {
            v = with_attr(v, a, Value::string(k.default_permission));
        }
    }
    v
}

fn parse_mode(s: &str) -> Option<u32> {
    let ok_len = matches!(s.len(), 3 | 4);
    if ok_len && s.chars().all(|c| ('0'..='7').contains(&c)) {
        u32::from_str_radix(s, 8).ok()
    } else {
        None
    }
}

pub(crate) fn validate(k: Kind, cfg: &Value) -> Diagnostics {
    let ty = k.ty;
    let mut d = Diagnostics::new();
    let content = attr(cfg, "content").is_some();
    let b64 = attr(cfg, "content_base64");
    match (content, b64.is_some()) {
        (true, true) => d.push(
            Diagnostic::error("Conflicting content arguments")
                .with_detail(format!("{ty}: set only one of \"content\" and \"content_base64\".")),
        ),
        (false, false) => d.push(
            Diagnostic::error("Missing content")
                .with_detail(format!("{ty}: exactly one of \"content\" or \"content_base64\" must be set (content = \"\" for an empty file).")),
        ),
        _ => {}
    }
    if let Some(Value::String(s)) = b64.map(Value::unmarked) {
        if B64.decode(s).is_err() {
            d.push(Diagnostic::error("Invalid content_base64").with_detail(format!("{ty}: content_base64 is not valid base64.")));
        }
    }
    for a in ["file_permission", "directory_permission"] {
        if let Some(s) = attr_str(cfg, a) {
            if parse_mode(s).is_none() {
                let shown = if attr(cfg, a).is_some_and(Value::contains_sensitive) { "(sensitive value)".to_string() } else { format!("{s:?}") };
                d.push(
                    Diagnostic::error(format!("Invalid {a}"))
                        .with_detail(format!("{ty}: {a} = {shown} must be a 3 or 4 digit octal mode such as \"0644\".")),
                );
            }
        }
    }
    d
}

/// `id` and every digest attribute of some content.
fn digests(bytes: &[u8]) -> [(&'static str, String); 7] {
    let sha256 = Sha256::digest(bytes);
    let sha512 = Sha512::digest(bytes);
    let sha1 = hex::encode(Sha1::digest(bytes));
    [
        ("id", sha1.clone()),
        ("content_md5", hex::encode(Md5::digest(bytes))),
        ("content_sha1", sha1),
        ("content_sha256", hex::encode(sha256)),
        ("content_base64sha256", B64.encode(sha256)),
        ("content_sha512", hex::encode(sha512)),
        ("content_base64sha512", B64.encode(sha512)),
    ]
}

fn with_digests(mut v: Value, bytes: &[u8]) -> Value {
    for (k, d) in digests(bytes) {
        v = with_attr(v, k, Value::String(d));
    }
    v
}

/// The file a value names, resolved against the provider's base directory;
/// `sensitive` when the name is marked sensitive, so errors never show it.
pub(crate) struct Target {
    ty: &'static str,
    path: PathBuf,
    /// The name as configured, for messages (relative names stay relative).
    name: String,
    sensitive: bool,
}

impl Target {
    fn shown(&self) -> String {
        if self.sensitive { "(sensitive path)".to_string() } else { self.name.clone() }
    }
}

fn filename(k: Kind, v: &Value, base: &Path) -> Result<Target, ProviderError> {
    let name = attr_str(v, "filename").ok_or_else(|| ProviderError::Invalid(format!("{}: filename is required", k.ty)))?;
    let sensitive = v.is_sensitive() || attr(v, "filename").is_some_and(Value::contains_sensitive);
    Ok(Target { ty: k.ty, path: base.join(name), name: name.to_string(), sensitive })
}

fn content_bytes(k: Kind, v: &Value) -> Result<Vec<u8>, ProviderError> {
    if let Some(b64) = attr_str(v, "content_base64") {
        return B64.decode(b64).map_err(|e| ProviderError::Invalid(format!("{}: content_base64: {e}", k.ty)));
    }
    Ok(attr_str(v, "content").unwrap_or_default().as_bytes().to_vec())
}

fn mode_of(k: Kind, v: &Value, name: &str) -> Result<u32, ProviderError> {
    let s = attr_str(v, name).unwrap_or(k.default_permission);
    parse_mode(s).ok_or_else(|| ProviderError::Invalid(format!("{}: {name} is not a 3 or 4 digit octal mode", k.ty)))
}

/// `local_file: cannot write x.txt: Permission denied`, or with a sensitive
/// name `local_file: cannot write (sensitive path): Permission denied`. The
/// io error's own text never holds the path.
fn io_err(what: &str, t: &Target, e: std::io::Error) -> ProviderError {
    ProviderError::Failed(format!("{}: cannot {what} {}: {e}", t.ty, t.shown()))
}

pub(crate) async fn create(k: Kind, planned: &Value, base: &Path) -> Result<Value, ProviderError> {
    let t = filename(k, planned, base)?;
    let path = t.path.as_path();
    let bytes = content_bytes(k, planned)?;
    let file_mode = mode_of(k, planned, "file_permission")?;
    let dir_mode = mode_of(k, planned, "directory_permission")?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut b = tokio::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        b.mode(dir_mode);
        b.create(dir).await.map_err(|e| io_err("create the directory of", &t, e))?;
    }
    #[cfg(not(unix))]
    let _ = (file_mode, dir_mode);
    let mut opts = tokio::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    // Like Terraform (os.WriteFile): the mode applies on creation, under the umask.
    #[cfg(unix)]
    opts.mode(file_mode);
    let mut f = opts.open(path).await.map_err(|e| io_err("create", &t, e))?;
    tokio::io::AsyncWriteExt::write_all(&mut f, &bytes).await.map_err(|e| io_err("write", &t, e))?;
    tokio::io::AsyncWriteExt::flush(&mut f).await.map_err(|e| io_err("write", &t, e))?;
    let mut v = with_digests(planned.clone(), &bytes);
    // Optional+computed attributes left unknown by a plan get their defaults.
    for a in ["file_permission", "directory_permission"] {
        if attr(&v, a).is_none_or(Value::is_unknown) {
            v = with_attr(v, a, Value::string(k.default_permission));
        }
    }
    Ok(v)
}

/// `None` when the file is gone; the current content (and digests) when it
/// changed out of band, so the plan shows the drift and replaces the file.
pub(crate) async fn read(k: Kind, state: &Value, base: &Path) -> Result<Option<Value>, ProviderError> {
    let t = filename(k, state, base)?;
    let bytes = match read_limited(&t).await {
        Ok(b) => b,
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into_provider(&t)),
    };
    let sha1 = hex::encode(Sha1::digest(&bytes));
    if attr_str(state, "id") == Some(sha1.as_str()) {
        return Ok(Some(state.clone()));
    }
    let secret = |x: Value| if k.sensitive { x.mark_sensitive() } else { x };
    let v = if attr(state, "content_base64").is_some() {
        with_attr(state.clone(), "content_base64", secret(Value::String(B64.encode(&bytes))))
    } else {
        with_attr(state.clone(), "content", secret(Value::String(String::from_utf8_lossy(&bytes).into_owned())))
    };
    Ok(Some(with_digests(v, &bytes)))
}

pub(crate) async fn delete(k: Kind, prior: &Value, base: &Path) -> Result<(), ProviderError> {
    let t = filename(k, prior, base)?;
    match tokio::fs::remove_file(&t.path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("delete", &t, e)),
    }
}

/// Largest file `local_file` reads back (data source, drift check).
pub(crate) const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

enum ReadError {
    Io(std::io::Error),
    NotRegular,
    TooLarge,
}

impl ReadError {
    fn into_provider(self, t: &Target) -> ProviderError {
        match self {
            ReadError::Io(e) => io_err("read", t, e),
            ReadError::NotRegular => ProviderError::Failed(format!("{}: cannot read {}: not a regular file", t.ty, t.shown())),
            ReadError::TooLarge => ProviderError::Failed(format!(
                "{}: cannot read {}: larger than the limit of {} MiB",
                t.ty,
                t.shown(),
                MAX_READ_BYTES / (1024 * 1024)
            )),
        }
    }
}

/// Reads a regular file of at most `MAX_READ_BYTES` (never `/dev/zero` or a FIFO forever).
async fn read_limited(t: &Target) -> Result<Vec<u8>, ReadError> {
    use tokio::io::AsyncReadExt;
    let meta = tokio::fs::metadata(&t.path).await.map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > MAX_READ_BYTES {
        return Err(ReadError::TooLarge);
    }
    let f = tokio::fs::File::open(&t.path).await.map_err(ReadError::Io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.take(MAX_READ_BYTES + 1).read_to_end(&mut bytes).await.map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

pub(crate) async fn read_data(k: Kind, cfg: &Value, base: &Path) -> Result<Value, ProviderError> {
    let t = filename(k, cfg, base)?;
    let bytes = read_limited(&t).await.map_err(|e| e.into_provider(&t))?;
    let name = attr(cfg, "filename").cloned().unwrap_or_else(|| Value::string(&t.name));
    let secret = |x: Value| if k.sensitive { x.mark_sensitive() } else { x };
    let v = Value::map([
        ("filename", name),
        ("content", secret(Value::String(String::from_utf8_lossy(&bytes).into_owned()))),
        ("content_base64", secret(Value::String(B64.encode(&bytes)))),
    ]);
    Ok(with_digests(v, &bytes))
}
