//! Proposals and votes on the held charter: recording them (verified),
//! casting this node's vote under the signing guard, detecting
//! equivocation, and adopting N+1 as soon as a quorum of votes is held.
//!
//! The order in [`cast`] is the safety argument of FEDERATION.md section 3
//! made concrete: claim the base in the guard, write the guard durably,
//! and only then make the signature. A crash between the two leaves a
//! claim without a vote (the node may sign *that* proposal again: Ed25519
//! is deterministic, so it is the same signature), never a vote without a
//! claim.

use crate::{CommunityError, Result};
use concord_stix::Timestamp;
use concord_trust::{
    Claim, Equivocation, Keypair, Proposal, ProposalKind, VerifiedCharter, Vote, propose,
    verify_next,
};
use serde::Serialize;
use serde_json::json;

use super::chain::Chain;
use super::ledger::{Ledger, StoredVote};

/// A proposal on the held charter with the votes this node holds for it.
#[derive(Debug, Clone, Serialize)]
pub struct Tally {
    /// The proposal id (hex charter hash of the draft).
    pub id: String,
    /// The version N the draft succeeds.
    pub base_version: u64,
    /// The draft's version, N+1.
    pub version: u64,
    /// What the draft changes, in words.
    pub changes: Vec<String>,
    /// Members whose valid votes are held, with when each was recorded.
    pub votes: Vec<VoteSummary>,
    /// Distinct members of the base that voted, and the base's quorum.
    pub count: u64,
    /// The quorum of the base.
    pub quorum: u64,
}

/// One vote held for a proposal.
#[derive(Debug, Clone, Serialize)]
pub struct VoteSummary {
    /// The voting member's id.
    pub member: String,
    /// The hex key id of the key that signed.
    pub keyid: String,
    /// When this node first recorded the vote (a STIX timestamp).
    pub recorded: String,
}

