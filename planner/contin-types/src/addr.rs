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

/// Address of one resource instance. `module` is the module instance path
/// (`module.net` or `module.a[0].module.b`), empty in the root module; an
/// address with a `module` and an empty `ty`/`name` names a whole module
/// (`-target=module.net`).
#[derive(Clone, Debug)]
pub struct ResourceAddr {
    pub module: String,
    pub mode: ResourceMode,
    pub ty: String,
    pub name: String,
    pub key: InstanceKey,
}

/// `a == b` for module paths without touching an empty string's buffer: the
/// root module's path is empty, and comparing two empty `String`s calls
/// `memcmp` on their dangling pointers, which AVX-512 `memcmp` does with a
/// masked load that costs a fault-suppression assist each time (~20 % of a
/// 100,000-resource plan went there, in B-tree searches of addresses).
fn same_module(a: &str, b: &str) -> bool {
    (a.is_empty() && b.is_empty()) || a == b
}

impl PartialEq for ResourceAddr {
    fn eq(&self, other: &Self) -> bool {
        self.mode == other.mode && self.key == other.key && self.name == other.name && self.ty == other.ty && same_module(&self.module, &other.module)
    }
}

impl Eq for ResourceAddr {}

impl std::hash::Hash for ResourceAddr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.module.hash(state);
        self.mode.hash(state);
        self.ty.hash(state);
        self.name.hash(state);
        self.key.hash(state);
    }
}

impl Ord for ResourceAddr {
    /// Module path, mode, type, name, key (the order of the fields).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let module = if self.module.is_empty() && other.module.is_empty() { std::cmp::Ordering::Equal } else { self.module.cmp(&other.module) };
        module
            .then_with(|| self.mode.cmp(&other.mode))
            .then_with(|| self.ty.cmp(&other.ty))
            .then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.key.cmp(&other.key))
    }
}

impl PartialOrd for ResourceAddr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ResourceAddr {
    pub fn managed(ty: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddr { module: String::new(), mode: ResourceMode::Managed, ty: ty.into(), name: name.into(), key: InstanceKey::None }
    }
    pub fn data(ty: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddr { module: String::new(), mode: ResourceMode::Data, ty: ty.into(), name: name.into(), key: InstanceKey::None }
    }
    pub fn with_key(mut self, key: InstanceKey) -> Self {
        self.key = key;
        self
    }
    /// The address without its instance key (`aws_instance.gw`).
    pub fn resource(&self) -> ResourceAddr {
        ResourceAddr { key: InstanceKey::None, ..self.clone() }
    }
    /// The same address inside module instance path `module` (`module.net`).
    pub fn in_module(mut self, module: impl Into<String>) -> Self {
        self.module = module.into();
        self
    }
    /// True for a whole-module address (`module.net`).
    pub fn is_module(&self) -> bool {
        !self.module.is_empty() && self.ty.is_empty()
    }
    /// The name the configuration's block table uses: `NAME` in the root,
    /// `MODULE.NAME` (`module.net.main`) inside a module.
    pub fn block_name(&self) -> String {
        if self.module.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.module, self.name)
        }
    }
    /// True when this address lies in module `module` or below it; a
    /// module path without a key also covers its instances (`module.a`
    /// covers `module.a[0]`).
    pub fn within_module(&self, module: &str) -> bool {
        self.module
            .strip_prefix(module)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || (rest.starts_with('[') && !module.ends_with(']')))
    }
    /// The provider name implied by the type prefix (`aws_instance` → `aws`).
    pub fn implied_provider(&self) -> &str {
        self.ty.split('_').next().unwrap_or(&self.ty)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_module() {
            return f.write_str(&self.module);
        }
        if !self.module.is_empty() {
            write!(f, "{}.", self.module)?;
        }
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
        let (module, input_rest) = split_module_path(input).map_err(err)?;
        if input_rest.is_empty() {
            return Ok(ResourceAddr { module, mode: ResourceMode::Managed, ty: String::new(), name: String::new(), key: InstanceKey::None });
        }
        let (mode, rest) = match input_rest.strip_prefix("data.") {
            Some(rest) => (ResourceMode::Data, rest),
            None => (ResourceMode::Managed, input_rest),
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
        Ok(ResourceAddr { module, mode, ty: ty.to_string(), name: name.to_string(), key })
    }
}

