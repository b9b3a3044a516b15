//! `concord pattern check|eval` and `concord match`: outputs and exit codes
//! are a contract.

use serde_json::{Value, json};

use crate::harness::run_code;

#[test]
fn pattern_check_and_eval() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, out, _) = run_code(
        dir.path(),
        &["pattern", "check", "[ipv4-addr:value = '198.51.100.1']"],
        None,
    );
    assert_eq!((code, out.trim()), (0, "valid"));
    let (code, _, err) = run_code(
        dir.path(),
        &["pattern", "check", "[ipv4-addr:value = ]"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("1:20"), "{err}");

    let bundles = json!([{"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000001",
         "first_observed": "2021-01-01T00:00:00Z", "last_observed": "2021-01-01T00:00:00Z",
         "number_observed": 1, "object_refs": ["ipv4-addr--00000000-0000-4000-8000-000000000001"]},
        {"type": "ipv4-addr", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "198.51.100.1"}]}]);
    let file = dir.path().join("observed.json");
    std::fs::write(&file, bundles.to_string()).expect("write");
    let f = file.to_str().expect("path");
    let (code, out, _) = run_code(
        dir.path(),
        &[
            "pattern",
            "eval",
            "--stix-version",
            "2.1",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            f,
        ],
        None,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(
        v,
        json!({"matched": true, "observed_data": ["observed-data--00000000-0000-4000-8000-000000000001"]})
    );
    let (code, out, _) = run_code(
        dir.path(),
        &["pattern", "eval", "[ipv4-addr:value = '10.0.0.1']", f],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).expect("json"),
        json!({"matched": false, "observed_data": []})
    );
    let (code, _, err) = run_code(dir.path(), &["pattern", "eval", "[x", f], None);
    assert_eq!(code, 2);
    assert!(err.contains("invalid pattern"), "{err}");
    std::fs::write(&file, "not json").expect("write");
    let (code, _, _) = run_code(dir.path(), &["pattern", "eval", "[a:b = 1]", f], None);
    assert_eq!(code, 2);
}

#[test]
fn match_reports_hits_from_the_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (code, _, err) = run_code(&data, &["init"], None);
    assert_eq!(code, 0, "{err}");
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z", "name": "Bad net",
        "pattern": "[ipv4-addr:value ISSUBSET '203.0.113.0/24']", "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z", "confidence": 70,
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}]});
    let file = dir.path().join("b.json");
    std::fs::write(&file, bundle.to_string()).expect("write");
    let (code, _, err) = run_code(&data, &["import", file.to_str().expect("path")], None);
    assert_eq!(code, 0, "{err}");
    let lines = "{\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"203.0.113.9\"}\n198.51.100.1\n{broken\n203.0.113.200\n";
    let (code, out, err) = run_code(&data, &["match"], Some(lines));
    assert_eq!(code, 1, "a malformed line makes the run fail: {err}");
    assert!(err.contains("-:3:"), "{err}");
    assert!(err.contains("3 events, 2 hits"), "{err}");
    let hits: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("hit json"))
        .collect();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["line"], 1);
    assert_eq!(hits[0]["observable"], "203.0.113.9");
    assert_eq!(
        hits[0]["indicator"],
        "indicator--00000000-0000-4000-8000-000000000001"
    );
    assert_eq!(hits[0]["name"], "Bad net");
    assert_eq!(hits[0]["confidence"], 70);
    assert_eq!(hits[0]["tlp"], "green");
    assert_eq!(hits[1]["line"], 4);
}
