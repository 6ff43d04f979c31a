//! The fake cloud persisted as one JSON file, so several `contin` runs (and
//! several provider instances in one process) see the same objects and tests
//! can edit them out of band.
//!
//! ```json
//! { "version": 1, "next_id": 3,
//!   "objects": { "fake-1": { "type": "fake_resource", "attributes": { "id": "fake-1", … },
//!                            "owner": { "lineage": "…", "address": "fake_resource.a", "generation": 1 } } } }
//! ```
//!
//! Every mutation is one transaction: take an exclusive OS lock on
//! `STORE.lock` (the kernel drops it when the holder dies), re-read the file,
//! change it, write `STORE.tmp`, fsync it, rename it over the store and fsync
//! the directory. A kill at any moment leaves either the old or the new store,
//! never half of one, and an object exists only once its create is durable.

use contin_types::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const FORMAT_VERSION: u64 = 1;

/// Largest store file read (a test tool; a bigger one is a mistake).
const MAX_STORE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct StoreFile {
    version: u64,
    next_id: u64,
    objects: BTreeMap<String, StoredObject>,
}

#[derive(Serialize, Deserialize, Clone)]
struct StoredObject {
    #[serde(rename = "type")]
    ty: String,
    attributes: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<Owner>,
}

/// Which create made an object: what `create` adopts by after a crash
/// between the object existing and state recording it (as the aws provider
/// adopts by its `contin:lineage`/`contin:address`/`contin:generation` tags).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub lineage: String,
    pub address: String,
    pub generation: u64,
}

/// One object of a store file, as `list_store` returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreObject {
    pub id: String,
    pub ty: String,
    pub attributes: serde_json::Value,
    /// `None` for objects written by hand or by an older fake provider.
    pub owner: Option<Owner>,
}

/// The objects of a store file, in id order (an absent or blank file has
/// none). For tests that count what the fake cloud holds, e.g. to prove a
/// crash left no duplicate and no unrecorded object.
pub fn list_store(path: &Path) -> Result<Vec<StoreObject>, String> {
    let data = match read_file(path)? {
        Some(bytes) => Data::parse(path, &bytes)?,
        None => Data::empty(),
    };
    Ok(data
        .objects
        .into_iter()
        .map(|(id, o)| StoreObject { id, ty: o.ty, attributes: o.attributes, owner: o.owner })
        .collect())
}

/// The parsed store.
pub(crate) struct Data {
    next_id: u64,
    objects: BTreeMap<String, StoredObject>,
}

impl Data {
    fn empty() -> Self {
        Data { next_id: 1, objects: BTreeMap::new() }
    }

    pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Self, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Data::empty());
        }
        let file: StoreFile = serde_json::from_slice(bytes)
            .map_err(|e| format!("fake provider: store {} is not a valid store file: {e}", path.display()))?;
        if file.version != FORMAT_VERSION {
            return Err(format!("fake provider: store {} has format version {}, expected {FORMAT_VERSION}", path.display(), file.version));
        }
        Ok(Data { next_id: file.next_id.max(1), objects: file.objects })
    }

    fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let file = StoreFile { version: FORMAT_VERSION, next_id: self.next_id, objects: self.objects.clone() };
        serde_json::to_vec_pretty(&file).map_err(|e| format!("fake provider: {e}"))
    }

    pub(crate) fn next_id(&mut self) -> String {
        let mut n = self.next_id;
        // Skip ids someone added to the file by hand.
        while self.objects.contains_key(&format!("fake-{n}")) {
            n += 1;
        }
        self.next_id = n + 1;
        format!("fake-{n}")
    }

    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        self.objects.get(id).map(|o| Value::from_json(&o.attributes))
    }

    /// The id of the object of type `ty` that `owner`'s create made, if any.
    pub(crate) fn owned_by(&self, ty: &str, owner: &Owner) -> Option<String> {
        self.objects.iter().find(|(_, o)| o.ty == ty && o.owner.as_ref() == Some(owner)).map(|(id, _)| id.clone())
    }

    /// Inserts or replaces an object; a replaced object keeps its owner unless one is given.
    pub(crate) fn insert(&mut self, id: String, ty: &str, v: &Value, owner: Option<Owner>) {
        let owner = owner.or_else(|| self.objects.get(&id).and_then(|o| o.owner.clone()));
        self.objects.insert(id, StoredObject { ty: ty.to_string(), attributes: v.to_json_lossy(), owner });
    }

    pub(crate) fn remove(&mut self, id: &str) -> bool {
        self.objects.remove(id).is_some()
    }
}

