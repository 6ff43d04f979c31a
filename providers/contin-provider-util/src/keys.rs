//! Reading the private keys `tls_private_key` produces (and what other tools
//! write): PEM as PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or
//! PKCS#8 (`PRIVATE KEY`), and OpenSSH private keys. Gives the key's
//! algorithm, its PKCS#8 form (for rcgen) and the public forms Terraform's
//! `tls` provider reports. Errors never quote key material.

use md5::Md5;
use sha2::Digest;
use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey as SshRsa};
use ssh_key::HashAlg;

/// Largest key text accepted (an RSA-8192 PEM is under 7 KiB).
pub const MAX_KEY_PEM_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAlg {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyAlg {
    /// Terraform's `key_algorithm` / `algorithm` names.
    pub(crate) fn terraform_name(self) -> &'static str {
        match self {
            KeyAlg::Rsa => "RSA",
            KeyAlg::P256 | KeyAlg::P384 => "ECDSA",
            KeyAlg::Ed25519 => "ED25519",
        }
    }

    /// The signature algorithm Go's x509 picks for this key (what Terraform signs with).
    pub(crate) fn rcgen_alg(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            KeyAlg::Rsa => &rcgen::PKCS_RSA_SHA256,
            KeyAlg::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlg::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlg::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }
}

/// The public halves of a key, in Terraform's attribute forms.
#[derive(Debug, Clone)]
pub(crate) struct PublicForms {
    pub alg: KeyAlg,
    /// SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
    pub public_key_pem: String,
    pub public_key_openssh: String,
    pub fingerprint_md5: String,
    pub fingerprint_sha256: String,
}

/// A parsed private key: its PKCS#8 PEM (secret) and public forms.
pub(crate) struct PrivateKey {
    pub pkcs8_pem: String,
    pub public: PublicForms,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey").field("alg", &self.public.alg).finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// rcgen's key pair for signing.
    pub(crate) fn key_pair(&self) -> Result<rcgen::KeyPair, String> {
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&self.pkcs8_pem, self.public.alg.rcgen_alg())
            .map_err(|e| format!("the key cannot sign: {e}"))
    }
}

/// The PEM label of the first block (`RSA PRIVATE KEY`, `PRIVATE KEY`, …).
fn pem_label(pem: &str) -> Option<&str> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &pem[start..];
    let end = rest.find("-----")?;
    Some(&rest[..end])
}

const NOT_A_KEY: &str = "is not a PEM private key of a supported kind (RSA as PKCS#1 or PKCS#8, ECDSA P-256/P-384 as SEC1 or PKCS#8, ED25519 as PKCS#8)";

