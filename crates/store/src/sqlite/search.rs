//! The full-text index is derived from the objects table and caught up after
//! writes, not inside them: an import stores and acknowledges objects at the
//! speed of the table, and the index follows (at the end of an import, in the
//! background of a server, and always before a search answers, so a search
//! never misses a stored object). `progress.search` is the last indexed row;
//! it moves in the same transaction as the index rows it covers. What the
//! index holds and how a search reads it: `postings.rs`.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::postings::{self, Chunk, Postings, Query};
use crate::{Result, StoredObject};

/// Rows read and hashed at a time inside one indexing step (bounds the JSON
/// held in memory; the postings of the whole step stay).
const READ_ROWS: usize = 8192;

/// A step of fewer rows than this (a server catching up a few new objects)
/// appends to each trigram's last chunk while it is short, rather than
/// adding a chunk per trigram and step: the index stays a few chunks per
/// trigram however often it is caught up.
const SMALL_STEP: usize = 4096;

/// A chunk shorter than this takes the rows of a small step.
const SHORT_CHUNK: usize = 512;

/// Large steps add a chunk per trigram each; once the index holds more
/// than this many chunks per trigram, each trigram's chunks are merged into
/// one (a node that imports a large feed every day keeps a compact index,
/// at the cost of one pass over it every few large steps).
const MAX_CHUNKS_PER_GRAM: i64 = 4;

/// The postings of rows this process stored, every row after `from` (the
/// highest row when the first of them was written) up to `last`: made from
/// the objects before they were written, so indexing them needs no read
/// back. Rows up to `from` not yet indexed are read back first; if another
/// process indexed past `from` meanwhile, the postings are stale: dropped.
pub(super) struct Pending {
    pub(super) from: i64,
    pub(super) last: i64,
    pub(super) rows: usize,
    pub(super) postings: Postings,
}

impl Pending {
    /// Takes in a batch's postings (made by position in the batch) for
    /// the rows `first..=last` it was written to (SQLite gives a new row
    /// the highest row plus one, so `first - 1` was the highest before).
    /// Postings that would leave a gap are dropped: those rows are read
    /// back instead.
    pub(super) fn extend(
        pending: &mut Option<Pending>,
        batch: Postings,
        (first, last): (i64, i64),
    ) {
        let before = first - 1;
        let rows = usize::try_from(last - first + 1).unwrap_or(0);
        match pending {
            Some(p) if p.last == before => {
                p.postings.append(batch.offset(first));
                p.last = last;
                p.rows += rows;
            }
            // Rows of others (or unprepared ones) since: keep what is
            // pending, it still covers exactly its rows.
            Some(_) => {}
            None => {
                *pending = Some(Pending {
                    from: before,
                    last,
                    rows,
                    postings: batch.offset(first),
                });
            }
        }
    }
}

/// Indexes up to `max_rows` stored rows not yet in the index (more when
/// `pending` covers more, which it then gives up); returns how many rows
/// it covered (0 when the index is current).
pub(super) fn index_pending(
    conn: &mut Connection,
    max_rows: usize,
    pending: &mut Option<Pending>,
) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from: i64 = tx.query_row("SELECT row FROM progress WHERE name = 'search'", [], |r| {
        r.get(0)
    })?;
    if from == 0 {
        // A rebuild (a restored or migrated store resets the progress).
        tx.execute("DELETE FROM grams", [])?;
    }
    if pending.as_ref().is_some_and(|p| p.from < from) {
        *pending = None;
    }
    // The pending postings join this step when the rows before them fit
    // in it; else this step reads back rows on the way to them.
    let joins = pending
        .as_ref()
        .is_some_and(|p| usize::try_from(p.from - from).is_ok_and(|gap| gap <= max_rows));
    let mut postings = Postings::default();
    let (mut covered, mut last) = (0, from);
    match pending.take() {
        Some(p) if joins => {
            // The rows before the pending ones (at most `max_rows`), then
            // the pending ones, then what follows them.
            let (n, l) = read_back(
                &tx,
                from,
                usize::try_from(p.from - from).unwrap_or(0),
                &mut postings,
            )?;
            if l == p.from {
                postings.append(p.postings);
                covered = n + p.rows;
                last = p.last;
            } else {
                // Rows before them were removed since: they no longer
                // follow on; read back from here instead.
                (covered, last) = (n, l);
            }
        }
        other => *pending = other,
    }
    if covered < max_rows {
        let (n, l) = read_back(&tx, last, max_rows - covered, &mut postings)?;
        covered += n;
        last = l;
    }
    if covered > 0 {
        let chunks = postings.into_chunks();
        if covered < SMALL_STEP {
            append_to_short(&tx, chunks)?;
        } else {
            let mut insert =
                tx.prepare_cached("INSERT INTO grams (gram, last, rows) VALUES (?1, ?2, ?3)")?;
            for c in chunks {
                insert.execute(params![c.gram, c.last, c.bytes])?;
            }
            compact_if_fragmented(&tx)?;
        }
        tx.execute("UPDATE progress SET row = ?1 WHERE name = 'search'", [last])?;
    }
    tx.commit()?;
    Ok(covered)
}

