//! Hostile patterns and inputs stay bounded in time and memory and end in
//! clear errors.

use std::time::{Duration, Instant};

use concord_pattern::{EvalError, Observations, Pattern, PatternError};
use serde_json::json;

fn bundles(n: usize, number_observed: u64) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            json!({"type": "bundle", "id": format!("bundle--{i}"), "objects": [
                {"type": "observed-data", "id": format!("observed-data--{i}"), "first_observed": "2021-01-01T00:00:00Z",
                 "last_observed": "2021-01-01T00:00:00Z", "number_observed": number_observed, "object_refs": [format!("domain-name--{i}")]},
                {"type": "domain-name", "id": format!("domain-name--{i}"), "value": format!("d{i}.example")},
            ]})
        })
        .collect()
}

fn quick<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    r
}

#[test]
fn deep_nesting_is_a_limit_error() {
    let text = format!(
        "{}[a:b = 1]{}",
        "(".repeat(1_000_000),
        ")".repeat(1_000_000)
    );
    let err = quick(|| Pattern::parse(&text)).unwrap_err();
    assert!(matches!(err, PatternError::Limit { .. }), "{err}");
    let text = format!("[{}a:b = 1{}]", "(".repeat(5_000), ")".repeat(5_000));
    let err = quick(|| Pattern::parse(&text)).unwrap_err();
    assert!(err.to_string().contains("nested deeper"), "{err}");
}

#[test]
fn huge_in_lists_are_hashed_or_refused() {
    let items: Vec<String> = (0..50_000).map(|i| format!("'d{i}.example'")).collect();
    let text = format!("[domain-name:value IN ({})]", items.join(","));
    let p = quick(|| Pattern::parse(&text)).unwrap();
    let input = bundles(50, 1);
    let obs = Observations::from_stix21(&input).unwrap();
    let m = quick(|| p.matches(&obs)).unwrap().unwrap();
    assert_eq!(m.observations, vec![0]);
    let items: Vec<String> = (0..100_001).map(|i| i.to_string()).collect();
    let err = Pattern::parse(&format!("[a:b IN ({})]", items.join(","))).unwrap_err();
    assert!(
        err.to_string().contains("more than 100000 elements"),
        "{err}"
    );
}

#[test]
fn repeats_with_large_counts_are_bounded() {
    let err = Pattern::parse("[a:b = 1] REPEATS 1000000 TIMES").unwrap_err();
    assert!(matches!(err, PatternError::Limit { .. }));
    // Fewer instances than the count: no match, quickly.
    let p = Pattern::parse("[domain-name:value LIKE '%'] REPEATS 10000 TIMES").unwrap();
    let input = bundles(100, 1);
    let obs = Observations::from_stix21(&input).unwrap();
    assert_eq!(quick(|| p.matches(&obs)).unwrap(), None);
    // A billion instances of one observation: the budget stops it.
    let input = bundles(1, 1_000_000_000);
    let obs = Observations::from_stix21(&input).unwrap();
    let r = quick(|| p.matches(&obs));
    assert!(matches!(r, Err(EvalError::Budget { .. })), "{r:?}");
    // Joins over many observations are budgeted too.
    let p = Pattern::parse("([domain-name:value = 'nope'] AND [domain-name:value LIKE '%']) AND [domain-name:value LIKE '%']").unwrap();
    let input = bundles(3000, 1);
    let obs = Observations::from_stix21(&input).unwrap();
    let r = quick(|| p.matches_with_budget(&obs, 1_000_000));
    assert!(
        matches!(r, Ok(None) | Err(EvalError::Budget { .. })),
        "{r:?}"
    );
}

#[test]
fn catastrophic_regexes_run_in_linear_time() {
    let p = Pattern::parse("[domain-name:value MATCHES '^(a+)+$']").unwrap();
    let value = format!("{}!", "a".repeat(100_000));
    let input = vec![json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "observed-data", "id": "observed-data--1", "first_observed": "2021-01-01T00:00:00Z",
         "last_observed": "2021-01-01T00:00:00Z", "number_observed": 1, "object_refs": ["domain-name--1"]},
        {"type": "domain-name", "id": "domain-name--1", "value": value},
    ]})];
    let obs = Observations::from_stix21(&input).unwrap();
    assert_eq!(quick(|| p.matches(&obs)).unwrap(), None);
    let err = Pattern::parse("[a:b MATCHES '(a)\\\\1']").unwrap_err();
    assert!(err.to_string().contains("back-references"), "{err}");
    let err = Pattern::parse("[a:b MATCHES '(?<!x)a']").unwrap_err();
    assert!(err.to_string().contains("look-behind"), "{err}");
    let huge = format!("[a:b MATCHES '{}']", "(a|b){1000}".repeat(100));
    assert!(matches!(
        Pattern::parse(&huge),
        Err(PatternError::Regex { .. })
    ));
}

#[test]
fn errors_carry_positions() {
    let err = Pattern::parse("[file:name = 'x']\n\nAND [file:name LIKE ]").unwrap_err();
    assert_eq!(err.position().line, 3);
    assert_eq!(err.position().column, 21);
    assert_eq!(
        err.to_string(),
        "3:21: expected a string literal, found ']' `]`"
    );
}
