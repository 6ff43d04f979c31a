//! View models derived from engine data: the plan tree (per-attribute
//! diffs with secrets and unknowns masked), the live apply table and the
//! dependency graph. Built when data arrives, never while drawing.

use contin_executor::ApplyEvent;
use contin_planner::{Action, ChangeReason, Plan, ResourceChange};
use contin_types::value::{path_to_string, PathStep};
use contin_types::Value;
use std::collections::{BTreeMap, HashMap};

/// Shown instead of any sensitive value.
pub const SENSITIVE: &str = "(sensitive value)";
/// Shown for a value only known after apply.
pub const UNKNOWN: &str = "(known after apply)";
/// Longest rendered value (characters); longer ones end with "…".
pub const MAX_VALUE_CHARS: usize = 512;
/// Deepest nesting rendered; deeper parts show as "…".
pub const MAX_VALUE_DEPTH: usize = 16;

/// Renders a value on one line: sensitive parts as "(sensitive value)",
/// unknown parts as "(known after apply)", bounded in length and depth.
pub fn show_value(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, 0, &mut out);
    if out.chars().count() > MAX_VALUE_CHARS {
        out = out.chars().take(MAX_VALUE_CHARS).collect::<String>() + "…";
    }
    out
}

fn write_value(v: &Value, depth: usize, out: &mut String) {
    if out.len() > MAX_VALUE_CHARS * 4 {
        return;
    }
    if depth > MAX_VALUE_DEPTH {
        out.push('…');
        return;
    }
    match v {
        Value::Sensitive(_) => out.push_str(SENSITIVE),
        Value::Unknown => out.push_str(UNKNOWN),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        Value::List(items) | Value::Set(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, depth + 1, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(" = ");
                write_value(item, depth + 1, out);
            }
            out.push('}');
        }
    }
}

/// One attribute line of an expanded change.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrDiff {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Changing this attribute forces the replacement.
    pub forces_replace: bool,
}

/// One resource change in the plan view.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanEntry {
    pub addr: String,
    pub action: Action,
    /// Why a replace/delete happens, in words.
    pub reason: Option<String>,
    pub attrs: Vec<AttrDiff>,
    pub depends_on: Vec<String>,
}

/// The action groups in the order the view shows them.
pub const GROUPS: [Action; 5] = [Action::Create, Action::Update, Action::Replace, Action::Delete, Action::Read];

pub fn action_symbol(a: Action) -> &'static str {
    match a {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Read => "<=",
        Action::NoOp => " ",
    }
}

pub fn action_word(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete => "destroy",
        Action::Read => "read",
        Action::NoOp => "no-op",
    }
}

fn reason_text(c: &ResourceChange) -> Option<String> {
    let paths: Vec<String> = c.replace_paths.iter().map(|p| path_to_string(p)).collect();
    match &c.reason {
        Some(ChangeReason::CannotUpdate) if !paths.is_empty() => Some(format!("replace forced by a change to {}", paths.join(", "))),
        Some(ChangeReason::CannotUpdate) => Some("an attribute that cannot be updated in place changed".into()),
        Some(ChangeReason::Tainted) => Some("the object is tainted (a failed or interrupted create)".into()),
        Some(ChangeReason::NoResourceConfig) => Some("the resource is no longer in the configuration".into()),
        Some(ChangeReason::CountIndex) => Some("count no longer includes this index".into()),
        Some(ChangeReason::EachKey) => Some("for_each no longer includes this key".into()),
        Some(ChangeReason::DeletedOutOfBand) => Some("the object was deleted outside contin".into()),
        Some(ChangeReason::DestroyMode) => Some("destroy mode".into()),
        Some(ChangeReason::ReplaceTriggered) => Some("a replace_triggered_by reference changed".into()),
        None if c.action == Action::Replace && !paths.is_empty() => Some(format!("replace forced by a change to {}", paths.join(", "))),
        None => None,
    }
}

fn top_attrs(v: Option<&Value>) -> BTreeMap<&str, &Value> {
    match v.map(Value::unmarked) {
        Some(Value::Map(m)) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => BTreeMap::new(),
    }
}

