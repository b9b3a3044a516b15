//! Lossless reading: whatever a valid object carries (custom properties,
//! custom object types, extensions, granular markings, any Unicode, any
//! timestamp precision) comes back with equal JSON meaning after
//! read -> store text -> read.

use concord_stix::ingest::{read_object, storable_json};
use proptest::prelude::*;
use serde_json::{Value, json};

fn round_trip(v: &Value) -> Value {
    for text in [
        v.to_string(),
        serde_json::to_string_pretty(v).expect("a Value always serialises"),
    ] {
        let checked = read_object(text.as_bytes(), &concord_pattern::Grammar)
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let stored = storable_json(text.as_bytes(), &checked.object);
        let back: Value = serde_json::from_str(&stored).expect("stored text is JSON");
        assert_eq!(&back, v);
    }
    v.clone()
}

#[test]
fn custom_objects_extensions_and_granular_markings_survive() {
    round_trip(&json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.123456789Z",
        "modified": "2016-04-06T20:03:48.123456789Z",
        "name": "نطاق تصيد — 恶意软件 — 🦀",
        "description": "Multi-line\ntext with \"quotes\" and \\ backslashes",
        "pattern": "[domain-name:value = 'xn--80ak6aa92e.example']",
        "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z",
        "granular_markings": [
            {"marking_ref": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "selectors": ["description"]}
        ],
        "extensions": {
            "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {
                "extension_type": "property-extension",
                "rank": 5,
                "toxicity": 8.25,
                "nested": {"deep": [1, 2, {"x": null}]}
            }
        },
        "x_acme_score": 99,
        "x_acme_tags": ["a", "b"]
    }));
    round_trip(&json!({
        "type": "x-acme-widget",
        "spec_version": "2.1",
        "id": "x-acme-widget--2f9d9a3c-4c6e-4a5b-9f1a-0d8c2f3e4b5a",
        "created": "2021-01-01T00:00:00.000Z",
        "modified": "2021-01-01T00:00:00.000Z",
        "x_widget_size": 12345678901234i64,
        "extensions": {
            "extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62": {"extension_type": "new-sdo"}
        }
    }));
}

proptest! {
    #[test]
    fn custom_properties_of_any_shape_survive(
        s in "\\PC{0,40}",
        n in -(1i64 << 53)..(1i64 << 53),
        f in -1.0e12f64..1.0e12,
        b in any::<bool>(),
    ) {
        let v = json!({
            "type": "malware",
            "spec_version": "2.1",
            "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
            "created": "2020-01-01T00:00:00.000Z",
            "modified": "2020-01-01T00:00:00.000Z",
            "name": s,
            "is_family": b,
            "x_text": s,
            "x_int": n,
            "x_float": f,
            "x_list": [s, n, f, b, null],
            "x_obj": {"k": s, "n": {"m": n}}
        });
        round_trip(&v);
    }
}
