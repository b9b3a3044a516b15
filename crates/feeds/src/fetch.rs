//! Fetching a feed: one conditional GET (`If-None-Match` with the last
//! ETag, `If-Modified-Since` with the last `Last-Modified`), a size limit
//! and a timeout. There is no loop here: the node decides when to fetch
//! (every [`crate::FeedSpec::interval_secs`]).
//!
//! A failure is recorded in the feed's state and changes nothing else in
//! it: the validators and versions of the last good body stay, so the next
//! fetch asks for what changed since then. A body is handed back with its
//! new validators; the caller commits them ([`crate::FeedState::commit`])
//! only after it stored the objects.

use std::time::Duration;

use concord_stix::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, CONTENT_LENGTH, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};

use crate::error::FeedError;
use crate::spec::FeedSpec;
use crate::state::{FeedState, Validators};

/// Bounds on one fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// The largest body accepted (after decompression), in bytes.
    pub max_bytes: usize,
    /// The longest a whole request may take, body included.
    pub timeout: Duration,
}

impl Default for FetchLimits {
    /// 64 MiB and two minutes: the largest public IOC lists are a few tens
    /// of megabytes.
    fn default() -> FetchLimits {
        FetchLimits {
            max_bytes: 64 << 20,
            timeout: Duration::from_secs(120),
        }
    }
}

/// What a fetch brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The server says the feed has not changed since the last good body.
    NotModified,
    /// A new body and its validators (to commit once its objects are stored).
    Body {
        /// The body, decompressed.
        bytes: Vec<u8>,
        /// Its `ETag` and `Last-Modified`.
        validators: Validators,
    },
}

/// Fetches a feed once (see the module doc). `now` is recorded as the
/// fetch time; a failure is also recorded in `state` as its last error.
pub async fn fetch(
    client: &reqwest::Client,
    spec: &FeedSpec,
    state: &mut FeedState,
    limits: &FetchLimits,
    now: Timestamp,
) -> Result<Fetched, FeedError> {
    let now = now.to_stix();
    let result = get(client, spec, &state.validators, limits).await;
    match &result {
        Ok(Fetched::NotModified) => state.record_not_modified(&now),
        Ok(Fetched::Body { .. }) => state.last_fetch = Some(now),
        Err(e) => state.record_failure(&now, e.to_string()),
    }
    result
}

async fn get(
    client: &reqwest::Client,
    spec: &FeedSpec,
    validators: &Validators,
    limits: &FetchLimits,
) -> Result<Fetched, FeedError> {
    let http = |reason: String| FeedError::Http {
        feed: spec.name.clone(),
        url: spec.url.clone(),
        reason,
    };
    let too_large = || FeedError::TooLarge {
        feed: spec.name.clone(),
        url: spec.url.clone(),
        limit: limits.max_bytes,
    };
    let mut request = client
        .get(&spec.url)
        .timeout(limits.timeout)
        .header(ACCEPT, spec.format.accept());
    if let Some(etag) = &validators.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(date) = &validators.last_modified {
        request = request.header(IF_MODIFIED_SINCE, date);
    }
    let mut response = request.send().await.map_err(|e| http(describe(&e)))?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED && !validators.is_empty() {
        return Ok(Fetched::NotModified);
    }
    if status != StatusCode::OK {
        return Err(FeedError::Status {
            feed: spec.name.clone(),
            url: spec.url.clone(),
            status: status.as_u16(),
        });
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let new_validators = Validators {
        etag: header(ETAG),
        last_modified: header(LAST_MODIFIED),
    };
    // A declared length over the limit is refused before reading anything
    // (it is the compressed length when the body is compressed).
    if header(CONTENT_LENGTH)
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > limits.max_bytes)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| http(describe(&e)))? {
        if bytes.len() + chunk.len() > limits.max_bytes {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body {
        bytes,
        validators: new_validators,
    })
}

/// The error and its causes in one line (reqwest's own message is only
/// the outermost one: "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        text.push_str(" (timed out)");
    }
    text
}
