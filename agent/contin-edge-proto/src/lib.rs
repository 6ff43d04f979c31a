//! The edge protocol (docs/edge-protocol.md): what `contin apply` writes for
//! each site, what an enrollment token carries, what the agent reports, and
//! the mailbox both sides talk through. Signing is ed25519 over the exact
//! payload bytes.

pub mod mailbox;
pub mod sign;
mod types;

pub use mailbox::{Connections, FileMailbox, Mailbox, MailboxError, MailboxUrl, Read};
pub use sign::{agent_id, rfc3339, decode_public_key, decode_secret_key, encode_public_key, encode_secret_key, generate_key, Envelope, Token};
pub use types::*;

pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// Largest envelope, token or document accepted (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// Deepest JSON nesting accepted in a payload.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProtoError {
    #[error("document too large: {size} bytes (limit {limit})")]
    TooLarge { size: usize, limit: usize },
    #[error("not a contin signed document: {0}")]
    Malformed(String),
    #[error("bad signature")]
    BadSignature,
    #[error("signed by another key than the deployment's")]
    UntrustedKey,
    #[error("token expired at {0}")]
    Expired(String),
    #[error("document for site {found:?}, this agent runs site {expected:?}")]
    WrongSite { expected: String, found: String },
    #[error("generation {found} is older than the running generation {running}")]
    OlderGeneration { running: u64, found: u64 },
    #[error("unsupported format version {0}")]
    Version(u32),
}

/// Refuses JSON nested deeper than [`MAX_DEPTH`] before serde sees it
/// (serde_json's own limit is 128 and not configurable per call).
pub(crate) fn check_depth(bytes: &[u8]) -> Result<(), ProtoError> {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ProtoError::Malformed(format!("nested deeper than {MAX_DEPTH}")));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses bounded, depth-checked JSON.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ProtoError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ProtoError::TooLarge { size: bytes.len(), limit: MAX_DOCUMENT_BYTES });
    }
    check_depth(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| ProtoError::Malformed(e.to_string()))
}
