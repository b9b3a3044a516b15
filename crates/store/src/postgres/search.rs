//! The search index on PostgreSQL: the same trigram postings as the
//! embedded store's (`crate::postings`), in a `grams` table of one row per
//! trigram and indexing step.
//!
//! Writers queue the new rows of each batch in `search_queue`, one entry
//! per batch, in their transaction, so no row is ever missed, whichever
//! process wrote it and however it ended. An import also keeps the
//! postings of the rows it wrote in memory (hashed by its checkers, on
//! every core): its indexing step writes those without reading the rows
//! back, and takes its entries off the queue; rows of entries another
//! process read back and indexed meanwhile are left out of them, so no row
//! is indexed twice.
//!
//! Indexing steps, from every process, take turns under an advisory lock:
//! a step that appends to a short chunk or merges a trigram's chunks reads
//! and rewrites them, which two steps at once would each do from a stale
//! read.

use deadpool_postgres::{Client, Transaction};

use super::write::Placed;
use crate::postings::{self, Chunk, Postings, Query};
use crate::{PreparedObject, Result, StoredObject};

/// An arbitrary constant naming concord's search indexing lock.
const INDEX_LOCK: i64 = 0x636f_6e63_6f72_6402;

/// Rows whose postings wait in memory for the next indexing step; beyond
/// this, the writer indexes right after its batch (memory stays flat
/// however large the import: about 100 bytes of postings a row).
pub(super) const PENDING_MAX_ROWS: usize = 262_144;

/// A step of fewer rows than this (a server catching up a few new objects)
/// appends to each trigram's newest chunk while it is short, rather than
/// adding a chunk per trigram and step.
const SMALL_STEP: usize = 4096;

/// A chunk shorter than this takes the rows of a small step.
const SHORT_CHUNK: usize = 512;

/// Once the index holds more than this many chunks per trigram, each
/// trigram's chunks are merged into one.
const MAX_CHUNKS_PER_GRAM: i64 = 4;

/// Rows written per statement (bounds the size of one message).
const WRITE_ROWS: usize = 16_384;

/// Postings of rows this process wrote and has not indexed yet: still
/// queued, so a step that never comes loses nothing.
#[derive(Default)]
pub(super) struct Pending {
    /// How many rows the postings cover.
    pub(super) rows: usize,
    /// The queue entries of those rows.
    entries: Vec<i64>,
    postings: Postings,
}

impl Pending {
    /// Adds the postings of a written batch. Nothing is added unless every
    /// new object carries its trigrams (hashed ahead by an encoder): the
    /// batch's queue entry is then read back by the next step.
    pub(super) fn add(
        pending: &mut Option<Pending>,
        batch: &[PreparedObject],
        placed: Placed,
    ) -> Result<()> {
        let Placed {
            rows: mut placed,
            queued: Some(entry),
        } = placed
        else {
            return Ok(());
        };
        if placed
            .iter()
            .any(|(_, i)| batch.get(*i).is_none_or(|o| o.made.grams.is_none()))
        {
            return Ok(());
        }
        placed.sort_unstable();
        let mut postings = Postings::default();
        for (row, i) in &placed {
            if let Some(grams) = batch.get(*i).and_then(|o| o.made.grams.as_deref()) {
                postings.add(*row, grams);
            }
        }
        let p = pending.get_or_insert_with(Pending::default);
        p.postings.merge(postings)?;
        p.rows += placed.len();
        p.entries.push(entry);
        Ok(())
    }
}

