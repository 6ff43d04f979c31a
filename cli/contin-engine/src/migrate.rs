//! `init -migrate-state [-from-state FILE]`: copies a local state file into
//! the configured (remote) backend.
//!
//! Migration rules (both locks held: the local file's and the target's):
//! - target empty → the local state is written as is (same lineage, serial);
//! - target has the same lineage and a lower serial → overwritten (If-Match);
//! - same lineage, same serial, same content → already migrated, nothing written;
//! - another lineage, a higher serial, or the same serial with other
//!   content → refused, nothing written, the local file is kept.
//!
//! After a successful copy (verified by reading it back), the local file is
//! renamed to `<file>.migrated` so later commands cannot pick it up by mistake.

use crate::error::{EngineError, Result};
use crate::lock::LockGuard;
use crate::Workspace;
use contin_state::{Backend, State};
use contin_state_local::LocalBackend;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a migration did.
#[derive(Debug, Clone)]
pub struct MigrateOutcome {
    /// The local file that was copied.
    pub source: PathBuf,
    /// Where the local file is kept now (`<file>.migrated`).
    pub kept: PathBuf,
    pub serial: u64,
    pub resources: usize,
    /// The target backend's description.
    pub target: String,
}

/// The file the local state is kept in after migration.
pub fn migrated_path(source: &Path) -> PathBuf {
    let mut name = source.as_os_str().to_owned();
    name.push(".migrated");
    PathBuf::from(name)
}

impl Workspace {
    /// The default local state file when a remote backend is configured and
    /// that file exists (it should be migrated).
    pub fn unmigrated_local_state(&self) -> Option<PathBuf> {
        let p = self.resolve(crate::load::DEFAULT_STATE_FILE);
        (self.is_remote() && p.is_file()).then_some(p)
    }

    /// Copies the local state `source` (default `contin.state.json`, relative
    /// to the root) into the configured backend under both locks.
    pub async fn migrate_state(&self, source: Option<PathBuf>) -> Result<MigrateOutcome> {
        let source = self.resolve(source.unwrap_or_else(|| PathBuf::from(crate::load::DEFAULT_STATE_FILE)));
        let target = &self.backend;
        let local: Arc<dyn Backend> = Arc::new(LocalBackend::new(&source));
        if local.describe() == target.describe() {
            return Err(EngineError::Invalid(format!(
                "nothing to migrate: the configured backend is the local file {} itself; configure the target backend (e.g. backend \"s3\") first",
                source.display()
            )));
        }
        if !source.is_file() {
            return Err(EngineError::Invalid(format!("no local state to migrate: {} does not exist", source.display())));
        }
        let local_lock = LockGuard::acquire(&local, "migrate-state", &self.events).await?;
        let target_lock = match LockGuard::acquire(target, "migrate-state", &self.events).await {
            Ok(l) => l,
            Err(e) => {
                local_lock.release().await;
                return Err(e);
            }
        };
        let result = copy(&source, local.as_ref(), target.as_ref()).await;
        target_lock.release().await;
        local_lock.release().await;
        let state = match result? {
            Copied::Written(s) | Copied::AlreadyThere(s) => s,
        };
        let kept = migrated_path(&source);
        std::fs::rename(&source, &kept)
            .map_err(|e| EngineError::io(format!("the state was copied, but renaming {} to {} failed", source.display(), kept.display()), e))?;
        Ok(MigrateOutcome { source, kept, serial: state.serial, resources: state.resources.len(), target: target.describe() })
    }
}

enum Copied {
    Written(State),
    AlreadyThere(State),
}

async fn copy(source: &Path, local: &dyn Backend, target: &dyn Backend) -> Result<Copied> {
    let Some(state) = local.load().await.map_err(|e| EngineError::state(format!("reading {}", source.display()), e))? else {
        return Err(EngineError::Invalid(format!("no local state to migrate: {} does not exist", source.display())));
    };
    let there = target.load().await.map_err(|e| EngineError::state(format!("reading {}", target.describe()), e))?;
    let refuse = |why: String| -> Result<Copied> {
        Err(EngineError::Invalid(format!(
            "refusing to migrate {} to {}: {why}. Nothing was written; the local file is unchanged. \
             If the remote state is obsolete, remove it first.",
            source.display(),
            target.describe()
        )))
    };
    let expected = match &there {
        None => None,
        Some(t) if t.lineage != state.lineage => {
            return refuse(format!("it already holds another state (lineage {}, local lineage {})", t.lineage, state.lineage))
        }
        Some(t) if t.serial > state.serial => {
            return refuse(format!("it holds a newer state of the same lineage (serial {} > local serial {})", t.serial, state.serial))
        }
        Some(t) if t.serial == state.serial => {
            if *t == state {
                return Ok(Copied::AlreadyThere(state));
            }
            return refuse(format!("it holds a different state with the same serial {}", t.serial));
        }
        Some(t) => Some(t.serial),
    };
    target.persist(&state, expected).await.map_err(|e| EngineError::state(format!("writing {}", target.describe()), e))?;
    match target.load().await.map_err(|e| EngineError::state(format!("reading {}", target.describe()), e))? {
        Some(back) if back == state => Ok(Copied::Written(state)),
        _ => Err(EngineError::Invalid(format!("the state read back from {} differs from what was written; the local file is kept", target.describe()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_state::LockInfo;

    fn state(serial: u64) -> State {
        State { serial, ..State::new() }
    }

    async fn setup(s: &State) -> (tempfile::TempDir, PathBuf, LocalBackend) {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("contin.state.json");
        LocalBackend::new(&src).persist(s, None).await.expect("seed source");
        let target = LocalBackend::new(dir.path().join("remote.json"));
        (dir, src, target)
    }

    #[tokio::test]
    async fn copies_into_an_empty_target_and_refuses_foreign_or_newer() {
        let s = state(5);
        let (_d, src, target) = setup(&s).await;
        let local = LocalBackend::new(&src);
        assert!(matches!(copy(&src, &local, &target).await.expect("copy"), Copied::Written(_)));
        assert_eq!(target.load().await.expect("load"), Some(s.clone()));
        assert!(matches!(copy(&src, &local, &target).await.expect("again"), Copied::AlreadyThere(_)));

        let mut newer = s.clone();
        newer.serial = 9;
        target.persist(&newer, Some(5)).await.expect("advance remote");
        let err = copy(&src, &local, &target).await.err().expect("refused");
        assert!(err.to_string().contains("serial 9 > local serial 5"), "{err}");
        assert_eq!(target.load().await.expect("load"), Some(newer));

        let (_d2, src2, target2) = setup(&state(1)).await;
        target2.persist(&state(1), None).await.expect("foreign remote");
        let err = copy(&src2, &LocalBackend::new(&src2), &target2).await.err().expect("refused");
        assert!(err.to_string().contains("another state (lineage"), "{err}");
    }

    #[tokio::test]
    async fn older_remote_of_same_lineage_is_replaced() {
        let mut s = state(2);
        let (_d, src, target) = setup(&s).await;
        target.persist(&s, None).await.expect("old remote");
        s.serial = 7;
        LocalBackend::new(&src).persist(&s, Some(2)).await.expect("advance local");
        assert!(matches!(copy(&src, &LocalBackend::new(&src), &target).await.expect("copy"), Copied::Written(_)));
        assert_eq!(target.load().await.expect("load").map(|t| t.serial), Some(7));
        assert_eq!(target.lock_holder().await.expect("holder"), None::<LockInfo>);
        assert_eq!(migrated_path(&src), src.with_file_name("contin.state.json.migrated"));
    }
}
