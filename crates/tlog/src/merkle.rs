//! The RFC 6962 / RFC 9162 Merkle tree over node hashes kept anywhere.
//!
//! Generation follows the recursive definitions of RFC 6962 section 2.1.1
//! (PATH) and 2.1.2 (PROOF/SUBPROOF), walked iteratively; every MTH it needs
//! is assembled from hashes of *complete* subtrees, read through
//! [`NodeReader`]. A tree of size n stores exactly those hashes (for tiles,
//! see [`crate::TileNodes`]), so proofs come from what the node persisted,
//! never from a tree rebuilt in memory. Verification is RFC 9162 sections
//! 2.1.3.2 and 2.1.4.2, step by step.
//!
//! Why not ct-merkle: its proofs index an in-memory tree in its own in-order
//! numbering; mapping that onto tiles was more code than the RFC's few
//! lines, and the tests here hold this code to the RFC's recursion for every
//! size up to 1024 and to the transparency-dev reference vectors.

use crate::TlogError;
use crate::hash::{EMPTY_ROOT, Hash, largest_power_of_two_below, node_hash};

/// Where the hashes of complete subtrees come from. The node at `level` ℓ
/// and `index` i is MTH(D[i·2^ℓ : (i+1)·2^ℓ]); callers only ask for nodes
/// that are complete in the tree they work on.
pub trait NodeReader {
    /// The hash of one complete subtree.
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, TlogError>;
}

impl<T: NodeReader + ?Sized> NodeReader for &mut T {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, TlogError> {
        (**self).node(level, index)
    }
}

/// MTH(D[lo:hi]) for a range that the RFC's recursion produces (lo is a
/// multiple of the smallest power of two ≥ hi - lo): the maximal aligned
/// complete subtrees from the left, folded from the right.
pub(crate) fn range_hash(nodes: &mut impl NodeReader, lo: u64, hi: u64) -> Result<Hash, TlogError> {
    if lo >= hi {
        return Ok(EMPTY_ROOT);
    }
    let mut parts: Vec<Hash> = Vec::with_capacity(8);
    let mut at = lo;
    while at < hi {
        let level = at.trailing_zeros().min(63 - (hi - at).leading_zeros());
        parts.push(nodes.node(level as u8, at >> level)?);
        at += 1u64 << level;
    }
    let mut iter = parts.iter().rev();
    let mut acc = iter.next().copied().unwrap_or(EMPTY_ROOT);
    for left in iter {
        acc = node_hash(left, &acc);
    }
    Ok(acc)
}

