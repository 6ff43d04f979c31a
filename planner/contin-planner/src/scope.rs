//! The evaluation scope shared by planning and apply-time re-evaluation:
//! variables, locals, resource values, `count`/`each`, `path.*`.

use crate::io::PlanIo;
use contin_config::{Config, Resource};
use contin_eval::{Reference, Scope};
use contin_graph::BlockKey;
use contin_types::{Diagnostic, InstanceKey, SourceLoc, Value};
use std::collections::{BTreeMap, HashMap};

/// Where resource values come from: planned values while planning, the
/// working state while applying.
pub trait ResourceValues {
    /// The whole value of resource block `index` shaped by its expansion
    /// (object, list for `count`, map for `for_each`); `None` when unknown.
    fn resource_value(&self, index: usize) -> Option<Value>;
    /// One instance of resource block `index`, when it exists and can be had
    /// without building the whole block value; `None` = use `resource_value`.
    fn resource_instance(&self, _index: usize, _key: &InstanceKey) -> Option<Value> {
        None
    }
    /// A local's value.
    fn local_value(&self, name: &str, scope: &EvalScope<'_>) -> Result<Value, Diagnostic>;
}

/// Per-instance repetition context.
#[derive(Clone, Debug, Default)]
pub struct Repetition {
    pub count_index: Option<i64>,
    pub each_key: Option<Value>,
    pub each_value: Option<Value>,
}

pub struct EvalScope<'a> {
    pub config: &'a Config,
    pub blocks: &'a HashMap<BlockKey, usize>,
    pub variables: &'a BTreeMap<String, Value>,
    pub values: &'a dyn ResourceValues,
    pub repetition: Repetition,
    pub io: &'a dyn PlanIo,
}

impl EvalScope<'_> {
    pub fn with_repetition(&self, repetition: Repetition) -> EvalScope<'_> {
        EvalScope {
            config: self.config,
            blocks: self.blocks,
            variables: self.variables,
            values: self.values,
            repetition,
            io: self.io,
        }
    }
}

impl Scope for EvalScope<'_> {
    /// Declared variable types and local expressions tell lists from tuples
    /// (`var.list == []` is false in Terraform).
    fn reference_shape(&self, r: &Reference) -> contin_eval::shape::Shape {
        contin_eval::shape::config_reference_shape(self.config, r, self)
    }
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        let missing = |what: &str| Diagnostic::error(format!("Reference to unavailable {what}")).at(loc.clone());
        match r {
            Reference::Var(name) if !self.config.variables.contains_key(name) => Err(Diagnostic::error("Reference to undeclared input variable")
                .with_detail(format!("An input variable with the name \"{name}\" has not been declared. This variable can be declared with a variable \"{name}\" {{}} block."))
                .at(loc.clone())),
            Reference::Var(name) => self.variables.get(name).cloned().ok_or_else(|| missing(&format!("variable var.{name}"))),
            Reference::Resource { mode, ty, name } if !self.blocks.contains_key(&(*mode, ty.clone(), name.clone())) => {
                let (what, prefix) = match mode {
                    contin_types::ResourceMode::Managed => ("resource", ""),
                    contin_types::ResourceMode::Data => ("data resource", "data."),
                };
                Err(Diagnostic::error(format!("Reference to undeclared {what}"))
                    .with_detail(format!("A {what} \"{ty}\" \"{name}\" has not been declared in the root module (reference: {prefix}{ty}.{name})."))
                    .at(loc.clone()))
            }
            Reference::Local(name) => self.values.local_value(name, self),
            Reference::Resource { mode, ty, name } => {
                let ix = self
                    .blocks
                    .get(&(*mode, ty.clone(), name.clone()))
                    .ok_or_else(|| missing(&format!("resource {ty}.{name}")))?;
                Ok(self.values.resource_value(*ix).unwrap_or(Value::Unknown))
            }
            Reference::CountIndex => {
                self.repetition.count_index.map(Value::int).ok_or_else(|| missing("count.index"))
            }
            Reference::EachKey => self.repetition.each_key.clone().ok_or_else(|| missing("each.key")),
            Reference::EachValue => self.repetition.each_value.clone().ok_or_else(|| missing("each.value")),
            Reference::Path(which) => Ok(Value::string(match which.as_str() {
                "cwd" => self.io.cwd(),
                _ => ".".to_string(),
            })),
            Reference::TerraformWorkspace => Ok(Value::string("default")),
        }
    }
    fn lookup_instance(&self, r: &Reference, key: &Value) -> Option<Value> {
        let Reference::Resource { mode, ty, name } = r else { return None };
        let ix = *self.blocks.get(&(*mode, ty.clone(), name.clone()))?;
        let resource = self.config.resources.get(ix)?;
        let key = instance_key(resource, key)?;
        self.values.resource_instance(ix, &key)
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        self.io.read_file(path)
    }
    fn read_file_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.io.read_file_bytes(path)
    }
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        self.io.file_exists(path)
    }
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        self.io.list_files(dir)
    }
    fn current_dir(&self) -> Option<String> {
        Some(self.io.cwd())
    }
    fn home_dir(&self) -> Option<String> {
        self.io.home_dir()
    }
    // Terraform decides timestamp() at apply: a planning scope returns None
    // (unknown), the apply-time ConfigEvaluator's scope the clock; both give
    // plantimestamp() the plan's start time. (Needs a phase flag and the plan
    // time on this scope.)
}

/// A local's value; for the locals that stand for a called module's input
/// variables (`module.NAME.var.X`), with the variable's default, type
/// conversion and validations applied.
pub fn eval_local(config: &Config, local: &contin_config::Local, scope: &dyn Scope) -> Result<Value, contin_types::Diagnostics> {
    let v = contin_eval::eval(&local.expr, scope)?;
    match config.module_vars.get(&local.name) {
        Some(mv) => contin_eval::vars::module_input(&mv.variable, v, &local.expr.loc()),
        None => Ok(v),
    }
}

/// The instance a plain index names in a resource block's shaped value:
/// a whole number for `count`, a string for `for_each`. Anything else
/// (marked, unknown, other types, other blocks) is left to ordinary indexing.
pub fn instance_key(resource: &Resource, key: &Value) -> Option<InstanceKey> {
    match key {
        Value::Number(n) if resource.count.is_some() => n.as_i64().filter(|i| *i >= 0).map(InstanceKey::Int),
        Value::String(s) if resource.for_each.is_some() => Some(InstanceKey::Str(s.clone())),
        _ => None,
    }
}

/// The element of a shaped block value (`shape_resource`) that `key` names.
pub fn shaped_instance(shaped: &Value, key: &InstanceKey) -> Option<Value> {
    match (shaped, key) {
        (Value::List(items), InstanceKey::Int(i)) => items.get(usize::try_from(*i).ok()?).cloned(),
        (Value::Map(m), InstanceKey::Str(k)) => m.get(k).cloned(),
        _ => None,
    }
}

/// Shapes the instances of one resource block into the value a reference sees.
pub fn shape_resource(resource: &Resource, instances: Vec<(InstanceKey, Value)>) -> Value {
    if resource.count.is_some() {
        Value::List(instances.into_iter().map(|(_, v)| v).collect())
    } else if resource.for_each.is_some() {
        Value::Map(
            instances
                .into_iter()
                .filter_map(|(k, v)| match k {
                    InstanceKey::Str(s) => Some((s, v)),
                    _ => None,
                })
                .collect(),
        )
    } else {
        instances.into_iter().next().map(|(_, v)| v).unwrap_or(Value::Null)
    }
}
