//! The expression evaluator: literals, operators, conditionals, for
//! expressions, traversals and splats, function calls. Templates live in
//! `template.rs`, functions in `funcs/`.

use crate::funcs::{self, FuncError};
use crate::{limits, number, types};
use crate::refs::{self, RootRef};
use crate::{Reference, Scope};
use contin_types::{Diagnostic, SourceLoc, Value};
use hcl_edit::expr::{
    BinaryOperator, Conditional, Expression, ForExpr, FuncCall, ObjectKey, Traversal, TraversalOperator, UnaryOperator,
};
use hcl_edit::{Decorated, Span};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

pub(crate) type R = Result<Value, Diagnostic>;

/// A lazily built `SourceLoc` (file + span), so the success path allocates nothing.
#[derive(Clone, Debug)]
pub(crate) struct Lz {
    file: Arc<str>,
    span: Option<Range<usize>>,
}

impl Lz {
    pub(crate) fn at(&self) -> SourceLoc {
        SourceLoc::new(self.file.to_string(), self.span.clone().unwrap_or(0..0))
    }
}

/// Evaluation state for one root expression: the scope and the local
/// variables introduced by `for` expressions and template directives.
pub(crate) struct Evaluator<'a> {
    pub(crate) scope: &'a dyn Scope,
    pub(crate) file: Arc<str>,
    pub(crate) locals: Vec<(String, Value)>,
    /// Current evaluation depth (bounded by `limits::MAX_EXPRESSION_DEPTH`).
    pub(crate) depth: usize,
    /// `templatefile` calls currently being evaluated (bounded by `limits::MAX_TEMPLATEFILE_DEPTH`).
    pub(crate) template_depth: usize,
    /// Address of a local of the outermost evaluation: the stack used since
    /// is bounded by `limits::MAX_EVAL_STACK_BYTES` (frames are large in debug builds).
    pub(crate) stack_base: usize,
    /// References that failed to resolve so far (undeclared names, malformed
    /// references): Terraform rejects those before evaluating, so `can` and
    /// `try` pass such errors on instead of catching them.
    pub(crate) static_errors: usize,
}

