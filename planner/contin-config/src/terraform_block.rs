//! `terraform { … }`: `required_version` (checked against
//! [`TERRAFORM_LANGUAGE_VERSION`]), `required_providers` (mapped to the
//! built-in providers by [`check_required_providers`]), `backend` (Terraform's
//! place for it; the top-level `backend` block stays), `cloud` (ignored with a
//! warning), and what Terraform allows but contin ignores (`experiments`,
//! `provider_meta`) as warnings.

use crate::check::{literal_string, loc_of};
use crate::model::{Config, Expr, RequiredProvider};
use crate::parse::{expr, Parser};
use crate::version::{language_version, parse_constraints, satisfies, TERRAFORM_LANGUAGE_VERSION};
use contin_types::{Diagnostic, SourceLoc};
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{self as hs, Structure};
use std::sync::Arc;

const TERRAFORM_ARGS: &[&str] = &["experiments", "required_version"];
const TERRAFORM_BLOCKS: &[&str] = &["backend", "cloud", "provider_meta", "required_providers"];

/// The state file contin uses when no backend is declared (the engine's default).
const DEFAULT_STATE: &str = "contin.state.json";

pub(crate) fn terraform(p: &mut Parser, block: hs::Block, file: &Arc<str>) {
    if !block.labels.is_empty() {
        p.labels(&block, file, &[]);
    }
    for structure in block.body {
        match structure {
            Structure::Attribute(attr) if attr.key.as_str() == "required_version" => {
                let e = expr(file, attr.value);
                if let Some(text) = p.string_arg(&e, "required_version") {
                    match parse_constraints(&text) {
                        Ok(_) => p.config.terraform.required_version.push((text, e.loc())),
                        Err(msg) => p.err(
                            Diagnostic::error("Invalid required_version constraint")
                                .with_detail(format!("{msg}. Write constraints like \">= 1.2, < 2.0\", \"~> 1.5\" or \"= 1.11.4\"."))
                                .at(e.loc()),
                        ),
                    }
                }
            }
            Structure::Attribute(attr) if attr.key.as_str() == "experiments" => p.err(
                Diagnostic::warning("Experiments are ignored")
                    .with_detail("contin implements no Terraform language experiments; the \"experiments\" argument has no effect.")
                    .at(loc_of(file, &attr.key)),
            ),
            Structure::Attribute(attr) => p.unsupported_arg("terraform", &attr, TERRAFORM_ARGS, file),
            Structure::Block(b) => match b.ident.as_str() {
                "backend" => p.backend(b, file),
                "required_providers" => required_providers(p, b, file),
                "cloud" => {
                    let loc = loc_of(file, &b.ident);
                    if p.config.terraform.cloud.is_none() {
                        p.config.terraform.cloud = Some(loc);
                    }
                }
                "provider_meta" => p.err(
                    Diagnostic::warning("provider_meta is ignored")
                        .with_detail("contin's built-in providers take no provider metadata; the block has no effect.")
                        .at(loc_of(file, &b.ident)),
                ),
                _ => p.unsupported_block("terraform", &b, TERRAFORM_BLOCKS, file),
            },
        }
    }
}

fn required_providers(p: &mut Parser, block: hs::Block, file: &Arc<str>) {
    if !block.labels.is_empty() {
        p.labels(&block, file, &[]);
    }
    for structure in block.body {
        let attr = match structure {
            Structure::Attribute(a) => a,
            Structure::Block(b) => {
                p.unsupported_block("required_providers", &b, &[], file);
                continue;
            }
        };
        let name = attr.key.as_str().to_string();
        let loc = crate::check::attr_loc(file, &attr);
        let e = expr(file, attr.value);
        let mut source = None;
        let mut version = None;
        match &e.expr {
            // Legacy form: `aws = "~> 3.0"` (a version only).
            Expression::String(s) => version = Some(s.value().clone()),
            Expression::Object(obj) => {
                for (key, value) in obj.iter() {
                    let key_name = match key {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(other) => {
                            p.err(invalid_requirement(
                                &name,
                                "keys must be names like source or version",
                                e.loc_of(other),
                            ));
                            continue;
                        }
                    };
                    let v = Expr {
                        expr: value.expr().clone(),
                        file: file.clone(),
                    };
                    match key_name.as_str() {
                        "source" => source = literal_string(&v, "source", &mut p.diags),
                        "version" => version = literal_string(&v, "version", &mut p.diags),
                        // Aliases a module expects to be passed: nothing to map.
                        "configuration_aliases" => {}
                        other => p.err(invalid_requirement(
                            &name,
                            &format!("unknown key \"{other}\" (valid: source, version, configuration_aliases)"),
                            v.loc(),
                        )),
                    }
                }
            }
            _ => {
                p.err(invalid_requirement(
                    &name,
                    "write NAME = { source = \"hashicorp/NAME\", version = \"~> 1.0\" }",
                    e.loc(),
                ));
                continue;
            }
        }
        if let Some(v) = &version {
            if let Err(msg) = parse_constraints(v) {
                p.err(invalid_requirement(
                    &name,
                    &format!("version: {msg}"),
                    e.loc(),
                ));
            }
        }
        if let Some(first) = p
            .config
            .terraform
            .required_providers
            .get(&name)
            .map(|r| r.loc.clone())
        {
            p.duplicate(&format!("required provider \"{name}\""), loc, &first);
            continue;
        }
        let source = source.unwrap_or_else(|| format!("hashicorp/{name}"));
        p.config.terraform.required_providers.insert(
            name.clone(),
            RequiredProvider {
                name,
                source,
                version,
                loc,
            },
        );
    }
}

