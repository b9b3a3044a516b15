use proptest::prelude::*;

use super::*;

fn texts(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    extract(line, &mut out);
    out.iter().map(Observable::text).collect()
}

fn v4(s: &str) -> Observable {
    Observable::Ipv4(s.parse().unwrap())
}

#[test]
fn firewall_and_syslog_lines() {
    let mut out = Vec::new();
    extract(
        "Dec  3 10:00:01 fw kernel: DROP IN=eth0 OUT= MAC=00:16:3e:5a:1b:2c:00:1b:21:3a:4f:5e:08:00 \
         SRC=10.0.0.5 DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=54321 DF PROTO=TCP SPT=40000 DPT=443",
        &mut out,
    );
    assert_eq!(out, vec![v4("10.0.0.5"), v4("203.0.113.7")]);

    assert_eq!(
        texts(
            "Dec  3 10:00:02 mail postfix/smtpd[1234]: NOQUEUE: reject: RCPT from unknown[198.51.100.23]: 554 5.7.1 <bob@victim.example>: Relay access denied; from=<spam@evil-mail.com> to=<bob@victim.example> proto=ESMTP helo=<mx.evil-mail.com>"
        ),
        [
            "198.51.100.23",
            "bob@victim.example",
            "victim.example",
            "spam@evil-mail.com",
            "evil-mail.com",
            "mx.evil-mail.com"
        ]
    );
    assert_eq!(
        texts(
            "Dec 3 10:00:03 proxy squid[99]: 1733220003.123 45 10.1.2.3 TCP_MISS/200 5120 GET http://malware.example.net/payload.bin?id=7 - HIER_DIRECT/192.0.2.44 application/octet-stream"
        ),
        [
            "http://malware.example.net/payload.bin?id=7",
            "10.1.2.3",
            "malware.example.net",
            "192.0.2.44"
        ]
    );
    assert_eq!(
        texts(
            "sshd[811]: Failed password for root from 2001:db8:85a3::8a2e:370:7334 port 52214 ssh2"
        ),
        ["2001:db8:85a3::8a2e:370:7334"]
    );
    assert_eq!(
        texts(
            "AV: Trojan.GenericKD found in C:\\Users\\x\\AppData\\e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.exe (md5 d41d8cd98f00b204e9800998ecf8427e, sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709)"
        ),
        [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "d41d8cd98f00b204e9800998ecf8427e",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        ]
    );
}

#[test]
fn defanged_report_text() {
    assert_eq!(
        texts(
            "The C2 at hxxps://update-check[.]evil[.]com/gate.php (IP 45.9.148[.]3) mailed admin[at]evil(dot)com; see also 1.2.3[.]4."
        ),
        [
            "https://update-check.evil.com/gate.php",
            "update-check.evil.com",
            "45.9.148.3",
            "admin@evil.com",
            "evil.com",
            "1.2.3.4"
        ]
    );
}

#[test]
fn false_positives_stay_out() {
    for line in [
        "opened report.pdf and setup.exe from C:\\temp\\invoice.docx",
        "firmware version 1.2.3.4.5 and 10.2.3.400",
        "build 0123456789abcdef0123456789abcdef0 (33 hex) and deadbeef",
        "std::io::Result and Foo::Bar and fe:ed and ::",
        "MAC=00:16:3e:5a:1b:2c at 10:00:01.123 on 2026-12-03T10:00:01Z",
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "x.y@z and @handle and foo@bar",
    ] {
        assert_eq!(texts(line), Vec::<String>::new(), "{line}");
    }
}

#[test]
fn trailing_punctuation_and_ports() {
    assert_eq!(
        texts(
            "Blocked (http://evil.example/a_(b)), then evil.example. and 192.0.2.1:8080, evil.example:443; [2001:db8::1]:53"
        ),
        [
            "http://evil.example/a_(b)",
            "evil.example",
            "192.0.2.1",
            "2001:db8::1"
        ]
    );
    assert_eq!(
        texts("mailto:Alice@Evil.Example>"),
        ["alice@evil.example", "evil.example"]
    );
    assert_eq!(
        texts(
            "url='http://evil.example/a' next='http://evil.example/it's' then http://evil.example/b'"
        ),
        [
            "http://evil.example/a",
            "http://evil.example/it",
            "http://evil.example/b",
            "evil.example"
        ]
    );
    assert_eq!(
        texts("GET http://evil.example/it's/x HTTP/1.1"),
        ["http://evil.example/it's/x", "evil.example"]
    );
}

