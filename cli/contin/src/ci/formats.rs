//! The machine outputs: JSON (plan or drift document), GitLab's terraform
//! report, SARIF 2.1.0 and JUnit XML. All are built from the report's
//! counts, addresses, attribute paths, diagnostics and redacted values.

use super::{gitlab_counts, Finding, Level, Report, Rule, Subject};
use contin_engine::drift::AttributeDrift;
use contin_engine::DriftReport;
use contin_planner::json::redacted;
use contin_types::value::PathStep;
use contin_types::{InstanceKey, ResourceMode};
use serde_json::{json, Value as J};

/// Version of the drift JSON document (docs/ci.md).
pub const DRIFT_JSON_FORMAT_VERSION: &str = "1.0";

/// `-json-out`: the documented plan JSON, or the drift document.
pub fn json(report: &Report<'_>) -> anyhow::Result<String> {
    let doc = match &report.subject {
        Subject::Plan(plan) => contin_planner::json::plan_to_json(plan),
        Subject::Drift(d) => drift_json(d),
        Subject::Failed => json!({
            "format_version": contin_planner::json::PLAN_JSON_FORMAT_VERSION,
            "contin_version": env!("CARGO_PKG_VERSION"),
            "errored": true,
            "diagnostics": report.findings().iter().map(|f| json!({
                "severity": f.level.as_str(),
                "summary": f.title,
                "detail": f.detail,
                "address": f.address,
                "range": f.position.as_ref().map(|p| json!({"filename": p.file, "start": {"line": p.line, "column": p.col}})),
            })).collect::<Vec<_>>(),
        }),
    };
    Ok(serde_json::to_string_pretty(&doc)?)
}

/// The drift report as JSON (schema in docs/drift-json.schema.json).
pub fn drift_json(d: &DriftReport) -> J {
    let drifted: Vec<J> = d
        .drifted
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert("address".into(), json!(r.addr.to_string()));
            m.insert("mode".into(), json!(if r.addr.mode == ResourceMode::Data { "data" } else { "managed" }));
            m.insert("type".into(), json!(r.addr.ty));
            m.insert("name".into(), json!(r.addr.name));
            match &r.addr.key {
                InstanceKey::None => {}
                InstanceKey::Int(i) => {
                    m.insert("index".into(), json!(i));
                }
                InstanceKey::Str(s) => {
                    m.insert("index".into(), json!(s));
                }
            }
            m.insert("provider_name".into(), json!(r.provider));
            m.insert("actions".into(), json!(if r.deleted { ["delete"] } else { ["update"] }));
            m.insert("attributes".into(), J::Array(r.attributes.iter().map(attribute_json).collect()));
            J::Object(m)
        })
        .collect();
    json!({
        "format_version": DRIFT_JSON_FORMAT_VERSION,
        "kind": "drift",
        "contin_version": env!("CARGO_PKG_VERSION"),
        "lineage": d.lineage,
        "serial": d.serial,
        "checked": d.checked.len(),
        "drifted": drifted,
        "unreachable": d.unreachable.iter().map(|u| json!({"address": u.addr.to_string(), "reason": u.reason})).collect::<Vec<_>>(),
        "has_drift": d.has_drift(),
    })
}

fn attribute_json(a: &AttributeDrift) -> J {
    let path: Vec<J> = a
        .path
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => json!(k),
            PathStep::Index(i) => json!(i),
        })
        .collect();
    json!({
        "path": path,
        "before": a.recorded.as_ref().map_or(J::Null, redacted),
        "after": a.current.as_ref().map_or(J::Null, redacted),
        "sensitive": a.sensitive,
    })
}

/// `-gitlab-report`: `{"create":n,"update":n,"delete":n}` (a replace counts
/// in create and delete, as GitLab's own wrapper does; drift: changed objects
/// count as updates, deleted ones as deletes).
pub fn gitlab(report: &Report<'_>) -> anyhow::Result<String> {
    let (create, update, delete) = match &report.subject {
        Subject::Plan(p) => gitlab_counts(p),
        Subject::Drift(d) => (0, d.drifted.iter().filter(|r| !r.deleted).count(), d.drifted.iter().filter(|r| r.deleted).count()),
        Subject::Failed => (0, 0, 0),
    };
    Ok(serde_json::to_string(&json!({"create": create, "update": update, "delete": delete}))?)
}

/// `-sarif-out`: SARIF 2.1.0, one run, one rule per finding kind.
pub fn sarif(report: &Report<'_>) -> anyhow::Result<String> {
    let rules: Vec<J> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "shortDescription": {"text": r.description()},
                "defaultConfiguration": {"level": r.default_level().as_str()},
            })
        })
        .collect();
    let results: Vec<J> = report.findings().iter().map(sarif_result).collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "contin",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "automationDetails": {"id": format!("contin/{}/", report.command)},
            "results": results,
        }],
    });
    Ok(serde_json::to_string_pretty(&doc)?)
}

