//! Property/fuzz targets (proptest, stable Rust) for the state decoder and
//! the journal reader: arbitrary bytes and mutations of valid documents
//! never panic; whatever decodes re-encodes to the same state; a damaged
//! journal never yields a record that was not written.
//!
//! Default: a few hundred cases per target (fast, in CI). A long run, each
//! target for N seconds: `CONTIN_FUZZ_SECS=600 cargo nextest run --release
//! -p contin-state --test fuzz_decoders timed --no-capture` (see `timed_fuzz_run`).

use contin_state::codec::{decode, decode_header, encode};
use contin_state::conformance::rich_state;
use contin_state::journal::{self, encode_records, replay, JournalRecord};
use contin_state::{ResourceState, State};
use contin_types::{ResourceAddr, Value};
use proptest::prelude::*;
use std::path::Path;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

fn valid_state() -> Vec<u8> {
    encode(&rich_state("fuzz-lineage".into(), 3)).expect("encodes")
}

fn valid_journal() -> (Vec<u8>, Vec<JournalRecord>) {
    let s = rich_state("fuzz-lineage".into(), 3);
    let mut records = vec![JournalRecord::Intent { addr: ResourceAddr::managed("fake_thing", "n"), provider: "fake".into(), generation: 1 }];
    for r in s.resources.values() {
        records.push(JournalRecord::Put(Box::new(r.clone())));
    }
    records.push(JournalRecord::Remove { addr: ResourceAddr::managed("fake_thing", "plain") });
    records.push(JournalRecord::Abandon { addr: ResourceAddr::managed("fake_thing", "n") });
    let mut bytes = Vec::new();
    let header = r#"{"journal_format":1,"lineage":"fuzz-lineage","base_serial":3}"#;
    bytes.extend(frame_line(header.as_bytes()));
    bytes.extend(encode_records(&records).expect("encodes"));
    (bytes, records)
}

/// Frames one line the way the journal does: `<len> <sha256[..16] hex> <json>\n`.
fn frame_line(json: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(json)[..16].iter().map(|b| format!("{b:02x}")).collect();
    let mut out = format!("{} {hash} ", json.len()).into_bytes();
    out.extend_from_slice(json);
    out.push(b'\n');
    out
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(b"null".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"{".to_vec()),
        Just(b"[".to_vec()),
        Just(b"}".to_vec()),
        Just(b"1e999999".to_vec()),
        Just(b"-0".to_vec()),
        Just(b"18446744073709551616".to_vec()),
        Just(b"\\u0000".to_vec()),
        Just(b"\\ud800".to_vec()),
        Just(b"\n".to_vec()),
        Just(b" 99999999999999999999 ".to_vec()),
        Just(vec![0xff, 0xfe]),
        proptest::collection::vec(any::<u8>(), 0..16),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), interesting).prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 0usize..256).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let at = |i: usize, len: usize| i % (len + 1);
    match m {
        Mutation::Flip(i, b) => {
            let len = bytes.len();
            bytes[i % len] ^= b | 1;
        }
        Mutation::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
        Mutation::Insert(i, v) => {
            let p = at(*i, bytes.len());
            bytes.splice(p..p, v.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let p = at(*i, bytes.len());
            let end = (p + n).min(bytes.len());
            bytes.drain(p..end);
        }
        Mutation::Duplicate(i, n) => {
            let p = at(*i, bytes.len());
            let end = (p + n).min(bytes.len());
            let slice = bytes[p..end].to_vec();
            bytes.splice(p..p, slice);
        }
    }
}

fn check_state_bytes(bytes: &[u8]) {
    let _ = decode_header(bytes, "fuzz");
    if let Ok(s) = decode(bytes, "fuzz") {
        let again = encode(&s).expect("a decoded state encodes");
        let back = decode(&again, "fuzz").expect("and decodes again");
        assert_eq!(back, s, "re-encoding a decoded state is lossless");
        for r in s.resources.values() {
            let _ = r.value();
        }
    }
}

