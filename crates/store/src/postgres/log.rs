//! The node's own transparency log in PostgreSQL. The `log_head` row lock
//! (`SELECT … FOR UPDATE`, held to commit) makes appends one writer at a
//! time across processes, as the embedded store's write lock does; it is
//! taken before the collection's lock, never after it.

use concord_stix::Timestamp;
use concord_tlog::{MemoryTiles, TileLevel};
use deadpool_postgres::{Client, Transaction};

use crate::log::{edge, from_db, level_number, nonce_of, to_db};
use crate::{LogAppended, LogLeaf, LoggedVersion, Record, RecordSwap, Result, StoredObject};

/// The log's size, locked for this transaction.
pub(super) async fn lock_size(tx: &Transaction<'_>) -> Result<u64> {
    let n: i64 = tx
        .query_one("SELECT size FROM log_head WHERE id = 1 FOR UPDATE", &[])
        .await?
        .get(0);
    from_db(n)
}

pub(super) async fn size(client: &Client) -> Result<u64> {
    let n: i64 = client
        .query_one("SELECT size FROM log_head WHERE id = 1", &[])
        .await?
        .get(0);
    from_db(n)
}

/// Appends `entries` to the log of `size` leaves (its lock held by `tx`).
pub(super) async fn extend(tx: &Transaction<'_>, size: u64, entries: &[&[u8]]) -> Result<u64> {
    let edge = edge(size);
    let mut tiles = MemoryTiles::new();
    if !edge.is_empty() {
        let levels: Vec<i16> = edge.iter().map(|t| level_number(t.level)).collect();
        let indexes: Vec<i64> = edge.iter().map(|t| to_db(t.index)).collect::<Result<_>>()?;
        let found = tx
            .query(
                "SELECT t.level, t.idx, t.data FROM log_tiles t
                 JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, idx)
                   ON t.level = k.level AND t.idx = k.idx",
                &[&levels, &indexes],
            )
            .await?;
        for r in &found {
            let (level, index): (i16, i64) = (r.get(0), r.get(1));
            if let Some(tile) = edge
                .iter()
                .find(|t| level_number(t.level) == level && to_db(t.index).ok() == Some(index))
            {
                tiles.insert(tile, r.get(2));
            }
        }
    }
    let appended = crate::log::append(size, entries, &tiles)?;
    // One row per (level, index): a tile written twice in one append (it
    // grew) keeps its widest bytes, which come last.
    let mut widest: std::collections::BTreeMap<(i16, i64), &[u8]> = Default::default();
    for t in &appended.tiles {
        widest.insert(
            (level_number(t.tile.level), to_db(t.tile.index)?),
            t.data.as_slice(),
        );
    }
    let levels: Vec<i16> = widest.keys().map(|k| k.0).collect();
    let indexes: Vec<i64> = widest.keys().map(|k| k.1).collect();
    let data: Vec<&[u8]> = widest.values().copied().collect();
    tx.execute(
        "INSERT INTO log_tiles (level, idx, data)
         SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])
         ON CONFLICT (level, idx) DO UPDATE SET data = excluded.data",
        &[&levels, &indexes, &data],
    )
    .await?;
    tx.execute(
        "UPDATE log_head SET size = $1 WHERE id = 1",
        &[&to_db(appended.size)?],
    )
    .await?;
    Ok(appended.size)
}

pub(super) async fn tiles(
    client: &Client,
    keys: &[(TileLevel, u64)],
) -> Result<Vec<Option<Vec<u8>>>> {
    let mut out = Vec::with_capacity(keys.len());
    let stmt = client
        .prepare_cached("SELECT data FROM log_tiles WHERE level = $1 AND idx = $2")
        .await?;
    for (level, index) in keys {
        let row = client
            .query_opt(&stmt, &[&level_number(*level), &to_db(*index)?])
            .await?;
        out.push(row.map(|r| r.get(0)));
    }
    Ok(out)
}

