//! Fuzz target for the plan-file decoder (issue 9, stable Rust): hostile
//! plan files never panic in `decode_plan` nor in the renderers that read a
//! decoded plan (`contin show plan.bin`, `show -json`).
//!
//! Inputs are three real plan files (`tests/fixtures/*.plan`, written by
//! `contin plan -out`: on the quickstart a create and a drift/replace plan
//! (format 1), and a plan destroying a deposed object (format 2))
//! mutated three ways: raw bytes (checksum usually fails: the envelope path),
//! the JSON body mutated structurally and re-wrapped with a valid checksum
//! (the serde and render paths), and the envelope lines themselves.
//!
//! `CONTIN_FUZZ_CASES` (default 256 per run) or `CONTIN_FUZZ_SECS=600` to run
//! until the time is up; `CONTIN_FUZZ_SEED` picks the seed, printed on a crash
//! so it can be replayed and turned into a regression test.

use contin_planner::codec::decode_plan;
use serde_json::Value as J;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

const FIXTURES: [&[u8]; 3] =
    [include_bytes!("fixtures/create.plan"), include_bytes!("fixtures/drift.plan"), include_bytes!("fixtures/deposed.plan")];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The JSON body of a plan file (after the three header lines).
fn body(file: &[u8]) -> &[u8] {
    let mut rest = file;
    for _ in 0..3 {
        let nl = rest.iter().position(|&b| b == b'\n').expect("fixture has three header lines");
        rest = &rest[nl + 1..];
    }
    rest
}

/// The format version line of a plan file.
fn version(file: &[u8]) -> &str {
    let line = file.split(|&b| b == b'\n').nth(1).expect("fixture has a version line");
    std::str::from_utf8(line).expect("version line is text")
}

/// A plan file around `body` with a correct checksum.
fn wrap(version: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("contin-plan\n{version}\nsha256:{}\n", hex::encode(Sha256::digest(body))).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A hostile replacement value.
fn nasty(rng: &mut Rng) -> J {
    match rng.below(14) {
        0 => J::Null,
        1 => J::Bool(rng.below(2) == 0),
        2 => serde_json::json!(u64::MAX),
        3 => serde_json::json!(-1),
        4 => serde_json::json!(1e308),
        5 => J::String(String::new()),
        6 => J::String("x".repeat(rng.below(100_000))),
        7 => J::String("\u{0}\u{feff}☃\u{10ffff}".into()),
        8 => {
            let mut v = J::Null;
            for _ in 0..rng.below(120) {
                v = J::Array(vec![v]);
            }
            v
        }
        9 => J::Array(vec![]),
        10 => J::Object(Default::default()),
        11 => J::String("aws_instance.web[\"a\"]".into()),
        12 => J::String("create".into()),
        _ => serde_json::json!({"after_unknown": true, "action": "replace", "addr": "x.y[0]"}),
    }
}

/// Replaces, removes or duplicates a random node of `v`.
fn mutate(v: &mut J, rng: &mut Rng, depth: usize) {
    let here = depth > 8 || rng.below(4) == 0;
    match v {
        J::Object(m) if !m.is_empty() && !here => {
            let k = m.keys().nth(rng.below(m.len())).cloned().unwrap_or_default();
            match rng.below(6) {
                0 => {
                    m.remove(&k);
                }
                _ => {
                    if let Some(child) = m.get_mut(&k) {
                        mutate(child, rng, depth + 1);
                    }
                }
            }
        }
        J::Array(a) if !a.is_empty() && !here => {
            let i = rng.below(a.len());
            match rng.below(6) {
                0 => {
                    a.remove(i);
                }
                1 => {
                    let dup = a[i].clone();
                    a.push(dup);
                }
                _ => mutate(&mut a[i], rng, depth + 1),
            }
        }
        _ => *v = nasty(rng),
    }
}

/// One hostile file from `seed`.
fn case(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let file = FIXTURES[rng.below(FIXTURES.len())];
    match rng.below(4) {
        0 => {
            let mut bytes = file.to_vec();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[i] = rng.next() as u8,
                    1 => bytes.truncate(i),
                    _ => bytes.insert(i, rng.next() as u8),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            bytes
        }
        1 => {
            let version = ["1", "0", "2", "-1", "18446744073709551616", "", "1 ", "\u{0}"][rng.below(8)];
            wrap(version, body(file))
        }
        _ => {
            let mut doc: J = serde_json::from_slice(body(file)).expect("fixture body is JSON");
            for _ in 0..1 + rng.below(6) {
                mutate(&mut doc, &mut rng, 0);
            }
            wrap(version(file), &serde_json::to_vec(&doc).expect("json"))
        }
    }
}

/// Decodes and renders; panics propagate to the caller's catch_unwind.
fn exercise(bytes: &[u8]) {
    if let Ok(plan) = decode_plan(bytes) {
        let _ = contin_planner::render::render_plan(&plan, false);
        let _ = contin_planner::render::render_plan(&plan, true);
        let _ = contin_planner::json::plan_to_json(&plan);
        let _ = contin_planner::render::summary_counts(&plan);
    }
}

#[test]
fn fixtures_decode_and_render() {
    for f in FIXTURES {
        let plan = decode_plan(f).expect("fixture decodes");
        assert!(!contin_planner::render::render_plan(&plan, false).is_empty());
    }
    let deposed = decode_plan(FIXTURES[2]).expect("fixture decodes");
    assert_eq!(deposed.deposed.len(), 1);
    assert!(contin_planner::render::render_plan(&deposed, false).contains("(deposed object 73b8d484) will be destroyed"));
}

#[test]
fn hostile_plan_files_never_panic() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = env("CONTIN_FUZZ_CASES").unwrap_or(256);
    let until = env("CONTIN_FUZZ_SECS").map(|s| Instant::now() + Duration::from_secs(s));
    let base = env("CONTIN_FUZZ_SEED").unwrap_or(0x9e37_79b9);
    let mut n = 0u64;
    loop {
        let done = match until {
            Some(t) => Instant::now() >= t,
            None => n >= cases,
        };
        if done {
            break;
        }
        let seed = base.wrapping_add(n.wrapping_mul(0x2545_f491));
        let bytes = case(seed);
        let r = std::panic::catch_unwind(|| exercise(&bytes));
        assert!(r.is_ok(), "plan-file fuzz crashed: replay with CONTIN_FUZZ_SEED={seed} CONTIN_FUZZ_CASES=1");
        n += 1;
    }
    eprintln!("plan-file fuzz: {n} cases, no panic");
}
