//! Charter verification: genesis, one update step, a whole chain, expiry.
//!
//! Pure functions over bytes, a held charter and a time, after TUF's client
//! workflow 5.3 and the habits of tough's `verify_role`: the document size
//! is checked before parsing; every signature entry must be well formed,
//! name a member and one of that member's keys, and verify strictly; then
//! *members* are counted, each once however many signatures it sent, and
//! only when `key_threshold` of its own distinct keys signed. Version N+1
//! needs q(N) members of N and q(N+1) members of N+1.
//!
//! A malformed or invalid signature entry rejects the whole document rather
//! than being skipped: the issue asks for every such case to be shown with
//! its reason, and an assembler can always drop a bad entry and resend.

use std::collections::{BTreeMap, HashMap, HashSet};

use concord_stix::Timestamp;
use serde_json::Value;

use crate::TrustError;
use crate::charter::{
    CHARTER_CONTEXT, Charter, DocHash, Envelope, KeyIndex, MAX_CHARTER_BYTES, decode_sig,
};
use crate::error::Side;
use crate::keys::KeyId;

/// At most this many versions are walked in one round (FEDERATION.md 1b).
pub const MAX_STEPS_PER_ROUND: usize = 1024;

/// A charter that passed verification: only this module makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCharter {
    charter: Charter,
    envelope: Envelope,
    hash: DocHash,
    keys: KeyIndex,
    /// Members removed in the chain so far, with the version that removed
    /// them, so that their later signatures are reported as such.
    removed: BTreeMap<String, u64>,
}

impl VerifiedCharter {
    /// The charter's content.
    pub fn charter(&self) -> &Charter {
        &self.charter
    }

    /// The charter's version.
    pub fn version(&self) -> u64 {
        self.charter.version
    }

    /// The charter's hash (the `previous` of the next version).
    pub fn hash(&self) -> DocHash {
        self.hash
    }

    /// The charter as received, with its signatures.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The member and public key behind each governance key id of the
    /// charter.
    pub fn keys(&self) -> &KeyIndex {
        &self.keys
    }
    /// Members removed at some point of the walked chain (and not re-added).
    pub fn removed_members(&self) -> &BTreeMap<String, u64> {
        &self.removed
    }
    /// The number of distinct members that must sign the next version.
    pub fn quorum(&self) -> u64 {
        self.charter.quorum.threshold
    }
    /// The bytes to store or forward.
    pub fn to_bytes(&self) -> Result<Vec<u8>, TrustError> {
        self.envelope.to_bytes()
    }

    /// Freeze check (TUF 5.3.10): an expired charter stays the node's last
    /// valid version, but the node raises the alarm and adopts no new
    /// members until a renewed version arrives.
    pub fn check_expiry(&self, now: Timestamp) -> Result<(), TrustError> {
        // `check` already parsed it, so the fallback never fires.
        let expires = Timestamp::parse(&self.charter.expires).unwrap_or(Timestamp(i64::MIN));
        if now >= expires {
            return Err(TrustError::Expired {
                version: self.charter.version,
                expires: self.charter.expires.clone(),
                now: now.to_stix(),
            });
        }
        Ok(())
    }
}

/// A parsed candidate whose own invariants hold, before any rule that needs
/// the held charter.
pub(crate) struct Candidate {
    pub envelope: Envelope,
    pub charter: Charter,
    pub keys: KeyIndex,
    pub message: Vec<u8>,
    pub hash: DocHash,
}

pub(crate) fn decode_candidate(bytes: &[u8]) -> Result<Candidate, TrustError> {
    let envelope = Envelope::from_bytes(bytes, MAX_CHARTER_BYTES)?;
    candidate_from_envelope(envelope)
}

pub(crate) fn candidate_from_envelope(envelope: Envelope) -> Result<Candidate, TrustError> {
    check_safe_integers(&envelope.signed)?;
    let charter = Charter::from_value(&envelope.signed)?;
    let keys = charter.check()?;
    let message = envelope.signing_input(CHARTER_CONTEXT)?;
    let hash = DocHash::of(&message);
    Ok(Candidate {
        envelope,
        charter,
        keys,
        message,
        hash,
    })
}

/// Every number in a signed document is an integer JCS keeps exact; a
/// float or a huge integer would be signed in one form and read in another.
fn check_safe_integers(v: &Value) -> Result<(), TrustError> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(u) if u <= crate::charter::MAX_SAFE_INTEGER => Ok(()),
            _ => Err(crate::error::field(
                n.to_string(),
                "numbers in governance documents are integers 0 to 2^53-1",
            )),
        },
        Value::Array(a) => a.iter().try_for_each(check_safe_integers),
        Value::Object(m) => m.values().try_for_each(check_safe_integers),
        _ => Ok(()),
    }
}

