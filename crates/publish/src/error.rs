//! The errors of a publication: a query that asks for something no export
//! can give (answered 400 by a server, refused by the command line), the
//! store, or the export itself.

use concord_exports::ExportError;
use concord_store::StoreError;

/// Why an export could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A query option has a value no export takes (which option, why).
    #[error("{option}: {reason}")]
    Query {
        /// The option, as the command line and the query string name it.
        option: String,
        /// The rule the value breaks.
        reason: String,
    },
    /// The export refused its options or could not write.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record this crate wrote no longer reads (its kind and key).
    #[error("the stored {kind} record {key:?} is unreadable: {reason}")]
    Record {
        /// The record kind.
        kind: &'static str,
        /// Its key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A worker thread failed.
    #[error("an export task failed: {0}")]
    Task(String),
    /// The output could not be written (a full disk, a closed pipe).
    #[error("writing the export: {0}")]
    Write(String),
    /// A file or directory of the output could not be made.
    #[error("{what} {}", path.display())]
    File {
        /// What was being done: `writing`, `creating`.
        what: &'static str,
        /// The file or directory.
        path: std::path::PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// An output path that names no file.
    #[error("--out {}: not a file name", .0.display())]
    NoFileName(std::path::PathBuf),
}

impl PublishError {
    pub(crate) fn query(option: &str, reason: impl Into<String>) -> PublishError {
        PublishError::Query {
            option: option.to_string(),
            reason: reason.into(),
        }
    }

    /// Whether the caller asked for something wrong (rather than the
    /// node failing): a server answers these 400.
    pub fn is_bad_query(&self) -> bool {
        matches!(
            self,
            PublishError::Query { .. } | PublishError::Export(ExportError::InvalidOption { .. })
        )
    }
}
