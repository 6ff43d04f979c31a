//! The seam between the executor and configuration evaluation at apply time:
//! values unknown at plan time ("known after apply") are evaluated again once
//! the resources they reference have been applied.

use crate::scope::{EvalScope, Repetition};
use contin_types::{Diagnostics, InstanceKey, ResourceAddr, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// Current values of resource instances during apply (with sensitive marks).
pub trait InstanceValues: Send + Sync {
    /// All instances of one resource (`addr` has `InstanceKey::None`), sorted by key.
    fn instances(&self, resource: &ResourceAddr) -> Vec<(InstanceKey, Value)>;
    /// One instance (`addr` with its key), `None` when it has no value.
    /// Override it: the default lists the whole resource.
    fn instance(&self, addr: &ResourceAddr) -> Option<Value> {
        self.instances(&addr.resource()).into_iter().find(|(k, _)| *k == addr.key).map(|(_, v)| v)
    }
}

/// Instance values held by address, with their sensitive marks: the
/// executor's working values during apply, the state's in `contin console`.
pub struct ValuesByAddress<'a>(pub &'a BTreeMap<ResourceAddr, Value>);

impl InstanceValues for ValuesByAddress<'_> {
    fn instances(&self, resource: &ResourceAddr) -> Vec<(InstanceKey, Value)> {
        let start = resource.resource();
        self.0
            .range(&start..)
            .take_while(|(a, _)| a.module == start.module && a.mode == start.mode && a.ty == start.ty && a.name == start.name)
            .map(|(a, v)| (a.key.clone(), v.clone()))
            .collect()
    }
    fn instance(&self, addr: &ResourceAddr) -> Option<Value> {
        self.0.get(addr).cloned()
    }
}

/// Re-evaluates configuration with applied values. Implemented by the planner
/// over the plan's configuration snapshot; pure.
pub trait ApplyEvaluator: Send + Sync {
    /// The final desired configuration of one instance (no `Unknown`s left
    /// for anything that depends only on applied resources).
    fn final_config(&self, addr: &ResourceAddr, values: &dyn InstanceValues) -> Result<Value, Diagnostics>;
    /// Final output values: name → (value, sensitive).
    fn outputs(&self, values: &dyn InstanceValues) -> Result<BTreeMap<String, (Value, bool)>, Diagnostics>;
    /// Whether the instance's block declares provisioners that run `when`
    /// (cheap: no evaluation).
    fn has_provisioners(&self, _addr: &ResourceAddr, _when: ProvisionerWhen) -> bool {
        false
    }
    /// The instance's provisioners that run `when`, evaluated against
    /// `values` (which hold the instance itself: `self`), in source order.
    fn provisioners(&self, _addr: &ResourceAddr, _when: ProvisionerWhen, _values: &dyn InstanceValues) -> Result<Vec<ProvisionerRun>, Diagnostics> {
        Ok(Vec::new())
    }
}

pub use contin_config::ProvisionerWhen;

/// One provisioner of an instance, evaluated and ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvisionerRun {
    /// `local-exec`, `remote-exec` or `file`.
    pub kind: String,
    /// Its arguments as an object (sensitive marks kept).
    pub args: Value,
    /// The connection that applies (its own, else the resource's) as an
    /// object, when there is one.
    pub connection: Option<Value>,
    pub on_failure_continue: bool,
    /// `FILE:LINE:COL` of the `provisioner` block, for messages.
    pub declared_at: String,
}

impl ProvisionerRun {
    /// Terraform suppresses a provisioner's output when its arguments hold
    /// a sensitive value (the connection's do not count: they are never printed).
    pub fn output_suppressed(&self) -> bool {
        self.args.contains_sensitive()
    }
}

/// `ApplyEvaluator` over a configuration snapshot (the plan's).
pub struct ConfigEvaluator {
    config: std::sync::Arc<contin_config::Config>,
    prepared: crate::walk::Prepared,
    variables: BTreeMap<String, Value>,
    schemas: BTreeMap<String, contin_provider::ProviderSchema>,
    io: std::sync::Arc<dyn crate::io::PlanIo>,
    /// Destroy plans leave no outputs behind.
    destroy: bool,
    /// Expansion (`count`/`for_each`) of each block, evaluated for its first
    /// instance and reused by the others. Sound because an instance starts
    /// only after every instance of every block its block depends on is done
    /// (dependencies are per block), and `count`/`for_each` are known at
    /// plan time anyway.
    expansions: Mutex<HashMap<usize, Arc<Expansion>>>,
}

