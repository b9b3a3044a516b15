//! Reading stored objects for an export: only the properties an export
//! looks at.
//!
//! A node hands [`export`](crate::export) hundreds of thousands of
//! indicators read from its store. Building the whole JSON tree of each
//! (descriptions, kill chain phases, external references) was most of the
//! cost of a whole export: [`parse_object`] keeps the properties an export
//! reads ([`properties`] of its format) and skips the rest unparsed, so the
//! export gives the same output from its maps as from the whole objects.

use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::Format;

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

/// What the selection reads of every indicator, whatever the format.
const SELECTION: [&str; 10] = [
    "type",
    "id",
    "modified",
    "pattern",
    "pattern_type",
    "revoked",
    "x_concord_withdrawal_reason",
    "valid_from",
    "valid_until",
    "confidence",
];

/// The properties an export to `format` reads of an indicator: the
/// selection's, and what the format writes besides the values (names,
/// TLP, authors).
pub fn properties(format: Format) -> &'static [&'static str] {
    const SURICATA: [&str; 12] = concat(SELECTION, ["name", "object_marking_refs"]);
    const ZEEK: [&str; 13] = concat(SELECTION, ["name", "created_by_ref", "extensions"]);
    match format {
        Format::Rpz | Format::Hosts | Format::Text => &SELECTION,
        Format::Suricata => &SURICATA,
        Format::Zeek => &ZEEK,
        Format::Csv => &PROPERTIES,
    }
}

/// `a` then `b`, at compile time.
const fn concat<const A: usize, const B: usize, const N: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

/// One JSON object with only `properties` (in their order in the text):
/// [`properties`] of the format it is exported to, or [`PROPERTIES`] for
/// any. Fails on text that is no JSON object.
pub fn parse_object(
    json: &[u8],
    properties: &[&'static str],
) -> Result<Map<String, Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let map = de.deserialize_map(Kept(properties))?;
    de.end()?;
    Ok(map)
}

/// The visitor that keeps the wanted properties.
struct Kept<'p>(&'p [&'static str]);

impl<'de> Visitor<'de> for Kept<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::with_capacity(self.0.len());
        while let Some(wanted) = access.next_key_seed(Key(self.0))? {
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
struct Key<'p>(&'p [&'static str]);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<&'static str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|p| **p == v).copied())
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
        let map = parse_object(text, &PROPERTIES).unwrap();
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["type", "id", "pattern", "confidence", "extensions"],
            "{map:?}"
        );
        assert_eq!(map["extensions"]["e"]["signer"], "identity--a");
        for bad in [&b"[1]"[..], b"{\"type\":", b"{} x", b"\"s\""] {
            assert!(parse_object(bad, &PROPERTIES).is_err(), "{bad:?}");
        }
        let rpz = parse_object(text, properties(Format::Rpz)).unwrap();
        assert!(!rpz.contains_key("extensions") && rpz.contains_key("pattern"));
        for f in Format::ALL {
            assert!(properties(f).iter().all(|p| PROPERTIES.contains(p)));
        }
    }
}
