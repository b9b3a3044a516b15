//! The PostgreSQL backend, for members that outgrow one embedded file.
//!
//! Same semantics as the embedded backend, with what differs in a server
//! database with many writer processes:
//! - `date_added` is assigned under a row lock on the collection
//!   (`SELECT … FOR UPDATE`), so values are unique, increasing, and become
//!   visible in order (the next writer gets the lock only after the previous
//!   one committed);
//! - the latest version of each id lives in `heads`, kept by an atomic
//!   `INSERT … ON CONFLICT DO UPDATE … WHERE newer`, so two writers of the same
//!   id in two processes cannot both win;
//! - rows to add to the search index are queued in `search_queue` (one
//!   entry per batch) in the writing transaction (a watermark over row numbers would miss rows that
//!   commit out of order); the index is the embedded store's trigram
//!   postings, kept in a table (see `search.rs`).
//!
//! Required of the server (so a PostgreSQL-wire database can be judged):
//! identity columns, `INSERT … ON CONFLICT`, `unnest` of several arrays,
//! row-value comparison, `FOR UPDATE`, `DISTINCT ON` and advisory locks.
//! No extension is needed.

mod access;
mod admin;
mod dump;
mod log;
mod read;
mod schema;
mod search;
mod write;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::{
    BatchOutcome, Collection, ListQuery, LogAppended, LogLeaf, LoggedVersion, NewCollection, Page,
    PreparedObject, Record, RecordSwap, Result, ScanQuery, Stats, StatusRecord, Store, StoreError,
    StoredObject, SyncCursor, User, VersionSel,
};

/// A PostgreSQL store: a pool of connections that reconnects after the
/// server restarts (broken connections are dropped and replaced on checkout).
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    url_for_messages: std::sync::Arc<str>,
    schema_ready: std::sync::Arc<tokio::sync::OnceCell<()>>,
    /// Search postings of rows this process wrote and has not indexed yet
    /// (see [`search::Pending`]); taken by the next indexing step.
    pending: std::sync::Arc<std::sync::Mutex<Option<search::Pending>>>,
}

