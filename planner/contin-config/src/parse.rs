//! Parses the `*.hcl` files of a configuration into a typed `Config`,
//! reporting every problem found (in every file) as a located diagnostic.

use crate::check::{
    is_identifier, literal_bool, literal_string, loc_of, references, static_path,
    valid_choices_detail, IDENTIFIER_RULE,
};
use crate::model::*;
use contin_types::{Diagnostic, Diagnostics, ResourceMode, SourceLoc};
use hcl_edit::expr::Expression;
use hcl_edit::structure::{self as hs, Structure};
use hcl_edit::Span;
use std::collections::HashMap;
use std::sync::Arc;

/// Top-level block types understood today. Adding one (e.g. `edge_site`)
/// means one entry here and one match arm in `Parser::top_block`.
const TOP_LEVEL_BLOCKS: &[&str] = &[
    "backend",
    "check",
    "cluster",
    "data",
    "edge_site",
    "host",
    "import",
    "locals",
    "module",
    "moved",
    "output",
    "provider",
    "removed",
    "resource",
    "terraform",
    "variable",
    "workload",
];

const VARIABLE_ARGS: &[&str] = &["default", "description", "ephemeral", "nullable", "sensitive", "type"];
const OUTPUT_ARGS: &[&str] = &["depends_on", "description", "sensitive", "value"];
const LIFECYCLE_ARGS: &[&str] = &["create_before_destroy", "ignore_changes", "prevent_destroy", "replace_triggered_by"];
const LIFECYCLE_BLOCKS: &[&str] = &["postcondition", "precondition"];
const VALIDATION_ARGS: &[&str] = &["condition", "error_message"];

/// Parses every `(file name, text)` pair (the caller sorts them) into one
/// `Config`. Problems never stop the parse: all of them come back together.
pub fn parse_files(files: &[(String, String)]) -> (Config, Diagnostics) {
    parse_files_with(files, None)
}

/// [`parse_files`], with the provider schemas' answer to "is this object in a
/// `.tf.json` file a nested block?" (`["resource", "aws_instance",
/// "root_block_device"]` → true). Without it only meta blocks (`lifecycle`,
/// `provisioner`, …) are blocks.
pub fn parse_files_with(files: &[(String, String)], block_hint: Option<Arc<crate::tfjson::BlockHint>>) -> (Config, Diagnostics) {
    let mut p = Parser { block_hint, ..Parser::default() };
    // Override files come after every primary file, each group in the
    // caller's (lexical) order.
    let (overrides, primary): (Vec<_>, Vec<_>) =
        files.iter().partition(|(name, _)| crate::overrides::is_override_file(base_name(name)));
    for (name, text) in primary {
        let file: Arc<str> = Arc::from(name.as_str());
        p.each_structure(&file, text, Parser::top_structure);
    }
    for (name, text) in overrides {
        let file: Arc<str> = Arc::from(name.as_str());
        p.each_structure(&file, text, crate::overrides::apply);
    }
    p.config.resources.shrink_to_fit();
    crate::terraform_block::finish(&mut p);
    crate::sites::check(&p.config, &mut p.diags);
    let mut diags = Diagnostics::new();
    for d in p.diags {
        diags.push(d);
    }
    (p.config, diags)
}

/// The file name without any directory part.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// A parse error of `hcl_edit`, located on the offending character.
pub(crate) fn syntax_error(file: &Arc<str>, text: &str, e: &hcl_edit::parser::Error) -> Diagnostic {
    let mut start = e.location().offset().min(text.len());
    // hcl-edit may report an offset inside a multi-byte character.
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let end = text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    let message = e.message();
    let mut detail = String::new();
    if message.contains("expected `}`, newline") {
        detail = "Each argument or block must start on its own line.".to_string();
    } else if message.contains("redefined attribute") {
        detail = "Each argument may be set only once per block.".to_string();
    }
    Diagnostic::error(format!("Syntax error: {message}"))
        .with_detail(detail)
        .at(SourceLoc::new(file.to_string(), start..end))
}

