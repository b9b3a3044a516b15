//! What every format needs from the caller besides the indicators: the
//! time that decides which indicators are active, the filters, and the
//! names of the authors.

use std::collections::HashMap;

use concord_stix::Timestamp;
use serde_json::{Map, Value};

use crate::report::Kind;

/// Identity ids to names, for the formats that name an indicator's author
/// (Zeek's `meta.source`, the CSV `author` column).
#[derive(Debug, Clone, Default)]
pub struct Authors {
    names: HashMap<String, String>,
}

impl Authors {
    /// No names: authors are then named by their identity id.
    pub fn new() -> Authors {
        Authors::default()
    }

    /// Names `identity`.
    pub fn insert(&mut self, identity: impl Into<String>, name: impl Into<String>) {
        self.names.insert(identity.into(), name.into());
    }

    /// The names of the `identity` objects among `objects` (others are
    /// ignored).
    pub fn from_identities<'a>(
        objects: impl IntoIterator<Item = &'a Map<String, Value>>,
    ) -> Authors {
        let mut authors = Authors::new();
        for o in objects {
            if o.get("type").and_then(Value::as_str) != Some("identity") {
                continue;
            }
            if let (Some(id), Some(name)) = (
                o.get("id").and_then(Value::as_str),
                o.get("name").and_then(Value::as_str),
            ) {
                authors.insert(id, name);
            }
        }
        authors
    }

    /// The name of `identity`, if known.
    pub fn name(&self, identity: &str) -> Option<&str> {
        self.names.get(identity).map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Authors {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut authors = Authors::new();
        for (k, v) in iter {
            authors.insert(k, v);
        }
        authors
    }
}

/// The selection every format applies before writing.
///
/// By default only active indicators are exported: not revoked (which
/// covers concord's withdrawals, a revoked version signed by the author),
/// `valid_from` not after [`now`](ExportContext::now) and `valid_until`
/// after it. `now` is a parameter so that the library never reads a clock:
/// the caller passes `Timestamp::now()` or a fixed time for reproducible
/// output.
#[derive(Debug, Clone)]
pub struct ExportContext<'a> {
    /// The time at which indicators must be active.
    pub now: Timestamp,
    /// Leave out indicators whose `confidence` is below this (an indicator
    /// without `confidence` meets no minimum).
    pub min_confidence: Option<u8>,
    /// Export revoked, expired and not yet valid indicators too.
    pub include_inactive: bool,
    /// Only values of these kinds (a blocklist of addresses, a list of
    /// names); empty means every kind. Values of other kinds are left out
    /// without a skip entry, as asked, and an indicator with none of these
    /// kinds is not counted.
    pub kinds: Vec<Kind>,
    /// Names of authors.
    pub authors: &'a Authors,
}

impl<'a> ExportContext<'a> {
    /// Active indicators at `now`, any confidence.
    pub fn new(now: Timestamp, authors: &'a Authors) -> ExportContext<'a> {
        ExportContext {
            now,
            min_confidence: None,
            include_inactive: false,
            kinds: Vec::new(),
            authors,
        }
    }

    /// Only indicators with a confidence of at least `minimum`.
    pub fn with_min_confidence(mut self, minimum: u8) -> ExportContext<'a> {
        self.min_confidence = Some(minimum);
        self
    }

    /// Inactive indicators too.
    pub fn with_inactive(mut self) -> ExportContext<'a> {
        self.include_inactive = true;
        self
    }

    /// Only values of `kinds` (none: every kind).
    pub fn with_kinds(mut self, kinds: Vec<Kind>) -> ExportContext<'a> {
        self.kinds = kinds;
        self
    }

    /// Whether values of `kind` are wanted.
    pub(crate) fn wants(&self, kind: Kind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}
