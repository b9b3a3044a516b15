//! `GET /api/v1/events`: the member's alerts as a server-sent-event
//! stream. Each event has the alert's id (`id:`), kind (`event:`) and the
//! alert as JSON (`data:`). A client that reconnects with `Last-Event-ID`
//! gets every alert raised after that one; a new client first gets the
//! alerts not yet acknowledged. Who may listen: as for the match API, an
//! admin or a user who may read every collection (alerts speak of all of
//! them); peers and anonymous callers get 401.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use concord_alert as alert;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::ErrorBody;
use crate::{ApiError, ApiState, Caller};

fn event(a: &alert::Alert) -> Event {
    let data = serde_json::to_string(a).unwrap_or_else(|_| "{}".into());
    Event::default()
        .id(a.id.clone())
        .event(a.kind.clone())
        .data(data)
}

/// Where a stream starts: after the client's last event, or (new client)
/// with the unacknowledged alerts.
struct Cursor {
    after: Option<String>,
    only_open: bool,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "alerts", summary = "The member's alerts as server-sent events",
    params(("Last-Event-ID" = Option<String>, Header, description = "resume after this alert id")),
    responses((status = 200, description = "a stream of alerts: id, kind, data (the alert as JSON)", content_type = "text/event-stream", body = String), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
async fn events(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.reads_everything(&st, "the event stream").await?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let start = Cursor {
        only_open: last.is_none(),
        after: last,
    };
    let stream = futures_util::stream::unfold(
        (st, start, Vec::<Event>::new()),
        |(st, mut cur, mut ready)| async move {
            loop {
                if let Some(e) = ready.pop() {
                    return Some((Ok::<Event, Infallible>(e), (st, cur, ready)));
                }
                match alert::after(&st.node.store, cur.after.as_deref(), 200).await {
                    Ok(list) if !list.is_empty() => {
                        cur.after = list.last().map(|a| a.id.clone());
                        // Popped from the end: reverse to send oldest first.
                        ready = list
                            .iter()
                            .filter(|a| !(cur.only_open && a.acknowledged))
                            .map(event)
                            .rev()
                            .collect();
                        continue;
                    }
                    Ok(_) => cur.only_open = false,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading alerts for the event stream failed")
                    }
                }
                tokio::time::sleep(st.events_poll).await;
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// The `/api/v1/events` route.
pub(crate) fn routes() -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::new().routes(routes!(events))
}
