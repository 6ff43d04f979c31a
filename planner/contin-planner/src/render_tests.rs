//! Golden tests of the human plan rendering; the fixtures are shared with the JSON tests.

use super::*;
use crate::plan::{PlanMode, PLAN_FORMAT_VERSION};
use contin_types::SourceMap;
use std::collections::BTreeMap;

pub(crate) const SECRET: &str = "hunter2-very-secret";

pub(crate) fn addr(s: &str) -> ResourceAddr {
    s.parse().expect("test address")
}

pub(crate) fn k(s: &str) -> PathStep {
    PathStep::Key(s.to_string())
}

pub(crate) fn s(v: &str) -> Value {
    Value::string(v)
}

pub(crate) fn change(a: &str, action: Action, before: Option<Value>, after: Option<Value>) -> ResourceChange {
    ResourceChange {
        addr: addr(a),
        provider: addr(a).implied_provider().to_string(),
        action,
        before,
        after,
        replace_paths: vec![],
        reason: None,
        depends_on: vec![],
        create_before_destroy: false,
        prevent_destroy: false,
    }
}

pub(crate) fn plan(mut changes: Vec<ResourceChange>) -> Plan {
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Normal,
        lineage: Some("8a9c2f4e-1b7d-4c3a-9e5f-0d6b1a2c3e4f".into()),
        base_serial: Some(3),
        config_hash: "0f1e2d".into(),
        sources: SourceMap::default(),
        variables: BTreeMap::new(),
        targets: vec![],
        changes,
        drift: vec![],
        outputs: BTreeMap::new(),
        unreachable: vec![],
        deposed: vec![],
        language: Default::default(),
    }
}

/// A create with unknown, sensitive (scalar and nested), nested map and list values.
pub(crate) fn create_change() -> ResourceChange {
    change(
        "fake_resource.web",
        Action::Create,
        None,
        Some(Value::map([
            ("id", Value::Unknown),
            ("name", s("web")),
            ("password", s(SECRET).mark_sensitive()),
            ("tags", Value::map([("env", s("prod")), ("owner team", s("platform")), ("token", s(SECRET).mark_sensitive())])),
            ("ports", Value::List(vec![Value::int(80), Value::int(443)])),
            ("zones", Value::set(vec![s("b"), s("a")])),
            ("empty", Value::map::<String>([])),
            ("nothing", Value::Null),
            ("nested", Value::map([("inner", Value::map([("deep", Value::Bool(true)), ("when", Value::Unknown)]))])),
            ("secret_map", Value::map([("a", s(SECRET))]).mark_sensitive()),
        ])),
    )
}

/// An in-place update with a nested map diff, a list diff and a sensitive change.
pub(crate) fn update_change() -> ResourceChange {
    change(
        "fake_resource.app",
        Action::Update,
        Some(Value::map([
            ("id", s("app-1")),
            ("name", s("app")),
            ("size", Value::int(1)),
            ("unchanged_a", s("same")),
            ("unchanged_b", Value::Bool(false)),
            ("password", s("old-secret").mark_sensitive()),
            (
                "labels",
                Value::map([
                    ("env", s("prod")),
                    ("owner", s("me")),
                    ("gone", s("bye")),
                    ("keep1", s("k")),
                    ("keep2", s("k")),
                ]),
            ),
            ("list", Value::List(vec![Value::int(1), Value::int(2), Value::int(3), Value::int(4), s("three")])),
            ("fingerprint", s("abc")),
        ])),
        Some(Value::map([
            ("id", s("app-1")),
            ("name", s("app")),
            ("size", Value::int(2)),
            ("unchanged_a", s("same")),
            ("unchanged_b", Value::Bool(false)),
            ("password", s(SECRET).mark_sensitive()),
            (
                "labels",
                Value::map([("env", s("dev")), ("owner", s("me")), ("new", s("n")), ("keep1", s("k")), ("keep2", s("k"))]),
            ),
            ("list", Value::List(vec![Value::int(1), Value::int(2), Value::int(3), Value::int(4), s("four"), s("five")])),
            ("fingerprint", Value::Unknown),
        ])),
    )
}

