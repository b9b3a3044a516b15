//! RFC 8785 (JCS) canonical JSON: the exact bytes that signatures and
//! deterministic ids are computed over.

use serde_json::Value;

/// The canonical UTF-8 serialisation of a JSON value.
pub fn to_canonical_string(value: &Value) -> Result<String, crate::StixError> {
    to_canonical_string_of(value)
}

/// The canonical serialisation of anything that serialises as JSON (a view
/// of a value that leaves a member out, without copying the value).
pub fn to_canonical_string_of<T: serde::Serialize>(value: &T) -> Result<String, crate::StixError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| {
        crate::StixError::Invalid(crate::Issue::error(
            "$",
            "canonical-json",
            format!("cannot canonicalise: {e}"),
        ))
    })
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

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,20}", n in any::<i32>()) {
            let v = json!({"s": s, "n": n, "l": [n, s]});
            let once = to_canonical_string(&v).unwrap();
            let again: Value = serde_json::from_str(&once).unwrap();
            prop_assert_eq!(to_canonical_string(&again).unwrap(), once);
        }
    }
}
