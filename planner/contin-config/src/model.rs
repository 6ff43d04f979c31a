//! Typed configuration blocks. Expressions stay unevaluated (`Expr`), with
//! their file so any later stage can point at them.

use contin_types::{ResourceMode, SourceLoc, SourceMap};
use hcl_edit::Span;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An unevaluated expression and the file it came from. `expr.span()` is a
/// byte range into that file.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub expr: hcl_edit::expr::Expression,
    pub file: Arc<str>,
}

impl Expr {
    pub fn loc(&self) -> SourceLoc {
        SourceLoc::new(self.file.to_string(), self.expr.span().unwrap_or(0..0))
    }
    /// Location of a sub-expression of this one (same file).
    pub fn loc_of(&self, sub: &impl Span) -> SourceLoc {
        SourceLoc::new(self.file.to_string(), sub.span().unwrap_or(0..0))
    }
}

/// `name = expr` inside a block.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub expr: Expr,
    /// The whole `name = expr` line.
    pub loc: SourceLoc,
}

/// A nested block inside a resource/provider body (`ingress { … }`).
#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    pub ty: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub loc: SourceLoc,
}

/// The arbitrary part of a block: attributes and nested blocks in source order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Body {
    /// Boxed: a B-tree leaf holds 11 slots, so an unboxed 208-byte
    /// `Attribute` cost ~2.5 KB per body however few arguments it has
    /// (100,000 two-argument resources: ~180 MB more peak memory).
    pub attributes: BTreeMap<String, Box<Attribute>>,
    pub blocks: Vec<NestedBlock>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: String,
    /// The type constraint expression (`list(string)`), if any.
    pub ty: Option<Expr>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    /// `ephemeral = true`: usable in provider configuration and locals, not
    /// in resource arguments or outputs (checked by the graph).
    pub ephemeral: bool,
    /// `validation { condition, error_message }` blocks, in source order.
    pub validations: Vec<VariableValidation>,
    pub loc: SourceLoc,
}

/// One `validation` block of a variable.
#[derive(Clone, Debug, PartialEq)]
pub struct VariableValidation {
    pub condition: Expr,
    pub error_message: Expr,
    pub loc: SourceLoc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
    pub loc: SourceLoc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Reference>,
    pub loc: SourceLoc,
    /// `precondition` blocks, checked before the value is recorded.
    pub preconditions: Vec<Condition>,
}

/// `provider "aws" { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderBlock {
    pub name: String,
    pub alias: Option<String>,
    pub body: Body,
    pub loc: SourceLoc,
}

/// `backend "s3" { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendBlock {
    pub kind: String,
    pub body: Body,
    pub loc: SourceLoc,
}

/// A static reference written in `depends_on` (`aws_vpc.main`, `data.x.y`).
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub mode: ResourceMode,
    pub ty: String,
    pub name: String,
    pub loc: SourceLoc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum IgnoreChanges {
    /// `ignore_changes = all`
    All,
    /// Attribute names (top-level paths, e.g. `tags`).
    Attrs(Vec<String>),
}

/// A `precondition` / `postcondition` block (resources, data sources,
/// outputs) or a `check` block's `assert`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub condition: Expr,
    pub error_message: Expr,
    /// The block keyword (`precondition`).
    pub loc: SourceLoc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub loc: Option<SourceLoc>,
    /// `precondition` blocks: checked before the instance is planned.
    pub preconditions: Vec<Condition>,
    /// `postcondition` blocks: checked on the planned (or read) value, `self`.
    pub postconditions: Vec<Condition>,
    /// `replace_triggered_by = [aws_x.a, aws_y.b.id]`: one expression each.
    pub replace_triggered_by: Vec<Expr>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            prevent_destroy: false,
            create_before_destroy: false,
            ignore_changes: IgnoreChanges::Attrs(Vec::new()),
            loc: None,
            preconditions: Vec::new(),
            postconditions: Vec::new(),
            replace_triggered_by: Vec::new(),
        }
    }
}

/// A `resource` or `data` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub mode: ResourceMode,
    pub ty: String,
    pub name: String,
    /// `provider = aws.west` override; otherwise implied by the type prefix.
    pub provider: Option<String>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Reference>,
    pub lifecycle: Lifecycle,
    /// Everything but the meta-arguments.
    pub body: Body,
    /// The block header (`resource "t" "n"`), for messages.
    pub loc: SourceLoc,
    /// Module instance path (`module.net`, `module.a.module.b`); empty in
    /// the root module. See `modules.rs`.
    pub module: String,
    /// `provisioner "TYPE" { … }` blocks in source order (`provisioners.rs`).
    pub provisioners: Vec<Provisioner>,
    /// The resource-level `connection { … }` block.
    pub connection: Option<Connection>,
}

/// When a provisioner runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvisionerWhen {
    /// After the object is created (the default).
    Create,
    /// Before the object is deleted (`when = destroy`).
    Destroy,
}

