//! Data source `aws_iam_policy_document`: builds an IAM policy document from
//! `statement` blocks and merges `source_policy_documents` /
//! `override_policy_documents`, with the exact output of Terraform's AWS
//! provider (pure, no IO, so it resolves at plan time once its inputs are known):
//!
//! - keys in the order `Version`, `Id`, `Statement`; in a statement `Sid`,
//!   `Effect`, `Action`, `NotAction`, `Resource`, `NotResource`, `Principal`,
//!   `NotPrincipal`, `Condition`; empty ones are left out (no `"Sid": ""`);
//! - `actions`, `resources` (and their `not_`s) and principal identifiers are
//!   sets: written sorted in reverse byte order, a single element as a string;
//! - principals are grouped by type (types in byte order), a lone
//!   `{ type = "*", identifiers = ["*"] }` is written `"*"`;
//! - conditions are grouped by test then variable (byte order), values keep
//!   their order, a single value is a string;
//! - `&{…}` becomes `${…}` in resources, principals and condition values
//!   (an error with version `2008-10-17`);
//! - merging: source documents in order (a `Sid` seen twice among them is an
//!   error), then this document's statements, then overrides in order; a
//!   statement whose `Sid` is already present replaces it, others are appended;
//!   a later document's `Id` wins and its `Version` wins when greater;
//! - `json` is Go's `json.MarshalIndent` with two spaces (`<`, `>`, `&`,
//!   U+2028 and U+2029 escaped as `\u003c`…, as Go does), `minified_json` is
//!   `json.Marshal`, `id` is the CRC-32 (IEEE) of `json` in decimal.
//!
//! Source and override documents are read as Terraform's provider reads them
//! (Go's `encoding/json` into its model): key names match case-insensitively,
//! unknown keys are dropped, a principal `"*"` means `{"*": "*"}`, boolean
//! condition values become strings and numeric ones are dropped. An empty
//! string among them is skipped.

use crate::util::*;
use contin_types::Value;
use serde_json::Value as Json;
use std::collections::BTreeMap;

pub(crate) const VERSION_2012: &str = "2012-10-17";
pub(crate) const VERSION_2008: &str = "2008-10-17";
/// Most statements accepted in one document (IAM's own size limits are far lower).
pub(crate) const MAX_STATEMENTS: usize = 10_000;

/// A list of strings that is written as a string when it came as one.
#[derive(Clone, Debug, PartialEq)]
enum Strs {
    One(String),
    Many(Vec<String>),
}

#[derive(Clone, Debug)]
struct Principal {
    ty: String,
    ids: Strs,
}

#[derive(Clone, Debug)]
struct Condition {
    test: String,
    variable: String,
    values: Strs,
}

#[derive(Clone, Debug, Default)]
struct Statement {
    sid: String,
    effect: String,
    action: Option<Json>,
    not_action: Option<Json>,
    resource: Option<Json>,
    not_resource: Option<Json>,
    principal: Vec<Principal>,
    not_principal: Vec<Principal>,
    condition: Vec<Condition>,
}

#[derive(Clone, Debug, Default)]
struct Doc {
    version: String,
    id: String,
    statements: Vec<Statement>,
}

impl Doc {
    /// Terraform's `iamPolicyDoc.Merge`.
    fn merge(&mut self, new: Doc) {
        if !new.id.is_empty() {
            self.id = new.id;
        }
        if new.version > self.version {
            self.version = new.version;
        }
        for st in new.statements {
            if st.sid.is_empty() {
                self.statements.push(st);
                continue;
            }
            match self.statements.iter_mut().find(|s| s.sid == st.sid) {
                Some(slot) => *slot = st,
                None => self.statements.push(st),
            }
        }
    }
}

#[derive(Debug)]
/// The computed attributes of one evaluated `aws_iam_policy_document` configuration.
pub(crate) struct Rendered {
    pub json: String,
    pub minified_json: String,
    pub id: String,
}

