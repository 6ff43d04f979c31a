//! The `time` provider: Terraform's `hashicorp/time` resources. Times are
//! RFC 3339 in UTC, kept in state; `time_rotating` reads as gone once its
//! rotation time has passed, so the next plan replaces it.

use crate::{get, get_int, get_str, int, keepers_attr, set, unsupported, unsupported_plan};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration as CDuration, Months, SecondsFormat, Timelike, Utc};
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

/// Longest `time_sleep` duration (a typo like "1000h" must not hang an apply for weeks).
pub const MAX_SLEEP: Duration = Duration::from_secs(24 * 3600);

const TYPES: &[&str] = &["time_static", "time_offset", "time_rotating", "time_sleep"];
const PARTS: [&str; 7] = ["year", "month", "day", "hour", "minute", "second", "unix"];
const OFFSETS: [&str; 6] = ["offset_years", "offset_months", "offset_days", "offset_hours", "offset_minutes", "offset_seconds"];
const ROTATIONS: [&str; 5] = ["rotation_years", "rotation_months", "rotation_days", "rotation_hours", "rotation_minutes"];

static SCHEMAS: LazyLock<ProviderSchema> = LazyLock::new(|| {
    let mut s = ProviderSchema::default();
    for t in TYPES {
        s.resources.insert(t.to_string(), schema(t));
    }
    s
});

fn schema(ty: &str) -> BlockSchema {
    use AttrType as T;
    let b = BlockSchema::default().attr("triggers", keepers_attr("arbitrary values; a change replaces the resource")).attr("id", AttrSchema::computed(T::String));
    let with_parts = |mut b: BlockSchema| {
        for p in PARTS {
            b = b.attr(p, AttrSchema::computed(T::Number));
        }
        b
    };
    match ty {
        "time_static" => with_parts(b.attr("rfc3339", AttrSchema::optional_computed(T::String).force_new().describe("the time (default: now, at create)"))),
        "time_offset" => {
            let mut b = b
                .attr("base_rfc3339", AttrSchema::optional_computed(T::String).force_new().describe("the base time (default: now, at create)"))
                .attr("rfc3339", AttrSchema::computed(T::String));
            for o in OFFSETS {
                b = b.attr(o, AttrSchema::optional(T::Number));
            }
            with_parts(b)
        }
        "time_rotating" => {
            let mut b = b
                .attr("rfc3339", AttrSchema::optional_computed(T::String).force_new().describe("the base time (default: now, at create)"))
                .attr("rotation_rfc3339", AttrSchema::optional_computed(T::String).describe("when the resource is replaced"));
            for r in ROTATIONS {
                b = b.attr(r, AttrSchema::optional(T::Number));
            }
            with_parts(b)
        }
        "time_sleep" => b
            .attr("create_duration", AttrSchema::optional(T::String).describe("wait after create, Go duration (\"30s\", \"1m30s\")"))
            .attr("destroy_duration", AttrSchema::optional(T::String).describe("wait before destroy, Go duration")),
        _ => b,
    }
}

/// The `time` provider (stateless).
#[derive(Debug, Clone, Default)]
pub struct TimeProvider;

impl TimeProvider {
    pub fn new() -> Self {
        TimeProvider
    }
}

pub(crate) fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| format!("{s:?} is not an RFC 3339 time ({e})"))
}

pub(crate) fn format_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn now() -> DateTime<Utc> {
    let d = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    DateTime::from_timestamp(d.as_secs() as i64, 0).unwrap_or_default()
}

/// A Go duration (`time.ParseDuration`): "300ms", "1.5h", "2h45m", "-1m".
pub(crate) fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration (examples: \"30s\", \"1m30s\", \"1.5h\", \"300ms\")");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let num: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        total += num * unit;
    }
    if neg && total > 0.0 {
        return Err(format!("{s:?} is negative"));
    }
    if !total.is_finite() || total > 1e12 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

