//! stix2-matcher's own test suite, run twice by
//! interop/stix2_matcher/run_suite.py: once as installed, once with its
//! `match` answered by `concord pattern eval` (the shim in
//! interop/stix2_matcher/shim). concord must pass every case the
//! reference passes: 456 of the 457 STIX 2.1 cases (the one left is a
//! START without its `t''`, which no parser accepts), and every 2.0 case
//! it passes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{concord_bin, python, repo};

/// Each case's outcome (true when passed) and whether it asked concord.
type Outcomes = BTreeMap<String, BTreeMap<String, (bool, bool)>>;

fn run_suite(python: &str, out: &Path, shim: bool) -> Outcomes {
    let script = repo().join("interop/stix2_matcher/run_suite.py");
    let mut command = Command::new(python);
    command.arg(&script);
    if shim {
        command.arg("--shim").env("CONCORD_BIN", concord_bin());
    }
    let done = command.arg(out).output().expect("run run_suite.py");
    assert!(
        done.status.success(),
        "run_suite.py {}failed: {}\n{}",
        if shim { "--shim " } else { "" },
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr)
    );
    let text = std::fs::read_to_string(out).expect("read the outcomes");
    let all: Value = serde_json::from_str(&text).expect("outcomes are JSON");
    let mut outcomes = Outcomes::new();
    for (version, cases) in all.as_object().expect("versions") {
        let cases = cases
            .as_object()
            .expect("cases")
            .iter()
            .map(|(case, o)| {
                (
                    case.clone(),
                    (
                        o["outcome"] == "passed",
                        o["concord"].as_u64().unwrap_or(0) > 0,
                    ),
                )
            })
            .collect();
        outcomes.insert(version.clone(), cases);
    }
    outcomes
}

fn passed(cases: &BTreeMap<String, (bool, bool)>) -> usize {
    cases.values().filter(|(p, _)| *p).count()
}

#[test]
fn concord_passes_every_case_stix2_matcher_passes() {
    let python = python(&["pytest", "stix2matcher", "stix2patterns"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let reference = run_suite(&python, &dir.path().join("reference.json"), false);
    let ours = run_suite(&python, &dir.path().join("concord.json"), true);

    let mut lost = Vec::new();
    for (version, cases) in &reference {
        let mine = &ours[version];
        assert_eq!(
            cases.keys().collect::<Vec<_>>(),
            mine.keys().collect::<Vec<_>>(),
            "{version}: both runs have the same cases"
        );
        for (case, (theirs, _)) in cases {
            if *theirs && !mine[case].0 {
                lost.push(format!("{version} {case}"));
            }
        }
        let asked = mine.values().filter(|(_, asked)| *asked).count();
        eprintln!(
            "stix2-matcher suite {version}: reference {}/{n}, concord {}/{n} ({asked} cases answered by concord, the others test the reference's private helpers)",
            passed(cases),
            passed(mine),
            n = cases.len()
        );
    }
    assert!(
        lost.is_empty(),
        "cases stix2-matcher passes and concord fails:\n{}",
        lost.join("\n")
    );
    let v21 = &ours["v21"];
    assert_eq!(v21.len(), 457, "the STIX 2.1 suite has 457 cases");
    assert!(
        passed(v21) >= 456,
        "concord passes {} of 457 STIX 2.1 cases, not 456",
        passed(v21)
    );
    // The shim is really in the way: most cases ask concord.
    assert!(v21.values().filter(|(_, asked)| *asked).count() > 400);
}
