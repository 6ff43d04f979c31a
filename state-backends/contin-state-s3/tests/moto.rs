//! The s3 backend against a real moto server (S3 API over HTTP).

use contin_e2e::moto::MotoServer;
use contin_state::{Backend, LockInfo, State, StateError};
use contin_state_s3::{S3Backend, S3Config};
use std::time::{Duration, Instant};

fn set_env(moto: &MotoServer) {
    for (k, v) in moto.client_env() {
        std::env::set_var(k, v);
    }
}

fn cfg(moto: &MotoServer, bucket: &str, key: &str) -> S3Config {
    S3Config {
        bucket: bucket.into(),
        key: key.into(),
        region: Some("us-east-1".into()),
        endpoint: Some(moto.endpoint()),
        ..S3Config::default()
    }
}

async fn backend(moto: &MotoServer, bucket: &str, key: &str) -> S3Backend {
    set_env(moto);
    let b = S3Backend::connect(cfg(moto, bucket, key)).await.expect("connect");
    b.client().create_bucket().bucket(bucket).send().await.expect("create bucket");
    b
}

async fn raw(b: &S3Backend, key: &str) -> Option<Vec<u8>> {
    match b.client().get_object().bucket(&b.config().bucket).key(key).send().await {
        Ok(o) => Some(o.body.collect().await.expect("body").into_bytes().to_vec()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => None,
        Err(e) => panic!("get {key}: {e:?}"),
    }
}

#[tokio::test]
async fn conformance() {
    let moto = MotoServer::start();
    let b = backend(&moto, "conf", "env/prod/contin.state.json").await;
    let (client, c) = (b.client().clone(), b.config().clone());
    contin_state::conformance::run_all(|| S3Backend::with_client(client.clone(), c.clone())).await;
    // The lock object is gone after the suite; only the state object remains.
    let listed = client.list_objects_v2().bucket("conf").send().await.expect("list");
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["env/prod/contin.state.json"]);
}

