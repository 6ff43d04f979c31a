//! Human-readable plan rendering in the style of `terraform plan`: drift,
//! per-resource attribute diffs, output changes and the summary line.
//!
//! Invariant: a value under a `Sensitive` mark is never written — not its
//! text, not its length, not its shape; only `(sensitive value)`.

use crate::plan::{Action, ChangeReason, OutputChange, Plan, ResourceChange, ResourceDrift};
use contin_types::value::{PathStep, ValuePath};
use contin_types::{InstanceKey, ResourceAddr, ResourceMode, Value};
use std::collections::BTreeSet;

/// Terraform-style horizontal rule printed after the drift section.
const RULE: &str = "─────────────────────────────────────────────────────────────────────────────";

/// Lists larger than this (in `len(before) * len(after)`) are compared index
/// by index instead of by longest common subsequence.
const LCS_LIMIT: usize = 250_000;

/// `(to add, to change, to destroy)` like Terraform's summary line: a
/// replacement counts once in "add" and once in "destroy"; reads are not counted.
pub fn summary_counts(plan: &Plan) -> (usize, usize, usize) {
    let (mut add, mut change, mut destroy) = (0, 0, 0);
    for c in &plan.changes {
        match c.action {
            Action::Create => add += 1,
            Action::Update => change += 1,
            Action::Replace => {
                add += 1;
                destroy += 1
            }
            Action::Delete if c.addr.mode == contin_types::ResourceMode::Data => {}
            Action::Delete => destroy += 1,
            Action::NoOp | Action::Read => {}
        }
    }
    // Each deposed object is one more destroy (Terraform alike).
    destroy += plan.deposed.len();
    (add, change, destroy)
}

/// The ID an `import` block imports `addr` from, if it does.
fn import_id<'p>(plan: &'p Plan, addr: &ResourceAddr) -> Option<&'p str> {
    plan.language.imports.iter().find(|i| &i.addr == addr).map(|i| i.id.as_str())
}

