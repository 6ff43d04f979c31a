//! `module` blocks: parsing and expansion.
//!
//! A called module is *flattened* into its caller: every object it declares
//! gets a scoped name that cannot clash with a user-written one (names
//! containing dots), and its expressions are rewritten to use those names:
//!
//! | in module `net`           | becomes in the caller                        |
//! |---------------------------|----------------------------------------------|
//! | `var.cidr`                | `local."module.net.var.cidr"` (a [`ModuleVar`]) |
//! | `local.x`                 | `local."module.net.local.x"`                 |
//! | `aws_vpc.main`            | resource `aws_vpc.main` with `module = "module.net"` (block name `module.net.main`) |
//! | `module.sub.out` (nested) | `local."module.net.module.sub".out`         |
//! | outputs                   | one local `module.net` holding an object of them |
//! | `path.module`             | the module directory, relative to the root   |
//!
//! So the graph, the plan walk and apply-time evaluation see one flat
//! configuration; only addresses (`ResourceAddr::module`) show the module
//! path. The files come from a [`ModuleLoader`] (no IO here).

use crate::check::{literal_string, static_path};
use crate::model::*;
use crate::parse::{expr, Parser};
use contin_types::{Diagnostic, Diagnostics, ResourceMode, SourceLoc};
use hcl_edit::expr::{Expression, FuncArgs, FuncCall, FuncName, Object, ObjectKey, ObjectValue, TraversalOperator};
use hcl_edit::structure::{self as hs, Structure};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::{Decorated, Ident};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How deep modules may call modules.
pub const MAX_MODULE_DEPTH: usize = 32;
/// How many module calls a whole configuration may expand.
pub const MAX_MODULE_CALLS: usize = 2000;

/// Where module files come from.
pub trait ModuleLoader {
    /// The configuration files (`*.tf`, `*.tf.json`, `*.hcl`) of `dir`, a
    /// directory relative to the root, as (base name, text), sorted.
    fn files(&mut self, dir: &str) -> Result<Vec<(String, String)>, String>;
    /// The directory an installer put a non-local module in, by module key
    /// (`vpc`, `vpc.subnets`: call names joined by dots), as in
    /// `.terraform/modules/modules.json`.
    fn installed(&self, key: &str) -> Option<String>;
}

