//! What can go wrong with incidents and sightings.

use concord_federation::FederationError;
use concord_store::StoreError;
use concord_trust::TrustError;

/// The result of incident operations.
pub type Result<T, E = IncidentError> = std::result::Result<T, E>;

/// An error of the incident crate; the text says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// An argument breaks a rule (an unknown status, an empty title, a
    /// move the workflow does not allow).
    #[error("{0}")]
    Invalid(String),
    /// This node holds no such incident.
    #[error("{0}")]
    NotFound(String),
    /// Only the owner (or an addressee) may do this.
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing failed.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// Marking, addressing or peers failed.
    #[error(transparent)]
    Federation(#[from] FederationError),
}
