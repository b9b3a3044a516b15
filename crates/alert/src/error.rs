//! What can go wrong with alerts.

use std::path::PathBuf;

use concord_community::CommunityError;
use concord_store::StoreError;

/// The result of alert operations.
pub type Result<T, E = AlertError> = std::result::Result<T, E>;

/// An error of the alert crate; the text says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A setting of `[alerts]` or `[constituency]` is wrong; the text names it.
    #[error("{0}")]
    Config(String),
    /// There is no such alert.
    #[error("{0}")]
    NotFound(String),
    /// A channel did not take an alert (the job is retried, then dead-lettered).
    #[error("{0}")]
    Delivery(String),
    /// A lock file of the data directory could not be taken.
    #[error("{doing} {}: {source}", path.display())]
    Io {
        /// What was being done.
        doing: &'static str,
        /// The lock file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The community's files could not be read.
    #[error(transparent)]
    Community(#[from] CommunityError),
    /// The transparency logs' records (evidence) could not be read.
    #[error(transparent)]
    Log(#[from] concord_log::LogError),
    /// A stored alert or job is unreadable, or one could not be written.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}
