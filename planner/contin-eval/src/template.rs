//! String templates: `${}` interpolation, `%{if}` / `%{for}` directives and
//! `~` whitespace stripping, for quoted strings, heredocs and templatefile().

use crate::eval::{remark, unmark, unmark_shallow, Evaluator, R};
use contin_types::{Diagnostic, Value};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;

/// Evaluates a template. A template that is exactly one interpolation
/// (`"${x}"`) yields the value itself, unconverted, like Terraform.
pub(crate) fn eval_template(ev: &mut Evaluator<'_>, t: &Template) -> R {
    if let Some(Element::Interpolation(i)) = t.as_single_element() {
        return ev.eval(&i.expr);
    }
    let mut out = Out { text: String::new(), unknown: false, marked: false };
    render(ev, t, false, false, &mut out)?;
    let v = if out.unknown { Value::Unknown } else { Value::String(out.text) };
    Ok(remark(v, out.marked))
}

struct Out {
    text: String,
    unknown: bool,
    marked: bool,
}

impl Out {
    /// The rendered text stays within `limits::MAX_STRING_BYTES`.
    fn check(&self, ev: &Evaluator<'_>, t: &Template) -> Result<(), Diagnostic> {
        crate::limits::check_string(self.text.len()).map_err(|msg| {
            Diagnostic::error("Template result too long")
                .with_detail(format!("The template cannot be rendered: {msg}."))
                .at(ev.loc(t.span()))
        })
    }
}

fn strips_before(el: &Element) -> bool {
    match el {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.if_expr.strip.strip_start(),
            Directive::For(d) => d.for_expr.strip.strip_start(),
        },
    }
}

fn strips_after(el: &Element) -> bool {
    match el {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.endif_expr.strip.strip_end(),
            Directive::For(d) => d.endfor_expr.strip.strip_end(),
        },
    }
}

fn render(ev: &mut Evaluator<'_>, t: &Template, trim_first: bool, trim_last: bool, out: &mut Out) -> Result<(), Diagnostic> {
    let n = t.len();
    for i in 0..n {
        let Some(el) = t.get(i) else { continue };
        match el {
            Element::Literal(lit) => {
                let mut s: &str = lit.value();
                if (i == 0 && trim_first) || (i > 0 && t.get(i - 1).is_some_and(strips_after)) {
                    s = s.trim_start();
                }
                if (i + 1 == n && trim_last) || (i + 1 < n && t.get(i + 1).is_some_and(strips_before)) {
                    s = s.trim_end();
                }
                out.text.push_str(&crate::eval::nfc(s));
                out.check(ev, t)?;
            }
            Element::Interpolation(interp) => {
                let v = ev.eval(&interp.expr)?;
                let (v, m) = unmark(v);
                out.marked |= m;
                match v {
                    Value::Unknown => out.unknown = true,
                    Value::String(s) => {
                        out.text.push_str(&s);
                        out.check(ev, t)?;
                    }
                    Value::Number(n) => {
                        out.text.push_str(&n.to_string());
                        out.check(ev, t)?;
                    }
                    Value::Bool(b) => out.text.push_str(if b { "true" } else { "false" }),
                    Value::Null => {
                        return Err(Diagnostic::error("Invalid template interpolation value")
                            .with_detail("The expression result is null. Cannot include a null value in a string template.")
                            .at(ev.loc(interp.expr.span())))
                    }
                    other => {
                        return Err(Diagnostic::error("Invalid template interpolation value")
                            .with_detail(format!(
                                "Cannot include the given value in a string template: string required, but have {}.",
                                other.type_name()
                            ))
                            .at(ev.loc(interp.expr.span())))
                    }
                }
            }
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    let c = ev.eval(&d.if_expr.cond_expr)?;
                    let (c, m) = unmark(c);
                    out.marked |= m;
                    let b = match c {
                        Value::Bool(b) => b,
                        Value::String(s) if s == "true" => true,
                        Value::String(s) if s == "false" => false,
                        Value::Unknown => {
                            out.unknown = true;
                            continue;
                        }
                        _ => {
                            return Err(Diagnostic::error("Invalid 'if' directive condition")
                                .with_detail("The condition in an 'if' directive must be a bool.")
                                .at(ev.loc(d.if_expr.cond_expr.span())))
                        }
                    };
                    if b {
                        let last = match &d.else_expr {
                            Some(e) => e.strip.strip_start(),
                            None => d.endif_expr.strip.strip_start(),
                        };
                        render(ev, &d.if_expr.template, d.if_expr.strip.strip_end(), last, out)?;
                    } else if let Some(e) = &d.else_expr {
                        render(ev, &e.template, e.strip.strip_end(), d.endif_expr.strip.strip_start(), out)?;
                    }
                }
                Directive::For(d) => {
                    let f = &d.for_expr;
                    let coll = ev.eval(&f.collection_expr)?;
                    let (coll, m) = unmark_shallow(coll);
                    out.marked |= m;
                    let items: Vec<(Value, Value)> = match coll {
                        Value::Unknown => {
                            out.unknown = true;
                            continue;
                        }
                        Value::List(items) => items.into_iter().enumerate().map(|(i, v)| (Value::int(i as i64), v)).collect(),
                        Value::Set(items) => items.into_iter().map(|v| (v.clone(), v)).collect(),
                        Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                        _ => {
                            return Err(Diagnostic::error("Invalid 'for' directive")
                                .with_detail("The collection in a 'for' directive must be a list, set, map or object.")
                                .at(ev.loc(f.collection_expr.span())))
                        }
                    };
                    let base = ev.locals.len();
                    for (k, v) in items {
                        ev.locals.truncate(base);
                        if let Some(kv) = &f.key_var {
                            ev.locals.push((kv.as_str().to_string(), k));
                        }
                        ev.locals.push((f.value_var.as_str().to_string(), v));
                        let r = render(ev, &f.template, f.strip.strip_end(), d.endfor_expr.strip.strip_start(), out);
                        if r.is_err() {
                            ev.locals.truncate(base);
                            return r;
                        }
                    }
                    ev.locals.truncate(base);
                }
            },
        }
    }
    Ok(())
}
