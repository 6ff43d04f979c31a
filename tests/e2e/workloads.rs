//! End-to-end tests: `workload` blocks and the control side of the edge
//! protocol (the real binary): plan shows workloads per site, apply writes
//! signed desired-state documents into the local mailbox (and under an S3
//! state's prefix), only changed sites move on, enrollment tokens, `edge
//! list`, and secrets in `env` never printed.

use contin_e2e::moto::MotoServer;
use contin_e2e::{insta_settings, Output, Project};
use contin_edge_proto::{decode_secret_key, DesiredState, Envelope, Token};
use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

const SECRET: &str = "MARKER-W0RKL0AD-S3CR3T";

fn config(b_mode: &str) -> String {
    format!(
        r#"variable "api_token" {{
  default   = "{SECRET}"
  sensitive = true
}}

edge_site "eu" {{
  kind = "region"
}}

edge_site "f7" {{
  parent     = edge_site.eu
  latency_ms = 4
}}

edge_site "f8" {{
  parent = edge_site.eu
}}

workload "vision" {{
  command  = ["/bin/sleep", "600"]
  env      = {{ MODE = "edge", TOKEN = var.api_token }}
  replicas = 2
  requires {{
    cpu    = "500m"
    memory = "256Mi"
  }}
  placement {{
    sites = [edge_site.f7]
  }}
  autonomy {{
    tolerate_disconnection = "24h"
  }}
  health {{
    tcp      = "127.0.0.1:8080"
    interval = "5s"
  }}
  restart {{
    backoff_max = "1m"
  }}
}}

workload "probe" {{
  count   = 2
  command = ["/bin/sh", "-c", "sleep 600"]
  env     = {{ MODE = "{b_mode}" }}
  placement {{
    sites = [edge_site.f8]
  }}
}}
"#
    )
}

fn doc_file(site: &str) -> String {
    format!(".contin/mailbox/sites/{site}/desired.json")
}

/// The document of `site`, verified with the deployment key from the state.
fn open_doc(p: &Project, site: &str) -> DesiredState {
    let state = p.state();
    let key = state["edge"]["deployment_key"].as_str().expect("deployment key in state");
    let key = decode_secret_key(key).expect("key decodes");
    let bytes = std::fs::read(p.file(&doc_file(site))).expect("document written");
    Envelope::open(&bytes, &key.verifying_key()).expect("signed with the deployment key")
}

fn ok(o: &Output) -> &Output {
    o.expect_code(0)
}

#[test]
fn plan_shows_workloads_with_their_sites() {
    let p = Project::with_main(&config("one"));
    let plan = p.run(&["plan"]);
    ok(&plan);
    insta_settings(&p.filters()).bind(|| insta::assert_snapshot!("workloads_plan", plan.stdout));
    assert!(!plan.all().contains(SECRET));
}

#[test]
fn apply_writes_signed_documents_and_only_changed_sites_move_on() {
    let p = Project::with_main(&config("one"));
    ok(&p.run(&["apply", "-auto-approve"]));
    let f7 = open_doc(&p, "f7");
    assert_eq!((f7.site.as_str(), f7.generation), ("f7", 1));
    assert_eq!(f7.deployment, p.state()["lineage"].as_str().expect("lineage"));
    let w = &f7.workloads[0];
    assert_eq!((w.name.as_str(), w.replicas, w.requires.memory_mb, w.restart.backoff_max_ms), ("vision", 2, 256, 60_000));
    assert_eq!(w.spec_hash, w.compute_hash());
    let f8 = open_doc(&p, "f8");
    assert_eq!(f8.workloads.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["probe[0]", "probe[1]"]);
    let eu = open_doc(&p, "eu");
    assert_eq!((eu.workloads.len(), eu.children.as_slice()), (0, ["f7".to_string(), "f8".to_string()].as_slice()));
    let files = ["eu", "f7", "f8"].map(|s| (std::fs::read(p.file(&doc_file(s))).expect("doc"), std::fs::metadata(p.file(&doc_file(s))).expect("meta").modified().expect("mtime")));

    // A second apply without changes writes nothing.
    let again = p.run(&["apply", "-auto-approve"]);
    ok(&again);
    assert!(again.stdout.contains("0 added, 0 changed, 0 destroyed"), "{}", again.stdout);
    for (i, s) in ["eu", "f7", "f8"].iter().enumerate() {
        let path = p.file(&doc_file(s));
        assert_eq!(std::fs::read(&path).expect("doc"), files[i].0, "{s} rewritten");
        assert_eq!(std::fs::metadata(&path).expect("meta").modified().expect("mtime"), files[i].1, "{s} touched");
    }

    // A changed workload bumps only its site's generation.
    p.write("main.hcl", &config("two"));
    ok(&p.run(&["apply", "-auto-approve"]));
    let f8 = open_doc(&p, "f8");
    assert_eq!(f8.generation, 2);
    assert_eq!(f8.workloads[0].env.get("MODE").map(String::as_str), Some("two"));
    assert_eq!(std::fs::read(p.file(&doc_file("f7"))).expect("doc"), files[1].0, "f7 keeps its document");
    assert_eq!(std::fs::read(p.file(&doc_file("eu"))).expect("doc"), files[0].0, "eu keeps its document");
    assert_eq!(p.state()["edge"]["sites"]["f8"]["generation"], 2);

    // Destroy: the sites' agents are told to run nothing.
    ok(&p.run(&["destroy", "-auto-approve"]));
    let f7 = open_doc(&p, "f7");
    assert_eq!((f7.generation, f7.workloads.len()), (2, 0));
}

