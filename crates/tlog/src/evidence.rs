//! Evidence of a split view: proof, checkable offline with nothing but the
//! member's public key, that a log signed two views of its history that
//! cannot both be true.
//!
//! Two kinds:
//! - *same size*: two checkpoints of one origin and one size with different
//!   roots, both signed by the log's key;
//! - *inconsistent*: checkpoints of sizes m < n, both signed, and a full
//!   consistency path (RFC 9162 section 2.1.4.2 with its first node always
//!   given) that leads to the larger checkpoint's root but to another root
//!   than the smaller one's. Every node of the path goes into the larger
//!   root, so, SHA-256 being collision resistant, the path is the larger
//!   tree's real nodes and the root it gives for size m is the larger
//!   tree's real prefix: the log's two checkpoints disagree about the first
//!   m entries.
//!
//! The serialisation is JSON with the two notes as strings. Each note keeps
//! only the log's own signature line, so no byte of the evidence is outside
//! what the verification checks.

use concord_trust::PublicKey;
use serde::{Deserialize, Serialize};

use crate::TlogError;
use crate::checkpoint::{SignedCheckpoint, log_verifier};
use crate::hash::{EMPTY_ROOT, Hash};
use crate::merkle::{consistency_path_full, roots_from_consistency_path, tree_hash};
use crate::note::Note;
use crate::tile::TileReader;
use crate::tile_nodes::TileNodes;

/// The `type` of a serialised piece of evidence.
pub const EVIDENCE_TYPE: &str = "concord-split-view";
/// The largest serialised evidence accepted.
pub const MAX_EVIDENCE_BYTES: usize = 1024 * 1024;

/// Which contradiction the evidence shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// One size, two roots.
    SameSize,
    /// Two sizes, no consistency between them.
    Inconsistent,
}

/// Evidence that a log showed a split view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The smaller checkpoint first (for equal sizes: in the order found).
    checkpoints: [SignedCheckpoint; 2],
    /// The full consistency path (empty for [`EvidenceKind::SameSize`]).
    path: Vec<Hash>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(rename = "type")]
    kind_tag: String,
    version: u32,
    kind: EvidenceKind,
    checkpoints: [String; 2],
    consistency_path: Vec<String>,
}

/// What verified evidence shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceReport {
    /// The log.
    pub origin: String,
    /// Which contradiction.
    pub kind: EvidenceKind,
    /// The two sizes (smaller first).
    pub sizes: (u64, u64),
    /// The two signed roots, in the same order.
    pub roots: (Hash, Hash),
    /// For [`EvidenceKind::Inconsistent`]: the root the larger tree has at
    /// the smaller size (which the smaller checkpoint contradicts).
    pub prefix_root: Option<Hash>,
}

/// The outcome of comparing two checkpoints of one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsistencyCheck {
    /// The larger tree extends the smaller one (or both are the same).
    Consistent,
    /// They contradict each other; the evidence proves it.
    SplitView(Box<Evidence>),
    /// Cannot be decided from what was given (the tiles do not match the
    /// larger checkpoint): an alarm, not evidence.
    Unverifiable(String),
}

fn not_evidence(reason: impl Into<String>) -> TlogError {
    TlogError::NotEvidence(reason.into())
}

/// The checkpoint with only the lines of the log's own key.
fn only_log_signature(
    c: &SignedCheckpoint,
    key: &PublicKey,
) -> Result<SignedCheckpoint, TlogError> {
    let v = log_verifier(&c.checkpoint().origin, key)?;
    let mut note = Note::new(c.note().text())?;
    for line in c.note().signatures() {
        if line.name == v.name() && line.key_id == v.key_id() {
            note.add_signature(line.clone())?;
        }
    }
    SignedCheckpoint::from_note(note)
}

impl Evidence {
    /// Evidence from two checkpoints of one size with different roots.
    pub fn same_size(
        a: &SignedCheckpoint,
        b: &SignedCheckpoint,
        key: &PublicKey,
    ) -> Result<Evidence, TlogError> {
        let e = Evidence {
            checkpoints: [only_log_signature(a, key)?, only_log_signature(b, key)?],
            path: Vec::new(),
        };
        e.verify(key)?;
        Ok(e)
    }