/// Parses a PEM private key; `what` names the argument in errors.
pub(crate) fn parse_private_pem(what: &str, pem: &str) -> Result<PrivateKey, String> {
    use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
    if pem.len() > MAX_KEY_PEM_BYTES {
        return Err(format!("{what}: longer than the limit of {MAX_KEY_PEM_BYTES} bytes"));
    }
    let pem = pem.trim();
    let lf = p256::pkcs8::LineEnding::LF;
    let bad = || format!("{what} {NOT_A_KEY}");
    let label = pem_label(pem).ok_or_else(bad)?;
    let rsa_key = |k: rsa::RsaPrivateKey| -> Result<PrivateKey, String> {
        let public = k.to_public_key();
        let spki = public.to_public_key_der().map_err(|_| bad())?.into_vec();
        let pem = public.to_public_key_pem(lf).map_err(|_| bad())?;
        let ssh = KeyData::Rsa(SshRsa::try_from(&public).map_err(|_| bad())?);
        Ok(PrivateKey { pkcs8_pem: k.to_pkcs8_pem(lf).map_err(|_| bad())?.to_string(), public: forms(KeyAlg::Rsa, spki, pem, ssh)? })
    };
    let p256_key = |k: p256::SecretKey| -> Result<PrivateKey, String> {
        let pk = k.public_key();
        let spki = pk.to_public_key_der().map_err(|_| bad())?.into_vec();
        let pem = pk.to_public_key_pem(lf).map_err(|_| bad())?;
        let ssh = KeyData::Ecdsa(EcdsaPublicKey::from_sec1_bytes(&pk.to_sec1_bytes()).map_err(|_| bad())?);
        Ok(PrivateKey { pkcs8_pem: k.to_pkcs8_pem(lf).map_err(|_| bad())?.to_string(), public: forms(KeyAlg::P256, spki, pem, ssh)? })
    };
    let p384_key = |k: p384::SecretKey| -> Result<PrivateKey, String> {
        let pk = k.public_key();
        let spki = pk.to_public_key_der().map_err(|_| bad())?.into_vec();
        let pem = pk.to_public_key_pem(lf).map_err(|_| bad())?;
        let ssh = KeyData::Ecdsa(EcdsaPublicKey::from_sec1_bytes(&pk.to_sec1_bytes()).map_err(|_| bad())?);
        Ok(PrivateKey { pkcs8_pem: k.to_pkcs8_pem(lf).map_err(|_| bad())?.to_string(), public: forms(KeyAlg::P384, spki, pem, ssh)? })
    };
    match label {
        "RSA PRIVATE KEY" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            rsa_key(rsa::RsaPrivateKey::from_pkcs1_pem(pem).map_err(|_| bad())?)
        }
        "EC PRIVATE KEY" => {
            if let Ok(k) = p256::SecretKey::from_sec1_pem(pem) {
                p256_key(k)
            } else if let Ok(k) = p384::SecretKey::from_sec1_pem(pem) {
                p384_key(k)
            } else {
                Err(bad())
            }
        }
        "PRIVATE KEY" => {
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
                rsa_key(k)
            } else if let Ok(k) = p256::SecretKey::from_pkcs8_pem(pem) {
                p256_key(k)
            } else if let Ok(k) = p384::SecretKey::from_pkcs8_pem(pem) {
                p384_key(k)
            } else if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
                let vk = k.verifying_key();
                let spki = vk.to_public_key_der().map_err(|_| bad())?.into_vec();
                let public_pem = vk.to_public_key_pem(lf).map_err(|_| bad())?;
                let ssh = KeyData::Ed25519(Ed25519PublicKey::from(&vk));
                Ok(PrivateKey {
                    pkcs8_pem: k.to_pkcs8_pem(lf).map_err(|_| bad())?.to_string(),
                    public: forms(KeyAlg::Ed25519, spki, public_pem, ssh)?,
                })
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

/// The public forms of an OpenSSH private key (data `tls_public_key`'s `private_key_openssh`).
pub(crate) fn public_of_openssh(what: &str, text: &str) -> Result<PublicForms, String> {
    use p256::pkcs8::EncodePublicKey;
    if text.len() > MAX_KEY_PEM_BYTES {
        return Err(format!("{what}: longer than the limit of {MAX_KEY_PEM_BYTES} bytes"));
    }
    let bad = || format!("{what} is not an unencrypted OpenSSH private key of a supported kind (RSA, ECDSA P-256/P-384, ED25519)");
    let key = ssh_key::PrivateKey::from_openssh(text.trim()).map_err(|_| bad())?;
    if key.is_encrypted() {
        return Err(format!("{what} is encrypted; contin reads unencrypted keys only"));
    }
    let lf = p256::pkcs8::LineEnding::LF;
    let data = key.public_key().key_data().clone();
    match &data {
        KeyData::Rsa(r) => {
            let pk = rsa::RsaPublicKey::try_from(r).map_err(|_| bad())?;
            forms(KeyAlg::Rsa, pk.to_public_key_der().map_err(|_| bad())?.into_vec(), pk.to_public_key_pem(lf).map_err(|_| bad())?, data)
        }
        KeyData::Ecdsa(EcdsaPublicKey::NistP256(point)) => {
            let pk = p256::PublicKey::from_sec1_bytes(point.as_bytes()).map_err(|_| bad())?;
            forms(KeyAlg::P256, pk.to_public_key_der().map_err(|_| bad())?.into_vec(), pk.to_public_key_pem(lf).map_err(|_| bad())?, data)
        }
        KeyData::Ecdsa(EcdsaPublicKey::NistP384(point)) => {
            let pk = p384::PublicKey::from_sec1_bytes(point.as_bytes()).map_err(|_| bad())?;
            forms(KeyAlg::P384, pk.to_public_key_der().map_err(|_| bad())?.into_vec(), pk.to_public_key_pem(lf).map_err(|_| bad())?, data)
        }
        KeyData::Ed25519(k) => {
            let vk = ed25519_dalek::VerifyingKey::from_bytes(&k.0).map_err(|_| bad())?;
            forms(KeyAlg::Ed25519, vk.to_public_key_der().map_err(|_| bad())?.into_vec(), vk.to_public_key_pem(lf).map_err(|_| bad())?, data)
        }
        _ => Err(bad()),
    }
}

/// OpenSSH line (with a trailing newline, as Terraform gives it) and fingerprints.
fn forms(alg: KeyAlg, spki_der: Vec<u8>, public_key_pem: String, ssh: KeyData) -> Result<PublicForms, String> {
    let public = ssh_key::PublicKey::new(ssh, "");
    let line = public.to_openssh().map_err(|e| format!("OpenSSH public key: {e}"))?;
    let wire = public.to_bytes().map_err(|e| format!("OpenSSH public key: {e}"))?;
    let md5 = Md5::digest(&wire).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
    Ok(PublicForms {
        alg,
        spki_der,
        public_key_pem,
        public_key_openssh: format!("{}\n", line.trim_end()),
        fingerprint_md5: md5,
        fingerprint_sha256: public.fingerprint(HashAlg::Sha256).to_string(),
    })
}
