//! C2SP checkpoints (tlog-checkpoint.md): a signed note whose text is the
//! log's origin, the tree size in decimal and the base64 root hash, then
//! optional extension lines.
//!
//! concord names a log's key by the log's origin (the charter's
//! `log_origin`), so a checkpoint verifies with nothing but the member's
//! node key: the verifier is [`log_verifier`]`(origin, key)`.

use concord_trust::{Keypair, PublicKey};

use crate::TlogError;
use crate::hash::{Hash, hash_from_base64};
use crate::merkle::{consistency_proof, tree_hash, verify_consistency};
use crate::note::{Note, SignatureLine, Verified};
use crate::note_key::{NoteSigner, NoteVerifier, SignatureType, Verifiers};
use crate::tile::TileReader;
use crate::tile_nodes::TileNodes;

/// The body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `cert.example/concord`.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// Opaque extension lines (concord writes none).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text: one line each, each ended by a newline.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Reads a checkpoint's note text: at least three non-empty lines, the
    /// size in decimal without leading zeroes, the root canonical base64
    /// of 32 bytes, extension lines non-empty.
    pub fn parse(text: &str) -> Result<Checkpoint, TlogError> {
        let bad = |line: usize, reason: &str| TlogError::malformed("checkpoint", line, reason);
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad(1, "the text must end in a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(bad(
                lines.len() + 1,
                "a checkpoint has an origin, a size and a root hash",
            ));
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(bad(1, "the origin is empty"));
        }
        let size = lines[1];
        let size_ok = !size.is_empty()
            && size.len() <= 20
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = size
            .parse()
            .ok()
            .filter(|_| size_ok)
            .ok_or_else(|| bad(2, "the size is a decimal without leading zeroes below 2^64"))?;
        let root = hash_from_base64(lines[2], "checkpoint", 3)?;
        let mut extensions = Vec::new();
        for (i, e) in lines[3..].iter().enumerate() {
            if e.is_empty() {
                return Err(bad(4 + i, "an extension line is empty"));
            }
            extensions.push(e.to_string());
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }
}

/// The verifier of a concord log's checkpoints: its node key, named by
/// the log's origin.
pub fn log_verifier(origin: &str, key: &PublicKey) -> Result<NoteVerifier, TlogError> {
    NoteVerifier::new(origin, SignatureType::Ed25519, *key)
}

/// A checkpoint with its note (log signature and any cosignatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
}

impl SignedCheckpoint {
    /// Reads a signed checkpoint without verifying any signature.
    pub fn parse(bytes: &[u8]) -> Result<SignedCheckpoint, TlogError> {
        SignedCheckpoint::from_note(Note::parse(bytes)?)
    }

    /// A signed note whose text is a checkpoint.
    pub fn from_note(note: Note) -> Result<SignedCheckpoint, TlogError> {
        Ok(SignedCheckpoint {
            checkpoint: Checkpoint::parse(note.text())?,
            note,
        })
    }

    /// Signs `checkpoint` with `signer` (whose name should be the origin).
    pub fn sign(
        checkpoint: Checkpoint,
        signer: &NoteSigner,
    ) -> Result<SignedCheckpoint, TlogError> {
        let mut note = Note::new(&checkpoint.to_text())?;
        note.add_signature(signer.sign(note.text()))?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The note.
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The encoded note.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }

    /// Verifies the log's signature: `log` must have signed it, every
    /// other line is ignored unless it claims to be `log`'s.
    pub fn verify(&self, log: &NoteVerifier) -> Result<(), TlogError> {
        if log.kind() != SignatureType::Ed25519 {
            return Err(TlogError::VerifierKey {
                reason: "a log's key is a type 0x01 key".into(),
            });
        }
        self.note.verify(&Verifiers::one(log.clone()))?;
        Ok(())
    }

    /// Verifies the signature of a concord member's log: `key` named by the
    /// checkpoint's own origin.
    pub fn verify_by_member(&self, key: &PublicKey) -> Result<(), TlogError> {
        self.verify(&log_verifier(&self.checkpoint.origin, key)?)
    }

