//! The charter document (FEDERATION.md section 1): TUF root metadata
//! reshaped for members.
//!
//! A charter travels as `{"signed": {...}, "signatures": [...]}`. Every
//! signature is Ed25519 over `"concord-charter-v1\n"` ‖ JCS(`signed`), and
//! the charter's hash (the `previous` of the next version, the genesis hash
//! given out of band, a proposal's id) is SHA-256 of that same signing
//! input, so it does not depend on who signed.
//!
//! Signatures are checked over the canonical form of the `signed` value *as
//! received*; the typed [`Charter`] is decoded from that same value with
//! unknown fields refused, so what is verified and what is used can never
//! differ.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::TrustError;
use crate::error::field;
use crate::keys::{KeyId, Keypair, PublicKey};

/// The `_type` of a charter's `signed` value.
pub const CHARTER_TYPE: &str = "concord/charter";
/// The domain-separation prefix of a charter's signing input.
pub const CHARTER_CONTEXT: &[u8] = b"concord-charter-v1\n";
/// Larger charters are refused before parsing (TUF's "endless data").
pub const MAX_CHARTER_BYTES: usize = 256 * 1024;
/// JCS writes numbers as IEEE doubles (DEPENDENCIES.md pitfall 4): every
/// integer of a signed document must stay exact in one.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The minimum (and default) quorum for `n` members: floor(2n/3)+1, the
/// smallest q for which two quorums always share an honest member while
/// fewer than a third misbehave (FEDERATION.md section 3).
pub fn min_quorum(members: u64) -> u64 {
    members.saturating_mul(2) / 3 + 1
}

/// A SHA-256 over a governance signing input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocHash(pub [u8; 32]);

impl DocHash {
    /// SHA-256 of `message` (a signing input).
    pub fn of(message: &[u8]) -> DocHash {
        DocHash(Sha256::digest(message).into())
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads 64 hex digits (either case); anything else is a
    /// [`TrustError::Field`] on `hash`.
    pub fn from_hex(s: &str) -> Result<DocHash, TrustError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)
            .map_err(|e| field("hash", format!("expected 64 hex digits: {e}")))?;
        Ok(DocHash(out))
    }
}

impl std::fmt::Display for DocHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The `signed` part of a charter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    /// `_type`: always [`CHARTER_TYPE`].
    #[serde(rename = "_type")]
    pub doc_type: String,
    /// The charter format's version: always "1".
    pub spec_version: String,
    /// 32 lowercase hex digits, fixed at genesis.
    pub community: String,
    /// 1 for the genesis, then +1 per adopted update (at most 2^53-1).
    pub version: u64,
    /// Hex SHA-256 of the previous version's signing input; absent in the
    /// genesis only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// A STIX timestamp (`YYYY-MM-DDTHH:MM:SS[.s+]Z`).
    pub expires: String,
    /// How many members must sign the next version.
    pub quorum: Quorum,
    /// The members by member id (1 to 100 of `A-Za-z0-9-_.:`).
    pub members: BTreeMap<String, Member>,
    /// Named sets of member ids that audiences may name instead of members;
    /// a group name is never also a member id.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Community-wide defaults.
    pub policy: Policy,
}

/// The signature threshold of charter updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quorum {
    /// Distinct members whose signatures make a version valid.
    pub threshold: u64,
}

/// One member of the community, as its charter describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member's STIX `identity` id: the `signer` of its objects.
    pub identity: String,
    /// The organisation's name, for people (1 to 256 bytes).
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Governance keys by key id (the id is recomputed and checked).
    pub keys: BTreeMap<String, KeyEntry>,
    /// How many of its own keys must sign for the member to count once.
    pub key_threshold: u64,
    /// TAXII API roots of the member's node(s).
    pub endpoints: Vec<String>,
    /// The origin line of the member's log checkpoints (1 to 256 bytes;
    /// `concord/<community>/<member>` by default); unique in the charter.
    pub log_origin: String,
    /// The online node keys the member's node(s) sign objects and
    /// authenticate to peers with, by key id (recomputed and checked like
    /// the governance keys).
    ///
    /// Why here as well as in delegations: a community is founded from a
    /// list that already names each member's node key, and a newcomer is
    /// admitted with one, so the quorum that admits a member also vouches
    /// for its first node key and peers can authenticate it from the
    /// charter alone, with no delegation in flight yet. Later rotations go
    /// through governance-signed [`crate::Delegation`]s and need no vote.
    /// Absent (and not serialised) when empty, so charters that name no
    /// node key keep their exact form and hash.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_keys: BTreeMap<String, KeyEntry>,
}

