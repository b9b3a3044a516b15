//! The node's own transparency log in the store: appends in the
//! transaction of what they record, tiles that `concord-tlog` reads back
//! as the RFC 6962 tree of exactly the appended entries, governance keys
//! logged once, received material kept, and the compare-and-swap the
//! witness state relies on.

use super::*;
use concord_tlog::{
    MemoryTiles, TILE_HEIGHT, Tile, TileLevel, leaf_hash, parse_entry_bundle, root_of, tiles_root,
    verify_entry_bundles, verify_hash_tiles,
};

/// An entry `d` for test object `n` (what `concord-log` builds is opaque to
/// the store).
fn entry(n: u32) -> Vec<u8> {
    let mut d = b"concord/entry/v1\n\x01".to_vec();
    d.extend_from_slice(&[n as u8; 32]);
    d.extend_from_slice(&n.to_be_bytes());
    d
}

fn authored(n: u32, modified: &str) -> PreparedObject {
    obj(n, modified, "authored").with_log(LogMark::Append {
        entry: entry(n),
        nonce: [n as u8; 32],
    })
}

/// Every stored tile of a log of `size` leaves.
async fn all_tiles<S: Store>(s: &S, size: u64) -> MemoryTiles {
    let mut keys = Vec::new();
    for level in 0..8u32 {
        let count = size >> (TILE_HEIGHT * level);
        if count == 0 {
            break;
        }
        for index in 0..=(count >> 8) {
            keys.push((TileLevel::Hashes(level as u8), index));
        }
    }
    for index in 0..=(size >> 8) {
        keys.push((TileLevel::Entries, index));
    }
    let rows = s.log_tiles(keys.clone()).await.unwrap();
    let mut tiles = MemoryTiles::new();
    for ((level, index), row) in keys.into_iter().zip(rows) {
        if let Some(data) = row {
            tiles.insert(
                &Tile {
                    level,
                    index,
                    width: 256,
                },
                data,
            );
        }
    }
    tiles
}

/// The entries of the log as its entry bundles hold them.
fn entries_of(tiles: &MemoryTiles, size: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for index in 0..=(size >> 8) {
        if let Some(b) = tiles.stored(TileLevel::Entries, index) {
            out.extend(
                parse_entry_bundle(b)
                    .unwrap()
                    .into_iter()
                    .map(<[u8]>::to_vec),
            );
        }
    }
    out
}

async fn check_tree<S: Store>(s: &S, expected: &[Vec<u8>]) {
    let size = s.log_size().await.unwrap();
    assert_eq!(size, expected.len() as u64);
    let tiles = all_tiles(s, size).await;
    let root = root_of(&expected.iter().map(|e| leaf_hash(e)).collect::<Vec<_>>());
    assert_eq!(tiles_root(size, &tiles).unwrap(), root);
    verify_hash_tiles(size, &root, &tiles).unwrap();
    verify_entry_bundles(size, &tiles).unwrap();
    assert_eq!(entries_of(&tiles, size), expected);
}

