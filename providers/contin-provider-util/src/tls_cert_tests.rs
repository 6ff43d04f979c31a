use super::*;
use crate::TlsProvider;
use contin_provider::{OpContext, Provider};
use contin_types::ResourceAddr;
use x509_parser::prelude::*;

fn cfg(pairs: &[(&str, Value)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn s(v: &Value, k: &str) -> String {
    v.attr_str(k).unwrap_or_else(|| panic!("{k} is not a string in {v:?}")).to_string()
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| Value::string(*i)).collect())
}

fn ctx(ty: &str) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, "t"), lineage: "l".into(), generation: 1 }
}

async fn apply(ty: &str, c: Value) -> Value {
    let p = TlsProvider::new();
    let d = p.validate(ty, &c);
    assert!(!d.has_errors(), "{ty}: {d:?}");
    let plan = p.plan_change(ty, None, &c);
    assert!(!plan.diagnostics.has_errors(), "{:?}", plan.diagnostics);
    p.create(ty, &plan.planned, &ctx(ty)).await.unwrap()
}

async fn private_key(algorithm: &str, curve: Option<&str>) -> Value {
    let mut pairs = vec![("algorithm", Value::string(algorithm))];
    if let Some(c) = curve {
        pairs.push(("ecdsa_curve", Value::string(c)));
    }
    apply("tls_private_key", cfg(&pairs)).await
}

fn subject_block(cn: &str, org: &str) -> Value {
    Value::List(vec![cfg(&[("common_name", Value::string(cn)), ("organization", Value::string(org)), ("street_address", list(&["1 Main St"]))])])
}

fn der_of(pem: &str) -> Vec<u8> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("PEM");
    p.contents
}

fn name_attr(name: &X509Name<'_>, f: impl Fn(&X509Name<'_>) -> Option<String>) -> String {
    f(name).unwrap_or_default()
}

fn cn(name: &X509Name<'_>) -> String {
    name_attr(name, |n| n.iter_common_name().next().and_then(|a| a.as_str().ok()).map(str::to_string))
}

async fn self_signed(key: &Value, extra: &[(&str, Value)]) -> Value {
    let mut pairs = vec![
        ("private_key_pem", Value::String(s(key, "private_key_pem"))),
        ("subject", subject_block("example.com", "ACME")),
        ("dns_names", list(&["example.com", "www.example.com"])),
        ("ip_addresses", list(&["10.0.0.1", "::1"])),
        ("uris", list(&["spiffe://example.com/web"])),
        ("validity_period_hours", Value::int(12)),
        ("allowed_uses", list(&["key_encipherment", "digital_signature", "server_auth"])),
    ];
    pairs.extend(extra.iter().cloned());
    apply(TLS_SELF_SIGNED_CERT, cfg(&pairs)).await
}

