//! Terraform's `tls` certificates: `tls_self_signed_cert`, `tls_cert_request`,
//! `tls_locally_signed_cert` and data `tls_public_key`, built with rcgen on
//! the aws-lc-rs backend from the PEM keys `tls_private_key` produces (RSA,
//! ECDSA P-256/P-384, ED25519; see `keys.rs`).
//!
//! As Terraform's provider does: a random 128-bit serial (`id` is its
//! decimal form), `not_before` = the create time, `not_after` =
//! `validity_period_hours` later, a critical basicConstraints extension
//! (`CA:TRUE` with `is_ca_certificate`), key usages and extended key usages
//! from `allowed_uses`, a subject key id (SHA-1 of the public key, RFC 5280
//! method 1) with `set_subject_key_id` or on a CA, the CA's key id as the
//! authority key id on locally signed certificates, and the signature
//! algorithm Go picks for the key (SHA-256 with RSA, ECDSA with SHA-256 on
//! P-256 and SHA-384 on P-384, Ed25519).
//!
//! Renewal: `read` sets `ready_for_renewal` once the time is within
//! `early_renewal_hours` of `validity_end_time` (or past it); the next plan
//! then replaces the certificate. `early_renewal_hours` changes in place.
//!
//! Differences: several `street_address` lines are written as one attribute
//! (joined with ", "); a CSR carrying extensions other than SANs, key usage,
//! extended key usage and basic constraints is refused by rcgen.

use crate::keys::{self, PublicForms};
use crate::{get, get_bool, get_int, get_str, int, set};
use chrono::DateTime;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, Nesting, NestedBlockSchema, PlannedChange, ProviderError};
use contin_types::value::PathStep;
use contin_types::{Diagnostic, Diagnostics, Value};
use rcgen::{BasicConstraints, CertificateParams, DnType, DnValue, ExtendedKeyUsagePurpose as Eku, IsCa, KeyIdMethod, KeyUsagePurpose as Ku, SanType};
use sha1::Sha1;
use sha2::Digest;
use std::sync::LazyLock;

pub const TLS_SELF_SIGNED_CERT: &str = "tls_self_signed_cert";
pub const TLS_CERT_REQUEST: &str = "tls_cert_request";
pub const TLS_LOCALLY_SIGNED_CERT: &str = "tls_locally_signed_cert";
pub const TLS_PUBLIC_KEY: &str = "tls_public_key";

/// Longest `validity_period_hours` accepted: 100 years.
pub const MAX_VALIDITY_HOURS: i64 = 100 * 8766;
/// Most `dns_names` + `ip_addresses` + `uris` in one certificate.
pub const MAX_SANS: usize = 1000;

/// Terraform's `allowed_uses` names: key usages, then extended key usages.
const KEY_USAGES: &[(&str, Ku)] = &[
    ("digital_signature", Ku::DigitalSignature),
    ("content_commitment", Ku::ContentCommitment),
    ("key_encipherment", Ku::KeyEncipherment),
    ("data_encipherment", Ku::DataEncipherment),
    ("key_agreement", Ku::KeyAgreement),
    ("cert_signing", Ku::KeyCertSign),
    ("crl_signing", Ku::CrlSign),
    ("encipher_only", Ku::EncipherOnly),
    ("decipher_only", Ku::DecipherOnly),
];
const EXT_KEY_USAGES: &[(&str, &[u64])] = &[
    ("any_extended", &[2, 5, 29, 37, 0]),
    ("server_auth", &[1, 3, 6, 1, 5, 5, 7, 3, 1]),
    ("client_auth", &[1, 3, 6, 1, 5, 5, 7, 3, 2]),
    ("code_signing", &[1, 3, 6, 1, 5, 5, 7, 3, 3]),
    ("email_protection", &[1, 3, 6, 1, 5, 5, 7, 3, 4]),
    ("ipsec_end_system", &[1, 3, 6, 1, 5, 5, 7, 3, 5]),
    ("ipsec_tunnel", &[1, 3, 6, 1, 5, 5, 7, 3, 6]),
    ("ipsec_user", &[1, 3, 6, 1, 5, 5, 7, 3, 7]),
    ("timestamping", &[1, 3, 6, 1, 5, 5, 7, 3, 8]),
    ("ocsp_signing", &[1, 3, 6, 1, 5, 5, 7, 3, 9]),
    ("microsoft_server_gated_crypto", &[1, 3, 6, 1, 4, 1, 311, 10, 3, 3]),
    ("netscape_server_gated_crypto", &[2, 16, 840, 1, 113730, 4, 1]),
    ("microsoft_commercial_code_signing", &[1, 3, 6, 1, 4, 1, 311, 2, 1, 22]),
    ("microsoft_kernel_code_signing", &[1, 3, 6, 1, 4, 1, 311, 61, 1, 1]),
];

