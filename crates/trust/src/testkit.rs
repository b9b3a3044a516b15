//! Deterministic communities for tests and benchmarks, here and in the
//! crates that build on this one (multi-node tests need the same charters).
//!
//! The keys come from public seeds: never use them for anything real.

use concord_stix::Timestamp;
use sha2::{Digest, Sha256};

use crate::charter::{CHARTER_CONTEXT, Charter, Envelope, Founder, genesis};
use crate::keys::Keypair;
use crate::verify::{VerifiedCharter, verify_genesis};

/// `n` founding members `m0`..`m{n-1}`, each with one governance key.
#[derive(Debug, Clone)]
pub struct Community {
    /// The community id (a fixed 32-hex-digit value).
    pub community: String,
    /// The founders' governance keys, member `i` at index `i`.
    pub keys: Vec<Keypair>,
    /// The charters' `expires` (2030-01-01T00:00:00Z).
    pub expires: String,
}

impl Community {
    /// A community of `n` founders.
    pub fn new(n: usize) -> Community {
        Community {
            community: "0123456789abcdef0123456789abcdef".into(),
            keys: (0..n).map(Community::key).collect(),
            expires: "2030-01-01T00:00:00Z".into(),
        }
    }

    /// The deterministic governance key of member `i` (any `i`, so tests
    /// can admit members beyond the founders).
    pub fn key(i: usize) -> Keypair {
        let seed: [u8; 32] = Sha256::digest(format!("concord-testkit-{i}")).into();
        Keypair::from_seed(&seed)
    }

    /// The member id of member `i`: `m<i>`.
    pub fn member_id(i: usize) -> String {
        format!("m{i}")
    }

    /// The STIX identity id of member `i`.
    pub fn identity(&self, i: usize) -> String {
        format!("identity--00000000-0000-4000-8000-{i:012x}")
    }

    /// Member `i` as a founder: its key, identity and one endpoint, no
    /// node key.
    pub fn founder(&self, i: usize) -> Founder {
        Founder {
            member: Community::member_id(i),
            identity: self.identity(i),
            name: format!("CERT-{i}"),
            country: "EU".into(),
            governance_key: Community::key(i).public(),
            node_keys: Vec::new(),
            endpoints: vec![format!("https://node{i}.example/taxii2/")],
        }
    }

    /// A time before the charters' expiry.
    pub fn now(&self) -> Timestamp {
        Timestamp::parse("2027-01-01T00:00:00Z").unwrap_or(Timestamp(0))
    }

    /// The unsigned genesis.
    pub fn genesis_charter(&self) -> Charter {
        let founders: Vec<Founder> = (0..self.keys.len()).map(|i| self.founder(i)).collect();
        genesis(&self.community, &founders, &self.expires)
            .expect("the testkit's founders are valid")
    }

    /// `charter` signed by the members at `signers` (with their testkit
    /// keys), as bytes.
    pub fn sign(&self, charter: &Charter, signers: &[usize]) -> Vec<u8> {
        let mut env = Envelope::of_charter(charter).expect("a typed charter serialises");
        for &i in signers {
            env.sign(
                CHARTER_CONTEXT,
                &Community::member_id(i),
                &Community::key(i),
            )
            .expect("a typed charter canonicalises");
        }
        env.to_bytes().expect("an envelope serialises")
    }

    /// The genesis signed by every founder, verified.
    pub fn genesis(&self) -> VerifiedCharter {
        let charter = self.genesis_charter();
        let all: Vec<usize> = (0..self.keys.len()).collect();
        let bytes = self.sign(&charter, &all);
        let hash = charter.hash().expect("a typed charter hashes");
        verify_genesis(&bytes, &hash).expect("the testkit genesis verifies")
    }
}
