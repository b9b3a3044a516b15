//! Oracle: our validator's verdicts (valid / invalid) agree with
//! stix2-validator 3.3.2 on
//! 1. the corpus of ../shared/corpus/gen_corpus.py (bundle + observed data),
//! 2. the STIX 2.1 examples that ship with stix2-validator,
//! 3. the hand-made samples in tests/samples/{valid,invalid}.
//!
//! Objects are checked as every way in checks them: the STIX rules and an
//! indicator's pattern parsed by concord-pattern (stix2-validator parses
//! it with stix2-patterns).
//!
//! Python runs once, in batch (tests/oracle/verdicts.py). The interpreter is
//! `$CONCORD_PYTHON` (a venv with stix2-validator); without it the test
//! fails, it never skips. Where we deliberately differ from the reference
//! because the STIX 2.1 specification says otherwise, the sample is listed
//! in `DELIBERATE` with the section that decides, and the test checks that
//! the difference is still there (so the list cannot rot).

use std::path::{Path, PathBuf};
use std::process::Command;

use concord_stix::validate::{is_valid, validate_with};
use serde_json::Value;

/// Samples on which we knowingly disagree with stix2-validator, and why.
const DELIBERATE: &[(&str, &str)] = &[
    (
        "invalid/created-by-ref-not-identity.json",
        "§3.2 created_by_ref: 'The object referenced MUST be an identity'; the reference checks only the id form",
    ),
    (
        "invalid/object-marking-ref-not-marking.json",
        "§3.2 object_marking_refs: references MUST be marking-definition ids; the reference checks only the id form",
    ),
    (
        "invalid/custom-object-id-type-mismatch.json",
        "§2.9: the type part of an identifier MUST be the object's type; the reference checks this for predefined types only",
    ),
    (
        "invalid/custom-property-name-hyphen.json",
        "§3.1 custom properties: names MUST contain only a-z, 0-9 and '_'; the reference's schema pattern only anchors the first three characters",
    ),
    (
        "invalid/sco-ref-wrong-type.json",
        "§6.12 network-traffic src_ref: MUST be ipv4-addr, ipv6-addr, mac-addr or domain-name; the reference checks SCO reference types only inside observed-data 'objects'",
    ),
    (
        "invalid/sco-ref-not-an-id.json",
        "§6.8 ipv4-addr resolves_to_refs: MUST be identifiers of mac-addr objects; the reference types SCO references as plain strings",
    ),
    (
        "valid/granular-marking-lang.json",
        "§7.2.3 granular markings: 'lang' MAY replace 'marking_ref'; the reference's schema requires marking_ref",
    ),
];

