//! C2SP signed notes (signed-note.md) and timestamped Ed25519 cosignatures
//! (tlog-cosignature.md, type 0x04).
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
use concord_trust::{Keypair, PublicKey};
use sha2::{Digest, Sha256};

use crate::TlogError;

/// The largest note accepted, signatures included: room for 64 ML-DSA-44
/// sized lines (the spec asks verifiers to accept at least 16).
pub const MAX_NOTE_BYTES: usize = 256 * 1024;
/// The most signature lines a note may carry.
pub const MAX_NOTE_SIGNATURES: usize = 100;
/// The largest cosignature timestamp (2^63 - 1, tlog-cosignature.md).
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;

const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The signature types concord uses (signed-note.md, "Signature types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureType {
    /// 0x01: Ed25519 over the note text.
    Ed25519,
    /// 0x04: timestamped Ed25519 cosignature of a checkpoint.
    Cosignature,
}

impl SignatureType {
    /// The identifier byte.
    pub fn byte(self) -> u8 {
        match self {
            SignatureType::Ed25519 => 0x01,
            SignatureType::Cosignature => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<SignatureType> {
        match b {
            0x01 => Some(SignatureType::Ed25519),
            0x04 => Some(SignatureType::Cosignature),
            _ => None,
        }
    }
}

/// A key name: non-empty, no Unicode white space, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

/// `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]`, as a big-endian u32.
pub fn key_id(name: &str, kind: SignatureType, key: &PublicKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, kind.byte()]);
    h.update(key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

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

/// A key that verifies note signatures of one type under one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    kind: SignatureType,
    key: PublicKey,
    key_id: u32,
}

impl NoteVerifier {
    /// A verifier for `key` under `name`; the key id is computed.
    pub fn new(name: &str, kind: SignatureType, key: PublicKey) -> Result<NoteVerifier, TlogError> {
        if !is_valid_key_name(name) {
            return Err(TlogError::VerifierKey {
                reason: format!("{name:?} is not a valid key name"),
            });
        }
        Ok(NoteVerifier {
            name: name.to_string(),
            kind,
            key_id: key_id(name, kind, &key),
            key,
        })
    }

    /// Reads a verifier key `<name>+<hex key id>+<base64(type ‖ key)>`. The
    /// key id must be the one computed from the rest, the type 0x01 or
    /// 0x04, the key 32 bytes and not of small order.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, TlogError> {
        let bad = |reason: &str| TlogError::VerifierKey {
            reason: reason.to_string(),
        };
        let (name, rest) = vkey
            .split_once('+')
            .ok_or_else(|| bad("no `+` after the name"))?;
        let (id_hex, b64) = rest
            .split_once('+')
            .ok_or_else(|| bad("no `+` after the key id"))?;
        if id_hex.len() != 8
            || !id_hex
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(bad("the key id is 8 lowercase hex digits"));
        }
        let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("the key id is not hex"))?;
        let raw = BASE64
            .decode(b64)
            .map_err(|_| bad("the key is not canonical base64"))?;
        let (&kind, key) = raw.split_first().ok_or_else(|| bad("the key is empty"))?;
        let kind = SignatureType::from_byte(kind).ok_or_else(|| {
            bad("the signature type is neither 0x01 (Ed25519) nor 0x04 (cosignature)")
        })?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| bad("an Ed25519 public key has 32 bytes"))?;
        let key = PublicKey::from_bytes(&key).map_err(|e| bad(&e.to_string()))?;
        let v = NoteVerifier::new(name, kind, key)?;
        if v.key_id != id {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(v)
    }

    /// The verifier key string.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.kind.byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(raw))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The computed key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type.
    pub fn kind(&self) -> SignatureType {
        self.kind
    }

    /// The Ed25519 public key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// `<name>+<hex key id>`.
    pub fn key_label(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }

    /// Checks one signature over `text`; for a cosignature, returns its
    /// timestamp.
    fn check(&self, text: &str, signature: &[u8]) -> Result<Option<u64>, TlogError> {
        let bad = || TlogError::BadSignature {
            key: self.key_label(),
        };
        match self.kind {
            SignatureType::Ed25519 => {
                let sig: &[u8; 64] = signature.try_into().map_err(|_| bad())?;
                if !self.key.verify_strict(text.as_bytes(), sig) {
                    return Err(bad());
                }
                Ok(None)
            }
            SignatureType::Cosignature => {
                if signature.len() != 72 {
                    return Err(bad());
                }
                let (time, sig) = signature.split_at(8);
                let time = u64::from_be_bytes(time.try_into().map_err(|_| bad())?);
                let sig: &[u8; 64] = sig.try_into().map_err(|_| bad())?;
                if time > MAX_COSIGNATURE_TIME
                    || !self
                        .key
                        .verify_strict(&cosignature_message(text, time), sig)
                {
                    return Err(bad());
                }
                Ok(Some(time))
            }
        }
    }
}

