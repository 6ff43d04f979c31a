//! Encrypted plan files (`plan -out FILE -plan-key-env VAR`). The plan file
//! bytes are sealed with AES-256-GCM under a key from the environment
//! variable VAR: 64 hex digits are used as the key itself, anything else is
//! a passphrase stretched with PBKDF2-HMAC-SHA256 (random salt, iterations
//! recorded). The header (lineage, serial and configuration hash the plan
//! is bound to, KDF parameters, nonce) is authenticated as associated
//! data: changing any of it makes the file unreadable. `apply` then refuses
//! the plan when the state moved (lineage/serial) or the configuration
//! changed (hash).
//!
//! ```text
//! contin-plan-sealed\n
//! 1\n
//! {"cipher":"aes-256-gcm",...}\n      header (JSON, one line)
//! <base64 ciphertext + tag>\n
//! ```

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use contin_planner::Plan;
use serde::{Deserialize, Serialize};

const MAGIC: &str = "contin-plan-sealed";
/// Version of the sealed envelope.
pub const SEALED_VERSION: u32 = 1;
/// PBKDF2 iterations for a passphrase (OWASP 2023 for HMAC-SHA256).
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Fewest iterations a sealed file may ask for (a lower count is refused).
pub const MIN_ITERATIONS: u32 = 100_000;
/// Most iterations a sealed file may ask for (bounds the work a file can cause).
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Shortest passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// The authenticated header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub cipher: String,
    /// `raw` (the key is 64 hex digits) or `pbkdf2-hmac-sha256`.
    pub kdf: String,
    #[serde(default)]
    pub iterations: u32,
    /// Hex.
    #[serde(default)]
    pub salt: String,
    /// Hex, 12 bytes.
    pub nonce: String,
    pub lineage: Option<String>,
    pub base_serial: Option<u64>,
    pub config_hash: String,
}

/// True when `bytes` is a sealed plan file.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(format!("{MAGIC}\n").as_bytes())
}

/// The key material in environment variable `var` (its value is never shown).
pub fn key_from_env(var: &str) -> anyhow::Result<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => anyhow::bail!("-plan-key-env {var}: the environment variable is empty"),
        Err(std::env::VarError::NotPresent) => anyhow::bail!("-plan-key-env {var}: the environment variable is not set"),
        Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("-plan-key-env {var}: the environment variable is not valid UTF-8"),
    }
}

fn raw_key(material: &str) -> Option<[u8; 32]> {
    let t = material.trim();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut k = [0u8; 32];
    for (i, chunk) in t.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).ok()?;
        k[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(k)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("the sealed plan header's {what} is not hex");
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| anyhow::anyhow!("the sealed plan header's {what} is not hex"))).collect()
}

fn derive(material: &str, header: &Header) -> anyhow::Result<[u8; 32]> {
    match header.kdf.as_str() {
        "raw" => raw_key(material).ok_or_else(|| anyhow::anyhow!("the plan was sealed with a 64-hex-digit key, but the key given is not one")),
        "pbkdf2-hmac-sha256" => {
            if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&header.iterations) {
                anyhow::bail!("the sealed plan asks for {} PBKDF2 iterations; accepted: {MIN_ITERATIONS} to {MAX_ITERATIONS}", header.iterations);
            }
            let salt = unhex(&header.salt, "salt")?;
            let mut key = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(material.as_bytes(), &salt, header.iterations, &mut key);
            Ok(key)
        }
        other => anyhow::bail!("the sealed plan uses an unknown key derivation {other:?}"),
    }
}

/// Seals `plan_file` (the bytes of a plan file for `plan`).
pub fn seal(plan: &Plan, plan_file: &[u8], material: &str) -> anyhow::Result<Vec<u8>> {
    seal_with_iterations(plan, plan_file, material, DEFAULT_ITERATIONS)
}

pub fn seal_with_iterations(plan: &Plan, plan_file: &[u8], material: &str, iterations: u32) -> anyhow::Result<Vec<u8>> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness for the plan file nonce: {e}"))?;
    let (kdf, salt, iterations) = if raw_key(material).is_some() {
        ("raw", String::new(), 0)
    } else {
        if material.chars().count() < MIN_PASSPHRASE_CHARS {
            anyhow::bail!("the plan passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters, or a key of 64 hex digits");
        }
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for the plan file salt: {e}"))?;
        ("pbkdf2-hmac-sha256", hex(&salt), iterations)
    };
    let header = Header {
        cipher: "aes-256-gcm".into(),
        kdf: kdf.into(),
        iterations,
        salt,
        nonce: hex(&nonce),
        lineage: plan.lineage.clone(),
        base_serial: plan.base_serial,
        config_hash: plan.config_hash.clone(),
    };
    let header_line = serde_json::to_string(&header)?;
    let key = derive(material, &header)?;
    let cipher = Aes256Gcm::new(&key.into());
    let sealed = cipher
        .encrypt(&nonce.into(), Payload { msg: plan_file, aad: header_line.as_bytes() })
        .map_err(|_| anyhow::anyhow!("encrypting the plan file failed"))?;
    let mut out = format!("{MAGIC}\n{SEALED_VERSION}\n{header_line}\n").into_bytes();
    out.extend_from_slice(contin_types::base64::encode(&sealed).as_bytes());
    out.push(b'\n');
    Ok(out)
}

