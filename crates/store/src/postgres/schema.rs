//! Schema and migrations of the PostgreSQL backend. The version lives in
//! `concord_schema`; migrations run in one transaction under an advisory
//! lock, so several nodes starting at once migrate once.

use crate::{Result, StoreError};

pub(super) const SCHEMA_VERSION: i32 = 4;

/// An arbitrary constant naming concord's migration lock.
const MIGRATION_LOCK: i64 = 0x636f_6e63_6f72_6401;

const V1: &str = r#"
-- Ids and version strings compare byte-wise (COLLATE "C"): they are ASCII
-- keys, and the locale's collation would only make every index insert slower.
CREATE TABLE objects (
    row           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT COLLATE "C" NOT NULL,
    version       TEXT COLLATE "C" NOT NULL,
    version_us    BIGINT NOT NULL,
    type          TEXT NOT NULL,
    spec_version  TEXT,
    created_by    TEXT,
    tlp           SMALLINT,
    revoked       BOOLEAN NOT NULL,
    json          TEXT NOT NULL,
    UNIQUE (id, version)
);
CREATE TABLE heads (
    id            TEXT COLLATE "C" PRIMARY KEY,
    row           BIGINT NOT NULL,
    version_us    BIGINT NOT NULL,
    version       TEXT COLLATE "C" NOT NULL,
    type          TEXT NOT NULL,
    tlp           SMALLINT,
    revoked       BOOLEAN NOT NULL
);
CREATE TABLE collections (
    row           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    public        BOOLEAN NOT NULL DEFAULT false,
    last_added_us BIGINT NOT NULL DEFAULT 0
);
-- No foreign keys on the hot tables: each would cost a locking lookup per
-- row on ingest; the writer only files rows it holds in the same transaction.
CREATE TABLE entries (
    collection    BIGINT NOT NULL,
    date_added_us BIGINT NOT NULL,
    object        BIGINT NOT NULL,
    PRIMARY KEY (collection, date_added_us),
    UNIQUE (object, collection)
);
-- A heap without index: appended by writers, taken in any order by the
-- indexer (SKIP LOCKED), so filing a row costs one tuple.
CREATE TABLE search_queue (
    row           BIGINT NOT NULL
);
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    admin         BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE grants (
    username      TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    collection    TEXT NOT NULL,
    can_read      BOOLEAN NOT NULL,
    can_write     BOOLEAN NOT NULL,
    PRIMARY KEY (username, collection)
);
CREATE TABLE tokens (
    hash          TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_us    BIGINT NOT NULL
);
CREATE TABLE statuses (
    id            TEXT PRIMARY KEY,
    collection    TEXT NOT NULL,
    owner         TEXT,
    created_us    BIGINT NOT NULL,
    json          TEXT NOT NULL
);
CREATE INDEX statuses_created ON statuses (created_us);
CREATE TABLE sync_cursors (
    source        TEXT PRIMARY KEY,
    value         TEXT NOT NULL,
    updated_us    BIGINT NOT NULL
);
"#;

/// Small named records beside objects (peers, quarantined objects, alerts).
const V2: &str = r#"
CREATE TABLE records (
    kind          TEXT COLLATE "C" NOT NULL,
    key           TEXT COLLATE "C" NOT NULL,
    value         TEXT NOT NULL,
    updated_us    BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
"#;

/// The node's own transparency log: tiles (entry bundles are level -1),
/// governance entry keys, the size in `log_head` (its row lock is the log's
/// single-writer lock), and each version's leaf index and nonce.
const V3: &str = r#"
ALTER TABLE objects ADD COLUMN log_leaf BIGINT, ADD COLUMN log_nonce BYTEA;
CREATE TABLE log_tiles (
    level         SMALLINT NOT NULL,
    idx           BIGINT NOT NULL,
    data          BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE log_entries (
    leaf          BIGINT PRIMARY KEY,
    key           TEXT COLLATE "C" NOT NULL UNIQUE
);
CREATE TABLE log_head (
    id            SMALLINT PRIMARY KEY,
    size          BIGINT NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);
"#;

/// Search as trigram postings (see `search.rs`) instead of `pg_trgm`'s
/// GIN index, which cost more than storing the objects and which a
/// PostgreSQL-wire database may lack. Schema 1 no longer creates the old
/// table (so a new database needs no extension); a database that has it
/// drops it and indexes every row again. The queue holds a batch's rows
/// in one entry.
const V4: &str = r#"
DROP TABLE IF EXISTS search;
CREATE TABLE grams (
    gram          INTEGER NOT NULL,
    last          BIGINT NOT NULL,
    rows          BYTEA NOT NULL,
    PRIMARY KEY (gram, last)
);
-- One entry per written batch, holding its new rows: a batch queues
-- itself with one tuple, and an importer takes its own entries back by id.
DROP TABLE search_queue;
CREATE TABLE search_queue (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rows          BIGINT[] NOT NULL
);
INSERT INTO search_queue (rows)
    SELECT array_agg(row ORDER BY row) FROM objects GROUP BY row / 8192 ORDER BY row / 8192;
"#;

pub(super) async fn migrate(client: &mut deadpool_postgres::Client) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS concord_schema (version INTEGER NOT NULL)")
        .await?;
    let found: Option<i32> = tx
        .query_opt("SELECT max(version) FROM concord_schema", &[])
        .await?
        .and_then(|r| r.get(0));
    let found = found.unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: i64::from(found),
            supported: i64::from(SCHEMA_VERSION),
        });
    }
    if found < 1 {
        tx.batch_execute(V1).await?;
        tx.execute("INSERT INTO concord_schema (version) VALUES (1)", &[])
            .await?;
    }
    if found < 2 {
        tx.batch_execute(V2).await?;
        tx.execute("INSERT INTO concord_schema (version) VALUES (2)", &[])
            .await?;
    }
    if found < 3 {
        tx.batch_execute(V3).await?;
        tx.execute("INSERT INTO concord_schema (version) VALUES (3)", &[])
            .await?;
    }
    if found < 4 {
        tx.batch_execute(V4).await?;
        tx.execute("INSERT INTO concord_schema (version) VALUES (4)", &[])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
