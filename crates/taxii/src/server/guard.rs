//! The one gate every request passes: rate limit, timeout, content
//! negotiation and authentication, in that order (cheap refusals first; a
//! flood of bad passwords is rate-limited before argon2 runs). Requests
//! without credentials draw on their own per-address budget, so anonymous
//! traffic cannot starve members' syncs from the same address.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Peer, Shared};
use crate::ApiError;
use crate::gate::Refusal;
use crate::media::accepts_taxii;

pub(super) async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let client = req.extensions().get::<Peer>().map(|p| p.addr.ip());
    if let Some(ip) = client {
        let limiter = if req.headers().contains_key(header::AUTHORIZATION) {
            &st.limiter
        } else {
            &st.anonymous
        };
        if let Err(wait) = limiter.check(ip) {
            return ApiError::too_many_requests(wait).into_response();
        }
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
        let (parts, body) = req.into_parts();
        let principal = match st
            .gate
            .caller(&parts.method, &parts.uri, &parts.headers, client)
            .await
        {
            Ok(p) => p,
            Err(Refusal::Unauthorized(_)) => return ApiError::unauthorized().into_response(),
            Err(Refusal::Throttled(wait)) => {
                return ApiError::too_many_requests(wait).into_response();
            }
            Err(Refusal::Internal) => return ApiError::internal().into_response(),
        };
        let mut req = Request::from_parts(parts, body);
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
