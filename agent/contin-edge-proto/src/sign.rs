//! ed25519 signing: keys, the signed envelope, enrollment tokens.

use crate::{from_json, ProtoError, TokenClaims, MAX_DOCUMENT_BYTES};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

pub const ENVELOPE_FORMAT: &str = "contin-signed-v1";
const TOKEN_PREFIX: &str = "contin1";

/// A new key pair from the OS's random source.
pub fn generate_key() -> Result<SigningKey, ProtoError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| ProtoError::Malformed(format!("no randomness: {e}")))?;
    Ok(SigningKey::from_bytes(&secret))
}

pub fn encode_public_key(k: &VerifyingKey) -> String {
    STANDARD.encode(k.to_bytes())
}

pub fn decode_public_key(s: &str) -> Result<VerifyingKey, ProtoError> {
    let bytes = STANDARD.decode(s).map_err(|_| ProtoError::Malformed("public key is not base64".into()))?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| ProtoError::Malformed("public key is not 32 bytes".into()))?;
    VerifyingKey::from_bytes(&arr).map_err(|_| ProtoError::Malformed("not an ed25519 public key".into()))
}

/// The secret key as stored in state (base64 of 32 bytes; sensitive).
pub fn encode_secret_key(k: &SigningKey) -> String {
    STANDARD.encode(k.to_bytes())
}

pub fn decode_secret_key(s: &str) -> Result<SigningKey, ProtoError> {
    let bytes = STANDARD.decode(s).map_err(|_| ProtoError::Malformed("secret key is not base64".into()))?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| ProtoError::Malformed("secret key is not 32 bytes".into()))?;
    Ok(SigningKey::from_bytes(&arr))
}

/// `agt-` + 16 hex digits of SHA-256 of the public key.
pub fn agent_id(k: &VerifyingKey) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(k.to_bytes());
    format!("agt-{}", &hex::encode(h)[..16])
}

/// A signed document (docs/edge-protocol.md, "Signed envelope").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub format: String,
    pub key: String,
    pub payload: String,
    pub signature: String,
}

impl Envelope {
    /// Signs `payload` (the exact bytes).
    pub fn sign_bytes(key: &SigningKey, payload: &[u8]) -> Envelope {
        let sig = key.sign(payload);
        Envelope {
            format: ENVELOPE_FORMAT.to_string(),
            key: encode_public_key(&key.verifying_key()),
            payload: STANDARD.encode(payload),
            signature: STANDARD.encode(sig.to_bytes()),
        }
    }

    /// Serializes `doc` and signs it; returns the envelope's JSON bytes.
    pub fn seal<T: Serialize>(key: &SigningKey, doc: &T) -> Vec<u8> {
        let payload = serde_json::to_vec(doc).unwrap_or_default();
        serde_json::to_vec_pretty(&Envelope::sign_bytes(key, &payload)).unwrap_or_default()
    }

    /// Parses an envelope (bounded).
    pub fn parse(bytes: &[u8]) -> Result<Envelope, ProtoError> {
        let e: Envelope = from_json(bytes)?;
        if e.format != ENVELOPE_FORMAT {
            return Err(ProtoError::Malformed(format!("format {:?}, expected {ENVELOPE_FORMAT:?}", e.format)));
        }
        Ok(e)
    }

    /// The payload bytes, once the signature checks out against `trusted`
    /// (never against the envelope's own `key` alone).
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<Vec<u8>, ProtoError> {
        if self.key != encode_public_key(trusted) {
            return Err(ProtoError::UntrustedKey);
        }
        let payload = STANDARD.decode(&self.payload).map_err(|_| ProtoError::Malformed("payload is not base64".into()))?;
        let sig = STANDARD.decode(&self.signature).map_err(|_| ProtoError::Malformed("signature is not base64".into()))?;
        let sig: [u8; 64] = sig.try_into().map_err(|_| ProtoError::BadSignature)?;
        trusted.verify_strict(&payload, &Signature::from_bytes(&sig)).map_err(|_| ProtoError::BadSignature)?;
        Ok(payload)
    }

    /// Parses, verifies against `trusted` and decodes the payload.
    pub fn open<T: DeserializeOwned>(bytes: &[u8], trusted: &VerifyingKey) -> Result<T, ProtoError> {
        let payload = Envelope::parse(bytes)?.verify(trusted)?;
        from_json(&payload)
    }
}

/// Enrollment tokens: `contin1.<claims>.<signature>` (base64url, no padding).
pub struct Token;

