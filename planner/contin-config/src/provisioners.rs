//! `provisioner` and `connection` blocks inside a `resource` block.
//!
//! Parsing checks what needs no evaluation: the provisioner type, each
//! type's arguments (required ones, mutually exclusive ones), `when`,
//! `on_failure` and the connection arguments contin's SSH transport
//! supports. Then, per resource:
//! - references to other resources in creation-time provisioners become
//!   dependencies (`depends_on`), as in Terraform;
//! - destroy-time provisioners may only use `self`, `count.index`,
//!   `each.key`, `path.*` and `terraform.*` (Terraform's rule: the rest of
//!   the configuration may be gone when the object is destroyed);
//! - `self.ATTR` is rewritten to the resource's own instance,
//!   `TYPE.NAME.ATTR` (`TYPE.NAME[count.index].ATTR`,
//!   `TYPE.NAME[each.key].ATTR` when repeated), so evaluation needs nothing
//!   new: at apply the executor evaluates provisioners once the object is
//!   recorded, so that reference is the object just created.

use crate::check::{loc_of, static_path, valid_choices_detail};
use crate::model::*;
use crate::parse::{convert_body, header_loc, Parser};
use contin_types::{Diagnostic, ResourceMode, SourceLoc};
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{self as hs, Structure};
use hcl_edit::{Decorated, Ident, Span};
use std::sync::Arc;

/// Provisioner types contin runs.
pub const PROVISIONER_TYPES: &[&str] = &["file", "local-exec", "remote-exec"];
const LOCAL_EXEC_ARGS: &[&str] = &["command", "environment", "interpreter", "quiet", "working_dir"];
const REMOTE_EXEC_ARGS: &[&str] = &["inline", "script", "scripts"];
const FILE_ARGS: &[&str] = &["content", "destination", "source"];
/// `connection` arguments the SSH transport honours.
pub const CONNECTION_ARGS: &[&str] =
    &["agent", "host", "host_key", "port", "private_key", "script_path", "target_platform", "timeout", "type", "user"];
/// Terraform arguments contin refuses rather than ignores (each changes how
/// the connection is made).
const CONNECTION_UNSUPPORTED: &[(&str, &str)] = &[
    ("password", "password authentication is not supported; use private_key or an ssh-agent"),
    ("certificate", "SSH certificates are not supported; use private_key"),
    ("agent_identity", "choosing an agent identity is not supported; the agent's keys are tried in order"),
    ("bastion_host", "bastion (jump) hosts are not supported"),
    ("proxy_host", "proxies are not supported"),
    ("https", "WinRM connections are not supported"),
    ("insecure", "WinRM connections are not supported"),
    ("use_ntlm", "WinRM connections are not supported"),
    ("cacert", "WinRM connections are not supported"),
];
/// Provisioners Terraform removed in 0.15.
const REMOVED_TYPES: &[&str] = &["chef", "habitat", "puppet", "salt-masterless"];

