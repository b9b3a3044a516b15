//! What lists give: valid STIX 2.1 indicators whose patterns parse and
//! name the exact value (quotes and backslashes included), ids that depend
//! only on the feed and the value, versions that change only with content;
//! STIX and TAXII bodies read object by object.

use concord_feeds::{Change, ColumnMapping, FeedFormat, FeedState, Validators, parse};
use concord_matcher::{Format, Index, Scratch, read_line};
use concord_pattern::{ComparisonExpr, Literal, Operator, Pattern};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::support::{Readers, at, spec};

/// Every object valid STIX 2.1 through the import path, every pattern
/// parsed; returns each indicator's (path, value) read back from its
/// pattern.
fn checked(objects: &[&Map<String, Value>]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for o in objects {
        let text = serde_json::to_vec(o).expect("json");
        let read = concord_stix::ingest::read_object(&text, &concord_pattern::Grammar);
        assert!(
            read.is_ok(),
            "{:?}\n{}",
            read.err(),
            String::from_utf8_lossy(&text)
        );
        let pattern =
            Pattern::parse(o["pattern"].as_str().expect("pattern")).expect("pattern parses");
        let Some(ComparisonExpr::Test(t)) = pattern.comparisons().first().copied() else {
            panic!("one comparison: {}", o["pattern"])
        };
        let (Operator::Eq(Literal::Str(v)) | Operator::IsSubset(v)) = &t.op else {
            panic!("= or ISSUBSET: {}", o["pattern"])
        };
        out.push((t.path.to_string(), v.clone()));
    }
    out
}

