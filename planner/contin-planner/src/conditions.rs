//! Custom conditions: `precondition` / `postcondition` blocks of resources,
//! data sources and outputs, and `check` block assertions. A failed
//! condition is an error located at its `condition` whose detail is the
//! `error_message` (never a sensitive one); a failed check assertion is a
//! warning, as in Terraform. A condition that is not known yet is checked
//! later (at apply for conditions on "known after apply" values).

use contin_config::Condition;
use contin_eval::Scope;
use contin_types::{Diagnostic, Value};

/// Which kind of condition, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionKind {
    ResourcePrecondition,
    ResourcePostcondition,
    OutputPrecondition,
    CheckAssertion,
}

impl ConditionKind {
    fn summary(self) -> &'static str {
        match self {
            ConditionKind::ResourcePrecondition => "Resource precondition failed",
            ConditionKind::ResourcePostcondition => "Resource postcondition failed",
            ConditionKind::OutputPrecondition => "Module output value precondition failed",
            ConditionKind::CheckAssertion => "Check block assertion failed",
        }
    }
}

/// Shown instead of an error message that contains a sensitive value.
pub const SENSITIVE_MESSAGE: &str = "The error message included a sensitive value, so it will not be displayed.";

/// Checks `conditions` in `scope` (`self_value` bound as `self` for
/// postconditions). Returns the diagnostics of those that failed or could
/// not be evaluated: errors, except for check assertions (warnings).
pub fn check(conditions: &[Condition], kind: ConditionKind, scope: &dyn Scope, self_value: Option<&Value>) -> Vec<Diagnostic> {
    let locals: Vec<(String, Value)> = self_value.map(|v| ("self".to_string(), v.clone())).into_iter().collect();
    let mut out = Vec::new();
    for c in conditions {
        let result = match contin_eval::eval_with_locals(&c.condition, scope, &locals) {
            Ok(v) => v,
            Err(d) => {
                out.extend(d.0.into_iter().map(|d| demote(d, kind)));
                continue;
            }
        };
        let invalid = |detail: &str| {
            demote(Diagnostic::error("Invalid condition result").with_detail(detail.to_string()).at(c.condition.loc()), kind)
        };
        match result.unmarked() {
            Value::Bool(true) => {}
            // Decided once the values it uses are known.
            Value::Unknown => {}
            Value::Null => out.push(invalid("Condition expression must return either true or false, not null.")),
            Value::Bool(false) => out.push(failed(c, kind, scope, &locals)),
            Value::String(s) if s == "true" => {}
            Value::String(s) if s == "false" => out.push(failed(c, kind, scope, &locals)),
            other => out.push(invalid(&format!("Invalid condition result value: a bool is required, found a {}.", other.type_name()))),
        }
    }
    out
}

/// Check assertions report warnings, never errors.
fn demote(d: Diagnostic, kind: ConditionKind) -> Diagnostic {
    if kind == ConditionKind::CheckAssertion && d.is_error() {
        let mut w = Diagnostic::warning(d.summary.clone()).with_detail(d.detail.clone());
        w.loc = d.loc;
        w.related = d.related;
        w
    } else {
        d
    }
}

fn failed(c: &Condition, kind: ConditionKind, scope: &dyn Scope, locals: &[(String, Value)]) -> Diagnostic {
    let message = match contin_eval::eval_with_locals(&c.error_message, scope, locals) {
        Ok(v) if v.contains_sensitive() => SENSITIVE_MESSAGE.to_string(),
        Ok(Value::String(s)) => s,
        Ok(Value::Unknown) => "The error message is not known yet.".to_string(),
        Ok(other) => other.to_json_lossy().to_string(),
        Err(d) => format!(
            "The error message could not be evaluated: {}",
            d.0.first().map_or(String::new(), |d| format!("{} {}", d.summary, d.detail).trim().to_string())
        ),
    };
    let d = match kind {
        ConditionKind::CheckAssertion => Diagnostic::warning(kind.summary()),
        _ => Diagnostic::error(kind.summary()),
    };
    d.with_detail(message).at(c.condition.loc())
}