#[test]
fn token_is_the_last_line_signed_single_site_and_expires() {
    let p = Project::with_main("edge_site \"eu\" {\n  kind = \"region\"\n}\n");
    let none = p.run(&["edge", "token", "create", "eu"]);
    none.expect_code(1);
    assert!(none.stderr.contains("no state yet") || none.stderr.contains("run `contin apply`"), "{}", none.stderr);
    ok(&p.run(&["apply", "-auto-approve"]));
    let no_key = p.run(&["edge", "token", "create", "eu"]);
    no_key.expect_code(1);
    assert!(no_key.stderr.contains("no deployment key yet") && no_key.stderr.contains("contin apply"), "{}", no_key.stderr);

    p.write("main.hcl", &config("one"));
    ok(&p.run(&["apply", "-auto-approve"]));
    let unknown = p.run(&["edge", "token", "create", "f9"]);
    unknown.expect_code(1);
    assert!(unknown.stderr.contains("\"f9\" is not in the state"), "{}", unknown.stderr);
    p.run(&["edge", "token", "create", "f7", "--ttl", "soon"]).expect_code(1);

    let out = p.run(&["edge", "token", "create", "f7", "--ttl", "90s"]);
    ok(&out);
    let last = out.stdout.lines().last().expect("a line");
    let claims = Token::parse(last).expect("the last line is a token");
    assert_eq!(claims.site, "f7");
    assert_eq!(claims.deployment_key, p.state()["edge"]["public_key"].as_str().expect("public key"));
    let mailbox = p.path().canonicalize().expect("canon").join(".contin/mailbox");
    let mailbox_url = format!("file://{}", mailbox.display());
    let raw = format!("file://{}", p.path().join(".contin/mailbox").display());
    assert!(claims.mailbox == mailbox_url || claims.mailbox == raw, "{}", claims.mailbox);
    let now = SystemTime::now();
    assert!(claims.check_expiry(now).is_ok());
    assert!(claims.check_expiry(now + Duration::from_secs(91)).is_err(), "expired after its ttl");
    assert!(!out.all().contains(SECRET));
}

#[test]
fn edge_list_shows_sites_without_agents() {
    let p = Project::with_main(&config("one"));
    ok(&p.run(&["apply", "-auto-approve"]));
    let list = p.run(&["edge", "list"]);
    ok(&list);
    let rows: Vec<&str> = list.stdout.lines().collect();
    assert!(rows[0].starts_with("SITE") && rows[0].contains("GENERATION"), "{}", list.stdout);
    let f7 = rows.iter().find(|r| r.starts_with("f7 ")).expect("f7 row");
    assert!(f7.contains("no agent") && f7.contains("-/1") && f7.contains("-/2"), "{f7}");
    let json = p.run(&["edge", "list", "-json"]);
    ok(&json);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let sites = v["sites"].as_array().expect("sites");
    assert_eq!(sites.iter().map(|s| s["site"].as_str().unwrap_or_default()).collect::<Vec<_>>(), ["eu", "f7", "f8"]);
    assert_eq!(sites[1]["desired_generation"], 1);
    assert_eq!(sites[1]["workloads_desired"], 2);
    assert_eq!(sites[1]["agents"], serde_json::json!([]));
    assert_eq!(v["warning"], serde_json::Value::Null);
}

