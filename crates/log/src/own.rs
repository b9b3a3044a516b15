//! This node's own log: what it authors goes in (an object version as a
//! salted commitment, in the transaction that stores it), a checkpoint is
//! signed at most once per interval when the log grew, and the latest is
//! served with the cosignatures its witnesses sent back.
//!
//! Records: `log-checkpoint` (every signed checkpoint, by zero-padded
//! size: each is half of any evidence against this node), `log-latest`
//! (the one served; replaced only by compare-and-swap, so two processes
//! signing at once never move it back), `log-cosignature` (by size and
//! witness name: the line a witness sent).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use concord_stix::{StixObject, Timestamp};
use concord_store::{AnyStore, LogMark, PreparedObject, Record, RecordSwap, Store};
use concord_tlog::{
    COMMIT_PREFIX, Entry, Hash, LogSigner, SignedCheckpoint, TileNodes, Verifiers, fresh_nonce,
    inclusion_proof,
};
use concord_trust::Keypair;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::tiles::{StoreSource, TileSet, with_tiles};
use crate::{LogError, Result};

/// Every signed checkpoint, by size.
pub const CHECKPOINT_KIND: &str = "log-checkpoint";
/// The checkpoint served now (key [`LATEST_KEY`]).
pub const LATEST_KIND: &str = "log-latest";
/// The key of the latest checkpoint's record.
pub const LATEST_KEY: &str = "checkpoint";
/// Cosignatures witnesses sent back, by size and witness.
pub const COSIGNATURE_KIND: &str = "log-cosignature";

/// A checkpoint this node signed, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signed {
    /// The signed note.
    pub note: String,
    /// When it was signed (µs since the epoch).
    pub signed_us: i64,
}

impl Signed {
    /// The checkpoint.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint> {
        SignedCheckpoint::parse(self.note.as_bytes())
            .map_err(|e| LogError::corrupt("the node's latest checkpoint", e))
    }
}

/// The commitment to an object whose canonical JSON is `jcs`:
/// SHA-256("concord/commit/v1\n" ‖ nonce ‖ JCS(object)).
pub fn commitment_of_text(jcs: &[u8], nonce: &[u8; 32]) -> Hash {
    let mut h = Sha256::new();
    h.update(COMMIT_PREFIX);
    h.update(nonce);
    h.update(jcs);
    Hash(h.finalize().into())
}

/// An object version authored here, ready to store with its log entry: its
/// JSON is stored as its RFC 8785 canonical form (the bytes the commitment
/// covers, so a recipient checks the commitment over the bytes it
/// received), and it carries a fresh nonce. The store appends the entry in
/// the transaction that stores the version.
pub fn prepare_authored(object: Map<String, Value>) -> Result<PreparedObject> {
    let jcs = concord_stix::canonical::to_canonical_string_omitting(&object, &[])
        .map_err(|e| LogError::Refused(format!("an authored object has no canonical form: {e}")))?;
    let nonce = fresh_nonce();
    let entry = Entry::Intel(commitment_of_text(jcs.as_bytes(), &nonce)).to_bytes();
    Ok(PreparedObject::new(&StixObject::from_map(object), jcs)
        .with_log(LogMark::Append { entry, nonce }))
}

/// The latest checkpoint this node signed, if any.
pub async fn latest(store: &AnyStore) -> Result<Option<Signed>> {
    match store.record(LATEST_KIND, LATEST_KEY).await? {
        Some(r) => Ok(Some(serde_json::from_str(&r.value).map_err(|e| {
            LogError::corrupt("the node's latest checkpoint record", e)
        })?)),
        None => Ok(None),
    }
}

/// The checkpoint this node signed for `size`, if any.
pub async fn signed_at(store: &AnyStore, size: u64) -> Result<Option<Signed>> {
    match store
        .record(CHECKPOINT_KIND, &format!("{size:020}"))
        .await?
    {
        Some(r) => {
            Ok(Some(serde_json::from_str(&r.value).map_err(|e| {
                LogError::corrupt("a checkpoint record", e)
            })?))
        }
        None => Ok(None),
    }
}

