//! The embedded store keeps objects compressed against a dictionary it
//! trains on them: every read path (versions, pages, scans, search, log,
//! dumps) gives back the stored text byte for byte; a second process
//! reads bodies of a dictionary trained after it opened the file; a
//! dictionary only counts once its transaction commits. And batches whose
//! search postings were made before the write are found by search, also
//! when another writer's rows come between them.

use super::*;

/// An object unlike its neighbours in every field a dictionary could
/// learn: unknown properties, an extension, granular markings, non-ASCII.
fn varied(n: u32) -> PreparedObject {
    let text = format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{n:012}","created":"2021-03-0{d}T10:00:00.000Z","modified":"2021-03-0{d}T10:00:{s:02}.{n3:03}Z","name":"Сервер управления {n} — C2 ✓","description":"Seen by sensor s{n:06} beaconing every {b}s","pattern":"[ipv4-addr:value = '203.0.{o1}.{o2}']","pattern_type":"stix","valid_from":"2021-03-01T00:00:00Z","x_sensor_count":{n},"extensions":{{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{{"extension_type":"property-extension","rank":{r}}}}},"granular_markings":[{{"selectors":["description"],"marking_ref":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"}}],"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}}"#,
        d = 1 + n % 9,
        s = n % 60,
        n3 = n % 1000,
        b = 30 + n % 7,
        o1 = n / 250 % 250,
        o2 = n % 250,
        r = n * 7 % 13,
    );
    let o = StixObject::from_map(parse_object(text.as_bytes()).unwrap());
    PreparedObject::new(&o, text)
}

fn db(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(sqlite::DB_FILE)).unwrap()
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The latest version of every object, in store order.
async fn scan_all(s: &impl Store) -> Vec<StoredObject> {
    s.scan_latest(ScanQuery {
        after_row: 0,
        limit: 5_000,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// Rows whose body is compressed.
fn blobs(conn: &rusqlite::Connection) -> i64 {
    count(
        conn,
        "SELECT count(*) FROM objects WHERE typeof(json) = 'blob'",
    )
}

async fn json_of(s: &impl Store, n: u32) -> String {
    let id = format!("indicator--00000000-0000-4000-8000-{n:012}");
    let v = s.versions(&id, VersionSel::Last).await.unwrap();
    assert_eq!(v.len(), 1, "{id}");
    v[0].json.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_compressed_and_every_read_gives_the_text_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    with_collection(&s, "c1").await;
    // A few objects first (too few to train on: kept as text), then a
    // batch large enough to train the store's dictionary.
    let small: Vec<PreparedObject> = (0..10).map(varied).collect();
    s.put_batch("c1", small.clone()).await.unwrap();
    assert_eq!(count(&db(dir.path()), "SELECT count(*) FROM dicts"), 0);
    let large: Vec<PreparedObject> = (10..2_010).map(varied).collect();
    s.put_batch("c1", large.clone()).await.unwrap();

    let conn = db(dir.path());
    assert_eq!(count(&conn, "SELECT count(*) FROM dicts"), 1);
    assert_eq!(blobs(&conn), 2_000);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM objects WHERE typeof(json) = 'text'"
        ),
        10
    );
    let stored = count(
        &conn,
        "SELECT sum(length(json)) FROM objects WHERE row > 10",
    );
    let text: i64 = large.iter().map(|o| o.json.len() as i64).sum();
    assert!(stored * 3 < text, "{stored} bytes stored for {text}");

    let all: Vec<&PreparedObject> = small.iter().chain(&large).collect();
    // By id.
    for o in all.iter().step_by(97) {
        let n: u32 = o.id[o.id.len() - 12..].parse().unwrap();
        assert_eq!(json_of(&s, n).await, o.json);
    }
    // Pages of the collection, and scans.
    let page = s
        .list(ListQuery {
            collection: "c1".into(),
            added_after_us: None,
            limit: 5_000,
            ids: vec![],
            types: vec![],
            spec_versions: vec![],
            versions: VersionSel::All,
        })
        .await
        .unwrap();
    let listed: Vec<&str> = page.objects.iter().map(|o| o.json.as_str()).collect();
    let expected: Vec<&str> = all.iter().map(|o| o.json.as_str()).collect();
    assert_eq!(listed, expected);
    let scanned = scan_all(&s).await;
    assert_eq!(scanned.len(), 2_010);
    assert!(scanned.iter().zip(&expected).all(|(a, b)| a.json == *b));
    // Search reads bodies twice: to index them and to check candidates.
    let hits = s.search("S001234 управления", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].json, large[1_224].json);
    // A dump holds the text, as PostgreSQL would dump it.
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let any = AnyStore::Sqlite(s.clone());
    let dumping = tokio::spawn(async move { any.dump(tx).await });
    let mut dumped = Vec::new();
    while let Some(row) = rx.recv().await {
        if row.table == dump::Table::Objects {
            dumped.push(row.values[2].as_str().unwrap().to_string());
        }
    }
    dumping.await.unwrap().unwrap();
    assert_eq!(dumped, expected);
}

