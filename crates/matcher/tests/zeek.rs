//! Zeek logs as Zeek writes them (tests/data/zeek: TSV with its header
//! lines, a rotated part with a new header inside conn.log and files.log),
//! and Zeek JSON lines: the right hits, header lines never events.

use std::path::Path;

use concord_matcher::{FieldMapping, Format, Index, LineKind, LogReader, Observable, Scratch};
use serde_json::{Value, json};

fn indicator(name: &str, pattern: &str) -> Value {
    let n = name
        .bytes()
        .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 1_000_000_000_000;
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2025-01-01T00:00:00Z", "modified": "2025-01-01T00:00:00Z",
        "name": name, "pattern": pattern, "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z",
    })
}

fn index() -> Index {
    let indicators = [
        indicator("c2 address", "[ipv4-addr:value = '203.0.113.7']"),
        indicator("c2 v6", "[ipv6-addr:value = '2001:db8:bad::1']"),
        indicator("rotated part", "[ipv4-addr:value = '192.0.2.99']"),
        indicator("c2 domain", "[domain-name:value = 'update-check.evil.com']"),
        indicator("cname", "[domain-name:value = 'cdn.evil-cdn.net']"),
        indicator("answer", "[ipv4-addr:value = '45.9.148.3']"),
        indicator(
            "payload url",
            "[url:value = 'http://malware.example.net/payload.bin?id=7']",
        ),
        indicator(
            "payload host",
            "[domain-name:value = 'malware.example.net']",
        ),
        indicator(
            "gate",
            "[url:value = 'http://192.0.2.10:8080/gate.php?q=a\tb']",
        ),
        indicator("referrer", "[domain-name:value LIKE '%.example.com']"),
        indicator(
            "proxied",
            "[url:value = 'http://benign.example.org/index.html']",
        ),
        indicator(
            "payload md5",
            "[file:hashes.MD5 = '5D41402ABC4B2A76B9719D911017C592']",
        ),
        indicator(
            "payload sha256",
            "[file:hashes.'SHA-256' = '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae']",
        ),
        indicator("old sender", "[ipv4-addr:value = '192.0.2.78']"),
        indicator(
            "empty file",
            "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
        ),
        indicator("never", "[ipv4-addr:value = '10.99.99.99']"),
    ];
    let (index, errors) = Index::build(&indicators, None);
    assert!(errors.is_empty(), "{errors:?}");
    index
}

/// (events read, [(line, indicator name, observable)]) for a file.
fn run(
    index: &Index,
    text: &str,
    format: Option<Format>,
    mappings: Vec<FieldMapping>,
) -> (u64, Vec<(u64, String, String)>) {
    let mut reader = LogReader::new(format, mappings);
    let (mut scratch, mut hits, mut out) = (Scratch::default(), Vec::new(), Vec::new());
    let mut events = 0;
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        out.clear();
        match reader
            .read(line, "test.log", n, &mut out)
            .expect("line reads")
        {
            LineKind::Skipped => {
                assert!(out.is_empty());
                continue;
            }
            LineKind::Event => events += 1,
        }
        hits.clear();
        index.match_event(&out, &mut scratch, &mut hits);
        for h in &hits {
            let info = index.info(h.slot).expect("slot");
            found.push((
                n,
                info.name.unwrap_or_default().to_string(),
                out[h.observable].text(),
            ));
        }
    }
    found.sort();
    (events, found)
}

fn data(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/zeek")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn hit(line: u64, name: &str, observable: &str) -> (u64, String, String) {
    (line, name.to_string(), observable.to_string())
}

#[test]
fn conn_log_with_a_rotated_header() {
    let index = index();
    let text = data("conn.log");
    let (events, hits) = run(&index, &text, None, Vec::new());
    assert_eq!(
        events, 5,
        "data lines only: headers and #close are no events"
    );
    assert_eq!(
        hits,
        vec![
            hit(9, "c2 address", "203.0.113.7"),
            hit(12, "c2 v6", "2001:db8:bad::1"),
            hit(22, "rotated part", "192.0.2.99"),
        ]
    );
    // The same with the format forced.
    assert_eq!(
        run(&index, &text, Some(Format::ZeekTsv), Vec::new()),
        (events, hits)
    );
    assert_eq!(
        Format::detect(text.lines().next().expect("line")),
        Format::ZeekTsv
    );
}

