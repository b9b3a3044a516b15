//! `/healthz`, `/readyz` and `/metrics`.
//!
//! - `/healthz`: the process is up and answers (200, always; no store call).
//! - `/readyz`: the node can serve: its store answers (for PostgreSQL: it
//!   is reachable and its migrations have run), and its key is loaded;
//!   200, or 503 with the failing check named.
//! - `/metrics`: the registry in the Prometheus text format. Who may read
//!   it is `[metrics]`: loopback callers only (the default), or, when a
//!   token is configured, any caller presenting it as a bearer token.
//!
//! The probes carry no credentials and tell nothing about the data
//! (`/readyz` names the check, not the error).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use concord_store::{AnyStore, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Metrics;

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricsAccess {
    /// Callers on a loopback address only (a Prometheus on the same host,
    /// or a local agent).
    #[default]
    Loopback,
    /// Any caller that presents the configured token
    /// (`Authorization: Bearer …`).
    Token,
    /// Nobody: `/metrics` answers 404.
    Off,
}

/// `[metrics]` in config.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Who may read `/metrics`.
    pub access: MetricsAccess,
    /// With `access = "token"`: the file holding the token, relative to the
    /// data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<std::path::PathBuf>,
    /// With `access = "token"`: the environment variable holding it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
}

impl MetricsSection {
    /// Whether the section says nothing beyond the defaults.
    pub fn is_default(&self) -> bool {
        *self == MetricsSection::default()
    }
}

/// What `/readyz` checks.
#[derive(Clone)]
pub struct Readiness {
    /// The node's store.
    pub store: AnyStore,
    /// The node key was read and parsed.
    pub key_loaded: bool,
}

impl Readiness {
    /// The failing check, if any.
    pub async fn check(&self) -> Result<(), &'static str> {
        if !self.key_loaded {
            return Err("key");
        }
        let reachable = match &self.store {
            // Connecting runs the migrations (under their lock) and
            // refuses a newer schema: ready means both happened.
            AnyStore::Postgres(pg) => {
                pg.ensure_ready().await.is_ok() && self.store.collections().await.is_ok()
            }
            AnyStore::Sqlite(_) => self.store.collections().await.is_ok(),
        };
        if reachable { Ok(()) } else { Err("store") }
    }
}

