//! Micro-benchmark (ignored by default): persist and load a synthetic
//! 10,000-resource (~4 MB) state. Targets belong here, not in timed asserts:
//! `cargo test --release -p contin-state-local --test bench_persist -- --ignored --nocapture`

use contin_state::{Backend, ResourceState, State};
use contin_state_local::LocalBackend;
use contin_types::{InstanceKey, ResourceAddr, Value};
use std::time::Instant;

fn synthetic(n: usize) -> State {
    let mut s = State::new();
    s.serial = 1;
    let filler = "x".repeat(60);
    for i in 0..n {
        let addr = ResourceAddr::managed("fake_thing", format!("layer{}", i / 50)).with_key(InstanceKey::Int((i % 50) as i64));
        let v = Value::map([
            ("id", Value::string(format!("fake-{i:08}"))),
            ("name", Value::string(format!("resource number {i}"))),
            ("payload", Value::string(filler.clone())),
            ("size", Value::int(i as i64)),
            ("tags", Value::map([("env", Value::string("bench")), ("token", Value::string("secret").mark_sensitive())])),
        ]);
        let deps = if i >= 50 { vec![ResourceAddr::managed("fake_thing", format!("layer{}", i / 50 - 1)).with_key(InstanceKey::Int(0))] } else { vec![] };
        match ResourceState::from_value(addr.clone(), "fake", &v, deps) {
            Ok(r) => {
                s.resources.insert(addr, r);
            }
            Err(e) => panic!("fixture: {e}"),
        }
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn persist_10k_resources() {
    let dir = tempfile::tempdir().expect("temp dir");
    let b = LocalBackend::new(dir.path().join("contin.state.json"));
    let mut s = synthetic(10_000);
    let t = Instant::now();
    b.persist(&s, None).await.expect("first persist");
    let first = t.elapsed();
    let size = std::fs::metadata(b.path()).expect("meta").len();
    let mut times = Vec::new();
    for _ in 0..10 {
        let expected = s.serial;
        s.serial += 1;
        let t = Instant::now();
        b.persist(&s, Some(expected)).await.expect("persist");
        times.push(t.elapsed());
    }
    let t = Instant::now();
    let loaded = b.load().await.expect("load").expect("some");
    let load = t.elapsed();
    assert_eq!(loaded.resources.len(), 10_000);
    let t = Instant::now();
    let bytes = contin_state::codec::encode(&s).expect("encode");
    let encode = t.elapsed();
    println!("state size: {:.2} MB ({} resources)", size as f64 / 1e6, s.resources.len());
    println!("encode only: {encode:?}");
    println!("first persist: {first:?}");
    times.sort();
    println!(
        "persist (check stored serial + encode + backup + write + fsync + rename), 10 runs: min {:?}, median {:?}, max {:?}",
        times[0], times[5], times[9]
    );
    println!("load: {load:?}");
    assert_eq!(std::fs::read(b.path()).expect("read"), bytes, "file holds the last persisted state");
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn codec_layouts_compared() {
    let s = synthetic(10_000);
    let t = Instant::now();
    let pretty = serde_json::to_vec_pretty(&s).expect("pretty");
    let tp = t.elapsed();
    let t = Instant::now();
    let lines = contin_state::codec::encode(&s).expect("encode");
    let tl = t.elapsed();
    let t = Instant::now();
    let h = contin_state::codec::decode_header(&lines, "bench").expect("header");
    let th = t.elapsed();
    println!("fully pretty: {:.2} MB in {tp:?}", pretty.len() as f64 / 1e6);
    println!("line per resource (used): {:.2} MB in {tl:?}", lines.len() as f64 / 1e6);
    println!("header-only read (serial {}): {th:?}", h.serial);
}
