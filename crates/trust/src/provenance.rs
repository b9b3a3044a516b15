//! Provenance signatures on STIX objects.
//!
//! Each object *version* is signed once by its author node, and relays
//! forward the author's bytes unchanged, so a signature never has to cover a
//! mutable container (MISP's whole-event signatures fight later edits,
//! FEDERATION.md section 4). The signature travels inside the object as a
//! STIX 2.1 property extension, so any TAXII client sees valid STIX:
//!
//! ```json
//! "extensions": {"extension-definition--f9e3a21e-…": {
//!     "extension_type": "property-extension",
//!     "signer": "identity--…", "key": "<64 hex public key>", "sig": "<base64>"}}
//! ```
//!
//! The signed bytes are the RFC 8785 canonical JSON of the whole object with
//! only `sig` removed. `signer` and `key` are therefore signed too: nobody
//! can re-attribute a signed object to another member without breaking it.
//! Ed25519 signing is deterministic, so signing one version twice with one
//! key gives the same bytes.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use crate::keys::{KeyId, Keypair, PublicKey};
use crate::{TrustError, VerifiedCharter};

/// The fixed id of concord's provenance extension definition.
pub const PROVENANCE_EXTENSION_ID: &str =
    "extension-definition--f9e3a21e-ae23-4100-adb4-4852e951cfd9";

/// The STIX identity that authors concord's extension definitions.
pub const CONCORD_IDENTITY_ID: &str = "identity--1b617eed-d2fb-47e4-bd60-ac2265742e02";

/// When concord's extension definitions were first published; they are
/// never re-versioned in place (a new meaning would get a new id).
pub(crate) const DEFINITIONS_CREATED: &str = "2026-11-25T00:00:00.000Z";

/// The `extension-definition` object for the provenance extension, to be
/// served by every node so that consumers can look the extension up.
pub fn provenance_extension_definition() -> Map<String, Value> {
    let v = json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": PROVENANCE_EXTENSION_ID,
        "created_by_ref": CONCORD_IDENTITY_ID,
        "created": DEFINITIONS_CREATED,
        "modified": DEFINITIONS_CREATED,
        "name": "concord provenance signature",
        "description": "The author node's Ed25519 signature over this object version.",
        "schema": "Property extension with: signer (string, STIX identity id of the authoring \
                   member), key (string, 64 hex digits: the raw Ed25519 public key of the author \
                   node), sig (string, base64 of the 64-byte Ed25519 signature over the RFC 8785 \
                   canonical JSON of the whole object with this extension's sig property removed).",
        "version": "1.0.0",
        "extension_types": ["property-extension"]
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The keys a node trusts to sign objects, each with the member it belongs
/// to. The node fills it from its configuration today and from the charter
/// and node-key delegations once governance is on
/// ([`TrustedKeySet::from_charter`]).
pub trait TrustedKeys {
    /// The member (STIX identity id) a key belongs to, if it is trusted.
    fn owner_of(&self, key: &KeyId) -> Option<&str>;
}

/// A plain map from key id to member.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeySet {
    owners: HashMap<KeyId, String>,
}

impl TrustedKeySet {
    /// An empty set: no key is trusted.
    pub fn new() -> TrustedKeySet {
        TrustedKeySet::default()
    }

    /// Trusts `key` for `member`. A key belongs to one member only: adding
    /// it for a second member is refused rather than silently re-assigned.
    pub fn insert(&mut self, member: &str, key: &PublicKey) -> Result<(), TrustError> {
        let id = key.key_id();
        match self.owners.get(&id) {
            Some(owner) if owner != member => Err(TrustError::DuplicateKey {
                key_id: id.to_hex(),
                first: owner.clone(),
                second: member.to_string(),
            }),
            _ => {
                self.owners.insert(id, member.to_string());
                Ok(())
            }
        }
    }

    /// Forgets every key of `member` (a removed member's new objects then
    /// fail with `UnknownKey`).
    pub fn remove_member(&mut self, member: &str) {
        self.owners.retain(|_, m| m != member);
    }

