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
    let p = LocalProvider::default();
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
    let p = LocalProvider::default();
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
    let p = LocalProvider::default();
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
    let p = LocalProvider::default();
    apply(&p, LOCAL_FILE, &cfg(&[("filename", path_str(&f)), ("content", s("x")), ("file_permission", s("0600"))])).await.unwrap();
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(p.validate(LOCAL_FILE, &cfg(&[("filename", s("a")), ("content", s("")), ("file_permission", s("888"))])).has_errors());
}

#[tokio::test]
async fn out_of_band_edit_is_drift_that_forces_replace_and_deletion_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.txt");
    let p = LocalProvider::default();
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
    let p = LocalProvider::default();
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
    let p = LocalProvider::default();
    let v = conformance::check_data_source(&p, LOCAL_FILE, &cfg(&[("filename", path_str(&f))])).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&v, "content"), Some(&s("data!")));
    assert_eq!(attr(&v, "content_base64"), Some(&s("ZGF0YSE=")));
}

#[tokio::test]
async fn local_exec_runs_commands_with_env_and_dir() {
    let dir = tempfile::tempdir().unwrap();
    let p = LocalProvider::default();
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
    let p = LocalProvider::default();
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
    let p = LocalProvider::default();
    assert!(p.create("local_nope", &cfg(&[]), &ctx("local_nope")).await.is_err());
    assert!(p.plan_change("local_nope", None, &cfg(&[])).diagnostics.has_errors());
    conformance::check_schema(&p).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn null_resource_is_served_by_local() {
    let mut providers: std::collections::BTreeMap<String, std::sync::Arc<dyn Provider>> = Default::default();
    providers.insert("local".into(), std::sync::Arc::new(LocalProvider::default()));
    let found = |ty: &str, data: bool| contin_provider::provider_for_type(&providers, ty, data).map(|p| p.name().to_string());
    assert_eq!(found(NULL_RESOURCE, false).as_deref(), Some("local"));
    assert_eq!(found(LOCAL_FILE, true).as_deref(), Some("local"));
    assert_eq!(found("local_exec", true), None);
    assert_eq!(found("aws_vpc", false), None);
}

const MARKER: &str = "MARKER-S3CR3T";

fn secret(v: &str) -> Value {
    s(v).mark_sensitive()
}

/// What the executor hands a provider that `receives_sensitive_marks`: the
/// plan of the plain configuration, re-marked at the configuration's sensitive paths.
fn planned_marked(p: &LocalProvider, ty: &str, c: &Value) -> Value {
    let (plain, paths) = c.clone().unmark_deep();
    p.plan_change(ty, None, &plain).planned.mark_paths(&paths)
}

/// The error's Display and Debug, checked to hold no marker.
fn assert_no_marker(e: &ProviderError) -> String {
    let (shown, debug) = (e.to_string(), format!("{e:?}"));
    assert!(!shown.contains(MARKER) && !debug.contains(MARKER), "secret leaked: {shown} / {debug}");
    shown
}

#[tokio::test]
async fn failing_local_exec_with_a_sensitive_command_hides_command_and_output() {
    let p = LocalProvider::default();
    assert!(p.receives_sensitive_marks());
    let c = cfg(&[("command", secret(&format!("echo {MARKER}; echo {MARKER} >&2; exit 1")))]);
    let e = p.create(LOCAL_EXEC, &planned_marked(&p, LOCAL_EXEC, &c), &ctx(LOCAL_EXEC)).await.unwrap_err();
    let shown = assert_no_marker(&e);
    assert_eq!(shown, "local_exec: command exited with code 1 (command and output hidden: sensitive)");
}

#[tokio::test]
async fn failing_local_exec_with_a_sensitive_environment_hides_output() {
    let p = LocalProvider::default();
    let c = cfg(&[("command", s("echo \"$TOKEN\"; exit 2")), ("environment", Value::map([("TOKEN", secret(MARKER))]))]);
    let e = p.create(LOCAL_EXEC, &c, &ctx(LOCAL_EXEC)).await.unwrap_err();
    assert!(assert_no_marker(&e).contains("exited with code 2 (command and output hidden: sensitive)"));
    // The same command with a plain environment shows its output: the hiding is the marks' doing.
    let plain = cfg(&[("command", s("echo \"$TOKEN\"; exit 2")), ("environment", Value::map([("TOKEN", s(MARKER))]))]);
    assert!(p.create(LOCAL_EXEC, &plain, &ctx(LOCAL_EXEC)).await.unwrap_err().to_string().contains(MARKER));
}

#[tokio::test]
async fn failing_sensitive_destroy_command_hides_it() {
    let p = LocalProvider::default();
    let prior = cfg(&[("command", s("true")), ("destroy_command", secret(&format!("echo {MARKER}; exit 7"))), ("id", s("1"))]);
    let e = p.delete(LOCAL_EXEC, &prior, &ctx(LOCAL_EXEC)).await.unwrap_err();
    assert!(assert_no_marker(&e).contains("destroy_command exited with code 7"));
}

#[tokio::test]
async fn output_of_a_sensitive_command_is_sensitive_and_stays_so_on_update() {
    let p = LocalProvider::default();
    let c = cfg(&[("command", secret(&format!("echo {MARKER}")))]);
    let v = p.create(LOCAL_EXEC, &planned_marked(&p, LOCAL_EXEC, &c), &ctx(LOCAL_EXEC)).await.unwrap();
    let out = attr(&v, "output").unwrap();
    assert!(out.is_sensitive(), "{out:?}");
    assert_eq!(out.unmarked(), &s(MARKER));
    // What the executor records: the mark becomes a sensitive path of state.
    let paths = contin_provider::sensitive_paths(&EXEC_SCHEMA, &v);
    assert!(paths.contains(&vec![PathStep::Key("output".into())]), "{paths:?}");
    // A plain command's output is plain.
    let plain = p.create(LOCAL_EXEC, &cfg(&[("command", s("echo hi"))]), &ctx(LOCAL_EXEC)).await.unwrap();
    assert!(!attr(&plain, "output").unwrap().is_sensitive());
    // An in-place update (environment) of a sensitive output keeps the mark,
    // even when the values it is given are plain.
    let (plain_prior, _) = v.clone().unmark_deep();
    let prior = plain_prior.clone().mark_paths(&paths);
    let planned = with_attr(plain_prior, "environment", Value::map([("A", s("b"))]));
    let updated = p.update(LOCAL_EXEC, &prior, &planned, &ctx(LOCAL_EXEC)).await.unwrap();
    assert!(attr(&updated, "output").unwrap().is_sensitive());
}

#[tokio::test]
async fn local_file_errors_never_name_a_sensitive_path() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory is needed: fails even for root.
    std::fs::write(dir.path().join("blocker"), "x").unwrap();
    let name = dir.path().join("blocker").join(MARKER).join("x.txt");
    let p = LocalProvider::default();
    let c = cfg(&[("filename", path_str(&name).mark_sensitive()), ("content", s("x"))]);
    let e = p.create(LOCAL_FILE, &planned_marked(&p, LOCAL_FILE, &c), &ctx(LOCAL_FILE)).await.unwrap_err();
    let shown = assert_no_marker(&e);
    assert!(shown.starts_with("local_file: cannot create the directory of (sensitive path): "), "{shown}");
    // Without the mark the path is named (the hiding is the mark's doing).
    let plain = cfg(&[("filename", path_str(&name)), ("content", s("x"))]);
    assert!(p.create(LOCAL_FILE, &p.plan_change(LOCAL_FILE, None, &plain).planned, &ctx(LOCAL_FILE)).await.unwrap_err().to_string().contains(MARKER));

    // delete: a directory in place of the file.
    let d = dir.path().join(MARKER);
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("inside"), "x").unwrap();
    let prior = cfg(&[("filename", path_str(&d).mark_sensitive()), ("content", s("x")), ("id", s("1"))]);
    let e = p.delete(LOCAL_FILE, &prior, &ctx(LOCAL_FILE)).await.unwrap_err();
    assert!(assert_no_marker(&e).contains("cannot delete (sensitive path)"));
    // read (refresh) and the data source: not a regular file, missing file.
    let e = p.read(LOCAL_FILE, &prior).await.unwrap_err();
    assert!(assert_no_marker(&e).contains("(sensitive path): not a regular file"));
    let missing = cfg(&[("filename", path_str(&dir.path().join(format!("{MARKER}.missing"))).mark_sensitive())]);
    let e = p.read_data(LOCAL_FILE, &missing).await.unwrap_err();
    assert!(assert_no_marker(&e).contains("cannot read (sensitive path): "));
}