/// The root hash of the tree of `size` leaves.
pub fn tree_hash(size: u64, nodes: &mut impl NodeReader) -> Result<Hash, TlogError> {
    range_hash(nodes, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves: `PATH(m,
/// D[n])` of RFC 6962 section 2.1.1, leaf-side sibling first.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    nodes: &mut impl NodeReader,
) -> Result<Vec<Hash>, TlogError> {
    if index >= size {
        return Err(TlogError::OutOfRange {
            what: "inclusion proof leaf index",
            index,
            size,
        });
    }
    let mut top_down = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = largest_power_of_two_below(hi - lo);
        if index < lo + k {
            top_down.push(range_hash(nodes, lo + k, hi)?);
            hi = lo + k;
        } else {
            top_down.push(range_hash(nodes, lo, lo + k)?);
            lo += k;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// The consistency proof from the tree of `old` leaves to the tree of
/// `new` leaves: `PROOF(m, D[n]) = SUBPROOF(m, D[n], true)` of RFC 6962
/// section 2.1.2. Empty when `old` is 0 or equal to `new`.
pub fn consistency_proof(
    old: u64,
    new: u64,
    nodes: &mut impl NodeReader,
) -> Result<Vec<Hash>, TlogError> {
    if old > new {
        return Err(TlogError::OutOfRange {
            what: "consistency proof old size",
            index: old,
            size: new,
        });
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    subproof(old, new, true, nodes)
}

/// SUBPROOF(m, D[0:n], b), iteratively.
fn subproof(
    old: u64,
    new: u64,
    complete: bool,
    nodes: &mut impl NodeReader,
) -> Result<Vec<Hash>, TlogError> {
    let mut top_down = Vec::with_capacity(64);
    let (mut lo, mut hi, mut b) = (0u64, new, complete);
    loop {
        let n = hi - lo;
        let m = old - lo;
        if m == n {
            if !b {
                top_down.push(range_hash(nodes, lo, hi)?);
            }
            break;
        }
        let k = largest_power_of_two_below(n);
        if m <= k {
            top_down.push(range_hash(nodes, lo + k, hi)?);
            hi = lo + k;
        } else {
            top_down.push(range_hash(nodes, lo, lo + k)?);
            lo += k;
            b = false;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// The consistency path from `old` to `new` with its first node always
/// present: `SUBPROOF(m, D[n], false)`. When `old` is a power of two, the
/// RFC's proof leaves out `MTH(D[0:m])` because the verifier already knows it
/// as the old root; evidence of a split view must instead *show* the newer
/// tree's value there, so it keeps it.
pub fn consistency_path_full(
    old: u64,
    new: u64,
    nodes: &mut impl NodeReader,
) -> Result<Vec<Hash>, TlogError> {
    if old == 0 || old >= new {
        return Err(TlogError::OutOfRange {
            what: "consistency path old size (0 < old < new)",
            index: old,
            size: new,
        });
    }
    subproof(old, new, false, nodes)
}

fn inclusion_error(reason: impl Into<String>) -> TlogError {
    TlogError::Inclusion {
        reason: reason.into(),
    }
}

fn consistency_error(reason: impl Into<String>) -> TlogError {
    TlogError::Consistency {
        reason: reason.into(),
    }
}

/// The root an inclusion proof leads to (RFC 9162 section 2.1.3.2 steps
/// 1 to 4, and the sn = 0 check of step 5).
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, TlogError> {
    if index >= size {
        return Err(inclusion_error(format!(
            "leaf index {index} is not below the tree size {size}"
        )));
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(inclusion_error("the proof is longer than the tree is deep"));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(inclusion_error(
            "the proof is shorter than the tree is deep",
        ));
    }
    Ok(r)
}

/// Verifies that `leaf` is the leaf hash at `index` in the tree of `size`
/// leaves whose root is `root` (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), TlogError> {
    let r = root_from_inclusion_proof(index, size, leaf, proof)?;
    if r != *root {
        return Err(inclusion_error("the proof leads to another root"));
    }
    Ok(())
}

/// Both roots a full consistency path leads to (RFC 9162 section 2.1.4.2
/// steps 3 to 6, with `path[0]` already the first node): (the older tree's
/// root, the newer tree's root).
pub fn roots_from_consistency_path(
    old: u64,
    new: u64,
    path: &[Hash],
) -> Result<(Hash, Hash), TlogError> {
    if old == 0 || old >= new {
        return Err(consistency_error(format!(
            "sizes must be 0 < old < new, got {old} and {new}"
        )));
    }
    let Some((first, rest)) = path.split_first() else {
        return Err(consistency_error("the proof is empty"));
    };
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(consistency_error(
                "the proof is longer than the tree is deep",
            ));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(consistency_error(
            "the proof is shorter than the tree is deep",
        ));
    }
    Ok((fr, sr))
}

/// Verifies that the tree of `new` leaves with root `new_root` extends the
/// tree of `old` leaves with root `old_root` (RFC 9162 section 2.1.4.2).
/// Equal sizes need an empty proof and equal roots. A proof from the empty
/// tree proves nothing and is refused, as in the reference implementation
/// (the witness protocol handles an old size of 0 itself).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), TlogError> {
    if old > new {
        return Err(consistency_error(format!(
            "the old size {old} is larger than the new size {new}"
        )));
    }
    if old == new {
        if !proof.is_empty() {
            return Err(consistency_error("equal sizes need an empty proof"));
        }
        if old_root != new_root {
            return Err(consistency_error("equal sizes with different roots"));
        }
        return Ok(());
    }
    if old == 0 {
        return Err(consistency_error(
            "a consistency proof from the empty tree proves nothing",
        ));
    }
    if proof.is_empty() {
        return Err(consistency_error("the proof is empty"));
    }
    let (fr, sr) = if old.is_power_of_two() {
        let mut path = Vec::with_capacity(proof.len() + 1);
        path.push(*old_root);
        path.extend_from_slice(proof);
        roots_from_consistency_path(old, new, &path)?
    } else {
        roots_from_consistency_path(old, new, proof)?
    };
    if fr != *old_root {
        return Err(consistency_error("the proof leads to another old root"));
    }
    if sr != *new_root {
        return Err(consistency_error("the proof leads to another new root"));
    }
    Ok(())
}

/// A whole tree in memory, every level kept: for tests, benchmarks and
/// small trees (a bundle's own checks). Nodes are the same values a tiled
/// log stores.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// Appends one leaf hash and every node it completes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut h = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(h);
            if row.len() % 2 == 1 {
                break;
            }
            h = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            level += 1;
        }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The root of the tree of its first `size` leaves.
    pub fn root(&mut self, size: u64) -> Result<Hash, TlogError> {
        tree_hash(size, self)
    }
}

impl NodeReader for MemoryTree {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, TlogError> {
        self.levels
            .get(level as usize)
            .and_then(|row| row.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(TlogError::OutOfRange {
                what: "node of an in-memory tree",
                index,
                size: self.size(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{leaf_hash, root_of};

    fn tree(n: u64) -> (MemoryTree, Vec<Hash>) {
        let mut t = MemoryTree::new();
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for l in &leaves {
            t.push(*l);
        }
        (t, leaves)
    }

    #[test]
    fn roots_match_the_in_memory_recursion() {
        let (mut t, leaves) = tree(70);
        for n in 0..=70u64 {
            assert_eq!(
                t.root(n).unwrap(),
                root_of(&leaves[..n as usize]),
                "size {n}"
            );
        }
    }

    #[test]
    fn proofs_round_trip_for_small_trees() {
        let (mut t, leaves) = tree(40);
        for n in 1..=40u64 {
            let root = t.root(n).unwrap();
            for i in 0..n {
                let p = inclusion_proof(i, n, &mut t).unwrap();
                verify_inclusion(i, n, &leaves[i as usize], &p, &root).unwrap();
            }
            for m in 1..=n {
                let old = t.root(m).unwrap();
                let p = consistency_proof(m, n, &mut t).unwrap();
                verify_consistency(m, n, &old, &root, &p).unwrap();
                if m < n {
                    let full = consistency_path_full(m, n, &mut t).unwrap();
                    assert_eq!(
                        roots_from_consistency_path(m, n, &full).unwrap(),
                        (old, root)
                    );
                }
            }
        }
    }

    #[test]
    fn out_of_range_requests_are_errors() {
        let (mut t, _) = tree(5);
        assert!(inclusion_proof(5, 5, &mut t).is_err());
        assert!(consistency_proof(6, 5, &mut t).is_err());
        assert!(consistency_path_full(5, 5, &mut t).is_err());
        assert!(t.node(0, 5).is_err());
    }
}
