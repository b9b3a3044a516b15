//! `POST /api/v1/match`: the semantics of `concord match` for SIEM
//! enrichment. The body is log lines (Zeek JSON, Suricata EVE, JSON lines,
//! or one observable a line); `format` and `field=KEY=OBJECT_PATH` query
//! parameters do what `--format` and `--field` do. The answer is JSON: one
//! hit per (line, indicator) with the same fields as the CLI, the malformed
//! lines with their errors, and counts.
//!
//! Who may ask: the index holds every active indicator of the node, from
//! every collection, so only a caller entitled to all of them may query it:
//! an admin, or a user who may read every collection. Anyone else gets 403
//! (401 without credentials), and learns nothing about the indicators.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use concord_matcher::{FieldMapping, Format, Index, Scratch, read_line};
use concord_store::{AnyStore, Store};
use concord_taxii::access::CredentialCache;
use serde_json::{Value, json};

use super::error;

/// What the match handler shares: the current index (swapped whole when the
/// store changes) and the store for authentication.
pub struct MatchState {
    pub store: AnyStore,
    pub index: ArcSwap<Index>,
    /// False until the first index is built: until then the API answers
    /// 503 rather than "no hits" from an empty index.
    ready: std::sync::atomic::AtomicBool,
    /// Set by the first request: a node that never matches over HTTP never
    /// pays for the index (about 300 bytes per indicator).
    wanted: tokio::sync::Notify,
    credentials: CredentialCache,
}

#[derive(serde::Deserialize, Default)]
pub struct MatchParams {
    #[serde(default)]
    format: Option<String>,
}

async fn entitled(st: &MatchState, headers: &HeaderMap) -> Result<(), Response> {
    let principal = super::caller(&st.store, &st.credentials, headers).await?;
    super::reads_everything(&st.store, &principal, "the match API").await
}

async fn match_lines(
    State(st): State<Arc<MatchState>>,
    Query(params): Query<MatchParams>,
    raw_query: axum::extract::RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = entitled(&st, &headers).await {
        return r;
    }
    if !st.ready.load(std::sync::atomic::Ordering::Acquire) {
        st.wanted.notify_one();
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "the indicator index is being built; retry shortly",
        )
            .into_response();
    }
    let format = match params.format.as_deref() {
        None | Some("auto") => None,
        Some("json") => Some(Format::Json),
        Some("text") => Some(Format::Text),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Bad request",
                &format!("format {other:?}: expected auto, json or text"),
            );
        }
    };
    let mut mappings = Vec::new();
    for (k, v) in form_urlencoded::parse(raw_query.0.unwrap_or_default().as_bytes()) {
        if k == "field" {
            match FieldMapping::parse(&v) {
                Ok(m) => mappings.push(m),
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "Bad request",
                        &format!("field {v:?}: {e}"),
                    );
                }
            }
        }
    }
    let index = st.index.load_full();
    // Matching is CPU work: keep it off the async workers.
    let answer = tokio::task::spawn_blocking(move || {
        let mut scratch = Scratch::default();
        let mut hits = Vec::new();
        let mut out = Vec::new();
        let mut malformed = Vec::new();
        let mut events = 0u64;
        for (n, line) in body.lines().enumerate() {
            let line_no = n as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let f = format.unwrap_or(if line.trim_start().starts_with('{') {
                Format::Json
            } else {
                Format::Text
            });
            let observables = match read_line(f, &mappings, line, "request", line_no) {
                Ok(o) => o,
                Err(e) => {
                    malformed.push(json!({"line": line_no, "error": e.to_string()}));
                    continue;
                }
            };
            events += 1;
            hits.clear();
            index.match_event(&observables, &mut scratch, &mut hits);
            for h in &hits {
                let Some(info) = index.info(h.slot) else {
                    continue;
                };
                out.push(json!({
                    "file": "request", "line": line_no,
                    "observable": observables.get(h.observable).map(|o| o.text()),
                    "indicator": info.id, "name": info.name, "confidence": info.confidence,
                    "tlp": info.tlp, "created_by_ref": info.created_by_ref,
                }));
            }
        }
        json!({"events": events, "hits": out, "malformed": malformed, "indicators": index.len()})
    })
    .await;
    match answer {
        Ok(v) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            v.to_string(),
        )
            .into_response(),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "matching failed",
        ),
    }
}

/// The `/api/v1/match` route, and a task that builds the index when the
/// first request comes and rebuilds it when the store's indicators change
/// (checked every `refresh`).
pub fn router(store: AnyStore, max_body_bytes: usize, refresh: Duration) -> Router {
    let state = Arc::new(MatchState {
        store: store.clone(),
        index: ArcSwap::from_pointee(Index::new()),
        ready: std::sync::atomic::AtomicBool::new(false),
        wanted: tokio::sync::Notify::new(),
        credentials: CredentialCache::default(),
    });
    let keeper = state.clone();
    tokio::spawn(async move {
        keeper.wanted.notified().await;
        let mut last: Option<Value> = None;
        let mut tick = tokio::time::interval(refresh);
        loop {
            tick.tick().await;
            // Counts by type and versions move whenever intel arrives or is revoked.
            let now = match keeper.store.stats().await {
                Ok(s) => json!([s.versions, s.by_type]),
                Err(_) => continue,
            };
            if last.as_ref() == Some(&now) {
                continue;
            }
            match crate::indicators::load_index(&keeper.store).await {
                Ok((index, _)) => {
                    keeper.index.store(Arc::new(index));
                    keeper
                        .ready
                        .store(true, std::sync::atomic::Ordering::Release);
                    last = Some(now);
                }
                Err(e) => tracing::warn!(error = %e, "building the indicator index failed"),
            }
        }
    });
    Router::new()
        .route("/api/v1/match", post(match_lines))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}
