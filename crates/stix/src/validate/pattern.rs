//! The grammar of an indicator's STIX pattern, checked by the caller's
//! parser: the patterning language is `concord-pattern`'s, and that crate
//! depends on this one, so every way in hands its parser to
//! [`validate_with`](super::validate_with) or
//! [`read_object`](crate::ingest::read_object).

use serde_json::{Map, Value};

use crate::Issue;

/// Where and why a STIX pattern does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternFault {
    /// 1-based line in the pattern text.
    pub line: u32,
    /// 1-based column (Unicode scalar values).
    pub column: u32,
    /// What the parser expected or refused, without the position.
    pub message: String,
}

/// A parser of STIX patterns (`pattern_type` `stix`).
pub trait PatternGrammar {
    /// `Ok` when `pattern` is a valid STIX pattern, else where it is not.
    fn check(&self, pattern: &str) -> Result<(), PatternFault>;
}

/// The finding about an indicator's STIX pattern, if it does not parse.
/// Other objects, other pattern types and patterns that are not a non-empty
/// string are left to the property rules (`pattern-empty`,
/// `property-type`).
pub(crate) fn check(object: &Map<String, Value>, grammar: &dyn PatternGrammar) -> Option<Issue> {
    if object.get("type").and_then(Value::as_str) != Some("indicator")
        || object.get("pattern_type").and_then(Value::as_str) != Some("stix")
    {
        return None;
    }
    let pattern = object.get("pattern").and_then(Value::as_str)?;
    if pattern.trim().is_empty() {
        return None;
    }
    let fault = grammar.check(pattern).err()?;
    Some(Issue::error(
        "$.pattern",
        "pattern-syntax",
        format!(
            "the STIX pattern does not parse at line {}, column {}: {}",
            fault.line, fault.column, fault.message
        ),
    ))
}
