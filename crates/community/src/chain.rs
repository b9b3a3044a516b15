//! The adopted charter chain: loading it (re-verified from the pinned
//! genesis on every start, so a tampered or rolled-back directory is
//! noticed), adopting the next version, and telling a rollback from a
//! fork.
//!
//! Versions only move forward. A document for a version the node already
//! holds is either the same charter (nothing to do), a rollback (an older
//! or different document that does not verify on its base: refused), or a
//! fork (a different document that *does* carry a valid quorum on the same
//! base: refused too, with both charters kept as evidence for the
//! operator, since it proves that members signed two proposals on one
//! base).

use crate::{CommunityError, Result};
use concord_stix::Timestamp;
use concord_trust::{
    CHARTER_CONTEXT, DocHash, Envelope, MAX_CHARTER_BYTES, VerifiedCharter, verify_genesis,
    verify_next, verify_step,
};
use serde_json::json;

use super::ledger::Ledger;

/// Versions 1..=N, each verified on the one before.
pub struct Chain {
    versions: Vec<VerifiedCharter>,
}

impl Chain {
    /// The adopted version: the last of the chain.
    pub fn head(&self) -> &VerifiedCharter {
        // `load` and `bootstrap` never build an empty chain.
        &self.versions[self.versions.len() - 1]
    }

    /// Version `version`, if held.
    pub fn get(&self, version: u64) -> Option<&VerifiedCharter> {
        let i = usize::try_from(version.checked_sub(1)?).ok()?;
        self.versions.get(i)
    }

    /// Every version held, 1 first.
    pub fn versions(&self) -> &[VerifiedCharter] {
        &self.versions
    }
}

/// The version and charter hash a document claims, read without verifying
/// anything else (the size limit is still checked first).
pub fn identify(bytes: &[u8]) -> Result<(u64, DocHash)> {
    let envelope = Envelope::from_bytes(bytes, MAX_CHARTER_BYTES)?;
    let version = envelope.signed["version"].as_u64().ok_or_else(|| {
        CommunityError::Invalid("signed.version: expected a positive integer".into())
    })?;
    let hash = DocHash::of(&envelope.signing_input(CHARTER_CONTEXT)?);
    Ok((version, hash))
}

/// Loads and re-verifies the chain on disk; `None` before the genesis.
pub fn load(ledger: &Ledger) -> Result<Option<Chain>> {
    let versions = ledger.charter_versions()?;
    let Some(pin) = ledger.pinned_genesis()? else {
        if !versions.is_empty() {
            return Err(CommunityError::Invalid(format!(
                "{} holds charters but no genesis.hash: restore it or start over",
                ledger.dir().display()
            )));
        }
        return Ok(None);
    };
    if versions.is_empty() {
        return Ok(None);
    }
    let mut chain: Vec<VerifiedCharter> = Vec::with_capacity(versions.len());
    for (i, &v) in versions.iter().enumerate() {
        let path = ledger.charter_path(v);
        if v != i as u64 + 1 {
            return Err(CommunityError::Invalid(format!(
                "{}: the chain on disk has a gap before version {v}",
                path.display()
            )));
        }
        let bytes = ledger.read_charter(v)?;
        let verified = match chain.last() {
            None => verify_genesis(&bytes, &pin),
            Some(prev) => verify_step(prev, &bytes),
        }
        .map_err(|e| CommunityError::Invalid(format!("{}: {e}", path.display())))?;
        chain.push(verified);
    }
    let chain = Chain { versions: chain };
    let guard = ledger.guard()?;
    let head = chain.head().version();
    if guard.adopted_version() > head {
        return Err(CommunityError::Invalid(format!(
            "rollback on disk: this node adopted version {} but its chain ends at version {head} ({} is missing)",
            guard.adopted_version(),
            ledger.charter_path(head + 1).display()
        )));
    }
    Ok(Some(chain))
}

/// How an adoption request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adoption {
    /// The version was verified and adopted: it is the new head.
    Adopted(u64),
    /// This very charter was held already; nothing changed.
    AlreadyHeld(u64),
}