fn python() -> String {
    match std::env::var("CONCORD_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => panic!(
            "CONCORD_PYTHON is not set: point it at a Python interpreter that has \
             stix2-validator 3.3.2 installed (the project test script sets it; by hand: \
             CONCORD_PYTHON=/path/to/venv/bin/python cargo test -p concord-stix)"
        ),
    }
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    if out.status.code() == Some(3) {
        panic!(
            "{what}: stix2validator is not installed for $CONCORD_PYTHON: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    concord_stix::json::parse_value(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The objects of a file: a bundle's objects, a list of bundles' objects,
/// or the single object it holds.
fn objects_of(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.into_iter().flat_map(objects_of).collect(),
        Value::Object(mut m) if m.get("type").and_then(Value::as_str) == Some("bundle") => {
            match m.remove("objects") {
                Some(Value::Array(objects)) => objects,
                _ => Vec::new(),
            }
        }
        other => vec![other],
    }
}

struct Sample {
    label: String,
    object: Value,
    /// For hand-made samples, the verdict they were written to have.
    expected: Option<bool>,
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(json_files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn verdicts_agree_with_stix2_validator() {
    let python = python();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = manifest.join("tests/oracle/verdicts.py");
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut samples: Vec<Sample> = Vec::new();

    // 1. The corpus, generated into the temp dir (never committed).
    let generator = manifest.join("../../../shared/corpus/gen_corpus.py");
    let corpus = tmp.path().join("corpus");
    run(
        Command::new(&python)
            .arg(&generator)
            .args([
                "--indicators",
                "2000",
                "--events",
                "300",
                "--hit-rate",
                "0.05",
                "--out",
            ])
            .arg(&corpus),
        "gen_corpus.py",
    );
    for file in ["bundle.json", "observed.json"] {
        for (i, object) in objects_of(read_json(&corpus.join(file)))
            .into_iter()
            .enumerate()
        {
            samples.push(Sample {
                label: format!("corpus/{file}#{i}"),
                object,
                expected: None,
            });
        }
    }
    let corpus_count = samples.len();

    // 2. The examples shipped with stix2-validator, read from its install.
    let examples = PathBuf::from(
        run(
            Command::new(&python).arg(&script).arg("examples-dir"),
            "verdicts.py examples-dir",
        )
        .trim(),
    );
    for path in json_files(&examples) {
        let name = path
            .strip_prefix(&examples)
            .unwrap_or(&path)
            .display()
            .to_string();
        for (i, object) in objects_of(read_json(&path)).into_iter().enumerate() {
            samples.push(Sample {
                label: format!("examples/{name}#{i}"),
                object,
                expected: None,
            });
        }
    }
    let example_count = samples.len() - corpus_count;

    // 3. The hand-made samples: one object per file.
    for (dir, valid) in [("valid", true), ("invalid", false)] {
        for path in json_files(&manifest.join("tests/samples").join(dir)) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            samples.push(Sample {
                label: format!("{dir}/{name}"),
                object: read_json(&path),
                expected: Some(valid),
            });
        }
    }
    let hand_count = samples.len() - corpus_count - example_count;
    assert!(
        example_count > 0,
        "no stix2-validator examples found in {}",
        examples.display()
    );
    assert!(
        hand_count >= 40,
        "expected the hand-made samples, found {hand_count}"
    );

    // One batch run of the reference.
    let input = tmp.path().join("objects.json");
    let output = tmp.path().join("verdicts.json");
    let list = Value::Array(samples.iter().map(|s| s.object.clone()).collect());
    std::fs::write(&input, list.to_string()).expect("write batch input");
    run(
        Command::new(&python)
            .arg(&script)
            .arg("check")
            .arg(&input)
            .arg(&output),
        "verdicts.py check",
    );
    let verdicts = match read_json(&output) {
        Value::Array(v) => v,
        other => panic!("verdicts.py wrote {other}"),
    };
    assert_eq!(verdicts.len(), samples.len(), "one verdict per sample");

    let mut agree = 0;
    let mut deliberate = 0;
    let mut failures = Vec::new();
    for (sample, verdict) in samples.iter().zip(&verdicts) {
        let theirs = verdict
            .get("valid")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let issues = match sample.object.as_object() {
            // As every way in checks them: with the pattern grammar.
            Some(m) => validate_with(m, &concord_pattern::Grammar),
            None => panic!("{}: not a JSON object", sample.label),
        };
        let ours = is_valid(&issues);
        if let Some(expected) = sample.expected
            && ours != expected
        {
            failures.push(format!(
                "{}: written as {}, we say {} ({:?})",
                sample.label,
                if expected { "valid" } else { "invalid" },
                if ours { "valid" } else { "invalid" },
                issues.iter().map(ToString::to_string).collect::<Vec<_>>()
            ));
        }
        let listed = DELIBERATE.iter().find(|(l, _)| *l == sample.label);
        match (ours == theirs, listed) {
            (true, None) => agree += 1,
            (false, Some(_)) => deliberate += 1,
            (true, Some(_)) => failures.push(format!(
                "{}: listed as a deliberate disagreement, but both now say {}",
                sample.label,
                if ours { "valid" } else { "invalid" }
            )),
            (false, None) => failures.push(format!(
                "{}: we say {}, stix2-validator says {} {:?}; our findings: {:?}",
                sample.label,
                if ours { "valid" } else { "invalid" },
                if theirs { "valid" } else { "invalid" },
                verdict.get("errors"),
                issues.iter().map(ToString::to_string).collect::<Vec<_>>()
            )),
        }
    }
    println!(
        "validator oracle: {} samples ({corpus_count} corpus, {example_count} shipped examples, \
         {hand_count} hand-made): {agree} agree, {deliberate} deliberate disagreements (spec \
         sections in DELIBERATE), {} failures",
        samples.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        deliberate,
        DELIBERATE.len(),
        "every listed sample must exist"
    );
}