fn invalid_requirement(name: &str, what: &str, loc: SourceLoc) -> Diagnostic {
    Diagnostic::error(format!("Invalid required_providers entry \"{name}\""))
        .with_detail(format!("{what}."))
        .at(loc)
}

/// Checks made once every file (overrides included) is read: the
/// `required_version` constraints and the `cloud` warning.
pub(crate) fn finish(p: &mut Parser) {
    let version = language_version();
    let failed: Vec<(String, SourceLoc)> = p
        .config
        .terraform
        .required_version
        .iter()
        .filter(|(text, _)| parse_constraints(text).is_ok_and(|c| !satisfies(&version, &c)))
        .cloned()
        .collect();
    for (text, loc) in failed {
        p.err(
            Diagnostic::error("Unsupported Terraform Core version")
                .with_detail(format!(
                    "This configuration requires Terraform \"{text}\", but contin implements the Terraform language of version {TERRAFORM_LANGUAGE_VERSION}. \
                     Change the required_version constraint if the configuration works with {TERRAFORM_LANGUAGE_VERSION}."
                ))
                .at(loc),
        );
    }
    if let Some(loc) = p.config.terraform.cloud.clone() {
        let state = match &p.config.backend {
            Some(b) => format!(
                "the \"{}\" backend declared at {}",
                b.kind,
                p.config.sources.describe(&b.loc)
            ),
            None => format!("the local state file {DEFAULT_STATE} in the configuration directory"),
        };
        p.err(
            Diagnostic::warning("The cloud block is ignored")
                .with_detail(format!(
                    "contin does not talk to HCP Terraform / Terraform Cloud: state is kept in {state}, and runs happen locally."
                ))
                .at(loc),
        );
    }
}

/// The built-in provider a `required_providers` source maps to
/// (`hashicorp/aws` → `aws`; `null_resource` lives in contin's `local`).
pub fn builtin_for_source(source: &str) -> Option<&'static str> {
    let s = source.trim().to_ascii_lowercase();
    let s = s.strip_prefix("registry.terraform.io/").unwrap_or(&s);
    Some(match s {
        "hashicorp/aws" => "aws",
        "hashicorp/google" => "google",
        "hashicorp/local" => "local",
        "hashicorp/null" => "local",
        "hashicorp/azurerm" => "azurerm",
        "hashicorp/random" => "random",
        "hashicorp/time" => "time",
        "hashicorp/tls" => "tls",
        "hashicorp/http" => "http",
        "hashicorp/archive" => "archive",
        "hashicorp/cloudinit" => "cloudinit",
        "hashicorp/external" => "external",
        "kreuzwerker/docker" => "docker",
        "contin/fake" => "fake",
        "contin/edge" => "edge",
        "contin/onprem" => "onprem",
        _ => return None,
    })
}

/// Every `required_providers` entry must map to a provider of `builtin`
/// (the providers of this build); an unknown one is an error naming them.
pub fn check_required_providers(config: &Config, builtin: &[&str]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for req in config.terraform.required_providers.values() {
        // `terraform_data` and the `provider::terraform::` functions need no provider.
        if req.source == "terraform.io/builtin/terraform" {
            continue;
        }
        let known: Vec<String> = builtin.iter().map(|b| b.to_string()).collect();
        match builtin_for_source(&req.source) {
            Some(b) if builtin.contains(&b) => {}
            _ => out.push(
                Diagnostic::error(format!("Provider \"{}\" is not built into contin", req.source))
                    .with_detail(format!(
                        "required_providers \"{}\" asks for {}; contin has no plugin installation and provides only its built-in providers: {} \
                         (hashicorp/aws → aws, hashicorp/azurerm → azurerm, hashicorp/google → google, hashicorp/local and hashicorp/null → local, hashicorp/random, time, tls, http, archive, cloudinit and external → the providers of those names, kreuzwerker/docker → docker).",
                        req.name,
                        req.source,
                        known.join(", ")
                    ))
                    .at(req.loc.clone()),
            ),
        }
    }
    out
}
