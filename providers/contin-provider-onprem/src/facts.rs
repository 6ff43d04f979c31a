//! Host facts: one POSIX sh script run through `Remote::exec` prints
//! sections (`@@name` lines) that `parse` reads. The script only reads
//! (os-release is printed, never sourced); missing tools leave a fact empty.

use crate::remote::{Remote, RemoteError};
use contin_types::Value;
use std::collections::BTreeMap;

/// The facts script. Sections: os-release, kernel, arch, cpus, meminfo, hostname, gpu.
pub const SCRIPT: &str = r#"LC_ALL=C; export LC_ALL
echo '@@os-release'; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
echo '@@kernel'; uname -r 2>/dev/null
echo '@@arch'; uname -m 2>/dev/null
echo '@@cpus'; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || grep -c '^processor' /proc/cpuinfo 2>/dev/null
echo '@@meminfo'; grep '^MemTotal:' /proc/meminfo 2>/dev/null
echo '@@hostname'; hostname 2>/dev/null || uname -n 2>/dev/null
echo '@@gpu'; if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null; fi
echo '@@end'
"#;

/// What a host reports about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// os-release `ID` (e.g. `debian`, `ubuntu`).
    pub os: String,
    /// os-release `VERSION_ID` (e.g. `12`, `22.04`); empty on rolling releases.
    pub os_version: String,
    pub kernel: String,
    pub arch: String,
    pub cpus: Option<u64>,
    pub memory_mb: Option<u64>,
    /// One name per GPU `nvidia-smi` lists.
    pub gpus: Vec<String>,
    pub hostname: String,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FactsError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("the facts script failed (exit {status}): {detail}")]
    Script { status: String, detail: String },
}

/// Runs the facts script on `remote`.
pub async fn gather(remote: &dyn Remote) -> Result<Facts, FactsError> {
    let out = remote.exec(SCRIPT).await?;
    let facts = parse(&out.stdout);
    if !out.stdout.contains("@@end") {
        let status = out.status.map_or_else(|| "by signal".to_string(), |s| s.to_string());
        let detail = last_lines(&out.stderr, 5);
        return Err(FactsError::Script { status, detail: if detail.is_empty() { "no output".to_string() } else { detail } });
    }
    Ok(facts)
}

fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Reads the script's output. Unknown sections and junk are ignored.
pub fn parse(out: &str) -> Facts {
    let mut sections: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut current = None;
    for line in out.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(name) = line.strip_prefix("@@") {
            current = Some(name.trim());
            sections.entry(name.trim()).or_default();
        } else if let Some(c) = current {
            sections.entry(c).or_default().push(line);
        }
    }
    let first = |name: &str| -> String {
        sections.get(name).and_then(|l| l.iter().map(|s| s.trim()).find(|s| !s.is_empty())).unwrap_or("").to_string()
    };
    let os_release = parse_os_release(&sections.get("os-release").map(|l| l.join("\n")).unwrap_or_default());
    let memory_mb = sections.get("meminfo").and_then(|l| l.iter().find_map(|s| parse_memtotal_mb(s)));
    let gpus = sections
        .get("gpu")
        .map(|l| l.iter().map(|s| s.trim()).filter(|s| !s.is_empty() && !s.starts_with("No devices")).map(str::to_string).collect())
        .unwrap_or_default();
    Facts {
        os: os_release.get("ID").cloned().unwrap_or_default(),
        os_version: os_release.get("VERSION_ID").cloned().unwrap_or_default(),
        kernel: first("kernel"),
        arch: first("arch"),
        cpus: first("cpus").parse().ok().filter(|n| *n > 0),
        memory_mb,
        gpus,
        hostname: first("hostname"),
    }
}

/// `KEY=value` lines; values may be "double" or 'single' quoted (os-release(5)).
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.insert(k.to_string(), unquote(v.trim()));
    }
    out
}

fn unquote(v: &str) -> String {
    let bytes = v.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'\'' && bytes[bytes.len() - 1] == b'\'' {
        return v[1..v.len() - 1].to_string();
    }
    if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
        let mut out = String::new();
        let mut chars = v[1..v.len() - 1].chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    v.to_string()
}

