//! `concord feed add|list|pull|remove`: feeds the node fetches on a
//! schedule (concord_bridge::feed), republishing what they bring as this
//! member's intel.

use anyhow::{Result, anyhow};
use concord_bridge::feed::pull::Puller;
use concord_bridge::feed::record::{self, PullReport};
use concord_feeds::{ColumnMapping, CsvOptions, FeedFormat, FeedSpec, FetchLimits};
use concord_stix::tlp::Tlp;
use concord_store::Store;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Add a feed; `serve` fetches it every --interval (ETag and If-Modified-Since), `feed pull` now.
    Add(AddArgs),
    /// The feeds: URL, format, last fetch, objects, last error.
    List,
    /// Pull feeds now (all, or the one named).
    Pull {
        /// The feed's name (default: every feed).
        name: Option<String>,
    },
    /// Forget a feed (what it brought stays stored).
    Remove {
        /// The feed's name.
        name: String,
    },
}

#[derive(clap::Args)]
pub struct AddArgs {
    /// The feed's name (letters, digits, '.', '_', '-'); its indicators' ids derive from it.
    name: String,
    /// Where it is: a MISP feed directory (or one .json document), a STIX
    /// bundle, a TAXII collection's objects URL (…/collections/ID/objects/),
    /// a CSV or text list.
    url: String,
    /// misp, stix, taxii, csv or text.
    #[arg(long)]
    format: String,
    /// How often `serve` fetches it: 90s, 15m, 1h, 1d.
    #[arg(long, default_value = "1h")]
    interval: String,
    /// The TLP level of what it brings (clear, green, amber, amber+strict,
    /// red): lists' indicators get it; MISP, STIX and TAXII objects keep
    /// their own if stricter. Without it, what says nothing stays on this node.
    #[arg(long)]
    tlp: Option<String>,
    /// The members (identity ids) or groups it is for.
    #[arg(long, value_delimiter = ',')]
    audience: Vec<String>,
    /// The collection (id or title) to file it in (default: the node's local collection).
    #[arg(long)]
    collection: Option<String>,
    /// CSV: which column holds what, COLUMN=TARGET (value=ipv4-addr:value); repeatable.
    #[arg(long = "column", value_name = "COLUMN=TARGET")]
    columns: Vec<String>,
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    match command {
        Command::Add(a) => {
            let format = match a.format.to_ascii_lowercase().as_str() {
                "misp" => FeedFormat::Misp,
                "stix" => FeedFormat::Stix,
                "taxii" => FeedFormat::Taxii,
                "csv" => FeedFormat::Csv,
                "text" | "txt" => FeedFormat::Text,
                other => {
                    return Err(anyhow!(
                        "--format {other:?}: expected misp, stix, taxii, csv or text"
                    ));
                }
            };
            let tlp = a
                .tlp
                .as_deref()
                .map(|w| {
                    Tlp::parse(w).ok_or_else(|| {
                        anyhow!("--tlp {w:?}: expected clear, green, amber, amber+strict or red")
                    })
                })
                .transpose()?;
            let collection = match &a.collection {
                None => None,
                Some(key) => Some(concord_taxii::admin::find_collection(
                    &rt.block_on(node.store.collections())?,
                    key,
                )?),
            };
            let spec = FeedSpec {
                name: a.name,
                url: a.url,
                format,
                interval_secs: record::parse_interval(&a.interval)
                    .map_err(|e| anyhow!("--interval {e}"))?,
                tlp,
                audience: a.audience,
                collection,
                csv: CsvOptions {
                    columns: a
                        .columns
                        .iter()
                        .map(|c| ColumnMapping::parse(c).map_err(|e| anyhow!("--column {e}")))
                        .collect::<Result<_>>()?,
                    ..CsvOptions::default()
                },
            };
            rt.block_on(record::add(&node.store, &spec))?;
            let (name, url, every) = (&spec.name, &spec.url, spec.interval_secs);
            super::print(global, &spec, || {
                let word = spec.format.word();
                format!(
                    "feed {name} added: {url} ({word}), every {every} s; `concord feed pull {name}` fetches it now"
                )
            })?;
            Ok(Outcome::Ok)
        }
        Command::List => {
            let feeds = rt.block_on(record::list(&node.store))?;
            let none = "no feeds (add one with `concord feed add NAME URL --format ...`)";
            super::print_list(global, &feeds, none)?;
            Ok(Outcome::Ok)
        }
        Command::Pull { name } => {
            let specs = match &name {
                Some(n) => vec![rt.block_on(record::spec(&node.store, n))?],
                None => rt.block_on(record::specs(&node.store))?,
            };
            let key = node.keypair(global)?;
            let local = node.local();
            let puller = Puller {
                node: &local,
                key: &key,
                org: &node.config.node.org,
                client: reqwest::Client::new(),
                limits: FetchLimits::default(),
            };
            let mut reports: Vec<PullReport> = Vec::new();
            for spec in &specs {
                let r = rt.block_on(puller.pull(spec))?;
                if !global.json {
                    println!("{r}");
                    for p in &r.problems {
                        eprintln!("{}: {p}", r.feed);
                    }
                }
                reports.push(r);
            }
            if global.json {
                println!("{}", serde_json::to_string(&reports)?);
            }
            Ok(if reports.iter().any(|r| r.error.is_some()) {
                Outcome::Failed
            } else {
                Outcome::Ok
            })
        }
        Command::Remove { name } => {
            rt.block_on(record::remove(&node.store, &name))?;
            if !global.json {
                println!("feed {name} removed (what it brought stays stored)");
            }
            Ok(Outcome::Ok)
        }
    }
}
