//! Per-member transparency logs for concord (FEDERATION.md section 2).
//!
//! What it is for: the pure core of the append-only log every node keeps
//! of what it authors, in standard formats so that outside tools can check
//! a concord log: the RFC 6962 / RFC 9162 Merkle tree with inclusion and
//! consistency proofs, its storage as C2SP tlog-tiles, C2SP signed notes,
//! checkpoints and cosignatures, the tlog-witness `add-checkpoint`
//! decision, concord's entries (salted commitments for intel, plain JSON
//! for governance), evidence of a split view that verifies offline, and
//! offline bundles that carry objects with their inclusion proofs.
//!
//! What it must never do: read the clock (time is a parameter), touch
//! files, sockets, environment or configuration (storage comes in through
//! [`TileReader`] and [`WitnessStore`], which the node implements over its
//! store), print or exit, use anything but strict Ed25519 verification,
//! sign a checkpoint that contradicts one it signed before, or panic on any
//! input.
//!
//! # How the node persists a log
//!
//! - **Appending** (one transaction, one writer at a time, because
//!   [`append`] reads the partial tiles it extends): the authored object
//!   or governance message, its entry's leaf index (and, for intel, the
//!   nonce), every [`TileData`] of the [`Appended`] result upserted under
//!   [`Tile::key`] (one row per (level, index); a wider tile replaces the
//!   narrower one), and the new tree size.
//! - **Signing a checkpoint** (every interval when the size changed):
//!   [`LogSigner::sign_next`] with the last signed checkpoint and the
//!   current size, reading the tiles; store the note and make it the one
//!   served at `/log/checkpoint`. Keep every signed checkpoint: each is
//!   half of any evidence against this node, and its partial tiles must
//!   stay servable ([`serve`] answers any `.p/W` as a prefix).
//! - **Serving tiles**: [`Tile::parse_path`], the stored row of
//!   [`Tile::key`], then [`serve`]; 404 when it answers `None`.
//! - **Witnessing** (HTTP `add-checkpoint` and sync): one record per
//!   followed origin, updated only through
//!   [`WitnessStore::compare_and_swap`] in one transaction (`UPDATE ...
//!   WHERE origin = ? AND size = ? AND root = ?`, or an `INSERT` that
//!   fails if a row exists), so the stored size never goes down.
//! - **Evidence**: [`Evidence::to_json`] as received or found, logged as a
//!   governance entry and forwarded; it verifies with the member's key
//!   alone.

mod append;
mod bundle;
mod checkpoint;
mod entry;
mod error;
mod evidence;
mod hash;
mod merkle;
mod note;
mod note_key;
mod tile;
mod tile_nodes;
mod witness;

pub use append::{Appended, append};
pub use bundle::{
    BUNDLE_PROPERTY, BUNDLE_SIGNATURE_PREFIX, BundleItem, BundleObject, BundleReport,
    MAX_BUNDLE_BYTES, build_bundle, verify_bundle,
};
pub use checkpoint::{Checkpoint, LogSigner, SignedCheckpoint, log_verifier};
pub use entry::{
    COMMIT_PREFIX, ENTRY_PREFIX, Entry, EntryKind, MAX_GOVERNANCE_BODY, commitment, fresh_nonce,
    governance_entry, intel_entry,
};
pub use error::TlogError;
pub use evidence::{
    ConsistencyCheck, EVIDENCE_TYPE, Evidence, EvidenceKind, EvidenceReport, MAX_EVIDENCE_BYTES,
    check_consistency,
};
pub use hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash, root_of};
pub use merkle::{
    MemoryTree, NodeReader, consistency_path_full, consistency_proof, inclusion_proof,
    root_from_inclusion_proof, roots_from_consistency_path, tree_hash, verify_consistency,
    verify_inclusion,
};
pub use note::{
    MAX_COSIGNATURE_TIME, MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES, Note, SignatureLine, Verified,
    cosignature_message,
};
pub use note_key::{
    Cosigner, NoteSigner, NoteVerifier, SignatureType, Verifiers, is_valid_key_name, key_id,
};
pub use tile::{
    FULL_TILE_BYTES, MAX_ENTRY_BYTES, MAX_TILE_LEVEL, MemoryTiles, TILE_HEIGHT, TILE_WIDTH, Tile,
    TileData, TileLevel, TileReader, entry_bundle_prefix, parse_entry_bundle, push_entry, serve,
};
pub use tile_nodes::{TileNodes, tiles_root, verify_entry_bundles, verify_hash_tiles};
pub use witness::{
    AddCheckpoint, Cosigned, MAX_ADD_CHECKPOINT_BYTES, MAX_PROOF_LINES, Rejection,
    SIZE_CONTENT_TYPE, Swap, Witness, WitnessRecord, WitnessStore,
};
