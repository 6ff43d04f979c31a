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
use contin_types::{Diagnostic, Diagnostics, InstanceKey, ResourceMode, SourceLoc};
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
/// One instance of a module call with `count` / `for_each`: its key and,
/// for `for_each`, `each.value` as JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleInstance {
    pub key: InstanceKey,
    pub each_value: Option<serde_json::Value>,
}

/// Decides the instances of a module call from its `count` (`true`) or
/// `for_each` expression, written in the flattened root namespace, given the
/// configuration flattened so far (the caller evaluates: no eval here).
pub type InstanceKeys<'a> = dyn FnMut(&Config, &Expr, bool) -> Result<Vec<ModuleInstance>, Diagnostics> + 'a;

/// Expands every module call of `config` (the root module, parsed from the
/// root's files), top-down, flattening the called modules into it.
/// `hint` is passed to the parser of module files; `keys` expands
/// `count`/`for_each` on module calls.
pub fn expand(
    config: &mut Config,
    loader: &mut dyn ModuleLoader,
    hint: Option<Arc<crate::tfjson::BlockHint>>,
    keys: &mut InstanceKeys<'_>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    own_pass(config, ".");
    let mut queue: std::collections::VecDeque<Pending> = std::mem::take(&mut config.module_calls)
        .into_iter()
        .map(|call| Pending { call, parent: String::new(), dir: ".".to_string(), keys: Vec::new(), stack: vec![".".to_string()] })
        .collect();
    let mut instances = 0usize;
    while let Some(pd) = queue.pop_front() {
        let Some((child_dir, child)) = load(&pd, loader, hint.clone(), &mut diags) else { continue };
        let base = if pd.parent.is_empty() { format!("module.{}", pd.call.name) } else { format!("{}.module.{}", pd.parent, pd.call.name) };
        let expansion = match (&pd.call.count, &pd.call.for_each) {
            (Some(e), _) => Some((keys(config, e, true), true)),
            (_, Some(e)) => Some((keys(config, e, false), false)),
            _ => None,
        };
        let list = match expansion {
            None => vec![ModuleInstance { key: InstanceKey::None, each_value: None }],
            Some((Ok(list), _)) => list,
            Some((Err(d), _)) => {
                diags.extend(d);
                continue;
            }
        };
        instances += list.len();
        if instances > MAX_MODULE_CALLS {
            diags.push(
                Diagnostic::error("Too many module instances")
                    .with_detail(format!("The configuration expands more than {MAX_MODULE_CALLS} module instances (limit MAX_MODULE_CALLS)."))
                    .at(pd.call.loc.clone()),
            );
            break;
        }
        let mut aggregate: Vec<(InstanceKey, String)> = Vec::new();
        for inst in &list {
            let path = format!("{base}{}", inst.key);
            let mut call = pd.call.clone();
            substitute_repetition(&mut call, inst);
            let nested = merge(config, &call, child.clone(), &path, &child_dir, &mut diags);
            let mut keys_path = pd.keys.clone();
            keys_path.push(pd.call.name.clone());
            let mut stack = pd.stack.clone();
            stack.push(child_dir.clone());
            for c in nested {
                queue.push_back(Pending { call: c, parent: path.clone(), dir: child_dir.clone(), keys: keys_path.clone(), stack: stack.clone() });
            }
            aggregate.push((inst.key.clone(), path));
        }
        if pd.call.count.is_some() || pd.call.for_each.is_some() {
            let file: Arc<str> = Arc::from(pd.call.loc.file.as_str());
            let e = if pd.call.count.is_some() {
                Expression::Array(hcl_edit::expr::Array::from(aggregate.iter().map(|(_, p)| local_ref(p)).collect::<Vec<_>>()))
            } else {
                let mut o = Object::new();
                for (k, p) in &aggregate {
                    if let InstanceKey::Str(k) = k {
                        o.insert(ObjectKey::Expression(Expression::String(Decorated::new(k.clone()))), ObjectValue::new(local_ref(p)));
                    }
                }
                Expression::Object(o)
            };
            config.locals.insert(base.clone(), Local { name: base.clone(), expr: Expr { expr: e, file }, loc: pd.call.loc.clone() });
        }
        config.modules.insert(base, child_dir);
    }
    expand_module_deps(config, &mut diags);
    diags
}

