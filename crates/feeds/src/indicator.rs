//! From one value of a list to a STIX 2.1 indicator: its pattern (built
//! with the pattern crate's quoting, so any value gives a valid pattern),
//! its deterministic id, and its times from the feed's state.

use concord_stix::Timestamp;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::spec::FeedSpec;
use crate::state::KnownVersion;

/// The namespace of feed indicator ids: `indicator--` + UUIDv5 of
/// `"<feed name>\n<pattern>"` in it.
const FEED_NAMESPACE: Uuid = Uuid::from_bytes([
    0x9a, 0x2e, 0xa7, 0x0d, 0x77, 0xc2, 0x47, 0xdc, 0xbf, 0xaa, 0x86, 0xa9, 0x4c, 0xb3, 0x6a, 0x75,
]);

/// The optional properties a list may give beside the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Details {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) labels: Vec<String>,
    pub(crate) valid_from: Option<String>,
    pub(crate) valid_until: Option<String>,
    pub(crate) confidence: Option<u8>,
}

/// One indicator value read from a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Where it was (1-based line of the body).
    pub(crate) line: u64,
    /// The STIX object path (`ipv4-addr:value`).
    pub(crate) path: String,
    /// A network, compared with ISSUBSET.
    pub(crate) subset: bool,
    /// The normalised value.
    pub(crate) value: String,
    pub(crate) details: Details,
}

impl Entry {
    /// The STIX pattern: `[path = 'value']`, the value quoted.
    pub(crate) fn pattern(&self) -> String {
        let op = if self.subset { "ISSUBSET" } else { "=" };
        format!(
            "[{} {op} {}]",
            self.path,
            concord_pattern::quote(&self.value)
        )
    }
}

/// The id of the indicator a feed makes for a pattern.
pub(crate) fn indicator_id(feed: &str, pattern: &str) -> String {
    let name = format!("{feed}\n{pattern}");
    format!(
        "indicator--{}",
        Uuid::new_v5(&FEED_NAMESPACE, name.as_bytes())
    )
}

/// A digest of an object's content without the given properties (hex,
/// 128 bits of SHA-256 over its RFC 8785 form).
pub(crate) fn digest(object: &Map<String, Value>, without: &[&str]) -> String {
    let mut content = object.clone();
    for k in without {
        content.remove(*k);
    }
    let canonical =
        concord_stix::canonical::to_canonical_string(&Value::Object(content)).unwrap_or_default();
    hex::encode(&Sha256::digest(canonical.as_bytes())[..16])
}

/// The indicator for an entry, without its times yet.
fn content(spec: &FeedSpec, entry: &Entry, id: &str, pattern: String) -> Map<String, Value> {
    let d = &entry.details;
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": id,
        "name": d.name.clone().unwrap_or_else(|| entry.value.clone()),
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "external_references": [{"source_name": spec.name, "url": spec.url}],
    });
    let Value::Object(map) = &mut o else {
        return Map::new();
    };
    if let Some(v) = &d.description {
        map.insert("description".into(), json!(v));
    }
    if !d.labels.is_empty() {
        map.insert("labels".into(), json!(d.labels));
    }
    if let Some(v) = &d.valid_from {
        map.insert("valid_from".into(), json!(v));
    }
    if let Some(v) = &d.valid_until {
        map.insert("valid_until".into(), json!(v));
    }
    if let Some(v) = d.confidence {
        map.insert("confidence".into(), json!(v));
    }
    if let Some(t) = spec.tlp {
        map.insert("object_marking_refs".into(), json!([t.marking_id()]));
    }
    std::mem::take(map)
}

/// How an object compares with the version the feed gave before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Never seen from this feed.
    New,
    /// Seen, with other content (or back after being removed): a new version.
    Changed,
    /// The same version as before.
    Unchanged,
}

/// The properties left out of an indicator's digest: its times (a
/// `valid_from` the list did not give is the time first seen).
fn times(entry_has_valid_from: bool) -> &'static [&'static str] {
    if entry_has_valid_from {
        &["created", "modified"]
    } else {
        &["created", "modified", "valid_from"]
    }
}