/// Renders the plan like `terraform plan`. `color` adds ANSI colours on the
/// action symbols (the caller decides: TTY, `NO_COLOR`).
pub fn render_plan(plan: &Plan, color: bool) -> String {
    let imported = plan.language.imports.iter().map(|i| (i.addr.clone(), i.id.clone())).collect();
    let mut r = Renderer { out: String::new(), color, moved: plan.language.moved.clone(), imported };
    for u in &plan.unreachable {
        r.out.push_str(&format!(
            "Warning: {} is unreachable ({}); its recorded state was kept and drift was not checked.\n\n",
            u.addr, u.reason
        ));
    }
    if !plan.drift.is_empty() {
        r.drift_section(plan);
    }
    // An instance's own change, then its deposed objects' destroys (by key).
    // A moved instance is shown even without changes ("has moved to").
    let mut changes: Vec<(&ResourceChange, Option<&str>)> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || plan.language.moved_from(&c.addr).is_some() || import_id(plan, &c.addr).is_some())
        .map(|c| (c, None))
        .collect();
    changes.extend(plan.deposed.iter().map(|d| (&d.change, Some(d.key.as_str()))));
    changes.sort_by(|a, b| a.0.addr.cmp(&b.0.addr).then_with(|| a.1.cmp(&b.1)));
    let outputs: Vec<(&String, &OutputChange)> =
        plan.outputs.iter().filter(|(_, o)| o.action != Action::NoOp).collect();

    let forgotten = &plan.language.forgotten;
    if changes.is_empty() && outputs.is_empty() && forgotten.is_empty() {
        r.out.push_str("No changes. Your infrastructure matches the configuration.\n\n");
        r.out.push_str("contin has compared your real infrastructure against your configuration\n");
        r.out.push_str("and found no differences, so no changes are needed.\n");
        return r.out;
    }
    if !changes.is_empty() || !forgotten.is_empty() {
        let plain: Vec<&ResourceChange> = changes.iter().map(|(c, _)| *c).collect();
        r.legend(&plain);
        r.out.push_str("contin will perform the following actions:\n\n");
        for (c, deposed) in &changes {
            match plan.language.moved_from(&c.addr).filter(|_| deposed.is_none()) {
                Some(from) if c.action == Action::NoOp => r.moved_only(c, from),
                _ if c.action == Action::NoOp && deposed.is_none() && import_id(plan, &c.addr).is_some() => r.imported_only(c),
                _ => r.resource_change(c, *deposed),
            }
            r.out.push('\n');
        }
        for a in forgotten {
            r.out.push_str(&format!(" # {a} will no longer be managed by contin, but will not be destroyed\n"));
            r.out.push_str(" # (destroy = false is set in the configuration)\n\n");
        }
        let (add, change, destroy) = summary_counts(plan);
        let imports = match plan.language.imports.len() {
            0 => String::new(),
            n => format!("{n} to import, "),
        };
        r.out.push_str(&format!("Plan: {imports}{add} to add, {change} to change, {destroy} to destroy.\n"));
        if !forgotten.is_empty() {
            r.out.push_str("\nWarning: Some objects will no longer be managed by contin\n\n");
            r.out.push_str("If you apply this plan, contin will discard its tracking information for\n");
            r.out.push_str("the following objects, but it will not delete them:\n");
            for a in forgotten {
                r.out.push_str(&format!(" - {a}\n"));
            }
            r.out.push_str("\nAfter applying this plan, contin will no longer manage these objects. You\n");
            r.out.push_str("will need to import them into contin to manage them again.\n");
        }
    }
    if !outputs.is_empty() {
        if !changes.is_empty() {
            r.out.push('\n');
        }
        r.out.push_str("Changes to Outputs:\n");
        for (name, o) in &outputs {
            r.output_change(name, o);
        }
        if changes.is_empty() {
            r.out.push_str("\nYou can apply this plan to save these new output values to the contin\n");
            r.out.push_str("state, without changing any real infrastructure.\n");
        }
    }
    r.out
}

/// The symbol in front of a line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sym {
    Create,
    Update,
    Delete,
    /// Unchanged context, and closing braces: a blank column.
    None,
}

struct Renderer {
    out: String,
    color: bool,
    /// `moved` statements' (from, to) instance addresses.
    moved: Vec<(ResourceAddr, ResourceAddr)>,
    /// `import` blocks' (address, id).
    imported: Vec<(ResourceAddr, String)>,
}

