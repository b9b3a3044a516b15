//! This node as a witness of every member's log (C2SP tlog-witness):
//! the latest checkpoint it cosigned per origin (records `log-witness`,
//! changed only by compare-and-swap, so under any concurrency the stored
//! size never goes down), `add-checkpoint` for logs that push to it, and
//! during each sync round the member's own checkpoint fetched, checked for
//! consistency with the one held (proofs from the member's tiles),
//! cosigned and sent back.
//!
//! The decision itself is `concord_tlog::Witness`'s; it reads and swaps
//! the state through [`WitnessStore`], which runs on a blocking thread
//! here (the store is async).

use concord_stix::Timestamp;
use concord_store::{AnyStore, Record, RecordSwap, Store};
use concord_taxii::client::{Client, Method};
use concord_tlog::{
    AddCheckpoint, ConsistencyCheck, Cosigned, Hash, Rejection, SignedCheckpoint, Swap, TileNodes,
    TlogError, Witness, WitnessRecord, WitnessStore, check_consistency, consistency_proof,
};
use concord_trust::Keypair;
use serde::{Deserialize, Serialize};

use crate::directory::{Directory, MemberLog};
use crate::evidence::{self, Held};
use crate::tiles::{RemoteSource, TileSet, TileSource, with_tiles};
use crate::{LogError, Result};

/// The record kind of the witness state, one per followed origin.
pub const WITNESS_KIND: &str = "log-witness";

/// Where cosignatures are sent back to a member's node.
pub const COSIGNATURES_PATH: &str = "/concord/v1/cosignatures";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    size: u64,
    root: String,
    checkpoint: String,
}

fn parse(r: &Record) -> std::result::Result<WitnessRecord, TlogError> {
    let s: Stored = serde_json::from_str(&r.value).map_err(TlogError::storage)?;
    Ok(WitnessRecord {
        size: s.size,
        root: Hash::from_base64(&s.root).map_err(TlogError::storage)?,
        checkpoint: s.checkpoint.into_bytes(),
    })
}

/// The witness state in the store, for `concord_tlog::Witness` (call it
/// from a blocking thread: it waits on the store).
struct StoreWitness {
    store: AnyStore,
    handle: tokio::runtime::Handle,
}

impl WitnessStore for StoreWitness {
    fn latest(&self, origin: &str) -> std::result::Result<Option<WitnessRecord>, TlogError> {
        let r = self
            .handle
            .block_on(self.store.record(WITNESS_KIND, origin))
            .map_err(TlogError::storage)?;
        r.as_ref().map(parse).transpose()
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<(u64, Hash)>,
        new: &WitnessRecord,
    ) -> std::result::Result<Swap, TlogError> {
        let read = self
            .handle
            .block_on(self.store.record(WITNESS_KIND, origin))
            .map_err(TlogError::storage)?;
        let current = read.as_ref().map(parse).transpose()?;
        if current.as_ref().map(|c| (c.size, c.root)) != expected {
            return Ok(Swap::Changed(current));
        }
        let value = serde_json::to_string(&Stored {
            size: new.size,
            root: new.root.to_base64(),
            checkpoint: String::from_utf8_lossy(&new.checkpoint).into_owned(),
        })
        .map_err(TlogError::storage)?;
        // Swapped only if the record is still exactly what was read: a
        // concurrent swap in between makes this one lose.
        match self
            .handle
            .block_on(self.store.swap_record(
                read.map(|r| r.value),
                Record::new(WITNESS_KIND, origin, value),
            ))
            .map_err(TlogError::storage)?
        {
            RecordSwap::Done => Ok(Swap::Done),
            RecordSwap::Changed(now) => Ok(Swap::Changed(now.as_ref().map(parse).transpose()?)),
        }
    }
}

/// The checkpoint this node holds (last cosigned) for `origin`.
pub async fn held(store: &AnyStore, origin: &str) -> Result<Option<SignedCheckpoint>> {
    let Some(r) = store.record(WITNESS_KIND, origin).await? else {
        return Ok(None);
    };
    let w = parse(&r).map_err(|e| LogError::corrupt(format!("witness state of {origin}"), e))?;
    Ok(Some(SignedCheckpoint::parse(&w.checkpoint).map_err(
        |e| LogError::corrupt(format!("witness state of {origin}"), e),
    )?))
}

/// Every checkpoint held, by origin (the witness state).
pub async fn all_held(store: &AnyStore) -> Result<Vec<(String, SignedCheckpoint)>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(WITNESS_KIND, after.as_deref(), 500).await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        for r in page {
            let w = parse(&r)
                .map_err(|e| LogError::corrupt(format!("witness state of {}", r.key), e))?;
            let c = SignedCheckpoint::parse(&w.checkpoint)
                .map_err(|e| LogError::corrupt(format!("witness state of {}", r.key), e))?;
            out.push((r.key, c));
        }
        after = Some(last);
    }
    Ok(out)
}

