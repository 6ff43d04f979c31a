//! The `archive` provider: Terraform's data `archive_file` and resource
//! `archive_file` (type `zip`). Sources: `source_file`, `source_dir` (with
//! `excludes` globs: `*`, `?`, `**`), `source_content` +
//! `source_content_filename`, or `source` blocks; one kind per archive.
//!
//! Deterministic bytes, so repeated plans agree: entries in a fixed order
//! (directory walks sorted by name per directory, like Go's `filepath.Walk`;
//! `source` blocks sorted by filename), every entry dated 1980-01-01 00:00
//! (the earliest zip date), deflate, Unix modes from the files or
//! `output_file_mode`. The bytes are not Terraform's (another deflate
//! implementation), so `output_*` digests differ from Terraform's for the
//! same inputs.
//!
//! Paths: relative `source_*` and `output_path` resolve against the base
//! directory the provider is built with (the engine passes the workspace
//! root, as for `local_file`); state keeps them as configured. The data
//! source writes `output_path` each time it is read, as Terraform's does;
//! the resource writes it at create and rewrites it at refresh.
//!
//! Symlinks: with `follow_symlinks = true` links are followed; otherwise a
//! link is stored as a link entry, and `exclude_symlink_directories = true`
//! skips links to directories.

use crate::{get, get_bool, get_str, int, set, unsupported, unsupported_plan};
use async_trait::async_trait;
use base64::Engine;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, Nesting, NestedBlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub const ARCHIVE_FILE: &str = "archive_file";
/// Most entries in one archive.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest total size of the archived inputs, and of the archive.
pub const MAX_ARCHIVE_BYTES: u64 = 256 * 1024 * 1024;
/// Deepest directory nesting walked.
pub const MAX_DEPTH: usize = 64;
/// Most `excludes` patterns, and the longest one.
pub const MAX_EXCLUDES: usize = 1000;
pub const MAX_PATTERN_BYTES: usize = 1024;

const DIGESTS: [&str; 6] = ["output_md5", "output_sha", "output_sha256", "output_base64sha256", "output_sha512", "output_base64sha512"];

fn schema(resource: bool) -> BlockSchema {
    use AttrType as T;
    let f = |a: AttrSchema| if resource { a.force_new() } else { a };
    let source = BlockSchema::default().attr("content", f(AttrSchema::required(T::String))).attr("filename", f(AttrSchema::required(T::String)));
    let mut b = BlockSchema::default()
        .attr("type", f(AttrSchema::required(T::String)).describe("archive type: zip"))
        .attr("source_content", f(AttrSchema::optional(T::String)))
        .attr("source_content_filename", f(AttrSchema::optional(T::String)))
        .attr("source_file", f(AttrSchema::optional(T::String)))
        .attr("source_dir", f(AttrSchema::optional(T::String)))
        .attr("excludes", f(AttrSchema::optional(T::Set(Box::new(T::String)))))
        .attr("follow_symlinks", f(AttrSchema::optional(T::Bool)))
        .attr("exclude_symlink_directories", f(AttrSchema::optional(T::Bool)))
        .attr("output_path", f(AttrSchema::required(T::String)))
        .attr("output_file_mode", f(AttrSchema::optional(T::String)))
        .attr("output_size", AttrSchema::computed(T::Number))
        .attr("id", AttrSchema::computed(T::String).describe("hex SHA-1 of the archive"))
        .block("source", NestedBlockSchema { nesting: Nesting::Set, block: source, min_items: 0, max_items: None, force_new: resource });
    for d in DIGESTS {
        b = b.attr(d, AttrSchema::computed(T::String));
    }
    b
}

static DATA_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| schema(false));
static RESOURCE_SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| schema(true));

/// The `archive` provider; relative paths resolve against `base_dir`.
#[derive(Debug, Clone)]
pub struct ArchiveProvider {
    base_dir: PathBuf,
}

