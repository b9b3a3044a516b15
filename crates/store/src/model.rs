//! The values that go in and out of a store.

use concord_stix::{StixObject, Timestamp, tlp::Tlp};
use serde::Serialize;

/// An object version made ready for storage by the caller (off the writer
/// thread): its key, the columns that are indexed, its JSON and search text.
#[derive(Debug, Clone)]
pub struct PreparedObject {
    /// The STIX id.
    pub id: String,
    /// The version string: `modified`, else `created`, else "" (see
    /// `StixObject::version`).
    pub version: String,
    /// The version as µs since the epoch (0 when it is not a timestamp).
    pub version_us: i64,
    /// The STIX type.
    pub object_type: String,
    /// `spec_version`, `None` when absent (STIX 2.0 objects and SCOs).
    pub spec_version: Option<String>,
    /// `created_by_ref`, `None` when absent.
    pub created_by: Option<String>,
    /// The strictest TLP marking, `None` when unmarked.
    pub tlp: Option<Tlp>,
    /// `revoked` is true.
    pub revoked: bool,
    /// The JSON text stored and served, as it is.
    pub json: String,
    /// Its place in a transparency log: appended to the node's own log in
    /// the same transaction (authored here), or its author's (received).
    pub log: Option<crate::LogMark>,
    /// What the embedded store made of it ahead of the write, on the
    /// caller's threads (see [`crate::Encoder`]).
    pub(crate) made: crate::sqlite::Made,
}

/// Runs `work` over a batch's objects on every core, one contiguous part
/// per thread, or on this thread when only `lacking` of them (too few to
/// pay for threads) need it.
pub(crate) fn on_every_core(
    objects: &mut [PreparedObject],
    lacking: usize,
    work: &(dyn Fn(&mut [PreparedObject]) + Sync),
) -> crate::Result<()> {
    let threads = crate::postings::threads();
    if lacking < 1024 || threads < 2 {
        work(objects);
        return Ok(());
    }
    let size = objects.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = objects
            .chunks_mut(size)
            .map(|part| s.spawn(move || work(part)))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| crate::StoreError::Task("preparing a batch failed".into()))
        })
    })
}

/// Hashes the search trigrams of the objects an encoder did not (a
/// foreign format's, or a caller without one), on every core when many.
pub(crate) fn hash_missing_grams(objects: &mut [PreparedObject]) -> crate::Result<()> {
    let hash = |part: &mut [PreparedObject]| {
        for o in part.iter_mut().filter(|o| o.made.grams.is_none()) {
            o.made.grams = Some(crate::postings::grams_of_json(&o.json));
        }
    };
    let lacking = objects.iter().filter(|o| o.made.grams.is_none()).count();
    on_every_core(objects, lacking, &hash)
}

/// A stable 64-bit hash of an object id (FNV-1a), the key of the id index.
/// Stable across processes and versions: it is stored on disk.
pub fn id_key(id: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

impl PreparedObject {
    /// Takes the indexed columns from a (validated) object. `json` is the
    /// object's JSON text as it is to be stored and served.
    pub fn new(object: &StixObject, json: String) -> PreparedObject {
        let version = object.version().to_string();
        let version_us = Timestamp::parse(&version).map(|t| t.0).unwrap_or(0);
        let str_of = |k: &str| object.get(k).and_then(|v| v.as_str()).map(str::to_string);
        PreparedObject {
            id: object.id().to_string(),
            version,
            version_us,
            object_type: object.object_type().to_string(),
            spec_version: str_of("spec_version"),
            created_by: str_of("created_by_ref"),
            tlp: object.tlp(),
            revoked: object.is_revoked(),
            json,
            log: None,
            made: Default::default(),
        }
    }

    /// The same version with its log material.
    pub fn with_log(mut self, mark: crate::LogMark) -> PreparedObject {
        self.log = Some(mark);
        self
    }
}

/// What a batch write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    /// New versions written.
    pub inserted: usize,
    /// Versions that were already stored (same id and version).
    pub duplicates: usize,
    /// The last `date_added` assigned in the collection, if any entry was added.
    pub last_added_us: Option<i64>,
}

