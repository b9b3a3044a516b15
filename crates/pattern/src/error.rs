//! The errors of this crate: one enum for an invalid pattern, one for input
//! that cannot be evaluated, one for a failed evaluation.

use thiserror::Error;

/// Where a problem was found in the pattern text: 1-based line and column
/// (columns count Unicode scalar values, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
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
        at: Position,
        expected: String,
        found: String,
    },
    /// A literal is well formed but its value is not allowed
    /// (a timestamp that is not a date, a non-homogeneous set, ...).
    #[error("{at}: {reason}")]
    Literal { at: Position, reason: String },
    /// A MATCHES operand is not a regular expression this crate runs in
    /// linear time (back-references and look-around are refused).
    #[error("{at}: invalid MATCHES regular expression: {reason}")]
    Regex { at: Position, reason: String },
    /// A qualifier value is out of its range (WITHIN <= 0, REPEATS < 1).
    #[error("{at}: {reason}")]
    Qualifier { at: Position, reason: String },
    /// The pattern is larger or deeper than this crate accepts.
    #[error("{at}: {reason}")]
    Limit { at: Position, reason: String },
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
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
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
    Value { observation: usize, reason: String },
    /// The evaluation needed more steps than its budget allows (for example
    /// REPEATS over many observations); the answer is unknown.
    #[error("evaluation budget of {budget} steps exceeded")]
    Budget { budget: u64 },
    /// A timestamp computation left the range 0001-9999.
    #[error("timestamp out of range in a temporal qualifier")]
    TimeRange,
    /// An observed-data object has first_observed after last_observed, so a
    /// temporal qualifier cannot be decided.
    #[error("observation {observation}: first_observed is after last_observed")]
    Interval { observation: usize },
}
