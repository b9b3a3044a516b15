//! How the embedded store keeps an object's JSON on disk: compressed with
//! zstd against a dictionary trained on the store's own objects.
//!
//! STIX objects are small (a few hundred bytes) and alike (the same keys,
//! markings, producer ids, timestamp shapes), so each compresses poorly on
//! its own and very well against a dictionary of what they share (measured
//! on the benchmark corpus: 620 bytes of JSON per object became about 120;
//! without a dictionary, about 400). Compression is lossless: the stored
//! text comes back byte for byte, so signatures over it still verify.
//!
//! In the `json` column a body is either TEXT, the JSON itself (rows written
//! before the store had a dictionary, or that would not shrink), or a BLOB
//! `[dictionary number][zstd frame without its magic number, dictionary id
//! or checksum]`. Dictionaries live in the `dicts` table, are numbered from
//! 1, and never change or go away: the newest compresses, every one
//! decompresses. A dictionary is stored in a committed transaction before
//! any body that needs it, and a process learns of dictionaries another
//! process trained when it first meets one of their bodies.
//!
//! Every read of the column goes through the SQL function `body_text`
//! (registered on each connection), so queries, dumps and the search index
//! see JSON text whatever the row's form.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// zstd's frame magic number, left out of stored bodies.
const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// zstd level: with a dictionary, higher levels measured about 1% smaller
/// bodies on STIX objects for three times the time.
const LEVEL: i32 = 1;

/// Dictionary size: larger ones measured no smaller bodies on STIX objects.
const DICTIONARY_BYTES: usize = 16 * 1024;

/// A batch of at least this many objects trains the store's first
/// dictionary (fewer teach zstd too little).
pub(super) const TRAIN_MIN_OBJECTS: usize = 512;

/// At most this many bytes of samples go into training (about 1,600
/// objects: more measured no better, and training time grows with it).
const TRAIN_MAX_SAMPLE_BYTES: usize = 1 << 20;

/// Identifies one loaded dictionary in this process, so a thread's cached
/// zstd context is never used with another store's dictionary of the same
/// number.
static NEXT_UID: AtomicU64 = AtomicU64::new(1);

struct Dictionary {
    number: u8,
    uid: u64,
    data: Vec<u8>,
}

/// The dictionaries of one store, as loaded in this process.
#[derive(Default, Clone)]
pub(super) struct Codec {
    dictionaries: Vec<Arc<Dictionary>>,
}

/// An object's JSON in its stored form, made by [`Codec::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    /// The text itself (no dictionary yet, or it would not shrink).
    Text(String),
    /// Compressed with the loaded dictionary `uid`: the column's bytes.
    Compressed { uid: u64, bytes: Vec<u8> },
}

impl Body {
    /// Whether it is compressed (else it is the text itself).
    pub(super) fn is_compressed(&self) -> bool {
        matches!(self, Body::Compressed { .. })
    }

    /// The column value: a BLOB when compressed, else TEXT.
    pub(super) fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(match self {
            Body::Text(text) => ValueRef::Text(text.as_bytes()),
            Body::Compressed { bytes, .. } => ValueRef::Blob(bytes),
        })
    }
}

thread_local! {
    /// Each thread's zstd contexts, by dictionary uid: a context with a
    /// dictionary loaded costs tens of microseconds to make, a compression
    /// with it a couple.
    static CONTEXTS: RefCell<Contexts> = RefCell::new(Contexts::default());
}

#[derive(Default)]
struct Contexts {
    compressors: Vec<(u64, zstd::bulk::Compressor<'static>)>,
    decompressors: Vec<(u64, zstd::bulk::Decompressor<'static>)>,
}

/// How many dictionaries' contexts a thread keeps.
const CONTEXTS_KEPT: usize = 4;

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("stored object body: {what}"))
}