/// An address on the current stack (no unsafe: the address is only compared).
#[inline(never)]
pub(crate) fn stack_addr() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(scope: &'a dyn Scope, file: &Arc<str>) -> Self {
        Evaluator {
            scope,
            file: file.clone(),
            locals: Vec::new(),
            depth: 0,
            template_depth: 0,
            stack_base: stack_addr(),
            static_errors: 0,
        }
    }

    pub(crate) fn eval_root(&mut self, e: &Expression) -> R {
        self.eval(e)
    }

    pub(crate) fn loc(&self, span: Option<Range<usize>>) -> SourceLoc {
        SourceLoc::new(self.file.to_string(), span.unwrap_or(0..0))
    }

    /// A location built only when an error needs it.
    pub(crate) fn lz(&self, span: Option<Range<usize>>) -> Lz {
        Lz { file: self.file.clone(), span }
    }

    pub(crate) fn local(&self, name: &str) -> Option<&Value> {
        self.locals.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Evaluates a sub-expression, bounding the recursion depth.
    pub(crate) fn eval(&mut self, e: &Expression) -> R {
        if self.depth >= limits::MAX_EXPRESSION_DEPTH {
            return Err(Diagnostic::error("Expression too deeply nested")
                .with_detail(format!(
                    "Evaluation is nested more than {} levels deep (MAX_EXPRESSION_DEPTH).",
                    limits::MAX_EXPRESSION_DEPTH
                ))
                .at(self.loc(e.span())));
        }
        // The stack grows down on every platform Rust supports here; be safe either way.
        if self.stack_base.abs_diff(stack_addr()) > limits::MAX_EVAL_STACK_BYTES {
            return Err(Diagnostic::error("Expression too deeply nested")
                .with_detail(format!(
                    "Evaluation is nested so deeply that it uses more than {} KiB of stack (MAX_EVAL_STACK_BYTES).",
                    limits::MAX_EVAL_STACK_BYTES >> 10
                ))
                .at(self.loc(e.span())));
        }
        self.depth += 1;
        let r = self.eval_inner(e);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expression) -> R {
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => self.eval_number(n),
            Expression::String(s) => Ok(Value::String(nfc(s.value()))),
            Expression::Array(a) => self.eval_array(a),
            Expression::Object(o) => self.eval_object(o),
            Expression::StringTemplate(t) => crate::template::eval_template(self, t),
            Expression::HeredocTemplate(h) => crate::template::eval_template(self, &h.template),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(id) => self.eval_variable(id),
            Expression::Conditional(c) => self.eval_conditional(c),
            Expression::FuncCall(f) => self.eval_call(f),
            Expression::Traversal(t) => self.eval_traversal(t),
            Expression::UnaryOp(u) => self.eval_unary(u),
            Expression::BinaryOp(b) => self.eval_binary(b),
            Expression::ForExpr(f) => self.eval_for(f),
        }
    }

    // A separate (never inlined) function keeps eval_inner's stack frame small:
    // it is on the stack once per nesting level.
    #[inline(never)]
    fn eval_number(&mut self, n: &hcl_edit::Formatted<hcl_edit::Number>) -> R {
        number::from_literal(n).map(Value::Number).map_err(|msg| {
                Diagnostic::error("Invalid number literal")
                    .with_detail(format!("Failed to recognize the value of this number literal: {msg}."))
                    .at(self.loc(n.span()))
            })
    }

    // A separate (never inlined) function keeps eval_inner's stack frame small:
    // it is on the stack once per nesting level.
    #[inline(never)]
    fn eval_array(&mut self, a: &hcl_edit::expr::Array) -> R {
        let mut items = Vec::with_capacity(a.len());
        for item in a.iter() {
            items.push(self.eval(item)?);
        }
        Ok(Value::List(items))
    }

    // A separate (never inlined) function keeps eval_inner's stack frame small:
    // it is on the stack once per nesting level.
    #[inline(never)]
    fn eval_object(&mut self, o: &hcl_edit::expr::Object) -> R {
        let mut map = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in o.iter() {
            let key = match k {
                ObjectKey::Ident(id) => id.value().as_str().to_string(),
                // HCL: a bare identifier as a key is a literal name.
                ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                ObjectKey::Expression(ke) => {
                    let kv = self.eval(ke)?;
                    let key_marked = kv.contains_sensitive();
                    match key_string(kv).map_err(|m| redact_if(m, key_marked)) {
                        Ok(Some(s)) => s,
                        Ok(None) => {
                            unknown = true;
                            continue;
                        }
                        Err(msg) => {
                            return Err(Diagnostic::error("Incorrect key type")
                                .with_detail(format!("Can't use this value as a key: {msg}."))
                                .at(self.loc(ke.span())))
                        }
                    }
                }
            };
            let val = self.eval(v.expr())?;
            map.insert(key, val);
        }
        Ok(if unknown { Value::Unknown } else { Value::Map(map) })
    }

    // A separate (never inlined) function keeps eval_inner's stack frame small:
    // it is on the stack once per nesting level.
    #[inline(never)]
    fn eval_unary(&mut self, u: &hcl_edit::expr::UnaryOp) -> R {
        let v = self.eval(&u.expr)?;
        let loc = self.lz(u.span());
        let (v, marked) = unmark(v);
        let r = match u.operator.value() {
            UnaryOperator::Neg => match to_number(v) {
                Ok(Some(n)) => Value::Number(number::neg(&n)),
                Ok(None) => Value::Unknown,
                Err(msg) => return Err(operand_error("operand", &redact_if(msg, marked), &loc)),
            },
            UnaryOperator::Not => match to_bool(v) {
                Ok(Some(b)) => Value::Bool(!b),
                Ok(None) => Value::Unknown,
                Err(msg) => return Err(operand_error("operand", &redact_if(msg, marked), &loc)),
            },
        };
        Ok(remark(r, marked))
    }

    // A separate (never inlined) function keeps eval_inner's stack frame small:
    // it is on the stack once per nesting level.
    #[inline(never)]
    fn eval_binary(&mut self, b: &hcl_edit::expr::BinaryOp) -> R {
        let lhs = self.eval(&b.lhs_expr)?;
        let rhs = self.eval(&b.rhs_expr)?;
        let op = *b.operator.value();
        if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq) && is_collection(&lhs) && is_collection(&rhs) && self.kinds_differ(b) {
            // A list never equals a tuple, nor a map an object (their types
            // differ), whatever the elements.
            if lhs.is_wholly_known() && rhs.is_wholly_known() {
                let marked = lhs.contains_sensitive() || rhs.contains_sensitive();
                return Ok(remark(Value::Bool(op == BinaryOperator::NotEq), marked));
            }
        }
        binary(*b.operator.value(), lhs, rhs, self.lz(b.lhs_expr.span()), self.lz(b.rhs_expr.span()), self.lz(b.span()))
    }


    /// Whether the operands' expressions are of different collection kinds
    /// (list and tuple, map and object: see `shape`). Not inlined: only
    /// collection comparisons pay for its stack frame.
    #[inline(never)]
    fn kinds_differ(&self, b: &hcl_edit::expr::BinaryOp) -> bool {
        let (l, r) = crate::shape::with_stack_base(self.stack_base, |_| (self.shape(&b.lhs_expr, 0), self.shape(&b.rhs_expr, 0)));
        l.conflicts(&r)
    }

    fn eval_variable(&mut self, id: &Decorated<hcl_edit::Ident>) -> R {
        if let Some(v) = self.local(id.as_str()) {
            return Ok(v.clone());
        }
        let loc = self.loc(id.span());
        let r = match refs::resolve_root(id, &[], &self.file) {
            Ok(RootRef { reference, loc, .. }) => self.scope.lookup(&reference, &loc),
            Err(d) => Err(d.at(loc)),
        };
        self.count_static(r)
    }

    /// Counts a failed reference resolution (see `static_errors`).
    fn count_static<T>(&mut self, r: Result<T, Diagnostic>) -> Result<T, Diagnostic> {
        if r.is_err() {
            self.static_errors += 1;
        }
        r
    }

    fn eval_traversal(&mut self, t: &Traversal) -> R {
        let (val, rest) = match &t.expr {
            Expression::Variable(id) if self.local(id.as_str()).is_none() => {
                let root = self.count_static(refs::resolve_root(id, &t.operators, &self.file))?;
                let rest = &t.operators[root.consumed..];
                // `resource[key]...`: ask the scope for the one instance so a
                // block of K instances is not copied whole for every lookup.
                if let (Reference::Resource { .. }, Some(op)) = (&root.reference, rest.first()) {
                    let key = match op.value() {
                        TraversalOperator::Index(e) => Some(self.eval(e)?),
                        TraversalOperator::LegacyIndex(n) => Some(Value::int(*n.value() as i64)),
                        _ => None,
                    };
                    if let Some(key) = key {
                        let val = match self.scope.lookup_instance(&root.reference, &key) {
                            Some(v) => v,
                            None => {
                                let whole = self.count_static(self.scope.lookup(&root.reference, &root.loc))?;
                                index(whole, key, self.lz(op.span()))?
                            }
                        };
                        return self.apply_ops(val, &rest[1..]);
                    }
                }
                let val = self.count_static(self.scope.lookup(&root.reference, &root.loc))?;
                (val, rest)
            }
            other => (self.eval(other)?, &t.operators[..]),
        };
        self.apply_ops(val, rest)
    }

    /// Applies traversal operators; a full splat applies everything after it
    /// to each element, a legacy attribute splat only the attribute accesses.
    pub(crate) fn apply_ops(&mut self, mut val: Value, ops: &[Decorated<TraversalOperator>]) -> R {
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            let loc = self.lz(op.span());
            match op.value() {
                TraversalOperator::GetAttr(name) => val = get_attr(val, name.as_str(), loc)?,
                TraversalOperator::Index(e) => {
                    let key = self.eval(e)?;
                    val = index(val, key, loc)?;
                }
                TraversalOperator::LegacyIndex(n) => val = index(val, Value::int(*n.value() as i64), loc)?,
                TraversalOperator::FullSplat(_) => {
                    let rest = &ops[i + 1..];
                    return self.splat(val, rest);
                }
                TraversalOperator::AttrSplat(_) => {
                    let mut j = i + 1;
                    while j < ops.len() && matches!(ops[j].value(), TraversalOperator::GetAttr(_)) {
                        j += 1;
                    }
                    val = self.splat(val, &ops[i + 1..j])?;
                    i = j;
                    continue;
                }
            }
            i += 1;
        }
        Ok(val)
    }

    fn splat(&mut self, val: Value, rest: &[Decorated<TraversalOperator>]) -> R {
        let (val, marked) = unmark_shallow(val);
        let items = match val {
            Value::Unknown => return Ok(remark(Value::Unknown, marked)),
            Value::Null => Vec::new(),
            Value::List(items) | Value::Set(items) => items,
            other => {
                // Terraform: a splat on a single value treats it as a one-element tuple.
                vec![other]
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.apply_ops(item, rest)?);
        }
        Ok(remark(Value::List(out), marked))
    }

    fn eval_conditional(&mut self, c: &Conditional) -> R {
        let cond = self.eval(&c.cond_expr)?;
        let (cond, marked) = unmark(cond);
        let loc = self.lz(c.cond_expr.span());
        let b = match cond {
            Value::Unknown => return Ok(remark(Value::Unknown, marked)),
            Value::Null => {
                return Err(Diagnostic::error("Null condition")
                    .with_detail("The condition value is null. Conditions must either be true or false.")
                    .at(loc.at()))
            }
            other => match to_bool(other) {
                Ok(Some(b)) => b,
                Ok(None) => return Ok(remark(Value::Unknown, marked)),
                Err(_) => {
                    return Err(Diagnostic::error("Incorrect condition type")
                        .with_detail("The condition expression must be of type bool.")
                        .at(loc.at()))
                }
            },
        };
        let (chosen, other) = if b { (&c.true_expr, &c.false_expr) } else { (&c.false_expr, &c.true_expr) };
        let v = self.eval(chosen)?;
        // Terraform evaluates both results to unify their types; errors in
        // the branch not taken are not reported.
        let result = match self.eval(other) {
            Ok(o) => unify_conditional(v, &o, b).map_err(|detail| {
                Diagnostic::error("Inconsistent conditional result types").with_detail(detail).at(self.loc(c.span()))
            })?,
            Err(_) => v,
        };
        Ok(remark(result, marked))
    }

    fn eval_for(&mut self, f: &ForExpr) -> R {
        let coll = self.eval(&f.intro.collection_expr)?;
        let coll_loc = self.lz(f.intro.collection_expr.span());
        let (coll, marked) = unmark_shallow(coll);
        let items: Vec<(Value, Value)> = match coll {
            Value::Unknown => return Ok(remark(Value::Unknown, marked)),
            Value::Null => {
                return Err(Diagnostic::error("Iteration over null value")
                    .with_detail("A null value cannot be used as the collection in a 'for' expression.")
                    .at(coll_loc.at()))
            }
            Value::List(items) => items.into_iter().enumerate().map(|(i, v)| (Value::int(i as i64), v)).collect(),
            Value::Set(items) => items.into_iter().map(|v| (v.clone(), v)).collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            other => {
                return Err(Diagnostic::error("Iteration over non-iterable value")
                    .with_detail(format!(
                        "A value of type {} cannot be used as the collection in a 'for' expression.",
                        other.type_name()
                    ))
                    .at(coll_loc.at()))
            }
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let base = self.locals.len();
        let result = self.for_items(f, items, key_var, value_var);
        self.locals.truncate(base);
        Ok(remark(result?, marked))
    }

    fn for_items(&mut self, f: &ForExpr, items: Vec<(Value, Value)>, key_var: Option<String>, value_var: String) -> R {
        let base = self.locals.len();
        let mut list = Vec::new();
        let mut obj: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in items {
            self.locals.truncate(base);
            if let Some(kv) = &key_var {
                self.locals.push((kv.clone(), k));
            }
            self.locals.push((value_var.clone(), v));
            if let Some(cond) = &f.cond {
                let c = self.eval(&cond.expr)?;
                let (c, _) = unmark(c);
                match to_bool(c) {
                    Ok(Some(true)) => {}
                    Ok(Some(false)) => continue,
                    Ok(None) => return Ok(Value::Unknown),
                    Err(_) => {
                        return Err(Diagnostic::error("Invalid 'for' condition")
                            .with_detail("The 'if' clause value is invalid: bool required.")
                            .at(self.loc(cond.expr.span())))
                    }
                }
            }
            match &f.key_expr {
                None => list.push(self.eval(&f.value_expr)?),
                Some(ke) => {
                    let kv = self.eval(ke)?;
                    let key_marked = kv.contains_sensitive();
                    let key = match key_string(kv).map_err(|m| redact_if(m, key_marked)) {
                        Ok(Some(s)) => s,
                        Ok(None) => return Ok(Value::Unknown),
                        Err(msg) => {
                            return Err(Diagnostic::error("Invalid object key")
                                .with_detail(format!("Key expression in 'for' expression must be a string: {msg}."))
                                .at(self.loc(ke.span())))
                        }
                    };
                    let val = self.eval(&f.value_expr)?;
                    if f.grouping {
                        groups.entry(key).or_default().push(val);
                    } else {
                        match obj.entry(key) {
                            std::collections::btree_map::Entry::Occupied(e) => {
                                let shown = if key_marked { REDACTED.to_string() } else { format!("\"{}\"", e.key()) };
                                return Err(Diagnostic::error("Duplicate object key")
                                    .with_detail(format!(
                                        "Two different items produced the key {shown} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."
                                    ))
                                    .at(self.loc(ke.span())));
                            }
                            std::collections::btree_map::Entry::Vacant(e) => {
                                e.insert(val);
                            }
                        }
                    }
                }
            }
        }
        Ok(match &f.key_expr {
            None => Value::List(list),
            Some(_) if f.grouping => Value::Map(groups.into_iter().map(|(k, v)| (k, Value::List(v))).collect()),
            Some(_) => Value::Map(obj),
        })
    }

    fn eval_call(&mut self, call: &FuncCall) -> R {
        let name = call.name.name.as_str();
        let call_loc = self.lz(call.span());
        let ns: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
        let core = ns.is_empty() || ns == ["core"];
        match name {
            "try" if core => return self.eval_try(call, call_loc),
            "can" if core => return self.eval_can(call, call_loc),
            _ => {}
        }
        let found = if ns.is_empty() { funcs::lookup(name) } else { funcs::lookup_namespaced(&ns, name) };
        if found.is_none() && !ns.is_empty() {
            return Err(Diagnostic::error("Call to unknown function")
                .with_detail(format!("There is no function named \"{}::{name}\".", ns.join("::")))
                .at(call_loc.at()));
        }
        let Some(spec) = found else {
            let mut detail = format!("There is no function named \"{name}\".");
            if let Some(s) = funcs::suggest(name) {
                detail.push_str(&format!(" Did you mean \"{s}\"?"));
            }
            return Err(Diagnostic::error("Call to unknown function").with_detail(detail).at(call_loc.at()));
        };
        if core && name == "templatestring" {
            if let Some(first) = call.args.iter().next() {
                if !matches!(first, Expression::Variable(_) | Expression::Traversal(_)) {
                    return Err(Diagnostic::error("Invalid function argument")
                        .with_detail(
                            "Invalid value for \"template\" parameter: invalid template expression: templatestring is only for rendering templates retrieved dynamically from elsewhere, and so does not support providing a literal template; consider using a template string expression instead.",
                        )
                        .at(self.lz(first.span()).at()));
                }
            }
        }
        let mut args = Vec::with_capacity(call.args.len());
        let mut locs = Vec::with_capacity(call.args.len());
        let n = call.args.len();
        for (i, a) in call.args.iter().enumerate() {
            let v = self.eval(a)?;
            let loc = self.lz(a.span());
            if i + 1 == n && call.args.expand_final() {
                let (v, marked) = unmark_shallow(v);
                match v {
                    Value::List(items) | Value::Set(items) => {
                        for item in items {
                            args.push(remark(item, marked));
                            locs.push(loc.clone());
                        }
                    }
                    Value::Unknown => return Ok(remark(Value::Unknown, marked)),
                    other => {
                        return Err(Diagnostic::error("Invalid expanding argument value")
                            .with_detail(format!(
                                "The expanding argument (indicated by ...) must be of a tuple, list, or set type, not {}.",
                                other.type_name()
                            ))
                            .at(loc.at()))
                    }
                }
            } else {
                args.push(v);
                locs.push(loc);
            }
        }
        if core && (name == "templatefile" || name == "templatestring") {
            return self.templatefile(spec.name, args, &locs, call_loc);
        }
        self.finish_call(call, core, spec, args, &locs, call_loc)
    }

    /// Calls `spec` with the evaluated arguments. A separate (never inlined)
    /// function keeps eval_call's stack frame small: it is on the stack once
    /// per nesting level, this one only at the leaves.
    #[inline(never)]
    fn finish_call(&mut self, call: &FuncCall, core: bool, spec: &'static funcs::FuncSpec, mut args: Vec<Value>, locs: &[Lz], call_loc: Lz) -> R {
        let name = spec.name;
        let n = call.args.len();
        // Where Terraform treats a list differently from a tuple (which the
        // values do not say), the argument expressions' shapes decide.
        let lists = core && matches!(name, "element" | "concat") && !call.args.expand_final() && {
            let exprs: Vec<&Expression> = call.args.iter().take(if name == "element" { 1 } else { n }).collect();
            crate::shape::with_stack_base(self.stack_base, |_| {
                !exprs.is_empty() && exprs.iter().all(|a| matches!(self.shape(a, 0), crate::shape::Shape::List(_)))
            })
        };
        if lists && name == "element" {
            // element() of a list wraps a negative index too (of a tuple it is an error).
            if let (Some(Value::List(items)), Some(Value::Number(i))) = (args.first(), args.get(1)) {
                if let (Some(i), Ok(len)) = (i.as_i64(), i64::try_from(items.len())) {
                    if i < 0 && len > 0 {
                        args[1] = Value::int(i.rem_euclid(len));
                    }
                }
            }
        }
        let r = funcs::call(spec, args, self.scope).map_err(|e| func_diag(spec.name, spec, e, locs, call_loc))?;
        if lists && name == "concat" {
            // concat() of lists is a list of their unified element type
            // (of tuples: a tuple, elements unchanged).
            if let Value::List(items) = r {
                return types::unify_values(items.clone()).map(Value::List).or(Ok(Value::List(items)));
            }
        }
        Ok(r)
    }

    fn eval_try(&mut self, call: &FuncCall, loc: Lz) -> R {
        if call.args.is_empty() {
            return Err(Diagnostic::error("Not enough function arguments")
                .with_detail("Function \"try\" expects at least one argument.")
                .at(loc.at()));
        }
        let mut last = None;
        for a in call.args.iter() {
            let before = self.static_errors;
            match self.eval(a) {
                Ok(v) if !v.is_wholly_known() => return Ok(Value::Unknown),
                Ok(v) => return Ok(v),
                // An undeclared or malformed reference: an error Terraform
                // reports before evaluation, which try does not catch.
                Err(d) if self.static_errors > before => return Err(d),
                Err(d) => last = Some(d),
            }
        }
        let detail = last.map(|d| format!("{}: {}", d.summary, d.detail)).unwrap_or_default();
        Err(Diagnostic::error("Error in function call")
            .with_detail(format!(
                "Call to function \"try\" failed: no expression succeeded:\n- {detail}\n\nAt least one expression must produce a successful result."
            ))
            .at(loc.at()))
    }

    fn eval_can(&mut self, call: &FuncCall, loc: Lz) -> R {
        if call.args.len() != 1 {
            return Err(Diagnostic::error("Invalid number of function arguments")
                .with_detail("Function \"can\" expects exactly one argument.")
                .at(loc.at()));
        }
        let Some(a) = call.args.get(0) else { return Ok(Value::Bool(false)) };
        let before = self.static_errors;
        Ok(match self.eval(a) {
            Ok(v) if !v.is_wholly_known() => Value::Unknown,
            Ok(_) => Value::Bool(true),
            // An undeclared or malformed reference (see eval_try).
            Err(d) if self.static_errors > before => return Err(d),
            Err(_) => Value::Bool(false),
        })
    }

    /// templatefile(path, vars) and templatestring(template, vars): the
    /// template (read through the scope, or the given string) rendered with
    /// only `vars` visible.
    fn templatefile(&mut self, fname: &'static str, args: Vec<Value>, locs: &[Lz], call_loc: Lz) -> R {
        let spec = funcs::lookup(fname);
        let from_file = fname == "templatefile";
        let bad = |i: usize, msg: String| {
            let first = if from_file { "path" } else { "template" };
            Diagnostic::error("Invalid function argument")
                .with_detail(format!("Invalid value for \"{}\" parameter: {msg}.", if i == 0 { first } else { "vars" }))
                .at(locs.get(i).unwrap_or(&call_loc).at())
        };
        if args.len() != 2 {
            let e = FuncError::arity(2, args.len());
            return Err(match spec {
                Some(s) => func_diag(fname, s, e, locs, call_loc),
                None => Diagnostic::error("Invalid function argument").at(call_loc.at()),
            });
        }
        let mut it = args.into_iter();
        let (path, vars) = match (it.next(), it.next()) {
            (Some(p), Some(v)) => (p, v),
            _ => return Err(Diagnostic::error("Invalid function argument").at(call_loc.at())),
        };
        let (path, pm) = unmark(path);
        // Only a mark on the whole map is peeled: a sensitive variable keeps
        // its mark inside the template, so its errors and result hide it.
        let (vars, vm) = unmark_shallow(vars);
        let path = match path {
            Value::String(s) => s,
            Value::Unknown => return Ok(Value::Unknown),
            other => return Err(bad(0, format!("string required, but have {}", other.type_name()))),
        };
        let vars = match vars {
            Value::Map(m) => m,
            Value::Unknown => return Ok(Value::Unknown),
            other => return Err(bad(1, format!("object or map required, but have {}", other.type_name()))),
        };
        if self.template_depth >= limits::MAX_TEMPLATEFILE_DEPTH {
            return Err(Diagnostic::error("Error in function call")
                .with_detail(format!(
                    "Call to function \"{fname}\" failed: templates are nested more than {} levels deep (MAX_TEMPLATEFILE_DEPTH); does a template call {fname} on itself?",
                    limits::MAX_TEMPLATEFILE_DEPTH
                ))
                .at(call_loc.at()));
        }
        let (text, shown) = if from_file {
            let text = self.scope.read_file(&path).map_err(|e| bad(0, redact_if(e.trim_end_matches('.').to_string(), pm)))?;
            (text, if pm { REDACTED.to_string() } else { path.clone() })
        } else {
            (path, if pm { REDACTED.to_string() } else { "the template".to_string() })
        };
        let tpl = hcl_edit::parser::parse_template(&text).map_err(|e| {
            Diagnostic::error("Error in function call")
                .with_detail(format!("Call to function \"{fname}\" failed: {shown}: {}.", redact_if(e.to_string(), pm)))
                .at(call_loc.at())
        })?;
        let inner_scope = TemplateScope(self.scope);
        let file: Arc<str> = Arc::from(shown.as_str());
        let mut ev = Evaluator {
            scope: &inner_scope,
            file,
            locals: vars.into_iter().collect(),
            depth: self.depth,
            template_depth: self.template_depth + 1,
            stack_base: self.stack_base,
            static_errors: 0,
        };
        let r = crate::template::eval_template(&mut ev, &tpl)?;
        Ok(remark(r, pm || vm))
    }
}

