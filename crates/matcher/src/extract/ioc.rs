//! One indicator value on its own (a line of a blocklist, a cell of a CSV
//! feed): its type detected, defanged forms understood, and a reason when it
//! is none of the types.

use std::net::IpAddr;

use super::{domain_problem, hash, ipv4, is_local_part, refang, url_host};
use crate::error::MatcherError;
use crate::observable::{HashAlgorithm, normal_domain, normal_url};

/// An indicator value, normalised (lower-case domains, e-mail addresses and
/// hashes; URLs as [`normal_url`] writes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ioc {
    /// One IPv4 or IPv6 address.
    Address(IpAddr),
    /// A CIDR network: its first address and its prefix length.
    Network(IpAddr, u8),
    /// A domain name, without a trailing dot.
    Domain(String),
    /// A URL with a scheme and a host.
    Url(String),
    /// An e-mail address.
    Email(String),
    /// A file hash, in lower-case hex.
    Hash(HashAlgorithm, String),
}

impl Ioc {
    /// The STIX object path this value is compared on
    /// (`ipv4-addr:value`, `file:hashes.'SHA-256'`, ...), written as the
    /// pattern crate prints paths.
    pub fn object_path(&self) -> String {
        match self {
            Ioc::Address(IpAddr::V4(_)) | Ioc::Network(IpAddr::V4(_), _) => {
                "ipv4-addr:value".into()
            }
            Ioc::Address(IpAddr::V6(_)) | Ioc::Network(IpAddr::V6(_), _) => {
                "ipv6-addr:value".into()
            }
            Ioc::Domain(_) => "domain-name:value".into(),
            Ioc::Url(_) => "url:value".into(),
            Ioc::Email(_) => "email-addr:value".into(),
            // As the pattern printer writes paths: keys that are no plain
            // identifier in quotes.
            Ioc::Hash(HashAlgorithm::Md5, _) => "file:hashes.MD5".into(),
            Ioc::Hash(a, _) => format!("file:hashes.'{}'", a.stix_key()),
        }
    }

    /// The value as text (a network as `address/prefix`).
    pub fn value(&self) -> String {
        match self {
            Ioc::Address(a) => a.to_string(),
            Ioc::Network(a, p) => format!("{a}/{p}"),
            Ioc::Domain(s) | Ioc::Url(s) | Ioc::Email(s) | Ioc::Hash(_, s) => s.clone(),
        }
    }

    /// The STIX object type (`ipv4-addr`, `domain-name`, `file`...).
    pub fn object_type(&self) -> &'static str {
        match self {
            Ioc::Address(IpAddr::V4(_)) | Ioc::Network(IpAddr::V4(_), _) => "ipv4-addr",
            Ioc::Address(IpAddr::V6(_)) | Ioc::Network(IpAddr::V6(_), _) => "ipv6-addr",
            Ioc::Domain(_) => "domain-name",
            Ioc::Url(_) => "url",
            Ioc::Email(_) => "email-addr",
            Ioc::Hash(..) => "file",
        }
    }
}

/// Reads one value, whole: an IPv4/IPv6 address or CIDR network, a URL, an
/// e-mail address, an MD5/SHA-1/SHA-256/SHA-512 hash or a domain name, plain
/// or defanged. Surrounding whitespace is ignored; anything else that is
/// not part of the value is an error that says what the value is not.
pub fn parse_ioc(text: &str) -> Result<Ioc, MatcherError> {
    let fail = |reason: String| MatcherError::Value {
        value: text.to_string(),
        reason,
    };
    let plain = refang(text.trim());
    let t = plain.as_ref();
    if t.is_empty() {
        return Err(fail("empty".into()));
    }
    if let Some(c) = t.chars().find(|c| c.is_whitespace()) {
        return Err(fail(format!("{c:?} inside the value: one value a line")));
    }
    if t.contains("://") {
        return match url_host(t) {
            Some(_) => Ok(Ioc::Url(normal_url(t))),
            None => Err(fail(
                "a URL needs a scheme and a host that is an address or a domain name with a real top-level domain".into(),
            )),
        };
    }
    if let Some((addr, prefix)) = t.split_once('/') {
        return network(addr, prefix).map_err(fail);
    }
    if let Some(a) = ipv4(t) {
        return Ok(Ioc::Address(IpAddr::V4(a)));
    }
    if t.contains(':') {
        return match t.parse::<std::net::Ipv6Addr>() {
            Ok(a) => Ok(Ioc::Address(IpAddr::V6(a))),
            Err(_) => Err(fail(
                "not an IPv6 address (and ':' belongs in no other type)".into(),
            )),
        };
    }
    if let Some((local, domain)) = t.rsplit_once('@') {
        if !is_local_part(local) {
            return Err(fail(format!(
                "{local:?} is not the local part of an e-mail address"
            )));
        }
        return match domain_problem(domain) {
            None => Ok(Ioc::Email(t.to_ascii_lowercase())),
            Some(p) => Err(fail(format!("e-mail domain: {p}"))),
        };
    }
    let hex = t.bytes().all(|c| c.is_ascii_hexdigit());
    if let (true, Some(crate::Observable::Hash(a, h))) = (hex, hash(t)) {
        return Ok(Ioc::Hash(a, h));
    }
    if hex && t.len() >= 16 {
        return Err(fail(format!(
            "hex string of {} characters: a hash has 32 (MD5), 40 (SHA-1), 64 (SHA-256) or 128 (SHA-512)",
            t.len()
        )));
    }
    if t.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return Err(fail(
            "not an IPv4 address: four numbers of 0 to 255 separated by dots".into(),
        ));
    }
    match domain_problem(t) {
        None => Ok(Ioc::Domain(normal_domain(t))),
        Some(p) => Err(fail(format!(
            "not an address, network, URL, e-mail address, hash or domain name ({p})"
        ))),
    }
}