/// Builds the document of an evaluated configuration; an error names the argument.
pub(crate) fn render(cfg: &Value) -> Result<Rendered, String> {
    let mut merged = Doc::default();
    let mut seen_sids: Vec<String> = Vec::new();
    for (i, src) in get_strs(cfg, "source_policy_documents").iter().enumerate() {
        if src.is_empty() {
            continue;
        }
        let d = decode(src).map_err(|e| format!("source_policy_documents[{i}]: {e}"))?;
        for (j, st) in d.statements.iter().enumerate() {
            if st.sid.is_empty() {
                continue;
            }
            if seen_sids.contains(&st.sid) {
                return Err(format!(
                    "source_policy_documents[{i}]: duplicate Sid ({}) in source_policy_documents (statement {j}); remove the Sid or make the Sids unique",
                    st.sid
                ));
            }
            seen_sids.push(st.sid.clone());
        }
        merged.merge(d);
    }
    for legacy in ["source_json", "override_json"] {
        if get_str(cfg, legacy).is_some_and(|s| !s.is_empty()) {
            return Err(format!("{legacy}: no longer supported (Terraform's AWS provider ignores it and requires it empty); use {}", legacy.replace("_json", "_policy_documents")));
        }
    }
    merged.merge(from_config(cfg)?);
    for (i, o) in get_strs(cfg, "override_policy_documents").iter().enumerate() {
        if o.is_empty() {
            continue;
        }
        merged.merge(decode(o).map_err(|e| format!("override_policy_documents[{i}]: {e}"))?);
    }
    if merged.statements.len() > MAX_STATEMENTS {
        return Err(format!("the merged document has {} statements; the limit is {MAX_STATEMENTS} (MAX_STATEMENTS)", merged.statements.len()));
    }
    let tree = doc_json(&merged);
    let mut json = String::new();
    write_json(&tree, Some(0), &mut json);
    let mut minified_json = String::new();
    write_json(&tree, None, &mut minified_json);
    let id = crc32(json.as_bytes()).to_string();
    Ok(Rendered { json, minified_json, id })
}

/// Checks of the configuration that need no rendering (validate).
pub(crate) fn validate(cfg: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = get_str(cfg, "version") {
        if v != VERSION_2012 && v != VERSION_2008 {
            out.push(format!("version: expected \"{VERSION_2012}\" or \"{VERSION_2008}\", got {v:?}"));
        }
    }
    for (i, st) in get_blocks(cfg, "statement").into_iter().enumerate() {
        if let Some(e) = get_str(st, "effect") {
            if e != "Allow" && e != "Deny" {
                out.push(format!("statement[{i}].effect: expected \"Allow\" or \"Deny\", got {e:?}"));
            }
        }
        if let Some(sid) = get_str(st, "sid") {
            if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                out.push(format!("statement[{i}].sid: must only include alphanumeric characters, got {sid:?}"));
            }
        }
    }
    for name in ["source_policy_documents", "override_policy_documents"] {
        for (i, d) in get_strs(cfg, name).iter().enumerate() {
            if !d.is_empty() {
                if let Err(e) = crate::policy::parse(d) {
                    out.push(format!("{name}[{i}]: {e}"));
                }
            }
        }
    }
    out
}

/// Terraform's `policyDecodeConfigStrings`: one element as a string, else sorted in reverse.
fn decode_set(mut items: Vec<String>) -> Strs {
    items.sort();
    items.dedup();
    if items.len() == 1 {
        return Strs::One(items.pop().unwrap_or_default());
    }
    items.reverse();
    Strs::Many(items)
}

/// `&{` → `${` (the AWS policy variable syntax Terraform cannot write literally).
fn replace_vars(s: Strs, version: &str, what: &str) -> Result<Strs, String> {
    let fix = |x: String| -> Result<String, String> {
        if version == VERSION_2008 && x.contains("&{") {
            return Err(format!("{what}: found &{{ sequence in ({x}), which is not supported in document version {VERSION_2008}"));
        }
        Ok(x.replace("&{", "${"))
    };
    Ok(match s {
        Strs::One(x) => Strs::One(fix(x)?),
        Strs::Many(v) => Strs::Many(v.into_iter().map(fix).collect::<Result<_, _>>()?),
    })
}

fn strs_json(s: Strs) -> Json {
    match s {
        Strs::One(x) => Json::String(x),
        Strs::Many(v) => Json::Array(v.into_iter().map(Json::String).collect()),
    }
}

fn principals(st: &Value, name: &str, version: &str, at: &str) -> Result<Vec<Principal>, String> {
    get_blocks(st, name)
        .into_iter()
        .enumerate()
        .map(|(j, p)| {
            let ids = replace_vars(decode_set(get_strs(p, "identifiers")), version, &format!("{at}.{name}[{j}].identifiers"))?;
            Ok(Principal { ty: get_str(p, "type").unwrap_or_default().to_string(), ids })
        })
        .collect()
}