/// Signs a checkpoint of the log as it is now, if it grew (or its origin
/// changed) since the last one and that one is at least `interval` old;
/// records and returns it. `sign_next` refuses a tree inconsistent with
/// the last checkpoint: a node restored from an old backup never forks its
/// own log.
pub async fn checkpoint_if_due(
    store: &AnyStore,
    key: &Keypair,
    origin: &str,
    interval: Duration,
    now: Timestamp,
) -> Result<Option<SignedCheckpoint>> {
    let size = store.log_size().await?;
    let read = store
        .record(LATEST_KIND, LATEST_KEY)
        .await?
        .map(|r| r.value);
    let last: Option<Signed> = match &read {
        Some(v) => Some(
            serde_json::from_str(v)
                .map_err(|e| LogError::corrupt("the node's latest checkpoint record", e))?,
        ),
        None => None,
    };
    let last_checkpoint = match &last {
        Some(s) => Some(s.checkpoint()?),
        None => None,
    };
    let same_log = last_checkpoint
        .as_ref()
        .filter(|c| c.checkpoint().origin == origin);
    if size == 0 && last.is_none() {
        return Ok(None);
    }
    if let Some(c) = same_log
        && c.checkpoint().size == size
    {
        return Ok(None);
    }
    let interval_us = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX);
    if let Some(s) = &last
        && now.0.saturating_sub(s.signed_us) < interval_us
    {
        return Ok(None);
    }
    let signer = LogSigner::new(origin, key.clone())?;
    let previous = same_log.map(|c| c.checkpoint().clone());
    let mut set = TileSet::new();
    let signed = with_tiles(&mut set, &StoreSource(store), |t| {
        signer.sign_next(previous.as_ref(), size, t)
    })
    .await?;
    let record = Signed {
        note: String::from_utf8_lossy(&signed.to_bytes()).into_owned(),
        signed_us: now.0,
    };
    let value = serde_json::to_string(&record)?;
    // Kept before it is served: every served checkpoint is in the history
    // (a cosignature is matched against it).
    store
        .put_records(vec![Record::new(
            CHECKPOINT_KIND,
            format!("{size:020}"),
            value.clone(),
        )])
        .await?;
    // Still what was read above? Then this one is the latest; else another
    // process signed in between and its checkpoint is served.
    match store
        .swap_record(read, Record::new(LATEST_KIND, LATEST_KEY, value))
        .await?
    {
        RecordSwap::Done => Ok(Some(signed)),
        RecordSwap::Changed(_) => Ok(None),
    }
}

/// The cosignature lines witnesses sent for the checkpoint of `size`.
pub async fn cosignatures(store: &AnyStore, size: u64) -> Result<Vec<String>> {
    let prefix = format!("{size:020} ");
    let mut out = Vec::new();
    let mut after = Some(format!("{size:020}"));
    loop {
        let page = store
            .records(COSIGNATURE_KIND, after.as_deref(), 200)
            .await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        let mut done = false;
        for r in page {
            if !r.key.starts_with(&prefix) {
                done = true;
                break;
            }
            out.push(r.value);
        }
        if done {
            break;
        }
        after = Some(last);
    }
    Ok(out)
}

/// The latest checkpoint with every cosignature received for it: what
/// `/log/checkpoint` serves.
pub async fn served_checkpoint(store: &AnyStore) -> Result<Option<SignedCheckpoint>> {
    let Some(s) = latest(store).await? else {
        return Ok(None);
    };
    let mut c = s.checkpoint()?;
    for line in cosignatures(store, c.checkpoint().size).await? {
        let line = concord_tlog::SignatureLine::parse(line.trim_end_matches('\n'), 0)
            .map_err(|e| LogError::corrupt("a cosignature record", e))?;
        // A line that no longer fits (too many) is left out, not fatal.
        let _ = c.add_signature(line);
    }
    Ok(Some(c))
}