#[test]
fn secrets_in_env_never_appear_in_output() {
    let p = Project::with_main(&config("one"));
    let mut outputs = vec![p.run(&["plan"]), p.run(&["plan", "-json"]), p.run(&["apply", "-auto-approve"])];
    for args in [
        &["show"][..],
        &["show", "-json"],
        &["state", "list"],
        &["state", "show", "workload.vision"],
        &["edge", "list"],
        &["edge", "list", "-json"],
        &["edge", "token", "create", "f7"],
        &["plan", "-json"],
    ] {
        outputs.push(p.run(args));
    }
    for o in &outputs {
        ok(o);
        assert!(!o.all().contains(SECRET), "secret printed:\n{}", o.all());
    }
    // The deployment key is not printed either.
    let key = p.state()["edge"]["deployment_key"].as_str().expect("key").to_string();
    assert!(outputs.iter().all(|o| !o.all().contains(&key)));
    // The agent gets it: the signed payload carries it.
    assert_eq!(open_doc(&p, "f7").workloads[0].env.get("TOKEN").map(String::as_str), Some(SECRET));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.file(".contin/mailbox")).expect("mailbox").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the mailbox directory is private");
    }
}

#[test]
fn workload_errors_are_located() {
    let p = Project::with_main(
        "edge_site \"f7\" {\n  kind = \"site\"\n}\n\nworkload \"w\" {\n  command = [\"/bin/true\"]\n  runtime = \"lxc\"\n  placement {\n    sites = [edge_site.f7]\n  }\n}\n\nworkload \"n\" {\n  image   = \"busybox\"\n  command = [\"/bin/true\"]\n  placement {\n    sites = [edge_site.f7]\n  }\n}\n",
    );
    let plan = p.run(&["plan", "-no-color"]);
    plan.expect_code(1);
    assert!(plan.stderr.contains("main.hcl:7"), "runtime located:\n{}", plan.stderr);
    assert!(plan.stderr.contains("\"lxc\" is not a runtime"), "{}", plan.stderr);
    assert!(plan.stderr.contains("main.hcl:15") && plan.stderr.contains("either command"), "command located:\n{}", plan.stderr);
}

// ---- S3 ------------------------------------------------------------------

/// Minimal HTTP/1.0 client against moto: (status, body).
fn http(moto: &MotoServer, method: &str, path: &str) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", moto.port())).expect("connect to moto");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAuthorization: {auth}\r\nContent-Length: 0\r\n\r\n", moto.port()).expect("write request");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read response");
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("response has headers");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status code");
    (status, buf[split + 4..].to_vec())
}

#[test]
fn s3_apply_writes_documents_under_the_state_prefix() {
    let moto = MotoServer::start();
    assert_eq!(http(&moto, "PUT", "/edge").0, 200);
    let backend = format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket   = \"edge\"\n    key      = \"env/prod/contin.state.json\"\n    region   = \"us-east-1\"\n    endpoint = \"{}\"\n  }}\n}}\n",
        moto.endpoint()
    );
    let p = Project::with_main(&format!("{backend}\n{}", config("one")));
    let mut env = moto.client_env();
    env.push(("AWS_CONFIG_FILE", "/nonexistent/contin-e2e-aws-config".into()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-e2e-aws-credentials".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ok(&p.run_with(&["apply", "-auto-approve"], None, &env));
    assert!(!p.exists(".contin/mailbox"), "no local mailbox with an S3 state");
    let (status, state) = http(&moto, "GET", "/edge/env/prod/contin.state.json");
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_slice(&state).expect("state json");
    let key = decode_secret_key(state["edge"]["deployment_key"].as_str().expect("key")).expect("key");
    let (status, doc) = http(&moto, "GET", "/edge/env/prod/sites/f7/desired.json");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&doc));
    let doc: DesiredState = Envelope::open(&doc, &key.verifying_key()).expect("signed");
    assert_eq!((doc.site.as_str(), doc.generation, doc.workloads[0].name.as_str()), ("f7", 1, "vision"));

    let token = p.run_with(&["edge", "token", "create", "f7"], None, &env);
    ok(&token);
    let claims = Token::parse(token.stdout.lines().last().expect("line")).expect("token");
    assert_eq!(claims.mailbox, format!("s3://edge/env/prod/?region=us-east-1&endpoint={}", moto.endpoint()));
    let list = p.run_with(&["edge", "list", "-json"], None, &env);
    ok(&list);
    let v: serde_json::Value = serde_json::from_str(&list.stdout).expect("json");
    assert_eq!(v["warning"], serde_json::Value::Null, "{}", list.all());
    assert_eq!(v["sites"][1]["desired_generation"], 1);
}
