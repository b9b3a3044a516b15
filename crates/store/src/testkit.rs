//! Stores for the tests of the crates built on this one (feature
//! `testkit`): never part of a node's build.

use std::path::Path;

use crate::{AnyStore, NewCollection, Result, SqliteStore, Store};

/// An embedded store in `dir` holding one empty, non-public collection
/// whose id and title are `collection`.
pub async fn embedded_with_collection(dir: &Path, collection: &str) -> Result<AnyStore> {
    let store = AnyStore::Sqlite(SqliteStore::open_dir(dir)?);
    store
        .create_collection(NewCollection {
            id: Some(collection.into()),
            title: collection.into(),
            description: String::new(),
            public: false,
        })
        .await?;
    Ok(store)
}
