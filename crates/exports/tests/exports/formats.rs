//! Each format's output for one fixture with every supported observable,
//! byte for byte.

use concord_exports::{
    CSV_HEADER, Format, Kind, RpzAction, RpzOptions, SidTable, SkipReason, SuricataOptions, Target,
    TextOptions, ZEEK_HEADER, ZeekOptions,
};
use serde_json::{Map, Value, json};

use super::support::{check_zone, id, indicator, run};

const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";
const SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
const SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// One indicator per supported observable, plus an OR, a duplicate name
/// and a name that needs escaping everywhere.
pub(crate) fn fixture() -> Vec<Map<String, Value>> {
    vec![
        indicator(
            1,
            "[domain-name:value = 'Evil.Example']",
            json!({"name": "Bad \"domain\"; a\\b\tc", "object_marking_refs": ["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]}),
        ),
        indicator(
            2,
            "[domain-name:value = 'a.example' OR domain-name:value = 'b.example']",
            json!({"name": "two, names", "confidence": null}),
        ),
        indicator(3, "[ipv4-addr:value = '203.0.113.7']", json!({})),
        indicator(4, "[ipv4-addr:value ISSUBSET '198.51.100.9/24']", json!({})),
        indicator(5, "[ipv6-addr:value = '2001:db8::1']", json!({"name": "-"})),
        indicator(
            6,
            "[ipv6-addr:value = '2001:db8:1::/48']",
            json!({"valid_until": "2027-01-01T00:00:00Z"}),
        ),
        indicator(
            7,
            "[url:value = 'http://evil.example:8080/dl?x=1;y=|2']",
            json!({"name": "恶意软件 URL"}),
        ),
        indicator(8, "[email-addr:value = 'Phish@Evil.Example']", json!({})),
        indicator(9, &format!("[file:hashes.MD5 = '{MD5}']"), json!({})),
        indicator(10, &format!("[file:hashes.'SHA-1' = '{SHA1}']"), json!({})),
        indicator(
            11,
            &format!("[file:hashes.'SHA-256' = '{}']", SHA256.to_uppercase()),
            json!({"created_by_ref": "identity--99999999-9999-4999-8999-999999999999"}),
        ),
        indicator(
            12,
            "[domain-name:value = 'evil.example']",
            json!({"name": null}),
        ),
    ]
}

fn not_expressible(report: &concord_exports::ExportReport) -> Vec<(String, Kind)> {
    report
        .skipped
        .iter()
        .map(|s| match &s.reason {
            SkipReason::NotExpressible { kind, .. } => {
                (s.value.clone().expect("a value is named"), *kind)
            }
            other => panic!("unexpected skip {other}"),
        })
        .collect()
}

#[test]
fn rpz_lists_names_and_addresses_once_each_with_their_ids() {
    let (zone, report) = run(Target::Rpz(RpzOptions::new(42)), &fixture());
    let expected = format!(
        "$ORIGIN rpz.concord.
$TTL 300
@ SOA localhost. hostmaster.localhost. 42 3600 600 86400 300
@ NS localhost.
; concord RPZ export: one trigger per line, with the STIX ids that list it
128.1.zz.db8.2001.rpz-ip CNAME . ; {i5}
24.0.100.51.198.rpz-ip CNAME . ; {i4}
32.7.113.0.203.rpz-ip CNAME . ; {i3}
48.zz.1.db8.2001.rpz-ip CNAME . ; {i6}
a.example CNAME . ; {i2}
b.example CNAME . ; {i2}
evil.example CNAME . ; {i1} {i12}
",
        i1 = id(1),
        i2 = id(2),
        i3 = id(3),
        i4 = id(4),
        i5 = id(5),
        i6 = id(6),
        i12 = id(12)
    );
    assert_eq!(zone, expected);
    check_zone("rpz.concord.", &zone);
    assert_eq!(report.format, Format::Rpz);
    assert_eq!(report.records, 7);
    assert_eq!(report.indicators, 7);
    assert_eq!(report.exported[&Kind::DomainName], 4);
    assert_eq!(report.exported[&Kind::Ipv4Addr], 2);
    assert_eq!(report.exported[&Kind::Ipv6Addr], 2);
    assert_eq!(
        not_expressible(&report),
        [
            (
                "http://evil.example:8080/dl?x=1;y=|2".to_string(),
                Kind::Url
            ),
            ("phish@evil.example".to_string(), Kind::EmailAddr),
            (MD5.to_string(), Kind::Md5),
            (SHA1.to_string(), Kind::Sha1),
            (SHA256.to_string(), Kind::Sha256),
        ]
    );
}

#[test]
fn rpz_options_change_zone_action_wildcards_and_url_hosts() {
    let mut options = RpzOptions::new(7);
    options.zone = "Block.Example.Net".into();
    options.action = RpzAction::Nodata;
    options.wildcard = true;
    options.url_hosts = true;
    options.ttl = 60;
    let (zone, report) = run(Target::Rpz(options), &fixture());
    assert!(
        zone.starts_with("$ORIGIN block.example.net.\n$TTL 60\n"),
        "{zone}"
    );
    assert!(zone.contains("\nevil.example CNAME *. ; "), "{zone}");
    assert!(zone.contains("\n*.evil.example CNAME *. ; "), "{zone}");
    // The URL's host joins the domain indicators that list it.
    assert!(
        zone.contains(&format!(
            "\nevil.example CNAME *. ; {} {} {}\n",
            id(1),
            id(7),
            id(12)
        )),
        "{zone}"
    );
    // Addresses get no wildcard.
    assert!(!zone.contains("*.32."), "{zone}");
    assert_eq!(report.exported[&Kind::Url], 1);
    check_zone("block.example.net.", &zone);

    for (action, target) in [
        (RpzAction::Nxdomain, "."),
        (RpzAction::Passthru, "rpz-passthru."),
        (
            RpzAction::Cname("Walled.Garden.Example".into()),
            "walled.garden.example.",
        ),
    ] {
        let mut options = RpzOptions::new(1);
        options.action = action;
        let (zone, _) = run(Target::Rpz(options), &fixture());
        assert!(
            zone.contains(&format!("\na.example CNAME {target} ; ")),
            "{zone}"
        );
        check_zone("rpz.concord.", &zone);
    }
}

#[test]
fn rpz_refuses_unusable_options() {
    for (zone, action) in [
        ("bad zone", RpzAction::Nxdomain),
        (".", RpzAction::Nxdomain),
        ("rpz.concord.", RpzAction::Cname("not a name".into())),
    ] {
        let mut options = RpzOptions::new(1);
        options.zone = zone.into();
        options.action = action;
        let mut out = Vec::new();
        let authors = super::support::authors();
        let ctx = concord_exports::ExportContext::new(super::support::now(), &authors);
        let err = concord_exports::export(Target::Rpz(options), &fixture(), &ctx, &mut out)
            .expect_err("an unusable option is an error");
        assert!(
            matches!(err, concord_exports::ExportError::InvalidOption { .. }),
            "{err}"
        );
    }
}

#[test]
fn suricata_writes_one_rule_per_indicator_and_protocol_and_hash_lists() {
    let mut table = SidTable::new();
    let (rules, report) = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &fixture(),
    );
    let meta = |n: u32| format!("metadata:stix_id {}, tlp green, confidence 80;", id(n));
    let expected = format!(
        r#"# concord Suricata rules: one rule per indicator and protocol, sids kept across exports
alert dns any any -> any any (msg:"concord Bad 'domain'\; a\\b c"; dns.query; content:"evil.example"; nocase; startswith; endswith; metadata:stix_id {i1}, tlp amber+strict, confidence 80; sid:1000000; rev:1;)
alert tls any any -> any any (msg:"concord Bad 'domain'\; a\\b c"; tls.sni; content:"evil.example"; nocase; startswith; endswith; metadata:stix_id {i1}, tlp amber+strict, confidence 80; sid:1000001; rev:1;)
alert dns any any -> any any (msg:"concord two, names"; dns.query; content:"a.example"; nocase; startswith; endswith; metadata:stix_id {i2}, tlp green; sid:1000002; rev:1;)
alert dns any any -> any any (msg:"concord two, names"; dns.query; content:"b.example"; nocase; startswith; endswith; metadata:stix_id {i2}, tlp green; sid:1000003; rev:1;)
alert tls any any -> any any (msg:"concord two, names"; tls.sni; content:"a.example"; nocase; startswith; endswith; metadata:stix_id {i2}, tlp green; sid:1000004; rev:1;)
alert tls any any -> any any (msg:"concord two, names"; tls.sni; content:"b.example"; nocase; startswith; endswith; metadata:stix_id {i2}, tlp green; sid:1000005; rev:1;)
alert ip any any <> [203.0.113.7] any (msg:"concord indicator 3"; {m3} sid:1000006; rev:1;)
alert ip any any <> [198.51.100.0/24] any (msg:"concord indicator 4"; {m4} sid:1000007; rev:1;)
alert ip any any <> [2001:db8::1] any (msg:"concord -"; {m5} sid:1000008; rev:1;)
alert ip any any <> [2001:db8:1::/48] any (msg:"concord indicator 6"; {m6} sid:1000009; rev:1;)
alert http any any -> any 8080 (msg:"concord 恶意软件 URL"; http.host; content:"evil.example"; startswith; endswith; http.uri; content:"/dl?x=1|3B|y=|7C|2"; startswith; endswith; {m7} sid:1000010; rev:1;)
alert dns any any -> any any (msg:"concord indicator {i12}"; dns.query; content:"evil.example"; nocase; startswith; endswith; {m12} sid:1000011; rev:1;)
alert tls any any -> any any (msg:"concord indicator {i12}"; tls.sni; content:"evil.example"; nocase; startswith; endswith; {m12} sid:1000012; rev:1;)
alert http any any -> any any (msg:"concord file MD5 on the list concord-md5.list"; filemd5:concord-md5.list; metadata:concord_list md5; sid:1000013; rev:1;)
alert http2 any any -> any any (msg:"concord file MD5 on the list concord-md5.list"; filemd5:concord-md5.list; metadata:concord_list md5; sid:1000014; rev:1;)
alert smtp any any -> any any (msg:"concord file MD5 on the list concord-md5.list"; filemd5:concord-md5.list; metadata:concord_list md5; sid:1000015; rev:1;)
alert ftp-data any any -> any any (msg:"concord file MD5 on the list concord-md5.list"; filemd5:concord-md5.list; metadata:concord_list md5; sid:1000016; rev:1;)
alert smb any any -> any any (msg:"concord file MD5 on the list concord-md5.list"; filemd5:concord-md5.list; metadata:concord_list md5; sid:1000017; rev:1;)
alert nfs any any -> any any (msg:"concord file MD5 on the list concord-md5.list"; filemd5:concord-md5.list; metadata:concord_list md5; sid:1000018; rev:1;)
"#,
        i1 = id(1),
        i2 = id(2),
        i12 = id(12),
        m3 = meta(3),
        m4 = meta(4),
        m5 = meta(5),
        m6 = meta(6),
        m7 = meta(7),
        m12 = meta(12),
    );
    let lines: Vec<&str> = rules.lines().collect();
    let want: Vec<&str> = expected.lines().collect();
    assert_eq!(&lines[..want.len()], &want[..], "{rules}");
    // Then the SHA-1 and SHA-256 list rules, six each.
    assert_eq!(lines.len(), want.len() + 12, "{rules}");
    assert!(lines[want.len()].contains("filesha1:concord-sha1.list;"));
    assert!(lines[want.len() + 6].contains("filesha256:concord-sha256.list;"));
    let files: Vec<(&str, String)> = report
        .files
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                String::from_utf8(f.content.clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("concord-md5.list", format!("{MD5} {}\n", id(9))),
            ("concord-sha1.list", format!("{SHA1} {}\n", id(10))),
            ("concord-sha256.list", format!("{SHA256} {}\n", id(11))),
        ]
    );
    assert_eq!(
        not_expressible(&report),
        [("phish@evil.example".to_string(), Kind::EmailAddr)]
    );
    assert_eq!(report.records, lines.len() - 1);
    super::suricata_tools::check_rules(&rules);
}

#[test]
fn suricata_subdomain_rules_use_dotprefix() {
    let mut table = SidTable::new();
    let options = SuricataOptions {
        subdomains: true,
        ..SuricataOptions::default()
    };
    let (rules, _) = run(Target::Suricata(options, &mut table), &fixture()[..1]);
    assert!(
        rules.contains("dns.query; dotprefix; content:\".evil.example\"; nocase; endswith;"),
        "{rules}"
    );
    assert!(
        rules.contains("tls.sni; dotprefix; content:\".evil.example\"; nocase; endswith;"),
        "{rules}"
    );
    super::suricata_tools::check_rules(&rules);
}

#[test]
fn zeek_names_each_value_with_its_type_source_and_description() {
    let options = ZeekOptions {
        url_base: Some("https://concord.example/objects/".into()),
        ..ZeekOptions::default()
    };
    let (intel, report) = run(Target::Zeek(options), &fixture());
    let u = |n: u32| format!("https://concord.example/objects/{}", id(n));
    let expected = format!(
        "{ZEEK_HEADER}
198.51.100.0/24\tIntel::SUBNET\tExample CERT\tindicator 4\t{u4}
203.0.113.7\tIntel::ADDR\tExample CERT\tindicator 3\t{u3}
2001:db8:1::/48\tIntel::SUBNET\tExample CERT\tindicator 6\t{u6}
2001:db8::1\tIntel::ADDR\tExample CERT\t\\x2d\t{u5}
a.example\tIntel::DOMAIN\tExample CERT\ttwo, names\t{u2}
b.example\tIntel::DOMAIN\tExample CERT\ttwo, names\t{u2}
evil.example\tIntel::DOMAIN\tExample CERT\tBad \"domain\"; a\\x5cb\\x09c\t{u1}
evil.example\tIntel::DOMAIN\tExample CERT\t-\t{u12}
evil.example:8080/dl?x=1;y=|2\tIntel::URL\tExample CERT\t恶意软件 URL\t{u7}
phish@evil.example\tIntel::EMAIL\tExample CERT\tindicator 8\t{u8}
{MD5}\tIntel::FILE_HASH\tExample CERT\tindicator 9\t{u9}
{SHA1}\tIntel::FILE_HASH\tExample CERT\tindicator 10\t{u10}
{SHA256}\tIntel::FILE_HASH\tidentity--99999999-9999-4999-8999-999999999999\tindicator 11\t{u11}
",
        u1 = u(1),
        u2 = u(2),
        u3 = u(3),
        u4 = u(4),
        u5 = u(5),
        u6 = u(6),
        u7 = u(7),
        u8 = u(8),
        u9 = u(9),
        u10 = u(10),
        u11 = u(11),
        u12 = u(12),
    );
    assert_eq!(intel, expected);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.records, 13);
    assert_eq!(report.indicators, 12);
    super::zeek_file::read_intel(&intel);
}