pub(crate) fn replace_change(cbd: bool) -> ResourceChange {
    let name = if cbd { "fake_resource.cbd" } else { "fake_resource.db" };
    let mut c = change(
        name,
        Action::Replace,
        Some(Value::map([("id", s("db-1")), ("image", s("pg:15")), ("size", Value::int(10)), ("zone", s("a"))])),
        Some(Value::map([("id", Value::Unknown), ("image", s("pg:16")), ("size", Value::int(10)), ("zone", s("b"))])),
    );
    c.replace_paths = vec![vec![k("image")], vec![k("zone")]];
    c.reason = Some(ChangeReason::CannotUpdate);
    c.create_before_destroy = cbd;
    c
}

pub(crate) fn delete_change(a: &str, reason: Option<ChangeReason>) -> ResourceChange {
    let mut c = change(
        a,
        Action::Delete,
        Some(Value::map([
            ("id", s("x-1")),
            ("content", s("hello")),
            ("key", s(SECRET).mark_sensitive()),
            ("meta", Value::map([("a", Value::int(1))])),
            ("nothing", Value::Null),
        ])),
        None,
    );
    c.reason = reason;
    c
}

fn snapshot(name: &str, p: &Plan) {
    let text = render_plan(p, false);
    assert!(!text.contains(SECRET), "secret leaked into {name}:\n{text}");
    assert!(!text.contains("old-secret"), "secret leaked into {name}:\n{text}");
    insta::assert_snapshot!(name, text);
}

#[test]
fn create_with_unknown_sensitive_and_nested() {
    snapshot("create", &plan(vec![create_change()]));
}

#[test]
fn update_with_nested_map_diff() {
    snapshot("update", &plan(vec![update_change()]));
}

#[test]
fn replace_with_forces_replacement() {
    let text = render_plan(&plan(vec![replace_change(false)]), false);
    assert!(text.contains("-/+ resource \"fake_resource\" \"db\""), "{text}");
    assert!(text.contains("~ image = \"pg:15\" -> \"pg:16\" # forces replacement"), "{text}");
    snapshot("replace", &plan(vec![replace_change(false)]));
}

#[test]
fn cbd_replace() {
    let text = render_plan(&plan(vec![replace_change(true)]), false);
    assert!(text.contains("+/- resource \"fake_resource\" \"cbd\""), "{text}");
    assert!(text.contains("+/- create replacement and then destroy"), "{text}");
    snapshot("replace_cbd", &plan(vec![replace_change(true)]));
}

#[test]
fn tainted_replace_headline() {
    let mut c = replace_change(false);
    c.reason = Some(ChangeReason::Tainted);
    let text = render_plan(&plan(vec![c]), false);
    assert!(text.contains("# fake_resource.db is tainted, so must be replaced"), "{text}");
}

#[test]
fn deletes_with_each_reason() {
    let mut recreate = change(
        "fake_resource.gone",
        Action::Create,
        None,
        Some(Value::map([("id", Value::Unknown), ("name", s("gone"))])),
    );
    recreate.reason = Some(ChangeReason::DeletedOutOfBand);
    let p = plan(vec![
        delete_change("local_file.old", Some(ChangeReason::NoResourceConfig)),
        delete_change("fake_resource.n[2]", Some(ChangeReason::CountIndex)),
        delete_change("fake_resource.m[\"x\"]", Some(ChangeReason::EachKey)),
        delete_change("fake_resource.destroyed", Some(ChangeReason::DestroyMode)),
        recreate,
    ]);
    let text = render_plan(&p, false);
    for line in [
        "  # (because local_file.old is not in configuration)",
        "  # (because index [2] is out of range for count)",
        "  # (because key [\"x\"] is not in for_each map)",
        "  # (because object was deleted outside contin)",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("Plan: 1 to add, 0 to change, 4 to destroy."), "{text}");
    snapshot("delete_reasons", &p);
}