/// Subject attributes in the order Go's `pkix.Name` writes them, with their OIDs.
const SUBJECT: &[(&str, &[u64])] = &[
    ("country", &[2, 5, 4, 6]),
    ("province", &[2, 5, 4, 8]),
    ("locality", &[2, 5, 4, 7]),
    ("street_address", &[2, 5, 4, 9]),
    ("postal_code", &[2, 5, 4, 17]),
    ("organization", &[2, 5, 4, 10]),
    ("organizational_unit", &[2, 5, 4, 11]),
    ("common_name", &[2, 5, 4, 3]),
    ("serial_number", &[2, 5, 4, 5]),
    ("email_address", &[1, 2, 840, 113549, 1, 9, 1]),
];

fn subject_block() -> NestedBlockSchema {
    use AttrType as T;
    let mut b = BlockSchema::default();
    for (name, _) in SUBJECT {
        let ty = if *name == "street_address" { T::List(Box::new(T::String)) } else { T::String };
        b = b.attr(name, AttrSchema::optional(ty).force_new());
    }
    NestedBlockSchema { nesting: Nesting::List, block: b, min_items: 0, max_items: Some(1), force_new: true }
}

fn strings() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}

/// Arguments and attributes of both certificate resources.
fn cert_common(b: BlockSchema) -> BlockSchema {
    use AttrType as T;
    b.attr("validity_period_hours", AttrSchema::required(T::Number).force_new().describe("hours the certificate is valid for"))
        .attr("early_renewal_hours", AttrSchema::optional_computed(T::Number).describe("renew this many hours before expiry (default 0)"))
        .attr("allowed_uses", AttrSchema::required(strings()).force_new().describe("key usages and extended key usages"))
        .attr("is_ca_certificate", AttrSchema::optional_computed(T::Bool).force_new())
        .attr("set_subject_key_id", AttrSchema::optional_computed(T::Bool).force_new())
        .attr("cert_pem", AttrSchema::computed(T::String))
        .attr("validity_start_time", AttrSchema::computed(T::String))
        .attr("validity_end_time", AttrSchema::computed(T::String))
        .attr("ready_for_renewal", AttrSchema::computed(T::Bool))
        .attr("id", AttrSchema::computed(T::String))
}

fn with_names(b: BlockSchema) -> BlockSchema {
    b.attr("private_key_pem", AttrSchema::required(AttrType::String).force_new().sensitive())
        .attr("dns_names", AttrSchema::optional(strings()).force_new())
        .attr("ip_addresses", AttrSchema::optional(strings()).force_new())
        .attr("uris", AttrSchema::optional(strings()).force_new())
        .attr("key_algorithm", AttrSchema::computed(AttrType::String))
        .block("subject", subject_block())
}

pub(crate) static SELF_SIGNED: LazyLock<BlockSchema> = LazyLock::new(|| {
    cert_common(with_names(BlockSchema::default())).attr("set_authority_key_id", AttrSchema::optional_computed(AttrType::Bool).force_new())
});
pub(crate) static CERT_REQUEST: LazyLock<BlockSchema> = LazyLock::new(|| {
    with_names(BlockSchema::default())
        .attr("cert_request_pem", AttrSchema::computed(AttrType::String))
        .attr("id", AttrSchema::computed(AttrType::String))
});
pub(crate) static LOCALLY_SIGNED: LazyLock<BlockSchema> = LazyLock::new(|| {
    use AttrType as T;
    cert_common(BlockSchema::default())
        .attr("cert_request_pem", AttrSchema::required(T::String).force_new())
        .attr("ca_private_key_pem", AttrSchema::required(T::String).force_new().sensitive())
        .attr("ca_cert_pem", AttrSchema::required(T::String).force_new())
        .attr("ca_key_algorithm", AttrSchema::computed(T::String))
});
pub(crate) static PUBLIC_KEY: LazyLock<BlockSchema> = LazyLock::new(|| {
    use AttrType as T;
    BlockSchema::default()
        .attr("private_key_pem", AttrSchema::optional(T::String).sensitive())
        .attr("private_key_openssh", AttrSchema::optional(T::String).sensitive())
        .attr("algorithm", AttrSchema::computed(T::String))
        .attr("public_key_pem", AttrSchema::computed(T::String))
        .attr("public_key_openssh", AttrSchema::computed(T::String))
        .attr("public_key_fingerprint_md5", AttrSchema::computed(T::String))
        .attr("public_key_fingerprint_sha256", AttrSchema::computed(T::String))
        .attr("id", AttrSchema::computed(T::String))
});

