//! Terraform's JSON configuration syntax (`*.tf.json`), turned into the same
//! HCL structures the native syntax gives, with spans into the JSON file so
//! every diagnostic keeps its `file:line:col`.
//!
//! How spans survive: every piece the parser needs (block types and argument
//! names as identifiers, labels as strings, argument values as expressions)
//! is copied at its own byte offset into a text of the JSON file's length,
//! blank elsewhere, wrapped as one HCL tuple `[a, b, …]` and parsed once.
//! JSON strings and HCL quoted templates share their escapes (except `\/`,
//! `\b`, `\f`: such pieces are built without a span), so a value's text is
//! also its HCL expression: `"${var.x}"` is a template, `{"a": 1}` an object.

use contin_types::{Diagnostic, SourceLoc};
use hcl_edit::expr::Expression;
use hcl_edit::structure::{self as hs, BlockLabel, Structure};
use hcl_edit::{Decorated, Ident};
use std::ops::Range;
use std::sync::Arc;

/// Deepest JSON nesting read (a deeper document is an error naming this limit).
pub const MAX_JSON_DEPTH: usize = 128;

/// A JSON value with the byte range it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Json {
    pub kind: JsonKind,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum JsonKind {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order (duplicates kept); each key with its span.
    Object(Vec<(String, Range<usize>, Json)>),
}

/// A JSON syntax error: message and byte offset.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonError {
    pub message: String,
    pub offset: usize,
}

/// Parses a whole JSON document, keeping byte spans.
pub fn parse_json(text: &str) -> Result<Json, JsonError> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(v)
}

struct JsonParser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl JsonParser<'_> {
    fn error(&self, message: &str) -> JsonError {
        JsonError {
            message: message.to_string(),
            offset: self.i.min(self.s.len()),
        }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_JSON_DEPTH {
            return Err(self.error(&format!(
                "JSON nested deeper than {MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH)"
            )));
        }
        let start = self.i;
        let kind = match self.s.get(self.i) {
            None => return Err(self.error("unexpected end of JSON")),
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let key_start = self.i;
                        if self.s.get(self.i) != Some(&b'"') {
                            return Err(self.error("expected a quoted object key"));
                        }
                        let key = self.string()?;
                        let key_span = key_start..self.i;
                        self.ws();
                        if self.s.get(self.i) != Some(&b':') {
                            return Err(self.error("expected ':' after the object key"));
                        }
                        self.i += 1;
                        self.ws();
                        let v = self.value(depth + 1)?;
                        members.push((key, key_span, v));
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.error("expected ',' or '}' in object")),
                        }
                    }
                }
                JsonKind::Object(members)
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.error("expected ',' or ']' in array")),
                        }
                    }
                }
                JsonKind::Array(items)
            }
            Some(b'"') => JsonKind::String(self.string()?),
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                JsonKind::Bool(true)
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                JsonKind::Bool(false)
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                JsonKind::Null
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                JsonKind::Number(self.text[start..self.i].to_string())
            }
            Some(_) => return Err(self.error("expected a JSON value")),
        };
        Ok(Json {
            kind,
            span: start..self.i,
        })
    }

    fn number(&mut self) -> Result<(), JsonError> {
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i > from
        };
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        if !digits(self) {
            return Err(self.error("invalid number"));
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.error("invalid number: digits expected after '.'"));
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.error("invalid number: digits expected in the exponent"));
            }
        }
        Ok(())
    }

    /// A string at `self.i` (on its opening quote), decoded.
    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.error("unterminated string"));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let esc = self.s.get(self.i + 1).copied();
                    self.i += 2;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi)
                                && self.s[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.error("invalid escape in string"));
                        }
                    }
                }
                c if c < 0x20 => return Err(self.error("control character in string (escape it)")),
                _ => {
                    // Copy one UTF-8 character (the input is a &str).
                    let ch = self.text[self.i..].chars().next().unwrap_or('\u{FFFD}');
                    out.push(ch);
                    self.i += ch.len_utf8().max(1);
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .text
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        let v = u32::from_str_radix(h, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.i += 4;
        Ok(v)
    }
}