pub(super) async fn authored_versions_are_logged_with_them<S: Store>(s: &S) {
    with_collection(s, "log1").await;
    assert_eq!(s.log_size().await.unwrap(), 0);
    let batch: Vec<PreparedObject> = (0..300)
        .map(|n| authored(5000 + n, "2020-01-01T00:00:00.000Z"))
        .collect();
    s.put_batch("log1", batch).await.unwrap();
    let mut expected: Vec<Vec<u8>> = (0..300).map(|n| entry(5000 + n)).collect();
    check_tree(s, &expected).await;

    // Again, with a duplicate (already logged: nothing appended), a new
    // version, and an unlogged copy of a version stored before without
    // material, which gets its leaf now.
    s.put_batch("log1", vec![obj(6000, "2020-01-01T00:00:00.000Z", "plain")])
        .await
        .unwrap();
    let out = s
        .put_batch(
            "log1",
            vec![
                authored(5000, "2020-01-01T00:00:00.000Z"),
                authored(5001, "2020-02-01T00:00:00.000Z"),
                authored(6000, "2020-01-01T00:00:00.000Z"),
            ],
        )
        .await
        .unwrap();
    assert_eq!((out.inserted, out.duplicates), (1, 2));
    expected.push(entry(5001));
    expected.push(entry(6000));
    check_tree(s, &expected).await;

    let key = |n: u32, m: &str| {
        (
            format!("indicator--00000000-0000-4000-8000-{n:012}"),
            m.to_string(),
        )
    };
    let asked = vec![
        key(5000, "2020-01-01T00:00:00.000Z"),
        key(5001, "2020-02-01T00:00:00.000Z"),
        key(6000, "2020-01-01T00:00:00.000Z"),
        key(5002, "2020-09-09T00:00:00.000Z"),
    ];
    let bare = s.logged_versions(asked.clone(), false).await.unwrap();
    assert!(bare.iter().all(|v| v.object.json.is_empty()));
    let got = s.logged_versions(asked, true).await.unwrap();
    assert!(got.iter().all(|v| v.object.json.contains("\"id\"")));
    assert_eq!(bare.len(), got.len());
    // Pages of the collection carry the same material.
    let page = s
        .list(ListQuery {
            collection: "log1".into(),
            added_after_us: None,
            limit: 1000,
            ids: vec![key(5001, "").0],
            types: vec![],
            spec_versions: vec![],
            versions: VersionSel::All,
        })
        .await
        .unwrap();
    let logs: Vec<Option<u64>> = page.objects.iter().map(|o| o.log.map(|l| l.0)).collect();
    assert_eq!(logs, vec![Some(1), Some(300)]);
    let mut got: Vec<(String, u64, u8)> = got
        .iter()
        .map(|v| (v.object.id.clone(), v.leaf, v.nonce[0]))
        .collect();
    got.sort();
    assert_eq!(got.len(), 3, "a version not held has no material");
    assert_eq!(got[0].1, 0);
    assert_eq!(got[0].2, (5000u32 as u8));
    assert_eq!(got[1].1, 300);
    assert_eq!(got[2].1, 301);

    // A batch that fails appends nothing.
    let r = s.put_batch("missing", vec![authored(7000, "2020-01-01T00:00:00.000Z")]);
    assert!(r.await.is_err());
    check_tree(s, &expected).await;

    // Received material is kept, and does not touch the node's own log.
    s.put_batch(
        "log1",
        vec![
            obj(8000, "2020-01-01T00:00:00.000Z", "theirs").with_log(LogMark::Received {
                leaf: 77,
                nonce: [9; 32],
            }),
        ],
    )
    .await
    .unwrap();
    let theirs = s
        .logged_versions(vec![key(8000, "2020-01-01T00:00:00.000Z")], true)
        .await
        .unwrap();
    assert_eq!((theirs[0].leaf, theirs[0].nonce), (77, [9; 32]));
    check_tree(s, &expected).await;

    // Governance entries: once per key, with their records, after the
    // object entries.
    let leaf = |k: &str, n: u32| LogLeaf {
        key: k.into(),
        entry: entry(n),
    };
    let a = s
        .log_append(
            vec![
                leaf("vote v1", 1),
                leaf("proposal p1", 2),
                leaf("vote v1", 1),
            ],
            vec![Record::new("evidence", "e1", "{}")],
        )
        .await
        .unwrap();
    assert_eq!(a.appended, 2);
    assert_eq!(
        a.leaves,
        vec![
            ("vote v1".to_string(), 302),
            ("proposal p1".to_string(), 303),
            ("vote v1".to_string(), 302)
        ]
    );
    assert!(s.record("evidence", "e1").await.unwrap().is_some());
    let again = s
        .log_append(vec![leaf("proposal p1", 2)], vec![])
        .await
        .unwrap();
    assert_eq!((again.appended, again.size), (0, 304));
    expected.push(entry(1));
    expected.push(entry(2));
    check_tree(s, &expected).await;

    // A second collection filing the same authored versions appends
    // nothing: the log is of versions, not of entries.
    with_collection(s, "log2").await;
    s.put_batch("log2", vec![authored(5000, "2020-01-01T00:00:00.000Z")])
        .await
        .unwrap();
    check_tree(s, &expected).await;
}

