//! One resource instance's desired configuration: expansion of `count` /
//! `for_each`, body evaluation, schema validation and coercion, and
//! `lifecycle.ignore_changes`. Shared by planning and apply-time evaluation
//! so both produce the same value for the same inputs.

use crate::scope::{EvalScope, Repetition};
use contin_config::{IgnoreChanges, Resource};
use contin_eval::limits::MAX_INSTANCES_PER_BLOCK;
use contin_eval::Scope;
use contin_provider::BlockSchema;
use contin_types::{Diagnostic, Diagnostics, InstanceKey, SourceLoc, Value};
use std::collections::BTreeMap;

/// The instances a resource block expands to, with their repetition context.
pub fn expand(r: &Resource, scope: &EvalScope<'_>) -> Result<Vec<(InstanceKey, Repetition)>, Diagnostics> {
    if let Some(count) = &r.count {
        let v = contin_eval::eval(count, scope)?;
        let loc = count.loc();
        let n = count_value(&v, &loc)?;
        if n > MAX_INSTANCES_PER_BLOCK as i64 {
            return Err(invalid("Invalid count argument", too_many_instances("count", &n.to_string()), &loc));
        }
        return Ok((0..n)
            .map(|i| (InstanceKey::Int(i), Repetition { count_index: Some(i), ..Repetition::default() }))
            .collect());
    }
    if let Some(for_each) = &r.for_each {
        let v = contin_eval::eval(for_each, scope)?;
        let loc = for_each.loc();
        let n = match &v {
            Value::Map(m) => m.len(),
            Value::Set(items) => items.len(),
            _ => 0,
        };
        if n > MAX_INSTANCES_PER_BLOCK {
            return Err(invalid("Invalid for_each argument", too_many_instances("for_each", &n.to_string()), &loc));
        }
        return Ok(for_each_value(&v, &loc)?
            .into_iter()
            .map(|(k, val)| {
                let rep = Repetition { each_key: Some(Value::string(k.clone())), each_value: Some(val), ..Repetition::default() };
                (InstanceKey::Str(k), rep)
            })
            .collect());
    }
    Ok(vec![(InstanceKey::None, Repetition::default())])
}

/// The detail of a `count` / `for_each` over `MAX_INSTANCES_PER_BLOCK`.
fn too_many_instances(arg: &str, n: &str) -> String {
    format!(
        "The \"{arg}\" argument gives {n} instances; one block may have at most {MAX_INSTANCES_PER_BLOCK} (MAX_INSTANCES_PER_BLOCK)."
    )
}

fn invalid(summary: &str, detail: String, loc: &SourceLoc) -> Diagnostics {
    Diagnostic::error(summary).with_detail(detail).at(loc.clone()).into()
}

pub(crate) fn count_value(v: &Value, loc: &SourceLoc) -> Result<i64, Diagnostics> {
    let bad = |detail: String| invalid("Invalid count argument", detail, loc);
    if v.contains_sensitive() {
        return Err(bad("The given \"count\" value is sensitive; a sensitive value cannot decide how many instances exist.".into()));
    }
    match v {
        Value::Unknown => Err(bad(
            "The \"count\" value depends on resource attributes that cannot be determined until apply, so contin cannot predict how many instances will be created. Use values known at plan time (variables, literals, locals built from them), or apply the resources it depends on first with -target.".into(),
        )),
        Value::Null => Err(bad("The given \"count\" argument value is null. An integer is required.".into())),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i >= 0 => Ok(i),
            Some(i) => Err(bad(format!("The given \"count\" argument value is {i}; it must be a whole number greater than or equal to zero."))),
            None => Err(bad(format!("The given \"count\" argument value is {n}; it must be a whole number."))),
        },
        Value::String(s) => match s.parse::<i64>() {
            Ok(i) if i >= 0 => Ok(i),
            _ => Err(bad(format!("The given \"count\" argument value is \"{s}\"; a whole number is required."))),
        },
        other => Err(bad(format!("The given \"count\" argument value is a {}; a whole number is required.", other.type_name()))),
    }
}

pub(crate) fn for_each_value(v: &Value, loc: &SourceLoc) -> Result<Vec<(String, Value)>, Diagnostics> {
    let bad = |detail: String| invalid("Invalid for_each argument", detail, loc);
    if v.is_sensitive() {
        return Err(bad("Sensitive values cannot be used as for_each arguments: the instance keys would reveal them.".into()));
    }
    match v {
        Value::Unknown => Err(bad(
            "The \"for_each\" value depends on resource attributes that cannot be determined until apply, so contin cannot predict how many instances will be created. Use a map or set whose keys are known at plan time.".into(),
        )),
        Value::Null => Err(bad("The given \"for_each\" argument value is null. A map, or set of strings, is allowed.".into())),
        Value::Map(m) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Value::Set(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => out.push((s.clone(), item.clone())),
                    Value::Unknown => return Err(bad("The given \"for_each\" set includes values that cannot be determined until apply.".into())),
                    other => return Err(bad(format!("The given \"for_each\" set must contain only strings, found a {}.", other.type_name()))),
                }
            }
            Ok(out)
        }
        Value::List(_) => Err(bad(
            "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type tuple. Convert it with toset().".into(),
        )),
        other => Err(bad(format!(
            "The given \"for_each\" argument value is unsuitable: a map, or set of strings, is required; found a {}.",
            other.type_name()
        ))),
    }
}