impl Parser {
    /// A `provisioner "TYPE" { … }` or `connection { … }` block of `res`.
    pub(crate) fn provisioner_or_connection(&mut self, res: &mut Resource, block: hs::Block, file: &Arc<str>) {
        let loc = header_loc(file, &block);
        if res.mode == ResourceMode::Data {
            self.err(
                Diagnostic::error(format!("Unsupported block type \"{}\"", block.ident.as_str()))
                    .with_detail("Data sources have no provisioners or connection blocks; they belong in a resource block.")
                    .at(loc),
            );
            return;
        }
        if block.ident.as_str() == "connection" {
            if let Some(first) = res.connection.as_ref().map(|c| c.loc.clone()) {
                self.duplicate("connection block", loc, &first);
                return;
            }
            res.connection = self.connection(block, file);
            return;
        }
        let Some(labels) = self.labels(&block, file, &["type"]) else {
            return;
        };
        let kind = labels.into_iter().next().unwrap_or_default();
        if !PROVISIONER_TYPES.contains(&kind.as_str()) {
            let detail = if REMOVED_TYPES.contains(&kind.as_str()) {
                format!("The \"{kind}\" provisioner was removed in Terraform 0.15 and is not supported. Use remote-exec or file with a connection block, or a configuration management tool.")
            } else {
                valid_choices_detail("Supported provisioner types are", &kind, PROVISIONER_TYPES)
            };
            self.err(Diagnostic::error(format!("Invalid provisioner type \"{kind}\"")).with_detail(detail).at(loc));
            return;
        }
        let mut p = Provisioner {
            kind: kind.clone(),
            body: Body::default(),
            connection: None,
            when: ProvisionerWhen::Create,
            on_failure_continue: false,
            loc: loc.clone(),
        };
        let valid: &[&str] = match kind.as_str() {
            "local-exec" => LOCAL_EXEC_ARGS,
            "remote-exec" => REMOTE_EXEC_ARGS,
            _ => FILE_ARGS,
        };
        let what = format!("provisioner \"{kind}\"");
        let mut rest = hs::Body::new();
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) if attr.key.as_str() == "when" => {
                    match static_path(&attr.value).as_deref() {
                        Some(["destroy"]) => p.when = ProvisionerWhen::Destroy,
                        Some(["create"]) => p.when = ProvisionerWhen::Create,
                        _ => self.err(
                            Diagnostic::error("Invalid \"when\" keyword")
                                .with_detail("The \"when\" argument requires one of the keywords create or destroy (without quotes).")
                                .at(loc_of(file, &attr.value)),
                        ),
                    }
                }
                Structure::Attribute(attr) if attr.key.as_str() == "on_failure" => {
                    match static_path(&attr.value).as_deref() {
                        Some(["continue"]) => p.on_failure_continue = true,
                        Some(["fail"]) => p.on_failure_continue = false,
                        _ => self.err(
                            Diagnostic::error("Invalid \"on_failure\" keyword")
                                .with_detail("The \"on_failure\" argument requires one of the keywords continue or fail (without quotes).")
                                .at(loc_of(file, &attr.value)),
                        ),
                    }
                }
                Structure::Attribute(attr) if valid.contains(&attr.key.as_str()) => rest.push(attr),
                Structure::Attribute(attr) => self.unsupported_arg(&what, &attr, valid, file),
                Structure::Block(b) if b.ident.as_str() == "connection" => {
                    let bloc = header_loc(file, &b);
                    if let Some(first) = p.connection.as_ref().map(|c| c.loc.clone()) {
                        self.duplicate("connection block", bloc, &first);
                        continue;
                    }
                    p.connection = self.connection(b, file);
                }
                Structure::Block(b) => self.unsupported_block(&what, &b, &["connection"], file),
            }
        }
        p.body = convert_body(rest, file);
        let has = |n: &str| p.body.attributes.contains_key(n);
        let missing = |d: &mut Vec<Diagnostic>, msg: &str| {
            d.push(Diagnostic::error(format!("Invalid {what} block")).with_detail(msg.to_string()).at(loc.clone()));
        };
        match kind.as_str() {
            "local-exec" if !has("command") => missing(&mut self.diags, "The argument \"command\" is required."),
            "remote-exec" => {
                let n = REMOTE_EXEC_ARGS.iter().filter(|a| has(a)).count();
                if n != 1 {
                    missing(&mut self.diags, "Exactly one of \"inline\", \"script\" or \"scripts\" must be set.");
                }
            }
            "file" => {
                if !has("destination") {
                    missing(&mut self.diags, "The argument \"destination\" is required.");
                }
                if has("source") == has("content") {
                    missing(&mut self.diags, "Exactly one of \"source\" or \"content\" must be set.");
                }
            }
            _ => {}
        }
        res.provisioners.push(p);
    }

    fn connection(&mut self, block: hs::Block, file: &Arc<str>) -> Option<Connection> {
        let loc = header_loc(file, &block);
        if !block.labels.is_empty() {
            self.err(Diagnostic::error("Extraneous label for connection").with_detail("A connection block has no labels.").at(loc));
            return None;
        }
        let mut rest = hs::Body::new();
        let mut ok = true;
        for structure in block.body {
            match structure {
                Structure::Attribute(attr) if CONNECTION_ARGS.contains(&attr.key.as_str()) => {
                    if attr.key.as_str() == "type" {
                        if let Expression::String(s) = &attr.value {
                            if s.value() != "ssh" {
                                ok = false;
                                self.err(
                                    Diagnostic::error(format!("Unsupported connection type \"{}\"", s.value()))
                                        .with_detail("contin connects to machines over SSH only: type = \"ssh\" (the default).")
                                        .at(loc_of(file, &attr.value)),
                                );
                            }
                        }
                    }
                    rest.push(attr);
                }
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    match CONNECTION_UNSUPPORTED.iter().find(|(n, _)| *n == name) {
                        Some((_, why)) => {
                            ok = false;
                            self.err(
                                Diagnostic::error(format!("Unsupported connection argument \"{name}\""))
                                    .with_detail(format!("contin's SSH transport: {why}."))
                                    .at(crate::check::attr_loc(file, &attr)),
                            );
                        }
                        None if name.starts_with("bastion_") => {
                            ok = false;
                            self.err(
                                Diagnostic::error(format!("Unsupported connection argument \"{name}\""))
                                    .with_detail("contin's SSH transport: bastion (jump) hosts are not supported.")
                                    .at(crate::check::attr_loc(file, &attr)),
                            );
                        }
                        None => {
                            ok = false;
                            self.unsupported_arg("connection", &attr, CONNECTION_ARGS, file);
                        }
                    }
                }
                Structure::Block(b) => {
                    ok = false;
                    self.unsupported_block("connection", &b, &[], file);
                }
            }
        }
        ok.then(|| Connection { body: convert_body(rest, file), loc })
    }

    /// Dependencies, the destroy-time reference rule and the `self`
    /// rewrite (see the module comment), once the whole block is read.
    pub(crate) fn finish_provisioners(&mut self, res: &mut Resource) {
        if res.provisioners.is_empty() && res.connection.is_none() {
            return;
        }
        let any_destroy_without_own = res.provisioners.iter().any(|p| p.when == ProvisionerWhen::Destroy && p.connection.is_none());
        let mut bodies: Vec<(&mut Body, bool)> = Vec::new();
        for p in &mut res.provisioners {
            let destroy = p.when == ProvisionerWhen::Destroy;
            bodies.push((&mut p.body, destroy));
            if let Some(c) = &mut p.connection {
                bodies.push((&mut c.body, destroy));
            }
        }
        if let Some(c) = &mut res.connection {
            bodies.push((&mut c.body, any_destroy_without_own));
        }
        let mut deps: Vec<Reference> = Vec::new();
        let repeated_by = if res.for_each.is_some() {
            Some("each.key")
        } else if res.count.is_some() {
            Some("count.index")
        } else {
            None
        };
        for (body, destroy) in bodies {
            each_expr(body, &mut |e: &mut Expr| {
                let file = e.file.clone();
                crate::modules::walk(&mut e.expr, &mut Vec::new(), &mut |t, _| {
                    let span = t.span().unwrap_or(0..0);
                    let Expression::Traversal(tr) = t else { return };
                    let Expression::Variable(root) = &tr.expr else { return };
                    let root = root.as_str().to_string();
                    let loc = SourceLoc::new(file.to_string(), span);
                    let attr = |i: usize| match tr.operators.get(i).map(|o| o.value()) {
                        Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
                        _ => None,
                    };
                    let dep = match root.as_str() {
                        "self" | "count" | "each" | "path" | "terraform" => None,
                        "var" | "local" => Some(None),
                        "data" => Some(attr(0).zip(attr(1)).map(|(ty, name)| (ResourceMode::Data, ty, name))),
                        ty => Some(attr(0).map(|name| (ResourceMode::Managed, ty.to_string(), name))),
                    };
                    match dep {
                        None => {}
                        Some(_) if destroy => self.diags.push(
                            Diagnostic::error("Invalid reference from destroy provisioner")
                                .with_detail("Destroy-time provisioners and their connection configurations may only reference attributes of the related resource, via 'self', 'count.index', or 'each.key'. References to other resources during the destroy phase can cause dependency cycles and interact poorly with create_before_destroy.")
                                .at(loc),
                        ),
                        Some(Some((mode, ty, name))) if !deps.iter().any(|d| d.mode == mode && d.ty == ty && d.name == name) => {
                            deps.push(Reference { mode, ty, name, loc });
                        }
                        Some(_) => {}
                    }
                    if root == "self" {
                        rewrite_self(tr, &res.ty, &res.name, repeated_by);
                    }
                });
            });
        }
        for d in deps {
            let own = d.mode == res.mode && d.ty == res.ty && d.name == res.name;
            if !own && !res.depends_on.iter().any(|x| x.mode == d.mode && x.ty == d.ty && x.name == d.name) {
                res.depends_on.push(d);
            }
        }
    }
}

