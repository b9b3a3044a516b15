//! The node's intel written as MISP: events for `concord export --format
//! misp`, and the documents of the MISP feed `serve` publishes under
//! `/feeds/misp/`.
//!
//! Both ask the sharing policy first, exactly as TAXII does for the same
//! caller (`concord_taxii::server::egress::filter`, per page, closed over
//! references): MISP is one more way out, never a wider one. Only then do
//! the chosen objects become MISP events (concord_misp's `Exporter`, with
//! audiences named by the community [`Directory`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use concord_misp::Exporter;
pub use concord_misp::{Export, FeedDocuments, feed_documents};
use concord_share::Recipient;
use concord_store::{AnyStore, ListQuery, ScanQuery, Store, StoredObject, VersionSel};
use concord_taxii::server::egress::{Federation, filter};
use serde_json::{Map, Value};

use crate::Result;
use crate::directory::Directory;

const PAGE: usize = 5_000;

/// Whose share of the objects is written: the sharing policy's `recipient`
/// under `federation`, references resolved in `collection`.
pub struct Share<'a> {
    /// The node's policy and peers.
    pub federation: &'a Federation,
    /// Who receives.
    pub recipient: &'a Recipient,
}

fn maps(page: Vec<StoredObject>) -> Vec<Map<String, Value>> {
    page.into_iter()
        .filter_map(|o| concord_stix::json::parse_object(o.json.as_bytes()).ok())
        .collect()
}

/// The latest version of every object the node holds (or `share` of it),
/// as MISP events. References are resolved in `collection` (the node's
/// local collection, as `concord export --for` does).
/// `query` selects types, times, TLP and revoked objects as for
/// `concord export`; its row and limit are the scan's own.
pub async fn export_all(
    store: &AnyStore,
    collection: &str,
    share: Option<Share<'_>>,
    query: ScanQuery,
    directory: &Directory,
) -> Result<Export> {
    let mut objects = Vec::new();
    let mut after_row = 0;
    loop {
        let page = store
            .scan_latest(ScanQuery {
                after_row,
                limit: PAGE,
                ..query.clone()
            })
            .await?;
        let Some(last) = page.last() else { break };
        after_row = last.row;
        let page = match &share {
            None => page,
            Some(s) => filter(store, s.federation, s.recipient, collection, page).await?,
        };
        objects.extend(maps(page));
    }
    Ok(Exporter::new(directory, directory.organisation()).export(&objects))
}

/// The latest version of each object in `collection` that `share` may
/// see (all of them for `None`: a user with rights on it).
pub async fn collection_objects(
    store: &AnyStore,
    collection: &str,
    share: Option<Share<'_>>,
) -> Result<Vec<Map<String, Value>>> {
    let mut objects = Vec::new();
    let mut added_after_us = None;
    loop {
        let page = store
            .list(ListQuery {
                collection: collection.to_string(),
                added_after_us,
                limit: PAGE,
                ids: Vec::new(),
                types: Vec::new(),
                spec_versions: Vec::new(),
                versions: VersionSel::Last,
            })
            .await?;
        let more = page.more;
        added_after_us = page.objects.last().and_then(|o| o.date_added_us);
        let kept = match &share {
            None => page.objects,
            Some(s) => filter(store, s.federation, s.recipient, collection, page.objects).await?,
        };
        objects.extend(maps(kept));
        if !more || added_after_us.is_none() {
            break;
        }
    }
    Ok(objects)
}

/// The MISP feed of objects: `manifest.json`, `<uuid>.json` per event,
/// `hashes.csv`.
pub fn feed_of(objects: &[Map<String, Value>], directory: &Directory) -> FeedDocuments {
    let export = Exporter::new(directory, directory.organisation()).export(objects);
    feed_documents(&export.events)
}

/// Writes the MISP feed of `events` into `dir` (made if missing):
/// `manifest.json`, `<uuid>.json` per event, `hashes.csv`.
pub fn write_feed(dir: &std::path::Path, events: &[Value]) -> Result<()> {
    let docs = feed_documents(events);
    std::fs::create_dir_all(dir).map_err(|source| crate::BridgeError::Write {
        what: "creating",
        path: dir.to_path_buf(),
        source,
    })?;
    let write = |name: String, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| crate::BridgeError::Write {
            what: "writing",
            path,
            source,
        })
    };
    write(
        "manifest.json".into(),
        docs.manifest.to_string().into_bytes(),
    )?;
    for (uuid, event) in &docs.events {
        write(format!("{uuid}.json"), event.to_string().into_bytes())?;
    }
    write("hashes.csv".into(), docs.hashes_csv.into_bytes())
}

