//! The console's errors. Handlers turn them into a page (see `shell.rs`):
//! the user gets a short message in their language, the log gets the detail.

/// What can go wrong while serving a console page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("store: {0}")]
    Store(#[from] concord_store::StoreError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("authentication: {0}")]
    Taxii(#[from] concord_taxii::TaxiiError),
    #[error("background task failed: {0}")]
    Task(String),
    #[error("matcher: {0}")]
    Matcher(String),
    /// A page a module added (community, incidents...) failed; the text
    /// says what it was doing.
    #[error("{0}")]
    Section(String),
}

/// The node's sections call the domain crates; their errors are shown as
/// the console's short message and logged whole.
macro_rules! section_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for ConsoleError {
            fn from(e: $t) -> Self {
                ConsoleError::Section(e.to_string())
            }
        }
    )*};
}

section_errors!(
    concord_community::CommunityError,
    concord_federation::FederationError,
    concord_incident::IncidentError,
    concord_alert::AlertError
);
