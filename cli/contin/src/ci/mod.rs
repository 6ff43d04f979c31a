//! The CI step: one `plan` (or `drift`) run writes every machine output a
//! pipeline wants next to the human diff: the JSON plan (`-json-out`), a
//! PR/MR comment (`-markdown-out`, also appended to `$GITHUB_STEP_SUMMARY`),
//! GitLab's terraform report (`-gitlab-report`), SARIF 2.1.0 findings
//! (`-sarif-out`) and JUnit XML checks (`-junit-out`); plus `::error`
//! annotations under GitHub Actions. Every file is written 0600 and none
//! holds a sensitive value (they are built from addresses, attribute paths,
//! counts and redacted JSON only). See docs/ci.md.

pub mod drift;
pub mod formats;
pub mod markdown;
pub mod sealed;
#[cfg(test)]
mod tests;

use clap::Args;
use contin_engine::drift::{compare, AttributeDrift};
use contin_engine::DriftReport;
use contin_planner::{Action, Plan};
use contin_types::{Diagnostics, ResourceAddr, Severity, SourceLoc, SourceMap};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The "state is locked" error: the engine's message (holder, operation,
/// since, lock ID, how to release it), plus the CI run that holds the lock
/// when its lock recorded one (a URL with control characters or over 2 KB,
/// from a hand-made lock file, is left out).
pub fn locked_message(holder: &contin_state::LockInfo) -> String {
    let text = contin_engine::EngineError::Locked { holder: holder.clone() }.to_string();
    let Some(line) = ci_run_line(holder) else { return text };
    match text.split_once("\n\n") {
        Some((first, rest)) => format!("{first}\n{line}\n\n{rest}"),
        None => format!("{text}\n{line}"),
    }
}

/// `The lock is held by the CI run URL` when the holder recorded a usable
/// CI run URL (trimmed, bounded, no control characters).
pub fn ci_run_line(holder: &contin_state::LockInfo) -> Option<String> {
    let url = holder.ci_url.as_deref().map(str::trim).filter(|u| !u.is_empty() && u.len() <= 2048 && !u.chars().any(char::is_control))?;
    Some(format!("The lock is held by the CI run {url}"))
}

/// The report files one run writes (plan and drift).
#[derive(Debug, Args, Clone, Default)]
pub struct CiOutputArgs {
    /// Write the JSON plan (docs/plan-json.md) to FILE.
    #[arg(long, value_name = "FILE")]
    pub json_out: Option<PathBuf>,
    /// Write a PR/MR comment in Markdown to FILE (under 64 KB); it is also
    /// appended to $GITHUB_STEP_SUMMARY when that is set.
    #[arg(long, value_name = "FILE")]
    pub markdown_out: Option<PathBuf>,
    /// Write GitLab's terraform report ({"create":n,"update":n,"delete":n}) to FILE.
    #[arg(long, value_name = "FILE")]
    pub gitlab_report: Option<PathBuf>,
    /// Write findings (diagnostics, destroys, drift) as SARIF 2.1.0 to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif_out: Option<PathBuf>,
    /// Write one JUnit XML test case per check to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit_out: Option<PathBuf>,
}

impl CiOutputArgs {
    pub fn any(&self) -> bool {
        self.json_out.is_some() || self.markdown_out.is_some() || self.gitlab_report.is_some() || self.sarif_out.is_some() || self.junit_out.is_some()
    }
}

/// `contin plan` flags for CI.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanCiArgs {
    #[command(flatten)]
    pub outputs: CiOutputArgs,
    /// Exit 3 when the plan deletes or replaces anything (after writing every output).
    #[arg(long)]
    pub fail_on_destroy: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Encrypt the `-out` plan file with the key or passphrase in this
    /// environment variable (AES-256-GCM, bound to the state lineage/serial
    /// and the configuration hash).
    #[arg(long, value_name = "VAR")]
    pub plan_key_env: Option<String>,
}

