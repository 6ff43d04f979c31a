//! Canonical HCL formatting, byte-identical to `terraform fmt`: the token
//! rewrites Terraform applies (quoted labels, unwrapped `"${x}"`, legacy
//! variable types) followed by hclwrite's indent/spacing/alignment passes.

mod lex;

use crate::parse::syntax_error;
use contin_types::Diagnostic;
use lex::{lex, Kind, Token};
use std::ops::Range;
use std::sync::Arc;

/// Formats one file. Invalid HCL is an error (located in a file named `<input>`;
/// callers that know the name can rewrite `loc.file`).
// The signature is the agreed API; a format error is rare and not on a hot path.
#[allow(clippy::result_large_err)]
pub fn format_source(text: &str) -> Result<String, Diagnostic> {
    if let Err(e) = hcl_edit::parser::parse_body(text) {
        return Err(syntax_error(&Arc::from("<input>"), text, &e));
    }
    let tokens = terraform_rewrites(lex(text));
    Ok(format_tokens(tokens))
}

// ---- Terraform's rewrites (command/fmt.go) -------------------------------------

/// One replacement of a token range by new tokens.
struct Edit<'a> {
    range: Range<usize>,
    tokens: Vec<Token<'a>>,
}

fn terraform_rewrites(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let mut edits = Vec::new();
    let mut path = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        // A stray `}` at top level cannot happen in valid input; skip past it.
        i = walk_body(&tokens, i, &mut path, &mut edits).max(i + 1);
    }
    if edits.is_empty() {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len() + edits.len() * 2);
    let mut edits = edits.into_iter().peekable();
    let mut iter = tokens.into_iter().enumerate();
    while let Some((idx, tok)) = iter.next() {
        match edits.peek() {
            Some(edit) if edit.range.start == idx => {
                let Some(edit) = edits.next() else { break };
                out.extend(edit.tokens);
                // Drop the rest of the replaced range.
                for _ in idx + 1..edit.range.end {
                    iter.next();
                }
                if edit.range.is_empty() {
                    out.push(tok);
                }
            }
            _ => out.push(tok),
        }
    }
    out
}

fn is_line_end(t: &Token<'_>) -> bool {
    t.kind == Kind::Newline || (t.kind == Kind::Comment && t.text.ends_with('\n'))
}

fn bracket_change(kind: Kind) -> i32 {
    match kind {
        Kind::OBrace
        | Kind::OBrack
        | Kind::OParen
        | Kind::TemplateControl
        | Kind::TemplateInterp => 1,
        Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
        _ => 0,
    }
}

/// Walks one body from `i`; returns the index after its closing `}` (or the end).
fn walk_body<'a>(
    tokens: &[Token<'a>],
    mut i: usize,
    path: &mut Vec<String>,
    edits: &mut Vec<Edit<'a>>,
) -> usize {
    while i < tokens.len() {
        match tokens[i].kind {
            Kind::CBrace => return i + 1,
            Kind::Ident => {
                let name = tokens[i].text.to_string();
                if tokens.get(i + 1).map(|t| t.kind) == Some(Kind::Equal) {
                    let start = i + 2;
                    let mut depth = 0;
                    let mut k = start;
                    while k < tokens.len() {
                        let t = &tokens[k];
                        if depth == 0 && (is_line_end(t) || t.kind == Kind::CBrace) {
                            break;
                        }
                        depth += bracket_change(t.kind);
                        k += 1;
                    }
                    let mut end = k;
                    while end > start && tokens[end - 1].kind == Kind::Comment {
                        end -= 1;
                    }
                    let expr = &tokens[start..end];
                    let rewritten = if path.len() == 1 && path[0] == "variable" && name == "type" {
                        format_type_expr(expr)
                    } else {
                        format_value_expr(expr)
                    };
                    if let Some(new) = rewritten {
                        edits.push(Edit {
                            range: start..end,
                            tokens: new,
                        });
                    }
                    i = k;
                } else {
                    let mut j = i + 1;
                    while j < tokens.len() {
                        match tokens[j].kind {
                            Kind::Ident => {
                                let quoted = vec![
                                    Token::new(Kind::OQuote, "\""),
                                    Token::new(Kind::QuotedLit, tokens[j].text.clone()),
                                    Token::new(Kind::CQuote, "\""),
                                ];
                                edits.push(Edit {
                                    range: j..j + 1,
                                    tokens: quoted,
                                });
                                j += 1;
                            }
                            Kind::OQuote => {
                                while j < tokens.len() && tokens[j].kind != Kind::CQuote {
                                    j += 1;
                                }
                                j += 1;
                            }
                            _ => break,
                        }
                    }
                    if tokens.get(j).map(|t| t.kind) == Some(Kind::OBrace) {
                        path.push(name);
                        i = walk_body(tokens, j + 1, path, edits);
                        path.pop();
                    } else {
                        i = j.max(i + 1);
                    }
                }
            }
            _ => i += 1,
        }
    }
    i
}