#[tokio::test]
async fn local_file_reads_only_bounded_regular_files() {
    let p = LocalProvider::default();
    let e = p.read_data(LOCAL_FILE, &cfg(&[("filename", s("/dev/zero"))])).await.unwrap_err().to_string();
    assert_eq!(e, "local_file: cannot read /dev/zero: not a regular file");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::File::create(&big).unwrap().set_len(file::MAX_READ_BYTES + 1).unwrap();
    let e = p.read_data(LOCAL_FILE, &cfg(&[("filename", path_str(&big))])).await.unwrap_err().to_string();
    assert!(e.ends_with("larger than the limit of 64 MiB"), "{e}");
}

#[tokio::test]
async fn relative_paths_resolve_against_the_base_dir_not_the_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let p = LocalProvider::new(dir.path().to_path_buf());
    assert_eq!(p.base_dir(), dir.path());
    let c = cfg(&[("filename", s("sub/x.txt")), ("content", s("hi"))]);
    let v = p.create(LOCAL_FILE, &planned_marked(&p, LOCAL_FILE, &c), &ctx(LOCAL_FILE)).await.unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join("sub/x.txt")).unwrap(), "hi");
    assert_eq!(attr(&v, "filename"), Some(&s("sub/x.txt")), "state keeps the name as configured");
    assert!(p.read(LOCAL_FILE, &v).await.unwrap().is_some());
    assert_eq!(attr(&p.read_data(LOCAL_FILE, &cfg(&[("filename", s("sub/x.txt"))])).await.unwrap(), "content"), Some(&s("hi")));
    // Commands run in the base dir, and a relative working_dir is below it.
    std::fs::create_dir(dir.path().join("w")).unwrap();
    let here = p.create(LOCAL_EXEC, &cfg(&[("command", s("pwd -P"))]), &ctx(LOCAL_EXEC)).await.unwrap();
    let base = dir.path().canonicalize().unwrap();
    assert_eq!(attr(&here, "output"), Some(&path_str(&base)));
    let sub = p.create(LOCAL_EXEC, &cfg(&[("command", s("pwd -P")), ("working_dir", s("w"))]), &ctx(LOCAL_EXEC)).await.unwrap();
    assert_eq!(attr(&sub, "output"), Some(&path_str(&base.join("w"))));
    p.delete(LOCAL_FILE, &v, &ctx(LOCAL_FILE)).await.unwrap();
    assert!(!dir.path().join("sub/x.txt").exists());
}

