use super::*;
use crate::charter::{KeyEntry, Member};
use crate::keys::Keypair;
use crate::testkit::Community;

/// The draft of the next version after `base`, changed by `f`.
fn next(base: &VerifiedCharter, f: impl FnOnce(&mut Charter)) -> Charter {
    let mut c = base.charter().clone();
    c.version += 1;
    c.previous = Some(base.hash().to_hex());
    f(&mut c);
    c
}

fn renew(c: &mut Charter) {
    c.expires = "2031-01-01T00:00:00Z".into();
}

fn member(k: &Community, i: usize) -> Member {
    k.founder(i).to_member(&k.community)
}

#[test]
fn genesis_needs_the_expected_hash_and_every_founder() {
    let k = Community::new(4);
    let g = k.genesis_charter();
    let hash = g.hash().unwrap();
    let all = k.sign(&g, &[0, 1, 2, 3]);
    assert_eq!(verify_genesis(&all, &hash).unwrap().version(), 1);
    assert!(matches!(
        verify_genesis(&all, &DocHash([0; 32])),
        Err(TrustError::GenesisHashMismatch { .. })
    ));
    let three = k.sign(&g, &[0, 1, 3]);
    assert_eq!(
        verify_genesis(&three, &hash),
        Err(TrustError::GenesisNotSignedByAll {
            missing: vec!["m2".into()]
        })
    );
}

#[test]
fn a_quorum_of_both_versions_adopts_the_next() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, renew);
    let v = verify_next(&g, &k.sign(&c, &[0, 2, 3]), k.now()).unwrap();
    assert_eq!(v.version(), 2);
    assert_eq!(
        v.charter().previous.as_deref(),
        Some(g.hash().to_hex().as_str())
    );
}

#[test]
fn too_few_members_of_the_current_version() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, renew);
    assert_eq!(
        verify_step(&g, &k.sign(&c, &[0, 1])),
        Err(TrustError::TooFewSignatures {
            side: Side::Current,
            version: 1,
            valid: 2,
            required: 3
        })
    );
}

#[test]
fn too_few_members_of_the_candidate_version() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, |c| {
        c.members.insert("m4".into(), member(&k, 4));
        c.quorum.threshold = 4;
    });
    assert_eq!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2])),
        Err(TrustError::TooFewSignatures {
            side: Side::Candidate,
            version: 2,
            valid: 3,
            required: 4
        })
    );
    // The new member's own signature proves its key is alive.
    verify_step(&g, &k.sign(&c, &[0, 1, 2, 4])).unwrap();
}

#[test]
fn repeated_signatures_of_one_member_count_once() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, renew);
    let mut env = Envelope::from_bytes(&k.sign(&c, &[0, 1]), MAX_CHARTER_BYTES).unwrap();
    let dup = env.signatures[0].clone();
    env.signatures.push(dup.clone());
    env.signatures.push(dup);
    let e = verify_step(&g, &env.to_bytes().unwrap()).unwrap_err();
    assert!(
        matches!(e, TrustError::TooFewSignatures { valid: 2, .. }),
        "{e}"
    );
}

#[test]
fn several_keys_of_one_member_count_once_and_key_threshold_applies() {
    let k = Community::new(4);
    let g = k.genesis();
    let extra = Keypair::from_seed(&[42; 32]);
    let with_two_keys = next(&g, |c| {
        let m = c.members.get_mut("m0").unwrap();
        m.keys
            .insert(extra.key_id().to_hex(), KeyEntry::ed25519(&extra.public()));
    });
    let v2 = verify_step(&g, &k.sign(&with_two_keys, &[0, 1, 2])).unwrap();
    // Version 3, signed by m0 with both keys and m1 only: m0 counts once.
    let c3 = next(&v2, renew);
    let mut env = Envelope::from_bytes(&k.sign(&c3, &[0, 1]), MAX_CHARTER_BYTES).unwrap();
    env.sign(CHARTER_CONTEXT, "m0", &extra).unwrap();
    assert!(matches!(
        verify_step(&v2, &env.to_bytes().unwrap()),
        Err(TrustError::TooFewSignatures { valid: 2, .. })
    ));
    // With key_threshold 2, one key of m0 is not enough for m0 to count.
    let c3 = next(&v2, |c| c.members.get_mut("m0").unwrap().key_threshold = 2);
    // m0's single key no longer makes it count for version 3 itself.
    assert!(matches!(
        verify_step(&v2, &k.sign(&c3, &[0, 1, 2])),
        Err(TrustError::TooFewSignatures {
            side: Side::Candidate,
            valid: 2,
            ..
        })
    ));
    let v3 = verify_step(&v2, &k.sign(&c3, &[0, 1, 2, 3])).unwrap();
    let c4 = next(&v3, renew);
    assert!(matches!(
        verify_step(&v3, &k.sign(&c4, &[0, 1, 3])),
        Err(TrustError::TooFewSignatures { valid: 2, .. })
    ));
    let mut env = Envelope::from_bytes(&k.sign(&c4, &[0, 1, 3]), MAX_CHARTER_BYTES).unwrap();
    env.sign(CHARTER_CONTEXT, "m0", &extra).unwrap();
    verify_step(&v3, &env.to_bytes().unwrap()).unwrap();
}

