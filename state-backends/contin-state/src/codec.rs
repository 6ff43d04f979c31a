//! The on-disk JSON form of `State` and the write-precondition check, shared
//! by every backend so they accept and refuse exactly the same documents.
//!
//! Format: pretty-printed JSON (2-space indent, trailing newline), keys in a
//! fixed order, resources sorted by address: stable and diffable, like
//! Terraform's state. Encoding a 10,000-resource state (~4 MB) is one
//! `serde_json` pass into a `Vec` (a few ms in release).

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
    serde_json::to_writer_pretty(&mut out, state)
        .map_err(|e| StateError::Other(format!("cannot serialize state: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// Parses stored bytes. Empty or malformed → `Corrupt` (with serde's line and
/// column); a document whose `version` is newer than `STATE_VERSION` →
/// `TooNew` even when the rest does not match today's model.
pub fn decode(bytes: &[u8], location: &str) -> Result<State, StateError> {
    check_not_blank(bytes, location)?;
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
        assert_eq!(decode_header(&bytes, "s.json").expect("header"), StateHeader::from(&s));
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
