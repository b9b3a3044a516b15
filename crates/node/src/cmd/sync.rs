//! `concord sync [PEER]`: one pull round now, from every peer or one.

use std::sync::Arc;

use anyhow::Result;
use concord_federation::pull::PeerRound;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// Only this peer (default: all).
    peer: Option<String>,
}

/// One round with every peer (or the one named), then a scan for the
/// alerts what arrived calls for (stored, and delivered by `serve`). A
/// failed scan leaves its cursor where it was, so the next one covers the
/// same entries.
pub async fn round(
    node: &Node,
    key: Arc<concord_trust::Keypair>,
    only: Option<&str>,
) -> Result<Vec<PeerRound>> {
    let local = node.local();
    let rounds = concord_federation::round::round(&local, key, only, node.config.sync.page).await?;
    if let Err(e) =
        concord_alert::scan::run(&local, &node.config.alerts, &node.config.constituency).await
    {
        tracing::warn!(error = %e, "scanning for alerts failed");
    }
    Ok(rounds)
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = Arc::new(node.keypair(global)?);
    let rt = super::runtime()?;
    let rounds = rt.block_on(round(&node, key, args.peer.as_deref()))?;
    super::print_list(global, &rounds, "")?;
    Ok(if rounds.iter().any(|r| r.error.is_some()) {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
