//! The backend conformance suite: behaviour every `Backend` must show,
//! asserted with panics that say what went wrong. Compiled always (not
//! `cfg(test)`) so backend crates call it from their own tests:
//!
//! ```ignore
//! #[tokio::test]
//! async fn conformance() {
//!     let dir = tempfile::tempdir().unwrap();
//!     let path = dir.path().join("contin.state.json");
//!     contin_state::conformance::run_all(|| LocalBackend::new(&path)).await;
//! }
//! ```
//!
//! Contract for `make`: every call returns a NEW backend instance on the
//! SAME storage (two instances stand in for two processes). `run_all` needs
//! that storage fresh (nothing stored, no lock). Each `pub async fn` below is
//! also usable on its own; all but `empty_backend` accept storage that
//! already holds a state, and every check leaves no lock behind.

use crate::{Backend, LockInfo, OutputState, ResourceState, ResourceStatus, State, StateError};
use contin_types::{InstanceKey, ResourceAddr, Value};

/// Runs every check in order on one fresh storage.
pub async fn run_all<B: Backend, F: Fn() -> B>(make: F) {
    empty_backend(&make).await;
    persist_round_trip(&make).await;
    stale_serial_conflicts(&make).await;
    lineage_change_refused(&make).await;
    serial_must_increase(&make).await;
    second_lock_is_refused(&make).await;
    unlock_then_lock_again(&make).await;
    unlock_with_wrong_id(&make).await;
    force_unlock_releases_other_holder(&make).await;
}

/// Fresh storage: nothing stored, no lock, nothing to unlock, and a write
/// that expects an existing state is refused.
pub async fn empty_backend<B: Backend, F: Fn() -> B>(make: &F) {
    let b = make();
    let d = b.describe();
    match b.load().await {
        Ok(None) => {}
        other => panic!("[{d}] empty backend: load must return Ok(None), got {other:?}"),
    }
    match b.lock_holder().await {
        Ok(None) => {}
        other => panic!("[{d}] empty backend: lock_holder must return Ok(None), got {other:?}"),
    }
    let s = rich_state(uuid::Uuid::new_v4().to_string(), 4);
    match b.persist(&s, Some(3)).await {
        Err(StateError::Conflict { expected: Some(3), found: None, .. }) => {}
        other => panic!(
            "[{d}] persist(expected_serial Some(3)) with nothing stored must fail with Conflict {{ expected: Some(3), found: None }}, got {other:?}"
        ),
    }
    match make().load().await {
        Ok(None) => {}
        other => panic!("[{d}] a refused persist must write nothing, but load now returns {other:?}"),
    }
    expect_lock_not_held(b.unlock("no-such-lock").await, "no-such-lock", &d, "unlock with no lock held");
    expect_lock_not_held(b.force_unlock("no-such-lock").await, "no-such-lock", &d, "force_unlock with no lock held");
}

/// persist then load (through a second instance) returns exactly what was
/// written: resources, sensitive paths, dependencies, status, outputs, sites;
/// a later write replaces (not merges) the document.
pub async fn persist_round_trip<B: Backend, F: Fn() -> B>(make: &F) {
    let writer = make();
    let d = writer.describe();
    let current = load_ok(&writer, &d, "before round trip").await;
    let lineage = current.as_ref().map_or_else(|| uuid::Uuid::new_v4().to_string(), |s| s.lineage.clone());
    let expected = current.as_ref().map(|s| s.serial);
    let first = rich_state(lineage, expected.map_or(1, |s| s + 1));
    if let Err(e) = writer.persist(&first, expected).await {
        panic!("[{d}] persist(serial {}, expected {expected:?}) failed: {e}", first.serial);
    }

    let reader = make();
    let Some(loaded) = load_ok(&reader, &d, "after persist").await else {
        panic!("[{d}] a second instance from make() loads nothing after persist: make() must return instances sharing ONE storage");
    };
    assert_same_state(&loaded, &first, &d, "loaded by a second instance after persist");

    // Second write through the other instance: drops one resource, adds one.
    let mut second = first.clone();
    second.serial += 1;
    second.resources.remove(&ResourceAddr::managed("fake_thing", "plain"));
    let added = ResourceAddr::managed("fake_thing", "added");
    second.resources.insert(added.clone(), resource(added, &Value::map([("n", Value::int(2))]), vec![]));
    second.outputs.remove("greeting");
    if let Err(e) = reader.persist(&second, Some(first.serial)).await {
        panic!("[{d}] second persist(serial {}, expected Some({})) failed: {e}", second.serial, first.serial);
    }
    match load_ok(&writer, &d, "after second persist").await {
        Some(s) => assert_same_state(&s, &second, &d, "loaded after a second persist (removed items must be gone)"),
        None => panic!("[{d}] load returned None after two persists"),
    }
}

