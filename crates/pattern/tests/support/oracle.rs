//! Runs the reference matcher in one Python process for all cases.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::{Suite, Verdict};

/// The Python interpreter with stix2-matcher, from CONCORD_PYTHON. A test
/// that cannot reach the reference fails: it never skips.
pub(crate) fn python() -> String {
    let python = std::env::var("CONCORD_PYTHON").unwrap_or_else(|_| {
        panic!("CONCORD_PYTHON is not set: point it at a Python with stix2-matcher 3.0.0 (the differential test needs the reference)")
    });
    let probe = Command::new(&python)
        .args(["-c", "import stix2matcher.matcher, stix2patterns"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run CONCORD_PYTHON={python}: {e}"));
    assert!(
        probe.status.success(),
        "CONCORD_PYTHON={python} cannot import stix2matcher: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    python
}

/// The reference's verdicts, in case order.
pub(crate) fn run(python: &str, suite: &Suite, dir: &Path) -> Vec<(Verdict, String)> {
    let input = dir.join("oracle-in.json");
    let output = dir.join("oracle-out.json");
    let cases: Vec<Value> = suite
        .cases
        .iter()
        .map(|c| json!({"pattern": c.pattern, "version": c.version, "inputs": c.inputs}))
        .collect();
    let doc = json!({"pool": suite.pool, "cases": cases});
    std::fs::write(&input, serde_json::to_vec(&doc).expect("cases serialise"))
        .expect("write oracle input");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/stix2_matcher_oracle.py");
    let run = Command::new(python)
        .arg(&script)
        .arg(&input)
        .arg(&output)
        .output()
        .expect("run the oracle");
    assert!(
        run.status.success(),
        "the stix2-matcher oracle failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out: Vec<Value> =
        serde_json::from_slice(&std::fs::read(&output).expect("read oracle output"))
            .expect("oracle output is JSON");
    assert_eq!(out.len(), suite.cases.len(), "one verdict per case");
    out.into_iter()
        .map(|v| {
            let detail = v["detail"].as_str().unwrap_or_default().to_string();
            let verdict = match v["verdict"].as_str() {
                Some("match") => Verdict::Match(
                    v["ids"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                Some("nomatch") => Verdict::NoMatch,
                Some("parse_error") => Verdict::Syntax,
                _ => Verdict::Error,
            };
            (verdict, detail)
        })
        .collect()
}