    /// The valid cosignatures by `witnesses` (a failing line by a known
    /// witness rejects, as for any note; none is not an error here).
    pub fn cosignatures(&self, witnesses: &Verifiers) -> Result<Vec<Verified>, TlogError> {
        match self.note.verify(witnesses) {
            Ok(v) => Ok(v
                .into_iter()
                .filter(|s| s.kind == SignatureType::Cosignature)
                .collect()),
            Err(TlogError::NoKnownSignature { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Adds a cosignature line (from a witness's `add-checkpoint` reply).
    pub fn add_signature(&mut self, line: SignatureLine) -> Result<(), TlogError> {
        self.note.add_signature(line)
    }
}

/// A log's signing key with the guard of tlog-checkpoint.md: "a log MUST
/// NOT sign any checkpoint which is inconsistent with any checkpoint it
/// previously signed".
#[derive(Debug, Clone)]
pub struct LogSigner {
    signer: NoteSigner,
}

impl LogSigner {
    /// The signer of the log `origin` (the key name is the origin).
    pub fn new(origin: &str, key: Keypair) -> Result<LogSigner, TlogError> {
        Ok(LogSigner {
            signer: NoteSigner::new(origin, key)?,
        })
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The verifier others use for this log.
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    /// Signs the checkpoint of the tree of `size` leaves as the stored
    /// tiles give it. With `last` (the last checkpoint this log signed),
    /// refuses unless the tiles prove the new tree consistent with it: so a
    /// node restored from an old backup that appended other entries, or
    /// whose tiles were damaged, can never sign a fork of its own log.
    pub fn sign_next(
        &self,
        last: Option<&Checkpoint>,
        size: u64,
        tiles: &(impl TileReader + ?Sized),
    ) -> Result<SignedCheckpoint, TlogError> {
        let mut nodes = TileNodes::new(tiles, size);
        let root = tree_hash(size, &mut nodes)?;
        if let Some(last) = last {
            if last.origin != self.origin() {
                return Err(TlogError::Refused(format!(
                    "the last checkpoint is of {:?}, not of this log",
                    last.origin
                )));
            }
            if size < last.size {
                return Err(TlogError::Refused(format!(
                    "size {size} is below the last signed size {}",
                    last.size
                )));
            }
            if last.size > 0 {
                let proof = consistency_proof(last.size, size, &mut nodes)?;
                verify_consistency(last.size, size, &last.root, &root, &proof).map_err(|e| {
                    TlogError::Refused(format!(
                        "the tiles are not consistent with the last signed checkpoint: {e}"
                    ))
                })?;
            }
        }
        SignedCheckpoint::sign(Checkpoint::new(self.origin(), size, root), &self.signer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{EMPTY_ROOT, leaf_hash};

    #[test]
    fn checkpoints_parse_strictly() {
        let root = leaf_hash(b"x").to_base64();
        let good = format!("o\n12\n{root}\n");
        assert_eq!(Checkpoint::parse(&good).unwrap().size, 12);
        let with_ext = format!("o\n0\n{root}\next one\n");
        assert_eq!(
            Checkpoint::parse(&with_ext).unwrap().extensions,
            vec!["ext one"]
        );
        for bad in [
            format!("o\n12\n{root}"),
            format!("o\n012\n{root}\n"),
            format!("o\n+12\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("\n12\n{root}\n"),
            format!("o\n12\n{root}\n\n"),
            "o\n12\nAAAA\n".to_string(),
            "o\n12\n".to_string(),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?} was accepted");
        }
        let c = Checkpoint::new("o", u64::MAX, EMPTY_ROOT);
        assert_eq!(Checkpoint::parse(&c.to_text()).unwrap(), c);
    }

    #[test]
    fn member_key_verifies_under_the_origin() {
        let key = Keypair::from_seed(&[5; 32]);
        let signer = NoteSigner::new("log.example", key.clone()).unwrap();
        let sc =
            SignedCheckpoint::sign(Checkpoint::new("log.example", 0, EMPTY_ROOT), &signer).unwrap();
        let back = SignedCheckpoint::parse(&sc.to_bytes()).unwrap();
        back.verify_by_member(&key.public()).unwrap();
        assert!(
            back.verify_by_member(&Keypair::from_seed(&[6; 32]).public())
                .is_err()
        );
    }
}
