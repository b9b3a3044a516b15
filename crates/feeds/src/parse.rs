//! From a fetched body to STIX objects and a report.
//!
//! CSV and text lists become indicators made here; STIX bodies (bundles,
//! JSON arrays, JSON lines) are read object by object with concord-stix.
//! MISP events and TAXII envelopes are read by the caller's
//! [`ForeignReader`] (concord-misp and the TAXII client own those formats);
//! their objects then go through the same checks as all others. Every
//! object is validated against STIX 2.1 and every indicator pattern is
//! parsed before it is returned; what fails is a [`Problem`], and the rest
//! is kept.

use std::collections::BTreeMap;
use std::fmt;

use concord_stix::Timestamp;
use serde_json::{Map, Value};

use crate::error::FeedError;
use crate::indicator::{Change, Entry, build, digest};
use crate::spec::{FeedFormat, FeedSpec};
use crate::state::{FeedState, KnownVersion};

/// A line, row or cell of a body that gave no object, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The 1-based line of the body (where the row or object starts).
    pub line: u64,
    /// The 1-based column of a CSV cell.
    pub column: Option<usize>,
    /// The column's name in the header row.
    pub column_name: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl Problem {
    pub(crate) fn line(line: u64, reason: String) -> Problem {
        Problem {
            line,
            column: None,
            column_name: None,
            reason,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
            if let Some(n) = &self.column_name {
                write!(f, " ({n})")?;
            }
        }
        write!(f, ": {}", self.reason)
    }
}

/// One object of a feed and how it compares with what the feed gave before.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedObject {
    /// The STIX object.
    pub object: Map<String, Value>,
    /// New, changed or unchanged since the last good fetch.
    pub change: Change,
}

/// What a body gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Every object, once each, in body order. The caller stores the new
    /// and changed ones; unchanged ones are the very versions it already
    /// has ((id, modified) equal).
    pub objects: Vec<FeedObject>,
    /// The lines, rows and objects that gave nothing, and why.
    pub problems: Vec<Problem>,
    /// Values given again later in the body, with the same content (kept once).
    pub duplicates: usize,
    /// The ids the feed gave before and no longer gives (the node decides
    /// whether to revoke them).
    pub removed: Vec<String>,
    /// The versions to keep in the feed's state ([`FeedState::commit`]).
    pub(crate) versions: BTreeMap<String, KnownVersion>,
}

impl Parsed {
    /// The objects to store: new and changed ones.
    pub fn to_store(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.objects
            .iter()
            .filter(|o| o.change != Change::Unchanged)
            .map(|o| &o.object)
    }
}

/// Readers of the formats other crates own. Each returns the body's STIX
/// objects, or why the body cannot be read at all.
pub trait ForeignReader {
    /// A MISP event (or a MISP feed file) as STIX 2.1 objects.
    fn misp(&self, feed: &FeedSpec, body: &[u8]) -> Result<Vec<Map<String, Value>>, String>;
    /// A TAXII 2.1 envelope (`{"objects": [...], "more": ...}`) as its objects.
    fn taxii(&self, feed: &FeedSpec, body: &[u8]) -> Result<Vec<Map<String, Value>>, String>;
}

/// Reads a body in the feed's format. `now` gives the times of new and
/// changed indicators made from lists; `state` holds the versions the feed
/// gave before (see [`crate::state`] for why). Fails only when the body
/// cannot be read at all; bad lines, rows and objects are problems.
pub fn parse(
    spec: &FeedSpec,
    body: &[u8],
    now: Timestamp,
    state: &FeedState,
    foreign: &dyn ForeignReader,
) -> Result<Parsed, FeedError> {
    let mut parsed = Parsed {
        objects: Vec::new(),
        problems: Vec::new(),
        duplicates: 0,
        removed: Vec::new(),
        versions: BTreeMap::new(),
    };
    match spec.format {
        FeedFormat::Text => {
            let (entries, problems) = crate::text::entries(body);
            parsed.problems = problems;
            add_entries(spec, &entries, now, state, &mut parsed);
        }
        FeedFormat::Csv => {
            let (entries, problems) = crate::csv::entries(spec, body)?;
            parsed.problems = problems;
            add_entries(spec, &entries, now, state, &mut parsed);
        }
        FeedFormat::Stix => stix_objects(spec, body, state, &mut parsed)?,
        FeedFormat::Misp | FeedFormat::Taxii => {
            let read = if spec.format == FeedFormat::Misp {
                foreign.misp(spec, body)
            } else {
                foreign.taxii(spec, body)
            };
            let objects = read.map_err(|reason| FeedError::Body {
                feed: spec.name.clone(),
                format: spec.format.word(),
                reason,
            })?;
            for (i, object) in objects.into_iter().enumerate() {
                // These formats have no lines: the problem names the object.
                add_received(object, i as u64 + 1, state, &mut parsed);
            }
        }
    }
    // An error page served with 200, a truncated download: a body of which
    // nothing could be read must not make every known object "removed".
    if parsed.objects.is_empty()
        && let Some(first) = parsed.problems.first()
    {
        return Err(FeedError::Body {
            feed: spec.name.clone(),
            format: spec.format.word(),
            reason: format!(
                "nothing in it could be read ({} problems; the first: {first})",
                parsed.problems.len()
            ),
        });
    }
    for (id, known) in &state.objects {
        if !parsed.versions.contains_key(id) {
            if known.removed.is_none() {
                parsed.removed.push(id.clone());
            }
            let mut kept = known.clone();
            kept.removed.get_or_insert_with(|| now.to_stix());
            parsed.versions.insert(id.clone(), kept);
        }
    }
    parsed.problems.sort_by_key(|p| p.line);
    Ok(parsed)
}

