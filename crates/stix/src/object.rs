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

pub const SDO_TYPES: &[&str] = &[
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

pub const SRO_TYPES: &[&str] = &["relationship", "sighting"];

pub const SCO_TYPES: &[&str] = &[
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

pub const META_TYPES: &[&str] = &[
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

    pub fn family(&self) -> Family {
        StixObject::family_of(self.object_type(), &self.map)
    }

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

    pub fn created(&self) -> Option<&str> {
        self.str_of("created")
    }

    pub fn modified(&self) -> Option<&str> {
        self.str_of("modified")
    }

    /// The string that names this version: `modified`, else `created`
    /// (marking definitions are not versioned), else "" (observables have one
    /// version per id, since their id is derived from their content).
    pub fn version(&self) -> &str {
        self.modified().or_else(|| self.created()).unwrap_or("")
    }

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

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// Compact JSON of the object (key order of the map).
    pub fn to_json(&self) -> String {
        // Serialising a map of valid `Value`s cannot fail.
        serde_json::to_string(&self.map).unwrap_or_default()
    }
}
