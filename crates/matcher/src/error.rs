//! The errors of the matcher.

use thiserror::Error;

/// What the matcher refuses, and where.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MatcherError {
    /// An indicator object cannot be indexed (not an indicator, no id, a
    /// pattern that does not parse, ...).
    #[error("indicator {id}: {reason}")]
    Indicator {
        /// The indicator's id (empty when it has none).
        id: String,
        /// The rule it breaks.
        reason: String,
    },
    /// An event line cannot be read.
    #[error("{file}:{line}: {reason}")]
    Event {
        /// The file (or `-`, `request`...) the line came from.
        file: String,
        /// The 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A `KEY=OBJECT_PATH` field mapping is malformed.
    #[error("field mapping {mapping:?}: {reason}")]
    Mapping {
        /// The mapping as given.
        mapping: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value is no indicator value of a known type (an address, network,
    /// domain, URL, e-mail address or hash).
    #[error("{value:?}: {reason}")]
    Value {
        /// The value as given.
        value: String,
        /// What it is not, and why.
        reason: String,
    },
}
