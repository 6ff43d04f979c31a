//! Helpers over `Value`s during apply: the working-values view given to the
//! evaluator, the final-plan consistency check, and sensitive-path collection.

use contin_types::value::{path_to_string, PathStep, ValuePath};
use contin_types::Value;

/// Current values of all instances: prior values for untouched resources,
/// applied values for finished ones (with sensitive marks).
pub(crate) use contin_planner::ValuesByAddress as WorkingValues;

/// The recorded attributes with their sensitive marks re-applied.
pub(crate) fn marked_from_state(attributes: &serde_json::Value, sensitive: &[ValuePath]) -> Value {
    Value::from_json(attributes).mark_paths(sensitive)
}

/// Checks that every attribute known in the plan's `after` kept its value in
/// the final plan. Returns Terraform's message for the first mismatch.
pub(crate) fn check_consistent(after: &Value, planned: &Value) -> Result<(), String> {
    let mut path = Vec::new();
    walk(after, planned, &mut path, false)
}

fn walk(after: &Value, planned: &Value, path: &mut ValuePath, sensitive: bool) -> Result<(), String> {
    let sensitive = sensitive || after.is_sensitive() || planned.is_sensitive();
    let (a, p) = (after.unmarked(), planned.unmarked());
    match (a, p) {
        (Value::Unknown, _) => Ok(()),
        (Value::Map(am), Value::Map(pm)) => {
            for (k, av) in am {
                path.push(PathStep::Key(k.clone()));
                walk(av, pm.get(k).unwrap_or(&Value::Null), path, sensitive)?;
                path.pop();
            }
            Ok(())
        }
        (Value::List(al), Value::List(pl)) if al.len() == pl.len() => {
            for (i, (av, pv)) in al.iter().zip(pl).enumerate() {
                path.push(PathStep::Index(i));
                walk(av, pv, path, sensitive)?;
                path.pop();
            }
            Ok(())
        }
        // Set elements are identified by value: with unknowns inside, the
        // elements cannot be matched up; only a wholly known set is compared.
        (Value::Set(_), _) if !a.is_wholly_known() => Ok(()),
        _ => {
            let (ap, _) = a.unmark_deep();
            let (pp, _) = p.unmark_deep();
            if ap == pp {
                return Ok(());
            }
            let show = |v: &Value| {
                if sensitive || v.contains_sensitive() {
                    "(sensitive value)".to_string()
                } else {
                    v.to_json_lossy().to_string()
                }
            };
            let name = if path.is_empty() { "(root)".to_string() } else { path_to_string(path) };
            Err(format!(
                "Provider produced inconsistent final plan: attribute {name} was {}, now {}",
                show(a),
                show(p)
            ))
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use contin_planner::InstanceValues;
    use contin_types::{InstanceKey, ResourceAddr};
    use std::collections::BTreeMap;

    #[test]
    fn unknown_in_after_accepts_anything() {
        let after = Value::map([("id", Value::Unknown), ("name", Value::string("a"))]);
        let planned = Value::map([("id", Value::string("x")), ("name", Value::string("a"))]);
        assert_eq!(check_consistent(&after, &planned), Ok(()));
    }

    #[test]
    fn changed_known_attribute_is_reported() {
        let after = Value::map([("tags", Value::map([("env", Value::string("prod"))]))]);
        let planned = Value::map([("tags", Value::map([("env", Value::string("dev"))]))]);
        assert_eq!(
            check_consistent(&after, &planned),
            Err("Provider produced inconsistent final plan: attribute tags.env was \"prod\", now \"dev\"".to_string())
        );
    }

    #[test]
    fn sensitive_values_are_not_shown() {
        let after = Value::map([("pw", Value::string("a").mark_sensitive())]);
        let planned = Value::map([("pw", Value::string("b"))]);
        let err = check_consistent(&after, &planned).unwrap_err();
        assert!(err.contains("attribute pw was (sensitive value), now (sensitive value)"), "{err}");
    }

    #[test]
    fn view_lists_instances_of_one_resource() {
        let mut m = BTreeMap::new();
        let a = ResourceAddr::managed("t", "a");
        m.insert(a.clone().with_key(InstanceKey::Int(1)), Value::int(1));
        m.insert(a.clone().with_key(InstanceKey::Int(0)), Value::int(0));
        m.insert(ResourceAddr::managed("t", "ab"), Value::int(9));
        m.insert(ResourceAddr::managed("t", "b"), Value::int(2));
        let got = WorkingValues(&m).instances(&a.with_key(InstanceKey::Int(7)));
        assert_eq!(got, vec![(InstanceKey::Int(0), Value::int(0)), (InstanceKey::Int(1), Value::int(1))]);
    }
}