/// Takes in a checkpoint of this node's log cosigned by witnesses: its
/// text must be one this node signed, and each cosignature by a member's
/// witness key must verify. Returns the names of the witnesses whose
/// cosignatures were kept.
pub async fn accept_cosignatures(
    store: &AnyStore,
    note: &[u8],
    witnesses: &Verifiers,
) -> Result<Vec<String>> {
    let c = SignedCheckpoint::parse(note)?;
    let size = c.checkpoint().size;
    let Some(ours) = signed_at(store, size).await? else {
        return Err(LogError::Refused(format!(
            "this node signed no checkpoint of size {size}"
        )));
    };
    if ours.checkpoint()?.note().text() != c.note().text() {
        return Err(LogError::Refused(format!(
            "the checkpoint of size {size} is not the one this node signed"
        )));
    }
    let verified = c.cosignatures(witnesses)?;
    let mut records = Vec::new();
    let mut names = Vec::new();
    for v in verified {
        if let Some(line) = c
            .note()
            .signatures()
            .iter()
            .find(|l| l.name == v.name && l.key_id == v.key_id)
        {
            records.push(Record::new(
                COSIGNATURE_KIND,
                format!("{size:020} {}", v.name),
                line.to_line(),
            ));
            names.push(v.name);
        }
    }
    if !records.is_empty() {
        store.put_records(records).await?;
    }
    Ok(names)
}

/// What `/log/tile/<path>` serves: the bytes of the tile at the asked
/// width, or `None` (404).
pub async fn tile(store: &AnyStore, path: &str) -> Result<Option<Vec<u8>>> {
    let Ok(tile) = concord_tlog::Tile::parse_path(path) else {
        return Ok(None);
    };
    let row = store.log_tiles(vec![tile.key()]).await?.pop().flatten();
    Ok(row.and_then(|stored| concord_tlog::serve(&tile, &stored).map(<[u8]>::to_vec)))
}

/// Inclusion proofs of leaves of this node's log in its tree of `size`
/// leaves, read from the stored tiles, in the order asked.
pub async fn inclusion_proofs(
    store: &AnyStore,
    size: u64,
    leaves: &[u64],
) -> Result<Vec<Vec<Hash>>> {
    let mut set = TileSet::new();
    let mut out = Vec::with_capacity(leaves.len());
    for &leaf in leaves {
        let proof = with_tiles(&mut set, &StoreSource(store), |t| {
            inclusion_proof(leaf, size, &mut TileNodes::new(t, size))
        })
        .await?;
        out.push(proof);
    }
    Ok(out)
}

/// What `concord log status` shows of this node's log.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The log's origin.
    pub origin: String,
    /// Entries in the log now.
    pub size: u64,
    /// The latest checkpoint: origin, size, root, when signed.
    pub checkpoint: Option<Value>,
    /// The witnesses whose cosignatures it carries.
    pub cosigned_by: Vec<String>,
}

/// The status of this node's log.
pub async fn status(store: &AnyStore, origin: &str) -> Result<Status> {
    let size = store.log_size().await?;
    let mut out = Status {
        origin: origin.to_string(),
        size,
        checkpoint: None,
        cosigned_by: Vec::new(),
    };
    if let Some(s) = latest(store).await? {
        let c = s.checkpoint()?;
        let cp = c.checkpoint();
        out.checkpoint = Some(serde_json::json!({
            "origin": cp.origin,
            "size": cp.size,
            "root": cp.root.to_base64(),
            "signed": Timestamp(s.signed_us).to_taxii(),
        }));
        for line in cosignatures(store, cp.size).await? {
            if let Some(name) = line
                .strip_prefix("\u{2014} ")
                .and_then(|l| l.split(' ').next())
            {
                out.cosigned_by.push(name.to_string());
            }
        }
    }
    Ok(out)
}

/// A nonce as carried in JSON: standard base64.
pub fn nonce_to_base64(nonce: &[u8; 32]) -> String {
    BASE64.encode(nonce)
}

/// A nonce from JSON.
pub fn nonce_from_base64(s: &str) -> Option<[u8; 32]> {
    BASE64.decode(s).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commitment_over_the_stored_text_is_the_library_s() {
        let o = serde_json::json!({"type": "indicator", "id": "indicator--1", "name": "é x", "b": [1, 2]});
        let map = o.as_object().unwrap().clone();
        let p = prepare_authored(map.clone()).unwrap();
        let Some(LogMark::Append { entry, nonce }) = &p.log else {
            panic!("no log mark")
        };
        let lib = concord_tlog::commitment(&map, nonce).unwrap();
        assert_eq!(*entry, Entry::Intel(lib).to_bytes());
        assert_eq!(commitment_of_text(p.json.as_bytes(), nonce), lib);
        let again = prepare_authored(map).unwrap();
        assert_ne!(again.log, p.log, "a fresh nonce each time");
    }
}