pub(super) async fn append(
    client: &mut Client,
    leaves: &[LogLeaf],
    records: &[Record],
) -> Result<LogAppended> {
    let tx = client.transaction().await?;
    let start = lock_size(&tx).await?;
    let mut out = LogAppended {
        size: start,
        ..Default::default()
    };
    let mut entries: Vec<&[u8]> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for l in leaves {
        let held: Option<i64> = tx
            .query_opt("SELECT leaf FROM log_entries WHERE key = $1", &[&l.key])
            .await?
            .map(|r| r.get(0));
        let leaf = match (held, seen.get(&l.key)) {
            (Some(leaf), _) => from_db(leaf)?,
            (None, Some(&leaf)) => leaf,
            (None, None) => {
                let leaf = start + entries.len() as u64;
                tx.execute(
                    "INSERT INTO log_entries (leaf, key) VALUES ($1, $2)",
                    &[&to_db(leaf)?, &l.key],
                )
                .await?;
                entries.push(&l.entry);
                seen.insert(l.key.clone(), leaf);
                leaf
            }
        };
        out.leaves.push((l.key.clone(), leaf));
    }
    if !entries.is_empty() {
        out.size = extend(&tx, start, &entries).await?;
        out.appended = entries.len();
    }
    super::access::put_records(&tx, records).await?;
    tx.commit().await?;
    Ok(out)
}

pub(super) async fn logged_versions(
    client: &Client,
    keys: &[(String, String)],
    with_json: bool,
) -> Result<Vec<LoggedVersion>> {
    let ids: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let versions: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let rows = client
        .query(
            "SELECT o.row, o.id, o.version, o.type, CASE WHEN $3 THEN o.json ELSE '' END,
                    o.log_leaf, o.log_nonce FROM objects o
             JOIN unnest($1::text[], $2::text[]) AS k(id, version)
               ON o.id = k.id AND o.version = k.version
             WHERE o.log_leaf IS NOT NULL",
            &[&ids, &versions, &with_json],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(LoggedVersion {
                object: StoredObject {
                    row: r.get(0),
                    id: r.get(1),
                    version: r.get(2),
                    object_type: r.get(3),
                    json: r.get(4),
                    date_added_us: None,
                    log: None,
                },
                leaf: from_db(r.get(5))?,
                nonce: nonce_of(r.get::<_, &[u8]>(6))?,
            })
        })
        .collect()
}

pub(super) async fn swap_record(
    client: &mut Client,
    expected: Option<&str>,
    record: &Record,
) -> Result<RecordSwap> {
    let tx = client.transaction().await?;
    let now = Timestamp::now().0;
    let done = match expected {
        // Only if nothing is there: a concurrent insert loses on the key.
        None => {
            tx.execute(
                "INSERT INTO records (kind, key, value, updated_us) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kind, key) DO NOTHING",
                &[&record.kind, &record.key, &record.value, &now],
            )
            .await?
        }
        // Only if the row still holds what the caller read: the row lock
        // of the UPDATE orders concurrent swaps, and the loser's WHERE no
        // longer matches.
        Some(old) => {
            tx.execute(
                "UPDATE records SET value = $3, updated_us = $4
                 WHERE kind = $1 AND key = $2 AND value = $5",
                &[&record.kind, &record.key, &record.value, &now, &old],
            )
            .await?
        }
    };
    if done == 1 {
        tx.commit().await?;
        return Ok(RecordSwap::Done);
    }
    let stored = tx
        .query_opt(
            "SELECT kind, key, value, updated_us FROM records WHERE kind = $1 AND key = $2",
            &[&record.kind, &record.key],
        )
        .await?
        .map(|r| Record {
            kind: r.get(0),
            key: r.get(1),
            value: r.get(2),
            updated_us: r.get(3),
        });
    tx.commit().await?;
    Ok(RecordSwap::Changed(stored))
}
