//! Free-text lines (firewall, syslog, proxy, reports) read in text mode:
//! every observable of the line is matched.

use concord_matcher::{Format, Index, LineKind, LogReader, Scratch, read_line};
use serde_json::json;

fn index() -> Index {
    let patterns = [
        ("dst", "[ipv4-addr:value = '203.0.113.7']"),
        ("net", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
        ("v6", "[ipv6-addr:value = '2001:db8:85a3::8a2e:370:7334']"),
        ("domain", "[domain-name:value = 'update-check.evil.com']"),
        (
            "url",
            "[url:value = 'https://update-check.evil.com/gate.php']",
        ),
        ("mail", "[email-addr:value = 'spam@evil-mail.com']"),
        (
            "md5",
            "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        ),
        (
            "sha256",
            "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
        ),
    ];
    let indicators: Vec<_> = patterns
        .iter()
        .enumerate()
        .map(|(i, (name, p))| json!({"type": "indicator", "id": format!("indicator--00000000-0000-4000-8000-{i:012}"), "name": name, "pattern": p, "pattern_type": "stix"}))
        .collect();
    let (index, errors) = Index::build(&indicators, None);
    assert!(errors.is_empty(), "{errors:?}");
    index
}

fn names(index: &Index, line: &str) -> Vec<String> {
    let observables = read_line(Format::Text, &[], line, "syslog", 1).expect("text always reads");
    let mut hits = Vec::new();
    index.match_event(&observables, &mut Scratch::default(), &mut hits);
    let mut n: Vec<String> = hits
        .iter()
        .map(|h| {
            format!(
                "{}={}",
                index.info(h.slot).expect("slot").name.unwrap_or_default(),
                observables[h.observable].text()
            )
        })
        .collect();
    n.sort();
    n
}

#[test]
fn firewall_and_syslog_lines_hit() {
    let index = index();
    assert_eq!(
        names(
            &index,
            "Dec  3 10:00:01 fw kernel: DROP IN=eth0 OUT= MAC=00:16:3e:5a:1b:2c:00:1b:21:3a:4f:5e:08:00 SRC=10.0.0.5 DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=54321 DF PROTO=TCP SPT=40000 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0"
        ),
        ["dst=203.0.113.7"]
    );
    assert_eq!(
        names(
            &index,
            "Dec  3 10:00:02 mail postfix/smtpd[1234]: NOQUEUE: reject: RCPT from unknown[198.51.100.23]: 554 5.7.1 <bob@victim.example>: Relay access denied; from=<spam@evil-mail.com> to=<bob@victim.example> proto=ESMTP helo=<mx.evil-mail.com>"
        ),
        ["mail=spam@evil-mail.com", "net=198.51.100.23"]
    );
    assert_eq!(
        names(
            &index,
            "Dec  3 10:00:03 web sshd[811]: Failed password for root from 2001:db8:85a3::8a2e:370:7334 port 52214 ssh2"
        ),
        ["v6=2001:db8:85a3::8a2e:370:7334"]
    );
    assert_eq!(
        names(
            &index,
            "<134>1 2026-12-03T10:00:04Z proxy squid - - - 1733220004.5 88 10.1.2.3 TCP_MISS/200 512 GET https://update-check.evil.com/gate.php - HIER_DIRECT/203.0.113.9 text/html"
        ),
        [
            "domain=update-check.evil.com",
            "url=https://update-check.evil.com/gate.php"
        ]
    );
    assert_eq!(
        names(
            &index,
            "2026-12-03 10:00:05 AV alert: Trojan found, file C:\\Users\\x\\e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.exe md5=D41D8CD98F00B204E9800998ECF8427E"
        ),
        [
            "md5=d41d8cd98f00b204e9800998ecf8427e",
            "sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ]
    );
    // Defanged, as reports write them.
    assert_eq!(
        names(
            &index,
            "IOC: hxxps://update-check[.]evil[.]com/gate[.]php and 203[.]0[.]113[.]7"
        ),
        [
            "domain=update-check.evil.com",
            "dst=203.0.113.7",
            "url=https://update-check.evil.com/gate.php"
        ]
    );
    assert!(names(&index, "Dec  3 10:00:06 host cron[1]: (root) CMD (run-parts /etc/cron.hourly) v1.2.3.4.5 report.pdf").is_empty());
}

#[test]
fn comments_and_blank_lines_are_no_events() {
    let mut reader = LogReader::new(Some(Format::Text), Vec::new());
    let mut out = Vec::new();
    assert_eq!(
        reader.read("# exported 2026-12-03 from 203.0.113.7", "f", 1, &mut out),
        Ok(LineKind::Skipped)
    );
    assert_eq!(reader.read("   ", "f", 2, &mut out), Ok(LineKind::Skipped));
    assert!(out.is_empty());
    assert_eq!(
        reader.read("DST=203.0.113.7", "f", 3, &mut out),
        Ok(LineKind::Event)
    );
    assert_eq!(out.len(), 1);
    // Detected per line: JSON or text.
    let mut auto = LogReader::new(None, Vec::new());
    out.clear();
    assert_eq!(
        auto.read(r#"{"dst_ip":"203.0.113.7"}"#, "f", 1, &mut out),
        Ok(LineKind::Event)
    );
    assert_eq!(
        auto.read("from 198.51.100.1", "f", 2, &mut out),
        Ok(LineKind::Event)
    );
    assert_eq!(out.len(), 2);
    assert_eq!(auto.format(), None);
}
