//! `concord migrate --from A --to B`: moves everything a node's store
//! holds (objects with their `date_added`, collections, users, tokens,
//! statuses, sync cursors, and records of every kind: peers, quarantine,
//! alerts, feeds…) between the embedded store and PostgreSQL, either way,
//! into an empty target; then proves the copy table by table by counts and
//! SHA-256 digests read back from both sides. Moving to a new data
//! directory also copies the node's files there (config, keys, the
//! community's charter chain and ledger).

use anyhow::{Context, Result, bail};
use concord_store::{AnyStore, Store};

use super::open_store;
use crate::Outcome;
use crate::config::{self, CONFIG_FILE, Global};
use concord_config::is_postgres_url;

#[derive(clap::Args)]
pub struct Args {
    /// Where the data is now: a data directory (embedded store) or a postgres:// URL.
    #[arg(long)]
    from: String,
    /// Where to move it (empty): a data directory (embedded store) or a postgres:// URL.
    #[arg(long)]
    to: String,
}

fn open(place: &str) -> Result<AnyStore> {
    if is_postgres_url(place) {
        open_store(Some(place), std::path::Path::new("."))
    } else {
        std::fs::create_dir_all(place).with_context(|| format!("creating {place}"))?;
        open_store(None, std::path::Path::new(place))
    }
}

fn describe(place: &str) -> String {
    if is_postgres_url(place) {
        concord_store::postgres::describe_url(place)
    } else {
        place.to_string()
    }
}

/// The node's own files, into a new data directory that has none yet;
/// the copied config uses the embedded store there.
fn copy_files(global: &Global, to: &str) -> Result<Vec<String>> {
    let target = std::path::Path::new(to);
    if is_postgres_url(to)
        || target == global.data_dir
        || target.join(CONFIG_FILE).exists()
        || !global.data_dir.join(CONFIG_FILE).exists()
    {
        return Ok(Vec::new());
    }
    let files = concord_backup::files::collect(&global.data_dir, &[])?;
    for f in &files {
        concord_backup::files::put(target, f).map_err(anyhow::Error::msg)?;
    }
    let mut config = config::load(target)?;
    config.storage = None;
    config::save(&config, target)?;
    Ok(files.into_iter().map(|f| f.path).collect())
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    if args.from == args.to {
        bail!("--from and --to are the same place");
    }
    let source = open(&args.from)?;
    let target = open(&args.to)?;
    let rt = super::runtime()?;
    let (r, source_versions, target_versions) = rt.block_on(async {
        let r = concord_backup::migrate(&source, &target).await?;
        let (a, b) = (source.stats().await?, target.stats().await?);
        anyhow::Ok((r, a.versions, b.versions))
    })?;
    let files = if r.verified {
        copy_files(global, &args.to)?
    } else {
        Vec::new()
    };
    if global.json {
        println!(
            "{}",
            serde_json::json!({
                "from": describe(&args.from), "to": describe(&args.to), "verified": r.verified,
                "source_versions": source_versions, "target_versions": target_versions,
                "tables": r.tables, "files": files,
            })
        );
    } else {
        for t in &r.tables {
            println!("{t}");
        }
    }
    if !r.verified {
        eprintln!(
            "migration NOT verified: counts or digests differ (was the node still writing?); keep using {}",
            describe(&args.from)
        );
        return Ok(Outcome::Failed);
    }
    switch_config(global, &args)?;
    Ok(Outcome::Ok)
}

/// When the source was this node's own store, point its config at the
/// target, so the next command uses the migrated data.
fn switch_config(global: &Global, args: &Args) -> Result<()> {
    let Ok(mut config) = config::load(&global.data_dir) else {
        return Ok(());
    };
    let current = config::storage(&config);
    let from_is_current = match &current {
        Some(url) => *url == args.from,
        None => std::path::Path::new(&args.from) == global.data_dir,
    };
    if !from_is_current {
        return Ok(());
    }
    config.storage = if is_postgres_url(&args.to) {
        Some(args.to.clone())
    } else if std::path::Path::new(&args.to) == global.data_dir {
        None
    } else {
        eprintln!(
            "note: the data now also lives in {}; this node still uses {}",
            args.to,
            describe(&args.from)
        );
        return Ok(());
    };
    config::save(&config, &global.data_dir)?;
    eprintln!(
        "{}/config.toml now uses {}",
        global.data_dir.display(),
        describe(&args.to)
    );
    Ok(())
}
