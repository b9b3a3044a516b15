//! Proposals, votes and equivocation evidence (FEDERATION.md section 3).
//!
//! A proposal is a complete draft of charter N+1 on base N: what members
//! sign is exactly what will be adopted, so there is nothing to interpret
//! between a vote and the resulting charter. Its id is the charter hash of
//! the draft. A vote is one member's signature over the draft's signing
//! input; a quorum of votes, put in the draft's `signatures`, is charter
//! N+1. Two votes of one member for different drafts on one base are
//! evidence of equivocation that any node can check offline with base N.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TrustError;
use crate::charter::{
    Charter, CharterSignature, DocHash, Envelope, KeyEntry, MAX_CHARTER_BYTES, Member, Policy,
    decode_sig, min_quorum,
};
use crate::keys::{KeyId, Keypair, PublicKey};
use crate::verify::{Candidate, VerifiedCharter, candidate_from_envelope, check_succession};

/// The `_type` of a vote.
pub const VOTE_TYPE: &str = "concord/vote";

/// What a proposal changes, the kinds `concord community propose` offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalKind {
    /// Admit a member (the quorum rises to the new minimum if needed).
    AddMember {
        /// The new member id.
        id: String,
        /// Its charter entry.
        member: Member,
    },
    /// Remove a member, also from every group.
    RemoveMember {
        /// The member id.
        id: String,
    },
    /// Replace a member's governance keys.
    RotateKey {
        /// The member id.
        member: String,
        /// Its new governance keys (they replace all the old ones).
        keys: Vec<PublicKey>,
        /// How many of them must sign for the member.
        key_threshold: u64,
    },
    /// Set the quorum; never below floor(2n/3)+1.
    SetQuorum {
        /// The new quorum.
        threshold: u64,
    },
    /// Replace every group.
    SetGroups {
        /// The groups: name to member ids.
        groups: BTreeMap<String, Vec<String>>,
    },
    /// Replace the community-wide policy.
    SetPolicy {
        /// The new policy.
        policy: Policy,
    },
    /// Move the expiry.
    Renew {
        /// The new `expires` (a STIX timestamp).
        expires: String,
    },
}

/// A draft N+1 whose own invariants and succession rules hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    base_version: u64,
    base_hash: DocHash,
    charter: Charter,
    envelope: Envelope,
    message: Vec<u8>,
    hash: DocHash,
}

fn proposal_error(reason: impl Into<String>) -> TrustError {
    TrustError::Proposal(reason.into())
}

/// Builds the draft N+1 for `kind` from the held charter.
pub fn propose(base: &VerifiedCharter, kind: &ProposalKind) -> Result<Proposal, TrustError> {
    let mut next = base.charter().clone();
    match kind {
        ProposalKind::AddMember { id, member } => {
            if next.members.contains_key(id) {
                return Err(proposal_error(format!("{id} is already a member")));
            }
            next.members.insert(id.clone(), member.clone());
            rebalance_quorum(&mut next);
        }
        ProposalKind::RemoveMember { id } => {
            if next.members.remove(id).is_none() {
                return Err(proposal_error(format!("{id} is not a member")));
            }
            for list in next.groups.values_mut() {
                list.retain(|m| m != id);
            }
            rebalance_quorum(&mut next);
        }
        ProposalKind::RotateKey {
            member,
            keys,
            key_threshold,
        } => {
            let m = next
                .members
                .get_mut(member)
                .ok_or_else(|| proposal_error(format!("{member} is not a member")))?;
            m.keys = keys
                .iter()
                .map(|k| (k.key_id().to_hex(), KeyEntry::ed25519(k)))
                .collect();
            m.key_threshold = *key_threshold;
        }
        ProposalKind::SetQuorum { threshold } => next.quorum.threshold = *threshold,
        ProposalKind::SetGroups { groups } => next.groups = groups.clone(),
        ProposalKind::SetPolicy { policy } => next.policy = policy.clone(),
        ProposalKind::Renew { expires } => next.expires = expires.clone(),
    }
    if next == *base.charter() {
        return Err(proposal_error("the proposal changes nothing"));
    }
    next.version = base
        .version()
        .checked_add(1)
        .ok_or_else(|| proposal_error("version overflow"))?;
    next.previous = Some(base.hash().to_hex());
    let envelope = Envelope::of_charter(&next)?;
    Proposal::from_envelope(base, envelope)
}

/// Keeps the quorum at least the new minimum and at most the member count,
/// and otherwise as the community set it.
fn rebalance_quorum(c: &mut Charter) {
    let n = c.members.len() as u64;
    c.quorum.threshold = c.quorum.threshold.max(min_quorum(n)).min(n);
}