/// A writer whose expected serial is stale (or who expects nothing stored)
/// gets `Conflict` and the stored state is untouched; the classic two-process
/// lost-update race is detected.
pub async fn stale_serial_conflicts<B: Backend, F: Fn() -> B>(make: &F) {
    let b = make();
    let d = b.describe();
    let current = seed(make, &d).await;
    let mut next = current.clone();
    next.serial = current.serial + 1;
    let extra = ResourceAddr::managed("fake_thing", "conflicting");
    next.resources.insert(extra.clone(), resource(extra, &Value::map([("x", Value::int(1))]), vec![]));

    for stale in [Some(current.serial.saturating_sub(1)), Some(current.serial + 7), None] {
        match b.persist(&next, stale).await {
            Err(StateError::Conflict { expected, found, .. }) => {
                assert_eq!(expected, stale, "[{d}] Conflict must report the expected serial the caller passed");
                assert_eq!(found, Some(current.serial), "[{d}] Conflict must report the serial actually stored");
            }
            other => panic!(
                "[{d}] persist with stale expected serial {stale:?} (stored {}) must fail with Conflict, got {other:?}",
                current.serial
            ),
        }
        match load_ok(&b, &d, "after a refused persist").await {
            Some(s) => assert_same_state(&s, &current, &d, "after a Conflict the stored state must be unchanged"),
            None => panic!("[{d}] state vanished after a refused persist"),
        }
    }

    // Two "processes" both read serial N; the first write wins, the second is refused.
    let (a, other) = (make(), make());
    let mut from_a = current.clone();
    from_a.serial += 1;
    from_a.outputs.insert("writer".into(), OutputState { value: serde_json::json!("a"), sensitive: false });
    let mut from_b = current.clone();
    from_b.serial += 1;
    from_b.outputs.insert("writer".into(), OutputState { value: serde_json::json!("b"), sensitive: false });
    if let Err(e) = a.persist(&from_a, Some(current.serial)).await {
        panic!("[{d}] first writer's persist failed: {e}");
    }
    match other.persist(&from_b, Some(current.serial)).await {
        Err(StateError::Conflict { found, .. }) => assert_eq!(
            found,
            Some(from_a.serial),
            "[{d}] the losing writer's Conflict must name the serial the winner wrote"
        ),
        other_result => panic!("[{d}] second writer with the same base serial must get Conflict (lost update!), got {other_result:?}"),
    }
    match load_ok(&other, &d, "after the race").await {
        Some(s) => assert_same_state(&s, &from_a, &d, "after the race the first writer's state must be stored"),
        None => panic!("[{d}] state vanished after the race"),
    }
}

/// A state with another lineage never replaces the stored one.
pub async fn lineage_change_refused<B: Backend, F: Fn() -> B>(make: &F) {
    let b = make();
    let d = b.describe();
    let current = seed(make, &d).await;
    let foreign = rich_state(uuid::Uuid::new_v4().to_string(), current.serial + 1);
    match b.persist(&foreign, Some(current.serial)).await {
        Err(StateError::LineageMismatch { stored, writing }) => {
            assert_eq!(stored, current.lineage, "[{d}] LineageMismatch must name the stored lineage");
            assert_eq!(writing, foreign.lineage, "[{d}] LineageMismatch must name the lineage being written");
        }
        other => panic!("[{d}] persisting a different lineage must fail with LineageMismatch, got {other:?}"),
    }
    match load_ok(&b, &d, "after a refused lineage change").await {
        Some(s) => assert_same_state(&s, &current, &d, "a refused lineage change must leave the state unchanged"),
        None => panic!("[{d}] state vanished after a refused lineage change"),
    }
}