pub(crate) fn resource_schema(ty: &str) -> Option<&'static BlockSchema> {
    match ty {
        TLS_SELF_SIGNED_CERT => Some(&SELF_SIGNED),
        TLS_CERT_REQUEST => Some(&CERT_REQUEST),
        TLS_LOCALLY_SIGNED_CERT => Some(&LOCALLY_SIGNED),
        _ => None,
    }
}

fn with_defaults(ty: &str, desired: &Value) -> Value {
    let mut v = desired.clone();
    if ty != TLS_CERT_REQUEST {
        crate::default(&mut v, "early_renewal_hours", int(0));
        crate::default(&mut v, "is_ca_certificate", Value::Bool(false));
        crate::default(&mut v, "set_subject_key_id", Value::Bool(false));
    }
    if ty == TLS_SELF_SIGNED_CERT {
        crate::default(&mut v, "set_authority_key_id", Value::Bool(false));
    }
    v
}

/// The known strings of a list attribute (unknown elements skipped).
fn str_list<'a>(v: &'a Value, name: &str) -> Vec<&'a str> {
    match get(v, name).map(Value::unmarked) {
        Some(Value::List(items) | Value::Set(items)) => items.iter().filter_map(|i| match i.unmarked() {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }).collect(),
        _ => Vec::new(),
    }
}

fn is_known_str(v: &Value, name: &str) -> bool {
    get_str(v, name).is_some()
}

pub(crate) fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if ty == TLS_PUBLIC_KEY {
        let pem = get(cfg, "private_key_pem").filter(|v| !v.is_null());
        let ssh = get(cfg, "private_key_openssh").filter(|v| !v.is_null());
        match (pem, ssh) {
            (Some(_), Some(_)) => d.push(Diagnostic::error("private_key_pem: conflicts with private_key_openssh").with_detail("tls_public_key: set exactly one of private_key_pem and private_key_openssh.")),
            (None, None) => d.push(Diagnostic::error("Missing private key").with_detail("tls_public_key: set exactly one of private_key_pem and private_key_openssh.")),
            _ => {}
        }
        return d;
    }
    if ty != TLS_CERT_REQUEST {
        for a in ["validity_period_hours", "early_renewal_hours"] {
            match get_int(cfg, a) {
                Err(e) => d.push(Diagnostic::error(e)),
                Ok(Some(h)) if !(0..=MAX_VALIDITY_HOURS).contains(&h) => d.push(Diagnostic::error(format!("{a}: {h} is out of range")).with_detail(format!("{ty}: {a} must be 0 to {MAX_VALIDITY_HOURS} (100 years)."))),
                _ => {}
            }
        }
        for u in str_list(cfg, "allowed_uses") {
            if !KEY_USAGES.iter().any(|(n, _)| *n == u) && !EXT_KEY_USAGES.iter().any(|(n, _)| *n == u) {
                let names: Vec<&str> = KEY_USAGES.iter().map(|(n, _)| *n).chain(EXT_KEY_USAGES.iter().map(|(n, _)| *n)).collect();
                d.push(Diagnostic::error(format!("allowed_uses: {u:?} is not a key usage")).with_detail(format!("{ty}: allowed_uses takes {}.", names.join(", "))));
            }
        }
    }
    if ty != TLS_LOCALLY_SIGNED_CERT {
        if let Err(e) = sans(cfg) {
            d.push(Diagnostic::error(e));
        }
        if let Some(pem) = get_str(cfg, "private_key_pem") {
            if let Err(e) = keys::parse_private_pem("private_key_pem", pem) {
                d.push(Diagnostic::error(e));
            }
        }
    }
    if ty == TLS_LOCALLY_SIGNED_CERT && is_known_str(cfg, "ca_private_key_pem") {
        if let Err(e) = keys::parse_private_pem("ca_private_key_pem", get_str(cfg, "ca_private_key_pem").unwrap_or_default()) {
            d.push(Diagnostic::error(e));
        }
    }
    d
}

