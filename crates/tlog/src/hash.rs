//! RFC 6962 section 2.1 (= RFC 9162 section 2.1.1) hashing: SHA-256 with
//! one domain-separation byte for leaves (0x00) and one for interior nodes
//! (0x01), so no leaf can be passed off as a node.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::TlogError;

/// A SHA-256 Merkle tree hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

/// MTH({}) = SHA-256(""): the root of the empty tree.
pub const EMPTY_ROOT: Hash = Hash([
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

impl Hash {
    /// Standard base64 with padding, as in checkpoints and proof lines.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Reads standard base64 of exactly 32 bytes. Non-canonical encodings
    /// (set padding bits, missing padding) are refused: a hash has exactly
    /// one spelling, so a changed byte can never decode to the same hash.
    pub fn from_base64(s: &str) -> Result<Hash, String> {
        if s.len() != 44 {
            return Err(format!("a hash is 44 base64 characters, not {}", s.len()));
        }
        let raw = BASE64.decode(s).map_err(|e| format!("not base64: {e}"))?;
        Hash::from_slice(&raw).ok_or_else(|| "a hash has 32 bytes".to_string())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The hash in a slice of exactly 32 bytes.
    pub fn from_slice(raw: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(raw).ok().map(Hash)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// The leaf hash of entry `d`: SHA-256(0x00 ‖ d).
pub fn leaf_hash(d: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(d);
    Hash(h.finalize().into())
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(&left.0);
    buf[33..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// MTH of a list of leaf hashes held in memory (a tile, or a small tree):
/// the same value as the RFC's recursive definition, computed bottom-up.
pub fn root_of(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => EMPTY_ROOT,
        1 => hashes[0],
        n => {
            let k = largest_power_of_two_below(n as u64) as usize;
            node_hash(&root_of(&hashes[..k]), &root_of(&hashes[k..]))
        }
    }
}

/// The largest power of two strictly smaller than `n` (`n` > 1), the split
/// point k of RFC 6962 section 2.1.
pub(crate) fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1u64 << (63 - (n - 1).leading_zeros())
}

pub(crate) fn hash_from_base64(
    s: &str,
    what: &'static str,
    line: usize,
) -> Result<Hash, TlogError> {
    Hash::from_base64(s).map_err(|reason| TlogError::malformed(what, line, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT.0, <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn split_point_is_the_largest_power_of_two_below() {
        for (n, k) in [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (1 << 40, 1 << 39),
        ] {
            assert_eq!(largest_power_of_two_below(n), k, "n = {n}");
        }
        assert_eq!(largest_power_of_two_below(u64::MAX), 1 << 63);
    }

    #[test]
    fn base64_is_strict() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_base64(&h.to_base64()).unwrap(), h);
        // Padding bits set: decodes to the same bytes in a lax decoder.
        let mut s = h.to_base64().into_bytes();
        let i = s.len() - 2;
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let pos = alphabet.iter().position(|&c| c == s[i]).unwrap();
        s[i] = alphabet[pos ^ 1];
        assert!(Hash::from_base64(std::str::from_utf8(&s).unwrap()).is_err());
        assert!(Hash::from_base64("AAAA").is_err());
    }
}
