//! The dashboard's state and everything that changes it: engine events,
//! fetched data, keys and ticks. Nothing here draws or does IO; keys return
//! an [`Effect`] the run loop carries out.

use crate::fleet::{FleetData, FleetModel, FleetNode, FleetSnapshot};
use crate::model::{ApplyModel, GraphModel, PlanModel, RowStatus};
use contin_engine::EngineEvent;
use contin_planner::{Action, Plan};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::HashSet;

/// Longest filter accepted (characters).
pub const MAX_FILTER_CHARS: usize = 256;
/// Compiled size limit of a filter regex (bytes).
pub const MAX_FILTER_REGEX_BYTES: usize = 1 << 20;
/// Warnings kept for the status line.
pub const MAX_WARNINGS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Apply,
    Plan,
    Fleet,
    Graph,
}

impl View {
    pub const ALL: [View; 4] = [View::Apply, View::Plan, View::Fleet, View::Graph];
    pub fn name(self) -> &'static str {
        match self {
            View::Apply => "apply",
            View::Plan => "plan",
            View::Fleet => "fleet",
            View::Graph => "graph",
        }
    }
    fn idx(self) -> usize {
        self as usize
    }
    /// `:plan`, `:p`, `:sites` …
    pub fn parse(s: &str) -> Option<View> {
        match s {
            "apply" | "a" => Some(View::Apply),
            "plan" | "p" => Some(View::Plan),
            "fleet" | "f" | "sites" | "site" => Some(View::Fleet),
            "graph" | "g" => Some(View::Graph),
            _ => None,
        }
    }
}

/// What the input line is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// After `:`.
    Command(String),
    /// After `/`.
    Filter(String),
}

/// A view filter: a regex, inverted by a leading `!`.
#[derive(Clone, Debug)]
pub struct Filter {
    pub text: String,
    re: regex::Regex,
    invert: bool,
}

impl Filter {
    /// `None` for an empty filter.
    pub fn parse(text: &str) -> Result<Option<Filter>, String> {
        if text.chars().count() > MAX_FILTER_CHARS {
            return Err(format!("filter longer than {MAX_FILTER_CHARS} characters"));
        }
        let (invert, pattern) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if pattern.is_empty() {
            return Ok(None);
        }
        let re = regex::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .size_limit(MAX_FILTER_REGEX_BYTES)
            .build()
            .map_err(|e| format!("bad filter regex: {}", e.to_string().lines().last().unwrap_or("invalid")))?;
        Ok(Some(Filter {
            text: text.to_string(),
            re,
            invert,
        }))
    }
    pub fn matches(&self, s: &str) -> bool {
        self.re.is_match(s) != self.invert
    }
    /// Any of `fields` matches (then inverted by `!`).
    pub fn matches_any(&self, fields: &[&str]) -> bool {
        fields.iter().any(|f| self.re.is_match(f)) != self.invert
    }
}

/// Selection and scroll position of one list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// The offset that keeps `selected` within `height` rows.
    pub fn visible_offset(&self, height: usize) -> usize {
        let h = height.max(1);
        if self.selected < self.offset {
            self.selected
        } else if self.selected >= self.offset + h {
            self.selected + 1 - h
        } else {
            self.offset
        }
    }
}

/// A side effect a key asks for; the run loop performs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    Quit,
    /// Answer to "apply this plan?".
    Approve(bool),
    /// Fetch fleet/state data again now.
    Refresh,
}

/// One row of the Plan view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanRow {
    Group(Action),
    Entry(usize),
    /// Why the change is forced (expanded entries).
    Reason(usize),
    /// Attribute `.1` of entry `.0`.
    Attr(usize, usize),
    /// The entry has no attribute to show.
    NoAttrs(usize),
}