/// The open proposals: drafts whose base is the held head.
pub fn open(ledger: &Ledger, head: &VerifiedCharter) -> Result<Vec<Proposal>> {
    let mut out = Vec::new();
    for id in ledger.proposal_ids()? {
        let bytes = ledger.read_proposal(&id)?;
        // Drafts on older bases no longer succeed the head: not open.
        if let Ok(p) = Proposal::from_bytes(head, &bytes) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Finds an open proposal by id or unique id prefix.
pub fn find(ledger: &Ledger, head: &VerifiedCharter, id: &str) -> Result<Proposal> {
    let id = id.trim().to_ascii_lowercase();
    if id.is_empty() {
        return Err(CommunityError::Invalid("empty proposal id".to_string()));
    }
    let mut found: Vec<Proposal> = open(ledger, head)?
        .into_iter()
        .filter(|p| p.id().to_hex().starts_with(&id))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 if ledger.has_proposal(&id) => Err(CommunityError::Invalid(format!(
            "proposal {id} is not on the held version {}: it is stale (its base was superseded)",
            head.version()
        ))),
        0 => Err(CommunityError::Invalid(format!(
            "no open proposal {id} on base version {}",
            head.version()
        ))),
        _ => Err(CommunityError::Invalid(format!(
            "proposal id prefix {id} is ambiguous"
        ))),
    }
}

/// The valid votes held for `p`.
pub fn votes_for(ledger: &Ledger, head: &VerifiedCharter, p: &Proposal) -> Result<Vec<StoredVote>> {
    Ok(ledger
        .votes(&p.id().to_hex())?
        .into_iter()
        .filter(|v| v.vote.verify(head, p).is_ok())
        .collect())
}

/// The votes this node holds for `p` and how many members of the base
/// they count for.
pub fn tally(ledger: &Ledger, head: &VerifiedCharter, p: &Proposal) -> Result<Tally> {
    let votes = votes_for(ledger, head, p)?;
    let mut members: Vec<&str> = votes
        .iter()
        .map(|v| v.vote.member.as_str())
        .filter(|m| head.charter().members.contains_key(*m))
        .collect();
    members.sort_unstable();
    members.dedup();
    Ok(Tally {
        id: p.id().to_hex(),
        base_version: p.base_version(),
        version: p.charter().version,
        changes: super::view::changes(head.charter(), p.charter()),
        votes: votes
            .iter()
            .map(|v| VoteSummary {
                member: v.vote.member.clone(),
                keyid: v.vote.keyid.clone(),
                recorded: v.recorded.clone(),
            })
            .collect(),
        count: members.len() as u64,
        quorum: head.quorum(),
    })
}

/// Creates a proposal on the held charter and stores it.
pub fn create(ledger: &Ledger, head: &VerifiedCharter, kind: &ProposalKind) -> Result<Proposal> {
    let p = propose(head, kind)?;
    ledger.write_proposal(&p.id(), &p.to_bytes()?)?;
    Ok(p)
}

/// Stores a gossiped draft if it succeeds the head; true if it was new.
pub fn record_proposal(ledger: &Ledger, head: &VerifiedCharter, bytes: &[u8]) -> Result<bool> {
    let p = Proposal::from_bytes(head, bytes)?;
    if ledger.has_proposal(&p.id().to_hex()) {
        return Ok(false);
    }
    ledger.write_proposal(&p.id(), &p.to_bytes()?)?;
    Ok(true)
}

/// Verifies and stores a vote for an open proposal; stores equivocation
/// evidence when the same member's key signed another proposal on the same
/// base. True if the vote was new.
pub fn record_vote(ledger: &Ledger, head: &VerifiedCharter, vote: &Vote) -> Result<bool> {
    let p =
        find(ledger, head, &vote.proposal).map_err(|e| e.at(format!("vote by {}", vote.member)))?;
    vote.verify(head, &p).map_err(|e| {
        CommunityError::Invalid(format!("vote by {} on {}: {e}", vote.member, vote.proposal))
    })?;
    let new = ledger.write_vote(vote)?;
    for other in open(ledger, head)? {
        if other.id() == p.id() {
            continue;
        }
        for held in votes_for(ledger, head, &other)? {
            if held.vote.member == vote.member && held.vote.keyid == vote.keyid {
                let eq = Equivocation::from_votes((&p, vote), (&other, &held.vote))?;
                let proof = eq.verify(head)?;
                ledger.write_evidence(&json!({
                    "kind": "equivocation",
                    "member": proof.member,
                    "base_version": proof.base_version,
                    "proposals": [proof.proposals.0.to_hex(), proof.proposals.1.to_hex()],
                    "evidence": eq,
                }))?;
            }
        }
    }
    Ok(new)
}

/// Competing proposals: the other open proposals on the same base, with
/// their current signatures (shown before this node signs).
pub fn competing(ledger: &Ledger, head: &VerifiedCharter, p: &Proposal) -> Result<Vec<Tally>> {
    open(ledger, head)?
        .iter()
        .filter(|o| o.id() != p.id())
        .map(|o| tally(ledger, head, o))
        .collect()
}

/// What casting a vote did.
#[derive(Debug, Clone, Serialize)]
pub struct Cast {
    /// The proposal id voted for.
    pub id: String,
    /// The member id the vote was cast as.
    pub member: String,
    /// The version N the proposal succeeds.
    pub base_version: u64,
    /// False when this node had already signed this very proposal.
    pub new: bool,
    /// The vote, as it travels to the peers.
    pub vote: Vote,
    /// Versions adopted because this vote completed a quorum.
    pub adopted: Vec<u64>,
    /// Why candidates that reached a quorum were still not adopted.
    pub rejected: Vec<String>,
}

/// Signs proposal `p` as `member` with `key`, under the signing guard, then
/// adopts N+1 if a quorum is now held.
pub fn cast(
    ledger: &Ledger,
    chain: &mut Chain,
    p: &Proposal,
    member: &str,
    key: &Keypair,
    now: Timestamp,
) -> Result<Cast> {
    let head = chain.head().clone();
    let keyid = key.key_id().to_hex();
    let listed = [head.charter(), p.charter()].into_iter().any(|c| {
        c.members
            .get(member)
            .is_some_and(|m| m.keys.contains_key(&keyid))
    });
    if !listed {
        return Err(CommunityError::Invalid(format!(
            "this node's governance key {keyid} is not a key of member {member} in version {} or in proposal {}",
            head.version(),
            p.id()
        )));
    }
    // 1. claim, 2. persist the claim durably, 3. only then sign.
    let mut guard = ledger.guard()?;
    guard.adopted(head.version());
    let claim = guard.claim(p.base_version(), &p.id())?;
    if claim == Claim::New {
        ledger.write_guard(&guard)?;
    }
    let vote = Vote::sign(&head, p, member, key)?;
    record_vote(ledger, &head, &vote)?;
    let (adopted, rejected) = adopt_ready(ledger, chain, now)?;
    Ok(Cast {
        id: p.id().to_hex(),
        member: member.to_string(),
        base_version: p.base_version(),
        new: claim == Claim::New,
        vote,
        adopted,
        rejected,
    })
}

/// Adopts every next version for which a quorum of votes is held, one
/// after the other. Returns the adopted versions, and why proposals that
/// hold enough votes were still not adopted (expired, too few on the
/// candidate side, ...).
pub fn adopt_ready(
    ledger: &Ledger,
    chain: &mut Chain,
    now: Timestamp,
) -> Result<(Vec<u64>, Vec<String>)> {
    let mut adopted = Vec::new();
    let mut rejected = Vec::new();
    for _ in 0..concord_trust::MAX_STEPS_PER_ROUND {
        let head = chain.head().clone();
        let mut valid: Vec<VerifiedCharter> = Vec::new();
        for p in open(ledger, &head)? {
            let t = tally(ledger, &head, &p)?;
            if t.count < head.quorum() {
                continue;
            }
            let votes: Vec<Vote> = votes_for(ledger, &head, &p)?
                .into_iter()
                .map(|v| v.vote)
                .collect();
            let bytes = p.assemble(&head, &votes)?;
            match verify_next(&head, &bytes, now) {
                Ok(next)
                    if head.check_expiry(now).is_err()
                        && !only_renews(head.charter(), next.charter()) =>
                {
                    rejected.push(format!(
                        "proposal {}: not adopted: the charter expired on {}; only a renewal can be adopted until it is renewed",
                        p.id(),
                        head.charter().expires
                    ));
                }
                Ok(next) => valid.push(next),
                Err(e) => rejected.push(format!("proposal {}: not adopted: {e}", p.id())),
            }
        }
        if valid.is_empty() {
            break;
        }
        // Two valid N+1: a fork (more than f members signed twice). Keep
        // the evidence and follow the lowest hash, so that every honest
        // node that sees both makes the same choice.
        valid.sort_by_key(|c| c.hash());
        for other in &valid[1..] {
            chain.record_fork(ledger, &valid[0], other)?;
            rejected.push(format!(
                "fork: proposals {} and {} both hold a valid quorum on base {}; evidence kept",
                valid[0].hash(),
                other.hash(),
                head.version()
            ));
        }
        let next = valid.swap_remove(0);
        adopted.push(next.version());
        chain.push(ledger, next, "votes")?;
    }
    Ok((adopted, rejected))
}

/// Whether `next` changes nothing of `base` but its version, its link to
/// `base` and its expiry: a renewal, the only change an expired charter
/// takes.
fn only_renews(base: &concord_trust::Charter, next: &concord_trust::Charter) -> bool {
    let strip = |c: &concord_trust::Charter| {
        c.to_value().ok().map(|mut v| {
            if let Some(m) = v.as_object_mut() {
                for k in ["version", "previous", "expires"] {
                    m.remove(k);
                }
            }
            v
        })
    };
    matches!((strip(base), strip(next)), (Some(a), Some(b)) if a == b)
}
