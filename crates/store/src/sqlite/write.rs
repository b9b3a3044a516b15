//! Writes: one IMMEDIATE transaction per call, so a batch is all or nothing
//! and `date_added` is assigned under the write lock (no two writers, even in
//! two processes, can hand out the same or a smaller value).

use concord_stix::Timestamp;
use rusqlite::{Connection, TransactionBehavior, params};

use crate::{BatchOutcome, Collection, LogMark, NewCollection, PreparedObject, Result, id_key};

pub(super) fn put_batch(
    conn: &mut Connection,
    collection: &str,
    batch: &[PreparedObject],
) -> Result<BatchOutcome> {
    put_batch_then(conn, collection, batch, |_| Ok(()))
}

/// `put_batch`, with `also` run inside the same transaction before it
/// commits (a sync cursor moves together with the objects it covers).
pub(super) fn put_batch_then(
    conn: &mut Connection,
    collection: &str,
    batch: &[PreparedObject],
    also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
) -> Result<BatchOutcome> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (coll_row, mut last) = super::read::collection_row(&tx, collection)?;
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
        let mut insert = tx.prepare_cached(
            "INSERT INTO objects (id_key, id, version, version_us, type, spec_version, created_by, tlp, revoked, latest, json, log_leaf, log_nonce)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut set_log =
            tx.prepare_cached("UPDATE objects SET log_leaf = ?2, log_nonce = ?3 WHERE row = ?1")?;
        let mut unset_latest = tx.prepare_cached("UPDATE objects SET latest = 0 WHERE row = ?1")?;
        let mut entry = tx.prepare_cached(
            "INSERT INTO entries (collection, date_added_us, object) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for o in batch {
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
                    insert.execute(params![
                        key,
                        o.id,
                        o.version,
                        o.version_us,
                        o.object_type,
                        o.spec_version,
                        o.created_by,
                        o.tlp.map(|t| t as i64),
                        o.revoked,
                        newest,
                        o.json,
                        leaf,
                        nonce,
                    ])?;
                    outcome.inserted += 1;
                    tx.last_insert_rowid()
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
    Ok(outcome)
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
