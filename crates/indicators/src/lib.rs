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
//! What it must never do: change the store, drop an indicator without
//! naming it, print, or read configuration.

use concord_matcher::Index;
use concord_store::{AnyStore, ScanQuery, Store, StoreError};
use serde::Serialize;
use serde_json::Value;

const PAGE: usize = 10_000;

/// An indicator the index could not take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The store row of the newest indicator version read: a later row
    /// means the index is out of date.
    pub last_row: i64,
    /// Indicators that could not be indexed, with the reason.
    pub unindexed: Vec<Unindexed>,
}

/// Builds the index of the indicators active at `at_us` (microseconds
/// since the epoch; not revoked, inside their validity).
pub async fn load_active(store: &AnyStore, at_us: i64) -> Result<Loaded, StoreError> {
    let at = Some(concord_pattern::Timestamp { micros: at_us });
    let mut index = Index::new();
    let mut unindexed = Vec::new();
    let mut after_row = 0;
    let mut last_row = 0;
    loop {
        let page = store
            .scan_latest(ScanQuery {
                after_row,
                limit: PAGE,
                types: vec!["indicator".to_string()],
                since_us: None,
                max_tlp: None,
                include_revoked: false,
            })
            .await?;
        let Some(last) = page.last() else { break };
        after_row = last.row;
        last_row = last_row.max(last.row);
        for o in &page {
            let v: Value = serde_json::from_str(&o.json)
                .map_err(|e| StoreError::Corrupt(format!("stored {} is not JSON: {e}", o.id)))?;
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
    Ok(Loaded {
        index,
        last_row,
        unindexed,
    })
}

/// The newest indicator row after `after` (any version, revoked ones
/// included), if any: an index built up to `after` is out of date when
/// this is `Some`.
pub async fn newer_than(store: &AnyStore, after: i64) -> Result<Option<i64>, StoreError> {
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
    Ok(page.first().map(|o| o.row))
}
