//! Tests of the local provider against a temporary directory: conformance,
//! drift, permissions, commands.

use super::*;
use contin_provider::conformance::{self, LifecycleCase};
use contin_types::ResourceAddr;

fn ctx(ty: &str) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, "t"), lineage: "l".into(), generation: 1 }
}

fn cfg(items: &[(&str, Value)]) -> Value {
    Value::map(items.iter().cloned())
}

fn s(v: &str) -> Value {
    Value::string(v)
}

async fn apply(p: &LocalProvider, ty: &str, c: &Value) -> Result<Value, ProviderError> {
    assert!(!p.validate(ty, c).has_errors(), "{}", p.validate(ty, c));
    let change = p.plan_change(ty, None, c);
    p.create(ty, &change.planned, &ctx(ty)).await
}

fn path_str(p: &std::path::Path) -> Value {
    Value::string(p.to_string_lossy())
}

#[tokio::test]
async fn local_file_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let f = path_str(&dir.path().join("a/b/hello.txt"));
    let p = LocalProvider::new();
    let replace = LifecycleCase::new(
        LOCAL_FILE,
        cfg(&[("filename", f.clone()), ("content", s("hello\n"))]),
        cfg(&[("filename", f.clone()), ("content", s("bye\n")), ("file_permission", s("0600"))]),
    );
    conformance::run(&p, &replace).await.unwrap_or_else(|e| panic!("{e}"));
    let b64 = LifecycleCase::new(
        LOCAL_FILE,
        cfg(&[("filename", f.clone()), ("content_base64", s("AAEC"))]),
        cfg(&[("filename", path_str(&dir.path().join("other.bin"))), ("content_base64", s("AAEC"))]),
    );
    conformance::run(&p, &b64).await.unwrap_or_else(|e| panic!("{e}"));
    conformance::check_data_source(&p, LOCAL_FILE, &cfg(&[("filename", path_str(&dir.path().join("Cargo.toml")))]))
        .await
        .expect_err("missing file is an error");
}

#[tokio::test]
async fn null_resource_conformance_and_replacement_on_triggers() {
    let p = LocalProvider::new();
    let t = |v: &str| cfg(&[("triggers", Value::map([("k", s(v))]))]);
    conformance::run(&p, &LifecycleCase::new(NULL_RESOURCE, t("1"), t("2")).state_only()).await.unwrap_or_else(|e| panic!("{e}"));
    let a = apply(&p, NULL_RESOURCE, &t("1")).await.unwrap();
    match attr(&a, "id") {
        Some(Value::String(id)) => assert!(id.parse::<u64>().is_ok(), "{id}"),
        other => panic!("id {other:?}"),
    }
    let change = p.plan_change(NULL_RESOURCE, Some(&a), &t("2"));
    assert_eq!(change.requires_replace, vec![vec![PathStep::Key("triggers".into())]]);
    let same = p.plan_change(NULL_RESOURCE, Some(&a), &t("1"));
    assert!(same.requires_replace.is_empty());
    assert_eq!(same.planned, a);
}

#[tokio::test]
async fn local_file_hashes_like_terraform_and_defaults_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.txt");
    let p = LocalProvider::new();
    let c = cfg(&[("filename", path_str(&f)), ("content", s("hello"))]);
    let planned = p.plan_change(LOCAL_FILE, None, &c).planned;
    assert_eq!(attr(&planned, "file_permission"), Some(&s("0777")));
    assert_eq!(attr(&planned, "id"), Some(&Value::Unknown));
    let v = apply(&p, LOCAL_FILE, &c).await.unwrap();
    // Values Terraform's local_file gives for content = "hello".
    assert_eq!(attr(&v, "id"), Some(&s("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")));
    assert_eq!(attr(&v, "content_md5"), Some(&s("5d41402abc4b2a76b9719d911017c592")));
    assert_eq!(attr(&v, "content_sha256"), Some(&s("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "hello");
}

#[cfg(unix)]
#[tokio::test]
async fn local_file_sets_mode_under_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d/x.txt");
    let p = LocalProvider::new();
    apply(&p, LOCAL_FILE, &cfg(&[("filename", path_str(&f)), ("content", s("x")), ("file_permission", s("0600"))])).await.unwrap();
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(p.validate(LOCAL_FILE, &cfg(&[("filename", s("a")), ("content", s("")), ("file_permission", s("888"))])).has_errors());
}

#[tokio::test]
async fn out_of_band_edit_is_drift_that_forces_replace_and_deletion_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.txt");
    let p = LocalProvider::new();
    let c = cfg(&[("filename", path_str(&f)), ("content", s("v1"))]);
    let v = apply(&p, LOCAL_FILE, &c).await.unwrap();
    std::fs::write(&f, "edited").unwrap();
    let now = p.read(LOCAL_FILE, &v).await.unwrap().unwrap();
    assert_eq!(attr(&now, "content"), Some(&s("edited")));
    assert_eq!(attr(&now, "id"), Some(&s("a22fca6c3065d5684c7f16ed40b8c3b877a68a24")));
    let change = p.plan_change(LOCAL_FILE, Some(&now), &c);
    assert_eq!(change.requires_replace, vec![vec![PathStep::Key("content".into())]]);

    std::fs::remove_file(&f).unwrap();
    assert_eq!(p.read(LOCAL_FILE, &v).await.unwrap(), None);
    p.delete(LOCAL_FILE, &v, &ctx(LOCAL_FILE)).await.unwrap();
}