fn check_journal_bytes(bytes: &[u8], written: Option<&[JournalRecord]>) {
    if let Ok(c) = journal::decode(bytes, Path::new("fuzz")) {
        if let Some(written) = written {
            for r in &c.records {
                assert!(written.contains(r), "a record that was never written came out: {r:?}");
            }
        }
        let mut s = State::new();
        s.lineage = c.header.lineage.clone();
        s.serial = c.header.base_serial;
        if let Ok(summary) = replay(&mut s, &c, "fuzz") {
            assert!(summary.puts + summary.removes <= c.records.len());
        }
    }
}

fn mutated_state(muts: &[Mutation]) {
    let mut bytes = valid_state();
    for m in muts {
        apply(&mut bytes, m);
    }
    check_state_bytes(&bytes);
}

fn mutated_journal(muts: &[Mutation]) {
    let (mut bytes, written) = valid_journal();
    for m in muts {
        apply(&mut bytes, m);
    }
    check_journal_bytes(&bytes, Some(&written));
}

type ValueCase = (String, String, i64, f64);

fn value_case() -> impl Strategy<Value = ValueCase> {
    ("[a-z_][a-z0-9_]{0,12}", any::<String>(), any::<i64>(), any::<f64>())
}

fn value_round_trip((name, text, n, f): ValueCase) -> Result<(), TestCaseError> {
    let v = Value::map([("t", Value::string(text)), ("n", Value::int(n)), ("s", Value::string("x").mark_sensitive())]);
    let mut rs = ResourceState::from_value(ResourceAddr::managed("fake_thing", name), "fake", &v, vec![]).expect("known");
    rs.attributes["f"] = serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number);
    let records = vec![JournalRecord::Put(Box::new(rs))];
    let (mut bytes, _) = valid_journal();
    bytes.extend(encode_records(&records).expect("encodes"));
    let c = journal::decode(&bytes, Path::new("fuzz")).expect("decodes");
    prop_assert_eq!(c.records.last(), records.last());
    Ok(())
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..2048)
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(mutation(), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn state_decoder_survives_arbitrary_bytes(b in bytes()) {
        check_state_bytes(&b);
    }

    #[test]
    fn state_decoder_survives_mutated_valid_states(muts in mutations()) {
        mutated_state(&muts);
    }

    #[test]
    fn journal_reader_survives_arbitrary_bytes(b in bytes()) {
        check_journal_bytes(&b, None);
    }

    #[test]
    fn journal_reader_never_misreads_a_damaged_journal(muts in mutations()) {
        mutated_journal(&muts);
    }

    #[test]
    fn arbitrary_resource_values_round_trip_through_the_journal(case in value_case()) {
        value_round_trip(case)?;
    }
}

/// Runs `test` on cases of `strategy` in batches until `secs` have passed;
/// returns the number of cases. Panics with the (shrunk) failing input.
fn run_for<S: Strategy>(name: &str, secs: u64, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) -> u64 {
    use proptest::test_runner::{Config, TestRunner};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut total = 0u64;
    while std::time::Instant::now() < deadline {
        // A runner counts its successes: a fresh one (random seed) per batch.
        let mut runner = TestRunner::new(Config { cases: 2_000, failure_persistence: None, ..Config::default() });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{name}: {e}");
        }
        total += 2_000;
    }
    total
}