#[derive(Clone, Default)]
pub(crate) struct Parser {
    pub(crate) config: Config,
    pub(crate) diags: Vec<Diagnostic>,
    /// First declaration of each resource, keyed by `mode/type/name`.
    pub(crate) resource_locs: HashMap<(ResourceMode, String, String), SourceLoc>,
    /// Which object-valued `.tf.json` arguments are nested blocks (provider schemas).
    pub(crate) block_hint: Option<Arc<crate::tfjson::BlockHint>>,
}

/// `resource "t" "n"`: from the block type to the end of the last label.
pub(crate) fn header_loc(file: &Arc<str>, block: &hs::Block) -> SourceLoc {
    let start = block.ident.span().map_or(0, |s| s.start);
    // In a .tf.json file the block type is a key far above: point at the labels.
    let start = match block.labels.first().and_then(Span::span) {
        Some(l) if file.ends_with(".tf.json") => l.start,
        _ => start,
    };
    let end = block
        .labels
        .last()
        .and_then(Span::span)
        .or_else(|| block.ident.span())
        .map_or(start, |s| s.end);
    SourceLoc::new(file.to_string(), start..end)
}

pub(crate) fn expr(file: &Arc<str>, mut e: Expression) -> Expr {
    compact(&mut e, 0);
    Expr {
        expr: e,
        file: file.clone(),
    }
}

/// How deep [`compact`] looks into an expression.
const COMPACT_DEPTH: usize = 8;

/// Gives back the spare capacity of traversal operator lists (the parser
/// grows them to 4 slots of 200 bytes; `a.b.c` needs 2). The configuration
/// keeps every expression for the whole run, so at 100,000 resources this
/// is ~40 MB of peak memory. Looks `COMPACT_DEPTH` levels deep at most: it
/// only saves memory, so the rest is left as parsed.
fn compact(e: &mut Expression, depth: usize) {
    if depth > COMPACT_DEPTH {
        return;
    }
    let d = depth + 1;
    match e {
        Expression::Traversal(t) => {
            t.operators.shrink_to_fit();
            compact(&mut t.expr, d);
        }
        Expression::Array(a) => a.iter_mut().for_each(|x| compact(x, d)),
        Expression::Object(o) => o.iter_mut().for_each(|(_, v)| compact(v.expr_mut(), d)),
        Expression::FuncCall(f) => f.args.iter_mut().for_each(|x| compact(x, d)),
        Expression::Parenthesis(p) => compact(p.inner_mut(), d),
        Expression::Conditional(c) => {
            compact(&mut c.cond_expr, d);
            compact(&mut c.true_expr, d);
            compact(&mut c.false_expr, d);
        }
        Expression::BinaryOp(b) => {
            compact(&mut b.lhs_expr, d);
            compact(&mut b.rhs_expr, d);
        }
        _ => {}
    }
}

/// What a file's top-level structures are handed to, in source order.
type Take = fn(&mut Parser, Structure, &Arc<str>);

impl Parser {
    /// Parses one file and hands each top-level structure to `take`.
    fn each_structure(&mut self, file: &Arc<str>, text: &str, take: Take) {
        if file.ends_with(".tf.json") || !self.streamed(file, text, take) {
            for structure in self.file_structures(file, text) {
                take(self, structure, file);
            }
        }
    }

    /// A large file is parsed in waves of one chunk per core, and each
    /// wave's structures are taken before the next wave is parsed, so only
    /// one wave's syntax trees are alive at a time (all of a
    /// 100,000-resource file's were ~300 MB at once). `false`, with
    /// nothing changed, when the file is small or cannot be cut, or when a
    /// chunk fails to parse: then what this file's earlier waves added is
    /// undone and the caller parses it whole, so diagnostics are exactly a
    /// serial parse's.
    fn streamed(&mut self, file: &Arc<str>, text: &str, take: Take) -> bool {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunks = (text.len() / crate::split::WAVE_CHUNK_BYTES).max(threads).max(2);
        let Some(ranges) = crate::split::chunk_ranges(text, chunks) else {
            return false;
        };
        let saved = self.clone();
        self.config.sources.add(file.to_string(), text.to_string());
        for wave in ranges.chunks(threads) {
            let Some(bodies) = crate::split::parse_ranges(text, wave) else {
                *self = saved;
                return false;
            };
            for structure in bodies.into_iter().flatten() {
                take(self, structure, file);
            }
        }
        true
    }

