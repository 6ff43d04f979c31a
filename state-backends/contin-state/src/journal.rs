//! The apply journal (ARCHITECTURE §4): an append-only, fsynced file beside
//! the state that makes every finished change durable before dependants
//! start, without rewriting the whole snapshot each time.
//!
//! Records:
//! - `Intent { addr, provider, generation }`: written and fsynced BEFORE a
//!   create's provider call;
//! - `Put(ResourceState)`: a finished create / update / refresh write (the
//!   whole instance record, deposed objects and status included);
//! - `Remove { addr }`: a finished delete;
//! - `Abandon { addr }`: a create announced by an intent failed cleanly.
//!
//! File format (UTF-8, one line each):
//! ```text
//! <len> <hash> {"journal_format":1,"lineage":"…","base_serial":7}
//! <len> <hash> {"put":{…}}
//! ```
//! `<len>` is the decimal byte length of the JSON, `<hash>` the first 16
//! bytes of its SHA-256 in hex. A line whose length or hash does not match
//! (a write torn by `kill -9` or a power cut) is skipped and counted, never
//! parsed: a record is applied only when it is exactly what was written.
//! A line that checks out but does not parse is an error (a newer format),
//! never silently dropped.
//!
//! Life cycle, under the state lock: `read` + `replay` onto the loaded
//! snapshot → persist the snapshot (serial + 1) → `remove_file`; an apply
//! then `create`s a fresh journal whose `base_serial` is the snapshot it
//! applies on top of, appends while it runs, and after its final snapshot is
//! persisted the journal is removed again.

use crate::files::{make_private, parent_dir, private_options, sync_dir, write_private};
use crate::{DeposedObject, ResourceState, ResourceStatus, State, StateError};
use async_trait::async_trait;
use contin_types::ResourceAddr;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The journal format this build writes and the newest it reads.
pub const JOURNAL_FORMAT: u32 = 1;
/// Largest single record (one resource instance's JSON). Larger → error.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;
/// Largest journal file `read` accepts.
pub const MAX_JOURNAL_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Hex digits of the per-line hash (16 bytes of SHA-256).
const HASH_HEX: usize = 32;

/// The first line: which state the records apply to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub journal_format: u32,
    pub lineage: String,
    /// Serial of the snapshot the records apply on top of.
    pub base_serial: u64,
}

/// One durable fact about the remote world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalRecord {
    /// A create is about to be sent to the provider.
    Intent {
        addr: ResourceAddr,
        provider: String,
        generation: u64,
    },
    /// The instance's record after a finished change.
    Put(Box<ResourceState>),
    /// The instance's object was deleted.
    Remove { addr: ResourceAddr },
    /// A create announced by `Intent` was refused or never sent: nothing
    /// was created, the instance's record is unchanged.
    Abandon { addr: ResourceAddr },
}

impl JournalRecord {
    pub fn addr(&self) -> &ResourceAddr {
        match self {
            JournalRecord::Intent { addr, .. }
            | JournalRecord::Remove { addr }
            | JournalRecord::Abandon { addr } => addr,
            JournalRecord::Put(rs) => &rs.addr,
        }
    }
}

/// Where the apply's durable record goes. The executor does no file IO:
/// it is handed one of these (`JournalWriter` over a `FileJournal`).
#[async_trait]
pub trait Journal: Send + Sync {
    /// For messages (`journal ./contin.state.json.journal`).
    fn describe(&self) -> String;
    /// Returns once all `records` are durable (written and fsynced), in
    /// order. Concurrent calls may be committed together (group commit).
    async fn append(&self, records: Vec<JournalRecord>) -> Result<(), StateError>;
}

/// A journal as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalContents {
    pub header: JournalHeader,
    pub records: Vec<JournalRecord>,
    /// Lines skipped because their length or hash did not match (torn writes).
    pub damaged_lines: usize,
}

/// What `replay` did, for messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplaySummary {
    pub puts: usize,
    pub removes: usize,
    /// Creates that were started but whose outcome is unknown: recorded as
    /// `Tainted` placeholders (attributes null) so the next plan replaces
    /// them and the provider adopts the object if the create went through.
    pub unresolved_creates: Vec<ResourceAddr>,
    /// Torn lines skipped (see `JournalContents::damaged_lines`).
    pub damaged_lines: usize,
    /// `recover` only: the stored snapshot already holds every record (it
    /// was saved after the journal); nothing to persist, remove the journal.
    pub already_in_state: bool,
}

impl ReplaySummary {
    /// True when the journal changed nothing.
    pub fn is_empty(&self) -> bool {
        self.puts == 0 && self.removes == 0 && self.unresolved_creates.is_empty()
    }
}