fn from_config(cfg: &Value) -> Result<Doc, String> {
    let version = get_str(cfg, "version").unwrap_or(VERSION_2012).to_string();
    let mut doc = Doc { version: version.clone(), id: get_str(cfg, "policy_id").unwrap_or_default().to_string(), statements: Vec::new() };
    let blocks = get_blocks(cfg, "statement");
    if blocks.len() > MAX_STATEMENTS {
        return Err(format!("statement: {} blocks; the limit is {MAX_STATEMENTS} (MAX_STATEMENTS)", blocks.len()));
    }
    let mut sids: Vec<String> = Vec::new();
    for (i, b) in blocks.into_iter().enumerate() {
        let at = format!("statement[{i}]");
        let sid = get_str(b, "sid").unwrap_or_default().to_string();
        if !sid.is_empty() {
            if sids.contains(&sid) {
                return Err(format!("{at}.sid: duplicate Sid ({sid}); remove the Sid or make it unique"));
            }
            sids.push(sid.clone());
        }
        let set = |name: &str, vars: bool| -> Result<Option<Json>, String> {
            let items = get_strs(b, name);
            if items.is_empty() {
                return Ok(None);
            }
            let s = decode_set(items);
            let s = if vars { replace_vars(s, &version, &format!("{at}.{name}"))? } else { s };
            Ok(Some(strs_json(s)))
        };
        let mut condition = Vec::new();
        for (j, c) in get_blocks(b, "condition").into_iter().enumerate() {
            let mut values = get_strs(c, "values");
            let values = if values.len() == 1 { Strs::One(values.pop().unwrap_or_default()) } else { Strs::Many(values) };
            condition.push(Condition {
                test: get_str(c, "test").unwrap_or_default().to_string(),
                variable: get_str(c, "variable").unwrap_or_default().to_string(),
                values: replace_vars(values, &version, &format!("{at}.condition[{j}].values"))?,
            });
        }
        doc.statements.push(Statement {
            sid,
            effect: get_str(b, "effect").unwrap_or("Allow").to_string(),
            action: set("actions", false)?,
            not_action: set("not_actions", false)?,
            resource: set("resources", true)?,
            not_resource: set("not_resources", true)?,
            principal: principals(b, "principals", &version, &at)?,
            not_principal: principals(b, "not_principals", &version, &at)?,
            condition,
        });
    }
    Ok(doc)
}

// ------------------------------------------------------------ decoding (Go's rules)

/// The value of `key` in `m`, matched as Go's decoder does: exact first, else case-insensitively (last match wins).
fn field<'a>(m: &'a serde_json::Map<String, Json>, key: &str) -> Option<&'a Json> {
    m.get(key).or_else(|| m.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v).next_back())
}

fn string_field(m: &serde_json::Map<String, Json>, key: &str, at: &str) -> Result<String, String> {
    match field(m, key) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{at}{key}: expected a string, got {}", kind(other))),
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn decode(text: &str) -> Result<Doc, String> {
    let v = crate::policy::parse(text)?;
    let Json::Object(m) = v else { return Err("a policy document is a JSON object".into()) };
    let mut doc = Doc { version: string_field(&m, "Version", "")?, id: string_field(&m, "Id", "")?, statements: Vec::new() };
    let stmts = match field(&m, "Statement") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(a)) => a.clone(),
        Some(other) => return Err(format!("Statement: expected an array of statements, got {}", kind(other))),
    };
    for (i, s) in stmts.iter().enumerate() {
        let at = format!("Statement[{i}].");
        let Json::Object(sm) = s else { return Err(format!("Statement[{i}]: expected an object, got {}", kind(s))) };
        let any = |k: &str| field(sm, k).filter(|v| !v.is_null()).cloned();
        doc.statements.push(Statement {
            sid: string_field(sm, "Sid", &at)?,
            effect: string_field(sm, "Effect", &at)?,
            action: any("Action"),
            not_action: any("NotAction"),
            resource: any("Resource"),
            not_resource: any("NotResource"),
            principal: decode_principals(field(sm, "Principal"), &format!("{at}Principal"))?,
            not_principal: decode_principals(field(sm, "NotPrincipal"), &format!("{at}NotPrincipal"))?,
            condition: decode_conditions(field(sm, "Condition"), &format!("{at}Condition"))?,
        });
    }
    Ok(doc)
}

