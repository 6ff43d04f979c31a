//! The google provider against the Compute Engine fake (tests/fakes/gcp):
//! conformance suite per resource type, operation polling, 429/5xx retries,
//! 404 after delete, adoption after a crash, drift, import, secrets.

use contin_fake_gcp::{FakeGcp, FakeOptions};
use contin_provider::conformance::{self, LifecycleCase};
use contin_provider::{OpContext, Provider, ProviderError};
use contin_provider_google::GoogleProvider;
use contin_types::{ResourceAddr, Value};

const P: &str = "fake-project";

async fn setup(op_polls: u32) -> (FakeGcp, GoogleProvider) {
    let fake = FakeGcp::start(FakeOptions { op_polls }).await.unwrap_or_else(|e| panic!("{e}"));
    let p = GoogleProvider::new();
    let cfg = Value::map([
        ("project", Value::string(P)),
        ("region", Value::string("us-central1")),
        ("zone", Value::string("us-central1-a")),
        ("credentials", Value::string(fake.service_account_json())),
        ("endpoint", Value::string(fake.endpoint())),
    ]);
    p.configure(cfg).await.unwrap_or_else(|d| panic!("configure: {d}"));
    (fake, p)
}

fn ctx(ty: &str, name: &str, lineage: &str) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, name), lineage: lineage.into(), generation: 1 }
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

async fn plan_create(p: &GoogleProvider, ty: &str, cfg: Value, c: &OpContext) -> Result<Value, ProviderError> {
    let planned = p.plan_change(ty, None, &cfg).planned;
    p.create(ty, &planned, c).await
}

fn net_cfg(name: &str) -> Value {
    Value::map([("name", s(name)), ("auto_create_subnetworks", Value::Bool(false))])
}

