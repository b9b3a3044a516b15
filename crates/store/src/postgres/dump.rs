//! The portable dump of the PostgreSQL store (see `crate::dump`): one
//! `REPEATABLE READ READ ONLY` transaction read through a cursor per table
//! (pg_dump's semantics: one snapshot, the server keeps serving), loaded in
//! transactions of a few thousand rows with `unnest` for the large tables.

use deadpool_postgres::Transaction;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::Type;

use super::PgStore;
use crate::dump::{DumpRow, LoadReport, Table, ensure_empty, prepared};
use crate::{Result, StoreError};

/// Rows per cursor fetch and per load transaction.
const STEP: usize = 5_000;

fn query(t: Table) -> &'static str {
    match t {
        Table::Collections => {
            "SELECT id, title, description, public, last_added_us FROM collections ORDER BY row"
        }
        Table::Objects => "SELECT id, version, json FROM objects ORDER BY row",
        Table::Entries => {
            "SELECT c.id, e.date_added_us, o.id, o.version FROM entries e
             JOIN collections c ON c.row = e.collection JOIN objects o ON o.row = e.object
             ORDER BY e.collection, e.date_added_us"
        }
        Table::Users => "SELECT name, password_hash, admin FROM users ORDER BY name",
        Table::Grants => {
            "SELECT username, collection, can_read, can_write FROM grants ORDER BY username, collection"
        }
        Table::Tokens => "SELECT hash, username, created_us FROM tokens ORDER BY hash",
        Table::Statuses => {
            "SELECT id, collection, owner, created_us, json FROM statuses ORDER BY id"
        }
        Table::SyncCursors => "SELECT source, value, updated_us FROM sync_cursors ORDER BY source",
        Table::Records => "SELECT kind, key, value, updated_us FROM records ORDER BY kind, key",
        Table::LogTiles => {
            "SELECT level::bigint, idx, encode(data, 'hex') FROM log_tiles ORDER BY level, idx"
        }
        Table::LogEntries => "SELECT leaf, key FROM log_entries ORDER BY leaf",
        Table::LogMarks => {
            "SELECT id, version, log_leaf, encode(log_nonce, 'hex') FROM objects
             WHERE log_leaf IS NOT NULL ORDER BY row"
        }
        Table::LogSize => "SELECT size FROM log_head WHERE id = 1",
    }
}

fn value(row: &tokio_postgres::Row, i: usize) -> Result<Value> {
    let t = row.columns()[i].type_().clone();
    Ok(if t == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, |b| json!(b))
    } else if t == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, |n| json!(n))
    } else if t == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map_or(Value::Null, |n| json!(n))
    } else if t == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?
            .map_or(Value::Null, |n| json!(n))
    } else {
        row.try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, |s| json!(s))
    })
}

