//! The community over HTTP, for operators and peers, beside TAXII:
//!
//! | route | who | what |
//! | --- | --- | --- |
//! | `GET /api/v1/community` | any user | `community status` |
//! | `GET /api/v1/community/log` | any user | `community log` |
//! | `GET /api/v1/community/proposals` | any user | `community proposals` |
//! | `POST /api/v1/community/proposals` | admin | `community propose` (body: `{"kind": "add-member", ...}`) |
//! | `GET /api/v1/community/proposals/{id}` | any user | one proposal and its competitors |
//! | `POST /api/v1/community/proposals/{id}/vote` | admin | `community vote` |
//! | `GET /concord/v1/community` | peer nodes, admins | the governance documents |
//! | `POST /concord/v1/community` | admin | take in documents (a push by hand) |
//!
//! Handlers only translate HTTP into calls on `concord_community`, on a
//! blocking thread (the files are fsynced). Authentication is TAXII's
//! (Basic or bearer token), and for the documents also a request signed
//! with a configured peer's node key (as the TAXII server checks it); a
//! vote is this node's, signed with its governance key, so only an admin
//! may cast it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use concord_community::{self as community, KindSpec, Session, exchange};
use concord_stix::Timestamp;
use concord_taxii::access::Principal;
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::ErrorBody;
use crate::{ApiError, ApiState, Caller, ok};

const WHAT: &str = "the community API";
const ADMINS: &str = "proposing and voting are for admins of this node";

/// Runs a community operation on a blocking thread (the files are locked
/// and fsynced) and answers its result or its refusal.
async fn blocking(
    f: impl FnOnce() -> Result<Value, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map(ok),
        Err(e) => Err(ApiError::internal(&e)),
    }
}

#[utoipa::path(get, path = "/api/v1/community", tag = "community", operation_id = "community_status", summary = "The adopted charter: version, members, quorum",
    responses((status = 200, description = "the community's status", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody)))]
async fn status(State(st): State<Arc<ApiState>>, caller: Caller) -> Result<Response, ApiError> {
    caller.user(WHAT)?;
    let dir = st.node.data_dir.clone();
    blocking(move || Ok(Session::open(&dir)?.status(Timestamp::now())?)).await
}

#[utoipa::path(get, path = "/api/v1/community/log", tag = "community", summary = "The charter chain: who signed which version, when",
    responses((status = 200, description = "the chain", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody)))]
async fn log(State(st): State<Arc<ApiState>>, caller: Caller) -> Result<Response, ApiError> {
    caller.user(WHAT)?;
    let dir = st.node.data_dir.clone();
    blocking(move || Ok(Value::Array(Session::open(&dir)?.log()?))).await
}

#[utoipa::path(get, path = "/api/v1/community/proposals", tag = "community", summary = "Open proposals, competing ones, signatures so far",
    responses((status = 200, description = "the proposals", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody)))]
async fn proposals(State(st): State<Arc<ApiState>>, caller: Caller) -> Result<Response, ApiError> {
    caller.user(WHAT)?;
    let dir = st.node.data_dir.clone();
    blocking(move || Ok(serde_json::to_value(Session::open(&dir)?.proposals()?)?)).await
}

#[utoipa::path(get, path = "/api/v1/community/proposals/{id}", tag = "community", summary = "One proposal, its tally and its competitors",
    params(("id" = String, Path, description = "the proposal's hash")),
    responses((status = 200, description = "the proposal", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody), (status = 404, description = "no such thing", body = ErrorBody)))]
async fn proposal(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.user(WHAT)?;
    let dir = st.node.data_dir.clone();
    blocking(move || {
        let mut s = Session::open(&dir)?;
        let (p, competing) = s.ballot(&id)?;
        let head = s.chain()?.head().clone();
        let tally = community::ballot::tally(&s.ledger, &head, &p)?;
        Ok(json!({"proposal": tally, "competing": competing}))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/community/proposals", tag = "community", summary = "Propose a change of the charter (admins)",
    request_body(content = serde_json::Value, description = "{\"kind\": \"add-member\" | \"remove-member\" | \"rotate-key\" | \"set-quorum\" | \"renew\" | \"set-group\" | \"set-sharing-default\", ...}", content_type = "application/json"),
    responses((status = 200, description = "the signed proposal", body = serde_json::Value), (status = 400, description = "the body is not what the route takes", body = ErrorBody), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody), (status = 409, description = "refused by the rules (the reason is in the body)", body = ErrorBody)))]
