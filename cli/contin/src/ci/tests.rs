//! Golden tests of every CI output, on a plan with each kind of change and
//! on a drift report; a marker secret (in sensitive values, variables and a
//! sensitive output) must appear in none of them.

use super::*;
use contin_engine::drift::{compare, DriftedResource};
use contin_planner::{ChangeReason, DeposedChange, OutputChange, PlanMode, ResourceChange, ResourceDrift, Unreachable};
use contin_types::{Diagnostic, Value};

const MARKER: &str = "MARKER-SECRET-7f3a9c";

fn addr(s: &str) -> ResourceAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn secret() -> Value {
    Value::string(MARKER).mark_sensitive()
}

fn change(a: &str, action: Action) -> ResourceChange {
    let before = obj(&[("id", Value::string("old")), ("password", secret())]);
    let after = obj(&[("id", Value::Unknown), ("password", secret()), ("name", Value::string(a))]);
    let (before, after) = match action {
        Action::Create | Action::Read => (None, Some(after)),
        Action::Delete => (Some(before), None),
        _ => (Some(before), Some(after)),
    };
    ResourceChange {
        addr: addr(a),
        provider: "fake".into(),
        action,
        before,
        after,
        replace_paths: Vec::new(),
        reason: None,
        depends_on: Vec::new(),
        create_before_destroy: false,
        prevent_destroy: false,
    }
}

fn plan(mut changes: Vec<ResourceChange>) -> Plan {
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    Plan {
        format_version: contin_planner::PLAN_FORMAT_VERSION,
        mode: PlanMode::Normal,
        lineage: Some("lineage-1".into()),
        base_serial: Some(7),
        config_hash: "c0ffee".into(),
        sources: SourceMap::default(),
        variables: [("token".to_string(), secret())].into_iter().collect(),
        targets: Vec::new(),
        changes,
        drift: Vec::new(),
        outputs: BTreeMap::new(),
        unreachable: Vec::new(),
        deposed: Vec::new(),
        language: Default::default(),
    }
}

const MAIN_HCL: &str = "resource \"fake_resource\" \"web\" {\n  name = \"web\"\n}\n\nresource \"fake_resource\" \"db\" {\n  name = \"db\"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n";

fn full_plan() -> Plan {
    let mut replace = change("fake_resource.db", Action::Replace);
    replace.replace_paths = vec![vec![contin_types::value::PathStep::Key("image".into())]];
    replace.reason = Some(ChangeReason::CannotUpdate);
    let mut p = plan(vec![
        change("fake_resource.web", Action::Create),
        change("fake_resource.app[\"a`b\"]", Action::Update),
        replace,
        change("fake_resource.old[2]", Action::Delete),
        change("data.fake_resource.lookup", Action::Read),
        change("fake_resource.same", Action::NoOp),
    ]);
    p.deposed = vec![DeposedChange { key: "1a2b3c4d".into(), change: change("fake_resource.web", Action::Delete) }];
    p.drift = vec![ResourceDrift {
        addr: addr("fake_resource.web"),
        recorded: obj(&[("size", Value::int(1)), ("password", secret())]),
        current: Some(obj(&[("size", Value::int(2)), ("password", Value::string("other-secret-value").mark_sensitive())])),
    }];
    p.unreachable = vec![Unreachable { addr: addr("fake_resource.edge"), reason: "connection refused".into() }];
    p.outputs.insert("pw".into(), OutputChange { action: Action::Update, before: Some(Value::string("x")), after: Some(Value::string(MARKER)), sensitive: true });
    p
}

fn report<'a>(subject: Subject<'a>, command: &'static str) -> Report<'a> {
    let mut files = SourceMap::default();
    files.add("main.hcl", MAIN_HCL);
    let mut r = Report::new(command, subject);
    r.sources = files;
    r.blocks.insert("fake_resource.web".into(), SourceLoc::new("main.hcl", 0..10));
    r.blocks.insert("fake_resource.db".into(), SourceLoc::new("main.hcl", 44..60));
    r.diags.push(Diagnostic::warning("Deprecated argument").with_detail("\"latency\" is deprecated; use \"latency_ms\"").at(SourceLoc::new("main.hcl", 24..28)));
    r.path_prefix = "infra/".into();
    r.run_url = Some("https://ci.example/run/1".into());
    r
}

fn no_marker(name: &str, text: &str) {
    assert!(!text.contains(MARKER), "the marker secret leaked into {name}:\n{text}");
    assert!(!text.contains("other-secret-value"), "a drifted secret leaked into {name}:\n{text}");
}

