//! What can go wrong between MISP, feeds and the node.

use std::path::PathBuf;

use concord_federation::FederationError;
use concord_feeds::FeedError;
use concord_misp::MispError;
use concord_store::StoreError;
use concord_taxii::TaxiiError;
use concord_trust::TrustError;

/// The result of the bridge's operations.
pub type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// An error of the bridge: which rule was broken, or which part failed.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// A feed specification breaks a rule (its name, URL or columns).
    #[error("feed {feed}: {reason}")]
    Spec {
        /// The feed's name.
        feed: String,
        /// The rule broken.
        reason: String,
    },
    /// No feed has this name.
    #[error("no feed named {0:?} (see `concord feed list`)")]
    UnknownFeed(String),
    /// A feed of this name exists already.
    #[error("a feed named {0:?} exists already: remove it first (`concord feed remove {0}`)")]
    FeedExists(String),
    /// A stored record is not what the bridge wrote (its kind and key).
    #[error("the stored {kind} record {key:?} is unreadable: {reason}")]
    Record {
        /// The record's kind.
        kind: &'static str,
        /// Its key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An input file could not be read.
    #[error("reading {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An output file or directory could not be made.
    #[error("{what} {}", path.display())]
    Write {
        /// `creating` or `writing`.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The input is no MISP JSON concord reads.
    #[error(transparent)]
    Misp(#[from] MispError),
    /// A feed could not be fetched or its body read at all.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// Talking to a TAXII server failed.
    #[error(transparent)]
    Taxii(#[from] TaxiiError),
    /// Signing or addressing an object failed.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// Reading the members or the sharing policy failed.
    #[error(transparent)]
    Federation(#[from] FederationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
