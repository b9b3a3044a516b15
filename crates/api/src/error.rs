//! The API's one error type: a status and a JSON body
//! `{"title", "description"}` that says what went wrong and what to do.
//! Failures on the server's side (the store, the disk) are logged with
//! their cause and answered 500 with a generic text: a caller never learns
//! internals from an error.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_alert::AlertError;
use concord_community::CommunityError;
use concord_federation::FederationError;
use concord_incident::IncidentError;
use concord_store::StoreError;
use concord_taxii::gate::Refusal;
use concord_trust::TrustError;
use serde_json::json;

/// An answer other than success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short title (`Unauthorized`, `Refused`, ...).
    pub title: &'static str,
    /// What went wrong and what to do next.
    pub description: String,
    /// Seconds before the caller may retry (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, title and description.
    pub fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            description: description.into(),
            retry_after: None,
        }
    }

    /// 401: the caller must authenticate (or authenticate differently).
    pub fn unauthorized(description: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", description)
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(description: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "Forbidden", description)
    }

    /// 400: the request itself is wrong.
    pub fn bad_request(description: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }

    /// 404.
    pub fn not_found(description: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Not found", description)
    }

    /// 429: too many failed attempts; retry after `seconds`.
    pub fn throttled(seconds: u64) -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!("too many failed log-ins for this account or from this address: retry in {seconds} s"),
        )
        .retry_after(seconds)
    }

    /// Sets the `Retry-After` of the answer.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 500: logged with its cause, answered without it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "an API request failed on the server's side");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the server failed; try again later (the cause is in the node's log)",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"title": self.title, "description": self.description}).to_string(),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        r
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthorized(why) => ApiError::unauthorized(why),
            Refusal::Throttled(s) => ApiError::throttled(s),
            Refusal::Internal => ApiError::internal(&"checking the credentials failed"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(&e)
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(&e)
    }
}

impl From<FederationError> for ApiError {
    fn from(e: FederationError) -> Self {
        match e {
            FederationError::Invalid(d) => ApiError::new(StatusCode::BAD_REQUEST, "Refused", d),
            FederationError::NotFound(d) => ApiError::not_found(d),
            FederationError::Forbidden(d) => ApiError::forbidden(d),
            FederationError::Community(c) => c.into(),
            other => ApiError::internal(&other),
        }
    }
}

impl From<IncidentError> for ApiError {
    fn from(e: IncidentError) -> Self {
        match e {
            IncidentError::Invalid(d) => ApiError::new(StatusCode::BAD_REQUEST, "Refused", d),
            IncidentError::NotFound(d) => ApiError::not_found(d),
            IncidentError::Forbidden(d) => ApiError::forbidden(d),
            IncidentError::Federation(f) => f.into(),
            other => ApiError::internal(&other),
        }
    }
}

impl From<CommunityError> for ApiError {
    /// A broken one-proposal-per-base promise is a 409; anything else the
    /// caller sent or asked wrong a 422 with the reason.
    fn from(e: CommunityError) -> Self {
        match e {
            CommunityError::Trust(
                t @ (TrustError::AlreadySigned { .. } | TrustError::StaleBase { .. }),
            ) => ApiError::new(StatusCode::CONFLICT, "Refused", t.to_string()),
            CommunityError::NotFound(d) => ApiError::not_found(d),
            e @ (CommunityError::Io { .. } | CommunityError::Json(_)) => ApiError::internal(&e),
            e => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Refused", e.to_string()),
        }
    }
}

impl From<concord_log::LogError> for ApiError {
    fn from(e: concord_log::LogError) -> Self {
        match e {
            concord_log::LogError::Refused(d) => {
                ApiError::new(StatusCode::BAD_REQUEST, "Refused", d)
            }
            concord_log::LogError::Tlog(t) => {
                ApiError::new(StatusCode::BAD_REQUEST, "Refused", t.to_string())
            }
            other => ApiError::internal(&other),
        }
    }
}

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::NotFound(d) => ApiError::not_found(d),
            other => ApiError::internal(&other),
        }
    }
}
