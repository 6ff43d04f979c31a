//! OpenSSH `known_hosts` lookup: plain and hashed (`|1|salt|hmac`) host
//! patterns, `[host]:port` for non-22 ports, wildcards (`*`, `?`), negation
//! (`!pattern`), `@revoked` lines. `@cert-authority` lines are ignored (host
//! certificates are verified by their key only). Lines that do not parse are
//! skipped, as OpenSSH does.

use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::PublicKey;
use sha1::Sha1;
use std::path::Path;

/// Result of looking a host's key up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A line for this host records exactly this key.
    Match { line: usize },
    /// Lines for this host record other key(s) of the same algorithm: the key changed.
    Mismatch { line: usize, recorded: Box<PublicKey> },
    /// The key is listed as `@revoked`.
    Revoked { line: usize },
    /// No line records a key of this algorithm for the host.
    NotFound,
}

/// The name OpenSSH looks up: `host` for port 22, else `[host]:port`.
pub fn host_port(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Looks `key` up for `host`:`port` in the file at `path`. A missing file is `NotFound`.
pub fn check_file(path: &Path, host: &str, port: u16, key: &PublicKey) -> Result<Lookup, std::io::Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(check(&text, host, port, key)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lookup::NotFound),
        Err(e) => Err(e),
    }
}

/// Looks `key` up for `host`:`port` in known_hosts `text`.
pub fn check(text: &str, host: &str, port: u16, key: &PublicKey) -> Lookup {
    let name = host_port(host, port);
    let mut matched = None;
    let mut mismatch = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let mut first = fields.next().unwrap_or_default();
        let marker = if first.starts_with('@') {
            let m = first;
            first = fields.next().unwrap_or_default();
            Some(m)
        } else {
            None
        };
        let (Some(_algo), Some(b64)) = (fields.next(), fields.next()) else { continue };
        let Ok(recorded) = russh::keys::parse_public_key_base64(b64) else { continue };
        if !hosts_match(first, &name) {
            continue;
        }
        match marker {
            Some("@revoked") => {
                if recorded.key_data() == key.key_data() {
                    return Lookup::Revoked { line: line_no };
                }
            }
            Some(_) => {}
            None => {
                if recorded.key_data() == key.key_data() {
                    matched.get_or_insert(line_no);
                } else if recorded.algorithm() == key.algorithm() && mismatch.is_none() {
                    mismatch = Some((line_no, recorded));
                }
            }
        }
    }
    match (matched, mismatch) {
        (Some(line), _) => Lookup::Match { line },
        (None, Some((line, recorded))) => Lookup::Mismatch { line, recorded: Box::new(recorded) },
        (None, None) => Lookup::NotFound,
    }
}

/// A comma-separated pattern list matches when some positive pattern
/// matches and no negated one does.
fn hosts_match(patterns: &str, name: &str) -> bool {
    let mut any = false;
    for p in patterns.split(',') {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg.as_bytes(), name.as_bytes()) {
                return false;
            }
        } else if p.starts_with("|1|") {
            any |= hashed_match(p, name);
        } else {
            any |= glob(p.as_bytes(), name.as_bytes());
        }
    }
    any
}