/// Every expression of a body, nested blocks included.
pub(crate) fn each_expr(body: &mut Body, f: &mut dyn FnMut(&mut Expr)) {
    for a in body.attributes.values_mut() {
        f(&mut a.expr);
    }
    for b in &mut body.blocks {
        each_expr(&mut b.body, f);
    }
}

/// Every expression of a resource's provisioner and connection blocks (for
/// the module rewrites).
pub(crate) fn provisioner_exprs(r: &mut Resource, f: &mut dyn FnMut(&mut Expr)) {
    for p in &mut r.provisioners {
        each_expr(&mut p.body, f);
        if let Some(c) = &mut p.connection {
            each_expr(&mut c.body, f);
        }
    }
    if let Some(c) = &mut r.connection {
        each_expr(&mut c.body, f);
    }
}

/// `self.ATTR…` → `TYPE.NAME[REPETITION].ATTR…` (root span kept).
fn rewrite_self(tr: &mut hcl_edit::expr::Traversal, ty: &str, name: &str, repeated_by: Option<&str>) {
    if let Expression::Variable(v) = &mut tr.expr {
        *v.value_mut() = Ident::new_unchecked(ty);
    }
    let mut ops = vec![Decorated::new(TraversalOperator::GetAttr(Decorated::new(Ident::new_unchecked(name))))];
    if let Some(index) = repeated_by.and_then(|r| hcl_edit::parser::parse_expr(r).ok()) {
        ops.push(Decorated::new(TraversalOperator::Index(index)));
    }
    let rest = std::mem::take(&mut tr.operators);
    ops.extend(rest);
    tr.operators = ops;
}