/// `address/prefix`, with no bits set past the prefix.
fn network(addr: &str, prefix: &str) -> Result<Ioc, String> {
    let a: IpAddr = match ipv4(addr) {
        Some(a) => IpAddr::V4(a),
        None => addr
            .parse()
            .map_err(|_| format!("{addr:?} before '/' is no IPv4 or IPv6 address"))?,
    };
    let max = if a.is_ipv4() { 32 } else { 128 };
    let p: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= max)
        .ok_or_else(|| format!("prefix {prefix:?} must be a number from 0 to {max}"))?;
    let host_bits = match a {
        IpAddr::V4(v) => u128::from(u32::from(v) & u32::MAX.checked_shr(u32::from(p)).unwrap_or(0)),
        IpAddr::V6(v) => u128::from(v) & u128::MAX.checked_shr(u32::from(p)).unwrap_or(0),
    };
    if host_bits != 0 {
        return Err(format!(
            "{addr}/{p} has bits set past the prefix: write the network's first address"
        ));
    }
    Ok(Ioc::Network(a, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(t: &str) -> Ioc {
        parse_ioc(t).unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    #[test]
    fn every_type() {
        assert_eq!(
            ok(" 203.0.113.7 "),
            Ioc::Address("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            ok("203.0.113[.]7"),
            Ioc::Address("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            ok("2001:DB8::1"),
            Ioc::Address("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            ok("10.0.0.0/8"),
            Ioc::Network("10.0.0.0".parse().unwrap(), 8)
        );
        assert_eq!(
            ok("10.1.2.3/32"),
            Ioc::Network("10.1.2.3".parse().unwrap(), 32)
        );
        assert_eq!(ok("0.0.0.0/0"), Ioc::Network("0.0.0.0".parse().unwrap(), 0));
        assert_eq!(
            ok("2001:db8::/32"),
            Ioc::Network("2001:db8::".parse().unwrap(), 32)
        );
        assert_eq!(ok("Evil[.]Example."), Ioc::Domain("evil.example".into()));
        assert_eq!(
            ok("hxxps://Evil[.]example/a?b=C"),
            Ioc::Url("https://evil.example/a?b=C".into())
        );
        assert_eq!(
            ok("Alice[at]evil(dot)example"),
            Ioc::Email("alice@evil.example".into())
        );
        assert_eq!(
            ok(&"A".repeat(32)),
            Ioc::Hash(HashAlgorithm::Md5, "a".repeat(32))
        );
        assert_eq!(
            ok(&"b".repeat(40)),
            Ioc::Hash(HashAlgorithm::Sha1, "b".repeat(40))
        );
        assert_eq!(
            ok(&"0".repeat(64)),
            Ioc::Hash(HashAlgorithm::Sha256, "0".repeat(64))
        );
        assert_eq!(ok("evil.example").object_path(), "domain-name:value");
        assert_eq!(ok(&"c".repeat(64)).object_path(), "file:hashes.'SHA-256'");
        assert_eq!(ok("10.0.0.0/8").value(), "10.0.0.0/8");
    }

    #[test]
    fn reasons() {
        for (bad, why) in [
            ("report.pdf", "not a top-level domain"),
            ("1.2.3.4.5", "four numbers"),
            ("256.1.1.1", "four numbers"),
            ("abcdef0123abcdef0123", "hex string of 20"),
            (&"a".repeat(33), "hex string of 33"),
            ("10.0.0.1/8", "bits set past the prefix"),
            ("10.0.0.0/33", "0 to 32"),
            ("two words", "one value a line"),
            ("http://report.pdf/x", "a URL needs"),
            ("a..b@evil.example", "local part"),
            ("alice@localhost", "e-mail domain"),
            ("", "empty"),
            ("12:34", "IPv6"),
        ] {
            let e = parse_ioc(bad).expect_err(bad).to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