/// `dns_names`, `ip_addresses`, `uris` as subject alternative names.
fn sans(v: &Value) -> Result<Vec<SanType>, String> {
    let mut out = Vec::new();
    let dns = str_list(v, "dns_names");
    let ips = str_list(v, "ip_addresses");
    let uris = str_list(v, "uris");
    if dns.len() + ips.len() + uris.len() > MAX_SANS {
        return Err(format!("dns_names: more than {MAX_SANS} names, addresses and URIs in one certificate (the limit)"));
    }
    for n in dns {
        out.push(SanType::DnsName(n.try_into().map_err(|_| format!("dns_names: {n:?} is not an ASCII DNS name"))?));
    }
    for a in ips {
        out.push(SanType::IpAddress(a.parse().map_err(|_| format!("ip_addresses: {a:?} is not an IP address"))?));
    }
    for u in uris {
        if !u.contains(':') {
            return Err(format!("uris: {u:?} is not an absolute URI"));
        }
        out.push(SanType::URI(u.try_into().map_err(|_| format!("uris: {u:?} is not an ASCII URI"))?));
    }
    Ok(out)
}

fn subject(v: &Value) -> Result<rcgen::DistinguishedName, String> {
    let mut dn = rcgen::DistinguishedName::new();
    let block = match get(v, "subject").map(Value::unmarked) {
        Some(Value::List(items)) => items.first().cloned(),
        Some(m @ Value::Map(_)) => Some(m.clone()),
        _ => None,
    };
    let Some(block) = block else { return Ok(dn) };
    for (name, oid) in SUBJECT {
        let value = if *name == "street_address" {
            let lines = str_list(&block, name);
            if lines.is_empty() { None } else { Some(lines.join(", ")) }
        } else {
            get_str(&block, name).filter(|s| !s.is_empty()).map(str::to_string)
        };
        let Some(value) = value else { continue };
        let ty = DnType::from_oid(oid);
        let value = if *name == "email_address" {
            DnValue::Ia5String(value.as_str().try_into().map_err(|_| format!("subject.email_address: {value:?} is not ASCII"))?)
        } else if *name == "country" {
            match rcgen::string::PrintableString::try_from(value.as_str()) {
                Ok(p) => DnValue::PrintableString(p),
                Err(_) => DnValue::Utf8String(value),
            }
        } else {
            DnValue::Utf8String(value)
        };
        dn.push(ty, value);
    }
    Ok(dn)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2))
}

fn rfc3339(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map(crate::time::format_rfc3339).unwrap_or_default()
}

fn invalid(ty: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Invalid(format!("{ty}: {e}"))
}

fn failed(ty: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Failed(format!("{ty}: {e}"))
}

/// SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1, Go's choice).
fn key_id(public_bits: &[u8]) -> Vec<u8> {
    Sha1::digest(public_bits).to_vec()
}

/// The subjectPublicKey bits of a SubjectPublicKeyInfo DER.
fn spki_bits(ty: &str, spki: &[u8]) -> Result<Vec<u8>, ProviderError> {
    use x509_parser::prelude::FromDer;
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).map_err(|e| failed(ty, format!("public key: {e}")))?;
    Ok(info.subject_public_key.data.to_vec())
}

/// Validity, serial, usages, CA flag and key id: what both certificate kinds set from configuration.
struct Issued {
    serial: u128,
    start: i64,
    end: i64,
}

