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

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use concord_incident::{actions, timeline};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::ErrorBody;
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

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", summary = "Incidents: id, title, status, severity, owner",
    responses((status = 200, description = "the incidents", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
async fn list(State(st): State<Arc<ApiState>>, caller: Caller) -> Result<Response, ApiError> {
    readers(&st, &caller)?;
    Ok(ok(serde_json::to_value(
        timeline::list(&st.node.store).await?,
    )?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", summary = "One incident: state, timeline, who answered",
    params(("id" = String, Path, description = "the incident's STIX id")),
    responses((status = 200, description = "the incident", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody), (status = 404, description = "no such thing", body = ErrorBody)))]
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

#[derive(Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", summary = "Open an incident, optionally requesting assistance",
    request_body(content = NewBody, content_type = "application/json"),
    responses((status = 200, description = "the new incident", body = serde_json::Value), (status = 400, description = "the body is not what the route takes", body = ErrorBody), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
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

#[derive(Deserialize, utoipa::ToSchema)]
struct NoteBody {
    text: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/notes", tag = "incidents", summary = "Add a note to an incident's timeline",
    params(("id" = String, Path, description = "the incident's STIX id")),
    request_body(content = NoteBody, content_type = "application/json"),
    responses((status = 200, description = "the signed note", body = serde_json::Value), (status = 400, description = "the body is not what the route takes", body = ErrorBody), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody), (status = 404, description = "no such thing", body = ErrorBody)))]
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

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct AckBody {
    #[serde(default)]
    decline: bool,
    #[serde(default)]
    text: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/ack", tag = "incidents", summary = "Acknowledge (or decline) a request for assistance",
    params(("id" = String, Path, description = "the incident's STIX id")),
    request_body(content = AckBody, content_type = "application/json"),
    responses((status = 200, description = "the signed answer", body = serde_json::Value), (status = 400, description = "the body is not what the route takes", body = ErrorBody), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody), (status = 404, description = "no such thing", body = ErrorBody)))]
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

#[derive(Deserialize, utoipa::ToSchema)]
struct StatusBody {
    status: String,
    #[serde(default)]
    severity: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/status", tag = "incidents", operation_id = "incident_status", summary = "Move an incident to a new status (its owner only)",
    params(("id" = String, Path, description = "the incident's STIX id")),
    request_body(content = StatusBody, content_type = "application/json"),
    responses((status = 200, description = "the new version", body = serde_json::Value), (status = 400, description = "the body is not what the route takes", body = ErrorBody), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody), (status = 404, description = "no such thing", body = ErrorBody), (status = 409, description = "refused by the rules (the reason is in the body)", body = ErrorBody)))]
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
pub(crate) fn routes() -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(note))
        .routes(routes!(ack))
        .routes(routes!(status))
        .layer(DefaultBodyLimit::max(1 << 20))
}
