//! FEDERATION.md section 8, properties 1 to 3, at the library level (the
//! multi-node versions live with the binary).

use concord_trust::testkit::Community;
use concord_trust::{
    CHARTER_CONTEXT, Charter, Envelope, MAX_CHARTER_BYTES, ProposalKind, Side, SigningGuard,
    TrustError, VerifiedCharter, Vote, propose, verify_chain, verify_next, verify_step,
};

fn next(base: &VerifiedCharter, f: impl FnOnce(&mut Charter)) -> Charter {
    let mut c = base.charter().clone();
    c.version += 1;
    c.previous = Some(base.hash().to_hex());
    f(&mut c);
    c
}

fn admit(k: &Community, i: usize) -> impl FnOnce(&mut Charter) + '_ {
    move |c| {
        c.members.insert(
            Community::member_id(i),
            k.founder(i).to_member(&k.community),
        );
        c.quorum.threshold = concord_trust::min_quorum(c.members.len() as u64);
    }
}

/// Property 1: 10 members (q = 7); N+1 with 6 valid member signatures is
/// rejected, however many times those members (or one key) sign.
#[test]
fn p1_fewer_than_q_distinct_members_is_rejected() {
    let k = Community::new(10);
    let g = k.genesis();
    let c = next(&g, admit(&k, 10));
    let six = k.sign(&c, &[0, 1, 2, 3, 4, 5]);
    assert_eq!(
        verify_step(&g, &six),
        Err(TrustError::TooFewSignatures {
            side: Side::Current,
            version: 1,
            valid: 6,
            required: 7
        })
    );
    // The same key three more times, and the same member again: still 6.
    let mut env = Envelope::from_bytes(&six, MAX_CHARTER_BYTES).unwrap();
    let repeat = env.signatures[0].clone();
    env.signatures
        .extend([repeat.clone(), repeat.clone(), repeat]);
    env.sign(CHARTER_CONTEXT, "m5", &Community::key(5)).unwrap();
    assert!(matches!(
        verify_step(&g, &env.to_bytes().unwrap()),
        Err(TrustError::TooFewSignatures { valid: 6, .. })
    ));
    // q(N) of N but not q(N+1) of N+1 (11 members, q = 8; the newcomer
    // did not sign): rejected.
    let seven = k.sign(&c, &[0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(
        verify_step(&g, &seven),
        Err(TrustError::TooFewSignatures {
            side: Side::Candidate,
            version: 2,
            valid: 7,
            required: 8
        })
    );
    verify_step(&g, &k.sign(&c, &[0, 1, 2, 3, 4, 5, 6, 10])).unwrap();
}

/// Property 2: not N+1, wrong previous, quorum below floor(2n/3)+1, or over
/// 256 KiB: never adopted; after a restart the node holds its highest
/// version and still refuses replays.
#[test]
fn p2_rollback_jumps_wrong_previous_low_quorum_and_size() {
    let k = Community::new(4);
    let g = k.genesis();
    let quorum = [0, 1, 2];
    let b2 = k.sign(
        &next(&g, |c| c.expires = "2031-01-01T00:00:00Z".into()),
        &quorum,
    );
    let v2 = verify_next(&g, &b2, k.now()).unwrap();
    let b3 = k.sign(
        &next(&v2, |c| c.expires = "2032-01-01T00:00:00Z".into()),
        &quorum,
    );
    let v3 = verify_next(&v2, &b3, k.now()).unwrap();

    // Restart: the node re-walks its stored chain from the pinned genesis.
    let stored = [g.to_bytes().unwrap(), b2.clone(), b3.clone()];
    let refs: Vec<&[u8]> = stored.iter().map(Vec::as_slice).collect();
    let held = verify_chain(&g.hash(), &refs, k.now()).unwrap();
    assert_eq!(held, v3);
    for replay in [&b2, &b3] {
        assert!(matches!(
            verify_next(&held, replay, k.now()),
            Err(TrustError::NotNextVersion { current: 3, .. })
        ));
    }
    let jump = k.sign(&next(&v3, |c| c.version = 5), &quorum);
    assert!(matches!(
        verify_next(&held, &jump, k.now()),
        Err(TrustError::NotNextVersion {
            current: 3,
            found: 5
        })
    ));
    let fork = k.sign(&next(&v2, |c| c.version = 4), &quorum);
    assert!(matches!(
        verify_next(&held, &fork, k.now()),
        Err(TrustError::WrongPrevious { .. })
    ));
    let low = k.sign(&next(&v3, |c| c.quorum.threshold = 2), &quorum);
    assert!(matches!(
        verify_next(&held, &low, k.now()),
        Err(TrustError::BelowMinimumQuorum { minimum: 3, .. })
    ));
    assert!(matches!(
        propose(&held, &ProposalKind::SetQuorum { threshold: 2 }),
        Err(TrustError::BelowMinimumQuorum { .. })
    ));
}

/// Property 2, size: a 10 MiB charter that is otherwise well formed is
/// refused as oversized (the size is checked before parsing), and so is
/// one byte over 256 KiB.
#[test]
fn p2_oversized_charters_are_refused_before_parsing() {
    let k = Community::new(4);
    let g = k.genesis();
    for size in [10 * 1024 * 1024, MAX_CHARTER_BYTES + 1] {
        let big = next(&g, |c| {
            let m = c.members.get_mut("m0").unwrap();
            m.endpoints = (0..size / 2000)
                .map(|i| format!("https://n{i}.example/{}", "a".repeat(2000)))
                .collect();
        });
        let mut bytes = k.sign(&big, &[0, 1, 2]);
        bytes.resize(bytes.len().max(size), b' ');
        assert_eq!(
            verify_next(&g, &bytes, k.now()),
            Err(TrustError::Oversized {
                size: bytes.len(),
                limit: MAX_CHARTER_BYTES
            })
        );
    }
}

/// Property 3, honest half: a node never signs two proposals on one base,
/// even across a crash (the guard state is persisted before a signature
/// leaves and reloaded after).
#[test]
fn p3_one_vote_per_base_across_a_crash() {
    let k = Community::new(4);
    let g = k.genesis();
    let a = propose(
        &g,
        &ProposalKind::Renew {
            expires: "2031-01-01T00:00:00Z".into(),
        },
    )
    .unwrap();
    let b = propose(
        &g,
        &ProposalKind::Renew {
            expires: "2032-01-01T00:00:00Z".into(),
        },
    )
    .unwrap();
    let mut guard = SigningGuard::new(g.version());
    guard.claim(g.version(), &a.id()).unwrap();
    let persisted = serde_json::to_vec(&guard).unwrap();
    let _vote = Vote::sign(&g, &a, "m0", &Community::key(0)).unwrap();
    // Crash, restart, reload.
    let mut reloaded: SigningGuard = serde_json::from_slice(&persisted).unwrap();
    assert!(matches!(
        reloaded.claim(g.version(), &b.id()),
        Err(TrustError::AlreadySigned { base: 1, .. })
    ));
}