impl Default for ArchiveProvider {
    fn default() -> Self {
        ArchiveProvider::new(std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
    }
}

impl ArchiveProvider {
    pub fn new(base_dir: PathBuf) -> Self {
        ArchiveProvider { base_dir }
    }
}

/// Go's `strconv.ParseUint(s, 0, 32)`: `0o17`/`017` octal, `0x1ff` hex, else decimal.
fn parse_mode(s: &str) -> Option<u32> {
    let s = s.trim();
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (o, 8)
    } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (b, 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() {
        return None;
    }
    u32::from_str_radix(&digits, radix).ok()
}

fn is_set(v: &Value, name: &str) -> bool {
    get(v, name).is_some_and(|x| !x.is_null())
}

fn sources(v: &Value) -> Vec<&Value> {
    match get(v, "source").map(Value::unmarked) {
        Some(Value::List(items) | Value::Set(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(t) = get_str(cfg, "type") {
        if t != "zip" {
            d.push(Diagnostic::error(format!("type: archive type {t:?} is not supported")).with_detail("contin's archive_file writes zip archives (type = \"zip\")."));
        }
    }
    let kinds: Vec<&str> = [("source", !sources(cfg).is_empty()), ("source_content_filename", is_set(cfg, "source_content_filename")), ("source_file", is_set(cfg, "source_file")), ("source_dir", is_set(cfg, "source_dir"))]
        .into_iter()
        .filter_map(|(n, on)| on.then_some(n))
        .collect();
    match kinds.len() {
        0 => d.push(Diagnostic::error("Missing source").with_detail("archive_file: set one of source, source_content_filename (with source_content), source_file or source_dir.")),
        1 => {}
        _ => d.push(Diagnostic::error(format!("{}: conflicts with {}", kinds[0], kinds[1..].join(", "))).with_detail("archive_file: set only one of source, source_content_filename (with source_content), source_file or source_dir.")),
    }
    if is_set(cfg, "source_content") != is_set(cfg, "source_content_filename") {
        d.push(Diagnostic::error("source_content: source_content and source_content_filename go together"));
    }
    if is_set(cfg, "excludes") && !is_set(cfg, "source_dir") {
        d.push(Diagnostic::error("excludes: applies to source_dir only"));
    }
    if let Some(m) = get_str(cfg, "output_file_mode") {
        if parse_mode(m).is_none() {
            d.push(Diagnostic::error(format!("output_file_mode: {m:?} is not a file mode")).with_detail("An octal mode such as \"0644\" (Go's strconv.ParseUint base 0)."));
        }
    }
    d
}

#[derive(Clone, Copy)]
enum Tok {
    Lit(u8),
    Any,
    Star,
    /// `**` not followed by `/`: anything.
    Stars,
    /// `**/`: nothing, or anything ending in `/`.
    StarsSlash,
}

/// Glob match on `/`-separated paths: `*` and `?` stay within a segment,
/// `**` crosses them (`**/` also matches no directory). Dynamic programming
/// over (pattern, name): time pattern x name, no backtracking blow-up.
fn glob(pattern: &str, name: &str) -> bool {
    let p = pattern.as_bytes();
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'*' if p.get(i + 1) == Some(&b'*') => {
                if p.get(i + 2) == Some(&b'/') {
                    toks.push(Tok::StarsSlash);
                    i += 3;
                } else {
                    toks.push(Tok::Stars);
                    i += 2;
                }
            }
            b'*' => {
                toks.push(Tok::Star);
                i += 1;
            }
            b'?' => {
                toks.push(Tok::Any);
                i += 1;
            }
            c => {
                toks.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    let n = name.as_bytes();
    // next[j]: tokens after the current one match n[j..].
    let mut next = vec![false; n.len() + 1];
    next[n.len()] = true;
    for t in toks.iter().rev() {
        let mut cur = vec![false; n.len() + 1];
        let mut slash_later = false;
        for j in (0..=n.len()).rev() {
            cur[j] = match *t {
                Tok::Lit(c) => j < n.len() && n[j] == c && next[j + 1],
                Tok::Any => j < n.len() && n[j] != b'/' && next[j + 1],
                Tok::Star => next[j] || (j < n.len() && n[j] != b'/' && cur[j + 1]),
                Tok::Stars => next[j] || (j < n.len() && cur[j + 1]),
                Tok::StarsSlash => {
                    if j < n.len() && n[j] == b'/' && next[j + 1] {
                        slash_later = true;
                    }
                    next[j] || slash_later
                }
            };
        }
        next = cur;
    }
    next[0]
}

fn excluded(rel: &str, excludes: &[String]) -> bool {
    excludes.iter().filter(|e| !e.is_empty()).any(|e| {
        let e = e.trim_start_matches("./");
        e == rel || e.trim_end_matches('/') == rel || glob(e, rel)
    })
}

/// One archive entry, in order.
enum Entry {
    File { name: String, data: Vec<u8>, mode: u32 },
    Link { name: String, target: String },
}

struct Budget {
    entries: usize,
    bytes: u64,
}

impl Budget {
    fn add(&mut self, bytes: u64) -> Result<(), String> {
        self.entries += 1;
        self.bytes += bytes;
        if self.entries > MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} entries (the limit)"));
        }
        if self.bytes > MAX_ARCHIVE_BYTES {
            return Err(format!("the inputs add up to more than {} MiB (the limit)", MAX_ARCHIVE_BYTES / (1024 * 1024)));
        }
        Ok(())
    }
}

fn read_file(path: &Path, shown: &str, budget: &mut Budget) -> Result<(Vec<u8>, u32), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("cannot read {shown}: not a regular file"));
    }
    budget.add(meta.len())?;
    let mut data = Vec::new();
    use std::io::Read;
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ARCHIVE_BYTES + 1).read_to_end(&mut data))
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if data.len() as u64 > meta.len() {
        budget.add(data.len() as u64 - meta.len())?;
        budget.entries -= 1;
    }
    #[cfg(unix)]
    let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
    #[cfg(not(unix))]
    let mode = 0o644;
    Ok((data, mode))
}