fn add_calendar(t: DateTime<Utc>, years: i64, months: i64, days: i64, hours: i64, minutes: i64, seconds: i64) -> Option<DateTime<Utc>> {
    let months = years.checked_mul(12)?.checked_add(months)?;
    let t = if months >= 0 { t.checked_add_months(Months::new(u32::try_from(months).ok()?))? } else { t.checked_sub_months(Months::new(u32::try_from(-months).ok()?))? };
    let secs = days.checked_mul(86_400)?.checked_add(hours.checked_mul(3600)?)?.checked_add(minutes.checked_mul(60)?)?.checked_add(seconds)?;
    t.checked_add_signed(CDuration::try_seconds(secs)?)
}

fn set_parts(v: &mut Value, t: DateTime<Utc>) {
    set(v, "year", int(i64::from(t.year())));
    set(v, "month", int(i64::from(t.month())));
    set(v, "day", int(i64::from(t.day())));
    set(v, "hour", int(i64::from(t.hour())));
    set(v, "minute", int(i64::from(t.minute())));
    set(v, "second", int(i64::from(t.second())));
    set(v, "unix", int(t.timestamp()));
}

fn ints(v: &Value, names: &[&str]) -> Result<Vec<i64>, String> {
    names.iter().map(|n| get_int(v, n).map(|x| x.unwrap_or(0))).collect()
}

