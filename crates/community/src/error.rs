//! What can go wrong with the community's files and documents.

use std::path::PathBuf;

use concord_taxii::TaxiiError;
use concord_trust::TrustError;

/// The result of community operations.
pub type Result<T, E = CommunityError> = std::result::Result<T, E>;

/// An error of the community crate. Every variant says what to do next or
/// where the problem is; none carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum CommunityError {
    /// A file of the community directory could not be read or written.
    #[error("{doing} {}: {source}", path.display())]
    Io {
        /// What was being done ("reading", "fsync of", ...).
        doing: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A document, a file or an argument breaks a rule; the text names the
    /// rule and where (file, JSON path).
    #[error("{0}")]
    Invalid(String),
    /// Governance refuses the action in the community's current state (no
    /// charter yet, a second vote on one base, a pinned hash that differs).
    #[error("{0}")]
    Refused(String),
    /// What was asked for is not held here (a proposal id, a version).
    #[error("{0}")]
    NotFound(String),
    /// A signature or a charter step did not verify.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// A document could not be encoded or decoded as JSON.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Fetching a peer's documents failed.
    #[error(transparent)]
    Taxii(#[from] TaxiiError),
}

impl CommunityError {
    /// An I/O error on `path` while `doing` something.
    pub(crate) fn io(
        doing: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        CommunityError::Io {
            doing,
            path: path.into(),
            source,
        }
    }

    /// Prefixes the message with where it happened (a file, a peer).
    pub(crate) fn at(self, place: impl std::fmt::Display) -> Self {
        match self {
            CommunityError::Invalid(m) => CommunityError::Invalid(format!("{place}: {m}")),
            CommunityError::Refused(m) => CommunityError::Refused(format!("{place}: {m}")),
            CommunityError::NotFound(m) => CommunityError::NotFound(format!("{place}: {m}")),
            other => CommunityError::Invalid(format!("{place}: {other}")),
        }
    }
}
