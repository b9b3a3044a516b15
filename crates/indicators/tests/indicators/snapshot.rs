//! The index snapshot against a real embedded store: a current snapshot is
//! used and matches as the store's index does; a damaged, foreign or stale
//! one (indicators added, revoked, an indicator's validity over) is
//! rebuilt, never trusted and never a panic.

use std::path::{Path, PathBuf};

use concord_indicators::snapshot::{self, FILE_NAME, Freshness, Origin};
use concord_indicators::{Loaded, load_active};
use concord_matcher::{Observable, Scratch};
use concord_stix::StixObject;
use concord_store::{AnyStore, PreparedObject, Store};
use serde_json::{Value, json};

const NOW: i64 = 1_780_000_000_000_000; // 2026-05-28

fn indicator(n: u32, pattern: &str, extra: Value) -> Value {
    let mut v = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("indicator {n}"), "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    });
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

async fn put(store: &AnyStore, objects: &[Value]) {
    let batch = objects
        .iter()
        .map(|v| {
            let map = v.as_object().expect("an object").clone();
            PreparedObject::new(&StixObject::from_map(map), v.to_string())
        })
        .collect();
    store.put_batch("c", batch).await.expect("put");
}

async fn store() -> (tempfile::TempDir, AnyStore, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = concord_store::testkit::embedded_with_collection(dir.path(), "c")
        .await
        .expect("a store with collection c");
    put(
        &s,
        &[
            indicator(1, "[ipv4-addr:value = '192.0.2.1']", json!({})),
            indicator(2, "[domain-name:value = 'evil.example']", json!({})),
            indicator(
                3,
                "[ipv4-addr:value = '192.0.2.3']",
                json!({"valid_until": "2026-06-01T00:00:00Z"}),
            ),
            indicator(
                4,
                "[ipv4-addr:value = '192.0.2.4']",
                json!({"valid_from": "2026-07-01T00:00:00Z"}),
            ),
            indicator(5, "[this is no pattern]", json!({})),
        ],
    )
    .await;
    let path = dir.path().join(FILE_NAME);
    (dir, s, path)
}

/// The indicator ids each probe event hits.
fn hits(loaded: &Loaded) -> Vec<Vec<String>> {
    let probes = [
        Observable::Ipv4([192, 0, 2, 1].into()),
        Observable::Domain("evil.example".into()),
        Observable::Ipv4([192, 0, 2, 3].into()),
        Observable::Ipv4([192, 0, 2, 4].into()),
        Observable::Ipv4([192, 0, 2, 6].into()),
    ];
    let mut scratch = Scratch::default();
    probes
        .iter()
        .map(|o| {
            let mut hits = Vec::new();
            loaded
                .index
                .match_event(std::slice::from_ref(o), &mut scratch, &mut hits);
            hits.iter()
                .map(|h| loaded.index.info(h.slot).expect("info").id)
                .collect()
        })
        .collect()
}

async fn origin(store: &AnyStore, path: &Path, at: i64) -> (Loaded, Origin) {
    snapshot::current(store, path, at).await.expect("current")
}

fn rebuilt_because(o: &Origin) -> &str {
    match o {
        Origin::Built { reason, saved } => {
            assert_eq!(saved, &Ok(()), "the new snapshot is saved");
            reason
        }
        Origin::Snapshot => panic!("the snapshot was used"),
    }
}

#[tokio::test]
async fn a_current_snapshot_is_used_and_matches_as_the_store_does() {
    let (_dir, store, path) = store().await;
    let (built, o) = origin(&store, &path, NOW).await;
    assert_eq!(rebuilt_because(&o), "no snapshot yet");
    let direct = load_active(&store, NOW).await.expect("load");
    assert_eq!(hits(&built), hits(&direct));
    assert_eq!(built.index.len(), 2 + 1, "1, 2 and 3 are active");
    let (loaded, o) = origin(&store, &path, NOW + 1).await;
    assert_eq!(o, Origin::Snapshot);
    assert_eq!(hits(&loaded), hits(&direct));
    assert_eq!(loaded.unindexed, direct.unindexed);
    assert_eq!(loaded.unindexed.len(), 1);
    assert_eq!(loaded.last_row, built.last_row);
}

#[tokio::test]
async fn damaged_or_foreign_snapshots_are_rebuilt() {
    let (_dir, store, path) = store().await;
    origin(&store, &path, NOW).await;
    let good = std::fs::read(&path).expect("snapshot");
    let damages: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "truncated"),
        (good[..good.len() / 2].to_vec(), "checksum"),
        (
            b"some other file entirely, long enough to be read".repeat(3),
            "not an indicator index",
        ),
        (
            {
                let mut b = good.clone();
                let mid = b.len() / 2;
                b[mid] ^= 1;
                b
            },
            "checksum",
        ),
        (
            {
                let mut b = good.clone();
                b.push(0);
                b
            },
            "checksum",
        ),
    ];
    for (bytes, why) in damages {
        std::fs::write(&path, &bytes).expect("write");
        let (loaded, o) = origin(&store, &path, NOW).await;
        let reason = rebuilt_because(&o);
        assert!(reason.contains(why), "{reason} (expected {why})");
        assert_eq!(loaded.index.len(), 3);
        assert_eq!(std::fs::read(&path).expect("rewritten").len(), good.len());
        assert_eq!(origin(&store, &path, NOW).await.1, Origin::Snapshot);
    }
    // Every truncation and a flipped byte anywhere: rebuilt, never a panic.
    for cut in (0..good.len()).step_by(97) {
        std::fs::write(&path, &good[..cut]).expect("write");
        assert!(matches!(
            origin(&store, &path, NOW).await.1,
            Origin::Built { .. }
        ));
    }
}