    /// Evidence from two checkpoints and a full consistency path between
    /// them (see [`consistency_path_full`]).
    pub fn inconsistent(
        a: &SignedCheckpoint,
        b: &SignedCheckpoint,
        path: Vec<Hash>,
        key: &PublicKey,
    ) -> Result<Evidence, TlogError> {
        let (small, large) = if a.checkpoint().size <= b.checkpoint().size {
            (a, b)
        } else {
            (b, a)
        };
        let e = Evidence {
            checkpoints: [
                only_log_signature(small, key)?,
                only_log_signature(large, key)?,
            ],
            path,
        };
        e.verify(key)?;
        Ok(e)
    }

    /// The kind of contradiction.
    pub fn kind(&self) -> EvidenceKind {
        if self.checkpoints[0].checkpoint().size == self.checkpoints[1].checkpoint().size {
            EvidenceKind::SameSize
        } else {
            EvidenceKind::Inconsistent
        }
    }

    /// The two checkpoints (smaller first).
    pub fn checkpoints(&self) -> &[SignedCheckpoint; 2] {
        &self.checkpoints
    }

    /// Checks the evidence with the member's node key alone: both notes
    /// signed by it under one origin and nothing else, and a real
    /// contradiction between them.
    pub fn verify(&self, key: &PublicKey) -> Result<EvidenceReport, TlogError> {
        let [a, b] = &self.checkpoints;
        let (ca, cb) = (a.checkpoint(), b.checkpoint());
        if ca.origin != cb.origin {
            return Err(not_evidence("the checkpoints are of two different logs"));
        }
        for (i, c) in self.checkpoints.iter().enumerate() {
            c.verify_by_member(key).map_err(|e| {
                not_evidence(format!("checkpoint {i} is not signed by the key: {e}"))
            })?;
            if c.note().signatures().len() != 1 {
                return Err(not_evidence(format!(
                    "checkpoint {i} must carry the log's signature line only"
                )));
            }
        }
        if ca.size == cb.size {
            if ca.root == cb.root {
                return Err(not_evidence("the checkpoints have the same root"));
            }
            if !self.path.is_empty() {
                return Err(not_evidence("same-size evidence has no consistency path"));
            }
            return Ok(EvidenceReport {
                origin: ca.origin.clone(),
                kind: EvidenceKind::SameSize,
                sizes: (ca.size, cb.size),
                roots: (ca.root, cb.root),
                prefix_root: None,
            });
        }
        if ca.size > cb.size {
            return Err(not_evidence("the smaller checkpoint comes first"));
        }
        if ca.size == 0 {
            return Err(not_evidence("every tree extends the empty tree"));
        }
        let (prefix, top) = roots_from_consistency_path(ca.size, cb.size, &self.path)
            .map_err(|e| not_evidence(format!("the path does not fit the sizes: {e}")))?;
        if top != cb.root {
            return Err(not_evidence(
                "the path does not lead to the larger checkpoint's root",
            ));
        }
        if prefix == ca.root {
            return Err(not_evidence(
                "the path shows the checkpoints are consistent",
            ));
        }
        Ok(EvidenceReport {
            origin: ca.origin.clone(),
            kind: EvidenceKind::Inconsistent,
            sizes: (ca.size, cb.size),
            roots: (ca.root, cb.root),
            prefix_root: Some(prefix),
        })
    }

