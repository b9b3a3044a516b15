//! TLP 2.0 (first.org/tlp) as STIX marking definitions.
//!
//! The five TLP 2.0 marking definitions have fixed ids published by OASIS
//! (cti-stix-common-objects, extension-definition-specifications/tlp-2.0);
//! the four TLP 1.0 ids of STIX 2.1 §7.2.1.4 map onto them (WHITE is CLEAR).
//! Levels are ordered from least to most restrictive, so "several markings:
//! the strictest wins" is `max`.

use serde_json::{Value, json};

/// A TLP 2.0 level, ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0 WHITE): no limit on disclosure.
    Clear,
    /// TLP:GREEN: the community, not public.
    Green,
    /// TLP:AMBER: the recipient's organisation and its clients, need to know.
    Amber,
    /// TLP:AMBER+STRICT: the recipient's organisation only.
    AmberStrict,
    /// TLP:RED: the named recipients only.
    Red,
}

/// The extension that carries TLP 2.0 inside a marking definition.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// The identity that authored the TLP 2.0 marking definitions.
const TLP2_CREATED_BY: &str = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01";

impl Tlp {
    /// Every level, from least to most restrictive.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The standard STIX id of this level's TLP 2.0 marking definition.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The name as TLP 2.0 writes it.
    pub fn name(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The lower-case word used on the command line and in JSON output.
    pub fn word(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// Reads a level as people write it: `amber+strict`, `TLP:AMBER+STRICT`,
    /// `white` (TLP 1.0, which is CLEAR), case-insensitive.
    pub fn parse(s: &str) -> Option<Tlp> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix("tlp:").unwrap_or(&s);
        Some(match s {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" | "amber-strict" | "amber_strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => return None,
        })
    }

    /// The level a marking-definition id stands for: TLP 2.0 ids and the
    /// TLP 1.0 ids of STIX 2.1 §7.2.1.4.
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        if let Some(t) = Tlp::ALL.into_iter().find(|t| t.marking_id() == id) {
            return Some(t);
        }
        Some(match id {
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Tlp::Clear,
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Tlp::Green,
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Tlp::Amber,
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Tlp::Red,
            _ => return None,
        })
    }

    /// The TLP 2.0 marking-definition object, as OASIS publishes it.
    pub fn marking_definition(self) -> Value {
        let short = self.name().trim_start_matches("TLP:").to_ascii_lowercase();
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.marking_id(),
            "created": "2022-10-01T00:00:00.000Z",
            "created_by_ref": TLP2_CREATED_BY,
            "name": self.name(),
            "extensions": {
                TLP2_EXTENSION: {
                    "extension_type": "property-extension",
                    "tlp_2_0": short
                }
            }
        })
    }
}

/// The strictest TLP level among an object's `object_marking_refs`, or
/// `None` when it has no TLP marking at all (callers fail closed on that).
pub fn strictest_of(marking_refs: &[Value]) -> Option<Tlp> {
    marking_refs
        .iter()
        .filter_map(|v| v.as_str().and_then(Tlp::from_marking_id))
        .max()
}

/// The strictest TLP level of an object (its `object_marking_refs`), or
/// `None` when it carries no TLP marking (callers fail closed on that).
pub fn of_object(object: &serde_json::Map<String, Value>) -> Option<Tlp> {
    match object.get("object_marking_refs") {
        Some(Value::Array(refs)) => strictest_of(refs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_and_mapping() {
        assert!(Tlp::Red > Tlp::AmberStrict && Tlp::AmberStrict > Tlp::Amber);
        assert_eq!(
            Tlp::from_marking_id("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(Tlp::parse("TLP:AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("White"), Some(Tlp::Clear));
        let refs = vec![
            Value::from(Tlp::Green.marking_id()),
            Value::from(Tlp::Amber.marking_id()),
        ];
        assert_eq!(strictest_of(&refs), Some(Tlp::Amber));
        assert_eq!(strictest_of(&[]), None);
        for t in Tlp::ALL {
            assert_eq!(Tlp::parse(t.word()), Some(t));
            assert_eq!(t.marking_definition()["id"], t.marking_id());
        }
    }
}
