//! cidrsubnet, cidrhost and cidrnetmask for IPv4 and IPv6.

use super::{int_arg, number_arg, string_arg, FnResult, FuncError};
use crate::Scope;
use bigdecimal::ToPrimitive;
use contin_types::Value;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The network as (address bits, address width, prefix length). Host bits
/// set in the address are ignored, like Terraform.
fn parse_prefix(s: &str, i: usize) -> Result<(u128, u32, u32), FuncError> {
    let net: IpNet = s.parse().map_err(|_| FuncError::Arg(i, format!("invalid CIDR expression: invalid CIDR address: {s}")))?;
    let (bits, width) = match net.network() {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    };
    Ok((bits, width, u32::from(net.prefix_len())))
}

fn addr_string(bits: u128, width: u32) -> String {
    if width == 32 {
        Ipv4Addr::from(bits as u32).to_string()
    } else {
        Ipv6Addr::from(bits).to_string()
    }
}

pub(super) fn cidrsubnet(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let prefix = string_arg(&args[0], 0)?;
    let (base, width, plen) = parse_prefix(&prefix, 0)?;
    let newbits = int_arg(&args[1], 1)?;
    let netnum = number_arg(&args[2], 2)?;
    let netnum = netnum.0.to_i128().filter(|_| netnum.is_integer()).ok_or_else(|| FuncError::Arg(2, "value must be a whole number".into()))?;
    if newbits < 0 {
        return Err(FuncError::Arg(1, "must not be negative".into()));
    }
    let new_len = i64::from(plen).saturating_add(newbits);
    if new_len > i64::from(width) {
        return Err(FuncError::Call(format!("insufficient address space to extend prefix of {plen} by {newbits}")));
    }
    if netnum < 0 || (newbits < 127 && netnum >= (1i128 << newbits)) {
        return Err(FuncError::Call(format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")));
    }
    let shift = width - new_len as u32;
    let add = if shift >= 128 { 0 } else { (netnum as u128) << shift };
    Ok(Value::String(format!("{}/{new_len}", addr_string(base | add, width))))
}

pub(super) fn cidrhost(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let prefix = string_arg(&args[0], 0)?;
    let (base, width, plen) = parse_prefix(&prefix, 0)?;
    let hostnum = number_arg(&args[1], 1)?;
    let hostnum = hostnum.0.to_i128().filter(|_| hostnum.is_integer()).ok_or_else(|| FuncError::Arg(1, "value must be a whole number".into()))?;
    let hostbits = width - plen;
    let max: i128 = if hostbits >= 127 { i128::MAX } else { 1i128 << hostbits };
    let n = if hostnum < 0 { max + hostnum } else { hostnum };
    if n < 0 || n >= max {
        return Err(FuncError::Call(format!("prefix of {plen} does not accommodate a host numbered {hostnum}")));
    }
    Ok(Value::String(addr_string(base | n as u128, width)))
}

pub(super) fn cidrnetmask(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let prefix = string_arg(&args[0], 0)?;
    let (_, width, plen) = parse_prefix(&prefix, 0)?;
    if width != 32 {
        return Err(FuncError::Arg(0, "IPv6 addresses cannot have a netmask".into()));
    }
    let mask: u32 = if plen == 0 { 0 } else { u32::MAX << (32 - plen) };
    Ok(Value::String(Ipv4Addr::from(mask).to_string()))
}