/// `-lock-timeout` (plan, apply, destroy, drift).
#[derive(Debug, Args, Clone, Default)]
pub struct LockArgs {
    /// Wait this long for a held state lock instead of failing (`30s`, `5m`, `1h`).
    #[arg(long, value_name = "DURATION", value_parser = parse_lock_timeout)]
    pub lock_timeout: Option<std::time::Duration>,
}

fn parse_lock_timeout(s: &str) -> Result<std::time::Duration, String> {
    contin_engine::lock::parse_duration(s)
}

/// `contin apply`/`destroy` flags for CI.
#[derive(Debug, Args, Clone, Default)]
pub struct ApplyCiArgs {
    #[command(flatten)]
    pub lock: LockArgs,
    /// The saved plan file is encrypted with the key or passphrase in this
    /// environment variable (see `plan -plan-key-env`).
    #[arg(long, value_name = "VAR")]
    pub plan_key_env: Option<String>,
}

/// Exit code of `plan -fail-on-destroy` when the plan deletes or replaces anything.
pub const EXIT_DESTROY: i32 = 3;

/// Maximum size of the Markdown comment (GitHub's comment limit is 65,536 characters).
pub const MAX_MARKDOWN_BYTES: usize = 64 * 1024;

/// Severity of a finding (SARIF `level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// The kind of a finding: the SARIF rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// A configuration or planning error.
    Error,
    /// A configuration warning.
    Warning,
    /// A planned destroy of an instance with `lifecycle.prevent_destroy`.
    PreventDestroy,
    /// A planned delete or replace.
    Destroy,
    /// An object changed outside contin.
    Drift,
    /// An object that could not be read (kept as recorded).
    Unreachable,
}

impl Rule {
    pub const ALL: [Rule; 6] = [Rule::Error, Rule::Warning, Rule::PreventDestroy, Rule::Destroy, Rule::Drift, Rule::Unreachable];
    pub fn id(self) -> &'static str {
        match self {
            Rule::Error => "contin/error",
            Rule::Warning => "contin/warning",
            Rule::PreventDestroy => "contin/prevent-destroy",
            Rule::Destroy => "contin/destroy",
            Rule::Drift => "contin/drift",
            Rule::Unreachable => "contin/unreachable",
        }
    }
    pub fn description(self) -> &'static str {
        match self {
            Rule::Error => "The configuration or the plan has an error.",
            Rule::Warning => "The configuration has a warning.",
            Rule::PreventDestroy => "The plan destroys an instance whose lifecycle sets prevent_destroy.",
            Rule::Destroy => "The plan deletes or replaces an object.",
            Rule::Drift => "An object changed outside contin since the last apply.",
            Rule::Unreachable => "An object could not be read; it is kept as recorded.",
        }
    }
    pub fn default_level(self) -> Level {
        match self {
            Rule::Error | Rule::PreventDestroy => Level::Error,
            Rule::Warning | Rule::Drift | Rule::Unreachable => Level::Warning,
            Rule::Destroy => Level::Note,
        }
    }
}

/// A file position: path (as the CI sees it), 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

/// One finding for SARIF, annotations and JUnit.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub level: Level,
    /// One line.
    pub title: String,
    /// The explanation (may be several lines).
    pub detail: String,
    pub position: Option<Position>,
    pub address: Option<String>,
}

impl Finding {
    pub fn message(&self) -> String {
        if self.detail.is_empty() {
            self.title.clone()
        } else {
            format!("{}: {}", self.title, self.detail)
        }
    }
}

