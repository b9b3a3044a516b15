//! Reading stored objects for an export: only the properties an export
//! looks at.
//!
//! A node hands [`export`](crate::export) hundreds of thousands of
//! indicators read from its store. Building the whole JSON tree of each
//! (descriptions, kill chain phases, external references) was most of the
//! cost of a whole export: [`parse_object`] keeps the properties an export
//! reads and skips the rest unparsed, so the export gives the same output
//! from its maps as from the whole objects.

use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Every property an export reads of an object (the selection, every
/// format, the signer of concord's provenance extension, the names of
/// authors from identities).
pub const PROPERTIES: [&str; 14] = [
    "type",
    "id",
    "modified",
    "name",
    "pattern",
    "pattern_type",
    "revoked",
    "x_concord_withdrawal_reason",
    "valid_from",
    "valid_until",
    "confidence",
    "created_by_ref",
    "object_marking_refs",
    "extensions",
];

/// One JSON object with only the [`PROPERTIES`] an export reads, in their
/// order in the text. Fails on text that is no JSON object.
pub fn parse_object(json: &[u8]) -> Result<Map<String, Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let map = de.deserialize_map(Kept)?;
    de.end()?;
    Ok(map)
}

/// The visitor that keeps the wanted properties.
struct Kept;

impl<'de> Visitor<'de> for Kept {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::with_capacity(PROPERTIES.len());
        while let Some(wanted) = access.next_key_seed(Key)? {
            match wanted {
                Some(name) => {
                    let value: Value = access.next_value()?;
                    map.insert(name.to_string(), value);
                }
                None => {
                    access.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(map)
    }
}

/// A key: the wanted property it names, if any (never allocated).
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<&'static str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PROPERTIES.iter().find(|p| **p == v).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_an_export_reads() {
        let text = br#"{"type":"indicator","id":"indicator--x","description":"long \"text\"",
            "kill_chain_phases":[{"kill_chain_name":"k","phase_name":"p"}],
            "pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":80,
            "extensions":{"e":{"signer":"identity--a"}},"x_other":{"deep":[1,[2]]}}"#;
        let map = parse_object(text).unwrap();
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["type", "id", "pattern", "confidence", "extensions"],
            "{map:?}"
        );
        assert_eq!(map["extensions"]["e"]["signer"], "identity--a");
        for bad in [&b"[1]"[..], b"{\"type\":", b"{} x", b"\"s\""] {
            assert!(parse_object(bad).is_err(), "{bad:?}");
        }
    }
}