/// Evaluates, validates and coerces one instance's configuration. `prior`
/// (plain, unmarked) is used for `ignore_changes`. The result keeps the
/// configuration's sensitive marks.
pub fn desired_config(
    r: &Resource,
    block: &BlockSchema,
    scope: &EvalScope<'_>,
    prior: Option<&Value>,
) -> Result<Value, Diagnostics> {
    let desired = contin_eval::eval_body(&r.body, scope as &dyn Scope)?;
    let problems = contin_provider::validate::validate_against_schema(block, &desired);
    if !problems.is_empty() {
        return Err(located(r, problems));
    }
    let mut desired = contin_provider::validate::coerce_to_schema(block, &desired).map_err(|p| located(r, p))?;
    if let (Some(Value::Map(pm)), Value::Map(m)) = (prior, &mut desired) {
        apply_ignore_changes(&r.lifecycle.ignore_changes, block, m, pm);
    }
    Ok(desired)
}

fn apply_ignore_changes(ic: &IgnoreChanges, block: &BlockSchema, desired: &mut BTreeMap<String, Value>, prior: &BTreeMap<String, Value>) {
    let names: Vec<&String> = match ic {
        IgnoreChanges::All => block.attributes.keys().chain(block.blocks.keys()).collect(),
        IgnoreChanges::Attrs(list) => list.iter().collect(),
    };
    for name in names {
        match prior.get(name) {
            Some(v) => {
                desired.insert(name.clone(), v.clone());
            }
            None => {
                desired.remove(name);
            }
        }
    }
}

/// Attaches the source location of the attribute each problem is about.
fn located(r: &Resource, problems: Vec<contin_provider::validate::SchemaProblem>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for p in problems {
        let loc = p
            .attr_name()
            .and_then(|name| {
                r.body
                    .attributes
                    .get(name)
                    .map(|a| a.loc.clone())
                    .or_else(|| r.body.blocks.iter().find(|b| b.ty == name).map(|b| b.loc.clone()))
            })
            .unwrap_or_else(|| r.loc.clone());
        diags.push(p.to_diagnostic().at(loc));
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::NoIo;
    use crate::scope::ResourceValues;
    use std::collections::HashMap;

    struct NoValues;
    impl ResourceValues for NoValues {
        fn resource_value(&self, _: usize) -> Option<Value> {
            None
        }
        fn local_value(&self, name: &str, _: &EvalScope<'_>) -> Result<Value, Diagnostic> {
            Err(Diagnostic::error(format!("no local {name}")))
        }
    }

    /// The first resource of `src` expanded, or the expansion's error detail and location.
    fn expand_first(src: &str) -> Result<usize, (String, SourceLoc)> {
        let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), src.to_string())]);
        assert!(!diags.has_errors(), "{diags:?}");
        let r = config.resources.first().expect("one resource");
        let blocks = HashMap::new();
        let variables = BTreeMap::new();
        let scope =
            EvalScope { config: &config, blocks: &blocks, variables: &variables, values: &NoValues, repetition: Repetition::default(), io: &NoIo };
        expand(r, &scope).map(|v| v.len()).map_err(|d| (d.0[0].detail.clone(), d.0[0].loc.clone().expect("located")))
    }

    #[test]
    fn count_over_the_instance_limit_is_a_located_error() {
        let src = "resource \"fake_thing\" \"a\" {\n  count = 1e9\n}\n";
        let (detail, loc) = expand_first(src).unwrap_err();
        assert_eq!(
            detail,
            "The \"count\" argument gives 1000000000 instances; one block may have at most 100000 (MAX_INSTANCES_PER_BLOCK)."
        );
        assert_eq!(&src[loc.span], "1e9");
        assert_eq!(expand_first("resource \"fake_thing\" \"a\" {\n  count = 100000\n}\n"), Ok(100_000));
    }

    #[test]
    fn for_each_over_the_instance_limit_is_a_located_error() {
        // setunion of 1000 lists of 101 strings: 101,000 keys.
        let src = "resource \"fake_thing\" \"a\" {\n  for_each = setunion([for i in range(1000) : [for j in range(101) : \"${i}-${j}\"]]...)\n}\n";
        let (detail, _) = expand_first(src).unwrap_err();
        assert_eq!(
            detail,
            "The \"for_each\" argument gives 101000 instances; one block may have at most 100000 (MAX_INSTANCES_PER_BLOCK)."
        );
    }
}
