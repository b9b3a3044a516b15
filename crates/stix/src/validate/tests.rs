//! One test per rule: a valid object, then one change that breaks one rule,
//! asserting the rule id and the JSON path of the finding.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{PatternFault, PatternGrammar, is_valid, validate, validate_with};
use crate::Severity;

fn indicator() -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
        "valid_from": "2020-01-01T00:00:00Z"
    })
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    if let Some(m) = base.as_object_mut() {
        if value.is_null() {
            m.remove(key);
        } else {
            m.insert(key.to_string(), value);
        }
    }
    base
}

fn map(v: &Value) -> &Map<String, Value> {
    v.as_object().expect("test objects are objects")
}

/// Asserts that exactly the given (path, rule) errors are reported.
fn errors(v: &Value) -> Vec<(String, &'static str)> {
    validate(map(v))
        .into_iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| (i.path, i.rule))
        .collect()
}

fn assert_error(v: Value, path: &str, rule: &str) {
    let found = errors(&v);
    assert!(
        found.iter().any(|(p, r)| p == path && *r == rule),
        "expected {rule} at {path}, got {found:?}"
    );
}

#[test]
fn valid_indicator_has_no_finding() {
    assert!(validate(map(&indicator())).is_empty());
}

#[test]
fn required_properties() {
    assert_error(
        with(indicator(), "pattern", Value::Null),
        "$.pattern",
        "required-property",
    );
    assert_error(
        with(indicator(), "spec_version", Value::Null),
        "$.spec_version",
        "required-property",
    );
    assert_error(
        with(indicator(), "type", Value::Null),
        "$.type",
        "required-property",
    );
}

#[test]
fn id_form_and_type() {
    assert_error(
        with(indicator(), "id", json!("indicator--1")),
        "$.id",
        "id-format",
    );
    assert_error(
        with(
            indicator(),
            "id",
            json!("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
        ),
        "$.id",
        "id-type",
    );
}

#[test]
fn timestamps() {
    assert_error(
        with(
            indicator(),
            "valid_from",
            json!("2020-01-01T00:00:00+01:00"),
        ),
        "$.valid_from",
        "timestamp-format",
    );
    assert_error(
        with(indicator(), "created", json!("2020-01-01T00:00:00Z")),
        "$.created",
        "timestamp-precision",
    );
    assert_error(
        with(indicator(), "modified", json!("2019-01-01T00:00:00.000Z")),
        "$.modified",
        "modified-before-created",
    );
    assert_error(
        with(indicator(), "valid_until", json!("2020-01-01T00:00:00Z")),
        "$.valid_until",
        "timestamp-order",
    );
}

#[test]
fn property_types_and_ranges() {
    assert_error(
        with(indicator(), "confidence", json!(101)),
        "$.confidence",
        "value-range",
    );
    assert_error(
        with(indicator(), "revoked", json!("no")),
        "$.revoked",
        "property-type",
    );
    assert_error(
        with(indicator(), "labels", json!([])),
        "$.labels",
        "empty-list",
    );
    assert_error(
        with(indicator(), "lang", json!("klingon")),
        "$.lang",
        "lang-value",
    );
}

#[test]
fn custom_property_names() {
    assert_error(
        with(indicator(), "Xy_z", json!(1)),
        "$.Xy_z",
        "property-name",
    );
    assert_error(
        with(indicator(), "severity", json!("high")),
        "$.severity",
        "reserved-property",
    );
    assert_error(
        with(indicator(), "x_a_bin", json!("!!")),
        "$.x_a_bin",
        "binary-format",
    );
    assert!(is_valid(&validate(map(&with(
        indicator(),
        "x_acme_score",
        json!(3)
    )))));
}

#[test]
fn kill_chain_phases_path() {
    let v = with(
        indicator(),
        "kill_chain_phases",
        json!([{"kill_chain_name": "k"}]),
    );
    assert_error(v, "$.kill_chain_phases[0].phase_name", "required-property");
}

#[test]
fn external_references() {
    let v = with(
        indicator(),
        "external_references",
        json!([{"source_name": "cve", "external_id": "x"}]),
    );
    assert_error(
        v,
        "$.external_references[0].external_id",
        "external-id-format",
    );
    let v = with(
        indicator(),
        "external_references",
        json!([{"source_name": "x"}]),
    );
    assert_error(v, "$.external_references[0]", "required-property");
}

#[test]
fn references_point_at_the_right_types() {
    let v = with(
        indicator(),
        "created_by_ref",
        json!("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
    );
    assert_error(v, "$.created_by_ref", "ref-type");
}

#[test]
fn granular_markings_and_selectors() {
    let md = "marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    let v = with(
        indicator(),
        "granular_markings",
        json!([{"selectors": ["nope"], "marking_ref": md}]),
    );
    assert_error(v, "$.granular_markings[0].selectors[0]", "selector");
    let v = with(
        indicator(),
        "granular_markings",
        json!([{"selectors": ["pattern"], "marking_ref": md}]),
    );
    assert!(errors(&v).is_empty());
}

#[test]
fn extensions() {
    let v = with(indicator(), "extensions", json!({"foo": {"a": 1}}));
    assert_error(v, "$.extensions.foo", "extension-name");
    let key = "extension-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    let v = with(indicator(), "extensions", json!({ key: {"a_b": 1} }));
    assert_error(
        v,
        &format!("$.extensions.{key}.extension_type"),
        "required-property",
    );
}

#[test]
fn vocabularies_warn_enumerations_fail() {
    let v = with(indicator(), "pattern_type", json!("sql"));
    let issues = validate(map(&v));
    assert!(is_valid(&issues));
    assert!(
        issues
            .iter()
            .any(|i| i.rule == "vocab-value" && i.path == "$.pattern_type")
    );
    let opinion = json!({
        "type": "opinion", "spec_version": "2.1",
        "id": "opinion--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "opinion": "maybe", "object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]
    });
    assert_error(opinion, "$.opinion", "enum-value");
}

