//! Override files (`override.tf`, `*_override.tf`, their `.tf.json` and
//! `.hcl` forms), merged with Terraform's rules: they are read after every
//! primary file, in lexical order; each block must override a block the
//! primary files declare; arguments it sets replace the base's, nested blocks
//! it has replace every base nested block of that type, `lifecycle` merges
//! argument by argument, `locals` replace value by value.

use crate::check::loc_of;
use crate::model::*;
use crate::parse::Parser;
use contin_types::{Diagnostic, ResourceMode, SourceLoc};
use hcl_edit::structure::{self as hs, Structure};
use std::collections::BTreeSet;
use std::sync::Arc;

/// True for `override.tf`, `x_override.tf`, `override.tf.json`,
/// `x_override.tf.json`, `override.hcl` and `x_override.hcl`.
pub fn is_override_file(name: &str) -> bool {
    [".tf.json", ".tf", ".hcl"].iter().any(|ext| {
        name.strip_suffix(ext)
            .is_some_and(|stem| stem == "override" || stem.ends_with("_override"))
    })
}

/// What an override block sets: argument names, nested block types and the
/// arguments of its `lifecycle` block.
#[derive(Default)]
struct Keys {
    attrs: BTreeSet<String>,
    blocks: BTreeSet<String>,
    lifecycle: BTreeSet<String>,
}

impl Keys {
    fn of(block: &hs::Block) -> Keys {
        let mut k = Keys::default();
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    k.attrs.insert(a.key.as_str().to_string());
                }
                Structure::Block(b) => {
                    if b.ident.as_str() == "lifecycle" {
                        for a in b.body.attributes() {
                            k.lifecycle.insert(a.key.as_str().to_string());
                        }
                    } else {
                        k.blocks.insert(b.ident.as_str().to_string());
                    }
                }
            }
        }
        k
    }
}

fn missing_base(what: &str, name: &str, loc: SourceLoc) -> Diagnostic {
    Diagnostic::error(format!("Missing {what} to override"))
        .with_detail(format!(
            "There is no {what} {name} in the primary configuration files. An override file can only override a block \
             that a primary file (not named *override*) declares."
        ))
        .at(loc)
}

/// Merges one top-level structure of an override file into `p`.
pub(crate) fn apply(p: &mut Parser, structure: Structure, file: &Arc<str>) {
    let block = match structure {
        Structure::Block(b) => b,
        other => return p.top_structure(other, file),
    };
    let keys = Keys::of(&block);
    let ty = block.ident.as_str().to_string();
    let ident_loc = loc_of(file, &block.ident);
    // The override block is parsed on its own (it would be a "duplicate" of
    // its base), then merged item by item.
    let mut op = Parser::default();
    op.top_block(block, file);
    let had_errors = op.diags.iter().any(Diagnostic::is_error);
    p.diags.append(&mut op.diags);
    let o = op.config;
    match ty.as_str() {
        "resource" | "data" | "edge_site" | "host" | "cluster" => {
            for r in o.resources {
                merge_resource(p, r, &keys);
            }
        }
        "variable" => {
            for (name, v) in o.variables {
                let Some(base) = p.config.variables.get_mut(&name) else {
                    p.err(missing_base("variable", &format!("\"{name}\""), v.loc));
                    continue;
                };
                if keys.attrs.contains("type") {
                    base.ty = v.ty;
                }
                if keys.attrs.contains("default") {
                    base.default = v.default;
                }
                if keys.attrs.contains("description") {
                    base.description = v.description;
                }
                if keys.attrs.contains("sensitive") {
                    base.sensitive = v.sensitive;
                }
                if keys.attrs.contains("nullable") {
                    base.nullable = v.nullable;
                }
                if keys.blocks.contains("validation") {
                    base.validations = v.validations;
                }
            }
        }
        "output" => {
            for (name, out) in o.outputs {
                let Some(base) = p.config.outputs.get_mut(&name) else {
                    p.err(missing_base("output", &format!("\"{name}\""), out.loc));
                    continue;
                };
                if keys.attrs.contains("value") {
                    base.value = out.value;
                }
                if keys.attrs.contains("description") {
                    base.description = out.description;
                }
                if keys.attrs.contains("sensitive") {
                    base.sensitive = out.sensitive;
                }
                if keys.attrs.contains("depends_on") {
                    base.depends_on = out.depends_on;
                }
            }
        }
        "locals" => {
            for (name, l) in o.locals {
                match p.config.locals.get_mut(&name) {
                    Some(base) => *base = l,
                    None => p.err(missing_base("local value", &format!("\"{name}\""), l.loc)),
                }
            }
        }
        "provider" => {
            for (key, pb) in o.providers {
                let Some(base) = p.config.providers.get_mut(&key) else {
                    p.err(missing_base("provider configuration", &format!("\"{key}\""), pb.loc));
                    continue;
                };
                merge_body(&mut base.body, pb.body, &keys);
            }
        }
        "backend" => {
            if let Some(b) = o.backend {
                p.config.backend = Some(b);
                p.config.terraform.cloud = None;
            }
        }
        "terraform" => {
            let t = o.terraform;
            if !t.required_version.is_empty() {
                p.config.terraform.required_version = t.required_version;
            }
            p.config.terraform.required_providers.extend(t.required_providers);
            // A backend in an override replaces the base's backend or cloud
            // block, and a cloud block replaces a backend (Terraform's rule).
            if let Some(b) = o.backend {
                p.config.backend = Some(b);
                p.config.terraform.cloud = None;
            } else if t.cloud.is_some() {
                p.config.terraform.cloud = t.cloud;
                p.config.backend = None;
            }
        }
        other if !had_errors => p.err(
            Diagnostic::error(format!("Cannot override \"{other}\" blocks"))
                .with_detail(format!("contin cannot merge {other} blocks from override files; move it to a primary file."))
                .at(ident_loc),
        ),
        _ => {}
    }
}

