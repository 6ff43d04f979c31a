//! Drawing: a pure function of the [`App`] state (no IO, no mutation, no
//! clock reads: time comes from `app.now_ms`). Only the rows that fit on
//! screen are built, so a 10,000-site fleet costs what a screenful costs.

use crate::app::{App, Mode, PlanRow, View};
use crate::fleet::{FleetRow, Health};
use crate::model::{action_symbol, action_word, ApplyRow, RowStatus};
use contin_planner::Action;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

/// Smallest terminal the dashboard draws into; below it a notice is shown.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Screen regions for the current view.
struct Areas {
    top: Rect,
    summary: Rect,
    main: Rect,
    /// The Apply view's error pane.
    errors: Option<Rect>,
    bottom: Rect,
}

fn summary_lines(v: View) -> u16 {
    match v {
        View::Apply => 2,
        _ => 1,
    }
}

fn areas(app: &App, area: Rect) -> Areas {
    let errors = app.view == View::Apply && app.apply.failed() > 0;
    let s = summary_lines(app.view);
    let [top, summary, body, bottom] = Layout::vertical([Constraint::Length(1), Constraint::Length(s), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    if errors {
        let pane = (body.height / 3).clamp(3, 9);
        let [main, err] = Layout::vertical([Constraint::Min(3), Constraint::Length(pane)]).areas(body);
        Areas {
            top,
            summary,
            main,
            errors: Some(err),
            bottom,
        }
    } else {
        Areas {
            top,
            summary,
            main: body,
            errors: None,
            bottom,
        }
    }
}

fn graph_split(main: Rect) -> (Rect, Rect) {
    if main.width >= 100 {
        let [l, r] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(main);
        (l, r)
    } else {
        let [t, b] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(main);
        (t, b)
    }
}

/// Rows the list of `v` shows at the app's terminal size (used by key
/// handling for paging and scrolling, so both agree with the drawing).
pub fn list_height(app: &App, v: View) -> usize {
    let area = Rect::new(0, 0, app.width, app.height);
    // Areas depend on the view being drawn: lay out as if `v` were shown.
    let errors = v == View::Apply && app.apply.failed() > 0;
    let s = summary_lines(v);
    let body = area.height.saturating_sub(2 + s);
    let main = if errors { body.saturating_sub((body / 3).clamp(3, 9)) } else { body };
    let main = if v == View::Graph && area.width < 100 { main / 2 } else { main };
    let header = matches!(v, View::Apply | View::Fleet) as u16;
    main.saturating_sub(2 + header) as usize
}

/// Draws the whole screen for `app`.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small ({}x{}): the dashboard needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let a = areas(app, area);
    top_bar(f, app, a.top);
    match app.view {
        View::Apply => apply_view(f, app, &a),
        View::Plan => plan_view(f, app, &a),
        View::Fleet => fleet_view(f, app, &a),
        View::Graph => graph_view(f, app, &a),
    }
    bottom_line(f, app, a.bottom);
    if app.help {
        help_popup(f, app, area);
    }
}

fn top_bar(f: &mut Frame, app: &App, r: Rect) {
    let mut spans = vec![Span::styled(" contin ", Style::new().bold().reversed())];
    for v in View::ALL {
        let style = if v == app.view {
            Style::new().bold().fg(Color::Cyan).add_modifier(Modifier::UNDERLINED)
        } else {
            Style::new().fg(Color::DarkGray)
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(v.name(), style));
    }
    if app.readonly {
        spans.push(Span::styled(" READONLY", Style::new().fg(Color::Yellow).bold()));
    }
    if !app.phase.is_empty() {
        spans.push(Span::raw(" │ "));
        spans.push(Span::styled(app.phase.clone(), Style::new().fg(Color::DarkGray)));
    }
    f.render_widget(Line::from(spans), r);
}

fn bottom_line(f: &mut Frame, app: &App, r: Rect) {
    let line = match &app.mode {
        Mode::Command(t) => Line::from(vec![Span::styled(":", Style::new().bold()), Span::raw(t.clone()), Span::raw("▏")]),
        Mode::Filter(t) => {
            let mut spans = vec![Span::styled("/", Style::new().bold()), Span::raw(t.clone()), Span::raw("▏")];
            if let Some(s) = &app.status {
                spans.push(Span::styled(format!("  {s}"), Style::new().fg(Color::Red)));
            }
            Line::from(spans)
        }
        Mode::Normal => match (&app.error, &app.status) {
            (Some(e), _) => Line::styled(format!("error: {e}"), Style::new().fg(Color::Red)),
            (None, Some(s)) => Line::styled(s.clone(), Style::new().fg(Color::Yellow)),
            (None, None) if app.awaiting_approval => Line::styled(
                "y apply these changes · n cancel · enter expand · ? help",
                Style::new().bold().fg(Color::Yellow),
            ),
            (None, None) => Line::styled("q quit · :view · /filter · enter expand · ? help · esc back", Style::new().fg(Color::DarkGray)),
        },
    };
    f.render_widget(line, r);
}

fn title(app: &App, v: View, text: String) -> Line<'static> {
    let mut t = format!(" {text} ");
    if let Some(fl) = &app.filters[v as usize] {
        t.push_str(&format!("[/{}] ", fl.text));
    }
    Line::from(t).bold()
}

