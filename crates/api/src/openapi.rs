//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of every route of
//! this crate, generated from the handlers' own `#[utoipa::path]`
//! annotations, so it cannot drift from the router: a route exists only
//! through [`utoipa_axum::routes!`], which registers the handler and its
//! description together.

use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The JSON of every error answer.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a schema for the document; errors are written by ApiError"
)]
pub(crate) struct ErrorBody {
    /// What went wrong, in a few words.
    title: String,
    /// What went wrong and what to do.
    description: String,
}

/// The document's fixed parts; the paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "concord node API",
        description = "The JSON API of a concord node beside TAXII 2.1 (`/taxii2/`): community governance, incidents, alerts and matching. Callers authenticate as for TAXII: HTTP Basic or a bearer token of a node user; peer nodes sign their requests with their node key (`Authorization: Concord …`).",
        license(name = "Apache-2.0")
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "community", description = "charter, proposals, votes, governance documents"),
        (name = "incidents", description = "incidents and requests for assistance"),
        (name = "alerts", description = "the member's alerts"),
        (name = "matching", description = "log lines against the active indicators"),
        (name = "log", description = "the node's transparency log (C2SP checkpoints, tlog-witness) and the log exchange between members"),
        (name = "misp", description = "the node as a MISP feed: manifest, events, hashes"),
        (name = "exports", description = "RPZ, Suricata, Zeek, hosts, text, CSV and STIX exports for resolvers and sensors to poll"),
        (name = "meta", description = "this document"),
    )
)]
pub(crate) struct Doc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("basic", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]);
    }
}

/// The generated document, as JSON text.
#[derive(Clone)]
pub(crate) struct Document(pub(crate) Arc<String>);

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", summary = "This document (OpenAPI 3.1)",
    security(()),
    responses((status = 200, description = "the OpenAPI document of every route of this API", body = serde_json::Value)))]
pub(crate) async fn document(Extension(doc): Extension<Document>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.0.as_str().to_string(),
    )
        .into_response()
}
