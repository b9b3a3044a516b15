//! Offline signed bundles: a member's objects with the proof that each is
//! in its log, for members on air-gapped or intermittent links.
//!
//! The format is a plain STIX 2.1 bundle with one extra top-level property,
//! `x_concord_log`, so STIX tools still read the objects (a bundle cannot
//! carry extensions; a custom property is how STIX 2.1 lets it carry more).
//! Tested: stix2-validator finds it valid (warning 401 names the custom
//! property), python-stix2 reads it with `allow_custom=True` and each
//! object without. A wrapping document was the alternative; it would hide
//! the objects from every STIX tool.
//!
//! ```json
//! {"type": "bundle", "id": "bundle--…", "objects": [ …signed objects… ],
//!  "x_concord_log": {
//!    "version": 1,
//!    "checkpoint": "<the signed checkpoint note>",
//!    "entries": [{"id": "…", "modified": "…", "leaf_index": 7,
//!                 "nonce": "<base64 32 bytes>", "inclusion_proof": ["<base64>", …]}, …],
//!    "signature": "<base64 Ed25519>"}}
//! ```
//!
//! `entries[i]` belongs to `objects[i]`. Each object carries its own
//! provenance signature (concord-trust checks it); the nonce and leaf index
//! rebuild its log entry, the inclusion proof ties the entry to the
//! checkpoint, and the checkpoint is signed by the member's node key under
//! its log origin. `signature` is the same key's signature over
//! `"concord/bundle/v1\n"` ‖ RFC 8785 JCS of the whole bundle without
//! `signature`, so no byte of the bundle (its id, the order of objects) is
//! unsigned.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use concord_trust::{Keypair, PublicKey};
use serde_json::{Map, Value, json};

use crate::TlogError;
use crate::checkpoint::SignedCheckpoint;
use crate::entry::{Entry, commitment};
use crate::hash::Hash;
use crate::merkle::verify_inclusion;

/// The top-level property that carries the log material.
pub const BUNDLE_PROPERTY: &str = "x_concord_log";
/// The domain prefix of the bundle signature.
pub const BUNDLE_SIGNATURE_PREFIX: &[u8] = b"concord/bundle/v1\n";
/// The largest bundle accepted (it is read whole).
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// One object to put in a bundle, with its log material.
#[derive(Debug, Clone)]
pub struct BundleItem<'a> {
    /// The signed object, as published.
    pub object: &'a Map<String, Value>,
    /// The nonce of its intel entry.
    pub nonce: [u8; 32],
    /// Its leaf index in the log.
    pub leaf_index: u64,
    /// Its inclusion proof in the tree of the bundle's checkpoint.
    pub proof: Vec<Hash>,
}

/// What a verified bundle holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReport {
    /// The log's origin (compare it with the member's `log_origin`).
    pub origin: String,
    /// The checkpoint's size.
    pub size: u64,
    /// The checkpoint's root.
    pub root: Hash,
    /// Each object, in order.
    pub objects: Vec<BundleObject>,
    /// Signature lines of the checkpoint other than the log's (witness
    /// cosignatures, not checked here: see
    /// [`SignedCheckpoint::cosignatures`]).
    pub other_signatures: usize,
}

/// One verified object of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleObject {
    /// Its `id`.
    pub id: String,
    /// Its `modified`, if it has one.
    pub modified: Option<String>,
    /// The member (STIX identity) its provenance names.
    pub signer: String,
    /// Its leaf index.
    pub leaf_index: u64,
}

fn envelope(reason: impl Into<String>) -> TlogError {
    TlogError::Bundle(reason.into())
}

