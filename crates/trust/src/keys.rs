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
/// `zeroize` feature; AWS-LC clears a private key when it frees it);
/// `Debug` never prints it.
///
/// Signing goes through AWS-LC (already in the tree as rustls's crypto
/// provider): its base-point multiplication is about 1.6 times
/// ed25519-dalek's on x86-64 (8.6 against 14.0 µs for a 700-byte object),
/// and signing is most of what publishing an object costs. Ed25519
/// signatures are deterministic (RFC 8032), so both give the same bytes
/// (tested); everything else (keys, PEM, verification, batches) stays with
/// ed25519-dalek.
#[derive(Clone)]
pub struct Keypair {
    key: SigningKey,
    signer: Option<std::sync::Arc<aws_lc_rs::signature::Ed25519KeyPair>>,
}

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
        Keypair::new(key)
    }

    /// A key from a known 32-byte seed: for tests and benchmarks that need
    /// deterministic keys, and for importing keys generated elsewhere.
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair::new(SigningKey::from_bytes(seed))
    }

    /// PKCS#8 v2 PEM (`-----BEGIN PRIVATE KEY-----`), with the public key
    /// included so that a corrupted file is detected on load. The binary
    /// writes it with mode 0600.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, TrustError> {
        self.key
            .to_pkcs8_pem(Default::default())
            .map_err(|e| TrustError::KeyEncoding {
                what: "PKCS#8 PEM",
                reason: e.to_string(),
            })
    }

    /// Reads a PKCS#8 PEM private key (such as `to_pkcs8_pem` writes).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Keypair, TrustError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(Keypair::new)
            .map_err(|e| TrustError::KeyEncoding {
                what: "PKCS#8 PEM",
                reason: e.to_string(),
            })
    }

    /// Reads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Keypair, TrustError> {
        SigningKey::from_pkcs8_der(der)
            .map(Keypair::new)
            .map_err(|e| TrustError::KeyEncoding {
                what: "PKCS#8 DER",
                reason: e.to_string(),
            })
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    /// The id of the public half.
    pub fn key_id(&self) -> KeyId {
        self.public().key_id()
    }

    /// Ed25519 is deterministic: the same key and message give the same
    /// signature, which the provenance property tests rely on.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        if let Some(signer) = &self.signer
            && let Ok(sig) = signer.try_sign(message)
            && let Ok(bytes) = <[u8; 64]>::try_from(sig.as_ref())
        {
            return bytes;
        }
        self.key.sign(message).to_bytes()
    }

    /// The same signature by ed25519-dalek alone (for the test that both
    /// agree).
    #[cfg(test)]
    fn sign_dalek(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    fn new(key: SigningKey) -> Keypair {
        // Giving AWS-LC the public key makes it check that it derived the
        // same key from the seed; should it refuse, ed25519-dalek signs.
        let signer = aws_lc_rs::signature::Ed25519KeyPair::from_seed_and_public_key(
            key.as_bytes(),
            key.verifying_key().as_bytes(),
        )
        .ok()
        .map(std::sync::Arc::new);
        Keypair { key, signer }
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

    /// RFC 8032, section 7.1, tests 1 to 3: (secret key, public key,
    /// message, signature).
    const RFC8032: [(&str, &str, &str, &str); 3] = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ];

    #[test]
    fn signatures_are_rfc_8032s_vectors() {
        for (secret, public, message, signature) in RFC8032 {
            let mut seed = [0u8; 32];
            hex::decode_to_slice(secret, &mut seed).unwrap();
            let k = Keypair::from_seed(&seed);
            assert!(k.signer.is_some(), "AWS-LC signs");
            assert_eq!(k.public().to_hex(), public);
            let message = hex::decode(message).unwrap();
            assert_eq!(hex::encode(k.sign(&message)), signature);
            assert_eq!(hex::encode(k.sign_dalek(&message)), signature);
        }
    }

    proptest::proptest! {
        /// AWS-LC and ed25519-dalek give the same signature for any key and
        /// message (deterministic Ed25519), and it verifies strictly.
        #[test]
        fn both_libraries_sign_alike(seed in proptest::array::uniform32(0u8..), message in proptest::collection::vec(0u8.., 0..2048)) {
            let k = Keypair::from_seed(&seed);
            let sig = k.sign(&message);
            proptest::prop_assert_eq!(sig, k.sign_dalek(&message));
            proptest::prop_assert!(k.public().verify_strict(&message, &sig));
        }
    }

    #[test]
    fn a_cloned_or_reloaded_key_signs_the_same() {
        let k = Keypair::generate();
        let pem = k.to_pkcs8_pem().unwrap();
        let back = Keypair::from_pkcs8_pem(&pem).unwrap();
        let m = b"an object's canonical JSON";
        assert_eq!(k.clone().sign(m), k.sign(m));
        assert_eq!(back.sign(m), k.sign_dalek(m));
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
