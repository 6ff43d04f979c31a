//! The plan file (`contin plan -out FILE`): a versioned, checksummed envelope
//! around the serde JSON of `Plan`.
//!
//! Layout (text, UTF-8):
//! ```text
//! contin-plan\n
//! <format_version>\n
//! sha256:<hex of the body>\n
//! <body: serde JSON of Plan>
//! ```
//! Versions: 1 (no deposed objects) and 2 (`Plan::deposed`, written now).
//! A version-1 file is a version-2 file without deposed changes, so both load.
//!
//! Plan files hold sensitive values in clear (apply needs them, as with
//! Terraform): treat them like the state file.

use crate::plan::{Plan, PLAN_FORMAT_VERSION};
use sha2::{Digest, Sha256};

const MAGIC: &[u8] = b"contin-plan\n";

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("not a contin plan file (it does not start with \"contin-plan\"); give the file written by `contin plan -out FILE`")]
    NotAPlanFile,
    #[error("plan file format version {found} is not supported by this contin (it reads versions 1 to {supported}); use the contin version that wrote it, or plan again")]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("plan file is corrupted or truncated: {reason}; run `contin plan -out FILE` again")]
    Corrupted { reason: String },
}

/// Serializes a plan into the plan file format.
pub fn encode_plan(plan: &Plan) -> Vec<u8> {
    // Serializing derive-only types into a Vec cannot fail (string map keys, no
    // custom serializers that error); fall back to an empty body just in case,
    // which decode reports as corrupted rather than panicking.
    let body = serde_json::to_vec(plan).unwrap_or_default();
    let digest = hex::encode(Sha256::digest(&body));
    let mut out = Vec::with_capacity(body.len() + 96);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(format!("{PLAN_FORMAT_VERSION}\nsha256:{digest}\n").as_bytes());
    out.extend_from_slice(&body);
    out
}

/// Reads a plan file written by `encode_plan` (this or an older format version).
pub fn decode_plan(bytes: &[u8]) -> Result<Plan, PlanFileError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(PlanFileError::NotAPlanFile)?;
    let (version_line, rest) = split_line(rest).ok_or_else(|| corrupted("missing format version line"))?;
    let found: u32 = std::str::from_utf8(version_line)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| corrupted("the format version line is not a number"))?;
    if found == 0 || found > PLAN_FORMAT_VERSION {
        return Err(PlanFileError::UnsupportedVersion { found, supported: PLAN_FORMAT_VERSION });
    }
    let (sum_line, body) = split_line(rest).ok_or_else(|| corrupted("missing checksum line"))?;
    let expected = sum_line.strip_prefix(b"sha256:").ok_or_else(|| corrupted("missing checksum line"))?;
    let actual = hex::encode(Sha256::digest(body));
    if expected != actual.as_bytes() {
        return Err(corrupted("checksum mismatch (the file was cut short or modified)"));
    }
    let plan: Plan = serde_json::from_slice(body).map_err(|e| corrupted(&format!("invalid body: {e}")))?;
    if plan.format_version != found {
        return Err(corrupted("format version in the header and in the body differ"));
    }
    Ok(plan)
}

fn corrupted(reason: &str) -> PlanFileError {
    PlanFileError::Corrupted { reason: reason.to_string() }
}

