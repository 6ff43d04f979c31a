//! Snapshot tests of every view (ratatui TestBackend + insta) at 80x24,
//! 200x50 and 60 columns, and key handling on the app state alone.

use crate::app::{App, Effect, Mode, PlanRow, View};
use crate::fixtures::{self, MARKER_SECRET, NOW_MS};
use contin_engine::EngineEvent;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const SIZES: [(u16, u16); 3] = [(80, 24), (200, 50), (60, 24)];

fn render(app: &mut App, w: u16, h: u16) -> String {
    app.resize(w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    t.draw(|f| crate::draw::draw(f, app)).unwrap_or_else(|e| panic!("{e}"));
    let s = t.backend().to_string();
    assert!(!s.contains(MARKER_SECRET), "the marker secret reached the screen:\n{s}");
    assert!(!s.contains("MARKER"), "part of the marker secret reached the screen:\n{s}");
    s
}

fn snap_all(name: &str, mut make: impl FnMut() -> App) {
    for (w, h) in SIZES {
        let mut app = make();
        let s = render(&mut app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), s);
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}
fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}
fn typed(app: &mut App, s: &str) -> Effect {
    let mut last = Effect::None;
    for c in s.chars() {
        last = app.on_key(key(c));
    }
    last
}

fn fleet_app(nodes: Vec<crate::fleet::FleetNode>) -> App {
    let mut app = App::new(View::Fleet, false, NOW_MS);
    app.fleet_fetched(Ok(nodes));
    app
}

fn failed_apply_app() -> App {
    let mut app = App::new(View::Apply, false, NOW_MS);
    app.set_plan(&fixtures::plan());
    let t0 = NOW_MS - 60_000;
    for (t, e) in fixtures::failed_apply_events(t0) {
        app.now_ms = t;
        app.on_engine(EngineEvent::Apply(e));
    }
    // The update has been running 50.6 s; the timer keeps counting.
    app.tick(NOW_MS);
    app
}

#[test]
fn fleet_views() {
    snap_all("fleet_0_sites", || fleet_app(fixtures::fleet(0, NOW_MS)));
    snap_all("fleet_1_site", || fleet_app(fixtures::fleet(1, NOW_MS)));
    snap_all("fleet_10000_sites", || fleet_app(fixtures::fleet(10_000, NOW_MS)));
    snap_all("fleet_disconnected", || fleet_app(fixtures::fleet_with_disconnected(NOW_MS)));
    snap_all("fleet_disconnected_sorted", || {
        let mut app = fleet_app(fixtures::fleet(10_000, NOW_MS));
        app.on_key(key('s'));
        app
    });
    // The backend went away 2 minutes ago: last known data with its age.
    snap_all("fleet_backend_unreachable", || {
        let mut app = App::new(View::Fleet, false, NOW_MS - 120_000);
        app.fleet_fetched(Ok(fixtures::fleet_with_disconnected(NOW_MS - 120_000)));
        app.now_ms = NOW_MS;
        app.fleet_fetched(Err("reading state from s3://bucket/contin.state: connection refused".into()));
        app
    });
    snap_all("fleet_never_loaded", || App::new(View::Fleet, true, NOW_MS));
}

#[test]
fn plan_views() {
    snap_all("plan_collapsed", || {
        let mut app = App::new(View::Plan, false, NOW_MS);
        app.set_plan(&fixtures::plan());
        app
    });
    snap_all("plan_expanded", || {
        let mut app = App::new(View::Plan, false, NOW_MS);
        app.set_plan(&fixtures::plan());
        let n = app.plan.as_ref().map_or(0, |p| p.entries.len());
        app.expanded.extend(0..n);
        app.rebuild(View::Plan);
        app
    });
    snap_all("plan_awaiting_approval", || {
        let mut app = App::new(View::Apply, false, NOW_MS);
        app.review(&fixtures::plan());
        app
    });
    snap_all("plan_no_changes", || {
        let mut app = App::new(View::Plan, false, NOW_MS);
        app.set_plan(&fixtures::big_plan(0));
        app
    });
    // Taller than the screen: scrolled to the end, the last row is visible.
    snap_all("plan_10000_scrolled_to_end", || {
        let mut app = App::new(View::Plan, false, NOW_MS);
        app.set_plan(&fixtures::big_plan(10_000));
        app.on_key(key('G'));
        app.on_key(code(KeyCode::Enter));
        app
    });
}