#[tokio::test]
async fn terraform_data_echoes_input_and_replaces_on_triggers_replace() {
    let p = LocalProvider::default();
    let t = |input: &str, trig: &str| cfg(&[("input", s(input)), ("triggers_replace", s(trig))]);
    conformance::run(&p, &LifecycleCase::new(TERRAFORM_DATA, t("a", "1"), t("a", "2")).state_only()).await.unwrap_or_else(|e| panic!("{e}"));
    let created = apply(&p, TERRAFORM_DATA, &t("a", "1")).await.unwrap();
    assert_eq!(attr(&created, "output"), Some(&s("a")));
    assert!(attr_str(&created, "id").is_some_and(|id| !id.is_empty()));
    // Unknown at plan while the input is new; null input → null output.
    let planned = p.plan_change(TERRAFORM_DATA, None, &t("a", "1")).planned;
    assert_eq!(attr(&planned, "output"), Some(&Value::Unknown));
    let none = p.plan_change(TERRAFORM_DATA, None, &cfg(&[])).planned;
    assert_eq!(attr(&none, "output"), None);
    // triggers_replace forces replacement; input changes in place, output unknown then.
    assert!(!p.plan_change(TERRAFORM_DATA, Some(&created), &t("a", "2")).requires_replace.is_empty());
    let change = p.plan_change(TERRAFORM_DATA, Some(&created), &t("b", "1"));
    assert!(change.requires_replace.is_empty());
    assert_eq!(attr(&change.planned, "output"), Some(&Value::Unknown));
    let updated = p.update(TERRAFORM_DATA, &created, &change.planned, &ctx(TERRAFORM_DATA)).await.unwrap();
    assert_eq!(attr(&updated, "output"), Some(&s("b")));
    let same = p.plan_change(TERRAFORM_DATA, Some(&created), &t("a", "1"));
    assert_eq!(same.planned, created, "no change: nothing to do");
}

#[tokio::test]
async fn local_sensitive_file_is_local_file_with_secret_content_and_0700() {
    let dir = tempfile::tempdir().unwrap();
    let p = LocalProvider::new(dir.path().to_path_buf());
    let replace = LifecycleCase::new(
        LOCAL_SENSITIVE_FILE,
        cfg(&[("filename", s("keys/id.pem")), ("content", s("secret\n"))]),
        cfg(&[("filename", s("keys/id.pem")), ("content", s("other\n"))]),
    );
    conformance::run(&p, &replace).await.unwrap_or_else(|e| panic!("{e}"));
    let v = apply(&p, LOCAL_SENSITIVE_FILE, &cfg(&[("filename", s("keys/k.pem")), ("content", s("top secret"))])).await.unwrap();
    let path = dir.path().join("keys/k.pem");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "top secret", "relative to the base directory");
    assert_eq!(attr_str(&v, "file_permission"), Some("0700"));
    assert_eq!(attr_str(&v, "directory_permission"), Some("0700"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o077, 0, "no access for group/others");
    }
    let schema = p.schema();
    for a in ["content", "content_base64"] {
        assert!(schema.resources[LOCAL_SENSITIVE_FILE].attributes[a].sensitive, "{a}");
        assert!(schema.data_sources[LOCAL_SENSITIVE_FILE].attributes[a].sensitive, "{a}");
        assert!(!schema.resources[LOCAL_FILE].attributes[a].sensitive, "{a}");
    }
    let data = p.read_data(LOCAL_SENSITIVE_FILE, &cfg(&[("filename", s("keys/k.pem"))])).await.unwrap();
    let content = attr(&data, "content").unwrap();
    assert!(content.is_sensitive());
    assert_eq!(content.unmarked(), &s("top secret"));
    assert_eq!(attr_str(&data, "id"), attr_str(&v, "id"));
    // Drift: the read-back content stays sensitive.
    std::fs::write(&path, "changed").unwrap();
    let read = p.read(LOCAL_SENSITIVE_FILE, &v).await.unwrap().unwrap();
    assert!(attr(&read, "content").unwrap().is_sensitive());
    let e = p.validate(LOCAL_SENSITIVE_FILE, &cfg(&[("filename", s("x"))]));
    assert!(format!("{e:?}").contains("local_sensitive_file: exactly one of"), "{e:?}");
}
