//! The C2SP tlog-witness `add-checkpoint` call: its request body and the
//! witness's decision.
//!
//! The check of the old size and the write of the new checkpoint must be
//! one atomic step, or two concurrent requests for sizes N and N+K can roll
//! the witness back by K leaves (tlog-witness.md, the race at the end of
//! add-checkpoint). The decision is therefore made against a snapshot and
//! committed through [`WitnessStore::compare_and_swap`], which the node
//! implements as one transaction (`UPDATE ... WHERE origin = ? AND size = ?
//! AND root = ?`, or an `INSERT` that fails if a row exists). A request that
//! loses the race gets 409 with the size that won, as if it had come later.

use std::collections::HashMap;

use concord_trust::PublicKey;

use crate::TlogError;
use crate::checkpoint::{SignedCheckpoint, log_verifier};
use crate::evidence::Evidence;
use crate::hash::{EMPTY_ROOT, Hash, hash_from_base64};
use crate::merkle::{consistency_proof, verify_consistency};
use crate::note::{MAX_NOTE_BYTES, SignatureLine};
use crate::note_key::{Cosigner, NoteVerifier, SignatureType, Verifiers};
use crate::tile::TileReader;
use crate::tile_nodes::TileNodes;

/// The most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;
/// The largest `add-checkpoint` body accepted.
pub const MAX_ADD_CHECKPOINT_BYTES: usize = 32 + MAX_PROOF_LINES * 45 + 1 + MAX_NOTE_BYTES;
/// The content type of a 409 body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// An `add-checkpoint` request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness holds.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint to cosign.
    pub checkpoint: SignedCheckpoint,
}

fn next_line(rest: &[u8], line: usize) -> Result<(&[u8], &[u8]), TlogError> {
    let i = rest.iter().position(|&b| b == b'\n').ok_or_else(|| {
        TlogError::malformed("add-checkpoint body", line, "a line has no newline")
    })?;
    Ok((&rest[..i], &rest[i + 1..]))
}

impl AddCheckpoint {
    /// Reads a request body: `old <size>`, at most 63 base64 proof lines,
    /// an empty line, the checkpoint. Each line ends in a newline.
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, TlogError> {
        if body.len() > MAX_ADD_CHECKPOINT_BYTES {
            return Err(TlogError::Oversized {
                what: "add-checkpoint body",
                size: body.len(),
                limit: MAX_ADD_CHECKPOINT_BYTES,
            });
        }
        let bad =
            |line: usize, reason: &str| TlogError::malformed("add-checkpoint body", line, reason);
        let (first, mut rest) = next_line(body, 1)?;
        let size = first
            .strip_prefix(b"old ")
            .ok_or_else(|| bad(1, "the first line is `old <size>`"))?;
        let size_ok = !size.is_empty()
            && size.len() <= 20
            && size.iter().all(u8::is_ascii_digit)
            && (size == b"0" || size[0] != b'0');
        let old_size = std::str::from_utf8(size)
            .ok()
            .filter(|_| size_ok)
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                bad(
                    1,
                    "the old size is a decimal without leading zeroes below 2^64",
                )
            })?;
        let mut proof = Vec::new();
        let mut line_no = 2;
        loop {
            let (line, tail) = next_line(rest, line_no)?;
            rest = tail;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad(line_no, "more than 63 consistency proof lines"));
            }
            let s = std::str::from_utf8(line).map_err(|_| bad(line_no, "not ASCII"))?;
            proof.push(hash_from_base64(s, "add-checkpoint body", line_no)?);
            line_no += 1;
        }
        let checkpoint = SignedCheckpoint::parse(rest)?;
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint,
        })
    }

    /// The encoded request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&h.to_base64());
            out.push('\n');
        }
        out.push('\n');
        let mut out = out.into_bytes();
        out.extend_from_slice(&self.checkpoint.to_bytes());
        out
    }
}

/// What a witness keeps per log: the latest checkpoint it cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessRecord {
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The checkpoint as received (with the log's signature), for the
    /// monitoring endpoint and as one half of any later evidence.
    pub checkpoint: Vec<u8>,
}

/// The outcome of a compare-and-swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Swap {
    /// The record was replaced.
    Done,
    /// The stored record was no longer the expected one; here is what is
    /// stored now (`None`: nothing).
    Changed(Option<WitnessRecord>),
}

/// The witness's state, kept by the node.
pub trait WitnessStore {
    /// The latest cosigned checkpoint of the log `origin`, if any.
    fn latest(&self, origin: &str) -> Result<Option<WitnessRecord>, TlogError>;

    /// Atomically: if the stored record of `origin` has the `expected`
    /// (size, root) (`None`: no record), store `new` and answer
    /// [`Swap::Done`]; otherwise change nothing and answer what is stored.
    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<(u64, Hash)>,
        new: &WitnessRecord,
    ) -> Result<Swap, TlogError>;
}

