//! Static collection shapes: whether an expression's value is a list or a
//! tuple, a map or an object, where that is known without evaluating it.
//!
//! `Value` keeps lists and tuples in one variant (and maps and objects in
//! another), so the difference Terraform makes in `==` (`tolist([]) == []`
//! is false: a list is never equal to a tuple) is read from the expression:
//! constructors (`[…]`, `{…}`, `for`) make tuples and objects, conversion
//! and collection functions make lists, maps and sets, and a reference takes
//! the shape its [`Scope::reference_shape`] gives (a variable's type
//! constraint, a local's expression). Where the shape is not known
//! ([`Shape::Any`]) values are compared as before, by content.

use crate::eval::Evaluator;
use crate::refs;
use crate::types::TypeConstraint;
use crate::{limits, Reference, Scope};
use contin_config::{Config, Expr, Variable};
use hcl_edit::expr::{Expression, FuncCall, ObjectKey, TraversalOperator};
use std::cell::Cell;
use std::collections::BTreeMap;

/// What is statically known about the type of a value.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Nothing (or only that it is not a collection): compare by value.
    Any,
    List(Box<Shape>),
    Set(Box<Shape>),
    Map(Box<Shape>),
    /// A tuple; elements past the known ones are [`Shape::Any`].
    Tuple(Vec<Shape>),
    /// An object; attributes not listed are [`Shape::Any`].
    Object(BTreeMap<String, Shape>),
}

impl Shape {
    /// The shape of values of a type constraint (`any` tells nothing).
    pub fn of_type(t: &TypeConstraint) -> Shape {
        Self::of_type_at(t, 0)
    }

    fn of_type_at(t: &TypeConstraint, depth: usize) -> Shape {
        if depth >= limits::MAX_TYPE_DEPTH {
            return Shape::Any;
        }
        let d = depth + 1;
        match t {
            TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Bool | TypeConstraint::Any => Shape::Any,
            TypeConstraint::List(e) => Shape::List(Box::new(Self::of_type_at(e, d))),
            TypeConstraint::Set(e) => Shape::Set(Box::new(Self::of_type_at(e, d))),
            TypeConstraint::Map(e) => Shape::Map(Box::new(Self::of_type_at(e, d))),
            TypeConstraint::Tuple(ts) => Shape::Tuple(ts.iter().map(|t| Self::of_type_at(t, d)).collect()),
            TypeConstraint::Object(attrs) => {
                Shape::Object(attrs.iter().map(|(k, a)| (k.clone(), Self::of_type_at(&a.ty, d))).collect())
            }
        }
    }

    /// The shape of an element, attribute or key `key` (None: any element).
    fn child(&self, key: Option<&ChildKey>) -> Shape {
        match (self, key) {
            (Shape::List(e) | Shape::Set(e) | Shape::Map(e), _) => (**e).clone(),
            (Shape::Tuple(ts), Some(ChildKey::Index(i))) => ts.get(*i).cloned().unwrap_or(Shape::Any),
            (Shape::Object(attrs), Some(ChildKey::Name(n))) => attrs.get(n).cloned().unwrap_or(Shape::Any),
            _ => Shape::Any,
        }
    }

    /// Whether values of these shapes can never be equal because their
    /// types differ (a list and a tuple, a map and an object, at any depth).
    pub fn conflicts(&self, other: &Shape) -> bool {
        self.conflicts_at(other, 0)
    }

    fn conflicts_at(&self, other: &Shape, depth: usize) -> bool {
        if depth >= limits::MAX_TYPE_DEPTH {
            return false;
        }
        let d = depth + 1;
        match (self, other) {
            (Shape::Any, _) | (_, Shape::Any) => false,
            (Shape::List(a), Shape::List(b)) | (Shape::Set(a), Shape::Set(b)) | (Shape::Map(a), Shape::Map(b)) => a.conflicts_at(b, d),
            (Shape::Tuple(a), Shape::Tuple(b)) => a.iter().zip(b).any(|(x, y)| x.conflicts_at(y, d)),
            (Shape::Object(a), Shape::Object(b)) => a.iter().any(|(k, x)| b.get(k).is_some_and(|y| x.conflicts_at(y, d))),
            // Different kinds of collection: never equal.
            _ => true,
        }
    }
}

enum ChildKey {
    Index(usize),
    Name(String),
}