/// `local."NAME"`.
fn local_ref(name: &str) -> Expression {
    Expression::Traversal(Box::new(hcl_edit::expr::Traversal::new(
        Expression::Variable(Decorated::new(Ident::new_unchecked("local"))),
        vec![Decorated::new(TraversalOperator::GetAttr(Decorated::new(Ident::new_unchecked(name))))],
    )))
}

/// In a module call's arguments: `count.index`, `each.key` and `each.value`
/// of the instance being expanded become literals.
fn substitute_repetition(call: &mut ModuleCall, inst: &ModuleInstance) {
    if inst.key == InstanceKey::None {
        return;
    }
    for a in call.args.values_mut() {
        walk(&mut a.expr.expr, &mut Vec::new(), &mut |t, _| {
            let Expression::Traversal(tr) = t else { return };
            let Expression::Variable(root) = &tr.expr else { return };
            let root = root.as_str().to_string();
            let attr = get_attr(tr, 0);
            let lit = match (root.as_str(), attr.as_deref(), &inst.key) {
                ("count", Some("index"), InstanceKey::Int(i)) => Expression::from(*i),
                ("each", Some("key"), InstanceKey::Str(k)) => Expression::String(Decorated::new(k.clone())),
                ("each", Some("value"), _) => {
                    let json = inst.each_value.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "null".to_string());
                    Expression::FuncCall(Box::new(FuncCall::new(
                        FuncName::new(Ident::new_unchecked("jsondecode")),
                        FuncArgs::from(vec![Expression::String(Decorated::new(json))]),
                    )))
                }
                _ => return,
            };
            let rest: Vec<_> = tr.operators.drain(1..).collect();
            *t = if rest.is_empty() { lit } else { Expression::Traversal(Box::new(hcl_edit::expr::Traversal::new(Expression::Parenthesis(Box::new(hcl_edit::expr::Parenthesis::new(lit))), rest))) };
        });
    }
}

struct Pending {
    call: ModuleCall,
    /// The calling module instance's path (`""` for the root).
    parent: String,
    /// The calling module's directory.
    dir: String,
    /// Module key path (call names) of the caller, for installed modules.
    keys: Vec<String>,
    /// Directories being expanded above this call (cycle detection).
    stack: Vec<String>,
}

/// Finds, reads and parses the module a call names (its own pass done).
fn load(pd: &Pending, loader: &mut dyn ModuleLoader, hint: Option<Arc<crate::tfjson::BlockHint>>, diags: &mut Diagnostics) -> Option<(String, Config)> {
    let call = &pd.call;
    let mut keys = pd.keys.clone();
    keys.push(call.name.clone());
    let key = keys.join(".");
    let child_dir = if is_local_source(&call.source) {
        join_dir(&pd.dir, &call.source)
    } else {
        match loader.installed(&key) {
            Some(d) => d,
            None => {
                diags.push(
                    Diagnostic::error("Module not installed")
                        .with_detail(format!(
                            "module \"{}\" has source \"{}\", which is not a local path (./ or ../) and is not installed: run `contin init` (or `terraform init`).",
                            call.name, call.source
                        ))
                        .at(call.source_loc.clone()),
                );
                return None;
            }
        }
    };
    if pd.stack.len() > MAX_MODULE_DEPTH {
        diags.push(
            Diagnostic::error("Module nesting too deep")
                .with_detail(format!("module.{} is nested more than {MAX_MODULE_DEPTH} modules deep (limit MAX_MODULE_DEPTH).", keys.join(".module.")))
                .at(call.loc.clone()),
        );
        return None;
    }
    if pd.stack.contains(&child_dir) {
        diags.push(
            Diagnostic::error("Module calls itself")
                .with_detail(format!(
                    "module \"{}\" calls {child_dir}, which is already being expanded ({} → {child_dir}): a module cannot include itself.",
                    call.name,
                    pd.stack.join(" → ")
                ))
                .at(call.source_loc.clone()),
        );
        return None;
    }
    let files = match loader.files(&child_dir) {
        Ok(f) => f,
        Err(e) => {
            diags.push(
                Diagnostic::error("Unreadable module directory")
                    .with_detail(format!("module \"{}\" (source \"{}\"): {e}", call.name, call.source))
                    .at(call.source_loc.clone()),
            );
            return None;
        }
    };
    let named: Vec<(String, String)> =
        files.into_iter().map(|(n, t)| (if child_dir == "." { n } else { format!("{child_dir}/{n}") }, t)).collect();
    let (mut child, child_diags) = crate::parse_files_with(&named, hint);
    let failed = child_diags.has_errors();
    diags.extend(child_diags);
    if failed {
        return None;
    }
    own_pass(&mut child, &child_dir);
    Some((child_dir, child))
}

