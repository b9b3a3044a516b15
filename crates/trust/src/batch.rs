//! Ed25519 batch verification for many signatures by few keys.
//!
//! The batch equation of Bernstein et al. (and of `ed25519_dalek::verify_batch`):
//! with random 128-bit `z_i`, every signature `(R_i, s_i)` by `A_i` on `M_i`
//! holds when
//!
//! `(−Σ z_i·s_i)·B + Σ z_i·R_i + Σ (z_i·H(R_i‖A_i‖M_i))·A_i = 0`.
//!
//! The only change from ed25519-dalek's version: the `A` terms of one key
//! are added up into one coefficient before the multi-scalar
//! multiplication. A sync receives thousands of objects from a handful of
//! authors, so the multiplication has about half as many points (it was
//! the largest single cost of taking in a page from a peer). The equation is
//! the same sum, so a batch passes exactly when dalek's would with the same
//! `z`. The `z_i` come from the thread's CSPRNG, which the signer cannot
//! predict. Like dalek's, the check is cofactorless; callers keep weak
//! keys out and verify strictly one by one when a batch fails.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

/// One signature to check: the message, the 64-byte signature and the
/// index of its key in the batch's key list.
pub(crate) struct Item<'a> {
    pub message: &'a [u8],
    pub sig: &'a [u8; 64],
    pub key: usize,
}

/// Whether every item's signature holds under its key (`keys` are the
/// 32-byte compressed public keys). False when any does not, or when a
/// signature or key is not even well formed; the caller then finds which
/// one by verifying each strictly.
pub(crate) fn verify(items: &[Item<'_>], keys: &[[u8; 32]]) -> bool {
    let Some(points) = keys
        .iter()
        .map(|k| CompressedEdwardsY(*k).decompress())
        .collect::<Option<Vec<EdwardsPoint>>>()
    else {
        return false;
    };
    let mut b_coefficient = Scalar::ZERO;
    let mut a_coefficients = vec![Scalar::ZERO; keys.len()];
    let mut r_scalars = Vec::with_capacity(items.len());
    let mut r_points = Vec::with_capacity(items.len());
    for item in items {
        let (r_bytes, s_bytes) = item.sig.split_at(32);
        let (Ok(r_bytes), Ok(s_bytes)) =
            (<[u8; 32]>::try_from(r_bytes), <[u8; 32]>::try_from(s_bytes))
        else {
            return false;
        };
        // s must be reduced (RFC 8032 5.1.7), as in dalek.
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
            return false;
        };
        let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
            return false;
        };
        let Some(key) = keys.get(item.key) else {
            return false;
        };
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(key);
        h.update(item.message);
        let hram = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let z = Scalar::from(rand::random::<u128>());
        b_coefficient += z * s;
        if let Some(a) = a_coefficients.get_mut(item.key) {
            *a += z * hram;
        }
        r_scalars.push(z);
        r_points.push(r);
    }
    let sum = EdwardsPoint::vartime_multiscalar_mul(
        std::iter::once(-b_coefficient)
            .chain(r_scalars)
            .chain(a_coefficients),
        std::iter::once(ED25519_BASEPOINT_POINT)
            .chain(r_points)
            .chain(points),
    );
    sum.is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed(n: usize, signers: &[SigningKey]) -> (Vec<Vec<u8>>, Vec<[u8; 64]>, Vec<usize>) {
        let messages: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("{{\"id\":\"indicator--{i}\"}}").into_bytes())
            .collect();
        let keys: Vec<usize> = (0..n).map(|i| i % signers.len()).collect();
        let sigs = messages
            .iter()
            .zip(&keys)
            .map(|(m, k)| signers[*k].sign(m).to_bytes())
            .collect();
        (messages, sigs, keys)
    }

    fn check(messages: &[Vec<u8>], sigs: &[[u8; 64]], key_of: &[usize], keys: &[[u8; 32]]) -> bool {
        let items: Vec<Item> = messages
            .iter()
            .zip(sigs)
            .zip(key_of)
            .map(|((m, s), k)| Item {
                message: m,
                sig: s,
                key: *k,
            })
            .collect();
        verify(&items, keys)
    }

    #[test]
    fn agrees_with_strict_verification() {
        let signers: Vec<SigningKey> = (1..=3u8)
            .map(|i| SigningKey::from_bytes(&[i; 32]))
            .collect();
        let keys: Vec<[u8; 32]> = signers
            .iter()
            .map(|s| s.verifying_key().to_bytes())
            .collect();
        let (messages, sigs, key_of) = signed(300, &signers);
        assert!(check(&messages, &sigs, &key_of, &keys));
        assert!(check(&messages[..1], &sigs[..1], &key_of[..1], &keys));
        assert!(check(&[], &[], &[], &keys));

        // Any one change anywhere fails the whole batch.
        let mut bad = messages.clone();
        bad[217][3] ^= 1;
        assert!(!check(&bad, &sigs, &key_of, &keys));
        let mut bad = sigs.clone();
        bad[5][40] ^= 1;
        assert!(!check(&messages, &bad, &key_of, &keys));
        let mut bad = sigs.clone();
        bad[5][0] ^= 1;
        assert!(!check(&messages, &bad, &key_of, &keys));
        // Another member's key.
        let mut bad = key_of.clone();
        bad[0] = 1;
        assert!(!check(&messages, &sigs, &bad, &keys));
        // A key index out of range.
        let mut bad = key_of.clone();
        bad[0] = 9;
        assert!(!check(&messages, &sigs, &bad, &keys));
        // s not reduced modulo l: s + l.
        let mut bad = sigs.clone();
        let s = Scalar::from_canonical_bytes(bad[1][32..].try_into().unwrap()).unwrap();
        let l_plus: [u8; 32] = {
            // l = 2^252 + 27742317777372353535851937790883648493, little-endian.
            let l: [u8; 32] = [
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
                0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
            ];
            let mut out = [0u8; 32];
            let mut carry = 0u16;
            for i in 0..32 {
                let v = u16::from(s.to_bytes()[i]) + u16::from(l[i]) + carry;
                out[i] = v as u8;
                carry = v >> 8;
            }
            out
        };
        bad[1][32..].copy_from_slice(&l_plus);
        assert!(!check(&messages, &bad, &key_of, &keys));
    }

    #[test]
    fn two_swapped_signatures_fail() {
        // Each signature is valid, but not for its message: a sum over the
        // batch must not let them cancel.
        let signers = vec![SigningKey::from_bytes(&[7; 32])];
        let keys = vec![signers[0].verifying_key().to_bytes()];
        let (messages, mut sigs, key_of) = signed(10, &signers);
        sigs.swap(2, 3);
        assert!(!check(&messages, &sigs, &key_of, &keys));
    }
}
