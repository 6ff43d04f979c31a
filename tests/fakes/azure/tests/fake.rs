//! The fake's own behaviour: auth, LRO, 404/409, injections, and the
//! recorded azure-rest-api-specs shapes (`fixtures/`).

use contin_fake_azure::client::{json, token, Answer};
use contin_fake_azure::{FakeAzure, Options};
use serde_json::{json, Value as J};

fn opts() -> Options {
    Options { subscription: "subid".into(), polls: 2, ..Options::default() }
}

fn login(f: &FakeAzure) -> String {
    let o = f.options();
    let a = token(f.url(), &o.tenant, &o.client_id, &o.client_secret).unwrap();
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()["access_token"].as_str().unwrap().to_string()
}

/// Polls an Azure-AsyncOperation URL until it is no longer InProgress.
fn finish(t: &str, a: &Answer) -> u32 {
    let Some(url) = a.header("azure-asyncoperation") else { return 0 };
    let mut polls = 0;
    loop {
        polls += 1;
        let s = json("GET", url, t, None).unwrap();
        assert_eq!(s.status, 200);
        if s.json()["status"] != "InProgress" {
            assert_eq!(s.json()["status"], "Succeeded");
            return polls;
        }
        assert!(polls < 50);
    }
}

/// JSON paths with their types: `a.b[].c` → "string".
fn shape(j: &J, prefix: &str, out: &mut Vec<(String, &'static str)>) {
    match j {
        J::Object(m) => {
            for (k, v) in m {
                shape(v, &format!("{prefix}.{k}"), out);
            }
        }
        J::Array(a) => {
            out.push((prefix.to_string(), "array"));
            if let Some(first) = a.first() {
                shape(first, &format!("{prefix}[]"), out);
            }
        }
        J::String(_) => out.push((prefix.to_string(), "string")),
        J::Number(_) => out.push((prefix.to_string(), "number")),
        J::Bool(_) => out.push((prefix.to_string(), "bool")),
        J::Null => out.push((prefix.to_string(), "null")),
    }
}

fn missing(expected: &J, actual: &J) -> Vec<String> {
    let (mut e, mut a) = (Vec::new(), Vec::new());
    shape(expected, "", &mut e);
    shape(actual, "", &mut a);
    e.into_iter().filter(|p| !a.contains(p)).map(|(p, t)| format!("{p}: {t}")).collect()
}

#[test]
fn fixtures_match() {
    let f = FakeAzure::start(opts());
    let t = login(&f);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    assert_eq!(files.len(), 6);
    for file in files {
        let fx: J = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert!(fx["source"].as_str().unwrap().contains("azure-rest-api-specs"), "{name}: no source");
        let url = format!("{}{}?api-version={}", f.url(), fx["path"].as_str().unwrap(), fx["api-version"].as_str().unwrap());
        let put = json(fx["method"].as_str().unwrap(), &url, &t, Some(&fx["request"])).unwrap();
        assert_eq!(put.status as u64, fx["status"].as_u64().unwrap(), "{name}: {}", String::from_utf8_lossy(&put.body));
        let miss = missing(&fx["response"], &put.json());
        assert!(miss.is_empty(), "{name}: the fake's PUT answer lacks {miss:?}\n{}", put.json());
        finish(&t, &put);
        let got = json("GET", &url, &t, None).unwrap();
        assert_eq!(got.status, 200, "{name}");
        let miss = missing(&fx["response"], &got.json());
        assert!(miss.is_empty(), "{name}: the fake's GET answer lacks {miss:?}");
        assert_eq!(got.json()["properties"]["provisioningState"], "Succeeded", "{name}");
    }
    // The fixtures' shapes are what the log saw: method, path and api-version.
    let log = f.log();
    assert!(log.iter().any(|l| l.method == "PUT" && l.path.ends_with("/virtualMachines/myVM") && l.api_version.as_deref() == Some("2024-07-01")));
}

#[test]
fn token_checks_the_secret_and_every_call_needs_the_token() {
    let f = FakeAzure::start(opts());
    let o = f.options().clone();
    let bad = token(f.url(), &o.tenant, &o.client_id, "wrong").unwrap();
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["error"], "invalid_client");
    let other_tenant = token(f.url(), "nope", &o.client_id, &o.client_secret).unwrap();
    assert_eq!(other_tenant.status, 400);
    let url = format!("{}/subscriptions/subid/resourceGroups/rg1?api-version=2021-04-01", f.url());
    let unauth = json("GET", &url, "made-up", None).unwrap();
    assert_eq!(unauth.status, 401);
    assert_eq!(unauth.json()["error"]["code"], "InvalidAuthenticationToken");
    let t = login(&f);
    assert_eq!(json("GET", &url, &t, None).unwrap().status, 404);
    // Token requests are logged without their body (the secret).
    assert!(f.log().iter().all(|l| l.body.as_ref().is_none_or(|b| !b.to_string().contains(&o.client_secret))));
}