fn cert_params(ty: &str, v: &Value, params: &mut CertificateParams, public_bits: &[u8]) -> Result<Issued, ProviderError> {
    let hours = get_int(v, "validity_period_hours").map_err(|e| invalid(ty, e))?.ok_or_else(|| invalid(ty, "validity_period_hours is required"))?;
    if !(0..=MAX_VALIDITY_HOURS).contains(&hours) {
        return Err(invalid(ty, format!("validity_period_hours must be 0 to {MAX_VALIDITY_HOURS}")));
    }
    let start = now_secs();
    let end = start + hours * 3600;
    params.not_before = ::time::OffsetDateTime::from_unix_timestamp(start).map_err(|e| failed(ty, e))?;
    params.not_after = ::time::OffsetDateTime::from_unix_timestamp(end).map_err(|e| failed(ty, e))?;
    // Terraform: a random serial below 2^128.
    let bytes = crate::random_bytes(16)?;
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes);
    let serial = u128::from_be_bytes(b).max(1);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial.to_be_bytes()));
    params.key_usages.clear();
    params.extended_key_usages.clear();
    for u in str_list(v, "allowed_uses") {
        if let Some((_, k)) = KEY_USAGES.iter().find(|(n, _)| *n == u) {
            if !params.key_usages.contains(k) {
                params.key_usages.push(*k);
            }
        } else if let Some((_, oid)) = EXT_KEY_USAGES.iter().find(|(n, _)| *n == u) {
            params.insert_extended_key_usage(eku(oid));
        } else {
            return Err(invalid(ty, format!("allowed_uses: {u:?} is not a key usage")));
        }
    }
    let is_ca = get_bool(v, "is_ca_certificate").unwrap_or(false);
    let ski = get_bool(v, "set_subject_key_id").unwrap_or(false);
    params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(public_bits));
    params.custom_extensions.clear();
    params.is_ca = if is_ca {
        // Go writes a subject key id on every CA certificate.
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else if ski {
        // rcgen writes the subject key id with the basic constraints (CA:FALSE).
        IsCa::ExplicitNoCa
    } else {
        // Go's critical basicConstraints with CA:FALSE (an empty SEQUENCE), without a key id.
        let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x00]);
        ext.set_criticality(true);
        params.custom_extensions.push(ext);
        IsCa::NoCa
    };
    Ok(Issued { serial, start, end })
}

fn eku(oid: &[u64]) -> Eku {
    match oid {
        [2, 5, 29, 37, 0] => Eku::Any,
        [1, 3, 6, 1, 5, 5, 7, 3, 1] => Eku::ServerAuth,
        [1, 3, 6, 1, 5, 5, 7, 3, 2] => Eku::ClientAuth,
        [1, 3, 6, 1, 5, 5, 7, 3, 3] => Eku::CodeSigning,
        [1, 3, 6, 1, 5, 5, 7, 3, 4] => Eku::EmailProtection,
        [1, 3, 6, 1, 5, 5, 7, 3, 8] => Eku::TimeStamping,
        [1, 3, 6, 1, 5, 5, 7, 3, 9] => Eku::OcspSigning,
        other => Eku::Other(other.to_vec()),
    }
}

/// `ready_for_renewal` at `now`: within `early_renewal_hours` of the end, or past it.
fn ready_for_renewal(v: &Value, now: i64) -> Option<bool> {
    let end = crate::time::parse_rfc3339(get_str(v, "validity_end_time")?).ok()?.timestamp();
    let early = get_int(v, "early_renewal_hours").ok().flatten().unwrap_or(0).clamp(0, MAX_VALIDITY_HOURS);
    Some(now >= end - early * 3600)
}

fn finish_cert(mut v: Value, pem: String, issued: &Issued) -> Value {
    set(&mut v, "cert_pem", Value::String(pem));
    set(&mut v, "validity_start_time", Value::String(rfc3339(issued.start)));
    set(&mut v, "validity_end_time", Value::String(rfc3339(issued.end)));
    set(&mut v, "id", Value::String(issued.serial.to_string()));
    let ready = ready_for_renewal(&v, issued.start).unwrap_or(false);
    set(&mut v, "ready_for_renewal", Value::Bool(ready));
    v
}

fn private_key(ty: &str, v: &Value, name: &str) -> Result<keys::PrivateKey, ProviderError> {
    let pem = get_str(v, name).ok_or_else(|| invalid(ty, format!("{name} is required")))?;
    keys::parse_private_pem(name, pem).map_err(|e| invalid(ty, e))
}