/// The keys a reader trusts, each named (name, key id) once.
#[derive(Debug, Clone, Default)]
pub struct Verifiers {
    list: Vec<NoteVerifier>,
}

impl Verifiers {
    /// A set of verifiers; two with the same name and key id are refused,
    /// since a signature line could not be attributed.
    pub fn new(list: impl IntoIterator<Item = NoteVerifier>) -> Result<Verifiers, TlogError> {
        let mut out = Verifiers::default();
        for v in list {
            if out.find(&v.name, v.key_id).is_some() {
                return Err(TlogError::AmbiguousKey { key: v.key_label() });
            }
            out.list.push(v);
        }
        Ok(out)
    }

    /// One verifier.
    pub fn one(v: NoteVerifier) -> Verifiers {
        Verifiers { list: vec![v] }
    }

    /// The verifier for a signature line's name and key id.
    pub fn find(&self, name: &str, key_id: u32) -> Option<&NoteVerifier> {
        self.list
            .iter()
            .find(|v| v.key_id == key_id && v.name == name)
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
                    kind: v.kind,
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

/// Signs notes with type 0x01 (Ed25519): a log signing its checkpoints.
#[derive(Debug, Clone)]
pub struct NoteSigner {
    name: String,
    key: Keypair,
}

impl NoteSigner {
    /// A signer named `name` (for a log: its origin).
    pub fn new(name: &str, key: Keypair) -> Result<NoteSigner, TlogError> {
        NoteVerifier::new(name, SignatureType::Ed25519, key.public())?;
        Ok(NoteSigner {
            name: name.to_string(),
            key,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            kind: SignatureType::Ed25519,
            key_id: key_id(&self.name, SignatureType::Ed25519, &self.key.public()),
            key: self.key.public(),
        }
    }

    /// The signature line over `text`.
    pub fn sign(&self, text: &str) -> SignatureLine {
        SignatureLine {
            name: self.name.clone(),
            key_id: key_id(&self.name, SignatureType::Ed25519, &self.key.public()),
            signature: self.key.sign(text.as_bytes()).to_vec(),
        }
    }
}

/// Signs type 0x04 cosignatures: a witness vouching for a checkpoint.
#[derive(Debug, Clone)]
pub struct Cosigner {
    name: String,
    key: Keypair,
}

impl Cosigner {
    /// A cosigner named `name`.
    pub fn new(name: &str, key: Keypair) -> Result<Cosigner, TlogError> {
        NoteVerifier::new(name, SignatureType::Cosignature, key.public())?;
        Ok(Cosigner {
            name: name.to_string(),
            key,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            kind: SignatureType::Cosignature,
            key_id: key_id(&self.name, SignatureType::Cosignature, &self.key.public()),
            key: self.key.public(),
        }
    }

    /// The cosignature line over a checkpoint's note `text` at `time`
    /// (POSIX seconds, at most 2^63 - 1, taken by the caller).
    pub fn cosign(&self, text: &str, time: u64) -> Result<SignatureLine, TlogError> {
        if time > MAX_COSIGNATURE_TIME {
            return Err(TlogError::OutOfRange {
                what: "cosignature time",
                index: time,
                size: MAX_COSIGNATURE_TIME,
            });
        }
        let mut signature = time.to_be_bytes().to_vec();
        signature.extend_from_slice(&self.key.sign(&cosignature_message(text, time)));
        Ok(SignatureLine {
            name: self.name.clone(),
            key_id: key_id(&self.name, SignatureType::Cosignature, &self.key.public()),
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
