//! `contin fmt [--check] [--diff] [--recursive] [PATH…]`: canonical HCL
//! formatting. Like `terraform fmt`, changed files are listed; `--check`
//! writes nothing and exits 3 when a file is not formatted.

use super::{Ctx, DiagnosticsError};
use crate::args::FmtArgs;
use anyhow::Context as _;
use contin_types::{Diagnostics, SourceMap};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Exit code of `fmt --check` when some file is not formatted.
pub const EXIT_UNFORMATTED: i32 = 3;

pub fn fmt(ctx: &Ctx, args: &FmtArgs) -> anyhow::Result<i32> {
    // Paths are relative to the configuration directory (`-C DIR`), like every other path.
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        vec![ctx.dir.clone()]
    } else {
        args.paths.iter().map(|p| if p.as_os_str() == "-" { p.clone() } else { ctx.dir.join(p) }).collect()
    };
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return fmt_stdin(ctx, args);
    }
    let mut files = Vec::new();
    for p in &paths {
        if p.is_dir() {
            collect_hcl(p, args.recursive, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    let mut unformatted = 0usize;
    let mut diags = Diagnostics::new();
    let mut sources = SourceMap::default();
    for file in &files {
        let name = display_name(file.strip_prefix(&ctx.dir).unwrap_or(file));
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {name}"))?;
        let formatted = match contin_config::format_source(&text) {
            Ok(f) => f,
            Err(mut d) => {
                if let Some(loc) = d.loc.as_mut() {
                    loc.file = name.clone();
                }
                sources.add(name.clone(), text);
                diags.push(d);
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted += 1;
        println!("{name}");
        if args.diff {
            print!("{}", unified_diff(&name, &text, &formatted));
        }
        if !args.check {
            std::fs::write(file, formatted).with_context(|| format!("writing {name}"))?;
        }
    }
    if !diags.is_empty() {
        return Err(DiagnosticsError { diags, sources }.into());
    }
    Ok(if args.check && unformatted > 0 { EXIT_UNFORMATTED } else { 0 })
}

/// `contin fmt -`: stdin to stdout (with `--check`: only the exit code).
fn fmt_stdin(ctx: &Ctx, args: &FmtArgs) -> anyhow::Result<i32> {
    let _ = ctx;
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("reading standard input")?;
    let formatted = contin_config::format_source(&text).map_err(|mut d| {
        if let Some(loc) = d.loc.as_mut() {
            loc.file = "<stdin>".into();
        }
        let mut sources = SourceMap::default();
        sources.add("<stdin>", text.clone());
        anyhow::Error::from(DiagnosticsError { diags: d.into(), sources })
    })?;
    if args.diff {
        print!("{}", unified_diff("<stdin>", &text, &formatted));
    } else if !args.check {
        print!("{formatted}");
    }
    Ok(if args.check && formatted != text { EXIT_UNFORMATTED } else { 0 })
}

/// `*.hcl` files of `dir` (sorted), descending into subdirectories when asked
/// (hidden directories and `target/` skipped).
fn collect_hcl(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if recursive && !name.starts_with('.') && name != "target" {
                collect_hcl(&path, true, out)?;
            }
        } else if name.ends_with(".hcl") {
            out.push(path);
        }
    }
    Ok(())
}

fn display_name(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("old/{name}"), &format!("new/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines() {
        let d = unified_diff("main.hcl", "a=1\nb = 2\n", "a = 1\nb = 2\n");
        assert!(d.starts_with("--- old/main.hcl\n+++ new/main.hcl\n"), "{d}");
        assert!(d.contains("-a=1\n+a = 1\n"), "{d}");
    }

    #[test]
    fn collects_hcl_files_sorted() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for f in ["b.hcl", "a.hcl", "notes.txt", "sub/c.hcl", ".hidden/d.hcl"] {
            let p = dir.path().join(f);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(&p, "").unwrap_or_else(|e| panic!("{e}"));
        }
        let names = |recursive| {
            let mut files = Vec::new();
            collect_hcl(dir.path(), recursive, &mut files).unwrap_or_else(|e| panic!("{e}"));
            files.iter().map(|f| f.strip_prefix(dir.path()).map(display_name).unwrap_or_default()).collect::<Vec<_>>()
        };
        assert_eq!(names(false), ["a.hcl", "b.hcl"]);
        assert_eq!(names(true), ["a.hcl", "b.hcl", "sub/c.hcl"]);
    }
}
