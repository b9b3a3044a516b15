//! The node's own HTTP API beside TAXII (`/api/v1/…`), served by
//! `concord serve` on the same listener. Handlers translate HTTP into calls
//! on the library crates; authentication is TAXII's (Basic or bearer token),
//! done once here for every route.

pub mod community;
pub mod events;
pub mod incidents;
pub mod matching;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_store::{AnyStore, Store};
use concord_taxii::access::{CredentialCache, Principal, authenticate, credentials};
use serde_json::{Value, json};

/// A JSON error body: what went wrong and what to do.
pub fn error(status: StatusCode, title: &str, description: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"title": title, "description": description}).to_string(),
    )
        .into_response()
}

/// A 200 with a JSON body.
pub fn ok(v: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn internal() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "try again later",
    )
}

/// Who is calling, from the `Authorization` header: 401 for unreadable or
/// wrong credentials, 500 (logged, never shown) when checking them failed.
pub async fn caller(
    store: &AnyStore,
    cache: &CredentialCache,
    headers: &HeaderMap,
) -> Result<Principal, Response> {
    let unauthorized = |d: &str| error(StatusCode::UNAUTHORIZED, "Unauthorized", d);
    let creds = credentials(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))
        .map_err(|_| unauthorized("bad Authorization header"))?;
    match authenticate(store, cache, creds).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(unauthorized(
            "unknown user, wrong password or unknown token",
        )),
        Err(e) => {
            tracing::error!(error = %e, "authentication failed on the server side");
            Err(internal())
        }
    }
}

/// For routes that speak of everything the node holds (the match index,
/// the alerts): admins, and users who may read every collection. `what`
/// names the route in the refusal.
pub async fn reads_everything(
    store: &AnyStore,
    principal: &Principal,
    what: &str,
) -> Result<(), Response> {
    let user = match principal {
        Principal::User(u) => u,
        // Peers get intel through the sharing policy, never answers over
        // everything this node holds.
        Principal::Anonymous | Principal::Peer(_) => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                &format!("{what} needs a user or a token"),
            ));
        }
    };
    if user.admin {
        return Ok(());
    }
    let all = store.collections().await.map_err(|e| {
        tracing::error!(error = %e, "listing collections failed");
        internal()
    })?;
    if all.iter().all(|c| principal.can_read(c)) {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("{what} is for admins and users who may read every collection"),
        ))
    }
}