fn decode_principals(v: Option<&Json>, at: &str) -> Result<Vec<Principal>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Json::String(_)) => Ok(vec![Principal { ty: "*".into(), ids: Strs::Many(vec!["*".into()]) }]),
        Some(Json::Object(m)) => m
            .iter()
            .map(|(ty, ids)| {
                let ids = match ids {
                    Json::String(s) => Strs::One(s.clone()),
                    Json::Array(a) => {
                        let mut out = a
                            .iter()
                            .enumerate()
                            .map(|(j, x)| x.as_str().map(String::from).ok_or_else(|| format!("{at}.{ty}[{j}]: must be a string, got {}", kind(x))))
                            .collect::<Result<Vec<_>, _>>()?;
                        out.sort();
                        Strs::Many(out)
                    }
                    other => return Err(format!("{at}.{ty}: expected a string or an array of strings, got {}", kind(other))),
                };
                Ok(Principal { ty: ty.clone(), ids })
            })
            .collect(),
        Some(other) => Err(format!("{at}: expected \"*\" or an object, got {}", kind(other))),
    }
}

fn decode_conditions(v: Option<&Json>, at: &str) -> Result<Vec<Condition>, String> {
    let m = match v {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Object(m)) => m,
        Some(other) => return Err(format!("{at}: expected an object, got {}", kind(other))),
    };
    let mut out = Vec::new();
    for (test, vars) in m {
        let vars = match vars {
            Json::Object(v) => v,
            Json::Null => continue,
            other => return Err(format!("{at}.{test}: expected an object, got {}", kind(other))),
        };
        for (variable, values) in vars {
            let values = match values {
                Json::String(s) => Strs::Many(vec![s.clone()]),
                Json::Bool(b) => Strs::One(b.to_string()),
                Json::Array(a) => Strs::Many(
                    a.iter()
                        .enumerate()
                        .map(|(j, x)| x.as_str().map(String::from).ok_or_else(|| format!("{at}.{test}.{variable}[{j}]: must be a string, got {}", kind(x))))
                        .collect::<Result<_, _>>()?,
                ),
                // Terraform's model skips any other kind (numbers, null, objects).
                _ => continue,
            };
            out.push(Condition { test: test.clone(), variable: variable.clone(), values });
        }
    }
    Ok(out)
}

// ------------------------------------------------------------ encoding

/// An ordered JSON tree (struct fields keep their declared order).
enum Out {
    Raw(Json),
    Str(String),
    Arr(Vec<Out>),
    Obj(Vec<(String, Out)>),
}

fn doc_json(d: &Doc) -> Out {
    let mut o = Vec::new();
    if !d.version.is_empty() {
        o.push(("Version".to_string(), Out::Str(d.version.clone())));
    }
    if !d.id.is_empty() {
        o.push(("Id".to_string(), Out::Str(d.id.clone())));
    }
    if !d.statements.is_empty() {
        o.push(("Statement".to_string(), Out::Arr(d.statements.iter().map(statement_json).collect())));
    }
    Out::Obj(o)
}

fn statement_json(s: &Statement) -> Out {
    let mut o = Vec::new();
    let mut put = |k: &str, v: Out| o.push((k.to_string(), v));
    if !s.sid.is_empty() {
        put("Sid", Out::Str(s.sid.clone()));
    }
    if !s.effect.is_empty() {
        put("Effect", Out::Str(s.effect.clone()));
    }
    for (k, v) in [("Action", &s.action), ("NotAction", &s.not_action), ("Resource", &s.resource), ("NotResource", &s.not_resource)] {
        if let Some(v) = v {
            put(k, Out::Raw(v.clone()));
        }
    }
    if !s.principal.is_empty() {
        put("Principal", principals_json(&s.principal));
    }
    if !s.not_principal.is_empty() {
        put("NotPrincipal", principals_json(&s.not_principal));
    }
    if !s.condition.is_empty() {
        put("Condition", conditions_json(&s.condition));
    }
    Out::Obj(o)
}

