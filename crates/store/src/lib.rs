//! Storage of STIX object versions and TAXII collections.
//!
//! What it is for: keeping every version of every object, keyed by
//! (id, version), exactly as it arrived; collections with a server-assigned
//! `date_added` that is strictly increasing and unique per collection
//! (`max(now, last + 1 µs)`, in the same transaction as the write) so TAXII
//! paging never loops or skips; queries by id, type, version, `added_after`
//! pages, full-text search and counts. One `Store` trait with one
//! implementation per backend (embedded SQLite by default, PostgreSQL for
//! large members), dispatched through the `AnyStore` enum because `async fn` in a
//! trait is not object-safe.
//!
//! What it must never do: acknowledge a write before it is durable, leave half
//! a batch behind, rewrite an object's JSON, decide who may see what (that is
//! the sharing policy's job: the store answers the questions it is asked),
//! read configuration or print.

mod access;
mod admin;
pub mod dump;
mod log;
mod model;
mod parsed;
pub mod postgres;
mod postings;
pub mod sqlite;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use access::*;
pub use admin::{CollectionRemoval, TokenInfo};
pub use log::{LogAppended, LogLeaf, LogMark, LoggedVersion, RecordSwap};
pub use model::*;
pub use parsed::{latest_object, latest_of_type};
pub use postgres::PgStore;
pub use sqlite::{Encoder, ReadyBatch, SqliteStore};

use std::future::Future;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The embedded database failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL server failed or refused a statement.
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No connection to PostgreSQL could be made (the server, without the
    /// URL's password, and why).
    #[error("the database is unreachable: {0}")]
    Unreachable(String),
    /// The database was written by a newer concord; it is left untouched.
    #[error(
        "the data directory's schema is version {found}, newer than this binary's {supported}; upgrade concord"
    )]
    SchemaTooNew {
        /// The database's schema version.
        found: i64,
        /// The newest schema version this binary knows.
        supported: i64,
    },
    /// No collection has this id.
    #[error("no collection {0:?}")]
    UnknownCollection(String),
    /// The query asks for something the store cannot answer (which rule).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Stored data does not have the shape the store wrote (what and where).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A worker thread or lock of the store failed (a panic elsewhere).
    #[error("background task failed: {0}")]
    Task(String),
    /// The node's transparency log could not be extended (its tiles do
    /// not match its size, or an entry is too large).
    #[error("the transparency log: {0}")]
    Log(String),
}

/// The result of every store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// The operations every backend offers. All writes are atomic per call and
/// durable when the future resolves.
pub trait Store: Send + Sync {
    /// Stores a batch of object versions and files them in `collection`.
    /// Versions already stored are not written again (they still join the
    /// collection if they were not in it).
    fn put_batch(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
    ) -> impl Future<Output = Result<BatchOutcome>> + Send;

    /// Versions of one object, oldest first.
    fn versions(
        &self,
        id: &str,
        which: VersionSel,
    ) -> impl Future<Output = Result<Vec<StoredObject>>> + Send;

    /// The oldest version of each of `ids` the store holds (one round trip
    /// for the batch; ids not held are left out; in no particular order).
    fn first_versions(
        &self,
        ids: Vec<String>,
    ) -> impl Future<Output = Result<Vec<StoredObject>>> + Send;

    /// A page of collection entries in `date_added` order.
    fn list(&self, query: ListQuery) -> impl Future<Output = Result<Page>> + Send;

    /// Latest versions of all objects (optionally of some types) in
    /// storage order, from after `after_row`: the export and index-building scan.
    fn scan_latest(
        &self,
        query: ScanQuery,
    ) -> impl Future<Output = Result<Vec<StoredObject>>> + Send;

