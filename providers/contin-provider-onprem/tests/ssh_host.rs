//! The `host` resource through the `Provider` trait, against real sshd
//! processes in network namespaces: create gathers facts, read notices a
//! fact changing, an unreachable host is `Unreachable` (never "gone"), a
//! wrong host key fails create with a clear message, delete only forgets.

use contin_e2e::netns::{SshHost, SshHostOptions};
use contin_provider::{OpContext, Provider, ProviderError};
use contin_provider_onprem::OnpremProvider;
use contin_types::Value;
use std::time::{Duration, Instant};

fn ctx(name: &str) -> OpContext {
    OpContext { address: format!("host.{name}").parse().unwrap(), lineage: "test-lineage".into(), generation: 1 }
}

/// The evaluated `host "NAME" {}` block as the parser hands it over.
fn config(h: &SshHost, name: &str) -> Value {
    Value::map([
        ("name", Value::string(name)),
        ("address", Value::string(h.address())),
        ("private_key", Value::string(h.client_key())),
        ("host_key", Value::string(h.host_public_key())),
        ("labels", Value::map([("tier", Value::string("edge"))])),
    ])
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    match v {
        Value::Map(m) => m.get(k).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

async fn provider(timeout_s: i64) -> OnpremProvider {
    let p = OnpremProvider::new();
    p.configure(Value::map([("connect_timeout_s", Value::int(timeout_s)), ("known_hosts_file", Value::string("/dev/null"))]))
        .await
        .expect("configure");
    p
}

#[tokio::test]
async fn create_gathers_facts_and_read_sees_them_change() {
    // /usr/local/sbin is private so a fake nvidia-smi can appear on this host only.
    let h = SshHost::start_with("facts", SshHostOptions { extra_dirs: vec!["/usr/local/sbin".into()], ..Default::default() });
    let p = provider(5).await;
    let cfg = config(&h, "facts");
    assert!(!p.validate("host", &cfg).has_errors());
    let pc = p.plan_change("host", None, &cfg);
    assert!(pc.diagnostics.is_empty());
    assert_eq!(get(&pc.planned, "id"), &Value::string(format!("root@{}:22", h.address())));
    assert_eq!(get(&pc.planned, "hostname"), &Value::Unknown);

    let created = p.create("host", &pc.planned, &ctx("facts")).await.expect("create");
    assert_eq!(get(&created, "hostname"), &Value::string("facts"));
    assert_eq!(get(&created, "port"), &Value::int(22));
    assert_eq!(get(&created, "user"), &Value::string("root"));
    assert_eq!(get(&created, "reachable"), &Value::Bool(true));
    assert_eq!(get(&created, "gpus"), &Value::List(vec![]));
    assert_eq!(get(&created, "labels"), get(&cfg, "labels"));
    for k in ["os", "os_version", "kernel", "arch", "cpus", "memory_mb"] {
        assert!(!get(&created, k).is_null() && !get(&created, k).is_unknown(), "{k} missing in {created:?}");
    }
    assert!(created.is_wholly_known());

    // Nothing changed: read returns exactly the state, and the plan is a no-op.
    let read = p.read("host", &created).await.expect("read").expect("present");
    assert_eq!(read, created);
    assert_eq!(p.plan_change("host", Some(&read), &cfg).planned, created);

    // Facts change on the machine → read differs (drift).
    h.exec_in("hostname facts-renamed && printf '#!/bin/sh\\necho \"NVIDIA A2\"\\necho \"NVIDIA A2\"\\n' > /usr/local/sbin/nvidia-smi && chmod 755 /usr/local/sbin/nvidia-smi")
        .expect_code(0);
    let drifted = p.read("host", &created).await.expect("read").expect("present");
    assert_ne!(drifted, created);
    assert_eq!(get(&drifted, "hostname"), &Value::string("facts-renamed"));
    assert_eq!(get(&drifted, "gpus"), &Value::List(vec![Value::string("NVIDIA A2"), Value::string("NVIDIA A2")]));

    // Delete forgets: the machine is untouched.
    p.delete("host", &drifted, &ctx("facts")).await.expect("delete");
    assert_eq!(h.exec_in("hostname").stdout, "facts-renamed\n");
}

#[tokio::test]
async fn unreachable_on_read_is_an_unreachable_error_not_gone() {
    let h = SshHost::start("gone");
    let p = provider(3).await;
    let planned = p.plan_change("host", None, &config(&h, "gone")).planned;
    let state = p.create("host", &planned, &ctx("gone")).await.expect("create");

    h.make_unreachable();
    let t = Instant::now();
    let err = p.read("host", &state).await.expect_err("unreachable");
    assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
    match &err {
        ProviderError::Unreachable(m) => assert!(m.contains(&format!("host.gone ({}:22)", h.address())), "{m}"),
        other => panic!("expected Unreachable, got {other:?}"),
    }
    // The private key never shows up in the message.
    assert!(!err.to_string().contains("PRIVATE KEY"));

    h.make_reachable();
    assert!(p.read("host", &state).await.expect("read").is_some());
}

#[tokio::test]
async fn wrong_host_key_fails_create_clearly() {
    let h = SshHost::start("impostor");
    let other = SshHost::start("genuine");
    let p = provider(5).await;
    // The config pins another machine's key.
    let mut cfg = config(&h, "impostor");
    if let Value::Map(m) = &mut cfg {
        m.insert("host_key".into(), Value::string(other.host_public_key()));
    }
    let planned = p.plan_change("host", None, &cfg).planned;
    let err = p.create("host", &planned, &ctx("impostor")).await.expect_err("refused");
    assert_eq!(
        err,
        ProviderError::Failed(format!(
            "host key verification failed for host.impostor ({}:22): server presented {} but host_key pins {}",
            h.address(),
            h.host_key_fingerprint(),
            other.host_key_fingerprint()
        ))
    );
}

#[tokio::test]
async fn a_new_port_replans_facts_and_update_reconnects() {
    let h = SshHost::start("upd");
    let p = provider(5).await;
    let cfg = config(&h, "upd");
    let state = p.create("host", &p.plan_change("host", None, &cfg).planned, &ctx("upd")).await.unwrap();
    // A label change: in-place update, facts known.
    let mut cfg2 = cfg.clone();
    if let Value::Map(m) = &mut cfg2 {
        m.insert("labels".into(), Value::map([("tier", Value::string("core"))]));
    }
    let pc = p.plan_change("host", Some(&state), &cfg2);
    assert!(pc.requires_replace.is_empty());
    assert_eq!(get(&pc.planned, "hostname"), &Value::string("upd"));
    let updated = p.update("host", &state, &pc.planned, &ctx("upd")).await.expect("update");
    assert_eq!(get(&updated, "labels"), &Value::map([("tier", Value::string("core"))]));
    assert_eq!(get(&updated, "hostname"), &Value::string("upd"));
    // A wrong port: connection refused is reported as unreachable.
    if let Value::Map(m) = &mut cfg2 {
        m.insert("port".into(), Value::int(2222));
    }
    let pc = p.plan_change("host", Some(&updated), &cfg2);
    assert_eq!(get(&pc.planned, "hostname"), &Value::Unknown);
    let err = p.update("host", &updated, &pc.planned, &ctx("upd")).await.expect_err("nothing on 2222");
    assert!(matches!(&err, ProviderError::Unreachable(m) if m.contains(":2222)")), "{err:?}");
}

#[tokio::test]
async fn host_passes_the_provider_conformance_suite() {
    use contin_provider::conformance::{self, LifecycleCase};
    let h = SshHost::start("conf");
    let p = provider(5).await;
    let create = config(&h, "conf");
    let mut update = create.clone();
    if let Value::Map(m) = &mut update {
        m.insert("labels".into(), Value::map([("tier", Value::string("core")), ("rack", Value::string("r1"))]));
    }
    // Deleting a host only forgets it: the machine (and so `read`) stays.
    conformance::run(&p, &LifecycleCase::new("host", create, update).state_only()).await.unwrap_or_else(|e| panic!("{e}"));
}