/// Recently built feeds, per collection and recipient: MISP fetches the
/// manifest and then every event in turn, and building the feed reads the
/// whole collection. An entry serves while the collection has no new entry
/// and for at most `max_age` (the policy or the peers may change).
pub struct FeedCache {
    entries: Mutex<VecDeque<Cached>>,
    max_age: Duration,
    capacity: usize,
}

struct Cached {
    key: String,
    last_added: Option<i64>,
    built: Instant,
    documents: Arc<FeedDocuments>,
}

impl Default for FeedCache {
    /// Eight feeds, a minute each.
    fn default() -> FeedCache {
        FeedCache::new(8, Duration::from_secs(60))
    }
}

impl FeedCache {
    /// A cache of up to `capacity` feeds, each kept for at most `max_age`.
    pub fn new(capacity: usize, max_age: Duration) -> FeedCache {
        FeedCache {
            entries: Mutex::new(VecDeque::new()),
            max_age,
            capacity: capacity.max(1),
        }
    }

    /// The key of a collection's feed for a recipient (`None`: a user with
    /// rights on the collection, who sees all of it).
    pub fn key(collection: &str, recipient: Option<&Recipient>) -> String {
        match recipient {
            None => format!("{collection}\nall"),
            Some(Recipient::Public) => format!("{collection}\npublic"),
            Some(Recipient::Peer(p)) => format!(
                "{collection}\npeer {} {} {}",
                p.member,
                p.charter_member,
                p.groups.iter().cloned().collect::<Vec<_>>().join(",")
            ),
        }
    }

    /// The cached feed for `key`, if it is still current.
    pub fn get(&self, key: &str, last_added: Option<i64>) -> Option<Arc<FeedDocuments>> {
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|c| {
                c.key == key && c.last_added == last_added && c.built.elapsed() < self.max_age
            })
            .map(|c| c.documents.clone())
    }

    /// Keeps a feed just built.
    pub fn put(&self, key: String, last_added: Option<i64>, documents: Arc<FeedDocuments>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.retain(|c| c.key != key);
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(Cached {
            key,
            last_added,
            built: Instant::now(),
            documents,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_is_written_as_its_manifest_events_and_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let into = dir.path().join("feed");
        let event = serde_json::json!({"Event": {"uuid": "5f1b6c3e-0000-4000-8000-000000000001",
            "info": "x", "date": "2026-01-01", "timestamp": "1767225600",
            "threat_level_id": "4", "analysis": "0", "published": true, "Attribute": []}});
        write_feed(&into, &[event]).unwrap();
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(into.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest.as_object().map(|m| m.len()), Some(1), "{manifest}");
        assert!(
            into.join("5f1b6c3e-0000-4000-8000-000000000001.json")
                .is_file()
        );
        assert!(into.join("hashes.csv").is_file());
        let e = write_feed(&into.join("manifest.json").join("x"), &[]).unwrap_err();
        assert!(e.to_string().starts_with("creating "), "{e}");
    }

    #[test]
    fn the_cache_serves_only_current_feeds() {
        let cache = FeedCache::new(2, Duration::from_secs(60));
        let docs = Arc::new(feed_documents(&[]));
        let k = FeedCache::key("c", Some(&Recipient::Public));
        assert_ne!(k, FeedCache::key("c", None));
        cache.put(k.clone(), Some(5), docs.clone());
        assert!(cache.get(&k, Some(5)).is_some());
        assert!(cache.get(&k, Some(6)).is_none());
        cache.put("a".into(), None, docs.clone());
        cache.put("b".into(), None, docs.clone());
        assert!(cache.get(&k, Some(5)).is_none(), "the oldest went first");
        let stale = FeedCache::new(2, Duration::ZERO);
        stale.put(k.clone(), Some(5), docs);
        assert!(stale.get(&k, Some(5)).is_none());
    }
}