impl PgStore {
    pub(crate) async fn dump(&self, out: mpsc::Sender<DumpRow>) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        for t in Table::ALL {
            tx.batch_execute(&format!(
                "DECLARE dump_cursor NO SCROLL CURSOR FOR {}",
                query(t)
            ))
            .await?;
            loop {
                let rows = tx
                    .query(&format!("FETCH {STEP} FROM dump_cursor"), &[])
                    .await?;
                for r in &rows {
                    let values = (0..t.width())
                        .map(|i| value(r, i))
                        .collect::<Result<Vec<_>>>()?;
                    if out.send(DumpRow { table: t, values }).await.is_err() {
                        return Ok(());
                    }
                }
                if rows.len() < STEP {
                    break;
                }
            }
            tx.batch_execute("CLOSE dump_cursor").await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn load(&self, mut rows: mpsc::Receiver<DumpRow>) -> Result<LoadReport> {
        let mut client = self.client().await?;
        let mut counts = Vec::new();
        for (name, table) in [
            ("objects", "objects"),
            ("users", "users"),
            ("statuses", "statuses"),
            ("sync cursors", "sync_cursors"),
            ("records", "records"),
            ("log tiles", "log_tiles"),
        ] {
            let n: i64 = client
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await?
                .get(0);
            counts.push((name, n));
        }
        ensure_empty(&counts)?;
        let mut report = LoadReport::default();
        let mut batch: Vec<DumpRow> = Vec::with_capacity(STEP);
        let mut heads_made = false;
        while let Some(row) = rows.recv().await {
            if batch.first().is_some_and(|b| b.table != row.table) || batch.len() >= STEP {
                flush(&mut client, &mut batch, &mut report).await?;
            }
            if !heads_made && row.table > Table::Objects {
                make_heads(&client).await?;
                heads_made = true;
            }
            batch.push(row);
        }
        flush(&mut client, &mut batch, &mut report).await?;
        if !heads_made {
            make_heads(&client).await?;
        }
        Ok(report)
    }
}

/// The latest version of each id, and every object queued for search.
async fn make_heads(client: &deadpool_postgres::Client) -> Result<()> {
    client
        .batch_execute(
            "INSERT INTO heads (id, row, version_us, version, type, tlp, revoked)
             SELECT DISTINCT ON (id) id, row, version_us, version, type, tlp, revoked
             FROM objects ORDER BY id, version_us DESC, version DESC
             ON CONFLICT (id) DO NOTHING;
             INSERT INTO search_queue (rows)
                 SELECT array_agg(row ORDER BY row) FROM objects GROUP BY row / 8192 ORDER BY row / 8192;",
        )
        .await?;
    Ok(())
}

async fn flush(
    client: &mut deadpool_postgres::Client,
    batch: &mut Vec<DumpRow>,
    report: &mut LoadReport,
) -> Result<()> {
    let Some(first) = batch.first() else {
        return Ok(());
    };
    let table = first.table;
    let tx = client.transaction().await?;
    match table {
        Table::Objects => load_objects(&tx, batch).await?,
        Table::Entries => load_entries(&tx, batch).await?,
        _ => {
            for row in batch.iter() {
                write_row(&tx, row).await?;
            }
        }
    }
    tx.commit().await?;
    *report.rows.entry(table.name().to_string()).or_default() += batch.len() as u64;
    batch.clear();
    Ok(())
}

async fn load_objects(tx: &Transaction<'_>, batch: &[DumpRow]) -> Result<()> {
    let objects = batch.iter().map(prepared).collect::<Result<Vec<_>>>()?;
    let ids: Vec<&str> = objects.iter().map(|o| o.id.as_str()).collect();
    let versions: Vec<&str> = objects.iter().map(|o| o.version.as_str()).collect();
    let us: Vec<i64> = objects.iter().map(|o| o.version_us).collect();
    let types: Vec<&str> = objects.iter().map(|o| o.object_type.as_str()).collect();
    let spec: Vec<Option<&str>> = objects.iter().map(|o| o.spec_version.as_deref()).collect();
    let by: Vec<Option<&str>> = objects.iter().map(|o| o.created_by.as_deref()).collect();
    let tlp: Vec<Option<i16>> = objects.iter().map(|o| o.tlp.map(|t| t as i16)).collect();
    let revoked: Vec<bool> = objects.iter().map(|o| o.revoked).collect();
    let jsons: Vec<&str> = objects.iter().map(|o| o.json.as_str()).collect();
    // WITH ORDINALITY keeps the dump's order: row numbers follow storage order.
    tx.execute(
        "INSERT INTO objects (id, version, version_us, type, spec_version, created_by, tlp, revoked, json)
         SELECT i, v, u, t, s, c, l, r, j FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[],
             $5::text[], $6::text[], $7::smallint[], $8::bool[], $9::text[])
             WITH ORDINALITY AS x(i, v, u, t, s, c, l, r, j, n) ORDER BY n",
        &[&ids, &versions, &us, &types, &spec, &by, &tlp, &revoked, &jsons],
    )
    .await?;
    Ok(())
}

async fn load_entries(tx: &Transaction<'_>, batch: &[DumpRow]) -> Result<()> {
    let mut colls = Vec::with_capacity(batch.len());
    let mut dates = Vec::with_capacity(batch.len());
    let mut ids = Vec::with_capacity(batch.len());
    let mut versions = Vec::with_capacity(batch.len());
    for r in batch {
        colls.push(r.text(0)?);
        dates.push(r.int(1)?);
        ids.push(r.text(2)?);
        versions.push(r.text(3)?);
    }
    let n = tx
        .execute(
            "INSERT INTO entries (collection, date_added_us, object)
             SELECT c.row, u.d, o.row
             FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS u(c, d, i, v)
             JOIN collections c ON c.id = u.c
             JOIN objects o ON o.id = u.i AND o.version = u.v",
            &[&colls, &dates, &ids, &versions],
        )
        .await?;
    if n != batch.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "{} of {} entries name a collection or object the dump did not hold",
            batch.len() as u64 - n,
            batch.len()
        )));
    }
    Ok(())
}

