//! What a node tells its monitoring: metrics in the Prometheus text format
//! and the probes a supervisor asks (`/healthz`, `/readyz`).
//!
//! What it is for: one explicit [`prometheus_client`] registry per node
//! ([`Metrics`]; no global recorder, so tests and several nodes in one
//! process never share counters), the families every part of the node
//! reports into (HTTP requests by route and status with latency
//! histograms, sync per peer, feeds, matcher events and hits, alerts sent
//! and failed, stored objects by type, the transparency log's size), the
//! HTTP middleware that counts requests ([`http::track`]), a watcher that
//! turns the peers' recorded sync rounds into counters ([`sync::watch`]),
//! and the routes ([`probes::routes`]) with their access rule
//! ([`MetricsSection`]: loopback only unless a token is configured).
//!
//! What it must never do: label a metric with anything unbounded or
//! secret (an object id, a token, a full URL with its query: routes are
//! the router's templates, peers and feeds their configured names); block
//! a request on the store for longer than a scrape needs; read
//! configuration files or the environment, print or exit.

pub mod http;
pub mod probes;
pub mod sync;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

pub use probes::{MetricsAccess, MetricsSection, Readiness};

/// Errors of the telemetry crate.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The registry could not be written in the text format.
    #[error("encoding the metrics failed: {0}")]
    Encode(#[from] std::fmt::Error),
    /// The store could not be read for the store gauges.
    #[error("reading the store for metrics failed: {0}")]
    Store(#[from] concord_store::StoreError),
}

/// A label set of one name (a peer, a feed, an object type).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabel {
    /// The peer's configured name.
    pub peer: String,
}

/// A feed, by its configured name.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeedLabel {
    /// The feed's configured name.
    pub feed: String,
}

/// A feed fetch's outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeedFetchLabel {
    /// The feed's configured name.
    pub feed: String,
    /// `changed`, `unchanged` or `failed`.
    pub outcome: String,
}

/// An alert delivery channel (`webhook`, `email`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabel {
    /// The channel.
    pub channel: String,
}

/// A STIX object type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TypeLabel {
    /// The STIX type.
    pub r#type: String,
}

/// A gauge of floating-point seconds (timestamps).
pub type Seconds = Gauge<f64, AtomicU64>;

/// Every metric family of a node, registered in one registry. Cheap to
/// share behind an `Arc`; every family is internally synchronised.
pub struct Metrics {
    registry: Registry,
    /// HTTP requests.
    pub http: http::HttpMetrics,
    /// Sync rounds per peer.
    pub sync: sync::SyncMetrics,
    /// Feed fetches (the node's feed scheduler reports here).
    pub feeds: FeedMetrics,
    /// `/api/v1/match`: events read and hits found.
    pub matcher: MatcherMetrics,
    /// Alert delivery.
    pub alerts: AlertMetrics,
    /// Stored objects (latest versions) by type, refreshed at scrape time.
    pub objects: Family<TypeLabel, Gauge>,
    /// Stored object versions, refreshed at scrape time.
    pub versions: Gauge,
    /// Entries of the node's transparency log (the log reports here).
    pub log_size: Gauge,
    /// When the process started (seconds since the epoch).
    pub started: Seconds,
}

/// Feed fetches: the hook the feed scheduler calls after each fetch.
#[derive(Default)]
pub struct FeedMetrics {
    /// Fetches by feed and outcome.
    pub fetches: Family<FeedFetchLabel, Counter>,
    /// Objects a feed gave that were new or changed.
    pub objects: Family<FeedLabel, Counter>,
    /// When a fetch of the feed last succeeded.
    pub last_success: Family<FeedLabel, Seconds>,
}