// ---- JSON → HCL structures ----------------------------------------------------

/// Tells whether an object-valued argument is a nested block:
/// `["resource", "aws_instance", "root_block_device"]`. The engine answers
/// from the provider schemas; without one only meta blocks are blocks.
pub type BlockHint = dyn Fn(&[&str]) -> bool + Send + Sync;

/// Nested blocks whatever the schema says.
const META_BLOCKS: &[&str] = &[
    "lifecycle",
    "connection",
    "validation",
    "precondition",
    "postcondition",
    "content",
];
/// Nested blocks with one label: `"provisioner": {"local-exec": {…}}`.
const LABELED_META_BLOCKS: &[&str] = &["provisioner", "dynamic"];

/// How a piece is written into the HCL text.
#[derive(Clone, Copy, PartialEq)]
enum PieceKind {
    /// A name: the quotes become blanks.
    Ident,
    /// A quoted label, as is.
    Label,
    /// A JSON value as an HCL expression (strings are templates).
    Template,
    /// A JSON string holding an expression (`"list(string)"`): quotes blanked.
    ExprString,
    /// A JSON value taken literally (strings never interpolate).
    Literal,
}

struct Piece {
    span: Range<usize>,
    kind: PieceKind,
}

/// The result of converting one document, before the pieces are parsed.
enum Node {
    Block {
        ident: usize,
        labels: Vec<usize>,
        body: Vec<Node>,
    },
    Attr {
        key: usize,
        value: ValueNode,
    },
    /// A top-level key that is no block type: reported by the parser.
    Unknown {
        ident: usize,
    },
}

enum ValueNode {
    Piece(usize),
    /// `depends_on`, `ignore_changes`: a list of expression strings.
    List(Vec<usize>),
}

struct Builder<'a> {
    pieces: Vec<Piece>,
    values: Vec<&'a Json>,
    hint: Option<&'a BlockHint>,
    diags: Vec<Diagnostic>,
    file: Arc<str>,
}

impl<'a> Builder<'a> {
    fn piece(&mut self, span: Range<usize>, kind: PieceKind, value: Option<&'a Json>) -> usize {
        self.pieces.push(Piece { span, kind });
        self.values.push(value.unwrap_or(&NULL));
        self.pieces.len() - 1
    }

    fn err(&mut self, summary: &str, detail: String, span: Range<usize>) {
        self.diags.push(
            Diagnostic::error(summary)
                .with_detail(detail)
                .at(SourceLoc::new(self.file.to_string(), span)),
        );
    }