/// The instances of one block with their repetition context.
type Expansion = HashMap<InstanceKey, Repetition>;

impl ConfigEvaluator {
    /// For a destroy plan: outputs evaluate to nothing (everything they refer to is gone).
    pub fn for_destroy(mut self, destroy: bool) -> Self {
        self.destroy = destroy;
        self
    }

    pub fn new(
        config: std::sync::Arc<contin_config::Config>,
        variables: BTreeMap<String, Value>,
        schemas: BTreeMap<String, contin_provider::ProviderSchema>,
        io: std::sync::Arc<dyn crate::io::PlanIo>,
    ) -> Result<Self, Diagnostics> {
        let prepared = crate::walk::prepare(&config, &schemas)?;
        Ok(ConfigEvaluator { config, prepared, variables, schemas, io, destroy: false, expansions: Mutex::default() })
    }

    /// `contin console`: `expr` evaluated in the root module's scope over
    /// `values` (the state's), with its static shape (list or tuple, map or
    /// object) for rendering.
    pub fn eval_console(&self, expr: &contin_config::Expr, values: &dyn InstanceValues) -> Result<(Value, contin_eval::shape::Shape), Diagnostics> {
        let av = ApplyValues { config: &self.config, values, absent_unknown: true };
        let scope = self.scope(&av);
        let v = contin_eval::eval(expr, &scope)?;
        Ok((v, contin_eval::shape::static_shape(expr, &scope)))
    }

    /// The expansion of block `i`, evaluated once (see `expansions`).
    fn expansion(&self, i: usize, scope: &EvalScope<'_>) -> Result<Arc<Expansion>, Diagnostics> {
        if let Some(e) = self.expansions.lock().unwrap_or_else(PoisonError::into_inner).get(&i) {
            return Ok(e.clone());
        }
        let r = &self.config.resources[i];
        let e: Arc<Expansion> = Arc::new(crate::instance::expand(r, scope)?.into_iter().collect());
        self.expansions.lock().unwrap_or_else(PoisonError::into_inner).insert(i, e.clone());
        Ok(e)
    }

    fn scope<'a>(&'a self, values: &'a ApplyValues<'a>) -> crate::scope::EvalScope<'a> {
        crate::scope::EvalScope {
            config: &self.config,
            blocks: &self.prepared.blocks,
            variables: &self.variables,
            values,
            repetition: crate::scope::Repetition::default(),
            io: self.io.as_ref(),
        }
    }
}

/// Resource values from the executor's working state, shaped per block.
struct ApplyValues<'a> {
    config: &'a contin_config::Config,
    values: &'a dyn InstanceValues,
    /// The console's rule (Terraform's evaluator): a resource with no
    /// instance recorded at all is unknown, whatever its `count`/`for_each`.
    absent_unknown: bool,
}

impl crate::scope::ResourceValues for ApplyValues<'_> {
    fn resource_value(&self, index: usize) -> Option<Value> {
        let r = &self.config.resources[index];
        let addr = ResourceAddr { module: r.module.clone(), mode: r.mode, ty: r.ty.clone(), name: r.name.clone(), key: InstanceKey::None };
        let instances = self.values.instances(&addr);
        if self.absent_unknown && instances.is_empty() {
            return Some(Value::Unknown);
        }
        Some(crate::scope::shape_resource(r, instances))
    }
    fn resource_instance(&self, index: usize, key: &InstanceKey) -> Option<Value> {
        let r = &self.config.resources[index];
        self.values.instance(&ResourceAddr { module: r.module.clone(), mode: r.mode, ty: r.ty.clone(), name: r.name.clone(), key: key.clone() })
    }
    fn local_value(&self, name: &str, scope: &crate::scope::EvalScope<'_>) -> Result<Value, contin_types::Diagnostic> {
        let local = self.config.locals.get(name).ok_or_else(|| {
            contin_types::Diagnostic::error(format!("Reference to undeclared local value local.{name}"))
        })?;
        crate::scope::eval_local(self.config, local, scope).map_err(|d| {
            d.0.into_iter().next().unwrap_or_else(|| contin_types::Diagnostic::error(format!("local.{name} failed")))
        })
    }
}