/// True for `./x` and `../x` sources (Terraform's local paths).
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// `base` joined with `rel`, lexically normalised (`a/./b/../c` → `a/c`);
/// `.` for the root; leading `..` kept.
pub fn join_dir(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in base.split(['/', '\\']).chain(rel.split(['/', '\\'])) {
        match p {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(l) if *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

const MODULE_META: &[&str] = &["count", "depends_on", "for_each", "providers", "source", "version"];

impl Parser {
    /// `module "NAME" { source = "./dir" … }`.
    pub(crate) fn module_call(&mut self, block: hs::Block, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["name"]) else { return };
        let name = labels.into_iter().next().unwrap_or_default();
        let loc = crate::parse::header_loc(file, &block);
        let mut call = ModuleCall {
            name: name.clone(),
            source: String::new(),
            source_loc: loc.clone(),
            version: None,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            providers: Vec::new(),
            args: BTreeMap::new(),
            loc: loc.clone(),
        };
        let mut has_source = false;
        let mut source_seen = false;
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) => {
                    let attr_loc = crate::check::attr_loc(file, &attr);
                    let key = attr.key.as_str().to_string();
                    let e = expr(file, attr.value);
                    match key.as_str() {
                        "source" => {
                            source_seen = true;
                            if let Some(s) = literal_string(&e, "source", &mut self.diags) {
                                call.source = s;
                                call.source_loc = attr_loc;
                                has_source = true;
                            }
                        }
                        "version" => call.version = literal_string(&e, "version", &mut self.diags),
                        "count" => call.count = Some(e),
                        "for_each" => call.for_each = Some(e),
                        "depends_on" => call.depends_on = crate::check::references(&e, &mut self.diags),
                        "providers" => call.providers = self.providers_map(&e),
                        _ => {
                            call.args.insert(key.clone(), Attribute { name: key, expr: e, loc: attr_loc });
                        }
                    }
                }
                Structure::Block(b) => self.unsupported_block("module", &b, &[], file),
            }
        }
        if !has_source {
            if !source_seen {
                self.err(
                    Diagnostic::error("Missing required argument \"source\"")
                        .with_detail(format!("Every module block must set \"source\". Valid meta-arguments: {}.", MODULE_META.join(", ")))
                        .at(loc),
                );
            }
            return;
        }
        if let (Some(_), Some(f)) = (&call.count, &call.for_each) {
            self.err(
                Diagnostic::error("Invalid combination of \"count\" and \"for_each\"")
                    .with_detail("The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be set per module.")
                    .at(f.loc()),
            );
            return;
        }
        if let Some(first) = self.config.module_calls.iter().find(|c| c.name == name).map(|c| c.loc.clone()) {
            self.duplicate(&format!("module call \"{name}\""), loc, &first);
            return;
        }
        self.config.module_calls.push(call);
    }

    /// `providers = { aws = aws.west, aws.east = aws }`.
    fn providers_map(&mut self, e: &Expr) -> Vec<(String, String, SourceLoc)> {
        let bad = |loc: SourceLoc| {
            Diagnostic::error("Invalid providers argument")
                .with_detail("Write providers = { NAME = NAME.ALIAS, NAME.ALIAS = NAME }: provider references without quotes.")
                .at(loc)
        };
        let Expression::Object(o) = &e.expr else {
            self.err(bad(e.loc()));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in o.iter() {
            let key = match k {
                ObjectKey::Ident(id) => Some(id.as_str().to_string()),
                ObjectKey::Expression(ke) => static_path(ke).filter(|p| p.len() <= 2).map(|p| p.join(".")),
            };
            let value = static_path(v.expr()).filter(|p| !p.is_empty() && p.len() <= 2).map(|p| p.join("."));
            match (key, value) {
                (Some(k), Some(val)) => out.push((k, val, e.loc_of(v.expr()))),
                _ => self.err(bad(e.loc_of(v.expr()))),
            }
        }
        out
    }
}
/// Expands every module call of `config` (the root module, parsed from the
/// root's files) recursively, flattening the called modules into it.
/// `hint` is passed to the parser of module files.
pub fn expand(config: &mut Config, loader: &mut dyn ModuleLoader, hint: Option<Arc<crate::tfjson::BlockHint>>) -> Diagnostics {
    let mut ex = Expander { loader, hint, diags: Diagnostics::new(), calls: 0 };
    own_pass(config, ".");
    let calls = std::mem::take(&mut config.module_calls);
    let mut stack = vec![".".to_string()];
    for call in calls {
        ex.call(config, call, ".", &[], &mut stack);
    }
    expand_module_deps(config, &mut ex.diags);
    ex.diags
}

/// Parses a whole configuration from `(name, text)` pairs where root files
/// have plain names and module files their path relative to the root
/// (`modules/net/main.tf`), as `Config::sources` records them. A module
/// manifest among them (`.contin/modules/modules.json`,
/// `.terraform/modules/modules.json`) maps installed modules' keys to dirs.
pub fn parse_sources(files: &[(String, String)]) -> (Config, Diagnostics) {
    let root: Vec<(String, String)> = files.iter().filter(|(n, _)| !n.contains('/') && !n.contains('\\')).cloned().collect();
    let (mut config, mut diags) = crate::parse_files(&root);
    let mut loader = SourcesLoader::new(files);
    diags.extend(expand(&mut config, &mut loader, None));
    for (name, text) in files {
        if MANIFESTS.contains(&name.as_str()) {
            config.sources.add(name.clone(), text.clone());
        }
    }
    (config, diags)
}

/// Where installers record what they installed, highest precedence first.
pub const MANIFESTS: &[&str] = &[".contin/modules/modules.json", ".terraform/modules/modules.json"];

