//! Root variable values from defaults, `CONTIN_VAR_*` / `TF_VAR_*`
//! environment variables, tfvars files (HCL `*.tfvars` and JSON
//! `*.tfvars.json`) and `-var k=v`, with Terraform's precedence, type
//! conversion and messages.

use crate::types::{convert, parse_type, TypeConstraint};
use crate::{eval, EmptyScope, Scope};
use contin_config::{Expr, Variable};
use contin_types::{Diagnostic, Diagnostics, SourceLoc, Value};
use hcl_edit::structure::Structure;
use hcl_edit::Span;
use std::collections::BTreeMap;

/// The prefix of environment variables that set root variables.
pub const ENV_PREFIX: &str = "CONTIN_VAR_";
/// Terraform's prefix, also read; `CONTIN_VAR_name` wins when both are set.
pub const TF_ENV_PREFIX: &str = "TF_VAR_";

/// Everything the user passed to set variables.
#[derive(Clone, Debug, Default)]
pub struct VarInputs {
    /// tfvars files: (file name, text), lowest precedence first (the
    /// auto-loaded ones, then `-var-file` in command-line order). A name
    /// ending in `.json` is read as JSON (`terraform.tfvars.json`).
    pub files: Vec<(String, String)>,
    /// `-var` values, `"name=value"`, in command-line order.
    pub cli: Vec<String>,
    /// Environment: (`CONTIN_VAR_name` or `TF_VAR_name`, value). Names
    /// without a prefix are taken as variable names as they are.
    pub env: Vec<(String, String)>,
}

/// Where a value came from, for messages.
enum Source {
    Env { var: String, raw: String },
    File { value: Value, loc: SourceLoc, at: String },
    Cli { raw: String },
}

/// Resolves every declared variable. Precedence (lowest first): default,
/// environment, files in order, `-var` in order. All problems are reported
/// together; warnings (values for undeclared variables in files) are dropped:
/// see [`resolve_variables_with_warnings`].
pub fn resolve_variables(
    vars: &BTreeMap<String, Variable>,
    inputs: &VarInputs,
    scope_for_defaults: &dyn Scope,
) -> Result<BTreeMap<String, Value>, Diagnostics> {
    resolve_variables_with_warnings(vars, inputs, scope_for_defaults).0
}

/// The value of a called module's input variable `decl`, given `value` (the
/// module block's argument, or the default): null replaced by the default
/// when the variable is not nullable, converted to its type, validated.
/// `given_at` locates the argument for messages.
pub fn module_input(decl: &Variable, value: Value, given_at: &SourceLoc) -> Result<Value, Diagnostics> {
    let name = decl.name.as_str();
    let ty = match &decl.ty {
        Some(t) => parse_type(t).map_err(Diagnostics::from)?,
        None => TypeConstraint::Any,
    };
    let value = if value.is_null() && !decl.nullable {
        match &decl.default {
            Some(d) => eval(d, &EmptyScope)?,
            None => {
                return Err(Diagnostic::error("Invalid value for input variable")
                    .with_detail(format!("The module's variable \"{name}\" is declared with nullable = false, so it cannot be null."))
                    .at(given_at.clone())
                    .with_related(format!("var.{name} declared here"), decl.loc.clone())
                    .into())
            }
        }
    } else {
        value
    };
    let value = convert(value, &ty).map_err(|msg| {
        let msg = if decl.sensitive { "the value is sensitive, so the reason is not shown (sensitive value)".to_string() } else { msg };
        Diagnostics::from(
            Diagnostic::error("Invalid value for input variable")
                .with_detail(format!("The value given for the module's variable \"{name}\" is not suitable: the variable's type is {ty}, and {msg}."))
                .at(given_at.clone())
                .with_related(format!("var.{name} declared here"), decl.loc.clone()),
        )
    })?;
    let value = validate(name, decl, value)?;
    Ok(if decl.sensitive { value.mark_sensitive() } else { value })
}