impl Proposal {
    /// Reads a gossiped draft (an envelope whose signatures are ignored:
    /// votes travel separately) and checks it against its base.
    pub fn from_bytes(base: &VerifiedCharter, bytes: &[u8]) -> Result<Proposal, TrustError> {
        let mut envelope = Envelope::from_bytes(bytes, MAX_CHARTER_BYTES)?;
        envelope.signatures.clear();
        Proposal::from_envelope(base, envelope)
    }

    fn from_envelope(base: &VerifiedCharter, envelope: Envelope) -> Result<Proposal, TrustError> {
        let c: Candidate = candidate_from_envelope(envelope)?;
        check_succession(base, &c)?;
        Ok(Proposal {
            base_version: base.version(),
            base_hash: base.hash(),
            charter: c.charter,
            envelope: c.envelope,
            message: c.message,
            hash: c.hash,
        })
    }

    /// The proposal id: the charter hash of the draft.
    pub fn id(&self) -> DocHash {
        self.hash
    }

    /// The version N the draft succeeds.
    pub fn base_version(&self) -> u64 {
        self.base_version
    }

    /// The hash of version N (the draft's `previous`).
    pub fn base_hash(&self) -> DocHash {
        self.base_hash
    }

    /// The draft charter N+1.
    pub fn charter(&self) -> &Charter {
        &self.charter
    }

    /// The draft as it travels (no signatures).
    pub fn to_bytes(&self) -> Result<Vec<u8>, TrustError> {
        self.envelope.to_bytes()
    }

    /// The candidate charter N+1 carrying the valid votes for this
    /// proposal (others are left out), to be checked with `verify_next`.
    pub fn assemble(&self, base: &VerifiedCharter, votes: &[Vote]) -> Result<Vec<u8>, TrustError> {
        let mut envelope = self.envelope.clone();
        for v in votes {
            if v.verify(base, self).is_ok() && !envelope.signatures.contains(&v.signature()) {
                envelope.signatures.push(v.signature());
            }
        }
        envelope.to_bytes()
    }
}

/// One member's signature on one proposal, with where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// `_type`: always [`VOTE_TYPE`].
    #[serde(rename = "_type")]
    pub doc_type: String,
    /// The community id.
    pub community: String,
    /// The version N the proposal succeeds.
    pub base_version: u64,
    /// The proposal id (charter hash of the draft).
    pub proposal: String,
    /// The voting member's id.
    pub member: String,
    /// The hex key id of the governance key that signed (of the member in N
    /// or in N+1).
    pub keyid: String,
    /// base64 Ed25519 over the draft's charter signing input.
    pub sig: String,
}

/// The governance key `keyid` of `member` in the base or in the draft (a
/// rotation is signed by the old key for N and the new one for N+1).
fn member_key(
    base: &Charter,
    draft: &Charter,
    member: &str,
    keyid: &str,
) -> Result<PublicKey, TrustError> {
    let in_either = [base, draft]
        .into_iter()
        .any(|c| c.members.contains_key(member));
    if !in_either {
        return Err(TrustError::NonMember {
            member: member.to_string(),
            current: base.version,
            candidate: draft.version,
        });
    }
    let entry = [base, draft]
        .into_iter()
        .find_map(|c| c.members.get(member).and_then(|m| m.keys.get(keyid)))
        .ok_or_else(|| TrustError::UnknownMemberKey {
            member: member.to_string(),
            key_id: keyid.to_string(),
        })?;
    PublicKey::from_hex(&entry.public)
}

impl Vote {
    /// Signs `proposal` as `member`. The node must first record the
    /// proposal in its [`crate::SigningGuard`] and persist that.
    pub fn sign(
        base: &VerifiedCharter,
        proposal: &Proposal,
        member: &str,
        key: &Keypair,
    ) -> Result<Vote, TrustError> {
        let keyid = key.key_id().to_hex();
        let listed = member_key(base.charter(), &proposal.charter, member, &keyid)?;
        if listed != key.public() {
            return Err(TrustError::Vote("key mismatch".into()));
        }
        let sig = crate::charter::encode_sig(&key.sign(&proposal.message));
        Ok(Vote {
            doc_type: VOTE_TYPE.into(),
            community: base.charter().community.clone(),
            base_version: proposal.base_version,
            proposal: proposal.hash.to_hex(),
            member: member.to_string(),
            keyid,
            sig,
        })
    }

    /// Reads a gossiped vote (small: 64 KiB at most, checked first).
    pub fn from_bytes(bytes: &[u8]) -> Result<Vote, TrustError> {
        const LIMIT: usize = 64 * 1024;
        if bytes.len() > LIMIT {
            return Err(TrustError::Oversized {
                size: bytes.len(),
                limit: LIMIT,
            });
        }
        let value = concord_stix::json::parse_value(bytes)?;
        let vote: Vote =
            serde_json::from_value(value).map_err(|e| TrustError::Schema(e.to_string()))?;
        if vote.doc_type != VOTE_TYPE {
            return Err(crate::error::field(
                "_type",
                format!("must be {VOTE_TYPE:?}"),
            ));
        }
        Ok(vote)
    }

