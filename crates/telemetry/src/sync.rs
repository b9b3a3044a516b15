//! Sync with peers, per peer: rounds, objects stored, objects quarantined,
//! errors, and when the last good round ended.
//!
//! Every round, whether the server's own sync loop or a `concord sync` in
//! another process ran it, leaves its outcome in the store as the peer's
//! sync status (`concord_federation::pull::STATUS_KIND`). [`watch`] reads
//! those records and counts each round once (by its time), so the counters
//! cover every process that syncs this node's store, with no hook in the
//! sync code.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use concord_federation::pull::{PeerRound, STATUS_KIND};
use concord_store::{AnyStore, Store};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use crate::{Metrics, PeerLabel, Seconds};

/// The sync families, labelled by peer name.
#[derive(Default)]
pub struct SyncMetrics {
    /// Rounds run.
    pub rounds: Family<PeerLabel, Counter>,
    /// Objects stored from the peer.
    pub objects: Family<PeerLabel, Counter>,
    /// Objects from the peer that failed verification.
    pub quarantined: Family<PeerLabel, Counter>,
    /// Rounds that ended in an error.
    pub errors: Family<PeerLabel, Counter>,
    /// When a round with the peer last succeeded (seconds since the epoch).
    pub last_success: Family<PeerLabel, Seconds>,
}

impl SyncMetrics {
    pub(crate) fn register(&self, registry: &mut Registry) {
        registry.register("sync_rounds", "Sync rounds by peer", self.rounds.clone());
        registry.register(
            "sync_objects",
            "Objects stored from a peer",
            self.objects.clone(),
        );
        registry.register(
            "sync_quarantined",
            "Objects from a peer that failed verification",
            self.quarantined.clone(),
        );
        registry.register(
            "sync_errors",
            "Sync rounds with a peer that failed",
            self.errors.clone(),
        );
        registry.register(
            "sync_last_success_timestamp_seconds",
            "When a sync round with the peer last succeeded",
            self.last_success.clone(),
        );
    }

    /// Counts one round with `peer`, ended at `at` (seconds since the epoch).
    pub fn observe(&self, peer: &str, at: f64, stored: u64, quarantined: u64, failed: bool) {
        let label = PeerLabel {
            peer: peer.to_string(),
        };
        self.rounds.get_or_create(&label).inc();
        self.objects.get_or_create(&label).inc_by(stored);
        self.quarantined.get_or_create(&label).inc_by(quarantined);
        if failed {
            self.errors.get_or_create(&label).inc();
        } else {
            let g = self.last_success.get_or_create(&label);
            if at > g.get() {
                g.set(at);
            }
        }
    }
}

/// Seconds since the epoch of a round's `at`, if it is a timestamp.
fn seconds_of(at: &str) -> Option<f64> {
    let t: jiff::Timestamp = at.parse().ok()?;
    Some(t.as_microsecond() as f64 / 1e6)
}

/// Counts the rounds recorded since the last look. The rounds recorded
/// before the first look are counted too (their objects are what the
/// node holds from the peer since its status was last written), so a
/// restarted node reports the last round of every peer at once.
pub async fn count_new_rounds(
    metrics: &Metrics,
    store: &AnyStore,
    seen: &mut HashMap<String, String>,
) -> Result<(), concord_store::StoreError> {
    let mut after: Option<String> = None;
    loop {
        let page = store.records(STATUS_KIND, after.as_deref(), 500).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some(last.key.clone());
        for r in &page {
            let Ok(round) = serde_json::from_str::<PeerRound>(&r.value) else {
                continue;
            };
            if seen.get(&r.key) == Some(&round.at) {
                continue;
            }
            seen.insert(r.key.clone(), round.at.clone());
            metrics.sync.observe(
                &r.key,
                seconds_of(&round.at).unwrap_or(0.0),
                round.stored as u64,
                round.quarantined as u64,
                round.error.is_some(),
            );
        }
    }
}

/// Looks at the recorded sync rounds every `every`, for as long as the
/// node serves.
pub async fn watch(metrics: Arc<Metrics>, store: AnyStore, every: Duration) {
    let mut seen = HashMap::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = count_new_rounds(&metrics, &store, &mut seen).await {
            tracing::debug!(error = %e, "reading the sync statuses for metrics failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_store::{Record, SqliteStore};

    #[tokio::test]
    async fn each_recorded_round_is_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).unwrap());
        let metrics = Metrics::new();
        let mut seen = HashMap::new();
        let round = |at: &str, stored: usize, error: Option<&str>| {
            let r = PeerRound {
                peer: "cert-b".into(),
                stored,
                quarantined: 1,
                error: error.map(str::to_string),
                at: at.into(),
                ..Default::default()
            };
            Record::new(STATUS_KIND, "cert-b", serde_json::to_string(&r).unwrap())
        };
        store
            .put_records(vec![round("2026-12-01T10:00:00Z", 4, None)])
            .await
            .unwrap();
        count_new_rounds(&metrics, &store, &mut seen).await.unwrap();
        count_new_rounds(&metrics, &store, &mut seen).await.unwrap();
        store
            .put_records(vec![round("2026-12-01T10:01:00Z", 0, Some("refused"))])
            .await
            .unwrap();
        count_new_rounds(&metrics, &store, &mut seen).await.unwrap();
        let text = metrics.encode().unwrap();
        for line in [
            "concord_sync_rounds_total{peer=\"cert-b\"} 2",
            "concord_sync_objects_total{peer=\"cert-b\"} 4",
            "concord_sync_quarantined_total{peer=\"cert-b\"} 2",
            "concord_sync_errors_total{peer=\"cert-b\"} 1",
            "concord_sync_last_success_timestamp_seconds{peer=\"cert-b\"} 1796119200.0",
        ] {
            assert!(text.contains(line), "{line} missing in:\n{text}");
        }
    }
}
