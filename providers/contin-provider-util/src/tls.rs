//! The `tls` provider: Terraform's `tls_private_key` (RSA, ECDSA P-256 and
//! P-384, ED25519), generated at create and kept in state. The private key
//! attributes are sensitive. The certificate types and data
//! `tls_public_key` live in `tls_cert.rs`.

use crate::{get_int, get_str, set, tls_cert, unsupported, unsupported_plan};
use async_trait::async_trait;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use md5::Md5;
use sha1::Sha1;
use sha2::Digest;
use ssh_key::private::{EcdsaKeypair, Ed25519Keypair, KeypairData, RsaKeypair};
use ssh_key::{EcdsaCurve, HashAlg, LineEnding, PrivateKey};
use std::sync::LazyLock;

pub const TLS_PRIVATE_KEY: &str = "tls_private_key";
/// RSA sizes accepted (below 2048 OpenSSH refuses the key; above, generation takes minutes).
pub const RSA_BITS: std::ops::RangeInclusive<i64> = 2048..=8192;
const CURVES: &[&str] = &["P256", "P384"];

static SCHEMA: LazyLock<BlockSchema> = LazyLock::new(|| {
    use AttrType as T;
    BlockSchema::default()
        .attr("algorithm", AttrSchema::required(T::String).force_new().describe("RSA, ECDSA or ED25519"))
        .attr("rsa_bits", AttrSchema::optional_computed(T::Number).force_new().describe("RSA key size (default 2048)"))
        .attr("ecdsa_curve", AttrSchema::optional_computed(T::String).force_new().describe("ECDSA curve: P256 or P384 (Terraform's default P224 is not supported)"))
        .attr("private_key_pem", AttrSchema::computed(T::String).sensitive())
        .attr("private_key_pem_pkcs8", AttrSchema::computed(T::String).sensitive())
        .attr("private_key_openssh", AttrSchema::computed(T::String).sensitive())
        .attr("public_key_pem", AttrSchema::computed(T::String))
        .attr("public_key_openssh", AttrSchema::computed(T::String))
        .attr("public_key_fingerprint_md5", AttrSchema::computed(T::String))
        .attr("public_key_fingerprint_sha256", AttrSchema::computed(T::String))
        .attr("id", AttrSchema::computed(T::String))
});

/// The `tls` provider (stateless).
#[derive(Debug, Clone, Default)]
pub struct TlsProvider;

impl TlsProvider {
    pub fn new() -> Self {
        TlsProvider
    }
}

fn with_defaults(desired: &Value) -> Value {
    let mut v = desired.clone();
    crate::default(&mut v, "rsa_bits", crate::int(2048));
    crate::default(&mut v, "ecdsa_curve", Value::string("P224"));
    v
}

fn validate(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let cfg = with_defaults(cfg);
    let algorithm = get_str(&cfg, "algorithm");
    match algorithm {
        None | Some("RSA" | "ECDSA" | "ED25519") => {}
        Some(other) => d.push(Diagnostic::error(format!("algorithm: {other:?} is not one of RSA, ECDSA, ED25519"))),
    }
    if algorithm == Some("RSA") {
        match get_int(&cfg, "rsa_bits") {
            Err(e) => d.push(Diagnostic::error(e)),
            Ok(Some(b)) if !RSA_BITS.contains(&b) => {
                d.push(Diagnostic::error(format!("rsa_bits: {b} is out of range")).with_detail(format!("contin generates RSA keys of {} to {} bits.", RSA_BITS.start(), RSA_BITS.end())))
            }
            _ => {}
        }
    }
    if algorithm == Some("ECDSA") {
        if let Some(c) = get_str(&cfg, "ecdsa_curve").filter(|c| !CURVES.contains(c)) {
            d.push(
                Diagnostic::error(format!("ecdsa_curve: {c:?} is not supported"))
                    .with_detail("contin generates ECDSA keys on P256 and P384; set ecdsa_curve = \"P256\" (Terraform's default is P224)."),
            );
        }
    }
    d
}

fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

fn failed(what: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Failed(format!("tls_private_key: {what}: {e}"))
}

/// (private PEM as Terraform gives it, PKCS#8 PEM, public PKIX DER, public PEM, OpenSSH keypair).
struct Generated {
    private_pem: String,
    pkcs8_pem: String,
    public_der: Vec<u8>,
    public_pem: String,
    ssh: KeypairData,
}

