//! One module per command.

pub mod access;
pub mod alerts;
pub mod backup;
pub mod community;
pub mod demo;
pub mod enforcement;
pub mod export;
pub mod feed;
pub mod import;
pub mod incident;
pub mod init;
pub mod key;
pub mod log;
pub mod mark;
pub mod matching;
pub mod matching_nats;
pub mod migrate;
pub mod misp_export;
pub mod pattern;
pub mod peer;
pub mod quarantine;
pub mod query;
pub mod serve;
pub mod sightings;
pub mod sync;
pub mod taxii;
pub mod verify;
pub mod withdraw;

use std::path::Path;

use anyhow::{Context, Result, bail};
use concord_config::Storage;
use concord_store::{AnyStore, SqliteStore};

use crate::config::{self, Config, Global};

/// A node opened for a command: its config and store.
pub struct Node {
    pub config: Config,
    pub store: AnyStore,
    /// The data directory (the community's files live under it).
    pub data_dir: std::path::PathBuf,
}

impl Node {
    /// The node key (Ed25519), from the file the config names.
    pub fn keypair(&self, global: &Global) -> Result<concord_trust::Keypair> {
        let path = global.data_dir.join(&self.config.node.key_file);
        let pem = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the node key {}", path.display()))?;
        concord_trust::Keypair::from_pkcs8_pem(&pem)
            .map_err(|e| anyhow::anyhow!("{} is not a node key: {e}", path.display()))
    }

    /// The node as the domain crates take it.
    pub fn local(&self) -> concord_federation::LocalNode {
        concord_federation::LocalNode {
            store: self.store.clone(),
            data_dir: self.data_dir.clone(),
            member: self.config.node.identity.clone(),
            collection: self.config.node.collection.clone(),
            log: self.config.log.clone(),
        }
    }

    /// The sharing policy of this member, as the TAXII server applies it.
    pub fn federation(&self) -> Result<concord_taxii::server::egress::Federation> {
        Ok(concord_taxii::server::egress::Federation::new(
            self.config.node.identity.clone(),
            concord_federation::policy(&self.config.sharing)?,
        ))
    }

    pub fn open(global: &Global) -> Result<Node> {
        let config = config::load(&global.data_dir)?;
        let storage = config::storage(&config);
        let store = open_store(storage.as_deref(), &global.data_dir)?;
        Ok(Node {
            config,
            store,
            data_dir: global.data_dir.clone(),
        })
    }
}

/// Opens the store a storage setting names: `None` (or "embedded") is the
/// SQLite file in `data_dir`, a `postgres://` URL a PostgreSQL database
/// (connected on first use).
pub fn open_store(storage: Option<&str>, data_dir: &Path) -> Result<AnyStore> {
    match Storage::of_setting(storage) {
        Some(Storage::Embedded) => {
            let store = SqliteStore::open_dir(data_dir)
                .with_context(|| format!("opening the store in {}", data_dir.display()))?;
            Ok(AnyStore::Sqlite(store))
        }
        Some(Storage::Postgres(url)) => Ok(AnyStore::Postgres(
            concord_store::postgres::PgStore::new(&url)?,
        )),
        None => bail!(
            "storage {:?} is neither \"embedded\" nor a postgres:// URL; fix `storage` in config.toml or CONCORD_STORAGE",
            storage.unwrap_or_default()
        ),
    }
}

/// Prints `value` as JSON with `--json`, else the text `text` makes.
pub fn print<T: serde::Serialize + ?Sized>(
    global: &Global,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<()> {
    if global.json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

/// Prints a list as JSON with `--json`, else each item on its own line,
/// or `empty` when there is none (nothing when `empty` is "").
pub fn print_list<T: serde::Serialize + std::fmt::Display>(
    global: &Global,
    list: &[T],
    empty: &str,
) -> Result<()> {
    if global.json {
        println!("{}", serde_json::to_string(list)?);
    } else if list.is_empty() && !empty.is_empty() {
        println!("{empty}");
    } else {
        for item in list {
            println!("{item}");
        }
    }
    Ok(())
}

/// A tokio runtime for commands that talk to the store.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Ends at Ctrl-C (SIGINT) or, on Unix, SIGTERM from a service manager.
pub async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