/// The selection mark in the first column (visible without colours too).
fn gutter(selected: bool) -> &'static str {
    if selected {
        "›"
    } else {
        " "
    }
}

fn selected_style() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// `12s`, `3m04s`, `2h05m`, `3d04h`.
pub fn fmt_dur(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

// ---- Apply ---------------------------------------------------------------


fn apply_row(app: &App, row: &ApplyRow, selected: bool) -> Row<'static> {
    let (icon, step, elapsed, style) = match &row.status {
        RowStatus::Pending => ("·".to_string(), "waiting".to_string(), String::new(), Style::new().fg(Color::DarkGray)),
        RowStatus::Running { since_ms } => {
            let frame = SPINNER[((app.now_ms / 100) % SPINNER.len() as u64) as usize];
            (
                frame.to_string(),
                format!("{}…", row.action.progressive()),
                fmt_dur(app.now_ms.saturating_sub(*since_ms)),
                Style::new().fg(Color::Cyan),
            )
        }
        RowStatus::Done { took_ms } => ("✓".to_string(), "done".to_string(), fmt_dur(*took_ms), Style::new().fg(Color::Green)),
        RowStatus::Failed { took_ms, .. } => ("✗".to_string(), "FAILED".to_string(), fmt_dur(*took_ms), Style::new().fg(Color::Red).bold()),
        RowStatus::Skipped { .. } => ("-".to_string(), "skipped".to_string(), String::new(), Style::new().fg(Color::Yellow)),
    };
    let style = if selected { style.add_modifier(Modifier::REVERSED) } else { style };
    Row::new(vec![
        Cell::from(format!("{}{icon}", gutter(selected))),
        Cell::from(format!("{} {}", action_symbol(row.action), row.addr)),
        Cell::from(step),
        Cell::from(elapsed),
    ])
    .style(style)
}

