//! The errors of an export: the options were unusable, or the output could
//! not be written. Problems with an indicator are never errors: they are
//! skips in the [`ExportReport`](crate::ExportReport).

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// An option breaks a rule of its format (a zone name that is no DNS
    /// name, an empty sid range, ...).
    #[error("option {option}: {reason}")]
    InvalidOption {
        /// The option, as the command line names it.
        option: &'static str,
        /// The rule it breaks.
        reason: String,
    },
    /// Every sid of the configured range is taken: widen the range (the
    /// table never reuses a sid).
    #[error("sid range {first}..={last} is exhausted: no sid left for {id} ({rule})")]
    SidRangeExhausted {
        /// First sid of the range.
        first: u32,
        /// Last sid of the range.
        last: u32,
        /// The indicator that needed one.
        id: String,
        /// The rule of that indicator that needed one.
        rule: String,
    },
    /// Writing the output failed.
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}
