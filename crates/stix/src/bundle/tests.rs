use super::*;

fn read_all(input: &[u8]) -> Vec<Result<RawObject, ReadError>> {
    BundleReader::new(input).collect()
}

fn paths(input: &[u8]) -> Vec<String> {
    read_all(input)
        .into_iter()
        .map(|r| match r {
            Ok(o) => o.location.path,
            Err(e) => format!("ERR {e}"),
        })
        .collect()
}

#[test]
fn bundle_members_are_streamed_in_order() {
    let input = br#"{"type": "bundle", "id": "bundle--1",
      "objects": [ {"a": 1}, {"b": [1, {"c": "}]\"x"}]} ,{"d":"\\"} ]}"#;
    let items = read_all(input);
    assert_eq!(items.len(), 3);
    let objs: Vec<_> = items.into_iter().map(Result::unwrap).collect();
    assert_eq!(objs[0].bytes, br#"{"a": 1}"#);
    assert_eq!(objs[1].bytes, br#"{"b": [1, {"c": "}]\"x"}]}"#);
    assert_eq!(objs[2].bytes, br#"{"d":"\\"}"#);
    assert_eq!(objs[1].location.path, "$.objects[1]");
    assert_eq!(objs[1].location.line, 2);
    assert_eq!(objs[2].location.index, 2);
}

#[test]
fn envelope_members_after_objects_are_checked() {
    let ok = br#"{"objects": [{"x": 1}], "type": "bundle", "id": "bundle--1"}"#;
    assert_eq!(paths(ok), vec!["$.objects[0]"]);
    let not_bundle = br#"{"objects": [{"x": 1}], "type": "report"}"#;
    let r = read_all(not_bundle);
    assert!(
        matches!(r.last(), Some(Err(ReadError::Envelope { .. }))),
        "{r:?}"
    );
    let dup = br#"{"type": "bundle", "id": "a", "id": "b", "objects": []}"#;
    assert!(matches!(
        read_all(dup).last(),
        Some(Err(ReadError::Envelope { .. }))
    ));
}

#[test]
fn arrays_lone_objects_and_json_lines() {
    assert_eq!(paths(b"[ {\"a\":1} , {\"b\":2} ]"), vec!["$[0]", "$[1]"]);
    let lone = read_all(br#"{"type": "indicator", "objects": {"0": {}}}"#);
    assert_eq!(lone.len(), 1);
    let obj = lone.into_iter().next().unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&obj.bytes).unwrap();
    assert_eq!(v["type"], "indicator");
    let lines = b"{\"type\":\"x-a\"}\n{\"type\":\"x-b\"}\n\n{\"type\":\"bundle\",\"objects\":[{\"q\":1}]}\n";
    let items: Vec<_> = read_all(lines).into_iter().map(Result::unwrap).collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1].location.line, 2);
    assert_eq!(items[2].location.path, "$.objects[0]");
    assert_eq!(items[2].location.line, 4);
}

#[test]
fn truncated_input_is_a_syntax_error_with_position() {
    let r = read_all(b"{\"type\":\"bundle\",\"objects\":[{\"a\":1},\n{\"b\": \"unterminated");
    assert!(r[0].is_ok());
    match &r[1] {
        Err(ReadError::Syntax { line, message, .. }) => {
            assert_eq!(*line, 2);
            assert!(message.contains("ends inside"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.len(), 2);
    assert!(matches!(
        read_all(b"[{\"a\":1}").last(),
        Some(Err(ReadError::Syntax { .. }))
    ));
    assert!(matches!(
        read_all(b"{\"a\":1} x").last(),
        Some(Err(ReadError::Syntax { .. }))
    ));
    assert!(matches!(
        read_all(b"[{\"a\":1} {\"b\":1}]").last(),
        Some(Err(ReadError::Syntax { .. }))
    ));
}

#[test]
fn oversized_object_is_skipped_and_reading_goes_on() {
    let big = "x".repeat(5000);
    let input = format!(r#"{{"type":"bundle","objects":[{{"a":"{big}"}},{{"b":1}}]}}"#);
    let r: Vec<_> = BundleReader::with_limit(input.as_bytes(), 1000).collect();
    assert_eq!(r.len(), 2);
    assert!(matches!(&r[0], Err(ReadError::Oversize { size, .. }) if *size > 1000));
    assert_eq!(r[1].as_ref().unwrap().bytes, br#"{"b":1}"#);
    // A lone oversized object followed by another value.
    let input = format!("{{\"a\":\"{big}\",\"c\":[1]}}\n{{\"b\":1}}");
    let r: Vec<_> = BundleReader::with_limit(input.as_bytes(), 1000).collect();
    assert!(matches!(&r[0], Err(ReadError::Oversize { .. })), "{r:?}");
    assert_eq!(r[1].as_ref().unwrap().bytes, br#"{"b":1}"#);
}

#[test]
fn deep_nesting_is_scanned_without_recursion() {
    let deep = format!(
        "{{\"type\":\"bundle\",\"objects\":[{}]}}",
        "[".repeat(100_000) + &"]".repeat(100_000)
    );
    let r = read_all(deep.as_bytes());
    assert_eq!(r.len(), 1);
    let raw = r.into_iter().next().unwrap().unwrap();
    assert!(crate::json::parse_object(&raw.bytes).is_err());
}

#[test]
fn a_million_empty_objects_stream_in_bounded_memory() {
    let mut input = b"{\"type\":\"bundle\",\"objects\":[".to_vec();
    for i in 0..1_000_000 {
        if i > 0 {
            input.push(b',');
        }
        input.extend_from_slice(b"{}");
    }
    input.extend_from_slice(b"]}");
    let mut n = 0;
    for item in BundleReader::new(&input[..]) {
        assert_eq!(item.unwrap().bytes, b"{}");
        n += 1;
    }
    assert_eq!(n, 1_000_000);
}

#[test]
fn small_reads_give_the_same_result() {
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let input =
        br#"{"id":"bundle--1","type":"bundle","objects":[{"a":"\"]"},{"b":[{}]}]} [{"c":1}]"#;
    let fast: Vec<_> = read_all(input)
        .into_iter()
        .map(|r| r.unwrap().bytes)
        .collect();
    let slow: Vec<_> = BundleReader::new(Trickle(input))
        .map(|r| r.unwrap().bytes)
        .collect();
    assert_eq!(fast, slow);
    assert_eq!(fast.len(), 3);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            for _ in BundleReader::with_limit(&bytes[..], 64) {}
        }

        #[test]
        fn splits_what_serde_writes(values in proptest::collection::vec(
            proptest::collection::btree_map("[a-z\"\\\\{}\\[\\],:]{1,6}", "[ -~]{0,12}", 0..4), 0..8)) {
            let objects: Vec<serde_json::Value> = values.iter().map(|m| serde_json::json!(m)).collect();
            let bundle = serde_json::json!({"type": "bundle", "id": "bundle--x", "objects": objects});
            let text = serde_json::to_string_pretty(&bundle).unwrap();
            let got: Vec<serde_json::Value> = BundleReader::new(text.as_bytes())
                .map(|r| serde_json::from_slice(&r.unwrap().bytes).unwrap())
                .collect();
            prop_assert_eq!(got, objects);
        }
    }
}
