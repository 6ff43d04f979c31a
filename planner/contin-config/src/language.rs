//! Terraform language blocks beyond resources: `moved`, `removed`,
//! `import` and `check` at top level, `replace_triggered_by`, and the
//! static checks of `dynamic` blocks (so `validate` rejects what plan would).

use crate::check::{literal_bool, loc_of, IDENTIFIER_RULE};
use crate::model::*;
use crate::parse::{expr, header_loc, Parser};
use contin_types::{Diagnostic, ResourceAddr, SourceLoc};
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{self as hs, Structure};
use std::sync::Arc;

/// `replace_triggered_by = [aws_x.a, aws_x.b[0].id]`: each entry must be a
/// reference to a managed resource (or one of its attributes).
pub(crate) fn replace_triggered_by(e: &Expr, diags: &mut Vec<Diagnostic>) -> Vec<Expr> {
    let Expression::Array(items) = &e.expr else {
        diags.push(
            Diagnostic::error("Invalid replace_triggered_by expression")
                .with_detail("replace_triggered_by must be a list of resource references, like [aws_instance.a, aws_instance.b.id].")
                .at(e.loc()),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let root = match item {
            Expression::Traversal(t) => t.expr.as_variable().map(|v| v.as_str().to_string()),
            _ => None,
        };
        match root.as_deref() {
            Some(r) if !matches!(r, "var" | "local" | "data" | "count" | "each" | "self" | "path" | "module" | "terraform") => {
                out.push(Expr { expr: item.clone(), file: e.file.clone() })
            }
            _ => diags.push(
                Diagnostic::error("Invalid replace_triggered_by expression")
                    .with_detail("Each entry must reference a managed resource or one of its attributes, like aws_instance.a or aws_instance.a.id.")
                    .at(e.loc_of(item)),
            ),
        }
    }
    out
}

/// The address an expression such as `module.a.aws_x.b["k"]` writes, parsed
/// from its source text (index expressions other than literals are refused).
pub(crate) fn static_address(p: &Parser, e: &Expr) -> Result<ResourceAddr, Diagnostic> {
    let bad = |why: &str| {
        Diagnostic::error("Invalid address")
            .with_detail(format!("{why} Write a resource or module address, like aws_instance.a, aws_instance.a[0] or module.net."))
            .at(e.loc())
    };
    let ok_shape = match &e.expr {
        Expression::Traversal(t) => t.operators.iter().all(|o| match o.value() {
            TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_) => true,
            TraversalOperator::Index(ix) => matches!(ix, Expression::Number(_) | Expression::String(_)),
            _ => false,
        }),
        _ => false,
    };
    if !ok_shape {
        return Err(bad("Not a static address."));
    }
    let loc = e.loc();
    let text = p.config.sources.files.get(loc.file.as_str()).and_then(|t| t.get(loc.span.clone())).unwrap_or("");
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.parse::<ResourceAddr>().map_err(|err| bad(&format!("{}.", err.reason)))
}

