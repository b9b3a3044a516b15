//! STIX patterning: parse, check and evaluate STIX 2.1 patterns.
//!
//! This crate is the one place where concord reads the STIX patterning
//! language (STIX 2.1 part 5, section 9). It turns pattern text into a typed
//! syntax tree with a hand-written lexer and recursive-descent parser (errors
//! carry line, column and what was expected), and decides whether a pattern
//! matches a set of observed-data objects, giving the same verdicts as the
//! OASIS reference matcher, stix2-matcher 3.0.0, including the order in
//! which it finds the first matching binding. The indicator index
//! (`concord-matcher`) uses it for every pattern it cannot index directly.
//!
//! What it must never do: run for unbounded time or memory on hostile
//! input (nesting, set sizes, REPEATS counts and evaluation steps are
//! bounded, MATCHES uses a linear-time regex engine and refuses
//! back-references and look-around), panic on any input, read files,
//! environment variables or configuration, or print. It knows nothing of
//! stores, networks or logs.

mod ast;
mod binding;
mod error;
mod eval;
mod ipv4;
mod lexer;
mod literal;
mod observation;
mod parser;
mod path;
mod predicate;
mod timestamp;

pub use ast::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, PropTest, Qualifier,
    quote,
};
pub use error::{EvalError, InputError, PatternError, Position};
pub use ipv4::{Net, contains as net_contains, parse_address_or_subnet, parse_subnet};
pub use observation::{Observation, Observations, StixVersion};
pub use parser::Limits;
pub use timestamp::Timestamp;

/// The default evaluation budget, in steps (one step is roughly one
/// binding produced or compared): enough for any realistic pattern over
/// thousands of observations, small enough to stop within about a second.
pub const DEFAULT_BUDGET: u64 = 20_000_000;

/// A parsed and compiled pattern.
#[derive(Debug)]
pub struct Pattern {
    text: String,
    ast: ObservationExpr,
    program: eval::Program,
    deferred: Vec<PatternError>,
}

/// The outcome of a match: the observed-data objects of the first binding
/// (indices into `Observations::items`, ascending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Indices into `Observations::items`, ascending, without repeats.
    pub observations: Vec<usize>,
}

impl Pattern {
    /// Parses a pattern with the default limits.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        Pattern::parse_with_limits(text, &Limits::default())
    }

    /// Parses a pattern with explicit limits.
    pub fn parse_with_limits(text: &str, limits: &Limits) -> Result<Pattern, PatternError> {
        let (ast, deferred) = parser::parse(text, limits)?;
        let mut pattern = Pattern::from_ast(text, ast)?;
        pattern.deferred = deferred;
        Ok(pattern)
    }

    /// Parses a pattern that is to be stored or shared: besides the
    /// grammar, every ISSUBSET and ISSUPERSET operand must be a subnet or
    /// an address, as STIX 2.1 part 5 section 9.5 requires (the reference
    /// matcher, and so [`Pattern::parse`], refuses such an operand only
    /// when a string value reaches it).
    pub fn parse_strict(text: &str) -> Result<Pattern, PatternError> {
        let pattern = Pattern::parse(text)?;
        match pattern.deferred.first() {
            Some(e) => Err(e.clone()),
            None => Ok(pattern),
        }
    }

    fn from_ast(text: &str, ast: ObservationExpr) -> Result<Pattern, PatternError> {
        // The parser already checked every operand, so compiling cannot fail;
        // if it did, the error still reaches the caller.
        let program = eval::compile(&ast).map_err(|reason| PatternError::Literal {
            at: Position { line: 1, column: 1 },
            reason,
        })?;
        Ok(Pattern {
            text: text.to_string(),
            ast,
            program,
            deferred: Vec::new(),
        })
    }

    /// The operands the specification refuses but the evaluation only
    /// refuses when a value reaches them (see [`Pattern::parse_strict`]).
    pub fn deferred_errors(&self) -> &[PatternError] {
        &self.deferred
    }

    /// The pattern text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The syntax tree.
    pub fn ast(&self) -> &ObservationExpr {
        &self.ast
    }

    /// Matches the pattern against observations with the default budget.
    pub fn matches(&self, observations: &Observations<'_>) -> Result<Option<Match>, EvalError> {
        self.matches_with_budget(observations, DEFAULT_BUDGET)
    }

    /// Matches with an explicit step budget.
    pub fn matches_with_budget(
        &self,
        observations: &Observations<'_>,
        budget: u64,
    ) -> Result<Option<Match>, EvalError> {
        Ok(eval::evaluate(&self.program, observations, budget)?
            .map(|observations| Match { observations }))
    }

    /// The comparison expressions of the pattern (the content of each
    /// `[ ]`), in pattern order: what an index needs to decide whether the
    /// pattern could match.
    pub fn comparisons(&self) -> Vec<&ComparisonExpr> {
        fn walk<'e>(e: &'e ObservationExpr, out: &mut Vec<&'e ComparisonExpr>) {
            match e {
                ObservationExpr::Comparison(c) => out.push(c),
                ObservationExpr::And(v)
                | ObservationExpr::Or(v)
                | ObservationExpr::FollowedBy(v) => v.iter().for_each(|x| walk(x, out)),
                ObservationExpr::Qualified(inner, _) => walk(inner, out),
            }
        }
        let mut out = Vec::new();
        walk(&self.ast, &mut out);
        out
    }
}

