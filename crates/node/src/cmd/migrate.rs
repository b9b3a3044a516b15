//! `concord migrate --from A --to B`: moves a node's objects between the
//! embedded store and PostgreSQL (either way), collection by collection in
//! `date_added` order, then proves the copy by counts and SHA-256 digests
//! computed on both sides.

use anyhow::{Context, Result, bail};
use concord_stix::{StixObject, json::parse_object};
use concord_store::{
    AnyStore, ListQuery, NewCollection, PreparedObject, Store, StoredObject, VersionSel,
};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::{is_postgres_url, open_store};
use crate::Outcome;
use crate::config::{Config, Global};

#[derive(clap::Args)]
pub struct Args {
    /// Where the data is now: a data directory (embedded store) or a postgres:// URL.
    #[arg(long)]
    from: String,
    /// Where to move it: a data directory (embedded store) or a postgres:// URL.
    #[arg(long)]
    to: String,
}

const PAGE: usize = 5_000;

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

/// Feeds one stored version into a running digest of a collection.
fn digest(h: &mut Sha256, o: &StoredObject) {
    for part in [&o.id, &o.version, &o.json] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
}

fn all_versions(collection: &str, after: Option<i64>) -> ListQuery {
    ListQuery {
        collection: collection.to_string(),
        added_after_us: after,
        limit: PAGE,
        ids: vec![],
        types: vec![],
        spec_versions: vec![],
        versions: VersionSel::All,
    }
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    if args.from == args.to {
        bail!("--from and --to are the same place");
    }
    let source = open(&args.from)?;
    let target = open(&args.to)?;
    let rt = super::runtime()?;
    let report = rt.block_on(async {
        let stats = source.stats().await?;
        let total: u64 = stats.collections.iter().map(|(_, n)| n).sum();
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} migrating [{elapsed_precise}] {wide_bar} {pos}/{len} entries ({per_sec})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut rows = Vec::new();
        for c in source.collections().await? {
            target
                .create_collection(NewCollection {
                    id: Some(c.id.clone()),
                    title: c.title.clone(),
                    description: c.description.clone(),
                    public: c.public,
                })
                .await?;
            // Page by page: read, digest, write; never the whole collection in memory.
            let mut from_digest = Sha256::new();
            let mut copied = 0u64;
            let mut after = None;
            loop {
                let page = source.list(all_versions(&c.id, after)).await?;
                after = page.objects.last().and_then(|o| o.date_added_us).or(after);
                let mut batch = Vec::with_capacity(page.objects.len());
                for o in &page.objects {
                    digest(&mut from_digest, o);
                    let map = parse_object(o.json.as_bytes()).with_context(|| {
                        format!("stored object {} {} does not parse", o.id, o.version)
                    })?;
                    batch.push(PreparedObject::new(&StixObject::from_map(map), o.json.clone()));
                }
                let n = batch.len() as u64;
                copied += n;
                target.put_batch(&c.id, batch).await?;
                bar.inc(n);
                if !page.more {
                    break;
                }
            }
            let mut to_digest = Sha256::new();
            let mut landed = 0u64;
            let mut after = None;
            loop {
                let page = target.list(all_versions(&c.id, after)).await?;
                after = page.objects.last().and_then(|o| o.date_added_us).or(after);
                for o in &page.objects {
                    digest(&mut to_digest, o);
                }
                landed += page.objects.len() as u64;
                if !page.more {
                    break;
                }
            }
            let (a, b) = (hex::encode(from_digest.finalize()), hex::encode(to_digest.finalize()));
            rows.push(serde_json::json!({
                "collection": c.id, "title": c.title, "source_entries": copied,
                "target_entries": landed, "source_sha256": a, "target_sha256": b,
                "verified": copied == landed && a == b,
            }));
        }
        bar.finish_and_clear();
        let target_stats = target.stats().await?;
        anyhow::Ok(serde_json::json!({
            "from": describe(&args.from), "to": describe(&args.to),
            "source_versions": stats.versions, "target_versions": target_stats.versions,
            "collections": rows,
        }))
    })?;
    let verified = report["collections"]
        .as_array()
        .is_some_and(|c| c.iter().all(|r| r["verified"] == true));
    let unfiled = report["source_versions"].as_u64().unwrap_or(0)
        > report["target_versions"].as_u64().unwrap_or(0);
    if global.json {
        println!("{report}");
    } else {
        for r in report["collections"].as_array().into_iter().flatten() {
            println!(
                "{} {:<30} {} entries, sha256 {} {}",
                if r["verified"] == true { "ok " } else { "BAD" },
                r["title"].as_str().unwrap_or(""),
                r["target_entries"],
                &r["target_sha256"].as_str().unwrap_or("")[..16],
                if r["verified"] == true {
                    "(same on both sides)"
                } else {
                    "(differs!)"
                }
            );
        }
    }
    if unfiled {
        eprintln!(
            "note: {} versions held in no collection (taken out with TAXII DELETE) were not copied",
            report["source_versions"].as_u64().unwrap_or(0)
                - report["target_versions"].as_u64().unwrap_or(0)
        );
    }
    if !verified {
        eprintln!(
            "migration NOT verified: counts or digests differ; keep using {}",
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
    let Ok(mut config) = Config::load(&global.data_dir) else {
        return Ok(());
    };
    let current = std::env::var("CONCORD_STORAGE")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| config.storage.clone());
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
    config.save(&global.data_dir)?;
    eprintln!(
        "{}/config.toml now uses {}",
        global.data_dir.display(),
        describe(&args.to)
    );
    Ok(())
}