/// The statically known shape of `expr` in `scope` (for a scope's
/// [`Scope::reference_shape`] of a local: its expression's shape). Chains of
/// locals are followed [`limits::MAX_SHAPE_REFERENCE_DEPTH`] deep (a cycle
/// ends there too).
pub fn static_shape(expr: &Expr, scope: &dyn Scope) -> Shape {
    // Scopes answer locals by calling back here: bound the chain (and any
    // cycle) per thread, and the stack from the outermost walk on.
    let depth = DEPTH.with(|d| d.get());
    if depth >= limits::MAX_SHAPE_REFERENCE_DEPTH {
        return Shape::Any;
    }
    with_stack_base(crate::eval::stack_addr(), |base| {
        DEPTH.with(|d| d.set(depth + 1));
        let mut ev = Evaluator::new(scope, &expr.file);
        ev.stack_base = base;
        let s = ev.shape(&expr.expr, 0);
        DEPTH.with(|d| d.set(depth));
        s
    })
}

thread_local! {
    /// Locals followed by the current shape walk.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Stack address where the outermost shape walk (or the evaluation that
    /// asked) started.
    static BASE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Runs `f` with the stack base of the outermost walk (`base` when this is
/// the outermost).
pub(crate) fn with_stack_base<T>(base: usize, f: impl FnOnce(usize) -> T) -> T {
    let outer = BASE.with(|b| b.get());
    if outer.is_none() {
        BASE.with(|b| b.set(Some(base)));
    }
    let r = f(outer.unwrap_or(base));
    if outer.is_none() {
        BASE.with(|b| b.set(None));
    }
    r
}

impl Evaluator<'_> {
    /// The shape of `e` (see the module docs); `depth` bounds the walk.
    pub(crate) fn shape(&self, e: &Expression, depth: usize) -> Shape {
        if depth >= limits::MAX_EXPRESSION_DEPTH || self.stack_base.abs_diff(crate::eval::stack_addr()) > limits::MAX_EVAL_STACK_BYTES {
            return Shape::Any;
        }
        let d = depth + 1;
        match e {
            Expression::Array(a) => Shape::Tuple(a.iter().map(|i| self.shape(i, d)).collect()),
            Expression::Object(o) => Shape::Object(
                o.iter()
                    .filter_map(|(k, v)| {
                        let name = match k {
                            ObjectKey::Ident(id) => id.value().as_str().to_string(),
                            ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                            ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                            ObjectKey::Expression(_) => return None,
                        };
                        Some((name, self.shape(v.expr(), d)))
                    })
                    .collect(),
            ),
            Expression::ForExpr(f) => {
                if f.key_expr.is_some() {
                    Shape::Object(BTreeMap::new())
                } else {
                    Shape::Tuple(Vec::new())
                }
            }
            Expression::Parenthesis(p) => self.shape(p.inner(), d),
            Expression::Conditional(c) => {
                let (t, f) = (self.shape(&c.true_expr, d), self.shape(&c.false_expr, d));
                if t == f {
                    t
                } else {
                    Shape::Any
                }
            }
            Expression::FuncCall(call) => self.call_shape(call, d),
            Expression::Variable(id) => {
                if self.local(id.as_str()).is_some() {
                    return Shape::Any;
                }
                match refs::resolve_root(id, &[], &self.file) {
                    Ok(root) => self.scope.reference_shape(&root.reference),
                    Err(_) => Shape::Any,
                }
            }
            Expression::Traversal(t) => {
                let (mut shape, ops) = match &t.expr {
                    Expression::Variable(id) if self.local(id.as_str()).is_none() => {
                        match refs::resolve_root(id, &t.operators, &self.file) {
                            Ok(root) => (self.scope.reference_shape(&root.reference), &t.operators[root.consumed..]),
                            Err(_) => return Shape::Any,
                        }
                    }
                    other => (self.shape(other, d), &t.operators[..]),
                };
                for op in ops {
                    shape = match op.value() {
                        TraversalOperator::GetAttr(name) => shape.child(Some(&ChildKey::Name(name.as_str().to_string()))),
                        TraversalOperator::Index(Expression::Number(n)) => {
                            let i = n.value().as_u64().and_then(|i| usize::try_from(i).ok());
                            shape.child(i.map(ChildKey::Index).as_ref())
                        }
                        TraversalOperator::Index(Expression::String(s)) => shape.child(Some(&ChildKey::Name(s.value().to_string()))),
                        TraversalOperator::Index(_) => shape.child(None),
                        TraversalOperator::LegacyIndex(n) => {
                            shape.child(usize::try_from(*n.value()).ok().map(ChildKey::Index).as_ref())
                        }
                        // A splat keeps a list a list and a tuple a tuple;
                        // what it selects from each element is not followed.
                        TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) => {
                            return match shape {
                                Shape::List(_) | Shape::Set(_) => Shape::List(Box::new(Shape::Any)),
                                Shape::Tuple(_) => Shape::Tuple(Vec::new()),
                                _ => Shape::Any,
                            }
                        }
                    };
                }
                shape
            }
            _ => Shape::Any,
        }
    }

    /// Result shapes of the functions whose result kind Terraform fixes.
    fn call_shape(&self, call: &FuncCall, d: usize) -> Shape {
        let ns: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
        if !(ns.is_empty() || ns == ["core"]) {
            return Shape::Any;
        }
        let arg = |i: usize| call.args.iter().nth(i).map_or(Shape::Any, |a| self.shape(a, d));
        let list = || Shape::List(Box::new(Shape::Any));
        match call.name.name.as_str() {
            "tolist" => Shape::List(Box::new(arg(0).child(None))),
            "toset" | "setunion" | "setintersection" | "setsubtract" | "fileset" => Shape::Set(Box::new(Shape::Any)),
            // Sets in, a set of tuples out; lists or tuples in, a list.
            "setproduct" => {
                let shapes: Vec<Shape> = (0..call.args.len()).map(arg).collect();
                let tuple = Box::new(Shape::Tuple(Vec::new()));
                if shapes.iter().any(|s| matches!(s, Shape::Set(_))) {
                    Shape::Set(tuple)
                } else if !shapes.is_empty() && shapes.iter().all(|s| matches!(s, Shape::List(_) | Shape::Tuple(_))) {
                    Shape::List(tuple)
                } else {
                    Shape::Any
                }
            }
            "tomap" => Shape::Map(Box::new(arg(0).child(None))),
            "split" | "formatlist" | "regexall" | "range" | "sort" | "compact" | "cidrsubnets" | "matchkeys" | "distinct" => list(),
            "chunklist" => Shape::List(Box::new(list())),
            "csvdecode" => Shape::List(Box::new(Shape::Object(BTreeMap::new()))),
            "transpose" => Shape::Map(Box::new(list())),
            "flatten" => Shape::Tuple(Vec::new()),
            "keys" => match arg(0) {
                Shape::Map(_) => list(),
                Shape::Object(_) => Shape::Tuple(Vec::new()),
                _ => Shape::Any,
            },
            "values" => match arg(0) {
                Shape::Map(e) => Shape::List(e),
                Shape::Object(_) => Shape::Tuple(Vec::new()),
                _ => Shape::Any,
            },
            "reverse" | "slice" => match arg(0) {
                Shape::List(e) => Shape::List(e),
                Shape::Tuple(_) => Shape::Tuple(Vec::new()),
                _ => Shape::Any,
            },
            "concat" => {
                let shapes: Vec<Shape> = (0..call.args.len()).map(arg).collect();
                if !shapes.is_empty() && shapes.iter().all(|s| matches!(s, Shape::List(_))) {
                    list()
                } else if shapes.iter().any(|s| matches!(s, Shape::Tuple(_))) {
                    Shape::Tuple(Vec::new())
                } else {
                    Shape::Any
                }
            }
            "merge" => {
                let shapes: Vec<Shape> = (0..call.args.len()).map(arg).collect();
                if !shapes.is_empty() && shapes.iter().all(|s| matches!(s, Shape::Map(_))) {
                    Shape::Map(Box::new(Shape::Any))
                } else if !shapes.is_empty() && shapes.iter().all(|s| matches!(s, Shape::Object(_))) {
                    Shape::Object(BTreeMap::new())
                } else {
                    Shape::Any
                }
            }
            "coalescelist" => {
                let shapes: Vec<Shape> = (0..call.args.len()).map(arg).collect();
                match shapes.first() {
                    Some(first) if shapes.iter().all(|s| s == first) => first.clone(),
                    _ => Shape::Any,
                }
            }
            "lookup" => match call.args.iter().nth(1) {
                Some(Expression::String(k)) => arg(0).child(Some(&ChildKey::Name(k.value().to_string()))),
                _ => arg(0).child(None),
            },
            "element" | "one" => arg(0).child(None),
            "sensitive" | "nonsensitive" => arg(0),
            "zipmap" => match arg(1) {
                Shape::List(e) => Shape::Map(e),
                Shape::Tuple(_) => Shape::Object(BTreeMap::new()),
                _ => Shape::Any,
            },
            _ => Shape::Any,
        }
    }
}