/// How many `module.` steps an address may have.
pub const MAX_MODULE_PATH_DEPTH: usize = 64;

/// Splits the leading `module.NAME[KEY].` steps off an address: the module
/// path as written (normalised) and the rest.
fn split_module_path(input: &str) -> Result<(String, &str), &'static str> {
    let mut rest = input;
    let mut path = String::new();
    let mut depth = 0;
    while let Some(after) = rest.strip_prefix("module.") {
        depth += 1;
        if depth > MAX_MODULE_PATH_DEPTH {
            return Err("too many nested modules (limit MAX_MODULE_PATH_DEPTH = 64)");
        }
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let name = &after[..end];
        if !is_ident(name) {
            return Err("module NAME must be an identifier");
        }
        let mut step = format!("module.{name}");
        let mut tail = &after[end..];
        if tail.starts_with('[') {
            let close = if tail[1..].starts_with('"') {
                // A quoted key may contain `]` and `.`: find its closing quote.
                let mut esc = false;
                let mut close = None;
                for (i, c) in tail[2..].char_indices() {
                    if esc {
                        esc = false;
                    } else if c == '\\' {
                        esc = true;
                    } else if c == '"' {
                        close = Some(2 + i + 1);
                        break;
                    }
                }
                close.filter(|&i| tail[i..].starts_with(']')).ok_or("unterminated module instance key")?
            } else {
                tail.find(']').ok_or("unterminated module instance key")?
            };
            let inner = &tail[1..close];
            let key = if inner.starts_with('"') {
                InstanceKey::Str(serde_json::from_str(inner).map_err(|_| "bad string key")?)
            } else {
                InstanceKey::Int(inner.parse().map_err(|_| "instance key must be a number or a quoted string")?)
            };
            step.push_str(&key.to_string());
            tail = &tail[close + 1..];
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&step);
        if tail.is_empty() {
            return Ok((path, tail));
        }
        rest = tail.strip_prefix('.').ok_or("expected . after a module step")?;
    }
    Ok((path, rest))
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

    #[test]
    fn module_addresses_round_trip() {
        for s in [
            "module.net.aws_vpc.main",
            "module.net[0].aws_vpc.main[1]",
            "module.a[\"k.]x\"].module.b.data.aws_ami.u",
            "module.net",
            "module.net[\"x\"]",
        ] {
            let a: ResourceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        let a: ResourceAddr = "module.a.module.b.aws_vpc.main".parse().unwrap();
        assert_eq!(a.module, "module.a.module.b");
        assert_eq!(a.block_name(), "module.a.module.b.main");
        assert!(a.within_module("module.a"));
        assert!(!a.within_module("module.ab"));
        let i: ResourceAddr = "module.a[1].t.n".parse().unwrap();
        assert!(i.within_module("module.a") && i.within_module("module.a[1]") && !i.within_module("module.a[0]"));
        let m: ResourceAddr = "module.a".parse().unwrap();
        assert!(m.is_module());
        for bad in ["module.", "module.1x.a.b", "module.a[0", "module.a.b", "module.a[x].t.n", "module.a.."] {
            assert!(bad.parse::<ResourceAddr>().is_err(), "{bad}");
        }
        let deep = "module.m.".repeat(MAX_MODULE_PATH_DEPTH + 1) + "t.n";
        assert!(deep.parse::<ResourceAddr>().is_err());
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    #[test]
    fn addresses_order_by_module_mode_type_name_key() {
        let parse = |s: &str| s.parse::<ResourceAddr>().unwrap_or_else(|e| panic!("{s}: {e:?}"));
        let sorted = ["aws_vpc.a", "aws_vpc.b[0]", "aws_vpc.b[1]", "data.aws_vpc.a", "module.m.aws_vpc.a", "module.m[0].aws_vpc.a"];
        let mut addrs: Vec<ResourceAddr> = sorted.iter().rev().map(|s| parse(s)).collect();
        addrs.sort();
        let got: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        assert_eq!(got, sorted);
        assert_eq!(parse("aws_vpc.a"), parse("aws_vpc.a"));
        assert_ne!(parse("aws_vpc.a"), parse("module.m.aws_vpc.a"));
        assert_ne!(parse("aws_vpc.a"), parse("data.aws_vpc.a"));
    }
}
