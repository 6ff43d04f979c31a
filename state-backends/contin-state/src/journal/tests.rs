use super::*;
use contin_types::{InstanceKey, Value};

fn addr(name: &str) -> ResourceAddr {
    ResourceAddr::managed("fake_thing", name).with_key(InstanceKey::Int(0))
}

fn rs(name: &str, id: &str) -> ResourceState {
    let v = Value::map([
        ("id", Value::string(id)),
        ("secret", Value::string("s").mark_sensitive()),
    ]);
    let mut r = ResourceState::from_value(addr(name), "fake", &v, vec![]).expect("known");
    r.generation = 1;
    r
}

fn state_with(names: &[&str]) -> State {
    let mut s = State::new();
    s.serial = 7;
    for n in names {
        s.resources.insert(addr(n), rs(n, &format!("old-{n}")));
    }
    s
}

#[test]
fn file_round_trip_and_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("contin.state.json.journal");
    let mut state = state_with(&["a", "gone"]);
    let mut j = FileJournal::create(&path, &state.lineage, 7).expect("create");
    j.append(&[JournalRecord::Intent {
        addr: addr("b"),
        provider: "fake".into(),
        generation: 1,
    }])
    .expect("intent");
    j.append(&[
        JournalRecord::Put(Box::new(rs("b", "new-b"))),
        JournalRecord::Put(Box::new(rs("a", "upd-a"))),
    ])
    .expect("puts");
    j.append(&[JournalRecord::Remove { addr: addr("gone") }])
        .expect("remove");
    j.append(&[]).expect("empty append is a no-op");
    drop(j);
    let contents = FileJournal::read(&path).expect("read").expect("exists");
    assert_eq!(contents.header.base_serial, 7);
    assert_eq!(contents.records.len(), 4);
    assert_eq!(contents.damaged_lines, 0);
    let summary = replay(&mut state, &contents, "j").expect("replay");
    assert_eq!(
        (
            summary.puts,
            summary.removes,
            summary.unresolved_creates.len()
        ),
        (2, 1, 0)
    );
    assert_eq!(state.resources.len(), 2);
    assert_eq!(state.resources[&addr("a")].attributes["id"], "upd-a");
    assert_eq!(state.resources[&addr("b")].attributes["id"], "new-b");
    assert_eq!(state.serial, 7, "replay does not bump the serial");
    FileJournal::remove_file(&path).expect("remove");
    assert!(FileJournal::read(&path).expect("read").is_none());
    FileJournal::remove_file(&path).expect("removing a missing journal is fine");
}

#[cfg(unix)]
#[test]
fn journal_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j");
    std::fs::write(&path, b"old").expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let _j = FileJournal::create(&path, "L", 1).expect("create");
    assert_eq!(
        std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn torn_tail_is_ignored_at_every_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j");
    let state = state_with(&[]);
    let mut j = FileJournal::create(&path, &state.lineage, 7).expect("create");
    j.append(&[JournalRecord::Put(Box::new(rs("a", "A")))])
        .expect("put a");
    let before_b = std::fs::read(&path).expect("read").len();
    j.append(&[JournalRecord::Put(Box::new(rs("b", "B")))])
        .expect("put b");
    drop(j);
    let full = std::fs::read(&path).expect("read");
    // Cut anywhere before its last byte (the newline is not needed: the frame checks out).
    for cut in before_b..full.len() - 1 {
        let c = decode(&full[..cut], &path).expect("decodes");
        assert_eq!(c.records.len(), 1, "cut at {cut}: only the intact record");
        assert_eq!(c.damaged_lines, usize::from(cut > before_b), "cut at {cut}");
    }
    assert_eq!(decode(&full, &path).expect("full").records.len(), 2);
    // A flipped byte inside a record: skipped, never misread.
    let mut flipped = full.clone();
    let pos = before_b + (full.len() - before_b) / 2;
    flipped[pos] ^= 0x01;
    let c = decode(&flipped, &path).expect("decodes");
    assert_eq!((c.records.len(), c.damaged_lines), (1, 1));
    // Garbage in the middle (a torn batch followed by good records) skips only the bad line.
    let mut mid = full[..before_b].to_vec();
    mid.extend_from_slice(b"12 deadbeef {\"put\":\n");
    mid.extend_from_slice(&full[before_b..]);
    let c = decode(&mid, &path).expect("decodes");
    assert_eq!((c.records.len(), c.damaged_lines), (2, 1));
}

