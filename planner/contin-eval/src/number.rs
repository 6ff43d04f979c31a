//! Number helpers: literal parsing, arithmetic with Terraform's rules and
//! Go-style (`%g`, `%e`, `%f`) formatting used by `format()`.

use crate::limits;
use bigdecimal::{BigDecimal, FromPrimitive, RoundingMode, Zero};
use contin_types::Number;
use std::str::FromStr;

/// The number of an HCL literal, from its source text when available (no
/// float rounding), else from the parsed value.
/// Out of range (see [`crate::limits::MAX_NUMBER_EXPONENT`]) is an error.
pub(crate) fn from_literal(n: &hcl_edit::Formatted<hcl_edit::Number>) -> Result<Number, String> {
    let v = n.value();
    if let Some(i) = v.as_i64().filter(|i| i.unsigned_abs() < (1 << 53)) {
        // Integers are exact in the parsed value already.
        if v.is_i64() || v.is_u64() {
            return Ok(Number::from_i64(i));
        }
    }
    if let Some(repr) = n.as_repr().map(|r| -> &str { r }).filter(|r| !r.is_empty()) {
        let cleaned: String = repr.chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(parsed) = Number::from_str(&cleaned) {
            return bounded(parsed.0).ok_or_else(limits::number_out_of_range);
        }
    }
    if let Some(i) = v.as_i64() {
        Ok(Number::from_i64(i))
    } else if let Some(u) = v.as_u64() {
        Ok(Number(BigDecimal::from(u)))
    } else {
        v.as_f64().and_then(Number::from_f64).ok_or_else(limits::number_out_of_range)
    }
}

/// A number within the limits: rounded to [`limits::MAX_NUMBER_DIGITS`]
/// significant digits; `None` when its decimal exponent exceeds
/// [`limits::MAX_NUMBER_EXPONENT`] in magnitude. Cheap: no digit string is built.
pub(crate) fn bounded(d: BigDecimal) -> Option<Number> {
    if d.is_zero() {
        return Some(Number(BigDecimal::zero()));
    }
    let d = if d.digits() > limits::MAX_NUMBER_DIGITS { d.with_prec(limits::MAX_NUMBER_DIGITS) } else { d };
    // value = int * 10^-scale; the leading digit's exponent is digits - 1 - scale.
    let exp = i128::from(d.digits()) - 1 - i128::from(d.fractional_digit_count());
    // The trailing digit's exponent matters too: 1e-10000 printed plainly is 10,000 digits.
    let low = -i128::from(d.fractional_digit_count());
    let max = i128::from(limits::MAX_NUMBER_EXPONENT);
    if exp.abs() > max || low.abs() > max + i128::from(limits::MAX_NUMBER_DIGITS) {
        return None;
    }
    Some(Number(d))
}

/// Like [`bounded`], as an error message naming the limit.
pub(crate) fn checked(d: BigDecimal) -> Result<Number, String> {
    bounded(d).ok_or_else(limits::number_out_of_range)
}

/// Parses a number the way Terraform converts a string to a number.
pub(crate) fn parse(s: &str) -> Option<Number> {
    let t = s.trim();
    if t.is_empty() || t.starts_with('+') || t.ends_with('.') || t.starts_with('.') {
        return None;
    }
    if !t.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+')) {
        return None;
    }
    Number::from_str(t).ok().and_then(|n| bounded(n.0))
}

/// Why a string is not a number: out of range (naming the limit) or not a number at all (`None`).
pub(crate) fn parse_error(s: &str) -> Option<String> {
    let t = s.trim();
    if t.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+')) && Number::from_str(t).is_ok() {
        Some(limits::number_out_of_range())
    } else {
        None
    }
}

/// Arithmetic results are rounded and range-checked ([`bounded`]); `Err` names the limit.
pub(crate) fn add(a: &Number, b: &Number) -> Result<Number, String> {
    checked(&a.0 + &b.0)
}
pub(crate) fn sub(a: &Number, b: &Number) -> Result<Number, String> {
    checked(&a.0 - &b.0)
}
pub(crate) fn mul(a: &Number, b: &Number) -> Result<Number, String> {
    checked(&a.0 * &b.0)
}
/// `None` on division by zero (Terraform yields infinity, which we cannot represent).
pub(crate) fn div(a: &Number, b: &Number) -> Option<Result<Number, String>> {
    if b.0.is_zero() {
        return None;
    }
    Some(checked((&a.0 / &b.0).normalized()))
}
/// Remainder with the sign of the dividend (Go's math.Mod / cty's Modulo).
pub(crate) fn rem(a: &Number, b: &Number) -> Option<Number> {
    if b.0.is_zero() {
        return None;
    }
    let q = (&a.0 / &b.0).with_scale_round(0, RoundingMode::Down);
    Some(Number((&a.0 - &(q * &b.0)).normalized()))
}
pub(crate) fn neg(a: &Number) -> Number {
    Number(-a.0.clone())
}
pub(crate) fn floor(a: &Number) -> Number {
    Number(a.0.with_scale_round(0, RoundingMode::Floor).normalized())
}
pub(crate) fn ceil(a: &Number) -> Number {
    Number(a.0.with_scale_round(0, RoundingMode::Ceiling).normalized())
}
pub(crate) fn abs(a: &Number) -> Number {
    Number(a.0.abs())
}

