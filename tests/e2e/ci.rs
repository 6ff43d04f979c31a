//! The CI step end to end, driving the real binary: every output of one
//! plan run (0600, schema-valid JSON, no secret), exit codes
//! (-detailed-exitcode, -fail-on-destroy), `contin drift`, -lock-timeout
//! against a real holder, SIGTERM releasing the lock, encrypted plan files,
//! and the example CI pipelines in examples/ci/ (parsed as YAML, their
//! `contin` commands run against a local S3 server).

use contin_e2e::moto::MotoServer;
use contin_e2e::{repo_root, Output, Project};
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MARKER: &str = "MARKER-SECRET-c1-9e2b";

/// A fake server (latency `ms` per change) and a local file; the token is sensitive.
fn config(servers: u32, ms: u32) -> String {
    format!(
        r#"
provider "fake" {{
  latency_ms = {ms}
}}

variable "token" {{
  type      = string
  sensitive = true
}}

resource "fake_resource" "server" {{
  count           = {servers}
  name            = "server-${{count.index}}"
  sensitive_value = var.token
}}

resource "local_file" "motd" {{
  filename = "out/motd.txt"
  content  = "hello\n"
}}
"#
    )
}

fn run(p: &Project, args: &[&str]) -> Output {
    p.run_with(args, None, &[("CONTIN_VAR_token", MARKER), ("GITHUB_ACTIONS", ""), ("GITHUB_STEP_SUMMARY", "")])
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo_root().join("docs").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn assert_valid(schema_name: &str, text: &str) {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let errs = contin_e2e::schema::validate(&schema(schema_name), &doc);
    assert!(errs.is_empty(), "{schema_name}:\n{}", errs.join("\n"));
}

const OUTPUTS: [&str; 5] = ["p.json", "p.md", "p.gitlab.json", "p.sarif", "p.xml"];

fn plan_with_outputs(p: &Project, extra: &[&str]) -> Output {
    let mut args = vec!["plan", "-json-out", "p.json", "-markdown-out", "p.md", "-gitlab-report", "p.gitlab.json", "-sarif-out", "p.sarif", "-junit-out", "p.xml"];
    args.extend_from_slice(extra);
    run(p, &args)
}

#[test]
fn one_plan_writes_every_output_and_the_exit_codes_follow_the_flags() {
    let p = Project::with_main(&config(2, 0));
    // Changes: 2 with -detailed-exitcode, 0 without.
    let out = plan_with_outputs(&p, &["-detailed-exitcode"]);
    out.expect_code(2);
    assert!(out.stdout.contains("Plan: 3 to add, 0 to change, 0 to destroy."), "{}", out.stdout);
    for f in OUTPUTS {
        #[cfg(unix)]
        assert_eq!(mode(&p.file(f)), 0o600, "{f} is owner-only");
        assert!(!p.read(f).contains(MARKER), "the secret leaked into {f}");
    }
    assert!(!out.all().contains(MARKER));
    assert_valid("plan-json.schema.json", &p.read("p.json"));
    assert_eq!(p.read("p.gitlab.json"), r#"{"create":3,"delete":0,"update":0}"#);
    let sarif: serde_json::Value = serde_json::from_str(&p.read("p.sarif")).expect("sarif json");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(p.read("p.xml").contains("<testsuite name=\"contin plan\" tests=\"4\" failures=\"0\""), "{}", p.read("p.xml"));
    assert!(p.read("p.md").starts_with("### :memo: contin plan: 3 to add, 0 to change, 0 to destroy"));
    run(&p, &["plan"]).expect_code(0);

    run(&p, &["apply", "-auto-approve"]).expect_code(0);
    run(&p, &["plan", "-detailed-exitcode"]).expect_code(0);

    // One server fewer: a delete. -fail-on-destroy exits 3 after writing every output.
    p.write("main.hcl", &config(1, 0));
    for f in OUTPUTS {
        std::fs::remove_file(p.file(f)).expect("remove");
    }
    let out = plan_with_outputs(&p, &["-detailed-exitcode", "-fail-on-destroy"]);
    out.expect_code(3);
    assert!(out.stderr.contains("-fail-on-destroy"), "{}", out.stderr);
    for f in OUTPUTS {
        assert!(p.exists(f), "{f} written before exit 3");
        assert!(!p.read(f).contains(MARKER), "the secret leaked into {f}");
    }
    assert_eq!(p.read("p.gitlab.json"), r#"{"create":0,"delete":1,"update":0}"#);
    let md = p.read("p.md");
    assert!(md.contains("#### :x: Destroy (1)\n\n- `fake_resource.server[1]`"), "{md}");
    let sarif = p.read("p.sarif");
    let block_line = config(1, 0).lines().position(|l| l.contains("resource \"fake_resource\" \"server\"")).map_or(0, |i| i + 1);
    assert!(sarif.contains("\"ruleId\": \"contin/destroy\"") && sarif.contains(&format!("\"startLine\": {block_line}")), "{sarif}");
    assert!(p.read("p.xml").contains("<failure message=\"1 object(s) deleted or replaced (-fail-on-destroy)\""));
    // Without the flag the same plan is just "changes".
    run(&p, &["plan", "-detailed-exitcode"]).expect_code(2);

    // An error: exit 1, and SARIF/JUnit still say where.
    let broken = format!("{}\nresource \"fake_resource\" \"broken\" {{\n  name = var.nope\n}}\n", config(1, 0));
    let line = broken.lines().position(|l| l.contains("var.nope")).map_or(0, |i| i + 1);
    p.write("main.hcl", &broken);
    let out = run(&p, &["plan", "-detailed-exitcode", "-sarif-out", "err.sarif", "-junit-out", "err.xml", "-markdown-out", "err.md"]);
    out.expect_code(1);
    let sarif = p.read("err.sarif");
    assert!(sarif.contains("\"ruleId\": \"contin/error\"") && sarif.contains("main.hcl\"") && sarif.contains(&format!("\"startLine\": {line}")), "{sarif}");
    assert!(p.read("err.xml").contains("failures=\"1\""));
    assert!(p.read("err.md").starts_with("### :x: contin plan failed"));
}

#[test]
fn github_actions_gets_annotations_and_the_step_summary() {
    let p = Project::with_main(&config(1, 0));
    let summary = p.file("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write");
    let out = p.run_with(
        &["plan", "-markdown-out", "p.md"],
        None,
        &[("CONTIN_VAR_token", MARKER), ("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", &summary.to_string_lossy())],
    );
    out.expect_code(0);
    let text = p.read("summary.md");
    assert!(text.starts_with("earlier step\n### :memo: contin plan: 2 to add"), "appended, not replaced: {text}");
    assert!(!text.contains(MARKER));
    // With --json, stdout stays one JSON document (no workflow commands in it).
    let out = p.run_with(&["plan", "-json"], None, &[("CONTIN_VAR_token", MARKER), ("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", "")]);
    out.expect_code(0);
    assert!(serde_json::from_str::<serde_json::Value>(&out.stdout).is_ok(), "{}", out.stdout);
    // An error becomes a located ::error annotation.
    p.write("extra.hcl", "resource \"fake_resource\" \"x\" {\n  name = var.missing\n}\n");
    let out = p.run_with(&["plan"], None, &[("CONTIN_VAR_token", MARKER), ("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", "")]);
    out.expect_code(1);
    assert!(out.stdout.contains("extra.hcl,line=2,col=10,title=Reference to undeclared input variable::"), "{}", out.stdout);
}

#[test]
fn drift_names_each_changed_attribute_and_exits_2() {
    let p = Project::with_main(&config(1, 0));
    run(&p, &["apply", "-auto-approve"]).expect_code(0);
    let out = run(&p, &["drift", "-json-out", "d.json"]);
    out.expect_code(0);
    assert!(out.stdout.contains("No drift: the 2 object(s)"), "{}", out.stdout);
    assert_valid("drift-json.schema.json", &p.read("d.json"));

    std::fs::write(p.file("out/motd.txt"), "edited by hand\n").expect("edit");
    let state_before = p.read("contin.state.json");
    let out = run(&p, &["drift", "-json-out", "d.json", "-markdown-out", "d.md", "-sarif-out", "d.sarif", "-junit-out", "d.xml", "-gitlab-report", "d.gl.json"]);
    out.expect_code(2);
    assert!(out.stdout.contains("Drift detected: 1 of 2 object(s) changed outside contin."), "{}", out.stdout);
    assert!(out.stdout.contains("~ local_file.motd") && out.stdout.contains("~ content: \"hello\\n\" -> \"edited by hand\\n\""), "{}", out.stdout);
    assert_eq!(p.read("contin.state.json"), state_before, "drift writes nothing");
    let json = p.read("d.json");
    assert_valid("drift-json.schema.json", &json);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["drifted"][0]["address"], "local_file.motd");
    assert!(p.read("d.md").contains("`local_file.motd`: attributes changed: content"));
    assert!(p.read("d.sarif").contains("contin/drift"));
    assert!(p.read("d.xml").contains("<testcase classname=\"contin.drift.local_file\" name=\"local_file.motd\">"));
    for f in ["d.json", "d.md", "d.sarif", "d.xml", "d.gl.json"] {
        assert!(!p.read(f).contains(MARKER), "{f}");
        #[cfg(unix)]
        assert_eq!(mode(&p.file(f)), 0o600, "{f}");
    }
}

#[test]
fn drift_redacts_a_sensitive_attribute_that_changed() {
    // The fake provider's store is the "cloud": edit the sensitive value there.
    let hcl = config(1, 0).replace("latency_ms = 0", "latency_ms = 0\n  store = \"cloud.json\"");
    let p = Project::with_main(&hcl);
    run(&p, &["apply", "-auto-approve"]).expect_code(0);
    let cloud = p.read("cloud.json");
    assert!(cloud.contains(MARKER), "the fake cloud keeps the value: {cloud}");
    p.write("cloud.json", &cloud.replace(MARKER, "ANOTHER-SECRET-0042"));
    let out = run(&p, &["drift", "-json-out", "d.json", "-markdown-out", "d.md"]);
    out.expect_code(2);
    assert!(out.stdout.contains("~ sensitive_value: (sensitive value)"), "{}", out.stdout);
    for text in [out.all(), p.read("d.json"), p.read("d.md")] {
        assert!(!text.contains(MARKER) && !text.contains("ANOTHER-SECRET-0042"), "{text}");
    }
}

/// Waits until `path` exists (a running apply's lock record), up to 60 s.
fn wait_for(path: &Path, what: &str) {
    let start = Instant::now();
    while !path.exists() || std::fs::read_to_string(path).map(|s| s.trim().is_empty()).unwrap_or(true) {
        assert!(start.elapsed() < Duration::from_secs(60), "{what} did not appear");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn lock_timeout_waits_for_a_real_holder_and_names_it() {
    let p = Project::with_main(&config(1, 2000));
    // The holder: an apply that takes ~2 s, run from "a CI job".
    let mut holder = p.command(&["apply", "-auto-approve"]);
    holder
        .env("CONTIN_VAR_token", MARKER)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "acme/infra")
        .env("GITHUB_RUN_ID", "4242")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = holder.spawn().expect("start the holder");
    wait_for(&p.file("contin.state.json.lock"), "the holder's lock");
    // Without -lock-timeout: refused at once, naming the holder.
    let out = run(&p, &["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("state is locked") && out.stderr.contains("operation apply"), "{}", out.stderr);
    assert!(out.stderr.contains("held by the CI run https://github.example/acme/infra/actions/runs/4242"), "{}", out.stderr);
    // With it: waits, says who it waits for (with the CI run), then plans.
    let started = Instant::now();
    let out = run(&p, &["plan", "-lock-timeout", "1m", "-detailed-exitcode"]);
    let waited = started.elapsed();
    let status = child.wait().expect("holder exits");
    assert!(status.success(), "holder failed: {status:?}");
    out.expect_code(0);
    assert!(out.stderr.contains("waiting up to 1m"), "{}", out.stderr);
    assert!(out.stderr.contains("operation apply") && out.stderr.contains("https://github.example/acme/infra/actions/runs/4242"), "{}", out.stderr);
    assert!(waited < Duration::from_secs(60), "took {waited:?}");
    // A short timeout gives up with the holder named.
    p.write("main.hcl", &config(2, 3000));
    let mut holder = p.command(&["apply", "-auto-approve"]);
    holder.env("CONTIN_VAR_token", MARKER).stdout(Stdio::null()).stderr(Stdio::null());
    // Not a CI job: its lock records no run URL.
    for k in ["GITHUB_RUN_ID", "CI_JOB_URL", "BUILD_URL", "BUILDKITE_BUILD_URL", "CIRCLE_BUILD_URL"] {
        holder.env_remove(k);
    }
    let mut child = holder.spawn().expect("start the holder");
    std::thread::sleep(Duration::from_millis(200));
    wait_for(&p.file("contin.state.json.lock"), "the holder's lock");
    // Refused at once: the whole message, with no CI run line.
    let out = run(&p, &["plan"]);
    out.expect_code(1);
    for part in ["state is locked by", "operation apply", "since ", "lock ID ", "contin force-unlock -force "] {
        assert!(out.stderr.contains(part), "{part:?} missing:\n{}", out.stderr);
    }
    assert!(!out.stderr.contains("CI run"), "{}", out.stderr);
    let out = run(&p, &["plan", "-lock-timeout", "1s"]);
    out.expect_code(1);
    assert!(out.stderr.contains("gave up waiting for the state lock after 1s") && out.stderr.contains("operation apply"), "{}", out.stderr);
    assert!(child.wait().expect("holder exits").success());
}

/// SIGTERM while the planner walks a big configuration: the walk stops
/// between blocks (it used to run to the end, ~15 s here, before the signal
/// was honoured), exit 143, lock free.
#[cfg(unix)]
#[test]
fn sigterm_during_a_long_plan_walk_stops_it_at_once() {
    let mut big = String::from("provider \"fake\" {}\n");
    for i in 0..20_000 {
        big.push_str(&format!("resource \"fake_resource\" \"r{i}\" {{\n  name  = \"r{i}\"\n  value = join(\"-\", [for k in range(5) : \"v{i}-${{k}}\"])\n}}\n\n"));
    }
    let p = Project::with_main(&big);
    let mut cmd = p.command(&["plan", "-refresh=false"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start plan");
    // The lock is taken after the configuration is loaded, right before the walk.
    wait_for(&p.file("contin.state.json.lock"), "the plan's lock");
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("plan exits");
    let took = sent.elapsed();
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert_eq!(status.code(), Some(143), "SIGTERM exits 143: {stderr}");
    assert!(took < Duration::from_secs(5), "the plan took {took:?} to stop after SIGTERM");
    // The lock is free at once.
    p.write("main.hcl", "resource \"fake_resource\" \"a\" {\n  name = \"a\"\n}\n");
    p.run(&["plan", "-refresh=false"]).expect_code(0);
}

#[cfg(unix)]
#[test]
fn sigterm_during_a_long_apply_releases_the_lock_and_keeps_the_state_consistent() {
    let p = Project::with_main(&config(4, 1500));
    let mut cmd = p.command(&["apply", "-auto-approve", "-parallelism", "1"]);
    cmd.env("CONTIN_VAR_token", MARKER).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start apply");
    // Wait until the first server finished (so the state holds something), then cancel like a CI runner.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while !seen.contains("Creation complete") {
        assert!(start.elapsed() < Duration::from_secs(60), "no change finished: {seen}");
        let n = stdout.read(&mut buf).expect("read stdout");
        assert!(n > 0, "apply ended early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest of stdout");
    let status = child.wait().expect("apply exits");
    assert_eq!(status.code(), Some(143), "SIGTERM exits 143: {seen}{rest}");
    // The lock is free at once (no -lock-timeout), and the state is readable and consistent.
    let out = run(&p, &["plan", "-detailed-exitcode"]);
    out.expect_code(2);
    let state = p.state();
    let recorded = state["resources"].as_array().map_or(0, Vec::len);
    assert!((1..5).contains(&recorded), "some but not all objects recorded: {recorded}");
    // Running apply again finishes the rest.
    run(&p, &["apply", "-auto-approve"]).expect_code(0);
    run(&p, &["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(p.state()["resources"].as_array().map_or(0, Vec::len), 5);
}

const KEY: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f000112233445566778899aabbccddeeff";

#[test]
fn an_encrypted_plan_applies_only_with_its_key_and_only_while_fresh() {
    let p = Project::with_main(&config(1, 0));
    let key_env: [(&str, &str); 4] = [("CONTIN_VAR_token", MARKER), ("PLAN_KEY", KEY), ("GITHUB_ACTIONS", ""), ("GITHUB_STEP_SUMMARY", "")];
    p.run_with(&["plan", "-out", "plan.bin", "-plan-key-env", "PLAN_KEY"], None, &key_env).expect_code(0);
    let bytes = std::fs::read(p.file("plan.bin")).expect("plan file");
    assert!(bytes.starts_with(b"contin-plan-sealed\n"));
    assert!(!String::from_utf8_lossy(&bytes).contains(MARKER) && !String::from_utf8_lossy(&bytes).contains("fake_resource"), "encrypted");
    #[cfg(unix)]
    assert_eq!(mode(&p.file("plan.bin")), 0o600);
    let out = run(&p, &["apply", "plan.bin"]);
    out.expect_code(1);
    assert!(out.stderr.contains("encrypted plan file: pass -plan-key-env"), "{}", out.stderr);
    let wrong = KEY.replace('8', "9");
    let out = p.run_with(&["apply", "-plan-key-env", "PLAN_KEY", "plan.bin"], None, &[("CONTIN_VAR_token", MARKER), ("PLAN_KEY", &wrong)]);
    out.expect_code(1);
    assert!(out.stderr.contains("wrong key, or the file was changed"), "{}", out.stderr);
    let out = p.run_with(&["apply", "-plan-key-env", "NOT_SET_ANYWHERE", "plan.bin"], None, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("NOT_SET_ANYWHERE: the environment variable is not set"), "{}", out.stderr);
    // Bound to the configuration: an edit refuses it.
    let original = p.read("main.hcl");
    p.write("main.hcl", &original.replace("hello", "hello again"));
    let out = p.run_with(&["apply", "-plan-key-env", "PLAN_KEY", "plan.bin"], None, &key_env);
    out.expect_code(1);
    assert!(out.stderr.contains("the configuration changed since the plan"), "{}", out.stderr);
    p.write("main.hcl", &original);
    // Fresh and right: applied.
    p.run_with(&["apply", "-plan-key-env", "PLAN_KEY", "plan.bin"], None, &key_env).expect_code(0);
    // Bound to the state serial: the same plan again is stale.
    let out = p.run_with(&["apply", "-plan-key-env", "PLAN_KEY", "plan.bin"], None, &key_env);
    out.expect_code(1);
    assert!(out.stderr.to_lowercase().contains("stale"), "{}", out.stderr);
    // An unencrypted plan is refused when a key is expected (no downgrade).
    run(&p, &["plan", "-out", "clear.bin"]).expect_code(0);
    let out = p.run_with(&["apply", "-plan-key-env", "PLAN_KEY", "clear.bin"], None, &key_env);
    out.expect_code(1);
    assert!(out.stderr.contains("is not encrypted"), "{}", out.stderr);
}

// ---- The example pipelines -------------------------------------------------

/// A YAML node of the block-style subset CI files use.
#[derive(Clone, Debug, PartialEq)]
enum Y {
    Str(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
}

impl Y {
    fn get(&self, key: &str) -> Option<&Y> {
        match self {
            Y::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Y::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A YAML parser for the subset GitHub Actions and GitLab CI files use:
/// block mappings and sequences, `|`/`>` block scalars, plain, single- and
/// double-quoted scalars, one-line flow sequences, comments. It refuses
/// what it does not understand (tabs, bad indentation, duplicate keys,
/// unterminated quotes, anchors and tags), so a file it accepts is YAML
/// with the structure it reports.
struct YamlParser {
    lines: Vec<String>,
    i: usize,
}

fn indent_of(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

/// The line without a trailing ` # comment` (outside quotes).
fn strip_comment(s: &str) -> &str {
    let (mut single, mut double, mut prev_space) = (false, false, true);
    for (i, c) in s.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev_space => return s[..i].trim_end(),
            _ => {}
        }
        prev_space = c == ' ';
    }
    s.trim_end()
}

impl YamlParser {
    fn parse(text: &str) -> Result<Y, String> {
        if text.contains('\t') {
            return Err("tabs are not allowed in YAML indentation".into());
        }
        let mut p = YamlParser { lines: text.lines().map(str::to_string).collect(), i: 0 };
        let Some((ind, _)) = p.peek() else { return Err("empty document".into()) };
        let doc = p.node(ind)?;
        if let Some((_, l)) = p.peek() {
            return Err(format!("line {}: unexpected {l:?}", p.i + 1));
        }
        Ok(doc)
    }

    /// The next significant line (indent, content without comment).
    fn peek(&mut self) -> Option<(usize, String)> {
        while self.i < self.lines.len() {
            let l = &self.lines[self.i];
            let c = strip_comment(l.trim_start());
            if c.is_empty() || c == "---" {
                self.i += 1;
                continue;
            }
            return Some((indent_of(l), c.to_string()));
        }
        None
    }

    fn node(&mut self, ind: usize) -> Result<Y, String> {
        match self.peek() {
            Some((_, c)) if c == "-" || c.starts_with("- ") => self.seq(ind),
            Some(_) => self.map(ind),
            None => Ok(Y::Str(String::new())),
        }
    }

    fn seq(&mut self, ind: usize) -> Result<Y, String> {
        let mut items = Vec::new();
        while let Some((i, c)) = self.peek() {
            if i < ind || !(c == "-" || c.starts_with("- ")) {
                if i > ind {
                    return Err(format!("line {}: bad indentation in a sequence", self.i + 1));
                }
                break;
            }
            if i > ind {
                return Err(format!("line {}: bad indentation in a sequence", self.i + 1));
            }
            let rest = c[1..].trim_start().to_string();
            if rest.is_empty() {
                self.i += 1;
                match self.peek() {
                    Some((ci, _)) if ci > ind => items.push(self.node(ci)?),
                    _ => items.push(Y::Str(String::new())),
                }
            } else if key_split(&rest).is_some() {
                // `- key: value` starts a mapping at the item's column.
                let col = ind + (c.len() - rest.len());
                self.lines[self.i] = format!("{}{}", " ".repeat(col), &self.lines[self.i].trim_start()[c.len() - rest.len()..]);
                items.push(self.map(col)?);
            } else {
                self.i += 1;
                items.push(scalar(&rest).map_err(|e| format!("line {}: {e}", self.i))?);
            }
        }
        Ok(Y::Seq(items))
    }

    fn map(&mut self, ind: usize) -> Result<Y, String> {
        let mut entries: Vec<(String, Y)> = Vec::new();
        while let Some((i, c)) = self.peek() {
            if i < ind {
                break;
            }
            let line_no = self.i + 1;
            if i > ind {
                return Err(format!("line {line_no}: bad indentation"));
            }
            if c == "-" || c.starts_with("- ") {
                break;
            }
            let (key, value) = key_split(&c).ok_or_else(|| format!("line {line_no}: expected `key: value`, got {c:?}"))?;
            let key = match scalar(&key)? {
                Y::Str(k) => k,
                _ => return Err(format!("line {line_no}: a key must be a scalar")),
            };
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(format!("line {line_no}: duplicate key {key:?}"));
            }
            self.i += 1;
            let v = if value.is_empty() {
                match self.peek() {
                    Some((ci, _)) if ci > ind => self.node(ci)?,
                    Some((ci, cc)) if ci == ind && (cc == "-" || cc.starts_with("- ")) => self.seq(ind)?,
                    _ => Y::Str(String::new()),
                }
            } else if ["|", "|-", "|+", ">", ">-", ">+"].contains(&value.as_str()) {
                self.block_scalar(ind, value.starts_with('>'))
            } else {
                scalar(&value).map_err(|e| format!("line {line_no}: {e}"))?
            };
            entries.push((key, v));
        }
        Ok(Y::Map(entries))
    }

    fn block_scalar(&mut self, ind: usize, folded: bool) -> Y {
        let mut body: Vec<String> = Vec::new();
        let mut base = None;
        while self.i < self.lines.len() {
            let l = &self.lines[self.i];
            if !l.trim().is_empty() && indent_of(l) <= ind {
                break;
            }
            if !l.trim().is_empty() && base.is_none() {
                base = Some(indent_of(l));
            }
            body.push(l.get(base.unwrap_or(0).min(indent_of(l))..).unwrap_or("").to_string());
            self.i += 1;
        }
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        Y::Str(body.join(if folded { " " } else { "\n" }))
    }
}

/// `key: value` / `key:` (the colon outside quotes, followed by a space or the end).
fn key_split(s: &str) -> Option<(String, String)> {
    let (mut single, mut double) = (false, false);
    let b = s.as_bytes();
    for (i, c) in s.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            ':' if !single && !double && (i + 1 == b.len() || b[i + 1] == b' ') => {
                return Some((s[..i].trim().to_string(), s[i + 1..].trim().to_string()));
            }
            '[' | '{' if i == 0 => return None,
            _ => {}
        }
    }
    None
}

fn scalar(s: &str) -> Result<Y, String> {
    let s = s.trim();
    if s.starts_with('&') || s.starts_with('*') || s.starts_with('!') {
        return Err(format!("anchors, aliases and tags are not supported: {s:?}"));
    }
    if let Some(inner) = s.strip_prefix('"') {
        let body = inner.strip_suffix('"').ok_or_else(|| format!("unterminated double-quoted string {s:?}"))?;
        return serde_json::from_str::<String>(&format!("\"{body}\"")).map(Y::Str).map_err(|e| format!("bad escape in {s:?}: {e}"));
    }
    if let Some(inner) = s.strip_prefix('\'') {
        let body = inner.strip_suffix('\'').ok_or_else(|| format!("unterminated single-quoted string {s:?}"))?;
        return Ok(Y::Str(body.replace("''", "'")));
    }
    if let Some(inner) = s.strip_prefix('[') {
        let body = inner.strip_suffix(']').ok_or_else(|| format!("unterminated flow sequence {s:?}"))?;
        if body.trim().is_empty() {
            return Ok(Y::Seq(Vec::new()));
        }
        return body.split(',').map(scalar).collect::<Result<Vec<_>, _>>().map(Y::Seq);
    }
    if s.starts_with('{') {
        return Err(format!("flow mappings are not supported: {s:?}"));
    }
    Ok(Y::Str(s.to_string()))
}

/// The `contin …` lines of the shell scripts in a parsed pipeline, in file order.
fn contin_commands(doc: &Y, out: &mut Vec<String>) {
    match doc {
        Y::Str(s) => {
            for line in s.lines() {
                let t = line.trim();
                if t.starts_with("contin ") {
                    out.push(t.to_string());
                }
            }
        }
        Y::Seq(items) => items.iter().for_each(|i| contin_commands(i, out)),
        Y::Map(m) => {
            for (k, v) in m {
                // Scripts are `run` (GitHub) and `script` (GitLab) values; other
                // strings (names, conditions) are not run.
                if matches!(k.as_str(), "run" | "script") || !matches!(v, Y::Str(_)) {
                    contin_commands(v, out);
                }
            }
        }
    }
}

fn load_pipeline(name: &str) -> Y {
    let path = repo_root().join("examples/ci").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    YamlParser::parse(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

#[test]
fn the_yaml_subset_parser_refuses_what_it_does_not_understand() {
    let ok = YamlParser::parse("a: 1\nb:\n  - x\n  - k: v\n    j: \"q # not a comment\"\nc: |\n  line 1\n  line 2\nd: [p, 'q']\n").expect("parses");
    assert_eq!(ok.get("c").and_then(Y::str), Some("line 1\nline 2"));
    assert_eq!(ok.get("d"), Some(&Y::Seq(vec![Y::Str("p".into()), Y::Str("q".into())])));
    let Some(Y::Seq(b)) = ok.get("b") else { panic!("b is a sequence: {ok:?}") };
    assert_eq!(b[1].get("j").and_then(Y::str), Some("q # not a comment"));
    for bad in ["a: 1\n  b: 2\n", "a: 1\na: 2\n", "a: \"open\n", "a:\n\t- x\n", "a: *ref\n", "just text\n", "a:\n  - x\n   - y\n"] {
        assert!(YamlParser::parse(bad).is_err(), "accepted {bad:?}");
    }
}

/// A full YAML 1.2 parser's reading of a document, in the subset parser's terms
/// (null = empty string; block scalars without their final newline).
fn from_yaml_rust(y: &yaml_rust2::Yaml) -> Y {
    use yaml_rust2::Yaml as R;
    match y {
        R::String(s) | R::Real(s) => Y::Str(s.trim_end_matches('\n').to_string()),
        R::Integer(i) => Y::Str(i.to_string()),
        R::Boolean(b) => Y::Str(b.to_string()),
        R::Null => Y::Str(String::new()),
        R::Array(a) => Y::Seq(a.iter().map(from_yaml_rust).collect()),
        R::Hash(h) => Y::Map(
            h.iter()
                .map(|(k, v)| match from_yaml_rust(k) {
                    Y::Str(k) => (k, from_yaml_rust(v)),
                    other => panic!("a non-scalar key {other:?}"),
                })
                .collect(),
        ),
        R::Alias(_) | R::BadValue => panic!("unexpected {y:?}"),
    }
}

fn trim_block_scalars(y: Y) -> Y {
    match y {
        Y::Str(s) => Y::Str(s.trim_end_matches('\n').to_string()),
        Y::Seq(v) => Y::Seq(v.into_iter().map(trim_block_scalars).collect()),
        Y::Map(m) => Y::Map(m.into_iter().map(|(k, v)| (k, trim_block_scalars(v))).collect()),
    }
}

/// Both example pipelines are YAML to a complete YAML 1.2 parser
/// (yaml-rust2), one document each, with exactly the structure the subset
/// parser the other tests rely on reports.
#[test]
fn the_example_pipelines_are_yaml_to_a_full_parser_too() {
    for name in ["github-actions.yml", ".gitlab-ci.yml"] {
        let text = std::fs::read_to_string(repo_root().join("examples/ci").join(name)).expect("read");
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
        assert_eq!(docs.len(), 1, "{name}: one document");
        let full = from_yaml_rust(&docs[0]);
        assert_eq!(full, trim_block_scalars(load_pipeline(name)), "{name}: the two parsers disagree");
    }
    // And the full parser does reject what is not YAML.
    assert!(yaml_rust2::YamlLoader::load_from_str("a: \"open\n").is_err());
}

/// Runs one command line from a pipeline in `dir` (its `-C examples/ci/infra` pointed there).
fn run_pipeline_command(line: &str, dir: &Path, env: &[(&str, String)]) -> Output {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(!line.contains(['"', '\'', '|', '>', '$', ';', '&']), "keep pipeline commands plain words: {line}");
    assert_eq!(words.get(..3), Some(&["contin", "-C", "examples/ci/infra"][..]), "{line}");
    let mut cmd = Command::new(contin_e2e::contin_bin());
    cmd.arg("-C").arg(dir).args(&words[3..]).env("NO_COLOR", "1").env("CI", "true").stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("CONTIN_VAR_") || k.starts_with("GITHUB_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run contin");
    Output { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).to_string(), stderr: String::from_utf8_lossy(&out.stderr).to_string() }
}

fn example_copy() -> Project {
    let p = Project::empty();
    for f in ["main.hcl", "variables.hcl"] {
        std::fs::copy(repo_root().join("examples/ci/infra").join(f), p.file(f)).expect("copy the example");
    }
    p
}

fn create_bucket(moto: &MotoServer, bucket: &str) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", moto.port())).expect("connect to moto");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(s, "PUT /{bucket} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAuthorization: {auth}\r\nContent-Length: 0\r\n\r\n", moto.port()).expect("request");
    let mut buf = String::new();
    s.read_to_string(&mut buf).expect("response");
    assert!(buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200"), "create bucket: {buf}");
}

/// Runs a pipeline's contin commands in order against a fresh S3 bucket;
/// `expect(i, line)` gives each command's exit code.
fn exercise(name: &str, commands: &[String], expect: &dyn Fn(&str) -> i32) {
    let moto = MotoServer::start();
    let bucket = format!("ci-{}", name.trim_start_matches('.').replace(['.', '_'], "-"));
    create_bucket(&moto, &bucket);
    let p = example_copy();
    let mut env: Vec<(&str, String)> = moto.client_env();
    env.push(("CONTIN_VAR_state_bucket", bucket.clone()));
    env.push(("CONTIN_VAR_s3_endpoint", moto.endpoint()));
    env.push(("CONTIN_VAR_api_token", MARKER.to_string()));
    env.push(("CONTIN_PLAN_KEY", KEY.to_string()));
    for line in commands {
        let out = run_pipeline_command(line, p.path(), &env);
        out.expect_code(expect(line));
        assert!(!out.all().contains(MARKER), "{name}: the secret leaked: {line}");
    }
    assert!(!p.exists("contin.state.json"), "{name}: the state lives in S3");
    for entry in std::fs::read_dir(p.path()).expect("dir").flatten() {
        let path = entry.path();
        if path.is_file() && path.extension().is_none_or(|e| e != "hcl") {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).to_string();
            assert!(!text.contains(MARKER), "{name}: the secret leaked into {}", path.display());
        }
    }
    if p.exists("plan.json") {
        assert_valid("plan-json.schema.json", &p.read("plan.json"));
    }
    if p.exists("drift.json") {
        assert_valid("drift-json.schema.json", &p.read("drift.json"));
    }
    // Drift after an out-of-band edit: the drift command exits 2.
    std::fs::write(p.file("out/motd.txt"), "edited\n").expect("edit");
    let drift = commands.iter().find(|c| c.contains(" drift ")).expect("the pipeline runs drift");
    run_pipeline_command(drift, p.path(), &env).expect_code(2);
}

#[test]
fn the_github_actions_example_parses_and_its_commands_work() {
    let doc = load_pipeline("github-actions.yml");
    assert!(doc.get("on").is_some(), "a trigger");
    let Some(Y::Map(jobs)) = doc.get("jobs") else { panic!("jobs: {doc:?}") };
    assert_eq!(jobs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["plan", "apply", "drift"]);
    for (name, job) in jobs {
        assert!(job.get("runs-on").and_then(Y::str).is_some(), "{name}: runs-on");
        assert!(matches!(job.get("steps"), Some(Y::Seq(s)) if !s.is_empty()), "{name}: steps");
    }
    let mut commands = Vec::new();
    contin_commands(&doc, &mut commands);
    assert_eq!(commands.len(), 4, "{commands:#?}");
    // PR plan (changes: 2 with -detailed-exitcode), main: plan + apply, schedule: drift (none yet).
    exercise("github-actions.yml", &commands, &|line| if line.contains("-detailed-exitcode") { 2 } else { 0 });
}

#[test]
fn the_gitlab_example_parses_and_its_commands_work() {
    let doc = load_pipeline(".gitlab-ci.yml");
    let Some(Y::Seq(stages)) = doc.get("stages") else { panic!("stages: {doc:?}") };
    let stages: Vec<&str> = stages.iter().filter_map(Y::str).collect();
    assert_eq!(stages, ["plan", "apply", "drift"]);
    for job in ["plan", "apply", "drift"] {
        let j = doc.get(job).unwrap_or_else(|| panic!("job {job}"));
        assert_eq!(j.get("stage").and_then(Y::str), Some(job));
        assert!(matches!(j.get("script"), Some(Y::Seq(_))), "{job}: script");
    }
    let report = doc.get("plan").and_then(|j| j.get("artifacts")).and_then(|a| a.get("reports")).and_then(|r| r.get("terraform")).and_then(Y::str);
    assert_eq!(report, Some("examples/ci/infra/plan.gitlab.json"));
    let mut commands = Vec::new();
    contin_commands(&doc, &mut commands);
    assert_eq!(commands.len(), 3, "{commands:#?}");
    assert!(commands[0].contains("-gitlab-report plan.gitlab.json"));
    exercise(".gitlab-ci.yml", &commands, &|_| 0);
}
