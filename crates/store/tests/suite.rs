//! The store conformance suite: one set of checks, run against every
//! backend (today the embedded one; PostgreSQL joins by adding an opener).
#![expect(
    clippy::unwrap_used,
    reason = "the conformance checks are tests run by #[test] functions: a failed unwrap is a failed check"
)]

use concord_stix::{StixObject, json::parse_object};
use concord_store::*;
use std::collections::HashSet;

#[path = "suite/bodies.rs"]
mod bodies;
#[path = "suite/log.rs"]
mod log;

fn obj(id_n: u32, modified: &str, name: &str) -> PreparedObject {
    let text = format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{id_n:012}","created":"2020-01-01T00:00:00.000Z","modified":"{modified}","name":"{name}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}}"#,
        id_n % 250
    );
    let o = StixObject::from_map(parse_object(text.as_bytes()).unwrap());
    PreparedObject::new(&o, text)
}

async fn with_collection<S: Store>(s: &S, id: &str) {
    s.create_collection(NewCollection {
        id: Some(id.into()),
        title: format!("title {id}"),
        description: String::new(),
        public: false,
    })
    .await
    .unwrap();
}

async fn versions_are_kept_and_deduplicated<S: Store>(s: &S) {
    with_collection(s, "c1").await;
    let out = s
        .put_batch(
            "c1",
            vec![
                obj(1, "2020-01-02T00:00:00.000Z", "second"),
                obj(1, "2020-01-01T00:00:00.000Z", "first"),
                obj(1, "2020-01-03T00:00:00.000Z", "third"),
                obj(1, "2020-01-02T00:00:00.000Z", "second again"),
            ],
        )
        .await
        .unwrap();
    assert_eq!((out.inserted, out.duplicates), (3, 1));
    let id = "indicator--00000000-0000-4000-8000-000000000001";
    let all = s.versions(id, VersionSel::All).await.unwrap();
    let v: Vec<_> = all.iter().map(|o| o.version.as_str()).collect();
    assert_eq!(
        v,
        [
            "2020-01-01T00:00:00.000Z",
            "2020-01-02T00:00:00.000Z",
            "2020-01-03T00:00:00.000Z"
        ]
    );
    assert!(
        all[1].json.contains("\"second\""),
        "the first copy of a version is kept"
    );
    let last = s.versions(id, VersionSel::Last).await.unwrap();
    assert_eq!(last[0].version, "2020-01-03T00:00:00.000Z");
    let first = s.versions(id, VersionSel::First).await.unwrap();
    assert_eq!(first[0].version, "2020-01-01T00:00:00.000Z");
    let at = s
        .versions(id, VersionSel::At(vec!["2020-01-02T00:00:00.000Z".into()]))
        .await
        .unwrap();
    assert_eq!(at.len(), 1);
    // An older version arriving later does not become the latest.
    s.put_batch("c1", vec![obj(1, "2019-12-31T00:00:00.000Z", "zeroth")])
        .await
        .unwrap();
    let last = s.versions(id, VersionSel::Last).await.unwrap();
    assert_eq!(last[0].version, "2020-01-03T00:00:00.000Z");
    // The oldest held version of each id, in one batch; ids not held are
    // left out.
    let firsts = s
        .first_versions(vec![
            id.to_string(),
            "indicator--00000000-0000-4000-8000-00000000ffff".to_string(),
        ])
        .await
        .unwrap();
    assert_eq!(firsts.len(), 1);
    assert_eq!(
        (firsts[0].id.as_str(), firsts[0].version.as_str()),
        (id, "2019-12-31T00:00:00.000Z")
    );
    assert!(s.first_versions(Vec::new()).await.unwrap().is_empty());
    let stats = s.stats().await.unwrap();
    assert_eq!((stats.objects, stats.versions), (1, 4));
    assert_eq!(stats.by_tlp, vec![("green".to_string(), 1)]);
}

async fn date_added_is_strictly_increasing_and_pages_are_exact<S: Store>(s: &S) {
    with_collection(s, "c2").await;
    assert_eq!(s.last_added("c2").await.unwrap(), None);
    assert!(matches!(
        s.last_added("no-such-collection").await,
        Err(concord_store::StoreError::UnknownCollection(_))
    ));
    let mut last = None;
    for b in 0..10u32 {
        let batch = (0..37u32)
            .map(|i| obj(1000 + b * 37 + i, "2021-01-01T00:00:00.000Z", "x"))
            .collect();
        last = s.put_batch("c2", batch).await.unwrap().last_added_us;
        // The last date handed out is the batch's last.
        assert_eq!(s.last_added("c2").await.unwrap(), last);
    }
    // Filing an object again in the same collection adds no entry.
    let again = s
        .put_batch("c2", vec![obj(1000, "2021-01-01T00:00:00.000Z", "x")])
        .await
        .unwrap();
    assert_eq!(again.last_added_us, None);
    for limit in 1..=7 {
        let mut cursor = None;
        let mut seen = Vec::new();
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(rounds < 1000, "paging must end");
            let page = s
                .list(ListQuery {
                    collection: "c2".into(),
                    added_after_us: cursor,
                    limit,
                    ids: vec![],
                    types: vec![],
                    spec_versions: vec![],
                    versions: VersionSel::All,
                })
                .await
                .unwrap();
            for o in &page.objects {
                seen.push((o.date_added_us.unwrap(), o.id.clone()));
            }
            if let Some(last) = page.objects.last() {
                cursor = last.date_added_us;
            }
            if !page.more {
                break;
            }
        }
        assert_eq!(seen.len(), 370, "limit {limit}");
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0),
            "strictly increasing"
        );
        let ids: HashSet<_> = seen.iter().map(|s| &s.1).collect();
        assert_eq!(ids.len(), 370);
        assert_eq!(seen.last().map(|s| s.0), last);
    }
}