fn split_line(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = b.iter().position(|&c| c == b'\n')?;
    Some((&b[..i], &b[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, ChangeReason, DeposedChange, OutputChange, PlanMode, ResourceChange, ResourceDrift, Unreachable};
    use contin_types::value::PathStep;
    use contin_types::{InstanceKey, Number, ResourceAddr, SourceMap, Value};
    use std::collections::BTreeMap;
    use std::str::FromStr;

    fn sample() -> Plan {
        let big = Number::from_str("123456789012345678901234567890.000000000000000000001").unwrap();
        let after = Value::map([
            ("id", Value::Unknown),
            ("password", Value::string("hunter2").mark_sensitive()),
            ("ports", Value::set(vec![Value::int(443), Value::int(22)])),
            ("big", Value::Number(big)),
            ("neg", Value::Number(Number::from_str("-1e-30").unwrap())),
            ("list", Value::List(vec![Value::Null, Value::Bool(true), Value::Unknown])),
            ("nested", Value::map([("s", Value::map([("x", Value::string("y"))]).mark_sensitive())])),
        ]);
        let mut sources = SourceMap::default();
        sources.add("main.hcl", "resource \"fake_resource\" \"a\" {}\n");
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            mode: PlanMode::Normal,
            lineage: Some("4e1c7d7a-0000-4000-8000-000000000001".into()),
            base_serial: Some(7),
            config_hash: "abc".into(),
            sources,
            variables: BTreeMap::from([("pw".to_string(), Value::string("s3cret").mark_sensitive())]),
            targets: vec!["fake_resource.a".into()],
            changes: vec![ResourceChange {
                addr: ResourceAddr::managed("fake_resource", "a").with_key(InstanceKey::Str("k".into())),
                provider: "fake".into(),
                action: Action::Replace,
                before: Some(Value::map([("id", Value::string("1"))])),
                after: Some(after),
                replace_paths: vec![vec![PathStep::Key("ports".into()), PathStep::Index(0)]],
                reason: Some(ChangeReason::CannotUpdate),
                depends_on: vec![ResourceAddr::managed("fake_resource", "b")],
                create_before_destroy: true,
                prevent_destroy: false,
            }],
            drift: vec![ResourceDrift { addr: ResourceAddr::managed("fake_resource", "b"), recorded: Value::int(1), current: None }],
            outputs: BTreeMap::from([(
                "o".to_string(),
                OutputChange { action: Action::Create, before: None, after: Some(Value::Unknown), sensitive: true },
            )]),
            unreachable: vec![Unreachable { addr: ResourceAddr::managed("host", "h"), reason: "timed out".into() }],
            deposed: vec![DeposedChange {
                key: "00c0ffee".into(),
                change: ResourceChange {
                    addr: ResourceAddr::managed("fake_resource", "a").with_key(InstanceKey::Str("k".into())),
                    provider: "fake".into(),
                    action: Action::Delete,
                    before: Some(Value::map([("id", Value::string("0")), ("pw", Value::string("old").mark_sensitive())])),
                    after: None,
                    replace_paths: vec![],
                    reason: None,
                    depends_on: vec![ResourceAddr::managed("fake_resource", "b")],
                    create_before_destroy: false,
                    prevent_destroy: false,
                },
            }],
            language: Default::default(),
        }
    }

    #[test]
    fn round_trips_unknown_sensitive_sets_and_big_numbers() {
        let plan = sample();
        let bytes = encode_plan(&plan);
        assert!(bytes.starts_with(b"contin-plan\n2\nsha256:"));
        let back = decode_plan(&bytes).expect("decodes");
        assert_eq!(back, plan);
        // Precision survives: compare the printed number, not a float.
        let big = back.changes[0].after.as_ref().and_then(|v| v.get_path(&[PathStep::Key("big".into())])).cloned();
        assert_eq!(
            big.map(|v| match v {
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            }),
            Some("123456789012345678901234567890.000000000000000000001".to_string())
        );
    }

    #[test]
    fn version_1_files_still_load_without_deposed_changes() {
        // A version-1 file: the body has no `deposed` field.
        let mut plan = sample();
        plan.deposed.clear();
        plan.format_version = 1;
        let body = serde_json::to_vec(&plan).unwrap();
        assert!(!body.windows(7).any(|w| w == b"deposed"), "an empty list is omitted");
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(format!("1\nsha256:{}\n", hex::encode(Sha256::digest(&body))).as_bytes());
        bytes.extend_from_slice(&body);
        let back = decode_plan(&bytes).expect("version 1 decodes");
        assert_eq!(back, plan);
        assert!(back.deposed.is_empty());
        // And the checked-in fixtures (written by a version-1 contin).
        for f in [&include_bytes!("../tests/fixtures/create.plan")[..], &include_bytes!("../tests/fixtures/drift.plan")[..]] {
            let p = decode_plan(f).expect("fixture decodes");
            assert_eq!(p.format_version, 1);
            assert!(p.deposed.is_empty());
        }
    }

    #[test]
    fn deposed_changes_round_trip_with_their_marks() {
        let plan = sample();
        let back = decode_plan(&encode_plan(&plan)).expect("decodes");
        assert_eq!(back.deposed, plan.deposed);
        let before = back.deposed[0].change.before.as_ref().unwrap();
        assert!(before.get_path(&[PathStep::Key("pw".into())]).unwrap().is_sensitive());
        assert_eq!(back.deposed[0].display_addr(), "fake_resource.a[\"k\"] (deposed object 00c0ffee)");
    }

    #[test]
    fn rejects_other_files() {
        let err = decode_plan(b"{\"version\": 1}").unwrap_err();
        assert!(matches!(err, PlanFileError::NotAPlanFile), "{err}");
        assert!(err.to_string().contains("not a contin plan file"));
        assert!(matches!(decode_plan(b""), Err(PlanFileError::NotAPlanFile)));
    }

    #[test]
    fn rejects_newer_version() {
        let mut bytes = encode_plan(&sample());
        let v = format!("{}", PLAN_FORMAT_VERSION + 1);
        bytes.splice(MAGIC.len()..MAGIC.len() + 1, v.bytes());
        let err = decode_plan(&bytes).unwrap_err();
        assert!(
            matches!(err, PlanFileError::UnsupportedVersion { found, supported } if found == PLAN_FORMAT_VERSION + 1 && supported == PLAN_FORMAT_VERSION),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("version {} is not supported", PLAN_FORMAT_VERSION + 1)), "{err}");
    }

    #[test]
    fn rejects_truncated_and_modified_bodies() {
        let bytes = encode_plan(&sample());
        for cut in [bytes.len() - 1, bytes.len() / 2, MAGIC.len() + 2, MAGIC.len()] {
            let err = decode_plan(&bytes[..cut]).unwrap_err();
            assert!(matches!(err, PlanFileError::Corrupted { .. }), "cut at {cut}: {err}");
        }
        // Same length, one byte flipped inside the JSON: still valid JSON maybe, but the checksum catches it.
        let mut flipped = bytes.clone();
        let pos = flipped.windows(4).position(|w| w == b"fake").expect("provider name in body");
        flipped[pos] = b'F';
        let err = decode_plan(&flipped).unwrap_err();
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
        // A version line that is not a number.
        let mut bad = MAGIC.to_vec();
        bad.extend_from_slice(b"one\n");
        assert!(matches!(decode_plan(&bad), Err(PlanFileError::Corrupted { .. })));
    }

    #[test]
    fn body_json_that_is_not_a_plan_is_corrupted() {
        let body = b"{\"hello\": 1}";
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(format!("1\nsha256:{}\n", hex::encode(Sha256::digest(body))).as_bytes());
        bytes.extend_from_slice(body);
        let err = decode_plan(&bytes).unwrap_err();
        assert!(err.to_string().contains("invalid body"), "{err}");
    }
}