/// What a run produced.
pub enum Subject<'a> {
    Plan(&'a Plan),
    Drift(&'a DriftReport),
    /// The run failed before a plan or drift report existed.
    Failed,
}

/// Everything the report writers read.
pub struct Report<'a> {
    /// `plan` or `drift`.
    pub command: &'static str,
    pub subject: Subject<'a>,
    /// Warnings of a successful run, or the errors of a failed one.
    pub diags: Diagnostics,
    pub sources: SourceMap,
    /// A failure that is not a diagnostic (backend, lock, provider).
    pub error: Option<String>,
    pub fail_on_destroy: bool,
    /// Prefix joined to configuration file names (`-C DIR` as given), so
    /// paths are relative to where the pipeline runs.
    pub path_prefix: String,
    /// Where each configured resource block is declared (`type.name` / `data.type.name`).
    pub blocks: BTreeMap<String, SourceLoc>,
    /// The CI run, for the "see the full log" line.
    pub run_url: Option<String>,
}

impl<'a> Report<'a> {
    pub fn new(command: &'static str, subject: Subject<'a>) -> Report<'a> {
        Report {
            command,
            subject,
            diags: Diagnostics::new(),
            sources: SourceMap::default(),
            error: None,
            fail_on_destroy: false,
            path_prefix: String::new(),
            blocks: BTreeMap::new(),
            run_url: None,
        }
    }

    /// Adds the workspace's configuration: sources (for line numbers) and block locations.
    pub fn with_config(mut self, config: &contin_config::Config) -> Self {
        self.sources = config.sources.clone();
        for r in &config.resources {
            let addr = ResourceAddr { module: r.module.clone(), mode: r.mode, ty: r.ty.clone(), name: r.name.clone(), key: contin_types::InstanceKey::None };
            self.blocks.insert(addr.to_string(), r.loc.clone());
        }
        self
    }

    fn position(&self, loc: &SourceLoc) -> Option<Position> {
        let (line, col) = self.sources.line_col(&loc.file, loc.span.start)?;
        Some(Position { file: format!("{}{}", self.path_prefix, loc.file), line, col })
    }

    fn block_position(&self, addr: &ResourceAddr) -> Option<Position> {
        self.blocks.get(&addr.resource().to_string()).and_then(|loc| self.position(loc))
    }

    /// Every finding, in a stable order: errors, then destroys, drift,
    /// unreachable objects and warnings, each sorted by address/position.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for d in self.diags.iter() {
            let rule = if d.summary == "Instance cannot be destroyed" {
                Rule::PreventDestroy
            } else if d.severity == Severity::Error {
                Rule::Error
            } else {
                Rule::Warning
            };
            let level = if d.severity == Severity::Error { Level::Error } else { Level::Warning };
            out.push(Finding {
                rule,
                level,
                title: d.summary.clone(),
                detail: d.detail.clone(),
                position: d.loc.as_ref().and_then(|l| self.position(l)),
                address: d.address.clone(),
            });
        }
        if let Some(e) = &self.error {
            out.push(Finding { rule: Rule::Error, level: Level::Error, title: format!("contin {} failed", self.command), detail: e.clone(), position: None, address: None });
        }
        match &self.subject {
            Subject::Plan(plan) => {
                for (addr, display, action, forced) in destroys(plan) {
                    let what = if action == Action::Replace { "replaced" } else { "destroyed" };
                    let detail = if forced.is_empty() { String::new() } else { format!("forced by {}", forced.join(", ")) };
                    out.push(Finding {
                        rule: Rule::Destroy,
                        level: if self.fail_on_destroy { Level::Error } else { Level::Note },
                        title: format!("{display} will be {what}"),
                        detail,
                        position: self.block_position(addr),
                        address: Some(display),
                    });
                }
                for d in &plan.drift {
                    let (title, detail) = match &d.current {
                        None => (format!("{} was deleted outside contin", d.addr), String::new()),
                        Some(cur) => (format!("{} changed outside contin", d.addr), attribute_list(&compare(&d.recorded, cur))),
                    };
                    out.push(Finding { rule: Rule::Drift, level: Level::Warning, title, detail, position: self.block_position(&d.addr), address: Some(d.addr.to_string()) });
                }
                for u in &plan.unreachable {
                    out.push(self.unreachable(&u.addr, &u.reason));
                }
            }
            Subject::Drift(report) => {
                for d in &report.drifted {
                    let (title, detail) = if d.deleted {
                        (format!("{} was deleted outside contin", d.addr), String::new())
                    } else {
                        (format!("{} changed outside contin", d.addr), attribute_list(&d.attributes))
                    };
                    out.push(Finding { rule: Rule::Drift, level: Level::Error, title, detail, position: self.block_position(&d.addr), address: Some(d.addr.to_string()) });
                }
                for u in &report.unreachable {
                    out.push(self.unreachable(&u.addr, &u.reason));
                }
            }
            Subject::Failed => {}
        }
        out.sort_by(|a, b| (a.level, a.rule, &a.address, &a.title).cmp(&(b.level, b.rule, &b.address, &b.title)));
        out
    }

    fn unreachable(&self, addr: &ResourceAddr, reason: &str) -> Finding {
        Finding {
            rule: Rule::Unreachable,
            level: Level::Warning,
            title: format!("{addr} could not be read; kept as recorded"),
            detail: reason.to_string(),
            position: self.block_position(addr),
            address: Some(addr.to_string()),
        }
    }
}