/// Why a witness did not cosign, with the HTTP status tlog-witness.md gives
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 400: the body does not parse, or the old size is above the
    /// checkpoint's.
    BadRequest(TlogError),
    /// 404: the witness does not follow this origin.
    UnknownLog {
        /// The origin asked for.
        origin: String,
    },
    /// 403: no valid signature by the log's key, or a failing one.
    Forbidden(TlogError),
    /// 409: the old size is not the size the witness holds.
    Conflict {
        /// The size the witness holds (0 if none).
        stored_size: u64,
    },
    /// 422: the proof does not verify, the checkpoint contradicts the one
    /// held, or a size-0 checkpoint has a root other than the empty tree's.
    Unprocessable {
        /// Which check failed.
        reason: String,
        /// When the checkpoint contradicts the held one at the same size:
        /// the evidence (both notes are signed by the log).
        evidence: Option<Box<Evidence>>,
    },
    /// 500: the witness's storage failed.
    Storage(TlogError),
}

impl Rejection {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::BadRequest(_) => 400,
            Rejection::UnknownLog { .. } => 404,
            Rejection::Forbidden(_) => 403,
            Rejection::Conflict { .. } => 409,
            Rejection::Unprocessable { .. } => 422,
            Rejection::Storage(_) => 500,
        }
    }

    /// The content type of [`Rejection::body`].
    pub fn content_type(&self) -> &'static str {
        match self {
            Rejection::Conflict { .. } => SIZE_CONTENT_TYPE,
            _ => "text/plain; charset=utf-8",
        }
    }

    /// The response body: the stored size and a newline for 409, the
    /// reason otherwise.
    pub fn body(&self) -> String {
        match self {
            Rejection::Conflict { stored_size } => format!("{stored_size}\n"),
            Rejection::BadRequest(e) | Rejection::Forbidden(e) | Rejection::Storage(e) => {
                format!("{e}\n")
            }
            Rejection::UnknownLog { origin } => format!("unknown log {origin:?}\n"),
            Rejection::Unprocessable { reason, .. } => format!("{reason}\n"),
        }
    }
}

/// A checkpoint the witness cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// What the witness now holds for the log.
    pub record: WitnessRecord,
    /// The cosignature.
    pub cosignature: SignatureLine,
}

impl Cosigned {
    /// The 200 response body: the cosignature line.
    pub fn body(&self) -> String {
        self.cosignature.to_line()
    }
}

/// A witness: its cosigning key and the logs it follows.
#[derive(Debug, Clone)]
pub struct Witness {
    cosigner: Cosigner,
    logs: HashMap<String, NoteVerifier>,
}

impl Witness {
    /// A witness that follows no log yet.
    pub fn new(cosigner: Cosigner) -> Witness {
        Witness {
            cosigner,
            logs: HashMap::new(),
        }
    }

    /// Follows the log `origin`, signed by `key` (a concord member's node
    /// key, named by the origin).
    pub fn follow(&mut self, origin: &str, key: &PublicKey) -> Result<(), TlogError> {
        self.logs
            .insert(origin.to_string(), log_verifier(origin, key)?);
        Ok(())
    }

    /// Follows a log by its verifier key (an outside log, whose key name
    /// need not be its origin). The key must be a type 0x01 key.
    pub fn follow_verifier(
        &mut self,
        origin: &str,
        verifier: NoteVerifier,
    ) -> Result<(), TlogError> {
        if verifier.kind() != SignatureType::Ed25519 {
            return Err(TlogError::VerifierKey {
                reason: "a log signs its checkpoints with a type 0x01 key".into(),
            });
        }
        self.logs.insert(origin.to_string(), verifier);
        Ok(())
    }

    /// The cosigning key.
    pub fn cosigner(&self) -> &Cosigner {
        &self.cosigner
    }

    /// Handles an `add-checkpoint` body at time `now` (POSIX seconds).
    pub fn add_checkpoint(
        &self,
        body: &[u8],
        store: &(impl WitnessStore + ?Sized),
        now: u64,
    ) -> Result<Cosigned, Rejection> {
        let request = AddCheckpoint::parse(body).map_err(Rejection::BadRequest)?;
        self.submit(&request, store, now)
    }