#[test]
fn api_version_is_required_and_checked() {
    let f = FakeAzure::start(opts());
    let t = login(&f);
    let base = format!("{}/subscriptions/subid/resourceGroups/rg1", f.url());
    assert_eq!(json("GET", &base, &t, None).unwrap().json()["error"]["code"], "MissingApiVersionParameter");
    let wrong = json("GET", &format!("{base}?api-version=2019-01-01"), &t, None).unwrap();
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["error"]["code"], "NoRegisteredProviderFound");
}

fn put_ok(f: &FakeAzure, t: &str, path: &str, api: &str, body: J) -> J {
    let a = json("PUT", &format!("{}{path}?api-version={api}", f.url()), t, Some(&body)).unwrap();
    assert!(a.status == 200 || a.status == 201, "{path}: {} {}", a.status, String::from_utf8_lossy(&a.body));
    finish(t, &a);
    a.json()
}

fn setup_network(f: &FakeAzure, t: &str) {
    put_ok(f, t, "/subscriptions/subid/resourceGroups/rg1", "2021-04-01", json!({"location": "westeurope"}));
    put_ok(f, t, "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v", "2024-03-01", json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}));
    put_ok(f, t, "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s", "2024-03-01", json!({"properties": {"addressPrefixes": ["10.1.2.0/24"]}}));
    put_ok(f, t, "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/n", "2024-03-01", json!({"location": "westeurope", "properties": {"ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}}}]}}));
}

#[test]
fn long_running_put_completes_after_n_polls_and_delete_gives_404_after() {
    let f = FakeAzure::start(Options { polls: 3, ..opts() });
    let t = login(&f);
    put_ok(&f, &t, "/subscriptions/subid/resourceGroups/rg1", "2021-04-01", json!({"location": "westeurope"}));
    let url = format!("{}/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v?api-version=2024-03-01", f.url());
    let a = json("PUT", &url, &t, Some(&json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}))).unwrap();
    assert_eq!(a.status, 201);
    assert_eq!(a.json()["properties"]["provisioningState"], "Updating");
    assert_eq!(finish(&t, &a), 4, "3 InProgress polls, then Succeeded");
    assert_eq!(json("GET", &url, &t, None).unwrap().json()["properties"]["provisioningState"], "Succeeded");
    // Update: 200.
    let again = json("PUT", &url, &t, Some(&json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}))).unwrap();
    assert_eq!(again.status, 200);
    finish(&t, &again);
    let d = json("DELETE", &url, &t, None).unwrap();
    assert_eq!(d.status, 202);
    let loc = d.header("location").unwrap().to_string();
    assert!(d.header("azure-asyncoperation").is_some());
    let mut codes = Vec::new();
    for _ in 0..5 {
        let r = json("GET", &loc, &t, None).unwrap();
        codes.push(r.status);
        if r.status == 200 {
            break;
        }
    }
    assert_eq!(codes, vec![202, 202, 202, 200]);
    let gone = json("GET", &url, &t, None).unwrap();
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["error"]["code"], "ResourceNotFound");
    assert_eq!(json("DELETE", &url, &t, None).unwrap().status, 204);
}

