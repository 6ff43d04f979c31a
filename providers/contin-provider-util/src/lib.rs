//! Utility providers named like Terraform's, so configurations that use them
//! run unchanged:
//!
//! - `random` ([`RandomProvider`]): `random_id`, `random_string`,
//!   `random_password`, `random_pet`, `random_integer`, `random_shuffle`,
//!   `random_uuid`;
//! - `time` ([`TimeProvider`]): `time_static`, `time_offset`,
//!   `time_rotating`, `time_sleep`;
//! - `tls` ([`TlsProvider`]): `tls_private_key` (RSA, ECDSA P-256/P-384,
//!   ED25519), `tls_self_signed_cert`, `tls_cert_request`,
//!   `tls_locally_signed_cert` and `data "tls_public_key"` (`tls_cert.rs`,
//!   rcgen on aws-lc-rs; keys read by `keys.rs`);
//! - `http` ([`HttpProvider`]): `data "http"`;
//! - `archive` ([`ArchiveProvider`]): `archive_file`, data and resource
//!   (deterministic zip; relative paths against the base directory given to
//!   `ArchiveProvider::new`);
//! - `cloudinit` ([`CloudinitProvider`]): `cloudinit_config`, data and
//!   resource (Terraform's MIME multi-part document);
//! - `external` ([`ExternalProvider`]): `data "external"` (a program that
//!   answers a JSON query on stdin with a JSON object of strings).
//!
//! Values are generated at apply (create) and kept in state: every
//! configurable argument forces replacement (`keepers`/`triggers` are the
//! way to ask for a new value), as in Terraform. Secrets (`random_password`
//! `result` and `bcrypt_hash`, private keys) are sensitive in the schema, so
//! plans, state listings and errors never show them.
//! Architecture invariant: `schema`, `validate` and `plan_change` do no IO.

mod archive;
mod cloudinit;
mod external;
mod http;
mod keys;
mod random;
mod time;
mod tls;
mod tls_cert;

pub use archive::ArchiveProvider;
pub use cloudinit::CloudinitProvider;
pub use external::ExternalProvider;
pub use http::HttpProvider;
pub use random::RandomProvider;
pub use time::TimeProvider;
pub use tls::TlsProvider;

use contin_provider::{PlannedChange, ProviderError};
use contin_types::value::Number;
use contin_types::{Diagnostic, Value};

/// `keepers` / `triggers`: arbitrary strings; a change replaces the resource.
pub(crate) fn keepers_attr(what: &'static str) -> contin_provider::AttrSchema {
    use contin_provider::{AttrSchema, AttrType};
    AttrSchema::optional(AttrType::Map(Box::new(AttrType::String))).force_new().describe(what)
}

pub(crate) fn get<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.attr(name)
}

pub(crate) fn get_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.attr_str(name)
}

pub(crate) fn get_bool(v: &Value, name: &str) -> Option<bool> {
    match v.attr(name) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// An integer attribute; `Err` names it when it is a number that is not an integer.
pub(crate) fn get_int(v: &Value, name: &str) -> Result<Option<i64>, String> {
    match v.attr(name) {
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| format!("{name}: {n} is not a whole number")),
        _ => Ok(None),
    }
}

pub(crate) fn set(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(name.to_string(), x);
    }
}

/// Sets `name` to `default` when the configuration leaves it out.
pub(crate) fn default(v: &mut Value, name: &str, x: Value) {
    if v.attr(name).is_none() && !matches!(v.unmarked(), Value::Map(m) if m.get(name).is_some_and(Value::is_unknown)) {
        set(v, name, x);
    }
}

pub(crate) fn int(i: i64) -> Value {
    Value::Number(Number::from_i64(i))
}

pub(crate) fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

pub(crate) fn unsupported_plan(ty: &str, desired: &Value) -> PlannedChange {
    PlannedChange {
        planned: desired.clone(),
        requires_replace: Vec::new(),
        diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
    }
}

/// `n` bytes from the operating system's generator.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>, ProviderError> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| ProviderError::Failed(format!("the system random generator failed: {e}")))?;
    Ok(b)
}

/// Uniform integers below a bound: from the system generator, or from a
/// seed (the same seed gives the same sequence, like Terraform's `seed`).
pub(crate) enum Source {
    System,
    Seeded { seed: Vec<u8>, counter: u64, pool: Vec<u8> },
}

impl Source {
    pub(crate) fn new(seed: Option<&str>) -> Source {
        match seed {
            Some(s) => Source::Seeded { seed: s.as_bytes().to_vec(), counter: 0, pool: Vec::new() },
            None => Source::System,
        }
    }

    fn next_u64(&mut self) -> Result<u64, ProviderError> {
        let mut b = [0u8; 8];
        match self {
            Source::System => b.copy_from_slice(&random_bytes(8)?),
            Source::Seeded { seed, counter, pool } => {
                if pool.len() < 8 {
                    use sha2::Digest;
                    let mut h = sha2::Sha256::new();
                    h.update(&seed[..]);
                    h.update(counter.to_le_bytes());
                    *counter += 1;
                    pool.extend_from_slice(&h.finalize());
                }
                b.copy_from_slice(&pool[..8]);
                pool.drain(..8);
            }
        }
        Ok(u64::from_le_bytes(b))
    }

    /// Uniform in `0..n` (rejection sampling: no modulo bias); `n` > 0.
    pub(crate) fn below(&mut self, n: u64) -> Result<u64, ProviderError> {
        if n <= 1 {
            return Ok(0);
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64()?;
            if x < zone {
                return Ok(x % n);
            }
        }
    }

    /// Fisher–Yates.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) -> Result<(), ProviderError> {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1)? as usize;
            items.swap(i, j);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