struct Walk<'a> {
    excludes: &'a [String],
    follow: bool,
    skip_link_dirs: bool,
    budget: Budget,
    out: Vec<Entry>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, rel: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("{rel}: directories nested deeper than {MAX_DEPTH} (the limit; a symlink loop?)"));
        }
        let shown = if rel.is_empty() { "source_dir".to_string() } else { rel.to_string() };
        let mut names: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read directory {shown}: {e}"))?
            .map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read directory {shown}: {e}"))?;
        names.sort();
        for (name, path) in names {
            let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            if excluded(&rel, self.excludes) {
                continue;
            }
            let lmeta = std::fs::symlink_metadata(&path).map_err(|e| format!("cannot read {rel}: {e}"))?;
            if lmeta.file_type().is_symlink() {
                let target_is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
                if target_is_dir && self.skip_link_dirs {
                    continue;
                }
                if !self.follow {
                    let target = std::fs::read_link(&path).map_err(|e| format!("cannot read link {rel}: {e}"))?;
                    self.budget.add(0)?;
                    self.out.push(Entry::Link { name: rel, target: target.to_string_lossy().into_owned() });
                    continue;
                }
                if target_is_dir {
                    self.dir(&path, &rel, depth + 1)?;
                    continue;
                }
            } else if lmeta.is_dir() {
                self.dir(&path, &rel, depth + 1)?;
                continue;
            }
            let (data, mode) = read_file(&path, &rel, &mut self.budget)?;
            self.out.push(Entry::File { name: rel, data, mode });
        }
        Ok(())
    }
}