#[test]
fn drift_section() {
    let mut p = plan(vec![change(
        "fake_resource.a",
        Action::Update,
        Some(Value::map([("id", s("a")), ("size", Value::int(3))])),
        Some(Value::map([("id", s("a")), ("size", Value::int(1))])),
    )]);
    p.drift = vec![
        ResourceDrift {
            addr: addr("fake_resource.a"),
            recorded: Value::map([("id", s("a")), ("size", Value::int(1)), ("key", s(SECRET).mark_sensitive())]),
            current: Some(Value::map([("id", s("a")), ("size", Value::int(3)), ("key", s("other").mark_sensitive())])),
        },
        ResourceDrift {
            addr: addr("local_file.f"),
            recorded: Value::map([("id", s("f1")), ("filename", s("out/f.txt"))]),
            current: None,
        },
    ];
    let text = render_plan(&p, false);
    assert!(text.starts_with("Note: Objects have changed outside of contin\n"), "{text}");
    assert!(text.contains("  # local_file.f has been deleted\n"), "{text}");
    assert!(text.contains("~ size = 1 -> 3"), "{text}");
    assert!(!text.contains("other"), "{text}");
    snapshot("drift", &p);
}

#[test]
fn outputs() {
    let mut p = plan(vec![create_change()]);
    p.outputs = BTreeMap::from([
        ("added".to_string(), OutputChange { action: Action::Create, before: None, after: Some(s("x")), sensitive: false }),
        ("later".to_string(), OutputChange { action: Action::Create, before: None, after: Some(Value::Unknown), sensitive: false }),
        (
            "changed".to_string(),
            OutputChange { action: Action::Update, before: Some(s("a")), after: Some(s("b")), sensitive: false },
        ),
        (
            "pw".to_string(),
            OutputChange { action: Action::Update, before: Some(s("old-secret")), after: Some(s(SECRET)), sensitive: true },
        ),
        ("removed".to_string(), OutputChange { action: Action::Delete, before: Some(Value::int(1)), after: None, sensitive: false }),
        (
            "same".to_string(),
            OutputChange { action: Action::NoOp, before: Some(s("same")), after: Some(s("same")), sensitive: false },
        ),
        (
            "list".to_string(),
            OutputChange {
                action: Action::Create,
                before: None,
                after: Some(Value::List(vec![s("a"), s(SECRET).mark_sensitive()])),
                sensitive: false,
            },
        ),
    ]);
    let text = render_plan(&p, false);
    assert!(text.contains("Changes to Outputs:\n"), "{text}");
    assert!(!text.contains("same"), "no-op output shown:\n{text}");
    snapshot("outputs", &p);
}

#[test]
fn outputs_only() {
    let mut p = plan(vec![]);
    p.outputs.insert("x".into(), OutputChange { action: Action::Create, before: None, after: Some(s("v")), sensitive: false });
    let text = render_plan(&p, false);
    assert!(!text.contains("Plan:"), "{text}");
    assert!(text.contains("You can apply this plan to save these new output values"), "{text}");
}

#[test]
fn no_changes() {
    let p = plan(vec![change("fake_resource.a", Action::NoOp, Some(Value::map([("id", s("a"))])), Some(Value::map([("id", s("a"))])))]);
    let text = render_plan(&p, false);
    assert!(text.starts_with("No changes. Your infrastructure matches the configuration."), "{text}");
    snapshot("no_changes", &p);
}

