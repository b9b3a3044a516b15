//! Offline bundles: written from the store under the latest checkpoint,
//! checked with the member's key alone, the first changed object named,
//! taken in with the author's log material.

use std::time::Duration;

use concord_log::bundle::{Offline, export, take_in, verify, verify_offline};
use concord_log::own::checkpoint_if_due;
use concord_stix::Timestamp;
use concord_store::{LogMark, ScanQuery, Store};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_bundle_checks_offline_and_names_the_object_a_byte_changed() {
    let (_d, s) = store().await;
    let me = Member::new(20);
    author(&s, &me, 0, 6).await;
    // Not under a checkpoint yet: refused.
    let all = s
        .scan_latest(ScanQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(export(&s, &me.key, all.clone()).await.is_err());
    checkpoint_if_due(&s, &me.key, &me.origin(), Duration::ZERO, Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    // Logged after the checkpoint: left out.
    author(&s, &me, 6, 8).await;
    let all = s
        .scan_latest(ScanQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let (bytes, report) = export(&s, &me.key, all).await.unwrap();
    assert_eq!((report.objects, report.left_out, report.size), (6, 2, 6));
    let r = verify(&bytes, &me.key.public()).unwrap();
    assert_eq!(r.objects.len(), 6);
    assert!(verify(&bytes, &Member::new(21).key.public()).is_err());
    // As `concord verify` checks it: a bundle, reported in a line and JSON.
    let offline = verify_offline(&bytes, &me.key.public()).unwrap();
    assert!(matches!(offline, Offline::Bundle(_)));
    assert_eq!(offline.to_json()["objects"], 6);
    let line = offline.to_string();
    assert!(
        line.starts_with("verified: 6 objects signed by the key, included in \""),
        "{line}"
    );
    assert!(line.ends_with("under the checkpoint of size 6"), "{line}");
    // One character of object 3's name.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let bent = text.replacen("indicator 3 é", "indicator 3 e", 1);
    assert_ne!(bent, text);
    let err = verify(bent.as_bytes(), &me.key.public())
        .unwrap_err()
        .to_string();
    let offline = verify_offline(bent.as_bytes(), &me.key.public()).unwrap_err();
    assert!(offline.to_string().contains("000000000003"), "{offline}");
    assert!(
        err.contains("indicator--00000000-0000-4000-8000-000000000003"),
        "{err}"
    );
    // Another member takes it in with the author's material.
    let other = Member::new(22);
    let dir = directory(&other, &[(&me, "me")]);
    let (objects, report, _) = take_in(&bytes, &dir).unwrap();
    assert_eq!((objects.len(), report.size), (6, 6));
    assert!(
        objects
            .iter()
            .all(|o| matches!(o.log, Some(LogMark::Received { leaf, .. }) if leaf < 6))
    );
    assert!(take_in(bent.as_bytes(), &dir).is_err());
    // From a log that is no member's: refused.
    assert!(take_in(&bytes, &directory(&other, &[])).is_err());
}