/// A write that does not bump the serial is refused (it would make stale
/// plans undetectable) and changes nothing.
pub async fn serial_must_increase<B: Backend, F: Fn() -> B>(make: &F) {
    let b = make();
    let d = b.describe();
    let current = seed(make, &d).await;
    let mut same = current.clone();
    same.outputs.insert("not_bumped".into(), OutputState { value: serde_json::json!(true), sensitive: false });
    if let Ok(()) = b.persist(&same, Some(current.serial)).await {
        panic!("[{d}] persist with serial {} equal to the stored serial must be refused", same.serial);
    }
    match load_ok(&b, &d, "after a refused un-bumped write").await {
        Some(s) => assert_same_state(&s, &current, &d, "a refused write must leave the state unchanged"),
        None => panic!("[{d}] state vanished after a refused write"),
    }
}

/// While one instance holds the lock, any other lock attempt (other instance
/// or the same one) fails with `Locked` naming the first holder.
pub async fn second_lock_is_refused<B: Backend, F: Fn() -> B>(make: &F) {
    let (a, b) = (make(), make());
    let d = a.describe();
    expect_unlocked(&a, &d).await;
    let first = LockInfo::new("apply", &d);
    lock_ok(&a, &first, &d).await;
    expect_holder(&b, &first, &d, "seen from a second instance").await;

    let second = LockInfo::new("plan", &d);
    for (who, backend) in [("a second instance", &b), ("the holding instance itself", &a)] {
        match backend.lock(&second).await {
            Err(StateError::Locked(holder)) => {
                assert_eq!(holder.id, first.id, "[{d}] Locked must carry the first holder's lock ID");
                assert_eq!(holder.who, first.who, "[{d}] Locked must carry the first holder's who");
                assert_eq!(holder.operation, first.operation, "[{d}] Locked must carry the first holder's operation");
                let msg = StateError::Locked(holder.clone()).to_string();
                for part in [&first.who, &first.operation, &first.id] {
                    assert!(msg.contains(part.as_str()), "[{d}] Locked message must name {part:?}: {msg}");
                }
            }
            other => panic!("[{d}] lock by {who} while held must fail with Locked, got {other:?}"),
        }
    }
    expect_holder(&a, &first, &d, "after refused lock attempts").await;
    unlock_ok(&a, &first.id, &d).await;
}

/// Unlock releases: afterwards nobody holds the lock and anyone can take it.
pub async fn unlock_then_lock_again<B: Backend, F: Fn() -> B>(make: &F) {
    let (a, b) = (make(), make());
    let d = a.describe();
    expect_unlocked(&a, &d).await;
    let first = LockInfo::new("apply", &d);
    lock_ok(&a, &first, &d).await;
    unlock_ok(&a, &first.id, &d).await;
    expect_unlocked(&b, &d).await;

    let second = LockInfo::new("destroy", &d);
    lock_ok(&b, &second, &d).await;
    expect_holder(&a, &second, &d, "after re-lock by another instance").await;
    unlock_ok(&b, &second.id, &d).await;
    lock_ok(&a, &first, &d).await;
    unlock_ok(&a, &first.id, &d).await;
    expect_unlocked(&a, &d).await;
}

/// `unlock` with an ID that is not the holder's → `LockNotHeld`, lock kept;
/// unlocking twice → `LockNotHeld`.
pub async fn unlock_with_wrong_id<B: Backend, F: Fn() -> B>(make: &F) {
    let (a, b) = (make(), make());
    let d = a.describe();
    expect_unlocked(&a, &d).await;
    let held = LockInfo::new("apply", &d);
    lock_ok(&a, &held, &d).await;
    expect_lock_not_held(b.unlock("wrong-id").await, "wrong-id", &d, "unlock with a wrong ID from another instance");
    expect_lock_not_held(a.unlock("wrong-id").await, "wrong-id", &d, "unlock with a wrong ID from the holder");
    expect_holder(&b, &held, &d, "after unlock with a wrong ID the lock must still be held").await;
    unlock_ok(&a, &held.id, &d).await;
    expect_lock_not_held(a.unlock(&held.id).await, &held.id, &d, "a second unlock of the same lock");
}