fn merge_resource(p: &mut Parser, r: Resource, keys: &Keys) {
    let Some(base) = p
        .config
        .resources
        .iter_mut()
        .find(|b| b.mode == r.mode && b.ty == r.ty && b.name == r.name)
    else {
        let (what, prefix) = match r.mode {
            ResourceMode::Data => ("data resource", "data."),
            ResourceMode::Managed => ("resource", ""),
        };
        let name = format!("{prefix}{}.{}", r.ty, r.name);
        p.err(missing_base(what, &name, r.loc));
        return;
    };
    for key in &keys.attrs {
        match key.as_str() {
            "count" => base.count = r.count.clone(),
            "for_each" => base.for_each = r.for_each.clone(),
            "depends_on" => base.depends_on = r.depends_on.clone(),
            "provider" => base.provider = r.provider.clone(),
            _ => {}
        }
    }
    // Provisioner / connection blocks in the override replace the base's
    // (Terraform's rule); what the new ones reference stays a dependency.
    if keys.blocks.contains("provisioner") || keys.blocks.contains("connection") {
        for d in &r.depends_on {
            if !base.depends_on.iter().any(|x| x.mode == d.mode && x.ty == d.ty && x.name == d.name) {
                base.depends_on.push(d.clone());
            }
        }
    }
    if keys.blocks.contains("provisioner") {
        base.provisioners = r.provisioners.clone();
    }
    if keys.blocks.contains("connection") {
        base.connection = r.connection.clone();
    }
    merge_body(&mut base.body, r.body, keys);
    for key in &keys.lifecycle {
        match key.as_str() {
            "prevent_destroy" => base.lifecycle.prevent_destroy = r.lifecycle.prevent_destroy,
            "create_before_destroy" => {
                base.lifecycle.create_before_destroy = r.lifecycle.create_before_destroy
            }
            "ignore_changes" => base.lifecycle.ignore_changes = r.lifecycle.ignore_changes.clone(),
            _ => {}
        }
    }
    if !keys.lifecycle.is_empty() && base.lifecycle.loc.is_none() {
        base.lifecycle.loc = r.lifecycle.loc;
    }
}

/// Arguments the override sets replace the base's; its nested blocks replace
/// all base nested blocks of the same type.
fn merge_body(base: &mut Body, over: Body, keys: &Keys) {
    for (name, attr) in over.attributes {
        if keys.attrs.contains(&name) {
            base.attributes.insert(name, attr);
        }
    }
    let replaced: BTreeSet<&str> = over.blocks.iter().map(|b| b.ty.as_str()).collect();
    base.blocks.retain(|b| !replaced.contains(b.ty.as_str()));
    base.blocks.extend(over.blocks);
}

#[cfg(test)]
mod tests {
    use super::is_override_file;

    #[test]
    fn override_file_names() {
        for yes in [
            "override.tf",
            "a_override.tf",
            "override.tf.json",
            "x_override.tf.json",
            "override.hcl",
            "b_override.hcl",
        ] {
            assert!(is_override_file(yes), "{yes}");
        }
        for no in [
            "main.tf",
            "overrides.tf",
            "myoverride.tf",
            "override.tfvars",
            "a_override.tf.bak",
            "override",
        ] {
            assert!(!is_override_file(no), "{no}");
        }
    }
}
