//! The matcher benchmark behind bench/matcher.sh: builds the index from a
//! corpus bundle, measures index build time and memory, atomic matching
//! speed and whole-line speed on the corpus events (checked against the
//! truth file), and the evaluator on the peer's (pattern, observation) set.
//! Prints one JSON object per figure.
//!
//! Usage: bench_match --corpus DIR [--peer-corpus DIR -M PATTERNS -N OBSERVATIONS]
#![expect(
    clippy::print_stdout,
    reason = "a benchmark program: the figures it prints are its output"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use concord_matcher::{Format, Index, Observable, Scratch, read_line};
use concord_pattern::{Observations, Pattern};
use serde_json::{Value, json};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn indicators(bundle: &Value) -> Vec<&Value> {
    bundle["objects"]
        .as_array()
        .map(|a| a.iter().filter(|o| o["type"] == "indicator").collect())
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let corpus = PathBuf::from(arg(&args, "--corpus").expect("--corpus DIR"));

    // Index build from the corpus bundle (JSON parsing is reported apart:
    // the store hands the index parsed objects).
    let t = Instant::now();
    let bundle = read_json(&corpus.join("bundle.json"));
    let parse_s = t.elapsed().as_secs_f64();
    let inds = indicators(&bundle);
    let before = rss_kib();
    let t = Instant::now();
    let (index, errors) = Index::build(inds.iter().copied(), None);
    let build_s = t.elapsed().as_secs_f64();
    let after = rss_kib();
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
    let n = index.len() as f64;
    println!(
        "{}",
        json!({"what": "index build", "indicators": index.len(), "build_seconds": build_s,
               "bundle_parse_seconds": parse_s,
               "bytes_per_indicator_rss": (after.saturating_sub(before) * 1024) as f64 / n,
               "bytes_per_indicator_counted": index.memory_bytes() as f64 / n})
    );

    // Events: read once, then match the observables (atomic) repeatedly.
    let text = std::fs::read_to_string(corpus.join("events.jsonl")).expect("events.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    let t = Instant::now();
    let events: Vec<Vec<Observable>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            read_line(Format::Json, &[], l, "events.jsonl", i as u64 + 1).expect("corpus line")
        })
        .collect();
    let read_s = t.elapsed().as_secs_f64();
    let mut scratch = Scratch::default();
    let mut hits = Vec::new();
    let mut found = BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        hits.clear();
        index.match_event(e, &mut scratch, &mut hits);
        for h in &hits {
            found.insert((i, index.info(h.slot).map(|x| x.id).unwrap_or_default()));
        }
    }
    let truth: BTreeSet<(usize, String)> =
        std::fs::read_to_string(corpus.join("events.truth.jsonl"))
            .expect("truth")
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| {
                (
                    v["event"].as_u64().unwrap_or(0) as usize,
                    v["indicator"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
    let mut rounds = 0u64;
    let mut total_hits = 0usize;
    let t = Instant::now();
    while rounds == 0 || t.elapsed().as_secs_f64() < 2.0 {
        for e in &events {
            hits.clear();
            index.match_event(e, &mut scratch, &mut hits);
            total_hits += hits.len();
        }
        rounds += 1;
    }
    let match_s = t.elapsed().as_secs_f64();
    let matched = rounds as f64 * events.len() as f64;
    println!(
        "{}",
        json!({"what": "atomic observables matched against the index", "indicators": index.len(),
               "events": events.len(), "rounds": rounds, "events_per_second": matched / match_s,
               "hits_per_round": total_hits as u64 / rounds, "truth_agrees": found == truth,
               "hits_found": found.len(), "hits_expected": truth.len()})
    );
    println!(
        "{}",
        json!({"what": "JSON lines read and matched", "events": events.len(),
               "events_per_second": events.len() as f64 / (read_s + match_s / rounds as f64),
               "read_seconds": read_s})
    );

    // The peer's set: M patterns x N observations.
    let Some(peer) = arg(&args, "--peer-corpus").map(PathBuf::from) else {
        return;
    };
    let m: usize = arg(&args, "-M")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let n_obs: usize = arg(&args, "-N").and_then(|s| s.parse().ok()).unwrap_or(200);
    let patterns: Vec<String> = std::fs::read_to_string(peer.join("patterns.txt"))
        .expect("patterns.txt")
        .lines()
        .take(m)
        .map(String::from)
        .collect();
    let observed = read_json(&peer.join("observed.json"));
    let bundles: Vec<Value> = observed
        .as_array()
        .expect("observed list")
        .iter()
        .take(n_obs)
        .cloned()
        .collect();
    let compiled: Vec<Pattern> = patterns
        .iter()
        .map(|p| Pattern::parse(p).expect("corpus pattern"))
        .collect();
    let singles: Vec<Vec<Value>> = bundles.iter().map(|b| vec![b.clone()]).collect();
    let observations: Vec<Observations<'_>> = singles
        .iter()
        .map(|b| Observations::from_stix21(b).expect("bundle"))
        .collect();
    let t = Instant::now();
    let mut pairs_hit = 0usize;
    for o in &observations {
        for p in &compiled {
            if matches!(p.matches(o), Ok(Some(_))) {
                pairs_hit += 1;
            }
        }
    }
    let eval_s = t.elapsed().as_secs_f64();
    let pairs = (compiled.len() * observations.len()) as f64;
    println!(
        "{}",
        json!({"what": "pattern evaluator, every pattern vs every observation", "size": format!("M={} x N={}", compiled.len(), observations.len()),
               "evals_per_second": pairs / eval_s, "pairs_hit": pairs_hit})
    );
    let peer_bundle = read_json(&peer.join("bundle.json"));
    let (small, _) = Index::build(indicators(&peer_bundle).into_iter().take(m), None);
    let peer_lines: Vec<String> = std::fs::read_to_string(peer.join("events.jsonl"))
        .expect("events")
        .lines()
        .take(n_obs)
        .map(String::from)
        .collect();
    let t = Instant::now();
    let mut rounds = 0u64;
    let mut indexed_hits = 0usize;
    while rounds == 0 || t.elapsed().as_secs_f64() < 1.0 {
        for (i, l) in peer_lines.iter().enumerate() {
            hits.clear();
            let obs = read_line(Format::Json, &[], l, "events.jsonl", i as u64 + 1).expect("line");
            small.match_event(&obs, &mut scratch, &mut hits);
            indexed_hits += hits.len();
        }
        rounds += 1;
    }
    let idx_s = t.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "{}",
        json!({"what": "indexed matcher on the same set (line read + match)", "size": format!("M={} x N={}", small.len(), peer_lines.len()),
               "evals_per_second": pairs / idx_s, "events_per_second": peer_lines.len() as f64 / idx_s,
               "pairs_hit": indexed_hits as u64 / rounds})
    );
}