    /// The number of trusted keys.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// The node keys certified by valid delegations from members of
    /// `charter`, keyed to each member's STIX identity id. Delegations that
    /// do not verify at `now` are returned with their reason, not trusted.
    pub fn from_charter(
        charter: &VerifiedCharter,
        delegations: &[crate::Delegation],
        now: concord_stix::Timestamp,
    ) -> (TrustedKeySet, Vec<(usize, TrustError)>) {
        let mut set = TrustedKeySet::new();
        let mut rejected = Vec::new();
        for (i, d) in delegations.iter().enumerate() {
            let result = d.verify(charter, now).and_then(|v| {
                let identity = charter
                    .charter()
                    .members
                    .get(&v.member)
                    .map(|m| m.identity.clone())
                    .unwrap_or_default();
                set.insert(&identity, &v.node_key)
            });
            if let Err(e) = result {
                rejected.push((i, e));
            }
        }
        (set, rejected)
    }
}

impl TrustedKeys for TrustedKeySet {
    fn owner_of(&self, key: &KeyId) -> Option<&str> {
        self.owners.get(key).map(String::as_str)
    }
}

/// Who signed an object version, once its signature is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The signer: the STIX identity id of the member the key belongs to.
    pub signer: String,
    /// The node key that signed.
    pub key: PublicKey,
    /// Its id.
    pub key_id: KeyId,
}

/// Signs one object version as `signer` (the member's STIX identity id)
/// with the node key. Any earlier provenance extension is replaced; every
/// other property, known or not, is kept as it is. Set the audience
/// extension *before* signing: it is part of the signed bytes.
pub fn sign_object(
    object: &Map<String, Value>,
    signer: &str,
    key: &Keypair,
) -> Result<Map<String, Value>, TrustError> {
    sign_owned(object.clone(), signer, key)
}

/// [`sign_object`] of an object the caller gives up (no copy of it is
/// made: publishing signs every object it converts).
pub fn sign_owned(
    mut out: Map<String, Value>,
    signer: &str,
    key: &Keypair,
) -> Result<Map<String, Value>, TrustError> {
    if concord_stix::id::StixId::parse(signer)
        .map(|id| id.object_type != "identity")
        .unwrap_or(true)
    {
        return Err(crate::error::field(
            "signer",
            format!("{signer:?} is not a STIX identity id"),
        ));
    }
    let extensions = match out
        .entry("extensions")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(m) => m,
        _ => {
            return Err(TrustError::MalformedExtension {
                path: "$.extensions".into(),
                reason: "'extensions' is not an object".into(),
            });
        }
    };
    let mut ext = Map::new();
    ext.insert("extension_type".into(), "property-extension".into());
    ext.insert("signer".into(), signer.into());
    ext.insert("key".into(), key.public().to_hex().into());
    extensions.insert(PROVENANCE_EXTENSION_ID.into(), Value::Object(ext));
    let message = signing_input(&out)?;
    let sig = BASE64.encode(key.sign(message.as_bytes()));
    if let Some(Value::Object(ext)) =
        extensions_mut(&mut out).and_then(|e| e.get_mut(PROVENANCE_EXTENSION_ID))
    {
        ext.insert("sig".into(), sig.into());
    }
    // Members in canonical order (byte order is JCS order for STIX's
    // ASCII property names): every node that verifies this object sorts
    // its members to rebuild the signed bytes, and sorting sorted members
    // costs one comparison each.
    let mut value = Value::Object(out);
    value.sort_all_objects();
    match value {
        Value::Object(out) => Ok(out),
        _ => Err(TrustError::Canonical(
            "a signed object is a JSON object".into(),
        )),
    }
}

fn extensions_mut(object: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    object.get_mut("extensions").and_then(Value::as_object_mut)
}

/// The canonical JSON of `object` as it is (the caller has removed `sig`).
fn signing_input(object: &Map<String, Value>) -> Result<String, TrustError> {
    concord_stix::canonical::to_canonical_string_omitting(object, &[])
        .map_err(|e| TrustError::Canonical(e.to_string()))
}

