//! The operator's side of the TAXII server (`concord user|token|collection`):
//! users and their rights, API tokens, collections. Tokens are stored as
//! hashes: a listing names a token by a short prefix of its hash, never
//! the token. Collections are named by id, or by a title only one of them
//! has.

use std::fmt::{self, Display, Formatter};

use concord_stix::Timestamp;
use concord_store::{AnyStore, Collection, CollectionRemoval, Grant, NewCollection, Store, User};
use serde::Serialize;
use serde_json::{Value, json};

use crate::TaxiiError;
use crate::access::{check_new_password, hash_password, new_token};

/// How many hex digits of a token's hash a listing shows.
pub const HASH_PREFIX: usize = 12;

fn refused(message: String) -> TaxiiError {
    TaxiiError::Admin(message)
}

fn no_user(name: &str) -> TaxiiError {
    refused(format!(
        "there is no user {name:?} (see `concord user list`)"
    ))
}

/// The id of the collection `key` names: its id, or a title only one
/// collection has.
pub fn find_collection(all: &[Collection], key: &str) -> Result<String, TaxiiError> {
    if let Some(c) = all.iter().find(|c| c.id == key) {
        return Ok(c.id.clone());
    }
    let by_title: Vec<_> = all.iter().filter(|c| c.title == key).collect();
    match by_title.as_slice() {
        [c] => Ok(c.id.clone()),
        [] => Err(refused(format!(
            "no collection with id or title {key:?} (see `concord collection list`)"
        ))),
        _ => Err(refused(format!(
            "several collections are titled {key:?}; use the id"
        ))),
    }
}

/// A user to add.
pub struct NewUser<'a> {
    /// The log-in name.
    pub name: &'a str,
    /// The password (at least 12 characters).
    pub password: &'a str,
    /// May read and write every collection.
    pub admin: bool,
    /// Collections (ids or titles) it may read.
    pub read: &'a [String],
    /// Collections (ids or titles) it may write.
    pub write: &'a [String],
}

/// Adds a user; refuses a weak password, a name taken, an unknown
/// collection.
pub async fn add_user(store: &AnyStore, u: NewUser<'_>) -> Result<(), TaxiiError> {
    check_new_password(u.password)?;
    let password_hash = hash_password(u.password)?;
    if store.user(u.name).await?.is_some() {
        return Err(refused(format!("user {:?} exists already", u.name)));
    }
    let all = store.collections().await?;
    let mut grants: Vec<Grant> = Vec::new();
    for (keys, read, write) in [(u.read, true, false), (u.write, false, true)] {
        for k in keys {
            let collection = find_collection(&all, k)?;
            grants.push(Grant {
                collection,
                read,
                write,
            });
        }
    }
    let user = User {
        name: u.name.to_string(),
        password_hash,
        admin: u.admin,
        grants,
    };
    Ok(store.put_user(user).await?)
}

/// A user's rights on one collection, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct GrantRow {
    /// The collection id.
    pub collection: String,
    /// May read it.
    pub read: bool,
    /// May write it.
    pub write: bool,
}

/// A user as listed (never its password hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    /// The log-in name.
    pub name: String,
    /// May read and write every collection.
    pub admin: bool,
    /// Its rights on single collections.
    pub grants: Vec<GrantRow>,
}

impl Display for UserRow {
    /// `NAME (admin)  COLLECTION rw, ...`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let rights: Vec<String> = self
            .grants
            .iter()
            .map(|g| {
                let r = if g.read { " r" } else { "" };
                let w = if g.write { "w" } else { "" };
                format!("{}{r}{w}", g.collection)
            })
            .collect();
        let admin = if self.admin { " (admin)" } else { "" };
        write!(f, "{}{admin}  {}", self.name, rights.join(", "))
    }
}

/// Every user with its rights.
pub async fn users(store: &AnyStore) -> Result<Vec<UserRow>, TaxiiError> {
    let users = store.users().await?;
    Ok(users
        .into_iter()
        .map(|u| UserRow {
            name: u.name,
            admin: u.admin,
            grants: u
                .grants
                .into_iter()
                .map(|g| GrantRow {
                    collection: g.collection,
                    read: g.read,
                    write: g.write,
                })
                .collect(),
        })
        .collect())
}

/// Removes a user, its rights and its tokens.
pub async fn remove_user(store: &AnyStore, name: &str) -> Result<(), TaxiiError> {
    if !store.remove_user(name).await? {
        return Err(no_user(name));
    }
    Ok(())
}

/// The user named `name`, or why there is none.
pub async fn user(store: &AnyStore, name: &str) -> Result<User, TaxiiError> {
    store.user(name).await?.ok_or_else(|| no_user(name))
}

/// Sets the password of `user` (from [`user`]).
pub async fn set_password(
    store: &AnyStore,
    mut user: User,
    password: &str,
) -> Result<(), TaxiiError> {
    user.password_hash = hash_password(password)?;
    Ok(store.put_user(user).await?)
}

/// A new API token for `user`: the token, shown once (only its hash is
/// stored).
pub async fn add_token(store: &AnyStore, user: &str) -> Result<String, TaxiiError> {
    let (token, hash) = new_token();
    if !store.add_token(user, &hash).await? {
        return Err(refused(format!("no user {user:?}")));
    }
    Ok(token)
}

