//! The node's own HTTP API beside TAXII, served by `concord serve` on the
//! same listener:
//!
//! | routes | module |
//! | --- | --- |
//! | `/api/v1/community…`, `/concord/v1/community` | [`community`]: charter, proposals, votes, governance documents |
//! | `/api/v1/incidents…` | [`incidents`]: open, answer, follow incidents |
//! | `/api/v1/events` | [`events`]: alerts as server-sent events |
//! | `/api/v1/match` | [`matching`]: log lines against the active indicators |
//! | `/log/…`, `/concord/v1/proofs`, `/concord/v1/checkpoints`, `/concord/v1/cosignatures` | [`log`]: the node's transparency log, its witness, log material for peers |
//! | `/exports/<format>` | `exports`: RPZ, Suricata, Zeek, hosts, text, CSV and STIX of what the caller may see, with ETags for pollers |
//! | `/feeds/misp/…` | [`misp_feed`]: the node as a MISP feed, under the sharing policy |
//! | `/api/v1/openapi.json` | the OpenAPI 3.1 document of all of these, generated from the handlers |
//!
//! What it is for: translating HTTP into calls on the domain crates
//! (community, federation, incident, alert, indicators) and their answers
//! into JSON. Every handler takes the [`Caller`] extractor (the node's one
//! [`Gate`]: the same users, tokens and peer keys as TAXII) and answers
//! errors with [`ApiError`], which maps the domain's refusals to 4xx and
//! the server's failures to 5xx.
//!
//! What it must never do: decide anything a domain crate decides (no
//! domain logic in a handler); tell a caller more than its rights allow
//! (peers never use this API: they get intel through TAXII and its sharing
//! policy); show the cause of a server-side failure; read configuration,
//! print or exit.

mod caller;
pub mod community;
mod error;
pub mod events;
mod exports;
pub mod incidents;
pub mod log;
pub mod matching;
pub mod misp_feed;
mod openapi;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use concord_federation::LocalNode;
use concord_taxii::gate::Gate;
use concord_trust::Keypair;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use caller::Caller;
pub use error::ApiError;

/// What every handler shares: the node, its key (what the API authors is
/// signed with it), who is calling, and the match index.
pub struct ApiState {
    /// The node: store, data directory, member, local collection.
    pub node: LocalNode,
    /// The node key.
    pub key: Arc<Keypair>,
    /// Who is calling.
    pub gate: Arc<Gate>,
    /// The indicator index of `/api/v1/match`.
    pub matching: matching::MatchIndex,
    /// How often the event stream looks for new alerts.
    pub events_poll: Duration,
    /// The last output of each polled `/exports/` view.
    pub exports: concord_publish::Cache,
    /// The member organisation's name (the `Orgc` of its MISP events).
    pub org: String,
    /// The MISP feeds built lately.
    pub misp_feed: concord_bridge::misp_out::FeedCache,
}

/// Limits the binary sets.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// The largest body of `/api/v1/match`.
    pub max_match_body: usize,
    /// How often the match index checks the store for changed indicators.
    pub match_refresh: Duration,
    /// How often the event stream looks for new alerts.
    pub events_poll: Duration,
    /// The member organisation's name (the `Orgc` of its MISP events).
    pub org: String,
}

/// Every route, each registered with its OpenAPI description.
fn routes(max_match_body: usize) -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::with_openapi(openapi::Doc::openapi())
        .merge(community::routes())
        .merge(incidents::routes())
        .merge(events::routes())
        .merge(matching::routes(max_match_body))
        .merge(exports::routes())
        .merge(misp_feed::routes())
        .merge(log::routes())
        .routes(routes!(openapi::document))
}

/// The OpenAPI 3.1 document of every route of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes(0).into_openapi()
}

/// Every route of the API, with its state, and `/api/v1/openapi.json`;
/// starts the match index's keeper task (it builds nothing until the
/// first match request).
pub fn router(node: LocalNode, key: Arc<Keypair>, gate: Arc<Gate>, opts: ApiOptions) -> Router {
    let state = Arc::new(ApiState {
        node,
        key,
        gate,
        matching: matching::MatchIndex::default(),
        events_poll: opts.events_poll,
        exports: concord_publish::Cache::default(),
        org: opts.org,
        misp_feed: Default::default(),
    });
    matching::keep_current(state.clone(), opts.match_refresh);
    let (router, doc) = routes(opts.max_match_body).split_for_parts();
    let text = doc.to_json().unwrap_or_else(|_| "{}".into());
    router
        .with_state(state)
        .layer(axum::Extension(openapi::Document(Arc::new(text))))
}

/// A 200 with a JSON body.
pub(crate) fn ok(v: serde_json::Value) -> Response {
    (
        axum::http::StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// Parses a JSON body, or a 400 that says what is wrong with it.
pub(crate) fn body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    expected: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("the body is not the expected JSON: {e}{expected}"))
    })
}
