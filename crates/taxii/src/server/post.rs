//! POST objects (section 5.4) and the status resource (section 4.3).
//!
//! Each object of the envelope goes through `read_object` on its own: the
//! valid ones are stored in one transaction together with the final status
//! (so "complete" always describes stored objects), the invalid ones are
//! listed as failures with every reason. Small envelopes are answered when
//! stored ("complete"); larger ones are answered at once with a persisted
//! "pending" status and stored in the background.

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_stix::Issue;
use concord_stix::Timestamp;
use concord_stix::ingest::{read_object, storable_json};
use concord_store::{PreparedObject, StatusRecord, Store};
use serde::Serialize;

use super::Shared;
use super::routes::{taxii, visible};
use crate::access::Principal;
use crate::media::is_taxii_body;
use crate::{ApiError, envelope};

/// One object's line in a status (the spec's status-details).
#[derive(Debug, Clone, Serialize)]
pub(super) struct Detail {
    pub id: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The status resource.
#[derive(Debug, Clone, Serialize)]
struct StatusResource<'a> {
    id: &'a str,
    status: &'static str,
    request_timestamp: String,
    total_count: usize,
    success_count: usize,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    successes: &'a [Detail],
    failure_count: usize,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    failures: &'a [Detail],
    pending_count: usize,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pendings: &'a [Detail],
}

/// An envelope after every object was checked.
struct Checked {
    prepared: Vec<PreparedObject>,
    successes: Vec<Detail>,
    failures: Vec<Detail>,
}

fn reasons(issues: &[Issue]) -> String {
    issues
        .iter()
        .filter(|i| i.severity == concord_stix::Severity::Error)
        .map(|i| format!("{}: {} ({})", i.path, i.message, i.rule))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Members per thread below which one thread checks the whole envelope.
const PARALLEL_FROM: usize = 256;

/// Checks every member; large envelopes are split over the cores (order is
/// kept: the chunks are joined in input order).
fn check(bytes: &[u8]) -> Result<Checked, envelope::EnvelopeError> {
    let env = envelope::parse(bytes)?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    if threads == 1 || env.objects.len() < 2 * PARALLEL_FROM {
        return Ok(check_members(&env.objects));
    }
    let size = env.objects.len().div_ceil(threads);
    let parts: Vec<Checked> = std::thread::scope(|scope| {
        let handles: Vec<_> = env
            .objects
            .chunks(size)
            .map(|chunk| (chunk, scope.spawn(move || check_members(chunk))))
            .collect();
        // A chunk whose thread failed is checked again here, so no member
        // can go missing from the status.
        handles
            .into_iter()
            .map(|(chunk, h)| h.join().unwrap_or_else(|_| check_members(chunk)))
            .collect()
    });
    let mut out = check_members(&[]);
    for p in parts {
        out.prepared.extend(p.prepared);
        out.successes.extend(p.successes);
        out.failures.extend(p.failures);
    }
    Ok(out)
}

fn check_members(members: &[&serde_json::value::RawValue]) -> Checked {
    let mut out = Checked {
        prepared: Vec::with_capacity(members.len()),
        successes: Vec::with_capacity(members.len()),
        failures: Vec::new(),
    };
    for &raw in members {
        match read_object(raw.get().as_bytes(), &concord_pattern::Grammar) {
            Ok(c) => {
                let text = storable_json(raw.get().as_bytes(), &c.object);
                out.successes.push(Detail {
                    id: c.object.id().to_string(),
                    version: c.object.version().to_string(),
                    message: None,
                });
                out.prepared.push(PreparedObject::new(&c.object, text));
            }
            Err(issues) => {
                let (id, version) = envelope::key_of(raw);
                out.failures.push(Detail {
                    id,
                    version,
                    message: Some(reasons(&issues)),
                });
            }
        }
    }
    out
}

struct Posting {
    id: String,
    collection: String,
    owner: Option<String>,
    created: Timestamp,
}

impl Posting {
    fn record(
        &self,
        status: &'static str,
        total: usize,
        s: &[Detail],
        f: &[Detail],
        p: &[Detail],
    ) -> StatusRecord {
        let res = StatusResource {
            id: &self.id,
            status,
            request_timestamp: self.created.to_taxii(),
            total_count: total,
            success_count: s.len(),
            successes: s,
            failure_count: f.len(),
            failures: f,
            pending_count: p.len(),
            pendings: p,
        };
        StatusRecord {
            id: self.id.clone(),
            collection: self.collection.clone(),
            owner: self.owner.clone(),
            created_us: self.created.0,
            json: serde_json::to_string(&res).unwrap_or_default(),
        }
    }
}

/// Checks and stores an envelope; the final status is stored with it.
async fn store_envelope(
    st: &Shared,
    posting: &Posting,
    body: Bytes,
) -> Result<StatusRecord, ApiError> {
    let checked = tokio::task::spawn_blocking(move || check(&body))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let total = checked.successes.len() + checked.failures.len();
    let rec = posting.record(
        "complete",
        total,
        &checked.successes,
        &checked.failures,
        &[],
    );
    st.store
        .put_posted(&posting.collection, checked.prepared, rec.clone())
        .await?;
    Ok(rec)
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request too large").with(format!(
        "the body exceeds the {max}-byte limit (see max_content_length)"
    ))
}

