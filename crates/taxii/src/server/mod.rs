//! The TAXII 2.1 server: an axum `Router` over any `Store`.
//!
//! Layout: discovery at `/taxii2/`, one API root at `/taxii2/root/`. Every
//! request passes one guard (`guard.rs`) that enforces the per-client rate
//! limit, the request timeout, content negotiation (406) and
//! authentication, so handlers (`routes.rs`, `post.rs`) only translate HTTP
//! into store calls. `listen.rs` is the accept loop (TLS or plain).

pub mod egress;
mod guard;
mod limit;
pub mod listen;
mod post;
pub mod request_log;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use concord_store::AnyStore;

use crate::gate::Gate;

/// The path of the API root, under discovery.
pub const API_ROOT_PATH: &str = "/taxii2/root/";

/// What the server is told by its caller (the binary reads these from the
/// config).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The discovery and API root title.
    pub title: String,
    /// The discovery and API root description.
    pub description: String,
    /// Page size when a request gives no `limit`.
    pub default_page: usize,
    /// The largest page served, whatever `limit` asks.
    pub max_page: usize,
    /// Largest request body (413 beyond).
    pub max_body_bytes: usize,
    /// Time for a whole request, body included (408 beyond): a client that
    /// never finishes its body does not hold a task for ever.
    pub request_timeout: Duration,
    /// Requests per second per client address (0: no limit) and the burst
    /// allowed above that rate.
    pub rate_per_second: f64,
    /// Requests allowed at once above `rate_per_second`.
    pub rate_burst: f64,
    /// The same for requests without credentials, counted apart.
    pub anonymous_rate_per_second: f64,
    /// Their burst.
    pub anonymous_rate_burst: f64,
    /// Envelopes with more objects than this are stored in the background:
    /// the POST answers at once with a pending status.
    pub background_post_over: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            title: "concord".into(),
            description: "A concord node".into(),
            default_page: 1000,
            max_page: 10_000,
            max_body_bytes: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            rate_per_second: 100.0,
            rate_burst: 400.0,
            anonymous_rate_per_second: 20.0,
            anonymous_rate_burst: 100.0,
            background_post_over: 2000,
        }
    }
}

/// What every handler shares.
pub struct AppState {
    /// Where collections and objects are kept.
    pub store: AnyStore,
    /// The options the server was started with.
    pub opts: ServerOptions,
    limiter: limit::Limiter,
    anonymous: limit::Limiter,
    /// Who is calling (users, tokens, peer nodes).
    gate: Arc<Gate>,
    /// The member and its peers; without it, peer nodes are not served.
    pub federation: Option<egress::SharedFederation>,
}

/// The state as handlers receive it.
pub type Shared = Arc<AppState>;

/// Who is on the other end of a connection; set by the accept loop as a
/// request extension. `certificates` is the client's TLS chain, if it
/// presented one (for member authentication by mTLS later).
#[derive(Debug, Clone)]
pub struct Peer {
    /// The remote address of the connection.
    pub addr: std::net::SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The client's certificate chain, leaf first (DER).
    pub certificates: Option<Vec<rustls_pki_types::CertificateDer<'static>>>,
}

/// The TAXII router, with its guard and compression (zstd for clients that
/// take it, as concord peers do, else gzip).
pub fn router(store: AnyStore, opts: ServerOptions) -> Router {
    let gate = Gate::new(store.clone(), None, Default::default());
    router_with(store, opts, gate)
}

/// The TAXII router of a federated node: callers decided by `gate` (peer
/// nodes by their node keys), and the sharing policy of the gate's
/// federation applied to what peers and the public see.
pub fn router_with(store: AnyStore, opts: ServerOptions, gate: Arc<Gate>) -> Router {
    let limiter = limit::Limiter::new(opts.rate_per_second, opts.rate_burst);
    let anonymous = limit::Limiter::new(opts.anonymous_rate_per_second, opts.anonymous_rate_burst);
    let federation = gate.federation().cloned();
    let state: Shared = Arc::new(AppState {
        store,
        opts,
        limiter,
        anonymous,
        gate,
        federation,
    });
    let coll = "/taxii2/root/collections/{collection}";
    Router::new()
        .route("/taxii2/", get(routes::discovery))
        .route(API_ROOT_PATH, get(routes::api_root))
        .route("/taxii2/root/status/{status}/", get(routes::status))
        .route("/taxii2/root/collections/", get(routes::collections))
        .route(&format!("{coll}/"), get(routes::collection))
        .route(
            &format!("{coll}/objects/"),
            get(routes::objects).post(post::add_objects),
        )
        .route(
            &format!("{coll}/objects/{{object}}/"),
            get(routes::object).delete(routes::delete_object),
        )
        .route(
            &format!("{coll}/objects/{{object}}/versions/"),
            get(routes::versions),
        )
        .route(&format!("{coll}/manifest/"), get(routes::manifest))
        .fallback(routes::no_route)
        .method_not_allowed_fallback(routes::no_method)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ))
        // The fastest level: STIX JSON still shrinks to under a fifth, and
        // compression was a fifth of the server's time at the default.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .with_state(state)
}

/// Background upkeep while serving: forget statuses older than a week (the
/// spec asks for at least 24 hours) and keep the search index current.
pub async fn upkeep(store: AnyStore) {
    use concord_store::Store;
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let week = 7 * 24 * 3600 * 1_000_000i64;
        let now = concord_stix::Timestamp::now().0;
        if let Err(e) = store.prune_statuses(now - week).await {
            tracing::warn!(error = %e, "pruning old statuses failed");
        }
        loop {
            match store.index_search(20_000).await {
                Ok(0) => break,
                Ok(_) => tokio::task::yield_now().await,
                Err(e) => {
                    tracing::warn!(error = %e, "search indexing failed");
                    break;
                }
            }
        }
    }
}
