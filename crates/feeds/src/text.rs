//! Plain-text IOC lists: one indicator value a line, its type detected
//! (IPv4/IPv6 addresses and CIDR networks, domain names, URLs, e-mail
//! addresses, MD5/SHA-1/SHA-256/SHA-512 hashes), plain or defanged.
//!
//! Skipped: blank lines and comment lines (`#`, `//`, `;`). A comment may
//! also follow the value after whitespace (`203.0.113.7  # C2`, as
//! Spamhaus' lists write `; SBL123`). A hosts-file line (`0.0.0.0 evil.com`,
//! `127.0.0.1 evil.com`) gives its name. Every other line that is not one
//! value is a [`Problem`] with its line number and the reason, never
//! dropped in silence.

use concord_matcher::extract::{Ioc, parse_ioc};

use crate::indicator::{Details, Entry};
use crate::parse::Problem;

/// The entries of a text list, and the lines that are none.
pub(crate) fn entries(body: &[u8]) -> (Vec<Entry>, Vec<Problem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let raw = if i == 0 {
            raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw)
        } else {
            raw
        };
        let Ok(text) = std::str::from_utf8(raw) else {
            problems.push(Problem::line(line, "not UTF-8 text".into()));
            continue;
        };
        let Some(value) = value_of(text) else {
            continue;
        };
        match parse_ioc(value) {
            Ok(ioc) => entries.push(entry(line, ioc, Details::default())),
            Err(e) => problems.push(Problem::line(line, e.to_string())),
        }
    }
    (entries, problems)
}

/// The value of a line: `None` for blank and comment lines.
fn value_of(text: &str) -> Option<&str> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') || t.starts_with("//") || t.starts_with(';') {
        return None;
    }
    // A trailing comment starts after whitespace.
    let mut end = t.len();
    for marker in [" #", "\t#", " //", "\t//", " ;", "\t;"] {
        if let Some(at) = t.find(marker) {
            end = end.min(at);
        }
    }
    let t = t[..end].trim_end();
    let mut words = t.split_whitespace();
    if let (Some(first), Some(second), None) = (words.next(), words.next(), words.next())
        && matches!(first, "0.0.0.0" | "127.0.0.1" | "::" | "::1")
    {
        return Some(second);
    }
    Some(t)
}

/// The entry for a value of a known type.
pub(crate) fn entry(line: u64, ioc: Ioc, details: Details) -> Entry {
    Entry {
        line,
        path: ioc.object_path(),
        subset: matches!(ioc, Ioc::Network(..)),
        value: ioc.value(),
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_values_comments_and_problems() {
        let body = "\u{feff}# Example blocklist\r\n\
                    // exported 2026-12-03\n\
                    ; another comment style\n\
                    \n\
                    203.0.113.7\n\
                    198.51.100.0/24 ; SBL123\n\
                    evil[.]example  # C2\n\
                    hxxps://evil.example/gate.php?id=1\n\
                    admin[at]evil.example\n\
                    d41d8cd98f00b204e9800998ecf8427e\n\
                    2001:db8::/32\n\
                    0.0.0.0 ads.evil.example\n\
                    report.pdf\n\
                    1.2.3.4.5\n\
                    abcdef0123abcdef0123\n\
                    two values here\n\
                    10.0.0.1/8\n";
        let (entries, problems) = super::entries(body.as_bytes());
        let got: Vec<(u64, &str, &str, bool)> = entries
            .iter()
            .map(|e| (e.line, e.path.as_str(), e.value.as_str(), e.subset))
            .collect();
        assert_eq!(
            got,
            vec![
                (5, "ipv4-addr:value", "203.0.113.7", false),
                (6, "ipv4-addr:value", "198.51.100.0/24", true),
                (7, "domain-name:value", "evil.example", false),
                (8, "url:value", "https://evil.example/gate.php?id=1", false),
                (9, "email-addr:value", "admin@evil.example", false),
                (
                    10,
                    "file:hashes.MD5",
                    "d41d8cd98f00b204e9800998ecf8427e",
                    false
                ),
                (11, "ipv6-addr:value", "2001:db8::/32", true),
                (12, "domain-name:value", "ads.evil.example", false),
            ]
        );
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![13, 14, 15, 16, 17]);
        assert!(
            problems[0]
                .reason
                .contains("\"pdf\" is not a top-level domain"),
            "{}",
            problems[0]
        );
        assert!(
            problems[4].reason.contains("bits set past the prefix"),
            "{}",
            problems[4]
        );
        let (_, bad) = super::entries(b"ok.example\n\xff\xfe\n");
        assert_eq!(bad, vec![Problem::line(2, "not UTF-8 text".into())]);
    }
}