#[test]
fn dns_log_queries_and_answers() {
    let (events, hits) = run(&index(), &data("dns.log"), None, Vec::new());
    assert_eq!(events, 4);
    assert_eq!(
        hits,
        vec![
            hit(9, "answer", "45.9.148.3"),
            hit(9, "c2 domain", "update-check.evil.com"),
            hit(9, "cname", "cdn.evil-cdn.net"),
            hit(10, "c2 v6", "2001:db8:bad::1"),
        ]
    );
}

#[test]
fn http_log_urls_from_host_and_uri() {
    let (events, hits) = run(&index(), &data("http.log"), None, Vec::new());
    assert_eq!(events, 3);
    assert_eq!(
        hits,
        vec![
            hit(9, "payload host", "malware.example.net"),
            hit(
                9,
                "payload url",
                "http://malware.example.net/payload.bin?id=7"
            ),
            // `\x09` in the uri is Zeek's escape of a tab.
            hit(10, "gate", "http://192.0.2.10:8080/gate.php?q=a\tb"),
            hit(10, "referrer", "referrer.example.com"),
            // A proxy request's uri is the whole URL.
            hit(11, "proxied", "http://benign.example.org/index.html"),
        ]
    );
}

#[test]
fn files_log_hashes_and_an_older_part() {
    let (events, hits) = run(&index(), &data("files.log"), None, Vec::new());
    assert_eq!(events, 2);
    assert_eq!(
        hits,
        vec![
            hit(9, "payload md5", "5d41402abc4b2a76b9719d911017c592"),
            hit(
                9,
                "payload sha256",
                "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
            ),
            // tx_hosts is a set: both of its addresses are read.
            hit(19, "empty file", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            hit(19, "old sender", "192.0.2.78"),
        ]
    );
}

#[test]
fn zeek_tsv_errors_name_the_line() {
    let mut reader = LogReader::new(None, Vec::new());
    let mut out = Vec::new();
    let text = data("conn.log");
    let mut lines = text.lines();
    for n in 1..=8 {
        assert_eq!(
            reader.read(lines.next().expect("header"), "conn.log", n, &mut out),
            Ok(LineKind::Skipped)
        );
    }
    let err = reader
        .read("1733220001.1\tCx\t10.0.0.1", "conn.log", 9, &mut out)
        .expect_err("short line");
    assert_eq!(
        err.to_string(),
        "conn.log:9: 3 values for the 21 fields of the #fields header at line 7"
    );
    assert!(out.is_empty());
    let mut forced = LogReader::new(Some(Format::ZeekTsv), Vec::new());
    let err = forced
        .read("1.0\tx", "conn.log", 1, &mut out)
        .expect_err("no header");
    assert!(
        err.to_string().contains("before any #fields header"),
        "{err}"
    );
}

#[test]
fn mappings_name_zeek_fields() {
    // A mapping replaces the meaning of a known field.
    let index = {
        let (i, e) = Index::build(
            &[indicator("port", "[network-traffic:dst_port = '4444']")],
            None,
        );
        assert!(e.is_empty());
        i
    };
    let text = data("conn.log").replace("\t443\t", "\t4444\t");
    let mapping = FieldMapping::parse("id.resp_p=network-traffic:dst_port").expect("mapping");
    let (_, hits) = run(&index, &text, None, vec![mapping]);
    // The pattern evaluator decides this one: the index names no observable.
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].0, hits[0].1.as_str()), (9, "port"));
}

