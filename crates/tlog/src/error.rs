//! The one error type of the crate. Each variant names the rule that was
//! broken and where (line of a note, tile path, object of a bundle), so a
//! rejected checkpoint or bundle can be acted on, not just refused.

use concord_trust::TrustError;

/// Everything that can go wrong in the log's formats, proofs and decisions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogError {
    // --- sizes and text formats ---------------------------------------------
    /// Input larger than the format's limit, refused before parsing.
    #[error("{what}: {size} bytes exceeds the limit of {limit} bytes")]
    Oversized {
        /// Which input.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A text format (signed note, checkpoint, add-checkpoint body) broke a
    /// rule of its specification.
    #[error("malformed {what} at line {line}: {reason}")]
    Malformed {
        /// Which format.
        what: &'static str,
        /// 1-based line number in the input.
        line: usize,
        /// The rule broken.
        reason: String,
    },
    /// A tile or entry-bundle path that is not in the tlog-tiles form.
    #[error("tile path {path:?}: {reason}")]
    TilePath {
        /// The path as given.
        path: String,
        /// The rule broken.
        reason: String,
    },
    /// A verifier key string (`<name>+<hex id>+<base64 key>`) that is not valid.
    #[error("verifier key: {reason}")]
    VerifierKey {
        /// The rule broken.
        reason: String,
    },

    // --- signatures ---------------------------------------------------------
    /// A signature line names a known key (name and key id match) but does
    /// not verify: the whole note is rejected (signed-note.md).
    #[error("signature by known key {key} does not verify")]
    BadSignature {
        /// `<name>+<hex key id>`.
        key: String,
    },
    /// No signature line of the note is by a known key.
    #[error("no signature by a known key ({unknown} signature lines by unknown keys)")]
    NoKnownSignature {
        /// How many lines were by keys the verifier does not know.
        unknown: usize,
    },
    /// Two verifiers share a key name and key id: a signature line could
    /// not be attributed to one of them.
    #[error("ambiguous verifiers: more than one key named {key}")]
    AmbiguousKey {
        /// `<name>+<hex key id>`.
        key: String,
    },

    // --- the tree -----------------------------------------------------------
    /// An index or size outside the tree.
    #[error("{what}: {index} is out of range for tree size {size}")]
    OutOfRange {
        /// What was asked for.
        what: &'static str,
        /// The index or size asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// An inclusion proof that does not verify (RFC 9162 section 2.1.3.2).
    #[error("inclusion proof: {reason}")]
    Inclusion {
        /// The step that failed.
        reason: String,
    },
    /// A consistency proof that does not verify (RFC 9162 section 2.1.4.2).
    #[error("consistency proof: {reason}")]
    Consistency {
        /// The step that failed.
        reason: String,
    },
    /// A tile whose bytes are not what the tree needs there.
    #[error("tile {path}: {reason}")]
    Tile {
        /// tlog-tiles path of the tile.
        path: String,
        /// The rule broken.
        reason: String,
    },
    /// A tile the computation needs is not stored.
    #[error("tile {path} is missing")]
    MissingTile {
        /// tlog-tiles path of the tile.
        path: String,
    },
    /// The node's storage failed while reading tiles or witness state.
    #[error("storage: {0}")]
    Storage(String),

    // --- concord entries, checkpoints, evidence, bundles ----------------------
    /// A log entry that is not a concord entry, or cannot be made.
    #[error("entry: {0}")]
    Entry(String),
    /// The log refuses to sign a checkpoint (it would contradict one it
    /// signed before, or does not match its own tiles).
    #[error("checkpoint refused: {0}")]
    Refused(String),
    /// A document offered as evidence of a split view that does not prove
    /// one.
    #[error("not evidence of a split view: {0}")]
    NotEvidence(String),
    /// An offline bundle whose envelope is wrong (before any object).
    #[error("bundle: {0}")]
    Bundle(String),
    /// An object of an offline bundle failed: the first failing object.
    #[error("bundle object {index} ({id}): {reason}")]
    BundleObject {
        /// Position in the bundle's `objects`.
        index: usize,
        /// The object's `id`, or `?` when it has none.
        id: String,
        /// Why it failed.
        reason: Box<TlogError>,
    },
    /// A provenance signature check by concord-trust failed.
    #[error("provenance: {0}")]
    Provenance(#[from] TrustError),
    /// Canonical JSON (RFC 8785) could not be written.
    #[error("canonical JSON: {0}")]
    Canonical(String),
    /// JSON that does not parse or has the wrong shape.
    #[error("JSON {what}: {reason}")]
    Json {
        /// Which document.
        what: &'static str,
        /// The parser's message or the rule broken.
        reason: String,
    },
}

impl TlogError {
    /// A storage failure of the node, from whatever error its store has.
    pub fn storage(e: impl std::fmt::Display) -> TlogError {
        TlogError::Storage(e.to_string())
    }

    pub(crate) fn malformed(
        what: &'static str,
        line: usize,
        reason: impl Into<String>,
    ) -> TlogError {
        TlogError::Malformed {
            what,
            line,
            reason: reason.into(),
        }
    }
}
