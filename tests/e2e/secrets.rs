//! The secret-marker corpus (`tests/secrets/`, see its README): each case
//! feeds `MARKER-S3CR3T` (as `var.secret`, from the environment) through one
//! path by which a secret used to leak, runs its command, then inspects
//! everything contin shows (`plan -out`, `show`, `show -json` of state and of
//! the plan, `plan -json`, `output`, `output -json`, `state list`,
//! `state show ADDR`), all with `CONTIN_LOG=debug`. The marker must appear in
//! no stdout or stderr, in no file of the directory except those the case
//! allows (a file the config itself writes), and in the state only at
//! attributes listed in `sensitive_paths` and in outputs marked sensitive.
//! State and plan files must be mode 0600. `CONTIN_CASE=NAME` runs one case.

use contin_e2e::corpus::{self, Case, Ended};
use contin_e2e::Project;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

const MARKER: &str = "MARKER-S3CR3T";
const TIMEOUT: Duration = Duration::from_secs(60);
const PLAN_FILE: &str = "contin.plan";

fn env() -> Vec<(&'static str, &'static str)> {
    vec![("CONTIN_VAR_secret", MARKER), ("CONTIN_VAR_checked", MARKER), ("CONTIN_LOG", "debug")]
}

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// The JSON paths (`a.b[0]`) under `j` whose string holds the marker.
fn marker_paths(j: &serde_json::Value, at: &mut Vec<serde_json::Value>, out: &mut Vec<Vec<serde_json::Value>>) {
    match j {
        serde_json::Value::String(s) if s.contains(MARKER) => out.push(at.clone()),
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(serde_json::json!({ "Index": i }));
                marker_paths(v, at, out);
                at.pop();
            }
        }
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                at.push(serde_json::json!({ "Key": k }));
                marker_paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// Where the state holds the marker without marking it sensitive.
fn state_leaks(state: &serde_json::Value) -> Vec<String> {
    let mut leaks = Vec::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        let mut found = Vec::new();
        marker_paths(&r["attributes"], &mut Vec::new(), &mut found);
        let marked: Vec<Vec<serde_json::Value>> = r["sensitive_paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_array().cloned())
            .collect();
        for p in found {
            if !marked.iter().any(|m| p.starts_with(m)) {
                leaks.push(format!("state: {} attribute {} holds the marker but is not in sensitive_paths", r["addr"], serde_json::Value::Array(p)));
            }
        }
    }
    for (name, o) in state["outputs"].as_object().into_iter().flatten() {
        if o.to_string().contains(MARKER) && o["sensitive"] != serde_json::Value::Bool(true) {
            leaks.push(format!("state: output {name} holds the marker but is not sensitive"));
        }
    }
    let rest: serde_json::Map<String, serde_json::Value> = state
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !matches!(k.as_str(), "resources" | "outputs"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if serde_json::Value::Object(rest).to_string().contains(MARKER) {
        leaks.push("state: the marker is outside resources and outputs (e.g. the site tree), where nothing marks it".into());
    }
    leaks
}

fn mode(path: &Path) -> Option<u32> {
    std::fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o777)
}

/// Files under `dir` (recursively), relative.
fn files(dir: &Path, rel: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir.join(rel)).into_iter().flatten().flatten() {
        let r = rel.join(e.file_name());
        if e.path().is_dir() {
            files(dir, &r, out);
        } else {
            out.push(r);
        }
    }
}