#[test]
fn hosts_lists_domain_names_only() {
    let (hosts, report) = run(Target::Hosts, &fixture());
    assert_eq!(
        hosts,
        "# concord hosts export: listed domain names resolve to 0.0.0.0\n\
         0.0.0.0 a.example\n0.0.0.0 b.example\n0.0.0.0 evil.example\n"
    );
    let kinds: Vec<Kind> = not_expressible(&report)
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    assert_eq!(
        kinds,
        [
            Kind::Ipv4Addr,
            Kind::Ipv4Addr,
            Kind::Ipv6Addr,
            Kind::Ipv6Addr,
            Kind::Url,
            Kind::EmailAddr,
            Kind::Md5,
            Kind::Sha1,
            Kind::Sha256
        ]
    );
}

#[test]
fn text_lists_one_value_a_line_per_kind() {
    let (text, _) = run(Target::Text(TextOptions::default()), &fixture());
    assert_eq!(
        text,
        format!(
            "198.51.100.0/24\n203.0.113.7\n2001:db8:1::/48\n2001:db8::1\na.example\nb.example\nevil.example\n\
             http://evil.example:8080/dl?x=1;y=|2\nphish@evil.example\n{MD5}\n{SHA1}\n{SHA256}\n"
        )
    );
    let only = TextOptions {
        kinds: vec![Kind::DomainName],
    };
    let (text, report) = run(Target::Text(only), &fixture());
    assert_eq!(text, "a.example\nb.example\nevil.example\n");
    assert_eq!(report.exported_total(), 4);
    assert_eq!(report.records, 3);
}

