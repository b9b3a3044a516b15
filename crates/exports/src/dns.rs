//! DNS names: what a domain value must be before a resolver, an IDS or a
//! hosts file is handed it.
//!
//! A name is exported in its ASCII form (IDNA for Unicode names), lower
//! case, without the trailing dot. Labels are 1 to 63 octets of letters,
//! digits, `-` and `_` (underscores appear in real names such as service
//! labels and in malicious host names, and every zone parser accepts
//! them; hostname rules are stricter but apply only to address records'
//! owners, which exports never write), and the whole name is at most 253
//! characters (255 octets on the wire).

/// The most octets a name has on the wire (RFC 1035 section 2.3.4).
pub(crate) const MAX_WIRE: usize = 255;

/// Octets of `name` (relative form, no trailing dot, not empty) on the
/// wire, root label included.
pub(crate) fn wire_length(name: &str) -> usize {
    name.len() + 2
}

/// Checks a lower-case ASCII name without trailing dot.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if wire_length(name) > MAX_WIRE {
        return Err(format!(
            "the name is {} octets long on the wire, more than {MAX_WIRE}",
            wire_length(name)
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("the name has an empty label".into());
        }
        if label.len() > 63 {
            return Err(format!(
                "label {label:?} is {} octets long, more than 63",
                label.len()
            ));
        }
        if let Some(c) = label
            .bytes()
            .find(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_'))
        {
            return Err(format!(
                "label {label:?} has the character {:?}; only letters, digits, '-' and '_' are allowed",
                char::from(c)
            ));
        }
    }
    Ok(())
}

/// A domain value as exports write it, or why it is no domain name.
pub(crate) fn normalize_domain(raw: &str) -> Result<String, String> {
    let trimmed = raw.strip_suffix('.').unwrap_or(raw);
    let ascii = if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        // IDNA (UTS 46) through the URL host parser, which also refuses
        // the code points a host may not have.
        match url::Host::parse(trimmed) {
            Ok(url::Host::Domain(d)) => d,
            Ok(_) => return Err("an address is not a domain name".into()),
            Err(e) => return Err(format!("not an internationalised domain name: {e}")),
        }
    };
    check_name(&ascii)?;
    if ascii.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("an IPv4 address is not a domain name (use ipv4-addr)".into());
    }
    Ok(ascii)
}

/// An absolute name given as an option (zone origin, CNAME target): lower
/// case, with its trailing dot. The root (`.`) is refused.
pub(crate) fn absolute_name(raw: &str) -> Result<String, String> {
    let relative = raw.strip_suffix('.').unwrap_or(raw).to_ascii_lowercase();
    check_name(&relative)?;
    Ok(format!("{relative}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowered_and_checked() {
        assert_eq!(normalize_domain("Evil.Example.").unwrap(), "evil.example");
        assert_eq!(
            normalize_domain("_dmarc.x-y.example").unwrap(),
            "_dmarc.x-y.example"
        );
        assert_eq!(
            normalize_domain("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert!(normalize_domain("").is_err());
        assert!(normalize_domain(".").is_err());
        assert!(normalize_domain("a..b").is_err());
        assert!(normalize_domain("a b.example").is_err());
        assert!(normalize_domain("*.example").is_err());
        assert!(normalize_domain("1.2.3.4").is_err());
        assert!(normalize_domain(&format!("{}.example", "a".repeat(64))).is_err());
        assert!(normalize_domain(&format!("{}.example", "a".repeat(63))).is_ok());
        let long = vec!["abcdefghi"; 26].join(".");
        assert_eq!(long.len(), 259);
        assert!(
            normalize_domain(&long)
                .unwrap_err()
                .contains("octets long on the wire")
        );
        let max = format!("{}.{}", vec!["abcdefghi"; 24].join("."), "abcdefghijklm");
        assert_eq!(max.len(), 253);
        assert!(normalize_domain(&max).is_ok());
    }

    #[test]
    fn options_are_absolute() {
        assert_eq!(absolute_name("rpz.concord.").unwrap(), "rpz.concord.");
        assert_eq!(absolute_name("Walled.Garden").unwrap(), "walled.garden.");
        assert!(absolute_name(".").is_err());
        assert!(absolute_name("bad name.").is_err());
    }
}
