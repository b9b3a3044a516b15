use serde_json::{Map, Value};

use crate::tlp::{self, Tlp};

/// What family an object type belongs to (STIX 2.1 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Domain object (including custom types that carry `created`/`modified`).
    Domain,
    /// Relationship object (relationship, sighting).
    Relationship,
    /// Cyber-observable (including custom types without `created`).
    Observable,
    /// marking-definition, language-content, extension-definition.
    Meta,
    /// bundle: a container, never stored.
    Bundle,
}

/// The domain object types of STIX 2.1 §4.
pub(crate) const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// The relationship object types of STIX 2.1 §5.
pub(crate) const SRO_TYPES: &[&str] = &["relationship", "sighting"];

/// The cyber-observable object types of STIX 2.1 §6.
pub(crate) const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// The meta object types of STIX 2.1 §7.
pub(crate) const META_TYPES: &[&str] = &[
    "marking-definition",
    "language-content",
    "extension-definition",
];

/// One STIX object exactly as it arrived: every property is kept, including
/// those this crate does not know. Accessors read the common properties;
/// nothing here rewrites the map.
#[derive(Debug, Clone, PartialEq)]
pub struct StixObject {
    map: Map<String, Value>,
}

impl StixObject {
    /// Wraps a parsed map as it is; nothing is checked (see
    /// `ingest::read_object` for the checked way in).
    pub fn from_map(map: Map<String, Value>) -> StixObject {
        StixObject { map }
    }

    /// The family a type name belongs to; unknown (custom) types are sorted
    /// by the common properties they carry.
    pub fn family_of(object_type: &str, map: &Map<String, Value>) -> Family {
        if SDO_TYPES.contains(&object_type) {
            Family::Domain
        } else if SRO_TYPES.contains(&object_type) {
            Family::Relationship
        } else if SCO_TYPES.contains(&object_type) {
            Family::Observable
        } else if META_TYPES.contains(&object_type) {
            Family::Meta
        } else if object_type == "bundle" {
            Family::Bundle
        } else if map.contains_key("created") || map.contains_key("modified") {
            Family::Domain
        } else {
            Family::Observable
        }
    }

    /// The family of this object's type (see [`StixObject::family_of`]).
    pub fn family(&self) -> Family {
        StixObject::family_of(self.object_type(), &self.map)
    }

    /// The property `key`, as it arrived.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    fn str_of(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(Value::as_str)
    }

    /// The `type` property, or "" when it is missing (validation reports that).
    pub fn object_type(&self) -> &str {
        self.str_of("type").unwrap_or("")
    }

    /// The `id` property, or "" when it is missing.
    pub fn id(&self) -> &str {
        self.str_of("id").unwrap_or("")
    }

    /// The `created` timestamp as received, `None` when missing or not a string.
    pub fn created(&self) -> Option<&str> {
        self.str_of("created")
    }

    /// The `modified` timestamp as received, `None` when missing or not a string.
    pub fn modified(&self) -> Option<&str> {
        self.str_of("modified")
    }

    /// The string that names this version: `modified`, else `created`
    /// (marking definitions are not versioned), else "" (observables have one
    /// version per id, since their id is derived from their content).
    pub fn version(&self) -> &str {
        self.modified().or_else(|| self.created()).unwrap_or("")
    }

    /// Whether `revoked` is `true` (a missing or non-boolean value is not).
    pub fn is_revoked(&self) -> bool {
        self.map.get("revoked").and_then(Value::as_bool) == Some(true)
    }

    /// The strictest TLP level among `object_marking_refs`, `None` when the
    /// object carries no TLP marking.
    pub fn tlp(&self) -> Option<Tlp> {
        self.map
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .and_then(|refs| tlp::strictest_of(refs))
    }

    /// The text that full-text search indexes (names, descriptions, labels,
    /// aliases, the indicator pattern), read straight from stored JSON without
    /// building the whole object: the search indexer runs this over every
    /// stored version. `None` when the JSON does not have the usual shape.
    pub fn search_text_of(json: &str) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Searchable<'a> {
            #[serde(borrow, default)]
            name: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            description: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            pattern: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            value: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default, rename = "abstract")]
            abstract_: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            content: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            x_mitre_id: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            labels: Option<Vec<std::borrow::Cow<'a, str>>>,
            #[serde(borrow, default)]
            aliases: Option<Vec<std::borrow::Cow<'a, str>>>,
            #[serde(borrow, default)]
            authors: Option<Vec<std::borrow::Cow<'a, str>>>,
        }
        let s: Searchable = serde_json::from_str(json).ok()?;
        let mut out = String::new();
        for part in [
            &s.name,
            &s.description,
            &s.pattern,
            &s.value,
            &s.abstract_,
            &s.content,
            &s.x_mitre_id,
        ]
        .into_iter()
        .flatten()
        {
            out.push_str(part);
            out.push('\n');
        }
        for list in [&s.labels, &s.aliases, &s.authors].into_iter().flatten() {
            for part in list {
                out.push_str(part);
                out.push('\n');
            }
        }
        Some(out)
    }

    /// Every property, as it arrived.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Every property, as it arrived, taken out of the object.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// Compact JSON of the object (key order of the map).
    pub fn to_json(&self) -> String {
        // Serialising a map of valid `Value`s cannot fail.
        serde_json::to_string(&self.map).unwrap_or_default()
    }
}
