//! The loop `serve` runs: every few seconds it reads the feeds from the
//! store (so `concord feed add` takes effect without a restart) and pulls
//! each one whose interval has passed since its last fetch, one after the
//! other. A failing feed is logged and retried after its interval; the
//! others go on.

use std::sync::Arc;
use std::time::Duration;

use concord_federation::LocalNode;
use concord_feeds::{FeedSpec, FeedState, FetchLimits};
use concord_stix::Timestamp;
use concord_trust::Keypair;

use crate::feed::pull::Puller;
use crate::feed::record;

/// Whether a feed is due at `now`: never fetched, or its interval passed
/// since its last fetch (a failed one included).
pub fn due(spec: &FeedSpec, state: &FeedState, now: Timestamp) -> bool {
    let Some(last) = state
        .last_fetch
        .as_deref()
        .and_then(|t| Timestamp::parse(t).ok())
    else {
        return true;
    };
    let interval = i64::try_from(spec.interval_secs)
        .unwrap_or(i64::MAX / 2_000_000)
        .saturating_mul(1_000_000);
    now.0 >= last.0.saturating_add(interval)
}

/// Pulls every due feed, every `tick`, for ever.
pub async fn keep_pulling(node: Arc<LocalNode>, key: Arc<Keypair>, org: String, tick: Duration) {
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "feeds: no HTTP client; feeds are not pulled");
            return;
        }
    };
    let puller = Puller {
        node: &node,
        key: &key,
        org: &org,
        client,
        limits: FetchLimits::default(),
    };
    let mut ticks = tokio::time::interval(tick);
    loop {
        ticks.tick().await;
        let specs = match record::specs(&node.store).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "feeds: reading the feeds failed");
                continue;
            }
        };
        for spec in specs {
            let state = match record::state(&node.store, &spec.name).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(feed = %spec.name, error = %e, "feeds: reading the state failed");
                    continue;
                }
            };
            if !due(&spec, &state, Timestamp::now()) {
                continue;
            }
            match puller.pull(&spec).await {
                Ok(r) if r.error.is_some() => {
                    tracing::warn!(feed = %spec.name, error = ?r.error, "feed pull failed; the last good data stays");
                }
                Ok(r) => {
                    tracing::info!(feed = %spec.name, outcome = %r.outcome, stored = r.stored, problems = r.problems_total, "feed pulled");
                }
                Err(e) => tracing::warn!(feed = %spec.name, error = %e, "feed pull failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_is_due_after_its_interval() {
        let spec: FeedSpec = serde_json::from_str(
            r#"{"name":"t","url":"http://x.example/","format":"text","interval_secs":60}"#,
        )
        .unwrap();
        let mut state = FeedState::default();
        let now = Timestamp::parse("2026-12-03T10:00:00Z").unwrap();
        assert!(due(&spec, &state, now));
        state.last_fetch = Some("2026-12-03T09:59:30.000Z".into());
        assert!(!due(&spec, &state, now));
        state.last_fetch = Some("2026-12-03T09:59:00.000Z".into());
        assert!(due(&spec, &state, now));
    }
}
