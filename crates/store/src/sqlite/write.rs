//! Writes: one IMMEDIATE transaction per call, so a batch is all or nothing
//! and `date_added` is assigned under the write lock (no two writers, even in
//! two processes, can hand out the same or a smaller value).

use concord_stix::Timestamp;
use rusqlite::{Connection, TransactionBehavior, params};

use super::codec::{Body, Codec, SharedCodec};
use crate::{
    BatchOutcome, Collection, LogMark, NewCollection, PreparedObject, Result, StoreError, id_key,
};

/// The insert of a new object version (by the writer, and by a dump's load).
pub(super) const INSERT_OBJECT: &str = "INSERT INTO objects (id_key, id, version, version_us, type, spec_version, created_by, tlp, revoked, latest, json, log_leaf, log_nonce)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// Inserts `o` with its stored `body` through [`INSERT_OBJECT`].
pub(super) fn insert_object(
    insert: &mut rusqlite::Statement<'_>,
    o: &PreparedObject,
    body: &Body,
    latest: bool,
    leaf: Option<i64>,
    nonce: Option<&[u8]>,
) -> Result<()> {
    insert.execute(params![
        id_key(&o.id),
        o.id,
        o.version,
        o.version_us,
        o.object_type,
        o.spec_version,
        o.created_by,
        o.tlp.map(|t| t as i64),
        o.revoked,
        latest,
        body.to_sql(),
        leaf,
        nonce,
    ])?;
    Ok(())
}

/// What a committed batch did, as the indexing of its rows needs it.
pub(super) struct Put {
    pub(super) outcome: BatchOutcome,
    /// The rows inserted, first and last (in batch order, ascending; a new
    /// row is always the highest row then plus one).
    pub(super) rows: Option<(i64, i64)>,
}

/// Writes `batch` (with `bodies`, its stored forms made beforehand, or
/// none) in one transaction, with `also` run inside it before it commits
/// (a sync cursor moves together with the objects it covers).
pub(super) fn put_batch_then(
    conn: &mut Connection,
    codec: &SharedCodec,
    collection: &str,
    batch: &[PreparedObject],
    bodies: &[Option<Body>],
    also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
) -> Result<Put> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (coll_row, mut last) = super::read::collection_row(&tx, collection)?;
    // The store's first dictionary, trained on this batch when it is the
    // first large one; made current only once the batch commits.
    let in_use = codec.get();
    // A prepared batch was trained on when it was prepared.
    let trained: Option<Codec> = if in_use.has_dictionary() || !bodies.is_empty() {
        None
    } else {
        let texts: Vec<&str> = batch.iter().map(|o| o.json.as_str()).collect();
        codec.train_in(&tx, &texts)?
    };
    let encoder: &Codec = trained.as_ref().unwrap_or(&in_use);
    let mut inserted: Option<(i64, i64)> = None;
    let now = Timestamp::now().0;
    let mut outcome = BatchOutcome::default();
    // The node's log, when this batch authors anything: its size now (the
    // write lock is held, so the leaves handed out below are the next
    // ones) and the entries to append, in leaf order.
    let authors = batch
        .iter()
        .any(|o| matches!(o.log, Some(LogMark::Append { .. })));
    let log_start = if authors { super::log::size(&tx)? } else { 0 };
    let mut entries: Vec<&[u8]> = Vec::new();
    {
        // One probe finds both a stored copy of this version and the
        // current latest version of the id.
        let mut known = tx.prepare_cached(
            "SELECT row, version_us, version, latest, log_leaf IS NOT NULL FROM objects
             WHERE id_key = ?1 AND id = ?2 AND (version = ?3 OR latest = 1)",
        )?;
        let mut insert = tx.prepare_cached(INSERT_OBJECT)?;
        let mut set_log =
            tx.prepare_cached("UPDATE objects SET log_leaf = ?2, log_nonce = ?3 WHERE row = ?1")?;
        let mut unset_latest = tx.prepare_cached("UPDATE objects SET latest = 0 WHERE row = ?1")?;
        let mut entry = tx.prepare_cached(
            "INSERT INTO entries (collection, date_added_us, object) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for (i, o) in batch.iter().enumerate() {
            let key = id_key(&o.id);
            let mut same: Option<(i64, bool)> = None;
            let mut current: Option<(i64, i64, String)> = None;
            let rows = known.query_map(params![key, o.id, o.version], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })?;
            for row in rows {
                let (row, us, version, latest, logged) = row?;
                if version == o.version {
                    same = Some((row, logged));
                }
                if latest {
                    current = Some((row, us, version));
                }
            }
            // A version stored without log material gets it now (an
            // authored version is never left out of the log).
            let needs_log = !matches!(same, Some((_, true)));
            let (leaf, nonce): (Option<i64>, Option<&[u8]>) = match &o.log {
                Some(LogMark::Append { entry, nonce }) if needs_log => {
                    let leaf = crate::log::to_db(log_start + entries.len() as u64)?;
                    entries.push(entry);
                    (Some(leaf), Some(nonce))
                }
                Some(LogMark::Received { leaf, nonce }) if needs_log => {
                    (Some(crate::log::to_db(*leaf)?), Some(nonce))
                }
                _ => (None, None),
            };
            let row = match same {
                Some((row, _)) => {
                    outcome.duplicates += 1;
                    if leaf.is_some() {
                        set_log.execute(params![row, leaf, nonce])?;
                    }
                    row
                }
                None => {
                    let newest = match &current {
                        None => true,
                        Some((_, us, v)) => (o.version_us, o.version.as_str()) > (*us, v.as_str()),
                    };
                    if newest && let Some((prev, _, _)) = current {
                        unset_latest.execute([prev])?;
                    }
                    let made;
                    let body = match bodies.get(i).and_then(Option::as_ref) {
                        Some(b) if encoder.knows(b) => b,
                        // Bodies are made by this store's codec, whose
                        // dictionaries never go: only a caller's bug (a
                        // batch prepared by another store) gets here.
                        Some(_) => {
                            return Err(StoreError::Task(format!(
                                "{}: a prepared body names a dictionary this store does not hold",
                                o.id
                            )));
                        }
                        None => {
                            made = encoder.encode(&o.json);
                            &made
                        }
                    };
                    insert_object(&mut insert, o, body, newest, leaf, nonce)?;
                    outcome.inserted += 1;
                    let row = tx.last_insert_rowid();
                    inserted = Some((inserted.map_or(row, |r| r.0), row));
                    row
                }
            };
            let date_added = now.max(last + 1);
            if entry.execute(params![coll_row, date_added, row])? == 1 {
                last = date_added;
                outcome.last_added_us = Some(date_added);
            }
        }
    }
    tx.execute(
        "UPDATE collections SET last_added_us = ?2 WHERE row = ?1",
        params![coll_row, last],
    )?;
    if !entries.is_empty() {
        super::log::extend(&tx, log_start, &entries)?;
    }
    also(&tx)?;
    tx.commit()?;
    if let Some(trained) = trained {
        codec.set(trained);
    }
    Ok(Put {
        outcome,
        rows: inserted,
    })
}