impl Codec {
    /// A codec with the given (number, data) dictionaries.
    fn with_dictionaries(list: Vec<(i64, Vec<u8>)>) -> Result<Codec> {
        let mut dictionaries = Vec::with_capacity(list.len());
        for (number, data) in list {
            let number = u8::try_from(number)
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| corrupt(format!("dictionary number {number}")))?;
            dictionaries.push(Arc::new(Dictionary {
                number,
                uid: NEXT_UID.fetch_add(1, Ordering::Relaxed),
                data,
            }));
        }
        dictionaries.sort_by_key(|d| d.number);
        Ok(Codec { dictionaries })
    }

    /// The store's dictionaries as committed now.
    pub(super) fn load(conn: &Connection) -> Result<Codec> {
        let mut stmt = conn.prepare("SELECT number, data FROM dicts ORDER BY number")?;
        let list = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Codec::with_dictionaries(list)
    }

    /// This codec with the dictionaries of `other` it lacks: those it has
    /// keep their identity, so bodies made with them stay known.
    fn merged(&self, other: &Codec) -> Codec {
        let mut out = self.clone();
        for d in &other.dictionaries {
            if !out.dictionaries.iter().any(|o| o.number == d.number) {
                out.dictionaries.push(d.clone());
            }
        }
        out.dictionaries.sort_by_key(|d| d.number);
        out
    }

    /// Whether new bodies are compressed.
    pub(super) fn has_dictionary(&self) -> bool {
        !self.dictionaries.is_empty()
    }

    /// Whether `body` was made by this codec (or is the text itself).
    pub(super) fn knows(&self, body: &Body) -> bool {
        match body {
            Body::Text(_) => true,
            Body::Compressed { uid, .. } => self.dictionaries.iter().any(|d| d.uid == *uid),
        }
    }

    /// The stored form of `json`: compressed with the newest dictionary,
    /// or the text itself when the store has none or it would not shrink.
    pub(crate) fn encode(&self, json: &str) -> Body {
        let text = || Body::Text(json.to_string());
        let Some(d) = self.dictionaries.last() else {
            return text();
        };
        let compressed = CONTEXTS.with(|c| {
            let mut c = c.borrow_mut();
            let at = match c.compressors.iter().position(|(uid, _)| *uid == d.uid) {
                Some(i) => i,
                None => {
                    let mut z = zstd::bulk::Compressor::with_dictionary(LEVEL, &d.data).ok()?;
                    z.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false))
                        .ok()?;
                    z.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(false))
                        .ok()?;
                    z.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(true))
                        .ok()?;
                    if c.compressors.len() >= CONTEXTS_KEPT {
                        c.compressors.remove(0);
                    }
                    c.compressors.push((d.uid, z));
                    c.compressors.len() - 1
                }
            };
            let frame = c.compressors[at].1.compress(json.as_bytes()).ok()?;
            let frame = frame.strip_prefix(&MAGIC[..])?;
            let mut out = Vec::with_capacity(frame.len() + 1);
            out.push(d.number);
            out.extend_from_slice(frame);
            Some(out)
        });
        match compressed {
            Some(bytes) if bytes.len() < json.len() => Body::Compressed { uid: d.uid, bytes },
            // Incompressible text (or zstd failing on a few KB in memory,
            // not expected): the text is a valid body all the same.
            _ => text(),
        }
    }

    /// The JSON text of a compressed body. `Ok(None)`: it names a
    /// dictionary this codec does not have (another process trained it).
    fn decode(&self, body: &[u8]) -> Result<Option<String>> {
        let Some((&number, frame)) = body.split_first() else {
            return Err(corrupt("empty"));
        };
        let Some(d) = self.dictionaries.iter().find(|d| d.number == number) else {
            return Ok(None);
        };
        let mut whole = Vec::with_capacity(frame.len() + MAGIC.len());
        whole.extend_from_slice(&MAGIC);
        whole.extend_from_slice(frame);
        let size = zstd::zstd_safe::get_frame_content_size(&whole)
            .ok()
            .flatten()
            .ok_or_else(|| corrupt("no content size"))?;
        // A stored body is one object: a claimed size beyond any object
        // is damage, not a reason to allocate it.
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= 64 << 20)
            .ok_or_else(|| corrupt("content size out of range"))?;
        let bytes = CONTEXTS.with(|c| -> Result<Vec<u8>> {
            let mut c = c.borrow_mut();
            let at = match c.decompressors.iter().position(|(uid, _)| *uid == d.uid) {
                Some(i) => i,
                None => {
                    let z = zstd::bulk::Decompressor::with_dictionary(&d.data)
                        .map_err(|e| corrupt(format!("dictionary {number}: {e}")))?;
                    if c.decompressors.len() >= CONTEXTS_KEPT {
                        c.decompressors.remove(0);
                    }
                    c.decompressors.push((d.uid, z));
                    c.decompressors.len() - 1
                }
            };
            c.decompressors[at]
                .1
                .decompress(&whole, size)
                .map_err(|e| corrupt(format!("zstd: {e}")))
        })?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| corrupt("not UTF-8"))
    }
}

