//! Schema and migrations of the embedded store. The version lives in
//! `PRAGMA user_version`; a database newer than this binary is refused, not
//! guessed at.

use rusqlite::Connection;

use crate::{Result, StoreError};

pub(super) const SCHEMA_VERSION: i64 = 6;

const V1: &str = r#"
CREATE TABLE objects (
    row           INTEGER PRIMARY KEY,
    id_key        INTEGER NOT NULL,
    id            TEXT NOT NULL,
    version       TEXT NOT NULL,
    version_us    INTEGER NOT NULL,
    type          TEXT NOT NULL,
    spec_version  TEXT,
    created_by    TEXT,
    tlp           INTEGER,
    revoked       INTEGER NOT NULL,
    latest        INTEGER NOT NULL,
    json          TEXT NOT NULL
);
-- (id, version) is unique; the writer checks it under the write lock. An
-- integer hash of the id keeps this index small and fast for random ids.
CREATE INDEX objects_id ON objects (id_key);
CREATE INDEX objects_latest_type ON objects (latest, type, row);
CREATE TABLE collections (
    row           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    public        INTEGER NOT NULL DEFAULT 0,
    last_added_us INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE entries (
    collection    INTEGER NOT NULL REFERENCES collections (row),
    date_added_us INTEGER NOT NULL,
    object        INTEGER NOT NULL REFERENCES objects (row),
    PRIMARY KEY (collection, date_added_us)
) WITHOUT ROWID;
CREATE UNIQUE INDEX entries_object ON entries (object, collection);
CREATE TABLE progress (
    name          TEXT PRIMARY KEY,
    row           INTEGER NOT NULL
);
INSERT INTO progress (name, row) VALUES ('search', 0);
-- Derived from objects, caught up after writes (replaced in V5).
CREATE VIRTUAL TABLE search USING fts5 (text, content = '', contentless_delete = 1, tokenize = 'trigram');
"#;

/// What a TAXII server keeps besides objects: users and their rights,
/// tokens (SHA-256 of the token, never the token), POST statuses, and sync
/// cursors (stored in the same transaction as the objects they cover).
const V2: &str = r#"
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE grants (
    user          TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    collection    TEXT NOT NULL,
    can_read      INTEGER NOT NULL,
    can_write     INTEGER NOT NULL,
    PRIMARY KEY (user, collection)
) WITHOUT ROWID;
CREATE TABLE tokens (
    hash          TEXT PRIMARY KEY,
    user          TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_us    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE statuses (
    id            TEXT PRIMARY KEY,
    collection    TEXT NOT NULL,
    owner         TEXT,
    created_us    INTEGER NOT NULL,
    json          TEXT NOT NULL
);
CREATE INDEX statuses_created ON statuses (created_us);
CREATE TABLE sync_cursors (
    source        TEXT PRIMARY KEY,
    value         TEXT NOT NULL,
    updated_us    INTEGER NOT NULL
);
"#;

/// Small named records the node keeps beside objects (peers, quarantined
/// objects, alerts): one table keyed by (kind, key), values are JSON text.
const V3: &str = r#"
CREATE TABLE records (
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    updated_us    INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
"#;

/// The node's own transparency log: its tiles (one row per level and
/// index; entry bundles are level -1), the keys of its governance entries,
/// its size (in `progress`), and on each object version its leaf index and
/// nonce (in the node's log when authored here, in its author's when
/// received).
const V4: &str = r#"
ALTER TABLE objects ADD COLUMN log_leaf INTEGER;
ALTER TABLE objects ADD COLUMN log_nonce BLOB;
CREATE TABLE log_tiles (
    level         INTEGER NOT NULL,
    idx           INTEGER NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE log_entries (
    leaf          INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE
);
INSERT INTO progress (name, row) VALUES ('log', 0);
"#;

/// Search without FTS5 (see `postings.rs`): trigram postings in chunks,
/// written by the indexing step from every core. Rows stored before are
/// indexed again by the next catch-up.
const V5: &str = r#"
DROP TABLE search;
CREATE TABLE grams (
    gram          INTEGER NOT NULL,
    last          INTEGER NOT NULL,
    rows          BLOB NOT NULL,
    PRIMARY KEY (gram, last)
) WITHOUT ROWID;
UPDATE progress SET row = 0 WHERE name = 'search';
"#;

/// Compressed objects (see `codec.rs`): the zstd dictionaries their
/// bodies name. Rows stored before stay text.
const V6: &str = r#"
CREATE TABLE dicts (
    number        INTEGER PRIMARY KEY,
    data          BLOB NOT NULL
);
"#;

pub(super) fn migrate(conn: &Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < SCHEMA_VERSION {
        // Another process may be migrating the same file: take the write
        // lock, then look again.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let step = || -> Result<()> {
            let now: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if now < 1 {
                conn.execute_batch(V1)?;
                conn.pragma_update(None, "user_version", 1)?;
            }
            if now < 2 {
                conn.execute_batch(V2)?;
                conn.pragma_update(None, "user_version", 2)?;
            }
            if now < 3 {
                conn.execute_batch(V3)?;
                conn.pragma_update(None, "user_version", 3)?;
            }
            if now < 4 {
                conn.execute_batch(V4)?;
                conn.pragma_update(None, "user_version", 4)?;
            }
            if now < 5 {
                conn.execute_batch(V5)?;
                conn.pragma_update(None, "user_version", 5)?;
            }
            if now < 6 {
                conn.execute_batch(V6)?;
                conn.pragma_update(None, "user_version", 6)?;
            }
            Ok(())
        };
        match step() {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(())
}
