//! The portable dump of the embedded store (see `crate::dump`): read in one
//! transaction of a dedicated connection (a WAL snapshot: the writer goes
//! on), loaded in transactions of a few thousand rows.

use rusqlite::{Connection, params};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::SqliteStore;
use super::codec::{Body, Codec, SharedCodec};
use crate::dump::{DumpRow, LoadReport, Table, ensure_empty, prepared};
use crate::{PreparedObject, Result, StoreError, id_key};

/// Rows per load transaction.
const LOAD_STEP: usize = 5_000;

/// The query of each table, in dump order, and how its columns read.
fn query(t: Table) -> &'static str {
    match t {
        Table::Collections => {
            "SELECT id, title, description, public, last_added_us FROM collections ORDER BY row"
        }
        Table::Objects => "SELECT id, version, body_text(json) FROM objects ORDER BY row",
        Table::Entries => {
            "SELECT c.id, e.date_added_us, o.id, o.version FROM entries e
             JOIN collections c ON c.row = e.collection JOIN objects o ON o.row = e.object
             ORDER BY e.collection, e.date_added_us"
        }
        Table::Users => "SELECT name, password_hash, admin FROM users ORDER BY name",
        Table::Grants => {
            "SELECT user, collection, can_read, can_write FROM grants ORDER BY user, collection"
        }
        Table::Tokens => "SELECT hash, user, created_us FROM tokens ORDER BY hash",
        Table::Statuses => {
            "SELECT id, collection, owner, created_us, json FROM statuses ORDER BY id"
        }
        Table::SyncCursors => "SELECT source, value, updated_us FROM sync_cursors ORDER BY source",
        Table::Records => "SELECT kind, key, value, updated_us FROM records ORDER BY kind, key",
        Table::LogTiles => "SELECT level, idx, lower(hex(data)) FROM log_tiles ORDER BY level, idx",
        Table::LogEntries => "SELECT leaf, key FROM log_entries ORDER BY leaf",
        Table::LogMarks => {
            "SELECT id, version, log_leaf, lower(hex(log_nonce)) FROM objects
             WHERE log_leaf IS NOT NULL ORDER BY row"
        }
        Table::LogSize => "SELECT row FROM progress WHERE name = 'log'",
    }
}

/// Which columns of a table are booleans (SQLite keeps them as integers).
fn is_flag(t: Table, column: usize) -> bool {
    matches!(
        (t, column),
        (Table::Collections, 3) | (Table::Users, 2) | (Table::Grants, 2 | 3)
    )
}

fn value(t: Table, i: usize, v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) if is_flag(t, i) => json!(n != 0),
        ValueRef::Integer(n) => json!(n),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(b) | ValueRef::Blob(b) => json!(String::from_utf8_lossy(b)),
    }
}