fn generate(algorithm: &str, bits: i64, curve: &str) -> Result<Generated, ProviderError> {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let lf = p256::pkcs8::LineEnding::LF;
    match algorithm {
        "RSA" => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            if !RSA_BITS.contains(&bits) {
                return Err(ProviderError::Invalid(format!("tls_private_key: rsa_bits must be {} to {}", RSA_BITS.start(), RSA_BITS.end())));
            }
            let key = rsa::RsaPrivateKey::new(&mut rng(), bits as usize).map_err(|e| failed("generating the RSA key", e))?;
            let public = key.to_public_key();
            Ok(Generated {
                private_pem: key.to_pkcs1_pem(lf).map_err(|e| failed("PKCS#1", e))?.to_string(),
                pkcs8_pem: key.to_pkcs8_pem(lf).map_err(|e| failed("PKCS#8", e))?.to_string(),
                public_der: public.to_public_key_der().map_err(|e| failed("public key", e))?.into_vec(),
                public_pem: public.to_public_key_pem(lf).map_err(|e| failed("public key", e))?,
                ssh: KeypairData::from(RsaKeypair::try_from(&key).map_err(|e| failed("OpenSSH form", e))?),
            })
        }
        "ECDSA" => {
            let ssh_curve = match curve {
                "P256" => EcdsaCurve::NistP256,
                "P384" => EcdsaCurve::NistP384,
                other => return Err(ProviderError::Invalid(format!("tls_private_key: ecdsa_curve {other:?} is not supported (P256, P384)"))),
            };
            let kp = EcdsaKeypair::random(&mut rng(), ssh_curve).map_err(|e| failed("generating the ECDSA key", e))?;
            let secret = kp.private_key_bytes().to_vec();
            let (private_pem, pkcs8_pem, public_der, public_pem) = match curve {
                "P256" => {
                    let sk = p256::SecretKey::from_slice(&secret).map_err(|e| failed("P256 key", e))?;
                    let pk = sk.public_key();
                    (
                        sk.to_sec1_pem(lf).map_err(|e| failed("SEC1", e))?.to_string(),
                        sk.to_pkcs8_pem(lf).map_err(|e| failed("PKCS#8", e))?.to_string(),
                        pk.to_public_key_der().map_err(|e| failed("public key", e))?.into_vec(),
                        pk.to_public_key_pem(lf).map_err(|e| failed("public key", e))?,
                    )
                }
                _ => {
                    let sk = p384::SecretKey::from_slice(&secret).map_err(|e| failed("P384 key", e))?;
                    let pk = sk.public_key();
                    (
                        sk.to_sec1_pem(lf).map_err(|e| failed("SEC1", e))?.to_string(),
                        sk.to_pkcs8_pem(lf).map_err(|e| failed("PKCS#8", e))?.to_string(),
                        pk.to_public_key_der().map_err(|e| failed("public key", e))?.into_vec(),
                        pk.to_public_key_pem(lf).map_err(|e| failed("public key", e))?,
                    )
                }
            };
            Ok(Generated { private_pem, pkcs8_pem, public_der, public_pem, ssh: KeypairData::from(kp) })
        }
        "ED25519" => {
            let kp = Ed25519Keypair::random(&mut rng());
            let sk = ed25519_dalek::SigningKey::try_from(&kp).map_err(|e| failed("ED25519 key", e))?;
            let pk = sk.verifying_key();
            let pkcs8 = sk.to_pkcs8_pem(lf).map_err(|e| failed("PKCS#8", e))?.to_string();
            Ok(Generated {
                // Terraform's ED25519 private_key_pem is PKCS#8 too.
                private_pem: pkcs8.clone(),
                pkcs8_pem: pkcs8,
                public_der: pk.to_public_key_der().map_err(|e| failed("public key", e))?.into_vec(),
                public_pem: pk.to_public_key_pem(lf).map_err(|e| failed("public key", e))?,
                ssh: KeypairData::from(kp),
            })
        }
        other => Err(ProviderError::Invalid(format!("tls_private_key: algorithm {other:?} is not one of RSA, ECDSA, ED25519"))),
    }
}