#[test]
fn stix_pattern_must_not_be_empty() {
    assert_error(
        with(indicator(), "pattern", json!(" ")),
        "$.pattern",
        "pattern-empty",
    );
}

#[test]
fn other_pattern_languages_are_text_and_only_warned_when_empty() {
    for language in ["sigma", "yara", "snort", "suricata", "pcre"] {
        let v = with(indicator(), "pattern_type", json!(language));
        // Not STIX: the grammar is never asked.
        assert!(validate_with(map(&v), &Brackets).is_empty(), "{language}");
        let v = with(v, "pattern", json!(""));
        let issues = validate(map(&v));
        assert!(is_valid(&issues), "{language}: {issues:?}");
        assert!(
            issues.iter().any(|i| i.severity == Severity::Warning
                && i.rule == "pattern-empty"
                && i.path == "$.pattern"),
            "{language}: {issues:?}"
        );
    }
}

/// A stand-in grammar for this crate's own tests (the real one is
/// concord-pattern's): a pattern must close every `[` it opens.
struct Brackets;

impl PatternGrammar for Brackets {
    fn check(&self, pattern: &str) -> Result<(), PatternFault> {
        let open = pattern.matches('[').count();
        if open == pattern.matches(']').count() {
            return Ok(());
        }
        Err(PatternFault {
            line: 1,
            column: u32::try_from(pattern.chars().count() + 1).unwrap_or(u32::MAX),
            message: "expected ']'".into(),
        })
    }
}

#[test]
fn stix_patterns_go_through_the_grammar() {
    let bad = with(
        indicator(),
        "pattern",
        json!("[ipv4-addr:value = '1.2.3.4'"),
    );
    // Pattern-agnostic validation does not see it.
    assert!(is_valid(&validate(map(&bad))));
    let issues = validate_with(map(&bad), &Brackets);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        (issues[0].severity, issues[0].path.as_str(), issues[0].rule),
        (Severity::Error, "$.pattern", "pattern-syntax")
    );
    assert!(
        issues[0]
            .message
            .contains("line 1, column 29: expected ']'"),
        "{}",
        issues[0].message
    );
    assert!(validate_with(map(&indicator()), &Brackets).is_empty());
    // Only indicators' STIX patterns are parsed.
    let sigma = with(bad.clone(), "pattern_type", json!("sigma"));
    assert!(validate_with(map(&sigma), &Brackets).is_empty());
    let empty = with(indicator(), "pattern", json!(""));
    let rules: Vec<_> = validate_with(map(&empty), &Brackets)
        .into_iter()
        .map(|i| i.rule)
        .collect();
    assert_eq!(rules, ["pattern-empty"]);
}

