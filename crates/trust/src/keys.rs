//! Ed25519 keys: node keys (sign every object a node authors) and governance
//! keys (sign charters, votes and node-key delegations). Both tiers use the
//! same types; what differs is where the binary keeps them.
//!
//! A key id is always *computed* here as the hex SHA-256 of the 32-byte
//! public key, never read from a document: the TUF advisories cited in
//! DEPENDENCIES.md all came from trusting a key id the attacker wrote.

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::TrustError;

/// The hex SHA-256 of a raw 32-byte Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 32]);

impl KeyId {
    /// The id of `public`, computed from the key.
    pub fn of(public: &PublicKey) -> KeyId {
        KeyId(Sha256::digest(public.0.as_bytes()).into())
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads a key id, only to look a key up: an id read from input is a
    /// pointer, never proof of which key it is.
    pub fn from_hex(s: &str) -> Result<KeyId, TrustError> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(s, &mut raw).map_err(|e| TrustError::KeyEncoding {
            what: "key id",
            reason: format!("expected 64 hex digits: {e}"),
        })?;
        Ok(KeyId(raw))
    }

    /// The 32 bytes of the SHA-256.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub(crate) VerifyingKey);

impl PublicKey {
    /// Reads the 64-hex-digit form used in charters and objects. Weak
    /// (small-order) keys are refused: a signature under one proves nothing.
    pub fn from_hex(s: &str) -> Result<PublicKey, TrustError> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(s, &mut raw).map_err(|e| TrustError::KeyEncoding {
            what: "public key hex",
            reason: format!("expected 64 hex digits: {e}"),
        })?;
        PublicKey::from_bytes(&raw)
    }

    /// Reads a raw 32-byte key; a point that does not decode or a weak
    /// (small-order) key is refused.
    pub fn from_bytes(raw: &[u8; 32]) -> Result<PublicKey, TrustError> {
        let key = VerifyingKey::from_bytes(raw).map_err(|e| TrustError::KeyEncoding {
            what: "public key",
            reason: e.to_string(),
        })?;
        if key.is_weak() {
            return Err(TrustError::KeyEncoding {
                what: "public key",
                reason: "a small-order (weak) key is not accepted".into(),
            });
        }
        Ok(PublicKey(key))
    }

    /// The 64-lowercase-hex-digit form used in charters and objects.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// The raw 32-byte key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The key's id, computed from it.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(self)
    }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_pem(&self) -> Result<String, TrustError> {
        self.0
            .to_public_key_pem(Default::default())
            .map_err(|e| TrustError::KeyEncoding {
                what: "public key PEM",
                reason: e.to_string(),
            })
    }

    /// Reads a SubjectPublicKeyInfo PEM; weak keys are refused as in
    /// [`PublicKey::from_bytes`].
    pub fn from_pem(pem: &str) -> Result<PublicKey, TrustError> {
        let key = VerifyingKey::from_public_key_pem(pem).map_err(|e| TrustError::KeyEncoding {
            what: "public key PEM",
            reason: e.to_string(),
        })?;
        PublicKey::from_bytes(key.as_bytes())
    }

    /// Strict Ed25519 verification (RFC 8032 with the canonical-encoding
    /// and small-order checks): the only verification used for decisions,
    /// see DEPENDENCIES.md pitfall 6.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let sig = Signature::from_bytes(signature);
        self.0.verify_strict(message, &sig).is_ok()
    }
}

/// An Ed25519 key pair. The secret is zeroized on drop (ed25519-dalek's
/// `zeroize` feature); `Debug` never prints it.
#[derive(Clone)]
pub struct Keypair(SigningKey);

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keypair({})", self.public().key_id())
    }
}

impl Keypair {
    /// A fresh key from the operating system's randomness (through rand's
    /// thread generator, reseeded from the OS); the seed is wiped after use.
    pub fn generate() -> Keypair {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        seed.zeroize();
        Keypair(key)
    }

    /// A key from a known 32-byte seed: for tests and benchmarks that need
    /// deterministic keys, and for importing keys generated elsewhere.
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair(SigningKey::from_bytes(seed))
    }

    /// PKCS#8 v2 PEM (`-----BEGIN PRIVATE KEY-----`), with the public key
    /// included so that a corrupted file is detected on load. The binary
    /// writes it with mode 0600.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, TrustError> {
        self.0
            .to_pkcs8_pem(Default::default())
            .map_err(|e| TrustError::KeyEncoding {
                what: "PKCS#8 PEM",
                reason: e.to_string(),
            })
    }

    /// Reads a PKCS#8 PEM private key (such as `to_pkcs8_pem` writes).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Keypair, TrustError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(Keypair)
            .map_err(|e| TrustError::KeyEncoding {
                what: "PKCS#8 PEM",
                reason: e.to_string(),
            })
    }

    /// Reads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Keypair, TrustError> {
        SigningKey::from_pkcs8_der(der)
            .map(Keypair)
            .map_err(|e| TrustError::KeyEncoding {
                what: "PKCS#8 DER",
                reason: e.to_string(),
            })
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The id of the public half.
    pub fn key_id(&self) -> KeyId {
        self.public().key_id()
    }

    /// Ed25519 is deterministic: the same key and message give the same
    /// signature, which the provenance property tests rely on.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_key() {
        let k = Keypair::generate();
        let pem = k.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = Keypair::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public(), k.public());
        assert_eq!(back.sign(b"m"), k.sign(b"m"));
    }

    #[test]
    fn garbage_pem_is_a_typed_error() {
        let err = Keypair::from_pkcs8_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(matches!(
            err,
            TrustError::KeyEncoding {
                what: "PKCS#8 PEM",
                ..
            }
        ));
    }

    #[test]
    fn key_id_is_sha256_of_the_raw_key() {
        let k = Keypair::from_seed(&[7; 32]);
        let expected = hex::encode(Sha256::digest(k.public().as_bytes()));
        assert_eq!(k.key_id().to_hex(), expected);
        assert_eq!(k.public().to_hex().len(), 64);
    }

    #[test]
    fn public_key_hex_and_pem_round_trip() {
        let k = Keypair::generate();
        let p = k.public();
        assert_eq!(PublicKey::from_hex(&p.to_hex()).unwrap(), p);
        assert_eq!(PublicKey::from_pem(&p.to_pem().unwrap()).unwrap(), p);
    }

    #[test]
    fn bad_hex_and_weak_keys_are_refused() {
        assert!(PublicKey::from_hex("zz").is_err());
        assert!(PublicKey::from_hex(&"00".repeat(31)).is_err());
        // The identity point (0x01 followed by zeros) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_err());
    }

    #[test]
    fn strict_verification_rejects_other_messages() {
        let k = Keypair::generate();
        let sig = k.sign(b"hello");
        assert!(k.public().verify_strict(b"hello", &sig));
        assert!(!k.public().verify_strict(b"hellp", &sig));
    }
}