/// Inside `templatefile` only the passed variables are visible; file access
/// still goes through the outer scope.
struct TemplateScope<'a>(&'a dyn Scope);

impl Scope for TemplateScope<'_> {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Invalid template variable")
            .with_detail(format!("{r} is not available in a template; pass it in the vars argument of templatefile."))
            .at(loc.clone()))
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        self.0.read_file(path)
    }
    fn read_file_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.0.read_file_bytes(path)
    }
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        self.0.file_exists(path)
    }
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        self.0.list_files(dir)
    }
    fn current_dir(&self) -> Option<String> {
        self.0.current_dir()
    }
    fn home_dir(&self) -> Option<String> {
        self.0.home_dir()
    }
    fn now_unix(&self) -> Option<i64> {
        self.0.now_unix()
    }
    fn plan_time_unix(&self) -> i64 {
        self.0.plan_time_unix()
    }
}

fn func_diag(name: &str, spec: &funcs::FuncSpec, e: FuncError, locs: &[Lz], call_loc: Lz) -> Diagnostic {
    match e {
        FuncError::Arg(i, msg) => {
            let param = spec.param_name(i);
            Diagnostic::error("Invalid function argument")
                .with_detail(format!("Invalid value for \"{param}\" parameter: {msg}."))
                .at(locs.get(i).unwrap_or(&call_loc).at())
        }
        FuncError::Call(msg) => Diagnostic::error("Error in function call")
            .with_detail(format!("Call to function \"{name}\" failed: {msg}."))
            .at(call_loc.at()),
        FuncError::NotEnough { expected, missing } => Diagnostic::error("Not enough function arguments")
            .with_detail(format!(
                "Function \"{name}\" expects {expected} argument(s). Missing value for \"{missing}\"."
            ))
            .at(call_loc.at()),
        FuncError::TooMany { expected } => Diagnostic::error("Too many function arguments")
            .with_detail(format!("Function \"{name}\" expects only {expected} argument(s)."))
            .at(call_loc.at()),
    }
}

