//! Whether a name is a real top-level domain: the test that keeps file
//! names (`report.pdf`, `setup.exe`) from being read as domain names.
//!
//! The list is IANA's root zone (see the header of `tlds.txt` for its exact
//! source and how to refresh it), plus the special-use names that do not
//! sit in the root but that threat intelligence and tests write every day:
//! `onion` (RFC 7686), `test`, `example`, `invalid`, `localhost` (RFC 2606,
//! RFC 6761), `local` (RFC 6762), `alt` (RFC 9476) and `internal` (ICANN's
//! private-use name, 2024).

use std::sync::OnceLock;

const ROOT_ZONE: &str = include_str!("tlds.txt");

const SPECIAL_USE: &[&str] = &[
    "alt",
    "example",
    "internal",
    "invalid",
    "local",
    "localhost",
    "onion",
    "test",
];

/// The longest name in the list is 24 characters; anything longer is no TLD.
const LONGEST: usize = 32;

fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<&'static str> = ROOT_ZONE
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .chain(SPECIAL_USE.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    })
}

/// Whether `label` (any case) is a top-level domain of the root zone or a
/// special-use name.
pub fn is_tld(label: &str) -> bool {
    let b = label.as_bytes();
    if b.is_empty() || b.len() > LONGEST {
        return false;
    }
    let mut buf = [0u8; LONGEST];
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    let lower = &buf[..b.len()];
    names()
        .binary_search_by(|n| n.as_bytes().cmp(lower))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_zone_and_special_use() {
        for t in [
            "com", "ORG", "uk", "zip", "xn--p1ai", "onion", "example", "museum",
        ] {
            assert!(is_tld(t), "{t}");
        }
        for t in ["pdf", "exe", "txt", "", "c0m", "1", "dll", "log", "php"] {
            assert!(!is_tld(t), "{t}");
        }
        assert!(names().len() > 1400);
    }
}
