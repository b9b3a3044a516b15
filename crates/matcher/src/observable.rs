//! Observables: the atomic values an event carries and an indicator names,
//! in a normal form so that the same value always gives the same index key.
//!
//! Normal forms: IPv4/IPv6 as numbers; domain names and e-mail addresses in
//! lower case without a trailing dot; URLs with lower-case scheme and host
//! and without the default port; hashes as bytes (so hex case does not
//! matter).

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value, json};

/// File hash algorithms the index knows (STIX 2.1 hash-algorithm-ov).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `MD5`.
    Md5,
    /// `SHA-1`.
    Sha1,
    /// `SHA-256`.
    Sha256,
    /// `SHA-512`.
    Sha512,
}

impl HashAlgorithm {
    /// The STIX key (`MD5`, `SHA-1`, ...); also accepts the 2.0 spellings.
    pub fn from_stix(key: &str) -> Option<HashAlgorithm> {
        match key {
            "MD5" | "md5" => Some(HashAlgorithm::Md5),
            "SHA-1" | "SHA1" | "sha1" | "sha-1" => Some(HashAlgorithm::Sha1),
            "SHA-256" | "SHA256" | "sha256" | "sha-256" => Some(HashAlgorithm::Sha256),
            "SHA-512" | "SHA512" | "sha512" | "sha-512" => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// The STIX 2.1 key of the algorithm in a `hashes` dictionary.
    pub fn stix_key(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha512 => "SHA-512",
        }
    }

    fn tag(self) -> u8 {
        match self {
            HashAlgorithm::Md5 => b'5',
            HashAlgorithm::Sha1 => b'1',
            HashAlgorithm::Sha256 => b'2',
            HashAlgorithm::Sha512 => b'9',
        }
    }
}

/// One atomic value of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observable {
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// A domain name, in lower case without a trailing dot ([`normal_domain`]).
    Domain(String),
    /// A URL, normalised by [`normal_url`].
    Url(String),
    /// A file hash: the algorithm and the hex digest (as read: lookups
    /// ignore its case).
    Hash(HashAlgorithm, String),
    /// An e-mail address, in lower case.
    Email(String),
    /// Any other value at an object path, for the pattern evaluator:
    /// object type, property path (keys), value.
    Other {
        /// The SCO type (such as `process`).
        object_type: String,
        /// The keys from the object to the value (such as `["name"]`).
        path: Vec<String>,
        /// The value as the event carries it.
        value: Value,
    },
}

impl Observable {
    /// The value as text, for hit records.
    pub fn text(&self) -> String {
        match self {
            Observable::Ipv4(a) => a.to_string(),
            Observable::Ipv6(a) => a.to_string(),
            Observable::Domain(s)
            | Observable::Url(s)
            | Observable::Email(s)
            | Observable::Hash(_, s) => s.clone(),
            Observable::Other { value, .. } => match value {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            },
        }
    }

    /// The observable for a value at a STIX object path, normalised; the
    /// paths the index knows become typed observables.
    pub fn at_path(object_type: &str, path: &[String], value: &str) -> Option<Observable> {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        Some(match (object_type, p.as_slice()) {
            ("ipv4-addr", ["value"]) => Observable::Ipv4(value.trim().parse().ok()?),
            ("ipv6-addr", ["value"]) => Observable::Ipv6(value.trim().parse().ok()?),
            ("domain-name", ["value"]) => Observable::Domain(normal_domain(value)),
            ("url", ["value"]) => Observable::Url(normal_url(value)),
            ("email-addr", ["value"]) => Observable::Email(value.trim().to_ascii_lowercase()),
            ("file", ["hashes", algo]) if HashAlgorithm::from_stix(algo).is_some() => {
                Observable::Hash(
                    HashAlgorithm::from_stix(algo)?,
                    value.trim().to_ascii_lowercase(),
                )
            }
            _ => Observable::Other {
                object_type: object_type.to_string(),
                path: path.to_vec(),
                value: Value::String(value.to_string()),
            },
        })
    }