/// Terraform's `iamPolicyStatementPrincipalSet.MarshalJSON`.
fn principals_json(ps: &[Principal]) -> Out {
    if let [p] = ps {
        if p.ty == "*" && (p.ids == Strs::One("*".into()) || p.ids == Strs::Many(vec!["*".into()])) {
            return Out::Str("*".into());
        }
    }
    let mut raw: BTreeMap<&str, Strs> = BTreeMap::new();
    for p in ps {
        let slot = raw.remove(p.ty.as_str());
        let next = match (&p.ids, slot) {
            (Strs::Many(ids), prev) => {
                let mut ids = ids.clone();
                ids.sort();
                ids.reverse();
                let mut acc = match prev {
                    None => Vec::new(),
                    Some(Strs::One(v)) => vec![v],
                    Some(Strs::Many(v)) => v,
                };
                acc.extend(ids);
                Strs::Many(acc)
            }
            (Strs::One(i), None) => Strs::One(i.clone()),
            (Strs::One(i), Some(Strs::One(v))) => Strs::Many(vec![v, i.clone()]),
            (Strs::One(i), Some(Strs::Many(mut v))) => {
                v.push(i.clone());
                Strs::Many(v)
            }
        };
        raw.insert(p.ty.as_str(), next);
    }
    Out::Obj(raw.into_iter().map(|(k, v)| (k.to_string(), strs_out(v))).collect())
}

fn strs_out(s: Strs) -> Out {
    match s {
        Strs::One(x) => Out::Str(x),
        Strs::Many(v) => Out::Arr(v.into_iter().map(Out::Str).collect()),
    }
}

/// Terraform's `iamPolicyStatementConditionSet.MarshalJSON`.
fn conditions_json(cs: &[Condition]) -> Out {
    let mut raw: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
    for c in cs {
        let slot = raw.entry(c.test.as_str()).or_default().entry(c.variable.as_str()).or_default();
        match &c.values {
            Strs::One(v) => slot.push(v.clone()),
            Strs::Many(v) => slot.extend(v.iter().cloned()),
        }
    }
    Out::Obj(
        raw.into_iter()
            .map(|(test, vars)| {
                let vars = vars
                    .into_iter()
                    .map(|(var, mut values)| {
                        let v = if values.len() == 1 { Out::Str(values.pop().unwrap_or_default()) } else { Out::Arr(values.into_iter().map(Out::Str).collect()) };
                        (var.to_string(), v)
                    })
                    .collect();
                (test.to_string(), Out::Obj(vars))
            })
            .collect(),
    )
}

/// Go's `json.Marshal` string quoting (HTML-safe).
fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(indent: Option<usize>, out: &mut String) {
    if let Some(n) = indent {
        out.push('\n');
        out.push_str(&"  ".repeat(n));
    }
}

/// Go's `json.Marshal` (`indent` None) or `json.MarshalIndent(v, "", "  ")` (`indent` Some(depth)).
fn write_json(v: &Out, indent: Option<usize>, out: &mut String) {
    let deeper = indent.map(|n| n + 1);
    match v {
        Out::Str(s) => quote(s, out),
        Out::Raw(j) => write_raw(j, indent, out),
        Out::Arr(items) if items.is_empty() => out.push_str("[]"),
        Out::Arr(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(deeper, out);
                write_json(it, deeper, out);
            }
            newline(indent, out);
            out.push(']');
        }
        Out::Obj(fields) if fields.is_empty() => out.push_str("{}"),
        Out::Obj(fields) => {
            out.push('{');
            for (i, (k, it)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(deeper, out);
                quote(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(it, deeper, out);
            }
            newline(indent, out);
            out.push('}');
        }
    }
}

