//! Any indicator JSON (or, when the input is no JSON, any text as the
//! pattern and name of one indicator) through every export format: no
//! panic, the same bytes twice, and output its consumer can read (RPZ
//! owner names valid, one record per line; every Suricata rule one line
//! with balanced quotes; five tab-separated Zeek fields without control
//! characters; hosts lines with valid names; CSV records of eight fields).
#![no_main]

use concord_exports::{
    Authors, ExportContext, RpzOptions, SidTable, SuricataOptions, Target, TextOptions,
    ZeekOptions, export,
};
use concord_stix::Timestamp;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fn objects(data: &[u8]) -> Vec<Map<String, Value>> {
    match serde_json::from_slice::<Value>(data) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        Ok(Value::Object(m)) => vec![m],
        _ => {
            let text = String::from_utf8_lossy(data);
            let o = json!({
                "type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000001",
                "modified": "2026-01-01T00:00:00Z", "valid_from": "2026-01-01T00:00:00Z",
                "pattern_type": "stix", "pattern": text, "name": text,
                "created_by_ref": text,
            });
            vec![o.as_object().cloned().unwrap_or_default()]
        }
    }
}

fn run(target: Target<'_>, objects: &[Map<String, Value>]) -> String {
    let mut authors = Authors::new();
    authors.insert("identity--x", "Name\twith\ttabs");
    let now = Timestamp::parse("2026-06-01T00:00:00Z").expect("a time");
    let ctx = ExportContext::new(now, &authors);
    let mut out = Vec::new();
    export(target, objects, &ctx, &mut out).expect("valid options never fail on a Vec");
    String::from_utf8(out).expect("exports are UTF-8")
}

fn valid_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').enumerate().all(|(i, l)| {
            (l == "*" && i == 0)
                || (!l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    }))
        })
}

fn check_csv(text: &str) {
    let mut fields = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, _) => {}
            (false, '"') => quoted = true,
            (false, ',') => fields += 1,
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'));
                assert_eq!(fields, 8, "{text}");
                fields = 1;
            }
            (false, '\n') => panic!("bare LF in {text}"),
            (false, _) => {}
        }
    }
    assert!(!quoted);
}

fuzz_target!(|data: &[u8]| {
    let objects = objects(data);

    let mut options = RpzOptions::new(1);
    options.wildcard = true;
    options.url_hosts = true;
    let zone = run(Target::Rpz(options.clone()), &objects);
    assert_eq!(zone, run(Target::Rpz(options), &objects));
    assert!(zone.starts_with("$ORIGIN rpz.concord.\n$TTL "));
    for line in zone.lines().skip(4).filter(|l| !l.starts_with(';')) {
        let owner = line.split(' ').next().unwrap_or_default();
        assert!(valid_name(owner) && owner.len() + 13 <= 254, "{line}");
        assert!(line.contains(" CNAME . ; indicator"), "{line}");
    }

    let mut table = SidTable::new();
    let rules = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &objects,
    );
    let mut again = SidTable::new();
    assert_eq!(
        rules,
        run(
            Target::Suricata(SuricataOptions::default(), &mut again),
            &objects
        )
    );
    for line in rules.lines().skip(1) {
        assert!(line.starts_with("alert ") && line.ends_with(";)"), "{line}");
        let (mut quoted, mut escaped) = (false, false);
        for c in line.chars() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') if quoted => escaped = true,
                (false, '"') => quoted = !quoted,
                (false, c) => assert!(!c.is_control(), "{line}"),
            }
        }
        assert!(!quoted, "{line}");
    }

    let intel = run(Target::Zeek(ZeekOptions::default()), &objects);
    for line in intel.lines().skip(1) {
        assert_eq!(line.split('\t').count(), 5, "{line:?}");
        assert!(
            !line.starts_with('#') && !line.chars().any(|c| c.is_control() && c != '\t'),
            "{line:?}"
        );
    }

    let hosts = run(Target::Hosts, &objects);
    for line in hosts.lines().skip(1) {
        let name = line.strip_prefix("0.0.0.0 ").unwrap_or_default();
        assert!(valid_name(name), "{line}");
    }

    let text = run(Target::Text(TextOptions::default()), &objects);
    for line in text.lines() {
        assert!(
            !line.is_empty() && !line.contains(char::is_whitespace),
            "{line:?}"
        );
    }

    check_csv(&run(Target::Csv, &objects));
});