/// Indexes this process's pending rows, and queued ones up to `max_rows`
/// in all (at least one entry when the queue is not empty); returns how
/// many rows it covered (0 when the queue is empty).
pub(super) async fn index_pending(
    client: &mut Client,
    max_rows: usize,
    pending: Option<Pending>,
) -> Result<usize> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INDEX_LOCK])
        .await?;
    let rows_of = |r: &tokio_postgres::Row| r.get::<_, Vec<i64>>(0);
    // Take (delete) this process's entries; an abort puts them back.
    let (mut postings, mut covered) = (Postings::default(), 0usize);
    if let Some(p) = pending {
        let taken = tx
            .query(
                "DELETE FROM search_queue WHERE id = ANY($1::bigint[]) RETURNING rows",
                &[&p.entries],
            )
            .await?;
        postings = p.postings;
        if taken.len() < p.entries.len() {
            // Another process read some of them back and indexed them
            // first: only the rows of the entries taken here.
            let mut mine: Vec<i64> = taken.iter().flat_map(rows_of).collect();
            mine.sort_unstable();
            postings.retain_rows(&mine)?;
            covered = mine.len();
        } else {
            covered = p.rows;
        }
    }
    // Then the oldest entries of the queue, up to `max_rows` rows.
    let rest = i64::try_from(max_rows.saturating_sub(covered)).unwrap_or(i64::MAX);
    let others: Vec<i64> = if rest > 0 {
        tx.query(
            "DELETE FROM search_queue WHERE id IN (
                 SELECT id FROM (
                     SELECT id, sum(cardinality(rows)) OVER (ORDER BY id) AS upto,
                            row_number() OVER (ORDER BY id) AS n
                     FROM search_queue) q
                 WHERE q.upto <= $1 OR q.n = 1)
             RETURNING rows",
            &[&rest],
        )
        .await?
        .iter()
        .flat_map(rows_of)
        .collect()
    } else {
        Vec::new()
    };
    covered += others.len();
    if !others.is_empty() {
        let texts: Vec<(i64, String)> = tx
            .query(
                "SELECT row, json FROM objects WHERE row = ANY($1::bigint[]) ORDER BY row",
                &[&others],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let read_back = tokio::task::spawn_blocking(move || {
            postings::postings_of_rows(&texts, postings::threads())
        })
        .await
        .map_err(|e| crate::StoreError::Task(e.to_string()))??;
        postings.merge(read_back)?;
    }
    if covered > 0 {
        let chunks = postings.into_chunks();
        if covered < SMALL_STEP {
            append_to_short(&tx, chunks).await?;
        } else {
            insert_chunks(&tx, chunks).await?;
            compact_if_fragmented(&tx).await?;
        }
    }
    tx.commit().await?;
    Ok(covered)
}

async fn insert_chunks(tx: &Transaction<'_>, chunks: Vec<Chunk>) -> Result<()> {
    for part in chunks.chunks(WRITE_ROWS) {
        let grams: Vec<i32> = part.iter().map(|c| gram_column(c.gram)).collect();
        let lasts: Vec<i64> = part.iter().map(|c| c.last).collect();
        let rows: Vec<&[u8]> = part.iter().map(|c| c.bytes.as_slice()).collect();
        tx.execute(
            "INSERT INTO grams (gram, last, rows)
             SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])",
            &[&grams, &lasts, &rows],
        )
        .await?;
    }
    Ok(())
}

/// A trigram hash (24 bits) as the column stores it.
fn gram_column(gram: u32) -> i32 {
    i32::try_from(gram).unwrap_or(i32::MAX)
}

/// Writes a small step's chunks, each merged into its trigram's newest
/// chunk when that one is short.
async fn append_to_short(tx: &Transaction<'_>, mut chunks: Vec<Chunk>) -> Result<()> {
    let grams: Vec<i32> = chunks.iter().map(|c| gram_column(c.gram)).collect();
    let newest = tx
        .query(
            "SELECT DISTINCT ON (gram) gram, last, rows FROM grams
             WHERE gram = ANY($1::int[]) AND length(rows) < $2
             ORDER BY gram, last DESC",
            &[&grams, &i32::try_from(SHORT_CHUNK).unwrap_or(i32::MAX)],
        )
        .await?;
    // Chunks are in trigram order, as are the short ones read.
    let (mut gone_grams, mut gone_lasts) = (Vec::new(), Vec::new());
    let mut at = 0usize;
    for r in &newest {
        let gram: i32 = r.get(0);
        while at < chunks.len() && gram_column(chunks[at].gram) < gram {
            at += 1;
        }
        let Some(c) = chunks.get_mut(at).filter(|c| gram_column(c.gram) == gram) else {
            continue;
        };
        // The newest chunk of a trigram may not be short while an older
        // one is: only the newest is taken, so each trigram keeps a few.
        let last: i64 = r.get(1);
        let old: &[u8] = r.get(2);
        c.bytes = postings::merge_chunks([old, c.bytes.as_slice()])?;
        c.last = c.last.max(last);
        gone_grams.push(gram);
        gone_lasts.push(last);
    }
    if !gone_grams.is_empty() {
        tx.execute(
            "DELETE FROM grams g USING unnest($1::int[], $2::bigint[]) AS t(gram, last)
             WHERE g.gram = t.gram AND g.last = t.last",
            &[&gone_grams, &gone_lasts],
        )
        .await?;
    }
    insert_chunks(tx, chunks).await
}