fn apply_view(f: &mut Frame, app: &App, a: &Areas) {
    let m = &app.apply;
    let (total, done, failed, running, skipped) = (m.total(), m.done(), m.failed(), m.running(), m.skipped());
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let elapsed = m.started_ms.map(|s| fmt_dur(app.now_ms.saturating_sub(s))).unwrap_or_else(|| "-".into());
    let eta = if m.finished {
        "finished".to_string()
    } else {
        m.eta_ms.map(|e| format!("ETA {}", fmt_dur(e))).unwrap_or_else(|| "ETA -".into())
    };
    let mut line1 = vec![
        Span::styled(format!("{done}/{total} done ({pct}%)"), Style::new().bold()),
        Span::raw(format!(" · {running} running · ")),
    ];
    line1.push(Span::styled(
        format!("{failed} failed"),
        if failed > 0 { Style::new().fg(Color::Red).bold() } else { Style::new() },
    ));
    line1.push(Span::raw(format!(" · {skipped} skipped · elapsed {elapsed} · {eta}")));
    let crit = if m.critical_path.is_empty() {
        "-".to_string()
    } else {
        m.critical_path.join(" → ")
    };
    let line2 = Line::from(vec![Span::styled("critical path: ", Style::new().fg(Color::DarkGray)), Span::raw(crit)]);
    f.render_widget(Paragraph::new(vec![Line::from(line1), line2]), a.summary);

    let block = Block::default().borders(Borders::ALL).title(title(
        app,
        View::Apply,
        if total == 0 && !app.apply_active {
            "Apply: nothing applied in this session (contin apply -dashboard)".into()
        } else {
            format!("Apply: {total} change(s)")
        },
    ));
    let inner_h = a.main.height.saturating_sub(3) as usize;
    let rows_all = &app.apply_rows;
    let run_n = rows_all.iter().take_while(|&&i| matches!(m.rows[i].status, RowStatus::Running { .. })).count();
    let sel = app.cursor(View::Apply).selected;
    let pin = run_n.min((inner_h / 2).max(1)).min(inner_h);
    let body_h = inner_h - pin;
    let mut visible: Vec<usize> = Vec::with_capacity(inner_h);
    let pin_off = if sel < run_n && sel >= pin { sel + 1 - pin } else { 0 };
    visible.extend(pin_off..pin_off + pin);
    let rest = run_n..rows_all.len();
    let body_sel = sel.saturating_sub(run_n);
    let body_off = if sel >= run_n && body_sel >= body_h { body_sel + 1 - body_h } else { 0 };
    visible.extend(rest.skip(body_off).take(body_h));
    let rows: Vec<Row> = visible.into_iter().map(|p| apply_row(app, &m.rows[rows_all[p]], p == sel)).collect();
    let header = Row::new(vec!["", "resource", "step", "elapsed"]).style(Style::new().bold());
    let table = Table::new(
        rows,
        [Constraint::Length(2), Constraint::Fill(1), Constraint::Length(11), Constraint::Length(7)],
    )
    .header(header)
    .block(block);
    f.render_widget(table, a.main);

    if let Some(r) = a.errors {
        let selected = rows_all.get(sel).map(|&i| &m.rows[i]).filter(|r| matches!(r.status, RowStatus::Failed { .. }));
        let shown = selected.or_else(|| rows_all.iter().map(|&i| &m.rows[i]).find(|r| matches!(r.status, RowStatus::Failed { .. })));
        let (t, body) = match shown {
            Some(ApplyRow {
                addr,
                status: RowStatus::Failed { error, .. },
                ..
            }) => (format!(" error: {addr} (e: next failure) "), error.clone()),
            _ => (" errors ".to_string(), format!("{failed} change(s) failed; select one to see its error")),
        };
        let p = Paragraph::new(body)
            .style(Style::new().fg(Color::Red))
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(t));
        f.render_widget(p, r);
    }
}

// ---- Plan ----------------------------------------------------------------

fn action_color(a: Action) -> Color {
    match a {
        Action::Create => Color::Green,
        Action::Update => Color::Yellow,
        Action::Replace => Color::Magenta,
        Action::Delete => Color::Red,
        Action::Read => Color::Cyan,
        Action::NoOp => Color::Gray,
    }
}

fn plan_line(app: &App, row: PlanRow) -> Line<'static> {
    let Some(plan) = &app.plan else { return Line::raw("") };
    match row {
        PlanRow::Group(act) => {
            let open = if app.collapsed_groups.contains(&act) { "▸" } else { "▾" };
            Line::styled(
                format!("{open} {} {} ({})", action_symbol(act), action_word(act), plan.count(act)),
                Style::new().fg(action_color(act)).bold(),
            )
        }
        PlanRow::Entry(i) => {
            let e = &plan.entries[i];
            let open = if app.expanded.contains(&i) { "▾" } else { "▸" };
            Line::from(vec![
                Span::raw(format!("  {open} ")),
                Span::styled(format!("{} {}", action_symbol(e.action), e.addr), Style::new().fg(action_color(e.action))),
            ])
        }
        PlanRow::Reason(i) => Line::styled(
            format!("      # {}", plan.entries[i].reason.clone().unwrap_or_default()),
            Style::new().fg(Color::Yellow).italic(),
        ),
        PlanRow::NoAttrs(_) => Line::styled("      (no attribute changes)", Style::new().fg(Color::DarkGray)),
        PlanRow::Attr(i, k) => {
            let d = &plan.entries[i].attrs[k];
            let forced = if d.forces_replace { "  # forces replacement" } else { "" };
            let text = match (&d.old, &d.new) {
                (Some(o), Some(n)) => format!("      ~ {}: {o} -> {n}{forced}", d.name),
                (None, Some(n)) => format!("      + {} = {n}{forced}", d.name),
                (Some(o), None) => format!("      - {} = {o} -> null{forced}", d.name),
                (None, None) => format!("      ~ {}{forced}", d.name),
            };
            Line::raw(text)
        }
    }
}