fn io_err(context: String) -> impl FnOnce(io::Error) -> StateError {
    move |source| StateError::Io { context, source }
}

fn corrupt(path: &Path, reason: String) -> StateError {
    StateError::Corrupt {
        location: format!("journal {}", path.display()),
        reason,
    }
}

/// Applies `contents` to `state` (the snapshot loaded from the backend).
/// Refuses, changing nothing, a journal of another lineage or whose base
/// serial is not `state.serial` (it belongs to another snapshot: applying it
/// could resurrect deleted objects or drop newer ones). The caller bumps the
/// serial when it persists the result.
pub fn replay(
    state: &mut State,
    contents: &JournalContents,
    location: &str,
) -> Result<ReplaySummary, StateError> {
    let h = &contents.header;
    if h.lineage != state.lineage {
        return Err(StateError::Other(format!(
            "journal {location} belongs to state lineage {}, but the state has lineage {}; it was not applied and was left in place: move it away if it belongs to another state",
            h.lineage, state.lineage
        )));
    }
    if h.base_serial != state.serial {
        return Err(StateError::Other(format!(
            "journal {location} records changes made on top of state serial {}, but the stored state has serial {}; it was not applied and was left in place. If the state was saved after that apply finished (serial {} or later) the journal's changes are already in it and the file can be deleted; otherwise restore the state it was written against",
            h.base_serial,
            state.serial,
            h.base_serial + 1
        )));
    }
    Ok(apply_records(state, contents))
}

/// What the engine calls under the lock, after loading the snapshot and
/// reading the journal: the state to continue from.
///
/// - nothing stored and a journal on top of serial 0 (the first apply was
///   interrupted): an empty state of the journal's lineage plus its records;
/// - base serial = stored serial: `replay`;
/// - base serial < stored serial and replaying changes nothing (the apply's
///   final snapshot was saved but the process died before removing the
///   journal): the stored state, `already_in_state` set;
/// - anything else: an error, the journal left in place.
///
/// Unless `already_in_state` or the summary `is_empty`, the caller persists
/// the result (serial + 1) and then removes the journal.
pub fn recover(stored: Option<State>, contents: &JournalContents, location: &str) -> Result<(State, ReplaySummary), StateError> {
    let h = &contents.header;
    let mut state = match stored {
        Some(s) => s,
        None if h.base_serial == 0 => State { lineage: h.lineage.clone(), ..State::new() },
        None => {
            return Err(StateError::Other(format!(
                "journal {location} records changes made on top of state serial {}, but no state is stored; it was not applied and was left in place",
                h.base_serial
            )))
        }
    };
    if h.lineage == state.lineage && h.base_serial < state.serial {
        let mut trial = state.clone();
        let mut summary = apply_records(&mut trial, contents);
        if trial.resources == state.resources {
            summary.already_in_state = true;
            return Ok((state, summary));
        }
    }
    let summary = replay(&mut state, contents, location)?;
    Ok((state, summary))
}

/// Applies the records, checks done by the caller.
fn apply_records(state: &mut State, contents: &JournalContents) -> ReplaySummary {
    let mut summary = ReplaySummary {
        damaged_lines: contents.damaged_lines,
        ..ReplaySummary::default()
    };
    // Open intents: address → (provider, generation).
    let mut open: BTreeMap<ResourceAddr, (String, u64)> = BTreeMap::new();
    for rec in &contents.records {
        match rec {
            JournalRecord::Intent {
                addr,
                provider,
                generation,
            } => {
                open.insert(addr.clone(), (provider.clone(), *generation));
            }
            JournalRecord::Put(rs) => {
                open.remove(&rs.addr);
                state.resources.insert(rs.addr.clone(), (**rs).clone());
                summary.puts += 1;
            }
            JournalRecord::Remove { addr } => {
                open.remove(addr);
                state.resources.remove(addr);
                summary.removes += 1;
            }
            JournalRecord::Abandon { addr } => {
                open.remove(addr);
            }
        }
    }
    for (addr, (provider, generation)) in open {
        let placeholder = unresolved_create(
            state.resources.remove(&addr),
            addr.clone(),
            provider,
            generation,
        );
        state.resources.insert(addr.clone(), placeholder);
        summary.unresolved_creates.push(addr);
    }
    summary
}

