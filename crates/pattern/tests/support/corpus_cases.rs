//! Cases built from the shared corpus (gen_corpus.py): the indicator
//! patterns against single events, the planted hits, patterns derived from
//! the events' values for every operator, and multi-event patterns for the
//! observation operators and qualifiers.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::Suite;

pub(crate) struct Corpus {
    pub patterns: Vec<String>,
    pub indicator_ids: Vec<String>,
    pub observed: Vec<Value>,
    pub truth: Vec<(usize, String)>,
}

/// Generates a corpus into `dir` with the shared generator.
pub(crate) fn generate(
    python: &str,
    dir: &Path,
    indicators: usize,
    events: usize,
    hit_rate: f64,
) -> Corpus {
    let generator =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/gen_corpus.py");
    assert!(
        generator.exists(),
        "the shared corpus generator is missing at {}",
        generator.display()
    );
    let run = Command::new(python)
        .arg(&generator)
        .args(["--indicators", &indicators.to_string()])
        .args(["--events", &events.to_string()])
        .args(["--hit-rate", &hit_rate.to_string()])
        .arg("--out")
        .arg(dir)
        .output()
        .expect("run gen_corpus.py");
    assert!(
        run.status.success(),
        "gen_corpus.py failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    };
    let patterns: Vec<String> = read("patterns.txt").lines().map(String::from).collect();
    let bundle: Value = serde_json::from_str(&read("bundle.json")).expect("bundle.json is JSON");
    let indicator_ids = bundle["objects"]
        .as_array()
        .expect("bundle objects")
        .iter()
        .filter(|o| o["type"] == "indicator")
        .map(|o| o["id"].as_str().expect("indicator id").to_string())
        .collect();
    let observed: Vec<Value> =
        serde_json::from_str(&read("observed.json")).expect("observed.json is JSON");
    let truth = read("events.truth.jsonl")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("truth line");
            (
                v["event"].as_u64().expect("event") as usize,
                v["indicator"].as_str().expect("indicator").to_string(),
            )
        })
        .collect();
    Corpus {
        patterns,
        indicator_ids,
        observed,
        truth,
    }
}

fn sco<'v>(bundle: &'v Value, ty: &str) -> Option<&'v Value> {
    bundle["objects"]
        .as_array()?
        .iter()
        .find(|o| o["type"] == ty)
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_default()
        .replace('\\', "\\\\")
        .replace('\'', "\\'")
}

