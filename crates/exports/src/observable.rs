//! The values an indicator names, normalised once for every format:
//! networks with their host bits cleared, names in lower-case ASCII, URLs
//! parsed, hashes in lower-case hex.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::dns;
use crate::report::Kind;

/// An IPv4 address (`prefix` 32) or network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

/// An IPv6 address (`prefix` 128) or network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Ipv6Net {
    pub addr: Ipv6Addr,
    pub prefix: u8,
}

/// The host of a URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum UrlHost {
    Domain(String),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// A URL with a host, without its fragment (never sent on the wire).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct WebUrl {
    /// The normalised URL (WHATWG), fragment removed.
    pub text: String,
    pub scheme: String,
    pub host: UrlHost,
    /// The port when it is not the scheme's default.
    pub port: Option<u16>,
    /// Path and query, as sent in a request line.
    pub path_query: String,
}

impl WebUrl {
    /// The host as a Host header or a log writes it (IPv6 in brackets).
    pub(crate) fn host_text(&self) -> String {
        match &self.host {
            UrlHost::Domain(d) => d.clone(),
            UrlHost::Ipv4(a) => a.to_string(),
            UrlHost::Ipv6(a) => format!("[{a}]"),
        }
    }
}

/// One value of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Observable {
    Ipv4(Ipv4Net),
    Ipv6(Ipv6Net),
    Domain(String),
    Url(WebUrl),
    Email(String),
    /// Kind is Md5, Sha1 or Sha256; the hex is lower case.
    Hash(Kind, String),
}

impl Observable {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Observable::Ipv4(_) => Kind::Ipv4Addr,
            Observable::Ipv6(_) => Kind::Ipv6Addr,
            Observable::Domain(_) => Kind::DomainName,
            Observable::Url(_) => Kind::Url,
            Observable::Email(_) => Kind::EmailAddr,
            Observable::Hash(k, _) => *k,
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observable::Ipv4(n) if n.prefix == 32 => write!(f, "{}", n.addr),
            Observable::Ipv4(n) => write!(f, "{}/{}", n.addr, n.prefix),
            Observable::Ipv6(n) if n.prefix == 128 => write!(f, "{}", n.addr),
            Observable::Ipv6(n) => write!(f, "{}/{}", n.addr, n.prefix),
            Observable::Domain(d) | Observable::Email(d) | Observable::Hash(_, d) => f.write_str(d),
            Observable::Url(u) => f.write_str(&u.text),
        }
    }
}

fn split_prefix(raw: &str, max: u8) -> Result<(&str, u8), String> {
    match raw.split_once('/') {
        None => Ok((raw, max)),
        Some((addr, len)) => {
            if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("prefix length {len:?} is no number"));
            }
            let n: u8 = len
                .parse()
                .map_err(|_| format!("prefix length {len} is too large"))?;
            if n > max {
                return Err(format!("prefix length {n} is more than {max}"));
            }
            if n == 0 {
                return Err("a /0 network covers every address".into());
            }
            Ok((addr, n))
        }
    }
}

/// `a.b.c.d` or `a.b.c.d/n` (strict dotted quad; host bits are cleared,
/// as a STIX CIDR value means its network).
pub(crate) fn ipv4(raw: &str) -> Result<Observable, String> {
    let (addr, prefix) = split_prefix(raw, 32)?;
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is no dotted-quad IPv4 address"))?;
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    Ok(Observable::Ipv4(Ipv4Net {
        addr: Ipv4Addr::from(u32::from(addr) & mask),
        prefix,
    }))
}

/// An IPv6 address or `addr/n`; host bits are cleared.
pub(crate) fn ipv6(raw: &str) -> Result<Observable, String> {
    let (addr, prefix) = split_prefix(raw, 128)?;
    let addr: Ipv6Addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is no IPv6 address"))?;
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    Ok(Observable::Ipv6(Ipv6Net {
        addr: Ipv6Addr::from(u128::from(addr) & mask),
        prefix,
    }))
}

pub(crate) fn domain(raw: &str) -> Result<Observable, String> {
    dns::normalize_domain(raw).map(Observable::Domain)
}

