//! Reading MISP's loosely typed fields: MISP writes numbers as strings
//! (`"timestamp": "1617875568"`, `"distribution": "5"`) and booleans as
//! `true`, `1` or `"1"`, depending on the version and the API that wrote
//! them. Each reader accepts those forms and names the JSON path of
//! anything else.

use std::borrow::Cow;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::MispError;
use crate::path::JsonPath;

fn wrong(path: &JsonPath<'_>, key: &str, expected: &str, found: &Value) -> MispError {
    MispError::shape(
        path.key(key).to_string(),
        format!(
            "expected {expected}, found {}",
            concord_stix::json::kind_of(found)
        ),
    )
}

/// A string field; numbers are given as their decimal text. Absent and
/// `null` are `None`.
pub(crate) fn text<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<Option<Cow<'v, str>>, MispError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s.as_str()))),
        Some(Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(other) => Err(wrong(path, key, "a string", other)),
    }
}

/// A string field that must be there.
pub(crate) fn required_text<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<Cow<'v, str>, MispError> {
    text(obj, key, path)?
        .ok_or_else(|| MispError::shape(path.key(key).to_string(), "required field is missing"))
}

/// An integer written as a number or as a decimal string.
pub(crate) fn int(
    obj: &Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<Option<i64>, MispError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| wrong(path, key, "an integer", &Value::Number(n.clone()))),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| {
            MispError::shape(
                path.key(key).to_string(),
                format!("expected an integer, found the string {s:?}"),
            )
        }),
        Some(other) => Err(wrong(path, key, "an integer", other)),
    }
}

/// A boolean written as `true`, `1`, `"1"` or `"true"` (and their opposites).
pub(crate) fn boolean(
    obj: &Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<Option<bool>, MispError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.as_str() {
            "0" | "false" | "False" | "" => Ok(Some(false)),
            "1" | "true" | "True" => Ok(Some(true)),
            _ => Err(MispError::shape(
                path.key(key).to_string(),
                format!("expected a boolean, found the string {s:?}"),
            )),
        },
        Some(other) => Err(wrong(path, key, "a boolean", other)),
    }
}

/// A UUID in its hyphenated form.
pub(crate) fn uuid(
    obj: &Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<Option<Uuid>, MispError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Uuid::parse_str(s.trim()).map(Some).map_err(|_| {
            MispError::shape(path.key(key).to_string(), format!("{s:?} is not a UUID"))
        }),
        Some(other) => Err(wrong(path, key, "a UUID string", other)),
    }
}

/// A UUID that must be there.
pub(crate) fn required_uuid(
    obj: &Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<Uuid, MispError> {
    uuid(obj, key, path)?
        .ok_or_else(|| MispError::shape(path.key(key).to_string(), "required UUID is missing"))
}

/// A list field; absent and `null` are the empty list.
pub(crate) fn list<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<&'v [Value], MispError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(wrong(path, key, "a list", other)),
    }
}

/// An object field; absent and `null` are `None`.
pub(crate) fn object<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &JsonPath<'_>,
) -> Result<Option<&'v Map<String, Value>>, MispError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        // PHP writes an empty object as an empty list.
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(other) => Err(wrong(path, key, "an object", other)),
    }
}

/// An element of a list that must be an object.
pub(crate) fn item<'v>(
    value: &'v Value,
    path: &JsonPath<'_>,
) -> Result<&'v Map<String, Value>, MispError> {
    value.as_object().ok_or_else(|| {
        MispError::shape(
            path.to_string(),
            format!(
                "expected an object, found {}",
                concord_stix::json::kind_of(value)
            ),
        )
    })
}
