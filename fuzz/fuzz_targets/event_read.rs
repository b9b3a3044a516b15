//! Any line, in every format, with and without field mappings: reading
//! never panics, and matching what was read against a small index never
//! panics.
#![no_main]

use std::sync::LazyLock;

use concord_matcher::{FieldMapping, Format, Index, LogReader, Scratch, read_line};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let patterns = [
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[domain-name:value LIKE '%.example']",
        "[url:value MATCHES '^http://']",
        "[file:hashes.MD5 = 'abc' AND file:size > 1]",
        "[x-custom:'a'.b = 'c']",
        "[email-addr:value = 'a@b.c']",
    ];
    let indicators: Vec<_> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"type": "indicator", "id": format!("indicator--00000000-0000-4000-8000-{i:012}"), "pattern": p, "pattern_type": "stix"}))
        .collect();
    Index::build(&indicators, None).0
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mappings = vec![
        FieldMapping::parse("a=x-custom:'a'.b").expect("valid mapping"),
        FieldMapping::parse("size=file:size").expect("valid mapping"),
    ];
    let mut scratch = Scratch::default();
    let mut hits = Vec::new();
    for format in [Format::Json, Format::Text, Format::ZeekTsv] {
        for m in [&mappings[..], &[]] {
            if let Ok(observables) = read_line(format, m, text, "fuzz", 1) {
                INDEX.match_event(&observables, &mut scratch, &mut hits);
            }
        }
    }
    // The whole input as a file, in every format (Zeek TSV keeps state
    // across lines): what fails leaves no observable behind.
    for format in [None, Some(Format::Json), Some(Format::Text), Some(Format::ZeekTsv)] {
        let mut reader = LogReader::new(format, mappings.clone());
        let mut observables = Vec::new();
        for (n, line) in text.split('\n').enumerate() {
            observables.clear();
            if reader.read(line, "fuzz", n as u64 + 1, &mut observables).is_err() {
                assert!(observables.is_empty());
            }
            INDEX.match_event(&observables, &mut scratch, &mut hits);
        }
    }
    let _ = FieldMapping::parse(text);
});