/// The entries a configuration archives, in archive order.
fn entries(cfg: &Value, base: &Path) -> Result<Vec<Entry>, String> {
    let mut budget = Budget { entries: 0, bytes: 0 };
    if let Some(dir) = get_str(cfg, "source_dir") {
        let path = base.join(dir);
        if !std::fs::metadata(&path).map_err(|e| format!("cannot read source_dir {dir}: {e}"))?.is_dir() {
            return Err(format!("source_dir {dir} is not a directory"));
        }
        let excludes: Vec<String> = match get(cfg, "excludes").map(Value::unmarked) {
            Some(Value::List(items) | Value::Set(items)) => items.iter().filter_map(|i| match i.unmarked() { Value::String(s) => Some(s.clone()), _ => None }).collect(),
            _ => Vec::new(),
        };
        if excludes.len() > MAX_EXCLUDES || excludes.iter().any(|e| e.len() > MAX_PATTERN_BYTES) {
            return Err(format!("excludes: at most {MAX_EXCLUDES} patterns of at most {MAX_PATTERN_BYTES} bytes (the limits)"));
        }
        let mut w = Walk {
            excludes: &excludes,
            follow: get_bool(cfg, "follow_symlinks").unwrap_or(false),
            skip_link_dirs: get_bool(cfg, "exclude_symlink_directories").unwrap_or(false),
            budget,
            out: Vec::new(),
        };
        w.dir(&path, "", 0)?;
        return Ok(w.out);
    }
    if let Some(file) = get_str(cfg, "source_file") {
        let path = base.join(file);
        let (data, mode) = read_file(&path, &format!("source_file {file}"), &mut budget)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| format!("source_file {file} names no file"))?;
        return Ok(vec![Entry::File { name, data, mode }]);
    }
    if let Some(name) = get_str(cfg, "source_content_filename") {
        let content = get_str(cfg, "source_content").unwrap_or_default();
        budget.add(content.len() as u64)?;
        return Ok(vec![Entry::File { name: name.replace('\\', "/"), data: content.as_bytes().to_vec(), mode: 0o644 }]);
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for s in sources(cfg) {
        let name = get_str(s, "filename").ok_or("source.filename is required")?;
        let content = get_str(s, "content").ok_or("source.content is required")?;
        budget.add(content.len() as u64)?;
        // Terraform keys the blocks by filename: the last one of a name wins.
        files.retain(|(n, _)| n != name);
        files.push((name.replace('\\', "/"), content.as_bytes().to_vec()));
    }
    if files.is_empty() {
        return Err("set one of source, source_content_filename (with source_content), source_file or source_dir".into());
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files.into_iter().map(|(name, data)| Entry::File { name, data, mode: 0o644 }).collect())
}

/// The zip bytes of `entries`.
fn zip_bytes(entries: Vec<Entry>, mode: Option<u32>) -> Result<Vec<u8>, String> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let base = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).last_modified_time(zip::DateTime::default());
    for e in entries {
        match e {
            Entry::File { name, data, mode: m } => {
                w.start_file(name.as_str(), base.unix_permissions(mode.unwrap_or(m))).map_err(|e| format!("{name}: {e}"))?;
                w.write_all(&data).map_err(|e| format!("{name}: {e}"))?;
            }
            Entry::Link { name, target } => {
                w.add_symlink(name.as_str(), target, base.unix_permissions(mode.unwrap_or(0o777))).map_err(|e| format!("{name}: {e}"))?;
            }
        }
    }
    let bytes = w.finish().map_err(|e| format!("finishing the archive: {e}"))?.into_inner();
    if bytes.len() as u64 > MAX_ARCHIVE_BYTES {
        return Err(format!("the archive is larger than {} MiB (the limit)", MAX_ARCHIVE_BYTES / (1024 * 1024)));
    }
    Ok(bytes)
}

