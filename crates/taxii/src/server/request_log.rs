//! One log line per request a node answers, for every router it serves
//! (TAXII, the JSON API, the console): method, path, status, who called,
//! from where and how long it took, at `info`.
//!
//! Who called is decided deep inside the request (by the [`Gate`], or the
//! console's session), after this layer handed the request on; they note
//! it in a slot this layer opens for the request's task and reads when
//! the response comes back.
//!
//! What it must never log: the query string (it may carry search terms),
//! headers (an `Authorization` header or a session cookie is a
//! credential), or anything of a body (passwords are posted in forms).
//!
//! [`Gate`]: crate::gate::Gate

use std::cell::RefCell;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::access::Principal;

tokio::task_local! {
    static CALLER: RefCell<Option<String>>;
}

/// Notes who is calling, for this request's log line (nothing outside a
/// logged request). The last note wins: a log-in form notes the user it
/// signed in.
pub fn note_caller(who: impl Into<String>) {
    let who = who.into();
    let _ = CALLER.try_with(|c| *c.borrow_mut() = Some(who));
}

/// How a caller is named in the log: `user NAME`, `peer NAME`, `public`.
pub fn describe(p: &Principal) -> String {
    match p {
        Principal::Anonymous => "public".into(),
        Principal::User(u) => format!("user {}", u.name),
        Principal::Peer(peer) => format!("peer {}", peer.name),
    }
}

/// The layer: `router.layer(axum::middleware::from_fn(log_requests))`.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // The path only: a query string may carry what an analyst searched.
    let path = request.uri().path().to_string();
    let client = request
        .extensions()
        .get::<super::Peer>()
        .map(|p| p.addr.ip().to_string());
    let (caller, response) = CALLER
        .scope(RefCell::new(None), async move {
            let response = next.run(request).await;
            let caller = CALLER.with(|c| c.borrow_mut().take());
            (caller, response)
        })
        .await;
    let status = response.status().as_u16();
    tracing::info!(
        target: "concord::request",
        %method,
        path,
        status,
        caller = caller.as_deref().unwrap_or("none"),
        client = client.as_deref().unwrap_or("unknown"),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_note_is_seen_only_inside_its_request() {
        note_caller("nobody reads this");
        let seen = CALLER
            .scope(RefCell::new(None), async {
                note_caller("user alice");
                tokio::task::yield_now().await;
                CALLER.with(|c| c.borrow().clone())
            })
            .await;
        assert_eq!(seen.as_deref(), Some("user alice"));
    }
}
