//! The audience extension of FEDERATION.md section 6, read from inside the
//! object: `{audience: [member ids|group names], relay: "none"|"members",
//! retain_days, never_export}`.
//!
//! The extension sits inside the signed object, so a relay that widens it
//! breaks the author's signature. This reader is strict: anything it does
//! not understand is an [`AudienceError`], and [`crate::decide`] turns that
//! into a withhold (fail closed). An empty `audience` list is read, not
//! rejected, and means "nobody": it can never be taken for "everyone".

use serde_json::{Map, Value};

use crate::error::AudienceError;

/// The fixed id of concord's audience property extension.
///
/// It is the same id the `concord-trust` crate writes and publishes as an
/// `extension-definition` (crates/trust/src/audience.rs), and the author's
/// provenance signature covers it as part of the object. It must never
/// change: objects already signed carry it.
pub const AUDIENCE_EXTENSION_ID: &str =
    "extension-definition--9a971491-2927-4338-b604-dec2aa3d3c0a";

/// Whether a node that received the object from its author may forward it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relay {
    /// Only the author delivers it.
    None,
    /// Recipients may forward the author's bytes to charter members entitled
    /// to them (only CLEAR and GREEN, whatever this says).
    Members,
}

/// The typed audience extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// Charter member ids and group names; empty means nobody.
    pub members: Vec<String>,
    /// Whether recipients may forward the object.
    pub relay: Relay,
    /// Days a recipient may keep the object, when the author asks for less
    /// than the recipient's own retention.
    pub retain_days: Option<u32>,
    /// The author forbids any export of this object, whatever its TLP.
    pub never_export: bool,
}

impl Audience {
    /// Whether the audience names this member id or one of its groups.
    pub fn names<'a>(&self, member: &str, groups: impl IntoIterator<Item = &'a str>) -> bool {
        if self.members.iter().any(|m| m == member) {
            return true;
        }
        groups
            .into_iter()
            .any(|g| self.members.iter().any(|m| m == g))
    }
}

fn malformed(field: &'static str, rule: &'static str) -> AudienceError {
    AudienceError { field, rule }
}

/// Reads the audience extension of an object: `Ok(None)` when it has none,
/// an error when `extensions` or the extension itself is malformed.
pub fn read_audience(object: &Map<String, Value>) -> Result<Option<Audience>, AudienceError> {
    let ext = match object.get("extensions") {
        None => return Ok(None),
        Some(Value::Object(exts)) => match exts.get(AUDIENCE_EXTENSION_ID) {
            None => return Ok(None),
            Some(Value::Object(ext)) => ext,
            Some(_) => return Err(malformed("", "the extension is an object")),
        },
        Some(_) => return Err(malformed("extensions", "'extensions' is an object")),
    };
    if ext.get("extension_type").and_then(Value::as_str) != Some("property-extension") {
        return Err(malformed(
            "extension_type",
            "extension_type is \"property-extension\"",
        ));
    }
    let members = match ext.get("audience") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or(malformed("audience", "entries are non-empty strings"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(malformed("audience", "audience is a list of strings")),
    };
    let relay = match ext.get("relay").and_then(Value::as_str) {
        Some("none") => Relay::None,
        Some("members") => Relay::Members,
        _ => return Err(malformed("relay", "relay is \"none\" or \"members\"")),
    };
    let retain_days = match ext.get("retain_days") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .ok_or(malformed(
                    "retain_days",
                    "retain_days is a non-negative integer",
                ))?,
        ),
    };
    let never_export = match ext.get("never_export") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(malformed("never_export", "never_export is a boolean")),
    };
    Ok(Some(Audience {
        members,
        relay,
        retain_days,
        never_export,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(ext: Value) -> Map<String, Value> {
        match json!({"type": "indicator", "extensions": {AUDIENCE_EXTENSION_ID: ext}}) {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn reads_a_full_extension() {
        let a = read_audience(&obj(json!({
            "extension_type": "property-extension",
            "audience": ["identity--a", "cert-eu"],
            "relay": "members",
            "retain_days": 30,
            "never_export": false
        })));
        assert_eq!(
            a,
            Ok(Some(Audience {
                members: vec!["identity--a".into(), "cert-eu".into()],
                relay: Relay::Members,
                retain_days: Some(30),
                never_export: false,
            }))
        );
    }

    #[test]
    fn absent_is_none_and_empty_is_nobody() {
        assert_eq!(read_audience(&Map::new()), Ok(None));
        let a = read_audience(&obj(json!({
            "extension_type": "property-extension", "audience": [], "relay": "none"
        })));
        assert!(matches!(a, Ok(Some(ref a)) if a.members.is_empty() && !a.names("x", ["g"])));
    }

    #[test]
    fn malformed_fails_with_the_field() {
        let cases = [
            (json!("x"), ""),
            (json!({"audience": [], "relay": "none"}), "extension_type"),
            (
                json!({"extension_type": "property-extension", "relay": "none"}),
                "audience",
            ),
            (
                json!({"extension_type": "property-extension", "audience": [""], "relay": "none"}),
                "audience",
            ),
            (
                json!({"extension_type": "property-extension", "audience": [], "relay": "all"}),
                "relay",
            ),
            (
                json!({"extension_type": "property-extension", "audience": [], "relay": "none", "retain_days": -1}),
                "retain_days",
            ),
            (
                json!({"extension_type": "property-extension", "audience": [], "relay": "none", "never_export": "yes"}),
                "never_export",
            ),
        ];
        for (ext, field) in cases {
            assert_eq!(read_audience(&obj(ext)).map_err(|e| e.field), Err(field));
        }
        let mut bad = Map::new();
        bad.insert("extensions".into(), json!([]));
        assert_eq!(read_audience(&bad).map_err(|e| e.field), Err("extensions"));
    }
}
