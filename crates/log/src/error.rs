//! The crate's one error type.

use concord_store::StoreError;
use concord_taxii::TaxiiError;
use concord_tlog::TlogError;

/// What can go wrong keeping, serving, witnessing or checking logs.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A peer could not be reached or answered out of protocol.
    #[error(transparent)]
    Peer(#[from] TaxiiError),
    /// A log format, proof or decision of `concord-tlog` refused.
    #[error(transparent)]
    Tlog(#[from] TlogError),
    /// A peer's answer broke the protocol: `what` it was, and why.
    #[error("{what}: {reason}")]
    Protocol {
        /// Which answer (`checkpoint of concord/x/y from https://...`).
        what: String,
        /// The rule broken.
        reason: String,
    },
    /// Something stored by this node is not what it wrote.
    #[error("stored {what} is unreadable: {reason}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        reason: String,
    },
    /// A request this node refuses (no such member, nothing to export).
    #[error("{0}")]
    Refused(String),
    /// A background task failed.
    #[error("a background task failed: {0}")]
    Task(String),
}

/// The crate's result.
pub type Result<T, E = LogError> = std::result::Result<T, E>;

impl LogError {
    pub(crate) fn protocol(what: impl Into<String>, reason: impl Into<String>) -> LogError {
        LogError::Protocol {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>, reason: impl std::fmt::Display) -> LogError {
        LogError::Corrupt {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

impl From<serde_json::Error> for LogError {
    fn from(e: serde_json::Error) -> LogError {
        LogError::corrupt("JSON", e)
    }
}