#[tokio::test]
async fn self_signed_certificates_for_every_key_kind_parse_and_verify() {
    for (alg, curve, key_alg) in [("ED25519", None, "ED25519"), ("ECDSA", Some("P256"), "ECDSA"), ("ECDSA", Some("P384"), "ECDSA"), ("RSA", None, "RSA")] {
        let key = private_key(alg, curve).await;
        let v = self_signed(&key, &[]).await;
        assert_eq!(s(&v, "key_algorithm"), key_alg);
        let der = der_of(&s(&v, "cert_pem"));
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        // Subject and issuer (self-signed).
        assert_eq!(cn(cert.subject()), "example.com");
        assert_eq!(cert.subject().iter_organization().next().unwrap().as_str().unwrap(), "ACME");
        assert_eq!(cert.subject().to_string(), cert.issuer().to_string());
        // SANs.
        let san = cert.subject_alternative_name().unwrap().expect("SAN extension");
        let names: Vec<String> = san
            .value
            .general_names
            .iter()
            .map(|g| match g {
                GeneralName::DNSName(d) => format!("DNS:{d}"),
                GeneralName::URI(u) => format!("URI:{u}"),
                GeneralName::IPAddress(b) if b.len() == 4 => format!("IP:{}", std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).unwrap())),
                GeneralName::IPAddress(b) => format!("IP:{}", std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).unwrap())),
                other => format!("{other}"),
            })
            .collect();
        assert_eq!(names, ["DNS:example.com", "DNS:www.example.com", "IP:10.0.0.1", "IP:::1", "URI:spiffe://example.com/web"]);
        // Validity: 12 hours, as the attributes say.
        let start = cert.validity().not_before.timestamp();
        let end = cert.validity().not_after.timestamp();
        assert_eq!(end - start, 12 * 3600);
        assert_eq!(s(&v, "validity_start_time"), rfc3339(start));
        assert_eq!(s(&v, "validity_end_time"), rfc3339(end));
        assert_eq!(v.attr("ready_for_renewal"), Some(&Value::Bool(false)));
        // id: the serial in decimal.
        assert_eq!(s(&v, "id"), cert.serial.to_string());
        // Key usage, extended key usage, CA:FALSE, no key id unless asked.
        let ku = cert.key_usage().unwrap().expect("key usage");
        assert!(ku.critical && ku.value.digital_signature() && ku.value.key_encipherment() && !ku.value.key_cert_sign());
        let eku = cert.extended_key_usage().unwrap().expect("EKU");
        assert!(eku.value.server_auth && !eku.value.client_auth);
        let bc = cert.basic_constraints().unwrap().expect("basic constraints");
        assert!(bc.critical && !bc.value.ca);
        assert!(!cert.extensions().iter().any(|e| matches!(e.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(_))));
        // The signature verifies with the key's own public key, and with no other.
        cert.verify_signature(None).unwrap_or_else(|e| panic!("{alg}: {e}"));
        let other = private_key("ED25519", None).await;
        let other_der = der_of(&s(&other, "public_key_pem"));
        let (_, other_spki) = SubjectPublicKeyInfo::from_der(&other_der).unwrap();
        assert!(cert.verify_signature(Some(&other_spki)).is_err());
        // The certificate's public key is the private key's.
        assert_eq!(cert.public_key().raw, der_of(&s(&key, "public_key_pem")).as_slice());
        // A no-op replan.
        let p = TlsProvider::new();
        let c = cfg(&[
            ("private_key_pem", Value::String(s(&key, "private_key_pem"))),
            ("subject", subject_block("example.com", "ACME")),
            ("dns_names", list(&["example.com", "www.example.com"])),
            ("ip_addresses", list(&["10.0.0.1", "::1"])),
            ("uris", list(&["spiffe://example.com/web"])),
            ("validity_period_hours", Value::int(12)),
            ("allowed_uses", list(&["key_encipherment", "digital_signature", "server_auth"])),
        ]);
        let read = p.read(TLS_SELF_SIGNED_CERT, &v).await.unwrap().unwrap();
        let plan = p.plan_change(TLS_SELF_SIGNED_CERT, Some(&read), &c);
        assert!(plan.requires_replace.is_empty(), "{:?}", plan.requires_replace);
        assert_eq!(plan.planned, read.unmark_deep().0, "no change");
    }
}