async fn write_row(tx: &Transaction<'_>, row: &DumpRow) -> Result<()> {
    match row.table {
        Table::Collections => {
            tx.execute(
                "INSERT INTO collections (id, title, description, public, last_added_us)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title,
                    description = excluded.description, public = excluded.public,
                    last_added_us = greatest(collections.last_added_us, excluded.last_added_us)",
                &[
                    &row.text(0)?,
                    &row.text(1)?,
                    &row.text(2)?,
                    &row.flag(3)?,
                    &row.int(4)?,
                ],
            )
            .await?;
        }
        Table::Users => {
            tx.execute(
                "INSERT INTO users (name, password_hash, admin) VALUES ($1, $2, $3)",
                &[&row.text(0)?, &row.text(1)?, &row.flag(2)?],
            )
            .await?;
        }
        Table::Grants => {
            tx.execute(
                "INSERT INTO grants (username, collection, can_read, can_write) VALUES ($1, $2, $3, $4)",
                &[&row.text(0)?, &row.text(1)?, &row.flag(2)?, &row.flag(3)?],
            )
            .await?;
        }
        Table::Tokens => {
            tx.execute(
                "INSERT INTO tokens (hash, username, created_us) VALUES ($1, $2, $3)",
                &[&row.text(0)?, &row.text(1)?, &row.int(2)?],
            )
            .await?;
        }
        Table::Statuses => {
            tx.execute(
                "INSERT INTO statuses (id, collection, owner, created_us, json) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &row.text(0)?,
                    &row.text(1)?,
                    &row.opt_text(2)?,
                    &row.int(3)?,
                    &row.text(4)?,
                ],
            )
            .await?;
        }
        Table::SyncCursors => {
            tx.execute(
                "INSERT INTO sync_cursors (source, value, updated_us) VALUES ($1, $2, $3)",
                &[&row.text(0)?, &row.text(1)?, &row.int(2)?],
            )
            .await?;
        }
        Table::Records => {
            tx.execute(
                "INSERT INTO records (kind, key, value, updated_us) VALUES ($1, $2, $3, $4)",
                &[&row.text(0)?, &row.text(1)?, &row.text(2)?, &row.int(3)?],
            )
            .await?;
        }
        Table::LogTiles => {
            let level = i16::try_from(row.int(0)?).map_err(|_| {
                StoreError::Corrupt(format!("a log tile's level {}", row.int(0).unwrap_or(0)))
            })?;
            tx.execute(
                "INSERT INTO log_tiles (level, idx, data) VALUES ($1, $2, $3)",
                &[&level, &row.int(1)?, &row.hex(2)?],
            )
            .await?;
        }
        Table::LogEntries => {
            tx.execute(
                "INSERT INTO log_entries (leaf, key) VALUES ($1, $2)",
                &[&row.int(0)?, &row.text(1)?],
            )
            .await?;
        }
        Table::LogMarks => {
            let n = tx
                .execute(
                    "UPDATE objects SET log_leaf = $3, log_nonce = $4 WHERE id = $1 AND version = $2",
                    &[&row.text(0)?, &row.text(1)?, &row.int(2)?, &row.hex(3)?],
                )
                .await?;
            if n != 1 {
                return Err(StoreError::Corrupt(format!(
                    "a log mark names {} {}, which the dump did not hold",
                    row.text(0)?,
                    row.text(1)?
                )));
            }
        }
        Table::LogSize => {
            tx.execute(
                "INSERT INTO log_head (id, size) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET size = excluded.size",
                &[&row.int(0)?],
            )
            .await?;
        }
        Table::Objects | Table::Entries => {
            return Err(StoreError::Task(
                "objects and entries are loaded in batches".into(),
            ));
        }
    }
    Ok(())
}