/// The whole dashboard state.
pub struct App {
    pub view: View,
    history: Vec<View>,
    pub mode: Mode,
    pub help: bool,
    pub readonly: bool,
    pub now_ms: u64,
    pub width: u16,
    pub height: u16,
    pub filters: [Option<Filter>; 4],
    pub cursors: [Cursor; 4],
    pub status: Option<String>,
    pub phase: String,
    pub warnings: Vec<String>,
    pub error: Option<String>,

    pub plan: Option<PlanModel>,
    pub collapsed_groups: HashSet<Action>,
    pub expanded: HashSet<usize>,
    pub plan_rows: Vec<PlanRow>,
    pub awaiting_approval: bool,

    pub apply: ApplyModel,
    pub apply_active: bool,
    /// Indexes into `apply.rows`: running ones first, after the filter.
    pub apply_rows: Vec<usize>,
    quit_armed: bool,

    pub fleet: FleetModel,
    pub fleet_rows: Vec<usize>,
    pub fleet_collapsed: HashSet<String>,
    pub fleet_by_disconnected: bool,

    pub graph: GraphModel,
    pub graph_rows: Vec<usize>,
}

impl App {
    pub fn new(view: View, readonly: bool, now_ms: u64) -> App {
        App {
            view,
            history: Vec::new(),
            mode: Mode::Normal,
            help: false,
            readonly,
            now_ms,
            width: 80,
            height: 24,
            filters: Default::default(),
            cursors: [Cursor::default(); 4],
            status: None,
            phase: String::new(),
            warnings: Vec::new(),
            error: None,
            plan: None,
            collapsed_groups: HashSet::new(),
            expanded: HashSet::new(),
            plan_rows: Vec::new(),
            awaiting_approval: false,
            apply: ApplyModel::default(),
            apply_active: false,
            apply_rows: Vec::new(),
            quit_armed: false,
            fleet: FleetModel::default(),
            fleet_rows: Vec::new(),
            fleet_collapsed: HashSet::new(),
            fleet_by_disconnected: false,
            graph: GraphModel::default(),
            graph_rows: Vec::new(),
        }
    }

    // ---- data in ------------------------------------------------------

    /// A plan to show (and the graph edges it carries).
    pub fn set_plan(&mut self, plan: &Plan) {
        self.plan = Some(PlanModel::from_plan(plan));
        self.expanded.clear();
        if self.apply_active {
            self.apply.merge_plan(plan);
        } else {
            self.apply = ApplyModel::from_plan(plan);
        }
        self.graph = GraphModel::from_plan(plan);
        self.rebuild_all();
    }

    /// The engine asks for approval of this plan.
    pub fn review(&mut self, plan: &Plan) {
        self.set_plan(plan);
        self.awaiting_approval = true;
        self.switch(View::Plan);
    }

    pub fn set_graph(&mut self, graph: GraphModel) {
        if self.plan.is_none() {
            self.graph = graph;
            self.rebuild(View::Graph);
        }
    }

    pub fn fleet_fetched(&mut self, result: Result<Vec<FleetNode>, String>) {
        self.fleet_data(result.map(FleetData::from));
    }

    /// A fleet fetch arrived: fresh data replaces the old (with the agent
    /// part's own age when the mailbox could not be read); a failed fetch
    /// keeps the old data on screen.
    pub fn fleet_data(&mut self, result: Result<FleetData, String>) {
        match result {
            Ok(data) => {
                self.fleet.ingest(
                    FleetSnapshot {
                        nodes: data.nodes,
                        fetched_at_ms: self.now_ms,
                    },
                    self.now_ms,
                );
                self.fleet.agents_error = data.agents_error;
                self.fleet.agents_as_of_ms = data.agents_as_of_ms;
            }
            Err(e) => self.fleet.fetch_failed(e),
        }
        self.rebuild(View::Fleet);
    }

    pub fn on_engine(&mut self, event: EngineEvent) {
        // Once the apply returned, its summary stays in the phase slot.
        let phase_before = self.apply.finished.then(|| self.phase.clone());
        self.engine_event(event);
        if let Some(p) = phase_before {
            self.phase = p;
        }
    }