/// [`resolve_variables`] and its warnings: like Terraform, a value a file
/// gives for an undeclared variable is a warning (on the command line it is
/// an error). On failure the warnings are also in the error list.
pub fn resolve_variables_with_warnings(
    vars: &BTreeMap<String, Variable>,
    inputs: &VarInputs,
    scope_for_defaults: &dyn Scope,
) -> (Result<BTreeMap<String, Value>, Diagnostics>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut given: BTreeMap<String, Source> = BTreeMap::new();

    // TF_VAR_ first so that CONTIN_VAR_ wins for the same name.
    let mut env: Vec<(&String, &String, bool)> = inputs
        .env
        .iter()
        .map(|(k, v)| (k, v, k.starts_with(ENV_PREFIX)))
        .collect();
    env.sort_by_key(|(_, _, contin)| *contin);
    for (key, raw, _) in env {
        let name = key.strip_prefix(ENV_PREFIX).or_else(|| key.strip_prefix(TF_ENV_PREFIX)).unwrap_or(key);
        // Terraform ignores environment values for undeclared variables.
        if vars.contains_key(name) {
            given.insert(name.to_string(), Source::Env { var: key.clone(), raw: raw.clone() });
        }
    }

    for (file, text) in &inputs.files {
        if file.ends_with(".json") {
            read_json_var_file(file, text, vars, &mut given, &mut diags);
        } else {
            read_var_file(file, text, vars, &mut given, &mut diags);
        }
    }

    for arg in &inputs.cli {
        let Some((name, raw)) = arg.split_once('=') else {
            diags.push(Diagnostic::error("Invalid -var option").with_detail(format!(
                "The given -var option {arg:?} is not correctly specified. It must be a variable name and value separated by an equals sign, like -var=\"key=value\"."
            )));
            continue;
        };
        let name = name.trim();
        if !vars.contains_key(name) {
            diags.push(Diagnostic::error("Value for undeclared variable").with_detail(format!(
                "A variable named \"{name}\" was assigned on the command line, but the configuration does not declare a variable of that name. To use this value, add a \"variable\" block to the configuration."
            )));
            continue;
        }
        given.insert(name.to_string(), Source::Cli { raw: raw.to_string() });
    }

    let mut out = BTreeMap::new();
    for (name, decl) in vars {
        let ty = match &decl.ty {
            Some(t) => match parse_type(t) {
                Ok(t) => t,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            },
            None => TypeConstraint::Any,
        };
        match resolve_one(name, decl, &ty, given.remove(name), scope_for_defaults).and_then(|v| validate(name, decl, v)) {
            Ok(v) => {
                out.insert(name.clone(), if decl.sensitive { v.mark_sensitive() } else { v });
            }
            Err(d) => diags.extend(d),
        }
    }
    let warnings = Diagnostics(diags.iter().filter(|d| !d.is_error()).cloned().collect());
    if diags.has_errors() {
        (Err(diags), warnings)
    } else {
        (Ok(out), warnings)
    }
}

fn undeclared_in_file(name: &str, at: &str, loc: SourceLoc) -> Diagnostic {
    Diagnostic::warning("Value for undeclared variable")
        .with_detail(format!(
            "The variables file sets \"{name}\" ({at}), but the configuration does not declare a variable of that name; the value is ignored. \
             To use it, add a \"variable\" block to the configuration."
        ))
        .at(loc)
}