/// The indicator for an entry, with times taken from what the feed gave
/// before (`known`) or `now`, and its new known version.
pub(crate) fn build(
    spec: &FeedSpec,
    entry: &Entry,
    known: Option<&KnownVersion>,
    now: Timestamp,
) -> (Map<String, Value>, KnownVersion, Change) {
    let pattern = entry.pattern();
    let id = indicator_id(&spec.name, &pattern);
    let mut object = content(spec, entry, &id, pattern);
    let digest = digest(&object, times(entry.details.valid_from.is_some()));
    let now_text = now.to_stix();
    let (created, modified, change) = match known {
        Some(k) if k.digest == digest && k.removed.is_none() => {
            (k.created.clone(), k.modified.clone(), Change::Unchanged)
        }
        Some(k) => {
            // A new version must be later than the last one, whatever the clock says.
            let last = concord_stix::Timestamp::parse(&k.modified).map_or(0, |t| t.0);
            let modified = Timestamp(now.0.max(last + 1000)).to_stix();
            (k.created.clone(), modified, Change::Changed)
        }
        None => (now_text.clone(), now_text, Change::New),
    };
    object.insert("created".into(), json!(created));
    object.insert("modified".into(), json!(modified));
    if entry.details.valid_from.is_none() {
        object.insert("valid_from".into(), json!(created));
    }
    let version = KnownVersion {
        digest,
        created,
        modified,
        removed: None,
    };
    (object, version, change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{CsvOptions, FeedFormat};

    fn spec() -> FeedSpec {
        FeedSpec {
            name: "t".into(),
            url: "http://127.0.0.1/t".into(),
            format: FeedFormat::Text,
            interval_secs: 60,
            tlp: None,
            audience: Vec::new(),
            collection: None,
            csv: CsvOptions::default(),
        }
    }

    fn entry(value: &str) -> Entry {
        Entry {
            line: 1,
            path: "url:value".into(),
            subset: false,
            value: value.into(),
            details: Details::default(),
        }
    }

    #[test]
    fn quoting_makes_any_value_a_valid_pattern() {
        for v in [
            "http://x.example/a'b",
            "http://x.example/a\\b",
            "http://x.example/'\\'",
            "它.example",
        ] {
            let e = entry(v);
            let p = concord_pattern::Pattern::parse(&e.pattern())
                .unwrap_or_else(|err| panic!("{v}: {err}"));
            let Some(concord_pattern::ComparisonExpr::Test(t)) = p.comparisons().first().copied()
            else {
                panic!("{v}")
            };
            assert_eq!(
                t.op,
                concord_pattern::Operator::Eq(concord_pattern::Literal::Str(v.into()))
            );
        }
    }

    #[test]
    fn same_value_same_id_and_version() {
        let now = Timestamp::parse("2026-12-03T10:00:00Z").unwrap();
        let (a, known, change) = build(&spec(), &entry("http://x.example/"), None, now);
        assert_eq!(change, Change::New);
        let later = Timestamp::parse("2026-12-04T10:00:00Z").unwrap();
        let (b, _, change) = build(&spec(), &entry("http://x.example/"), Some(&known), later);
        assert_eq!(change, Change::Unchanged);
        assert_eq!(a, b);
        let mut described = entry("http://x.example/");
        described.details.description = Some("now with a description".into());
        let (c, k2, change) = build(&spec(), &described, Some(&known), later);
        assert_eq!(change, Change::Changed);
        assert_eq!(c["id"], a["id"]);
        assert_eq!(c["created"], a["created"]);
        assert_eq!(c["valid_from"], a["valid_from"]);
        assert_eq!(c["modified"], "2026-12-04T10:00:00.000Z");
        // A clock that went back still gives a later version.
        let (_, _, _) = build(&spec(), &entry("http://x.example/"), Some(&k2), now);
        let (d, _, _) = build(&spec(), &entry("http://x.example/"), Some(&k2), now);
        assert_eq!(d["modified"], "2026-12-04T10:00:00.001Z");
    }
}