/// A URL with a host (http, https, ftp, or any scheme with an authority).
pub(crate) fn url(raw: &str) -> Result<Observable, String> {
    let mut parsed = url::Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    parsed.set_fragment(None);
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => {
            // Special schemes give lower-case IDNA hosts; others keep
            // what they were given, which must still be a DNS name.
            UrlHost::Domain(dns::normalize_domain(d).map_err(|e| format!("host: {e}"))?)
        }
        Some(url::Host::Ipv4(a)) => UrlHost::Ipv4(a),
        Some(url::Host::Ipv6(a)) => UrlHost::Ipv6(a),
        None => return Err("the URL has no host".into()),
    };
    let path_query = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    Ok(Observable::Url(WebUrl {
        text: parsed.as_str().to_string(),
        scheme: parsed.scheme().to_string(),
        host,
        port: parsed.port(),
        path_query,
    }))
}

/// `local@domain`: the domain checked as a DNS name, the whole address in
/// lower case (as the matcher compares them).
pub(crate) fn email(raw: &str) -> Result<Observable, String> {
    let (local, host) = raw
        .rsplit_once('@')
        .ok_or_else(|| "an e-mail address has an '@'".to_string())?;
    if local.is_empty() || local.len() > 64 {
        return Err("the local part must be 1 to 64 octets".into());
    }
    if local
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    {
        return Err("the local part has a space, a control character or a second '@'".into());
    }
    let host = dns::normalize_domain(host).map_err(|e| format!("domain: {e}"))?;
    Ok(Observable::Email(format!(
        "{}@{host}",
        local.to_lowercase()
    )))
}

/// A hash of `kind` in hex, of the length the algorithm gives.
pub(crate) fn hash(kind: Kind, raw: &str) -> Result<Observable, String> {
    let want = match kind {
        Kind::Md5 => 32,
        Kind::Sha1 => 40,
        _ => 64,
    };
    if raw.len() != want || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{kind} is {want} hex digits"));
    }
    Ok(Observable::Hash(kind, raw.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_lose_their_host_bits() {
        assert_eq!(ipv4("203.0.113.7").unwrap().to_string(), "203.0.113.7");
        assert_eq!(
            ipv4("198.51.100.9/24").unwrap().to_string(),
            "198.51.100.0/24"
        );
        assert_eq!(ipv4("198.51.100.9/32").unwrap().to_string(), "198.51.100.9");
        assert!(ipv4("10.1").is_err());
        assert!(ipv4("010.0.0.1").is_err());
        assert!(ipv4("1.2.3.4/33").is_err());
        assert!(ipv4("1.2.3.4/0").is_err());
        assert!(ipv4("1.2.3.4/").is_err());
        assert!(ipv4("1.2.3.4/+8").is_err());
        assert_eq!(ipv6("2001:DB8::1").unwrap().to_string(), "2001:db8::1");
        assert_eq!(ipv6("2001:db8::1/64").unwrap().to_string(), "2001:db8::/64");
        assert!(ipv6("1.2.3.4").is_err());
    }

    #[test]
    fn urls_keep_host_port_path_and_query() {
        let Observable::Url(u) = url("HTTP://Evil.Example:8080/a/b?x=1#frag").unwrap() else {
            panic!()
        };
        assert_eq!(u.text, "http://evil.example:8080/a/b?x=1");
        assert_eq!(u.host, UrlHost::Domain("evil.example".into()));
        assert_eq!(u.port, Some(8080));
        assert_eq!(u.path_query, "/a/b?x=1");
        let Observable::Url(u) = url("https://[2001:db8::1]/").unwrap() else {
            panic!()
        };
        assert_eq!(u.host_text(), "[2001:db8::1]");
        assert_eq!(u.port, None);
        assert!(url("mailto:a@b.example").is_err());
        assert!(url("no url").is_err());
        assert!(url("foo://bad host/").is_err());
    }

    #[test]
    fn emails_and_hashes() {
        assert_eq!(
            email("Phish@Evil.Example").unwrap().to_string(),
            "phish@evil.example"
        );
        assert!(email("nobody").is_err());
        assert!(email("a b@evil.example").is_err());
        assert!(email("@evil.example").is_err());
        assert_eq!(
            hash(Kind::Md5, "D41D8CD98F00B204E9800998ECF8427E")
                .unwrap()
                .to_string(),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert!(hash(Kind::Sha1, "d41d8cd98f00b204e9800998ecf8427e").is_err());
        assert!(hash(Kind::Sha256, &"g".repeat(64)).is_err());
    }
}