async fn list_filters<S: Store>(s: &S) {
    with_collection(s, "c3").await;
    s.put_batch(
        "c3",
        vec![
            obj(7, "2020-01-01T00:00:00.000Z", "a"),
            obj(7, "2020-02-01T00:00:00.000Z", "b"),
            obj(8, "2020-01-01T00:00:00.000Z", "c"),
        ],
    )
    .await
    .unwrap();
    let q = |versions: VersionSel, ids: Vec<String>| ListQuery {
        collection: "c3".into(),
        added_after_us: None,
        limit: 100,
        ids,
        types: vec!["indicator".into()],
        spec_versions: vec!["2.1".into()],
        versions,
    };
    assert_eq!(
        s.list(q(VersionSel::All, vec![]))
            .await
            .unwrap()
            .objects
            .len(),
        3
    );
    let last = s.list(q(VersionSel::Last, vec![])).await.unwrap().objects;
    assert_eq!(last.len(), 2);
    assert!(last.iter().any(|o| o.version == "2020-02-01T00:00:00.000Z"));
    let first = s.list(q(VersionSel::First, vec![])).await.unwrap().objects;
    assert!(
        first
            .iter()
            .all(|o| o.version == "2020-01-01T00:00:00.000Z")
    );
    let one = s
        .list(q(
            VersionSel::All,
            vec!["indicator--00000000-0000-4000-8000-000000000008".into()],
        ))
        .await
        .unwrap()
        .objects;
    assert_eq!(one.len(), 1);
    let none = s
        .list(ListQuery {
            types: vec!["malware".into()],
            ..q(VersionSel::All, vec![])
        })
        .await
        .unwrap();
    assert!(none.objects.is_empty() && !none.more);
    assert!(matches!(
        s.list(ListQuery {
            collection: "nope".into(),
            ..q(VersionSel::All, vec![])
        })
        .await,
        Err(StoreError::UnknownCollection(_))
    ));
}

async fn failed_batch_writes_nothing<S: Store>(s: &S) {
    let before = s.stats().await.unwrap().versions;
    let r = s
        .put_batch("missing", vec![obj(99, "2020-01-01T00:00:00.000Z", "lost")])
        .await;
    assert!(matches!(r, Err(StoreError::UnknownCollection(_))));
    assert_eq!(s.stats().await.unwrap().versions, before);
}

async fn search_finds_substrings_in_any_script<S: Store>(s: &S) {
    with_collection(s, "c4").await;
    let a = obj(
        500,
        "2020-01-01T00:00:00.000Z",
        "恶意软件 loader for evil.example.com",
    );
    let b = obj(501, "2020-01-01T00:00:00.000Z", "Emotet banking trojan");
    s.put_batch("c4", vec![a, b]).await.unwrap();
    assert!(
        s.search_backlog().await.unwrap() > 0,
        "writes leave the index behind"
    );
    let hits = s.search("恶意软", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].id.ends_with("000000000500"));
    assert_eq!(s.search("xample.co", 10).await.unwrap().len(), 1);
    assert_eq!(s.search("emotet TROJAN", 10).await.unwrap().len(), 1);
    assert!(s.search("emotet absent", 10).await.unwrap().is_empty());
    assert!(matches!(
        s.search("ab", 10).await,
        Err(StoreError::InvalidQuery(_))
    ));
}

async fn scan_latest_pages_through_everything<S: Store>(s: &S) {
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = s
            .scan_latest(ScanQuery {
                after_row: after,
                limit: 3,
                ..Default::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.row;
        n += page.len();
    }
    assert_eq!(n as u64, s.stats().await.unwrap().objects);
}

async fn version_unions_and_removal<S: Store>(s: &S) {
    with_collection(s, "c5").await;
    with_collection(s, "c6").await;
    let id = "indicator--00000000-0000-4000-8000-000000000050";
    let batch = vec![
        obj(50, "2020-01-01T00:00:00.000Z", "v1"),
        obj(50, "2020-01-02T00:00:00.000Z", "v2"),
        obj(50, "2020-01-03T00:00:00.000Z", "v3"),
    ];
    s.put_batch("c5", batch.clone()).await.unwrap();
    s.put_batch("c6", batch).await.unwrap();
    let q = |versions: VersionSel| ListQuery {
        collection: "c5".into(),
        added_after_us: None,
        limit: 10,
        ids: vec![id.into()],
        types: vec![],
        spec_versions: vec![],
        versions,
    };
    let got = |p: Page| p.objects.into_iter().map(|o| o.version).collect::<Vec<_>>();
    let first_last = VersionSel::Union(vec![VersionSel::First, VersionSel::Last]);
    assert_eq!(
        got(s.list(q(first_last.clone())).await.unwrap()),
        ["2020-01-01T00:00:00.000Z", "2020-01-03T00:00:00.000Z"]
    );
    let at_or_last = VersionSel::Union(vec![
        VersionSel::At(vec!["2020-01-02T00:00:00.000Z".into()]),
        VersionSel::Last,
    ]);
    assert_eq!(
        got(s.list(q(at_or_last)).await.unwrap()),
        ["2020-01-02T00:00:00.000Z", "2020-01-03T00:00:00.000Z"]
    );
    // A union with "all" in it keeps everything (and binds no stray arguments).
    let with_all = VersionSel::Union(vec![
        VersionSel::At(vec!["2020-01-02T00:00:00.000Z".into()]),
        VersionSel::All,
    ]);
    assert_eq!(got(s.list(q(with_all)).await.unwrap()).len(), 3);
    let v: Vec<_> = s
        .versions(id, first_last)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.version)
        .collect();
    assert_eq!(v, ["2020-01-01T00:00:00.000Z", "2020-01-03T00:00:00.000Z"]);

    // Removing the last version from c5 makes v2 the last there; c6 and the
    // stored history are untouched.
    let n = s
        .remove_from_collection("c5", id, VersionSel::Last, vec![])
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        got(s.list(q(VersionSel::Last)).await.unwrap()),
        ["2020-01-02T00:00:00.000Z"]
    );
    let c6 = s
        .list(ListQuery {
            collection: "c6".into(),
            ..q(VersionSel::All)
        })
        .await
        .unwrap();
    assert_eq!(c6.objects.len(), 3);
    assert_eq!(s.versions(id, VersionSel::All).await.unwrap().len(), 3);
    let n = s
        .remove_from_collection("c5", id, VersionSel::All, vec!["2.0".into()])
        .await
        .unwrap();
    assert_eq!(n, 0, "spec_version filter applies");
    let n = s
        .remove_from_collection("c5", id, VersionSel::All, vec![])
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert!(s.list(q(VersionSel::All)).await.unwrap().objects.is_empty());
    assert!(matches!(
        s.remove_from_collection("nope", id, VersionSel::All, vec![])
            .await,
        Err(StoreError::UnknownCollection(_))
    ));
}

