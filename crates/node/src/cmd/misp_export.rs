//! `concord export --format misp`: the node's objects (or a recipient's
//! share of them, `--for`) as MISP events, written by concord_bridge.

use std::path::Path;

use anyhow::{Context, Result};
use concord_bridge::Directory;
use concord_bridge::misp_out::{Share, export_all};
use concord_share::Recipient;
use concord_store::ScanQuery;
use concord_taxii::server::egress::Federation;
use serde_json::json;

use super::Node;
use crate::Outcome;
use crate::config::Global;

/// Writes `{"response": [events]}` to `out` (standard output without it),
/// or a MISP feed directory when `out` is a directory (or ends in `/`).
pub fn run(
    global: &Global,
    node: &Node,
    rt: &tokio::runtime::Runtime,
    egress: Option<(Federation, Recipient)>,
    query: ScanQuery,
    out: Option<&Path>,
) -> Result<Outcome> {
    let key = node.keypair(global)?;
    let directory = rt.block_on(Directory::of_node(
        &node.local(),
        &key.public(),
        &node.config.node.org,
    ))?;
    let share = egress.as_ref().map(|(federation, recipient)| Share {
        federation,
        recipient,
    });
    let export = rt.block_on(export_all(
        &node.store,
        &node.config.node.collection,
        share,
        query,
        &directory,
    ))?;
    let feed = out.filter(|p| p.is_dir() || p.to_string_lossy().ends_with('/'));
    match (feed, out) {
        (Some(dir), _) => concord_bridge::misp_out::write_feed(dir, &export.events)?,
        (None, Some(file)) => {
            std::fs::write(file, json!({"response": export.events}).to_string())
                .with_context(|| format!("writing {}", file.display()))?;
        }
        (None, None) => println!("{}", json!({"response": export.events})),
    }
    for s in &export.report.skipped {
        eprintln!("not exported {}: {}", s.id, s.reason);
    }
    let summary = json!({
        "events": export.events.len(),
        "skipped": export.report.skipped.iter().map(|s| json!({"id": s.id, "reason": s.reason})).collect::<Vec<_>>(),
    });
    if global.json {
        eprintln!("{summary}");
    } else if out.is_some() {
        eprintln!(
            "exported {} MISP events ({} objects or parts left out)",
            export.events.len(),
            export.report.skipped.len()
        );
    }
    Ok(Outcome::Ok)
}
