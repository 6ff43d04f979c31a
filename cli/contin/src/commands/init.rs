//! `contin init [-migrate-state [-from-state FILE]]`: checks the backend is
//! reachable and lists the providers; with `-migrate-state`, copies a local
//! state file into the configured (remote) backend.
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

use super::{Ctx, StateLock};
use crate::args::InitArgs;
use crate::engine;
use anyhow::{bail, Context};
use contin_state::{Backend, State};
use contin_state_local::LocalBackend;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The default local state file (the `local` backend's default path).
const LOCAL_STATE: &str = "contin.state.json";

pub async fn init(ctx: &Ctx, args: &InitArgs) -> anyhow::Result<i32> {
    let ws = super::load_state_workspace(ctx).await?;
    if args.migrate_state {
        println!("Migrating the state...");
        let source = args.from_state.clone().unwrap_or_else(|| PathBuf::from(LOCAL_STATE));
        migrate(ctx, &source, &ws.backend).await?;
        println!();
    } else if args.from_state.is_some() {
        bail!("--from-state is only used with -migrate-state");
    } else if is_remote(&ws) && Path::new(LOCAL_STATE).is_file() {
        ctx.ui.warn(&format!(
            "a local state file {LOCAL_STATE} exists but the configured backend is {}; \
             run `contin init -migrate-state` to copy it there",
            ws.backend.describe()
        ));
    }
    drop(ws);
    super::misc::init(ctx).await
}

fn is_remote(ws: &engine::Workspace) -> bool {
    ws.config.backend.as_ref().is_some_and(|b| b.kind != "local")
}

/// The file the local state is kept in after migration.
pub fn migrated_path(source: &Path) -> PathBuf {
    let mut name = source.as_os_str().to_owned();
    name.push(".migrated");
    PathBuf::from(name)
}

async fn migrate(ctx: &Ctx, source: &Path, target: &Arc<dyn Backend>) -> anyhow::Result<()> {
    let local: Arc<dyn Backend> = Arc::new(LocalBackend::new(source));
    if local.describe() == target.describe() {
        bail!(
            "nothing to migrate: the configured backend is the local file {} itself; configure the target backend (e.g. backend \"s3\") first",
            source.display()
        );
    }
    if !source.is_file() {
        bail!("no local state to migrate: {} does not exist", source.display());
    }
    let local_lock = StateLock::acquire(&local, "migrate-state").await?;
    let target_lock = match StateLock::acquire(target, "migrate-state").await {
        Ok(l) => l,
        Err(e) => {
            local_lock.release(ctx.ui).await;
            return Err(e);
        }
    };
    let result = copy(source, local.as_ref(), target.as_ref()).await;
    target_lock.release(ctx.ui).await;
    local_lock.release(ctx.ui).await;
    match result? {
        Copied::Written(s) | Copied::AlreadyThere(s) => {
            let kept = migrated_path(source);
            std::fs::rename(source, &kept)
                .with_context(|| format!("the state was copied, but renaming {} to {} failed", source.display(), kept.display()))?;
            println!(
                "  Migrated {} (serial {}, {} resource instances) to {}; the local file is kept as {}",
                source.display(),
                s.serial,
                s.resources.len(),
                target.describe(),
                kept.display()
            );
        }
    }
    Ok(())
}

enum Copied {
    Written(State),
    AlreadyThere(State),
}

async fn copy(source: &Path, local: &dyn Backend, target: &dyn Backend) -> anyhow::Result<Copied> {
    let Some(state) = local.load().await? else {
        bail!("no local state to migrate: {} does not exist", source.display());
    };
    let there = target.load().await.with_context(|| format!("reading {}", target.describe()))?;
    let refuse = |why: String| -> anyhow::Result<Copied> {
        bail!(
            "refusing to migrate {} to {}: {why}. Nothing was written; the local file is unchanged. \
             If the remote state is obsolete, remove it first.",
            source.display(),
            target.describe()
        )
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
    target.persist(&state, expected).await.with_context(|| format!("writing {}", target.describe()))?;
    match target.load().await? {
        Some(back) if back == state => Ok(Copied::Written(state)),
        _ => bail!("the state read back from {} differs from what was written; the local file is kept", target.describe()),
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
        // Same content again: nothing to do.
        assert!(matches!(copy(&src, &local, &target).await.expect("again"), Copied::AlreadyThere(_)));

        // Newer remote of the same lineage: refused, remote untouched.
        let mut newer = s.clone();
        newer.serial = 9;
        target.persist(&newer, Some(5)).await.expect("advance remote");
        let err = copy(&src, &local, &target).await.err().expect("refused");
        assert!(err.to_string().contains("serial 9 > local serial 5"), "{err}");
        assert_eq!(target.load().await.expect("load"), Some(newer));

        // Foreign lineage: refused.
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
