//! The keys of signed notes: key names and ids, verifier keys
//! (`<name>+<hex id>+<base64(type ‖ key)>`), and the two signers concord
//! uses, type 0x01 for a log's own checkpoints and type 0x04 for a
//! witness's cosignatures.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use concord_trust::{Keypair, PublicKey};
use sha2::{Digest, Sha256};

use crate::TlogError;
use crate::note::{MAX_COSIGNATURE_TIME, SignatureLine, cosignature_message};

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
    pub(crate) fn check(&self, text: &str, signature: &[u8]) -> Result<Option<u64>, TlogError> {
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
