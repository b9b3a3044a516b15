//! Listing and removing users, tokens and collections (see `crate::admin`).

use super::PgStore;
use crate::admin::{CollectionRemoval, TokenInfo};
use crate::{Result, User};

impl PgStore {
    pub(crate) async fn users(&self) -> Result<Vec<User>> {
        let c = self.client().await?;
        let names: Vec<String> = c
            .query("SELECT name FROM users ORDER BY name COLLATE \"C\"", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            out.extend(super::access::user(&c, &n).await?);
        }
        Ok(out)
    }

    pub(crate) async fn remove_user(&self, name: &str) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute("DELETE FROM tokens WHERE username = $1", &[&name])
            .await?;
        tx.execute("DELETE FROM grants WHERE username = $1", &[&name])
            .await?;
        let n = tx
            .execute("DELETE FROM users WHERE name = $1", &[&name])
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    pub(crate) async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT hash, username, created_us FROM tokens ORDER BY created_us, hash",
            &[],
        )
        .await?
        .iter()
        .map(|r| TokenInfo {
            hash: r.get(0),
            user: r.get(1),
            created_us: r.get(2),
        })
        .collect())
    }

    pub(crate) async fn revoke_token(&self, hash: &str) -> Result<bool> {
        let c = self.client().await?;
        Ok(c.execute("DELETE FROM tokens WHERE hash = $1", &[&hash])
            .await?
            == 1)
    }

    pub(crate) async fn records_before(
        &self,
        kind: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<crate::Record>> {
        let c = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(c.query(
            "SELECT kind, key, value, updated_us FROM records
             WHERE kind = $1 AND ($2::text IS NULL OR key < $2) ORDER BY key DESC LIMIT $3",
            &[&kind, &before, &limit],
        )
        .await?
        .iter()
        .map(|r| crate::Record {
            kind: r.get(0),
            key: r.get(1),
            value: r.get(2),
            updated_us: r.get(3),
        })
        .collect())
    }

    pub(crate) async fn remove_collection(&self, id: &str) -> Result<CollectionRemoval> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "SELECT row FROM collections WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
        else {
            return Ok(CollectionRemoval::default());
        };
        let row: i64 = row.get(0);
        let entries = tx
            .execute("DELETE FROM entries WHERE collection = $1", &[&row])
            .await?;
        let grants = tx
            .execute("DELETE FROM grants WHERE collection = $1", &[&id])
            .await?;
        tx.execute("DELETE FROM collections WHERE row = $1", &[&row])
            .await?;
        tx.commit().await?;
        Ok(CollectionRemoval {
            existed: true,
            entries,
            grants,
        })
    }
}