/// The state of the probe routes.
pub struct Probes {
    /// The node's registry.
    pub metrics: Arc<Metrics>,
    /// What `/readyz` checks.
    pub readiness: Readiness,
    /// Who may read `/metrics`.
    pub access: MetricsAccess,
    /// With [`MetricsAccess::Token`]: the token.
    pub token: Option<String>,
    /// The store gauges are read at most this often (a scrape of a large
    /// store must not count it every time).
    pub store_refresh: Duration,
    last_refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl Probes {
    /// The probes of one node.
    pub fn new(
        metrics: Arc<Metrics>,
        readiness: Readiness,
        access: MetricsAccess,
        token: Option<String>,
    ) -> Probes {
        Probes {
            metrics,
            readiness,
            access,
            token,
            store_refresh: Duration::from_secs(10),
            last_refresh: tokio::sync::Mutex::new(None),
        }
    }
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn routes(probes: Probes) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(Arc::new(probes))
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn healthz() -> Response {
    json(StatusCode::OK, serde_json::json!({"status": "up"}))
}

async fn readyz(State(p): State<Arc<Probes>>) -> Response {
    match p.readiness.check().await {
        Ok(()) => json(StatusCode::OK, serde_json::json!({"status": "ready"})),
        Err(check) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "not ready", "failed": check}),
        ),
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Whether the caller may read `/metrics`.
fn allowed(p: &Probes, req: &Request) -> bool {
    match p.access {
        MetricsAccess::Off => false,
        MetricsAccess::Loopback => req
            .extensions()
            .get::<concord_taxii::server::Peer>()
            .map(|peer| peer.addr)
            .or_else(|| {
                req.extensions()
                    .get::<axum::extract::ConnectInfo<SocketAddr>>()
                    .map(|c| c.0)
            })
            .is_some_and(|a| a.ip().is_loopback()),
        MetricsAccess::Token => {
            let Some(want) = p.token.as_deref().filter(|t| !t.is_empty()) else {
                return false;
            };
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            // Compared as digests: equal length, no early exit on a prefix.
            digest(given) == digest(want)
        }
    }
}

async fn metrics(State(p): State<Arc<Probes>>, req: Request) -> Response {
    if !allowed(&p, &req) {
        return match p.access {
            MetricsAccess::Off => StatusCode::NOT_FOUND.into_response(),
            MetricsAccess::Token => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a metrics token is required\n",
            )
                .into_response(),
            MetricsAccess::Loopback => (
                StatusCode::FORBIDDEN,
                "metrics are served to loopback callers only ([metrics] access)\n",
            )
                .into_response(),
        };
    }
    {
        let mut last = p.last_refresh.lock().await;
        if last.is_none_or(|t| t.elapsed() >= p.store_refresh) {
            if let Err(e) = p.metrics.refresh_store(&p.readiness.store).await {
                tracing::warn!(error = %e, "reading the store for metrics failed");
            }
            *last = Some(Instant::now());
        }
    }
    match p.metrics.encode() {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, crate::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "encoding the metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use concord_store::SqliteStore;
    use tower::ServiceExt;

    fn probes(dir: &std::path::Path, access: MetricsAccess, token: Option<&str>) -> Router {
        let store = AnyStore::Sqlite(SqliteStore::open_dir(dir).unwrap());
        routes(Probes::new(
            Arc::new(Metrics::new()),
            Readiness {
                store,
                key_loaded: true,
            },
            access,
            token.map(str::to_string),
        ))
    }

    fn from(addr: &str, path: &str, bearer: Option<&str>) -> Request {
        let mut r = Request::get(path);
        if let Some(b) = bearer {
            r = r.header("Authorization", format!("Bearer {b}"));
        }
        let mut r = r.body(Body::empty()).unwrap();
        r.extensions_mut()
            .insert(axum::extract::ConnectInfo::<SocketAddr>(
                addr.parse().unwrap(),
            ));
        r
    }

    async fn status(app: &Router, req: Request) -> u16 {
        app.clone().oneshot(req).await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn metrics_stay_on_loopback_unless_a_token_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let app = probes(dir.path(), MetricsAccess::Loopback, None);
        assert_eq!(
            status(&app, from("127.0.0.1:5000", "/metrics", None)).await,
            200
        );
        assert_eq!(
            status(&app, from("192.0.2.7:5000", "/metrics", None)).await,
            403
        );
        assert_eq!(
            status(&app, from("192.0.2.7:5000", "/healthz", None)).await,
            200
        );
        assert_eq!(
            status(&app, from("192.0.2.7:5000", "/readyz", None)).await,
            200
        );

        let app = probes(dir.path(), MetricsAccess::Token, Some("s3cret"));
        assert_eq!(
            status(&app, from("192.0.2.7:5000", "/metrics", None)).await,
            401
        );
        assert_eq!(
            status(&app, from("192.0.2.7:5000", "/metrics", Some("wrong"))).await,
            401
        );
        assert_eq!(
            status(&app, from("192.0.2.7:5000", "/metrics", Some("s3cret"))).await,
            200
        );
        // A token access with no token configured lets nobody in.
        let app = probes(dir.path(), MetricsAccess::Token, None);
        assert_eq!(
            status(&app, from("127.0.0.1:5000", "/metrics", Some(""))).await,
            401
        );
    }

    #[tokio::test]
    async fn not_ready_without_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).unwrap());
        let r = Readiness {
            store,
            key_loaded: false,
        };
        assert_eq!(r.check().await, Err("key"));
    }
}