/// `Key` → `Dir` of a `modules.json` manifest (Terraform's format:
/// `{"Modules": [{"Key": "vpc", "Source": "…", "Dir": ".terraform/modules/vpc"}]}`).
pub fn parse_manifest(text: &str) -> Result<BTreeMap<String, String>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let mut out = BTreeMap::new();
    let Some(mods) = v.get("Modules").and_then(|m| m.as_array()) else {
        return Err("no \"Modules\" list".to_string());
    };
    for m in mods {
        let (Some(k), Some(d)) = (m.get("Key").and_then(|k| k.as_str()), m.get("Dir").and_then(|d| d.as_str())) else { continue };
        if !k.is_empty() {
            out.insert(k.to_string(), join_dir(".", d));
        }
    }
    Ok(out)
}

/// A [`ModuleLoader`] over recorded file texts (a plan file's sources).
pub struct SourcesLoader<'a> {
    files: &'a [(String, String)],
    installed: BTreeMap<String, String>,
}

impl<'a> SourcesLoader<'a> {
    pub fn new(files: &'a [(String, String)]) -> Self {
        let mut installed = BTreeMap::new();
        for m in MANIFESTS.iter().rev() {
            if let Some((_, text)) = files.iter().find(|(n, _)| n == m) {
                installed.extend(parse_manifest(text).unwrap_or_default());
            }
        }
        SourcesLoader { files, installed }
    }
}

impl ModuleLoader for SourcesLoader<'_> {
    fn files(&mut self, dir: &str) -> Result<Vec<(String, String)>, String> {
        let prefix = format!("{dir}/");
        let mut out: Vec<(String, String)> = self
            .files
            .iter()
            .filter_map(|(n, t)| n.strip_prefix(&prefix).filter(|b| !b.contains('/')).map(|b| (b.to_string(), t.clone())))
            .filter(|(n, _)| !n.ends_with(".json") || n.ends_with(".tf.json"))
            .collect();
        out.sort();
        if out.is_empty() {
            return Err(format!("no configuration files recorded for {dir}"));
        }
        Ok(out)
    }
    fn installed(&self, key: &str) -> Option<String> {
        self.installed.get(key).cloned()
    }
}

struct Expander<'l> {
    loader: &'l mut dyn ModuleLoader,
    hint: Option<Arc<crate::tfjson::BlockHint>>,
    diags: Diagnostics,
    calls: usize,
}

impl Expander<'_> {
    /// Loads, expands and merges one call of the module at `dir` (whose key
    /// path is `keys`) into `parent`.
    fn call(&mut self, parent: &mut Config, call: ModuleCall, dir: &str, keys: &[String], stack: &mut Vec<String>) {
        self.calls += 1;
        if self.calls > MAX_MODULE_CALLS {
            if self.calls == MAX_MODULE_CALLS + 1 {
                self.diags.push(
                    Diagnostic::error("Too many module calls")
                        .with_detail(format!("The configuration expands more than {MAX_MODULE_CALLS} module calls (limit MAX_MODULE_CALLS)."))
                        .at(call.loc.clone()),
                );
            }
            return;
        }
        let mut keys = keys.to_vec();
        keys.push(call.name.clone());
        let key = keys.join(".");
        let child_dir = if is_local_source(&call.source) {
            join_dir(dir, &call.source)
        } else {
            match self.loader.installed(&key) {
                Some(d) => d,
                None => {
                    self.diags.push(
                        Diagnostic::error("Module not installed")
                            .with_detail(format!(
                                "module \"{}\" has source \"{}\", which is not a local path (./ or ../) and is not installed: run `contin init` (or `terraform init`).",
                                call.name, call.source
                            ))
                            .at(call.source_loc.clone()),
                    );
                    return;
                }
            }
        };
        if stack.len() > MAX_MODULE_DEPTH {
            self.diags.push(
                Diagnostic::error("Module nesting too deep")
                    .with_detail(format!("module.{} is nested more than {MAX_MODULE_DEPTH} modules deep (limit MAX_MODULE_DEPTH).", keys.join(".module.")))
                    .at(call.loc.clone()),
            );
            return;
        }
        if stack.contains(&child_dir) {
            self.diags.push(
                Diagnostic::error("Module calls itself")
                    .with_detail(format!(
                        "module \"{}\" calls {child_dir}, which is already being expanded ({} → {child_dir}): a module cannot include itself.",
                        call.name,
                        stack.join(" → ")
                    ))
                    .at(call.source_loc.clone()),
            );
            return;
        }
        let files = match self.loader.files(&child_dir) {
            Ok(f) => f,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error("Unreadable module directory")
                        .with_detail(format!("module \"{}\" (source \"{}\"): {e}", call.name, call.source))
                        .at(call.source_loc.clone()),
                );
                return;
            }
        };
        let named: Vec<(String, String)> =
            files.into_iter().map(|(n, t)| (if child_dir == "." { n } else { format!("{child_dir}/{n}") }, t)).collect();
        let (mut child, child_diags) = crate::parse_files_with(&named, self.hint.clone());
        let failed = child_diags.has_errors();
        self.diags.extend(child_diags);
        if failed {
            return;
        }
        own_pass(&mut child, &child_dir);
        let calls = std::mem::take(&mut child.module_calls);
        stack.push(child_dir.clone());
        for c in calls {
            self.call(&mut child, c, &child_dir, &keys, stack);
        }
        stack.pop();
        expand_module_deps(&mut child, &mut self.diags);
        merge(parent, call, child, &child_dir, &mut self.diags);
    }
}

