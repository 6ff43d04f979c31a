//! Source-located diagnostics. Libraries return these; the CLI renders them
//! (with miette) using the `SourceMap` to show a snippet.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

/// A byte range in one configuration file (path relative to the config dir).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceLoc {
    pub file: String,
    pub span: Range<usize>,
}

impl SourceLoc {
    pub fn new(file: impl Into<String>, span: Range<usize>) -> Self {
        SourceLoc { file: file.into(), span }
    }
}

/// One problem, with where it is and what to do about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One line: "Reference to undeclared resource".
    pub summary: String,
    /// Longer explanation, may suggest the fix.
    pub detail: String,
    /// Primary location.
    pub loc: Option<SourceLoc>,
    /// Secondary labelled locations (e.g. every edge of a dependency cycle).
    pub related: Vec<(String, SourceLoc)>,
    /// The resource address the problem concerns, when there is one.
    pub address: Option<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: String::new(),
            loc: None,
            related: Vec::new(),
            address: None,
        }
    }
    pub fn warning(summary: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary) }
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
    pub fn at(mut self, loc: SourceLoc) -> Self {
        self.loc = Some(loc);
        self
    }
    pub fn at_opt(mut self, loc: Option<SourceLoc>) -> Self {
        self.loc = loc;
        self
    }
    pub fn with_related(mut self, label: impl Into<String>, loc: SourceLoc) -> Self {
        self.related.push((label.into(), loc));
        self
    }
    pub fn for_address(mut self, addr: impl fmt::Display) -> Self {
        self.address = Some(addr.to_string());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A list of diagnostics; the usual error type of planner crates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{}", d.summary)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The text of every configuration file, for line/column and snippets.
/// Line/column lookups use a line index built once (on first use), so
/// describing N locations costs O(N log lines), not O(N × file size).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SourceMap {
    pub files: BTreeMap<String, String>,
    /// Per file: (text length when indexed, byte offset of every line start).
    #[serde(skip)]
    lines: std::sync::OnceLock<BTreeMap<String, (usize, Vec<usize>)>>,
}

impl PartialEq for SourceMap {
    fn eq(&self, other: &Self) -> bool {
        self.files == other.files
    }
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.files.insert(name.into(), text.into());
        self.lines = std::sync::OnceLock::new();
    }

    /// Byte offsets of the line starts of `file`, when the index is current
    /// (`files` is public: a text changed behind our back is not indexed).
    fn line_starts(&self, file: &str, text: &str) -> Option<&[usize]> {
        let index = self.lines.get_or_init(|| {
            self.files
                .iter()
                .map(|(name, text)| {
                    let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
                    (name.clone(), (text.len(), starts))
                })
                .collect()
        });
        index.get(file).filter(|(len, _)| *len == text.len()).map(|(_, starts)| starts.as_slice())
    }
    pub fn text(&self, file: &str) -> Option<&str> {
        self.files.get(file).map(String::as_str)
    }
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: &str, offset: usize) -> Option<(usize, usize)> {
        let text = self.text(file)?;
        let offset = offset.min(text.len());
        if let Some(starts) = self.line_starts(file, text) {
            // The number of line starts at or before the offset is the line.
            let line = starts.partition_point(|&s| s <= offset).max(1);
            let line_start = starts[line - 1];
            let col = text.get(line_start..offset)?.chars().count() + 1;
            return Some((line, col));
        }
        let before = text.get(..offset)?;
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Some((line, col))
    }
    /// `main.hcl:12:3` for a location (just the file when it is unknown).
    pub fn describe(&self, loc: &SourceLoc) -> String {
        match self.line_col(&loc.file, loc.span.start) {
            Some((l, c)) => format!("{}:{l}:{c}", loc.file),
            None => loc.file.clone(),
        }
    }
    /// The source text covered by a location.
    pub fn snippet(&self, loc: &SourceLoc) -> Option<&str> {
        self.text(&loc.file)?.get(loc.span.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let mut m = SourceMap::default();
        m.add("a.hcl", "x = 1\n  y = 2\n");
        assert_eq!(m.line_col("a.hcl", 0), Some((1, 1)));
        assert_eq!(m.line_col("a.hcl", 8), Some((2, 3)));
        assert_eq!(m.describe(&SourceLoc::new("a.hcl", 8..9)), "a.hcl:2:3");
        // End of text, just after a newline, a multi-byte character, a non-boundary offset.
        assert_eq!(m.line_col("a.hcl", 14), Some((3, 1)));
        assert_eq!(m.line_col("a.hcl", 6), Some((2, 1)));
        assert_eq!(m.line_col("a.hcl", 5), Some((1, 6)));
        m.add("u.hcl", "é = 1\nx");
        assert_eq!(m.line_col("u.hcl", 2), Some((1, 2)));
        assert_eq!(m.line_col("u.hcl", 1), None);
        assert_eq!(m.line_col("u.hcl", 99), Some((2, 2)));
        // A text changed through the public field is still described correctly.
        m.files.insert("a.hcl".into(), "\n\nzz".into());
        assert_eq!(m.line_col("a.hcl", 3), Some((3, 2)));
    }

    /// 100k locations in one 100k-line file: correct, and (measured, not
    /// asserted) fast — this was quadratic (> 20 s) before the line index.
    #[test]
    fn describing_many_locations_is_linear() {
        let line = "x = \n";
        let text = line.repeat(100_000);
        let mut m = SourceMap::default();
        m.add("big.hcl", text);
        let t = std::time::Instant::now();
        for i in 0..100_000 {
            let loc = SourceLoc::new("big.hcl", i * line.len() + 2..i * line.len() + 3);
            assert_eq!(m.describe(&loc), format!("big.hcl:{}:3", i + 1));
        }
        eprintln!("described 100,000 locations in {:?}", t.elapsed());
    }
}