pub(crate) fn create(ty: &str, planned: &Value) -> Result<Value, ProviderError> {
    let v = with_defaults(ty, planned);
    match ty {
        TLS_SELF_SIGNED_CERT => {
            let key = private_key(ty, &v, "private_key_pem")?;
            let kp = key.key_pair().map_err(|e| failed(ty, e))?;
            let mut params = CertificateParams::default();
            params.distinguished_name = subject(&v).map_err(|e| invalid(ty, e))?;
            params.subject_alt_names = sans(&v).map_err(|e| invalid(ty, e))?;
            let bits = spki_bits(ty, &key.public.spki_der)?;
            let issued = cert_params(ty, &v, &mut params, &bits)?;
            params.use_authority_key_identifier_extension = get_bool(&v, "set_authority_key_id").unwrap_or(false);
            let cert = params.self_signed(&kp).map_err(|e| failed(ty, format!("signing the certificate: {e}")))?;
            let mut v = finish_cert(v, cert.pem(), &issued);
            set(&mut v, "key_algorithm", Value::string(key.public.alg.terraform_name()));
            Ok(v)
        }
        TLS_CERT_REQUEST => {
            let key = private_key(ty, &v, "private_key_pem")?;
            let kp = key.key_pair().map_err(|e| failed(ty, e))?;
            let mut params = CertificateParams::default();
            params.distinguished_name = subject(&v).map_err(|e| invalid(ty, e))?;
            params.subject_alt_names = sans(&v).map_err(|e| invalid(ty, e))?;
            let csr = params.serialize_request(&kp).map_err(|e| failed(ty, format!("signing the request: {e}")))?;
            let pem = csr.pem().map_err(|e| failed(ty, e))?;
            let mut v = v;
            set(&mut v, "id", Value::String(hex::encode(Sha1::digest(pem.as_bytes()))));
            set(&mut v, "cert_request_pem", Value::String(pem));
            set(&mut v, "key_algorithm", Value::string(key.public.alg.terraform_name()));
            Ok(v)
        }
        TLS_LOCALLY_SIGNED_CERT => {
            let ca_key = private_key(ty, &v, "ca_private_key_pem")?;
            let ca_pem = get_str(&v, "ca_cert_pem").ok_or_else(|| invalid(ty, "ca_cert_pem is required"))?;
            let csr_pem = get_str(&v, "cert_request_pem").ok_or_else(|| invalid(ty, "cert_request_pem is required"))?;
            if ca_pem.len() > keys::MAX_KEY_PEM_BYTES * 4 || csr_pem.len() > keys::MAX_KEY_PEM_BYTES * 4 {
                return Err(invalid(ty, format!("ca_cert_pem and cert_request_pem are limited to {} bytes", keys::MAX_KEY_PEM_BYTES * 4)));
            }
            let ca = ca_info(ty, ca_pem)?;
            if ca.spki_der != ca_key.public.spki_der {
                return Err(invalid(ty, "ca_private_key_pem is not the key of ca_cert_pem"));
            }
            let kp = ca_key.key_pair().map_err(|e| failed(ty, e))?;
            let issuer = rcgen::Issuer::from_ca_cert_pem(ca_pem, kp).map_err(|e| invalid(ty, format!("ca_cert_pem: {e}")))?;
            let mut csr = rcgen::CertificateSigningRequestParams::from_pem(csr_pem).map_err(|e| invalid(ty, format!("cert_request_pem: {e}")))?;
            let bits = rcgen::PublicKeyData::der_bytes(&csr.public_key).to_vec();
            let issued = cert_params(ty, &v, &mut csr.params, &bits)?;
            // Go sets the authority key id from the CA's subject key id when it has one.
            csr.params.use_authority_key_identifier_extension = ca.has_ski;
            let cert = csr.signed_by(&issuer).map_err(|e| failed(ty, format!("signing the certificate: {e}")))?;
            let mut v = finish_cert(v, cert.pem(), &issued);
            set(&mut v, "ca_key_algorithm", Value::string(ca_key.public.alg.terraform_name()));
            Ok(v)
        }
        other => Err(crate::unsupported(other)),
    }
}

struct CaInfo {
    spki_der: Vec<u8>,
    has_ski: bool,
}

