//! The community directory on disk (`<data-dir>/community/`): what this
//! node holds of its community's governance. Every file is written with
//! [`durable::write_atomic`]; reading never trusts a file more than a
//! document from the network (everything is verified again on load).
//!
//! ```text
//! genesis.hash            the pinned genesis hash (given out of band or
//!                         taken from the adopted genesis)
//! charter-<N>.json        the adopted chain, version 1..=N, as signed
//! adoptions.json          when and how this node adopted each version
//! guard.json              the signing guard (one proposal per base, ever)
//! proposals/<id>.json     drafts of N+1 (unsigned envelopes)
//! votes/<id>/<keyid>.json one vote per proposal and key, with when it
//!                         was recorded here
//! evidence/<name>.json    equivocations and forks, for the operator
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{CommunityError, Result};
use concord_trust::{DocHash, MAX_CHARTER_BYTES, SigningGuard, Vote};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::durable::{self, read_limited, write_atomic};

/// The community directory's name in the data directory.
pub const COMMUNITY_DIR: &str = "community";
const VOTE_LIMIT: usize = 64 * 1024;
const EVIDENCE_LIMIT: usize = 2 * MAX_CHARTER_BYTES + 64 * 1024;

/// A vote as stored: the vote exactly as it travels, and when this node
/// first recorded it (for `community log`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredVote {
    /// The vote, as it travels.
    pub vote: Vote,
    /// When this node first recorded it (a STIX timestamp).
    pub recorded: String,
}

/// How this node came to hold a version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Adoption {
    /// When this node adopted the version (a STIX timestamp).
    pub adopted_at: String,
    /// `adopt` (a charter file), `votes` (a quorum of votes held here) or
    /// `sync` (walked from another node's documents).
    pub via: String,
}

