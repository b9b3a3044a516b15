//! Property tests: random indicators (valid values, hostile names, broken
//! values, unsupported patterns) always give output that the format's
//! grammar accepts, and the same bytes for the same input in any order.
//! Every zone produced goes through named-checkzone and every rule through
//! both Python rule parsers.

use std::cell::RefCell;

use concord_exports::{
    CSV_HEADER, RpzAction, RpzOptions, SidTable, SuricataOptions, Target, TextOptions, ZEEK_HEADER,
    ZeekOptions,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use super::support::{check_zone, indicator, run};

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,12}",
        "[a-z0-9][a-z0-9_-]{0,20}[a-z0-9]",
        "[A-Z]{1,5}",
        "[a-z]{63}",
        Just("xn--bcher-kva".to_string()),
        Just("bücher".to_string()),
    ]
}

fn domain() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(label(), 1..4),
        "[a-z]{2,6}",
        any::<bool>(),
    )
        .prop_map(|(labels, tld, dot)| {
            format!("{}.{tld}{}", labels.join("."), if dot { "." } else { "" })
        })
}

/// A value for the object path, sometimes broken.
fn value() -> impl Strategy<Value = (&'static str, String)> {
    prop_oneof![
        4 => domain().prop_map(|d| ("domain-name:value", d)),
        1 => "[ -~]{0,20}".prop_map(|d| ("domain-name:value", d)),
        3 => (any::<u32>(), 1u8..=32).prop_map(|(a, p)| (
            "ipv4-addr:value",
            format!("{}/{p}", std::net::Ipv4Addr::from(a))
        )),
        2 => any::<u32>().prop_map(|a| ("ipv4-addr:value", std::net::Ipv4Addr::from(a).to_string())),
        2 => (any::<u128>(), 1u8..=128).prop_map(|(a, p)| (
            "ipv6-addr:value",
            format!("{}/{p}", std::net::Ipv6Addr::from(a))
        )),
        1 => any::<u128>().prop_map(|a| ("ipv6-addr:value", std::net::Ipv6Addr::from(a).to_string())),
        3 => (
            prop_oneof![Just("http"), Just("https"), Just("ftp")],
            domain(),
            prop::option::of(1u16..),
            "[ -~]{0,30}"
        )
            .prop_map(|(s, d, port, path)| (
                "url:value",
                format!(
                    "{s}://{}{}/{path}",
                    d.trim_end_matches('.'),
                    port.map(|p| format!(":{p}")).unwrap_or_default()
                )
            )),
        2 => ("[a-zA-Z0-9.+_#-]{1,20}", domain())
            .prop_map(|(l, d)| ("email-addr:value", format!("{l}@{}", d.trim_end_matches('.')))),
        1 => "[0-9a-fA-F]{32}".prop_map(|h| ("file:hashes.MD5", h)),
        1 => "[0-9a-f]{40}".prop_map(|h| ("file:hashes.'SHA-1'", h)),
        1 => "[0-9a-f]{64}".prop_map(|h| ("file:hashes.'SHA-256'", h)),
    ]
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A pattern: mostly ORs of one path's values, sometimes something no
/// format can say.
fn pattern() -> impl Strategy<Value = String> {
    (value(), prop::collection::vec(value(), 0..3), 0u8..10).prop_map(|((path, v), more, shape)| {
        let same: Vec<String> = std::iter::once(v)
            .chain(more.into_iter().filter(|(p, _)| *p == path).map(|(_, v)| v))
            .collect();
        let cmp = |v: &String| format!("{path} = {}", quote(v));
        match shape {
            0 => format!("[{}] OR [{}]", cmp(&same[0]), cmp(&same[same.len() - 1])),
            1 => format!("[{} AND {}]", cmp(&same[0]), cmp(&same[same.len() - 1])),
            2 => format!("[{}] WITHIN 10 SECONDS", cmp(&same[0])),
            3 => format!("[{path} LIKE {}]", quote(&same[0])),
            _ => format!(
                "[{}]",
                same.iter().map(cmp).collect::<Vec<_>>().join(" OR ")
            ),
        }
    })
}

fn name() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "[ -~]{0,30}",
        "\\PC{0,20}",
        Just("tab\tnew\nline \"q\"; \\ | -".to_string()),
        Just("-".to_string()),
        Just(String::new()),
    ])
}