/// The record for a create whose outcome is unknown. Generation is one less
/// than the intent's, so the replacing create reuses the same idempotency
/// token (lineage, address, generation) as the interrupted one. An object
/// still recorded under the address (a `create_before_destroy` replace in
/// flight) is kept as a deposed object, never dropped.
fn unresolved_create(
    existing: Option<ResourceState>,
    addr: ResourceAddr,
    provider: String,
    generation: u64,
) -> ResourceState {
    let mut deposed = Vec::new();
    let mut dependencies = Vec::new();
    let mut schema_version = 0;
    let mut cbd = false;
    if let Some(old) = existing {
        dependencies = old.dependencies;
        schema_version = old.schema_version;
        cbd = old.create_before_destroy;
        deposed = old.deposed;
        if !old.attributes.is_null() {
            deposed.push(DeposedObject {
                key: new_deposed_key(),
                attributes: old.attributes,
                sensitive_paths: old.sensitive_paths,
                generation: old.generation,
            });
        }
    }
    ResourceState {
        addr,
        provider,
        schema_version,
        attributes: serde_json::Value::Null,
        sensitive_paths: Vec::new(),
        dependencies,
        status: ResourceStatus::Tainted,
        create_before_destroy: cbd,
        generation: generation.saturating_sub(1),
        deposed,
    }
}

/// A fresh deposed-object key: 8 hex digits (Terraform's shape).
pub fn new_deposed_key() -> String {
    let u = uuid::Uuid::new_v4();
    u.simple().to_string()[..8].to_string()
}