fn plan_view(f: &mut Frame, app: &App, a: &Areas) {
    let summary = match (&app.plan, app.awaiting_approval) {
        (None, _) if app.error.is_some() => Line::styled("no plan: see the error below", Style::new().fg(Color::Red)),
        (None, _) => Line::styled(
            if app.phase.is_empty() {
                "planning…".to_string()
            } else {
                format!("{}…", app.phase)
            },
            Style::new().fg(Color::DarkGray),
        ),
        (Some(_), true) => Line::styled(
            "Apply these changes? y = apply, n = cancel (enter expands a change)",
            Style::new().fg(Color::Yellow).bold(),
        ),
        (Some(p), false) if p.entries.is_empty() => Line::styled("No changes. The infrastructure matches the configuration.", Style::new().fg(Color::Green)),
        (Some(p), false) => {
            let mut s = format!("{} change(s)", p.entries.len());
            if p.output_changes > 0 {
                s.push_str(&format!(" · {} output change(s)", p.output_changes));
            }
            if !p.unreachable.is_empty() {
                s.push_str(&format!(" · {} unreachable (kept as recorded)", p.unreachable.len()));
            }
            Line::raw(s)
        }
    };
    f.render_widget(summary, a.summary);
    let t = app.plan.as_ref().map(|p| p.title()).unwrap_or_else(|| "Plan".into());
    let block = Block::default().borders(Borders::ALL).title(title(app, View::Plan, t));
    let h = a.main.height.saturating_sub(2) as usize;
    let c = app.cursor(View::Plan);
    let off = c.visible_offset(h);
    let lines: Vec<Line> = app
        .plan_rows
        .iter()
        .enumerate()
        .skip(off)
        .take(h)
        .map(|(i, &r)| {
            let mut l = plan_line(app, r);
            l.spans.insert(0, Span::raw(gutter(i == c.selected)));
            if i == c.selected {
                l.patch_style(selected_style())
            } else {
                l
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block), a.main);
}

// ---- Fleet ---------------------------------------------------------------

fn health_style(h: Health) -> Style {
    match h {
        Health::Healthy => Style::new().fg(Color::Green),
        Health::Unknown => Style::new().fg(Color::DarkGray),
        Health::Degraded => Style::new().fg(Color::Yellow),
        Health::Disconnected => Style::new().fg(Color::Red).bold(),
    }
}

/// A text sparkline of the last `width` samples (0-100 %); a missing sample is a blank.
pub fn sparkline(samples: &[Option<f64>], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let start = samples.len().saturating_sub(width);
    samples[start..]
        .iter()
        .map(|s| match s {
            Some(v) if v.is_finite() => BARS[((v.clamp(0.0, 100.0) / 100.0) * 7.0).round() as usize],
            _ => ' ',
        })
        .collect()
}

/// Fleet table layouts by width: narrow (< 80 columns), medium, wide (>= 140).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FleetWidth {
    Narrow,
    Medium,
    Wide,
}

fn fleet_row(app: &App, r: &FleetRow, width: FleetWidth, selected: bool) -> Row<'static> {
    let wide = width == FleetWidth::Wide;
    let n = &r.node;
    let twisty = if r.children.is_empty() {
        " "
    } else if app.fleet_collapsed.contains(&n.id) {
        "▸"
    } else {
        "▾"
    };
    let name = format!("{}{}{twisty} {}", gutter(selected), "  ".repeat(r.depth.min(8)), n.name);
    // The worst of the subtree; `*` when it comes from below (the node itself is better).
    let health = match (r.rolled != n.health, wide) {
        (true, true) => format!("{}* (self {})", r.rolled.label(), n.health.label()),
        (true, false) => format!("{}*", r.rolled.label()),
        (false, _) => n.health.label().to_string(),
    };
    let hb = n
        .last_heartbeat_ms
        .map(|t| format!("{} ago", fmt_dur(app.now_ms.saturating_sub(t))))
        .unwrap_or_else(|| "-".into());
    let disc = match r.own_disconnected_ms {
        Some(u64::MAX) => "never seen".to_string(),
        Some(d) => fmt_dur(d),
        None => String::new(),
    };
    let generation = match (n.acked_generation, n.desired_generation) {
        (None, None) => "-".to_string(),
        (a, d) => format!("{}/{}", a.map_or("-".into(), |x| x.to_string()), d.map_or("-".into(), |x| x.to_string())),
    };
    let mut cells = vec![
        Cell::from(name),
        Cell::from(Span::styled(health, health_style(r.rolled))),
        Cell::from(hb),
        Cell::from(disc),
        Cell::from(generation),
    ];
    if width >= FleetWidth::Medium {
        cells.push(Cell::from(n.workloads.map_or_else(|| "-".to_string(), |(run, want)| format!("{run}/{want}"))));
    }
    if wide {
        cells.insert(1, Cell::from(n.kind.label()));
        cells.push(Cell::from(sparkline(&n.cpu, 12)));
        cells.push(Cell::from(sparkline(&n.mem, 12)));
        cells.push(Cell::from(n.detail.clone()));
    }
    let row = Row::new(cells);
    if selected {
        row.style(selected_style())
    } else {
        row
    }
}