#[test]
fn bad_header_and_unparsable_records_are_errors() {
    let p = Path::new("j");
    for bytes in [&b""[..], b"garbage\n", b"5 0123 {}\n"] {
        let err = decode(bytes, p).expect_err("bad header");
        assert!(err.to_string().contains("header"), "{err}");
    }
    let mut b = Vec::new();
    frame(
        br#"{"journal_format":2,"lineage":"L","base_serial":1}"#,
        &mut b,
    );
    assert!(decode(&b, p)
        .expect_err("too new")
        .to_string()
        .contains("upgrade contin"));
    let mut b = Vec::new();
    frame(
        br#"{"journal_format":1,"lineage":"L","base_serial":1}"#,
        &mut b,
    );
    frame(br#"{"teleport":{}}"#, &mut b);
    let err = decode(&b, p).expect_err("valid frame, unknown record");
    assert!(
        err.to_string().contains("line 2") && err.to_string().contains("does not parse"),
        "{err}"
    );
}

#[test]
fn absurd_lengths_are_refused_without_allocating() {
    let line = format!("{} {} x\n", usize::MAX, "0".repeat(HASH_HEX));
    assert!(unframe(line.trim_end().as_bytes()).is_none());
    let line = format!("{} {} x", MAX_RECORD_BYTES + 1, "0".repeat(HASH_HEX));
    assert!(unframe(line.as_bytes()).is_none());
    let big = JournalRecord::Put(Box::new(ResourceState {
        attributes: serde_json::Value::String("x".repeat(MAX_RECORD_BYTES + 1)),
        ..rs("a", "A")
    }));
    let err = encode_records(&[big]).expect_err("too big");
    assert!(err.to_string().contains("over the limit"), "{err}");
}

#[test]
fn replay_refuses_foreign_or_stale_journals() {
    let mut state = state_with(&["a"]);
    let before = state.clone();
    let contents = |lineage: &str, base| JournalContents {
        header: JournalHeader {
            journal_format: 1,
            lineage: lineage.into(),
            base_serial: base,
        },
        records: vec![JournalRecord::Remove { addr: addr("a") }],
        damaged_lines: 0,
    };
    let err = replay(&mut state, &contents("other", 7), "j").expect_err("lineage");
    assert!(err.to_string().contains("lineage other"), "{err}");
    let lineage = state.lineage.clone();
    let err = replay(&mut state, &contents(&lineage, 6), "j").expect_err("stale");
    assert!(
        err.to_string().contains("serial 6") && err.to_string().contains("serial 7"),
        "{err}"
    );
    assert_eq!(state, before, "nothing applied");
    replay(&mut state, &contents(&lineage, 7), "j").expect("matching");
    assert!(state.resources.is_empty());
}

#[test]
fn open_intents_become_tainted_placeholders_keeping_old_objects_deposed() {
    let mut state = state_with(&["cbd"]);
    let lineage = state.lineage.clone();
    let c = JournalContents {
        header: JournalHeader {
            journal_format: 1,
            lineage,
            base_serial: 7,
        },
        records: vec![
            JournalRecord::Intent {
                addr: addr("new"),
                provider: "fake".into(),
                generation: 1,
            },
            JournalRecord::Intent {
                addr: addr("cbd"),
                provider: "fake".into(),
                generation: 2,
            },
            JournalRecord::Intent {
                addr: addr("done"),
                provider: "fake".into(),
                generation: 1,
            },
            JournalRecord::Put(Box::new(rs("done", "D"))),
        ],
        damaged_lines: 1,
    };
    let s = replay(&mut state, &c, "j").expect("replay");
    assert_eq!(s.unresolved_creates, vec![addr("cbd"), addr("new")]);
    assert_eq!(s.damaged_lines, 1);
    let new = &state.resources[&addr("new")];
    assert_eq!(
        (new.status, new.attributes.is_null(), new.generation),
        (ResourceStatus::Tainted, true, 0)
    );
    let cbd = &state.resources[&addr("cbd")];
    assert_eq!((cbd.status, cbd.generation), (ResourceStatus::Tainted, 1));
    assert_eq!(cbd.deposed.len(), 1, "the old object is kept");
    assert_eq!(cbd.deposed[0].attributes["id"], "old-cbd");
    assert_eq!(cbd.deposed[0].key.len(), 8);
    assert_eq!(state.resources[&addr("done")].status, ResourceStatus::Ready);
    assert!(
        !state.resources.contains_key(&addr("refused")),
        "an abandoned create leaves nothing"
    );
}

#[tokio::test]
async fn writer_group_commits_concurrent_appends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j");
    let w = JournalWriter::start(FileJournal::create(&path, "L", 0).expect("create"));
    let mut tasks = Vec::new();
    for i in 0..200 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            w.append(vec![JournalRecord::Remove {
                addr: addr(&format!("r{i}")),
            }])
            .await
        }));
    }
    for t in tasks {
        t.await.expect("joined").expect("appended");
    }
    assert!(w.describe().contains("journal"));
    let c = FileJournal::read(&path).expect("read").expect("exists");
    assert_eq!(c.records.len(), 200);
    assert!(w.commits() < 200, "{} fsyncs for 200 concurrent appends", w.commits());
}

#[test]
fn recover_covers_first_apply_saved_snapshot_and_mismatches() {
    let put_a = JournalRecord::Put(Box::new(rs("a", "A")));
    let contents = |lineage: &str, base| JournalContents {
        header: JournalHeader { journal_format: 1, lineage: lineage.into(), base_serial: base },
        records: vec![put_a.clone()],
        damaged_lines: 0,
    };
    // First apply interrupted: nothing stored, journal on serial 0.
    let (s, summary) = recover(None, &contents("L0", 0), "j").expect("first apply");
    assert_eq!((s.lineage.as_str(), s.serial, s.resources.len(), summary.puts), ("L0", 0, 1, 1));
    assert!(recover(None, &contents("L0", 3), "j").is_err(), "a journal on a state that is not there");
    // Stored state on the journal's base: replayed.
    let base = state_with(&[]);
    let lineage = base.lineage.clone();
    let (s, summary) = recover(Some(base.clone()), &contents(&lineage, 7), "j").expect("replay");
    assert!(!summary.already_in_state && summary.puts == 1 && s.resources.contains_key(&addr("a")));
    // The final snapshot was saved (serial 8 holds a) but the journal stayed.
    let mut saved = s.clone();
    saved.serial = 8;
    let (s2, summary) = recover(Some(saved.clone()), &contents(&lineage, 7), "j").expect("already applied");
    assert!(summary.already_in_state);
    assert_eq!(s2, saved);
    // A newer snapshot that does NOT hold the journal's records: refused.
    let mut other = base.clone();
    other.serial = 8;
    let err = recover(Some(other), &contents(&lineage, 7), "j").expect_err("stale");
    assert!(err.to_string().contains("left in place"), "{err}");
    assert!(recover(Some(base), &contents("other", 7), "j").is_err(), "another lineage");
}
