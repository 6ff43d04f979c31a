//! `format_source` against `terraform fmt -` on the corpus in `tests/fmt/`
//! (byte-identical), plus idempotence. The terraform comparison is skipped,
//! with a message, when `terraform` is not on PATH.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fmt");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fmt exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "corpus went missing");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable corpus file");
            (
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                text,
            )
        })
        .collect()
}

fn terraform_fmt(text: &str) -> Option<String> {
    let mut child = Command::new("terraform")
        .args(["fmt", "-no-color", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    assert!(
        out.status.success(),
        "terraform fmt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf-8 output"))
}

#[test]
fn matches_terraform_fmt_byte_for_byte() {
    if Command::new("terraform").arg("version").output().is_err() {
        // CI must compare for real: a missing terraform is a failure there, never a silent pass.
        assert!(
            std::env::var_os("CONTIN_REQUIRE_TERRAFORM").is_none(),
            "`terraform` is not on PATH but CONTIN_REQUIRE_TERRAFORM is set (CI): install Terraform >= 1.5"
        );
        println!("skipped: terraform is not on PATH");
        return;
    }
    let mut failures = Vec::new();
    for (name, text) in corpus() {
        let want = terraform_fmt(&text).expect("terraform runs");
        let got = contin_config::format_source(&text).map_err(|d| d.summary);
        if got.as_deref() != Ok(want.as_str()) {
            failures.push(format!(
                "--- {name}\nterraform:\n{want}\ncontin:\n{}",
                got.unwrap_or_else(|e| e)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn formatting_is_idempotent() {
    for (name, text) in corpus() {
        let once =
            contin_config::format_source(&text).unwrap_or_else(|d| panic!("{name}: {}", d.summary));
        let twice =
            contin_config::format_source(&once).unwrap_or_else(|d| panic!("{name}: {}", d.summary));
        assert_eq!(once, twice, "{name}");
    }
}
