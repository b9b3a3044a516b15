//! Node keys listed in the charter: optional, checked like governance keys,
//! and absent from the signed form when empty (old charters keep their hash).

use concord_trust::testkit::Community;
use concord_trust::{Charter, KeyEntry, Keypair, TrustError, genesis};

#[test]
fn empty_node_keys_are_not_serialised() {
    let k = Community::new(3);
    let c = k.genesis_charter();
    let v = c.to_value().unwrap();
    assert!(v["members"]["m0"].get("node_keys").is_none());
    assert_eq!(Charter::from_value(&v).unwrap(), c);
}

#[test]
fn node_keys_round_trip_and_are_checked() {
    let k = Community::new(3);
    let founders: Vec<_> = (0..3)
        .map(|i| {
            let mut f = k.founder(i);
            f.node_keys = vec![Keypair::from_seed(&[i as u8 + 1; 32]).public()];
            f
        })
        .collect();
    let c = genesis(&k.community, &founders, &k.expires).unwrap();
    let v = c.to_value().unwrap();
    assert_eq!(Charter::from_value(&v).unwrap(), c);
    assert_eq!(c.members["m1"].node_keys.len(), 1);

    // The same node key for two members is refused.
    let mut dup = c.clone();
    let shared = dup.members["m0"].node_keys.clone();
    dup.members.get_mut("m1").unwrap().node_keys = shared;
    assert!(matches!(dup.check(), Err(TrustError::DuplicateKey { .. })));

    // A node key listed under a wrong key id is refused.
    let mut wrong = c.clone();
    let other = Keypair::from_seed(&[9; 32]).public();
    wrong.members.get_mut("m2").unwrap().node_keys =
        [("00".repeat(32), KeyEntry::ed25519(&other))].into();
    assert!(matches!(
        wrong.check(),
        Err(TrustError::KeyIdMismatch { .. })
    ));
}
