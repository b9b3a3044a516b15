//! The one error type of the crate. Each variant names the rule that was
//! broken and carries what an operator needs to see why (member, key id,
//! counts, versions), because a governance rejection that only says
//! "invalid" cannot be acted on.

/// Which charter of an update step a signature count was taken against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The charter the node already holds (version N).
    Current,
    /// The candidate being verified (version N+1, or the genesis).
    Candidate,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Current => "the current charter",
            Side::Candidate => "the candidate charter",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    // --- keys -------------------------------------------------------------
    #[error("key encoding: {what}: {reason}")]
    KeyEncoding { what: &'static str, reason: String },

    // --- provenance signatures on STIX objects ------------------------------
    #[error("object is unsigned: no concord provenance extension")]
    Unsigned,
    #[error("malformed extension at {path}: {reason}")]
    MalformedExtension { path: String, reason: String },
    #[error("unknown key {key_id}: not among the trusted keys")]
    UnknownKey { key_id: String },
    #[error("signer mismatch: the object names {signer} but key {key_id} belongs to {owner}")]
    SignerMismatch {
        signer: String,
        key_id: String,
        owner: String,
    },
    #[error("bad signature by key {key_id}: the object was changed or not signed by it")]
    BadSignature { key_id: String },
    #[error("canonical JSON: {0}")]
    Canonical(String),
    #[error("an empty audience would mean nobody; set never_export instead")]
    EmptyAudience,

    // --- governance documents: shape ----------------------------------------
    #[error("oversized: {size} bytes exceeds the limit of {limit} bytes (refused before parsing)")]
    Oversized { size: usize, limit: usize },
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("schema: {0}")]
    Schema(String),
    #[error("field {field}: {reason}")]
    Field { field: String, reason: String },

    // --- charter invariants -------------------------------------------------
    #[error("a charter needs at least one member")]
    NoMembers,
    #[error(
        "quorum {threshold} is below the minimum floor(2n/3)+1 = {minimum} for {members} members"
    )]
    BelowMinimumQuorum {
        threshold: u64,
        minimum: u64,
        members: u64,
    },
    #[error("quorum {threshold} exceeds the number of members {members}")]
    QuorumAboveMembers { threshold: u64, members: u64 },
    #[error(
        "key {key_id} is listed for both {first} and {second}: a key belongs to one member only"
    )]
    DuplicateKey {
        key_id: String,
        first: String,
        second: String,
    },
    #[error("member {member}: key listed as {listed} has key id {computed}")]
    KeyIdMismatch {
        member: String,
        listed: String,
        computed: String,
    },
    #[error("member {member}: key_threshold {threshold} must be 1..={keys} (its number of keys)")]
    BadKeyThreshold {
        member: String,
        threshold: u64,
        keys: u64,
    },
    #[error("{what} {value} is used by both {first} and {second}")]
    Duplicate {
        what: &'static str,
        value: String,
        first: String,
        second: String,
    },

    // --- charter update rules -----------------------------------------------
    #[error("genesis hash mismatch: expected {expected}, got {found}")]
    GenesisHashMismatch { expected: String, found: String },
    #[error("genesis must be signed by every founding member; missing: {missing:?}")]
    GenesisNotSignedByAll { missing: Vec<String> },
    #[error("wrong community: expected {expected}, got {found}")]
    WrongCommunity { expected: String, found: String },
    #[error("not N+1: holding version {current}, got version {found}")]
    NotNextVersion { current: u64, found: u64 },
    #[error("wrong previous: expected {expected}, got {found}")]
    WrongPrevious { expected: String, found: String },
    #[error(
        "too few signatures: {valid} distinct valid members of {side} (version {version}), {required} required"
    )]
    TooFewSignatures {
        side: Side,
        version: u64,
        valid: u64,
        required: u64,
    },
    #[error("signature by {member}, who is not a member of version {current} or {candidate}")]
    NonMember {
        member: String,
        current: u64,
        candidate: u64,
    },
    #[error("signature by {member}, a member removed in version {removed_in}")]
    RemovedMember { member: String, removed_in: u64 },
    #[error("signature by {member} with key {key_id}, which is not one of its keys")]
    UnknownMemberKey { member: String, key_id: String },
    #[error("bad signature by {member} with key {key_id}")]
    BadMemberSignature { member: String, key_id: String },
    #[error(
        "expired: version {version} expired at {expires} (now {now}); frozen on the last valid version"
    )]
    Expired {
        version: u64,
        expires: String,
        now: String,
    },

    // --- proposals, votes, evidence, delegations, signing guard --------------
    #[error("proposal: {0}")]
    Proposal(String),
    #[error("vote: {0}")]
    Vote(String),
    #[error("not equivocation: {0}")]
    NotEquivocation(String),
    #[error("delegation: {0}")]
    Delegation(String),
    #[error(
        "already signed proposal {signed} on base version {base}; refusing {requested} (one proposal per base, ever)"
    )]
    AlreadySigned {
        base: u64,
        signed: String,
        requested: String,
    },
    #[error("stale base: version {base} is below the adopted version {adopted}")]
    StaleBase { base: u64, adopted: u64 },
}

impl From<concord_stix::json::JsonError> for TrustError {
    fn from(e: concord_stix::json::JsonError) -> Self {
        TrustError::Json {
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

pub(crate) fn field(field: impl Into<String>, reason: impl Into<String>) -> TrustError {
    TrustError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}
