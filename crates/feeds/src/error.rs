//! The errors of the feeds crate: what stops a whole fetch or parse. A bad
//! line or cell of a list is no error: it is a [`crate::Problem`] in the
//! report, and the rest of the list is kept.

use thiserror::Error;

/// Why a feed could not be fetched or read at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeedError {
    /// The request failed: no connection, a timeout, a broken answer.
    #[error("feed {feed}: fetching {url}: {reason}")]
    Http {
        /// The feed's name.
        feed: String,
        /// The URL fetched.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The server answered with a status other than 200 or 304.
    #[error("feed {feed}: {url} answered {status}")]
    Status {
        /// The feed's name.
        feed: String,
        /// The URL fetched.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The answer is larger than the limit.
    #[error("feed {feed}: {url} sent more than {limit} bytes: refused")]
    TooLarge {
        /// The feed's name.
        feed: String,
        /// The URL fetched.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The feed's specification cannot be used (a CSV mapping that names a
    /// column the header lacks, no column holding values...).
    #[error("feed {feed}: {reason}")]
    Spec {
        /// The feed's name.
        feed: String,
        /// The rule broken.
        reason: String,
    },
    /// The body cannot be read in the feed's format at all (a STIX body
    /// that is no JSON, the caller's MISP or TAXII reader refusing it).
    #[error("feed {feed}: {format} body: {reason}")]
    Body {
        /// The feed's name.
        feed: String,
        /// The format it was read as.
        format: &'static str,
        /// What is wrong, and where.
        reason: String,
    },
}