#[test]
fn plan_outputs_golden() {
    let p = full_plan();
    let mut r = report(Subject::Plan(&p), "plan");
    r.fail_on_destroy = true;
    let md = markdown::render(&r);
    let gl = formats::gitlab(&r).expect("gitlab");
    let sarif = formats::sarif(&r).expect("sarif").replace(env!("CARGO_PKG_VERSION"), "[version]");
    let junit = formats::junit(&r);
    let json = formats::json(&r).expect("json").replace(env!("CARGO_PKG_VERSION"), "[version]");
    let notes = github_annotations(&r.findings());
    for (name, text) in [("markdown", &md), ("gitlab", &gl), ("sarif", &sarif), ("junit", &junit), ("json", &json), ("annotations", &notes)] {
        no_marker(name, text);
    }
    // Replace counts in both create and delete (GitLab's own rule); the deposed object is a delete.
    assert_eq!(gl, r#"{"create":2,"delete":3,"update":1}"#);
    // Destroys and replaces come before creates.
    let (d, rep, c) = (md.find("Destroy (2)"), md.find("Replace (1)"), md.find("Create (1)"));
    assert!(d < rep && rep < c && d.is_some(), "{md}");
    insta::assert_snapshot!("plan_markdown", md);
    insta::assert_snapshot!("plan_sarif", sarif);
    insta::assert_snapshot!("plan_junit", junit);
    insta::assert_snapshot!("plan_annotations", notes);
    insta::assert_snapshot!("plan_json", json);
}

#[test]
fn a_5000_change_plan_is_truncated_under_64k_with_destroys_first() {
    let mut changes: Vec<ResourceChange> = (0..5000).map(|i| change(&format!("fake_resource.server_with_a_long_name[{i}]"), Action::Create)).collect();
    changes.extend((0..20).map(|i| change(&format!("fake_resource.doomed[{i}]"), Action::Delete)));
    let p = plan(changes);
    let r = report(Subject::Plan(&p), "plan");
    let md = markdown::render(&r);
    assert!(md.len() < MAX_MARKDOWN_BYTES, "{} bytes", md.len());
    assert!(md.contains("fake_resource.doomed[19]"), "every destroy is listed before the creates");
    let tail: String = md.lines().rev().take(1).collect();
    assert!(tail.starts_with("… truncated: ") && tail.ends_with("see [the full log](https://ci.example/run/1)."), "{tail}");
    no_marker("markdown", &md);
    // The head and the truncation line are stable; the middle is 60 KB of addresses.
    let head: Vec<&str> = md.lines().take(8).collect();
    insta::assert_snapshot!("plan_markdown_truncated", format!("{}\n[…]\n{tail}\n({} bytes)", head.join("\n"), md.len()));
    // Without truncation the same plan would be far over the limit.
    assert!(markdown::render_with_limit(&r, usize::MAX).len() > MAX_MARKDOWN_BYTES);
}

#[test]
fn drift_outputs_golden() {
    let recorded = obj(&[("size", Value::int(1)), ("password", secret()), ("tags", obj(&[("env", Value::string("prod"))]))]);
    let current = obj(&[("size", Value::int(3)), ("password", Value::string("other-secret-value")), ("tags", obj(&[("env", Value::string("dev"))]))]);
    let d = DriftReport {
        lineage: Some("lineage-1".into()),
        serial: Some(7),
        checked: vec![addr("fake_resource.db"), addr("fake_resource.edge"), addr("fake_resource.ok"), addr("fake_resource.web")],
        drifted: vec![
            DriftedResource { addr: addr("fake_resource.db"), provider: "fake".into(), deleted: true, attributes: Vec::new() },
            DriftedResource { addr: addr("fake_resource.web"), provider: "fake".into(), deleted: false, attributes: compare(&recorded, &current) },
        ],
        unreachable: vec![Unreachable { addr: addr("fake_resource.edge"), reason: "timed out".into() }],
    };
    let r = report(Subject::Drift(&d), "drift");
    let human = drift::render(&d);
    let md = markdown::render(&r);
    let json = formats::json(&r).expect("json").replace(env!("CARGO_PKG_VERSION"), "[version]");
    let sarif = formats::sarif(&r).expect("sarif").replace(env!("CARGO_PKG_VERSION"), "[version]");
    let junit = formats::junit(&r);
    let gl = formats::gitlab(&r).expect("gitlab");
    for (name, text) in [("human", &human), ("markdown", &md), ("json", &json), ("sarif", &sarif), ("junit", &junit)] {
        no_marker(name, text);
    }
    assert!(human.contains("~ password: (sensitive value)") && human.contains("~ size: 1 -> 3"), "{human}");
    assert_eq!(gl, r#"{"create":0,"delete":1,"update":1}"#);
    insta::assert_snapshot!("drift_human", human);
    insta::assert_snapshot!("drift_markdown", md);
    insta::assert_snapshot!("drift_json", json);
    insta::assert_snapshot!("drift_sarif", sarif);
    insta::assert_snapshot!("drift_junit", junit);
}

fn lifecycle_span() -> std::ops::Range<usize> {
    let start = MAIN_HCL.find("lifecycle").unwrap_or(0);
    start..start + 9
}

#[test]
fn a_failed_plan_reports_its_errors_with_file_and_line() {
    let mut r = report(Subject::Failed, "plan");
    r.diags.push(Diagnostic::error("Instance cannot be destroyed").with_detail("Resource fake_resource.db has lifecycle.prevent_destroy set").at(SourceLoc::new("main.hcl", lifecycle_span())).for_address("fake_resource.db"));
    let f = r.findings();
    assert_eq!(f[0].rule, Rule::PreventDestroy);
    assert_eq!(f[0].position, Some(Position { file: "infra/main.hcl".into(), line: 7, col: 3 }));
    let notes = github_annotations(&f);
    assert!(notes.starts_with("::error file=infra/main.hcl,line=7,col=3,title=Instance cannot be destroyed::Instance cannot be destroyed: Resource"), "{notes}");
    let junit = formats::junit(&r);
    assert!(junit.contains("failures=\"1\"") && junit.contains("<failure message=\"1 error(s)\""), "{junit}");
}

#[test]
fn escaping_of_markdown_xml_and_annotations() {
    assert_eq!(markdown::code("a`b"), "``a`b``");
    assert_eq!(markdown::code("`x"), "`` `x ``");
    assert_eq!(markdown::code("a\nb"), "`a b`");
    assert_eq!(formats::xml("<a & \"b\">\u{1}"), "&lt;a &amp; &quot;b&quot;&gt;\u{FFFD}");
    assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    assert_eq!(path_prefix(Path::new(".")), "");
    assert_eq!(path_prefix(Path::new("infra/")), "infra/");
}

#[test]
fn the_ci_flags_parse_in_terraform_spelling() {
    use crate::args::{rewrite_args, Cli, Command};
    use clap::Parser;
    let parse = |args: &[&str]| {
        let argv = std::iter::once("contin").chain(args.iter().copied()).map(std::ffi::OsString::from).collect();
        let (out, warnings) = rewrite_args(argv);
        assert!(warnings.is_empty(), "{warnings:?}");
        Cli::try_parse_from(out).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    };
    let cli = parse(&["plan", "-lock-timeout=5m", "-json-out", "p.json", "-markdown-out", "p.md", "-gitlab-report", "g.json", "-sarif-out", "s.sarif", "-junit-out", "j.xml", "-fail-on-destroy", "-out", "p.bin", "-plan-key-env", "KEY"]);
    let Command::Plan(p) = cli.command else { panic!("not plan") };
    assert_eq!(p.ci.lock.lock_timeout, Some(std::time::Duration::from_secs(300)));
    assert_eq!(p.ci.outputs.json_out, Some(PathBuf::from("p.json")));
    assert!(p.ci.fail_on_destroy && p.ci.outputs.any());
    assert_eq!(p.ci.plan_key_env.as_deref(), Some("KEY"));
    let Command::Apply(a) = parse(&["apply", "-lock-timeout", "30s", "-plan-key-env", "KEY", "plan.bin"]).command else { panic!("not apply") };
    assert_eq!((a.exec.ci.lock.lock_timeout, a.plan_file), (Some(std::time::Duration::from_secs(30)), Some(PathBuf::from("plan.bin"))));
    let Command::Drift(d) = parse(&["drift", "-lock-timeout=1m30s", "-sarif-out=d.sarif", "-parallelism=3"]).command else { panic!("not drift") };
    assert_eq!((d.lock.lock_timeout, d.parallelism), (Some(std::time::Duration::from_secs(90)), 3));
    let argv = ["contin", "plan", "--lock-timeout", "soon"].map(std::ffi::OsString::from).to_vec();
    let err = Cli::try_parse_from(argv).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("invalid duration"), "{err}");
}

#[test]
fn the_locked_message_is_complete_with_and_without_a_ci_run() {
    let mut holder = contin_state::LockInfo {
        id: "11bae480".into(),
        operation: "apply".into(),
        who: "ci@runner (pid 42)".into(),
        created: "2026-12-01T22:04:14Z".into(),
        path: "contin.state.json".into(),
        pid: 42,
        host: "another-host".into(),
        ci_url: None,
    };
    let plain = super::locked_message(&holder);
    for part in ["state is locked by ci@runner (pid 42)", "operation apply", "since 2026-12-01T22:04:14Z", "lock ID 11bae480", "contin force-unlock -force 11bae480"] {
        assert!(plain.contains(part), "{part:?} missing from:\n{plain}");
    }
    assert!(!plain.contains("CI run"), "{plain}");
    assert!(!plain.contains("None") && !plain.ends_with(' ') && !plain.contains("  \n"), "{plain}");
    holder.ci_url = Some("https://github.example/acme/infra/actions/runs/4242".into());
    let with = super::locked_message(&holder);
    assert!(with.contains("\nThe lock is held by the CI run https://github.example/acme/infra/actions/runs/4242\n\n"), "{with}");
    assert_eq!(with.replace("\nThe lock is held by the CI run https://github.example/acme/infra/actions/runs/4242", ""), plain);
    // A hostile lock file cannot put terminal escapes into the message.
    holder.ci_url = Some("https://x\u{1b}[2J".into());
    assert_eq!(super::locked_message(&holder), plain);
}
