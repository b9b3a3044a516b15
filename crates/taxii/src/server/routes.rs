//! The read side of TAXII 2.1 (sections 4 and 5) and DELETE: each handler
//! checks access, parses the filters and makes one or two store calls.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use concord_stix::Timestamp;
use concord_stix::id::StixId;
use concord_store::{Collection, ListQuery, Page, Store, VersionSel};
use serde::Serialize;
use serde_json::json;

use super::{API_ROOT_PATH, Peer, Shared, egress};
use crate::access::Principal;
use crate::media::{STIX_21, TAXII_21};
use crate::query::{Filters, encode_next, parse};
use crate::{ApiError, envelope};

const FIRST: HeaderName = HeaderName::from_static("x-taxii-date-added-first");
const LAST: HeaderName = HeaderName::from_static("x-taxii-date-added-last");

/// A TAXII response: the body is already JSON text.
pub(super) fn taxii(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_21));
    r
}

fn taxii_json(value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(s) => taxii(StatusCode::OK, s),
        Err(_) => ApiError::internal().into_response(),
    }
}

pub(super) async fn no_route() -> ApiError {
    ApiError::not_found("resource")
}

pub(super) async fn no_method() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        .with("this resource does not take that method")
}

/// The base URL the caller used, so the URLs we hand out work for it
/// (HTTP/1.1 names the host in `Host`, HTTP/2 in the request's authority).
fn base_url(headers: &HeaderMap, uri: &Uri, peer: Option<&Peer>) -> String {
    let scheme = if peer.is_some_and(|p| p.tls) {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    match host {
        // A Host header is the client's own text: keep only what a host
        // and port may contain.
        Some(h)
            if !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)) =>
        {
            format!("{scheme}://{h}")
        }
        _ => String::new(),
    }
}

pub(super) async fn discovery(
    State(st): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    peer: Option<Extension<Peer>>,
) -> Response {
    let root = format!(
        "{}{API_ROOT_PATH}",
        base_url(&headers, &uri, peer.as_ref().map(|p| &p.0))
    );
    taxii_json(&json!({
        "title": st.opts.title,
        "description": st.opts.description,
        "default": root,
        "api_roots": [root],
    }))
}

pub(super) async fn api_root(State(st): State<Shared>) -> Response {
    taxii_json(&json!({
        "title": st.opts.title,
        "description": st.opts.description,
        "versions": [TAXII_21],
        "max_content_length": st.opts.max_body_bytes,
    }))
}

pub(super) async fn status(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match st.store.status(&id).await? {
        // Only the poster sees a status: to anyone else it does not exist.
        Some(rec) if rec.owner.is_some() && rec.owner.as_deref() == p.name() => {
            Ok(taxii(StatusCode::OK, rec.json))
        }
        _ => Err(ApiError::not_found("status")),
    }
}

fn collection_resource(c: &Collection, p: &Principal) -> serde_json::Value {
    json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "can_read": p.can_read(c),
        "can_write": p.can_write(c),
        "media_types": [STIX_21],
    })
}

pub(super) async fn collections(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
) -> Result<Response, ApiError> {
    let visible: Vec<_> = st
        .store
        .collections()
        .await?
        .iter()
        .filter(|c| p.sees(c))
        .map(|c| collection_resource(c, &p))
        .collect();
    Ok(if visible.is_empty() {
        taxii_json(&json!({}))
    } else {
        taxii_json(&json!({ "collections": visible }))
    })
}

/// The collection, if this caller may see it at all.
pub(super) async fn visible(st: &Shared, p: &Principal, id: &str) -> Result<Collection, ApiError> {
    st.store
        .collections()
        .await?
        .into_iter()
        .find(|c| c.id == id && p.sees(c))
        .ok_or_else(|| ApiError::not_found("collection"))
}

async fn readable(st: &Shared, p: &Principal, id: &str) -> Result<Collection, ApiError> {
    let c = visible(st, p, id).await?;
    if !p.can_read(&c) {
        return Err(ApiError::forbidden("no read access to this collection"));
    }
    Ok(c)
}

pub(super) async fn collection(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = visible(&st, &p, &id).await?;
    Ok(taxii_json(&collection_resource(&c, &p)))
}