async fn users_tokens_and_grants<S: Store>(s: &S) {
    assert_eq!(s.user("alice").await.unwrap(), None);
    let alice = User {
        name: "alice".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        admin: false,
        grants: vec![
            Grant {
                collection: "c1".into(),
                read: true,
                write: false,
            },
            Grant {
                collection: "c2".into(),
                read: false,
                write: true,
            },
        ],
    };
    s.put_user(alice.clone()).await.unwrap();
    assert_eq!(s.user("alice").await.unwrap(), Some(alice.clone()));
    // Replacing a user replaces its grants.
    let alice2 = User {
        admin: true,
        grants: vec![alice.grants[0].clone()],
        ..alice.clone()
    };
    s.put_user(alice2.clone()).await.unwrap();
    assert_eq!(s.user("alice").await.unwrap(), Some(alice2.clone()));

    assert!(s.add_token("alice", "hash-1").await.unwrap());
    assert!(!s.add_token("nobody", "hash-2").await.unwrap());
    assert_eq!(s.token_user("hash-1").await.unwrap(), Some(alice2));
    assert_eq!(s.token_user("hash-2").await.unwrap(), None);
}

async fn statuses_and_cursors<S: Store>(s: &S) {
    let rec = |id: &str, created_us: i64, json: &str| StatusRecord {
        id: id.into(),
        collection: "c1".into(),
        owner: Some("alice".into()),
        created_us,
        json: json.into(),
    };
    s.put_status(rec("s1", 1_000, "{\"status\":\"pending\"}"))
        .await
        .unwrap();
    s.put_status(rec("s1", 1_000, "{\"status\":\"complete\"}"))
        .await
        .unwrap();
    s.put_status(rec("s2", 5_000, "{}")).await.unwrap();
    assert_eq!(
        s.status("s1").await.unwrap().unwrap().json,
        "{\"status\":\"complete\"}"
    );
    assert_eq!(s.prune_statuses(2_000).await.unwrap(), 1);
    assert_eq!(s.status("s1").await.unwrap(), None);
    assert!(s.status("s2").await.unwrap().is_some());

    with_collection(s, "c7").await;
    let src = "http://peer/api/|coll";
    assert_eq!(s.sync_cursor(src).await.unwrap(), None);
    let cursor = |v: &str| SyncCursor {
        source: src.into(),
        value: v.into(),
    };
    s.put_pulled(
        "c7",
        vec![obj(70, "2020-01-01T00:00:00.000Z", "pulled")],
        cursor("2024-01-01T00:00:00.000001Z"),
        vec![Record::new(
            "quarantine",
            "peer a",
            "{\"reason\":\"unsigned\"}",
        )],
    )
    .await
    .unwrap();
    assert_eq!(
        s.sync_cursor(src).await.unwrap().as_deref(),
        Some("2024-01-01T00:00:00.000001Z")
    );
    // A failed pulled batch moves neither objects nor the cursor.
    let before = s.stats().await.unwrap().versions;
    assert!(
        s.put_pulled(
            "missing",
            vec![obj(71, "2020-01-01T00:00:00.000Z", "lost")],
            cursor("2025-01-01T00:00:00.000000Z"),
            vec![Record::new("quarantine", "peer b", "{}")],
        )
        .await
        .is_err()
    );
    assert_eq!(s.stats().await.unwrap().versions, before);
    assert_eq!(
        s.sync_cursor(src).await.unwrap().as_deref(),
        Some("2024-01-01T00:00:00.000001Z")
    );
    // The quarantine records of a page land with it, or not at all.
    let q = s.records("quarantine", None, 10).await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].key, "peer a");
    assert!(q[0].updated_us > 0);
    // A posted batch and its final status land together, or not at all.
    let done = StatusRecord {
        collection: "c7".into(),
        ..rec("s3", 9_000, "{\"status\":\"complete\"}")
    };
    let out = s
        .put_posted(
            "c7",
            vec![obj(72, "2020-01-01T00:00:00.000Z", "posted")],
            done.clone(),
        )
        .await
        .unwrap();
    assert_eq!(out.inserted, 1);
    assert_eq!(s.status("s3").await.unwrap(), Some(done.clone()));
    assert!(
        s.put_posted(
            "missing",
            vec![obj(73, "2020-01-01T00:00:00.000Z", "lost")],
            StatusRecord {
                id: "s4".into(),
                ..done
            },
        )
        .await
        .is_err()
    );
    assert_eq!(s.status("s4").await.unwrap(), None);
    s.set_sync_cursor(cursor("x")).await.unwrap();
    assert_eq!(s.sync_cursor(src).await.unwrap().as_deref(), Some("x"));
}