    /// Full-text search over names, descriptions, labels and patterns; the
    /// latest version of each matching object, best first. The search index
    /// is brought up to date first, so every stored object can be found.
    fn search(
        &self,
        text: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredObject>>> + Send;

    /// Adds up to `max_rows` stored versions to the search index; returns how
    /// many it covered (0: the index is current).
    fn index_search(&self, max_rows: usize) -> impl Future<Output = Result<usize>> + Send;

    /// How many stored versions the search index does not cover yet.
    fn search_backlog(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Counts of objects, versions, types, TLP levels and collection entries.
    fn stats(&self) -> impl Future<Output = Result<Stats>> + Send;

    /// Creates a collection (with no id given, a fresh UUID is its id). If
    /// the id is taken, the stored collection is left unchanged and the
    /// returned value describes the request, not what is stored.
    fn create_collection(
        &self,
        collection: NewCollection,
    ) -> impl Future<Output = Result<Collection>> + Send;

    /// Every collection, in creation order.
    fn collections(&self) -> impl Future<Output = Result<Vec<Collection>>> + Send;

    /// The latest `date_added` handed out in `collection` (`None` before
    /// its first entry). Every entry at or before it is committed: a
    /// reader that then lists past it has seen them all.
    fn last_added(&self, collection: &str) -> impl Future<Output = Result<Option<i64>>> + Send;

    /// Takes the selected versions of object `id` out of `collection`
    /// (optionally only those of some spec versions); the versions stay
    /// stored. Returns how many entries were removed.
    fn remove_from_collection(
        &self,
        collection: &str,
        id: &str,
        versions: VersionSel,
        spec_versions: Vec<String>,
    ) -> impl Future<Output = Result<usize>> + Send;

    /// Stores a batch pulled from a peer and moves that peer's cursor in the
    /// same transaction: after a crash, the cursor never covers objects
    /// that were not stored.
    /// `records` (the quarantined objects of the same page) are written in
    /// that transaction too.
    fn put_pulled(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        cursor: SyncCursor,
        records: Vec<Record>,
    ) -> impl Future<Output = Result<BatchOutcome>> + Send;

    /// Stores a batch received by TAXII POST and its final status in one
    /// transaction: a status that says "complete" always describes objects
    /// that are stored.
    fn put_posted(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        status: StatusRecord,
    ) -> impl Future<Output = Result<BatchOutcome>> + Send;

    /// The stored cursor of a sync source.
    fn sync_cursor(&self, source: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Moves a sync cursor on its own (a push, after the peer acknowledged).
    fn set_sync_cursor(&self, cursor: SyncCursor) -> impl Future<Output = Result<()>> + Send;

    /// Creates or replaces a user with exactly the given grants.
    fn put_user(&self, user: User) -> impl Future<Output = Result<()>> + Send;

    /// The user called `name`, with its grants.
    fn user(&self, name: &str) -> impl Future<Output = Result<Option<User>>> + Send;

    /// Files an API token for a user, by the token's hash; false if the
    /// user does not exist.
    fn add_token(&self, user: &str, token_hash: &str) -> impl Future<Output = Result<bool>> + Send;

    /// The user a token (by its hash) belongs to.
    fn token_user(&self, token_hash: &str) -> impl Future<Output = Result<Option<User>>> + Send;

    /// Creates or updates (by id) a POST status.
    fn put_status(&self, status: StatusRecord) -> impl Future<Output = Result<()>> + Send;

    /// The POST status with this id.
    fn status(&self, id: &str) -> impl Future<Output = Result<Option<StatusRecord>>> + Send;

    /// Forgets statuses created before `before_us`; returns how many.
    fn prune_statuses(&self, before_us: i64) -> impl Future<Output = Result<usize>> + Send;

    /// Creates or replaces records, all in one transaction.
    fn put_records(&self, records: Vec<Record>) -> impl Future<Output = Result<()>> + Send;

    /// Drops every stored version of `id` modified before `version_us`
    /// (what a withdrawal's tombstone supersedes), from storage, every
    /// collection and the search index; returns how many versions went.
    fn purge_before(&self, id: &str, version_us: i64)
    -> impl Future<Output = Result<usize>> + Send;

    /// Records of one kind in key order, after `after` (exclusive), at most
    /// `limit`.
    fn records(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Record>>> + Send;

    /// The record of `kind` with this key.
    fn record(&self, kind: &str, key: &str) -> impl Future<Output = Result<Option<Record>>> + Send;

    /// Deletes records by key; returns how many existed.
    fn delete_records(
        &self,
        kind: &str,
        keys: Vec<String>,
    ) -> impl Future<Output = Result<usize>> + Send;

    /// Stores a batch in `collection` and, in the same transaction, writes
    /// `records` and deletes the records of `kind` named by `delete` (held
    /// objects released into the collection once their log proof arrived).
    fn put_releasing(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        records: Vec<Record>,
        delete: (String, Vec<String>),
    ) -> impl Future<Output = Result<BatchOutcome>> + Send;

    /// The size of the node's own transparency log.
    fn log_size(&self) -> impl Future<Output = Result<u64>> + Send;

    /// The stored rows of these tiles of the node's own log, by (level,
    /// index), each at the widest width written (`None`: no such row).
    fn log_tiles(
        &self,
        keys: Vec<(concord_tlog::TileLevel, u64)>,
    ) -> impl Future<Output = Result<Vec<Option<Vec<u8>>>>> + Send;

    /// Appends entries that are not object versions to the node's own log
    /// (each key at most once, ever), and writes `records`, in one
    /// transaction.
    fn log_append(
        &self,
        leaves: Vec<LogLeaf>,
        records: Vec<Record>,
    ) -> impl Future<Output = Result<LogAppended>> + Send;

    /// The stored versions among `keys` (id, version) that have log
    /// material, with it (in no particular order); their JSON only when
    /// `with_json` (else empty).
    fn logged_versions(
        &self,
        keys: Vec<(String, String)>,
        with_json: bool,
    ) -> impl Future<Output = Result<Vec<LoggedVersion>>> + Send;

    /// Atomically: when the record (kind, key) holds `expected` (`None`: no
    /// record), stores `record`; otherwise changes nothing and answers what
    /// is stored.
    fn swap_record(
        &self,
        expected: Option<String>,
        record: Record,
    ) -> impl Future<Output = Result<RecordSwap>> + Send;
}

/// The configured backend.
#[derive(Clone)]
pub enum AnyStore {
    /// The embedded SQLite database (the default).
    Sqlite(SqliteStore),
    /// A PostgreSQL server.
    Postgres(PgStore),
}

/// Calls the same method on whichever backend is configured.
macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $e,
            AnyStore::Postgres($s) => $e,
        }
    };
}

impl AnyStore {
    /// An encoder that makes objects ready for this store on the threads
    /// that prepare them: search trigrams (with `index`), and for the
    /// embedded store compressed bodies.
    pub fn encoder(&self, index: bool) -> Option<Encoder> {
        match self {
            AnyStore::Sqlite(s) => Some(s.encoder(index)),
            AnyStore::Postgres(s) => Some(s.encoder(index)),
        }
    }