/// Values planted in text, and what extraction must give for them.
fn planted() -> impl Strategy<Value = (String, String, String)> {
    let label = "[a-z][a-z0-9]{0,10}";
    let tld = prop::sample::select(vec![
        "com", "org", "net", "example", "io", "de", "xn--p1ai", "museum",
    ]);
    let domain = (prop::collection::vec(label, 1..4), tld)
        .prop_map(|(ls, t)| format!("{}.{t}", ls.join(".")));
    let v4 = any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_string());
    let v6 = (0x1000u16..=0xffff, any::<[u16; 7]>()).prop_map(|(first, rest)| {
        let mut g = [0u16; 8];
        g[0] = first;
        g[1..].copy_from_slice(&rest);
        std::net::Ipv6Addr::from(g).to_string()
    });
    let hash = prop_oneof!["[0-9a-f]{32}", "[0-9a-f]{40}", "[0-9a-f]{64}",];
    prop_oneof![
        domain.clone().prop_map(|d| {
            let defanged = d.replace('.', "[.]");
            (d.clone(), defanged, d)
        }),
        v4.prop_map(|a| (a.clone(), a.replace('.', "[.]"), a)),
        v6.prop_map(|a| (a.clone(), a.clone(), a)),
        hash.prop_map(|h| (h.clone(), h.clone(), h)),
        ("[a-z][a-z0-9._-]{0,8}[a-z0-9]", domain.clone()).prop_map(|(l, d)| {
            let e = format!("{l}@{d}");
            if l.contains("..") {
                let e = format!("x@{d}");
                (e.clone(), e.replace('@', "[at]").replace('.', "(.)"), e)
            } else {
                (e.clone(), e.replace('@', "[at]").replace('.', "(.)"), e)
            }
        }),
        (
            prop::sample::select(vec!["http", "https"]),
            domain,
            "(/[a-z0-9_-]{1,8}){0,3}"
        )
            .prop_map(|(s, d, p)| {
                let u = format!("{s}://{d}{p}");
                let defanged = format!("{}://{}{p}", s.replace("tt", "xx"), d.replace('.', "[.]"));
                (
                    u.clone(),
                    defanged,
                    format!("{s}://{d}{}", if p.is_empty() { "/" } else { &p }),
                )
            }),
    ]
}

/// Words and separators that hold no observable.
fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-z]{1,8}",
            "[A-Z][a-z]{0,6}",
            "[0-9]{1,4}",
            Just("kernel:".to_string()),
            Just("=".to_string())
        ],
        0..4,
    )
    .prop_map(|w| w.join(" "))
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        " ", ", ", "; ", " (", ") ", " <", "> ", "\t", " SRC=", " \"", "\" ", " 'x ",
    ])
}

proptest! {
    #[test]
    fn every_planted_observable_is_found(
        parts in prop::collection::vec((filler(), separator(), planted(), separator()), 1..5),
        end in filler(),
    ) {
        let mut line = String::new();
        let mut defanged_line = String::new();
        for (f, s1, (plain, defanged, _), s2) in &parts {
            for (l, v) in [(&mut line, plain), (&mut defanged_line, defanged)] {
                l.push_str(f);
                l.push_str(s1);
                l.push_str(v);
                l.push_str(s2);
            }
        }
        line.push_str(&end);
        defanged_line.push_str(&end);
        let found = texts(&line);
        for (_, _, (_, _, want), _) in &parts {
            prop_assert!(found.contains(want), "{want} not in {found:?} from {line:?}");
        }
        prop_assert_eq!(&texts(&defanged_line), &found, "{} vs {}", defanged_line, line);
    }

    #[test]
    fn defanged_values_parse_alone_as_the_plain_ones((plain, defanged, _) in planted()) {
        prop_assert_eq!(parse_ioc(&defanged).ok(), parse_ioc(&plain).ok());
        prop_assert!(parse_ioc(&plain).is_ok(), "{}", plain);
    }

    #[test]
    fn any_text_is_read_without_panic(text in "\\PC{0,200}") {
        let mut out = Vec::new();
        extract(&text, &mut out);
        let _ = parse_ioc(&text);
    }
}
