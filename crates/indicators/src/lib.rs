//! The node's active indicators, compiled into the matcher's index: what
//! `concord match`, the match API and the console's match page check
//! events against.
//!
//! What it is for: reading every indicator the store holds (latest
//! versions, not revoked), taking those active at a given time into a
//! [`concord_matcher::Index`], and saying which could not be taken and
//! why, so that nobody believes an indicator is being matched when it is
//! not.
//!
//! The compiled index is also kept in a file of the data directory
//! ([`snapshot`]), so that a run loads it instead of compiling every
//! indicator again; the file is checked (checksum, format, store marker,
//! validity window) and rebuilt when it does not hold.
//!
//! What it must never do: change the store, drop an indicator without
//! naming it, trust a snapshot it has not checked, print, or read
//! configuration (the caller names the snapshot's path).

use concord_matcher::Index;
use concord_store::{AnyStore, ScanQuery, Store, StoreError};
use serde::{Deserialize, Serialize};

pub mod snapshot;
use serde_json::Value;

const PAGE: usize = 10_000;

/// An indicator the index could not take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unindexed {
    /// Its STIX id.
    pub id: String,
    /// Its pattern, as stored.
    pub pattern: Option<String>,
    /// Why the matcher refused it.
    pub reason: String,
}

/// The index of the indicators active at one time.
pub struct Loaded {
    /// What events are checked against.
    pub index: Index,
    /// The store row of the newest indicator version read (revoked ones
    /// included): a later row means the index is out of date.
    pub last_row: i64,
    /// Indicators that could not be indexed, with the reason.
    pub unindexed: Vec<Unindexed>,
}

/// Builds the index of the indicators active at `at_us` (microseconds
/// since the epoch; not revoked, inside their validity).
pub async fn load_active(store: &AnyStore, at_us: i64) -> Result<Loaded, StoreError> {
    Ok(load(store, at_us).await?.0)
}

/// What a load saw besides the index, for the snapshot.
pub(crate) struct Scan {
    /// The newest row read: (row, id, version).
    pub(crate) newest: Option<(i64, String, String)>,
    /// The first time after `at_us` when an indicator read becomes valid or
    /// stops being valid.
    pub(crate) next_change_us: Option<i64>,
}

pub(crate) async fn load(store: &AnyStore, at_us: i64) -> Result<(Loaded, Scan), StoreError> {
    let at = Some(concord_pattern::Timestamp { micros: at_us });
    let mut index = Index::new();
    let mut unindexed = Vec::new();
    let mut after_row = 0;
    let mut scan = Scan {
        newest: None,
        next_change_us: None,
    };
    loop {
        // Revoked versions are read too (and left out by the index), so
        // that the newest row read is the store's newest indicator row.
        let page = store
            .scan_latest(ScanQuery {
                after_row,
                limit: PAGE,
                types: vec!["indicator".to_string()],
                since_us: None,
                max_tlp: None,
                include_revoked: true,
            })
            .await?;
        let Some(last) = page.last() else { break };
        after_row = last.row;
        if scan.newest.as_ref().is_none_or(|n| last.row > n.0) {
            scan.newest = Some((last.row, last.id.clone(), last.version.clone()));
        }
        for o in &page {
            let v: Value = serde_json::from_str(&o.json)
                .map_err(|e| StoreError::Corrupt(format!("stored {} is not JSON: {e}", o.id)))?;
            if v.get("revoked").and_then(Value::as_bool) == Some(true) {
                index.remove(&o.id);
                continue;
            }
            for k in ["valid_from", "valid_until"] {
                if let Some(t) = v
                    .get(k)
                    .and_then(Value::as_str)
                    .and_then(concord_pattern::Timestamp::parse)
                    .map(|t| t.micros)
                    .filter(|t| *t > at_us)
                {
                    scan.next_change_us = Some(scan.next_change_us.map_or(t, |n| n.min(t)));
                }
            }
            if let Err(e) = index.add(&v, at) {
                unindexed.push(Unindexed {
                    id: o.id.clone(),
                    pattern: v.get("pattern").and_then(Value::as_str).map(str::to_string),
                    reason: match e {
                        concord_matcher::MatcherError::Indicator { reason, .. } => reason,
                        other => other.to_string(),
                    },
                });
            }
        }
    }
    let last_row = scan.newest.as_ref().map_or(0, |n| n.0);
    Ok((
        Loaded {
            index,
            last_row,
            unindexed,
        },
        scan,
    ))
}

/// The newest indicator row after `after` (any version, revoked ones
/// included), if any: an index built up to `after` is out of date when
/// this is `Some`.
pub async fn newer_than(store: &AnyStore, after: i64) -> Result<Option<i64>, StoreError> {
    Ok(first_indicator_after(store, after).await?.map(|o| o.row))
}

/// The first indicator row after `after` (revoked ones included), if any.
pub(crate) async fn first_indicator_after(
    store: &AnyStore,
    after: i64,
) -> Result<Option<concord_store::StoredObject>, StoreError> {
    let page = store
        .scan_latest(ScanQuery {
            after_row: after,
            limit: 1,
            types: vec!["indicator".into()],
            since_us: None,
            max_tlp: None,
            include_revoked: true,
        })
        .await?;
    Ok(page.into_iter().next())
}