fn create_value(planned: &Value) -> Result<Value, ProviderError> {
    let mut v = with_defaults(planned);
    let algorithm = get_str(&v, "algorithm").ok_or_else(|| ProviderError::Invalid("tls_private_key: algorithm is required".into()))?.to_string();
    let bits = get_int(&v, "rsa_bits").map_err(|e| ProviderError::Invalid(format!("tls_private_key: {e}")))?.unwrap_or(2048);
    let curve = get_str(&v, "ecdsa_curve").unwrap_or("P224").to_string();
    let g = generate(&algorithm, bits, &curve)?;
    let private = PrivateKey::new(g.ssh, "").map_err(|e| failed("OpenSSH form", e))?;
    let private_openssh = private.to_openssh(LineEnding::LF).map_err(|e| failed("OpenSSH form", e))?.to_string();
    let public = private.public_key();
    let public_openssh = format!("{}\n", public.to_openssh().map_err(|e| failed("OpenSSH public key", e))?.trim_end());
    let wire = public.to_bytes().map_err(|e| failed("OpenSSH public key", e))?;
    let md5 = Md5::digest(&wire).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
    set(&mut v, "private_key_pem", Value::String(g.private_pem).mark_sensitive());
    set(&mut v, "private_key_pem_pkcs8", Value::String(g.pkcs8_pem).mark_sensitive());
    set(&mut v, "private_key_openssh", Value::String(private_openssh).mark_sensitive());
    set(&mut v, "public_key_pem", Value::String(g.public_pem));
    set(&mut v, "public_key_openssh", Value::String(public_openssh));
    set(&mut v, "public_key_fingerprint_md5", Value::String(md5));
    set(&mut v, "public_key_fingerprint_sha256", Value::String(public.fingerprint(HashAlg::Sha256).to_string()));
    // Terraform: the hex SHA-1 of the public key's DER.
    set(&mut v, "id", Value::String(hex::encode(Sha1::digest(&g.public_der))));
    Ok(v)
}

#[async_trait]
impl Provider for TlsProvider {
    fn name(&self) -> &str {
        "tls"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert(TLS_PRIVATE_KEY.into(), SCHEMA.clone());
        for ty in [tls_cert::TLS_SELF_SIGNED_CERT, tls_cert::TLS_CERT_REQUEST, tls_cert::TLS_LOCALLY_SIGNED_CERT] {
            if let Some(b) = tls_cert::resource_schema(ty) {
                s.resources.insert(ty.into(), b.clone());
            }
        }
        s.data_sources.insert(tls_cert::TLS_PUBLIC_KEY.into(), tls_cert::PUBLIC_KEY.clone());
        s
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        match ty {
            TLS_PRIVATE_KEY => validate(cfg),
            _ if is_cert_type(ty) || ty == tls_cert::TLS_PUBLIC_KEY => tls_cert::validate(ty, cfg),
            _ => Diagnostics::new(),
        }
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        if is_cert_type(ty) {
            return tls_cert::plan_change(ty, prior, desired);
        }
        if ty != TLS_PRIVATE_KEY {
            return unsupported_plan(ty, desired);
        }
        plan_change_from_schema(&SCHEMA, prior, &with_defaults(desired))
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        if is_cert_type(ty) {
            return Ok(Some(tls_cert::read(ty, state)));
        }
        if ty != TLS_PRIVATE_KEY {
            return Err(unsupported(ty));
        }
        Ok(Some(state.clone()))
    }

    async fn create(&self, ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        let planned = planned.clone();
        if is_cert_type(ty) {
            let ty = ty.to_string();
            // Signing with RSA is CPU work: off the async threads.
            return tokio::task::spawn_blocking(move || tls_cert::create(&ty, &planned)).await.map_err(|e| ProviderError::Failed(format!("certificate: {e}")))?;
        }
        if ty != TLS_PRIVATE_KEY {
            return Err(unsupported(ty));
        }
        // RSA generation is CPU work: off the async threads.
        tokio::task::spawn_blocking(move || create_value(&planned)).await.map_err(|e| failed("key generation", e))?
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        if is_cert_type(ty) {
            return Ok(tls_cert::update(ty, prior, planned));
        }
        if ty != TLS_PRIVATE_KEY {
            return Err(unsupported(ty));
        }
        let mut v = planned.clone();
        if let (Value::Map(m), Value::Map(p)) = (&mut v, prior) {
            for (k, x) in m.iter_mut() {
                if x.is_unknown() {
                    *x = p.get(k).cloned().unwrap_or(Value::Null);
                }
            }
        }
        Ok(v)
    }

    async fn delete(&self, ty: &str, _prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        if ty == TLS_PRIVATE_KEY || is_cert_type(ty) { Ok(()) } else { Err(unsupported(ty)) }
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        if ty == tls_cert::TLS_PUBLIC_KEY {
            let cfg = cfg.clone();
            return tokio::task::spawn_blocking(move || tls_cert::read_public_key(&cfg)).await.map_err(|e| ProviderError::Failed(format!("tls_public_key: {e}")))?;
        }
        Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() })
    }
}

fn is_cert_type(ty: &str) -> bool {
    tls_cert::resource_schema(ty).is_some()
}