impl Token {
    pub fn create(claims: &TokenClaims, key: &SigningKey) -> String {
        let body = serde_json::to_vec(claims).unwrap_or_default();
        let sig = key.sign(&body);
        format!("{TOKEN_PREFIX}.{}.{}", URL_SAFE_NO_PAD.encode(&body), URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// Checks a token's form and its signature with the key it names.
    /// Expiry is checked separately ([`TokenClaims::check_expiry`]).
    pub fn parse(token: &str) -> Result<TokenClaims, ProtoError> {
        let token = token.trim();
        if token.len() > MAX_DOCUMENT_BYTES {
            return Err(ProtoError::TooLarge { size: token.len(), limit: MAX_DOCUMENT_BYTES });
        }
        let mut parts = token.split('.');
        let (Some(TOKEN_PREFIX), Some(body), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(ProtoError::Malformed(format!("a token has the form {TOKEN_PREFIX}.<claims>.<signature>")));
        };
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| ProtoError::Malformed("token claims are not base64url".into()))?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| ProtoError::Malformed("token signature is not base64url".into()))?;
        let claims: TokenClaims = from_json(&body)?;
        if claims.v != 1 {
            return Err(ProtoError::Version(claims.v));
        }
        let key = crate::decode_public_key(&claims.deployment_key)?;
        let sig: [u8; 64] = sig.try_into().map_err(|_| ProtoError::BadSignature)?;
        key.verify_strict(&body, &Signature::from_bytes(&sig)).map_err(|_| ProtoError::BadSignature)?;
        Ok(claims)
    }
}

impl TokenClaims {
    /// `Err(Expired)` when `expires_at` is not after `now` (or unreadable).
    pub fn check_expiry(&self, now: std::time::SystemTime) -> Result<(), ProtoError> {
        match humantime::parse_rfc3339(&self.expires_at) {
            Ok(t) if t > now => Ok(()),
            _ => Err(ProtoError::Expired(self.expires_at.clone())),
        }
    }
}

/// `t` as RFC 3339 UTC with seconds (`2026-12-01T18:00:00Z`).
pub fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DesiredState, FORMAT_VERSION};

    fn doc(site: &str, generation: u64) -> DesiredState {
        DesiredState {
            format_version: FORMAT_VERSION,
            deployment: "L".into(),
            site: site.into(),
            generation,
            issued_at: "2026-12-01T00:00:00Z".into(),
            children: vec![],
            workloads: vec![],
        }
    }

    #[test]
    fn sealed_documents_open_only_with_the_trusted_key() {
        let k = generate_key().unwrap();
        let other = generate_key().unwrap();
        let bytes = Envelope::seal(&k, &doc("s1", 3));
        let d: DesiredState = Envelope::open(&bytes, &k.verifying_key()).unwrap();
        assert_eq!(d, doc("s1", 3));
        assert_eq!(Envelope::open::<DesiredState>(&bytes, &other.verifying_key()), Err(ProtoError::UntrustedKey));
        // A forger re-signs with its own key but names the trusted one.
        let mut forged = Envelope::sign_bytes(&other, &serde_json::to_vec(&doc("s1", 9)).unwrap());
        forged.key = encode_public_key(&k.verifying_key());
        assert_eq!(forged.verify(&k.verifying_key()), Err(ProtoError::BadSignature));
        // One flipped payload byte.
        let mut e = Envelope::parse(&bytes).unwrap();
        let mut p = STANDARD.decode(&e.payload).unwrap();
        p[10] ^= 1;
        e.payload = STANDARD.encode(&p);
        assert_eq!(e.verify(&k.verifying_key()), Err(ProtoError::BadSignature));
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let k = generate_key().unwrap();
        let claims = TokenClaims {
            v: 1,
            token_id: "t".into(),
            site: "s1".into(),
            deployment: "L".into(),
            mailbox: "file:///tmp/m".into(),
            deployment_key: encode_public_key(&k.verifying_key()),
            issued_at: "2026-12-01T00:00:00Z".into(),
            expires_at: "2026-12-01T01:00:00Z".into(),
        };
        let t = Token::create(&claims, &k);
        assert_eq!(Token::parse(&t).unwrap(), claims);
        let at = |s: &str| humantime::parse_rfc3339(s).unwrap();
        assert_eq!(claims.check_expiry(at("2026-12-01T00:30:00Z")), Ok(()));
        assert_eq!(claims.check_expiry(at("2026-12-01T01:00:00Z")), Err(ProtoError::Expired(claims.expires_at.clone())));
        let mut evil = claims.clone();
        evil.site = "s2".into();
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&evil).unwrap());
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(Token::parse(&format!("contin1.{body}.{}", parts[2])), Err(ProtoError::BadSignature));
        assert!(matches!(Token::parse("garbage"), Err(ProtoError::Malformed(_))));
    }

    #[test]
    fn hostile_documents_are_refused() {
        let k = generate_key().unwrap();
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(Envelope::parse(deep.as_bytes()), Err(ProtoError::Malformed(_))));
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(matches!(Envelope::parse(&big), Err(ProtoError::TooLarge { .. })));
        assert!(Envelope::open::<DesiredState>(b"{}", &k.verifying_key()).is_err());
    }

    #[test]
    fn agent_ids_are_stable() {
        let k = decode_secret_key(&encode_secret_key(&SigningKey::from_bytes(&[7; 32]))).unwrap();
        assert_eq!(agent_id(&k.verifying_key()), agent_id(&SigningKey::from_bytes(&[7; 32]).verifying_key()));
        assert!(agent_id(&k.verifying_key()).starts_with("agt-"));
    }
}