#[test]
fn csv_quotes_per_rfc_4180() {
    let (csv, _) = run(Target::Csv, &fixture());
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(rows[0], CSV_HEADER);
    assert_eq!(
        rows[1],
        format!(
            "198.51.100.0/24,ipv4-addr,{},indicator 4,green,Example CERT,,80",
            id(4)
        )
    );
    assert!(
        rows.contains(
            &format!(
                "a.example,domain-name,{},\"two, names\",green,Example CERT,,",
                id(2)
            )
            .as_str()
        )
    );
    assert!(rows.contains(
        &format!(
            "evil.example,domain-name,{},\"Bad \"\"domain\"\"; a\\b\tc\",amber+strict,Example CERT,,80",
            id(1)
        )
        .as_str()
    ));
    assert!(rows.contains(
        &format!(
            "2001:db8:1::/48,ipv6-addr,{},indicator 6,green,Example CERT,2027-01-01T00:00:00Z,80",
            id(6)
        )
        .as_str()
    ));
    assert_eq!(rows.last(), Some(&""), "the file ends with CRLF");
    assert_eq!(rows.len(), 1 + 13 + 1);
}

#[test]
fn the_kinds_of_the_context_limit_every_format() {
    let authors = super::support::authors();
    let ctx = concord_exports::ExportContext::new(super::support::now(), &authors)
        .with_kinds(vec![Kind::Ipv4Addr, Kind::Md5]);
    let (zeek, report) =
        super::support::run_with(Target::Zeek(ZeekOptions::default()), &fixture(), &ctx);
    let values: Vec<&str> = zeek
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(values, ["198.51.100.0/24", "203.0.113.7", MD5], "{zeek}");
    assert_eq!(report.indicators, 3);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let (zone, report) =
        super::support::run_with(Target::Rpz(RpzOptions::new(1)), &fixture(), &ctx);
    check_zone("rpz.concord.", &zone);
    assert_eq!(report.records, 2, "{zone}");
    assert!(!zone.contains("example"), "{zone}");
}

