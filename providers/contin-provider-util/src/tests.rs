use crate::random::{create_value, decimal, with_defaults, ADJECTIVES, ADVERBS, NAMES, NUMERIC, SPECIAL, UPPER};
use crate::time::{format_rfc3339, parse_go_duration, parse_rfc3339};
use crate::{HttpProvider, RandomProvider, TimeProvider, TlsProvider};
use base64::Engine;
use contin_provider::{OpContext, Provider, ProviderError};
use contin_types::value::PathStep;
use contin_types::{ResourceAddr, Value};
use std::time::Duration;

fn cfg(pairs: &[(&str, Value)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn s(v: &Value, k: &str) -> String {
    v.attr_str(k).unwrap_or_else(|| panic!("{k} is not a string in {v:?}")).to_string()
}

fn ctx(ty: &str) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, "t"), lineage: "l".into(), generation: 1 }
}

/// Plan (create) then create, like the executor.
async fn apply(p: &dyn Provider, ty: &str, c: Value) -> Value {
    let d = p.validate(ty, &c);
    assert!(!d.has_errors(), "{ty}: {d:?}");
    let plan = p.plan_change(ty, None, &c);
    assert!(!plan.diagnostics.has_errors(), "{:?}", plan.diagnostics);
    p.create(ty, &plan.planned, &ctx(ty)).await.unwrap()
}

#[tokio::test]
async fn random_id_encodes_the_same_bytes_every_way() {
    let p = RandomProvider::new();
    let v = apply(&p, "random_id", cfg(&[("byte_length", Value::int(8)), ("prefix", Value::string("app-"))])).await;
    let hex = s(&v, "hex");
    let raw = hex.strip_prefix("app-").unwrap();
    assert_eq!(raw.len(), 16);
    let bytes = hex::decode(raw).unwrap();
    assert_eq!(s(&v, "dec"), format!("app-{}", u64::from_be_bytes(bytes.clone().try_into().unwrap())));
    let std = s(&v, "b64_std");
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(std.strip_prefix("app-").unwrap()).unwrap(), bytes);
    assert_eq!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s(&v, "id")).unwrap(), bytes, "id is b64_url without the prefix");
    assert_eq!(s(&v, "b64_url"), format!("app-{}", s(&v, "id")));
    let other = apply(&p, "random_id", cfg(&[("byte_length", Value::int(8))])).await;
    assert_ne!(s(&other, "hex"), raw, "two ids differ");
    assert!(p.validate("random_id", &cfg(&[("byte_length", Value::int(0))])).has_errors());
    assert!(p.validate("random_id", &cfg(&[("byte_length", Value::int(1_000_000_000))])).has_errors());
}

#[test]
fn decimal_matches_u128() {
    for bytes in [vec![0u8], vec![0, 0, 1], vec![255; 16], vec![1, 2, 3, 4, 5, 6, 7, 8, 9]] {
        let mut b = [0u8; 16];
        b[16 - bytes.len()..].copy_from_slice(&bytes);
        assert_eq!(decimal(&bytes), u128::from_be_bytes(b).to_string());
    }
}

