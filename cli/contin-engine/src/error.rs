//! The engine's error type: an enum a front end can match (render diagnostics
//! with their sources, tell a locked state from a stale plan, …).

use contin_state::{LockInfo, StateError};
use contin_types::{Diagnostics, SourceMap};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Configuration problems, with the sources to render snippets.
    #[error("{diags}")]
    Diagnostics { diags: Diagnostics, sources: SourceMap },
    /// Another process holds the state lock.
    #[error(
        "{}\n\ncontin acquires a state lock to protect the state from being written by several processes at once. \
         If the holder crashed, remove the lock with:\n    contin force-unlock -force {}",
        StateError::Locked(.holder.clone()), .holder.id
    )]
    Locked { holder: LockInfo },
    /// A saved plan was made against another state than the one stored now.
    #[error(
        "Saved plan is stale: it was made against {planned} but the state is now at {now}. Another operation changed \
         the state after this plan was created; run `contin plan` again and apply the new plan."
    )]
    StalePlan { planned: String, now: String },
    /// Reading, writing or locking the state failed.
    #[error("{context}: {source}")]
    State {
        context: String,
        #[source]
        source: StateError,
    },
    /// A configuration, variables, plan or state file could not be used.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A file is not usable as asked (not regular, too large, not UTF-8).
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    /// A provider operation failed (import, data read).
    #[error("{0}")]
    Provider(String),
    /// The request itself is wrong (bad address, conflicting options, nothing to do).
    #[error("{0}")]
    Invalid(String),
    /// The operation's task panicked; the state lock was released.
    #[error("internal error: {0} (the state lock was released; please report this)")]
    Panicked(String),
}

impl EngineError {
    pub(crate) fn diags(diags: Diagnostics, sources: &SourceMap) -> Self {
        EngineError::Diagnostics { diags, sources: sources.clone() }
    }
    pub(crate) fn state(context: impl Into<String>, source: StateError) -> Self {
        match source {
            StateError::Locked(holder) => EngineError::Locked { holder },
            source => EngineError::State { context: context.into(), source },
        }
    }
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EngineError::Io { context: context.into(), source }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