pub(super) async fn records_swap_only_from_what_was_read<S: Store>(s: &S) {
    let rec = |v: &str| Record::new("witness", "origin-a", v);
    assert_eq!(
        s.swap_record(None, rec("1")).await.unwrap(),
        RecordSwap::Done
    );
    match s.swap_record(None, rec("2")).await.unwrap() {
        RecordSwap::Changed(Some(r)) => assert_eq!(r.value, "1"),
        other => panic!("{other:?}"),
    }
    match s.swap_record(Some("0".into()), rec("2")).await.unwrap() {
        RecordSwap::Changed(Some(r)) => assert_eq!(r.value, "1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.swap_record(Some("1".into()), rec("2")).await.unwrap(),
        RecordSwap::Done
    );
    assert_eq!(
        s.record("witness", "origin-a")
            .await
            .unwrap()
            .unwrap()
            .value,
        "2"
    );
    match s
        .swap_record(Some("1".into()), Record::new("witness", "origin-b", "x"))
        .await
        .unwrap()
    {
        RecordSwap::Changed(None) => {}
        other => panic!("{other:?}"),
    }
}

/// Writers with their own connections append authored batches at once:
/// every version gets a distinct leaf, the leaves are 0..n without a gap,
/// and the tiles are the tree of exactly those entries. Racing swaps of
/// one record: each expected value wins at most once.
pub(super) async fn concurrent_appends<S: Store + Clone + 'static>(first: S, writers: Vec<S>) {
    with_collection(&first, "logged").await;
    let mut tasks = Vec::new();
    for (w, store) in writers.into_iter().enumerate() {
        let w = w as u32;
        tasks.push(tokio::spawn(async move {
            let mut won = 0;
            for b in 0..10u32 {
                let batch = (0..7u32)
                    .map(|i| authored(200_000 + w * 1000 + b * 7 + i, "2021-01-01T00:00:00.000Z"))
                    .collect();
                store.put_batch("logged", batch).await.unwrap();
                let read = store.record("race", "r").await.unwrap().map(|r| r.value);
                let next = format!("{w}-{b}");
                if store
                    .swap_record(read, Record::new("race", "r", next))
                    .await
                    .unwrap()
                    == RecordSwap::Done
                {
                    won += 1;
                }
            }
            won
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += t.await.unwrap();
    }
    assert!(won >= 1);
    let n = first.log_size().await.unwrap();
    assert_eq!(n, 4 * 10 * 7);
    let tiles = all_tiles(&first, n).await;
    let entries = entries_of(&tiles, n);
    let root = root_of(&entries.iter().map(|e| leaf_hash(e)).collect::<Vec<_>>());
    verify_hash_tiles(n, &root, &tiles).unwrap();
    let mut leaves = Vec::new();
    for w in 0..4u32 {
        for i in 0..70u32 {
            let id = format!(
                "indicator--00000000-0000-4000-8000-{:012}",
                200_000 + w * 1000 + i
            );
            let v = first
                .logged_versions(vec![(id, "2021-01-01T00:00:00.000Z".into())], true)
                .await
                .unwrap();
            let leaf = v[0].leaf;
            assert_eq!(entries[leaf as usize], entry(200_000 + w * 1000 + i));
            leaves.push(leaf);
        }
    }
    leaves.sort_unstable();
    assert_eq!(leaves, (0..n).collect::<Vec<_>>());
}
