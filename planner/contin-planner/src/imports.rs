//! `import` blocks: which objects the configuration asks to import. The
//! engine imports each target the state does not hold yet (provider
//! `import`) and hands the value to planning as that instance's refreshed
//! value, so the plan compares the configuration with the real object
//! ("will be imported", or "will be updated in-place (imported from …)").
//! Apply imports again under the lock before any change runs.

use crate::io::PlanIo;
use crate::scope::{EvalScope, Repetition, ResourceValues};
use contin_config::Config;
use contin_provider::ProviderSchema;
use contin_types::{Diagnostic, Diagnostics, InstanceKey, ResourceAddr, SourceLoc, Value};
use std::collections::{BTreeMap, HashMap};

/// One object to import.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportTarget {
    pub addr: ResourceAddr,
    /// The provider configuration serving it (`aws`, `aws.west`).
    pub provider: String,
    pub id: String,
    /// The `import` block.
    pub loc: SourceLoc,
}

/// Only variables and locals are known when import targets are decided
/// (as in Terraform, `id`, `to` and `for_each` must be known at plan).
struct NoResources<'c> {
    config: &'c Config,
}

impl ResourceValues for NoResources<'_> {
    fn resource_value(&self, _: usize) -> Option<Value> {
        None
    }
    fn local_value(&self, name: &str, scope: &EvalScope<'_>) -> Result<Value, Diagnostic> {
        let Some(local) = self.config.locals.get(name) else {
            return Err(Diagnostic::error(format!("Reference to undeclared local value local.{name}")));
        };
        crate::scope::eval_local(self.config, local, scope).map_err(|d| d.0.into_iter().next().unwrap_or_else(|| Diagnostic::error("invalid local")))
    }
}

/// The import targets of `config`'s `import` blocks, `for_each` expanded.
pub fn import_targets(
    config: &Config,
    variables: &BTreeMap<String, Value>,
    schemas: &BTreeMap<String, ProviderSchema>,
    io: &dyn PlanIo,
) -> Result<Vec<ImportTarget>, Diagnostics> {
    if config.imports.is_empty() {
        return Ok(Vec::new());
    }
    let blocks: HashMap<contin_graph::BlockKey, usize> = config.resources.iter().enumerate().map(|(i, r)| (contin_graph::block_key(r), i)).collect();
    let values = NoResources { config };
    let scope = EvalScope { config, blocks: &blocks, variables, values: &values, repetition: Repetition::default(), io };
    let mut out: Vec<ImportTarget> = Vec::new();
    let mut diags = Diagnostics::new();
    for ib in &config.imports {
        let Some(r) = config.resources.iter().find(|r| r.mode == contin_types::ResourceMode::Managed && r.module.is_empty() && r.ty == ib.ty && r.name == ib.name) else {
            // Reported by `state_edits::check_statements`.
            continue;
        };
        let provider = match &ib.provider {
            Some(p) => p.clone(),
            None => match crate::walk::provider_for(r, schemas) {
                Ok(p) => p,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            },
        };
        let reps: Vec<Repetition> = match &ib.for_each {
            None => vec![Repetition::default()],
            Some(fe) => match contin_eval::eval(fe, &scope).and_then(|v| crate::instance::for_each_value(&v, &fe.loc())) {
                Ok(pairs) => pairs
                    .into_iter()
                    .map(|(k, v)| Repetition { each_key: Some(Value::string(k)), each_value: Some(v), ..Repetition::default() })
                    .collect(),
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            },
        };
        for rep in reps {
            let s = scope.with_repetition(rep);
            let key = match &ib.key {
                None => InstanceKey::None,
                Some(k) => match contin_eval::eval(k, &s).map(|v| v.unmarked().clone()) {
                    Ok(Value::String(k)) => InstanceKey::Str(k),
                    Ok(Value::Number(n)) if n.as_i64().is_some_and(|i| i >= 0) => InstanceKey::Int(n.as_i64().unwrap_or(0)),
                    Ok(_) => {
                        diags.push(Diagnostic::error("Invalid import address").with_detail("The instance key must be a known string or whole number.").at(k.loc()));
                        continue;
                    }
                    Err(d) => {
                        diags.extend(d);
                        continue;
                    }
                },
            };
            let id = match contin_eval::eval(&ib.id, &s) {
                Ok(v) if v.contains_sensitive() => {
                    diags.push(Diagnostic::error("Invalid import id argument").with_detail("The import ID cannot be sensitive.").at(ib.id.loc()));
                    continue;
                }
                Ok(Value::String(id)) if !id.is_empty() => id,
                Ok(Value::Unknown) => {
                    diags.push(
                        Diagnostic::error("Invalid import id argument")
                            .with_detail("The import block \"id\" argument depends on resource attributes that cannot be determined until apply, so contin cannot plan to import this resource.")
                            .at(ib.id.loc()),
                    );
                    continue;
                }
                Ok(Value::Number(n)) => n.to_string(),
                Ok(_) => {
                    diags.push(Diagnostic::error("Invalid import id argument").with_detail("The import ID must be a non-empty string.").at(ib.id.loc()));
                    continue;
                }
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            let addr = ResourceAddr::managed(&ib.ty, &ib.name).with_key(key);
            if let Some(first) = out.iter().find(|t| t.addr == addr) {
                diags.push(
                    Diagnostic::error("Duplicate import configuration")
                        .with_detail(format!("{addr} has more than one import block (the first ID is {:?}).", first.id))
                        .at(ib.loc.clone())
                        .with_related("first import here", first.loc.clone()),
                );
                continue;
            }
            out.push(ImportTarget { addr, provider: provider.clone(), id, loc: ib.loc.clone() });
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}
