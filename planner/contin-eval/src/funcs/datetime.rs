//! formatdate, timeadd, timecmp, timestamp and plantimestamp (RFC 3339
//! timestamps, Go duration strings), with chrono doing the calendar work.

use super::{string_arg, FnResult, FuncError};
use crate::Scope;
use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Timelike};
use contin_types::Value;

/// An RFC 3339 timestamp, as Terraform requires it (`T` separator, a zone).
fn parse_ts(s: &str, i: usize) -> Result<DateTime<FixedOffset>, FuncError> {
    let bytes = s.as_bytes();
    // Go's parser takes 'T' only, and no leap second (chrono accepts :60).
    let t_ok = bytes.get(10).is_some_and(|c| *c == b'T') && bytes.get(17..19) != Some(b"60".as_slice());
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) if t_ok => Ok(t),
        _ => Err(FuncError::Arg(i, format!("not a valid RFC3339 timestamp: cannot use {s:?} as a timestamp"))),
    }
}

/// Go's `time.RFC3339` rendering: seconds precision, `Z` for UTC.
fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    let base = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second());
    let off = t.offset().local_minus_utc();
    if off == 0 {
        format!("{base}Z")
    } else {
        format!("{base}{}", zone(off, true))
    }
}

/// `+hh:mm` (colon) or `+hhmm`.
fn zone(off: i32, colon: bool) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    let (h, m) = (a / 3600, (a % 3600) / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

pub(super) fn formatdate(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let spec = string_arg(&args[0], 0)?;
    let t = parse_ts(&string_arg(&args[1], 1)?, 1)?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; '' inside (or alone) is one quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(FuncError::Arg(0, "unterminated literal '".into())),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        out.push(*ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        let tok: String = chars[i..i + n].iter().collect();
        let h12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let s = match (c, n) {
            ('Y', 2) => format!("{:02}", t.year().rem_euclid(100)),
            ('Y', 4) => format!("{:04}", t.year()),
            ('M', 1) => t.month().to_string(),
            ('M', 2) => format!("{:02}", t.month()),
            ('M', 3) => MONTHS[t.month0() as usize][..3].to_string(),
            ('M', 4) => MONTHS[t.month0() as usize].to_string(),
            ('D', 1) => t.day().to_string(),
            ('D', 2) => format!("{:02}", t.day()),
            ('E', 3) => DAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
            ('E', 4) => DAYS[t.weekday().num_days_from_monday() as usize].to_string(),
            ('h', 1) => t.hour().to_string(),
            ('h', 2) => format!("{:02}", t.hour()),
            ('H', 1) => h12.to_string(),
            ('H', 2) => format!("{h12:02}"),
            ('A', 2) => (if t.hour() < 12 { "AM" } else { "PM" }).to_string(),
            ('a', 2) => (if t.hour() < 12 { "am" } else { "pm" }).to_string(),
            ('m', 1) => t.minute().to_string(),
            ('m', 2) => format!("{:02}", t.minute()),
            ('s', 1) => t.second().to_string(),
            ('s', 2) => format!("{:02}", t.second()),
            ('Z', 1) => match t.offset().local_minus_utc() {
                0 => "Z".to_string(),
                off => zone(off, true),
            },
            ('Z', 3) => match t.offset().local_minus_utc() {
                0 => "UTC".to_string(),
                off => zone(off, false),
            },
            ('Z', 4) => zone(t.offset().local_minus_utc(), false),
            ('Z', 5) => zone(t.offset().local_minus_utc(), true),
            _ => return Err(FuncError::Arg(0, format!("invalid date format verb {tok:?}: unsupported sequence"))),
        };
        out.push_str(&s);
        i += n;
    }
    Ok(Value::String(out))
}

/// A Go duration string (`1h30m`, `-10m`, `1.5h`, `300ms`, `2us`, `1µs`, `5ns`).
fn parse_duration(s: &str) -> Option<TimeDelta> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(TimeDelta::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0; // nanoseconds
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." {
            return None;
        }
        rest = &rest[num_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let mult: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        let int: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut v = int.checked_mul(mult)?;
        let mut scale = mult;
        for d in frac.chars().take(30) {
            scale /= 10;
            v = v.checked_add(i128::from(d.to_digit(10)?) * scale)?;
        }
        total = total.checked_add(v)?;
        if total > i128::from(i64::MAX) {
            return None;
        }
    }
    let ns = i64::try_from(if neg { -total } else { total }).ok()?;
    Some(TimeDelta::nanoseconds(ns))
}

