//! Static reference analysis: which root references (`var.x`, `aws_vpc.main`,
//! `count.index`, …) an expression makes, for the dependency graph, and the
//! resolution of a traversal's root shared with the evaluator.

use crate::{RefSite, Reference};
use contin_config::{Body, Expr};
use contin_types::{Diagnostic, ResourceMode, SourceLoc};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::{Decorated, Ident, Span};

/// A resolved traversal root: the reference, where it is written, and how
/// many traversal operators it consumed (`var.x` consumes one, `data.t.n` two).
pub(crate) struct RootRef {
    pub reference: Reference,
    pub loc: SourceLoc,
    pub consumed: usize,
}

fn attr_at(ops: &[Decorated<TraversalOperator>], i: usize) -> Option<&str> {
    match ops.get(i).map(|o| o.value()) {
        Some(TraversalOperator::GetAttr(id)) => Some(id.as_str()),
        _ => None,
    }
}

/// Resolves `root.attr…` to a reference, with Terraform's messages for
/// malformed ones.
pub(crate) fn resolve_root(root: &Decorated<Ident>, ops: &[Decorated<TraversalOperator>], file: &str) -> Result<RootRef, Diagnostic> {
    let name = root.as_str();
    let start = root.span().map_or(0, |s| s.start);
    let loc_through = |n: usize| {
        let end = if n == 0 {
            root.span().map_or(start, |s| s.end)
        } else {
            ops.get(n - 1).and_then(|o| o.span()).map_or(start, |s| s.end)
        };
        SourceLoc::new(file, start..end)
    };
    let root_loc = || loc_through(0);
    let one = |what: &str, detail: &str| -> Result<&str, Diagnostic> {
        attr_at(ops, 0).ok_or_else(|| {
            Diagnostic::error(format!("Invalid reference{what}")).with_detail(detail.to_string()).at(root_loc())
        })
    };
    let (reference, consumed) = match name {
        "var" => {
            let a = one("", "The \"var\" object cannot be accessed directly. Instead, access one of its attributes.")?;
            (Reference::Var(a.to_string()), 1)
        }
        "local" => {
            let a = one("", "The \"local\" object cannot be accessed directly. Instead, access one of its attributes.")?;
            (Reference::Local(a.to_string()), 1)
        }
        "count" => {
            let a = one("", "The \"count\" object cannot be accessed directly. Instead, access count.index.")?;
            if a != "index" {
                return Err(Diagnostic::error("Invalid \"count\" attribute")
                    .with_detail(format!("The \"count\" object does not have an attribute named \"{a}\". The only supported attribute is count.index, which is the index of each instance of a resource block that has the \"count\" argument set."))
                    .at(loc_through(1)));
            }
            (Reference::CountIndex, 1)
        }
        "each" => {
            let a = one("", "The \"each\" object cannot be accessed directly. Instead, access each.key or each.value.")?;
            let r = match a {
                "key" => Reference::EachKey,
                "value" => Reference::EachValue,
                other => {
                    return Err(Diagnostic::error("Invalid \"each\" attribute")
                        .with_detail(format!("The \"each\" object does not have an attribute named \"{other}\". The supported attributes are each.key and each.value, the current key and value pair of the \"for_each\" attribute set."))
                        .at(loc_through(1)))
                }
            };
            (r, 1)
        }
        "path" => {
            let a = one("", "The \"path\" object cannot be accessed directly. Instead, access path.module, path.root or path.cwd.")?;
            if !matches!(a, "module" | "root" | "cwd") {
                return Err(Diagnostic::error("Invalid \"path\" attribute")
                    .with_detail(format!("The \"path\" object does not have an attribute named \"{a}\". The supported attributes are path.module, path.root and path.cwd."))
                    .at(loc_through(1)));
            }
            (Reference::Path(a.to_string()), 1)
        }
        "terraform" => {
            let a = one("", "The \"terraform\" object cannot be accessed directly. Instead, access terraform.workspace.")?;
            if a != "workspace" {
                return Err(Diagnostic::error("Invalid \"terraform\" attribute")
                    .with_detail(format!("The \"terraform\" object does not have an attribute named \"{a}\". The only supported attribute is terraform.workspace, the name of the currently-selected workspace."))
                    .at(loc_through(1)));
            }
            (Reference::TerraformWorkspace, 1)
        }
        "data" => {
            let (Some(ty), Some(n)) = (attr_at(ops, 0), attr_at(ops, 1)) else {
                return Err(Diagnostic::error("Invalid reference")
                    .with_detail("A reference to a data source must be followed by at least one attribute access, specifying the data source type and name.")
                    .at(root_loc()));
            };
            (Reference::Resource { mode: ResourceMode::Data, ty: ty.to_string(), name: n.to_string() }, 2)
        }
        "self" | "module" => {
            return Err(Diagnostic::error("Invalid reference")
                .with_detail(format!("\"{name}\" references are not supported by contin."))
                .at(root_loc()))
        }
        ty => {
            let Some(n) = attr_at(ops, 0) else {
                return Err(Diagnostic::error("Invalid reference")
                    .with_detail(format!("A reference to a resource type must be followed by at least one attribute access, specifying the resource name (\"{ty}\" is not a known variable here)."))
                    .at(root_loc()));
            };
            (Reference::Resource { mode: ResourceMode::Managed, ty: ty.to_string(), name: n.to_string() }, 1)
        }
    };
    Ok(RootRef { reference, loc: loc_through(consumed), consumed })
}