/// Scoped name of a module's local `name` under prefix `p` (`module.net.`).
fn scoped_local(p: &str, name: &str) -> String {
    if name.starts_with("module.") {
        format!("{p}{name}")
    } else {
        format!("{p}local.{name}")
    }
}

/// Merges expanded module `child`, called by `call`, into `parent`.
fn merge(parent: &mut Config, call: ModuleCall, mut child: Config, dir: &str, diags: &mut Diagnostics) {
    let path = format!("module.{}", call.name);
    let p = format!("{path}.");
    if let Some(e) = call.count.as_ref().or(call.for_each.as_ref()) {
        diags.push(
            Diagnostic::error("count and for_each on modules are not supported yet")
                .with_detail(format!("module \"{}\" sets count or for_each; contin expands each module once. Remove it or call the module once per instance.", call.name))
                .at(e.loc()),
        );
        return;
    }
    for pb in child.providers.values() {
        diags.push(
            Diagnostic::error("Provider configuration in a called module")
                .with_detail(format!(
                    "{dir} declares provider \"{}\"; contin configures providers only in the root module. Pass them with providers = {{ … }} in the module block (default configurations are inherited).",
                    pb.name
                ))
                .at(pb.loc.clone()),
        );
    }
    // Input variables.
    for (name, a) in &call.args {
        if !child.variables.contains_key(name) {
            diags.push(
                Diagnostic::error("Unsupported argument")
                    .with_detail(format!("An argument named \"{name}\" is not expected here: module \"{}\" ({dir}) declares no variable \"{name}\".", call.name))
                    .at(a.loc.clone()),
            );
        }
    }
    for (name, v) in std::mem::take(&mut child.variables) {
        let local = format!("{p}var.{name}");
        let e = match call.args.get(&name) {
            Some(a) => a.expr.clone(),
            None => match &v.default {
                Some(d) => d.clone(),
                None => {
                    diags.push(
                        Diagnostic::error("Missing required argument")
                            .with_detail(format!("The argument \"{name}\" is required by module \"{}\" ({dir}), but no definition was found.", call.name))
                            .at(call.loc.clone())
                            .with_related(format!("variable \"{name}\" declared here"), v.loc.clone()),
                    );
                    continue;
                }
            },
        };
        parent.locals.insert(local.clone(), Local { name: local.clone(), expr: e, loc: v.loc.clone() });
        parent.module_vars.insert(local, ModuleVar { variable: v, call_loc: call.loc.clone() });
    }
    for (name, mv) in std::mem::take(&mut child.module_vars) {
        parent.module_vars.insert(scoped_local(&p, &name), mv);
    }
    for (name, mut l) in std::mem::take(&mut child.locals) {
        rewrite_expr(&mut l.expr, &p);
        let n = scoped_local(&p, &name);
        l.name = n.clone();
        parent.locals.insert(n, l);
    }
    // Outputs: one object local `module.NAME`.
    let mut obj = Object::new();
    for (name, mut o) in std::mem::take(&mut child.outputs) {
        rewrite_expr(&mut o.value, &p);
        let mut value = o.value.expr;
        if o.sensitive {
            value = Expression::FuncCall(Box::new(FuncCall::new(FuncName::new(Ident::new_unchecked("sensitive")), FuncArgs::from(vec![value]))));
        }
        obj.insert(ObjectKey::Ident(Decorated::new(Ident::new_unchecked(name))), ObjectValue::new(value));
    }
    parent.locals.insert(
        path.clone(),
        Local { name: path.clone(), expr: Expr { expr: Expression::Object(obj), file: Arc::from(call.loc.file.as_str()) }, loc: call.loc.clone() },
    );
    // Resources.
    let providers: BTreeMap<&str, &str> = call.providers.iter().map(|(c, pk, _)| (c.as_str(), pk.as_str())).collect();
    for mut r in std::mem::take(&mut child.resources) {
        r.module = if r.module.is_empty() { path.clone() } else { format!("{path}.{}", r.module) };
        for e in r.count.iter_mut().chain(r.for_each.iter_mut()) {
            rewrite_expr(e, &p);
        }
        rewrite_body(&mut r.body, &p);
        for d in &mut r.depends_on {
            d.name = format!("{p}{}", d.name);
        }
        r.depends_on.extend(call.depends_on.iter().cloned());
        let implied = r.ty.split('_').next().unwrap_or(&r.ty).to_string();
        let key = r.provider.clone().unwrap_or(implied);
        match providers.get(key.as_str()) {
            Some(parent_key) => r.provider = Some(parent_key.to_string()),
            None if r.provider.as_deref().is_some_and(|k| k.contains('.')) => {
                diags.push(
                    Diagnostic::error("Provider configuration not present")
                        .with_detail(format!(
                            "{}.{} in module \"{}\" uses provider configuration \"{key}\", which the module block does not pass: add providers = {{ {key} = … }}.",
                            r.ty, r.name, call.name
                        ))
                        .at(r.loc.clone()),
                );
            }
            None => {}
        }
        parent.resources.push(r);
    }
    for (k, d) in std::mem::take(&mut child.modules) {
        parent.modules.insert(format!("{p}{k}"), d);
    }
    parent.modules.insert(path, dir.to_string());
    for (n, t) in std::mem::take(&mut child.sources.files) {
        parent.sources.add(n, t);
    }
}