#[test]
fn apply_views() {
    snap_all("apply_failed", failed_apply_app);
    snap_all("apply_nothing", || App::new(View::Apply, false, NOW_MS));
    snap_all("apply_10000_running", || {
        let mut app = App::new(View::Apply, false, NOW_MS);
        let plan = fixtures::big_plan(10_000);
        app.set_plan(&plan);
        for c in plan.changes.iter().take(25) {
            app.on_engine(EngineEvent::Apply(contin_executor::ApplyEvent::Started {
                addr: c.addr.clone(),
                action: c.action,
            }));
        }
        app.tick(NOW_MS + 3_000);
        // Scrolled far down: the running rows stay pinned at the top.
        app.on_key(key('G'));
        app
    });
}

#[test]
fn graph_help_and_small_views() {
    snap_all("graph", || {
        let mut app = App::new(View::Plan, false, NOW_MS);
        app.set_plan(&fixtures::plan());
        // Select the update (app depends on db, which depends on net).
        let pos = app
            .plan_rows
            .iter()
            .position(|r| matches!(r, PlanRow::Entry(i) if app.plan.as_ref().is_some_and(|p| p.entries[*i].addr == "fake_resource.db")));
        app.cursors[1].selected = pos.unwrap_or(0);
        typed(&mut app, ":graph");
        app.on_key(code(KeyCode::Enter));
        app
    });
    snap_all("help_fleet", || {
        let mut app = fleet_app(fixtures::fleet_with_disconnected(NOW_MS));
        app.on_key(key('?'));
        app
    });
    let mut app = fleet_app(fixtures::fleet(10, NOW_MS));
    insta::assert_snapshot!("too_small_30x8", render(&mut app, 30, 8));
}

#[test]
fn the_marker_secret_is_nowhere_in_any_expanded_row() {
    let mut app = App::new(View::Plan, false, NOW_MS);
    app.set_plan(&fixtures::plan());
    let n = app.plan.as_ref().map_or(0, |p| p.entries.len());
    app.expanded.extend(0..n);
    app.rebuild(View::Plan);
    let s = render(&mut app, 300, 60);
    assert!(s.contains("(sensitive value)"), "{s}");
    assert!(s.contains("(known after apply)"), "{s}");
    assert!(s.contains("replace forced by a change to image"), "{s}");
}

// ---- key handling on the state alone ---------------------------------

#[test]
fn colon_commands_switch_views_and_esc_goes_back() {
    let mut app = App::new(View::Fleet, false, NOW_MS);
    typed(&mut app, ":plan");
    assert_eq!(app.mode, Mode::Command("plan".into()));
    assert_eq!(app.on_key(code(KeyCode::Enter)), Effect::None);
    assert_eq!(app.view, View::Plan);
    typed(&mut app, ":graph");
    app.on_key(code(KeyCode::Enter));
    assert_eq!(app.view, View::Graph);
    app.on_key(code(KeyCode::Esc));
    assert_eq!(app.view, View::Plan);
    app.on_key(code(KeyCode::Esc));
    assert_eq!(app.view, View::Fleet);
    typed(&mut app, ":nonsense");
    app.on_key(code(KeyCode::Enter));
    assert_eq!(app.view, View::Fleet);
    assert!(app.status.as_deref().is_some_and(|s| s.contains("unknown command")));
    typed(&mut app, ":q");
    assert_eq!(app.on_key(code(KeyCode::Enter)), Effect::Quit);
}

#[test]
fn q_quits_but_twice_while_an_apply_runs() {
    let mut app = App::new(View::Apply, false, NOW_MS);
    assert_eq!(app.on_key(key('q')), Effect::Quit);
    let mut app = failed_apply_app();
    assert!(app.apply_running());
    assert_eq!(app.on_key(key('q')), Effect::None);
    assert_eq!(app.on_key(key('q')), Effect::Quit);
    app.apply_finished("done".into());
    assert_eq!(app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Effect::Quit);
}

