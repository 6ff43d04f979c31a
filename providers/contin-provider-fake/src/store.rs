//! The fake cloud persisted as one JSON file, so several `contin` runs see
//! the same objects and tests can edit them out of band.
//!
//! ```json
//! { "version": 1, "next_id": 3,
//!   "objects": { "fake-1": { "type": "fake_resource", "attributes": { "id": "fake-1", … } } } }
//! ```

use contin_provider::ProviderError;
use contin_types::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

const FORMAT_VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct StoreFile {
    version: u64,
    next_id: u64,
    objects: BTreeMap<String, StoredObject>,
}

#[derive(Serialize, Deserialize)]
struct StoredObject {
    #[serde(rename = "type")]
    ty: String,
    attributes: serde_json::Value,
}

/// The objects of the fake cloud, in memory.
pub(crate) struct Store {
    path: PathBuf,
    next_id: u64,
    objects: BTreeMap<String, (String, Value)>,
    /// Bumped by every mutation; the writer persists the newest.
    version: u64,
}

/// A serialized store ready to be written.
pub(crate) struct Snapshot {
    pub(crate) version: u64,
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Store {
    pub(crate) fn empty(path: PathBuf) -> Self {
        Store { path, next_id: 1, objects: BTreeMap::new(), version: 0 }
    }

    pub(crate) fn parse(path: PathBuf, bytes: &[u8]) -> Result<Self, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Store::empty(path));
        }
        let file: StoreFile = serde_json::from_slice(bytes)
            .map_err(|e| format!("fake provider: store {} is not a valid store file: {e}", path.display()))?;
        if file.version != FORMAT_VERSION {
            return Err(format!("fake provider: store {} has format version {}, expected {FORMAT_VERSION}", path.display(), file.version));
        }
        let objects = file.objects.into_iter().map(|(id, o)| (id, (o.ty, Value::from_json(&o.attributes)))).collect();
        Ok(Store { path, next_id: file.next_id.max(1), objects, version: 0 })
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

    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.objects.get(id).map(|(_, v)| v)
    }

    pub(crate) fn insert(&mut self, id: String, ty: &str, v: Value) {
        self.objects.insert(id, (ty.to_string(), v));
    }

    pub(crate) fn remove(&mut self, id: &str) {
        self.objects.remove(id);
    }

    pub(crate) fn bump(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    pub(crate) fn snapshot(&self) -> Result<Snapshot, ProviderError> {
        let file = StoreFile {
            version: FORMAT_VERSION,
            next_id: self.next_id,
            objects: self
                .objects
                .iter()
                .map(|(id, (ty, v))| (id.clone(), StoredObject { ty: ty.clone(), attributes: v.to_json_lossy() }))
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| ProviderError::Failed(format!("fake provider: {e}")))?;
        Ok(Snapshot { version: self.version, path: self.path.clone(), bytes })
    }
}

impl Snapshot {
    /// Writes via a temporary file and rename, so a reader never sees half a store.
    pub(crate) async fn write(&self) -> Result<(), ProviderError> {
        let io = |e: std::io::Error| ProviderError::Failed(format!("fake provider: cannot write store {}: {e}", self.path.display()));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        tokio::fs::write(&tmp, &self.bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &self.path).await.map_err(io)
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
