//! Split views: a node that shows two peers two trees is caught, and the
//! evidence verifies offline with the member's public key alone; anything
//! that is not a contradiction by one key is refused.

use concord_tlog::{
    ConsistencyCheck, Cosigner, Evidence, EvidenceKind, LogSigner, MemoryTiles, SignedCheckpoint,
    TileNodes, TlogError, check_consistency, consistency_path_full,
};
use concord_trust::Keypair;

use super::common::{Log, ORIGIN, log_signer, node_key};

/// The honest log of `n` entries and a fork that differs from entry `at`.
fn fork(n: usize, at: usize, fork_size: usize) -> (Log, Log) {
    let honest = Log::with_entries(n);
    let mut forked = Log::with_entries(at);
    let rest: Vec<Vec<u8>> = (at..fork_size)
        .map(|i| format!("forged {i}").into_bytes())
        .collect();
    forked.append(&rest);
    (honest, forked)
}

#[test]
fn two_roots_for_one_size_are_evidence_that_verifies_offline() {
    let signer = log_signer();
    let (honest, forked) = fork(120, 100, 120);
    let a = honest.checkpoint(&signer);
    let b = forked.checkpoint(&signer);
    // Each peer sees one view; gossip hands both to everyone.
    let key = node_key().public();
    let ConsistencyCheck::SplitView(e) =
        check_consistency(&a, &b, &key, &MemoryTiles::new()).unwrap()
    else {
        panic!("a split view");
    };
    assert_eq!(e.kind(), EvidenceKind::SameSize);
    // Offline: bytes and the key, nothing else.
    let bytes = e.to_json();
    let back = Evidence::from_json(&bytes).unwrap();
    let report = back.verify(&key).unwrap();
    assert_eq!(report.origin, ORIGIN);
    assert_eq!(report.sizes, (120, 120));
    assert_ne!(report.roots.0, report.roots.1);
    // Under any other key it is not evidence.
    assert!(back.verify(&Keypair::from_seed(&[1; 32]).public()).is_err());
}

#[test]
fn an_inconsistent_larger_tree_is_evidence_with_its_path() {
    let signer = log_signer();
    let key = node_key().public();
    // Sizes where the old size is and is not a power of two, with the
    // fork before, at and after tile boundaries.
    for (m, at, n) in [
        (100usize, 50usize, 150usize),
        (64, 10, 300),
        (256, 255, 257),
        (1, 0, 2),
        (300, 299, 700),
        (512, 0, 513),
    ] {
        let (honest, forked) = fork(m, at, n);
        let small = honest.checkpoint(&signer);
        let large = forked.checkpoint(&signer);
        let check = check_consistency(&small, &large, &key, &forked.tiles).unwrap();
        let ConsistencyCheck::SplitView(e) = check else {
            panic!("({m}, {at}, {n}): {check:?}");
        };
        assert_eq!(e.kind(), EvidenceKind::Inconsistent);
        let report = Evidence::from_json(&e.to_json())
            .unwrap()
            .verify(&key)
            .unwrap();
        assert_eq!(report.sizes, (m as u64, n as u64));
        assert_ne!(report.prefix_root, Some(small.checkpoint().root));
        // Order of the arguments does not matter.
        let again = check_consistency(&large, &small, &key, &forked.tiles).unwrap();
        assert!(matches!(again, ConsistencyCheck::SplitView(_)));
    }
}

#[test]
fn honest_growth_is_consistent_and_wrong_tiles_are_only_an_alarm() {
    let signer = log_signer();
    let key = node_key().public();
    let mut log = Log::with_entries(100);
    let small = log.checkpoint(&signer);
    log.append(&(0..400).map(|i| vec![i as u8]).collect::<Vec<_>>());
    let large = signer
        .sign_next(Some(small.checkpoint()), log.size, &log.tiles)
        .unwrap();
    assert_eq!(
        check_consistency(&small, &large, &key, &log.tiles).unwrap(),
        ConsistencyCheck::Consistent
    );
    assert_eq!(
        check_consistency(&large, &large, &key, &log.tiles).unwrap(),
        ConsistencyCheck::Consistent
    );
    // Tiles of another tree cannot show anything about this checkpoint.
    let other = Log::with_entries(500);
    assert!(matches!(
        check_consistency(&small, &large, &key, &other.tiles).unwrap(),
        ConsistencyCheck::Unverifiable(_)
    ));
    // Missing tiles: unverifiable too.
    assert!(matches!(
        check_consistency(&small, &large, &key, &MemoryTiles::new()).unwrap(),
        ConsistencyCheck::Unverifiable(_)
    ));
    // A consistent pair cannot be passed off as evidence.
    let path = consistency_path_full(100, 500, &mut TileNodes::new(&log.tiles, 500)).unwrap();
    assert!(matches!(
        Evidence::inconsistent(&small, &large, path, &key),
        Err(TlogError::NotEvidence(_))
    ));
}

