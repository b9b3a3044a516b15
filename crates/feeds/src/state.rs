//! What the node keeps between two fetches of a feed: the validators for a
//! conditional GET, when it last fetched and last succeeded, the last
//! error, and the version of every object the feed gave.
//!
//! Why the versions are kept: a CSV or text list carries no STIX ids or
//! times, yet re-fetching it must never make a second version of an
//! unchanged line. An indicator's id is derived from the feed's name and
//! its pattern (UUIDv5), so the same value always has the same id; its
//! `created` is the time its value was first seen and its `modified` the
//! time its content (pattern, name, description, labels, validity,
//! confidence, marking) last changed. Those two times are not in the list,
//! so they live here, with a digest of the content that decides whether it
//! changed. A line that disappears keeps its record (marked removed), so
//! that if it comes back its `created` is still the first one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The state of one feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    /// When a fetch was last tried (STIX timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_fetch: Option<String>,
    /// When a fetch last succeeded: a body read and committed, or the
    /// server saying nothing changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_good_fetch: Option<String>,
    /// The error of the last fetch, if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<FetchFailure>,
    /// The validators of the last good body, for the next conditional GET.
    #[serde(default)]
    pub validators: Validators,
    /// Every object the feed gave, by id.
    #[serde(default)]
    pub objects: BTreeMap<String, KnownVersion>,
}

/// A failed fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchFailure {
    /// When (STIX timestamp).
    pub at: String,
    /// What went wrong.
    pub message: String,
}

/// The validators of an HTTP answer (RFC 9110 section 8.8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// The `ETag`, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` date, sent back as `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    /// Whether there is anything to make a GET conditional with.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// The version of one object that the feed last gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownVersion {
    /// A digest of the object's content, without its times (hex).
    pub digest: String,
    /// Its `created`.
    pub created: String,
    /// Its `modified`.
    pub modified: String,
    /// When it was last missing from the feed, if it is missing now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

impl FeedState {
    /// Records a failed fetch at `now`: the error, and nothing else; the
    /// validators and the known versions of the last good body stay.
    pub fn record_failure(&mut self, now: &str, message: String) {
        self.last_fetch = Some(now.to_string());
        self.last_error = Some(FetchFailure {
            at: now.to_string(),
            message,
        });
    }

    /// Records a fetch that found nothing new (304 Not Modified).
    pub fn record_not_modified(&mut self, now: &str) {
        self.last_fetch = Some(now.to_string());
        self.last_good_fetch = Some(now.to_string());
        self.last_error = None;
    }

    /// Records a body that was read and whose objects the caller stored:
    /// its validators, and the versions [`crate::parse`] gave. Call it
    /// only after the objects are stored, so that a crash in between
    /// fetches the body again instead of getting a 304 for data never kept.
    pub fn commit(&mut self, parsed: &crate::Parsed, validators: Validators, now: &str) {
        self.objects.clone_from(&parsed.versions);
        self.validators = validators;
        self.last_fetch = Some(now.to_string());
        self.last_good_fetch = Some(now.to_string());
        self.last_error = None;
    }
}
