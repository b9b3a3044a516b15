//! The errors of the matcher.

use thiserror::Error;

/// Why an indicator, an event line or a field mapping was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MatcherError {
    /// An indicator object cannot be indexed (not an indicator, no id, a
    /// pattern that does not parse, ...).
    #[error("indicator {id}: {reason}")]
    Indicator {
        /// The object's `id` as given ("" when it has none).
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An event line cannot be read.
    #[error("{file}:{line}: {reason}")]
    Event {
        /// The file name the caller gave for the line.
        file: String,
        /// The line number the caller gave (1-based by convention).
        line: u64,
        /// Why the line cannot be read (for JSON, with the column).
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
    /// Index snapshot bytes that cannot be read back.
    #[error("index snapshot, byte {offset}: {reason}")]
    Snapshot {
        /// Where in the bytes the problem was found.
        offset: usize,
        /// What is wrong there.
        reason: String,
    },
}