/// Builds the archive, writes `output_path`, fills the computed attributes.
fn archive(cfg: &Value, base: &Path) -> Result<Value, ProviderError> {
    let err = |e: String| ProviderError::Failed(format!("archive_file: {e}"));
    let t = get_str(cfg, "type").unwrap_or("zip");
    if t != "zip" {
        return Err(ProviderError::Invalid(format!("archive_file: archive type {t:?} is not supported (zip)")));
    }
    let out = get_str(cfg, "output_path").ok_or_else(|| ProviderError::Invalid("archive_file: output_path is required".into()))?;
    let mode = match get_str(cfg, "output_file_mode") {
        Some(m) => Some(parse_mode(m).ok_or_else(|| ProviderError::Invalid(format!("archive_file: output_file_mode {m:?} is not a file mode")))?),
        None => None,
    };
    let bytes = zip_bytes(entries(cfg, base).map_err(err)?, mode).map_err(err)?;
    let path = base.join(out);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create the directory of output_path {out}: {e}")))?;
    }
    // Written beside and renamed: a reader never sees half an archive.
    let tmp = path.with_file_name(format!(".{}.contin-tmp", path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()));
    std::fs::write(&tmp, &bytes).and_then(|_| std::fs::rename(&tmp, &path)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(format!("cannot write output_path {out}: {e}"))
    })?;
    let mut v = cfg.clone();
    if !matches!(v, Value::Map(_)) {
        v = Value::Map(Default::default());
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let sha1 = hex::encode(Sha1::digest(&bytes));
    let sha256 = Sha256::digest(&bytes);
    let sha512 = Sha512::digest(&bytes);
    set(&mut v, "output_size", int(bytes.len() as i64));
    set(&mut v, "output_md5", Value::String(hex::encode(Md5::digest(&bytes))));
    set(&mut v, "output_sha", Value::String(sha1.clone()));
    set(&mut v, "output_sha256", Value::String(hex::encode(sha256)));
    set(&mut v, "output_base64sha256", Value::String(b64.encode(sha256)));
    set(&mut v, "output_sha512", Value::String(hex::encode(sha512)));
    set(&mut v, "output_base64sha512", Value::String(b64.encode(sha512)));
    set(&mut v, "id", Value::String(sha1));
    Ok(v)
}

async fn archive_blocking(cfg: &Value, base: &Path) -> Result<Value, ProviderError> {
    let (cfg, base) = (cfg.clone(), base.to_path_buf());
    tokio::task::spawn_blocking(move || archive(&cfg, &base)).await.map_err(|e| ProviderError::Failed(format!("archive_file: {e}")))?
}

#[async_trait]
impl Provider for ArchiveProvider {
    fn name(&self) -> &str {
        "archive"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert(ARCHIVE_FILE.into(), RESOURCE_SCHEMA.clone());
        s.data_sources.insert(ARCHIVE_FILE.into(), DATA_SCHEMA.clone());
        s
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        if ty == ARCHIVE_FILE { validate(cfg) } else { Diagnostics::new() }
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        if ty != ARCHIVE_FILE {
            return unsupported_plan(ty, desired);
        }
        plan_change_from_schema(&RESOURCE_SCHEMA, prior, desired)
    }

    /// Terraform's resource re-archives at refresh (the digests follow the sources).
    /// Sources that cannot be read leave the state as it is, so a destroy still works.
    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        if ty != ARCHIVE_FILE {
            return Err(unsupported(ty));
        }
        match archive_blocking(state, &self.base_dir).await {
            Ok(v) => Ok(Some(v)),
            Err(_) => Ok(Some(state.clone())),
        }
    }

    async fn create(&self, ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        if ty != ARCHIVE_FILE {
            return Err(unsupported(ty));
        }
        archive_blocking(planned, &self.base_dir).await
    }

    async fn update(&self, ty: &str, _prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        if ty != ARCHIVE_FILE {
            return Err(unsupported(ty));
        }
        archive_blocking(planned, &self.base_dir).await
    }

    /// Like Terraform's: the archive file stays.
    async fn delete(&self, ty: &str, _prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        if ty == ARCHIVE_FILE { Ok(()) } else { Err(unsupported(ty)) }
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        if ty != ARCHIVE_FILE {
            return Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() });
        }
        archive_blocking(cfg, &self.base_dir).await
    }
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
