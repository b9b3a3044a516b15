//! The checkpoint exchange of every sync round (`GET
//! /concord/v1/checkpoints`): a node hands its peers the latest cosigned
//! checkpoint it holds for every member's log (its own included) and the
//! evidence it holds. The receiver checks each against its own view of
//! that log: one size with two roots, or sizes the member's tiles cannot
//! reconcile, is a split view; a newer consistent checkpoint moves its
//! view forward. So a member that shows two peers two histories is caught
//! by every honest node within one full round.

use concord_store::AnyStore;
use concord_taxii::client::{Client, Method};
use concord_tlog::{Evidence, SignedCheckpoint};
use concord_trust::Keypair;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::directory::{Directory, MemberLog};
use crate::tiles::TileSet;
use crate::witness::{Observed, all_held, observe};
use crate::{LogError, Result, evidence, own};

/// Where a node serves the checkpoints it holds.
pub const CHECKPOINTS_PATH: &str = "/concord/v1/checkpoints";

/// The largest checkpoints document read from a peer.
pub const MAX_CHECKPOINTS_BYTES: usize = 16 * 1024 * 1024;

/// What `/concord/v1/checkpoints` serves.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Checkpoints {
    /// The signed notes (with cosignatures), one per log.
    pub checkpoints: Vec<String>,
    /// Evidence held (each `concord-split-view` JSON).
    pub evidence: Vec<Value>,
}

/// This node's latest checkpoint of its own log, every member checkpoint
/// it holds, and its evidence.
pub async fn held(store: &AnyStore) -> Result<Checkpoints> {
    let mut out = Checkpoints::default();
    if let Some(c) = own::served_checkpoint(store).await? {
        out.checkpoints
            .push(String::from_utf8_lossy(&c.to_bytes()).into_owned());
    }
    for (_, c) in all_held(store).await? {
        out.checkpoints
            .push(String::from_utf8_lossy(&c.to_bytes()).into_owned());
    }
    out.evidence = evidence::list(store)
        .await?
        .into_iter()
        .map(|h| h.evidence)
        .collect();
    Ok(out)
}

/// What one exchange with a peer found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    /// Checkpoints received.
    pub checkpoints: usize,
    /// Checkpoints that moved this node's view of a log forward.
    pub newer: usize,
    /// Evidence found or received that was new here.
    pub evidence: usize,
    /// Checks that could not be decided, with the reason.
    pub unverifiable: Vec<String>,
}

/// Fetches `peer`'s checkpoints and evidence and checks them against this
/// node's view of each log.
pub async fn exchange(
    store: &AnyStore,
    directory: &Directory,
    key: &Keypair,
    client: &Client,
    peer: &MemberLog,
) -> Result<Exchange> {
    let base = peer
        .base()
        .ok_or_else(|| LogError::Refused(format!("{} has no URL", peer.name)))?;
    let url = format!("{base}{CHECKPOINTS_PATH}");
    let answer = client
        .exchange(Method::GET, &url, None, MAX_CHECKPOINTS_BYTES)
        .await?;
    if answer.status != 200 {
        return Err(LogError::protocol(url, format!("status {}", answer.status)));
    }
    let doc: Checkpoints = serde_json::from_slice(&answer.body)
        .map_err(|e| LogError::protocol(url.clone(), e.to_string()))?;
    let mut out = Exchange::default();
    let found = format!("checkpoints from {}", peer.name);
    for e in &doc.evidence {
        let Ok(bytes) = serde_json::to_vec(e) else {
            continue;
        };
        match Evidence::from_json(&bytes) {
            Ok(e) => match evidence::keep(
                store,
                directory,
                &e,
                &format!("evidence from {}", peer.name),
            )
            .await
            {
                Ok(Some(_)) => out.evidence += 1,
                Ok(None) => {}
                Err(err) => out
                    .unverifiable
                    .push(format!("evidence from {}: {err}", peer.name)),
            },
            Err(err) => out
                .unverifiable
                .push(format!("evidence from {}: {err}", peer.name)),
        }
    }
    for note in &doc.checkpoints {
        let Ok(c) = SignedCheckpoint::parse(note.as_bytes()) else {
            continue;
        };
        // This node's own log is its own to judge; logs of non-members
        // are not followed.
        let Some(member) = directory.by_origin(&c.checkpoint().origin) else {
            continue;
        };
        if c.verify_by_member(&member.key).is_err() {
            out.unverifiable.push(format!(
                "{} sent a checkpoint of {} not signed by its key",
                peer.name, member.origin
            ));
            continue;
        }
        out.checkpoints += 1;
        // From the member's node, or passed on by the peer when this
        // node cannot reach it.
        let source = crate::tiles::sources_of(client, member, Some((peer, &base)));
        let mut tiles = TileSet::new();
        match observe(
            store, directory, key, member, &c, &source, &mut tiles, &found,
        )
        .await
        {
            Ok(Observed::Cosigned(_)) => out.newer += 1,
            Ok(Observed::SplitView(Some(_))) => out.evidence += 1,
            Ok(Observed::Unverifiable(why)) => {
                out.unverifiable.push(format!("{}: {why}", member.origin))
            }
            Ok(_) => {}
            Err(e) => out.unverifiable.push(format!("{}: {e}", member.origin)),
        }
    }
    Ok(out)
}