/// Merges each trigram's chunks into one when the index holds more than
/// [`MAX_CHUNKS_PER_GRAM`] chunks per trigram.
async fn compact_if_fragmented(tx: &Transaction<'_>) -> Result<()> {
    let counts = tx
        .query_one("SELECT count(*), count(DISTINCT gram) FROM grams", &[])
        .await?;
    let (chunks, grams): (i64, i64) = (counts.get(0), counts.get(1));
    if chunks <= grams * MAX_CHUNKS_PER_GRAM {
        return Ok(());
    }
    let parts = tx
        .query(
            "SELECT gram, last, rows FROM grams WHERE gram IN
                 (SELECT gram FROM grams GROUP BY gram HAVING count(*) > 1)
             ORDER BY gram",
            &[],
        )
        .await?;
    let mut merged: Vec<Chunk> = Vec::new();
    let mut group: Vec<&[u8]> = Vec::new();
    let mut current: Option<(i32, i64)> = None;
    let mut flush = |current: Option<(i32, i64)>, group: &mut Vec<&[u8]>| -> Result<()> {
        if let Some((gram, last)) = current {
            merged.push(Chunk {
                gram: u32::try_from(gram).unwrap_or(0),
                last,
                bytes: postings::merge_chunks(group.drain(..))?,
            });
        }
        Ok(())
    };
    for r in &parts {
        let gram: i32 = r.get(0);
        let last: i64 = r.get(1);
        match &mut current {
            Some((g, l)) if *g == gram => *l = (*l).max(last),
            _ => {
                flush(current, &mut group)?;
                current = Some((gram, last));
            }
        }
        group.push(r.get(2));
    }
    flush(current, &mut group)?;
    let split: Vec<i32> = merged.iter().map(|c| gram_column(c.gram)).collect();
    tx.execute("DELETE FROM grams WHERE gram = ANY($1::int[])", &[&split])
        .await?;
    insert_chunks(tx, merged).await
}

/// The latest versions whose searchable text holds every word of `text`,
/// best first (see [`Query::score`]), then oldest row first.
pub(super) async fn search(c: &Client, text: &str, limit: usize) -> Result<Vec<StoredObject>> {
    let query = Query::parse(text)?;
    let grams = query.grams();
    let columns: Vec<i32> = grams.iter().map(|g| gram_column(*g)).collect();
    let chunks = c
        .query(
            "SELECT gram, rows FROM grams WHERE gram = ANY($1::int[])",
            &[&columns],
        )
        .await?
        .into_iter()
        .map(|r| (u32::try_from(r.get::<_, i32>(0)).unwrap_or(0), r.get(1)));
    let Some(lists) = postings::rows_of_grams(&grams, chunks)? else {
        return Ok(Vec::new());
    };
    let candidates = postings::intersect(lists);
    let mut objects = Vec::new();
    for part in candidates.chunks(WRITE_ROWS) {
        let rows = c
            .query(
                "SELECT o.row, o.id, o.version, o.type, o.json FROM objects o
                 JOIN heads h ON h.row = o.row WHERE o.row = ANY($1::bigint[])",
                &[&part],
            )
            .await?;
        objects.extend(rows.iter().map(|r| super::read::stored(r, false)));
    }
    Ok(postings::rank(&query, objects, limit))
}