/// Replaces `depends_on = [module.x]` in `config`'s resources by every
/// resource of module `x`.
fn expand_module_deps(config: &mut Config, diags: &mut Diagnostics) {
    let blocks: Vec<(String, ResourceMode, String, String)> =
        config.resources.iter().map(|r| (r.module.clone(), r.mode, r.ty.clone(), r.block_name())).collect();
    for r in &mut config.resources {
        if !r.depends_on.iter().any(|d| d.ty == "module" && d.mode == ResourceMode::Managed) {
            continue;
        }
        let mut out = Vec::new();
        for d in std::mem::take(&mut r.depends_on) {
            if d.ty != "module" || d.mode != ResourceMode::Managed {
                out.push(d);
                continue;
            }
            let target = format!("module.{}", d.name);
            if !config.modules.contains_key(&target) {
                diags.push(
                    Diagnostic::error("Reference to undeclared module")
                        .with_detail(format!("No module call named \"{}\" is declared here.", d.name))
                        .at(d.loc.clone()),
                );
                continue;
            }
            for (m, mode, ty, name) in &blocks {
                let within = m == &target || m.starts_with(&format!("{target}."));
                if within {
                    out.push(Reference { mode: *mode, ty: ty.clone(), name: name.clone(), loc: d.loc.clone() });
                }
            }
        }
        r.depends_on = out;
    }
    for o in config.outputs.values_mut() {
        o.depends_on.retain(|d| d.ty != "module");
    }
}