impl FeedMetrics {
    /// Records one fetch of `feed`: `outcome` is `changed`, `unchanged` or
    /// `failed`; `objects` how many new or changed objects it stored.
    pub fn observe(&self, feed: &str, outcome: &str, objects: u64) {
        self.fetches
            .get_or_create(&FeedFetchLabel {
                feed: feed.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
        let label = FeedLabel {
            feed: feed.to_string(),
        };
        self.objects.get_or_create(&label).inc_by(objects);
        if outcome != "failed" {
            self.last_success.get_or_create(&label).set(now_seconds());
        }
    }
}

/// Log lines checked against the active indicators.
#[derive(Default)]
pub struct MatcherMetrics {
    /// Events read.
    pub events: Counter,
    /// Hits found.
    pub hits: Counter,
}

/// Alert delivery outcomes.
#[derive(Default)]
pub struct AlertMetrics {
    /// Deliveries that succeeded.
    pub sent: Counter,
    /// Deliveries given up (moved to the dead-letter list).
    pub failed: Counter,
    /// Alerts waiting for a retry at the last delivery run.
    pub retrying: Gauge,
}

/// Seconds since the epoch, now.
pub(crate) fn now_seconds() -> f64 {
    jiff::Timestamp::now().as_microsecond() as f64 / 1e6
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every family registered, under the `concord_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("concord");
        let http = http::HttpMetrics::new();
        http.register(&mut registry);
        let sync = sync::SyncMetrics::default();
        sync.register(&mut registry);
        let feeds = FeedMetrics::default();
        registry.register(
            "feed_fetches",
            "Feed fetches by feed and outcome",
            feeds.fetches.clone(),
        );
        registry.register(
            "feed_objects",
            "New or changed objects stored from a feed",
            feeds.objects.clone(),
        );
        registry.register(
            "feed_last_success_timestamp_seconds",
            "When a fetch of the feed last succeeded",
            feeds.last_success.clone(),
        );
        let matcher = MatcherMetrics::default();
        registry.register(
            "match_events",
            "Events checked against the active indicators",
            matcher.events.clone(),
        );
        registry.register(
            "match_hits",
            "Hits of the active indicators",
            matcher.hits.clone(),
        );
        let alerts = AlertMetrics::default();
        registry.register(
            "alert_deliveries_sent",
            "Alert deliveries that succeeded",
            alerts.sent.clone(),
        );
        registry.register(
            "alert_deliveries_failed",
            "Alert deliveries given up after their last attempt",
            alerts.failed.clone(),
        );
        registry.register(
            "alert_deliveries_retrying",
            "Alert deliveries waiting for a retry",
            alerts.retrying.clone(),
        );
        let objects = Family::<TypeLabel, Gauge>::default();
        registry.register(
            "store_objects",
            "Stored objects (distinct ids) by STIX type",
            objects.clone(),
        );
        let versions = Gauge::default();
        registry.register("store_versions", "Stored object versions", versions.clone());
        let log_size = Gauge::default();
        registry.register(
            "log_entries",
            "Entries of the node's transparency log",
            log_size.clone(),
        );
        let started = Seconds::default();
        started.set(now_seconds());
        registry.register(
            "process_start_time_seconds",
            "When the node's process started",
            started.clone(),
        );
        Metrics {
            registry,
            http,
            sync,
            feeds,
            matcher,
            alerts,
            objects,
            versions,
            log_size,
            started,
        }
    }

    /// Reads the store's counts into the store gauges.
    pub async fn refresh_store(
        &self,
        store: &concord_store::AnyStore,
    ) -> Result<(), TelemetryError> {
        use concord_store::Store;
        let stats = store.stats().await?;
        self.objects.clear();
        for (t, n) in &stats.by_type {
            self.objects
                .get_or_create(&TypeLabel { r#type: t.clone() })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        self.versions
            .set(i64::try_from(stats.versions).unwrap_or(i64::MAX));
        Ok(())
    }

    /// The registry in the Prometheus text format (version 0.0.4).
    pub fn encode(&self) -> Result<String, TelemetryError> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The `Content-Type` of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_in_the_text() {
        let m = Metrics::new();
        m.matcher.events.inc_by(3);
        m.feeds.observe("abuse-ch", "changed", 7);
        m.sync.observe("cert-b", 1_700_000_000.0, 5, 1, false);
        let text = m.encode().unwrap();
        for name in [
            "concord_match_events_total 3",
            "concord_feed_objects_total{feed=\"abuse-ch\"} 7",
            "concord_sync_objects_total{peer=\"cert-b\"} 5",
            "concord_sync_quarantined_total{peer=\"cert-b\"} 1",
            "# TYPE concord_process_start_time_seconds gauge",
            "concord_log_entries 0",
        ] {
            assert!(text.contains(name), "{name} missing in:\n{text}");
        }
    }
}
