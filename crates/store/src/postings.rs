//! The search index of both backends, as data: substring search in any
//! script through the character trigrams of each object's searchable text
//! (names, descriptions, labels, patterns: `StixObject::search_text_of`).
//!
//! Each trigram, case-folded and hashed to 24 bits, maps to the rows that
//! hold it. Rows are kept in chunks, one per trigram and indexing step, as
//! ascending delta varints or, when dense, a bitmap. A search takes every
//! word of three or more characters, intersects the rows of its trigrams,
//! then reads the candidates and keeps those whose text really contains
//! every word: a hash collision or trigrams in another order never make a
//! false hit, and a row dropped since it was indexed is simply not found.
//!
//! Why not FTS5: its trigram table cost 2.2 s and 36 MB for 121k objects
//! (more time than storing them), tokenizing on the one writer thread.
//! Hashing here runs on every core, and an indexing step writes one short
//! row per distinct trigram (64k for that corpus) instead of merging
//! segments. Why not PostgreSQL's `pg_trgm`: building its GIN index over
//! the same corpus took 3.7-4.2 s on one core of the server (PostgreSQL 15
//! cannot build it in parallel), twice the time of storing the objects;
//! the same postings as the embedded store's are hashed by the importing
//! process on every core and written as 64k rows.

use std::collections::HashMap;

use concord_stix::StixObject;
use foldhash::fast::FixedState;

use crate::{Result, StoreError, StoredObject};

/// Trigram hashes keep this many bits: collisions only cost a candidate
/// that the check then drops.
const GRAM_BITS: u32 = 24;

/// Chunk encodings (the first byte of a chunk).
const DELTAS: u8 = 0;
const BITMAP: u8 = 1;

/// Case folding, the same for indexed text and queries: per character, so
/// that a word folds alike wherever it stands (`str::to_lowercase` treats a
/// final sigma differently).
pub(crate) fn fold(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.chars().flat_map(char::to_lowercase).collect()
    }
}

/// The sorted, distinct trigram hashes of a searchable text. Its lines are
/// separate properties: no trigram spans two.
pub(crate) fn grams_of(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    grams_into(text, &mut out);
    out
}