/// The provenance extension of an object as it claims to be, before any
/// check of the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenanceClaim {
    /// The `signer` the extension names (a STIX identity id, unchecked).
    pub signer: String,
    /// The `key` the extension carries (decoded; weak keys refused).
    pub key: PublicKey,
    /// The `sig`, decoded from base64 (unchecked).
    pub sig: [u8; 64],
}

fn malformed(field: &str, reason: impl Into<String>) -> TrustError {
    TrustError::MalformedExtension {
        path: format!("$.extensions.{PROVENANCE_EXTENSION_ID}.{field}"),
        reason: reason.into(),
    }
}

/// Reads the provenance extension: `Unsigned` when there is none,
/// `MalformedExtension` (with the JSON path) when it is not well formed.
pub fn read_provenance(object: &Map<String, Value>) -> Result<ProvenanceClaim, TrustError> {
    read_claim(object, &mut |hex| PublicKey::from_hex(hex))
}

/// Only the `signer` a provenance extension names, without decoding the
/// key or the signature: enough to tell authored from relayed objects on
/// the way out (the signature was checked on the way in).
pub fn signer_of(object: &Map<String, Value>) -> Option<&str> {
    object
        .get("extensions")?
        .get(PROVENANCE_EXTENSION_ID)?
        .get("signer")?
        .as_str()
}

fn read_claim(
    object: &Map<String, Value>,
    key_of: &mut dyn FnMut(&str) -> Result<PublicKey, TrustError>,
) -> Result<ProvenanceClaim, TrustError> {
    let ext = crate::extension::property_extension(object, PROVENANCE_EXTENSION_ID)?
        .ok_or(TrustError::Unsigned)?;
    let text = |name: &str| {
        ext.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(name, "a string is required"))
    };
    let signer = text("signer")?.to_string();
    let key = key_of(text("key")?).map_err(|e| malformed("key", e.to_string()))?;
    let raw = BASE64
        .decode(text("sig")?)
        .map_err(|e| malformed("sig", format!("not base64: {e}")))?;
    let sig: [u8; 64] = raw
        .try_into()
        .map_err(|_| malformed("sig", "an Ed25519 signature has 64 bytes"))?;
    Ok(ProvenanceClaim { signer, key, sig })
}

/// Checks that the embedded signature matches the object's bytes, without
/// asking whether the key is trusted (used to tell a tampered relay from an
/// unknown author, and by [`verify_object`]).
pub fn verify_integrity(object: &Map<String, Value>) -> Result<ProvenanceClaim, TrustError> {
    let claim = read_provenance(object)?;
    check_signature(object, &claim)?;
    Ok(claim)
}

fn check_signature(object: &Map<String, Value>, claim: &ProvenanceClaim) -> Result<(), TrustError> {
    let message = unsigned_message(object)?;
    if !claim.key.verify_strict(message.as_bytes(), &claim.sig) {
        return Err(TrustError::BadSignature {
            key_id: claim.key.key_id().to_hex(),
        });
    }
    Ok(())
}