/// The STIX patterning grammar as the check every way in asks for an
/// indicator's pattern ([`concord_stix::ingest::read_object`]): a pattern
/// passes when [`Pattern::parse_strict`] accepts it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grammar;

impl concord_stix::validate::PatternGrammar for Grammar {
    fn check(&self, pattern: &str) -> Result<(), concord_stix::validate::PatternFault> {
        Pattern::parse_strict(pattern).map(drop).map_err(|e| {
            let at = e.position();
            concord_stix::validate::PatternFault {
                line: at.line,
                column: at.column,
                message: e.reason(),
            }
        })
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use concord_stix::validate::{PatternFault, PatternGrammar};

    use super::*;

    #[test]
    fn the_ingest_grammar_gives_the_parsers_position_and_reason() {
        assert_eq!(Grammar.check("[ipv4-addr:value = '1.2.3.4']"), Ok(()));
        let fault = Grammar.check("[ipv4-addr:value = '1.2.3.4'").unwrap_err();
        assert_eq!((fault.line, fault.column), (1, 29), "{fault:?}");
        assert!(fault.message.starts_with("expected"), "{fault:?}");
        assert!(!fault.message.contains("1:30"), "{fault:?}");
    }

    #[test]
    fn an_operand_that_is_no_subnet_evaluates_as_the_reference_but_is_not_stored() {
        let text = "[x:v ISSUBSET '11.22.33.44']";
        let pattern = Pattern::parse(text).unwrap();
        assert_eq!(pattern.deferred_errors().len(), 1);
        let bundle = |v: serde_json::Value| {
            serde_json::json!([{"type": "bundle", "id": "bundle--1", "objects": [
                {"type": "observed-data", "id": "observed-data--1", "first_observed": "2021-01-01T00:00:00Z",
                 "last_observed": "2021-01-01T00:00:00Z", "number_observed": 1, "object_refs": ["x--1"]},
                {"type": "x", "id": "x--1", "v": v}]}])
        };
        for v in [
            serde_json::json!(5),
            serde_json::json!(1.5),
            serde_json::json!(true),
        ] {
            let input = bundle(v);
            let obs = Observations::from_stix21(input.as_array().unwrap()).unwrap();
            assert_eq!(pattern.matches(&obs), Ok(None));
            let negated = Pattern::parse("[x:v NOT ISSUBSET '11.22.33.44']").unwrap();
            assert!(negated.matches(&obs).unwrap().is_some());
        }
        let input = bundle(serde_json::json!("11.22.33.44"));
        let obs = Observations::from_stix21(input.as_array().unwrap()).unwrap();
        assert!(pattern.matches(&obs).is_err());
        assert!(matches!(
            Pattern::parse_strict(text),
            Err(PatternError::Literal {
                at: Position {
                    line: 1,
                    column: 15
                },
                ..
            })
        ));
        assert_eq!(
            Grammar.check(text),
            Err(PatternFault {
                line: 1,
                column: 15,
                message: "ISSUBSET needs a CIDR subnet, not '11.22.33.44'".into()
            })
        );
    }
}