/// [`grams_of`] into a buffer the caller reuses (the indexer hashes
/// millions of trigrams; one allocation per text would show).
pub(crate) fn grams_into(text: &str, out: &mut Vec<u32>) {
    out.clear();
    if text.is_ascii() {
        for part in text.as_bytes().split(|b| *b == b'\n') {
            for w in part.windows(3) {
                out.push(gram_hash([
                    u32::from(w[0].to_ascii_lowercase()),
                    u32::from(w[1].to_ascii_lowercase()),
                    u32::from(w[2].to_ascii_lowercase()),
                ]));
            }
        }
    } else {
        let mut window = [0u32; 3];
        let mut filled = 0usize;
        for c in text.chars().flat_map(char::to_lowercase) {
            if c == '\n' {
                filled = 0;
                continue;
            }
            window = [window[1], window[2], c as u32];
            filled += 1;
            if filled >= 3 {
                out.push(gram_hash(window));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// A trigram's hash: the three code points (21 bits each) mixed by a
/// multiplication, top bits kept. Stable across processes and versions: it
/// is stored.
fn gram_hash(w: [u32; 3]) -> u32 {
    let packed = (u64::from(w[0]) << 42) | (u64::from(w[1]) << 21) | u64::from(w[2]);
    (packed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - GRAM_BITS)) as u32
}

/// A search query: its words (three or more characters, folded).
#[derive(Debug, Clone)]
pub(crate) struct Query {
    words: Vec<String>,
}

impl Query {
    /// Reads user text; every word of three or more characters must occur.
    pub(crate) fn parse(text: &str) -> Result<Query> {
        let words: Vec<String> = text
            .split_whitespace()
            .filter(|t| t.chars().count() >= 3)
            .map(fold)
            .collect();
        if words.is_empty() {
            return Err(StoreError::InvalidQuery(
                "search text needs a word of at least 3 characters".into(),
            ));
        }
        Ok(Query { words })
    }

    /// Every distinct trigram of the query.
    pub(crate) fn grams(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.words.iter().flat_map(|w| grams_of(w)).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// How well an object's searchable text answers the query: `None` when
    /// a word is missing, else the share of the text the words cover (a
    /// name that is the query ranks above a long description that mentions
    /// it, as trigram similarity ranks on PostgreSQL).
    pub(crate) fn score(&self, search_text: &str) -> Option<f64> {
        let folded = fold(search_text);
        let mut covered = 0usize;
        for w in &self.words {
            covered += folded.matches(w.as_str()).count() * w.len();
        }
        self.words
            .iter()
            .all(|w| folded.contains(w.as_str()))
            .then(|| covered as f64 / folded.len().max(1) as f64)
    }
}

/// Rows that hold every list's rows; each list ascending.
pub(crate) fn intersect(mut lists: Vec<Vec<i64>>) -> Vec<i64> {
    lists.sort_by_key(Vec::len);
    let mut lists = lists.into_iter();
    let Some(mut out) = lists.next() else {
        return Vec::new();
    };
    for l in lists {
        out.retain(|r| l.binary_search(r).is_ok());
        if out.is_empty() {
            break;
        }
    }
    out
}

/// The postings of a run of rows, grouped by trigram: each trigram's rows
/// so far, already delta-encoded, so a row costs a hash probe and a byte
/// or two per trigram, and memory stays about the size of the encoded
/// postings. Threads each fill the postings of a contiguous run of rows;
/// the runs are then appended in row order.
#[derive(Default)]
pub(crate) struct Postings {
    by_gram: HashMap<u32, GramRows, FixedState>,
}

#[derive(Default)]
struct GramRows {
    first: i64,
    last: i64,
    count: u32,
    /// From one row to the next, after `first`.
    deltas: Vec<u8>,
}

impl GramRows {
    /// Adds a row after every row it holds.
    fn push(&mut self, row: i64) {
        if self.count == 0 {
            self.first = row;
        } else {
            push_varint(&mut self.deltas, row.abs_diff(self.last));
        }
        self.last = row;
        self.count += 1;
    }

    /// Appends its rows to `out`.
    fn decode_into(&self, out: &mut Vec<i64>) -> Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        out.push(self.first);
        push_deltas(self.first, &self.deltas, out)
            .ok_or_else(|| StoreError::Corrupt("search postings do not decode".into()))
    }
}

impl Postings {
    /// Adds a row's trigrams (distinct); rows come in ascending order.
    pub(crate) fn add(&mut self, row: i64, grams: &[u32]) {
        for g in grams {
            let p = self.by_gram.entry(*g).or_default();
            if p.count == 0 {
                p.first = row;
            } else if row <= p.last {
                continue;
            } else {
                push_varint(&mut p.deltas, row.abs_diff(p.last));
            }
            p.last = row;
            p.count += 1;
        }
    }

    /// Appends the postings of rows that all come after these.
    pub(crate) fn append(&mut self, later: Postings) {
        for (g, q) in later.by_gram {
            let p = self.by_gram.entry(g).or_default();
            if p.count == 0 {
                *p = q;
                continue;
            }
            if q.first <= p.last {
                // Not after: only a caller's bug gets here; keep what is
                // already in order rather than corrupt the chunk.
                continue;
            }
            push_varint(&mut p.deltas, q.first.abs_diff(p.last));
            p.deltas.extend_from_slice(&q.deltas);
            p.last = q.last;
            p.count += q.count;
        }
    }

    /// Merges postings of other rows, before, after or among these (two
    /// batches written at once get interleaved rows). A trigram whose rows
    /// only follow or precede these is joined as it is; one whose rows
    /// interleave is decoded and encoded again.
    pub(crate) fn merge(&mut self, other: Postings) -> Result<()> {
        for (g, q) in other.by_gram {
            let p = self.by_gram.entry(g).or_default();
            if q.count == 0 {
                continue;
            }
            if p.count == 0 {
                *p = q;
            } else if q.first > p.last {
                push_varint(&mut p.deltas, q.first.abs_diff(p.last));
                p.deltas.extend_from_slice(&q.deltas);
                p.last = q.last;
                p.count += q.count;
            } else if q.last < p.first {
                let mut deltas = q.deltas;
                push_varint(&mut deltas, p.first.abs_diff(q.last));
                deltas.extend_from_slice(&p.deltas);
                *p = GramRows {
                    first: q.first,
                    last: p.last,
                    count: p.count + q.count,
                    deltas,
                };
            } else {
                let mut rows = Vec::with_capacity((p.count + q.count) as usize);
                p.decode_into(&mut rows)?;
                q.decode_into(&mut rows)?;
                rows.sort_unstable();
                rows.dedup();
                let mut merged = GramRows::default();
                for r in rows {
                    merged.push(r);
                }
                *p = merged;
            }
        }
        Ok(())
    }

    /// Keeps only the rows `keep` holds (ascending): the rows an indexing
    /// step took off the queue, when another process indexed some of them
    /// first.
    pub(crate) fn retain_rows(&mut self, keep: &[i64]) -> Result<()> {
        let mut rows = Vec::new();
        for p in self.by_gram.values_mut() {
            rows.clear();
            p.decode_into(&mut rows)?;
            let mut kept = GramRows::default();
            for r in rows.iter().filter(|r| keep.binary_search(r).is_ok()) {
                kept.push(*r);
            }
            *p = kept;
        }
        self.by_gram.retain(|_, p| p.count > 0);
        Ok(())
    }

    /// The same postings with every row moved up by `by` (postings made
    /// by position in a batch, before its rows were known). Rows after
    /// the first are kept as deltas, which an offset leaves as they are.
    pub(crate) fn offset(mut self, by: i64) -> Postings {
        for p in self.by_gram.values_mut() {
            p.first += by;
            p.last += by;
        }
        self
    }

    /// The chunks to write: per trigram, its last row and encoded rows, in
    /// trigram order.
    pub(crate) fn into_chunks(self) -> Vec<Chunk> {
        let mut out: Vec<Chunk> = self
            .by_gram
            .into_iter()
            .map(|(gram, p)| {
                let mut bytes = Vec::with_capacity(p.deltas.len() + 11);
                bytes.push(DELTAS);
                push_varint(&mut bytes, p.first.unsigned_abs());
                bytes.extend_from_slice(&p.deltas);
                // Trigrams in most rows of the step are smaller as a bitmap.
                if p.count > 64 {
                    let mut rows = Vec::with_capacity(p.count as usize);
                    if decode_rows(&bytes, &mut rows).is_ok() {
                        let compact = encode_rows(&rows);
                        if compact.len() < bytes.len() {
                            bytes = compact;
                        }
                    }
                }
                Chunk {
                    gram,
                    last: p.last,
                    bytes,
                }
            })
            .collect();
        out.sort_unstable_by_key(|c| c.gram);
        out
    }
}

/// One stored row of the index: a trigram's rows up to `last`.
pub(crate) struct Chunk {
    pub(crate) gram: u32,
    pub(crate) last: i64,
    pub(crate) bytes: Vec<u8>,
}

/// One chunk of the rows of several (any order, overlapping or not).
pub(crate) fn merge_chunks<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>> {
    let mut rows = Vec::new();
    for p in parts {
        decode_rows(p, &mut rows)?;
    }
    rows.sort_unstable();
    rows.dedup();
    Ok(encode_rows(&rows))
}

/// The rows of each trigram from its stored chunks, in the query's
/// trigram order; `None` when a trigram has no rows (nothing can match).
pub(crate) fn rows_of_grams(
    grams: &[u32],
    chunks: impl IntoIterator<Item = (u32, Vec<u8>)>,
) -> Result<Option<Vec<Vec<i64>>>> {
    let mut by_gram: HashMap<u32, Vec<i64>> = grams.iter().map(|g| (*g, Vec::new())).collect();
    for (gram, bytes) in chunks {
        if let Some(rows) = by_gram.get_mut(&gram) {
            decode_rows(&bytes, rows)?;
        }
    }
    let mut lists = Vec::with_capacity(grams.len());
    for g in grams {
        let Some(mut rows) = by_gram.remove(g) else {
            continue;
        };
        if rows.is_empty() {
            return Ok(None);
        }
        rows.sort_unstable();
        rows.dedup();
        lists.push(rows);
    }
    Ok(Some(lists))
}

/// The candidates that really answer `query`, best first (see
/// [`Query::score`]), then oldest row first, at most `limit`.
pub(crate) fn rank(
    query: &Query,
    candidates: impl IntoIterator<Item = StoredObject>,
    limit: usize,
) -> Vec<StoredObject> {
    let mut hits: Vec<(f64, StoredObject)> = candidates
        .into_iter()
        .filter_map(|object| {
            let text = StixObject::search_text_of(&object.json).unwrap_or_default();
            query.score(&text).map(|score| (score, object))
        })
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.row.cmp(&b.1.row)));
    hits.into_iter().take(limit).map(|(_, o)| o).collect()
}

/// The sorted, distinct search trigrams of an object's JSON text. A custom
/// object whose `name` (say) is not a string gets none, rather than
/// blocking the index.
pub(crate) fn grams_of_json(json: &str) -> Vec<u32> {
    let mut out = Vec::new();
    grams_into_of_json(json, &mut out);
    out
}

/// [`grams_of_json`] into a buffer the caller reuses.
pub(crate) fn grams_into_of_json(json: &str, out: &mut Vec<u32>) {
    let text = StixObject::search_text_of(json).unwrap_or_default();
    grams_into(&text, out);
}

/// The postings of objects' JSON texts, by row (ascending).
pub(crate) fn postings_of<'a>(texts: impl Iterator<Item = (i64, &'a str)>) -> Postings {
    let mut postings = Postings::default();
    let mut grams = Vec::new();
    for (row, json) in texts {
        grams_into_of_json(json, &mut grams);
        postings.add(row, &grams);
    }
    postings
}