/// Reads a store file; `None` when it does not exist.
fn read_file(path: &Path) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    let io = |e: std::io::Error| format!("fake provider: cannot read store {}: {e}", path.display());
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut bytes = Vec::new();
    f.take(MAX_STORE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_STORE_BYTES {
        return Err(format!("fake provider: store {} is larger than {} MiB", path.display(), MAX_STORE_BYTES >> 20));
    }
    Ok(Some(bytes))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A store file on disk.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    path: PathBuf,
}

/// What a transaction's closure says about the store.
pub(crate) enum Outcome<T> {
    /// Nothing changed: no write.
    Unchanged(T),
    /// Persist the changed store before returning.
    Changed(T),
}

impl Store {
    /// Checks the file parses (configure reports a broken store early).
    pub(crate) fn open(path: PathBuf) -> Result<Self, String> {
        if let Some(bytes) = read_file(&path)? {
            Data::parse(&path, &bytes)?;
        }
        Ok(Store { path })
    }

    /// Runs `f` on the current store under the store's exclusive lock and,
    /// when it changed something, durably replaces the file before unlocking.
    /// Blocking: call from `spawn_blocking`.
    pub(crate) fn transact<T>(&self, f: impl FnOnce(&mut Data) -> Result<Outcome<T>, String>) -> Result<T, String> {
        let path = &self.path;
        let io = |what: &str, e: std::io::Error| format!("fake provider: cannot {what} store {}: {e}", path.display());
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(sibling(path, ".lock"))
            .map_err(|e| io("lock", e))?;
        lock.lock().map_err(|e| io("lock", e))?;
        let mut data = match read_file(path)? {
            Some(bytes) => Data::parse(path, &bytes)?,
            None => Data::empty(),
        };
        let out = match f(&mut data)? {
            Outcome::Unchanged(out) => return Ok(out),
            Outcome::Changed(out) => out,
        };
        let bytes = data.to_bytes()?;
        let tmp = sibling(path, ".tmp");
        let mut file = std::fs::File::create(&tmp).map_err(|e| io("write", e))?;
        file.write_all(&bytes).map_err(|e| io("write", e))?;
        file.sync_all().map_err(|e| io("sync", e))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| io("replace", e))?;
        let dir = dir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| io("sync the directory of", e))?;
        drop(lock);
        Ok(out)
    }

    /// Reads the current store (no lock: the file is only ever replaced whole).
    pub(crate) fn read(&self) -> Result<Data, String> {
        match read_file(&self.path)? {
            Some(bytes) => Data::parse(&self.path, &bytes),
            None => Ok(Data::empty()),
        }
    }
}

/// A value read back from JSON, given the shape of `reference` (the state):
/// JSON has no sets, so arrays become sets where the state has a set.
pub(crate) fn reshape_like(stored: &Value, reference: &Value) -> Value {
    match (stored, reference.unmarked()) {
        (Value::List(items), Value::Set(_)) => Value::set(items.clone()),
        (Value::List(items), Value::List(refs)) => Value::List(
            items.iter().enumerate().map(|(i, v)| refs.get(i).map_or_else(|| v.clone(), |r| reshape_like(v, r))).collect(),
        ),
        (Value::Map(m), Value::Map(refs)) => {
            Value::Map(m.iter().map(|(k, v)| (k.clone(), refs.get(k).map_or_else(|| v.clone(), |r| reshape_like(v, r)))).collect())
        }
        (v, _) => v.clone(),
    }
}
