//! The witness over the store: tlog-witness answers, the state moved only
//! by compare-and-swap (never down under concurrency), evidence of a
//! second root kept, logged and verifiable with the member's key alone.

use std::sync::Arc;

use concord_log::witness::{add_checkpoint, held};
use concord_store::Store;
use concord_tlog::{
    AddCheckpoint, Checkpoint, MemoryTree, NoteSigner, Rejection, SignedCheckpoint,
    consistency_proof, leaf_hash,
};

use crate::common::*;

fn tree(n: u64, seed: &str) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        t.push(leaf_hash(format!("{seed} {i}").as_bytes()));
    }
    t
}

fn checkpoint(m: &Member, t: &mut MemoryTree, size: u64) -> SignedCheckpoint {
    let signer = NoteSigner::new(&m.origin(), m.key.clone()).unwrap();
    SignedCheckpoint::sign(
        Checkpoint::new(&m.origin(), size, t.root(size).unwrap()),
        &signer,
    )
    .unwrap()
}

fn body(m: &Member, t: &mut MemoryTree, old: u64, size: u64) -> Vec<u8> {
    let proof = if old == 0 {
        vec![]
    } else {
        consistency_proof(old, size, t).unwrap()
    };
    AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: checkpoint(m, t, size),
    }
    .to_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_witness_answers_as_tlog_witness_says_and_never_goes_back() {
    let (_d, s) = store().await;
    let w = Member::new(10);
    let l = Member::new(11);
    let dir = Arc::new(directory(&w, &[(&l, "l")]));
    let mut t = tree(500, "log");
    let ok = add_checkpoint(&s, &dir, &w.key, &body(&l, &mut t, 0, 5))
        .await
        .unwrap();
    assert!(ok.is_ok(), "{ok:?}");
    // A stale old size: 409 with the size held.
    let r = add_checkpoint(&s, &dir, &w.key, &body(&l, &mut t, 0, 9))
        .await
        .unwrap();
    assert!(
        matches!(r, Err(Rejection::Conflict { stored_size: 5 })),
        "{r:?}"
    );
    // Concurrent requests from the same old size: exactly one wins.
    let mut size = 5;
    for round in 0..5u64 {
        let mut tasks = Vec::new();
        for k in 1..=8u64 {
            let new = size + k * (round + 3);
            let b = body(&l, &mut t, size, new);
            let (s, dir, key) = (s.clone(), dir.clone(), w.key.clone());
            tasks.push(tokio::spawn(async move {
                (new, add_checkpoint(&s, &dir, &key, &b).await.unwrap())
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            let (new, r) = task.await.unwrap();
            match r {
                Ok(_) => won.push(new),
                Err(Rejection::Conflict { stored_size }) => assert!(stored_size > size),
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {won:?}");
        let now = held(&s, &l.origin())
            .await
            .unwrap()
            .unwrap()
            .checkpoint()
            .size;
        assert_eq!(now, won[0]);
        assert!(now > size);
        size = now;
    }
    // A bad proof: 422, nothing moves.
    let mut bad = AddCheckpoint::parse(&body(&l, &mut t, size, size + 4)).unwrap();
    bad.proof[0].0[3] ^= 1;
    let r = add_checkpoint(&s, &dir, &w.key, &bad.to_bytes())
        .await
        .unwrap();
    assert!(matches!(r, Err(Rejection::Unprocessable { .. })), "{r:?}");
    // Another root at the held size: 422, and evidence kept and logged.
    let before = s.log_size().await.unwrap();
    let mut other = tree(size, "another history");
    let r = add_checkpoint(&s, &dir, &w.key, &body(&l, &mut other, 0, size))
        .await
        .unwrap();
    assert!(
        matches!(r, Err(Rejection::Conflict { .. })),
        "old 0 is stale first: {r:?}"
    );
    let second = AddCheckpoint {
        old_size: size,
        proof: vec![],
        checkpoint: checkpoint(&l, &mut other, size),
    };
    let r = add_checkpoint(&s, &dir, &w.key, &second.to_bytes())
        .await
        .unwrap();
    assert!(
        matches!(
            r,
            Err(Rejection::Unprocessable {
                evidence: Some(_),
                ..
            })
        ),
        "{r:?}"
    );
    let kept = concord_log::evidence::list(&s).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].member.as_str(), kept[0].kind.as_str()),
        (l.identity.as_str(), "same-size")
    );
    let e = concord_tlog::Evidence::from_json(kept[0].evidence.to_string().as_bytes()).unwrap();
    e.verify(&l.key.public()).unwrap();
    let offline = concord_log::bundle::verify_offline(
        kept[0].evidence.to_string().as_bytes(),
        &l.key.public(),
    )
    .unwrap();
    assert_eq!(offline.to_json()["evidence"], true);
    assert!(
        offline.to_string().starts_with("valid evidence: \""),
        "{offline}"
    );
    assert!(e.verify(&w.key.public()).is_err());
    assert_eq!(
        s.log_size().await.unwrap(),
        before + 1,
        "the evidence is in the witness's own log"
    );
    // The same evidence again is not kept twice.
    let r = add_checkpoint(&s, &dir, &w.key, &second.to_bytes())
        .await
        .unwrap();
    assert!(r.is_err());
    assert_eq!(concord_log::evidence::list(&s).await.unwrap().len(), 1);
    assert_eq!(
        held(&s, &l.origin())
            .await
            .unwrap()
            .unwrap()
            .checkpoint()
            .size,
        size
    );
    // Not a followed log: 404.
    let stranger = Member::new(12);
    let mut st = tree(3, "x");
    let r = add_checkpoint(&s, &dir, &w.key, &body(&stranger, &mut st, 0, 3))
        .await
        .unwrap();
    assert!(matches!(r, Err(Rejection::UnknownLog { .. })), "{r:?}");
}