#[test]
fn zeek_json_lines_of_every_log_type() {
    let index = {
        let (i, e) = Index::build(
            &[
                indicator("sni", "[domain-name:value = 'login.evil.com']"),
                indicator("san", "[domain-name:value = 'alt.evil.com']"),
                indicator("cert cn", "[domain-name:value = 'cn.evil.com']"),
                indicator(
                    "subject",
                    "[x509-certificate:subject = 'CN=cn.evil.com,O=Evil Ltd,C=XX']",
                ),
                indicator("sender", "[email-addr:value = 'spoof@evil.com']"),
                indicator("recipient", "[email-addr:value = 'victim@corp.example']"),
                indicator("header from", "[email-addr:value = 'ceo@evil.com']"),
                indicator("relay", "[ipv4-addr:value = '198.51.100.23']"),
                indicator("scanner", "[ipv4-addr:value = '192.0.2.66']"),
                indicator("intel", "[domain-name:value = 'seen.evil.com']"),
            ],
            None,
        );
        assert!(e.is_empty(), "{e:?}");
        i
    };
    let lines = [
        r#"{"ts":1733220010.1,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":50000,"id.resp_h":"192.0.2.50","id.resp_p":443,"version":"TLSv13","server_name":"login.evil.com","established":true}"#,
        r#"{"ts":1733220010.2,"fingerprint":"a1b2","certificate.version":3,"certificate.serial":"0A1B","certificate.subject":"CN=cn.evil.com,O=Evil Ltd,C=XX","certificate.issuer":"CN=R3,O=Let's Encrypt,C=US","san.dns":["alt.evil.com","www.alt.evil.com"]}"#,
        r#"{"ts":1733220010.3,"uid":"C2","id.orig_h":"198.51.100.23","id.orig_p":40000,"id.resp_h":"10.0.0.25","id.resp_p":25,"helo":"mx.evil.com","mailfrom":"<spoof@evil.com>","rcptto":["<victim@corp.example>","<other@corp.example>"],"from":"\"The CEO\" <ceo@evil.com>","to":["Victim <victim@corp.example>"],"subject":"Invoice","path":["10.0.0.25","198.51.100.23"]}"#,
        r#"{"ts":1733220010.4,"note":"Scan::Port_Scan","msg":"192.0.2.66 scanned at least 15 unique ports of host 10.0.0.9 in 0m2s","sub":"local","src":"192.0.2.66","dst":"10.0.0.9","actions":["Notice::ACTION_LOG"]}"#,
        r#"{"ts":1733220010.5,"uid":"C3","id.orig_h":"10.0.0.5","seen.indicator":"seen.evil.com","seen.indicator_type":"Intel::DOMAIN","seen.where":"DNS::IN_REQUEST","matched":["Intel::DOMAIN"],"sources":["feed"]}"#,
    ];
    let (events, mut hits) = run(&index, &lines.join("\n"), None, Vec::new());
    assert_eq!(events, 5);
    // The pattern evaluator decides on the subject: the index names no observable.
    for h in &mut hits {
        if h.1 == "subject" {
            h.2 = "*".into();
        }
    }
    assert_eq!(
        hits,
        vec![
            hit(1, "sni", "login.evil.com"),
            hit(2, "cert cn", "cn.evil.com"),
            hit(2, "san", "alt.evil.com"),
            hit(2, "subject", "*"),
            hit(3, "header from", "ceo@evil.com"),
            hit(3, "recipient", "victim@corp.example"),
            hit(3, "relay", "198.51.100.23"),
            hit(3, "sender", "spoof@evil.com"),
            hit(4, "scanner", "192.0.2.66"),
            hit(5, "intel", "seen.evil.com"),
        ]
    );
}

#[test]
fn json_and_tsv_give_the_same_observables() {
    // The first conn record, as Zeek's JSON writer writes it.
    let json_line = r#"{"ts":1733220001.123456,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"10.0.0.5","id.orig_p":49152,"id.resp_h":"203.0.113.7","id.resp_p":443,"proto":"tcp","service":"ssl","duration":0.254338,"orig_bytes":517,"resp_bytes":4312,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":9,"orig_ip_bytes":993,"resp_pkts":8,"resp_ip_bytes":4736}"#;
    let mut from_json = Vec::new();
    LogReader::new(None, Vec::new())
        .read(json_line, "conn.json", 1, &mut from_json)
        .expect("json");
    let mut reader = LogReader::new(None, Vec::new());
    let mut from_tsv = Vec::new();
    for (i, l) in data("conn.log").lines().take(9).enumerate() {
        from_tsv.clear();
        reader
            .read(l, "conn.log", i as u64 + 1, &mut from_tsv)
            .expect("tsv");
    }
    assert_eq!(from_json, from_tsv);
    assert_eq!(
        from_json,
        vec![
            Observable::Ipv4([10, 0, 0, 5].into()),
            Observable::Ipv4([203, 0, 113, 7].into())
        ]
    );
}