#[tokio::test]
async fn ca_chain_locally_signed_from_a_request() {
    let ca_key = private_key("ECDSA", Some("P384")).await;
    let ca = self_signed(
        &ca_key,
        &[("is_ca_certificate", Value::Bool(true)), ("allowed_uses", list(&["cert_signing", "crl_signing"])), ("set_authority_key_id", Value::Bool(true))],
    )
    .await;
    let ca_der = der_of(&s(&ca, "cert_pem"));
    let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();
    assert!(ca_cert.is_ca());
    let ca_ski = ca_cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
        _ => None,
    });
    let ca_ski = ca_ski.expect("a CA has a subject key id");
    assert_eq!(ca_ski, Sha1::digest(&ca_cert.public_key().subject_public_key.data).to_vec(), "RFC 5280 method 1");

    let leaf_key = private_key("RSA", None).await;
    let req = apply(
        TLS_CERT_REQUEST,
        cfg(&[
            ("private_key_pem", Value::String(s(&leaf_key, "private_key_pem"))),
            ("subject", subject_block("api.internal", "ACME Ops")),
            ("dns_names", list(&["api.internal"])),
        ]),
    )
    .await;
    let csr_pem = s(&req, "cert_request_pem");
    assert!(csr_pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
    assert_eq!(s(&req, "key_algorithm"), "RSA");
    let csr_der = der_of(&csr_pem);
    let (_, csr) = X509CertificationRequest::from_der(&csr_der).unwrap();
    csr.verify_signature().unwrap();
    assert_eq!(cn(&csr.certification_request_info.subject), "api.internal");

    let leaf = apply(
        TLS_LOCALLY_SIGNED_CERT,
        cfg(&[
            ("cert_request_pem", Value::String(csr_pem)),
            ("ca_private_key_pem", Value::String(s(&ca_key, "private_key_pem"))),
            ("ca_cert_pem", Value::String(s(&ca, "cert_pem"))),
            ("validity_period_hours", Value::int(24)),
            ("early_renewal_hours", Value::int(30)),
            ("allowed_uses", list(&["digital_signature", "client_auth"])),
            ("set_subject_key_id", Value::Bool(true)),
        ]),
    )
    .await;
    assert_eq!(s(&leaf, "ca_key_algorithm"), "ECDSA");
    // Renewal is due at once: early_renewal_hours exceeds the validity.
    assert_eq!(leaf.attr("ready_for_renewal"), Some(&Value::Bool(true)));
    let leaf_der = der_of(&s(&leaf, "cert_pem"));
    let (_, cert) = X509Certificate::from_der(&leaf_der).unwrap();
    assert_eq!(cn(cert.subject()), "api.internal", "subject from the request");
    assert_eq!(cn(cert.issuer()), "example.com", "issuer is the CA's subject");
    assert_eq!(cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp(), 24 * 3600);
    cert.verify_signature(Some(ca_cert.public_key())).expect("signed by the CA");
    assert!(cert.verify_signature(None).is_err(), "not self-signed");
    let aki = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0.to_vec()),
        _ => None,
    });
    assert_eq!(aki, Some(ca_ski), "authority key id = the CA's subject key id");
    let eku = cert.extended_key_usage().unwrap().unwrap();
    assert!(eku.value.client_auth && !eku.value.server_auth);
    assert_eq!(cert.public_key().raw, der_of(&s(&leaf_key, "public_key_pem")).as_slice());

    // openssl agrees, when it is installed.
    if std::process::Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), s(&ca, "cert_pem")).unwrap();
        std::fs::write(dir.path().join("leaf.pem"), s(&leaf, "cert_pem")).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["verify", "-purpose", "sslclient", "-CAfile"])
            .arg(dir.path().join("ca.pem"))
            .arg(dir.path().join("leaf.pem"))
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl verify: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let text = std::process::Command::new("openssl").args(["x509", "-noout", "-text", "-in"]).arg(dir.path().join("leaf.pem")).output().unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("DNS:api.internal") && text.contains("TLS Web Client Authentication") && text.contains("CA:FALSE"), "{text}");
    }

    // The wrong CA key is refused, without showing it.
    let wrong = private_key("ECDSA", Some("P384")).await;
    let p = TlsProvider::new();
    let c = cfg(&[
        ("cert_request_pem", Value::String(s(&req, "cert_request_pem"))),
        ("ca_private_key_pem", Value::String(s(&wrong, "private_key_pem"))),
        ("ca_cert_pem", Value::String(s(&ca, "cert_pem"))),
        ("validity_period_hours", Value::int(24)),
        ("allowed_uses", list(&["digital_signature"])),
    ]);
    let plan = p.plan_change(TLS_LOCALLY_SIGNED_CERT, None, &c);
    let e = p.create(TLS_LOCALLY_SIGNED_CERT, &plan.planned, &ctx(TLS_LOCALLY_SIGNED_CERT)).await.unwrap_err().to_string();
    assert!(e.contains("not the key of ca_cert_pem"), "{e}");
    assert!(!e.contains("PRIVATE"), "{e}");
}

#[tokio::test]
async fn renewal_is_found_by_read_and_replaces() {
    let key = private_key("ED25519", None).await;
    let v = self_signed(&key, &[("early_renewal_hours", Value::int(2))]).await;
    let p = TlsProvider::new();
    let c = |early: i64| {
        cfg(&[
            ("private_key_pem", Value::String(s(&key, "private_key_pem"))),
            ("subject", subject_block("example.com", "ACME")),
            ("dns_names", list(&["example.com", "www.example.com"])),
            ("ip_addresses", list(&["10.0.0.1", "::1"])),
            ("uris", list(&["spiffe://example.com/web"])),
            ("validity_period_hours", Value::int(12)),
            ("allowed_uses", list(&["key_encipherment", "digital_signature", "server_auth"])),
            ("early_renewal_hours", Value::int(early)),
        ])
    };
    // early_renewal_hours changes in place; ready_for_renewal is recomputed at apply.
    let plan = p.plan_change(TLS_SELF_SIGNED_CERT, Some(&v), &c(11));
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned.attr("ready_for_renewal"), Some(&Value::Unknown));
    let updated = p.update(TLS_SELF_SIGNED_CERT, &v, &plan.planned, &ctx("x")).await.unwrap();
    assert_eq!(updated.attr("ready_for_renewal"), Some(&Value::Bool(false)), "11 of 12 hours left");
    assert_eq!(s(&updated, "cert_pem"), s(&v, "cert_pem"));
    let plan = p.plan_change(TLS_SELF_SIGNED_CERT, Some(&v), &c(13));
    let updated = p.update(TLS_SELF_SIGNED_CERT, &v, &plan.planned, &ctx("x")).await.unwrap();
    assert_eq!(updated.attr("ready_for_renewal"), Some(&Value::Bool(true)));
    // An expired certificate reads as ready for renewal, and the plan replaces it.
    let mut expired = v.clone();
    set(&mut expired, "validity_end_time", Value::string("2020-01-01T00:00:00Z"));
    let read = p.read(TLS_SELF_SIGNED_CERT, &expired).await.unwrap().unwrap();
    assert_eq!(read.attr("ready_for_renewal"), Some(&Value::Bool(true)));
    let plan = p.plan_change(TLS_SELF_SIGNED_CERT, Some(&read), &c(2));
    assert_eq!(plan.requires_replace, vec![vec![PathStep::Key("ready_for_renewal".into())]]);
    assert_eq!(plan.planned.attr("cert_pem"), Some(&Value::Unknown));
    // Any other argument change replaces.
    let plan = p.plan_change(TLS_SELF_SIGNED_CERT, Some(&v), &{
        let mut x = c(2);
        set(&mut x, "validity_period_hours", Value::int(24));
        x
    });
    assert!(!plan.requires_replace.is_empty());
}