#[tokio::test]
async fn random_string_honours_classes_minimums_and_override_special() {
    let p = RandomProvider::new();
    let v = apply(&p, "random_string", cfg(&[("length", Value::int(40)), ("upper", Value::Bool(false)), ("special", Value::Bool(false))])).await;
    let r = s(&v, "result");
    assert_eq!(r.chars().count(), 40);
    assert!(r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{r}");
    assert_eq!(s(&v, "id"), r);
    assert_eq!(v.attr("numeric"), Some(&Value::Bool(true)), "defaults are recorded");
    let v = apply(
        &p,
        "random_string",
        cfg(&[("length", Value::int(12)), ("min_upper", Value::int(4)), ("min_numeric", Value::int(4)), ("min_special", Value::int(4)), ("override_special", Value::string("#"))]),
    )
    .await;
    let r = s(&v, "result");
    assert_eq!(r.chars().filter(|c| UPPER.contains(*c)).count(), 4, "{r}");
    assert_eq!(r.chars().filter(|c| NUMERIC.contains(*c)).count(), 4, "{r}");
    assert_eq!(r.chars().filter(|c| *c == '#').count(), 4, "{r}");
    assert!(!r.chars().any(|c| SPECIAL.contains(c) && c != '#'), "{r}");
    // number = false (deprecated spelling) turns numeric off too.
    let v = apply(&p, "random_string", cfg(&[("length", Value::int(64)), ("number", Value::Bool(false))])).await;
    assert!(!s(&v, "result").chars().any(|c| c.is_ascii_digit()));
    assert_eq!(v.attr("numeric"), Some(&Value::Bool(false)));
    let d = p.validate("random_string", &cfg(&[("length", Value::int(3)), ("min_lower", Value::int(2)), ("min_upper", Value::int(2))]));
    assert!(d.has_errors() && format!("{d:?}").contains("sum of the min_"), "{d:?}");
    let none = cfg(&[("length", Value::int(3)), ("upper", Value::Bool(false)), ("lower", Value::Bool(false)), ("numeric", Value::Bool(false)), ("special", Value::Bool(false))]);
    assert!(p.validate("random_string", &none).has_errors());
}

#[tokio::test]
async fn random_password_is_sensitive_and_its_bcrypt_hash_verifies() {
    let p = RandomProvider::new();
    let v = apply(&p, "random_password", cfg(&[("length", Value::int(16))])).await;
    let Value::Map(m) = &v else { panic!() };
    assert!(m["result"].is_sensitive() && m["bcrypt_hash"].is_sensitive());
    let pw = s(&v, "result");
    assert_eq!(pw.len(), 16);
    assert_eq!(s(&v, "id"), "none");
    let hash = s(&v, "bcrypt_hash");
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert!(bcrypt::verify(&pw, &hash).unwrap());
    let schema = p.schema();
    let rs = &schema.resources["random_password"];
    assert!(rs.attributes["result"].sensitive && rs.attributes["bcrypt_hash"].sensitive);
    assert!(!schema.resources["random_string"].attributes["result"].sensitive);
}

#[tokio::test]
async fn random_pet_integer_shuffle_uuid() {
    let p = RandomProvider::new();
    let v = apply(&p, "random_pet", cfg(&[])).await;
    let words: Vec<String> = s(&v, "id").split('-').map(str::to_string).collect();
    assert_eq!(words.len(), 2);
    assert!(ADJECTIVES.contains(&words[0].as_str()) && NAMES.contains(&words[1].as_str()), "{words:?}");
    let v = apply(&p, "random_pet", cfg(&[("length", Value::int(3)), ("separator", Value::string("_")), ("prefix", Value::string("web"))])).await;
    let words: Vec<&str> = s(&v, "id").leak().split('_').collect();
    assert_eq!(words.len(), 4);
    assert_eq!(words[0], "web");
    assert!(ADVERBS.contains(&words[1]));

    for _ in 0..20 {
        let v = apply(&p, "random_integer", cfg(&[("min", Value::int(-3)), ("max", Value::int(3))])).await;
        let r = v.attr("result").and_then(|r| if let Value::Number(n) = r { n.as_i64() } else { None }).unwrap();
        assert!((-3..=3).contains(&r));
        assert_eq!(s(&v, "id"), r.to_string());
    }
    let seeded = || apply(&p, "random_integer", cfg(&[("min", Value::int(1)), ("max", Value::int(1_000_000)), ("seed", Value::string("x"))]));
    assert_eq!(seeded().await.attr("result"), seeded().await.attr("result"), "same seed, same result");
    assert!(p.validate("random_integer", &cfg(&[("min", Value::int(5)), ("max", Value::int(1))])).has_errors());

    let input: Vec<Value> = ["a", "b", "c", "d", "e"].iter().map(|x| Value::string(*x)).collect();
    let v = apply(&p, "random_shuffle", cfg(&[("input", Value::List(input.clone()))])).await;
    let Some(Value::List(r)) = v.attr("result") else { panic!() };
    let mut sorted: Vec<String> = r.iter().map(|x| x.attr_str("").map(str::to_string).unwrap_or_else(|| format!("{x:?}"))).collect();
    sorted.sort();
    assert_eq!(sorted.len(), 5);
    let mut r2 = r.clone();
    r2.sort_by_key(|x| x.sort_key());
    assert_eq!(r2, input, "a permutation of the input");
    let v = apply(&p, "random_shuffle", cfg(&[("input", Value::List(input.clone())), ("result_count", Value::int(2)), ("seed", Value::string("s"))])).await;
    let w = apply(&p, "random_shuffle", cfg(&[("input", Value::List(input)), ("result_count", Value::int(2)), ("seed", Value::string("s"))])).await;
    assert!(matches!(v.attr("result"), Some(Value::List(l)) if l.len() == 2));
    assert_eq!(v.attr("result"), w.attr("result"));

    let v = apply(&p, "random_uuid", cfg(&[])).await;
    let u = uuid::Uuid::parse_str(&s(&v, "result")).unwrap();
    assert_eq!(u.get_version_num(), 4);
    assert_eq!(s(&v, "id"), s(&v, "result"));
}

#[tokio::test]
async fn keepers_change_replaces_and_an_unchanged_config_keeps_the_value() {
    let p = RandomProvider::new();
    let c = cfg(&[("length", Value::int(8)), ("keepers", Value::map([("ami", Value::string("a-1"))]))]);
    let state = apply(&p, "random_string", c.clone()).await;
    let same = p.plan_change("random_string", Some(&state), &c);
    assert!(same.requires_replace.is_empty(), "{:?}", same.requires_replace);
    assert_eq!(same.planned.attr("result"), state.attr("result"));
    let changed = cfg(&[("length", Value::int(8)), ("keepers", Value::map([("ami", Value::string("a-2"))]))]);
    let plan = p.plan_change("random_string", Some(&state), &changed);
    assert!(plan.requires_replace.iter().any(|path| path.first() == Some(&PathStep::Key("keepers".into()))), "{:?}", plan.requires_replace);
    assert!(plan.planned.attr("result").is_some_and(Value::is_unknown));
    let shorter = p.plan_change("random_string", Some(&state), &cfg(&[("length", Value::int(9)), ("keepers", Value::map([("ami", Value::string("a-1"))]))]));
    assert!(!shorter.requires_replace.is_empty());
    // Defaults appear in the plan.
    let fresh = p.plan_change("random_string", None, &cfg(&[("length", Value::int(8))]));
    assert_eq!(fresh.planned.attr("special"), Some(&Value::Bool(true)));
    assert_eq!(p.plan_change("random_pet", None, &cfg(&[])).planned.attr("separator"), Some(&Value::string("-")));
}

#[test]
fn go_durations_parse() {
    assert_eq!(parse_go_duration("30s").unwrap(), Duration::from_secs(30));
    assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
    assert_eq!(parse_go_duration("1.5h").unwrap(), Duration::from_secs(5400));
    assert_eq!(parse_go_duration("300ms").unwrap(), Duration::from_millis(300));
    assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
    for bad in ["", "s", "10", "1x", "-1m", "1m-", "1e5s"] {
        assert!(parse_go_duration(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn time_static_and_offset_compute_from_the_base() {
    let p = TimeProvider::new();
    let v = apply(&p, "time_static", cfg(&[("rfc3339", Value::string("2024-02-28T22:30:15+01:00"))])).await;
    assert_eq!(s(&v, "id"), "2024-02-28T21:30:15Z");
    assert_eq!((v.attr("year"), v.attr("month"), v.attr("day"), v.attr("hour")), (Some(&Value::int(2024)), Some(&Value::int(2)), Some(&Value::int(28)), Some(&Value::int(21))));
    assert_eq!(v.attr("unix"), Some(&Value::int(1_709_155_815)));
    let now = apply(&p, "time_static", cfg(&[])).await;
    let t = parse_rfc3339(&s(&now, "rfc3339")).unwrap();
    assert_eq!(format_rfc3339(t), s(&now, "id"));
    // Known base: the plan already shows the offset time.
    let c = cfg(&[("base_rfc3339", Value::string("2024-01-31T00:00:00Z")), ("offset_months", Value::int(1)), ("offset_days", Value::int(1))]);
    let plan = p.plan_change("time_offset", None, &c);
    assert_eq!(plan.planned.attr_str("rfc3339"), Some("2024-03-01T00:00:00Z"), "Jan 31 + 1 month = Feb 29 (clamped), + 1 day");
    let state = p.create("time_offset", &plan.planned, &ctx("time_offset")).await.unwrap();
    // An offset change is an in-place update with the new time planned.
    let c2 = cfg(&[("base_rfc3339", Value::string("2024-01-31T00:00:00Z")), ("offset_hours", Value::int(-1))]);
    let plan = p.plan_change("time_offset", Some(&state), &c2);
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned.attr_str("rfc3339"), Some("2024-01-30T23:00:00Z"));
    assert!(p.validate("time_offset", &cfg(&[])).has_errors(), "an offset is required");
    assert!(p.validate("time_static", &cfg(&[("rfc3339", Value::string("yesterday"))])).has_errors());
}

#[tokio::test]
async fn time_rotating_reads_as_gone_once_due() {
    let p = TimeProvider::new();
    let v = apply(&p, "time_rotating", cfg(&[("rotation_days", Value::int(30))])).await;
    let base = parse_rfc3339(&s(&v, "rfc3339")).unwrap();
    let rot = parse_rfc3339(&s(&v, "rotation_rfc3339")).unwrap();
    assert_eq!((rot - base).num_days(), 30);
    assert_eq!(p.read("time_rotating", &v).await.unwrap().as_ref(), Some(&v), "not due yet");
    let old = apply(&p, "time_rotating", cfg(&[("rfc3339", Value::string("2020-01-01T00:00:00Z")), ("rotation_hours", Value::int(1))])).await;
    assert_eq!(s(&old, "rotation_rfc3339"), "2020-01-01T01:00:00Z");
    assert_eq!(p.read("time_rotating", &old).await.unwrap(), None, "due: the next plan creates a new one");
    let fixed = apply(&p, "time_rotating", cfg(&[("rfc3339", Value::string("2020-01-01T00:00:00Z")), ("rotation_rfc3339", Value::string("2999-01-01T00:00:00Z"))])).await;
    assert_eq!(s(&fixed, "rotation_rfc3339"), "2999-01-01T00:00:00Z");
    assert!(p.validate("time_rotating", &cfg(&[])).has_errors());
}

#[tokio::test]
async fn time_sleep_waits_and_validates_durations() {
    let p = TimeProvider::new();
    let v = apply(&p, "time_sleep", cfg(&[("create_duration", Value::string("10ms")), ("destroy_duration", Value::string("1ms"))])).await;
    assert!(parse_rfc3339(&s(&v, "id")).is_ok());
    p.delete("time_sleep", &v, &ctx("time_sleep")).await.unwrap();
    assert!(p.validate("time_sleep", &cfg(&[("create_duration", Value::string("soon"))])).has_errors());
    assert!(p.validate("time_sleep", &cfg(&[("create_duration", Value::string("48h"))])).has_errors(), "over the limit");
}

async fn key(algorithm: &str, extra: &[(&str, Value)]) -> Value {
    let mut pairs = vec![("algorithm", Value::string(algorithm))];
    pairs.extend(extra.iter().cloned());
    apply(&TlsProvider::new(), "tls_private_key", cfg(&pairs)).await
}

fn check_public_parts(v: &Value, ssh_prefix: &str) {
    use sha1::Digest;
    let Value::Map(m) = v else { panic!() };
    for a in ["private_key_pem", "private_key_pem_pkcs8", "private_key_openssh"] {
        assert!(m[a].is_sensitive(), "{a} is sensitive");
    }
    assert!(!m["public_key_pem"].is_sensitive());
    let pem = s(v, "public_key_pem");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
    let openssh = s(v, "public_key_openssh");
    assert!(openssh.starts_with(ssh_prefix) && openssh.ends_with('\n'), "{openssh}");
    assert!(s(v, "private_key_openssh").starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    assert!(s(v, "private_key_pem_pkcs8").starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(s(v, "public_key_fingerprint_sha256").starts_with("SHA256:"));
    let md5 = s(v, "public_key_fingerprint_md5");
    assert_eq!(md5.split(':').count(), 16, "{md5}");
    // id: hex SHA-1 of the public key's DER (the PEM's base64 body).
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    assert_eq!(s(v, "id"), hex::encode(sha1::Sha1::digest(&der)));
    // The OpenSSH public key is the same key as the PEM one.
    let parsed = ssh_key::PublicKey::from_openssh(&openssh).unwrap();
    assert_eq!(parsed.fingerprint(ssh_key::HashAlg::Sha256).to_string(), s(v, "public_key_fingerprint_sha256"));
}

#[tokio::test]
async fn tls_private_keys_ed25519_and_ecdsa() {
    use p256::pkcs8::DecodePublicKey;
    let v = key("ED25519", &[]).await;
    check_public_parts(&v, "ssh-ed25519 ");
    assert!(s(&v, "private_key_pem").starts_with("-----BEGIN PRIVATE KEY-----"));
    let private = ssh_key::PrivateKey::from_openssh(s(&v, "private_key_openssh")).unwrap();
    assert_eq!(private.public_key().to_openssh().unwrap().trim(), s(&v, "public_key_openssh").trim());

    let v = key("ECDSA", &[("ecdsa_curve", Value::string("P256"))]).await;
    check_public_parts(&v, "ecdsa-sha2-nistp256 ");
    assert!(s(&v, "private_key_pem").starts_with("-----BEGIN EC PRIVATE KEY-----"));
    let pk = p256::PublicKey::from_public_key_pem(&s(&v, "public_key_pem")).unwrap();
    let sk = <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&s(&v, "private_key_pem_pkcs8")).unwrap();
    assert_eq!(sk.public_key(), pk, "the private and public PEMs are one key pair");
    let v = key("ECDSA", &[("ecdsa_curve", Value::string("P384"))]).await;
    check_public_parts(&v, "ecdsa-sha2-nistp384 ");

    let p = TlsProvider::new();
    let d = p.validate("tls_private_key", &cfg(&[("algorithm", Value::string("ECDSA"))]));
    assert!(d.has_errors() && format!("{d:?}").contains("P224"), "Terraform's default curve is named: {d:?}");
    assert!(p.validate("tls_private_key", &cfg(&[("algorithm", Value::string("DSA"))])).has_errors());
    assert!(p.validate("tls_private_key", &cfg(&[("algorithm", Value::string("RSA")), ("rsa_bits", Value::int(512))])).has_errors());
    // Any configured argument change replaces the key.
    let plan = p.plan_change("tls_private_key", Some(&v), &cfg(&[("algorithm", Value::string("ECDSA")), ("ecdsa_curve", Value::string("P256"))]));
    assert!(!plan.requires_replace.is_empty());
}

#[tokio::test]
async fn tls_private_key_rsa() {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let v = key("RSA", &[]).await;
    check_public_parts(&v, "ssh-rsa ");
    let pem = s(&v, "private_key_pem");
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let k = rsa::RsaPrivateKey::from_pkcs1_pem(&pem).unwrap();
    assert_eq!(k.n().bit_width(), 2048);
    assert_eq!(v.attr("rsa_bits"), Some(&Value::int(2048)));
}

/// A one-request HTTP server on loopback: returns the request it read.
async fn serve_once(status: &'static str, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = tokio::spawn(async move {
        let (mut c, _) = l.accept().await.unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = c.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            req.extend_from_slice(&buf[..n]);
        }
        let resp = format!("HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nX-Two: a\r\nX-Two: b\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        c.write_all(resp.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&req).into_owned()
    });
    (format!("http://{addr}/path?q=1"), h)
}

#[tokio::test]
async fn http_data_source_reads_body_headers_and_status() {
    let p = HttpProvider::new();
    let (url, h) = serve_once("200 OK", "hello").await;
    let c = cfg(&[("url", Value::string(&url)), ("request_headers", Value::map([("Accept", Value::string("application/json")), ("Authorization", Value::string("Bearer t").mark_sensitive())]))]);
    assert!(!p.validate("http", &c).has_errors());
    let v = p.read_data("http", &c).await.unwrap();
    let req = h.await.unwrap();
    assert!(req.starts_with("GET /path?q=1 HTTP/1.1\r\n"), "{req}");
    assert!(req.to_ascii_lowercase().contains("accept: application/json") && req.contains("Bearer t"), "{req}");
    assert_eq!(s(&v, "response_body"), "hello");
    assert_eq!(s(&v, "body"), "hello");
    assert_eq!(s(&v, "response_body_base64"), "aGVsbG8=");
    assert_eq!(v.attr("status_code"), Some(&Value::int(200)));
    assert_eq!(s(&v, "id"), url);
    let Some(Value::Map(hd)) = v.attr("response_headers") else { panic!() };
    assert_eq!(hd.get("Content-Type"), Some(&Value::string("text/plain")));
    assert_eq!(hd.get("X-Two"), Some(&Value::string("a, b")));

    // A 404 is no error: status_code says it.
    let (url, h) = serve_once("404 Not Found", "nope").await;
    let v = p.read_data("http", &cfg(&[("url", Value::string(&url)), ("method", Value::string("POST")), ("request_body", Value::string("{}"))])).await.unwrap();
    assert!(h.await.unwrap().starts_with("POST /path"));
    assert_eq!(v.attr("status_code"), Some(&Value::int(404)));

    // Nothing listening: unreachable, and a sensitive URL is not shown.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/secret-token", l.local_addr().unwrap());
    drop(l);
    let e = p.read_data("http", &cfg(&[("url", Value::string(&dead).mark_sensitive())])).await.unwrap_err();
    assert!(matches!(e, ProviderError::Unreachable(_)), "{e}");
    assert!(!e.to_string().contains("secret-token"), "{e}");
    assert!(p.validate("http", &cfg(&[("url", Value::string("ftp://x"))])).has_errors());
    assert!(p.validate("http", &cfg(&[("url", Value::string(&url)), ("insecure", Value::Bool(true))])).has_errors());
    assert_eq!(crate::http::canonical_header("x-amz-request-id"), "X-Amz-Request-Id");
}

#[test]
fn schemas_use_terraform_names() {
    let r = RandomProvider::new().schema();
    for t in ["random_id", "random_string", "random_password", "random_pet", "random_integer", "random_shuffle", "random_uuid"] {
        assert!(r.resources[t].attributes.contains_key("keepers"), "{t}");
    }
    let t = TimeProvider::new().schema();
    assert_eq!(t.resources.keys().map(String::as_str).collect::<Vec<_>>(), vec!["time_offset", "time_rotating", "time_sleep", "time_static"]);
    assert!(t.resources["time_sleep"].attributes.contains_key("create_duration"));
    assert!(HttpProvider::new().schema().data_sources["http"].attributes.contains_key("response_body"));
    let _ = with_defaults;
    let _ = create_value;
}