async fn submit(
    store: &AnyStore,
    witness: Witness,
    request: AddCheckpoint,
) -> Result<std::result::Result<Cosigned, Rejection>> {
    let ws = StoreWitness {
        store: store.clone(),
        handle: tokio::runtime::Handle::current(),
    };
    let now = Timestamp::now().0.max(0) as u64 / 1_000_000;
    tokio::task::spawn_blocking(move || witness.submit(&request, &ws, now))
        .await
        .map_err(|e| LogError::Task(e.to_string()))
}

/// `POST /log/add-checkpoint`: the tlog-witness decision on `body`, with
/// the state swapped atomically; a second root for a held size is kept as
/// evidence as well as refused.
pub async fn add_checkpoint(
    store: &AnyStore,
    directory: &Directory,
    key: &Keypair,
    body: &[u8],
) -> Result<std::result::Result<Cosigned, Rejection>> {
    let witness = directory.witness(key)?;
    let request = match AddCheckpoint::parse(body) {
        Ok(r) => r,
        Err(e) => return Ok(Err(Rejection::BadRequest(e))),
    };
    let out = submit(store, witness, request).await?;
    if let Err(Rejection::Unprocessable {
        evidence: Some(e), ..
    }) = &out
    {
        evidence::keep(store, directory, e, "add-checkpoint").await?;
    }
    Ok(out)
}

/// What witnessing one checkpoint of a member's log came to.
#[derive(Debug, Clone)]
pub enum Observed {
    /// The member's node has no checkpoint yet.
    Nothing,
    /// Consistent with what was held, and newer: cosigned.
    Cosigned(Box<SignedCheckpoint>),
    /// The checkpoint held already, or an older one consistent with it.
    Known,
    /// It contradicts what was held: evidence (kept, unless held already).
    SplitView(Option<Box<Held>>),
    /// Its consistency could not be decided (the tiles were unavailable or
    /// do not match): an alarm, not evidence.
    Unverifiable(String),
}

/// Checks `checkpoint` (already verified as signed by `member`) against
/// the one held for its log, using the member's tiles from `source`;
/// cosigns and holds it when it extends what was held.
#[expect(
    clippy::too_many_arguments,
    reason = "the log, the checkpoint, where its tiles come from and why it is looked at"
)]
pub async fn observe(
    store: &AnyStore,
    directory: &Directory,
    key: &Keypair,
    member: &MemberLog,
    checkpoint: &SignedCheckpoint,
    source: &impl TileSource,
    tiles: &mut TileSet,
    found: &str,
) -> Result<Observed> {
    let size = checkpoint.checkpoint().size;
    for _ in 0..3 {
        let held = held(store, &member.origin).await?;
        let held_size = held.as_ref().map_or(0, |h| h.checkpoint().size);
        if let Some(h) = &held
            && held_size >= size
        {
            return compare(
                store, directory, member, h, checkpoint, source, tiles, found,
            )
            .await;
        }
        let proof = match &held {
            Some(h) if h.checkpoint().size > 0 => {
                let old = h.checkpoint().size;
                match with_tiles(tiles, source, |t| {
                    consistency_proof(old, size, &mut TileNodes::new(t, size))
                })
                .await
                {
                    Ok(p) => p,
                    Err(e) => {
                        return Ok(Observed::Unverifiable(format!(
                            "no consistency proof from size {old} to {size}: {e}"
                        )));
                    }
                }
            }
            _ => Vec::new(),
        };
        let request = AddCheckpoint {
            old_size: held_size,
            proof,
            checkpoint: checkpoint.clone(),
        };
        match submit(store, directory.witness(key)?, request).await? {
            Ok(c) => {
                let mut cosigned = checkpoint.clone();
                cosigned.add_signature(c.cosignature)?;
                return Ok(Observed::Cosigned(Box::new(cosigned)));
            }
            // Another witnessing of the same log moved the state: again.
            Err(Rejection::Conflict { .. }) => continue,
            Err(Rejection::Unprocessable { evidence, reason }) => {
                if let Some(e) = evidence {
                    let kept = evidence::keep(store, directory, &e, found).await?;
                    return Ok(Observed::SplitView(kept.map(Box::new)));
                }
                return match &held {
                    Some(h) => {
                        compare(
                            store, directory, member, h, checkpoint, source, tiles, found,
                        )
                        .await
                    }
                    None => Ok(Observed::Unverifiable(reason)),
                };
            }
            Err(r) => {
                return Err(LogError::Refused(format!(
                    "witnessing {}: {}",
                    member.origin,
                    r.body().trim_end()
                )));
            }
        }
    }
    Ok(Observed::Unverifiable(format!(
        "the witness state of {} kept changing",
        member.origin
    )))
}