    /// The top-level structures of one file (`.tf.json` files in Terraform's
    /// JSON syntax, the others in HCL); a syntax error is reported and yields none.
    pub(crate) fn file_structures(&mut self, file: &Arc<str>, text: &str) -> Vec<Structure> {
        self.config.sources.add(file.to_string(), text.to_string());
        if file.ends_with(".tf.json") {
            return match crate::tfjson::structures(file, text, self.block_hint.as_deref()) {
                Ok(s) => s,
                Err(d) => {
                    self.diags.extend(d);
                    Vec::new()
                }
            };
        }
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => body.into_iter().collect(),
            Err(e) => {
                self.diags.push(syntax_error(file, text, &e));
                Vec::new()
            }
        }
    }

    pub(crate) fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub(crate) fn top_structure(&mut self, structure: Structure, file: &Arc<str>) {
        match structure {
            Structure::Block(block) => self.top_block(block, file),
            Structure::Attribute(attr) => {
                let name = attr.key.as_str().to_string();
                self.err(
                    Diagnostic::error(format!("Unexpected argument \"{name}\" at top level"))
                        .with_detail(format!(
                            "Arguments belong inside a block. To name a value, use locals {{ {name} = … }}; \
                             for an input, use variable \"{name}\" {{ … }}."
                        ))
                        .at(loc_of(file, &attr)),
                );
            }
        }
    }

    pub(crate) fn top_block(&mut self, block: hs::Block, file: &Arc<str>) {
        match block.ident.as_str() {
            "resource" => self.resource(block, ResourceMode::Managed, file),
            kind @ ("edge_site" | "host" | "cluster" | "workload") => {
                let kind = kind.to_string();
                self.named_resource(block, &kind, file)
            }
            "data" => self.resource(block, ResourceMode::Data, file),
            "variable" => self.variable(block, file),
            "locals" => self.locals(block, file),
            "module" => self.module_call(block, file),
            "output" => self.output(block, file),
            "provider" => self.provider(block, file),
            "backend" => self.backend(block, file),
            "terraform" => self.terraform(block, file),
            "moved" => self.moved(block, file),
            "removed" => self.removed(block, file),
            "import" => self.import(block, file),
            "check" => self.check_block(block, file),
            other => {
                let detail =
                    valid_choices_detail("Valid top-level blocks are", other, TOP_LEVEL_BLOCKS);
                self.err(
                    Diagnostic::error(format!("Unsupported block type \"{other}\""))
                        .with_detail(detail)
                        .at(loc_of(file, &block.ident)),
                );
            }
        }
    }

    /// Checks the label count and that each label is an identifier.
    pub(crate) fn labels(
        &mut self,
        block: &hs::Block,
        file: &Arc<str>,
        names: &[&str],
    ) -> Option<Vec<String>> {
        let kind = block.ident.as_str();
        if block.labels.len() != names.len() {
            let summary = match names.len() {
                0 => format!("{kind} blocks take no labels"),
                1 => format!("{kind} blocks need 1 label: {}", names[0]),
                n => format!("{kind} blocks need {n} labels: {}", names.join(" and ")),
            };
            let found: Vec<String> = block
                .labels
                .iter()
                .map(|l| format!("\"{}\"", l.as_str()))
                .collect();
            let example: String = names
                .iter()
                .map(|n| format!(" \"{}\"", n.to_uppercase()))
                .collect();
            let found = if found.is_empty() {
                "no labels".to_string()
            } else {
                found.join(" ")
            };
            self.err(
                Diagnostic::error(summary)
                    .with_detail(format!(
                        "Found {found}. Write it as: {kind}{example} {{ … }}"
                    ))
                    .at(header_loc(file, block)),
            );
            return None;
        }
        let mut ok = true;
        for (label, what) in block.labels.iter().zip(names) {
            if !is_identifier(label.as_str()) {
                ok = false;
                self.err(
                    Diagnostic::error(format!("Invalid {kind} {what} \"{}\"", label.as_str()))
                        .with_detail(IDENTIFIER_RULE)
                        .at(loc_of(file, label)),
                );
            }
        }
        ok.then(|| {
            block
                .labels
                .iter()
                .map(|l| l.as_str().to_string())
                .collect()
        })
    }

    pub(crate) fn unsupported_arg(
        &mut self,
        kind: &str,
        attr: &hs::Attribute,
        valid: &[&str],
        file: &Arc<str>,
    ) {
        let name = attr.key.as_str();
        self.err(
            Diagnostic::error(format!("Unsupported argument \"{name}\" in {kind} block"))
                .with_detail(valid_choices_detail(
                    &format!("Valid arguments of a {kind} block are"),
                    name,
                    valid,
                ))
                .at(loc_of(file, &attr.key)),
        );
    }

    pub(crate) fn unsupported_block(
        &mut self,
        kind: &str,
        block: &hs::Block,
        valid: &[&str],
        file: &Arc<str>,
    ) {
        let name = block.ident.as_str();
        let detail = if valid.is_empty() {
            format!("Nested blocks are not allowed in a {kind} block.")
        } else {
            valid_choices_detail(
                &format!("Valid nested blocks of a {kind} block are"),
                name,
                valid,
            )
        };
        self.err(
            Diagnostic::error(format!("Unsupported block type \"{name}\" in {kind} block"))
                .with_detail(detail)
                .at(loc_of(file, &block.ident)),
        );
    }

    pub(crate) fn duplicate(&mut self, what: &str, loc: SourceLoc, first: &SourceLoc) {
        let where_first = self.config.sources.describe(first);
        self.err(
            Diagnostic::error(format!("Duplicate {what}"))
                .with_detail(format!(
                    "{what} was already declared at {where_first}; names must be unique."
                ))
                .at(loc)
                .with_related("first declared here", first.clone()),
        );
    }

    pub(crate) fn bool_arg(&mut self, e: &Expr, name: &str) -> bool {
        literal_bool(e, name, &mut self.diags)
    }

    pub(crate) fn string_arg(&mut self, e: &Expr, name: &str) -> Option<String> {
        literal_string(e, name, &mut self.diags)
    }

    // ---- resource / data -------------------------------------------------

    /// `edge_site "NAME" { … }`, `host "NAME" { … }`, `cluster "NAME" { … }`:
    /// resource-like blocks with one label, addressed `KIND.NAME`. The label
    /// is also the object's `name` attribute (set here; writing it is an error).
    fn named_resource(&mut self, block: hs::Block, kind: &str, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["name"]) else {
            return;
        };
        let name = labels.into_iter().next().unwrap_or_default();
        if let Some(attr) = block.body.iter().find_map(|s| s.as_attribute().filter(|a| a.key.as_str() == "name")) {
            self.err(
                Diagnostic::error(format!("Unexpected \"name\" argument in {kind} \"{name}\""))
                    .with_detail(format!("The block label is the {kind}'s name; {kind}.{name}.name is \"{name}\"."))
                    .at(loc_of(file, attr)),
            );
            return;
        }
        self.resource_body(block, ResourceMode::Managed, kind.to_string(), name, file);
    }

    fn resource(&mut self, block: hs::Block, mode: ResourceMode, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["type", "name"]) else {
            return;
        };
        let [ty, name] = <[String; 2]>::try_from(labels).unwrap_or_default();
        self.resource_body(block, mode, ty, name, file);
    }

    fn resource_body(&mut self, block: hs::Block, mode: ResourceMode, ty: String, name: String, file: &Arc<str>) {
        let named = block.labels.len() == 1;
        let loc = header_loc(file, &block);
        let mut res = Resource {
            mode,
            ty,
            name,
            provider: None,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            lifecycle: Lifecycle::default(),
            body: Body::default(),
            loc: loc.clone(),
            module: String::new(),
            provisioners: Vec::new(),
            connection: None,
        };
        let mut count_loc = None;
        let mut lifecycle_loc: Option<SourceLoc> = None;
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) => {
                    let attr_loc = crate::check::attr_loc(file, &attr);
                    match attr.key.as_str() {
                        "count" => {
                            count_loc = Some(attr_loc);
                            res.count = Some(expr(file, attr.value));
                        }
                        "for_each" => {
                            res.for_each = Some(expr(file, attr.value));
                        }
                        "depends_on" => {
                            let e = expr(file, attr.value);
                            res.depends_on = references(&e, &mut self.diags);
                        }
                        "provider" => {
                            let e = expr(file, attr.value);
                            res.provider = self.provider_ref(&e);
                        }
                        _ => insert_attribute(&mut res.body, attr, file),
                    }
                }
                Structure::Block(nested) if nested.ident.as_str() == "lifecycle" => {
                    let nested_loc = loc_of(file, &nested.ident);
                    if let Some(first) = &lifecycle_loc {
                        let first = first.clone();
                        self.duplicate("lifecycle block", nested_loc, &first);
                        continue;
                    }
                    lifecycle_loc = Some(nested_loc);
                    res.lifecycle = self.lifecycle(nested, file);
                }
                Structure::Block(nested) if matches!(nested.ident.as_str(), "provisioner" | "connection") => {
                    self.provisioner_or_connection(&mut res, nested, file);
                }
                Structure::Block(nested) => res.body.blocks.push(nested_block(nested, file)),
            }
        }
        crate::language::check_dynamic_blocks(&res.body, &mut self.diags, 0);
        if let (Some(count_loc), Some(for_each)) = (count_loc, &res.for_each) {
            self.err(
                Diagnostic::error("Invalid combination of \"count\" and \"for_each\"")
                    .with_detail(
                        "The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be set per resource.",
                    )
                    .at(for_each.loc())
                    .with_related("count is set here", count_loc),
            );
        }
        if named {
            // One name per instance: `fleet-a3` for for_each key a3, `n-0` for count.
            let template = if res.for_each.is_some() {
                format!("\"{}-${{each.key}}\"", res.name)
            } else if res.count.is_some() {
                format!("\"{}-${{count.index}}\"", res.name)
            } else {
                format!("\"{}\"", res.name)
            };
            let lit = hcl_edit::parser::parse_expr(&template).unwrap_or_else(|_| Expression::from(res.name.as_str()));
            res.body.attributes.insert(
                "name".to_string(),
                Box::new(Attribute { name: "name".to_string(), expr: expr(file, lit), loc: loc.clone() }),
            );
        }
        self.finish_provisioners(&mut res);
        let key = (res.mode, res.ty.clone(), res.name.clone());
        if let Some(first) = self.resource_locs.get(&key).cloned() {
            let prefix = if res.mode == ResourceMode::Data {
                "data."
            } else {
                ""
            };
            let what = if named {
                format!("{} \"{}\"", res.ty, res.name)
            } else {
                format!("resource \"{prefix}{}.{}\"", res.ty, res.name)
            };
            self.duplicate(&what, loc, &first);
            return;
        }
        self.resource_locs.insert(key, loc);
        self.config.resources.push(res);
    }

    /// `provider = aws` or `provider = aws.west`.
    fn provider_ref(&mut self, e: &Expr) -> Option<String> {
        match static_path(&e.expr).as_deref() {
            Some([name]) => Some(name.to_string()),
            Some([name, alias]) => Some(format!("{name}.{alias}")),
            _ => {
                self.err(
                    Diagnostic::error("Invalid provider reference")
                        .with_detail("Write provider = NAME or NAME.ALIAS without quotes, for example provider = aws.west.")
                        .at(e.loc()),
                );
                None
            }
        }
    }

    fn lifecycle(&mut self, block: hs::Block, file: &Arc<str>) -> Lifecycle {
        let mut lc = Lifecycle {
            loc: Some(loc_of(file, &block.ident)),
            ..Lifecycle::default()
        };
        if !block.labels.is_empty() {
            self.labels(&block, file, &[]);
        }
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "prevent_destroy" => {
                        lc.prevent_destroy =
                            self.bool_arg(&expr(file, attr.value), "prevent_destroy")
                    }
                    "create_before_destroy" => {
                        lc.create_before_destroy =
                            self.bool_arg(&expr(file, attr.value), "create_before_destroy")
                    }
                    "ignore_changes" => {
                        lc.ignore_changes = self.ignore_changes(&expr(file, attr.value))
                    }
                    "replace_triggered_by" => {
                        lc.replace_triggered_by = crate::language::replace_triggered_by(&expr(file, attr.value), &mut self.diags)
                    }
                    _ => self.unsupported_arg("lifecycle", &attr, LIFECYCLE_ARGS, file),
                },
                Structure::Block(b) if b.ident.as_str() == "precondition" => {
                    if let Some(c) = self.condition(b, file) {
                        lc.preconditions.push(c);
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "postcondition" => {
                    if let Some(c) = self.condition(b, file) {
                        lc.postconditions.push(c);
                    }
                }
                Structure::Block(b) => self.unsupported_block("lifecycle", &b, LIFECYCLE_BLOCKS, file),
            }
        }
        lc
    }

    /// `all`, or a list of attribute names (`tags`, `tags["x"]` → `tags`, legacy `"tags"`).
    fn ignore_changes(&mut self, e: &Expr) -> IgnoreChanges {
        if matches!(static_path(&e.expr).as_deref(), Some(["all"])) {
            return IgnoreChanges::All;
        }
        let Expression::Array(items) = &e.expr else {
            self.err(
                Diagnostic::error("Invalid ignore_changes")
                    .with_detail("ignore_changes must be all or a list of attribute names, like [tags, ami].")
                    .at(e.loc()),
            );
            return IgnoreChanges::Attrs(Vec::new());
        };
        let mut names = Vec::new();
        for item in items.iter() {
            let root = match item {
                Expression::Variable(v) => Some(v.as_str().to_string()),
                Expression::Traversal(t) => t.expr.as_variable().map(|v| v.as_str().to_string()),
                Expression::String(s) => Some(s.value().clone()),
                _ => None,
            };
            match root {
                Some(name) => names.push(name),
                None => self.err(
                    Diagnostic::error("Invalid ignore_changes entry")
                        .with_detail(
                            "Each entry must be an attribute name of this resource, like tags.",
                        )
                        .at(e.loc_of(item)),
                ),
            }
        }
        IgnoreChanges::Attrs(names)
    }

    // ---- variable / locals / output ------------------------------------------

    fn variable(&mut self, block: hs::Block, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["name"]) else {
            return;
        };
        let name = labels.into_iter().next().unwrap_or_default();
        let loc = header_loc(file, &block);
        let mut var = Variable {
            name: name.clone(),
            ty: None,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            ephemeral: false,
            validations: Vec::new(),
            loc: loc.clone(),
        };
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "type" => var.ty = Some(expr(file, attr.value)),
                    "default" => var.default = Some(expr(file, attr.value)),
                    "description" => {
                        var.description = self.string_arg(&expr(file, attr.value), "description")
                    }
                    "sensitive" => {
                        var.sensitive = self.bool_arg(&expr(file, attr.value), "sensitive")
                    }
                    "nullable" => var.nullable = self.bool_arg(&expr(file, attr.value), "nullable"),
                    "ephemeral" => var.ephemeral = self.bool_arg(&expr(file, attr.value), "ephemeral"),
                    _ => self.unsupported_arg("variable", &attr, VARIABLE_ARGS, file),
                },
                Structure::Block(b) if b.ident.as_str() == "validation" => {
                    if let Some(v) = self.validation(b, file) {
                        var.validations.push(v);
                    }
                }
                Structure::Block(b) => {
                    self.unsupported_block("variable", &b, &["validation"], file)
                }
            }
        }
        if let Some(first) = self.config.variables.get(&name).map(|v| v.loc.clone()) {
            self.duplicate(&format!("variable \"{name}\""), loc, &first);
            return;
        }
        self.config.variables.insert(name, var);
    }

    /// A `precondition`, `postcondition` or `assert` block.
    pub(crate) fn condition(&mut self, block: hs::Block, file: &Arc<str>) -> Option<Condition> {
        self.validation(block, file).map(|v| Condition { condition: v.condition, error_message: v.error_message, loc: v.loc })
    }

    fn validation(&mut self, block: hs::Block, file: &Arc<str>) -> Option<VariableValidation> {
        let kind = block.ident.as_str().to_string();
        if !block.labels.is_empty() {
            self.labels(&block, file, &[]);
        }
        let loc = loc_of(file, &block.ident);
        let mut condition = None;
        let mut error_message = None;
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "condition" => condition = Some(expr(file, attr.value)),
                    "error_message" => error_message = Some(expr(file, attr.value)),
                    _ => self.unsupported_arg(&kind, &attr, VALIDATION_ARGS, file),
                },
                Structure::Block(b) => self.unsupported_block(&kind, &b, &[], file),
            }
        }
        match (condition, error_message) {
            (Some(condition), Some(error_message)) => Some(VariableValidation {
                condition,
                error_message,
                loc,
            }),
            (c, _) => {
                let missing = if c.is_none() {
                    "condition"
                } else {
                    "error_message"
                };
                self.err(missing_arg(&kind, missing, loc));
                None
            }
        }
    }

    fn locals(&mut self, block: hs::Block, file: &Arc<str>) {
        if !block.labels.is_empty() {
            self.labels(&block, file, &[]);
        }
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str().to_string();
                    let loc = crate::check::attr_loc(file, &attr);
                    if let Some(first) = self.config.locals.get(&name).map(|l| l.loc.clone()) {
                        self.duplicate(&format!("local value \"{name}\""), loc, &first);
                        continue;
                    }
                    let local = Local {
                        name: name.clone(),
                        expr: expr(file, attr.value),
                        loc,
                    };
                    self.config.locals.insert(name, local);
                }
                Structure::Block(b) => {
                    self.err(
                        Diagnostic::error(format!(
                            "Unexpected block \"{}\" in locals",
                            b.ident.as_str()
                        ))
                        .with_detail("A locals block holds only NAME = EXPRESSION arguments.")
                        .at(loc_of(file, &b.ident)),
                    );
                }
            }
        }
    }

    fn output(&mut self, block: hs::Block, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["name"]) else {
            return;
        };
        let name = labels.into_iter().next().unwrap_or_default();
        let loc = header_loc(file, &block);
        let mut value = None;
        let mut description = None;
        let mut sensitive = false;
        let mut depends_on = Vec::new();
        let mut preconditions = Vec::new();
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "value" => value = Some(expr(file, attr.value)),
                    "description" => {
                        description = self.string_arg(&expr(file, attr.value), "description")
                    }
                    "sensitive" => sensitive = self.bool_arg(&expr(file, attr.value), "sensitive"),
                    "depends_on" => {
                        depends_on = references(&expr(file, attr.value), &mut self.diags)
                    }
                    _ => self.unsupported_arg("output", &attr, OUTPUT_ARGS, file),
                },
                Structure::Block(b) if b.ident.as_str() == "precondition" => {
                    if let Some(c) = self.condition(b, file) {
                        preconditions.push(c);
                    }
                }
                Structure::Block(b) => self.unsupported_block("output", &b, &["precondition"], file),
            }
        }
        let Some(value) = value else {
            self.err(missing_arg("output", "value", loc));
            return;
        };
        if let Some(first) = self.config.outputs.get(&name).map(|o| o.loc.clone()) {
            self.duplicate(&format!("output \"{name}\""), loc, &first);
            return;
        }
        self.config.outputs.insert(
            name.clone(),
            Output {
                name,
                value,
                description,
                sensitive,
                depends_on,
                loc,
                preconditions,
            },
        );
    }

    // ---- provider / backend / terraform ----------------------------------------

    fn provider(&mut self, block: hs::Block, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["name"]) else {
            return;
        };
        let name = labels.into_iter().next().unwrap_or_default();
        let loc = header_loc(file, &block);
        let mut body = Body::default();
        let mut alias = None;
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) if attr.key.as_str() == "alias" => {
                    let e = expr(file, attr.value);
                    alias = self.string_arg(&e, "alias");
                    if let Some(a) = &alias {
                        if !is_identifier(a) {
                            self.err(
                                Diagnostic::error(format!("Invalid provider alias \"{a}\""))
                                    .with_detail(IDENTIFIER_RULE)
                                    .at(e.loc()),
                            );
                        }
                    }
                }
                Structure::Attribute(attr) => insert_attribute(&mut body, attr, file),
                Structure::Block(b) => body.blocks.push(nested_block(b, file)),
            }
        }
        crate::language::check_dynamic_blocks(&body, &mut self.diags, 0);
        let key = match &alias {
            Some(a) => format!("{name}.{a}"),
            None => name.clone(),
        };
        if let Some(first) = self.config.providers.get(&key).map(|p| p.loc.clone()) {
            self.duplicate(&format!("provider configuration \"{key}\""), loc, &first);
            return;
        }
        self.config.providers.insert(
            key,
            ProviderBlock {
                name,
                alias,
                body,
                loc,
            },
        );
    }

    pub(crate) fn backend(&mut self, block: hs::Block, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["kind"]) else {
            return;
        };
        let kind = labels.into_iter().next().unwrap_or_default();
        let loc = header_loc(file, &block);
        if let Some(first) = self.config.backend.as_ref().map(|b| b.loc.clone()) {
            let where_first = self.config.sources.describe(&first);
            self.err(
                Diagnostic::error("Duplicate backend configuration")
                    .with_detail(format!(
                        "A configuration has at most one backend; the first is at {where_first}."
                    ))
                    .at(loc)
                    .with_related("first backend", first),
            );
            return;
        }
        let body = convert_body(block.body, file);
        self.config.backend = Some(BackendBlock { kind, body, loc });
    }

    /// `terraform { … }`: see `terraform_block.rs`.
    fn terraform(&mut self, block: hs::Block, file: &Arc<str>) {
        crate::terraform_block::terraform(self, block, file)
    }
}