fn hash_hex(json: &[u8]) -> String {
    let digest = Sha256::digest(json);
    let mut s = String::with_capacity(HASH_HEX);
    for b in &digest[..HASH_HEX / 2] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn frame(json: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(json.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(hash_hex(json).as_bytes());
    out.push(b' ');
    out.extend_from_slice(json);
    out.push(b'\n');
}

/// Encodes records as framed lines (what `append` writes).
pub fn encode_records(records: &[JournalRecord]) -> Result<Vec<u8>, StateError> {
    let mut out = Vec::new();
    for r in records {
        let json = serde_json::to_vec(r).map_err(|e| {
            StateError::Other(format!(
                "cannot encode journal record for {}: {e}",
                r.addr()
            ))
        })?;
        if json.len() > MAX_RECORD_BYTES {
            return Err(StateError::Other(format!(
                "journal record for {} is {} bytes, over the limit of {MAX_RECORD_BYTES} bytes per record",
                r.addr(),
                json.len()
            )));
        }
        frame(&json, &mut out);
    }
    Ok(out)
}

/// The JSON of a framed line, `None` when the frame does not check out.
fn unframe(line: &[u8]) -> Option<&[u8]> {
    let sp = line.iter().position(|&b| b == b' ')?;
    let (len_txt, rest) = (&line[..sp], &line[sp + 1..]);
    if len_txt.is_empty() || len_txt.len() > 20 || !len_txt.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len: usize = std::str::from_utf8(len_txt).ok()?.parse().ok()?;
    if len > MAX_RECORD_BYTES
        || rest.len() != HASH_HEX + 1 + len
        || rest.get(HASH_HEX) != Some(&b' ')
    {
        return None;
    }
    let (hash, json) = (&rest[..HASH_HEX], &rest[HASH_HEX + 1..]);
    (hash == hash_hex(json).as_bytes()).then_some(json)
}

/// Parses journal bytes (see the module docs). `path` names the file in errors.
pub fn decode(bytes: &[u8], path: &Path) -> Result<JournalContents, StateError> {
    let mut lines = bytes.split(|&b| b == b'\n');
    let header_line = lines.next().unwrap_or_default();
    let header_json = unframe(header_line).ok_or_else(|| {
        corrupt(
            path,
            "the header line is damaged (its length or checksum does not match)".to_string(),
        )
    })?;
    let header: JournalHeader = serde_json::from_slice(header_json)
        .map_err(|e| corrupt(path, format!("the header does not parse: {e}")))?;
    if header.journal_format > JOURNAL_FORMAT || header.journal_format == 0 {
        return Err(corrupt(
            path,
            format!("journal format {} is not one this contin reads (1..={JOURNAL_FORMAT}); upgrade contin", header.journal_format),
        ));
    }
    let mut records = Vec::new();
    let mut damaged_lines = 0;
    for (i, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        match unframe(line) {
            None => damaged_lines += 1,
            Some(json) => {
                let rec: JournalRecord = serde_json::from_slice(json).map_err(|e| {
                    corrupt(
                        path,
                        format!(
                            "record on line {} checks out but does not parse: {e}",
                            i + 2
                        ),
                    )
                })?;
                records.push(rec);
            }
        }
    }
    Ok(JournalContents {
        header,
        records,
        damaged_lines,
    })
}

/// The journal file of a running apply.
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: File,
    /// Set by a failed append: later appends fail too (the file may end in
    /// a torn line; the next run reads what is intact).
    poisoned: Option<String>,
}

impl FileJournal {
    /// Starts a fresh journal at `path` (replacing any file there: replay
    /// and remove the old one first), mode 0600, header written and fsynced.
    pub fn create(
        path: impl Into<PathBuf>,
        lineage: &str,
        base_serial: u64,
    ) -> Result<Self, StateError> {
        let path = path.into();
        let header = JournalHeader {
            journal_format: JOURNAL_FORMAT,
            lineage: lineage.to_string(),
            base_serial,
        };
        let json = serde_json::to_vec(&header)
            .map_err(|e| StateError::Other(format!("cannot encode journal header: {e}")))?;
        let mut bytes = Vec::new();
        frame(&json, &mut bytes);
        write_private(&path, &bytes)?;
        let file = private_options()
            .append(true)
            .open(&path)
            .map_err(io_err(format!("opening journal {}", path.display())))?;
        Ok(FileJournal {
            path,
            file,
            poisoned: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes all `records` with one write and one fsync (group commit).
    pub fn append(&mut self, records: &[JournalRecord]) -> Result<(), StateError> {
        if let Some(why) = &self.poisoned {
            return Err(StateError::Other(format!(
                "journal {} is unusable after an earlier write failed: {why}",
                self.path.display()
            )));
        }
        if records.is_empty() {
            return Ok(());
        }
        let bytes = encode_records(records)?;
        let r = self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data());
        r.map_err(|e| {
            self.poisoned = Some(e.to_string());
            io_err(format!("appending to journal {}", self.path.display()))(e)
        })
    }

    /// Reads the journal at `path`; `None` when there is none. A file over
    /// `MAX_JOURNAL_BYTES` or not a regular file is an error.
    pub fn read(path: &Path) -> Result<Option<JournalContents>, StateError> {
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(format!("reading journal {}", path.display()))(e)),
        };
        if !meta.is_file() {
            return Err(corrupt(path, "it is not a regular file".to_string()));
        }
        if meta.len() > MAX_JOURNAL_BYTES {
            return Err(corrupt(
                path,
                format!(
                    "it is {} bytes, over the limit of {MAX_JOURNAL_BYTES} bytes",
                    meta.len()
                ),
            ));
        }
        let bytes =
            fs::read(path).map_err(io_err(format!("reading journal {}", path.display())))?;
        make_private(path)?;
        decode(&bytes, path).map(Some)
    }

    /// Deletes the journal at `path` (after its records are in a persisted
    /// snapshot) and fsyncs the directory. Missing file: Ok.
    pub fn remove_file(path: &Path) -> Result<(), StateError> {
        match fs::remove_file(path) {
            Ok(()) => sync_dir(&parent_dir(path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(format!("removing journal {}", path.display()))(e)),
        }
    }
}

type Request = (
    Vec<JournalRecord>,
    tokio::sync::oneshot::Sender<Result<(), String>>,
);

/// Group-committing front of a `FileJournal`: a task owns the file; every
/// append queued while a write+fsync is in flight goes out in the next one.
/// Dropping the writer (all clones) ends the task and closes the file.
#[derive(Clone, Debug)]
pub struct JournalWriter {
    tx: tokio::sync::mpsc::UnboundedSender<Request>,
    describe: String,
    /// Write + fsync rounds done (for measurements).
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl JournalWriter {
    /// Write + fsync rounds so far (each commits every append queued meanwhile).
    pub fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Starts the writer task; must be called inside a tokio runtime.
    pub fn start(journal: FileJournal) -> Self {
        let describe = format!("journal {}", journal.path.display());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Request>();
        let commits = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = commits.clone();
        tokio::spawn(async move {
            let mut journal = Some(journal);
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let records: Vec<JournalRecord> = batch
                    .iter_mut()
                    .flat_map(|(r, _)| std::mem::take(r))
                    .collect();
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let result = match journal.take() {
                    Some(mut j) => match tokio::task::spawn_blocking(move || {
                        let r = j.append(&records);
                        (j, r)
                    })
                    .await
                    {
                        Ok((j, r)) => {
                            journal = Some(j);
                            r.map_err(|e| e.to_string())
                        }
                        Err(e) => Err(format!("journal write task did not finish: {e}")),
                    },
                    None => Err("journal is closed after an earlier failure".to_string()),
                };
                for (_, reply) in batch {
                    let _ = reply.send(result.clone());
                }
            }
        });
        JournalWriter { tx, describe, commits }
    }
}

#[async_trait]
impl Journal for JournalWriter {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    async fn append(&self, records: Vec<JournalRecord>) -> Result<(), StateError> {
        let (reply, done) = tokio::sync::oneshot::channel();
        self.tx
            .send((records, reply))
            .map_err(|_| StateError::Other(format!("{} is closed", self.describe)))?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StateError::Other(format!(
                "writing {} failed: {e}",
                self.describe
            ))),
            Err(_) => Err(StateError::Other(format!(
                "{} stopped before confirming a write",
                self.describe
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