    fn engine_event(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Apply(e) => {
                if !self.apply_active {
                    self.apply_active = true;
                    self.awaiting_approval = false;
                    if self.view == View::Plan {
                        self.switch(View::Apply);
                    }
                }
                self.apply.on_event(&e, self.now_ms);
                self.phase = if self.apply.cancelling { "cancelling".into() } else { "applying".into() };
            }
            EngineEvent::Loading { .. } => self.phase = "loading".into(),
            EngineEvent::Locking { operation, backend } => self.phase = format!("locking state for {operation} ({backend})"),
            EngineEvent::Locked { .. } => self.phase = "state locked".into(),
            EngineEvent::Unlocked { .. } => self.phase = "state unlocked".into(),
            EngineEvent::RefreshStarted { total } => self.phase = format!("refreshing {total} object(s)"),
            EngineEvent::Refreshed { .. } => {}
            EngineEvent::Importing { addr, .. } => self.phase = format!("importing {addr}"),
            EngineEvent::Planning => self.phase = "planning".into(),
            EngineEvent::FirstStateWritten { .. } => {}
            EngineEvent::Warnings { diags, .. } => self.warn(format!("{} configuration warning(s)", diags.0.len())),
            EngineEvent::UnlockFailed { id, error } => self.warn(format!(
                "releasing the state lock failed: {error}; remove it with: contin force-unlock -force {id}"
            )),
            EngineEvent::JournalRecovered { changes, .. } => {
                self.warn(format!("an interrupted apply left {changes} recorded change(s); they are now in the state"))
            }
            EngineEvent::ErroredStateWritten { path } => self.warn(format!("the final state was written to {}", path.display())),
            EngineEvent::Warning(w) => self.warn(w),
            // Shown in the fleet view once it is refreshed; nothing to warn about.
            EngineEvent::EdgeDocumentWritten { .. } => {}
        }
    }

    /// The apply ended (the engine returned).
    pub fn apply_finished(&mut self, summary: String) {
        self.apply.finished = true;
        self.apply_active = true;
        self.awaiting_approval = false;
        self.phase = summary;
        self.quit_armed = false;
    }

    pub fn fail(&mut self, error: String) {
        self.awaiting_approval = false;
        self.error = Some(error);
    }

    fn warn(&mut self, w: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w.clone());
        }
        self.status = Some(w);
    }

    /// Time passes: recompute what depends on it (not per frame).
    pub fn tick(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        self.apply.refresh(now_ms);
        self.rebuild(View::Apply);
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        for v in View::ALL {
            self.scroll_into_view(v);
        }
    }

    /// Is an apply still working?
    pub fn apply_running(&self) -> bool {
        self.apply_active && !self.apply.finished
    }

    // ---- derived rows --------------------------------------------------

    fn filter(&self, v: View) -> Option<&Filter> {
        self.filters[v.idx()].as_ref()
    }

    pub fn rebuild_all(&mut self) {
        for v in View::ALL {
            self.rebuild(v);
        }
    }

    /// Recomputes the rows of `v` after data, filter or expansion changed.
    pub fn rebuild(&mut self, v: View) {
        match v {
            View::Plan => {
                let mut rows = Vec::new();
                if let Some(plan) = &self.plan {
                    let f = self.filter(View::Plan);
                    for (action, entries) in &plan.groups {
                        let shown: Vec<usize> = entries
                            .iter()
                            .copied()
                            .filter(|&i| f.is_none_or(|f| f.matches(&plan.entries[i].addr)))
                            .collect();
                        if shown.is_empty() {
                            continue;
                        }
                        rows.push(PlanRow::Group(*action));
                        if self.collapsed_groups.contains(action) {
                            continue;
                        }
                        for i in shown {
                            rows.push(PlanRow::Entry(i));
                            if self.expanded.contains(&i) {
                                let e = &plan.entries[i];
                                if e.reason.is_some() {
                                    rows.push(PlanRow::Reason(i));
                                }
                                if e.attrs.is_empty() {
                                    rows.push(PlanRow::NoAttrs(i));
                                }
                                rows.extend((0..e.attrs.len()).map(|a| PlanRow::Attr(i, a)));
                            }
                        }
                    }
                }
                self.plan_rows = rows;
            }
            View::Apply => {
                self.apply.refresh(self.now_ms);
                let f = self.filters[View::Apply.idx()].as_ref();
                self.apply_rows = self
                    .apply
                    .order
                    .iter()
                    .copied()
                    .filter(|&i| f.is_none_or(|f| f.matches(&self.apply.rows[i].addr)))
                    .collect();
            }
            View::Fleet => {
                let order = self.fleet.order(self.fleet_by_disconnected);
                let f = self.filters[View::Fleet.idx()].as_ref();
                let mut rows = Vec::with_capacity(order.len());
                let mut hidden_depth: Option<usize> = None;
                for i in order {
                    let r = &self.fleet.rows[i];
                    if let Some(d) = hidden_depth {
                        if r.depth > d {
                            continue;
                        }
                        hidden_depth = None;
                    }
                    if f.is_some_and(|f| !f.matches_any(&[&r.node.name, r.node.kind.label(), r.rolled.label()])) {
                        continue;
                    }
                    rows.push(i);
                    if f.is_none() && self.fleet_collapsed.contains(&r.node.id) {
                        hidden_depth = Some(r.depth);
                    }
                }
                self.fleet_rows = rows;
            }
            View::Graph => {
                let f = self.filters[View::Graph.idx()].as_ref();
                self.graph_rows = (0..self.graph.nodes.len())
                    .filter(|&i| f.is_none_or(|f| f.matches(&self.graph.nodes[i])))
                    .collect();
            }
        }
        let n = self.row_count(v);
        let c = &mut self.cursors[v.idx()];
        if c.selected >= n {
            c.selected = n.saturating_sub(1);
        }
        self.scroll_into_view(v);
    }

    pub fn row_count(&self, v: View) -> usize {
        match v {
            View::Plan => self.plan_rows.len(),
            View::Apply => self.apply_rows.len(),
            View::Fleet => self.fleet_rows.len(),
            View::Graph => self.graph_rows.len(),
        }
    }

    pub fn cursor(&self, v: View) -> Cursor {
        self.cursors[v.idx()]
    }

    /// Rows the list of view `v` can show (the same layout `draw` uses).
    pub fn list_height(&self, v: View) -> usize {
        crate::draw::list_height(self, v)
    }

    fn scroll_into_view(&mut self, v: View) {
        let h = self.list_height(v);
        let c = &mut self.cursors[v.idx()];
        c.offset = c.visible_offset(h);
    }

    /// The resource address under the cursor in the Plan or Apply view.
    pub fn selected_address(&self) -> Option<String> {
        match self.view {
            View::Plan => {
                let plan = self.plan.as_ref()?;
                match self.plan_rows.get(self.cursor(View::Plan).selected)? {
                    PlanRow::Entry(i) | PlanRow::Reason(i) | PlanRow::Attr(i, _) | PlanRow::NoAttrs(i) => Some(plan.entries[*i].addr.clone()),
                    PlanRow::Group(_) => None,
                }
            }
            View::Apply => self.apply_rows.get(self.cursor(View::Apply).selected).map(|&i| self.apply.rows[i].addr.clone()),
            View::Graph => self.graph_rows.get(self.cursor(View::Graph).selected).map(|&i| self.graph.nodes[i].clone()),
            View::Fleet => None,
        }
    }

    // ---- navigation ----------------------------------------------------

    /// Shows `v`, remembering the current view for Esc; the Graph view
    /// opens on the resource selected in the view we come from.
    pub fn switch(&mut self, v: View) {
        if v == self.view {
            return;
        }
        if v == View::Graph {
            if let Some(addr) = self.selected_address() {
                if let Some(pos) = self.graph_rows.iter().position(|&i| self.graph.nodes[i] == addr) {
                    self.cursors[View::Graph.idx()].selected = pos;
                }
            }
        }
        self.history.push(self.view);
        if self.history.len() > 64 {
            self.history.remove(0);
        }
        self.view = v;
        self.help = false;
        self.scroll_into_view(v);
    }

    fn back(&mut self) {
        if self.help {
            self.help = false;
        } else if self.filters[self.view.idx()].is_some() {
            self.filters[self.view.idx()] = None;
            self.rebuild(self.view);
        } else if let Some(prev) = self.history.pop() {
            self.view = prev;
            self.scroll_into_view(prev);
        }
    }

    fn move_by(&mut self, delta: isize) {
        let v = self.view;
        let n = self.row_count(v);
        let c = &mut self.cursors[v.idx()];
        c.selected = if n == 0 {
            0
        } else {
            (c.selected as isize + delta).clamp(0, n as isize - 1) as usize
        };
        self.scroll_into_view(v);
    }

    fn toggle(&mut self, open: Option<bool>) {
        let sel = self.cursor(self.view).selected;
        match self.view {
            View::Plan => match self.plan_rows.get(sel).copied() {
                Some(PlanRow::Group(a)) => {
                    let collapsed = self.collapsed_groups.contains(&a);
                    if open.unwrap_or(collapsed) {
                        self.collapsed_groups.remove(&a);
                    } else {
                        self.collapsed_groups.insert(a);
                    }
                }
                Some(PlanRow::Entry(i)) => {
                    if open.unwrap_or(!self.expanded.contains(&i)) {
                        self.expanded.insert(i);
                    } else {
                        self.expanded.remove(&i);
                    }
                }
                Some(PlanRow::Reason(i) | PlanRow::Attr(i, _) | PlanRow::NoAttrs(i)) if open != Some(true) => {
                    self.expanded.remove(&i);
                    if let Some(pos) = self.plan_rows.iter().position(|r| *r == PlanRow::Entry(i)) {
                        self.cursors[View::Plan.idx()].selected = pos;
                    }
                }
                _ => {}
            },
            View::Fleet => {
                if let Some(&i) = self.fleet_rows.get(sel) {
                    let id = self.fleet.rows[i].node.id.clone();
                    if self.fleet.rows[i].children.is_empty() {
                        return;
                    }
                    if open.unwrap_or(self.fleet_collapsed.contains(&id)) {
                        self.fleet_collapsed.remove(&id);
                    } else {
                        self.fleet_collapsed.insert(id);
                    }
                }
            }
            View::Graph | View::Apply => {}
        }
        self.rebuild(self.view);
    }

    /// Handles one key; the result is what the run loop must do.
    pub fn on_key(&mut self, key: KeyEvent) -> Effect {
        if key.kind == KeyEventKind::Release {
            return Effect::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.quit();
        }
        match self.mode.clone() {
            Mode::Command(mut text) => {
                match key.code {
                    KeyCode::Esc => self.mode = Mode::Normal,
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        return self.command(text.trim());
                    }
                    KeyCode::Backspace => {
                        if text.pop().is_none() {
                            self.mode = Mode::Normal;
                        } else {
                            self.mode = Mode::Command(text);
                        }
                    }
                    KeyCode::Char(c) if text.chars().count() < 64 => {
                        text.push(c);
                        self.mode = Mode::Command(text);
                    }
                    _ => {}
                }
                Effect::None
            }
            Mode::Filter(mut text) => {
                match key.code {
                    KeyCode::Esc => {
                        self.mode = Mode::Normal;
                        self.filters[self.view.idx()] = None;
                        self.status = None;
                        self.rebuild(self.view);
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Backspace => {
                        text.pop();
                        self.set_filter(&text);
                        self.mode = Mode::Filter(text);
                    }
                    KeyCode::Char(c) if text.chars().count() < MAX_FILTER_CHARS => {
                        text.push(c);
                        self.set_filter(&text);
                        self.mode = Mode::Filter(text);
                    }
                    _ => {}
                }
                Effect::None
            }
            Mode::Normal => self.normal_key(key, ctrl),
        }
    }

    fn set_filter(&mut self, text: &str) {
        match Filter::parse(text) {
            Ok(f) => {
                self.filters[self.view.idx()] = f;
                self.status = None;
                self.cursors[self.view.idx()] = Cursor::default();
                self.rebuild(self.view);
            }
            // Keep the last good filter while the regex is incomplete.
            Err(e) => self.status = Some(e),
        }
    }

    fn command(&mut self, cmd: &str) -> Effect {
        match cmd {
            "q" | "q!" | "quit" | "exit" => self.quit(),
            "" => Effect::None,
            other => match View::parse(other) {
                Some(v) => {
                    self.switch(v);
                    Effect::None
                }
                None => {
                    self.status = Some(format!("unknown command :{other} (views: :plan :apply :fleet :graph; :q quits)"));
                    Effect::None
                }
            },
        }
    }

    fn quit(&mut self) -> Effect {
        if self.apply_running() && !self.quit_armed {
            self.quit_armed = true;
            self.status = Some("an apply is running: press q again to stop it (changes in progress finish first)".into());
            return Effect::None;
        }
        Effect::Quit
    }

    fn normal_key(&mut self, key: KeyEvent, ctrl: bool) -> Effect {
        let page = self.list_height(self.view).max(1) as isize;
        if !matches!(key.code, KeyCode::Char('q')) {
            self.quit_armed = false;
        }
        match key.code {
            KeyCode::Char('q') => return self.quit(),
            KeyCode::Char(':') => self.mode = Mode::Command(String::new()),
            KeyCode::Char('/') => {
                let current = self.filters[self.view.idx()].as_ref().map(|f| f.text.clone()).unwrap_or_default();
                self.mode = Mode::Filter(current);
            }
            KeyCode::Char('?') => self.help = !self.help,
            KeyCode::Esc => self.back(),
            KeyCode::Tab => {
                let next = View::ALL[(self.view.idx() + 1) % View::ALL.len()];
                self.switch(next);
            }
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::Char('f') if ctrl => self.move_by(page),
            KeyCode::Char('b') if ctrl => self.move_by(-page),
            KeyCode::Home | KeyCode::Char('g') => self.move_by(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_by(isize::MAX / 2),
            KeyCode::Enter | KeyCode::Char(' ') => self.toggle(None),
            KeyCode::Right | KeyCode::Char('l') => self.toggle(Some(true)),
            KeyCode::Left | KeyCode::Char('h') => self.toggle(Some(false)),
            KeyCode::Char('s') if self.view == View::Fleet => {
                self.fleet_by_disconnected = !self.fleet_by_disconnected;
                self.rebuild(View::Fleet);
            }
            KeyCode::Char('e') if self.view == View::Apply => {
                let sel = self.cursor(View::Apply).selected;
                let failed = |&(_, &i): &(usize, &usize)| matches!(self.apply.rows[i].status, RowStatus::Failed { .. });
                let next = self
                    .apply_rows
                    .iter()
                    .enumerate()
                    .skip(sel + 1)
                    .find(failed)
                    .or_else(|| self.apply_rows.iter().enumerate().find(failed))
                    .map(|(p, _)| p);
                if let Some(p) = next {
                    self.cursors[View::Apply.idx()].selected = p;
                    self.scroll_into_view(View::Apply);
                }
            }
            KeyCode::Char('r') => return Effect::Refresh,
            KeyCode::Char('y') if self.awaiting_approval && !self.readonly => {
                self.awaiting_approval = false;
                self.phase = "approved".into();
                return Effect::Approve(true);
            }
            KeyCode::Char('n') if self.awaiting_approval => {
                self.awaiting_approval = false;
                self.phase = "declined".into();
                return Effect::Approve(false);
            }
            _ => {}
        }
        Effect::None
    }
}
