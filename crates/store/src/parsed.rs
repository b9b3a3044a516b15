//! Stored objects read back as JSON maps, for the domain crates that
//! reason about a few objects at a time (incidents, sightings, alerts).

use serde_json::{Map, Value};

use crate::{AnyStore, Result, ScanQuery, Store, VersionSel};

fn parse(json: &str) -> Option<Map<String, Value>> {
    concord_stix::json::parse_object(json.as_bytes()).ok()
}

/// The latest stored version of an object, parsed; `None` when it is not
/// held (or, never expected, its stored JSON is not an object).
pub async fn latest_object(store: &AnyStore, id: &str) -> Result<Option<Map<String, Value>>> {
    let versions = store.versions(id, VersionSel::Last).await?;
    Ok(versions.last().and_then(|o| parse(&o.json)))
}

/// The latest version of every object of one type, parsed, in store order.
pub async fn latest_of_type(
    store: &AnyStore,
    object_type: &str,
) -> Result<Vec<Map<String, Value>>> {
    let mut out = Vec::new();
    let mut after_row = 0;
    loop {
        let page = store
            .scan_latest(ScanQuery {
                after_row,
                limit: 5_000,
                types: vec![object_type.to_string()],
                ..Default::default()
            })
            .await?;
        let Some(last) = page.last() else { break };
        after_row = last.row;
        out.extend(page.iter().filter_map(|o| parse(&o.json)));
    }
    Ok(out)
}