fn missing_arg(kind: &str, arg: &str, loc: SourceLoc) -> Diagnostic {
    Diagnostic::error(format!("Missing required argument \"{arg}\""))
        .with_detail(format!("Every {kind} block must set \"{arg}\"."))
        .at(loc)
}

fn insert_attribute(body: &mut Body, attr: hs::Attribute, file: &Arc<str>) {
    let name = attr.key.as_str().to_string();
    let loc = crate::check::attr_loc(file, &attr);
    // hcl_edit already rejects a key set twice in one body.
    body.attributes.insert(
        name.clone(),
        Box::new(Attribute {
            name,
            expr: expr(file, attr.value),
            loc,
        }),
    );
}

pub(crate) fn nested_block(block: hs::Block, file: &Arc<str>) -> NestedBlock {
    NestedBlock {
        ty: block.ident.as_str().to_string(),
        labels: block
            .labels
            .iter()
            .map(|l| l.as_str().to_string())
            .collect(),
        loc: header_loc(file, &block),
        body: convert_body(block.body, file),
    }
}

/// A free-form body: attributes and nested blocks, recursively.
pub(crate) fn convert_body(body: hs::Body, file: &Arc<str>) -> Body {
    let mut out = Body::default();
    for structure in body {
        match structure {
            Structure::Attribute(attr) => insert_attribute(&mut out, attr, file),
            Structure::Block(b) => out.blocks.push(nested_block(b, file)),
        }
    }
    out
}
