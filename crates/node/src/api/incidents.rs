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
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use concord_taxii::access::{CredentialCache, Principal};
use concord_trust::Keypair;
use serde::Deserialize;

use super::{error, ok};

use crate::cmd::Node;
use crate::incident::{actions, timeline};

pub struct IncidentState {
    node: Arc<Node>,
    key: Arc<Keypair>,
    credentials: CredentialCache,
}

/// An action refused for what the caller asked (unknown incident, not the
/// owner, bad status): 400 with the reason, never a 500.
fn refused(e: anyhow::Error) -> Response {
    error(StatusCode::BAD_REQUEST, "Refused", &format!("{e:#}"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Read,
    Write,
}

async fn allowed(st: &IncidentState, headers: &HeaderMap, need: Need) -> Result<(), Response> {
    let principal = super::caller(&st.node.store, &st.credentials, headers).await?;
    let local = &st.node.config.node.collection;
    let ok = match &principal {
        Principal::User(u) => {
            u.admin
                || u.grants.iter().any(|g| {
                    g.collection == *local
                        && match need {
                            Need::Read => g.read,
                            Need::Write => g.write,
                        }
                })
        }
        Principal::Anonymous => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "the incident API needs a user or a token",
            ));
        }
        Principal::Peer(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "incidents are for users with rights on the node's local collection",
        ))
    }
}

async fn list(State(st): State<Arc<IncidentState>>, headers: HeaderMap) -> Response {
    if let Err(r) = allowed(&st, &headers, Need::Read).await {
        return r;
    }
    match timeline::list(&st.node.store).await {
        Ok(l) => ok(serde_json::to_value(l).unwrap_or_default()),
        Err(e) => refused(e),
    }
}

async fn show(
    State(st): State<Arc<IncidentState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = allowed(&st, &headers, Need::Read).await {
        return r;
    }
    match timeline::view(&st.node.store, &id).await {
        Ok(Some(v)) => ok(serde_json::to_value(v).unwrap_or_default()),
        Ok(None) => error(StatusCode::NOT_FOUND, "Not found", "no such incident"),
        Err(e) => refused(e),
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

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(bytes).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "Bad request",
            &format!("the body is not the expected JSON: {e}"),
        ))
    })
}

async fn create(
    State(st): State<Arc<IncidentState>>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    if let Err(r) = allowed(&st, &headers, Need::Write).await {
        return r;
    }
    let b: NewBody = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let open = actions::Open {
        title: b.title,
        description: b.description,
        tlp: b.tlp,
        severity: b.severity,
        request: b.request,
        sectors: b.sectors,
        countries: b.countries,
    };
    match actions::open(&st.node, &st.key, open).await {
        Ok(v) => ok(v),
        Err(e) => refused(e),
    }
}

#[derive(Deserialize)]
struct NoteBody {
    text: String,
}

async fn note(
    State(st): State<Arc<IncidentState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Response {
    if let Err(r) = allowed(&st, &headers, Need::Write).await {
        return r;
    }
    let b: NoteBody = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match actions::respond(&st.node, &st.key, &id, "note", &b.text).await {
        Ok(v) => ok(v),
        Err(e) => refused(e),
    }
}

#[derive(Deserialize, Default)]
struct AckBody {
    #[serde(default)]
    decline: bool,
    #[serde(default)]
    text: Option<String>,
}

async fn ack(
    State(st): State<Arc<IncidentState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Response {
    if let Err(r) = allowed(&st, &headers, Need::Write).await {
        return r;
    }
    let b: AckBody = if bytes.is_empty() {
        AckBody::default()
    } else {
        match body(&bytes) {
            Ok(b) => b,
            Err(r) => return *r,
        }
    };
    let (kind, default) = if b.decline {
        ("decline", "declined")
    } else {
        ("acknowledge", "acknowledged")
    };
    let text = b.text.unwrap_or_else(|| default.to_string());
    match actions::respond(&st.node, &st.key, &id, kind, &text).await {
        Ok(v) => ok(v),
        Err(e) => refused(e),
    }
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
    #[serde(default)]
    severity: Option<String>,
}

async fn status(
    State(st): State<Arc<IncidentState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Response {
    if let Err(r) = allowed(&st, &headers, Need::Write).await {
        return r;
    }
    let b: StatusBody = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match actions::set_status(&st.node, &st.key, &id, &b.status, b.severity.as_deref()).await {
        Ok(v) => ok(v),
        Err(e) => refused(e),
    }
}

pub fn router(node: Arc<Node>, key: Arc<Keypair>) -> Router {
    let st = Arc::new(IncidentState {
        node,
        key,
        credentials: CredentialCache::default(),
    });
    Router::new()
        .route("/api/v1/incidents", get(list).post(create))
        .route("/api/v1/incidents/{id}", get(show))
        .route("/api/v1/incidents/{id}/notes", post(note))
        .route("/api/v1/incidents/{id}/ack", post(ack))
        .route("/api/v1/incidents/{id}/status", post(status))
        .layer(DefaultBodyLimit::max(1 << 20))
        .with_state(st)
}