#[tokio::test]
async fn content_is_exactly_one_of() {
    let p = LocalProvider::new();
    assert!(p.validate(LOCAL_FILE, &cfg(&[("filename", s("a"))])).has_errors());
    assert!(p.validate(LOCAL_FILE, &cfg(&[("filename", s("a")), ("content", s("x")), ("content_base64", s("eA=="))])).has_errors());
    assert!(p.validate(LOCAL_FILE, &cfg(&[("filename", s("a")), ("content_base64", s("%%%"))])).has_errors());
    assert!(!p.validate(LOCAL_FILE, &cfg(&[("filename", s("a")), ("content", Value::Unknown)])).has_errors());
}

#[tokio::test]
async fn data_source_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("in.txt");
    std::fs::write(&f, "data!").unwrap();
    let p = LocalProvider::new();
    let v = conformance::check_data_source(&p, LOCAL_FILE, &cfg(&[("filename", path_str(&f))])).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&v, "content"), Some(&s("data!")));
    assert_eq!(attr(&v, "content_base64"), Some(&s("ZGF0YSE=")));
}

#[tokio::test]
async fn local_exec_runs_commands_with_env_and_dir() {
    let dir = tempfile::tempdir().unwrap();
    let p = LocalProvider::new();
    let c = cfg(&[
        ("command", s("echo \"$GREETING from $(basename \"$PWD\")\"; touch created")),
        ("working_dir", path_str(dir.path())),
        ("environment", Value::map([("GREETING", s("hi"))])),
        ("destroy_command", s("rm created")),
    ]);
    let v = apply(&p, LOCAL_EXEC, &c).await.unwrap();
    let base = dir.path().file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(attr(&v, "output"), Some(&Value::String(format!("hi from {base}"))));
    assert_eq!(attr(&v, "exit_code"), Some(&Value::int(0)));
    assert!(dir.path().join("created").exists());
    assert_eq!(p.read(LOCAL_EXEC, &v).await.unwrap(), Some(v.clone()));
    // environment changes in place, command replaces.
    let env_change = with_attr(c.clone(), "environment", Value::map([("GREETING", s("yo"))]));
    assert!(p.plan_change(LOCAL_EXEC, Some(&v), &env_change).requires_replace.is_empty());
    let cmd_change = with_attr(c.clone(), "command", s("true"));
    assert_eq!(p.plan_change(LOCAL_EXEC, Some(&v), &cmd_change).requires_replace, vec![vec![PathStep::Key("command".into())]]);
    p.delete(LOCAL_EXEC, &v, &ctx(LOCAL_EXEC)).await.unwrap();
    assert!(!dir.path().join("created").exists());
}

#[tokio::test]
async fn local_exec_failure_reports_code_and_tail() {
    let p = LocalProvider::new();
    let c = cfg(&[("command", s("for i in $(seq 1 30); do echo line$i >&2; done; exit 3"))]);
    let err = apply(&p, LOCAL_EXEC, &c).await.unwrap_err().to_string();
    assert!(err.contains("exited with code 3"), "{err}");
    assert!(err.contains("line30") && err.contains("line11") && !err.contains("line10\n"), "{err}");
    let bad_destroy = cfg(&[("command", s("true")), ("destroy_command", s("exit 7")), ("id", s("1"))]);
    let err = p.delete(LOCAL_EXEC, &bad_destroy, &ctx(LOCAL_EXEC)).await.unwrap_err().to_string();
    assert!(err.contains("destroy_command") && err.contains("code 7"), "{err}");
}

#[tokio::test]
async fn unknown_types_are_refused() {
    let p = LocalProvider::new();
    assert!(p.create("local_nope", &cfg(&[]), &ctx("local_nope")).await.is_err());
    assert!(p.plan_change("local_nope", None, &cfg(&[])).diagnostics.has_errors());
    conformance::check_schema(&p).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn null_resource_is_served_by_local() {
    let mut providers: std::collections::BTreeMap<String, std::sync::Arc<dyn Provider>> = Default::default();
    providers.insert("local".into(), std::sync::Arc::new(LocalProvider::new()));
    let found = |ty: &str, data: bool| contin_provider::provider_for_type(&providers, ty, data).map(|p| p.name().to_string());
    assert_eq!(found(NULL_RESOURCE, false).as_deref(), Some("local"));
    assert_eq!(found(LOCAL_FILE, true).as_deref(), Some("local"));
    assert_eq!(found("local_exec", true), None);
    assert_eq!(found("aws_vpc", false), None);
}

#[tokio::test]
async fn relative_paths_resolve_against_the_base_dir_and_state_keeps_them_relative() {
    let dir = tempfile::tempdir().unwrap();
    let p = LocalProvider::with_base_dir(dir.path());
    let v = apply(&p, LOCAL_FILE, &cfg(&[("filename", s("out/x.txt")), ("content", s("hi"))])).await.unwrap();
    assert_eq!(attr_str(&v, "filename"), Some("out/x.txt"), "state keeps the configured path");
    assert_eq!(std::fs::read_to_string(dir.path().join("out/x.txt")).unwrap(), "hi");
    let read = p.read(LOCAL_FILE, &v).await.unwrap().expect("still there");
    assert_eq!(attr_str(&read, "filename"), Some("out/x.txt"));
    p.delete(LOCAL_FILE, &v, &ctx(LOCAL_FILE)).await.unwrap();
    assert!(!dir.path().join("out/x.txt").exists());
    let e = apply(&p, LOCAL_EXEC, &cfg(&[("command", s("pwd"))])).await.unwrap();
    let here = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(attr_str(&e, "output").map(std::path::PathBuf::from), Some(here), "commands run in the base dir");
}
