//! Writes: one IMMEDIATE transaction per call, so a batch is all or nothing
//! and `date_added` is assigned under the write lock (no two writers, even in
//! two processes, can hand out the same or a smaller value).

use concord_stix::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{BatchOutcome, Collection, NewCollection, PreparedObject, Result, StoreError};

pub fn put_batch(
    conn: &mut Connection,
    collection: &str,
    batch: &[PreparedObject],
) -> Result<BatchOutcome> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (coll_row, mut last): (i64, i64) = tx
        .query_row(
            "SELECT row, last_added_us FROM collections WHERE id = ?1",
            [collection],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::UnknownCollection(collection.to_string()))?;
    let now = Timestamp::now().0;
    let mut outcome = BatchOutcome::default();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO objects (id, version, version_us, type, spec_version, created_by, tlp, revoked, latest, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9)
             ON CONFLICT (id, version) DO NOTHING",
        )?;
        let mut find =
            tx.prepare_cached("SELECT row FROM objects WHERE id = ?1 AND version = ?2")?;
        let mut current = tx.prepare_cached(
            "SELECT row, version_us, version FROM objects WHERE id = ?1 AND latest = 1",
        )?;
        let mut set_latest = tx.prepare_cached("UPDATE objects SET latest = ?2 WHERE row = ?1")?;
        let mut index = tx.prepare_cached("INSERT INTO search (rowid, text) VALUES (?1, ?2)")?;
        let mut entry = tx.prepare_cached(
            "INSERT INTO entries (collection, date_added_us, object) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for o in batch {
            let inserted = insert.execute(params![
                o.id,
                o.version,
                o.version_us,
                o.object_type,
                o.spec_version,
                o.created_by,
                o.tlp.map(|t| t as i64),
                o.revoked,
                o.json,
            ])? == 1;
            let row = if inserted {
                let row = tx.last_insert_rowid();
                outcome.inserted += 1;
                let prev: Option<(i64, i64, String)> = current
                    .query_row([&o.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                let newer = match &prev {
                    None => true,
                    Some((_, us, v)) => (o.version_us, o.version.as_str()) > (*us, v.as_str()),
                };
                if newer {
                    if let Some((prev_row, _, _)) = prev {
                        set_latest.execute(params![prev_row, 0])?;
                    }
                    set_latest.execute(params![row, 1])?;
                }
                if !o.search_text.is_empty() {
                    index.execute(params![row, o.search_text])?;
                }
                row
            } else {
                outcome.duplicates += 1;
                find.query_row(params![o.id, o.version], |r| r.get(0))?
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
    tx.commit()?;
    Ok(outcome)
}

pub fn create_collection(conn: &mut Connection, c: &NewCollection) -> Result<Collection> {
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
