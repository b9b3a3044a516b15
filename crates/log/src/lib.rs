//! A concord node's transparency logs (FEDERATION.md section 2), on top
//! of the pure `concord-tlog`: the node's own log in its store, every
//! member's log witnessed, and what a received object must prove.
//!
//! What it is for:
//! - **its own log** ([`own`]): every object version this member authors
//!   goes in as a salted commitment in the transaction that stores it
//!   ([`own::prepare_authored`]); governance messages and evidence go in
//!   as governance entries; a checkpoint is signed at most once per
//!   interval when the log grew; tiles and the latest checkpoint (with the
//!   cosignatures witnesses sent back) are served;
//! - **witnessing** ([`witness`]): the latest checkpoint of every
//!   member's log, fetched each sync round, checked for consistency with
//!   the one held using the member's tiles, swapped in atomically,
//!   cosigned and sent back; C2SP `add-checkpoint` for logs that push;
//! - **inclusion on receipt** ([`receipt`]): an object received from a
//!   peer is stored only once its commitment is proven under a checkpoint
//!   of its author's log that this node verified; until then it is held,
//!   and after three checkpoint intervals quarantined with the reason;
//! - **gossip and evidence** ([`gossip`], [`evidence`]): each round swaps
//!   the checkpoints held for every member's log; two that contradict each
//!   other are evidence, verified with the member's key alone, kept,
//!   logged and handed on;
//! - **offline exchange** ([`bundle`]): signed bundles with inclusion
//!   proofs, written and checked.
//!
//! What it must never do: store an authored version without its log entry;
//! sign a checkpoint inconsistent with one it signed before, or more often
//! than the interval; lower a witness's stored size; let a received object
//! be served or matched before its inclusion is proven; give a peer log
//! material of a version it may not see; read configuration or the
//! environment, print or exit (the binary passes what it read).

pub mod audit;
pub mod bundle;
pub mod directory;
mod error;
pub mod evidence;
pub mod gossip;
pub mod own;
pub mod proofs;
pub mod receipt;
pub mod tiles;
pub mod witness;

pub use directory::{Directory, LogSection, MemberLog};
pub use error::{LogError, Result};