#[tokio::test]
async fn public_key_data_source_matches_tls_private_key() {
    let p = TlsProvider::new();
    for (alg, curve) in [("RSA", None), ("ECDSA", Some("P256")), ("ECDSA", Some("P384")), ("ED25519", None)] {
        let key = private_key(alg, curve).await;
        for (arg, from) in [("private_key_pem", "private_key_pem"), ("private_key_pem", "private_key_pem_pkcs8"), ("private_key_openssh", "private_key_openssh")] {
            let c = cfg(&[(arg, Value::String(s(&key, from)))]);
            assert!(!p.validate(TLS_PUBLIC_KEY, &c).has_errors());
            let v = p.read_data(TLS_PUBLIC_KEY, &c).await.unwrap();
            assert_eq!(s(&v, "algorithm"), alg);
            for a in ["public_key_pem", "public_key_openssh", "public_key_fingerprint_md5", "public_key_fingerprint_sha256", "id"] {
                assert_eq!(s(&v, a), s(&key, a), "{alg} {from} {a}");
            }
        }
    }
    assert!(p.validate(TLS_PUBLIC_KEY, &cfg(&[])).has_errors());
    let e = p.read_data(TLS_PUBLIC_KEY, &cfg(&[("private_key_pem", Value::string("-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END RSA PRIVATE KEY-----\n"))])).await.unwrap_err().to_string();
    assert!(e.contains("private_key_pem is not a PEM private key") && !e.contains("c2VjcmV0"), "{e}");
}

#[test]
fn validation_names_the_argument() {
    let p = TlsProvider::new();
    let base = |extra: (&str, Value)| {
        cfg(&[("private_key_pem", Value::Unknown), ("validity_period_hours", Value::int(1)), ("allowed_uses", list(&["server_auth"])), extra])
    };
    let d = p.validate(TLS_SELF_SIGNED_CERT, &base(("allowed_uses", list(&["serverAuth"]))));
    assert!(format!("{d:?}").contains("allowed_uses: \\\"serverAuth\\\""), "{d:?}");
    let d = p.validate(TLS_SELF_SIGNED_CERT, &base(("ip_addresses", list(&["10.0.0.300"]))));
    assert!(format!("{d:?}").contains("ip_addresses"), "{d:?}");
    let d = p.validate(TLS_SELF_SIGNED_CERT, &base(("validity_period_hours", Value::int(MAX_VALIDITY_HOURS + 1))));
    assert!(format!("{d:?}").contains("validity_period_hours"), "{d:?}");
    let d = p.validate(TLS_SELF_SIGNED_CERT, &base(("private_key_pem", Value::string("not a key"))));
    assert!(format!("{d:?}").contains("private_key_pem is not a PEM private key"), "{d:?}");
    assert!(!p.validate(TLS_SELF_SIGNED_CERT, &base(("uris", list(&["https://x.example/"])))).has_errors());
    // Unknown values (a key from tls_private_key at plan) validate.
    assert!(!p.validate(TLS_CERT_REQUEST, &cfg(&[("private_key_pem", Value::Unknown)])).has_errors());
    // Schema: Terraform's sensitivity.
    let schema = p.schema();
    assert!(schema.resources[TLS_SELF_SIGNED_CERT].attributes["private_key_pem"].sensitive);
    assert!(schema.resources[TLS_LOCALLY_SIGNED_CERT].attributes["ca_private_key_pem"].sensitive);
    assert!(!schema.resources[TLS_SELF_SIGNED_CERT].attributes["cert_pem"].sensitive);
    assert!(schema.data_sources[TLS_PUBLIC_KEY].attributes["private_key_openssh"].sensitive);
}
