//! What can go wrong in federation.

use concord_community::CommunityError;
use concord_store::StoreError;
use concord_taxii::TaxiiError;
use concord_trust::TrustError;

/// The result of federation operations.
pub type Result<T, E = FederationError> = std::result::Result<T, E>;

/// An error of the federation crate: what broke, and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// An argument or a stored value breaks a rule; the text names it.
    #[error("{0}")]
    Invalid(String),
    /// Not held here (an object, a peer, a quarantine entry).
    #[error("{0}")]
    NotFound(String),
    /// Only another member may do this (withdraw or change its object).
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Talking to a peer failed.
    #[error(transparent)]
    Taxii(#[from] TaxiiError),
    /// Signing or verification failed.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The community's files could not be read.
    #[error(transparent)]
    Community(#[from] CommunityError),
    /// A value could not be encoded or decoded as JSON.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}