fn tok<'a>(kind: Kind, text: &'static str) -> Token<'a> {
    Token::new(kind, text)
}

/// `"${x}"` → `x` when the whole string is one interpolation.
fn format_value_expr<'a>(expr: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    let n = expr.len();
    if n < 5
        || expr[0].kind != Kind::OQuote
        || expr[1].kind != Kind::TemplateInterp
        || expr[n - 2].kind != Kind::TemplateSeqEnd
        || expr[n - 1].kind != Kind::CQuote
    {
        return None;
    }
    let inside = &expr[2..n - 2];
    let mut quotes = 0;
    for t in inside {
        match t.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    let first = inside.iter().position(|t| t.kind != Kind::Newline)?;
    let last = inside.iter().rposition(|t| t.kind != Kind::Newline)?;
    let trimmed = &inside[first..=last];
    let multi_line = trimmed.iter().any(|t| t.kind == Kind::Newline);
    let parens = trimmed[0].kind == Kind::OParen && trimmed[trimmed.len() - 1].kind == Kind::CParen;
    let mut out = Vec::with_capacity(trimmed.len() + 2);
    if multi_line && !parens {
        out.push(tok(Kind::OParen, "("));
        out.extend(trimmed.iter().cloned());
        out.push(tok(Kind::CParen, ")"));
    } else {
        out.extend(trimmed.iter().cloned());
    }
    Some(out)
}

/// Legacy variable types: `"string"` → `string`, `list` → `list(any)`, …
fn format_type_expr<'a>(expr: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    let call = |name: &'static str, arg: &'static str| {
        vec![
            tok(Kind::Ident, name),
            tok(Kind::OParen, "("),
            tok(Kind::Ident, arg),
            tok(Kind::CParen, ")"),
        ]
    };
    match expr {
        [t] if t.kind == Kind::Ident => match &*t.text {
            "list" => Some(call("list", "any")),
            "map" => Some(call("map", "any")),
            "set" => Some(call("set", "any")),
            _ => None,
        },
        [o, s, c]
            if o.kind == Kind::OQuote && s.kind == Kind::QuotedLit && c.kind == Kind::CQuote =>
        {
            match &*s.text {
                "string" => Some(vec![tok(Kind::Ident, "string")]),
                "list" => Some(call("list", "string")),
                "map" => Some(call("map", "string")),
                _ => None,
            }
        }
        _ => None,
    }
}

// ---- hclwrite's format passes (hclwrite/format.go) --------------------------

/// The cells of one line: `lead`, then optionally `assign` (from `=`) and a trailing `comment`.
#[derive(Clone, Default)]
struct Line {
    lead: Range<usize>,
    assign: Option<Range<usize>>,
    comment: Option<Range<usize>>,
}

