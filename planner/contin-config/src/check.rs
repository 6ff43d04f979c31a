//! Small checks shared by the block parsers: names, literals, static
//! references, "did you mean" suggestions and the diagnostics they produce.

use crate::model::{Expr, Reference};
use contin_types::{Diagnostic, ResourceMode, SourceLoc};
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::Span;
use std::sync::Arc;

/// Location of anything with a span inside `file`.
pub(crate) fn loc_of(file: &Arc<str>, item: &impl Span) -> SourceLoc {
    SourceLoc::new(file.to_string(), item.span().unwrap_or(0..0))
}

/// Location of `name = value`; for an attribute built from `.tf.json` (no
/// span of its own) from its name to the end of its value.
pub(crate) fn attr_loc(file: &Arc<str>, attr: &hcl_edit::structure::Attribute) -> SourceLoc {
    let span = attr.span().or_else(|| {
        let start = attr.key.span()?.start;
        let end = attr.value.span().map_or(start, |v| v.end.max(start));
        Some(start..end)
    });
    SourceLoc::new(file.to_string(), span.unwrap_or(0..0))
}

/// Terraform's identifier rule: a letter or `_` first, then letters, digits, `_` or `-`.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

pub(crate) const IDENTIFIER_RULE: &str =
    "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.";

/// The closest valid name within a small edit distance, if any.
pub(crate) fn suggest<'a>(given: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|v| (contin_types::suggest::edit_distance(given, v), *v))
        .filter(|(d, _)| *d <= 2 && *d < given.chars().count().max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// `a, b, c` with every name quoted.
pub(crate) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Detail text naming the valid choices, plus a suggestion when one is close.
pub(crate) fn valid_choices_detail(what: &str, given: &str, valid: &[&str]) -> String {
    let mut detail = format!("{what}: {}.", quoted_list(valid));
    if let Some(s) = suggest(given, valid) {
        detail.push_str(&format!(" Did you mean \"{s}\"?"));
    }
    detail
}

/// A literal `true`/`false`; anything else is reported and reads as `false`.
pub(crate) fn literal_bool(expr: &Expr, arg: &str, diags: &mut Vec<Diagnostic>) -> bool {
    match &expr.expr {
        Expression::Bool(b) => *b.value(),
        _ => {
            diags.push(
                Diagnostic::error(format!("Invalid value for \"{arg}\""))
                    .with_detail(format!("\"{arg}\" must be the literal true or false; expressions are not allowed here."))
                    .at(expr.loc()),
            );
            false
        }
    }
}

/// A literal string without interpolation; anything else is reported.
pub(crate) fn literal_string(
    expr: &Expr,
    arg: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let literal = match &expr.expr {
        Expression::String(s) => Some(s.value().clone()),
        // A heredoc (`<<EOT`, `<<-EOT`, already dedented by the parser) or a
        // quoted template is literal when it has no interpolation or directive.
        Expression::HeredocTemplate(h) => literal_template(&h.template),
        Expression::StringTemplate(t) => literal_template(t),
        _ => None,
    };
    match literal {
        Some(s) => Some(s),
        None => {
            diags.push(
                Diagnostic::error(format!("Invalid value for \"{arg}\""))
                    .with_detail(format!(
                        "\"{arg}\" must be a literal string without interpolation."
                    ))
                    .at(expr.loc()),
            );
            None
        }
    }
}

/// The text of a template made only of literal parts.
fn literal_template<'a>(t: impl IntoIterator<Item = &'a hcl_edit::template::Element>) -> Option<String> {
    let mut out = String::new();
    for element in t {
        match element {
            hcl_edit::template::Element::Literal(l) => out.push_str(l.value()),
            _ => return None,
        }
    }
    Some(out)
}

/// The root name and the `.attr` names of a static traversal such as
/// `data.aws_ami.ubuntu`; `None` when anything else (index, call, …) appears.
pub(crate) fn static_path(expr: &Expression) -> Option<Vec<&str>> {
    match expr {
        Expression::Variable(v) => Some(vec![v.as_str()]),
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else {
                return None;
            };
            let mut parts = vec![root.as_str()];
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(name) => parts.push(name.as_str()),
                    _ => return None,
                }
            }
            Some(parts)
        }
        _ => None,
    }
}

/// `depends_on = [aws_vpc.main, data.x.y]` → references; every other entry is an error.
pub(crate) fn references(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Vec<Reference> {
    let Expression::Array(items) = &expr.expr else {
        diags.push(
            Diagnostic::error("depends_on must be a list of references")
                .with_detail("Write depends_on = [aws_vpc.main, data.aws_ami.ubuntu].")
                .at(expr.loc()),
        );
        return Vec::new();
    };
    let mut refs = Vec::new();
    for item in items.iter() {
        let loc = expr.loc_of(item);
        match static_path(item).as_deref() {
            // `module.x`: every resource of that module (expanded in modules.rs).
            Some(["module", name]) => refs.push(Reference { mode: ResourceMode::Managed, ty: "module".to_string(), name: name.to_string(), loc }),
            Some(["data", ty, name]) => refs.push(Reference { mode: ResourceMode::Data, ty: ty.to_string(), name: name.to_string(), loc }),
            Some([ty, name]) if !matches!(*ty, "var" | "local" | "data" | "count" | "each" | "self" | "path" | "module") => {
                refs.push(Reference { mode: ResourceMode::Managed, ty: ty.to_string(), name: name.to_string(), loc })
            }
            _ => diags.push(
                Diagnostic::error("depends_on entries must be references")
                    .with_detail(
                        "Each depends_on entry must name a whole resource, like aws_vpc.main or data.aws_ami.ubuntu \
                         (no quotes, indexes, attributes or function calls).",
                    )
                    .at(loc),
            ),
        }
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_terraform_rules() {
        assert!(is_identifier("web-1_a"));
        assert!(is_identifier("_x"));
        assert!(!is_identifier("1web"));
        assert!(!is_identifier("a.b"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn suggestions_pick_the_closest_name() {
        let valid = ["resource", "data", "variable"];
        assert_eq!(suggest("resorce", &valid), Some("resource"));
        assert_eq!(suggest("varible", &valid), Some("variable"));
        assert_eq!(suggest("zzzzzz", &valid), None);
        assert_eq!(contin_types::suggest::edit_distance("kitten", "sitting"), 3);
    }
}