/// A public key as a charter lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The algorithm: always "ed25519".
    pub keytype: String,
    /// 64 hex digits: the raw 32-byte Ed25519 public key.
    pub public: String,
}

impl KeyEntry {
    /// The entry of an Ed25519 key.
    pub fn ed25519(key: &PublicKey) -> KeyEntry {
        KeyEntry {
            keytype: "ed25519".into(),
            public: key.to_hex(),
        }
    }
}

/// Community-wide sharing and logging defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Member cosignatures that make a checkpoint community-confirmed.
    pub witness_threshold: u64,
    /// Seconds between two checkpoints of a member's log (1 to 2^53-1).
    pub checkpoint_interval_s: u64,
    /// What a node shares when its own policy says nothing.
    pub default_egress: DefaultEgress,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            witness_threshold: 1,
            checkpoint_interval_s: 60,
            default_egress: DefaultEgress::Deny,
        }
    }
}

/// The widest TLP a node shares by default; `deny` shares nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultEgress {
    /// Share nothing.
    Deny,
    /// Share TLP:CLEAR.
    Clear,
    /// Share TLP:CLEAR and TLP:GREEN.
    Green,
}

/// One entry of `signatures`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharterSignature {
    /// The member id of the signer.
    pub member: String,
    /// The hex key id of the key used (a pointer only: the key is looked up
    /// in the charter and its id recomputed).
    pub keyid: String,
    /// The Ed25519 signature over the signing input, in standard base64.
    pub sig: String,
}

/// A signed governance document as it travels: the `signed` value exactly
/// as received and its signatures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The signed document, exactly as received (signatures are checked
    /// over its canonical form).
    pub signed: Value,
    /// The signatures, in any order.
    pub signatures: Vec<CharterSignature>,
}

impl Envelope {
    /// Reads an envelope: the size limit is checked before any parsing,
    /// then strict JSON (no duplicate keys anywhere).
    pub fn from_bytes(bytes: &[u8], limit: usize) -> Result<Envelope, TrustError> {
        if bytes.len() > limit {
            return Err(TrustError::Oversized {
                size: bytes.len(),
                limit,
            });
        }
        let value = concord_stix::json::parse_value(bytes)?;
        serde_json::from_value(value).map_err(|e| TrustError::Schema(e.to_string()))
    }

    /// Compact JSON of the envelope.
    pub fn to_bytes(&self) -> Result<Vec<u8>, TrustError> {
        serde_json::to_vec(self).map_err(|e| TrustError::Schema(e.to_string()))
    }

    /// `context` ‖ JCS(`signed`).
    pub fn signing_input(&self, context: &[u8]) -> Result<Vec<u8>, TrustError> {
        signing_input(context, &self.signed)
    }

    /// Adds `member`'s signature made with `key`. Signing twice with one
    /// key is a no-op (Ed25519 is deterministic, the entry is the same).
    pub fn sign(&mut self, context: &[u8], member: &str, key: &Keypair) -> Result<(), TrustError> {
        let message = self.signing_input(context)?;
        let entry = CharterSignature {
            member: member.to_string(),
            keyid: key.key_id().to_hex(),
            sig: encode_sig(&key.sign(&message)),
        };
        if !self.signatures.contains(&entry) {
            self.signatures.push(entry);
        }
        Ok(())
    }
}