fn hashed_match(entry: &str, name: &str) -> bool {
    let mut parts = entry.split('|').skip(2);
    let (Some(salt), Some(hash)) = (parts.next(), parts.next()) else { return false };
    let (Ok(salt), Ok(hash)) = (BASE64.decode(salt.as_bytes()), BASE64.decode(hash.as_bytes())) else { return false };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&salt) else { return false };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// `*` any run, `?` one character; host names compare case-insensitively.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILn7V+/OckgVFcwV7v9KOJ4egvtPplYnxIfPFzrEVKvo";
    const K2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO5T4ISNEPdEvOtTGIkplEOQOivOVzA7aR8R4Ydlaixj";

    fn key(line: &str) -> PublicKey {
        PublicKey::from_openssh(line).unwrap()
    }

    #[test]
    fn plain_and_port_entries() {
        let k = key(K1);
        assert_eq!(check(&format!("10.0.0.1 {K1}\n"), "10.0.0.1", 22, &k), Lookup::Match { line: 1 });
        assert_eq!(check(&format!("10.0.0.1 {K1}\n"), "10.0.0.1", 2222, &k), Lookup::NotFound);
        assert_eq!(check(&format!("# c\n\n[10.0.0.1]:2222 {K1}\n"), "10.0.0.1", 2222, &k), Lookup::Match { line: 3 });
        assert_eq!(check(&format!("other,10.0.0.1 {K1} comment\n"), "10.0.0.1", 22, &k), Lookup::Match { line: 1 });
    }

    #[test]
    fn changed_key_is_a_mismatch_naming_the_line() {
        let text = format!("garbage line\n10.0.0.1 {K2}\n");
        match check(&text, "10.0.0.1", 22, &key(K1)) {
            Lookup::Mismatch { line, recorded } => {
                assert_eq!(line, 2);
                assert_eq!(*recorded, key(K2));
            }
            other => panic!("{other:?}"),
        }
        // A second line with the right key wins.
        assert_eq!(check(&format!("{text}10.0.0.1 {K1}\n"), "10.0.0.1", 22, &key(K1)), Lookup::Match { line: 3 });
    }

    #[test]
    fn wildcards_negation_and_revocation() {
        let k = key(K1);
        assert_eq!(check(&format!("10.0.0.* {K1}\n"), "10.0.0.9", 22, &k), Lookup::Match { line: 1 });
        assert_eq!(check(&format!("10.0.0.*,!10.0.0.9 {K1}\n"), "10.0.0.9", 22, &k), Lookup::NotFound);
        assert_eq!(check(&format!("EDGE-?.example {K1}\n"), "edge-1.example", 22, &k), Lookup::Match { line: 1 });
        assert_eq!(check(&format!("@revoked * {K1}\n10.0.0.1 {K1}\n"), "10.0.0.1", 22, &k), Lookup::Revoked { line: 1 });
        assert_eq!(check(&format!("@cert-authority * {K1}\n"), "10.0.0.1", 22, &k), Lookup::NotFound);
    }

    #[test]
    fn hashed_entries() {
        // ssh-keygen -H style entry for "10.213.0.2" (salt and HMAC-SHA1 computed here).
        let salt = b"0123456789abcdefghij";
        let mut mac = Hmac::<Sha1>::new_from_slice(salt).unwrap();
        mac.update(b"10.213.0.2");
        let hash = mac.finalize().into_bytes();
        let entry = format!("|1|{}|{}", BASE64.encode(salt), BASE64.encode(&hash));
        let text = format!("{entry} {K1}\n");
        assert_eq!(check(&text, "10.213.0.2", 22, &key(K1)), Lookup::Match { line: 1 });
        assert_eq!(check(&text, "10.213.0.3", 22, &key(K1)), Lookup::NotFound);
        assert!(matches!(check(&text, "10.213.0.2", 22, &key(K2)), Lookup::Mismatch { line: 1, .. }));
    }

    #[test]
    fn entries_hashed_by_ssh_keygen() {
        let dir = tempfile::tempdir().unwrap();
        let kh = dir.path().join("known_hosts");
        std::fs::write(&kh, format!("10.213.0.2 {K1}\n[10.213.0.6]:2222 {K2}\n")).unwrap();
        let out = std::process::Command::new("ssh-keygen").arg("-H").arg("-f").arg(&kh).output().expect("ssh-keygen");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&kh).unwrap();
        assert!(text.starts_with("|1|") && !text.contains("10.213"), "{text}");
        assert_eq!(check_file(&kh, "10.213.0.2", 22, &key(K1)).unwrap(), Lookup::Match { line: 1 });
        assert_eq!(check_file(&kh, "10.213.0.6", 2222, &key(K2)).unwrap(), Lookup::Match { line: 2 });
        assert_eq!(check_file(&kh, "10.213.0.6", 22, &key(K2)).unwrap(), Lookup::NotFound);
    }

    #[test]
    fn missing_file_is_not_found() {
        assert_eq!(check_file(Path::new("/nonexistent/known_hosts"), "h", 22, &key(K1)).unwrap(), Lookup::NotFound);
    }
}
