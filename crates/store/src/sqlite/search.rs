//! The full-text index is derived from the objects table and caught up after
//! writes, not inside them: an import stores and acknowledges objects at the
//! speed of the table, and the index follows (at the end of an import, in the
//! background of a server, and always before a search answers, so a search
//! never misses a stored object). `progress.search` is the last indexed row;
//! it moves in the same transaction as the index rows it covers.

use concord_stix::StixObject;
use rusqlite::{Connection, TransactionBehavior, params};

use crate::Result;

/// Indexes up to `max_rows` stored rows not yet in the index; returns how
/// many rows it covered (0 when the index is current).
pub(super) fn index_pending(conn: &mut Connection, max_rows: usize) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from: i64 = tx.query_row("SELECT row FROM progress WHERE name = 'search'", [], |r| {
        r.get(0)
    })?;
    let mut covered = 0usize;
    let mut last = from;
    {
        let mut rows = tx
            .prepare_cached("SELECT row, json FROM objects WHERE row > ?1 ORDER BY row LIMIT ?2")?;
        let mut insert = tx.prepare_cached("INSERT INTO search (rowid, text) VALUES (?1, ?2)")?;
        let limit = i64::try_from(max_rows).unwrap_or(i64::MAX);
        let mut q = rows.query(params![from, limit])?;
        while let Some(r) = q.next()? {
            let row: i64 = r.get(0)?;
            let json: String = r.get(1)?;
            // A custom object whose `name` (say) is not a string gets no
            // entry, rather than blocking the index.
            if let Some(text) = StixObject::search_text_of(&json)
                && !text.is_empty()
            {
                insert.execute(params![row, text])?;
            }
            last = row;
            covered += 1;
        }
    }
    if covered > 0 {
        tx.execute("UPDATE progress SET row = ?1 WHERE name = 'search'", [last])?;
    }
    tx.commit()?;
    Ok(covered)
}

/// How many stored rows the index does not cover yet.
pub(super) fn backlog(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM objects WHERE row > (SELECT row FROM progress WHERE name = 'search')",
        [],
        |r| r.get::<_, i64>(0),
    )? as u64)
}
