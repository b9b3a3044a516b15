//! Offline exchange: `concord export --signed` writes this member's
//! objects as a STIX bundle that carries, for each, its log material and
//! inclusion proof under one checkpoint of the member's log
//! (`concord_tlog::build_bundle`); anyone holding the member's node key
//! checks all of it offline (`concord verify`), and `concord import` takes
//! it in only when it checks.

use concord_store::{AnyStore, LogMark, PreparedObject, Store, StoredObject};
use concord_tlog::{
    BundleItem, BundleReport, SignedCheckpoint, TlogError, build_bundle, verify_bundle,
};
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

/// Checks a signed bundle with the member's node key alone. When the
/// bundle's own signature fails because an object was changed, the error
/// names that object (the first that fails its own checks).
pub fn verify(bytes: &[u8], key: &PublicKey) -> Result<BundleReport> {
    match verify_bundle(bytes, key) {
        Ok(r) => Ok(r),
        Err(TlogError::Bundle(reason)) => Err(first_failing_object(bytes, key)
            .unwrap_or(TlogError::Bundle(reason))
            .into()),
        Err(e) => Err(e.into()),
    }
}

/// What an offline check (`concord verify`) found valid: a signed bundle,
/// or a piece of split-view evidence.
#[derive(Debug, Clone)]
pub enum Offline {
    /// A signed bundle.
    Bundle(BundleReport),
    /// Evidence that the member's log showed two views.
    Evidence(concord_tlog::EvidenceReport),
}

/// Checks a signed bundle or, when the document says it is one, a piece
/// of split-view evidence, with the member's node key alone.
pub fn verify_offline(bytes: &[u8], key: &PublicKey) -> std::result::Result<Offline, TlogError> {
    let evidence = serde_json::from_slice::<Value>(bytes)
        .ok()
        .filter(|v| v.get("type").and_then(Value::as_str) == Some(concord_tlog::EVIDENCE_TYPE));
    match evidence {
        Some(_) => concord_tlog::Evidence::from_json(bytes)
            .and_then(|e| e.verify(key))
            .map(Offline::Evidence),
        None => verify(bytes, key)
            .map(Offline::Bundle)
            .map_err(|e| match e {
                LogError::Tlog(t) => t,
                other => TlogError::Bundle(other.to_string()),
            }),
    }
}

impl Offline {
    /// What was checked, as `concord verify --json` prints it.
    pub fn to_json(&self) -> Value {
        match self {
            Offline::Evidence(r) => serde_json::json!({"evidence": true, "origin": r.origin,
                "sizes": [r.sizes.0, r.sizes.1], "roots": [r.roots.0.to_base64(), r.roots.1.to_base64()]}),
            Offline::Bundle(r) => serde_json::json!({"origin": r.origin, "size": r.size,
                "root": r.root.to_base64(), "objects": r.objects.len(), "cosignatures": r.other_signatures}),
        }
    }
}

impl std::fmt::Display for Offline {
    /// One line: what is valid, whose log, which sizes (the origin quoted
    /// as JSON).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Offline::Evidence(r) => write!(
                f,
                "valid evidence: {} signed two views ({} and {})",
                Value::from(r.origin.as_str()),
                r.sizes.0,
                r.sizes.1
            ),
            Offline::Bundle(r) => write!(
                f,
                "verified: {} objects signed by the key, included in {} under the checkpoint of size {}",
                r.objects.len(),
                Value::from(r.origin.as_str()),
                r.size
            ),
        }
    }
}

/// The first object of a bundle that fails its own checks (its provenance
/// signature by `key`, its commitment and inclusion under the bundle's
/// checkpoint), whatever the rest of the bundle says.
fn first_failing_object(bytes: &[u8], key: &PublicKey) -> Option<TlogError> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let log = v.get(concord_tlog::BUNDLE_PROPERTY)?;
    let checkpoint = SignedCheckpoint::parse(log.get("checkpoint")?.as_str()?.as_bytes()).ok()?;
    checkpoint.verify_by_member(key).ok()?;
    let (size, root) = (checkpoint.checkpoint().size, checkpoint.checkpoint().root);
    let objects = v.get("objects")?.as_array()?;
    let entries = log.get("entries")?.as_array()?;
    for (index, (o, e)) in objects.iter().zip(entries).enumerate() {
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let fail = |reason: TlogError| TlogError::BundleObject {
            index,
            id: id.clone(),
            reason: Box::new(reason),
        };
        let Some(map) = o.as_object() else {
            return Some(fail(TlogError::Bundle("not a JSON object".into())));
        };
        match concord_trust::verify_integrity(map) {
            Err(err) => return Some(fail(TlogError::Provenance(err))),
            Ok(claim) if claim.key != *key => {
                return Some(fail(TlogError::Bundle(
                    "signed by another key than the member's".into(),
                )));
            }
            Ok(_) => {}
        }
        let leaf = e
            .get("leaf_index")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX);
        let nonce = e
            .get("nonce")
            .and_then(Value::as_str)
            .and_then(crate::own::nonce_from_base64)
            .unwrap_or([0; 32]);
        let proof: Vec<concord_tlog::Hash> = e
            .get("inclusion_proof")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|h| {
                        h.as_str()
                            .and_then(|s| concord_tlog::Hash::from_base64(s).ok())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let included = concord_tlog::commitment(map, &nonce).and_then(|c| {
            concord_tlog::verify_inclusion(
                leaf,
                size,
                &concord_tlog::Entry::Intel(c).leaf_hash(),
                &proof,
                &root,
            )
        });
        if let Err(err) = included {
            return Some(fail(err));
        }
    }
    None
}

/// Whether `bytes` look like a signed bundle (a STIX bundle with the log
/// property), without checking anything.
pub fn is_signed_bundle(bytes: &[u8]) -> bool {
    // Every STIX file of an import is looked at: the SIMD search of memchr,
    // not a byte-by-byte window compare.
    memchr::memmem::find(bytes, concord_tlog::BUNDLE_PROPERTY.as_bytes()).is_some()
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
    let report = verify(bytes, &member.key)?;
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
        let checked = concord_stix::ingest::read_object(text.as_bytes(), &concord_pattern::Grammar)
            .map_err(|issues| {
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
