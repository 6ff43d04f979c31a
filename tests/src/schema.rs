//! A small JSON Schema validator for the subset the documented contin
//! schemas use (docs/*.schema.json): `type` (one or a list), `enum`,
//! `const`, `properties`, `required`, `additionalProperties` (bool or a
//! schema), `items`, `minimum`, `anyOf`, `oneOf` and local `$ref`s
//! (`#/$defs/NAME`). An unsupported keyword is an error, so a schema that
//! uses one cannot pass by being half checked.

use serde_json::Value as J;

const KNOWN: &[&str] = &[
    "$schema", "$id", "$defs", "title", "description", "type", "enum", "const", "properties", "required",
    "additionalProperties", "items", "minimum", "anyOf", "oneOf", "$ref",
];

/// Every violation of `schema` by `doc`, as `path: problem` lines (empty: valid).
pub fn validate(schema: &J, doc: &J) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, doc, "$", &mut errors, 0);
    errors
}

fn type_ok(t: &str, v: &J) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        _ => false,
    }
}

fn check(root: &J, schema: &J, v: &J, path: &str, errors: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        errors.push(format!("{path}: schema nesting deeper than 64 (a $ref cycle?)"));
        return;
    }
    let J::Object(s) = schema else {
        if schema == &J::Bool(false) {
            errors.push(format!("{path}: not allowed"));
        }
        return;
    };
    for k in s.keys() {
        if !KNOWN.contains(&k.as_str()) {
            errors.push(format!("{path}: the schema uses {k:?}, which this validator does not implement"));
        }
    }
    if let Some(r) = s.get("$ref").and_then(J::as_str) {
        match r.strip_prefix("#/$defs/").and_then(|name| root.get("$defs")?.get(name)) {
            Some(target) => check(root, target, v, path, errors, depth + 1),
            None => errors.push(format!("{path}: unresolvable $ref {r}")),
        }
    }
    if let Some(t) = s.get("type") {
        let ok = match t {
            J::String(t) => type_ok(t, v),
            J::Array(ts) => ts.iter().filter_map(J::as_str).any(|t| type_ok(t, v)),
            _ => false,
        };
        if !ok {
            errors.push(format!("{path}: expected type {t}, got {v}"));
            return;
        }
    }
    if let Some(J::Array(options)) = s.get("enum") {
        if !options.contains(v) {
            errors.push(format!("{path}: {v} is not one of {}", J::Array(options.clone())));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errors.push(format!("{path}: expected {c}, got {v}"));
        }
    }
    if let (Some(min), Some(n)) = (s.get("minimum").and_then(J::as_f64), v.as_f64()) {
        if n < min {
            errors.push(format!("{path}: {n} is below the minimum {min}"));
        }
    }
    for (key, want_one) in [("anyOf", false), ("oneOf", true)] {
        if let Some(J::Array(options)) = s.get(key) {
            let passing = options.iter().filter(|o| validate_at(root, o, v, path, depth)).count();
            if passing == 0 || (want_one && passing != 1) {
                errors.push(format!("{path}: {passing} of the {key} alternatives match"));
            }
        }
    }
    if let J::Object(obj) = v {
        if let Some(J::Array(req)) = s.get("required") {
            for r in req.iter().filter_map(J::as_str) {
                if !obj.contains_key(r) {
                    errors.push(format!("{path}: required property {r:?} is missing"));
                }
            }
        }
        let props = s.get("properties").and_then(J::as_object);
        for (k, item) in obj {
            let p = format!("{path}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => check(root, sub, item, &p, errors, depth + 1),
                None => match s.get("additionalProperties") {
                    Some(J::Bool(false)) => errors.push(format!("{path}: property {k:?} is not in the schema")),
                    Some(sub @ J::Object(_)) => check(root, sub, item, &p, errors, depth + 1),
                    _ => {}
                },
            }
        }
    }
    if let (J::Array(items), Some(item_schema)) = (v, s.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(root, item_schema, item, &format!("{path}[{i}]"), errors, depth + 1);
        }
    }
}

fn validate_at(root: &J, schema: &J, v: &J, path: &str, depth: usize) -> bool {
    let mut e = Vec::new();
    check(root, schema, v, path, &mut e, depth + 1);
    e.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_validator_catches_what_it_claims() {
        let schema = json!({
            "type": "object", "required": ["a"], "additionalProperties": false,
            "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"enum": [["x"], ["y", "z"]]}, "c": {"type": ["string", "null"]}},
            "$defs": {"n": {"type": "integer", "minimum": 1}}
        });
        assert!(validate(&schema, &json!({"a": 2, "b": ["y", "z"], "c": null})).is_empty());
        let errs = validate(&schema, &json!({"a": 0, "b": ["z"], "c": 1, "d": true}));
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert_eq!(validate(&schema, &json!({"b": ["x"]})), ["$: required property \"a\" is missing"]);
        assert!(!validate(&json!({"pattern": "x"}), &json!("x")).is_empty(), "unknown keywords are refused");
    }

    #[test]
    fn the_documented_schemas_use_only_supported_keywords() {
        for name in ["plan-json.schema.json", "drift-json.schema.json"] {
            let text = std::fs::read_to_string(crate::repo_root().join("docs").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let schema: J = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Validating `null` exercises the top level only; keywords are checked where met.
            let errs = validate(&schema, &json!({}));
            assert!(errs.iter().all(|e| !e.contains("does not implement")), "{name}: {errs:?}");
        }
    }
}

#[cfg(test)]
mod golden_tests {
    use super::*;

    /// The body of an insta snapshot file (after the second `---` line).
    fn snapshot_body(rel: &str) -> J {
        let text = std::fs::read_to_string(crate::repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let body = text.strip_prefix("---\n").and_then(|t| t.split_once("\n---\n")).map(|(_, b)| b).unwrap_or_else(|| panic!("{rel}: no snapshot header"));
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn schema(name: &str) -> J {
        let text = std::fs::read_to_string(crate::repo_root().join("docs").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn the_json_goldens_follow_their_documented_schemas() {
        let plan = schema("plan-json.schema.json");
        for rel in ["planner/contin-planner/src/snapshots/contin_planner__json__tests__plan_json.snap", "cli/contin/src/ci/snapshots/contin__ci__tests__plan_json.snap"] {
            let errs = validate(&plan, &snapshot_body(rel));
            assert!(errs.is_empty(), "{rel}:\n{}", errs.join("\n"));
        }
        let drift = schema("drift-json.schema.json");
        let doc = snapshot_body("cli/contin/src/ci/snapshots/contin__ci__tests__drift_json.snap");
        let errs = validate(&drift, &doc);
        assert!(errs.is_empty(), "{}", errs.join("\n"));
        // And the schema is not vacuous: breaking the golden breaks validation.
        let mut broken = doc.clone();
        broken["drifted"][0]["actions"] = serde_json::json!(["create"]);
        assert!(!validate(&drift, &broken).is_empty());
    }
}