/// Trains a dictionary on objects' JSON (samples spread over all of
/// them); `None` when there are too few or zstd finds too little to learn.
fn train(texts: &[&str]) -> Option<Vec<u8>> {
    if texts.len() < TRAIN_MIN_OBJECTS {
        return None;
    }
    let total: usize = texts.iter().map(|t| t.len()).sum();
    let step = total.div_ceil(TRAIN_MAX_SAMPLE_BYTES).max(1);
    let samples: Vec<&[u8]> = texts.iter().step_by(step).map(|t| t.as_bytes()).collect();
    zstd::dict::from_samples(&samples, DICTIONARY_BYTES).ok()
}

/// The dictionaries of one store, shared by its connections in this
/// process and swapped whole when one is added.
#[derive(Clone)]
pub(super) struct SharedCodec {
    current: Arc<ArcSwap<Codec>>,
    path: Arc<PathBuf>,
}

impl SharedCodec {
    pub(super) fn new(path: &Path, codec: Codec) -> SharedCodec {
        SharedCodec {
            current: Arc::new(ArcSwap::from_pointee(codec)),
            path: Arc::new(path.to_path_buf()),
        }
    }

    /// The codec new bodies are made with.
    pub(super) fn get(&self) -> Arc<Codec> {
        self.current.load_full()
    }

    /// Adds the dictionaries of `codec` (read in a committed state) to the
    /// current one; those already known keep their identity.
    pub(super) fn set(&self, codec: Codec) {
        self.current.rcu(|now| now.merged(&codec));
    }

    /// Trains and stores the store's first dictionary inside `tx` when it
    /// has none and `texts` are enough to learn from; returns the codec to
    /// encode with in `tx`. The caller makes it current with [`Self::set`]
    /// only once `tx` has committed: a body must never name a dictionary
    /// that a rolled-back transaction took away.
    pub(super) fn train_in(
        &self,
        tx: &rusqlite::Transaction<'_>,
        texts: &[&str],
    ) -> Result<Option<Codec>> {
        if texts.len() < TRAIN_MIN_OBJECTS || self.get().has_dictionary() {
            return Ok(None);
        }
        // Another process may have trained one meanwhile: use it.
        let committed = Codec::load(tx)?;
        if committed.has_dictionary() {
            return Ok(Some(committed));
        }
        let Some(data) = train(texts) else {
            return Ok(None);
        };
        tx.execute(
            "INSERT INTO dicts (number, data) VALUES (1, ?1)",
            rusqlite::params![data],
        )?;
        Codec::with_dictionaries(vec![(1, data)]).map(Some)
    }

