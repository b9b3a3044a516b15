//! One module per command.

pub mod access;
pub mod export;
pub mod import;
pub mod init;
pub mod matching;
pub mod pattern;
pub mod query;
pub mod serve;
pub mod taxii;

use anyhow::{Context, Result};
use concord_store::{AnyStore, SqliteStore};

use crate::config::{Config, Global};

/// A node opened for a command: its config and store.
pub struct Node {
    pub config: Config,
    pub store: AnyStore,
}

impl Node {
    pub fn open(global: &Global) -> Result<Node> {
        let config = Config::load(&global.data_dir)?;
        let store = SqliteStore::open_dir(&global.data_dir)
            .with_context(|| format!("opening the store in {}", global.data_dir.display()))?;
        Ok(Node {
            config,
            store: AnyStore::Sqlite(store),
        })
    }
}

/// A tokio runtime for commands that talk to the store.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
