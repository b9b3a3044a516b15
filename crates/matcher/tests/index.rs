//! Index behaviour: lookups by kind, activity, incremental add and remove,
//! the evaluator behind the prefilter, one hit per indicator.

use concord_matcher::{FieldMapping, Format, Index, Observable, Scratch, read_line};
use concord_pattern::Timestamp;
use serde_json::{Value, json};

fn indicator(n: u32, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2025-01-01T00:00:00Z", "modified": "2025-01-01T00:00:00Z",
        "name": format!("ind {n}"), "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z", "confidence": 80,
        "created_by_ref": "identity--00000000-0000-4000-8000-000000000001",
        "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
    })
}

fn hits(index: &Index, observables: &[Observable]) -> Vec<String> {
    let mut out = Vec::new();
    index.match_event(observables, &mut Scratch::default(), &mut out);
    let mut ids: Vec<String> = out
        .iter()
        .map(|h| index.info(h.slot).expect("slot").id)
        .collect();
    ids.sort();
    ids
}

fn id(n: u32) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012}")
}

#[test]
fn lookups_by_kind() {
    let inds = vec![
        indicator(1, "[ipv4-addr:value = '198.51.100.7']"),
        indicator(2, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
        indicator(3, "[ipv6-addr:value ISSUBSET '2001:db8::/32']"),
        indicator(4, "[domain-name:value = 'Evil.Example']"),
        indicator(5, "[domain-name:value LIKE '%.evil.example']"),
        indicator(6, "[url:value = 'HTTP://Evil.Example:80/a?b=C']"),
        indicator(
            7,
            "[file:hashes.'SHA-256' = 'AB' OR file:hashes.MD5 IN ('cd', 'ef')]",
        ),
        indicator(8, "[email-addr:value = 'Phish@Evil.Example']"),
        indicator(9, "[ipv4-addr:value ISSUBSET '198.51.0.0/16']"),
    ];
    let (index, errors) = Index::build(&inds, None);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(index.evaluated_len(), 0);
    assert_eq!(
        hits(&index, &[Observable::Ipv4([198, 51, 100, 7].into())]),
        vec![id(1), id(2), id(9)]
    );
    assert_eq!(
        hits(&index, &[Observable::Ipv4([198, 51, 7, 7].into())]),
        vec![id(9)]
    );
    assert_eq!(
        hits(
            &index,
            &[Observable::Ipv6("2001:db8::5".parse().expect("v6"))]
        ),
        vec![id(3)]
    );
    assert_eq!(
        hits(&index, &[Observable::Domain("evil.example".into())]),
        vec![id(4)]
    );
    assert_eq!(
        hits(&index, &[Observable::Domain("a.b.evil.example".into())]),
        vec![id(5)]
    );
    assert_eq!(
        hits(
            &index,
            &[Observable::Url(concord_matcher::normal_url(
                "http://evil.example/a?b=C"
            ))]
        ),
        vec![id(6)]
    );
    assert!(
        hits(
            &index,
            &[Observable::Url(concord_matcher::normal_url(
                "http://evil.example/a?b=c"
            ))]
        )
        .is_empty()
    );
    let md5 = Observable::Hash(concord_matcher::HashAlgorithm::Md5, "EF".into());
    assert_eq!(
        hits(&index, &[md5.clone(), md5]),
        vec![id(7)],
        "one hit per indicator"
    );
    assert_eq!(
        hits(&index, &[Observable::Email("phish@evil.example".into())]),
        vec![id(8)]
    );
    let info = index.info(0).expect("record");
    assert_eq!(info.tlp, Some("amber"));
    assert_eq!(info.confidence, Some(80));
}

#[test]
fn activity_and_incremental_updates() {
    let mut old = indicator(1, "[domain-name:value = 'a.example']");
    old["valid_until"] = json!("2025-06-01T00:00:00Z");
    let revoked = {
        let mut r = indicator(2, "[domain-name:value = 'a.example']");
        r["revoked"] = json!(true);
        r
    };
    let at = Timestamp::parse("2025-07-01T00:00:00Z");
    let (mut index, errors) = Index::build([&old, &revoked], at);
    assert!(errors.is_empty());
    assert_eq!(index.len(), 0);
    index
        .add(&indicator(3, "[domain-name:value = 'a.example']"), at)
        .expect("add");
    assert_eq!(
        hits(&index, &[Observable::Domain("a.example".into())]),
        vec![id(3)]
    );
    // A new version replaces the old one; revocation removes it.
    index
        .add(&indicator(3, "[domain-name:value = 'b.example']"), at)
        .expect("replace");
    assert!(hits(&index, &[Observable::Domain("a.example".into())]).is_empty());
    assert_eq!(
        hits(&index, &[Observable::Domain("b.example".into())]),
        vec![id(3)]
    );
    assert!(index.remove(&id(3)));
    assert!(hits(&index, &[Observable::Domain("b.example".into())]).is_empty());
    assert_eq!(index.len(), 0);
    assert!(
        index
            .add(&json!({"type": "malware", "id": "malware--1"}), None)
            .is_err()
    );
    assert!(index.add(&indicator(4, "[broken"), None).is_err());
}

#[test]
fn evaluator_runs_behind_the_prefilter() {
    let inds = vec![
        indicator(
            1,
            "[domain-name:value = 'c2.example' AND domain-name:value MATCHES '^c2']",
        ),
        indicator(2, "[url:value MATCHES '/wp-admin/']"),
        indicator(3, "[network-traffic:dst_port = 4444]"),
        indicator(4, "[file:hashes.MD5 = 'aa' AND file:hashes.'SHA-1' = 'bb']"),
    ];
    let (index, errors) = Index::build(&inds, None);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(index.evaluated_len(), 4);
    assert_eq!(
        hits(&index, &[Observable::Domain("c2.example".into())]),
        vec![id(1)]
    );
    assert_eq!(
        hits(
            &index,
            &[Observable::Url("http://x.example/wp-admin/a".into())]
        ),
        vec![id(2)]
    );
    let port = FieldMapping::parse("port=network-traffic:dst_port").expect("mapping");
    let line = r#"{"port": "4444"}"#;
    let obs = read_line(Format::Json, &[port], line, "f", 1).expect("line");
    // The mapped value is a string, and the pattern compares an integer.
    assert!(hits(&index, &obs).is_empty());
    let md5 = Observable::Hash(concord_matcher::HashAlgorithm::Md5, "aa".into());
    let sha1 = Observable::Hash(concord_matcher::HashAlgorithm::Sha1, "bb".into());
    assert_eq!(hits(&index, &[md5.clone(), sha1]), vec![id(4)]);
    assert!(hits(&index, &[md5]).is_empty());
}

#[test]
fn text_lines_detect_their_type() {
    let (index, _) = Index::build(&[indicator(1, "[ipv4-addr:value = '203.0.113.5']")], None);
    let obs = read_line(Format::Text, &[], " 203.0.113.5 ", "list.txt", 1).expect("line");
    assert_eq!(hits(&index, &obs), vec![id(1)]);
}

proptest::proptest! {
    /// Networks of every prefix length (1 to 32, as stix2-matcher takes
    /// them; the /24 marks in front of the long
    /// prefixes included): an address hits exactly the networks holding it,
    /// before and after a snapshot round trip.
    #[test]
    fn ipv4_networks_hit_exactly_the_addresses_inside(
        nets in proptest::collection::vec((proptest::prelude::any::<u32>(), 1u8..=32), 1..12),
        probes in proptest::collection::vec(proptest::prelude::any::<u32>(), 1..24),
    ) {
        let indicators: Vec<Value> = nets
            .iter()
            .enumerate()
            .map(|(i, (a, len))| {
                let net = std::net::Ipv4Addr::from(a & (u64::from(u32::MAX) << (32 - u32::from(*len))) as u32);
                indicator(i as u32, &format!("[ipv4-addr:value ISSUBSET '{net}/{len}']"))
            })
            .collect();
        let (index, errors) = Index::build(&indicators, None);
        proptest::prop_assert!(errors.is_empty(), "{:?}", errors);
        let loaded = Index::from_snapshot(&index.to_snapshot()).expect("round trip");
        // Addresses next to each network's edges, and random ones.
        let mut addrs = probes.clone();
        for (a, len) in &nets {
            let mask = (u64::from(u32::MAX) << (32 - u32::from(*len))) as u32;
            let start = a & mask;
            let end = start | !mask;
            addrs.extend([start, end, start.wrapping_sub(1), end.wrapping_add(1), start ^ 0x100]);
        }
        for addr in addrs {
            let mut want: Vec<String> = nets
                .iter()
                .enumerate()
                .filter(|(_, (a, len))| {
                    let mask = (u64::from(u32::MAX) << (32 - u32::from(*len))) as u32;
                    addr & mask == a & mask
                })
                .map(|(i, _)| id(i as u32))
                .collect();
            want.sort();
            let event = [Observable::Ipv4(addr.into())];
            proptest::prop_assert_eq!(&hits(&index, &event), &want, "{}", std::net::Ipv4Addr::from(addr));
            proptest::prop_assert_eq!(&hits(&loaded, &event), &want);
        }
    }
}
