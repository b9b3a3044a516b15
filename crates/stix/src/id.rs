//! STIX identifiers: `type--UUID` (STIX 2.1 §2.9) and the deterministic
//! UUIDv5 ids of cyber-observable objects (§2.9, each SCO's "ID Contributing
//! Properties"), computed exactly as python-stix2 computes them so that two
//! nodes seeing the same observable name it the same way.

use serde_json::{Map, Value};
use uuid::Uuid;

/// The namespace of deterministic SCO ids (STIX 2.1 §2.9).
pub const SCO_NAMESPACE: Uuid = Uuid::from_bytes([
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
]);

/// Why a string is not a STIX identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(pub String);

/// A parsed identifier: the object type and its UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StixId<'a> {
    /// The part before `--`, a valid type name (such as `indicator`).
    pub object_type: &'a str,
    /// The part after `--`.
    pub uuid: Uuid,
}

/// Checks the type-name rules of STIX 2.1 §3.1 (`type`): 3 to 250
/// characters of a-z, 0-9 and '-', starting with a letter... The spec
/// requires only the character set and length; python-stix2 and the
/// validator also refuse a leading digit or hyphen and `--` inside, and so do we.
pub fn check_type_name(t: &str) -> Result<(), IdError> {
    if t.len() < 3 || t.len() > 250 {
        return Err(IdError(format!(
            "type {t:?} must be 3 to 250 characters long"
        )));
    }
    if !t
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(IdError(format!(
            "type {t:?} may only contain a-z, 0-9 and '-'"
        )));
    }
    if t.contains("--") {
        return Err(IdError(format!("type {t:?} must not contain '--'")));
    }
    if t.starts_with('-') || t.ends_with('-') {
        return Err(IdError(format!(
            "type {t:?} must not start or end with '-'"
        )));
    }
    Ok(())
}

impl<'a> StixId<'a> {
    /// Splits and checks `type--UUID`; the UUID must be an RFC 4122 UUID
    /// (variant bits 10), as STIX 2.1 §2.9 requires.
    pub fn parse(s: &'a str) -> Result<StixId<'a>, IdError> {
        let (t, u) = s
            .split_once("--")
            .ok_or_else(|| IdError(format!("identifier {s:?} must have the form type--UUID")))?;
        check_type_name(t)?;
        if u.len() != 36 {
            return Err(IdError(format!(
                "identifier {s:?}: {u:?} is not a UUID in its 36-character hyphenated form"
            )));
        }
        let uuid = Uuid::parse_str(u)
            .map_err(|_| IdError(format!("identifier {s:?}: {u:?} is not a UUID")))?;
        if uuid.get_variant() != uuid::Variant::RFC4122 {
            return Err(IdError(format!(
                "identifier {s:?}: the UUID is not an RFC 4122 UUID (wrong variant bits)"
            )));
        }
        Ok(StixId {
            object_type: t,
            uuid,
        })
    }
}

/// A new random identifier (UUIDv4) for an object this node creates.
pub fn new_id(object_type: &str) -> String {
    format!("{object_type}--{}", Uuid::new_v4())
}

/// The ID Contributing Properties of each SCO type (STIX 2.1 §6). `None`
/// means the type is not a known SCO; an empty list means the spec gives
/// none (process), so ids are random.
pub fn contributing_properties(sco_type: &str) -> Option<&'static [&'static str]> {
    Some(match sco_type {
        "artifact" => &["hashes", "payload_bin"],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" => &["value"],
        "email-addr" => &["value"],
        "email-message" => &["from_ref", "subject", "body"],
        "file" => &["hashes", "name", "extensions", "parent_directory_ref"],
        "ipv4-addr" => &["value"],
        "ipv6-addr" => &["value"],
        "mac-addr" => &["value"],
        "mutex" => &["name"],
        "network-traffic" => &[
            "start",
            "end",
            "src_ref",
            "dst_ref",
            "src_port",
            "dst_port",
            "protocols",
            "extensions",
        ],
        "process" => &[],
        "software" => &["name", "cpe", "swid", "vendor", "version"],
        "url" => &["value"],
        "user-account" => &["account_type", "user_id", "account_login"],
        "windows-registry-key" => &["key", "values"],
        "x509-certificate" => &["hashes", "serial_number"],
        _ => return None,
    })
}

/// When `hashes` contributes to an id only one hash is used, in this order
/// of preference (python-stix2 `_choose_one_hash`), else the first key.
fn choose_one_hash(hashes: &Map<String, Value>) -> Option<(String, Value)> {
    for k in ["MD5", "SHA-1", "SHA-256", "SHA-512"] {
        if let Some(v) = hashes.get(k) {
            return Some((k.to_string(), v.clone()));
        }
    }
    hashes.iter().next().map(|(k, v)| (k.clone(), v.clone()))
}

/// The deterministic id an SCO must carry, from its contributing properties.
/// `None` when the type has no contributing properties (process), is not a
/// known SCO, or none of them is present (then a random id is allowed).
pub fn deterministic_sco_id(object: &Map<String, Value>) -> Option<String> {
    let t = object.get("type")?.as_str()?;
    let props = contributing_properties(t)?;
    let mut streamlined = Map::new();
    for &p in props {
        let Some(v) = object.get(p) else { continue };
        if p == "hashes" {
            if let Some((k, h)) = v.as_object().and_then(choose_one_hash) {
                let mut one = Map::new();
                one.insert(k, h);
                streamlined.insert(p.to_string(), Value::Object(one));
            }
        } else {
            streamlined.insert(p.to_string(), v.clone());
        }
    }
    if streamlined.is_empty() {
        return None;
    }
    let canonical = serde_json_canonicalizer::to_string(&Value::Object(streamlined)).ok()?;
    Some(format!(
        "{t}--{}",
        Uuid::new_v5(&SCO_NAMESPACE, canonical.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sco_id_matches_python_stix2() {
        // Reference values computed by python-stix2 3.0.2.
        let ip = json!({"type": "ipv4-addr", "value": "198.51.100.1"});
        assert_eq!(
            deterministic_sco_id(ip.as_object().unwrap()).as_deref(),
            Some("ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c")
        );
    }

    #[test]
    fn parses_ids() {
        let id = StixId::parse("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").unwrap();
        assert_eq!(id.object_type, "indicator");
        assert!(StixId::parse("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_err());
        assert!(StixId::parse("indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f").is_err());
        assert!(StixId::parse("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_err());
        // variant bits 0xxx: not RFC 4122
        assert!(StixId::parse("indicator--8e2e2d2b-17d4-4cbf-138f-98ee46b3cd3f").is_err());
    }
}