/// How the body of a resource (or a drifted resource) is shown.
enum Body<'a> {
    Create(&'a Value),
    Delete(&'a Value),
    Update(&'a Value, &'a Value),
}

impl Renderer {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn sym(&self, s: Sym) -> String {
        match s {
            Sym::Create => self.paint("32", "+"),
            Sym::Update => self.paint("33", "~"),
            Sym::Delete => self.paint("31", "-"),
            Sym::None => " ".to_string(),
        }
    }

    /// The three-column action marker in front of `resource "T" "N" {`.
    fn header_sym(&self, c: &ResourceChange) -> String {
        match c.action {
            Action::Create => format!("  {}", self.sym(Sym::Create)),
            Action::Update => format!("  {}", self.sym(Sym::Update)),
            Action::Delete => format!("  {}", self.sym(Sym::Delete)),
            Action::Read => format!(" {}", self.paint("36", "<=")),
            Action::Replace if c.create_before_destroy => {
                format!("{}/{}", self.paint("32", "+"), self.paint("31", "-"))
            }
            Action::Replace => format!("{}/{}", self.paint("31", "-"), self.paint("32", "+")),
            Action::NoOp => "   ".to_string(),
        }
    }

    fn line(&mut self, indent: usize, sym: Sym, text: &str) {
        let s = self.sym(sym);
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.out.push_str(&s);
        self.out.push(' ');
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn legend(&mut self, changes: &[&ResourceChange]) {
        let has = |f: &dyn Fn(&ResourceChange) -> bool| changes.iter().any(|c| f(c));
        self.out.push_str("contin used the selected providers to generate the following execution\n");
        self.out.push_str("plan. Resource actions are indicated with the following symbols:\n");
        let entries: [(bool, String, &str); 6] = [
            (has(&|c| c.action == Action::Create), format!("  {}", self.sym(Sym::Create)), "create"),
            (has(&|c| c.action == Action::Update), format!("  {}", self.sym(Sym::Update)), "update in-place"),
            (has(&|c| c.action == Action::Delete), format!("  {}", self.sym(Sym::Delete)), "destroy"),
            (
                has(&|c| c.action == Action::Replace && !c.create_before_destroy),
                format!("{}/{}", self.paint("31", "-"), self.paint("32", "+")),
                "destroy and then create replacement",
            ),
            (
                has(&|c| c.action == Action::Replace && c.create_before_destroy),
                format!("{}/{}", self.paint("32", "+"), self.paint("31", "-")),
                "create replacement and then destroy",
            ),
            (has(&|c| c.action == Action::Read), format!(" {}", self.paint("36", "<=")), "read (data resources)"),
        ];
        for (present, sym, text) in entries {
            if present {
                self.out.push_str(&format!("{sym} {text}\n"));
            }
        }
        self.out.push('\n');
    }

    fn drift_section(&mut self, plan: &Plan) {
        self.out.push_str("Note: Objects have changed outside of contin\n\n");
        self.out.push_str("contin detected the following changes made outside of contin since the\n");
        self.out.push_str("last \"contin apply\" which may have affected this plan:\n\n");
        let mut drift: Vec<&ResourceDrift> = plan.drift.iter().collect();
        drift.sort_by(|a, b| a.addr.cmp(&b.addr));
        for d in drift {
            match &d.current {
                Some(current) => {
                    self.out.push_str(&format!("  # {} has changed\n", d.addr));
                    let head = format!("  {}", self.sym(Sym::Update));
                    self.resource_body(&head, &d.addr, Body::Update(&d.recorded, current), &[]);
                }
                None => {
                    self.out.push_str(&format!("  # {} has been deleted\n", d.addr));
                    let head = format!("  {}", self.sym(Sym::Delete));
                    self.resource_body(&head, &d.addr, Body::Delete(&d.recorded), &[]);
                }
            }
            self.out.push('\n');
        }
        self.out.push_str("Unless you have made equivalent changes to your configuration, or ignored the\n");
        self.out.push_str("relevant attributes using ignore_changes, the following plan may include\n");
        self.out.push_str("actions to undo or respond to these changes.\n\n");
        self.out.push_str(RULE);
        self.out.push_str("\n\n");
    }

    /// An object imported without changes: `# ADDR will be imported`.
    fn imported_only(&mut self, c: &ResourceChange) {
        self.out.push_str(&format!("  # {} will be imported\n", c.addr));
        let empty = Value::Map(Default::default());
        let v = c.after.as_ref().or(c.before.as_ref()).unwrap_or(&empty);
        self.resource_body("   ", &c.addr, Body::Update(v, v), &[]);
    }

    /// An instance that only moved: `# FROM has moved to TO`, its value unchanged.
    fn moved_only(&mut self, c: &ResourceChange, from: &ResourceAddr) {
        self.out.push_str(&format!("  # {from} has moved to {}\n", c.addr));
        let empty = Value::Map(Default::default());
        let v = c.after.as_ref().or(c.before.as_ref()).unwrap_or(&empty);
        self.resource_body("   ", &c.addr, Body::Update(v, v), &[]);
    }

    /// One change; `deposed` names the deposed object it destroys.
    fn resource_change(&mut self, c: &ResourceChange, deposed: Option<&str>) {
        let addr = &c.addr;
        let shown = match deposed {
            Some(key) => crate::plan::deposed_display(addr, key),
            None => addr.to_string(),
        };
        let headline = match (c.action, &c.reason) {
            (Action::Create, Some(ChangeReason::Tainted)) => "will be created (an interrupted create is adopted if it went through)".to_string(),
            (Action::Create, _) => "will be created".to_string(),
            (Action::Update, _) => "will be updated in-place".to_string(),
            (Action::Replace, Some(ChangeReason::Tainted)) => "is tainted, so must be replaced".to_string(),
            (Action::Replace, Some(ChangeReason::ReplaceTriggered)) => "will be replaced due to changes in replace_triggered_by".to_string(),
            (Action::Replace, _) => "must be replaced".to_string(),
            (Action::Delete, _) => "will be destroyed".to_string(),
            (Action::Read, _) => "will be read during apply".to_string(),
            (Action::NoOp, _) => "has no changes".to_string(),
        };
        self.out.push_str(&format!("  # {shown} {headline}\n"));
        if deposed.is_some() {
            self.out.push_str("  # (left over from a partially-failed replacement of this instance)\n");
        } else if let Some(from) = self.moved.iter().find(|(_, to)| to == addr).map(|(f, _)| f.clone()) {
            self.out.push_str(&format!("  # (moved from {from})\n"));
        } else if let Some(id) = self.imported.iter().find(|(a, _)| a == addr).map(|(_, id)| id.clone()) {
            self.out.push_str(&format!("  # (imported from {})\n", quote(&id)));
        } else if let Some(reason) = reason_line(c) {
            self.out.push_str(&format!("  # ({reason})\n"));
        }
        let empty = Value::Map(Default::default());
        let before = c.before.as_ref().unwrap_or(&empty);
        let after = c.after.as_ref().unwrap_or(&empty);
        let body = match c.action {
            Action::Create | Action::Read => Body::Create(after),
            Action::Delete => Body::Delete(before),
            Action::Update | Action::Replace | Action::NoOp => Body::Update(before, after),
        };
        let head = self.header_sym(c);
        self.resource_body(&head, addr, body, &c.replace_paths);
    }

    /// `  + resource "T" "N" {` … `    }`.
    fn resource_body(&mut self, head: &str, addr: &ResourceAddr, body: Body<'_>, replace: &[ValuePath]) {
        let kind = match addr.mode {
            ResourceMode::Managed => "resource",
            ResourceMode::Data => "data",
        };
        self.out.push_str(&format!("{head} {kind} {} {} {{\n", quote(&addr.ty), quote(&addr.name)));
        let mut path = Vec::new();
        match body {
            Body::Create(v) => self.top_level_full(v, Sym::Create, "", &mut path, replace),
            Body::Delete(v) => self.top_level_full(v, Sym::Delete, " -> null", &mut path, replace),
            Body::Update(b, a) => match (b.unmarked(), a.unmarked()) {
                (Value::Map(_), Value::Map(_)) if !b.is_sensitive() && !a.is_sensitive() => {
                    self.map_children(6, b, a, &mut path, replace, true)
                }
                _ => self.node(6, "", "", Some(b), Some(a), &mut path, replace),
            },
        }
        self.out.push_str("    }\n");
    }

    /// Attributes of a created or destroyed object: null attributes omitted.
    fn top_level_full(&mut self, v: &Value, sym: Sym, suffix: &str, path: &mut ValuePath, replace: &[ValuePath]) {
        match v {
            Value::Map(m) => {
                let shown: Vec<(&String, &Value)> = m.iter().filter(|(_, v)| !matches!(v, Value::Null)).collect();
                let width = shown.iter().map(|(k, _)| key_label(k).chars().count()).max().unwrap_or(0);
                for (k, v) in shown {
                    path.push(PathStep::Key(k.clone()));
                    let label = format!("{:<width$} = ", key_label(k));
                    let note = note(path, replace);
                    self.full(6, sym, sym, &label, v, suffix, note, path);
                    path.pop();
                }
            }
            other => self.full(6, sym, sym, "", other, suffix, note(path, replace), path),
        }
    }

    /// Writes `label<value>` where the whole value is added or removed: the
    /// head line carries `head`, nested lines `child`. `suffix` follows the
    /// value (after the closing bracket for collections).
    #[allow(clippy::too_many_arguments)]
    fn full(&mut self, indent: usize, head: Sym, child: Sym, label: &str, v: &Value, suffix: &str, note: &str, path: &mut ValuePath) {
        match v {
            Value::Map(m) if !m.is_empty() => {
                self.line(indent, head, &format!("{label}{{{note}"));
                let width = m.keys().map(|k| key_label(k).chars().count()).max().unwrap_or(0);
                for (k, item) in m {
                    path.push(PathStep::Key(k.clone()));
                    let l = format!("{:<width$} = ", key_label(k));
                    self.full(indent + 4, child, child, &l, item, "", "", path);
                    path.pop();
                }
                self.line(indent, Sym::None, &format!("}}{suffix}"));
            }
            Value::List(items) | Value::Set(items) if !items.is_empty() => {
                self.line(indent, head, &format!("{label}[{note}"));
                for (i, item) in items.iter().enumerate() {
                    path.push(PathStep::Index(i));
                    self.full(indent + 4, child, child, "", item, ",", "", path);
                    path.pop();
                }
                self.line(indent, Sym::None, &format!("]{suffix}"));
            }
            Value::String(text) if text.contains('\n') => {
                self.line(indent, head, &format!("{label}<<-EOT{note}"));
                for l in text.lines() {
                    self.line(indent + 4, Sym::None, l);
                }
                self.line(indent, Sym::None, &format!("EOT{suffix}"));
            }
            other => self.line(indent, head, &format!("{label}{}{suffix}{note}", scalar(other))),
        }
    }

    /// One attribute or element whose before/after are given (`None` = absent).
    #[allow(clippy::too_many_arguments)]
    fn node(
        &mut self,
        indent: usize,
        label: &str,
        elem_suffix: &str,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &mut ValuePath,
        replace: &[ValuePath],
    ) {
        let note = note(path, replace);
        let before = before.filter(|v| !matches!(v, Value::Null));
        let after = after.filter(|v| !matches!(v, Value::Null));
        match (before, after) {
            (None, None) => {}
            (None, Some(a)) => self.full(indent, Sym::Create, Sym::Create, label, a, elem_suffix, note, path),
            (Some(b), None) => {
                self.full(indent, Sym::Delete, Sym::Delete, label, b, &format!(" -> null{elem_suffix}"), note, path)
            }
            (Some(b), Some(a)) if b == a => {
                self.full(indent, Sym::None, Sym::None, label, b, elem_suffix, note, path)
            }
            (Some(b), Some(a)) => self.update(indent, label, elem_suffix, b, a, note, path, replace),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn update(
        &mut self,
        indent: usize,
        label: &str,
        elem_suffix: &str,
        b: &Value,
        a: &Value,
        note: &str,
        path: &mut ValuePath,
        replace: &[ValuePath],
    ) {
        if b.is_sensitive() || a.is_sensitive() {
            self.line(indent, Sym::Update, &format!("{label}(sensitive value){elem_suffix}{note}"));
            return;
        }
        if matches!(a, Value::Unknown) {
            let suffix = format!(" -> (known after apply){elem_suffix}");
            self.full(indent, Sym::Update, Sym::Delete, label, b, &suffix, note, path);
            return;
        }
        match (b, a) {
            (Value::Map(bm), Value::Map(am)) if !bm.is_empty() || !am.is_empty() => {
                self.line(indent, Sym::Update, &format!("{label}{{{note}"));
                self.map_children(indent + 4, b, a, path, replace, false);
                self.line(indent, Sym::None, &format!("}}{elem_suffix}"));
            }
            (Value::List(bl), Value::List(al)) => {
                self.line(indent, Sym::Update, &format!("{label}[{note}"));
                self.list_children(indent + 4, bl, al, path, replace);
                self.line(indent, Sym::None, &format!("]{elem_suffix}"));
            }
            (Value::Set(bs), Value::Set(as_)) => {
                self.line(indent, Sym::Update, &format!("{label}[{note}"));
                self.set_children(indent + 4, bs, as_, path);
                self.line(indent, Sym::None, &format!("]{elem_suffix}"));
            }
            (Value::String(bs), Value::String(as_)) if bs.contains('\n') || as_.contains('\n') => {
                self.line(indent, Sym::Update, &format!("{label}<<-EOT{note}"));
                let (bl, al): (Vec<&str>, Vec<&str>) = (bs.lines().collect(), as_.lines().collect());
                for op in lcs_ops(&bl, &al) {
                    match op {
                        ListOp::Keep(j) => self.line(indent + 4, Sym::None, al[j]),
                        ListOp::Delete(i) => self.line(indent + 4, Sym::Delete, bl[i]),
                        ListOp::Insert(j) | ListOp::Change(_, j) => self.line(indent + 4, Sym::Create, al[j]),
                    }
                }
                self.line(indent, Sym::None, &format!("EOT{elem_suffix}"));
            }
            _ if is_scalar(b) && is_scalar(a) => {
                let text = format!("{label}{} -> {}{elem_suffix}{note}", scalar(b), scalar(a));
                self.line(indent, Sym::Update, &text);
            }
            _ => {
                // A change of shape (string → map, …): old value out, new value in.
                self.full(indent, Sym::Delete, Sym::Delete, label, b, &format!(" -> null{elem_suffix}"), note, path);
                self.full(indent, Sym::Create, Sym::Create, label, a, elem_suffix, note, path);
            }
        }
    }

    /// The entries of a map/object update; unchanged ones hidden (except
    /// `id`/`name`/`tags` at the top level of a resource, like Terraform).
    fn map_children(&mut self, indent: usize, b: &Value, a: &Value, path: &mut ValuePath, replace: &[ValuePath], top: bool) {
        let (Value::Map(bm), Value::Map(am)) = (b.unmarked(), a.unmarked()) else { return };
        let keys: BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
        let mut shown = Vec::new();
        let mut hidden = 0usize;
        for k in keys {
            let bv = bm.get(k).filter(|v| !matches!(v, Value::Null));
            let av = am.get(k).filter(|v| !matches!(v, Value::Null));
            if bv.is_none() && av.is_none() {
                continue;
            }
            let important = top && matches!(k.as_str(), "id" | "name" | "tags") && av.is_some_and(|v| !v.contains_sensitive());
            if bv == av && !important {
                hidden += 1;
                continue;
            }
            shown.push((k, bv, av));
        }
        let width = shown.iter().map(|(k, _, _)| key_label(k).chars().count()).max().unwrap_or(0);
        for (k, bv, av) in shown {
            path.push(PathStep::Key(k.clone()));
            let label = format!("{:<width$} = ", key_label(k));
            self.node(indent, &label, "", bv, av, path, replace);
            path.pop();
        }
        self.hidden(indent, hidden, "attribute");
    }

    fn hidden(&mut self, indent: usize, n: usize, what: &str) {
        if n > 0 {
            let plural = if n == 1 { "" } else { "s" };
            self.line(indent, Sym::None, &format!("# ({n} unchanged {what}{plural} hidden)"));
        }
    }

    /// List diff by longest common subsequence; unchanged elements next to
    /// a change are shown as context, the others counted as hidden.
    fn list_children(&mut self, indent: usize, b: &[Value], a: &[Value], path: &mut ValuePath, replace: &[ValuePath]) {
        let ops = list_ops(b, a);
        let changed: Vec<bool> = ops.iter().map(|op| !matches!(op, ListOp::Keep(..))).collect();
        let mut hidden = 0usize;
        for (i, op) in ops.iter().enumerate() {
            let near_change = changed[i]
                || (i > 0 && changed[i - 1])
                || changed.get(i + 1).copied().unwrap_or(false);
            if !near_change {
                hidden += 1;
                continue;
            }
            self.hidden(indent, std::mem::take(&mut hidden), "element");
            match *op {
                ListOp::Keep(j) => {
                    path.push(PathStep::Index(j));
                    self.full(indent, Sym::None, Sym::None, "", &a[j], ",", "", path);
                }
                ListOp::Delete(i) => {
                    path.push(PathStep::Index(i));
                    self.full(indent, Sym::Delete, Sym::Delete, "", &b[i], ",", "", path);
                }
                ListOp::Insert(j) => {
                    path.push(PathStep::Index(j));
                    self.full(indent, Sym::Create, Sym::Create, "", &a[j], ",", "", path);
                }
                ListOp::Change(i, j) => {
                    path.push(PathStep::Index(j));
                    let note = note(path, replace);
                    self.update(indent, "", ",", &b[i], &a[j], note, path, replace);
                }
            }
            path.pop();
        }
        self.hidden(indent, hidden, "element");
    }

    fn set_children(&mut self, indent: usize, b: &[Value], a: &[Value], path: &mut ValuePath) {
        let mut all: Vec<(&Value, Sym)> = Vec::new();
        for v in b.iter().filter(|v| !a.contains(v)) {
            all.push((v, Sym::Delete));
        }
        for v in a.iter().filter(|v| !b.contains(v)) {
            all.push((v, Sym::Create));
        }
        let hidden = a.iter().filter(|v| b.contains(v)).count();
        all.sort_by_cached_key(|(v, _)| v.sort_key());
        for (v, sym) in all {
            self.full(indent, sym, sym, "", v, ",", "", path);
        }
        self.hidden(indent, hidden, "element");
    }

    fn output_change(&mut self, name: &str, o: &OutputChange) {
        let hide = |v: &Option<Value>| v.clone().map(|v| if o.sensitive { v.mark_sensitive() } else { v });
        let (before, after) = (hide(&o.before), hide(&o.after));
        let label = format!("{name} = ");
        let mut path = Vec::new();
        match o.action {
            Action::Delete => {
                let b = before.unwrap_or(Value::Null);
                self.full(2, Sym::Delete, Sym::Delete, &label, &b, " -> null", "", &mut path);
            }
            Action::Create => {
                let a = after.unwrap_or(Value::Null);
                self.full(2, Sym::Create, Sym::Create, &label, &a, "", "", &mut path);
            }
            _ => self.node(2, &label, "", before.as_ref(), after.as_ref(), &mut path, &[]),
        }
    }
}

/// One step of a list diff: indexes into before (`i`) and after (`j`).
#[derive(Clone, Copy)]
enum ListOp {
    /// Unchanged; index into after.
    Keep(usize),
    Delete(usize),
    Insert(usize),
    /// A delete and an insert of the same shape at the same position, shown as `~`.
    Change(usize, usize),
}

fn list_ops(b: &[Value], a: &[Value]) -> Vec<ListOp> {
    pair_changes(lcs_ops(b, a), b, a)
}

/// Keep/Delete/Insert steps turning `b` into `a` (longest common subsequence).
fn lcs_ops<T: PartialEq>(b: &[T], a: &[T]) -> Vec<ListOp> {
    let mut raw = Vec::new();
    if b.len().saturating_mul(a.len()) > LCS_LIMIT {
        for k in 0..b.len().max(a.len()) {
            match (b.get(k), a.get(k)) {
                (Some(x), Some(y)) if x == y => raw.push(ListOp::Keep(k)),
                (Some(_), Some(_)) => {
                    raw.push(ListOp::Delete(k));
                    raw.push(ListOp::Insert(k));
                }
                (Some(_), None) => raw.push(ListOp::Delete(k)),
                (None, _) => raw.push(ListOp::Insert(k)),
            }
        }
    } else {
        // lcs[i][j] = LCS length of b[i..] and a[j..].
        let (n, m) = (b.len(), a.len());
        let mut lcs = vec![vec![0usize; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if b[i] == a[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && b[i] == a[j] {
                raw.push(ListOp::Keep(j));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
                // Deletes first on ties, like Terraform.
                raw.push(ListOp::Delete(i));
                i += 1;
            } else {
                raw.push(ListOp::Insert(j));
                j += 1;
            }
        }
    }
    raw
}

/// Turns runs of deletes followed by inserts of the same shape into `Change`s.
fn pair_changes(raw: Vec<ListOp>, b: &[Value], a: &[Value]) -> Vec<ListOp> {
    let mut out = Vec::with_capacity(raw.len());
    let mut k = 0;
    while k < raw.len() {
        if !matches!(raw[k], ListOp::Delete(_) | ListOp::Insert(_)) {
            out.push(raw[k]);
            k += 1;
            continue;
        }
        let mut dels = Vec::new();
        let mut ins = Vec::new();
        while k < raw.len() {
            match raw[k] {
                ListOp::Delete(i) => dels.push(i),
                ListOp::Insert(j) => ins.push(j),
                _ => break,
            }
            k += 1;
        }
        let paired = dels.len().min(ins.len());
        for p in 0..paired {
            let (i, j) = (dels[p], ins[p]);
            if same_shape(&b[i], &a[j]) {
                out.push(ListOp::Change(i, j));
            } else {
                out.push(ListOp::Delete(i));
                out.push(ListOp::Insert(j));
            }
        }
        out.extend(dels[paired..].iter().map(|&i| ListOp::Delete(i)));
        out.extend(ins[paired..].iter().map(|&j| ListOp::Insert(j)));
    }
    out
}

fn same_shape(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Map(_), Value::Map(_)) | (Value::List(_), Value::List(_)) | (Value::Set(_), Value::Set(_)) => true,
        _ => is_scalar(x) && is_scalar(y),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Map(_) | Value::List(_) | Value::Set(_))
}

/// The text of a value shown on one line. Collections are only passed here empty.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Unknown => "(known after apply)".to_string(),
        Value::Sensitive(_) => "(sensitive value)".to_string(),
        Value::Map(m) if m.is_empty() => "{}".to_string(),
        Value::List(l) | Value::Set(l) if l.is_empty() => "[]".to_string(),
        // Not reached by the renderer; kept total without printing contents.
        Value::Map(_) => "{...}".to_string(),
        Value::List(_) | Value::Set(_) => "[...]".to_string(),
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Object attribute names are bare; other map keys are quoted.
fn key_label(k: &str) -> String {
    let mut chars = k.chars();
    let ident = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident { k.to_string() } else { quote(k) }
}

fn note(path: &ValuePath, replace: &[ValuePath]) -> &'static str {
    if !path.is_empty() && replace.iter().any(|p| p == path) {
        " # forces replacement"
    } else {
        ""
    }
}

/// The Terraform-style "(because …)" line under a change header.
fn reason_line(c: &ResourceChange) -> Option<String> {
    match (&c.reason, c.action) {
        (Some(ChangeReason::NoResourceConfig), _) => Some(format!("because {} is not in configuration", c.addr)),
        (Some(ChangeReason::CountIndex), _) => Some(format!("because index {} is out of range for count", key_text(&c.addr.key))),
        (Some(ChangeReason::EachKey), _) => Some(format!("because key {} is not in for_each map", key_text(&c.addr.key))),
        (Some(ChangeReason::DeletedOutOfBand), _) => Some("because object was deleted outside contin".to_string()),
        (Some(ChangeReason::DestroyMode), _) => None,
        (Some(ChangeReason::ReplaceTriggered), _) => None,
        (Some(ChangeReason::CannotUpdate | ChangeReason::Tainted), _) | (None, _) => None,
    }
}

fn key_text(k: &InstanceKey) -> String {
    match k {
        InstanceKey::None => "[]".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
pub(crate) mod tests;
