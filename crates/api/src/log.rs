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
use axum::routing::get;
use concord_store::Store;
use concord_taxii::access::Principal;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::ErrorBody;
use crate::{ApiError, ApiState, Caller, ok};

const TEXT: &str = "text/plain; charset=utf-8";

#[utoipa::path(get, path = "/log/checkpoint", tag = "log", summary = "The latest checkpoint of this node's log (C2SP tlog-checkpoint signed note) with the cosignatures received",
    responses((status = 200, description = "the signed note", body = String, content_type = "text/plain"), (status = 404, description = "no checkpoint yet", body = ErrorBody)))]
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

#[utoipa::path(post, path = "/log/add-checkpoint", tag = "log", summary = "C2SP tlog-witness: ask this node to cosign a checkpoint of a log it witnesses",
    request_body(content = String, description = "old size, consistency proof, checkpoint (C2SP tlog-witness)", content_type = "text/plain"),
    responses((status = 200, description = "the cosignature line", body = String, content_type = "text/plain"), (status = 403, description = "not a log this node witnesses, or a bad signature", body = String), (status = 409, description = "the old size differs from the one held (the body says which)", body = String), (status = 422, description = "a bad consistency proof, or a second root for the same size", body = String)))]
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

#[utoipa::path(post, path = "/concord/v1/proofs", tag = "log", summary = "Log material (leaf index, nonce) of the versions the caller may see",
    request_body(content = serde_json::Value, description = "the versions asked about", content_type = "application/json"),
    responses((status = 200, description = "leaf index and nonce per version the caller may see", body = serde_json::Value), (status = 404, description = "this node serves no peers", body = ErrorBody)))]
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

#[utoipa::path(get, path = "/concord/v1/checkpoints", tag = "log", summary = "The checkpoints held for every member's log, and evidence",
    responses((status = 200, description = "checkpoints by origin", body = serde_json::Value), (status = 401, description = "no or bad credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
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

#[utoipa::path(post, path = "/concord/v1/cosignatures", tag = "log", summary = "A witness's cosignature of this node's checkpoint",
    request_body(content = String, description = "cosignature lines (C2SP tlog-cosignature)", content_type = "text/plain"),
    responses((status = 200, description = "the witnesses whose cosignatures were kept", body = serde_json::Value), (status = 401, description = "no or bad credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/concord/v1/evidence", tag = "log", summary = "Evidence of a split view, kept and handed on when new",
    request_body(content = serde_json::Value, description = "two checkpoints of one log that cannot both be true", content_type = "application/json"),
    responses((status = 200, description = "whether it was new", body = serde_json::Value), (status = 400, description = "it does not verify", body = ErrorBody), (status = 401, description = "no or bad credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/concord/v1/tiles", tag = "log", summary = "A tile of another member's log, passed on from its node",
    params(("origin" = String, Query, description = "the log's origin"), ("path" = String, Query, description = "tile/<L>/<N>[.p/<W>]")),
    responses((status = 200, description = "the tile", body = Vec<u8>, content_type = "application/octet-stream"), (status = 400, description = "origin or path missing", body = ErrorBody), (status = 404, description = "no such tile here", body = ErrorBody), (status = 401, description = "no or bad credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
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

/// The log routes. The tiles (C2SP tlog-tiles) are a catch-all path that
/// OpenAPI cannot express: they are specified by C2SP, not by the document.
pub(crate) fn routes() -> OpenApiRouter<Arc<ApiState>> {
    let tiles: Router<Arc<ApiState>> = Router::new().route("/log/tile/{*rest}", get(tile));
    OpenApiRouter::new()
        .routes(routes!(checkpoint))
        .routes(routes!(checkpoints))
        .routes(routes!(mirror))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(add_checkpoint))
                .layer(DefaultBodyLimit::max(
                    concord_tlog::MAX_ADD_CHECKPOINT_BYTES,
                )),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(proofs))
                .layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(evidence))
                .layer(DefaultBodyLimit::max(concord_tlog::MAX_EVIDENCE_BYTES)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(cosignatures))
                .layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .merge(OpenApiRouter::from(tiles))
}

#[cfg(test)]
mod tests {
    /// The documented paths are the ones the log crate's clients call.
    #[test]
    fn documented_paths_are_the_clients() {
        assert_eq!(concord_log::receipt::PROOFS_PATH, "/concord/v1/proofs");
        assert_eq!(
            concord_log::gossip::CHECKPOINTS_PATH,
            "/concord/v1/checkpoints"
        );
        assert_eq!(concord_log::tiles::MIRROR_PATH, "/concord/v1/tiles");
        assert_eq!(concord_log::evidence::EVIDENCE_PATH, "/concord/v1/evidence");
        assert_eq!(
            concord_log::witness::COSIGNATURES_PATH,
            "/concord/v1/cosignatures"
        );
    }
}
