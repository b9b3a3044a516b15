//! `concord export`: the latest version of matching objects as one STIX
//! bundle, streamed page by page (never the whole store in memory), or,
//! with `--format`, the indicators in an enforcement format
//! (`enforcement.rs`).

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use concord_publish::bundle;
use concord_stix::{Timestamp, tlp::Tlp};
use concord_store::ScanQuery;

use concord_share::Recipient;
use concord_taxii::server::egress::Federation;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// What to write: stix (a bundle of every object), misp (MISP events as
    /// {"response": [...]}; with --out naming a directory, a MISP feed:
    /// manifest.json, <uuid>.json, hashes.csv), or the active indicators
    /// as rpz, suricata, zeek, hosts, text or csv.
    #[arg(long, default_value = "stix", value_name = "FORMAT")]
    format: String,
    /// Only these collections (id or title; repeatable).
    #[arg(long = "collection", value_name = "C")]
    collections: Vec<String>,
    /// Only these object types (repeatable, or comma-separated); for an
    /// enforcement format, kinds of values: ipv4-addr, ipv6-addr,
    /// domain-name, url, email-addr, file (or md5, sha1, sha256).
    #[arg(long = "type", value_delimiter = ',')]
    types: Vec<String>,
    /// Only versions modified at or after this STIX timestamp (e.g. 2026-01-01T00:00:00Z).
    #[arg(long)]
    since: Option<String>,
    /// Only objects marked at most this TLP level (clear, green, amber, amber+strict, red);
    /// objects without a TLP marking are left out when this is given.
    #[arg(long)]
    tlp: Option<String>,
    /// Also export revoked objects.
    #[arg(long)]
    include_revoked: bool,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only what the sharing policy gives this recipient: a peer's name
    /// (from `concord peer list` or the charter), or `public`. For offline
    /// bundles: the same decision as over TAXII, closed over references.
    #[arg(long = "for")]
    recipient: Option<String>,
    #[command(flatten)]
    enforcement: super::enforcement::Options,
    /// A signed bundle for offline exchange: this member's objects, each
    /// with its log entry and inclusion proof under the log's checkpoint,
    /// checked by `concord verify FILE --key <node key>`.
    #[arg(long)]
    signed: bool,
}

const PAGE: usize = 10_000;

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let misp = args.format.eq_ignore_ascii_case("misp");
    let format: concord_publish::OutputFormat = if misp {
        concord_publish::OutputFormat::Stix
    } else {
        args.format.parse().map_err(|e| anyhow!("--{e}; or misp"))?
    };
    if args.signed && (misp || format != concord_publish::OutputFormat::Stix) {
        return Err(anyhow!(
            "--signed writes a signed STIX bundle: leave out --format, or use --format stix"
        ));
    }
    if misp && !args.collections.is_empty() {
        return Err(anyhow!(
            "--format misp exports every collection (use --for to narrow it to a recipient's share); --collection is for the other formats"
        ));
    }
    if !misp && (format != concord_publish::OutputFormat::Stix || !args.collections.is_empty()) {
        let common = super::enforcement::Common {
            format,
            types: &args.types,
            since: args.since.as_deref(),
            tlp: args.tlp.as_deref(),
            include_revoked: args.include_revoked,
            collections: &args.collections,
            recipient: args.recipient.as_deref(),
            out: args.out.as_deref(),
        };
        return super::enforcement::run(global, &common, &args.enforcement);
    }
    let since_us = args
        .since
        .as_deref()
        .map(|s| {
            Timestamp::parse(s)
                .map(|t| t.0)
                .map_err(|e| anyhow!("--since {s:?}: {e}"))
        })
        .transpose()?;
    let max_tlp = args
        .tlp
        .as_deref()
        .map(|s| {
            Tlp::parse(s).ok_or_else(|| {
                anyhow!("--tlp {s:?}: expected clear, green, amber, amber+strict or red")
            })
        })
        .transpose()?;
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let egress = match &args.recipient {
        None => None,
        Some(name) => Some(rt.block_on(recipient(global, &node, name))?),
    };
    let query = ScanQuery {
        after_row: 0,
        limit: PAGE,
        types: args.types.clone(),
        since_us,
        max_tlp,
        include_revoked: args.include_revoked,
    };
    if args.signed {
        return signed(global, &node, &rt, &args, query, egress.as_ref());
    }
    if misp {
        return super::misp_export::run(global, &node, &rt, egress, query, args.out.as_deref());
    }
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let to = egress.as_ref().map(|(federation, recipient)| bundle::For {
        federation,
        recipient,
        collection: &node.config.node.collection,
    });
    let n = rt.block_on(bundle::write_bundle(
        &node.store,
        query,
        to.as_ref(),
        &mut out,
    ))?;
    if args.out.is_some() || global.json {
        let msg = serde_json::json!({"exported": n});
        eprintln!(
            "{}",
            if global.json {
                msg.to_string()
            } else {
                format!("exported {n} objects")
            }
        );
    }
    Ok(Outcome::Ok)
}

/// `--signed`: the selection, kept in memory (a signed bundle is read
/// whole by its checker), under the latest checkpoint of the node's log
/// (signed now if one is due).
fn signed(
    global: &Global,
    node: &Node,
    rt: &tokio::runtime::Runtime,
    args: &Args,
    scan: ScanQuery,
    egress: Option<&(Federation, Recipient)>,
) -> Result<Outcome> {
    let key = node.keypair(global)?;
    let (bytes, report) = rt.block_on(async {
        let directory = concord_federation::logs::current(&node.local(), &key.public()).await?;
        concord_log::own::checkpoint_if_due(
            &node.store,
            &key,
            &directory.own.origin,
            directory.interval,
            Timestamp::now(),
        )
        .await?;
        let mut all = Vec::new();
        let to = egress.map(|(federation, recipient)| bundle::For {
            federation,
            recipient,
            collection: &node.config.node.collection,
        });
        bundle::pages(&node.store, scan, to.as_ref(), &mut |page| {
            all.extend(page);
            Ok(())
        })
        .await?;
        anyhow::Ok(concord_log::bundle::export(&node.store, &key, all).await?)
    })?;
    match &args.out {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    let msg = serde_json::json!({"exported": report.objects, "left_out": report.left_out, "checkpoint_size": report.size});
    eprintln!(
        "{}",
        if global.json {
            msg.to_string()
        } else {
            format!(
                "exported {} signed objects under the checkpoint of size {} ({} left out: not authored here or not yet under a checkpoint)",
                report.objects, report.size, report.left_out
            )
        }
    );
    Ok(Outcome::Ok)
}

/// The policy and recipient `--for NAME` names.
pub async fn recipient(
    global: &Global,
    node: &Node,
    name: &str,
) -> Result<(Federation, Recipient)> {
    let fed = node.federation()?;
    if name == "public" {
        return Ok((fed, Recipient::Public));
    }
    let own = node.keypair(global)?.public();
    let m = concord_federation::membership::current(&node.local(), &own).await?;
    let to = m.recipient(name).ok_or_else(|| {
        anyhow!("--for {name:?}: no such peer or member (see `concord peer list`), or use `public`")
    })?;
    Ok((fed, to))
}
