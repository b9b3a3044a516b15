//! The sharing view of an object: its members that [`crate::decide`] and
//! the reference closure read, parsed from stored JSON text without
//! building the rest.
//!
//! Serving a page to a peer decides every object on it, and most of that
//! cost was building each object's whole map (names, descriptions,
//! patterns, hashes...) only to read a dozen members; a view costs a
//! little over half as much (`cargo bench -p concord-share`: 1.50 against
//! 2.74 µs for a signed indicator). The view is an ordinary [`StixObject`]: the
//! rules run on it unchanged, so there is one policy, not two.
//!
//! What the view keeps, and why that is all the rules read:
//!
//! - whole: `type`, `id`, `labels`, `object_marking_refs`,
//!   `granular_markings`, every top-level `*_ref` / `*_refs` member, and
//!   the members the policy's `never_export` data classes name;
//! - of `extensions`: the audience extension whole, and of every other
//!   extension its `signer` (the provenance extension's, which tells the
//!   node who authored the object) and its references; `extensions`
//!   itself whole when it is not an object (the audience reader refuses
//!   that);
//! - of any other member, at any depth, every `*_ref` / `*_refs` member
//!   with the objects and lists leading to it. List positions are kept (a
//!   dropped element becomes `null`), so a reference's JSON path in the
//!   view is its path in the object.
//!
//! Anything the rules come to read beyond this must be added here; the
//! property test in `tests/properties.rs` holds every decision, reference
//! and signer found in a view to the same in the whole object.
//!
//! For stored objects only: they were checked strictly when they came in
//! (no duplicate keys); this parser is lenient about those.

use std::borrow::Cow;
use std::fmt;

use concord_stix::StixObject;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::audience::AUDIENCE_EXTENSION_ID;
use crate::error::ViewError;
use crate::policy::{EgressPolicy, NeverExport};

/// Top-level members the rules read whole.
const WHOLE: [&str; 5] = [
    "type",
    "id",
    "labels",
    "object_marking_refs",
    "granular_markings",
];

/// The member of an extension that names its signer.
const SIGNER: &str = "signer";

fn is_reference(key: &str) -> bool {
    key.ends_with("_ref") || key.ends_with("_refs")
}

/// Parses the sharing view of one object from its JSON text, for the
/// rules of `policy`.
pub fn sharing_view(json: &[u8], policy: &EgressPolicy) -> Result<StixObject, ViewError> {
    let classes: Vec<&str> = policy
        .never_export
        .iter()
        .filter_map(|rule| match rule {
            NeverExport::DataClass { property, .. } => Some(property.as_str()),
            _ => None,
        })
        .collect();
    let mut de = serde_json::Deserializer::from_slice(json);
    let map = de
        .deserialize_map(TopVisitor { classes: &classes })
        .map_err(|e| ViewError(e.to_string()))?;
    de.end().map_err(|e| ViewError(e.to_string()))?;
    Ok(StixObject::from_map(map))
}

/// A member name, borrowed from the text when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct TopVisitor<'c> {
    /// Members named by the policy's data classes.
    classes: &'c [&'c str],
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a STIX object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::with_capacity(8);
        while let Some(key) = map.next_key_seed(Key)? {
            let value = if WHOLE.contains(&key.as_ref())
                || is_reference(&key)
                || self.classes.contains(&key.as_ref())
            {
                Some(map.next_value::<Value>()?)
            } else if key == "extensions" {
                let raw: &RawValue = map.next_value()?;
                Some(extensions(raw).map_err(de::Error::custom)?)
            } else {
                map.next_value_seed(References { signer: false })?
            };
            if let Some(v) = value {
                out.insert(key.into_owned(), v);
            }
        }
        Ok(out)
    }
}

/// `extensions` when it is an object: the audience extension whole, the
/// others reduced to their signer and references.
struct ExtensionsVisitor;

impl<'de> Visitor<'de> for ExtensionsVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of extensions")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let value = if key == AUDIENCE_EXTENSION_ID || is_reference(&key) {
                Some(map.next_value::<Value>()?)
            } else {
                map.next_value_seed(References { signer: true })?
            };
            if let Some(v) = value {
                out.insert(key.into_owned(), v);
            }
        }
        Ok(Value::Object(out))
    }
}

/// `extensions` in any shape: reduced when it is an object, else whole (the
/// audience reader refuses it then, and must see it to).
fn extensions(raw: &RawValue) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    if raw.get().starts_with('{') {
        de.deserialize_map(ExtensionsVisitor)
    } else {
        Value::deserialize(&mut de)
    }
}

/// A value reduced to the references below it: `None` when it holds none.
/// `signer`: the value is one extension, whose `signer` is kept too.
#[derive(Clone, Copy)]
struct References {
    signer: bool,
}