/// Fills every value derivable from the base time (`None`: base unknown,
/// left as planned). Pure: used by plan and by create.
fn derive(ty: &str, v: &mut Value) -> Result<(), String> {
    let base_attr = if ty == "time_offset" { "base_rfc3339" } else { "rfc3339" };
    let Some(base) = get_str(v, base_attr).map(str::to_string) else { return Ok(()) };
    let base = parse_rfc3339(&base).map_err(|e| format!("{base_attr}: {e}"))?;
    set(v, "id", Value::String(format_rfc3339(base)));
    match ty {
        "time_static" => set_parts(v, base),
        "time_offset" => {
            let o = ints(v, &OFFSETS)?;
            let t = add_calendar(base, o[0], o[1], o[2], o[3], o[4], o[5]).ok_or("the offset is out of range")?;
            set(v, "rfc3339", Value::String(format_rfc3339(t)));
            set_parts(v, t);
        }
        "time_rotating" => {
            set_parts(v, base);
            // Unset (or unknown): from the rotation_* arguments.
            if get(v, "rotation_rfc3339").is_none_or(Value::is_unknown) {
                let r = ints(v, &ROTATIONS)?;
                if r.iter().any(|x| *x != 0) {
                    let t = add_calendar(base, r[0], r[1], r[2], r[3], r[4], 0).ok_or("the rotation is out of range")?;
                    set(v, "rotation_rfc3339", Value::String(format_rfc3339(t)));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether `rotation_rfc3339` is to be computed from the `rotation_*`
/// arguments (it is not configured itself).
fn rotation_from_rotations(v: &Value) -> bool {
    ROTATIONS.iter().any(|r| get(v, r).is_some())
}

fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    for a in ["rfc3339", "base_rfc3339", "rotation_rfc3339"] {
        if ty == "time_offset" && a == "rfc3339" {
            continue;
        }
        if let Some(s) = get_str(cfg, a) {
            if let Err(e) = parse_rfc3339(s) {
                d.push(Diagnostic::error(format!("{a}: {e}")));
            }
        }
    }
    let names: &[&str] = match ty {
        "time_offset" => &OFFSETS,
        "time_rotating" => &ROTATIONS,
        _ => &[],
    };
    for n in names {
        if let Err(e) = get_int(cfg, n) {
            d.push(Diagnostic::error(e));
        }
    }
    match ty {
        "time_offset" if OFFSETS.iter().all(|o| get(cfg, o).is_none()) && !matches!(cfg, Value::Unknown) => {
            d.push(Diagnostic::error("time_offset: no offset").with_detail(format!("Set at least one of {}.", OFFSETS.join(", "))))
        }
        "time_rotating" if ROTATIONS.iter().all(|o| get(cfg, o).is_none()) && get(cfg, "rotation_rfc3339").is_none() && !matches!(cfg, Value::Unknown) => {
            d.push(Diagnostic::error("time_rotating: no rotation").with_detail(format!("Set at least one of {} or rotation_rfc3339.", ROTATIONS.join(", "))))
        }
        "time_sleep" => {
            for a in ["create_duration", "destroy_duration"] {
                if let Some(s) = get_str(cfg, a) {
                    match parse_go_duration(s) {
                        Err(e) => d.push(Diagnostic::error(format!("{a}: {e}"))),
                        Ok(x) if x > MAX_SLEEP => d.push(Diagnostic::error(format!("{a}: {s:?} is longer than the limit of {}", humantime::format_duration(MAX_SLEEP)))),
                        Ok(_) => {}
                    }
                }
            }
        }
        _ => {}
    }
    d
}

async fn sleep_for(v: &Value, attr: &str) -> Result<(), ProviderError> {
    if let Some(s) = get_str(v, attr) {
        let d = parse_go_duration(s).map_err(|e| ProviderError::Invalid(format!("time_sleep: {attr}: {e}")))?;
        if d > MAX_SLEEP {
            return Err(ProviderError::Invalid(format!("time_sleep: {attr}: longer than the limit of {}", humantime::format_duration(MAX_SLEEP))));
        }
        tokio::time::sleep(d).await;
    }
    Ok(())
}

#[async_trait]
impl Provider for TimeProvider {
    fn name(&self) -> &str {
        "time"
    }

    fn schema(&self) -> ProviderSchema {
        SCHEMAS.clone()
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        validate(ty, cfg)
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        let Some(s) = SCHEMAS.resources.get(ty) else { return unsupported_plan(ty, desired) };
        let mut c = plan_change_from_schema(s, prior, desired);
        // A known base time: everything derived from it is known now
        // (an offset or a rotation changed in place recomputes it).
        if ty != "time_sleep" {
            if ty == "time_rotating" && rotation_from_rotations(desired) && get(desired, "rotation_rfc3339").is_none() {
                set(&mut c.planned, "rotation_rfc3339", Value::Unknown);
            }
            if let Err(e) = derive(ty, &mut c.planned) {
                c.diagnostics.push(Diagnostic::error(e));
            }
        }
        c
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        if !TYPES.contains(&ty) {
            return Err(unsupported(ty));
        }
        if ty == "time_rotating" {
            if let Some(r) = get_str(state, "rotation_rfc3339").and_then(|r| parse_rfc3339(r).ok()) {
                if now() >= r {
                    // Rotation due: gone, so the plan creates a new one.
                    return Ok(None);
                }
            }
        }
        Ok(Some(state.clone()))
    }

    async fn create(&self, ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        let mut v = planned.clone();
        let invalid = |e: String| ProviderError::Invalid(format!("{ty}: {e}"));
        match ty {
            "time_static" | "time_rotating" | "time_offset" => {
                let base_attr = if ty == "time_offset" { "base_rfc3339" } else { "rfc3339" };
                if get_str(&v, base_attr).is_none() {
                    set(&mut v, base_attr, Value::String(format_rfc3339(now())));
                }
                if ty == "time_rotating" && get(planned, "rotation_rfc3339").is_none_or(Value::is_unknown) {
                    set(&mut v, "rotation_rfc3339", Value::Null);
                }
                derive(ty, &mut v).map_err(invalid)?;
            }
            "time_sleep" => {
                sleep_for(&v, "create_duration").await?;
                set(&mut v, "id", Value::String(format_rfc3339(now())));
            }
            _ => return Err(unsupported(ty)),
        }
        Ok(v)
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        if !TYPES.contains(&ty) {
            return Err(unsupported(ty));
        }
        let mut v = planned.clone();
        if let (Value::Map(m), Value::Map(p)) = (&mut v, prior.unmarked()) {
            for (k, x) in m.iter_mut() {
                if x.is_unknown() {
                    *x = p.get(k).cloned().unwrap_or(Value::Null);
                }
            }
        }
        if ty != "time_sleep" {
            derive(ty, &mut v).map_err(|e| ProviderError::Invalid(format!("{ty}: {e}")))?;
        }
        Ok(v)
    }

    async fn delete(&self, ty: &str, prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        match ty {
            "time_sleep" => sleep_for(prior, "destroy_duration").await,
            t if TYPES.contains(&t) => Ok(()),
            _ => Err(unsupported(ty)),
        }
    }
}
