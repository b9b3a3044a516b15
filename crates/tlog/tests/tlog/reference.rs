//! Every tree size 1..=1024, every leaf index and every pair of sizes,
//! checked against a straightforward recursive implementation of RFC 6962
//! section 2.1 written here from the RFC's text (its own SHA-256 calls, no
//! code of the crate): MTH, PATH and PROOF/SUBPROOF. The crate's proofs
//! come both from an in-memory tree and from tiles written by `append`
//! (read back at every smaller size as prefixes of the stored tiles).

use std::collections::HashMap;

use concord_tlog::{
    Hash, MemoryTiles, MemoryTree, TileNodes, append, consistency_proof, inclusion_proof,
    tiles_root, verify_consistency, verify_inclusion,
};
use sha2::{Digest, Sha256};

const N: usize = 1024;

/// RFC 6962 section 2.1, as written there.
struct Rfc6962 {
    d: Vec<Vec<u8>>,
    memo: HashMap<(usize, usize), [u8; 32]>,
}

impl Rfc6962 {
    /// "k is the largest power of two smaller than n (i.e., k < n <= 2k)".
    fn k(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// MTH(D[lo:hi]).
    fn mth(&mut self, lo: usize, hi: usize) -> [u8; 32] {
        if let Some(h) = self.memo.get(&(lo, hi)) {
            return *h;
        }
        let n = hi - lo;
        let h: [u8; 32] = if n == 0 {
            Sha256::digest(b"").into()
        } else if n == 1 {
            let mut s = Sha256::new();
            s.update([0u8]);
            s.update(&self.d[lo]);
            s.finalize().into()
        } else {
            let k = Self::k(n);
            let (l, r) = (self.mth(lo, lo + k), self.mth(lo + k, hi));
            let mut s = Sha256::new();
            s.update([1u8]);
            s.update(l);
            s.update(r);
            s.finalize().into()
        };
        self.memo.insert((lo, hi), h);
        h
    }

    /// PATH(m, D[lo:hi]), m relative to lo.
    fn path(&mut self, m: usize, lo: usize, hi: usize) -> Vec<[u8; 32]> {
        let n = hi - lo;
        if n == 1 {
            return Vec::new();
        }
        let k = Self::k(n);
        if m < k {
            let mut p = self.path(m, lo, lo + k);
            p.push(self.mth(lo + k, hi));
            p
        } else {
            let mut p = self.path(m - k, lo + k, hi);
            p.push(self.mth(lo, lo + k));
            p
        }
    }

    /// SUBPROOF(m, D[lo:hi], b).
    fn subproof(&mut self, m: usize, lo: usize, hi: usize, b: bool) -> Vec<[u8; 32]> {
        let n = hi - lo;
        if m == n {
            return if b {
                Vec::new()
            } else {
                vec![self.mth(lo, hi)]
            };
        }
        let k = Self::k(n);
        if m <= k {
            let mut p = self.subproof(m, lo, lo + k, b);
            p.push(self.mth(lo + k, hi));
            p
        } else {
            let mut p = self.subproof(m - k, lo + k, hi, false);
            p.push(self.mth(lo, lo + k));
            p
        }
    }
}

fn raw(p: &[Hash]) -> Vec<[u8; 32]> {
    p.iter().map(|h| h.0).collect()
}

#[test]
fn every_size_index_and_pair_up_to_1024_matches_the_rfc() {
    let d: Vec<Vec<u8>> = (0..N).map(|i| format!("entry {i}").into_bytes()).collect();
    let mut rfc = Rfc6962 {
        d: d.clone(),
        memo: HashMap::new(),
    };
    let mut tree = MemoryTree::new();
    let mut tiles = MemoryTiles::new();
    let mut size = 0u64;
    // Batches of odd sizes so tiles are written partial and full.
    for chunk in d.chunks(37) {
        let a = append(size, chunk, &tiles).unwrap();
        for l in &a.leaf_hashes {
            tree.push(*l);
        }
        tiles.apply(&a.tiles);
        size = a.size;
        assert_eq!(
            tiles_root(size, &tiles).unwrap().0,
            rfc.mth(0, size as usize)
        );
    }
    let mut inclusion = 0u64;
    let mut consistency = 0u64;
    for n in 1..=N {
        let root = rfc.mth(0, n);
        assert_eq!(tree.root(n as u64).unwrap().0, root, "MTH of size {n}");
        assert_eq!(
            tiles_root(n as u64, &tiles).unwrap().0,
            root,
            "tiles at size {n}"
        );
        let mut from_tiles = TileNodes::new(&tiles, n as u64);
        for (m, entry) in d.iter().enumerate().take(n) {
            let want = rfc.path(m, 0, n);
            let got = inclusion_proof(m as u64, n as u64, &mut tree)
                .expect("the reference tree is well formed");
            assert_eq!(raw(&got), want, "PATH({m}, D[{n}])");
            let got_tiles = inclusion_proof(m as u64, n as u64, &mut from_tiles).unwrap();
            assert_eq!(raw(&got_tiles), want, "PATH({m}, D[{n}]) from tiles");
            let leaf = concord_tlog::leaf_hash(entry);
            verify_inclusion(m as u64, n as u64, &leaf, &got, &Hash(root)).unwrap();
            inclusion += 1;
        }
        for m in 1..=n {
            let want = rfc.subproof(m, 0, n, true);
            let got = consistency_proof(m as u64, n as u64, &mut tree).unwrap();
            assert_eq!(raw(&got), want, "PROOF({m}, D[{n}])");
            let got_tiles = consistency_proof(m as u64, n as u64, &mut from_tiles).unwrap();
            assert_eq!(raw(&got_tiles), want, "PROOF({m}, D[{n}]) from tiles");
            let old = rfc.mth(0, m);
            verify_consistency(m as u64, n as u64, &Hash(old), &Hash(root), &got).unwrap();
            consistency += 1;
        }
    }
    assert_eq!(inclusion, (N * (N + 1) / 2) as u64);
    assert_eq!(consistency, inclusion);
}

#[test]
fn proofs_fail_against_every_other_root_and_index() {
    // For a sample of sizes, a valid proof must fail for a neighbouring
    // leaf index or the root of a neighbouring size. (A root of size n
    // with a claimed size n + 1 can pass: RFC 9162 verification binds a
    // proof to a (size, root) pair, which a checkpoint signs together.)
    let d: Vec<Vec<u8>> = (0..300).map(|i| vec![i as u8, (i >> 8) as u8]).collect();
    let mut rfc = Rfc6962 {
        d: d.clone(),
        memo: HashMap::new(),
    };
    let mut tree = MemoryTree::new();
    for e in &d {
        tree.push(concord_tlog::leaf_hash(e));
    }
    for n in [1usize, 2, 3, 7, 8, 9, 255, 256, 257, 300] {
        let root = Hash(rfc.mth(0, n));
        for (m, entry) in d.iter().enumerate().take(n) {
            let leaf = concord_tlog::leaf_hash(entry);
            let p = inclusion_proof(m as u64, n as u64, &mut tree)
                .expect("the reference tree is well formed");
            for other in [m.wrapping_sub(1), m + 1] {
                if other < n && other != m {
                    assert!(verify_inclusion(other as u64, n as u64, &leaf, &p, &root).is_err());
                }
            }
            if n > 1 {
                let smaller = Hash(rfc.mth(0, n - 1));
                assert!(verify_inclusion(m as u64, n as u64, &leaf, &p, &smaller).is_err());
            }
        }
        for m in 1..n {
            let p = consistency_proof(m as u64, n as u64, &mut tree).unwrap();
            let old = Hash(rfc.mth(0, m));
            let wrong_old = Hash(rfc.mth(0, m + 1));
            assert!(verify_consistency(m as u64, n as u64, &wrong_old, &root, &p).is_err());
            assert!(
                verify_consistency(m as u64 + 1, n as u64, &old, &root, &p).is_err() || m + 1 == n
            );
        }
    }
}
