//! `GET /exports/<format>`: the enforcement exports (`rpz`, `suricata`,
//! `zeek`, `hosts`, `text`, `csv`) and STIX bundles (`stix`) of what the
//! caller may see, for resolvers, IDS rule updaters and Zeek to poll.
//!
//! Who sees what is decided exactly as for TAXII: the caller comes from the
//! node's one gate, and each collection it may read is exported whole to a
//! user with rights on it, and through the TAXII egress filter to anyone
//! else (the public reads public collections' TLP:CLEAR, a peer its share).
//! `?collection=` (id or title, repeatable) narrows the collections; the
//! other parameters are those of `concord export` (`type`, `tlp`, `since`,
//! `confidence`, `include-inactive`, `zone`, `action`, `wildcard`,
//! `url-hosts`, `sid-range`). Suricata's hash lists are at
//! `/exports/suricata/<list name>` with the same parameters.
//!
//! Answers carry a strong `ETag` of the output; `If-None-Match` with it
//! gets 304 while the output is unchanged, and the last output of each view
//! is kept until one of its collections changes, so a poll of an unchanged
//! export costs a few store look-ups.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_publish::{OutputFormat, Published, Query, Scope};
use concord_store::Store;
use concord_taxii::server::egress::{self, Federation};

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::ErrorBody;
use crate::{ApiError, ApiState, Caller};

/// The query options of every export, as the OpenAPI document names them
/// (the handlers read them in order with `Query::set`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "a schema for the document; the handlers read the raw query"
)]
struct ExportOptions {
    /// A collection id or title to export (repeatable; default: every collection the caller may read).
    collection: Option<String>,
    /// Kinds of values: ipv4-addr, ipv6-addr, domain-name, url, email-addr, file, md5, sha1, sha256 (comma-separated, repeatable).
    #[param(rename = "type")]
    kind: Option<String>,
    /// The highest TLP level to include.
    tlp: Option<String>,
    /// Only indicators modified at or after this time (RFC 3339).
    since: Option<String>,
    /// Only indicators with at least this confidence.
    confidence: Option<u8>,
    /// Also revoked, withdrawn and expired indicators.
    #[param(rename = "include-inactive")]
    include_inactive: Option<bool>,
    /// RPZ: the zone name (default rpz.concord.).
    zone: Option<String>,
    /// RPZ: nxdomain, nodata, passthru or cname:NAME.
    action: Option<String>,
    /// RPZ: also *.domain.
    wildcard: Option<bool>,
    /// RPZ: URL indicators contribute their host.
    #[param(rename = "url-hosts")]
    url_hosts: Option<bool>,
    /// Suricata: FIRST-LAST, the sids to allocate from.
    #[param(rename = "sid-range")]
    sid_range: Option<String>,
}

/// The export routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(suricata_file))
}

/// The view and query a request asks for.
async fn view(
    st: &ApiState,
    caller: &Caller,
    format: &str,
    raw: Option<String>,
) -> Result<(Scope, Query), ApiError> {
    let format: OutputFormat = format.parse().map_err(|e: concord_publish::PublishError| {
        ApiError::not_found(format!("no export {e}"))
    })?;
    let mut query = Query::new(format);
    let mut wanted = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if k == "collection" {
            wanted.push(v.into_owned());
        } else {
            query
                .set(&k, &v)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
        }
    }
    query
        .check()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let p = &caller.0;
    let all = st.node.store.collections().await?;
    let collections = if wanted.is_empty() {
        all.into_iter().filter(|c| p.can_read(c)).collect()
    } else {
        let mut chosen = Vec::new();
        for w in &wanted {
            // As TAXII: a collection the caller cannot see does not exist.
            let c = all
                .iter()
                .find(|c| (c.id == *w || c.title == *w) && p.sees(c))
                .ok_or_else(|| ApiError::not_found(format!("no collection {w:?}")))?;
            if !p.can_read(c) {
                return Err(ApiError::forbidden(format!(
                    "no read access to collection {w:?}"
                )));
            }
            chosen.push(c.clone());
        }
        chosen
    };
    // A node without a member identity shares with the public and peers
    // only what the default policy allows (fail closed), as TAXII does.
    let federation = st
        .gate
        .federation()
        .cloned()
        .unwrap_or_else(|| Arc::new(Federation::new(String::new(), Default::default())));
    let scope = Scope::Collections {
        federation,
        collections: collections
            .iter()
            .map(|c| (c.id.clone(), egress::recipient_of(p, c)))
            .collect(),
    };
    Ok((scope, query))
}