#[test]
fn exports_read_from_the_kept_properties_alone() {
    // What a node hands over after `parse_object`: the same output.
    let whole: Vec<Map<String, Value>> = fixture()
        .into_iter()
        .map(|mut o| {
            o.insert("description".into(), json!("not read"));
            o.insert("kill_chain_phases".into(), json!([{"kill_chain_name": "k"}]));
            o.insert(
                "extensions".into(),
                json!({"extension-definition--f9e3a21e-ae23-4100-adb4-4852e951cfd9": {"signer": "identity--22222222-2222-4222-8222-222222222222"}}),
            );
            o
        })
        .collect();
    for format in Format::ALL {
        let kept: Vec<Map<String, Value>> = whole
            .iter()
            .map(|o| {
                let text = serde_json::to_string(o).unwrap();
                concord_exports::parse_object(text.as_bytes(), concord_exports::properties(format))
                    .unwrap()
            })
            .collect();
        assert!(kept.iter().all(|o| !o.contains_key("description")));
        let (mut t1, mut t2) = (SidTable::new(), SidTable::new());
        let (a, ra) = run(target(format, &mut t1), &whole);
        let (b, rb) = run(target(format, &mut t2), &kept);
        assert_eq!(a, b, "{format}");
        assert_eq!(ra, rb, "{format}");
        if matches!(format, Format::Zeek | Format::Csv) {
            assert!(
                a.contains("identity--22222222"),
                "the signer is the author:\n{a}"
            );
        }
    }
}

fn target(format: Format, table: &mut SidTable) -> Target<'_> {
    match format {
        Format::Rpz => Target::Rpz(RpzOptions::new(1)),
        Format::Suricata => Target::Suricata(SuricataOptions::default(), table),
        Format::Zeek => Target::Zeek(ZeekOptions::default()),
        Format::Hosts => Target::Hosts,
        Format::Text => Target::Text(TextOptions::default()),
        Format::Csv => Target::Csv,
    }
}
