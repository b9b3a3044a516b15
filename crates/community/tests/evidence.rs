//! Evidence that travels between nodes is kept as rebuilt from what
//! verified: a hostile member holding one real proof of equivocation must
//! not get other nodes to show an accusation against an innocent member.

use concord_community::ballot;
use concord_community::chain;
use concord_community::exchange::{self, DOCUMENTS_TYPE};
use concord_community::ledger::Ledger;
use concord_trust::testkit::Community;
use concord_trust::{Equivocation, ProposalKind, Vote};
use serde_json::json;

#[test]
fn a_relabelled_proof_accuses_only_the_member_it_proves() {
    let c = Community::new(4);
    let charter = c.genesis_charter();
    let bytes = c.sign(&charter, &[0, 1, 2, 3]);
    let pin = charter.hash().expect("hash");
    let now = c.now();
    // The victim node holds the community.
    let dir = tempfile::tempdir().expect("tmp");
    let ledger = Ledger::new(dir.path());
    let held = chain::bootstrap(&ledger, &bytes, Some(pin), now, "test").expect("adopt");
    let head = held.head().clone();
    // Member 0 really signs two proposals on one base (made on another
    // node, so the victim has not seen them).
    let other_dir = tempfile::tempdir().expect("tmp");
    let other = Ledger::new(other_dir.path());
    chain::bootstrap(&other, &bytes, Some(pin), now, "test").expect("adopt");
    let p1 = ballot::create(&other, &head, &ProposalKind::SetQuorum { threshold: 4 }).expect("p1");
    let p2 = ballot::create(
        &other,
        &head,
        &ProposalKind::Renew {
            expires: "2031-01-01T00:00:00Z".into(),
        },
    )
    .expect("p2");
    let guilty = Community::member_id(0);
    let v1 = Vote::sign(&head, &p1, &guilty, &Community::key(0)).expect("vote 1");
    let v2 = Vote::sign(&head, &p2, &guilty, &Community::key(0)).expect("vote 2");
    let eq = Equivocation::from_votes((&p1, &v1), (&p2, &v2)).expect("equivocation");
    // A hostile member sends the real proof, labelled as member 2's.
    let innocent = Community::member_id(2);
    let doc = json!({
        "_type": DOCUMENTS_TYPE,
        "charters": [], "proposals": [], "votes": [],
        "evidence": [{
            "kind": "equivocation",
            "member": innocent,
            "base_version": 1,
            "proposals": ["00".repeat(32), "11".repeat(32)],
            "evidence": eq,
        }],
    });
    let report = exchange::ingest(&ledger, &doc, None, now).expect("ingest");
    assert_eq!(report.new_evidence, 1, "{:?}", report.rejected);
    let kept = ledger.evidence().expect("evidence");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0]["member"],
        json!(guilty),
        "the proof's member, not the label"
    );
    assert_ne!(kept[0]["member"], json!(innocent));
    let mut ids = vec![p1.id().to_hex(), p2.id().to_hex()];
    ids.sort();
    assert_eq!(kept[0]["proposals"], json!(ids));
}
