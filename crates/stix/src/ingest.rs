//! From the bytes of one object to a checked `StixObject`: the one path every
//! way in (file import, TAXII POST, peer sync) goes through.

use crate::validate::{self, PatternGrammar};
use crate::{Issue, Severity, StixObject, json};

/// A checked object and the warnings it raised.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The object, every property kept as it arrived.
    pub object: StixObject,
    /// The findings of severity [`Severity::Warning`]; never an error.
    pub warnings: Vec<Issue>,
}

/// Parses (strict JSON: no duplicate keys, bounded depth) and validates one
/// object, an indicator's STIX pattern with `patterns` (the way in passes
/// `concord-pattern`'s parser). `Err` carries every finding (at least one
/// error) so the caller can list them all.
pub fn read_object(bytes: &[u8], patterns: &dyn PatternGrammar) -> Result<Checked, Vec<Issue>> {
    let map = json::parse_object(bytes).map_err(|e| {
        vec![Issue::error(
            "$",
            "json-syntax",
            format!(
                "{} (line {}, column {} of the object)",
                e.message, e.line, e.column
            ),
        )]
    })?;
    let issues = validate::validate_with(&map, patterns);
    if issues.iter().any(|i| i.severity == Severity::Error) {
        return Err(issues);
    }
    Ok(Checked {
        object: StixObject::from_map(map),
        warnings: issues,
    })
}

/// The JSON text to store for an object read from `bytes`: the received bytes
/// themselves when they are already one line (nothing to gain from
/// re-serialising, and the author's exact text is kept), else a compact
/// serialisation of the parsed object.
pub fn storable_json(bytes: &[u8], object: &StixObject) -> String {
    if !has_line_break(bytes)
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        return s.to_string();
    }
    object.to_json()
}

/// Whether the text has a line break (one SIMD pass: this runs on every
/// object a peer sends).
fn has_line_break(bytes: &[u8]) -> bool {
    memchr::memchr2(b'\n', b'\r', bytes).is_some()
}

/// [`storable_json`] for text the caller owns: kept as it is, without a
/// copy, when it is one line.
pub fn into_storable_json(text: String, object: &StixObject) -> String {
    if !has_line_break(text.as_bytes()) {
        return text;
    }
    object.to_json()
}