fn format_tokens(mut tokens: Vec<Token<'_>>) -> String {
    let lines = lines_for_format(&tokens);
    format_indent(&lines, &mut tokens);
    format_spaces(&lines, &mut tokens);
    format_cells(&lines, &mut tokens);
    let mut out = String::with_capacity(tokens.iter().map(|t| t.text.len() + t.spaces).sum());
    for t in &tokens {
        for _ in 0..t.spaces {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    // Terraform always ends a formatted file with a newline (even an empty one).
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn lines_for_format(tokens: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if is_line_end(t) {
            lines.push(Line {
                lead: start..i + 1,
                ..Line::default()
            });
            start = i + 1;
        }
    }
    lines.push(Line {
        lead: start..tokens.len(),
        ..Line::default()
    });
    for line in &mut lines {
        let lead = line.lead.clone();
        if lead.is_empty() {
            continue;
        }
        if lead.len() > 1 && tokens[lead.end - 1].kind == Kind::Comment {
            line.comment = Some(lead.end - 1..lead.end);
            line.lead = lead.start..lead.end - 1;
        }
        let lead = line.lead.clone();
        for i in lead.clone().skip(1) {
            if tokens[i].kind == Kind::Equal {
                let net: i32 = tokens[i..lead.end]
                    .iter()
                    .map(|t| bracket_change(t.kind))
                    .sum();
                if net == 0 {
                    line.assign = Some(i..lead.end);
                    line.lead = lead.start..i;
                }
                break;
            }
        }
    }
    lines
}

fn format_indent(lines: &[Line], tokens: &mut [Token<'_>]) {
    let mut indents: Vec<i32> = Vec::new();
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        let first = line.lead.start;
        if tokens[first].kind == Kind::Newline {
            tokens[first].spaces = 0;
            continue;
        }
        let mut net = 0;
        for t in &tokens[line.lead.clone()] {
            net += bracket_change(t.kind);
            if t.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some(assign) = &line.assign {
            net += tokens[assign.clone()]
                .iter()
                .map(|t| bracket_change(t.kind))
                .sum::<i32>();
        }
        if net > 0 {
            tokens[first].spaces = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else { break };
                if closed > *top {
                    closed -= *top;
                    indents.pop();
                } else if closed < *top {
                    *top -= closed;
                    closed = 0;
                } else {
                    indents.pop();
                    closed = 0;
                }
            }
            tokens[first].spaces = 2 * indents.len();
        }
    }
}

fn format_spaces(lines: &[Line], tokens: &mut [Token<'_>]) {
    for line in lines {
        space_cell(tokens, line.lead.clone(), false);
        if let Some(assign) = &line.assign {
            space_cell(tokens, assign.clone(), true);
        }
    }
}

fn space_cell(tokens: &mut [Token<'_>], cell: Range<usize>, is_assign: bool) {
    if is_assign && !cell.is_empty() {
        tokens[cell.start].spaces = 1;
    }
    for i in cell.clone() {
        if i + 1 >= cell.end {
            continue;
        }
        let before = if i > cell.start {
            Some(tokens[i - 1].kind)
        } else {
            None
        };
        let space = space_after(&tokens[i], before, &tokens[i + 1]);
        tokens[i + 1].spaces = usize::from(space);
    }
}

fn columns(tokens: &[Token<'_>], cell: &Option<Range<usize>>) -> usize {
    match cell {
        Some(r) => tokens[r.clone()]
            .iter()
            .map(|t| t.spaces + t.text.chars().count())
            .sum(),
        None => 0,
    }
}

fn format_cells(lines: &[Line], tokens: &mut [Token<'_>]) {
    align(
        lines,
        tokens,
        |l| l.assign.as_ref().map(|r| r.start),
        |l, t| columns(t, &Some(l.lead.clone())),
    );
    align(
        lines,
        tokens,
        |l| l.comment.as_ref().map(|r| r.start),
        |l, t| columns(t, &Some(l.lead.clone())) + columns(t, &l.assign),
    );
}

/// Aligns the cell starting at `cell(line)` across runs of consecutive lines having one.
fn align(
    lines: &[Line],
    tokens: &mut [Token<'_>],
    cell: impl Fn(&Line) -> Option<usize>,
    width: impl Fn(&Line, &[Token<'_>]) -> usize,
) {
    let mut chain: Vec<(usize, usize)> = Vec::new();
    let flush = |chain: &mut Vec<(usize, usize)>, tokens: &mut [Token<'_>]| {
        let max = chain.iter().map(|(_, w)| *w).max().unwrap_or(0);
        for (idx, w) in chain.drain(..) {
            tokens[idx].spaces = max - w + 1;
        }
    };
    for line in lines {
        match cell(line) {
            Some(idx) => {
                let w = width(line, tokens);
                chain.push((idx, w));
            }
            None => flush(&mut chain, tokens),
        }
    }
    flush(&mut chain, tokens);
}

/// hclwrite's `spaceAfterToken`: whether `subject` is followed by a space.
fn space_after(subject: &Token<'_>, before: Option<Kind>, after: &Token<'_>) -> bool {
    use Kind::*;
    let (s, a) = (subject.kind, after.kind);
    match () {
        _ if a == Newline => false,
        _ if s == Ident && a == OParen => false,
        _ if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) => false,
        _ if s == Dot || a == Dot => false,
        _ if a == Comma || a == Ellipsis => false,
        _ if s == Comma => true,
        _ if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
            || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc) =>
        {
            false
        }
        _ if s == Ident && subject.text == "in" && before == Some(Ident) => true,
        _ if a == OBrack && (s == Ident || s == Number || bracket_change(s) < 0) => false,
        _ if s == Bang => false,
        _ if s == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | GreaterThan
                    | GreaterThanEq
                    | LessThan
                    | LessThanEq
                    | And
                    | Or
                    | Bang
            )
        ),
        _ if s == OBrace || a == CBrace => !(s == OBrace && a == CBrace),
        _ if matches!(s, TemplateInterp | TemplateControl) && a == OBrace => true,
        _ if s == CBrace && a == TemplateSeqEnd => true,
        _ if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) => false,
        _ if bracket_change(s) > 0 => false,
        _ if bracket_change(a) < 0 => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, want: &str) {
        let got = format_source(input).map_err(|d| d.summary);
        assert_eq!(got.as_deref(), Ok(want));
        assert_eq!(
            format_source(want).map_err(|d| d.summary).as_deref(),
            Ok(want),
            "not idempotent"
        );
    }

    #[test]
    fn aligns_equals_and_indents() {
        check(
            "resource aws_vpc \"main\" {\ncidr_block=\"10.0.0.0/16\"\n    enable_dns_support   =   true # dns\n  tags = {\n  a=1\n    bbb = [1,2, 3]\n  }\n}\n",
            "resource \"aws_vpc\" \"main\" {\n  cidr_block         = \"10.0.0.0/16\"\n  enable_dns_support = true # dns\n  tags = {\n    a   = 1\n    bbb = [1, 2, 3]\n  }\n}\n",
        );
    }

    #[test]
    fn terraform_rewrites() {
        check(
            "variable \"v\" {\n  type = \"string\"\n}\nvariable \"l\" {\n  type = list\n}\nlocals {\n  a = \"${var.v}\"\n  b = \"x${var.v}\"\n}\n",
            "variable \"v\" {\n  type = string\n}\nvariable \"l\" {\n  type = list(any)\n}\nlocals {\n  a = var.v\n  b = \"x${var.v}\"\n}\n",
        );
    }

    #[test]
    fn operators_and_calls() {
        check(
            "x = -1 + a*b - ! c\ny = f( a , b... )\nz = {for k , v in m : k=>v if v!=null}\nw = a[0].b[*].c\n",
            "x = -1 + a * b - !c\ny = f(a, b...)\nz = { for k, v in m : k => v if v != null }\nw = a[0].b[*].c\n",
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        let err = format_source("a = \n").map(|_| ()).map_err(|d| d.summary);
        assert!(matches!(err, Err(s) if s.starts_with("Syntax error")));
    }
}