fn dump_in(conn: &Connection, out: &mpsc::Sender<DumpRow>) -> Result<()> {
    for t in Table::ALL {
        let mut stmt = conn.prepare(query(t))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let values = (0..t.width())
                .map(|i| r.get_ref(i).map(|v| value(t, i, v)))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if out.blocking_send(DumpRow { table: t, values }).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

impl SqliteStore {
    pub(crate) async fn dump(&self, out: mpsc::Sender<DumpRow>) -> Result<()> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = me.open_connection()?;
            // One read transaction: every table from the same snapshot.
            conn.execute_batch("BEGIN")?;
            let done = dump_in(&conn, &out);
            let _ = conn.execute_batch("COMMIT");
            done
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    pub(crate) async fn load(&self, mut rows: mpsc::Receiver<DumpRow>) -> Result<LoadReport> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            me.with_writer(|conn| {
                let counts: Vec<(&str, i64)> = [
                    ("objects", "SELECT count(*) FROM objects"),
                    ("users", "SELECT count(*) FROM users"),
                    ("statuses", "SELECT count(*) FROM statuses"),
                    ("sync cursors", "SELECT count(*) FROM sync_cursors"),
                    ("records", "SELECT count(*) FROM records"),
                    ("log tiles", "SELECT count(*) FROM log_tiles"),
                ]
                .iter()
                .map(|(n, q)| Ok((*n, conn.query_row(q, [], |r| r.get(0))?)))
                .collect::<Result<_>>()?;
                ensure_empty(&counts)?;
                let mut report = LoadReport::default();
                let mut batch: Vec<DumpRow> = Vec::with_capacity(LOAD_STEP);
                let mut latest_marked = false;
                while let Some(row) = rows.blocking_recv() {
                    if batch.first().is_some_and(|b| b.table != row.table)
                        || batch.len() >= LOAD_STEP
                    {
                        flush(conn, &me.inner.codec, &mut batch, &mut report)?;
                    }
                    // Every object is in once a later table starts.
                    if !latest_marked && row.table > Table::Objects {
                        mark_latest(conn)?;
                        latest_marked = true;
                    }
                    batch.push(row);
                }
                flush(conn, &me.inner.codec, &mut batch, &mut report)?;
                if !latest_marked {
                    mark_latest(conn)?;
                }
                Ok(report)
            })
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// The latest version of each id, as the writer would have marked it.
fn mark_latest(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "UPDATE objects SET latest = 1 WHERE row IN (
            SELECT row FROM (
                SELECT row, row_number() OVER (PARTITION BY id ORDER BY version_us DESC, version DESC) AS n
                FROM objects)
            WHERE n = 1);
         UPDATE progress SET row = 0 WHERE name = 'search';
         DELETE FROM grams;",
    )?;
    Ok(())
}

fn flush(
    conn: &mut Connection,
    codec: &SharedCodec,
    batch: &mut Vec<DumpRow>,
    report: &mut LoadReport,
) -> Result<()> {
    let Some(first) = batch.first() else {
        return Ok(());
    };
    let table = first.table;
    let tx = conn.transaction()?;
    let mut trained = None;
    if table == Table::Objects {
        // Objects are stored compressed, as the writer stores them.
        let objects = batch.iter().map(prepared).collect::<Result<Vec<_>>>()?;
        let in_use = codec.get();
        if !in_use.has_dictionary() {
            let texts: Vec<&str> = objects.iter().map(|o| o.json.as_str()).collect();
            trained = codec.train_in(&tx, &texts)?;
        }
        let encoder = trained.as_ref().unwrap_or(&in_use);
        for o in &objects {
            write_object(&tx, o, &encoder.encode(&o.json))?;
        }
    } else {
        for row in batch.iter() {
            write_row(&tx, row)?;
        }
    }
    tx.commit()?;
    if let Some(t) = trained {
        codec.set(t);
    }
    *report.rows.entry(table.name().to_string()).or_default() += batch.len() as u64;
    batch.clear();
    Ok(())
}

/// A dumped object version, not yet marked latest (`mark_latest` does).
fn write_object(tx: &rusqlite::Transaction<'_>, o: &PreparedObject, body: &Body) -> Result<()> {
    let mut insert = tx.prepare_cached(super::write::INSERT_OBJECT)?;
    super::write::insert_object(&mut insert, o, body, false, None, None)
}

fn write_row(tx: &rusqlite::Transaction<'_>, row: &DumpRow) -> Result<()> {
    match row.table {
        Table::Collections => {
            tx.prepare_cached(
                "INSERT INTO collections (id, title, description, public, last_added_us)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title,
                    description = excluded.description, public = excluded.public,
                    last_added_us = max(last_added_us, excluded.last_added_us)",
            )?
            .execute(params![
                row.text(0)?,
                row.text(1)?,
                row.text(2)?,
                row.flag(3)?,
                row.int(4)?
            ])?;
        }
        Table::Objects => {
            let o = prepared(row)?;
            write_object(tx, &o, &Codec::default().encode(&o.json))?;
        }
        Table::Entries => {
            let n = tx
                .prepare_cached(
                    "INSERT INTO entries (collection, date_added_us, object)
                     SELECT c.row, ?2, o.row FROM collections c, objects o
                     WHERE c.id = ?1 AND o.id_key = ?3 AND o.id = ?4 AND o.version = ?5",
                )?
                .execute(params![
                    row.text(0)?,
                    row.int(1)?,
                    id_key(row.text(2)?),
                    row.text(2)?,
                    row.text(3)?
                ])?;
            if n != 1 {
                return Err(StoreError::Corrupt(format!(
                    "an entry of collection {} names {} {}, which the dump did not hold",
                    row.text(0)?,
                    row.text(2)?,
                    row.text(3)?
                )));
            }
        }
        Table::Users => {
            tx.prepare_cached(
                "INSERT INTO users (name, password_hash, admin) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![row.text(0)?, row.text(1)?, row.flag(2)?])?;
        }
        Table::Grants => {
            tx.prepare_cached(
                "INSERT INTO grants (user, collection, can_read, can_write) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                row.text(0)?,
                row.text(1)?,
                row.flag(2)?,
                row.flag(3)?
            ])?;
        }
        Table::Tokens => {
            tx.prepare_cached("INSERT INTO tokens (hash, user, created_us) VALUES (?1, ?2, ?3)")?
                .execute(params![row.text(0)?, row.text(1)?, row.int(2)?])?;
        }
        Table::Statuses => {
            tx.prepare_cached(
                "INSERT INTO statuses (id, collection, owner, created_us, json) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                row.text(0)?,
                row.text(1)?,
                row.opt_text(2)?,
                row.int(3)?,
                row.text(4)?
            ])?;
        }
        Table::SyncCursors => {
            tx.prepare_cached(
                "INSERT INTO sync_cursors (source, value, updated_us) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![row.text(0)?, row.text(1)?, row.int(2)?])?;
        }
        Table::Records => {
            tx.prepare_cached(
                "INSERT INTO records (kind, key, value, updated_us) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                row.text(0)?,
                row.text(1)?,
                row.text(2)?,
                row.int(3)?
            ])?;
        }
        Table::LogTiles => {
            tx.prepare_cached("INSERT INTO log_tiles (level, idx, data) VALUES (?1, ?2, ?3)")?
                .execute(params![row.int(0)?, row.int(1)?, row.hex(2)?])?;
        }
        Table::LogEntries => {
            tx.prepare_cached("INSERT INTO log_entries (leaf, key) VALUES (?1, ?2)")?
                .execute(params![row.int(0)?, row.text(1)?])?;
        }
        Table::LogMarks => {
            let n = tx
                .prepare_cached(
                    "UPDATE objects SET log_leaf = ?3, log_nonce = ?4
                     WHERE id_key = ?1 AND id = ?2 AND version = ?5",
                )?
                .execute(params![
                    id_key(row.text(0)?),
                    row.text(0)?,
                    row.int(2)?,
                    row.hex(3)?,
                    row.text(1)?
                ])?;
            if n != 1 {
                return Err(StoreError::Corrupt(format!(
                    "a log mark names {} {}, which the dump did not hold",
                    row.text(0)?,
                    row.text(1)?
                )));
            }
        }
        Table::LogSize => {
            tx.prepare_cached(
                "INSERT INTO progress (name, row) VALUES ('log', ?1)
                 ON CONFLICT (name) DO UPDATE SET row = excluded.row",
            )?
            .execute(params![row.int(0)?])?;
        }
    }
    Ok(())
}
