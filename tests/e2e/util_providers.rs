//! The utility providers (random, time, tls, http) through the binary, in a
//! Terraform configuration as published: `required_providers` naming
//! hashicorp/random, time, tls and http; apply; secrets kept out of the
//! output; a re-plan with no changes; a `keepers` change replacing only the
//! resource it belongs to; `data "http"` against a loopback server.

use contin_e2e::Project;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Answers every request with a small JSON body until dropped.
struct Server {
    addr: String,
    stop: Arc<AtomicBool>,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Server {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("nonblocking");
        let addr = l.local_addr().expect("addr").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(AtomicUsize::new(0));
        let (s, h) = (stop.clone(), hits.clone());
        std::thread::spawn(move || {
            // Bounded: at most 10 minutes or until the test drops the server.
            let deadline = std::time::Instant::now() + Duration::from_secs(600);
            while !s.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                let Ok((mut c, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let _ = c.set_nonblocking(false);
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"region":"eu-west-1"}"#;
                let _ = write!(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
        });
        Server { addr, stop, hits }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn config(addr: &str, keeper: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    random = {{ source = "hashicorp/random", version = "~> 3.6" }}
    time   = {{ source = "hashicorp/time" }}
    tls    = {{ source = "hashicorp/tls" }}
    http   = {{ source = "hashicorp/http" }}
  }}
}}

data "http" "meta" {{
  url             = "http://{addr}/meta"
  request_headers = {{ Accept = "application/json" }}
}}

resource "random_id" "suffix" {{
  byte_length = 4
  keepers     = {{ image = "{keeper}" }}
}}

resource "random_password" "db" {{
  length           = 20
  override_special = "_%@"
}}

resource "random_pet" "name" {{
  prefix = "web"
}}

resource "random_integer" "port" {{
  min = 8000
  max = 8999
}}

resource "time_static" "created" {{}}

resource "tls_private_key" "ssh" {{
  algorithm = "ED25519"
}}

output "bucket" {{
  value = "logs-${{random_id.suffix.hex}}"
}}
output "name" {{
  value = random_pet.name.id
}}
output "port" {{
  value = random_integer.port.result
}}
output "region" {{
  value = jsondecode(data.http.meta.response_body).region
}}
output "status" {{
  value = data.http.meta.status_code
}}
output "year" {{
  value = time_static.created.year
}}
output "ssh" {{
  value = tls_private_key.ssh.public_key_openssh
}}
output "password" {{
  value     = random_password.db.result
  sensitive = true
}}
"#
    )
}

fn outputs(p: &Project) -> serde_json::Value {
    let out = p.run(&["output", "-json"]);
    out.expect_code(0);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("output -json: {e}\n{}", out.stdout))
}

fn value<'a>(o: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let v = &o[name];
    if v.get("value").is_some() { &v["value"] } else { v }
}

#[test]
fn random_time_tls_and_http_apply_replan_and_replace_on_keepers() {
    let server = Server::start();
    let p = Project::empty();
    p.write("main.tf", &config(&server.addr, "v1"));
    let v = p.run(&["validate"]);
    v.expect_code(0);
    let apply = p.run(&["apply", "-auto-approve"]);
    apply.expect_code(0);
    let o = outputs(&p);
    let bucket = value(&o, "bucket").as_str().unwrap_or_default().to_string();
    assert!(bucket.len() == "logs-".len() + 8 && bucket[5..].chars().all(|c| c.is_ascii_hexdigit()), "{o}");
    let name = value(&o, "name").as_str().unwrap_or_default().to_string();
    assert!(name.starts_with("web-") && name.split('-').count() == 3, "{o}");
    let port = value(&o, "port").as_i64().unwrap_or(0);
    assert!((8000..=8999).contains(&port), "{o}");
    assert_eq!(value(&o, "region"), "eu-west-1");
    assert_eq!(value(&o, "status"), 200);
    assert!(value(&o, "year").as_i64().unwrap_or(0) >= 2024, "{o}");
    assert!(value(&o, "ssh").as_str().unwrap_or_default().starts_with("ssh-ed25519 "), "{o}");
    assert!(server.hits.load(Ordering::SeqCst) >= 1);

    // The password and the private key are in state, never in what is printed.
    let password = p.run(&["output", "-raw", "password"]).stdout;
    assert_eq!(password.len(), 20);
    let state = p.read("contin.state.json");
    assert!(state.contains(&password));
    let private_key = p.state()["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["addr"].as_str().is_some_and(|a| a.starts_with("tls_private_key."))))
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert!(private_key.contains("BEGIN PRIVATE KEY"), "the private key is kept in state");
    for run in [&apply, &p.run(&["output", "-json"]), &p.run(&["state", "show", "random_password.db"]), &p.run(&["state", "show", "tls_private_key.ssh"])] {
        assert!(!run.all().contains(&password), "password shown:\n{}", run.all());
        assert!(!run.all().contains("BEGIN PRIVATE KEY"), "private key shown:\n{}", run.all());
    }

    // Nothing changed: nothing to do (the data source is only read again),
    // and the values stay.
    let replan = p.run(&["plan"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes.") || replan.stdout.contains("Plan: 0 to add, 0 to change, 0 to destroy."), "{}", replan.stdout);

    // A keepers change replaces random_id only.
    p.write("main.tf", &config(&server.addr, "v2"));
    let plan = p.run(&["plan"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("random_id.suffix must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to add, 0 to change, 1 to destroy"), "{}", plan.stdout);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let o2 = outputs(&p);
    assert_ne!(value(&o2, "bucket"), bucket.as_str(), "a new id");
    assert_eq!(value(&o2, "name"), name.as_str(), "the pet name stays");
    assert_eq!(p.run(&["output", "-raw", "password"]).stdout, password, "the password stays");
    drop(server);
}

#[test]
fn bad_arguments_are_reported_at_plan() {
    let p = Project::empty();
    p.write(
        "main.tf",
        r#"resource "random_string" "s" {
  length    = 2
  min_upper = 3
}
resource "tls_private_key" "k" {
  algorithm = "ECDSA"
}
resource "time_sleep" "w" {
  create_duration = "soon"
}
"#,
    );
    let out = p.run(&["plan"]);
    out.expect_code(1);
    let all = out.all();
    assert!(all.contains("sum of the min_"), "{all}");
    assert!(all.contains("P224"), "{all}");
    assert!(all.contains("\"soon\" is not a duration"), "{all}");
}
