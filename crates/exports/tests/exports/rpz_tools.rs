//! The shared corpus (gen_corpus.py) through every format: the zone passes
//! named-checkzone, the rules both Python parsers, the Intel file the Zeek
//! reader, and every active indicator the format can say is in the output.

use std::path::{Path, PathBuf};
use std::process::Command;

use concord_exports::{Kind, RpzOptions, SidTable, SuricataOptions, Target, ZeekOptions};
use serde_json::{Map, Value};

use super::support::{check_zone, now, run};

/// The corpus generator: `CONCORD_SHARED/corpus/gen_corpus.py`, else the
/// shared directory beside the workspace.
fn generator() -> PathBuf {
    let shared = std::env::var_os("CONCORD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let g = shared.join("corpus/gen_corpus.py");
    assert!(
        g.is_file(),
        "missing {}: set CONCORD_SHARED to the shared directory",
        g.display()
    );
    g
}

/// The indicators of a corpus of `n`.
pub(crate) fn corpus(n: usize) -> Vec<Map<String, Value>> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = Command::new("python3")
        .arg(generator())
        .args(["--indicators", &n.to_string(), "--out"])
        .arg(dir.path())
        .output()
        .expect("python3 runs gen_corpus.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("bundle.json")).expect("bundle.json"),
    )
    .expect("JSON");
    bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == "indicator")
        .map(|o| o.as_object().expect("an object").clone())
        .collect()
}

#[test]
fn the_corpus_exports_to_every_format_and_every_consumer_reads_it() {
    let indicators = corpus(3000);
    assert_eq!(indicators.len(), 3000);
    let now = now().to_stix();
    // What the corpus says, counted without the crate: active indicators
    // per pattern shape.
    let mut active = std::collections::BTreeMap::<&str, usize>::new();
    let mut hash_values = 0;
    for o in &indicators {
        let until = o.get("valid_until").and_then(Value::as_str);
        if until.is_some_and(|u| u <= now.as_str()) {
            continue;
        }
        let p = o["pattern"].as_str().unwrap();
        let shape = if p.starts_with("[domain-name:") {
            "domain"
        } else if p.starts_with("[ipv4-addr:") {
            "ipv4"
        } else if let Some(url) = p.strip_prefix("[url:value = '") {
            let host = url
                .split("://")
                .nth(1)
                .unwrap()
                .split(['/', ':'])
                .next()
                .unwrap();
            if host.parse::<std::net::Ipv4Addr>().is_ok() {
                "url with an address"
            } else {
                "url"
            }
        } else if p.starts_with("[email-addr:") {
            "email"
        } else {
            "file"
        };
        *active.entry(shape).or_default() += 1;
        if shape == "file" {
            hash_values += p.matches(" = '").count();
        }
    }

    let mut options = RpzOptions::new(1);
    options.url_hosts = true;
    let (zone, report) = run(Target::Rpz(options), &indicators);
    check_zone("rpz.concord.", &zone);
    assert_eq!(report.exported[&Kind::DomainName], active["domain"]);
    assert_eq!(report.exported[&Kind::Ipv4Addr], active["ipv4"]);
    assert_eq!(report.exported[&Kind::Url], active["url"]);
    assert!(active["url with an address"] > 0);
    assert_eq!(
        report.skipped_by_reason()["not-expressible"],
        active["url with an address"] + active["email"] + hash_values
    );
    assert!(!report.exported.contains_key(&Kind::EmailAddr));

    let mut table = SidTable::new();
    let (rules, report) = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &indicators,
    );
    let parsed = super::suricata_tools::check_rules(&rules);
    assert_eq!(parsed.len(), report.records);
    assert_eq!(report.exported[&Kind::DomainName], active["domain"]);
    // Two rules per domain, one per address indicator, one per URL.
    assert_eq!(
        parsed.iter().filter(|r| r.proto == "dns").count(),
        active["domain"]
    );
    assert_eq!(
        parsed.iter().filter(|r| r.proto == "ip").count(),
        active["ipv4"]
    );

    let (intel, report) = run(Target::Zeek(ZeekOptions::default()), &indicators);
    let items = super::zeek_file::read_intel(&intel);
    assert_eq!(items.len(), report.records);
    assert!(report.skipped.iter().all(|s| s.reason.code() == "expired"));
    let skipped_expired = report.skipped.len();
    assert_eq!(
        active.values().sum::<usize>() + skipped_expired,
        indicators.len()
    );
}
