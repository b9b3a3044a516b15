//! Listing and removing users, tokens and collections (see `crate::admin`).

use rusqlite::params;

use super::SqliteStore;
use crate::admin::{CollectionRemoval, TokenInfo};
use crate::{Result, User};

impl SqliteStore {
    pub(crate) async fn users(&self) -> Result<Vec<User>> {
        self.blocking(|s| {
            s.with_reader(|c| {
                let names: Vec<String> = c
                    .prepare("SELECT name FROM users ORDER BY name")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut out = Vec::with_capacity(names.len());
                for n in names {
                    out.extend(super::access::user(c, &n)?);
                }
                Ok(out)
            })
        })
        .await
    }

    pub(crate) async fn remove_user(&self, name: &str) -> Result<bool> {
        let name = name.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| {
                let tx = c.transaction()?;
                // The foreign keys cascade too; said here so the removal
                // does not depend on the pragma.
                tx.execute("DELETE FROM tokens WHERE user = ?1", [&name])?;
                tx.execute("DELETE FROM grants WHERE user = ?1", [&name])?;
                let n = tx.execute("DELETE FROM users WHERE name = ?1", [&name])?;
                tx.commit()?;
                Ok(n == 1)
            })
        })
        .await
    }

    pub(crate) async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        self.blocking(|s| {
            s.with_reader(|c| {
                Ok(c.prepare(
                    "SELECT hash, user, created_us FROM tokens ORDER BY created_us, hash",
                )?
                .query_map([], |r| {
                    Ok(TokenInfo {
                        hash: r.get(0)?,
                        user: r.get(1)?,
                        created_us: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
            })
        })
        .await
    }

    pub(crate) async fn revoke_token(&self, hash: &str) -> Result<bool> {
        let hash = hash.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| Ok(c.execute("DELETE FROM tokens WHERE hash = ?1", [&hash])? == 1))
        })
        .await
    }

    pub(crate) async fn records_before(
        &self,
        kind: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<crate::Record>> {
        let (kind, before) = (kind.to_string(), before.map(str::to_string));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.blocking(move |s| {
            s.with_reader(|c| {
                Ok(c.prepare_cached(
                    "SELECT kind, key, value, updated_us FROM records
                     WHERE kind = ?1 AND (?2 IS NULL OR key < ?2) ORDER BY key DESC LIMIT ?3",
                )?
                .query_map(params![kind, before, limit], |r| {
                    Ok(crate::Record {
                        kind: r.get(0)?,
                        key: r.get(1)?,
                        value: r.get(2)?,
                        updated_us: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
            })
        })
        .await
    }

    pub(crate) async fn remove_collection(&self, id: &str) -> Result<CollectionRemoval> {
        let id = id.to_string();
        self.blocking(move |s| {
            s.with_writer(|c| {
                let tx = c.transaction()?;
                let row: Option<i64> = tx
                    .query_row("SELECT row FROM collections WHERE id = ?1", [&id], |r| {
                        r.get(0)
                    })
                    .ok();
                let Some(row) = row else {
                    return Ok(CollectionRemoval::default());
                };
                let entries = tx.execute("DELETE FROM entries WHERE collection = ?1", [row])?;
                let grants = tx.execute("DELETE FROM grants WHERE collection = ?1", [&id])?;
                tx.execute("DELETE FROM collections WHERE row = ?1", params![row])?;
                tx.commit()?;
                Ok(CollectionRemoval {
                    existed: true,
                    entries: entries as u64,
                    grants: grants as u64,
                })
            })
        })
        .await
    }
}
