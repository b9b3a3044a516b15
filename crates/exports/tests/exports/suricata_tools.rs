//! Suricata rules read by the PyPI parsers suricataparser and idstools.

use std::process::Command;

use serde_json::Value;

use super::support::python;

/// What both parsers read of one rule (they must agree).
#[derive(Debug, Clone)]
pub(crate) struct ParsedRule {
    pub(crate) sid: u64,
    pub(crate) rev: u64,
    /// With Suricata's escapes undone.
    pub(crate) msg: String,
    pub(crate) proto: String,
    pub(crate) dest_addr: String,
    pub(crate) dest_port: String,
    pub(crate) metadata: Vec<String>,
    /// Option names and raw values, in rule order.
    pub(crate) options: Vec<(String, Option<String>)>,
}

/// The option keywords the exports write.
const KEYWORDS: [&str; 16] = [
    "msg",
    "dns.query",
    "tls.sni",
    "dotprefix",
    "content",
    "nocase",
    "startswith",
    "endswith",
    "http.host",
    "http.uri",
    "filemd5",
    "filesha1",
    "filesha256",
    "metadata",
    "sid",
    "rev",
];

fn unescape_msg(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses every rule of `rules` with both parsers through Python and fails
/// the test if either cannot read a rule, if they disagree, or if a rule
/// reads as options the export never writes (an escape gone wrong).
pub(crate) fn check_rules(rules: &str) -> Vec<ParsedRule> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("concord.rules");
    std::fs::write(&path, rules).expect("the rules are written");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/exports/suricata_check.py"
    );
    let out = Command::new(python())
        .arg(script)
        .arg(&path)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(
        out.status.success(),
        "a rule does not parse:\n{stdout}\n{}\n--- rules ---\n{rules}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = rules
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut parsed = Vec::new();
    for (json, rule) in stdout.lines().zip(&lines) {
        let v: Value = serde_json::from_str(json).expect("the checker prints JSON");
        let sp = &v["suricataparser"];
        let ids = &v["idstools"];
        for key in ["sid", "rev", "msg", "metadata"] {
            assert_eq!(sp[key], ids[key], "the parsers disagree on {key} of {rule}");
        }
        let names = |o: &Value| -> Vec<String> {
            o["options"]
                .as_array()
                .expect("options")
                .iter()
                .map(|p| p[0].as_str().expect("a name").to_string())
                .collect()
        };
        assert_eq!(
            names(sp),
            names(ids),
            "the parsers disagree on the options of {rule}"
        );
        let options: Vec<(String, Option<String>)> = ids["options"]
            .as_array()
            .expect("options")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().expect("a name").to_string(),
                    p[1].as_str().map(str::to_string),
                )
            })
            .collect();
        for (name, _) in &options {
            assert!(
                KEYWORDS.contains(&name.as_str()),
                "{rule} reads as having the option {name:?}"
            );
        }
        let sid = ids["sid"].as_u64().expect("a sid");
        assert!(
            rule.ends_with(&format!("sid:{sid}; rev:{};)", ids["rev"])),
            "{rule}"
        );
        parsed.push(ParsedRule {
            sid,
            rev: ids["rev"].as_u64().expect("a rev"),
            msg: unescape_msg(ids["msg"].as_str().expect("a msg")),
            proto: ids["proto"].as_str().expect("a proto").to_string(),
            dest_addr: ids["dest_addr"].as_str().expect("an address").to_string(),
            dest_port: ids["dest_port"].as_str().expect("a port").to_string(),
            metadata: ids["metadata"]
                .as_array()
                .expect("metadata")
                .iter()
                .map(|m| m.as_str().expect("text").to_string())
                .collect(),
            options,
        });
    }
    assert_eq!(parsed.len(), lines.len(), "every rule is read");
    parsed
}

#[test]
fn both_parsers_read_escaped_messages_contents_and_address_groups() {
    use concord_exports::{SidTable, SuricataOptions, Target};
    let objects = super::formats::fixture();
    let mut table = SidTable::new();
    let (rules, _) = super::support::run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &objects,
    );
    let parsed = check_rules(&rules);
    let first = &parsed[0];
    assert_eq!(first.msg, "concord Bad 'domain'; a\\b c");
    assert_eq!(first.proto, "dns");
    assert_eq!(
        first.metadata,
        [
            format!("stix_id {}", super::support::id(1)),
            "tlp amber+strict".to_string(),
            "confidence 80".to_string()
        ]
    );
    let url = parsed
        .iter()
        .find(|r| r.proto == "http" && r.dest_port == "8080")
        .expect("the URL rule");
    let contents: Vec<&str> = url
        .options
        .iter()
        .filter(|(n, _)| n == "content")
        .filter_map(|(_, v)| v.as_deref())
        .collect();
    assert_eq!(contents, ["\"evil.example\"", "\"/dl?x=1|3B|y=|7C|2\""]);
    let ips: Vec<&str> = parsed
        .iter()
        .filter(|r| r.proto == "ip")
        .map(|r| r.dest_addr.as_str())
        .collect();
    assert_eq!(
        ips,
        [
            "[203.0.113.7]",
            "[198.51.100.0/24]",
            "[2001:db8::1]",
            "[2001:db8:1::/48]"
        ]
    );
    let mut sids: Vec<u64> = parsed.iter().map(|r| r.sid).collect();
    sids.sort_unstable();
    sids.dedup();
    assert_eq!(sids.len(), parsed.len(), "sids are unique");
    assert!(parsed.iter().all(|r| r.rev == 1));
}