/// In a module's own expressions: `module.x…` → `local."module.x"…`, and
/// `path.module` → the module's directory.
fn own_pass(config: &mut Config, dir: &str) {
    let mut f = |e: &mut Expr| own_expr(&mut e.expr, dir, &mut Vec::new());
    for l in config.locals.values_mut() {
        f(&mut l.expr);
    }
    for o in config.outputs.values_mut() {
        f(&mut o.value);
    }
    for r in &mut config.resources {
        for e in r.count.iter_mut().chain(r.for_each.iter_mut()) {
            f(e);
        }
        body_each(&mut r.body, &mut f);
    }
    for c in &mut config.module_calls {
        for e in c.count.iter_mut().chain(c.for_each.iter_mut()) {
            f(e);
        }
        for a in c.args.values_mut() {
            f(&mut a.expr);
        }
    }
    for pb in config.providers.values_mut() {
        body_each(&mut pb.body, &mut f);
    }
}

fn body_each(body: &mut Body, f: &mut dyn FnMut(&mut Expr)) {
    for a in body.attributes.values_mut() {
        f(&mut a.expr);
    }
    for b in &mut body.blocks {
        body_each(&mut b.body, f);
    }
}

fn rewrite_body(body: &mut Body, p: &str) {
    body_each(body, &mut |e| rewrite_expr(e, p));
}

fn rewrite_expr(e: &mut Expr, p: &str) {
    walk(&mut e.expr, &mut Vec::new(), &mut |t, bound| rename(t, p, bound));
}

fn own_expr(e: &mut Expression, dir: &str, bound: &mut Vec<String>) {
    walk(e, bound, &mut |t, _| {
        let Expression::Traversal(tr) = t else { return };
        let Expression::Variable(root) = &tr.expr else { return };
        match root.as_str() {
            "module" => {
                if let Some(TraversalOperator::GetAttr(m)) = tr.operators.first().map(|o| o.value()) {
                    let name = format!("module.{}", m.as_str());
                    set_root(tr, "local", 0, name);
                }
            }
            "path" if tr.operators.len() == 1 => {
                if matches!(tr.operators[0].value(), TraversalOperator::GetAttr(a) if a.as_str() == "module") {
                    *t = Expression::String(Decorated::new(dir.to_string()));
                }
            }
            _ => {}
        }
    });
}

/// Replaces the root of `tr` with `root` and its `i`-th operator (a GetAttr)
/// with `attr`, keeping their source spans.
fn set_root(tr: &mut hcl_edit::expr::Traversal, root: &str, i: usize, attr: String) {
    if let Expression::Variable(v) = &mut tr.expr {
        *v.value_mut() = Ident::new_unchecked(root);
    }
    if let Some(op) = tr.operators.get_mut(i) {
        if let TraversalOperator::GetAttr(id) = op.value_mut() {
            *id.value_mut() = Ident::new_unchecked(attr);
        }
    }
}

fn get_attr(tr: &hcl_edit::expr::Traversal, i: usize) -> Option<String> {
    match tr.operators.get(i).map(|o| o.value()) {
        Some(TraversalOperator::GetAttr(id)) => Some(id.as_str().to_string()),
        _ => None,
    }
}

/// The merge-pass rename of one traversal (see the module comment).
fn rename(t: &mut Expression, p: &str, _bound: &[String]) {
    let Expression::Traversal(tr) = t else { return };
    let Expression::Variable(root) = &tr.expr else { return };
    let root = root.as_str().to_string();
    match root.as_str() {
        "var" => {
            if let Some(x) = get_attr(tr, 0) {
                set_root(tr, "local", 0, format!("{p}var.{x}"));
            }
        }
        "local" => {
            if let Some(x) = get_attr(tr, 0) {
                set_root(tr, "local", 0, scoped_local(p, &x));
            }
        }
        "data" => {
            if let Some(n) = get_attr(tr, 1) {
                set_root(tr, "data", 1, format!("{p}{n}"));
            }
        }
        "count" | "each" | "path" | "terraform" | "self" | "module" => {}
        ty => {
            if let Some(n) = get_attr(tr, 0) {
                let ty = ty.to_string();
                set_root(tr, &ty, 0, format!("{p}{n}"));
            }
        }
    }
}

