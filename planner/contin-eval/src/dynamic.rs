//! Body evaluation with `dynamic "TYPE" { for_each, iterator, labels,
//! content { … } }` blocks expanded, as Terraform does: one `TYPE` block per
//! element of `for_each`, its content evaluated with the iterator
//! (`TYPE.key`, `TYPE.value`, or the `iterator` name) in scope. Dynamic
//! blocks nest; an inner content sees the outer iterators.

use crate::eval::Evaluator;
use crate::Scope;
use contin_config::{Body, Expr, NestedBlock};
use contin_types::{Diagnostic, Diagnostics, SourceLoc, Value};
use hcl_edit::expr::Expression;
use std::collections::BTreeMap;

/// How many blocks one `dynamic` block may generate.
pub const MAX_DYNAMIC_BLOCKS: usize = 100_000;
/// How deeply `dynamic` blocks may be nested in one another.
pub const MAX_DYNAMIC_DEPTH: usize = 32;

/// Iterator bindings of the enclosing dynamic blocks, innermost last.
type Locals = Vec<(String, Value)>;

/// Evaluates one expression with extra local names bound (iterators, `self`).
pub fn eval_with_locals(expr: &Expr, scope: &dyn Scope, locals: &[(String, Value)]) -> Result<Value, Diagnostics> {
    let mut ev = Evaluator::new(scope, &expr.file);
    ev.locals = locals.to_vec();
    ev.eval_root(&expr.expr).map_err(Diagnostics::from)
}

pub(crate) fn eval_body(body: &Body, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    eval_body_in(body, scope, &mut Vec::new(), 0)
}

fn eval_body_in(body: &Body, scope: &dyn Scope, locals: &mut Locals, depth: usize) -> Result<Value, Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for (name, attr) in &body.attributes {
        match eval_with_locals(&attr.expr, scope, locals) {
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(d) => diags.extend(d),
        }
    }
    for block in &body.blocks {
        let produced = if block.ty == "dynamic" {
            dynamic(block, scope, locals, depth)
        } else {
            eval_body_in(&block.body, scope, locals, depth).map(|v| Produced::Blocks(block_type(block), vec![v]))
        };
        match produced {
            Ok(Produced::Blocks(ty, values)) => {
                let entry = out.entry(ty).or_insert_with(|| Value::List(Vec::new()));
                if let Value::List(items) = entry {
                    items.extend(values);
                }
            }
            // An unknown for_each: how many blocks there are is decided at apply.
            Ok(Produced::Unknown(ty)) => {
                out.insert(ty, Value::Unknown);
            }
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(Value::Map(out))
    }
}

fn block_type(block: &NestedBlock) -> String {
    block.ty.clone()
}

enum Produced {
    Blocks(String, Vec<Value>),
    Unknown(String),
}

fn invalid(summary: &str, detail: impl Into<String>, loc: SourceLoc) -> Diagnostics {
    Diagnostic::error(summary).with_detail(detail.into()).at(loc).into()
}

/// The iterator name of a dynamic block: `iterator = NAME` (or, in JSON
/// syntax, `"NAME"`), else the generated block type.
pub fn iterator_name(block: &NestedBlock) -> Result<String, Diagnostics> {
    let ty = block.labels.first().cloned().unwrap_or_default();
    let Some(attr) = block.body.attributes.get("iterator") else {
        return Ok(ty);
    };
    match &attr.expr.expr {
        Expression::Variable(v) => Ok(v.as_str().to_string()),
        Expression::String(s) => Ok(s.value().clone()),
        _ => Err(invalid(
            "Invalid dynamic iterator name",
            "The \"iterator\" argument must be a single name, like iterator = rule.",
            attr.expr.loc(),
        )),
    }
}

