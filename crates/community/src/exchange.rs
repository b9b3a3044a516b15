//! Governance documents between nodes: what a node offers (its adopted
//! chain, the open proposals, their votes, the evidence it holds) and how
//! it takes in another node's offer. Taking in verifies everything with
//! the pure functions of `concord-trust` against what this node holds: a
//! node behind walks the chain forward from its own adopted version, then
//! records proposals and votes on the new head and adopts as soon as a
//! quorum of votes is held. Nothing from a peer is trusted because a peer
//! sent it; a document that fails is reported with its reason and
//! changes nothing.
//!
//! ```json
//! {"_type": "concord/community-documents", "spec_version": "1",
//!  "community": "<32 hex>", "genesis": "<hex>", "version": N,
//!  "charters": [<charter 1>, ..., <charter N>],
//!  "proposals": [<draft>...], "votes": [<vote>...], "evidence": [...]}
//! ```

use crate::{CommunityError, Result};
use concord_stix::Timestamp;
use concord_trust::{DocHash, Envelope, Equivocation, VerifiedCharter, Vote, verify_step};
use serde::Serialize;
use serde_json::{Value, json};

use super::ballot;
use super::chain::{self, Chain};
use super::ledger::Ledger;

/// The `_type` of a node's governance documents.
pub const DOCUMENTS_TYPE: &str = "concord/community-documents";
/// A whole offer is refused above this size (1024 charters at most).
pub const MAX_DOCUMENTS_BYTES: usize = 64 * 1024 * 1024;

/// What taking in another node's documents did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// The version held before and after.
    pub version_before: u64,
    /// The version held after.
    pub version: u64,
    /// Versions adopted, in order (walked from charters or by votes).
    pub adopted: Vec<u64>,
    /// Proposals recorded that this node did not hold.
    pub new_proposals: usize,
    /// Votes recorded that this node did not hold.
    pub new_votes: usize,
    /// Pieces of evidence (equivocations, forks) recorded that this node did
    /// not hold.
    pub new_evidence: usize,
    /// Every document that was refused, with the reason.
    pub rejected: Vec<String>,
}

/// This node's documents for its peers (see the module documentation for
/// the shape); before a genesis is held, `version` 0 and empty lists.
pub fn export(ledger: &Ledger) -> Result<Value> {
    let Some(chain) = chain::load(ledger)? else {
        return Ok(json!({
            "_type": DOCUMENTS_TYPE, "spec_version": "1", "version": 0,
            "charters": [], "proposals": [], "votes": [], "evidence": [],
        }));
    };
    let head = chain.head();
    let charters: Vec<&Envelope> = chain.versions().iter().map(|c| c.envelope()).collect();
    let mut proposals = Vec::new();
    let mut votes = Vec::new();
    for p in ballot::open(ledger, head)? {
        proposals.push(serde_json::from_slice::<Value>(&p.to_bytes()?)?);
        for v in ballot::votes_for(ledger, head, &p)? {
            votes.push(serde_json::to_value(&v.vote)?);
        }
    }
    Ok(json!({
        "_type": DOCUMENTS_TYPE,
        "spec_version": "1",
        "community": head.charter().community,
        "genesis": ledger.pinned_genesis()?.map(|h| h.to_hex()),
        "version": head.version(),
        "charters": charters,
        "proposals": proposals,
        "votes": votes,
        "evidence": ledger.evidence()?,
    }))
}

fn list<'a>(doc: &'a Value, key: &str) -> Result<&'a [Value]> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(CommunityError::Invalid(format!("{key}: expected an array"))),
    }
}