    /// The JSON serialisation.
    pub fn to_json(&self) -> Vec<u8> {
        let wire = Wire {
            kind_tag: EVIDENCE_TYPE.to_string(),
            version: 1,
            kind: self.kind(),
            checkpoints: [
                String::from_utf8_lossy(&self.checkpoints[0].to_bytes()).into_owned(),
                String::from_utf8_lossy(&self.checkpoints[1].to_bytes()).into_owned(),
            ],
            consistency_path: self.path.iter().map(Hash::to_base64).collect(),
        };
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Reads serialised evidence (without verifying it: call
    /// [`Evidence::verify`]).
    pub fn from_json(bytes: &[u8]) -> Result<Evidence, TlogError> {
        if bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(TlogError::Oversized {
                what: "evidence",
                size: bytes.len(),
                limit: MAX_EVIDENCE_BYTES,
            });
        }
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| TlogError::Json {
            what: "evidence",
            reason: e.to_string(),
        })?;
        if wire.kind_tag != EVIDENCE_TYPE || wire.version != 1 {
            return Err(not_evidence(format!(
                "type {:?} version {} is not {EVIDENCE_TYPE} version 1",
                wire.kind_tag, wire.version
            )));
        }
        let [a, b] = &wire.checkpoints;
        let checkpoints = [
            SignedCheckpoint::parse(a.as_bytes())?,
            SignedCheckpoint::parse(b.as_bytes())?,
        ];
        let path = wire
            .consistency_path
            .iter()
            .enumerate()
            .map(|(i, h)| {
                Hash::from_base64(h).map_err(|reason| TlogError::Json {
                    what: "evidence",
                    reason: format!("consistency_path[{i}]: {reason}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let e = Evidence { checkpoints, path };
        if e.kind() != wire.kind {
            return Err(not_evidence(
                "the kind does not match the checkpoints' sizes",
            ));
        }
        Ok(e)
    }
}

/// Compares two signed checkpoints of one log, using the tiles of the
/// larger tree (from its log or any mirror) when the sizes differ. Both must
/// verify under `key` and have the same origin.
pub fn check_consistency(
    a: &SignedCheckpoint,
    b: &SignedCheckpoint,
    key: &PublicKey,
    tiles_of_larger: &(impl TileReader + ?Sized),
) -> Result<ConsistencyCheck, TlogError> {
    if a.checkpoint().origin != b.checkpoint().origin {
        return Err(TlogError::NotEvidence(
            "the checkpoints are of two different logs".into(),
        ));
    }
    a.verify_by_member(key)?;
    b.verify_by_member(key)?;
    let (small, large) = if a.checkpoint().size <= b.checkpoint().size {
        (a, b)
    } else {
        (b, a)
    };
    let (m, n) = (small.checkpoint().size, large.checkpoint().size);
    if m == n {
        return Ok(if small.checkpoint().root == large.checkpoint().root {
            ConsistencyCheck::Consistent
        } else {
            ConsistencyCheck::SplitView(Box::new(Evidence::same_size(small, large, key)?))
        });
    }
    if m == 0 {
        return Ok(if small.checkpoint().root == EMPTY_ROOT {
            ConsistencyCheck::Consistent
        } else {
            ConsistencyCheck::Unverifiable(
                "a checkpoint of size 0 has a root other than the empty tree's".into(),
            )
        });
    }
    let mut nodes = TileNodes::new(tiles_of_larger, n);
    let unverifiable = |e: TlogError| {
        ConsistencyCheck::Unverifiable(format!("the tiles cannot show the tree of size {n}: {e}"))
    };
    match tree_hash(n, &mut nodes) {
        Ok(r) if r == large.checkpoint().root => {}
        Ok(_) => {
            return Ok(ConsistencyCheck::Unverifiable(format!(
                "the tiles do not give the root of the checkpoint of size {n}"
            )));
        }
        Err(e) => return Ok(unverifiable(e)),
    }
    let path = match consistency_path_full(m, n, &mut nodes) {
        Ok(p) => p,
        Err(e) => return Ok(unverifiable(e)),
    };
    let (prefix, top) = roots_from_consistency_path(m, n, &path)?;
    if top != large.checkpoint().root {
        return Ok(ConsistencyCheck::Unverifiable(
            "the tiles are not one tree (their path does not give the root)".into(),
        ));
    }
    if prefix == small.checkpoint().root {
        return Ok(ConsistencyCheck::Consistent);
    }
    Ok(ConsistencyCheck::SplitView(Box::new(
        Evidence::inconsistent(small, large, path, key)?,
    )))
}
