//! The on-disk JSON form of `State` and the write-precondition check, shared
//! by every backend so they accept and refuse exactly the same documents.
//!
//! Format: JSON, one line per resource. The top-level object, the
//! `resources` list and the `outputs` / `sites` maps are laid out one entry
//! per line (2-space indent); everything inside an entry is compact. Keys
//! come in a fixed order and resources sorted by address, so a change to one
//! resource is a one-line diff, and the file is ~35% smaller and twice as
//! fast to write as fully pretty JSON (10,000 resources: one `serde_json`
//! pass into a `Vec`, ~10 ms in release; see contin-state-local's bench).

use crate::{State, StateError, STATE_VERSION};
use serde::Deserialize;

/// The three top-level fields a backend needs to decide whether a write may
/// proceed, read without building the resources.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StateHeader {
    pub version: u32,
    pub lineage: String,
    pub serial: u64,
}

impl From<&State> for StateHeader {
    fn from(s: &State) -> Self {
        StateHeader { version: s.version, lineage: s.lineage.clone(), serial: s.serial }
    }
}

/// Serializes `state` to the bytes a backend stores.
pub fn encode(state: &State) -> Result<Vec<u8>, StateError> {
    // Rough pre-size: avoids repeated reallocation on large states.
    let mut out = Vec::with_capacity(4096 + state.resources.len() * 512);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, LineFormatter::default());
    serde::Serialize::serialize(state, &mut ser)
        .map_err(|e| StateError::Other(format!("cannot serialize state: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// Parses stored bytes. Empty or malformed → `Corrupt` (with serde's line and
/// column); a document whose `version` is newer than `STATE_VERSION` →
/// `TooNew` even when the rest does not match today's model.
pub fn decode(bytes: &[u8], location: &str) -> Result<State, StateError> {
    check_not_blank(bytes, location)?;
    if bytes.len() >= PARALLEL_DECODE_MIN_BYTES {
        if let Some(state) = decode_parallel(bytes) {
            state.validate(location)?;
            return Ok(state);
        }
        // Anything unusual (a syntax error, a duplicate): the serial decode
        // below gives the exact error with its line and column.
    }
    match serde_json::from_slice::<State>(bytes) {
        Ok(state) => {
            state.validate(location)?;
            Ok(state)
        }
        Err(full_err) => {
            // A newer format may not fit our model: report the version, not the shape.
            if let Ok(h) = serde_json::from_slice::<StateHeader>(bytes) {
                too_new(&h, location)?;
            }
            Err(StateError::Corrupt { location: location.to_string(), reason: format!("invalid JSON: {full_err}") })
        }
    }
}

/// Documents at least this large decode their resources on several threads
/// (a 100,000-resource state is ~40 MB; one thread takes ~0.45 s for it).
const PARALLEL_DECODE_MIN_BYTES: usize = 4 << 20;

/// `State` with each resource left as raw JSON (same fields and defaults).
#[derive(Deserialize)]
struct SplitState<'a> {
    version: u32,
    lineage: String,
    serial: u64,
    #[serde(borrow)]
    resources: Vec<&'a serde_json::value::RawValue>,
    #[serde(default)]
    outputs: std::collections::BTreeMap<String, crate::OutputState>,
    #[serde(default)]
    sites: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    edge: Option<crate::EdgeState>,
}

/// One pass finds each resource's raw text, then the resources are decoded
/// on one scoped thread per core. `None` on any error or duplicate address
/// (the caller's serial decode then reports it exactly).
fn decode_parallel(bytes: &[u8]) -> Option<State> {
    let split: SplitState<'_> = serde_json::from_slice(bytes).ok()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let per_thread = split.resources.len().div_ceil(threads).max(1);
    let parts: Vec<Option<Vec<crate::ResourceState>>> = std::thread::scope(|s| {
        let handles: Vec<_> = split
            .resources
            .chunks(per_thread)
            .map(|chunk| s.spawn(move || chunk.iter().map(|r| serde_json::from_str(r.get()).ok()).collect::<Option<Vec<_>>>()))
            .collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    });
    let mut resources = std::collections::BTreeMap::new();
    for r in parts.into_iter().collect::<Option<Vec<_>>>()?.into_iter().flatten() {
        let addr = r.addr.clone();
        if resources.insert(addr, r).is_some() {
            return None;
        }
    }
    Some(State { version: split.version, lineage: split.lineage, serial: split.serial, resources, outputs: split.outputs, sites: split.sites, edge: split.edge })
}

/// Parses only `version`, `lineage` and `serial` (the rest is skipped, not
/// built). `TooNew` / `Corrupt` as for `decode`.
pub fn decode_header(bytes: &[u8], location: &str) -> Result<StateHeader, StateError> {
    check_not_blank(bytes, location)?;
    let h = serde_json::from_slice::<StateHeader>(bytes).map_err(|e| StateError::Corrupt {
        location: location.to_string(),
        reason: format!("invalid JSON: {e}"),
    })?;
    too_new(&h, location)?;
    Ok(h)
}

/// Decides whether `state` may replace what is stored (`stored`: header of
/// the current document, `None` when there is none):
/// lineage must match (`LineageMismatch`), the stored serial must equal
/// `expected_serial` (`Conflict`; `None` means "nothing stored yet"), and the
/// new serial must be greater than the stored one (`Other`: caller bug).
pub fn check_write(
    location: &str,
    stored: Option<&StateHeader>,
    state: &State,
    expected_serial: Option<u64>,
) -> Result<(), StateError> {
    state.validate(location)?;
    let Some(stored) = stored else {
        return match expected_serial {
            None => Ok(()),
            Some(_) => Err(StateError::Conflict { location: location.to_string(), expected: expected_serial, found: None }),
        };
    };
    if stored.lineage != state.lineage {
        return Err(StateError::LineageMismatch { stored: stored.lineage.clone(), writing: state.lineage.clone() });
    }
    if expected_serial != Some(stored.serial) {
        return Err(StateError::Conflict {
            location: location.to_string(),
            expected: expected_serial,
            found: Some(stored.serial),
        });
    }
    if state.serial <= stored.serial {
        return Err(StateError::Other(format!(
            "refusing to write serial {} over stored serial {} at {location}: every write must bump the serial",
            state.serial, stored.serial
        )));
    }
    Ok(())
}

/// Containers at this depth or shallower get one entry per line.
const LINE_DEPTH: usize = 2;

/// serde_json formatter: pretty down to `LINE_DEPTH`, compact below.
#[derive(Default)]
struct LineFormatter {
    depth: usize,
    has_value: bool,
}

impl LineFormatter {
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        let lined = self.depth <= LINE_DEPTH;
        self.depth = self.depth.saturating_sub(1);
        if lined && self.has_value {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }
    fn entry<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.depth <= LINE_DEPTH {
            self.newline(w)?;
        }
        Ok(())
    }
    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for LineFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.entry(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.entry(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.depth <= LINE_DEPTH { b": " } else { b":" })
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

fn check_not_blank(bytes: &[u8], location: &str) -> Result<(), StateError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(StateError::Corrupt {
            location: location.to_string(),
            reason: format!("the document is empty ({} bytes)", bytes.len()),
        });
    }
    Ok(())
}

fn too_new(h: &StateHeader, location: &str) -> Result<(), StateError> {
    if h.version > STATE_VERSION {
        return Err(StateError::TooNew { location: location.to_string(), found: h.version, supported: STATE_VERSION });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OutputState, ResourceState};
    use contin_types::{InstanceKey, ResourceAddr, Value};

    fn sample() -> State {
        let mut s = State::new();
        s.serial = 3;
        for (i, name) in ["b", "a"].iter().enumerate() {
            let addr = ResourceAddr::managed("fake_thing", *name).with_key(InstanceKey::Int(i as i64));
            let v = Value::map([("id", Value::string(format!("id-{name}"))), ("secret", Value::string("s").mark_sensitive())]);
            let r = ResourceState::from_value(addr.clone(), "fake", &v, vec![]).expect("known");
            s.resources.insert(addr, r);
        }
        s.outputs.insert("o".into(), OutputState { value: serde_json::json!([1, 2]), sensitive: true });
        s
    }

    #[test]
    fn encode_decode_round_trip() {
        let s = sample();
        let bytes = encode(&s).expect("encodes");
        assert!(bytes.ends_with(b"}\n"));
        let text = std::str::from_utf8(&bytes).expect("utf8");
        // Fixed key order, resources sorted by address.
        let v = text.find("\"version\"").expect("version");
        let l = text.find("\"lineage\"").expect("lineage");
        let se = text.find("\"serial\"").expect("serial");
        assert!(v < l && l < se, "header first:\n{text}");
        assert!(text.find("fake_thing.a[1]").expect("a") < text.find("fake_thing.b[0]").expect("b"));
        assert_eq!(decode(&bytes, "s.json").expect("decodes"), s);
        // Also readable when a human or another tool reformatted it.
        let pretty = serde_json::to_vec_pretty(&s).expect("pretty");
        assert_eq!(decode(&pretty, "s.json").expect("decodes pretty"), s);
        assert_eq!(decode_header(&bytes, "s.json").expect("header"), StateHeader::from(&s));
    }

    /// A state past PARALLEL_DECODE_MIN_BYTES (decoded on several threads).
    fn big() -> State {
        let mut s = sample();
        s.sites.insert("edge".into(), serde_json::json!({"labels": {"gpu": true}}));
        for i in 0..20_000 {
            let addr = ResourceAddr::managed("fake_thing", "big").with_key(InstanceKey::Int(i));
            let v = Value::map([("id", Value::string(format!("id-{i}"))), ("payload", Value::string("x".repeat(200))), ("secret", Value::string("s").mark_sensitive())]);
            let mut r = ResourceState::from_value(addr.clone(), "fake", &v, vec![ResourceAddr::managed("fake_thing", "a")]).expect("known");
            r.generation = i as u64;
            s.resources.insert(addr, r);
        }
        s
    }

    #[test]
    fn a_big_state_decodes_on_several_threads_exactly_as_on_one() {
        let s = big();
        let bytes = encode(&s).expect("encodes");
        assert!(bytes.len() >= PARALLEL_DECODE_MIN_BYTES, "{}", bytes.len());
        assert_eq!(decode_parallel(&bytes).as_ref(), Some(&s));
        assert_eq!(decode(&bytes, "s.json").expect("decodes"), s);
        assert_eq!(serde_json::from_slice::<State>(&bytes).expect("serial"), s);
    }

    #[test]
    fn a_big_state_with_a_duplicate_or_a_bad_resource_fails_like_a_small_one() {
        let text = String::from_utf8(encode(&big()).expect("encodes")).expect("utf8");
        // The same resource twice.
        let line = text.lines().find(|l| l.contains("fake_thing.big[7]\"")).expect("line").trim_end_matches(',').to_string();
        let dup = text.replacen(&format!("{line},"), &format!("{line},\n    {line},"), 1);
        let e = decode(dup.as_bytes(), "s.json").expect_err("duplicate");
        assert!(e.to_string().contains("appears twice"), "{e}");
        // A resource with a wrong type: the serial decode's line and column.
        let bad = text.replacen("\"generation\":7}", "\"generation\":\"seven\"}", 1);
        assert_ne!(bad, text);
        let e = decode(bad.as_bytes(), "s.json").expect_err("bad type");
        let msg = e.to_string();
        assert!(msg.contains("invalid type") && msg.contains("line "), "{msg}");
    }

    #[test]
    fn one_line_per_resource_layout() {
        let mut s = sample();
        s.lineage = "L".into();
        s.sites.insert("edge".into(), serde_json::json!({"labels": {"gpu": true}, "parent": null}));
        let text = String::from_utf8(encode(&s).expect("encodes")).expect("utf8");
        let expected = r#"{
  "version": 1,
  "lineage": "L",
  "serial": 3,
  "resources": [
    {"addr":"fake_thing.a[1]","provider":"fake","schema_version":0,"attributes":{"id":"id-a","secret":"s"},"sensitive_paths":[[{"Key":"secret"}]],"dependencies":[],"status":"ready","create_before_destroy":false,"generation":0},
    {"addr":"fake_thing.b[0]","provider":"fake","schema_version":0,"attributes":{"id":"id-b","secret":"s"},"sensitive_paths":[[{"Key":"secret"}]],"dependencies":[],"status":"ready","create_before_destroy":false,"generation":0}
  ],
  "outputs": {
    "o": {"value":[1,2],"sensitive":true}
  },
  "sites": {
    "edge": {"labels":{"gpu":true},"parent":null}
  }
}
"#;
        assert_eq!(text, expected);
        let empty = State { lineage: "L".into(), ..State::new() };
        let text = String::from_utf8(encode(&empty).expect("encodes")).expect("utf8");
        assert_eq!(
            text,
            "{\n  \"version\": 1,\n  \"lineage\": \"L\",\n  \"serial\": 0,\n  \"resources\": [],\n  \"outputs\": {},\n  \"sites\": {}\n}\n"
        );
    }

    #[test]
    fn edge_bookkeeping_round_trips_survives_journal_recovery_and_hides_its_key() {
        let mut s = sample();
        let plain = String::from_utf8(encode(&s).expect("encodes")).expect("utf8");
        assert!(!plain.contains("\"edge\""), "absent edge section is omitted:\n{plain}");
        let mut sites = std::collections::BTreeMap::new();
        sites.insert("f7".to_string(), crate::EdgeSiteState { generation: 3, spec_hashes: vec!["ab".into()], children: vec!["l1".into()] });
        s.edge = Some(crate::EdgeState { deployment_key: "SECRET-KEY".into(), public_key: "PUB".into(), sites });
        let bytes = encode(&s).expect("encodes");
        let back = decode(&bytes, "s.json").expect("decodes");
        assert_eq!(back, s);
        assert!(!format!("{:?}", back).contains("SECRET-KEY"), "Debug never shows the key");
        // Recovering a journal on top of the stored state keeps the section.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let j = crate::journal::FileJournal::create(&path, &s.lineage, s.serial).expect("journal");
        drop(j);
        let contents = crate::journal::FileJournal::read(&path).expect("read").expect("exists");
        let (recovered, _) = crate::journal::recover(Some(s.clone()), &contents, "j").expect("recover");
        assert_eq!(recovered.edge, s.edge);
    }

    #[test]
    fn documents_without_deposed_or_lock_fields_still_load() {
        // Written by a contin before deposed objects existed.
        let old = r#"{"version":1,"lineage":"L","serial":2,"resources":[
            {"addr":"fake_thing.a","provider":"fake","attributes":{"id":"x"},"status":"tainted"}]}"#;
        let s = decode(old.as_bytes(), "old.json").expect("old document loads");
        let r = s.resources.values().next().expect("one resource");
        assert!(r.deposed.is_empty());
        assert_eq!(r.status, crate::ResourceStatus::Tainted);
        assert_eq!(s.version, STATE_VERSION, "the format version did not change");
    }

    #[test]
    fn deposed_objects_round_trip_and_are_omitted_when_empty() {
        let mut s = sample();
        let text = String::from_utf8(encode(&s).expect("encodes")).expect("utf8");
        assert!(!text.contains("deposed"), "empty list omitted:\n{text}");
        let r = s.resources.values_mut().next().expect("resource");
        r.deposed.push(crate::DeposedObject {
            key: "00c0ffee".into(),
            attributes: serde_json::json!({"id": "old", "secret": "s"}),
            sensitive_paths: vec![vec![contin_types::value::PathStep::Key("secret".into())]],
            generation: 1,
        });
        let bytes = encode(&s).expect("encodes");
        let text = std::str::from_utf8(&bytes).expect("utf8");
        assert!(text.contains(r#""deposed":[{"key":"00c0ffee","attributes":{"id":"old","secret":"s"}"#), "{text}");
        assert_eq!(decode(&bytes, "s.json").expect("decodes"), s);
    }

    #[test]
    fn truncated_and_empty_are_corrupt_with_position() {
        let bytes = encode(&sample()).expect("encodes");
        let cut = &bytes[..bytes.len() / 2];
        match decode(cut, "dir/s.json") {
            Err(e @ StateError::Corrupt { .. }) => {
                let msg = e.to_string();
                assert!(msg.starts_with("state at dir/s.json is corrupted: invalid JSON: "), "{msg}");
                assert!(msg.contains("line") && msg.contains("column"), "position in: {msg}");
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        for blank in [&b""[..], b"  \n"] {
            assert!(
                matches!(decode(blank, "s.json"), Err(StateError::Corrupt { reason, .. }) if reason.contains("empty")),
                "blank input must be Corrupt"
            );
        }
        assert!(matches!(decode(b"[1,2]", "s.json"), Err(StateError::Corrupt { .. })));
        assert!(matches!(decode_header(b"{\"version\":1", "s.json"), Err(StateError::Corrupt { .. })));
    }

    #[test]
    fn newer_version_is_too_new_even_with_unknown_shape() {
        let doc = format!(
            r#"{{"version": {}, "lineage": "l", "serial": 9, "resources": {{"new": "shape"}}}}"#,
            STATE_VERSION + 1
        );
        for r in [decode(doc.as_bytes(), "s.json").map(|_| ()), decode_header(doc.as_bytes(), "s.json").map(|_| ())] {
            match r {
                Err(StateError::TooNew { found, supported, .. }) => assert_eq!((found, supported), (STATE_VERSION + 1, STATE_VERSION)),
                other => panic!("expected TooNew, got {other:?}"),
            }
        }
    }

    #[test]
    fn write_preconditions() {
        let mut s = sample();
        let stored = StateHeader::from(&s);
        s.serial = 4;
        check_write("s", Some(&stored), &s, Some(3)).expect("matching serial");
        assert!(matches!(
            check_write("s", Some(&stored), &s, Some(2)),
            Err(StateError::Conflict { expected: Some(2), found: Some(3), .. })
        ));
        assert!(matches!(check_write("s", Some(&stored), &s, None), Err(StateError::Conflict { expected: None, found: Some(3), .. })));
        assert!(matches!(check_write("s", None, &s, Some(3)), Err(StateError::Conflict { expected: Some(3), found: None, .. })));
        check_write("s", None, &s, None).expect("first write");
        let mut other = s.clone();
        other.lineage = "other".into();
        assert!(matches!(check_write("s", Some(&stored), &other, Some(3)), Err(StateError::LineageMismatch { .. })));
        s.serial = 3;
        let err = check_write("s", Some(&stored), &s, Some(3)).expect_err("serial not bumped");
        assert!(err.to_string().contains("must bump the serial"), "{err}");
    }
}
