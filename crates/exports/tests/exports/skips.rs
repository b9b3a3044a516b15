//! Every reason an indicator or a value is left out, each reported with
//! the id, the pattern and (for one value) the value.

use concord_exports::{
    ExportContext, ExportReport, Kind, RpzOptions, SkipReason, Target, TextOptions,
};
use serde_json::{Map, Value, json};

use super::support::{authors, check_zone, id, indicator, now, run, run_with};

fn objects() -> Vec<Map<String, Value>> {
    let dom = |n: u32| format!("[domain-name:value = 'd{n}.example']");
    let mut v = vec![
        json!({"type": "malware", "id": "malware--00000000-0000-4000-8000-000000000001", "name": "x"})
            .as_object()
            .expect("an object")
            .clone(),
        indicator(2, &dom(2), json!({"id": null})),
        // Two versions of 3: the older one is superseded.
        indicator(3, &dom(3), json!({"modified": "2026-11-02T00:00:00Z"})),
        indicator(3, "[domain-name:value = 'old.example']", json!({})),
        indicator(4, &dom(4), json!({"revoked": true})),
        indicator(
            5,
            &dom(5),
            json!({"revoked": true, "x_concord_withdrawal_reason": "false positive"}),
        ),
        indicator(6, &dom(6), json!({"valid_until": "2026-11-15T00:00:00Z"})),
        indicator(7, &dom(7), json!({"valid_from": "2027-01-01T00:00:00Z"})),
        indicator(8, &dom(8), json!({"valid_until": "tomorrow"})),
        indicator(9, "rule x { condition: true }", json!({"pattern_type": "yara"})),
        indicator(10, &dom(10), json!({"pattern": null})),
        indicator(11, "[domain-name:value = ]", json!({})),
        indicator(
            12,
            "[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']",
            json!({}),
        ),
        indicator(
            13,
            "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
            json!({}),
        ),
        indicator(14, "[ipv4-addr:value = '1.2.3.4'] REPEATS 3 TIMES", json!({})),
        indicator(15, "[domain-name:value LIKE '%.example']", json!({})),
        indicator(16, "[domain-name:value NOT = 'a.example']", json!({})),
        indicator(17, "[file:name = 'evil.exe']", json!({})),
        indicator(
            18,
            "[domain-name:value = 'a.example'] OR [url:value = 'http://a.example/']",
            json!({}),
        ),
        indicator(
            19,
            "[domain-name:value = 'ok.example' OR domain-name:value = 'not ok']",
            json!({}),
        ),
        indicator(20, &dom(20), json!({"confidence": 10})),
        indicator(21, &dom(21), json!({"confidence": null})),
        indicator(22, "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']", json!({})),
        indicator(23, "[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS", json!({})),
        // An id that would break out of a zone comment into a record.
        indicator(24, &dom(24), json!({"id": "indicator--1\n@ NS evil.example."})),
        indicator(25, &dom(25), json!({"id": "malware--00000000-0000-4000-8000-000000000025"})),
    ];
    v.push(indicator(1, &dom(1), json!({})));
    v
}

fn codes(report: &ExportReport) -> Vec<(String, &'static str)> {
    report
        .skipped
        .iter()
        .map(|s| (s.id.clone(), s.reason.code()))
        .collect()
}

