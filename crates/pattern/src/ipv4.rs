//! Addresses and subnets for ISSUBSET and ISSUPERSET.
//!
//! IPv4 text is read as the reference matcher reads it, through C's
//! `inet_aton` (so `10.1` and `0x0a.0.0.1` are addresses, and anything after
//! a space is ignored). IPv6, which the reference cannot read at all, is
//! read with the standard parser.

use std::net::Ipv6Addr;

/// An address or subnet: the network bits and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// An IPv4 network.
    V4 {
        /// The address, as a big-endian number.
        addr: u32,
        /// The prefix length in bits, 0 to 32 (32 for a single address).
        prefix: u8,
    },
    /// An IPv6 network.
    V6 {
        /// The address, as a big-endian number.
        addr: u128,
        /// The prefix length in bits, 0 to 128 (128 for a single address).
        prefix: u8,
    },
}

/// C `strtoul(s, &end, 0)` restricted to what `inet_aton` lets reach it
/// (the text starts with a digit): returns (value, bytes read). Saturates to
/// `u64::MAX` on overflow, as strtoul returns ULONG_MAX.
fn strtoul_auto(b: &[u8]) -> (u64, usize) {
    let (radix, mut i) = if b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        if b.get(2).is_some_and(|c| c.is_ascii_hexdigit()) {
            (16, 2)
        } else {
            // "0x" with no hex digit reads as the number 0, ending before x.
            return (0, 1);
        }
    } else if b.first() == Some(&b'0') {
        (8, 0)
    } else {
        (10, 0)
    };
    let mut v: u64 = 0;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(radix)) {
        v = v
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
        i += 1;
    }
    (v, i)
}

/// glibc's `inet_aton`.
pub(crate) fn inet_aton(text: &str) -> Option<u32> {
    let b = text.as_bytes();
    let mut parts: Vec<u64> = Vec::with_capacity(4);
    let mut i = 0;
    let mut val;
    loop {
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (v, n) = strtoul_auto(&b[i..]);
        if v > 0xffff_ffff {
            return None;
        }
        val = v;
        i += n;
        if b.get(i) == Some(&b'.') {
            if parts.len() > 2 || val > 0xff {
                return None;
            }
            parts.push(val);
            i += 1;
        } else {
            break;
        }
    }
    if let Some(&c) = b.get(i) {
        // Trailing text is allowed only after ASCII white space.
        if !(c.is_ascii() && matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')) {
            return None;
        }
    }
    let max: u64 = match parts.len() {
        0 => 0xffff_ffff,
        1 => 0x00ff_ffff,
        2 => 0xffff,
        _ => 0xff,
    };
    if val > max {
        return None;
    }
    let mut addr = val as u32;
    for (k, p) in parts.iter().enumerate() {
        addr |= (*p as u32) << (24 - 8 * k);
    }
    Some(addr)
}

/// A CIDR subnet as the reference reads it: `ADDR/PREFIX`, ASCII digits,
/// prefix 1..=32 for IPv4 (1..=128 for IPv6).
pub fn parse_subnet(text: &str) -> Option<Net> {
    let (addr, prefix) = text.split_once('/')?;
    if prefix.is_empty() || !prefix.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let prefix: u32 = prefix.parse().ok()?;
    if addr.contains(':') {
        let a: Ipv6Addr = addr.parse().ok()?;
        if !(1..=128).contains(&prefix) {
            return None;
        }
        return Some(Net::V6 {
            addr: u128::from(a),
            prefix: prefix as u8,
        });
    }
    let a = inet_aton(addr)?;
    if !(1..=32).contains(&prefix) {
        return None;
    }
    Some(Net::V4 {
        addr: a,
        prefix: prefix as u8,
    })
}

/// An address or a subnet (the containee of the reference's
/// `_ip_or_cidr_in_subnet`).
pub fn parse_address_or_subnet(text: &str) -> Option<Net> {
    if text.contains('/') {
        return parse_subnet(text);
    }
    if text.contains(':') {
        let a: Ipv6Addr = text.parse().ok()?;
        return Some(Net::V6 {
            addr: u128::from(a),
            prefix: 128,
        });
    }
    Some(Net::V4 {
        addr: inet_aton(text)?,
        prefix: 32,
    })
}

/// Whether `inner` lies inside `outer`. Different families never nest.
pub fn contains(outer: Net, inner: Net) -> bool {
    match (outer, inner) {
        (
            Net::V4 {
                addr: o,
                prefix: op,
            },
            Net::V4 {
                addr: i,
                prefix: ip,
            },
        ) => {
            if op > ip {
                return false;
            }
            let mask = if op == 0 { 0 } else { u32::MAX << (32 - op) };
            o & mask == i & mask
        }
        (
            Net::V6 {
                addr: o,
                prefix: op,
            },
            Net::V6 {
                addr: i,
                prefix: ip,
            },
        ) => {
            if op > ip {
                return false;
            }
            let mask = if op == 0 { 0 } else { u128::MAX << (128 - op) };
            o & mask == i & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_aton_accepts_what_glibc_accepts() {
        assert_eq!(inet_aton("1.2.3.4"), Some(0x01020304));
        assert_eq!(inet_aton("127.1"), Some(0x7f000001));
        assert_eq!(inet_aton("0x7f.1"), Some(0x7f000001));
        assert_eq!(inet_aton("010.0.0.1"), Some(0x08000001));
        assert_eq!(inet_aton("1.2.3.4 junk"), Some(0x01020304));
        assert_eq!(inet_aton("16909060"), Some(0x01020304));
        assert_eq!(inet_aton("1.2.3.256"), None);
        assert_eq!(inet_aton("08.1.1.1"), None);
        assert_eq!(inet_aton(" 1.2.3.4"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("1.2.3."), None);
        assert_eq!(inet_aton("::1"), None);
    }

    #[test]
    fn containment() {
        let net = parse_subnet("10.0.0.0/8").unwrap();
        assert!(contains(net, parse_address_or_subnet("10.1.2.3").unwrap()));
        assert!(contains(net, parse_subnet("10.1.0.0/16").unwrap()));
        assert!(!contains(net, parse_subnet("10.0.0.0/7").unwrap()));
        assert!(parse_subnet("10.0.0.0/0").is_none());
        assert!(parse_subnet("10.0.0.0/33").is_none());
        assert!(parse_subnet("10.0.0.0").is_none());
        let v6 = parse_subnet("2001:db8::/32").unwrap();
        assert!(contains(
            v6,
            parse_address_or_subnet("2001:db8::1").unwrap()
        ));
        assert!(!contains(v6, parse_address_or_subnet("10.0.0.1").unwrap()));
    }
}