fn first_observed(bundle: &Value) -> String {
    bundle["objects"][0]["first_observed"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Moves a `YYYY-MM-DDTHH:MM:SS.mmmZ` timestamp by whole seconds (the
/// corpus never crosses a day boundary by more than a few minutes).
fn shift(ts: &str, seconds: i64) -> String {
    let t = concord_pattern::Timestamp::parse(ts).expect("corpus timestamps parse");
    concord_pattern::Timestamp {
        micros: t.micros + seconds * 1_000_000,
    }
    .to_string()
}

/// Single-event patterns derived from one event's values.
fn derived_patterns(b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(nt) = sco(b, "network-traffic") {
        let dst = sco_value_by_id(b, &nt["dst_ref"]);
        let port = nt["dst_port"].as_u64().unwrap_or(0);
        out.push(format!("[network-traffic:dst_ref.value = '{dst}']"));
        out.push(format!("[network-traffic:dst_port = {port}]"));
        out.push(format!(
            "[network-traffic:dst_port > {}]",
            port.saturating_sub(1)
        ));
        out.push(format!("[network-traffic:dst_port NOT <= {port}]"));
        out.push("[network-traffic:dst_port IN (443, 80, 8443)]".to_string());
        out.push("[network-traffic:dst_port NOT IN (443, 80)]".to_string());
        out.push("[network-traffic:protocols[*] = 'tcp']".to_string());
        out.push("[network-traffic:protocols[1] = 'udp']".to_string());
        out.push("[network-traffic:protocols[0] != 'ipv4']".to_string());
        out.push("[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']".to_string());
        out.push(format!("[ipv4-addr:value ISSUBSET '{dst}/16']"));
        out.push(format!("[ipv4-addr:value NOT ISSUBSET '{dst}/24']"));
        out.push(format!(
            "[network-traffic:src_port >= 30000 AND network-traffic:dst_port = {port}]"
        ));
        out.push(format!(
            "[network-traffic:dst_port = 22 OR network-traffic:dst_ref.value = '{dst}']"
        ));
        out.push("[network-traffic:dst_port >= 1024.5]".to_string());
        out.push("[network-traffic:src_port < 'abc']".to_string());
        out.push(format!("[ipv4-addr:value != '{dst}']"));
        out.push("[EXISTS network-traffic:dst_ref]".to_string());
    }
    if let Some(d) = sco(b, "domain-name") {
        let v = s(&d["value"]);
        let first = v.split('.').next().unwrap_or_default().to_string();
        let tld = v.rsplit('.').next().unwrap_or_default().to_string();
        out.push(format!("[domain-name:value = '{v}']"));
        out.push(format!("[domain-name:value LIKE '%.{tld}']"));
        out.push(format!("[domain-name:value LIKE '{first}._%']"));
        out.push(format!("[domain-name:value NOT LIKE '{first}%']"));
        out.push(format!("[domain-name:value MATCHES '^{first}\\\\.']"));
        out.push(format!("[domain-name:value MATCHES '\\\\.{tld}$']"));
        out.push(format!("[domain-name:value IN ('{v}', 'example.com')]"));
        out.push(format!("[domain-name:value > '{first}']"));
        out.push(format!("[domain-name:value <= '{v}']"));
    }
    if let Some(u) = sco(b, "url") {
        let v = s(&u["value"]);
        let prefix: String = v.chars().take(12).collect();
        out.push(format!("[url:value = '{v}']"));
        out.push(format!("[url:value LIKE '{prefix}%']"));
        out.push("[url:value MATCHES 'login|update|[0-9]{3}']".to_string());
        out.push("[url:value NOT MATCHES '^https://']".to_string());
    }
    if let Some(f) = sco(b, "file") {
        let md5 = s(&f["hashes"]["MD5"]);
        let sha256 = s(&f["hashes"]["SHA-256"]);
        let name = s(&f["name"]);
        out.push(format!("[file:hashes.'SHA-256' = '{sha256}']"));
        out.push(format!("[file:hashes.MD5 IN ('{md5}', 'ffff')]"));
        out.push(format!(
            "[file:hashes.MD5 = '{md5}' AND file:name = '{name}']"
        ));
        out.push(format!(
            "[file:hashes.MD5 = '{md5}' AND file:name != '{name}']"
        ));
        out.push("[file:name LIKE '%.exe' OR file:name LIKE '%.dll']".to_string());
        out.push("[file:hashes.'SHA-1' > '8']".to_string());
        out.push("[file:name MATCHES '\\\\.(exe|dll|js)$']".to_string());
        out.push("[file:hashes.'SHA-512' = 'x']".to_string());
        out.push("[EXISTS file:hashes.'SHA-1']".to_string());
        out.push("[file:hashes[*] = 'x']".to_string());
    }
    if let Some(m) = sco(b, "email-message") {
        let from = sco_value_by_id(b, &m["from_ref"]);
        let subject = s(&m["subject"]);
        let word = subject.split(' ').next().unwrap_or_default().to_string();
        out.push(format!("[email-message:from_ref.value = '{from}']"));
        out.push(format!("[email-message:subject LIKE '{word}%']"));
        out.push("[email-message:is_multipart = false]".to_string());
        out.push("[email-message:is_multipart NOT = true]".to_string());
        out.push("[email-message:is_multipart IN (0)]".to_string());
        out.push("[email-addr:value MATCHES '@corp']".to_string());
        out.push(format!(
            "[email-addr:value = '{from}' AND email-message:subject = '{subject}']"
        ));
    }
    out
}

fn sco_value_by_id(b: &Value, id: &Value) -> String {
    b["objects"]
        .as_array()
        .and_then(|objs| objs.iter().find(|o| &o["id"] == id))
        .map(|o| s(&o["value"]))
        .unwrap_or_default()
}

/// A comparison that holds for exactly this event's main observable.
fn anchor(b: &Value) -> Option<String> {
    if let Some(nt) = sco(b, "network-traffic") {
        return Some(format!(
            "[network-traffic:dst_ref.value = '{}']",
            sco_value_by_id(b, &nt["dst_ref"])
        ));
    }
    for ty in ["domain-name", "url", "email-addr"] {
        if let Some(o) = sco(b, ty) {
            return Some(format!("[{ty}:value = '{}']", s(&o["value"])));
        }
    }
    sco(b, "file").map(|f| format!("[file:hashes.'SHA-256' = '{}']", s(&f["hashes"]["SHA-256"])))
}

/// Adds the corpus cases; returns how many pairs come from the corpus.
pub(crate) fn add(
    suite: &mut Suite,
    corpus: &Corpus,
    grid_patterns: usize,
    grid_events: usize,
) -> usize {
    let before = suite.cases.len();
    let base = suite.pool.len();
    for b in &corpus.observed {
        suite.add_input(b.clone());
    }
    let n = corpus.observed.len();
    // 1. Indicator patterns x single events.
    for (p, pattern) in corpus.patterns.iter().take(grid_patterns).enumerate() {
        for e in 0..grid_events.min(n) {
            suite.case(format!("grid p{p} e{e}"), pattern.clone(), vec![base + e]);
        }
    }
    // 2. Every planted hit.
    for (e, indicator) in &corpus.truth {
        if let Some(p) = corpus.indicator_ids.iter().position(|i| i == indicator) {
            suite.case(
                format!("truth e{e} {indicator}"),
                corpus.patterns[p].clone(),
                vec![base + e],
            );
        }
    }
    // 3. Derived single-event patterns, against their event and neighbours.
    for e in 0..n.min(150) {
        for (k, pattern) in derived_patterns(&corpus.observed[e])
            .into_iter()
            .enumerate()
        {
            for other in [e, (e + 1) % n, (e + 7) % n] {
                suite.case(
                    format!("derived e{e} #{k} vs e{other}"),
                    pattern.clone(),
                    vec![base + other],
                );
            }
        }
    }
    // 4. Observation operators and qualifiers over windows of events.
    for e in 0..n.saturating_sub(6).min(120) {
        let (Some(a), Some(b)) = (anchor(&corpus.observed[e]), anchor(&corpus.observed[e + 2]))
        else {
            continue;
        };
        let window: Vec<usize> = (e..e + 5).map(|i| base + i).collect();
        let reversed: Vec<usize> = window.iter().rev().copied().collect();
        let t = first_observed(&corpus.observed[e]);
        let patterns = [
            format!("{a} AND {b}"),
            format!("{a} OR {b}"),
            format!("{a} FOLLOWEDBY {b}"),
            format!("{b} FOLLOWEDBY {a}"),
            format!("({a} AND {b}) WITHIN 1 SECONDS"),
            format!("({a} AND {b}) WITHIN 0.05 SECONDS"),
            format!("({a} FOLLOWEDBY {b}) WITHIN 2 SECONDS"),
            format!("{a} REPEATS 2 TIMES"),
            format!("({a} OR {b}) REPEATS 2 TIMES"),
            format!("({a} OR {b}) REPEATS 3 TIMES"),
            format!("{a} START t'{}' STOP t'{}'", shift(&t, -1), shift(&t, 1)),
            format!("{a} START t'{}' STOP t'{}'", shift(&t, 1), shift(&t, 5)),
            format!("{a} START t'{t}' STOP t'{}'", shift(&t, 1)),
            format!("{a} START t'{}' STOP t'{t}'", shift(&t, -1)),
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] REPEATS 2 TIMES".to_string(),
            "[domain-name:value LIKE '%.%'] FOLLOWEDBY [network-traffic:dst_port = 443]"
                .to_string(),
            "([domain-name:value LIKE '%'] OR [url:value LIKE 'http%']) AND [file:name LIKE '%']"
                .to_string(),
            format!("({a} AND {b}) OR [x-unknown:value = 1]"),
        ];
        for (k, pattern) in patterns.iter().enumerate() {
            suite.case(format!("window e{e} #{k}"), pattern.clone(), window.clone());
            suite.case(
                format!("window e{e} #{k} reversed"),
                pattern.clone(),
                reversed.clone(),
            );
        }
    }
    suite.cases.len() - before
}
