//! What an operator lists and removes: users, API tokens (by hash only:
//! the store never held a token), collections; and records newest first,
//! a page at a time (the console's lists of alerts).

use crate::{AnyStore, Result, User};

/// An API token as listed: whose it is and when it was made; the hash is
/// there to name it (a listing shows a short prefix), never the token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// SHA-256 of the token (hex).
    pub hash: String,
    /// Its user.
    pub user: String,
    /// When it was made (µs since the epoch).
    pub created_us: i64,
}

/// What removing a collection took away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CollectionRemoval {
    /// Whether the collection existed.
    pub existed: bool,
    /// Its entries (the object versions stay stored).
    pub entries: u64,
    /// Users' rights on it.
    pub grants: u64,
}

impl AnyStore {
    /// Every user with its grants, by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        match self {
            AnyStore::Sqlite(s) => s.users().await,
            AnyStore::Postgres(s) => s.users().await,
        }
    }

    /// Removes a user, its grants and its tokens; false if there was none.
    pub async fn remove_user(&self, name: &str) -> Result<bool> {
        match self {
            AnyStore::Sqlite(s) => s.remove_user(name).await,
            AnyStore::Postgres(s) => s.remove_user(name).await,
        }
    }

    /// Every API token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        match self {
            AnyStore::Sqlite(s) => s.tokens().await,
            AnyStore::Postgres(s) => s.tokens().await,
        }
    }

    /// Revokes the token with this hash; false if there was none.
    pub async fn revoke_token(&self, hash: &str) -> Result<bool> {
        match self {
            AnyStore::Sqlite(s) => s.revoke_token(hash).await,
            AnyStore::Postgres(s) => s.revoke_token(hash).await,
        }
    }

    /// Records of one kind in descending key order, before `before`
    /// (exclusive), at most `limit`: the newest first when keys sort by time.
    pub async fn records_before(
        &self,
        kind: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<crate::Record>> {
        match self {
            AnyStore::Sqlite(s) => s.records_before(kind, before, limit).await,
            AnyStore::Postgres(s) => s.records_before(kind, before, limit).await,
        }
    }

    /// Removes a collection, its entries and the rights on it; the object
    /// versions it listed stay stored (other collections may list them).
    pub async fn remove_collection(&self, id: &str) -> Result<CollectionRemoval> {
        match self {
            AnyStore::Sqlite(s) => s.remove_collection(id).await,
            AnyStore::Postgres(s) => s.remove_collection(id).await,
        }
    }
}
