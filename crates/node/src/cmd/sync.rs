//! `concord sync [PEER]`: one pull round now, from every peer or one.

use std::sync::Arc;

use anyhow::{Result, bail};

use super::Node;
use crate::Outcome;
use crate::config::Global;
use crate::federation::membership;
use crate::federation::pull::{PeerRound, sync_peer};

#[derive(clap::Args)]
pub struct Args {
    /// Only this peer (default: all).
    peer: Option<String>,
}

/// One round with every peer (or the one named), in turn.
pub async fn round(
    node: &Node,
    key: Arc<concord_trust::Keypair>,
    only: Option<&str>,
) -> Result<Vec<PeerRound>> {
    let membership = membership::current(node, &key.public()).await?;
    let chosen = membership.to_pull(only);
    if let Some(n) = only
        && chosen.is_empty()
    {
        bail!("there is no peer {n:?} (see `concord peer list` and `concord community status`)");
    }
    let trusted = membership.trusted.clone();
    let mut out = Vec::new();
    for p in chosen {
        let mut round = sync_peer(
            &node.store,
            key.clone(),
            trusted.clone(),
            p,
            &node.config.node.collection,
            node.config.sync.page.max(1),
        )
        .await;
        // Proposals, votes and charters travel with every round.
        let community =
            crate::community::pull::from_peer(&node.data_dir, key.clone(), &p.url).await;
        round.community = Some(match community {
            Ok(report) => serde_json::to_value(report)?,
            Err(e) => serde_json::json!({"error": format!("{e:#}")}),
        });
        out.push(round);
    }
    // What arrived may concern the member: raise alerts now (stored, and
    // delivered by `serve`). A failed scan leaves its cursor where it was,
    // so the next one covers the same entries.
    if let Err(e) = crate::alert::scan::run(node).await {
        tracing::warn!(error = %format!("{e:#}"), "scanning for alerts failed");
    }
    Ok(out)
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = Arc::new(node.keypair(global)?);
    let rt = super::runtime()?;
    let rounds = rt.block_on(round(&node, key, args.peer.as_deref()))?;
    if global.json {
        println!("{}", serde_json::to_string(&rounds)?);
    } else {
        for r in &rounds {
            match &r.error {
                Some(e) => println!("{}: failed: {e}", r.peer),
                None => println!(
                    "{}: {} received, {} stored, {} already held, {} quarantined, {} withdrawn ({:.1} s)",
                    r.peer,
                    r.received,
                    r.stored,
                    r.duplicates,
                    r.quarantined,
                    r.withdrawn,
                    r.seconds
                ),
            }
        }
    }
    Ok(if rounds.iter().any(|r| r.error.is_some()) {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
