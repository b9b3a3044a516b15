//! The one gate every request passes: rate limit, timeout, content
//! negotiation and authentication, in that order (cheap refusals first; a
//! flood of bad passwords is rate-limited before argon2 runs).

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Peer, Shared};
use crate::ApiError;
use crate::access::{Credentials, Principal, authenticate, credentials};
use crate::media::accepts_taxii;

pub async fn guard(State(st): State<Shared>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req.extensions().get::<Peer>()
        && let Err(wait) = st.limiter.check(peer.addr.ip())
    {
        return ApiError::too_many_requests(wait).into_response();
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    if !accepts_taxii(accept) {
        return ApiError::new(StatusCode::NOT_ACCEPTABLE, "Not acceptable")
            .with("this server answers in application/taxii+json;version=2.1")
            .into_response();
    }
    let timeout = st.opts.request_timeout;
    let work = async {
        let creds = match credentials(
            req.headers()
                .get(header::AUTHORIZATION)
                .map(|v| v.as_bytes()),
        ) {
            Ok(c) => c,
            Err(_) => return ApiError::unauthorized().into_response(),
        };
        if let Credentials::Node(header) = &creds {
            return match node_principal(&st, &req, header) {
                Some(p) => {
                    req.extensions_mut().insert(p);
                    next.run(req).await
                }
                None => ApiError::unauthorized().into_response(),
            };
        }
        let principal = match authenticate(&st.store, &st.credentials, creds).await {
            Ok(Some(p)) => p,
            Ok(None) => return ApiError::unauthorized().into_response(),
            Err(e) => {
                tracing::error!(error = %e, "authentication failed on the server side");
                return ApiError::internal().into_response();
            }
        };
        req.extensions_mut().insert(principal);
        next.run(req).await
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => ApiError::new(StatusCode::REQUEST_TIMEOUT, "Request timeout")
            .with("the request was not received and answered in time")
            .into_response(),
    }
}

/// A node-signed request: a configured peer becomes `Principal::Peer`; a
/// valid signature by a key that is not a peer gets what the public gets;
/// a bad signature gets nothing.
fn node_principal(st: &Shared, req: &Request, header: &str) -> Option<Principal> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    let path_and_query = req.uri().path_and_query().map(|p| p.as_str())?;
    let line = concord_trust::request::RequestLine {
        method: req.method().as_str(),
        path_and_query,
        host,
    };
    let key =
        concord_trust::request::verify_request(header, &line, concord_stix::Timestamp::now().0)
            .map_err(|e| tracing::info!(error = %e, "a node-signed request was refused"))
            .ok()?;
    let peer = st.federation.as_ref().and_then(|f| f.peer(&key.key_id()));
    Some(match peer {
        Some(p) => Principal::Peer(p),
        None => Principal::Anonymous,
    })
}
