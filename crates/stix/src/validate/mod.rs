//! Validation of the MUST rules of STIX 2.1 (errors) and of its open
//! vocabularies and SHOULD rules (warnings). Each finding names the JSON path
//! (relative to the object, `$.…`) and a stable rule identifier.
//!
//! The rules follow the STIX 2.1 OS specification; where the specification
//! leaves room, they follow what stix2-validator 3.3.2 (the reference the
//! oracle test compares against) does, and the few places where we
//! deliberately differ are listed in `tests/validator_oracle.rs`.
//!
//! Shape: each object family has a table of its properties (`props::Spec`)
//! that one engine walks (`props::check_object_props`); rules that tie
//! several properties together sit beside the table of their type. Paths are
//! built lazily (`Path`), so a valid object costs no allocation beyond the
//! returned empty vector.

mod common;
mod formats;
mod meta;
mod pattern;
mod props;
mod sco;
mod sco_ext;
mod sdo;
mod vocab;

use serde_json::{Map, Value};

pub use pattern::{PatternFault, PatternGrammar};

use crate::Issue;
use crate::object::{Family, StixObject};

/// Checks one object; returns every finding (errors and warnings).
/// An object is valid when no finding is an error.
///
/// An indicator's STIX pattern is checked only for being a non-empty
/// string: what comes in from outside goes through [`validate_with`],
/// which also parses it.
pub fn validate(object: &Map<String, Value>) -> Vec<Issue> {
    let mut cx = Cx::default();
    check_top_level(&mut cx, object);
    cx.issues
}

/// [`validate`], and an indicator's STIX pattern parsed by `grammar`
/// (rule `pattern-syntax`, with the parser's line, column and reason).
pub fn validate_with(object: &Map<String, Value>, grammar: &dyn PatternGrammar) -> Vec<Issue> {
    let mut issues = validate(object);
    issues.extend(pattern::check(object, grammar));
    issues
}

/// True when no finding is an error.
pub fn is_valid(issues: &[Issue]) -> bool {
    issues.iter().all(|i| i.severity != crate::Severity::Error)
}

fn check_top_level(cx: &mut Cx, object: &Map<String, Value>) {
    let root = Path::Root;
    let object_type = match object.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(other) => {
            cx.error(
                &root.key("type"),
                "property-type",
                format!(
                    "'type' must be a string, not {}",
                    crate::json::kind_of(other)
                ),
            );
            return;
        }
        None => {
            cx.error(
                &root.key("type"),
                "required-property",
                "every STIX object must have a string 'type'",
            );
            return;
        }
    };
    match StixObject::family_of(object_type, object) {
        Family::Bundle => cx.error(
            &root.key("type"),
            "bundle-not-object",
            "a bundle is a container, not a STIX object; validate its objects one by one",
        ),
        Family::Domain | Family::Relationship => sdo::check(cx, object_type, object),
        Family::Meta => meta::check(cx, object_type, object),
        Family::Observable => sco::check(cx, object_type, object, &root),
    }
}

/// Where a finding is, built without allocating: each level borrows its
/// parent and is rendered to `$.a.b[0]` only when an issue is recorded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, k: &'a str) -> Path<'a> {
        Path::Key(self, k)
    }

    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root => out.push('$'),
            Path::Key(parent, k) => {
                parent.render_into(out);
                // Keys that are not plain identifiers (extension ids, keys with
                // dots or quotes) use the bracket form so the path stays unambiguous.
                if !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    out.push('.');
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::Value::from(*k).to_string());
                    out.push(']');
                }
            }
            Path::Index(parent, i) => {
                parent.render_into(out);
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

/// The findings gathered so far, and what the engine needs to know about
/// where it is.
#[derive(Default)]
pub(crate) struct Cx<'o> {
    pub(crate) issues: Vec<Issue>,
    /// Inside the deprecated `objects` dictionary of observed-data, SCO
    /// references name keys of that dictionary instead of STIX ids.
    pub(crate) embedded_in: Option<&'o Map<String, Value>>,
}

impl Cx<'_> {
    pub(crate) fn error(&mut self, path: &Path, rule: &'static str, msg: impl Into<String>) {
        self.issues.push(Issue::error(path.render(), rule, msg));
    }

    pub(crate) fn warning(&mut self, path: &Path, rule: &'static str, msg: impl Into<String>) {
        self.issues.push(Issue::warning(path.render(), rule, msg));
    }
}

#[cfg(test)]
mod tests;
