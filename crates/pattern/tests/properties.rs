//! Property tests: printing a parsed pattern gives a pattern that parses to
//! the same tree; no input makes the parser or the evaluator panic; and the
//! evaluator's verdict on a single observation agrees with a direct reading
//! of the comparison.

use concord_pattern::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Observations, Operator, PathStep,
    Pattern, PropTest, Qualifier, Timestamp,
};
use proptest::prelude::*;
use serde_json::json;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,6}"
            .prop_filter("not a keyword", |k| !matches!(k.as_str(), "true" | "false")),
        "[ -~]{0,6}",
        "[\\u{80}-\\u{10ffff}]{1,3}",
    ]
}

fn path() -> impl Strategy<Value = ObjectPath> {
    (
        prop_oneof![
            Just("file".to_string()),
            Just("ipv4-addr".to_string()),
            "x-[a-z]{1,5}"
        ],
        key(),
        prop::collection::vec(
            prop_oneof![
                key().prop_map(PathStep::Key),
                (-3i64..5).prop_map(PathStep::Index),
                Just(PathStep::AnyIndex)
            ],
            0..3,
        ),
    )
        .prop_map(|(object_type, first, rest)| {
            let mut steps = vec![PathStep::Key(first)];
            steps.extend(rest);
            ObjectPath { object_type, steps }
        })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<i64>().prop_map(|i| Literal::Int(i128::from(i))),
        (-1e6f64..1e6).prop_map(Literal::Float),
        ".{0,8}".prop_map(Literal::Str),
        any::<bool>().prop_map(Literal::Bool),
        prop::collection::vec(any::<u8>(), 1..6).prop_map(Literal::Binary),
        prop::collection::vec(any::<u8>(), 0..6).prop_map(Literal::Hex),
        (0i64..4_000_000_000_000_000).prop_map(|m| Literal::Timestamp(Timestamp { micros: m })),
    ]
}

fn operator() -> impl Strategy<Value = Operator> {
    prop_oneof![
        literal().prop_map(Operator::Eq),
        literal().prop_map(Operator::Ne),
        literal()
            .prop_filter("orderable", |l| !matches!(l, Literal::Bool(_)))
            .prop_map(Operator::Gt),
        literal()
            .prop_filter("orderable", |l| !matches!(l, Literal::Bool(_)))
            .prop_map(Operator::Le),
        prop::collection::vec(any::<i32>().prop_map(|i| Literal::Int(i128::from(i))), 0..4)
            .prop_map(Operator::In),
        "[a-z%_]{0,5}".prop_map(Operator::Like),
        "[a-z.^$]{0,5}".prop_map(Operator::Matches),
        (0u8..=255, 8u8..=32).prop_map(|(a, p)| Operator::IsSubset(format!("{a}.0.0.0/{p}"))),
        Just(Operator::Exists),
    ]
}

fn comparison() -> impl Strategy<Value = ComparisonExpr> {
    let leaf = (path(), any::<bool>(), operator())
        .prop_map(|(path, negated, op)| ComparisonExpr::Test(PropTest { path, negated, op }));
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(ComparisonExpr::And),
            prop::collection::vec(inner, 2..4).prop_map(ComparisonExpr::Or),
        ]
    })
}

fn observation() -> impl Strategy<Value = ObservationExpr> {
    let leaf = comparison().prop_map(ObservationExpr::Comparison);
    leaf.prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..3).prop_map(ObservationExpr::And),
            prop::collection::vec(inner.clone(), 2..3).prop_map(ObservationExpr::Or),
            prop::collection::vec(inner.clone(), 2..3).prop_map(ObservationExpr::FollowedBy),
            (inner.clone(), 1u32..4)
                .prop_map(|(e, n)| ObservationExpr::Qualified(Box::new(e), Qualifier::Repeats(n))),
            (inner, 1i64..100).prop_map(|(e, s)| ObservationExpr::Qualified(
                Box::new(e),
                Qualifier::Within {
                    micros: s * 1_000_000,
                    text: s.to_string()
                }
            )),
        ]
    })
}

fn sample_bundles() -> Vec<serde_json::Value> {
    (0..3)
        .map(|i| {
            json!({"type": "bundle", "id": format!("bundle--{i}"), "objects": [
                {"type": "observed-data", "id": format!("observed-data--{i}"), "first_observed": "2021-01-01T00:00:00Z",
                 "last_observed": "2021-01-01T00:00:01Z", "number_observed": 1 + i, "object_refs": [format!("file--{i}"), format!("ipv4-addr--{i}")]},
                {"type": "file", "id": format!("file--{i}"), "name": "a", "size": i, "x_list": [1, "b", null, {"c": true}], "payload_bin": "AAEC"},
                {"type": "ipv4-addr", "id": format!("ipv4-addr--{i}"), "value": format!("10.0.0.{i}")},
            ]})
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn printing_round_trips(expr in observation()) {
        let text = expr.to_string();
        let parsed = Pattern::parse(&text);
        prop_assert!(parsed.is_ok(), "{} did not parse: {:?}", text, parsed.err());
        let parsed = parsed.unwrap_or_else(|_| unreachable!());
        prop_assert_eq!(parsed.ast().to_string(), text);
    }

    #[test]
    fn any_text_parses_or_fails_cleanly(text in ".{0,80}") {
        let _ = Pattern::parse(&text);
    }

    #[test]
    fn pattern_like_text_parses_or_fails_cleanly(text in "[\\[\\]()a-z:.' =<>!0-9*%_-]{0,60}( (AND|OR|FOLLOWEDBY|WITHIN 1 SECONDS|REPEATS 2 TIMES|NOT|IN|LIKE|MATCHES|EXISTS) [\\[\\]()a-z:.' =0-9-]{0,20}){0,4}") {
        let _ = Pattern::parse(&text);
    }

    #[test]
    fn evaluation_never_panics_and_stays_bounded(expr in observation()) {
        let bundles = sample_bundles();
        let obs = Observations::from_stix21(&bundles).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Ok(p) = Pattern::parse(&expr.to_string()) {
            let _ = p.matches_with_budget(&obs, 100_000);
        }
    }

    /// For `[file:size = N]` the verdict is whether some observation's file
    /// has that size.
    #[test]
    fn equality_verdict_is_direct(n in 0i64..5) {
        let bundles = sample_bundles();
        let obs = Observations::from_stix21(&bundles).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let p = Pattern::parse(&format!("[file:size = {n}]")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let m = p.matches(&obs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.map(|m| m.observations), (n < 3).then(|| vec![n as usize]));
    }
}