/// Where a database URL points, without its password, for messages.
pub fn describe_url(url: &str) -> String {
    match url.parse::<tokio_postgres::Config>() {
        Ok(cfg) => {
            let hosts: Vec<String> = cfg
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(h) => h.clone(),
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect();
            let port = cfg.get_ports().first().copied().unwrap_or(5432);
            format!(
                "postgres://{}@{}:{}/{}",
                cfg.get_user().unwrap_or(""),
                hosts.join(","),
                port,
                cfg.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "an unparsable PostgreSQL URL".to_string(),
    }
}

impl PgStore {
    /// Prepares a pool for `url` without connecting yet (so it can be made
    /// outside an async context). The first operation connects, and brings
    /// the schema up to date, refusing a schema newer than this binary.
    pub fn new(url: &str) -> Result<PgStore> {
        let described = describe_url(url);
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Unreachable(format!("{described}: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(8)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(30)))
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .build()
            .map_err(|e| StoreError::Unreachable(format!("{described}: {e}")))?;
        Ok(PgStore {
            pool,
            url_for_messages: described.into(),
            schema_ready: Default::default(),
            pending: Default::default(),
        })
    }

    /// Connects now and migrates: for `init` and server start, so a wrong
    /// URL is reported at once.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let store = PgStore::new(url)?;
        store.ensure_ready().await?;
        Ok(store)
    }

    /// Connects (if not yet) and brings the schema up to date.
    pub async fn ensure_ready(&self) -> Result<()> {
        let _ = self.client().await?;
        Ok(())
    }

    /// An encoder that hashes objects' search trigrams ahead of the write
    /// (with `index`), on the threads that prepare them.
    pub fn encoder(&self, index: bool) -> crate::Encoder {
        crate::Encoder::grams_only(index)
    }

    /// Makes `objects` ready to write: with `index`, hashes the search
    /// trigrams an encoder did not (on every core when there are many).
    /// Blocking: call it from a thread of its own.
    pub fn prepare_batch(
        &self,
        mut objects: Vec<PreparedObject>,
        index: bool,
    ) -> Result<crate::ReadyBatch> {
        if index {
            crate::model::hash_missing_grams(&mut objects)?;
        }
        Ok(crate::ReadyBatch::plain(objects))
    }

    /// Writes a batch made by [`PgStore::prepare_batch`], keeps the search
    /// postings of its new rows for the next indexing step, and indexes
    /// right away when enough are waiting.
    pub async fn put_ready(
        &self,
        collection: &str,
        batch: crate::ReadyBatch,
    ) -> Result<BatchOutcome> {
        let objects = batch.objects;
        let mut c = self.client().await?;
        let (outcome, placed) = write::put_batch_rows(&mut c, collection, &objects).await?;
        let full = {
            let mut pending = self.pending()?;
            search::Pending::add(&mut pending, &objects, placed)?;
            if pending
                .as_ref()
                .is_some_and(|p| p.rows >= search::PENDING_MAX_ROWS)
            {
                pending.take()
            } else {
                None
            }
        };
        if let Some(p) = full {
            search::index_pending(&mut c, 0, Some(p)).await?;
        }
        Ok(outcome)
    }

    fn pending(&self) -> Result<std::sync::MutexGuard<'_, Option<search::Pending>>> {
        self.pending
            .lock()
            .map_err(|_| StoreError::Task("search postings poisoned".into()))
    }

    /// One indexing step, with the postings this process has waiting.
    async fn index_step(
        &self,
        c: &mut deadpool_postgres::Client,
        max_rows: usize,
    ) -> Result<usize> {
        let pending = self.pending()?.take();
        search::index_pending(c, max_rows, pending).await
    }

    async fn client(&self) -> Result<deadpool_postgres::Client> {
        let get = || async {
            self.pool.get().await.map_err(|e| {
                StoreError::Unreachable(format!("cannot reach {}: {e}", self.url_for_messages))
            })
        };
        self.schema_ready
            .get_or_try_init(|| async {
                let mut c = get().await?;
                schema::migrate(&mut c).await
            })
            .await?;
        get().await
    }
}

impl Store for PgStore {
    async fn put_batch(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
    ) -> Result<BatchOutcome> {
        let mut c = self.client().await?;
        write::put_batch(&mut c, collection, &batch).await
    }

    async fn versions(&self, id: &str, which: VersionSel) -> Result<Vec<StoredObject>> {
        let c = self.client().await?;
        read::versions(&c, id, &which).await
    }

    async fn first_versions(&self, ids: Vec<String>) -> Result<Vec<StoredObject>> {
        let c = self.client().await?;
        read::first_versions(&c, &ids).await
    }

    async fn list(&self, query: ListQuery) -> Result<Page> {
        let mut c = self.client().await?;
        read::list(&mut c, &query).await
    }

    async fn scan_latest(&self, query: ScanQuery) -> Result<Vec<StoredObject>> {
        let mut c = self.client().await?;
        read::scan_latest(&mut c, &query).await
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<StoredObject>> {
        let mut c = self.client().await?;
        while self.index_step(&mut c, 20_000).await? > 0 {}
        search::search(&c, text, limit).await
    }

    async fn index_search(&self, max_rows: usize) -> Result<usize> {
        let mut c = self.client().await?;
        self.index_step(&mut c, max_rows).await
    }

    async fn search_backlog(&self) -> Result<u64> {
        let c = self.client().await?;
        let n: i64 = c
            .query_one(
                "SELECT coalesce(sum(cardinality(rows)), 0)::bigint FROM search_queue",
                &[],
            )
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn stats(&self) -> Result<Stats> {
        let c = self.client().await?;
        read::stats(&c).await
    }

    async fn create_collection(&self, collection: NewCollection) -> Result<Collection> {
        let c = self.client().await?;
        write::create_collection(&c, &collection).await
    }

    async fn collections(&self) -> Result<Vec<Collection>> {
        let c = self.client().await?;
        read::collections(&c).await
    }

    async fn last_added(&self, collection: &str) -> Result<Option<i64>> {
        let c = self.client().await?;
        read::last_added(&c, collection).await
    }

    async fn remove_from_collection(
        &self,
        collection: &str,
        id: &str,
        versions: VersionSel,
        spec_versions: Vec<String>,
    ) -> Result<usize> {
        let mut c = self.client().await?;
        access::remove_from_collection(&mut c, collection, id, &versions, &spec_versions).await
    }

    async fn put_pulled(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        cursor: SyncCursor,
        records: Vec<Record>,
    ) -> Result<BatchOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let outcome = write::put_batch_in(&tx, collection, &batch).await?;
        access::set_cursor(&tx, &cursor).await?;
        access::put_records(&tx, &records).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn put_posted(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        status: StatusRecord,
    ) -> Result<BatchOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let outcome = write::put_batch_in(&tx, collection, &batch).await?;
        access::put_status(&tx, &status).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn sync_cursor(&self, source: &str) -> Result<Option<String>> {
        let c = self.client().await?;
        access::cursor(&c, source).await
    }

    async fn set_sync_cursor(&self, cursor: SyncCursor) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        access::set_cursor(&tx, &cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_user(&self, user: User) -> Result<()> {
        let mut c = self.client().await?;
        access::put_user(&mut c, &user).await
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let c = self.client().await?;
        access::user(&c, name).await
    }

    async fn add_token(&self, user: &str, token_hash: &str) -> Result<bool> {
        let c = self.client().await?;
        access::add_token(&c, user, token_hash).await
    }

    async fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let c = self.client().await?;
        access::token_user(&c, token_hash).await
    }

    async fn put_status(&self, status: StatusRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        access::put_status(&tx, &status).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn status(&self, id: &str) -> Result<Option<StatusRecord>> {
        let c = self.client().await?;
        access::status(&c, id).await
    }

    async fn prune_statuses(&self, before_us: i64) -> Result<usize> {
        let c = self.client().await?;
        access::prune_statuses(&c, before_us).await
    }

    async fn purge_before(&self, id: &str, version_us: i64) -> Result<usize> {
        let mut c = self.client().await?;
        access::purge_before(&mut c, id, version_us).await
    }

    async fn put_records(&self, records: Vec<Record>) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        access::put_records(&tx, &records).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn records(&self, kind: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>> {
        let c = self.client().await?;
        access::records(&c, kind, after, limit).await
    }

    async fn record(&self, kind: &str, key: &str) -> Result<Option<Record>> {
        let c = self.client().await?;
        access::record(&c, kind, key).await
    }

    async fn delete_records(&self, kind: &str, keys: Vec<String>) -> Result<usize> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = access::delete_records(&tx, kind, &keys).await?;
        tx.commit().await?;
        Ok(n)
    }
    async fn put_releasing(
        &self,
        collection: &str,
        batch: Vec<PreparedObject>,
        records: Vec<Record>,
        delete: (String, Vec<String>),
    ) -> Result<BatchOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let outcome = write::put_batch_in(&tx, collection, &batch).await?;
        access::put_records(&tx, &records).await?;
        access::delete_records(&tx, &delete.0, &delete.1).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn log_size(&self) -> Result<u64> {
        let c = self.client().await?;
        log::size(&c).await
    }

    async fn log_tiles(
        &self,
        keys: Vec<(concord_tlog::TileLevel, u64)>,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let c = self.client().await?;
        log::tiles(&c, &keys).await
    }

    async fn log_append(&self, leaves: Vec<LogLeaf>, records: Vec<Record>) -> Result<LogAppended> {
        let mut c = self.client().await?;
        log::append(&mut c, &leaves, &records).await
    }

    async fn logged_versions(
        &self,
        keys: Vec<(String, String)>,
        with_json: bool,
    ) -> Result<Vec<LoggedVersion>> {
        let c = self.client().await?;
        log::logged_versions(&c, &keys, with_json).await
    }

    async fn swap_record(&self, expected: Option<String>, record: Record) -> Result<RecordSwap> {
        let mut c = self.client().await?;
        log::swap_record(&mut c, expected.as_deref(), &record).await
    }
}
