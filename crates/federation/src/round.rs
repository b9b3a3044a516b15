//! Sync rounds: one pull from every peer (or one), in name order, with the
//! community's governance documents taken in from each; and the loop
//! `serve` runs, where a failing peer backs off without holding the
//! others.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use concord_trust::Keypair;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::membership;
use crate::pull::{PeerRound, sync_peer};
use crate::{FederationError, LocalNode, Result};

/// `[sync]`: how `serve` pulls from its peers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncSection {
    /// Seconds between rounds (0: only on demand with `concord sync`).
    pub interval_secs: u64,
    /// Objects per page asked of a peer.
    pub page: usize,
}

impl Default for SyncSection {
    fn default() -> Self {
        SyncSection {
            interval_secs: 60,
            page: 2000,
        }
    }
}

/// One round with every peer (or the one named), in turn. Proposals,
/// votes and charters travel with every round.
pub async fn round(
    node: &LocalNode,
    key: Arc<Keypair>,
    only: Option<&str>,
    page: usize,
) -> Result<Vec<PeerRound>> {
    let membership = membership::current(node, &key.public()).await?;
    let chosen = membership.to_pull(only);
    if let Some(n) = only
        && chosen.is_empty()
    {
        return Err(FederationError::NotFound(format!(
            "there is no peer {n:?} (see `concord peer list` and `concord community status`)"
        )));
    }
    // A node in no community (a plain peer set) has no charter to follow:
    // asking its peers for governance documents would only report, every
    // round, that it has none.
    let governed = concord_community::in_community(&node.data_dir)?;
    let directory = crate::logs::directory(node, &membership, &key.public())?;
    let client = crate::logs::client(key.clone())?;
    if let Err(e) = crate::logs::log_governance(node).await {
        tracing::warn!(error = %e, "logging governance messages failed");
    }
    let mut out = Vec::new();
    for p in chosen {
        // The peer's log first: the checkpoint its objects are proved
        // against is the one witnessed now.
        let witnessed = crate::logs::witness_peer(node, &directory, &key, &client, &p.member).await;
        let mut round = sync_peer(node, key.clone(), &membership, &directory, p, page.max(1)).await;
        if governed {
            let community =
                concord_community::pull::from_peer(&node.data_dir, key.clone(), &p.url).await;
            round.community = Some(match community {
                Ok(report) => serde_json::to_value(report)?,
                Err(e) => serde_json::json!({"error": e.to_string()}),
            });
        }
        let gossip = crate::logs::gossip(node, &directory, &key, &client, &p.member).await;
        let held = release_held(node, &directory, &client, p).await;
        // A split view found now goes to every peer at once.
        let forwarded = concord_log::evidence::forward(&node.store, &directory, &client)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "handing on evidence failed");
                0
            });
        round.log = Some(serde_json::json!({
            "witness": witnessed,
            "checkpoints": gossip,
            "held": held,
            "evidence_forwarded": forwarded,
        }));
        out.push(round);
    }
    Ok(out)
}

/// Tries the objects held from `peer` again: released when their authors'
/// logs now show them, quarantined after three checkpoint intervals.
async fn release_held(
    node: &LocalNode,
    directory: &concord_log::Directory,
    client: &concord_taxii::client::Client,
    peer: &crate::peers::PeerRecord,
) -> serde_json::Value {
    let receiver = match concord_log::receipt::Receiver::new(
        node.store.clone(),
        directory.clone(),
        client.clone(),
        &peer.name,
        &peer.url,
    ) {
        Ok(r) => r,
        Err(e) => return serde_json::json!({"error": e.to_string()}),
    };
    match concord_log::receipt::retry_held(&receiver, &node.collection, directory.interval * 3)
        .await
    {
        Ok(r) => {
            // A withdrawal released now is carried out as if pulled now.
            for id in &r.revoked {
                if let Err(e) = crate::pull::bury(&node.store, id).await {
                    tracing::warn!(id, error = %e, "carrying out a withdrawal failed");
                }
            }
            serde_json::json!({
                "released": r.released, "quarantined": r.quarantined, "still_held": r.still_held
            })
        }
        Err(e) => serde_json::json!({"error": e.to_string()}),
    }
}

/// What `serve` runs: a round with each peer every `every`; a failing
/// peer backs off (doubling, up to ten intervals) without holding the
/// others. A peer added while it runs is pulled as soon as `peers_changed`
/// is notified (the server notices new peers within seconds), not an
/// interval later. `after_round` is notified after each round (the alert
/// scanner looks at what arrived).
pub async fn keep_syncing(
    node: Arc<LocalNode>,
    key: Arc<Keypair>,
    every: Duration,
    page: usize,
    peers_changed: Arc<Notify>,
    after_round: Arc<Notify>,
) {
    let mut failures: HashMap<String, (u32, Instant)> = HashMap::new();
    // Peers (name and URL) pulled from at least once since start.
    let mut known: HashSet<(String, String)> = HashSet::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let only_new = tokio::select! {
            _ = tick.tick() => false,
            () = peers_changed.notified() => true,
        };
        let list = match membership::current(&node, &key.public()).await {
            Ok(m) => m.to_pull(None).into_iter().cloned().collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!(error = %e, "reading the peers failed");
                continue;
            }
        };
        for p in &list {
            let first_time = known.insert((p.name.clone(), p.url.clone()));
            if only_new && !first_time {
                continue;
            }
            if let Some((n, since)) = failures.get(&p.name) {
                let wait = every * 2u32.saturating_pow(*n).min(10);
                if since.elapsed() < wait {
                    continue;
                }
            }
            match round(&node, key.clone(), Some(&p.name), page).await {
                Ok(rounds) if rounds.iter().all(|r| r.error.is_none()) => {
                    failures.remove(&p.name);
                }
                Ok(rounds) => {
                    for r in rounds {
                        tracing::warn!(peer = %r.peer, error = ?r.error, "sync failed");
                    }
                    let e = failures
                        .entry(p.name.clone())
                        .or_insert((0, Instant::now()));
                    e.0 = e.0.saturating_add(1);
                    e.1 = Instant::now();
                }
                Err(e) => tracing::warn!(peer = %p.name, error = %e, "sync failed"),
            }
            after_round.notify_one();
        }
    }
}
