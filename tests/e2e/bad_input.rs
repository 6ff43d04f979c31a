//! The hostile-input corpus (`tests/bad-input/`, see its README): every case
//! must fail with exit code 1 and its golden message, within 20 s under
//! `ulimit -v` 3 GB, without a panic, abort or stack overflow, and must not
//! leave the state locked. Every case is run before anything is asserted, so
//! one run reports all failing cases. `CONTIN_CASE=NAME` runs one case.

use contin_e2e::corpus::{self, Case, Ended};
use contin_e2e::{insta_settings, Project};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(20);
/// Lines of stderr kept in a golden.
const GOLDEN_LINES: usize = 60;

/// Makes what a case cannot commit (see `setup` in its case.toml).
fn setup(case: &Case, dir: &Path) {
    let Some(kind) = case.setup.as_deref() else { return };
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).expect("writing a generated file");
    let big = |name: &str, parts: &mut dyn FnMut(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join(name)).expect("creating a generated file"));
        parts(&mut w).and_then(|()| w.flush()).expect("writing a generated file");
    };
    let symlink = |target: &str, link: &str| std::os::unix::fs::symlink(target, dir.join(link)).expect("making a symlink");
    const DEEP: usize = 100_000;
    match kind {
        "many-errors" => big("main.hcl", &mut |w| (0..100_000).try_for_each(|i| writeln!(w, "output \"o{i}\" {{ value = var.missing_{i} }}"))),
        "dangling-symlink" => symlink("missing-target.hcl", "x.hcl"),
        "symlink-loop" => {
            symlink("y.hcl", "x.hcl");
            symlink("x.hcl", "y.hcl");
        }
        "dir-named-hcl" => std::fs::create_dir(dir.join("x.hcl")).expect("making a directory"),
        "fifo-hcl" => {
            let ok = std::process::Command::new("mkfifo").arg(dir.join("x.hcl")).status().is_ok_and(|s| s.success());
            assert!(ok, "mkfifo failed");
        }
        "deep-brackets" => write("main.hcl", format!("locals {{\n  x = {}{}\n}}\n", "[".repeat(DEEP), "]".repeat(DEEP)).as_bytes()),
        "deep-parens" => write("main.hcl", format!("locals {{\n  x = {}1{}\n}}\n", "(".repeat(DEEP), ")".repeat(DEEP)).as_bytes()),
        "deep-json" => write(
            "main.hcl",
            format!("output \"x\" {{\n  value = jsondecode(\"{}{}\")\n}}\n", "[".repeat(DEEP), "]".repeat(DEEP)).as_bytes(),
        ),
        "deep-blocks" => write(
            "main.hcl",
            format!("resource \"null_resource\" \"a\" {{\n{}{}}}\n", "a {\n".repeat(10_000), "}\n".repeat(10_000)).as_bytes(),
        ),
        "huge-string" => big("main.hcl", &mut |w| {
            w.write_all(b"locals {\n  x = \"")?;
            (0..64 * 1024).try_for_each(|_| w.write_all(&[b'a'; 1024]))?;
            w.write_all(b"\"\n}\n\noutput \"y\" {\n  value = var.nope\n}\n")
        }),
        "huge-heredoc" => big("main.hcl", &mut |w| {
            w.write_all(b"locals {\n  x = <<EOT\n")?;
            (0..64 * 1024).try_for_each(|_| w.write_all(&[[b'a'; 1023].as_slice(), b"\n"].concat()))?;
            w.write_all(b"EOT\n}\n\noutput \"y\" {\n  value = var.nope\n}\n")
        }),
        "big-b64" => big("big.b64", &mut |w| {
            (0..40 * 1024).try_for_each(|_| w.write_all(&[b'A'; 1024]))?;
            w.write_all(b"!")
        }),
        "local-chain" => big("main.hcl", &mut |w| {
            const N: usize = 50_000;
            w.write_all(b"locals {\n")?;
            (0..N - 1).try_for_each(|i| writeln!(w, "  l{i} = local.l{}", i + 1))?;
            writeln!(w, "  l{} = var.nope\n}}\n\noutput \"x\" {{\n  value = local.l0\n}}", N - 1)
        }),
        "sparse-state" => {
            let f = std::fs::File::create(dir.join("contin.state.json")).expect("creating the state file");
            f.set_len(1 << 30).expect("making a sparse 1 GB file");
        }
        other => panic!("{}: unknown setup {other:?}", case.name),
    }
}

struct Done {
    case: Case,
    project: Project,
    out: corpus::Limited,
}

/// Why the run is not a clean failure with exit code 1 (empty: clean).
fn problems(d: &Done) -> Vec<String> {
    let mut why = d.out.crash_signs();
    if let Ended::Exited(code) = d.out.ended {
        if code != 1 {
            why.push(format!("exit code {code}, expected 1"));
        }
    }
    if d.out.ended != Ended::TimedOut {
        let again = corpus::run_limited(d.project.path(), &["plan".to_string()], &[], TIMEOUT);
        if again.all().contains("state is locked") {
            why.push("left the state locked: the next `contin plan` reports the lock".into());
        }
    }
    why
}

#[test]
fn hostile_inputs_fail_cleanly() {
    let only = std::env::var("CONTIN_CASE").ok();
    let cases: Vec<Case> = corpus::cases("bad-input");
    assert!(cases.len() >= 45, "the corpus has only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut clean = Vec::new();
    for case in cases.into_iter().filter(|c| only.as_deref().is_none_or(|o| c.name == o)) {
        let project = Project::empty();
        corpus::copy_dir(&case.dir, project.path());
        setup(&case, project.path());
        let out = corpus::run_limited(project.path(), &case.args, &[], TIMEOUT);
        let done = Done { case, project, out };
        let why = problems(&done);
        eprintln!("{:<36} {:>7.2?} {:?} {}", done.case.name, done.out.took, done.out.ended, if why.is_empty() { "ok" } else { "FAIL" });
        if why.is_empty() {
            clean.push(done);
        } else {
            let tail: String = done.out.stderr.chars().rev().take(800).collect::<Vec<_>>().into_iter().rev().collect();
            failures.push(format!("{} ({}): {}\n  checks: {}\n  stderr tail: {tail}", done.case.name, done.case.args.join(" "), why.join("; "), done.case.checks));
        }
    }
    // Goldens only for cases that failed cleanly: a crash's output is never a golden.
    let mut mismatched = Vec::new();
    for d in &clean {
        let text = corpus::clip_lines(&d.out.stderr, GOLDEN_LINES);
        let name = format!("bad_input__{}", d.case.name);
        let settings = insta_settings(&d.project.filters());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| settings.bind(|| insta::assert_snapshot!(name.as_str(), text))));
        if r.is_err() {
            mismatched.push(d.case.name.clone());
        }
    }
    assert!(
        failures.is_empty() && mismatched.is_empty(),
        "{} case(s) crashed or did not fail with exit code 1:\n{}\n{} golden(s) differ: {mismatched:?}",
        failures.len(),
        failures.join("\n"),
        mismatched.len()
    );
}