async fn records_are_kept_by_kind_and_key<S: Store>(s: &S) {
    let r = |k: &str, v: &str| Record::new("peer", k, v);
    s.put_records(vec![r("b", "1"), r("a", "2"), r("c", "3")])
        .await
        .unwrap();
    s.put_records(vec![r("b", "4"), Record::new("alert", "a", "x")])
        .await
        .unwrap();
    let all = s.records("peer", None, 100).await.unwrap();
    let keys: Vec<_> = all
        .iter()
        .map(|r| (r.key.as_str(), r.value.as_str()))
        .collect();
    assert_eq!(keys, [("a", "2"), ("b", "4"), ("c", "3")]);
    let after = s.records("peer", Some("a"), 1).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].key, "b");
    assert_eq!(s.record("peer", "c").await.unwrap().unwrap().value, "3");
    assert_eq!(s.record("peer", "z").await.unwrap(), None);
    assert_eq!(
        s.delete_records("peer", vec!["a".into(), "z".into()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.records("peer", None, 100).await.unwrap().len(), 2);
    assert_eq!(s.records("alert", None, 100).await.unwrap().len(), 1);
}

async fn a_tombstone_purges_what_it_supersedes<S: Store>(s: &S) {
    with_collection(s, "c9").await;
    s.put_batch(
        "c9",
        vec![
            obj(90, "2020-01-01T00:00:00.000Z", "withdrawn body one"),
            obj(90, "2020-02-01T00:00:00.000Z", "withdrawn body two"),
            obj(90, "2020-03-01T00:00:00.000Z", "the tombstone"),
            obj(91, "2020-01-01T00:00:00.000Z", "withdrawn body bystander"),
        ],
    )
    .await
    .unwrap();
    // Part of it indexed, part not: both kinds of rows must go cleanly.
    s.index_search(1).await.unwrap();
    let id = obj(90, "2020-01-01T00:00:00.000Z", "").id;
    let cut = concord_stix::Timestamp::parse("2020-03-01T00:00:00.000Z")
        .unwrap()
        .0;
    assert_eq!(s.purge_before(&id, cut).await.unwrap(), 2);
    let left = s.versions(&id, VersionSel::All).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].version, "2020-03-01T00:00:00.000Z");
    let hits = s.search("withdrawn body", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "only the bystander is still found");
    assert_ne!(hits[0].id, id);
    let page = s
        .list(ListQuery {
            collection: "c9".into(),
            added_after_us: None,
            limit: 10,
            ids: vec![id.clone()],
            types: vec![],
            spec_versions: vec![],
            versions: VersionSel::All,
        })
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 1);
    assert_eq!(s.purge_before(&id, cut).await.unwrap(), 0);
}

async fn run_suite<S: Store>(s: S) {
    versions_are_kept_and_deduplicated(&s).await;
    date_added_is_strictly_increasing_and_pages_are_exact(&s).await;
    list_filters(&s).await;
    failed_batch_writes_nothing(&s).await;
    search_finds_substrings_in_any_script(&s).await;
    scan_latest_pages_through_everything(&s).await;
    version_unions_and_removal(&s).await;
    users_tokens_and_grants(&s).await;
    statuses_and_cursors(&s).await;
    records_are_kept_by_kind_and_key(&s).await;
    a_tombstone_purges_what_it_supersedes(&s).await;
    log::authored_versions_are_logged_with_them(&s).await;
    log::records_swap_only_from_what_was_read(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backend_conforms() {
    let dir = tempfile::tempdir().unwrap();
    run_suite(AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).unwrap())).await;
}