#[test]
fn filter_is_a_regex_and_bang_inverts() {
    let mut app = fleet_app(fixtures::fleet(300, NOW_MS));
    let all = app.fleet_rows.len();
    typed(&mut app, "/^s0010[0-9]$");
    assert_eq!(app.fleet_rows.len(), 10, "s00100..s00109");
    app.on_key(code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.fleet_rows.len(), 10, "the filter stays after enter");
    typed(&mut app, "/");
    for _ in 0.."^s0010[0-9]$".len() {
        app.on_key(code(KeyCode::Backspace));
    }
    typed(&mut app, "!^s0010[0-9]$");
    assert_eq!(app.fleet_rows.len(), all - 10);
    // An incomplete regex keeps the last good filter and says why.
    typed(&mut app, "(");
    assert_eq!(app.fleet_rows.len(), all - 10);
    assert!(app.status.as_deref().is_some_and(|s| s.contains("bad filter regex")), "{:?}", app.status);
    app.on_key(code(KeyCode::Esc));
    assert_eq!(app.fleet_rows.len(), all);
}

#[test]
fn enter_expands_a_change_and_groups_collapse() {
    let mut app = App::new(View::Plan, false, NOW_MS);
    app.set_plan(&fixtures::plan());
    let before = app.plan_rows.len();
    assert!(
        app.plan_rows.iter().all(|r| matches!(r, PlanRow::Group(_) | PlanRow::Entry(_))),
        "collapsed by default"
    );
    app.on_key(key('j'));
    app.on_key(code(KeyCode::Enter));
    assert!(app.plan_rows.len() > before);
    assert!(app.plan_rows.iter().any(|r| matches!(r, PlanRow::Attr(..))));
    app.on_key(code(KeyCode::Left));
    assert_eq!(app.plan_rows.len(), before);
    app.on_key(key('g'));
    app.on_key(code(KeyCode::Enter));
    assert!(app.plan_rows.len() < before, "the first group collapsed");
}

#[test]
fn approval_keys_only_when_asked_and_not_readonly() {
    let mut app = App::new(View::Plan, false, NOW_MS);
    app.set_plan(&fixtures::plan());
    assert_eq!(app.on_key(key('y')), Effect::None);
    app.review(&fixtures::plan());
    assert_eq!(app.on_key(key('y')), Effect::Approve(true));
    assert!(!app.awaiting_approval);
    let mut ro = App::new(View::Plan, true, NOW_MS);
    ro.review(&fixtures::plan());
    assert_eq!(ro.on_key(key('y')), Effect::None);
    assert_eq!(ro.on_key(key('n')), Effect::Approve(false));
}

#[test]
fn the_first_apply_event_shows_the_apply_view() {
    let mut app = App::new(View::Plan, false, NOW_MS);
    app.review(&fixtures::plan());
    app.on_key(key('y'));
    for (_, e) in fixtures::failed_apply_events(NOW_MS).into_iter().take(1) {
        app.on_engine(EngineEvent::Apply(e));
    }
    assert_eq!(app.view, View::Apply);
    assert_eq!(app.apply.running(), 1);
}

#[test]
fn fleet_collapse_hides_children_and_sort_toggles() {
    let mut app = fleet_app(fixtures::fleet_with_disconnected(NOW_MS));
    let all = app.fleet_rows.len();
    app.on_key(code(KeyCode::Enter));
    assert_eq!(app.fleet_rows.len(), 2, "eu collapsed: eu and us remain");
    app.on_key(code(KeyCode::Right));
    assert_eq!(app.fleet_rows.len(), all);
    app.on_key(key('s'));
    assert!(app.fleet_by_disconnected);
    let first = app.fleet_rows[0];
    assert_eq!(app.fleet.rows[first].node.name, "eu", "the region holding the disconnected site comes first");
}

#[test]
fn paging_moves_by_a_screen_and_stays_in_bounds() {
    let mut app = App::new(View::Plan, false, NOW_MS);
    app.set_plan(&fixtures::big_plan(1_000));
    app.resize(80, 24);
    let h = app.list_height(View::Plan);
    app.on_key(code(KeyCode::PageDown));
    assert_eq!(app.cursor(View::Plan).selected, h);
    app.on_key(key('G'));
    assert_eq!(app.cursor(View::Plan).selected, app.plan_rows.len() - 1);
    let c = app.cursor(View::Plan);
    assert!(c.offset <= c.selected && c.selected < c.offset + h);
    for _ in 0..100 {
        app.on_key(code(KeyCode::PageUp));
    }
    assert_eq!(app.cursor(View::Plan), crate::app::Cursor::default());
}
