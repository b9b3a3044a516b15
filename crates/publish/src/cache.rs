//! The last output of each polled export, kept until the store's change
//! markers of its collections move.
//!
//! Resolvers, IDS rule updaters and Zeek poll `/exports/<format>` often and
//! mostly find nothing new. An entry is keyed by the view (collections and
//! whom each is filtered for) and the query; it holds while every
//! collection's `last_added` is what it was when the entry was made, the
//! sharing policy is the same one, and it is younger than the time to
//! live (indicators expire, and removals from a collection move no
//! marker, without anything being added). A miss builds one export at a
//! time: concurrent pollers of the same view wait for the first one's
//! output rather than each building it, and sid allocation never races
//! inside one node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use concord_share::EgressPolicy;
use concord_stix::Timestamp;
use concord_store::Store;

use crate::{PublishError, Published, Query, Scope, publish};

/// How long entries live and how much they may hold.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// The longest an entry is served without building the export again.
    pub ttl: Duration,
    /// The most bytes of output kept (the oldest entries go first).
    pub max_bytes: usize,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            ttl: Duration::from_secs(60),
            max_bytes: 256 << 20,
        }
    }
}

/// What the store and the policy were when an entry was made.
#[derive(Clone)]
struct Marker {
    last_added: Vec<Option<i64>>,
    policy: Option<Arc<EgressPolicy>>,
}

impl Marker {
    fn same(&self, other: &Marker) -> bool {
        self.last_added == other.last_added
            && match (&self.policy, &other.policy) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

struct Entry {
    marker: Marker,
    made: Instant,
    published: Arc<Published>,
}

/// Exports by view and query, rebuilt when the store changes.
pub struct Cache {
    options: CacheOptions,
    entries: Mutex<HashMap<String, Entry>>,
    building: tokio::sync::Mutex<()>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::new(CacheOptions::default())
    }
}

impl Cache {
    /// An empty cache.
    pub fn new(options: CacheOptions) -> Cache {
        Cache {
            options,
            entries: Mutex::new(HashMap::new()),
            building: tokio::sync::Mutex::new(()),
        }
    }

    /// The export of `scope` as `query` asks: the cached one while the
    /// view's collections have not changed, else a new one (activity is
    /// decided at the time of the build).
    pub async fn publish<S: Store + Clone + 'static>(
        &self,
        store: &S,
        scope: &Scope,
        query: &Query,
    ) -> Result<Arc<Published>, PublishError> {
        query.check()?;
        if !matches!(scope, Scope::Collections { .. }) {
            // The node's own views have no collection markers to watch.
            return Ok(Arc::new(
                publish(store, scope, query, Timestamp::now()).await?,
            ));
        }
        let key = format!("{}\n{}", scope.key(), query.key());
        let marker = marker(store, scope).await?;
        if let Some(p) = self.lookup(&key, &marker) {
            return Ok(p);
        }
        let _one_at_a_time = self.building.lock().await;
        // Another poller may have built it while this one waited.
        let marker = self::marker(store, scope).await?;
        if let Some(p) = self.lookup(&key, &marker) {
            return Ok(p);
        }
        let published = Arc::new(publish(store, scope, query, Timestamp::now()).await?);
        self.insert(key, marker, published.clone());
        Ok(published)
    }

    fn lookup(&self, key: &str, marker: &Marker) -> Option<Arc<Published>> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        (e.marker.same(marker) && e.made.elapsed() < self.options.ttl).then(|| e.published.clone())
    }

    fn insert(&self, key: String, marker: Marker, published: Arc<Published>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let ttl = self.options.ttl;
        entries.retain(|_, e| e.made.elapsed() < ttl);
        entries.insert(
            key,
            Entry {
                marker,
                made: Instant::now(),
                published,
            },
        );
        let mut total: usize = entries.values().map(|e| e.published.size()).sum();
        while total > self.options.max_bytes {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.made)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = entries.remove(&oldest) {
                total -= e.published.size();
            }
        }
    }
}

async fn marker<S: Store>(store: &S, scope: &Scope) -> Result<Marker, PublishError> {
    let mut last_added = Vec::new();
    for c in scope.collections() {
        last_added.push(store.last_added(c).await?);
    }
    Ok(Marker {
        last_added,
        policy: scope.policy_federation().map(|f| f.policy.load_full()),
    })
}