/// Per top-level attribute: old -> new (only the ones that differ; every
/// known one for a create or delete). A sensitive side shows as
/// "(sensitive value)"; a wholly sensitive object hides every attribute.
fn attr_diffs(c: &ResourceChange) -> Vec<AttrDiff> {
    let whole_secret = |v: Option<&Value>| v.is_some_and(Value::is_sensitive);
    if whole_secret(c.before.as_ref()) || whole_secret(c.after.as_ref()) {
        return vec![AttrDiff {
            name: "(object)".into(),
            old: c.before.as_ref().map(|_| SENSITIVE.into()),
            new: c.after.as_ref().map(|_| SENSITIVE.into()),
            forces_replace: false,
        }];
    }
    let (before, after) = (top_attrs(c.before.as_ref()), top_attrs(c.after.as_ref()));
    let mut names: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    let forcing: Vec<&str> = c
        .replace_paths
        .iter()
        .filter_map(|p| match p.first() {
            Some(PathStep::Key(k)) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for name in names {
        let (old, new) = (before.get(name).copied(), after.get(name).copied());
        let null = |v: Option<&Value>| v.is_none_or(|v| v.unmarked().is_null());
        if null(old) && null(new) {
            continue;
        }
        if c.action != Action::Create && c.action != Action::Delete && old == new {
            continue;
        }
        out.push(AttrDiff {
            name: name.to_string(),
            old: (!null(old)).then(|| old.map(show_value).unwrap_or_default()),
            new: (!null(new)).then(|| new.map(show_value).unwrap_or_default()),
            forces_replace: forcing.contains(&name),
        });
    }
    out
}

impl PlanEntry {
    pub fn from_change(c: &ResourceChange, addr: String) -> PlanEntry {
        PlanEntry {
            addr,
            action: c.action,
            reason: reason_text(c),
            attrs: attr_diffs(c),
            depends_on: c.depends_on.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The plan as the Plan view shows it: entries grouped by action.
#[derive(Clone, Debug, Default)]
pub struct PlanModel {
    pub entries: Vec<PlanEntry>,
    /// Entry indexes per group, in `GROUPS` order.
    pub groups: Vec<(Action, Vec<usize>)>,
    pub output_changes: usize,
    pub unreachable: Vec<String>,
}

impl PlanModel {
    pub fn from_plan(plan: &Plan) -> PlanModel {
        let mut entries: Vec<PlanEntry> = plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| PlanEntry::from_change(c, c.addr.to_string()))
            .collect();
        entries.extend(plan.deposed.iter().map(|d| PlanEntry::from_change(&d.change, d.display_addr())));
        let groups = GROUPS
            .iter()
            .map(|&g| (g, entries.iter().enumerate().filter(|(_, e)| e.action == g).map(|(i, _)| i).collect::<Vec<_>>()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        PlanModel {
            entries,
            groups,
            output_changes: plan.outputs.values().filter(|o| o.action != Action::NoOp).count(),
            unreachable: plan.unreachable.iter().map(|u| format!("{}: {}", u.addr, u.reason)).collect(),
        }
    }

    pub fn count(&self, a: Action) -> usize {
        self.groups.iter().find(|(g, _)| *g == a).map_or(0, |(_, v)| v.len())
    }

    /// "Plan: 1 to add, 2 to change, 1 to replace, 3 to destroy."
    pub fn title(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to replace, {} to destroy",
            self.count(Action::Create),
            self.count(Action::Update),
            self.count(Action::Replace),
            self.count(Action::Delete)
        )
    }
}

/// Where one change of a running apply is.
#[derive(Clone, Debug, PartialEq)]
pub enum RowStatus {
    Pending,
    Running { since_ms: u64 },
    Done { took_ms: u64 },
    Failed { error: String, took_ms: u64 },
    Skipped { reason: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApplyRow {
    pub addr: String,
    pub action: Action,
    pub status: RowStatus,
    pub depends_on: Vec<String>,
}

/// The live apply: one row per change, in the order the view shows them
/// (running first, so they stay in view; then failed, pending, skipped, done).
#[derive(Clone, Debug, Default)]
pub struct ApplyModel {
    pub rows: Vec<ApplyRow>,
    index: HashMap<String, usize>,
    pub order: Vec<usize>,
    pub started_ms: Option<u64>,
    pub finished: bool,
    pub cancelling: bool,
    /// Estimated remaining milliseconds (None until something finished).
    pub eta_ms: Option<u64>,
    /// The longest chain of unfinished changes, dependencies first.
    pub critical_path: Vec<String>,
    pub checkpoints: u64,
    dirty: bool,
}

impl ApplyModel {
    /// Rows for every change of `plan`, all pending.
    pub fn from_plan(plan: &Plan) -> ApplyModel {
        let mut m = ApplyModel::default();
        m.merge_plan(plan);
        m.refresh(0);
        m
    }

    /// Adds the plan's changes that have no row yet (pending) and their
    /// dependencies; rows that events already created keep their status
    /// (events and the plan arrive on different channels).
    pub fn merge_plan(&mut self, plan: &Plan) {
        let changes = plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (c.addr.to_string(), c.action, &c.depends_on));
        let deposed = plan.deposed.iter().map(|d| (d.display_addr(), Action::Delete, &d.change.depends_on));
        for (addr, action, deps) in changes.chain(deposed) {
            let i = self.push(addr, action, Vec::new());
            if self.rows[i].depends_on.is_empty() {
                self.rows[i].depends_on = deps.iter().map(ToString::to_string).collect();
            }
        }
        self.dirty = true;
    }

    fn push(&mut self, addr: String, action: Action, depends_on: Vec<String>) -> usize {
        if let Some(&i) = self.index.get(&addr) {
            return i;
        }
        self.index.insert(addr.clone(), self.rows.len());
        self.rows.push(ApplyRow {
            addr,
            action,
            status: RowStatus::Pending,
            depends_on,
        });
        self.rows.len() - 1
    }

    pub fn total(&self) -> usize {
        self.rows.len()
    }
    pub fn done(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.status, RowStatus::Done { .. })).count()
    }
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.status, RowStatus::Failed { .. })).count()
    }
    pub fn running(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.status, RowStatus::Running { .. })).count()
    }
    pub fn skipped(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.status, RowStatus::Skipped { .. })).count()
    }

    /// Applies one executor event at `now_ms`.
    pub fn on_event(&mut self, e: &ApplyEvent, now_ms: u64) {
        self.started_ms.get_or_insert(now_ms);
        self.dirty = true;
        match e {
            ApplyEvent::Started { addr, action } => {
                let i = self.push(addr.to_string(), *action, Vec::new());
                if !matches!(self.rows[i].status, RowStatus::Failed { .. }) {
                    self.rows[i].status = RowStatus::Running { since_ms: now_ms };
                }
            }
            ApplyEvent::Finished { addr, action, took } => {
                let i = self.push(addr.to_string(), *action, Vec::new());
                // A failed row never turns "done" (a deposed object's delete
                // of the same address may finish after its replace failed).
                if !matches!(self.rows[i].status, RowStatus::Failed { .. }) {
                    self.rows[i].status = RowStatus::Done {
                        took_ms: took.as_millis() as u64,
                    };
                }
            }
            ApplyEvent::Failed { addr, action, error } => {
                let i = self.push(addr.to_string(), *action, Vec::new());
                let took_ms = match self.rows[i].status {
                    RowStatus::Running { since_ms } => now_ms.saturating_sub(since_ms),
                    _ => 0,
                };
                self.rows[i].status = RowStatus::Failed { error: error.clone(), took_ms };
            }
            ApplyEvent::Skipped { addr, action, reason } => {
                let i = self.push(addr.to_string(), *action, Vec::new());
                if matches!(self.rows[i].status, RowStatus::Pending) {
                    self.rows[i].status = RowStatus::Skipped { reason: reason.clone() };
                }
            }
            ApplyEvent::Checkpointed { .. } => self.checkpoints += 1,
            ApplyEvent::Cancelling => self.cancelling = true,
            // Provisioner output is for the line reporter; rows show status only.
            ApplyEvent::ProvisionerOutput { .. } => {}
        }
    }

    /// Recomputes the order, ETA and critical path after events (not per frame).
    pub fn refresh(&mut self, now_ms: u64) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let rank = |s: &RowStatus| match s {
            RowStatus::Running { .. } => 0,
            RowStatus::Failed { .. } => 1,
            RowStatus::Pending => 2,
            RowStatus::Skipped { .. } => 3,
            RowStatus::Done { .. } => 4,
        };
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by_key(|&i| {
            (
                rank(&self.rows[i].status),
                match self.rows[i].status {
                    RowStatus::Running { since_ms } => since_ms,
                    _ => 0,
                },
            )
        });
        self.order = order;
        let took: Vec<u64> = self
            .rows
            .iter()
            .filter_map(|r| match r.status {
                RowStatus::Done { took_ms } | RowStatus::Failed { took_ms, .. } => Some(took_ms),
                _ => None,
            })
            .collect();
        let avg = (!took.is_empty()).then(|| took.iter().sum::<u64>() / took.len() as u64);
        let remaining = self
            .rows
            .iter()
            .filter(|r| matches!(r.status, RowStatus::Pending | RowStatus::Running { .. }))
            .count() as u64;
        let parallel = (self.running() as u64).max(1);
        self.eta_ms = avg.map(|a| a.max(1) * remaining / parallel);
        self.critical_path = self.longest_unfinished_chain(avg.unwrap_or(1).max(1), now_ms);
    }

    /// Longest chain (by estimated remaining time) through unfinished rows.
    fn longest_unfinished_chain(&self, avg_ms: u64, now_ms: u64) -> Vec<String> {
        let open = |i: usize| matches!(self.rows[i].status, RowStatus::Pending | RowStatus::Running { .. });
        let cost = |i: usize| match self.rows[i].status {
            RowStatus::Running { since_ms } => avg_ms.saturating_sub(now_ms.saturating_sub(since_ms)).max(1),
            _ => avg_ms,
        };
        // Iterative DFS with memo: best[i] = cost(i) + max best[dep] over open deps.
        let n = self.rows.len();
        let mut best: Vec<Option<(u64, Option<usize>)>> = vec![None; n];
        let mut on_stack = vec![false; n];
        for start in (0..n).filter(|&i| open(i)) {
            let mut stack = vec![(start, false)];
            while let Some((i, expanded)) = stack.pop() {
                if best[i].is_some() {
                    continue;
                }
                let deps: Vec<usize> = self.rows[i]
                    .depends_on
                    .iter()
                    .filter_map(|d| self.index.get(d).copied())
                    .filter(|&d| open(d))
                    .collect();
                if !expanded {
                    on_stack[i] = true;
                    stack.push((i, true));
                    for d in deps {
                        if best[d].is_none() && !on_stack[d] {
                            stack.push((d, false));
                        }
                    }
                } else {
                    on_stack[i] = false;
                    let via = deps.into_iter().filter_map(|d| best[d].map(|(c, _)| (c, d))).max();
                    best[i] = Some((cost(i) + via.map_or(0, |(c, _)| c), via.map(|(_, d)| d)));
                }
            }
        }
        let Some(mut cur) = (0..n)
            .filter_map(|i| best[i].map(|(c, _)| (c, std::cmp::Reverse(i))))
            .max()
            .map(|(_, std::cmp::Reverse(i))| i)
        else {
            return Vec::new();
        };
        let mut path = vec![self.rows[cur].addr.clone()];
        while let Some((_, Some(next))) = best[cur] {
            if path.len() > n {
                break;
            }
            path.push(self.rows[next].addr.clone());
            cur = next;
        }
        path.reverse();
        path
    }
}