/// Several writers with their own connections (as separate processes would
/// have) never hand out the same or a decreasing date_added, and two of them
/// racing on the same ids leave one latest version per id, the newest.
/// `writers` are six handles on the same database, opened separately.
async fn concurrent_writers<S: Store + Clone + 'static>(first: S, writers: Vec<S>) {
    with_collection(&first, "shared").await;
    let mut tasks = Vec::new();
    for (w, store) in writers.into_iter().enumerate() {
        let w = w as u32;
        tasks.push(tokio::spawn(async move {
            if w < 4 {
                for b in 0..20u32 {
                    let batch = (0..5u32)
                        .map(|i| {
                            obj(
                                100_000 + w * 1000 + b * 5 + i,
                                "2021-01-01T00:00:00.000Z",
                                "w",
                            )
                        })
                        .collect();
                    store.put_batch("shared", batch).await.unwrap();
                }
            } else {
                for v in 0..10u32 {
                    let m = format!("2022-01-01T00:00:{:02}.000Z", v * 2 + (w - 4));
                    let batch = (0..3).map(|i| obj(900_000 + i, &m, "race")).collect();
                    store.put_batch("shared", batch).await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let page = first
        .list(ListQuery {
            collection: "shared".into(),
            added_after_us: None,
            limit: 10_000,
            ids: vec![],
            types: vec![],
            spec_versions: vec![],
            versions: VersionSel::All,
        })
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 400 + 60);
    let dates: Vec<i64> = page
        .objects
        .iter()
        .map(|o| o.date_added_us.unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]));
    for i in 0..3 {
        let id = format!("indicator--00000000-0000-4000-8000-{:012}", 900_000 + i);
        let last = first.versions(&id, VersionSel::Last).await.unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].version, "2022-01-01T00:00:19.000Z");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_date_added_unique() {
    let dir = tempfile::tempdir().unwrap();
    let open = || SqliteStore::open_dir(dir.path()).unwrap();
    let first = open();
    concurrent_writers(first, (0..6).map(|_| open()).collect()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_authors_share_one_log() {
    let dir = tempfile::tempdir().unwrap();
    let open = || SqliteStore::open_dir(dir.path()).unwrap();
    log::concurrent_appends(open(), (0..4).map(|_| open()).collect()).await;
}

/// A server catches the index up a few objects at a time: every object
/// stays findable, and the index stays a few chunks per trigram rather
/// than growing a chunk per trigram and step. A version purged since it was
/// indexed is never returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_caught_up_in_small_steps_stays_complete_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    with_collection(&s, "c1").await;
    for n in 0..300u32 {
        s.put_batch(
            "c1",
            vec![obj(
                n,
                "2020-01-01T00:00:00.000Z",
                &format!("zeta{n:04}q loader"),
            )],
        )
        .await
        .unwrap();
        assert_eq!(s.index_search(20_000).await.unwrap(), 1);
    }
    for n in [0u32, 1, 149, 299] {
        let hits = s.search(&format!("ZETA{n:04}Q"), 10).await.unwrap();
        assert_eq!(hits.len(), 1, "object {n}");
        assert!(hits[0].id.ends_with(&format!("{n:012}")));
    }
    assert_eq!(s.search("loader", 1000).await.unwrap().len(), 300);
    let conn = rusqlite::Connection::open(dir.path().join(sqlite::DB_FILE)).unwrap();
    let (chunks, grams): (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT gram) FROM grams",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(chunks < grams * 2, "{chunks} chunks for {grams} trigrams");
    drop(conn);
    let id = obj(7, "2020-01-01T00:00:00.000Z", "x").id;
    s.put_batch("c1", vec![obj(7, "2021-01-01T00:00:00.000Z", "tombstone")])
        .await
        .unwrap();
    let cut = concord_stix::Timestamp::parse("2021-01-01T00:00:00.000Z")
        .unwrap()
        .0;
    assert_eq!(s.purge_before(&id, cut).await.unwrap(), 1);
    assert!(s.search("zeta0007q", 10).await.unwrap().is_empty());
}

/// Large steps each add a chunk per trigram; the index merges them once
/// there are more than a few per trigram, and finds the same objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_of_many_large_steps_is_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    with_collection(&s, "c1").await;
    let db = dir.path().join(sqlite::DB_FILE);
    let chunks_per_gram = || -> f64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT count(*), count(DISTINCT gram) FROM grams",
            [],
            |r| Ok(r.get::<_, f64>(0)? / r.get::<_, f64>(1)?),
        )
        .unwrap()
    };
    let mut most: f64 = 0.0;
    for step in 0..7u32 {
        let batch: Vec<PreparedObject> = (0..4_100u32)
            .map(|n| {
                let id = step * 10_000 + n;
                obj(
                    id,
                    "2020-01-01T00:00:00.000Z",
                    &format!("step{step}x{n:04} common"),
                )
            })
            .collect();
        s.put_batch("c1", batch).await.unwrap();
        assert_eq!(s.index_search(100_000).await.unwrap(), 4_100);
        most = most.max(chunks_per_gram());
    }
    assert!(most <= 4.0, "{most} chunks per trigram");
    assert_eq!(s.search("step0x0000", 10).await.unwrap().len(), 1);
    assert_eq!(s.search("STEP6X4099", 10).await.unwrap().len(), 1);
    assert_eq!(s.search("common", 100_000).await.unwrap().len(), 7 * 4_100);
}

/// A store whose search index was FTS5 (schema 4) moves to the trigram
/// postings and indexes what it held again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_from_the_fts5_schema_is_indexed_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    with_collection(&s, "c1").await;
    s.put_batch(
        "c1",
        vec![obj(1, "2020-01-01T00:00:00.000Z", "Emotet loader")],
    )
    .await
    .unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(dir.path().join(sqlite::DB_FILE)).unwrap();
    conn.execute_batch(
        "DROP TABLE grams;
         DROP TABLE dicts;
         CREATE VIRTUAL TABLE search USING fts5 (text, content = '', contentless_delete = 1, tokenize = 'trigram');
         INSERT INTO search (rowid, text) VALUES (1, 'Emotet loader');
         UPDATE progress SET row = 1 WHERE name = 'search';
         PRAGMA user_version = 4;",
    )
    .unwrap();
    drop(conn);
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    assert_eq!(s.search_backlog().await.unwrap(), 1);
    assert_eq!(s.search("emotet", 10).await.unwrap().len(), 1);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open_dir(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(sqlite::DB_FILE)).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        SqliteStore::open_dir(dir.path()),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));
}