/// Takes in `doc`. `pin` bootstraps a node that holds nothing yet (the
/// genesis hash given out of band); without it such a node only reports
/// what it would need.
pub fn ingest(
    ledger: &Ledger,
    doc: &Value,
    pin: Option<DocHash>,
    now: Timestamp,
) -> Result<IngestReport> {
    if doc.get("_type").and_then(Value::as_str) != Some(DOCUMENTS_TYPE) {
        return Err(CommunityError::Invalid(format!(
            "_type: expected {DOCUMENTS_TYPE:?}"
        )));
    }
    let mut report = IngestReport::default();
    let mut charters: Vec<(u64, Vec<u8>)> = Vec::new();
    for (i, c) in list(doc, "charters")?.iter().enumerate() {
        let bytes = serde_json::to_vec(c)?;
        match chain::identify(&bytes) {
            Ok((v, _)) => charters.push((v, bytes)),
            Err(e) => report.rejected.push(format!("charters[{i}]: {e:#}")),
        }
    }
    charters.sort_by_key(|(v, _)| *v);

    let mut chain = match chain::load(ledger)? {
        Some(c) => {
            report.version_before = c.head().version();
            c
        }
        None => {
            let pin = match pin {
                Some(p) => Some(p),
                None => ledger.pinned_genesis()?,
            };
            let Some(pin) = pin else {
                report.rejected.push(
                    "no genesis is pinned on this node: adopt the genesis first or give its hash (--genesis-hash)".into(),
                );
                return Ok(report);
            };
            let Some((_, genesis)) = charters.iter().find(|(v, _)| *v == 1) else {
                report
                    .rejected
                    .push("the documents carry no genesis (version 1)".into());
                return Ok(report);
            };
            match chain::bootstrap(ledger, genesis, Some(pin), now, "sync") {
                Ok(c) => {
                    report.adopted.push(1);
                    c
                }
                Err(e) => {
                    report.rejected.push(format!("charter version 1: {e:#}"));
                    return Ok(report);
                }
            }
        }
    };
    walk(ledger, &mut chain, &charters, now, &mut report)?;

    // Evidence first: it is kept even when the rest is stale.
    for (i, e) in list(doc, "evidence")?.iter().enumerate() {
        match check_evidence(&chain, e) {
            Ok(record) => {
                if ledger.write_evidence(&record)? {
                    report.new_evidence += 1;
                }
            }
            Err(err) => report.rejected.push(format!("evidence[{i}]: {err:#}")),
        }
    }

    // Proposals and votes on the head; after each adoption, again on the
    // new head (the offer may already carry the next round).
    let proposals = list(doc, "proposals")?;
    let votes = list(doc, "votes")?;
    for _ in 0..concord_trust::MAX_STEPS_PER_ROUND {
        let head = chain.head().clone();
        for (i, p) in proposals.iter().enumerate() {
            let bytes = serde_json::to_vec(p)?;
            let version = p["signed"]["version"].as_u64().unwrap_or(0);
            if version != head.version() + 1 {
                continue; // stale, or for a base this node does not hold yet
            }
            match ballot::record_proposal(ledger, &head, &bytes) {
                Ok(true) => report.new_proposals += 1,
                Ok(false) => {}
                Err(e) => report.rejected.push(format!("proposals[{i}]: {e:#}")),
            }
        }
        for (i, v) in votes.iter().enumerate() {
            if v["base_version"].as_u64() != Some(head.version()) {
                continue;
            }
            let vote = match Vote::from_bytes(&serde_json::to_vec(v)?) {
                Ok(vote) => vote,
                Err(e) => {
                    report.rejected.push(format!("votes[{i}]: {e}"));
                    continue;
                }
            };
            match ballot::record_vote(ledger, &head, &vote) {
                Ok(true) => report.new_votes += 1,
                Ok(false) => {}
                Err(e) => report.rejected.push(format!("votes[{i}]: {e:#}")),
            }
        }
        let (adopted, rejected) = ballot::adopt_ready(ledger, &mut chain, now)?;
        report.rejected.extend(rejected);
        if adopted.is_empty() {
            break;
        }
        report.adopted.extend(adopted);
    }
    report.version = chain.head().version();
    Ok(report)
}