/// Calls `f` on every traversal whose root is a free variable (not bound by
/// a `for`), and recurses everywhere else.
fn walk(e: &mut Expression, bound: &mut Vec<String>, f: &mut dyn FnMut(&mut Expression, &[String])) {
    match e {
        Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) | Expression::Variable(_) => {}
        Expression::Array(a) => a.iter_mut().for_each(|x| walk(x, bound, f)),
        Expression::Object(o) => {
            // Keys cannot be edited in place (hcl-edit): a computed key
            // `(var.x) = …` inside a called module is not rewritten.
            for (_, v) in o.iter_mut() {
                walk(v.expr_mut(), bound, f);
            }
        }
        Expression::StringTemplate(t) => walk_template(t, bound, f),
        Expression::HeredocTemplate(h) => walk_template(&mut h.template, bound, f),
        Expression::Parenthesis(p) => walk(p.inner_mut(), bound, f),
        Expression::Conditional(c) => {
            walk(&mut c.cond_expr, bound, f);
            walk(&mut c.true_expr, bound, f);
            walk(&mut c.false_expr, bound, f);
        }
        Expression::FuncCall(fc) => fc.args.iter_mut().for_each(|x| walk(x, bound, f)),
        Expression::Traversal(t) => {
            for op in t.operators.iter_mut() {
                if let TraversalOperator::Index(ix) = op.value_mut() {
                    walk(ix, bound, f);
                }
            }
            let free = matches!(&t.expr, Expression::Variable(id) if !bound.iter().any(|b| b == id.as_str()));
            if free {
                f(e, bound);
            } else {
                walk(&mut t.expr, bound, f);
            }
        }
        Expression::UnaryOp(u) => walk(&mut u.expr, bound, f),
        Expression::BinaryOp(b) => {
            walk(&mut b.lhs_expr, bound, f);
            walk(&mut b.rhs_expr, bound, f);
        }
        Expression::ForExpr(fe) => {
            walk(&mut fe.intro.collection_expr, bound, f);
            let n = bound.len();
            if let Some(k) = &fe.intro.key_var {
                bound.push(k.as_str().to_string());
            }
            bound.push(fe.intro.value_var.as_str().to_string());
            if let Some(k) = &mut fe.key_expr {
                walk(k, bound, f);
            }
            walk(&mut fe.value_expr, bound, f);
            if let Some(c) = &mut fe.cond {
                walk(&mut c.expr, bound, f);
            }
            bound.truncate(n);
        }
    }
}

fn walk_template(t: &mut Template, bound: &mut Vec<String>, f: &mut dyn FnMut(&mut Expression, &[String])) {
    for el in t.iter_mut() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk(&mut i.expr, bound, f),
            Element::Directive(d) => match d.as_mut() {
                Directive::If(d) => {
                    walk(&mut d.if_expr.cond_expr, bound, f);
                    walk_template(&mut d.if_expr.template, bound, f);
                    if let Some(e) = &mut d.else_expr {
                        walk_template(&mut e.template, bound, f);
                    }
                }
                Directive::For(d) => {
                    walk(&mut d.for_expr.collection_expr, bound, f);
                    let n = bound.len();
                    if let Some(k) = &d.for_expr.key_var {
                        bound.push(k.as_str().to_string());
                    }
                    bound.push(d.for_expr.value_var.as_str().to_string());
                    walk_template(&mut d.for_expr.template, bound, f);
                    bound.truncate(n);
                }
            },
        }
    }
}

#[cfg(test)]
#[path = "modules_tests.rs"]
mod tests;