impl ApplyEvaluator for ConfigEvaluator {
    fn final_config(&self, addr: &ResourceAddr, values: &dyn InstanceValues) -> Result<Value, Diagnostics> {
        let key = (addr.mode, addr.ty.clone(), addr.block_name());
        let Some(&i) = self.prepared.blocks.get(&key) else {
            return Err(contin_types::Diagnostic::error(format!("{addr} is not in the configuration")).into());
        };
        let r = &self.config.resources[i];
        let av = ApplyValues { config: &self.config, values, absent_unknown: false };
        let scope = self.scope(&av);
        let expansion = self.expansion(i, &scope)?;
        let Some(rep) = expansion.get(&addr.key).cloned() else {
            return Err(contin_types::Diagnostic::error(format!("{addr} is no longer an instance of its resource block")).at(r.loc.clone()).into());
        };
        let Some(block) = crate::walk::block_schema(r, &self.prepared.block_provider[i], &self.schemas) else {
            return Err(contin_types::Diagnostic::error(format!("no schema for {addr}")).into());
        };
        let prior = values.instance(addr).map(|v| v.unmark_deep().0);
        crate::instance::desired_config(r, block, &scope.with_repetition(rep), prior.as_ref())
    }

    fn has_provisioners(&self, addr: &ResourceAddr, when: ProvisionerWhen) -> bool {
        let key = (addr.mode, addr.ty.clone(), addr.block_name());
        self.prepared.blocks.get(&key).is_some_and(|&i| self.config.resources[i].provisioners.iter().any(|p| p.when == when))
    }

    fn provisioners(&self, addr: &ResourceAddr, when: ProvisionerWhen, values: &dyn InstanceValues) -> Result<Vec<ProvisionerRun>, Diagnostics> {
        let key = (addr.mode, addr.ty.clone(), addr.block_name());
        let Some(&i) = self.prepared.blocks.get(&key) else {
            return Ok(Vec::new());
        };
        let r = &self.config.resources[i];
        if !r.provisioners.iter().any(|p| p.when == when) {
            return Ok(Vec::new());
        }
        let av = ApplyValues { config: &self.config, values, absent_unknown: false };
        let scope = self.scope(&av);
        // Destroy-time: only the instance key is known (the block may have
        // fewer instances now); creation-time: the block's expansion.
        let from_key = || match &addr.key {
            InstanceKey::None => Repetition::default(),
            InstanceKey::Int(n) => Repetition { count_index: Some(*n), ..Repetition::default() },
            InstanceKey::Str(k) => Repetition { each_key: Some(Value::string(k.clone())), ..Repetition::default() },
        };
        let rep = match when {
            ProvisionerWhen::Destroy => from_key(),
            ProvisionerWhen::Create => self.expansion(i, &scope)?.get(&addr.key).cloned().unwrap_or_else(from_key),
        };
        let scope = scope.with_repetition(rep);
        let eval_body = |body: &contin_config::Body| -> Result<Value, Diagnostics> {
            let mut m = BTreeMap::new();
            for (name, a) in &body.attributes {
                m.insert(name.clone(), contin_eval::eval(&a.expr, &scope)?);
            }
            Ok(Value::Map(m))
        };
        let mut out = Vec::new();
        for p in r.provisioners.iter().filter(|p| p.when == when) {
            let args = eval_body(&p.body)?;
            let connection = match p.connection.as_ref().or(r.connection.as_ref()) {
                Some(c) => Some(eval_body(&c.body)?),
                None => None,
            };
            out.push(ProvisionerRun {
                kind: p.kind.clone(),
                args,
                connection,
                on_failure_continue: p.on_failure_continue,
                declared_at: self.config.sources.describe(&p.loc),
            });
        }
        Ok(out)
    }

    fn outputs(&self, values: &dyn InstanceValues) -> Result<BTreeMap<String, (Value, bool)>, Diagnostics> {
        if self.destroy {
            return Ok(BTreeMap::new());
        }
        let av = ApplyValues { config: &self.config, values, absent_unknown: false };
        let scope = self.scope(&av);
        let mut out = BTreeMap::new();
        let mut diags = Diagnostics::new();
        for (name, o) in &self.config.outputs {
            match contin_eval::eval(&o.value, &scope) {
                // A value that turned out sensitive only at apply (e.g. a
                // command's output built from a secret) is refused as at plan.
                Ok(v) if v.contains_sensitive() && !o.sensitive => diags.push(crate::walk::sensitive_output(name, o)),
                Ok(v) => {
                    out.insert(name.clone(), (v, o.sensitive));
                }
                Err(d) => diags.extend(d),
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(out) }
    }
}
