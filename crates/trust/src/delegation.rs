//! Node-key delegations: the two key tiers of FEDERATION.md section 1.
//!
//! Governance keys are offline and change only by a charter vote; each
//! member certifies its online node key with a governance-signed, expiring
//! delegation, so a node key can be rotated (or left to lapse) with no vote.
//! The lifetime is capped at 90 days so that a stolen node key is useful
//! for a bounded time even if nobody notices.
//!
//! ```json
//! {"signed": {"_type": "concord/delegation", "community": "<32 hex>",
//!    "member": "<member-id>", "node_key": "<64 hex>",
//!    "issued": "<timestamp>", "not_after": "<timestamp>"},
//!  "signatures": [{"member": "<member-id>", "keyid": "<hex>", "sig": "<base64>"}]}
//! ```
//! Signing input: `"concord-delegation-v1\n"` ‖ JCS(`signed`).

use std::collections::HashSet;

use concord_stix::Timestamp;
use serde::{Deserialize, Serialize};

use crate::charter::{Envelope, decode_sig};
use crate::error::field;
use crate::keys::{KeyId, Keypair, PublicKey};
use crate::{TrustError, VerifiedCharter};

/// The `_type` of a delegation's `signed` value.
pub const DELEGATION_TYPE: &str = "concord/delegation";
/// The domain-separation prefix of a delegation's signing input.
pub const DELEGATION_CONTEXT: &[u8] = b"concord-delegation-v1\n";
/// Larger delegations are refused before parsing.
pub const MAX_DELEGATION_BYTES: usize = 16 * 1024;
/// The longest a node key may be certified for.
pub(crate) const MAX_DELEGATION_MICROS: i64 = 90 * 86_400 * 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DelegationBody {
    #[serde(rename = "_type")]
    doc_type: String,
    community: String,
    member: String,
    node_key: String,
    issued: String,
    not_after: String,
}

/// A delegation as it travels.
#[derive(Debug, Clone, PartialEq)]
pub struct Delegation {
    envelope: Envelope,
}

/// A delegation that verified: `node_key` speaks for `member` until
/// `not_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDelegation {
    /// The member id (a key of the charter's `members`).
    pub member: String,
    /// The certified node key.
    pub node_key: PublicKey,
    /// The end of the certification.
    pub not_after: Timestamp,
}

fn err(reason: impl Into<String>) -> TrustError {
    TrustError::Delegation(reason.into())
}

impl Delegation {
    /// Issues a delegation signed with the member's governance keys (as
    /// many as its `key_threshold` asks for).
    pub fn issue(
        charter: &VerifiedCharter,
        member: &str,
        node_key: &PublicKey,
        issued: Timestamp,
        not_after: Timestamp,
        governance_keys: &[&Keypair],
    ) -> Result<Delegation, TrustError> {
        let body = DelegationBody {
            doc_type: DELEGATION_TYPE.into(),
            community: charter.charter().community.clone(),
            member: member.to_string(),
            node_key: node_key.to_hex(),
            issued: issued.to_stix(),
            not_after: not_after.to_stix(),
        };
        let mut envelope = Envelope {
            signed: serde_json::to_value(&body).map_err(|e| TrustError::Schema(e.to_string()))?,
            signatures: Vec::new(),
        };
        for key in governance_keys {
            envelope.sign(DELEGATION_CONTEXT, member, key)?;
        }
        let d = Delegation { envelope };
        d.check(charter, issued)?;
        Ok(d)
    }