/// A stored object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Storage order; stable, increasing with insertion.
    pub row: i64,
    /// The STIX id.
    pub id: String,
    /// The version string (see [`PreparedObject::version`]).
    pub version: String,
    /// The STIX type.
    pub object_type: String,
    /// The JSON text, as stored.
    pub json: String,
    /// When listed through a collection: its `date_added` there.
    pub date_added_us: Option<i64>,
    /// When listed through a collection: its leaf index and nonce, if it
    /// has log material (in this node's log, or in its author's).
    pub log: Option<(u64, [u8; 32])>,
}

/// Which versions of an object a query wants (TAXII `match[version]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSel {
    /// Every version.
    All,
    /// The oldest version.
    First,
    /// The newest version.
    Last,
    /// Exactly these version strings (`modified` values).
    At(Vec<String>),
    /// Any of these selections: TAXII takes comma lists such as `first,last`
    /// or `last,<timestamp>`. Members are never themselves a `Union`.
    Union(Vec<VersionSel>),
}

impl VersionSel {
    /// Whether the selection keeps the `index`-th of `count` versions
    /// (oldest first) whose version string is `version`.
    pub fn keeps(&self, index: usize, count: usize, version: &str) -> bool {
        match self {
            VersionSel::All => true,
            VersionSel::First => index == 0,
            VersionSel::Last => index + 1 == count,
            VersionSel::At(list) => list.iter().any(|v| v == version),
            VersionSel::Union(parts) => parts.iter().any(|p| p.keeps(index, count, version)),
        }
    }

    /// Keeps the selected versions of one object's versions, oldest first.
    pub fn select(&self, all: Vec<StoredObject>) -> Vec<StoredObject> {
        let count = all.len();
        all.into_iter()
            .enumerate()
            .filter(|(i, o)| self.keeps(*i, count, &o.version))
            .map(|(_, o)| o)
            .collect()
    }
}

/// A page request over one collection (TAXII's objects/manifest queries).
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// The collection id.
    pub collection: String,
    /// Only entries added strictly after this (µs since the epoch).
    pub added_after_us: Option<i64>,
    /// The most entries in the page (at least 1).
    pub limit: usize,
    /// Only these object ids; empty: any.
    pub ids: Vec<String>,
    /// Only these object types; empty: any.
    pub types: Vec<String>,
    /// Only these spec versions (an object without `spec_version` counts as
    /// "2.1"); empty: any.
    pub spec_versions: Vec<String>,
    /// Which versions of each object.
    pub versions: VersionSel,
}

/// One page of a collection.
#[derive(Debug, Clone)]
pub struct Page {
    /// The entries, in `date_added` order, with their `date_added_us`.
    pub objects: Vec<StoredObject>,
    /// More entries match after this page.
    pub more: bool,
}

/// A scan over the latest version of every object.
#[derive(Debug, Clone, Default)]
pub struct ScanQuery {
    /// Only rows after this one (exclusive): the last `row` of the previous
    /// page, 0 to start.
    pub after_row: i64,
    /// The most objects returned (0 counts as 1).
    pub limit: usize,
    /// Only these object types; empty: any.
    pub types: Vec<String>,
    /// Only versions whose `version` is at or after this (µs).
    pub since_us: Option<i64>,
    /// Only objects whose strictest TLP is at most this level
    /// (objects without TLP are excluded when set).
    pub max_tlp: Option<Tlp>,
    /// Whether revoked objects are returned too.
    pub include_revoked: bool,
}

/// Counts for `concord stats` and the dashboard.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Objects (distinct ids).
    pub objects: u64,
    /// Stored versions of all objects.
    pub versions: u64,
    /// Objects per type, the most frequent first.
    pub by_type: Vec<(String, u64)>,
    /// Objects per TLP level of their latest version (`Tlp::word`, or
    /// "none" when unmarked).
    pub by_tlp: Vec<(String, u64)>,
    /// Entries per collection, by collection title, in creation order.
    pub collections: Vec<(String, u64)>,
}

/// A TAXII collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    /// The collection id (a UUID).
    pub id: String,
    /// Its title, for people.
    pub title: String,
    /// Its description, for people ("" for none).
    pub description: String,
    /// Anyone may read it, without logging in.
    pub public: bool,
}

/// What a new collection is to be.
#[derive(Debug, Clone)]
pub struct NewCollection {
    /// A fixed id (uuid) or `None` for a fresh one.
    pub id: Option<String>,
    /// Its title, for people.
    pub title: String,
    /// Its description, for people ("" for none).
    pub description: String,
    /// Anyone may read it, without logging in.
    pub public: bool,
}
