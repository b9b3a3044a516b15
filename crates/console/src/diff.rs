//! The difference between two versions of an object, property by
//! property (top level: STIX versions change whole properties).

use serde_json::{Map, Value};

/// How one property differs between version A and version B.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    Added(Value),
    Removed(Value),
    Changed(Value, Value),
}

/// The properties that differ, in key order.
pub(crate) fn diff(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<(String, Change)> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let c = match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) if x == y => return None,
                (Some(x), Some(y)) => Change::Changed(x.clone(), y.clone()),
                (Some(x), None) => Change::Removed(x.clone()),
                (None, Some(y)) => Change::Added(y.clone()),
                (None, None) => return None,
            };
            Some((k.clone(), c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn property_changes() {
        let a = map(json!({"id": "x", "name": "old", "labels": ["a"], "gone": 1}));
        let b = map(json!({"id": "x", "name": "new", "labels": ["a"], "added": true}));
        let d = diff(&a, &b);
        assert_eq!(
            d,
            vec![
                ("added".to_string(), Change::Added(json!(true))),
                ("gone".to_string(), Change::Removed(json!(1))),
                (
                    "name".to_string(),
                    Change::Changed(json!("old"), json!("new"))
                ),
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }
}