/// `MemTotal:       16318888 kB` → 15936.
fn parse_memtotal_mb(line: &str) -> Option<u64> {
    let rest = line.trim().strip_prefix("MemTotal:")?;
    let mut parts = rest.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    let kb = match parts.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("kb") => n,
        Some("mb") => n * 1024,
        Some("gb") => n * 1024 * 1024,
        Some("b") => n / 1024,
        Some(_) => return None,
    };
    Some(kb / 1024)
}

impl Facts {
    /// The computed attributes of a `host` these facts fill.
    pub fn attributes(&self) -> Vec<(&'static str, Value)> {
        let s = |v: &str| if v.is_empty() { Value::Null } else { Value::String(v.to_string()) };
        let n = |v: Option<u64>| v.map_or(Value::Null, |n| Value::int(n as i64));
        vec![
            ("os", s(&self.os)),
            ("os_version", s(&self.os_version)),
            ("kernel", s(&self.kernel)),
            ("arch", s(&self.arch)),
            ("cpus", n(self.cpus)),
            ("memory_mb", n(self.memory_mb)),
            ("gpus", Value::List(self.gpus.iter().cloned().map(Value::String).collect())),
            ("hostname", s(&self.hostname)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "@@os-release\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n\
        VERSION=\"12 (bookworm)\"\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n@@kernel\n6.1.0-18-amd64\n@@arch\nx86_64\n\
        @@cpus\n8\n@@meminfo\nMemTotal:       16318888 kB\n@@hostname\nedge-a1\n@@gpu\n@@end\n";

    #[test]
    fn parses_a_debian_host() {
        let f = parse(DEBIAN);
        assert_eq!(
            f,
            Facts {
                os: "debian".into(),
                os_version: "12".into(),
                kernel: "6.1.0-18-amd64".into(),
                arch: "x86_64".into(),
                cpus: Some(8),
                memory_mb: Some(15936),
                gpus: vec![],
                hostname: "edge-a1".into(),
            }
        );
    }

    #[test]
    fn gpus_one_per_line_and_crlf() {
        let out = "@@gpu\r\nNVIDIA A100-SXM4-40GB\r\nNVIDIA A100-SXM4-40GB\r\n\r\n@@end\r\n";
        assert_eq!(parse(out).gpus, vec!["NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB"]);
        assert!(parse("@@gpu\nNo devices were found\n@@end\n").gpus.is_empty());
    }

    #[test]
    fn missing_and_junk_sections_leave_facts_empty() {
        let f = parse("motd banner\n@@os-release\n@@cpus\nnot-a-number\n@@meminfo\nMemTotal: lots\n@@hostname\n\n  h  \n@@weird\nx\n");
        assert_eq!(f.os, "");
        assert_eq!(f.cpus, None);
        assert_eq!(f.memory_mb, None);
        assert_eq!(f.hostname, "h");
        assert_eq!(parse(""), Facts::default());
    }

    #[test]
    fn os_release_quoting() {
        let m = parse_os_release("# c\nID='alpine'\nVERSION_ID=\"3.19.1\"\nNAME=\"A \\\"quoted\\\" name\"\nID_LIKE=rhel fedora\nbad line\n=x\n");
        assert_eq!(m["ID"], "alpine");
        assert_eq!(m["VERSION_ID"], "3.19.1");
        assert_eq!(m["NAME"], "A \"quoted\" name");
        assert_eq!(m["ID_LIKE"], "rhel fedora");
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn memtotal_units() {
        assert_eq!(parse_memtotal_mb("MemTotal: 2048 kB"), Some(2));
        assert_eq!(parse_memtotal_mb("MemTotal: 2048"), Some(2));
        assert_eq!(parse_memtotal_mb("MemFree: 2048 kB"), None);
    }

    #[test]
    fn script_is_valid_sh() {
        let out = std::process::Command::new("sh").args(["-n", "-c", SCRIPT]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn script_runs_locally() {
        let out = std::process::Command::new("sh").args(["-c", SCRIPT]).output().unwrap();
        let f = parse(&String::from_utf8_lossy(&out.stdout));
        assert!(!f.kernel.is_empty() && !f.arch.is_empty() && f.cpus.unwrap_or(0) >= 1 && f.memory_mb.unwrap_or(0) > 0, "{f:?}");
    }
}
