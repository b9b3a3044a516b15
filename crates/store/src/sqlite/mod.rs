//! The embedded backend: one SQLite file in WAL mode, a single writer
//! connection and a small pool of readers. Blocking SQLite calls run on
//! tokio's blocking pool, never on the async workers.

mod access;
mod admin;
mod codec;
mod dump;
mod log;
mod read;
mod remove;
mod schema;
mod search;
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::postings::{self, Postings};
use codec::{Body, Codec, SharedCodec};
use rusqlite::{Connection, OpenFlags};

use crate::{
    BatchOutcome, Collection, ListQuery, LogAppended, LogLeaf, LoggedVersion, NewCollection, Page,
    PreparedObject, Record, RecordSwap, Result, ScanQuery, Stats, StatusRecord, Store, StoreError,
    StoredObject, SyncCursor, User, VersionSel,
};

/// Rows indexed per transaction when a search catches the index up.
const SEARCH_STEP: usize = 20_000;

/// Rows whose postings wait in memory for the next indexing step; beyond
/// this, the writer indexes them right after their batch (memory stays
/// flat however large the import: about 100 bytes of postings a row).
const PENDING_MAX_ROWS: usize = 262_144;

/// An object's stored body and search trigrams, made ahead of the write by
/// an [`Encoder`] on the caller's threads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Made {
    body: Option<Body>,
    pub(crate) grams: Option<Vec<u32>>,
}

/// Makes objects ready for a store on the threads that prepare them (an
/// import's checkers): search trigrams, and for the embedded store
/// compressed bodies once it has a dictionary. Cheap to clone.
#[derive(Clone)]
pub struct Encoder {
    /// The embedded store's dictionaries (PostgreSQL stores text).
    codec: Option<SharedCodec>,
    index: bool,
}

impl Encoder {
    /// An encoder of search trigrams only (with `index`).
    pub(crate) fn grams_only(index: bool) -> Encoder {
        Encoder { codec: None, index }
    }

    /// Fills in what the write needs of `object`.
    pub fn prepare(&self, object: &mut PreparedObject) {
        if let Some(codec) = &self.codec {
            let codec = codec.get();
            if codec.has_dictionary() {
                object.made.body = Some(codec.encode(&object.json));
            }
        }
        if self.index {
            object.made.grams = Some(postings::grams_of_json(&object.json));
        }
    }
}

/// A batch made ready for the store off its writer thread
/// ([`crate::AnyStore::prepare_batch`]): for the embedded store, each
/// object's stored body and the batch's search postings.
pub struct ReadyBatch {
    pub(crate) objects: Vec<PreparedObject>,
    /// Per object, its body when made ahead.
    bodies: Vec<Option<Body>>,
    postings: Option<Postings>,
}

impl ReadyBatch {
    /// A batch as it is (nothing made ahead).
    pub fn plain(objects: Vec<PreparedObject>) -> ReadyBatch {
        ReadyBatch {
            objects,
            bodies: Vec::new(),
            postings: None,
        }
    }

    /// How many objects it holds.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// Page cache of each reader connection (negative: KiB, as SQLite takes it).
const READER_CACHE_KIB: i64 = -8192;

/// How much of the database file each reader maps (address space only).
const READER_MMAP_BYTES: i64 = 1 << 30;

/// The file name of the database inside a data directory.
pub const DB_FILE: &str = "concord.sqlite";

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// The dictionaries of compressed bodies, shared by every connection.
    codec: SharedCodec,
    /// Search postings of rows this process stored and has not indexed
    /// yet (see [`search::Pending`]); taken by the next indexing step.
    pending: Mutex<Option<search::Pending>>,
}

