//! Users, grants, tokens, POST statuses, sync cursors and collection
//! removals on PostgreSQL: the same records and semantics as the embedded
//! backend's `sqlite/access.rs` and `sqlite/remove.rs`.

use concord_stix::Timestamp;
use deadpool_postgres::{Client, Transaction};

use super::read::{Params, version_condition};
use crate::{Grant, Record, Result, StatusRecord, StoreError, SyncCursor, User, VersionSel};

pub(super) async fn put_user(client: &mut Client, user: &User) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO users (name, password_hash, admin) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, admin = excluded.admin",
        &[&user.name, &user.password_hash, &user.admin],
    )
    .await?;
    tx.execute("DELETE FROM grants WHERE username = $1", &[&user.name])
        .await?;
    for g in &user.grants {
        tx.execute(
            "INSERT INTO grants (username, collection, can_read, can_write) VALUES ($1, $2, $3, $4)
             ON CONFLICT (username, collection) DO UPDATE SET
                can_read = grants.can_read OR excluded.can_read,
                can_write = grants.can_write OR excluded.can_write",
            &[&user.name, &g.collection, &g.read, &g.write],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn user(client: &Client, name: &str) -> Result<Option<User>> {
    let Some(row) = client
        .query_opt(
            "SELECT name, password_hash, admin FROM users WHERE name = $1",
            &[&name],
        )
        .await?
    else {
        return Ok(None);
    };
    let grants = client
        .query(
            "SELECT collection, can_read, can_write FROM grants WHERE username = $1 ORDER BY collection",
            &[&name],
        )
        .await?
        .iter()
        .map(|r| Grant {
            collection: r.get(0),
            read: r.get(1),
            write: r.get(2),
        })
        .collect();
    Ok(Some(User {
        name: row.get(0),
        password_hash: row.get(1),
        admin: row.get(2),
        grants,
    }))
}

pub(super) async fn add_token(client: &Client, user: &str, token_hash: &str) -> Result<bool> {
    let n = client
        .execute(
            "INSERT INTO tokens (hash, username, created_us)
             SELECT $1, name, $3 FROM users WHERE name = $2",
            &[&token_hash, &user, &Timestamp::now().0],
        )
        .await?;
    Ok(n == 1)
}

pub(super) async fn token_user(client: &Client, token_hash: &str) -> Result<Option<User>> {
    let name: Option<String> = client
        .query_opt(
            "SELECT username FROM tokens WHERE hash = $1",
            &[&token_hash],
        )
        .await?
        .map(|r| r.get(0));
    match name {
        Some(name) => user(client, &name).await,
        None => Ok(None),
    }
}

pub(super) async fn put_status(tx: &Transaction<'_>, s: &StatusRecord) -> Result<()> {
    tx.execute(
        "INSERT INTO statuses (id, collection, owner, created_us, json) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json",
        &[&s.id, &s.collection, &s.owner, &s.created_us, &s.json],
    )
    .await?;
    Ok(())
}

pub(super) async fn status(client: &Client, id: &str) -> Result<Option<StatusRecord>> {
    Ok(client
        .query_opt(
            "SELECT id, collection, owner, created_us, json FROM statuses WHERE id = $1",
            &[&id],
        )
        .await?
        .map(|r| StatusRecord {
            id: r.get(0),
            collection: r.get(1),
            owner: r.get(2),
            created_us: r.get(3),
            json: r.get(4),
        }))
}

pub(super) async fn prune_statuses(client: &Client, before_us: i64) -> Result<usize> {
    Ok(client
        .execute("DELETE FROM statuses WHERE created_us < $1", &[&before_us])
        .await? as usize)
}

pub(super) async fn set_cursor(tx: &Transaction<'_>, c: &SyncCursor) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_cursors (source, value, updated_us) VALUES ($1, $2, $3)
         ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us",
        &[&c.source, &c.value, &Timestamp::now().0],
    )
    .await?;
    Ok(())
}

pub(super) async fn cursor(client: &Client, source: &str) -> Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT value FROM sync_cursors WHERE source = $1",
            &[&source],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Takes the selected versions of `id` out of `collection` (TAXII DELETE,
/// local only); the versions stay stored.
pub(super) async fn remove_from_collection(
    client: &mut Client,
    collection: &str,
    id: &str,
    versions: &VersionSel,
    spec_versions: &[String],
) -> Result<usize> {
    let tx = client.transaction().await?;
    // The same lock as writers take: the version condition reads the
    // collection's other entries, which must not change under it.
    let coll: i64 = tx
        .query_opt(
            "SELECT row FROM collections WHERE id = $1 FOR UPDATE",
            &[&collection],
        )
        .await?
        .ok_or_else(|| StoreError::UnknownCollection(collection.to_string()))?
        .get(0);
    let mut p = Params::default();
    let coll_p = p.push(coll);
    let id_p = p.push(id.to_string());
    let mut sql = format!(
        "SELECT e.date_added_us FROM entries e JOIN objects o ON o.row = e.object
         WHERE e.collection = {coll_p} AND o.id = {id_p}"
    );
    if !spec_versions.is_empty() {
        sql.push_str(&format!(
            " AND coalesce(o.spec_version, '2.1') = ANY({})",
            p.push(spec_versions.to_vec())
        ));
    }
    if *versions != VersionSel::All {
        let cond = version_condition(versions, &mut p);
        sql.push_str(" AND ");
        sql.push_str(&cond);
    }
    let dates: Vec<i64> = tx
        .query(&sql, &p.refs())
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    tx.execute(
        "DELETE FROM entries WHERE collection = $1 AND date_added_us = ANY($2)",
        &[&coll, &dates],
    )
    .await?;
    tx.commit().await?;
    Ok(dates.len())
}

pub(super) async fn put_records(tx: &Transaction<'_>, records: &[Record]) -> Result<()> {
    let now = Timestamp::now().0;
    for r in records {
        tx.execute(
            "INSERT INTO records (kind, key, value, updated_us) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us",
            &[&r.kind, &r.key, &r.value, &now],
        )
        .await?;
    }
    Ok(())
}

fn record_of(r: &tokio_postgres::Row) -> Record {
    Record {
        kind: r.get(0),
        key: r.get(1),
        value: r.get(2),
        updated_us: r.get(3),
    }
}

pub(super) async fn records(
    client: &Client,
    kind: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Record>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(client
        .query(
            "SELECT kind, key, value, updated_us FROM records
             WHERE kind = $1 AND ($2::text IS NULL OR key > $2) ORDER BY key LIMIT $3",
            &[&kind, &after, &limit],
        )
        .await?
        .iter()
        .map(record_of)
        .collect())
}

pub(super) async fn record(client: &Client, kind: &str, key: &str) -> Result<Option<Record>> {
    Ok(client
        .query_opt(
            "SELECT kind, key, value, updated_us FROM records WHERE kind = $1 AND key = $2",
            &[&kind, &key],
        )
        .await?
        .as_ref()
        .map(record_of))
}

pub(super) async fn delete_records(
    tx: &Transaction<'_>,
    kind: &str,
    keys: &[String],
) -> Result<usize> {
    let n = tx
        .execute(
            "DELETE FROM records WHERE kind = $1 AND key = ANY($2)",
            &[&kind, &keys],
        )
        .await?;
    Ok(n as usize)
}

/// Drops every stored version of `id` older than `version_us` (a
/// withdrawal's tombstone supersedes them): rows and entries. The head (the
/// tombstone) is untouched; queued search work and the search postings of
/// the rows stay, and an indexing step or a search that meets them finds
/// no row.
pub(super) async fn purge_before(client: &mut Client, id: &str, version_us: i64) -> Result<usize> {
    let tx = client.transaction().await?;
    let rows: Vec<i64> = tx
        .query(
            "SELECT row FROM objects WHERE id = $1 AND version_us < $2 FOR UPDATE",
            &[&id, &version_us],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !rows.is_empty() {
        tx.execute("DELETE FROM entries WHERE object = ANY($1)", &[&rows])
            .await?;
        tx.execute("DELETE FROM objects WHERE row = ANY($1)", &[&rows])
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}