#[test]
fn each_skip_reason_is_reported_with_id_pattern_and_value() {
    let objs = objects();
    let authors = authors();
    let ctx = ExportContext::new(now(), &authors).with_min_confidence(50);
    let (text, report) = run_with(Target::Text(TextOptions::default()), &objs, &ctx);
    assert_eq!(text, "d1.example\nd3.example\nok.example\n");
    let want: Vec<(String, &str)> = vec![
        (
            "malware--00000000-0000-4000-8000-000000000001".into(),
            "not-an-indicator",
        ),
        (String::new(), "missing-id"),
        (id(3), "superseded"),
        (id(4), "revoked"),
        (id(5), "withdrawn"),
        (id(6), "expired"),
        (id(7), "not-yet-valid"),
        (id(8), "bad-timestamp"),
        (id(9), "pattern-type"),
        (id(10), "missing-pattern"),
        (id(11), "invalid-pattern"),
        (id(12), "unsupported-pattern"),
        (id(13), "unsupported-pattern"),
        (id(14), "unsupported-pattern"),
        (id(15), "unsupported-pattern"),
        (id(16), "unsupported-pattern"),
        (id(17), "unsupported-pattern"),
        (id(18), "mixed-observables"),
        (id(19), "invalid-value"),
        (id(20), "low-confidence"),
        (id(21), "low-confidence"),
        (id(22), "unsupported-pattern"),
        (id(23), "unsupported-pattern"),
        ("indicator--1\n@ NS evil.example.".into(), "invalid-id"),
        (
            "malware--00000000-0000-4000-8000-000000000025".into(),
            "invalid-id",
        ),
    ];
    // The order is the input's, except that ids are checked before the
    // rest of an object.
    let mut got = codes(&report);
    let mut want = want;
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let by_id = |n: u32| {
        report
            .skipped
            .iter()
            .find(|s| s.id == id(n))
            .expect("a skip")
    };
    // The older version 3 is the one left out.
    assert_eq!(
        by_id(3).pattern.as_deref(),
        Some("[domain-name:value = 'old.example']")
    );
    assert_eq!(
        by_id(5).reason.to_string(),
        "withdrawn by its author: false positive"
    );
    assert_eq!(
        by_id(6).reason.to_string(),
        "expired (valid_until 2026-11-15T00:00:00Z)"
    );
    assert_eq!(
        by_id(12).reason.to_string(),
        "pattern uses AND between observations, which is not exported"
    );
    assert_eq!(
        by_id(14).reason.to_string(),
        "pattern uses the qualifier REPEATS 3 TIMES, which is not exported"
    );
    assert_eq!(
        by_id(23).reason.to_string(),
        "pattern uses the qualifier WITHIN 60 SECONDS, which is not exported"
    );
    assert_eq!(
        by_id(15).reason.to_string(),
        "pattern uses the operator LIKE, which is not exported"
    );
    assert_eq!(
        by_id(16).reason.to_string(),
        "pattern uses NOT, which is not exported"
    );
    assert_eq!(by_id(9).reason.to_string(), "pattern_type yara is not stix");
    assert!(
        by_id(11)
            .reason
            .to_string()
            .starts_with("invalid pattern: ")
    );
    assert_eq!(
        by_id(18).reason.to_string(),
        "pattern ORs different observables (domain-name, url)"
    );
    assert_eq!(by_id(19).value.as_deref(), Some("not ok"));
    assert!(matches!(
        by_id(19).reason,
        SkipReason::InvalidValue {
            kind: Kind::DomainName,
            ..
        }
    ));
    assert_eq!(by_id(20).reason.to_string(), "confidence 10 is below 50");
    assert_eq!(
        by_id(21).reason.to_string(),
        "no confidence, and the minimum is 50"
    );
    let counts = report.skipped_by_reason();
    assert_eq!(counts["unsupported-pattern"], 8);
    // The report serialises for `--report --json`.
    let json = serde_json::to_value(&report).unwrap();
    let withdrawn = json["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id(5))
        .unwrap();
    assert_eq!(withdrawn["skip"], "withdrawn");
    assert_eq!(withdrawn["reason"], "false positive");
    assert_eq!(json["format"], "text");
}

#[test]
fn inactive_indicators_are_exported_when_asked() {
    let objs = objects();
    let authors = authors();
    let ctx = ExportContext::new(now(), &authors).with_inactive();
    let (text, report) = run_with(Target::Text(TextOptions::default()), &objs, &ctx);
    for n in [4, 5, 6, 7, 8, 20, 21] {
        assert!(text.contains(&format!("d{n}.example\n")), "{n}: {text}");
    }
    assert!(!report.skipped.iter().any(|s| matches!(
        s.reason,
        SkipReason::Revoked | SkipReason::Withdrawn { .. } | SkipReason::Expired { .. }
    )));
}

#[test]
fn rpz_leaves_out_names_it_cannot_carry() {
    let long = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(60)
    );
    let objs = vec![
        indicator(1, "[domain-name:value = 'x.rpz-ip']", json!({})),
        indicator(2, "[domain-name:value = 'x.rpz-nsdname']", json!({})),
        indicator(3, &format!("[domain-name:value = '{long}']"), json!({})),
        indicator(4, "[url:value = 'http://203.0.113.9/x']", json!({})),
        indicator(
            5,
            &format!(
                "[domain-name:value = '{}.{}.{}.{}']",
                "a".repeat(63),
                "b".repeat(63),
                "c".repeat(63),
                "d".repeat(49)
            ),
            json!({}),
        ),
        indicator(6, "[domain-name:value = 'fine.example']", json!({})),
    ];
    let mut options = RpzOptions::new(1);
    options.url_hosts = true;
    options.wildcard = true;
    let (zone, report) = run(Target::Rpz(options), &objs);
    check_zone("rpz.concord.", &zone);
    let why: Vec<(String, String)> = report
        .skipped
        .iter()
        .map(|s| (s.id.clone(), s.reason.to_string()))
        .collect();
    assert!(
        why[0]
            .1
            .contains("would be read as another kind of RPZ trigger"),
        "{why:?}"
    );
    assert!(why[1].1.contains("rpz-nsdname"), "{why:?}");
    assert!(
        why[2].1.contains("octets on the wire, more than 255"),
        "{why:?}"
    );
    assert!(why[3].1.contains("the URL's host is an address"), "{why:?}");
    // 5 fits, its wildcard does not.
    assert_eq!(why[4].0, id(5));
    assert!(why[4].1.contains("wildcard owner name"), "{why:?}");
    assert_eq!(why.len(), 5, "{why:?}");
    assert!(zone.contains(&format!(
        "\n{}.{}.{}.{} CNAME . ; {}\n",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(49),
        id(5)
    )));
    assert!(zone.contains("\n*.fine.example CNAME . ;"));
}