/// Any JSON as Go writes a decoded `any` (object keys in byte order).
fn write_raw(j: &Json, indent: Option<usize>, out: &mut String) {
    match j {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => quote(s, out),
        Json::Array(a) => write_json(&Out::Arr(a.iter().map(|x| Out::Raw(x.clone())).collect()), indent, out),
        Json::Object(m) => {
            let mut fields: Vec<(String, Out)> = m.iter().map(|(k, v)| (k.clone(), Out::Raw(v.clone()))).collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            write_json(&Out::Obj(fields), indent, out)
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, as Go's `crc32.ChecksumIEEE`).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn list(xs: &[&str]) -> Value {
        Value::List(xs.iter().map(|x| s(x)).collect())
    }
    fn obj(kv: &[(&str, Value)]) -> Value {
        Value::Map(kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }
    fn blocks(items: Vec<Value>) -> Value {
        Value::List(items)
    }

    #[test]
    fn crc32_matches_the_ieee_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    /// Terraform's documented basic example (three statements, a condition, `&{}` variables).
    #[test]
    fn basic_example() {
        let cfg = obj(&[(
            "statement",
            blocks(vec![
                obj(&[("sid", s("1")), ("actions", list(&["s3:ListAllMyBuckets", "s3:GetBucketLocation"])), ("resources", list(&["arn:aws:s3:::*"]))]),
                obj(&[
                    ("actions", list(&["s3:ListBucket"])),
                    ("resources", list(&["arn:aws:s3:::mybucket"])),
                    (
                        "condition",
                        blocks(vec![obj(&[("test", s("StringLike")), ("variable", s("s3:prefix")), ("values", list(&["", "home/", "home/&{aws:username}/"]))])]),
                    ),
                ]),
                obj(&[("actions", list(&["s3:*"])), ("resources", list(&["arn:aws:s3:::mybucket/home/&{aws:username}", "arn:aws:s3:::mybucket/home/&{aws:username}/*"]))]),
            ]),
        )]);
        let r = render(&cfg).unwrap();
        insta::assert_snapshot!("basic_example", r.json);
        insta::assert_snapshot!("basic_example_minified", r.minified_json);
        assert_eq!(r.id, crc32(r.json.as_bytes()).to_string());
    }

    /// Principals grouped by type, identifiers reverse-sorted, a lone string
    /// joined with a list, wildcard normalization, not_principals, Deny with not_*.
    #[test]
    fn principals_and_wildcards() {
        let p = |ty: &str, ids: &[&str]| obj(&[("type", s(ty)), ("identifiers", list(ids))]);
        let cfg = obj(&[
            ("policy_id", s("policy_id")),
            (
                "statement",
                blocks(vec![
                    obj(&[
                        ("sid", s("Multi")),
                        ("actions", list(&["*"])),
                        ("resources", list(&["*"])),
                        (
                            "principals",
                            blocks(vec![
                                p("AWS", &["arn:aws:iam::111111111111:root"]),
                                p("AWS", &["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]),
                                p("Service", &["ec2.amazonaws.com"]),
                            ]),
                        ),
                    ]),
                    obj(&[("actions", list(&["s3:ListBucket"])), ("resources", list(&["arn:aws:s3:::foo"])), ("not_principals", blocks(vec![p("AWS", &["arn:blahblah:example"])]))]),
                    obj(&[("effect", s("Deny")), ("not_actions", list(&["s3:*"])), ("not_resources", list(&["arn:aws:s3:::*"]))]),
                    obj(&[("actions", list(&["kinesis:*"])), ("principals", blocks(vec![p("AWS", &["*"])]))]),
                    obj(&[("actions", list(&["firehose:*"])), ("principals", blocks(vec![p("*", &["*"])]))]),
                ]),
            ),
        ]);
        insta::assert_snapshot!("principals_and_wildcards", render(&cfg).unwrap().json);
    }

    /// The trust policy of terraform-aws-modules/vpc's flow logs role, with
    /// conditions grouped by test and variable and HTML-unsafe characters escaped as Go does.
    #[test]
    fn assume_role_with_conditions() {
        let cond = |t: &str, v: &str, vals: &[&str]| obj(&[("test", s(t)), ("variable", s(v)), ("values", list(vals))]);
        let cfg = obj(&[(
            "statement",
            blocks(vec![obj(&[
                ("sid", s("AWSVPCFlowLogsAssumeRole")),
                ("effect", s("Allow")),
                ("actions", list(&["sts:AssumeRole"])),
                ("principals", blocks(vec![obj(&[("type", s("Service")), ("identifiers", list(&["vpc-flow-logs.amazonaws.com"]))])])),
                (
                    "condition",
                    blocks(vec![
                        cond("StringEquals", "aws:SourceAccount", &["123456789012"]),
                        cond("ArnLike", "aws:SourceArn", &["arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"]),
                        cond("StringEquals", "aws:SourceAccount", &["210987654321"]),
                        cond("StringLike", "aws:UserAgent", &["a<b>&c", "z", "b"]),
                    ]),
                ),
            ])]),
        )]);
        let r = render(&cfg).unwrap();
        insta::assert_snapshot!("assume_role_with_conditions", r.json);
        assert!(r.minified_json.contains(r#""a\u003cb\u003e\u0026c""#), "{}", r.minified_json);
    }

    /// Sources merged in order, this document's Sid replaces a source's,
    /// an override replaces by Sid and appends the rest; Version/Id rules.
    #[test]
    fn source_and_override_documents() {
        let source1 = r#"{"Version":"2008-10-17","Statement":[{"Sid":"Keep","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*","Principal":{"AWS":["b","a"],"Service":"x.amazonaws.com"}},{"Sid":"Replaced","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
        let source2 = r#"{"statement":[{"effect":"Deny","action":"iam:*","resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":1.2}},"Unknown":"dropped"}]}"#;
        let override1 = r#"{"Id":"OverrideId","Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Deny","Action":"*","Resource":"*","Principal":"*"},{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#;
        let cfg = obj(&[
            ("policy_id", s("Mine")),
            ("source_policy_documents", list(&[source1, "", source2])),
            ("override_policy_documents", list(&[override1])),
            ("statement", blocks(vec![obj(&[("sid", s("Replaced")), ("actions", list(&["ec2:Describe*"])), ("resources", list(&["*"]))])])),
        ]);
        insta::assert_snapshot!("source_and_override_documents", render(&cfg).unwrap().json);
    }

    #[test]
    fn errors_name_the_argument() {
        let dup = obj(&[("statement", blocks(vec![obj(&[("sid", s("A")), ("actions", list(&["a"]))]), obj(&[("sid", s("A")), ("actions", list(&["b"]))])]))]);
        assert!(render(&dup).unwrap_err().contains("statement[1].sid: duplicate Sid (A)"));
        let src = r#"{"Statement":[{"Sid":"A"}]}"#;
        let dup_src = obj(&[("source_policy_documents", list(&[src, src]))]);
        assert!(render(&dup_src).unwrap_err().contains("source_policy_documents[1]: duplicate Sid (A)"));
        let v2008 = obj(&[("version", s(VERSION_2008)), ("statement", blocks(vec![obj(&[("resources", list(&["arn:x/&{aws:username}"]))])]))]);
        assert!(render(&v2008).unwrap_err().contains("statement[0].resources: found &{ sequence"));
        assert!(render(&obj(&[("source_policy_documents", list(&["[1]"]))])).unwrap_err().contains("source_policy_documents[0]"));
        assert!(render(&obj(&[("override_policy_documents", list(&[r#"{"Statement":{"Sid":"x"}}"#]))])).unwrap_err().contains("expected an array"));
        assert!(render(&obj(&[("source_policy_documents", list(&[r#"{"Statement":[{"Principal":{"AWS":[1]}}]}"#]))])).unwrap_err().contains("Principal.AWS[0]"));
        assert!(render(&obj(&[("source_json", s("{}"))])).unwrap_err().contains("source_json"));
        let bad = obj(&[("version", s("2020-01-01")), ("statement", blocks(vec![obj(&[("effect", s("allow")), ("sid", s("a-b"))])]))]);
        let v = validate(&bad);
        assert_eq!(v.len(), 3, "{v:?}");
    }

    #[test]
    fn empty_document_and_ids() {
        let r = render(&obj(&[])).unwrap();
        assert_eq!(r.json, "{\n  \"Version\": \"2012-10-17\"\n}");
        assert_eq!(r.minified_json, "{\"Version\":\"2012-10-17\"}");
        let other = render(&obj(&[("policy_id", s("x"))])).unwrap();
        assert_ne!(r.id, other.id);
    }

    /// The output means the same policy to `policy::equivalent` as a hand-written equivalent.
    #[test]
    fn output_is_equivalent_to_hand_written_json() {
        let cfg = obj(&[("statement", blocks(vec![obj(&[("actions", list(&["s3:GetObject", "s3:ListBucket"])), ("resources", list(&["*"]))])]))]);
        let r = render(&cfg).unwrap();
        let hand = r#"{"Statement":[{"Action":["s3:ListBucket","s3:GetObject"],"Effect":"Allow","Resource":["*"]}],"Version":"2012-10-17"}"#;
        assert!(crate::policy::equivalent(&r.json, hand));
        assert_eq!(serde_json::from_str::<Json>(&r.json).unwrap(), serde_json::from_str::<Json>(&r.minified_json).unwrap());
    }
}
