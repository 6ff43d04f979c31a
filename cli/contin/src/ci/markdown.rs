//! `-markdown-out`: the PR/MR comment. A summary line, then destroys and
//! replaces first (what a reviewer must see), then creates, updates, reads,
//! drift and findings, as address lists. The whole comment stays under
//! [`MAX_MARKDOWN_BYTES`]: when it would not fit, the lists stop and a
//! "truncated, see the full log" line says how many entries were left out.

use super::{attribute_list, destroys, Level, Report, Rule, Subject, MAX_MARKDOWN_BYTES};
use contin_planner::{Action, Plan};
use contin_engine::DriftReport;

/// Bytes kept free for the truncation line and the closing lines.
const RESERVE: usize = 1024;

/// Builds the comment within the byte budget.
struct Writer {
    out: String,
    budget: usize,
    omitted: usize,
}

impl Writer {
    fn new(budget: usize) -> Writer {
        Writer { out: String::new(), budget, omitted: 0 }
    }
    /// Appends a line unless it would not fit (then counts it as omitted).
    fn line(&mut self, l: &str) {
        if self.omitted > 0 || self.out.len() + l.len() + 1 > self.budget {
            self.omitted += 1;
            return;
        }
        self.out.push_str(l);
        self.out.push('\n');
    }
    /// A heading and one bullet per item.
    fn section(&mut self, title: &str, items: &[String]) {
        if items.is_empty() {
            return;
        }
        self.line("");
        self.line(&format!("#### {title} ({})", items.len()));
        self.line("");
        for i in items {
            self.line(&format!("- {i}"));
        }
    }
}

/// Inline code that survives backticks and line breaks in the text.
pub fn code(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let longest = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// Plain text safe in a Markdown line (no HTML, no line breaks).
fn text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render(report: &Report<'_>) -> String {
    render_with_limit(report, MAX_MARKDOWN_BYTES)
}

/// The comment, at most `limit` bytes.
pub fn render_with_limit(report: &Report<'_>, limit: usize) -> String {
    let mut w = Writer::new(limit.saturating_sub(RESERVE));
    match &report.subject {
        Subject::Plan(plan) => plan_body(&mut w, report, plan),
        Subject::Drift(d) => drift_body(&mut w, d),
        Subject::Failed => {
            w.line(&format!("### :x: contin {} failed", report.command));
        }
    }
    findings(&mut w, report);
    let mut out = w.out;
    if w.omitted > 0 {
        let log = match &report.run_url {
            Some(url) => format!("[the full log]({url})"),
            None => "the full log".to_string(),
        };
        out.push_str(&format!("\n… truncated: {} more line(s) not shown, see {log}.\n", w.omitted));
    }
    // A pathological run URL could still push it over: cut at a char boundary.
    if out.len() > limit {
        let mut cut = limit.saturating_sub(4);
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n…\n");
    }
    out
}

fn plan_body(w: &mut Writer, report: &Report<'_>, plan: &Plan) {
    let (add, change, destroy) = contin_planner::render::summary_counts(plan);
    let replaced = plan.changes.iter().filter(|c| c.action == Action::Replace).count();
    if plan.has_changes() {
        let icon = if destroy > 0 { ":warning:" } else { ":memo:" };
        w.line(&format!("### {icon} contin plan: {add} to add, {change} to change, {destroy} to destroy"));
    } else {
        w.line("### :white_check_mark: contin plan: no changes");
        w.line("");
        w.line("Your infrastructure matches the configuration.");
    }
    let gone = destroys(plan);
    if !gone.is_empty() {
        w.line("");
        let how = if report.fail_on_destroy { " (this job fails: -fail-on-destroy)" } else { "" };
        w.line(&format!("**{} object(s) will be deleted or replaced ({replaced} replaced){how}. Review them first.**", gone.len()));
    }
    let deletes: Vec<String> = gone.iter().filter(|g| g.2 == Action::Delete).map(|g| code(&g.1)).collect();
    let replaces: Vec<String> = gone
        .iter()
        .filter(|g| g.2 == Action::Replace)
        .map(|g| if g.3.is_empty() { code(&g.1) } else { format!("{} (forced by {})", code(&g.1), g.3.iter().map(|p| code(p)).collect::<Vec<_>>().join(", ")) })
        .collect();
    let of = |a: Action| -> Vec<String> { plan.changes.iter().filter(|c| c.action == a).map(|c| code(&c.addr.to_string())).collect() };
    w.section(":x: Destroy", &deletes);
    w.section(":recycle: Replace", &replaces);
    w.section(":heavy_plus_sign: Create", &of(Action::Create));
    w.section(":pencil2: Update", &of(Action::Update));
    w.section(":mag: Read", &of(Action::Read));
    let outputs: Vec<String> = plan.outputs.iter().filter(|(_, o)| o.action != Action::NoOp).map(|(k, _)| code(k)).collect();
    w.section("Output changes", &outputs);
}

fn drift_body(w: &mut Writer, d: &DriftReport) {
    if d.has_drift() {
        w.line(&format!("### :warning: contin drift: {} of {} object(s) changed outside contin", d.drifted.len(), d.checked.len()));
    } else {
        w.line(&format!("### :white_check_mark: contin drift: no drift ({} object(s) checked)", d.checked.len()));
    }
    let deleted: Vec<String> = d.drifted.iter().filter(|r| r.deleted).map(|r| code(&r.addr.to_string())).collect();
    let changed: Vec<String> = d
        .drifted
        .iter()
        .filter(|r| !r.deleted)
        .map(|r| format!("{}: {}", code(&r.addr.to_string()), text(&attribute_list(&r.attributes))))
        .collect();
    w.section(":x: Deleted outside contin", &deleted);
    w.section(":pencil2: Changed outside contin", &changed);
}

fn findings(w: &mut Writer, report: &Report<'_>) {
    let all = report.findings();
    let pick = |keep: &dyn Fn(&super::Finding) -> bool| -> Vec<String> {
        all.iter()
            .filter(|f| keep(f))
            .map(|f| {
                let at = f.position.as_ref().map(|p| format!("{} ", code(&format!("{}:{}", p.file, p.line)))).unwrap_or_default();
                let detail = if f.detail.is_empty() { String::new() } else { format!(": {}", text(f.detail.lines().next().unwrap_or(""))) };
                format!("{at}**{}**{detail}", text(&f.title))
            })
            .collect()
    };
    w.section("Errors", &pick(&|f| f.level == Level::Error && f.rule != Rule::Destroy && f.rule != Rule::Drift));
    if matches!(report.subject, Subject::Plan(_)) {
        w.section("Drift since the last apply", &pick(&|f| f.rule == Rule::Drift));
    }
    w.section("Unreachable (kept as recorded)", &pick(&|f| f.rule == Rule::Unreachable));
    w.section("Warnings", &pick(&|f| f.rule == Rule::Warning));
}
