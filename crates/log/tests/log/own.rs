//! The node's own log: checkpoints, tiles, proofs, cosignatures, audit.

use std::time::Duration;

use concord_log::own::{
    accept_cosignatures, checkpoint_if_due, inclusion_proofs, served_checkpoint, status, tile,
};
use concord_stix::Timestamp;
use concord_store::Store;
use concord_tlog::{AddCheckpoint, verify_inclusion};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_come_at_most_once_per_interval_and_only_when_the_log_grew() {
    let (_d, s) = store().await;
    let me = Member::new(1);
    let origin = me.origin();
    let hour = Duration::from_secs(3600);
    // Nothing logged: nothing to sign.
    assert!(
        checkpoint_if_due(&s, &me.key, &origin, hour, Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    author(&s, &me, 0, 300).await;
    let first = checkpoint_if_due(&s, &me.key, &origin, hour, Timestamp::now())
        .await
        .unwrap()
        .expect("the first checkpoint is due");
    assert_eq!(first.checkpoint().size, 300);
    first.verify_by_member(&me.key.public()).unwrap();
    // The log grows, but the interval has not passed.
    author(&s, &me, 300, 310).await;
    assert!(
        checkpoint_if_due(&s, &me.key, &origin, hour, Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    // An hour later it is due; the same size again never is.
    let later = Timestamp(Timestamp::now().0 + 3_700_000_000);
    let second = checkpoint_if_due(&s, &me.key, &origin, hour, later)
        .await
        .unwrap()
        .expect("due");
    assert_eq!(second.checkpoint().size, 310);
    let much_later = Timestamp(later.0 + 7_400_000_000);
    assert!(
        checkpoint_if_due(&s, &me.key, &origin, hour, much_later)
            .await
            .unwrap()
            .is_none()
    );
    // A new origin (a charter was adopted): signed under it, same tree.
    let renamed = checkpoint_if_due(&s, &me.key, "concord/c1/me", hour, much_later)
        .await
        .unwrap()
        .expect("a checkpoint of the new origin");
    assert_eq!(renamed.checkpoint().root, second.checkpoint().root);
    // What is served is the latest, and every leaf is provably in it.
    let served = served_checkpoint(&s).await.unwrap().expect("served");
    assert_eq!(served.checkpoint(), renamed.checkpoint());
    let leaves: Vec<u64> = (0..310).step_by(7).collect();
    let proofs = inclusion_proofs(&s, 310, &leaves).await.unwrap();
    let logged = s
        .logged_versions(
            (0..310u64)
                .step_by(7)
                .map(|i| {
                    (
                        format!("indicator--00000000-0000-4000-8000-{i:012}"),
                        "2026-01-01T00:00:00.000Z".into(),
                    )
                })
                .collect(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(logged.len(), leaves.len());
    for l in &logged {
        let i = leaves.iter().position(|x| *x == l.leaf).expect("asked for");
        let map = concord_stix::json::parse_object(l.object.json.as_bytes()).unwrap();
        let leaf = concord_tlog::Entry::Intel(concord_tlog::commitment(&map, &l.nonce).unwrap())
            .leaf_hash();
        verify_inclusion(l.leaf, 310, &leaf, &proofs[i], &served.checkpoint().root).unwrap();
    }
    let st = status(&s, "concord/c1/me").await.unwrap();
    assert_eq!((st.size, st.checkpoint.is_some()), (310, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_are_served_at_every_width_a_checkpoint_needs() {
    let (_d, s) = store().await;
    let me = Member::new(2);
    author(&s, &me, 0, 300).await;
    let full = tile(&s, "tile/0/000").await.unwrap().expect("full tile");
    assert_eq!(full.len(), 256 * 32);
    let part = tile(&s, "tile/0/001.p/44").await.unwrap().expect("partial");
    assert_eq!(part.len(), 44 * 32);
    let narrower = tile(&s, "tile/0/001.p/10")
        .await
        .unwrap()
        .expect("a prefix");
    assert_eq!(narrower, part[..320]);
    let entries = tile(&s, "tile/entries/001.p/44")
        .await
        .unwrap()
        .expect("entries");
    assert_eq!(
        concord_tlog::parse_entry_bundle(&entries).unwrap().len(),
        44
    );
    assert!(
        tile(&s, "tile/0/001.p/45").await.unwrap().is_none(),
        "wider than held"
    );
    assert!(tile(&s, "tile/0/002").await.unwrap().is_none());
    assert!(
        tile(&s, "tile/0/1").await.unwrap().is_none(),
        "not a tile path"
    );
}

/// Signing reads only the tiles at the log's right edge (a checkpoint a
/// minute must not cost a pass over the whole log), so a changed tile in
/// the middle is found by the audit (`concord log verify`), which hashes
/// every tile up to the checkpoint's root, before and after more entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_whose_tiles_changed_is_caught_by_the_audit() {
    let (d, s) = store().await;
    let me = Member::new(3);
    let dir = directory(&me, &[]);
    author(&s, &me, 0, 600).await;
    checkpoint_if_due(&s, &me.key, &me.origin(), Duration::ZERO, Timestamp::now())
        .await
        .unwrap()
        .expect("signed");
    let audit = concord_log::audit::own(&s, &dir).await.unwrap();
    assert!(audit.ok(), "{audit:?}");
    // A byte of a stored leaf tile changes (a damaged or rolled-back store).
    let conn = rusqlite::Connection::open(d.path().join(concord_store::sqlite::DB_FILE)).unwrap();
    let mut data: Vec<u8> = conn
        .query_row(
            "SELECT data FROM log_tiles WHERE level = 0 AND idx = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    data[5] ^= 1;
    conn.execute(
        "UPDATE log_tiles SET data = ?1 WHERE level = 0 AND idx = 1",
        [&data],
    )
    .unwrap();
    drop(conn);
    let audit = concord_log::audit::own(&s, &dir).await.unwrap();
    assert!(!audit.ok(), "the audit found nothing: {audit:?}");
    author(&s, &me, 600, 700).await;
    checkpoint_if_due(&s, &me.key, &me.origin(), Duration::ZERO, Timestamp::now())
        .await
        .unwrap();
    let audit = concord_log::audit::own(&s, &dir).await.unwrap();
    assert!(
        !audit.ok() && audit.failed.iter().any(|f| f.contains("hash tiles")),
        "the audit found nothing after more entries: {audit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosignatures_of_its_own_checkpoints_are_kept_and_served() {
    let (_d, s) = store().await;
    let (_wd, ws) = store().await;
    let me = Member::new(4);
    let w = Member::new(5);
    author(&s, &me, 0, 20).await;
    let c = checkpoint_if_due(&s, &me.key, &me.origin(), Duration::ZERO, Timestamp::now())
        .await
        .unwrap()
        .expect("signed");
    // W witnesses it (W's directory follows this member's log).
    let w_dir = directory(&w, &[(&me, "me")]);
    let body = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: c.clone(),
    }
    .to_bytes();
    let cosigned = concord_log::witness::add_checkpoint(&ws, &w_dir, &w.key, &body)
        .await
        .unwrap()
        .expect("cosigned");
    let mut note = c.clone();
    note.add_signature(cosigned.cosignature).unwrap();
    let my_dir = directory(&me, &[(&w, "w")]);
    let kept = accept_cosignatures(&s, &note.to_bytes(), &my_dir.witnesses().unwrap())
        .await
        .unwrap();
    assert_eq!(kept, vec![format!("{}/witness", w.origin())]);
    let served = served_checkpoint(&s).await.unwrap().unwrap();
    assert_eq!(
        served
            .cosignatures(&my_dir.witnesses().unwrap())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(status(&s, &me.origin()).await.unwrap().cosigned_by, kept);
    // A note this node never signed is refused.
    let (_, other) = {
        let (_od, os) = store().await;
        author(&os, &me, 100, 130).await;
        let o = checkpoint_if_due(&os, &me.key, &me.origin(), Duration::ZERO, Timestamp::now())
            .await
            .unwrap()
            .unwrap();
        (_od, o)
    };
    assert!(
        accept_cosignatures(&s, &other.to_bytes(), &my_dir.witnesses().unwrap())
            .await
            .is_err()
    );
}