/// The postings of stored JSON texts (rows ascending), hashed on up to
/// `threads` threads, one run of rows each, and joined in row order.
pub(crate) fn postings_of_rows(texts: &[(i64, String)], threads: usize) -> Result<Postings> {
    let run = |part: &[(i64, String)]| postings_of(part.iter().map(|(r, j)| (*r, j.as_str())));
    if threads < 2 || texts.len() < 256 {
        return Ok(run(texts));
    }
    let size = texts.len().div_ceil(threads);
    let runs: Vec<Postings> = std::thread::scope(|s| {
        let handles: Vec<_> = texts
            .chunks(size)
            .map(|part| s.spawn(move || run(part)))
            .collect();
        // A thread only panics on a bug: the step fails (nothing of it is
        // committed) rather than leave its rows out of the index.
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| StoreError::Task("a search indexing thread failed".into()))
            })
            .collect::<Result<_>>()
    })?;
    let mut all = Postings::default();
    for r in runs {
        all.append(r);
    }
    Ok(all)
}

/// The threads an indexing step hashes on.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(8)
}

/// Encodes ascending rows: delta varints, or a bitmap when that is smaller.
pub(crate) fn encode_rows(rows: &[i64]) -> Vec<u8> {
    let mut deltas = Vec::with_capacity(rows.len() * 2 + 1);
    deltas.push(DELTAS);
    let mut prev = 0i64;
    for &r in rows {
        push_varint(&mut deltas, r.abs_diff(prev));
        prev = r;
    }
    if let (Some(&first), Some(&last)) = (rows.first(), rows.last()) {
        let span = last.abs_diff(first) + 1;
        let bitmap_len = 1 + 10 + span.div_ceil(8);
        if bitmap_len < deltas.len() as u64 {
            let mut out = Vec::with_capacity(usize::try_from(bitmap_len).unwrap_or(0));
            out.push(BITMAP);
            push_varint(&mut out, first.unsigned_abs());
            let base = out.len();
            out.resize(base + usize::try_from(span.div_ceil(8)).unwrap_or(0), 0);
            for &r in rows {
                let bit = usize::try_from(r.abs_diff(first)).unwrap_or(0);
                out[base + bit / 8] |= 1 << (bit % 8);
            }
            return out;
        }
    }
    deltas
}

