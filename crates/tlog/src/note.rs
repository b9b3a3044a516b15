//! C2SP signed notes (signed-note.md) and timestamped Ed25519 cosignatures
//! (tlog-cosignature.md, type 0x04).
//!
//! The keys that sign and verify notes are in `note_key`.
//!
//! A note is text ending in a newline, a blank line, then lines
//! `— <name> base64(key id[4] ‖ signature)`. A signature line is attributed
//! to a key only when both its name and its key id match; lines by unknown
//! keys are kept but ignored, a line by a known key that fails rejects the
//! whole note, and a note with no verified line is rejected.
//!
//! The key id is computed, never trusted: SHA-256(name ‖ 0x0A ‖ type ‖
//! public key)[:4]. concord signs its own checkpoints with the node key as
//! type 0x01 and cosigns other members' checkpoints with the same node key
//! as type 0x04; the key ids differ, and neither message can be mistaken for
//! a provenance signature's (canonical JSON never holds a raw newline; a
//! note text always ends in one).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::TlogError;
use crate::note_key::{SignatureType, Verifiers, is_valid_key_name};

/// The largest note accepted, signatures included: room for 64 ML-DSA-44
/// sized lines (the spec asks verifiers to accept at least 16).
pub const MAX_NOTE_BYTES: usize = 256 * 1024;
/// The most signature lines a note may carry.
pub const MAX_NOTE_SIGNATURES: usize = 100;
/// The largest cosignature timestamp (2^63 - 1, tlog-cosignature.md).
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;

const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// The message a type 0x04 cosignature signs: `cosignature/v1`, the time
/// line, then the checkpoint's note text.
pub fn cosignature_message(text: &str, time: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{text}").into_bytes()
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    /// The key name.
    pub name: String,
    /// The key id (the first four bytes of the base64 part).
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub signature: Vec<u8>,
}

impl SignatureLine {
    /// `— <name> <base64>` followed by a newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}\n", self.name, BASE64.encode(raw))
    }

    /// `<name>+<hex key id>`, how errors and reports name the key.
    pub fn key_label(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }

    /// Reads one line (without its newline). `line_no` is for errors.
    pub fn parse(line: &str, line_no: usize) -> Result<SignatureLine, TlogError> {
        let bad = |reason: &str| TlogError::malformed("signed note", line_no, reason);
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or_else(|| bad("a signature line starts with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| bad("a signature line is `— <name> <base64>`"))?;
        if !is_valid_key_name(name) {
            return Err(bad("the key name is empty or has white space or `+`"));
        }
        let raw = BASE64
            .decode(b64)
            .map_err(|_| bad("the signature is not canonical base64"))?;
        if raw.len() < 5 {
            return Err(bad("a signature has a 4-byte key id and at least one byte"));
        }
        Ok(SignatureLine {
            name: name.to_string(),
            key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            signature: raw[4..].to_vec(),
        })
    }
}

/// A signature a reader verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key name.
    pub name: String,
    /// The key id.
    pub key_id: u32,
    /// The signature type.
    pub kind: SignatureType,
    /// A cosignature's timestamp (POSIX seconds).
    pub time: Option<u64>,
}

/// A signed note: its text and its signature lines, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<SignatureLine>,
}

fn check_characters(s: &str, what: &'static str) -> Result<(), TlogError> {
    let mut line = 1;
    for c in s.chars() {
        if c == '\n' {
            line += 1;
        } else if c < ' ' {
            return Err(TlogError::malformed(
                what,
                line,
                format!("control character U+{:04X}", c as u32),
            ));
        }
    }
    Ok(())
}

impl Note {
    /// An unsigned note over `text`, which must end in a newline and hold
    /// no control character but newlines.
    pub fn new(text: &str) -> Result<Note, TlogError> {
        if !text.ends_with('\n') {
            return Err(TlogError::malformed(
                "note text",
                text.lines().count(),
                "must end in a newline",
            ));
        }
        check_characters(text, "note text")?;
        Ok(Note {
            text: text.to_string(),
            signatures: Vec::new(),
        })
    }

