//! Real public Terraform root modules, used as published: `contin validate`
//! must not crash on any of them, and at least the recorded number must
//! validate (a regression lowers the count and fails).
//!
//! The configurations are third-party code and are not committed here:
//! tests/realworld/SOURCES.md lists each one (repository, path, commit).
//! Put copies under one directory (`<dir>/<name>/`) and point
//! `CONTIN_REALWORLD_DIR` at it; without it the test says so and does
//! nothing.

use contin_e2e::Project;

/// How many of the directories validate today (see SOURCES.md).
const EXPECTED_VALID: usize = 3;

#[test]
fn realworld_configurations_validate() {
    let Some(dir) = std::env::var_os("CONTIN_REALWORLD_DIR").map(std::path::PathBuf::from) else {
        println!("realworld: skipped: set CONTIN_REALWORLD_DIR to a directory holding the roots listed in tests/realworld/SOURCES.md");
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut valid = Vec::new();
    let mut failed = Vec::new();
    for name in &names {
        // A copy, so nothing (state, lock) is ever written into the repository.
        let p = Project::empty();
        copy_dir(&dir.join(name), p.path());
        let out = p.run(&["validate"]);
        assert!(
            out.code == 0 || out.code == 1,
            "{name}: contin crashed (exit {}):\n{}",
            out.code,
            out.all()
        );
        assert!(
            !out.stderr.contains("panicked"),
            "{name}: panic:\n{}",
            out.stderr
        );
        if out.code == 0 {
            valid.push(name.clone());
        } else {
            let first = out
                .stderr
                .lines()
                .find(|l| l.contains("Error"))
                .unwrap_or("")
                .trim()
                .to_string();
            failed.push(format!("{name}: {first}"));
        }
    }
    println!("realworld: {}/{} validate", valid.len(), names.len());
    for f in &failed {
        println!("  not valid: {f}");
    }
    assert!(
        valid.len() >= EXPECTED_VALID,
        "only {}/{} validate (expected {EXPECTED_VALID}): {failed:#?}",
        valid.len(),
        names.len()
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{}: {e}", from.display()))
        .flatten()
    {
        let path = e.path();
        let dest = to.join(e.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&dest).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}
