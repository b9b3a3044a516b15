//! Errors: `TaxiiError` for the library's callers (client, sync, TLS
//! setup), `ApiError` for what the server answers (the spec's error
//! message resource, on every error).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::media::TAXII_21;

/// Errors of the TAXII library.
#[derive(Debug, thiserror::Error)]
pub enum TaxiiError {
    #[error("HTTP request to {url} failed: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("{url} answered with media type {found:?}, not TAXII 2.1")]
    MediaType { url: String, found: String },
    #[error("{url} answered something that is not a TAXII {resource}: {message}")]
    Malformed {
        url: String,
        resource: &'static str,
        message: String,
    },
    #[error("invalid URL {0:?}")]
    Url(String),
    /// Neither the URL a user gave nor `taxii2/` below it answered as a
    /// TAXII 2.1 discovery or API root resource.
    #[error("no TAXII 2.1 server answers at {url} (tried: {answers})")]
    NotTaxii { url: String, answers: String },
    #[error(
        "{url}: a page of objects came without X-TAXII-Date-Added-Last, so there is no safe cursor"
    )]
    NoCursor { url: String },
    #[error("{url}: paging did not advance ({what}); stopped to avoid a loop")]
    Stuck { url: String, what: String },
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("password hashing: {0}")]
    Password(String),
    /// A new password breaks the length rule ([`crate::access::check_new_password`]).
    #[error("{0}")]
    WeakPassword(String),
    #[error(transparent)]
    Store(#[from] concord_store::StoreError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// The TAXII 2.1 error message resource (section 3.6.1), as served.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub http_status: String,
    #[serde(skip)]
    retry_after: Option<u64>,
    #[serde(skip)]
    authenticate: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, title: impl Into<String>) -> ApiError {
        ApiError {
            status,
            title: title.into(),
            description: None,
            http_status: status.as_u16().to_string(),
            retry_after: None,
            authenticate: false,
        }
    }

    pub fn with(mut self, description: impl Into<String>) -> ApiError {
        self.description = Some(description.into());
        self
    }

    pub fn bad_request(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request").with(description)
    }

    /// 404 for anything the caller may not see as well as for what does
    /// not exist: the two must be indistinguishable.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not found").with(format!("no such {what}"))
    }

    pub fn forbidden(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "Forbidden").with(description)
    }

    pub fn unauthorized() -> ApiError {
        let mut e = ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized")
            .with("missing or invalid credentials");
        e.authenticate = true;
        e
    }

    pub fn too_many_requests(retry_after_s: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
            .with("the per-client request rate is exceeded; retry later");
        e.retry_after = Some(retry_after_s);
        e
    }

    /// A failure of the node itself; the details go to the log, not to the
    /// client.
    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
            .with("the server could not complete the request")
    }
}

impl From<concord_store::StoreError> for ApiError {
    fn from(e: concord_store::StoreError) -> ApiError {
        match e {
            concord_store::StoreError::UnknownCollection(_) => ApiError::not_found("collection"),
            concord_store::StoreError::InvalidQuery(m) => ApiError::bad_request(m),
            e => {
                tracing::error!(error = %e, "store failure while serving TAXII");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_21));
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        if self.authenticate {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"concord\", Bearer"),
            );
        }
        resp
    }
}