/// `size, tags.env, password (sensitive)`: the drifted attribute names.
pub fn attribute_list(attrs: &[AttributeDrift]) -> String {
    let names: Vec<String> = attrs
        .iter()
        .map(|a| {
            let p = if a.path.is_empty() { "(whole object)".to_string() } else { a.path_string() };
            if a.sensitive {
                format!("{p} (sensitive)")
            } else {
                p
            }
        })
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!("attributes changed: {}", names.join(", "))
    }
}

/// Planned deletes and replaces of managed objects (deposed objects
/// included): (address, display address, action, attributes forcing a replace).
pub fn destroys(plan: &Plan) -> Vec<(&ResourceAddr, String, Action, Vec<String>)> {
    let mut out: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.addr.mode == contin_types::ResourceMode::Managed && matches!(c.action, Action::Delete | Action::Replace))
        .map(|c| (&c.addr, c.addr.to_string(), c.action, c.replace_paths.iter().map(|p| contin_types::value::path_to_string(p)).collect()))
        .collect();
    out.extend(plan.deposed.iter().map(|d| (&d.change.addr, d.display_addr(), Action::Delete, Vec::new())));
    out
}

/// True when the plan deletes or replaces a managed object.
pub fn plan_destroys(plan: &Plan) -> bool {
    !destroys(plan).is_empty()
}

/// GitLab counts: (create, update, delete), a replace in both create and delete.
pub fn gitlab_counts(plan: &Plan) -> (usize, usize, usize) {
    let (mut create, mut update, mut delete) = (0, 0, 0);
    for c in &plan.changes {
        match c.action {
            Action::Create => create += 1,
            Action::Update => update += 1,
            Action::Replace => {
                create += 1;
                delete += 1;
            }
            Action::Delete if c.addr.mode == contin_types::ResourceMode::Managed => delete += 1,
            _ => {}
        }
    }
    (create, update, delete + plan.deposed.len())
}

