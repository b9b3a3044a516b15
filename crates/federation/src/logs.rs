//! The transparency logs in the federation (FEDERATION.md section 2, the
//! mechanics in `concord-log`): whose logs there are (the configured peers
//! and the adopted charter's members, each with its origin and node key),
//! what each sync round does with them, the checkpoint loop of `serve`, and
//! this member's governance messages in its own log.

use std::sync::Arc;
use std::time::Duration;

use concord_log::directory::default_origin;
use concord_log::tiles::TileSet;
use concord_log::witness::Observed;
use concord_log::{Directory, MemberLog};
use concord_store::{LogLeaf, Store};
use concord_taxii::client::{Auth, Client, ClientOptions};
use concord_trust::{Keypair, PublicKey};
use serde_json::{Value, json};

use crate::membership::Membership;
use crate::{FederationError, LocalNode, Result};

/// Whose logs this node keeps and follows now.
pub fn directory(node: &LocalNode, membership: &Membership, own: &PublicKey) -> Result<Directory> {
    let view = concord_community::view(&node.data_dir)?;
    let origin_of = |identity: &str| {
        view.as_ref()
            .and_then(|v| v.by_identity(identity))
            .map(|m| m.log_origin.clone())
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| default_origin(identity))
    };
    let mut members = Vec::new();
    for m in &membership.members {
        let Some(key) = m.keys.first().and_then(|k| PublicKey::from_hex(k).ok()) else {
            continue;
        };
        members.push(MemberLog {
            member: m.record.member.clone(),
            name: m.record.name.clone(),
            origin: origin_of(&m.record.member),
            key,
            url: m.record.url.clone(),
        });
    }
    Ok(Directory {
        own: MemberLog {
            member: node.member.clone(),
            name: "this member".into(),
            origin: origin_of(&node.member),
            key: *own,
            url: String::new(),
        },
        members,
        interval: node
            .log
            .interval(view.as_ref().map(|v| v.checkpoint_interval_s)),
    })
}

/// The directory as it stands now (membership read afresh).
pub async fn current(node: &LocalNode, own: &PublicKey) -> Result<Directory> {
    let m = crate::membership::current(node, own).await?;
    directory(node, &m, own)
}

/// The client log requests go out with (node-signed, like TAXII's).
pub fn client(key: Arc<Keypair>) -> Result<Client> {
    Ok(Client::new(ClientOptions {
        auth: Auth::Node(key),
        attempts: 3,
        backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(60),
        compressed: true,
        ca_pem: None,
    })?)
}

/// What a round did with one peer's log and the checkpoints it holds.
pub async fn witness_peer(
    node: &LocalNode,
    directory: &Directory,
    key: &Keypair,
    client: &Client,
    member: &str,
) -> Value {
    let Some(peer) = directory.by_member(member) else {
        return json!({"error": "no log is known for this peer"});
    };
    let mut tiles = TileSet::new();
    match concord_log::witness::witness_member(
        &node.store,
        directory,
        key,
        client,
        peer,
        &mut tiles,
    )
    .await
    {
        Ok(Observed::Nothing) => json!({"checkpoint": null}),
        Ok(Observed::Cosigned(c)) => json!({"cosigned": c.checkpoint().size}),
        Ok(Observed::Known) => json!({"known": true}),
        Ok(Observed::SplitView(_)) => json!({"split_view": true}),
        Ok(Observed::Unverifiable(why)) => json!({"unverifiable": why}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// Swaps checkpoints and evidence with a peer.
pub async fn gossip(
    node: &LocalNode,
    directory: &Directory,
    key: &Keypair,
    client: &Client,
    member: &str,
) -> Value {
    let Some(peer) = directory.by_member(member) else {
        return json!({"error": "no log is known for this peer"});
    };
    match concord_log::gossip::exchange(&node.store, directory, key, client, peer).await {
        Ok(x) => serde_json::to_value(x).unwrap_or(Value::Null),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// Appends this member's governance messages that are not in its log yet:
/// each vote it cast, and the proposal it voted on (by its hash: a draft
/// charter can be larger than a log entry). Idempotent: each is logged
/// once.
pub async fn log_governance(node: &LocalNode) -> Result<usize> {
    let dir = node.data_dir.clone();
    let me = node.member.clone();
    let messages = tokio::task::spawn_blocking(move || -> Result<Vec<(String, Value)>> {
        let Some(view) = concord_community::view(&dir)? else {
            return Ok(Vec::new());
        };
        let Some(mine) = view.by_identity(&me) else {
            return Ok(Vec::new());
        };
        let ledger = concord_community::ledger::Ledger::new(&dir);
        let mut out = Vec::new();
        for id in ledger.proposal_ids()? {
            for v in ledger.votes(&id)? {
                if v.vote.member != mine.member {
                    continue;
                }
                out.push((
                    format!("proposal {id}"),
                    json!({"type": "concord-proposal", "proposal": id, "base_version": v.vote.base_version}),
                ));
                out.push((
                    format!("vote {id} {}", v.vote.keyid),
                    serde_json::to_value(&v.vote)?,
                ));
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| FederationError::Invalid(format!("reading the governance messages: {e}")))??;
    if messages.is_empty() {
        return Ok(0);
    }
    let mut leaves = Vec::with_capacity(messages.len());
    for (key, value) in messages {
        let entry = concord_tlog::governance_entry(&value)
            .map_err(|e| FederationError::Invalid(format!("logging {key}: {e}")))?;
        leaves.push(LogLeaf {
            key,
            entry: entry.to_bytes(),
        });
    }
    Ok(node.store.log_append(leaves, Vec::new()).await?.appended)
}

/// What `serve` runs: a checkpoint of the node's log each interval when it
/// grew (never per entry), and its governance messages logged.
pub async fn keep_checkpointing(node: Arc<LocalNode>, key: Arc<Keypair>) {
    let mut wait = Duration::from_secs(1);
    loop {
        tokio::time::sleep(wait).await;
        let directory = match current(&node, &key.public()).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "reading the members' logs failed");
                wait = Duration::from_secs(10);
                continue;
            }
        };
        if let Err(e) = log_governance(&node).await {
            tracing::warn!(error = %e, "logging governance messages failed");
        }
        // Evidence found by a witnessing (add-checkpoint) goes to every peer.
        if let Ok(c) = client(key.clone())
            && let Err(e) = concord_log::evidence::forward(&node.store, &directory, &c).await
        {
            tracing::warn!(error = %e, "handing on evidence failed");
        }
        match concord_log::own::checkpoint_if_due(
            &node.store,
            &key,
            &directory.own.origin,
            directory.interval,
            concord_stix::Timestamp::now(),
        )
        .await
        {
            Ok(Some(c)) => tracing::info!(size = c.checkpoint().size, "signed a checkpoint"),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "signing a checkpoint failed"),
        }
        // Often enough to sign soon after the interval has passed, at
        // most once per interval.
        wait = (directory.interval / 4).clamp(Duration::from_millis(250), Duration::from_secs(15));
    }
}
