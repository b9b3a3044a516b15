//! Users, their rights and tokens; POST statuses; sync cursors. Small tables
//! read by key: one statement each.

use concord_stix::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{Grant, Record, Result, StatusRecord, SyncCursor, User};

/// Creates or replaces a user and all its grants, atomically.
pub(super) fn put_user(conn: &mut Connection, user: &User) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO users (name, password_hash, admin) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, admin = excluded.admin",
        params![user.name, user.password_hash, user.admin],
    )?;
    tx.execute("DELETE FROM grants WHERE user = ?1", [&user.name])?;
    {
        let mut grant = tx.prepare_cached(
            "INSERT INTO grants (user, collection, can_read, can_write) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user, collection) DO UPDATE SET
                can_read = can_read OR excluded.can_read, can_write = can_write OR excluded.can_write",
        )?;
        for g in &user.grants {
            grant.execute(params![user.name, g.collection, g.read, g.write])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn user(conn: &Connection, name: &str) -> Result<Option<User>> {
    let row: Option<(String, String, bool)> = conn
        .prepare_cached("SELECT name, password_hash, admin FROM users WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((name, password_hash, admin)) = row else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT collection, can_read, can_write FROM grants WHERE user = ?1 ORDER BY collection",
    )?;
    let grants = stmt
        .query_map([&name], |r| {
            Ok(Grant {
                collection: r.get(0)?,
                read: r.get(1)?,
                write: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(User {
        name,
        password_hash,
        admin,
        grants,
    }))
}

/// Files a token (by its hash) for an existing user; false if there is no
/// such user.
pub(super) fn add_token(conn: &Connection, user: &str, token_hash: &str) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO tokens (hash, user, created_us)
         SELECT ?1, name, ?3 FROM users WHERE name = ?2",
        params![token_hash, user, Timestamp::now().0],
    )?;
    Ok(n == 1)
}

pub(super) fn token_user(conn: &Connection, token_hash: &str) -> Result<Option<User>> {
    let name: Option<String> = conn
        .prepare_cached("SELECT user FROM tokens WHERE hash = ?1")?
        .query_row([token_hash], |r| r.get(0))
        .optional()?;
    match name {
        Some(name) => user(conn, &name),
        None => Ok(None),
    }
}

pub(super) fn put_status(conn: &Connection, s: &StatusRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO statuses (id, collection, owner, created_us, json) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json",
    )?
    .execute(params![s.id, s.collection, s.owner, s.created_us, s.json])?;
    Ok(())
}

pub(super) fn status(conn: &Connection, id: &str) -> Result<Option<StatusRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, collection, owner, created_us, json FROM statuses WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(StatusRecord {
                id: r.get(0)?,
                collection: r.get(1)?,
                owner: r.get(2)?,
                created_us: r.get(3)?,
                json: r.get(4)?,
            })
        })
        .optional()?)
}

pub(super) fn prune_statuses(conn: &Connection, before_us: i64) -> Result<usize> {
    Ok(conn.execute("DELETE FROM statuses WHERE created_us < ?1", [before_us])?)
}

pub(super) fn set_cursor(tx: &Transaction<'_>, c: &SyncCursor) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_cursors (source, value, updated_us) VALUES (?1, ?2, ?3)
         ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us",
    )?
    .execute(params![c.source, c.value, Timestamp::now().0])?;
    Ok(())
}

pub(super) fn cursor(conn: &Connection, source: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM sync_cursors WHERE source = ?1")?
        .query_row([source], |r| r.get(0))
        .optional()?)
}

pub(super) fn put_records(tx: &Transaction<'_>, records: &[Record]) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO records (kind, key, value, updated_us) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us",
    )?;
    let now = Timestamp::now().0;
    for r in records {
        stmt.execute(params![r.kind, r.key, r.value, now])?;
    }
    Ok(())
}

fn record_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        kind: r.get(0)?,
        key: r.get(1)?,
        value: r.get(2)?,
        updated_us: r.get(3)?,
    })
}

pub(super) fn records(
    conn: &Connection,
    kind: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Record>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT kind, key, value, updated_us FROM records
         WHERE kind = ?1 AND (?2 IS NULL OR key > ?2) ORDER BY key LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![kind, after, limit], record_of)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub(super) fn record(conn: &Connection, kind: &str, key: &str) -> Result<Option<Record>> {
    Ok(conn
        .prepare_cached(
            "SELECT kind, key, value, updated_us FROM records WHERE kind = ?1 AND key = ?2",
        )?
        .query_row([kind, key], record_of)
        .optional()?)
}

pub(super) fn delete_records(tx: &Transaction<'_>, kind: &str, keys: &[String]) -> Result<usize> {
    let mut stmt = tx.prepare_cached("DELETE FROM records WHERE kind = ?1 AND key = ?2")?;
    let mut n = 0;
    for k in keys {
        n += stmt.execute([kind, k])?;
    }
    Ok(n)
}
