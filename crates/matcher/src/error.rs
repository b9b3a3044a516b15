//! The errors of the matcher.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum MatcherError {
    /// An indicator object cannot be indexed (not an indicator, no id, a
    /// pattern that does not parse, ...).
    #[error("indicator {id}: {reason}")]
    Indicator { id: String, reason: String },
    /// An event line cannot be read.
    #[error("{file}:{line}: {reason}")]
    Event {
        file: String,
        line: u64,
        reason: String,
    },
    /// A `KEY=OBJECT_PATH` field mapping is malformed.
    #[error("field mapping {mapping:?}: {reason}")]
    Mapping { mapping: String, reason: String },
    /// A value is no indicator value of a known type (an address, network,
    /// domain, URL, e-mail address or hash).
    #[error("{value:?}: {reason}")]
    Value { value: String, reason: String },
}