/// Adopts a genesis: pins `pin` (or the document's own hash when none was
/// given out of band) and stores version 1.
pub fn bootstrap(
    ledger: &Ledger,
    bytes: &[u8],
    pin: Option<DocHash>,
    now: Timestamp,
    via: &str,
) -> Result<Chain> {
    let (version, hash) = identify(bytes)?;
    if version != 1 {
        return Err(CommunityError::Invalid(format!(
            "no charter is held yet: adopt the genesis (version 1) first, or ingest the whole chain with --genesis-hash (got version {version})"
        )));
    }
    let pin = match (pin, ledger.pinned_genesis()?) {
        (Some(given), Some(held)) if given != held => {
            return Err(CommunityError::Invalid(format!(
                "genesis hash mismatch: this node pinned {held}, given {given}"
            )));
        }
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => hash,
    };
    let genesis = verify_genesis(bytes, &pin)?;
    genesis.check_expiry(now)?;
    ledger.pin_genesis(&pin)?;
    persist(ledger, &genesis, via)?;
    Ok(Chain {
        versions: vec![genesis],
    })
}

/// Writes an adopted version and moves the guard forward with it.
fn persist(ledger: &Ledger, next: &VerifiedCharter, via: &str) -> Result<()> {
    ledger.write_charter(next.version(), &next.to_bytes()?)?;
    ledger.record_adoption(next.version(), via)?;
    let mut guard = ledger.guard()?;
    guard.adopted(next.version());
    ledger.write_guard(&guard)
}

impl Chain {
    /// Adopts `bytes` if it is exactly the next version with valid
    /// quorums and not expired; otherwise says why not (rollback, fork,
    /// or the verification rule that failed).
    pub fn adopt(
        &mut self,
        ledger: &Ledger,
        bytes: &[u8],
        now: Timestamp,
        via: &str,
    ) -> Result<Adoption> {
        let (version, hash) = identify(bytes)?;
        let held = self.head().version();
        if version <= held {
            return self
                .older(ledger, bytes, version, hash)
                .map(Adoption::AlreadyHeld);
        }
        let next = verify_next(self.head(), bytes, now)?;
        self.push(ledger, next, via)?;
        Ok(Adoption::Adopted(version))
    }

    /// Stores a verified successor of the head.
    pub fn push(&mut self, ledger: &Ledger, next: VerifiedCharter, via: &str) -> Result<()> {
        persist(ledger, &next, via)?;
        self.versions.push(next);
        Ok(())
    }

    /// A document for a version already held: the held version itself is
    /// fine (adopting twice is a no-op); an older one is a rollback, also
    /// when this node once adopted it; a different one is a fork (evidence
    /// kept) or a rollback.
    fn older(&self, ledger: &Ledger, bytes: &[u8], version: u64, hash: DocHash) -> Result<u64> {
        let held = self.head().version();
        let ours = self.get(version);
        if ours.is_some_and(|c| c.hash() == hash) {
            if version == held {
                return Ok(version);
            }
            return Err(CommunityError::Invalid(format!(
                "rollback refused: holding version {held}, got version {version} (an older version, adopted here before); versions only move forward"
            )));
        }
        if let Some(base) = version.checked_sub(1).and_then(|b| self.get(b))
            && let Ok(theirs) = verify_step(base, bytes)
            && let Some(ours) = ours
        {
            let path = self.record_fork(ledger, ours, &theirs)?;
            return Err(CommunityError::Invalid(format!(
                "fork: version {version} {} carries a valid quorum on base {} but this node adopted {} for that version; both kept as evidence in {}",
                theirs.hash(),
                base.version(),
                ours.hash(),
                path
            )));
        }
        Err(CommunityError::Invalid(format!(
            "rollback refused: holding version {held}, got version {version} ({}); versions only move forward",
            if version == held {
                "a different document for the held version"
            } else {
                "an older version"
            }
        )))
    }

    /// Stores two valid charters for one version as evidence.
    pub fn record_fork(
        &self,
        ledger: &Ledger,
        ours: &VerifiedCharter,
        theirs: &VerifiedCharter,
    ) -> Result<String> {
        let mut pair = [ours, theirs];
        pair.sort_by_key(|c| c.hash());
        let evidence = json!({
            "kind": "fork",
            "version": ours.version(),
            "charters": [pair[0].envelope(), pair[1].envelope()],
        });
        ledger.write_evidence(&evidence)?;
        Ok(ledger.dir().join("evidence").display().to_string())
    }
}