async fn published(
    st: &ApiState,
    scope: &Scope,
    query: &Query,
) -> Result<Arc<Published>, ApiError> {
    st.exports
        .publish(&st.node.store, scope, query)
        .await
        .map_err(|e| {
            if e.is_bad_query() {
                ApiError::bad_request(e.to_string())
            } else {
                ApiError::internal(&e)
            }
        })
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak tags compare by
/// their opaque part, as RFC 9110 has it for this header.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

fn answer(headers: &HeaderMap, etag: &str, media_type: &'static str, body: &[u8]) -> Response {
    let mut r = if not_modified(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, body.to_vec()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
        r
    };
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    // Pollers revalidate every time: the ETag makes that cheap.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

#[utoipa::path(get, path = "/exports/{format}", tag = "exports", summary = "An enforcement export of what the caller may see",
    params(
        ("format" = String, Path, description = "rpz, suricata, zeek, hosts, text, csv or stix"),
        ExportOptions,
    ),
    responses((status = 200, description = "the export; a strong ETag of it", body = String), (status = 304, description = "unchanged since the If-None-Match ETag"), (status = 400, description = "a parameter is not what the route takes", body = ErrorBody), (status = 401, description = "bad credentials", body = ErrorBody), (status = 404, description = "no such export format or collection", body = ErrorBody)))]
async fn export(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(format): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (scope, query) = view(&st, &caller, &format, raw).await?;
    let p = published(&st, &scope, &query).await?;
    let mut r = answer(&headers, &p.etag, query.format.media_type(), &p.body);
    let h = r.headers_mut();
    h.insert("x-concord-exported", p.exported.into());
    if let Some(report) = &p.report {
        h.insert("x-concord-skipped", report.skipped.len().into());
    }
    if let Some(serial) = p.serial {
        h.insert("x-concord-serial", serial.into());
    }
    Ok(r)
}

#[utoipa::path(get, path = "/exports/suricata/{file}", tag = "exports", summary = "A hash list that the Suricata export's dataset rules load",
    params(
        ("file" = String, Path, description = "the list's file name, as the rules name it"),
        ExportOptions,
    ),
    responses((status = 200, description = "the list; a strong ETag of it", body = String), (status = 304, description = "unchanged since the If-None-Match ETag"), (status = 400, description = "a parameter is not what the route takes", body = ErrorBody), (status = 401, description = "bad credentials", body = ErrorBody), (status = 404, description = "no such list", body = ErrorBody)))]
async fn suricata_file(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (scope, query) = view(&st, &caller, "suricata", raw).await?;
    let p = published(&st, &scope, &query).await?;
    let f = p.file(&file).ok_or_else(|| {
        ApiError::not_found(format!(
            "no file {file:?} beside these rules (their filemd5, filesha1 and filesha256 keywords name the lists there are)"
        ))
    })?;
    let etag = concord_publish::etag(&f.content);
    Ok(answer(
        &headers,
        &etag,
        "text/plain; charset=utf-8",
        &f.content,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match() {
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, "\"a\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"b\", W/\"a\""),
        );
        assert!(not_modified(&h, "\"a\""));
        assert!(!not_modified(&h, "\"c\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, "\"c\""));
    }
}