// ---- value helpers shared by the evaluator, templates and functions ----

/// HCL normalizes string literals to Unicode NFC.
pub(crate) fn nfc(s: &str) -> String {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s.to_string()
    } else {
        s.nfc().collect()
    }
}

/// Removes every sensitive mark; says whether there was one.
pub(crate) fn unmark(v: Value) -> (Value, bool) {
    if !v.contains_sensitive() {
        return (v, false);
    }
    let (plain, _) = v.unmark_deep();
    (plain, true)
}

/// Removes a top-level sensitive mark only.
pub(crate) fn unmark_shallow(v: Value) -> (Value, bool) {
    match v {
        Value::Sensitive(inner) => (unmark_shallow(*inner).0, true),
        other => (other, false),
    }
}

pub(crate) fn remark(v: Value, marked: bool) -> Value {
    if marked {
        v.mark_sensitive()
    } else {
        v
    }
}

/// A value as an object key: `Ok(None)` when unknown.
fn key_string(v: Value) -> Result<Option<String>, String> {
    match unmark(v).0 {
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Unknown => Ok(None),
        Value::Null => Err("null value".into()),
        other => Err(format!("string required, but have {}", other.type_name())),
    }
}

/// Number conversion for operators: `Ok(None)` when unknown.
pub(crate) fn to_number(v: Value) -> Result<Option<contin_types::Number>, String> {
    match v {
        Value::Number(n) => Ok(Some(n)),
        Value::Unknown => Ok(None),
        Value::String(s) => number::parse(&s)
            .map(Some)
            .ok_or_else(|| format!("a number is required, but \"{s}\" cannot be converted to a number")),
        Value::Null => Err("argument must not be null".into()),
        other => Err(format!("a number is required, not {}", other.type_name())),
    }
}