impl Parser {
    fn block_args(&mut self, kind: &str, block: hs::Block, file: &Arc<str>, valid: &[&str], blocks: &[&str]) -> (Vec<(String, Expr, SourceLoc)>, Vec<hs::Block>) {
        let mut args = Vec::new();
        let mut nested = Vec::new();
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) if valid.contains(&attr.key.as_str()) => {
                    let loc = crate::check::attr_loc(file, &attr);
                    args.push((attr.key.as_str().to_string(), expr(file, attr.value), loc));
                }
                Structure::Attribute(attr) => self.unsupported_arg(kind, &attr, valid, file),
                Structure::Block(b) if blocks.contains(&b.ident.as_str()) => nested.push(b),
                Structure::Block(b) => self.unsupported_block(kind, &b, blocks, file),
            }
        }
        (args, nested)
    }

    fn required(&mut self, kind: &str, args: &[(String, Expr, SourceLoc)], name: &str, loc: &SourceLoc) -> Option<Expr> {
        let found = args.iter().find(|(n, _, _)| n == name).map(|(_, e, _)| e.clone());
        if found.is_none() {
            self.err(
                Diagnostic::error(format!("Missing required argument \"{name}\""))
                    .with_detail(format!("Every {kind} block must set \"{name}\"."))
                    .at(loc.clone()),
            );
        }
        found
    }

    /// `moved { from = ADDR  to = ADDR }`.
    pub(crate) fn moved(&mut self, block: hs::Block, file: &Arc<str>) {
        if !block.labels.is_empty() {
            self.labels(&block, file, &[]);
        }
        let loc = loc_of(file, &block.ident);
        let (args, _) = self.block_args("moved", block, file, &["from", "to"], &[]);
        let (Some(from), Some(to)) = (self.required("moved", &args, "from", &loc), self.required("moved", &args, "to", &loc)) else {
            return;
        };
        let addrs = (static_address(self, &from), static_address(self, &to));
        let (from_addr, to_addr) = match addrs {
            (Ok(f), Ok(t)) => (f, t),
            (f, t) => {
                self.diags.extend(f.err());
                self.diags.extend(t.err());
                return;
            }
        };
        self.config.moved.push(MovedBlock { from: from_addr, to: to_addr, from_loc: from.loc(), to_loc: to.loc(), loc });
    }

    /// `removed { from = ADDR  lifecycle { destroy = false } }`.
    pub(crate) fn removed(&mut self, block: hs::Block, file: &Arc<str>) {
        if !block.labels.is_empty() {
            self.labels(&block, file, &[]);
        }
        let loc = loc_of(file, &block.ident);
        let (args, nested) = self.block_args("removed", block, file, &["from"], &["lifecycle", "provisioner", "connection"]);
        let Some(from) = self.required("removed", &args, "from", &loc) else { return };
        let mut destroy = true;
        let mut lifecycle_loc = None;
        for b in nested {
            if b.ident.as_str() != "lifecycle" {
                // Destroy-time provisioners: the resource is destroyed, which
                // is what `destroy = true` does anyway.
                continue;
            }
            lifecycle_loc = Some(loc_of(file, &b.ident));
            let (largs, _) = self.block_args("lifecycle", b, file, &["destroy"], &[]);
            if let Some((_, e, _)) = largs.iter().find(|(n, _, _)| n == "destroy") {
                destroy = literal_bool(e, "destroy", &mut self.diags);
            }
        }
        match static_address(self, &from) {
            Ok(addr) if addr.key != contin_types::InstanceKey::None => self.err(
                Diagnostic::error("Resource instance address with keys is not allowed")
                    .with_detail("A removed block's \"from\" names a whole resource or module, without an instance key.")
                    .at(from.loc()),
            ),
            Ok(addr) => self.config.removed.push(RemovedBlock { from: addr, from_loc: from.loc(), destroy, lifecycle_loc, loc }),
            Err(d) => self.err(d),
        }
    }

    /// `import { to = ADDR  id = "…"  for_each = …  provider = … }`.
    pub(crate) fn import(&mut self, block: hs::Block, file: &Arc<str>) {
        if !block.labels.is_empty() {
            self.labels(&block, file, &[]);
        }
        let loc = loc_of(file, &block.ident);
        let (args, _) = self.block_args("import", block, file, &["to", "id", "for_each", "provider"], &[]);
        let (Some(to), Some(id)) = (self.required("import", &args, "to", &loc), self.required("import", &args, "id", &loc)) else {
            return;
        };
        let for_each = args.iter().find(|(n, _, _)| n == "for_each").map(|(_, e, _)| e.clone());
        let provider = args.iter().find(|(n, _, _)| n == "provider").and_then(|(_, e, _)| match crate::check::static_path(&e.expr).as_deref() {
            Some([name]) => Some(name.to_string()),
            Some([name, alias]) => Some(format!("{name}.{alias}")),
            _ => None,
        });
        // The target: `TYPE.NAME` (+ `[KEY]`, whose key may use each.*), in
        // the root module (contin does not import into module instances).
        let Expression::Traversal(t) = &to.expr else {
            self.err(Diagnostic::error("Invalid import address").with_detail("\"to\" must be a resource address, like aws_instance.a or aws_instance.a[each.key].").at(to.loc()));
            return;
        };
        let root = t.expr.as_variable().map(|v| v.as_str().to_string()).unwrap_or_default();
        let name = match t.operators.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(n)) => n.as_str().to_string(),
            _ => String::new(),
        };
        if matches!(root.as_str(), "module" | "data" | "var" | "local" | "") || name.is_empty() || t.operators.len() > 2 {
            self.err(
                Diagnostic::error("Invalid import address")
                    .with_detail("\"to\" must be a managed resource of the root module, like aws_instance.a or aws_instance.a[each.key].")
                    .at(to.loc()),
            );
            return;
        }
        let key = match t.operators.get(1).map(|o| o.value()) {
            None => None,
            Some(TraversalOperator::Index(ix)) => Some(Expr { expr: ix.clone(), file: file.clone() }),
            Some(TraversalOperator::LegacyIndex(n)) => Some(Expr { expr: Expression::Number(hcl_edit::Formatted::new(hcl_edit::Number::from(*n.value()))), file: file.clone() }),
            Some(_) => {
                self.err(Diagnostic::error("Invalid import address").with_detail("Only an instance key may follow TYPE.NAME in \"to\".").at(to.loc()));
                return;
            }
        };
        self.config.imports.push(ImportBlock { ty: root, name, key, to_loc: to.loc(), id, for_each, provider, loc });
    }

    /// `check "NAME" { data "T" "N" { … }  assert { condition, error_message } }`.
    pub(crate) fn check_block(&mut self, block: hs::Block, file: &Arc<str>) {
        let Some(labels) = self.labels(&block, file, &["name"]) else { return };
        let name = labels.into_iter().next().unwrap_or_default();
        let loc = header_loc(file, &block);
        if let Some(first) = self.config.checks.iter().find(|c| c.name == name).map(|c| c.loc.clone()) {
            self.duplicate(&format!("check \"{name}\""), loc, &first);
            return;
        }
        let mut asserts = Vec::new();
        let mut data = None;
        for structure in block.body {
            match structure {
                Structure::Block(b) if b.ident.as_str() == "assert" => {
                    if let Some(c) = self.condition(b, file) {
                        asserts.push(c);
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "data" => {
                    if data.is_some() {
                        self.err(
                            Diagnostic::error("Multiple data resource blocks")
                                .with_detail(format!("The check block \"{name}\" may hold at most one scoped data source."))
                                .at(loc_of(file, &b.ident)),
                        );
                        continue;
                    }
                    let before = self.config.resources.len();
                    self.top_block(b, file);
                    if self.config.resources.len() > before {
                        data = self.config.resources.last().map(|r| (r.ty.clone(), r.name.clone()));
                    }
                }
                Structure::Block(b) => self.unsupported_block("check", &b, &["assert", "data"], file),
                Structure::Attribute(attr) => self.unsupported_arg("check", &attr, &[], file),
            }
        }
        if asserts.is_empty() {
            self.err(
                Diagnostic::error("Missing assert block")
                    .with_detail(format!("The check block \"{name}\" needs at least one assert {{ condition, error_message }} block."))
                    .at(loc.clone()),
            );
        }
        self.config.checks.push(CheckBlock { name, data, asserts, loc });
    }
}

/// Static checks of every `dynamic` block in a body: one label, `for_each`
/// set, exactly one `content` block, only known arguments, an identifier
/// `iterator`. Evaluation (contin-eval) repeats them defensively.
pub(crate) fn check_dynamic_blocks(body: &Body, diags: &mut Vec<Diagnostic>, depth: usize) {
    if depth > 64 {
        return;
    }
    for b in &body.blocks {
        if b.ty != "dynamic" {
            check_dynamic_blocks(&b.body, diags, depth + 1);
            continue;
        }
        if b.labels.len() != 1 {
            diags.push(
                Diagnostic::error("dynamic blocks need 1 label: the block type")
                    .with_detail("Write it as: dynamic \"TYPE\" { for_each = …  content { … } }")
                    .at(b.loc.clone()),
            );
        }
        let ty = b.labels.first().cloned().unwrap_or_default();
        for (name, attr) in &b.body.attributes {
            if !matches!(name.as_str(), "for_each" | "iterator" | "labels") {
                diags.push(
                    Diagnostic::error(format!("Unsupported argument \"{name}\" in dynamic block"))
                        .with_detail("Valid arguments of a dynamic block are for_each, iterator and labels; the generated block's arguments go in its content block.")
                        .at(attr.loc.clone()),
                );
            }
        }
        if !b.body.attributes.contains_key("for_each") {
            diags.push(
                Diagnostic::error("Missing required argument \"for_each\"")
                    .with_detail(format!("The dynamic \"{ty}\" block must set \"for_each\"."))
                    .at(b.loc.clone()),
            );
        }
        if let Some(it) = b.body.attributes.get("iterator") {
            let ok = match &it.expr.expr {
                Expression::Variable(v) => crate::check::is_identifier(v.as_str()),
                Expression::String(s) => crate::check::is_identifier(s.value()),
                _ => false,
            };
            if !ok {
                diags.push(
                    Diagnostic::error("Invalid dynamic iterator name")
                        .with_detail(format!("The \"iterator\" argument must be a single name, like iterator = rule. {IDENTIFIER_RULE}"))
                        .at(it.expr.loc()),
                );
            }
        }
        let contents: Vec<&NestedBlock> = b.body.blocks.iter().filter(|n| n.ty == "content").collect();
        if contents.len() != 1 {
            diags.push(
                Diagnostic::error("Invalid dynamic block")
                    .with_detail(format!("The dynamic \"{ty}\" block must have exactly one content block (found {}).", contents.len()))
                    .at(b.loc.clone()),
            );
        }
        for n in b.body.blocks.iter().filter(|n| n.ty != "content") {
            diags.push(
                Diagnostic::error(format!("Unsupported block type \"{}\" in dynamic block", n.ty))
                    .with_detail("A dynamic block holds one content block; nested dynamic blocks go inside content.")
                    .at(n.loc.clone()),
            );
        }
        for c in contents {
            check_dynamic_blocks(&c.body, diags, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_files;

    fn errors(src: &str) -> Vec<String> {
        let (_, d) = parse_files(&[("main.tf".to_string(), src.to_string())]);
        d.0.iter().filter(|d| d.is_error()).map(|d| format!("{}: {} @{}", d.summary, d.detail, d.loc.as_ref().map_or(String::new(), |l| src[l.span.clone()].to_string()))).collect()
    }

    #[test]
    fn language_blocks_parse_into_the_config() {
        let src = r#"
resource "t_x" "a" {
  lifecycle {
    replace_triggered_by = [t_x.b, t_x.c[0].id]
    precondition {
      condition     = true
      error_message = "m"
    }
    postcondition {
      condition     = self.id != ""
      error_message = "m"
    }
  }
}
moved {
  from = module.old.t_x.a["k"]
  to   = t_x.a
}
removed {
  from = module.gone
  lifecycle {
    destroy = false
  }
}
import {
  for_each = var.ids
  to       = t_x.a[each.key]
  id       = each.value
  provider = t.west
}
check "c" {
  data "t_d" "d" {}
  assert {
    condition     = true
    error_message = "m"
  }
}
variable "e" {
  ephemeral = true
}
"#;
        let (c, d) = parse_files(&[("main.tf".to_string(), src.to_string())]);
        assert!(!d.has_errors(), "{d:?}");
        let r = &c.resources[0];
        assert_eq!((r.lifecycle.preconditions.len(), r.lifecycle.postconditions.len(), r.lifecycle.replace_triggered_by.len()), (1, 1, 2));
        assert_eq!(c.moved[0].from.to_string(), "module.old.t_x.a[\"k\"]");
        assert_eq!(c.moved[0].to.to_string(), "t_x.a");
        assert!(c.removed[0].from.is_module() && !c.removed[0].destroy);
        let i = &c.imports[0];
        assert_eq!((i.ty.as_str(), i.name.as_str(), i.provider.as_deref()), ("t_x", "a", Some("t.west")));
        assert!(i.key.is_some() && i.for_each.is_some());
        assert_eq!(c.checks[0].data, Some(("t_d".to_string(), "d".to_string())));
        // The scoped data source is declared like any other.
        assert!(c.resources.iter().any(|r| r.ty == "t_d"));
        assert!(c.variables["e"].ephemeral);
    }

    #[test]
    fn malformed_language_blocks_are_located_errors() {
        let src = r#"
resource "t_x" "a" {
  dynamic "x" {
    for_each = [1]
    bogus    = 2
    iterator = "not an identifier"
    content {}
    content {}
  }
  dynamic {
    for_each = []
    content {}
  }
  lifecycle {
    replace_triggered_by = [var.x]
  }
}
moved {
  from = t_x.a[var.k]
}
import {
  to = module.m.t_x.a
  id = "i"
}
removed {
  from = t_x.a[0]
}
"#;
        let e = errors(src);
        let want = [
            "Unsupported argument \"bogus\" in dynamic block",
            "Invalid dynamic iterator name",
            "must have exactly one content block (found 2)",
            "dynamic blocks need 1 label",
            "Invalid replace_triggered_by expression: Each entry must reference a managed resource or one of its attributes, like aws_instance.a or aws_instance.a.id. @var.x",
            "Missing required argument \"to\"",
            "Invalid import address",
            "Resource instance address with keys is not allowed",
        ];
        for w in want {
            assert!(e.iter().any(|x| x.contains(w)), "missing {w:?} in {e:#?}");
        }
    }
}
