//! `count` / `for_each` on module calls: decided while the configuration is
//! flattened (`contin_config::modules::expand`), from variables and locals
//! only, like Terraform requires them known at plan time.

use crate::instance::{count_value, for_each_value};
use contin_config::modules::ModuleInstance;
use contin_config::{Config, Expr};
use contin_eval::{Reference, Scope};
use contin_types::{Diagnostic, Diagnostics, InstanceKey, SourceLoc, Value};
use std::collections::BTreeMap;

/// Depth limit for locals referring to locals while deciding module keys.
const MAX_LOCAL_DEPTH: usize = 64;

/// The `InstanceKeys` callback for `contin_config::modules::expand`, over
/// the root module's resolved `variables`.
pub fn instance_keys(variables: &BTreeMap<String, Value>) -> impl FnMut(&Config, &Expr, bool) -> Result<Vec<ModuleInstance>, Diagnostics> + '_ {
    move |config, e, count| {
        let scope = KeyScope { config, variables, depth: std::cell::Cell::new(0) };
        let v = contin_eval::eval(e, &scope)?;
        module_instances(&v, count, &e.loc())
    }
}

/// For `validate` and `graph` (no variable values): one instance per call,
/// keyed `[0]` for `count` and `["-"]` for `for_each` when the value is not
/// decidable from defaults.
pub fn placeholder_keys(config: &Config, e: &Expr, count: bool) -> Result<Vec<ModuleInstance>, Diagnostics> {
    let defaults: BTreeMap<String, Value> = BTreeMap::new();
    let scope = KeyScope { config, variables: &defaults, depth: std::cell::Cell::new(0) };
    match contin_eval::eval(e, &scope).ok().and_then(|v| module_instances(&v, count, &e.loc()).ok()) {
        Some(list) => Ok(list),
        None if count => Ok(vec![ModuleInstance { key: InstanceKey::Int(0), each_value: None }]),
        None => Ok(vec![ModuleInstance { key: InstanceKey::Str("-".into()), each_value: None }]),
    }
}

/// The instances a module call's `count` / `for_each` value gives.
pub fn module_instances(v: &Value, count: bool, loc: &SourceLoc) -> Result<Vec<ModuleInstance>, Diagnostics> {
    if count {
        let n = count_value(v, loc)?;
        if n > contin_eval::limits::MAX_INSTANCES_PER_BLOCK as i64 {
            return Err(Diagnostic::error("Invalid count argument")
                .with_detail(format!("The module's \"count\" gives {n} instances; at most {} (MAX_INSTANCES_PER_BLOCK).", contin_eval::limits::MAX_INSTANCES_PER_BLOCK))
                .at(loc.clone())
                .into());
        }
        return Ok((0..n).map(|i| ModuleInstance { key: InstanceKey::Int(i), each_value: None }).collect());
    }
    let items = for_each_value(v, loc)?;
    Ok(items
        .into_iter()
        .map(|(k, val)| ModuleInstance { key: InstanceKey::Str(k), each_value: Some(val.unmark_deep().0.to_json_lossy()) })
        .collect())
}

struct KeyScope<'a> {
    config: &'a Config,
    variables: &'a BTreeMap<String, Value>,
    depth: std::cell::Cell<usize>,
}

impl Scope for KeyScope<'_> {
    /// Declared variable types and local expressions tell lists from tuples
    /// (`var.list == []` is false in Terraform).
    fn reference_shape(&self, r: &Reference) -> contin_eval::shape::Shape {
        contin_eval::shape::config_reference_shape(self.config, r, self)
    }
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        match r {
            Reference::Var(n) => match (self.variables.get(n), self.config.variables.get(n)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(decl)) => match &decl.default {
                    Some(d) => contin_eval::eval(d, &contin_eval::EmptyScope).map_err(first),
                    None => Ok(Value::Unknown),
                },
                (None, None) => Err(Diagnostic::error(format!("Reference to undeclared input variable var.{n}")).at(loc.clone())),
            },
            Reference::Local(n) => {
                let Some(l) = self.config.locals.get(n) else {
                    return Err(Diagnostic::error(format!("Reference to undeclared local value local.{n}")).at(loc.clone()));
                };
                if self.depth.get() >= MAX_LOCAL_DEPTH {
                    return Err(Diagnostic::error("Module count/for_each too deeply nested in locals")
                        .with_detail(format!("More than {MAX_LOCAL_DEPTH} locals refer to each other here (limit MAX_LOCAL_DEPTH)."))
                        .at(loc.clone()));
                }
                self.depth.set(self.depth.get() + 1);
                let v = crate::scope::eval_local(self.config, l, self).map_err(first);
                self.depth.set(self.depth.get() - 1);
                v
            }
            Reference::Path(w) if w == "root" || w == "module" => Ok(Value::string(".")),
            Reference::TerraformWorkspace => Ok(Value::string("default")),
            // A resource (or anything else) is not known while modules expand.
            _ => Ok(Value::Unknown),
        }
    }
}

fn first(d: Diagnostics) -> Diagnostic {
    d.0.into_iter().next().unwrap_or_else(|| Diagnostic::error("invalid value"))
}