    /// Reads a delegation: refused before parsing when larger than
    /// [`MAX_DELEGATION_BYTES`], then strict JSON. Nothing is verified yet
    /// (see `verify`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Delegation, TrustError> {
        Ok(Delegation {
            envelope: Envelope::from_bytes(bytes, MAX_DELEGATION_BYTES)?,
        })
    }

    /// The delegation as it travels (compact JSON).
    pub fn to_bytes(&self) -> Result<Vec<u8>, TrustError> {
        self.envelope.to_bytes()
    }

    /// Verifies against the charter at `now`: the member is a member, at
    /// least `key_threshold` of its distinct governance keys signed
    /// (strictly), the delegation is in force, and it lasts at most 90 days
    /// from its issue and from `now` (a backdated `issued` cannot stretch
    /// it).
    pub fn verify(
        &self,
        charter: &VerifiedCharter,
        now: Timestamp,
    ) -> Result<VerifiedDelegation, TrustError> {
        let v = self.check(charter, now)?;
        if now >= v.not_after {
            return Err(err(format!("expired at {}", v.not_after.to_stix())));
        }
        Ok(v)
    }

    fn check(
        &self,
        charter: &VerifiedCharter,
        now: Timestamp,
    ) -> Result<VerifiedDelegation, TrustError> {
        let body = DelegationBody::deserialize(&self.envelope.signed)
            .map_err(|e| TrustError::Schema(e.to_string()))?;
        if body.doc_type != DELEGATION_TYPE {
            return Err(field("_type", format!("must be {DELEGATION_TYPE:?}")));
        }
        if body.community != charter.charter().community {
            return Err(TrustError::WrongCommunity {
                expected: charter.charter().community.clone(),
                found: body.community,
            });
        }
        let member =
            charter
                .charter()
                .members
                .get(&body.member)
                .ok_or_else(|| TrustError::NonMember {
                    member: body.member.clone(),
                    current: charter.version(),
                    candidate: charter.version(),
                })?;
        let node_key = PublicKey::from_hex(&body.node_key)?;
        let issued = Timestamp::parse(&body.issued).map_err(|e| field("issued", e.to_string()))?;
        let not_after =
            Timestamp::parse(&body.not_after).map_err(|e| field("not_after", e.to_string()))?;
        if issued > now {
            return Err(err("issued in the future"));
        }
        if not_after.0.saturating_sub(issued.0) > MAX_DELEGATION_MICROS
            || not_after.0.saturating_sub(now.0) > MAX_DELEGATION_MICROS
        {
            return Err(err("a node key is delegated for at most 90 days"));
        }
        if member.keys.contains_key(&node_key.key_id().to_hex()) {
            return Err(err("a governance key cannot be its own node key"));
        }
        let message = self.envelope.signing_input(DELEGATION_CONTEXT)?;
        let mut signed_by: HashSet<KeyId> = HashSet::new();
        for s in &self.envelope.signatures {
            if s.member != body.member {
                return Err(err(format!(
                    "signature by {}, not by {}",
                    s.member, body.member
                )));
            }
            let entry = member
                .keys
                .get(&s.keyid)
                .ok_or_else(|| TrustError::UnknownMemberKey {
                    member: s.member.clone(),
                    key_id: s.keyid.clone(),
                })?;
            let key = PublicKey::from_hex(&entry.public)?;
            let ok = decode_sig(&s.sig).is_some_and(|sig| key.verify_strict(&message, &sig));
            if !ok {
                return Err(TrustError::BadMemberSignature {
                    member: s.member.clone(),
                    key_id: s.keyid.clone(),
                });
            }
            signed_by.insert(key.key_id());
        }
        if (signed_by.len() as u64) < member.key_threshold {
            return Err(err(format!(
                "{} of the member's keys signed, {} required",
                signed_by.len(),
                member.key_threshold
            )));
        }
        Ok(VerifiedDelegation {
            member: body.member,
            node_key,
            not_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Community;

    const DAY: i64 = 86_400 * 1_000_000;

    #[test]
    fn issue_and_verify() {
        let c = Community::new(4);
        let g = c.genesis();
        let node = Keypair::from_seed(&[99; 32]);
        let now = c.now();
        let d = Delegation::issue(
            &g,
            "m0",
            &node.public(),
            now,
            Timestamp(now.0 + 30 * DAY),
            &[&c.keys[0]],
        )
        .unwrap();
        let back = Delegation::from_bytes(&d.to_bytes().unwrap()).unwrap();
        let v = back.verify(&g, now).unwrap();
        assert_eq!(v.node_key, node.public());
        assert_eq!(v.member, "m0");
        assert!(back.verify(&g, Timestamp(now.0 + 31 * DAY)).is_err());
    }

    #[test]
    fn longer_than_90_days_is_refused() {
        let c = Community::new(4);
        let g = c.genesis();
        let node = Keypair::from_seed(&[98; 32]);
        let now = c.now();
        let e = Delegation::issue(
            &g,
            "m0",
            &node.public(),
            now,
            Timestamp(now.0 + 91 * DAY),
            &[&c.keys[0]],
        )
        .unwrap_err();
        assert!(matches!(e, TrustError::Delegation(_)));
    }

    #[test]
    fn another_members_key_cannot_delegate() {
        let c = Community::new(4);
        let g = c.genesis();
        let node = Keypair::from_seed(&[97; 32]);
        let now = c.now();
        let e = Delegation::issue(
            &g,
            "m0",
            &node.public(),
            now,
            Timestamp(now.0 + DAY),
            &[&c.keys[1]],
        )
        .unwrap_err();
        assert!(matches!(e, TrustError::UnknownMemberKey { .. }));
        let e = Delegation::issue(&g, "m0", &node.public(), now, Timestamp(now.0 + DAY), &[])
            .unwrap_err();
        assert!(matches!(e, TrustError::Delegation(_)));
    }

    #[test]
    fn trusted_key_set_from_delegations() {
        let c = Community::new(4);
        let g = c.genesis();
        let node = Keypair::from_seed(&[96; 32]);
        let now = c.now();
        let d = Delegation::issue(
            &g,
            "m2",
            &node.public(),
            now,
            Timestamp(now.0 + DAY),
            &[&c.keys[2]],
        )
        .unwrap();
        let (set, rejected) = crate::TrustedKeySet::from_charter(&g, &[d], now);
        assert!(rejected.is_empty());
        use crate::TrustedKeys;
        assert_eq!(set.owner_of(&node.key_id()), Some(c.identity(2).as_str()));
    }
}