fn indicators() -> impl Strategy<Value = Vec<Map<String, Value>>> {
    prop::collection::vec(
        (
            pattern(),
            name(),
            prop::option::of(0u8..=100),
            0usize..3,
            0u32..6,
        ),
        1..25,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(|(p, name, confidence, tlp, n)| {
                let tlps = [
                    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
                    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
                    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
                ];
                // Ids repeat sometimes: versions of one indicator.
                indicator(
                    n * 1000 + u32::try_from(p.len()).unwrap_or(0),
                    &p,
                    json!({
                        "name": name,
                        "confidence": confidence,
                        "object_marking_refs": [tlps[tlp]],
                        "modified": format!("2026-11-0{}T00:00:00.000Z", 1 + n % 9),
                    }),
                )
            })
            .collect()
    })
}

fn valid_owner(owner: &str, origin_len: usize) -> Result<(), String> {
    let labels: Vec<&str> = owner.split('.').collect();
    if owner.len() + 1 + origin_len + 1 > 255 {
        return Err(format!("{owner} is too long"));
    }
    for (i, l) in labels.iter().enumerate() {
        let ok = (*l == "*" && i == 0)
            || (!l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                }));
        if !ok {
            return Err(format!("{owner}: label {l:?}"));
        }
    }
    Ok(())
}

/// The zone's grammar as the export promises it.
fn check_rpz_grammar(zone: &str, target: &str) {
    let mut lines = zone.lines();
    assert_eq!(lines.next(), Some("$ORIGIN rpz.concord."));
    for start in ["$TTL ", "@ SOA ", "@ NS "] {
        assert!(lines.next().is_some_and(|l| l.starts_with(start)), "{zone}");
    }
    let mut owners = Vec::new();
    for line in lines {
        if line.starts_with(';') {
            continue;
        }
        let (record, ids) = line.split_once(" ; ").expect("each record names its ids");
        assert!(
            ids.split(' ').all(|i| i.starts_with("indicator--")),
            "{line}"
        );
        let (owner, rest) = record.split_once(' ').expect("owner and data");
        assert_eq!(rest, format!("CNAME {target}"));
        valid_owner(owner, "rpz.concord".len()).expect("a valid owner name");
        owners.push(owner.to_string());
    }
    let mut sorted = owners.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(owners, sorted, "owners are sorted and unique");
}

fn check_suricata_grammar(rules: &str) {
    let mut sids = std::collections::HashSet::new();
    for line in rules.lines().skip(1) {
        assert!(line.starts_with("alert "), "{line}");
        assert!(line.ends_with(";)"), "{line}");
        let sid = line
            .rsplit_once("sid:")
            .and_then(|(_, rest)| rest.split_once(';'))
            .map(|(sid, _)| sid)
            .expect("a sid");
        assert!(sids.insert(sid.to_string()), "duplicate sid {sid}");
        // Outside quotes, no unescaped quote, and options split cleanly.
        let body = &line[line.find('(').expect("options") + 1..line.len() - 1];
        let (mut quoted, mut escaped) = (false, false);
        for c in body.chars() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = !quoted,
                (false, '\n' | '\r') => panic!("line break in {line}"),
                _ => {}
            }
        }
        assert!(!quoted && !escaped, "{line}");
    }
}

/// RFC 4180 records of a CSV text.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty(), "a quote inside an unquoted field");
                quoted = true;
            }
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            '\n' => panic!("a bare LF outside quotes"),
            c => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "the text ends with CRLF"
    );
    records
}

fn shuffled(objects: &[Map<String, Value>], seed: usize) -> Vec<Map<String, Value>> {
    let mut v = objects.to_vec();
    let n = v.len();
    if n > 0 {
        v.rotate_left(seed % n);
    }
    v.reverse();
    v
}

