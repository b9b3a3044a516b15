//! The node's own transparency log, kept beside its objects
//! (FEDERATION.md section 2, `concord-tlog`'s notes on persistence).
//!
//! What the store keeps: the C2SP tiles of the node's log (one row per
//! (level, index), the widest written so far), the tree size, the key of
//! each governance entry (so a message is logged once), and on each object
//! version its leaf index and nonce: for versions authored here, in the
//! node's own log; for versions received, in their author's log (so this
//! node can hand the material on when it relays them).
//!
//! Appends happen in the transaction that stores what they record, under
//! the store's single-writer lock, because [`concord_tlog::append`] reads
//! the partial tiles it extends: an authored version is never stored
//! without its entry, and the tiles never disagree with the size after a
//! crash. Signing checkpoints, proofs and witnessing are the caller's
//! (`concord-log`); the store only keeps the rows.

use concord_tlog::{Appended, MemoryTiles, Tile, TileLevel};

use crate::{Record, StoreError, StoredObject};

/// An object version's place in a transparency log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogMark {
    /// Authored here: `entry` (the log entry's bytes `d`) is appended to the
    /// node's own log in the transaction that stores the version, unless
    /// the version is already stored with a leaf.
    Append {
        /// The entry's bytes.
        entry: Vec<u8>,
        /// The commitment's nonce, kept with the version.
        nonce: [u8; 32],
    },
    /// Received: its leaf index and nonce in its author's log, checked by
    /// the caller against a checkpoint it verified.
    Received {
        /// Leaf index in the author's log.
        leaf: u64,
        /// The commitment's nonce.
        nonce: [u8; 32],
    },
}

/// An entry of the node's own log that is not an object version (a
/// governance message, evidence), appended once per `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLeaf {
    /// What it logs (`proposal <id>`, `vote <id>`, `evidence <digest>`).
    pub key: String,
    /// The entry's bytes `d`.
    pub entry: Vec<u8>,
}

/// What [`crate::Store::log_append`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogAppended {
    /// The tree size after.
    pub size: u64,
    /// Each leaf's key and index, in the order given (an index from before
    /// when the key was logged already).
    pub leaves: Vec<(String, u64)>,
    /// How many entries this call appended.
    pub appended: usize,
}

/// A stored object version with its log material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedVersion {
    /// The version as stored.
    pub object: StoredObject,
    /// Its leaf index (in the node's own log when this member authored it,
    /// else in its author's).
    pub leaf: u64,
    /// The commitment's nonce.
    pub nonce: [u8; 32],
}

/// The outcome of [`crate::Store::swap_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordSwap {
    /// The record now holds the new value.
    Done,
    /// The stored value was not the expected one (here it is; `None`: no
    /// record); nothing changed.
    Changed(Option<Record>),
}

/// The level a tile row is stored under: hash tiles by their level, entry
/// bundles as -1.
pub(crate) fn level_number(level: TileLevel) -> i16 {
    match level {
        TileLevel::Hashes(l) => i16::from(l),
        TileLevel::Entries => -1,
    }
}

/// The tiles an append to a tree of `size` leaves reads: the partial tiles
/// at its right edge.
pub(crate) fn edge(size: u64) -> Vec<Tile> {
    Tile::partials(size)
}

/// Appends `entries` to the tree of `size` leaves whose right edge `tiles`
/// holds.
pub(crate) fn append(
    size: u64,
    entries: &[&[u8]],
    tiles: &MemoryTiles,
) -> Result<Appended, StoreError> {
    concord_tlog::append(size, entries, tiles).map_err(|e| StoreError::Log(e.to_string()))
}

/// A stored nonce: exactly 32 bytes.
pub(crate) fn nonce_of(raw: &[u8]) -> Result<[u8; 32], StoreError> {
    raw.try_into()
        .map_err(|_| StoreError::Corrupt(format!("a stored log nonce has {} bytes", raw.len())))
}

/// A leaf index as a database integer.
pub(crate) fn to_db(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Log(format!("leaf index {n} is beyond 2^63")))
}

/// A database integer as a leaf index or size.
pub(crate) fn from_db(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a stored log size of {n}")))
}