fn fleet_view(f: &mut Frame, app: &App, a: &Areas) {
    let m = &app.fleet;
    let count = |h| m.counts.get(&h).copied().unwrap_or(0);
    let sites: usize = m.counts.values().sum();
    let age = m.fetched_at_ms.map(|t| fmt_dur(app.now_ms.saturating_sub(t)));
    let badge = Style::new().fg(Color::Black).bg(Color::Yellow);
    let mut spans = match (&m.last_error, &age) {
        (Some(e), Some(age)) => vec![Span::styled(format!("⚠ STALE, data {age} old: {e}"), badge), Span::raw(" · ")],
        (Some(e), None) => vec![Span::styled(format!("⚠ no data: {e}"), badge), Span::raw(" · ")],
        _ => Vec::new(),
    };
    // The state was read but the agents' mailbox was not: their part is older.
    if let Some(e) = &m.agents_error {
        let text = match m.agents_as_of_ms {
            Some(t) => format!("⚠ agent data {} old: {e}", fmt_dur(app.now_ms.saturating_sub(t))),
            None => format!("⚠ agent status unknown: {e}"),
        };
        spans.extend([Span::styled(text, badge), Span::raw(" · ")]);
    }
    spans.extend([
        Span::styled(format!("{sites} site(s)"), Style::new().bold()),
        Span::raw(" · "),
        Span::styled(format!("{} healthy", count(Health::Healthy)), health_style(Health::Healthy)),
        Span::raw(" · "),
        Span::styled(format!("{} degraded", count(Health::Degraded)), health_style(Health::Degraded)),
        Span::raw(" · "),
        Span::styled(format!("{} disconnected", count(Health::Disconnected)), health_style(Health::Disconnected)),
    ]);
    if count(Health::Unknown) > 0 {
        spans.push(Span::raw(format!(" · {} unknown", count(Health::Unknown))));
    }
    match (&m.last_error, age) {
        (Some(_), _) => {}
        (None, Some(age)) => spans.push(Span::styled(format!(" · updated {age} ago"), Style::new().fg(Color::DarkGray))),
        (None, None) => spans.push(Span::styled(" · loading…", Style::new().fg(Color::DarkGray))),
    }

    f.render_widget(Line::from(spans), a.summary);

    let sort = if app.fleet_by_disconnected { "longest disconnected first" } else { "tree" };
    let block = Block::default().borders(Borders::ALL).title(title(
        app,
        View::Fleet,
        format!("Fleet: region → site → subsite → host/cluster (sort: {sort}, s toggles)"),
    ));
    let width = match a.main.width {
        140.. => FleetWidth::Wide,
        80.. => FleetWidth::Medium,
        _ => FleetWidth::Narrow,
    };
    let h = a.main.height.saturating_sub(3) as usize;
    let c = app.cursor(View::Fleet);
    let off = c.visible_offset(h);
    let rows: Vec<Row> = app
        .fleet_rows
        .iter()
        .enumerate()
        .skip(off)
        .take(h)
        .map(|(p, &i)| fleet_row(app, &m.rows[i], width, p == c.selected))
        .collect();
    let (header, widths): (Vec<&str>, Vec<Constraint>) = match width {
        FleetWidth::Wide => (
            vec!["name", "kind", "health", "heartbeat", "disconn. for", "gen ack/want", "wl run/want", "cpu", "mem", "detail"],
            vec![
                Constraint::Min(28),
                Constraint::Length(8),
                Constraint::Length(31),
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(12),
                Constraint::Length(11),
                Constraint::Length(12),
                Constraint::Length(12),
                Constraint::Fill(1),
            ],
        ),
        FleetWidth::Medium => (
            vec!["name", "health", "heartbeat", "disc. for", "gen", "wl"],
            vec![
                Constraint::Fill(1),
                Constraint::Length(13),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(7),
                Constraint::Length(7),
            ],
        ),
        FleetWidth::Narrow => (
            vec!["name", "health", "heartbeat", "disc. for", "gen"],
            vec![
                Constraint::Fill(1),
                Constraint::Length(13),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(7),
            ],
        ),
    };
    let empty = rows.is_empty();
    let table = Table::new(rows, widths).header(Row::new(header).style(Style::new().bold())).block(block);
    f.render_widget(table, a.main);
    if empty {
        let msg = if m.fetched_at_ms.is_none() && m.last_error.is_none() {
            "loading the fleet…"
        } else {
            "no sites (declare edge_site blocks, or clear the filter)"
        };
        let inner = Rect {
            x: a.main.x + 2,
            y: a.main.y + 2,
            width: a.main.width.saturating_sub(4),
            height: 1,
        };
        f.render_widget(Line::styled(msg, Style::new().fg(Color::DarkGray)), inner);
    }
}

