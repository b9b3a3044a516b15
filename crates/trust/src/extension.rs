//! Reading one of concord's property extensions out of a STIX object.

use serde_json::{Map, Value};

use crate::TrustError;

/// The property extension `id` of an object: `Ok(None)` when the object does
/// not carry it, an error naming the JSON path when it is not a well-formed
/// property extension (callers fail closed on that).
pub(crate) fn property_extension<'a>(
    object: &'a Map<String, Value>,
    id: &str,
) -> Result<Option<&'a Map<String, Value>>, TrustError> {
    let bad = |path: String, reason: &str| TrustError::MalformedExtension {
        path,
        reason: reason.into(),
    };
    let ext = match object.get("extensions") {
        None => return Ok(None),
        Some(Value::Object(m)) => match m.get(id) {
            None => return Ok(None),
            Some(Value::Object(ext)) => ext,
            Some(_) => {
                return Err(bad(
                    format!("$.extensions.{id}"),
                    "the extension is not an object",
                ));
            }
        },
        Some(_) => {
            return Err(bad("$.extensions".into(), "'extensions' is not an object"));
        }
    };
    if ext.get("extension_type").and_then(Value::as_str) != Some("property-extension") {
        return Err(bad(
            format!("$.extensions.{id}.extension_type"),
            "must be \"property-extension\"",
        ));
    }
    Ok(Some(ext))
}
