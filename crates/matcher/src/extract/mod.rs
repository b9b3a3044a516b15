//! Observables in free text: every IPv4/IPv6 address, domain name, URL,
//! e-mail address and MD5/SHA-1/SHA-256/SHA-512 hash of a line (a firewall
//! or syslog line, a paragraph of a report, a row of a blocklist), in their
//! plain and defanged forms.
//!
//! How: the line is refanged ([`refang`]), URLs are taken where `://`
//! stands, then the line is cut into tokens at every character that no
//! observable holds (spaces, `=`, `,`, `/`, brackets, quotes...) and each
//! token is tested whole: an address, a hash, a domain, `address:port`,
//! `local@domain`. A token is never searched for a shorter observable
//! inside it, which is what keeps `1.2.3.4.5` (a version) from giving
//! `1.2.3.4`, and a 50-digit hex string from giving an MD5.
//!
//! What keeps false positives out: a domain needs a real top-level domain
//! ([`is_tld`]: `report.pdf` is no domain, `evil.zip` is); a hash is hex of
//! exactly 32, 40, 64 or 128 characters; an IPv4 address has exactly four
//! decimal parts of at most 255; an IPv6 address has eight groups or `::`
//! (a MAC address or a time of day is none);
//! trailing punctuation (`.`, `,`, `;`, `:`, `)`...) is never part of a
//! value. Domain names are read in ASCII (IDNs as A-labels, `xn--...`), as
//! DNS and logs carry them.

mod ioc;
mod refang;
mod tld;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use ioc::{Ioc, parse_ioc};
pub use refang::refang;
pub use tld::is_tld;

use crate::observable::{HashAlgorithm, Observable, normal_url};

/// Appends every observable of `text` to `out`, each once, in the order
/// they first appear (URLs first). A URL also gives its host, an e-mail
/// address its domain, as the tokens they are made of.
pub fn extract(text: &str, out: &mut Vec<Observable>) {
    let start = out.len();
    let text = refang(text);
    urls(&text, out);
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !TOKEN[usize::from(b[i])] {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && TOKEN[usize::from(b[i])] {
            i += 1;
        }
        // Tokens are ASCII, so `s..i` are character boundaries.
        if i - s >= 3 {
            token_observables(&text[s..i], out, 0);
        }
    }
    dedup(out, start);
}

/// The bytes an address, domain, e-mail address or hash is written with.
static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(b, b'.' | b'-' | b'_' | b'@' | b':' | b'%' | b'+');
        c += 1;
    }
    t
};

/// Characters that end a URL: whitespace and what RFC 3986 never allows
/// unescaped (double quotes and angle brackets delimit URLs in logs and
/// mail). A single quote is allowed (`/it's`) unless the URL opened with
/// one (`url='http://...'`).
fn ends_url(b: u8, quoted: bool) -> bool {
    b.is_ascii_whitespace()
        || b.is_ascii_control()
        || matches!(
            b,
            b'<' | b'>' | b'"' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^'
        )
        || (quoted && b == b'\'')
}

fn urls(text: &str, out: &mut Vec<Observable>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let sep = from + found;
        from = sep + 3;
        let mut s = sep;
        while s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'+' | b'-' | b'.'))
        {
            s -= 1;
        }
        // A scheme starts with a letter.
        while s < sep && !b[s].is_ascii_alphabetic() {
            s += 1;
        }
        if s == sep {
            continue;
        }
        let quoted = s > 0 && b[s - 1] == b'\'';
        let mut e = sep + 3;
        while e < b.len() && !ends_url(b[e], quoted) {
            e += 1;
        }
        let url = trim_url(&text[s..e]);
        if url_host(url).is_some() {
            out.push(Observable::Url(normal_url(url)));
            from = s + url.len();
        }
    }
}

/// Drops trailing punctuation that closes a sentence or a bracket opened
/// before the URL.
fn trim_url(mut url: &str) -> &str {
    loop {
        let Some(last) = url.as_bytes().last() else {
            return url;
        };
        let unbalanced =
            |open: char, close: char| url.matches(close).count() > url.matches(open).count();
        let drop = match last {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' | b'\'' => true,
            b')' => unbalanced('(', ')'),
            b']' => unbalanced('[', ']'),
            _ => false,
        };
        if !drop {
            return url;
        }
        url = &url[..url.len() - 1];
    }
}

/// The host of a URL when it is an address or a domain name with a real
/// top-level domain: `None` means the text is no URL worth the name.
pub(crate) fn url_host(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let mut sc = scheme.bytes();
    if !sc.next()?.is_ascii_alphabetic()
        || !sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = hostport.strip_prefix('[') {
        let (addr, tail) = v6.split_once(']')?;
        let addr = addr.split('%').next().unwrap_or(addr);
        addr.parse::<Ipv6Addr>().ok()?;
        return (tail.is_empty() || is_port(tail.strip_prefix(':')?)).then_some(addr);
    }
    let host = match hostport.rsplit_once(':') {
        Some((h, port)) if is_port(port) || port.is_empty() => h,
        Some(_) => return None,
        None => hostport,
    };
    (ipv4(host).is_some() || is_domain(host)).then_some(host)
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit())
}