#[test]
fn conflicts_on_deleting_what_is_in_use() {
    let f = FakeAzure::start(opts());
    let t = login(&f);
    setup_network(&f, &t);
    let vnet = format!("{}/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v?api-version=2024-03-01", f.url());
    let d = json("DELETE", &vnet, &t, None).unwrap();
    assert_eq!(d.status, 409);
    assert_eq!(d.json()["error"]["code"], "InUseSubnetCannotBeDeleted");
    let subnet = format!("{}/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s?api-version=2024-03-01", f.url());
    assert_eq!(json("DELETE", &subnet, &t, None).unwrap().status, 409);
    // The NIC got an address from the subnet; the network lists its subnet.
    let nic = f.get("/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/n").unwrap();
    assert_eq!(nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"], "10.1.2.4");
    let v = json("GET", &vnet, &t, None).unwrap().json();
    assert_eq!(v["properties"]["subnets"][0]["name"], "s");
    // A NIC referencing a missing subnet is refused.
    let bad = json("PUT", &format!("{}/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/n2?api-version=2024-03-01", f.url()), &t, Some(&json!({"location": "westeurope", "properties": {"ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/nope"}}}]}}))).unwrap();
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], "InvalidResourceReference");
    // Without the NIC the network goes, subnets with it.
    let nic_url = format!("{}/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/n?api-version=2024-03-01", f.url());
    let d = json("DELETE", &nic_url, &t, None).unwrap();
    finish(&t, &d);
    let d = json("DELETE", &vnet, &t, None).unwrap();
    assert_eq!(d.status, 202);
    finish(&t, &d);
    assert_eq!(f.ids(), vec!["/subscriptions/subid/resourceGroups/rg1".to_string()]);
}

#[test]
fn injected_429_and_5xx_then_normal_service() {
    let f = FakeAzure::start(opts());
    let t = login(&f);
    f.inject(429, Some(7));
    f.inject(503, None);
    let url = format!("{}/subscriptions/subid/resourceGroups/rg1?api-version=2021-04-01", f.url());
    let a = json("GET", &url, &t, None).unwrap();
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("7"));
    assert_eq!(json("GET", &url, &t, None).unwrap().status, 503);
    assert_eq!(json("GET", &url, &t, None).unwrap().status, 404);
    let statuses: Vec<u16> = f.log().iter().filter(|l| l.method == "GET").map(|l| l.status).collect();
    assert_eq!(statuses, vec![429, 503, 404]);
}

#[test]
fn drift_by_tag_and_held_put() {
    let f = FakeAzure::start(opts());
    let t = login(&f);
    put_ok(&f, &t, "/subscriptions/subid/resourceGroups/rg1", "2021-04-01", json!({"location": "westeurope", "tags": {"env": "dev"}}));
    assert!(f.set_tag("/subscriptions/subid/resourceGroups/RG1", "env", "prod"));
    assert_eq!(f.get("/subscriptions/subid/resourceGroups/rg1").unwrap()["tags"]["env"], "prod");
    assert!(!f.set_tag("/subscriptions/subid/resourceGroups/none", "a", "b"));
    // A held PUT has created the object before it answers.
    f.hold_put("virtualnetworks/held");
    let url = format!("{}/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/held?api-version=2024-03-01", f.url());
    let u2 = url.clone();
    let t2 = t.clone();
    let th = std::thread::spawn(move || json("PUT", &u2, &t2, Some(&json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}))).unwrap().status);
    assert!(f.wait_for(std::time::Duration::from_secs(10), |f| f.held() == 1));
    assert!(f.get("/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/held").is_some());
    f.release();
    assert_eq!(th.join().unwrap(), 201);
    assert_eq!(f.held(), 0);
}