/// [`verify_object`] for many objects at once, with the same verdicts for
/// valid signatures: keys are decoded once per batch, and the signatures
/// that pass the other checks are verified together with Ed25519 batch
/// verification, falling back to one-by-one strict verification when the
/// batch fails (so a bad signature is still named). Keys are trusted
/// member keys, never weak ones: batch and strict verification agree on
/// them for every signature an honest signer makes. They can disagree on
/// a signature whose R had a small-torsion point added by someone else
/// (the cofactorless batch equation then holds for some random `z`): the
/// signed content is the same, but two receivers may keep different
/// signature bytes for one version. A cofactored equation on both paths
/// would remove that; it is an open decision, not an oversight.
pub fn verify_objects(
    objects: &[&Map<String, Value>],
    trusted: &impl TrustedKeys,
) -> Vec<Result<Provenance, TrustError>> {
    let mut keys: HashMap<String, PublicKey> = HashMap::new();
    // Key ids are SHA-256 digests: computed once per key, not per object.
    let mut key_ids: HashMap<[u8; 32], KeyId> = HashMap::new();
    let mut key_id_of = |key: &PublicKey| {
        *key_ids
            .entry(key.0.to_bytes())
            .or_insert_with(|| key.key_id())
    };
    let mut out: Vec<Result<Provenance, TrustError>> = Vec::with_capacity(objects.len());
    // (index in `out`, message, claim) of the signatures left to check.
    let mut pending: Vec<(usize, String, ProvenanceClaim)> = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        let claim = read_claim(object, &mut |hex| {
            if let Some(k) = keys.get(hex) {
                return Ok(*k);
            }
            let k = PublicKey::from_hex(hex)?;
            keys.insert(hex.to_string(), k);
            Ok(k)
        });
        let checked = claim.and_then(|claim| {
            let key_id = key_id_of(&claim.key);
            let owner = trusted
                .owner_of(&key_id)
                .ok_or_else(|| TrustError::UnknownKey {
                    key_id: key_id.to_hex(),
                })?;
            if owner != claim.signer {
                return Err(TrustError::SignerMismatch {
                    signer: claim.signer.clone(),
                    key_id: key_id.to_hex(),
                    owner: owner.to_string(),
                });
            }
            let message = unsigned_message(object)?;
            Ok((message, claim))
        });
        match checked {
            Ok((message, claim)) => {
                out.push(Err(TrustError::Unsigned));
                pending.push((i, message, claim));
            }
            Err(e) => out.push(Err(e)),
        }
    }
    let batch_ok = pending.len() > 1 && {
        // The batch's distinct keys, each decompressed once and checked
        // for weakness once (a small-order test costs three doublings).
        let mut distinct: Vec<[u8; 32]> = Vec::new();
        let mut weak = false;
        let mut index: HashMap<[u8; 32], usize> = HashMap::new();
        let items: Vec<crate::batch::Item> = pending
            .iter()
            .map(|(_, message, claim)| {
                let bytes = claim.key.0.to_bytes();
                let key = *index.entry(bytes).or_insert_with(|| {
                    weak |= claim.key.0.is_weak();
                    distinct.push(bytes);
                    distinct.len() - 1
                });
                crate::batch::Item {
                    message: message.as_bytes(),
                    sig: &claim.sig,
                    key,
                }
            })
            .collect();
        !weak && crate::batch::verify(&items, &distinct)
    };
    for (i, message, claim) in pending {
        let verdict = if batch_ok || claim.key.verify_strict(message.as_bytes(), &claim.sig) {
            Ok(Provenance {
                key_id: key_id_of(&claim.key),
                signer: claim.signer,
                key: claim.key,
            })
        } else {
            Err(TrustError::BadSignature {
                key_id: claim.key.key_id().to_hex(),
            })
        };
        if let Some(slot) = out.get_mut(i) {
            *slot = verdict;
        }
    }
    out
}

/// The signing input of a signed object: its canonical JSON without the
/// provenance extension's `sig`, written with that member left out (no
/// copy of the object: copying was a tenth of the time of a bulk
/// verification).
fn unsigned_message(object: &Map<String, Value>) -> Result<String, TrustError> {
    concord_stix::canonical::to_canonical_string_omitting(
        object,
        &["extensions", PROVENANCE_EXTENSION_ID, "sig"],
    )
    .map_err(|e| TrustError::Canonical(e.to_string()))
}

/// Verifies an object's provenance against the trusted keys: the key must
/// be trusted, it must belong to the member the object names as signer, and
/// the signature must hold (strict Ed25519) over the object's canonical JSON.
pub fn verify_object(
    object: &Map<String, Value>,
    trusted: &impl TrustedKeys,
) -> Result<Provenance, TrustError> {
    let claim = read_provenance(object)?;
    let key_id = claim.key.key_id();
    let owner = trusted
        .owner_of(&key_id)
        .ok_or_else(|| TrustError::UnknownKey {
            key_id: key_id.to_hex(),
        })?;
    if owner != claim.signer {
        return Err(TrustError::SignerMismatch {
            signer: claim.signer,
            key_id: key_id.to_hex(),
            owner: owner.to_string(),
        });
    }
    check_signature(object, &claim)?;
    Ok(Provenance {
        signer: claim.signer,
        key: claim.key,
        key_id,
    })
}

#[cfg(test)]
mod tests;