/// The observables of one token (see the module doc). `depth` bounds the
/// re-splitting of tokens at `:` and `@`.
fn token_observables(token: &str, out: &mut Vec<Observable>, depth: u8) {
    // `2001:db8::` ends with colons that belong to it.
    let t = token
        .trim_start_matches(['.', '-', '@', '%', '+'])
        .trim_end_matches(['.', '-', '@', '%', '+']);
    if depth > 2 {
        return;
    }
    if t.contains(':')
        && let Some(a) = ipv6(t)
    {
        out.push(ip_observable(a));
        return;
    }
    let t = t.trim_matches([':', '.', '-', '@', '%', '+']);
    if t.len() < 3 {
        return;
    }
    // One pass to rule out most tokens of a log line (`DROP`, `eth0`, `60`).
    let (mut colon, mut at, mut dot, mut hex) = (false, false, false, true);
    for c in t.bytes() {
        match c {
            b':' => colon = true,
            b'@' => at = true,
            b'.' => dot = true,
            _ => {}
        }
        hex &= c.is_ascii_hexdigit();
    }
    if !(colon || at || dot) {
        if hex {
            out.extend(hash(t));
        } else if t.len() >= 32 {
            hash_parts(t, out);
        }
        return;
    }
    if colon {
        if let Some((host, port)) = t.rsplit_once(':')
            && is_port(port)
            && !host.contains(':')
        {
            token_observables(host, out, depth + 1);
        } else {
            for part in t.split(':') {
                token_observables(part, out, depth + 1);
            }
        }
        return;
    }
    if at {
        if let Some((local, domain)) = t.rsplit_once('@')
            && is_local_part(local)
            && is_domain(domain)
        {
            out.push(Observable::Email(t.to_ascii_lowercase()));
            out.push(Observable::Domain(domain.to_ascii_lowercase()));
        } else {
            for part in t.split('@') {
                token_observables(part, out, depth + 1);
            }
        }
        return;
    }
    if let Some(a) = ipv4(t) {
        out.push(Observable::Ipv4(a));
    } else if let Some(h) = hash(t) {
        out.push(h);
    } else if is_domain(t) {
        out.push(Observable::Domain(t.to_ascii_lowercase()));
    } else if t.len() >= 32 {
        hash_parts(t, out);
    }
}

/// `<sha256>.exe`, `sample_<md5>`: a hash as one part of a name.
fn hash_parts(t: &str, out: &mut Vec<Observable>) {
    for part in t.split(['.', '_', '-', '+', '%']) {
        if let Some(h) = hash(part) {
            out.push(h);
        }
    }
}

fn ip_observable(a: IpAddr) -> Observable {
    match a {
        IpAddr::V4(a) => Observable::Ipv4(a),
        IpAddr::V6(a) => Observable::Ipv6(a),
    }
}

/// Four decimal parts of at most 255 (zero-padded parts, as some firewalls
/// print them, are read as decimal).
pub(crate) fn ipv4(t: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = t.split('.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// An IPv6 address other than the unspecified one (`::`, which C++ and
/// Rust paths write); a zone (`%eth0`) is dropped.
fn ipv6(t: &str) -> Option<IpAddr> {
    let addr = t.split('%').next().unwrap_or(t);
    addr.parse::<Ipv6Addr>()
        .ok()
        .filter(|a| !a.is_unspecified())
        .map(IpAddr::V6)
}

/// Hex of the length of a hash algorithm the index knows.
fn hash(t: &str) -> Option<Observable> {
    let algo = match t.len() {
        32 => HashAlgorithm::Md5,
        40 => HashAlgorithm::Sha1,
        64 => HashAlgorithm::Sha256,
        128 => HashAlgorithm::Sha512,
        _ => return None,
    };
    t.bytes()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| Observable::Hash(algo, t.to_ascii_lowercase()))
}

/// Why `t` is not a domain name, if it is not one.
pub(crate) fn domain_problem(t: &str) -> Option<String> {
    let t = t.strip_suffix('.').unwrap_or(t);
    if t.len() > 253 {
        return Some(format!(
            "{} characters: a domain name has at most 253",
            t.len()
        ));
    }
    let labels: Vec<&str> = t.split('.').collect();
    if labels.len() < 2 {
        return Some("no dot: not a domain name".into());
    }
    for l in &labels {
        if l.is_empty() {
            return Some("an empty label (two dots in a row)".into());
        }
        if l.len() > 63 {
            return Some(format!("label of {} characters: at most 63", l.len()));
        }
        if let Some(c) = l
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Some(format!("{c:?} is not allowed in a domain name"));
        }
        if l.starts_with(['-', '_']) || l.ends_with(['-', '_']) {
            return Some(format!("label {l:?} starts or ends with '-' or '_'"));
        }
    }
    let tld = labels[labels.len() - 1];
    if !is_tld(tld) {
        return Some(format!("{tld:?} is not a top-level domain"));
    }
    None
}

/// A name of at least two labels whose last is a real top-level domain.
pub(crate) fn is_domain(t: &str) -> bool {
    // The cheap refusals first: most tokens of a log line are no domain.
    let Some((_, tld)) = t.rsplit_once('.') else {
        return false;
    };
    if tld.len() < 2 || !tld.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') || !is_tld(tld)
    {
        return false;
    }
    domain_problem(t).is_none()
}

/// The part of an e-mail address before `@` (RFC 5321 dot-atom, without
/// the rarely seen characters that logs use as delimiters).
pub(crate) fn is_local_part(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 64
        && !l.starts_with('.')
        && !l.ends_with('.')
        && !l.contains("..")
        && l.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-'))
}

/// Removes repeated observables after `start`, keeping first occurrences.
fn dedup(out: &mut Vec<Observable>, start: usize) {
    if out.len() - start < 2 {
        return;
    }
    if out.len() - start <= 32 {
        let mut i = start + 1;
        while i < out.len() {
            if out[start..i].contains(&out[i]) {
                out.remove(i);
            } else {
                i += 1;
            }
        }
        return;
    }
    let mut seen = hashbrown::HashSet::new();
    let mut key = Vec::new();
    let mut kept = start;
    for i in start..out.len() {
        out[i].key(&mut key);
        if seen.insert(key.clone()) {
            out.swap(kept, i);
            kept += 1;
        }
    }
    out.truncate(kept);
}

#[cfg(test)]
mod tests;
