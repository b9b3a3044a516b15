//! Differential test: concord-pattern against the reference matcher,
//! stix2-matcher 3.0.0, on more than 10,000 (pattern, observations) pairs
//! from the shared corpus plus hand-written edge cases.
//!
//! The reference runs in one Python process (CONCORD_PYTHON) over a JSON
//! file of all cases. Where we deliberately differ, the case says why
//! (citing the STIX 2.1 specification) and we assert our own verdict.

use crate::support;

use std::collections::HashMap;
use std::time::Instant;

use concord_pattern::{Observations, Pattern, PatternError};
use support::{Case, Suite, Verdict};

fn ours(
    case: &Case,
    suite: &Suite,
    cache: &mut HashMap<String, Result<Pattern, PatternError>>,
) -> (Verdict, String) {
    let parsed = cache
        .entry(case.pattern.clone())
        .or_insert_with(|| Pattern::parse(&case.pattern));
    let pattern = match parsed {
        Ok(p) => p,
        Err(e @ PatternError::Syntax { .. }) => return (Verdict::Syntax, e.to_string()),
        Err(e) => return (Verdict::Invalid, e.to_string()),
    };
    let inputs: Vec<serde_json::Value> =
        case.inputs.iter().map(|i| suite.pool[*i].clone()).collect();
    let observations = match case.version {
        "2.0" => Observations::from_observed_data_v20(&inputs),
        _ => Observations::from_stix21(&inputs),
    };
    let observations = match observations {
        Ok(o) => o,
        Err(e) => return (Verdict::Error, e.to_string()),
    };
    match pattern.matches(&observations) {
        Ok(Some(m)) => (
            Verdict::Match(
                m.observations
                    .iter()
                    .map(|i| observations.items[*i].id().unwrap_or_default().to_string())
                    .collect(),
            ),
            String::new(),
        ),
        Ok(None) => (Verdict::NoMatch, String::new()),
        Err(e) => (Verdict::Error, e.to_string()),
    }
}

/// Whether our verdict is the reference's. A pattern we refuse for an
/// invalid literal or qualifier is one the reference raises on whenever it
/// evaluates it.
fn agrees(ours: &Verdict, reference: &Verdict) -> bool {
    match (ours, reference) {
        (Verdict::Invalid, Verdict::Syntax | Verdict::Error) => true,
        (a, b) => a == b,
    }
}

#[test]
fn same_verdicts_as_stix2_matcher() {
    let python = support::oracle::python();
    let dir = tempfile::tempdir().expect("temp dir");
    let corpus =
        support::corpus_cases::generate(&python, &dir.path().join("corpus"), 300, 600, 0.2);

    let mut suite = Suite::default();
    let from_corpus = support::corpus_cases::add(&mut suite, &corpus, 250, 40);
    support::edge_cases::add(&mut suite);
    let edge = suite.cases.len() - from_corpus;
    assert!(from_corpus >= 10_000, "only {from_corpus} corpus pairs");

    let started = Instant::now();
    let reference = support::oracle::run(&python, &suite, dir.path());
    let reference_time = started.elapsed();

    let started = Instant::now();
    let mut cache = HashMap::new();
    let mine: Vec<(Verdict, String)> = suite
        .cases
        .iter()
        .map(|c| ours(c, &suite, &mut cache))
        .collect();
    let our_time = started.elapsed();

    let mut mismatches = Vec::new();
    let mut matched = 0usize;
    let mut diverged = 0usize;
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for ((case, (our, our_detail)), (theirs, their_detail)) in
        suite.cases.iter().zip(&mine).zip(&reference)
    {
        *counts
            .entry(match theirs {
                Verdict::Match(_) => "match",
                Verdict::NoMatch => "nomatch",
                Verdict::Syntax => "syntax",
                Verdict::Invalid => "invalid",
                Verdict::Error => "error",
            })
            .or_default() += 1;
        if matches!(our, Verdict::Match(_)) {
            matched += 1;
        }
        match &case.reference_wrong {
            Some((why, expected)) => {
                diverged += 1;
                if our != expected {
                    mismatches.push(format!(
                        "{}: {}\n  ours {our:?} ({our_detail}), the specification asks for {expected:?}: {why}",
                        case.name, case.pattern
                    ));
                }
            }
            None => {
                if !agrees(our, theirs) {
                    mismatches.push(format!(
                        "{}: {}\n  ours {our:?} ({our_detail})\n  reference {theirs:?} ({their_detail})",
                        case.name, case.pattern
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} cases ({from_corpus} from the corpus, {edge} hand-written, {diverged} documented divergences); reference verdicts {counts:?}; we matched {matched}; reference {:.2?}, concord {:.2?}",
        suite.cases.len(),
        reference_time,
        our_time
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from stix2-matcher:\n{}",
        mismatches.len(),
        suite.cases.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The corpus cases must exercise both outcomes.
    assert!(
        counts.get("match").copied().unwrap_or(0) > 500,
        "too few matching cases: {counts:?}"
    );
    assert!(
        counts.get("nomatch").copied().unwrap_or(0) > 5_000,
        "too few non-matching cases: {counts:?}"
    );
}