impl<'de> DeserializeSeed<'de> for References {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ReferencesVisitor {
            signer: self.signer,
        })
    }
}

struct ReferencesVisitor {
    signer: bool,
}

impl<'de> Visitor<'de> for ReferencesVisitor {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Allocated only once an element holds a reference; earlier
        // elements become nulls so positions stay what they were.
        let mut kept: Option<Vec<Value>> = None;
        let mut before = 0usize;
        while let Some(v) = seq.next_element_seed(References { signer: false })? {
            match (&mut kept, v) {
                (Some(list), v) => list.push(v.unwrap_or(Value::Null)),
                (None, Some(v)) => {
                    let mut list = vec![Value::Null; before];
                    list.push(v);
                    kept = Some(list);
                }
                (None, None) => before += 1,
            }
        }
        Ok(kept.map(Value::Array))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept: Option<Map<String, Value>> = None;
        while let Some(key) = map.next_key_seed(Key)? {
            let value = if is_reference(&key) || (self.signer && key == SIGNER) {
                Some(map.next_value::<Value>()?)
            } else {
                map.next_value_seed(References { signer: false })?
            };
            if let Some(v) = value {
                kept.get_or_insert_with(Map::new)
                    .insert(key.into_owned(), v);
            }
        }
        Ok(kept.map(Value::Object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view_with(v: &Value, policy: &EgressPolicy) -> Value {
        let text = v.to_string();
        Value::Object(
            sharing_view(text.as_bytes(), policy)
                .expect("view")
                .into_map(),
        )
    }

    fn view(v: &Value) -> Value {
        view_with(v, &EgressPolicy::default())
    }

    #[test]
    fn keeps_what_the_rules_read() {
        let o = json!({
            "type": "indicator",
            "id": "indicator--1",
            "name": "big",
            "labels": ["x"],
            "pattern": "[ipv4-addr:value = '1.2.3.4']",
            "created_by_ref": "identity--a",
            "object_marking_refs": ["marking-definition--m"],
            "granular_markings": [{"selectors": ["name"], "marking_ref": "marking-definition--g"}],
            "extensions": {
                "extension-definition--p": {"extension_type": "property-extension", "signer": "identity--a", "key": "k", "sig": "s", "note_ref": "note--1"},
                (AUDIENCE_EXTENSION_ID): {"extension_type": "property-extension", "audience": ["identity--b"], "relay": "none"}
            },
            "kill_chain_phases": [{"kill_chain_name": "k", "phase_name": "p"}],
            "x_nested": {"deep": [1, {"where_ref": "location--1"}, "s"], "plain": 3},
            "x_count": 7
        });
        assert_eq!(
            view(&o),
            json!({
                "type": "indicator",
                "id": "indicator--1",
                "labels": ["x"],
                "created_by_ref": "identity--a",
                "object_marking_refs": ["marking-definition--m"],
                "granular_markings": [{"selectors": ["name"], "marking_ref": "marking-definition--g"}],
                "extensions": {
                    "extension-definition--p": {"signer": "identity--a", "note_ref": "note--1"},
                    (AUDIENCE_EXTENSION_ID): {"extension_type": "property-extension", "audience": ["identity--b"], "relay": "none"}
                },
                "x_nested": {"deep": [null, {"where_ref": "location--1"}, null]}
            })
        );
    }

    #[test]
    fn keeps_the_members_a_data_class_names() {
        let mut policy = EgressPolicy::default();
        policy.never_export.push(NeverExport::DataClass {
            name: "victims".into(),
            object_type: None,
            property: "x_victim".into(),
        });
        let o = json!({"type": "sighting", "id": "sighting--1", "x_victim": {"name": "n"}, "x_other": 1});
        assert_eq!(
            view_with(&o, &policy),
            json!({"type": "sighting", "id": "sighting--1", "x_victim": {"name": "n"}})
        );
    }

    #[test]
    fn keeps_malformed_references_and_extensions_as_they_are() {
        let o = json!({"type": "note", "id": "note--1", "object_refs": "not-a-list", "x": {"a_ref": 3}, "extensions": ["odd"]});
        assert_eq!(view(&o), o);
    }

    #[test]
    fn escaped_names_are_read_as_names() {
        let text = r#"{"type":"note","id":"note--1","x":{"obj\u0065ct_ref":"identity--b"}}"#;
        let v = sharing_view(text.as_bytes(), &EgressPolicy::default()).expect("view");
        assert_eq!(v.get("x"), Some(&json!({"object_ref": "identity--b"})));
    }

    #[test]
    fn refuses_what_is_not_one_json_object() {
        for bad in ["", "[]", "{\"type\":", "{} {}", "{\"a\":1,}"] {
            assert!(
                sharing_view(bad.as_bytes(), &EgressPolicy::default()).is_err(),
                "{bad:?}"
            );
        }
    }
}