fn filters(raw: Option<String>) -> Result<Filters, ApiError> {
    parse(raw.as_deref().unwrap_or("")).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn page_limit(st: &Shared, f: &Filters) -> usize {
    f.limit
        .unwrap_or(st.opts.default_page)
        .min(st.opts.max_page)
}

/// Adds the date_added headers of a non-empty page.
fn date_headers(r: &mut Response, page: &Page) {
    let first = page.objects.first().and_then(|o| o.date_added_us);
    let last = page.objects.last().and_then(|o| o.date_added_us);
    for (name, us) in [(FIRST, first), (LAST, last)] {
        if let Some(us) = us
            && let Ok(v) = HeaderValue::from_str(&Timestamp(us).to_taxii())
        {
            r.headers_mut().insert(name, v);
        }
    }
}

fn next_of(page: &Page) -> Option<String> {
    page.more
        .then(|| page.objects.last().and_then(|o| o.date_added_us))
        .flatten()
        .map(encode_next)
}

fn envelope_response(page: &Page) -> Response {
    let next = next_of(page);
    let body = envelope::write(
        page.more,
        next.as_deref(),
        page.objects.iter().map(|o| o.json.as_str()),
    );
    let mut r = taxii(StatusCode::OK, body);
    date_headers(&mut r, page);
    r
}

/// The page a collection listing (objects or manifest) asks for; TAXII's
/// default version selection is `last`.
fn collection_query(st: &Shared, collection: String, f: &Filters) -> ListQuery {
    ListQuery {
        collection,
        added_after_us: f.start_after(),
        limit: page_limit(st, f),
        versions: f.versions.clone().unwrap_or(VersionSel::Last),
        ids: f.ids.clone(),
        types: f.types.clone(),
        spec_versions: f.spec_versions.clone(),
    }
}

/// How long one request may scan past entries the caller may not see
/// before it answers with what it has.
const FILTER_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// One page of what this caller may see. For a caller the sharing policy
/// applies to, withheld entries are skipped and the store is read on until
/// the page is full or the collection ends, so the page, `more`, `next`
/// and the date headers describe only visible entries.
async fn visible_page(
    st: &Shared,
    p: &Principal,
    c: &Collection,
    mut q: ListQuery,
) -> Result<Page, ApiError> {
    let Some(recipient) = egress::recipient_of(p, c) else {
        return Ok(st.store.list(q).await?);
    };
    let Some(fed) = st.federation.clone() else {
        // A server without a member identity shares nothing with the
        // public or with peers but what a public collection holds as
        // TLP:CLEAR: fail closed under the default policy.
        let fed = egress::Federation::new(String::new(), Default::default());
        return filtered_pages(st, &fed, &recipient, c, &mut q).await;
    };
    filtered_pages(st, &fed, &recipient, c, &mut q).await
}

async fn filtered_pages(
    st: &Shared,
    fed: &egress::Federation,
    recipient: &concord_share::Recipient,
    c: &Collection,
    q: &mut ListQuery,
) -> Result<Page, ApiError> {
    let want = q.limit.max(1);
    let started = std::time::Instant::now();
    let mut out = Vec::new();
    // One visible entry beyond the page is looked for: `more` says true
    // only when something the caller may see follows (withheld entries
    // after the last visible one must not show as `more`).
    q.limit = want + 1;
    loop {
        let page = st.store.list(q.clone()).await?;
        let last = page.objects.last().and_then(|o| o.date_added_us);
        let kept = egress::filter(&st.store, fed, recipient, &c.id, page.objects).await?;
        out.extend(kept);
        if out.len() > want {
            out.truncate(want);
            return Ok(Page {
                objects: out,
                more: true,
            });
        }
        let (true, Some(last)) = (page.more, last) else {
            return Ok(Page {
                objects: out,
                more: false,
            });
        };
        if started.elapsed() > FILTER_BUDGET && !out.is_empty() {
            // A very long run of withheld entries: answer with what is
            // visible so far and let the caller page on from its last
            // visible entry (`next` and the headers name only dates it
            // may know).
            return Ok(Page {
                objects: out,
                more: true,
            });
        }
        q.added_after_us = Some(last);
        q.limit = want + 1 - out.len();
    }
}

pub(super) async fn objects(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(cid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let c = readable(&st, &p, &cid).await?;
    let f = filters(q)?;
    let page = visible_page(&st, &p, &c, collection_query(&st, c.id.clone(), &f)).await?;
    if matches!(p, Principal::Peer(_)) {
        // A concord peer gets each object's log material with the page.
        let next = next_of(&page);
        let body = envelope::write_with_log(
            page.more,
            next.as_deref(),
            page.objects.iter().map(|o| (o.json.as_str(), o.log)),
        );
        let mut r = taxii(StatusCode::OK, body);
        date_headers(&mut r, &page);
        return Ok(r);
    }
    Ok(envelope_response(&page))
}

/// The object's entries in the collection, for the per-object endpoints;
/// 404 when the collection holds no version of it at all.
async fn object_page(
    st: &Shared,
    p: &Principal,
    c: &Collection,
    object: &str,
    f: &Filters,
    versions: VersionSel,
) -> Result<Page, ApiError> {
    if StixId::parse(object).is_err() {
        return Err(ApiError::not_found("object"));
    }
    let q = ListQuery {
        collection: c.id.clone(),
        added_after_us: f.start_after(),
        limit: page_limit(st, f),
        ids: vec![object.to_string()],
        types: vec![],
        spec_versions: f.spec_versions.clone(),
        versions,
    };
    let page = visible_page(st, p, c, q.clone()).await?;
    if page.objects.is_empty() {
        let any = visible_page(
            st,
            p,
            c,
            ListQuery {
                added_after_us: None,
                limit: 1,
                spec_versions: vec![],
                versions: VersionSel::All,
                ..q
            },
        )
        .await?;
        if any.objects.is_empty() {
            return Err(ApiError::not_found("object"));
        }
    }
    Ok(page)
}

pub(super) async fn object(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let c = readable(&st, &p, &cid).await?;
    let f = filters(q)?;
    let versions = f.versions.clone().unwrap_or(VersionSel::Last);
    let page = object_page(&st, &p, &c, &oid, &f, versions).await?;
    Ok(envelope_response(&page))
}

/// A versions or manifest resource: `more`, `next`, the listed items
/// under `key` (left out when there are none) and the date headers.
fn listing(page: &Page, key: &str, items: Vec<serde_json::Value>) -> Response {
    let mut body = json!({ "more": page.more });
    if let Some(n) = next_of(page) {
        body["next"] = n.into();
    }
    if !items.is_empty() {
        body[key] = items.into();
    }
    let mut r = taxii_json(&body);
    date_headers(&mut r, page);
    r
}

pub(super) async fn versions(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let c = readable(&st, &p, &cid).await?;
    let f = filters(q)?;
    let page = object_page(&st, &p, &c, &oid, &f, VersionSel::All).await?;
    let versions = page
        .objects
        .iter()
        .map(|o| o.version.as_str().into())
        .collect();
    Ok(listing(&page, "versions", versions))
}

pub(super) async fn manifest(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(cid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let c = readable(&st, &p, &cid).await?;
    let f = filters(q)?;
    let page = visible_page(&st, &p, &c, collection_query(&st, c.id.clone(), &f)).await?;
    let records: Vec<serde_json::Value> = page
        .objects
        .iter()
        .map(|o| {
            json!({
                "id": o.id,
                "date_added": o.date_added_us.map(|us| Timestamp(us).to_taxii()),
                "version": o.version,
                "media_type": STIX_21,
            })
        })
        .collect();
    Ok(listing(&page, "objects", records))
}

/// TAXII DELETE takes versions out of this collection only: it is not a
/// withdrawal, and it never reaches peers (FEDERATION.md section 7).
pub(super) async fn delete_object(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let c = visible(&st, &p, &cid).await?;
    if !p.can_write(&c) {
        return Err(ApiError::forbidden("no write access to this collection"));
    }
    if StixId::parse(&oid).is_err() {
        return Err(ApiError::not_found("object"));
    }
    let f = filters(q)?;
    let removed = st
        .store
        .remove_from_collection(
            &c.id,
            &oid,
            f.versions.unwrap_or(VersionSel::All),
            f.spec_versions,
        )
        .await?;
    if removed == 0 {
        return Err(ApiError::not_found("object"));
    }
    Ok(taxii(StatusCode::OK, String::new()))
}