    /// Checks the vote belongs to `proposal` on `base` and its signature
    /// holds (strict Ed25519) under a key of the member in N or N+1.
    pub fn verify(&self, base: &VerifiedCharter, proposal: &Proposal) -> Result<(), TrustError> {
        if self.community != base.charter().community {
            return Err(TrustError::WrongCommunity {
                expected: base.charter().community.clone(),
                found: self.community.clone(),
            });
        }
        if self.base_version != proposal.base_version || self.proposal != proposal.hash.to_hex() {
            return Err(TrustError::Vote(format!(
                "vote is for proposal {} on base {}, not {} on base {}",
                self.proposal, self.base_version, proposal.hash, proposal.base_version
            )));
        }
        let key = member_key(base.charter(), &proposal.charter, &self.member, &self.keyid)?;
        let sig = decode_sig(&self.sig).ok_or_else(|| TrustError::BadMemberSignature {
            member: self.member.clone(),
            key_id: self.keyid.clone(),
        })?;
        if !key.verify_strict(&proposal.message, &sig) {
            return Err(TrustError::BadMemberSignature {
                member: self.member.clone(),
                key_id: self.keyid.clone(),
            });
        }
        Ok(())
    }

    /// The entry this vote becomes in the charter's `signatures`.
    pub fn signature(&self) -> CharterSignature {
        CharterSignature {
            member: self.member.clone(),
            keyid: self.keyid.clone(),
            sig: self.sig.clone(),
        }
    }
}

/// Two signatures by one member's key on two different drafts of the same
/// base version: proof that the member broke the one-proposal-per-base
/// rule. It carries both drafts, so it verifies with base N alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivocation {
    /// The accused member's id.
    pub member: String,
    /// The hex key id of the key that signed both drafts.
    pub keyid: String,
    /// One draft, carrying the member's signature.
    pub first: Envelope,
    /// The other draft, carrying the member's signature.
    pub second: Envelope,
}

/// What a verified equivocation establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquivocationProof {
    /// The member id that equivocated.
    pub member: String,
    /// The governance key (of version N) that signed both drafts.
    pub key_id: KeyId,
    /// The base version N both drafts succeed.
    pub base_version: u64,
    /// The two proposal ids, the smaller first.
    pub proposals: (DocHash, DocHash),
}

impl Equivocation {
    /// Evidence from two verified votes of one member for two proposals.
    pub fn from_votes(
        first: (&Proposal, &Vote),
        second: (&Proposal, &Vote),
    ) -> Result<Equivocation, TrustError> {
        let (p1, v1) = first;
        let (p2, v2) = second;
        if v1.member != v2.member || v1.keyid != v2.keyid {
            return Err(TrustError::NotEquivocation(
                "the votes are by different members or keys".into(),
            ));
        }
        let with_sig = |p: &Proposal, v: &Vote| Envelope {
            signed: p.envelope.signed.clone(),
            signatures: vec![v.signature()],
        };
        Ok(Equivocation {
            member: v1.member.clone(),
            keyid: v1.keyid.clone(),
            first: with_sig(p1, v1),
            second: with_sig(p2, v2),
        })
    }

    /// Checks the evidence offline against base N: both drafts succeed N,
    /// they differ, and the member's base key signed both. Only members of
    /// N can be accused, since only N's key list is trusted here.
    pub fn verify(&self, base: &VerifiedCharter) -> Result<EquivocationProof, TrustError> {
        let not = |r: &str| TrustError::NotEquivocation(r.to_string());
        let entry = base
            .charter()
            .members
            .get(&self.member)
            .ok_or_else(|| not("the accused is not a member of the base"))?
            .keys
            .get(&self.keyid)
            .ok_or_else(|| not("the key is not the member's key in the base"))?;
        let key = PublicKey::from_hex(&entry.public)?;
        let mut hashes = Vec::with_capacity(2);
        for envelope in [&self.first, &self.second] {
            let c = candidate_from_envelope(Envelope {
                signed: envelope.signed.clone(),
                signatures: Vec::new(),
            })?;
            check_succession(base, &c)?;
            let signed = envelope.signatures.iter().any(|s| {
                s.member == self.member
                    && s.keyid == self.keyid
                    && decode_sig(&s.sig).is_some_and(|sig| key.verify_strict(&c.message, &sig))
            });
            if !signed {
                return Err(not("a draft does not carry the member's valid signature"));
            }
            hashes.push(c.hash);
        }
        let (a, b) = (hashes[0], hashes[1]);
        if a == b {
            return Err(not("both signatures are on the same proposal"));
        }
        let key_id = key.key_id();
        Ok(EquivocationProof {
            member: self.member.clone(),
            key_id,
            base_version: base.version(),
            proposals: (a.min(b), a.max(b)),
        })
    }
}

#[cfg(test)]
mod tests;