/// Another process (another handle on the file: its own connections and
/// dictionaries) that opened the store before the dictionary was trained.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_reads_and_writes_with_a_dictionary_trained_after_it_opened() {
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteStore::open_dir(dir.path()).unwrap();
    let b = SqliteStore::open_dir(dir.path()).unwrap();
    let c = SqliteStore::open_dir(dir.path()).unwrap();
    with_collection(&a, "c1").await;
    a.put_batch("c1", (0..1_000).map(varied).collect())
        .await
        .unwrap();
    // `b` has not seen the dictionary: it finds it when it meets a body.
    assert_eq!(json_of(&b, 500).await, varied(500).json);
    // `c` has not seen it either, and writes a large batch: it takes the
    // committed dictionary rather than train a second one.
    c.put_batch("c1", (1_000..1_600).map(varied).collect())
        .await
        .unwrap();
    let conn = db(dir.path());
    assert_eq!(count(&conn, "SELECT count(*) FROM dicts"), 1);
    assert_eq!(blobs(&conn), 1_600);
    for n in [0, 999, 1_000, 1_599] {
        for s in [&a, &b, &c] {
            assert_eq!(json_of(s, n).await, varied(n).json);
        }
    }
}

/// Batches prepared ahead carry their postings; the index step takes them
/// without reading the rows back, and a writer without postings in
/// between (another process, a TAXII push) leaves nothing out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postings_made_before_the_write_index_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let s = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).unwrap());
    let other = SqliteStore::open_dir(dir.path()).unwrap();
    with_collection(&s, "c1").await;
    let first = s
        .prepare_batch((0..3_000).map(varied).collect(), true)
        .unwrap();
    s.put_ready("c1", first).await.unwrap();
    // A row of someone else's between two prepared batches.
    other
        .put_batch(
            "c1",
            vec![obj(900_001, "2020-01-01T00:00:00.000Z", "interloper")],
        )
        .await
        .unwrap();
    let second = s
        .prepare_batch((3_000..6_000).map(varied).collect(), true)
        .unwrap();
    s.put_ready("c1", second).await.unwrap();
    // Prepared without postings (an import with --no-index).
    let third = s
        .prepare_batch((6_000..6_100).map(varied).collect(), false)
        .unwrap();
    s.put_ready("c1", third).await.unwrap();
    assert_eq!(s.search_backlog().await.unwrap(), 6_101);
    let mut covered = 0;
    loop {
        let n = s.index_search(250_000).await.unwrap();
        if n == 0 {
            break;
        }
        covered += n;
    }
    assert_eq!(covered, 6_101);
    assert_eq!(s.search_backlog().await.unwrap(), 0);
    assert_eq!(s.search("управления", 10_000).await.unwrap().len(), 6_100);
    assert_eq!(s.search("interloper", 10).await.unwrap().len(), 1);
    for n in [0u32, 2_999, 3_000, 5_999, 6_000, 6_099] {
        let hits = s.search(&format!("s{n:06}"), 10).await.unwrap();
        assert_eq!(hits.len(), 1, "object {n}");
        assert_eq!(hits[0].json, varied(n).json);
    }
}

/// A restore or migration into the embedded store compresses as the
/// writer does, and the copy holds the same text (same digests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loaded_dump_is_stored_compressed_with_the_same_digests() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let from = AnyStore::Sqlite(SqliteStore::open_dir(a.path()).unwrap());
    with_collection(&from, "c1").await;
    from.put_batch("c1", (0..1_500).map(varied).collect())
        .await
        .unwrap();
    let to = AnyStore::Sqlite(SqliteStore::open_dir(b.path()).unwrap());
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let (dumped, loaded) = tokio::join!(from.dump(tx), to.load(rx));
    dumped.unwrap();
    assert_eq!(loaded.unwrap().rows["objects"], 1_500);
    assert_eq!(from.digests().await.unwrap(), to.digests().await.unwrap());
    let conn = db(b.path());
    assert_eq!(count(&conn, "SELECT count(*) FROM dicts"), 1);
    assert_eq!(blobs(&conn), 1_500);
    for n in [0, 777, 1_499] {
        assert_eq!(json_of(&to, n).await, varied(n).json);
    }
    assert_eq!(to.search("s000777", 10).await.unwrap().len(), 1);
}

/// A hostile member can choose what the store first trains on (it sends
/// the first large batch). Junk teaches the dictionary nothing useful, but
/// no body is ever larger than its text, and every object reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dictionary_trained_on_junk_never_makes_a_body_larger_than_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    with_collection(&s, "c1").await;
    // High-entropy names and descriptions (a xorshift stream, hex).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut junk = |n: usize| -> String {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("{:016x}", x)
            })
            .collect()
    };
    let poison: Vec<PreparedObject> = (0..600u32)
        .map(|i| obj(800_000 + i, "2020-01-01T00:00:00.000Z", &junk(12)))
        .collect();
    let poison_text: i64 = poison.iter().map(|o| o.json.len() as i64).sum();
    s.put_batch("c1", poison).await.unwrap();
    let honest: Vec<PreparedObject> = (0..600).map(varied).collect();
    let honest_text: i64 = honest.iter().map(|o| o.json.len() as i64).sum();
    s.put_batch("c1", honest).await.unwrap();
    let conn = db(dir.path());
    assert_eq!(count(&conn, "SELECT count(*) FROM dicts"), 1);
    let stored = count(&conn, "SELECT sum(length(json)) FROM objects");
    assert!(
        stored <= poison_text + honest_text,
        "{stored} bytes stored for {} of text",
        poison_text + honest_text
    );
    // Row by row: the stored body is never longer than the text it holds.
    let texts = scan_all(&s).await;
    assert_eq!(texts.len(), 1_200);
    let mut lengths = conn
        .prepare("SELECT length(json) FROM objects WHERE row = ?1")
        .unwrap();
    for t in &texts {
        let stored: i64 = lengths.query_row([t.row], |r| r.get(0)).unwrap();
        assert!(stored <= t.json.len() as i64, "row {}", t.row);
    }
    for n in [0, 299, 599] {
        assert_eq!(json_of(&s, n).await, varied(n).json);
    }
}