pub(crate) fn signing_input(context: &[u8], signed: &Value) -> Result<Vec<u8>, TrustError> {
    let jcs = concord_stix::canonical::to_canonical_string(signed)
        .map_err(|e| TrustError::Canonical(e.to_string()))?;
    let mut out = Vec::with_capacity(context.len() + jcs.len());
    out.extend_from_slice(context);
    out.extend_from_slice(jcs.as_bytes());
    Ok(out)
}

pub(crate) fn encode_sig(sig: &[u8; 64]) -> String {
    BASE64.encode(sig)
}

/// Decodes a base64 Ed25519 signature.
pub(crate) fn decode_sig(sig: &str) -> Option<[u8; 64]> {
    BASE64.decode(sig).ok()?.try_into().ok()
}

/// Who owns each key of a charter, built while its invariants are checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyIndex {
    owners: HashMap<KeyId, (String, PublicKey)>,
}

impl KeyIndex {
    /// The member and public key behind a key id.
    pub fn get(&self, key: &KeyId) -> Option<(&str, &PublicKey)> {
        self.owners.get(key).map(|(m, k)| (m.as_str(), k))
    }
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Member ids and group names: short, printable and unambiguous in paths
/// (`log_origin`) and audience lists.
fn is_name(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

impl Charter {
    /// Checks every invariant of one charter version on its own and
    /// returns the owner of each key. Rules that relate two versions live
    /// in `verify`.
    pub fn check(&self) -> Result<KeyIndex, TrustError> {
        if self.doc_type != CHARTER_TYPE {
            return Err(field("_type", format!("must be {CHARTER_TYPE:?}")));
        }
        if self.spec_version != "1" {
            return Err(field("spec_version", "only \"1\" is understood"));
        }
        if !is_lower_hex(&self.community, 32) {
            return Err(field("community", "32 lowercase hex digits"));
        }
        if self.version == 0 || self.version > MAX_SAFE_INTEGER {
            return Err(field("version", "1 to 2^53-1"));
        }
        match (&self.previous, self.version) {
            (None, 1) => {}
            (Some(_), 1) => return Err(field("previous", "the genesis has no previous")),
            (None, _) => return Err(field("previous", "required after the genesis")),
            (Some(p), _) if !is_lower_hex(p, 64) => {
                return Err(field("previous", "64 lowercase hex digits"));
            }
            (Some(_), _) => {}
        }
        concord_stix::Timestamp::parse(&self.expires)
            .map_err(|e| field("expires", e.to_string()))?;
        let n = self.members.len() as u64;
        if n == 0 {
            return Err(TrustError::NoMembers);
        }
        let minimum = min_quorum(n);
        if self.quorum.threshold < minimum {
            return Err(TrustError::BelowMinimumQuorum {
                threshold: self.quorum.threshold,
                minimum,
                members: n,
            });
        }
        if self.quorum.threshold > n {
            return Err(TrustError::QuorumAboveMembers {
                threshold: self.quorum.threshold,
                members: n,
            });
        }
        let mut index = KeyIndex::default();
        let mut identities: HashMap<&str, &str> = HashMap::new();
        let mut origins: HashMap<&str, &str> = HashMap::new();
        // A node key speaks for one member only.
        let mut node_keys: HashMap<KeyId, String> = HashMap::new();
        for (id, m) in &self.members {
            check_member(id, m)?;
            for (what, value, seen) in [
                ("identity", m.identity.as_str(), &mut identities),
                ("log_origin", m.log_origin.as_str(), &mut origins),
            ] {
                if let Some(first) = seen.insert(value, id) {
                    return Err(TrustError::Duplicate {
                        what,
                        value: value.to_string(),
                        first: first.to_string(),
                        second: id.clone(),
                    });
                }
            }
            for (listed, entry) in &m.keys {
                let key = PublicKey::from_hex(&entry.public)
                    .map_err(|e| field(format!("members.{id}.keys.{listed}"), e.to_string()))?;
                let computed = key.key_id();
                if computed.to_hex() != *listed {
                    return Err(TrustError::KeyIdMismatch {
                        member: id.clone(),
                        listed: listed.clone(),
                        computed: computed.to_hex(),
                    });
                }
                if let Some((first, _)) = index.owners.get(&computed) {
                    return Err(TrustError::DuplicateKey {
                        key_id: computed.to_hex(),
                        first: first.clone(),
                        second: id.clone(),
                    });
                }
                index.owners.insert(computed, (id.clone(), key));
            }
            for (listed, entry) in &m.node_keys {
                let at = format!("members.{id}.node_keys.{listed}");
                if entry.keytype != "ed25519" {
                    return Err(field(at, "keytype must be \"ed25519\""));
                }
                let key =
                    PublicKey::from_hex(&entry.public).map_err(|e| field(&at, e.to_string()))?;
                let computed = key.key_id();
                if computed.to_hex() != *listed {
                    return Err(TrustError::KeyIdMismatch {
                        member: id.clone(),
                        listed: listed.clone(),
                        computed: computed.to_hex(),
                    });
                }
                if let Some(first) = node_keys.insert(computed, id.clone()) {
                    return Err(TrustError::DuplicateKey {
                        key_id: computed.to_hex(),
                        first,
                        second: id.clone(),
                    });
                }
            }
        }
        for (name, list) in &self.groups {
            if !is_name(name) {
                return Err(field(format!("groups.{name}"), "not a valid group name"));
            }
            if self.members.contains_key(name) {
                // Audiences mix member ids and group names: one name must
                // not mean both.
                return Err(field(format!("groups.{name}"), "a member has this id"));
            }
            for m in list {
                if !self.members.contains_key(m) {
                    return Err(field(
                        format!("groups.{name}"),
                        format!("{m} is not a member"),
                    ));
                }
            }
        }
        if self.policy.witness_threshold > n {
            return Err(field(
                "policy.witness_threshold",
                "at most the number of members",
            ));
        }
        if self.policy.checkpoint_interval_s == 0
            || self.policy.checkpoint_interval_s > MAX_SAFE_INTEGER
        {
            return Err(field("policy.checkpoint_interval_s", "1 to 2^53-1 seconds"));
        }
        Ok(index)
    }

    /// The charter as a JSON value, the form that is signed.
    pub fn to_value(&self) -> Result<Value, TrustError> {
        serde_json::to_value(self).map_err(|e| TrustError::Schema(e.to_string()))
    }

    /// The signing input of this charter.
    pub fn signing_input(&self) -> Result<Vec<u8>, TrustError> {
        signing_input(CHARTER_CONTEXT, &self.to_value()?)
    }

    /// SHA-256 of the signing input.
    pub fn hash(&self) -> Result<DocHash, TrustError> {
        Ok(DocHash::of(&self.signing_input()?))
    }

    /// Decodes a `signed` value into a charter (no invariant checks).
    pub fn from_value(value: &Value) -> Result<Charter, TrustError> {
        Charter::deserialize(value).map_err(|e| TrustError::Schema(e.to_string()))
    }

    /// The member whose STIX identity id is `identity`.
    pub fn member_by_identity(&self, identity: &str) -> Option<(&str, &Member)> {
        self.members
            .iter()
            .find(|(_, m)| m.identity == identity)
            .map(|(id, m)| (id.as_str(), m))
    }
}

fn check_member(id: &str, m: &Member) -> Result<(), TrustError> {
    let at = |f: &str| format!("members.{id}.{f}");
    if !is_name(id) {
        return Err(field(format!("members.{id}"), "not a valid member id"));
    }
    if concord_stix::id::StixId::parse(&m.identity)
        .map(|s| s.object_type != "identity")
        .unwrap_or(true)
    {
        return Err(field(at("identity"), "a STIX identity id"));
    }
    if m.name.trim().is_empty() || m.name.len() > 256 {
        return Err(field(at("name"), "1 to 256 bytes"));
    }
    if m.country.len() != 2 || !m.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(field(
            at("country"),
            "ISO 3166-1 alpha-2 (two capital letters)",
        ));
    }
    if m.keys.is_empty() {
        return Err(field(at("keys"), "at least one governance key"));
    }
    for entry in m.keys.values() {
        if entry.keytype != "ed25519" {
            return Err(field(at("keys"), "keytype must be \"ed25519\""));
        }
    }
    if m.key_threshold == 0 || m.key_threshold > m.keys.len() as u64 {
        return Err(TrustError::BadKeyThreshold {
            member: id.to_string(),
            threshold: m.key_threshold,
            keys: m.keys.len() as u64,
        });
    }
    for e in &m.endpoints {
        if !(e.starts_with("https://") || e.starts_with("http://")) || e.len() > 2048 {
            return Err(field(at("endpoints"), "http(s) URLs"));
        }
    }
    if m.log_origin.is_empty() || m.log_origin.len() > 256 {
        return Err(field(at("log_origin"), "1 to 256 bytes"));
    }
    Ok(())
}

/// One founding member, as `concord community init` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Founder {
    /// The member id it will have in the charter.
    pub member: String,
    /// Its STIX identity id ([`Member::identity`]).
    pub identity: String,
    /// Its organisation's name ([`Member::name`]).
    pub name: String,
    /// Its ISO 3166-1 alpha-2 country ([`Member::country`]).
    pub country: String,
    /// Its one governance key at founding.
    pub governance_key: PublicKey,
    /// The member's node key(s) (see [`Member::node_keys`]); may be empty.
    pub node_keys: Vec<PublicKey>,
    /// TAXII API roots of its node(s) ([`Member::endpoints`]).
    pub endpoints: Vec<String>,
}

