//! The fake over raw HTTP: the OAuth JWT-bearer flow, every answer's JSON
//! checked against the Compute v1 field lists (fixtures/compute-v1-fields.json),
//! and the error shapes (401, 404, 409, 412, 429 + Retry-After).

use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use contin_fake_gcp::{FakeGcp, FakeOptions};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Resp {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Value,
}

async fn http(fake: &FakeGcp, method: &str, path: &str, token: Option<&str>, body: Option<&str>, content_type: &str) -> Resp {
    let mut s = tokio::net::TcpStream::connect(fake.addr()).await.unwrap_or_else(|e| panic!("{e}"));
    let body = body.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n", body.len());
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    Resp { status, headers, body: serde_json::from_str(rest).unwrap_or(Value::Null) }
}

fn sign_jwt(sa: &Value, exp_offset: i64) -> String {
    let pem = sa["private_key"].as_str().unwrap_or_default();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(b64).unwrap_or_else(|e| panic!("{e}"));
    let key = RsaKeyPair::from_pkcs8(&der).unwrap_or_else(|e| panic!("{e}"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT", "kid": sa["private_key_id"]}).to_string());
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"iss": sa["client_email"], "scope": "https://www.googleapis.com/auth/cloud-platform", "aud": sa["token_uri"], "iat": now, "exp": now + exp_offset}).to_string(),
    );
    let signing = format!("{header}.{claims}");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &rng, signing.as_bytes(), &mut sig).unwrap_or_else(|e| panic!("{e}"));
    format!("{signing}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Every key of `v` (a `schema` object) is a field of that schema in the
/// official field lists; nested objects of known schemas are checked too.
fn check(fields: &Value, schema: &str, v: &Value, at: &str) {
    let known: Vec<&str> = fields["schemas"][schema].as_array().unwrap_or_else(|| panic!("no schema {schema}")).iter().filter_map(Value::as_str).collect();
    let Value::Object(m) = v else { panic!("{at}: not an object: {v}") };
    for (k, val) in m {
        assert!(known.contains(&k.as_str()), "{at}: field {k:?} is not in the Compute v1 {schema} schema");
        let nested = match (schema, k.as_str()) {
            ("Instance", "disks") => Some("AttachedDisk"),
            ("Instance", "networkInterfaces") => Some("NetworkInterface"),
            ("Instance", "metadata") => Some("Metadata"),
            ("Instance", "tags") => Some("Tags"),
            ("NetworkInterface", "accessConfigs") => Some("AccessConfig"),
            ("Network", "routingConfig") => Some("NetworkRoutingConfig"),
            ("Firewall", "allowed") => Some("firewall::Allowed"),
            ("Metadata", "items") => Some("metadata::Items"),
            ("Operation", "error") => Some("operation::Error"),
            _ => None,
        };
        if let Some(n) = nested {
            match val {
                Value::Array(items) => items.iter().for_each(|i| check(fields, n, i, &format!("{at}.{k}[]"))),
                other => check(fields, n, other, &format!("{at}.{k}")),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_flow_shapes_and_errors() {
    let fields: Value = serde_json::from_str(include_str!("../fixtures/compute-v1-fields.json")).unwrap_or_else(|e| panic!("{e}"));
    let fake = FakeGcp::start(FakeOptions { op_polls: 2 }).await.unwrap_or_else(|e| panic!("{e}"));
    let sa: Value = serde_json::from_str(fake.service_account_json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sa["token_uri"], format!("{}/token", fake.endpoint()));

    // No token, a forged token: 401.
    let base = "/compute/v1/projects/fake-project";
    assert_eq!(http(&fake, "GET", &format!("{base}/global/networks/n"), None, None, "application/json").await.status, 401);
    assert_eq!(http(&fake, "GET", &format!("{base}/global/networks/n"), Some("ya29.forged"), None, "application/json").await.status, 401);
    // An expired assertion is refused by the token endpoint.
    let form = |jwt: &str| format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}");
    let r = http(&fake, "POST", "/token", None, Some(&form(&sign_jwt(&sa, -100))), "application/x-www-form-urlencoded").await;
    assert_eq!((r.status, r.body["error"].as_str()), (400, Some("invalid_grant")));
    // A valid one yields a bearer token.
    let r = http(&fake, "POST", "/token", None, Some(&form(&sign_jwt(&sa, 3600))), "application/x-www-form-urlencoded").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tok = r.body["access_token"].as_str().unwrap_or_else(|| panic!("no token: {}", r.body)).to_string();
    let t = Some(tok.as_str());
    let post = |path: String, body: Value| {
        let fake = &fake;
        async move { http(fake, "POST", &path, t, Some(&body.to_string()), "application/json").await }
    };

    let r = post(format!("{base}/global/networks?requestId=r1"), json!({"name": "n", "autoCreateSubnetworks": false})).await;
    assert_eq!(r.status, 200);
    check(&fields, "Operation", &r.body, "insert network");
    assert_eq!(r.body["status"], "PENDING");
    assert_eq!(r.body["clientOperationId"], "r1");
    let op = r.body["selfLink"].as_str().unwrap_or_default().trim_start_matches(&fake.endpoint()).to_string();
    let again = post(format!("{base}/global/networks?requestId=r1"), json!({"name": "n"})).await;
    assert_eq!(again.body["name"], r.body["name"], "a repeated requestId returns the first operation");
    let p1 = http(&fake, "GET", &op, t, None, "application/json").await;
    let p2 = http(&fake, "GET", &op, t, None, "application/json").await;
    assert_eq!((p1.body["status"].as_str(), p2.body["status"].as_str()), (Some("RUNNING"), Some("DONE")));
    check(&fields, "Operation", &p2.body, "operation");
    let dup = post(format!("{base}/global/networks"), json!({"name": "n"})).await;
    assert_eq!((dup.status, dup.body["error"]["errors"][0]["reason"].as_str()), (409, Some("alreadyExists")));

    post(format!("{base}/regions/r1/subnetworks"), json!({"name": "s", "network": "global/networks/n", "ipCidrRange": "10.9.0.0/24"})).await;
    post(format!("{base}/global/firewalls"), json!({"name": "f", "network": "projects/fake-project/global/networks/n", "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]})).await;
    post(format!("{base}/regions/r1/addresses"), json!({"name": "a", "labels": {"k": "v"}})).await;
    let vm = post(
        format!("{base}/zones/r1-a/instances"),
        json!({
            "name": "vm", "machineType": "zones/r1-a/machineTypes/e2-micro", "labels": {"env": "x"},
            "metadata": {"items": [{"key": "ssh-keys", "value": "a:ssh-ed25519 AAAA"}]}, "tags": {"items": ["web"]},
            "disks": [{"boot": true, "initializeParams": {"sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
            "networkInterfaces": [{"subnetwork": "regions/r1/subnetworks/s", "accessConfigs": [{"type": "ONE_TO_ONE_NAT"}]}]
        }),
    )
    .await;
    assert_eq!(vm.status, 200, "{}", vm.body);
    assert!(vm.body["zone"].as_str().is_some_and(|z| z.ends_with("/zones/r1-a")));
    for (schema, path) in [
        ("Network", format!("{base}/global/networks/n")),
        ("Subnetwork", format!("{base}/regions/r1/subnetworks/s")),
        ("Firewall", format!("{base}/global/firewalls/f")),
        ("Address", format!("{base}/regions/r1/addresses/a")),
        ("Instance", format!("{base}/zones/r1-a/instances/vm")),
    ] {
        let r = http(&fake, "GET", &path, t, None, "application/json").await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        check(&fields, schema, &r.body, &path);
        assert_eq!(r.body["selfLink"], format!("{}{path}", fake.endpoint()));
    }
    let inst = http(&fake, "GET", &format!("{base}/zones/r1-a/instances/vm"), t, None, "application/json").await.body;
    assert!(inst["networkInterfaces"][0]["networkIP"].as_str().is_some_and(|ip| ip.starts_with("10.9.0.")), "{inst}");
    assert!(inst["networkInterfaces"][0]["network"].as_str().is_some_and(|n| n.ends_with("/global/networks/n")));

    // A stale fingerprint: 412; the current one works.
    let stale = post(format!("{base}/zones/r1-a/instances/vm/setLabels"), json!({"labels": {"env": "y"}, "labelFingerprint": "stale"})).await;
    assert_eq!(stale.status, 412);
    let ok = post(format!("{base}/zones/r1-a/instances/vm/setLabels"), json!({"labels": {"env": "y"}, "labelFingerprint": inst["labelFingerprint"]})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let bad = post(format!("{base}/zones/r1-a/instances/vm/setLabels"), json!({"labels": {"Env": "y"}, "labelFingerprint": "x"})).await;
    assert_eq!(bad.status, 400, "upper-case label keys are invalid");

    // The network is in use: 400 resourceInUseByAnotherResource.
    let r = http(&fake, "DELETE", &format!("{base}/global/networks/n"), t, None, "application/json").await;
    assert_eq!((r.status, r.body["error"]["errors"][0]["reason"].as_str()), (400, Some("resourceInUseByAnotherResource")));
    // Delete, then 404.
    let r = http(&fake, "DELETE", &format!("{base}/zones/r1-a/instances/vm"), t, None, "application/json").await;
    assert_eq!(r.status, 200);
    check(&fields, "Operation", &r.body, "delete");
    let r = http(&fake, "GET", &format!("{base}/zones/r1-a/instances/vm"), t, None, "application/json").await;
    assert_eq!((r.status, r.body["error"]["errors"][0]["reason"].as_str()), (404, Some("notFound")));

    // 429 with Retry-After, then one 503, then normal service.
    fake.inject_429(1, 7);
    let r = http(&fake, "GET", &format!("{base}/global/networks/n"), t, None, "application/json").await;
    assert_eq!((r.status, r.headers.get("retry-after").map(String::as_str)), (429, Some("7")));
    fake.inject_5xx_once();
    assert_eq!(http(&fake, "GET", &format!("{base}/global/networks/n"), t, None, "application/json").await.status, 503);
    assert_eq!(http(&fake, "GET", &format!("{base}/global/networks/n"), t, None, "application/json").await.status, 200);
    // The log has method, path, query and body.
    let log = fake.requests();
    assert!(log.iter().any(|l| l.method == "POST" && l.path == format!("{base}/global/networks") && l.query.get("requestId").map(String::as_str) == Some("r1") && l.body["name"] == "n"));
    // List with a label filter.
    let r = http(&fake, "GET", &format!("{base}/regions/r1/addresses?filter=labels.k%20%3D%20%22v%22"), t, None, "application/json").await;
    assert_eq!((r.status, r.body["items"].as_array().map(Vec::len)), (200, Some(1)), "{}", r.body);
    let r = http(&fake, "GET", &format!("{base}/regions/r1/addresses?filter=labels.k%20%3D%20%22other%22"), t, None, "application/json").await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(0));
    // Drift helper.
    assert!(fake.set_label("projects/fake-project/regions/r1/addresses/a", "k", Some("changed")));
    assert_eq!(fake.object("projects/fake-project/regions/r1/addresses/a").unwrap_or_default()["labels"]["k"], "changed");
}