/// `terraform.tfvars.json`: one JSON object, variable name → value.
fn read_json_var_file(
    file: &str,
    text: &str,
    vars: &BTreeMap<String, Variable>,
    given: &mut BTreeMap<String, Source>,
    diags: &mut Diagnostics,
) {
    let invalid = |detail: String, span: std::ops::Range<usize>| Diagnostic::error("Invalid variables file").with_detail(detail).at(SourceLoc::new(file, span));
    let root = match contin_config::tfjson::parse_json(text) {
        Ok(j) => j,
        Err(e) => {
            let at = describe(file, text, &SourceLoc::new(file, e.offset..e.offset));
            diags.push(invalid(format!("{at}: {}.", e.message), e.offset..e.offset));
            return;
        }
    };
    let contin_config::tfjson::JsonKind::Object(members) = &root.kind else {
        diags.push(invalid(format!("{file}: a JSON variables file must be one object, name → value."), root.span.clone()));
        return;
    };
    for (name, key_span, value) in members {
        let loc = SourceLoc::new(file, value.span.clone());
        let at = describe(file, text, &loc);
        if !vars.contains_key(name) {
            diags.push(undeclared_in_file(name, &at, SourceLoc::new(file, key_span.clone())));
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(text.get(value.span.clone()).unwrap_or("null")) {
            Ok(j) => {
                given.insert(name.clone(), Source::File { value: Value::from_json(&j), loc, at });
            }
            Err(e) => diags.push(invalid(format!("{at}: {e}"), value.span.clone())),
        }
    }
}

fn read_var_file(
    file: &str,
    text: &str,
    vars: &BTreeMap<String, Variable>,
    given: &mut BTreeMap<String, Source>,
    diags: &mut Diagnostics,
) {
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(b) => b,
        Err(e) => {
            diags.push(
                Diagnostic::error("Invalid variables file")
                    .with_detail(format!("{file}: {e}"))
                    .at(SourceLoc::new(file, 0..0)),
            );
            return;
        }
    };
    for structure in body.iter() {
        match structure {
            Structure::Block(b) => {
                let loc = SourceLoc::new(file, b.span().unwrap_or(0..0));
                diags.push(
                    Diagnostic::error("Unexpected block in variables file")
                        .with_detail(format!(
                            "{}: a variables file may only assign values (name = value); blocks like \"{}\" are not allowed.",
                            describe(file, text, &loc),
                            b.ident.as_str()
                        ))
                        .at(loc),
                );
            }
            Structure::Attribute(a) => {
                let name = a.key.as_str();
                let loc = SourceLoc::new(file, a.value.span().unwrap_or(0..0));
                let at = describe(file, text, &loc);
                if !vars.contains_key(name) {
                    diags.push(undeclared_in_file(name, &at, SourceLoc::new(file, a.span().unwrap_or(0..0))));
                    continue;
                }
                let expr = Expr { expr: a.value.clone(), file: file.into() };
                match eval(&expr, &EmptyScope) {
                    Ok(value) => {
                        given.insert(name.to_string(), Source::File { value, loc, at });
                    }
                    Err(d) => diags.extend(d),
                }
            }
        }
    }
}

/// `file:line:col` of a location in a text not (necessarily) in the config's source map.
fn describe(file: &str, text: &str, loc: &SourceLoc) -> String {
    let off = loc.span.start.min(text.len());
    let before = text.get(..off).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{file}:{line}:{col}")
}

fn resolve_one(
    name: &str,
    decl: &Variable,
    ty: &TypeConstraint,
    source: Option<Source>,
    scope: &dyn Scope,
) -> Result<Value, Diagnostics> {
    let how_to_set = format!(
        "Set it with --var {name}=VALUE (or -var), in terraform.tfvars or a file passed with --var-file, with the environment variable {ENV_PREFIX}{name} (or {TF_ENV_PREFIX}{name}), or give the variable a default."
    );
    let (value, where_, loc) = match source {
        None => match &decl.default {
            Some(d) => {
                let v = eval(d, scope)?;
                (v, "as its default".to_string(), Some(d.loc()))
            }
            None => {
                return Err(Diagnostic::error(format!("No value for required variable \"{name}\""))
                    .with_detail(format!("The input variable \"{name}\" is not set, and has no default value. {how_to_set}"))
                    .at(decl.loc.clone())
                    .into())
            }
        },
        Some(Source::File { value, loc, at }) => (value, format!("in {at}"), Some(loc)),
        Some(Source::Cli { raw }) => {
            (raw_value(name, &raw, ty, "-var", decl.sensitive)?, format!("with -var \"{name}=…\""), None)
        }
        Some(Source::Env { var, raw }) => {
            (raw_value(name, &raw, ty, &var, decl.sensitive)?, format!("in environment variable {var}"), None)
        }
    };
    let value = if value.is_null() && !decl.nullable {
        match &decl.default {
            Some(d) if !where_.starts_with("as its default") => eval(d, scope)?,
            _ => {
                return Err(Diagnostic::error("Required variable not set")
                    .with_detail(format!("The value for var.{name} given {where_} is null, but the variable is declared with nullable = false. {how_to_set}"))
                    .at(loc.unwrap_or_else(|| decl.loc.clone()))
                    .into())
            }
        }
    } else {
        value
    };
    convert(value, ty).map_err(|msg| {
        let msg = if decl.sensitive { "the value is sensitive, so the reason is not shown (sensitive value)".to_string() } else { msg };
        Diagnostic::error("Invalid value for input variable")
            .with_detail(format!(
                "The value given for var.{name} {where_} is not suitable: the variable's type is {ty}, and {msg}."
            ))
            .at(loc.clone().unwrap_or_else(|| decl.loc.clone()))
            .with_related(format!("var.{name} declared here"), decl.loc.clone())
            .into()
    })
}

/// Scope of a `validation` block: only the variable itself.
struct ValidationScope<'a> {
    name: &'a str,
    value: &'a Value,
}

