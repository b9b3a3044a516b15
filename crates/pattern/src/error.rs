//! The errors of this crate: one enum for an invalid pattern, one for input
//! that cannot be evaluated, one for a failed evaluation.

use thiserror::Error;

/// Where a problem was found in the pattern text: 1-based line and column
/// (columns count Unicode scalar values, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in Unicode scalar values.
    pub column: u32,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a pattern is not a valid STIX 2.1 pattern.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PatternError {
    /// The text does not follow the grammar (STIX 2.1 part 5, section 9).
    #[error("{at}: expected {expected}, found {found}")]
    Syntax {
        /// Where the unexpected token starts.
        at: Position,
        /// What the grammar allows here, for people.
        expected: String,
        /// The token found instead (or the end of the pattern).
        found: String,
    },
    /// A literal is well formed but its value is not allowed
    /// (a timestamp that is not a date, a non-homogeneous set, ...).
    #[error("{at}: {reason}")]
    Literal {
        /// Where the literal starts.
        at: Position,
        /// Why its value is refused.
        reason: String,
    },
    /// A MATCHES operand is not a regular expression this crate runs in
    /// linear time (back-references and look-around are refused).
    #[error("{at}: invalid MATCHES regular expression: {reason}")]
    Regex {
        /// Where the string literal starts.
        at: Position,
        /// Why the regular expression is refused.
        reason: String,
    },
    /// A qualifier value is out of its range (WITHIN <= 0, REPEATS < 1).
    #[error("{at}: {reason}")]
    Qualifier {
        /// Where the qualifier's value starts.
        at: Position,
        /// Which range it is out of.
        reason: String,
    },
    /// The pattern is larger or deeper than this crate accepts.
    #[error("{at}: {reason}")]
    Limit {
        /// Where the limit was crossed.
        at: Position,
        /// Which limit (see `Limits`) and its value.
        reason: String,
    },
}

impl PatternError {
    /// Where the error was found.
    pub fn position(&self) -> Position {
        match self {
            PatternError::Syntax { at, .. }
            | PatternError::Literal { at, .. }
            | PatternError::Regex { at, .. }
            | PatternError::Qualifier { at, .. }
            | PatternError::Limit { at, .. } => *at,
        }
    }

    /// What is wrong, without the position.
    pub fn reason(&self) -> String {
        match self {
            PatternError::Syntax {
                expected, found, ..
            } => format!("expected {expected}, found {found}"),
            PatternError::Regex { reason, .. } => {
                format!("invalid MATCHES regular expression: {reason}")
            }
            PatternError::Literal { reason, .. }
            | PatternError::Qualifier { reason, .. }
            | PatternError::Limit { reason, .. } => reason.clone(),
        }
    }
}

/// Why a set of observed-data objects cannot be evaluated at all.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InputError {
    /// The observed data does not have the shape STIX requires.
    #[error("{path}: {reason}")]
    Invalid {
        /// A JSON path into the input (such as `[0].objects`), "" for the input
        /// as a whole.
        path: String,
        /// What is missing or wrong there.
        reason: String,
    },
}

impl InputError {
    pub(crate) fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        InputError::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Why the evaluation of a valid pattern over valid input failed.
///
/// The reference matcher (stix2-matcher) raises on the same data-dependent
/// conditions, so these are verdicts of their own, not bugs.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// A value met an operator that cannot interpret it (an IPv4 operator on a
    /// string that is no address, a timestamp comparison on a string that is
    /// no timestamp, a `_hex`/`_bin` property that does not decode, ...).
    #[error("observation {observation}: {reason}")]
    Value {
        /// The 0-based index into `Observations::items` of the observation
        /// holding the value.
        observation: usize,
        /// Which value met which operator.
        reason: String,
    },
    /// The evaluation needed more steps than its budget allows (for example
    /// REPEATS over many observations); the answer is unknown.
    #[error("evaluation budget of {budget} steps exceeded")]
    Budget {
        /// The budget that ran out, in steps.
        budget: u64,
    },
    /// A timestamp computation left the range 0001-9999.
    #[error("timestamp out of range in a temporal qualifier")]
    TimeRange,
    /// An observed-data object has first_observed after last_observed, so a
    /// temporal qualifier cannot be decided.
    #[error("observation {observation}: first_observed is after last_observed")]
    Interval {
        /// The 0-based index into `Observations::items` of that observation.
        observation: usize,
    },
}
