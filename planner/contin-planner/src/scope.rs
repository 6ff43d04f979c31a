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
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        let missing = |what: &str| Diagnostic::error(format!("Reference to unavailable {what}")).at(loc.clone());
        match r {
            Reference::Var(name) => self.variables.get(name).cloned().ok_or_else(|| missing(&format!("variable var.{name}"))),
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
    fn read_file(&self, path: &str) -> Result<String, String> {
        self.io.read_file(path)
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