/// Dependencies between resources, both ways, for the Graph view.
#[derive(Clone, Debug, Default)]
pub struct GraphModel {
    pub nodes: Vec<String>,
    pub deps: BTreeMap<String, Vec<String>>,
    pub dependants: BTreeMap<String, Vec<String>>,
}

impl GraphModel {
    pub fn from_edges(edges: impl IntoIterator<Item = (String, Vec<String>)>) -> GraphModel {
        let mut g = GraphModel::default();
        for (node, deps) in edges {
            for d in &deps {
                g.dependants.entry(d.clone()).or_default().push(node.clone());
            }
            g.deps.entry(node).or_default().extend(deps);
        }
        let mut nodes: Vec<String> = g.deps.keys().chain(g.dependants.keys()).cloned().collect();
        nodes.sort();
        nodes.dedup();
        for v in g.deps.values_mut().chain(g.dependants.values_mut()) {
            v.sort();
            v.dedup();
        }
        g.nodes = nodes;
        g
    }

    pub fn from_plan(plan: &Plan) -> GraphModel {
        GraphModel::from_edges(
            plan.changes
                .iter()
                .map(|c| (c.addr.to_string(), c.depends_on.iter().map(ToString::to_string).collect())),
        )
    }

    pub fn from_state(state: &contin_state::State) -> GraphModel {
        GraphModel::from_edges(
            state
                .resources
                .values()
                .map(|r| (r.addr.to_string(), r.dependencies.iter().map(ToString::to_string).collect())),
        )
    }