/// Opens a sealed plan file: the inner plan file bytes and the header.
/// A wrong key and any change to the file give the same error.
pub fn open(bytes: &[u8], material: &str) -> anyhow::Result<(Vec<u8>, Header)> {
    let text = std::str::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the sealed plan file is not text: corrupted"))?;
    let mut lines = text.splitn(4, '\n');
    let (Some(MAGIC), Some(version), Some(header_line), Some(body)) = (lines.next(), lines.next(), lines.next(), lines.next()) else {
        anyhow::bail!("the sealed plan file is truncated or not a sealed plan");
    };
    if version != SEALED_VERSION.to_string() {
        anyhow::bail!("the sealed plan file has envelope version {version:?}; this contin reads version {SEALED_VERSION}");
    }
    let header: Header = serde_json::from_str(header_line).map_err(|e| anyhow::anyhow!("the sealed plan header is damaged: {e}"))?;
    if header.cipher != "aes-256-gcm" {
        anyhow::bail!("the sealed plan uses an unknown cipher {:?}", header.cipher);
    }
    let nonce: [u8; 12] = unhex(&header.nonce, "nonce")?.try_into().map_err(|_| anyhow::anyhow!("the sealed plan header's nonce is not 12 bytes"))?;
    let sealed = contin_types::base64::decode(body.trim_end()).ok_or_else(|| anyhow::anyhow!("the sealed plan body is not base64: corrupted"))?;
    let key = derive(material, &header)?;
    let cipher = Aes256Gcm::new(&key.into());
    let plain = cipher
        .decrypt(&nonce.into(), Payload { msg: &sealed, aad: header_line.as_bytes() })
        .map_err(|_| anyhow::anyhow!("the plan file cannot be decrypted: wrong key, or the file was changed"))?;
    Ok((plain, header))
}

/// Checks the decrypted plan is the one the header names.
pub fn check_binding(plan: &Plan, header: &Header) -> anyhow::Result<()> {
    if plan.lineage != header.lineage || plan.base_serial != header.base_serial || plan.config_hash != header.config_hash {
        anyhow::bail!("the sealed plan's header does not match the plan inside it: the file is not a consistent contin plan");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let mut p = contin_planner::codec::decode_plan(&contin_planner::codec::encode_plan(&empty())).unwrap_or_else(|e| panic!("{e}"));
        p.lineage = Some("lin-1".into());
        p.base_serial = Some(4);
        p
    }

    fn empty() -> Plan {
        Plan {
            format_version: contin_planner::PLAN_FORMAT_VERSION,
            mode: contin_planner::PlanMode::Normal,
            lineage: None,
            base_serial: None,
            config_hash: "abc".into(),
            sources: Default::default(),
            variables: [("pw".to_string(), contin_types::Value::string("MARKER-SECRET-1234").mark_sensitive())].into_iter().collect(),
            targets: Vec::new(),
            changes: Vec::new(),
            drift: Vec::new(),
            outputs: Default::default(),
            unreachable: Vec::new(),
            deposed: Vec::new(),
            language: Default::default(),
        }
    }

    const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn a_sealed_plan_opens_with_its_key_only_and_hides_the_plan() {
        let p = plan();
        let inner = contin_planner::codec::encode_plan(&p);
        let sealed = seal(&p, &inner, KEY).expect("seal");
        assert!(is_sealed(&sealed));
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("MARKER-SECRET-1234") && !text.contains("contin-plan\n"), "{text}");
        let (plain, header) = open(&sealed, KEY).expect("open");
        assert_eq!(plain, inner);
        assert_eq!((header.lineage.as_deref(), header.base_serial, header.config_hash.as_str()), (Some("lin-1"), Some(4), "abc"));
        let other = KEY.replace("00", "01");
        let err = open(&sealed, &other).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("wrong key, or the file was changed"), "{err}");
    }

    #[test]
    fn changing_the_bound_header_or_body_is_detected() {
        let p = plan();
        let sealed = seal(&p, &contin_planner::codec::encode_plan(&p), KEY).expect("seal");
        let text = String::from_utf8_lossy(&sealed).to_string();
        // Pretend the plan was made against serial 5.
        let moved = text.replace("\"base_serial\":4", "\"base_serial\":5");
        assert_ne!(moved, text);
        let err = open(moved.as_bytes(), KEY).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("cannot be decrypted"), "{err}");
        let mut flipped = sealed.clone();
        let n = flipped.len() - 5;
        flipped[n] = if flipped[n] == b'A' { b'B' } else { b'A' };
        assert!(open(&flipped, KEY).is_err());
        assert!(open(&sealed[..sealed.len() / 2], KEY).is_err(), "truncated");
    }

    #[test]
    fn a_passphrase_is_stretched_and_a_short_one_refused() {
        let p = plan();
        let inner = contin_planner::codec::encode_plan(&p);
        assert!(seal(&p, &inner, "short").is_err());
        let sealed = seal_with_iterations(&p, &inner, "correct horse battery staple", MIN_ITERATIONS).expect("seal");
        let (plain, h) = open(&sealed, "correct horse battery staple").expect("open");
        assert_eq!((plain, h.kdf.as_str(), h.iterations), (inner, "pbkdf2-hmac-sha256", MIN_ITERATIONS));
        assert!(open(&sealed, "correct horse battery stapl3").is_err());
        // A file may not lower the work factor below the minimum.
        let weak = String::from_utf8_lossy(&sealed).replace(&format!("\"iterations\":{MIN_ITERATIONS}"), "\"iterations\":1");
        let err = open(weak.as_bytes(), "correct horse battery staple").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("iterations"), "{err}");
    }
}
