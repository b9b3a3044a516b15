//! Which relationships and sightings point at an object: the store has no
//! index by reference, so the console keeps one in memory, built on first
//! use from the latest versions of relationships and sightings and caught
//! up by storage row (keyset) on every object page. A new version of a
//! relationship replaces the old edge; a revoked one removes it.
//!
//! Memory: about 200 bytes per relationship. The index only says which
//! edges exist; whether the user may see an edge and its far end is asked
//! of the rights on every page.

use std::collections::HashMap;

use concord_store::{AnyStore, ScanQuery, Store};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::ConsoleError;

/// One edge: a relationship (`kind` = its relationship_type) or a
/// sighting (`kind` = "sighting-of").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    /// The relationship's or sighting's own id.
    pub via: String,
    pub source: String,
    pub target: String,
    pub kind: String,
}

#[derive(Default)]
struct Inner {
    /// The last row read, per type: each type is read through the
    /// store's (type, row) index, so catching up costs the new rows only,
    /// not a walk over every object stored after the last relationship.
    after_row: HashMap<&'static str, i64>,
    edges: HashMap<String, Edge>,
    by_object: HashMap<String, Vec<String>>,
}

impl Inner {
    fn unlink(&mut self, via: &str) {
        if let Some(old) = self.edges.remove(via) {
            for end in [&old.source, &old.target] {
                if let Some(list) = self.by_object.get_mut(end.as_str()) {
                    list.retain(|v| v != via);
                    if list.is_empty() {
                        self.by_object.remove(end.as_str());
                    }
                }
            }
        }
    }

    fn link(&mut self, e: Edge) {
        self.unlink(&e.via);
        for end in [&e.source, &e.target] {
            self.by_object
                .entry(end.clone())
                .or_default()
                .push(e.via.clone());
        }
        self.edges.insert(e.via.clone(), e);
    }
}

/// The reference index.
#[derive(Default)]
pub(crate) struct RefIndex {
    inner: Mutex<Inner>,
}

const BATCH: usize = 5_000;

/// Reads an edge out of a relationship or sighting; `None` if it is
/// revoked or lacks its references.
pub(crate) fn edge_of(json: &str) -> Option<Result<Edge, String>> {
    let v: serde_json::Map<String, Value> = serde_json::from_str(json).ok()?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let id = s("id")?;
    if v.get("revoked").and_then(Value::as_bool) == Some(true) {
        return Some(Err(id));
    }
    let e = match s("type")?.as_str() {
        "relationship" => Edge {
            source: s("source_ref")?,
            target: s("target_ref")?,
            kind: s("relationship_type").unwrap_or_else(|| "related-to".into()),
            via: id,
        },
        "sighting" => Edge {
            source: id.clone(),
            target: s("sighting_of_ref")?,
            kind: "sighting-of".into(),
            via: id,
        },
        _ => return None,
    };
    Some(Ok(e))
}

impl RefIndex {
    /// Reads up to `budget` new relationship and sighting rows; returns
    /// whether the index is now current.
    pub(crate) async fn catch_up(
        &self,
        store: &AnyStore,
        budget: usize,
    ) -> Result<bool, ConsoleError> {
        let mut inner = self.inner.lock().await;
        let mut read = 0usize;
        for kind in ["relationship", "sighting"] {
            loop {
                let after_row = inner.after_row.get(kind).copied().unwrap_or(0);
                let page = store
                    .scan_latest(ScanQuery {
                        after_row,
                        limit: BATCH,
                        types: vec![kind.into()],
                        since_us: None,
                        max_tlp: None,
                        include_revoked: true,
                    })
                    .await?;
                let n = page.len();
                for o in page {
                    let last = inner.after_row.entry(kind).or_insert(0);
                    *last = (*last).max(o.row);
                    match edge_of(&o.json) {
                        Some(Ok(e)) => inner.link(e),
                        Some(Err(revoked)) => inner.unlink(&revoked),
                        None => {}
                    }
                }
                read += n;
                if n < BATCH {
                    break;
                }
                if read >= budget {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The edges that touch `id` (at most `max`), and how many there are.
    pub(crate) async fn edges_of(&self, id: &str, max: usize) -> (Vec<Edge>, usize) {
        let inner = self.inner.lock().await;
        let Some(vias) = inner.by_object.get(id) else {
            return (Vec::new(), 0);
        };
        let out = vias
            .iter()
            .filter_map(|v| inner.edges.get(v).cloned())
            .take(max)
            .collect();
        (out, vias.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_replace_and_revoke() {
        let mut i = Inner::default();
        let e = |t: &str| Edge {
            via: "relationship--1".into(),
            source: "indicator--a".into(),
            target: t.into(),
            kind: "indicates".into(),
        };
        i.link(e("malware--b"));
        i.link(e("malware--c"));
        assert!(!i.by_object.contains_key("malware--b"));
        assert_eq!(i.by_object["malware--c"], vec!["relationship--1"]);
        i.unlink("relationship--1");
        assert!(i.by_object.is_empty() && i.edges.is_empty());
        let rel = r#"{"type":"relationship","id":"relationship--9","source_ref":"a--1","target_ref":"b--2","relationship_type":"uses"}"#;
        assert_eq!(
            edge_of(rel).and_then(Result::ok).map(|e| e.kind),
            Some("uses".into())
        );
        let revoked = r#"{"type":"relationship","id":"relationship--9","revoked":true}"#;
        assert_eq!(edge_of(revoked), Some(Err("relationship--9".into())));
    }
}