    /// Nodes within `depth` steps along `dir` from `start` (breadth first,
    /// each once), with their distance.
    pub fn reach(&self, start: &str, upstream: bool, depth: usize, limit: usize) -> Vec<(usize, String)> {
        let edges = if upstream { &self.deps } else { &self.dependants };
        let mut seen = std::collections::HashSet::from([start.to_string()]);
        let mut out = Vec::new();
        let mut frontier = vec![start.to_string()];
        for d in 1..=depth {
            let mut next = Vec::new();
            for n in &frontier {
                for m in edges.get(n).into_iter().flatten() {
                    if seen.insert(m.clone()) {
                        if out.len() >= limit {
                            return out;
                        }
                        out.push((d, m.clone()));
                        next.push(m.clone());
                    }
                }
            }
            frontier = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_types::ResourceAddr;
    use std::time::Duration;

    fn addr(s: &str) -> ResourceAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn values_mask_secrets_and_unknowns() {
        let v = Value::map([
            ("a", Value::string("x")),
            ("pw", Value::string("MARKER-S3CR3T").mark_sensitive()),
            ("id", Value::Unknown),
        ]);
        let s = show_value(&v);
        assert_eq!(s, r#"{a = "x", id = (known after apply), pw = (sensitive value)}"#);
    }

    #[test]
    fn deep_and_long_values_are_bounded() {
        let mut v = Value::string("x".repeat(10_000));
        for _ in 0..10_000 {
            v = Value::List(vec![v]);
        }
        let s = show_value(&v);
        assert!(s.chars().count() <= MAX_VALUE_CHARS + 1, "{}", s.len());
    }

    #[test]
    fn failed_rows_never_turn_done() {
        let mut m = ApplyModel::default();
        let a = addr("fake_resource.a");
        m.on_event(
            &ApplyEvent::Started {
                addr: a.clone(),
                action: Action::Replace,
            },
            0,
        );
        m.on_event(
            &ApplyEvent::Failed {
                addr: a.clone(),
                action: Action::Replace,
                error: "boom".into(),
            },
            5,
        );
        m.on_event(
            &ApplyEvent::Finished {
                addr: a.clone(),
                action: Action::Delete,
                took: Duration::from_millis(1),
            },
            6,
        );
        m.on_event(
            &ApplyEvent::Started {
                addr: a,
                action: Action::Delete,
            },
            7,
        );
        assert!(matches!(m.rows[0].status, RowStatus::Failed { .. }), "{:?}", m.rows[0].status);
        assert_eq!(m.done(), 0);
    }

    #[test]
    fn critical_path_follows_the_longest_open_chain() {
        let mut m = ApplyModel::default();
        m.push("a".into(), Action::Create, vec![]);
        m.push("b".into(), Action::Create, vec!["a".into()]);
        m.push("c".into(), Action::Create, vec!["b".into()]);
        m.push("x".into(), Action::Create, vec![]);
        m.dirty = true;
        m.refresh(0);
        assert_eq!(m.critical_path, ["a", "b", "c"]);
    }

    #[test]
    fn dependency_cycles_do_not_hang_the_critical_path() {
        let mut m = ApplyModel::default();
        m.push("a".into(), Action::Create, vec!["b".into()]);
        m.push("b".into(), Action::Create, vec!["a".into()]);
        m.dirty = true;
        m.refresh(0);
        assert!(m.critical_path.len() <= 2);
    }

    #[test]
    fn graph_reach_both_ways() {
        let g = GraphModel::from_edges([("b".to_string(), vec!["a".to_string()]), ("c".to_string(), vec!["b".to_string()])]);
        assert_eq!(g.reach("c", true, 2, 100), [(1, "b".to_string()), (2, "a".to_string())]);
        assert_eq!(g.reach("a", false, 1, 100), [(1, "b".to_string())]);
    }
}