/// Builds a signed bundle of `items` under `checkpoint`, signed with the
/// member's node `key` (the key of the checkpoint). The result is verified
/// before it is returned.
pub fn build_bundle(
    items: &[BundleItem<'_>],
    checkpoint: &SignedCheckpoint,
    key: &Keypair,
) -> Result<Vec<u8>, TlogError> {
    let objects: Vec<Value> = items
        .iter()
        .map(|i| Value::Object(i.object.clone()))
        .collect();
    let entries: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut e = Map::new();
            e.insert(
                "id".into(),
                i.object.get("id").cloned().unwrap_or(Value::Null),
            );
            if let Some(m) = i.object.get("modified") {
                e.insert("modified".into(), m.clone());
            }
            e.insert("leaf_index".into(), i.leaf_index.into());
            e.insert("nonce".into(), BASE64.encode(i.nonce).into());
            e.insert(
                "inclusion_proof".into(),
                i.proof.iter().map(|h| Value::from(h.to_base64())).collect(),
            );
            Value::Object(e)
        })
        .collect();
    let checkpoint_text = String::from_utf8(checkpoint.to_bytes())
        .map_err(|_| envelope("the checkpoint is not UTF-8"))?;
    let mut bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": objects,
        "x_concord_log": {
            "version": 1,
            "checkpoint": checkpoint_text,
            "entries": entries,
        }
    });
    let message = signing_input(
        bundle
            .as_object()
            .ok_or_else(|| envelope("not an object"))?,
    )?;
    let sig = BASE64.encode(key.sign(&message));
    if let Some(log) = bundle
        .get_mut(BUNDLE_PROPERTY)
        .and_then(Value::as_object_mut)
    {
        log.insert("signature".into(), sig.into());
    }
    let bytes = serde_json::to_vec(&bundle).map_err(|e| envelope(e.to_string()))?;
    verify_bundle(&bytes, &key.public())?;
    Ok(bytes)
}

fn signing_input(bundle: &Map<String, Value>) -> Result<Vec<u8>, TlogError> {
    let jcs = concord_stix::canonical::to_canonical_string_omitting(
        bundle,
        &[BUNDLE_PROPERTY, "signature"],
    )
    .map_err(|e| TlogError::Canonical(e.to_string()))?;
    let mut m = BUNDLE_SIGNATURE_PREFIX.to_vec();
    m.extend_from_slice(jcs.as_bytes());
    Ok(m)
}

/// Verifies an offline bundle with the member's node key alone: the
/// bundle signature, the checkpoint (signed by `key` under its origin),
/// then each object in order: its provenance signature (by `key`), its
/// entry rebuilt from the nonce and its inclusion under the checkpoint.
/// The first failing object is the error, with its index and id.
pub fn verify_bundle(bytes: &[u8], key: &PublicKey) -> Result<BundleReport, TlogError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(TlogError::Oversized {
            what: "bundle",
            size: bytes.len(),
            limit: MAX_BUNDLE_BYTES,
        });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| TlogError::Json {
        what: "bundle",
        reason: e.to_string(),
    })?;
    let bundle = value
        .as_object()
        .ok_or_else(|| envelope("not a JSON object"))?;
    if bundle.get("type").and_then(Value::as_str) != Some("bundle") {
        return Err(envelope("type is not \"bundle\""));
    }
    if !bundle
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id.starts_with("bundle--"))
    {
        return Err(envelope("id is not a bundle id"));
    }
    let objects = bundle
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| envelope("no objects array"))?;
    let log = bundle
        .get(BUNDLE_PROPERTY)
        .and_then(Value::as_object)
        .ok_or_else(|| envelope(format!("no {BUNDLE_PROPERTY} object")))?;
    for k in log.keys() {
        if !matches!(
            k.as_str(),
            "version" | "checkpoint" | "entries" | "signature"
        ) {
            return Err(envelope(format!(
                "{BUNDLE_PROPERTY}.{k} is not a known property"
            )));
        }
    }
    if log.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(envelope(format!("{BUNDLE_PROPERTY}.version is not 1")));
    }
    let sig = log
        .get("signature")
        .and_then(Value::as_str)
        .and_then(|s| BASE64.decode(s).ok())
        .and_then(|raw| <[u8; 64]>::try_from(raw).ok())
        .ok_or_else(|| {
            envelope(format!(
                "{BUNDLE_PROPERTY}.signature is not a base64 Ed25519 signature"
            ))
        })?;
    if !key.verify_strict(&signing_input(bundle)?, &sig) {
        return Err(envelope(
            "the bundle signature does not verify with the member's key",
        ));
    }
    let checkpoint = log
        .get("checkpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| envelope(format!("no {BUNDLE_PROPERTY}.checkpoint")))?;
    let checkpoint = SignedCheckpoint::parse(checkpoint.as_bytes())?;
    checkpoint.verify_by_member(key)?;
    let cp = checkpoint.checkpoint();
    let entries = log
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| envelope(format!("no {BUNDLE_PROPERTY}.entries array")))?;
    if entries.len() != objects.len() {
        return Err(envelope(format!(
            "{} entries for {} objects",
            entries.len(),
            objects.len()
        )));
    }
    let mut report = BundleReport {
        origin: cp.origin.clone(),
        size: cp.size,
        root: cp.root,
        objects: Vec::with_capacity(objects.len()),
        other_signatures: checkpoint.note().signatures().len().saturating_sub(1),
    };
    for (index, (object, entry)) in objects.iter().zip(entries).enumerate() {
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let checked = verify_object(object, entry, key, cp.size, &cp.root);
        match checked {
            Ok(o) => report.objects.push(o),
            Err(reason) => {
                return Err(TlogError::BundleObject {
                    index,
                    id,
                    reason: Box::new(reason),
                });
            }
        }
    }
    Ok(report)
}