    /// Guesses the type of one line of a plain-text list.
    pub fn detect(text: &str) -> Option<Observable> {
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') {
            return None;
        }
        if let Ok(a) = t.parse::<Ipv4Addr>() {
            return Some(Observable::Ipv4(a));
        }
        if let Ok(a) = t.parse::<Ipv6Addr>() {
            return Some(Observable::Ipv6(a));
        }
        if t.contains("://") {
            return Some(Observable::Url(normal_url(t)));
        }
        if t.bytes().all(|b| b.is_ascii_hexdigit()) {
            let algo = match t.len() {
                32 => HashAlgorithm::Md5,
                40 => HashAlgorithm::Sha1,
                64 => HashAlgorithm::Sha256,
                128 => HashAlgorithm::Sha512,
                _ => return None,
            };
            return Some(Observable::Hash(algo, t.to_ascii_lowercase()));
        }
        if t.contains('@') && !t.contains(' ') {
            return Some(Observable::Email(t.to_ascii_lowercase()));
        }
        if t.contains('.') && !t.contains(' ') && !t.contains('/') {
            return Some(Observable::Domain(normal_domain(t)));
        }
        None
    }

    /// Appends this observable's index key: a kind byte, then the value.
    pub(crate) fn key(&self, out: &mut Vec<u8>) -> bool {
        out.clear();
        match self {
            Observable::Ipv4(a) => {
                out.push(b'4');
                out.extend_from_slice(&a.octets());
            }
            Observable::Ipv6(a) => {
                out.push(b'6');
                out.extend_from_slice(&a.octets());
            }
            Observable::Domain(s) => {
                out.push(b'd');
                out.extend_from_slice(s.as_bytes());
            }
            Observable::Url(s) => {
                out.push(b'u');
                out.extend_from_slice(s.as_bytes());
            }
            Observable::Email(s) => {
                out.push(b'e');
                out.extend_from_slice(s.as_bytes());
            }
            Observable::Hash(algo, hex) => hash_key(*algo, hex, out),
            Observable::Other { .. } => return false,
        }
        true
    }

    /// The STIX object this observable is a property of, for evaluation.
    pub(crate) fn to_sco(&self, id: &str) -> Value {
        let (ty, props) = match self {
            Observable::Ipv4(a) => ("ipv4-addr", json!({"value": a.to_string()})),
            Observable::Ipv6(a) => ("ipv6-addr", json!({"value": a.to_string()})),
            Observable::Domain(s) => ("domain-name", json!({"value": s})),
            Observable::Url(s) => ("url", json!({"value": s})),
            Observable::Email(s) => ("email-addr", json!({"value": s})),
            Observable::Hash(algo, s) => ("file", json!({"hashes": {algo.stix_key(): s}})),
            Observable::Other {
                object_type,
                path,
                value,
            } => {
                let mut v = value.clone();
                for k in path.iter().rev() {
                    let mut m = Map::new();
                    m.insert(k.clone(), v);
                    v = Value::Object(m);
                }
                (object_type.as_str(), v)
            }
        };
        let mut obj = match props {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        obj.insert("type".into(), Value::String(ty.to_string()));
        obj.insert("id".into(), Value::String(id.to_string()));
        Value::Object(obj)
    }
}

pub(crate) fn hash_key(algo: HashAlgorithm, hex: &str, out: &mut Vec<u8>) {
    out.clear();
    out.push(algo.tag());
    let b = hex.as_bytes();
    if b.len().is_multiple_of(2) && b.iter().all(u8::is_ascii_hexdigit) {
        for pair in b.chunks(2) {
            let d = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(d(pair[0]) << 4 | d(pair[1]));
        }
    } else {
        // Not hex: keep the text, under a different tag so it never equals
        // a decoded hash.
        out[0] = algo.tag() + 32;
        out.extend_from_slice(hex.to_ascii_lowercase().as_bytes());
    }
}

/// Lower case, no trailing dot.
pub fn normal_domain(s: &str) -> String {
    let t = s.trim().trim_end_matches('.');
    t.to_ascii_lowercase()
}

/// Scheme and host in lower case, default port dropped; path, query and
/// fragment unchanged.
pub fn normal_url(s: &str) -> String {
    let t = s.trim();
    let Some((scheme, rest)) = t.split_once("://") else {
        return t.to_string();
    };
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let mut host = hostport.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        "ftp" => Some(":21"),
        _ => None,
    };
    if let Some(p) = default_port
        && host.ends_with(p)
    {
        host.truncate(host.len() - p.len());
    }
    let host = host.trim_end_matches('.');
    let mut out = String::with_capacity(t.len());
    out.push_str(&scheme);
    out.push_str("://");
    if let Some(u) = userinfo {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(host);
    out.push_str(if tail.is_empty() { "/" } else { tail });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_forms() {
        assert_eq!(normal_url("HTTP://Example.COM:80"), "http://example.com/");
        assert_eq!(normal_url("https://a.b:443/X?y=Z"), "https://a.b/X?y=Z");
        assert_eq!(normal_url("https://a.b:8443/"), "https://a.b:8443/");
        assert_eq!(normal_domain("WWW.Example.org."), "www.example.org");
        let mut a = Vec::new();
        let mut b = Vec::new();
        hash_key(
            HashAlgorithm::Md5,
            "ABCDEF0123456789abcdef0123456789",
            &mut a,
        );
        hash_key(
            HashAlgorithm::Md5,
            "abcdef0123456789ABCDEF0123456789",
            &mut b,
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 17);
    }

    #[test]
    fn detection() {
        assert_eq!(
            Observable::detect("10.0.0.1"),
            Some(Observable::Ipv4([10, 0, 0, 1].into()))
        );
        assert!(matches!(
            Observable::detect("::1"),
            Some(Observable::Ipv6(_))
        ));
        assert!(matches!(
            Observable::detect("http://x.y/z"),
            Some(Observable::Url(_))
        ));
        assert!(matches!(
            Observable::detect(&"a".repeat(64)),
            Some(Observable::Hash(HashAlgorithm::Sha256, _))
        ));
        assert!(matches!(
            Observable::detect("a@b.c"),
            Some(Observable::Email(_))
        ));
        assert!(
            matches!(Observable::detect("Example.COM"), Some(Observable::Domain(d)) if d == "example.com")
        );
        assert_eq!(Observable::detect("# comment"), None);
        assert_eq!(Observable::detect("just words"), None);
    }
}
