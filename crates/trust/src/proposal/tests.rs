use super::*;
use crate::testkit::Community;
use crate::verify::verify_next;

fn renew(year: u32) -> ProposalKind {
    ProposalKind::Renew {
        expires: format!("{year}-01-01T00:00:00Z"),
    }
}

fn votes(base: &VerifiedCharter, p: &Proposal, who: &[usize]) -> Vec<Vote> {
    who.iter()
        .map(|&i| Vote::sign(base, p, &Community::member_id(i), &Community::key(i)).unwrap())
        .collect()
}

#[test]
fn add_member_raises_the_quorum_and_needs_the_new_member() {
    let k = Community::new(4);
    let g = k.genesis();
    let kind = ProposalKind::AddMember {
        id: "m4".into(),
        member: k.founder(4).to_member(&k.community),
    };
    let p = propose(&g, &kind).unwrap();
    assert_eq!(p.charter().quorum.threshold, 4);
    assert_eq!(p.base_version(), 1);
    let without_new = p.assemble(&g, &votes(&g, &p, &[0, 1, 2])).unwrap();
    assert!(matches!(
        verify_next(&g, &without_new, k.now()),
        Err(TrustError::TooFewSignatures { .. })
    ));
    let with_new = p.assemble(&g, &votes(&g, &p, &[0, 1, 2, 4])).unwrap();
    let v2 = verify_next(&g, &with_new, k.now()).unwrap();
    assert_eq!(v2.hash(), p.id());
    assert!(v2.charter().members.contains_key("m4"));
}

#[test]
fn remove_member_leaves_its_groups() {
    let k = Community::new(4);
    let g = k.genesis();
    let groups = [("eu".to_string(), vec!["m0".to_string(), "m3".to_string()])].into();
    let p = propose(&g, &ProposalKind::SetGroups { groups }).unwrap();
    let v2 = verify_next(
        &g,
        &p.assemble(&g, &votes(&g, &p, &[0, 1, 2])).unwrap(),
        k.now(),
    )
    .unwrap();
    let p = propose(&v2, &ProposalKind::RemoveMember { id: "m3".into() }).unwrap();
    assert_eq!(p.charter().groups["eu"], vec!["m0".to_string()]);
    assert_eq!(p.charter().quorum.threshold, 3);
    assert!(matches!(
        propose(&v2, &ProposalKind::RemoveMember { id: "m9".into() }),
        Err(TrustError::Proposal(_))
    ));
}

#[test]
fn quorum_never_below_the_minimum_and_no_empty_proposals() {
    let k = Community::new(7);
    let g = k.genesis();
    assert_eq!(
        propose(&g, &ProposalKind::SetQuorum { threshold: 4 }),
        Err(TrustError::BelowMinimumQuorum {
            threshold: 4,
            minimum: 5,
            members: 7
        })
    );
    assert!(propose(&g, &ProposalKind::SetQuorum { threshold: 6 }).is_ok());
    assert!(matches!(
        propose(&g, &ProposalKind::SetQuorum { threshold: 5 }),
        Err(TrustError::Proposal(_))
    ));
}

#[test]
fn rotate_key_and_renew() {
    let k = Community::new(4);
    let g = k.genesis();
    let new = Keypair::from_seed(&[50; 32]);
    let p = propose(
        &g,
        &ProposalKind::RotateKey {
            member: "m1".into(),
            keys: vec![new.public()],
            key_threshold: 1,
        },
    )
    .unwrap();
    let mut vs = votes(&g, &p, &[0, 1, 2]);
    vs.push(Vote::sign(&g, &p, "m1", &new).unwrap());
    let v2 = verify_next(&g, &p.assemble(&g, &vs).unwrap(), k.now()).unwrap();
    let p = propose(&v2, &renew(2033)).unwrap();
    assert_eq!(p.charter().expires, "2033-01-01T00:00:00Z");
    assert!(matches!(
        propose(&v2, &renew(1999)).map(|p| p.charter().version),
        Ok(3)
    ));
}

#[test]
fn gossiped_proposals_and_votes_round_trip() {
    let k = Community::new(4);
    let g = k.genesis();
    let p = propose(&g, &renew(2031)).unwrap();
    let back = Proposal::from_bytes(&g, &p.to_bytes().unwrap()).unwrap();
    assert_eq!(back.id(), p.id());
    let v = &votes(&g, &p, &[2])[0];
    let v_back = Vote::from_bytes(&serde_json::to_vec(v).unwrap()).unwrap();
    v_back.verify(&g, &back).unwrap();
    // A vote for another proposal, or from a key not the member's.
    let other = propose(&g, &renew(2032)).unwrap();
    assert!(matches!(v.verify(&g, &other), Err(TrustError::Vote(_))));
    assert!(matches!(
        Vote::sign(&g, &p, "m2", &Community::key(3)),
        Err(TrustError::UnknownMemberKey { .. })
    ));
    assert!(matches!(
        Vote::sign(&g, &p, "m7", &Community::key(7)),
        Err(TrustError::NonMember { .. })
    ));
    let mut forged = v.clone();
    forged.member = "m1".into();
    assert!(forged.verify(&g, &p).is_err());
}

#[test]
fn a_proposal_on_the_wrong_base_is_refused() {
    let k = Community::new(4);
    let g = k.genesis();
    let p = propose(&g, &renew(2031)).unwrap();
    let v2 = verify_next(
        &g,
        &p.assemble(&g, &votes(&g, &p, &[0, 1, 2])).unwrap(),
        k.now(),
    )
    .unwrap();
    assert!(matches!(
        Proposal::from_bytes(&v2, &p.to_bytes().unwrap()),
        Err(TrustError::NotNextVersion { .. })
    ));
}

#[test]
fn equivocation_evidence_verifies_offline() {
    let k = Community::new(4);
    let g = k.genesis();
    let a = propose(&g, &renew(2031)).unwrap();
    let b = propose(&g, &renew(2032)).unwrap();
    let va = &votes(&g, &a, &[3])[0];
    let vb = &votes(&g, &b, &[3])[0];
    let e = Equivocation::from_votes((&a, va), (&b, vb)).unwrap();
    let travelled: Equivocation = serde_json::from_slice(&serde_json::to_vec(&e).unwrap()).unwrap();
    let proof = travelled.verify(&g).unwrap();
    assert_eq!(proof.member, "m3");
    assert_eq!(proof.base_version, 1);
    // The same proposal twice is no equivocation.
    let same = Equivocation::from_votes((&a, va), (&a, va)).unwrap();
    assert!(matches!(
        same.verify(&g),
        Err(TrustError::NotEquivocation(_))
    ));
    // A forged accusation: the second signature is not m3's.
    let mut forged = e.clone();
    forged.second.signatures[0].sig = votes(&g, &b, &[2])[0].sig.clone();
    assert!(matches!(
        forged.verify(&g),
        Err(TrustError::NotEquivocation(_))
    ));
    let wb = &votes(&g, &b, &[2])[0];
    assert!(Equivocation::from_votes((&a, va), (&b, wb)).is_err());
}
