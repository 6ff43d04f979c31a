use super::*;

fn state() -> State {
    let doc = serde_json::json!({
        "version": 1, "lineage": "l-1", "serial": 4,
        "resources": [
            {"addr": "local_file.a[0]", "provider": "local", "attributes": {"filename": "out/0.txt", "content": "x", "id": "h0"}},
            {"addr": "local_file.a[1]", "provider": "local", "attributes": {"filename": "out/1.txt", "content": "y", "id": "h1"}},
            {"addr": "fake_resource.s", "provider": "fake", "attributes": {"name": "s", "sensitive_value": "hunter2", "tags": {"env": "dev"}},
             "sensitive_paths": [[{"Key": "sensitive_value"}]], "dependencies": ["local_file.a[0]"]},
            {"addr": "edge_site.f7", "provider": "edge", "attributes": {"name": "f7", "kind": "site", "labels": {"line": "hunter3"}},
             "sensitive_paths": [[{"Key": "labels"}]]},
        ],
        "outputs": {"pw": {"value": "hunter2", "sensitive": true}, "n": {"value": 2}},
    });
    let mut s: State = serde_json::from_value(doc).unwrap_or_else(|e| panic!("fixture: {e}"));
    s.refresh_sites();
    s
}

fn view() -> StateView {
    StateView { state: Some(state()) }
}

#[test]
fn list_filters_by_resource_or_instance() {
    let v = view();
    assert_eq!(v.list(&[]), ["edge_site.f7", "fake_resource.s", "local_file.a[0]", "local_file.a[1]"]);
    assert_eq!(v.list(&["local_file.a".into()]), ["local_file.a[0]", "local_file.a[1]"]);
    assert_eq!(v.list(&["local_file.a[1]".into()]), ["local_file.a[1]"]);
    assert!(v.list(&["local_file.ab".into()]).is_empty());
    assert!(v.list(&["local_file".into()]).is_empty(), "a bare type is not an address");
    assert!(v.list(&["local_file.a[0".into()]).is_empty());
    assert!(v.list(&["data.local_file.a".into()]).is_empty(), "another mode");
    assert!(StateView { state: None }.list(&[]).is_empty());
}

#[test]
fn one_resource_or_a_clear_error() {
    let v = view();
    assert_eq!(v.resource("fake_resource.s").map(|r| r.addr.to_string()).ok().as_deref(), Some("fake_resource.s"));
    let err = v.resource("local_file.a").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("has 2 instances"), "{err}");
    assert!(v.resource("local_file.zz").is_err());
}

#[test]
fn json_redacts_every_sensitive_value_including_site_labels() {
    let s = state();
    // The stored site tree is derived without sensitive values already.
    assert!(!serde_json::to_string(&s.sites).unwrap_or_default().contains("hunter3"), "{:?}", s.sites);
    let json = view().json().to_string();
    assert!(!json.contains("hunter2") && !json.contains("hunter3"), "{json}");
    assert!(json.contains("\"f7\""), "{json}");
    let sites = serde_json::to_string(&view().redacted_sites()).unwrap_or_default();
    assert!(!sites.contains("hunter3"), "{sites}");
}

#[test]
fn json_lists_deposed_objects_with_their_key_redacted() {
    let mut s = state();
    let r = s.resources.values_mut().find(|r| r.addr.to_string() == "fake_resource.s").unwrap_or_else(|| panic!("fixture"));
    r.deposed.push(contin_state::DeposedObject {
        key: "0a1b2c3d".into(),
        attributes: serde_json::json!({"name": "s", "sensitive_value": "hunter4"}),
        sensitive_paths: vec![vec![contin_types::value::PathStep::Key("sensitive_value".into())]],
        generation: 1,
    });
    let json = StateView { state: Some(s) }.json();
    let text = json.to_string();
    assert!(!text.contains("hunter4") && !text.contains("hunter2"), "{text}");
    let entries: Vec<&serde_json::Value> = json["values"]["resources"].as_array().map(|a| a.iter().filter(|e| e["address"] == "fake_resource.s").collect()).unwrap_or_default();
    assert_eq!(entries.len(), 2, "the current object and the deposed one: {text}");
    assert_eq!(entries[1]["deposed_key"], "0a1b2c3d");
    assert!(entries[0].get("deposed_key").is_none());
}

#[test]
fn rm_removes_instances_or_nothing() {
    let mut s = state();
    let removed = remove(&mut s, &["local_file.a".into()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(removed, ["local_file.a[0]", "local_file.a[1]"]);
    assert_eq!(s.resources.len(), 2);
    let mut s = state();
    assert!(remove(&mut s, &["fake_resource.s".into(), "local_file.zz".into()]).is_err());
    assert_eq!(s.resources.len(), 4, "nothing removed when one address matches nothing");
}

#[test]
fn mv_renames_instances_and_dependencies() {
    let mut s = state();
    let moved = move_addr(&mut s, "local_file.a", "local_file.b").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(moved.len(), 2);
    let v = StateView { state: Some(s.clone()) };
    assert_eq!(v.list(&["local_file.b".into()]), ["local_file.b[0]", "local_file.b[1]"]);
    let dep = &s.resources[&"fake_resource.s".parse::<ResourceAddr>().unwrap_or_else(|e| panic!("{e}"))].dependencies;
    assert_eq!(dep[0].to_string(), "local_file.b[0]");
    assert!(v.list(&["local_file.a".into()]).is_empty());
    assert!(v.list(&["local_file".into()]).is_empty());

    // A dependency recorded per block follows a move of the whole block,
    // but not a move of one of its instances.
    let block_dep = || {
        let mut s = state();
        let key = "fake_resource.s".parse::<ResourceAddr>().unwrap_or_else(|e| panic!("{e}"));
        if let Some(r) = s.resources.get_mut(&key) {
            r.dependencies = vec!["local_file.a".parse().unwrap_or_else(|e| panic!("{e}"))];
        }
        (s, key)
    };
    let (mut s, key) = block_dep();
    move_addr(&mut s, "local_file.a", "local_file.b").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.resources[&key].dependencies[0].to_string(), "local_file.b");
    let (mut s, key) = block_dep();
    move_addr(&mut s, "local_file.a[1]", "local_file.c").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.resources[&key].dependencies[0].to_string(), "local_file.a");

    let mut s = state();
    move_addr(&mut s, "local_file.a[1]", "local_file.c").unwrap_or_else(|e| panic!("{e}"));
    assert!(s.resources.contains_key(&"local_file.c".parse::<ResourceAddr>().unwrap_or_else(|e| panic!("{e}"))));
    assert!(move_addr(&mut s, "local_file.a[0]", "null_resource.x").is_err());
    assert!(move_addr(&mut s, "local_file.a[0]", "local_file.c").is_err(), "destination exists");
}

#[test]
fn push_refuses_foreign_lineage_and_older_serial_unless_forced() {
    let stored = state();
    let mut pushed = state();
    pushed.serial = 4;
    assert_eq!(push_serial(&pushed, Some(&stored), false).ok(), Some(5));
    pushed.serial = 9;
    assert_eq!(push_serial(&pushed, Some(&stored), false).ok(), Some(10));
    pushed.serial = 2;
    let err = push_serial(&pushed, Some(&stored), false).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("older than the stored serial 4") && err.contains("-force"), "{err}");
    assert_eq!(push_serial(&pushed, Some(&stored), true).ok(), Some(5));
    let foreign = State { serial: 7, ..State::new() };
    let err = push_serial(&foreign, Some(&stored), false).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("another state"), "{err}");
    assert_eq!(push_serial(&foreign, None, false).ok(), Some(7));
}