#[test]
fn signatures_by_non_members_removed_members_and_unknown_keys() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, renew);
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2, 9])),
        Err(TrustError::NonMember { member, .. }) if member == "m9"
    ));
    let mut env = Envelope::from_bytes(&k.sign(&c, &[0, 1, 2]), MAX_CHARTER_BYTES).unwrap();
    env.sign(CHARTER_CONTEXT, "m3", &Keypair::from_seed(&[5; 32]))
        .unwrap();
    assert!(matches!(
        verify_step(&g, &env.to_bytes().unwrap()),
        Err(TrustError::UnknownMemberKey { member, .. }) if member == "m3"
    ));
    // Removed in version 2, m3 signs version 3.
    let without = next(&g, |c| {
        c.members.remove("m3");
    });
    let v2 = verify_step(&g, &k.sign(&without, &[0, 1, 2])).unwrap();
    assert_eq!(v2.removed_members().get("m3"), Some(&2));
    let c3 = next(&v2, renew);
    assert_eq!(
        verify_step(&v2, &k.sign(&c3, &[0, 1, 2, 3])),
        Err(TrustError::RemovedMember {
            member: "m3".into(),
            removed_in: 2
        })
    );
}

#[test]
fn a_bad_signature_is_named() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, renew);
    let other = k.sign(
        &next(&g, |c| c.expires = "2032-01-01T00:00:00Z".into()),
        &[1],
    );
    let stolen = Envelope::from_bytes(&other, MAX_CHARTER_BYTES)
        .unwrap()
        .signatures[0]
        .clone();
    let mut env = Envelope::from_bytes(&k.sign(&c, &[0, 2]), MAX_CHARTER_BYTES).unwrap();
    env.signatures.push(stolen);
    assert_eq!(
        verify_step(&g, &env.to_bytes().unwrap()),
        Err(TrustError::BadMemberSignature {
            member: "m1".into(),
            key_id: Community::key(1).key_id().to_hex()
        })
    );
}

#[test]
fn wrong_community_previous_and_version() {
    let k = Community::new(4);
    let g = k.genesis();
    let signers = [0, 1, 2];
    let c = next(&g, |c| c.community = "f".repeat(32));
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &signers)),
        Err(TrustError::WrongCommunity { .. })
    ));
    let c = next(&g, |c| c.previous = Some("0".repeat(64)));
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &signers)),
        Err(TrustError::WrongPrevious { .. })
    ));
    let c = next(&g, |c| c.version = 3);
    assert_eq!(
        verify_step(&g, &k.sign(&c, &signers)),
        Err(TrustError::NotNextVersion {
            current: 1,
            found: 3
        })
    );
    // Replaying the held version is not N+1 either.
    assert!(matches!(
        verify_step(&g, &g.to_bytes().unwrap()),
        Err(TrustError::NotNextVersion {
            current: 1,
            found: 1
        })
    ));
}

#[test]
fn invariants_of_the_candidate() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, |c| c.quorum.threshold = 2);
    assert_eq!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2])),
        Err(TrustError::BelowMinimumQuorum {
            threshold: 2,
            minimum: 3,
            members: 4
        })
    );
    let c = next(&g, |c| c.quorum.threshold = 5);
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2])),
        Err(TrustError::QuorumAboveMembers { .. })
    ));
    let c = next(&g, |c| {
        let m0 = c.members["m0"].keys.clone();
        c.members.get_mut("m1").unwrap().keys.extend(m0);
    });
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2])),
        Err(TrustError::DuplicateKey { .. })
    ));
    // A key may not move from one member to another between versions.
    let c = next(&g, |c| {
        let m0 = c.members.remove("m0").unwrap();
        let mut m9 = member(&k, 9);
        m9.keys = m0.keys;
        c.members.insert("m9".into(), m9);
    });
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &[1, 2, 3])),
        Err(TrustError::DuplicateKey { .. })
    ));
    let c = next(&g, |c| {
        let m = c.members.get_mut("m0").unwrap();
        let entry = m.keys.values().next().unwrap().clone();
        m.keys = [("ab".repeat(32), entry)].into();
    });
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2])),
        Err(TrustError::KeyIdMismatch { .. })
    ));
    let c = next(&g, |c| {
        c.members.get_mut("m0").unwrap().country = "France".into()
    });
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2])),
        Err(TrustError::Field { .. })
    ));
}

