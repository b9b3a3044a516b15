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

/// Why a key, a signature, a signed object or a governance document was
/// refused. Each variant names the rule; member ids, key ids (64 hex digits)
/// and hashes (64 hex digits) are given as text so an operator can act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    // --- keys -------------------------------------------------------------
    /// A key, key id or signature is not in the expected encoding.
    #[error("key encoding: {what}: {reason}")]
    KeyEncoding {
        /// Which encoding was read (such as "public key hex", "key id",
        /// "public key PEM").
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    // --- provenance signatures on STIX objects ------------------------------
    /// The object carries no concord provenance extension.
    #[error("object is unsigned: no concord provenance extension")]
    Unsigned,
    /// A signature or audience extension does not have the required shape.
    #[error("malformed extension at {path}: {reason}")]
    MalformedExtension {
        /// JSON path of the offending value (such as
        /// `$.extensions.<extension id>.sig`).
        path: String,
        /// What is wrong there.
        reason: String,
    },
    /// The signing key is not among the keys the caller trusts.
    #[error("unknown key {key_id}: not among the trusted keys")]
    UnknownKey {
        /// The hex key id computed from the key the object carries.
        key_id: String,
    },
    /// The key is trusted, but for another member than the one the object
    /// names as its signer.
    #[error("signer mismatch: the object names {signer} but key {key_id} belongs to {owner}")]
    SignerMismatch {
        /// The signer the object names (a STIX identity id).
        signer: String,
        /// The hex key id of the signing key.
        key_id: String,
        /// The member the key is trusted for (a STIX identity id).
        owner: String,
    },
    /// The signature does not verify (strict Ed25519) over the signed bytes.
    #[error("bad signature by key {key_id}: the object was changed or not signed by it")]
    BadSignature {
        /// The hex key id of the key the signature claims.
        key_id: String,
    },
    /// A value cannot be written as RFC 8785 canonical JSON (the reason).
    #[error("canonical JSON: {0}")]
    Canonical(String),
    /// An audience was given with no member: "nobody" is said with
    /// `never_export`.
    #[error("an empty audience would mean nobody; set never_export instead")]
    EmptyAudience,

    // --- governance documents: shape ----------------------------------------
    /// The document is larger than its limit; it was not parsed.
    #[error("oversized: {size} bytes exceeds the limit of {limit} bytes (refused before parsing)")]
    Oversized {
        /// The document's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The document is not strict JSON (a syntax error or a duplicate key).
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON reader found wrong.
        message: String,
    },
    /// The JSON does not have the document's shape (a missing or unknown
    /// field, a wrong type): the decoder's message.
    #[error("schema: {0}")]
    Schema(String),
    /// A field has the right type but a value its rule refuses.
    #[error("field {field}: {reason}")]
    Field {
        /// Dotted path of the field in the document (such as
        /// `members.cert-x.country`).
        field: String,
        /// The rule the value breaks.
        reason: String,
    },

    // --- charter invariants -------------------------------------------------
    /// The charter lists no member.
    #[error("a charter needs at least one member")]
    NoMembers,
    /// The quorum is below floor(2n/3)+1, so two quorums could share no
    /// honest member.
    #[error(
        "quorum {threshold} is below the minimum floor(2n/3)+1 = {minimum} for {members} members"
    )]
    BelowMinimumQuorum {
        /// The charter's quorum.
        threshold: u64,
        /// floor(2n/3)+1.
        minimum: u64,
        /// n, the number of members.
        members: u64,
    },
    /// The quorum can never be reached.
    #[error("quorum {threshold} exceeds the number of members {members}")]
    QuorumAboveMembers {
        /// The charter's quorum.
        threshold: u64,
        /// The number of members.
        members: u64,
    },
    /// One key is listed for two members (a key belongs to one member only).
    #[error(
        "key {key_id} is listed for both {first} and {second}: a key belongs to one member only"
    )]
    DuplicateKey {
        /// The hex key id.
        key_id: String,
        /// The member it was listed for first.
        first: String,
        /// The member it was listed for again.
        second: String,
    },
    /// A key is listed under an id that is not its own.
    #[error("member {member}: key listed as {listed} has key id {computed}")]
    KeyIdMismatch {
        /// The member id.
        member: String,
        /// The key id as listed.
        listed: String,
        /// The key id computed from the key.
        computed: String,
    },
    /// A member's `key_threshold` is 0 or above its number of keys.
    #[error("member {member}: key_threshold {threshold} must be 1..={keys} (its number of keys)")]
    BadKeyThreshold {
        /// The member id.
        member: String,
        /// Its `key_threshold`.
        threshold: u64,
        /// Its number of governance keys.
        keys: u64,
    },
    /// A value that must be unique among members is used twice.
    #[error("{what} {value} is used by both {first} and {second}")]
    Duplicate {
        /// Which property (such as "identity" or "log_origin").
        what: &'static str,
        /// The value used twice.
        value: String,
        /// The member id that uses it first.
        first: String,
        /// The member id that uses it again.
        second: String,
    },

    // --- charter update rules -----------------------------------------------
    /// The genesis is not the one whose hash was given out of band.
    #[error("genesis hash mismatch: expected {expected}, got {found}")]
    GenesisHashMismatch {
        /// The hex hash given out of band.
        expected: String,
        /// The hex hash of the genesis received.
        found: String,
    },
    /// A founding member did not sign the genesis.
    #[error("genesis must be signed by every founding member; missing: {missing:?}")]
    GenesisNotSignedByAll {
        /// The member ids whose valid signatures are missing.
        missing: Vec<String>,
    },
    /// The document belongs to another community.
    #[error("wrong community: expected {expected}, got {found}")]
    WrongCommunity {
        /// The community id of the charter held.
        expected: String,
        /// The community id the document names.
        found: String,
    },
    /// A charter update is not the next version of the one held.
    #[error("not N+1: holding version {current}, got version {found}")]
    NotNextVersion {
        /// The version held.
        current: u64,
        /// The version received.
        found: u64,
    },
    /// A charter update does not name the held version as its `previous`.
    #[error("wrong previous: expected {expected}, got {found}")]
    WrongPrevious {
        /// The hex hash of the version held.
        expected: String,
        /// The `previous` the update names ("" when absent).
        found: String,
    },
    /// Fewer distinct members signed validly than the quorum requires.
    #[error(
        "too few signatures: {valid} distinct valid members of {side} (version {version}), {required} required"
    )]
    TooFewSignatures {
        /// Which charter's members and quorum were counted.
        side: Side,
        /// That charter's version.
        version: u64,
        /// Distinct members with valid signatures (each reaching its
        /// `key_threshold`).
        valid: u64,
        /// That charter's quorum.
        required: u64,
    },
    /// A signature names someone who is a member of neither charter.
    #[error("signature by {member}, who is not a member of version {current} or {candidate}")]
    NonMember {
        /// The member id the signature names.
        member: String,
        /// The version held.
        current: u64,
        /// The version being verified.
        candidate: u64,
    },
    /// A signature by a member that an earlier version removed.
    #[error("signature by {member}, a member removed in version {removed_in}")]
    RemovedMember {
        /// The member id.
        member: String,
        /// The version that removed it.
        removed_in: u64,
    },
    /// A member signed with a key that is not one of its keys.
    #[error("signature by {member} with key {key_id}, which is not one of its keys")]
    UnknownMemberKey {
        /// The member id.
        member: String,
        /// The hex key id the signature names.
        key_id: String,
    },
    /// A member's signature does not verify (strict Ed25519).
    #[error("bad signature by {member} with key {key_id}")]
    BadMemberSignature {
        /// The member id.
        member: String,
        /// The hex key id of the key.
        key_id: String,
    },
    /// The charter has expired: the node stays frozen on it until a valid
    /// newer version arrives.
    #[error(
        "expired: version {version} expired at {expires} (now {now}); frozen on the last valid version"
    )]
    Expired {
        /// The expired version.
        version: u64,
        /// Its `expires` (a STIX timestamp, as written in the charter).
        expires: String,
        /// The time of the check (a STIX timestamp).
        now: String,
    },

    // --- proposals, votes, evidence, delegations, signing guard --------------
    /// A proposal is malformed or does not apply to its base (the rule).
    #[error("proposal: {0}")]
    Proposal(String),
    /// A vote is malformed or does not verify (the rule).
    #[error("vote: {0}")]
    Vote(String),
    /// Two signed documents do not prove equivocation (why not).
    #[error("not equivocation: {0}")]
    NotEquivocation(String),
    /// A node-key delegation is malformed, out of its validity or not signed
    /// as its member's `key_threshold` requires (the rule).
    #[error("delegation: {0}")]
    Delegation(String),
    /// The signing guard refuses a second proposal on one base version.
    #[error(
        "already signed proposal {signed} on base version {base}; refusing {requested} (one proposal per base, ever)"
    )]
    AlreadySigned {
        /// The base version.
        base: u64,
        /// The hex hash of the proposal already signed on it.
        signed: String,
        /// The hex hash of the proposal refused.
        requested: String,
    },
    /// The signing guard refuses a proposal on a base older than the
    /// adopted version.
    #[error("stale base: version {base} is below the adopted version {adopted}")]
    StaleBase {
        /// The proposal's base version.
        base: u64,
        /// The highest version the node adopted.
        adopted: u64,
    },
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
