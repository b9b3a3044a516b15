//! A concord node's side of federation (FEDERATION.md sections 5 to 7):
//! whom it deals with (configured peers combined with the adopted
//! charter), how it pulls from them (every object's signature verified,
//! refusals quarantined with the reason, withdrawals honoured), what it
//! authors (marked, addressed and signed with the node key; marked again
//! later) and takes back (withdrawals), and the sharing policy its server applies to each peer.
//!
//! What it is for: the node's binary, its HTTP API and its console call
//! these functions; none of them decides anything about federation itself.
//!
//! What it must never do: store, serve or match an object whose
//! provenance did not verify under a key it trusts; sign an object on
//! behalf of another member; let a removed member's key back in; reach a
//! peer over plain HTTP off loopback; read configuration or the
//! environment, print or exit (the binary passes what it read).

pub mod authoring;
mod error;
pub mod identity;
pub mod logs;
pub mod marking;
pub mod membership;
pub mod peers;
pub mod policy;
pub mod pull;
pub mod quarantine;
pub mod round;
pub mod withdrawal;

use std::path::PathBuf;

use concord_store::AnyStore;

pub use error::{FederationError, Result};
pub use peers::check_peer_url;
pub use policy::{SharingSection, policy};
pub use round::SyncSection;

/// This member's own node, as the domain crates need it: where its data
/// lives, who it is, and where what it authors or receives is stored.
#[derive(Clone)]
pub struct LocalNode {
    /// The node's store.
    pub store: AnyStore,
    /// The data directory (the community's files live under it).
    pub data_dir: PathBuf,
    /// The member's STIX identity id: what this node authors is signed as it.
    pub member: String,
    /// The collection that local imports, authored objects and pulls go to.
    pub collection: String,
    /// `[log]`: the node's transparency log.
    pub log: concord_log::LogSection,
}