/// Every problem of one case (empty: no leak).
fn run_case(case: &Case) -> Vec<String> {
    let p = Project::empty();
    corpus::copy_dir(&case.dir, p.path());
    let env = env();
    let mut problems = Vec::new();
    let mut run = |what: &str, a: Vec<String>| -> corpus::Limited {
        let out = corpus::run_limited(p.path(), &a, &env, TIMEOUT);
        for sign in out.crash_signs() {
            problems.push(format!("`{what}`: {sign}"));
        }
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            if let Some(at) = text.find(MARKER) {
                let from = text[..at].char_indices().rev().nth(120).map_or(0, |(i, _)| i);
                problems.push(format!("`{what}` printed the marker on {stream}: …{}", &text[from..(at + MARKER.len())]));
            }
        }
        out
    };
    let main = case.args.join(" ");
    run(&main, case.args.clone());
    let then = case.extra.iter().find(|(k, _)| k == "then").map(|(_, v)| v.clone());
    if let Some(then) = then {
        run(&then, args(&then));
    }
    let planned = run("plan -out", args(&format!("plan -out={PLAN_FILE}")));
    for inspect in ["show", "show -json", "plan -json", "output", "output -json", "state list"] {
        run(inspect, args(inspect));
    }
    if planned.ended == Ended::Exited(0) || p.exists(PLAN_FILE) {
        for inspect in [format!("show {PLAN_FILE}"), format!("show -json {PLAN_FILE}")] {
            run(&inspect, args(&inspect));
        }
    }
    let state_path = p.file("contin.state.json");
    if let Ok(text) = std::fs::read_to_string(&state_path) {
        if let Ok(state) = serde_json::from_str::<serde_json::Value>(&text) {
            for r in state["resources"].as_array().into_iter().flatten() {
                if let Some(addr) = r["addr"].as_str() {
                    run(&format!("state show {addr}"), vec!["state".into(), "show".into(), addr.into()]);
                }
            }
            problems.extend(state_leaks(&state));
        }
    }
    // Files: state and plan files may hold the marker (state only where
    // marked, checked above; plan files hold values in clear, as Terraform's)
    // but must be private; any other file only when the case allows it.
    let allowed: Vec<String> = case.extra.iter().filter(|(k, _)| k == "allow_files").map(|(_, v)| v.clone()).collect();
    let mut all = Vec::new();
    files(p.path(), Path::new(""), &mut all);
    for rel in all {
        let name = rel.to_string_lossy().into_owned();
        let path = p.path().join(&rel);
        let private = name.starts_with("contin.state") || name.starts_with("contin.errored") || name == PLAN_FILE;
        if private {
            if let Some(m) = mode(&path).filter(|m| m & 0o077 != 0) {
                problems.push(format!("{name} is mode {m:o}, not 0600"));
            }
            continue;
        }
        if allowed.contains(&name) || case.dir.join(&rel).exists() {
            continue;
        }
        if std::fs::read(&path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(MARKER)) {
            problems.push(format!("file {name} holds the marker"));
        }
    }
    problems
}

#[test]
fn the_marker_secret_never_shows() {
    let only = std::env::var("CONTIN_CASE").ok();
    let cases = corpus::cases("secrets");
    assert!(cases.len() >= 20, "the corpus has only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| only.as_deref().is_none_or(|o| c.name == o)) {
        let problems = run_case(case);
        eprintln!("{:<40} {}", case.name, if problems.is_empty() { "ok".to_string() } else { format!("{} problem(s)", problems.len()) });
        if !problems.is_empty() {
            failures.push(format!("{} ({}):\n  - {}", case.name, case.checks, problems.join("\n  - ")));
        }
    }
    assert!(failures.is_empty(), "{} case(s) leak the marker:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn state_leak_check_follows_sensitive_paths() {
    let state = serde_json::json!({
        "resources": [
            {"addr": "a.b", "attributes": {"x": MARKER, "y": {"z": [MARKER]}}, "sensitive_paths": [[{"Key": "x"}], [{"Key": "y"}]]},
            {"addr": "a.c", "attributes": {"x": format!("pre-{MARKER}")}, "sensitive_paths": []}
        ],
        "outputs": {"hidden": {"value": MARKER, "sensitive": true}, "shown": {"value": MARKER, "sensitive": false}},
        "sites": {"eu": {"labels": {"t": MARKER}}}
    });
    let leaks = state_leaks(&state);
    assert_eq!(leaks.len(), 3, "{leaks:?}");
    assert!(leaks[0].contains("\"a.c\"") && leaks[1].contains("output shown") && leaks[2].contains("site tree"), "{leaks:?}");
}