pub(crate) fn to_bool(v: Value) -> Result<Option<bool>, String> {
    match v {
        Value::Bool(b) => Ok(Some(b)),
        Value::Unknown => Ok(None),
        Value::String(s) if s == "true" => Ok(Some(true)),
        Value::String(s) if s == "false" => Ok(Some(false)),
        Value::Null => Err("argument must not be null".into()),
        other => Err(format!("a bool is required, not {}", other.type_name())),
    }
}

/// The text shown instead of a sensitive value.
pub(crate) const REDACTED: &str = "(sensitive value)";

/// A message about a value, replaced when the value is sensitive.
pub(crate) fn redact_if(msg: String, sensitive: bool) -> String {
    if sensitive {
        format!("the given value is sensitive, so the reason is not shown {REDACTED}")
    } else {
        msg
    }
}

fn operand_error(which: &str, msg: &str, loc: &Lz) -> Diagnostic {
    Diagnostic::error("Invalid operand").with_detail(format!("Unsuitable value for {which}: {msg}.")).at(loc.at())
}

fn binary(op: BinaryOperator, lhs: Value, rhs: Value, lloc: Lz, rloc: Lz, loc: Lz) -> R {
    use BinaryOperator as B;
    let (lhs, lm) = unmark(lhs);
    let (rhs, rm) = unmark(rhs);
    let marked = lm || rm;
    let r = match op {
        B::Eq | B::NotEq => {
            if !lhs.is_wholly_known() || !rhs.is_wholly_known() {
                Value::Unknown
            } else {
                let eq = values_equal(&lhs, &rhs);
                Value::Bool(if op == B::Eq { eq } else { !eq })
            }
        }
        B::And | B::Or => {
            let a = to_bool(lhs).map_err(|m| operand_error("left operand", &redact_if(m, lm), &lloc))?;
            let b = to_bool(rhs).map_err(|m| operand_error("right operand", &redact_if(m, rm), &rloc))?;
            match (a, b) {
                (Some(a), Some(b)) => Value::Bool(if op == B::And { a && b } else { a || b }),
                _ => Value::Unknown,
            }
        }
        _ => {
            let a = to_number(lhs).map_err(|m| operand_error("left operand", &redact_if(m, lm), &lloc))?;
            let b = to_number(rhs).map_err(|m| operand_error("right operand", &redact_if(m, rm), &rloc))?;
            let (Some(a), Some(b)) = (a, b) else { return Ok(remark(Value::Unknown, marked)) };
            let range = |r: Result<contin_types::Number, String>| {
                r.map(Value::Number).map_err(|msg| {
                    Diagnostic::error("Number out of range")
                        .with_detail(format!("The result of this arithmetic operation is out of range: {msg}."))
                        .at(loc.at())
                })
            };
            match op {
                B::Plus => range(number::add(&a, &b))?,
                B::Minus => range(number::sub(&a, &b))?,
                B::Mul => range(number::mul(&a, &b))?,
                B::Div => range(number::div(&a, &b).ok_or_else(|| {
                    Diagnostic::error("Division by zero")
                        .with_detail("The right operand of a division must not be zero.")
                        .at(loc.at())
                })?)?,
                B::Mod => Value::Number(number::rem(&a, &b).ok_or_else(|| {
                    Diagnostic::error("Division by zero")
                        .with_detail("The right operand of a modulo operation must not be zero.")
                        .at(loc.at())
                })?),
                B::Less => Value::Bool(a < b),
                B::LessEq => Value::Bool(a <= b),
                B::Greater => Value::Bool(a > b),
                B::GreaterEq => Value::Bool(a >= b),
                _ => Value::Unknown,
            }
        }
    };
    Ok(remark(r, marked))
}

