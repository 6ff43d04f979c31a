//! `contin dashboard`: a terminal UI over the engine (ratatui + crossterm).
//!
//! Architecture (docs/dashboard.md): the [`app::App`] state is fed by
//! engine events ([`contin_engine::EngineEvent`]) and fetched data
//! ([`DataEvent`]) over channels; [`run`] is one `tokio::select!` over the
//! crossterm event stream, those channels, signals and tick/render
//! intervals; data is fetched on other tasks (see [`fleet::spawn_poller`]);
//! [`draw::draw`] is a pure function of the state; the terminal is restored
//! on exit, error, panic and signals. Time comes from an injectable
//! [`clock::Clock`].

pub mod agents;
pub mod app;
pub mod clock;
pub mod draw;
pub mod fixtures;
pub mod fleet;
pub mod model;
mod run;

#[cfg(test)]
mod snapshot_tests;

pub use app::{App, Effect, View};
pub use run::{run, Exit, RunOptions, TuiError};

use std::sync::Arc;

/// Data the front end fetched (off the UI task) for the dashboard.
#[derive(Debug)]
pub enum DataEvent {
    /// A plan to show in the Plan and Graph views.
    Plan(Arc<contin_planner::Plan>),
    /// The engine waits for approval of this plan: answer on the sender.
    Review(Arc<contin_planner::Plan>, tokio::sync::oneshot::Sender<bool>),
    /// A fleet fetch: the nodes, or why the backend could not be read.
    Fleet(Result<fleet::FleetData, String>),
    /// Dependency edges from the state (when there is no plan yet).
    Graph(model::GraphModel),
    /// The apply returned; a one-line summary.
    ApplyFinished(String),
    /// Planning or applying failed before anything ran.
    Failed(String),
}
