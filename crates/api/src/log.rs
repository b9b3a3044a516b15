//! The node's transparency log over HTTP (FEDERATION.md section 2):
//!
//! | route | who | what |
//! | --- | --- | --- |
//! | `GET /log/checkpoint` | anyone | the latest checkpoint (C2SP signed note) with the cosignatures received |
//! | `GET /log/tile/<L>/<N>[.p/<W>]`, `/log/tile/entries/<N>[.p/<W>]` | anyone | C2SP tlog-tiles |
//! | `POST /log/add-checkpoint` | any log this node witnesses | C2SP tlog-witness: 200 with the cosignature, 409 with the size held, 422 |
//! | `POST /concord/v1/proofs` | peers (the public: public objects) | log material of the versions the caller may see |
//! | `GET /concord/v1/checkpoints` | peers, admins | the checkpoints held for every member's log, and evidence |
//! | `POST /concord/v1/cosignatures` | peers | a witness's cosignature of this node's checkpoint |
//! | `GET /concord/v1/tiles?origin=&path=` | peers, admins | a tile of a member's log, passed on from its node |
//! | `POST /concord/v1/evidence` | peers | evidence of a split view, kept and handed on when new |
//!
//! Tiles and checkpoints are public by design: a log is checked by
//! anyone, and intel entries are salted commitments that reveal nothing of
//! an object. Log material (the nonce that opens a commitment) goes only
//! with the sharing decision of the object itself.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use concord_store::Store;
use concord_taxii::access::Principal;

use crate::{ApiError, ApiState, Caller, ok};

const TEXT: &str = "text/plain; charset=utf-8";

async fn checkpoint(State(st): State<Arc<ApiState>>) -> Result<Response, ApiError> {
    match concord_log::own::served_checkpoint(&st.node.store).await? {
        Some(c) => Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, TEXT),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            c.to_bytes(),
        )
            .into_response()),
        None => Err(ApiError::not_found("this node's log has no checkpoint yet")),
    }
}

async fn tile(
    State(st): State<Arc<ApiState>>,
    Path(rest): Path<String>,
) -> Result<Response, ApiError> {
    let path = format!("tile/{rest}");
    match concord_log::own::tile(&st.node.store, &path).await? {
        Some(bytes) => {
            // A full tile never changes; a partial one is a prefix that
            // never changes either (a wider one has another path).
            Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                ],
                bytes,
            )
                .into_response())
        }
        None => Err(ApiError::not_found(format!("no tile {path}"))),
    }
}

async fn add_checkpoint(
    State(st): State<Arc<ApiState>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let directory = concord_federation::logs::current(&st.node, &st.key.public()).await?;
    match concord_log::witness::add_checkpoint(&st.node.store, &directory, &st.key, &body).await? {
        Ok(c) => Ok((StatusCode::OK, [(header::CONTENT_TYPE, TEXT)], c.body()).into_response()),
        Err(r) => {
            let status =
                StatusCode::from_u16(r.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                return Err(ApiError::internal(&r.body()));
            }
            Ok((status, [(header::CONTENT_TYPE, r.content_type())], r.body()).into_response())
        }
    }
}

async fn proofs(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(federation) = st.gate.federation() else {
        return Err(ApiError::not_found("this node serves no peers"));
    };
    let collections = st.node.store.collections().await?;
    let Some(local) = collections.iter().find(|c| c.id == st.node.collection) else {
        return Err(ApiError::not_found("the node's collection is missing"));
    };
    let answer =
        concord_log::proofs::answer(&st.node.store, federation, &caller.0, local, &body).await?;
    Ok(ok(serde_json::to_value(answer)?))
}

async fn checkpoints(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    const FOR: &str = "the checkpoints held are for peers and admins";
    match &caller.0 {
        Principal::User(u) if u.admin => {}
        Principal::Peer(_) => {}
        Principal::Anonymous => return Err(ApiError::unauthorized(FOR)),
        Principal::User(_) => return Err(ApiError::forbidden(FOR)),
    }
    Ok(ok(serde_json::to_value(
        concord_log::gossip::held(&st.node.store).await?,
    )?))
}

async fn cosignatures(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !matches!(caller.0, Principal::Peer(_)) {
        return Err(ApiError::unauthorized(
            "cosignatures come from peer nodes (a request signed with a node key)",
        ));
    }
    let directory = concord_federation::logs::current(&st.node, &st.key.public()).await?;
    let names =
        concord_log::own::accept_cosignatures(&st.node.store, &body, &directory.witnesses()?)
            .await?;
    Ok(ok(serde_json::json!({"kept": names})))
}

/// Evidence of a split view a peer forwards: kept when it verifies with the
/// accused member's key, and handed on to this node's peers when new.
async fn evidence(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Principal::Peer(from) = &caller.0 else {
        return Err(ApiError::unauthorized(
            "evidence comes from peer nodes (a request signed with a node key)",
        ));
    };
    let directory = concord_federation::logs::current(&st.node, &st.key.public()).await?;
    let new = concord_log::evidence::receive(&st.node.store, &directory, &body, &from.name).await?;
    if new {
        let (store, key) = (st.node.store.clone(), st.key.clone());
        tokio::spawn(async move {
            let Ok(client) = concord_federation::logs::client(key) else {
                return;
            };
            if let Err(e) = concord_log::evidence::forward(&store, &directory, &client).await {
                tracing::warn!(error = %e, "handing on evidence failed");
            }
        });
    }
    Ok(ok(serde_json::json!({"kept": new})))
}

/// Tiles of another member's log, passed on from its node to a peer that
/// cannot reach it.
async fn mirror(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    const FOR: &str = "tiles of other members' logs are passed on to peers and admins";
    match &caller.0 {
        Principal::User(u) if u.admin => {}
        Principal::Peer(_) => {}
        Principal::Anonymous => return Err(ApiError::unauthorized(FOR)),
        Principal::User(_) => return Err(ApiError::forbidden(FOR)),
    }
    let (Some(origin), Some(path)) = (q.get("origin"), q.get("path")) else {
        return Err(ApiError::bad_request(
            "give origin=<log origin>&path=tile/...",
        ));
    };
    let directory = concord_federation::logs::current(&st.node, &st.key.public()).await?;
    let client = concord_federation::logs::client(st.key.clone())?;
    match concord_log::tiles::pass_on(&st.node.store, &directory, &client, origin, path).await? {
        Some(bytes) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response()),
        None => Err(ApiError::not_found(format!(
            "no tile {path} of {origin} here"
        ))),
    }
}

/// The log routes.
pub(crate) fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/tile/{*rest}", get(tile))
        .route(
            "/log/add-checkpoint",
            post(add_checkpoint).layer(DefaultBodyLimit::max(
                concord_tlog::MAX_ADD_CHECKPOINT_BYTES,
            )),
        )
        .route(
            concord_log::receipt::PROOFS_PATH,
            post(proofs).layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        )
        .route(concord_log::gossip::CHECKPOINTS_PATH, get(checkpoints))
        .route(concord_log::tiles::MIRROR_PATH, get(mirror))
        .route(
            concord_log::evidence::EVIDENCE_PATH,
            post(evidence).layer(DefaultBodyLimit::max(concord_tlog::MAX_EVIDENCE_BYTES)),
        )
        .route(
            concord_log::witness::COSIGNATURES_PATH,
            post(cosignatures).layer(DefaultBodyLimit::max(64 * 1024)),
        )
}