/// Every reference in an expression (for-expression and template locals are
/// not references). Malformed references are left to evaluation to report.
pub fn references(expr: &Expr) -> Vec<RefSite> {
    let mut out = Vec::new();
    walk(&expr.expr, &expr.file, &mut Vec::new(), &mut out);
    out
}

/// Every reference in all attributes and nested blocks of a body.
/// Inside a `dynamic` block's `content` (and its `labels`), the iterator
/// name is bound, not a reference.
pub fn body_references(body: &Body) -> Vec<RefSite> {
    let mut out = Vec::new();
    body_refs(body, &mut Vec::new(), &mut out, 0);
    out
}

fn body_refs(body: &Body, bound: &mut Vec<String>, out: &mut Vec<RefSite>, depth: usize) {
    if depth > crate::MAX_DYNAMIC_DEPTH {
        return;
    }
    for attr in body.attributes.values() {
        walk(&attr.expr.expr, &attr.expr.file, bound, out);
    }
    for block in &body.blocks {
        if block.ty == "dynamic" {
            let n = bound.len();
            // `for_each` is outside the iterator's scope.
            if let Some(fe) = block.body.attributes.get("for_each") {
                walk(&fe.expr.expr, &fe.expr.file, bound, out);
            }
            if let Ok(name) = crate::iterator_name(block) {
                bound.push(name);
            }
            if let Some(labels) = block.body.attributes.get("labels") {
                walk(&labels.expr.expr, &labels.expr.file, bound, out);
            }
            for content in block.body.blocks.iter().filter(|b| b.ty == "content") {
                body_refs(&content.body, bound, out, depth + 1);
            }
            bound.truncate(n);
        } else {
            body_refs(&block.body, bound, out, depth + 1);
        }
    }
}

fn walk(e: &Expression, file: &str, bound: &mut Vec<String>, out: &mut Vec<RefSite>) {
    match e {
        Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
        Expression::Array(a) => a.iter().for_each(|x| walk(x, file, bound, out)),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let ObjectKey::Expression(ke) = k {
                    // A bare identifier in parentheses-less key position is a literal key.
                    if !matches!(ke, Expression::Variable(_)) {
                        walk(ke, file, bound, out);
                    }
                }
                walk(v.expr(), file, bound, out);
            }
        }
        Expression::StringTemplate(t) => walk_template(t, file, bound, out),
        Expression::HeredocTemplate(h) => walk_template(&h.template, file, bound, out),
        Expression::Parenthesis(p) => walk(p.inner(), file, bound, out),
        Expression::Variable(id) => {
            if !bound.iter().any(|b| b == id.as_str()) {
                if let Ok(r) = resolve_root(id, &[], file) {
                    out.push(RefSite { reference: r.reference, loc: r.loc });
                }
            }
        }
        Expression::Conditional(c) => {
            walk(&c.cond_expr, file, bound, out);
            walk(&c.true_expr, file, bound, out);
            walk(&c.false_expr, file, bound, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|x| walk(x, file, bound, out)),
        Expression::Traversal(t) => {
            match &t.expr {
                Expression::Variable(id) if !bound.iter().any(|b| b == id.as_str()) => {
                    if let Ok(r) = resolve_root(id, &t.operators, file) {
                        out.push(RefSite { reference: r.reference, loc: r.loc });
                    }
                }
                other => walk(other, file, bound, out),
            }
            for op in &t.operators {
                if let TraversalOperator::Index(ix) = op.value() {
                    walk(ix, file, bound, out);
                }
            }
        }
        Expression::UnaryOp(u) => walk(&u.expr, file, bound, out),
        Expression::BinaryOp(b) => {
            walk(&b.lhs_expr, file, bound, out);
            walk(&b.rhs_expr, file, bound, out);
        }
        Expression::ForExpr(f) => {
            walk(&f.intro.collection_expr, file, bound, out);
            let n = bound.len();
            if let Some(k) = &f.intro.key_var {
                bound.push(k.as_str().to_string());
            }
            bound.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &f.key_expr {
                walk(k, file, bound, out);
            }
            walk(&f.value_expr, file, bound, out);
            if let Some(c) = &f.cond {
                walk(&c.expr, file, bound, out);
            }
            bound.truncate(n);
        }
    }
}

fn walk_template(t: &Template, file: &str, bound: &mut Vec<String>, out: &mut Vec<RefSite>) {
    for el in t.iter() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk(&i.expr, file, bound, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    walk(&d.if_expr.cond_expr, file, bound, out);
                    walk_template(&d.if_expr.template, file, bound, out);
                    if let Some(e) = &d.else_expr {
                        walk_template(&e.template, file, bound, out);
                    }
                }
                Directive::For(d) => {
                    walk(&d.for_expr.collection_expr, file, bound, out);
                    let n = bound.len();
                    if let Some(k) = &d.for_expr.key_var {
                        bound.push(k.as_str().to_string());
                    }
                    bound.push(d.for_expr.value_var.as_str().to_string());
                    walk_template(&d.for_expr.template, file, bound, out);
                    bound.truncate(n);
                }
            },
        }
    }
}