#[test]
fn sco_ids() {
    let ip = json!({"type": "ipv4-addr", "id": "ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c", "value": "198.51.100.1"});
    assert!(validate(map(&ip)).is_empty());
    let other = with(
        ip,
        "id",
        json!("ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
    );
    let issues = validate(map(&other));
    assert!(is_valid(&issues), "a non-deterministic SCO id is a warning");
    assert!(issues.iter().any(|i| i.rule == "sco-id-deterministic"));
    let process =
        json!({"type": "process", "id": "process--a6e8f6a0-5b8a-5f3a-9a0e-2a0c1f0b8c3d", "pid": 1});
    assert_error(process, "$.id", "sco-id-version");
}

#[test]
fn sco_rules() {
    let nt = json!({"type": "network-traffic", "id": "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "src_ref": "url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "protocols": ["tcp"], "dst_port": 70000});
    assert_error(nt.clone(), "$.src_ref", "ref-type");
    assert_error(nt.clone(), "$.dst_port", "value-range");
    let nt = with(
        nt,
        "extensions",
        json!({"socket-ext": {"address_family": "AF_X"}}),
    );
    assert_error(nt, "$.extensions.socket-ext.address_family", "enum-value");
    let mac = json!({"type": "mac-addr", "id": "mac-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "value": "AA:BB:CC:DD:EE:FF"});
    assert_error(mac, "$.value", "mac-format");
}

#[test]
fn observed_data_embedded_refs() {
    let od = json!({
        "type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z",
        "number_observed": 1,
        "objects": {"0": {"type": "network-traffic", "id": "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "src_ref": "9", "protocols": ["tcp"]}}
    });
    assert_error(od, "$.objects.0.src_ref", "ref-unresolved");
}

#[test]
fn meta_objects() {
    let md = json!({"type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2020-01-01T00:00:00Z", "definition_type": "tlp", "definition": {"tlp": "white"}});
    assert_error(md, "$", "tlp-marking");
    for tlp in crate::tlp::Tlp::ALL {
        let v = tlp.marking_definition();
        assert!(is_valid(&validate(map(&v))), "{:?}", validate(map(&v)));
    }
}

#[test]
fn bundles_are_not_objects() {
    let b = json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"});
    assert_error(b, "$.type", "bundle-not-object");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z_\\-:.\\[\\]0-9]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "indicator",
            "file",
            "network-traffic",
            "marking-definition",
            "observed-data",
            "2020-01-01T00:00:00.000Z",
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "tlp",
            "statement",
            "stix",
            "extensions",
            "granular_markings",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type",
                    "id",
                    "created",
                    "modified",
                    "objects",
                    "src_ref",
                    "extensions",
                    "granular_markings",
                    "selectors",
                    "marking_ref",
                    "definition",
                    "hashes",
                    "value",
                    "x_a",
                    "kill_chain_phases",
                    "external_references",
                    "0",
                    "socket-ext",
                    "lang",
                    "is_multipart",
                    "pattern",
                ]),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    /// Whatever object arrives, validation returns findings and never panics.
    #[test]
    fn validate_never_panics(v in arb_json(), t in prop::sample::select(vec![
        "indicator", "ipv4-addr", "file", "network-traffic", "observed-data", "marking-definition",
        "language-content", "extension-definition", "location", "x-custom", "process", "bundle",
    ])) {
        let mut m = match v { Value::Object(m) => m, other => {
            let mut m = Map::new();
            m.insert("x_value".into(), other);
            m
        }};
        m.entry("type").or_insert_with(|| Value::from(t));
        let _ = validate(&m);
    }
}