/// Parses a whole configuration from `(name, text)` pairs where root files
/// have plain names and module files their path relative to the root
/// (`modules/net/main.tf`), as `Config::sources` records them. A module
/// manifest among them (`.contin/modules/modules.json`,
/// `.terraform/modules/modules.json`) maps installed modules' keys to dirs.
pub fn parse_sources(files: &[(String, String)], keys: &mut InstanceKeys<'_>) -> (Config, Diagnostics) {
    let root: Vec<(String, String)> = files.iter().filter(|(n, _)| !n.contains('/') && !n.contains('\\')).cloned().collect();
    let (mut config, mut diags) = crate::parse_files(&root);
    let mut loader = SourcesLoader::new(files);
    if !diags.has_errors() && !config.module_calls.is_empty() {
        diags.extend(expand(&mut config, &mut loader, None, keys));
    }
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

/// Scoped name of a module's local `name` under prefix `p` (`module.net.`).
fn scoped_local(p: &str, name: &str) -> String {
    if name.starts_with("module.") {
        format!("{p}{name}")
    } else {
        format!("{p}local.{name}")
    }
}

/// Merges expanded module `child`, called by `call`, into `parent`.
fn merge(parent: &mut Config, call: &ModuleCall, mut child: Config, path: &str, dir: &str, diags: &mut Diagnostics) -> Vec<ModuleCall> {
    let p = format!("{path}.");
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
        path.to_string(),
        Local { name: path.to_string(), expr: Expr { expr: Expression::Object(obj), file: Arc::from(call.loc.file.as_str()) }, loc: call.loc.clone() },
    );
    // Resources.
    let providers: BTreeMap<&str, &str> = call.providers.iter().map(|(c, pk, _)| (c.as_str(), pk.as_str())).collect();
    for mut r in std::mem::take(&mut child.resources) {
        r.module = if r.module.is_empty() { path.to_string() } else { format!("{path}.{}", r.module) };
        for e in r.count.iter_mut().chain(r.for_each.iter_mut()) {
            rewrite_expr(e, &p);
        }
        rewrite_body(&mut r.body, &p);
        rewrite_lifecycle(&mut r.lifecycle, &p);
        crate::provisioners::provisioner_exprs(&mut r, &mut |e| rewrite_expr(e, &p));
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
    for (n, t) in std::mem::take(&mut child.sources.files) {
        parent.sources.add(n, t);
    }
    // Nested calls, rewritten into the root namespace; expanded by the caller.
    let mut nested = std::mem::take(&mut child.module_calls);
    for c in &mut nested {
        for e in c.count.iter_mut().chain(c.for_each.iter_mut()) {
            rewrite_expr(e, &p);
        }
        for a in c.args.values_mut() {
            rewrite_expr(&mut a.expr, &p);
        }
        for d in &mut c.depends_on {
            d.name = format!("{p}{}", d.name);
        }
        c.depends_on.extend(call.depends_on.iter().cloned());
        for (_, parent_key, loc) in &mut c.providers {
            let implied = parent_key.split('.').next().unwrap_or(parent_key).to_string();
            match providers.get(parent_key.as_str()) {
                Some(k) => *parent_key = k.to_string(),
                None if parent_key.contains('.') => diags.push(
                    Diagnostic::error("Provider configuration not present")
                        .with_detail(format!("module \"{}\" passes provider configuration \"{parent_key}\", which module \"{}\" does not receive: add it to that module block's providers.", c.name, call.name))
                        .at(loc.clone()),
                ),
                None => *parent_key = implied,
            }
        }
        // Default (unaliased) configurations the nested call does not map
        // explicitly still follow this call's mapping.
        for (child_key, parent_key) in &providers {
            if !child_key.contains('.') && !c.providers.iter().any(|(k, _, _)| k == child_key) {
                c.providers.push((child_key.to_string(), parent_key.to_string(), call.loc.clone()));
            }
        }
    }
    nested
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
            let target = d.name.clone();
            let known = config.modules.contains_key(&target) || blocks.iter().any(|(m, ..)| within(m, &target));
            if !known {
                diags.push(
                    Diagnostic::error("Reference to undeclared module")
                        .with_detail(format!("No module call named \"{}\" is declared here.", d.name))
                        .at(d.loc.clone()),
                );
                continue;
            }
            for (m, mode, ty, name) in &blocks {
                if within(m, &target) {
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

/// True when module instance path `m` is `target`, one of its instances
/// (`target[0]`) or below either.
fn within(m: &str, target: &str) -> bool {
    m.strip_prefix(target).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// A root-module expression written outside the files (`contin console`):
/// rewritten as the root's own expressions are (`module.x…` reads the
/// module's outputs, `path.module` is `.`).
pub fn rewrite_root_expr(e: &mut Expr) {
    own_expr(&mut e.expr, ".", &mut Vec::new());
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
        crate::provisioners::provisioner_exprs(r, &mut f);
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
    // `depends_on = [module.x]` names the module path (`module.x`).
    let deps = config.resources.iter_mut().map(|r| &mut r.depends_on).chain(config.module_calls.iter_mut().map(|c| &mut c.depends_on));
    for list in deps {
        for d in list.iter_mut().filter(|d| d.ty == "module") {
            d.name = format!("module.{}", d.name);
        }
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

/// Rewrites every expression of a body; the iterator of a `dynamic` block
/// is bound inside its `labels` and `content` (not a resource reference).
fn rewrite_body(body: &mut Body, p: &str) {
    rewrite_body_bound(body, p, &mut Vec::new(), 0);
}

fn rewrite_body_bound(body: &mut Body, p: &str, bound: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    for a in body.attributes.values_mut() {
        walk(&mut a.expr.expr, bound, &mut |t, b| rename(t, p, b));
    }
    for b in &mut body.blocks {
        if b.ty != "dynamic" {
            rewrite_body_bound(&mut b.body, p, bound, depth + 1);
            continue;
        }
        let n = bound.len();
        if let Some(fe) = b.body.attributes.get_mut("for_each") {
            walk(&mut fe.expr.expr, bound, &mut |t, b| rename(t, p, b));
        }
        let iterator = match b.body.attributes.get("iterator").map(|a| &a.expr.expr) {
            Some(Expression::Variable(v)) => v.as_str().to_string(),
            Some(Expression::String(s)) => s.value().clone(),
            _ => b.labels.first().cloned().unwrap_or_default(),
        };
        bound.push(iterator);
        if let Some(l) = b.body.attributes.get_mut("labels") {
            walk(&mut l.expr.expr, bound, &mut |t, b| rename(t, p, b));
        }
        for c in b.body.blocks.iter_mut().filter(|c| c.ty == "content") {
            rewrite_body_bound(&mut c.body, p, bound, depth + 1);
        }
        bound.truncate(n);
    }
}

/// Rewrites a resource's lifecycle conditions and `replace_triggered_by`.
fn rewrite_lifecycle(lc: &mut Lifecycle, p: &str) {
    for c in lc.preconditions.iter_mut().chain(lc.postconditions.iter_mut()) {
        rewrite_expr(&mut c.condition, p);
        rewrite_expr(&mut c.error_message, p);
    }
    for e in &mut lc.replace_triggered_by {
        rewrite_expr(e, p);
    }
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
pub(crate) fn walk(e: &mut Expression, bound: &mut Vec<String>, f: &mut dyn FnMut(&mut Expression, &[String])) {
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