async fn propose(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.admin(WHAT, ADMINS)?;
    let spec: KindSpec = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "body: {e} (expected {{\"kind\": \"add-member\" | \"remove-member\" | \"rotate-key\" | \"set-quorum\" | \"renew\" | \"set-group\" | \"set-sharing-default\", ...}})"
        ))
    })?;
    let dir = st.node.data_dir.clone();
    blocking(move || {
        let tally = Session::open(&dir)?.propose(&spec)?;
        Ok(json!({"id": tally.id, "proposal": tally}))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/community/proposals/{id}/vote", tag = "community", summary = "Vote for a proposal with this member's governance key (admins)",
    params(("id" = String, Path, description = "the proposal's hash")),
    responses((status = 200, description = "the vote and the tally", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody), (status = 404, description = "no such thing", body = ErrorBody), (status = 409, description = "refused by the rules (the reason is in the body)", body = ErrorBody)))]
async fn vote(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.admin(WHAT, ADMINS)?;
    let dir = st.node.data_dir.clone();
    let member = st.node.member.clone();
    blocking(move || {
        let key = community::governance_key::load_or_create(&dir)?;
        let mut s = Session::open(&dir)?;
        // The competing proposals are part of the answer: a client shows
        // them; the CLI shows them before signing.
        let (p, competing) = s.ballot(&id)?;
        let cast = s.vote(&p, &member, &key)?;
        let version = s.chain()?.head().version();
        Ok(json!({
            "id": cast.id, "member": cast.member, "base_version": cast.base_version,
            "new": cast.new, "competing": competing, "adopted": cast.adopted,
            "rejected": cast.rejected, "version": version,
        }))
    })
    .await
}

/// Who may pull the governance documents: configured peer nodes (also
/// those not yet in the charter: a member being admitted must see the
/// proposal it has to sign) and admins of this node. Everything in them is
/// signed and verified by the receiver; they are withheld from others
/// because they name the community's members and their endpoints.
#[utoipa::path(get, path = "/concord/v1/community", tag = "community", summary = "The governance documents this node offers its peers (peers and admins)",
    responses((status = 200, description = "chain, proposals, votes, evidence", body = serde_json::Value), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
async fn documents(State(st): State<Arc<ApiState>>, caller: Caller) -> Result<Response, ApiError> {
    const FOR: &str = "the governance documents are for peers and admins";
    match &caller.0 {
        Principal::User(u) if u.admin => {}
        Principal::Peer(_) => {}
        Principal::Anonymous => return Err(ApiError::unauthorized(FOR)),
        Principal::User(_) => return Err(ApiError::forbidden(FOR)),
    }
    let dir = st.node.data_dir.clone();
    blocking(move || Ok(community::export_documents(&dir)?)).await
}

#[utoipa::path(post, path = "/concord/v1/community", tag = "community", summary = "Take in governance documents (a push by hand; admins)",
    request_body(content = serde_json::Value, description = "documents as GET /concord/v1/community gives them", content_type = "application/json"),
    responses((status = 200, description = "what was taken in", body = serde_json::Value), (status = 400, description = "the body is not what the route takes", body = ErrorBody), (status = 401, description = "no credentials", body = ErrorBody), (status = 403, description = "the caller may not do this", body = ErrorBody)))]
async fn ingest(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.admin(WHAT, ADMINS)?;
    let doc: Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("body: {e}")))?;
    let dir = st.node.data_dir.clone();
    blocking(move || {
        Ok(serde_json::to_value(community::ingest_documents(
            &dir, &doc,
        )?)?)
    })
    .await
}

/// The community routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(log))
        .routes(routes!(proposals, propose))
        .routes(routes!(proposal))
        .routes(routes!(vote))
        .routes(routes!(documents, ingest))
        .layer(DefaultBodyLimit::max(exchange::MAX_DOCUMENTS_BYTES))
}