/// Two checkpoints of one log (`held` and a newly seen one): consistent,
/// a split view (evidence kept), or undecidable from the tiles.
#[expect(
    clippy::too_many_arguments,
    reason = "one comparison needs the log, both checkpoints and where its tiles come from"
)]
async fn compare(
    store: &AnyStore,
    directory: &Directory,
    member: &MemberLog,
    held: &SignedCheckpoint,
    seen: &SignedCheckpoint,
    source: &impl TileSource,
    tiles: &mut TileSet,
    found: &str,
) -> Result<Observed> {
    let larger = held.checkpoint().size.max(seen.checkpoint().size);
    let smaller = held.checkpoint().size.min(seen.checkpoint().size);
    let needs_tiles = larger != smaller && smaller > 0;
    if needs_tiles {
        // The tiles of the larger tree on the path the check walks; a log
        // that cannot show them leaves the question open.
        let path = with_tiles(tiles, source, |t| {
            let mut nodes = TileNodes::new(t, larger);
            concord_tlog::tree_hash(larger, &mut nodes)?;
            concord_tlog::consistency_path_full(smaller, larger, &mut nodes)
        })
        .await;
        if let Err(e) = path {
            return Ok(Observed::Unverifiable(format!(
                "the tiles of {} at size {larger} are not available: {e}",
                member.origin
            )));
        }
    }
    match check_consistency(held, seen, &member.key, tiles)? {
        ConsistencyCheck::Consistent => Ok(Observed::Known),
        ConsistencyCheck::SplitView(e) => {
            let kept = evidence::keep(store, directory, &e, found).await?;
            Ok(Observed::SplitView(kept.map(Box::new)))
        }
        ConsistencyCheck::Unverifiable(why) => Ok(Observed::Unverifiable(why)),
    }
}

/// Fetches a member's latest checkpoint from its node.
pub async fn fetch_checkpoint(
    client: &Client,
    member: &MemberLog,
) -> Result<Option<SignedCheckpoint>> {
    let base = member
        .base()
        .ok_or_else(|| LogError::Refused(format!("{} has no URL", member.name)))?;
    let url = format!("{base}/log/checkpoint");
    let answer = client
        .exchange(Method::GET, &url, None, concord_tlog::MAX_NOTE_BYTES)
        .await?;
    match answer.status {
        200 => {}
        404 => return Ok(None),
        s => {
            return Err(LogError::protocol(
                format!("checkpoint {url}"),
                format!("status {s}"),
            ));
        }
    }
    let c = SignedCheckpoint::parse(&answer.body)
        .map_err(|e| LogError::protocol(format!("checkpoint {url}"), e.to_string()))?;
    if c.checkpoint().origin != member.origin {
        return Err(LogError::protocol(
            format!("checkpoint {url}"),
            format!(
                "its origin is {:?}, not {:?}",
                c.checkpoint().origin,
                member.origin
            ),
        ));
    }
    c.verify_by_member(&member.key)
        .map_err(|e| LogError::protocol(format!("checkpoint {url}"), e.to_string()))?;
    Ok(Some(c))
}

/// One sync round's witnessing of a member: fetch its checkpoint, check
/// it against the one held (with its tiles), cosign, and send the
/// cosignature back.
pub async fn witness_member(
    store: &AnyStore,
    directory: &Directory,
    key: &Keypair,
    client: &Client,
    member: &MemberLog,
    tiles: &mut TileSet,
) -> Result<Observed> {
    let Some(checkpoint) = fetch_checkpoint(client, member).await? else {
        return Ok(Observed::Nothing);
    };
    let source = RemoteSource::direct(client.clone(), member.base().unwrap_or_default());
    let out = observe(
        store,
        directory,
        key,
        member,
        &checkpoint,
        &source,
        tiles,
        &format!("witnessing {}", member.name),
    )
    .await?;
    if let Observed::Cosigned(c) = &out {
        let url = format!("{}{COSIGNATURES_PATH}", source.base);
        let answer = client
            .exchange(
                Method::POST,
                &url,
                Some(("text/plain; charset=utf-8", c.to_bytes())),
                64 * 1024,
            )
            .await?;
        if answer.status != 200 {
            tracing::warn!(
                member = %member.name,
                status = answer.status,
                body = %String::from_utf8_lossy(&answer.body),
                "the member did not take this node's cosignature"
            );
        }
    }
    Ok(out)
}
