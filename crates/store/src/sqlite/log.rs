//! The node's own transparency log in the embedded store: tiles, size and
//! governance keys, extended inside the writer's IMMEDIATE transaction.

use concord_stix::Timestamp;
use concord_tlog::{MemoryTiles, TileLevel};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::log::{edge, from_db, level_number, nonce_of, to_db};
use crate::{
    LogAppended, LogLeaf, LoggedVersion, Record, RecordSwap, Result, StoredObject, id_key,
};

/// The log's size as the connection sees it.
pub(super) fn size(conn: &Connection) -> Result<u64> {
    let n: Option<i64> = conn
        .prepare_cached("SELECT row FROM progress WHERE name = 'log'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    from_db(n.unwrap_or(0))
}

fn tile_row(conn: &Connection, level: TileLevel, index: u64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT data FROM log_tiles WHERE level = ?1 AND idx = ?2")?
        .query_row(params![level_number(level), to_db(index)?], |r| r.get(0))
        .optional()?)
}

/// Appends `entries` to the log of `size` leaves inside `tx`: the partial
/// tiles at its right edge are read, the new and grown tiles written over
/// them, and the size moved.
pub(super) fn extend(tx: &Transaction<'_>, size: u64, entries: &[&[u8]]) -> Result<u64> {
    let mut tiles = MemoryTiles::new();
    for tile in edge(size) {
        if let Some(data) = tile_row(tx, tile.level, tile.index)? {
            tiles.insert(&tile, data);
        }
    }
    let appended = crate::log::append(size, entries, &tiles)?;
    let mut put = tx.prepare_cached(
        "INSERT INTO log_tiles (level, idx, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (level, idx) DO UPDATE SET data = excluded.data",
    )?;
    for t in &appended.tiles {
        put.execute(params![
            level_number(t.tile.level),
            to_db(t.tile.index)?,
            t.data
        ])?;
    }
    tx.execute(
        "UPDATE progress SET row = ?1 WHERE name = 'log'",
        [to_db(appended.size)?],
    )?;
    Ok(appended.size)
}

pub(super) fn tiles(conn: &Connection, keys: &[(TileLevel, u64)]) -> Result<Vec<Option<Vec<u8>>>> {
    keys.iter()
        .map(|(level, index)| tile_row(conn, *level, *index))
        .collect()
}

/// Appends the leaves whose keys are new, writes `records`, in one
/// transaction.
pub(super) fn append(
    conn: &mut Connection,
    leaves: &[LogLeaf],
    records: &[Record],
) -> Result<LogAppended> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let start = size(&tx)?;
    let mut out = LogAppended {
        size: start,
        ..Default::default()
    };
    let mut entries: Vec<&[u8]> = Vec::new();
    {
        let mut known = tx.prepare_cached("SELECT leaf FROM log_entries WHERE key = ?1")?;
        let mut file = tx.prepare_cached("INSERT INTO log_entries (leaf, key) VALUES (?1, ?2)")?;
        let mut seen = std::collections::HashMap::new();
        for l in leaves {
            let held: Option<i64> = known.query_row([&l.key], |r| r.get(0)).optional()?;
            let leaf = match (held, seen.get(&l.key)) {
                (Some(leaf), _) => from_db(leaf)?,
                (None, Some(&leaf)) => leaf,
                (None, None) => {
                    let leaf = start + entries.len() as u64;
                    file.execute(params![to_db(leaf)?, l.key])?;
                    entries.push(&l.entry);
                    seen.insert(l.key.clone(), leaf);
                    leaf
                }
            };
            out.leaves.push((l.key.clone(), leaf));
        }
    }
    if !entries.is_empty() {
        out.size = extend(&tx, start, &entries)?;
        out.appended = entries.len();
    }
    super::access::put_records(&tx, records)?;
    tx.commit()?;
    Ok(out)
}

/// The versions among `keys` stored with log material.
pub(super) fn logged_versions(
    conn: &Connection,
    keys: &[(String, String)],
    with_json: bool,
) -> Result<Vec<LoggedVersion>> {
    let mut stmt = conn.prepare_cached(if with_json {
        "SELECT row, id, version, type, body_text(json), log_leaf, log_nonce FROM objects
         WHERE id_key = ?1 AND id = ?2 AND version = ?3 AND log_leaf IS NOT NULL"
    } else {
        "SELECT row, id, version, type, '', log_leaf, log_nonce FROM objects
         WHERE id_key = ?1 AND id = ?2 AND version = ?3 AND log_leaf IS NOT NULL"
    })?;
    let mut out = Vec::with_capacity(keys.len());
    for (id, version) in keys {
        let found = stmt
            .query_row(params![id_key(id), id, version], |r| {
                Ok((
                    StoredObject {
                        row: r.get(0)?,
                        id: r.get(1)?,
                        version: r.get(2)?,
                        object_type: r.get(3)?,
                        json: r.get(4)?,
                        date_added_us: None,
                        log: None,
                    },
                    r.get::<_, i64>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                ))
            })
            .optional()?;
        if let Some((object, leaf, nonce)) = found {
            out.push(LoggedVersion {
                object,
                leaf: from_db(leaf)?,
                nonce: nonce_of(&nonce)?,
            });
        }
    }
    Ok(out)
}

pub(super) fn swap_record(
    conn: &mut Connection,
    expected: Option<&str>,
    record: &Record,
) -> Result<RecordSwap> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stored = super::access::record(&tx, &record.kind, &record.key)?;
    if stored.as_ref().map(|r| r.value.as_str()) != expected {
        return Ok(RecordSwap::Changed(stored));
    }
    tx.execute(
        "INSERT INTO records (kind, key, value, updated_us) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us",
        params![record.kind, record.key, record.value, Timestamp::now().0],
    )?;
    tx.commit()?;
    Ok(RecordSwap::Done)
}