/// `force_unlock(id)` releases a lock another instance holds when the ID
/// matches; a wrong ID → `Locked(actual holder)` and the lock stays.
pub async fn force_unlock_releases_other_holder<B: Backend, F: Fn() -> B>(make: &F) {
    let (a, b) = (make(), make());
    let d = a.describe();
    expect_unlocked(&a, &d).await;
    let stuck = LockInfo::new("apply", &d);
    lock_ok(&a, &stuck, &d).await;

    match b.force_unlock("wrong-id").await {
        Err(StateError::Locked(holder)) => assert_eq!(
            holder.id, stuck.id,
            "[{d}] force_unlock with a wrong ID must report the actual holder's lock ID"
        ),
        other => panic!("[{d}] force_unlock with a wrong ID must fail with Locked(actual holder), got {other:?}"),
    }
    expect_holder(&b, &stuck, &d, "after force_unlock with a wrong ID").await;

    if let Err(e) = b.force_unlock(&stuck.id).await {
        panic!("[{d}] force_unlock({}) of a lock held by another instance failed: {e}", stuck.id);
    }
    expect_unlocked(&a, &d).await;
    let next = LockInfo::new("apply", &d);
    lock_ok(&b, &next, &d).await;
    expect_lock_not_held(
        a.unlock(&stuck.id).await,
        &stuck.id,
        &d,
        "the original holder unlocking after its lock was forced away",
    );
    expect_holder(&a, &next, &d, "the new lock must survive the old holder's unlock").await;
    unlock_ok(&b, &next.id, &d).await;
}

// ---- fixtures -------------------------------------------------------------

fn resource(addr: ResourceAddr, v: &Value, deps: Vec<ResourceAddr>) -> ResourceState {
    match ResourceState::from_value(addr, "fake", v, deps) {
        Ok(r) => r,
        Err(e) => panic!("conformance fixture is broken: {e}"),
    }
}

/// A state exercising every field and awkward values (keys needing quotes,
/// unicode, escapes, floats, big integers, nested sensitive values).
pub fn rich_state(lineage: String, serial: u64) -> State {
    let mut s = State::new();
    s.lineage = lineage;
    s.serial = serial;
    let plain = ResourceAddr::managed("fake_thing", "plain");
    let v = Value::map([
        ("id", Value::string("plain-1")),
        ("text", Value::string("ünïcødé ☃ \"quoted\"\n\ttabbed \\ back")),
        ("float", Value::Number(contin_types::Number::from_f64(1.5).unwrap_or(contin_types::Number::from_i64(1)))),
        ("big", Value::int(9_007_199_254_740_993)),
        ("null", Value::Null),
        ("flag", Value::Bool(true)),
        ("tags", Value::map([("env", Value::string("prod")), ("token", Value::string("t0k3n").mark_sensitive())])),
        ("list", Value::List(vec![Value::int(1), Value::map([("pw", Value::string("x").mark_sensitive())])])),
    ]);
    s.resources.insert(plain.clone(), resource(plain.clone(), &v, vec![]));
    for i in 0..2 {
        let a = ResourceAddr::managed("fake_thing", "counted").with_key(InstanceKey::Int(i));
        let mut r = resource(a.clone(), &Value::map([("index", Value::int(i))]), vec![plain.clone()]);
        r.generation = 7 + i as u64;
        s.resources.insert(a, r);
    }
    let keyed = ResourceAddr::managed("fake_thing", "each").with_key(InstanceKey::Str("key with spaces/\"q\"".into()));
    let mut r = resource(keyed.clone(), &Value::map([("secret", Value::string("s"))]).mark_sensitive(), vec![]);
    r.status = ResourceStatus::Tainted;
    r.create_before_destroy = true;
    r.schema_version = 2;
    // An old object a create_before_destroy replace could not delete.
    r.deposed.push(crate::DeposedObject {
        key: "0a1b2c3d".into(),
        attributes: serde_json::json!({"secret": "old-s", "n": 1.25}),
        sensitive_paths: vec![vec![contin_types::value::PathStep::Key("secret".into())]],
        generation: 3,
    });
    s.resources.insert(keyed, r);
    // A create whose outcome is unknown (journaled intent, no result).
    let unresolved = ResourceAddr::managed("fake_thing", "unresolved");
    let mut r = resource(unresolved.clone(), &Value::Null, vec![plain.clone()]);
    r.status = ResourceStatus::Tainted;
    r.generation = 4;
    s.resources.insert(unresolved, r);
    let data = ResourceAddr::data("fake_source", "lookup");
    s.resources.insert(data.clone(), resource(data, &Value::map([("result", Value::string("r"))]), vec![]));

    s.outputs.insert("greeting".into(), OutputState { value: serde_json::json!("hello"), sensitive: false });
    s.outputs.insert("password".into(), OutputState { value: serde_json::json!("p@ss"), sensitive: true });
    s.outputs.insert("nested".into(), OutputState { value: serde_json::json!({"a": [1, 2.25, null]}), sensitive: false });
    s.sites.insert("edge-1".into(), serde_json::json!({"parent": null, "labels": {"gpu": true}}));
    s
}