/// Appends the rows of an encoded chunk to `out`.
pub(crate) fn decode_rows(chunk: &[u8], out: &mut Vec<i64>) -> Result<()> {
    let bad = || StoreError::Corrupt("a search index chunk does not decode".into());
    let (&kind, mut rest) = chunk.split_first().ok_or_else(bad)?;
    match kind {
        DELTAS => push_deltas(0, rest, out).ok_or_else(bad)?,
        BITMAP => {
            let first =
                i64::try_from(read_varint(&mut rest).ok_or_else(bad)?).map_err(|_| bad())?;
            for (i, byte) in rest.iter().enumerate() {
                let mut b = *byte;
                while b != 0 {
                    let bit = i64::from(b.trailing_zeros());
                    let at = i64::try_from(i)
                        .ok()
                        .and_then(|i| i.checked_mul(8))
                        .and_then(|i| i.checked_add(first))
                        .and_then(|i| i.checked_add(bit))
                        .ok_or_else(bad)?;
                    out.push(at);
                    b &= b - 1;
                }
            }
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// Appends the rows that delta varints lead to from `from`; `None` when
/// they do not decode.
fn push_deltas(from: i64, mut deltas: &[u8], out: &mut Vec<i64>) -> Option<()> {
    let mut prev = from;
    while !deltas.is_empty() {
        let d = read_varint(&mut deltas)?;
        prev = prev.checked_add(i64::try_from(d).ok()?)?;
        out.push(prev);
    }
    Some(())
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(input: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0u32;
    loop {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        if shift > 63 {
            return None;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn rows_round_trip(mut rows in proptest::collection::vec(1i64..5_000_000, 1..400), dense in any::<bool>()) {
            if dense {
                let start = rows[0];
                rows = (start..start + rows.len() as i64).collect();
            }
            rows.sort_unstable();
            rows.dedup();
            let mut back = Vec::new();
            decode_rows(&encode_rows(&rows), &mut back).unwrap();
            prop_assert_eq!(back, rows);
        }

        #[test]
        fn a_substring_has_a_subset_of_the_grams(text in "[^\\s\\p{C}]{0,40}", from in 0usize..40, len in 3usize..10) {
            let chars: Vec<char> = text.chars().collect();
            prop_assume!(from + len <= chars.len());
            let part: String = chars[from..from + len].iter().collect();
            let all = grams_of(&text);
            for g in Query::parse(&part).unwrap().grams() {
                prop_assert!(all.binary_search(&g).is_ok());
            }
        }

        #[test]
        fn corrupt_chunks_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut out = Vec::new();
            let _ = decode_rows(&bytes, &mut out);
        }

        #[test]
        fn postings_appended_in_runs_are_the_rows_of_each_gram(texts in proptest::collection::vec("[a-e]{0,12}", 1..200), cuts in proptest::collection::vec(0usize..200, 0..4)) {
            let rows: Vec<(i64, Vec<u32>)> = texts.iter().enumerate().map(|(i, t)| (i as i64 * 3 + 1, grams_of(t))).collect();
            // Runs of rows filled apart (as threads do), appended in order.
            let mut all = Postings::default();
            for w in runs(cuts, rows.len()).windows(2) {
                let mut run = Postings::default();
                for (row, grams) in &rows[w[0]..w[1]] {
                    run.add(*row, grams);
                }
                all.append(run);
            }
            are_the_rows_of_each_gram(all, &rows)?;
        }

        /// Batches indexed by position (before their rows are known), then
        /// moved to the rows they got and appended: the rows of each gram.
        #[test]
        fn postings_by_position_offset_to_rows(texts in proptest::collection::vec("[a-e]{0,12}", 1..200), cuts in proptest::collection::vec(0usize..200, 0..4), base in 0i64..1_000_000) {
            let mut all = Postings::default();
            for w in runs(cuts, texts.len()).windows(2) {
                let mut batch = Postings::default();
                for (i, t) in texts[w[0]..w[1]].iter().enumerate() {
                    batch.add(i as i64, &grams_of(t));
                }
                all.append(batch.offset(base + w[0] as i64 + 1));
            }
            let rows: Vec<(i64, Vec<u32>)> = texts.iter().enumerate().map(|(i, t)| (base + i as i64 + 1, grams_of(t))).collect();
            are_the_rows_of_each_gram(all, &rows)?;
        }
    }

    proptest! {
        /// Batches written at once get interleaved rows, and commit in any
        /// order: merged in any order, the postings are each gram's rows.
        #[test]
        fn postings_merged_in_any_order_are_the_rows_of_each_gram(texts in proptest::collection::vec("[a-e]{0,12}", 1..200), parts in 1usize..5, order in proptest::collection::vec(any::<u16>(), 5)) {
            let rows: Vec<(i64, Vec<u32>)> = texts.iter().enumerate().map(|(i, t)| (i as i64 * 2 + 5, grams_of(t))).collect();
            // Row i goes to part (i * 7 + order[0]) % parts: interleaved.
            let mut split: Vec<Postings> = (0..parts).map(|_| Postings::default()).collect();
            for (i, (row, grams)) in rows.iter().enumerate() {
                split[(i * 7 + usize::from(order[0])) % parts].add(*row, grams);
            }
            let mut keyed: Vec<(u16, Postings)> = split.into_iter().enumerate().map(|(i, p)| (order[i], p)).collect();
            keyed.sort_by_key(|k| k.0);
            let mut all = Postings::default();
            for (_, p) in keyed {
                all.merge(p).unwrap();
            }
            are_the_rows_of_each_gram(all, &rows)?;
        }
    }

    #[test]
    fn postings_keep_only_the_rows_asked() {
        let mut p = Postings::default();
        p.add(3, &[1, 2]);
        p.add(8, &[2]);
        p.add(9, &[1, 2, 5]);
        p.retain_rows(&[3, 9]).unwrap();
        let got: Vec<(u32, Vec<i64>)> = p
            .into_chunks()
            .into_iter()
            .map(|c| {
                let mut rows = Vec::new();
                decode_rows(&c.bytes, &mut rows).unwrap();
                (c.gram, rows)
            })
            .collect();
        assert_eq!(got, [(1, vec![3, 9]), (2, vec![3, 9]), (5, vec![9])]);
    }

    #[test]
    fn merged_chunks_hold_every_row_once() {
        let a = encode_rows(&[1, 5, 9]);
        let b = encode_rows(&[2, 5, 400]);
        let mut back = Vec::new();
        decode_rows(
            &merge_chunks([a.as_slice(), b.as_slice()]).unwrap(),
            &mut back,
        )
        .unwrap();
        assert_eq!(back, [1, 2, 5, 9, 400]);
        assert!(merge_chunks([[9u8, 1].as_slice()]).is_err());
    }

    /// Cut points of `len` items into runs: 0, the cuts (clamped), `len`.
    fn runs(cuts: Vec<usize>, len: usize) -> Vec<usize> {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(len)).collect();
        cuts.push(0);
        cuts.push(len);
        cuts.sort_unstable();
        cuts
    }

    /// The chunks of `postings` hold, per trigram, exactly the rows of
    /// `rows` that have it, and end at the last of them.
    fn are_the_rows_of_each_gram(
        postings: Postings,
        rows: &[(i64, Vec<u32>)],
    ) -> std::result::Result<(), TestCaseError> {
        let chunks = postings.into_chunks();
        let mut expected: std::collections::BTreeMap<u32, Vec<i64>> = Default::default();
        for (row, grams) in rows {
            for g in grams {
                expected.entry(*g).or_default().push(*row);
            }
        }
        prop_assert_eq!(chunks.len(), expected.len());
        for c in &chunks {
            let mut got = Vec::new();
            decode_rows(&c.bytes, &mut got).unwrap();
            prop_assert_eq!(Some(&got), expected.get(&c.gram));
            prop_assert_eq!(Some(&c.last), got.last());
        }
        Ok(())
    }

    #[test]
    fn queries_need_a_word_of_three_characters_and_check_every_word() {
        assert!(Query::parse("ab c").is_err());
        let q = Query::parse("Emotet ab TROJAN").unwrap();
        assert_eq!(q.words, ["emotet", "trojan"]);
        assert!(q.score("the emotet banking Trojan").is_some());
        assert!(q.score("emotet alone").is_none());
        let cjk = Query::parse("恶意软").unwrap();
        assert!(cjk.score("恶意软件 loader").is_some());
        assert_eq!(grams_of("恶意软件").len(), 2);
        // Case folds the same way on both paths (ASCII and not), and a
        // final sigma folds as any sigma.
        let mixed = grams_of("abcdé");
        assert!(
            grams_of("ABCD")
                .iter()
                .all(|g| mixed.binary_search(g).is_ok())
        );
        assert_eq!(grams_of("abc\ndef").len(), 2);
        let sigma = Query::parse("ΟΔΟΣ").unwrap();
        assert!(sigma.score("οδοσ").is_some());
        assert!(
            sigma
                .grams()
                .iter()
                .all(|g| grams_of("ΟΔΟΣ x").binary_search(g).is_ok())
        );
    }

    #[test]
    fn a_focused_text_ranks_above_a_long_one() {
        let q = Query::parse("emotet").unwrap();
        let name = q.score("Emotet\n").unwrap();
        let long = q
            .score("a long description that mentions emotet once\n")
            .unwrap();
        assert!(name > long);
    }

    #[test]
    fn intersection_keeps_rows_in_every_list() {
        assert_eq!(
            intersect(vec![vec![1, 2, 5, 9], vec![2, 9, 10], vec![0, 2, 3, 9]]),
            [2, 9]
        );
        assert!(intersect(vec![vec![1], vec![]]).is_empty());
        assert!(intersect(vec![]).is_empty());
    }
}
