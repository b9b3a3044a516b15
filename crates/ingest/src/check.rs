//! One object's bytes to a stored-ready object or a rejection that says
//! where and why.

use concord_federation::authoring::Authoring;
use concord_stix::bundle::{RawObject, ReadError};
use concord_stix::ingest::{read_object, storable_json};
use concord_stix::{Issue, json};
use concord_store::PreparedObject;
use serde::Serialize;

/// One object that was not stored, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    /// The source it came from.
    pub file: String,
    /// The line it starts on.
    pub line: usize,
    /// Its JSON path in the source (`$.objects[3]`).
    pub path: String,
    /// Its id, when it has one that could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Every finding (at least one error).
    pub issues: Vec<Issue>,
}

/// What checking one object gave.
pub(crate) enum Checked {
    /// Ready to store, with its warnings and the line it starts on.
    Ok(Box<PreparedObject>, Vec<Issue>, usize),
    Rejected(Rejection),
}

/// How the workers prepare objects: authored here (marked, signed and
/// given their log entry), or stored as received, except that versions
/// this node signed itself (elsewhere, e.g. a file it exported) go in
/// with their log entry like every authored version.
pub(crate) struct Preparation<'a> {
    pub authoring: Option<&'a Authoring>,
    /// This member's identity id and node key (hex).
    pub own: Option<&'a (String, String)>,
    /// When objects are to be stored: makes what the store writes (bodies,
    /// search trigrams) here, on the checkers' threads.
    pub encoder: Option<concord_store::Encoder>,
}

fn id_of(bytes: &[u8]) -> Option<String> {
    // Best effort, for messages only: the id of an object that failed validation.
    json::parse_value(bytes)
        .ok()?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

impl Preparation<'_> {
    /// Checks one object read from `file`.
    pub(crate) fn check(&self, file: &str, raw: Result<RawObject, ReadError>) -> Checked {
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => return Checked::Rejected(unreadable(file, &e)),
        };
        let rejected = |issues| {
            Checked::Rejected(Rejection {
                file: file.to_string(),
                line: raw.location.line,
                path: raw.location.path.clone(),
                id: id_of(&raw.bytes),
                issues,
            })
        };
        let checked = match read_object(&raw.bytes, &concord_pattern::Grammar) {
            Ok(c) => c,
            Err(issues) => return rejected(issues),
        };
        let prepared = match self.authoring {
            Some(a) => match a.prepare(checked.object.as_map()) {
                Ok(p) => p,
                Err(e) => {
                    return rejected(vec![Issue::error(
                        "$",
                        "authoring",
                        format!("could not mark and sign it: {e:#}"),
                    )]);
                }
            },
            None if self.signed_here(&checked.object) => {
                match concord_federation::authoring::prepared(checked.object.as_map().clone()) {
                    Ok(p) => p,
                    Err(e) => return rejected(vec![Issue::error("$", "log", format!("{e:#}"))]),
                }
            }
            None => {
                let text = storable_json(&raw.bytes, &checked.object);
                PreparedObject::new(&checked.object, text)
            }
        };
        let mut prepared = prepared;
        if let Some(e) = &self.encoder {
            e.prepare(&mut prepared);
        }
        Checked::Ok(Box::new(prepared), checked.warnings, raw.location.line)
    }
}

impl Preparation<'_> {
    /// Whether this node's key signed `object` as this member.
    fn signed_here(&self, object: &concord_stix::StixObject) -> bool {
        let Some((member, key_hex)) = self.own else {
            return false;
        };
        concord_trust::signer_of(object.as_map()) == Some(member.as_str())
            && object
                .as_map()
                .get("extensions")
                .and_then(|e| e.get(concord_trust::PROVENANCE_EXTENSION_ID))
                .and_then(|p| p.get("key"))
                .and_then(serde_json::Value::as_str)
                == Some(key_hex.as_str())
    }
}

/// The rejection for input that could not be split into objects.
fn unreadable(file: &str, e: &ReadError) -> Rejection {
    let (line, path, rule) = match e {
        ReadError::Syntax { line, .. } => (*line, "$".to_string(), "json-syntax"),
        ReadError::Oversize { location, .. } => {
            (location.line, location.path.clone(), "object-size")
        }
        ReadError::Envelope { line, .. } => (*line, "$".to_string(), "bundle-envelope"),
        ReadError::Io(_) => (0, "$".to_string(), "input-read"),
    };
    Rejection {
        file: file.to_string(),
        line,
        path: path.clone(),
        id: None,
        issues: vec![Issue::error(path, rule, e.to_string())],
    }
}