/// The rules a proposal must meet against its base, without signatures:
/// same community, version N+1, previous = hash of N, and a key never
/// changes owner between N and N+1 (a key belongs to one member only).
pub(crate) fn check_succession(current: &VerifiedCharter, c: &Candidate) -> Result<(), TrustError> {
    if c.charter.community != current.charter.community {
        return Err(TrustError::WrongCommunity {
            expected: current.charter.community.clone(),
            found: c.charter.community.clone(),
        });
    }
    if Some(c.charter.version) != current.charter.version.checked_add(1) {
        return Err(TrustError::NotNextVersion {
            current: current.charter.version,
            found: c.charter.version,
        });
    }
    let expected = current.hash.to_hex();
    if c.charter.previous.as_deref() != Some(expected.as_str()) {
        return Err(TrustError::WrongPrevious {
            expected,
            found: c.charter.previous.clone().unwrap_or_default(),
        });
    }
    for (id, m) in &c.charter.members {
        for listed in m.keys.keys() {
            let Ok(key) = KeyId::from_hex(listed) else {
                continue;
            };
            if let Some((owner, _)) = current.keys.get(&key)
                && owner != id
            {
                return Err(TrustError::DuplicateKey {
                    key_id: listed.clone(),
                    first: owner.to_string(),
                    second: id.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Checks every signature entry against the charters it may count for and
/// returns the distinct (member, key) pairs that signed validly.
fn valid_signers(
    envelope: &Envelope,
    message: &[u8],
    sides: &[&Charter],
    removed: &BTreeMap<String, u64>,
) -> Result<HashSet<(String, KeyId)>, TrustError> {
    let mut valid = HashSet::new();
    for s in &envelope.signatures {
        let member_of: Vec<&Charter> = sides
            .iter()
            .copied()
            .filter(|c| c.members.contains_key(&s.member))
            .collect();
        if member_of.is_empty() {
            if let Some(&removed_in) = removed.get(&s.member) {
                return Err(TrustError::RemovedMember {
                    member: s.member.clone(),
                    removed_in,
                });
            }
            return Err(TrustError::NonMember {
                member: s.member.clone(),
                current: sides.first().map_or(0, |c| c.version),
                candidate: sides.last().map_or(0, |c| c.version),
            });
        }
        // The key id is only a pointer into the member's key map, whose ids
        // `Charter::check` recomputed from the keys themselves.
        let entry = member_of
            .iter()
            .find_map(|c| c.members.get(&s.member).and_then(|m| m.keys.get(&s.keyid)));
        let Some(entry) = entry else {
            return Err(TrustError::UnknownMemberKey {
                member: s.member.clone(),
                key_id: s.keyid.clone(),
            });
        };
        let bad = || TrustError::BadMemberSignature {
            member: s.member.clone(),
            key_id: s.keyid.clone(),
        };
        let key = crate::keys::PublicKey::from_hex(&entry.public).map_err(|_| bad())?;
        let sig = decode_sig(&s.sig).ok_or_else(bad)?;
        if !key.verify_strict(message, &sig) {
            return Err(bad());
        }
        valid.insert((s.member.clone(), key.key_id()));
    }
    Ok(valid)
}

/// Members of `charter` that count: `key_threshold` of their own distinct
/// keys (as listed in *this* charter) signed.
fn counted_members(charter: &Charter, valid: &HashSet<(String, KeyId)>) -> Vec<String> {
    let mut per_member: HashMap<&str, HashSet<KeyId>> = HashMap::new();
    for (member, key) in valid {
        per_member.entry(member.as_str()).or_default().insert(*key);
    }
    charter
        .members
        .iter()
        .filter(|(id, m)| {
            let own = per_member.get(id.as_str()).map_or(0, |keys| {
                keys.iter()
                    .filter(|k| m.keys.contains_key(&k.to_hex()))
                    .count()
            });
            own as u64 >= m.key_threshold
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// Verifies version 1 against the hash given out of band: the hash of its
/// signing input must match, its invariants hold, and every founding member
/// signed it.
pub fn verify_genesis(bytes: &[u8], expected: &DocHash) -> Result<VerifiedCharter, TrustError> {
    let c = decode_candidate(bytes)?;
    if c.charter.version != 1 {
        return Err(crate::error::field("version", "the genesis is version 1"));
    }
    if c.hash != *expected {
        return Err(TrustError::GenesisHashMismatch {
            expected: expected.to_hex(),
            found: c.hash.to_hex(),
        });
    }
    let valid = valid_signers(&c.envelope, &c.message, &[&c.charter], &BTreeMap::new())?;
    let counted: HashSet<String> = counted_members(&c.charter, &valid).into_iter().collect();
    let missing: Vec<String> = c
        .charter
        .members
        .keys()
        .filter(|m| !counted.contains(*m))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(TrustError::GenesisNotSignedByAll { missing });
    }
    Ok(VerifiedCharter {
        charter: c.charter,
        envelope: c.envelope,
        hash: c.hash,
        keys: c.keys,
        removed: BTreeMap::new(),
    })
}

/// One update step N → N+1 without the expiry check (intermediate versions
/// of a chain may have expired long ago; TUF checks expiry after the walk).
pub fn verify_step(current: &VerifiedCharter, bytes: &[u8]) -> Result<VerifiedCharter, TrustError> {
    let c = decode_candidate(bytes)?;
    check_succession(current, &c)?;
    let valid = valid_signers(
        &c.envelope,
        &c.message,
        &[&current.charter, &c.charter],
        &current.removed,
    )?;
    for (side, charter) in [
        (Side::Current, &current.charter),
        (Side::Candidate, &c.charter),
    ] {
        let counted = counted_members(charter, &valid).len() as u64;
        if counted < charter.quorum.threshold {
            return Err(TrustError::TooFewSignatures {
                side,
                version: charter.version,
                valid: counted,
                required: charter.quorum.threshold,
            });
        }
    }
    let mut removed = current.removed.clone();
    for id in current.charter.members.keys() {
        if !c.charter.members.contains_key(id) {
            removed.insert(id.clone(), c.charter.version);
        }
    }
    removed.retain(|id, _| !c.charter.members.contains_key(id));
    Ok(VerifiedCharter {
        charter: c.charter,
        envelope: c.envelope,
        hash: c.hash,
        keys: c.keys,
        removed,
    })
}

/// Verifies the next version against the held one and refuses it if it is
/// already expired at `now` (the node keeps what it holds and raises the
/// freeze alarm). To catch up through several versions, some of which may
/// have expired meanwhile, use [`verify_chain_from`].
pub fn verify_next(
    current: &VerifiedCharter,
    bytes: &[u8],
    now: Timestamp,
) -> Result<VerifiedCharter, TrustError> {
    let next = verify_step(current, bytes)?;
    next.check_expiry(now)?;
    Ok(next)
}

/// Why a chain walk stopped, with the last version that did verify: the
/// node keeps that one (freeze), it never rolls back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("charter chain rejected at index {index}: {error}")]
pub struct ChainError {
    /// The highest version verified before the failure (`None` if the
    /// genesis itself failed).
    pub last_valid: Option<Box<VerifiedCharter>>,
    /// Index into the given versions of the one that failed (for an expiry,
    /// the last one).
    pub index: usize,
    /// Why that version was refused.
    pub error: TrustError,
}

/// Walks forward from a held charter through `versions` (N+1, N+2, ... in
/// order), then checks that the result has not expired.
pub fn verify_chain_from(
    current: VerifiedCharter,
    versions: &[&[u8]],
    now: Timestamp,
) -> Result<VerifiedCharter, ChainError> {
    let mut held = current;
    for (i, bytes) in versions.iter().enumerate() {
        if i >= MAX_STEPS_PER_ROUND {
            return Err(ChainError {
                last_valid: Some(Box::new(held)),
                index: i,
                error: crate::error::field(
                    "versions",
                    format!("at most {MAX_STEPS_PER_ROUND} versions per round"),
                ),
            });
        }
        match verify_step(&held, bytes) {
            Ok(next) => held = next,
            Err(error) => {
                return Err(ChainError {
                    last_valid: Some(Box::new(held)),
                    index: i,
                    error,
                });
            }
        }
    }
    if let Err(error) = held.check_expiry(now) {
        return Err(ChainError {
            index: versions.len().saturating_sub(1),
            last_valid: Some(Box::new(held)),
            error,
        });
    }
    Ok(held)
}

/// Verifies a whole chain from the genesis (`versions[0]`) whose hash was
/// given out of band, as a node does when it bootstraps or restarts.
pub fn verify_chain(
    genesis_hash: &DocHash,
    versions: &[&[u8]],
    now: Timestamp,
) -> Result<VerifiedCharter, ChainError> {
    let Some((first, rest)) = versions.split_first() else {
        return Err(ChainError {
            last_valid: None,
            index: 0,
            error: crate::error::field("versions", "the chain starts with the genesis"),
        });
    };
    let genesis = verify_genesis(first, genesis_hash).map_err(|error| ChainError {
        last_valid: None,
        index: 0,
        error,
    })?;
    verify_chain_from(genesis, rest, now).map_err(|mut e| {
        e.index = if matches!(e.error, TrustError::Expired { .. }) {
            versions.len() - 1
        } else {
            e.index + 1
        };
        e
    })
}

#[cfg(test)]
mod tests;