    /// The JSON text of a column value, loading the store's dictionaries
    /// again when it names one this process has not seen.
    fn text_of(&self, value: ValueRef<'_>) -> Result<String> {
        match value {
            ValueRef::Text(t) => String::from_utf8(t.to_vec()).map_err(|_| corrupt("not UTF-8")),
            ValueRef::Blob(b) => {
                if let Some(text) = self.get().decode(b)? {
                    return Ok(text);
                }
                // Read the dictionaries with a connection of its own: this
                // one is inside a statement. The body was committed after
                // its dictionary, so a fresh snapshot holds it.
                let conn = Connection::open_with_flags(
                    self.path.as_path(),
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                self.set(Codec::load(&conn)?);
                self.get()
                    .decode(b)?
                    .ok_or_else(|| corrupt(format!("unknown dictionary {}", b[0])))
            }
            _ => Err(corrupt("neither text nor blob")),
        }
    }

    /// Registers `body_text(json)` on `conn`.
    pub(super) fn register(&self, conn: &Connection) -> Result<()> {
        let shared = self.clone();
        conn.create_scalar_function(
            "body_text",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx: &mut Context<'_>| {
                shared
                    .text_of(ctx.get_raw(0))
                    .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: usize) -> String {
        format!(
            r#"{{"type": "indicator", "spec_version": "2.1", "id": "indicator--{i:08x}-05a5-4b12-aa2a-3bdfe4d63520", "created": "2026-05-02T01:37:42.077Z", "modified": "2026-05-19T22:27:49.077Z", "name": "Malicious domain x{i}.example", "pattern": "[domain-name:value = 'x{i}.example']", "pattern_type": "stix", "valid_from": "2026-05-02T01:37:42.077Z", "confidence": {}}}"#,
            i % 100
        )
    }

    /// The column bytes of a compressed body.
    fn compressed(body: &Body) -> &[u8] {
        match body {
            Body::Compressed { bytes, .. } => bytes,
            Body::Text(t) => panic!("not compressed: {t}"),
        }
    }

    fn trained(texts: &[String]) -> Codec {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let dict = train(&refs).expect("trained");
        Codec::with_dictionaries(vec![(1, dict)]).unwrap()
    }

    #[test]
    fn bodies_come_back_byte_for_byte() {
        let texts: Vec<String> = (0..2000).map(sample).collect();
        let codec = trained(&texts);
        let plain = Codec::default();
        let mut stored = 0;
        for t in texts.iter().take(200) {
            let body = codec.encode(t);
            let bytes = compressed(&body);
            assert_eq!(bytes[0], 1);
            stored += bytes.len();
            assert_eq!(codec.decode(bytes).unwrap().as_deref(), Some(t.as_str()));
            // A codec without the dictionary says so rather than guessing.
            assert_eq!(plain.decode(bytes).unwrap(), None);
            // Without a dictionary the body is the text.
            let text = plain.encode(t);
            assert_eq!(text, Body::Text(t.clone()));
        }
        let original: usize = texts.iter().take(200).map(String::len).sum();
        assert!(stored * 3 < original, "{stored} of {original} bytes");
        assert!(codec.decode(&[1, 2, 3]).is_err());
        assert!(codec.decode(&[]).is_err());
    }

    #[test]
    fn incompressible_text_is_kept_as_text() {
        let texts: Vec<String> = (0..2000).map(sample).collect();
        let codec = trained(&texts);
        let short = "{}";
        assert_eq!(codec.encode(short), Body::Text(short.to_string()));
    }

    #[test]
    fn too_few_objects_train_nothing() {
        let texts: Vec<String> = (0..TRAIN_MIN_OBJECTS - 1).map(sample).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert!(train(&refs).is_none());
    }

    #[test]
    fn each_codec_uses_its_own_dictionary() {
        let a: Vec<String> = (0..1000).map(sample).collect();
        let b: Vec<String> = (0..1000)
            .map(|i| format!("{{\"other\": {i}, \"x\": \"{}\"}}", "y".repeat(i % 50)))
            .collect();
        let ca = trained(&a);
        let cb = trained(&b);
        for t in a.iter().take(20) {
            // Alternate, so a thread's cached context would be reused wrongly
            // if contexts were keyed by dictionary number.
            let x = ca.encode(t);
            let y = cb.encode(t);
            assert_eq!(
                ca.decode(compressed(&x)).unwrap().as_deref(),
                Some(t.as_str())
            );
            assert_eq!(
                cb.decode(compressed(&y)).unwrap().as_deref(),
                Some(t.as_str())
            );
        }
    }
}