#[tokio::test]
async fn changes_in_the_store_or_in_time_make_it_stale() {
    let (_dir, store, path) = store().await;
    origin(&store, &path, NOW).await;
    // A new indicator.
    put(
        &store,
        &[indicator(6, "[ipv4-addr:value = '192.0.2.6']", json!({}))],
    )
    .await;
    let (loaded, o) = origin(&store, &path, NOW).await;
    assert!(rebuilt_because(&o).contains("changed"));
    assert_eq!(hits(&loaded)[4].len(), 1, "the new indicator is matched");
    // A revocation (a newer, revoked version).
    let mut revoked = indicator(
        1,
        "[ipv4-addr:value = '192.0.2.1']",
        json!({"revoked": true}),
    );
    revoked["modified"] = json!("2026-02-01T00:00:00.000Z");
    put(&store, &[revoked]).await;
    let (loaded, o) = origin(&store, &path, NOW).await;
    assert!(rebuilt_because(&o).contains("changed"));
    assert!(
        hits(&loaded)[0].is_empty(),
        "a revoked indicator is not matched"
    );
    assert_eq!(origin(&store, &path, NOW).await.1, Origin::Snapshot);
    // Indicator 3 expires on 2026-06-01, indicator 4 starts on 2026-07-01.
    let june = 1_780_400_000_000_000; // 2026-06-02
    let (loaded, o) = origin(&store, &path, june).await;
    assert!(rebuilt_because(&o).contains("valid"));
    assert!(hits(&loaded)[2].is_empty());
    assert!(hits(&loaded)[3].is_empty());
    let july = 1_783_000_000_000_000; // 2026-07-02
    let (loaded, o) = origin(&store, &path, july).await;
    assert!(rebuilt_because(&o).contains("valid"));
    assert_eq!(hits(&loaded)[3].len(), 1);
    // A clock set back: not covered either.
    assert!(matches!(
        origin(&store, &path, NOW).await.1,
        Origin::Built { .. }
    ));
}

#[tokio::test]
async fn refresh_rewrites_only_when_needed() {
    let (_dir, store, path) = store().await;
    let mut known: Option<Freshness> = None;
    assert_eq!(
        snapshot::refresh(&store, &path, NOW, &mut known)
            .await
            .expect("refresh"),
        Ok(true)
    );
    assert_eq!(
        snapshot::refresh(&store, &path, NOW + 1, &mut known)
            .await
            .expect("refresh"),
        Ok(false)
    );
    // A fresh process (nothing known) trusts the file after checking it.
    let mut fresh = None;
    assert_eq!(
        snapshot::refresh(&store, &path, NOW + 2, &mut fresh)
            .await
            .expect("refresh"),
        Ok(false)
    );
    put(
        &store,
        &[indicator(7, "[ipv4-addr:value = '192.0.2.7']", json!({}))],
    )
    .await;
    assert_eq!(
        snapshot::refresh(&store, &path, NOW + 3, &mut known)
            .await
            .expect("refresh"),
        Ok(true)
    );
    assert_eq!(origin(&store, &path, NOW + 4).await.1, Origin::Snapshot);
    std::fs::remove_file(&path).expect("rm");
    assert_eq!(
        snapshot::refresh(&store, &path, NOW + 5, &mut known)
            .await
            .expect("refresh"),
        Ok(true)
    );
    // A directory that cannot be written: the reason, not a panic.
    let gone = path
        .parent()
        .expect("dir")
        .join("missing-dir")
        .join(FILE_NAME);
    let r = snapshot::refresh(&store, &gone, NOW, &mut None)
        .await
        .expect("refresh");
    assert!(r.is_err(), "{r:?}");
}
