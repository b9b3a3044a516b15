//! The matcher finds exactly the planted hits of the shared corpus
//! (events.truth.jsonl), no more and no fewer.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use concord_matcher::{Format, Index, Scratch, read_line};
use serde_json::Value;

#[test]
fn finds_exactly_the_truth_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generator =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/gen_corpus.py");
    assert!(generator.exists(), "missing {}", generator.display());
    let python = std::env::var("CONCORD_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let run = Command::new(python)
        .arg(&generator)
        .args([
            "--indicators",
            "5000",
            "--events",
            "40000",
            "--hit-rate",
            "0.05",
            "--no-observed",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .expect("run gen_corpus.py");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bundle.json")).expect("bundle"))
            .expect("json");
    let objects = bundle["objects"].as_array().expect("objects");
    let indicators: Vec<&Value> = objects
        .iter()
        .filter(|o| o["type"] == "indicator")
        .collect();
    let (index, errors) = Index::build(indicators.iter().copied(), None);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(index.len(), 5000);
    assert_eq!(
        index.evaluated_len(),
        0,
        "every corpus pattern is decided by lookups"
    );

    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).expect("events");
    let mut found = BTreeSet::new();
    let mut scratch = Scratch::default();
    let mut hits = Vec::new();
    for (i, line) in events.lines().enumerate() {
        let observables = read_line(Format::Json, &[], line, "events.jsonl", i as u64 + 1)
            .expect("corpus lines read");
        hits.clear();
        index.match_event(&observables, &mut scratch, &mut hits);
        for h in &hits {
            let info = index.info(h.slot).expect("hit slot");
            assert!(info.name.is_some() && info.tlp.is_some() && info.created_by_ref.is_some());
            assert!(found.insert((i, info.id)), "one hit per (event, indicator)");
        }
    }
    let truth: BTreeSet<(usize, String)> =
        std::fs::read_to_string(dir.path().join("events.truth.jsonl"))
            .expect("truth")
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("truth line");
                (
                    v["event"].as_u64().expect("event") as usize,
                    v["indicator"].as_str().expect("id").to_string(),
                )
            })
            .collect();
    assert!(truth.len() > 1500, "truth set too small: {}", truth.len());
    let missing: Vec<_> = truth.difference(&found).take(5).collect();
    let extra: Vec<_> = found.difference(&truth).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}