/// A store with something in every table: two collections sharing a
/// version, three versions of one id, users with grants and a token, a POST
/// status, a sync cursor and records of two kinds.
async fn filled(s: &AnyStore) {
    with_collection(s, "c1").await;
    with_collection(s, "c2").await;
    s.put_batch(
        "c1",
        vec![
            obj(1, "2020-01-02T00:00:00.000Z", "second"),
            obj(1, "2020-01-01T00:00:00.000Z", "first"),
            obj(2, "2020-01-01T00:00:00.000Z", "other"),
        ],
    )
    .await
    .unwrap();
    s.put_pulled(
        "c2",
        vec![
            obj(2, "2020-01-01T00:00:00.000Z", "other"),
            obj(1, "2020-01-03T00:00:00.000Z", "third"),
        ],
        SyncCursor {
            source: "peer-b|root|c".into(),
            value: "2026-01-01T00:00:00.000001Z".into(),
        },
        vec![Record::new(
            "quarantine",
            "q1",
            r#"{"reason":"bad signature"}"#,
        )],
    )
    .await
    .unwrap();
    s.put_user(User {
        name: "analyst".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        admin: false,
        grants: vec![Grant {
            collection: "c1".into(),
            read: true,
            write: false,
        }],
    })
    .await
    .unwrap();
    assert!(s.add_token("analyst", &"ab".repeat(32)).await.unwrap());
    s.put_status(StatusRecord {
        id: "status-1".into(),
        collection: "c1".into(),
        owner: Some("analyst".into()),
        created_us: 1_700_000_000_000_000,
        json: r#"{"id":"status-1","status":"complete"}"#.into(),
    })
    .await
    .unwrap();
    s.put_records(vec![Record::new("peer", "peer-b", r#"{"url":"http://x"}"#)])
        .await
        .unwrap();
    // The node's log: an authored version with its entry, a governance
    // entry, and a version received with its place in its author's log.
    s.put_batch(
        "c1",
        vec![
            obj(3, "2020-01-01T00:00:00.000Z", "authored").with_log(LogMark::Append {
                entry: b"authored entry".to_vec(),
                nonce: [7; 32],
            }),
        ],
    )
    .await
    .unwrap();
    s.log_append(
        vec![LogLeaf {
            key: "proposal p1".into(),
            entry: b"proposal entry".to_vec(),
        }],
        vec![],
    )
    .await
    .unwrap();
    s.put_batch(
        "c2",
        vec![
            obj(4, "2020-01-01T00:00:00.000Z", "received").with_log(LogMark::Received {
                leaf: 41,
                nonce: [9; 32],
            }),
        ],
    )
    .await
    .unwrap();
}

/// Dumps `from` into `to` and checks that every table arrived, with the
/// same digests, and that the copy answers as the original does.
async fn dump_and_load(from: &AnyStore, to: &AnyStore) {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let (dumped, loaded) = tokio::join!(from.dump(tx), to.load(rx));
    dumped.unwrap();
    let report = loaded.unwrap();
    assert_eq!(report.rows["objects"], 6);
    let a = from.digests().await.unwrap();
    let b = to.digests().await.unwrap();
    assert_eq!(a, b);
    for t in dump::Table::ALL {
        assert!(a[t.name()].rows > 0, "{} is empty in the fixture", t.name());
    }
    // Same pages, same date_added, same latest version, same token owner.
    for c in ["c1", "c2"] {
        let q = ListQuery {
            collection: c.into(),
            added_after_us: None,
            limit: 100,
            ids: vec![],
            types: vec![],
            spec_versions: vec![],
            versions: VersionSel::All,
        };
        let page = |p: Page| -> Vec<(String, String, String, Option<i64>)> {
            p.objects
                .into_iter()
                .map(|o| (o.id, o.version, o.json, o.date_added_us))
                .collect()
        };
        assert_eq!(
            page(from.list(q.clone()).await.unwrap()),
            page(to.list(q).await.unwrap())
        );
        assert_eq!(
            from.last_added(c).await.unwrap(),
            to.last_added(c).await.unwrap()
        );
    }
    let id = "indicator--00000000-0000-4000-8000-000000000001";
    let latest = to.versions(id, VersionSel::Last).await.unwrap();
    assert_eq!(latest[0].version, "2020-01-03T00:00:00.000Z");
    assert_eq!(
        to.token_user(&"ab".repeat(32)).await.unwrap().unwrap().name,
        "analyst"
    );
    assert_eq!(to.search("third", 10).await.unwrap().len(), 1);
    let (x, y) = (from.stats().await.unwrap(), to.stats().await.unwrap());
    assert_eq!(
        (x.objects, x.versions, x.by_type, x.by_tlp, x.collections),
        (y.objects, y.versions, y.by_type, y.by_tlp, y.collections)
    );
    // The log goes on where it was: same size, same tiles, same leaves;
    // the next entry appended to the copy gets the next index.
    assert_eq!(to.log_size().await.unwrap(), 2);
    let keys: Vec<(String, String)> = [(3, "authored"), (4, "received")]
        .iter()
        .map(|(n, _)| {
            (
                format!("indicator--00000000-0000-4000-8000-{n:012}"),
                "2020-01-01T00:00:00.000Z".to_string(),
            )
        })
        .collect();
    let leaves = |v: Vec<LoggedVersion>| {
        let mut v: Vec<_> = v
            .into_iter()
            .map(|l| (l.object.id, l.leaf, l.nonce))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        leaves(to.logged_versions(keys.clone(), false).await.unwrap()),
        leaves(from.logged_versions(keys, false).await.unwrap())
    );
    let again = to
        .log_append(
            vec![LogLeaf {
                key: "proposal p1".into(),
                entry: b"proposal entry".to_vec(),
            }],
            vec![],
        )
        .await
        .unwrap();
    assert_eq!((again.size, again.appended), (2, 0), "logged once, ever");
    // A second load into the same store is refused: it is not empty.
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let (_, again) = tokio::join!(from.dump(tx), to.load(rx));
    assert!(again.unwrap_err().to_string().contains("not empty"));
}

/// Users, tokens and collections are listed and removed.
async fn users_tokens_and_collections_are_administered(s: &AnyStore) {
    filled(s).await;
    assert!(s.add_token("analyst", &"cd".repeat(32)).await.unwrap());
    let tokens = s.tokens().await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens
            .iter()
            .all(|t| t.user == "analyst" && t.created_us > 0)
    );
    assert!(s.revoke_token(&"cd".repeat(32)).await.unwrap());
    assert!(!s.revoke_token(&"cd".repeat(32)).await.unwrap());
    assert!(s.token_user(&"cd".repeat(32)).await.unwrap().is_none());
    assert_eq!(s.users().await.unwrap()[0].grants.len(), 1);
    let gone = s.remove_collection("c1").await.unwrap();
    assert!(
        gone.existed && gone.entries == 4 && gone.grants == 1,
        "{gone:?}"
    );
    assert!(!s.remove_collection("c1").await.unwrap().existed);
    assert!(s.users().await.unwrap()[0].grants.is_empty());
    assert_eq!(s.collections().await.unwrap().len(), 1);
    s.put_records(
        (1..=5)
            .map(|i| Record::new("alert", format!("a{i}"), "{}"))
            .collect(),
    )
    .await
    .unwrap();
    let newest: Vec<String> = s
        .records_before("alert", None, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(newest, ["a5", "a4"]);
    let older: Vec<String> = s
        .records_before("alert", Some("a4"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(older, ["a3", "a2", "a1"]);
    assert!(s.remove_user("analyst").await.unwrap());
    assert!(s.users().await.unwrap().is_empty());
    assert!(s.tokens().await.unwrap().is_empty());
    assert!(!s.remove_user("analyst").await.unwrap());
}

fn sqlite_in(dir: &std::path::Path) -> AnyStore {
    AnyStore::Sqlite(SqliteStore::open_dir(dir).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_loads_into_an_empty_store_with_every_table() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let from = sqlite_in(a.path());
    filled(&from).await;
    dump_and_load(&from, &sqlite_in(b.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_users_tokens_and_collections_are_administered() {
    let dir = tempfile::tempdir().unwrap();
    users_tokens_and_collections_are_administered(&sqlite_in(dir.path())).await;
}

/// The same suite against PostgreSQL. The server comes from
/// `CONCORD_TEST_POSTGRES` (an admin URL; `scripts/test.sh` starts one on
/// 127.0.0.1); without it these tests fail, they never skip.
mod postgres {
    use super::*;
    use concord_store::postgres::PgStore;

    fn admin_url() -> String {
        std::env::var("CONCORD_TEST_POSTGRES").expect(
            "CONCORD_TEST_POSTGRES is not set: run scripts/test.sh, which starts PostgreSQL, \
             or point it at a server where this user may create databases",
        )
    }

    async fn admin() -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls)
            .await
            .expect("connect to CONCORD_TEST_POSTGRES");
        tokio::spawn(conn);
        client
    }

    /// A fresh, empty database for one test, and its URL.
    async fn fresh_database() -> String {
        let name = format!("concord_t_{}", uuid::Uuid::new_v4().simple());
        admin()
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let base = admin_url();
        let base = base.split('?').next().unwrap();
        let cut = base.rfind('/').unwrap();
        format!("{}/{name}", &base[..cut])
    }

    async fn sql(url: &str) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
    }

    async fn count(c: &tokio_postgres::Client, query: &str) -> i64 {
        c.query_one(query, &[]).await.unwrap().get(0)
    }

    fn named(from: u32, to: u32, name: impl Fn(u32) -> String) -> Vec<PreparedObject> {
        (from..to)
            .map(|n| obj(n, "2020-01-01T00:00:00.000Z", &name(n)))
            .collect()
    }

    /// Every way a row reaches the index finds it: an import's postings
    /// kept in memory, rows read back from the queue (written by a plain
    /// batch, so by another process), large steps and a server's small
    /// ones. The index stays a few chunks per trigram, the queue ends
    /// empty, and a version purged since it was indexed is never returned.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_written_row_is_indexed_once_and_the_index_stays_compact() {
        let url = fresh_database().await;
        let s = PgStore::connect(&url).await.unwrap();
        with_collection(&s, "c1").await;
        for part in 0..3u32 {
            let batch = s
                .prepare_batch(
                    named(part * 4_000, part * 4_000 + 4_000, |n| {
                        format!("bulk{n:05}x common")
                    }),
                    true,
                )
                .unwrap();
            s.put_ready("c1", batch).await.unwrap();
        }
        s.put_batch(
            "c1",
            named(12_000, 12_100, |n| format!("plain{n:05}x common")),
        )
        .await
        .unwrap();
        assert_eq!(s.search_backlog().await.unwrap(), 12_100);
        assert_eq!(s.index_search(100_000).await.unwrap(), 12_100);
        assert_eq!(s.search_backlog().await.unwrap(), 0);
        // Large read-back steps, then a server's small ones.
        for step in 0..6u32 {
            let from = 20_000 + step * 4_100;
            s.put_batch(
                "c1",
                named(from, from + 4_100, |n| format!("step{n:05}x common")),
            )
            .await
            .unwrap();
            assert_eq!(s.index_search(100_000).await.unwrap(), 4_100);
        }
        for n in 50_000..50_200u32 {
            s.put_batch("c1", named(n, n + 1, |n| format!("late{n:05}x common")))
                .await
                .unwrap();
            assert_eq!(s.index_search(20_000).await.unwrap(), 1);
        }
        for (word, hits) in [
            ("BULK11999X", 1),
            ("bulk0000", 10),
            ("plain12099x", 1),
            ("STEP44599X", 1),
            ("late50199x", 1),
            ("common", 12_100 + 6 * 4_100 + 200),
        ] {
            assert_eq!(s.search(word, 100_000).await.unwrap().len(), hits, "{word}");
        }
        let c = sql(&url).await;
        let chunks = count(&c, "SELECT count(*) FROM grams").await;
        let grams = count(&c, "SELECT count(DISTINCT gram) FROM grams").await;
        assert!(chunks <= grams * 4, "{chunks} chunks for {grams} trigrams");
        let id = obj(7, "2020-01-01T00:00:00.000Z", "x").id;
        s.put_batch("c1", vec![obj(7, "2021-01-01T00:00:00.000Z", "tombstone")])
            .await
            .unwrap();
        let cut = concord_stix::Timestamp::parse("2021-01-01T00:00:00.000Z")
            .unwrap()
            .0;
        assert_eq!(s.purge_before(&id, cut).await.unwrap(), 1);
        assert!(s.search("bulk00007x", 10).await.unwrap().is_empty());
        assert_eq!(s.search("tombstone", 10).await.unwrap().len(), 1);
    }

    /// Two processes import at once into one database: their rows
    /// interleave, each keeps its own postings, and both index at once.
    /// Every object is found, once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_importers_at_once_index_every_row() {
        let url = fresh_database().await;
        let (a, b) = (
            PgStore::connect(&url).await.unwrap(),
            PgStore::connect(&url).await.unwrap(),
        );
        with_collection(&a, "c1").await;
        let import = |s: PgStore, base: u32| async move {
            for part in 0..4u32 {
                let from = base + part * 1_500;
                let batch = s
                    .prepare_batch(
                        named(from, from + 1_500, |n| format!("both{n:06}y shared")),
                        true,
                    )
                    .unwrap();
                s.put_ready("c1", batch).await.unwrap();
            }
            s.index_search(100_000).await.unwrap()
        };
        let (x, y) = tokio::join!(
            tokio::spawn(import(a.clone(), 0)),
            tokio::spawn(import(b.clone(), 100_000))
        );
        // Each covers its own rows and whatever of the other's it read
        // back first: together, every row once.
        assert_eq!(x.unwrap() + y.unwrap(), 12_000);
        assert_eq!(a.search_backlog().await.unwrap(), 0);
        let hits = b.search("shared", 100_000).await.unwrap();
        assert_eq!(hits.len(), 12_000);
        assert_eq!(
            hits.iter().map(|o| &o.id).collect::<HashSet<_>>().len(),
            12_000
        );
        assert_eq!(a.search("both105999y", 10).await.unwrap().len(), 1);
        assert_eq!(b.search("both000000y", 10).await.unwrap().len(), 1);
    }

    /// A database of schema 3 searched through `pg_trgm`'s table: the
    /// migration drops it and queues every row, and searches find them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_database_searched_through_pg_trgm_moves_to_postings() {
        let url = fresh_database().await;
        let s = PgStore::connect(&url).await.unwrap();
        with_collection(&s, "c1").await;
        s.put_batch("c1", named(0, 3, |n| format!("older{n}z loader")))
            .await
            .unwrap();
        let c = sql(&url).await;
        c.batch_execute(
            "DROP TABLE grams; TRUNCATE search_queue;
             CREATE TABLE search (row BIGINT PRIMARY KEY, text TEXT NOT NULL);
             INSERT INTO search (row, text) SELECT row, 'older loader' FROM objects;
             DELETE FROM concord_schema WHERE version = 4;",
        )
        .await
        .unwrap();
        let s = PgStore::connect(&url).await.unwrap();
        assert_eq!(s.search_backlog().await.unwrap(), 3);
        assert_eq!(s.search("OLDER1Z", 10).await.unwrap().len(), 1);
        assert_eq!(s.search("loader", 10).await.unwrap().len(), 3);
        assert_eq!(
            count(
                &c,
                "SELECT count(*) FROM pg_tables WHERE tablename = 'search'"
            )
            .await,
            0
        );
        assert_eq!(
            count(&c, "SELECT max(version)::bigint FROM concord_schema").await,
            4
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dumps_move_between_the_backends_both_ways() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let embedded = sqlite_in(a.path());
        filled(&embedded).await;
        let pg = AnyStore::Postgres(PgStore::connect(&fresh_database().await).await.unwrap());
        dump_and_load(&embedded, &pg).await;
        dump_and_load(&pg, &sqlite_in(b.path())).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_users_tokens_and_collections_are_administered() {
        let pg = AnyStore::Postgres(PgStore::connect(&fresh_database().await).await.unwrap());
        users_tokens_and_collections_are_administered(&pg).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_backend_conforms() {
        let url = fresh_database().await;
        run_suite(PgStore::connect(&url).await.unwrap()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_keep_date_added_unique() {
        let url = fresh_database().await;
        let first = PgStore::connect(&url).await.unwrap();
        let mut writers = Vec::new();
        for _ in 0..6 {
            // Separate pools: separate server sessions, as separate processes have.
            writers.push(PgStore::connect(&url).await.unwrap());
        }
        concurrent_writers(first, writers).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_authors_share_one_log() {
        let url = fresh_database().await;
        let first = PgStore::connect(&url).await.unwrap();
        let mut writers = Vec::new();
        for _ in 0..4 {
            writers.push(PgStore::connect(&url).await.unwrap());
        }
        log::concurrent_appends(first, writers).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reconnects_after_the_server_drops_its_connections() {
        let url = fresh_database().await;
        let store = PgStore::connect(&url).await.unwrap();
        with_collection(&store, "c").await;
        let db = url.rsplit('/').next().unwrap().to_string();
        // What a server restart does to a pool: every session is gone.
        let killed: i64 = admin()
            .await
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
                &[&db],
            )
            .await
            .unwrap()
            .get(0);
        assert!(killed >= 1);
        let out = store
            .put_batch("c", vec![obj(1, "2020-01-01T00:00:00.000Z", "after")])
            .await
            .expect("the pool reconnects");
        assert_eq!(out.inserted, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unreachable_server_and_newer_schema_are_clear_errors() {
        let err = PgStore::connect("postgres://concord:s3cret-pw@127.0.0.1:1/nowhere")
            .await
            .err()
            .expect("nothing listens on port 1");
        let msg = err.to_string();
        assert!(
            msg.contains("cannot reach postgres://concord@127.0.0.1:1/nowhere"),
            "{msg}"
        );
        assert!(
            !msg.contains("s3cret-pw"),
            "the password must not leak: {msg}"
        );

        let url = fresh_database().await;
        drop(PgStore::connect(&url).await.unwrap());
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        c.batch_execute("INSERT INTO concord_schema (version) VALUES (99)")
            .await
            .unwrap();
        assert!(matches!(
            PgStore::connect(&url).await.err(),
            Some(StoreError::SchemaTooNew { found: 99, .. })
        ));
    }
}