/// Reads back up to `limit` stored rows after `after` and adds their
/// postings; returns how many it read and the last row.
fn read_back(
    tx: &rusqlite::Transaction<'_>,
    after: i64,
    limit: usize,
    postings: &mut Postings,
) -> Result<(usize, i64)> {
    let threads = postings::threads();
    let mut covered = 0usize;
    let mut last = after;
    if limit == 0 {
        return Ok((0, last));
    }
    let mut rows = tx.prepare_cached(
        "SELECT row, body_text(json) FROM objects WHERE row > ?1 ORDER BY row LIMIT ?2",
    )?;
    let mut q = rows.query(params![after, i64::try_from(limit).unwrap_or(i64::MAX)])?;
    let mut texts: Vec<(i64, String)> = Vec::with_capacity(READ_ROWS.min(limit));
    loop {
        let next = q.next()?;
        if let Some(r) = next {
            texts.push((r.get(0)?, r.get(1)?));
        }
        if texts.len() == READ_ROWS || (next.is_none() && !texts.is_empty()) {
            covered += texts.len();
            last = texts.last().map_or(last, |t| t.0);
            postings.append(postings::postings_of_rows(&texts, threads)?);
            texts.clear();
        }
        if next.is_none() {
            break;
        }
    }
    Ok((covered, last))
}

/// Merges each trigram's chunks into one when the index holds more than
/// [`MAX_CHUNKS_PER_GRAM`] chunks per trigram; one trigram at a time, so
/// memory stays the size of one trigram's rows.
fn compact_if_fragmented(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let (chunks, grams): (i64, i64) = tx.query_row(
        "SELECT count(*), count(DISTINCT gram) FROM grams",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if chunks <= grams * MAX_CHUNKS_PER_GRAM {
        return Ok(());
    }
    let split: Vec<u32> = {
        let mut stmt = tx.prepare("SELECT gram FROM grams GROUP BY gram HAVING count(*) > 1")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut parts = tx.prepare_cached("SELECT last, rows FROM grams WHERE gram = ?1")?;
    let mut remove = tx.prepare_cached("DELETE FROM grams WHERE gram = ?1")?;
    let mut insert =
        tx.prepare_cached("INSERT INTO grams (gram, last, rows) VALUES (?1, ?2, ?3)")?;
    for gram in split {
        let mut last = 0i64;
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let mut q = parts.query([gram])?;
        while let Some(r) = q.next()? {
            last = last.max(r.get(0)?);
            chunks.push(r.get(1)?);
        }
        let merged = postings::merge_chunks(chunks.iter().map(Vec::as_slice))?;
        remove.execute([gram])?;
        insert.execute(params![gram, last, merged])?;
    }
    Ok(())
}

/// Writes a small step's chunks, each appended to its trigram's last chunk
/// when that one is short.
fn append_to_short(tx: &rusqlite::Transaction<'_>, chunks: Vec<Chunk>) -> Result<()> {
    let mut newest = tx.prepare_cached(
        "SELECT last, rows FROM grams WHERE gram = ?1 ORDER BY last DESC LIMIT 1",
    )?;
    let mut remove = tx.prepare_cached("DELETE FROM grams WHERE gram = ?1 AND last = ?2")?;
    let mut insert =
        tx.prepare_cached("INSERT INTO grams (gram, last, rows) VALUES (?1, ?2, ?3)")?;
    for c in chunks {
        let before: Option<(i64, Vec<u8>)> = newest
            .query_row([c.gram], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let bytes = match before {
            Some((last, old)) if old.len() < SHORT_CHUNK => {
                remove.execute(params![c.gram, last])?;
                postings::merge_chunks([old.as_slice(), c.bytes.as_slice()])?
            }
            _ => c.bytes,
        };
        insert.execute(params![c.gram, c.last, bytes])?;
    }
    Ok(())
}

/// How many stored rows the index does not cover yet.
pub(super) fn backlog(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM objects WHERE row > (SELECT row FROM progress WHERE name = 'search')",
        [],
        |r| r.get::<_, i64>(0),
    )? as u64)
}

/// The latest versions whose searchable text holds every word of `text`,
/// best first (see [`Query::score`]), then oldest row first.
pub(super) fn search(conn: &Connection, text: &str, limit: usize) -> Result<Vec<StoredObject>> {
    let query = Query::parse(text)?;
    let grams = query.grams();
    let mut chunks = Vec::new();
    {
        let mut read = conn.prepare_cached("SELECT rows FROM grams WHERE gram = ?1")?;
        for &gram in &grams {
            let mut q = read.query([gram])?;
            while let Some(r) = q.next()? {
                chunks.push((gram, r.get::<_, Vec<u8>>(0)?));
            }
        }
    }
    let Some(lists) = postings::rows_of_grams(&grams, chunks)? else {
        return Ok(Vec::new());
    };
    let mut read = conn.prepare_cached(
        "SELECT row, id, version, type, body_text(json) FROM objects WHERE row = ?1 AND latest = 1",
    )?;
    let mut candidates = Vec::new();
    for row in postings::intersect(lists) {
        if let Some(object) = read
            .query_row([row], |r| super::read::stored(r, false))
            .optional()?
        {
            candidates.push(object);
        }
    }
    Ok(postings::rank(&query, candidates, limit))
}
