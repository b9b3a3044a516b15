//! RFC 8785 (JCS) canonical JSON: the exact bytes that signatures and
//! deterministic ids are computed over.
//!
//! Written directly from `serde_json::Value` rather than through a serde
//! serializer: the serializer route buffered every member of every object
//! before sorting it, and canonicalising was the largest single cost of
//! verifying objects received from peers. `serde_json_canonicalizer` stays
//! the oracle: a property test holds this writer to its output, and numbers
//! that are not small integers are formatted by it (ECMAScript number
//! formatting is subtle and rare in STIX).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// The canonical UTF-8 serialisation of a JSON value.
pub fn to_canonical_string(value: &Value) -> Result<String, crate::StixError> {
    let mut out = String::with_capacity(512);
    write_value(&mut out, value, &[])?;
    Ok(out)
}

/// The canonical serialisation of an object with one member left out: the
/// member at `omit`, a path of keys from the top (a signature inside an
/// extension is `["extensions", "<extension id>", "sig"]`). Nothing is
/// left out when the path does not exist. The object is not copied.
pub fn to_canonical_string_omitting(
    object: &Map<String, Value>,
    omit: &[&str],
) -> Result<String, crate::StixError> {
    let mut out = String::with_capacity(512);
    write_object(&mut out, object, omit)?;
    Ok(out)
}

/// The canonical serialisation of anything that serialises as JSON.
pub fn to_canonical_string_of<T: serde::Serialize>(value: &T) -> Result<String, crate::StixError> {
    serde_json_canonicalizer::to_string(value).map_err(cannot)
}

fn cannot(e: impl std::fmt::Display) -> crate::StixError {
    crate::StixError::Invalid(crate::Issue::error(
        "$",
        "canonical-json",
        format!("cannot canonicalise: {e}"),
    ))
}

fn write_value(out: &mut String, value: &Value, omit: &[&str]) -> Result<(), crate::StixError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, &[])?;
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map, omit)?,
    }
    Ok(())
}

fn write_object(
    out: &mut String,
    map: &Map<String, Value>,
    omit: &[&str],
) -> Result<(), crate::StixError> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_unstable_by(|a, b| utf16_order(a.0, b.0));
    out.push('{');
    let mut first = true;
    for (key, value) in members {
        let below: &[&str] = match omit.split_first() {
            Some((head, rest)) if *head == key.as_str() => {
                if rest.is_empty() {
                    continue;
                }
                rest
            }
            _ => &[],
        };
        if !first {
            out.push(',');
        }
        first = false;
        write_string(out, key);
        out.push(':');
        write_value(out, value, below)?;
    }
    out.push('}');
    Ok(())
}

/// JCS sorts member names by their UTF-16 code units. UTF-8 byte order is
/// the same order, except between a character above U+FFFF (a surrogate
/// pair in UTF-16) and one from U+E000 to U+FFFF; UTF-8 lead bytes from
/// 0xEE up start exactly those characters.
fn utf16_order(a: &str, b: &str) -> Ordering {
    let plain = |s: &str| s.bytes().all(|c| c < 0xEE);
    if plain(a) && plain(b) {
        a.as_bytes().cmp(b.as_bytes())
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// Integers of magnitude up to 2^53 are exact as IEEE doubles, and
/// ECMAScript prints them as plain digits: the same digits serde_json
/// writes.
const MAX_EXACT: u64 = 1 << 53;

fn write_number(out: &mut String, n: &Number) -> Result<(), crate::StixError> {
    use std::fmt::Write;
    if let Some(u) = n.as_u64().filter(|u| *u <= MAX_EXACT) {
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_EXACT) {
        let _ = write!(out, "{i}");
    } else {
        out.push_str(&serde_json_canonicalizer::to_string(n).map_err(cannot)?);
    }
    Ok(())
}

/// A JSON string as JCS writes it: `"` and `\` escaped, the control
/// characters below U+0020 as `\b \t \n \f \r` or `\u00xx` (lower-case
/// hex), everything else as it is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, so both slices end on char boundaries.
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_formats_numbers() {
        let v = json!({"b": 1.0, "a": [1e21, "é"], "c": {"z": null, "y": true}});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            r#"{"a":[1e+21,"é"],"b":1,"c":{"y":true,"z":null}}"#
        );
    }

    #[test]
    fn rfc8785_sorting_example() {
        // RFC 8785 section 3.2.3: UTF-16 order, not code point order.
        let v: Value = serde_json::from_str(
            r#"{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
                "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let keys: Vec<String> =
            match serde_json::from_str::<serde_json::Value>(&to_canonical_string(&v).unwrap())
                .unwrap()
            {
                Value::Object(m) => m.keys().cloned().collect(),
                _ => unreachable!(),
            };
        assert_eq!(
            keys,
            [
                "\r",
                "1",
                "\u{80}",
                "\u{f6}",
                "\u{20ac}",
                "\u{1f600}",
                "\u{fb33}"
            ]
        );
    }

    #[test]
    fn omits_one_member_by_path() {
        let v = json!({"b": {"x": 1, "sig": "s", "a": [1]}, "sig": 2});
        let Value::Object(m) = &v else { unreachable!() };
        assert_eq!(
            to_canonical_string_omitting(m, &["b", "sig"]).unwrap(),
            r#"{"b":{"a":[1],"x":1},"sig":2}"#
        );
        assert_eq!(
            to_canonical_string_omitting(m, &["sig"]).unwrap(),
            r#"{"b":{"a":[1],"sig":"s","x":1}}"#
        );
        assert_eq!(
            to_canonical_string_omitting(m, &["c", "sig"]).unwrap(),
            to_canonical_string(&v).unwrap()
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|u| json!(u)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            "\\PC{0,12}".prop_map(Value::String),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,20}", n in any::<i32>()) {
            let v = json!({"s": s, "n": n, "l": [n, s]});
            let once = to_canonical_string(&v).unwrap();
            let again: Value = serde_json::from_str(&once).unwrap();
            prop_assert_eq!(to_canonical_string(&again).unwrap(), once);
        }

        /// The writer agrees byte for byte with serde_json_canonicalizer on
        /// any JSON value: numbers of every kind, any Unicode in keys and
        /// strings (control characters, surrogate pairs, U+E000 and up).
        #[test]
        fn agrees_with_serde_json_canonicalizer(v in json_value()) {
            let ours = to_canonical_string(&v).unwrap();
            let theirs = serde_json_canonicalizer::to_string(&v).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }
}
