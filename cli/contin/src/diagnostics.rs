//! Renders `contin_types::Diagnostics` for humans with miette: severity and
//! summary, `file:line:col`, a labelled source snippet, related locations,
//! the address and the detail. Output is deterministic (fixed width).

use contin_types::{Diagnostic, Diagnostics, Severity, SourceLoc, SourceMap};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::fmt;

/// Terminal-independent width so golden tests see the same wrapping everywhere.
const WIDTH: usize = 100;

/// Renders every diagnostic, separated by blank lines.
pub fn render_diagnostics(diags: &Diagnostics, sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .without_primary_span_start()
        .with_context_lines(1);
    let mut out = String::new();
    for (i, diag) in diags.iter().enumerate() {
        if i == FULL_RENDERS {
            out.push_str(&format!("\n{} more diagnostic(s), one per line:\n", diags.0.len() - FULL_RENDERS));
        }
        if i >= FULL_RENDERS {
            out.push_str(&render_line(diag, sources));
            continue;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_one(&handler, diag, sources));
    }
    out
}

/// Diagnostics rendered with a snippet; the rest get one line each (a
/// 100,000-error file stays readable and fast, and every error is still listed).
const FULL_RENDERS: usize = 100;

/// `file:line:col: Error: summary (address)`.
fn render_line(diag: &Diagnostic, sources: &SourceMap) -> String {
    let level = match diag.severity {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
    };
    let at = diag.loc.as_ref().map(|l| format!("{}: ", sources.describe(l))).unwrap_or_default();
    let addr = diag.address.as_ref().map(|a| format!(" ({a})")).unwrap_or_default();
    format!("{at}{level}: {}{addr}\n", diag.summary)
}

fn render_one(handler: &GraphicalReportHandler, diag: &Diagnostic, sources: &SourceMap) -> String {
    let report = Report::new(diag, sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // miette refused (should not happen: spans are clamped); fall back to plain text.
        out = format!("{}\n", report.message);
        if let Some(loc) = &diag.loc {
            out.push_str(&format!("  at {}\n", sources.describe(loc)));
        }
        if !diag.detail.is_empty() {
            out.push_str(&format!("  help: {}\n", diag.detail));
        }
    }
    let mut trailer = String::new();
    for (label, loc) in &diag.related {
        trailer.push_str(&format!(
            "  related: {label} at {}\n",
            sources.describe(loc)
        ));
    }
    if let Some(addr) = &diag.address {
        trailer.push_str(&format!("  address: {addr}\n"));
    }
    // Trailing spaces carry no meaning and make golden files brittle.
    let mut text: String = out.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    text.push_str(&trailer);
    text
}

/// A span clamped to the text and to char boundaries, so miette never fails on it.
fn clamp(text: &str, loc: &SourceLoc) -> SourceSpan {
    let mut start = loc.span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = loc.span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    SourceSpan::from(start..end)
}

/// One file's text under its `file:line:col` name (miette prints the name in the snippet header).
#[derive(Debug)]
struct NamedText<'a> {
    name: String,
    text: &'a str,
    /// The file's name in `sources` (its line index gives line numbers).
    file: String,
    sources: &'a SourceMap,
}

impl SourceCode for NamedText<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        // miette finds line numbers by scanning from the start of the text:
        // hand it only the lines around the span (with the line number from
        // the source map's index) so N diagnostics cost O(N), not O(N × file).
        let text = self.text;
        let start = span.offset().min(text.len());
        let end = (start + span.len()).min(text.len());
        let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
        let mut from = line_start(start);
        for _ in 0..before {
            if from == 0 {
                break;
            }
            from = line_start(from - 1);
        }
        let mut to = end;
        for _ in 0..=after {
            match text[to..].find('\n') {
                Some(i) => to += i + 1,
                None => {
                    to = text.len();
                    break;
                }
            }
        }
        let window = &text[from..to];
        let inner = window.read_span(&SourceSpan::from((start - from)..(end - from)), before, after)?;
        let first_line = self.sources.line_col(&self.file, from).map_or(0, |(line, _)| line.saturating_sub(1));
        let abs_span = SourceSpan::from((inner.span().offset() + from)..(inner.span().offset() + from + inner.span().len()));
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            abs_span,
            inner.line() + first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// The miette view of one `Diagnostic`.
#[derive(Debug)]
struct Report<'a> {
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedText<'a>>,
    labels: Vec<LabeledSpan>,
}