fn sarif_result(f: &Finding) -> J {
    let rule_index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
    let mut r = json!({
        "ruleId": f.rule.id(),
        "ruleIndex": rule_index,
        "level": f.level.as_str(),
        "message": {"text": f.message()},
    });
    let mut locations = Vec::new();
    if let Some(p) = &f.position {
        locations.push(json!({"physicalLocation": {
            "artifactLocation": {"uri": p.file},
            "region": {"startLine": p.line, "startColumn": p.col},
        }}));
    }
    if let Some(a) = &f.address {
        let logical = json!([{"fullyQualifiedName": a, "kind": "resource"}]);
        match locations.first_mut() {
            Some(J::Object(m)) => {
                m.insert("logicalLocations".into(), logical);
            }
            _ => locations.push(json!({"logicalLocations": logical})),
        }
    }
    if !locations.is_empty() {
        r["locations"] = J::Array(locations);
    }
    // Stable identity across runs for code-scanning deduplication.
    r["partialFingerprints"] = json!({"continFinding/v1": format!("{}:{}:{}", f.rule.id(), f.address.as_deref().unwrap_or(""), f.title)});
    r
}

/// One JUnit test case.
struct Case {
    classname: String,
    name: String,
    /// (message, body) of a failure.
    failure: Option<(String, String)>,
    /// Why it was skipped.
    skipped: Option<String>,
    out: String,
}

/// `-junit-out`: one test case per check. Plan: configuration, destroys,
/// reachability, drift. Drift: one case per object read.
pub fn junit(report: &Report<'_>) -> String {
    let findings = report.findings();
    let of = |rule: Rule| findings.iter().filter(move |f| f.rule == rule);
    let lines = |it: &mut dyn Iterator<Item = &Finding>| it.map(|f| format!("{}\n", f.message())).collect::<String>();
    let class = format!("contin.{}", report.command);
    let mut cases = Vec::new();
    let errors: Vec<&Finding> = findings.iter().filter(|f| matches!(f.rule, Rule::Error | Rule::PreventDestroy)).collect();
    cases.push(Case {
        classname: class.clone(),
        name: if matches!(report.subject, Subject::Drift(_)) { "configuration is valid" } else { "configuration and plan are valid" }.into(),
        failure: (!errors.is_empty()).then(|| (format!("{} error(s)", errors.len()), lines(&mut errors.iter().copied()))),
        skipped: None,
        out: lines(&mut of(Rule::Warning)),
    });
    match &report.subject {
        Subject::Plan(_) => {
            let destroys: Vec<&Finding> = of(Rule::Destroy).collect();
            let listed = lines(&mut destroys.iter().copied());
            cases.push(Case {
                classname: class.clone(),
                name: "no object is deleted or replaced".into(),
                failure: (report.fail_on_destroy && !destroys.is_empty()).then(|| (format!("{} object(s) deleted or replaced (-fail-on-destroy)", destroys.len()), listed.clone())),
                skipped: None,
                out: if report.fail_on_destroy { String::new() } else { listed },
            });
            let unreachable: Vec<&Finding> = of(Rule::Unreachable).collect();
            cases.push(Case {
                classname: class.clone(),
                name: "every recorded object could be read".into(),
                failure: (!unreachable.is_empty()).then(|| (format!("{} object(s) unreachable", unreachable.len()), lines(&mut unreachable.iter().copied()))),
                skipped: None,
                out: String::new(),
            });
            cases.push(Case { classname: class.clone(), name: "drift since the last apply".into(), failure: None, skipped: None, out: lines(&mut of(Rule::Drift)) });
        }
        Subject::Drift(d) => {
            for addr in &d.checked {
                let a = addr.to_string();
                let drift = findings.iter().find(|f| f.rule == Rule::Drift && f.address.as_deref() == Some(a.as_str()));
                let unreachable = findings.iter().find(|f| f.rule == Rule::Unreachable && f.address.as_deref() == Some(a.as_str()));
                cases.push(Case {
                    classname: format!("{class}.{}", addr.ty),
                    name: a.clone(),
                    failure: drift.map(|f| (f.title.clone(), f.message())),
                    skipped: unreachable.map(Finding::message),
                    out: String::new(),
                });
            }
        }
        Subject::Failed => {}
    }
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let skipped = cases.iter().filter(|c| c.skipped.is_some()).count();
    let suite = format!("contin {}", report.command);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!("<testsuites name=\"contin\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n", cases.len()));
    x.push_str(&format!("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n", xml(&suite), cases.len()));
    for c in &cases {
        x.push_str(&format!("    <testcase classname=\"{}\" name=\"{}\"", xml(&c.classname), xml(&c.name)));
        if c.failure.is_none() && c.skipped.is_none() && c.out.is_empty() {
            x.push_str("/>\n");
            continue;
        }
        x.push_str(">\n");
        if let Some((msg, body)) = &c.failure {
            x.push_str(&format!("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml(msg), Level::Error.as_str(), xml(body)));
        }
        if let Some(why) = &c.skipped {
            x.push_str(&format!("      <skipped message=\"{}\"/>\n", xml(why)));
        }
        if !c.out.is_empty() {
            x.push_str(&format!("      <system-out>{}</system-out>\n", xml(&c.out)));
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// XML text/attribute escaping; characters XML 1.0 cannot carry become U+FFFD.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