#[tokio::test]
async fn encrypted_conformance_sse_s3_and_kms() {
    let moto = MotoServer::start();
    let b = backend(&moto, "enc", "contin.state.json").await;
    let client = b.client().clone();
    let aes = S3Config { encrypt: true, ..b.config().clone() };
    contin_state::conformance::run_all(|| S3Backend::with_client(client.clone(), aes.clone())).await;
    let head = client.head_object().bucket("enc").key("contin.state.json").send().await.expect("head");
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("AES256"));

    let kms = S3Config { encrypt: true, kms_key_id: Some("alias/contin".into()), key: "kms/contin.state.json".into(), ..b.config().clone() };
    let kb = S3Backend::with_client(client.clone(), kms);
    let mut s = State::new();
    s.serial = 1;
    kb.persist(&s, None).await.expect("persist with kms");
    let head = client.head_object().bucket("enc").key("kms/contin.state.json").send().await.expect("head");
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("aws:kms"));
    assert_eq!(head.ssekms_key_id(), Some("alias/contin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lock_contention_names_the_holder() {
    let moto = MotoServer::start();
    let a = backend(&moto, "locks", "contin.state.json").await;
    let b = S3Backend::with_client(a.client().clone(), a.config().clone());
    let held = LockInfo::new("apply", &a.describe());
    a.lock(&held).await.expect("first lock");
    let raw_lock = raw(&a, "contin.state.json.lock").await.expect("lock object exists");
    let stored: LockInfo = serde_json::from_slice(&raw_lock).expect("lock object is LockInfo JSON");
    assert_eq!(stored, held);
    let err = b.lock(&LockInfo::new("plan", &b.describe())).await.expect_err("second lock refused");
    let msg = err.to_string();
    assert!(matches!(&err, StateError::Locked(h) if h.id == held.id), "{err:?}");
    for part in [held.who.as_str(), "apply", held.id.as_str()] {
        assert!(msg.contains(part), "{part} in {msg}");
    }
    assert_eq!(b.lock_holder().await.expect("holder"), Some(held.clone()));
    // Many racers at once: exactly one wins.
    a.unlock(&held.id).await.expect("unlock");
    let racers: Vec<_> = (0..8).map(|_| S3Backend::with_client(a.client().clone(), a.config().clone())).collect();
    let infos: Vec<_> = (0..8).map(|i| LockInfo::new(&format!("op{i}"), "x")).collect();
    let handles: Vec<_> = racers
        .iter()
        .zip(&infos)
        .map(|(r, i)| {
            let (r, i) = (r.clone(), i.clone());
            tokio::spawn(async move { r.lock(&i).await })
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.expect("join"));
    }
    let winners: Vec<_> = results.iter().enumerate().filter(|(_, r)| r.is_ok()).map(|(i, _)| i).collect();
    assert_eq!(winners.len(), 1, "exactly one racer wins: {results:?}");
    let w = winners[0];
    for (i, r) in results.iter().enumerate().filter(|(i, _)| *i != w) {
        assert!(matches!(r, Err(StateError::Locked(h)) if h.id == infos[w].id), "racer {i}: {r:?}");
    }
    racers[w].unlock(&infos[w].id).await.expect("winner unlocks");
}

#[tokio::test]
async fn if_match_conflict_leaves_the_object_unchanged() {
    let moto = MotoServer::start();
    let first = backend(&moto, "race", "s/contin.state.json").await;
    let mut s = State::new();
    s.serial = 1;
    first.persist(&s, None).await.expect("seed");
    let (a, b) = (
        S3Backend::with_client(first.client().clone(), first.config().clone()),
        S3Backend::with_client(first.client().clone(), first.config().clone()),
    );
    let sa = a.load().await.expect("load a").expect("state");
    let sb = b.load().await.expect("load b").expect("state");
    let mut next_a = sa.clone();
    next_a.serial = 2;
    next_a.outputs.insert("who".into(), contin_state::OutputState { value: "a".into(), sensitive: false });
    a.persist(&next_a, Some(1)).await.expect("a wins");
    let after_a = raw(&a, "s/contin.state.json").await.expect("object");
    let mut next_b = sb.clone();
    next_b.serial = 2;
    next_b.outputs.insert("who".into(), contin_state::OutputState { value: "b".into(), sensitive: false });
    match b.persist(&next_b, Some(1)).await {
        Err(e @ StateError::Conflict { expected: Some(1), found: Some(2), .. }) => {
            assert!(e.to_string().contains("s3://race/s/contin.state.json"), "{e}");
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(raw(&a, "s/contin.state.json").await.expect("object"), after_a, "object unchanged");
    // a keeps writing from its cached ETag.
    let mut third = next_a.clone();
    third.serial = 3;
    a.persist(&third, Some(2)).await.expect("a's next checkpoint");
    assert_eq!(b.load().await.expect("load").expect("state"), third);

    // A writer whose cached ETag went stale (someone wrote behind its back with
    // the same serial it expects) is refused by If-Match, not by the serial check.
    let mut sneaky = third.clone();
    sneaky.outputs.insert("sneaky".into(), contin_state::OutputState { value: true.into(), sensitive: false });
    let bytes = contin_state::codec::encode(&sneaky).expect("encode");
    a.client().put_object().bucket("race").key("s/contin.state.json").body(bytes.into()).send().await.expect("raw put");
    let mut fourth = third.clone();
    fourth.serial = 4;
    assert!(matches!(a.persist(&fourth, Some(3)).await, Err(StateError::Conflict { found: Some(3), .. })));
    assert_eq!(b.load().await.expect("load").expect("state"), sneaky);
}

#[tokio::test]
async fn corrupt_object_is_reported_and_left_alone() {
    let moto = MotoServer::start();
    let b = backend(&moto, "corrupt", "x/contin.state.json").await;
    let junk = b"{\"version\": 1, \"lineage\": ".to_vec();
    b.client().put_object().bucket("corrupt").key("x/contin.state.json").body(junk.clone().into()).send().await.expect("put");
    let err = b.load().await.expect_err("corrupt");
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("s3://corrupt/x/contin.state.json"), "{err}");
    let mut s = State::new();
    s.serial = 1;
    assert!(b.persist(&s, Some(0)).await.is_err(), "no write over a corrupt object");
    assert!(b.persist(&s, None).await.is_err(), "no write over a corrupt object");
    assert_eq!(raw(&b, "x/contin.state.json").await, Some(junk));
}

#[tokio::test]
async fn unreadable_lock_object_still_locks_and_can_be_forced() {
    let moto = MotoServer::start();
    let b = backend(&moto, "badlock", "contin.state.json").await;
    b.client().put_object().bucket("badlock").key("contin.state.json.lock").body(b"garbage".to_vec().into()).send().await.expect("put");
    let h = b.lock_holder().await.expect("holder").expect("locked");
    assert_eq!(h.id, contin_state_s3::UNREADABLE_LOCK_ID);
    assert!(matches!(b.lock(&LockInfo::new("apply", "x")).await, Err(StateError::Locked(_))));
    b.force_unlock(contin_state_s3::UNREADABLE_LOCK_ID).await.expect("forced");
    assert_eq!(b.lock_holder().await.expect("holder"), None);
}

#[tokio::test]
async fn missing_bucket_is_a_clear_error() {
    let moto = MotoServer::start();
    set_env(&moto);
    let b = S3Backend::connect(cfg(&moto, "no-such-bucket", "contin.state.json")).await.expect("connect");
    let err = b.load().await.expect_err("no bucket");
    let msg = err.to_string();
    assert!(msg.contains("s3://no-such-bucket/contin.state.json") && msg.contains("NoSuchBucket"), "{msg}");
}

#[tokio::test]
async fn unreachable_endpoint_errors_without_hanging() {
    let moto = MotoServer::start();
    set_env(&moto);
    // A port nothing listens on, and a non-routable address (connect timeout).
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    for endpoint in [format!("http://127.0.0.1:{port}"), "http://10.255.255.1:9".to_string()] {
        let c = S3Config { endpoint: Some(endpoint.clone()), ..cfg(&moto, "b", "contin.state.json") };
        let b = S3Backend::connect(c).await.expect("connect builds a client without IO");
        let started = Instant::now();
        let err = tokio::time::timeout(Duration::from_secs(40), b.load()).await.expect("load must not hang").expect_err("unreachable");
        assert!(started.elapsed() < Duration::from_secs(30), "{endpoint}: took {:?}", started.elapsed());
        assert!(err.to_string().contains("s3://b/contin.state.json"), "{err}");
        let err = tokio::time::timeout(Duration::from_secs(40), b.lock(&LockInfo::new("apply", "x")))
            .await
            .expect("lock must not hang")
            .expect_err("unreachable");
        assert!(!err.to_string().is_empty());
    }
}

#[tokio::test]
async fn missing_region_is_reported() {
    std::env::remove_var("AWS_REGION");
    std::env::remove_var("AWS_DEFAULT_REGION");
    std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/contin-test-config");
    let c = S3Config { bucket: "b".into(), key: "k".into(), endpoint: Some("http://127.0.0.1:9".into()), ..S3Config::default() };
    let err = S3Backend::connect(c).await.expect_err("no region");
    assert_eq!(err, contin_state_s3::S3ConfigError::MissingRegion);
}