// ---- Graph ---------------------------------------------------------------

fn graph_view(f: &mut Frame, app: &App, a: &Areas) {
    let g = &app.graph;
    f.render_widget(
        Line::raw(format!(
            "{} resource(s) · the dependency neighbourhood of the selected one (2 steps each way)",
            g.nodes.len()
        )),
        a.summary,
    );
    let (list_r, detail_r) = graph_split(a.main);
    let h = list_r.height.saturating_sub(2) as usize;
    let c = app.cursor(View::Graph);
    let off = c.visible_offset(h);
    let lines: Vec<Line> = app
        .graph_rows
        .iter()
        .enumerate()
        .skip(off)
        .take(h)
        .map(|(p, &i)| {
            let l = Line::raw(format!("{}{}", gutter(p == c.selected), g.nodes[i]));
            if p == c.selected {
                l.patch_style(selected_style())
            } else {
                l
            }
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title(app, View::Graph, "Resources".into()))),
        list_r,
    );

    let dh = detail_r.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(dh);
    match app.graph_rows.get(c.selected).map(|&i| g.nodes[i].as_str()) {
        None => lines.push(Line::styled("no resource selected", Style::new().fg(Color::DarkGray))),
        Some(sel) => {
            let up = g.reach(sel, true, 2, dh);
            let down = g.reach(sel, false, 2, dh);
            lines.push(Line::styled(format!("depends on ({}):", up.len()), Style::new().bold()));
            lines.extend(up.iter().map(|(d, n)| Line::raw(format!("{}← {n}", "  ".repeat(*d)))));
            lines.push(Line::styled(format!("● {sel}"), Style::new().fg(Color::Cyan).bold()));
            lines.push(Line::styled(format!("required by ({}):", down.len()), Style::new().bold()));
            lines.extend(down.iter().map(|(d, n)| Line::raw(format!("{}→ {n}", "  ".repeat(*d)))));
            lines.truncate(dh);
        }
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Neighbourhood ")),
        detail_r,
    );
}

// ---- Help ----------------------------------------------------------------

fn help_popup(f: &mut Frame, app: &App, area: Rect) {
    let mut lines = vec![
        Line::styled(format!("{} view", app.view.name()), Style::new().bold()),
        Line::raw(":plan :apply :fleet :graph  switch view (tab: next)"),
        Line::raw("/REGEX  filter (!REGEX inverts, esc clears)"),
        Line::raw("j k ↑ ↓ pgup pgdn g G  move"),
        Line::raw("esc  back · q  quit · ?  close help"),
    ];
    let extra: &[&str] = match app.view {
        View::Plan => &[
            "enter/space  expand a change or group",
            "→ ←  expand / collapse",
            "y n  approve / cancel (contin apply -dashboard)",
        ],
        View::Apply => &["e  next failed change (its error below)", "q twice  stop a running apply"],
        View::Fleet => &[
            "enter  collapse/expand a site",
            "health*  the worst below (the site itself is better)",
            "s  sort: tree / longest disconnected first",
            "r  refetch now",
        ],
        View::Graph => &["select a resource: its dependencies and dependants"],
    };
    lines.extend(extra.iter().map(|s| Line::raw(*s)));
    let w = area.width.min(64);
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL).title(" help ")),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_has_gaps() {
        assert_eq!(sparkline(&[Some(0.0), None, Some(100.0), Some(f64::NAN)], 10), "▁ █ ");
        assert_eq!(sparkline(&[Some(50.0); 20], 3).chars().count(), 3);
    }

    #[test]
    fn durations() {
        assert_eq!(fmt_dur(5_000), "5s");
        assert_eq!(fmt_dur(184_000), "3m04s");
        assert_eq!(fmt_dur(7_500_000), "2h05m");
        assert_eq!(fmt_dur(3 * 86_400_000 + 4 * 3_600_000), "3d04h");
    }
}
