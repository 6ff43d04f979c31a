use super::*;

fn host(name: &str, addr: &str) -> Value {
    Value::map([("name", Value::string(name)), ("address", Value::string(addr)), ("user", Value::string("root"))])
}

fn cfg(flavor: &str, servers: Vec<Value>, agents: Vec<Value>) -> Value {
    Value::map([
        ("name", Value::string("edge")),
        ("flavor", Value::string(flavor)),
        ("servers", Value::List(servers)),
        ("agents", Value::List(agents)),
        ("artifacts_dir", Value::string("artifacts")),
    ])
}

fn details(d: &Diagnostics) -> Vec<String> {
    d.iter().map(|d| d.detail.clone()).collect()
}

#[test]
fn valid_k3s_config_has_no_diagnostics() {
    let d = validate(&cfg("k3s", vec![host("s", "10.0.0.1")], vec![host("a1", "10.0.0.2"), host("a2", "10.0.0.3")]));
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn unknown_flavor_lists_valid_ones_and_suggests() {
    let d = validate(&cfg("k3", vec![host("s", "10.0.0.1")], vec![]));
    let msgs = details(&d);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].contains("valid flavors are k3s, microk8s, kubeedge, k8s"), "{}", msgs[0]);
    assert!(msgs[0].contains("Did you mean \"k3s\"?"), "{}", msgs[0]);
}

#[test]
fn structural_errors() {
    let d = validate(&cfg("microk8s", vec![], vec![]));
    assert!(details(&d).iter().any(|m| m.contains("needs at least one server")), "{d:?}");

    let mut k8s = cfg("k8s", vec![], vec![]);
    with_attr(&mut k8s, "artifacts_dir", Value::Null);
    assert!(details(&validate(&k8s)).iter().any(|m| m.contains("needs kubeconfig_path")));
    with_attr(&mut k8s, "kubeconfig_path", Value::string("kc.yaml"));
    assert!(validate(&k8s).is_empty());

    let d = validate(&cfg("k3s", vec![host("s", "10.0.0.1")], vec![host("s", "10.0.0.1"), host("a", "x"), host("a", "x")]));
    let msgs = details(&d);
    assert!(msgs.iter().any(|m| m.contains("host s is listed in servers and agents")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("host a is listed twice in agents")), "{msgs:?}");

    let d = validate(&cfg("kubeedge", vec![host("s", "1"), host("t", "2")], vec![]));
    assert!(details(&d).iter().any(|m| m.contains("runs one cloudcore")));
}

#[test]
fn unknown_servers_are_not_reported_missing() {
    let mut c = cfg("k3s", vec![], vec![]);
    with_attr(&mut c, "servers", Value::Unknown);
    assert!(validate(&c).is_empty());
}

#[test]
fn host_facts_do_not_force_a_new_cluster() {
    let mut with_facts = host("s", "10.0.0.1");
    with_attr(&mut with_facts, "memory_mb", Value::int(2048));
    let first = plan_change(None, &cfg("k3s", vec![with_facts.clone()], vec![]));
    let mut prior = first.planned.clone();
    for k in ["id", "site_name", "api_endpoint", "node_count", "nodes", "installed_version", "join_token", "kubeconfig"] {
        with_attr(&mut prior, k, Value::string("x"));
    }
    with_attr(&mut with_facts, "memory_mb", Value::int(4096));
    let again = plan_change(Some(&prior), &cfg("k3s", vec![with_facts], vec![]));
    assert!(again.requires_replace.is_empty(), "{:?}", again.requires_replace);
    assert_eq!(again.planned, prior);

    let moved = plan_change(Some(&prior), &cfg("k3s", vec![host("s", "10.0.0.9")], vec![]));
    assert_eq!(moved.requires_replace, vec![vec![contin_types::value::PathStep::Key("servers".into())]]);
    assert!(get(&moved.planned, "id").is_unknown(), "a replacement plans fresh computed values");

    // New credentials for the same server: updated in place, computed values kept.
    let mut rotated = host("s", "10.0.0.1");
    with_attr(&mut rotated, "private_key", Value::string("new key"));
    let rot = plan_change(Some(&prior), &cfg("k3s", vec![rotated], vec![]));
    assert!(rot.requires_replace.is_empty(), "{:?}", rot.requires_replace);
    assert_ne!(rot.planned, prior);
    assert_eq!(get(&rot.planned, "id"), &Value::string("x"));

    // Other force-new attributes still replace.
    let mut flavor = cfg("microk8s", vec![host("s", "10.0.0.1")], vec![]);
    with_attr(&mut flavor, "artifacts_dir", Value::string("artifacts"));
    assert_eq!(plan_change(Some(&prior), &flavor).requires_replace.len(), 1);
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    attr(v, k).unwrap_or(&Value::Null)
}

#[test]
fn secrets_are_sensitive_in_the_schema() {
    let s = schema();
    assert!(s.attributes["join_token"].sensitive);
    assert!(s.attributes["kubeconfig"].sensitive);
    assert!(s.attributes["flavor"].force_new && s.attributes["servers"].force_new);
    assert!(!s.attributes["agents"].force_new);
}

#[test]
fn cluster_id_is_stable_and_names_flavor_and_cluster() {
    let spec = ClusterSpec::from_value(&cfg("k3s", vec![host("s", "10.0.0.1")], vec![])).unwrap();
    let ctx = OpContext { address: "cluster.edge".parse().unwrap(), lineage: "l1".into(), generation: 1 };
    let id = cluster_id(&spec, &ctx);
    assert!(id.starts_with("k3s-edge-") && id.len() == "k3s-edge-".len() + 8, "{id}");
    assert_eq!(id, cluster_id(&spec, &ctx));
}
