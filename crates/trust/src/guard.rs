//! The signing guard: honest code signs at most one proposal per base
//! version, ever (FEDERATION.md section 3), even across a crash.
//!
//! This is a pure state machine. The node asks [`SigningGuard::claim`],
//! persists the new state durably (fsync) when told to, and only then
//! releases the signature; after a crash it reloads the state, so the
//! promise survives restarts. Persistence is the node's job; the state is
//! plain serde data for that reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TrustError;
use crate::charter::DocHash;

/// What the node may do with a signature request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First signature on this base: persist the guard state, then sign.
    New,
    /// This very proposal was already claimed (and persisted): signing it
    /// again gives the same deterministic signature and breaks no promise.
    Repeat,
}

/// The guard's state: the adopted version and the proposal signed on each
/// base since. Serialise it to persist it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningGuard {
    /// The highest charter version the node adopted: proposals on older
    /// bases are refused (they can no longer be adopted anywhere this node
    /// matters, and signing them only helps a fork).
    adopted: u64,
    /// Base version -> the proposal (hex charter hash) signed on it.
    signed: BTreeMap<u64, String>,
}

impl SigningGuard {
    /// A guard for a node that adopted `adopted` and has signed nothing.
    pub fn new(adopted: u64) -> SigningGuard {
        SigningGuard {
            adopted,
            signed: BTreeMap::new(),
        }
    }

    /// May the node sign `proposal` on `base_version`? Does not change the
    /// state.
    pub fn may_sign(&self, base_version: u64, proposal: &DocHash) -> Result<Claim, TrustError> {
        if base_version < self.adopted {
            return Err(TrustError::StaleBase {
                base: base_version,
                adopted: self.adopted,
            });
        }
        match self.signed.get(&base_version) {
            None => Ok(Claim::New),
            Some(h) if *h == proposal.to_hex() => Ok(Claim::Repeat),
            Some(h) => Err(TrustError::AlreadySigned {
                base: base_version,
                signed: h.clone(),
                requested: proposal.to_hex(),
            }),
        }
    }

    /// `may_sign`, and on `Claim::New` records the claim: the caller must
    /// persist `self` before the signature leaves the node.
    pub fn claim(&mut self, base_version: u64, proposal: &DocHash) -> Result<Claim, TrustError> {
        let claim = self.may_sign(base_version, proposal)?;
        if claim == Claim::New {
            self.signed.insert(base_version, proposal.to_hex());
        }
        Ok(claim)
    }

    /// Records that the node adopted `version`; claims on older bases are
    /// dropped, since they can never be signed again anyway. Versions only
    /// move forward.
    pub fn adopted(&mut self, version: u64) {
        if version > self.adopted {
            self.adopted = version;
            self.signed.retain(|base, _| *base >= version);
        }
    }

    /// The highest charter version the node adopted.
    pub fn adopted_version(&self) -> u64 {
        self.adopted
    }

    /// The proposal claimed on `base_version`, if any.
    pub fn signed_on(&self, base_version: u64) -> Option<&str> {
        self.signed.get(&base_version).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(b: u8) -> DocHash {
        DocHash([b; 32])
    }

    #[test]
    fn one_proposal_per_base() {
        let mut g = SigningGuard::new(3);
        assert_eq!(g.claim(3, &h(1)).unwrap(), Claim::New);
        assert_eq!(g.claim(3, &h(1)).unwrap(), Claim::Repeat);
        assert!(matches!(
            g.claim(3, &h(2)),
            Err(TrustError::AlreadySigned { base: 3, .. })
        ));
        assert_eq!(g.claim(4, &h(2)).unwrap(), Claim::New);
    }

    #[test]
    fn stale_bases_are_refused_after_adoption() {
        let mut g = SigningGuard::new(1);
        g.claim(1, &h(1)).unwrap();
        g.adopted(2);
        assert!(matches!(
            g.may_sign(1, &h(1)),
            Err(TrustError::StaleBase {
                base: 1,
                adopted: 2
            })
        ));
        g.adopted(1);
        assert_eq!(g.adopted_version(), 2, "versions only move forward");
    }

    #[test]
    fn survives_a_restart_through_serde() {
        let mut g = SigningGuard::new(5);
        g.claim(5, &h(7)).unwrap();
        let saved = serde_json::to_string(&g).unwrap();
        let mut reloaded: SigningGuard = serde_json::from_str(&saved).unwrap();
        assert_eq!(reloaded, g);
        assert!(reloaded.claim(5, &h(8)).is_err());
        assert_eq!(reloaded.signed_on(5), Some(h(7).to_hex().as_str()));
    }

    proptest! {
        /// Whatever the order of requests, at most one proposal per base is
        /// ever granted.
        #[test]
        fn never_two_grants_per_base(reqs in proptest::collection::vec((0u64..4, 0u8..4), 0..40)) {
            let mut g = SigningGuard::new(0);
            let mut granted: BTreeMap<u64, u8> = BTreeMap::new();
            for (base, p) in reqs {
                if g.claim(base, &h(p)).is_ok() {
                    let first = *granted.entry(base).or_insert(p);
                    prop_assert_eq!(first, p);
                }
            }
        }
    }
}