/// A `provisioner "local-exec" | "remote-exec" | "file" { … }` block.
/// `self` references in it are rewritten to the resource's own instance
/// (`TYPE.NAME`, `[count.index]` / `[each.key]` when repeated).
#[derive(Clone, Debug, PartialEq)]
pub struct Provisioner {
    /// `local-exec`, `remote-exec` or `file`.
    pub kind: String,
    /// The provisioner's own arguments (`command`, `inline`, `destination`, …).
    pub body: Body,
    /// Its own `connection` block (else the resource's applies).
    pub connection: Option<Connection>,
    pub when: ProvisionerWhen,
    /// `on_failure = continue`: a failure is reported and ignored.
    pub on_failure_continue: bool,
    /// The block header (`provisioner "local-exec"`), for messages.
    pub loc: SourceLoc,
}

/// A `connection { type = "ssh", host = …, … }` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    pub body: Body,
    pub loc: SourceLoc,
}

impl Resource {
    /// The name in the block table and in rewritten references: `NAME` in
    /// the root module, `MODULE.NAME` inside one.
    pub fn block_name(&self) -> String {
        if self.module.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.module, self.name)
        }
    }
}

/// A `module "NAME" { source = … }` block, before expansion.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub source_loc: SourceLoc,
    /// `version` constraint (registry sources).
    pub version: Option<String>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Reference>,
    /// `providers = { CHILD = PARENT }` (`aws` / `aws.west` keys).
    pub providers: Vec<(String, String, SourceLoc)>,
    /// Input variable arguments.
    pub args: BTreeMap<String, Attribute>,
    pub loc: SourceLoc,
}

/// An input variable of a called module: flattened into the local named
/// `module.NAME.var.X`, whose value gets the variable's type conversion,
/// default (for null when not nullable) and validations.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleVar {
    pub variable: Variable,
    /// The module call (for messages).
    pub call_loc: SourceLoc,
}

/// One `NAME = { source = "...", version = "..." }` of `required_providers`.
#[derive(Clone, Debug, PartialEq)]
pub struct RequiredProvider {
    /// The local name (`aws`).
    pub name: String,
    /// `source` as written, or `hashicorp/NAME` when omitted.
    pub source: String,
    pub version: Option<String>,
    pub loc: SourceLoc,
}

/// What `terraform { … }` blocks declare (backend aside: see `Config::backend`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TerraformSettings {
    /// Every `required_version` (all must hold), with its location.
    pub required_version: Vec<(String, SourceLoc)>,
    pub required_providers: BTreeMap<String, RequiredProvider>,
    /// `cloud { … }` (ignored, with a warning).
    pub cloud: Option<SourceLoc>,
}

/// `moved { from = …  to = … }`: state recorded at `from` now belongs to `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct MovedBlock {
    pub from: contin_types::ResourceAddr,
    pub to: contin_types::ResourceAddr,
    pub from_loc: SourceLoc,
    pub to_loc: SourceLoc,
    pub loc: SourceLoc,
}

/// `removed { from = …  lifecycle { destroy = false } }`.
#[derive(Clone, Debug, PartialEq)]
pub struct RemovedBlock {
    /// A whole resource or module (no instance key).
    pub from: contin_types::ResourceAddr,
    pub from_loc: SourceLoc,
    /// `false`: forget the objects (state only); `true`: destroy them.
    pub destroy: bool,
    pub lifecycle_loc: Option<SourceLoc>,
    pub loc: SourceLoc,
}

/// `import { to = TYPE.NAME[KEY]  id = …  for_each = … }` (root module).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportBlock {
    pub ty: String,
    pub name: String,
    /// The instance key expression (may use `each.key`/`each.value`).
    pub key: Option<Expr>,
    pub to_loc: SourceLoc,
    pub id: Expr,
    pub for_each: Option<Expr>,
    /// `provider = aws.west`.
    pub provider: Option<String>,
    pub loc: SourceLoc,
}

/// `check "NAME" { data … assert { … } }`: failed asserts are warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckBlock {
    pub name: String,
    /// The scoped data source (`(type, name)`, declared in `Config::resources`).
    pub data: Option<(String, String)>,
    pub asserts: Vec<Condition>,
    pub loc: SourceLoc,
}

/// A whole configuration directory.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Config {
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub outputs: BTreeMap<String, Output>,
    pub providers: BTreeMap<String, ProviderBlock>,
    /// Managed and data resources in file/source order.
    pub resources: Vec<Resource>,
    pub backend: Option<BackendBlock>,
    /// `terraform { required_version, required_providers, cloud }`.
    pub terraform: TerraformSettings,
    /// Text of every parsed file (relative names), for diagnostics and plan files.
    pub sources: SourceMap,
    /// `module` blocks of this module (emptied by `modules::expand`, which
    /// flattens their contents into this configuration).
    pub module_calls: Vec<ModuleCall>,
    /// Locals that stand for module input variables (see [`ModuleVar`]).
    pub module_vars: BTreeMap<String, ModuleVar>,
    /// Every expanded module instance: path (`module.a.module.b`) → source
    /// directory relative to the root.
    pub modules: BTreeMap<String, String>,
    /// `moved` blocks, in source order.
    pub moved: Vec<MovedBlock>,
    /// `removed` blocks, in source order.
    pub removed: Vec<RemovedBlock>,
    /// `import` blocks, in source order.
    pub imports: Vec<ImportBlock>,
    /// `check` blocks, in source order.
    pub checks: Vec<CheckBlock>,
}