/// The shape of a variable of type `ty` (for [`Scope::reference_shape`]).
pub fn variable_shape(ty: Option<&TypeConstraint>) -> Shape {
    ty.map_or(Shape::Any, Shape::of_type)
}

/// [`Scope::reference_shape`] for a scope over a configuration: a variable's
/// shape from its type constraint, a local's from its expression (a local
/// standing for a module's input variable: that variable's type).
pub fn config_reference_shape(config: &Config, r: &Reference, scope: &dyn Scope) -> Shape {
    let of_variable = |v: &Variable| match &v.ty {
        Some(t) => crate::types::parse_type(t).map_or(Shape::Any, |t| Shape::of_type(&t)),
        None => Shape::Any,
    };
    match r {
        Reference::Var(n) => config.variables.get(n).map_or(Shape::Any, of_variable),
        Reference::Local(n) => match config.module_vars.get(n) {
            Some(mv) => of_variable(&mv.variable),
            None => config.locals.get(n).map_or(Shape::Any, |l| static_shape(&l.expr, scope)),
        },
        _ => Shape::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmptyScope;

    fn shape(src: &str) -> Shape {
        static_shape(&crate::parse_expr(src, "t.tf").unwrap(), &EmptyScope)
    }

    #[test]
    fn constructors_are_tuples_and_objects_conversions_lists_and_maps() {
        assert_eq!(shape("[1, [2]]"), Shape::Tuple(vec![Shape::Any, Shape::Tuple(vec![Shape::Any])]));
        assert_eq!(shape("[for x in [1]: x]"), Shape::Tuple(vec![]));
        assert_eq!(shape("{for x in [1]: x => x}"), Shape::Object(BTreeMap::new()));
        assert_eq!(shape("tolist([])"), Shape::List(Box::new(Shape::Any)));
        assert_eq!(shape("tomap({})"), Shape::Map(Box::new(Shape::Any)));
        assert_eq!(shape("keys(tomap({a = 1}))"), Shape::List(Box::new(Shape::Any)));
        assert_eq!(shape("keys({a = 1})"), Shape::Tuple(vec![]));
        assert_eq!(shape("concat(tolist([]), [])"), Shape::Tuple(vec![]));
        assert_eq!(shape("{a = tolist([])}.a"), Shape::List(Box::new(Shape::Any)));
        assert_eq!(shape("tolist([])[*]"), Shape::List(Box::new(Shape::Any)));
        assert_eq!(shape("upper(\"x\")"), Shape::Any);
    }

    #[test]
    fn a_cycle_of_locals_ends_at_the_limit() {
        let (config, _) = contin_config::parse_files(&[("main.tf".to_string(), "locals {\n  a = local.b\n  b = local.a\n}\n".to_string())]);
        struct Cyclic(Config);
        impl Scope for Cyclic {
            fn lookup(&self, r: &Reference, loc: &contin_types::SourceLoc) -> Result<contin_types::Value, contin_types::Diagnostic> {
                Err(contin_types::Diagnostic::error(format!("no {r}")).at(loc.clone()))
            }
            fn reference_shape(&self, r: &Reference) -> Shape {
                config_reference_shape(&self.0, r, self)
            }
        }
        let scope = Cyclic(config);
        assert_eq!(static_shape(&crate::parse_expr("local.a", "t.tf").unwrap(), &scope), Shape::Any);
    }

    #[test]
    fn lists_conflict_with_tuples_at_any_depth() {
        let l = Shape::List(Box::new(Shape::Any));
        let t = Shape::Tuple(vec![]);
        assert!(l.conflicts(&t));
        assert!(!l.conflicts(&Shape::Any));
        assert!(!t.conflicts(&Shape::Tuple(vec![Shape::Any])));
        let o = |s: Shape| Shape::Object([("a".to_string(), s)].into_iter().collect());
        assert!(o(l.clone()).conflicts(&o(t.clone())));
        assert!(!o(l.clone()).conflicts(&o(l.clone())));
        assert!(Shape::Map(Box::new(Shape::Any)).conflicts(&Shape::Object(BTreeMap::new())));
        assert_eq!(variable_shape(None), Shape::Any);
        assert_eq!(variable_shape(Some(&TypeConstraint::List(Box::new(TypeConstraint::String)))), l);
    }
}