/// A token as listed: a prefix of its hash, never the token.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    /// The user it signs in as.
    pub user: String,
    /// When it was made (a TAXII timestamp).
    pub created: String,
    /// The first [`HASH_PREFIX`] hex digits of its hash.
    pub hash_prefix: String,
}

impl Display for TokenRow {
    /// `PREFIX  USER  CREATED`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}  {}  {}", self.hash_prefix, self.user, self.created)
    }
}

fn prefix(hash: &str) -> String {
    hash[..HASH_PREFIX.min(hash.len())].to_string()
}

/// Every token.
pub async fn tokens(store: &AnyStore) -> Result<Vec<TokenRow>, TaxiiError> {
    Ok(store
        .tokens()
        .await?
        .into_iter()
        .map(|t| TokenRow {
            created: Timestamp(t.created_us).to_taxii(),
            hash_prefix: prefix(&t.hash),
            user: t.user,
        })
        .collect())
}

/// Revokes the one token whose hash starts with `hash_prefix` (6 hex
/// digits at least); returns the listed prefix of its hash and its user.
pub async fn revoke_token(
    store: &AnyStore,
    hash_prefix: &str,
) -> Result<(String, String), TaxiiError> {
    if hash_prefix.len() < 6 {
        return Err(refused(
            "give at least 6 hex digits of the hash (see `concord token list`)".into(),
        ));
    }
    let tokens = store.tokens().await?;
    let hits: Vec<_> = tokens
        .iter()
        .filter(|t| t.hash.starts_with(hash_prefix))
        .collect();
    let t = match hits.as_slice() {
        [t] => t,
        [] => {
            return Err(refused(format!(
                "no token's hash starts with {hash_prefix:?} (see `concord token list`)"
            )));
        }
        _ => {
            return Err(refused(format!(
                "several tokens' hashes start with {hash_prefix:?}: give more digits"
            )));
        }
    };
    store.revoke_token(&t.hash).await?;
    Ok((prefix(&t.hash), t.user.clone()))
}

/// A collection as listed.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionRow {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Anyone may read it.
    pub public: bool,
    /// Its entries.
    pub entries: u64,
    /// It is the node's local collection.
    pub local: bool,
}

impl Display for CollectionRow {
    /// `ID  TITLE (public)  N entries`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let public = if self.public { " (public)" } else { "" };
        let (id, title, n) = (&self.id, &self.title, self.entries);
        write!(f, "{id}  {title}{public}  {n} entries")
    }
}

/// The entries of each collection, by title.
async fn entries(store: &AnyStore) -> Result<Vec<(String, u64)>, TaxiiError> {
    Ok(store.stats().await?.collections)
}

fn entries_of(all: &[(String, u64)], title: &str) -> u64 {
    all.iter().find(|(t, _)| t == title).map_or(0, |(_, n)| *n)
}

/// Every collection; `local` is the node's local collection.
pub async fn collections(store: &AnyStore, local: &str) -> Result<Vec<CollectionRow>, TaxiiError> {
    let counts = entries(store).await?;
    Ok(store
        .collections()
        .await?
        .into_iter()
        .map(|c| CollectionRow {
            entries: entries_of(&counts, &c.title),
            local: c.id == local,
            id: c.id,
            title: c.title,
            public: c.public,
        })
        .collect())
}

/// Creates a collection whose title no other has (titles name
/// collections on the command line).
pub async fn add_collection(
    store: &AnyStore,
    title: String,
    description: String,
    public: bool,
) -> Result<Collection, TaxiiError> {
    if let Some(c) = store.collections().await?.iter().find(|c| c.title == title) {
        return Err(refused(format!(
            "a collection is already titled {title:?} ({}): choose another title",
            c.id
        )));
    }
    let new = NewCollection {
        id: None,
        title,
        description,
        public,
    };
    Ok(store.create_collection(new).await?)
}

/// One collection: its title, description, entries, when it last grew,
/// and who may read or write it.
pub async fn show_collection(store: &AnyStore, key: &str) -> Result<Value, TaxiiError> {
    let all = store.collections().await?;
    let id = find_collection(&all, key)?;
    let Some(c) = all.iter().find(|c| c.id == id) else {
        return Err(refused(format!("no collection {id}")));
    };
    let users = store.users().await?;
    let rights: Vec<_> = users
        .iter()
        .filter_map(|u| {
            let g = u.grants.iter().find(|g| g.collection == id);
            let read = u.admin || g.is_some_and(|g| g.read);
            let write = u.admin || g.is_some_and(|g| g.write);
            (u.admin || g.is_some()).then(|| json!({"user": u.name, "read": read, "write": write}))
        })
        .collect();
    let last_added = store.last_added(&id).await?;
    Ok(
        json!({"id": c.id, "title": c.title, "description": c.description, "public": c.public,
        "entries": entries_of(&entries(store).await?, &c.title),
        "last_added": last_added.map(|us| Timestamp(us).to_taxii()), "rights": rights}),
    )
}

/// Removes a collection (never `local`, the node's own), its entries and
/// the rights on it; the objects stay stored. Returns its id.
pub async fn remove_collection(
    store: &AnyStore,
    key: &str,
    local: &str,
) -> Result<(String, CollectionRemoval), TaxiiError> {
    let id = find_collection(&store.collections().await?, key)?;
    if id == local {
        return Err(refused(format!(
            "{id} is this node's local collection (config.toml [node] collection): it cannot be removed"
        )));
    }
    let r = store.remove_collection(&id).await?;
    Ok((id, r))
}