    /// Makes a batch ready to write, off the writer (with `index`, both
    /// backends hash what search trigrams the encoder did not, on every
    /// core; the embedded store compresses bodies). Blocking: call it from
    /// a thread of its own, such as an import's, while the previous batch
    /// commits.
    pub fn prepare_batch(&self, objects: Vec<PreparedObject>, index: bool) -> Result<ReadyBatch> {
        dispatch!(self, s => s.prepare_batch(objects, index))
    }

    /// Writes a batch made by [`AnyStore::prepare_batch`] (as
    /// [`Store::put_batch`] does), keeping its search postings for the next
    /// indexing step.
    pub async fn put_ready(&self, collection: &str, batch: ReadyBatch) -> Result<BatchOutcome> {
        dispatch!(self, s => s.put_ready(collection, batch).await)
    }
}

impl Store for AnyStore {
    async fn put_batch(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
    ) -> Result<BatchOutcome> {
        dispatch!(self, s => s.put_batch(collection, batch).await)
    }
    async fn versions(&self, id: &str, which: VersionSel) -> Result<Vec<StoredObject>> {
        dispatch!(self, s => s.versions(id, which).await)
    }
    async fn first_versions(&self, ids: Vec<String>) -> Result<Vec<StoredObject>> {
        dispatch!(self, s => s.first_versions(ids).await)
    }
    async fn list(&self, query: ListQuery) -> Result<Page> {
        dispatch!(self, s => s.list(query).await)
    }
    async fn scan_latest(&self, query: ScanQuery) -> Result<Vec<StoredObject>> {
        dispatch!(self, s => s.scan_latest(query).await)
    }
    async fn search(&self, text: &str, limit: usize) -> Result<Vec<StoredObject>> {
        dispatch!(self, s => s.search(text, limit).await)
    }
    async fn index_search(&self, max_rows: usize) -> Result<usize> {
        dispatch!(self, s => s.index_search(max_rows).await)
    }
    async fn search_backlog(&self) -> Result<u64> {
        dispatch!(self, s => s.search_backlog().await)
    }
    async fn stats(&self) -> Result<Stats> {
        dispatch!(self, s => s.stats().await)
    }
    async fn create_collection(&self, collection: NewCollection) -> Result<Collection> {
        dispatch!(self, s => s.create_collection(collection).await)
    }
    async fn collections(&self) -> Result<Vec<Collection>> {
        dispatch!(self, s => s.collections().await)
    }
    async fn last_added(&self, collection: &str) -> Result<Option<i64>> {
        dispatch!(self, s => s.last_added(collection).await)
    }
    async fn remove_from_collection(
        &self,
        collection: &str,
        id: &str,
        versions: VersionSel,
        spec_versions: Vec<String>,
    ) -> Result<usize> {
        dispatch!(self, s => s.remove_from_collection(collection, id, versions, spec_versions).await)
    }
    async fn put_pulled(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        cursor: SyncCursor,
        records: Vec<Record>,
    ) -> Result<BatchOutcome> {
        dispatch!(self, s => s.put_pulled(collection, batch, cursor, records).await)
    }
    async fn put_posted(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        status: StatusRecord,
    ) -> Result<BatchOutcome> {
        dispatch!(self, s => s.put_posted(collection, batch, status).await)
    }
    async fn sync_cursor(&self, source: &str) -> Result<Option<String>> {
        dispatch!(self, s => s.sync_cursor(source).await)
    }
    async fn set_sync_cursor(&self, cursor: SyncCursor) -> Result<()> {
        dispatch!(self, s => s.set_sync_cursor(cursor).await)
    }
    async fn put_user(&self, user: User) -> Result<()> {
        dispatch!(self, s => s.put_user(user).await)
    }
    async fn user(&self, name: &str) -> Result<Option<User>> {
        dispatch!(self, s => s.user(name).await)
    }
    async fn add_token(&self, user: &str, token_hash: &str) -> Result<bool> {
        dispatch!(self, s => s.add_token(user, token_hash).await)
    }
    async fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        dispatch!(self, s => s.token_user(token_hash).await)
    }
    async fn put_status(&self, status: StatusRecord) -> Result<()> {
        dispatch!(self, s => s.put_status(status).await)
    }
    async fn status(&self, id: &str) -> Result<Option<StatusRecord>> {
        dispatch!(self, s => s.status(id).await)
    }
    async fn prune_statuses(&self, before_us: i64) -> Result<usize> {
        dispatch!(self, s => s.prune_statuses(before_us).await)
    }
    async fn put_records(&self, records: Vec<Record>) -> Result<()> {
        dispatch!(self, s => s.put_records(records).await)
    }
    async fn purge_before(&self, id: &str, version_us: i64) -> Result<usize> {
        dispatch!(self, s => s.purge_before(id, version_us).await)
    }
    async fn records(&self, kind: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>> {
        dispatch!(self, s => s.records(kind, after, limit).await)
    }
    async fn record(&self, kind: &str, key: &str) -> Result<Option<Record>> {
        dispatch!(self, s => s.record(kind, key).await)
    }
    async fn delete_records(&self, kind: &str, keys: Vec<String>) -> Result<usize> {
        dispatch!(self, s => s.delete_records(kind, keys).await)
    }
    async fn put_releasing(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        records: Vec<Record>,
        delete: (String, Vec<String>),
    ) -> Result<BatchOutcome> {
        dispatch!(self, s => s.put_releasing(collection, batch, records, delete).await)
    }
    async fn log_size(&self) -> Result<u64> {
        dispatch!(self, s => s.log_size().await)
    }
    async fn log_tiles(
        &self,
        keys: Vec<(concord_tlog::TileLevel, u64)>,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        dispatch!(self, s => s.log_tiles(keys).await)
    }
    async fn log_append(&self, leaves: Vec<LogLeaf>, records: Vec<Record>) -> Result<LogAppended> {
        dispatch!(self, s => s.log_append(leaves, records).await)
    }
    async fn logged_versions(
        &self,
        keys: Vec<(String, String)>,
        with_json: bool,
    ) -> Result<Vec<LoggedVersion>> {
        dispatch!(self, s => s.logged_versions(keys, with_json).await)
    }
    async fn swap_record(&self, expected: Option<String>, record: Record) -> Result<RecordSwap> {
        dispatch!(self, s => s.swap_record(expected, record).await)
    }
}