/// Deep equality of wholly known, unmarked values (numbers by value).
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::Number(x), Value::Number(y)) => x.0 == y.0,
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k1, v1), (k2, v2))| k1 == k2 && values_equal(v1, v2))
        }
        (x, y) => x == y,
    }
}

/// Terraform unifies the types of both conditional results: mixed
/// string/number/bool become strings; number vs bool or primitive vs
/// collection is an error.
/// A list, tuple, set, map or object (possibly sensitive).
fn is_collection(v: &Value) -> bool {
    matches!(v.unmarked(), Value::List(_) | Value::Set(_) | Value::Map(_))
}

/// The chosen result converted to the type both results unify to (cty's
/// `convert.Unify` over the types the values show, see `cty`), or the
/// message of Terraform's "Inconsistent conditional result types".
fn unify_conditional(v: Value, other: &Value, cond: bool) -> Result<Value, String> {
    use crate::cty::{type_of, unify, Ty};
    let (tv, to) = (type_of(&v), type_of(other));
    let (t, f) = if cond { (&tv, &to) } else { (&to, &tv) };
    match unify(&[t.clone(), f.clone()]) {
        Some(Ty::Dynamic) => Ok(v),
        Some(target) if target == tv => Ok(v),
        Some(target) => types::convert(v, &target.constraint()).map_err(|e| {
            format!("The true and false result expressions must have consistent types: the result cannot be converted to the {} type both have in common ({e}).", target.kind())
        }),
        None => Err(match (t, f) {
            (Ty::Tuple(a), Ty::Tuple(b)) if a.len() != b.len() => format!(
                "The true and false result expressions must have consistent types. The 'true' tuple has length {}, but the 'false' tuple has length {}.",
                a.len(),
                b.len()
            ),
            (Ty::Object(_), Ty::Object(_)) => "The true and false result expressions must have consistent types. The 'true' and 'false' objects have attributes whose types cannot be unified.".to_string(),
            _ => format!(
                "The true and false result expressions must have consistent types. The 'true' value is {}, but the 'false' value is {}.",
                t.kind(),
                f.kind()
            ),
        }),
    }
}

