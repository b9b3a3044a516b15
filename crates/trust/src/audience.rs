//! The audience extension (FEDERATION.md section 6): who, beyond what the
//! TLP marking says, may receive an object version, whether recipients may
//! relay it, and how long they may keep it.
//!
//! It sits inside the object, so the author's provenance signature covers
//! it: a relay that widens the audience breaks the signature and the object
//! is quarantined. Only the author widens it, in a new version. This module
//! only reads and writes the typed form; deciding who gets what is the
//! `share` crate's job.

use serde_json::{Map, Value, json};

use crate::TrustError;
use crate::provenance::{CONCORD_IDENTITY_ID, DEFINITIONS_CREATED};

/// The fixed id of concord's audience extension definition.
pub const AUDIENCE_EXTENSION_ID: &str =
    "extension-definition--9a971491-2927-4338-b604-dec2aa3d3c0a";

/// Whether a recipient node may forward the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// Only the author delivers it.
    None,
    /// Recipients may forward it, unchanged, to charter members entitled to
    /// it.
    Members,
}

impl Relay {
    fn as_str(self) -> &'static str {
        match self {
            Relay::None => "none",
            Relay::Members => "members",
        }
    }
}

/// The typed audience extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// Member ids and group names. Never empty: "nobody" is said with
    /// `never_export`, because STIX forbids empty lists and an absent list
    /// must not be read as "everyone".
    pub audience: Vec<String>,
    /// Whether recipients may forward the object (`relay`).
    pub relay: Relay,
    /// Days a recipient may keep the object (`retain_days`), `None` when
    /// the author sets no limit.
    pub retain_days: Option<u32>,
    /// The author forbids any export of the object, whatever its TLP
    /// (`never_export`).
    pub never_export: bool,
}

fn malformed(field: &str, reason: impl Into<String>) -> TrustError {
    TrustError::MalformedExtension {
        path: if field.is_empty() {
            format!("$.extensions.{AUDIENCE_EXTENSION_ID}")
        } else {
            format!("$.extensions.{AUDIENCE_EXTENSION_ID}.{field}")
        },
        reason: reason.into(),
    }
}

/// Reads the audience extension; `Ok(None)` when the object has none. A
/// malformed one is an error so that the caller can fail closed.
pub fn read_audience(object: &Map<String, Value>) -> Result<Option<Audience>, TrustError> {
    let Some(ext) = crate::extension::property_extension(object, AUDIENCE_EXTENSION_ID)? else {
        return Ok(None);
    };
    let audience = match ext.get("audience") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| malformed("audience", "entries are non-empty strings"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(malformed("audience", "a non-empty list is required")),
    };
    let relay = match ext.get("relay").and_then(Value::as_str) {
        Some("none") => Relay::None,
        Some("members") => Relay::Members,
        _ => return Err(malformed("relay", "must be \"none\" or \"members\"")),
    };
    let retain_days = match ext.get("retain_days") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .ok_or_else(|| malformed("retain_days", "a non-negative integer of days"))?,
        ),
    };
    let never_export = match ext.get("never_export") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(malformed("never_export", "must be a boolean")),
    };
    Ok(Some(Audience {
        audience,
        relay,
        retain_days,
        never_export,
    }))
}

/// Writes (or replaces) the audience extension. Call before signing.
pub fn set_audience(
    object: &mut Map<String, Value>,
    audience: &Audience,
) -> Result<(), TrustError> {
    if audience.audience.is_empty() || audience.audience.iter().any(String::is_empty) {
        return Err(TrustError::EmptyAudience);
    }
    let mut ext = Map::new();
    ext.insert("extension_type".into(), "property-extension".into());
    ext.insert(
        "audience".into(),
        Value::Array(audience.audience.iter().cloned().map(Value::from).collect()),
    );
    ext.insert("relay".into(), audience.relay.as_str().into());
    if let Some(days) = audience.retain_days {
        ext.insert("retain_days".into(), days.into());
    }
    ext.insert("never_export".into(), audience.never_export.into());
    match object
        .entry("extensions")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(m) => {
            m.insert(AUDIENCE_EXTENSION_ID.into(), Value::Object(ext));
            Ok(())
        }
        _ => Err(TrustError::MalformedExtension {
            path: "$.extensions".into(),
            reason: "'extensions' is not an object".into(),
        }),
    }
}

/// The `extension-definition` object for the audience extension.
pub fn audience_extension_definition() -> Map<String, Value> {
    let v = json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": AUDIENCE_EXTENSION_ID,
        "created_by_ref": CONCORD_IDENTITY_ID,
        "created": DEFINITIONS_CREATED,
        "modified": DEFINITIONS_CREATED,
        "name": "concord audience",
        "description": "Who may receive this object version within a concord community.",
        "schema": "Property extension with: audience (non-empty list of strings: charter member \
                   ids and group names), relay (\"none\" or \"members\"), retain_days (optional \
                   integer: days a recipient may keep the object), never_export (boolean). It \
                   narrows, never widens, what the TLP marking allows.",
        "version": "1.0.0",
        "extension_types": ["property-extension"]
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator() -> Map<String, Value> {
        match json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        }) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn round_trip_and_valid_stix() {
        let mut o = indicator();
        let a = Audience {
            audience: vec!["cert-x".into(), "group:eu".into()],
            relay: Relay::Members,
            retain_days: Some(30),
            never_export: false,
        };
        set_audience(&mut o, &a).unwrap();
        assert_eq!(read_audience(&o).unwrap(), Some(a));
        let bytes = serde_json::to_vec(&o).unwrap();
        concord_stix::ingest::read_object(&bytes, &concord_pattern::Grammar).unwrap();
    }

    #[test]
    fn absent_is_none_and_empty_is_refused() {
        let mut o = indicator();
        assert_eq!(read_audience(&o).unwrap(), None);
        let empty = Audience {
            audience: vec![],
            relay: Relay::None,
            retain_days: None,
            never_export: true,
        };
        assert_eq!(set_audience(&mut o, &empty), Err(TrustError::EmptyAudience));
    }

    #[test]
    fn malformed_fails_closed_with_a_path() {
        let mut o = indicator();
        o.insert(
            "extensions".into(),
            json!({AUDIENCE_EXTENSION_ID: {"extension_type": "property-extension", "relay": "anyone", "audience": ["a"]}}),
        );
        match read_audience(&o) {
            Err(TrustError::MalformedExtension { path, .. }) => assert!(path.ends_with(".relay")),
            other => panic!("expected malformed relay, got {other:?}"),
        }
        o.insert(
            "extensions".into(),
            json!({AUDIENCE_EXTENSION_ID: {"extension_type": "property-extension", "relay": "none"}}),
        );
        assert!(matches!(
            read_audience(&o),
            Err(TrustError::MalformedExtension { .. })
        ));
    }

    #[test]
    fn definition_is_valid_stix() {
        let bytes = serde_json::to_vec(&audience_extension_definition()).unwrap();
        concord_stix::ingest::read_object(&bytes, &concord_pattern::Grammar).unwrap();
    }
}