pub(super) async fn add_objects(
    State(st): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let c = visible(&st, &p, &cid).await?;
    if !p.can_write(&c) {
        return Err(ApiError::forbidden("no write access to this collection"));
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !is_taxii_body(ctype) {
        return Err(
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
                .with("send an envelope as application/taxii+json;version=2.1"),
        );
    }
    let max = st.opts.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let bytes = axum::body::to_bytes(body, max).await.map_err(|e| {
        // The limit error is wrapped; anything else is a broken upload.
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = src {
            if s.is::<http_body_util::LengthLimitError>() {
                return too_large(max);
            }
            src = s.source();
        }
        ApiError::bad_request(format!("could not read the request body: {e}"))
    })?;
    let posting = Posting {
        id: uuid::Uuid::new_v4().to_string(),
        collection: c.id.clone(),
        owner: p.name().map(str::to_string),
        created: Timestamp::now(),
    };
    // A cheap count of the members decides the path; a body that is not an
    // envelope is refused here, before any status exists.
    let count = envelope::parse(&bytes)
        .map_err(|e| ApiError::bad_request(e.to_string()))?
        .objects
        .len();
    let rec = if count <= st.opts.background_post_over {
        store_envelope(&st, &posting, bytes).await?
    } else {
        let pendings: Vec<Detail> = envelope::parse(&bytes)
            .map_err(|e| ApiError::bad_request(e.to_string()))?
            .objects
            .iter()
            .map(|raw| {
                let (id, version) = envelope::key_of(raw);
                Detail {
                    id,
                    version,
                    message: None,
                }
            })
            .collect();
        let pending = posting.record("pending", count, &[], &[], &pendings);
        st.store.put_status(pending.clone()).await?;
        let st2 = st.clone();
        tokio::spawn(async move {
            if let Err(e) = store_envelope(&st2, &posting, bytes).await {
                tracing::error!(status = %posting.id, error = ?e.description, "background POST failed");
                let failed: Vec<Detail> = pendings
                    .into_iter()
                    .map(|d| Detail {
                        message: Some("the server could not store this envelope".into()),
                        ..d
                    })
                    .collect();
                let rec = posting.record("complete", count, &[], &failed, &[]);
                if let Err(e) = st2.store.put_status(rec).await {
                    tracing::error!(error = %e, "could not record a failed POST's status");
                }
            }
        });
        pending
    };
    Ok(taxii(StatusCode::ACCEPTED, rec.json).into_response())
}