fn ca_info(ty: &str, pem: &str) -> Result<CaInfo, ProviderError> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.trim().as_bytes()).map_err(|_| invalid(ty, "ca_cert_pem is not a PEM certificate"))?;
    let cert = p.parse_x509().map_err(|e| invalid(ty, format!("ca_cert_pem: {e}")))?;
    let has_ski = cert.iter_extensions().any(|e| matches!(e.parsed_extension(), x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(_)));
    Ok(CaInfo { spki_der: cert.tbs_certificate.subject_pki.raw.to_vec(), has_ski })
}

pub(crate) fn plan_change(ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
    let Some(schema) = resource_schema(ty) else { return crate::unsupported_plan(ty, desired) };
    let desired = with_defaults(ty, desired);
    let mut pc = plan_change_from_schema(schema, prior, &desired);
    let Some(prior) = prior.filter(|p| !p.is_null()) else { return pc };
    if ty == TLS_CERT_REQUEST || !pc.requires_replace.is_empty() {
        return pc;
    }
    if get_bool(prior, "ready_for_renewal") == Some(true) {
        // Renewal due (found by `read`): a new certificate.
        let mut replaced = plan_change_from_schema(schema, None, &desired);
        replaced.requires_replace = vec![vec![PathStep::Key("ready_for_renewal".into())]];
        replaced.diagnostics = pc.diagnostics;
        return replaced;
    }
    let early = |v: &Value| get(v, "early_renewal_hours").map(|x| x.unmark_deep().0);
    if early(prior) != early(&pc.planned) {
        set(&mut pc.planned, "ready_for_renewal", Value::Unknown);
    }
    pc
}

/// Refresh: the certificate is kept; `ready_for_renewal` follows the clock.
pub(crate) fn read(ty: &str, state: &Value) -> Value {
    let mut v = state.clone();
    if ty != TLS_CERT_REQUEST {
        if let Some(ready) = ready_for_renewal(&v, now_secs()) {
            set(&mut v, "ready_for_renewal", Value::Bool(ready));
        }
    }
    v
}

/// In place: only `early_renewal_hours` changes (everything else forces replacement).
pub(crate) fn update(ty: &str, prior: &Value, planned: &Value) -> Value {
    let mut v = planned.clone();
    if let (Value::Map(m), Value::Map(p)) = (&mut v, prior) {
        for (k, x) in m.iter_mut() {
            if x.is_unknown() {
                *x = p.get(k).cloned().unwrap_or(Value::Null);
            }
        }
    }
    if ty != TLS_CERT_REQUEST {
        if let Some(ready) = ready_for_renewal(&v, now_secs()) {
            set(&mut v, "ready_for_renewal", Value::Bool(ready));
        }
    }
    v
}

/// Data `tls_public_key`.
pub(crate) fn read_public_key(cfg: &Value) -> Result<Value, ProviderError> {
    let ty = TLS_PUBLIC_KEY;
    let forms: PublicForms = if let Some(pem) = get_str(cfg, "private_key_pem") {
        keys::parse_private_pem("private_key_pem", pem).map_err(|e| invalid(ty, e))?.public
    } else if let Some(ssh) = get_str(cfg, "private_key_openssh") {
        keys::public_of_openssh("private_key_openssh", ssh).map_err(|e| invalid(ty, e))?
    } else {
        return Err(invalid(ty, "set exactly one of private_key_pem and private_key_openssh"));
    };
    let mut v = cfg.clone();
    if !matches!(v, Value::Map(_)) {
        v = Value::Map(Default::default());
    }
    set(&mut v, "algorithm", Value::string(forms.alg.terraform_name()));
    set(&mut v, "public_key_pem", Value::String(forms.public_key_pem));
    set(&mut v, "public_key_openssh", Value::String(forms.public_key_openssh));
    set(&mut v, "public_key_fingerprint_md5", Value::String(forms.fingerprint_md5));
    set(&mut v, "public_key_fingerprint_sha256", Value::String(forms.fingerprint_sha256));
    // Terraform: the hex SHA-1 of the public key's DER.
    set(&mut v, "id", Value::String(hex::encode(Sha1::digest(&forms.spki_der))));
    Ok(v)
}

#[cfg(test)]
#[path = "tls_cert_tests.rs"]
mod tests;
