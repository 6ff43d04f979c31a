//! Terraform version constraints (`>= 1.2, < 2.0`, `~> 1.5`, `= 1.11.4`,
//! `!= 1.3.0`), as hashicorp/go-version reads them, checked against the
//! Terraform language level contin implements.

use std::cmp::Ordering;
use std::fmt;

/// The Terraform language version contin implements: `required_version`
/// constraints are checked against it.
pub const TERRAFORM_LANGUAGE_VERSION: &str = "1.11.4";

/// Longest constraint string read (a longer one is an error naming this limit).
pub const MAX_CONSTRAINT_LEN: usize = 1024;

/// A version: up to three numeric segments and an optional pre-release.
/// Missing segments equal 0 (`1.11` == `1.11.0`).
#[derive(Clone, Debug)]
pub struct Version {
    /// The numeric segments as written (1 to 3 of them); missing ones read as 0.
    segments: Vec<u64>,
    pre: Option<String>,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, String> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        // Build metadata (`+x`) does not take part in comparisons.
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (nums, pre) = match s.split_once('-') {
            Some((n, p)) if !p.is_empty() => (n, Some(p.to_string())),
            Some(_) => return Err(format!("\"{s}\" has an empty pre-release part")),
            None => (s, None),
        };
        let mut segments = Vec::new();
        for part in nums.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "\"{s}\" is not a version (expected numbers like 1.2.3)"
                ));
            }
            segments.push(
                part.parse::<u64>()
                    .map_err(|_| format!("\"{s}\": the number {part} is too large"))?,
            );
        }
        if segments.len() > 3 {
            return Err(format!(
                "\"{s}\" has more than three numbers (major.minor.patch)"
            ));
        }
        Ok(Version { segments, pre })
    }

    fn seg(&self, i: usize) -> u64 {
        self.segments.get(i).copied().unwrap_or(0)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..3 {
            match self.seg(i).cmp(&other.seg(i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => cmp_pre(a, b),
        }
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Semver pre-release order: dot-separated parts, numeric ones numerically.
fn cmp_pre(a: &str, b: &str) -> Ordering {
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nums: Vec<String> = self.segments.iter().map(u64::to_string).collect();
        write!(f, "{}", nums.join("."))?;
        if let Some(p) = &self.pre {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~>`: the last written segment may grow.
    Pessimistic,
}

/// One `OP VERSION` of a constraint list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    op: Op,
    version: Version,
}

impl Constraint {
    pub fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.op {
            Op::Eq => v == c,
            Op::Ne => v != c,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                if v < c {
                    return false;
                }
                // `~> 1.5` → < 2.0; `~> 1.5.0` → < 1.6.0; `~> 1` → < 2.
                let fixed = c.segments.len().saturating_sub(1).max(1);
                (0..fixed).all(|i| v.seg(i) == c.seg(i))
            }
        }
    }
}

/// Parses `">= 1.2, < 2.0"`: comma-separated constraints, all of which must hold.
pub fn parse_constraints(s: &str) -> Result<Vec<Constraint>, String> {
    if s.len() > MAX_CONSTRAINT_LEN {
        return Err(format!(
            "the constraint is longer than {MAX_CONSTRAINT_LEN} bytes"
        ));
    }
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!(
                "\"{s}\" has an empty constraint (expected e.g. \">= 1.2, < 2.0\")"
            ));
        }
        let (op, rest) = [
            ("~>", Op::Pessimistic),
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("!=", Op::Ne),
            ("=", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
        ]
        .iter()
        .find_map(|(text, op)| part.strip_prefix(text).map(|r| (*op, r)))
        .unwrap_or((Op::Eq, part));
        let version = Version::parse(rest).map_err(|e| format!("in \"{part}\": {e}"))?;
        out.push(Constraint { op, version });
    }
    Ok(out)
}

/// True when `v` meets every constraint.
pub fn satisfies(v: &Version, constraints: &[Constraint]) -> bool {
    constraints.iter().all(|c| c.matches(v))
}

/// The language version as a [`Version`].
pub fn language_version() -> Version {
    Version::parse(TERRAFORM_LANGUAGE_VERSION).unwrap_or(Version {
        segments: vec![1, 11, 4],
        pre: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(c: &str, v: &str) -> bool {
        let cs = parse_constraints(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        satisfies(
            &Version::parse(v).unwrap_or_else(|e| panic!("{v}: {e}")),
            &cs,
        )
    }

    #[test]
    fn comparison_operators() {
        assert!(ok(">= 1.2, < 2.0", "1.11.4"));
        assert!(!ok(">= 1.2, < 1.11", "1.11.4"));
        assert!(ok("= 1.11.4", "1.11.4"));
        assert!(ok("1.11.4", "1.11.4"));
        assert!(!ok("= 1.11.3", "1.11.4"));
        assert!(ok("!= 1.3.0", "1.11.4"));
        assert!(!ok("!= 1.11.4", "1.11.4"));
        assert!(ok(">1.11.3", "1.11.4"));
        assert!(!ok("> 1.11.4", "1.11.4"));
        assert!(ok("<= 1.11.4", "1.11.4"));
        assert!(ok(">= 0.12", "1.11.4"));
        assert!(ok("= 1.11", "1.11.0"));
        assert!(ok("v1.0.0", "1.0.0"));
    }

    #[test]
    fn pessimistic_constraints_fix_all_but_the_last_segment() {
        assert!(ok("~> 1.5", "1.11.4"));
        assert!(!ok("~> 1.5", "2.0.0"));
        assert!(!ok("~> 1.5", "1.4.9"));
        assert!(ok("~> 1.11.0", "1.11.4"));
        assert!(!ok("~> 1.10.0", "1.11.4"));
        assert!(ok("~> 1", "1.11.4"));
        assert!(!ok("~> 1", "2.0.0"));
        assert!(!ok("~> 0.14", "1.11.4"));
    }

    #[test]
    fn prereleases_sort_before_their_release() {
        assert!(ok(">= 1.11.0-beta1", "1.11.0"));
        assert!(!ok(">= 1.11.4", "1.11.4-rc1"));
        assert!(ok("< 1.11.4-rc2", "1.11.4-rc1"));
        assert!(
            Version::parse("1.0.0-alpha.2").unwrap_or_else(|e| panic!("{e}"))
                < Version::parse("1.0.0-alpha.10").unwrap_or_else(|e| panic!("{e}"))
        );
    }

    #[test]
    fn malformed_constraints_are_errors_naming_the_part() {
        for bad in [
            "",
            ">= ",
            ">= 1.2,",
            "~> x.y",
            "1.2.3.4",
            ">= 1.2 < 2",
            "=> 1.0",
            "99999999999999999999999",
        ] {
            assert!(parse_constraints(bad).is_err(), "{bad:?} parsed");
        }
        assert!(parse_constraints(&"1".repeat(MAX_CONSTRAINT_LEN + 1))
            .unwrap_err()
            .contains("1024"));
        assert_eq!(language_version().to_string(), TERRAFORM_LANGUAGE_VERSION);
    }
}
