//! The apply journal (ARCHITECTURE §4): where it lives, folding one left by
//! an interrupted apply into the state, and opening a new one for an apply.
//! Every function here runs under the state lock.

use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::Workspace;
use contin_state::journal::{self, FileJournal, JournalWriter};
use contin_state::State;
use std::path::PathBuf;

impl Workspace {
    /// The journal's file: beside a local state file, else in `<root>/.contin/`
    /// (named after the backend) so a crash during an S3 apply is recovered by
    /// the next run from this directory.
    pub fn journal_path(&self) -> PathBuf {
        if let Some(p) = self.backend.local_journal_path() {
            return p;
        }
        let name: String = self.backend.describe().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(120).collect();
        self.root().join(".contin").join(format!("{name}.journal"))
    }

    /// The stored state with a journal left by an interrupted apply folded
    /// in. `persist`: write the result (serial + 1) and remove the journal
    /// (callers holding the lock); otherwise only read (unlocked views such as
    /// `state list` see what the crashed apply did without writing anything).
    pub(crate) async fn recovered_state(&self, persist: bool) -> Result<Option<State>> {
        let stored = self.load_snapshot().await?;
        let path = self.journal_path();
        let contents = FileJournal::read(&path).map_err(|e| EngineError::state(format!("reading the apply journal {}", path.display()), e))?;
        let Some(contents) = contents else {
            return Ok(stored);
        };
        let stored_serial = stored.as_ref().map(|s| s.serial).filter(|s| *s > 0);
        let location = path.display().to_string();
        let (mut state, summary) = journal::recover(stored, &contents, &location).map_err(|e| EngineError::state("recovering the apply journal", e))?;
        if !persist {
            return Ok(Some(state));
        }
        if !summary.already_in_state && !summary.is_empty() {
            state.serial = stored_serial.unwrap_or(0) + 1;
            state.refresh_sites();
            self.backend.persist(&state, stored_serial).await.map_err(|e| EngineError::state("saving the state recovered from the apply journal", e))?;
        }
        FileJournal::remove_file(&path).map_err(|e| EngineError::state("removing the recovered apply journal", e))?;
        self.events().event(EngineEvent::JournalRecovered {
            path,
            changes: summary.puts + summary.removes,
            unresolved_creates: summary.unresolved_creates.iter().map(ToString::to_string).collect(),
            damaged_lines: summary.damaged_lines,
        });
        Ok(Some(state))
    }

    /// A new journal for an apply on top of `prior`.
    pub(crate) fn start_journal(&self, prior: &State) -> Result<JournalWriter> {
        let path = self.journal_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("cannot create {}", dir.display()), e))?;
        }
        let j = FileJournal::create(&path, &prior.lineage, prior.serial).map_err(|e| EngineError::state(format!("creating the apply journal {}", path.display()), e))?;
        Ok(JournalWriter::start(j))
    }

    /// After an apply whose final state was saved: the journal is no longer needed.
    pub(crate) fn finish_journal(&self, writer: JournalWriter) -> Result<()> {
        drop(writer);
        let path = self.journal_path();
        FileJournal::remove_file(&path).map_err(|e| EngineError::state("removing the apply journal", e))
    }
}