/// `%.Nf`: fixed notation with N decimals. Terraform formats the float64
/// value (so 2.675 → "2.67"); beyond float64's exact range we use the
/// decimal value.
pub(crate) fn fixed(a: &Number, prec: usize) -> String {
    let f = a.as_f64();
    if f.is_finite() && f.abs() < 1e15 {
        if prec <= RUST_PREC_MAX {
            return format!("{f:.prec$}");
        }
        // std's formatter refuses precisions above u16::MAX: use the exact decimal of the float.
        if let Some(exact) = BigDecimal::from_f64(f) {
            return exact.with_scale_round(prec as i64, RoundingMode::HalfEven).to_plain_string();
        }
    }
    a.0.with_scale_round(prec as i64, RoundingMode::HalfEven).to_plain_string()
}

/// `%e` / `%E` with a precision (default 6), like Go.
pub(crate) fn exp(a: &Number, prec: Option<usize>, upper: bool) -> String {
    let f = a.as_f64();
    let s = match prec {
        Some(p) if p > RUST_PREC_MAX => {
            // Beyond float64's exact digits Go prints zeros; std cannot format this precision.
            let s = format!("{f:.RUST_PREC_MAX$e}");
            match s.split_once('e') {
                Some((m, e)) => format!("{m}{}e{e}", "0".repeat(p - RUST_PREC_MAX)),
                None => s,
            }
        }
        Some(p) => format!("{f:.p$e}"),
        None => format!("{f:.6e}"),
    };
    go_exponent(&s, upper)
}

/// `%g` / `%G` (shortest representation unless a precision is given), like Go.
pub(crate) fn general(a: &Number, prec: Option<usize>, upper: bool) -> String {
    let f = a.as_f64();
    if f == 0.0 {
        return "0".into();
    }
    let p = prec.map(|p| p.clamp(1, RUST_PREC_MAX));
    let sci = match p {
        Some(p) => format!("{:.*e}", p - 1, f.abs()),
        None => format!("{:e}", f.abs()),
    };
    let (mant, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp10: i64 = e.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let nd = digits.len() as i64;
    let dp = exp10 + 1;
    let eprec = match p {
        None => 6,
        Some(p) if (p as i64) > nd && nd >= dp => nd,
        Some(p) => p as i64,
    };
    let sign = if f < 0.0 { "-" } else { "" };
    if exp10 < -4 || exp10 >= eprec {
        let mut m = digits[..1].to_string();
        if nd > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp10 < 0 { '-' } else { '+' };
        format!("{sign}{m}{}{esign}{:02}", if upper { 'E' } else { 'e' }, exp10.abs())
    } else {
        let decimals = (nd - dp).max(0) as usize;
        format!("{sign}{:.*}", decimals, f.abs())
    }
}

/// Largest precision given to std's float formatting (it panics on very
/// large ones; a float64 has at most 767 significant decimal digits, so
/// beyond this only zeros follow).
const RUST_PREC_MAX: usize = 1_000;

fn go_exponent(s: &str, upper: bool) -> String {
    let Some((m, e)) = s.split_once('e') else { return s.to_string() };
    let n: i64 = e.parse().unwrap_or(0);
    let sign = if n < 0 { '-' } else { '+' };
    format!("{m}{}{sign}{:02}", if upper { 'E' } else { 'e' }, n.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::from_str(s).unwrap()
    }

    #[test]
    fn modulo_follows_dividend_sign() {
        assert_eq!(rem(&n("-7"), &n("3")).unwrap().to_string(), "-1");
        assert_eq!(rem(&n("7"), &n("-3")).unwrap().to_string(), "1");
        assert_eq!(rem(&n("7.5"), &n("2")).unwrap().to_string(), "1.5");
        assert!(rem(&n("1"), &n("0")).is_none());
    }

    #[test]
    fn go_formats() {
        assert_eq!(exp(&n("12345.678"), None, false), "1.234568e+04");
        assert_eq!(fixed(&n("3.14159"), 1), "3.1");
        assert_eq!(parse(" 12 ").map(|n| n.to_string()), Some("12".into()));
        assert_eq!(parse("1e3").map(|n| n.to_string()), Some("1000".into()));
        assert!(parse("abc").is_none());
    }
}