/// The long run (issue 9: each target 10 minutes):
/// `CONTIN_FUZZ_SECS=600 cargo nextest run --release -p contin-state --test fuzz_decoders timed --no-capture`
/// runs every target above for that long, one after the other
/// (`CONTIN_FUZZ_TARGET=name` picks one), and prints the case counts.
/// Without `CONTIN_FUZZ_SECS` it does nothing (the proptest cases above run).
#[test]
fn timed_fuzz_run() {
    let Some(secs) = std::env::var("CONTIN_FUZZ_SECS").ok().and_then(|v| v.parse::<u64>().ok()) else { return };
    let only = std::env::var("CONTIN_FUZZ_TARGET").ok();
    let pick = |n: &str| only.as_deref().is_none_or(|o| o == n);
    let mut report = Vec::new();
    if pick("state_decoder_survives_arbitrary_bytes") {
        report.push(("state_decoder_survives_arbitrary_bytes", run_for("state bytes", secs, bytes(), |b| {
            check_state_bytes(&b);
            Ok(())
        })));
    }
    if pick("state_decoder_survives_mutated_valid_states") {
        report.push(("state_decoder_survives_mutated_valid_states", run_for("state mutations", secs, mutations(), |m| {
            mutated_state(&m);
            Ok(())
        })));
    }
    if pick("journal_reader_survives_arbitrary_bytes") {
        report.push(("journal_reader_survives_arbitrary_bytes", run_for("journal bytes", secs, bytes(), |b| {
            check_journal_bytes(&b, None);
            Ok(())
        })));
    }
    if pick("journal_reader_never_misreads_a_damaged_journal") {
        report.push(("journal_reader_never_misreads_a_damaged_journal", run_for("journal mutations", secs, mutations(), |m| {
            mutated_journal(&m);
            Ok(())
        })));
    }
    if pick("arbitrary_resource_values_round_trip_through_the_journal") {
        report.push(("arbitrary_resource_values_round_trip_through_the_journal", run_for("values", secs, value_case(), value_round_trip)));
    }
    for (name, n) in report {
        eprintln!("fuzz {name}: {n} cases in {secs} s, no failure");
    }
}

/// Found by `arbitrary_resource_values_round_trip_through_the_journal`:
/// serde_json's default float parser is off by one ULP for some values, so
/// a stored float drifted on every load (a spurious diff). contin-state
/// enables serde_json's `float_roundtrip`.
#[test]
fn floats_round_trip_exactly_through_state_and_journal() {
    for f in [-2.149468620728729e61, 0.1 + 0.2, 1e-300, f64::MAX, 5e-324] {
        let mut s = rich_state("L".into(), 1);
        let r = s.resources.values_mut().next().expect("resource");
        r.attributes["f"] = serde_json::Value::Number(serde_json::Number::from_f64(f).expect("finite"));
        let back = decode(&encode(&s).expect("encodes"), "f").expect("decodes");
        assert_eq!(back, s, "{f:e} survives the state codec");
        let rec = JournalRecord::Put(Box::new(s.resources.values().next().expect("r").clone()));
        let (mut bytes, _) = valid_journal();
        bytes.extend(encode_records(std::slice::from_ref(&rec)).expect("encodes"));
        assert_eq!(journal::decode(&bytes, Path::new("f")).expect("decodes").records.last(), Some(&rec), "{f:e} survives the journal");
    }
}

#[test]
fn deeply_nested_documents_are_refused_without_overflowing_the_stack() {
    for depth in [200usize, 10_000, 1_000_000] {
        let doc = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(decode(doc.as_bytes(), "deep").is_err());
        let inner = format!(r#"{{"version":1,"lineage":"l","serial":1,"resources":[{{"addr":"a.b","provider":"p","attributes":{}{}}}]}}"#, "[".repeat(depth), "]".repeat(depth));
        assert!(decode(inner.as_bytes(), "deep").is_err());
        let mut j = valid_journal().0;
        let rec = format!(r#"{{"put":{{"addr":"a.b","provider":"p","attributes":{}{}}}}}"#, "[".repeat(depth), "]".repeat(depth));
        j.extend(frame_line(rec.as_bytes()));
        let err = journal::decode(&j, Path::new("deep")).expect_err("a checked line that does not parse is an error");
        assert!(err.to_string().contains("does not parse"), "{err}");
    }
}