/// Indicators for list entries; a value given twice is kept once.
fn add_entries(
    spec: &FeedSpec,
    entries: &[Entry],
    now: Timestamp,
    state: &FeedState,
    parsed: &mut Parsed,
) {
    let mut first_line: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for entry in entries {
        let (object, version, change) = build(spec, entry, state_version(state, entry, spec), now);
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some((line, digest)) = first_line.get(&id) {
            if *digest == version.digest {
                parsed.duplicates += 1;
            } else {
                parsed.problems.push(Problem::line(
                    entry.line,
                    format!(
                        "{} given again with other details than at line {line}: line {line} kept",
                        entry.value
                    ),
                ));
            }
            continue;
        }
        if let Err(reason) = check(&object) {
            parsed.problems.push(Problem::line(entry.line, reason));
            continue;
        }
        first_line.insert(id.clone(), (entry.line, version.digest.clone()));
        parsed.versions.insert(id, version);
        parsed.objects.push(FeedObject { object, change });
    }
}

fn state_version<'s>(
    state: &'s FeedState,
    entry: &Entry,
    spec: &FeedSpec,
) -> Option<&'s KnownVersion> {
    state.objects.get(&crate::indicator::indicator_id(
        &spec.name,
        &entry.pattern(),
    ))
}

/// An object must be valid STIX 2.1, and an indicator's pattern must parse.
fn check(object: &Map<String, Value>) -> Result<(), String> {
    let issues = concord_stix::validate::validate(object);
    if let Some(e) = issues
        .iter()
        .find(|i| i.severity == concord_stix::Severity::Error)
    {
        return Err(format!("not valid STIX 2.1: {e}"));
    }
    if object.get("type").and_then(Value::as_str) == Some("indicator")
        && object.get("pattern_type").and_then(Value::as_str) == Some("stix")
        && let Some(p) = object.get("pattern").and_then(Value::as_str)
    {
        concord_pattern::Pattern::parse(p).map_err(|e| format!("pattern {p:?}: {e}"))?;
    }
    Ok(())
}

/// An object as another party wrote it: its own id and times.
fn add_received(object: Map<String, Value>, line: u64, state: &FeedState, parsed: &mut Parsed) {
    if let Err(reason) = check(&object) {
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("(no id)");
        parsed
            .problems
            .push(Problem::line(line, format!("{id}: {reason}")));
        return;
    }
    let text = |k: &str| {
        object
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let id = text("id");
    // Objects without versions (SCOs, markings) are told apart by content.
    let version = KnownVersion {
        digest: digest(&object, &[]),
        created: text("created"),
        modified: text("modified"),
        removed: None,
    };
    if let Some(seen) = parsed.versions.get(&id) {
        if *seen == version {
            parsed.duplicates += 1;
        } else {
            parsed.problems.push(Problem::line(
                line,
                format!("{id} given again in another version: the first kept"),
            ));
        }
        return;
    }
    let change = match state.objects.get(&id) {
        None => Change::New,
        Some(k) if k.digest == version.digest && k.removed.is_none() => Change::Unchanged,
        Some(_) => Change::Changed,
    };
    parsed.versions.insert(id, version);
    parsed.objects.push(FeedObject { object, change });
}

/// The objects of a STIX body, read as concord imports files.
fn stix_objects(
    spec: &FeedSpec,
    body: &[u8],
    state: &FeedState,
    parsed: &mut Parsed,
) -> Result<(), FeedError> {
    use concord_stix::bundle::BundleReader;
    for item in BundleReader::new(body) {
        match item {
            Ok(raw) => match concord_stix::json::parse_object(&raw.bytes) {
                Ok(object) => add_received(object, raw.location.line as u64, state, parsed),
                Err(e) => parsed.problems.push(Problem::line(
                    raw.location.line as u64,
                    format!("{}: {}", raw.location.path, e.message),
                )),
            },
            Err(e) if e.is_fatal() => {
                return Err(FeedError::Body {
                    feed: spec.name.clone(),
                    format: "stix",
                    reason: e.to_string(),
                });
            }
            Err(e) => parsed.problems.push(Problem::line(0, e.to_string())),
        }
    }
    Ok(())
}
