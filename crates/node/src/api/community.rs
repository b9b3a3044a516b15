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
//! Handlers only translate HTTP into calls on `crate::community`, on a
//! blocking thread (the files are fsynced). Authentication is TAXII's
//! (Basic or bearer token), and for the documents also a request signed
//! with a configured peer's node key (as the TAXII server checks it); a
//! vote is this node's, signed with its governance key, so only an admin
//! may cast it.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use concord_stix::Timestamp;
use concord_store::AnyStore;
use concord_taxii::access::{CredentialCache, Credentials, Principal, credentials};
use concord_taxii::server::egress::Federation;
use concord_trust::TrustError;
use serde_json::{Value, json};

use super::{error, ok};

use crate::community::{self, KindSpec, Session, exchange};

pub struct CommunityState {
    store: AnyStore,
    credentials: CredentialCache,
    data_dir: PathBuf,
    /// This node's member id (its STIX identity id).
    member: String,
    /// The peers this node serves (from `concord serve`).
    federation: Option<Arc<Federation>>,
}

/// What a route needs of its caller.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    User,
    Admin,
}

async fn principal(st: &CommunityState, headers: &HeaderMap) -> Result<Principal, Response> {
    super::caller(&st.store, &st.credentials, headers).await
}

async fn authorize(st: &CommunityState, headers: &HeaderMap, need: Need) -> Result<(), Response> {
    match principal(st, headers).await? {
        Principal::User(u) if u.admin || need == Need::User => Ok(()),
        Principal::User(_) => Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "proposing and voting are for admins of this node",
        )),
        Principal::Anonymous => Err(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the community API needs a user or a token",
        )),
        Principal::Peer(_) => Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the community API is for this node's users",
        )),
    }
}

/// Who may pull the governance documents: configured peer nodes (also
/// those not yet in the charter: a member being admitted must see the
/// proposal it has to sign) and admins of this node. Everything in them is
/// signed and verified by the receiver; they are withheld from others
/// because they name the community's members and their endpoints.
fn may_pull(p: &Principal) -> bool {
    match p {
        Principal::User(u) => u.admin,
        Principal::Peer(_) => true,
        Principal::Anonymous => false,
    }
}

/// The caller of a documents request: a node-signed request is checked
/// against the request line and the configured peers, as the TAXII
/// server's guard does; anything else as a TAXII user.
async fn caller(
    st: &CommunityState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Principal, Response> {
    let unauthorized = || error(StatusCode::UNAUTHORIZED, "Unauthorized", "bad credentials");
    let raw = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let Ok(Credentials::Node(signed)) = credentials(raw) else {
        return principal(st, headers).await;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .ok_or_else(unauthorized)?;
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str())
        .ok_or_else(unauthorized)?;
    let line = concord_trust::request::RequestLine {
        method: method.as_str(),
        path_and_query,
        host,
    };
    let key = concord_trust::request::verify_request(&signed, &line, Timestamp::now().0).map_err(
        |e| {
            tracing::info!(error = %e, "a node-signed request was refused");
            unauthorized()
        },
    )?;
    Ok(st
        .federation
        .as_ref()
        .and_then(|f| f.peer(&key.key_id()))
        .map_or(Principal::Anonymous, Principal::Peer))
}

/// Runs a community operation on a blocking thread and maps its error:
/// a broken one-proposal-per-base promise is a 409, anything else that the
/// caller sent wrong a 422 with the reason.
async fn blocking(f: impl FnOnce() -> anyhow::Result<Value> + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => ok(v),
        Ok(Err(e)) => {
            let status = match e.downcast_ref::<TrustError>() {
                Some(TrustError::AlreadySigned { .. } | TrustError::StaleBase { .. }) => {
                    StatusCode::CONFLICT
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            error(status, "Refused", &format!("{e:#}"))
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the operation failed",
        ),
    }
}

async fn status(State(st): State<Arc<CommunityState>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&st, &headers, Need::User).await {
        return r;
    }
    let dir = st.data_dir.clone();
    blocking(move || Session::open(&dir)?.status(Timestamp::now())).await
}

async fn log(State(st): State<Arc<CommunityState>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&st, &headers, Need::User).await {
        return r;
    }
    let dir = st.data_dir.clone();
    blocking(move || Ok(Value::Array(Session::open(&dir)?.log()?))).await
}

async fn proposals(State(st): State<Arc<CommunityState>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&st, &headers, Need::User).await {
        return r;
    }
    let dir = st.data_dir.clone();
    blocking(move || Ok(serde_json::to_value(Session::open(&dir)?.proposals()?)?)).await
}

async fn proposal(
    State(st): State<Arc<CommunityState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&st, &headers, Need::User).await {
        return r;
    }
    let dir = st.data_dir.clone();
    blocking(move || {
        let mut s = Session::open(&dir)?;
        let (p, competing) = s.ballot(&id)?;
        let head = s.chain()?.head().clone();
        let tally = community::ballot::tally(&s.ledger, &head, &p)?;
        Ok(json!({"proposal": tally, "competing": competing}))
    })
    .await
}

async fn propose(
    State(st): State<Arc<CommunityState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&st, &headers, Need::Admin).await {
        return r;
    }
    let spec: KindSpec = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Bad request",
                &format!(
                    "body: {e} (expected {{\"kind\": \"add-member\" | \"remove-member\" | \"rotate-key\" | \"set-quorum\" | \"renew\", ...}})"
                ),
            );
        }
    };
    let dir = st.data_dir.clone();
    blocking(move || {
        let tally = Session::open(&dir)?.propose(&spec)?;
        Ok(json!({"id": tally.id, "proposal": tally}))
    })
    .await
}

async fn vote(
    State(st): State<Arc<CommunityState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&st, &headers, Need::Admin).await {
        return r;
    }
    let dir = st.data_dir.clone();
    let member = st.member.clone();
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

async fn documents(
    State(st): State<Arc<CommunityState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match caller(&st, &method, &uri, &headers).await {
        Ok(p) if may_pull(&p) => {}
        Ok(Principal::Anonymous) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "the governance documents are for peers and admins",
            );
        }
        Ok(_) => {
            return error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "the governance documents are for peers and admins",
            );
        }
        Err(r) => return r,
    }
    let dir = st.data_dir.clone();
    blocking(move || community::export_documents(&dir)).await
}

async fn ingest(
    State(st): State<Arc<CommunityState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&st, &headers, Need::Admin).await {
        return r;
    }
    let doc: Value = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Bad request",
                &format!("body: {e}"),
            );
        }
    };
    let dir = st.data_dir.clone();
    blocking(move || {
        Ok(serde_json::to_value(community::ingest_documents(
            &dir, &doc,
        )?)?)
    })
    .await
}

/// The community routes; `member` is this node's member id, `federation`
/// the peers it serves.
pub fn router(
    store: AnyStore,
    data_dir: PathBuf,
    member: String,
    federation: Option<Arc<Federation>>,
) -> Router {
    let state = Arc::new(CommunityState {
        store,
        credentials: CredentialCache::default(),
        data_dir,
        member,
        federation,
    });
    Router::new()
        .route("/api/v1/community", get(status))
        .route("/api/v1/community/log", get(log))
        .route("/api/v1/community/proposals", get(proposals).post(propose))
        .route("/api/v1/community/proposals/{id}", get(proposal))
        .route("/api/v1/community/proposals/{id}/vote", post(vote))
        .route("/concord/v1/community", get(documents).post(ingest))
        .layer(DefaultBodyLimit::max(exchange::MAX_DOCUMENTS_BYTES))
        .with_state(state)
}