impl<'a> Report<'a> {
    fn new(diag: &Diagnostic, sources: &'a SourceMap) -> Self {
        let (word, severity) = match diag.severity {
            Severity::Error => ("Error", miette::Severity::Error),
            Severity::Warning => ("Warning", miette::Severity::Warning),
        };
        let mut message = format!("{word}: {}", diag.summary);
        let mut source = None;
        let mut labels = Vec::new();
        if let Some(loc) = &diag.loc {
            match sources.text(&loc.file) {
                Some(text) => {
                    let primary = clamp(text, loc);
                    labels.push(LabeledSpan::new_primary_with_span(
                        Some("here".to_string()),
                        primary,
                    ));
                    for (label, rel) in diag.related.iter().filter(|(_, rel)| rel.file == loc.file)
                    {
                        labels.push(LabeledSpan::new_with_span(
                            Some(label.clone()),
                            clamp(text, rel),
                        ));
                    }
                    source = Some(NamedText {
                        name: sources.describe(loc),
                        text,
                        file: loc.file.clone(),
                        sources,
                    });
                }
                // No text to show: at least say where.
                None => message.push_str(&format!(" (at {})", sources.describe(loc))),
            }
        }
        let help = (!diag.detail.is_empty()).then(|| diag.detail.clone());
        Report {
            message,
            severity,
            help,
            source,
            labels,
        }
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(files: &[(&str, &str)]) -> String {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let (config, diags) = contin_config::parse_files(&files);
        assert!(diags.has_errors(), "expected errors");
        render_diagnostics(&diags, &config.sources, false)
    }

    #[test]
    fn syntax_error() {
        insta::assert_snapshot!(render(&[(
            "main.hcl",
            "resource \"a\" \"b\" {\n  x = \n}\n"
        )]));
    }

    #[test]
    fn two_syntax_errors_in_two_files() {
        insta::assert_snapshot!(render(&[
            ("a.hcl", "locals {\n  y = [1,\n"),
            ("b.hcl", "backend \"s3\" { bucket = \"b\" key = \"k\" }\n"),
        ]));
    }

    #[test]
    fn unknown_block_type_with_suggestion() {
        insta::assert_snapshot!(render(&[(
            "main.hcl",
            "resorce \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n"
        )]));
    }

    #[test]
    fn wrong_label_count() {
        insta::assert_snapshot!(render(&[("main.hcl", "resource \"aws_vpc\" {\n}\n")]));
    }

    #[test]
    fn invalid_name() {
        insta::assert_snapshot!(render(&[("main.hcl", "variable \"1st\" {\n}\n")]));
    }

    #[test]
    fn duplicate_resource_across_files() {
        insta::assert_snapshot!(render(&[
            ("a.hcl", "resource \"aws_vpc\" \"main\" {\n}\n"),
            ("b.hcl", "\nresource \"aws_vpc\" \"main\" {\n}\n"),
        ]));
    }

    #[test]
    fn duplicate_local_in_one_file() {
        insta::assert_snapshot!(render(&[(
            "main.hcl",
            "locals {\n  a = 1\n}\n\nlocals {\n  a = 2\n}\n"
        )]));
    }

    #[test]
    fn count_and_for_each_together() {
        insta::assert_snapshot!(render(&[(
            "main.hcl",
            "resource \"null_resource\" \"x\" {\n  count    = 2\n  for_each = toset([\"a\"])\n}\n"
        )]));
    }

    #[test]
    fn bad_depends_on() {
        insta::assert_snapshot!(render(&[(
            "main.hcl",
            "resource \"null_resource\" \"x\" {\n  depends_on = [\"aws_vpc.main\", aws_vpc.main.id]\n}\n"
        )]));
    }

    #[test]
    fn bad_lifecycle() {
        insta::assert_snapshot!(render(&[(
            "main.hcl",
            "resource \"null_resource\" \"x\" {\n  lifecycle {\n    prevent_destroy = var.protect\n    ignore_change   = [tags]\n  }\n}\n"
        )]));
    }

    #[test]
    fn unknown_variable_attribute() {
        insta::assert_snapshot!(render(&[(
            "vars.hcl",
            "variable \"env\" {\n  type    = string\n  defualt = \"prod\"\n}\n"
        )]));
    }

    #[test]
    fn missing_output_value() {
        insta::assert_snapshot!(render(&[(
            "outputs.hcl",
            "output \"ip\" {\n  description = \"the ip\"\n}\n"
        )]));
    }

    #[test]
    fn cycle_like_related_locations_and_address() {
        let mut sources = SourceMap::default();
        sources.add("a.hcl", "resource \"t\" \"a\" {\n  x = t.b.id\n}\n");
        sources.add("b.hcl", "resource \"t\" \"b\" {\n  y = t.a.id\n}\n");
        let diag = Diagnostic::error("Dependency cycle")
            .with_detail("t.a → t.b → t.a")
            .at(SourceLoc::new("a.hcl", 23..29))
            .with_related("t.a depends on t.b", SourceLoc::new("a.hcl", 23..29))
            .with_related("t.b depends on t.a", SourceLoc::new("b.hcl", 23..29))
            .for_address("t.a");
        let warning =
            Diagnostic::warning("Deprecated argument").at(SourceLoc::new("nowhere.hcl", 0..1));
        insta::assert_snapshot!(render_diagnostics(
            &Diagnostics(vec![diag, warning]),
            &sources,
            false
        ));
    }

    #[test]
    fn spans_past_the_end_do_not_break_rendering() {
        let mut sources = SourceMap::default();
        sources.add("a.hcl", "é");
        let diag = Diagnostic::error("Odd span").at(SourceLoc::new("a.hcl", 2..99));
        let text = render_diagnostics(&Diagnostics(vec![diag]), &sources, false);
        assert!(text.contains("Error: Odd span"), "{text}");
        assert!(text.contains("a.hcl:1:2"), "{text}");
    }

    #[test]
    fn color_output_uses_ansi_escapes() {
        let mut sources = SourceMap::default();
        sources.add("a.hcl", "x = 1\n");
        let diag = Diagnostics(vec![
            Diagnostic::error("Bad").at(SourceLoc::new("a.hcl", 0..1))
        ]);
        assert!(render_diagnostics(&diag, &sources, true).contains('\u{1b}'));
        assert!(!render_diagnostics(&diag, &sources, false).contains('\u{1b}'));
    }
}
