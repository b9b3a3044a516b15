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
        json!({"matched": true, "observed_data": ["observed-data--00000000-0000-4000-8000-000000000001"], "positions": [0]})
    );
    let (code, out, _) = run_code(
        dir.path(),
        &["pattern", "eval", "[ipv4-addr:value = '10.0.0.1']", f],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).expect("json"),
        json!({"matched": false, "observed_data": [], "positions": []})
    );
    let (code, _, err) = run_code(dir.path(), &["pattern", "eval", "[x", f], None);
    assert_eq!(code, 2);
    assert!(err.contains("invalid pattern"), "{err}");
    std::fs::write(&file, "not json").expect("write");
    let (code, _, _) = run_code(dir.path(), &["pattern", "eval", "[a:b = 1]", f], None);
    assert_eq!(code, 2);
}

/// The shapes stix2-matcher's callers give it, with the default STIX
/// version: a bundle, observed-data with the SCOs they name, a mix, and
/// observed-data with the `objects` dictionary and no ids (the input of
/// eleven cases of stix2-matcher's own suite).
#[test]
fn pattern_eval_takes_every_shape_of_observed_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let od = |n: u32, ip: u32| {
        json!({"type": "observed-data", "id": format!("observed-data--00000000-0000-4000-8000-00000000000{n}"),
               "first_observed": "2021-01-01T00:00:00Z", "last_observed": "2021-01-01T00:00:00Z",
               "number_observed": 1, "object_refs": [format!("ipv4-addr--00000000-0000-4000-8000-00000000000{ip}")]})
    };
    let ip = |n: u32, value: &str| json!({"type": "ipv4-addr", "id": format!("ipv4-addr--00000000-0000-4000-8000-00000000000{n}"), "value": value});
    let bundle = |objects: Value| json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects});
    let embedded = |i: u32| {
        json!({"type": "observed-data", "first_observed": format!("2004-10-11T21:44:5{i}Z"),
               "last_observed": format!("2004-10-11T21:44:5{i}Z"), "number_observed": 1,
               "objects": {"a0": {"type": "ipv4-addr", "value": "198.51.100.2"}}})
    };
    let second = json!(["observed-data--00000000-0000-4000-8000-000000000002"]);
    let shapes = [
        (
            "one bundle",
            bundle(json!([
                od(1, 1),
                ip(1, "198.51.100.1"),
                od(2, 2),
                ip(2, "198.51.100.2")
            ])),
            second.clone(),
        ),
        ("one observed-data", json!(od(2, 2)), json!(null)),
        (
            "observed-data and SCOs",
            json!([
                od(1, 1),
                od(2, 2),
                ip(2, "198.51.100.2"),
                ip(1, "198.51.100.1")
            ]),
            second.clone(),
        ),
        (
            "a mix",
            json!([
                bundle(json!([od(1, 1), ip(1, "198.51.100.1")])),
                od(2, 2),
                ip(2, "198.51.100.2")
            ]),
            second.clone(),
        ),
        (
            "objects dictionaries",
            json!([embedded(1), embedded(2)]),
            json!([null]),
        ),
    ];
    let file = dir.path().join("observed.json");
    let f = file.to_str().expect("path");
    for (what, input, expected) in shapes {
        std::fs::write(&file, input.to_string()).expect("write");
        let (code, out, err) = run_code(
            dir.path(),
            &["pattern", "eval", "[ipv4-addr:value = '198.51.100.2']", f],
            None,
        );
        let v: Value =
            serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("{what}: {out} {err}"));
        if expected.is_null() {
            assert_eq!((code, &v["matched"]), (1, &json!(false)), "{what}: {v}");
        } else {
            assert_eq!(
                (code, &v["observed_data"]),
                (0, &expected),
                "{what}: {v} {err}"
            );
        }
    }
    // --json names the kind of error: a pattern that does not parse, one
    // that parses but is refused, input that is not observed data.
    std::fs::write(&file, json!([od(1, 1)]).to_string()).expect("write");
    for (pattern, kind) in [
        ("[ipv4-addr:value = ", "syntax"),
        ("[ipv4-addr:value = '1'] WITHIN 0 SECONDS", "pattern"),
    ] {
        let (code, out, _) = run_code(dir.path(), &["--json", "pattern", "eval", pattern, f], None);
        let v: Value = serde_json::from_str(out.trim()).expect("json");
        assert_eq!(
            (code, &v["error"]["kind"]),
            (2, &json!(kind)),
            "{pattern}: {v}"
        );
    }
    std::fs::write(&file, json!([{"type": "observed-data"}]).to_string()).expect("write");
    let (code, out, _) = run_code(
        dir.path(),
        &["--json", "pattern", "eval", "[a:b = 1]", f],
        None,
    );
    let v: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!((code, &v["error"]["kind"]), (2, &json!("input")), "{v}");
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

/// Zeek's default TSV logs and free-text firewall lines, as an analyst
/// points `concord match` at them: headers are no events, the fields come
/// from `#fields`, and every observable in a text line is checked.
#[test]
fn zeek_tsv_and_free_text_lines_are_matched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (code, _, err) = run_code(&data, &["init"], None);
    assert_eq!(code, 0, "{err}");
    let indicator = |n: u32, pattern: &str| {
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-0000000000{n:02}"),
            "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
            "name": format!("i{n}"), "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2025-01-01T00:00:00Z"
        })
    };
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000019", "objects": [
        indicator(1, "[ipv4-addr:value = '203.0.113.7']"),
        indicator(2, "[domain-name:value = 'evil.example']"),
    ]});
    let file = dir.path().join("b.json");
    std::fs::write(&file, bundle.to_string()).expect("write");
    let (code, _, err) = run_code(&data, &["import", file.to_str().expect("path")], None);
    assert_eq!(code, 0, "{err}");
    let conn = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tconn",
        "#open\t2026-12-03-10-00-00",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring",
        "1764756000.1\tCa1\t10.0.0.5\t51000\t198.51.100.1\t443\ttcp\tssl",
        "1764756001.2\tCa2\t10.0.0.5\t51001\t203.0.113.7\t443\ttcp\t-",
        "#close\t2026-12-03-11-00-00",
    ]
    .join("\n")
        + "\n";
    let log = dir.path().join("conn.log");
    std::fs::write(&log, conn).expect("write");
    let (code, out, err) = run_code(&data, &["match", log.to_str().expect("path")], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("2 events, 1 hits"),
        "headers are no events: {err}"
    );
    let hit: Value = serde_json::from_str(out.lines().next().expect("a hit")).expect("json");
    assert_eq!(
        (hit["line"].as_u64(), hit["observable"].as_str()),
        (Some(10), Some("203.0.113.7"))
    );
    // Free text: a firewall line and a defanged report line.
    let text = "Dec  3 10:00:01 fw kernel: DROP IN=eth0 SRC=10.0.0.5 DST=203.0.113.7 PROTO=TCP\nphishing from hxxp://evil[.]example/reset seen today\nnothing here\n";
    let (code, out, err) = run_code(&data, &["match", "--format", "text"], Some(text));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<u64> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["line"]
                .as_u64()
                .expect("line")
        })
        .collect();
    assert_eq!(lines, vec![1, 2], "{out}");
}