/// The community directory of one node (see the module documentation for
/// its files). Making a `Ledger` touches nothing on disk.
pub struct Ledger {
    dir: PathBuf,
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Ledger {
    /// The community directory of the node at `data_dir`.
    pub fn new(data_dir: &Path) -> Ledger {
        Ledger {
            dir: data_dir.join(COMMUNITY_DIR),
        }
    }

    /// The community directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the directory's lock (see [`durable::Lock::acquire`]).
    pub fn lock(&self) -> Result<durable::Lock> {
        durable::Lock::acquire(&self.dir)
    }

    // --- the pinned genesis -------------------------------------------------

    /// The file of the pinned genesis hash.
    pub fn genesis_path(&self) -> PathBuf {
        self.dir.join("genesis.hash")
    }

    /// The pinned genesis hash, `None` before one is pinned.
    pub fn pinned_genesis(&self) -> Result<Option<DocHash>> {
        let path = self.genesis_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CommunityError::io("reading", &path, e)),
        };
        DocHash::from_hex(text.trim())
            .map(Some)
            .map_err(|e| CommunityError::Invalid(format!("{}: {e}", path.display())))
    }

    /// Pins the genesis hash (replacing any pinned before).
    pub fn pin_genesis(&self, hash: &DocHash) -> Result<()> {
        write_atomic(&self.genesis_path(), format!("{hash}\n").as_bytes())
    }

    // --- the adopted chain ----------------------------------------------------

    /// The file of adopted version `version`.
    pub fn charter_path(&self, version: u64) -> PathBuf {
        self.dir.join(format!("charter-{version}.json"))
    }

    /// The versions of `charter-<N>.json` files present, ascending.
    pub fn charter_versions(&self) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for name in self.names(&self.dir)? {
            if let Some(v) = name
                .strip_prefix("charter-")
                .and_then(|r| r.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                out.push(v);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The bytes of adopted version `version` (at most `MAX_CHARTER_BYTES`),
    /// not verified.
    pub fn read_charter(&self, version: u64) -> Result<Vec<u8>> {
        read_limited(&self.charter_path(version), MAX_CHARTER_BYTES)
    }

    /// Stores version `version` (the caller verified it).
    pub fn write_charter(&self, version: u64, bytes: &[u8]) -> Result<()> {
        write_atomic(&self.charter_path(version), bytes)
    }

    /// When and how each version was adopted, by version.
    pub fn adoptions(&self) -> Result<BTreeMap<u64, Adoption>> {
        self.read_json_or_default(&self.dir.join("adoptions.json"))
    }

    /// Records that `version` was adopted now, `via` `adopt`, `votes` or
    /// `sync`.
    pub fn record_adoption(&self, version: u64, via: &str) -> Result<()> {
        let mut all = self.adoptions()?;
        all.insert(
            version,
            Adoption {
                adopted_at: concord_stix::Timestamp::now().to_stix(),
                via: via.to_string(),
            },
        );
        write_atomic(
            &self.dir.join("adoptions.json"),
            &serde_json::to_vec_pretty(&all)?,
        )
    }

    // --- the signing guard ----------------------------------------------------

    /// The persisted signing guard (a fresh one before any was written).
    pub fn guard(&self) -> Result<SigningGuard> {
        self.read_json_or_default(&self.dir.join("guard.json"))
    }

    /// Persists the guard durably: callers do this *before* a signature is
    /// made, so a crash can never let the node sign a second proposal on
    /// the same base.
    pub fn write_guard(&self, guard: &SigningGuard) -> Result<()> {
        write_atomic(
            &self.dir.join("guard.json"),
            &serde_json::to_vec_pretty(guard)?,
        )
    }

    // --- proposals and votes --------------------------------------------------

    fn proposals_dir(&self) -> PathBuf {
        self.dir.join("proposals")
    }

    /// The ids of the stored proposals, sorted (stale ones included).
    pub fn proposal_ids(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = self
            .names(&self.proposals_dir())?
            .into_iter()
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .filter(|id| is_hex(id, 64))
            .collect();
        out.sort();
        Ok(out)
    }

    /// The bytes of stored proposal `id` (64 hex digits), not verified.
    pub fn read_proposal(&self, id: &str) -> Result<Vec<u8>> {
        if !is_hex(id, 64) {
            return Err(CommunityError::Invalid(format!(
                "proposal id {id:?}: expected 64 hex digits"
            )));
        }
        read_limited(
            &self.proposals_dir().join(format!("{id}.json")),
            MAX_CHARTER_BYTES,
        )
    }

    /// Whether proposal `id` (64 hex digits) is stored.
    pub fn has_proposal(&self, id: &str) -> bool {
        is_hex(id, 64) && self.proposals_dir().join(format!("{id}.json")).exists()
    }

    /// Stores proposal `id` (the caller verified it).
    pub fn write_proposal(&self, id: &DocHash, bytes: &[u8]) -> Result<()> {
        write_atomic(&self.proposals_dir().join(format!("{id}.json")), bytes)
    }

    fn votes_dir(&self, proposal: &str) -> PathBuf {
        self.dir.join("votes").join(proposal)
    }

    /// The stored votes for `proposal`, by member id, not verified; none
    /// for an id that is not 64 hex digits.
    pub fn votes(&self, proposal: &str) -> Result<Vec<StoredVote>> {
        if !is_hex(proposal, 64) {
            return Ok(Vec::new());
        }
        let dir = self.votes_dir(proposal);
        let mut out = Vec::new();
        for name in self.names(&dir)? {
            if !name.ends_with(".json") {
                continue;
            }
            let path = dir.join(&name);
            let bytes = read_limited(&path, VOTE_LIMIT)?;
            let v: StoredVote = serde_json::from_slice(&bytes).map_err(|e| {
                CommunityError::Invalid(format!("{} is not a stored vote: {e}", path.display()))
            })?;
            out.push(v);
        }
        out.sort_by(|a, b| a.vote.member.cmp(&b.vote.member));
        Ok(out)
    }

    /// Stores a vote (already verified); returns false if this key's vote
    /// for this proposal was held already.
    pub fn write_vote(&self, vote: &Vote) -> Result<bool> {
        if !is_hex(&vote.proposal, 64) || !is_hex(&vote.keyid, 64) {
            return Err(CommunityError::Invalid(
                "vote: proposal and keyid must be 64 hex digits".to_string(),
            ));
        }
        let path = self
            .votes_dir(&vote.proposal)
            .join(format!("{}.json", vote.keyid));
        if path.exists() {
            return Ok(false);
        }
        let stored = StoredVote {
            vote: vote.clone(),
            recorded: concord_stix::Timestamp::now().to_stix(),
        };
        write_atomic(&path, &serde_json::to_vec_pretty(&stored)?)?;
        Ok(true)
    }

    // --- evidence -------------------------------------------------------------

    fn evidence_dir(&self) -> PathBuf {
        self.dir.join("evidence")
    }

    /// Stores evidence under a name derived from its content; false if held.
    pub fn write_evidence(&self, evidence: &Value) -> Result<bool> {
        let bytes = serde_json::to_vec_pretty(evidence)?;
        let kind = evidence["kind"].as_str().unwrap_or("evidence");
        let name = format!("{kind}-{}.json", DocHash::of(&bytes).to_hex());
        let path = self.evidence_dir().join(name);
        if path.exists() {
            return Ok(false);
        }
        write_atomic(&path, &bytes)?;
        Ok(true)
    }

    /// Every piece of evidence stored, as JSON.
    pub fn evidence(&self) -> Result<Vec<Value>> {
        let dir = self.evidence_dir();
        let mut out = Vec::new();
        for name in self.names(&dir)? {
            if !name.ends_with(".json") {
                continue;
            }
            let path = dir.join(&name);
            let bytes = read_limited(&path, EVIDENCE_LIMIT)?;
            let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
                CommunityError::Invalid(format!("{} is not JSON: {e}", path.display()))
            })?;
            out.push(v);
        }
        Ok(out)
    }

    // --- plumbing -------------------------------------------------------------

    /// File names in `dir` (none if it does not exist), without temporaries.
    fn names(&self, dir: &Path) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CommunityError::io("listing", dir, e)),
        };
        let mut out = Vec::new();
        for e in entries {
            let e = e.map_err(|e| CommunityError::io("listing", dir, e))?;
            if let Some(name) = e.file_name().to_str()
                && !name.starts_with('.')
            {
                out.push(name.to_string());
            }
        }
        Ok(out)
    }

    fn read_json_or_default<T: Default + serde::de::DeserializeOwned>(
        &self,
        path: &Path,
    ) -> Result<T> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CommunityError::Invalid(format!("{} is damaged: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
            Err(e) => Err(CommunityError::io("reading", path, e)),
        }
    }
}