pub(super) fn timeadd(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let t = parse_ts(&string_arg(&args[0], 0)?, 0)?;
    let d = string_arg(&args[1], 1)?;
    let delta = parse_duration(&d).ok_or_else(|| FuncError::Arg(1, format!("time: invalid duration {d:?}")))?;
    let r = t.checked_add_signed(delta).ok_or_else(|| FuncError::Call("the resulting time is out of range".into()))?;
    Ok(Value::String(rfc3339(&r)))
}

pub(super) fn timecmp(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let a = parse_ts(&string_arg(&args[0], 0)?, 0)?;
    let b = parse_ts(&string_arg(&args[1], 1)?, 1)?;
    Ok(Value::int(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

fn at(secs: i64) -> FnResult {
    let t = DateTime::from_timestamp(secs, 0).ok_or_else(|| FuncError::Call("the clock is out of range".into()))?;
    Ok(Value::String(rfc3339(&t.fixed_offset())))
}

/// timestamp(): now, UTC, RFC 3339 (a new value at every evaluation);
/// unknown when the scope says the time is not decided yet (planning).
pub(super) fn timestamp(_: Vec<Value>, scope: &dyn Scope) -> FnResult {
    match scope.now_unix() {
        Some(t) => at(t),
        None => Ok(Value::Unknown),
    }
}

/// plantimestamp(): the time of the plan, from the scope.
pub(super) fn plantimestamp(_: Vec<Value>, scope: &dyn Scope) -> FnResult {
    at(scope.plan_time_unix())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Planning;
    impl Scope for Planning {
        fn lookup(&self, r: &crate::Reference, loc: &contin_types::SourceLoc) -> Result<Value, contin_types::Diagnostic> {
            crate::EmptyScope.lookup(r, loc)
        }
        fn now_unix(&self) -> Option<i64> {
            None
        }
        fn plan_time_unix(&self) -> i64 {
            1_514_934_721
        }
    }

    #[test]
    fn timestamp_is_unknown_while_planning_and_plantimestamp_is_the_plan_time() {
        assert_eq!(timestamp(vec![], &Planning), Ok(Value::Unknown));
        assert_eq!(plantimestamp(vec![], &Planning), Ok(Value::string("2018-01-02T23:12:01Z")));
        assert!(matches!(timestamp(vec![], &crate::EmptyScope), Ok(Value::String(_))));
    }

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("10m"), Some(TimeDelta::minutes(10)));
        assert_eq!(parse_duration("-1h30m"), Some(-TimeDelta::minutes(90)));
        assert_eq!(parse_duration("1.5h"), Some(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("300ms"), Some(TimeDelta::milliseconds(300)));
        assert_eq!(parse_duration("0"), Some(TimeDelta::zero()));
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("1d"), None);
        assert_eq!(parse_duration("99999999999999999999h"), None);
    }

    #[test]
    fn bad_timestamps_and_verbs_are_errors() {
        let f = |spec: &str, ts: &str| formatdate(vec![Value::string(spec), Value::string(ts)], &crate::EmptyScope);
        assert!(f("YYYY", "2018-01-02 23:12:01Z").is_err());
        assert!(f("YYYY", "2018-01-02T23:12:01").is_err());
        assert!(f("YYY", "2018-01-02T23:12:01Z").is_err());
        assert!(f("'open", "2018-01-02T23:12:01Z").is_err());
        assert_eq!(f("YYYY-MM-DD'T'hh:mm:ssZ", "2018-01-02T23:12:01+01:00"), Ok(Value::string("2018-01-02T23:12:01+01:00")));
        let r = timeadd(vec![Value::string("9999-12-31T23:59:59Z"), Value::string("2562047h")], &crate::EmptyScope);
        assert_eq!(r, Ok(Value::string("10292-04-10T22:59:59Z")), "years past 9999 print like Go's");
        let r = timeadd(vec![Value::string("2024-01-01T00:00:00Z"), Value::string("2562048h")], &crate::EmptyScope);
        assert!(r.is_err(), "more than Go's largest duration: {r:?}");
    }
}