impl Founder {
    /// The charter entry for this founder: one governance key, key
    /// threshold 1, log origin `concord/<community>/<member>`.
    pub fn to_member(&self, community: &str) -> Member {
        let key = KeyEntry::ed25519(&self.governance_key);
        Member {
            identity: self.identity.clone(),
            name: self.name.clone(),
            country: self.country.clone(),
            keys: BTreeMap::from([(self.governance_key.key_id().to_hex(), key)]),
            key_threshold: 1,
            endpoints: self.endpoints.clone(),
            log_origin: format!("concord/{community}/{}", self.member),
            node_keys: self
                .node_keys
                .iter()
                .map(|k| (k.key_id().to_hex(), KeyEntry::ed25519(k)))
                .collect(),
        }
    }
}

/// A fresh random community id (32 hex digits).
pub fn new_community_id() -> String {
    let mut raw = [0u8; 16];
    rand::fill(&mut raw);
    hex::encode(raw)
}

/// The unsigned genesis: version 1, every founder a member, default quorum
/// floor(2n/3)+1, no groups, default policy. Founders sign it with
/// [`Envelope::sign`]; it needs every founder's signature.
pub fn genesis(
    community: &str,
    founders: &[Founder],
    expires: &str,
) -> Result<Charter, TrustError> {
    let mut members = BTreeMap::new();
    for f in founders {
        if members
            .insert(f.member.clone(), f.to_member(community))
            .is_some()
        {
            return Err(field(format!("members.{}", f.member), "listed twice"));
        }
    }
    let charter = Charter {
        doc_type: CHARTER_TYPE.into(),
        spec_version: "1".into(),
        community: community.to_string(),
        version: 1,
        previous: None,
        expires: expires.to_string(),
        quorum: Quorum {
            threshold: min_quorum(members.len() as u64),
        },
        members,
        groups: BTreeMap::new(),
        policy: Policy::default(),
    };
    charter.check()?;
    Ok(charter)
}

impl Envelope {
    /// An unsigned envelope around a charter (a genesis or a proposal).
    pub fn of_charter(charter: &Charter) -> Result<Envelope, TrustError> {
        Ok(Envelope {
            signed: charter.to_value()?,
            signatures: Vec::new(),
        })
    }
}