#[test]
fn text_list_to_indicators_that_match() {
    let spec = spec(
        "cert-x blocklist",
        "http://127.0.0.1/list.txt",
        FeedFormat::Text,
    );
    let body = "# CERT-X blocklist\n203.0.113.7\n198.51.100.0/24\nevil[.]example\nhxxp://evil.example/it's\\here\nd41d8cd98f00b204e9800998ecf8427e\nphish[at]evil.example\nnot a value\n";
    let parsed = parse(
        &spec,
        body.as_bytes(),
        at("2026-12-03T10:00:00Z"),
        &FeedState::default(),
        &Readers,
    )
    .expect("parse");
    assert_eq!(parsed.problems.len(), 1);
    assert_eq!(parsed.problems[0].line, 8);
    let objects: Vec<&Map<String, Value>> = parsed.to_store().collect();
    assert_eq!(objects.len(), 6);
    assert_eq!(
        checked(&objects),
        vec![
            ("ipv4-addr:value".to_string(), "203.0.113.7".to_string()),
            ("ipv4-addr:value".into(), "198.51.100.0/24".into()),
            ("domain-name:value".into(), "evil.example".into()),
            ("url:value".into(), "http://evil.example/it's\\here".into()),
            (
                "file:hashes.MD5".into(),
                "d41d8cd98f00b204e9800998ecf8427e".into()
            ),
            ("email-addr:value".into(), "phish@evil.example".into()),
        ]
    );
    let o = objects[0];
    assert_eq!(o["created"], "2026-12-03T10:00:00.000Z");
    assert_eq!(o["valid_from"], o["created"]);
    assert_eq!(
        o["external_references"][0]["source_name"],
        "cert-x blocklist"
    );
    // What the feed gives, the matcher finds.
    let values: Vec<Value> = objects
        .iter()
        .map(|o| Value::Object((*o).clone()))
        .collect();
    let (index, errors) = Index::build(
        &values,
        Some(concord_pattern::Timestamp::parse("2026-12-04T00:00:00Z").expect("ts")),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let mut hits = Vec::new();
    for (format, line, names) in [
        (
            Format::Text,
            "Dec  3 10:00:01 fw kernel: DROP SRC=10.0.0.5 DST=203.0.113.7",
            &["203.0.113.7"][..],
        ),
        (
            Format::Text,
            "Dec  3 10:00:02 fw kernel: DROP SRC=10.0.0.5 DST=198.51.100.99",
            &["198.51.100.0/24"],
        ),
        (
            Format::Text,
            "query evil.example from 10.0.0.9",
            &["evil.example"],
        ),
        (
            Format::Json,
            r#"{"url": "http://evil.example/it's\\here"}"#,
            &["evil.example", "http://evil.example/it's\\here"],
        ),
        (
            Format::Text,
            "md5 D41D8CD98F00B204E9800998ECF8427E",
            &["d41d8cd98f00b204e9800998ecf8427e"],
        ),
        (
            Format::Text,
            "from=<phish@evil.example>",
            &["evil.example", "phish@evil.example"],
        ),
    ] {
        hits.clear();
        let obs = read_line(format, &[], line, "t", 1).expect("line");
        index.match_event(&obs, &mut Scratch::default(), &mut hits);
        let mut got: Vec<String> = hits
            .iter()
            .map(|h| {
                index
                    .info(h.slot)
                    .expect("slot")
                    .name
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        got.sort();
        assert_eq!(got, names, "{line}: {obs:?}");
    }
}

#[test]
fn any_value_in_any_column_gives_a_valid_pattern() {
    let mut spec = spec("names", "http://127.0.0.1/names.csv", FeedFormat::Csv);
    spec.csv.columns = vec![
        ColumnMapping::parse("file=file:name").expect("mapping"),
        ColumnMapping::parse("note=x-custom-thing:'odd key'.sub").expect("mapping"),
    ];
    // Raw CSV: "evil'\""x.exe" and "a\\b'c", then "\\server\share\it's.dll".
    let body = r#"file,note
"evil'\""x.exe","a\\b'c"
"\\server\share\it's.dll",
"#;
    let parsed = parse(
        &spec,
        body.as_bytes(),
        at("2026-12-03T10:00:00Z"),
        &FeedState::default(),
        &Readers,
    )
    .expect("parse");
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let objects: Vec<_> = parsed.to_store().collect();
    assert_eq!(
        checked(&objects),
        vec![
            ("file:name".to_string(), "evil'\\\"x.exe".to_string()),
            ("x-custom-thing:'odd key'.sub".into(), "a\\\\b'c".into()),
            ("file:name".into(), "\\\\server\\share\\it's.dll".into()),
        ]
    );
}

#[test]
fn versions_are_stable_and_change_with_content() {
    let mut spec = spec("csv feed", "http://127.0.0.1/iocs.csv", FeedFormat::Csv);
    spec.tlp = Some(concord_stix::tlp::Tlp::Amber);
    let v1 = "ipv4-addr:value,description\n203.0.113.7,C2\n203.0.113.8,scanner\n203.0.113.9,old\n";
    let mut state = FeedState::default();
    let first = parse(
        &spec,
        v1.as_bytes(),
        at("2026-12-03T10:00:00Z"),
        &state,
        &Readers,
    )
    .expect("parse");
    assert!(first.objects.iter().all(|o| o.change == Change::New));
    assert_eq!(
        first.objects[0].object["object_marking_refs"][0],
        concord_stix::tlp::Tlp::Amber.marking_id()
    );
    state.commit(&first, Validators::default(), "2026-12-03T10:00:00.000Z");

    // The same list a day later: the very same objects, nothing to store.
    let again = parse(
        &spec,
        v1.as_bytes(),
        at("2026-12-04T10:00:00Z"),
        &state,
        &Readers,
    )
    .expect("parse");
    assert_eq!(again.to_store().count(), 0);
    let ids = |p: &concord_feeds::Parsed| -> Vec<Value> {
        p.objects
            .iter()
            .map(|o| json!([o.object["id"], o.object["modified"]]))
            .collect()
    };
    assert_eq!(ids(&again), ids(&first));
    assert_eq!(
        again.objects.iter().map(|o| &o.object).collect::<Vec<_>>(),
        first.objects.iter().map(|o| &o.object).collect::<Vec<_>>()
    );
    state.commit(&again, Validators::default(), "2026-12-04T10:00:00.000Z");

    // One description changed, one line gone, one line new.
    let v2 = "ipv4-addr:value,description\n203.0.113.7,C2 of Op. Winter\n203.0.113.8,scanner\n203.0.113.10,new\n";
    let third = parse(
        &spec,
        v2.as_bytes(),
        at("2026-12-05T10:00:00Z"),
        &state,
        &Readers,
    )
    .expect("parse");
    let changes: Vec<Change> = third.objects.iter().map(|o| o.change).collect();
    assert_eq!(changes, [Change::Changed, Change::Unchanged, Change::New]);
    let changed = &third.objects[0].object;
    assert_eq!(changed["id"], first.objects[0].object["id"]);
    assert_eq!(changed["created"], "2026-12-03T10:00:00.000Z");
    assert_eq!(changed["valid_from"], "2026-12-03T10:00:00.000Z");
    assert_eq!(changed["modified"], "2026-12-05T10:00:00.000Z");
    assert_eq!(third.objects[1].object, first.objects[1].object);
    assert_eq!(
        third.removed,
        vec![
            first.objects[2].object["id"]
                .as_str()
                .expect("id")
                .to_string()
        ]
    );
    checked(&third.to_store().collect::<Vec<_>>());
    state.commit(&third, Validators::default(), "2026-12-05T10:00:00.000Z");

    // The removed line comes back: same id and created, a new version.
    let v3 = "ipv4-addr:value,description\n203.0.113.9,old\n";
    let fourth = parse(
        &spec,
        v3.as_bytes(),
        at("2026-12-06T10:00:00Z"),
        &state,
        &Readers,
    )
    .expect("parse");
    assert_eq!(fourth.objects[0].change, Change::Changed);
    assert_eq!(
        fourth.objects[0].object["created"],
        "2026-12-03T10:00:00.000Z"
    );
    assert_eq!(
        fourth.objects[0].object["modified"],
        "2026-12-06T10:00:00.000Z"
    );
}

#[test]
fn ids_depend_on_feed_and_value_only() {
    let now = at("2026-12-03T10:00:00Z");
    let text = spec("shared", "http://127.0.0.1/a.txt", FeedFormat::Text);
    let mut csv = spec("shared", "http://127.0.0.1/b.csv", FeedFormat::Csv);
    csv.csv.columns = vec![ColumnMapping::parse("2=file:hashes.md5").expect("mapping")];
    csv.csv.header = false;
    let a = parse(
        &text,
        b"D41D8CD98F00B204E9800998ECF8427E\n",
        now,
        &FeedState::default(),
        &Readers,
    )
    .expect("text");
    let b = parse(
        &csv,
        b"x,d41d8cd98f00b204e9800998ecf8427e\n",
        now,
        &FeedState::default(),
        &Readers,
    )
    .expect("csv");
    assert_eq!(a.objects[0].object["id"], b.objects[0].object["id"]);
    let other = spec("another feed", "http://127.0.0.1/a.txt", FeedFormat::Text);
    let c = parse(
        &other,
        b"d41d8cd98f00b204e9800998ecf8427e\n",
        now,
        &FeedState::default(),
        &Readers,
    )
    .expect("text");
    assert_ne!(a.objects[0].object["id"], c.objects[0].object["id"]);
    // A value twice in one list is one indicator.
    let d = parse(
        &text,
        b"evil.example\nEVIL.example.\n",
        now,
        &FeedState::default(),
        &Readers,
    )
    .expect("text");
    assert_eq!((d.objects.len(), d.duplicates), (1, 1));
}

#[test]
fn a_body_of_nothing_readable_is_refused() {
    let text = spec("t", "http://127.0.0.1/a.txt", FeedFormat::Text);
    let err = parse(
        &text,
        b"<html><body>Service unavailable</body></html>\n",
        at("2026-12-03T10:00:00Z"),
        &FeedState::default(),
        &Readers,
    )
    .expect_err("html");
    assert!(
        err.to_string().contains("nothing in it could be read"),
        "{err}"
    );
    let empty = parse(
        &text,
        b"# nothing listed today\n",
        at("2026-12-03T10:00:00Z"),
        &FeedState::default(),
        &Readers,
    )
    .expect("empty list");
    assert!(empty.objects.is_empty() && empty.problems.is_empty());
}

#[test]
fn stix_and_taxii_bodies_object_by_object() {
    let indicator = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z", "pattern": "[domain-name:value = 'evil.example']",
        "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"});
    let bad_pattern = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--1e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "pattern": "[domain-name:value = ",
        "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"});
    let bad_date = json!({"type": "malware", "spec_version": "2.1", "id": "malware--2e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-13-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": "x", "is_family": false});
    let bundle = json!({"type": "bundle", "id": "bundle--3e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [indicator, bad_pattern, bad_date]});
    let body = serde_json::to_vec_pretty(&bundle).expect("json");
    let stix = spec("stix feed", "http://127.0.0.1/b.json", FeedFormat::Stix);
    let mut state = FeedState::default();
    let parsed = parse(&stix, &body, at("2026-12-03T10:00:00Z"), &state, &Readers).expect("stix");
    assert_eq!(parsed.objects.len(), 1);
    assert_eq!(
        parsed.objects[0].object,
        *indicator.as_object().expect("object")
    );
    assert_eq!(parsed.problems.len(), 2, "{:?}", parsed.problems);
    assert!(
        parsed.problems.iter().any(|p| p.reason.contains("pattern")),
        "{:?}",
        parsed.problems
    );
    assert!(
        parsed.problems.iter().any(|p| p.reason.contains("month")),
        "{:?}",
        parsed.problems
    );
    state.commit(&parsed, Validators::default(), "2026-12-03T10:00:00.000Z");
    let again = parse(&stix, &body, at("2026-12-04T10:00:00Z"), &state, &Readers).expect("stix");
    assert_eq!(again.objects[0].change, Change::Unchanged);
    let taxii = spec(
        "taxii feed",
        "http://127.0.0.1/taxii2/api/collections/x/objects/",
        FeedFormat::Taxii,
    );
    let envelope =
        serde_json::to_vec(&json!({"more": false, "objects": [indicator]})).expect("json");
    let t = parse(
        &taxii,
        &envelope,
        at("2026-12-03T10:00:00Z"),
        &FeedState::default(),
        &Readers,
    )
    .expect("taxii");
    assert_eq!((t.objects.len(), t.objects[0].change), (1, Change::New));
    let misp = spec("misp feed", "http://127.0.0.1/event.json", FeedFormat::Misp);
    let err = parse(
        &misp,
        b"{}",
        at("2026-12-03T10:00:00Z"),
        &FeedState::default(),
        &Readers,
    )
    .expect_err("no reader");
    assert!(
        err.to_string().contains("these tests bring no MISP reader"),
        "{err}"
    );
}

proptest! {
    /// Any text in a column of any object path becomes an indicator that is
    /// valid STIX and whose pattern compares with exactly that text.
    #[test]
    fn arbitrary_cell_values(values in prop::collection::vec("[^\\x00-\\x1f\"]{1,24}", 1..6)) {
        let mut spec = spec("fuzzy", "http://127.0.0.1/f.csv", FeedFormat::Csv);
        spec.csv.columns = vec![ColumnMapping::parse("1=process:command_line").expect("mapping")];
        spec.csv.header = false;
        let body: String = values.iter().map(|v| format!("\"{v}\"\n")).collect();
        let parsed = parse(&spec, body.as_bytes(), at("2026-12-03T10:00:00Z"), &FeedState::default(), &Readers);
        let trimmed: Vec<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
        if trimmed.is_empty() {
            return Ok(());
        }
        let parsed = parsed.expect("parse");
        let got: Vec<String> = checked(&parsed.to_store().collect::<Vec<_>>()).into_iter().map(|(_, v)| v).collect();
        let mut want: Vec<String> = Vec::new();
        for v in trimmed {
            if !want.iter().any(|w| w == v) {
                want.push(v.to_string());
            }
        }
        prop_assert_eq!(got, want);
    }
}