/// A SQLite store. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // WAL: readers never block the writer. synchronous=FULL: a commit is on
    // disk when it returns, so an acknowledged batch survives power loss.
    // 16 KiB pages hold a couple of dozen STIX objects each (measured: +40%
    // import throughput over 4 KiB); takes effect only on a new file.
    conn.pragma_update(None, "page_size", 16384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Checkpoint in 160 MiB steps rather than 4 MiB ones: bulk imports copy
    // pages from the WAL far more efficiently; the file is cut back after.
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 16 MiB: the pages a write touches again are the indexes' (a few MiB
    // for 100k objects); objects are appended, compressed, and not read
    // back (measured: no slower than 32 MiB on 121k objects, 10 MB less).
    conn.pragma_update(None, "cache_size", -16384)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Other processes (an import beside `serve`) take the write lock in turn.
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `dir`, and brings its
    /// schema up to date.
    pub fn open_dir(dir: &Path) -> Result<SqliteStore> {
        SqliteStore::open(&dir.join(DB_FILE))
    }

    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let writer = open_connection(path)?;
        schema::migrate(&writer)?;
        let codec = SharedCodec::new(path, Codec::load(&writer)?);
        codec.register(&writer)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                codec,
                pending: Mutex::new(None),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = {
            let mut pool = self
                .inner
                .readers
                .lock()
                .map_err(|_| StoreError::Task("reader pool poisoned".into()))?;
            pool.pop()
        };
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = self.open_connection()?;
                // Readers share the OS page cache; a private cache as large
                // as the writer's would multiply the server's memory by the
                // number of readers for little gain.
                c.pragma_update(None, "cache_size", READER_CACHE_KIB)?;
                // Readers map the file: pages come from the OS page cache
                // shared by every connection, not one pread each (a peer
                // paging through a large collection spent a third of its
                // time in pread).
                c.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
                c
            }
        };
        let out = f(&conn);
        if let Ok(mut pool) = self.inner.readers.lock()
            && pool.len() < 8
        {
            pool.push(conn);
        }
        out
    }

    /// A new connection to the store, reading bodies through its codec.
    fn open_connection(&self) -> Result<Connection> {
        let c = open_connection(&self.inner.path)?;
        self.inner.codec.register(&c)?;
        Ok(c)
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self
            .inner
            .writer
            .lock()
            .map_err(|_| StoreError::Task("writer poisoned".into()))?;
        f(&mut conn)
    }

    /// An encoder for objects about to be written to this store (with
    /// `index`: their search trigrams too).
    pub fn encoder(&self, index: bool) -> Encoder {
        Encoder {
            codec: Some(self.inner.codec.clone()),
            index,
        }
    }

    /// Makes `objects` ready to write: trains the store's first dictionary
    /// on them when it has none and they are enough, compresses the bodies
    /// an [`Encoder`] did not make (on every core when there are many),
    /// and (with `index`) gathers the batch's search postings. Blocking:
    /// call it from a thread of its own while the previous batch commits.
    pub fn prepare_batch(
        &self,
        mut objects: Vec<PreparedObject>,
        index: bool,
    ) -> Result<ReadyBatch> {
        let codec = &self.inner.codec;
        if !codec.get().has_dictionary() && objects.len() >= codec::TRAIN_MIN_OBJECTS {
            self.with_writer(|c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let texts: Vec<&str> = objects.iter().map(|o| o.json.as_str()).collect();
                let trained = codec.train_in(&tx, &texts)?;
                tx.commit()?;
                if let Some(t) = trained {
                    codec.set(t);
                }
                Ok(())
            })?;
        }
        let encoder = codec.get();
        let missing = |o: &PreparedObject| {
            encoder.has_dictionary() && !o.made.body.as_ref().is_some_and(|b| encoder.knows(b))
        };
        let encode = |part: &mut [PreparedObject]| {
            for o in part.iter_mut().filter(|o| missing(o)) {
                o.made.body = Some(encoder.encode(&o.json));
            }
        };
        // Many lack a body in the first batch (the checkers had no
        // dictionary yet) or a foreign format's: compressed on every core.
        let lacking = objects.iter().filter(|o| missing(o)).count();
        crate::model::on_every_core(&mut objects, lacking, &encode)?;
        if index {
            crate::model::hash_missing_grams(&mut objects)?;
        }
        let postings = index.then(|| {
            let mut postings = Postings::default();
            for (i, o) in objects.iter_mut().enumerate() {
                let grams = o
                    .made
                    .grams
                    .take()
                    .unwrap_or_else(|| postings::grams_of_json(&o.json));
                postings.add(i as i64, &grams);
            }
            postings
        });
        let mut bodies = Vec::with_capacity(objects.len());
        for o in &mut objects {
            let body = o.made.body.take();
            // The text of a compressed object is not needed again (its body
            // is what is written): a batch waiting for the writer holds a
            // fifth of the memory.
            if body.as_ref().is_some_and(Body::is_compressed) {
                o.json = String::new();
            }
            bodies.push(body);
        }
        Ok(ReadyBatch {
            objects,
            bodies,
            postings,
        })
    }

    /// Writes a batch in one transaction (with `also` inside it), then
    /// keeps its search postings for the next indexing step, or indexes
    /// right away when enough are waiting.
    fn put(
        &self,
        conn: &mut Connection,
        collection: &str,
        batch: ReadyBatch,
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<BatchOutcome> {
        let put = write::put_batch_then(
            conn,
            &self.inner.codec,
            collection,
            &batch.objects,
            &batch.bodies,
            also,
        )?;
        // Every object a new row, in order: the batch's postings by
        // position are its rows' postings.
        let n = batch.objects.len() as i64;
        let whole = put.outcome.inserted == batch.objects.len()
            && put.rows.is_some_and(|(first, last)| last - first + 1 == n);
        if let (Some(postings), Some(rows), true) = (batch.postings, put.rows, whole) {
            let mut pending = self
                .inner
                .pending
                .lock()
                .map_err(|_| StoreError::Task("search postings poisoned".into()))?;
            search::Pending::extend(&mut pending, postings, rows);
            if pending.as_ref().is_some_and(|p| p.rows >= PENDING_MAX_ROWS) {
                let max = pending.as_ref().map_or(0, |p| p.rows);
                search::index_pending(conn, max, &mut pending)?;
            }
        }
        Ok(put.outcome)
    }

    /// Writes a batch made by [`SqliteStore::prepare_batch`].
    pub async fn put_ready(&self, collection: &str, batch: ReadyBatch) -> Result<BatchOutcome> {
        let collection = collection.to_string();
        self.blocking(move |s| s.with_writer(|c| s.put(c, &collection, batch, |_| Ok(()))))
            .await
    }

    /// One indexing step on the writer (see [`search::index_pending`]),
    /// with the postings this process has waiting.
    fn index_step(&self, conn: &mut Connection, max_rows: usize) -> Result<usize> {
        let mut pending = self
            .inner
            .pending
            .lock()
            .map_err(|_| StoreError::Task("search postings poisoned".into()))?;
        search::index_pending(conn, max_rows, &mut pending)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(SqliteStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(me))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

impl Store for SqliteStore {
    async fn put_batch(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
    ) -> Result<BatchOutcome> {
        let collection = collection.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| s.put(c, &collection, ReadyBatch::plain(batch), |_| Ok(())))
        })
        .await
    }

    async fn versions(&self, id: &str, which: VersionSel) -> Result<Vec<StoredObject>> {
        let id = id.to_string();
        self.blocking(move |s| s.with_reader(|c| read::versions(c, &id, &which)))
            .await
    }

    async fn first_versions(&self, ids: Vec<String>) -> Result<Vec<StoredObject>> {
        self.blocking(move |s| s.with_reader(|c| read::first_versions(c, &ids)))
            .await
    }

    async fn list(&self, query: ListQuery) -> Result<Page> {
        self.blocking(move |s| s.with_reader(|c| read::list(c, &query)))
            .await
    }

    async fn scan_latest(&self, query: ScanQuery) -> Result<Vec<StoredObject>> {
        self.blocking(move |s| s.with_reader(|c| read::scan_latest(c, &query)))
            .await
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<StoredObject>> {
        let text = text.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| {
                while s.index_step(c, SEARCH_STEP)? > 0 {}
                Ok(())
            })?;
            s.with_reader(|c| search::search(c, &text, limit))
        })
        .await
    }

    async fn index_search(&self, max_rows: usize) -> Result<usize> {
        self.blocking(move |s| s.with_writer(|c| s.index_step(c, max_rows)))
            .await
    }

    async fn search_backlog(&self) -> Result<u64> {
        self.blocking(|s| s.with_reader(search::backlog)).await
    }

    async fn stats(&self) -> Result<Stats> {
        self.blocking(|s| s.with_reader(read::stats)).await
    }

    async fn create_collection(&self, collection: NewCollection) -> Result<Collection> {
        self.blocking(move |s| s.with_writer(|c| write::create_collection(c, &collection)))
            .await
    }

    async fn collections(&self) -> Result<Vec<Collection>> {
        self.blocking(|s| s.with_reader(read::collections)).await
    }

    async fn last_added(&self, collection: &str) -> Result<Option<i64>> {
        let collection = collection.to_string();
        self.blocking(move |s| s.with_reader(|c| read::last_added(c, &collection)))
            .await
    }

    async fn remove_from_collection(
        &self,
        collection: &str,
        id: &str,
        versions: VersionSel,
        spec_versions: Vec<String>,
    ) -> Result<usize> {
        let (collection, id) = (collection.to_string(), id.to_string());
        self.blocking(move |s| {
            s.with_writer(|c| {
                remove::remove_from_collection(c, &collection, &id, &versions, &spec_versions)
            })
        })
        .await
    }

    async fn put_pulled(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        cursor: SyncCursor,
        records: Vec<Record>,
    ) -> Result<BatchOutcome> {
        let collection = collection.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| {
                s.put(c, &collection, ReadyBatch::plain(batch), |tx| {
                    access::set_cursor(tx, &cursor)?;
                    access::put_records(tx, &records)
                })
            })
        })
        .await
    }

    async fn put_posted(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        status: StatusRecord,
    ) -> Result<BatchOutcome> {
        let collection = collection.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| {
                s.put(c, &collection, ReadyBatch::plain(batch), |tx| {
                    access::put_status(tx, &status)
                })
            })
        })
        .await
    }

    async fn sync_cursor(&self, source: &str) -> Result<Option<String>> {
        let source = source.to_string();
        self.blocking(move |s| s.with_reader(|c| access::cursor(c, &source)))
            .await
    }

    async fn set_sync_cursor(&self, cursor: SyncCursor) -> Result<()> {
        self.blocking(move |s| {
            s.with_writer(|c| {
                let tx = c.transaction()?;
                access::set_cursor(&tx, &cursor)?;
                tx.commit()?;
                Ok(())
            })
        })
        .await
    }

    async fn put_user(&self, user: User) -> Result<()> {
        self.blocking(move |s| s.with_writer(|c| access::put_user(c, &user)))
            .await
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let name = name.to_string();
        self.blocking(move |s| s.with_reader(|c| access::user(c, &name)))
            .await
    }

    async fn add_token(&self, user: &str, token_hash: &str) -> Result<bool> {
        let (user, hash) = (user.to_string(), token_hash.to_string());
        self.blocking(move |s| s.with_writer(|c| access::add_token(c, &user, &hash)))
            .await
    }

    async fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let hash = token_hash.to_string();
        self.blocking(move |s| s.with_reader(|c| access::token_user(c, &hash)))
            .await
    }

    async fn put_status(&self, status: StatusRecord) -> Result<()> {
        self.blocking(move |s| s.with_writer(|c| access::put_status(c, &status)))
            .await
    }

    async fn status(&self, id: &str) -> Result<Option<StatusRecord>> {
        let id = id.to_string();
        self.blocking(move |s| s.with_reader(|c| access::status(c, &id)))
            .await
    }

    async fn prune_statuses(&self, before_us: i64) -> Result<usize> {
        self.blocking(move |s| s.with_writer(|c| access::prune_statuses(c, before_us)))
            .await
    }

    async fn purge_before(&self, id: &str, version_us: i64) -> Result<usize> {
        let id = id.to_string();
        self.blocking(move |s| s.with_writer(|c| remove::purge_before(c, &id, version_us)))
            .await
    }

    async fn put_records(&self, records: Vec<Record>) -> Result<()> {
        self.blocking(move |s| {
            s.with_writer(|c| {
                let tx = c.transaction()?;
                access::put_records(&tx, &records)?;
                tx.commit()?;
                Ok(())
            })
        })
        .await
    }

    async fn records(&self, kind: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>> {
        let kind = kind.to_string();
        let after = after.map(str::to_string);
        self.blocking(move |s| {
            s.with_reader(|c| access::records(c, &kind, after.as_deref(), limit))
        })
        .await
    }

    async fn record(&self, kind: &str, key: &str) -> Result<Option<Record>> {
        let (kind, key) = (kind.to_string(), key.to_string());
        self.blocking(move |s| s.with_reader(|c| access::record(c, &kind, &key)))
            .await
    }

    async fn delete_records(&self, kind: &str, keys: Vec<String>) -> Result<usize> {
        let kind = kind.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| {
                let tx = c.transaction()?;
                let n = access::delete_records(&tx, &kind, &keys)?;
                tx.commit()?;
                Ok(n)
            })
        })
        .await
    }
    async fn put_releasing(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        records: Vec<Record>,
        delete: (String, Vec<String>),
    ) -> Result<BatchOutcome> {
        let collection = collection.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| {
                s.put(c, &collection, ReadyBatch::plain(batch), |tx| {
                    access::put_records(tx, &records)?;
                    access::delete_records(tx, &delete.0, &delete.1)?;
                    Ok(())
                })
            })
        })
        .await
    }

    async fn log_size(&self) -> Result<u64> {
        self.blocking(|s| s.with_reader(log::size)).await
    }

    async fn log_tiles(
        &self,
        keys: Vec<(concord_tlog::TileLevel, u64)>,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        self.blocking(move |s| s.with_reader(|c| log::tiles(c, &keys)))
            .await
    }

    async fn log_append(&self, leaves: Vec<LogLeaf>, records: Vec<Record>) -> Result<LogAppended> {
        self.blocking(move |s| s.with_writer(|c| log::append(c, &leaves, &records)))
            .await
    }

    async fn logged_versions(
        &self,
        keys: Vec<(String, String)>,
        with_json: bool,
    ) -> Result<Vec<LoggedVersion>> {
        self.blocking(move |s| s.with_reader(|c| log::logged_versions(c, &keys, with_json)))
            .await
    }

    async fn swap_record(&self, expected: Option<String>, record: Record) -> Result<RecordSwap> {
        self.blocking(move |s| s.with_writer(|c| log::swap_record(c, expected.as_deref(), &record)))
            .await
    }
}
