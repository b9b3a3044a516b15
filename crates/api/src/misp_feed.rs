//! `/feeds/misp/`: the node as a MISP feed, so that a MISP instance can
//! subscribe to it like to any other feed (Sync Actions → Feeds, format
//! "MISP Feed").
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /feeds/misp/manifest.json` | the events, by UUID, with their info, date, tags and timestamp |
//! | `GET /feeds/misp/<uuid>.json` | one event (`{"Event": {...}}`) |
//! | `GET /feeds/misp/hashes.csv` | `md5,event uuid` per attribute value |
//!
//! They serve the node's local collection, or another with `?collection=ID`
//! (or title). MISP appends the file names to the feed's URL, so a MISP
//! instance subscribes to another collection as
//! `/feeds/misp/<collection>/` (`/feeds/misp/<collection>/manifest.json`…).
//!
//! Who sees what: the same as TAXII for the same caller and collection
//! ([`Caller`] through the node's one gate; the objects through
//! `concord_taxii::server::egress::filter`). Anonymous callers read only
//! public collections, and of those only what the public may see (TLP:CLEAR
//! under the default policy); users with rights on the collection read it
//! whole; peers read their share. MISP sends credentials with the feed's
//! "headers" setting (`Authorization: Bearer <token>`, or Basic).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_bridge::Directory;
use concord_bridge::misp_out::{FeedCache, Share, collection_objects, feed_of};
use concord_store::{Collection, Store};
use concord_taxii::access::Principal;
use concord_taxii::server::egress::{self, Federation};

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::ErrorBody;
use crate::{ApiError, ApiState, Caller};

#[derive(serde::Deserialize, Default)]
struct FeedParams {
    #[serde(default)]
    collection: Option<String>,
}

/// The routes of the MISP feed.
pub(crate) fn routes() -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::new()
        .routes(routes!(in_default))
        .routes(routes!(in_named))
}

#[utoipa::path(get, path = "/feeds/misp/{file}", tag = "misp", summary = "The node's local collection (or ?collection=) as a MISP feed",
    params(("file" = String, Path, description = "manifest.json, <event uuid>.json or hashes.csv"),
        ("collection" = Option<String>, Query, description = "a collection id or title (default: the node's local collection)")),
    responses((status = 200, description = "the file (JSON, or CSV for hashes.csv)", body = String), (status = 401, description = "bad credentials", body = ErrorBody), (status = 404, description = "no such file, event or collection (or none the caller may read)", body = ErrorBody)))]
async fn in_default(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path(file): Path<String>,
    Query(params): Query<FeedParams>,
) -> Result<Response, ApiError> {
    answer(&st, &caller, params.collection.as_deref(), &file).await
}

#[utoipa::path(get, path = "/feeds/misp/{collection}/{file}", tag = "misp", summary = "A collection as a MISP feed (MISP appends the file names to the feed URL)",
    params(("collection" = String, Path, description = "a collection id or title"),
        ("file" = String, Path, description = "manifest.json, <event uuid>.json or hashes.csv")),
    responses((status = 200, description = "the file (JSON, or CSV for hashes.csv)", body = String), (status = 401, description = "bad credentials", body = ErrorBody), (status = 404, description = "no such file, event or collection (or none the caller may read)", body = ErrorBody)))]
async fn in_named(
    State(st): State<Arc<ApiState>>,
    caller: Caller,
    Path((collection, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    answer(&st, &caller, Some(&collection), &file).await
}

/// The collection a request names (by id or title; the local one by
/// default), if the caller may read it.
async fn readable(
    st: &ApiState,
    caller: &Caller,
    named: Option<&str>,
) -> Result<Collection, ApiError> {
    let all = st.node.store.collections().await?;
    let key = named.unwrap_or(&st.node.collection);
    let by_id = all.iter().find(|c| c.id == key);
    let by_title: Vec<&Collection> = all.iter().filter(|c| c.title == key).collect();
    let found = by_id.or(match by_title.as_slice() {
        [one] => Some(*one),
        _ => None,
    });
    let p = &caller.0;
    match found {
        Some(c) if p.can_read(c) => Ok(c.clone()),
        Some(c) if p.sees(c) => Err(ApiError::forbidden(
            "no read access to this collection's MISP feed",
        )),
        _ if matches!(p, Principal::Anonymous) => Err(ApiError::unauthorized(
            "this MISP feed needs a user or a token (MISP: the feed's headers, `Authorization: Bearer <token>`)",
        )),
        _ => Err(ApiError::not_found("no such collection")),
    }
}

async fn answer(
    st: &ApiState,
    caller: &Caller,
    collection: Option<&str>,
    file: &str,
) -> Result<Response, ApiError> {
    let c = readable(st, caller, collection).await?;
    let recipient = egress::recipient_of(&caller.0, &c);
    let last_added = st.node.store.last_added(&c.id).await?;
    let key = FeedCache::key(&c.id, recipient.as_ref());
    let docs = match st.misp_feed.get(&key, last_added) {
        Some(d) => d,
        None => {
            // A server without a member identity shares what the default
            // policy gives: fail closed, as TAXII does.
            let fallback;
            let federation: &Federation = match st.gate.federation() {
                Some(f) => f,
                None => {
                    fallback = Federation::new(String::new(), Default::default());
                    &fallback
                }
            };
            let share = recipient.as_ref().map(|r| Share {
                federation,
                recipient: r,
            });
            let objects = collection_objects(&st.node.store, &c.id, share)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            let directory = Directory::of_node(&st.node, &st.key.public(), &st.org)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            let docs = Arc::new(feed_of(&objects, &directory));
            st.misp_feed.put(key, last_added, docs.clone());
            docs
        }
    };
    let json = |v: String| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            v,
        )
            .into_response()
    };
    match file {
        "manifest.json" => Ok(json(docs.manifest.to_string())),
        "hashes.csv" => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            docs.hashes_csv.clone(),
        )
            .into_response()),
        other => {
            let uuid = other
                .strip_suffix(".json")
                .and_then(|u| uuid::Uuid::parse_str(u).ok())
                .ok_or_else(|| {
                    ApiError::not_found(
                        "a MISP feed holds manifest.json, hashes.csv and <uuid>.json",
                    )
                })?;
            docs.events
                .iter()
                .find(|(u, _)| *u == uuid)
                .map(|(_, e)| json(e.to_string()))
                .ok_or_else(|| ApiError::not_found("no such event in this feed"))
        }
    }
}
