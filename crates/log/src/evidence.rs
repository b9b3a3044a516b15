//! Evidence of a split view, found by this node or received from a peer:
//! verified with the member's key, kept (records `log-evidence`, keyed by
//! the digest of the evidence), logged in this node's own log as a
//! governance entry in the same transaction, and handed to every peer in
//! the checkpoint exchange (`/concord/v1/checkpoints`).

use concord_stix::Timestamp;
use concord_store::{AnyStore, LogLeaf, Record, Store};
use concord_tlog::{Evidence, EvidenceKind, governance_entry};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::directory::Directory;
use crate::{LogError, Result};

/// The record kind of evidence.
pub const EVIDENCE_KIND: &str = "log-evidence";

/// One piece of evidence as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Held {
    /// The log it is against.
    pub origin: String,
    /// The member (identity id) whose log it is.
    pub member: String,
    /// The member's name.
    pub name: String,
    /// `same-size` or `inconsistent`.
    pub kind: String,
    /// The two sizes.
    pub sizes: (u64, u64),
    /// How this node came by it (witnessing a peer, a peer's gossip, ...).
    pub found: String,
    /// When (RFC 3339).
    pub at: String,
    /// The evidence itself (`Evidence::to_json`), verifiable offline with
    /// the member's node key alone.
    pub evidence: Value,
}

impl std::fmt::Display for Held {
    /// Whose log showed two views, of which sizes, found how and when.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SPLIT VIEW by {} ({}): {} checkpoints of sizes {} and {}; found by {} at {}",
            self.name, self.origin, self.kind, self.sizes.0, self.sizes.1, self.found, self.at
        )
    }
}

/// The key of a piece of evidence: the digest of its serialisation.
pub fn key_of(evidence: &Evidence) -> String {
    hex::encode(Sha256::digest(evidence.to_json()))
}

/// Verifies `evidence` with the key of the member whose log it names and
/// keeps it (once), logged in this node's own log. Returns what was kept,
/// or `None` when it was held already.
pub async fn keep(
    store: &AnyStore,
    directory: &Directory,
    evidence: &Evidence,
    found: &str,
) -> Result<Option<Held>> {
    let origin = evidence.checkpoints()[0].checkpoint().origin.clone();
    let member = directory.by_origin(&origin).ok_or_else(|| {
        LogError::Refused(format!(
            "evidence against {origin:?}, which is no member's log"
        ))
    })?;
    let report = evidence.verify(&member.key)?;
    let key = key_of(evidence);
    if store.record(EVIDENCE_KIND, &key).await?.is_some() {
        return Ok(None);
    }
    let json: Value = serde_json::from_slice(&evidence.to_json())?;
    let held = Held {
        origin,
        member: member.member.clone(),
        name: member.name.clone(),
        kind: match report.kind {
            EvidenceKind::SameSize => "same-size",
            EvidenceKind::Inconsistent => "inconsistent",
        }
        .into(),
        sizes: report.sizes,
        found: found.to_string(),
        at: Timestamp::now().to_taxii(),
        evidence: json.clone(),
    };
    let entry = governance_entry(&json)?;
    store
        .log_append(
            vec![LogLeaf {
                key: format!("evidence {key}"),
                entry: entry.to_bytes(),
            }],
            vec![Record::new(
                EVIDENCE_KIND,
                key,
                serde_json::to_string(&held)?,
            )],
        )
        .await?;
    tracing::error!(
        member = %held.name,
        origin = %held.origin,
        sizes = ?held.sizes,
        "SECURITY: a member's log showed a split view; the evidence is kept and handed to every peer"
    );
    Ok(Some(held))
}

/// Where a node takes evidence forwarded by a peer.
pub const EVIDENCE_PATH: &str = "/concord/v1/evidence";

/// The record kind that says a piece of evidence went to a member's node
/// (key `<digest> <member>`).
pub const FORWARDED_KIND: &str = "log-evidence-sent";

/// Hands every piece of evidence held to every member's node that has not
/// taken it yet (`POST /concord/v1/evidence`): a node that finds a split
/// view tells all its peers at once, not at their next round; each node
/// passes a piece on once, when it is new to it, so this ends. Returns
/// how many deliveries were made.
pub async fn forward(
    store: &AnyStore,
    directory: &Directory,
    client: &concord_taxii::client::Client,
) -> Result<usize> {
    let held = list(store).await?;
    let mut sent = 0;
    for h in &held {
        let digest = {
            let Ok(e) = Evidence::from_json(&serde_json::to_vec(&h.evidence)?) else {
                continue;
            };
            key_of(&e)
        };
        for m in &directory.members {
            // The accused is told too: its operator should know.
            let Some(base) = m.base() else { continue };
            let mark = format!("{digest} {}", m.member);
            if store.record(FORWARDED_KIND, &mark).await?.is_some() {
                continue;
            }
            let url = format!("{base}{EVIDENCE_PATH}");
            match client
                .exchange(
                    concord_taxii::client::Method::POST,
                    &url,
                    Some(("application/json", serde_json::to_vec(&h.evidence)?)),
                    64 * 1024,
                )
                .await
            {
                Ok(a) if a.status == 200 => {
                    store
                        .put_records(vec![Record::new(
                            FORWARDED_KIND,
                            mark,
                            Timestamp::now().to_taxii(),
                        )])
                        .await?;
                    sent += 1;
                }
                Ok(a) => {
                    tracing::warn!(member = %m.name, status = a.status, "a member did not take the evidence")
                }
                Err(e) => {
                    tracing::warn!(member = %m.name, error = %e, "the evidence could not be handed on")
                }
            }
        }
    }
    Ok(sent)
}

/// Takes evidence a peer forwarded: kept (and logged) when it verifies
/// with the key of the member whose log it names. Returns whether it was
/// new here.
pub async fn receive(
    store: &AnyStore,
    directory: &Directory,
    body: &[u8],
    from: &str,
) -> Result<bool> {
    let e = Evidence::from_json(body)?;
    Ok(keep(store, directory, &e, &format!("forwarded by {from}"))
        .await?
        .is_some())
}

/// Every piece of evidence held.
pub async fn list(store: &AnyStore) -> Result<Vec<Held>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(EVIDENCE_KIND, after.as_deref(), 500).await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        for r in page {
            out.push(
                serde_json::from_str(&r.value)
                    .map_err(|e| LogError::corrupt(format!("evidence {}", r.key), e))?,
            );
        }
        after = Some(last);
    }
    Ok(out)
}

#[cfg(test)]
mod text_tests {
    use super::Held;

    #[test]
    fn held_evidence_reads_as_one_line() {
        let h = Held {
            origin: "o".into(),
            member: "identity--b".into(),
            name: "b".into(),
            kind: "same-size".into(),
            sizes: (4, 4),
            found: "witnessing".into(),
            at: "t".into(),
            evidence: serde_json::Value::Null,
        };
        assert_eq!(
            h.to_string(),
            "SPLIT VIEW by b (o): same-size checkpoints of sizes 4 and 4; found by witnessing at t"
        );
    }
}
