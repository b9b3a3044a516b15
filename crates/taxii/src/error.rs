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
    /// The request could not be made or its answer not read (connection,
    /// TLS, timeout, body), after the retries.
    #[error("HTTP request to {url} failed: {source}")]
    Http {
        /// The URL requested (empty when building the client failed).
        url: String,
        /// What reqwest reported.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status (after the retries).
    #[error("{url} answered {status}: {message}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The server's error title and description, or its body.
        message: String,
    },
    /// The answer's `Content-Type` is not the TAXII 2.1 media type.
    #[error("{url} answered with media type {found:?}, not TAXII 2.1")]
    MediaType {
        /// The URL requested.
        url: String,
        /// The `Content-Type` received.
        found: String,
    },
    /// The answer does not parse as the resource asked for.
    #[error("{url} answered something that is not a TAXII {resource}: {message}")]
    Malformed {
        /// The URL requested.
        url: String,
        /// The resource expected (`envelope`, `status resource`, ...).
        resource: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A URL that does not parse, or a path that cannot be joined to it.
    #[error("invalid URL {0:?}")]
    Url(String),
    /// Neither the URL a user gave nor `taxii2/` below it answered as a
    /// TAXII 2.1 discovery or API root resource.
    #[error("no TAXII 2.1 server answers at {url} (tried: {answers})")]
    NotTaxii {
        /// The URL the user gave.
        url: String,
        /// What each URL tried answered, `; `-separated.
        answers: String,
    },
    /// A page said there was more but gave neither `next` nor the date
    /// header to continue from.
    #[error(
        "{url}: a page of objects came without X-TAXII-Date-Added-Last, so there is no safe cursor"
    )]
    NoCursor {
        /// The API root paged.
        url: String,
    },
    /// The server made no progress: the same page asked for twice, or a
    /// status still pending after all polls.
    #[error("{url}: paging did not advance ({what}); stopped to avoid a loop")]
    Stuck {
        /// The API root.
        url: String,
        /// What did not advance.
        what: String,
    },
    /// Certificates, keys or trust anchors that cannot be read or used.
    #[error("TLS setup: {0}")]
    Tls(String),
    /// argon2 failed to hash or read a password hash.
    #[error("password hashing: {0}")]
    Password(String),
    /// A new password breaks the length rule ([`crate::access::check_new_password`]).
    #[error("{0}")]
    WeakPassword(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] concord_store::StoreError),
    /// An operator's request on users, tokens or collections that cannot
    /// be done (a name taken, none such, the local collection...).
    #[error("{0}")]
    Admin(String),
    /// An address to listen on, or a public URL, that is none.
    #[error("{0}")]
    Address(String),
    /// An address to listen on whose host name did not resolve.
    #[error("--listen {listen:?} is not an address such as 127.0.0.1:8733 or localhost:8733")]
    Resolve {
        /// The address given.
        listen: String,
        /// Why it did not resolve.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing a local file or socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// The TAXII 2.1 error message resource (section 3.6.1), as served.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    /// The HTTP status of the answer.
    #[serde(skip)]
    pub status: StatusCode,
    /// A short human-readable summary.
    pub title: String,
    /// What went wrong, for the caller; never internal details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `status` as decimal text, as the spec's resource carries it.
    pub http_status: String,
    #[serde(skip)]
    retry_after: Option<u64>,
    #[serde(skip)]
    authenticate: bool,
}

impl ApiError {
    /// An error with this status and title, and no description.
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

    /// The same error with this description.
    pub fn with(mut self, description: impl Into<String>) -> ApiError {
        self.description = Some(description.into());
        self
    }

    /// 400: the request is not one the spec allows.
    pub fn bad_request(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request").with(description)
    }

    /// 404 for anything the caller may not see as well as for what does
    /// not exist: the two must be indistinguishable.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not found").with(format!("no such {what}"))
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "Forbidden").with(description)
    }

    /// 401 with a `WWW-Authenticate` challenge: credentials missing or
    /// wrong.
    pub fn unauthorized() -> ApiError {
        let mut e = ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized")
            .with("missing or invalid credentials");
        e.authenticate = true;
        e
    }

    /// 429 with `Retry-After: retry_after_s` (seconds).
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
