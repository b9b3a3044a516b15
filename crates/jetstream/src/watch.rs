//! The index a worker matches with, kept current with the node's store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use concord_indicators::Unindexed;
use concord_matcher::Index;
use concord_store::AnyStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::JetStreamError;

/// The active indicators' index, rebuilt in the background when the store
/// holds an indicator row newer than the index (a new indicator, a new
/// version, a revocation) or when the index is older than `max_age` (so
/// that indicators whose validity began or ended since are taken or
/// dropped). Dropping it stops the watcher.
pub struct IndexWatch {
    current: watch::Receiver<Arc<Index>>,
    task: JoinHandle<()>,
    reloads: Arc<AtomicU64>,
    failures: Arc<AtomicU64>,
}

impl IndexWatch {
    /// Builds the index now, then asks the store every `every` whether it
    /// changed. Returns the watch and the indicators the first build could
    /// not take.
    pub async fn start(
        store: AnyStore,
        every: Duration,
        max_age: Duration,
    ) -> Result<(IndexWatch, Vec<Unindexed>), JetStreamError> {
        let first =
            concord_indicators::load_active(&store, concord_stix::Timestamp::now().0).await?;
        let (tx, current) = watch::channel(Arc::new(first.index));
        let reloads = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(keep_current(
            store,
            tx,
            first.last_row,
            every,
            max_age,
            Arc::clone(&reloads),
            Arc::clone(&failures),
        ));
        Ok((
            IndexWatch {
                current,
                task,
                reloads,
                failures,
            },
            first.unindexed,
        ))
    }

    /// The newest index built.
    pub fn current(&self) -> Arc<Index> {
        Arc::clone(&self.current.borrow())
    }

    /// How many times the index was rebuilt since the start.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// How many checks or rebuilds failed (the previous index stayed).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

impl Drop for IndexWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn keep_current(
    store: AnyStore,
    tx: watch::Sender<Arc<Index>>,
    mut last_row: i64,
    every: Duration,
    max_age: Duration,
    reloads: Arc<AtomicU64>,
    failures: Arc<AtomicU64>,
) {
    let mut built = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        let newer = match concord_indicators::newer_than(&store, last_row).await {
            Ok(newer) => newer,
            Err(_) => {
                failures.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        if newer.is_none() && built.elapsed() < max_age {
            continue;
        }
        match concord_indicators::load_active(&store, concord_stix::Timestamp::now().0).await {
            Ok(loaded) => {
                // A revoked version is newer than every row the index
                // took: counting it as seen stops it from asking again.
                last_row = last_row.max(loaded.last_row).max(newer.unwrap_or(0));
                built = Instant::now();
                reloads.fetch_add(1, Ordering::Relaxed);
                if tx.send(Arc::new(loaded.index)).is_err() {
                    // Nobody matches any more.
                    return;
                }
            }
            Err(_) => {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