    /// Reads a signed note without verifying it. Strict: valid UTF-8, no
    /// control character but newlines, the text ends at the last blank line,
    /// at least one signature line, every line well formed and ended by a
    /// newline, at most [`MAX_NOTE_SIGNATURES`] lines and
    /// [`MAX_NOTE_BYTES`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Note, TlogError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(TlogError::Oversized {
                what: "signed note",
                size: bytes.len(),
                limit: MAX_NOTE_BYTES,
            });
        }
        let s = std::str::from_utf8(bytes).map_err(|e| {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            TlogError::malformed("signed note", line, "not valid UTF-8")
        })?;
        check_characters(s, "signed note")?;
        let split = s.rfind("\n\n").ok_or_else(|| {
            TlogError::malformed("signed note", 1, "no blank line before the signatures")
        })?;
        let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
        let first_sig_line = text.matches('\n').count() + 2;
        if sigs.is_empty() {
            return Err(TlogError::malformed(
                "signed note",
                first_sig_line,
                "no signature lines",
            ));
        }
        if !sigs.ends_with('\n') {
            return Err(TlogError::malformed(
                "signed note",
                first_sig_line + sigs.matches('\n').count(),
                "the last signature line has no newline",
            ));
        }
        let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
        if lines.len() > MAX_NOTE_SIGNATURES {
            return Err(TlogError::malformed(
                "signed note",
                first_sig_line + MAX_NOTE_SIGNATURES,
                format!("more than {MAX_NOTE_SIGNATURES} signature lines"),
            ));
        }
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(i, l)| SignatureLine::parse(l, first_sig_line + i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_string(),
            signatures,
        })
    }

    /// The note text (with its final newline).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[SignatureLine] {
        &self.signatures
    }

    /// The encoded note: text, blank line, signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.text.len() + 1 + 100 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
        }
        out.into_bytes()
    }

    /// Adds a signature line, replacing any line by the same name and key
    /// id (as Go's note.Sign does).
    pub fn add_signature(&mut self, line: SignatureLine) -> Result<(), TlogError> {
        self.signatures
            .retain(|s| !(s.name == line.name && s.key_id == line.key_id));
        if self.signatures.len() >= MAX_NOTE_SIGNATURES {
            return Err(TlogError::malformed(
                "signed note",
                0,
                format!("more than {MAX_NOTE_SIGNATURES} signature lines"),
            ));
        }
        self.signatures.push(line);
        Ok(())
    }

    /// Verifies the note: every line by a known key must verify, and at
    /// least one must be by a known key. Returns the verified signatures,
    /// one per key, in order of first appearance.
    pub fn verify(&self, verifiers: &Verifiers) -> Result<Vec<Verified>, TlogError> {
        let mut verified: Vec<Verified> = Vec::new();
        let mut unknown = 0;
        for line in &self.signatures {
            let Some(v) = verifiers.find(&line.name, line.key_id) else {
                unknown += 1;
                continue;
            };
            let time = v.check(&self.text, &line.signature)?;
            if !verified
                .iter()
                .any(|x| x.key_id == line.key_id && x.name == line.name)
            {
                verified.push(Verified {
                    name: line.name.clone(),
                    key_id: line.key_id,
                    kind: v.kind(),
                    time,
                });
            }
        }
        if verified.is_empty() {
            return Err(TlogError::NoKnownSignature { unknown });
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note_key::{Cosigner, NoteSigner, NoteVerifier};
    use concord_trust::Keypair;

    #[test]
    fn a_signed_note_round_trips_and_verifies() {
        let signer = NoteSigner::new("example.org/log", Keypair::from_seed(&[1; 32])).unwrap();
        let mut note = Note::new("hello\n\nworld\n").unwrap();
        note.add_signature(signer.sign(note.text())).unwrap();
        let bytes = note.to_bytes();
        let back = Note::parse(&bytes).unwrap();
        assert_eq!(back, note);
        assert_eq!(back.text(), "hello\n\nworld\n");
        let v = back.verify(&Verifiers::one(signer.verifier())).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            NoteVerifier::parse(&signer.verifier().to_vkey()).unwrap(),
            signer.verifier()
        );
    }

    #[test]
    fn unknown_keys_are_ignored_and_known_failures_reject() {
        let a = NoteSigner::new("a", Keypair::from_seed(&[1; 32])).unwrap();
        let b = NoteSigner::new("b", Keypair::from_seed(&[2; 32])).unwrap();
        let mut note = Note::new("text\n").unwrap();
        note.add_signature(a.sign(note.text())).unwrap();
        note.add_signature(b.sign("other text\n")).unwrap();
        // b's line is bad, but unknown to a reader that trusts only a.
        note.verify(&Verifiers::one(a.verifier())).unwrap();
        let both = Verifiers::new([a.verifier(), b.verifier()]).unwrap();
        assert_eq!(
            note.verify(&both).unwrap_err(),
            TlogError::BadSignature {
                key: b.verifier().key_label()
            }
        );
        let c = NoteSigner::new("c", Keypair::from_seed(&[3; 32])).unwrap();
        assert_eq!(
            note.verify(&Verifiers::one(c.verifier())).unwrap_err(),
            TlogError::NoKnownSignature { unknown: 2 }
        );
    }

    #[test]
    fn cosignatures_carry_their_time() {
        let w = Cosigner::new("witness.example/w1", Keypair::from_seed(&[9; 32])).unwrap();
        let mut note =
            Note::new("origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
        note.add_signature(w.cosign(note.text(), 1_679_315_147).unwrap())
            .unwrap();
        let v = note.verify(&Verifiers::one(w.verifier())).unwrap();
        assert_eq!(v[0].time, Some(1_679_315_147));
        assert!(w.cosign(note.text(), 1 << 63).is_err());
        // The same key as type 0x01 does not verify a cosignature.
        let plain = NoteVerifier::new(
            "witness.example/w1",
            SignatureType::Ed25519,
            w.verifier().key().to_owned(),
        )
        .unwrap();
        assert!(note.verify(&Verifiers::one(plain)).is_err());
    }

    #[test]
    fn malformed_notes_are_refused() {
        let good = "t\n\n\u{2014} a AAAAAAA=\n";
        Note::parse(good.as_bytes()).unwrap();
        for bad in [
            "t\n",
            "t\n\n",
            "t\n\n\u{2014} a AAAAAAA=",
            "t\x01\n\n\u{2014} a AAAAAAA=\n",
            "t\n\n\u{2014} a+b AAAAAAA=\n",
            "t\n\n\u{2014}  AAAAAAA=\n",
            "t\n\n\u{2014} a AAAA\n",
            "t\n\n\u{2014} a AAAAAAA\n",
            "t\n\n- a AAAAAAA=\n",
            "t\n\n\u{2014} a AAAAAAA=\nextra\n",
            "t\n\n\u{2014} a\u{a0}b AAAAAAA=\n",
        ] {
            assert!(Note::parse(bad.as_bytes()).is_err(), "{bad:?} was accepted");
        }
        assert!(Note::parse(b"t\n\n\xe2\x80\x94 a \xffAAAAAA=\n").is_err());
        let many = format!(
            "t\n\n{}",
            "\u{2014} a AAAAAAA=\n".repeat(MAX_NOTE_SIGNATURES + 1)
        );
        assert!(Note::parse(many.as_bytes()).is_err());
    }

    #[test]
    fn verifier_keys_are_strict() {
        let v = NoteSigner::new("n", Keypair::from_seed(&[4; 32]))
            .unwrap()
            .verifier();
        let vkey = v.to_vkey();
        assert!(NoteVerifier::parse(&vkey.to_uppercase()).is_err());
        let (name, rest) = vkey.split_once('+').unwrap();
        assert!(NoteVerifier::parse(&format!("{name}x+{rest}")).is_err());
        assert!(NoteVerifier::parse(&format!("{name}+00000000{}", &rest[8..])).is_err());
        assert!(NoteVerifier::parse("n+00000000").is_err());
        assert!(Verifiers::new([v.clone(), v]).is_err());
    }
}
