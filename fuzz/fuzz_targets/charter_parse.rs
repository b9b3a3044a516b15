//! Governance documents from peers: charters, proposals, votes, node-key
//! delegations and equivocation evidence, decoded and verified against a
//! fixed 4-member community. Any bytes must give a verdict, never a panic,
//! and whatever verifies must verify again after a round trip.
#![no_main]

use std::sync::OnceLock;

use concord_stix::Timestamp;
use concord_trust::testkit::Community;
use concord_trust::{
    Delegation, Equivocation, Proposal, ProposalKind, VerifiedCharter, Vote, propose,
    verify_genesis, verify_next, verify_step,
};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    community: Community,
    genesis: VerifiedCharter,
    proposal: Proposal,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let community = Community::new(4);
        let genesis = community.genesis();
        let kind = ProposalKind::Renew {
            expires: "2031-01-01T00:00:00Z".into(),
        };
        let proposal = propose(&genesis, &kind).expect("the fixture proposal is valid");
        Fixture {
            community,
            genesis,
            proposal,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let now = f.community.now();
    match mode % 6 {
        0 => {
            if let Ok(next) = verify_step(&f.genesis, body) {
                let again = verify_step(&f.genesis, &next.to_bytes().expect("serialises"))
                    .expect("a verified charter verifies again");
                assert_eq!(again.hash(), next.hash());
                assert!(next.version() == 2);
            }
        }
        1 => {
            if let Ok(p) = Proposal::from_bytes(&f.genesis, body) {
                let votes: Vec<Vote> = (0..4)
                    .filter_map(|i| {
                        Vote::sign(&f.genesis, &p, &Community::member_id(i), &Community::key(i))
                            .ok()
                    })
                    .collect();
                for v in &votes {
                    v.verify(&f.genesis, &p).expect("a fresh vote verifies");
                }
                let bytes = p.assemble(&f.genesis, &votes).expect("assembles");
                if let Ok(v2) = verify_next(&f.genesis, &bytes, now) {
                    assert_eq!(v2.hash(), p.id());
                }
            }
        }
        2 => {
            if let Ok(v) = Vote::from_bytes(body) {
                let _ = v.verify(&f.genesis, &f.proposal);
            }
        }
        3 => {
            if let Ok(d) = Delegation::from_bytes(body) {
                if let Ok(v) = d.verify(&f.genesis, now) {
                    assert!(v.not_after > now);
                }
            }
        }
        4 => {
            if let Ok(e) = serde_json::from_slice::<Equivocation>(body) {
                if let Ok(proof) = e.verify(&f.genesis) {
                    assert_ne!(proof.proposals.0, proof.proposals.1);
                }
            }
        }
        _ => {
            let _ = verify_genesis(body, &f.genesis.hash());
            let _ = verify_next(&f.genesis, body, Timestamp(i64::MAX));
        }
    }
});