impl Scope for ValidationScope<'_> {
    fn lookup(&self, r: &crate::Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        match r {
            crate::Reference::Var(n) if n == self.name => Ok(self.value.clone()),
            other => Err(Diagnostic::error("Invalid reference in variable validation")
                .with_detail(format!(
                    "The condition for variable \"{}\" can only refer to the variable itself, using var.{}; found {other}.",
                    self.name, self.name
                ))
                .at(loc.clone())),
        }
    }
}

/// Runs the variable's `validation` blocks; unknown conditions pass.
fn validate(name: &str, decl: &Variable, value: Value) -> Result<Value, Diagnostics> {
    let mut diags = Diagnostics::new();
    // The rules see the value as the configuration will (marked when the
    // variable is sensitive), so a message interpolating it is sensitive too.
    let seen = if decl.sensitive { value.clone().mark_sensitive() } else { value.clone() };
    for rule in &decl.validations {
        let scope = ValidationScope { name, value: &seen };
        let ok = match eval(&rule.condition, &scope)?.unmark_deep().0 {
            Value::Bool(b) => b,
            Value::Unknown => true,
            other => {
                diags.push(
                    Diagnostic::error("Invalid validation result")
                        .with_detail(format!("The validation condition must be a bool, not {}.", other.type_name()))
                        .at(rule.condition.loc()),
                );
                continue;
            }
        };
        if !ok {
            let message = match eval(&rule.error_message, &scope) {
                Ok(v) if v.contains_sensitive() => {
                    "The error message included a sensitive value, so it will not be displayed.".to_string()
                }
                Ok(Value::String(m)) => m,
                _ => format!("The value of var.{name} failed its validation rule."),
            };
            diags.push(
                Diagnostic::error("Invalid value for variable")
                    .with_detail(format!("{message}\n\nThis was checked by the validation rule for var.{name}."))
                    .at(rule.condition.loc())
                    .with_related(format!("var.{name} declared here"), decl.loc.clone()),
            );
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(value)
    }
}

/// `-var` and environment values: raw strings for primitive (and untyped)
/// variables, HCL expressions for complex types — like Terraform.
fn raw_value(name: &str, raw: &str, ty: &TypeConstraint, origin: &str, sensitive: bool) -> Result<Value, Diagnostics> {
    let hide = |detail: String| if sensitive { "the value is sensitive, so the reason is not shown (sensitive value)".to_string() } else { detail };
    if ty.is_primitive() || *ty == TypeConstraint::Any {
        return Ok(Value::String(raw.to_string()));
    }
    let expr = crate::parse_expr(raw, origin).map_err(|d| {
        Diagnostics::from(
            Diagnostic::error("Invalid value for input variable")
                .with_detail(format!(
                    "The value given for var.{name} ({origin}) is not a valid expression for type {ty}: {}",
                    hide(d.detail.trim().to_string())
                ))
                .at_opt(None),
        )
    })?;
    eval(&expr, &EmptyScope).map_err(|ds| {
        Diagnostics(
            ds.0.into_iter()
                .map(|d| Diagnostic { detail: format!("var.{name} ({origin}): {}", hide(d.detail)), loc: None, ..d })
                .collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "hunter2-MARKER";

    fn resolve(src: &str, cli: &[&str]) -> Result<BTreeMap<String, Value>, Diagnostics> {
        let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), src.to_string())]);
        assert!(!diags.has_errors(), "{diags:?}");
        let inputs = VarInputs { cli: cli.iter().map(|s| s.to_string()).collect(), ..VarInputs::default() };
        resolve_variables(&config.variables, &inputs, &EmptyScope)
    }

    fn texts(d: &Diagnostics) -> String {
        d.iter().map(|d| format!("{}: {}", d.summary, d.detail)).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn a_validation_message_interpolating_a_sensitive_variable_is_not_shown() {
        let src = "variable \"x\" {\n  sensitive = true\n  validation {\n    condition     = length(var.x) < 3\n    error_message = \"bad ${var.x}\"\n  }\n}\n";
        let d = resolve(src, &[&format!("x={MARKER}")]).unwrap_err();
        assert_eq!(
            texts(&d),
            "Invalid value for variable: The error message included a sensitive value, so it will not be displayed.\n\nThis was checked by the validation rule for var.x."
        );
        // Not sensitive: the message is shown as written.
        let plain = src.replace("  sensitive = true\n", "");
        let d = resolve(&plain, &["x=toolong"]).unwrap_err();
        assert!(texts(&d).starts_with("Invalid value for variable: bad toolong"), "{}", texts(&d));
    }

    fn resolve_inputs(src: &str, inputs: VarInputs) -> (Result<BTreeMap<String, Value>, Diagnostics>, Diagnostics) {
        let (config, diags) = contin_config::parse_files(&[("main.tf".to_string(), src.to_string())]);
        assert!(!diags.has_errors(), "{diags:?}");
        resolve_variables_with_warnings(&config.variables, &inputs, &EmptyScope)
    }

    #[test]
    fn tf_var_and_contin_var_environment_values() {
        let src = "variable \"a\" {}\nvariable \"b\" {}\n";
        let env = |pairs: &[(&str, &str)]| VarInputs { env: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..VarInputs::default() };
        let (r, _) = resolve_inputs(src, env(&[("TF_VAR_a", "tf"), ("CONTIN_VAR_a", "contin"), ("TF_VAR_b", "tf-b")]));
        let r = r.unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(r["a"], Value::string("contin"), "CONTIN_VAR_ wins over TF_VAR_");
        assert_eq!(r["b"], Value::string("tf-b"));
        // Lowest precedence: a file wins over both.
        let mut inputs = env(&[("TF_VAR_a", "tf"), ("CONTIN_VAR_b", "c")]);
        inputs.files.push(("terraform.tfvars".into(), "a = \"file\"\n".into()));
        let r = resolve_inputs(src, inputs).0.unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(r["a"], Value::string("file"));
        // The message names the variable as it was set.
        let (r, _) = resolve_inputs("variable \"n\" {\n  type = number\n}\n", env(&[("TF_VAR_n", "[1")]));
        let d = r.err().unwrap_or_default();
        assert!(texts(&d).contains("TF_VAR_n"), "{}", texts(&d));
    }

    #[test]
    fn json_tfvars_and_undeclared_values_in_files_are_warnings() {
        let src = "variable \"a\" {}\nvariable \"m\" {\n  type = map(number)\n}\n";
        let inputs = VarInputs {
            files: vec![
                ("terraform.tfvars".into(), "a = \"hcl\"\nextra = 1\n".into()),
                ("terraform.tfvars.json".into(), "{\n  \"a\": \"json\",\n  \"m\": {\"x\": 1.5},\n  \"other\": true\n}\n".into()),
            ],
            ..VarInputs::default()
        };
        let (r, warnings) = resolve_inputs(src, inputs);
        let r = r.unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(r["a"], Value::string("json"), "terraform.tfvars.json is read after terraform.tfvars");
        assert_eq!(r["m"].get_path(&[contin_types::value::PathStep::Key("x".into())]).cloned(), Some(Value::from_json(&serde_json::json!(1.5))));
        assert_eq!(warnings.iter().count(), 2, "{warnings:?}");
        assert!(warnings.iter().all(|w| !w.is_error() && w.summary == "Value for undeclared variable"));
        assert!(texts(&warnings).contains("terraform.tfvars.json:4:"), "{}", texts(&warnings));
        let bad = VarInputs { files: vec![("x.tfvars.json".into(), "[1]".into())], ..VarInputs::default() };
        assert!(resolve_inputs(src, bad).0.is_err());
        let bad = VarInputs { files: vec![("x.tfvars.json".into(), "{\"a\": }".into())], ..VarInputs::default() };
        let d = resolve_inputs(src, bad).0.err().unwrap_or_default();
        assert!(texts(&d).contains("x.tfvars.json:1:7"), "{}", texts(&d));
    }

    #[test]
    fn conversion_errors_of_sensitive_variables_hide_the_value() {
        let src = "variable \"x\" {\n  type      = list(number)\n  sensitive = true\n}\n";
        let d = resolve(src, &[&format!("x=[\"{MARKER}\"]")]).unwrap_err();
        assert!(!texts(&d).contains("hunter2"), "{}", texts(&d));
        let d = resolve(src, &[&format!("x=[{MARKER}")]).unwrap_err();
        assert!(!texts(&d).contains("hunter2"), "{}", texts(&d));
        let d = resolve(src, &[&format!("x={{a = \"{MARKER}\"}}")]).unwrap_err();
        assert!(!texts(&d).contains("hunter2"), "{}", texts(&d));
    }
}
