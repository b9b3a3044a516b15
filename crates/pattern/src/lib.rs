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
        let ast = parser::parse(text, limits)?;
        Pattern::from_ast(text, ast)
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
        })
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

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}