fn suggest_attr(name: &str, m: &BTreeMap<String, Value>) -> String {
    match funcs::closest(name, m.keys().map(String::as_str)) {
        Some(s) => format!(" Did you mean \"{s}\"?"),
        None => String::new(),
    }
}

pub(crate) fn get_attr(val: Value, name: &str, loc: Lz) -> R {
    match val {
        Value::Sensitive(inner) => get_attr(*inner, name, loc).map(Value::mark_sensitive),
        Value::Unknown => Ok(Value::Unknown),
        Value::Map(mut m) => match m.remove(name) {
            Some(v) => Ok(v),
            None => {
                let hint = suggest_attr(name, &m);
                Err(Diagnostic::error("Unsupported attribute")
                    .with_detail(format!("This object does not have an attribute named \"{name}\".{hint}"))
                    .at(loc.at()))
            }
        },
        Value::Null => Err(Diagnostic::error("Attempt to get attribute from null value")
            .with_detail("This value is null, so it does not have any attributes.")
            .at(loc.at())),
        Value::List(_) | Value::Set(_) => Err(Diagnostic::error("Unsupported attribute")
            .with_detail(format!(
                "Can't access attributes on a list of objects. Did you mean to access attribute \"{name}\" for a specific element of the list, or across all elements of the list (with [*].{name})?"
            ))
            .at(loc.at())),
        other => Err(Diagnostic::error("Unsupported attribute")
            .with_detail(format!("Can't access attributes on a primitive-typed value ({}).", other.type_name()))
            .at(loc.at())),
    }
}