    /// Decides on a parsed request, and persists and cosigns if it passes.
    pub fn submit(
        &self,
        request: &AddCheckpoint,
        store: &(impl WitnessStore + ?Sized),
        now: u64,
    ) -> Result<Cosigned, Rejection> {
        let checkpoint = request.checkpoint.checkpoint();
        let origin = checkpoint.origin.as_str();
        let log = self.logs.get(origin).ok_or_else(|| Rejection::UnknownLog {
            origin: origin.to_string(),
        })?;
        request
            .checkpoint
            .note()
            .verify(&Verifiers::one(log.clone()))
            .map_err(Rejection::Forbidden)?;
        if request.old_size > checkpoint.size {
            return Err(Rejection::BadRequest(TlogError::OutOfRange {
                what: "old size",
                index: request.old_size,
                size: checkpoint.size,
            }));
        }
        let stored = store.latest(origin).map_err(Rejection::Storage)?;
        let stored_size = stored.as_ref().map_or(0, |r| r.size);
        if request.old_size != stored_size {
            return Err(Rejection::Conflict { stored_size });
        }
        let unprocessable = |reason: String| Rejection::Unprocessable {
            reason,
            evidence: None,
        };
        if checkpoint.size == 0 && checkpoint.root != EMPTY_ROOT {
            return Err(unprocessable(
                "a checkpoint of size 0 must have the empty tree's root".into(),
            ));
        }
        match &stored {
            None => {
                if !request.proof.is_empty() {
                    return Err(unprocessable("from size 0 the proof must be empty".into()));
                }
            }
            Some(held) if held.size == 0 => {
                if !request.proof.is_empty() {
                    return Err(unprocessable("from size 0 the proof must be empty".into()));
                }
            }
            Some(held) => {
                if let Err(e) = verify_consistency(
                    held.size,
                    checkpoint.size,
                    &held.root,
                    &checkpoint.root,
                    &request.proof,
                ) {
                    let evidence = if held.size == checkpoint.size && held.root != checkpoint.root {
                        same_size_evidence(held, &request.checkpoint, log)
                    } else {
                        None
                    };
                    return Err(Rejection::Unprocessable {
                        reason: e.to_string(),
                        evidence,
                    });
                }
            }
        }
        let record = WitnessRecord {
            size: checkpoint.size,
            root: checkpoint.root,
            checkpoint: request.checkpoint.to_bytes(),
        };
        let expected = stored.as_ref().map(|r| (r.size, r.root));
        match store
            .compare_and_swap(origin, expected, &record)
            .map_err(Rejection::Storage)?
        {
            Swap::Done => {}
            Swap::Changed(now_stored) => {
                return Err(Rejection::Conflict {
                    stored_size: now_stored.map_or(0, |r| r.size),
                });
            }
        }
        let cosignature = self
            .cosigner
            .cosign(request.checkpoint.note().text(), now)
            .map_err(Rejection::BadRequest)?;
        Ok(Cosigned {
            record,
            cosignature,
        })
    }

    /// Witnessing during a concord sync: the node fetched `checkpoint` and
    /// the tiles of its tree from the log's owner, builds the request
    /// against what it holds (the consistency proof from the tiles) and
    /// submits it.
    pub fn observe(
        &self,
        checkpoint: &SignedCheckpoint,
        tiles: &(impl TileReader + ?Sized),
        store: &(impl WitnessStore + ?Sized),
        now: u64,
    ) -> Result<Cosigned, Rejection> {
        let origin = &checkpoint.checkpoint().origin;
        let held = store.latest(origin).map_err(Rejection::Storage)?;
        let old_size = held.as_ref().map_or(0, |r| r.size);
        let size = checkpoint.checkpoint().size;
        let proof = if old_size > 0 && old_size < size {
            consistency_proof(old_size, size, &mut TileNodes::new(tiles, size)).map_err(|e| {
                Rejection::Unprocessable {
                    reason: format!("no consistency proof from the tiles: {e}"),
                    evidence: None,
                }
            })?
        } else {
            Vec::new()
        };
        self.submit(
            &AddCheckpoint {
                old_size,
                proof,
                checkpoint: checkpoint.clone(),
            },
            store,
            now,
        )
    }
}

fn same_size_evidence(
    held: &WitnessRecord,
    new: &SignedCheckpoint,
    log: &NoteVerifier,
) -> Option<Box<Evidence>> {
    let held = SignedCheckpoint::parse(&held.checkpoint).ok()?;
    Evidence::same_size(&held, new, log.key())
        .ok()
        .map(Box::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_body_parses() {
        let body = "old 20852014\n\
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
\n\
example.com/behind-the-sofa\n\
20852163\n\
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
\n\
\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
\u{2014} example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
        let r = AddCheckpoint::parse(body.as_bytes()).unwrap();
        assert_eq!(r.old_size, 20_852_014);
        assert_eq!(r.proof.len(), 4);
        assert_eq!(r.checkpoint.checkpoint().size, 20_852_163);
        assert_eq!(r.checkpoint.note().signatures().len(), 2);
        assert_eq!(r.to_bytes(), body.as_bytes());
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for bad in [
            "",
            "old 1",
            "old 01\n\nx",
            "old -1\n\n",
            "new 1\n\n",
            "old 1\nAAAA\n\n",
            "old 1\n\n",
        ] {
            assert!(AddCheckpoint::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let many = format!(
            "old 1\n{}\n",
            "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n".repeat(64)
        );
        assert!(AddCheckpoint::parse(many.as_bytes()).is_err());
    }
}