/// Walks forward through the offered charters from the held head; a
/// different document for a held version is a fork or a rollback.
fn walk(
    ledger: &Ledger,
    chain: &mut Chain,
    charters: &[(u64, Vec<u8>)],
    now: Timestamp,
    report: &mut IngestReport,
) -> Result<()> {
    let start = chain.head().version();
    let mut walked: Vec<VerifiedCharter> = Vec::new();
    for (v, bytes) in charters {
        let held = walked.last().unwrap_or(chain.head());
        if *v <= start {
            let same = chain::identify(bytes)
                .ok()
                .zip(chain.get(*v))
                .is_some_and(|((_, hash), ours)| hash == ours.hash());
            if same {
                continue; // the peer holds what this node holds
            }
            if let Err(e) = chain.adopt(ledger, bytes, now, "sync") {
                report.rejected.push(format!("charter version {v}: {e:#}"));
            }
            continue;
        }
        if *v <= held.version() {
            continue; // a duplicate in the offer
        }
        match verify_step(held, bytes) {
            Ok(next) => walked.push(next),
            Err(e) => {
                report.rejected.push(format!("charter version {v}: {e}"));
                break;
            }
        }
    }
    // TUF 5.3.10: intermediate versions may have expired, the one the node
    // ends on must not; keep the last valid one (freeze).
    while let Some(last) = walked.last() {
        match last.check_expiry(now) {
            Ok(()) => break,
            Err(e) => {
                report
                    .rejected
                    .push(format!("charter version {}: {e}", last.version()));
                walked.pop();
            }
        }
    }
    for next in walked {
        report.adopted.push(next.version());
        chain.push(ledger, next, "sync")?;
    }
    Ok(())
}

/// Evidence is kept only when it verifies against a charter this node
/// holds, and then as rebuilt from what verified: the accused member, the
/// base and the proposals come from the proof, never from the sender's
/// description of it (a peer holding one real proof must not get nodes to
/// show an accusation against another member).
fn check_evidence(chain: &Chain, e: &Value) -> Result<Value> {
    match e["kind"].as_str() {
        Some("equivocation") => {
            let eq: Equivocation = serde_json::from_value(e["evidence"].clone())?;
            let base = e["base_version"]
                .as_u64()
                .and_then(|b| chain.get(b))
                .ok_or_else(|| {
                    CommunityError::Invalid(
                        "base_version: not a version this node holds".to_string(),
                    )
                })?;
            let proof = eq.verify(base)?;
            Ok(json!({
                "kind": "equivocation",
                "member": proof.member,
                "base_version": proof.base_version,
                "proposals": [proof.proposals.0.to_hex(), proof.proposals.1.to_hex()],
                "evidence": eq,
            }))
        }
        Some("fork") => {
            let version = e["version"].as_u64().unwrap_or(0);
            let base = version
                .checked_sub(1)
                .and_then(|b| chain.get(b))
                .ok_or_else(|| {
                    CommunityError::Invalid("version: no base this node holds".to_string())
                })?;
            let Some([a, b]) = e["charters"]
                .as_array()
                .map(Vec::as_slice)
                .and_then(|s| <&[Value; 2]>::try_from(s).ok().map(|[a, b]| [a, b]))
            else {
                return Err(CommunityError::Invalid(
                    "charters: expected two charters".to_string(),
                ));
            };
            let a = verify_step(base, &serde_json::to_vec(a)?)?;
            let b = verify_step(base, &serde_json::to_vec(b)?)?;
            if a.hash() == b.hash() {
                return Err(CommunityError::Invalid(
                    "charters: the same charter twice is no fork".to_string(),
                ));
            }
            Ok(json!({
                "kind": "fork",
                "version": version,
                "charters": [a.envelope(), b.envelope()],
            }))
        }
        _ => Err(CommunityError::Invalid(
            "kind: expected \"equivocation\" or \"fork\"".to_string(),
        )),
    }
}
