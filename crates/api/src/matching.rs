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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_matcher::{FieldMapping, Format, Index, Scratch, read_line};
use concord_store::Store;
use serde_json::{Value, json};
use tokio::sync::Notify;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::ErrorBody;
use crate::{ApiError, ApiState, Caller};

/// The current index (swapped whole when the store changes).
pub struct MatchIndex {
    index: ArcSwap<Index>,
    /// False until the first index is built: until then the API answers
    /// 503 rather than "no hits" from an empty index.
    ready: AtomicBool,
    /// Set by the first request: a node that never matches over HTTP never
    /// pays for the index (about 300 bytes per indicator).
    wanted: Notify,
}

impl Default for MatchIndex {
    fn default() -> Self {
        MatchIndex {
            index: ArcSwap::from_pointee(Index::new()),
            ready: AtomicBool::new(false),
            wanted: Notify::new(),
        }
    }
}

/// Told the events read and the hits found by each match request: the
/// binary adds it as a request extension and counts them for its metrics.
#[derive(Clone)]
pub struct MatchObserver(pub Arc<dyn Fn(u64, u64) + Send + Sync>);

#[derive(serde::Deserialize, Default)]
struct MatchParams {
    #[serde(default)]
    format: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/match", tag = "matching", summary = "Check log lines against the active indicators",
    params(
        ("format" = Option<String>, Query, description = "zeek, suricata, json or text (default: JSON lines else text, per line)"),
        ("field" = Option<String>, Query, description = "KEY=OBJECT_PATH: a JSON field as an observable (repeatable)"),
    ),
    request_body(content = String, description = "log lines", content_type = "text/plain"),
    responses((status = 200, description = "hits per (line, indicator), malformed lines, counts", body = serde_json::Value), (status = 400, description = "the body is not what the route takes", body = ErrorBody), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody),
        (status = 503, description = "the indicator index is being built; retry", body = String)))]
async fn match_lines(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    observer: Option<axum::Extension<MatchObserver>>,
    Query(params): Query<MatchParams>,
    raw_query: axum::extract::RawQuery,
    body: String,
) -> Result<Response, ApiError> {
    caller.reads_everything(&st, "the match API").await?;
    if !st.matching.ready.load(Ordering::Acquire) {
        st.matching.wanted.notify_one();
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "the indicator index is being built; retry shortly",
        )
            .into_response());
    }
    let format = match params.format.as_deref() {
        None | Some("auto") => None,
        Some("json") => Some(Format::Json),
        Some("text") => Some(Format::Text),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format {other:?}: expected auto, json or text"
            )));
        }
    };
    let mut mappings = Vec::new();
    for (k, v) in form_urlencoded::parse(raw_query.0.unwrap_or_default().as_bytes()) {
        if k == "field" {
            mappings.push(
                FieldMapping::parse(&v)
                    .map_err(|e| ApiError::bad_request(format!("field {v:?}: {e}")))?,
            );
        }
    }
    let index = st.matching.index.load_full();
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
        if let Some(axum::Extension(MatchObserver(observe))) = &observer {
            observe(events, out.len() as u64);
        }
        json!({"events": events, "hits": out, "malformed": malformed, "indicators": index.len()})
    })
    .await;
    match answer {
        Ok(v) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            v.to_string(),
        )
            .into_response()),
        Err(e) => Err(ApiError::internal(&e)),
    }
}

/// Builds the index when the first request comes and rebuilds it when the
/// store's indicators change (checked every `refresh`).
pub(crate) fn keep_current(state: Arc<ApiState>, refresh: Duration) {
    tokio::spawn(async move {
        state.matching.wanted.notified().await;
        let mut last: Option<Value> = None;
        let mut tick = tokio::time::interval(refresh);
        loop {
            tick.tick().await;
            // Counts by type and versions move whenever intel arrives or is revoked.
            let now = match state.node.store.stats().await {
                Ok(s) => json!([s.versions, s.by_type]),
                Err(_) => continue,
            };
            if last.as_ref() == Some(&now) {
                continue;
            }
            let at = concord_stix::Timestamp::now().0;
            match concord_indicators::load_active(&state.node.store, at).await {
                Ok(loaded) => {
                    state.matching.index.store(Arc::new(loaded.index));
                    state.matching.ready.store(true, Ordering::Release);
                    last = Some(now);
                }
                Err(e) => tracing::warn!(error = %e, "building the indicator index failed"),
            }
        }
    });
}

/// The `/api/v1/match` route.
pub(crate) fn routes(max_body_bytes: usize) -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::new()
        .routes(routes!(match_lines))
        .layer(DefaultBodyLimit::max(max_body_bytes))
}