#[test]
fn what_is_not_evidence_is_refused() {
    let key = node_key().public();
    let signer = log_signer();
    let other_key = Keypair::from_seed(&[77; 32]);
    let other = LogSigner::new(ORIGIN, other_key.clone()).unwrap();
    let (honest, forked) = fork(50, 10, 50);
    let a = honest.checkpoint(&signer);
    // Two notes by different keys: each key signed one view only.
    let b_other = forked.checkpoint(&other);
    assert!(Evidence::same_size(&a, &b_other, &key).is_err());
    assert!(Evidence::same_size(&a, &b_other, &other_key.public()).is_err());
    // The same checkpoint twice.
    assert!(Evidence::same_size(&a, &a, &key).is_err());
    // Two different logs.
    let elsewhere = LogSigner::new("elsewhere.example/log", node_key()).unwrap();
    let c = forked.checkpoint(&elsewhere);
    assert!(Evidence::same_size(&a, &c, &key).is_err());

    // Hand-edited evidence: a real same-size piece with one note swapped
    // for another key's note of the same content.
    let b = forked.checkpoint(&signer);
    let real = Evidence::same_size(&a, &b, &key).unwrap();
    let mut wire: serde_json::Value = serde_json::from_slice(&real.to_json()).unwrap();
    wire["checkpoints"][1] = String::from_utf8(b_other.to_bytes()).unwrap().into();
    let edited = Evidence::from_json(&serde_json::to_vec(&wire).unwrap()).unwrap();
    assert!(edited.verify(&key).is_err());
    // A note with an extra (unchecked) signature line is refused: no byte
    // of evidence is outside the check.
    let mut cosigned = b.clone();
    let w = Cosigner::new("w.example", Keypair::from_seed(&[5; 32])).unwrap();
    cosigned
        .add_signature(w.cosign(cosigned.note().text(), 9).unwrap())
        .unwrap();
    let mut wire: serde_json::Value = serde_json::from_slice(&real.to_json()).unwrap();
    wire["checkpoints"][1] = String::from_utf8(cosigned.to_bytes()).unwrap().into();
    let padded = Evidence::from_json(&serde_json::to_vec(&wire).unwrap()).unwrap();
    assert!(padded.verify(&key).is_err());
    // Building evidence from a cosigned note strips the extra line.
    Evidence::same_size(&a, &cosigned, &key)
        .unwrap()
        .verify(&key)
        .unwrap();
    // Garbage and wrong types.
    for bad in [
        &b"{}"[..],
        b"[]",
        b"null",
        b"{\"type\":\"concord-split-view\"}",
    ] {
        assert!(Evidence::from_json(bad).is_err());
    }
    let mut wire: serde_json::Value = serde_json::from_slice(&real.to_json()).unwrap();
    wire["kind"] = "inconsistent".into();
    assert!(Evidence::from_json(&serde_json::to_vec(&wire).unwrap()).is_err());
}

#[test]
fn a_full_mesh_round_catches_a_split_view() {
    // Node M shows view A to peers 1 and 2 and view A' of the same size to
    // peer 3; each peer keeps what it saw, then every peer sends its
    // checkpoint to every other. Every honest peer ends with evidence.
    let signer = log_signer();
    let key = node_key().public();
    let (honest, forked) = fork(80, 40, 80);
    let seen: Vec<SignedCheckpoint> = vec![
        honest.checkpoint(&signer),
        honest.checkpoint(&signer),
        forked.checkpoint(&signer),
    ];
    for (me, mine) in seen.iter().enumerate() {
        let mut evidence = Vec::new();
        for (peer, theirs) in seen.iter().enumerate() {
            if peer == me {
                continue;
            }
            if let ConsistencyCheck::SplitView(e) =
                check_consistency(mine, theirs, &key, &MemoryTiles::new()).unwrap()
            {
                evidence.push(e.to_json());
            }
        }
        assert!(!evidence.is_empty(), "peer {me} holds no evidence");
        for e in evidence {
            Evidence::from_json(&e).unwrap().verify(&key).unwrap();
        }
    }
}

#[test]
fn the_log_refuses_to_sign_a_fork_of_itself() {
    let signer = log_signer();
    let log = Log::with_entries(300);
    let last = log.checkpoint(&signer);
    // Restored from an older backup, then appended other entries.
    let (_, forked) = fork(300, 250, 400);
    let err = signer
        .sign_next(Some(last.checkpoint()), forked.size, &forked.tiles)
        .unwrap_err();
    assert!(matches!(err, TlogError::Refused(_)), "{err:?}");
    // Smaller than what it signed: refused too.
    let small = Log::with_entries(200);
    assert!(matches!(
        signer.sign_next(Some(last.checkpoint()), 200, &small.tiles),
        Err(TlogError::Refused(_))
    ));
    // The honest continuation is signed.
    let mut grown = Log::with_entries(300);
    grown.append(&[b"next".to_vec()]);
    signer
        .sign_next(Some(last.checkpoint()), grown.size, &grown.tiles)
        .unwrap();
}
