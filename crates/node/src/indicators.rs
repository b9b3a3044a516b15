//! The active indicators of the store, compiled into the matcher's index:
//! shared by `concord match` and the server's match API.

use anyhow::{Context, Result};
use concord_matcher::Index;
use concord_store::{AnyStore, ScanQuery, Store};
use serde_json::Value;

const PAGE: usize = 10_000;

/// Builds the index of the indicators active now (not revoked, inside their
/// validity); returns it with the number of indicators it could not take.
pub async fn load_index(store: &AnyStore) -> Result<(Index, usize)> {
    let now = concord_stix::Timestamp::now().0;
    let at = Some(concord_pattern::Timestamp { micros: now });
    let mut index = Index::new();
    let mut rejected = 0usize;
    let mut after_row = 0;
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
        for o in &page {
            let v: Value = serde_json::from_str(&o.json).context("a stored object is not JSON")?;
            if index.add(&v, at).is_err() {
                rejected += 1;
            }
        }
    }
    Ok((index, rejected))
}