pub(crate) fn index(val: Value, key: Value, loc: Lz) -> R {
    let (key, km) = unmark(key);
    let invalid = |detail: &str| Diagnostic::error("Invalid index").with_detail(detail.to_string()).at(loc.at());
    let r = match val {
        Value::Sensitive(inner) => return index(*inner, remark(key, km), loc).map(Value::mark_sensitive),
        Value::Unknown => Value::Unknown,
        _ if matches!(key, Value::Unknown) => Value::Unknown,
        Value::Null => {
            return Err(Diagnostic::error("Attempt to index null value")
                .with_detail("This value is null, so it does not have any indices.")
                .at(loc.at()))
        }
        Value::List(items) => {
            let n = match to_number(key) {
                Ok(Some(n)) => n,
                Ok(None) => return Ok(Value::Unknown),
                Err(_) => return Err(invalid("The given key does not identify an element in this collection value: a number is required.")),
            };
            let Some(i) = n.as_i64().and_then(|i| usize::try_from(i).ok()) else {
                return Err(invalid(if n.is_integer() {
                    "The given key does not identify an element in this collection value."
                } else {
                    "The given key does not identify an element in this collection value: a whole number is required."
                }));
            };
            let len = items.len();
            match items.into_iter().nth(i) {
                Some(v) => v,
                None => {
                    return Err(invalid(&format!(
                        "The given key does not identify an element in this collection value: the collection has {len} element(s)."
                    )))
                }
            }
        }
        Value::Map(mut m) => {
            let k = match key {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(invalid("The given key does not identify an element in this collection value: string required.")),
            };
            match m.remove(&k) {
                Some(v) => v,
                None => return Err(invalid("The given key does not identify an element in this collection value.")),
            }
        }
        Value::Set(_) => return Err(invalid(
            "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.",
        )),
        _ => return Err(invalid("This value does not have any indices.")),
    };
    Ok(remark(r, km))
}