// ---- assertion helpers ----------------------------------------------------

fn assert_same_state(got: &State, want: &State, d: &str, when: &str) {
    assert_eq!(got.lineage, want.lineage, "[{d}] {when}: lineage differs");
    assert_eq!(got.serial, want.serial, "[{d}] {when}: serial differs");
    assert_eq!(got.version, want.version, "[{d}] {when}: version differs");
    let got_keys: Vec<_> = got.resources.keys().map(ToString::to_string).collect();
    let want_keys: Vec<_> = want.resources.keys().map(ToString::to_string).collect();
    assert_eq!(got_keys, want_keys, "[{d}] {when}: resource addresses differ");
    for (addr, w) in &want.resources {
        if let Some(g) = got.resources.get(addr) {
            assert_eq!(g.sensitive_paths, w.sensitive_paths, "[{d}] {when}: sensitive_paths of {addr} differ");
            assert_eq!(g, w, "[{d}] {when}: resource {addr} differs");
        }
    }
    assert_eq!(got.outputs, want.outputs, "[{d}] {when}: outputs differ");
    assert_eq!(got.sites, want.sites, "[{d}] {when}: sites differ");
    assert_eq!(got, want, "[{d}] {when}: state differs");
}

async fn load_ok<B: Backend>(b: &B, d: &str, when: &str) -> Option<State> {
    match b.load().await {
        Ok(s) => s,
        Err(e) => panic!("[{d}] load {when} failed: {e}"),
    }
}

/// The stored state, writing a first one when storage is empty.
async fn seed<B: Backend, F: Fn() -> B>(make: &F, d: &str) -> State {
    let b = make();
    if let Some(s) = load_ok(&b, d, "while seeding").await {
        return s;
    }
    let s = rich_state(uuid::Uuid::new_v4().to_string(), 1);
    if let Err(e) = b.persist(&s, None).await {
        panic!("[{d}] first persist(serial 1, expected None) failed: {e}");
    }
    s
}

async fn lock_ok<B: Backend>(b: &B, info: &LockInfo, d: &str) {
    if let Err(e) = b.lock(info).await {
        panic!("[{d}] lock({}, {}) failed on an unlocked state: {e}", info.id, info.operation);
    }
}

async fn unlock_ok<B: Backend>(b: &B, id: &str, d: &str) {
    if let Err(e) = b.unlock(id).await {
        panic!("[{d}] unlock({id}) by the holder failed: {e}");
    }
}

async fn expect_unlocked<B: Backend>(b: &B, d: &str) {
    match b.lock_holder().await {
        Ok(None) => {}
        Ok(Some(h)) => panic!("[{d}] expected no lock, but {} holds lock {} ({}); was a lock leaked?", h.who, h.id, h.operation),
        Err(e) => panic!("[{d}] lock_holder failed: {e}"),
    }
}

async fn expect_holder<B: Backend>(b: &B, want: &LockInfo, d: &str, when: &str) {
    match b.lock_holder().await {
        Ok(Some(h)) => assert_eq!(&h, want, "[{d}] {when}: lock_holder must return the holder's LockInfo unchanged"),
        other => panic!("[{d}] {when}: lock_holder must report lock {}, got {other:?}", want.id),
    }
}

fn expect_lock_not_held(r: Result<(), StateError>, id: &str, d: &str, what: &str) {
    match r {
        Err(StateError::LockNotHeld(got)) => assert_eq!(got, id, "[{d}] {what}: LockNotHeld must carry the ID passed"),
        other => panic!("[{d}] {what} must fail with LockNotHeld({id:?}), got {other:?}"),
    }
}
