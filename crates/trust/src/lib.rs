//! Trust in a concord community: keys, provenance signatures on STIX
//! objects, the quorum-signed charter, proposals, votes, equivocation
//! evidence, node-key delegations and the signing guard.
//!
//! What it is for: the pure documents and verification functions that let
//! every node decide on its own whether an object was really published by a
//! current member, and whether a charter version was really adopted by a
//! quorum of members (FEDERATION.md sections 1, 3 and 6). Every rejection
//! is a typed [`TrustError`] that names the rule.
//!
//! What it must never do: read or write files, sockets, environment
//! variables or configuration (the binary stores keys, charters and the
//! guard state; this crate works over bytes, strings and values); print or
//! exit; trust a key id read from input (ids are computed from keys); use
//! anything but strict Ed25519 verification for a decision; panic on any
//! input.

mod audience;
mod batch;
mod charter;
mod delegation;
mod error;
mod extension;
mod guard;
mod keys;
mod proposal;
mod provenance;
pub mod request;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
mod verify;

pub use audience::{
    AUDIENCE_EXTENSION_ID, Audience, Relay, audience_extension_definition, read_audience,
    set_audience,
};
pub use charter::{
    CHARTER_CONTEXT, CHARTER_TYPE, Charter, CharterSignature, DefaultEgress, DocHash, Envelope,
    Founder, KeyEntry, KeyIndex, MAX_CHARTER_BYTES, MAX_SAFE_INTEGER, Member, Policy, Quorum,
    genesis, min_quorum, new_community_id,
};
pub use delegation::{
    DELEGATION_CONTEXT, DELEGATION_TYPE, Delegation, MAX_DELEGATION_BYTES, VerifiedDelegation,
};
pub use error::{Side, TrustError};
pub use guard::{Claim, SigningGuard};
pub use keys::{KeyId, Keypair, PublicKey};
pub use proposal::{
    Equivocation, EquivocationProof, Proposal, ProposalKind, VOTE_TYPE, Vote, propose,
};
pub use provenance::{
    CONCORD_IDENTITY_ID, PROVENANCE_EXTENSION_ID, Provenance, ProvenanceClaim, TrustedKeySet,
    TrustedKeys, provenance_extension_definition, read_provenance, sign_object, sign_owned,
    signer_of, verify_integrity, verify_object, verify_objects,
};
pub use verify::{
    ChainError, MAX_STEPS_PER_ROUND, VerifiedCharter, verify_chain, verify_chain_from,
    verify_genesis, verify_next, verify_step,
};
