//! Incidents over HTTP, beside TAXII: what `concord incident` does.
//!
//! | route | who | what |
//! | --- | --- | --- |
//! | `GET /api/v1/incidents` | readers of the local collection | `incident list` |
//! | `GET /api/v1/incidents/{id}` | readers | `incident show`: state, timeline, who answered |
//! | `POST /api/v1/incidents` | writers | `incident new` (body: `{"title", "tlp", "severity", "request": [..], ...}`) |
//! | `POST /api/v1/incidents/{id}/notes` | writers | `incident note` (body: `{"text"}`) |
//! | `POST /api/v1/incidents/{id}/ack` | writers | `incident ack` (body: `{"decline": bool, "text"}`) |
//! | `POST /api/v1/incidents/{id}/status` | writers | `incident status` (body: `{"status", "severity"}`) |
//!
//! Readers and writers are users with read (write) rights on the node's
//! local collection, or admins; peers never use this API (they receive
//! incidents through TAXII under the sharing policy). Everything written
//! is authored by this member: marked, signed with the node key, stored.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use concord_incident::{actions, timeline};
use serde::Deserialize;

use crate::{ApiError, ApiState, Caller, body, ok};

const WHAT: &str = "the incident API";
const FOR: &str = "incidents are for users with rights on the node's local collection";

fn readers(st: &ApiState, caller: &Caller) -> Result<(), ApiError> {
    caller
        .on_collection(&st.node.collection, false, WHAT, FOR)
        .map(|_| ())
}

fn writers(st: &ApiState, caller: &Caller) -> Result<(), ApiError> {
    caller
        .on_collection(&st.node.collection, true, WHAT, FOR)
        .map(|_| ())
}

async fn list(State(st): State<Arc<ApiState>>, caller: Caller) -> Result<Response, ApiError> {
    readers(&st, &caller)?;
    Ok(ok(serde_json::to_value(
        timeline::list(&st.node.store).await?,
    )?))
}

async fn show(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    readers(&st, &caller)?;
    match timeline::view(&st.node.store, &id).await? {
        Some(v) => Ok(ok(serde_json::to_value(v)?)),
        None => Err(ApiError::not_found("no such incident")),
    }
}

#[derive(Deserialize)]
struct NewBody {
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "amber")]
    tlp: String,
    #[serde(default = "medium")]
    severity: String,
    #[serde(default)]
    request: Vec<String>,
    #[serde(default)]
    sectors: Vec<String>,
    #[serde(default)]
    countries: Vec<String>,
}

fn amber() -> String {
    "amber".into()
}

fn medium() -> String {
    "medium".into()
}

async fn create(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    writers(&st, &caller)?;
    let b: NewBody = body(&bytes, "")?;
    let open = actions::Open {
        title: b.title,
        description: b.description,
        tlp: b.tlp,
        severity: b.severity,
        request: b.request,
        sectors: b.sectors,
        countries: b.countries,
    };
    Ok(ok(actions::open(&st.node, &st.key, open).await?))
}

#[derive(Deserialize)]
struct NoteBody {
    text: String,
}

async fn note(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    writers(&st, &caller)?;
    let b: NoteBody = body(&bytes, "")?;
    Ok(ok(actions::respond(
        &st.node, &st.key, &id, "note", &b.text,
    )
    .await?))
}

#[derive(Deserialize, Default)]
struct AckBody {
    #[serde(default)]
    decline: bool,
    #[serde(default)]
    text: Option<String>,
}

async fn ack(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    writers(&st, &caller)?;
    let b: AckBody = if bytes.is_empty() {
        AckBody::default()
    } else {
        body(&bytes, "")?
    };
    let (kind, default) = if b.decline {
        ("decline", "declined")
    } else {
        ("acknowledge", "acknowledged")
    };
    let text = b.text.unwrap_or_else(|| default.to_string());
    Ok(ok(
        actions::respond(&st.node, &st.key, &id, kind, &text).await?
    ))
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
    #[serde(default)]
    severity: Option<String>,
}

async fn status(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    writers(&st, &caller)?;
    let b: StatusBody = body(&bytes, "")?;
    Ok(ok(actions::set_status(
        &st.node,
        &st.key,
        &id,
        &b.status,
        b.severity.as_deref(),
    )
    .await?))
}

/// The incident routes.
pub(crate) fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/api/v1/incidents", get(list).post(create))
        .route("/api/v1/incidents/{id}", get(show))
        .route("/api/v1/incidents/{id}/notes", post(note))
        .route("/api/v1/incidents/{id}/ack", post(ack))
        .route("/api/v1/incidents/{id}/status", post(status))
        .layer(DefaultBodyLimit::max(1 << 20))
}
