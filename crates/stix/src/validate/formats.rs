//! Lexical formats of property values: hex, base64 binary, URIs, host
//! names, IP and MAC addresses, CVE ids. Hand-written scanners rather than
//! regexes: they run once per property on the import hot path and allocate
//! nothing.

/// `hex` (STIX 2.1 §2.6): an even, non-zero number of hex digits.
pub(crate) fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `binary` (§2.2): RFC 4648 base64 with padding, non-empty.
pub(crate) fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return false;
    }
    b[..b.len() - pad]
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// An absolute URI per RFC 3986 (`scheme ":" hier-part [ "?" query ] [ "#"
/// fragment ]`): a scheme, then only characters that a URI may contain,
/// with every `%` followed by two hex digits. What stix2-validator checks
/// with `format: uri`.
pub(crate) fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sb = scheme.bytes();
    if !sb.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    if !sb.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')) {
        return false;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    let mut fragment = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'%' => {
                if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
                {
                    return false;
                }
                i += 3;
                continue;
            }
            b'#' => {
                if fragment {
                    return false;
                }
                fragment = true;
            }
            _ if c.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+'
            | b',' | b';' | b'=' | b':' | b'@' | b'/' | b'?' | b'[' | b']' => {}
            _ => return false,
        }
        i += 1;
    }
    // An authority must hold a host or be empty only for schemes like file:///.
    true
}

/// A DNS host name (`format: idn-hostname` in the schema): labels of 1 to 63
/// letters, digits and hyphens, not starting or ending with a hyphen, at
/// most 253 characters, an optional final dot. Non-ASCII labels (IDNs) are
/// accepted when they hold no ASCII punctuation other than '-'.
pub(crate) fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    s.split('.').all(|label| {
        let lb = label.as_bytes();
        !lb.is_empty()
            && label.chars().count() <= 63
            && lb[0] != b'-'
            && lb[lb.len() - 1] != b'-'
            && label.chars().all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || c == '-'
                    || (!c.is_ascii() && c.is_alphanumeric())
            })
    })
}

/// An IPv4 address in dotted decimal, optionally with a `/0`..`/32` prefix
/// (STIX 2.1 §6.8 allows CIDR blocks). No leading zeros, as in the schema.
pub(crate) fn is_ipv4_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    if let Some(p) = prefix
        && !is_decimal_at_most(p, 32)
    {
        return false;
    }
    let mut n = 0;
    for part in addr.split('.') {
        n += 1;
        if !is_decimal_at_most(part, 255) {
            return false;
        }
    }
    n == 4
}

/// An IPv6 address, optionally with a `/0`..`/128` prefix (§6.9).
pub(crate) fn is_ipv6_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    if let Some(p) = prefix
        && !is_decimal_at_most(p, 128)
    {
        return false;
    }
    addr.parse::<std::net::Ipv6Addr>().is_ok()
}

/// Decimal without leading zeros (except "0") and at most `max`.
fn is_decimal_at_most(s: &str, max: u32) -> bool {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if s.len() > 1 && s.starts_with('0') {
        return false;
    }
    s.parse::<u32>().is_ok_and(|v| v <= max)
}

/// A MAC address: six pairs of lowercase hex digits joined by ':' (§6.10
/// requires the lowercase, colon-delimited form).
pub(crate) fn is_mac(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, &c)| {
            if i % 3 == 2 {
                c == b':'
            } else {
                c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
            }
        })
}

/// `CVE-YYYY-NNNN` with four or more digits and no leading zero beyond four.
pub(crate) fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
        && !(num.len() > 4 && num.starts_with('0'))
}

/// `CAPEC-N`.
pub(crate) fn is_capec_id(s: &str) -> bool {
    s.strip_prefix("CAPEC-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A MIME type `type/subtype` whose top-level type is one of the IANA
/// registry's (§6.1 artifact `mime_type`).
pub(crate) fn is_mime_type(s: &str) -> bool {
    let Some((top, sub)) = s.split_once('/') else {
        return false;
    };
    matches!(
        top,
        "application"
            | "audio"
            | "font"
            | "image"
            | "message"
            | "model"
            | "multipart"
            | "text"
            | "video"
    ) && !sub.is_empty()
        && sub
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'_' | b'-'))
}

/// An IANA character set name (`path_enc`, `name_enc`): 2 to 250 of the
/// characters the registry uses.
pub(crate) fn is_charset(s: &str) -> bool {
    (2..=250).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'+' | b'_' | b':' | b'-')
        })
}

/// A CPE 2.3 formatted string (§6.14 `cpe`): `cpe:2.3:` then a part
/// (a, h, o, * or -) and ten more colon-separated components.
pub(crate) fn is_cpe23(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("cpe:2.3:") else {
        return false;
    };
    let mut parts = 0;
    let mut escaped = false;
    let mut start = true;
    for c in rest.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ':' => {
                if start {
                    return false;
                }
                parts += 1;
                start = true;
                continue;
            }
            _ if c.is_ascii_graphic() => {}
            _ => return false,
        }
        start = false;
    }
    if start || parts != 10 {
        return false;
    }
    matches!(
        rest.as_bytes().first(),
        Some(b'a' | b'h' | b'o' | b'*' | b'-')
    ) && rest.as_bytes().get(1) == Some(&b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64() {
        assert!(is_hex("00ff"));
        assert!(!is_hex("0ff"));
        assert!(!is_hex(""));
        assert!(is_base64("UEsDBA=="));
        assert!(!is_base64("abc"));
        assert!(!is_base64("ab=c"));
    }

    #[test]
    fn uris() {
        assert!(is_uri("http://example.com/a?b=c#d"));
        assert!(is_uri("https://[2001:db8::1]:8080/x%20y"));
        assert!(!is_uri("not a url"));
        assert!(!is_uri("http://ex ample.com"));
        assert!(!is_uri("//example.com"));
        assert!(!is_uri("http://example.com/%zz"));
    }

    #[test]
    fn hosts_and_addresses() {
        assert!(is_hostname("example.com"));
        assert!(is_hostname("xn--bcher-kva.example"));
        assert!(!is_hostname("not a domain!"));
        assert!(!is_hostname("-a.com"));
        assert!(is_ipv4_cidr("198.51.100.0/24"));
        assert!(!is_ipv4_cidr("198.51.100.256"));
        assert!(!is_ipv4_cidr("198.51.100.1/33"));
        assert!(!is_ipv4_cidr("01.1.1.1"));
        assert!(is_ipv6_cidr("2001:db8::/32"));
        assert!(!is_ipv6_cidr("2001:db8::g"));
        assert!(is_mac("d2:fb:49:24:37:18"));
        assert!(!is_mac("D2:FB:49:24:37:18"));
    }

    #[test]
    fn ids_and_names() {
        assert!(is_cve_id("CVE-2016-1234"));
        assert!(is_cve_id("CVE-2016-12345"));
        assert!(!is_cve_id("CVE-1"));
        assert!(is_capec_id("CAPEC-163"));
        assert!(is_mime_type("application/zip"));
        assert!(!is_mime_type("zip"));
        assert!(is_cpe23("cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*"));
        assert!(!is_cpe23("cpe:/a:microsoft:word:2000"));
        assert!(is_charset("UTF-8"));
        assert!(!is_charset("U"));
    }
}
