//! Resource addresses (`aws_instance.gw[0]`, `data.aws_ami.ubuntu`, `local_file.cfg["a"]`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Managed resources (`resource` blocks) and data sources (`data` blocks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceMode {
    Managed,
    Data,
}

/// The instance key of an expanded resource: none, `count.index` or `each.key`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::to_string(s).map_err(|_| fmt::Error)?),
        }
    }
}

/// Address of one resource instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    pub mode: ResourceMode,
    pub ty: String,
    pub name: String,
    pub key: InstanceKey,
}

impl ResourceAddr {
    pub fn managed(ty: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddr { mode: ResourceMode::Managed, ty: ty.into(), name: name.into(), key: InstanceKey::None }
    }
    pub fn data(ty: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddr { mode: ResourceMode::Data, ty: ty.into(), name: name.into(), key: InstanceKey::None }
    }
    pub fn with_key(mut self, key: InstanceKey) -> Self {
        self.key = key;
        self
    }
    /// The address without its instance key (`aws_instance.gw`).
    pub fn resource(&self) -> ResourceAddr {
        ResourceAddr { key: InstanceKey::None, ..self.clone() }
    }
    /// The provider name implied by the type prefix (`aws_instance` → `aws`).
    pub fn implied_provider(&self) -> &str {
        self.ty.split('_').next().unwrap_or(&self.ty)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == ResourceMode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}{}", self.ty, self.name, self.key)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid resource address {input:?}: {reason}")]
pub struct AddrParseError {
    pub input: String,
    pub reason: &'static str,
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl FromStr for ResourceAddr {
    type Err = AddrParseError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| AddrParseError { input: input.to_string(), reason };
        let (mode, rest) = match input.strip_prefix("data.") {
            Some(rest) => (ResourceMode::Data, rest),
            None => (ResourceMode::Managed, input),
        };
        let (head, key) = match rest.find('[') {
            Some(i) => {
                let inner = rest[i..]
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .ok_or_else(|| err("unterminated instance key"))?;
                let key = if inner.starts_with('"') {
                    InstanceKey::Str(serde_json::from_str(inner).map_err(|_| err("bad string key"))?)
                } else {
                    InstanceKey::Int(inner.parse().map_err(|_| err("instance key must be a number or a quoted string"))?)
                };
                (&rest[..i], key)
            }
            None => (rest, InstanceKey::None),
        };
        let (ty, name) = head.split_once('.').ok_or_else(|| err("expected TYPE.NAME"))?;
        if !is_ident(ty) || !is_ident(name) {
            return Err(err("TYPE and NAME must be identifiers"));
        }
        Ok(ResourceAddr { mode, ty: ty.to_string(), name: name.to_string(), key })
    }
}

impl Serialize for ResourceAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in ["aws_instance.gw", "aws_instance.gw[0]", "data.aws_ami.u", "local_file.f[\"a b\"]"] {
            let a: ResourceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        assert!("nodot".parse::<ResourceAddr>().is_err());
        assert!("a.b[x]".parse::<ResourceAddr>().is_err());
    }
}