fn verify_object(
    object: &Value,
    entry: &Value,
    key: &PublicKey,
    size: u64,
    root: &Hash,
) -> Result<BundleObject, TlogError> {
    let object = object
        .as_object()
        .ok_or_else(|| envelope("the object is not a JSON object"))?;
    let entry = entry
        .as_object()
        .ok_or_else(|| envelope("its entry is not a JSON object"))?;
    for k in entry.keys() {
        if !matches!(
            k.as_str(),
            "id" | "modified" | "leaf_index" | "nonce" | "inclusion_proof"
        ) {
            return Err(envelope(format!("entry property {k} is not known")));
        }
    }
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| envelope("the object has no id"))?;
    if entry.get("id").and_then(Value::as_str) != Some(id) {
        return Err(envelope("its entry names another id"));
    }
    let modified = object.get("modified").and_then(Value::as_str);
    if entry.get("modified").and_then(Value::as_str) != modified
        || entry.contains_key("modified") != object.contains_key("modified")
    {
        return Err(envelope("its entry names another modified"));
    }
    let claim = concord_trust::verify_integrity(object)?;
    if claim.key != *key {
        return Err(envelope(format!(
            "the object is signed by key {}, not by the member's node key",
            claim.key.key_id()
        )));
    }
    let leaf_index = entry
        .get("leaf_index")
        .and_then(Value::as_u64)
        .ok_or_else(|| envelope("leaf_index is not an unsigned integer"))?;
    let nonce: [u8; 32] = entry
        .get("nonce")
        .and_then(Value::as_str)
        .and_then(|s| BASE64.decode(s).ok())
        .and_then(|raw| raw.try_into().ok())
        .ok_or_else(|| envelope("nonce is not base64 of 32 bytes"))?;
    let proof = entry
        .get("inclusion_proof")
        .and_then(Value::as_array)
        .ok_or_else(|| envelope("no inclusion_proof array"))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            h.as_str()
                .ok_or_else(|| "not a string".to_string())
                .and_then(Hash::from_base64)
                .map_err(|e| envelope(format!("inclusion_proof[{i}]: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = Entry::Intel(commitment(object, &nonce)?).leaf_hash();
    verify_inclusion(leaf_index, size, &leaf, &proof, root)?;
    Ok(BundleObject {
        id: id.to_string(),
        modified: modified.map(str::to_string),
        signer: claim.signer,
        leaf_index,
    })
}
