//! Any changed byte fails verification: proofs, notes, checkpoints,
//! cosignatures, evidence and bundles (tiles: see tiles.rs). Random
//! positions and bits, many cases each.

use std::sync::OnceLock;

use concord_tlog::{
    ConsistencyCheck, Cosigner, Evidence, Hash, MemoryTiles, Note, SignedCheckpoint, TileNodes,
    Verifiers, check_consistency, consistency_proof, inclusion_proof, leaf_hash, verify_bundle,
    verify_consistency, verify_inclusion,
};
use concord_trust::Keypair;
use proptest::prelude::*;

use super::common::{Log, log_signer, node_key};

struct Fixture {
    log: Log,
    checkpoint: SignedCheckpoint,
    cosigned: Vec<u8>,
    cosig_start: usize,
    witness: Cosigner,
    evidence: Vec<Vec<u8>>,
    bundle: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let log = Log::with_entries(777);
        let checkpoint = log.checkpoint(&log_signer());
        let witness = Cosigner::new("witness.example/w1", Keypair::from_seed(&[7; 32]))
            .expect("the fixture log is well formed");
        let line = witness
            .cosign(checkpoint.note().text(), 1_700_000_000)
            .expect("the fixture log is well formed");
        let cosig_start = checkpoint.to_bytes().len();
        let mut cosigned = checkpoint.to_bytes();
        cosigned.extend_from_slice(line.to_line().as_bytes());
        // Evidence of both kinds.
        let key = node_key().public();
        let mut forked = Log::with_entries(700);
        forked.append(
            &(700..777)
                .map(|i| format!("forged {i}").into_bytes())
                .collect::<Vec<_>>(),
        );
        let fork_cp = forked.checkpoint(&log_signer());
        let same = match check_consistency(&checkpoint, &fork_cp, &key, &MemoryTiles::new())
            .expect("the fixture log is well formed")
        {
            ConsistencyCheck::SplitView(e) => e.to_json(),
            other => panic!("{other:?}"),
        };
        let small = log_signer()
            .sign_next(None, 750, &log.tiles)
            .expect("the fixture log is well formed");
        forked.append(&[b"one more".to_vec()]);
        let big = forked.checkpoint(&log_signer());
        let inconsistent = match check_consistency(&small, &big, &key, &forked.tiles)
            .expect("the fixture log is well formed")
        {
            ConsistencyCheck::SplitView(e) => e.to_json(),
            other => panic!("{other:?}"),
        };
        Fixture {
            log,
            checkpoint,
            cosigned,
            cosig_start,
            witness,
            evidence: vec![same, inconsistent],
            bundle: super::bundle::bundle_of(2).bytes,
        }
    })
}

fn flip(bytes: &[u8], at: prop::sample::Index, bit: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let i = at.index(b.len());
    b[i] ^= 1 << bit;
    b
}

fn hashes_of(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .chunks(32)
        .map(|c| Hash::from_slice(c).expect("the fixture log is well formed"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn inclusion_proofs(index in 0u64..777, at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let mut nodes = TileNodes::new(&f.log.tiles, 777);
        let proof = inclusion_proof(index, 777, &mut nodes).unwrap();
        let leaf = leaf_hash(&f.log.entries[index as usize]);
        let root = f.checkpoint.checkpoint().root;
        verify_inclusion(index, 777, &leaf, &proof, &root).unwrap();
        let mut all: Vec<u8> = leaf.0.to_vec();
        all.extend(proof.iter().flat_map(|h| h.0));
        all.extend_from_slice(&root.0);
        let changed = hashes_of(&flip(&all, at, bit));
        let (l, rest) = changed.split_first().unwrap();
        let (r, p) = rest.split_last().unwrap();
        prop_assert!(verify_inclusion(index, 777, l, p, r).is_err());
    }

    #[test]
    fn consistency_proofs(old in 1u64..777, at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let mut nodes = TileNodes::new(&f.log.tiles, 777);
        let proof = consistency_proof(old, 777, &mut nodes).unwrap();
        let old_root = concord_tlog::tree_hash(old, &mut nodes).unwrap();
        let root = f.checkpoint.checkpoint().root;
        verify_consistency(old, 777, &old_root, &root, &proof).unwrap();
        let mut all: Vec<u8> = old_root.0.to_vec();
        all.extend(proof.iter().flat_map(|h| h.0));
        all.extend_from_slice(&root.0);
        let changed = hashes_of(&flip(&all, at, bit));
        let (o, rest) = changed.split_first().unwrap();
        let (r, p) = rest.split_last().unwrap();
        prop_assert!(verify_consistency(old, 777, o, r, p).is_err());
    }

    #[test]
    fn notes_and_checkpoints(at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let bytes = f.checkpoint.to_bytes();
        let verifier = log_signer().verifier();
        Note::parse(&bytes).unwrap().verify(&Verifiers::one(verifier.clone())).unwrap();
        let changed = flip(&bytes, at, bit);
        let as_note = Note::parse(&changed).and_then(|n| n.verify(&Verifiers::one(verifier.clone())).map(|_| ()));
        prop_assert!(as_note.is_err());
        let as_checkpoint = SignedCheckpoint::parse(&changed).and_then(|c| c.verify_by_member(&node_key().public()));
        prop_assert!(as_checkpoint.is_err());
    }

    #[test]
    fn cosignatures(at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let witnesses = Verifiers::one(f.witness.verifier());
        let ok = SignedCheckpoint::parse(&f.cosigned).unwrap().cosignatures(&witnesses).unwrap();
        prop_assert_eq!(ok.len(), 1);
        // A byte of the cosignature line itself.
        let line_len = f.cosigned.len() - f.cosig_start;
        let i = f.cosig_start + at.index(line_len);
        let mut changed = f.cosigned.clone();
        changed[i] ^= 1 << bit;
        let verdict = SignedCheckpoint::parse(&changed)
            .and_then(|c| c.cosignatures(&witnesses))
            .map(|v| v.len());
        prop_assert!(!matches!(verdict, Ok(1)), "flip at {} still cosigned", i);
        // A byte of the checkpoint text it cosigns (the log's own line is
        // not covered by a cosignature; notes_and_checkpoints flips it).
        let j = at.index(f.checkpoint.note().text().len());
        let mut changed = f.cosigned.clone();
        changed[j] ^= 1 << bit;
        let verdict = SignedCheckpoint::parse(&changed)
            .and_then(|c| c.cosignatures(&witnesses))
            .map(|v| v.len());
        prop_assert!(!matches!(verdict, Ok(1)), "flip at {} still cosigned", j);
    }

    #[test]
    fn evidence(which in 0usize..2, at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let key = node_key().public();
        let bytes = &f.evidence[which];
        Evidence::from_json(bytes).unwrap().verify(&key).unwrap();
        let changed = flip(bytes, at, bit);
        let verdict = Evidence::from_json(&changed).and_then(|e| e.verify(&key));
        prop_assert!(verdict.is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn bundles(at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let key = node_key().public();
        verify_bundle(&f.bundle, &key).unwrap();
        let changed = flip(&f.bundle, at, bit);
        prop_assert!(verify_bundle(&changed, &key).is_err());
    }
}
