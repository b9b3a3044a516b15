//! `concord backup --out F` (while the node serves) and `concord restore F`
//! (into an empty data directory).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::{Node, open_store};
use crate::Outcome;
use crate::config::{self, Global};
use concord_config::is_postgres_url;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (private, mode 0600: it holds the node's keys).
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `concord backup`.
    file: PathBuf,
    /// Where the restored node stores its data: "embedded" (the default) or
    /// an empty PostgreSQL database's postgres:// URL.
    #[arg(long, default_value = "embedded")]
    storage: String,
}

fn tables_text(tables: &[(String, u64, bool)]) -> String {
    tables
        .iter()
        .map(|(t, n, ok)| format!("  {} {t:<13} {n} rows", if *ok { "ok " } else { "BAD" }))
        .collect::<Vec<_>>()
        .join("\n")
}

fn keys_warning(keys: &[String]) -> String {
    format!(
        "WARNING: this backup holds private keys ({}): keep it as secret as the node itself",
        keys.join(", ")
    )
}

pub fn backup(global: &Global, args: BackupArgs) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let r = rt.block_on(concord_backup::backup(
        &node.store,
        &node.data_dir,
        &args.out,
    ))?;
    if global.json {
        let mut v = serde_json::to_value(&r)?;
        v["contains_private_keys"] = (!r.private_keys.is_empty()).into();
        println!("{v}");
    } else {
        let rows: Vec<_> = r
            .tables
            .iter()
            .map(|(t, d)| (t.clone(), d.rows, true))
            .collect();
        println!(
            "backup written to {} ({} bytes): {} files, every table from one snapshot\n{}",
            r.file.display(),
            r.bytes,
            r.files.len(),
            tables_text(&rows)
        );
    }
    if !r.private_keys.is_empty() {
        eprintln!("{}", keys_warning(&r.private_keys));
    }
    Ok(Outcome::Ok)
}

pub fn restore(global: &Global, args: RestoreArgs) -> Result<Outcome> {
    let dir = &global.data_dir;
    concord_backup::ensure_empty_dir(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let storage = match args.storage.as_str() {
        "embedded" => None,
        url if is_postgres_url(url) => Some(url.to_string()),
        other => bail!("--storage {other:?} is neither \"embedded\" nor a postgres:// URL"),
    };
    let store = open_store(storage.as_deref(), dir)?;
    let rt = super::runtime()?;
    let r = rt.block_on(concord_backup::restore(&args.file, dir, &store))?;
    // The restored config names the store it now uses.
    let mut config = config::load(dir)?;
    config.storage = storage;
    config::save(&config, dir)?;
    if global.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        let rows: Vec<_> = r
            .tables
            .iter()
            .map(|t| (t.table.clone(), t.target.rows, t.verified))
            .collect();
        println!(
            "restored {} files and every table into {}\n{}",
            r.files.len(),
            dir.display(),
            tables_text(&rows)
        );
    }
    if !r.private_keys.is_empty() {
        eprintln!("restored private keys: {}", r.private_keys.join(", "));
    }
    if !r.verified {
        eprintln!("restore NOT verified: a table's count or digest differs from the backup's");
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Ok)
}
