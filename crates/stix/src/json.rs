//! Strict JSON reading for outside input.
//!
//! serde_json's `Value` silently keeps the last of two equal keys; two
//! values for one STIX property is ambiguous input (and a classic way to
//! make a signature checker and a consumer disagree), so every object is
//! read through this visitor, which refuses duplicate keys at any depth.
//! serde_json's own recursion limit (128) bounds nesting.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A JSON syntax or shape error with its position in the parsed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at line {line}, column {column}: {message}")]
pub struct JsonError {
    /// 1-based line in the parsed text.
    pub line: usize,
    /// 1-based column in the parsed text (0 when the text ended early).
    pub column: usize,
    /// What is wrong (a duplicate key, a syntax error), without the position.
    pub message: String,
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        let msg = e.to_string();
        // serde_json appends " at line L column C"; keep the message clean.
        let message = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        JsonError {
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}

/// `top`: the value is the document itself (a STIX object), whose map is
/// made with room for a typical object's members up front: growing it from
/// empty rehashes it three times on the way to fifteen members.
#[derive(Clone, Copy)]
struct Strict {
    top: bool,
}

/// Members of a typical STIX object (an indicator has about sixteen).
const OBJECT_MEMBERS: usize = 16;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor { top: self.top })
    }
}

struct StrictVisitor {
    top: bool,
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(Strict { top: false })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = if self.top {
            Map::with_capacity(OBJECT_MEMBERS)
        } else {
            Map::new()
        };
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(Strict { top: false })?;
            // One hash and probe per member (this parse is a large part of
            // taking in objects from peers); the error then points just
            // past the repeated member's value.
            match out.entry(k) {
                serde_json::map::Entry::Occupied(o) => {
                    return Err(de::Error::custom(format!("duplicate key {:?}", o.key())));
                }
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(v);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses one JSON value strictly (no duplicate keys, no trailing data).
pub fn parse_value(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Strict { top: true }.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Parses one JSON object strictly; anything else is an error.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match parse_value(bytes)? {
        Value::Object(m) => Ok(m),
        other => Err(JsonError {
            line: 1,
            column: 1,
            message: format!("expected a JSON object, found {}", kind_of(&other)),
        }),
    }
}

/// The JSON kind of a value, for error messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicate_keys_at_any_depth() {
        let e = parse_object(br#"{"a": 1, "a": 2}"#).unwrap_err();
        assert!(e.message.contains("duplicate key \"a\""), "{e}");
        let e = parse_object(br#"{"x": {"b": [ {"c":1, "c":1} ]}}"#).unwrap_err();
        assert!(e.message.contains("duplicate key \"c\""), "{e}");
    }

    #[test]
    fn bounded_nesting() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = parse_value(deep.as_bytes()).unwrap_err();
        assert!(e.message.contains("recursion limit"), "{e}");
    }

    #[test]
    fn invalid_utf8_and_truncation() {
        assert!(parse_object(b"{\"a\": \"\xff\"}").is_err());
        let e = parse_object(br#"{"a": "b""#).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(parse_object(b"[1]").is_err());
    }

    #[test]
    fn keeps_unicode_and_numbers() {
        let m =
            parse_object("{\"s\":\"恶意软件 \\u00e9\",\"n\":12345678901234,\"f\":1.5}".as_bytes())
                .unwrap();
        assert_eq!(m["s"], "恶意软件 é");
        assert_eq!(m["n"].as_i64(), Some(12_345_678_901_234));
        assert_eq!(m["f"].as_f64(), Some(1.5));
    }
}
