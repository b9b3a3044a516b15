//! Offline exchange: `concord export --signed` writes this member's
//! objects as a STIX bundle that carries, for each, its log material and
//! inclusion proof under one checkpoint of the member's log
//! (`concord_tlog::build_bundle`); anyone holding the member's node key
//! checks all of it offline (`concord verify`), and `concord import` takes
//! it in only when it checks.

use concord_store::{AnyStore, LogMark, PreparedObject, Store, StoredObject};
use concord_tlog::{BundleItem, BundleReport, SignedCheckpoint, build_bundle, verify_bundle};
use concord_trust::{Keypair, PublicKey};
use serde_json::{Map, Value};

use crate::directory::Directory;
use crate::own::{inclusion_proofs, served_checkpoint};
use crate::{LogError, Result};

/// What a signed export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// Objects in the bundle.
    pub objects: usize,
    /// Objects left out: not authored here, not in the log, or logged after
    /// the latest checkpoint.
    pub left_out: usize,
    /// The checkpoint's size.
    pub size: u64,
}

/// A signed bundle of `objects` (the caller's selection) under this node's
/// latest checkpoint: only versions this member authored and its log holds
/// under that checkpoint go in.
pub async fn export(
    store: &AnyStore,
    key: &Keypair,
    objects: Vec<StoredObject>,
) -> Result<(Vec<u8>, Exported)> {
    let Some(checkpoint) = served_checkpoint(store).await? else {
        return Err(LogError::Refused(
            "this node's log has no checkpoint yet: `concord serve` signs one every checkpoint interval"
                .into(),
        ));
    };
    let size = checkpoint.checkpoint().size;
    let total = objects.len();
    let logged = store
        .logged_versions(
            objects
                .iter()
                .map(|o| (o.id.clone(), o.version.clone()))
                .collect(),
            true,
        )
        .await?;
    let me = key.public();
    let mut chosen: Vec<(Map<String, Value>, u64, [u8; 32])> = Vec::new();
    for l in logged {
        if l.leaf >= size {
            continue;
        }
        let Ok(map) = concord_stix::json::parse_object(l.object.json.as_bytes()) else {
            continue;
        };
        // Only versions signed by this node: received ones carry their
        // author's leaves, not this log's.
        match concord_trust::read_provenance(&map) {
            Ok(claim) if claim.key == me => chosen.push((map, l.leaf, l.nonce)),
            _ => continue,
        }
    }
    chosen.sort_by_key(|c| c.1);
    let leaves: Vec<u64> = chosen.iter().map(|c| c.1).collect();
    let proofs = inclusion_proofs(store, size, &leaves).await?;
    let items: Vec<BundleItem<'_>> = chosen
        .iter()
        .zip(proofs)
        .map(|((object, leaf, nonce), proof)| BundleItem {
            object,
            nonce: *nonce,
            leaf_index: *leaf,
            proof,
        })
        .collect();
    let bytes = build_bundle(&items, &checkpoint, key)?;
    Ok((
        bytes,
        Exported {
            objects: items.len(),
            left_out: total - items.len(),
            size,
        },
    ))
}

/// Checks a signed bundle with the member's node key alone.
pub fn verify(bytes: &[u8], key: &PublicKey) -> Result<BundleReport> {
    Ok(verify_bundle(bytes, key)?)
}

/// Whether `bytes` look like a signed bundle (a STIX bundle with the log
/// property), without checking anything.
pub fn is_signed_bundle(bytes: &[u8]) -> bool {
    memchr_like(bytes, concord_tlog::BUNDLE_PROPERTY.as_bytes())
}

fn memchr_like(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A signed bundle from another member, checked with that member's key
/// (found by the checkpoint's origin): the objects ready to store with
/// their log material, and the report.
pub fn take_in(
    bytes: &[u8],
    directory: &Directory,
) -> Result<(Vec<PreparedObject>, BundleReport, SignedCheckpoint)> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| LogError::Refused(format!("the bundle is not JSON: {e}")))?;
    let note = value
        .get(concord_tlog::BUNDLE_PROPERTY)
        .and_then(|l| l.get("checkpoint"))
        .and_then(Value::as_str)
        .ok_or_else(|| LogError::Refused("the bundle carries no checkpoint".into()))?;
    let checkpoint = SignedCheckpoint::parse(note.as_bytes())?;
    let origin = &checkpoint.checkpoint().origin;
    let member = directory.by_origin(origin).ok_or_else(|| {
        LogError::Refused(format!(
            "the bundle is from the log {origin:?}, which is no member's (see `concord peer list`)"
        ))
    })?;
    let report = verify_bundle(bytes, &member.key)?;
    let objects = value
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| LogError::Refused("the bundle has no objects".into()))?;
    let entries = value
        .get(concord_tlog::BUNDLE_PROPERTY)
        .and_then(|l| l.get("entries"))
        .and_then(Value::as_array)
        .ok_or_else(|| LogError::Refused("the bundle has no entries".into()))?;
    let mut out = Vec::with_capacity(objects.len());
    for (o, e) in objects.iter().zip(entries) {
        let text = o.to_string();
        let checked = concord_stix::ingest::read_object(text.as_bytes()).map_err(|issues| {
            LogError::Refused(format!(
                "{}: not valid STIX: {}",
                o.get("id").and_then(Value::as_str).unwrap_or("?"),
                issues.first().map(|i| i.to_string()).unwrap_or_default()
            ))
        })?;
        let leaf = e.get("leaf_index").and_then(Value::as_u64).unwrap_or(0);
        let nonce = e
            .get("nonce")
            .and_then(Value::as_str)
            .and_then(crate::own::nonce_from_base64)
            .ok_or_else(|| LogError::Refused("an entry has no nonce".into()))?;
        out.push(
            PreparedObject::new(&checked.object, text).with_log(LogMark::Received { leaf, nonce }),
        );
    }
    Ok((out, report, checkpoint))
}