pub(super) fn create_collection(conn: &mut Connection, c: &NewCollection) -> Result<Collection> {
    let id =
        c.id.clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    conn.execute(
        "INSERT INTO collections (id, title, description, public) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO NOTHING",
        params![id, c.title, c.description, c.public],
    )?;
    Ok(Collection {
        id,
        title: c.title.clone(),
        description: c.description.clone(),
        public: c.public,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStore;
    use crate::{Store, StoreError, VersionSel};

    fn object(n: u32) -> PreparedObject {
        let text = format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{n:012}","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"host-{n}.example","pattern":"[domain-name:value = 'host-{n}.example']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#
        );
        let map = concord_stix::json::parse_object(text.as_bytes()).expect("test object");
        PreparedObject::new(&concord_stix::StixObject::from_map(map), text)
    }

    /// A new store in a temporary directory, with collection `c1`.
    async fn store_with_collection() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = SqliteStore::open_dir(dir.path()).expect("store");
        s.create_collection(NewCollection {
            id: Some("c1".into()),
            title: "c1".into(),
            description: String::new(),
            public: false,
        })
        .await
        .expect("collection");
        (dir, s)
    }

    /// A batch that trains the first dictionary and then fails leaves
    /// neither the dictionary nor a codec that would name it: the next
    /// batch trains again, and every body reads back, in this process and
    /// in a new one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dictionary_counts_only_once_its_batch_commits() {
        let (dir, s) = store_with_collection().await;
        let batch: Vec<PreparedObject> = (0..1_000).map(object).collect();
        let failed = s.with_writer(|c| {
            put_batch_then(c, &s.inner.codec, "c1", &batch, &[], |_| {
                Err(StoreError::Task("refused after the writes".into()))
            })
        });
        assert!(failed.is_err());
        assert!(!s.inner.codec.get().has_dictionary());
        let dicts: i64 = s
            .with_reader(|c| Ok(c.query_row("SELECT count(*) FROM dicts", [], |r| r.get(0))?))
            .expect("count");
        assert_eq!(dicts, 0);

        let out = s.put_batch("c1", batch.clone()).await.expect("batch");
        assert_eq!(out.inserted, 1_000);
        assert!(s.inner.codec.get().has_dictionary());
        drop(s);
        let again = SqliteStore::open_dir(dir.path()).expect("reopened");
        for n in [0, 500, 999] {
            let v = again
                .versions(&batch[n].id, VersionSel::Last)
                .await
                .expect("read");
            assert_eq!(v[0].json, batch[n].json);
        }
    }

    /// Prepared batches in a row keep their postings for the indexing
    /// step (from the highest row before the first, through rows written
    /// before them and not indexed yet), which takes them whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn prepared_batches_keep_their_postings_until_the_index_takes_them() {
        let (_dir, s) = store_with_collection().await;
        // Rows not indexed yet before the prepared ones (as `init` leaves).
        s.put_batch("c1", (0..5).map(object).collect())
            .await
            .expect("first rows");
        for range in [5..2_005, 2_005..4_005] {
            let ready = s
                .prepare_batch(range.map(object).collect(), true)
                .expect("prepared");
            s.put_ready("c1", ready).await.expect("written");
        }
        {
            let pending = s.inner.pending.lock().expect("pending");
            let p = pending.as_ref().expect("postings kept");
            assert_eq!((p.from, p.last, p.rows), (5, 4_005, 4_000));
        }
        assert_eq!(s.index_search(250_000).await.expect("indexed"), 4_005);
        assert!(s.inner.pending.lock().expect("pending").is_none());
        assert_eq!(s.search_backlog().await.expect("backlog"), 0);
        for n in [0, 4, 5, 2_004, 2_005, 4_004] {
            let hits = s
                .search(&format!("host-{n}.example"), 5)
                .await
                .expect("search");
            assert!(hits.iter().any(|h| h.json == object(n).json), "object {n}");
        }
    }
}