#[test]
fn random_indicators_give_valid_deterministic_output_in_every_format() {
    let zones = RefCell::new(Vec::new());
    let rules = RefCell::new(String::new());
    // What the random input exercised, so the property cannot hold vacuously.
    let seen = RefCell::new(std::collections::BTreeMap::<String, usize>::new());
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    runner
        .run(
            &(indicators(), any::<usize>(), any::<bool>()),
            |(objects, seed, wide)| {
                // RPZ
                let mut options = RpzOptions::new(9);
                options.wildcard = wide;
                options.url_hosts = !wide;
                options.action = if wide {
                    RpzAction::Nxdomain
                } else {
                    RpzAction::Passthru
                };
                let target = if wide { "." } else { "rpz-passthru." };
                let (zone, _) = run(Target::Rpz(options.clone()), &objects);
                let (again, _) = run(Target::Rpz(options), &shuffled(&objects, seed));
                prop_assert_eq!(&zone, &again);
                check_rpz_grammar(&zone, target);
                zones.borrow_mut().push(zone);

                // Suricata, with a table that is reused in another order.
                let mut table = SidTable::new();
                let (text, report) = run(
                    Target::Suricata(SuricataOptions::default(), &mut table),
                    &objects,
                );
                let mut copy = table.clone();
                let (again, _) = run(
                    Target::Suricata(SuricataOptions::default(), &mut copy),
                    &shuffled(&objects, seed),
                );
                prop_assert_eq!(&text, &again);
                prop_assert_eq!(&copy, &table);
                check_suricata_grammar(&text);
                prop_assert_eq!(report.records, text.lines().count() - 1);
                rules.borrow_mut().push_str(&text);

                // Zeek
                let (intel, report) = run(Target::Zeek(ZeekOptions::default()), &objects);
                let (again, _) = run(
                    Target::Zeek(ZeekOptions::default()),
                    &shuffled(&objects, seed),
                );
                prop_assert_eq!(&intel, &again);
                prop_assert!(intel.starts_with(ZEEK_HEADER));
                let items = super::zeek_file::read_intel(&intel);
                prop_assert_eq!(items.len(), report.records);
                {
                    let mut seen = seen.borrow_mut();
                    for (kind, n) in &report.exported {
                        *seen.entry(kind.word().to_string()).or_default() += n;
                    }
                    for (code, n) in report.skipped_by_reason() {
                        *seen.entry(code.to_string()).or_default() += n;
                    }
                }

                // hosts
                let (hosts, _) = run(Target::Hosts, &objects);
                let (again, _) = run(Target::Hosts, &shuffled(&objects, seed));
                prop_assert_eq!(&hosts, &again);
                for line in hosts.lines().skip(1) {
                    let name = line.strip_prefix("0.0.0.0 ").expect("0.0.0.0 name");
                    valid_owner(name, 0).unwrap();
                }

                // text
                let (text, _) = run(Target::Text(TextOptions::default()), &objects);
                let (again, _) = run(
                    Target::Text(TextOptions::default()),
                    &shuffled(&objects, seed),
                );
                prop_assert_eq!(&text, &again);
                for line in text.lines() {
                    prop_assert!(
                        !line.is_empty() && !line.contains(char::is_whitespace),
                        "{:?}",
                        line
                    );
                }

                // CSV
                let (csv, report) = run(Target::Csv, &objects);
                let (again, _) = run(Target::Csv, &shuffled(&objects, seed));
                prop_assert_eq!(&csv, &again);
                let records = parse_csv(&csv);
                prop_assert_eq!(records[0].join(","), CSV_HEADER);
                prop_assert_eq!(records.len(), report.records + 1);
                for r in &records {
                    prop_assert_eq!(r.len(), 8);
                }
                Ok(())
            },
        )
        .unwrap();
    let seen = seen.into_inner();
    for what in [
        "ipv4-addr",
        "ipv6-addr",
        "domain-name",
        "url",
        "email-addr",
        "md5",
        "sha1",
        "sha256",
        "invalid-value",
        "unsupported-pattern",
        "superseded",
    ] {
        assert!(
            seen.get(what).is_some_and(|n| *n >= 5),
            "too few {what}: {seen:?}"
        );
    }
    for zone in zones.borrow().iter() {
        check_zone("rpz.concord.", zone);
    }
    let parsed = super::suricata_tools::check_rules(&rules.borrow());
    assert!(!parsed.is_empty());
}
