//! Expression evaluation, Terraform built-in functions, type constraints and
//! variable input for contin.
//!
//! Architecture invariant: no IO. File access (`file()`, `templatefile()`)
//! goes through `Scope::read_file`, which the CLI implements.

pub mod console;
mod cycles;
mod cty;
mod dynamic;
mod eval;
pub mod limits;
pub mod funcs;
mod number;
mod refs;
pub mod shape;
mod template;
pub mod types;
pub mod vars;

use contin_config::{Body, Expr};
use contin_types::{Diagnostic, Diagnostics, ResourceMode, SourceLoc, Value};

pub use cycles::check_cycles;
pub use dynamic::{eval_with_locals, iterator_name, MAX_DYNAMIC_BLOCKS, MAX_DYNAMIC_DEPTH};
pub use refs::{body_references, references};

/// A root reference an expression makes to something outside itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    /// `var.NAME`
    Var(String),
    /// `local.NAME`
    Local(String),
    /// `TYPE.NAME` or `data.TYPE.NAME`
    Resource { mode: ResourceMode, ty: String, name: String },
    /// `count.index`
    CountIndex,
    /// `each.key`
    EachKey,
    /// `each.value`
    EachValue,
    /// `path.module`, `path.root` or `path.cwd` (the attribute name).
    Path(String),
    /// `terraform.workspace`
    TerraformWorkspace,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Var(n) => write!(f, "var.{n}"),
            Reference::Local(n) => write!(f, "local.{n}"),
            Reference::Resource { mode: ResourceMode::Managed, ty, name } => write!(f, "{ty}.{name}"),
            Reference::Resource { mode: ResourceMode::Data, ty, name } => write!(f, "data.{ty}.{name}"),
            Reference::CountIndex => f.write_str("count.index"),
            Reference::EachKey => f.write_str("each.key"),
            Reference::EachValue => f.write_str("each.value"),
            Reference::Path(a) => write!(f, "path.{a}"),
            Reference::TerraformWorkspace => f.write_str("terraform.workspace"),
        }
    }
}

/// A reference and where it is written (the root and the attributes that name it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefSite {
    pub reference: Reference,
    pub loc: SourceLoc,
}

/// What an expression can see: the values of root references, and files.
pub trait Scope {
    /// Value of a root reference. Resources: the WHOLE resource value — an
    /// object (no count/for_each), a list (count) or a map (for_each) of
    /// instance objects; the evaluator applies the rest of the traversal
    /// (`.id`, `[0]`, `[*].id`). Unknown-when-not-applied values come as
    /// `Value::Unknown` inside.
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic>;
    /// `resource[key]` without building the whole resource value: the one
    /// instance's value when the scope can give it cheaply and `key` names
    /// an existing instance; `None` falls back to `lookup` + indexing (which
    /// also produces the errors). Must agree with indexing `lookup`'s value.
    fn lookup_instance(&self, _r: &Reference, _key: &Value) -> Option<Value> {
        None
    }
    /// For file()/templatefile(): the planner has no IO, the CLI supplies this.
    fn read_file(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot read {path}: file access is not available here"))
    }
    /// For filebase64()/filemd5()/filesha*()/rsadecrypt inputs: the raw
    /// bytes of a file. The default goes through `read_file` (text files only).
    fn read_file_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.read_file(path).map(String::into_bytes)
    }
    /// For fileexists(): whether `path` is an existing regular file (an
    /// error for a directory or when the answer cannot be given).
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        Err(format!("cannot check {path}: file access is not available here"))
    }
    /// For fileset(): the regular files under directory `dir`, recursively,
    /// as `/`-separated paths relative to `dir` (at most
    /// [`limits::MAX_FILESET_ENTRIES`] of them); none when `dir` does not
    /// exist (Terraform's fileset gives an empty set then).
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        Err(format!("cannot list {dir}: file access is not available here"))
    }
    /// For abspath(): the directory relative paths resolve against.
    fn current_dir(&self) -> Option<String> {
        None
    }
    /// For pathexpand(): the user's home directory.
    fn home_dir(&self) -> Option<String> {
        None
    }
    /// For timestamp(): now, in whole seconds since the Unix epoch (UTC).
    /// `None` makes timestamp() unknown: Terraform's plan does that (the
    /// value is decided at apply), so a planning scope should return `None`
    /// and the apply-time scope the clock. The default is the clock (the
    /// console's behaviour).
    fn now_unix(&self) -> Option<i64> {
        Some(unix_now())
    }
    /// For plantimestamp(): the time the plan was made (default: now).
    fn plan_time_unix(&self) -> i64 {
        unix_now()
    }
    /// Whether a reference's value is a list or a tuple, a map or an
    /// object (`Value` does not say; `==` does: `tolist([]) == []` is false).
    /// A variable: [`shape::variable_shape`] of its type constraint; a local:
    /// [`shape::static_shape`] of its expression. The default knows nothing
    /// (values are then compared by content).
    fn reference_shape(&self, _r: &Reference) -> shape::Shape {
        shape::Shape::Any
    }
}

/// The system clock in whole seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A scope in which nothing can be referenced (constant expressions,
/// variable defaults, tfvars files).
#[derive(Clone, Copy, Debug, Default)]
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Variables not allowed")
            .with_detail(format!("Variables may not be used here (found a reference to {r}).")).at(loc.clone()))
    }
}

/// Evaluates one expression.
pub fn eval(expr: &Expr, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    eval::Evaluator::new(scope, &expr.file).eval_root(&expr.expr).map_err(Diagnostics::from)
}

/// Evaluates a body: a `Value::Map` of attributes by name; nested blocks as a
/// `List` of maps under the block type name (labels ignored); `dynamic`
/// blocks are expanded (`dynamic.rs`). Reports every failing attribute at once.
pub fn eval_body(body: &Body, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    dynamic::eval_body(body, scope)
}

/// Parses an expression from text (for tests, tfvars values and `-var`).
pub fn parse_expr(text: &str, file: &str) -> Result<Expr, Diagnostic> {
    text.trim_end().parse::<hcl_edit::expr::Expression>()
        .map(|expr| Expr { expr, file: file.into() })
        .map_err(|e| Diagnostic::error("Invalid expression").with_detail(e.to_string()).at(SourceLoc::new(file, 0..0)))
}
#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod fuzz_tests;