fn instance_cfg(name: &str, labels: &[(&str, &str)], net: &str) -> Value {
    Value::map([
        ("name", s(name)),
        ("machine_type", s("e2-micro")),
        ("labels", Value::map(labels.iter().map(|(k, v)| (*k, s(v))))),
        ("metadata", Value::map([("ssh-keys", s("admin:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake admin"))])),
        ("tags", Value::List(vec![s("web")])),
        (
            "boot_disk",
            Value::List(vec![Value::map([("initialize_params", Value::List(vec![Value::map([("image", s("debian-cloud/debian-12"))])]))])]),
        ),
        (
            "network_interface",
            Value::List(vec![Value::map([("network", s(net)), ("access_config", Value::List(vec![Value::map::<&str>([])]))])]),
        ),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_network_subnetwork_firewall_address_instance() {
    let (fake, p) = setup(2).await;
    conformance::run(
        &p,
        &LifecycleCase::new(
            "google_compute_network",
            Value::map([("name", s("c-net")), ("auto_create_subnetworks", Value::Bool(false)), ("description", s("conformance"))]),
            Value::map([("name", s("c-net")), ("auto_create_subnetworks", Value::Bool(false)), ("description", s("conformance")), ("routing_mode", s("GLOBAL"))]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // A network the others refer to.
    let net = plan_create(&p, "google_compute_network", net_cfg("base"), &ctx("google_compute_network", "base", "l1")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(net.attr_str("id"), Some("projects/fake-project/global/networks/base"));
    conformance::run(
        &p,
        &LifecycleCase::new(
            "google_compute_subnetwork",
            Value::map([("name", s("c-sub")), ("network", s("base")), ("ip_cidr_range", s("10.2.0.0/24"))]),
            Value::map([("name", s("c-sub")), ("network", s("base")), ("ip_cidr_range", s("10.3.0.0/24"))]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let rule = |ports: &[&str]| Value::List(vec![Value::map([("protocol", s("tcp")), ("ports", strs(ports))])]);
    conformance::run(
        &p,
        &LifecycleCase::new(
            "google_compute_firewall",
            Value::map([("name", s("c-fw")), ("network", s("base")), ("allow", rule(&["22"])), ("source_ranges", strs(&["0.0.0.0/0"])), ("target_tags", strs(&["web"]))]),
            Value::map([("name", s("c-fw")), ("network", s("base")), ("allow", rule(&["22", "80"])), ("source_ranges", strs(&["10.0.0.0/8"])), ("target_tags", strs(&["web"])), ("description", s("ssh+http"))]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    conformance::run(
        &p,
        &LifecycleCase::new(
            "google_compute_address",
            Value::map([("name", s("c-ip")), ("labels", Value::map([("env", s("test"))]))]),
            Value::map([("name", s("c-ip")), ("labels", Value::map([("env", s("prod"))]))]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let mut update = instance_cfg("c-vm", &[("env", "prod")], "base");
    if let Value::Map(m) = &mut update {
        m.insert("tags".into(), Value::List(vec![s("web"), s("ssh")]));
        m.insert("metadata".into(), Value::map([("ssh-keys", s("admin:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther admin"))]));
    }
    conformance::run(&p, &LifecycleCase::new("google_compute_instance", instance_cfg("c-vm", &[("env", "test")], "base"), update))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Everything the suites created is gone again; only `base` is left.
    assert_eq!(fake.objects(), vec!["projects/fake-project/global/networks/base".to_string()]);
    // What the SDK sent: the official paths, bodies with REST field names, requestIds.
    let log = fake.requests();
    let insert = log
        .iter()
        .find(|r| r.method == "POST" && r.path == "/compute/v1/projects/fake-project/zones/us-central1-a/instances")
        .unwrap_or_else(|| panic!("no instance insert in {log:?}"));
    assert_eq!(insert.body["machineType"], "zones/us-central1-a/machineTypes/e2-micro");
    assert_eq!(insert.body["disks"][0]["initializeParams"]["sourceImage"], "projects/debian-cloud/global/images/family/debian-12");
    assert_eq!(insert.body["networkInterfaces"][0]["network"], "projects/fake-project/global/networks/base");
    assert_eq!(insert.body["labels"]["contin-address"], "google_compute_instance-2econformance");
    assert_eq!(insert.body["labels"]["contin-lineage"], "conformance-2dlineage");
    assert_eq!(insert.body["metadata"]["items"][0]["key"], "ssh-keys");
    assert!(insert.query.get("requestId").is_some_and(|r| r.len() == 36), "{:?}", insert.query);
    assert!(log.iter().any(|r| r.method == "POST" && r.path.ends_with("/instances/c-vm/setLabels") && r.body["labels"]["env"] == "prod"));
    assert!(log.iter().any(|r| r.method == "POST" && r.path.ends_with("/instances/c-vm/setTags")));
    assert!(log.iter().any(|r| r.method == "POST" && r.path.ends_with("/instances/c-vm/setMetadata")));
    assert!(log.iter().any(|r| r.method == "PATCH" && r.path.ends_with("/global/networks/c-net") && r.body["routingConfig"]["routingMode"] == "GLOBAL"));
    assert!(log.iter().any(|r| r.method == "PATCH" && r.path.ends_with("/global/firewalls/c-fw")));
    let fw_insert = log.iter().find(|r| r.method == "POST" && r.path.ends_with("/global/firewalls")).unwrap_or_else(|| panic!("no firewall insert"));
    assert_eq!(fw_insert.body["allowed"][0]["IPProtocol"], "tcp");
    assert!(fw_insert.body["description"].as_str().is_some_and(|d| d.starts_with("[contin lineage=conformance-2dlineage address=google_compute_firewall-2econformance")));
    assert!(log.iter().all(|r| r.status != 401), "every call authenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_are_polled_until_done() {
    let (fake, p) = setup(3).await;
    let c = ctx("google_compute_network", "n", "l1");
    plan_create(&p, "google_compute_network", net_cfg("polled"), &c).await.unwrap_or_else(|e| panic!("{e}"));
    let polls: Vec<_> = fake.requests().into_iter().filter(|r| r.method == "GET" && r.path.contains("/global/operations/")).collect();
    assert_eq!(polls.len(), 3, "PENDING → RUNNING → RUNNING → DONE takes 3 polls: {polls:?}");
    let (fake0, p0) = setup(0).await;
    plan_create(&p0, "google_compute_network", net_cfg("instant"), &c).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(fake0.requests().iter().all(|r| !r.path.contains("/operations/")), "a DONE operation is not polled");
    // A zonal insert polls the zone's operations.
    plan_create(&p, "google_compute_network", net_cfg("zn"), &ctx("google_compute_network", "zn", "l1")).await.unwrap_or_else(|e| panic!("{e}"));
    plan_create(&p, "google_compute_instance", instance_cfg("vm", &[], "zn"), &ctx("google_compute_instance", "vm", "l1")).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(fake.requests().iter().any(|r| r.path.starts_with("/compute/v1/projects/fake-project/zones/us-central1-a/operations/")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_one_server_error_are_retried() {
    let (fake, p) = setup(1).await;
    fake.inject_429(2, 1);
    let c = ctx("google_compute_network", "n", "l1");
    let v = plan_create(&p, "google_compute_network", net_cfg("retried"), &c).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.attr_str("name"), Some("retried"));
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..3], &[429, 429, 404], "two 429s, then the adoption GET: {statuses:?}");
    fake.clear_requests();
    fake.inject_5xx_once();
    let c2 = ctx("google_compute_network", "m", "l1");
    plan_create(&p, "google_compute_network", net_cfg("retried-2"), &c2).await.unwrap_or_else(|e| panic!("{e}"));
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses[0], 503, "{statuses:?}");
    assert_eq!(fake.requests().iter().filter(|r| r.method == "POST").count(), 1, "one insert");
    // Endless 429s give up with an error naming the call.
    fake.inject_429(100, 0);
    let e = plan_create(&p, "google_compute_network", net_cfg("never"), &ctx("google_compute_network", "x", "l1")).await.err().unwrap_or_else(|| panic!("expected an error"));
    let msg = e.to_string();
    assert!(msg.contains("HTTP 429") && msg.contains("gave up after 5 attempts") && msg.contains("networks/never"), "{msg}");
    fake.inject_429(0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_objects_read_as_none_and_delete_twice_succeeds() {
    let (fake, p) = setup(1).await;
    let c = ctx("google_compute_address", "ip", "l1");
    let v = plan_create(&p, "google_compute_address", Value::map([("name", s("ip1"))]), &c).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(v.attr_str("address").is_some_and(|a| a.parse::<std::net::Ipv4Addr>().is_ok()));
    p.delete("google_compute_address", &v, &c).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.read("google_compute_address", &v).await.unwrap_or_else(|e| panic!("{e}")), None);
    let get = fake.requests().into_iter().rev().find(|r| r.method == "GET").unwrap_or_else(|| panic!("no GET"));
    assert_eq!((get.path.as_str(), get.status), ("/compute/v1/projects/fake-project/regions/us-central1/addresses/ip1", 404));
    p.delete("google_compute_address", &v, &c).await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_insert_is_adopted_by_labels_without_a_duplicate() {
    let (fake, p) = setup(1).await;
    let p = std::sync::Arc::new(p);
    plan_create(&p, "google_compute_network", net_cfg("adopt-net"), &ctx("google_compute_network", "n", "lin")).await.unwrap_or_else(|e| panic!("{e}"));
    fake.hold_inserts("instances");
    let c = ctx("google_compute_instance", "web", "lin");
    let cfg = instance_cfg("adopt-vm", &[("env", "a")], "adopt-net");
    let task = {
        let (p, c, cfg) = (p.clone(), c.clone(), cfg.clone());
        tokio::spawn(async move { plan_create(&p, "google_compute_instance", cfg, &c).await })
    };
    for _ in 0..500 {
        if fake.held() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(fake.held(), 1, "the insert reached the fake and is held");
    task.abort(); // the process "dies" before it learns the result
    fake.release_held();
    // The held insert is logged once its handler ends (answered or dropped).
    for _ in 0..500 {
        if fake.held() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let v = plan_create(&p, "google_compute_instance", cfg.clone(), &c).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.attr_str("instance_id").map(str::len), Some(19));
    let inserts = fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/instances")).count();
    assert_eq!(inserts, 1, "adopted, not created twice");
    // Another state's create of the same name is refused, naming import.
    let other = ctx("google_compute_instance", "web", "other-lineage");
    let e = plan_create(&p, "google_compute_instance", cfg, &other).await.err().unwrap_or_else(|| panic!("expected alreadyExists"));
    assert!(e.to_string().contains("contin import google_compute_instance.web projects/fake-project/zones/us-central1-a/instances/adopt-vm"), "{e}");
    // Drift: a label changed in the console shows in read.
    assert!(fake.set_label("projects/fake-project/zones/us-central1-a/instances/adopt-vm", "env", Some("tampered")));
    let r = p.read("google_compute_instance", &v).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("gone"));
    assert_eq!(r.attr("labels"), Some(&Value::map([("env", s("tampered"))])));
    // Import by the id reads the same object.
    let imported = p.import("google_compute_instance", "projects/fake-project/zones/us-central1-a/instances/adopt-vm").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imported.attr_str("instance_id"), v.attr_str("instance_id"));
    assert_eq!(imported.attr_str("machine_type"), Some("e2-micro"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn description_marker_adopts_networks() {
    let (fake, p) = setup(1).await;
    fake.hold_inserts("networks");
    let c = ctx("google_compute_network", "n", "lin");
    let task = {
        let c = c.clone();
        let p2 = GoogleProvider::new();
        let cfg = Value::map([
            ("project", s(P)),
            ("credentials", s(fake.service_account_json())),
            ("endpoint", s(&fake.endpoint())),
        ]);
        p2.configure(cfg).await.unwrap_or_else(|d| panic!("{d}"));
        tokio::spawn(async move { plan_create(&p2, "google_compute_network", net_cfg("held-net"), &c).await })
    };
    for _ in 0..500 {
        if fake.held() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    task.abort();
    fake.release_held();
    let v = plan_create(&p, "google_compute_network", net_cfg("held-net"), &c).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(v.attr("description").is_none(), "the marker is not shown: {v:?}");
    let stored = fake.object("projects/fake-project/global/networks/held-net").unwrap_or_default();
    assert!(stored["description"].as_str().is_some_and(|d| d.starts_with("[contin lineage=lin address=google_compute_network-2en")), "{stored}");
    assert_eq!(fake.requests().iter().filter(|r| r.method == "POST").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_are_refused_and_never_quoted() {
    let fake = FakeGcp::start(FakeOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
    let sa: serde_json::Value = serde_json::from_str(fake.service_account_json()).unwrap_or_else(|e| panic!("{e}"));
    let pk = sa["private_key"].as_str().unwrap_or_default().to_string();
    let marker_line = pk.lines().nth(3).unwrap_or_default().to_string();
    // A key of another service account: the fake rejects its signature.
    let other = FakeGcp::start(FakeOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
    let p = GoogleProvider::new();
    p.configure(Value::map([("project", s(P)), ("credentials", s(other.service_account_json())), ("endpoint", s(&fake.endpoint()))]))
        .await
        .unwrap_or_else(|d| panic!("{d}"));
    let e = plan_create(&p, "google_compute_network", net_cfg("x"), &ctx("google_compute_network", "x", "l")).await.err().unwrap_or_else(|| panic!("expected 401"));
    let msg = e.to_string();
    assert!(msg.contains("HTTP 401"), "{msg}");
    assert!(fake.requests().iter().all(|r| r.status == 401));
    // Broken key JSON: the error gives a position, never the text.
    let broken = pk.replace("-----BEGIN", "{-----BEGIN");
    let p = GoogleProvider::new();
    let d = p.configure(Value::map([("credentials", s(&format!("{{\"type\": \"service_account\", \"private_key\": {broken:?}"))), ("endpoint", s(&fake.endpoint()))])).await.err();
    let text = format!("{:?}", d.unwrap_or_else(|| panic!("expected an error")));
    assert!(!text.contains(&marker_line), "key material in: {text}");
    // A path to the key works like the text.
    let dir = tempfile_dir();
    let path = dir.join("sa.json");
    std::fs::write(&path, fake.service_account_json()).unwrap_or_else(|e| panic!("{e}"));
    let p = GoogleProvider::new();
    p.configure(Value::map([("project", s(P)), ("credentials", s(path.to_str().unwrap_or_default())), ("endpoint", s(&fake.endpoint()))]))
        .await
        .unwrap_or_else(|d| panic!("{d}"));
    plan_create(&p, "google_compute_network", net_cfg("by-path"), &ctx("google_compute_network", "y", "l")).await.unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("contin-gcp-test-{}-{}", std::process::id(), uuid_ish()));
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn uuid_ish() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

#[test]
fn validation_names_the_argument() {
    let p = GoogleProvider::new();
    let d = p.validate("google_compute_instance", &Value::map([("name", s("Bad_Name")), ("labels", Value::map([("contin-x", s("y")), ("Env", s("x"))]))]));
    let text = d.to_string();
    assert!(text.contains("name: \"Bad_Name\""), "{text}");
    assert!(text.contains("reserved prefix contin-"), "{text}");
    assert!(text.contains("\"Env\" is not a valid GCP label"), "{text}");
    let d = p.validate("google_compute_firewall", &Value::map([("name", s("fw")), ("direction", s("UP"))]));
    let text = d.to_string();
    assert!(text.contains("allow: a firewall needs") && text.contains("direction: \"UP\""), "{text}");
    let d = p.validate("google_compute_subnetwork", &Value::map([("name", s("s")), ("ip_cidr_range", s("10.0.0.0/33"))]));
    assert!(d.to_string().contains("ip_cidr_range"), "{d}");
    conformance::check_schema(&p).unwrap_or_else(|e| panic!("{e}"));
}