/// Writes every requested output (0600) and appends the Markdown to
/// `step_summary` when given. Stops at the first write error, naming the file.
pub fn write_outputs(root: &Path, args: &CiOutputArgs, report: &Report<'_>, step_summary: Option<&Path>) -> anyhow::Result<()> {
    let write = |file: &Option<PathBuf>, text: &dyn Fn() -> anyhow::Result<String>| -> anyhow::Result<()> {
        if let Some(f) = file {
            let path = root.join(f);
            contin_engine::files::write_private(&path, text()?.as_bytes())
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", f.display()))?;
        }
        Ok(())
    };
    write(&args.json_out, &|| formats::json(report))?;
    let markdown = markdown::render(report);
    write(&args.markdown_out, &|| Ok(markdown.clone()))?;
    write(&args.gitlab_report, &|| formats::gitlab(report))?;
    write(&args.sarif_out, &|| formats::sarif(report))?;
    write(&args.junit_out, &|| Ok(formats::junit(report)))?;
    if let Some(summary) = step_summary {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(summary)
            .map_err(|e| anyhow::anyhow!("opening $GITHUB_STEP_SUMMARY {}: {e}", summary.display()))?;
        f.write_all(format!("{markdown}\n").as_bytes()).map_err(|e| anyhow::anyhow!("appending to $GITHUB_STEP_SUMMARY {}: {e}", summary.display()))?;
    }
    Ok(())
}

/// `$GITHUB_STEP_SUMMARY`, when set and not empty.
pub fn step_summary_path() -> Option<PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// True under GitHub Actions (`GITHUB_ACTIONS=true`): findings are printed
/// as `::error file=F,line=L::message` workflow commands.
pub fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// GitHub workflow commands for the findings (notes are left out).
pub fn github_annotations(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let cmd = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => continue,
        };
        let mut props = vec![format!("title={}", escape_property(&f.title))];
        if let Some(p) = &f.position {
            props.insert(0, format!("file={},line={},col={}", escape_property(&p.file), p.line, p.col));
        }
        out.push_str(&format!("::{cmd} {}::{}\n", props.join(","), escape_data(&f.message())));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `-C DIR` as a prefix for configuration file names (`""` for `.`); an
/// absolute DIR under the current directory is made relative to it, so
/// annotations and SARIF name repository paths.
pub fn path_prefix(dir: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = match cwd.as_deref().and_then(|c| dir.strip_prefix(c).ok()) {
        Some(r) if dir.is_absolute() => r,
        _ => dir,
    };
    if rel.as_os_str().is_empty() || rel == Path::new(".") {
        String::new()
    } else {
        format!("{}/", rel.display().to_string().trim_end_matches('/'))
    }
}

/// Writes the outputs of a successful run and prints the GitHub annotations
/// (unless `annotate` is false: stdout carries JSON).
pub fn finish(root: &Path, outputs: &CiOutputArgs, report: &Report<'_>, annotate: bool) -> anyhow::Result<()> {
    let summary = step_summary_path();
    if outputs.any() || summary.is_some() {
        write_outputs(root, outputs, report, summary.as_deref())?;
    }
    if annotate && github_actions() {
        print!("{}", github_annotations(&report.findings()));
    }
    Ok(())
}

/// A run failed: still write the reports (SARIF/JUnit/Markdown carry the
/// errors with file:line), then hand the error back for `main` to print.
pub fn report_failure(ctx: &crate::commands::Ctx, command: &'static str, outputs: &CiOutputArgs, ws: Option<&contin_engine::Workspace>, err: anyhow::Error) -> anyhow::Error {
    let mut r = Report::new(command, Subject::Failed);
    if let Some(ws) = ws {
        r = r.with_config(&ws.config);
    }
    match err.downcast_ref::<crate::commands::DiagnosticsError>() {
        Some(d) => {
            r.diags = d.diags.clone();
            r.sources = d.sources.clone();
        }
        None => r.error = Some(format!("{err:#}")),
    }
    r.path_prefix = path_prefix(&ctx.dir);
    r.run_url = contin_engine::lock::ci_run_url(&|k| std::env::var(k).ok());
    // Only the failure-capable outputs: no JSON plan or GitLab counts for a plan that does not exist.
    let failed_outputs = CiOutputArgs { json_out: None, gitlab_report: None, ..outputs.clone() };
    let root = ws.map_or_else(|| ctx.dir.clone(), |w| w.root().to_path_buf());
    if let Err(e) = finish(&root, &failed_outputs, &r, true) {
        eprintln!("Warning: {e:#}");
    }
    err
}