fn dynamic(block: &NestedBlock, scope: &dyn Scope, locals: &mut Locals, depth: usize) -> Result<Produced, Diagnostics> {
    if depth >= MAX_DYNAMIC_DEPTH {
        return Err(invalid(
            "Dynamic blocks nested too deeply",
            format!("Dynamic blocks may be nested at most {MAX_DYNAMIC_DEPTH} levels deep (MAX_DYNAMIC_DEPTH)."),
            block.loc.clone(),
        ));
    }
    let [ty] = block.labels.as_slice() else {
        return Err(invalid(
            "Invalid dynamic block",
            "A dynamic block needs one label: the type of the blocks it generates, like dynamic \"ingress\" { … }.",
            block.loc.clone(),
        ));
    };
    let Some(for_each) = block.body.attributes.get("for_each") else {
        return Err(invalid(
            "Missing required argument \"for_each\"",
            format!("The dynamic \"{ty}\" block must set \"for_each\"."),
            block.loc.clone(),
        ));
    };
    let contents: Vec<&NestedBlock> = block.body.blocks.iter().filter(|b| b.ty == "content").collect();
    let [content] = contents.as_slice() else {
        return Err(invalid(
            "Invalid dynamic block",
            format!("The dynamic \"{ty}\" block must have exactly one content block (found {}).", contents.len()),
            block.loc.clone(),
        ));
    };
    let iterator = iterator_name(block)?;
    let collection = eval_with_locals(&for_each.expr, scope, locals)?;
    let sensitive = collection.contains_sensitive();
    let (collection, _, _) = collection.into_unmarked_deep();
    let pairs: Vec<(Value, Value)> = match collection {
        Value::Unknown => return Ok(Produced::Unknown(ty.clone())),
        Value::Null => {
            return Err(invalid(
                "Invalid dynamic for_each value",
                "Cannot use a null value in for_each.",
                for_each.expr.loc(),
            ))
        }
        Value::List(items) => items.into_iter().enumerate().map(|(i, v)| (Value::int(i as i64), v)).collect(),
        Value::Set(items) => items.into_iter().map(|v| (v.clone(), v)).collect(),
        Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        other => {
            return Err(invalid(
                "Invalid dynamic for_each value",
                format!("Cannot use a {} value in for_each. An iterable collection is required.", other.type_name()),
                for_each.expr.loc(),
            ))
        }
    };
    if pairs.len() > MAX_DYNAMIC_BLOCKS {
        return Err(invalid(
            "Invalid dynamic for_each value",
            format!(
                "The for_each value has {} elements; one dynamic block may generate at most {MAX_DYNAMIC_BLOCKS} (MAX_DYNAMIC_BLOCKS).",
                pairs.len()
            ),
            for_each.expr.loc(),
        ));
    }
    let mut values = Vec::with_capacity(pairs.len());
    let mut diags = Diagnostics::new();
    for (key, value) in pairs {
        let (key, value) = if sensitive { (key.mark_sensitive(), value.mark_sensitive()) } else { (key, value) };
        let it = Value::map([("key", key), ("value", value)]);
        locals.push((iterator.clone(), it));
        // `labels` are checked (evaluated) like Terraform; contin's block
        // values do not carry labels.
        if let Some(labels) = block.body.attributes.get("labels") {
            match eval_with_locals(&labels.expr, scope, locals) {
                Ok(Value::List(_) | Value::Unknown) => {}
                Ok(other) => diags.extend(invalid(
                    "Invalid dynamic block labels",
                    format!("The labels argument must be a list of strings, found a {}.", other.type_name()),
                    labels.expr.loc(),
                )),
                Err(d) => diags.extend(d),
            }
        }
        let r = eval_body_in(&content.body, scope, locals, depth + 1);
        locals.pop();
        match r {
            Ok(v) => values.push(v),
            Err(d) => {
                diags.extend(d);
                // One element's errors are enough: the others repeat them.
                break;
            }
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Produced::Blocks(ty.clone(), values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EmptyScope, Reference};

    fn body_of(src: &str) -> Body {
        let (config, diags) = contin_config::parse_files(&[("main.tf".to_string(), src.to_string())]);
        assert!(!diags.has_errors(), "{diags:?}");
        config.resources.into_iter().next().expect("one resource").body
    }

    /// A scope where `var.rules` is given.
    struct Vars(Value);
    impl Scope for Vars {
        fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
            match r {
                Reference::Var(n) if n == "rules" => Ok(self.0.clone()),
                _ => EmptyScope.lookup(r, loc),
            }
        }
    }

    fn json(v: &Value) -> String {
        v.to_json_lossy().to_string()
    }

    #[test]
    fn list_map_and_set_for_each_generate_blocks_in_order() {
        let body = body_of(
            r#"resource "t" "a" {
  name = "x"
  ingress { port = 1 }
  dynamic "ingress" {
    for_each = [22, 80]
    content {
              port = ingress.value
              idx = ingress.key
          }
  }
  dynamic "tag" {
    for_each = { b = "2", a = "1" }
    iterator = t
    content {
              k = t.key
              v = t.value
          }
  }
  dynamic "s" {
    for_each = toset(["y", "x"])
    content { k = s.key }
  }
}
"#,
        );
        let v = eval_body(&body, &EmptyScope).expect("evaluates");
        assert_eq!(
            json(&v),
            r#"{"ingress":[{"port":1},{"idx":0,"port":22},{"idx":1,"port":80}],"name":"x","s":[{"k":"x"},{"k":"y"}],"tag":[{"k":"a","v":"1"},{"k":"b","v":"2"}]}"#
        );
    }

    #[test]
    fn nested_dynamic_sees_the_outer_iterator() {
        let body = body_of(
            r#"resource "t" "a" {
  dynamic "rule" {
    for_each = var.rules
    content {
      name = rule.key
      dynamic "port" {
        for_each = rule.value
        iterator = p
        content {
                  n = p.value
                  of = rule.key
              }
      }
    }
  }
}
"#,
        );
        let rules = Value::map([("web", Value::List(vec![Value::int(80), Value::int(443)])), ("ssh", Value::List(vec![Value::int(22)]))]);
        let v = eval_body(&body, &Vars(rules)).expect("evaluates");
        assert_eq!(
            json(&v),
            r#"{"rule":[{"name":"ssh","port":[{"n":22,"of":"ssh"}]},{"name":"web","port":[{"n":80,"of":"web"},{"n":443,"of":"web"}]}]}"#
        );
    }

    #[test]
    fn unknown_for_each_makes_the_block_list_unknown() {
        let body = body_of("resource \"t\" \"a\" {\n  dynamic \"x\" {\n    for_each = var.rules\n    content { a = x.value }\n  }\n}\n");
        let v = eval_body(&body, &Vars(Value::Unknown)).expect("evaluates");
        assert_eq!(v.attr("x"), Some(&Value::Unknown));
    }

    #[test]
    fn sensitive_for_each_marks_what_content_derives() {
        let body = body_of("resource \"t\" \"a\" {\n  dynamic \"x\" {\n    for_each = var.rules\n    content { a = x.value }\n  }\n}\n");
        let v = eval_body(&body, &Vars(Value::List(vec![Value::string("s3cret")]).mark_sensitive())).expect("evaluates");
        let Some(Value::List(items)) = v.attr("x") else { panic!("blocks: {v:?}") };
        assert!(matches!(&items[0], Value::Map(m) if m.get("a").is_some_and(Value::is_sensitive)), "{items:?}");
    }

    #[test]
    fn bad_for_each_values_are_located_errors() {
        let src = "resource \"t\" \"a\" {\n  dynamic \"x\" {\n    for_each = var.rules\n    content { a = x.value }\n  }\n}\n";
        let body = body_of(src);
        for (given, detail) in [
            (Value::Null, "Cannot use a null value in for_each."),
            (Value::string("no"), "Cannot use a string value in for_each. An iterable collection is required."),
        ] {
            let d = eval_body(&body, &Vars(given)).unwrap_err();
            assert_eq!(d.0[0].summary, "Invalid dynamic for_each value");
            assert_eq!(d.0[0].detail, detail);
            let loc = d.0[0].loc.clone().expect("located");
            assert_eq!(&src[loc.span], "var.rules");
        }
    }

    #[test]
    fn errors_in_content_name_the_content_expression() {
        let src = "resource \"t\" \"a\" {\n  dynamic \"x\" {\n    for_each = [1]\n    content { a = x.nope }\n  }\n}\n";
        let d = eval_body(&body_of(src), &EmptyScope).unwrap_err();
        let loc = d.0[0].loc.clone().expect("located");
        assert!(src[loc.span].contains("nope"), "{d:?}");
    }

    #[test]
    fn missing_content_or_for_each_is_an_error_not_a_panic() {
        // The parser rejects both (so `validate` does); evaluating such a
        // body anyway is an error too, never a panic.
        for (src, parse_error, eval_error) in [
            ("resource \"t\" \"a\" {\n  dynamic \"x\" {\n    for_each = [1]\n  }\n}\n", "content", "The dynamic \"x\" block must have exactly one content block (found 0)."),
            ("resource \"t\" \"a\" {\n  dynamic \"x\" {\n    content {}\n  }\n}\n", "for_each", "Missing required argument \"for_each\""),
        ] {
            let (config, diags) = contin_config::parse_files(&[("main.tf".to_string(), src.to_string())]);
            assert!(diags.has_errors() && format!("{diags:?}").contains(parse_error), "{diags:?}");
            if let Some(r) = config.resources.into_iter().next() {
                let d = eval_body(&r.body, &EmptyScope).unwrap_err();
                assert!(d.0[0].detail == eval_error || d.0[0].summary == eval_error, "{d:?}");
            }
        }
    }

    #[test]
    fn iterators_are_not_references_but_for_each_and_outer_names_are() {
        let body = body_of(
            r#"resource "t" "a" {
  dynamic "rule" {
    for_each = var.rules
    content {
      dynamic "port" {
        for_each = rule.value
        iterator = p
        content {
          n = p.value
          m = port.value
          z = local.z
        }
      }
    }
  }
}
"#,
        );
        let refs: Vec<String> = crate::body_references(&body).iter().map(|r| r.reference.to_string()).collect();
        // `port` is not bound (the iterator is `p`): a resource reference, as in Terraform.
        assert_eq!(refs, ["var.rules", "port.value", "local.z"]);
    }

    #[test]
    fn too_many_generated_blocks_is_a_named_limit() {
        let d = eval_body(
            &body_of("resource \"t\" \"a\" {\n  dynamic \"x\" {\n    for_each = flatten([for i in range(1000) : range(101)])\n    content {}\n  }\n}\n"),
            &EmptyScope,
        )
        .unwrap_err();
        assert!(d.0[0].detail.contains("MAX_DYNAMIC_BLOCKS"), "{d:?}");
    }
}
