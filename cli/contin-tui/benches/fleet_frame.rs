//! Frame time of the Fleet view with 10,000 sites (and the Plan and Apply
//! views with 10,000 changes) at 200x50: `cargo bench -p contin-tui`.
//! Prints min / median / p99 / max over the iterations; the budget is one
//! frame at 60 Hz (16 ms). Results: bench/RESULTS.md.

use contin_tui::fixtures::{self, NOW_MS};
use contin_tui::{App, View};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::{Duration, Instant};

const ITERATIONS: usize = 300;
const BUDGET: Duration = Duration::from_millis(16);

fn measure(name: &str, app: &mut App, w: u16, h: u16) -> Duration {
    app.resize(w, h);
    let mut term = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    let mut times = Vec::with_capacity(ITERATIONS);
    for i in 0..ITERATIONS {
        // Move the selection so frames differ (scrolling through the list).
        app.cursors[app.view as usize].selected = (i * 37) % app.row_count(app.view).max(1);
        let t = Instant::now();
        if let Err(e) = term.draw(|f| contin_tui::draw::draw(f, app)) {
            panic!("draw: {e}");
        }
        times.push(t.elapsed());
    }
    times.sort();
    let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{name:<34} {w}x{h}  min {:>8.3} ms  median {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  {}",
        times[0].as_secs_f64() * 1e3,
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        if p(0.99) < BUDGET { "OK (< 16 ms)" } else { "OVER BUDGET" }
    );
    p(0.99)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing special.
    let mut fleet = App::new(View::Fleet, false, NOW_MS);
    let t = Instant::now();
    fleet.fleet_fetched(Ok(fixtures::fleet(10_000, NOW_MS)));
    println!("ingest 10,000 sites (tree, roll-up, rows; once per fetch, not per frame): {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
    let worst = measure("fleet, 10,000 sites", &mut fleet, 200, 50);
    measure("fleet, 10,000 sites", &mut fleet, 80, 24);
    fleet.fleet_by_disconnected = true;
    fleet.rebuild(View::Fleet);
    measure("fleet, 10,000 sites, by disconnection", &mut fleet, 200, 50);

    let plan = fixtures::big_plan(10_000);
    let mut p = App::new(View::Plan, false, NOW_MS);
    p.set_plan(&plan);
    measure("plan, 10,000 changes", &mut p, 200, 50);
    let mut a = App::new(View::Apply, false, NOW_MS);
    a.set_plan(&plan);
    for c in plan.changes.iter().take(50) {
        a.on_engine(contin_engine::EngineEvent::Apply(contin_executor::ApplyEvent::Started { addr: c.addr.clone(), action: c.action }));
    }
    a.tick(NOW_MS + 1_000);
    measure("apply, 10,000 changes, 50 running", &mut a, 200, 50);
    if worst >= BUDGET {
        eprintln!("fleet frame p99 {worst:?} is over the 16 ms budget");
        std::process::exit(1);
    }
}