    /// An object, or an array of objects (Terraform allows both wherever
    /// blocks are listed): the objects.
    fn objects(&mut self, v: &'a Json, what: &str) -> Vec<&'a Vec<(String, Range<usize>, Json)>> {
        match &v.kind {
            JsonKind::Object(m) => vec![m],
            JsonKind::Array(items) => items.iter().flat_map(|i| self.objects(i, what)).collect(),
            _ => {
                self.err(
                    "Invalid JSON configuration",
                    format!("{what} must be a JSON object (or an array of objects)."),
                    v.span.clone(),
                );
                Vec::new()
            }
        }
    }

    fn top(&mut self, root: &'a Json) -> Vec<Node> {
        let mut out = Vec::new();
        for members in self.objects(root, "A .tf.json file") {
            for (key, kspan, v) in members {
                if key == "//" {
                    continue;
                }
                let ident = self.piece(kspan.clone(), PieceKind::Ident, None);
                match key.as_str() {
                    "resource" | "data" => self.labeled(&mut out, ident, v, key, 2),
                    "variable" | "output" | "provider" | "backend" | "edge_site" | "host"
                    | "cluster" | "module" => self.labeled(&mut out, ident, v, key, 1),
                    "locals" | "terraform" => {
                        for body in self.objects(v, key) {
                            let body = self.body(body, &[key.as_str()]);
                            out.push(Node::Block {
                                ident,
                                labels: Vec::new(),
                                body,
                            });
                        }
                    }
                    _ => out.push(Node::Unknown { ident }),
                }
            }
        }
        out
    }

    /// `{"L1": {"L2": BODY}}` for `depth` labels.
    fn labeled(
        &mut self,
        out: &mut Vec<Node>,
        ident: usize,
        v: &'a Json,
        kind: &str,
        depth: usize,
    ) {
        let mut stack: Vec<(Vec<usize>, Vec<&'a str>, &'a Json)> =
            vec![(Vec::new(), Vec::new(), v)];
        while let Some((labels, names, v)) = stack.pop() {
            if labels.len() == depth {
                let mut ctx = vec![kind];
                ctx.extend(names.iter().take(1));
                for body in self.objects(v, &format!("The body of a {kind} block")) {
                    let body = self.body(body, &ctx);
                    out.push(Node::Block {
                        ident,
                        labels: labels.clone(),
                        body,
                    });
                }
                continue;
            }
            let mut next = Vec::new();
            for members in self.objects(v, &format!("A {kind} block")) {
                for (key, kspan, inner) in members {
                    if key == "//" {
                        continue;
                    }
                    let mut l = labels.clone();
                    l.push(self.piece(kspan.clone(), PieceKind::Label, None));
                    let mut n = names.clone();
                    n.push(key.as_str());
                    next.push((l, n, inner));
                }
            }
            // Keep document order (the stack pops the last first).
            stack.extend(next.into_iter().rev());
        }
    }

    fn body(&mut self, members: &'a [(String, Range<usize>, Json)], ctx: &[&str]) -> Vec<Node> {
        let mut out = Vec::new();
        for (key, kspan, v) in members {
            if key == "//" {
                continue;
            }
            let objectish = matches!(&v.kind, JsonKind::Object(_))
                || matches!(&v.kind, JsonKind::Array(items) if !items.is_empty() && items.iter().all(|i| matches!(i.kind, JsonKind::Object(_))));
            let block_kind = ctx.first().copied().unwrap_or_default();
            let labeled = LABELED_META_BLOCKS.contains(&key.as_str())
                || (block_kind == "terraform"
                    && matches!(key.as_str(), "backend" | "provider_meta"));
            let is_block = objectish
                && (labeled
                    || META_BLOCKS.contains(&key.as_str())
                    || (block_kind == "terraform"
                        && matches!(key.as_str(), "required_providers" | "cloud"))
                    || (block_kind != "terraform"
                        && block_kind != "locals"
                        && block_kind != "variable"
                        && block_kind != "output"
                        && self.is_schema_block(ctx, key)));
            let ident = self.piece(kspan.clone(), PieceKind::Ident, None);
            if is_block {
                let mut inner_ctx: Vec<&str> = ctx.to_vec();
                inner_ctx.push(key.as_str());
                if labeled {
                    let mut blocks = Vec::new();
                    self.labeled(&mut blocks, ident, v, key, 1);
                    out.extend(blocks);
                } else {
                    for obj in self.objects(v, key) {
                        let body = self.body(obj, &inner_ctx);
                        out.push(Node::Block {
                            ident,
                            labels: Vec::new(),
                            body,
                        });
                    }
                }
                continue;
            }
            let value = self.value_node(block_kind, ctx, key, v);
            out.push(Node::Attr { key: ident, value });
        }
        out
    }

    fn is_schema_block(&self, ctx: &[&str], key: &str) -> bool {
        let mut path: Vec<&str> = ctx.to_vec();
        path.push(key);
        self.hint.is_some_and(|h| h(&path))
    }

    fn value_node(&mut self, block_kind: &str, ctx: &[&str], key: &str, v: &'a Json) -> ValueNode {
        let in_lifecycle = ctx.last() == Some(&"lifecycle");
        let expr_list = key == "depends_on"
            || (in_lifecycle && key == "ignore_changes")
            || key == "replace_triggered_by";
        let expr_string = (block_kind == "variable" && key == "type")
            || (matches!(block_kind, "resource" | "data") && key == "provider" && ctx.len() == 2);
        let literal = matches!(
            key,
            "description" | "alias" | "required_version" | "source" | "version"
        ) || (block_kind == "variable" && key == "default")
            || (block_kind == "terraform" && ctx.len() >= 2);
        match (&v.kind, expr_list, expr_string) {
            (JsonKind::Array(items), true, _) => ValueNode::List(
                items
                    .iter()
                    .map(|i| {
                        let kind = if matches!(i.kind, JsonKind::String(_)) {
                            PieceKind::ExprString
                        } else {
                            PieceKind::Template
                        };
                        self.piece(i.span.clone(), kind, Some(i))
                    })
                    .collect(),
            ),
            // `ignore_changes = "all"`
            (JsonKind::String(_), true, _) | (JsonKind::String(_), _, true) => {
                ValueNode::Piece(self.piece(v.span.clone(), PieceKind::ExprString, Some(v)))
            }
            _ if literal => {
                ValueNode::Piece(self.piece(v.span.clone(), PieceKind::Literal, Some(v)))
            }
            _ => ValueNode::Piece(self.piece(v.span.clone(), PieceKind::Template, Some(v))),
        }
    }
}

static NULL: Json = Json {
    kind: JsonKind::Null,
    span: 0..0,
};

/// True when the raw JSON text of a piece has an escape HCL does not share
/// (`\/`, `\b`, `\f`), so it cannot be copied verbatim.
fn has_foreign_escape(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\\' {
            if matches!(b[i + 1], b'/' | b'b' | b'f') {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Words that do not parse as a variable expression.
fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "true" | "false" | "null" | "for" | "if" | "in" | "endif" | "endfor" | "else"
    )
}

/// Converts one `.tf.json` document into top-level HCL structures.
pub fn structures(
    file: &Arc<str>,
    text: &str,
    hint: Option<&BlockHint>,
) -> Result<Vec<Structure>, Vec<Diagnostic>> {
    let root = parse_json(text).map_err(|e| {
        let mut at = e.offset.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        vec![Diagnostic::error("Invalid JSON syntax")
            .with_detail(format!("{}.", e.message))
            .at(SourceLoc::new(file.to_string(), at..end))]
    })?;
    let mut b = Builder {
        pieces: Vec::new(),
        values: Vec::new(),
        hint,
        diags: Vec::new(),
        file: file.clone(),
    };
    let nodes = b.top(&root);
    if !b.diags.is_empty() {
        return Err(b.diags);
    }
    let parsed = parse_pieces(file, text, &b.pieces, &b.values)?;
    let mut parsed: Vec<Option<Expression>> = parsed.into_iter().map(Some).collect();
    let mut diags = Vec::new();
    let out = nodes
        .into_iter()
        .filter_map(|n| to_structure(n, &mut parsed, &b.pieces, text, file, &mut diags))
        .collect();
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Parses every piece in one pass (see the module comment); pieces that
/// cannot be copied verbatim are built from their decoded JSON value.
fn parse_pieces(
    file: &Arc<str>,
    text: &str,
    pieces: &[Piece],
    values: &[&Json],
) -> Result<Vec<Expression>, Vec<Diagnostic>> {
    let mut buf = vec![b' '; text.len()];
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&i| pieces[i].span.start);
    let mut verbatim = vec![false; pieces.len()];
    let mut last_end = 0;
    let mut in_tuple = 0usize;
    for &i in &order {
        let p = &pieces[i];
        let raw = &text[p.span.clone()];
        let literal_template =
            p.kind == PieceKind::Literal && (raw.contains("${") || raw.contains("%{"));
        // JSON escapes apply to the whole string, HCL's only to literal
        // parts: `"${join(\",\", x)}"` is rebuilt from its decoded text.
        let escaped_interpolation = p.kind == PieceKind::Template
            && raw.contains('\\')
            && (raw.contains("${") || raw.contains("%{"));
        let keyword = p.kind == PieceKind::Ident && is_keyword(raw.trim_matches('"'));
        // `a-b` would read as a subtraction: such names are rebuilt (no span).
        let name = raw.trim_matches('"');
        let ident_ok = p.kind != PieceKind::Ident
            || (name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if p.span.start == 0
            || p.span.start < last_end
            || has_foreign_escape(raw)
            || literal_template
            || escaped_interpolation
            || keyword
            || !ident_ok
        {
            continue;
        }
        verbatim[i] = true;
        in_tuple += 1;
        buf[p.span.clone()].copy_from_slice(raw.as_bytes());
        if matches!(p.kind, PieceKind::Ident | PieceKind::ExprString) {
            buf[p.span.start] = b' ';
            buf[p.span.end - 1] = b' ';
        }
        if p.span.end < buf.len() {
            buf[p.span.end] = b',';
        }
        last_end = p.span.end + 1;
    }
    let mut exprs: Vec<Option<Expression>> = vec![None; pieces.len()];
    if in_tuple > 0 {
        buf[0] = b'[';
        // The root's closing bracket: every piece ends before or at it.
        let close = text.trim_end().len().saturating_sub(1);
        if let Some(b) = buf.get_mut(close) {
            *b = b']';
        }
        // Nothing may follow the tuple (not even blanks).
        buf.truncate(close + 1);
        let synth = String::from_utf8(buf).unwrap_or_default();
        let tuple = match hcl_edit::parser::parse_expr(&synth) {
            Ok(Expression::Array(a)) => a,
            Ok(_) => {
                return Err(vec![Diagnostic::error("Invalid JSON configuration")
                    .with_detail("The document could not be read as Terraform JSON.")
                    .at(SourceLoc::new(file.to_string(), 0..0))])
            }
            Err(e) => {
                let mut start = e.location().offset().min(text.len());
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let end = text[start..]
                    .chars()
                    .next()
                    .map_or(start, |c| start + c.len_utf8());
                return Err(vec![Diagnostic::error(format!("Invalid expression in JSON configuration: {}", e.message()))
                    .with_detail("Strings in Terraform JSON are templates: ${…} interpolates an expression; write $${ for a literal ${.")
                    .at(SourceLoc::new(file.to_string(), start..end))]);
            }
        };
        let mut items = tuple.into_iter();
        for &i in order.iter().filter(|&&i| verbatim[i]) {
            exprs[i] = items.next();
        }
    }
    let mut out = Vec::with_capacity(pieces.len());
    let mut diags = Vec::new();
    let mut pad_budget = MAX_PADDING;
    for (i, e) in exprs.into_iter().enumerate() {
        match e {
            Some(e) => out.push(e),
            None => match rebuild(&pieces[i], values[i], text, &mut pad_budget) {
                Ok(e) => out.push(e),
                Err(msg) => {
                    diags.push(
                        Diagnostic::error("Invalid JSON configuration")
                            .with_detail(msg)
                            .at(SourceLoc::new(file.to_string(), pieces[i].span.clone())),
                    );
                    out.push(Expression::Null(Decorated::new(hcl_edit::expr::Null)));
                }
            },
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Blanks spent in total placing rebuilt templates at their offset (beyond
/// it they are parsed without, and their diagnostics point at the file start).
const MAX_PADDING: usize = 64 << 20;

/// A piece built from its decoded value. Templates are re-parsed at their
/// offset (blank-padded, within [`MAX_PADDING`]) so their spans point into the
/// file; names and literals have no span.
fn rebuild(p: &Piece, v: &Json, text: &str, pad_budget: &mut usize) -> Result<Expression, String> {
    let raw = &text[p.span.clone()];
    match p.kind {
        PieceKind::Ident | PieceKind::Label => {
            let name = crate::tfjson::parse_json(raw)
                .ok()
                .and_then(|j| match j.kind {
                    JsonKind::String(s) => Some(s),
                    _ => None,
                });
            Ok(Expression::String(Decorated::new(name.unwrap_or_default())))
        }
        PieceKind::ExprString => match &v.kind {
            JsonKind::String(s) => hcl_edit::parser::parse_expr(s)
                .map_err(|e| format!("not a valid expression: {}", e.message())),
            _ => Err("expected a string holding an expression".to_string()),
        },
        PieceKind::Literal => Ok(literal(v)),
        PieceKind::Template => {
            let mut hcl = String::new();
            hcl_text(v, &mut hcl);
            // `[`, blanks, the template, `]`: the parser takes no leading blanks.
            let pad = if *pad_budget >= p.span.start {
                p.span.start.saturating_sub(1)
            } else {
                0
            };
            *pad_budget = pad_budget.saturating_sub(pad);
            let padded = format!("[{}{hcl}]", " ".repeat(pad));
            match hcl_edit::parser::parse_expr(&padded) {
                Ok(Expression::Array(a)) if a.len() == 1 => a
                    .into_iter()
                    .next()
                    .ok_or_else(|| "invalid template".to_string()),
                Ok(_) => Err("invalid template".to_string()),
                Err(e) => Err(format!("invalid template: {}", e.message())),
            }
        }
    }
}

/// HCL text for a JSON value: strings as quoted templates (see
/// [`quoted_template`]), the rest as written.
fn hcl_text(v: &Json, out: &mut String) {
    match &v.kind {
        JsonKind::Null => out.push_str("null"),
        JsonKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsonKind::Number(n) => out.push_str(n),
        JsonKind::String(s) => quoted_template(s, out),
        JsonKind::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                hcl_text(item, out);
            }
            out.push(']');
        }
        JsonKind::Object(members) => {
            out.push('{');
            for (i, (k, _, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quoted_template(k, out);
                out.push_str(" = ");
                hcl_text(item, out);
            }
            out.push('}');
        }
    }
}

/// A decoded JSON string as an HCL quoted template: literal parts escaped,
/// `${…}` / `%{…}` sequences copied as they are (their text is HCL already).
fn quoted_template(s: &str, out: &mut String) {
    let chars: Vec<char> = s.chars().collect();
    out.push('"');
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if (c == '$' || c == '%') && next == Some(c) && chars.get(i + 2) == Some(&'{') {
            // `$${` / `%%{`: a literal `${` / `%{`, written the same in HCL.
            out.extend([c, c, '{']);
            i += 3;
            continue;
        }
        if (c == '$' || c == '%') && next == Some('{') {
            out.extend([c, '{']);
            i += 2;
            let mut depth = 1usize;
            let mut in_str = false;
            while i < chars.len() && depth > 0 {
                let ch = chars[i];
                if in_str {
                    if ch == '\\' {
                        out.push(ch);
                        i += 1;
                        if let Some(&e) = chars.get(i) {
                            out.push(e);
                        }
                        i += 1;
                        continue;
                    }
                    if ch == '"' {
                        in_str = false;
                    }
                } else {
                    match ch {
                        '"' => in_str = true,
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                out.push(if !in_str && (ch == '\n' || ch == '\r') {
                    ' '
                } else {
                    ch
                });
                i += 1;
            }
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
        i += 1;
    }
    out.push('"');
}

fn literal(v: &Json) -> Expression {
    match &v.kind {
        JsonKind::Null => Expression::Null(Decorated::new(hcl_edit::expr::Null)),
        JsonKind::Bool(b) => Expression::Bool(Decorated::new(*b)),
        JsonKind::Number(n) => hcl_edit::parser::parse_expr(n)
            .unwrap_or_else(|_| Expression::String(Decorated::new(n.clone()))),
        JsonKind::String(s) => Expression::String(Decorated::new(s.clone())),
        JsonKind::Array(items) => Expression::Array(items.iter().map(literal).collect()),
        JsonKind::Object(members) => {
            let mut obj = hcl_edit::expr::Object::new();
            for (k, _, v) in members {
                obj.insert(
                    hcl_edit::expr::ObjectKey::Expression(Expression::String(Decorated::new(
                        k.clone(),
                    ))),
                    hcl_edit::expr::ObjectValue::new(literal(v)),
                );
            }
            Expression::Object(obj)
        }
    }
}

/// Piece `i` (a block type piece is shared by every block under its key).
fn take(parsed: &mut [Option<Expression>], i: usize) -> Expression {
    parsed
        .get(i)
        .cloned()
        .flatten()
        .unwrap_or_else(|| Expression::Null(Decorated::new(hcl_edit::expr::Null)))
}

/// The identifier of an `Ident` piece, keeping its span when it has one.
fn ident_of(
    e: Expression,
    pieces: &[Piece],
    i: usize,
    text: &str,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Decorated<Ident>> {
    match e {
        Expression::Variable(v) => Some(v),
        Expression::String(s) => match Ident::try_new(s.value().as_str()) {
            Ok(id) => Some(Decorated::new(id)),
            Err(_) => {
                let span = pieces.get(i).map_or(0..0, |p| p.span.clone());
                diags.push(
                    Diagnostic::error("Invalid name in JSON configuration")
                        .with_detail(format!(
                            "{} is not a valid block type or argument name: {}",
                            text.get(span.clone()).unwrap_or(""),
                            crate::check::IDENTIFIER_RULE
                        ))
                        .at(SourceLoc::new(file.to_string(), span)),
                );
                None
            }
        },
        _ => None,
    }
}

fn to_structure(
    n: Node,
    parsed: &mut [Option<Expression>],
    pieces: &[Piece],
    text: &str,
    file: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Structure> {
    match n {
        Node::Unknown { ident } => {
            let e = take(parsed, ident);
            let id = ident_of(e, pieces, ident, text, file, diags)?;
            Some(Structure::Block(hs::Block::new(id)))
        }
        Node::Block {
            ident,
            labels,
            body,
        } => {
            let e = take(parsed, ident);
            let id = ident_of(e, pieces, ident, text, file, diags)?;
            let mut block = hs::Block::new(id);
            for l in labels {
                match take(parsed, l) {
                    Expression::String(s) => block.labels.push(BlockLabel::String(s)),
                    _ => block
                        .labels
                        .push(BlockLabel::String(Decorated::new(String::new()))),
                }
            }
            for child in body {
                if let Some(s) = to_structure(child, parsed, pieces, text, file, diags) {
                    block.body.push(s);
                }
            }
            Some(Structure::Block(block))
        }
        Node::Attr { key, value } => {
            let e = take(parsed, key);
            let id = ident_of(e, pieces, key, text, file, diags)?;
            let value = match value {
                ValueNode::Piece(i) => take(parsed, i),
                ValueNode::List(items) => {
                    Expression::Array(items.into_iter().map(|i| take(parsed, i)).collect())
                }
            };
            Some(Structure::Attribute(hs::Attribute::new(id, value)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_keep_their_spans() {
        let text = r#"{"a": [1, -2.5e3, "x\"y", true, null], "b": {}}"#;
        let j = parse_json(text).unwrap_or_else(|e| panic!("{e:?}"));
        let JsonKind::Object(m) = &j.kind else {
            panic!("object")
        };
        assert_eq!(m[0].0, "a");
        assert_eq!(&text[m[0].1.clone()], "\"a\"");
        assert_eq!(
            &text[m[0].2.span.clone()],
            r#"[1, -2.5e3, "x\"y", true, null]"#
        );
        let JsonKind::Array(items) = &m[0].2.kind else {
            panic!("array")
        };
        assert_eq!(items[2].kind, JsonKind::String("x\"y".into()));
        assert_eq!(items[1].kind, JsonKind::Number("-2.5e3".into()));
    }

    #[test]
    fn malformed_json_is_an_error_with_its_offset() {
        for (bad, at) in [
            ("{", 1),
            ("{\"a\" 1}", 5),
            ("[1,]", 3),
            ("\"\\x\"", 2),
            ("{} x", 3),
            ("1x", 1),
        ] {
            let e = parse_json(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} parsed"));
            assert_eq!(e.offset, at, "{bad}: {}", e.message);
        }
        let deep = "[".repeat(MAX_JSON_DEPTH + 5);
        assert!(parse_json(&deep)
            .err()
            .is_some_and(|e| e.message.contains("MAX_JSON_DEPTH")));
        assert_eq!(
            parse_json("\"\\ud83d\\ude00\"").map(|j| j.kind).ok(),
            Some(JsonKind::String("😀".into()))
        );
    }
}