#[test]
fn floats_and_unsafe_integers_are_refused() {
    let k = Community::new(4);
    let g = k.genesis();
    let bytes = k.sign(&next(&g, renew), &[0, 1, 2]);
    let text = String::from_utf8(bytes).unwrap();
    for bad in ["\"version\":2.0", "\"version\":9007199254740994"] {
        let changed = text.replace("\"version\":2", bad);
        assert!(
            matches!(
                verify_step(&g, changed.as_bytes()),
                Err(TrustError::Field { .. })
            ),
            "{bad}"
        );
    }
    let unknown = text.replacen("\"version\":2", "\"version\":2,\"x\":1", 1);
    assert!(matches!(
        verify_step(&g, unknown.as_bytes()),
        Err(TrustError::Schema(_))
    ));
}

#[test]
fn oversized_is_refused_before_parsing() {
    let k = Community::new(4);
    let g = k.genesis();
    let huge = vec![b'x'; 10 * 1024 * 1024];
    assert_eq!(
        verify_step(&g, &huge),
        Err(TrustError::Oversized {
            size: huge.len(),
            limit: MAX_CHARTER_BYTES
        })
    );
}

#[test]
fn key_rotation_is_signed_by_old_and_new_keys() {
    let k = Community::new(4);
    let g = k.genesis();
    let new = Keypair::from_seed(&[77; 32]);
    let c = next(&g, |c| {
        c.members.get_mut("m0").unwrap().keys =
            [(new.key_id().to_hex(), KeyEntry::ed25519(&new.public()))].into();
    });
    // m0's old key counts for N only: with m1 and m2 that is 2 of N+1.
    assert!(matches!(
        verify_step(&g, &k.sign(&c, &[0, 1, 2])),
        Err(TrustError::TooFewSignatures {
            side: Side::Candidate,
            valid: 2,
            ..
        })
    ));
    verify_step(&g, &k.sign(&c, &[0, 1, 2, 3])).unwrap();
    let mut env = Envelope::from_bytes(&k.sign(&c, &[0, 1]), MAX_CHARTER_BYTES).unwrap();
    env.sign(CHARTER_CONTEXT, "m0", &new).unwrap();
    // The new key does not count for N.
    assert!(matches!(
        verify_step(&g, &env.to_bytes().unwrap()),
        Err(TrustError::TooFewSignatures {
            side: Side::Current,
            valid: 2,
            ..
        })
    ));
    env.sign(CHARTER_CONTEXT, "m2", &Community::key(2)).unwrap();
    let v2 = verify_step(&g, &env.to_bytes().unwrap()).unwrap();
    // From now on only the new key speaks for m0.
    let c3 = next(&v2, renew);
    assert!(matches!(
        verify_step(&v2, &k.sign(&c3, &[0, 1, 2])),
        Err(TrustError::UnknownMemberKey { .. })
    ));
}

#[test]
fn expiry_freezes_on_the_last_valid_version() {
    let k = Community::new(4);
    let g = k.genesis();
    let c = next(&g, renew);
    let bytes = k.sign(&c, &[0, 1, 2]);
    let late = Timestamp::parse("2031-06-01T00:00:00Z").unwrap();
    assert!(matches!(
        verify_next(&g, &bytes, late),
        Err(TrustError::Expired { version: 2, .. })
    ));
    assert!(g.check_expiry(k.now()).is_ok());
    assert!(g.check_expiry(late).is_err());
}

#[test]
fn chains_walk_forward_and_keep_the_last_valid_version() {
    let k = Community::new(4);
    let g = k.genesis();
    let genesis_bytes = g.to_bytes().unwrap();
    let c2 = next(&g, renew);
    let b2 = k.sign(&c2, &[0, 1, 2]);
    let v2 = verify_step(&g, &b2).unwrap();
    let c3 = next(&v2, |c| c.expires = "2032-01-01T00:00:00Z".into());
    let b3 = k.sign(&c3, &[1, 2, 3]);
    let hash = g.hash();
    let v3 = verify_chain(&hash, &[&genesis_bytes, &b2, &b3], k.now()).unwrap();
    assert_eq!(v3.version(), 3);
    // A bad third version: the walk stops there and keeps version 2.
    let bad = k.sign(&c3, &[1]);
    let e = verify_chain(&hash, &[&genesis_bytes, &b2, &bad], k.now()).unwrap_err();
    assert_eq!(e.index, 2);
    assert_eq!(e.last_valid.map(|v| v.version()), Some(2));
    assert!(matches!(e.error, TrustError::TooFewSignatures { .. }));
    // Intermediate versions may have expired; only the last one matters.
    let when = Timestamp::parse("2031-06-01T00:00:00Z").unwrap();
    assert_eq!(
        verify_chain(&hash, &[&genesis_bytes, &b2, &b3], when)
            .unwrap()
            .version(),
        3
    );
    let e = verify_chain(&hash, &[&genesis_bytes, &b2], when).unwrap_err();
    assert!(matches!(e.error, TrustError::Expired { version: 2, .. }));
    assert_eq!((e.index, e.last_valid.map(|v| v.version())), (1, Some(2)));
    assert_eq!(verify_chain(&hash, &[], k.now()).unwrap_err().index, 0);
}
