//! The shared backend conformance suite against `LocalBackend` on a temp dir.

use contin_state::conformance;
use contin_state_local::LocalBackend;

#[tokio::test]
async fn local_backend_conforms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("contin.state.json");
    conformance::run_all(|| LocalBackend::new(&path)).await;
}

#[tokio::test(flavor = "current_thread")]
async fn local_backend_conforms_on_a_single_threaded_runtime_in_a_new_subdirectory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("not/yet/created/state.json");
    conformance::run_all(|| LocalBackend::new(&path)).await;
}
