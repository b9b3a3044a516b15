//! The records a TAXII server keeps about who may do what: users (with a
//! password hash made by the caller; the store never sees a password),
//! their per-collection rights, API tokens (by hash only) and the status of
//! each POST. The store keeps and answers; deciding access is the server's.

/// A user of the node's TAXII server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The login name (unique).
    pub name: String,
    /// A PHC string (argon2id); never a password.
    pub password_hash: String,
    /// May read and write every collection.
    pub admin: bool,
    /// Rights on single collections.
    pub grants: Vec<Grant>,
}

/// A user's rights on one collection (by collection id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The collection id.
    pub collection: String,
    /// May list and get its objects.
    pub read: bool,
    /// May add objects to it.
    pub write: bool,
}

/// The persisted status of one TAXII POST. `json` is the status resource as
/// the server serves it; the store does not look inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    /// The status id (a UUID the server assigned).
    pub id: String,
    /// The collection id the objects were posted to.
    pub collection: String,
    /// The user who posted (`None`: anonymous); only they may read it.
    pub owner: Option<String>,
    /// When the POST arrived (µs since the epoch); pruning goes by it.
    pub created_us: i64,
    /// The TAXII status resource, as JSON text.
    pub json: String,
}

/// Where a sync with a peer stands: for a pull, the peer's own
/// `X-TAXII-Date-Added-Last` (never a local clock value), for a push the
/// local `date_added` of the last entry sent. `source` names the peer, API
/// root and collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCursor {
    /// The peer, API root and collection, in the caller's own notation.
    pub source: String,
    /// The cursor: a TAXII timestamp as text.
    pub value: String,
}

/// A small named record the node keeps beside its objects: a configured
/// peer, a quarantined object, an alert. `value` is JSON text the store
/// does not look into; records of one kind are ordered by `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// What the record is (such as a peer, an alert): records of one kind
    /// are listed together.
    pub kind: String,
    /// Its key, unique within the kind.
    pub key: String,
    /// Its content, JSON text.
    pub value: String,
    /// When it was last written (set by the store).
    pub updated_us: i64,
}

impl Record {
    /// A record to write; the store sets `updated_us`.
    pub fn new(kind: &str, key: impl Into<String>, value: impl Into<String>) -> Record {
        Record {
            kind: kind.to_string(),
            key: key.into(),
            value: value.into(),
            updated_us: 0,
        }
    }
}