#[test]
fn everything_sorted_with_summary() {
    let p = plan(vec![
        create_change(),
        update_change(),
        replace_change(false),
        replace_change(true),
        delete_change("fake_resource.zz", None),
        change("fake_resource.noop", Action::NoOp, Some(Value::map([("id", s("n"))])), Some(Value::map([("id", s("n"))]))),
    ]);
    assert_eq!(summary_counts(&p), (3, 1, 3));
    let text = render_plan(&p, false);
    assert!(text.contains("Plan: 3 to add, 1 to change, 3 to destroy."), "{text}");
    assert!(!text.contains("fake_resource.noop"), "{text}");
    let order: Vec<usize> = ["fake_resource.app ", "fake_resource.cbd ", "fake_resource.db ", "fake_resource.web ", "fake_resource.zz "]
        .iter()
        .map(|a| text.find(&format!("# {a}")).unwrap_or(usize::MAX))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "not sorted: {order:?}\n{text}");
}

#[test]
fn color_only_when_asked() {
    let p = plan(vec![create_change(), delete_change("fake_resource.zz", None), replace_change(false)]);
    let plain = render_plan(&p, false);
    assert!(!plain.contains('\x1b'));
    let colored = render_plan(&p, true);
    assert!(colored.contains("\x1b[32m+\x1b[0m resource"), "{colored}");
    assert!(colored.contains("\x1b[31m-\x1b[0m/\x1b[32m+\x1b[0m resource"), "{colored}");
    assert!(!colored.contains(SECRET));
    // Stripping the escapes gives back the plain text.
    let stripped = colored.replace("\x1b[32m", "").replace("\x1b[31m", "").replace("\x1b[33m", "").replace("\x1b[36m", "").replace("\x1b[0m", "");
    assert_eq!(stripped, plain);
}

#[test]
fn data_source_read() {
    let c = change("data.fake_resource.lookup", Action::Read, None, Some(Value::map([("id", Value::Unknown), ("q", s("x"))])));
    let text = render_plan(&plan(vec![c]), false);
    assert!(text.contains("  # data.fake_resource.lookup will be read during apply\n"), "{text}");
    assert!(text.contains(" <= data \"fake_resource\" \"lookup\" {\n"), "{text}");
    assert!(text.contains("No changes.") || text.contains("Plan: 0 to add, 0 to change, 0 to destroy."), "{text}");
}

#[test]
fn sensitive_length_never_leaks() {
    // A sensitive list must not reveal how many elements it has.
    let c = change(
        "fake_resource.s",
        Action::Update,
        Some(Value::map([("keys", Value::List(vec![s("a")]).mark_sensitive())])),
        Some(Value::map([("keys", Value::List(vec![s("a"), s("b"), s("c")]).mark_sensitive())])),
    );
    let text = render_plan(&plan(vec![c]), false);
    assert!(text.contains("~ keys = (sensitive value)\n"), "{text}");
    assert!(!text.contains("\"b\""), "{text}");
    assert!(!text.contains("element"), "{text}");
}

#[test]
fn multiline_strings_as_heredocs() {
    let create = change(
        "local_file.new",
        Action::Create,
        None,
        Some(Value::map([("content", s("line1\nline2\n")), ("filename", s("out/new.txt"))])),
    );
    let update = change(
        "local_file.cfg",
        Action::Update,
        Some(Value::map([("content", s("a\nb\nc\n")), ("id", s("h1"))])),
        Some(Value::map([("content", s("a\nB\nc\nd\n")), ("id", Value::Unknown)])),
    );
    let text = render_plan(&plan(vec![create, update]), false);
    assert!(text.contains("      + content  = <<-EOT\n            line1\n            line2\n        EOT\n"), "{text}");
    assert!(text.contains("          - b\n          + B\n"), "{text}");
    let p = plan(vec![
        change("local_file.new", Action::Create, None, Some(Value::map([("content", s("line1\nline2\n"))]))),
        change(
            "local_file.cfg",
            Action::Update,
            Some(Value::map([("content", s("a\nb\nc\n")), ("id", s("h1"))])),
            Some(Value::map([("content", s("a\nB\nc\nd\n")), ("id", Value::Unknown)])),
        ),
    ]);
    snapshot("multiline", &p);
}
